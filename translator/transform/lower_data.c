/* lower_data.c - built-in functions, the methods of the built-in types
 * (str, list, dict, StrBuilder), aggregates and items as low-level
 * instructions.
 *
 * Inline: len of a str or list, min and max of scalars, abs, int(),
 * float(), isnan/isinf, the range() step check, dict.get and
 * dict.contains after the probe, list.append while the capacity lasts,
 * list, str and tuple indexing with the bounds check, list item stores
 * with their barrier, the stores of a new list's or tuple's items.
 * Everything else is a call of rtlib or libm.
 *
 * The spills, reloads and exception tests keep the places the C backend
 * has always given them: an rtlib call that can collect is spill, call,
 * reload, exception test; the calls that cannot collect (rt_len,
 * rt_dict_find, rt_iter_has, libm) are plain; an operation that allocates
 * and then reads its operands (new list, dict, tuple) reloads them after
 * the allocation; what must survive a further call beyond the transform's
 * spills (the list across rt_list_grow, the new dict across rt_dict_set)
 * takes one more shadow stack slot above them.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lower_internal.h"

/* ---- helpers ------------------------------------------------------------- */

/* Operand `index` as a reference (a null constant becomes null). */
static LowValue lower_data_ref(Lower *lower, const FlowOp *op, int index) {
    return lower_coerce(lower, lower_arg(lower, op, index), LOW_PTR);
}

/* Stores a call's result; a void rtlib procedure leaves the result alone. */
static void lower_data_result(Lower *lower, const FlowOp *op, LowValue value) {
    if (value.kind != LOW_VALUE_NONE) lower_set_result(lower, op, value);
}

/* The result is an operand as it is: an explicit copy, since
 * lower_set_result may rename the instruction that last wrote the
 * operand's register instead of copying it. */
static void lower_data_pass(Lower *lower, const FlowOp *op, LowValue value) {
    int reg = lower_result_reg(lower, op);
    if (reg < 0) return;
    LowType type = lower->builder.func->regs.items[reg];
    low_emit_copy(&lower->builder, reg, lower_coerce(lower, value, type));
}

/* The register that receives a new object: the result's, or a fresh one
 * when the result is unused. */
static int lower_data_object_reg(Lower *lower, const FlowOp *op) {
    int reg = lower_result_reg(lower, op);
    return reg >= 0 ? reg : low_new_reg(lower->builder.func, LOW_PTR);
}

static bool lower_data_items_are_refs(const Ann *list) {
    return rtype_repr_of(ann_listdef_root(list->listdef)->item.ann) == RTYPE_REF;
}

static LowValue lower_data_binary(Lower *lower, LowBinop op, LowValue left, LowValue right) {
    return low_emit_binary(&lower->builder, op, left, right);
}

/* ---- len, min, max, int ----------------------------------------------- */

/* A tuple's length is static; a str (never null) or a list has its length
 * inline; the other kinds ask rt_len, which also answers null. */
static void lower_len(Lower *lower, const FlowOp *op) {
    AnnKind kind = lower_arg_kind(lower, op, 0);
    const Ann *ann = op->args[0].kind == FLOW_VALUE_VAR ? lower_ann(lower, op->args[0]) : NULL;
    if (kind == ANN_TUPLE && ann) {
        lower_set_result(lower, op, low_int(ann->item_count));
        return;
    }
    LowValue object = lower_data_ref(lower, op, 0);
    lower_null_check(lower, op, "len() of null");
    if (kind == ANN_STR) {
        lower_set_result(
            lower, op,
            low_emit_load(&lower->builder, LOW_I64, object, LOWER_OFFSET(RtStr, length)));
        return;
    }
    if (kind == ANN_LIST) {
        lower_set_result(
            lower, op,
            low_emit_load(&lower->builder, LOW_I64, object, LOWER_OFFSET(RtList, length)));
        return;
    }
    RtKind rt_kind = kind == ANN_STR       ? RT_KIND_STR
                     : kind == ANN_LIST    ? RT_KIND_LIST
                     : kind == ANN_DICT    ? RT_KIND_DICT
                     : kind == ANN_BUILDER ? RT_KIND_BUILDER
                                           : RT_KIND_VIEW;
    lower_set_result(lower, op,
                     low_emit_runtime(&lower->builder, "rt_len", 2, object, low_int(rt_kind)));
}

/* min/max of one list through rtlib; of two or more scalars or strs, a
 * chain of compares: an argument replaces the best so far only when it is
 * strictly better, so the first of equal arguments wins. */
