/* ann_report.c - the annotator's diagnostics.
 *
 * A type error prints as
 *     prog.kc:12:20: error: cannot unify `int` with `str`
 *         <source line>
 *         ^
 *       Tape.pos was given `int` here: prog.kc:7:41
 *       and `str` here:                prog.kc:12:20
 *       reached from: main (prog.kc:40) -> run (prog.kc:30) -> Tape.init (prog.kc:7)
 * The chain lists the functions from main to the one where the error is:
 * each with the line of the call it makes to the next, the last with the
 * line of its definition.  Errors are collected during the fixpoint and
 * printed at its end, sorted by position; an error about an operation is
 * dropped when the operation's block is flowed again (its inputs may have
 * changed), so only errors true at the fixpoint are printed.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ann_internal.h"

const char *ann_pos_text(Annotator *annotator, SrcPos pos) {
    if (pos.line == 0 || pos.file < 0 || pos.file >= annotator->diag->files.count)
        return "<unknown>";
    return arena_printf(&annotator->arena, "%s:%d:%d", diag_file(annotator->diag, pos.file)->path,
                        pos.line, pos.col);
}

static AnnError *ann_error_new(Annotator *annotator, SrcPos pos, const char *format, va_list args) {
    char *message = NULL;
    if (vasprintf(&message, format, args) < 0) kiln_fatal("out of memory");
    AnnError error = {0};
    error.pos = pos;
    error.message = arena_strndup(&annotator->arena, message, strlen(message));
    error.func = annotator->current_func;
    error.live = true;
    free(message);
    vec_push(&annotator->errors, error);
    return &vec_last(&annotator->errors);
}

void ann_op_error(Annotator *annotator, SrcPos pos, const char *format, ...) {
    va_list args;
    va_start(args, format);
    ann_error_new(annotator, pos, format, args);
    va_end(args);
    if (annotator->current_func < 0) return;
    /* Owned by the operation being flowed: replaced when it is flowed again. */
    int *op_errors = annotator->op_errors.items[annotator->current_func];
    int *owned = &op_errors[annotator->current_op];
    if (*owned) annotator->errors.items[*owned - 1].live = false;
    *owned = annotator->errors.count;
}

void ann_plain_error(Annotator *annotator, SrcPos pos, const char *format, ...) {
    va_list args;
    va_start(args, format);
    ann_error_new(annotator, pos, format, args);
    va_end(args);
}

static const char *ann_slot_text(Annotator *annotator, AnnSlotName name) {
    const FlowProgram *program = annotator->program;
    switch (name.kind) {
    case ANN_SLOT_VAR: {
        const AnnFunc *func = annotator->funcs.items[name.a];
        const FlowGraph *graph = func->graph;
        if (graph->blocks[graph->return_block].inputs[0] == name.b)
            return arena_printf(&annotator->arena, "the result of %s", graph->name);
        const char *var = graph->vars[name.b].name;
        return var ? var : "the value";
    }
    case ANN_SLOT_FIELD: {
        const AnnFieldSlot *field = &annotator->fields.items[name.a];
        const FlowClass *class = &program->classes[field->class_index];
        return arena_printf(&annotator->arena, "%s.%s", class->name,
                            class->fields[field->field].name);
    }
    case ANN_SLOT_GLOBAL:
        return arena_printf(&annotator->arena, "global %s", program->globals[name.a].name);
    case ANN_SLOT_ITEM: return "the items of a list";
    case ANN_SLOT_KEY: return "the keys of a dict";
    case ANN_SLOT_VALUE: return "the values of a dict";
    }
    return "the value";
}

/* The two notes "X was given `A` here: P" and "and `B` here: Q", with the
 * second colon aligned under the first. */
static void ann_two_facts(Annotator *annotator, AnnError *error, const char *first_prefix,
                          SrcPos first_pos, const char *second_prefix, SrcPos second_pos) {
    int width = (int)strlen(first_prefix);
    int second = (int)strlen(second_prefix);
    error->notes[0] =
        arena_printf(&annotator->arena, "%s %s", first_prefix, ann_pos_text(annotator, first_pos));
    error->notes[1] =
        arena_printf(&annotator->arena, "%s%*s %s", second_prefix,
                     width > second ? width - second : 0, "", ann_pos_text(annotator, second_pos));
    error->note_count = 2;
}

void ann_conflict(Annotator *annotator, SrcPos pos, AnnSlotName name, const AnnSlot *slot,
                  const Ann *value, const Ann *left_fault, const Ann *right_fault) {
    const char *left = ann_to_string(annotator, left_fault ? left_fault : slot->ann);
    const char *right = ann_to_string(annotator, right_fault ? right_fault : value);
    ann_plain_error(annotator, pos, "cannot unify `%s` with `%s`", left, right);
    AnnError *error = &vec_last(&annotator->errors);
    const char *first =
        arena_printf(&annotator->arena, "%s was given `%s` here:", ann_slot_text(annotator, name),
                     ann_to_string(annotator, slot->ann));
    const char *second =
        arena_printf(&annotator->arena, "and `%s` here:", ann_to_string(annotator, value));
    ann_two_facts(annotator, error, first, slot->origin, second, pos);
}

