/* c_low.c - the functions of a LowProgram as C, printed mechanically from
 * the low-level graphs: one C function per LowFunc, one C local rN per
 * register, a label bN per block that some goto names, one statement per
 * instruction and per terminator.
 *
 * Expects: a LowProgram that low_verify accepts.  Looks at nothing but the
 * LowProgram (no flow graphs, annotations or rtype), so what the C backend
 * prints is what the LLVM backend builds.  Produces readable C: the
 * machine types spelled int64_t, double and void *, loads and stores as
 * array accesses where the offset allows, `#line` directives naming the
 * .kc source before each statement whose position differs from the line
 * the C compiler would otherwise assume.  Breaks: nothing.
 *
 * The printed code relies on what gcc and clang define where C leaves it
 * to the implementation: >> of a negative int64_t is arithmetic, and a
 * uint64_t converts to int64_t modulo 2^64 (the wrapping arithmetic goes
 * through uint64_t); and on -fno-strict-aliasing, which `kiln build`
 * passes (a word of an object is read at several types). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "c_internal.h"

/* The printing of one function. */
typedef struct CLowWriter {
    FILE *out; /* a memstream over buffer/size, copied to the caller's file */
    char *buffer;
    size_t size;
    const LowProgram *low;
    const LowFunc *func;
    const DiagContext *diag;
    bool line_directives;
    CLowStrings *strings;
    bool *labels; /* per block: some printed goto names it */
    /* The line the C compiler assigns to the next line printed: the last
     * `#line` (in line_file; -1 before the first) plus the newlines
     * printed since, counted up to `scanned` bytes of buffer. */
    int line_file;
    int line;
    size_t scanned;
} CLowWriter;

/* How a terminator that jumps is printed, the next block (block + 1)
 * being reached by falling through. */
typedef struct CLowJumps {
    bool conditional; /* `if (...) goto first;` */
    bool inverted;    /* the condition negated (a branch whose yes-target is next) */
    int first;        /* the target of the (first) goto, or -1 */
    int second;       /* the target of an unconditional goto after it, or -1 */
} CLowJumps;

const char *c_low_type(LowType type) {
    switch (type) {
    case LOW_VOID: return "void";
    case LOW_I64: return "int64_t";
    case LOW_F64: return "double";
    case LOW_PTR: return "void *";
    case LOW_U8: return "uint8_t";
    case LOW_U32: return "uint32_t";
    case LOW_I32: return "int";
    case LOW_BOOL: return "bool";
    default: return "int64_t";
    }
}

/* ---- str constants ----------------------------------------------------- */

void c_low_strings_init(CLowStrings *strings, const LowProgram *low) {
    strings->count = low->strings.count;
    strings->used = kiln_xcalloc((size_t)strings->count + 1, 1);
}

void c_low_strings_free(CLowStrings *strings) {
    free(strings->used);
    strings->used = NULL;
    strings->count = 0;
}

/* The bytes as the inside of a C string literal: `"` and `\` escaped, `?`
 * (which could start a trigraph) and every byte outside printable ASCII
 * as three octal digits, so that no following digit extends an escape. */
/* The frame marker a FRAME_ADDRESS names (low.h). */
static int c_low_frame_marker(const LowInst *inst) {
    return inst->arg_count > 0 ? (int)inst->args[0].bits : 0;
}

static void c_low_literal_bytes(FILE *out, const char *bytes, int length) {
    for (int i = 0; i < length; i++) {
        unsigned char byte = (unsigned char)bytes[i];
        if (byte == '"' || byte == '\\')
            fprintf(out, "\\%c", byte);
        else if (byte >= 0x20 && byte < 0x7f && byte != '?')
            fputc(byte, out);
        else
            fprintf(out, "\\%03o", byte);
    }
}

void c_emit_low_strings(FILE *out, const LowProgram *low, const CLowStrings *strings) {
    for (int i = 0; i < strings->count && i < low->strings.count; i++) {
        if (!strings->used[i]) continue;
        const LowString *entry = &low->strings.items[i];
        fprintf(out,
                "static _Alignas(8) struct { GcHeader header; uint64_t hash; int64_t length; "
                "char bytes[%d]; } kstr_%d = {GC_PREBUILT_HEADER(RT_TYPE_STR), 0, %d, \"",
                entry->length + 1, i, entry->length);
        c_low_literal_bytes(out, entry->bytes, entry->length);
        fputs("\"};\n", out);
    }
}

