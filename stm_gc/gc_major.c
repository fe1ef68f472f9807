/* gc_major.c - the major collection: mark-sweep of the old generation.
 *
 * Expects: a minor collection just ran, so no young object exists, every
 * remembered set is empty and every old object has GC_FLAG_WRITE_BARRIER
 * (except the ones with cards, which always keep it).  The caller holds the
 * GIL.
 * Produces: every old object unreachable from the roots freed (after its
 * destructor ran); the survivors unmarked again; the next threshold.
 *
 * Roots: the shadow stacks, the registered global slots and the prebuilt
 * objects that were ever written (GC_FLAG_PREBUILT_ROOT).  Marking never
 * enters a prebuilt object reached through a reference: one never written
 * points only to prebuilt objects, and one written is a root anyway.
 *
 * Towards an incremental collector (README.md, "Incremental marking"): the
 * marking is already a loop over an explicit gray stack (the heap's `gray`
 * vector), so it can stop after a budget of objects and resume after the
 * next minor collection; what it lacks today is the barrier work during
 * the marking phase, and a lazy sweep.
 */
#include "gc_internal.h"

static inline void mark(GcHeap *heap, void *reference) {
    if (!reference) return;
    GcHeader *header = reference;
    if (*header & (GC_FLAG_MARKED | GC_FLAG_PREBUILT)) return;
    *header |= GC_FLAG_MARKED;
    if (gc_layout_of(heap, reference)->flags & GC_LAYOUT_HAS_REFS)
        gc_vec_push(&heap->gray, reference);
}

static void mark_fields(GcHeap *heap, char *object) {
    const GcLayout *layout = gc_layout_of(heap, object);
    for (uint32_t k = 0; k < layout->ref_count; k++)
        mark(heap, *(void **)(object + layout->ref_offsets[k]));
    if (!(layout->flags & GC_LAYOUT_ITEM_REFS)) return;
    int64_t length = gc_length_of(layout, object);
    char *items = object + layout->fixed_size;
    if (layout->flags & GC_LAYOUT_REF_ARRAY) {
        void **slots = (void **)items;
        for (int64_t index = 0; index < length; index++)
            mark(heap, slots[index]);
        return;
    }
    for (int64_t index = 0; index < length; index++) {
        char *item = items + (size_t)index * layout->item_size;
        for (uint32_t k = 0; k < layout->item_ref_count; k++)
            mark(heap, *(void **)(item + layout->item_ref_offsets[k]));
    }
}

static void mark_roots(GcHeap *heap) {
    for (GcThreadState *state = heap->threads; state; state = state->next)
        for (void **slot = state->root_base; slot < state->public.root_top; slot++)
            mark(heap, *slot);
    for (size_t i = 0; i < heap->static_roots.count; i++)
        mark(heap, *(void **)heap->static_roots.items[i]);
    for (size_t i = 0; i < heap->prebuilt_roots.count; i++)
        mark_fields(heap, heap->prebuilt_roots.items[i]);
#ifdef KILN_STM
    /* Transactions in flight: their write sets, backups, saved shadow
     * stacks and task queues (stm_sync.c). */
    stm_major_roots(heap, mark, mark_fields);
#endif
}

/* Runs the destructors of the unmarked objects; keeps the other entries. */
static void old_destructors(GcHeap *heap) {
    GcDestructorVec *list = &heap->old_destructors;
    size_t kept = 0;
    for (size_t i = 0; i < list->count; i++) {
        GcHeader header = gc_header_of(list->items[i].object);
        if (header & (GC_FLAG_MARKED | GC_FLAG_PREBUILT))
            list->items[kept++] = list->items[i];
        else
            gc_run_destructor(heap, &list->items[i]);
    }
    list->count = kept;
}

void gc_major_collection(GcHeap *heap) {
    GcPauseStart started = gc_pause_begin();
    heap->collecting = true;
    mark_roots(heap);
    while (heap->gray.count)
        mark_fields(heap, heap->gray.items[--heap->gray.count]);
    old_destructors(heap);
    gc_sweep_pages(heap);
    gc_sweep_large(heap);
    double next = (double)heap->old_bytes * heap->config.major_growth;
    heap->major_threshold =
        next > (double)heap->config.major_min_bytes ? (size_t)next : heap->config.major_min_bytes;
    heap->collecting = false;
    heap->counters.major_collections++;
    gc_pause_end(started, &heap->counters.major_pauses, &heap->counters.major_cpu);
    if (heap->config.verify) gc_verify_or_die(heap, "after a major collection");
}
