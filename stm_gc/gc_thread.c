/* gc_thread.c - thread contexts, shadow stacks and the GIL.
 *
 * Expects: gc_thread_attach runs on the thread it registers.
 * Produces: a context whose nursery and shadow stack belong to that thread
 * alone; the heap's list of attached threads, which collections walk.
 *
 * Why a GIL: in the build without STM, a minor collection empties every
 * thread's nursery, so every thread must be stopped with all its
 * references on its shadow stack.  Holding one lock while running GC'd code
 * gives exactly that for free: a thread that does not hold the lock is
 * blocked in gc_gil_acquire or has released it on purpose at a point where
 * its roots are spilled.  The STM build replaces the lock with transactions
 * and private nurseries (README.md).
 */
#include "gc_internal.h"

#include <time.h>

_Thread_local GcThread *gc_current_thread;

/* Sets where the thread's nursery allocation stops, from the heap's
 * current nursery limit, which collections change: call it holding the GIL
 * (or, in the STM build, the heap lock). */
static void context_open_nursery(GcHeap *heap, GcThreadState *state) {
    GcThread *thread = &state->public;
    state->nursery_stop = state->nursery_start + heap->nursery_limit;
    thread->nursery_free = state->nursery_start;
    /* A fresh mapping is already zero: the nursery is ready, except in
     * stress mode where every allocation must miss the fast path. */
    thread->nursery_top = heap->config.stress ? state->nursery_start : state->nursery_stop;
#ifdef KILN_STM
    state->nursery_dirty = state->nursery_start;
    state->nursery_limit = heap->nursery_limit;
    gc_stm_set_nursery_stops(state);
#endif
    gc_poison(thread->nursery_top, (size_t)(state->nursery_end - thread->nursery_top));
}

/* A context with its nursery and shadow stack, not yet in the thread list;
 * its nursery opens with context_open_nursery. */
static GcThreadState *context_new(GcHeap *heap) {
    GcThreadState *state = gc_xcalloc(1, sizeof(GcThreadState));
    GcThread *thread = &state->public;
    size_t nursery = heap->config.nursery_bytes;
    state->nursery_start = gc_map(nursery);
    state->nursery_end = state->nursery_start + nursery;
    state->root_slots = heap->config.shadow_stack_slots;
    state->root_base = gc_map(state->root_slots * sizeof(void *));
    thread->root_top = state->root_base;
    thread->root_limit = state->root_base + state->root_slots;
    thread->heap = heap;
    thread->gil_drop_request = &heap->gil.drop_request;
    gc_list_init(&state->young_large);
    return state;
}

static void context_free(GcThreadState *state) {
    gc_unpoison(state->nursery_start, (size_t)(state->nursery_end - state->nursery_start));
    gc_unmap(state->nursery_start, (size_t)(state->nursery_end - state->nursery_start));
    gc_unmap(state->root_base, state->root_slots * sizeof(void *));
    gc_vec_free(&state->remembered);
    gc_vec_free(&state->card_objects);
    free(state->young_destructors.items);
#ifdef KILN_STM
    free(state->young_large_set.slots);
    gc_vec_free(&state->gray);
#endif
    free(state);
}

/* Unlinks a context from the heap's list of attached threads. */
static void unlink_thread(GcHeap *heap, GcThreadState *state) {
    GcThreadState **link = &heap->threads;
    while (*link != state)
        link = &(*link)->next;
    *link = state->next;
    heap->thread_count--;
    gc_update_young_range(heap);
}

void gc_update_young_range(GcHeap *heap) {
    uintptr_t low = UINTPTR_MAX, high = 0;
    for (GcThreadState *state = heap->threads; state; state = state->next) {
        if ((uintptr_t)state->nursery_start < low) low = (uintptr_t)state->nursery_start;
        if ((uintptr_t)state->nursery_end > high) high = (uintptr_t)state->nursery_end;
    }
    heap->young_low = low;
    heap->young_span = high > low ? high - low : 0;
}

#ifdef KILN_STM
/* STM build: no GIL.  The STM engine links the context in under its lock
 * (stm_sync.c) and gives it its slot, owner bits and transaction state. */
GcThread *gc_thread_attach(GcHeap *heap) {
    /* The nursery limit changes under the STM heap lock. */
    GcThreadState *state = context_new(heap);
    stm_heap_lock(heap);
    context_open_nursery(heap, state);
    stm_heap_unlock(heap);
    stm_thread_attach(state);
    gc_current_thread = &state->public;
    return &state->public;
}

void gc_thread_detach(GcThread *thread) {
    GcThreadState *state = gc_state_of(thread);
    if (thread->root_top != state->root_base)
        gc_fatal("gc_thread_detach with %td roots still on the shadow stack",
                 thread->root_top - state->root_base);
    stm_thread_detach(state);
    if (gc_current_thread == thread) gc_current_thread = NULL;
    context_free(state);
}

