/* boehm_pauses.h - pause times of Boehm GC, for the benchmarks' peers.
 *
 * With KILN_BENCH_PAUSES=1 each collection is timed from its start event
 * to its end event (the stop-the-world part: marking and, unless lazy, the
 * sweep), and at exit the distribution is printed to stderr in the format
 * of KILN_GC_STATS:
 *   boehm gc: pause p50 X ms, p99 Y ms, max Z ms, total T ms, N collections
 * Boehm's event callback takes no context argument, so the log has to be
 * a file-level variable: this is benchmark harness code, not runtime code.
 */
#ifndef KILN_BENCH_BOEHM_PAUSES_H
#define KILN_BENCH_BOEHM_PAUSES_H

#include <gc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct BoehmPauseLog {
    uint64_t started;
    uint64_t *pauses;
    size_t count;
    size_t capacity;
} BoehmPauseLog;

static BoehmPauseLog boehm_pause_log;

static uint64_t boehm_now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static void boehm_on_event(GC_EventType event) {
    BoehmPauseLog *log = &boehm_pause_log;
    if (event == GC_EVENT_START) {
        log->started = boehm_now_ns();
    } else if (event == GC_EVENT_END && log->started) {
        if (log->count == log->capacity) {
            log->capacity = log->capacity ? log->capacity * 2 : 1024;
            log->pauses = realloc(log->pauses, log->capacity * sizeof(uint64_t));
            if (!log->pauses) abort();
        }
        log->pauses[log->count++] = boehm_now_ns() - log->started;
        log->started = 0;
    }
}

static int boehm_compare(const void *left, const void *right) {
    uint64_t a = *(const uint64_t *)left, b = *(const uint64_t *)right;
    return (a > b) - (a < b);
}

static void boehm_print_pauses(void) {
    BoehmPauseLog *log = &boehm_pause_log;
    if (!log->count) return;
    qsort(log->pauses, log->count, sizeof(uint64_t), boehm_compare);
    uint64_t total = 0;
    for (size_t i = 0; i < log->count; i++)
        total += log->pauses[i];
    size_t p50 = (log->count * 50 + 99) / 100, p99 = (log->count * 99 + 99) / 100;
    fprintf(
        stderr,
        "boehm gc: pause p50 %.3f ms, p99 %.3f ms, max %.3f ms, total %.1f ms, %zu collections\n",
        (double)log->pauses[p50 - 1] / 1e6, (double)log->pauses[p99 - 1] / 1e6,
        (double)log->pauses[log->count - 1] / 1e6, (double)total / 1e6, log->count);
}

static void boehm_pauses_start(void) {
    const char *enabled = getenv("KILN_BENCH_PAUSES");
    if (!enabled || strcmp(enabled, "1")) return;
    GC_set_on_collection_event(boehm_on_event);
    atexit(boehm_print_pauses);
}

#endif
