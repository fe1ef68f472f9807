/* lower_object.c - instances, fields, globals and casts as low-level
 * instructions: allocation in the nursery (gc_alloc) and the call of init,
 * type tests against a class's id range, field loads and stores with the
 * unset-field checks, the "assigned" bits and the write barrier, bound
 * methods, globals.
 *
 * The spills, reloads and exception tests keep the places the C backend
 * has always given them; the new instance is kept across init in one more
 * shadow stack slot above the transform's spills.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower_internal.h"

/* ---- helpers ------------------------------------------------------------- */

/* Operand `index` as a reference (a null constant becomes null). */
static LowValue lower_object_ref(Lower *lower, const FlowOp *op, int index) {
    return lower_coerce(lower, lower_arg(lower, op, index), LOW_PTR);
}

/* ---- instances ------------------------------------------------------------- */

/* init(th, this, args...); the call converts each argument to its
 * parameter's type. */
static void lower_init_call(Lower *lower, const FlowOp *op, int callee, LowValue object) {
    int symbol = lower_func_symbol(lower, callee);
    int count = op->arg_count + 2;
    LowValue *args = kiln_xcalloc((size_t)count, sizeof *args);
    args[0] = low_thread();
    args[1] = object;
    for (int i = 0; i < op->arg_count; i++)
        args[i + 2] = lower_arg(lower, op, i);
    low_emit_call(&lower->builder, symbol, args, count);
    free(args);
}

/* gc_alloc in the nursery; a field annotated `str` starts at "" (the other
 * zeros are the all-zero words gc_alloc gives); the object is young, so
 * these stores need no barrier.  Then init, with the operands the
 * allocation may have moved reloaded and spilled again, and the object kept
 * above them. */
static void lower_new(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    const RtypeOp *low = lower_low(lower);
    const RtypeClass *cls = &lower->rtype->classes[op->aux];
    const FlowClass *flow_class = &lower->flow->classes[op->aux];
    int object_reg = lower_result_reg(lower, op);
    if (object_reg < 0) object_reg = low_new_reg(builder->func, LOW_PTR); /* an unused result */
    LowValue object = low_reg_value(builder->func, object_reg);
    lower_spill(lower);
    low_result_into(builder,
                    low_emit_prim(builder, LOW_PRIM_ALLOC, LOW_PTR, 2, low_int(cls->type_id),
                                  low_int(cls->size)),
                    object_reg);
    for (int field = 0; field < flow_class->field_count; field++) {
        const TypeExpr *type = flow_class->fields[field].type;
        if (!type || type->kind != TYPE_NAMED || strcmp(type->name, "str") != 0) continue;
        low_emit_store(builder, LOW_PTR, object, 8 * cls->fields[field].word,
                       low_str_value(lower->program, "", 0));
    }
    if (low->callee >= 0) {
        lower_reload(lower);
        lower_spill(lower);
        low_emit_prim(builder, LOW_PRIM_SPILL_CHECK, LOW_VOID, 1, low_int(1));
        lower_push_root(lower, object);
        lower_init_call(lower, op, low->callee, object);
        low_result_into(builder, lower_pop_root(lower), object_reg);
    }
    lower_reload(lower);
    lower_raise_test(lower);
}

/* is: non-null and the type id within [type_id, last_type] (one unsigned
 * compare); cast: the object itself, TypeError when it is not null and not
 * an instance. */
static void lower_type_test(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    const RtypeOp *low = lower_low(lower);
    bool cast = low->opcode == RTYPE_OP_CAST;
    LowValue object = lower_object_ref(lower, op, 0);
    if (!cast) lower_set_result(lower, op, low_int(0));
    int test = low_new_block(builder->func, cast ? "cast test" : "is test");
    int done = low_new_block(builder->func, cast ? "cast done" : "is done");
    low_term_branch(builder, object, test, done, LOW_HINT_NONE);
    low_set_block(builder, test);
    LowValue type = low_emit_prim(builder, LOW_PRIM_TYPE_ID, LOW_I64, 1, object);
    LowValue offset = low_emit_binary(builder, LOW_BIN_SUB, type, low_int(low->type_id));
    LowValue is = low_emit_binary(builder, LOW_BIN_ULT, offset,
                                  low_int((int64_t)low->last_type - low->type_id + 1));
    if (cast) {
        lower_check_runtime(lower, low_emit_unary(builder, LOW_UN_NOT, is), "rt_raise_cast", 3,
                            low_thread(), object,
                            low_cstring_value(lower->program, lower->flow->classes[op->aux].name));
    } else {
        lower_set_result(lower, op, is);
    }
    low_term_goto(builder, done);
    low_set_block(builder, done);
    if (cast) lower_set_result(lower, op, object);
}

/* A field read that can find no value: a reference field whose type says
 * it is never null is null, or a scalar field's "assigned" bit is clear.
 * The message names the class that declares the field. */
