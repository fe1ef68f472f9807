/* c_ops.c - the C of each low-level operation.
 *
 * Around an operation that can collect, the references the transform
 * chose are stored on the shadow stack and reloaded after it (a collection
 * moves young objects and updates only the shadow stack).  An inline check
 * that fails (bounds, null, zero divisor) spills the same references
 * around the rt_raise call, which allocates the exception.
 */
#include <inttypes.h>
#include <string.h>

#include "../../rtlib/rt.h"
#include "c_internal.h"

#define OUT emitter->out

const TransformOp *c_decision(CEmitter *emitter) {
    return &emitter->transform->ops[emitter->func][emitter->block][emitter->op_index];
}

const RtypeOp *c_low(CEmitter *emitter) {
    return &emitter->info->ops[emitter->block][emitter->op_index];
}

void c_emit_spill(CEmitter *emitter) {
    const TransformOp *decision = c_decision(emitter);
    if (!decision->spill_count) return;
    fprintf(OUT, "RT_SPILL_CHECK(th, %d); ", decision->spill_count);
    for (int i = 0; i < decision->spill_count; i++)
        fprintf(OUT, "th->root_top[%d] = v%d; ", i, decision->spill[i]);
    fprintf(OUT, "th->root_top += %d; ", decision->spill_count);
}

void c_emit_reload(CEmitter *emitter) {
    const TransformOp *decision = c_decision(emitter);
    if (!decision->spill_count) return;
    fprintf(OUT, "th->root_top -= %d; ", decision->spill_count);
    for (int i = 0; i < decision->spill_count; i++)
        fprintf(OUT, "v%d = th->root_top[%d]; ", decision->spill[i], i);
}

void c_value(CEmitter *emitter, FlowValue value) {
    if (value.kind == FLOW_VALUE_VAR) {
        fprintf(OUT, "v%d", value.index);
        return;
    }
    if (value.kind == FLOW_VALUE_CAUGHT) {
        fputs("rt_catch()", OUT);
        return;
    }
    const FlowConst *constant = &emitter->graph->consts[value.index];
    switch (constant->kind) {
    case FLOW_CONST_INT:
        if (constant->int_value == INT64_MIN)
            fputs("INT64_MIN", OUT);
        else
            fprintf(OUT, "INT64_C(%" PRId64 ")", constant->int_value);
        break;
    case FLOW_CONST_FLOAT:
        if (constant->float_value != constant->float_value)
            fputs("(double)NAN", OUT);
        else if (constant->float_value > 1.7976931348623157e308)
            fputs("(double)INFINITY", OUT);
        else if (constant->float_value < -1.7976931348623157e308)
            fputs("(-(double)INFINITY)", OUT);
        else
            fprintf(OUT, "%a", constant->float_value);
        break;
    case FLOW_CONST_BOOL:
    case FLOW_CONST_CHAR: fprintf(OUT, "%" PRId64, constant->int_value); break;
    case FLOW_CONST_STR:
        fprintf(OUT, "((void *)&kstr_%d)",
                c_string_const(emitter, constant->str_value, constant->str_length));
        break;
    case FLOW_CONST_FUNC: {
        int func = ann_func_of_graph(emitter->rtype->annotator, (int)constant->int_value);
        fprintf(OUT, "((void *)&kfn_%d)", func);
        break;
    }
    default: fputs("0", OUT); break;
    }
}

/* A value as a storage word. */
void c_emit_word(CEmitter *emitter, FlowValue value) {
    RtypeRepr repr = RTYPE_INT;
    if (value.kind == FLOW_VALUE_VAR) repr = emitter->info->reprs[value.index];
    if (value.kind == FLOW_VALUE_CONST) {
        FlowConstKind kind = emitter->graph->consts[value.index].kind;
        repr = kind == FLOW_CONST_FLOAT                            ? RTYPE_FLOAT
               : kind == FLOW_CONST_STR || kind == FLOW_CONST_FUNC ? RTYPE_REF
                                                                   : RTYPE_INT;
    }
    fputs(repr == RTYPE_FLOAT ? "rt_word_of_float("
          : repr == RTYPE_REF ? "rt_word_of_ref("
                              : "(",
          OUT);
    c_value(emitter, value);
    fputs(")", OUT);
}

