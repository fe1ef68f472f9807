/* test_parser.c - the Kiln C parser: every construct of language.md through
 * its dump, precedence, AST positions, error messages and recovery, import
 * resolution and the nesting limit. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse/parse.h"

typedef struct Parsed {
    Arena arena;
    InternTable interns;
    DiagContext diag;
    char *errors;
    size_t errors_size;
    AstProgram *program;
} Parsed;

static Parsed *parsed_new(void) {
    Parsed *parsed = calloc(1, sizeof(Parsed));
    arena_init(&parsed->arena);
    intern_init(&parsed->interns, &parsed->arena);
    diag_init(&parsed->diag);
    parsed->diag.max_errors = 0;
    parsed->diag.out = open_memstream(&parsed->errors, &parsed->errors_size);
    return parsed;
}

static ParseContext parsed_context(Parsed *parsed, const char **search_paths, int count) {
    ParseContext context = {&parsed->arena, &parsed->interns, &parsed->diag, search_paths, count};
    return context;
}

static Parsed *parse_text(const char *text) {
    Parsed *parsed = parsed_new();
    ParseContext context = parsed_context(parsed, NULL, 0);
    parsed->program = parse_program_text(&context, "test.kc", text, (int)strlen(text));
    fflush(parsed->diag.out);
    return parsed;
}

static void parsed_free(Parsed *parsed) {
    fclose(parsed->diag.out);
    free(parsed->errors);
    diag_free(&parsed->diag);
    intern_free(&parsed->interns);
    arena_free(&parsed->arena);
    free(parsed);
}

static const char *parsed_errors(Parsed *parsed) {
    return parsed->errors ? parsed->errors : "";
}

/* The dump of a program that must parse without errors; the caller frees it. */
static char *dump_of(const char *text) {
    Parsed *parsed = parse_text(text);
    ck_assert_msg(parsed->diag.errors == 0, "unexpected errors:\n%s", parsed_errors(parsed));
    char *dump = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&dump, &size);
    ast_dump_program(out, &parsed->diag, parsed->program);
    fclose(out);
    parsed_free(parsed);
    return dump;
}

static void assert_dump(const char *text, const char *expected) {
    char *dump = dump_of(text);
    ck_assert_str_eq(dump, expected);
    free(dump);
}

/* The same through parse_module, which does not resolve imports. */
static void assert_module_dump(const char *text, const char *expected) {
    Parsed *parsed = parsed_new();
    ParseContext context = parsed_context(parsed, NULL, 0);
    int file = diag_add_file(&parsed->diag, "test.kc", text, (int)strlen(text));
    AstModule *module = parse_module(&context, file);
    fflush(parsed->diag.out);
    ck_assert_msg(parsed->diag.errors == 0, "unexpected errors:\n%s", parsed_errors(parsed));
    AstProgram program = {&module, 1};
    char *dump = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&dump, &size);
    ast_dump_program(out, &parsed->diag, &program);
    fclose(out);
    ck_assert_str_eq(dump, expected);
    free(dump);
    parsed_free(parsed);
}

static const Stmt *first_statement(const Parsed *parsed) {
    const Decl *decl = parsed->program->modules[0]->decls[0];
    ck_assert_int_eq(decl->kind, DECL_FN);
    ck_assert_int_ge(decl->fn.body->body_count, 1);
    return decl->fn.body->body[0];
}

/* The dump of one expression, parsed as `return EXPRESSION;`. */
static void assert_expr(const char *expression, const char *expected) {
    char source[1024];
    snprintf(source, sizeof source, "fn f() { return %s; }", expression);
    Parsed *parsed = parse_text(source);
    ck_assert_msg(parsed->diag.errors == 0, "%s: unexpected errors:\n%s", expression,
                  parsed_errors(parsed));
    char *dump = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&dump, &size);
    ast_dump_expr(out, first_statement(parsed)->expr);
    fclose(out);
    ck_assert_msg(strcmp(dump, expected) == 0, "%s: got %s, expected %s", expression, dump,
                  expected);
    free(dump);
    parsed_free(parsed);
}

/* The dump of the statements of `fn f() { BODY }`, one per line. */
static void assert_body(const char *body, const char *expected) {
    char source[2048];
    snprintf(source, sizeof source, "fn f() {\n%s\n}", body);
    Parsed *parsed = parse_text(source);
    ck_assert_msg(parsed->diag.errors == 0, "%s: unexpected errors:\n%s", body,
                  parsed_errors(parsed));
    char *dump = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&dump, &size);
    const Stmt *block = parsed->program->modules[0]->decls[0]->fn.body;
    for (int i = 0; i < block->body_count; i++)
        ast_dump_stmt(out, block->body[i], 0);
    fclose(out);
    ck_assert_str_eq(dump, expected);
    free(dump);
    parsed_free(parsed);
}

/* The diagnostics of a program that must fail, and their count. */
static void assert_errors(const char *text, int count, const char *expected) {
    Parsed *parsed = parse_text(text);
    ck_assert_msg(parsed->diag.errors == count, "%d errors expected, got %d:\n%s", count,
                  parsed->diag.errors, parsed_errors(parsed));
    ck_assert_ptr_nonnull(parsed->program);
    if (expected) ck_assert_str_eq(parsed_errors(parsed), expected);
    parsed_free(parsed);
}

/* ---- expressions -------------------------------------------------------- */