static void lower_minmax(Lower *lower, const FlowOp *op, bool max) {
    if (op->arg_count == 1) {
        const Ann *list = lower_ann(lower, op->args[0]);
        int item = rtype_valtype(lower->rtype, ann_listdef_root(list->listdef)->item.ann);
        LowValue word = lower_call_runtime(lower, "rt_list_minmax", 4, low_thread(),
                                           lower_data_ref(lower, op, 0), lower_valtype(lower, item),
                                           low_int(max));
        lower_set_result(lower, op, lower_from_word(lower, op, word));
        return;
    }
    bool strs = lower_arg_kind(lower, op, 0) == ANN_STR;
    LowValue best = lower_arg(lower, op, 0);
    for (int i = 1; i < op->arg_count; i++) {
        LowValue candidate = lower_arg(lower, op, i);
        LowValue better;
        if (strs) {
            LowValue order = low_emit_runtime(&lower->builder, "rt_str_cmp", 2,
                                              lower_coerce(lower, candidate, LOW_PTR),
                                              lower_coerce(lower, best, LOW_PTR));
            better = lower_data_binary(lower, max ? LOW_BIN_GT : LOW_BIN_LT, order, low_int(0));
        } else if (best.type == LOW_F64) {
            better = lower_data_binary(lower, max ? LOW_BIN_FGT : LOW_BIN_FLT, candidate, best);
        } else {
            better = lower_data_binary(lower, max ? LOW_BIN_GT : LOW_BIN_LT, candidate, best);
        }
        best = low_emit_select(&lower->builder, better, candidate, best);
    }
    lower_set_result(lower, op, best);
}

/* int(x): a char, bool or int is already its int; a float goes through
 * rt_float_to_int (ValueError on nan/inf, OverflowError out of range). */
static void lower_int_builtin(Lower *lower, const FlowOp *op) {
    if (lower_arg_kind(lower, op, 0) != ANN_FLOAT) {
        lower_data_pass(lower, op, lower_arg(lower, op, 0));
        return;
    }
    lower_set_result(
        lower, op,
        lower_call_runtime(lower, "rt_float_to_int", 2, low_thread(), lower_arg(lower, op, 0)));
}

/* floordiv/floormod of two floats, as the graph interpreter computes them:
 * floor(left / right), and fmod corrected to the sign of the divisor. */
static void lower_float_floor(Lower *lower, const FlowOp *op, bool modulo) {
    LowBuilder *builder = &lower->builder;
    LowValue left = lower_arg(lower, op, 0), right = lower_arg(lower, op, 1);
    lower_check(lower, lower_data_binary(lower, LOW_BIN_FEQ, right, low_float(0.0)),
                RT_ERR_ZERO_DIVISION, modulo ? "float floormod by zero" : "float floordiv by zero",
                0);
    if (!modulo) {
        LowValue quotient = lower_data_binary(lower, LOW_BIN_FDIV, left, right);
        lower_set_result(lower, op, low_emit_runtime(builder, "floor", 1, quotient));
        return;
    }
    LowValue remainder = low_emit_runtime(builder, "fmod", 2, left, right);
    LowValue nonzero = lower_data_binary(lower, LOW_BIN_FNE, remainder, low_float(0.0));
    LowValue signs = lower_data_binary(
        lower, LOW_BIN_NE, lower_data_binary(lower, LOW_BIN_FLT, right, low_float(0.0)),
        lower_data_binary(lower, LOW_BIN_FLT, remainder, low_float(0.0)));
    LowValue adjust = lower_data_binary(lower, LOW_BIN_AND, nonzero, signs);
    LowValue sum = lower_data_binary(lower, LOW_BIN_FADD, remainder, right);
    lower_set_result(lower, op, low_emit_select(builder, adjust, sum, remainder));
}

/* ---- built-ins that are inline or a plain libm call ---------------------- */

static const char *lower_math_name(int builtin) {
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
    default: return NULL;
    }
}

/* isnan(x) is x != x; isinf(x) is |x| == inf; the others call libm. */
static bool lower_math_builtin(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    if (op->aux == FLOW_BUILTIN_MATH_ISNAN || op->aux == FLOW_BUILTIN_MATH_ISINF) {
        LowValue value = lower_arg(lower, op, 0);
        LowValue result =
            op->aux == FLOW_BUILTIN_MATH_ISNAN
                ? lower_data_binary(lower, LOW_BIN_FNE, value, value)
                : lower_data_binary(lower, LOW_BIN_FEQ, low_emit_runtime(builder, "fabs", 1, value),
                                    low_float(HUGE_VAL));
        lower_set_result(lower, op, result);
        return true;
    }
    const char *name = lower_math_name(op->aux);
    if (!name) return false;
    LowValue result =
        op->arg_count > 1
            ? low_emit_runtime(builder, name, 2, lower_arg(lower, op, 0), lower_arg(lower, op, 1))
            : low_emit_runtime(builder, name, 1, lower_arg(lower, op, 0));
    lower_set_result(lower, op, result);
    return true;
}