/* "vR = " for the operation's result, converting from a word when asked. */
void c_result(CEmitter *emitter, const FlowOp *op) {
    /* a void result keeps its 0: rtlib procedures return void */
    if (op->result >= 0 && emitter->info->reprs[op->result] != RTYPE_VOID)
        fprintf(OUT, "v%d = ", op->result);
}

const char *c_from_word(CEmitter *emitter, const FlowOp *op) {
    if (op->result < 0) return "(";
    RtypeRepr repr = emitter->info->reprs[op->result];
    return repr == RTYPE_FLOAT ? "rt_float_of_word(" : repr == RTYPE_REF ? "rt_ref_of_word(" : "(";
}

void c_arg(CEmitter *emitter, const FlowOp *op, int index) {
    c_value(emitter, op->args[index]);
}

/* A failing inline check: spill, raise, reload, leave. */
void c_emit_check(CEmitter *emitter, const char *condition, const char *raise) {
    fprintf(OUT, "    if (RT_UNLIKELY(%s)) { ", condition);
    c_emit_spill(emitter);
    fprintf(OUT, "%s; ", raise);
    c_emit_reload(emitter);
    c_emit_raise_exit(emitter);
    fputs(" }\n", OUT);
}

/* Ends a call-like operation: reload, then leave if it raised. */
void c_emit_after_call(CEmitter *emitter) {
    c_emit_reload(emitter);
    if (c_decision(emitter)->raises) {
        fputs("if (RT_RAISED()) ", OUT);
        c_emit_raise_exit(emitter);
    }
    fputs("\n", OUT);
}

void c_emit_null_check(CEmitter *emitter, const FlowOp *op, const char *what) {
    if (!c_low(emitter)->nullable) return;
    char condition[64], raise[200];
    snprintf(condition, sizeof condition, "!%s%d", op->args[0].kind == FLOW_VALUE_VAR ? "v" : "0*",
             op->args[0].index);
    snprintf(raise, sizeof raise, "rt_raise(th, RT_ERR_NULL, \"%s\")", what);
    c_emit_check(emitter, condition, raise);
}

static const char *c_binary_operator(FlowOpcode opcode) {
    switch (opcode) {
    case FLOW_OP_ADD: return "+";
    case FLOW_OP_SUB: return "-";
    case FLOW_OP_MUL: return "*";
    case FLOW_OP_DIV: return "/";
    case FLOW_OP_BIT_AND: return "&";
    case FLOW_OP_BIT_OR: return "|";
    case FLOW_OP_BIT_XOR: return "^";
    case FLOW_OP_EQ: return "==";
    case FLOW_OP_NE: return "!=";
    case FLOW_OP_LT: return "<";
    case FLOW_OP_LE: return "<=";
    case FLOW_OP_GT: return ">";
    case FLOW_OP_GE: return ">=";
    default: return "?";
    }
}

static void c_emit_int_binary(CEmitter *emitter, const FlowOp *op) {
    const char *operator= c_binary_operator(op->opcode);
    fputs("    ", OUT);
    c_result(emitter, op);
    bool wraps =
        op->opcode == FLOW_OP_ADD || op->opcode == FLOW_OP_SUB || op->opcode == FLOW_OP_MUL;
    if (wraps) {
        fputs("(int64_t)((uint64_t)", OUT);
        c_arg(emitter, op, 0);
        fprintf(OUT, " %s (uint64_t)", operator);
        c_arg(emitter, op, 1);
        fputs(");\n", OUT);
        return;
    }
    fputs("(", OUT);
    c_arg(emitter, op, 0);
    fprintf(OUT, " %s ", operator);
    c_arg(emitter, op, 1);
    fputs(");\n", OUT);
}

