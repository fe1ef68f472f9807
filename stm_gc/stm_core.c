/* stm_core.c - transactions: begin, the barriers' slow paths, conflicts,
 * commit, abort and inevitability.
 *
 * Expects: the calling thread is attached (stm_sync.c gave it a slot) and
 * follows stm.h's rules (barriers before accesses, references on the shadow
 * stack at GC points).
 * Produces: serializable, opaque transactions.  Every old object a
 * transaction reads is registered in its orec (visible reader) and every
 * old object it writes carries its owner field (write lock) until the
 * transaction ends; a transaction that meets another's lock or reader bit
 * aborts itself, unless it is inevitable, in which case it asks the other
 * to abort and waits.  So two running transactions never access one
 * object in conflicting ways, and every object a transaction saw keeps its
 * value until it ends: that is strict two-phase locking, hence
 * serializable, and no transaction ever sees an uncommitted or changing
 * value (opacity).  Commit has nothing left to validate; it publishes the
 * young objects (a minor collection of the thread's nursery) and then
 * releases the locks.
 * Breaks: nothing outside the thread's own structures; an abort longjmps
 * to the restart point (stm.h).
 */
#include "stm_internal.h"

#include <sched.h>

/* ---- Logs ---------------------------------------------------------------- */

static void push_read(StmContext *context, size_t index) {
    if (context->read_count == context->read_capacity) {
        context->read_capacity = context->read_capacity ? context->read_capacity * 2 : 256;
        context->reads = gc_xrealloc(context->reads, context->read_capacity * sizeof(size_t));
    }
    context->reads[context->read_count++] = index;
}

static void push_backup(StmContext *context, void *object) {
    GcHeap *heap = context->state->public.heap;
    const GcLayout *layout = gc_layout_of(heap, object);
    size_t bytes = gc_object_size(layout, object);
    if (context->backup_count == context->backup_capacity) {
        context->backup_capacity = context->backup_capacity ? context->backup_capacity * 2 : 64;
        context->backups =
            gc_xrealloc(context->backups, context->backup_capacity * sizeof(StmBackup));
    }
    if (context->backup_used + bytes > context->backup_area_capacity) {
        size_t capacity = context->backup_area_capacity ? context->backup_area_capacity : 64 * 1024;
        while (capacity < context->backup_used + bytes)
            capacity *= 2;
        context->backup_area = gc_xrealloc(context->backup_area, capacity);
        context->backup_area_capacity = capacity;
    }
    size_t offset = context->backup_used;
    context->backup_used += bytes;
    char *copy = context->backup_area + offset;
    /* Other threads may still try to lock the object (and fail): its
     * header is read atomically, the fields are this thread's now. */
    *(GcHeader *)copy = gc_header_load(object);
    if (bytes <= 64) {
        /* Most objects written are small: words, without a call. */
        for (size_t word = 1; word < bytes / sizeof(uint64_t); word++)
            ((uint64_t *)copy)[word] = ((const uint64_t *)object)[word];
    } else {
        memcpy((char *)copy + sizeof(GcHeader), (char *)object + sizeof(GcHeader),
               bytes - sizeof(GcHeader));
    }
    context->backups[context->backup_count++] = (StmBackup){object, offset, bytes};
}

/* Ends the transaction's hold on everything: restores the backups first
 * when `restore` (abort), then clears the owner fields (with release
 * order, so that the next owner or reader sees the final contents) and
 * this thread's reader bits. */