/* ---- prototypes --------------------------------------------------------- */

void c_emit_low_prototype(FILE *out, const LowProgram *low, int func) {
    const LowFunc *info = &low->funcs.items[func];
    fprintf(out, "%s%s%s(GcThread *th", c_low_type(info->result),
            info->result == LOW_PTR ? "" : " ", info->name);
    for (int i = 0; i < info->param_count; i++) {
        LowType type = info->regs.items[i];
        fprintf(out, ", %s%sr%d", c_low_type(type), type == LOW_PTR ? "" : " ", i);
    }
    fputs(")", out);
}

/* ---- #line directives and comments ----------------------------------------- */

/* A `#line` before the next statement when the compiler would not already
 * give it `pos`'s line: so that gdb, perf and the sanitizers name the
 * right Kiln C line for every statement, several statements of one line
 * each have their own.  The file name is repeated only when it changes. */
static void c_low_line(CLowWriter *writer, SrcPos pos) {
    const DiagContext *diag = writer->diag;
    if (!writer->line_directives || !diag || pos.line <= 0 || pos.file < 0 ||
        pos.file >= diag->files.count)
        return;
    fflush(writer->out);
    for (; writer->scanned < writer->size; writer->scanned++)
        if (writer->buffer[writer->scanned] == '\n') writer->line++;
    if (pos.file == writer->line_file && pos.line == writer->line) return;
    const SourceFile *file = diag_file(diag, pos.file);
    if (!file) return;
    fprintf(writer->out, "#line %d", (int)pos.line);
    if (pos.file != writer->line_file) {
        fputs(" \"", writer->out);
        for (const char *c = file->path; *c; c++) {
            if (*c == '"' || *c == '\\') fputc('\\', writer->out);
            fputc(*c, writer->out);
        }
        fputs("\"", writer->out);
    }
    fputs("\n", writer->out);
    fflush(writer->out);
    writer->scanned = writer->size;
    writer->line_file = pos.file;
    writer->line = pos.line;
}

/* Text inside a C comment: a `*` `/` pair split so the comment goes on. */
static void c_low_comment_text(FILE *out, const char *text) {
    for (const char *c = text; *c; c++) {
        fputc(*c, out);
        if (c[0] == '*' && c[1] == '/') fputc(' ', out);
    }
}

/* ---- values --------------------------------------------------------------- */

static void c_low_int(FILE *out, int64_t bits) {
    if (bits == INT64_MIN)
        fputs("INT64_MIN", out);
    else
        fprintf(out, "INT64_C(%" PRId64 ")", bits);
}

/* Hexadecimal floats are exact; a negative one is parenthesized so that no
 * operator before it forms `--`. */
static void c_low_float(FILE *out, double number) {
    if (isnan(number))
        fputs("(double)NAN", out);
    else if (isinf(number))
        fputs(number > 0 ? "(double)INFINITY" : "(-(double)INFINITY)", out);
    else if (signbit(number))
        fprintf(out, "(%a)", number);
    else
        fprintf(out, "%a", number);
}

static void c_low_value(CLowWriter *writer, LowValue value) {
    FILE *out = writer->out;
    switch (value.kind) {
    case LOW_VALUE_NONE: fputs("0", out); break;
    case LOW_VALUE_REG: fprintf(out, "r%d", value.index); break;
    case LOW_VALUE_INT: c_low_int(out, value.bits); break;
    case LOW_VALUE_FLOAT: c_low_float(out, value.number); break;
    case LOW_VALUE_NULL: fputs("NULL", out); break;
    case LOW_VALUE_SYMBOL: {
        const LowSymbol *symbol = &writer->low->symbols.items[value.index];
        fprintf(out, symbol->kind == LOW_SYMBOL_DATA ? "((void *)&%s)" : "((void *)%s)",
                symbol->name);
        break;
    }
    case LOW_VALUE_STR:
        if (value.index >= 0 && value.index < writer->strings->count)
            writer->strings->used[value.index] = true;
        fprintf(out, "((void *)&kstr_%d)", value.index);
        break;
    case LOW_VALUE_CSTRING: {
        const char *text = writer->low->cstrings.items[value.index];
        fputc('"', out);
        c_low_literal_bytes(out, text, (int)strlen(text));
        fputc('"', out);
        break;
    }
    case LOW_VALUE_THREAD: fputs("th", out); break;
    }
}

