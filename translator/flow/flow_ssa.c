/* flow_ssa.c - phase 2 of the flow builder: from slots to SSA.
 *
 * Expects: the SlotBlocks of one graph (flow_build.h), block 0 the start
 * block, whose first param_count slots are the parameters.
 * Produces: the FlowGraph's blocks, variables and constants, in the program
 * arena, satisfying every invariant of flow.h:
 *   1. blocks unreachable from the start are dropped (the return and except
 *      blocks are always kept, so every graph has both);
 *   2. liveness over slots gives each block the slots live on entry; they
 *      become its inputs, in slot order (the start block's inputs are its
 *      parameters; a slot read before any assignment reads UNDEF);
 *   3. renaming gives each operation result a fresh variable and each link
 *      the values of its target's live slots; SAME_AS copies vanish,
 *      except copies into locals declared with a type (ssa_keeps_copy).
 * An exception link leaves before its block's last operation has a result,
 * so the values it passes are the ones from just before that operation.
 */
#include <string.h>

#include "flow_build.h"

typedef uint64_t SlotWord;

typedef struct SsaState {
    GraphBuilder *builder;
    int slot_count;
    int words;                  /* SlotWords per bit set */
    SlotWord *live_in;          /* per block */
    SlotWord *upward_uses;      /* per block: read before written in the block */
    SlotWord *defs;             /* per block: written anywhere in the block */
    SlotWord *defs_before_last; /* per block: written before the last operation */
    int32_t *new_index;         /* per block: index in the final graph, -1 when dropped */
    FlowValue *current;         /* per slot: its value during renaming */
    int32_t *stamp;             /* per slot: the block that set current, for cheap resets */
    Vec(FlowVar) vars;
} SsaState;

static SlotWord *ssa_set(SsaState *state, SlotWord *base, int block) {
    return base + (size_t)block * (size_t)state->words;
}

static bool ssa_has(const SlotWord *set, int slot) {
    return (set[slot / 64] >> (slot % 64)) & 1;
}

static void ssa_add(SlotWord *set, int slot) {
    set[slot / 64] |= (SlotWord)1 << (slot % 64);
}

static void ssa_note_use(SsaState *state, int block, FlowValue value, bool before_last) {
    if (value.kind != FLOW_VALUE_VAR) return;
    SlotWord *defs = before_last ? ssa_set(state, state->defs_before_last, block)
                                 : ssa_set(state, state->defs, block);
    if (!ssa_has(defs, value.index))
        ssa_add(ssa_set(state, state->upward_uses, block), value.index);
}

static void ssa_local_sets(SsaState *state, int block_index) {
    const SlotBlock *block = &state->builder->blocks.items[block_index];
    SlotWord *defs = ssa_set(state, state->defs, block_index);
    for (int i = 0; i < block->ops.count; i++) {
        const FlowOp *op = &block->ops.items[i];
        for (int j = 0; j < op->arg_count; j++)
            ssa_note_use(state, block_index, op->args[j], false);
        if (i == block->ops.count - 1)
            memcpy(ssa_set(state, state->defs_before_last, block_index), defs,
                   sizeof(SlotWord) * (size_t)state->words);
        if (op->result >= 0) ssa_add(defs, op->result);
    }
    if (block->ops.count == 0)
        memcpy(ssa_set(state, state->defs_before_last, block_index), defs,
               sizeof(SlotWord) * (size_t)state->words);
    if (block->exit_kind == FLOW_EXIT_BRANCH || block->exit_kind == FLOW_EXIT_SWITCH)
        ssa_note_use(state, block_index, block->exitswitch, false);
    if (block->fixed_input >= 0)
        ssa_add(ssa_set(state, state->upward_uses, block_index), block->fixed_input);
}

static void ssa_mark_reachable(SsaState *state, int block_index) {
    Vec(int32_t) work = {0};
    vec_push(&work, block_index);
    state->new_index[block_index] = 0;
    while (work.count > 0) {
        const SlotBlock *block = &state->builder->blocks.items[vec_pop(&work)];
        for (int i = 0; i < block->exits.count; i++) {
            int32_t target = block->exits.items[i].target;
            if (state->new_index[target] < 0) {
                state->new_index[target] = 0;
                vec_push(&work, target);
            }
        }
    }
    vec_free(&work);
}

/* live_in = uses U (normal successors' live_in - defs) U (exception successors' - defs before last)
 */
