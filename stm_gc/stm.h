/* stm.h - the kiln STM engine: transactions over the stm_gc heap.
 *
 * Available in the STM build of the library (target stm_gc_stm, compiled
 * with -DKILN_STM); README.md ("The STM engine") explains the design.
 *
 * What generated code must do, on top of gc.h's rules:
 *   - run GC'd code only inside a transaction: stm_transaction_begin (a
 *     macro: the restart point after an abort) ... stm_commit;
 *   - before reading the fields of an object that may be old:
 *     stm_read_barrier(thread, object) (gc_write_barrier before a store is
 *     already the STM write barrier in this build);
 *   - at loop back edges of long-running code: stm_break_point (may commit
 *     and start a new transaction there) or gc_safe_point (never does);
 *   - before I/O or any action that cannot be undone:
 *     stm_become_inevitable(thread, "reason");
 *   - around blocking calls (join, sleep, wait): be outside a transaction
 *     and call gc_gil_release / gc_gil_acquire as in the GIL build;
 *   - for diagnostics: stm_marker_set (one store) at each source position
 *     worth naming, stm_marker_enter / stm_marker_leave per frame;
 *   - for data shared by many transactions (dicts, work queues): the hash
 *     tables and the task queue below, which do not make their users
 *     conflict with each other.
 *
 * The engine registers its own types at gc_heap_create: the first type id
 * that gc_heap_register_types returns is not 1.
 *
 * After an abort the engine has rolled back every write of the transaction,
 * emptied its nursery, restored the shadow stack to its state at the
 * restart point, and jumps back there (longjmp).  C locals of the function
 * holding the restart point keep their values only if they were not
 * modified after it (C11 7.13.2.1); generated code keeps references on the
 * shadow stack, and other state in variables it does not modify inside the
 * transaction.  A restart point must stay in a live frame until the
 * transaction that uses it ends: stm_break_point may only be used in the
 * function that began the transaction.
 *
 * Every function here must be called by the thread that owns `thread`.
 */
#ifndef KILN_STM_H
#define KILN_STM_H

#ifndef KILN_STM
#error "stm.h needs the STM build of stm_gc (link stm_gc_stm, which defines KILN_STM)"
#endif

#include "gc.h"

#include <setjmp.h>

/* The most threads attached at once (one bit per thread in an orec). */
#define STM_MAX_THREADS 64

/* ---- Source positions (markers) -----------------------------------------
 *
 * Generated code emits one static StmLocation per position it names and
 * stores its address in the thread: conflict reports print the position of
 * both accesses. */
typedef struct StmLocation {
    const char *file;
    int line;
} StmLocation;

static inline void stm_marker_set(GcThread *thread, const StmLocation *location) {
    thread->stm_location = location;
}
/* Per frame: returns the caller's position, to give back on every exit. */
static inline const StmLocation *stm_marker_enter(GcThread *thread, const StmLocation *location) {
    const StmLocation *caller = thread->stm_location;
    thread->stm_location = location;
    return caller;
}
static inline void stm_marker_leave(GcThread *thread, const StmLocation *caller) {
    thread->stm_location = caller;
}

/* ---- Transactions ------------------------------------------------------- */

/* Parts of stm_transaction_begin; call them only through it (or, for a
 * scheduler that re-arms the restart point itself, see test_stm_model.c):
 * stm_begin_prepare starts a new transaction's bookkeeping and saves the
 * shadow stack; stm_start_attempt starts (or restarts) running it. */
void stm_begin_prepare(GcThread *thread);
void stm_start_attempt(GcThread *thread);
jmp_buf *stm_jump_buffer(GcThread *thread);

/* Begins a transaction; after an abort, execution comes back here and the
 * transaction starts again. */
#define stm_transaction_begin(thread)                                                              \
    do {                                                                                           \
        GcThread *stm_begin_thread_ = (thread);                                                    \
        stm_begin_prepare(stm_begin_thread_);                                                      \
        (void)setjmp(*stm_jump_buffer(stm_begin_thread_));                                         \
        stm_start_attempt(stm_begin_thread_);                                                      \
    } while (0)

/* Ends the transaction: its writes and its new objects become visible to
 * the other threads.  It never fails: conflicts were settled when they
 * happened (README.md says why that is enough). */
void stm_commit(GcThread *thread);