/* A pointer operand as a `void *` (or a pointer that converts to one
 * without a cast), for comparisons between pointers. */
static void c_low_pointer(CLowWriter *writer, LowValue value) {
    if (value.kind == LOW_VALUE_THREAD || value.kind == LOW_VALUE_CSTRING) {
        fputs("(void *)", writer->out);
        c_low_value(writer, value);
        return;
    }
    c_low_value(writer, value);
}

/* A pointer under a cast: a data symbol as `&name`, so that a load from a
 * table reads `((void **)&kvt_3)[r5]`. */
static void c_low_base(CLowWriter *writer, LowValue value) {
    if (value.kind == LOW_VALUE_SYMBOL) {
        const LowSymbol *symbol = &writer->low->symbols.items[value.index];
        if (symbol->kind == LOW_SYMBOL_DATA) {
            fprintf(writer->out, "&%s", symbol->name);
            return;
        }
    }
    c_low_value(writer, value);
}

/* ---- loads and stores ------------------------------------------------------ */

static int c_low_mem_size(LowType mem) {
    switch (mem) {
    case LOW_U8: return 1;
    case LOW_U32: return 4;
    default: return 8;
    }
}

static const char *c_low_mem_pointer(LowType mem) {
    switch (mem) {
    case LOW_F64: return "double *";
    case LOW_PTR: return "void **";
    case LOW_U8: return "uint8_t *";
    case LOW_U32: return "uint32_t *";
    default: return "int64_t *";
    }
}

/* The memory a LOAD or STORE accesses, as an lvalue. */
static void c_low_memory(CLowWriter *writer, const LowInst *inst) {
    FILE *out = writer->out;
    LowValue base = inst->args[0];
    bool indexed = inst->scale != 0 && inst->arg_count > 1 && inst->args[1].kind != LOW_VALUE_NONE;
    int size = c_low_mem_size(inst->mem);
    const char *pointer = c_low_mem_pointer(inst->mem);
    if (base.kind == LOW_VALUE_SYMBOL && !indexed && inst->offset == 0) {
        const LowSymbol *symbol = &writer->low->symbols.items[base.index];
        if (symbol->kind == LOW_SYMBOL_DATA && symbol->data_type == inst->mem) {
            fputs(symbol->name, out); /* a global: g3, gset3 */
            return;
        }
    }
    if (!indexed && inst->offset % size == 0) {
        fprintf(out, "((%s)", pointer);
        c_low_base(writer, base);
        fprintf(out, ")[%d]", inst->offset / size);
    } else if (indexed && inst->scale == size) {
        fprintf(out, "((%s)", pointer);
        if (inst->offset != 0) fputs("((char *)", out);
        c_low_base(writer, base);
        if (inst->offset != 0) fprintf(out, " + %d)", inst->offset);
        fputs(")[", out);
        c_low_value(writer, inst->args[1]);
        fputs("]", out);
    } else {
        fprintf(out, "*(%s)((char *)", pointer);
        c_low_base(writer, base);
        if (inst->offset != 0) fprintf(out, " + %d", inst->offset);
        if (indexed) {
            fputs(" + ", out);
            c_low_value(writer, inst->args[1]);
            fprintf(out, " * %d", inst->scale);
        }
        fputs(")", out);
    }
}

/* ---- operations --------------------------------------------------------- */

static const char *const c_low_binop_text[LOW_BIN__COUNT] = {
#define C_LOW_BINOP_TEXT(name, text) text,
    LOW_BINARY_OPS(C_LOW_BINOP_TEXT)
#undef C_LOW_BINOP_TEXT
};

/* `left op right` on two's complement words: through uint64_t, where C
 * defines the wrap-around. */
static void c_low_wrapping(CLowWriter *writer, const LowInst *inst, const char *op) {
    fputs("(int64_t)((uint64_t)", writer->out);
    c_low_value(writer, inst->args[0]);
    fprintf(writer->out, " %s ", op);
    if (inst->sub != LOW_BIN_SHL) fputs("(uint64_t)", writer->out);
    c_low_value(writer, inst->args[1]);
    fputs(")", writer->out);
}