static void c_emit_divmod(CEmitter *emitter, const FlowOp *op) {
    bool div = op->opcode == FLOW_OP_DIV;
    fputs("    { int64_t left = ", OUT);
    c_arg(emitter, op, 0);
    fputs(", right = ", OUT);
    c_arg(emitter, op, 1);
    fputs(";\n", OUT);
    c_emit_check(emitter, "right == 0",
                 div ? "rt_raise(th, RT_ERR_ZERO_DIVISION, \"integer division by zero\")"
                     : "rt_raise(th, RT_ERR_ZERO_DIVISION, \"integer modulo by zero\")");
    fputs("    ", OUT);
    c_result(emitter, op);
    if (div)
        fputs("right == -1 ? (int64_t)(0 - (uint64_t)left) : left / right; }\n", OUT);
    else
        fputs("right == -1 ? 0 : left % right; }\n", OUT);
}

static void c_emit_float_binary(CEmitter *emitter, const FlowOp *op) {
    fputs("    ", OUT);
    c_result(emitter, op);
    if (op->opcode == FLOW_OP_MOD) {
        fputs("fmod(", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        c_arg(emitter, op, 1);
        fputs(");\n", OUT);
        return;
    }
    fputs("(", OUT);
    c_arg(emitter, op, 0);
    fprintf(OUT, " %s ", c_binary_operator(op->opcode));
    c_arg(emitter, op, 1);
    fputs(");\n", OUT);
}

/* A call-like expression: spill, the expression, reload, exception test. */
void c_emit_call_begin(CEmitter *emitter, const FlowOp *op, bool word_result) {
    fputs("    ", OUT);
    c_emit_spill(emitter);
    c_result(emitter, op);
    if (word_result) fputs(c_from_word(emitter, op), OUT);
}

void c_emit_args(CEmitter *emitter, const FlowOp *op, int first) {
    for (int i = first; i < op->arg_count; i++) {
        fputs(", ", OUT);
        c_arg(emitter, op, i);
    }
}

static void c_emit_call_direct(CEmitter *emitter, const FlowOp *op, int callee) {
    const FlowGraph *graph = emitter->rtype->funcs[callee].graph;
    if (op->opcode == FLOW_OP_CALL_METHOD)
        c_emit_null_check(emitter, op, "cannot call method of null");
    c_emit_call_begin(emitter, op, false);
    fprintf(OUT, "%s(th", emitter->rtype->funcs[callee].c_name);
    c_emit_args(emitter, op, op->arg_count - graph->param_count);
    fputs("); ", OUT);
    c_emit_after_call(emitter);
}

/* The C function pointer type of an annotated function. */
static void c_emit_fn_type(CEmitter *emitter, int func, bool bound) {
    const RtypeFunc *info = &emitter->rtype->funcs[func];
    fprintf(OUT, "(%s (*)(GcThread *", c_repr_types[info->result]);
    for (int i = 0; i < info->graph->param_count; i++)
        fprintf(OUT, ", %s", c_repr_types[info->reprs[info->graph->blocks[0].inputs[i]]]);
    (void)bound;
    fputs("))", OUT);
}

static void c_emit_call_virtual(CEmitter *emitter, const FlowOp *op) {
    const RtypeOp *low = c_low(emitter);
    const RtypeVtable *table = &emitter->rtype->vtables.items[low->vtable];
    c_emit_null_check(emitter, op, "cannot call method of null");
    c_emit_call_begin(emitter, op, false);
    fputs("(", OUT);
    c_emit_fn_type(emitter, low->callee, false);
    fprintf(OUT, "kvt_%d[rt_type_of(", low->vtable);
    c_arg(emitter, op, 0);
    fprintf(OUT, ") - %d])(th", table->first_type);
    c_emit_args(emitter, op, 0);
    fputs("); ", OUT);
    c_emit_after_call(emitter);
}

static void c_emit_call_func(CEmitter *emitter, const FlowOp *op) {
    if (op->args[0].kind == FLOW_VALUE_CONST &&
        emitter->graph->consts[op->args[0].index].kind == FLOW_CONST_FUNC) {
        /* a function value the flow stage folded to a constant: a direct call */
        int graph = (int)emitter->graph->consts[op->args[0].index].int_value;
        int callee = ann_func_of_graph(emitter->rtype->annotator, graph);
        c_emit_call_begin(emitter, op, false);
        fprintf(OUT, "%s(th", emitter->rtype->funcs[callee].c_name);
        c_emit_args(emitter, op, 1);
        fputs("); ", OUT);
        c_emit_after_call(emitter);
        return;
    }
    const Ann *fn = op->args[0].kind == FLOW_VALUE_VAR
                        ? ann_var(emitter->rtype->annotator, emitter->func, op->args[0].index)
                        : NULL;
    if (!fn || fn->kind != ANN_FUNCTION || fn->callable_count == 0) {
        fputs("    abort(); /* a call of a value that is never a function */\n", OUT);
        return;
    }
    int func = ann_func_of_graph(emitter->rtype->annotator, fn->callables[0].graph);
    const RtypeFunc *info = &emitter->rtype->funcs[func];
    fputs("    { RtFunc *callee = ", OUT);
    c_arg(emitter, op, 0);
    fputs(";\n", OUT);
    char condition[64];
    snprintf(condition, sizeof condition, "!callee");
    c_emit_check(emitter, condition, "rt_raise(th, RT_ERR_NULL, \"cannot call null\")");
    c_emit_call_begin(emitter, op, false);
    fputs("callee->bound ? (", OUT);
    fprintf(OUT, "(%s (*)(GcThread *, void *", c_repr_types[info->result]);
    int skip = info->graph->kind == FLOW_GRAPH_METHOD ? 1 : 0;
    for (int i = 1; i < op->arg_count; i++)
        fprintf(OUT, ", %s",
                c_repr_types[info->reprs[info->graph->blocks[0].inputs[i - 1 + skip]]]);
    fputs("))callee->code)(th, callee->receiver", OUT);
    c_emit_args(emitter, op, 1);
    fprintf(OUT, ") : ((%s (*)(GcThread *", c_repr_types[info->result]);
    for (int i = 1; i < op->arg_count; i++)
        fprintf(OUT, ", %s",
                c_repr_types[info->reprs[info->graph->blocks[0].inputs[i - 1 + skip]]]);
    fputs("))callee->code)(th", OUT);
    c_emit_args(emitter, op, 1);
    fputs("); ", OUT);
    c_emit_after_call(emitter);
    fputs("    }\n", OUT);
}

/* The name of the invoker of the TASK operation at (block, op_index). */
static void c_task_invoker_name(char *name, size_t size, const CEmitter *emitter, int block,
                                int op_index) {
    snprintf(name, size, "ktask_%d_%d_%d", emitter->func, block, op_index);
}

/* Before a function: the invoker of each of its TASK operations, which
 * calls the task's function value with its argument at their C types. */
void c_emit_task_invokers(CEmitter *emitter) {
    const FlowGraph *graph = emitter->graph;
    for (int block = 0; block < graph->block_count; block++) {
        for (int i = 0; i < graph->blocks[block].op_count; i++) {
            const RtypeOp *low = &emitter->info->ops[block][i];
            if (low->opcode != RTYPE_OP_TASK) continue;
            const RtypeFunc *callee = &emitter->rtype->funcs[low->callee];
            int skip = callee->graph->kind == FLOW_GRAPH_METHOD ? 1 : 0;
            RtypeRepr param = callee->reprs[callee->graph->blocks[0].inputs[skip]];
            const char *result = c_repr_types[callee->result];
            const char *type = c_repr_types[param];
            char name[64];
            c_task_invoker_name(name, sizeof name, emitter, block, i);
            fprintf(
                OUT,
                "\nstatic int64_t %s(GcThread *th, void *task) {\n"
                "    RtFunc *callee = rt_ref_of_word(((int64_t *)task)[2]);\n"
                "    %s arg = %s((int64_t *)task)[3]);\n"
                "    if (!callee) { rt_raise(th, RT_ERR_NULL, \"cannot call null\"); return 0; }\n"
                "    if (callee->bound) ((%s (*)(GcThread *, void *, %s))callee->code)(th, "
                "callee->receiver, arg);\n"
                "    else ((%s (*)(GcThread *, %s))callee->code)(th, arg);\n"
                "    return 0;\n}\n",
                name, type,
                param == RTYPE_FLOAT ? "rt_float_of_word("
                : param == RTYPE_REF ? "rt_ref_of_word("
                                     : "(",
                result, type, result, type);
        }
    }
}

/* thread_start runs the task at once; transaction_add queues it. */
static void c_emit_task(CEmitter *emitter, const FlowOp *op) {
    const RtypeOp *low = c_low(emitter);
    char name[64];
    c_task_invoker_name(name, sizeof name, emitter, emitter->block, emitter->op_index);
    fputs("    { void *task; ", OUT);
    c_emit_spill(emitter);
    fprintf(OUT, "task = rt_alloc_tuple(th, %d, 3); ", low->type_id);
    c_emit_reload(emitter);
    fprintf(OUT, "\n    ((int64_t *)task)[1] = (int64_t)(intptr_t)%s;\n    ((int64_t *)task)[2] = ",
            name);
    c_emit_word(emitter, op->args[0]);
    fputs(";\n    ((int64_t *)task)[3] = ", OUT);
    c_emit_word(emitter, op->args[1]);
    fputs(";\n    ", OUT);
    if (op->aux == FLOW_BUILTIN_THREAD_START) {
        c_result(emitter, op);
        fputs("1; /* a thread handle: threads run serially */\n    ", OUT);
    }
    c_emit_spill(emitter);
    fputs(op->aux == FLOW_BUILTIN_THREAD_START ? "rt_task_invoke(th, task); "
                                               : "rt_task_add(th, task); ",
          OUT);
    c_emit_after_call(emitter);
    fputs("    }\n", OUT);
}

void c_emit_op(CEmitter *emitter, const FlowOp *op) {
    const RtypeOp *low = c_low(emitter);
    switch (low->opcode) {
    case RTYPE_OP_NOP: return;
    case RTYPE_OP_UNREACHABLE:
        fputs("    abort(); /* never completes, by the annotation */\n", OUT);
        return;
    case RTYPE_OP_RAISE_UNSET: {
        FlowValue arg = op->args[low->field];
        const char *name = arg.kind == FLOW_VALUE_CONST
                               ? emitter->graph->consts[arg.index].str_value
                               : emitter->graph->vars[arg.index].name;
        char raise[300];
        snprintf(raise, sizeof raise,
                 "rt_raise(th, RT_ERR_NULL, \"local '%s' used before assignment\")", name);
        c_emit_check(emitter, "1", raise);
        return;
    }
    case RTYPE_OP_COPY:
        fputs("    ", OUT);
        c_result(emitter, op);
        if (op->arg_count)
            c_arg(emitter, op, 0);
        else
            fputs("0", OUT);
        fputs(";\n", OUT);
        return;
    case RTYPE_OP_INT_BINARY: c_emit_int_binary(emitter, op); return;
    case RTYPE_OP_INT_DIVMOD: c_emit_divmod(emitter, op); return;
    case RTYPE_OP_INT_SHIFT:
        c_emit_call_begin(emitter, op, false);
        fprintf(OUT, "%s(th, ", op->opcode == FLOW_OP_LSHIFT ? "rt_shift_left" : "rt_shift_right");
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        c_arg(emitter, op, 1);
        fputs("); ", OUT);
        c_emit_after_call(emitter);
        return;
    case RTYPE_OP_INT_UNARY:
        fputs("    ", OUT);
        c_result(emitter, op);
        fputs(op->opcode == FLOW_OP_NEG ? "(int64_t)(0 - (uint64_t)" : "(~", OUT);
        c_arg(emitter, op, 0);
        fputs(");\n", OUT);
        return;
    case RTYPE_OP_FLOAT_BINARY: c_emit_float_binary(emitter, op); return;
    case RTYPE_OP_FLOAT_UNARY:
        fputs("    ", OUT);
        c_result(emitter, op);
        fputs("-", OUT);
        c_arg(emitter, op, 0);
        fputs(";\n", OUT);
        return;
    case RTYPE_OP_TRUTH:
        fputs("    ", OUT);
        c_result(emitter, op);
        fputs(op->opcode == FLOW_OP_NOT ? "!" : "!!", OUT);
        c_arg(emitter, op, 0);
        fputs(";\n", OUT);
        return;
    case RTYPE_OP_REF_EQ:
        fputs("    ", OUT);
        c_result(emitter, op);
        fputs("(void *)", OUT);
        c_arg(emitter, op, 0);
        fprintf(OUT, " %s (void *)", c_binary_operator(op->opcode));
        c_arg(emitter, op, 1);
        fputs(";\n", OUT);
        return;
    case RTYPE_OP_STR_EQ:
        fputs("    ", OUT);
        c_result(emitter, op);
        fputs(op->opcode == FLOW_OP_NE ? "!rt_str_eq_nullable(" : "rt_str_eq_nullable(", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        c_arg(emitter, op, 1);
        fputs(");\n", OUT);
        return;
    case RTYPE_OP_STR_CMP:
        fputs("    ", OUT);
        c_result(emitter, op);
        fputs("rt_str_cmp(", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        c_arg(emitter, op, 1);
        fprintf(OUT, ") %s 0;\n", c_binary_operator(op->opcode));
        return;
    case RTYPE_OP_STR_CONCAT:
        c_emit_call_begin(emitter, op, false);
        fputs("rt_str_concat(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        c_arg(emitter, op, 1);
        fputs("); ", OUT);
        c_emit_after_call(emitter);
        return;
    case RTYPE_OP_VAL_EQ:
        fputs("    ", OUT);
        c_result(emitter, op);
        fputs(op->opcode == FLOW_OP_NE ? "!rt_val_eq(" : "rt_val_eq(", OUT);
        c_emit_word(emitter, op->args[0]);
        fputs(", ", OUT);
        c_emit_word(emitter, op->args[1]);
        fprintf(OUT, ", &kval_%d);\n", low->valtype);
        return;
    case RTYPE_OP_CALL_DIRECT: c_emit_call_direct(emitter, op, low->callee); return;
    case RTYPE_OP_CALL_VIRTUAL: c_emit_call_virtual(emitter, op); return;
    case RTYPE_OP_CALL_FUNC: c_emit_call_func(emitter, op); return;
    case RTYPE_OP_TASK: c_emit_task(emitter, op); return;
    case RTYPE_OP_CALL_EXTERN:
        fputs("    ", OUT);
        c_result(emitter, op);
        fprintf(OUT, "kext_%d(", low->callee);
        for (int i = 0; i < op->arg_count; i++) {
            if (i) fputs(", ", OUT);
            c_arg(emitter, op, i);
        }
        fputs(");\n", OUT);
        return;
    case RTYPE_OP_CALL_RTLIB:
    case RTYPE_OP_LIST_APPEND: c_emit_method(emitter, op); return;
    case RTYPE_OP_BUILTIN:
    case RTYPE_OP_LEN: c_emit_builtin(emitter, op); return;
    case RTYPE_OP_NEWLIST:
    case RTYPE_OP_NEWDICT:
    case RTYPE_OP_NEWTUPLE:
    case RTYPE_OP_NEWBUILDER:
    case RTYPE_OP_ITER:
    case RTYPE_OP_ITER_HAS:
    case RTYPE_OP_ITER_NEXT: c_emit_aggregate(emitter, op); return;
    case RTYPE_OP_LIST_GETITEM:
    case RTYPE_OP_LIST_SETITEM:
    case RTYPE_OP_STR_GETITEM:
    case RTYPE_OP_TUPLE_GETITEM:
    case RTYPE_OP_DICT_GETITEM:
    case RTYPE_OP_DICT_SETITEM:
    case RTYPE_OP_UNPACK_CHECK: c_emit_item(emitter, op); return;
    default: c_emit_object(emitter, op); return;
    }
}
