/* interp_dict.c - the insertion-ordered hash map behind Kiln C dicts, and
 * key hashing (also the `hash` built-in).
 *
 * Keys: int, char, bool, str, null, tuples of keys, instances (identity).
 * Two keys are equal only when they have the same kind (1 and '\x01' are
 * different keys).  See InterpDict for the layout and its invariants.
 */
#include <stdlib.h>

#include "interp_internal.h"

static uint64_t interp_hash_combine(uint64_t seed, uint64_t hash) {
    return (seed ^ hash) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
}

/* Spreads a key hash over the index bits (the user-visible hash of an int
 * is the int itself, which probes badly without this). */
static uint64_t interp_hash_mix(uint64_t hash) {
    hash ^= hash >> 33;
    hash *= 0xff51afd7ed558ccdull;
    hash ^= hash >> 33;
    hash *= 0xc4ceb9fe1a85ec53ull;
    hash ^= hash >> 33;
    return hash;
}

static bool interp_key_hash_depth(Interp *interp, InterpValue key, uint64_t *hash, int depth) {
    switch ((InterpValueKind)key.kind) {
    case INTERP_VALUE_INT:
    case INTERP_VALUE_BOOL:
    case INTERP_VALUE_CHAR: *hash = (uint64_t)key.as.integer; return true;
    case INTERP_VALUE_NULL: *hash = 0; return true;
    case INTERP_VALUE_STR: *hash = interp_str_hash(INTERP_AS(InterpStr, key)); return true;
    case INTERP_VALUE_INSTANCE: *hash = INTERP_AS(InterpInstance, key)->id; return true;
    case INTERP_VALUE_TUPLE: {
        if (depth >= INTERP_MAX_NESTING)
            return interp_raise(interp, INTERP_ERROR_MEMORY, "tuple nested too deeply to hash");
        InterpTuple *tuple = INTERP_AS(InterpTuple, key);
        uint64_t combined = 0x345678ull + (uint64_t)tuple->count;
        for (int64_t i = 0; i < tuple->count; i++) {
            uint64_t item = 0;
            if (!interp_key_hash_depth(interp, tuple->items[i], &item, depth + 1)) return false;
            combined = interp_hash_combine(combined, item);
        }
        *hash = combined;
        return true;
    }
    case INTERP_VALUE_UNSET:
    case INTERP_VALUE_VOID:
        return interp_raise(interp, INTERP_ERROR_TYPE, "a value-less expression cannot be a key");
    default:
        return interp_raise(interp, INTERP_ERROR_TYPE, "unhashable type: %s",
                            interp_type_name(interp, key));
    }
}

bool interp_key_hash(Interp *interp, InterpValue key, uint64_t *hash) {
    return interp_key_hash_depth(interp, key, hash, 0);
}

/* Equality of two hashable keys (both passed interp_key_hash). */
static bool interp_keys_equal(InterpValue left, InterpValue right) {
    if (left.kind != right.kind) return false;
    switch ((InterpValueKind)left.kind) {
    case INTERP_VALUE_STR:
        return interp_str_equal(INTERP_AS(InterpStr, left), INTERP_AS(InterpStr, right));
    case INTERP_VALUE_TUPLE: {
        InterpTuple *a = INTERP_AS(InterpTuple, left), *b = INTERP_AS(InterpTuple, right);
        if (a == b) return true;
        if (a->count != b->count) return false;
        for (int64_t i = 0; i < a->count; i++)
            if (!interp_keys_equal(a->items[i], b->items[i])) return false;
        return true;
    }
    case INTERP_VALUE_INSTANCE: return left.as.object == right.as.object;
    case INTERP_VALUE_NULL: return true;
    default: return left.as.integer == right.as.integer;
    }
}

/* Finds the entry of key (-1 if absent); *slot receives the index slot that
 * holds it, or the empty slot where it would go. */
static int64_t interp_dict_probe(const InterpDict *dict, InterpValue key, uint64_t hash,
                                 int64_t *slot) {
    *slot = -1;
    if (dict->index_capacity == 0) return -1;
    uint64_t mask = (uint64_t)dict->index_capacity - 1;
    uint64_t position = interp_hash_mix(hash) & mask;
    for (;;) {
        int32_t entry_number = dict->index[position];
        if (entry_number < 0) {
            *slot = (int64_t)position;
            return -1;
        }
        const InterpDictEntry *entry = &dict->entries[entry_number];
        if (entry->hash == hash && entry->key.kind != INTERP_VALUE_VOID &&
            interp_keys_equal(entry->key, key)) {
            *slot = (int64_t)position;
            return entry_number;
        }
        position = (position + 1) & mask;
    }
}

/* Rebuilds the table for at least `wanted` live entries, dropping deleted
 * ones.  Keeps insertion order. */
