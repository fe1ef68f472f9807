/* lower_ops.c - the low-level instructions of arithmetic, comparisons,
 * calls and tasks, and the dispatch over every rtype operation.
 */
#include <stdlib.h>
#include <string.h>

#include "lower_internal.h"

static LowBinop lower_int_binop(FlowOpcode opcode) {
    switch (opcode) {
    case FLOW_OP_ADD: return LOW_BIN_ADD;
    case FLOW_OP_SUB: return LOW_BIN_SUB;
    case FLOW_OP_MUL: return LOW_BIN_MUL;
    case FLOW_OP_DIV: return LOW_BIN_SDIV;
    case FLOW_OP_MOD: return LOW_BIN_SREM;
    case FLOW_OP_BIT_AND: return LOW_BIN_AND;
    case FLOW_OP_BIT_OR: return LOW_BIN_OR;
    case FLOW_OP_BIT_XOR: return LOW_BIN_XOR;
    case FLOW_OP_EQ: return LOW_BIN_EQ;
    case FLOW_OP_NE: return LOW_BIN_NE;
    case FLOW_OP_LT: return LOW_BIN_LT;
    case FLOW_OP_LE: return LOW_BIN_LE;
    case FLOW_OP_GT: return LOW_BIN_GT;
    default: return LOW_BIN_GE;
    }
}

static LowBinop lower_float_binop(FlowOpcode opcode) {
    switch (opcode) {
    case FLOW_OP_ADD: return LOW_BIN_FADD;
    case FLOW_OP_SUB: return LOW_BIN_FSUB;
    case FLOW_OP_MUL: return LOW_BIN_FMUL;
    case FLOW_OP_DIV: return LOW_BIN_FDIV;
    case FLOW_OP_EQ: return LOW_BIN_FEQ;
    case FLOW_OP_NE: return LOW_BIN_FNE;
    case FLOW_OP_LT: return LOW_BIN_FLT;
    case FLOW_OP_LE: return LOW_BIN_FLE;
    case FLOW_OP_GT: return LOW_BIN_FGT;
    default: return LOW_BIN_FGE;
    }
}

/* int / and %: ZeroDivisionError; INT64_MIN / -1 wraps and % -1 is 0,
 * computed with the divisor 1 so that no path divides INT64_MIN by -1. */
static void lower_divmod(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    bool div = op->opcode == FLOW_OP_DIV;
    LowValue left = lower_coerce(lower, lower_arg(lower, op, 0), LOW_I64);
    LowValue right = lower_coerce(lower, lower_arg(lower, op, 1), LOW_I64);
    lower_check(lower, low_emit_binary(builder, LOW_BIN_EQ, right, low_int(0)),
                RT_ERR_ZERO_DIVISION, div ? "integer division by zero" : "integer modulo by zero",
                0);
    LowValue minus_one = low_emit_binary(builder, LOW_BIN_EQ, right, low_int(-1));
    LowValue divisor = low_emit_select(builder, minus_one, low_int(1), right);
    LowValue result = low_emit_binary(builder, div ? LOW_BIN_SDIV : LOW_BIN_SREM, left, divisor);
    if (div)
        result =
            low_emit_select(builder, minus_one, low_emit_unary(builder, LOW_UN_NEG, left), result);
    lower_set_result(lower, op, result);
}

static void lower_float_binary(Lower *lower, const FlowOp *op) {
    LowValue left = lower_coerce(lower, lower_arg(lower, op, 0), LOW_F64);
    LowValue right = lower_coerce(lower, lower_arg(lower, op, 1), LOW_F64);
    if (op->opcode == FLOW_OP_MOD) {
        lower_set_result(lower, op, low_emit_runtime(&lower->builder, "fmod", 2, left, right));
        return;
    }
    lower_set_result(lower, op,
                     low_emit_binary(&lower->builder, lower_float_binop(op->opcode), left, right));
}

