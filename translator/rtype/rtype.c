/* rtype.c - representations, GC types and the lowering of each operation.
 * The contract is in rtype.h. */
#include "rtype.h"

#include <stdlib.h>
#include <string.h>

#include "../../rtlib/rt.h"

const RtypeOpInfo rtype_op_info[RTYPE_OP__COUNT] = {
#define RTYPE_OP(name, collects, doc) {#name, collects},
#include "rtype_ops.def"
#undef RTYPE_OP
};

RtypeRepr rtype_repr_of(const Ann *ann) {
    switch (ann->kind) {
    case ANN_BOTTOM:
    case ANN_VOID: return RTYPE_VOID;
    case ANN_INT:
    case ANN_BOOL:
    case ANN_CHAR:
    case ANN_THREAD: return RTYPE_INT;
    case ANN_FLOAT: return RTYPE_FLOAT;
    default: return RTYPE_REF;
    }
}

/* ---- value descriptors ------------------------------------------------- */

static int rtype_kind_of(const Ann *ann) {
    switch (ann->kind) {
    case ANN_INT: return RT_KIND_INT;
    case ANN_FLOAT: return RT_KIND_FLOAT;
    case ANN_BOOL: return RT_KIND_BOOL;
    case ANN_CHAR: return RT_KIND_CHAR;
    case ANN_STR: return RT_KIND_STR;
    case ANN_LIST: return RT_KIND_LIST;
    case ANN_DICT: return RT_KIND_DICT;
    case ANN_TUPLE: return RT_KIND_TUPLE;
    case ANN_INSTANCE: return RT_KIND_INSTANCE;
    case ANN_FUNCTION: return RT_KIND_FUNC;
    case ANN_BUILDER: return RT_KIND_BUILDER;
    case ANN_ITERATOR: return RT_KIND_ITER;
    case ANN_DICT_VIEW: return RT_KIND_VIEW;
    case ANN_THREAD: return RT_KIND_THREAD;
    case ANN_VOID: return RT_KIND_VOID;
    default: return RT_KIND_NULL;
    }
}

int rtype_valtype(RtypeProgram *program, const Ann *ann) {
    Annotator *annotator = program->annotator;
    ann = ann_drop_const(annotator, ann);
    const char *key = ann_to_string(annotator, ann);
    if (ann->kind == ANN_INSTANCE) key = "<instance>";
    for (int i = 0; i < program->valtypes.count; i++)
        if (strcmp(program->valtypes.items[i].key, key) == 0) return i;
    RtypeValType entry = {key, rtype_kind_of(ann), -1, -1, -1, -1, NULL, 0};
    if (ann->kind == ANN_LIST)
        entry.item = rtype_valtype(program, ann_listdef_root(ann->listdef)->item.ann);
    if (ann->kind == ANN_DICT || ann->kind == ANN_DICT_VIEW) {
        AnnDictDef *def = ann_dictdef_root(ann->dictdef);
        entry.key_type = rtype_valtype(program, def->key.ann);
        entry.value = rtype_valtype(program, def->value.ann);
        entry.view = ann->kind == ANN_DICT_VIEW ? (ann->view == ANN_VIEW_KEYS     ? RT_ITER_KEYS
                                                   : ann->view == ANN_VIEW_VALUES ? RT_ITER_VALUES
                                                                                  : RT_ITER_ITEMS)
                                                : -1;
    }
    if (ann->kind == ANN_TUPLE) {
        entry.count = ann->item_count;
        entry.items = arena_alloc(&program->arena, sizeof(int) * (size_t)(ann->item_count + 1));
        for (int i = 0; i < ann->item_count; i++)
            entry.items[i] = rtype_valtype(program, ann->items[i]);
    }
    vec_push(&program->valtypes, entry);
    return program->valtypes.count - 1;
}

int rtype_tuple_type(RtypeProgram *program, const Ann *ann) {
    uint64_t mask = 0;
    for (int i = 0; i < ann->item_count && i < 64; i++)
        if (rtype_repr_of(ann->items[i]) == RTYPE_REF) mask |= (uint64_t)1 << i;
    bool *refs = arena_alloc(&program->arena, (size_t)ann->item_count + 1);
    for (int i = 0; i < ann->item_count; i++)
        refs[i] = rtype_repr_of(ann->items[i]) == RTYPE_REF;
    for (int i = 0; i < program->tuples.count; i++) {
        RtypeTuple *tuple = &program->tuples.items[i];
        if (tuple->count == ann->item_count && tuple->ref_mask == mask &&
            memcmp(tuple->refs, refs, (size_t)tuple->count) == 0)
            return tuple->type_id;
    }
    RtypeTuple tuple = {ann->item_count, mask, refs,
                        program->first_type_id + program->type_count++};
    vec_push(&program->tuples, tuple);
    return tuple.type_id;
}

