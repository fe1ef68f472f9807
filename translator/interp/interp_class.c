/* interp_class.c - classes at run time: per-class tables (field slots,
 * methods resolved up the base chain, initial field values), subclass
 * tests, and attribute access with inline caches.
 *
 * Fields: FlowClass.fields lists inherited fields first, so a field has
 * the same slot in every subclass and a (class -> slot) cache is exact.
 * A field with a type annotation starts at the zero of its type; one
 * without holds UNSET until assigned, and reading it raises NullError.
 */
#include <stdint.h>
#include <stdlib.h>

#include "interp_internal.h"

InterpValue interp_zero_of(Interp *interp, const TypeExpr *type) {
    if (!type) return interp_make_simple(INTERP_VALUE_UNSET);
    if (type->kind == TYPE_NAMED && type->name) {
        if (strcmp(type->name, "int") == 0) return interp_make_int(0);
        if (strcmp(type->name, "float") == 0) return interp_make_float(0.0);
        if (strcmp(type->name, "bool") == 0) return interp_make_bool(false);
        if (strcmp(type->name, "char") == 0) return interp_make_char(0);
        if (strcmp(type->name, "str") == 0) return interp_make_object(interp->empty_str);
    }
    return interp_make_simple(INTERP_VALUE_NULL);
}

static void interp_map_put_index(Map *map, const char *name, int index) {
    map_put(map, name, strlen(name), (void *)(intptr_t)(index + 1));
}

static int interp_map_get_index(const Map *map, const char *name) {
    return (int)(intptr_t)map_get(map, name, strlen(name)) - 1;
}

/* Adds the methods of `class_index` and its bases to `methods`, bases
 * first so that overriding methods replace inherited ones. */
static void interp_collect_methods(const FlowProgram *program, int class_index, Map *methods,
                                   int depth) {
    const FlowClass *flow = &program->classes[class_index];
    if (flow->base >= 0 && flow->base != class_index && depth < program->class_count)
        interp_collect_methods(program, flow->base, methods, depth + 1);
    for (int i = 0; i < flow->method_count; i++)
        interp_map_put_index(methods, flow->methods[i].name, flow->methods[i].graph);
}

void interp_classes_init(Interp *interp) {
    const FlowProgram *program = interp->program;
    interp->attribute_cache =
        ARENA_NEW_ARRAY(&interp->arena, InterpAttributeEntry, INTERP_ATTRIBUTE_CACHE_SIZE);
    interp->classes = ARENA_NEW_ARRAY(&interp->arena, InterpClassInfo, program->class_count + 1);
    for (int i = 0; i < program->class_count; i++) {
        InterpClassInfo *info = &interp->classes[i];
        const FlowClass *flow = &program->classes[i];
        info->flow = flow;
        map_init(&info->methods);
        map_init(&info->fields);
        interp_collect_methods(program, i, &info->methods, 0);
        info->field_zeros = ARENA_NEW_ARRAY(&interp->arena, InterpValue, flow->field_count + 1);
        for (int field = 0; field < flow->field_count; field++) {
            info->field_zeros[field] = interp_zero_of(interp, flow->fields[field].type);
            interp_map_put_index(&info->fields, flow->fields[field].name, field);
        }
        info->init_graph = interp_map_get_index(&info->methods, "init");
    }
}

void interp_classes_free(Interp *interp) {
    for (int i = 0; interp->classes && i < interp->program->class_count; i++) {
        map_free(&interp->classes[i].methods);
        map_free(&interp->classes[i].fields);
    }
}

bool interp_is_subclass(const Interp *interp, int class_index, int base_index) {
    const FlowProgram *program = interp->program;
    for (int steps = 0; class_index >= 0 && steps <= program->class_count; steps++) {
        if (class_index == base_index) return true;
        class_index = program->classes[class_index].base;
    }
    return false;
}