START_TEST(literals_and_names) {
    assert_expr("42", "(int 42)");
    assert_expr("0x10", "(int 16)");
    assert_expr("0xFFFF_FFFF_FFFF_FFFF", "(int -1)");
    assert_expr("9223372036854775807", "(int 9223372036854775807)");
    assert_expr("-9223372036854775808", "(int -9223372036854775808)");
    assert_expr("-5", "(int -5)");
    assert_expr("- 5", "(int -5)");
    assert_expr("-x", "(- x)");
    assert_expr("-5.foo", "(- (. (int 5) foo))");
    assert_expr("-(5)", "(- (int 5))");
    assert_expr("2 - 1", "(- (int 2) (int 1))");
    assert_expr("2 -1", "(- (int 2) (int 1))");
    assert_expr("1.5", "(float 1.5)");
    assert_expr("-0.1", "(float -0.1)");
    assert_expr("1e9", "(float 1e+09)");
    assert_expr("3e0", "(float 3.0)");
    assert_expr("'a'", "(char 'a')");
    assert_expr("'\\n'", "(char '\\n')");
    assert_expr("'\\x41'", "(char 'A')");
    assert_expr("'\\xff'", "(char '\\xff')");
    assert_expr("\"a\\tb\\\"\\x00\"", "(str \"a\\tb\\\"\\0\")");
    assert_expr("true", "true");
    assert_expr("false", "false");
    assert_expr("null", "null");
    assert_expr("this", "this");
    assert_expr("name", "name");
}
END_TEST

START_TEST(aggregate_literals) {
    assert_expr("[]", "(list)");
    assert_expr("[1, 2,]", "(list (int 1) (int 2))");
    assert_expr("[[1], []]", "(list (list (int 1)) (list))");
    assert_expr("{}", "(dict)");
    assert_expr("{1: \"a\", 2: \"b\",}", "(dict ((int 1) (str \"a\")) ((int 2) (str \"b\")))");
    assert_expr("{k: {}}", "(dict (k (dict)))");
    assert_expr("(1, 2)", "(tuple (int 1) (int 2))");
    assert_expr("(a, (b, c), d,)", "(tuple a (tuple b c) d)");
    assert_expr("(a)", "a");
    assert_expr("((a))", "a");
    assert_expr("new Tape()", "(new Tape)");
    assert_expr("new Pair(1, x)", "(new Pair (int 1) x)");
}
END_TEST

START_TEST(postfix_and_unary) {
    assert_expr("f()", "(call f)");
    assert_expr("f(a, b)(c)", "(call (call f a b) c)");
    assert_expr("a.b.c(d)", "(call (. (. a b) c) d)");
    assert_expr("a[i][j]", "(index (index a i) j)");
    assert_expr("this.cells[this.pos]", "(index (. this cells) (. this pos))");
    assert_expr("{1: 2}.items()", "(call (. (dict ((int 1) (int 2))) items))");
    assert_expr("x++", "(post++ x)");
    assert_expr("a.b--", "(post-- (. a b))");
    assert_expr("++a[0]", "(pre++ (index a (int 0)))");
    assert_expr("--x", "(pre-- x)");
    assert_expr("!a", "(! a)");
    assert_expr("~a", "(~ a)");
    assert_expr("+a", "(+ a)");
    assert_expr("- -a", "(- (- a))");
    assert_expr("!!a", "(! (! a))");
    assert_expr("-a.b[c]()", "(- (call (index (. a b) c)))");
}
END_TEST

START_TEST(binary_precedence_follows_c) {
    assert_expr("a || b && c", "(|| a (&& b c))");
    assert_expr("a && b | c", "(&& a (| b c))");
    assert_expr("a | b ^ c", "(| a (^ b c))");
    assert_expr("a ^ b & c", "(^ a (& b c))");
    assert_expr("a & b == c", "(& a (== b c))");
    assert_expr("a == b < c", "(== a (< b c))");
    assert_expr("a != b >= c", "(!= a (>= b c))");
    assert_expr("a < b << c", "(< a (<< b c))");
    assert_expr("a >> b + c", "(>> a (+ b c))");
    assert_expr("a + b * c", "(+ a (* b c))");
    assert_expr("a - b % c", "(- a (% b c))");
    assert_expr("a * b / c % d", "(% (/ (* a b) c) d)");
    assert_expr("a - b - c", "(- (- a b) c)");
    assert_expr("a || b || c", "(|| (|| a b) c)");
    assert_expr("a * b + c * d", "(+ (* a b) (* c d))");
    assert_expr("(a + b) * c", "(* (+ a b) c)");
    assert_expr("-a * b", "(* (- a) b)");
    assert_expr("!a == b", "(== (! a) b)");
    assert_expr("a <= b == c > d", "(== (<= a b) (> c d))");
}
END_TEST

START_TEST(is_and_as_bind_like_relational_operators) {
    assert_expr("e is Foo", "(is e Foo)");
    assert_expr("e as Foo", "(as e Foo)");
    assert_expr("a + b is C", "(is (+ a b) C)");
    assert_expr("x is A == y", "(== (is x A) y)");
    assert_expr("x is A && y is B", "(&& (is x A) (is y B))");
    assert_expr("(e as Foo).x", "(. (as e Foo) x)");
    assert_expr("a < b is C", "(is (< a b) C)");
}
END_TEST

