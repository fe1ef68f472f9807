/* gc_stats.c - collection counters and pause times.
 *
 * Every pause is kept (8 bytes each), so that the percentiles are exact;
 * they are computed on demand from a sorted copy.
 */
#include "gc_internal.h"

#include <time.h>

uint64_t gc_now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static uint64_t thread_cpu_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Both clocks: the wall time is the pause the program sees; the CPU time
 * is the collector's own work, which is what a loaded machine (a shared CI
 * box) does not inflate by preempting the collecting thread. */
GcPauseStart gc_pause_begin(void) {
    return (GcPauseStart){.wall = gc_now_ns(), .cpu = thread_cpu_ns()};
}

void gc_pause_end(GcPauseStart start, GcPauseLog *wall, GcPauseLog *cpu) {
    gc_pause_record(cpu, thread_cpu_ns() - start.cpu);
    gc_pause_record(wall, gc_now_ns() - start.wall);
}

void gc_pause_record(GcPauseLog *log, uint64_t nanoseconds) {
    if (log->count == log->capacity) {
        log->capacity = log->capacity ? log->capacity * 2 : 256;
        log->nanoseconds = gc_xrealloc(log->nanoseconds, log->capacity * sizeof(uint64_t));
    }
    log->nanoseconds[log->count++] = nanoseconds;
}

void gc_pause_free(GcPauseLog *log) {
    free(log->nanoseconds);
    log->nanoseconds = NULL;
    log->count = log->capacity = 0;
}

static int compare_u64(const void *left, const void *right) {
    uint64_t a = *(const uint64_t *)left, b = *(const uint64_t *)right;
    return (a > b) - (a < b);
}

/* Nearest-rank percentile of a sorted array. */
static double percentile_ms(const uint64_t *sorted, size_t count, unsigned percent) {
    size_t rank = (count * percent + 99) / 100;
    return (double)sorted[rank ? rank - 1 : 0] / 1e6;
}

static GcPauseSummary summarize(const GcPauseLog *log) {
    GcPauseSummary summary = {.count = log->count};
    if (!log->count) return summary;
    uint64_t *sorted = gc_xmalloc(log->count * sizeof(uint64_t));
    memcpy(sorted, log->nanoseconds, log->count * sizeof(uint64_t));
    qsort(sorted, log->count, sizeof(uint64_t), compare_u64);
    uint64_t total = 0;
    for (size_t i = 0; i < log->count; i++)
        total += sorted[i];
    summary.p50_ms = percentile_ms(sorted, log->count, 50);
    summary.p99_ms = percentile_ms(sorted, log->count, 99);
    summary.max_ms = (double)sorted[log->count - 1] / 1e6;
    summary.total_ms = (double)total / 1e6;
    free(sorted);
    return summary;
}

void gc_get_stats(GcHeap *heap, GcStats *stats) {
    const GcCounters *counters = &heap->counters;
    stats->minor_collections = counters->minor_collections;
    stats->major_collections = counters->major_collections;
    stats->bytes_allocated = counters->bytes_allocated;
    /* Nursery bytes are counted when the nursery is emptied: add what the
     * nurseries hold now. */
    for (GcThreadState *state = heap->threads; state; state = state->next)
        stats->bytes_allocated += (uint64_t)(state->public.nursery_free - state->nursery_start);
    stats->bytes_promoted = counters->bytes_promoted;
    stats->old_bytes = heap->old_bytes;
    stats->old_bytes_peak = counters->old_bytes_peak;
    stats->cards_scanned = counters->cards_scanned;
    stats->nursery_limit = heap->nursery_limit;
    stats->destructors_run = counters->destructors_run;
    stats->minor = summarize(&counters->minor_pauses);
    stats->major = summarize(&counters->major_pauses);
    stats->minor_cpu = summarize(&counters->minor_cpu);
    stats->major_cpu = summarize(&counters->major_cpu);
}

uint64_t gc_collection_count(GcHeap *heap) {
    return heap->counters.minor_collections + heap->counters.major_collections;
}

static double megabytes(uint64_t bytes) {
    return (double)bytes / (1024.0 * 1024.0);
}

void gc_print_stats(GcHeap *heap, FILE *out) {
    GcStats stats;
    gc_get_stats(heap, &stats);
    fprintf(out, "kiln gc: %llu minor collections, %llu major collections, nursery %zu KB\n",
            (unsigned long long)stats.minor_collections,
            (unsigned long long)stats.major_collections, heap->config.nursery_bytes / 1024);
    fprintf(out,
            "kiln gc: allocated %.1f MB, promoted %.1f MB, old generation %.1f MB (peak %.1f "
            "MB), %llu cards scanned, %llu destructors run\n",
            megabytes(stats.bytes_allocated), megabytes(stats.bytes_promoted),
            megabytes(stats.old_bytes), megabytes(stats.old_bytes_peak),
            (unsigned long long)stats.cards_scanned, (unsigned long long)stats.destructors_run);
    const GcPauseSummary *summaries[4] = {&stats.minor, &stats.minor_cpu, &stats.major,
                                          &stats.major_cpu};
    const char *names[4] = {"minor pause", "minor cpu", "major pause", "major cpu"};
    for (int i = 0; i < 4; i++)
        fprintf(out, "kiln gc: %s p50 %.3f ms, p99 %.3f ms, max %.3f ms, total %.1f ms\n", names[i],
                summaries[i]->p50_ms, summaries[i]->p99_ms, summaries[i]->max_ms,
                summaries[i]->total_ms);
}
