/* flow_dump.c - the textual dump (`kiln flow --dump`) and the Graphviz
 * output (`kiln flow --dot`) of flow graphs.  The dump is stable: tests
 * compare it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"


static void dump_const(FILE *out, const FlowProgram *program, const FlowConst *constant) {
    switch (constant->kind) {
    case FLOW_CONST_INT: fprintf(out, "%lld", (long long)constant->int_value); break;
    case FLOW_CONST_FLOAT: fprintf(out, "%.17g", constant->float_value); break;
    case FLOW_CONST_BOOL: fputs(constant->int_value ? "true" : "false", out); break;
    case FLOW_CONST_CHAR: {
        char byte = (char)constant->int_value;
        diag_write_quoted(out, &byte, 1, '\'');
        break;
    }
    case FLOW_CONST_STR: diag_write_quoted(out, constant->str_value, constant->str_length, '"'); break;
    case FLOW_CONST_NULL: fputs("null", out); break;
    case FLOW_CONST_VOID: fputs("void", out); break;
    case FLOW_CONST_UNDEF: fputs("undef", out); break;
    case FLOW_CONST_FUNC:
        fprintf(out, "@%s",
                program && constant->int_value < program->graph_count
                    ? program->graphs[constant->int_value]->name
                    : "?");
        break;
    }
}

void flow_dump_value(FILE *out, const FlowGraph *graph, FlowValue value) {
    switch (value.kind) {
    case FLOW_VALUE_VAR: fprintf(out, "v%d", value.index); break;
    case FLOW_VALUE_CONST: dump_const(out, NULL, &graph->consts[value.index]); break;
    case FLOW_VALUE_CAUGHT: fputs("caught", out); break;
    }
}

static void dump_value(FILE *out, const FlowProgram *program, const FlowGraph *graph,
                       FlowValue value) {
    if (value.kind == FLOW_VALUE_CONST)
        dump_const(out, program, &graph->consts[value.index]);
    else
        flow_dump_value(out, graph, value);
}

static void dump_lower(FILE *out, const char *name) {
    for (const char *c = name; *c; c++)
        fputc(tolower((unsigned char)*c), out);
}

static void dump_aux(FILE *out, const FlowProgram *program, const FlowOp *op) {
    const char *aux = flow_op_info[op->opcode].aux;
    if (strcmp(aux, "name") == 0)
        fprintf(out, "[%s]", op->name);
    else if (strcmp(aux, "class") == 0)
        fprintf(out, "[%s]", program->classes[op->aux].name);
    else if (strcmp(aux, "graph") == 0)
        fprintf(out, "[%s]", program->graphs[op->aux]->name);
    else if (strcmp(aux, "global") == 0)
        fprintf(out, "[%s]", program->globals[op->aux].name);
    else if (strcmp(aux, "builtin") == 0)
        fprintf(out, "[%s]", flow_builtin_info[op->aux].name);
    else if (strcmp(aux, "driver") == 0)
        fprintf(out, "[%s]", program->jitdrivers[op->aux].name);
    else if (strcmp(aux, "count") == 0)
        fprintf(out, "[%d]", op->aux);
}

static void dump_op(FILE *out, const FlowProgram *program, const FlowGraph *graph,
                    const FlowOp *op) {
    if (op->result >= 0) fprintf(out, "v%d = ", op->result);
    dump_lower(out, flow_op_info[op->opcode].name);
    dump_aux(out, program, op);
    fputc('(', out);
    for (int i = 0; i < op->arg_count; i++) {
        if (i) fputs(", ", out);
        dump_value(out, program, graph, op->args[i]);
    }
    fputc(')', out);
}

static void dump_link(FILE *out, const FlowProgram *program, const FlowGraph *graph,
                      const FlowLink *link) {
    fprintf(out, "block %d(", link->target);
    for (int i = 0; i < link->arg_count; i++) {
        if (i) fputs(", ", out);
        dump_value(out, program, graph, link->args[i]);
    }
    fputc(')', out);
}

static void dump_pos(FILE *out, const FlowProgram *program, SrcPos pos) {
    char where[512];
    if (pos.line > 0)
        fprintf(out, "  ; %s", diag_format_pos(program->diag, pos, where, sizeof where));
}

static void dump_exits(FILE *out, const FlowProgram *program, const FlowGraph *graph,
                       const FlowBlock *block) {
    fputs("    ", out);
    switch (block->exit_kind) {
    case FLOW_EXIT_GOTO:
        fputs("goto ", out);
        dump_link(out, program, graph, &block->exits[0]);
        break;
    case FLOW_EXIT_BRANCH:
        fputs("branch ", out);
        dump_value(out, program, graph, block->exitswitch);
        fputs(" false: ", out);
        dump_link(out, program, graph, &block->exits[0]);
        fputs(" true: ", out);
        dump_link(out, program, graph, &block->exits[1]);
        break;
    case FLOW_EXIT_RAISES:
        fputs("raises normal: ", out);
        dump_link(out, program, graph, &block->exits[0]);
        fputs(" exception: ", out);
        dump_link(out, program, graph, &block->exits[1]);
        break;
    case FLOW_EXIT_SWITCH:
        fputs("switch ", out);
        dump_value(out, program, graph, block->exitswitch);
        for (int i = 0; i < block->exit_count; i++) {
            fputs("\n      ", out);
            if (block->exits[i].is_default)
                fputs("default", out);
            else
                dump_value(out, program, graph, block->exits[i].case_value);
            fputs(": ", out);
            dump_link(out, program, graph, &block->exits[i]);
        }
        break;
    case FLOW_EXIT_RETURN: fprintf(out, "return v%d", block->inputs[0]); break;
    case FLOW_EXIT_EXCEPT: fprintf(out, "raise v%d", block->inputs[0]); break;
    }
    fputc('\n', out);
}

static void dump_var(FILE *out, const FlowGraph *graph, int32_t var) {
    fprintf(out, "v%d", var);
    if (graph->vars[var].name) fprintf(out, " %s", graph->vars[var].name);
}

void flow_dump_graph(FILE *out, const FlowProgram *program, const FlowGraph *graph) {
    static const char *const kinds[] = {"fn", "method", "extern", "globals"};
    fprintf(out, "%s %s", kinds[graph->kind], graph->name);
    if (graph->kind == FLOW_GRAPH_EXTERN) {
        fprintf(out, " = \"%s\" (%d parameters)\n\n", graph->c_name, graph->param_count);
        return;
    }
    fputc('(', out);
    for (int i = 0; i < graph->blocks[0].input_count; i++) {
        if (i) fputs(", ", out);
        dump_var(out, graph, graph->blocks[0].inputs[i]);
    }
    fprintf(out, ")  return: block %d, except: block %d\n", graph->return_block,
            graph->except_block);
    for (int b = 0; b < graph->block_count; b++) {
        const FlowBlock *block = &graph->blocks[b];
        fprintf(out, "  block %d(", b);
        for (int i = 0; i < block->input_count; i++) {
            if (i) fputs(", ", out);
            dump_var(out, graph, block->inputs[i]);
        }
        fputs("):", out);
        dump_pos(out, program, block->pos);
        fputc('\n', out);
        for (int i = 0; i < block->op_count; i++) {
            fputs("    ", out);
            dump_op(out, program, graph, &block->ops[i]);
            dump_pos(out, program, block->ops[i].pos);
            fputc('\n', out);
        }
        dump_exits(out, program, graph, block);
    }
    fputc('\n', out);
}

static bool dump_is_user_graph(const FlowProgram *program, const FlowGraph *graph) {
    /* The prelude's graphs are the same in every program: leave them out. */
    if (graph->pos.line == 0) return graph->kind == FLOW_GRAPH_GLOBAL_INIT;
    const SourceFile *file = diag_file(program->diag, graph->pos.file);
    return strcmp(file->path, flow_prelude_path) != 0;
}

