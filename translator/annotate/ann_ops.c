/* ann_ops.c - the typing rule of every flow operation (flow_ops.def).
 *
 * Each rule takes the annotations of the arguments (never bottom: the block
 * stops before an operation with an unknown input) and returns the result's
 * annotation, void for an operation without a result, or NULL after
 * reporting a type error through ann_op_error.
 */
#include <string.h>

#include "ann_internal.h"

static const char *ann_op_symbol(FlowOpcode opcode) {
    switch (opcode) {
    case FLOW_OP_ADD: return "+";
    case FLOW_OP_SUB: return "-";
    case FLOW_OP_MUL: return "*";
    case FLOW_OP_DIV: return "/";
    case FLOW_OP_MOD: return "%";
    case FLOW_OP_LSHIFT: return "<<";
    case FLOW_OP_RSHIFT: return ">>";
    case FLOW_OP_BIT_AND: return "&";
    case FLOW_OP_BIT_OR: return "|";
    case FLOW_OP_BIT_XOR: return "^";
    case FLOW_OP_EQ: return "==";
    case FLOW_OP_NE: return "!=";
    case FLOW_OP_LT: return "<";
    case FLOW_OP_LE: return "<=";
    case FLOW_OP_GT: return ">";
    case FLOW_OP_GE: return ">=";
    case FLOW_OP_NEG: return "-";
    case FLOW_OP_INVERT: return "~";
    default: return flow_op_info[opcode].name;
    }
}

static const Ann *ann_const_value(Annotator *annotator, const FlowConst *constant) {
    switch (constant->kind) {
    case FLOW_CONST_INT: return ann_const_int(annotator, ANN_INT, constant->int_value);
    case FLOW_CONST_FLOAT: return ann_simple(annotator, ANN_FLOAT);
    case FLOW_CONST_BOOL: return ann_const_int(annotator, ANN_BOOL, constant->int_value);
    case FLOW_CONST_CHAR: return ann_const_int(annotator, ANN_CHAR, constant->int_value);
    case FLOW_CONST_STR: return ann_const_str(annotator, constant->str_value, constant->str_length);
    case FLOW_CONST_NULL: return ann_simple(annotator, ANN_NULL);
    case FLOW_CONST_VOID: return ann_simple(annotator, ANN_VOID);
    case FLOW_CONST_UNDEF: return ann_simple(annotator, ANN_BOTTOM);
    case FLOW_CONST_FUNC: {
        AnnCallable callable = {(int)constant->int_value, false};
        return ann_function(annotator, &callable, 1);
    }
    }
    return ann_simple(annotator, ANN_BOTTOM);
}

const Ann *ann_value(Annotator *annotator, AnnFunc *func, FlowValue value) {
    if (value.kind == FLOW_VALUE_VAR) return func->vars[value.index].ann;
    if (value.kind == FLOW_VALUE_CAUGHT)
        return ann_instance(annotator, annotator->program->exception_class, false);
    const FlowGraph *graph = func->graph;
    if (!annotator->const_cache)
        annotator->const_cache =
            ARENA_NEW_ARRAY(&annotator->arena, const Ann **, annotator->program->graph_count + 1);
    const Ann **cache = annotator->const_cache[graph->index];
    if (!cache) {
        cache = ARENA_NEW_ARRAY(&annotator->arena, const Ann *, graph->const_count + 1);
        annotator->const_cache[graph->index] = cache;
    }
    if (!cache[value.index])
        cache[value.index] = ann_const_value(annotator, &graph->consts[value.index]);
    return cache[value.index];
}

/* ---- containers --------------------------------------------------------- */

const Ann *ann_list_item(Annotator *annotator, AnnListDef *def) {
    def = ann_listdef_root(def);
    ann_read(annotator, &def->readers);
    return def->item.ann;
}

const Ann *ann_dict_key(Annotator *annotator, AnnDictDef *def) {
    def = ann_dictdef_root(def);
    ann_read(annotator, &def->readers);
    return def->key.ann;
}

const Ann *ann_dict_value(Annotator *annotator, AnnDictDef *def) {
    def = ann_dictdef_root(def);
    ann_read(annotator, &def->readers);
    return def->value.ann;
}

