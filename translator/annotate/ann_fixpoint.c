/* ann_fixpoint.c - graph copies, the worklist, and flowing blocks.
 *
 * The worklist holds (func, block) pairs.  Flowing a block annotates its
 * operations in order from its input variables; an operation whose result
 * is still bottom (a call whose callee has not returned yet, a read of an
 * element nobody has stored) stops the block there, and the block is flowed
 * again when what it read generalizes.  A block that flows to its end
 * merges the values of each exit link into the inputs of the target block,
 * which is scheduled when one of them generalizes.  Every slot only grows,
 * through ann_slot_merge, so the fixpoint terminates.
 */
#include <stdlib.h>
#include <string.h>

#include "ann_internal.h"

static int64_t ann_reader_key(int func, int block) {
    return ((int64_t)func << 32) | (uint32_t)block;
}

void ann_readers_add(AnnReaders *readers, int func, int block) {
    int64_t key = ann_reader_key(func, block);
    /* A block usually registers several times in a row; keep one. */
    for (int i = readers->count - 1; i >= 0 && i >= readers->count - 4; i--)
        if (readers->items[i] == key) return;
    vec_push(readers, key);
}

void ann_read(Annotator *annotator, AnnReaders *readers) {
    if (annotator->current_func >= 0)
        ann_readers_add(readers, annotator->current_func, annotator->current_block);
}

void ann_schedule(Annotator *annotator, int func_index, int block) {
    AnnFunc *func = annotator->funcs.items[func_index];
    if (func->block_queued[block]) return;
    func->block_queued[block] = true;
    vec_push(&annotator->worklist, ann_reader_key(func_index, block));
}

void ann_readers_schedule(Annotator *annotator, AnnReaders *readers) {
    for (int i = 0; i < readers->count; i++)
        ann_schedule(annotator, (int)(readers->items[i] >> 32),
                     (int)(readers->items[i] & 0xffffffff));
}

const Ann *ann_from_type(Annotator *annotator, const TypeExpr *type) {
    if (!type) return NULL;
    switch (type->kind) {
    case TYPE_NAMED: {
        static const struct {
            const char *name;
            AnnKind kind;
        } scalars[] = {{"int", ANN_INT},           {"float", ANN_FLOAT}, {"bool", ANN_BOOL},
                       {"char", ANN_CHAR},         {"str", ANN_STR},     {"void", ANN_VOID},
                       {"StrBuilder", ANN_BUILDER}};
        for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
            if (strcmp(type->name, scalars[i].name) == 0)
                return ann_simple(annotator, scalars[i].kind);
        int class_index = flow_find_class(annotator->program, type->name);
        if (class_index < 0) {
            ann_plain_error(annotator, type->pos, "unknown type '%s'", type->name);
            return NULL;
        }
        return ann_instance(annotator, class_index, true);
    }
    case TYPE_LIST: {
        const Ann *item = ann_from_type(annotator, type->args[0]);
        return item ? ann_with_nullable(annotator, ann_new_list(annotator, item, type->pos), true)
                    : NULL;
    }
    case TYPE_DICT: {
        const Ann *key = ann_from_type(annotator, type->args[0]);
        const Ann *value = ann_from_type(annotator, type->args[1]);
        if (!key || !value) return NULL;
        return ann_with_nullable(annotator, ann_new_dict(annotator, key, value, type->pos), true);
    }
    case TYPE_TUPLE: {
        const Ann **items = ARENA_NEW_ARRAY(&annotator->arena, const Ann *, type->arg_count);
        for (int i = 0; i < type->arg_count; i++)
            if (!(items[i] = ann_from_type(annotator, type->args[i]))) return NULL;
        return ann_tuple(annotator, items, type->arg_count);
    }
    case TYPE_FN:
        /* A function type is checked by kind only (the set of functions it
         * holds comes from the program). */
        return ann_with_nullable(annotator, ann_function(annotator, NULL, 0), true);
    }
    return NULL;
}

/* Whether value stays within the declared type (merging list and dict
 * definitions, so that a declaration informs the elements). */
static bool ann_within_declared(Annotator *annotator, const Ann *declared, const Ann *value) {
    if (declared->kind == ANN_FUNCTION)
        return value->kind == ANN_FUNCTION || value->kind == ANN_NULL || value->kind == ANN_BOTTOM;
    const Ann *merged =
        ann_union(annotator, declared, ann_drop_const(annotator, value), NULL, NULL);
    return merged && ann_equal(merged, declared);
}