static void c_low_binary(CLowWriter *writer, const LowInst *inst) {
    FILE *out = writer->out;
    LowBinop op = (LowBinop)inst->sub;
    const char *text = c_low_binop_text[op];
    LowValue left = inst->args[0], right = inst->args[1];
    if (left.type == LOW_PTR && (op == LOW_BIN_ADD || op == LOW_BIN_SUB)) {
        fputs("(void *)((char *)", out); /* byte arithmetic on an address */
        c_low_base(writer, left);
        fprintf(out, " %s ", text);
        c_low_value(writer, right);
        fputs(")", out);
        return;
    }
    if (left.type == LOW_PTR && op != LOW_BIN_PTR_EQ && op != LOW_BIN_PTR_NE) {
        fputs("rt_ref_of_word(rt_word_of_ref(", out); /* bits of an address */
        c_low_value(writer, left);
        fprintf(out, ") %s ", text);
        c_low_value(writer, right);
        fputs(")", out);
        return;
    }
    switch (op) {
    case LOW_BIN_ADD:
    case LOW_BIN_SUB:
    case LOW_BIN_MUL:
    case LOW_BIN_SHL: c_low_wrapping(writer, inst, text); return;
    case LOW_BIN_ULT:
    case LOW_BIN_UGE:
        fputs("(uint64_t)", out);
        c_low_value(writer, left);
        fprintf(out, " %s (uint64_t)", text);
        c_low_value(writer, right);
        return;
    case LOW_BIN_PTR_EQ:
    case LOW_BIN_PTR_NE:
        c_low_pointer(writer, left);
        fprintf(out, " %s ", text);
        c_low_pointer(writer, right);
        return;
    default:
        c_low_value(writer, left);
        fprintf(out, " %s ", text);
        c_low_value(writer, right);
        return;
    }
}

static void c_low_unary(CLowWriter *writer, const LowInst *inst) {
    static const char *const prefixes[LOW_UN__COUNT] = {
        [LOW_UN_NEG] = "(int64_t)-(uint64_t)",
        [LOW_UN_INVERT] = "~",
        [LOW_UN_NOT] = "!",
        [LOW_UN_FNEG] = "-",
        [LOW_UN_INT_TO_FLOAT] = "(double)",
        [LOW_UN_BITS_OF_FLOAT] = "rt_word_of_float(",
        [LOW_UN_FLOAT_OF_BITS] = "rt_float_of_word(",
        [LOW_UN_PTR_TO_INT] = "rt_word_of_ref(",
        [LOW_UN_INT_TO_PTR] = "rt_ref_of_word("};
    const char *prefix = prefixes[inst->sub];
    fputs(prefix, writer->out);
    c_low_value(writer, inst->args[0]);
    if (prefix[strlen(prefix) - 1] == '(') fputs(")", writer->out);
}

static void c_low_args(CLowWriter *writer, const LowInst *inst, int first) {
    for (int i = first; i < inst->arg_count; i++) {
        if (i > first) fputs(", ", writer->out);
        c_low_value(writer, inst->args[i]);
    }
}

/* A call: by name when the callee is a function symbol, else through a
 * pointer cast to the C signature (the thread argument as a GcThread *,
 * as the callee declares it). */
static void c_low_call(CLowWriter *writer, const LowInst *inst) {
    FILE *out = writer->out;
    LowValue callee = inst->callee;
    bool direct = callee.kind == LOW_VALUE_SYMBOL &&
                  writer->low->symbols.items[callee.index].kind != LOW_SYMBOL_DATA;
    if (direct) {
        fputs(writer->low->symbols.items[callee.index].name, out);
    } else {
        fprintf(out, "((%s (*)(", c_low_type(inst->call_result));
        int fixed = inst->fixed_args < inst->arg_count ? inst->fixed_args : inst->arg_count;
        for (int i = 0; i < fixed; i++)
            fprintf(out, "%s%s", i ? ", " : "",
                    inst->args[i].kind == LOW_VALUE_THREAD ? "GcThread *"
                                                           : c_low_type(inst->arg_types[i]));
        if (fixed == 0) fputs("void", out);
        if (fixed > 0 && fixed < inst->arg_count) fputs(", ...", out);
        fputs("))", out);
        c_low_value(writer, callee);
        fputs(")", out);
    }
    fputs("(", out);
    c_low_args(writer, inst, 0);
    fputs(")", out);
}

/* The constant operand of a primitive (a slot, a count, a type id) as a
 * plain number. */