START_TEST(conditional_and_assignment_are_right_associative) {
    assert_expr("a ? b : c", "(? a b c)");
    assert_expr("a ? b : c ? d : e", "(? a b (? c d e))");
    assert_expr("a ? b ? c : d : e", "(? a (? b c d) e)");
    assert_expr("a || b ? c + 1 : d", "(? (|| a b) (+ c (int 1)) d)");
    assert_expr("x = y = z", "(= x (= y z))");
    assert_expr("x = a ? b : c", "(= x (? a b c))");
    assert_expr("x += y -= 2", "(+= x (-= y (int 2)))");
    assert_expr("a.b[c] *= 2", "(*= (index (. a b) c) (int 2))");
    static const char *const operators[] = {
        "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "="};
    for (size_t i = 0; i < sizeof operators / sizeof operators[0]; i++) {
        char source[32], expected[32];
        snprintf(source, sizeof source, "x %s 1", operators[i]);
        snprintf(expected, sizeof expected, "(%s x (int 1))", operators[i]);
        assert_expr(source, expected);
    }
}
END_TEST

START_TEST(operator_text_table) {
    ck_assert_str_eq(ast_operator_text[OP_OR], "||");
    ck_assert_str_eq(ast_operator_text[OP_SHR], ">>");
    ck_assert_str_eq(ast_operator_text[OP_NEG], "-");
    ck_assert_str_eq(ast_operator_text[OP_INVERT], "~");
    ck_assert_str_eq(ast_operator_text[OP_ASSIGN], "=");
    for (int op = 0; op < OP__COUNT; op++)
        ck_assert_ptr_nonnull(ast_operator_text[op]);
}
END_TEST

/* ---- statements ---------------------------------------------------------- */

START_TEST(variables_and_unpacking) {
    assert_body("var x;\nvar y = 1;\nvar z: int;\nvar w: list<list<int>>= [];\n"
                "var (a, b) = t;\nvar (p, q, r,) = (1, 2, 3);",
                "(var x)\n"
                "(var y = (int 1))\n"
                "(var z : int)\n"
                "(var w : list<list<int>> = (list))\n"
                "(var (a b) = t)\n"
                "(var (p q r) = (tuple (int 1) (int 2) (int 3)))\n");
}
END_TEST

START_TEST(if_else_and_dangling_else) {
    assert_body("if (a) b(); else c();\nif (a) if (b) x = 1; else x = 2;\n"
                "if (a) { } else if (b) { } else { }",
                "(if a\n"
                "  (call b)\n"
                "  (call c))\n"
                "(if a\n"
                "  (if b\n"
                "    (= x (int 1))\n"
                "    (= x (int 2))))\n"
                "(if a\n"
                "  (block)\n"
                "  (if b\n"
                "    (block)\n"
                "    (block)))\n");
}
END_TEST

START_TEST(loops) {
    assert_body("while (i < n) i++;\ndo { i--; } while (i > 0);\n"
                "for (var i = 0; i < 10; i++) ;\nfor (;;) break;\nfor (i = 0; ; ) continue;\n"
                "for (var i: int = 0; i < n; i += 2) {}\n",
                "(while (< i n)\n"
                "  (post++ i))\n"
                "(do-while (> i (int 0))\n"
                "  (block\n"
                "    (post-- i)))\n"
                "(for (var i = (int 0)) (< i (int 10)) (post++ i)\n"
                "  (empty))\n"
                "(for _ _ _\n"
                "  (break))\n"
                "(for (= i (int 0)) _ _\n"
                "  (continue))\n"
                "(for (var i : int = (int 0)) (< i n) (+= i (int 2))\n"
                "  (block))\n");
    assert_body("for (var x : xs) print(x);\nfor (var (k, v) : d.items()) {}\n"
                "for (var c : \"abc\") {}\nfor (var (a, b) = t; a; ) {}\n"
                "for (var k : {1: 2}.keys()) {}",
                "(for-each x xs\n"
                "  (call print x))\n"
                "(for-each (k v) (call (. d items))\n"
                "  (block))\n"
                "(for-each c (str \"abc\")\n"
                "  (block))\n"
                "(for (var (a b) = t) a _\n"
                "  (block))\n"
                "(for-each k (call (. (dict ((int 1) (int 2))) keys))\n"
                "  (block))\n");
}
END_TEST

START_TEST(switch_cases_are_statement_lists) {
    assert_body("switch (program[pc]) {\n"
                "    case '+': tape.add(1); pc += 1;\n"
                "    case '-', '_': { }\n"
                "    case 3:\n"
                "    default: break;\n"
                "}\nswitch (x) { }",
                "(switch (index program pc)\n"
                "  (case (char '+')\n"
                "    (call (. tape add) (int 1))\n"
                "    (+= pc (int 1)))\n"
                "  (case (char '-') (char '_')\n"
                "    (block))\n"
                "  (case (int 3))\n"
                "  (default\n"
                "    (break)))\n"
                "(switch x)\n");
}
END_TEST

START_TEST(try_throw_atomic_and_jumps) {
    assert_body("try { throw new ValueError(\"x\"); } catch (ValueError e) { } "
                "catch (Exception) { } finally { return; }\n"
                "try { } finally { }\ntry { } catch (E e) { }\n"
                "atomic { x.count += 1; }\nreturn x + 1;\n;",
                "(try\n"
                "  (block\n"
                "    (throw (new ValueError (str \"x\"))))\n"
                "  (catch ValueError e\n"
                "    (block))\n"
                "  (catch Exception\n"
                "    (block))\n"
                "  (finally\n"
                "    (block\n"
                "      (return))))\n"
                "(try\n"
                "  (block)\n"
                "  (finally\n"
                "    (block)))\n"
                "(try\n"
                "  (block)\n"
                "  (catch E e\n"
                "    (block)))\n"
                "(atomic\n"
                "  (block\n"
                "    (+= (. x count) (int 1))))\n"
                "(return (+ x (int 1)))\n"
                "(empty)\n");
}
END_TEST

/* ---- declarations -------------------------------------------------------- */

START_TEST(top_level_declarations) {
    assert_module_dump("import \"lib/strings.kc\";\n"
                       "const WORD = 8;\nconst MASK: int = 0xff;\n"
                       "var table = build_table();\nvar counter: int;\nvar empty;\n"
                       "jitdriver BF(greens: pc, program, targets; reds: tape);\n"
                       "jitdriver Empty(greens: ; reds: a);\n",
                       "(module \"test.kc\"\n"
                       "  (import \"lib/strings.kc\")\n"
                       "  (const WORD = (int 8))\n"
                       "  (const MASK : int = (int 255))\n"
                       "  (var table = (call build_table))\n"
                       "  (var counter : int)\n"
                       "  (var empty)\n"
                       "  (jitdriver BF (greens pc program targets) (reds tape))\n"
                       "  (jitdriver Empty (greens) (reds a)))\n");
}
END_TEST

START_TEST(functions_externs_and_attributes) {
    assert_dump("fn name(a, b: int) -> float { }\n"
                "fn main(args: list<str>) -> int { return 0; }\n"
                "fn none() {}\n"
                "@elidable fn lookup(k) { }\n"
                "@specialize @unroll_safe fn first(xs,) { return xs[0]; }\n"
                "extern fn c_sqrt(x: float) -> float = \"sqrt\";\n"
                "@elidable extern fn c_abs(x: int) -> int = \"labs\";\n"
                "extern fn c_exit(code: int) -> void = \"exit\";\n",
                "(module \"test.kc\"\n"
                "  (fn name (params a (b int)) (result float)\n"
                "    (block))\n"
                "  (fn main (params (args list<str>)) (result int)\n"
                "    (block\n"
                "      (return (int 0))))\n"
                "  (fn none (params)\n"
                "    (block))\n"
                "  (fn lookup (attributes elidable) (params k)\n"
                "    (block))\n"
                "  (fn first (attributes specialize unroll_safe) (params xs)\n"
                "    (block\n"
                "      (return (index xs (int 0)))))\n"
                "  (extern c_sqrt (params (x float)) (result float) \"sqrt\")\n"
                "  (extern c_abs (attributes elidable) (params (x int)) (result int) \"labs\")\n"
                "  (extern c_exit (params (code int)) (result void) \"exit\"))\n");
}
END_TEST

START_TEST(classes) {
    assert_dump("class Tape {\n"
                "    var cells;\n"
                "    fn init() { this.pos = 0; }\n"
                "    var pos: int;\n"
                "    @elidable fn get() -> int { return this.pos; }\n"
                "}\n"
                "class Empty : Exception {}\n"
                "@virtualizable(pc, stack) class Frame { var pc; var stack; }\n",
                "(module \"test.kc\"\n"
                "  (class Tape\n"
                "    (field cells)\n"
                "    (field pos : int)\n"
                "    (fn init (params)\n"
                "      (block\n"
                "        (= (. this pos) (int 0))))\n"
                "    (fn get (attributes elidable) (params) (result int)\n"
                "      (block\n"
                "        (return (. this pos)))))\n"
                "  (class Empty (base Exception))\n"
                "  (class Frame (attributes (virtualizable pc stack))\n"
                "    (field pc)\n"
                "    (field stack)))\n");
}
END_TEST

START_TEST(type_annotations) {
    assert_dump("fn f(a: int, b: float, c: bool, d: char, e: str, g: Tape, h: list<int>,\n"
                "      i: dict<str, list<int>>, j: (int, str), k: fn(int, str) -> bool,\n"
                "      l: fn(), m: list<list<list<int>>>, n: dict<(int, int), fn() -> int>,\n"
                "      o: list<(int, list<str>)>) -> void { }\n",
                "(module \"test.kc\"\n"
                "  (fn f (params (a int) (b float) (c bool) (d char) (e str) (g Tape) "
                "(h list<int>) (i dict<str,list<int>>) (j (int,str)) (k fn(int,str)->bool) "
                "(l fn()) (m list<list<list<int>>>) (n dict<(int,int),fn()->int>) "
                "(o list<(int,list<str>)>)) (result void)\n"
                "    (block)))\n");
}
END_TEST

START_TEST(node_positions) {
    Parsed *parsed = parse_text("fn f() {\n    x = a.b(c) + d[e];\n    var y = -5;\n}\n");
    ck_assert_int_eq(parsed->diag.errors, 0);
    const Decl *decl = parsed->program->modules[0]->decls[0];
    ck_assert_int_eq(decl->pos.line, 1);
    ck_assert_int_eq(decl->pos.col, 1);
    ck_assert_int_eq(decl->name_pos.col, 4);
    ck_assert_int_eq(decl->fn.end_pos.line, 4);
    ck_assert_int_eq(decl->fn.end_pos.col, 1);
    const Stmt *stmt = decl->fn.body->body[0];
    ck_assert_int_eq(stmt->pos.line, 2);
    ck_assert_int_eq(stmt->pos.col, 5);
    const Expr *assign = stmt->expr;
    ck_assert_int_eq(assign->pos.col, 7); /* the operator */
    const Expr *sum = assign->right;
    ck_assert_int_eq(sum->pos.col, 16);
    ck_assert_int_eq(sum->left->kind, EXPR_CALL);
    ck_assert_int_eq(sum->left->pos.col, 11);       /* a call: its callee */
    ck_assert_int_eq(sum->left->left->pos.col, 11); /* a member: the name */
    ck_assert_int_eq(sum->left->left->left->pos.col, 9);
    ck_assert_int_eq(sum->right->pos.col, 19); /* an index: the '[' */
    const Stmt *var = decl->fn.body->body[1];
    ck_assert_int_eq(var->name_pos[0].col, 9);
    ck_assert_int_eq(var->expr->pos.col, 13);
    ck_assert_int_eq(var->expr->pos.length, 2);
    parsed_free(parsed);
}
END_TEST

START_TEST(language_design_first_look_parses) {
    /* language.md §1, whole. */
    static const char source[] =
        "jitdriver BF(greens: pc, program, targets; reds: tape);\n"
        "class Tape {\n"
        "    var cells;\n"
        "    var pos: int;\n"
        "    fn init() { this.cells = newlist(30000, 0); this.pos = 0; }\n"
        "    fn get() { return this.cells[this.pos]; }\n"
        "    fn add(n) { this.cells[this.pos] = (this.cells[this.pos] + n) & 255; }\n"
        "}\n"
        "fn match_brackets(program: str) {\n"
        "    var targets = newlist(len(program), 0);\n"
        "    var stack = [];\n"
        "    for (var i = 0; i < len(program); i++) {\n"
        "        if (program[i] == '[') stack.append(i);\n"
        "        else if (program[i] == ']') {\n"
        "            if (len(stack) == 0) throw new ValueError(\"unmatched ]\");\n"
        "            var open = stack.pop();\n"
        "            targets[open] = i; targets[i] = open;\n"
        "        }\n"
        "    }\n"
        "    return targets;\n"
        "}\n"
        "fn run(program, targets) {\n"
        "    var tape = new Tape();\n"
        "    var pc = 0;\n"
        "    while (pc < len(program)) {\n"
        "        jit_merge_point(BF, pc, program, targets, tape);\n"
        "        switch (program[pc]) {\n"
        "            case '+': tape.add(1);\n"
        "            case '.': write_byte(1, tape.get());\n"
        "            case ']': if (tape.get() != 0) { pc = targets[pc]; "
        "can_enter_jit(BF, pc, program, targets, tape); }\n"
        "        }\n"
        "        pc += 1;\n"
        "    }\n"
        "}\n"
        "fn main(args: list<str>) -> int {\n"
        "    if (len(args) < 2) { print(\"usage: bf FILE\"); return 2; }\n"
        "    var program = read_file(args[1]);\n"
        "    run(program, match_brackets(program));\n"
        "    return 0;\n"
        "}\n"
        "fn threads(worker, arg, x) {\n"
        "    var t = thread_start(worker, arg);   thread_join(t);\n"
        "    atomic { x.count += 1; }\n"
        "    transaction_add(worker, arg);\n"
        "    transaction_run();\n"
        "    become_inevitable();\n"
        "    var k = promote(x);\n"
        "    if (we_are_jitted()) return;\n"
        "}\n";
    Parsed *parsed = parse_text(source);
    ck_assert_msg(parsed->diag.errors == 0, "%s", parsed_errors(parsed));
    ck_assert_int_eq(parsed->program->module_count, 1);
    ck_assert_int_eq(parsed->program->modules[0]->decl_count, 6);
    parsed_free(parsed);
}
END_TEST

/* ---- errors --------------------------------------------------------------- */

START_TEST(error_messages_say_what_was_expected_and_found) {
    assert_errors("fn main() {\n    f(a, b {\n    }\n}\n", 1,
                  "test.kc:2:12: error: expected ')' after arguments, found '{'\n"
                  "        f(a, b {\n"
                  "               ^\n");
    assert_errors("fn main() {\n    x = 1\n    y = 2;\n}\n", 1,
                  "test.kc:2:10: error: expected ';' after expression, found identifier 'y'\n"
                  "        x = 1\n"
                  "             ^\n");
    assert_errors("fn main() { x = 1 y = 2; }", 1,
                  "test.kc:1:19: error: expected ';' after expression, found identifier 'y'\n"
                  "    fn main() { x = 1 y = 2; }\n"
                  "                      ^\n");
    assert_errors("fn main() { return x }", 1,
                  "test.kc:1:21: error: expected ';' after return statement, found '}'\n"
                  "    fn main() { return x }\n"
                  "                        ^\n");
    assert_errors("fn main() {\n", 1,
                  "test.kc:1:12: error: expected '}' at end of block, found end of file\n"
                  "    fn main() {\n"
                  "               ^\n"
                  "  the '{' at line 1, column 11 is not closed\n");
    assert_errors("fn main() { int x = 1; }", 1,
                  "test.kc:1:17: error: expected ';' after expression, found identifier 'x'\n"
                  "    fn main() { int x = 1; }\n"
                  "                    ^\n"
                  "  variables are declared with 'var NAME = value;'\n");
    assert_errors("print(1);", 1,
                  "test.kc:1:1: error: expected a declaration (fn, class, var, const, import, "
                  "extern or jitdriver), found identifier 'print'\n"
                  "    print(1);\n"
                  "    ^~~~~\n");
}
END_TEST

START_TEST(invalid_constructs_are_reported) {
    static const struct {
        const char *source;
        const char *first_line;
    } cases[] = {
        {"fn f() { 1 = x; }", "test.kc:1:12: error: the left side of '=' must be a variable, a "
                              "field or an element"},
        {"fn f() { f() += 1; }", "test.kc:1:14: error: the left side of '+=' must be a variable, "
                                 "a field or an element"},
        {"fn f() { 3++; }", "test.kc:1:11: error: '++' needs a variable, a field or an element "
                            "to change"},
        {"fn f() { --g(); }", "test.kc:1:10: error: '--' needs a variable, a field or an element "
                              "to change"},
        {"fn f() { return 9223372036854775808; }",
         "test.kc:1:17: error: integer literal 9223372036854775808 is too large for int (the "
         "largest is 9223372036854775807)"},
        {"fn f() { return (1,); }", "test.kc:1:17: error: a tuple needs at least two elements"},
        {"fn f(x: (int)) { }", "test.kc:1:9: error: a tuple type needs at least two element types"},
        {"fn f() { var (a) = t; }", "test.kc:1:14: error: unpacking needs at least two names"},
        {"extern fn g(x) -> int = \"g\";",
         "test.kc:1:13: error: parameter 'x' of extern function 'g' needs a type"},
        {"extern fn g(x: int) = \"g\";",
         "test.kc:1:21: error: extern function 'g' needs a result type ('-> T', '-> void')"},
        {"extern fn g(x: int) -> int;",
         "test.kc:1:27: error: expected '=' and the C symbol name after an extern function, "
         "found ';'"},
        {"class A { var x = 1; }",
         "test.kc:1:17: error: a field cannot have an initializer; assign it in init()"},
        {"fn f() { switch (x) { default: default: } }",
         "test.kc:1:32: error: a switch has only one 'default'"},
        {"fn f() { switch (x) { f(); case 1: } }",
         "test.kc:1:23: error: expected 'case' or 'default' in switch body, found identifier 'f'"},
        {"fn f() { try { } }",
         "test.kc:1:18: error: expected 'catch' or 'finally' after the try block, found '}'"},
        {"fn f() { case 1: }", "test.kc:1:10: error: case label outside of a switch"},
        {"fn f() { else x; }", "test.kc:1:10: error: 'else' without a matching 'if'"},
        {"@elidable var x;",
         "test.kc:1:11: error: expected 'fn', 'extern' or 'class' after attributes, found 'var'"},
        {"const X;", "test.kc:1:8: error: expected '=' and a value after the constant name, found "
                     "';'"},
        {"jitdriver J(reds: a);", "test.kc:1:13: error: expected 'greens:' in jitdriver, found "
                                  "identifier 'reds'"},
        {"import foo;", "test.kc:1:8: error: expected a file name string after 'import', found "
                        "identifier 'foo'"},
        {"var x: list = 1;", "test.kc:1:13: error: expected '<' after 'list', found '='"},
        {"var x: dict<int> = 1;",
         "test.kc:1:16: error: expected ',' after the key type of 'dict', found '>'"},
        {"fn f() { x = a ? b; }",
         "test.kc:1:19: error: expected ':' in conditional expression, found ';'"},
        {"fn f() { x = e is 5; }",
         "test.kc:1:19: error: expected class name after 'is', found number '5'"},
        {"fn f() { x = new 5; }",
         "test.kc:1:18: error: expected class name after 'new', found number '5'"},
        {"fn f() { x = a.; }",
         "test.kc:1:16: error: expected field or method name after '.', found ';'"},
        {"fn f() { for (var x in xs) {} }",
         "test.kc:1:21: error: expected ';' after the loop initializer, found identifier 'in'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Parsed *parsed = parse_text(cases[i].source);
        ck_assert_msg(parsed->diag.errors == 1, "%s: one error expected:\n%s", cases[i].source,
                      parsed_errors(parsed));
        char line[512] = "";
        sscanf(parsed_errors(parsed), "%511[^\n]", line);
        ck_assert_msg(strcmp(line, cases[i].first_line) == 0, "%s:\n got %s\nwant %s",
                      cases[i].source, line, cases[i].first_line);
        parsed_free(parsed);
    }
}
END_TEST

START_TEST(recovery_reports_one_error_per_broken_statement) {
    assert_errors("fn main() {\n"
                  "    var a = ;\n"
                  "    var b = (1 + ;\n"
                  "    f(1, 2;\n"
                  "    if x > 0 { print(x); }\n"
                  "    while (x {\n"
                  "        x--;\n"
                  "    }\n"
                  "    var d = {1: 2 3};\n"
                  "    good();\n"
                  "    return x\n"
                  "}\n"
                  "fn second(a b) { y = = 1; z = 2; }\n"
                  "class C {\n"
                  "    var x\n"
                  "    fn m() { return 1 }\n"
                  "    print(2);\n"
                  "}\n"
                  "var g = 1 2;\n"
                  "fn last() { }\n",
                  13, NULL);
}
END_TEST

START_TEST(recovery_closes_blocks_before_the_next_declaration) {
    Parsed *parsed = parse_text("fn a() {\n    if (x) {\n        y();\n}\n"
                                "fn b() { return 1; }\n");
    ck_assert_int_eq(parsed->diag.errors, 1);
    ck_assert_ptr_nonnull(strstr(parsed_errors(parsed),
                                 "test.kc:5:1: error: expected '}' at end of block, found 'fn'"));
    ck_assert_int_eq(parsed->program->modules[0]->decl_count, 2);
    ck_assert_str_eq(parsed->program->modules[0]->decls[1]->name, "b");
    parsed_free(parsed);
}
END_TEST

START_TEST(statements_that_lost_their_function_are_one_error) {
    /* The body's '{' is missing: its statements stand at the top level. */
    assert_errors("fn f()\n    var x = 1;\n    for (;;) {}\n    return x;\n}\nfn g() { }\n", 1,
                  "test.kc:2:5: error: expected '{' to start the function body, found 'var'\n"
                  "        var x = 1;\n"
                  "        ^~~\n");
    /* A stray '}' ends the function early. */
    assert_errors("fn f() {\n    x = 1; }\n    y = 2;\n    while (x) { }\n}\nfn g() { }\n", 1,
                  NULL);
    /* Orphan case labels and try clauses: one error each per block. */
    assert_errors("fn f() {\n    case 3: x(); case 4: y();\n    try {} catch (E e) {}\n"
                  "    x();\n    catch (G g) {} finally {}\n}\n",
                  2, NULL);
}
END_TEST

START_TEST(lexical_errors_do_not_cascade) {
    assert_errors("fn main() {\n    var a = 0x;\n    var b = \"open;\n    var c = $;\n"
                  "    var d = '';\n    var e = 1;\n}\n",
                  4, NULL);
    assert_errors("fn main() { /* never closed", 1,
                  "test.kc:1:13: error: unterminated comment ('/*' without '*/')\n"
                  "    fn main() { /* never closed\n"
                  "                ^~\n");
}
END_TEST

START_TEST(garbage_never_crashes_or_hangs) {
    static const char *const inputs[] = {
        "",
        "}",
        "}}}{{{",
        ")",
        "fn",
        "fn (",
        "fn f(",
        "fn f() {",
        "class",
        "class {",
        "class A { fn",
        "@",
        "@@@",
        "import",
        "import \"",
        "var",
        "var (",
        "for (var",
        "for (var x :",
        "for (var (",
        "switch (x) { case",
        "try",
        "try {} catch (",
        "x = [1, 2",
        "{1:",
        "(((",
        "a ? b",
        "new",
        "extern fn",
        "jitdriver J(greens: a;",
        "fn f() { for (;;) }",
        "fn f() { if }",
        "fn f() { do }",
        "fn f() { switch }",
        "fn f() { x = {1: 2 3 4: 5}; }",
        "fn f(a: list<list<int>) {}",
        "fn f(a: fn(int -> ) {}",
        "fn f() { for(var x:for(var y:for(var z: ) ) ) }",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        Parsed *parsed = parse_text(inputs[i]);
        ck_assert_ptr_nonnull(parsed->program);
        if (inputs[i][0]) ck_assert_msg(parsed->diag.errors >= 1, "%s: an error", inputs[i]);
        ck_assert_msg(parsed->diag.errors <= 3, "%s: no cascade:\n%s", inputs[i],
                      parsed_errors(parsed));
        FILE *sink = fopen("/dev/null", "w");
        ast_dump_program(sink, &parsed->diag, parsed->program);
        fclose(sink);
        parsed_free(parsed);
    }
}
END_TEST

/* `count` copies of `open`, an operand, then `count` copies of `close`. */
static char *nested(const char *prefix, const char *open, const char *middle, const char *close,
                    const char *suffix, int count) {
    size_t size = strlen(prefix) + strlen(suffix) + strlen(middle) +
                  (strlen(open) + strlen(close)) * (size_t)count + 1;
    char *text = malloc(size);
    strcpy(text, prefix);
    for (int i = 0; i < count; i++)
        strcat(text, open);
    strcat(text, middle);
    for (int i = 0; i < count; i++)
        strcat(text, close);
    strcat(text, suffix);
    return text;
}

START_TEST(nesting_is_limited_without_crashing) {
    static const struct {
        const char *prefix, *open, *middle, *close, *suffix;
    } shapes[] = {
        {"fn f() { x = ", "(", "1", ")", "; }"},
        {"fn f() { x = ", "[", "1", "]", "; }"},
        {"fn f() { x = ", "- ", "y", "", "; }"},
        {"fn f() { x = ", "!", "y", "", "; }"},
        {"fn f() ", "{", "", "}", ""},
        {"fn f() { ", "if (x) ", "y();", "", " }"},
        {"fn f() { x = ", "a ? b : ", "c", "", "; }"},
        {"fn f() { ", "x = ", "1", "", "; }"},
        {"var x: ", "list<", "int", ">", ";"},
        {"fn f() { x = ", "{1: ", "2", "}", "; }"},
        {"fn f() { x = ", "f(", "", ")", "; }"},
        {"fn f() { x = 1", " + 1", "", "", "; }"},  /* left-deep operator chains */
        {"fn f() { x = a", ".b", "", "", "; }"},    /* and postfix chains */
        {"fn f() { x = g", "()", "", "", "; }"},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        /* Deep but allowed. */
        char *text = nested(shapes[i].prefix, shapes[i].open, shapes[i].middle, shapes[i].close,
                            shapes[i].suffix, 100);
        Parsed *parsed = parse_text(text);
        ck_assert_msg(parsed->diag.errors == 0, "shape %zu at depth 100:\n%s", i,
                      parsed_errors(parsed));
        parsed_free(parsed);
        free(text);
        /* Far too deep: one clear error. */
        text = nested(shapes[i].prefix, shapes[i].open, shapes[i].middle, shapes[i].close,
                      shapes[i].suffix, 5000);
        parsed = parse_text(text);
        ck_assert_msg(parsed->diag.errors == 1, "shape %zu: one error:\n%.300s", i,
                      parsed_errors(parsed));
        ck_assert_ptr_nonnull(strstr(parsed_errors(parsed), "error: nesting too deep"));
        parsed_free(parsed);
        free(text);
    }
}
END_TEST

/* ---- imports --------------------------------------------------------------- */

static void write_file(const char *path, const char *text) {
    FILE *file = fopen(path, "w");
    ck_assert_ptr_nonnull(file);
    fputs(text, file);
    fclose(file);
}

/* A fresh temporary folder with main.kc, sub/a.kc, sub/b.kc, lib/util.kc. */
static char *import_fixture(void) {
    char *root = strdup("/tmp/kiln-parse-######");
    /* mkdtemp replaces a template's last six characters, which must be 'X'. */
    for (char *mark = strchr(root, '#'); *mark; mark++)
        *mark = 'X';
    ck_assert_ptr_nonnull(mkdtemp(root));
    char path[512];
    snprintf(path, sizeof path, "%s/sub", root);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/lib", root);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/main.kc", root);
    write_file(path, "import \"sub/a.kc\";\nimport \"sub/b.kc\";\nfn main() { }\n");
    snprintf(path, sizeof path, "%s/sub/a.kc", root);
    write_file(path, "import \"b.kc\";\nimport \"util.kc\";\nfn a() { }\n");
    snprintf(path, sizeof path, "%s/sub/b.kc", root);
    write_file(path, "import \"a.kc\";\nimport \"../sub/b.kc\";\nfn b() { }\n");
    snprintf(path, sizeof path, "%s/lib/util.kc", root);
    write_file(path, "fn util() { }\n");
    return root;
}

static void remove_fixture(char *root) {
    static const char *const files[] = {"main.kc", "sub/a.kc", "sub/b.kc", "lib/util.kc",
                                        "sub",     "lib",      ""};
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", root, files[i]);
        remove(path);
    }
    free(root);
}