bool ann_slot_merge(Annotator *annotator, AnnSlot *slot, AnnSlotName name, const Ann *value,
                    SrcPos pos) {
    if (slot->in_error || value->kind == ANN_BOTTOM) return false;
    if (slot->declared) {
        if (!ann_within_declared(annotator, slot->declared, value)) {
            slot->in_error = true;
            ann_declared_error(annotator, pos, name, slot, value);
            return false;
        }
        if (slot->declared->kind != ANN_FUNCTION) value = slot->declared;
    }
    const Ann *left = NULL, *right = NULL;
    const Ann *merged = ann_union(annotator, slot->ann, value, &left, &right);
    if (!merged) {
        slot->in_error = true;
        ann_conflict(annotator, pos, name, slot, value, left, right);
        return false;
    }
    if (ann_equal(merged, slot->ann)) return false;
    if (slot->ann->kind == ANN_BOTTOM) slot->origin = pos;
    slot->ann = merged;
    return true;
}

/* ---- graph copies ------------------------------------------------------- */

static AnnFunc *ann_func_new(Annotator *annotator, int graph_index, const char *key) {
    const FlowGraph *graph = annotator->program->graphs[graph_index];
    Arena *arena = &annotator->arena;
    AnnFunc *func = ARENA_NEW(arena, AnnFunc);
    func->index = annotator->funcs.count;
    func->graph = graph;
    func->key = key;
    func->caller = -1;
    func->vars = ARENA_NEW_ARRAY(arena, AnnSlot, graph->var_count + 1);
    const Ann *bottom = ann_simple(annotator, ANN_BOTTOM);
    for (int i = 0; i < graph->var_count; i++) {
        func->vars[i].ann = bottom;
        func->vars[i].origin = graph->vars[i].pos;
        if (graph->vars[i].type) {
            func->vars[i].declared = ann_from_type(annotator, graph->vars[i].type);
            func->vars[i].declared_pos = graph->vars[i].type->pos;
        }
    }
    func->block_stop = ARENA_NEW_ARRAY(arena, int, graph->block_count + 1);
    func->block_queued = ARENA_NEW_ARRAY(arena, bool, graph->block_count + 1);
    func->op_base = ARENA_NEW_ARRAY(arena, int, graph->block_count + 1);
    for (int b = 0; b < graph->block_count; b++) {
        func->block_stop[b] = -1;
        func->op_base[b] = func->op_total;
        func->op_total += graph->blocks[b].op_count;
    }
    func->op_cache = ARENA_NEW_ARRAY(arena, const Ann *, func->op_total + 1);
    vec_push(&annotator->funcs, func);
    vec_push(&annotator->op_errors, ARENA_NEW_ARRAY(arena, int, func->op_total + 1));
    if (annotator->func_of_graph[graph_index] < 0)
        annotator->func_of_graph[graph_index] = func->index;
    /* Parameters: `this` is an instance of the defining class; declared
     * parameter types are facts the callers must agree with. */
    if (graph->kind == FLOW_GRAPH_METHOD && graph->param_count > 0) {
        func->vars[graph->blocks[0].inputs[0]].ann =
            ann_instance(annotator, graph->class_index, false);
    }
    if (graph->decl && graph->block_count > 0) {
        int first = graph->kind == FLOW_GRAPH_METHOD ? 1 : 0;
        for (int i = 0; i < graph->decl->param_count && first + i < graph->param_count; i++) {
            const Param *param = &graph->decl->params[i];
            if (!param->type) continue;
            AnnSlot *slot = &func->vars[graph->blocks[0].inputs[first + i]];
            slot->declared = ann_from_type(annotator, param->type);
            slot->declared_pos = param->type->pos;
        }
        if (graph->decl->result) {
            AnnSlot *slot = &func->vars[graph->blocks[graph->return_block].inputs[0]];
            slot->declared = ann_from_type(annotator, graph->decl->result);
            slot->declared_pos = graph->decl->result->pos;
        }
    }
    return func;
}