static void c_low_count(CLowWriter *writer, LowValue value) {
    if (value.kind == LOW_VALUE_INT)
        fprintf(writer->out, "%" PRId64, value.bits);
    else
        c_low_value(writer, value);
}

static void c_low_prim(CLowWriter *writer, const LowInst *inst) {
    FILE *out = writer->out;
    switch ((LowPrim)inst->sub) {
    case LOW_PRIM_ALLOC:
        fputs("gc_alloc(th, ", out);
        c_low_count(writer, inst->args[0]);
        fputs(", ", out);
        c_low_count(writer, inst->args[1]);
        fputs(")", out);
        break;
    case LOW_PRIM_WRITE_BARRIER:
        fputs("gc_write_barrier(th, ", out);
        c_low_value(writer, inst->args[0]);
        fputs(")", out);
        break;
    case LOW_PRIM_ARRAY_BARRIER:
        fputs("gc_write_barrier_array(th, ", out);
        c_low_args(writer, inst, 0);
        fputs(")", out);
        break;
    case LOW_PRIM_TYPE_ID:
        fputs("rt_type_of(", out);
        c_low_value(writer, inst->args[0]);
        fputs(")", out);
        break;
    case LOW_PRIM_SPILL_CHECK:
        fputs("RT_SPILL_CHECK(th, ", out);
        c_low_count(writer, inst->args[0]);
        fputs(")", out);
        break;
    case LOW_PRIM_ROOT_STORE:
    case LOW_PRIM_ROOT_LOAD:
        fputs("th->root_top[", out);
        c_low_count(writer, inst->args[0]);
        fputs("]", out);
        if (inst->sub == LOW_PRIM_ROOT_STORE) {
            fputs(" = ", out);
            c_low_value(writer, inst->args[1]);
        }
        break;
    case LOW_PRIM_ROOT_ADJUST:
        fputs("th->root_top += ", out);
        c_low_count(writer, inst->args[0]);
        break;
    case LOW_PRIM_EXCEPTION_PENDING: fputs("(rt_thread.exception != NULL)", out); break;
    case LOW_PRIM_CATCH: fputs("rt_catch()", out); break;
    case LOW_PRIM_FRAME_ADDRESS:
        fprintf(out, "(void *)&kiln_frame_%d", c_low_frame_marker(inst));
        break;
    case LOW_PRIM_STACK_CHECK: fputs("rt_stack_exhausted()", out); break;
    default: break;
    }
}

/* Whether an instruction without a result register is worth printing only
 * for its value: such a statement is cast to void. */
static bool c_low_pure(const LowInst *inst) {
    switch (inst->opcode) {
    case LOW_COPY:
    case LOW_BINARY:
    case LOW_UNARY:
    case LOW_SELECT:
    case LOW_LOAD: return true;
    case LOW_PRIM:
        return inst->sub == LOW_PRIM_TYPE_ID || inst->sub == LOW_PRIM_ROOT_LOAD ||
               inst->sub == LOW_PRIM_EXCEPTION_PENDING || inst->sub == LOW_PRIM_FRAME_ADDRESS;
    default: return false;
    }
}

static void c_low_inst(CLowWriter *writer, const LowInst *inst) {
    FILE *out = writer->out;
    c_low_line(writer, inst->pos);
    fputs("    ", out);
    bool assigned =
        inst->result >= 0 && !(inst->opcode == LOW_CALL && inst->call_result == LOW_VOID);
    if (assigned)
        fprintf(out, "r%d = ", inst->result);
    else if (c_low_pure(inst))
        fputs("(void)(", out);
    switch (inst->opcode) {
    case LOW_COPY:
        if (inst->args[0].kind == LOW_VALUE_NONE && inst->result >= 0 &&
            writer->func->regs.items[inst->result] == LOW_PTR)
            fputs("NULL", out);
        else
            c_low_value(writer, inst->args[0]);
        break;
    case LOW_BINARY: c_low_binary(writer, inst); break;
    case LOW_UNARY: c_low_unary(writer, inst); break;
    case LOW_SELECT:
        c_low_value(writer, inst->args[0]);
        fputs(" ? ", out);
        c_low_value(writer, inst->args[1]);
        fputs(" : ", out);
        c_low_value(writer, inst->args[2]);
        break;
    case LOW_LOAD: c_low_memory(writer, inst); break;
    case LOW_STORE:
        c_low_memory(writer, inst);
        fputs(" = ", out);
        c_low_value(writer, inst->args[2]);
        break;
    case LOW_CALL: c_low_call(writer, inst); break;
    case LOW_PRIM: c_low_prim(writer, inst); break;
    }
    if (!assigned && c_low_pure(inst)) fputs(")", out);
    fputs(";\n", out);
}