static bool lower_simple_builtin(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    if (lower_math_builtin(lower, op)) return true;
    switch (op->aux) {
    case FLOW_BUILTIN_FLOAT: {
        LowValue value = lower_arg(lower, op, 0);
        if (value.type == LOW_F64)
            lower_data_pass(lower, op, value);
        else
            lower_set_result(lower, op, low_emit_unary(builder, LOW_UN_INT_TO_FLOAT, value));
        return true;
    }
    case FLOW_BUILTIN_INTMASK: lower_data_pass(lower, op, lower_arg(lower, op, 0)); return true;
    case FLOW_BUILTIN_TIME_NS:
        lower_set_result(lower, op, low_emit_runtime(builder, "rt_time_ns", 0));
        return true;
    case FLOW_BUILTIN_ABS: {
        LowValue value = lower_arg(lower, op, 0);
        if (lower_arg_kind(lower, op, 0) == ANN_FLOAT) {
            lower_set_result(lower, op, low_emit_runtime(builder, "fabs", 1, value));
            return true;
        }
        LowValue negative = lower_data_binary(lower, LOW_BIN_LT, value, low_int(0));
        LowValue negated = low_emit_unary(builder, LOW_UN_NEG, value);
        lower_set_result(lower, op, low_emit_select(builder, negative, negated, value));
        return true;
    }
    case FLOW_BUILTIN_EXIT:
        low_emit_runtime(builder, "rt_exit", 1, lower_arg(lower, op, 0));
        return true;
    case FLOW_BUILTIN_BECOME_INEVITABLE:
    case FLOW_BUILTIN_THREAD_JOIN: lower_set_result(lower, op, low_int(0)); return true;
    default: return false;
    }
}

/* ---- built-ins that call rtlib ------------------------------------------ */

/* print() with no argument prints an empty str: made, then printed, with
 * the spills around both. */
static void lower_print_newline(Lower *lower) {
    LowBuilder *builder = &lower->builder;
    lower_spill(lower);
    LowValue empty = low_emit_runtime(builder, "rt_str_new", 3, low_thread(),
                                      low_cstring_value(lower->program, ""), low_int(0));
    low_emit_runtime(builder, "rt_print", 3, low_thread(), lower_to_word(lower, empty),
                     lower_valtype(lower, -1));
    lower_reload(lower);
    lower_raise_test(lower);
}

/* The str, number and I/O built-ins: each one rtlib call. */
static LowValue lower_builtin_io(Lower *lower, const FlowOp *op) {
    const RtypeOp *low = lower_low(lower);
    LowValue thread = low_thread();
    switch (op->aux) {
    case FLOW_BUILTIN_PRINT:
        return lower_call_runtime(lower, "rt_print", 3, thread, lower_word(lower, op->args[0]),
                                  lower_valtype(lower, low->valtype));
    case FLOW_BUILTIN_STR:
        if (lower_arg_kind(lower, op, 0) == ANN_INT)
            return lower_call_runtime(lower, "rt_str_of_int", 2, thread, lower_arg(lower, op, 0));
        return lower_call_runtime(lower, "rt_to_str", 3, thread, lower_word(lower, op->args[0]),
                                  lower_valtype(lower, low->valtype));
    case FLOW_BUILTIN_INT_OF:
        return lower_call_runtime(lower, "rt_int_of", 3, thread, lower_data_ref(lower, op, 0),
                                  op->arg_count > 1 ? lower_arg(lower, op, 1) : low_int(10));
    case FLOW_BUILTIN_FLOAT_OF:
        return lower_call_runtime(lower, "rt_float_of", 2, thread, lower_data_ref(lower, op, 0));
    case FLOW_BUILTIN_CHR:
        return lower_call_runtime(lower, "rt_chr", 2, thread, lower_arg(lower, op, 0));
    case FLOW_BUILTIN_WRITE:
        return lower_call_runtime(lower, "rt_write", 3, thread, lower_arg(lower, op, 0),
                                  lower_data_ref(lower, op, 1));
    case FLOW_BUILTIN_WRITE_BYTE:
        return lower_call_runtime(lower, "rt_write_byte", 3, thread, lower_arg(lower, op, 0),
                                  lower_arg(lower, op, 1));
    case FLOW_BUILTIN_READ:
        return lower_call_runtime(lower, "rt_read", 3, thread, lower_arg(lower, op, 0),
                                  lower_arg(lower, op, 1));
    case FLOW_BUILTIN_WRITE_FILE:
        return lower_call_runtime(lower, "rt_write_file", 3, thread, lower_data_ref(lower, op, 0),
                                  lower_data_ref(lower, op, 1));
    case FLOW_BUILTIN_READ_FILE:
        return lower_call_runtime(lower, "rt_read_file", 2, thread, lower_data_ref(lower, op, 0));
    case FLOW_BUILTIN_GETENV:
        return lower_call_runtime(lower, "rt_getenv", 3, thread, lower_data_ref(lower, op, 0),
                                  op->arg_count > 1 ? lower_data_ref(lower, op, 1) : low_null());
    case FLOW_BUILTIN_TRANSACTION_RUN: return lower_call_runtime(lower, "rt_task_run", 1, thread);
    default: kiln_unreachable("a built-in function with no lowering");
    }
}