static void lower_unset_field_check(Lower *lower, const FlowOp *op, const RtypeField *field,
                                    LowValue object, LowValue value) {
    LowBuilder *builder = &lower->builder;
    const FlowProgram *flow = lower->flow;
    const FlowClass *cls = &flow->classes[lower_ann(lower, op->args[0])->class_index];
    int index = lower_low(lower)->field;
    while (cls->base >= 0 && flow->classes[cls->base].field_count > index)
        cls = &flow->classes[cls->base];
    LowValue unset;
    if (field->assigned_word >= 0) {
        LowValue bits = low_emit_load(builder, LOW_I64, object, 8 * field->assigned_word);
        LowValue mask = low_int((int64_t)((uint64_t)1 << field->assigned_bit));
        unset =
            low_emit_unary(builder, LOW_UN_NOT, low_emit_binary(builder, LOW_BIN_AND, bits, mask));
    } else {
        unset = low_emit_unary(builder, LOW_UN_NOT, value);
    }
    char message[300];
    snprintf(message, sizeof message, "field '%s.%s' read before assignment", cls->name, op->name);
    lower_check(lower, unset, RT_ERR_NULL, message, 0);
}

static void lower_field(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    const RtypeOp *low = lower_low(lower);
    const Ann *ann = lower_ann(lower, op->args[0]);
    const RtypeField *field = &lower->rtype->classes[ann->class_index].fields[low->field];
    bool get = low->opcode == RTYPE_OP_GETFIELD;
    lower_null_check(lower, op, get ? "cannot read '%s' of null" : "cannot assign '%s' of null");
    LowValue object = lower_object_ref(lower, op, 0);
    if (get) {
        /* the word is tested before it becomes the result: the result of
         * an operation that raises is never read */
        bool tracked = field->assigned_word >= 0 && !field->set_by_init;
        if (tracked) lower_unset_field_check(lower, op, field, object, low_none());
        LowValue word = low_emit_load(builder, LOW_I64, object, 8 * field->word);
        LowValue value = lower_from_word(lower, op, word);
        if (!tracked && !field->set_by_init && low->raises && !low->nullable)
            lower_unset_field_check(lower, op, field, object, value);
        lower_set_result(lower, op, value);
        return;
    }
    if (lower_decision(lower)->barrier)
        low_emit_prim(builder, LOW_PRIM_WRITE_BARRIER, LOW_VOID, 1, object);
    low_emit_store(builder, LOW_I64, object, 8 * field->word, lower_word(lower, op->args[1]));
    if (field->assigned_word >= 0 && !field->set_by_init) {
        int32_t offset = 8 * field->assigned_word;
        LowValue bits = low_emit_load(builder, LOW_I64, object, offset);
        LowValue mask = low_int((int64_t)((uint64_t)1 << field->assigned_bit));
        low_emit_store(builder, LOW_I64, object, offset,
                       low_emit_binary(builder, LOW_BIN_OR, bits, mask));
    }
}

/* obj.method as a value: rt_func_bind of the vtable entry for obj's type. */
static void lower_bind_method(Lower *lower, const FlowOp *op) {
    lower_null_check(lower, op, "cannot read '%s' of null");
    LowValue object = lower_object_ref(lower, op, 0);
    LowValue code = lower_vtable_entry(lower, lower_low(lower)->vtable, object);
    lower_set_result(lower, op,
                     lower_call_runtime(lower, "rt_func_bind", 3, low_thread(), code, object));
}

/* Global N is gN at its representation's type, with gsetN (an int64) set
 * once it holds a value. */
static void lower_global(Lower *lower, const FlowOp *op) {
    LowBuilder *builder = &lower->builder;
    LowType type = lower_type_of_repr(rtype_repr_of(ann_global(lower->rtype->annotator, op->aux)));
    char name[32], set_name[32];
    snprintf(name, sizeof name, "g%d", op->aux);
    snprintf(set_name, sizeof set_name, "gset%d", op->aux);
    LowValue global = low_symbol_value(low_symbol_data(lower->program, name, type));
    LowValue set = low_symbol_value(low_symbol_data(lower->program, set_name, LOW_I64));
    if (lower_low(lower)->opcode == RTYPE_OP_SETGLOBAL) {
        low_emit_store(builder, LOW_I64, set, 0, low_int(1));
        low_emit_store(builder, type, global, 0,
                       lower_coerce(lower, lower_arg(lower, op, 0), type));
        return;
    }
    lower_set_result(lower, op, low_emit_load(builder, type, global, 0));
    char message[300];
    snprintf(message, sizeof message, "global '%s' read before assignment",
             lower->flow->globals[op->aux].name);
    lower_check(lower, low_emit_unary(builder, LOW_UN_NOT, low_emit_load(builder, LOW_I64, set, 0)),
                RT_ERR_NULL, message, 0);
}

void lower_object(Lower *lower, const FlowOp *op) {
    switch (lower_low(lower)->opcode) {
    case RTYPE_OP_NEW: lower_new(lower, op); return;
    case RTYPE_OP_IS_INSTANCE:
    case RTYPE_OP_CAST: lower_type_test(lower, op); return;
    case RTYPE_OP_GETFIELD:
    case RTYPE_OP_SETFIELD: lower_field(lower, op); return;
    case RTYPE_OP_BIND_METHOD: lower_bind_method(lower, op); return;
    case RTYPE_OP_GETGLOBAL:
    case RTYPE_OP_SETGLOBAL: lower_global(lower, op); return;
    default: return; /* every other operation has its lowering in lower_ops.c */
    }
}
