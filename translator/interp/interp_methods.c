/* interp_methods.c - the built-in methods of lists, dicts, strs and
 * StrBuilders (language.md section 6).
 *
 * Index arguments never wrap around: slice(a[, b]) clamps both ends to
 * [0, len] (empty when a >= b), insert(i, x) clamps i to [0, len], pop(i)
 * and negative indices raise IndexError.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "interp_internal.h"

const char *const interp_method_names[INTERP_METHOD__COUNT] = {
#define X(id, name) name,
    INTERP_METHODS(X)
#undef X
};

InterpMethod interp_method_lookup(const char *name) {
    for (int i = 0; i < INTERP_METHOD__COUNT; i++)
        if (strcmp(interp_method_names[i], name) == 0) return (InterpMethod)i;
    return INTERP_METHOD__COUNT;
}

/* Argument count check; count excludes the receiver. */
bool interp_method_arity(Interp *interp, InterpValue receiver, InterpMethod method, int count,
                         int min_args, int max_args) {
    if (count >= min_args && count <= max_args) return true;
    if (min_args == max_args)
        return interp_raise(interp, INTERP_ERROR_TYPE, "%s.%s() takes %d argument%s (%d given)",
                            interp_type_name(interp, receiver), interp_method_names[method],
                            min_args, min_args == 1 ? "" : "s", count);
    return interp_raise(interp, INTERP_ERROR_TYPE, "%s.%s() takes %d to %d arguments (%d given)",
                        interp_type_name(interp, receiver), interp_method_names[method], min_args,
                        max_args, count);
}

bool interp_method_arg(Interp *interp, InterpMethod method, const InterpValue *args, int position,
                       InterpValueKind kind) {
    return interp_expect(interp, interp_method_names[method], args + 1, position - 1, kind);
}

/* Clamps slice bounds to [0, length]. */
static void interp_clamp_range(const InterpValue *args, int count, int64_t length, int64_t *start,
                               int64_t *end) {
    *start = args[1].as.integer;
    *end = count > 1 ? args[2].as.integer : length;
    if (*start < 0) *start = 0;
    if (*start > length) *start = length;
    if (*end < 0) *end = 0;
    if (*end > length) *end = length;
    if (*end < *start) *end = *start;
}

static bool interp_list_find(Interp *interp, InterpList *list, InterpValue item, int64_t *found) {
    *found = -1;
    for (int64_t i = 0; i < list->count; i++) {
        bool equal;
        if (!interp_equal(interp, list->items[i], item, &equal)) return false;
        if (equal) {
            *found = i;
            return true;
        }
    }
    return true;
}

static bool interp_list_pop(Interp *interp, InterpList *list, InterpValue *args, int count,
                            InterpValue *result) {
    InterpMethod method = INTERP_METHOD_POP;
    if (list->count == 0) return interp_raise(interp, INTERP_ERROR_INDEX, "pop from an empty list");
    int64_t position = list->count - 1;
    if (count == 1) {
        INTERP_TRY(interp_method_arg(interp, method, args, 1, INTERP_VALUE_INT));
        position = args[1].as.integer;
        if (position < 0 || position >= list->count)
            return interp_raise(interp, INTERP_ERROR_INDEX,
                                "pop index out of range: %" PRId64 " (length %" PRId64 ")",
                                position, list->count);
    }
    *result = list->items[position];
    memmove(list->items + position, list->items + position + 1,
            (size_t)(list->count - position - 1) * sizeof(InterpValue));
    list->count--;
    return true;
}

static bool interp_list_insert(Interp *interp, InterpList *list, InterpValue *args) {
    InterpMethod method = INTERP_METHOD_INSERT;
    INTERP_TRY(interp_method_arg(interp, method, args, 1, INTERP_VALUE_INT));
    int64_t position = args[1].as.integer;
    if (position < 0) position = 0;
    if (position > list->count) position = list->count;
    if (!interp_list_reserve(interp, list, list->count + 1)) return false;
    memmove(list->items + position + 1, list->items + position,
            (size_t)(list->count - position) * sizeof(InterpValue));
    list->items[position] = args[2];
    list->count++;
    return true;
}

static bool interp_list_method(Interp *interp, InterpMethod method, InterpValue *args, int count,
                               InterpValue *result) {
    InterpList *list = INTERP_AS(InterpList, args[0]);
    int64_t found;
    switch (method) {
    case INTERP_METHOD_APPEND:
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 1, 1));
        return interp_list_push(interp, list, args[1]);
    case INTERP_METHOD_POP:
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 0, 1));
        return interp_list_pop(interp, list, args, count, result);
    case INTERP_METHOD_INSERT:
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 2, 2));
        return interp_list_insert(interp, list, args);
    case INTERP_METHOD_EXTEND: {
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 1, 1));
        INTERP_TRY(interp_method_arg(interp, method, args, 1, INTERP_VALUE_LIST));
        InterpList *other = INTERP_AS(InterpList, args[1]);
        int64_t added = other->count; /* other may be list itself */
        if (!interp_list_reserve(interp, list, list->count + added)) return false;
        if (added > 0)
            memcpy(list->items + list->count, other->items, (size_t)added * sizeof(InterpValue));
        list->count += added;
        return true;
    }
    case INTERP_METHOD_SLICE: {
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 1, 2));
        INTERP_TRY(interp_method_arg(interp, method, args, 1, INTERP_VALUE_INT));
        if (count > 1) INTERP_TRY(interp_method_arg(interp, method, args, 2, INTERP_VALUE_INT));
        int64_t start, end;
        interp_clamp_range(args, count, list->count, &start, &end);
        InterpList *slice = interp_list_new(interp, end - start);
        if (!slice) return false;
        if (end > start)
            memcpy(slice->items, list->items + start, (size_t)(end - start) * sizeof(InterpValue));
        slice->count = end - start;
        *result = interp_make_object(slice);
        return true;
    }
    case INTERP_METHOD_REVERSE:
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 0, 0));
        for (int64_t low = 0, high = list->count - 1; low < high; low++, high--) {
            InterpValue swap = list->items[low];
            list->items[low] = list->items[high];
            list->items[high] = swap;
        }
        return true;
    case INTERP_METHOD_INDEX:
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 1, 1));
        if (!interp_list_find(interp, list, args[1], &found)) return false;
        if (found < 0)
            return interp_raise(interp, INTERP_ERROR_VALUE, "list.index(x): x not in list");
        *result = interp_make_int(found);
        return true;
    case INTERP_METHOD_CONTAINS:
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 1, 1));
        if (!interp_list_find(interp, list, args[1], &found)) return false;
        *result = interp_make_bool(found >= 0);
        return true;
    case INTERP_METHOD_CLEAR:
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 0, 0));
        list->count = 0;
        return true;
    default:
        return interp_raise(interp, INTERP_ERROR_TYPE, "list has no method '%s'",
                            interp_method_names[method]);
    }
}