/* The remaining built-ins: hashing, checked and floor arithmetic, newlist. */
static LowValue lower_builtin_value(Lower *lower, const FlowOp *op) {
    const RtypeOp *low = lower_low(lower);
    LowValue thread = low_thread();
    switch (op->aux) {
    case FLOW_BUILTIN_HASH:
        return lower_call_runtime(lower, "rt_val_hash", 3, thread, lower_word(lower, op->args[0]),
                                  lower_valtype(lower, low->valtype));
    case FLOW_BUILTIN_OVF_ADD:
    case FLOW_BUILTIN_OVF_SUB:
    case FLOW_BUILTIN_OVF_MUL: {
        int operation = op->aux == FLOW_BUILTIN_OVF_ADD   ? 0
                        : op->aux == FLOW_BUILTIN_OVF_SUB ? 1
                                                          : 2;
        return lower_call_runtime(lower, "rt_ovf", 4, thread, lower_arg(lower, op, 0),
                                  lower_arg(lower, op, 1), low_int(operation));
    }
    case FLOW_BUILTIN_FLOORDIV:
    case FLOW_BUILTIN_FLOORMOD:
        return lower_call_runtime(lower,
                                  op->aux == FLOW_BUILTIN_FLOORDIV ? "rt_floordiv" : "rt_floormod",
                                  3, thread, lower_arg(lower, op, 0), lower_arg(lower, op, 1));
    case FLOW_BUILTIN_NEWLIST: {
        const Ann *list = lower_ann(lower, (FlowValue){FLOW_VALUE_VAR, op->result});
        LowValue fill = op->arg_count > 1 ? lower_word(lower, op->args[1]) : low_int(0);
        return lower_call_runtime(lower, "rt_newlist", 4, thread, lower_arg(lower, op, 0), fill,
                                  low_int(lower_data_items_are_refs(list)));
    }
    default: return lower_builtin_io(lower, op);
    }
}

void lower_builtin(Lower *lower, const FlowOp *op) {
    if (lower_low(lower)->opcode == RTYPE_OP_LEN) {
        lower_len(lower, op);
        return;
    }
    switch (op->aux) {
    case FLOW_BUILTIN_MIN:
    case FLOW_BUILTIN_MAX: lower_minmax(lower, op, op->aux == FLOW_BUILTIN_MAX); return;
    case FLOW_BUILTIN_INT: lower_int_builtin(lower, op); return;
    case FLOW_BUILTIN_RANGE_CHECK:
        lower_check(lower,
                    lower_data_binary(lower, LOW_BIN_EQ, lower_arg(lower, op, 0), low_int(0)),
                    RT_ERR_VALUE, "range() step must not be zero", 0);
        return;
    case FLOW_BUILTIN_FLOORDIV:
    case FLOW_BUILTIN_FLOORMOD:
        if (lower_arg_kind(lower, op, 0) == ANN_FLOAT) {
            lower_float_floor(lower, op, op->aux == FLOW_BUILTIN_FLOORMOD);
            return;
        }
        break;
    case FLOW_BUILTIN_PRINT:
        if (op->arg_count == 0) {
            lower_print_newline(lower);
            return;
        }
        break;
    case FLOW_BUILTIN_ORD:
        if (lower_arg_kind(lower, op, 0) == ANN_CHAR) {
            /* a char is its own code; the spills stay as for the call */
            lower_spill(lower);
            lower_data_pass(lower, op, lower_arg(lower, op, 0));
            lower_reload(lower);
            lower_raise_test(lower);
            return;
        }
        lower_data_result(
            lower, op,
            lower_call_runtime(lower, "rt_ord", 2, low_thread(), lower_data_ref(lower, op, 0)));
        return;
    default: break;
    }
    if (lower_simple_builtin(lower, op)) return;
    lower_data_result(lower, op, lower_builtin_value(lower, op));
}

/* ---- list methods ---------------------------------------------------------- */

/* append: the store inline while the capacity lasts; else rt_list_grow,
 * which can collect: the list and a reference item are kept on the shadow
 * stack above the spills and taken back after it. */
static void lower_list_append(Lower *lower, const FlowOp *op, const Ann *receiver) {
    LowBuilder *builder = &lower->builder;
    LowFunc *func = builder->func;
    bool refs = lower_data_items_are_refs(receiver);
    bool keep_item = refs && op->args[1].kind == FLOW_VALUE_VAR;
    int list_reg = low_new_reg(func, LOW_PTR);
    low_emit_copy(builder, list_reg, lower_data_ref(lower, op, 0));
    LowValue list = low_reg_value(func, list_reg);
    LowValue length = low_emit_load(builder, LOW_I64, list, LOWER_OFFSET(RtList, length));
    LowValue items = low_emit_load(builder, LOW_PTR, list, LOWER_OFFSET(RtList, items));
    LowValue capacity = low_emit_load(builder, LOW_I64, items, LOWER_OFFSET(RtArray, length));
    int grow = low_new_block(func, "list grow");
    int store = low_new_block(func, "list store");
    low_term_branch(builder, lower_data_binary(lower, LOW_BIN_EQ, length, capacity), grow, store,
                    LOW_HINT_UNLIKELY);

    low_set_block(builder, grow);
    lower_spill(lower);
    low_emit_prim(builder, LOW_PRIM_SPILL_CHECK, LOW_VOID, 1, low_int(keep_item ? 2 : 1));
    if (keep_item) lower_push_root(lower, lower_arg(lower, op, 1));
    lower_push_root(lower, list);
    low_emit_runtime(builder, "rt_list_grow", 3, low_thread(), list,
                     lower_data_binary(lower, LOW_BIN_ADD, length, low_int(1)));
    low_result_into(builder, lower_pop_root(lower), list_reg);
    if (keep_item)
        low_result_into(builder, lower_pop_root(lower), lower->var_regs[op->args[1].index]);
    lower_reload(lower);
    low_term_goto(builder, store);

    /* rt_list_store(th, list, list->length++, word) */
    low_set_block(builder, store);
    LowValue index = low_emit_load(builder, LOW_I64, list, LOWER_OFFSET(RtList, length));
    low_emit_store(builder, LOW_I64, list, LOWER_OFFSET(RtList, length),
                   lower_data_binary(lower, LOW_BIN_ADD, index, low_int(1)));
    LowValue word = lower_word(lower, op->args[1]);
    LowValue array = low_emit_load(builder, LOW_PTR, list, LOWER_OFFSET(RtList, items));
    if (refs) low_emit_prim(builder, LOW_PRIM_ARRAY_BARRIER, LOW_VOID, 2, array, index);
    low_emit_store_indexed(builder, LOW_I64, array, index, 8, LOWER_OFFSET(RtArray, items), word);
}