void ann_list_store(Annotator *annotator, AnnListDef *def, const Ann *value, SrcPos pos) {
    def = ann_listdef_root(def);
    AnnSlotName name = {ANN_SLOT_ITEM, def->id, 0};
    if (ann_slot_merge(annotator, &def->item, name, ann_drop_const(annotator, value), pos))
        ann_readers_schedule(annotator, &ann_listdef_root(def)->readers);
}

void ann_dict_store(Annotator *annotator, AnnDictDef *def, const Ann *key, const Ann *value,
                    SrcPos pos) {
    def = ann_dictdef_root(def);
    bool changed = false;
    if (key) {
        AnnSlotName name = {ANN_SLOT_KEY, def->id, 0};
        changed |= ann_slot_merge(annotator, &def->key, name, ann_drop_const(annotator, key), pos);
    }
    if (value) {
        def = ann_dictdef_root(def);
        AnnSlotName name = {ANN_SLOT_VALUE, def->id, 0};
        changed |=
            ann_slot_merge(annotator, &def->value, name, ann_drop_const(annotator, value), pos);
    }
    if (changed) ann_readers_schedule(annotator, &ann_dictdef_root(def)->readers);
}

static const Ann **ann_op_cache_slot(Annotator *annotator) {
    AnnFunc *func = annotator->funcs.items[annotator->current_func];
    return &func->op_cache[annotator->current_op];
}

const Ann *ann_op_list(Annotator *annotator, SrcPos pos) {
    const Ann **slot = ann_op_cache_slot(annotator);
    if (!*slot) *slot = ann_new_list(annotator, NULL, pos);
    return *slot;
}

const Ann *ann_op_dict(Annotator *annotator, SrcPos pos) {
    const Ann **slot = ann_op_cache_slot(annotator);
    if (!*slot) *slot = ann_new_dict(annotator, NULL, NULL, pos);
    return *slot;
}

/* ---- arithmetic and comparisons ----------------------------------------- */

static bool ann_int_float_mix(const Ann *left, const Ann *right) {
    return (left->kind == ANN_INT && right->kind == ANN_FLOAT) ||
           (left->kind == ANN_FLOAT && right->kind == ANN_INT);
}

static const Ann *ann_operand_error(Annotator *annotator, const FlowOp *op, const Ann *left,
                                    const Ann *right) {
    const char *symbol = ann_op_symbol(op->opcode);
    if (right && ann_int_float_mix(left, right))
        ann_op_error(annotator, op->pos,
                     "cannot mix `int` and `float` in `%s`: convert one side with float() or "
                     "int()",
                     symbol);
    else if (right)
        ann_op_error(annotator, op->pos, "unsupported operand types for `%s`: `%s` and `%s`",
                     symbol, ann_to_string(annotator, left), ann_to_string(annotator, right));
    else
        ann_op_error(annotator, op->pos, "unsupported operand type for `%s`: `%s`", symbol,
                     ann_to_string(annotator, left));
    return NULL;
}

static const Ann *ann_arith(Annotator *annotator, const FlowOp *op, const Ann *left,
                            const Ann *right) {
    if (left->kind != right->kind) return ann_operand_error(annotator, op, left, right);
    AnnKind kind = left->kind;
    bool ok;
    switch (op->opcode) {
    case FLOW_OP_ADD: ok = kind == ANN_INT || kind == ANN_FLOAT || kind == ANN_STR; break;
    case FLOW_OP_SUB:
    case FLOW_OP_MUL:
    case FLOW_OP_DIV:
    case FLOW_OP_MOD: ok = kind == ANN_INT || kind == ANN_FLOAT; break;
    case FLOW_OP_LSHIFT:
    case FLOW_OP_RSHIFT: ok = kind == ANN_INT; break;
    default: ok = kind == ANN_INT || kind == ANN_BOOL; break; /* & | ^ */
    }
    if (!ok) return ann_operand_error(annotator, op, left, right);
    return ann_simple(annotator, kind);
}