static void lower_truth(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    LowValue value = lower_arg(lower, op, 0);
    LowValue result;
    if (op->opcode == FLOW_OP_NOT)
        result = low_emit_unary(builder, LOW_UN_NOT, value);
    else if (value.type == LOW_PTR)
        result = low_emit_binary(builder, LOW_BIN_PTR_NE, value, low_null());
    else
        result = low_emit_binary(builder, LOW_BIN_NE, value, low_int(0));
    lower_set_result(lower, op, result);
}

/* == of two strs either of which may be null: identity first, then
 * null, then the bytes. */
static void lower_str_eq(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    LowFunc *func = builder->func;
    LowValue left = lower_coerce(lower, lower_arg(lower, op, 0), LOW_PTR);
    LowValue right = lower_coerce(lower, lower_arg(lower, op, 1), LOW_PTR);
    int equal = low_new_reg(func, LOW_I64);
    low_emit_copy(builder, equal, low_emit_binary(builder, LOW_BIN_PTR_EQ, left, right));
    int done = low_new_block(func, NULL);
    int not_same = low_new_block(func, NULL);
    int compare = low_new_block(func, NULL);
    low_term_branch(builder, low_reg_value(func, equal), done, not_same, LOW_HINT_NONE);
    low_set_block(builder, not_same);
    LowValue either_null =
        low_emit_binary(builder, LOW_BIN_OR, low_emit_unary(builder, LOW_UN_NOT, left),
                        low_emit_unary(builder, LOW_UN_NOT, right));
    low_term_branch(builder, either_null, done, compare, LOW_HINT_NONE);
    low_set_block(builder, compare);
    low_result_into(builder, low_emit_runtime(builder, "rt_str_eq", 2, left, right), equal);
    low_term_goto(builder, done);
    low_set_block(builder, done);
    LowValue result = low_reg_value(func, equal);
    if (op->opcode == FLOW_OP_NE) result = low_emit_unary(builder, LOW_UN_NOT, result);
    lower_set_result(lower, op, result);
}

static void lower_compare_ops(Lower *lower, const FlowOp *op, RtypeOpcode opcode) {
    LowBuilder *builder = &lower->builder;
    LowValue result;
    switch (opcode) {
    case RTYPE_OP_REF_EQ:
        result =
            low_emit_binary(builder, op->opcode == FLOW_OP_NE ? LOW_BIN_PTR_NE : LOW_BIN_PTR_EQ,
                            lower_coerce(lower, lower_arg(lower, op, 0), LOW_PTR),
                            lower_coerce(lower, lower_arg(lower, op, 1), LOW_PTR));
        break;
    case RTYPE_OP_STR_CMP: {
        LowValue order = low_emit_runtime(builder, "rt_str_cmp", 2, lower_arg(lower, op, 0),
                                          lower_arg(lower, op, 1));
        result = low_emit_binary(builder, lower_int_binop(op->opcode), order, low_int(0));
        break;
    }
    default: /* VAL_EQ */
        result = low_emit_runtime(builder, "rt_val_eq", 3, lower_word(lower, op->args[0]),
                                  lower_word(lower, op->args[1]),
                                  lower_valtype(lower, lower_low(lower)->valtype));
        if (op->opcode == FLOW_OP_NE) result = low_emit_unary(builder, LOW_UN_NOT, result);
        break;
    }
    lower_set_result(lower, op, result);
}

/* ---- calls -------------------------------------------------------------------- */

/* spill, call, reload, exception test, result. */
static void lower_finish_call(Lower *lower, const FlowOp *op, LowValue result) {
    lower_reload(lower);
    lower_raise_test(lower);
    lower_set_result(lower, op, result);
}

static LowValue *lower_call_args(Lower *lower, const FlowOp *op, int first, int *count) {
    LowValue *args = calloc((size_t)(op->arg_count - first) + 2, sizeof *args);
    args[0] = low_thread();
    int used = 1;
    for (int i = first; i < op->arg_count; i++)
        args[used++] = lower_arg(lower, op, i);
    *count = used;
    return args;
}

