/* gc_minor.c - the nursery's slow path and the minor collection.
 *
 * Expects: without STM, the caller holds the GIL, so every other thread is
 * stopped with its references on its shadow stack.  With STM, a minor
 * collection covers one thread (gc_minor_collect_thread), run by that
 * thread at a point where its references are on its shadow stack; no other
 * thread can reference its young objects, and the others run on.
 * Produces: the nurseries collected empty; the survivors copied into the
 * old generation (their references and every root updated), young large
 * objects either promoted in place or freed, remembered sets and card marks
 * consumed (in the STM build the write set stays until the transaction
 * ends), destructors of dead young objects run.
 * Breaks: every pointer to a nursery object that is not in a root, in a
 * remembered object, in a marked card or in another survivor.
 *
 * The copy is Cheney-like without a contiguous to-space: each copy that
 * may hold references is pushed on a gray stack, and the stack is drained
 * until no young reference is left in any copy.
 *
 * STM build: what a collection of one thread touches is that thread's
 * (nursery, roots, write set, young large objects and their set, gray
 * stack, its current old-generation pages: gc_heap.c), except the heap's
 * lists (old large objects, old destructors), which it changes under the
 * heap lock, and the counters, which take atomic adds.  So the collections
 * that end commits in different threads run at the same time.
 */
#include "gc_internal.h"

/* Zeroing the nursery a chunk at a time, just ahead of allocation, keeps it
 * out of the collection pause and touches memory that is about to be used. */
#define GC_ZERO_CHUNK (64 * 1024)

/* ---- Allocation slow path ----------------------------------------------- */

#ifdef KILN_STM
/* Moves nursery_top up by a chunk, at most to `limit`, zeroing what an
 * earlier cycle left dirty there. */
static void nursery_extend(GcThreadState *state, size_t size, char *limit) {
    GcThread *thread = &state->public;
    char *from = thread->nursery_top;
    char *top = from + GC_ZERO_CHUNK;
    if (top < thread->nursery_free + size) top = thread->nursery_free + size;
    if (top > limit) top = limit;
    gc_unpoison(from, (size_t)(top - from));
    if (from < state->nursery_dirty)
        memset(from, 0, (size_t)((top < state->nursery_dirty ? top : state->nursery_dirty) - from));
    thread->nursery_top = top;
}

/* The STM build's slow path: past the soft stop, the engine is told
 * (stm_nursery_nearly_full), which usually ends the running transaction at
 * its next break point, so that it commits before its nursery fills; a
 * collection inside a transaction keeps everything it promotes (dead or
 * not) in the write set until the commit. */
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
    /* Pointers are compared, not differences: past the soft stop,
     * `soft_stop - free` is negative, and as a size it passed the test
     * below, which then left nursery_top behind nursery_free. */
    while (size > (size_t)(thread->nursery_top - thread->nursery_free)) {
        if (size > (size_t)(state->nursery_stop - thread->nursery_free)) {
            gc_collect_for_allocation(state);
            continue;
        }
        if (thread->nursery_free <= state->nursery_soft_stop &&
            size <= (size_t)(state->nursery_soft_stop - thread->nursery_free)) {
            nursery_extend(state, size, state->nursery_soft_stop);
            continue;
        }
        if (thread->nursery_top <= state->nursery_soft_stop) stm_nursery_nearly_full(state);
        nursery_extend(state, size, state->nursery_stop);
    }
    char *result = thread->nursery_free;
    thread->nursery_free = result + size;
    return result;
}
#else
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
#endif

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
    /* Each thread collects its own young large objects. */
    gc_address_set_add(&state->young_large_set, gc_large_object(node));
    __atomic_fetch_add(&heap->counters.bytes_allocated, (uint64_t)size, __ATOMIC_RELAXED);
#else
    gc_address_set_add(&heap->young_large_set, gc_large_object(node));
    heap->counters.bytes_allocated += size;
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

/* A minor collection in progress: where the young objects are, where the
 * copies still to scan wait, and what it promoted.  Without STM the
 * collection covers every thread and all of this is the heap's (a pass is
 * the heap itself); with STM it is one thread's, running beside others. */
#ifdef KILN_STM
typedef struct MinorPass {
    GcHeap *heap;
    GcThreadState *state; /* the one thread collected */
    /* Its transaction commits (copies lose their owner), or goes on
     * (copies stay owned and join its write set). */
    bool committing;
    uint64_t promoted; /* bytes, added to the heap's counters at the end */
    uint64_t copied;
    uint64_t cards;
} MinorPass;