/* Whether == can compare the two: the same type, or a reference with null. */
static bool ann_comparable(Annotator *annotator, const Ann *left, const Ann *right) {
    if (left->kind == ANN_NULL || right->kind == ANN_NULL) {
        const Ann *other = left->kind == ANN_NULL ? right : left;
        return other->kind == ANN_NULL || ann_is_nullable_kind(other->kind) ||
               other->kind == ANN_BUILDER || other->kind == ANN_THREAD;
    }
    if (left->kind != right->kind) return false;
    if (left->kind == ANN_INSTANCE) {
        const FlowProgram *program = annotator->program;
        return flow_class_is_subclass(program, left->class_index, right->class_index) ||
               flow_class_is_subclass(program, right->class_index, left->class_index);
    }
    if (left->kind == ANN_TUPLE) {
        if (left->item_count != right->item_count) return false;
        for (int i = 0; i < left->item_count; i++)
            if (!ann_comparable(annotator, left->items[i], right->items[i])) return false;
    }
    return true;
}

static const Ann *ann_compare(Annotator *annotator, const FlowOp *op, const Ann *left,
                              const Ann *right) {
    bool ok;
    if (op->opcode == FLOW_OP_EQ || op->opcode == FLOW_OP_NE)
        ok = ann_comparable(annotator, left, right);
    else
        ok = left->kind == right->kind &&
             (left->kind == ANN_INT || left->kind == ANN_FLOAT || left->kind == ANN_CHAR ||
              left->kind == ANN_BOOL || left->kind == ANN_STR || left->kind == ANN_TUPLE);
    if (!ok) return ann_operand_error(annotator, op, left, right);
    return ann_simple(annotator, ANN_BOOL);
}

const Ann *ann_truth(Annotator *annotator, const FlowOp *op, const Ann *value) {
    switch (value->kind) {
    case ANN_BOOL:
    case ANN_INT:
    case ANN_CHAR:
        if (value->is_const) return ann_const_int(annotator, ANN_BOOL, value->const_int != 0);
        return ann_simple(annotator, ANN_BOOL);
    case ANN_NULL: return ann_const_int(annotator, ANN_BOOL, 0);
    case ANN_INSTANCE:
        if (!value->nullable) return ann_const_int(annotator, ANN_BOOL, 1);
        return ann_simple(annotator, ANN_BOOL);
    default:
        ann_op_error(annotator, op->pos,
                     "`%s` cannot be used as a condition (only bool, int, char and class "
                     "instances can)",
                     ann_to_string(annotator, value));
        return NULL;
    }
}

/* ---- classes ------------------------------------------------------------ */

int ann_field_slot(Annotator *annotator, int class_index, const char *name) {
    int field = flow_class_find_field(annotator->program, class_index, name);
    return field < 0 ? -1 : annotator->field_slot_of[class_index][field];
}

static const Ann *ann_new(Annotator *annotator, const FlowOp *op, const Ann **args) {
    const Ann *instance = ann_instance(annotator, op->aux, false);
    int init = flow_class_find_method(annotator->program, op->aux, "init");
    if (init < 0) {
        if (op->arg_count == 0) return instance;
        ann_op_error(annotator, op->pos,
                     "class '%s' has no init method, so `new %s` takes no arguments (%d given)",
                     annotator->program->classes[op->aux].name,
                     annotator->program->classes[op->aux].name, op->arg_count);
        return NULL;
    }
    const Ann *all[op->arg_count + 1];
    all[0] = instance;
    for (int i = 0; i < op->arg_count; i++)
        all[i + 1] = args[i];
    const Ann *result = ann_call_graph(annotator, init, all, op->arg_count + 1, op->pos, true);
    if (!result || result->kind == ANN_BOTTOM) return result;
    return instance;
}

static const Ann *ann_cast(Annotator *annotator, const FlowOp *op, const Ann *value) {
    const FlowProgram *program = annotator->program;
    if (value->kind == ANN_NULL) return ann_instance(annotator, op->aux, true);
    if (value->kind != ANN_INSTANCE) {
        ann_op_error(annotator, op->pos, "cannot cast `%s` to class '%s'",
                     ann_to_string(annotator, value), program->classes[op->aux].name);
        return NULL;
    }
    if (flow_class_is_subclass(program, value->class_index, op->aux))
        return ann_with_nullable(annotator, value, value->nullable);
    /* A downcast, or a cast between unrelated classes, which raises
     * TypeError at run time unless the value is null: either way the
     * result is a C. */
    return ann_instance(annotator, op->aux, value->nullable);
}

