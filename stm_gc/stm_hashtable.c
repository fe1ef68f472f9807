/* stm_hashtable.c - hash tables whose keys are separate transactional
 * objects (stm.h, "Hash tables").
 *
 * Expects: the STM build's heap (stm_heap_init registered the types used
 * here); get, set, length and items run inside a transaction of the
 * calling thread.
 * Produces: maps from 64-bit keys to references in which each key's value
 * lives in an entry object of its own.  The transactional state is the
 * entries' values, behind the ordinary barriers; everything else (which
 * entries exist, the index that finds them) changes outside transactions,
 * and only in ways no transaction can observe, because an entry without a
 * value stands for an absent key.
 * Breaks: nothing; a table never moves and its parts are never written
 * through the write barrier except the entries.
 *
 * Why it is correct (with the engine's two-phase locking, stm_core.c):
 *   - get(k) reads k's entry (creating it without a value when k has
 *     none): a later writer of k finds this reader, as for any object;
 *   - set(k, v) write-locks k's entry; when it adds or removes k (the value
 *     goes from NULL to non-NULL or back) it then looks for readers of the
 *     table object itself, like a writer (stm_check_readers);
 *   - length and items register as readers of the table object, then read
 *     every entry of the index.  A transaction adding a key either looked
 *     at the table's orec after the lister registered there (it finds the
 *     lister: conflict), or before: then the entry was in the index before
 *     the lister read the index (an entry exists before it is locked, and
 *     seq_cst fences order the two sides), so the lister reads that entry
 *     and finds it locked (conflict) or finds its committed value.
 * Transactions that use different keys share no transactional object, and
 * never conflict (two entries share an orec only by address aliasing,
 * which the orec table makes rare: a false conflict, never a missed one).
 *
 * Entry creation: lookups probe the index without a lock; a missing entry
 * is created under the table's spin lock after probing the current index
 * again.  A full index is replaced, under that lock, by a bigger one with
 * the same entries, so a lookup in an older index finds every entry that
 * index held, and one that misses looks again under the lock.  Entries
 * leave an index only when every thread is parked for a major collection
 * (stm_hashtables_compact): those without value that no transaction holds.
 */
#include "stm_internal.h"

#include <sched.h>

enum { HASH_INITIAL_CAPACITY = 16, HASH_SPINS_BEFORE_YIELD = 64 };

/* ---- Types ----------------------------------------------------------------- */

/* A dead table leaves the heap's list.  Destructors run with the heap lock
 * held (major collections run under it) or with no thread attached
 * (gc_heap_destroy); the neighbours' memory is intact until the sweep. */
static void table_destructor(void *object) {
    StmHashtable *table = object;
    if (table->previous)
        table->previous->next = table->next;
    else
        table->shared->hashtables = table->next;
    if (table->next) table->next->previous = table->previous;
}

void stm_hashtables_register_types(GcHeap *heap) {
    static const uint32_t table_refs[] = {offsetof(StmHashtable, index)};
    static const uint32_t slot_refs[] = {0};
    static const uint32_t entry_refs[] = {offsetof(StmHashEntry, value)};
    static const uint32_t item_refs[] = {offsetof(StmHashtableItem, value)};
    GcTypeInfo types[] = {
        {.name = "StmHashtable",
         .fixed_size = sizeof(StmHashtable),
         .ref_count = 1,
         .ref_offsets = table_refs,
         .destructor = table_destructor},
        {.name = "StmHashIndex",
         .fixed_size = sizeof(StmHashIndex),
         .item_size = sizeof(StmHashEntry *),
         .length_offset = offsetof(StmHashIndex, capacity),
         .item_ref_count = 1,
         .item_ref_offsets = slot_refs},
        {.name = "StmHashEntry",
         .fixed_size = sizeof(StmHashEntry),
         .ref_count = 1,
         .ref_offsets = entry_refs},
        {.name = "StmHashtableItems",
         .fixed_size = sizeof(StmHashtableItems),
         .item_size = sizeof(StmHashtableItem),
         .length_offset = offsetof(StmHashtableItems, length),
         .item_ref_count = 1,
         .item_ref_offsets = item_refs},
    };
    uint32_t first = gc_heap_register_types(heap, types, 4);
    StmHeap *shared = heap->stm;
    shared->hashtable_type = first;
    shared->hash_index_type = first + 1;
    shared->hash_entry_type = first + 2;
    shared->hash_items_type = first + 3;
}

