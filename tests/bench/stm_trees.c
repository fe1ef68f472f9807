/* stm_trees.c - the STM benchmark workload, built twice: against the GIL
 * build of stm_gc (bench_stm_trees_gil) and against the STM build
 * (bench_stm_trees_stm), using the API the way generated code will.
 *
 * Each thread owns a long-lived tree (old after its first commit) and runs
 * `iterations` steps; a step builds a short-lived tree of 255 nodes, sums
 * it, then reads and rewrites 32 nodes of its long-lived tree.  In the STM
 * build each step ends at a break point (threads share nothing but the
 * heap, so the workload has no conflicts); in the GIL build at a safe
 * point.
 *
 *   bench_stm_trees_{gil,stm} THREADS ITERATIONS [idle|shared]
 * prints `seconds: S` (wall time of the work) and, for the STM build,
 * `commits: C aborts: A lost: L` (lost: seconds lost in aborts, measured
 * when KILN_STM_STATS=1).  With `idle`, one more thread stays attached in
 * a safe region, so the STM build leaves serial mode (one thread running,
 * parallel-mode barriers).  With `shared`, every thread rewrites nodes of
 * one long-lived tree instead of its own: a workload where transactions
 * conflict, for the abort rate and the adaptive transaction length.
 */
#include "gc.h"
#ifdef KILN_STM
#include "stm.h"
#endif

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct Node {
    GcHeader header;
    int64_t value;
    struct Node *left;
    struct Node *right;
} Node;

static const uint32_t node_refs[] = {offsetof(Node, left), offsetof(Node, right)};

typedef struct Bench {
    GcHeap *heap;
    uint32_t node_type;
    long iterations;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int attached; /* threads past the start gate's attach */
    int expected; /* the workers and the idle thread */
    int idle_stop;
    Node *shared_tree; /* `shared`: the tree every thread rewrites (old; a root) */
} Bench;

/* Every thread attaches before any works, so the work runs in one mode
 * from its start to its end (under valgrind too, which runs one thread
 * at a time): serial with one worker alone, parallel otherwise. */
static void start_gate(Bench *bench, GcThread *thread) {
    gc_gil_release(thread);
    pthread_mutex_lock(&bench->lock);
    bench->attached++;
    pthread_cond_broadcast(&bench->changed);
    while (bench->attached < bench->expected)
        pthread_cond_wait(&bench->changed, &bench->lock);
    pthread_mutex_unlock(&bench->lock);
    gc_gil_acquire(thread);
}

#ifdef KILN_STM
#define BENCH_READ(thread, object) stm_read_barrier((thread), (object))
#else
#define BENCH_READ(thread, object) ((void)(thread), (void)(object))
#endif

/* A tree of `depth` levels; the result is on top of the shadow stack. */
static void build(Bench *bench, GcThread *thread, int depth, int64_t value) {
    Node *node = gc_alloc(thread, bench->node_type, sizeof(Node));
    node->value = value;
    if (depth > 1) {
        gc_push_root(thread, node);
        build(bench, thread, depth - 1, value * 2);
        build(bench, thread, depth - 1, value * 2 + 1);
        Node *right = gc_pop_root(thread);
        Node *left = gc_pop_root(thread);
        node = thread->root_top[-1];
        /* `node` is young or this thread's: the barrier is the fast path. */
        gc_write_barrier(thread, node);
        node->left = left;
        node->right = right;
        return;
    }
    gc_push_root(thread, node);
}

/* Loops end with a safe point at their back edge, as in generated code
 * (gc.h); without it the GIL build would compile `thread` away here. */
static int64_t sum(GcThread *thread, Node *node) {
    int64_t total = 0;
    while (node) {
        BENCH_READ(thread, node);
        total += node->value + sum(thread, node->left);
        node = node->right;
        gc_safe_point(thread);
    }
    return total;
}

/* Rewrites the value of the node at path `bits` of the long-lived tree. */
static void touch(GcThread *thread, Node *node, uint64_t bits) {
    for (int level = 0; level < 11; level++) {
        BENCH_READ(thread, node);
        Node *next = (bits >> level) & 1 ? node->right : node->left;
        if (!next) break;
        node = next;
        gc_safe_point(thread);
    }
    BENCH_READ(thread, node);
    gc_write_barrier(thread, node);
    node->value++;
}

static void step(Bench *bench, GcThread *thread, long index) {
    build(bench, thread, 8, index);
    Node *scratch = gc_pop_root(thread);
    if (sum(thread, scratch) < 0) abort();
    Node *tree = bench->shared_tree ? bench->shared_tree : thread->root_top[-2];
    uint64_t bits = (uint64_t)index * 0x9e3779b97f4a7c15u;
    for (int k = 0; k < 32; k++, bits = bits * 6364136223846793005u + 1442695040888963407u)
        touch(thread, tree, bits >> 20);
}