void stm_release_all(StmContext *context, bool restore) {
    GcThreadState *state = context->state;
    GcThread *thread = &state->public;
    /* Only the words the transaction changed: the others may be read
     * meanwhile by code that runs outside the transactional protocol (the
     * immutable key of a hash table entry, stm_hashtable.c). */
    for (size_t i = 0; restore && i < context->backup_count; i++) {
        StmBackup *backup = &context->backups[i];
        uint64_t *words = backup->object;
        const uint64_t *saved = (const uint64_t *)(context->backup_area + backup->offset);
        for (size_t word = 1; word < backup->bytes / sizeof(uint64_t); word++)
            if (words[word] != saved[word]) words[word] = saved[word];
    }
    context->backup_count = 0;
    context->backup_used = 0;
    for (size_t i = 0; i < state->remembered.count; i++) {
        GcHeader *header = state->remembered.items[i];
        GcHeader value = __atomic_load_n(header, __ATOMIC_RELAXED);
        value = (value & ~GC_STM_OWNER_MASK) | GC_FLAG_WRITE_BARRIER;
        __atomic_store_n(header, value, __ATOMIC_RELEASE);
    }
    state->remembered.count = 0;
    _Atomic uint64_t *orecs = thread->heap->stm->orecs;
    for (size_t i = 0; i < context->read_count; i++) {
        thread->stm_read_marks[context->reads[i]] = 0;
        atomic_fetch_and_explicit(&orecs[context->reads[i]], ~thread->stm_reader_bit,
                                  memory_order_release);
    }
    context->read_count = 0;
}

/* ---- Ending a transaction ------------------------------------------------ */

static void finish_inevitable(StmContext *context) {
    StmHeap *shared = context->state->public.heap->stm;
    if (!context->inevitable) return;
    if (shared->timing) {
        uint64_t spent = stm_now_ns() - context->inevitable_since_ns;
        uint64_t blocked =
            atomic_load_explicit(&shared->nanoseconds_blocked, memory_order_relaxed) -
            context->blocked_before_ns;
        context->counters.nanoseconds_inevitable += spent;
        if (shared->report) stm_report_inevitable(context, spent, blocked);
    }
    context->inevitable = false;
    atomic_store_explicit(&shared->inevitable_slot, 0, memory_order_release);
}

static void finish_transaction(StmContext *context) {
    GcThread *thread = &context->state->public;
    finish_inevitable(context);
    if (context->serial) stm_leave_serial(context);
    /* Outside a transaction the read barrier takes its slow path on old
     * objects (which reports the misuse). */
    stm_set_read_pass(thread, false);
    context->active = false;
    context->atomic_depth = 0;
}

/* Spins a random while, longer after each abort in a row, so that two
 * transactions that keep colliding drift apart. */
static void backoff(StmContext *context) {
    int shift = context->aborts_in_row < 12 ? context->aborts_in_row : 12;
    uint64_t spins = stm_next_random(context) & ((UINT64_C(1) << shift) - 1);
    for (uint64_t i = 0; i < spins; i++)
        atomic_signal_fence(memory_order_seq_cst);
    if (context->aborts_in_row > 4) sched_yield();
}

_Noreturn void stm_abort(StmContext *context, StmAbortCause cause) {
    GcThreadState *state = context->state;
    GcThread *thread = &state->public;
    GcHeap *heap = thread->heap;
    if (!context->active) gc_fatal("stm: abort outside a transaction");
    if (context->inevitable) gc_fatal("stm: abort of an inevitable transaction");
    uint64_t lost = heap->stm->timing ? stm_now_ns() - context->attempt_started_ns : 0;
    context->conflict.cause = cause;
    context->counters.aborts[cause]++;
    context->counters.nanoseconds_lost += lost;
    if (heap->stm->report) stm_report_abort(context, lost);
    stm_release_all(context, true);
    gc_minor_discard(heap, state);
    context->pending_tasks.count = 0;
    if (context->saved_count)
        memcpy(state->root_base, context->saved_roots, context->saved_count * sizeof(void *));
    thread->root_top = state->root_base + context->saved_count;
    finish_transaction(context);
    context->aborts_in_row++;
    context->length =
        context->length / 2 > STM_LENGTH_MINIMUM ? context->length / 2 : STM_LENGTH_MINIMUM;
    if (context->aborts_in_row >= STM_ABORTS_BEFORE_INEVITABLE && heap->stm->automatic_inevitable &&
        !context->want_inevitable)
        context->want_inevitable = "repeated aborts";
    backoff(context);
    longjmp(context->jump, 1);
}

