/* stm_sync.c - threads and the collector under STM: attach and detach,
 * serial mode, safe regions, the rendezvous of major collections, and the
 * roots the collector must know about.
 *
 * Expects: the heap was created by the STM build (stm_heap_init ran).
 * Produces: per-thread slots (owner field, orec bit); a major collection
 * only while every attached thread is parked at a GC point (its nursery
 * emptied by a minor collection of its own) or in a safe region;
 * transactions in flight survive it (their write sets, backups, saved
 * shadow stacks and tasks are roots).
 *
 * The heap lock (StmHeap.lock) guards the thread list, the rendezvous and
 * the heap's shared lists; a minor collection runs without it (gc_minor.c)
 * and takes it only for those lists, so no caller holds it around one.  A
 * major collection runs under it, in the last thread to park.  Waits poll
 * (a timed condition wait) so that a parked thread also sees an inevitable
 * transaction's request to abort.
 */
#include "stm_internal.h"

#include <time.h>

void stm_heap_lock(GcHeap *heap) {
    pthread_mutex_lock(&heap->stm->lock);
}

void stm_heap_unlock(GcHeap *heap) {
    pthread_mutex_unlock(&heap->stm->lock);
}

static bool env_on(const char *name) {
    const char *value = getenv(name);
    return value && *value && strcmp(value, "0") != 0;
}

void stm_heap_init(GcHeap *heap) {
    StmHeap *shared = gc_xcalloc(1, sizeof(StmHeap));
    pthread_mutex_init(&shared->lock, NULL);
    pthread_cond_init(&shared->changed, NULL);
    stm_tasks_init(shared);
    shared->orecs = gc_map(STM_OREC_COUNT * sizeof(uint64_t));
    shared->print_stats = env_on("KILN_STM_STATS");
    shared->report = env_on("KILN_STM_REPORT");
    shared->stress = env_on("KILN_STM_STRESS");
    shared->timing = shared->print_stats || shared->report;
    shared->automatic_inevitable = true;
    heap->stm = shared;
}

void stm_heap_finish(GcHeap *heap) {
    StmHeap *shared = heap->stm;
    if (shared->print_stats) stm_print_stats(heap, stderr);
    gc_unmap((void *)shared->orecs, STM_OREC_COUNT * sizeof(uint64_t));
    stm_tasks_finish(shared);
    pthread_mutex_destroy(&shared->lock);
    pthread_cond_destroy(&shared->changed);
    free(shared);
    heap->stm = NULL;
}

void stm_heap_set_automatic_inevitable(GcHeap *heap, bool enabled) {
    heap->stm->automatic_inevitable = enabled;
}

/* A condition wait of at most a millisecond, under shared->lock. */
static void wait_briefly(StmHeap *shared) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&shared->changed, &shared->lock, &until);
}

/* ---- Threads ------------------------------------------------------------- */

static bool someone_serial(StmHeap *shared, StmContext *except) {
    for (int slot = 0; slot < STM_MAX_THREADS; slot++)
        if (shared->slots[slot] && shared->slots[slot] != except && shared->slots[slot]->serial)
            return true;
    return false;
}

