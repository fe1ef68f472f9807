/* c_ops_object.c - the C of instance, container and iterator operations,
 * and of the methods of the built-in types. */
#include <string.h>

#include "../../rtlib/rt.h"
#include "c_internal.h"

#define OUT emitter->out

/* The annotation of an operand; a constant one here is a str literal (the
 * only constant a for-each or a method call can have as receiver). */
static const Ann *c_ann(CEmitter *emitter, FlowValue value) {
    Annotator *annotator = emitter->rtype->annotator;
    if (value.kind == FLOW_VALUE_CAUGHT)
        return ann_instance(annotator, emitter->flow->exception_class, false);
    if (value.kind != FLOW_VALUE_VAR) return ann_simple(annotator, ANN_STR);
    return ann_var(annotator, emitter->func, value.index);
}

static bool c_items_are_refs(const Ann *list) {
    return rtype_repr_of(ann_listdef_root(list->listdef)->item.ann) == RTYPE_REF;
}

static void c_close_call(CEmitter *emitter) {
    fputs("; ", OUT);
    c_emit_after_call(emitter);
}

static void c_emit_list_method(CEmitter *emitter, const FlowOp *op, const Ann *list) {
    const RtypeOp *low = c_low(emitter);
    const char *name = op->name;
    if (strcmp(name, "append") == 0) {
        /* the fast path inline; the growth through rtlib */
        fputs("    { RtList *list = ", OUT);
        c_arg(emitter, op, 0);
        fputs("; if (RT_UNLIKELY(list->length == list->items->length)) { ", OUT);
        c_emit_spill(emitter);
        bool refs = c_items_are_refs(list);
        if (refs && op->args[1].kind == FLOW_VALUE_VAR)
            fprintf(OUT, "gc_push_root(th, v%d); ", op->args[1].index);
        fputs("gc_push_root(th, list); rt_list_grow(th, list, list->length + 1); list = "
              "gc_pop_root(th); ",
              OUT);
        if (refs && op->args[1].kind == FLOW_VALUE_VAR)
            fprintf(OUT, "v%d = gc_pop_root(th); ", op->args[1].index);
        c_emit_reload(emitter);
        fputs("}\n      rt_list_store(th, list, list->length++, ", OUT);
        c_emit_word(emitter, op->args[1]);
        fputs("); }\n", OUT);
        return;
    }
    c_emit_call_begin(emitter, op, strcmp(name, "pop") == 0);
    if (strcmp(name, "pop") == 0) {
        fputs("rt_list_pop(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        if (op->arg_count > 1) {
            c_arg(emitter, op, 1);
        } else {
            fputs("((RtList *)", OUT);
            c_arg(emitter, op, 0);
            fputs(")->length - 1", OUT);
        }
        fputs("))", OUT);
    } else if (strcmp(name, "insert") == 0) {
        fputs("rt_list_insert(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        c_arg(emitter, op, 1);
        fputs(", ", OUT);
        c_emit_word(emitter, op->args[2]);
        fputs(")", OUT);
    } else if (strcmp(name, "extend") == 0 || strcmp(name, "slice") == 0) {
        fprintf(OUT, "rt_list_%s(th", name);
        c_emit_args(emitter, op, 0);
        if (strcmp(name, "slice") == 0 && op->arg_count == 2) fputs(", INT64_MAX", OUT);
        fputs(")", OUT);
    } else if (strcmp(name, "reverse") == 0 || strcmp(name, "clear") == 0) {
        fprintf(OUT, strcmp(name, "reverse") == 0 ? "rt_list_reverse(" : "rt_list_clear(th, ");
        c_arg(emitter, op, 0);
        fputs(")", OUT);
    } else if (strcmp(name, "index") == 0 || strcmp(name, "contains") == 0) {
        fputs(strcmp(name, "index") == 0 ? "rt_list_index_or_raise(th, " : "0 <= rt_list_index(",
              OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        c_emit_word(emitter, op->args[1]);
        fprintf(OUT, ", &kval_%d)", low->valtype);
    } else {
        fputs("0", OUT);
    }
    c_close_call(emitter);
}

static void c_emit_str_method(CEmitter *emitter, const FlowOp *op) {
    const char *name = op->name;
    c_emit_call_begin(emitter, op, false);
    if (strcmp(name, "slice") == 0) {
        fputs("rt_str_slice(th", OUT);
        c_emit_args(emitter, op, 0);
        if (op->arg_count == 2) fputs(", INT64_MAX", OUT);
        fputs(")", OUT);
    } else if (strcmp(name, "find") == 0 || strcmp(name, "rfind") == 0) {
        fprintf(OUT, "rt_str_%s(", name);
        c_arg(emitter, op, 0);
        c_emit_args(emitter, op, 1);
        if (op->arg_count == 2) fputs(", 0", OUT);
        fputs(")", OUT);
    } else if (strcmp(name, "split") == 0) {
        fputs("rt_str_split(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        if (op->arg_count > 1)
            c_arg(emitter, op, 1);
        else
            fputs("NULL", OUT);
        fputs(")", OUT);
    } else if (strcmp(name, "join") == 0 || strcmp(name, "strip") == 0 ||
               strcmp(name, "replace") == 0) {
        fprintf(OUT, "rt_str_%s(th", name);
        c_emit_args(emitter, op, 0);
        fputs(")", OUT);
    } else if (strcmp(name, "startswith") == 0 || strcmp(name, "endswith") == 0) {
        fprintf(OUT, "rt_str_%s(", name);
        c_arg(emitter, op, 0);
        c_emit_args(emitter, op, 1);
        fputs(")", OUT);
    } else if (strcmp(name, "upper") == 0 || strcmp(name, "lower") == 0) {
        fputs("rt_str_case(th, ", OUT);
        c_arg(emitter, op, 0);
        fprintf(OUT, ", %d)", strcmp(name, "upper") == 0);
    } else {
        fputs("0", OUT);
    }
    c_close_call(emitter);
}

static void c_emit_dict_method(CEmitter *emitter, const FlowOp *op) {
    const RtypeOp *low = c_low(emitter);
    const char *name = op->name;
    bool get = strcmp(name, "get") == 0;
    if (get || strcmp(name, "contains") == 0) {
        fputs("    { int64_t found = rt_dict_find(", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        c_emit_word(emitter, op->args[1]);
        fprintf(OUT, ", &kval_%d); ", low->valtype);
        c_result(emitter, op);
        if (!get) {
            fputs("found >= 0; }\n", OUT);
            return;
        }
        fprintf(OUT, "found >= 0 ? %s((RtDict *)", c_from_word(emitter, op));
        c_arg(emitter, op, 0);
        fputs(")->entries->items[found].value) : ", OUT);
        if (op->arg_count > 2)
            c_arg(emitter, op, 2);
        else
            fputs("0", OUT);
        fputs("; }\n", OUT);
        return;
    }
    c_emit_call_begin(emitter, op, false);
    if (strcmp(name, "remove") == 0) {
        fputs("rt_dict_remove(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        c_emit_word(emitter, op->args[1]);
        fprintf(OUT, ", &kval_%d)", low->valtype);
    } else if (strcmp(name, "clear") == 0) {
        fputs("rt_dict_clear(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(")", OUT);
    } else {
        int view = strcmp(name, "keys") == 0     ? RT_ITER_KEYS
                   : strcmp(name, "values") == 0 ? RT_ITER_VALUES
                                                 : RT_ITER_ITEMS;
        fputs("rt_iter_new(th, ", OUT);
        c_arg(emitter, op, 0);
        fprintf(OUT, ", %d, 0)", view);
    }
    c_close_call(emitter);
}

static void c_emit_builder_method(CEmitter *emitter, const FlowOp *op) {
    c_emit_call_begin(emitter, op, false);
    const char *name = op->name;
    if (strcmp(name, "build") == 0)
        fputs("rt_builder_build(th", OUT);
    else
        fprintf(OUT, "rt_builder_%s(th", strcmp(name, "append") == 0 ? "append" : "append_char");
    c_emit_args(emitter, op, 0);
    fputs(")", OUT);
    c_close_call(emitter);
}

void c_emit_method(CEmitter *emitter, const FlowOp *op) {
    const Ann *receiver = op->args[0].kind == FLOW_VALUE_VAR ? c_ann(emitter, op->args[0]) : NULL;
    AnnKind kind = receiver ? receiver->kind : ANN_STR;
    if (receiver && receiver->nullable)
        c_emit_null_check(emitter, op, "cannot call method of null");
    switch (kind) {
    case ANN_LIST: c_emit_list_method(emitter, op, receiver); return;
    case ANN_DICT: c_emit_dict_method(emitter, op); return;
    case ANN_BUILDER: c_emit_builder_method(emitter, op); return;
    default: c_emit_str_method(emitter, op); return;
    }
}

static void c_emit_newlist(CEmitter *emitter, const FlowOp *op) {
    const Ann *list = c_ann(emitter, (FlowValue){FLOW_VALUE_VAR, op->result});
    c_emit_call_begin(emitter, op, false);
    fprintf(OUT, "rt_list_new(th, %d, %d); ", op->arg_count, c_items_are_refs(list));
    c_emit_reload(emitter);
    fputs("\n", OUT);
    for (int i = 0; i < op->arg_count; i++) {
        fprintf(OUT, "    ((RtList *)v%d)->items->items[%d] = ", op->result, i);
        c_emit_word(emitter, op->args[i]);
        fputs(";\n", OUT);
    }
}

/* The dict and then each item: every rt_dict_set can collect, so the
 * operands (spilled with the live references) are reloaded before each. */
static void c_emit_newdict(CEmitter *emitter, const FlowOp *op) {
    const RtypeOp *low = c_low(emitter);
    const Ann *dict = c_ann(emitter, (FlowValue){FLOW_VALUE_VAR, op->result});
    AnnDictDef *def = ann_dictdef_root(dict->dictdef);
    c_emit_call_begin(emitter, op, false);
    fprintf(OUT, "rt_dict_new(th, %d, %d); ", rtype_repr_of(def->key.ann) == RTYPE_REF,
            rtype_repr_of(def->value.ann) == RTYPE_REF);
    c_emit_reload(emitter);
    fputs("\n", OUT);
    for (int i = 0; i + 1 < op->arg_count; i += 2) {
        fputs("    ", OUT);
        c_emit_spill(emitter);
        fprintf(OUT, "gc_push_root(th, v%d); rt_dict_set(th, v%d, ", op->result, op->result);
        c_emit_word(emitter, op->args[i]);
        fputs(", ", OUT);
        c_emit_word(emitter, op->args[i + 1]);
        fprintf(OUT, ", &kval_%d); v%d = gc_pop_root(th); ", low->valtype, op->result);
        c_emit_after_call(emitter);
    }
}

static void c_emit_iter(CEmitter *emitter, const FlowOp *op) {
    const RtypeOp *low = c_low(emitter);
    const Ann *source = c_ann(emitter, op->args[0]);
    int kind = RT_ITER_LIST;
    if (source->kind == ANN_STR) kind = RT_ITER_STR;
    if (source->kind == ANN_DICT) kind = RT_ITER_KEYS;
    if (source->kind == ANN_DICT_VIEW) {
        kind = source->view == ANN_VIEW_KEYS     ? RT_ITER_KEYS
               : source->view == ANN_VIEW_VALUES ? RT_ITER_VALUES
                                                 : RT_ITER_ITEMS;
        c_emit_null_check(emitter, op, "cannot iterate over null");
        c_emit_call_begin(emitter, op, false);
        fputs("rt_iter_new(th, ((RtIter *)", OUT);
        c_arg(emitter, op, 0);
        fprintf(OUT, ")->source, %d, %d)", kind, low->type_id);
        fputs("; ", OUT);
        c_emit_after_call(emitter);
        return;
    }
    c_emit_null_check(emitter, op, "cannot iterate over null");
    c_emit_call_begin(emitter, op, false);
    fputs("rt_iter_new(th, ", OUT);
    c_arg(emitter, op, 0);
    fprintf(OUT, ", %d, %d); ", kind, low->type_id);
    c_emit_after_call(emitter);
}

void c_emit_aggregate(CEmitter *emitter, const FlowOp *op) {
    const RtypeOp *low = c_low(emitter);
    switch (low->opcode) {
    case RTYPE_OP_NEWLIST: c_emit_newlist(emitter, op); return;
    case RTYPE_OP_NEWDICT: c_emit_newdict(emitter, op); return;
    case RTYPE_OP_NEWTUPLE:
        c_emit_call_begin(emitter, op, false);
        fprintf(OUT, "rt_alloc_tuple(th, %d, %d); ", low->type_id, op->arg_count);
        c_emit_reload(emitter);
        fputs("\n", OUT);
        for (int i = 0; i < op->arg_count; i++) {
            fprintf(OUT, "    ((int64_t *)v%d)[%d] = ", op->result, i + 1);
            c_emit_word(emitter, op->args[i]);
            fputs(";\n", OUT);
        }
        return;
    case RTYPE_OP_NEWBUILDER:
        c_emit_call_begin(emitter, op, false);
        fputs("rt_builder_new(th); ", OUT);
        c_emit_after_call(emitter);
        return;
    case RTYPE_OP_ITER: c_emit_iter(emitter, op); return;
    case RTYPE_OP_ITER_HAS:
        fputs("    ", OUT);
        c_result(emitter, op);
        fputs("rt_iter_has(", OUT);
        c_arg(emitter, op, 0);
        fputs(");\n", OUT);
        return;
    default:
        c_emit_call_begin(emitter, op, true);
        fputs("rt_iter_next(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs("))", OUT);
        c_close_call(emitter);
        return;
    }
}

static void c_emit_list_index_check(CEmitter *emitter, const FlowOp *op, const char *type) {
    char raise[200];
    snprintf(raise, sizeof raise,
             "rt_raise(th, RT_ERR_INDEX, \"%s index out of range: %%\" PRId64 \" (length %%\" "
             "PRId64 \")\", index, length)",
             type);
    c_emit_null_check(emitter, op, "cannot index null");
    fprintf(OUT, "    { int64_t index = ");
    c_arg(emitter, op, 1);
    fputs(", length = ", OUT);
    fprintf(OUT, strcmp(type, "str") == 0 ? "((RtStr *)" : "((RtList *)");
    c_arg(emitter, op, 0);
    fputs(")->length;\n", OUT);
    c_emit_check(emitter, "(uint64_t)index >= (uint64_t)length", raise);
}

void c_emit_item(CEmitter *emitter, const FlowOp *op) {
    const RtypeOp *low = c_low(emitter);
    switch (low->opcode) {
    case RTYPE_OP_LIST_GETITEM:
        c_emit_list_index_check(emitter, op, "list");
        fputs("    ", OUT);
        c_result(emitter, op);
        fputs(c_from_word(emitter, op), OUT);
        fputs("((RtList *)", OUT);
        c_arg(emitter, op, 0);
        fputs(")->items->items[index]); }\n", OUT);
        return;
    case RTYPE_OP_LIST_SETITEM:
        c_emit_list_index_check(emitter, op, "list");
        fputs(c_decision(emitter)->barrier ? "    rt_list_store(th, " : "    rt_list_store_young(",
              OUT);
        c_arg(emitter, op, 0);
        fputs(", index, ", OUT);
        c_emit_word(emitter, op->args[2]);
        fputs("); }\n", OUT);
        return;
    case RTYPE_OP_STR_GETITEM:
        c_emit_list_index_check(emitter, op, "str");
        fputs("    ", OUT);
        c_result(emitter, op);
        fputs("(unsigned char)((RtStr *)", OUT);
        c_arg(emitter, op, 0);
        fputs(")->bytes[index]; }\n", OUT);
        return;
    case RTYPE_OP_TUPLE_GETITEM:
        fputs("    ", OUT);
        c_result(emitter, op);
        fputs(c_from_word(emitter, op), OUT);
        fputs("((int64_t *)", OUT);
        c_arg(emitter, op, 0);
        fprintf(OUT, ")[%d]);\n", low->field + 1);
        return;
    case RTYPE_OP_DICT_GETITEM:
        c_emit_call_begin(emitter, op, true);
        fputs("rt_dict_get(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        c_emit_word(emitter, op->args[1]);
        fprintf(OUT, ", &kval_%d))", low->valtype);
        c_close_call(emitter);
        return;
    case RTYPE_OP_DICT_SETITEM:
        c_emit_null_check(emitter, op, "cannot index null");
        c_emit_call_begin(emitter, op, false);
        fputs("rt_dict_set(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs(", ", OUT);
        c_emit_word(emitter, op->args[1]);
        fputs(", ", OUT);
        c_emit_word(emitter, op->args[2]);
        fprintf(OUT, ", &kval_%d)", low->valtype);
        c_close_call(emitter);
        return;
    default: return; /* UNPACK_CHECK: the annotator proved the item count */
    }
}

/* A field read that can find no value: a reference field whose type says
 * it is never null is null, or a scalar field's "assigned" bit is clear. */
static void c_emit_unset_field_check(CEmitter *emitter, const FlowOp *op, const RtypeField *field) {
    char condition[96], raise[200];
    const Ann *object = c_ann(emitter, op->args[0]);
    const FlowClass *cls = &emitter->flow->classes[object->class_index];
    int index = c_low(emitter)->field;
    /* the message names the class that declares the field */
    while (cls->base >= 0 && emitter->flow->classes[cls->base].field_count > index)
        cls = &emitter->flow->classes[cls->base];
    if (field->assigned_word >= 0)
        snprintf(condition, sizeof condition, "!(((int64_t *)v%d)[%d] & INT64_C(1) << %d)",
                 op->args[0].index, field->assigned_word, field->assigned_bit);
    else
        snprintf(condition, sizeof condition, "!v%d", op->result);
    snprintf(raise, sizeof raise,
             "rt_raise(th, RT_ERR_NULL, \"field '%s.%s' read before assignment\")", cls->name,
             op->name);
    c_emit_check(emitter, condition, raise);
}

static void c_emit_field(CEmitter *emitter, const FlowOp *op) {
    const RtypeOp *low = c_low(emitter);
    const Ann *object = c_ann(emitter, op->args[0]);
    const RtypeField *field = &emitter->rtype->classes[object->class_index].fields[low->field];
    char what[160];
    bool get = low->opcode == RTYPE_OP_GETFIELD;
    snprintf(what, sizeof what, get ? "cannot read '%s' of null" : "cannot assign '%s' of null",
             op->name);
    c_emit_null_check(emitter, op, what);
    if (get) {
        bool tracked = field->assigned_word >= 0;
        if (tracked) c_emit_unset_field_check(emitter, op, field);
        fputs("    ", OUT);
        c_result(emitter, op);
        fputs(c_from_word(emitter, op), OUT);
        fputs("((int64_t *)", OUT);
        c_arg(emitter, op, 0);
        fprintf(OUT, ")[%d]);\n", field->word);
        if (!tracked && low->raises && !low->nullable) c_emit_unset_field_check(emitter, op, field);
        return;
    }
    fputs("    ", OUT);
    if (c_decision(emitter)->barrier) {
        fputs("gc_write_barrier(th, ", OUT);
        c_arg(emitter, op, 0);
        fputs("); ", OUT);
    }
    fputs("((int64_t *)", OUT);
    c_arg(emitter, op, 0);
    fprintf(OUT, ")[%d] = ", field->word);
    c_emit_word(emitter, op->args[1]);
    fputs(";\n", OUT);
    if (field->assigned_word >= 0) {
        fputs("    ((int64_t *)", OUT);
        c_arg(emitter, op, 0);
        fprintf(OUT, ")[%d] |= INT64_C(1) << %d;\n", field->assigned_word, field->assigned_bit);
    }
}

/* A field annotated `str` starts at "" (the other zeros are all-zero
 * words, which gc_alloc gives); the new object is young: no barrier. */
static void c_emit_field_zeros(CEmitter *emitter, const FlowOp *op) {
    const FlowClass *cls = &emitter->flow->classes[op->aux];
    for (int field = 0; field < cls->field_count; field++) {
        const TypeExpr *type = cls->fields[field].type;
        if (!type || type->kind != TYPE_NAMED || strcmp(type->name, "str") != 0) continue;
        fprintf(OUT, "((int64_t *)v%d)[%d] = rt_word_of_ref(&kstr_%d); ", op->result,
                emitter->rtype->classes[op->aux].fields[field].word,
                c_string_const(emitter, "", 0));
    }
}

void c_emit_object(CEmitter *emitter, const FlowOp *op) {
    const RtypeOp *low = c_low(emitter);
    switch (low->opcode) {
    case RTYPE_OP_NEW: {
        const RtypeClass *cls = &emitter->rtype->classes[op->aux];
        fputs("    ", OUT);
        c_emit_spill(emitter);
        c_result(emitter, op);
        fprintf(OUT, "gc_alloc(th, %d, %d); ", cls->type_id, cls->size);
        c_emit_field_zeros(emitter, op);
        if (low->callee >= 0) {
            /* reload the operands the allocation may have moved, then keep
             * them and the new object across init */
            c_emit_reload(emitter);
            c_emit_spill(emitter);
            fprintf(OUT, "gc_push_root(th, v%d); %s(th, v%d", op->result,
                    emitter->rtype->funcs[low->callee].c_name, op->result);
            c_emit_args(emitter, op, 0);
            fprintf(OUT, "); v%d = gc_pop_root(th); ", op->result);
        }
        c_emit_after_call(emitter);
        return;
    }
    case RTYPE_OP_IS_INSTANCE:
    case RTYPE_OP_CAST:
        fputs("    { void *object = ", OUT);
        c_arg(emitter, op, 0);
        fprintf(OUT, "; int64_t is = object && rt_type_of(object) - %dU <= %dU;\n", low->type_id,
                low->last_type - low->type_id);
        if (low->opcode == RTYPE_OP_CAST) {
            char raise[200];
            snprintf(raise, sizeof raise, "rt_raise(th, RT_ERR_TYPE, \"cannot cast to %s\")",
                     emitter->flow->classes[op->aux].name);
            c_emit_check(emitter, "object && !is", raise);
            fprintf(OUT, "    v%d = object; }\n", op->result);
        } else {
            fprintf(OUT, "    v%d = is; }\n", op->result);
        }
        return;
    case RTYPE_OP_GETFIELD:
    case RTYPE_OP_SETFIELD: c_emit_field(emitter, op); return;
    case RTYPE_OP_BIND_METHOD: {
        const RtypeVtable *table = &emitter->rtype->vtables.items[low->vtable];
        c_emit_null_check(emitter, op, "cannot read method of null");
        c_emit_call_begin(emitter, op, false);
        fprintf(OUT, "rt_func_bind(th, (void *)kvt_%d[rt_type_of(", low->vtable);
        c_arg(emitter, op, 0);
        fprintf(OUT, ") - %d], ", table->first_type);
        c_arg(emitter, op, 0);
        fputs(")", OUT);
        c_close_call(emitter);
        return;
    }
    case RTYPE_OP_GETGLOBAL: {
        const FlowGlobal *global = &emitter->flow->globals[op->aux];
        fputs("    ", OUT);
        c_result(emitter, op);
        fprintf(OUT, "g%d;\n", op->aux);
        char condition[64], raise[200];
        snprintf(condition, sizeof condition, "!gset%d", op->aux);
        snprintf(raise, sizeof raise,
                 "rt_raise(th, RT_ERR_NULL, \"global '%s' read before assignment\")", global->name);
        c_emit_check(emitter, condition, raise);
        return;
    }
    case RTYPE_OP_SETGLOBAL:
        fprintf(OUT, "    gset%d = 1; g%d = ", op->aux, op->aux);
        c_arg(emitter, op, 0);
        fputs(";\n", OUT);
        return;
    default: return;
    }
}