void stm_check_abort_request(StmContext *context) {
    GcThread *thread = &context->state->public;
    unsigned signal = atomic_load_explicit(&thread->stm_signal, memory_order_acquire);
    if (!(signal & STM_SIGNAL_ABORT)) return;
    atomic_fetch_and_explicit(&thread->stm_signal, ~(unsigned)STM_SIGNAL_ABORT,
                              memory_order_relaxed);
    if (!context->active || context->inevitable) return;
    uintptr_t object = atomic_load_explicit(&context->signal_object, memory_order_relaxed);
    context->conflict = (StmConflict){
        .cause = STM_ABORT_INEVITABLE,
        .other_writes = true,
        .own_writes = false,
        .other_thread = atomic_load_explicit(&context->signal_cause_thread, memory_order_relaxed),
        .other_where = atomic_load_explicit(&context->signal_where, memory_order_relaxed),
        .own_where = stm_lookup_where(context, (const void *)object, false),
    };
    stm_abort(context, STM_ABORT_INEVITABLE);
}

/* ---- Conflicts ----------------------------------------------------------- */

/* The thread in `other_slot` holds `object` in a way that excludes this
 * access.  A transaction that can abort does (it restarts after a backoff);
 * an inevitable one asks the other to abort and returns, to look again. */
static void conflict(StmContext *context, int other_slot, StmAbortCause kind, const void *object,
                     bool own_writes) {
    GcThread *thread = &context->state->public;
    StmHeap *shared = thread->heap->stm;
    StmConflict found = {.cause = kind,
                         .other_writes = kind == STM_ABORT_WRITE_WRITE || !own_writes,
                         .own_writes = own_writes,
                         .own_where = thread->stm_location};
    pthread_mutex_lock(&shared->lock);
    StmContext *other = shared->slots[other_slot];
    if (other) {
        found.other_thread = other->number;
        found.other_where = stm_lookup_where(other, object, found.other_writes);
        if (context->inevitable) {
            atomic_store_explicit(&other->signal_cause_thread, context->number,
                                  memory_order_relaxed);
            atomic_store_explicit(&other->signal_where, thread->stm_location, memory_order_relaxed);
            atomic_store_explicit(&other->signal_object, (uintptr_t)object, memory_order_relaxed);
            atomic_fetch_or_explicit(&other->state->public.stm_signal, STM_SIGNAL_ABORT,
                                     memory_order_release);
        }
    }
    int inevitable = atomic_load_explicit(&shared->inevitable_slot, memory_order_relaxed);
    pthread_mutex_unlock(&shared->lock);
    if (context->inevitable) {
        sched_yield();
        return;
    }
    if (inevitable == other_slot + 1) found.cause = STM_ABORT_INEVITABLE;
    context->conflict = found;
    stm_abort(context, found.cause);
}

/* KILN_STM_STRESS: an abort at about one slow barrier in 16, while the
 * transaction has not aborted often (so that it still finishes). */
static void maybe_stress_abort(StmContext *context) {
    if (context->inevitable || context->aborts_in_row >= 4) return;
    if (stm_next_random(context) & 15) return;
    context->conflict = (StmConflict){.cause = STM_ABORT_EXPLICIT,
                                      .own_where = context->state->public.stm_location};
    stm_abort(context, STM_ABORT_EXPLICIT);
}

static inline StmContext *barrier_context(GcThread *thread, const char *what) {
    StmContext *context = stm_context_of(thread);
    if (!context->active) gc_fatal("stm: %s barrier outside a transaction", what);
    if (atomic_load_explicit(&thread->stm_signal, memory_order_relaxed) & STM_SIGNAL_ABORT)
        stm_check_abort_request(context);
    if (thread->heap->stm->stress) maybe_stress_abort(context);
    return context;
}

/* ---- Barriers ------------------------------------------------------------ */

