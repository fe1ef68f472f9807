/* lower.c - flow graphs with their rtype choices and transform decisions
 * become low-level graphs (the contract is in lower.h): the function
 * skeleton, links, exception paths, spills and the helpers that the
 * operation files (lower_ops.c, lower_data.c, lower_object.c) share.
 *
 * Every flow block becomes one low block (block_map), entered by its
 * links; an operation that branches (a check, an exception test) splits
 * its flow block into several low blocks, the last of which takes the
 * flow block's exits.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lower_internal.h"

/* ---- the current operation --------------------------------------------- */

const RtypeOp *lower_low(Lower *lower) {
    return &lower->info->ops[lower->block][lower->op_index];
}

const TransformOp *lower_decision(Lower *lower) {
    return &lower->transform->ops[lower->func][lower->block][lower->op_index];
}

/* The annotation of an operand; a constant one is a str literal (the only
 * constant a for-each or a method call can have as receiver). */
const Ann *lower_ann(Lower *lower, FlowValue value) {
    Annotator *annotator = lower->rtype->annotator;
    if (value.kind == FLOW_VALUE_CAUGHT)
        return ann_instance(annotator, lower->flow->exception_class, false);
    if (value.kind != FLOW_VALUE_VAR) return ann_simple(annotator, ANN_STR);
    return ann_var(annotator, lower->func, value.index);
}

