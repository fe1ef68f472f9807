/* test_gc_alloc.c - allocation and tracing for every descriptor shape,
 * large objects, prebuilt objects, global roots, configuration and
 * statistics. */
#include <stdio.h>
#include <string.h>

#include "test_gc_support.h"

/* Builds one object of every shape, each pointing at a leaf, with the
 * roots on the shadow stack; checks them after minor and major
 * collections. */
START_TEST(every_shape_survives_minor_and_major_collections) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 8);
    roots[0] = test_new_leaf(thread, &types, 1);
    TestPair *pair = test_new_pair(thread, &types, 2);
    pair->left = roots[0];
    roots[1] = pair;
    roots[2] = test_new_bytes(thread, &types, 3, 37);
    TestArray *array = test_new_array(thread, &types, 4, 5);
    for (int i = 0; i < 5; i++)
        array->items[i] = i % 2 ? roots[0] : NULL;
    roots[3] = array;
    roots[4] = test_new_table(thread, &types, 5, 3);
    roots[5] = test_new_mixed(thread, &types, 6, 4);
    /* Nested allocations: the leaf goes through a root across the call. */
    for (int i = 0; i < 3; i++) {
        TestLeaf *key = test_new_leaf(thread, &types, 100 + i);
        gc_push_root(thread, key);
        TestLeaf *value = test_new_leaf(thread, &types, 200 + i);
        key = gc_pop_root(thread);
        TestTable *table = roots[4];
        gc_write_barrier_array(thread, table, i);
        table->entries[i].key = key;
        table->entries[i].value = value;
    }
    TestMixed *mixed = roots[5];
    gc_write_barrier(thread, mixed);
    mixed->owner = roots[1];
    gc_write_barrier_array(thread, mixed, 3);
    mixed->items[3] = roots[2];
    roots[0] = NULL; /* the leaf stays reachable through the pair and the array */
    test_verify(heap);

    for (int round = 0; round < 4; round++) {
        if (round % 2)
            gc_collect_major(thread);
        else
            gc_collect_minor(thread);
        test_verify(heap);
        pair = roots[1];
        ck_assert_int_eq(pair->id, 2);
        ck_assert(!gc_is_young(pair));
        ck_assert_int_eq(((TestLeaf *)pair->left)->id, 1);
        ck_assert_ptr_null(pair->right);
        TestBytes *bytes = roots[2];
        ck_assert_int_eq(bytes->length, 37);
        for (int i = 0; i < 37; i++)
            ck_assert_int_eq(bytes->bytes[i], (uint8_t)(3 + i));
        array = roots[3];
        ck_assert_int_eq(array->length, 5);
        for (int i = 0; i < 5; i++)
            ck_assert_ptr_eq(array->items[i], i % 2 ? pair->left : NULL);
        TestTable *table = roots[4];
        for (int i = 0; i < 3; i++) {
            ck_assert_int_eq(((TestLeaf *)table->entries[i].key)->id, 100 + i);
            ck_assert_int_eq(((TestLeaf *)table->entries[i].value)->id, 200 + i);
            ck_assert_int_eq(table->entries[i].hash, 5 * 31 + i);
        }
        mixed = roots[5];
        ck_assert_ptr_eq(mixed->owner, pair);
        ck_assert_ptr_eq(mixed->items[3], bytes);
        ck_assert_ptr_null(mixed->items[0]);
    }
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