/* ---- The index --------------------------------------------------------------- */

static size_t home_slot(uint64_t key, int64_t capacity) {
    return (size_t)(gc_mix_hash(key) & (uint64_t)(capacity - 1));
}

static StmHashIndex *current_index(StmHashtable *table) {
    return __atomic_load_n(&table->index, __ATOMIC_ACQUIRE);
}

/* The index is never full (at most half its slots are used), so a probe
 * ends at the key's entry or at an empty slot. */
static StmHashEntry *find_in(StmHashIndex *index, uint64_t key) {
    size_t mask = (size_t)index->capacity - 1;
    for (size_t slot = home_slot(key, index->capacity);; slot = (slot + 1) & mask) {
        StmHashEntry *entry = __atomic_load_n(&index->entries[slot], __ATOMIC_ACQUIRE);
        if (!entry || entry->key == key) return entry;
    }
}

static void put_in(StmHashIndex *index, StmHashEntry *entry) {
    size_t mask = (size_t)index->capacity - 1;
    size_t slot = home_slot(entry->key, index->capacity);
    while (__atomic_load_n(&index->entries[slot], __ATOMIC_RELAXED))
        slot = (slot + 1) & mask;
    __atomic_store_n(&index->entries[slot], entry, __ATOMIC_RELEASE);
    index->count++;
}

