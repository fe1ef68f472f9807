/* gc_minor.c - the nursery's slow path and the minor collection.
 *
 * Expects: the caller holds the GIL, so every other thread is stopped with
 * its references on its shadow stack.
 * Produces: every nursery empty; the survivors copied into the old
 * generation (their references and every root updated), young large
 * objects either promoted in place or freed, remembered sets and card marks
 * consumed, destructors of dead young objects run.
 * Breaks: every pointer to a nursery object that is not in a root, in a
 * remembered object, in a marked card or in another survivor.
 *
 * The copy is Cheney-like without a contiguous to-space: each copy that
 * may hold references is pushed on the heap's gray stack, and the stack is
 * drained until no young reference is left in any copy.
 */
#include "gc_internal.h"

/* Zeroing the nursery a chunk at a time, just ahead of allocation, keeps it
 * out of the collection pause and touches memory that is about to be used. */
#define GC_ZERO_CHUNK (64 * 1024)

/* ---- Allocation slow path ----------------------------------------------- */

static char *nursery_alloc(GcThreadState *state, size_t size) {
    GcThread *thread = &state->public;
    GcHeap *heap = thread->heap;
    if (heap->config.stress) {
        gc_collect_for_allocation(state);
        /* Zero just this object: the next allocation must miss again. */
        gc_unpoison(thread->nursery_free, size);
        memset(thread->nursery_free, 0, size);
        thread->nursery_top = thread->nursery_free + size;
    }
    while (size > (size_t)(thread->nursery_top - thread->nursery_free)) {
        if (size > (size_t)(state->nursery_stop - thread->nursery_free)) {
            gc_collect_for_allocation(state);
            continue;
        }
        char *top = thread->nursery_top + GC_ZERO_CHUNK;
        if (top < thread->nursery_free + size) top = thread->nursery_free + size;
        if (top > state->nursery_stop) top = state->nursery_stop;
        gc_unpoison(thread->nursery_top, (size_t)(top - thread->nursery_top));
        memset(thread->nursery_top, 0, (size_t)(top - thread->nursery_top));
        thread->nursery_top = top;
    }
    char *result = thread->nursery_free;
    thread->nursery_free = result + size;
    return result;
}

/* Large objects are born outside the nursery but count as young until the
 * next minor collection, so that stores into a fresh one need no barrier.
 * Their bytes are charged to the nursery budget: a program allocating only
 * big arrays still gets collected. */
static char *young_large_alloc(GcThreadState *state, const GcLayout *layout, size_t size,
                               int64_t length) {
    GcHeap *heap = state->public.heap;
    if (heap->config.stress || state->young_large_bytes + size > heap->config.nursery_bytes)
        gc_collect_for_allocation(state);
    GcLarge *node = gc_large_alloc(size, gc_card_count_for(layout, length), true);
    gc_list_insert(&state->young_large, node);
#ifdef KILN_STM
    stm_heap_lock(heap);
#endif
    gc_address_set_add(&heap->young_large_set, gc_large_object(node));
    heap->counters.bytes_allocated += size;
#ifdef KILN_STM
    stm_heap_unlock(heap);
#endif
    state->young_large_bytes += node->block_bytes;
    return gc_large_object(node);
}

void *gc_alloc_general(GcThread *thread, uint32_t type_id, size_t size, int64_t length) {
    GcThreadState *state = gc_state_of(thread);
    GcHeap *heap = thread->heap;
    if (type_id == 0 || type_id >= heap->type_count)
        gc_fatal("allocation of unknown type id %u", type_id);
#ifndef KILN_STM
    /* (In the STM build other threads collect their own nurseries
     * meanwhile: the flag is not this thread's.) */
    if (heap->collecting) gc_fatal("allocation during a collection (from a destructor?)");
#endif
    const GcLayout *layout = &heap->layouts[type_id];
    if (layout->flags & GC_LAYOUT_VARSIZE) {
        if (length < 0 ||
            (uint64_t)length > (GC_MAX_OBJECT - layout->fixed_size) / layout->item_size)
            gc_fatal("allocation of %s with invalid length %lld", layout->name, (long long)length);
    } else {
        length = 0;
    }
    /* The inline paths pass the size they computed; recomputing it here keeps
     * the slow path independent of them. */
    size = gc_layout_size(layout, length);
    char *object;
    GcHeader header = gc_young_header(thread, type_id);
    if (size > GC_NURSERY_OBJECT_MAX) {
        object = young_large_alloc(state, layout, size, length);
        header |= GC_FLAG_LARGE;
    } else {
        object = nursery_alloc(state, size);
    }
    if (layout->destructor) {
        header |= GC_FLAG_HAS_DESTRUCTOR;
        gc_destructor_vec_push(&state->young_destructors, object, layout->destructor);
    }
    *(GcHeader *)object = header;
    if (layout->flags & GC_LAYOUT_VARSIZE) *(int64_t *)(object + layout->length_offset) = length;
    return object;
}