static void ssa_liveness(SsaState *state) {
    int block_count = state->builder->blocks.count;
    SlotWord *scratch = kiln_xcalloc((size_t)state->words, sizeof(SlotWord));
    bool changed = true;
    while (changed) {
        changed = false;
        for (int b = block_count - 1; b >= 0; b--) {
            if (state->new_index[b] < 0) continue;
            const SlotBlock *block = &state->builder->blocks.items[b];
            memcpy(scratch, ssa_set(state, state->upward_uses, b),
                   sizeof(SlotWord) * (size_t)state->words);
            for (int i = 0; i < block->exits.count; i++) {
                const SlotLink *link = &block->exits.items[i];
                bool exceptional = block->exit_kind == FLOW_EXIT_RAISES && i == 1;
                const SlotWord *target_live = ssa_set(state, state->live_in, link->target);
                const SlotWord *killed =
                    ssa_set(state, exceptional ? state->defs_before_last : state->defs, b);
                for (int w = 0; w < state->words; w++) {
                    SlotWord needed = target_live[w];
                    if (exceptional && link->caught_slot / 64 == w)
                        needed &= ~((SlotWord)1 << (link->caught_slot % 64));
                    scratch[w] |= needed & ~killed[w];
                }
            }
            SlotWord *live = ssa_set(state, state->live_in, b);
            if (memcmp(live, scratch, sizeof(SlotWord) * (size_t)state->words) != 0) {
                memcpy(live, scratch, sizeof(SlotWord) * (size_t)state->words);
                changed = true;
            }
        }
    }
    free(scratch);
}

static int32_t ssa_new_var(SsaState *state, int32_t slot) {
    vec_push(&state->vars, state->builder->slots.items[slot]);
    return state->vars.count - 1;
}

static FlowValue ssa_resolve(SsaState *state, int block, FlowValue value) {
    if (value.kind != FLOW_VALUE_VAR) return value;
    if (state->stamp[value.index] == block) return state->current[value.index];
    /* Only the start block can read a slot that no path assigned. */
    return gb_const_undef(state->builder, state->builder->slots.items[value.index].name);
}

static void ssa_set_current(SsaState *state, int block, int32_t slot, FlowValue value) {
    state->current[slot] = value;
    state->stamp[slot] = block;
}

/* The values a link passes: one per slot live on entry to its target. */
static FlowLink ssa_link(SsaState *state, int block, const SlotLink *slot_link) {
    Arena *arena = &state->builder->program_builder->program->arena;
    FlowLink link = {0};
    link.target = state->new_index[slot_link->target];
    link.case_value = slot_link->case_value;
    link.is_default = slot_link->is_default;
    const SlotBlock *target = &state->builder->blocks.items[slot_link->target];
    const SlotWord *live = ssa_set(state, state->live_in, slot_link->target);
    Vec(FlowValue) args = {0};
    if (slot_link->target == 0) kiln_unreachable("no link targets the start block");
    for (int slot = 0; slot < state->slot_count; slot++) {
        if (!ssa_has(live, slot)) continue;
        FlowValue value = {FLOW_VALUE_CAUGHT, 0};
        if (slot != slot_link->caught_slot) value = ssa_resolve(state, block, gb_var(slot));
        vec_push(&args, value);
    }
    (void)target;
    link.arg_count = args.count;
    link.args = vec_freeze(arena, &args);
    vec_free(&args);
    return link;
}

/* A copy into a local declared with a type stays, as the point where the
 * annotator checks the value against the declaration (unless it copies
 * UNDEF: `var x: T;` assigns nothing yet). */
static bool ssa_keeps_copy(const SsaState *state, const FlowOp *op) {
    const GraphBuilder *builder = state->builder;
    if (!builder->slots.items[op->result].type) return false;
    return op->args[0].kind != FLOW_VALUE_CONST ||
           builder->consts.items[op->args[0].index].kind != FLOW_CONST_UNDEF;
}

