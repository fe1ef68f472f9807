/* gen_program.c - writes a large, realistic Kiln C program for the front-end
 * benchmark (tests/bench/bench_flow.sh).
 *
 * Usage: gen_program LINES [SEED] > program.kc
 *
 * Expects: a target line count (at least one unit's worth).  Produces: a
 * program of about LINES lines (never fewer) made of numbered "units": each
 * unit is a small interpreter-like module (an exception class, an AST class
 * with a subclass, a stack machine, a tokenizer, a parser, string and dict
 * helpers, a float helper and an entry function) written the way interpreter
 * authors write Kiln C: loops, switches, try/catch/finally, lists, dicts,
 * method calls, string operations.  Every name it uses is defined, so the
 * whole program passes `kiln flow`; `main` calls every unit's entry function
 * through a list of function references and prints one checksum, so the
 * program also runs under `kiln run` in a bounded time, and every function
 * is reachable from `main` (so later stages check all of it).
 *
 * The output depends only on LINES and SEED (a fixed pseudo-random
 * generator varies the constants between units), so benchmark runs compare
 * like with like.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Generator state: where output goes, how much was written, the PRNG. */
typedef struct GenContext {
    FILE *out;
    long lines;      /* newlines written so far */
    uint64_t random; /* xorshift64 state, never zero */
} GenContext;

/* One unit of the program.  In the text, `$N` is the unit's number, `$P` the
 * previous unit's number (the unit itself for unit 0: units call only
 * earlier units, so there is no recursion), and `$1` .. `$9` are constants
 * drawn for the unit (2..99). */
