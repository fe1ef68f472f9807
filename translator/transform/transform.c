/* transform.c - exception and GC decisions (the contract is in
 * transform.h): a fixpoint over the call graph for "can raise" and "can
 * collect", then per block a backward liveness pass for the spills and a
 * forward pass for the young objects that need no write barrier. */
#include "transform.h"

#include <stdlib.h>
#include <string.h>

static bool transform_call_flag(const RtypeProgram *rtype, const RtypeOp *low, bool collect) {
    if (low->opcode == RTYPE_OP_CALL_DIRECT && low->callee >= 0) {
        const RtypeFunc *callee = &rtype->funcs[low->callee];
        return collect ? callee->can_collect : callee->can_raise;
    }
    if (low->opcode == RTYPE_OP_CALL_VIRTUAL) {
        const RtypeVtable *table = &rtype->vtables.items[low->vtable];
        for (int i = 0; i <= table->last_type - table->first_type; i++) {
            int func = table->funcs[i];
            if (func >= 0 &&
                (collect ? rtype->funcs[func].can_collect : rtype->funcs[func].can_raise))
                return true;
        }
        return !collect && low->nullable; /* NullError: raising only */
    }
    if (low->opcode == RTYPE_OP_NEW) {
        if (collect) return true;
        return low->callee >= 0 && rtype->funcs[low->callee].can_raise;
    }
    return collect ? rtype_op_info[low->opcode].collects : low->raises;
}

static bool transform_op_raises(const RtypeProgram *rtype, const RtypeOp *low) {
    bool raises = transform_call_flag(rtype, low, false);
    return raises || (low->nullable && low->opcode == RTYPE_OP_CALL_DIRECT);
}

/* Whether the operation can collect and then complete normally.  Raising
 * allocates the exception too, but then control leaves through the
 * exception path, which only needs what the exception link passes. */
static bool transform_op_collects(const RtypeProgram *rtype, const RtypeOp *low) {
    return transform_call_flag(rtype, low, true);
}

/* The operation is the last of a block whose exception link catches what
 * it raises in this function. */
static bool transform_caught_here(const FlowBlock *block, int op_index) {
    return block->exit_kind == FLOW_EXIT_RAISES && op_index == block->op_count - 1;
}

/* Starts from "nothing raises or collects" and grows to the fixpoint. */
static void transform_fixpoint(RtypeProgram *rtype) {
    bool changed = true;
    while (changed) {
        changed = false;
        for (int func = 0; func < rtype->func_count; func++) {
            RtypeFunc *info = &rtype->funcs[func];
            /* a stack check raises MemoryError */
            bool raises = info->checks_stack, collects = false;
            for (int block = 0; block < info->graph->block_count; block++) {
                const FlowBlock *flow_block = &info->graph->blocks[block];
                /* a block the annotator proved unreachable never runs */
                if (!ann_block_reached(rtype->annotator, func, block)) continue;
                if (flow_block->exit_kind == FLOW_EXIT_GOTO && flow_block->exit_count > 0 &&
                    flow_block->exits[0].target == info->graph->except_block)
                    raises = true;
                for (int i = 0; i < flow_block->op_count; i++) {
                    const RtypeOp *low = &info->ops[block][i];
                    bool op_raises = transform_op_raises(rtype, low);
                    raises = raises || op_raises;
                    /* a caught exception was allocated, and then the
                     * function may return normally */
                    collects = collects || transform_op_collects(rtype, low) ||
                               (op_raises && transform_caught_here(flow_block, i));
                }
            }
            if (raises != info->can_raise || collects != info->can_collect) {
                info->can_raise = info->can_raise || raises;
                info->can_collect = info->can_collect || collects;
                changed = true;
            }
        }
    }
}

static void transform_use(bool *live, FlowValue value) {
    if (value.kind == FLOW_VALUE_VAR) live[value.index] = true;
}