void ann_declared_error(Annotator *annotator, SrcPos pos, AnnSlotName name, const AnnSlot *slot,
                        const Ann *value) {
    const char *declared = ann_to_string(annotator, slot->declared);
    const char *given = ann_to_string(annotator, ann_drop_const(annotator, value));
    ann_plain_error(annotator, pos, "`%s` does not match the declared type `%s`", given, declared);
    AnnError *error = &vec_last(&annotator->errors);
    const char *first = arena_printf(
        &annotator->arena, "%s is declared `%s` here:", ann_slot_text(annotator, name), declared);
    const char *second = arena_printf(&annotator->arena, "and given `%s` here:", given);
    ann_two_facts(annotator, error, first, slot->declared_pos, second, pos);
}

static const char *ann_chain_text(Annotator *annotator, int func_index) {
    enum { MAX_CHAIN = 64 };
    int chain[MAX_CHAIN];
    int count = 0;
    for (int index = func_index; index >= 0 && count < MAX_CHAIN;
         index = annotator->funcs.items[index]->caller)
        chain[count++] = index;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out) kiln_fatal("out of memory");
    fputs("reached from: ", out);
    char buffer[512];
    for (int i = count - 1; i >= 0; i--) {
        const AnnFunc *func = annotator->funcs.items[chain[i]];
        /* Long chains keep their two ends. */
        if (count > 8 && i < count - 3 && i > 3) {
            if (i == count - 4) fputs(" -> ...", out);
            continue;
        }
        SrcPos pos = i > 0 ? annotator->funcs.items[chain[i - 1]]->caller_pos : func->graph->pos;
        fprintf(out, "%s%s (%s)", i == count - 1 ? "" : " -> ", func->graph->name,
                diag_format_pos(annotator->diag, pos, buffer, sizeof buffer));
    }
    fclose(out);
    char *copy = arena_strndup(&annotator->arena, text, size);
    free(text);
    return copy;
}

static int ann_error_compare(const void *left, const void *right) {
    const AnnError *a = *(const AnnError *const *)left, *b = *(const AnnError *const *)right;
    if (a->pos.file != b->pos.file) return a->pos.file < b->pos.file ? -1 : 1;
    if (a->pos.line != b->pos.line) return a->pos.line < b->pos.line ? -1 : 1;
    if (a->pos.col != b->pos.col) return a->pos.col < b->pos.col ? -1 : 1;
    return a < b ? -1 : a > b;
}

void ann_report_all(Annotator *annotator) {
    int count = 0;
    const AnnError **live = kiln_xcalloc((size_t)annotator->errors.count + 1, sizeof(*live));
    for (int i = 0; i < annotator->errors.count; i++)
        if (annotator->errors.items[i].live) live[count++] = &annotator->errors.items[i];
    qsort(live, (size_t)count, sizeof(*live), ann_error_compare);
    for (int i = 0; i < count; i++) {
        const AnnError *error = live[i];
        diag_error(annotator->diag, error->pos, "%s", error->message);
        for (int n = 0; n < error->note_count; n++)
            diag_note(annotator->diag, "%s", error->notes[n]);
        if (error->func >= 0)
            diag_note(annotator->diag, "%s", ann_chain_text(annotator, error->func));
    }
    free(live);
}

/* Functions called by the global initializers run at translation time: they
 * are used, even when main never calls them. */
static void ann_mark_init_calls(const FlowProgram *program, bool *used) {
    if (program->global_init_graph < 0) return;
    const FlowGraph *graph = program->graphs[program->global_init_graph];
    for (int b = 0; b < graph->block_count; b++)
        for (int i = 0; i < graph->blocks[b].op_count; i++)
            if (graph->blocks[b].ops[i].opcode == FLOW_OP_CALL)
                used[graph->blocks[b].ops[i].aux] = true;
    for (int c = 0; c < graph->const_count; c++)
        if (graph->consts[c].kind == FLOW_CONST_FUNC) used[graph->consts[c].int_value] = true;
}

void ann_warn_unreached(Annotator *annotator) {
    const FlowProgram *program = annotator->program;
    bool *used = kiln_xcalloc((size_t)program->graph_count + 1, sizeof(bool));
    ann_mark_init_calls(program, used);
    for (int g = 0; g < program->graph_count; g++) {
        const FlowGraph *graph = program->graphs[g];
        if (graph->kind != FLOW_GRAPH_FUNCTION || used[g] || annotator->func_of_graph[g] >= 0)
            continue;
        if (graph->decl && graph->pos.file >= 0 && graph->pos.line > 0 &&
            strcmp(diag_file(annotator->diag, graph->pos.file)->path, flow_prelude_path) != 0)
            diag_warning(annotator->diag, graph->decl->name_pos,
                         "function '%s' is never called from main", graph->name);
    }
    free(used);
}
