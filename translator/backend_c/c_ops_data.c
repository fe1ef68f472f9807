/* c_ops_data.c - the C of operations on objects, containers and built-in
 * functions: inline fast paths (field loads, list indexing with its bounds
 * check, append while the capacity lasts) and calls into rtlib. */
#include <string.h>

#include "../../rtlib/rt.h"
#include "c_internal.h"

#define OUT emitter->out

static AnnKind c_arg_kind(CEmitter *emitter, const FlowOp *op, int index) {
    FlowValue value = op->args[index];
    if (value.kind == FLOW_VALUE_VAR)
        return ann_var(emitter->rtype->annotator, emitter->func, value.index)->kind;
    if (value.kind == FLOW_VALUE_CAUGHT) return ANN_INSTANCE;
    switch (emitter->graph->consts[value.index].kind) {
    case FLOW_CONST_INT: return ANN_INT;
    case FLOW_CONST_FLOAT: return ANN_FLOAT;
    case FLOW_CONST_BOOL: return ANN_BOOL;
    case FLOW_CONST_CHAR: return ANN_CHAR;
    case FLOW_CONST_STR: return ANN_STR;
    case FLOW_CONST_NULL: return ANN_NULL;
    case FLOW_CONST_FUNC: return ANN_FUNCTION;
    default: return ANN_VOID;
    }
}

static void c_close_call(CEmitter *emitter) {
    fputs("; ", OUT);
    c_emit_after_call(emitter);
}

static void c_emit_len(CEmitter *emitter, const FlowOp *op) {
    AnnKind kind = c_arg_kind(emitter, op, 0);
    const Ann *ann = op->args[0].kind == FLOW_VALUE_VAR
                         ? ann_var(emitter->rtype->annotator, emitter->func, op->args[0].index)
                         : NULL;
    fputs("    ", OUT);
    c_result(emitter, op);
    if (kind == ANN_TUPLE && ann) {
        fprintf(OUT, "%d;\n", ann->item_count);
        return;
    }
    const char *rt_kind = kind == ANN_STR       ? "RT_KIND_STR"
                          : kind == ANN_LIST    ? "RT_KIND_LIST"
                          : kind == ANN_DICT    ? "RT_KIND_DICT"
                          : kind == ANN_BUILDER ? "RT_KIND_BUILDER"
                                                : "RT_KIND_VIEW";
    if (kind == ANN_STR && ann && !ann->nullable) {
        fputs("((RtStr *)", OUT);
        c_arg(emitter, op, 0);
        fputs(")->length;\n", OUT);
        return;
    }
    if (kind == ANN_LIST) {
        fputs("((RtList *)", OUT);
        c_arg(emitter, op, 0);
        fputs(")->length;\n", OUT);
        return;
    }
    fputs("rt_len(", OUT);
    c_arg(emitter, op, 0);
    fprintf(OUT, ", %s);\n", rt_kind);
}

static const char *c_math_name(int builtin) {
    switch (builtin) {
    case FLOW_BUILTIN_MATH_SQRT: return "sqrt";
    case FLOW_BUILTIN_MATH_SIN: return "sin";
    case FLOW_BUILTIN_MATH_COS: return "cos";
    case FLOW_BUILTIN_MATH_TAN: return "tan";
    case FLOW_BUILTIN_MATH_ASIN: return "asin";
    case FLOW_BUILTIN_MATH_ACOS: return "acos";
    case FLOW_BUILTIN_MATH_ATAN: return "atan";
    case FLOW_BUILTIN_MATH_ATAN2: return "atan2";
    case FLOW_BUILTIN_MATH_EXP: return "exp";
    case FLOW_BUILTIN_MATH_LOG: return "log";
    case FLOW_BUILTIN_MATH_LOG10: return "log10";
    case FLOW_BUILTIN_MATH_POW: return "pow";
    case FLOW_BUILTIN_MATH_FLOOR: return "floor";
    case FLOW_BUILTIN_MATH_CEIL: return "ceil";
    case FLOW_BUILTIN_MATH_FABS: return "fabs";
    case FLOW_BUILTIN_MATH_FMOD: return "fmod";
    case FLOW_BUILTIN_MATH_HYPOT: return "hypot";
    case FLOW_BUILTIN_MATH_ISNAN: return "isnan";
    case FLOW_BUILTIN_MATH_ISINF: return "isinf";
    default: return NULL;
    }
}