static const char gen_unit_template[] =
    "// ---- unit $N: a tiny expression language ----\n"
    "const LIMIT_$N = 1000$1;\n"
    "var unit_names_$N = [\"alpha\", \"beta\", \"gamma\", \"delta$N\"];\n"
    "\n"
    "class SyntaxError$N : ValueError {\n"
    "    var where: int;\n"
    "    fn init(message, where) {\n"
    "        this.message = message;\n"
    "        this.where = where;\n"
    "    }\n"
    "}\n"
    "\n"
    "class Node$N {\n"
    "    var kind: int;\n"
    "    var value: int;\n"
    "    var children;\n"
    "    fn init(kind, value) {\n"
    "        this.kind = kind;\n"
    "        this.value = value;\n"
    "        this.children = [];\n"
    "    }\n"
    "    fn add(child) {\n"
    "        this.children.append(child);\n"
    "        return this;\n"
    "    }\n"
    "    fn eval() {\n"
    "        switch (this.kind) {\n"
    "            case 0:\n"
    "                return this.value;\n"
    "            case 1: {\n"
    "                var total = 0;\n"
    "                for (var child : this.children) total += child.eval();\n"
    "                return total % LIMIT_$N;\n"
    "            }\n"
    "            case 2: {\n"
    "                var product = 1;\n"
    "                for (var child : this.children) product = (product * child.eval()) % 65521;\n"
    "                return product;\n"
    "            }\n"
    "            default:\n"
    "                throw new SyntaxError$N(\"bad node kind \" + str(this.kind), this.kind);\n"
    "        }\n"
    "    }\n"
    "}\n"
    "\n"
    "class Leaf$N : Node$N {\n"
    "    fn init(value) {\n"
    "        this.kind = 0;\n"
    "        this.value = value;\n"
    "        this.children = [];\n"
    "    }\n"
    "    fn eval() {\n"
    "        return (this.value * $2) % 97;\n"
    "    }\n"
    "}\n"
    "\n"
    "class Machine$N {\n"
    "    var stack;\n"
    "    var steps: int;\n"
    "    fn init() {\n"
    "        this.stack = [];\n"
    "        this.steps = 0;\n"
    "    }\n"
    "    fn push(value: int) {\n"
    "        this.stack.append(value);\n"
    "    }\n"
    "    fn pop() -> int {\n"
    "        if (len(this.stack) == 0) throw new IndexError(\"pop from an empty stack\");\n"
    "        return this.stack.pop();\n"
    "    }\n"
    "    fn run(code: list<int>) -> int {\n"
    "        var pc = 0;\n"
    "        while (pc < len(code)) {\n"
    "            var op = code[pc];\n"
    "            this.steps++;\n"
    "            switch (op) {\n"
    "                case 0: this.push(code[pc + 1]); pc += 1;\n"
    "                case 1: this.push(this.pop() + this.pop());\n"
    "                case 2: this.push(this.pop() * this.pop() % 65521);\n"
    "                case 3: {\n"
    "                    var top = this.pop();\n"
    "                    this.push(top);\n"
    "                    this.push(top);\n"
    "                }\n"
    "                case 4: {\n"
    "                    if (this.pop() != 0) {\n"
    "                        pc = code[pc + 1];\n"
    "                        continue;\n"
    "                    }\n"
    "                    pc += 1;\n"
    "                }\n"
    "                default: break;\n"
    "            }\n"
    "            pc += 1;\n"
    "        }\n"
    "        return len(this.stack) > 0 ? this.pop() : -1;\n"
    "    }\n"
    "}\n"
    "\n"
    "fn flush_$N(tokens: list<str>, builder) {\n"
    "    tokens.append(builder.build());\n"
    "    return new StrBuilder();\n"
    "}\n"
    "\n"
    "fn tokenize_$N(text: str) -> list<str> {\n"
    "    var tokens = [];\n"
    "    var builder = new StrBuilder();\n"
    "    var pending = 0;\n"
    "    for (var c : text) {\n"
    "        switch (c) {\n"
    "            case ' ', ',', ';': {\n"
    "                if (pending > 0) builder = flush_$N(tokens, builder);\n"
    "                pending = 0;\n"
    "            }\n"
    "            case '+', '*', '(', ')': {\n"
    "                if (pending > 0) builder = flush_$N(tokens, builder);\n"
    "                pending = 0;\n"
    "                tokens.append(str(c));\n"
    "            }\n"
    "            default: {\n"
    "                builder.append_char(c);\n"
    "                pending++;\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "    if (pending > 0) tokens.append(builder.build());\n"
    "    return tokens;\n"
    "}\n"
    "\n"
    "fn parse_$N(tokens: list<str>) {\n"
    "    var root = new Node$N(1, 0);\n"
    "    var current = root;\n"
    "    var stack = [];\n"
    "    for (var token : tokens) {\n"
    "        if (token == \"(\") {\n"
    "            var child = new Node$N(2, 0);\n"
    "            current.add(child);\n"
    "            stack.append(current);\n"
    "            current = child;\n"
    "        } else if (token == \")\") {\n"
    "            if (len(stack) == 0) throw new SyntaxError$N(\"unbalanced )\", $3);\n"
    "            current = stack.pop();\n"
    "        } else if (token == \"+\" || token == \"*\") {\n"
    "            continue;\n"
    "        } else {\n"
    "            try {\n"
    "                current.add(new Leaf$N(int_of(token)));\n"
    "            } catch (ValueError error) {\n"
    "                current.add(new Leaf$N(len(token) + len(error.message) % 3));\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "    if (len(stack) != 0) throw new SyntaxError$N(\"unbalanced (\", len(stack));\n"
    "    return root;\n"
    "}\n"
    "\n"
    "fn histogram_$N(words: list<str>) {\n"
    "    var counts = {};\n"
    "    for (var word : words) counts[word] = counts.get(word, 0) + 1;\n"
    "    var best = \"\";\n"
    "    var best_count = -1;\n"
    "    for (var key : counts.keys()) {\n"
    "        if (counts[key] > best_count) {\n"
    "            best = key;\n"
    "            best_count = counts[key];\n"
    "        }\n"
    "    }\n"
    "    if (counts.contains(\"+\")) counts.remove(\"+\");\n"
    "    counts[\"best:\" + best] = best_count;\n"
    "    return counts;\n"
    "}\n"
    "\n"
    "fn summarize_$N(text: str) -> str {\n"
    "    var parts = text.split(\" \");\n"
    "    var kept = [];\n"
    "    for (var part : parts) {\n"
    "        var word = part.strip();\n"
    "        if (word.startswith(\"#\")) break;\n"
    "        if (word.endswith(\";\")) word = word.slice(0, len(word) - 1);\n"
    "        if (len(word) == 0) continue;\n"
    "        kept.append(word.upper());\n"
    "    }\n"
    "    var joined = \",\".join(kept);\n"
    "    if (joined.find(\"(\") >= 0) joined = joined.replace(\"(\", \"[\");\n"
    "    return joined.lower();\n"
    "}\n"
    "\n"
    "fn norm_$N(values: list<float>) -> float {\n"
    "    var sum = 0.0;\n"
    "    for (var value : values) sum += value * value;\n"
    "    return math_sqrt(sum / float(len(values)));\n"
    "}\n"
    "\n"
    "fn mix_$N(a: int, b: int) -> int {\n"
    "    var mixed = ((a << 3) ^ b) + $4;\n"
    "    return mixed < 0 ? -mixed % 1000003 : mixed % 1000003;\n"
    "}\n"
    "\n"
    "fn run_$N(seed: int) -> int {\n"
    "    var text = \"(\" + str(seed % $5) + \" + x\" + str(seed) + \") * ($6 + \" + str(seed * 3) "
    "+ "
    "\"); # end\";\n"
    "    var checksum = 0;\n"
    "    try {\n"
    "        var tokens = tokenize_$N(text);\n"
    "        var tree = parse_$N(tokens);\n"
    "        checksum = tree.eval();\n"
    "        checksum += len(histogram_$N(tokens));\n"
    "        checksum += len(summarize_$N(text));\n"
    "    } catch (SyntaxError$N error) {\n"
    "        checksum = error.where;\n"
    "    } finally {\n"
    "        checksum += 1;\n"
    "    }\n"
    "    var machine = new Machine$N();\n"
    "    var code = [0, seed % $7, 0, $8, 1, 3, 2, 0, 0, 4, 99];\n"
    "    checksum = mix_$P(checksum, machine.run(code) + machine.steps);\n"
    "    var table = newlist(8, 0);\n"
    "    for (var i = 0; i < len(table); i++) table[i] = (i * $9 + checksum) & 255;\n"
    "    var index = 0;\n"
    "    do {\n"
    "        checksum = (checksum * 31 + table[index]) % 1000000007;\n"
    "        index++;\n"
    "    } while (index < len(table));\n"
    "    var scale = norm_$N([1.5, 2.0, float(seed % 10)]);\n"
    "    checksum += int(scale * 100.0);\n"
    "    var names = unit_names_$N;\n"
    "    checksum += len(names[seed % len(names)]);\n"
    "    return checksum;\n"
    "}\n"
    "\n";

static void gen_write(GenContext *context, const char *text, size_t length) {
    fwrite(text, 1, length, context->out);
    for (size_t i = 0; i < length; i++)
        if (text[i] == '\n') context->lines++;
}

static void gen_printf_number(GenContext *context, long number) {
    char buffer[32];
    int length = snprintf(buffer, sizeof buffer, "%ld", number);
    gen_write(context, buffer, (size_t)length);
}

static uint64_t gen_random(GenContext *context) {
    uint64_t state = context->random;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    context->random = state;
    return state;
}

/* Writes the template for unit `unit`, replacing the `$` markers. */
static void gen_unit(GenContext *context, long unit) {
    long constants[10];
    for (int i = 0; i < 10; i++)
        constants[i] = 2 + (long)(gen_random(context) % 98);
    const char *text = gen_unit_template;
    while (*text) {
        const char *marker = strchr(text, '$');
        if (!marker) {
            gen_write(context, text, strlen(text));
            break;
        }
        gen_write(context, text, (size_t)(marker - text));
        char kind = marker[1];
        if (kind == 'N')
            gen_printf_number(context, unit);
        else if (kind == 'P')
            gen_printf_number(context, unit > 0 ? unit - 1 : 0);
        else if (kind >= '1' && kind <= '9')
            gen_printf_number(context, constants[kind - '0']);
        else {
            fprintf(stderr, "gen_program: bad template marker '$%c'\n", kind);
            exit(2);
        }
        text = marker + 2;
    }
}

/* main() calls every unit's entry through a list of function references. */
static void gen_main(GenContext *context, long unit_count) {
    const char head[] = "fn main() {\n"
                        "    var runners = [\n";
    gen_write(context, head, sizeof head - 1);
    for (long unit = 0; unit < unit_count; unit++) {
        char buffer[64];
        int length = snprintf(buffer, sizeof buffer, "%srun_%ld%s", unit % 8 == 0 ? "        " : "",
                              unit, unit + 1 == unit_count ? "\n" : (unit % 8 == 7 ? ",\n" : ", "));
        gen_write(context, buffer, (size_t)length);
    }
    const char tail[] = "    ];\n"
                        "    var total = 0;\n"
                        "    var seed = 1;\n"
                        "    for (var runner : runners) {\n"
                        "        total = (total * 7 + runner(seed)) % 1000000007;\n"
                        "        seed++;\n"
                        "    }\n";
    gen_write(context, tail, sizeof tail - 1);
    /* The last unit's mix_ has no later unit to call it. */
    char buffer[128];
    int length =
        snprintf(buffer, sizeof buffer, "    total = mix_%ld(total, seed);\n", unit_count - 1);
    gen_write(context, buffer, (size_t)length);
    const char end[] = "    print(\"checksum \" + str(total));\n"
                       "    return 0;\n"
                       "}\n";
    gen_write(context, end, sizeof end - 1);
}

/* Lines of one unit, counted from the template, to size the program. */
static long gen_unit_lines(void) {
    long lines = 0;
    for (const char *text = gen_unit_template; *text; text++)
        if (*text == '\n') lines++;
    return lines;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: gen_program LINES [SEED] > program.kc\n");
        return 2;
    }
    long target = strtol(argv[1], NULL, 10);
    unsigned long long seed = argc == 3 ? strtoull(argv[2], NULL, 10) : 1;
    if (target < 1) {
        fprintf(stderr, "gen_program: LINES must be positive\n");
        return 2;
    }
    GenContext context = {stdout, 0, seed ? (uint64_t)seed : 1};
    const char header[] =
        "// Generated by tests/bench/flow/gen_program.c for the front-end benchmark.\n"
        "// Every unit is independent except that run_N calls mix_(N-1).\n\n";
    gen_write(&context, header, sizeof header - 1);
    /* main takes about one line per 8 units plus 12. */
    long unit_lines = gen_unit_lines();
    long unit_count = 1;
    while (context.lines + unit_count * unit_lines + unit_count / 8 + 12 < target)
        unit_count++;
    for (long unit = 0; unit < unit_count; unit++)
        gen_unit(&context, unit);
    gen_main(&context, unit_count);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("gen_program: write");
        return 1;
    }
    return 0;
}