/* ---- classes and vtables ----------------------------------------------- */

/* The words of class_index: its base's words, then its own fields, then,
 * when some of its own fields have no annotation and a scalar type, one
 * word of "assigned" bits for them (an int has no null to mark "no value
 * yet").  A field's word is therefore the same in every subclass. */
static void rtype_layout_fields(RtypeProgram *program, int class_index) {
    const FlowClass *cls = &program->flow->classes[class_index];
    RtypeClass *info = &program->classes[class_index];
    info->fields =
        arena_alloc(&program->arena, sizeof(RtypeField) * (size_t)(cls->field_count + 1));
    int inherited = 0, words = 1;
    if (cls->base >= 0) {
        const RtypeClass *base = &program->classes[cls->base];
        inherited = program->flow->classes[cls->base].field_count;
        memcpy(info->fields, base->fields, sizeof(RtypeField) * (size_t)inherited);
        words = base->words;
    }
    int unset_tracked = 0;
    for (int f = inherited; f < cls->field_count; f++) {
        bool scalar = rtype_repr_of(ann_field(program->annotator, class_index, f)) != RTYPE_REF;
        info->fields[f] = (RtypeField){words++, -1, 0, false};
        if (!cls->fields[f].type && scalar && unset_tracked < 64)
            info->fields[f].assigned_bit = unset_tracked++;
        else
            info->fields[f].assigned_bit = -1;
    }
    for (int f = inherited; f < cls->field_count && unset_tracked; f++)
        if (info->fields[f].assigned_bit >= 0) info->fields[f].assigned_word = words;
    if (unset_tracked) words++;
    info->words = words;
    info->size = 8 * words < 16 ? 16 : 8 * words;
}

static int rtype_number_classes(RtypeProgram *program, int class_index, int next) {
    const FlowProgram *flow = program->flow;
    RtypeClass *info = &program->classes[class_index];
    rtype_layout_fields(program, class_index);
    info->type_id = program->first_type_id + next;
    program->type_class[next] = class_index;
    next++;
    for (int i = 0; i < flow->class_count; i++)
        if (flow->classes[i].base == class_index) next = rtype_number_classes(program, i, next);
    info->last_type_id = program->first_type_id + next - 1;
    return next;
}

/* Whether `new` of class_index assigns field `name` before anything can
 * read it: its init's first block sets this.name before any read of it
 * and before `this` is passed, stored or copied anywhere. */
static bool rtype_init_assigns(const FlowProgram *flow, int class_index, const char *name) {
    int graph_index = flow_class_find_method(flow, class_index, "init");
    if (graph_index < 0) return false;
    const FlowGraph *graph = flow->graphs[graph_index];
    if (graph->block_count == 0 || graph->blocks[0].input_count == 0) return false;
    const FlowBlock *entry = &graph->blocks[0];
    int this_var = entry->inputs[0];
    for (int i = 0; i < entry->op_count; i++) {
        const FlowOp *op = &entry->ops[i];
        bool on_this = op->arg_count > 0 && op->args[0].kind == FLOW_VALUE_VAR &&
                       op->args[0].index == this_var;
        bool field_op = op->opcode == FLOW_OP_GETATTR || op->opcode == FLOW_OP_SETATTR;
        if (on_this && field_op && op->name && strcmp(op->name, name) == 0)
            return op->opcode == FLOW_OP_SETATTR;
        for (int a = field_op ? 1 : 0; a < op->arg_count; a++)
            if (op->args[a].kind == FLOW_VALUE_VAR && op->args[a].index == this_var) return false;
    }
    return false;
}

/* RtypeField.set_by_init of every field, decided for the field's whole
 * class subtree (an object of any subclass may be read through it). */
static void rtype_mark_set_by_init(RtypeProgram *program) {
    const FlowProgram *flow = program->flow;
    for (int cls = 0; cls < flow->class_count; cls++) {
        int inherited =
            flow->classes[cls].base >= 0 ? flow->classes[flow->classes[cls].base].field_count : 0;
        for (int f = inherited; f < flow->classes[cls].field_count; f++) {
            const char *name = flow->classes[cls].fields[f].name;
            bool set = true;
            for (int sub = 0; sub < flow->class_count && set; sub++)
                if (flow_class_is_subclass(flow, sub, cls))
                    set = rtype_init_assigns(flow, sub, name);
            for (int sub = 0; sub < flow->class_count; sub++)
                if (flow_class_is_subclass(flow, sub, cls))
                    program->classes[sub].fields[f].set_by_init = set;
        }
    }
}