/* True between stm_transaction_begin and stm_commit. */
bool stm_in_transaction(GcThread *thread);

/* Rolls the transaction back and restarts it (counted as explicit).  Not
 * allowed in an inevitable transaction. */
_Noreturn void stm_abort_explicit(GcThread *thread);

/* After this call the transaction cannot abort; no other transaction can
 * commit a write that conflicts with what it read or wrote.  When another
 * transaction is inevitable, this one aborts and restarts as inevitable
 * once that one ended.  `reason` is a static string for the reports. */
void stm_become_inevitable(GcThread *thread, const char *reason);
bool stm_is_inevitable(GcThread *thread);

/* Atomic sections nest; inside one, stm_break_point never breaks the
 * transaction (the section runs in one transaction). */
void stm_atomic_enter(GcThread *thread);
void stm_atomic_leave(GcThread *thread);

/* ---- Transaction breaks ------------------------------------------------- */

/* Slow path of stm_break_point: answers requests; returns true after it
 * committed the transaction and prepared the next one. */
bool stm_break_slow(GcThread *thread);

/* At a loop back edge: when the transaction has run its length (adaptive:
 * long while one thread exists, shorter after aborts), commit it and go on
 * in a new transaction whose restart point is here. */
#define stm_break_point(thread)                                                                    \
    do {                                                                                           \
        GcThread *stm_break_thread_ = (thread);                                                    \
        if (GC_UNLIKELY(                                                                           \
                --stm_break_thread_->stm_budget < 0 ||                                             \
                atomic_load_explicit(&stm_break_thread_->stm_signal, memory_order_relaxed))) {     \
            if (stm_break_slow(stm_break_thread_)) {                                               \
                (void)setjmp(*stm_jump_buffer(stm_break_thread_));                                 \
                stm_start_attempt(stm_break_thread_);                                              \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* ---- Read barrier --------------------------------------------------------
 *
 * An orec is one word of the heap's table of ownership records: bit i is
 * set while the transaction of the thread in slot i has read an object
 * whose address hashes to it.  A writer must find no other reader there.
 *
 * Each thread also has a private byte per orec, its read mark, set exactly
 * while its bit in that orec is set (the slow path sets both, commit and
 * abort clear both).  The fast path tests the mark: one byte of a private
 * map instead of a word of the shared table, which is 8 times bigger and
 * whose lines other threads write, so the test stays in the first-level
 * cache. */
void stm_read_slow(GcThread *thread, const void *object);

#define STM_OREC_BITS 20
#define STM_OREC_MASK (((uintptr_t)1 << STM_OREC_BITS) - 1)

/* Object starts are at least 16 bytes apart (GC_MIN_OBJECT), so nearby
 * objects get distinct orecs; addresses 16 MB apart share one (a false
 * conflict at worst, never a missed one). */
static inline uintptr_t stm_orec_index(const void *object) {
    return ((uintptr_t)object >> 4) & STM_OREC_MASK;
}

/* Before reading fields of `object`.  Fast path: the object is this
 * thread's (young, or in its write set), or the transaction runs in serial
 * mode: one table lookup by the owner field covers both (three
 * instructions: a byte load, a compare, a branch), or this transaction
 * already registered as a reader of its orec (its read mark is set). */
static inline void stm_read_barrier(GcThread *thread, const void *object) {
    if (GC_LIKELY(thread->stm_read_pass[gc_owner_load(object)])) return;
    if (GC_LIKELY(thread->stm_read_marks[stm_orec_index(object)])) return;
    stm_read_slow(thread, object);
}

/* ---- Task queue (transaction_add / transaction_run) ---------------------
 *
 * A task is a function and one GC reference.  Tasks added by a transaction
 * join the queue when it commits (none if it aborts); tasks added outside
 * a transaction join it at the next transaction start, safe region,
 * stm_task_run or detach.  The queue is not transactional memory, so two
 * tasks added or taken by different transactions never conflict, and it
 * is split by thread (each thread publishes into its own segment, takes
 * from its own first and steals from the others when it runs dry), so no
 * lock is shared by every commit either. */
typedef void (*StmTaskFunction)(GcThread *thread, void *argument);

void stm_task_add(GcThread *thread, StmTaskFunction function, void *argument);
/* Runs the queued tasks, each in its own transaction, on `workers` threads
 * (the caller and workers - 1 new ones), including the tasks added while
 * they run; returns when the queue is empty and no task runs.  Each
 * segment is first in, first out: with one worker and tasks added by one
 * thread, the order is the order of addition.  Call it outside a
 * transaction. */
void stm_task_run(GcThread *thread, int workers);

/* ---- Hash tables ---------------------------------------------------------
 *
 * From 64-bit keys to GC references, for data shared between transactions
 * (generated code uses it for Kiln C dicts: it hashes a key to 64 bits and
 * keeps the pairs that share a hash in the value).  Each key is an object
 * of its own: reading a key is a transactional read of that key alone and
 * storing one a write of that key alone, so transactions that touch
 * different keys never conflict, whoever created the keys, while two that
 * touch one key conflict as for any object.  A key without a value (NULL)
 * is absent; adding or removing a key (storing a value where there was
 * none, or NULL where there was one) also conflicts with transactions that
 * listed the table (stm_hashtable_length, stm_hashtable_items).
 *
 * A table lives in the old generation from birth and never moves: a C
 * local holding it stays valid across collections, as long as the table
 * is reachable otherwise (a field, a root).  Its entries take memory until
 * the next major collection after their value became NULL.  Every call is
 * made inside a transaction, except stm_hashtable_new.  Only
 * stm_hashtable_items allocates in the nursery (it can collect). */
typedef struct StmHashtable StmHashtable;

StmHashtable *stm_hashtable_new(GcThread *thread);
/* The value of `key`, or NULL. */
void *stm_hashtable_get(GcThread *thread, StmHashtable *table, uint64_t key);
/* Stores `value` (a reference, or NULL to remove the key). */
void stm_hashtable_set(GcThread *thread, StmHashtable *table, uint64_t key, void *value);
/* The keys with a value (reads every key). */
int64_t stm_hashtable_length(GcThread *thread, StmHashtable *table);

typedef struct StmHashtableItem {
    uint64_t key;
    void *value;
} StmHashtableItem;

typedef struct StmHashtableItems {
    GcHeader header;
    int64_t length;
    StmHashtableItem items[];
} StmHashtableItems;

/* The keys with a value and their values, in no particular order, as a new
 * young object (reads every key). */
StmHashtableItems *stm_hashtable_items(GcThread *thread, StmHashtable *table);

/* ---- Statistics and reports ----------------------------------------------
 *
 * KILN_STM_STATS=1 prints the totals at gc_heap_destroy; KILN_STM_REPORT=1
 * prints one line per abort and per inevitable transaction;
 * KILN_STM_STRESS=1 aborts at random barriers (and never runs in serial
 * mode), to exercise rollback everywhere.
 *
 * Abort causes: name, report wording. */
#define STM_ABORT_CAUSES(X)                                                                        \
    X(READ_WRITE, "read-write conflict")                                                           \
    X(WRITE_WRITE, "write-write conflict")                                                         \
    X(INEVITABLE, "inevitable")                                                                    \
    X(EXPLICIT, "explicit")

typedef enum StmAbortCause {
#define STM_CAUSE_ENUM(name, text) STM_ABORT_##name,
    STM_ABORT_CAUSES(STM_CAUSE_ENUM)
#undef STM_CAUSE_ENUM
        STM_ABORT_CAUSE_COUNT
} StmAbortCause;

const char *stm_abort_cause_name(StmAbortCause cause);

typedef struct StmStats {
    uint64_t commits;
    uint64_t aborts[STM_ABORT_CAUSE_COUNT];
    uint64_t inevitable_transactions;
    uint64_t serial_transactions; /* run in serial mode (one thread) */
    double seconds_lost;          /* in attempts that aborted (measured when stats or
                                     reports are on) */
    double seconds_inevitable;    /* spent inevitable */
    double seconds_blocked;       /* others spent waiting for an inevitable one */
} StmStats;

/* Totals of the detached threads plus the calling thread's own. */
void stm_get_stats(GcThread *thread, StmStats *stats);
uint64_t stm_total_aborts(const StmStats *stats);

/* Scheduler knob for deterministic tests that run several transactions in
 * one OS thread: never turn a transaction inevitable on its own (after
 * repeated aborts or a long run), because an inevitable transaction waits
 * for the others, which such a scheduler cannot run meanwhile. */
void stm_heap_set_automatic_inevitable(GcHeap *heap, bool enabled);

#endif