void stm_thread_attach(GcThreadState *state) {
    GcThread *thread = &state->public;
    GcHeap *heap = thread->heap;
    StmHeap *shared = heap->stm;
    StmContext *context = gc_xcalloc(1, sizeof(StmContext));
    context->state = state;
    context->length = STM_LENGTH_INITIAL;
    state->stm = context;
    pthread_mutex_lock(&shared->lock);
    while (shared->major_pending)
        wait_briefly(shared);
    /* The engine's own types come after the program's, which it registers
     * before the first attach: its ids start at 1 in both builds, so that
     * generated code can number its types at translation time. */
    if (!shared->hashtable_type) stm_hashtables_register_types(heap);
    if (shared->used_slots == ~UINT64_C(0))
        gc_fatal("stm: more than %d threads attached", STM_MAX_THREADS);
    int slot = __builtin_ctzll(~shared->used_slots);
    shared->used_slots |= UINT64_C(1) << slot;
    shared->slots[slot] = context;
    context->slot = slot;
    context->number = ++shared->next_number;
    context->random = gc_mix_hash((uint64_t)context->number) | 1;
    thread->stm_owner = (GcHeader)(slot + 1) << GC_STM_OWNER_SHIFT;
    thread->stm_owner_number = (uint8_t)(slot + 1);
    thread->stm_reader_bit = UINT64_C(1) << slot;
    /* Untouched pages of the map stay unbacked zero pages. */
    thread->stm_read_marks = gc_map(STM_OREC_COUNT);
    /* The pass table starts zeroed (parallel mode): only its own entry. */
    thread->stm_read_pass[thread->stm_owner_number] = 1;
    gc_thread_link(heap, state);
    atomic_fetch_add(&shared->thread_count, 1);
    shared->running++;
    /* A thread running alone in serial mode reads without registering:
     * it must end that transaction before this thread starts any. */
    while (someone_serial(shared, context)) {
        for (int other = 0; other < STM_MAX_THREADS; other++)
            if (shared->slots[other] && shared->slots[other]->serial)
                atomic_fetch_or(&shared->slots[other]->state->public.stm_signal,
                                STM_SIGNAL_SHORTEN);
        wait_briefly(shared);
    }
    pthread_mutex_unlock(&shared->lock);
}

void stm_thread_detach(GcThreadState *state) {
    StmContext *context = state->stm;
    GcHeap *heap = state->public.heap;
    StmHeap *shared = heap->stm;
    if (context->active) gc_fatal("stm: gc_thread_detach inside a transaction");
    if (gc_has_young(state) || context->pending_tasks.count) {
        gc_minor_collect_thread(heap, state, true);
        stm_tasks_publish(context);
    }
    pthread_mutex_lock(&shared->lock);
    gc_stm_release_pages(heap, state);
    gc_thread_unlink(heap, state);
    atomic_fetch_sub(&shared->thread_count, 1);
    shared->running--;
    shared->used_slots &= ~(UINT64_C(1) << context->slot);
    shared->slots[context->slot] = NULL;
    stm_counters_add(&shared->totals, &context->counters);
    pthread_cond_broadcast(&shared->changed);
    pthread_mutex_unlock(&shared->lock);
    gc_unmap(state->public.stm_read_marks, STM_OREC_COUNT);
    state->public.stm_read_marks = NULL;
    free(context->reads);
    free(context->backups);
    free(context->backup_area);
    free(context->saved_roots);
    free(context->pending_tasks.items);
    free(context);
    state->stm = NULL;
}

/* ---- Serial mode and the inevitable token -------------------------------- */

void stm_choose_mode(StmContext *context) {
    GcThread *thread = &context->state->public;
    StmHeap *shared = thread->heap->stm;
    bool serial = false;
    if (!shared->stress && atomic_load(&shared->thread_count) == 1) {
        pthread_mutex_lock(&shared->lock);
        serial = atomic_load(&shared->thread_count) == 1;
        context->serial = serial;
        pthread_mutex_unlock(&shared->lock);
    }
    /* Alone, nothing can conflict and reads need no registration: the
     * read barrier's first test then always passes (stm.h). */
    stm_set_read_pass(thread, serial);
}

void stm_leave_serial(StmContext *context) {
    StmHeap *shared = context->state->public.heap->stm;
    pthread_mutex_lock(&shared->lock);
    context->serial = false;
    pthread_cond_broadcast(&shared->changed);
    pthread_mutex_unlock(&shared->lock);
}

/* Outside any transaction (nothing held, nursery empty): wait until the
 * token is free and take it.  The time waited is time the inevitable
 * transaction blocked this thread. */
