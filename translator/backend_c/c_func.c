/* c_func.c - one Kiln C function as one C function: a label per block,
 * links as parallel copies into the target's input variables, exception
 * exits as tests of rt_thread.exception after each operation that can
 * raise. */
#include <inttypes.h>
#include <string.h>

#include "c_internal.h"

const char *const c_repr_types[] = {"int64_t", "int64_t", "double", "void *"};

int c_string_const(CEmitter *emitter, const char *bytes, int length) {
    for (int i = 0; i < emitter->strings.count; i++)
        if (emitter->strings.items[i].length == length &&
            memcmp(emitter->strings.items[i].bytes, bytes, (size_t)length) == 0)
            return i;
    CStrConst entry = {bytes, length};
    vec_push(&emitter->strings, entry);
    return emitter->strings.count - 1;
}

void c_emit_string_consts(FILE *out, const CEmitter *emitter) {
    for (int i = 0; i < emitter->strings.count; i++) {
        const CStrConst *entry = &emitter->strings.items[i];
        fprintf(out,
                "static _Alignas(8) struct { GcHeader header; uint64_t hash; int64_t length; "
                "char bytes[%d]; } kstr_%d = {GC_PREBUILT_HEADER(RT_TYPE_STR), 0, %d, \"",
                entry->length + 1, i, entry->length);
        for (int b = 0; b < entry->length; b++) {
            unsigned char byte = (unsigned char)entry->bytes[b];
            if (byte == '"' || byte == '\\')
                fprintf(out, "\\%c", byte);
            else if (byte >= 0x20 && byte < 0x7f && byte != '?')
                fputc(byte, out);
            else
                fprintf(out, "\\%03o", byte);
        }
        fputs("\"};\n", out);
    }
}

void c_emit_line(CEmitter *emitter, SrcPos pos) {
    if (!emitter->line_directives || pos.line <= 0 || pos.file < 0 ||
        pos.file >= emitter->diag->files.count)
        return;
    const SourceFile *file = diag_file(emitter->diag, pos.file);
    if (!file) return;
    fprintf(emitter->out, "#line %d \"%s\"\n", (int)pos.line, file->path);
}

void c_emit_prototype(FILE *out, const RtypeProgram *rtype, int func) {
    const RtypeFunc *info = &rtype->funcs[func];
    const FlowGraph *graph = info->graph;
    fprintf(out, "%s %s(GcThread *th", c_repr_types[info->result], info->c_name);
    for (int i = 0; i < graph->param_count; i++)
        fprintf(out, ", %s v%d", c_repr_types[info->reprs[graph->blocks[0].inputs[i]]],
                graph->blocks[0].inputs[i]);
    fputs(")", out);
}

/* The position an exception leaving through this block is reported at. */
static SrcPos c_block_raise_pos(const FlowBlock *block) {
    if (block->op_count > 0) return block->ops[block->op_count - 1].pos;
    return block->pos;
}

static void c_emit_trace(CEmitter *emitter, SrcPos pos) {
    fprintf(emitter->out, "rt_trace_frame(\"%s\", %d, %d, __builtin_frame_address(0)); ",
            emitter->graph->name, (int)pos.file, (int)pos.line);
}

static void c_emit_link(CEmitter *emitter, const FlowLink *link, SrcPos pos) {
    FILE *out = emitter->out;
    const FlowGraph *graph = emitter->graph;
    const FlowBlock *target = &graph->blocks[link->target];
    if (link->target == graph->except_block) {
        fputs("{ rt_throw(", out);
        c_value(emitter, link->args[0]);
        fprintf(out, ", \"%s\", %d, %d, __builtin_frame_address(0)); ", graph->name, (int)pos.file,
                (int)pos.line);
        c_emit_trace(emitter, pos);
        fputs("return 0; }\n", out);
        return;
    }
    fputs("{ ", out);
    for (int i = 0; i < link->arg_count; i++) {
        int input = target->inputs[i];
        fprintf(out, "%s t%d = ", c_repr_types[emitter->info->reprs[input]], i);
        if (link->args[i].kind == FLOW_VALUE_CONST && emitter->info->reprs[input] == RTYPE_REF &&
            graph->consts[link->args[i].index].kind == FLOW_CONST_VOID)
            fputs("NULL", out);
        else
            c_value(emitter, link->args[i]);
        fputs("; ", out);
    }
    for (int i = 0; i < link->arg_count; i++)
        fprintf(out, "v%d = t%d; ", target->inputs[i], i);
    fprintf(out, "goto b%d; }\n", link->target);
}

static void c_emit_switch(CEmitter *emitter, const FlowBlock *block) {
    FILE *out = emitter->out;
    const FlowGraph *graph = emitter->graph;
    for (int e = 0; e < block->exit_count; e++) {
        const FlowLink *link = &block->exits[e];
        if (link->is_default) {
            c_emit_link(emitter, link, block->pos);
            continue;
        }
        const FlowConst *value = &graph->consts[link->case_value.index];
        fputs("    if (", out);
        if (value->kind == FLOW_CONST_STR) {
            fputs("rt_str_eq(", out);
            c_value(emitter, block->exitswitch);
            fputs(", ", out);
            c_value(emitter, link->case_value);
            fputs(")) ", out);
        } else {
            c_value(emitter, block->exitswitch);
            fputs(" == ", out);
            c_value(emitter, link->case_value);
            fputs(") ", out);
        }
        c_emit_link(emitter, link, block->pos);
    }
}