static void rtype_layout_classes(RtypeProgram *program) {
    const FlowProgram *flow = program->flow;
    program->classes =
        arena_alloc(&program->arena, sizeof(RtypeClass) * (size_t)(flow->class_count + 1));
    program->type_class =
        arena_alloc(&program->arena, sizeof(int) * (size_t)(flow->class_count + 1));
    int next = 0;
    for (int i = 0; i < flow->class_count; i++)
        if (flow->classes[i].base < 0) next = rtype_number_classes(program, i, next);
    program->type_count = next;
    rtype_mark_set_by_init(program);
}

/* The vtable of method `name` over the subtree of class_index. */
static int rtype_vtable(RtypeProgram *program, int class_index, const char *name) {
    RtypeClass *info = &program->classes[class_index];
    for (int i = 0; i < program->vtables.count; i++) {
        RtypeVtable *table = &program->vtables.items[i];
        if (table->name == name && table->first_type == info->type_id &&
            table->last_type == info->last_type_id)
            return i;
    }
    RtypeVtable table = {name, info->type_id, info->last_type_id, NULL};
    int count = info->last_type_id - info->type_id + 1;
    table.funcs = arena_alloc(&program->arena, sizeof(int) * (size_t)count);
    for (int i = 0; i < count; i++) {
        int cls = program->type_class[info->type_id - program->first_type_id + i];
        int graph = flow_class_find_method(program->flow, cls, name);
        table.funcs[i] = graph < 0 ? -1 : ann_func_of_graph(program->annotator, graph);
    }
    vec_push(&program->vtables, table);
    return program->vtables.count - 1;
}

/* ---- operands ------------------------------------------------------------ */

typedef struct RtypeScope {
    RtypeProgram *program;
    int func;
    const FlowGraph *graph;
    const FlowOp *op;
} RtypeScope;

static const Ann *rtype_value_ann(RtypeScope *scope, FlowValue value) {
    Annotator *annotator = scope->program->annotator;
    if (value.kind == FLOW_VALUE_VAR) return ann_var(annotator, scope->func, value.index);
    if (value.kind == FLOW_VALUE_CAUGHT)
        return ann_instance(annotator, scope->program->flow->exception_class, false);
    const FlowConst *constant = &scope->graph->consts[value.index];
    switch (constant->kind) {
    case FLOW_CONST_INT: return ann_simple(annotator, ANN_INT);
    case FLOW_CONST_FLOAT: return ann_simple(annotator, ANN_FLOAT);
    case FLOW_CONST_BOOL: return ann_simple(annotator, ANN_BOOL);
    case FLOW_CONST_CHAR: return ann_simple(annotator, ANN_CHAR);
    case FLOW_CONST_STR: return ann_simple(annotator, ANN_STR);
    case FLOW_CONST_NULL: return ann_simple(annotator, ANN_NULL);
    case FLOW_CONST_FUNC: {
        AnnCallable callable = {(int)constant->int_value, false};
        return ann_function(annotator, &callable, 1);
    }
    default: return ann_simple(annotator, ANN_VOID);
    }
}

static AnnKind rtype_arg_kind(RtypeScope *scope, int index) {
    return rtype_value_ann(scope, scope->op->args[index])->kind;
}

static void rtype_unsupported(RtypeScope *scope, const char *what) {
    RtypeProgram *program = scope->program;
    diag_error(program->diag, scope->op->pos, "the C backend cannot translate %s", what);
    program->errors++;
}

/* The parameters' annotations of copy `func` as text, like a key. */
static char *rtype_params_text(RtypeProgram *program, int func, int skip) {
    Annotator *annotator = program->annotator;
    const FlowGraph *graph = ann_func_graph(annotator, func);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    for (int i = skip; i < graph->param_count; i++) {
        if (i > skip) fputs(", ", out);
        ann_print(out, annotator, ann_var(annotator, func, graph->blocks[0].inputs[i]), false);
    }
    fclose(out);
    return text;
}

/* The annotated copy a direct call reaches: the @specialize copy keyed by
 * the argument types, else the graph's one copy.  A key is the argument
 * types as they were when the annotator first met the call, so a type that
 * grew later (an empty list's item type) no longer prints the same: then
 * the copy whose parameters have the arguments' final types is the one. */