void flow_dump_program(FILE *out, const FlowProgram *program) {
    for (int i = 0; i < program->graph_count; i++)
        if (dump_is_user_graph(program, program->graphs[i]))
            flow_dump_graph(out, program, program->graphs[i]);
}

static void dot_escape(FILE *out, const char *text) {
    for (const char *c = text; *c; c++) {
        if (strchr("{}<>|\"\\", *c)) fputc('\\', out);
        fputc(*c == '\n' ? ' ' : *c, out);
    }
}

static void dot_graph(FILE *out, const FlowProgram *program, const FlowGraph *graph) {
    fprintf(out, "  subgraph cluster_%d {\n    label=\"", graph->index);
    dot_escape(out, graph->name);
    fputs("\";\n", out);
    char *buffer = NULL;
    size_t size = 0;
    for (int b = 0; b < graph->block_count; b++) {
        const FlowBlock *block = &graph->blocks[b];
        FILE *text = open_memstream(&buffer, &size);
        fprintf(text, "block %d(", b);
        for (int i = 0; i < block->input_count; i++)
            fprintf(text, "%sv%d", i ? ", " : "", block->inputs[i]);
        fputs(")", text);
        for (int i = 0; i < block->op_count; i++) {
            fputs("\n", text);
            dump_op(text, program, graph, &block->ops[i]);
        }
        fclose(text);
        fprintf(out, "    g%d_b%d [shape=record, label=\"{", graph->index, b);
        for (char *line = buffer; line && *line;) {
            char *end = strchr(line, '\n');
            if (end) *end = '\0';
            dot_escape(out, line);
            fputs("\\l", out);
            if (!end) break;
            fputs("|", out);
            line = end + 1;
        }
        fputs("}\"];\n", out);
        free(buffer);
        buffer = NULL;
        for (int i = 0; i < block->exit_count; i++) {
            const char *label = "";
            if (block->exit_kind == FLOW_EXIT_BRANCH) label = i ? "true" : "false";
            if (block->exit_kind == FLOW_EXIT_RAISES) label = i ? "exception" : "";
            if (block->exit_kind == FLOW_EXIT_SWITCH && block->exits[i].is_default)
                label = "default";
            fprintf(out, "    g%d_b%d -> g%d_b%d [label=\"%s\"%s];\n", graph->index, b,
                    graph->index, block->exits[i].target, label,
                    block->exit_kind == FLOW_EXIT_RAISES && i ? ", style=dashed, color=red" : "");
        }
    }
    fputs("  }\n", out);
}

void flow_dot_program(FILE *out, const FlowProgram *program) {
    fputs("digraph kiln_flow {\n  node [fontname=\"monospace\"];\n", out);
    for (int i = 0; i < program->graph_count; i++) {
        const FlowGraph *graph = program->graphs[i];
        if (graph->kind != FLOW_GRAPH_EXTERN && dump_is_user_graph(program, graph))
            dot_graph(out, program, graph);
    }
    fputs("}\n", out);
}