static const Ann *ann_setattr(Annotator *annotator, const FlowOp *op, const Ann *object,
                              const Ann *value) {
    if (object->kind != ANN_INSTANCE) {
        ann_op_error(annotator, op->pos, "cannot set field '%s' of `%s`", op->name,
                     ann_to_string(annotator, object));
        return NULL;
    }
    int slot = ann_field_slot(annotator, object->class_index, op->name);
    if (slot < 0) {
        const FlowClass *class = &annotator->program->classes[object->class_index];
        if (flow_class_find_method(annotator->program, object->class_index, op->name) >= 0)
            ann_op_error(annotator, op->pos, "cannot assign to method '%s' of class '%s'", op->name,
                         class->name);
        else
            ann_op_error(annotator, op->pos, "class '%s' has no field '%s'", class->name, op->name);
        return NULL;
    }
    AnnFieldSlot *field = &annotator->fields.items[slot];
    AnnSlotName name = {ANN_SLOT_FIELD, slot, 0};
    if (ann_slot_merge(annotator, &field->slot, name, ann_drop_const(annotator, value), op->pos))
        ann_readers_schedule(annotator, &annotator->fields.items[slot].readers);
    return ann_simple(annotator, ANN_VOID);
}

/* ---- indexing ----------------------------------------------------------- */

static bool ann_expect_int(Annotator *annotator, const FlowOp *op, const Ann *index,
                           const char *what) {
    if (index->kind == ANN_INT) return true;
    ann_op_error(annotator, op->pos, "%s index must be an `int`, not `%s`", what,
                 ann_to_string(annotator, index));
    return false;
}

static const Ann *ann_getitem(Annotator *annotator, AnnFunc *func, const FlowOp *op,
                              const Ann *container, const Ann *index) {
    switch (container->kind) {
    case ANN_LIST:
        if (!ann_expect_int(annotator, op, index, "a list")) return NULL;
        return ann_list_item(annotator, container->listdef);
    case ANN_STR:
        if (!ann_expect_int(annotator, op, index, "a str")) return NULL;
        return ann_simple(annotator, ANN_CHAR);
    case ANN_DICT:
        ann_dict_store(annotator, container->dictdef, index, NULL, op->pos);
        return ann_dict_value(annotator, container->dictdef);
    case ANN_TUPLE: {
        if (op->args[1].kind != FLOW_VALUE_CONST || index->kind != ANN_INT || !index->is_const) {
            ann_op_error(annotator, op->pos, "a tuple index must be a constant int");
            return NULL;
        }
        if (index->const_int < 0 || index->const_int >= container->item_count) {
            ann_op_error(annotator, op->pos, "tuple index %lld is out of range for `%s`",
                         (long long)index->const_int, ann_to_string(annotator, container));
            return NULL;
        }
        return container->items[index->const_int];
    }
    default:
        (void)func;
        ann_op_error(annotator, op->pos, "`%s` cannot be indexed",
                     ann_to_string(annotator, container));
        return NULL;
    }
}

static const Ann *ann_setitem(Annotator *annotator, const FlowOp *op, const Ann *container,
                              const Ann *index, const Ann *value) {
    switch (container->kind) {
    case ANN_LIST:
        if (!ann_expect_int(annotator, op, index, "a list")) return NULL;
        ann_list_store(annotator, container->listdef, value, op->pos);
        return ann_simple(annotator, ANN_VOID);
    case ANN_DICT:
        ann_dict_store(annotator, container->dictdef, index, value, op->pos);
        return ann_simple(annotator, ANN_VOID);
    default:
        ann_op_error(annotator, op->pos, "cannot assign into an item of `%s`",
                     ann_to_string(annotator, container));
        return NULL;
    }
}

/* ---- iteration ---------------------------------------------------------- */