static inline GcHeap *pass_heap(MinorPass *pass) {
    return pass->heap;
}
static inline GcPtrVec *pass_gray(MinorPass *pass) {
    return &pass->state->gray;
}
/* The range is exactly this thread's nursery: no header to confirm. */
static inline bool pass_in_nursery(MinorPass *pass, const void *reference) {
    GcThreadState *state = pass->state;
    return (uintptr_t)reference - (uintptr_t)state->nursery_start <
           (uintptr_t)(state->nursery_end - state->nursery_start);
}
static inline GcAddressSet *pass_young_large(MinorPass *pass) {
    return &pass->state->young_large_set;
}
static inline void pass_count(MinorPass *pass, size_t promoted, size_t copied) {
    pass->promoted += promoted;
    pass->copied += copied;
}
static inline void pass_count_card(MinorPass *pass) {
    pass->cards++;
}
#else
typedef GcHeap MinorPass;

static inline GcHeap *pass_heap(MinorPass *pass) {
    return pass;
}
static inline GcPtrVec *pass_gray(MinorPass *pass) {
    return &pass->gray;
}
/* With several threads the range may also cover old memory: a hit is
 * confirmed by the header. */
static inline bool pass_in_nursery(MinorPass *pass, const void *reference) {
    return (uintptr_t)reference - pass->young_low < pass->young_span &&
           !(gc_header_of(reference) & GC_FLAG_OLD);
}
static inline GcAddressSet *pass_young_large(MinorPass *pass) {
    return &pass->young_large_set;
}
static inline void pass_count(MinorPass *pass, size_t promoted, size_t copied) {
    pass->counters.bytes_promoted += promoted;
    pass->counters.bytes_copied += copied;
}
static inline void pass_count_card(MinorPass *pass) {
    pass->counters.cards_scanned++;
}
#endif

/* The header of a young object becoming old.  In the STM build, a commit
 * publishes it (no owner any more); a collection inside a transaction keeps
 * it private: it stays owned by its thread and joins that thread's write
 * set (without a backup: an abort makes it garbage). */
static inline GcHeader promoted_header(MinorPass *pass, GcHeader header, void *copy) {
#ifdef KILN_STM
    if (pass->committing) return header & ~GC_STM_OWNER_MASK;
    gc_vec_push(&pass->state->remembered, copy);
    return header & ~GC_FLAG_WRITE_BARRIER;
#else
    (void)pass;
    (void)copy;
    return header;
#endif
}

/* A large block joins the old generation. */
static void old_large_insert(MinorPass *pass, GcLarge *node) {
#ifdef KILN_STM
    gc_stm_old_large_insert(pass->heap, node);
#else
    gc_list_insert(&pass->old_large, node);
    pass->old_bytes += node->block_bytes;
#endif
}

/* A young large object reached by the collection: it becomes old where it
 * is. */