void gc_debug_check_alloc(GcThread *thread, uint32_t type_id, size_t size, int64_t length) {
    GcHeap *heap = thread->heap;
    if (type_id == 0 || type_id >= heap->type_count)
        gc_fatal("inline allocation of unknown type id %u", type_id);
    const GcLayout *layout = &heap->layouts[type_id];
    if (layout->destructor)
        gc_fatal("inline allocation of %s, which has a destructor: use gc_alloc_general",
                 layout->name);
    if (size != gc_layout_size(layout, (layout->flags & GC_LAYOUT_VARSIZE) ? length : 0))
        gc_fatal("inline allocation of %s with size %zu, its descriptor says %zu", layout->name,
                 size, gc_layout_size(layout, length));
}

/* ---- Tracing ------------------------------------------------------------ */

/* The header of a young object becoming old.  In the STM build, a commit
 * publishes it (no owner any more); a collection inside a transaction keeps
 * it private: it stays owned by its thread and joins that thread's write
 * set (without a backup: an abort makes it garbage). */
static inline GcHeader stm_promoted_header(GcHeap *heap, GcHeader header, void *copy) {
#ifdef KILN_STM
    if (heap->stm_committing) return header & ~GC_STM_OWNER_MASK;
    gc_vec_push(&heap->stm_collected->remembered, copy);
    return header & ~GC_FLAG_WRITE_BARRIER;
#else
    (void)heap;
    (void)copy;
    return header;
#endif
}

/* A young large object reached by the collection: it becomes old where it
 * is. */
static void promote_large(GcHeap *heap, void *object) {
    GcHeader *header = object;
    const GcLayout *layout = gc_layout_of(heap, object);
    GcLarge *node = gc_large_node(heap, object);
    gc_list_remove(node);
    gc_list_insert(&heap->old_large, node);
    heap->old_bytes += node->block_bytes;
    heap->counters.bytes_promoted += node->block_bytes;
    *header = stm_promoted_header(heap, *header | GC_FLAG_OLD | GC_FLAG_WRITE_BARRIER, object);
    if (node->card_count) *header |= GC_FLAG_HAS_CARDS;
    if (layout->flags & GC_LAYOUT_HAS_REFS) gc_vec_push(&heap->gray, object);
}

/* Most objects are a few words: copy those inline rather than through a
 * library call. */
static inline void copy_object(char *to, const char *from, size_t size) {
    uint64_t *target = (uint64_t *)to;
    const uint64_t *source = (const uint64_t *)from;
    switch (size) {
    case 32: target[3] = source[3]; /* fall through */
    case 24: target[2] = source[2]; /* fall through */
    case 16:
        target[1] = source[1];
        target[0] = source[0];
        return;
    default: memcpy(to, from, size);
    }
}

/* Copies a nursery object into the old generation (once) and returns its
 * new address. */
