/* gc_barrier.c - the slow paths of the write barriers, the identity hash and
 * destructor registration.
 *
 * The remembered-set invariant, which the verifier checks:
 *   an old object that holds a reference to a young object either has
 *   GC_FLAG_WRITE_BARRIER clear and is in some thread's remembered set, or
 *   has cards and the card of every item holding such a reference is marked
 *   (and the object is in some thread's card list);
 *   conversely an old object without GC_FLAG_WRITE_BARRIER is in a
 *   remembered set, so the next young reference stored into it is seen.
 * The inline barrier tests one flag; the slow path runs once per object
 * (or once per card) between two minor collections.
 */
#include "gc_internal.h"

void gc_write_barrier_slow(GcThread *thread, void *object) {
#ifdef KILN_STM
    /* Callers that skip the inline test get the STM barrier too. */
    if ((gc_header_load(object) & GC_STM_OWNER_MASK) != thread->stm_owner)
        stm_write_slow(thread, object);
    return;
#endif
    GcHeader *header = object;
    if (!(*header & GC_FLAG_WRITE_BARRIER)) return;
    *header &= ~GC_FLAG_WRITE_BARRIER;
    gc_vec_push(&gc_state_of(thread)->remembered, object);
    if ((*header & GC_FLAG_PREBUILT) && !(*header & GC_FLAG_PREBUILT_ROOT)) {
        *header |= GC_FLAG_PREBUILT_ROOT;
        gc_vec_push(&thread->heap->prebuilt_roots, object);
    }
}

void gc_write_barrier_array_slow(GcThread *thread, void *array, int64_t index) {
#ifdef KILN_STM
    (void)index;
    gc_write_barrier_slow(thread, array);
    return;
#endif
    GcHeader *header = array;
    if (!(*header & GC_FLAG_WRITE_BARRIER)) return;
    if (!(*header & GC_FLAG_HAS_CARDS)) {
        gc_write_barrier_slow(thread, array);
        return;
    }
#ifdef KILN_DEBUG
    const GcLayout *layout = gc_layout_of(thread->heap, array);
    if (index < 0 || index >= gc_length_of(layout, array))
        gc_fatal("array barrier on %s with index %lld out of [0, %lld)", layout->name,
                 (long long)index, (long long)gc_length_of(layout, array));
#endif
    *gc_card_of(array, index) = 1;
    if (!(*header & GC_FLAG_CARDS_SET)) {
        *header |= GC_FLAG_CARDS_SET;
        gc_vec_push(&gc_state_of(thread)->card_objects, array);
    }
}

uint64_t gc_identity_hash(GcThread *thread, void *object) {
    GcHeader header = gc_header_load(object);
    if (header & GC_FLAG_HASH_STORED) {
        const GcLayout *layout = gc_layout_of(thread->heap, object);
        return *(uint64_t *)((char *)object + gc_object_size(layout, object));
    }
    /* Only nursery objects move; the flag makes the copy keep the hash.
     * (A nursery object is its thread's alone: a plain store.) */
    if (header & (GC_FLAG_OLD | GC_FLAG_LARGE)) return gc_hash_of_address(object);
    *(GcHeader *)object = header | GC_FLAG_HASH_TAKEN;
#ifdef KILN_STM
    /* A nursery object is its own thread's: that thread's count. */
    return gc_hash_of_young(gc_state_of(thread)->minor_count, object);
#else
    return gc_hash_of_young(thread->heap->counters.minor_collections, object);
#endif
}

static bool replace_entry(GcDestructorVec *list, void *object, GcDestructor destructor) {
    for (size_t i = 0; i < list->count; i++)
        if (list->items[i].object == object) {
            list->items[i].destructor = destructor;
            return true;
        }
    return false;
}

#ifdef KILN_STM
/* STM build: a young object is its thread's, so its entry is in that
 * thread's list; the old list is shared (other threads' collections add to
 * it: the heap lock), and so is an old object's header (other transactions
 * lock it: an atomic or). */
void gc_register_destructor(GcThread *thread, void *object, GcDestructor destructor) {
    GcHeap *heap = thread->heap;
    GcHeader header = gc_header_load(object);
    bool found;
    if (!(header & GC_FLAG_OLD)) {
        GcDestructorVec *young = &gc_state_of(thread)->young_destructors;
        if (!(header & GC_FLAG_HAS_DESTRUCTOR)) {
            *(GcHeader *)object = header | GC_FLAG_HAS_DESTRUCTOR;
            gc_destructor_vec_push(young, object, destructor);
            return;
        }
        found = replace_entry(young, object, destructor);
    } else {
        stm_heap_lock(heap);
        if (!(header & GC_FLAG_HAS_DESTRUCTOR)) {
            __atomic_fetch_or((GcHeader *)object, GC_FLAG_HAS_DESTRUCTOR, __ATOMIC_RELAXED);
            gc_destructor_vec_push(&heap->old_destructors, object, destructor);
            found = true;
        } else {
            found = replace_entry(&heap->old_destructors, object, destructor);
        }
        stm_heap_unlock(heap);
    }
    if (!found) gc_fatal("object %p has GC_FLAG_HAS_DESTRUCTOR but no destructor entry", object);
}
#else
void gc_register_destructor(GcThread *thread, void *object, GcDestructor destructor) {
    GcHeader *header = object;
    GcHeap *heap = thread->heap;
    if (*header & GC_FLAG_HAS_DESTRUCTOR) {
        if (replace_entry(&heap->old_destructors, object, destructor)) return;
        for (GcThreadState *state = heap->threads; state; state = state->next)
            if (replace_entry(&state->young_destructors, object, destructor)) return;
        gc_fatal("object %p has GC_FLAG_HAS_DESTRUCTOR but no destructor entry", object);
    }
    *header |= GC_FLAG_HAS_DESTRUCTOR;
    if (*header & GC_FLAG_OLD)
        gc_destructor_vec_push(&heap->old_destructors, object, destructor);
    else
        gc_destructor_vec_push(&gc_state_of(thread)->young_destructors, object, destructor);
}
#endif