static void lower_list_method(Lower *lower, const FlowOp *op, const Ann *receiver) {
    const RtypeOp *low = lower_low(lower);
    const char *name = op->name;
    LowValue thread = low_thread();
    if (strcmp(name, "append") == 0) {
        lower_list_append(lower, op, receiver);
        return;
    }
    LowValue list = lower_data_ref(lower, op, 0);
    LowValue result;
    if (strcmp(name, "pop") == 0) {
        LowValue index = op->arg_count > 1
                             ? lower_arg(lower, op, 1)
                             : lower_data_binary(lower, LOW_BIN_SUB,
                                                 low_emit_load(&lower->builder, LOW_I64, list,
                                                               LOWER_OFFSET(RtList, length)),
                                                 low_int(1));
        LowValue word = lower_call_runtime(lower, "rt_list_pop", 3, thread, list, index);
        result = lower_from_word(lower, op, word);
    } else if (strcmp(name, "insert") == 0) {
        result = lower_call_runtime(lower, "rt_list_insert", 4, thread, list,
                                    lower_arg(lower, op, 1), lower_word(lower, op->args[2]));
    } else if (strcmp(name, "extend") == 0) {
        result = lower_call_runtime(lower, "rt_list_extend", 3, thread, list,
                                    lower_data_ref(lower, op, 1));
    } else if (strcmp(name, "slice") == 0) {
        result =
            lower_call_runtime(lower, "rt_list_slice", 4, thread, list, lower_arg(lower, op, 1),
                               op->arg_count > 2 ? lower_arg(lower, op, 2) : low_int(INT64_MAX));
    } else if (strcmp(name, "reverse") == 0) {
        result = lower_call_runtime(lower, "rt_list_reverse", 1, list);
    } else if (strcmp(name, "clear") == 0) {
        result = lower_call_runtime(lower, "rt_list_clear", 2, thread, list);
    } else if (strcmp(name, "index") == 0) {
        result =
            lower_call_runtime(lower, "rt_list_index_or_raise", 4, thread, list,
                               lower_word(lower, op->args[1]), lower_valtype(lower, low->valtype));
    } else if (strcmp(name, "contains") == 0) {
        LowValue found =
            lower_call_runtime(lower, "rt_list_index", 3, list, lower_word(lower, op->args[1]),
                               lower_valtype(lower, low->valtype));
        result = lower_data_binary(lower, LOW_BIN_GE, found, low_int(0));
    } else {
        kiln_unreachable("a list method with no lowering");
    }
    lower_data_result(lower, op, result);
}

/* ---- str, dict and StrBuilder methods ------------------------------------ */

static void lower_str_method(Lower *lower, const FlowOp *op) {
    const char *name = op->name;
    LowValue thread = low_thread();
    LowValue str = lower_data_ref(lower, op, 0);
    LowValue result;
    if (strcmp(name, "slice") == 0) {
        result =
            lower_call_runtime(lower, "rt_str_slice", 4, thread, str, lower_arg(lower, op, 1),
                               op->arg_count > 2 ? lower_arg(lower, op, 2) : low_int(INT64_MAX));
    } else if (strcmp(name, "find") == 0 || strcmp(name, "rfind") == 0) {
        result = lower_call_runtime(
            lower, strcmp(name, "find") == 0 ? "rt_str_find" : "rt_str_rfind", 3, str,
            lower_data_ref(lower, op, 1), op->arg_count > 2 ? lower_arg(lower, op, 2) : low_int(0));
    } else if (strcmp(name, "split") == 0) {
        result = lower_call_runtime(lower, "rt_str_split", 3, thread, str,
                                    op->arg_count > 1 ? lower_data_ref(lower, op, 1) : low_null());
    } else if (strcmp(name, "join") == 0) {
        result =
            lower_call_runtime(lower, "rt_str_join", 3, thread, str, lower_data_ref(lower, op, 1));
    } else if (strcmp(name, "strip") == 0) {
        result = lower_call_runtime(lower, "rt_str_strip", 2, thread, str);
    } else if (strcmp(name, "replace") == 0) {
        result = lower_call_runtime(lower, "rt_str_replace", 4, thread, str,
                                    lower_data_ref(lower, op, 1), lower_data_ref(lower, op, 2));
    } else if (strcmp(name, "startswith") == 0 || strcmp(name, "endswith") == 0) {
        result = lower_call_runtime(
            lower, strcmp(name, "startswith") == 0 ? "rt_str_startswith" : "rt_str_endswith", 2,
            str, lower_data_ref(lower, op, 1));
    } else if (strcmp(name, "upper") == 0 || strcmp(name, "lower") == 0) {
        result = lower_call_runtime(lower, "rt_str_case", 3, thread, str,
                                    low_int(strcmp(name, "upper") == 0));
    } else {
        kiln_unreachable("a str method with no lowering");
    }
    lower_data_result(lower, op, result);
}