static int rtype_callee(RtypeScope *scope, int graph_index, int first_arg) {
    RtypeProgram *program = scope->program;
    Annotator *annotator = program->annotator;
    const FlowGraph *graph = program->flow->graphs[graph_index];
    int first = ann_func_of_graph(annotator, graph_index);
    if (!(graph->attributes & FLOW_ATTR_SPECIALIZE)) return first;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    int skip = graph->kind == FLOW_GRAPH_METHOD ? 1 : 0;
    for (int i = first_arg + skip; i < scope->op->arg_count; i++) {
        if (i > first_arg + skip) fputs(", ", out);
        ann_print(out, annotator, rtype_value_ann(scope, scope->op->args[i]), false);
    }
    fclose(out);
    int found = -1, by_params = -1;
    for (int func = 0; func < ann_func_count(annotator) && found < 0; func++) {
        if (ann_func_graph(annotator, func) != graph) continue;
        const char *key = ann_func_key(annotator, func);
        if (key && strcmp(key, text) == 0) found = func;
        if (by_params >= 0) continue;
        char *params = rtype_params_text(program, func, skip);
        if (strcmp(params, text) == 0) by_params = func;
        free(params);
    }
    free(text);
    return found >= 0 ? found : by_params >= 0 ? by_params : first;
}

static bool rtype_lower_binary(RtypeScope *scope, RtypeOp *low) {
    AnnKind left = rtype_arg_kind(scope, 0), right = rtype_arg_kind(scope, 1);
    FlowOpcode opcode = scope->op->opcode;
    bool compare = opcode >= FLOW_OP_EQ && opcode <= FLOW_OP_GE;
    if (left == ANN_FLOAT || right == ANN_FLOAT) {
        low->opcode = RTYPE_OP_FLOAT_BINARY;
        low->raises = opcode == FLOW_OP_MOD;
        return true;
    }
    if (left == ANN_STR && right == ANN_STR) {
        if (opcode == FLOW_OP_ADD)
            low->opcode = RTYPE_OP_STR_CONCAT;
        else if (opcode == FLOW_OP_EQ || opcode == FLOW_OP_NE)
            low->opcode = RTYPE_OP_STR_EQ;
        else if (compare)
            low->opcode = RTYPE_OP_STR_CMP;
        else
            return false;
        return true;
    }
    bool scalar_left = left == ANN_INT || left == ANN_BOOL || left == ANN_CHAR;
    bool scalar_right = right == ANN_INT || right == ANN_BOOL || right == ANN_CHAR;
    if (scalar_left && scalar_right) {
        if (opcode == FLOW_OP_DIV || opcode == FLOW_OP_MOD) {
            low->opcode = RTYPE_OP_INT_DIVMOD;
            low->raises = true;
        } else if (opcode == FLOW_OP_LSHIFT || opcode == FLOW_OP_RSHIFT) {
            low->opcode = RTYPE_OP_INT_SHIFT;
            low->raises = true;
        } else {
            low->opcode = RTYPE_OP_INT_BINARY;
        }
        return true;
    }
    if (opcode == FLOW_OP_EQ || opcode == FLOW_OP_NE) {
        if (left == ANN_TUPLE && right == ANN_TUPLE) {
            low->opcode = RTYPE_OP_VAL_EQ;
            low->valtype =
                rtype_valtype(scope->program, rtype_value_ann(scope, scope->op->args[0]));
            return true;
        }
        if (left == ANN_STR || right == ANN_STR) {
            low->opcode = RTYPE_OP_STR_EQ; /* one side is null */
            return true;
        }
        low->opcode = RTYPE_OP_REF_EQ;
        return true;
    }
    return false;
}

/* Methods of built-in types that cannot raise. */
static bool rtype_method_raises(AnnKind receiver, const char *name) {
    if (receiver == ANN_LIST) return strcmp(name, "pop") == 0 || strcmp(name, "index") == 0;
    if (receiver == ANN_STR) return strcmp(name, "split") == 0;
    if (receiver == ANN_DICT) return strcmp(name, "remove") == 0;
    return false;
}