void stm_read_slow(GcThread *thread, const void *object) {
    StmContext *context = barrier_context(thread, "read");
    if (context->serial) return;
    StmHeap *shared = thread->heap->stm;
    size_t index = stm_orec_index(object);
    /* The position first: a writer that finds this reader looks it up. */
    if (shared->report) stm_note_where(context, object, false);
    /* Register first, then look for a writer: the writer locks first, then
     * looks for readers; with both sequentially consistent, one of the two
     * sees the other. */
    uint64_t before = atomic_fetch_or_explicit(&shared->orecs[index], thread->stm_reader_bit,
                                               memory_order_seq_cst);
    if (!(before & thread->stm_reader_bit)) push_read(context, index);
    thread->stm_read_marks[index] = 1;
    for (;;) {
        GcHeader header = __atomic_load_n((const GcHeader *)object, __ATOMIC_SEQ_CST);
        GcHeader owner = header & GC_STM_OWNER_MASK;
        if (!owner || owner == thread->stm_owner) return;
        conflict(context, (int)(owner >> GC_STM_OWNER_SHIFT) - 1, STM_ABORT_READ_WRITE, object,
                 false);
    }
}

/* Takes the object's write lock: its owner field goes from 0 to this
 * thread, and it joins the write set (remembered, barrier flag clear). */
static void lock_object(StmContext *context, void *object) {
    GcThread *thread = &context->state->public;
    GcHeader header = __atomic_load_n((GcHeader *)object, __ATOMIC_ACQUIRE);
    for (;;) {
        GcHeader owner = header & GC_STM_OWNER_MASK;
        if (owner == thread->stm_owner) return;
        if (owner) {
            conflict(context, (int)(owner >> GC_STM_OWNER_SHIFT) - 1, STM_ABORT_WRITE_WRITE, object,
                     true);
            header = __atomic_load_n((GcHeader *)object, __ATOMIC_ACQUIRE);
            continue;
        }
        GcHeader locked = (header | thread->stm_owner) & ~GC_FLAG_WRITE_BARRIER;
        if (__atomic_compare_exchange_n((GcHeader *)object, &header, locked, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE))
            break;
    }
    gc_vec_push(&context->state->remembered, object);
    if ((header & GC_FLAG_PREBUILT) && !(header & GC_FLAG_PREBUILT_ROOT)) {
        /* As in the GIL build: a prebuilt object once written is a root. */
        __atomic_fetch_or((GcHeader *)object, GC_FLAG_PREBUILT_ROOT, __ATOMIC_RELAXED);
        stm_heap_lock(thread->heap);
        gc_vec_push(&thread->heap->prebuilt_roots, object);
        stm_heap_unlock(thread->heap);
    }
}

/* A long transaction becomes inevitable when no other one is: it will not
 * lose its work to an abort. */
static void try_inevitable_for_length(StmContext *context) {
    StmHeap *shared = context->state->public.heap->stm;
    if (context->inevitable || !shared->automatic_inevitable) return;
    int expected = 0;
    if (atomic_compare_exchange_strong(&shared->inevitable_slot, &expected, context->slot + 1)) {
        context->inevitable = true;
        context->inevitable_reason = "long transaction";
        context->inevitable_where = context->state->public.stm_location;
        context->counters.inevitable_transactions++;
        if (shared->timing) {
            context->inevitable_since_ns = stm_now_ns();
            context->blocked_before_ns =
                atomic_load_explicit(&shared->nanoseconds_blocked, memory_order_relaxed);
        }
    }
}

/* The writer's half of the handshake: after its lock (or, for a hash
 * table's key set, after its change became visible), no other transaction
 * may still hold `object`'s orec as a reader. */
void stm_check_readers(StmContext *context, const void *object) {
    GcThread *thread = &context->state->public;
    if (context->serial) return;
    _Atomic uint64_t *orec = &thread->heap->stm->orecs[stm_orec_index(object)];
    for (;;) {
        uint64_t readers =
            atomic_load_explicit(orec, memory_order_seq_cst) & ~thread->stm_reader_bit;
        if (!readers) return;
        conflict(context, __builtin_ctzll(readers), STM_ABORT_READ_WRITE, object, true);
    }
}