/* The steps, as generated code runs a loop: one transaction, broken at
 * the break point when its length is reached (adaptive) or its nursery
 * filled.  The loop's progress is a counter in the heap, so a restart
 * resumes from the committed count. */
static void run_steps(Bench *bench, GcThread *thread) {
#ifdef KILN_STM
    stm_transaction_begin(thread);
#endif
    for (;;) {
#ifdef KILN_STM
        stm_break_point(thread);
#else
        gc_safe_point(thread);
#endif
        Node *counter = thread->root_top[-1];
        BENCH_READ(thread, counter);
        long index = (long)counter->value;
        if (index >= bench->iterations) break;
        gc_write_barrier(thread, counter);
        counter->value = index + 1;
        step(bench, thread, index);
    }
#ifdef KILN_STM
    stm_commit(thread);
#endif
}

/* `shared`: one long-lived tree for every thread, built before they start
 * and old from then on (so a global slot may hold it). */
static void build_shared_tree(Bench *bench) {
    gc_heap_add_root(bench->heap, (void **)&bench->shared_tree);
    GcThread *thread = gc_thread_attach(bench->heap);
#ifdef KILN_STM
    stm_transaction_begin(thread);
#endif
    build(bench, thread, 12, 1);
#ifdef KILN_STM
    stm_commit(thread);
#endif
    bench->shared_tree = gc_pop_root(thread);
    gc_thread_detach(thread);
}

static void *worker(void *argument) {
    Bench *bench = argument;
    GcThread *thread = gc_thread_attach(bench->heap);
    start_gate(bench, thread);
#ifdef KILN_STM
    stm_transaction_begin(thread);
#endif
    build(bench, thread, 12, 1); /* the long-lived tree, kept on the shadow stack */
#ifdef KILN_STM
    stm_commit(thread);
#endif
    Node *counter = gc_alloc(thread, bench->node_type, sizeof(Node));
    gc_push_root(thread, counter);
    run_steps(bench, thread);
    (void)gc_pop_root(thread);
    (void)gc_pop_root(thread);
    gc_thread_detach(thread);
    return NULL;
}

/* Stays attached without running: in the STM build the others leave
 * serial mode. */
static void *idle(void *argument) {
    Bench *bench = argument;
    GcThread *thread = gc_thread_attach(bench->heap);
    gc_gil_release(thread);
    pthread_mutex_lock(&bench->lock);
    bench->attached++;
    pthread_cond_broadcast(&bench->changed);
    while (!bench->idle_stop)
        pthread_cond_wait(&bench->changed, &bench->lock);
    pthread_mutex_unlock(&bench->lock);
    gc_gil_acquire(thread);
    gc_thread_detach(thread);
    return NULL;
}

static double now_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s THREADS ITERATIONS [idle|shared]\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[1]);
    if (threads < 1 || threads > 64) threads = threads < 1 ? 1 : 64;
    Bench bench = {.iterations = atol(argv[2])};
    bool with_idle = argc > 3 && strcmp(argv[3], "idle") == 0;
    bool shared = argc > 3 && strcmp(argv[3], "shared") == 0;
    bench.expected = threads + (with_idle ? 1 : 0);
    pthread_mutex_init(&bench.lock, NULL);
    pthread_cond_init(&bench.changed, NULL);
    bench.heap = gc_heap_create(NULL);
    GcTypeInfo type = {
        .name = "Node", .fixed_size = sizeof(Node), .ref_count = 2, .ref_offsets = node_refs};
    bench.node_type = gc_heap_register_types(bench.heap, &type, 1);
    if (shared) build_shared_tree(&bench);
    /* The main thread attaches only after the run: with one worker, the
     * STM build runs in serial mode unless `idle` is given. */
    pthread_t idle_thread, workers[64];
    if (with_idle) pthread_create(&idle_thread, NULL, idle, &bench);
    double started = now_seconds();
    for (int i = 0; i < threads; i++)
        pthread_create(&workers[i], NULL, worker, &bench);
    for (int i = 0; i < threads; i++)
        pthread_join(workers[i], NULL);
    double seconds = now_seconds() - started;
    if (with_idle) {
        pthread_mutex_lock(&bench.lock);
        bench.idle_stop = 1;
        pthread_cond_broadcast(&bench.changed);
        pthread_mutex_unlock(&bench.lock);
        pthread_join(idle_thread, NULL);
    }
    GcThread *main_thread = gc_thread_attach(bench.heap);
    printf("seconds: %.6f\n", seconds);
#ifdef KILN_STM
    StmStats stats;
    stm_get_stats(main_thread, &stats);
    printf("commits: %llu aborts: %llu lost: %.6f\n", (unsigned long long)stats.commits,
           (unsigned long long)stm_total_aborts(&stats), stats.seconds_lost);
#endif
    gc_thread_detach(main_thread);
    gc_heap_destroy(bench.heap);
    return 0;
}