/* get and contains: the probe loop (lower_dict.c, which cannot collect)
 * and, for get, the value of the entry found or the default. */
static void lower_dict_lookup(Lower *lower, const FlowOp *op, bool get) {
    LowBuilder *builder = &lower->builder;
    LowFunc *func = builder->func;
    LowValue dict = lower_data_ref(lower, op, 0);
    LowValue found = lower_dict_find(lower, dict, lower_ann(lower, op->args[0]), op->args[1]);
    LowValue present = lower_data_binary(lower, LOW_BIN_GE, found, low_int(0));
    if (!get) {
        lower_set_result(lower, op, present);
        return;
    }
    int hit = low_new_block(func, "dict get found");
    int miss = low_new_block(func, "dict get default");
    int done = low_new_block(func, "dict get done");
    low_term_branch(builder, present, hit, miss, LOW_HINT_NONE);
    low_set_block(builder, hit);
    lower_set_result(lower, op, lower_from_word(lower, op, lower_dict_value(lower, dict, found)));
    low_term_goto(builder, done);
    low_set_block(builder, miss);
    lower_data_pass(lower, op, op->arg_count > 2 ? lower_arg(lower, op, 2) : low_int(0));
    low_term_goto(builder, done);
    low_set_block(builder, done);
}

static void lower_dict_method(Lower *lower, const FlowOp *op) {
    const RtypeOp *low = lower_low(lower);
    const char *name = op->name;
    bool get = strcmp(name, "get") == 0;
    if (get || strcmp(name, "contains") == 0) {
        lower_dict_lookup(lower, op, get);
        return;
    }
    LowValue thread = low_thread();
    LowValue dict = lower_data_ref(lower, op, 0);
    LowValue result;
    if (strcmp(name, "remove") == 0) {
        result =
            lower_call_runtime(lower, "rt_dict_remove", 4, thread, dict,
                               lower_word(lower, op->args[1]), lower_valtype(lower, low->valtype));
    } else if (strcmp(name, "clear") == 0) {
        result = lower_call_runtime(lower, "rt_dict_clear", 2, thread, dict);
    } else {
        RtIterKind view = strcmp(name, "keys") == 0     ? RT_ITER_KEYS
                          : strcmp(name, "values") == 0 ? RT_ITER_VALUES
                                                        : RT_ITER_ITEMS;
        result =
            lower_call_runtime(lower, "rt_iter_new", 4, thread, dict, low_int(view), low_int(0));
    }
    lower_data_result(lower, op, result);
}

static void lower_builder_method(Lower *lower, const FlowOp *op) {
    const char *name = op->name;
    LowValue thread = low_thread();
    LowValue builder = lower_data_ref(lower, op, 0);
    LowValue result;
    if (strcmp(name, "build") == 0)
        result = lower_call_runtime(lower, "rt_builder_build", 2, thread, builder);
    else if (strcmp(name, "append") == 0)
        result = lower_call_runtime(lower, "rt_builder_append", 3, thread, builder,
                                    lower_data_ref(lower, op, 1));
    else
        result = lower_call_runtime(lower, "rt_builder_append_char", 3, thread, builder,
                                    lower_arg(lower, op, 1));
    lower_data_result(lower, op, result);
}

/* A method of a built-in type; a constant receiver is a str literal. */
void lower_method(Lower *lower, const FlowOp *op) {
    const Ann *receiver = op->args[0].kind == FLOW_VALUE_VAR ? lower_ann(lower, op->args[0]) : NULL;
    AnnKind kind = receiver ? receiver->kind : ANN_STR;
    lower_null_check(lower, op, "cannot call method '%s' of null");
    switch (kind) {
    case ANN_LIST: lower_list_method(lower, op, receiver); return;
    case ANN_DICT: lower_dict_method(lower, op); return;
    case ANN_BUILDER: lower_builder_method(lower, op); return;
    default: lower_str_method(lower, op); return;
    }
}

/* ---- aggregates ------------------------------------------------------------ */

