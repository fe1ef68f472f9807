/* stm_diag.c - what the STM engine tells the user: abort reports with the
 * source positions of both conflicting accesses (KILN_STM_REPORT=1),
 * inevitable-transaction reports, and the totals (KILN_STM_STATS=1).
 *
 * Positions come from the markers (stm.h): while reports are on, each
 * thread remembers, per object address, where it last registered a read
 * and where it took the write lock, in a small hash table of atomics that
 * the thread on the other side of a conflict reads.  A new object replaces
 * the oldest entry of its probe sequence, so entries live for many
 * transactions: the other thread may have gone on to a later transaction
 * by the time the report is written.  An entry replaced since gives "an
 * unknown position".
 */
#include "stm_internal.h"

#include <time.h>

static const char *const cause_names[] = {
#define STM_CAUSE_NAME(name, text) text,
    STM_ABORT_CAUSES(STM_CAUSE_NAME)
#undef STM_CAUSE_NAME
};
_Static_assert(sizeof cause_names / sizeof cause_names[0] == STM_ABORT_CAUSE_COUNT,
               "one name per abort cause");

const char *stm_abort_cause_name(StmAbortCause cause) {
    return (unsigned)cause < STM_ABORT_CAUSE_COUNT ? cause_names[cause] : "?";
}

uint64_t stm_now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static size_t where_slot(const void *object) {
    return (size_t)(gc_mix_hash((uintptr_t)object) & (STM_WHERE_SLOTS - 1));
}

/* Into the object's own entry, or else the oldest of its probe sequence
 * (an entry never used has stamp 0). */
void stm_note_where(StmContext *context, const void *object, bool write) {
    const StmLocation *location = context->state->public.stm_location;
    if (!location) return;
    size_t home = where_slot(object);
    StmWhere *entry = NULL;
    for (size_t probe = 0; probe < STM_WHERE_PROBES; probe++) {
        StmWhere *candidate = &context->where[(home + probe) & (STM_WHERE_SLOTS - 1)];
        if (atomic_load_explicit(&candidate->object, memory_order_relaxed) == (uintptr_t)object) {
            entry = candidate;
            break;
        }
        if (!entry || candidate->stamp < entry->stamp) entry = candidate;
    }
    entry->stamp = context->where_stamp;
    _Atomic(const StmLocation *) *field = write ? &entry->write_location : &entry->read_location;
    if (atomic_load_explicit(&entry->object, memory_order_relaxed) == (uintptr_t)object) {
        atomic_store_explicit(field, location, memory_order_release);
        return;
    }
    /* Another object's entry: readers must not pair its positions with
     * this object. */
    atomic_store_explicit(&entry->object, 0, memory_order_relaxed);
    atomic_store_explicit(&entry->read_location, NULL, memory_order_relaxed);
    atomic_store_explicit(&entry->write_location, NULL, memory_order_relaxed);
    atomic_store_explicit(field, location, memory_order_relaxed);
    atomic_store_explicit(&entry->object, (uintptr_t)object, memory_order_release);
}

const StmLocation *stm_lookup_where(StmContext *other, const void *object, bool write) {
    if (!object) return NULL;
    size_t home = where_slot(object);
    for (size_t probe = 0; probe < STM_WHERE_PROBES; probe++) {
        StmWhere *entry = &other->where[(home + probe) & (STM_WHERE_SLOTS - 1)];
        if (atomic_load_explicit(&entry->object, memory_order_acquire) != (uintptr_t)object)
            continue;
        const StmLocation *wanted = atomic_load_explicit(
            write ? &entry->write_location : &entry->read_location, memory_order_acquire);
        const StmLocation *other_kind = atomic_load_explicit(
            write ? &entry->read_location : &entry->write_location, memory_order_acquire);
        /* Taken over meanwhile: the positions may belong to another object. */
        if (atomic_load_explicit(&entry->object, memory_order_acquire) != (uintptr_t)object)
            return NULL;
        return wanted ? wanted : other_kind;
    }
    return NULL;
}

static void format_where(char *buffer, size_t size, const StmLocation *location) {
    if (location)
        snprintf(buffer, size, "%s:%d", location->file, location->line);
    else
        snprintf(buffer, size, "an unknown position");
}