/* min/max of two or more scalars, or of one list. */
static void c_emit_minmax(CEmitter *emitter, const FlowOp *op, bool max) {
    const RtypeOp *low = c_low(emitter);
    if (op->arg_count == 1) {
        c_emit_call_begin(emitter, op, true);
        fputs("rt_list_minmax(th, ", OUT);
        c_arg(emitter, op, 0);
        const Ann *list = ann_var(emitter->rtype->annotator, emitter->func, op->args[0].index);
        int item = rtype_valtype(emitter->rtype, ann_listdef_root(list->listdef)->item.ann);
        fprintf(OUT, ", &kval_%d, %d))", item, max);
        c_close_call(emitter);
        return;
    }
    (void)low;
    bool strs = c_arg_kind(emitter, op, 0) == ANN_STR;
    fputs("    ", OUT);
    c_result(emitter, op);
    c_arg(emitter, op, 0);
    fputs(";\n", OUT);
    for (int i = 1; i < op->arg_count; i++) {
        fputs("    if (", OUT);
        if (strs) fputs("rt_str_cmp(", OUT);
        c_arg(emitter, op, i);
        fputs(strs ? ", " : (max ? " > " : " < "), OUT);
        fprintf(OUT, "v%d", op->result);
        if (strs) fprintf(OUT, ") %s 0", max ? ">" : "<");
        fprintf(OUT, ") v%d = ", op->result);
        c_arg(emitter, op, i);
        fputs(";\n", OUT);
    }
}

static bool c_emit_simple_builtin(CEmitter *emitter, const FlowOp *op) {
    const char *math = c_math_name(op->aux);
    if (math) {
        fputs("    ", OUT);
        c_result(emitter, op);
        fprintf(OUT, "%s%s(",
                op->aux == FLOW_BUILTIN_MATH_ISNAN || op->aux == FLOW_BUILTIN_MATH_ISINF ? "!!"
                                                                                         : "",
                math);
        c_arg(emitter, op, 0);
        if (op->arg_count > 1) {
            fputs(", ", OUT);
            c_arg(emitter, op, 1);
        }
        fputs(");\n", OUT);
        return true;
    }
    fputs("    ", OUT);
    switch (op->aux) {
    case FLOW_BUILTIN_FLOAT:
        c_result(emitter, op);
        fputs("(double)(", OUT);
        break;
    case FLOW_BUILTIN_INTMASK:
        c_result(emitter, op);
        fputs("(", OUT);
        break;
    case FLOW_BUILTIN_TIME_NS:
        c_result(emitter, op);
        fputs("rt_time_ns();\n", OUT);
        return true;
    case FLOW_BUILTIN_ABS:
        c_result(emitter, op);
        if (c_arg_kind(emitter, op, 0) == ANN_FLOAT) {
            fputs("fabs(", OUT);
            c_arg(emitter, op, 0);
            fputs(");\n", OUT);
        } else {
            c_arg(emitter, op, 0);
            fputs(" < 0 ? (int64_t)(0 - (uint64_t)", OUT);
            c_arg(emitter, op, 0);
            fputs(") : ", OUT);
            c_arg(emitter, op, 0);
            fputs(";\n", OUT);
        }
        return true;
    case FLOW_BUILTIN_EXIT: fputs("rt_exit(", OUT); break;
    case FLOW_BUILTIN_BECOME_INEVITABLE:
    case FLOW_BUILTIN_THREAD_JOIN:
        c_result(emitter, op);
        fputs("0;\n", OUT);
        return true;
    default: fputs("\n", OUT); return false;
    }
    c_arg(emitter, op, 0);
    fputs(");\n", OUT);
    return true;
}

static void c_emit_int_builtin(CEmitter *emitter, const FlowOp *op) {
    AnnKind kind = c_arg_kind(emitter, op, 0);
    if (kind != ANN_FLOAT) {
        fputs("    ", OUT);
        c_result(emitter, op);
        c_arg(emitter, op, 0);
        fputs(";\n", OUT);
        return;
    }
    c_emit_call_begin(emitter, op, false);
    fputs("rt_float_to_int(th, ", OUT);
    c_arg(emitter, op, 0);
    fputs(")", OUT);
    c_close_call(emitter);
}

