/* stm_internal.h - the STM engine's private structures.
 *
 *   stm_core.c   transactions: begin, barriers' slow paths, conflicts,
 *                commit, abort, inevitability
 *   stm_sync.c   threads: attach/detach, serial mode, safe regions, the
 *                major-collection rendezvous, the collector's root hooks
 *   stm_diag.c   statistics, conflict and inevitable reports
 *   stm_tasks.c  the task queue (transaction_add / transaction_run)
 *   stm_hashtable.c  hash tables whose keys are separate objects
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
/* Per-thread table of the access positions of the running transaction, for
 * conflict reports: slots, and how far an object may be from its home
 * slot. */
#define STM_WHERE_SLOTS  1024
#define STM_WHERE_PROBES 8

/* The old contents of an object written by the running transaction. */
typedef struct StmBackup {
    void *object;
    size_t offset; /* of the copy of the whole object in the backup area */
    size_t bytes;
} StmBackup;

/* Where this thread last registered a read of an object and took its
 * write lock (keyed by address), read by other threads for their conflict
 * reports.  A new object takes the oldest entry of its probe sequence, so
 * that the running attempt's entries, and the recent ones that a thread
 * reporting a conflict may still look up, stay. */
typedef struct StmWhere {
    _Atomic uintptr_t object;
    _Atomic(const StmLocation *) read_location;
    _Atomic(const StmLocation *) write_location;
    uint64_t stamp; /* the attempt that used it last; read by this thread only */
} StmWhere;

typedef struct StmTask {
    StmTaskFunction function;
    void *argument; /* a GC reference: a root */
} StmTask;

typedef struct StmTaskVec {
    StmTask *items;
    size_t count;
    size_t capacity;
    size_t head; /* a segment pops from here (FIFO) */
} StmTaskVec;

/* One thread slot's part of the task queue: the tasks its commits
 * published, taken first by that thread and stolen by idle ones. */
typedef struct StmTaskSegment {
    pthread_mutex_t lock;
    StmTaskVec tasks;
} StmTaskSegment;

/* ---- Hash tables (stm_hashtable.c) ---------------------------------------
 *
 * All three are allocated in the old generation without owner and never
 * move.  Transactional state is only in the entries' `value`; the table
 * and its index change outside transactions (under the table's lock), and
 * only in ways that no transaction can observe: an entry whose value is
 * NULL stands for an absent key. */
typedef struct StmHashEntry {
    GcHeader header;
    uint64_t key;
    void *value; /* a reference; NULL: no value */
} StmHashEntry;

/* Open addressing with linear probing; slots are set once (to an entry)
 * and never cleared while threads run. */
typedef struct StmHashIndex {
    GcHeader header;
    int64_t capacity; /* slots, a power of two (the variable part's length) */
    int64_t count;    /* slots in use */
    StmHashEntry *entries[];
} StmHashIndex;

struct StmHashtable {
    GcHeader header;
    StmHashIndex *index; /* replaced by a bigger copy when it fills */
    _Atomic uint32_t lock;
    uint32_t unused;
    /* The heap's list of tables (not references: a dead table leaves it in
     * its destructor). */
    struct StmHashtable *previous;
    struct StmHashtable *next;
    struct StmHeap *shared;
};

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
    uint64_t where_stamp; /* the running attempt's */
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

    /* The task queue: one segment per thread slot, a bitmap of the
     * segments that hold tasks, the tasks published and not finished yet,
     * and where idle workers sleep. */
    StmTaskSegment segments[STM_MAX_THREADS];
    _Atomic uint64_t task_segments_used;
    _Atomic int64_t tasks_outstanding;
    atomic_int task_sleepers;
    pthread_mutex_t task_lock;
    pthread_cond_t task_changed;

    /* The engine's own types (stm_hashtable.c), and the tables not yet
     * destroyed (under `lock`). */
    uint32_t hashtable_type;
    uint32_t hash_index_type;
    uint32_t hash_entry_type;
    uint32_t hash_items_type;
    StmHashtable *hashtables;
} StmHeap;

static inline StmContext *stm_context_of(GcThread *thread) {
    return gc_state_of(thread)->stm;
}

static inline StmHeap *stm_heap_of(GcThread *thread) {
    return thread->heap->stm;
}

/* The read barrier's first test: objects this thread owns pass; in serial
 * mode every object does.  Entry 0 (no owner) tells which way the table is
 * set, so a transaction that starts in the mode of the last one (the
 * common case) writes nothing.  The thread's own entry is set at attach
 * and stays set. */
static inline void stm_set_read_pass(GcThread *thread, bool serial) {
    if (thread->stm_read_pass[0] == serial) return;
    memset(thread->stm_read_pass, serial, sizeof thread->stm_read_pass);
    thread->stm_read_pass[thread->stm_owner_number] = 1;
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
/* Answers an abort request (aborts when there is one). */
void stm_check_abort_request(StmContext *context);
void stm_check_readers(StmContext *context, const void *object);

/* stm_sync.c */
void stm_park(StmContext *context);
/* Decides serial or parallel mode for the attempt starting now. */
void stm_choose_mode(StmContext *context);
void stm_leave_serial(StmContext *context);
void stm_wait_inevitable_token(StmContext *context);

/* stm_diag.c */
uint64_t stm_now_ns(void);
void stm_note_where(StmContext *context, const void *object, bool write);
/* The position of the other thread's read (or write) of the object, or of
 * its other access when that one is unknown; NULL when neither is. */
const StmLocation *stm_lookup_where(StmContext *other, const void *object, bool write);
void stm_report_abort(StmContext *context, uint64_t lost_ns);
void stm_report_inevitable(StmContext *context, uint64_t inevitable_ns, uint64_t blocked_ns);
void stm_counters_add(StmCounters *into, const StmCounters *from);
void stm_print_stats(GcHeap *heap, FILE *out);

/* stm_tasks.c */
void stm_tasks_init(StmHeap *shared);
void stm_tasks_finish(StmHeap *shared);
void stm_tasks_publish(StmContext *context);
void stm_tasks_trace_minor(StmContext *context, GcSlotVisitor visit, void *pass);
void stm_tasks_mark(GcHeap *heap, StmContext *context, void (*mark)(GcHeap *, void *));
void stm_tasks_mark_queue(GcHeap *heap, void (*mark)(GcHeap *, void *));

/* stm_hashtable.c */
void stm_hashtables_register_types(GcHeap *heap);
/* With every thread parked: drops the entries that no transaction holds
 * and that have no value. */
void stm_hashtables_compact(GcHeap *heap);

#endif