static void transform_block(TransformProgram *program, int func, int block) {
    RtypeProgram *rtype = program->rtype;
    const RtypeFunc *info = &rtype->funcs[func];
    const FlowGraph *graph = info->graph;
    const FlowBlock *flow_block = &graph->blocks[block];
    TransformOp *ops =
        arena_alloc(&program->arena, sizeof(TransformOp) * (size_t)(flow_block->op_count + 1));
    program->ops[func][block] = ops;
    bool *live = calloc((size_t)graph->var_count + 1, 1);
    bool *caught = calloc((size_t)graph->var_count + 1, 1);
    for (int e = 0; e < flow_block->exit_count; e++)
        for (int a = 0; a < flow_block->exits[e].arg_count; a++)
            transform_use(live, flow_block->exits[e].args[a]);
    if (flow_block->exit_kind == FLOW_EXIT_BRANCH || flow_block->exit_kind == FLOW_EXIT_SWITCH)
        transform_use(live, flow_block->exitswitch);
    if (flow_block->exit_kind == FLOW_EXIT_RETURN || flow_block->exit_kind == FLOW_EXIT_EXCEPT)
        for (int i = 0; i < flow_block->input_count; i++)
            live[flow_block->inputs[i]] = true;
    for (int i = flow_block->op_count - 1; i >= 0; i--) {
        const FlowOp *op = &flow_block->ops[i];
        const RtypeOp *low = &info->ops[block][i];
        TransformOp *decision = &ops[i];
        decision->raises = transform_op_raises(rtype, low);
        decision->collects = transform_op_collects(rtype, low);
        if (op->result >= 0) live[op->result] = false;
        /* these allocate first and read their operands after: the operands
         * must survive the allocation too */
        bool reads_after_alloc = low->opcode == RTYPE_OP_NEWLIST ||
                                 low->opcode == RTYPE_OP_NEWTUPLE ||
                                 low->opcode == RTYPE_OP_NEWDICT || low->opcode == RTYPE_OP_NEW ||
                                 low->opcode == RTYPE_OP_TASK;
        if (reads_after_alloc)
            for (int a = 0; a < op->arg_count; a++)
                transform_use(live, op->args[a]);
        /* what must survive a collection: everything live after the
         * operation when it can collect and complete; when it can only
         * collect by raising, what its exception link passes to a handler
         * here (an exception that leaves the function needs nothing) */
        bool caught_raise = decision->raises && transform_caught_here(flow_block, i);
        bool *keep = live;
        if (!decision->collects && caught_raise) {
            memset(caught, 0, (size_t)graph->var_count + 1);
            for (int a = 0; a < flow_block->exits[1].arg_count; a++)
                transform_use(caught, flow_block->exits[1].args[a]);
            keep = caught;
        }
        /* most operations neither collect nor raise into a handler here:
         * they spill nothing, and the scan over every variable is skipped */
        int count = 0;
        if (!decision->collects && !caught_raise) keep = NULL;
        for (int var = 0; keep && var < graph->var_count; var++)
            if (keep[var] && info->reprs[var] == RTYPE_REF) count++;
        if (count) {
            decision->spill = arena_alloc(&program->arena, sizeof(int) * (size_t)(count + 1));
            for (int var = 0; var < graph->var_count; var++)
                if (keep[var] && info->reprs[var] == RTYPE_REF)
                    decision->spill[decision->spill_count++] = var;
            program->spilled_refs += count;
        }
        for (int a = 0; a < op->arg_count; a++)
            transform_use(live, op->args[a]);
    }
    free(live);
    free(caught);
    /* forward: objects allocated since the last collecting operation */
    bool *young = calloc((size_t)graph->var_count + 1, 1);
    for (int i = 0; i < flow_block->op_count; i++) {
        const FlowOp *op = &flow_block->ops[i];
        const RtypeOp *low = &info->ops[block][i];
        TransformOp *decision = &ops[i];
        if (low->opcode == RTYPE_OP_SETFIELD || low->opcode == RTYPE_OP_LIST_SETITEM) {
            FlowValue stored = op->args[op->arg_count - 1];
            bool ref = stored.kind == FLOW_VALUE_VAR ? info->reprs[stored.index] == RTYPE_REF
                                                     : stored.kind == FLOW_VALUE_CAUGHT;
            bool fresh = op->args[0].kind == FLOW_VALUE_VAR && young[op->args[0].index];
            decision->barrier = ref && !fresh;
            if (ref && fresh) program->barriers_removed++;
            if (ref && !fresh) program->barriers++;
        }
        if (decision->collects) memset(young, 0, (size_t)graph->var_count + 1);
        bool allocates = low->opcode == RTYPE_OP_NEWLIST || low->opcode == RTYPE_OP_NEWTUPLE ||
                         (low->opcode == RTYPE_OP_NEW && low->callee < 0);
        if (allocates && op->result >= 0) young[op->result] = true;
    }
    free(young);
}

TransformProgram *transform_program(RtypeProgram *rtype) {
    TransformProgram *program = calloc(1, sizeof *program);
    if (!program) return NULL;
    arena_init(&program->arena);
    program->rtype = rtype;
    transform_find_recursion(rtype);
    transform_fixpoint(rtype);
    program->ops =
        arena_alloc(&program->arena, sizeof(TransformOp **) * (size_t)(rtype->func_count + 1));
    for (int func = 0; func < rtype->func_count; func++) {
        const FlowGraph *graph = rtype->funcs[func].graph;
        program->ops[func] =
            arena_alloc(&program->arena, sizeof(TransformOp *) * (size_t)(graph->block_count + 1));
        for (int block = 0; block < graph->block_count; block++)
            transform_block(program, func, block);
    }
    return program;
}

void transform_free(TransformProgram *program) {
    if (!program) return;
    arena_free(&program->arena);
    free(program);
}

void transform_dump(FILE *out, const TransformProgram *program) {
    const RtypeProgram *rtype = program->rtype;
    for (int func = 0; func < rtype->func_count; func++) {
        const RtypeFunc *info = &rtype->funcs[func];
        fprintf(out, "func %s%s%s%s\n", info->c_name, info->can_raise ? " raises" : "",
                info->can_collect ? " collects" : "", info->checks_stack ? " checks-stack" : "");
        for (int block = 0; block < info->graph->block_count; block++) {
            if (!ann_block_reached(rtype->annotator, func, block)) continue;
            const FlowBlock *flow_block = &info->graph->blocks[block];
            for (int i = 0; i < flow_block->op_count; i++) {
                const TransformOp *decision = &program->ops[func][block][i];
                fprintf(out, "  block %d op %d %s:%s%s%s", block, i,
                        rtype_op_info[info->ops[block][i].opcode].name,
                        decision->raises ? " raises" : "", decision->collects ? " collects" : "",
                        decision->barrier ? " barrier" : "");
                if (decision->spill_count) {
                    fputs(" spill", out);
                    for (int s = 0; s < decision->spill_count; s++)
                        fprintf(out, " v%d", decision->spill[s]);
                }
                fputs("\n", out);
            }
        }
    }
    fprintf(out, "spilled references: %d; write barriers: %d, removed on young objects: %d\n",
            program->spilled_refs, program->barriers, program->barriers_removed);
}
