/* interp_str_methods.c - the built-in methods of str: slice find rfind split
 * join startswith endswith strip upper lower replace.
 *
 * Strs are byte strings: positions count bytes, case mapping and white
 * space are ASCII.  find(sub[, start]) and rfind(sub[, start]) give -1 when
 * absent; split() splits at runs of white space, split(sep) at every sep.
 */
#include <stdlib.h>

#include "interp_internal.h"

static bool interp_str_space(char byte) {
    return byte == ' ' || byte == '\t' || byte == '\n' || byte == '\r' || byte == '\f' ||
           byte == '\v';
}

static bool interp_str_result(InterpValue *result, InterpStr *str) {
    if (!str) return false;
    *result = interp_make_object(str);
    return true;
}

static bool interp_str_push_part(Interp *interp, InterpList *parts, const char *bytes,
                                 int64_t length) {
    InterpStr *part = interp_str_new(interp, bytes, length);
    return part && interp_list_push(interp, parts, interp_make_object(part));
}

static bool interp_str_split(Interp *interp, InterpStr *str, InterpValue *args, int count,
                             InterpValue *result) {
    InterpList *parts = interp_list_new(interp, 0);
    const char *bytes = str->bytes;
    int64_t length = str->length;
    if (count == 0) {
        int64_t position = 0;
        while (position < length) {
            while (position < length && interp_str_space(bytes[position]))
                position++;
            int64_t start = position;
            while (position < length && !interp_str_space(bytes[position]))
                position++;
            if (position > start &&
                !interp_str_push_part(interp, parts, bytes + start, position - start))
                return false;
        }
    } else {
        INTERP_TRY(interp_method_arg(interp, INTERP_METHOD_SPLIT, args, 1, INTERP_VALUE_STR));
        InterpStr *separator = INTERP_AS(InterpStr, args[1]);
        if (separator->length == 0)
            return interp_raise(interp, INTERP_ERROR_VALUE, "split() of an empty separator");
        int64_t start = 0;
        for (;;) {
            const char *hit = memmem(bytes + start, (size_t)(length - start), separator->bytes,
                                     (size_t)separator->length);
            int64_t end = hit ? hit - bytes : length;
            if (!interp_str_push_part(interp, parts, bytes + start, end - start)) return false;
            if (!hit) break;
            start = end + separator->length;
        }
    }
    *result = interp_make_object(parts);
    return true;
}

static bool interp_str_join(Interp *interp, InterpStr *separator, InterpValue *args,
                            InterpValue *result) {
    INTERP_TRY(interp_method_arg(interp, INTERP_METHOD_JOIN, args, 1, INTERP_VALUE_LIST));
    InterpList *list = INTERP_AS(InterpList, args[1]);
    int64_t total = 0;
    for (int64_t i = 0; i < list->count; i++) {
        if (list->items[i].kind != INTERP_VALUE_STR)
            return interp_raise(interp, INTERP_ERROR_TYPE, "join() item %lld must be str, not %s",
                                (long long)i, interp_type_name(interp, list->items[i]));
        total += INTERP_AS(InterpStr, list->items[i])->length + (i > 0 ? separator->length : 0);
        if ((uint64_t)total > INTERP_MAX_OBJECT_BYTES)
            return interp_raise(interp, INTERP_ERROR_MEMORY, "join() result too long");
    }
    InterpStr *joined = interp_str_alloc(interp, total);
    if (!joined) return false;
    int64_t position = 0;
    for (int64_t i = 0; i < list->count; i++) {
        if (i > 0) {
            memcpy(joined->bytes + position, separator->bytes, (size_t)separator->length);
            position += separator->length;
        }
        InterpStr *item = INTERP_AS(InterpStr, list->items[i]);
        memcpy(joined->bytes + position, item->bytes, (size_t)item->length);
        position += item->length;
    }
    return interp_str_result(result, joined);
}

static bool interp_str_replace(Interp *interp, InterpStr *str, InterpValue *args,
                               InterpValue *result) {
    INTERP_TRY(interp_method_arg(interp, INTERP_METHOD_REPLACE, args, 1, INTERP_VALUE_STR));
    INTERP_TRY(interp_method_arg(interp, INTERP_METHOD_REPLACE, args, 2, INTERP_VALUE_STR));
    InterpStr *old = INTERP_AS(InterpStr, args[1]), *new = INTERP_AS(InterpStr, args[2]);
    InterpBuilder *builder = interp_builder_new(interp);
    int64_t position = 0;
    if (old->length == 0) { /* like Python: new before every byte and at the end */
        for (; position < str->length; position++) {
            INTERP_TRY(interp_builder_append(interp, builder, new->bytes, new->length));
            INTERP_TRY(interp_builder_append(interp, builder, str->bytes + position, 1));
        }
        INTERP_TRY(interp_builder_append(interp, builder, new->bytes, new->length));
    } else {
        for (;;) {
            const char *hit = memmem(str->bytes + position, (size_t)(str->length - position),
                                     old->bytes, (size_t)old->length);
            int64_t end = hit ? hit - str->bytes : str->length;
            INTERP_TRY(
                interp_builder_append(interp, builder, str->bytes + position, end - position));
            if (!hit) break;
            INTERP_TRY(interp_builder_append(interp, builder, new->bytes, new->length));
            position = end + old->length;
        }
    }
    return interp_str_result(result, interp_str_new(interp, builder->bytes, builder->length));
}

