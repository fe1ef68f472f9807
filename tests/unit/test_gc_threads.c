/* test_gc_threads.c - several threads allocating under the GIL: each has
 * its own nursery and shadow stack, a collection started by one thread
 * moves the others' young objects and rewrites their shadow stacks, young
 * objects published through a shared old array survive their thread. */
#include <pthread.h>
#include <time.h>

#include "test_gc_support.h"

#define THREADS 4

/* Steps per worker (stress mode verifies the heap at every allocation, so
 * it runs fewer), and the slots of the shared array per worker. */
static int64_t iterations(void) {
    return test_stress_mode() ? 500 : 3000;
}
static int64_t published(void) {
    return iterations() / 50;
}

typedef struct Worker {
    GcHeap *heap;
    const TestTypes *types;
    void **shared; /* global root slot holding the shared Array */
    int index;
    int errors;
    uint64_t safe_points;
} Worker;

static int64_t id_of(int worker, int64_t serial) {
    return (int64_t)worker * 1000000 + serial;
}

static void pause_briefly(void) {
    struct timespec delay = {.tv_sec = 0, .tv_nsec = 20000};
    nanosleep(&delay, NULL);
}

/* Builds lists of pairs, publishes some of them, and checks its list after
 * every step, while the other workers collect at will. */
static void *worker_main(void *argument) {
    Worker *worker = argument;
    GcThread *thread = gc_thread_attach(worker->heap);
    if (gc_thread_current() != thread) worker->errors++;
    void **roots = gc_enter_frame(thread, 1);
    int64_t length = 0;
    for (int64_t serial = 0; serial < iterations(); serial++) {
        TestBytes *bytes = test_new_bytes(thread, worker->types, serial, serial % 40);
        gc_push_root(thread, bytes); /* across the next allocation */
        TestPair *pair = test_new_pair(thread, worker->types, id_of(worker->index, serial));
        bytes = gc_pop_root(thread);
        pair->left = roots[0];
        pair->right = bytes;
        roots[0] = pair;
        length++;
        if (serial % 50 == 0) {
            TestArray *shared = *worker->shared;
            int64_t slot = worker->index * published() + serial / 50;
            gc_write_barrier_array(thread, shared, slot);
            shared->items[slot] = roots[0];
        }
        if (serial % 500 == 0) {
            /* A blocking call: every reference is on the shadow stack. */
            gc_gil_release(thread);
            pause_briefly();
            gc_gil_acquire(thread);
        }
        if (serial % 1000 == 999) {
            roots[0] = NULL; /* drop the list: garbage for the others' collections */
            length = 0;
        }
        gc_safe_point(thread);
        worker->safe_points++;
    }
    /* The surviving list is intact. */
    TestPair *pair = roots[0];
    for (int64_t serial = iterations() - 1; pair; serial--, length--) {
        if (pair->id != id_of(worker->index, serial)) worker->errors++;
        pair = pair->left;
    }
    if (length != 0) worker->errors++;
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    return NULL;
}

START_TEST(threads_allocate_and_collect_under_the_gil) {
    TestTypes types;
    GcHeap *heap = test_heap_create(128 * 1024, 1 << 20, &types);
    void *shared = NULL;
    gc_heap_add_root(heap, &shared);
    GcThread *main_thread = gc_thread_attach(heap);
    shared = test_new_array(main_thread, &types, -1, THREADS * published());
    gc_collect_minor(main_thread);
    ck_assert(!gc_is_young(shared));
    Worker workers[THREADS];
    pthread_t handles[THREADS];
    /* Joining blocks: release the GIL around it. */
    gc_gil_release(main_thread);
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (Worker){.heap = heap, .types = &types, .shared = &shared, .index = i};
        ck_assert_int_eq(pthread_create(&handles[i], NULL, worker_main, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(handles[i], NULL);
    gc_gil_acquire(main_thread);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(workers[i].errors, 0);
        ck_assert_uint_eq(workers[i].safe_points, (uint64_t)iterations());
    }
    test_verify(heap);
    gc_collect_major(main_thread);
    TestArray *array = shared;
    for (int64_t slot = 0; slot < THREADS * published(); slot++) {
        TestPair *pair = array->items[slot];
        ck_assert_ptr_nonnull(pair);
        ck_assert(!gc_is_young(pair));
        ck_assert_int_eq(pair->id / 1000000, slot / published());
        ck_assert_int_eq(pair->id % 1000000, slot % published() * 50);
        ck_assert_int_eq((pair->id % 1000000) % 50, 0);
        TestBytes *bytes = pair->right;
        ck_assert_int_eq(bytes->length, (pair->id % 1000000) % 40);
    }
    GcStats stats;
    gc_get_stats(heap, &stats);
    ck_assert_uint_gt(stats.minor_collections, THREADS);
    test_verify(heap);
    gc_thread_detach(main_thread);
    gc_heap_destroy(heap);
}
END_TEST

/* The GIL is fair: a thread spinning through safe points lets a waiting
 * thread in. */
typedef struct Turns {
    GcHeap *heap;
    atomic_int entered;
} Turns;

static void *enter_once(void *argument) {
    Turns *turns = argument;
    GcThread *thread = gc_thread_attach(turns->heap);
    atomic_store(&turns->entered, 1);
    gc_thread_detach(thread);
    return NULL;
}

START_TEST(safe_points_let_waiting_threads_run) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    Turns turns = {.heap = heap};
    atomic_init(&turns.entered, 0);
    pthread_t other;
    ck_assert_int_eq(pthread_create(&other, NULL, enter_once, &turns), 0);
    /* Without ever releasing the GIL explicitly, only safe points. */
    while (!atomic_load(&turns.entered))
        gc_safe_point(thread);
    gc_gil_release(thread);
    pthread_join(other, NULL);
    gc_gil_acquire(thread);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("gc_threads");
    TCase *tcase = tcase_create("threads");
    tcase_set_timeout(tcase, 300);
    tcase_add_test(tcase, threads_allocate_and_collect_under_the_gil);
    tcase_add_test(tcase, safe_points_let_waiting_threads_run);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