START_TEST(allocation_is_zeroed_and_sized_by_the_descriptor) {
    TestTypes types;
    GcHeap *heap = test_heap_create(64 * 1024, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    /* Many rounds through a small nursery: memory handed out again after a
     * collection must come back zeroed too. */
    for (int i = 0; i < 20000; i++) {
        TestArray *array = test_new_array(thread, &types, i, i % 50);
        for (int k = 0; k < i % 50; k++)
            ck_assert_ptr_null(array->items[k]);
        for (int k = 0; k < i % 50; k++)
            array->items[k] = array;
        TestPair *pair = test_new_pair(thread, &types, i);
        ck_assert_ptr_null(pair->left);
        ck_assert_ptr_null(pair->right);
        pair->left = pair;
    }
    ck_assert_uint_eq(gc_round_size(1), 16);
    ck_assert_uint_eq(gc_round_size(17), 24);
    ck_assert_uint_eq(gc_round_size(24), 24);
    TestBytes *empty = test_new_bytes(thread, &types, 1, 0);
    ck_assert_int_eq(empty->length, 0);
    ck_assert_ptr_eq(thread->nursery_free - 24, (char *)empty);
    GcStats stats;
    gc_get_stats(heap, &stats);
    ck_assert_uint_gt(stats.minor_collections, 10);
    test_verify(heap);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

/* Large arrays skip the nursery but count as young until the next minor
 * collection: unreachable ones are freed by it, reachable ones become old
 * without moving. */
START_TEST(large_objects_are_young_until_the_next_minor_collection) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 2);
    TestArray *kept = test_new_array(thread, &types, 1, 10000);
    ck_assert(gc_is_young(kept));
    ck_assert(*(GcHeader *)kept & GC_FLAG_LARGE);
    roots[0] = kept;
    /* A fresh large object needs no barrier, like any young object, until
     * the next call that can collect. */
    kept->items[0] = kept;
    for (int i = 0; i < 10000; i += 7) {
        TestLeaf *leaf = test_new_leaf(thread, &types, i);
        gc_write_barrier_array(thread, kept, i);
        kept->items[i] = leaf;
    }
    test_new_bytes(thread, &types, 2, 100000); /* garbage at once */
    TestBytes *big_bytes = test_new_bytes(thread, &types, 3, 50000);
    roots[1] = big_bytes;
    test_verify(heap);
    GcStats before;
    gc_get_stats(heap, &before);
    gc_collect_minor(thread);
    test_verify(heap);
    ck_assert_ptr_eq(roots[0], kept);
    ck_assert_ptr_eq(roots[1], big_bytes);
    ck_assert(!gc_is_young(kept));
    ck_assert(*(GcHeader *)kept & GC_FLAG_HAS_CARDS);
    ck_assert(!(*(GcHeader *)big_bytes & GC_FLAG_HAS_CARDS));
    for (int i = 0; i < 10000; i++)
        if (i % 7)
            ck_assert_ptr_null(kept->items[i]);
        else
            ck_assert_int_eq(((TestLeaf *)kept->items[i])->id, i);
    for (int i = 0; i < 50000; i++)
        ck_assert_int_eq(big_bytes->bytes[i], (uint8_t)(3 + i));
    GcStats after;
    gc_get_stats(heap, &after);
    /* The dead 100 KB array was not promoted. */
    ck_assert_uint_lt(after.old_bytes - before.old_bytes,
                      80000 + 50000 + (10000 / 7 + 1) * 16 + 4096);
    roots[0] = NULL;
    gc_collect_major(thread);
    test_verify(heap);
    gc_get_stats(heap, &after);
    ck_assert_uint_lt(after.old_bytes, 50000 + 4096);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

/* Prebuilt objects are old from birth: a young object stored into one
 * (through the barrier) survives minor and major collections, even when
 * the prebuilt object is the only path to it. */
START_TEST(prebuilt_objects_take_part_in_the_write_barrier) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    static TestPair prebuilt_leaf_holder; /* as the translator would emit it */
    static TestLeaf prebuilt_leaf;
    prebuilt_leaf = (TestLeaf){.header = GC_PREBUILT_HEADER(types.leaf), .id = 7};
    prebuilt_leaf_holder =
        (TestPair){.header = GC_PREBUILT_HEADER(types.pair), .id = 8, .right = &prebuilt_leaf};
    GcThread *thread = gc_thread_attach(heap);
    TestPair *holder = &prebuilt_leaf_holder;
    ck_assert(!gc_is_young(holder));
    TestPair *young = test_new_pair(thread, &types, 9);
    young->right = &prebuilt_leaf; /* a young object may point at prebuilt ones */
    gc_write_barrier(thread, holder);
    holder->left = young;
    ck_assert(*(GcHeader *)holder & GC_FLAG_PREBUILT_ROOT);
    test_verify(heap);
    gc_collect_minor(thread);
    test_verify(heap);
    ck_assert(!gc_is_young(holder->left));
    ck_assert_int_eq(((TestPair *)holder->left)->id, 9);
    ck_assert(*(GcHeader *)holder & GC_FLAG_WRITE_BARRIER);
    for (int i = 0; i < 3; i++) {
        gc_collect_major(thread);
        test_verify(heap);
    }
    ck_assert_int_eq(((TestPair *)holder->left)->id, 9);
    ck_assert_ptr_eq(((TestPair *)holder->left)->right, &prebuilt_leaf);
    ck_assert_ptr_eq(holder->right, &prebuilt_leaf);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

START_TEST(global_roots_are_updated_and_kept) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    void *global = NULL;
    gc_heap_add_root(heap, &global);
    GcThread *thread = gc_thread_attach(heap);
    global = test_new_leaf(thread, &types, 42);
    void *young_address = global;
    gc_collect_minor(thread);
    ck_assert_ptr_ne(global, young_address);
    ck_assert_int_eq(((TestLeaf *)global)->id, 42);
    gc_collect_major(thread);
    ck_assert_int_eq(((TestLeaf *)global)->id, 42);
    test_verify(heap);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

/* A medium object (past the small-object maximum, within the nursery
 * limit) is copied into the large-object space, with cards when its items
 * hold references. */
START_TEST(medium_objects_are_copied_to_the_large_space) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 2);
    TestArray *array = test_new_array(thread, &types, 1, 300);
    ck_assert(!(*(GcHeader *)array & GC_FLAG_LARGE));
    array->items[299] = array;
    roots[0] = array;
    roots[1] = test_new_bytes(thread, &types, 2, 2000);
    gc_collect_minor(thread);
    test_verify(heap);
    array = roots[0];
    ck_assert(*(GcHeader *)array & GC_FLAG_LARGE);
    ck_assert(*(GcHeader *)array & GC_FLAG_HAS_CARDS);
    ck_assert_ptr_eq(array->items[299], array);
    ck_assert(*(GcHeader *)roots[1] & GC_FLAG_LARGE);
    ck_assert_int_eq(((TestBytes *)roots[1])->bytes[1999], (uint8_t)(2 + 1999));
    gc_leave_frame(thread, roots);
    gc_collect_major(thread);
    test_verify(heap);
    GcStats stats;
    gc_get_stats(heap, &stats);
    ck_assert_uint_eq(stats.old_bytes, 0);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