static void table_lock(StmHashtable *table) {
    for (unsigned spins = 0;; spins++) {
        uint32_t expected = 0;
        if (atomic_compare_exchange_weak_explicit(&table->lock, &expected, 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return;
        if (spins >= HASH_SPINS_BEFORE_YIELD) sched_yield();
    }
}

static void table_unlock(StmHashtable *table) {
    atomic_store_explicit(&table->lock, 0, memory_order_release);
}

/* Under the table's lock: a copy of the index with twice the slots, which
 * replaces it.  Lookups still probing the old one find what it holds. */
static StmHashIndex *grow(GcThread *thread, StmHashtable *table, StmHashIndex *old) {
    StmHashIndex *index =
        gc_stm_alloc_old(thread, stm_heap_of(thread)->hash_index_type, old->capacity * 2);
    for (int64_t slot = 0; slot < old->capacity; slot++) {
        StmHashEntry *entry = __atomic_load_n(&old->entries[slot], __ATOMIC_RELAXED);
        if (entry) put_in(index, entry);
    }
    __atomic_store_n(&table->index, index, __ATOMIC_RELEASE);
    return index;
}

static StmHashEntry *find_or_create(GcThread *thread, StmHashtable *table, uint64_t key) {
    StmHashEntry *entry = find_in(current_index(table), key);
    if (entry) return entry;
    table_lock(table);
    StmHashIndex *index = current_index(table);
    entry = find_in(index, key);
    if (!entry) {
        if ((index->count + 1) * 2 > index->capacity) index = grow(thread, table, index);
        entry = gc_stm_alloc_old(thread, stm_heap_of(thread)->hash_entry_type, 0);
        entry->key = key;
        put_in(index, entry);
    }
    table_unlock(table);
    return entry;
}

/* ---- Operations ------------------------------------------------------------- */

static StmContext *table_context(GcThread *thread, const char *what) {
    StmContext *context = stm_context_of(thread);
    if (!context->active) gc_fatal("stm: %s outside a transaction", what);
    return context;
}

StmHashtable *stm_hashtable_new(GcThread *thread) {
    StmHeap *shared = stm_heap_of(thread);
    /* Neither allocation collects: the index needs no root. */
    StmHashIndex *index = gc_stm_alloc_old(thread, shared->hash_index_type, HASH_INITIAL_CAPACITY);
    StmHashtable *table = gc_stm_alloc_old(thread, shared->hashtable_type, 0);
    table->index = index;
    table->shared = shared;
    stm_heap_lock(thread->heap);
    table->next = shared->hashtables;
    if (table->next) table->next->previous = table;
    shared->hashtables = table;
    stm_heap_unlock(thread->heap);
    return table;
}

void *stm_hashtable_get(GcThread *thread, StmHashtable *table, uint64_t key) {
    StmContext *context = table_context(thread, "stm_hashtable_get");
    StmHashEntry *entry;
    if (context->serial) {
        /* Alone, reads are not registered: a missing key needs no entry. */
        entry = find_in(current_index(table), key);
        if (!entry) return NULL;
    } else {
        entry = find_or_create(thread, table, key);
    }
    stm_read_barrier(thread, entry);
    return entry->value;
}

void stm_hashtable_set(GcThread *thread, StmHashtable *table, uint64_t key, void *value) {
    StmContext *context = table_context(thread, "stm_hashtable_set");
    /* Alone, removing a key that has no entry changes nothing.  With other
     * transactions it is a write like any other: skipping it would let this
     * transaction serialize before one that committed earlier and added
     * the key. */
    if (!value && context->serial && !find_in(current_index(table), key)) return;
    StmHashEntry *entry = find_or_create(thread, table, key);
    gc_write_barrier(thread, entry);
    void *old = entry->value;
    entry->value = value;
    if (!old != !value) {
        /* The key set changes: no transaction that listed the table may
         * still run (the other half of the fence is in list_begin). */
        atomic_thread_fence(memory_order_seq_cst);
        stm_check_readers(context, table);
    }
}

/* Registers as a reader of the table itself, then returns the index to
 * scan. */
static StmHashIndex *list_begin(GcThread *thread, StmHashtable *table) {
    stm_read_barrier(thread, table);
    atomic_thread_fence(memory_order_seq_cst);
    return current_index(table);
}

int64_t stm_hashtable_length(GcThread *thread, StmHashtable *table) {
    table_context(thread, "stm_hashtable_length");
    StmHashIndex *index = list_begin(thread, table);
    int64_t count = 0;
    for (int64_t slot = 0; slot < index->capacity; slot++) {
        StmHashEntry *entry = __atomic_load_n(&index->entries[slot], __ATOMIC_ACQUIRE);
        if (!entry) continue;
        stm_read_barrier(thread, entry);
        if (entry->value) count++;
    }
    return count;
}

StmHashtableItems *stm_hashtable_items(GcThread *thread, StmHashtable *table) {
    int64_t count = stm_hashtable_length(thread, table);
    /* The allocation can collect: the table stays reachable meanwhile, and
     * the values are read after it (a collection inside the transaction
     * may move the young ones it wrote). */
    gc_push_root(thread, table);
    StmHashtableItems *items =
        gc_alloc_varsize(thread, stm_heap_of(thread)->hash_items_type, sizeof(StmHashtableItems),
                         sizeof(StmHashtableItem), offsetof(StmHashtableItems, length), count);
    table = gc_pop_root(thread);
    /* Every entry counted is registered as read: none can change. */
    StmHashIndex *index = current_index(table);
    int64_t filled = 0;
    for (int64_t slot = 0; slot < index->capacity; slot++) {
        StmHashEntry *entry = __atomic_load_n(&index->entries[slot], __ATOMIC_ACQUIRE);
        if (!entry) continue;
        stm_read_barrier(thread, entry);
        if (!entry->value) continue;
        if (filled == count) gc_fatal("stm: a hash table changed while it was listed");
        items->items[filled++] = (StmHashtableItem){entry->key, entry->value};
    }
    if (filled != count) gc_fatal("stm: a hash table changed while it was listed");
    return items;
}

/* ---- Compaction ------------------------------------------------------------- */

/* An entry stays while it has a value, or a transaction holds it: owner
 * (written) or any reader bit in its orec (read; the orec may be shared, so
 * this keeps a few entries longer, never drops a held one). */
static bool entry_held(StmHeap *shared, StmHashEntry *entry) {
    if (entry->value || (gc_header_load(entry) & GC_STM_OWNER_MASK)) return true;
    return atomic_load_explicit(&shared->orecs[stm_orec_index(entry)], memory_order_relaxed) != 0;
}

static void compact(StmHeap *shared, StmHashtable *table) {
    StmHashIndex *index = table->index;
    StmHashEntry **kept = gc_xmalloc((size_t)index->count * sizeof(StmHashEntry *));
    int64_t count = 0;
    for (int64_t slot = 0; slot < index->capacity; slot++) {
        StmHashEntry *entry = index->entries[slot];
        if (!entry) continue;
        index->entries[slot] = NULL;
        if (entry_held(shared, entry)) kept[count++] = entry;
    }
    index->count = 0;
    for (int64_t i = 0; i < count; i++)
        put_in(index, kept[i]);
    free(kept);
}

void stm_hashtables_compact(GcHeap *heap) {
    StmHeap *shared = heap->stm;
    for (StmHashtable *table = shared->hashtables; table; table = table->next)
        compact(shared, table);
}
