/* flow_build_graph.c - phase 1 primitives of the flow builder: blocks,
 * slots, constants, operations and the exits between blocks.  See
 * flow_build.h for the two-phase design. */
#include <string.h>

#include "flow_build.h"

int32_t gb_new_block(GraphBuilder *builder, SrcPos pos) {
    SlotBlock block = {0};
    block.exit_kind = FLOW_EXIT_GOTO;
    block.pos = pos;
    block.fixed_input = -1;
    vec_push(&builder->blocks, block);
    return builder->blocks.count - 1;
}

int32_t gb_new_slot(GraphBuilder *builder, const char *name, const TypeExpr *type, SrcPos pos) {
    FlowVar slot = {name, type, pos};
    vec_push(&builder->slots, slot);
    return builder->slots.count - 1;
}

FlowValue gb_var(int32_t slot) {
    FlowValue value = {FLOW_VALUE_VAR, slot};
    return value;
}

static FlowValue gb_add_const(GraphBuilder *builder, FlowConst constant) {
    /* Small constants repeat a lot (0, 1, true): share the recent ones. */
    int start = builder->consts.count > 32 ? builder->consts.count - 32 : 0;
    for (int i = builder->consts.count - 1; i >= start; i--) {
        const FlowConst *other = &builder->consts.items[i];
        if (other->kind == constant.kind && other->int_value == constant.int_value &&
            other->str_value == constant.str_value &&
            memcmp(&other->float_value, &constant.float_value, sizeof(double)) == 0) {
            FlowValue value = {FLOW_VALUE_CONST, i};
            return value;
        }
    }
    vec_push(&builder->consts, constant);
    FlowValue value = {FLOW_VALUE_CONST, builder->consts.count - 1};
    return value;
}

FlowValue gb_const_int(GraphBuilder *builder, FlowConstKind kind, int64_t number) {
    FlowConst constant = {.kind = kind, .int_value = number};
    return gb_add_const(builder, constant);
}

FlowValue gb_const_float(GraphBuilder *builder, double number) {
    FlowConst constant = {.kind = FLOW_CONST_FLOAT, .float_value = number};
    return gb_add_const(builder, constant);
}

FlowValue gb_const_str(GraphBuilder *builder, const char *text, int length) {
    FlowConst constant = {.kind = FLOW_CONST_STR, .str_value = text, .str_length = length};
    vec_push(&builder->consts, constant); /* strings are not shared: cheap enough */
    FlowValue value = {FLOW_VALUE_CONST, builder->consts.count - 1};
    return value;
}

FlowValue gb_const_undef(GraphBuilder *builder, const char *name) {
    FlowConst constant = {.kind = FLOW_CONST_UNDEF, .str_value = name,
                          .str_length = name ? (int)strlen(name) : 0};
    return gb_add_const(builder, constant);
}

FlowValue gb_const_simple(GraphBuilder *builder, FlowConstKind kind) {
    FlowConst constant = {.kind = kind};
    return gb_add_const(builder, constant);
}

bool gb_reachable(const GraphBuilder *builder) {
    return builder->current >= 0;
}

static SlotBlock *gb_current_block(GraphBuilder *builder, SrcPos pos) {
    if (builder->current < 0) builder->current = gb_new_block(builder, pos); /* dead code */
    return &builder->blocks.items[builder->current];
}

static void gb_close(GraphBuilder *builder, FlowExitKind kind) {
    SlotBlock *block = &builder->blocks.items[builder->current];
    block->exit_kind = kind;
    block->closed = true;
    builder->current = -1;
}

static void gb_add_exit(GraphBuilder *builder, int32_t from, int32_t target, int32_t caught_slot) {
    SlotLink link = {.target = target, .caught_slot = caught_slot};
    vec_push(&builder->blocks.items[from].exits, link);
}

void gb_goto(GraphBuilder *builder, int32_t target) {
    if (!gb_reachable(builder)) return;
    gb_add_exit(builder, builder->current, target, -1);
    gb_close(builder, FLOW_EXIT_GOTO);
}

void gb_branch(GraphBuilder *builder, FlowValue condition, int32_t if_false, int32_t if_true) {
    if (!gb_reachable(builder)) return;
    int32_t from = builder->current;
    builder->blocks.items[from].exitswitch = condition;
    gb_add_exit(builder, from, if_false, -1);
    gb_add_exit(builder, from, if_true, -1);
    gb_close(builder, FLOW_EXIT_BRANCH);
}

void gb_enter(GraphBuilder *builder, int32_t block) {
    KILN_ASSERT(!builder->blocks.items[block].closed, "a block is entered before it is closed");
    builder->current = block;
}

void gb_raise(GraphBuilder *builder, FlowValue exception, SrcPos pos) {
    if (!gb_reachable(builder)) return;
    if (builder->handlers.count > 0) {
        HandlerFrame *frame = &vec_last(&builder->handlers);
        gb_assign(builder, frame->exception_slot, exception, pos);
        gb_goto(builder, frame->handler_block);
    } else {
        gb_assign(builder, builder->except_slot, exception, pos);
        gb_goto(builder, builder->graph->except_block);
    }
}

/* A raising operation inside a handler region ends its block: the normal
 * exit continues in a fresh block, the exception exit goes to the handler. */
static void gb_split_after_raise(GraphBuilder *builder, SrcPos pos) {
    HandlerFrame *frame = &vec_last(&builder->handlers);
    int32_t from = builder->current;
    int32_t next = gb_new_block(builder, pos);
    gb_add_exit(builder, from, next, -1);
    gb_add_exit(builder, from, frame->handler_block, frame->exception_slot);
    gb_close(builder, FLOW_EXIT_RAISES);
    builder->current = next;
}

static bool gb_op_can_raise(FlowOpcode opcode, int32_t aux) {
    if (opcode == FLOW_OP_CALL_BUILTIN) return flow_builtin_info[aux].can_raise;
    return flow_op_info[opcode].can_raise;
}

FlowValue gb_emit(GraphBuilder *builder, FlowOpcode opcode, int32_t aux, const char *name,
                  const FlowValue *args, int arg_count, SrcPos pos) {
    SlotBlock *block = gb_current_block(builder, pos);
    FlowOp op = {0};
    op.opcode = opcode;
    op.aux = aux;
    op.name = name;
    op.pos = pos;
    op.arg_count = arg_count;
    op.result = -1;
    if (arg_count > 0) {
        op.args = arena_memdup(&builder->program_builder->program->arena, args,
                               sizeof(FlowValue) * (size_t)arg_count);
    }
    FlowValue result = gb_const_simple(builder, FLOW_CONST_VOID);
    if (flow_op_info[opcode].has_result) {
        op.result = gb_new_slot(builder, NULL, NULL, pos);
        result = gb_var(op.result);
        block =
            &builder->blocks.items[builder->current]; /* slots may not move blocks, but be safe */
    }
    vec_push(&block->ops, op);
    if (builder->handlers.count > 0 && gb_op_can_raise(opcode, aux))
        gb_split_after_raise(builder, pos);
    return result;
}

void gb_assign(GraphBuilder *builder, int32_t slot, FlowValue value, SrcPos pos) {
    SlotBlock *block = gb_current_block(builder, pos);
    FlowOp op = {0};
    op.opcode = FLOW_OP_SAME_AS;
    op.result = slot;
    op.pos = pos;
    op.arg_count = 1;
    op.args = arena_memdup(&builder->program_builder->program->arena, &value, sizeof value);
    vec_push(&block->ops, op);
}