static void rtype_lower_method(RtypeScope *scope, RtypeOp *low) {
    RtypeProgram *program = scope->program;
    const FlowOp *op = scope->op;
    const Ann *receiver = rtype_value_ann(scope, op->args[0]);
    if (receiver->kind == ANN_INSTANCE) {
        int graph = flow_class_find_method(program->flow, receiver->class_index, op->name);
        if (graph < 0) {
            rtype_unsupported(scope, "a call of a method that no class defines");
            return;
        }
        low->nullable = receiver->nullable;
        low->raises = true;
        int table = rtype_vtable(program, receiver->class_index, op->name);
        RtypeVtable *vtable = &program->vtables.items[table];
        int count = vtable->last_type - vtable->first_type + 1, distinct = -1;
        bool one = true;
        for (int i = 0; i < count; i++) {
            if (vtable->funcs[i] < 0) continue;
            if (distinct >= 0 && distinct != vtable->funcs[i]) one = false;
            distinct = vtable->funcs[i];
        }
        if (one) {
            low->opcode = RTYPE_OP_CALL_DIRECT;
            low->callee = distinct >= 0 ? distinct : ann_func_of_graph(program->annotator, graph);
        } else {
            low->opcode = RTYPE_OP_CALL_VIRTUAL;
            low->vtable = table;
            low->callee = ann_func_of_graph(program->annotator, graph);
        }
        return;
    }
    low->opcode = RTYPE_OP_CALL_RTLIB;
    low->nullable = receiver->nullable;
    low->raises = rtype_method_raises(receiver->kind, op->name) || receiver->nullable;
    if (receiver->kind == ANN_LIST && strcmp(op->name, "append") == 0)
        low->opcode = RTYPE_OP_LIST_APPEND;
    if (receiver->kind == ANN_LIST || receiver->kind == ANN_DICT) {
        const Ann *item = receiver->kind == ANN_LIST ? ann_listdef_root(receiver->listdef)->item.ann
                                                     : ann_dictdef_root(receiver->dictdef)->key.ann;
        low->valtype = rtype_valtype(program, item);
    }
    if (receiver->kind == ANN_DICT &&
        (strcmp(op->name, "items") == 0 || strcmp(op->name, "keys") == 0 ||
         strcmp(op->name, "values") == 0))
        low->valtype2 =
            rtype_valtype(program, ann_var(program->annotator, scope->func, op->result));
}

/* thread_start(f, arg) and transaction_add(f, arg): a task object, a tuple
 * {invoker, f, arg}, whose invoker (generated per site) calls f(arg); the
 * VM without STM runs it at once, or queues it for transaction_run. */
static void rtype_lower_task(RtypeScope *scope, RtypeOp *low) {
    RtypeProgram *program = scope->program;
    const Ann *function = rtype_value_ann(scope, scope->op->args[0]);
    low->opcode = RTYPE_OP_TASK;
    low->raises = scope->op->aux == FLOW_BUILTIN_THREAD_START;
    if (function->kind != ANN_FUNCTION || function->callable_count == 0) {
        rtype_unsupported(scope, "a task that is not a function");
        return;
    }
    low->callee = ann_func_of_graph(program->annotator, function->callables[0].graph);
    const Ann *items[3] = {ann_simple(program->annotator, ANN_INT), function,
                           rtype_value_ann(scope, scope->op->args[1])};
    low->type_id = rtype_tuple_type(program, ann_tuple(program->annotator, items, 3));
}

/* The C type of an extern function's parameter or result: int and float
 * only (int64_t and double), and void for a result; -1 for anything else. */
int rtype_extern_repr(const TypeExpr *type, bool is_result) {
    if (!type) return is_result ? RTYPE_VOID : -1;
    if (type->kind != TYPE_NAMED || !type->name) return -1;
    if (strcmp(type->name, "int") == 0) return RTYPE_INT;
    if (strcmp(type->name, "float") == 0) return RTYPE_FLOAT;
    if (is_result && strcmp(type->name, "void") == 0) return RTYPE_VOID;
    return -1;
}

/* A call of an extern fn: a direct C call, which neither raises nor
 * collects (the C function knows nothing of the heap). */
static void rtype_lower_extern_call(RtypeScope *scope, RtypeOp *low) {
    const FlowGraph *graph = scope->program->flow->graphs[scope->op->aux];
    const FnDecl *decl = graph->decl;
    low->opcode = RTYPE_OP_CALL_EXTERN;
    low->callee = graph->index;
    for (int i = 0; i < graph->param_count; i++) {
        const TypeExpr *type = decl && i < decl->param_count ? decl->params[i].type : NULL;
        if (rtype_extern_repr(type, false) < 0) {
            rtype_unsupported(scope, "an extern function parameter that is not int or float");
            return;
        }
    }
    if (rtype_extern_repr(decl ? decl->result : NULL, true) < 0)
        rtype_unsupported(scope, "an extern function result that is not int, float or void");
}

static void rtype_lower_builtin(RtypeScope *scope, RtypeOp *low) {
    const FlowOp *op = scope->op;
    low->opcode = RTYPE_OP_BUILTIN;
    low->raises = flow_builtin_info[op->aux].can_raise;
    if (op->aux == FLOW_BUILTIN_LEN) {
        const Ann *object = rtype_value_ann(scope, op->args[0]);
        low->opcode = RTYPE_OP_LEN;
        low->nullable = object->nullable;
        low->raises = object->nullable; /* NullError "len() of null" */
        low->valtype = rtype_valtype(scope->program, object);
        return;
    }
    if (op->aux == FLOW_BUILTIN_PRINT && op->arg_count == 1 && rtype_arg_kind(scope, 0) == ANN_STR)
        low->raises = false;
    if (op->aux == FLOW_BUILTIN_THREAD_START || op->aux == FLOW_BUILTIN_TRANSACTION_ADD) {
        rtype_lower_task(scope, low);
        return;
    }
    if (op->arg_count > 0)
        low->valtype = rtype_valtype(scope->program, rtype_value_ann(scope, op->args[0]));
    if (op->arg_count > 1)
        low->valtype2 = rtype_valtype(scope->program, rtype_value_ann(scope, op->args[1]));
}