/* After collections that promote most of the nursery, less of it is used,
 * so that each minor collection copies about the budget; when the survivors
 * become few again, the whole nursery comes back. */
START_TEST(the_nursery_shrinks_while_most_objects_survive) {
    setenv("KILN_GC_MINOR_BUDGET", "64K", 1);
    TestTypes types;
    GcHeap *heap = test_heap_create(1 << 20, 0, &types);
    unsetenv("KILN_GC_MINOR_BUDGET");
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 1);
    GcStats stats;
    /* (Stress mode collects at every allocation: it only checks that the
     * policy stays out of its way, on a smaller run.) */
    int count = test_stress_mode() ? 2000 : 100000;
    for (int i = 0; i < count; i++) {
        TestPair *pair = test_new_pair(thread, &types, i);
        pair->left = roots[0];
        roots[0] = pair;
    }
    gc_get_stats(heap, &stats);
    if (!test_stress_mode()) {
        ck_assert_uint_lt(stats.nursery_limit, 256 * 1024);
        ck_assert_uint_ge(stats.nursery_limit, 64 * 1024);
        ck_assert_uint_gt(stats.minor_collections, 3200000 / (256 * 1024));
    }
    roots[0] = NULL;
    for (int i = 0; i < 2 * count; i++)
        test_new_pair(thread, &types, i);
    gc_get_stats(heap, &stats);
    if (!test_stress_mode()) ck_assert_uint_eq(stats.nursery_limit, 1 << 20);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

START_TEST(sizes_parse_with_suffixes) {
    size_t bytes = 0;
    ck_assert(gc_parse_size("4194304", &bytes));
    ck_assert_uint_eq(bytes, 4194304);
    ck_assert(gc_parse_size("512K", &bytes));
    ck_assert_uint_eq(bytes, 512 * 1024);
    ck_assert(gc_parse_size("4M", &bytes));
    ck_assert_uint_eq(bytes, 4 << 20);
    ck_assert(gc_parse_size("1g", &bytes));
    ck_assert_uint_eq(bytes, 1 << 30);
    ck_assert(gc_parse_size("8MB", &bytes));
    ck_assert_uint_eq(bytes, 8 << 20);
    ck_assert(!gc_parse_size("", &bytes));
    ck_assert(!gc_parse_size("M", &bytes));
    ck_assert(!gc_parse_size("4X", &bytes));
    ck_assert(!gc_parse_size("-4", &bytes));
    ck_assert(!gc_parse_size("4MK", &bytes));
}
END_TEST