AnnFunc *ann_func_get(Annotator *annotator, int graph, const char *key) {
    if (!key) {
        int existing = annotator->func_of_graph[graph];
        if (existing >= 0 && !annotator->funcs.items[existing]->key)
            return annotator->funcs.items[existing];
        return ann_func_new(annotator, graph, NULL);
    }
    char *name = arena_printf(&annotator->arena, "%d:%s", graph, key);
    void *found = map_get(&annotator->specialized, name, strlen(name));
    if (found) return annotator->funcs.items[(intptr_t)found - 1];
    AnnFunc *func = ann_func_new(annotator, graph, key);
    map_put(&annotator->specialized, name, strlen(name), (void *)(intptr_t)(func->index + 1));
    return func;
}

/* ---- flowing ------------------------------------------------------------ */

/* Narrowing on a branch: `x is C` makes x a non-null C on the true link
 * (this is how a catch clause sees its own exception class). */
typedef struct AnnNarrow {
    int var; /* -1: none */
    const Ann *ann;
} AnnNarrow;

static const FlowOp *ann_defining_op(const FlowBlock *block, FlowValue value) {
    if (value.kind != FLOW_VALUE_VAR) return NULL;
    for (int i = block->op_count - 1; i >= 0; i--)
        if (block->ops[i].result == value.index) return &block->ops[i];
    return NULL;
}

static AnnNarrow ann_branch_narrowing(Annotator *annotator, AnnFunc *func, const FlowBlock *block) {
    AnnNarrow narrow = {-1, NULL};
    const FlowOp *op = ann_defining_op(block, block->exitswitch);
    if (op && op->opcode == FLOW_OP_TRUTH) op = ann_defining_op(block, op->args[0]);
    if (!op || op->opcode != FLOW_OP_IS_INSTANCE || op->args[0].kind != FLOW_VALUE_VAR)
        return narrow;
    const Ann *current = func->vars[op->args[0].index].ann;
    if (current->kind != ANN_INSTANCE) return narrow;
    const FlowProgram *program = annotator->program;
    narrow.var = op->args[0].index;
    if (flow_class_is_subclass(program, op->aux, current->class_index))
        narrow.ann = ann_instance(annotator, op->aux, false);
    else
        narrow.ann = ann_with_nullable(annotator, current, false);
    return narrow;
}

static void ann_flow_link(Annotator *annotator, AnnFunc *func, const FlowBlock *block,
                          const FlowLink *link, AnnNarrow narrow) {
    const FlowBlock *target = &func->graph->blocks[link->target];
    bool changed = func->block_stop[link->target] < 0;
    for (int i = 0; i < link->arg_count; i++) {
        FlowValue value = link->args[i];
        const Ann *ann;
        SrcPos pos = block->pos;
        if (value.kind == FLOW_VALUE_VAR && value.index == narrow.var) {
            ann = narrow.ann;
            pos = func->vars[value.index].origin;
        } else if (value.kind == FLOW_VALUE_CAUGHT) {
            ann = ann_instance(annotator, annotator->program->exception_class, false);
        } else {
            ann = ann_value(annotator, func, value);
            if (value.kind == FLOW_VALUE_VAR) pos = func->vars[value.index].origin;
        }
        AnnSlotName name = {ANN_SLOT_VAR, func->index, target->inputs[i]};
        if (ann_slot_merge(annotator, &func->vars[target->inputs[i]], name, ann, pos))
            changed = true;
    }
    if (changed) {
        if (func->block_stop[link->target] < 0) func->block_stop[link->target] = 0;
        ann_schedule(annotator, func->index, link->target);
    }
}

static void ann_flow_exits(Annotator *annotator, AnnFunc *func, const FlowBlock *block) {
    AnnNarrow none = {-1, NULL};
    if (block->exit_kind == FLOW_EXIT_BRANCH) {
        const Ann *test = ann_value(annotator, func, block->exitswitch);
        AnnNarrow narrow = ann_branch_narrowing(annotator, func, block);
        /* A constant condition (while (true)) follows one link only. */
        if (test->is_const && test->kind == ANN_BOOL) {
            ann_flow_link(annotator, func, block, &block->exits[test->const_int ? 1 : 0],
                          test->const_int ? narrow : none);
            return;
        }
        ann_flow_link(annotator, func, block, &block->exits[0], none);
        ann_flow_link(annotator, func, block, &block->exits[1], narrow);
        return;
    }
    for (int i = 0; i < block->exit_count; i++)
        ann_flow_link(annotator, func, block, &block->exits[i], none);
}

