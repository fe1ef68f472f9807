/* transform_calls.c - the cycles of the call graph.
 *
 * A function that can call itself through a chain of calls can pile up
 * frames without bound: it checks the C stack on entry and raises
 * MemoryError ("recursion too deep", as the graph interpreter) when the
 * stack is nearly full, so it can raise.  The call graph has an edge for
 * each direct call, each init of a `new`, each method a virtual call can
 * reach, and each function a function value can hold (calls of values and
 * tasks).  A depth-first search from each function finds whether it
 * reaches itself: programs have hundreds of functions, not millions.
 */
#include <stdlib.h>
#include <string.h>

#include "transform.h"

typedef Vec(int) TransformEdges;

static void transform_add_callables(const RtypeProgram *rtype, TransformEdges *edges,
                                    const Ann *fn) {
    if (!fn || fn->kind != ANN_FUNCTION) return;
    for (int i = 0; i < fn->callable_count; i++) {
        int callee = ann_func_of_graph(rtype->annotator, fn->callables[i].graph);
        if (callee >= 0) vec_push(edges, callee);
    }
}

/* The functions one function can call directly. */
static void transform_callees(const RtypeProgram *rtype, int func, TransformEdges *edges) {
    const RtypeFunc *info = &rtype->funcs[func];
    const FlowGraph *graph = info->graph;
    for (int block = 0; block < graph->block_count; block++) {
        for (int i = 0; i < graph->blocks[block].op_count; i++) {
            const RtypeOp *low = &info->ops[block][i];
            const FlowOp *op = &graph->blocks[block].ops[i];
            if ((low->opcode == RTYPE_OP_CALL_DIRECT || low->opcode == RTYPE_OP_NEW) &&
                low->callee >= 0)
                vec_push(edges, low->callee);
            if (low->opcode == RTYPE_OP_CALL_VIRTUAL) {
                const RtypeVtable *table = &rtype->vtables.items[low->vtable];
                for (int t = 0; t <= table->last_type - table->first_type; t++)
                    if (table->funcs[t] >= 0) vec_push(edges, table->funcs[t]);
            }
            bool by_value = low->opcode == RTYPE_OP_CALL_FUNC || low->opcode == RTYPE_OP_TASK;
            if (by_value && op->arg_count > 0 && op->args[0].kind == FLOW_VALUE_VAR)
                transform_add_callables(rtype, edges,
                                        ann_var(rtype->annotator, func, op->args[0].index));
            if (by_value && op->arg_count > 0 && op->args[0].kind == FLOW_VALUE_CONST &&
                graph->consts[op->args[0].index].kind == FLOW_CONST_FUNC)
                vec_push(edges, ann_func_of_graph(rtype->annotator,
                                                  (int)graph->consts[op->args[0].index].int_value));
        }
    }
}

void transform_find_recursion(RtypeProgram *rtype) {
    int count = rtype->func_count;
    TransformEdges *edges = calloc((size_t)count + 1, sizeof *edges);
    for (int func = 0; func < count; func++)
        transform_callees(rtype, func, &edges[func]);
    bool *seen = calloc((size_t)count + 1, sizeof *seen);
    int *stack = calloc((size_t)count + 1, sizeof *stack);
    for (int func = 0; func < count; func++) {
        memset(seen, 0, (size_t)count);
        int top = 0;
        for (int e = 0; e < edges[func].count; e++)
            if (!seen[edges[func].items[e]]) {
                seen[edges[func].items[e]] = true;
                stack[top++] = edges[func].items[e];
            }
        while (top > 0 && !seen[func]) {
            int next = stack[--top];
            for (int e = 0; e < edges[next].count; e++) {
                int callee = edges[next].items[e];
                if (seen[callee]) continue;
                seen[callee] = true;
                stack[top++] = callee;
            }
        }
        rtype->funcs[func].checks_stack = seen[func];
    }
    for (int func = 0; func < count; func++)
        vec_free(&edges[func]);
    free(edges);
    free(seen);
    free(stack);
}