static void lower_call_direct(Lower *lower, const FlowOp *op, int callee, int first) {
    int count;
    LowValue *args = lower_call_args(lower, op, first, &count);
    lower_spill(lower);
    LowValue result = low_emit_call(&lower->builder, lower_func_symbol(lower, callee), args, count);
    free(args);
    lower_finish_call(lower, op, result);
}

static void lower_call_virtual(Lower *lower, const FlowOp *op) {
    const RtypeOp *low = lower_low(lower);
    lower_null_check(lower, op, "cannot call method '%s' of null");
    LowValue code = lower_vtable_entry(lower, low->vtable, lower_arg(lower, op, 0));
    int count;
    LowValue *args = lower_call_args(lower, op, 0, &count);
    const LowSymbol *symbol = &lower->program->symbols.items[lower_func_symbol(lower, low->callee)];
    lower_spill(lower);
    LowValue result =
        low_emit_call_indirect(&lower->builder, code, symbol->result, symbol->params, args, count);
    free(args);
    lower_finish_call(lower, op, result);
}

/* A call of an RtFunc: bound methods get their receiver first. */
static LowValue lower_call_rtfunc(Lower *lower, LowValue callee, int func, const LowValue *args,
                                  int count) {
    LowBuilder *builder = &lower->builder;
    LowFunc *low_func = builder->func;
    const LowSymbol *symbol = &lower->program->symbols.items[lower_func_symbol(lower, func)];
    const LowType *params = symbol->params;
    int param_count = symbol->param_count;
    LowType result_type = symbol->result;
    const RtypeFunc *info = &lower->rtype->funcs[func];
    int skip = info->graph->kind == FLOW_GRAPH_METHOD ? 1 : 0;
    /* the unbound form: th, then the arguments at the parameters after `this` */
    LowType *unbound = calloc((size_t)count + 2, sizeof *unbound);
    LowType *bound = calloc((size_t)count + 3, sizeof *bound);
    LowValue *bound_args = calloc((size_t)count + 3, sizeof *bound_args);
    unbound[0] = bound[0] = bound[1] = LOW_PTR;
    bound_args[0] = args[0];
    for (int i = 1; i < count; i++) {
        LowType type = i - 1 + skip + 1 < param_count ? params[i - 1 + skip + 1] : args[i].type;
        unbound[i] = bound[i + 1] = type;
        bound_args[i + 1] = args[i];
    }
    LowValue code = low_emit_load(builder, LOW_PTR, callee, LOWER_OFFSET(RtFunc, code));
    LowValue is_bound = low_emit_load(builder, LOW_I64, callee, LOWER_OFFSET(RtFunc, bound));
    int result = result_type == LOW_VOID ? -1 : low_new_reg(low_func, result_type);
    int with_receiver = low_new_block(low_func, NULL);
    int without = low_new_block(low_func, NULL);
    int done = low_new_block(low_func, NULL);
    low_term_branch(builder, is_bound, with_receiver, without, LOW_HINT_NONE);
    low_set_block(builder, with_receiver);
    bound_args[1] = low_emit_load(builder, LOW_PTR, callee, LOWER_OFFSET(RtFunc, receiver));
    LowValue value =
        low_emit_call_indirect(builder, code, result_type, bound, bound_args, count + 1);
    if (result >= 0) low_result_into(builder, value, result);
    low_term_goto(builder, done);
    low_set_block(builder, without);
    value = low_emit_call_indirect(builder, code, result_type, unbound, args, count);
    if (result >= 0) low_result_into(builder, value, result);
    low_term_goto(builder, done);
    low_set_block(builder, done);
    free(unbound);
    free(bound);
    free(bound_args);
    return result >= 0 ? low_reg_value(low_func, result) : low_none();
}

