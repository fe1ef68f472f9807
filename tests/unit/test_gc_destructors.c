/* test_gc_destructors.c - destructors run once, after their object died:
 * young objects at the minor collection, old ones at the major collection,
 * what is left at heap destruction; per type or per object. */
#include <fcntl.h>
#include <unistd.h>

#include "test_gc_support.h"

START_TEST(young_objects_with_destructors_die_at_the_minor_collection) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    int64_t runs = 0;
    void **roots = gc_enter_frame(thread, 1);
    roots[0] = test_new_resource(thread, &types, 1, &runs);
    for (int i = 0; i < 10; i++)
        test_new_resource(thread, &types, 2 + i, &runs);
    ck_assert(*(GcHeader *)roots[0] & GC_FLAG_HAS_DESTRUCTOR);
    gc_collect_minor(thread);
    ck_assert_int_eq(runs, 10);
    test_verify(heap);
    /* The survivor is old now; it dies at the next major collection only. */
    roots[0] = NULL;
    gc_collect_minor(thread);
    ck_assert_int_eq(runs, 10);
    gc_collect_major(thread);
    ck_assert_int_eq(runs, 11);
    gc_collect_major(thread);
    ck_assert_int_eq(runs, 11);
    GcStats stats;
    gc_get_stats(heap, &stats);
    ck_assert_uint_eq(stats.destructors_run, 11);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

START_TEST(destructors_of_reachable_objects_wait_for_heap_destruction) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    void *global = NULL;
    gc_heap_add_root(heap, &global);
    GcThread *thread = gc_thread_attach(heap);
    int64_t runs = 0;
    global = test_new_resource(thread, &types, 1, &runs);
    for (int i = 0; i < 3; i++)
        gc_collect_major(thread);
    ck_assert_int_eq(runs, 0);
    gc_thread_detach(thread);
    ck_assert_int_eq(runs, 0);
    gc_heap_destroy(heap);
    ck_assert_int_eq(runs, 1);
}
END_TEST

/* The use the destructors are for: an object owning a file descriptor. */
typedef struct TestFile {
    GcHeader header;
    int64_t descriptor;
} TestFile;

static void close_file(void *object) {
    close((int)((TestFile *)object)->descriptor);
}

START_TEST(a_registered_destructor_closes_a_file) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcTypeInfo file_type = {.name = "File", .fixed_size = sizeof(TestFile)};
    uint32_t file_id = gc_heap_register_types(heap, &file_type, 1);
    GcThread *thread = gc_thread_attach(heap);
    int descriptors[4];
    void **roots = gc_enter_frame(thread, 1);
    for (int i = 0; i < 4; i++) {
        TestFile *file = gc_alloc(thread, file_id, sizeof(TestFile));
        descriptors[i] = open("/dev/null", O_RDONLY);
        ck_assert_int_ge(descriptors[i], 0);
        file->descriptor = descriptors[i];
        gc_register_destructor(thread, file, close_file);
        if (i == 0) roots[0] = file;
    }
    gc_collect_minor(thread);
    ck_assert_int_ne(fcntl(descriptors[0], F_GETFD), -1);
    for (int i = 1; i < 4; i++)
        ck_assert_int_eq(fcntl(descriptors[i], F_GETFD), -1);
    /* Registering again replaces the destructor (one per object). */
    int64_t runs = 0;
    TestResource *resource = test_new_resource(thread, &types, 9, &runs);
    gc_register_destructor(thread, resource, close_file);
    resource->counter = NULL;
    /* close_file reads the word after the header: the Resource's id. */
    resource->id = open("/dev/null", O_RDONLY);
    int descriptor = (int)resource->id;
    roots[0] = NULL;
    gc_collect_major(thread);
    ck_assert_int_eq(fcntl(descriptors[0], F_GETFD), -1);
    ck_assert_int_eq(fcntl(descriptor, F_GETFD), -1);
    ck_assert_int_eq(runs, 0);
    test_verify(heap);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

/* A per-object destructor for arrays: their id field holds the address of
 * the counter (plain memory, not a GC reference). */
static void count_through_id(void *object) {
    int64_t *counter = (int64_t *)(intptr_t)((TestArray *)object)->id;
    (*counter)++;
}

/* Large objects die at the minor collection after their birth when
 * unreachable; medium ones copied to the large space die at a major
 * collection like any old object. */
START_TEST(large_and_medium_objects_get_destructors_too) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    int64_t runs = 0;
    void **roots = gc_enter_frame(thread, 3);
    int64_t lengths[3] = {4096, 4096, 300};
    for (int i = 0; i < 3; i++) {
        TestArray *array = test_new_array(thread, &types, (int64_t)(intptr_t)&runs, lengths[i]);
        gc_register_destructor(thread, array, count_through_id);
        /* The first one is garbage at once (in stress mode the next
         * allocation's collection frees it). */
        roots[i] = i ? array : NULL;
    }
    gc_collect_minor(thread);
    ck_assert_int_eq(runs, 1);
    test_verify(heap);
    roots[1] = roots[2] = NULL;
    gc_collect_minor(thread);
    ck_assert_int_eq(runs, 1);
    gc_collect_major(thread);
    ck_assert_int_eq(runs, 3);
    test_verify(heap);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("gc_destructors");
    TCase *tcase = tcase_create("destructors");
    tcase_set_timeout(tcase, 120);
    tcase_add_test(tcase, young_objects_with_destructors_die_at_the_minor_collection);
    tcase_add_test(tcase, destructors_of_reachable_objects_wait_for_heap_destruction);
    tcase_add_test(tcase, a_registered_destructor_closes_a_file);
    tcase_add_test(tcase, large_and_medium_objects_get_destructors_too);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