static void *evacuate(GcHeap *heap, char *object) {
    GcHeader header = gc_header_of(object);
    if (header & GC_FLAG_FORWARDED) return ((void **)object)[1];
    if (header & GC_FLAG_LARGE) {
        promote_large(heap, object);
        return object;
    }
    const GcLayout *layout = &heap->layouts[header & GC_TYPE_ID_MASK];
    size_t size = gc_object_size(layout, object);
    size_t footprint = (header & GC_FLAG_HASH_TAKEN) ? size + 8 : size;
    GcHeader new_header = (header & ~GC_FLAG_HASH_TAKEN) | GC_FLAG_OLD | GC_FLAG_WRITE_BARRIER;
    char *copy;
    if (footprint <= GC_SMALL_MAX) {
        copy = gc_old_alloc_small_inline(heap, footprint);
    } else {
        int64_t length = (layout->flags & GC_LAYOUT_VARSIZE) ? gc_length_of(layout, object) : 0;
        GcLarge *node = gc_large_alloc(footprint, gc_card_count_for(layout, length), false);
        gc_list_insert(&heap->old_large, node);
        heap->old_bytes += node->block_bytes;
        copy = gc_large_object(node);
        new_header |= GC_FLAG_LARGE | (node->card_count ? GC_FLAG_HAS_CARDS : 0);
    }
    new_header = stm_promoted_header(heap, new_header, copy);
    copy_object(copy, object, size);
    if (header & GC_FLAG_HASH_TAKEN) {
        new_header |= GC_FLAG_HASH_STORED;
        *(uint64_t *)(copy + size) = gc_hash_of_young(heap, object);
    }
    *(GcHeader *)copy = new_header;
    *(GcHeader *)object = header | GC_FLAG_FORWARDED;
    ((void **)object)[1] = copy;
    heap->counters.bytes_promoted += footprint;
    heap->counters.bytes_copied += footprint;
    if (layout->flags & GC_LAYOUT_HAS_REFS) gc_vec_push(&heap->gray, copy);
    return copy;
}

/* Most references met by a minor collection point to old objects (roots,
 * cards of big tables): the range test keeps them from costing a cache
 * miss on their header. */
static inline void trace_slot(GcHeap *heap, void **slot) {
    void *reference = *slot;
    if ((uintptr_t)reference - heap->young_low < heap->young_span) {
        if (!(gc_header_of(reference) & GC_FLAG_OLD)) *slot = evacuate(heap, reference);
    } else if (gc_address_set_contains(&heap->young_large_set, reference)) {
        if (!(gc_header_of(reference) & GC_FLAG_OLD)) promote_large(heap, reference);
    }
}

static void trace_items(GcHeap *heap, char *object, const GcLayout *layout, int64_t from,
                        int64_t to) {
    char *items = object + layout->fixed_size;
    if (layout->flags & GC_LAYOUT_REF_ARRAY) {
        void **slots = (void **)items;
        for (int64_t index = from; index < to; index++)
            trace_slot(heap, &slots[index]);
        return;
    }
    for (int64_t index = from; index < to; index++) {
        char *item = items + (size_t)index * layout->item_size;
        for (uint32_t k = 0; k < layout->item_ref_count; k++)
            trace_slot(heap, (void **)(item + layout->item_ref_offsets[k]));
    }
}

static void trace_object(GcHeap *heap, char *object) {
    const GcLayout *layout = gc_layout_of(heap, object);
    for (uint32_t k = 0; k < layout->ref_count; k++)
        trace_slot(heap, (void **)(object + layout->ref_offsets[k]));
    if (layout->flags & GC_LAYOUT_ITEM_REFS)
        trace_items(heap, object, layout, 0, gc_length_of(layout, object));
}

/* Only the marked cards of the array: the rest of it holds no young
 * reference. */
static void trace_cards(GcHeap *heap, char *object) {
    const GcLayout *layout = gc_layout_of(heap, object);
    int64_t length = gc_length_of(layout, object);
    int64_t cards = (length + GC_CARD_ITEMS - 1) >> GC_CARD_SHIFT;
    for (int64_t card = 0; card < cards; card++) {
        uint8_t *mark = gc_card_of(object, card << GC_CARD_SHIFT);
        if (!*mark) continue;
        *mark = 0;
        int64_t from = card << GC_CARD_SHIFT;
        int64_t to = from + GC_CARD_ITEMS < length ? from + GC_CARD_ITEMS : length;
        trace_items(heap, object, layout, from, to);
        heap->counters.cards_scanned++;
    }
    *(GcHeader *)object &= ~GC_FLAG_CARDS_SET;
}

/* ---- The collection ----------------------------------------------------- */

/* The roots that belong to one thread: its shadow stack, its remembered
 * set (in the STM build, its write set, which stays as it is until the
 * transaction ends) and its marked cards. */
static void trace_thread_roots(GcHeap *heap, GcThreadState *state) {
    for (void **slot = state->root_base; slot < state->public.root_top; slot++)
        trace_slot(heap, slot);
    for (size_t i = 0; i < state->remembered.count; i++) {
        char *object = state->remembered.items[i];
        trace_object(heap, object);
#ifndef KILN_STM
        *(GcHeader *)object |= GC_FLAG_WRITE_BARRIER;
#endif
    }
#ifndef KILN_STM
    state->remembered.count = 0;
#endif
    for (size_t i = 0; i < state->card_objects.count; i++)
        trace_cards(heap, state->card_objects.items[i]);
    state->card_objects.count = 0;
}