static const Ann *ann_iter(Annotator *annotator, const FlowOp *op, const Ann *source) {
    switch (source->kind) {
    case ANN_LIST: return ann_iterator(annotator, ANN_VIEW_LIST, source->listdef, NULL);
    case ANN_STR: return ann_iterator(annotator, ANN_VIEW_STR, NULL, NULL);
    case ANN_DICT: return ann_iterator(annotator, ANN_VIEW_KEYS, NULL, source->dictdef);
    case ANN_DICT_VIEW: return ann_iterator(annotator, source->view, NULL, source->dictdef);
    default:
        ann_op_error(annotator, op->pos, "cannot iterate over `%s`",
                     ann_to_string(annotator, source));
        return NULL;
    }
}

static const Ann *ann_iter_next(Annotator *annotator, const Ann *iterator) {
    switch (iterator->view) {
    case ANN_VIEW_LIST: return ann_list_item(annotator, iterator->listdef);
    case ANN_VIEW_STR: return ann_simple(annotator, ANN_CHAR);
    case ANN_VIEW_KEYS: return ann_dict_key(annotator, iterator->dictdef);
    case ANN_VIEW_VALUES: return ann_dict_value(annotator, iterator->dictdef);
    case ANN_VIEW_ITEMS: {
        const Ann *items[2] = {ann_dict_key(annotator, iterator->dictdef),
                               ann_dict_value(annotator, iterator->dictdef)};
        if (items[0]->kind == ANN_BOTTOM || items[1]->kind == ANN_BOTTOM) return items[0];
        return ann_tuple(annotator, items, 2);
    }
    }
    return ann_simple(annotator, ANN_BOTTOM);
}

/* ---- aggregates and globals --------------------------------------------- */

static const Ann *ann_aggregate(Annotator *annotator, const FlowOp *op, const Ann **args) {
    switch (op->opcode) {
    case FLOW_OP_NEWLIST: {
        const Ann *list = ann_op_list(annotator, op->pos);
        for (int i = 0; i < op->arg_count; i++)
            ann_list_store(annotator, list->listdef, args[i], op->pos);
        return list;
    }
    case FLOW_OP_NEWDICT: {
        const Ann *dict = ann_op_dict(annotator, op->pos);
        for (int i = 0; i + 1 < op->arg_count; i += 2)
            ann_dict_store(annotator, dict->dictdef, args[i], args[i + 1], op->pos);
        return dict;
    }
    default: {
        const Ann *items[op->arg_count > 0 ? op->arg_count : 1];
        for (int i = 0; i < op->arg_count; i++)
            items[i] = ann_drop_const(annotator, args[i]);
        return ann_tuple(annotator, items, op->arg_count);
    }
    }
}

static const Ann *ann_global_op(Annotator *annotator, const FlowOp *op, const Ann **args) {
    AnnSlot *slot = &annotator->globals[op->aux];
    if (op->opcode == FLOW_OP_GETGLOBAL) {
        ann_read(annotator, &annotator->global_readers[op->aux]);
        return slot->ann;
    }
    const Ann *value = args[0];
    if (!annotator->program->globals[op->aux].is_const) value = ann_drop_const(annotator, value);
    AnnSlotName name = {ANN_SLOT_GLOBAL, op->aux, 0};
    if (ann_slot_merge(annotator, slot, name, value, op->pos))
        ann_readers_schedule(annotator, &annotator->global_readers[op->aux]);
    return ann_simple(annotator, ANN_VOID);
}

static const Ann *ann_unary(Annotator *annotator, const FlowOp *op, const Ann *value) {
    switch (op->opcode) {
    case FLOW_OP_NEG:
        if (value->kind == ANN_INT || value->kind == ANN_FLOAT)
            return ann_simple(annotator, value->kind);
        return ann_operand_error(annotator, op, value, NULL);
    case FLOW_OP_INVERT:
        if (value->kind == ANN_INT) return ann_simple(annotator, ANN_INT);
        return ann_operand_error(annotator, op, value, NULL);
    case FLOW_OP_NOT: {
        const Ann *truth = ann_truth(annotator, op, value);
        if (!truth) return NULL;
        if (truth->is_const) return ann_const_int(annotator, ANN_BOOL, !truth->const_int);
        return truth;
    }
    default: return ann_truth(annotator, op, value);
    }
}