static bool interp_dict_method(Interp *interp, InterpMethod method, InterpValue *args, int count,
                               InterpValue *result) {
    InterpDict *dict = INTERP_AS(InterpDict, args[0]);
    bool found;
    switch (method) {
    case INTERP_METHOD_GET:
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 1, 2));
        if (!interp_dict_get(interp, dict, args[1], result, &found)) return false;
        if (!found) *result = count > 1 ? args[2] : interp_make_simple(INTERP_VALUE_NULL);
        return true;
    case INTERP_METHOD_CONTAINS: {
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 1, 1));
        int64_t entry = interp_dict_find(interp, dict, args[1]);
        if (entry == -2) return false;
        *result = interp_make_bool(entry >= 0);
        return true;
    }
    case INTERP_METHOD_REMOVE: {
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 1, 1));
        if (!interp_dict_remove(interp, dict, args[1], &found)) return false;
        if (found) return true;
        InterpStr *text = interp_to_repr(interp, args[1]);
        if (!text) return false;
        return interp_raise(interp, INTERP_ERROR_KEY, "%.*s", (int)text->length, text->bytes);
    }
    case INTERP_METHOD_KEYS:
    case INTERP_METHOD_VALUES:
    case INTERP_METHOD_ITEMS: {
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 0, 0));
        InterpViewKind view = method == INTERP_METHOD_KEYS     ? INTERP_VIEW_KEYS
                              : method == INTERP_METHOD_VALUES ? INTERP_VIEW_VALUES
                                                               : INTERP_VIEW_ITEMS;
        *result = interp_make_object(interp_dict_view_new(interp, dict, view));
        return true;
    }
    case INTERP_METHOD_CLEAR:
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 0, 0));
        interp_dict_clear(interp, dict);
        return true;
    default:
        return interp_raise(interp, INTERP_ERROR_TYPE, "dict has no method '%s'",
                            interp_method_names[method]);
    }
}

static bool interp_builder_method(Interp *interp, InterpMethod method, InterpValue *args, int count,
                                  InterpValue *result) {
    InterpBuilder *builder = INTERP_AS(InterpBuilder, args[0]);
    switch (method) {
    case INTERP_METHOD_APPEND: {
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 1, 1));
        INTERP_TRY(interp_method_arg(interp, method, args, 1, INTERP_VALUE_STR));
        InterpStr *text = INTERP_AS(InterpStr, args[1]);
        return interp_builder_append(interp, builder, text->bytes, text->length);
    }
    case INTERP_METHOD_APPEND_CHAR: {
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 1, 1));
        INTERP_TRY(interp_method_arg(interp, method, args, 1, INTERP_VALUE_CHAR));
        char byte = (char)args[1].as.integer;
        return interp_builder_append(interp, builder, &byte, 1);
    }
    case INTERP_METHOD_BUILD: {
        INTERP_TRY(interp_method_arity(interp, args[0], method, count, 0, 0));
        InterpStr *text = interp_str_new(interp, builder->bytes, builder->length);
        if (!text) return false;
        *result = interp_make_object(text);
        return true;
    }
    default:
        return interp_raise(interp, INTERP_ERROR_TYPE, "StrBuilder has no method '%s'",
                            interp_method_names[method]);
    }
}

bool interp_call_method_builtin(Interp *interp, InterpMethod method, const char *name,
                                InterpValue *args, int count, InterpValue *result) {
    InterpValue receiver = args[0];
    *result = interp_make_simple(INTERP_VALUE_VOID);
    if (receiver.kind == INTERP_VALUE_NULL)
        return interp_raise(interp, INTERP_ERROR_NULL, "cannot call method '%s' of null", name);
    if (method == INTERP_METHOD__COUNT)
        return interp_raise(interp, INTERP_ERROR_TYPE, "%s has no method '%s'",
                            interp_type_name(interp, receiver), name);
    switch ((InterpValueKind)receiver.kind) {
    case INTERP_VALUE_LIST: return interp_list_method(interp, method, args, count - 1, result);
    case INTERP_VALUE_DICT: return interp_dict_method(interp, method, args, count - 1, result);
    case INTERP_VALUE_STR: return interp_str_method(interp, method, args, count - 1, result);
    case INTERP_VALUE_BUILDER:
        return interp_builder_method(interp, method, args, count - 1, result);
    default:
        return interp_raise(interp, INTERP_ERROR_TYPE, "%s has no method '%s'",
                            interp_type_name(interp, receiver), name);
    }
}
