/* stm_internal.h - the STM engine's private structures.
 *
 *   stm_core.c   transactions: begin, barriers' slow paths, conflicts,
 *                commit, abort, inevitability
 *   stm_sync.c   threads: attach/detach, serial mode, safe regions, the
 *                major-collection rendezvous, the collector's root hooks
 *   stm_diag.c   statistics, conflict and inevitable reports
 *   stm_tasks.c  the task queue (transaction_add / transaction_run)
 */
#ifndef KILN_STM_INTERNAL_H
#define KILN_STM_INTERNAL_H

#include "gc_internal.h"
#include "stm.h"

/* Requests other threads leave in GcThread.stm_signal. */
enum {
    STM_SIGNAL_ABORT = 1u << 0,   /* an inevitable transaction needs what this one holds */
    STM_SIGNAL_PARK = 1u << 1,    /* a major collection waits for every thread */
    STM_SIGNAL_SHORTEN = 1u << 2, /* another thread attached: end the serial transaction */
};

#define STM_OREC_COUNT ((size_t)1 << STM_OREC_BITS)
/* Transaction length, in break points. */
#define STM_LENGTH_SERIAL  ((int64_t)1 << 22)
#define STM_LENGTH_INITIAL ((int64_t)1 << 12)
#define STM_LENGTH_MAXIMUM ((int64_t)1 << 16)
#define STM_LENGTH_MINIMUM 1
/* A transaction aborted this many times in a row restarts inevitable. */
#define STM_ABORTS_BEFORE_INEVITABLE 8
/* A write set this big marks a long transaction: it becomes inevitable
 * when no other one is. */
#define STM_LONG_WRITE_SET 100000
/* Per-thread table of recent access positions, for conflict reports. */
#define STM_WHERE_SLOTS 256

/* The old contents of an object written by the running transaction. */
typedef struct StmBackup {
    void *object;
    size_t offset; /* of the copy of the whole object in the backup area */
    size_t bytes;
} StmBackup;

/* Where this thread last read or wrote an object (keyed by address),
 * read by other threads for their conflict reports. */
typedef struct StmWhere {
    _Atomic uintptr_t object;
    _Atomic(const StmLocation *) location;
} StmWhere;

typedef struct StmTask {
    StmTaskFunction function;
    void *argument; /* a GC reference: a root */
} StmTask;

typedef struct StmTaskVec {
    StmTask *items;
    size_t count;
    size_t capacity;
    size_t head; /* the shared queue pops from here (FIFO) */
} StmTaskVec;

typedef struct StmCounters {
    uint64_t commits;
    uint64_t aborts[STM_ABORT_CAUSE_COUNT];
    uint64_t inevitable_transactions;
    uint64_t serial_transactions;
    uint64_t nanoseconds_lost;
    uint64_t nanoseconds_inevitable;
} StmCounters;

/* What the thread that caused an abort left for its victim's report. */
typedef struct StmConflict {
    StmAbortCause cause;
    bool other_writes; /* the other side's access was a write */
    bool own_writes;   /* this side's access was a write */
    int other_thread;  /* its number, 0 when unknown */
    const StmLocation *other_where;
    const StmLocation *own_where;
} StmConflict;

