/* test_gc_hash.c - the identity hash stays the same when the object moves
 * (nursery to old slot, nursery to large space), for large, old and
 * prebuilt objects, and across major collections. */
#include "test_gc_support.h"

#define COUNT 2000

START_TEST(hashes_survive_the_move_out_of_the_nursery) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    TestArray *holder = test_new_array(thread, &types, 0, COUNT);
    void **roots = gc_enter_frame(thread, 1);
    roots[0] = holder;
    uint64_t hashes[COUNT];
    for (int i = 0; i < COUNT; i++) {
        /* Every shape, including medium ones that move to the large space
         * and must grow by the hash word. */
        void *object;
        switch (i % 4) {
        case 0: object = test_new_leaf(thread, &types, i); break;
        case 1: object = test_new_pair(thread, &types, i); break;
        case 2: object = test_new_bytes(thread, &types, i, i % 3 ? 40 : 1500); break;
        default: object = test_new_array(thread, &types, i, 200); break;
        }
        hashes[i] = gc_identity_hash(thread, object);
        TEST_REQUIRE(gc_identity_hash(thread, object) == hashes[i], "hash %d unstable", i);
        holder = roots[0];
        gc_write_barrier_array(thread, holder, i);
        holder->items[i] = object;
    }
    for (int round = 0; round < 3; round++) {
        if (round == 2)
            gc_collect_major(thread);
        else
            gc_collect_minor(thread);
        test_verify(heap);
        holder = roots[0];
        for (int i = 0; i < COUNT; i++) {
            void *object = holder->items[i];
            TEST_REQUIRE(!gc_is_young(object), "object %d still young", i);
            TEST_REQUIRE(((TestLeaf *)object)->id == i, "object %d lost", i);
            TEST_REQUIRE(gc_identity_hash(thread, object) == hashes[i], "hash of %d changed", i);
        }
    }
    /* The hash word does not disturb the contents. */
    TestBytes *medium = holder->items[6];
    ck_assert_int_eq(medium->length, 1500);
    for (int i = 0; i < 1500; i++)
        TEST_REQUIRE(medium->bytes[i] == (uint8_t)(6 + i), "byte %d", i);
    /* Different objects get different hashes (collisions are possible in
     * principle, not among these few). */
    int equal = 0;
    for (int i = 1; i < COUNT; i++)
        equal += hashes[i] == hashes[i - 1];
    ck_assert_int_eq(equal, 0);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

START_TEST(objects_that_never_move_hash_their_address) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    static TestLeaf prebuilt;
    prebuilt = (TestLeaf){.header = GC_PREBUILT_HEADER(types.leaf), .id = 1};
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 2);
    roots[0] = test_new_bytes(thread, &types, 2, 100000);
    uint64_t large_hash = gc_identity_hash(thread, roots[0]);
    uint64_t prebuilt_hash = gc_identity_hash(thread, &prebuilt);
    roots[1] = test_new_leaf(thread, &types, 3);
    gc_collect_minor(thread);
    uint64_t old_hash = gc_identity_hash(thread, roots[1]);
    ck_assert(!(*(GcHeader *)roots[1] & GC_FLAG_HASH_STORED));
    ck_assert(!(*(GcHeader *)roots[0] & GC_FLAG_HASH_STORED));
    for (int i = 0; i < 3; i++) {
        gc_collect_major(thread);
        ck_assert_uint_eq(gc_identity_hash(thread, roots[0]), large_hash);
        ck_assert_uint_eq(gc_identity_hash(thread, roots[1]), old_hash);
        ck_assert_uint_eq(gc_identity_hash(thread, &prebuilt), prebuilt_hash);
    }
    test_verify(heap);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("gc_hash");
    TCase *tcase = tcase_create("hash");
    tcase_set_timeout(tcase, 120);
    tcase_add_test(tcase, hashes_survive_the_move_out_of_the_nursery);
    tcase_add_test(tcase, objects_that_never_move_hash_their_address);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