static void lower_call_func(Lower *lower, const FlowOp *op) {
    const FlowGraph *graph = lower->graph;
    if (op->args[0].kind == FLOW_VALUE_CONST &&
        graph->consts[op->args[0].index].kind == FLOW_CONST_FUNC) {
        /* a function value the flow stage folded to a constant: a direct call */
        int callee = ann_func_of_graph(lower->rtype->annotator,
                                       (int)graph->consts[op->args[0].index].int_value);
        lower_call_direct(lower, op, callee, 1);
        return;
    }
    const Ann *fn = op->args[0].kind == FLOW_VALUE_VAR
                        ? ann_var(lower->rtype->annotator, lower->func, op->args[0].index)
                        : NULL;
    if (!fn || fn->kind != ANN_FUNCTION || fn->callable_count == 0) {
        /* a call of a value that is never a function */
        low_term_unreachable(&lower->builder);
        return;
    }
    int func = ann_func_of_graph(lower->rtype->annotator, fn->callables[0].graph);
    LowValue callee = lower_coerce(lower, lower_arg(lower, op, 0), LOW_PTR);
    lower_check(lower, low_emit_unary(&lower->builder, LOW_UN_NOT, callee), RT_ERR_NULL,
                "cannot call null", 0);
    int count;
    LowValue *args = lower_call_args(lower, op, 1, &count);
    lower_spill(lower);
    LowValue result = lower_call_rtfunc(lower, callee, func, args, count);
    free(args);
    lower_finish_call(lower, op, result);
}

static void lower_call_extern(Lower *lower, const FlowOp *op) {
    const RtypeOp *low = lower_low(lower);
    const FlowGraph *graph = lower->flow->graphs[low->callee];
    const FnDecl *decl = graph->decl;
    char name[32];
    snprintf(name, sizeof name, "kext_%d", low->callee);
    LowSymbol symbol = {0};
    symbol.name = name;
    symbol.kind = LOW_SYMBOL_EXTERN;
    symbol.c_name = graph->c_name ? graph->c_name : decl->c_name;
    int result = rtype_extern_repr(decl->result, true);
    symbol.result = result == RTYPE_VOID ? LOW_VOID : lower_type_of_repr((RtypeRepr)result);
    symbol.param_count = decl->param_count;
    symbol.params =
        arena_alloc(&lower->program->arena, sizeof(LowType) * (size_t)(decl->param_count + 1));
    for (int i = 0; i < decl->param_count; i++)
        symbol.params[i] =
            lower_type_of_repr((RtypeRepr)rtype_extern_repr(decl->params[i].type, false));
    int index = low_symbol_declare(lower->program, symbol);
    LowValue *args = calloc((size_t)op->arg_count + 1, sizeof *args);
    for (int i = 0; i < op->arg_count; i++)
        args[i] = lower_arg(lower, op, i);
    LowValue value = low_emit_call(&lower->builder, index, args, op->arg_count);
    free(args);
    lower_set_result(lower, op, value);
}

/* ---- tasks ---------------------------------------------------------------------- */

static void lower_task_invoker_name(char *name, size_t size, int func, int block, int op_index) {
    snprintf(name, size, "ktask_%d_%d_%d", func, block, op_index);
}

/* The invoker of one TASK operation: calls the task's function value
 * (word 2) with its argument (word 3) at their C types. */
static void lower_task_invoker(Lower *lower, int block, int op_index) {
    const RtypeOp *low = &lower->info->ops[block][op_index];
    const RtypeFunc *callee = &lower->rtype->funcs[low->callee];
    int skip = callee->graph->kind == FLOW_GRAPH_METHOD ? 1 : 0;
    LowType param = lower_type_of_repr(callee->reprs[callee->graph->blocks[0].inputs[skip]]);
    char name[64];
    lower_task_invoker_name(name, sizeof name, lower->func, block, op_index);
    LowBuilder builder;
    LowType task_type = LOW_PTR;
    LowFunc *func =
        low_func_new(&builder, lower->program, name, lower->graph->name, LOW_I64, &task_type, 1);
    func->pos = lower->graph->pos;
    LowValue task = low_reg_value(func, 0);
    LowValue code = low_coerce(&builder, low_emit_load(&builder, LOW_I64, task, 16), LOW_PTR);
    LowValue arg = low_coerce(&builder, low_emit_load(&builder, LOW_I64, task, 24), param);
    int null_block = low_new_block(func, "null");
    int call_block = low_new_block(func, NULL);
    low_term_branch(&builder, low_emit_unary(&builder, LOW_UN_NOT, code), null_block, call_block,
                    LOW_HINT_UNLIKELY);
    low_set_block(&builder, null_block);
    low_emit_runtime(&builder, "rt_raise", 3, low_thread(), low_int(RT_ERR_NULL),
                     low_cstring_value(lower->program, "cannot call null"));
    low_term_return(&builder, low_int(0));
    low_set_block(&builder, call_block);
    LowBuilder saved = lower->builder;
    lower->builder = builder;
    LowValue args[2] = {low_thread(), arg};
    lower_call_rtfunc(lower, code, low->callee, args, 2);
    low_term_return(&lower->builder, low_int(0));
    lower->builder = saved;
}

