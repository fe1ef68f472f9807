/* flow_verify.c - checks the invariants of flow.h on built graphs.
 * Debug builds run it after the flow stage; `kiln flow --verify` runs it in
 * any build.  Each broken invariant is reported with graph, block and op. */
#include <stdarg.h>
#include <stdlib.h>

#include "flow.h"

typedef struct VerifyState {
    const FlowProgram *program;
    const FlowGraph *graph;
    FILE *out;
    int errors;
    int32_t *defined_in; /* per variable: the block that defines it, -1 if none yet */
    int32_t *stamp;      /* per variable: the block being checked when it was defined */
} VerifyState;

static void verify_fail(VerifyState *state, int block, int op, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static void verify_fail(VerifyState *state, int block, int op, const char *format, ...) {
    state->errors++;
    fprintf(state->out, "flow verifier: graph %s, block %d", state->graph->name, block);
    if (op >= 0) fprintf(state->out, ", op %d", op);
    fputs(": ", state->out);
    va_list args;
    va_start(args, format);
    vfprintf(state->out, format, args);
    va_end(args);
    fputc('\n', state->out);
}

static void verify_define(VerifyState *state, int block, int op, int32_t var) {
    if (var < 0 || var >= state->graph->var_count) {
        verify_fail(state, block, op, "defines variable v%d, which does not exist", var);
        return;
    }
    if (state->defined_in[var] >= 0)
        verify_fail(state, block, op, "variable v%d is defined twice", var);
    state->defined_in[var] = block;
}

static void verify_use(VerifyState *state, int block, int op, FlowValue value, bool caught_ok) {
    const FlowGraph *graph = state->graph;
    switch (value.kind) {
    case FLOW_VALUE_VAR:
        if (value.index < 0 || value.index >= graph->var_count)
            verify_fail(state, block, op, "uses variable v%d, which does not exist", value.index);
        else if (state->defined_in[value.index] != block || state->stamp[value.index] != block)
            verify_fail(state, block, op, "uses v%d, which is not defined earlier in this block",
                        value.index);
        break;
    case FLOW_VALUE_CONST:
        if (value.index < 0 || value.index >= graph->const_count)
            verify_fail(state, block, op, "uses constant c%d, which does not exist", value.index);
        break;
    case FLOW_VALUE_CAUGHT:
        if (!caught_ok)
            verify_fail(state, block, op, "the caught exception is used outside an exception link");
        break;
    }
}

static void verify_exits(VerifyState *state, int b) {
    const FlowGraph *graph = state->graph;
    const FlowBlock *block = &graph->blocks[b];
    int expected = -1;
    switch (block->exit_kind) {
    case FLOW_EXIT_GOTO: expected = 1; break;
    case FLOW_EXIT_BRANCH:
    case FLOW_EXIT_RAISES: expected = 2; break;
    case FLOW_EXIT_RETURN:
    case FLOW_EXIT_EXCEPT:
        expected = 0;
        if (block->input_count != 1)
            verify_fail(state, b, -1, "a return or except block has one input");
        break;
    case FLOW_EXIT_SWITCH:
        if (block->exit_count < 1 || !block->exits[block->exit_count - 1].is_default)
            verify_fail(state, b, -1, "a switch ends with its default link");
        break;
    }
    if (expected >= 0 && block->exit_count != expected)
        verify_fail(state, b, -1, "has %d exits where its exit kind needs %d", block->exit_count,
                    expected);
    if (block->exit_kind == FLOW_EXIT_BRANCH || block->exit_kind == FLOW_EXIT_SWITCH)
        verify_use(state, b, -1, block->exitswitch, false);
    if (block->exit_kind == FLOW_EXIT_RAISES) {
        if (block->op_count == 0)
            verify_fail(state, b, -1, "an exception exit needs a last operation");
        else if (!flow_op_info[block->ops[block->op_count - 1].opcode].can_raise)
            verify_fail(state, b, -1, "the last operation of a raising block cannot raise");
    }
    for (int i = 0; i < block->exit_count; i++) {
        const FlowLink *link = &block->exits[i];
        if (link->target < 0 || link->target >= graph->block_count) {
            verify_fail(state, b, -1, "link %d targets block %d, which does not exist", i,
                        link->target);
            continue;
        }
        if (link->target == 0) verify_fail(state, b, -1, "link %d targets the start block", i);
        const FlowBlock *target = &graph->blocks[link->target];
        if (link->arg_count != target->input_count)
            verify_fail(state, b, -1, "link %d passes %d values to block %d, which has %d inputs",
                        i, link->arg_count, link->target, target->input_count);
        bool exceptional = block->exit_kind == FLOW_EXIT_RAISES && i == 1;
        for (int j = 0; j < link->arg_count; j++) {
            FlowValue value = link->args[j];
            /* The exception link leaves before the last op's result exists. */
            if (exceptional && value.kind == FLOW_VALUE_VAR && block->op_count > 0 &&
                block->ops[block->op_count - 1].result == value.index)
                verify_fail(state, b, -1, "the exception link passes the result of the raising op");
            verify_use(state, b, -1, value, exceptional);
        }
        if (block->exit_kind == FLOW_EXIT_SWITCH && !link->is_default &&
            link->case_value.kind != FLOW_VALUE_CONST)
            verify_fail(state, b, -1, "switch link %d has no constant case", i);
    }
}

static void verify_block(VerifyState *state, int b) {
    const FlowBlock *block = &state->graph->blocks[b];
    for (int i = 0; i < block->input_count; i++) {
        verify_define(state, b, -1, block->inputs[i]);
        if (block->inputs[i] >= 0 && block->inputs[i] < state->graph->var_count)
            state->stamp[block->inputs[i]] = b;
    }
    for (int i = 0; i < block->op_count; i++) {
        const FlowOp *op = &block->ops[i];
        const FlowOpInfo *info = &flow_op_info[op->opcode];
        if (info->arg_count >= 0 && op->arg_count != info->arg_count)
            verify_fail(state, b, i, "%s takes %d arguments, has %d", info->name, info->arg_count,
                        op->arg_count);
        for (int j = 0; j < op->arg_count; j++)
            verify_use(state, b, i, op->args[j], false);
        if (info->has_result != (op->result >= 0))
            verify_fail(state, b, i, "%s %s a result", info->name,
                        info->has_result ? "needs" : "has no");
        if (op->result >= 0) {
            verify_define(state, b, i, op->result);
            if (op->result < state->graph->var_count) state->stamp[op->result] = b;
        }
    }
    verify_exits(state, b);
}

int flow_verify_graph(const FlowProgram *program, const FlowGraph *graph, FILE *out) {
    if (graph->kind == FLOW_GRAPH_EXTERN) return 0;
    VerifyState state = {program, graph, out, 0, NULL, NULL};
    state.defined_in = kiln_xmalloc(sizeof(int32_t) * ((size_t)graph->var_count + 1));
    state.stamp = kiln_xmalloc(sizeof(int32_t) * ((size_t)graph->var_count + 1));
    for (int i = 0; i < graph->var_count; i++)
        state.defined_in[i] = state.stamp[i] = -1;
    if (graph->block_count < 1) verify_fail(&state, -1, -1, "the graph has no start block");
    if (graph->return_block < 0 || graph->return_block >= graph->block_count ||
        graph->blocks[graph->return_block].exit_kind != FLOW_EXIT_RETURN)
        verify_fail(&state, -1, -1, "the graph has no return block");
    if (graph->except_block < 0 || graph->except_block >= graph->block_count ||
        graph->blocks[graph->except_block].exit_kind != FLOW_EXIT_EXCEPT)
        verify_fail(&state, -1, -1, "the graph has no except block");
    if (graph->block_count > 0 && graph->blocks[0].input_count != graph->param_count)
        verify_fail(&state, 0, -1, "the start block has %d inputs for %d parameters",
                    graph->blocks[0].input_count, graph->param_count);
    for (int b = 0; b < graph->block_count; b++)
        verify_block(&state, b);
    free(state.defined_in);
    free(state.stamp);
    return state.errors;
}

int flow_verify_program(const FlowProgram *program, FILE *out) {
    int errors = 0;
    for (int i = 0; i < program->graph_count; i++)
        errors += flow_verify_graph(program, program->graphs[i], out);
    return errors;
}
