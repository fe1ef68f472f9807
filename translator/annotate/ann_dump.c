/* ann_dump.c - `kiln annotate --dump`, `kiln flow --dot --types`, and the
 * annotation verifier.
 *
 * The dump is stable text (tests compare it): the reached functions in
 * graph order (a specialized function once per copy, in the order the
 * copies were made), each as a signature line and then every variable that
 * has a type; then the fields of every class, then the globals.
 */
#include <string.h>

#include "ann_internal.h"

static void ann_dump_signature(FILE *out, Annotator *annotator, const AnnFunc *func,
                               const char *end) {
    const FlowGraph *graph = func->graph;
    fprintf(out, "%s %s(", graph->kind == FLOW_GRAPH_METHOD ? "method" : "fn", graph->name);
    for (int i = 0; i < graph->param_count && graph->block_count > 0; i++) {
        int var = graph->blocks[0].inputs[i];
        fprintf(out, "%s%s: ", i ? ", " : "", graph->vars[var].name ? graph->vars[var].name : "_");
        ann_print(out, annotator, ann_drop_const(annotator, func->vars[var].ann), false);
    }
    fputs(") -> ", out);
    ann_print(out, annotator, ann_drop_const(annotator, ann_func_result(annotator, func->index)),
              false);
    if (func->key) fprintf(out, "  [specialized for %s]", func->key);
    fputs(end, out);
}

static void ann_dump_func(FILE *out, Annotator *annotator, const AnnFunc *func) {
    ann_dump_signature(out, annotator, func, "\n");
    const FlowGraph *graph = func->graph;
    for (int v = 0; v < graph->var_count; v++) {
        const Ann *ann = func->vars[v].ann;
        if (ann->kind == ANN_BOTTOM) continue;
        fprintf(out, "  v%d%s%s: ", v, graph->vars[v].name ? " " : "",
                graph->vars[v].name ? graph->vars[v].name : "");
        ann_print(out, annotator, ann, true);
        fputc('\n', out);
    }
}

void ann_dump(FILE *out, Annotator *annotator) {
    const FlowProgram *program = annotator->program;
    for (int g = 0; g < program->graph_count; g++)
        for (int f = 0; f < annotator->funcs.count; f++)
            if (annotator->funcs.items[f]->graph->index == g)
                ann_dump_func(out, annotator, annotator->funcs.items[f]);
    for (int c = 0; c < program->class_count; c++) {
        const FlowClass *class = &program->classes[c];
        int inherited = class->base >= 0 ? program->classes[class->base].field_count : 0;
        if (class->field_count == inherited) continue;
        fprintf(out, "class %s\n", class->name);
        for (int f = inherited; f < class->field_count; f++) {
            fprintf(out, "  field %s: ", class->fields[f].name);
            ann_print(out, annotator, ann_field(annotator, c, f), false);
            fputc('\n', out);
        }
    }
    for (int g = 0; g < program->global_count; g++) {
        fprintf(out, "%s %s: ", program->globals[g].is_const ? "const" : "global",
                program->globals[g].name);
        ann_print(out, annotator, annotator->globals[g].ann, true);
        fputc('\n', out);
    }
}

/* ---- Graphviz ----------------------------------------------------------- */

static void ann_dot_value(FILE *out, Annotator *annotator, const AnnFunc *func, FlowValue value) {
    if (value.kind == FLOW_VALUE_VAR) {
        fprintf(out, "v%d", value.index);
        return;
    }
    if (value.kind == FLOW_VALUE_CAUGHT) {
        fputs("caught", out);
        return;
    }
    const FlowConst *constant = &func->graph->consts[value.index];
    if (constant->kind == FLOW_CONST_STR || constant->kind == FLOW_CONST_CHAR)
        fputs("const", out);
    else
        ann_print(out, annotator, ann_value(annotator, (AnnFunc *)func, value), true);
}

static void ann_dot_var(FILE *out, Annotator *annotator, const AnnFunc *func, int var) {
    fprintf(out, "v%d: ", var);
    ann_print(out, annotator, func->vars[var].ann, false);
}

static void ann_dot_func(FILE *out, Annotator *annotator, const AnnFunc *func) {
    const FlowGraph *graph = func->graph;
    fprintf(out, "  subgraph cluster_%d {\n    label=\"", func->index);
    ann_dump_signature(out, annotator, func, "\";\n");
    for (int b = 0; b < graph->block_count; b++) {
        if (func->block_stop[b] < 0) continue;
        const FlowBlock *block = &graph->blocks[b];
        fprintf(out, "    f%d_b%d [shape=box, label=\"block %d(", func->index, b, b);
        for (int i = 0; i < block->input_count; i++) {
            if (i) fputs(", ", out);
            ann_dot_var(out, annotator, func, block->inputs[i]);
        }
        fputs(")\\l", out);
        for (int i = 0; i < func->block_stop[b]; i++) {
            const FlowOp *op = &block->ops[i];
            if (op->result >= 0) {
                ann_dot_var(out, annotator, func, op->result);
                fputs(" = ", out);
            }
            fprintf(out, "%s(", flow_op_info[op->opcode].name);
            for (int a = 0; a < op->arg_count; a++) {
                if (a) fputs(", ", out);
                ann_dot_value(out, annotator, func, op->args[a]);
            }
            fputs(")\\l", out);
        }
        fputs("\"];\n", out);
        for (int e = 0; e < block->exit_count; e++)
            if (func->block_stop[block->exits[e].target] >= 0)
                fprintf(out, "    f%d_b%d -> f%d_b%d;\n", func->index, b, func->index,
                        block->exits[e].target);
    }
    fputs("  }\n", out);
}

void ann_dot(FILE *out, Annotator *annotator) {
    fputs("digraph kiln {\n  node [fontname=\"monospace\"];\n", out);
    for (int f = 0; f < annotator->funcs.count; f++)
        ann_dot_func(out, annotator, annotator->funcs.items[f]);
    fputs("}\n", out);
}

/* ---- verifier ----------------------------------------------------------- */

int ann_verify(Annotator *annotator, FILE *out) {
    int broken = 0;
    for (int f = 0; f < annotator->funcs.count; f++) {
        const AnnFunc *func = annotator->funcs.items[f];
        const FlowGraph *graph = func->graph;
        for (int b = 0; b < graph->block_count; b++) {
            const FlowBlock *block = &graph->blocks[b];
            for (int i = 0; i < func->block_stop[b] && i < block->op_count; i++) {
                const FlowOp *op = &block->ops[i];
                for (int a = 0; a < op->arg_count; a++)
                    if (op->args[a].kind == FLOW_VALUE_VAR &&
                        func->vars[op->args[a].index].ann->kind == ANN_BOTTOM) {
                        fprintf(out, "annotate verifier: %s block %d op %d: v%d has no type\n",
                                graph->name, b, i, op->args[a].index);
                        broken++;
                    }
                if (op->result >= 0 && func->vars[op->result].ann->kind == ANN_BOTTOM) {
                    fprintf(out, "annotate verifier: %s block %d op %d: result v%d has no type\n",
                            graph->name, b, i, op->result);
                    broken++;
                }
            }
        }
    }
    return broken;
}