static const InterpAttributeEntry *interp_lookup_attribute(Interp *interp, int class_index,
                                                           const char *name) {
    static const InterpAttributeEntry nothing = {NULL, -1, -1, -1};
    if (!name) return &nothing;
    uintptr_t key = ((uintptr_t)name >> 3) * 31 + (uintptr_t)class_index;
    InterpAttributeEntry *entry =
        &interp->attribute_cache[(key ^ (key >> 10)) & (INTERP_ATTRIBUTE_CACHE_SIZE - 1)];
    if (entry->name != name || entry->class_index != class_index) {
        const InterpClassInfo *info = &interp->classes[class_index];
        entry->name = name;
        entry->class_index = class_index;
        entry->field = interp_map_get_index(&info->fields, name);
        entry->method = interp_map_get_index(&info->methods, name);
    }
    return entry;
}

int interp_find_field(Interp *interp, int class_index, const char *name) {
    return interp_lookup_attribute(interp, class_index, name)->field;
}

int interp_find_method(Interp *interp, int class_index, const char *name) {
    return interp_lookup_attribute(interp, class_index, name)->method;
}

bool interp_read_field(Interp *interp, InterpInstance *instance, int slot, InterpValue *result) {
    InterpValue value = instance->fields[slot];
    if (value.kind != INTERP_VALUE_UNSET) {
        *result = value;
        return true;
    }
    /* Name the class that declares the field. */
    const FlowProgram *program = interp->program;
    int owner = instance->class_index;
    for (int steps = 0; steps < program->class_count; steps++) {
        int base = program->classes[owner].base;
        if (base < 0 || slot >= program->classes[base].field_count) break;
        owner = base;
    }
    return interp_raise(interp, INTERP_ERROR_NULL, "field '%s.%s' read before assignment",
                        program->classes[owner].name,
                        program->classes[instance->class_index].fields[slot].name);
}

/* Fills the instruction's cache for `class_index`: a field slot (>= 0) or
 * -(method graph + 2); returns false when the name is neither. */
static bool interp_resolve_attribute(Interp *interp, InterpInstr *instr, int class_index,
                                     bool fields_only) {
    int slot = interp_find_field(interp, class_index, instr->name);
    if (slot >= 0) {
        instr->cache_key = class_index;
        instr->cache_value = slot;
        return true;
    }
    int graph = fields_only ? -1 : interp_find_method(interp, class_index, instr->name);
    if (graph < 0) return false;
    instr->cache_key = class_index;
    instr->cache_value = -(graph + 2);
    return true;
}

bool interp_getattr(Interp *interp, InterpInstr *instr, InterpValue object, InterpValue *result) {
    if (object.kind == INTERP_VALUE_INSTANCE) {
        InterpInstance *instance = INTERP_AS(InterpInstance, object);
        if (instr->cache_key != instance->class_index &&
            !interp_resolve_attribute(interp, instr, instance->class_index, false))
            return interp_raise(interp, INTERP_ERROR_TYPE, "%s has no field or method '%s'",
                                interp_type_name(interp, object), instr->name);
        if (instr->cache_value >= 0)
            return interp_read_field(interp, instance, instr->cache_value, result);
        *result =
            interp_make_object(interp_bound_method_new(interp, object, -(instr->cache_value + 2)));
        return true;
    }
    if (object.kind == INTERP_VALUE_NULL)
        return interp_raise(interp, INTERP_ERROR_NULL, "cannot read '%s' of null", instr->name);
    return interp_raise(interp, INTERP_ERROR_TYPE, "%s has no field '%s'",
                        interp_type_name(interp, object), instr->name);
}

bool interp_setattr(Interp *interp, InterpInstr *instr, InterpValue object, InterpValue value) {
    if (object.kind == INTERP_VALUE_INSTANCE) {
        InterpInstance *instance = INTERP_AS(InterpInstance, object);
        if ((instr->cache_key != instance->class_index || instr->cache_value < 0) &&
            !interp_resolve_attribute(interp, instr, instance->class_index, true))
            return interp_raise(interp, INTERP_ERROR_TYPE, "%s has no field '%s'",
                                interp_type_name(interp, object), instr->name);
        instance->fields[instr->cache_value] = value;
        return true;
    }
    if (object.kind == INTERP_VALUE_NULL)
        return interp_raise(interp, INTERP_ERROR_NULL, "cannot assign '%s' of null", instr->name);
    return interp_raise(interp, INTERP_ERROR_TYPE, "%s has no field '%s'",
                        interp_type_name(interp, object), instr->name);
}