AnnKind lower_arg_kind(Lower *lower, const FlowOp *op, int index) {
    FlowValue value = op->args[index];
    if (value.kind == FLOW_VALUE_VAR)
        return ann_var(lower->rtype->annotator, lower->func, value.index)->kind;
    if (value.kind == FLOW_VALUE_CAUGHT) return ANN_INSTANCE;
    switch (lower->graph->consts[value.index].kind) {
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

/* ---- values ---------------------------------------------------------------- */

LowType lower_type_of_repr(RtypeRepr repr) {
    return repr == RTYPE_FLOAT ? LOW_F64 : repr == RTYPE_REF ? LOW_PTR : LOW_I64;
}

static LowValue lower_const(Lower *lower, const FlowConst *constant) {
    switch (constant->kind) {
    case FLOW_CONST_INT:
    case FLOW_CONST_BOOL:
    case FLOW_CONST_CHAR: return low_int(constant->int_value);
    case FLOW_CONST_FLOAT: return low_float(constant->float_value);
    case FLOW_CONST_STR:
        return low_str_value(lower->program, constant->str_value, constant->str_length);
    case FLOW_CONST_NULL: return low_null();
    case FLOW_CONST_FUNC: {
        char name[32];
        int func = ann_func_of_graph(lower->rtype->annotator, (int)constant->int_value);
        snprintf(name, sizeof name, "kfn_%d", func);
        return low_symbol_value(low_symbol_data(lower->program, name, LOW_VOID));
    }
    default: return low_int(0);
    }
}

LowValue lower_value(Lower *lower, FlowValue value) {
    if (value.kind == FLOW_VALUE_VAR)
        return low_reg_value(lower->builder.func, lower->var_regs[value.index]);
    if (value.kind == FLOW_VALUE_CAUGHT)
        return low_emit_prim(&lower->builder, LOW_PRIM_CATCH, LOW_PTR, 0);
    return lower_const(lower, &lower->graph->consts[value.index]);
}

LowValue lower_arg(Lower *lower, const FlowOp *op, int index) {
    return lower_value(lower, op->args[index]);
}

LowValue lower_coerce(Lower *lower, LowValue value, LowType type) {
    return low_coerce(&lower->builder, value, type);
}

LowValue lower_to_word(Lower *lower, LowValue value) {
    return low_coerce(&lower->builder, value, LOW_I64);
}

LowValue lower_word(Lower *lower, FlowValue value) {
    return lower_to_word(lower, lower_value(lower, value));
}

int lower_result_reg(Lower *lower, const FlowOp *op) {
    if (op->result < 0 || lower->info->reprs[op->result] == RTYPE_VOID) return -1;
    return lower->var_regs[op->result];
}

LowValue lower_from_word(Lower *lower, const FlowOp *op, LowValue word) {
    if (op->result < 0) return word;
    return low_coerce(&lower->builder, word, lower_type_of_repr(lower->info->reprs[op->result]));
}

void lower_set_result(Lower *lower, const FlowOp *op, LowValue value) {
    int reg = lower_result_reg(lower, op);
    if (reg < 0 || value.kind == LOW_VALUE_NONE) return;
    LowValue coerced = low_coerce(&lower->builder, value, lower->builder.func->regs.items[reg]);
    low_result_into(&lower->builder, coerced, reg);
}

/* ---- spills, checks, exception paths ------------------------------------------ */

void lower_spill(Lower *lower) {
    const TransformOp *decision = lower_decision(lower);
    if (!decision->spill_count) return;
    LowBuilder *builder = &lower->builder;
    low_emit_prim(builder, LOW_PRIM_SPILL_CHECK, LOW_VOID, 1, low_int(decision->spill_count));
    for (int i = 0; i < decision->spill_count; i++)
        low_emit_prim(builder, LOW_PRIM_ROOT_STORE, LOW_VOID, 2, low_int(i),
                      lower_value(lower, (FlowValue){FLOW_VALUE_VAR, decision->spill[i]}));
    low_emit_prim(builder, LOW_PRIM_ROOT_ADJUST, LOW_VOID, 1, low_int(decision->spill_count));
}

void lower_reload(Lower *lower) {
    const TransformOp *decision = lower_decision(lower);
    if (!decision->spill_count) return;
    LowBuilder *builder = &lower->builder;
    low_emit_prim(builder, LOW_PRIM_ROOT_ADJUST, LOW_VOID, 1, low_int(-decision->spill_count));
    for (int i = 0; i < decision->spill_count; i++) {
        LowValue slot = low_emit_prim(builder, LOW_PRIM_ROOT_LOAD, LOW_PTR, 1, low_int(i));
        low_result_into(builder, slot, lower->var_regs[decision->spill[i]]);
    }
}

void lower_push_root(Lower *lower, LowValue value) {
    low_emit_prim(&lower->builder, LOW_PRIM_ROOT_STORE, LOW_VOID, 2, low_int(0), value);
    low_emit_prim(&lower->builder, LOW_PRIM_ROOT_ADJUST, LOW_VOID, 1, low_int(1));
}

LowValue lower_pop_root(Lower *lower) {
    low_emit_prim(&lower->builder, LOW_PRIM_ROOT_ADJUST, LOW_VOID, 1, low_int(-1));
    return low_emit_prim(&lower->builder, LOW_PRIM_ROOT_LOAD, LOW_PTR, 1, low_int(0));
}

int lower_func_symbol(Lower *lower, int func) {
    int symbol = low_symbol_find(lower->program, lower->rtype->funcs[func].c_name);
    KILN_ASSERT(symbol >= 0, "every annotated function is declared before any is lowered");
    return symbol;
}

LowValue lower_vtable_entry(Lower *lower, int vtable, LowValue object) {
    LowBuilder *builder = &lower->builder;
    const RtypeVtable *table = &lower->rtype->vtables.items[vtable];
    char name[32];
    snprintf(name, sizeof name, "kvt_%d", vtable);
    LowValue entries = low_symbol_value(low_symbol_data(lower->program, name, LOW_VOID));
    LowValue type = low_emit_prim(builder, LOW_PRIM_TYPE_ID, LOW_I64, 1, object);
    LowValue slot = low_emit_binary(builder, LOW_BIN_SUB, type, low_int(table->first_type));
    return low_emit_load_indexed(builder, LOW_PTR, entries, slot, 8, 0);
}

LowValue lower_valtype(Lower *lower, int valtype) {
    char name[32];
    if (valtype < 0)
        snprintf(name, sizeof name, "kval_str");
    else
        snprintf(name, sizeof name, "kval_%d", valtype);
    return low_symbol_value(low_symbol_data(lower->program, name, LOW_VOID));
}

static LowValue lower_function_name(Lower *lower) {
    return low_cstring_value(lower->program, lower->graph->name);
}

/* rt_trace_frame / rt_throw / rt_note_throw take (function, file, line, frame). */
static void lower_frame_args(Lower *lower, SrcPos pos, LowValue *args) {
    args[0] = lower_function_name(lower);
    args[1] = low_int(pos.file);
    args[2] = low_int(pos.line);
    args[3] = low_emit_prim(&lower->builder, LOW_PRIM_FRAME_ADDRESS, LOW_PTR, 0);
}

static void lower_trace(Lower *lower, SrcPos pos) {
    LowValue args[4];
    lower_frame_args(lower, pos, args);
    low_emit_call(&lower->builder, low_symbol_runtime(lower->program, "rt_trace_frame"), args, 4);
}

static LowValue lower_zero(LowType type) {
    return type == LOW_F64 ? low_float(0) : type == LOW_PTR ? low_null() : low_int(0);
}

static void lower_return_zero(Lower *lower) {
    low_term_return(&lower->builder, lower_zero(lower->builder.func->result));
}

static void lower_link(Lower *lower, const FlowLink *link, SrcPos pos);

/* The low block of a flow block's exception link. */
static int lower_except_link(Lower *lower, int flow_block) {
    if (lower->except_blocks[flow_block] >= 0) return lower->except_blocks[flow_block];
    const FlowBlock *block = &lower->graph->blocks[flow_block];
    LowBuilder *builder = &lower->builder;
    int saved = builder->block;
    int made = low_new_block(builder->func, "except");
    lower->except_blocks[flow_block] = made;
    low_set_block(builder, made);
    lower_link(lower, &block->exits[1], block->ops[block->op_count - 1].pos);
    low_set_block(builder, saved);
    return made;
}

int lower_raise_exit(Lower *lower) {
    if (lower->raise_exit >= 0) return lower->raise_exit;
    LowBuilder *builder = &lower->builder;
    const FlowBlock *block = &lower->graph->blocks[lower->block];
    int saved = builder->block;
    lower->raise_exit = low_new_block(builder->func, "raise");
    low_set_block(builder, lower->raise_exit);
    /* caught here: the frame's entry keeps this line even when a finally
     * or a catch throws the exception on (as the interpreter) */
    lower_trace(lower, block->ops[lower->op_index].pos);
    if (block->exit_kind == FLOW_EXIT_RAISES && lower->op_index == block->op_count - 1)
        low_term_goto(builder, lower_except_link(lower, lower->block));
    else
        lower_return_zero(lower);
    low_set_block(builder, saved);
    return lower->raise_exit;
}

/* Branches to `target` when `condition` holds (unlikely) and goes on in a
 * new block otherwise. */
static void lower_branch_out(Lower *lower, LowValue condition, int target) {
    LowBuilder *builder = &lower->builder;
    int next = low_new_block(builder->func, NULL);
    low_term_branch(builder, condition, target, next, LOW_HINT_UNLIKELY);
    low_set_block(builder, next);
}

void lower_raise_test(Lower *lower) {
    if (!lower_decision(lower)->raises) return;
    LowValue raised = low_emit_prim(&lower->builder, LOW_PRIM_EXCEPTION_PENDING, LOW_I64, 0);
    lower_branch_out(lower, raised, lower_raise_exit(lower));
}

LowValue lower_call_runtime(Lower *lower, const char *name, int count, ...) {
    LowValue args[16];
    va_list list;
    va_start(list, count);
    low_values_of(list, count, args, 16);
    va_end(list);
    lower_spill(lower);
    LowValue result =
        low_emit_call(&lower->builder, low_symbol_runtime(lower->program, name), args, count);
    lower_reload(lower);
    lower_raise_test(lower);
    return result;
}

/* if (failed) { spill; raising(args); reload; raise exit }. */
static void lower_check_with(Lower *lower, LowValue failed, const char *raising,
                             const LowValue *args, int count) {
    LowBuilder *builder = &lower->builder;
    int fail = low_new_block(builder->func, "check failed");
    int next = low_new_block(builder->func, NULL);
    low_term_branch(builder, failed, fail, next, LOW_HINT_UNLIKELY);
    low_set_block(builder, fail);
    lower_spill(lower);
    low_emit_call(builder, low_symbol_runtime(lower->program, raising), args, count);
    lower_reload(lower);
    low_term_goto(builder, lower_raise_exit(lower));
    low_set_block(builder, next);
}

void lower_check(Lower *lower, LowValue failed, RtError error, const char *format, int count, ...) {
    LowValue args[8] = {low_thread(), low_int(error), low_cstring_value(lower->program, format)};
    va_list list;
    va_start(list, count);
    low_values_of(list, count, args + 3, 5);
    va_end(list);
    lower_check_with(lower, failed, "rt_raise", args, 3 + count);
}

void lower_check_runtime(Lower *lower, LowValue failed, const char *raising, int count, ...) {
    LowValue args[8];
    va_list list;
    va_start(list, count);
    low_values_of(list, count, args, 8);
    va_end(list);
    lower_check_with(lower, failed, raising, args, count);
}

void lower_null_check(Lower *lower, const FlowOp *op, const char *what) {
    if (!lower_low(lower)->nullable) return;
    char message[300];
    snprintf(message, sizeof message, what, op->name ? op->name : "");
    what = message;
    LowValue object = lower_arg(lower, op, 0);
    LowValue is_null = low_emit_unary(&lower->builder, LOW_UN_NOT, object);
    lower_check(lower, is_null, RT_ERR_NULL, what, 0);
}

/* ---- links and exits ------------------------------------------------------------ */

/* The value a link passes into an input of representation `repr`. */
static LowValue lower_link_value(Lower *lower, FlowValue value, int input) {
    LowType type = lower->builder.func->regs.items[lower->var_regs[input]];
    return low_coerce(&lower->builder, lower_value(lower, value), type);
}

/* Copies the link's values into the target's inputs (in parallel: through
 * fresh registers when an input is also read by the link) and jumps. */
static void lower_link(Lower *lower, const FlowLink *link, SrcPos pos) {
    LowBuilder *builder = &lower->builder;
    const FlowGraph *graph = lower->graph;
    builder->pos = pos;
    if (link->target == graph->except_block) {
        LowValue args[5];
        args[0] = lower_coerce(lower, lower_value(lower, link->args[0]), LOW_PTR);
        lower_frame_args(lower, pos, args + 1);
        low_emit_call(builder, low_symbol_runtime(lower->program, "rt_throw"), args, 5);
        lower_trace(lower, pos);
        lower_return_zero(lower);
        return;
    }
    const FlowBlock *target = &graph->blocks[link->target];
    bool overlap = false;
    for (int i = 0; i < link->arg_count && !overlap; i++)
        for (int j = 0; j < target->input_count; j++)
            if (j != i && link->args[i].kind == FLOW_VALUE_VAR &&
                link->args[i].index == target->inputs[j])
                overlap = true;
    LowValue *values = calloc((size_t)link->arg_count + 1, sizeof *values);
    for (int i = 0; i < link->arg_count; i++) {
        values[i] = lower_link_value(lower, link->args[i], target->inputs[i]);
        if (overlap && values[i].kind == LOW_VALUE_REG) {
            int temporary = low_new_reg(builder->func, values[i].type);
            low_emit_copy(builder, temporary, values[i]);
            values[i] = low_reg_value(builder->func, temporary);
        }
    }
    for (int i = 0; i < link->arg_count; i++) {
        int reg = lower->var_regs[target->inputs[i]];
        if (values[i].kind == LOW_VALUE_REG && values[i].index == reg) continue;
        low_emit_copy(builder, reg, values[i]);
    }
    free(values);
    low_term_goto(builder, lower->block_map[link->target]);
}

/* The low block that takes `link`: its target when it passes nothing, else
 * a new block with the copies. */
static int lower_edge(Lower *lower, const FlowLink *link, SrcPos pos) {
    if (link->arg_count == 0 && link->target != lower->graph->except_block)
        return lower->block_map[link->target];
    LowBuilder *builder = &lower->builder;
    int saved = builder->block;
    int edge = low_new_block(builder->func, NULL);
    low_set_block(builder, edge);
    lower_link(lower, link, pos);
    low_set_block(builder, saved);
    return edge;
}

/* The input of `target` that receives the caught exception when target is
 * an exception handler, else -1. */
static int lower_handler_input(const FlowGraph *graph, int target) {
    for (int i = 0; i < graph->block_count; i++) {
        const FlowBlock *block = &graph->blocks[i];
        if (block->exit_kind != FLOW_EXIT_RAISES || block->exit_count < 2) continue;
        const FlowLink *link = &block->exits[1];
        if (link->target != target) continue;
        for (int arg = 0; arg < link->arg_count; arg++)
            if (link->args[arg].kind == FLOW_VALUE_CAUGHT) return arg;
    }
    return -1;
}

/* The position an exception leaving through this block is reported at. */
static SrcPos lower_block_raise_pos(const FlowBlock *block) {
    if (block->op_count > 0) return block->ops[block->op_count - 1].pos;
    return block->pos;
}

/* A goto into a handler is a `throw` inside a try: the traceback starts at
 * the throwing line, not at the handler's re-throw (as the interpreter). */
static void lower_goto_throw(Lower *lower, const FlowBlock *block) {
    const FlowLink *link = &block->exits[0];
    if (link->target == lower->graph->except_block) return;
    int input = lower_handler_input(lower->graph, link->target);
    if (input < 0 || input >= link->arg_count || link->args[input].kind != FLOW_VALUE_VAR) return;
    LowValue args[5];
    args[0] = lower_value(lower, link->args[input]);
    lower_frame_args(lower, lower_block_raise_pos(block), args + 1);
    low_emit_call(&lower->builder, low_symbol_runtime(lower->program, "rt_note_throw"), args, 5);
}

static void lower_switch(Lower *lower, const FlowBlock *block) {
    LowBuilder *builder = &lower->builder;
    const FlowGraph *graph = lower->graph;
    bool strings = false;
    for (int e = 0; e < block->exit_count; e++)
        if (!block->exits[e].is_default &&
            graph->consts[block->exits[e].case_value.index].kind == FLOW_CONST_STR)
            strings = true;
    LowValue subject = lower_value(lower, block->exitswitch);
    if (!strings) {
        int count = block->exit_count - 1;
        int64_t *cases = calloc((size_t)count + 1, sizeof *cases);
        int *targets = calloc((size_t)count + 1, sizeof *targets);
        int index = 0;
        for (int e = 0; e < block->exit_count; e++) {
            const FlowLink *link = &block->exits[e];
            int edge = lower_edge(lower, link, block->pos);
            if (link->is_default) {
                targets[count] = edge;
                continue;
            }
            cases[index] = graph->consts[link->case_value.index].int_value;
            targets[index++] = edge;
        }
        builder->pos = block->pos;
        low_term_switch(builder, subject, cases, targets, count);
        free(cases);
        free(targets);
        return;
    }
    /* strs: a chain of rt_str_eq tests, in the order of the cases */
    for (int e = 0; e < block->exit_count; e++) {
        const FlowLink *link = &block->exits[e];
        if (link->is_default) {
            lower_link(lower, link, block->pos);
            return;
        }
        LowValue equal = low_emit_runtime(builder, "rt_str_eq", 2, subject,
                                          lower_value(lower, link->case_value));
        int next = low_new_block(builder->func, NULL);
        low_term_branch(builder, equal, lower_edge(lower, link, block->pos), next, LOW_HINT_NONE);
        low_set_block(builder, next);
    }
    low_term_unreachable(builder);
}

static void lower_exits(Lower *lower, const FlowBlock *block) {
    LowBuilder *builder = &lower->builder;
    switch (block->exit_kind) {
    case FLOW_EXIT_GOTO:
        lower_goto_throw(lower, block);
        lower_link(lower, &block->exits[0], lower_block_raise_pos(block));
        break;
    case FLOW_EXIT_RAISES: lower_link(lower, &block->exits[0], lower_block_raise_pos(block)); break;
    case FLOW_EXIT_BRANCH: {
        LowValue condition = lower_value(lower, block->exitswitch);
        int yes = lower_edge(lower, &block->exits[1], block->pos);
        int no = lower_edge(lower, &block->exits[0], block->pos);
        builder->pos = block->pos;
        low_term_branch(builder, condition, yes, no, LOW_HINT_NONE);
        break;
    }
    case FLOW_EXIT_SWITCH: lower_switch(lower, block); break;
    default: low_term_unreachable(builder); break;
    }
}

static void lower_block(Lower *lower, int block_index) {
    LowBuilder *builder = &lower->builder;
    const FlowBlock *block = &lower->graph->blocks[block_index];
    lower->block = block_index;
    low_set_block(builder, lower->block_map[block_index]);
    builder->pos = block->pos;
    if (!ann_block_reached(lower->rtype->annotator, lower->func, block_index)) {
        low_term_unreachable(builder); /* never reached, by the annotation */
        return;
    }
    if (block->exit_kind == FLOW_EXIT_RETURN) {
        int reg = lower->var_regs[block->inputs[0]];
        low_term_return_normal(builder, low_reg_value(builder->func, reg));
        return;
    }
    if (block->exit_kind == FLOW_EXIT_EXCEPT) {
        /* reached only by links that raise themselves (lower_link) */
        lower_return_zero(lower);
        return;
    }
    for (int i = 0; i < block->op_count; i++) {
        lower->op_index = i;
        lower->raise_exit = -1;
        builder->pos = block->ops[i].pos;
        lower_op(lower, &block->ops[i]);
        if (low_block_closed(builder)) return; /* the operation never completes */
    }
    lower_exits(lower, block);
}

/* ---- functions ------------------------------------------------------------------- */

static void lower_stack_check(Lower *lower) {
    LowBuilder *builder = &lower->builder;
    LowValue exhausted = low_emit_prim(builder, LOW_PRIM_STACK_CHECK, LOW_I64, 0);
    int overflow = low_new_block(builder->func, "stack overflow");
    int next = low_new_block(builder->func, NULL);
    low_term_branch(builder, exhausted, overflow, next, LOW_HINT_UNLIKELY);
    low_set_block(builder, overflow);
    low_emit_runtime(builder, "rt_stack_overflow", 1, low_thread());
    lower_trace(lower, lower->graph->pos);
    lower_return_zero(lower);
    low_set_block(builder, next);
}

static void lower_function(Lower *lower, int func) {
    const RtypeFunc *info = &lower->rtype->funcs[func];
    const FlowGraph *graph = info->graph;
    lower->func = func;
    lower->info = info;
    lower->graph = graph;
    lower_task_invokers(lower);
    /* the signature lower_declare gave it, without the GcThread */
    const LowSymbol *declared = &lower->program->symbols.items[lower_func_symbol(lower, func)];
    LowFunc *made = low_func_new(&lower->builder, lower->program, info->c_name, graph->name,
                                 declared->result, declared->params + 1, graph->param_count);
    made->pos = graph->pos;
    lower->builder.pos = graph->pos;
    lower->var_regs = calloc((size_t)graph->var_count + 1, sizeof *lower->var_regs);
    for (int var = 0; var < graph->var_count; var++)
        lower->var_regs[var] = -1;
    for (int i = 0; i < graph->param_count; i++)
        lower->var_regs[graph->blocks[0].inputs[i]] = i;
    for (int var = 0; var < graph->var_count; var++)
        if (lower->var_regs[var] < 0)
            lower->var_regs[var] = low_new_reg(made, lower_type_of_repr(info->reprs[var]));
    lower->builder.first_temporary = made->regs.count;
    lower->block_map = calloc((size_t)graph->block_count + 1, sizeof *lower->block_map);
    lower->except_blocks = calloc((size_t)graph->block_count + 1, sizeof *lower->except_blocks);
    for (int block = 0; block < graph->block_count; block++) {
        lower->block_map[block] = low_new_block(made, NULL);
        lower->except_blocks[block] = -1;
    }
    if (info->checks_stack) lower_stack_check(lower);
    low_term_goto(&lower->builder, lower->block_map[0]);
    for (int block = 0; block < graph->block_count; block++)
        lower_block(lower, block);
    free(lower->var_regs);
    free(lower->block_map);
    free(lower->except_blocks);
}

/* Declares every function first: calls may precede their callee's body. */
static void lower_declare(LowProgram *program, const RtypeProgram *rtype) {
    for (int func = 0; func < rtype->func_count; func++) {
        const RtypeFunc *info = &rtype->funcs[func];
        const FlowGraph *graph = info->graph;
        LowSymbol symbol = {0};
        symbol.name = info->c_name;
        symbol.kind = LOW_SYMBOL_FUNC;
        symbol.func = -1;
        symbol.result = lower_type_of_repr(info->result == RTYPE_VOID ? RTYPE_INT : info->result);
        symbol.param_count = graph->param_count + 1;
        symbol.params =
            arena_alloc(&program->arena, sizeof(LowType) * (size_t)(graph->param_count + 1));
        symbol.params[0] = LOW_PTR;
        for (int i = 0; i < graph->param_count; i++)
            symbol.params[i + 1] = lower_type_of_repr(info->reprs[graph->blocks[0].inputs[i]]);
        low_symbol_declare(program, symbol);
    }
}

LowProgram *lower_program(TransformProgram *transform) {
    RtypeProgram *rtype = transform->rtype;
    LowProgram *program = low_program_new();
    Lower lower = {0};
    lower.program = program;
    lower.transform = transform;
    lower.rtype = rtype;
    lower.flow = rtype->flow;
    lower.diag = rtype->diag;
    lower_declare(program, rtype);
    for (int func = 0; func < rtype->func_count; func++)
        lower_function(&lower, func);
    return program;
}