static void rtype_lower_attr(RtypeScope *scope, RtypeOp *low) {
    RtypeProgram *program = scope->program;
    const FlowOp *op = scope->op;
    const Ann *object = rtype_value_ann(scope, op->args[0]);
    if (object->kind != ANN_INSTANCE) {
        rtype_unsupported(scope, "a field of a value that is not an instance");
        return;
    }
    low->nullable = object->nullable;
    low->raises = object->nullable;
    int field = flow_class_find_field(program->flow, object->class_index, op->name);
    if (field >= 0) {
        low->opcode = op->opcode == FLOW_OP_GETATTR ? RTYPE_OP_GETFIELD : RTYPE_OP_SETFIELD;
        low->field = field;
        const FlowField *declared = &program->flow->classes[object->class_index].fields[field];
        /* a field without an annotation holds no value until assigned,
         * unless every init assigns it first */
        bool set_by_init = program->classes[object->class_index].fields[field].set_by_init;
        if (op->opcode == FLOW_OP_GETATTR && !declared->type && !set_by_init &&
            rtype_repr_of(ann_var(program->annotator, scope->func, op->result)) == RTYPE_REF &&
            !ann_var(program->annotator, scope->func, op->result)->nullable)
            low->raises = true;
        if (op->opcode == FLOW_OP_GETATTR && !set_by_init &&
            program->classes[object->class_index].fields[field].assigned_word >= 0)
            low->raises = true;
        return;
    }
    low->opcode = RTYPE_OP_BIND_METHOD;
    low->raises = true;
    low->vtable = rtype_vtable(program, object->class_index, op->name);
}

static void rtype_lower_item(RtypeScope *scope, RtypeOp *low) {
    RtypeProgram *program = scope->program;
    const FlowOp *op = scope->op;
    const Ann *container = rtype_value_ann(scope, op->args[0]);
    bool get = op->opcode == FLOW_OP_GETITEM;
    low->nullable = container->nullable;
    low->raises = true;
    switch (container->kind) {
    case ANN_LIST: low->opcode = get ? RTYPE_OP_LIST_GETITEM : RTYPE_OP_LIST_SETITEM; break;
    case ANN_STR:
        low->opcode = RTYPE_OP_STR_GETITEM;
        if (!get) rtype_unsupported(scope, "an item assignment into a str");
        break;
    case ANN_DICT:
        low->opcode = get ? RTYPE_OP_DICT_GETITEM : RTYPE_OP_DICT_SETITEM;
        low->valtype = rtype_valtype(program, ann_dictdef_root(container->dictdef)->key.ann);
        low->raises = get || container->nullable;
        break;
    case ANN_TUPLE: {
        const Ann *index = rtype_value_ann(scope, op->args[1]);
        low->opcode = RTYPE_OP_TUPLE_GETITEM;
        low->raises = container->nullable;
        if (!get || op->args[1].kind != FLOW_VALUE_CONST || index->kind != ANN_INT)
            rtype_unsupported(scope, "a tuple item that is not read at a constant index");
        else
            low->field = (int)scope->graph->consts[op->args[1].index].int_value;
        break;
    }
    default: rtype_unsupported(scope, "an item of this type");
    }
}

static void rtype_lower_aggregate(RtypeScope *scope, RtypeOp *low) {
    RtypeProgram *program = scope->program;
    const FlowOp *op = scope->op;
    const Ann *result = ann_var(program->annotator, scope->func, op->result);
    switch (op->opcode) {
    case FLOW_OP_NEWLIST: low->opcode = RTYPE_OP_NEWLIST; break;
    case FLOW_OP_NEWDICT:
        low->opcode = RTYPE_OP_NEWDICT;
        low->valtype = rtype_valtype(program, ann_dictdef_root(result->dictdef)->key.ann);
        low->raises = true;
        break;
    case FLOW_OP_NEWTUPLE:
        low->opcode = RTYPE_OP_NEWTUPLE;
        low->type_id = rtype_tuple_type(program, result);
        break;
    case FLOW_OP_NEWBUILDER: low->opcode = RTYPE_OP_NEWBUILDER; break;
    case FLOW_OP_ITER: {
        const Ann *source = rtype_value_ann(scope, op->args[0]);
        low->opcode = RTYPE_OP_ITER;
        low->nullable = source->nullable;
        low->raises = source->nullable;
        low->valtype = rtype_valtype(program, source);
        if (result->kind == ANN_ITERATOR && result->view == ANN_VIEW_ITEMS) {
            const Ann *items[2] = {ann_dictdef_root(result->dictdef)->key.ann,
                                   ann_dictdef_root(result->dictdef)->value.ann};
            low->type_id = rtype_tuple_type(program, ann_tuple(program->annotator, items, 2));
        }
        break;
    }
    default: break;
    }
}