/* The list is young: its items are stored without barrier. */
static void lower_newlist(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    const Ann *ann = lower_ann(lower, (FlowValue){FLOW_VALUE_VAR, op->result});
    int list_reg = lower_data_object_reg(lower, op);
    lower_spill(lower);
    low_result_into(builder,
                    low_emit_runtime(builder, "rt_list_new", 3, low_thread(),
                                     low_int(op->arg_count),
                                     low_int(lower_data_items_are_refs(ann))),
                    list_reg);
    lower_reload(lower);
    if (op->arg_count == 0) return;
    LowValue items = low_emit_load(builder, LOW_PTR, low_reg_value(builder->func, list_reg),
                                   LOWER_OFFSET(RtList, items));
    for (int i = 0; i < op->arg_count; i++)
        low_emit_store(builder, LOW_I64, items, LOWER_OFFSET(RtArray, items) + 8 * i,
                       lower_word(lower, op->args[i]));
}

/* The dict and then each item: every rt_dict_set can collect, so the
 * operands (spilled with the live references) are reloaded before each. */
static void lower_newdict(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    const RtypeOp *low = lower_low(lower);
    const Ann *ann = lower_ann(lower, (FlowValue){FLOW_VALUE_VAR, op->result});
    AnnDictDef *def = ann_dictdef_root(ann->dictdef);
    int dict_reg = lower_data_object_reg(lower, op);
    LowValue dict = low_reg_value(builder->func, dict_reg);
    lower_spill(lower);
    low_result_into(builder,
                    low_emit_runtime(builder, "rt_dict_new", 3, low_thread(),
                                     low_int(rtype_repr_of(def->key.ann) == RTYPE_REF),
                                     low_int(rtype_repr_of(def->value.ann) == RTYPE_REF)),
                    dict_reg);
    lower_reload(lower);
    for (int i = 0; i + 1 < op->arg_count; i += 2) {
        lower_spill(lower);
        low_emit_prim(builder, LOW_PRIM_SPILL_CHECK, LOW_VOID, 1, low_int(1));
        lower_push_root(lower, dict);
        low_emit_runtime(builder, "rt_dict_set", 5, low_thread(), dict,
                         lower_word(lower, op->args[i]), lower_word(lower, op->args[i + 1]),
                         lower_valtype(lower, low->valtype));
        low_result_into(builder, lower_pop_root(lower), dict_reg);
        lower_reload(lower);
        lower_raise_test(lower);
    }
}

/* Word 0 is the header; item i is word i + 1.  The tuple is young. */
static void lower_newtuple(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    int tuple_reg = lower_data_object_reg(lower, op);
    lower_spill(lower);
    low_result_into(builder,
                    low_emit_runtime(builder, "rt_alloc_tuple", 3, low_thread(),
                                     low_int(lower_low(lower)->type_id), low_int(op->arg_count)),
                    tuple_reg);
    lower_reload(lower);
    LowValue tuple = low_reg_value(builder->func, tuple_reg);
    for (int i = 0; i < op->arg_count; i++)
        low_emit_store(builder, LOW_I64, tuple, 8 * (i + 1), lower_word(lower, op->args[i]));
}

/* for-each: over a list, a str, a dict's keys, or a view (whose source
 * dict the iterator walks). */
static void lower_iter(Lower *lower, const FlowOp *op) {
    const RtypeOp *low = lower_low(lower);
    const Ann *source = lower_ann(lower, op->args[0]);
    RtIterKind kind = RT_ITER_LIST;
    if (source->kind == ANN_STR) kind = RT_ITER_STR;
    if (source->kind == ANN_DICT) kind = RT_ITER_KEYS;
    lower_null_check(lower, op, "cannot iterate over null");
    LowValue object = lower_data_ref(lower, op, 0);
    if (source->kind == ANN_DICT_VIEW) {
        kind = source->view == ANN_VIEW_KEYS     ? RT_ITER_KEYS
               : source->view == ANN_VIEW_VALUES ? RT_ITER_VALUES
                                                 : RT_ITER_ITEMS;
        object = low_emit_load(&lower->builder, LOW_PTR, object, LOWER_OFFSET(RtIter, source));
    }
    lower_set_result(lower, op,
                     lower_call_runtime(lower, "rt_iter_new", 4, low_thread(), object,
                                        low_int(kind), low_int(low->type_id)));
}

void lower_aggregate(Lower *lower, const FlowOp *op) {
    switch (lower_low(lower)->opcode) {
    case RTYPE_OP_NEWLIST: lower_newlist(lower, op); return;
    case RTYPE_OP_NEWDICT: lower_newdict(lower, op); return;
    case RTYPE_OP_NEWTUPLE: lower_newtuple(lower, op); return;
    case RTYPE_OP_NEWBUILDER:
        lower_set_result(lower, op, lower_call_runtime(lower, "rt_builder_new", 1, low_thread()));
        return;
    case RTYPE_OP_ITER: lower_iter(lower, op); return;
    case RTYPE_OP_ITER_HAS:
        lower_set_result(
            lower, op,
            low_emit_runtime(&lower->builder, "rt_iter_has", 1, lower_data_ref(lower, op, 0)));
        return;
    case RTYPE_OP_ITER_NEXT: {
        LowValue word = lower_call_runtime(lower, "rt_iter_next", 2, low_thread(),
                                           lower_data_ref(lower, op, 0));
        lower_set_result(lower, op, lower_from_word(lower, op, word));
        return;
    }
    default: kiln_unreachable("an aggregate operation with no lowering");
    }
}