/* The input of `target` that receives the caught exception when target
 * is an exception handler (the exception link of an EXIT_RAISES block
 * passes it), else -1. */
static int c_handler_input(const FlowGraph *graph, int target) {
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

/* A goto into a handler is a `throw` inside a try: the traceback starts at
 * the throwing line, not at the handler's re-throw (as the interpreter). */
static void c_emit_goto_throw(CEmitter *emitter, const FlowBlock *block) {
    const FlowLink *link = &block->exits[0];
    if (link->target == emitter->graph->except_block) return;
    int input = c_handler_input(emitter->graph, link->target);
    if (input < 0 || input >= link->arg_count || link->args[input].kind != FLOW_VALUE_VAR) return;
    SrcPos pos = c_block_raise_pos(block);
    fputs("    rt_note_throw(", emitter->out);
    c_value(emitter, link->args[input]);
    fprintf(emitter->out, ", \"%s\", %d, %d, __builtin_frame_address(0));\n", emitter->graph->name,
            (int)pos.file, (int)pos.line);
}

static void c_emit_block(CEmitter *emitter, int block_index) {
    FILE *out = emitter->out;
    const FlowGraph *graph = emitter->graph;
    const FlowBlock *block = &graph->blocks[block_index];
    emitter->block = block_index;
    fprintf(out, "b%d:;\n", block_index);
    if (!ann_block_reached(emitter->rtype->annotator, emitter->func, block_index)) {
        fputs("    abort(); /* never reached, by the annotation */\n", out);
        return;
    }
    if (block->exit_kind == FLOW_EXIT_RETURN) {
        fprintf(out, "    return v%d;\n", block->inputs[0]);
        return;
    }
    if (block->exit_kind == FLOW_EXIT_EXCEPT) {
        /* reached only by links that raise themselves (c_emit_link) */
        fputs("    return 0;\n", out);
        return;
    }
    for (int i = 0; i < block->op_count; i++) {
        emitter->op_index = i;
        c_emit_line(emitter, block->ops[i].pos);
        c_emit_op(emitter, &block->ops[i]);
    }
    switch (block->exit_kind) {
    case FLOW_EXIT_GOTO:
    case FLOW_EXIT_RAISES:
        if (block->exit_kind == FLOW_EXIT_GOTO) c_emit_goto_throw(emitter, block);
        fputs("    ", out);
        c_emit_link(emitter, &block->exits[0], c_block_raise_pos(block));
        if (block->exit_kind == FLOW_EXIT_RAISES) {
            fprintf(out, "e%d:\n    ", block_index);
            c_emit_link(emitter, &block->exits[1], c_block_raise_pos(block));
        }
        break;
    case FLOW_EXIT_BRANCH:
        fputs("    if (", out);
        c_value(emitter, block->exitswitch);
        fputs(") ", out);
        c_emit_link(emitter, &block->exits[1], block->pos);
        fputs("    ", out);
        c_emit_link(emitter, &block->exits[0], block->pos);
        break;
    case FLOW_EXIT_SWITCH: c_emit_switch(emitter, block); break;
    default: break;
    }
}

/* After an operation that raised: to the block's exception link when the
 * operation is the last of an EXIT_RAISES block, else out of the function
 * with a traceback entry. */
void c_emit_raise_exit(CEmitter *emitter) {
    const FlowBlock *block = &emitter->graph->blocks[emitter->block];
    if (block->exit_kind == FLOW_EXIT_RAISES && emitter->op_index == block->op_count - 1) {
        /* caught here: the frame's entry keeps this line even when a
         * finally or a catch throws the exception on (as the interpreter) */
        fputs("{ ", emitter->out);
        c_emit_trace(emitter, block->ops[emitter->op_index].pos);
        fprintf(emitter->out, "goto e%d; }", emitter->block);
        return;
    }
    fputs("{ ", emitter->out);
    c_emit_trace(emitter, block->ops[emitter->op_index].pos);
    fputs("return 0; }", emitter->out);
}

void c_emit_function(CEmitter *emitter, int func) {
    FILE *out = emitter->out;
    const RtypeFunc *info = &emitter->rtype->funcs[func];
    const FlowGraph *graph = info->graph;
    emitter->func = func;
    emitter->info = info;
    emitter->graph = graph;
    c_emit_task_invokers(emitter);
    fprintf(out, "\n/* %s */\n", graph->name);
    c_emit_line(emitter, graph->pos);
    c_emit_prototype(out, emitter->rtype, func);
    fputs(" {\n", out);
    bool *param = calloc((size_t)graph->var_count + 1, 1);
    for (int i = 0; i < graph->param_count; i++)
        param[graph->blocks[0].inputs[i]] = true;
    for (int var = 0; var < graph->var_count; var++)
        if (!param[var]) fprintf(out, "    %s v%d = 0;\n", c_repr_types[info->reprs[var]], var);
    free(param);
    fputs("    (void)th;\n", out);
    for (int block = 0; block < graph->block_count; block++)
        c_emit_block(emitter, block);
    fputs("}\n", out);
}