static void rtype_lower_op(RtypeScope *scope, RtypeOp *low) {
    RtypeProgram *program = scope->program;
    const FlowOp *op = scope->op;
    *low = (RtypeOp){RTYPE_OP_NOP, -1, 0, 0, 0, -1, -1, -1, false, false};
    switch (op->opcode) {
    case FLOW_OP_ADD:
    case FLOW_OP_SUB:
    case FLOW_OP_MUL:
    case FLOW_OP_DIV:
    case FLOW_OP_MOD:
    case FLOW_OP_LSHIFT:
    case FLOW_OP_RSHIFT:
    case FLOW_OP_BIT_AND:
    case FLOW_OP_BIT_OR:
    case FLOW_OP_BIT_XOR:
    case FLOW_OP_EQ:
    case FLOW_OP_NE:
    case FLOW_OP_LT:
    case FLOW_OP_LE:
    case FLOW_OP_GT:
    case FLOW_OP_GE:
        if (!rtype_lower_binary(scope, low))
            rtype_unsupported(scope, "this operator on these types");
        return;
    case FLOW_OP_NEG:
    case FLOW_OP_INVERT:
        low->opcode =
            rtype_arg_kind(scope, 0) == ANN_FLOAT ? RTYPE_OP_FLOAT_UNARY : RTYPE_OP_INT_UNARY;
        return;
    case FLOW_OP_NOT:
    case FLOW_OP_TRUTH: low->opcode = RTYPE_OP_TRUTH; return;
    case FLOW_OP_SAME_AS:
    case FLOW_OP_PROMOTE: low->opcode = RTYPE_OP_COPY; return;
    case FLOW_OP_NEW: {
        const FlowClass *cls = &program->flow->classes[op->aux];
        int init = flow_class_find_method(program->flow, op->aux, "init");
        low->opcode = RTYPE_OP_NEW;
        low->type_id = program->classes[op->aux].type_id;
        low->callee = init >= 0 ? rtype_callee(scope, init, 0) : -1;
        low->raises = init >= 0;
        (void)cls;
        return;
    }
    case FLOW_OP_IS_INSTANCE:
    case FLOW_OP_CAST:
        low->opcode = op->opcode == FLOW_OP_CAST ? RTYPE_OP_CAST : RTYPE_OP_IS_INSTANCE;
        low->type_id = program->classes[op->aux].type_id;
        low->last_type = program->classes[op->aux].last_type_id;
        low->raises = op->opcode == FLOW_OP_CAST;
        return;
    case FLOW_OP_GETATTR:
    case FLOW_OP_SETATTR: rtype_lower_attr(scope, low); return;
    case FLOW_OP_GETITEM:
    case FLOW_OP_SETITEM: rtype_lower_item(scope, low); return;
    case FLOW_OP_UNPACK_CHECK: low->opcode = RTYPE_OP_UNPACK_CHECK; return;
    case FLOW_OP_GETGLOBAL:
        low->opcode = RTYPE_OP_GETGLOBAL;
        low->raises = true;
        return;
    case FLOW_OP_SETGLOBAL: low->opcode = RTYPE_OP_SETGLOBAL; return;
    case FLOW_OP_CALL:
        if (program->flow->graphs[op->aux]->kind == FLOW_GRAPH_EXTERN) {
            rtype_lower_extern_call(scope, low);
            return;
        }
        low->opcode = RTYPE_OP_CALL_DIRECT;
        low->callee = rtype_callee(scope, op->aux, 0);
        low->raises = true;
        return;
    case FLOW_OP_CALL_INDIRECT:
        low->opcode = RTYPE_OP_CALL_FUNC;
        low->raises = true;
        return;
    case FLOW_OP_CALL_METHOD: rtype_lower_method(scope, low); return;
    case FLOW_OP_CALL_BUILTIN: rtype_lower_builtin(scope, low); return;
    case FLOW_OP_NEWLIST:
    case FLOW_OP_NEWDICT:
    case FLOW_OP_NEWTUPLE:
    case FLOW_OP_NEWBUILDER:
    case FLOW_OP_ITER: rtype_lower_aggregate(scope, low); return;
    case FLOW_OP_ITER_HAS: low->opcode = RTYPE_OP_ITER_HAS; return;
    case FLOW_OP_ITER_NEXT: low->opcode = RTYPE_OP_ITER_NEXT; return;
    case FLOW_OP_WE_ARE_JITTED: low->opcode = RTYPE_OP_COPY; return;
    default: low->opcode = RTYPE_OP_NOP; return;
    }
}