/* ---- terminators ---------------------------------------------------------- */

static CLowJumps c_low_jumps(const LowFunc *func, int block) {
    const LowTerm *term = &func->blocks.items[block].term;
    int next = block + 1;
    CLowJumps jumps = {false, false, -1, -1};
    if (term->kind == LOW_TERM_GOTO) {
        if (term->targets[0] != next) jumps.first = term->targets[0];
    } else if (term->kind == LOW_TERM_BRANCH) {
        int yes = term->targets[0], no = term->targets[1];
        if (yes == no) {
            if (yes != next) jumps.first = yes;
        } else if (yes == next) {
            jumps.conditional = jumps.inverted = true;
            jumps.first = no;
        } else {
            jumps.conditional = true;
            jumps.first = yes;
            if (no != next) jumps.second = no;
        }
    }
    return jumps;
}

static void c_low_branch(CLowWriter *writer, const LowTerm *term, CLowJumps jumps) {
    FILE *out = writer->out;
    if (jumps.conditional) {
        LowHint hint = term->hint;
        if (jumps.inverted && hint != LOW_HINT_NONE)
            hint = hint == LOW_HINT_LIKELY ? LOW_HINT_UNLIKELY : LOW_HINT_LIKELY;
        fputs("    if (", out);
        if (hint != LOW_HINT_NONE)
            fputs(hint == LOW_HINT_LIKELY ? "RT_LIKELY(" : "RT_UNLIKELY(", out);
        if (jumps.inverted) fputs("!", out);
        c_low_value(writer, term->value);
        if (hint != LOW_HINT_NONE) fputs(")", out);
        fprintf(out, ") goto b%d;", jumps.first);
        if (jumps.second >= 0) fprintf(out, " goto b%d;", jumps.second);
        fputs("\n", out); /* one line: one `#line` covers it */
    } else if (jumps.first >= 0) {
        fprintf(out, "    goto b%d;\n", jumps.first);
    }
}

static void c_low_term(CLowWriter *writer, int block) {
    FILE *out = writer->out;
    const LowTerm *term = &writer->func->blocks.items[block].term;
    CLowJumps jumps = c_low_jumps(writer->func, block);
    bool prints = term->kind != LOW_TERM_GOTO && term->kind != LOW_TERM_BRANCH;
    if (prints || jumps.first >= 0) c_low_line(writer, term->pos);
    switch (term->kind) {
    case LOW_TERM_GOTO:
    case LOW_TERM_BRANCH: c_low_branch(writer, term, jumps); break;
    case LOW_TERM_SWITCH:
        fputs("    switch (", out);
        c_low_value(writer, term->value);
        fputs(") {\n", out);
        for (int i = 0; i < term->case_count; i++) {
            fputs("    case ", out);
            c_low_int(out, term->cases[i]);
            fprintf(out, ": goto b%d;\n", term->targets[i]);
        }
        fprintf(out, "    default: goto b%d;\n    }\n", term->targets[term->case_count]);
        break;
    case LOW_TERM_RETURN:
        fputs("    return", out);
        if (term->value.kind != LOW_VALUE_NONE) {
            fputs(" ", out);
            c_low_value(writer, term->value);
        }
        fputs(";\n", out);
        break;
    case LOW_TERM_NONE:
    case LOW_TERM_UNREACHABLE: fputs("    abort();\n", out); break;
    }
}

/* ---- functions ------------------------------------------------------------ */

/* Marks the blocks some printed goto names (c_low_jumps decides which
 * jumps fall through instead). */
static void c_low_find_labels(const LowFunc *func, bool *labels) {
    for (int b = 0; b < func->blocks.count; b++) {
        const LowTerm *term = &func->blocks.items[b].term;
        if (term->kind == LOW_TERM_SWITCH) {
            for (int i = 0; i <= term->case_count; i++)
                labels[term->targets[i]] = true;
            continue;
        }
        CLowJumps jumps = c_low_jumps(func, b);
        if (jumps.first >= 0) labels[jumps.first] = true;
        if (jumps.second >= 0) labels[jumps.second] = true;
    }
}