START_TEST(imports_resolve_relative_then_search_path_once_each) {
    char *root = import_fixture();
    char main_path[512], lib[512];
    snprintf(main_path, sizeof main_path, "%s/main.kc", root);
    snprintf(lib, sizeof lib, "%s/lib", root);
    const char *search_paths[] = {"/nonexistent-kiln-folder", lib};
    Parsed *parsed = parsed_new();
    ParseContext context = parsed_context(parsed, search_paths, 2);
    parsed->program = parse_program(&context, main_path);
    fflush(parsed->diag.out);
    ck_assert_msg(parsed->diag.errors == 0, "%s", parsed_errors(parsed));
    ck_assert_int_eq(parsed->program->module_count, 4);
    static const char *const suffixes[] = {"/main.kc", "/sub/a.kc", "/sub/b.kc", "/lib/util.kc"};
    static const char *const functions[] = {"main", "a", "b", "util"};
    for (int i = 0; i < 4; i++) {
        const AstModule *module = parsed->program->modules[i];
        const char *path = module->path;
        size_t length = strlen(path), suffix = strlen(suffixes[i]);
        ck_assert_msg(length > suffix && strcmp(path + length - suffix, suffixes[i]) == 0,
                      "module %d is %s", i, path);
        ck_assert_str_eq(module->decls[module->decl_count - 1]->name, functions[i]);
    }
    parsed_free(parsed);
    remove_fixture(root);
}
END_TEST

