/* rt_list.c - the slow paths and methods of list<T>.
 *
 * The fast paths (indexing with its bounds check, length, append while the
 * capacity lasts) are emitted inline by the C backend; everything here may
 * allocate, so the generated code spills its live references around calls.
 * A list's items array says by its type whether the words are references.
 */
#include <inttypes.h>

#include "rt.h"

static RtArray *rt_array_new(GcThread *thread, int64_t capacity, bool refs) {
    return gc_alloc_varsize(thread, refs ? RT_TYPE_ARRAY_REF : RT_TYPE_ARRAY_RAW, sizeof(RtArray),
                            8, 8, capacity);
}

RtList *rt_list_new(GcThread *thread, int64_t length, bool refs) {
    RtArray *items = rt_array_new(thread, length < 4 ? 4 : length, refs);
    gc_push_root(thread, items);
    RtList *list = gc_alloc(thread, RT_TYPE_LIST, sizeof(RtList));
    list->items = gc_pop_root(thread);
    list->length = length;
    return list;
}

void rt_list_grow(GcThread *thread, RtList *list, int64_t needed) {
    if (needed <= list->items->length) return;
    int64_t capacity = list->items->length + (list->items->length >> 1) + 4;
    if (capacity < needed) capacity = needed;
    bool refs = rt_type_of(list->items) == RT_TYPE_ARRAY_REF;
    gc_push_root(thread, list);
    RtArray *items = rt_array_new(thread, capacity, refs);
    list = gc_pop_root(thread);
    memcpy(items->items, list->items->items, (size_t)list->length * sizeof(int64_t));
    gc_write_barrier(thread, list);
    list->items = items;
}

RtList *rt_newlist(GcThread *thread, int64_t length, int64_t fill, bool refs) {
    if (length < 0) {
        rt_raise(thread, RT_ERR_VALUE, "newlist() of a negative length");
        return NULL;
    }
    if (refs && fill) gc_push_root(thread, rt_ref_of_word(fill));
    RtList *list = rt_list_new(thread, length, refs);
    if (refs && fill) fill = rt_word_of_ref(gc_pop_root(thread));
    if (fill)
        for (int64_t i = 0; i < length; i++)
            list->items->items[i] = fill; /* the array is young: no barrier */
    return list;
}

int64_t rt_list_pop(GcThread *thread, RtList *list, int64_t index) {
    if (index < 0 || index >= list->length) {
        if (list->length == 0)
            rt_raise(thread, RT_ERR_INDEX, "pop from an empty list");
        else
            rt_raise(thread, RT_ERR_INDEX,
                     "pop index out of range: %" PRId64 " (length %" PRId64 ")", index,
                     list->length);
        return 0;
    }
    int64_t *items = list->items->items;
    int64_t word = items[index];
    memmove(items + index, items + index + 1, (size_t)(list->length - index - 1) * sizeof(int64_t));
    list->length--;
    items[list->length] = 0;
    return word;
}

void rt_list_insert(GcThread *thread, RtList *list, int64_t index, int64_t word) {
    bool refs = rt_type_of(list->items) == RT_TYPE_ARRAY_REF;
    if (list->length == list->items->length) {
        if (refs) gc_push_root(thread, rt_ref_of_word(word));
        gc_push_root(thread, list);
        rt_list_grow(thread, list, list->length + 1);
        list = gc_pop_root(thread);
        if (refs) word = rt_word_of_ref(gc_pop_root(thread));
    }
    if (index < 0) index = 0;
    if (index > list->length) index = list->length;
    int64_t *items = list->items->items;
    memmove(items + index + 1, items + index, (size_t)(list->length - index) * sizeof(int64_t));
    list->length++;
    if (refs) gc_write_barrier(thread, list->items); /* whole-array write: no cards */
    items[index] = word;
}

void rt_list_extend(GcThread *thread, RtList *list, RtList *other) {
    int64_t count = other->length;
    if (list->length + count > list->items->length) {
        gc_push_root(thread, other);
        gc_push_root(thread, list);
        rt_list_grow(thread, list, list->length + count);
        list = gc_pop_root(thread);
        other = gc_pop_root(thread);
    }
    if (rt_type_of(list->items) == RT_TYPE_ARRAY_REF) gc_write_barrier(thread, list->items);
    memmove(list->items->items + list->length, other->items->items,
            (size_t)count * sizeof(int64_t));
    list->length += count;
}

RtList *rt_list_slice(GcThread *thread, RtList *list, int64_t start, int64_t end) {
    if (start < 0) start = 0;
    if (end > list->length) end = list->length;
    int64_t count = end > start ? end - start : 0;
    gc_push_root(thread, list);
    RtList *result = rt_list_new(thread, count, rt_type_of(list->items) == RT_TYPE_ARRAY_REF);
    list = gc_pop_root(thread);
    if (count)
        memcpy(result->items->items, list->items->items + start, (size_t)count * sizeof(int64_t));
    return result;
}

void rt_list_reverse(RtList *list) {
    int64_t *items = list->items->items;
    for (int64_t low = 0, high = list->length - 1; low < high; low++, high--) {
        int64_t word = items[low];
        items[low] = items[high];
        items[high] = word;
    }
}

int64_t rt_list_index(RtList *list, int64_t word, const RtValType *type) {
    for (int64_t i = 0; i < list->length; i++)
        if (rt_val_eq(list->items->items[i], word, type)) return i;
    return -1;
}

int64_t rt_list_index_or_raise(GcThread *thread, RtList *list, int64_t word,
                               const RtValType *type) {
    int64_t found = rt_list_index(list, word, type);
    if (found < 0) rt_raise(thread, RT_ERR_VALUE, "list.index(x): x not in list");
    return found;
}

void rt_list_clear(GcThread *thread, RtList *list) {
    (void)thread;
    memset(list->items->items, 0, (size_t)list->length * sizeof(int64_t));
    list->length = 0;
}

int64_t rt_list_minmax(GcThread *thread, RtList *list, const RtValType *type, bool max) {
    if (list->length == 0) {
        rt_raise(thread, RT_ERR_VALUE, "%s() of an empty list", max ? "max" : "min");
        return 0;
    }
    int64_t best = list->items->items[0];
    for (int64_t i = 1; i < list->length; i++) {
        int64_t word = list->items->items[i];
        bool better;
        if (type->kind == RT_KIND_FLOAT)
            better = max ? rt_float_of_word(word) > rt_float_of_word(best)
                         : rt_float_of_word(word) < rt_float_of_word(best);
        else if (type->kind == RT_KIND_STR)
            better = max ? rt_str_cmp(rt_ref_of_word(word), rt_ref_of_word(best)) > 0
                         : rt_str_cmp(rt_ref_of_word(word), rt_ref_of_word(best)) < 0;
        else
            better = max ? word > best : word < best;
        if (better) best = word;
    }
    return best;
}