static void promote_large(MinorPass *pass, void *object) {
    GcHeader *header = object;
    const GcLayout *layout = gc_layout_of(pass_heap(pass), object);
    GcLarge *node = gc_large_node(pass_heap(pass), object);
    gc_list_remove(node);
    old_large_insert(pass, node);
    pass_count(pass, node->block_bytes, 0);
    GcHeader promoted =
        promoted_header(pass, *header | GC_FLAG_OLD | GC_FLAG_WRITE_BARRIER, object);
    if (node->card_count) promoted |= GC_FLAG_HAS_CARDS;
    *header = promoted;
    if (layout->flags & GC_LAYOUT_HAS_REFS) gc_vec_push(pass_gray(pass), object);
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
static void *evacuate(MinorPass *pass, char *object) {
    GcHeap *heap = pass_heap(pass);
    GcHeader header = gc_header_of(object);
    if (header & GC_FLAG_FORWARDED) return ((void **)object)[1];
    if (header & GC_FLAG_LARGE) {
        promote_large(pass, object);
        return object;
    }
    const GcLayout *layout = &heap->layouts[header & GC_TYPE_ID_MASK];
    size_t size = gc_object_size(layout, object);
    size_t footprint = (header & GC_FLAG_HASH_TAKEN) ? size + 8 : size;
    GcHeader new_header = (header & ~GC_FLAG_HASH_TAKEN) | GC_FLAG_OLD | GC_FLAG_WRITE_BARRIER;
    char *copy;
    if (footprint <= GC_SMALL_MAX) {
#ifdef KILN_STM
        copy = gc_stm_old_alloc_small(heap, pass->state, footprint);
#else
        copy = gc_old_alloc_small_inline(heap, footprint);
#endif
    } else {
        int64_t length = (layout->flags & GC_LAYOUT_VARSIZE) ? gc_length_of(layout, object) : 0;
        GcLarge *node = gc_large_alloc(footprint, gc_card_count_for(layout, length), false);
        old_large_insert(pass, node);
        copy = gc_large_object(node);
        new_header |= GC_FLAG_LARGE | (node->card_count ? GC_FLAG_HAS_CARDS : 0);
    }
    new_header = promoted_header(pass, new_header, copy);
    copy_object(copy, object, size);
    if (header & GC_FLAG_HASH_TAKEN) {
        new_header |= GC_FLAG_HASH_STORED;
#ifdef KILN_STM
        *(uint64_t *)(copy + size) = gc_hash_of_young(pass->state->minor_count, object);
#else
        *(uint64_t *)(copy + size) = gc_hash_of_young(heap->counters.minor_collections, object);
#endif
    }
    *(GcHeader *)copy = new_header;
    *(GcHeader *)object = header | GC_FLAG_FORWARDED;
    ((void **)object)[1] = copy;
    pass_count(pass, footprint, footprint);
    if (layout->flags & GC_LAYOUT_HAS_REFS) gc_vec_push(pass_gray(pass), copy);
    return copy;
}

/* Most references met by a minor collection point to old objects (roots,
 * cards of big tables): the range test keeps them from costing a cache
 * miss on their header. */
static inline void trace_slot(MinorPass *pass, void **slot) {
    void *reference = *slot;
    if (pass_in_nursery(pass, reference)) {
        *slot = evacuate(pass, reference);
    } else if (gc_address_set_contains(pass_young_large(pass), reference)) {
        if (!(gc_header_of(reference) & GC_FLAG_OLD)) promote_large(pass, reference);
    }
}

static void trace_items(MinorPass *pass, char *object, const GcLayout *layout, int64_t from,
                        int64_t to) {
    char *items = object + layout->fixed_size;
    if (layout->flags & GC_LAYOUT_REF_ARRAY) {
        void **slots = (void **)items;
        for (int64_t index = from; index < to; index++)
            trace_slot(pass, &slots[index]);
        return;
    }
    for (int64_t index = from; index < to; index++) {
        char *item = items + (size_t)index * layout->item_size;
        for (uint32_t k = 0; k < layout->item_ref_count; k++)
            trace_slot(pass, (void **)(item + layout->item_ref_offsets[k]));
    }
}

static void trace_object(MinorPass *pass, char *object) {
    const GcLayout *layout = gc_layout_of(pass_heap(pass), object);
    for (uint32_t k = 0; k < layout->ref_count; k++)
        trace_slot(pass, (void **)(object + layout->ref_offsets[k]));
    if (layout->flags & GC_LAYOUT_ITEM_REFS)
        trace_items(pass, object, layout, 0, gc_length_of(layout, object));
}

/* Only the marked cards of the array: the rest of it holds no young
 * reference. */
static void trace_cards(MinorPass *pass, char *object) {
    const GcLayout *layout = gc_layout_of(pass_heap(pass), object);
    int64_t length = gc_length_of(layout, object);
    int64_t cards = (length + GC_CARD_ITEMS - 1) >> GC_CARD_SHIFT;
    for (int64_t card = 0; card < cards; card++) {
        uint8_t *mark = gc_card_of(object, card << GC_CARD_SHIFT);
        if (!*mark) continue;
        *mark = 0;
        int64_t from = card << GC_CARD_SHIFT;
        int64_t to = from + GC_CARD_ITEMS < length ? from + GC_CARD_ITEMS : length;
        trace_items(pass, object, layout, from, to);
        pass_count_card(pass);
    }
    *(GcHeader *)object &= ~GC_FLAG_CARDS_SET;
}

static void drain_gray(MinorPass *pass) {
    GcPtrVec *gray = pass_gray(pass);
    while (gray->count)
        trace_object(pass, gray->items[--gray->count]);
}

/* ---- The collection ----------------------------------------------------- */

/* The roots that belong to one thread: its shadow stack, its remembered
 * set (in the STM build, its write set, which stays as it is until the
 * transaction ends) and its marked cards. */
static void trace_thread_roots(MinorPass *pass, GcThreadState *state) {
    for (void **slot = state->root_base; slot < state->public.root_top; slot++)
        trace_slot(pass, slot);
    for (size_t i = 0; i < state->remembered.count; i++) {
        char *object = state->remembered.items[i];
        trace_object(pass, object);
#ifndef KILN_STM
        *(GcHeader *)object |= GC_FLAG_WRITE_BARRIER;
#endif
    }
#ifndef KILN_STM
    state->remembered.count = 0;
#endif
    for (size_t i = 0; i < state->card_objects.count; i++)
        trace_cards(pass, state->card_objects.items[i]);
    state->card_objects.count = 0;
}

/* Destructor entries of young objects: survivors move to the old list,
 * the others run now, while their memory is still intact. */
static void young_destructors(GcHeap *heap, GcThreadState *state) {
    if (!state->young_destructors.count) return;
#ifdef KILN_STM
    stm_heap_lock(heap); /* the old list and the counter are the heap's */
#endif
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
#ifdef KILN_STM
    stm_heap_unlock(heap);
#endif
}

static void free_young_large(GcThreadState *state) {
    GcLarge *sentinel = &state->young_large;
    while (sentinel->next != sentinel) {
        GcLarge *dead = sentinel->next;
        gc_list_remove(dead);
        gc_large_free(dead);
    }
    state->young_large_bytes = 0;
}

/* The pause of a minor collection is the time to copy its survivors.  When
 * the last one promoted a large share of what was allocated, the next one
 * is given less nursery, so that at the same survival rate it copies about
 * minor_budget_bytes; the limit grows back at most twofold per collection
 * (a young-generation sizing policy in the spirit of G1's pause target,
 * with bytes instead of measured time so that runs are reproducible). */
static void update_nursery_limit(GcHeap *heap, size_t *limit, uint64_t used, uint64_t copied) {
    size_t full = heap->config.nursery_bytes;
    size_t budget = heap->config.minor_budget_bytes;
    size_t smallest = 4 * GC_NURSERY_OBJECT_MAX;
    if (!budget || heap->config.stress) {
        *limit = full;
        return;
    }
    double wanted = copied ? (double)budget * (double)used / (double)copied : (double)full;
    double grown = 2.0 * (double)*limit;
    if (wanted > grown) wanted = grown;
    if (wanted > (double)full) wanted = (double)full;
    if (wanted < (double)smallest) wanted = (double)smallest;
    *limit = (size_t)wanted & ~(size_t)4095;
}

void gc_run_destructor(GcHeap *heap, GcDestructorEntry *entry) {
    entry->destructor(entry->object);
    heap->counters.destructors_run++;
}

#ifndef KILN_STM
static void reset_nursery(GcHeap *heap, GcThreadState *state) {
    GcThread *thread = &state->public;
    heap->counters.bytes_allocated += (uint64_t)(thread->nursery_free - state->nursery_start);
    free_young_large(state);
    gc_poison(state->nursery_start, (size_t)(thread->nursery_top - state->nursery_start));
    thread->nursery_free = thread->nursery_top = state->nursery_start;
    state->nursery_stop = state->nursery_start + heap->nursery_limit;
}

void gc_minor_collection(GcHeap *heap) {
    GcPauseStart started = gc_pause_begin();
    uint64_t used = 0;
    for (GcThreadState *state = heap->threads; state; state = state->next)
        used += (uint64_t)(state->public.nursery_free - state->nursery_start) +
                state->young_large_bytes;
    uint64_t copied_before = heap->counters.bytes_copied;
    heap->collecting = true;
    for (size_t i = 0; i < heap->static_roots.count; i++)
        trace_slot(heap, (void **)heap->static_roots.items[i]);
    for (GcThreadState *state = heap->threads; state; state = state->next)
        trace_thread_roots(heap, state);
    drain_gray(heap);
    /* Every destructor list first: an entry may name an object of another
     * thread's nursery. */
    for (GcThreadState *state = heap->threads; state; state = state->next)
        young_destructors(heap, state);
    update_nursery_limit(heap, &heap->nursery_limit, used,
                         heap->counters.bytes_copied - copied_before);
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
#else
/* ---- The STM build: per-thread collections ------------------------------ */

void gc_stm_set_nursery_stops(GcThreadState *state) {
    GcThread *thread = &state->public;
    size_t limit = state->nursery_limit;
    state->nursery_stop = state->nursery_start + limit;
    state->nursery_soft_stop = state->nursery_stop - limit / 4;
    if (thread->nursery_top > state->nursery_soft_stop) {
        gc_poison(state->nursery_soft_stop,
                  (size_t)(thread->nursery_top - state->nursery_soft_stop));
        thread->nursery_top = state->nursery_soft_stop;
    }
}

/* After a short transaction (the common case) the little it used is
 * re-zeroed at once and the zeroed space ahead is kept; after a long one,
 * the slow path zeroes a chunk at a time just ahead of use, as without
 * STM.  Stress mode makes every allocation miss the fast path. */
static void reset_nursery(GcHeap *heap, GcThreadState *state) {
    GcThread *thread = &state->public;
    size_t used = (size_t)(thread->nursery_free - state->nursery_start);
    __atomic_fetch_add(&heap->counters.bytes_allocated, (uint64_t)used, __ATOMIC_RELAXED);
    free_young_large(state);
    gc_address_set_clear(&state->young_large_set);
    if (used <= GC_ZERO_CHUNK && !heap->config.stress) {
        memset(state->nursery_start, 0, used);
    } else {
        if (thread->nursery_free > state->nursery_dirty)
            state->nursery_dirty = thread->nursery_free;
        gc_poison(state->nursery_start, (size_t)(thread->nursery_top - state->nursery_start));
        thread->nursery_top = state->nursery_start;
    }
    thread->nursery_free = state->nursery_start;
    /* Its addresses are reused from now on: young identity hashes change
     * epoch. */
    state->minor_count++;
    gc_stm_set_nursery_stops(state);
}

bool gc_has_young(GcThreadState *state) {
    return state->public.nursery_free != state->nursery_start ||
           state->young_large.next != &state->young_large;
}

static void visit_root_slot(void *pass, void **slot) {
    trace_slot(pass, slot);
}

static void add_counters(GcHeap *heap, const MinorPass *pass) {
    GcCounters *counters = &heap->counters;
    __atomic_fetch_add(&counters->bytes_promoted, pass->promoted, __ATOMIC_RELAXED);
    __atomic_fetch_add(&counters->bytes_copied, pass->copied, __ATOMIC_RELAXED);
    __atomic_fetch_add(&counters->cards_scanned, pass->cards, __ATOMIC_RELAXED);
    __atomic_fetch_add(&counters->minor_collections, 1, __ATOMIC_RELAXED);
    uint64_t now = __atomic_load_n(&heap->old_bytes, __ATOMIC_RELAXED);
    uint64_t peak = __atomic_load_n(&counters->old_bytes_peak, __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&counters->old_bytes_peak, &peak, now, true,
                                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

void gc_minor_collect_thread(GcHeap *heap, GcThreadState *state, bool committing) {
    /* Timing costs a system call per collection, and there is one per
     * commit: only when the statistics are printed. */
    bool timed = heap->config.print_stats;
    GcPauseStart started = timed ? gc_pause_begin() : (GcPauseStart){0, 0};
    uint64_t used =
        (uint64_t)(state->public.nursery_free - state->nursery_start) + state->young_large_bytes;
    MinorPass pass = {.heap = heap, .state = state, .committing = committing};
    /* Only this thread's roots: no other thread can reference its young
     * objects (they are private until this collection publishes them). */
    trace_thread_roots(&pass, state);
    stm_minor_roots(state, visit_root_slot, &pass);
    drain_gray(&pass);
    young_destructors(heap, state);
    /* A commit after a short transaction used little of the nursery: its
     * survival rate says nothing about that of a full one. */
    if (used >= state->nursery_limit / 2) {
        update_nursery_limit(heap, &state->nursery_limit, used, pass.copied);
        state->low_survival = pass.copied * 16 <= used;
    }
    reset_nursery(heap, state);
    gc_stm_flush_old_bytes(heap, state);
    add_counters(heap, &pass);
    if (timed) {
        stm_heap_lock(heap);
        gc_pause_end(started, &heap->counters.minor_pauses, &heap->counters.minor_cpu);
        stm_heap_unlock(heap);
    }
}

void gc_minor_discard(GcHeap *heap, GcThreadState *state) {
    /* Nothing was traced: every young destructor entry is dead. */
    young_destructors(heap, state);
    reset_nursery(heap, state);
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
#endif
