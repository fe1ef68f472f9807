/* rt_dict.c - the insertion-ordered dict: an entries array in insertion
 * order (deleted entries keep their place with hash 0 until the next
 * rebuild) and an open-addressing index of entry numbers + 1, linear
 * probing, capacity a power of two at most 2/3 full (counting deleted
 * entries).  Keys hash and compare through their RtValType.
 */
#include "rt.h"

static uint32_t rt_entries_type(bool key_refs, bool value_refs) {
    return key_refs ? (value_refs ? RT_TYPE_ENTRIES_REF_REF : RT_TYPE_ENTRIES_REF_RAW)
                    : (value_refs ? RT_TYPE_ENTRIES_RAW_REF : RT_TYPE_ENTRIES_RAW_RAW);
}

RtDict *rt_dict_new(GcThread *thread, bool key_refs, bool value_refs) {
    RtEntries *entries = gc_alloc_varsize(thread, rt_entries_type(key_refs, value_refs),
                                          sizeof(RtEntries), sizeof(RtEntry), 8, 5);
    gc_push_root(thread, entries);
    RtArray *index = gc_alloc_varsize(thread, RT_TYPE_ARRAY_RAW, sizeof(RtArray), 8, 8, 8);
    gc_push_root(thread, index);
    RtDict *dict = gc_alloc(thread, RT_TYPE_DICT, sizeof(RtDict));
    dict->index = gc_pop_root(thread);
    dict->entries = gc_pop_root(thread);
    return dict;
}

static uint64_t rt_key_hash(int64_t key, const RtValType *key_type) {
    return rt_val_hash(rt_thread.gc, key, key_type) | RT_HASH_LIVE;
}

int64_t rt_dict_find(RtDict *dict, int64_t key, const RtValType *key_type) {
    uint64_t hash = rt_key_hash(key, key_type);
    uint64_t mask = (uint64_t)dict->index->length - 1;
    for (uint64_t slot = rt_hash_mix(hash) & mask;; slot = (slot + 1) & mask) {
        int64_t number = dict->index->items[slot];
        if (number == 0) return -1;
        RtEntry *entry = &dict->entries->items[number - 1];
        if (entry->hash == hash && rt_val_eq(entry->key, key, key_type)) return number - 1;
    }
}

/* Rebuilds entries (dropping deleted ones) and index for `needed` keys. */
static RtDict *rt_dict_rebuild(GcThread *thread, RtDict *dict, int64_t needed) {
    int64_t capacity = 8;
    while (capacity * 2 < needed * 3)
        capacity *= 2;
    uint32_t type = rt_type_of(dict->entries);
    gc_push_root(thread, dict);
    RtEntries *entries =
        gc_alloc_varsize(thread, type, sizeof(RtEntries), sizeof(RtEntry), 8, capacity * 2 / 3 + 1);
    gc_push_root(thread, entries);
    RtArray *index = gc_alloc_varsize(thread, RT_TYPE_ARRAY_RAW, sizeof(RtArray), 8, 8, capacity);
    entries = gc_pop_root(thread);
    dict = gc_pop_root(thread);
    int64_t count = 0;
    uint64_t mask = (uint64_t)capacity - 1;
    for (int64_t i = 0; i < dict->used; i++) {
        RtEntry *entry = &dict->entries->items[i];
        if (!entry->hash) continue;
        entries->items[count] = *entry;
        uint64_t slot = rt_hash_mix(entry->hash) & mask;
        while (index->items[slot])
            slot = (slot + 1) & mask;
        index->items[slot] = ++count;
    }
    gc_write_barrier(thread, dict);
    dict->entries = entries;
    dict->index = index;
    dict->used = count;
    return dict;
}

void rt_dict_set(GcThread *thread, RtDict *dict, int64_t key, int64_t value,
                 const RtValType *key_type) {
    int64_t found = rt_dict_find(dict, key, key_type);
    bool key_refs = rt_type_of(dict->entries) == RT_TYPE_ENTRIES_REF_RAW ||
                    rt_type_of(dict->entries) == RT_TYPE_ENTRIES_REF_REF;
    bool value_refs = rt_type_of(dict->entries) == RT_TYPE_ENTRIES_RAW_REF ||
                      rt_type_of(dict->entries) == RT_TYPE_ENTRIES_REF_REF;
    if (found >= 0) {
        if (value_refs) gc_write_barrier(thread, dict->entries);
        dict->entries->items[found].value = value;
        return;
    }
    if (dict->used >= dict->entries->length || (dict->used + 1) * 3 > dict->index->length * 2) {
        if (key_refs) gc_push_root(thread, rt_ref_of_word(key));
        if (value_refs) gc_push_root(thread, rt_ref_of_word(value));
        dict = rt_dict_rebuild(thread, dict, dict->length + 1);
        if (value_refs) value = rt_word_of_ref(gc_pop_root(thread));
        if (key_refs) key = rt_word_of_ref(gc_pop_root(thread));
    }
    uint64_t hash = rt_key_hash(key, key_type);
    if (key_refs || value_refs) gc_write_barrier(thread, dict->entries);
    RtEntry *entry = &dict->entries->items[dict->used];
    entry->hash = hash;
    entry->key = key;
    entry->value = value;
    dict->used++;
    dict->length++;
    uint64_t mask = (uint64_t)dict->index->length - 1;
    uint64_t slot = rt_hash_mix(hash) & mask;
    while (dict->index->items[slot])
        slot = (slot + 1) & mask;
    dict->index->items[slot] = dict->used;
}

int64_t rt_dict_get(GcThread *thread, RtDict *dict, int64_t key, const RtValType *key_type) {
    int64_t found = rt_dict_find(dict, key, key_type);
    if (found >= 0) return dict->entries->items[found].value;
    RtStr *shown = rt_repr(thread, key, key_type);
    rt_raise(thread, RT_ERR_KEY, "%.*s", (int)(shown->length > 200 ? 200 : shown->length),
             shown->bytes);
    return 0;
}

void rt_dict_remove(GcThread *thread, RtDict *dict, int64_t key, const RtValType *key_type) {
    int64_t found = rt_dict_find(dict, key, key_type);
    if (found < 0) {
        rt_dict_get(thread, dict, key, key_type);
        return;
    }
    RtEntry *entry = &dict->entries->items[found];
    entry->hash = 0;
    entry->key = 0;
    entry->value = 0;
    dict->length--;
    /* The index keeps pointing at the dead entry (a tombstone that never
     * matches); the next rebuild drops both. */
}

void rt_dict_clear(GcThread *thread, RtDict *dict) {
    (void)thread;
    memset(dict->entries->items, 0, (size_t)dict->used * sizeof(RtEntry));
    memset(dict->index->items, 0, (size_t)dict->index->length * sizeof(int64_t));
    dict->used = 0;
    dict->length = 0;
}