static void c_low_mark(bool *used, LowValue value) {
    if (value.kind == LOW_VALUE_REG) used[value.index] = true;
}

/* Declares the registers the body names, other than the parameters, and
 * the frame markers (one char each). */
static void c_low_declare(CLowWriter *writer) {
    const LowFunc *func = writer->func;
    bool *used = kiln_xcalloc((size_t)func->regs.count + 1, 1);
    int markers = 0;
    for (int b = 0; b < func->blocks.count; b++) {
        const LowBlock *block = &func->blocks.items[b];
        for (int i = 0; i < block->insts.count; i++) {
            const LowInst *inst = &block->insts.items[i];
            if (inst->opcode == LOW_PRIM && inst->sub == LOW_PRIM_FRAME_ADDRESS &&
                c_low_frame_marker(inst) >= markers)
                markers = c_low_frame_marker(inst) + 1;
            if (inst->result >= 0) used[inst->result] = true;
            for (int a = 0; a < inst->arg_count; a++)
                c_low_mark(used, inst->args[a]);
            if (inst->opcode == LOW_CALL) c_low_mark(used, inst->callee);
        }
        c_low_mark(used, block->term.value);
    }
    /* one line per C type, each at the function's own line: at -O0 the
     * initializers are code, and a breakpoint on a Kiln C line of the body
     * must not land in them */
    static const LowType types[] = {LOW_I64, LOW_F64, LOW_PTR};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        bool first = true;
        for (int reg = func->param_count; reg < func->regs.count; reg++) {
            if (!used[reg] || func->regs.items[reg] != types[t]) continue;
            if (first) {
                c_low_line(writer, func->pos);
                fputs(types[t] == LOW_PTR ? "    void" : "    ", writer->out);
                if (types[t] != LOW_PTR) fputs(c_low_type(types[t]), writer->out);
            }
            fprintf(writer->out, types[t] == LOW_PTR ? "%s*r%d = NULL" : "%sr%d = 0",
                    first ? " " : ", ", reg);
            first = false;
        }
        if (!first) fputs(";\n", writer->out);
    }
    if (markers > 0) {
        c_low_line(writer, func->pos);
        fputs("    char", writer->out);
        for (int marker = 0; marker < markers; marker++)
            fprintf(writer->out, "%s kiln_frame_%d", marker ? "," : "", marker);
        fputs(";\n", writer->out);
    }
    c_low_line(writer, func->pos);
    fputs("    (void)th;\n", writer->out);
    free(used);
}

void c_emit_low_function(FILE *out, const LowProgram *low, int func, const DiagContext *diag,
                         bool line_directives, CLowStrings *strings) {
    const LowFunc *info = &low->funcs.items[func];
    CLowWriter writer = {0};
    writer.out = open_memstream(&writer.buffer, &writer.size);
    if (!writer.out) kiln_fatal("out of memory");
    writer.low = low;
    writer.func = info;
    writer.diag = diag;
    writer.line_directives = line_directives;
    writer.strings = strings;
    writer.line_file = -1;
    writer.labels = kiln_xcalloc((size_t)info->blocks.count + 1, 1);
    c_low_find_labels(info, writer.labels);
    fputs("\n/* ", writer.out);
    c_low_comment_text(writer.out, info->kiln_name);
    fputs(" */\n", writer.out);
    c_low_line(&writer, info->pos);
    c_emit_low_prototype(writer.out, low, func);
    fputs(" {\n", writer.out);
    c_low_declare(&writer);
    for (int b = 0; b < info->blocks.count; b++) {
        const LowBlock *block = &info->blocks.items[b];
        if (writer.labels[b]) {
            fprintf(writer.out, "b%d:;", b);
            if (block->comment) {
                fputs(" /* ", writer.out);
                c_low_comment_text(writer.out, block->comment);
                fputs(" */", writer.out);
            }
            fputs("\n", writer.out);
        }
        for (int i = 0; i < block->insts.count; i++)
            c_low_inst(&writer, &block->insts.items[i]);
        c_low_term(&writer, b);
    }
    fputs("}\n", writer.out);
    fclose(writer.out);
    fwrite(writer.buffer, 1, writer.size, out);
    free(writer.buffer);
    free(writer.labels);
}