typedef struct StmContext {
    GcThreadState *state;
    int slot;   /* bit in the orecs, owner field - 1 */
    int number; /* attach order, from 1, for reports */

    /* Transaction state.  Invariants while `active`: every object in
     * state->remembered has this thread as owner and
     * GC_FLAG_WRITE_BARRIER clear; every orec in `reads` has this thread's
     * bit; backups hold the committed contents of the remembered objects
     * written, and only committed references. */
    bool active;
    bool serial;     /* one thread: no reader registration */
    bool inevitable; /* holds the heap's inevitable token */
    int atomic_depth;
    jmp_buf jump;
    size_t *reads; /* orec indices with this thread's bit */
    size_t read_count, read_capacity;
    StmBackup *backups;
    size_t backup_count, backup_capacity;
    char *backup_area; /* the copies, one after the other; emptied at commit */
    size_t backup_used, backup_area_capacity;
    /* The shadow stack at the restart point; it holds only old references
     * (the nursery is empty there), a root of major collections. */
    void **saved_roots;
    size_t saved_count, saved_capacity;
    StmTaskVec pending_tasks; /* added by the running transaction */

    /* Adaptive length and retries. */
    int64_t length;
    int aborts_in_row;
    const char *want_inevitable; /* restart inevitable, for this reason */
    const char *inevitable_reason;
    const StmLocation *inevitable_where;
    uint64_t random; /* backoff and stress decisions */

    /* Timing (only when stats or reports are on). */
    uint64_t attempt_started_ns;
    uint64_t inevitable_since_ns;
    uint64_t blocked_before_ns; /* the heap's blocked counter when it became inevitable */

    StmCounters counters;
    StmConflict conflict;            /* filled by whoever caused the next abort */
    _Atomic int signal_cause_thread; /* the inevitable thread asking for an abort */
    _Atomic(const StmLocation *) signal_where;
    _Atomic uintptr_t signal_object;
    StmWhere where[STM_WHERE_SLOTS];
    _Atomic uint64_t all_readers; /* serial mode: the one orec, all bits set */
} StmContext;

typedef struct StmHeap {
    pthread_mutex_t lock; /* old-generation allocation, thread list, rendezvous */
    pthread_cond_t changed;
    _Atomic uint64_t *orecs;
    StmContext *slots[STM_MAX_THREADS];
    uint64_t used_slots;
    atomic_int thread_count;
    int running; /* attached and not in a safe region */
    int parked;  /* waiting at a safe point for the major collection */
    bool major_pending;
    int next_number;
    _Atomic int inevitable_slot; /* slot + 1 of the inevitable transaction, or 0 */
    _Atomic uint64_t nanoseconds_blocked;

    bool timing; /* stats or reports */
    bool print_stats;
    bool report;
    bool stress;
    bool automatic_inevitable;
    StmCounters totals; /* of detached threads */

    pthread_mutex_t task_lock;
    pthread_cond_t task_changed;
    StmTaskVec tasks;
    int tasks_running;
} StmHeap;

static inline StmContext *stm_context_of(GcThread *thread) {
    return gc_state_of(thread)->stm;
}

static inline StmHeap *stm_heap_of(GcThread *thread) {
    return thread->heap->stm;
}

static inline uint64_t stm_next_random(StmContext *context) {
    context->random ^= context->random << 13;
    context->random ^= context->random >> 7;
    context->random ^= context->random << 17;
    return context->random;
}

/* stm_core.c */
_Noreturn void stm_abort(StmContext *context, StmAbortCause cause);
void stm_release_all(StmContext *context, bool restore);
/* Answers an abort request; true if the caller may park or break. */
void stm_check_abort_request(StmContext *context);

/* stm_sync.c */
void stm_park(StmContext *context);
/* Decides serial or parallel mode for the attempt starting now. */
void stm_choose_mode(StmContext *context);
void stm_leave_serial(StmContext *context);
void stm_wait_inevitable_token(StmContext *context);

/* stm_diag.c */
uint64_t stm_now_ns(void);
void stm_note_where(StmContext *context, const void *object);
const StmLocation *stm_lookup_where(StmContext *other, const void *object);
void stm_report_abort(StmContext *context, uint64_t lost_ns);
void stm_report_inevitable(StmContext *context, uint64_t inevitable_ns, uint64_t blocked_ns);
void stm_counters_add(StmCounters *into, const StmCounters *from);
void stm_print_stats(GcHeap *heap, FILE *out);

/* stm_tasks.c */
void stm_tasks_publish(StmContext *context);
void stm_tasks_trace_minor(GcHeap *heap, StmContext *context);
void stm_tasks_mark(GcHeap *heap, StmContext *context, void (*mark)(GcHeap *, void *));
void stm_tasks_mark_queue(GcHeap *heap, void (*mark)(GcHeap *, void *));

#endif