/* An operation at or after the point where the annotator stopped flowing
 * through its block.  The first one stopped it: either it reads a local
 * never assigned (it raises NullError naming it, as the graph interpreter
 * does) or a value no path computes (it cannot run), or it runs but never
 * completes normally (a call that always raises: lowered as usual).  The
 * operations after it never run. */
static void rtype_lower_stopped(RtypeScope *scope, RtypeOp *low, bool first) {
    *low = (RtypeOp){RTYPE_OP_NOP, -1, 0, 0, 0, -1, -1, -1, false, false};
    if (!first) return;
    for (int i = 0; i < scope->op->arg_count; i++) {
        FlowValue arg = scope->op->args[i];
        bool bottom =
            arg.kind == FLOW_VALUE_VAR &&
            ann_var(scope->program->annotator, scope->func, arg.index)->kind == ANN_BOTTOM;
        /* a local never assigned reaches here as the undefined constant, or
         * through links as a named variable that no path gives a type */
        bool unset = arg.kind == FLOW_VALUE_CONST
                         ? scope->graph->consts[arg.index].kind == FLOW_CONST_UNDEF
                         : bottom && scope->graph->vars[arg.index].name;
        if (unset) {
            low->opcode = RTYPE_OP_RAISE_UNSET;
            low->raises = true;
            low->field = i; /* the argument that names the local */
            return;
        }
        if (bottom) low->opcode = RTYPE_OP_UNREACHABLE;
    }
    if (low->opcode != RTYPE_OP_UNREACHABLE) rtype_lower_op(scope, low);
}

static void rtype_function(RtypeProgram *program, int func) {
    Annotator *annotator = program->annotator;
    const FlowGraph *graph = ann_func_graph(annotator, func);
    RtypeFunc *info = &program->funcs[func];
    info->graph = graph;
    const char *key = ann_func_key(annotator, func);
    size_t length = strlen(graph->name) + 32;
    char *name = arena_alloc(&program->arena, length);
    snprintf(name, length, "k%d_%s", func, graph->name);
    for (char *c = name; *c; c++)
        if (*c == '.') *c = '_';
    info->c_name = name;
    (void)key;
    info->reprs = arena_alloc(&program->arena, sizeof(RtypeRepr) * (size_t)(graph->var_count + 1));
    for (int var = 0; var < graph->var_count; var++)
        info->reprs[var] = rtype_repr_of(ann_var(annotator, func, var));
    info->result = rtype_repr_of(ann_func_result(annotator, func));
    info->ops = arena_alloc(&program->arena, sizeof(RtypeOp *) * (size_t)(graph->block_count + 1));
    RtypeScope scope = {program, func, graph, NULL};
    for (int block = 0; block < graph->block_count; block++) {
        const FlowBlock *flow_block = &graph->blocks[block];
        info->ops[block] =
            arena_alloc(&program->arena, sizeof(RtypeOp) * (size_t)(flow_block->op_count + 1));
        if (!ann_block_reached(annotator, func, block)) continue;
        int completed = ann_block_completed_ops(annotator, func, block);
        for (int i = 0; i < flow_block->op_count; i++) {
            scope.op = &flow_block->ops[i];
            if (i < completed)
                rtype_lower_op(&scope, &info->ops[block][i]);
            else
                rtype_lower_stopped(&scope, &info->ops[block][i], i == completed);
        }
    }
}

RtypeProgram *rtype_program(const FlowProgram *flow, Annotator *annotator, DiagContext *diag) {
    RtypeProgram *program = calloc(1, sizeof *program);
    if (!program) return NULL;
    arena_init(&program->arena);
    program->flow = flow;
    program->annotator = annotator;
    program->diag = diag;
    program->first_type_id = RT_TYPE__COUNT;
    rtype_layout_classes(program);
    program->func_count = ann_func_count(annotator);
    program->funcs =
        arena_alloc(&program->arena, sizeof(RtypeFunc) * (size_t)(program->func_count + 1));
    program->main_func = ann_func_of_graph(annotator, flow->main_graph);
    for (int func = 0; func < program->func_count; func++)
        rtype_function(program, func);
    return program;
}

void rtype_free(RtypeProgram *program) {
    if (!program) return;
    vec_free(&program->tuples);
    vec_free(&program->vtables);
    vec_free(&program->valtypes);
    arena_free(&program->arena);
    free(program);
}