static void ann_flow_block(Annotator *annotator, AnnFunc *func, int block_index) {
    const FlowBlock *block = &func->graph->blocks[block_index];
    annotator->current_func = func->index;
    annotator->current_block = block_index;
    int *op_errors = annotator->op_errors.items[func->index];
    const Ann *args_buffer[16];
    int stop = block->op_count;
    /* After a type error the rest of the block is still flowed, so that
     * independent errors are found too; operations that need the failed
     * result are skipped (their inputs stay bottom), and nothing cascades. */
    bool errored = false;
    for (int i = 0; i < block->op_count; i++) {
        int flat = func->op_base[block_index] + i;
        if (op_errors[flat]) annotator->errors.items[op_errors[flat] - 1].live = false;
        op_errors[flat] = 0;
    }
    for (int i = 0; i < block->op_count; i++) {
        const FlowOp *op = &block->ops[i];
        annotator->current_op = func->op_base[block_index] + i;
        const Ann **args = op->arg_count <= 16
                               ? args_buffer
                               : ARENA_NEW_ARRAY(&annotator->arena, const Ann *, op->arg_count);
        bool blocked = false;
        for (int a = 0; a < op->arg_count; a++) {
            args[a] = ann_value(annotator, func, op->args[a]);
            if (args[a]->kind == ANN_BOTTOM) blocked = true;
        }
        const Ann *result =
            blocked ? ann_simple(annotator, ANN_BOTTOM) : ann_op(annotator, func, op, args);
        if (!result) errored = true;
        if (!result || result->kind == ANN_BOTTOM) {
            if (errored) continue;
            stop = i;
            break;
        }
        if (op->result >= 0) {
            AnnSlotName name = {ANN_SLOT_VAR, func->index, op->result};
            ann_slot_merge(annotator, &func->vars[op->result], name, result, op->pos);
        }
    }
    func->block_stop[block_index] = stop;
    if (stop < block->op_count) {
        /* The raising operation that ends a block can still raise. */
        if (stop == block->op_count - 1 && block->exit_kind == FLOW_EXIT_RAISES)
            ann_flow_link(annotator, func, block, &block->exits[1], (AnnNarrow){-1, NULL});
        return;
    }
    if (block->exit_kind == FLOW_EXIT_BRANCH &&
        ann_value(annotator, func, block->exitswitch)->kind == ANN_BOTTOM)
        return;
    if (block_index == func->graph->return_block) {
        ann_readers_schedule(annotator, &func->result_readers);
        return;
    }
    ann_flow_exits(annotator, func, block);
}

void ann_fixpoint(Annotator *annotator) {
    while (annotator->worklist.count > 0) {
        int64_t key = vec_pop(&annotator->worklist);
        AnnFunc *func = annotator->funcs.items[key >> 32];
        int block = (int)(key & 0xffffffff);
        func->block_queued[block] = false;
        ann_flow_block(annotator, func, block);
    }
    annotator->current_func = -1;
}

/* ---- the whole run ------------------------------------------------------ */