void lower_task_invokers(Lower *lower) {
    const FlowGraph *graph = lower->graph;
    for (int block = 0; block < graph->block_count; block++)
        for (int i = 0; i < graph->blocks[block].op_count; i++)
            if (lower->info->ops[block][i].opcode == RTYPE_OP_TASK)
                lower_task_invoker(lower, block, i);
}

/* thread_start runs the task at once; transaction_add queues it. */
static void lower_task(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    const RtypeOp *low = lower_low(lower);
    char name[64];
    lower_task_invoker_name(name, sizeof name, lower->func, lower->block, lower->op_index);
    lower_spill(lower);
    LowValue task = low_emit_runtime(builder, "rt_alloc_tuple", 3, low_thread(),
                                     low_int(low->type_id), low_int(3));
    lower_reload(lower);
    int invoker = low_symbol_data(lower->program, name, LOW_VOID);
    low_emit_store(builder, LOW_I64, task, 8, lower_to_word(lower, low_symbol_value(invoker)));
    low_emit_store(builder, LOW_I64, task, 16, lower_word(lower, op->args[0]));
    low_emit_store(builder, LOW_I64, task, 24, lower_word(lower, op->args[1]));
    if (op->aux == FLOW_BUILTIN_THREAD_START) {
        lower_set_result(lower, op, low_int(1)); /* a thread handle: threads run serially */
        lower_spill(lower);
        LowValue code = low_emit_load(builder, LOW_PTR, task, 8);
        LowType params[2] = {LOW_PTR, LOW_PTR};
        LowValue args[2] = {low_thread(), task};
        low_emit_call_indirect(builder, code, LOW_I64, params, args, 2);
    } else {
        lower_spill(lower);
        low_emit_runtime(builder, "rt_task_add", 2, low_thread(), task);
    }
    lower_reload(lower);
    lower_raise_test(lower);
}

/* ---- the dispatch ------------------------------------------------------------------- */

static void lower_raise_unset(Lower *lower, const FlowOp *op) {
    FlowValue arg = op->args[lower_low(lower)->field];
    const char *name = arg.kind == FLOW_VALUE_CONST ? lower->graph->consts[arg.index].str_value
                                                    : lower->graph->vars[arg.index].name;
    char message[300];
    snprintf(message, sizeof message, "local '%s' used before assignment", name ? name : "?");
    lower_check(lower, low_int(1), RT_ERR_NULL, message, 0);
}

