/* stm_dict.c - conflicts of a shared dictionary under the STM engine (STM
 * build only).
 *
 * THREADS threads each run ITERATIONS transactions; each transaction
 * stores 4 keys of its own thread (inserted the first time, updated after)
 * in one dictionary shared by every thread.  No two threads ever use the
 * same key, so every conflict is an artifact of the dictionary:
 *   table    the engine's hash table (stm.h, stm_hashtable_*), whose keys
 *            are separate objects;
 *   buckets  the same map built from ordinary objects, as generated code
 *            would without it: a count and an array of 64 bucket lists
 *            (every insertion writes the count; keys share buckets).
 *
 *   bench_stm_dict {table,buckets} THREADS ITERATIONS
 * prints `seconds: S` and `commits: C aborts: A` (conflict aborts).
 */
#include "gc.h"
#include "stm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { KEYS_PER_THREAD = 256, KEYS_PER_TRANSACTION = 4, BUCKETS = 64 };

typedef struct Value {
    GcHeader header;
    int64_t number;
} Value;

typedef struct Entry {
    GcHeader header;
    uint64_t key;
    struct Entry *next;
    Value *value;
} Entry;

typedef struct Buckets {
    GcHeader header;
    int64_t length;
    Entry *items[];
} Buckets;

typedef struct Dict {
    GcHeader header;
    int64_t count;
    Buckets *buckets;
} Dict;

static const uint32_t entry_refs[] = {offsetof(Entry, next), offsetof(Entry, value)};
static const uint32_t bucket_refs[] = {0};
static const uint32_t dict_refs[] = {offsetof(Dict, buckets)};

typedef struct Bench {
    GcHeap *heap;
    uint32_t value_type, entry_type, buckets_type, dict_type;
    bool use_table;
    long iterations;
    StmHashtable *table; /* old, a root */
    Dict *dict;          /* old, a root */
} Bench;

typedef struct Worker {
    Bench *bench;
    int index;
} Worker;

static Value *new_value(Bench *bench, GcThread *thread, int64_t number) {
    Value *value = gc_alloc(thread, bench->value_type, sizeof(Value));
    value->number = number;
    return value;
}

/* The bucket-list dictionary: find the key's entry, or add one (and
 * count it). */
static void dict_store(Bench *bench, GcThread *thread, uint64_t key, int64_t number) {
    Dict *dict = bench->dict;
    stm_read_barrier(thread, dict);
    Buckets *buckets = dict->buckets;
    stm_read_barrier(thread, buckets);
    int64_t bucket = (int64_t)((key * 0x9e3779b97f4a7c15u) >> 58);
    for (Entry *entry = buckets->items[bucket]; entry; entry = entry->next) {
        stm_read_barrier(thread, entry);
        if (entry->key != key) continue;
        Value *value = new_value(bench, thread, number);
        gc_write_barrier(thread, entry); /* entry is old: it does not move */
        entry->value = value;
        return;
    }
    Value *value = new_value(bench, thread, number);
    gc_push_root(thread, value);
    Entry *entry = gc_alloc(thread, bench->entry_type, sizeof(Entry));
    value = gc_pop_root(thread);
    entry->key = key;
    entry->value = value;
    dict = bench->dict;
    buckets = dict->buckets;
    entry->next = buckets->items[bucket];
    gc_write_barrier_array(thread, buckets, bucket);
    buckets->items[bucket] = entry;
    gc_write_barrier(thread, dict);
    dict->count++;
}

static void store_keys(Bench *bench, GcThread *thread, int worker, long iteration) {
    stm_transaction_begin(thread);
    for (int k = 0; k < KEYS_PER_TRANSACTION; k++) {
        long slot = (iteration * KEYS_PER_TRANSACTION + k) % KEYS_PER_THREAD;
        uint64_t key = (uint64_t)worker << 32 | (uint64_t)slot;
        if (bench->use_table)
            stm_hashtable_set(thread, bench->table, key, new_value(bench, thread, iteration));
        else
            dict_store(bench, thread, key, iteration);
    }
    stm_commit(thread);
}

static void *worker_main(void *argument) {
    Worker *worker = argument;
    Bench *bench = worker->bench;
    GcThread *thread = gc_thread_attach(bench->heap);
    for (long i = 0; i < bench->iterations; i++)
        store_keys(bench, thread, worker->index, i);
    gc_thread_detach(thread);
    return NULL;
}

static void setup(Bench *bench, GcThread *thread) {
    stm_transaction_begin(thread);
    bench->table = stm_hashtable_new(thread);
    Buckets *buckets = gc_alloc_varsize(thread, bench->buckets_type, sizeof(Buckets), 8,
                                        offsetof(Buckets, length), BUCKETS);
    gc_push_root(thread, buckets);
    Dict *dict = gc_alloc(thread, bench->dict_type, sizeof(Dict));
    dict->buckets = gc_pop_root(thread);
    gc_push_root(thread, dict);
    stm_commit(thread);
    bench->dict = gc_pop_root(thread);
}

static double now_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4 || (strcmp(argv[1], "table") && strcmp(argv[1], "buckets"))) {
        fprintf(stderr, "usage: %s {table,buckets} THREADS ITERATIONS\n", argv[0]);
        return 2;
    }
    Bench bench = {.use_table = !strcmp(argv[1], "table"), .iterations = atol(argv[3])};
    int threads = atoi(argv[2]);
    if (threads < 1 || threads > 64) threads = 1;
    bench.heap = gc_heap_create(NULL);
    GcTypeInfo types[] = {
        {.name = "Value", .fixed_size = sizeof(Value)},
        {.name = "Entry", .fixed_size = sizeof(Entry), .ref_count = 2, .ref_offsets = entry_refs},
        {.name = "Buckets",
         .fixed_size = sizeof(Buckets),
         .item_size = 8,
         .length_offset = offsetof(Buckets, length),
         .item_ref_count = 1,
         .item_ref_offsets = bucket_refs},
        {.name = "Dict", .fixed_size = sizeof(Dict), .ref_count = 1, .ref_offsets = dict_refs},
    };
    bench.value_type = gc_heap_register_types(bench.heap, types, 4);
    bench.entry_type = bench.value_type + 1;
    bench.buckets_type = bench.value_type + 2;
    bench.dict_type = bench.value_type + 3;
    gc_heap_add_root(bench.heap, (void **)&bench.table);
    gc_heap_add_root(bench.heap, (void **)&bench.dict);
    GcThread *main_thread = gc_thread_attach(bench.heap);
    setup(&bench, main_thread);
    gc_gil_release(main_thread);
    pthread_t ids[64];
    Worker workers[64];
    double started = now_seconds();
    for (int i = 0; i < threads; i++) {
        workers[i] = (Worker){&bench, i};
        pthread_create(&ids[i], NULL, worker_main, &workers[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(ids[i], NULL);
    double seconds = now_seconds() - started;
    gc_gil_acquire(main_thread);
    StmStats stats;
    stm_get_stats(main_thread, &stats);
    printf("seconds: %.6f\n", seconds);
    printf("commits: %llu aborts: %llu\n", (unsigned long long)stats.commits,
           (unsigned long long)(stats.aborts[STM_ABORT_READ_WRITE] +
                                stats.aborts[STM_ABORT_WRITE_WRITE] +
                                stats.aborts[STM_ABORT_INEVITABLE]));
    gc_thread_detach(main_thread);
    gc_heap_destroy(bench.heap);
    return 0;
}
