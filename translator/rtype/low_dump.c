/* low_dump.c - the text form of low-level graphs, and their verifier.
 *
 *   func kiln_f_3(r0: i64, r1: ptr) -> i64     ; f at f.kc:3
 *   b0:                                         ; entry
 *       r2 = add r0, 1
 *       r3 = load.i64 [r1 + 8]
 *       r4 = call rt_str_concat(th, r1, "x")
 *       br r5, b2, b1 unlikely
 */
#include <inttypes.h>
#include <string.h>

#include "low.h"

static const char *const low_binop_names[LOW_BIN__COUNT] = {
#define LOW_BINOP_NAME(name, text) #name,
    LOW_BINARY_OPS(LOW_BINOP_NAME)
#undef LOW_BINOP_NAME
};

static const char *const low_unop_names[LOW_UN__COUNT] = {
#define LOW_UNOP_NAME(name) #name,
    LOW_UNARY_OPS(LOW_UNOP_NAME)
#undef LOW_UNOP_NAME
};

static void low_dump_lower(FILE *out, const char *name) {
    for (const char *c = name; *c; c++)
        fputc(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c, out);
}

static void low_dump_escaped(FILE *out, const char *bytes, int length) {
    fputc('"', out);
    for (int i = 0; i < length; i++) {
        unsigned char byte = (unsigned char)bytes[i];
        if (byte == '"' || byte == '\\')
            fprintf(out, "\\%c", byte);
        else if (byte >= 0x20 && byte < 0x7f)
            fputc(byte, out);
        else
            fprintf(out, "\\x%02x", byte);
    }
    fputc('"', out);
}

static void low_dump_value(FILE *out, const LowProgram *program, LowValue value) {
    switch (value.kind) {
    case LOW_VALUE_NONE: fputs("_", out); break;
    case LOW_VALUE_REG: fprintf(out, "r%d", value.index); break;
    case LOW_VALUE_INT: fprintf(out, "%" PRId64, value.bits); break;
    case LOW_VALUE_FLOAT: fprintf(out, "%.17g", value.number); break;
    case LOW_VALUE_NULL: fputs("null", out); break;
    case LOW_VALUE_SYMBOL: fprintf(out, "@%s", program->symbols.items[value.index].name); break;
    case LOW_VALUE_STR: {
        const LowString *string = &program->strings.items[value.index];
        fputs("str ", out);
        low_dump_escaped(out, string->bytes, string->length);
        break;
    }
    case LOW_VALUE_CSTRING: {
        const char *text = program->cstrings.items[value.index];
        fputs("c", out);
        low_dump_escaped(out, text, (int)strlen(text));
        break;
    }
    case LOW_VALUE_THREAD: fputs("th", out); break;
    }
}

static void low_dump_args(FILE *out, const LowProgram *program, const LowInst *inst, int first) {
    for (int i = first; i < inst->arg_count; i++) {
        if (i > first) fputs(", ", out);
        low_dump_value(out, program, inst->args[i]);
    }
}

static void low_dump_address(FILE *out, const LowProgram *program, const LowInst *inst) {
    fputs("[", out);
    low_dump_value(out, program, inst->args[0]);
    if (inst->scale) {
        fputs(" + ", out);
        low_dump_value(out, program, inst->args[1]);
        fprintf(out, "*%d", inst->scale);
    }
    if (inst->offset) fprintf(out, " + %d", inst->offset);
    fputs("]", out);
}

static void low_dump_inst(FILE *out, const LowProgram *program, const LowInst *inst) {
    fputs("    ", out);
    if (inst->result >= 0) fprintf(out, "r%d = ", inst->result);
    switch (inst->opcode) {
    case LOW_COPY: low_dump_args(out, program, inst, 0); break;
    case LOW_BINARY:
    case LOW_UNARY:
        low_dump_lower(out, inst->opcode == LOW_BINARY ? low_binop_names[inst->sub]
                                                       : low_unop_names[inst->sub]);
        fputs(" ", out);
        low_dump_args(out, program, inst, 0);
        break;
    case LOW_SELECT:
        fputs("select ", out);
        low_dump_args(out, program, inst, 0);
        break;
    case LOW_LOAD:
        fprintf(out, "load.%s ", low_type_names[inst->mem]);
        low_dump_address(out, program, inst);
        break;
    case LOW_STORE:
        fprintf(out, "store.%s ", low_type_names[inst->mem]);
        low_dump_address(out, program, inst);
        fputs(", ", out);
        low_dump_value(out, program, inst->args[2]);
        break;
    case LOW_CALL:
        fputs("call ", out);
        low_dump_value(out, program, inst->callee);
        fputs("(", out);
        low_dump_args(out, program, inst, 0);
        fputs(")", out);
        break;
    case LOW_PRIM:
        low_dump_lower(out, low_prim_names[inst->sub]);
        fputs(" ", out);
        low_dump_args(out, program, inst, 0);
        break;
    }
    fputs("\n", out);
}

static void low_dump_term(FILE *out, const LowProgram *program, const LowTerm *term) {
    fputs("    ", out);
    switch (term->kind) {
    case LOW_TERM_NONE: fputs("(no terminator)", out); break;
    case LOW_TERM_GOTO: fprintf(out, "goto b%d", term->targets[0]); break;
    case LOW_TERM_BRANCH:
        fputs("br ", out);
        low_dump_value(out, program, term->value);
        fprintf(out, ", b%d, b%d%s", term->targets[0], term->targets[1],
                term->hint == LOW_HINT_LIKELY     ? " likely"
                : term->hint == LOW_HINT_UNLIKELY ? " unlikely"
                                                  : "");
        break;
    case LOW_TERM_SWITCH:
        fputs("switch ", out);
        low_dump_value(out, program, term->value);
        for (int i = 0; i < term->case_count; i++)
            fprintf(out, ", %" PRId64 ": b%d", term->cases[i], term->targets[i]);
        fprintf(out, ", default: b%d", term->targets[term->case_count]);
        break;
    case LOW_TERM_RETURN:
        fputs("return", out);
        if (term->value.kind != LOW_VALUE_NONE) {
            fputs(" ", out);
            low_dump_value(out, program, term->value);
        }
        if (term->normal) fputs("    ; normal", out);
        break;
    case LOW_TERM_UNREACHABLE: fputs("unreachable", out); break;
    }
    fputs("\n", out);
}

