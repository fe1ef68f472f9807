/* test_gc_verify.c - the heap verifier finds each kind of broken
 * invariant it promises to check (and nothing on a healthy heap). */
#include <string.h>

#include "test_gc_support.h"

static bool reports(GcHeap *heap, const char *text) {
    GcVerifyReport report;
    size_t errors = gc_verify(heap, &report);
    size_t shown = errors < 10 ? errors : 10;
    for (size_t i = 0; i < shown; i++)
        if (strstr(report.first[i], text)) return true;
    return false;
}

/* Three objects: an old pair in roots[0], a young leaf in roots[1]. */
static void setup(GcHeap *heap, GcThread *thread, const TestTypes *types, void **roots) {
    roots[0] = test_new_pair(thread, types, 1);
    gc_collect_minor(thread);
    roots[1] = test_new_leaf(thread, types, 2);
    test_verify(heap);
}

START_TEST(a_store_without_barrier_is_reported) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 2);
    setup(heap, thread, &types, roots);
    TestPair *pair = roots[0];
    pair->left = roots[1];
    ck_assert(reports(heap, "is not in the remembered set"));
    gc_write_barrier(thread, pair);
    test_verify(heap);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

START_TEST(a_cleared_barrier_flag_outside_the_remembered_set_is_reported) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 2);
    setup(heap, thread, &types, roots);
    *(GcHeader *)roots[0] &= ~GC_FLAG_WRITE_BARRIER;
    ck_assert(reports(heap, "no write-barrier flag but is not remembered"));
    *(GcHeader *)roots[0] |= GC_FLAG_WRITE_BARRIER;
    test_verify(heap);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

START_TEST(references_to_non_objects_are_reported) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 2);
    setup(heap, thread, &types, roots);
    TestPair *pair = roots[0];
    gc_write_barrier(thread, pair);
    /* Into the middle of an object, in the nursery and in the old
     * generation. */
    pair->left = (char *)roots[1] + 8;
    ck_assert(reports(heap, "not the start of a live object"));
    pair->left = (char *)pair + 8;
    ck_assert(reports(heap, "not the start of a live object"));
    /* A root slot too. */
    pair->left = NULL;
    roots[1] = (char *)pair + 16;
    ck_assert(reports(heap, "from (nil) (root)"));
    roots[1] = NULL;
    test_verify(heap);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

START_TEST(bad_headers_and_accounting_are_reported) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 2);
    setup(heap, thread, &types, roots);
    GcHeader saved = *(GcHeader *)roots[0];
    /* A flag a young object cannot have, on an old one. */
    *(GcHeader *)roots[0] |= GC_FLAG_FORWARDED;
    ck_assert(reports(heap, "not allowed for its place"));
    /* STM bits are reserved. */
    *(GcHeader *)roots[0] = saved | ((GcHeader)1 << 50);
    ck_assert(reports(heap, "not allowed for its place"));
    /* An unknown type id. */
    *(GcHeader *)roots[0] = (saved & ~GC_TYPE_ID_MASK) | 999;
    ck_assert(reports(heap, "invalid type id"));
    *(GcHeader *)roots[0] = saved;
    /* A young object flagged old. */
    GcHeader young = *(GcHeader *)roots[1];
    *(GcHeader *)roots[1] |= GC_FLAG_OLD;
    ck_assert(reports(heap, "not allowed for its place"));
    *(GcHeader *)roots[1] = young;
    /* A destructor flag without an entry. */
    *(GcHeader *)roots[1] |= GC_FLAG_HAS_DESTRUCTOR;
    ck_assert(reports(heap, "destructor entries"));
    *(GcHeader *)roots[1] = young;
    /* Dirt in the free part of the nursery. */
    if (thread->nursery_top > thread->nursery_free) {
        thread->nursery_free[8] = 1;
        ck_assert(reports(heap, "is not zero"));
        thread->nursery_free[8] = 0;
    }
    test_verify(heap);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

START_TEST(a_healthy_heap_passes_and_counts_what_it_checked) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 2);
    setup(heap, thread, &types, roots);
    TestPair *pair = roots[0];
    gc_write_barrier(thread, pair);
    pair->left = roots[1];
    pair->right = pair;
    GcVerifyReport report;
    ck_assert_uint_eq(gc_verify(heap, &report), 0);
    ck_assert_uint_ge(report.objects, 2);
    ck_assert_uint_ge(report.references, 4);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("gc_verify");
    TCase *tcase = tcase_create("verify");
    tcase_set_timeout(tcase, 120);
    tcase_add_test(tcase, a_store_without_barrier_is_reported);
    tcase_add_test(tcase, a_cleared_barrier_flag_outside_the_remembered_set_is_reported);
    tcase_add_test(tcase, references_to_non_objects_are_reported);
    tcase_add_test(tcase, bad_headers_and_accounting_are_reported);
    tcase_add_test(tcase, a_healthy_heap_passes_and_counts_what_it_checked);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