void stm_wait_inevitable_token(StmContext *context) {
    GcThread *thread = &context->state->public;
    StmHeap *shared = thread->heap->stm;
    uint64_t started = shared->timing ? stm_now_ns() : 0;
    for (;;) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&shared->inevitable_slot, &expected, context->slot + 1))
            break;
        if (atomic_load_explicit(&thread->stm_signal, memory_order_relaxed) & STM_SIGNAL_PARK)
            stm_park(context);
        sched_yield();
    }
    context->inevitable = true;
    context->inevitable_reason = context->want_inevitable;
    context->inevitable_where = thread->stm_location;
    context->counters.inevitable_transactions++;
    context->want_inevitable = NULL;
    if (shared->timing) {
        uint64_t now = stm_now_ns();
        atomic_fetch_add_explicit(&shared->nanoseconds_blocked, now - started,
                                  memory_order_relaxed);
        context->inevitable_since_ns = now;
        context->blocked_before_ns =
            atomic_load_explicit(&shared->nanoseconds_blocked, memory_order_relaxed);
    }
}

/* ---- Safe regions --------------------------------------------------------- */

void stm_safe_region_enter(GcThread *thread) {
    StmContext *context = stm_context_of(thread);
    StmHeap *shared = thread->heap->stm;
    if (context->active) gc_fatal("stm: gc_gil_release inside a transaction");
    if (gc_has_young(context->state) || context->pending_tasks.count) {
        gc_minor_collect_thread(thread->heap, context->state, true);
        stm_tasks_publish(context);
    }
    pthread_mutex_lock(&shared->lock);
    shared->running--;
    pthread_cond_broadcast(&shared->changed);
    pthread_mutex_unlock(&shared->lock);
}

void stm_safe_region_leave(GcThread *thread) {
    StmHeap *shared = thread->heap->stm;
    pthread_mutex_lock(&shared->lock);
    while (shared->major_pending)
        wait_briefly(shared);
    shared->running++;
    pthread_mutex_unlock(&shared->lock);
}

/* ---- Collections ----------------------------------------------------------- */

/* Under the lock: ask every thread to park. */
static void request_major(StmHeap *shared) {
    if (shared->major_pending) return;
    shared->major_pending = true;
    for (int slot = 0; slot < STM_MAX_THREADS; slot++)
        if (shared->slots[slot])
            atomic_fetch_or(&shared->slots[slot]->state->public.stm_signal, STM_SIGNAL_PARK);
}

void stm_park(StmContext *context) {
    GcThreadState *state = context->state;
    GcThread *thread = &state->public;
    GcHeap *heap = thread->heap;
    StmHeap *shared = heap->stm;
    pthread_mutex_lock(&shared->lock);
    while (shared->major_pending && gc_has_young(state)) {
        /* Empty the nursery first (pending tasks' arguments are in it, if
         * young), outside the lock: a minor collection takes it for the
         * heap's lists.  The major collection cannot start meanwhile, as
         * this thread is not parked yet. */
        pthread_mutex_unlock(&shared->lock);
        gc_minor_collect_thread(heap, state, !context->active);
        pthread_mutex_lock(&shared->lock);
    }
    if (shared->major_pending) {
        shared->parked++;
        while (shared->major_pending) {
            if (shared->parked == shared->running) {
                stm_hashtables_compact(heap);
                gc_major_collection(heap);
                shared->major_pending = false;
                for (int slot = 0; slot < STM_MAX_THREADS; slot++)
                    if (shared->slots[slot])
                        atomic_fetch_and(&shared->slots[slot]->state->public.stm_signal,
                                         ~(unsigned)STM_SIGNAL_PARK);
                pthread_cond_broadcast(&shared->changed);
                break;
            }
            wait_briefly(shared);
            if (context->active && !context->inevitable &&
                (atomic_load(&thread->stm_signal) & STM_SIGNAL_ABORT)) {
                /* An inevitable transaction waits for what this one holds,
                 * and the collection waits for it: give up the attempt. */
                shared->parked--;
                pthread_mutex_unlock(&shared->lock);
                stm_check_abort_request(context);
                pthread_mutex_lock(&shared->lock);
                shared->parked++;
            }
        }
        shared->parked--;
    }
    atomic_fetch_and(&thread->stm_signal, ~(unsigned)STM_SIGNAL_PARK);
    pthread_mutex_unlock(&shared->lock);
}