START_TEST(missing_imports_are_reported_at_the_import) {
    char *root = import_fixture();
    char main_path[512];
    snprintf(main_path, sizeof main_path, "%s/main.kc", root);
    Parsed *parsed = parsed_new();
    ParseContext context = parsed_context(parsed, NULL, 0);
    parsed->program = parse_program(&context, main_path);
    fflush(parsed->diag.out);
    /* Without the search path, sub/a.kc cannot find util.kc. */
    ck_assert_int_eq(parsed->diag.errors, 1);
    char expected[1024];
    snprintf(expected, sizeof expected,
             "%s/sub/a.kc:2:8: error: cannot find import \"util.kc\"\n"
             "    import \"util.kc\";\n"
             "           ^~~~~~~~~\n"
             "  looked for it at: %s/sub/util.kc\n",
             root, root);
    ck_assert_str_eq(parsed_errors(parsed), expected);
    ck_assert_int_eq(parsed->program->module_count, 3);
    parsed_free(parsed);
    remove_fixture(root);
}
END_TEST

START_TEST(program_text_imports_relative_to_its_path) {
    char *root = import_fixture();
    char virtual_path[512];
    snprintf(virtual_path, sizeof virtual_path, "%s/sub/virtual.kc", root);
    Parsed *parsed = parsed_new();
    ParseContext context = parsed_context(parsed, NULL, 0);
    const char *text = "import \"b.kc\"; import \"missing.kc\"; fn main() {}";
    parsed->program = parse_program_text(&context, virtual_path, text, (int)strlen(text));
    fflush(parsed->diag.out);
    ck_assert_int_eq(parsed->diag.errors, 2); /* missing.kc, and util.kc from a.kc */
    ck_assert_int_eq(parsed->program->module_count, 3);
    ck_assert_str_eq(parsed->program->modules[0]->path, virtual_path);
    ck_assert_ptr_nonnull(strstr(parsed_errors(parsed), "cannot find import \"missing.kc\""));
    parsed_free(parsed);
    remove_fixture(root);
}
END_TEST