Annotator *ann_create(const FlowProgram *program, DiagContext *diag) {
    Annotator *annotator = kiln_xcalloc(1, sizeof(Annotator));
    annotator->program = program;
    annotator->diag = diag;
    annotator->current_func = -1;
    arena_init(&annotator->arena);
    map_init(&annotator->specialized);
    Arena *arena = &annotator->arena;
    annotator->func_of_graph = ARENA_NEW_ARRAY(arena, int, program->graph_count + 1);
    for (int i = 0; i < program->graph_count; i++)
        annotator->func_of_graph[i] = -1;
    /* Field slots: an inherited field shares the slot of its declaring class. */
    annotator->field_slot_of = ARENA_NEW_ARRAY(arena, int *, program->class_count + 1);
    annotator->subclasses = ARENA_NEW_ARRAY(arena, int *, program->class_count + 1);
    for (int c = 0; c < program->class_count; c++) {
        const FlowClass *class = &program->classes[c];
        annotator->field_slot_of[c] = ARENA_NEW_ARRAY(arena, int, class->field_count + 1);
        int subclass_count = 0;
        for (int d = 0; d < program->class_count; d++)
            subclass_count += d != c && flow_class_is_subclass(program, d, c);
        annotator->subclasses[c] = ARENA_NEW_ARRAY(arena, int, subclass_count + 1);
        subclass_count = 0;
        for (int d = 0; d < program->class_count; d++)
            if (d != c && flow_class_is_subclass(program, d, c))
                annotator->subclasses[c][subclass_count++] = d;
        annotator->subclasses[c][subclass_count] = -1;
    }
    /* Classes come base-first only by chance; resolve slots by depth. */
    for (int depth = 0, done = 0; done < program->class_count; depth++) {
        for (int c = 0; c < program->class_count; c++) {
            const FlowClass *class = &program->classes[c];
            if (class->depth != depth) continue;
            done++;
            int inherited = class->base >= 0 ? program->classes[class->base].field_count : 0;
            for (int f = 0; f < class->field_count; f++) {
                if (f < inherited) {
                    annotator->field_slot_of[c][f] = annotator->field_slot_of[class->base][f];
                    continue;
                }
                AnnFieldSlot slot = {0};
                slot.class_index = c;
                slot.field = f;
                slot.slot.ann = ann_simple(annotator, ANN_BOTTOM);
                slot.slot.origin = class->fields[f].pos;
                annotator->field_slot_of[c][f] = annotator->fields.count;
                vec_push(&annotator->fields, slot);
            }
        }
    }
    annotator->globals = ARENA_NEW_ARRAY(arena, AnnSlot, program->global_count + 1);
    annotator->global_readers = ARENA_NEW_ARRAY(arena, AnnReaders, program->global_count + 1);
    annotator->global_prebuilt = ARENA_NEW_ARRAY(arena, bool, program->global_count + 1);
    for (int g = 0; g < program->global_count; g++) {
        annotator->globals[g].ann = ann_simple(annotator, ANN_BOTTOM);
        annotator->globals[g].origin = program->globals[g].pos;
    }
    return annotator;
}

/* Declared field and global types are facts from the start: such a field
 * or global starts at the zero of its type. */
static void ann_seed_declarations(Annotator *annotator) {
    const FlowProgram *program = annotator->program;
    for (int i = 0; i < annotator->fields.count; i++) {
        AnnFieldSlot *field = &annotator->fields.items[i];
        const FlowField *decl = &program->classes[field->class_index].fields[field->field];
        if (!decl->type) continue;
        const Ann *declared = ann_from_type(annotator, decl->type);
        if (!declared) continue;
        field->slot.declared = declared;
        field->slot.declared_pos = decl->type->pos;
        if (declared->kind != ANN_FUNCTION) {
            field->slot.ann = declared;
            field->slot.origin = decl->type->pos;
        }
    }
    for (int g = 0; g < program->global_count; g++) {
        if (!program->globals[g].type) continue;
        const Ann *declared = ann_from_type(annotator, program->globals[g].type);
        if (!declared) continue;
        annotator->globals[g].declared = declared;
        annotator->globals[g].declared_pos = program->globals[g].type->pos;
    }
}

/* Element slots still bottom at the fixpoint never received a value: they
 * are typed `null` (the type of a list that only ever holds nothing), and
 * their readers are flowed once more. */
static bool ann_finalize_elements(Annotator *annotator, AnnReaders *readers, AnnSlot *slot) {
    if (slot->ann->kind != ANN_BOTTOM) return false;
    slot->ann = ann_simple(annotator, ANN_NULL);
    ann_readers_schedule(annotator, readers);
    return true;
}

static void ann_finalize(Annotator *annotator) {
    for (int round = 0; round < 8; round++) {
        bool changed = false;
        /* Definitions are reachable from the op caches and slots; walk the
         * caches of every func, which hold every list and dict created by
         * the program's operations. */
        for (int f = 0; f < annotator->funcs.count; f++) {
            AnnFunc *func = annotator->funcs.items[f];
            for (int i = 0; i < func->op_total; i++) {
                const Ann *ann = func->op_cache[i];
                if (!ann) continue;
                if (ann->kind == ANN_LIST) {
                    AnnListDef *def = ann_listdef_root(ann->listdef);
                    changed |= ann_finalize_elements(annotator, &def->readers, &def->item);
                } else if (ann->kind == ANN_DICT) {
                    AnnDictDef *def = ann_dictdef_root(ann->dictdef);
                    changed |= ann_finalize_elements(annotator, &def->readers, &def->key);
                    changed |= ann_finalize_elements(annotator, &def->readers, &def->value);
                }
            }
        }
        if (!changed) break;
        ann_fixpoint(annotator);
    }
}