/* Whether a transaction ends when its nursery is (nearly) full.  A
 * collection inside a transaction keeps everything it promotes in the write
 * set until the commit, so by default the transaction commits first.  In
 * parallel mode, when this thread's collections promote little, the
 * transaction runs on to its length budget instead: every commit ends the
 * registrations of everything the transaction read, which the next one
 * makes again, so fewer commits mean fewer atomic operations per read
 * object.  Only while its length was not cut by aborts: under conflicts,
 * short transactions lose less work. */
static bool ends_with_nursery(StmContext *context) {
    return context->serial || !context->state->low_survival || context->length < STM_LENGTH_INITIAL;
}

void stm_collect_for_allocation(GcThreadState *state) {
    StmContext *context = state->stm;
    GcHeap *heap = state->public.heap;
    StmHeap *shared = heap->stm;
    if (context->active) stm_check_abort_request(context);
    gc_minor_collect_thread(heap, state, !context->active);
    pthread_mutex_lock(&shared->lock);
    bool major = __atomic_load_n(&heap->old_bytes, __ATOMIC_RELAXED) > heap->major_threshold;
    if (major) request_major(shared);
    pthread_mutex_unlock(&shared->lock);
    if (major) stm_park(context);
    if (!context->active) return;
    /* A transaction that filled its nursery is long enough: the next break
     * point ends it (unless its collections promote little, above).  Inside
     * an atomic section it cannot break, so it becomes inevitable when no
     * other transaction is (it will not lose that much work to an abort). */
    if (ends_with_nursery(context)) state->public.stm_budget = -1;
    if (context->atomic_depth > 0 && !context->serial && shared->automatic_inevitable &&
        !context->inevitable && atomic_load(&shared->inevitable_slot) == 0) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&shared->inevitable_slot, &expected,
                                           context->slot + 1)) {
            context->inevitable = true;
            context->inevitable_reason = "nursery full in an atomic section";
            context->inevitable_where = state->public.stm_location;
            context->counters.inevitable_transactions++;
            if (shared->timing) {
                context->inevitable_since_ns = stm_now_ns();
                context->blocked_before_ns = atomic_load(&shared->nanoseconds_blocked);
            }
        }
    }
}

/* The nursery passed its soft stop: the transaction ends at its next
 * break point, before the nursery fills (an atomic section cannot break,
 * and goes on). */
void stm_nursery_nearly_full(GcThreadState *state) {
    StmContext *context = state->stm;
    if (context->active && context->atomic_depth == 0 && ends_with_nursery(context))
        state->public.stm_budget = -1;
}

void stm_collect_minor(GcThreadState *state) {
    gc_minor_collect_thread(state->public.heap, state, !state->stm->active);
}

void stm_request_major(GcHeap *heap) {
    pthread_mutex_lock(&heap->stm->lock);
    request_major(heap->stm);
    pthread_mutex_unlock(&heap->stm->lock);
}

void stm_collect_major(GcThreadState *state) {
    StmHeap *shared = state->public.heap->stm;
    pthread_mutex_lock(&shared->lock);
    request_major(shared);
    pthread_mutex_unlock(&shared->lock);
    stm_park(state->stm);
}

void stm_minor_roots(GcThreadState *state, GcSlotVisitor visit, void *pass) {
    stm_tasks_trace_minor(state->stm, visit, pass);
}

void stm_major_roots(GcHeap *heap, void (*mark)(GcHeap *, void *),
                     void (*mark_fields)(GcHeap *, char *)) {
    StmHeap *shared = heap->stm;
    for (int slot = 0; slot < STM_MAX_THREADS; slot++) {
        StmContext *context = shared->slots[slot];
        if (!context) continue;
        GcThreadState *state = context->state;
        /* The write set: objects new in the transaction are reachable only
         * through it until it commits. */
        for (size_t i = 0; i < state->remembered.count; i++)
            mark(heap, state->remembered.items[i]);
        /* What an abort would restore. */
        for (size_t i = 0; i < context->backup_count; i++)
            mark_fields(heap, context->backup_area + context->backups[i].offset);
        for (size_t i = 0; i < context->saved_count; i++)
            mark(heap, context->saved_roots[i]);
        stm_tasks_mark(heap, context, mark);
    }
    stm_tasks_mark_queue(heap, mark);
}