const Ann *ann_op(Annotator *annotator, AnnFunc *func, const FlowOp *op, const Ann **args) {
    const FlowProgram *program = annotator->program;
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
    case FLOW_OP_BIT_XOR: return ann_arith(annotator, op, args[0], args[1]);
    case FLOW_OP_NEG:
    case FLOW_OP_INVERT:
    case FLOW_OP_NOT:
    case FLOW_OP_TRUTH: return ann_unary(annotator, op, args[0]);
    case FLOW_OP_EQ:
    case FLOW_OP_NE:
    case FLOW_OP_LT:
    case FLOW_OP_LE:
    case FLOW_OP_GT:
    case FLOW_OP_GE: return ann_compare(annotator, op, args[0], args[1]);
    case FLOW_OP_SAME_AS:
    case FLOW_OP_PROMOTE: return args[0];
    case FLOW_OP_NEW: return ann_new(annotator, op, args);
    case FLOW_OP_IS_INSTANCE:
        if (args[0]->kind == ANN_INSTANCE || args[0]->kind == ANN_NULL)
            return ann_simple(annotator, ANN_BOOL);
        ann_op_error(annotator, op->pos, "`is %s` needs a class instance, not `%s`",
                     program->classes[op->aux].name, ann_to_string(annotator, args[0]));
        return NULL;
    case FLOW_OP_CAST: return ann_cast(annotator, op, args[0]);
    case FLOW_OP_GETATTR: return ann_getattr(annotator, op, args[0]);
    case FLOW_OP_SETATTR: return ann_setattr(annotator, op, args[0], args[1]);
    case FLOW_OP_GETITEM: return ann_getitem(annotator, func, op, args[0], args[1]);
    case FLOW_OP_SETITEM: return ann_setitem(annotator, op, args[0], args[1], args[2]);
    case FLOW_OP_UNPACK_CHECK:
        if (args[0]->kind == ANN_TUPLE && args[0]->item_count == op->aux)
            return ann_simple(annotator, ANN_VOID);
        ann_op_error(annotator, op->pos, "cannot unpack `%s` into %d names",
                     ann_to_string(annotator, args[0]), op->aux);
        return NULL;
    case FLOW_OP_GETGLOBAL:
    case FLOW_OP_SETGLOBAL: return ann_global_op(annotator, op, args);
    case FLOW_OP_CALL:
        return ann_call_graph(annotator, op->aux, args, op->arg_count, op->pos, false);
    case FLOW_OP_CALL_INDIRECT:
        return ann_call_value(annotator, args[0], args + 1, op->arg_count - 1, op->pos);
    case FLOW_OP_CALL_METHOD: return ann_call_method(annotator, op, args, op->arg_count);
    case FLOW_OP_CALL_BUILTIN: return ann_builtin_call(annotator, op, args, op->arg_count);
    case FLOW_OP_NEWLIST:
    case FLOW_OP_NEWDICT:
    case FLOW_OP_NEWTUPLE: return ann_aggregate(annotator, op, args);
    case FLOW_OP_NEWBUILDER: return ann_simple(annotator, ANN_BUILDER);
    case FLOW_OP_ITER: return ann_iter(annotator, op, args[0]);
    case FLOW_OP_ITER_HAS:
    case FLOW_OP_WE_ARE_JITTED: return ann_simple(annotator, ANN_BOOL);
    case FLOW_OP_ITER_NEXT:
        if (args[0]->kind != ANN_ITERATOR) return ann_simple(annotator, ANN_BOTTOM);
        return ann_iter_next(annotator, args[0]);
    case FLOW_OP_JIT_MERGE_POINT:
    case FLOW_OP_CAN_ENTER_JIT:
    case FLOW_OP_ATOMIC_BEGIN:
    case FLOW_OP_ATOMIC_END:
    case FLOW_OP__COUNT: return ann_simple(annotator, ANN_VOID);
    }
    return ann_simple(annotator, ANN_VOID);
}