void c_emit_builtin(CEmitter *emitter, const FlowOp *op) {
    const RtypeOp *low = c_low(emitter);
    if (low->opcode == RTYPE_OP_LEN) {
        c_emit_len(emitter, op);
        return;
    }
    switch (op->aux) {
    case FLOW_BUILTIN_MIN:
    case FLOW_BUILTIN_MAX: c_emit_minmax(emitter, op, op->aux == FLOW_BUILTIN_MAX); return;
    case FLOW_BUILTIN_INT: c_emit_int_builtin(emitter, op); return;
    case FLOW_BUILTIN_RANGE_CHECK:
        fputs("    { int64_t step = ", OUT);
        c_arg(emitter, op, 0);
        fputs(";\n", OUT);
        c_emit_check(emitter, "step == 0",
                     "rt_raise(th, RT_ERR_VALUE, \"range() step must not be zero\")");
        fputs("    }\n", OUT);
        return;
    default: break;
    }
    if (c_emit_simple_builtin(emitter, op)) return;
    c_emit_call_begin(emitter, op, false);
    switch (op->aux) {
    case FLOW_BUILTIN_PRINT:
        if (op->arg_count == 0) {
            fputs("rt_print(th, rt_word_of_ref(rt_str_new(th, \"\", 0)), &kval_str)", OUT);
        } else {
            fputs("rt_print(th, ", OUT);
            c_emit_word(emitter, op->args[0]);
            fprintf(OUT, ", &kval_%d)", low->valtype);
        }
        break;
    case FLOW_BUILTIN_STR:
        if (c_arg_kind(emitter, op, 0) == ANN_INT) {
            fputs("rt_str_of_int(th, ", OUT);
            c_arg(emitter, op, 0);
            fputs(")", OUT);
        } else {
            fputs("rt_to_str(th, ", OUT);
            c_emit_word(emitter, op->args[0]);
            fprintf(OUT, ", &kval_%d)", low->valtype);
        }
        break;
    case FLOW_BUILTIN_INT_OF:
        fputs("rt_int_of(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        if (op->arg_count > 1)
            c_arg(emitter, op, 1);
        else
            fputs("10", OUT);
        fputs(")", OUT);
        break;
    case FLOW_BUILTIN_FLOAT_OF:
        fputs("rt_float_of(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(")", OUT);
        break;
    case FLOW_BUILTIN_CHR:
        fputs("rt_chr(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(")", OUT);
        break;
    case FLOW_BUILTIN_ORD:
        if (c_arg_kind(emitter, op, 0) == ANN_CHAR) {
            c_arg(emitter, op, 0);
        } else {
            fputs("rt_ord(th, ", OUT);
            c_arg(emitter, op, 0);
            fputs(")", OUT);
        }
        break;
    case FLOW_BUILTIN_WRITE:
    case FLOW_BUILTIN_WRITE_BYTE:
    case FLOW_BUILTIN_READ:
    case FLOW_BUILTIN_WRITE_FILE:
        fprintf(OUT, "%s(th, ",
                op->aux == FLOW_BUILTIN_WRITE        ? "rt_write"
                : op->aux == FLOW_BUILTIN_WRITE_BYTE ? "rt_write_byte"
                : op->aux == FLOW_BUILTIN_READ       ? "rt_read"
                                                     : "rt_write_file");
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        c_arg(emitter, op, 1);
        fputs(")", OUT);
        break;
    case FLOW_BUILTIN_TRANSACTION_RUN: fputs("rt_task_run(th)", OUT); break;
    case FLOW_BUILTIN_READ_FILE:
        fputs("rt_read_file(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(")", OUT);
        break;
    case FLOW_BUILTIN_GETENV:
        fputs("rt_getenv(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        if (op->arg_count > 1)
            c_arg(emitter, op, 1);
        else
            fputs("NULL", OUT);
        fputs(")", OUT);
        break;
    case FLOW_BUILTIN_HASH:
        fputs("(int64_t)rt_val_hash(th, ", OUT);
        c_emit_word(emitter, op->args[0]);
        fprintf(OUT, ", &kval_%d)", low->valtype);
        break;
    case FLOW_BUILTIN_OVF_ADD:
    case FLOW_BUILTIN_OVF_SUB:
    case FLOW_BUILTIN_OVF_MUL:
    case FLOW_BUILTIN_FLOORDIV:
    case FLOW_BUILTIN_FLOORMOD:
        if (op->aux == FLOW_BUILTIN_FLOORDIV || op->aux == FLOW_BUILTIN_FLOORMOD)
            fputs(op->aux == FLOW_BUILTIN_FLOORDIV ? "rt_floordiv(th, " : "rt_floormod(th, ", OUT);
        else
            fputs("rt_ovf(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        c_arg(emitter, op, 1);
        if (op->aux == FLOW_BUILTIN_OVF_ADD) fputs(", 0", OUT);
        if (op->aux == FLOW_BUILTIN_OVF_SUB) fputs(", 1", OUT);
        if (op->aux == FLOW_BUILTIN_OVF_MUL) fputs(", 2", OUT);
        fputs(")", OUT);
        break;
    case FLOW_BUILTIN_NEWLIST: {
        const Ann *list = ann_var(emitter->rtype->annotator, emitter->func, op->result);
        bool refs = rtype_repr_of(ann_listdef_root(list->listdef)->item.ann) == RTYPE_REF;
        fputs("rt_newlist(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        if (op->arg_count > 1)
            c_emit_word(emitter, op->args[1]);
        else
            fputs("0", OUT);
        fprintf(OUT, ", %d)", refs);
        break;
    }
    default: fputs("0", OUT); break;
    }
    c_close_call(emitter);
}