static bool interp_dict_rebuild(Interp *interp, InterpDict *dict, int64_t wanted) {
    int64_t index_capacity = 8;
    while (index_capacity * 2 / 3 < wanted) {
        if (index_capacity >= ((int64_t)1 << 30))
            return interp_raise(interp, INTERP_ERROR_MEMORY, "dict too large");
        index_capacity *= 2;
    }
    int64_t entry_capacity = index_capacity * 2 / 3;
    if (!interp_check_size(interp, entry_capacity, sizeof(InterpDictEntry))) return false;
    InterpDictEntry *entries = kiln_xmalloc((size_t)entry_capacity * sizeof(InterpDictEntry));
    int32_t *index = kiln_xmalloc((size_t)index_capacity * sizeof(int32_t));
    memset(index, 0xff, (size_t)index_capacity * sizeof(int32_t));
    int64_t count = 0;
    uint64_t mask = (uint64_t)index_capacity - 1;
    for (int64_t i = 0; i < dict->entry_count; i++) {
        if (dict->entries[i].key.kind == INTERP_VALUE_VOID) continue;
        entries[count] = dict->entries[i];
        uint64_t position = interp_hash_mix(entries[count].hash) & mask;
        while (index[position] >= 0)
            position = (position + 1) & mask;
        index[position] = (int32_t)count;
        count++;
    }
    size_t old_bytes = (size_t)dict->entry_capacity * sizeof(InterpDictEntry) +
                       (size_t)dict->index_capacity * sizeof(int32_t);
    size_t new_bytes =
        (size_t)entry_capacity * sizeof(InterpDictEntry) + (size_t)index_capacity * sizeof(int32_t);
    if (new_bytes > old_bytes) interp_heap_account(interp, new_bytes - old_bytes);
    free(dict->entries);
    free(dict->index);
    dict->entries = entries;
    dict->index = index;
    dict->entry_count = count;
    dict->live_count = count;
    dict->entry_capacity = entry_capacity;
    dict->index_capacity = index_capacity;
    return true;
}

int64_t interp_dict_find(Interp *interp, InterpDict *dict, InterpValue key) {
    uint64_t hash = 0;
    if (!interp_key_hash(interp, key, &hash)) return -2;
    int64_t slot;
    return interp_dict_probe(dict, key, hash, &slot);
}

bool interp_dict_get(Interp *interp, InterpDict *dict, InterpValue key, InterpValue *value,
                     bool *found) {
    int64_t entry = interp_dict_find(interp, dict, key);
    if (entry == -2) return false;
    *found = entry >= 0;
    if (entry >= 0) *value = dict->entries[entry].value;
    return true;
}

bool interp_dict_set(Interp *interp, InterpDict *dict, InterpValue key, InterpValue value) {
    uint64_t hash = 0;
    if (!interp_key_hash(interp, key, &hash)) return false;
    int64_t slot;
    int64_t entry = interp_dict_probe(dict, key, hash, &slot);
    if (entry >= 0) {
        dict->entries[entry].value = value;
        return true;
    }
    if (dict->entry_count == dict->entry_capacity) {
        if (!interp_dict_rebuild(interp, dict, (dict->live_count + 1) * 2)) return false;
        interp_dict_probe(dict, key, hash, &slot);
    }
    InterpDictEntry *added = &dict->entries[dict->entry_count];
    added->hash = hash;
    added->key = key;
    added->value = value;
    dict->index[slot] = (int32_t)dict->entry_count;
    dict->entry_count++;
    dict->live_count++;
    return true;
}

bool interp_dict_remove(Interp *interp, InterpDict *dict, InterpValue key, bool *found) {
    int64_t entry = interp_dict_find(interp, dict, key);
    if (entry == -2) return false;
    *found = entry >= 0;
    if (entry >= 0) {
        /* The index slot keeps pointing here: it is the tombstone that keeps
         * later entries of the probe sequence reachable. */
        dict->entries[entry].key = interp_make_simple(INTERP_VALUE_VOID);
        dict->entries[entry].value = interp_make_simple(INTERP_VALUE_VOID);
        dict->live_count--;
    }
    return true;
}

void interp_dict_clear(Interp *interp, InterpDict *dict) {
    (void)interp;
    free(dict->entries);
    free(dict->index);
    dict->entries = NULL;
    dict->index = NULL;
    dict->entry_count = dict->entry_capacity = dict->live_count = dict->index_capacity = 0;
}

void interp_dict_compact(InterpDict *dict) {
    if (dict->live_count == dict->entry_count) return;
    int64_t count = 0;
    for (int64_t i = 0; i < dict->entry_count; i++)
        if (dict->entries[i].key.kind != INTERP_VALUE_VOID)
            dict->entries[count++] = dict->entries[i];
    dict->entry_count = count;
    memset(dict->index, 0xff, (size_t)dict->index_capacity * sizeof(int32_t));
    uint64_t mask = (uint64_t)dict->index_capacity - 1;
    for (int64_t i = 0; i < count; i++) {
        uint64_t position = interp_hash_mix(dict->entries[i].hash) & mask;
        while (dict->index[position] >= 0)
            position = (position + 1) & mask;
        dict->index[position] = (int32_t)i;
    }
}