static void ann_start_main(Annotator *annotator) {
    const FlowProgram *program = annotator->program;
    AnnFunc *main_func = ann_func_get(annotator, program->main_graph, NULL);
    main_func->started = true;
    const FlowGraph *graph = main_func->graph;
    if (graph->param_count >= 1) {
        SrcPos pos = graph->pos;
        const Ann *args = ann_new_list(annotator, ann_simple(annotator, ANN_STR), pos);
        AnnSlotName name = {ANN_SLOT_VAR, main_func->index, graph->blocks[0].inputs[0]};
        ann_slot_merge(annotator, &main_func->vars[graph->blocks[0].inputs[0]], name, args, pos);
    }
    main_func->block_stop[0] = 0;
    ann_schedule(annotator, main_func->index, 0);
}

int ann_run(Annotator *annotator, struct Interp *interp) {
    const FlowProgram *program = annotator->program;
    if (program->main_graph < 0) {
        diag_plain_error(annotator->diag, "the program has no 'main' function");
        return 1;
    }
    ann_seed_declarations(annotator);
    ann_prebuild_globals(annotator, interp);
    ann_start_main(annotator);
    ann_fixpoint(annotator);
    ann_finalize(annotator);
    AnnFunc *main_func = annotator->funcs.items[0];
    const FlowGraph *graph = main_func->graph;
    const Ann *result = main_func->vars[graph->blocks[graph->return_block].inputs[0]].ann;
    if (result->kind != ANN_INT && result->kind != ANN_VOID && result->kind != ANN_BOTTOM)
        ann_plain_error(annotator, graph->pos, "main must return an int or nothing, not `%s`",
                        ann_to_string(annotator, result));
    ann_report_all(annotator);
    int errors = 0;
    for (int i = 0; i < annotator->errors.count; i++)
        errors += annotator->errors.items[i].live;
    if (errors == 0) ann_warn_unreached(annotator);
    return errors;
}

void ann_destroy(Annotator *annotator) {
    if (!annotator) return;
    for (int f = 0; f < annotator->funcs.count; f++)
        vec_free(&annotator->funcs.items[f]->result_readers);
    for (int i = 0; i < annotator->fields.count; i++)
        vec_free(&annotator->fields.items[i].readers);
    for (int g = 0; g < annotator->program->global_count; g++)
        vec_free(&annotator->global_readers[g]);
    for (int i = 0; i < annotator->def_readers.count; i++)
        vec_free(annotator->def_readers.items[i]);
    vec_free(&annotator->def_readers);
    vec_free(&annotator->funcs);
    vec_free(&annotator->fields);
    vec_free(&annotator->worklist);
    vec_free(&annotator->errors);
    vec_free(&annotator->op_errors);
    map_free(&annotator->specialized);
    arena_free(&annotator->arena);
    free(annotator);
}

/* ---- results ------------------------------------------------------------ */

int ann_func_count(const Annotator *annotator) {
    return annotator->funcs.count;
}
const FlowGraph *ann_func_graph(const Annotator *annotator, int func) {
    return annotator->funcs.items[func]->graph;
}
const char *ann_func_key(const Annotator *annotator, int func) {
    return annotator->funcs.items[func]->key;
}
const Ann *ann_var(const Annotator *annotator, int func, int var) {
    return annotator->funcs.items[func]->vars[var].ann;
}
const Ann *ann_func_result(const Annotator *annotator, int func) {
    const AnnFunc *copy = annotator->funcs.items[func];
    if (copy->graph->block_count == 0) {
        const Ann *declared = NULL;
        if (copy->graph->decl && copy->graph->decl->result)
            declared = ann_from_type((Annotator *)annotator, copy->graph->decl->result);
        return declared ? declared : ann_simple((Annotator *)annotator, ANN_VOID);
    }
    return copy->vars[copy->graph->blocks[copy->graph->return_block].inputs[0]].ann;
}
int ann_func_of_graph(const Annotator *annotator, int graph) {
    return annotator->func_of_graph[graph];
}
bool ann_block_reached(const Annotator *annotator, int func, int block) {
    return annotator->funcs.items[func]->block_stop[block] >= 0;
}
int ann_block_completed_ops(const Annotator *annotator, int func, int block) {
    return annotator->funcs.items[func]->block_stop[block];
}
const Ann *ann_field(const Annotator *annotator, int class_index, int field) {
    return annotator->fields.items[annotator->field_slot_of[class_index][field]].slot.ann;
}
const Ann *ann_global(const Annotator *annotator, int global) {
    return annotator->globals[global].ann;
}