void stm_write_slow(GcThread *thread, void *object) {
    StmContext *context = barrier_context(thread, "write");
    if (thread->heap->stm->report) stm_note_where(context, object, true);
    lock_object(context, object);
    stm_check_readers(context, object);
    /* An inevitable transaction never rolls back: no backup. */
    if (!context->inevitable) push_backup(context, object);
    if (context->state->remembered.count > STM_LONG_WRITE_SET) try_inevitable_for_length(context);
}

/* ---- Transactions -------------------------------------------------------- */

jmp_buf *stm_jump_buffer(GcThread *thread) {
    return &stm_context_of(thread)->jump;
}

bool stm_in_transaction(GcThread *thread) {
    return stm_context_of(thread)->active;
}

bool stm_is_inevitable(GcThread *thread) {
    return stm_context_of(thread)->inevitable;
}

/* Saves the shadow stack: an abort restores it. */
static void save_roots(StmContext *context) {
    GcThreadState *state = context->state;
    size_t count = (size_t)(state->public.root_top - state->root_base);
    if (count > context->saved_capacity) {
        context->saved_capacity = count * 2;
        context->saved_roots =
            gc_xrealloc(context->saved_roots, context->saved_capacity * sizeof(void *));
    }
    if (count) memcpy(context->saved_roots, state->root_base, count * sizeof(void *));
    context->saved_count = count;
}

void stm_begin_prepare(GcThread *thread) {
    StmContext *context = stm_context_of(thread);
    GcHeap *heap = thread->heap;
    if (context->active)
        gc_fatal("stm: stm_transaction_begin inside a transaction (atomic sections nest)");
    if (atomic_load_explicit(&thread->stm_signal, memory_order_relaxed) & STM_SIGNAL_PARK)
        stm_park(context);
    /* The restart point needs an empty nursery: then the saved shadow stack
     * holds only old references, which an abort cannot invalidate. */
    if (gc_has_young(context->state) || context->pending_tasks.count) {
        gc_minor_collect_thread(heap, context->state, true);
        /* Tasks added outside a transaction: an abort must not drop them. */
        stm_tasks_publish(context);
    }
    save_roots(context);
    context->aborts_in_row = 0;
    context->want_inevitable = NULL;
}

void stm_start_attempt(GcThread *thread) {
    StmContext *context = stm_context_of(thread);
    StmHeap *shared = thread->heap->stm;
    /* A request aimed at an earlier transaction no longer applies. */
    atomic_fetch_and_explicit(&thread->stm_signal, ~(unsigned)STM_SIGNAL_ABORT,
                              memory_order_relaxed);
    if (atomic_load_explicit(&thread->stm_signal, memory_order_relaxed) & STM_SIGNAL_PARK)
        stm_park(context);
    stm_choose_mode(context);
    if (context->want_inevitable) stm_wait_inevitable_token(context);
    if (context->serial) context->counters.serial_transactions++;
    context->where_stamp++;
    thread->stm_budget = context->serial ? STM_LENGTH_SERIAL : context->length;
    if (shared->timing) context->attempt_started_ns = stm_now_ns();
    context->active = true;
}

void stm_commit(GcThread *thread) {
    StmContext *context = stm_context_of(thread);
    GcHeap *heap = thread->heap;
    if (!context->active) gc_fatal("stm: stm_commit outside a transaction");
    if (context->atomic_depth) gc_fatal("stm: stm_commit inside an atomic section");
    stm_check_abort_request(context);
    /* Publish the young objects first: once the locks are released, other
     * threads may follow the written references. */
    if (gc_has_young(context->state) || context->pending_tasks.count)
        gc_minor_collect_thread(heap, context->state, true);
    stm_release_all(context, false);
    stm_tasks_publish(context);
    finish_transaction(context);
    context->counters.commits++;
    context->length += context->length / 4 + 1;
    if (context->length > STM_LENGTH_MAXIMUM) context->length = STM_LENGTH_MAXIMUM;
    if (atomic_load_explicit(&thread->stm_signal, memory_order_relaxed) & STM_SIGNAL_PARK)
        stm_park(context);
}