/* find and rfind: the first (last) occurrence of sub starting at or after
 * start, or -1. */
static bool interp_str_find(Interp *interp, InterpMethod method, InterpStr *str, InterpValue *args,
                            int count, InterpValue *result) {
    INTERP_TRY(interp_method_arg(interp, method, args, 1, INTERP_VALUE_STR));
    if (count > 1) INTERP_TRY(interp_method_arg(interp, method, args, 2, INTERP_VALUE_INT));
    InterpStr *sub = INTERP_AS(InterpStr, args[1]);
    int64_t start = count > 1 ? args[2].as.integer : 0;
    if (start < 0) start = 0;
    int64_t found = -1;
    if (start <= str->length && sub->length <= str->length - start) {
        if (method == INTERP_METHOD_FIND) {
            const char *hit = memmem(str->bytes + start, (size_t)(str->length - start), sub->bytes,
                                     (size_t)sub->length);
            found = hit ? hit - str->bytes : -1;
        } else {
            for (int64_t at = str->length - sub->length; at >= start && found < 0; at--)
                if (memcmp(str->bytes + at, sub->bytes, (size_t)sub->length) == 0) found = at;
        }
    }
    *result = interp_make_int(found);
    return true;
}

static bool interp_str_affix(Interp *interp, InterpMethod method, InterpStr *str, InterpValue *args,
                             InterpValue *result) {
    INTERP_TRY(interp_method_arg(interp, method, args, 1, INTERP_VALUE_STR));
    InterpStr *affix = INTERP_AS(InterpStr, args[1]);
    bool match = affix->length <= str->length;
    if (match) {
        int64_t offset = method == INTERP_METHOD_STARTSWITH ? 0 : str->length - affix->length;
        match = memcmp(str->bytes + offset, affix->bytes, (size_t)affix->length) == 0;
    }
    *result = interp_make_bool(match);
    return true;
}

static bool interp_str_transform(Interp *interp, InterpMethod method, InterpStr *str,
                                 InterpValue *result) {
    if (method == INTERP_METHOD_STRIP) {
        int64_t start = 0, end = str->length;
        while (start < end && interp_str_space(str->bytes[start]))
            start++;
        while (end > start && interp_str_space(str->bytes[end - 1]))
            end--;
        if (start == 0 && end == str->length) return interp_str_result(result, str);
        return interp_str_result(result, interp_str_new(interp, str->bytes + start, end - start));
    }
    InterpStr *mapped = interp_str_new(interp, str->bytes, str->length);
    if (!mapped) return false;
    for (int64_t i = 0; i < mapped->length; i++) {
        char byte = mapped->bytes[i];
        if (method == INTERP_METHOD_UPPER && byte >= 'a' && byte <= 'z') byte = (char)(byte - 32);
        if (method == INTERP_METHOD_LOWER && byte >= 'A' && byte <= 'Z') byte = (char)(byte + 32);
        mapped->bytes[i] = byte;
    }
    return interp_str_result(result, mapped);
}

bool interp_str_method(Interp *interp, InterpMethod method, InterpValue *args, int count,
                       InterpValue *result) {
    InterpStr *str = INTERP_AS(InterpStr, args[0]);
    InterpValue receiver = args[0];
    switch (method) {
    case INTERP_METHOD_SLICE: {
        INTERP_TRY(interp_method_arity(interp, receiver, method, count, 1, 2));
        INTERP_TRY(interp_method_arg(interp, method, args, 1, INTERP_VALUE_INT));
        if (count > 1) INTERP_TRY(interp_method_arg(interp, method, args, 2, INTERP_VALUE_INT));
        int64_t start = args[1].as.integer, end = count > 1 ? args[2].as.integer : str->length;
        if (start < 0) start = 0;
        if (start > str->length) start = str->length;
        if (end > str->length) end = str->length;
        if (end < start) end = start;
        if (start == 0 && end == str->length) return interp_str_result(result, str);
        return interp_str_result(result, interp_str_new(interp, str->bytes + start, end - start));
    }
    case INTERP_METHOD_FIND:
    case INTERP_METHOD_RFIND:
        INTERP_TRY(interp_method_arity(interp, receiver, method, count, 1, 2));
        return interp_str_find(interp, method, str, args, count, result);
    case INTERP_METHOD_SPLIT:
        INTERP_TRY(interp_method_arity(interp, receiver, method, count, 0, 1));
        return interp_str_split(interp, str, args, count, result);
    case INTERP_METHOD_JOIN:
        INTERP_TRY(interp_method_arity(interp, receiver, method, count, 1, 1));
        return interp_str_join(interp, str, args, result);
    case INTERP_METHOD_STARTSWITH:
    case INTERP_METHOD_ENDSWITH:
        INTERP_TRY(interp_method_arity(interp, receiver, method, count, 1, 1));
        return interp_str_affix(interp, method, str, args, result);
    case INTERP_METHOD_STRIP:
    case INTERP_METHOD_UPPER:
    case INTERP_METHOD_LOWER:
        INTERP_TRY(interp_method_arity(interp, receiver, method, count, 0, 0));
        return interp_str_transform(interp, method, str, result);
    case INTERP_METHOD_REPLACE:
        INTERP_TRY(interp_method_arity(interp, receiver, method, count, 2, 2));
        return interp_str_replace(interp, str, args, result);
    default:
        return interp_raise(interp, INTERP_ERROR_TYPE, "str has no method '%s'",
                            interp_method_names[method]);
    }
}