/* Called by stm_sync.c under its lock. */
void gc_thread_link(GcHeap *heap, GcThreadState *state) {
    state->next = heap->threads;
    heap->threads = state;
    heap->thread_count++;
    gc_update_young_range(heap);
}

void gc_thread_unlink(GcHeap *heap, GcThreadState *state) {
    unlink_thread(heap, state);
}

/* Around blocking calls: the thread leaves (and later rejoins) the set of
 * threads that a major collection must wait for. */
void gc_gil_acquire(GcThread *thread) {
    stm_safe_region_leave(thread);
}

void gc_gil_release(GcThread *thread) {
    stm_safe_region_enter(thread);
}

void gc_safe_point_slow(GcThread *thread) {
    stm_signal_slow(thread);
}

bool gc_holds_gil(GcHeap *heap, GcThreadState *state) {
    (void)heap;
    (void)state;
    return true;
}
#else
GcThread *gc_thread_attach(GcHeap *heap) {
    GcThreadState *state = context_new(heap);
    GcThread *thread = &state->public;
    gc_gil_acquire(thread);
    context_open_nursery(heap, state);
    state->next = heap->threads;
    heap->threads = state;
    heap->thread_count++;
    gc_update_young_range(heap);
    gc_current_thread = thread;
    return thread;
}

static void gil_release(GcHeap *heap) {
    GcGil *gil = &heap->gil;
    pthread_mutex_lock(&gil->mutex);
    atomic_store_explicit(&gil->holder, NULL, memory_order_relaxed);
    gil->now_serving++;
    if (gil->waiters) pthread_cond_broadcast(&gil->turn);
    pthread_mutex_unlock(&gil->mutex);
}

void gc_thread_detach(GcThread *thread) {
    GcThreadState *state = gc_state_of(thread);
    GcHeap *heap = thread->heap;
    if (!gc_holds_gil(heap, state)) gc_fatal("gc_thread_detach without the GIL");
    if (thread->root_top != state->root_base)
        gc_fatal("gc_thread_detach with %td roots still on the shadow stack",
                 thread->root_top - state->root_base);
    /* Other threads may reference this nursery's objects, and the
     * remembered set must be consumed: a minor collection does both. */
    gc_minor_collection(heap);
    unlink_thread(heap, state);
    if (gc_current_thread == thread) gc_current_thread = NULL;
    context_free(state);
    gil_release(heap);
}

bool gc_holds_gil(GcHeap *heap, GcThreadState *state) {
    return atomic_load_explicit(&heap->gil.holder, memory_order_relaxed) == state;
}

/* Waits for the turn of `ticket`; when a whole switch interval passes with
 * the same holder, asks it to hand over at its next safe point. */
static void gil_wait_turn(GcGil *gil, uint64_t ticket) {
    gil->waiters++;
    while (ticket != gil->now_serving) {
        uint64_t serving = gil->now_serving;
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_nsec += GC_GIL_INTERVAL_NS;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        int status = 0;
        while (status == 0 && serving == gil->now_serving)
            status = pthread_cond_timedwait(&gil->turn, &gil->mutex, &deadline);
        if (serving == gil->now_serving)
            atomic_store_explicit(&gil->drop_request, 1, memory_order_relaxed);
    }
    gil->waiters--;
}

void gc_gil_acquire(GcThread *thread) {
    GcGil *gil = &thread->heap->gil;
    pthread_mutex_lock(&gil->mutex);
    uint64_t ticket = gil->next_ticket++;
    if (ticket != gil->now_serving) gil_wait_turn(gil, ticket);
    /* A fresh interval for the new holder; a waiter still there asks again
     * when it runs out. */
    atomic_store_explicit(&gil->drop_request, 0, memory_order_relaxed);
    atomic_store_explicit(&gil->holder, gc_state_of(thread), memory_order_relaxed);
    pthread_mutex_unlock(&gil->mutex);
}

void gc_gil_release(GcThread *thread) {
    if (!gc_holds_gil(thread->heap, gc_state_of(thread)))
        gc_fatal("gc_gil_release by a thread that does not hold the GIL");
    gil_release(thread->heap);
}

/* A waiter asked for the lock: let it run.  The lock is served in ticket
 * order, so the waiter gets it before this thread's new ticket comes up. */
void gc_safe_point_slow(GcThread *thread) {
    gc_gil_release(thread);
    gc_gil_acquire(thread);
}

#endif

_Noreturn void gc_shadow_stack_overflow(GcThread *thread) {
    gc_fatal("shadow stack overflow (%zu slots): recursion too deep",
             gc_state_of(thread)->root_slots);
}