static void trace_roots(GcHeap *heap) {
    for (size_t i = 0; i < heap->static_roots.count; i++)
        trace_slot(heap, (void **)heap->static_roots.items[i]);
    for (GcThreadState *state = heap->threads; state; state = state->next)
        trace_thread_roots(heap, state);
}

/* Destructor entries of young objects: survivors move to the old list,
 * the others run now, while their memory is still intact. */
static void young_destructors(GcHeap *heap, GcThreadState *state) {
    for (size_t i = 0; i < state->young_destructors.count; i++) {
        GcDestructorEntry *entry = &state->young_destructors.items[i];
        GcHeader header = gc_header_of(entry->object);
        if (header & GC_FLAG_FORWARDED)
            gc_destructor_vec_push(&heap->old_destructors, ((void **)entry->object)[1],
                                   entry->destructor);
        else if (header & GC_FLAG_OLD)
            gc_destructor_vec_push(&heap->old_destructors, entry->object, entry->destructor);
        else
            gc_run_destructor(heap, entry);
    }
    state->young_destructors.count = 0;
}

static void reset_nursery(GcHeap *heap, GcThreadState *state) {
    GcThread *thread = &state->public;
    heap->counters.bytes_allocated += (uint64_t)(thread->nursery_free - state->nursery_start);
    GcLarge *sentinel = &state->young_large;
    while (sentinel->next != sentinel) {
        GcLarge *dead = sentinel->next;
        gc_list_remove(dead);
        gc_large_free(dead);
    }
    state->young_large_bytes = 0;
#ifdef KILN_STM
    /* Transactions are short and every commit empties the nursery: re-zero
     * only the part used, and keep the zeroed part ahead for the next one,
     * instead of zeroing a whole chunk per transaction. */
    if (!heap->config.stress) {
        memset(state->nursery_start, 0, (size_t)(thread->nursery_free - state->nursery_start));
        thread->nursery_free = state->nursery_start;
        state->nursery_stop = state->nursery_start + heap->nursery_limit;
        if (thread->nursery_top > state->nursery_stop) {
            gc_poison(state->nursery_stop, (size_t)(thread->nursery_top - state->nursery_stop));
            thread->nursery_top = state->nursery_stop;
        }
        return;
    }
#endif
    gc_poison(state->nursery_start, (size_t)(thread->nursery_top - state->nursery_start));
    thread->nursery_free = thread->nursery_top = state->nursery_start;
    state->nursery_stop = state->nursery_start + heap->nursery_limit;
}

/* The pause of a minor collection is the time to copy its survivors.  When
 * the last one promoted a large share of what was allocated, the next one
 * is given less nursery, so that at the same survival rate it copies about
 * minor_budget_bytes; the limit grows back at most twofold per collection
 * (a young-generation sizing policy in the spirit of G1's pause target,
 * with bytes instead of measured time so that runs are reproducible). */
static void update_nursery_limit(GcHeap *heap, uint64_t used, uint64_t copied) {
    size_t full = heap->config.nursery_bytes;
    size_t budget = heap->config.minor_budget_bytes;
    size_t smallest = 4 * GC_NURSERY_OBJECT_MAX;
    if (!budget || heap->config.stress) {
        heap->nursery_limit = full;
        return;
    }
    double wanted = copied ? (double)budget * (double)used / (double)copied : (double)full;
    double grown = 2.0 * (double)heap->nursery_limit;
    if (wanted > grown) wanted = grown;
    if (wanted > (double)full) wanted = (double)full;
    if (wanted < (double)smallest) wanted = (double)smallest;
    heap->nursery_limit = (size_t)wanted & ~(size_t)4095;
}

void gc_run_destructor(GcHeap *heap, GcDestructorEntry *entry) {
    entry->destructor(entry->object);
    heap->counters.destructors_run++;
}