static void ssa_rename_block(SsaState *state, int b, FlowBlock *out) {
    GraphBuilder *builder = state->builder;
    Arena *arena = &builder->program_builder->program->arena;
    const SlotBlock *block = &builder->blocks.items[b];
    Vec(int32_t) inputs = {0};
    if (b == 0) {
        for (int slot = 0; slot < builder->graph->param_count; slot++) {
            int32_t var = ssa_new_var(state, slot);
            vec_push(&inputs, var);
            ssa_set_current(state, b, slot, gb_var(var));
        }
    } else {
        const SlotWord *live = ssa_set(state, state->live_in, b);
        for (int slot = 0; slot < state->slot_count; slot++) {
            if (!ssa_has(live, slot)) continue;
            int32_t var = ssa_new_var(state, slot);
            vec_push(&inputs, var);
            ssa_set_current(state, b, slot, gb_var(var));
        }
    }
    out->input_count = inputs.count;
    out->inputs = vec_freeze(arena, &inputs);
    vec_free(&inputs);
    out->exit_kind = block->exit_kind;
    out->pos = block->pos;
    if (b == builder->graph->return_block) out->exit_kind = FLOW_EXIT_RETURN;
    if (b == builder->graph->except_block) out->exit_kind = FLOW_EXIT_EXCEPT;

    FlowLink exception_link = {0};
    Vec(FlowOp) ops = {0};
    for (int i = 0; i < block->ops.count; i++) {
        FlowOp op = block->ops.items[i];
        if (i == block->ops.count - 1 && block->exit_kind == FLOW_EXIT_RAISES)
            exception_link = ssa_link(state, b, &block->exits.items[1]);
        if (op.opcode == FLOW_OP_SAME_AS && !ssa_keeps_copy(state, &op)) {
            ssa_set_current(state, b, op.result, ssa_resolve(state, b, op.args[0]));
            continue;
        }
        FlowValue *args =
            op.arg_count ? arena_alloc(arena, sizeof(FlowValue) * (size_t)op.arg_count) : NULL;
        for (int j = 0; j < op.arg_count; j++)
            args[j] = ssa_resolve(state, b, op.args[j]);
        op.args = args;
        if (op.result >= 0) {
            int32_t var = ssa_new_var(state, op.result);
            ssa_set_current(state, b, op.result, gb_var(var));
            op.result = var;
        }
        vec_push(&ops, op);
    }
    out->op_count = ops.count;
    out->ops = vec_freeze(arena, &ops);
    vec_free(&ops);
    out->exitswitch = ssa_resolve(state, b, block->exitswitch);
    out->exit_count = block->exits.count;
    out->exits =
        out->exit_count ? arena_alloc(arena, sizeof(FlowLink) * (size_t)out->exit_count) : NULL;
    for (int i = 0; i < block->exits.count; i++) {
        bool exceptional = block->exit_kind == FLOW_EXIT_RAISES && i == 1;
        out->exits[i] = exceptional ? exception_link : ssa_link(state, b, &block->exits.items[i]);
    }
}

void flow_ssa_finish(GraphBuilder *builder) {
    SsaState state = {0};
    state.builder = builder;
    int block_count = builder->blocks.count;
    state.slot_count = builder->slots.count;
    state.words = (state.slot_count + 63) / 64 + 1;
    size_t set_size = (size_t)block_count * (size_t)state.words;
    state.live_in = kiln_xcalloc(set_size, sizeof(SlotWord));
    state.upward_uses = kiln_xcalloc(set_size, sizeof(SlotWord));
    state.defs = kiln_xcalloc(set_size, sizeof(SlotWord));
    state.defs_before_last = kiln_xcalloc(set_size, sizeof(SlotWord));
    state.new_index = kiln_xmalloc(sizeof(int32_t) * (size_t)block_count);
    state.current = kiln_xcalloc((size_t)state.slot_count + 1, sizeof(FlowValue));
    state.stamp = kiln_xmalloc(sizeof(int32_t) * ((size_t)state.slot_count + 1));
    for (int i = 0; i <= state.slot_count; i++)
        state.stamp[i] = -1;
    for (int b = 0; b < block_count; b++)
        state.new_index[b] = -1;

    FlowGraph *graph = builder->graph;
    ssa_mark_reachable(&state, 0);
    state.new_index[graph->return_block] = 0;
    state.new_index[graph->except_block] = 0;
    int kept = 0;
    for (int b = 0; b < block_count; b++)
        if (state.new_index[b] >= 0) state.new_index[b] = kept++;
    for (int b = 0; b < block_count; b++)
        if (state.new_index[b] >= 0) ssa_local_sets(&state, b);
    ssa_liveness(&state);

    Arena *arena = &builder->program_builder->program->arena;
    FlowBlock *blocks = arena_alloc(arena, sizeof(FlowBlock) * (size_t)kept);
    for (int b = 0; b < block_count; b++)
        if (state.new_index[b] >= 0) ssa_rename_block(&state, b, &blocks[state.new_index[b]]);
    graph->blocks = blocks;
    graph->block_count = kept;
    graph->return_block = state.new_index[graph->return_block];
    graph->except_block = state.new_index[graph->except_block];
    graph->var_count = state.vars.count;
    graph->vars = vec_freeze(arena, &state.vars);
    graph->const_count = builder->consts.count;
    graph->consts = vec_freeze(arena, &builder->consts);

    vec_free(&state.vars);
    free(state.live_in);
    free(state.upward_uses);
    free(state.defs);
    free(state.defs_before_last);
    free(state.new_index);
    free(state.current);
    free(state.stamp);
}