void low_dump(FILE *out, const LowProgram *program, const DiagContext *diag) {
    for (int f = 0; f < program->funcs.count; f++) {
        const LowFunc *func = &program->funcs.items[f];
        fprintf(out, "func %s(", func->name);
        for (int i = 0; i < func->param_count; i++)
            fprintf(out, "%sr%d: %s", i ? ", " : "", i, low_type_names[func->regs.items[i]]);
        fprintf(out, ") -> %s", low_type_names[func->result]);
        if (func->pos.line > 0 && func->pos.file >= 0 && diag && func->pos.file < diag->files.count)
            fprintf(out, "    ; %s at %s:%d", func->kiln_name,
                    diag_file(diag, func->pos.file)->path, (int)func->pos.line);
        fputs("\n", out);
        for (int b = 0; b < func->blocks.count; b++) {
            const LowBlock *block = &func->blocks.items[b];
            fprintf(out, "b%d:", b);
            if (block->comment) fprintf(out, "    ; %s", block->comment);
            fputs("\n", out);
            for (int i = 0; i < block->insts.count; i++)
                low_dump_inst(out, program, &block->insts.items[i]);
            low_dump_term(out, program, &block->term);
        }
        fputs("\n", out);
    }
}

/* ---- the verifier ----------------------------------------------------------- */

typedef struct LowVerifier {
    const LowProgram *program;
    const LowFunc *func;
    int block;
    FILE *out;
    int errors;
} LowVerifier;

static void low_fail(LowVerifier *verifier, const char *what) {
    fprintf(verifier->out, "low-level graph %s, b%d: %s\n", verifier->func->name, verifier->block,
            what);
    verifier->errors++;
}

static void low_check_value(LowVerifier *verifier, LowValue value) {
    const LowProgram *program = verifier->program;
    switch (value.kind) {
    case LOW_VALUE_REG:
        if (value.index < 0 || value.index >= verifier->func->regs.count)
            low_fail(verifier, "a register out of range");
        else if (verifier->func->regs.items[value.index] != value.type)
            low_fail(verifier, "a register used at another type");
        break;
    case LOW_VALUE_SYMBOL:
        if (value.index < 0 || value.index >= program->symbols.count)
            low_fail(verifier, "a symbol out of range");
        break;
    case LOW_VALUE_STR:
        if (value.index < 0 || value.index >= program->strings.count)
            low_fail(verifier, "a str constant out of range");
        break;
    case LOW_VALUE_CSTRING:
        if (value.index < 0 || value.index >= program->cstrings.count)
            low_fail(verifier, "a C string out of range");
        break;
    default: break;
    }
}

static void low_check_target(LowVerifier *verifier, int target) {
    if (target < 0 || target >= verifier->func->blocks.count)
        low_fail(verifier, "a jump to a block out of range");
}

static void low_check_block(LowVerifier *verifier, const LowBlock *block) {
    for (int i = 0; i < block->insts.count; i++) {
        const LowInst *inst = &block->insts.items[i];
        for (int a = 0; a < inst->arg_count; a++)
            low_check_value(verifier, inst->args[a]);
        if (inst->opcode == LOW_CALL) low_check_value(verifier, inst->callee);
        if (inst->result >= verifier->func->regs.count) low_fail(verifier, "a result out of range");
        if (inst->opcode == LOW_COPY && inst->result >= 0 && inst->args[0].kind != LOW_VALUE_NONE &&
            verifier->func->regs.items[inst->result] != inst->args[0].type)
            low_fail(verifier, "a copy between types");
        if ((inst->opcode == LOW_LOAD || inst->opcode == LOW_STORE) &&
            inst->args[0].type != LOW_PTR)
            low_fail(verifier, "an address that is not a pointer");
    }
    const LowTerm *term = &block->term;
    switch (term->kind) {
    case LOW_TERM_NONE: low_fail(verifier, "no terminator"); break;
    case LOW_TERM_GOTO: low_check_target(verifier, term->targets[0]); break;
    case LOW_TERM_BRANCH:
        low_check_value(verifier, term->value);
        low_check_target(verifier, term->targets[0]);
        low_check_target(verifier, term->targets[1]);
        break;
    case LOW_TERM_SWITCH:
        low_check_value(verifier, term->value);
        for (int i = 0; i <= term->case_count; i++)
            low_check_target(verifier, term->targets[i]);
        break;
    case LOW_TERM_RETURN:
        low_check_value(verifier, term->value);
        if ((verifier->func->result == LOW_VOID) != (term->value.kind == LOW_VALUE_NONE))
            low_fail(verifier, "a return that does not match the result type");
        break;
    default: break;
    }
}

int low_verify(const LowProgram *program, FILE *out) {
    LowVerifier verifier = {program, NULL, 0, out, 0};
    for (int f = 0; f < program->funcs.count; f++) {
        verifier.func = &program->funcs.items[f];
        for (int b = 0; b < verifier.func->blocks.count; b++) {
            verifier.block = b;
            low_check_block(&verifier, &verifier.func->blocks.items[b]);
        }
    }
    return verifier.errors;
}