static void lower_simple(Lower *lower, const FlowOp *op, RtypeOpcode opcode) {
    LowBuilder *builder = &lower->builder;
    switch (opcode) {
    case RTYPE_OP_COPY:
        lower_set_result(lower, op, op->arg_count ? lower_arg(lower, op, 0) : low_int(0));
        return;
    case RTYPE_OP_INT_BINARY:
        lower_set_result(lower, op,
                         low_emit_binary(builder, lower_int_binop(op->opcode),
                                         lower_coerce(lower, lower_arg(lower, op, 0), LOW_I64),
                                         lower_coerce(lower, lower_arg(lower, op, 1), LOW_I64)));
        return;
    case RTYPE_OP_INT_UNARY:
        lower_set_result(lower, op,
                         low_emit_unary(builder,
                                        op->opcode == FLOW_OP_NEG ? LOW_UN_NEG : LOW_UN_INVERT,
                                        lower_arg(lower, op, 0)));
        return;
    case RTYPE_OP_FLOAT_UNARY:
        lower_set_result(lower, op, low_emit_unary(builder, LOW_UN_FNEG, lower_arg(lower, op, 0)));
        return;
    case RTYPE_OP_INT_SHIFT:
        lower_set_result(
            lower, op,
            lower_call_runtime(lower,
                               op->opcode == FLOW_OP_LSHIFT ? "rt_shift_left" : "rt_shift_right", 3,
                               low_thread(), lower_arg(lower, op, 0), lower_arg(lower, op, 1)));
        return;
    case RTYPE_OP_STR_CONCAT:
        lower_set_result(lower, op,
                         lower_call_runtime(lower, "rt_str_concat", 3, low_thread(),
                                            lower_arg(lower, op, 0), lower_arg(lower, op, 1)));
        return;
    default: return;
    }
}

void lower_op(Lower *lower, const FlowOp *op) {
    const RtypeOp *low = lower_low(lower);
    switch (low->opcode) {
    case RTYPE_OP_NOP: return;
    case RTYPE_OP_UNREACHABLE: low_term_unreachable(&lower->builder); return;
    case RTYPE_OP_RAISE_UNSET: lower_raise_unset(lower, op); return;
    case RTYPE_OP_COPY:
    case RTYPE_OP_INT_BINARY:
    case RTYPE_OP_INT_UNARY:
    case RTYPE_OP_FLOAT_UNARY:
    case RTYPE_OP_INT_SHIFT:
    case RTYPE_OP_STR_CONCAT: lower_simple(lower, op, low->opcode); return;
    case RTYPE_OP_INT_DIVMOD: lower_divmod(lower, op); return;
    case RTYPE_OP_FLOAT_BINARY: lower_float_binary(lower, op); return;
    case RTYPE_OP_TRUTH: lower_truth(lower, op); return;
    case RTYPE_OP_STR_EQ: lower_str_eq(lower, op); return;
    case RTYPE_OP_REF_EQ:
    case RTYPE_OP_STR_CMP:
    case RTYPE_OP_VAL_EQ: lower_compare_ops(lower, op, low->opcode); return;
    case RTYPE_OP_CALL_DIRECT: {
        const FlowGraph *graph = lower->rtype->funcs[low->callee].graph;
        if (op->opcode == FLOW_OP_CALL_METHOD)
            lower_null_check(lower, op, "cannot call method '%s' of null");
        lower_call_direct(lower, op, low->callee, op->arg_count - graph->param_count);
        return;
    }
    case RTYPE_OP_CALL_VIRTUAL: lower_call_virtual(lower, op); return;
    case RTYPE_OP_CALL_FUNC: lower_call_func(lower, op); return;
    case RTYPE_OP_TASK: lower_task(lower, op); return;
    case RTYPE_OP_CALL_EXTERN: lower_call_extern(lower, op); return;
    case RTYPE_OP_CALL_RTLIB:
    case RTYPE_OP_LIST_APPEND: lower_method(lower, op); return;
    case RTYPE_OP_BUILTIN:
    case RTYPE_OP_LEN: lower_builtin(lower, op); return;
    case RTYPE_OP_NEWLIST:
    case RTYPE_OP_NEWDICT:
    case RTYPE_OP_NEWTUPLE:
    case RTYPE_OP_NEWBUILDER:
    case RTYPE_OP_ITER:
    case RTYPE_OP_ITER_HAS:
    case RTYPE_OP_ITER_NEXT: lower_aggregate(lower, op); return;
    case RTYPE_OP_LIST_GETITEM:
    case RTYPE_OP_LIST_SETITEM:
    case RTYPE_OP_STR_GETITEM:
    case RTYPE_OP_TUPLE_GETITEM:
    case RTYPE_OP_DICT_GETITEM:
    case RTYPE_OP_DICT_SETITEM:
    case RTYPE_OP_UNPACK_CHECK: lower_item(lower, op); return;
    default: lower_object(lower, op); return;
    }
}