/* ---- items --------------------------------------------------------------- */

/* NullError on a null list or str, IndexError out of [0, length): one
 * unsigned compare.  Returns the index. */
static LowValue lower_index_check(Lower *lower, const FlowOp *op, bool str) {
    lower_null_check(lower, op, "cannot index null");
    LowValue container = lower_data_ref(lower, op, 0);
    LowValue index = lower_arg(lower, op, 1);
    LowValue length =
        low_emit_load(&lower->builder, LOW_I64, container,
                      str ? LOWER_OFFSET(RtStr, length) : LOWER_OFFSET(RtList, length));
    LowValue outside = low_emit_binary(&lower->builder, LOW_BIN_UGE, index, length);
    lower_check(lower, outside, RT_ERR_INDEX,
                str ? "str index out of range: %" PRId64 " (length %" PRId64 ")"
                    : "list index out of range: %" PRId64 " (length %" PRId64 ")",
                2, index, length);
    return index;
}

/* rt_list_store, with the barrier the transform decided: a store of a
 * reference into a list that may be old. */
static void lower_list_setitem(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    LowValue index = lower_index_check(lower, op, false);
    LowValue list = lower_data_ref(lower, op, 0);
    LowValue word = lower_word(lower, op->args[2]);
    const Ann *ann = lower_ann(lower, op->args[0]);
    bool refs = ann->kind == ANN_LIST && lower_data_items_are_refs(ann);
    LowValue items = low_emit_load(builder, LOW_PTR, list, LOWER_OFFSET(RtList, items));
    if (lower_decision(lower)->barrier && refs)
        low_emit_prim(builder, LOW_PRIM_ARRAY_BARRIER, LOW_VOID, 2, items, index);
    low_emit_store_indexed(builder, LOW_I64, items, index, 8, LOWER_OFFSET(RtArray, items), word);
}

/* d[k]: the probe loop; when the key is absent, rt_dict_get makes the
 * KeyError (with the key in its message) and the exception leaves. */
static void lower_dict_getitem(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    LowFunc *func = builder->func;
    lower_null_check(lower, op, "cannot index null");
    LowValue dict = lower_data_ref(lower, op, 0);
    LowValue found = lower_dict_find(lower, dict, lower_ann(lower, op->args[0]), op->args[1]);
    int hit = low_new_block(func, NULL);
    int absent = low_new_block(func, "dict key absent");
    low_term_branch(builder, lower_data_binary(lower, LOW_BIN_GE, found, low_int(0)), hit, absent,
                    LOW_HINT_LIKELY);
    low_set_block(builder, absent);
    lower_spill(lower);
    low_emit_runtime(builder, "rt_dict_get", 4, low_thread(), dict, lower_word(lower, op->args[1]),
                     lower_valtype(lower, lower_low(lower)->valtype));
    lower_reload(lower);
    low_term_goto(builder, lower_raise_exit(lower));
    low_set_block(builder, hit);
    lower_set_result(lower, op, lower_from_word(lower, op, lower_dict_value(lower, dict, found)));
}

void lower_item(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    const RtypeOp *low = lower_low(lower);
    switch (low->opcode) {
    case RTYPE_OP_LIST_GETITEM: {
        LowValue index = lower_index_check(lower, op, false);
        LowValue items = low_emit_load(builder, LOW_PTR, lower_data_ref(lower, op, 0),
                                       LOWER_OFFSET(RtList, items));
        LowValue word =
            low_emit_load_indexed(builder, LOW_I64, items, index, 8, LOWER_OFFSET(RtArray, items));
        lower_set_result(lower, op, lower_from_word(lower, op, word));
        return;
    }
    case RTYPE_OP_LIST_SETITEM: lower_list_setitem(lower, op); return;
    case RTYPE_OP_STR_GETITEM: {
        LowValue index = lower_index_check(lower, op, true);
        lower_set_result(lower, op,
                         low_emit_load_indexed(builder, LOW_U8, lower_data_ref(lower, op, 0), index,
                                               1, LOWER_OFFSET(RtStr, bytes)));
        return;
    }
    case RTYPE_OP_TUPLE_GETITEM: {
        LowValue word =
            low_emit_load(builder, LOW_I64, lower_data_ref(lower, op, 0), 8 * (low->field + 1));
        lower_set_result(lower, op, lower_from_word(lower, op, word));
        return;
    }
    case RTYPE_OP_DICT_GETITEM: lower_dict_getitem(lower, op); return;
    case RTYPE_OP_DICT_SETITEM:
        lower_null_check(lower, op, "cannot index null");
        lower_call_runtime(lower, "rt_dict_set", 5, low_thread(), lower_data_ref(lower, op, 0),
                           lower_word(lower, op->args[1]), lower_word(lower, op->args[2]),
                           lower_valtype(lower, low->valtype));
        return;
    case RTYPE_OP_UNPACK_CHECK: return; /* the annotator proved the item count */
    default: kiln_unreachable("an item operation with no lowering");
    }
}