START_TEST(unreadable_main_file_gives_null) {
    Parsed *parsed = parsed_new();
    ParseContext context = parsed_context(parsed, NULL, 0);
    ck_assert_ptr_null(parse_program(&context, "/nonexistent-kiln-folder/x.kc"));
    ck_assert_int_eq(parsed->diag.errors, 1);
    parsed_free(parsed);
}
END_TEST

static Suite *parser_suite(void) {
    Suite *suite = suite_create("parser");
    TCase *expressions = tcase_create("expressions");
    tcase_add_test(expressions, literals_and_names);
    tcase_add_test(expressions, aggregate_literals);
    tcase_add_test(expressions, postfix_and_unary);
    tcase_add_test(expressions, binary_precedence_follows_c);
    tcase_add_test(expressions, is_and_as_bind_like_relational_operators);
    tcase_add_test(expressions, conditional_and_assignment_are_right_associative);
    tcase_add_test(expressions, operator_text_table);
    suite_add_tcase(suite, expressions);
    TCase *statements = tcase_create("statements");
    tcase_add_test(statements, variables_and_unpacking);
    tcase_add_test(statements, if_else_and_dangling_else);
    tcase_add_test(statements, loops);
    tcase_add_test(statements, switch_cases_are_statement_lists);
    tcase_add_test(statements, try_throw_atomic_and_jumps);
    suite_add_tcase(suite, statements);
    TCase *declarations = tcase_create("declarations");
    tcase_add_test(declarations, top_level_declarations);
    tcase_add_test(declarations, functions_externs_and_attributes);
    tcase_add_test(declarations, classes);
    tcase_add_test(declarations, type_annotations);
    tcase_add_test(declarations, node_positions);
    tcase_add_test(declarations, language_design_first_look_parses);
    suite_add_tcase(suite, declarations);
    TCase *errors = tcase_create("errors");
    tcase_set_timeout(errors, 60);
    tcase_add_test(errors, error_messages_say_what_was_expected_and_found);
    tcase_add_test(errors, invalid_constructs_are_reported);
    tcase_add_test(errors, recovery_reports_one_error_per_broken_statement);
    tcase_add_test(errors, recovery_closes_blocks_before_the_next_declaration);
    tcase_add_test(errors, statements_that_lost_their_function_are_one_error);
    tcase_add_test(errors, lexical_errors_do_not_cascade);
    tcase_add_test(errors, garbage_never_crashes_or_hangs);
    tcase_add_test(errors, nesting_is_limited_without_crashing);
    suite_add_tcase(suite, errors);
    TCase *imports = tcase_create("imports");
    tcase_add_test(imports, imports_resolve_relative_then_search_path_once_each);
    tcase_add_test(imports, missing_imports_are_reported_at_the_import);
    tcase_add_test(imports, program_text_imports_relative_to_its_path);
    tcase_add_test(imports, unreadable_main_file_gives_null);
    suite_add_tcase(suite, imports);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(parser_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