START_TEST(environment_configures_the_heap) {
    setenv("KILN_GC_NURSERY", "256K", 1);
    setenv("KILN_GC_STRESS", "1", 1);
    setenv("KILN_GC_STATS", "0", 1);
    GcConfig config;
    gc_config_from_env(&config);
    ck_assert_uint_eq(config.nursery_bytes, 256 * 1024);
    ck_assert(config.stress);
    ck_assert(!config.print_stats);
    setenv("KILN_GC_NURSERY", "lots", 1);
    gc_config_from_env(&config);
    ck_assert_uint_eq(config.nursery_bytes, 4 << 20);
    unsetenv("KILN_GC_NURSERY");
    unsetenv("KILN_GC_STRESS");
    unsetenv("KILN_GC_STATS");
}
END_TEST

/* Stress mode: every allocation runs a minor collection. */
START_TEST(stress_mode_collects_at_every_allocation) {
    setenv("KILN_GC_STRESS", "1", 1);
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    unsetenv("KILN_GC_STRESS");
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 1);
    uint64_t before = gc_collection_count(heap);
    for (int i = 0; i < 100; i++) {
        TestPair *pair = test_new_pair(thread, &types, i);
        pair->left = roots[0];
        roots[0] = pair;
    }
    test_new_array(thread, &types, 1000, 5000);
    ck_assert_uint_eq(gc_collection_count(heap) - before, 101);
    TestPair *pair = roots[0];
    for (int i = 99; i >= 0; i--) {
        ck_assert_int_eq(pair->id, i);
        pair = pair->left;
    }
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

START_TEST(statistics_report_counts_and_pause_percentiles) {
    TestTypes types;
    GcHeap *heap = test_heap_create(64 * 1024, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 1);
    for (int i = 0; i < 50000; i++) {
        TestPair *pair = test_new_pair(thread, &types, i);
        if (i % 100 == 0) {
            pair->left = roots[0];
            roots[0] = pair;
        }
    }
    gc_collect_major(thread);
    GcStats stats;
    gc_get_stats(heap, &stats);
    ck_assert_uint_ge(stats.minor_collections, 20);
    ck_assert_uint_eq(stats.major_collections, 1);
    ck_assert_uint_ge(stats.bytes_allocated, 50000 * 32);
    ck_assert_uint_ge(stats.bytes_promoted, 500 * 32);
    ck_assert_uint_eq(stats.old_bytes, 500 * 32);
    ck_assert_uint_eq(stats.minor.count, stats.minor_collections);
    ck_assert(stats.minor.p50_ms <= stats.minor.p99_ms);
    ck_assert(stats.minor.p99_ms <= stats.minor.max_ms);
    ck_assert(stats.minor.max_ms <= stats.minor.total_ms);
    ck_assert(stats.minor.max_ms > 0);
    char text[2048] = {0};
    FILE *out = fmemopen(text, sizeof(text) - 1, "w");
    gc_print_stats(heap, out);
    fclose(out);
    ck_assert_ptr_nonnull(strstr(text, "minor collections"));
    ck_assert_ptr_nonnull(strstr(text, "minor pause p50"));
    ck_assert_ptr_nonnull(strstr(text, "p99"));
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("gc_alloc");
    TCase *tcase = tcase_create("alloc");
    tcase_set_timeout(tcase, 120);
    tcase_add_test(tcase, every_shape_survives_minor_and_major_collections);
    tcase_add_test(tcase, allocation_is_zeroed_and_sized_by_the_descriptor);
    tcase_add_test(tcase, large_objects_are_young_until_the_next_minor_collection);
    tcase_add_test(tcase, prebuilt_objects_take_part_in_the_write_barrier);
    tcase_add_test(tcase, global_roots_are_updated_and_kept);
    tcase_add_test(tcase, medium_objects_are_copied_to_the_large_space);
    tcase_add_test(tcase, the_nursery_shrinks_while_most_objects_survive);
    tcase_add_test(tcase, sizes_parse_with_suffixes);
    tcase_add_test(tcase, environment_configures_the_heap);
    tcase_add_test(tcase, stress_mode_collects_at_every_allocation);
    tcase_add_test(tcase, statistics_report_counts_and_pause_percentiles);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