void stm_report_abort(StmContext *context, uint64_t lost_ns) {
    const StmConflict *conflict = &context->conflict;
    char own[256], other[256], line[768];
    format_where(own, sizeof own, conflict->own_where);
    format_where(other, sizeof other, conflict->other_where);
    double lost = (double)lost_ns / 1e9;
    if (conflict->cause == STM_ABORT_EXPLICIT) {
        snprintf(line, sizeof line,
                 "abort: explicit at %s (thread %d); transaction aborted, %.6f s lost\n", own,
                 context->number, lost);
    } else if (conflict->other_thread == 0) {
        snprintf(line, sizeof line,
                 "abort: %s at %s (thread %d) waits for another inevitable transaction; "
                 "transaction aborted, %.6f s lost\n",
                 "become inevitable", own, context->number, lost);
    } else {
        snprintf(line, sizeof line,
                 "conflict: %s at %s (thread %d) vs %s at %s (thread %d); transaction aborted%s, "
                 "%.6f s lost\n",
                 conflict->other_writes ? "write" : "read", other, conflict->other_thread,
                 conflict->own_writes ? "write" : "read", own, context->number,
                 conflict->cause == STM_ABORT_INEVITABLE ? " (the other is inevitable)" : "", lost);
    }
    fputs(line, stderr);
}

void stm_report_inevitable(StmContext *context, uint64_t inevitable_ns, uint64_t blocked_ns) {
    char where[256];
    format_where(where, sizeof where, context->inevitable_where);
    fprintf(stderr,
            "inevitable: \"%s\" at %s (thread %d); inevitable %.6f s, others blocked %.6f s\n",
            context->inevitable_reason ? context->inevitable_reason : "?", where, context->number,
            (double)inevitable_ns / 1e9, (double)blocked_ns / 1e9);
}

void stm_counters_add(StmCounters *into, const StmCounters *from) {
    into->commits += from->commits;
    for (int cause = 0; cause < STM_ABORT_CAUSE_COUNT; cause++)
        into->aborts[cause] += from->aborts[cause];
    into->inevitable_transactions += from->inevitable_transactions;
    into->serial_transactions += from->serial_transactions;
    into->nanoseconds_lost += from->nanoseconds_lost;
    into->nanoseconds_inevitable += from->nanoseconds_inevitable;
}

static void fill_stats(StmHeap *shared, const StmCounters *counters, StmStats *stats) {
    stats->commits = counters->commits;
    for (int cause = 0; cause < STM_ABORT_CAUSE_COUNT; cause++)
        stats->aborts[cause] = counters->aborts[cause];
    stats->inevitable_transactions = counters->inevitable_transactions;
    stats->serial_transactions = counters->serial_transactions;
    stats->seconds_lost = (double)counters->nanoseconds_lost / 1e9;
    stats->seconds_inevitable = (double)counters->nanoseconds_inevitable / 1e9;
    stats->seconds_blocked = (double)atomic_load(&shared->nanoseconds_blocked) / 1e9;
}

void stm_get_stats(GcThread *thread, StmStats *stats) {
    StmHeap *shared = thread->heap->stm;
    StmCounters sum;
    pthread_mutex_lock(&shared->lock);
    sum = shared->totals;
    pthread_mutex_unlock(&shared->lock);
    stm_counters_add(&sum, &stm_context_of(thread)->counters);
    fill_stats(shared, &sum, stats);
}

uint64_t stm_total_aborts(const StmStats *stats) {
    uint64_t total = 0;
    for (int cause = 0; cause < STM_ABORT_CAUSE_COUNT; cause++)
        total += stats->aborts[cause];
    return total;
}

void stm_print_stats(GcHeap *heap, FILE *out) {
    StmStats stats;
    fill_stats(heap->stm, &heap->stm->totals, &stats);
    fprintf(out, "kiln stm: %llu commits (%llu serial, %llu inevitable), %llu aborts (",
            (unsigned long long)stats.commits, (unsigned long long)stats.serial_transactions,
            (unsigned long long)stats.inevitable_transactions,
            (unsigned long long)stm_total_aborts(&stats));
    for (int cause = 0; cause < STM_ABORT_CAUSE_COUNT; cause++)
        fprintf(out, "%s%s %llu", cause ? ", " : "", cause_names[cause],
                (unsigned long long)stats.aborts[cause]);
    fprintf(out,
            ")\nkiln stm: %.6f s lost in aborted attempts, %.6f s inevitable, others blocked "
            "%.6f s\n",
            stats.seconds_lost, stats.seconds_inevitable, stats.seconds_blocked);
}