void gc_minor_collection(GcHeap *heap) {
    GcPauseStart started = gc_pause_begin();
    uint64_t copied_before = heap->counters.bytes_copied;
    uint64_t used = 0;
    for (GcThreadState *state = heap->threads; state; state = state->next)
        used += (uint64_t)(state->public.nursery_free - state->nursery_start) +
                state->young_large_bytes;
    heap->collecting = true;
    trace_roots(heap);
    while (heap->gray.count)
        trace_object(heap, heap->gray.items[--heap->gray.count]);
    /* Every destructor list first: an entry may name an object of another
     * thread's nursery. */
    for (GcThreadState *state = heap->threads; state; state = state->next)
        young_destructors(heap, state);
    update_nursery_limit(heap, used, heap->counters.bytes_copied - copied_before);
    gc_address_set_clear(&heap->young_large_set);
    for (GcThreadState *state = heap->threads; state; state = state->next)
        reset_nursery(heap, state);
    heap->collecting = false;
    if (heap->old_bytes > heap->counters.old_bytes_peak)
        heap->counters.old_bytes_peak = heap->old_bytes;
    heap->counters.minor_collections++;
    gc_pause_end(started, &heap->counters.minor_pauses, &heap->counters.minor_cpu);
    if (heap->config.verify) gc_verify_or_die(heap, "after a minor collection");
}

#ifdef KILN_STM
/* The young large objects of the other threads stay in the set. */
static void rebuild_young_large_set(GcHeap *heap) {
    gc_address_set_clear(&heap->young_large_set);
    for (GcThreadState *other = heap->threads; other; other = other->next)
        for (GcLarge *node = other->young_large.next; node != &other->young_large;
             node = node->next)
            gc_address_set_add(&heap->young_large_set, gc_large_object(node));
}

bool gc_has_young(GcThreadState *state) {
    return state->public.nursery_free != state->nursery_start ||
           state->young_large.next != &state->young_large;
}

void gc_trace_root_slot(GcHeap *heap, void **slot) {
    trace_slot(heap, slot);
}

void gc_minor_collect_thread(GcHeap *heap, GcThreadState *state, bool committing) {
    GcPauseStart started = gc_pause_begin();
    uint64_t copied_before = heap->counters.bytes_copied;
    uint64_t used =
        (uint64_t)(state->public.nursery_free - state->nursery_start) + state->young_large_bytes;
    heap->collecting = true;
    heap->stm_collected = state;
    heap->stm_committing = committing;
    /* Only this thread's roots: no other thread can reference its young
     * objects (they are private until this collection publishes them). */
    trace_thread_roots(heap, state);
    stm_minor_roots(heap, state);
    while (heap->gray.count)
        trace_object(heap, heap->gray.items[--heap->gray.count]);
    young_destructors(heap, state);
    update_nursery_limit(heap, used, heap->counters.bytes_copied - copied_before);
    reset_nursery(heap, state);
    rebuild_young_large_set(heap);
    heap->stm_collected = NULL;
    heap->collecting = false;
    if (heap->old_bytes > heap->counters.old_bytes_peak)
        heap->counters.old_bytes_peak = heap->old_bytes;
    heap->counters.minor_collections++;
    gc_pause_end(started, &heap->counters.minor_pauses, &heap->counters.minor_cpu);
}

void gc_minor_discard(GcHeap *heap, GcThreadState *state) {
    heap->collecting = true;
    /* Nothing was traced: every young destructor entry is dead. */
    young_destructors(heap, state);
    reset_nursery(heap, state);
    rebuild_young_large_set(heap);
    heap->collecting = false;
}

void gc_collect_for_allocation(GcThreadState *state) {
    stm_collect_for_allocation(state);
}

void gc_collect_minor(GcThread *thread) {
    stm_collect_minor(gc_state_of(thread));
}

void gc_collect_major(GcThread *thread) {
    stm_collect_major(gc_state_of(thread));
}
#else
void gc_collect_for_allocation(GcThreadState *state) {
    GcHeap *heap = state->public.heap;
    if (!gc_holds_gil(heap, state)) gc_fatal("allocation without the GIL");
    gc_minor_collection(heap);
    if (heap->old_bytes > heap->major_threshold) gc_major_collection(heap);
}

void gc_collect_minor(GcThread *thread) {
    if (!gc_holds_gil(thread->heap, gc_state_of(thread)))
        gc_fatal("gc_collect_minor without the GIL");
    gc_minor_collection(thread->heap);
}

void gc_collect_major(GcThread *thread) {
    if (!gc_holds_gil(thread->heap, gc_state_of(thread)))
        gc_fatal("gc_collect_major without the GIL");
    gc_minor_collection(thread->heap);
    gc_major_collection(thread->heap);
}
#endif