_Noreturn void stm_abort_explicit(GcThread *thread) {
    StmContext *context = stm_context_of(thread);
    if (!context->active) gc_fatal("stm: stm_abort_explicit outside a transaction");
    if (context->inevitable) gc_fatal("stm: stm_abort_explicit in an inevitable transaction");
    context->conflict =
        (StmConflict){.cause = STM_ABORT_EXPLICIT, .own_where = thread->stm_location};
    stm_abort(context, STM_ABORT_EXPLICIT);
}

void stm_become_inevitable(GcThread *thread, const char *reason) {
    StmContext *context = stm_context_of(thread);
    StmHeap *shared = thread->heap->stm;
    if (!context->active) gc_fatal("stm: stm_become_inevitable outside a transaction");
    if (context->inevitable) return;
    int expected = 0;
    if (atomic_compare_exchange_strong(&shared->inevitable_slot, &expected, context->slot + 1)) {
        context->inevitable = true;
        context->inevitable_reason = reason;
        context->inevitable_where = thread->stm_location;
        context->counters.inevitable_transactions++;
        if (shared->timing) {
            context->inevitable_since_ns = stm_now_ns();
            context->blocked_before_ns =
                atomic_load_explicit(&shared->nanoseconds_blocked, memory_order_relaxed);
        }
        return;
    }
    /* Another transaction is inevitable: this one restarts, and waits for
     * the token before running again. */
    context->want_inevitable = reason;
    context->conflict = (StmConflict){.cause = STM_ABORT_INEVITABLE,
                                      .own_writes = true,
                                      .other_thread = 0,
                                      .own_where = thread->stm_location};
    stm_abort(context, STM_ABORT_INEVITABLE);
}

void stm_atomic_enter(GcThread *thread) {
    StmContext *context = stm_context_of(thread);
    if (!context->active) gc_fatal("stm: stm_atomic_enter outside a transaction");
    context->atomic_depth++;
}

void stm_atomic_leave(GcThread *thread) {
    StmContext *context = stm_context_of(thread);
    if (context->atomic_depth <= 0) gc_fatal("stm: stm_atomic_leave without stm_atomic_enter");
    context->atomic_depth--;
}

bool stm_break_slow(GcThread *thread) {
    StmContext *context = stm_context_of(thread);
    unsigned signal = atomic_load_explicit(&thread->stm_signal, memory_order_acquire);
    if (signal & STM_SIGNAL_ABORT) stm_check_abort_request(context);
    if (signal & STM_SIGNAL_PARK) stm_park(context);
    bool shorten = signal & STM_SIGNAL_SHORTEN;
    if (shorten)
        atomic_fetch_and_explicit(&thread->stm_signal, ~(unsigned)STM_SIGNAL_SHORTEN,
                                  memory_order_relaxed);
    if (!context->active || (thread->stm_budget >= 0 && !shorten)) return false;
    if (context->atomic_depth > 0) {
        /* No break inside an atomic section; look again after a length. */
        thread->stm_budget = context->length;
        return false;
    }
    stm_commit(thread);
    stm_begin_prepare(thread);
    return true;
}

void stm_signal_slow(GcThread *thread) {
    StmContext *context = stm_context_of(thread);
    unsigned signal = atomic_load_explicit(&thread->stm_signal, memory_order_acquire);
    if (signal & STM_SIGNAL_ABORT) stm_check_abort_request(context);
    if (signal & STM_SIGNAL_PARK) stm_park(context);
    if (signal & STM_SIGNAL_SHORTEN) {
        /* The next break point ends the serial transaction. */
        atomic_fetch_and_explicit(&thread->stm_signal, ~(unsigned)STM_SIGNAL_SHORTEN,
                                  memory_order_relaxed);
        thread->stm_budget = -1;
    }
}
