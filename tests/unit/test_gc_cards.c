/* test_gc_cards.c - card marking on big old arrays: a store into one marks
 * only its card, the minor collection traces only the marked cards, and a
 * missing card mark is caught by the verifier. */
#include <string.h>

#include "test_gc_support.h"

#define LENGTH 5000

/* An old array with cards, kept in roots[0]. */
static TestArray *old_array(GcThread *thread, const TestTypes *types, void **roots) {
    roots[0] = test_new_array(thread, types, 1, LENGTH);
    gc_collect_minor(thread);
    TestArray *array = roots[0];
    ck_assert(!gc_is_young(array));
    ck_assert(*(GcHeader *)array & GC_FLAG_HAS_CARDS);
    ck_assert(*(GcHeader *)array & GC_FLAG_WRITE_BARRIER);
    return array;
}

START_TEST(a_store_marks_only_its_card) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 1);
    TestArray *array = old_array(thread, &types, roots);
    int64_t indices[] = {10, 11, 4000, LENGTH - 1};
    for (int i = 0; i < 4; i++) {
        TestLeaf *leaf = test_new_leaf(thread, &types, indices[i]);
        array = roots[0];
        gc_write_barrier_array(thread, array, indices[i]);
        array->items[indices[i]] = leaf;
    }
    if (!test_stress_mode()) {
        /* (In stress mode each allocation collects, consuming the marks.) */
        for (int64_t card = 0; card * GC_CARD_ITEMS < LENGTH; card++) {
            bool expected =
                card == 0 || card == 4000 / GC_CARD_ITEMS || card == (LENGTH - 1) / GC_CARD_ITEMS;
            ck_assert_int_eq(*gc_card_of(array, card * GC_CARD_ITEMS) != 0, expected);
        }
        ck_assert(*(GcHeader *)array & GC_FLAG_CARDS_SET);
        /* The array stays unremembered: the barrier keeps firing for other
         * cards. */
        ck_assert(*(GcHeader *)array & GC_FLAG_WRITE_BARRIER);
    }
    test_verify(heap);
    GcStats before, after;
    gc_get_stats(heap, &before);
    gc_collect_minor(thread);
    gc_get_stats(heap, &after);
    if (!test_stress_mode()) ck_assert_uint_eq(after.cards_scanned - before.cards_scanned, 3);
    test_verify(heap);
    ck_assert(!(*(GcHeader *)array & GC_FLAG_CARDS_SET));
    for (int64_t card = 0; card * GC_CARD_ITEMS < LENGTH; card++)
        ck_assert_int_eq(*gc_card_of(array, card * GC_CARD_ITEMS), 0);
    for (int i = 0; i < 4; i++) {
        TestLeaf *leaf = array->items[indices[i]];
        ck_assert(!gc_is_young(leaf));
        ck_assert_int_eq(leaf->id, indices[i]);
    }
    gc_collect_major(thread);
    test_verify(heap);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(((TestLeaf *)array->items[indices[i]])->id, indices[i]);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

/* Stores into the fixed part of an object with cards go through the plain
 * barrier: the whole object is remembered, and its cards need no marks. */
START_TEST(a_fixed_field_store_remembers_the_whole_array) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 1);
    roots[0] = test_new_mixed(thread, &types, 1, LENGTH);
    gc_collect_minor(thread);
    TestMixed *mixed = roots[0];
    ck_assert(*(GcHeader *)mixed & GC_FLAG_HAS_CARDS);
    TestLeaf *owner = test_new_leaf(thread, &types, 2);
    gc_write_barrier(thread, mixed);
    mixed->owner = owner;
    ck_assert(!(*(GcHeader *)mixed & GC_FLAG_WRITE_BARRIER));
    /* Now remembered whole, array stores need no card. */
    TestLeaf *item = test_new_leaf(thread, &types, 3);
    gc_write_barrier_array(thread, mixed, 77);
    mixed->items[77] = item;
    if (!test_stress_mode()) ck_assert_int_eq(*gc_card_of(mixed, 77), 0);
    test_verify(heap);
    gc_collect_minor(thread);
    test_verify(heap);
    ck_assert(*(GcHeader *)mixed & GC_FLAG_WRITE_BARRIER);
    ck_assert_int_eq(((TestLeaf *)mixed->owner)->id, 2);
    ck_assert_int_eq(((TestLeaf *)mixed->items[77])->id, 3);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

/* Arrays of structs with references (Table) get cards too; the card is
 * chosen by item index. */
START_TEST(tables_of_entries_use_cards_by_item) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 1);
    roots[0] = test_new_table(thread, &types, 1, 1000);
    gc_collect_minor(thread);
    for (int64_t i = 0; i < 1000; i += 3) {
        TestLeaf *key = test_new_leaf(thread, &types, i);
        gc_push_root(thread, key);
        TestLeaf *value = test_new_leaf(thread, &types, -i);
        key = gc_pop_root(thread);
        TestTable *table = roots[0];
        gc_write_barrier_array(thread, table, i);
        table->entries[i].key = key;
        table->entries[i].value = value;
    }
    test_verify(heap);
    gc_collect_major(thread);
    test_verify(heap);
    TestTable *table = roots[0];
    for (int64_t i = 0; i < 1000; i++) {
        if (i % 3) {
            ck_assert_ptr_null(table->entries[i].key);
            continue;
        }
        ck_assert_int_eq(((TestLeaf *)table->entries[i].key)->id, i);
        ck_assert_int_eq(((TestLeaf *)table->entries[i].value)->id, -i);
        ck_assert_int_eq(table->entries[i].hash, 31 + i);
    }
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

START_TEST(the_verifier_catches_a_missing_card_mark) {
    TestTypes types;
    GcHeap *heap = test_heap_create(0, 0, &types);
    GcThread *thread = gc_thread_attach(heap);
    void **roots = gc_enter_frame(thread, 2);
    TestArray *array = old_array(thread, &types, roots);
    TestLeaf *leaf = test_new_leaf(thread, &types, 5);
    roots[1] = leaf;
    array = roots[0];
    leaf = roots[1];
    /* A store without its barrier. */
    array->items[3000] = leaf;
    GcVerifyReport report;
    ck_assert_uint_eq(gc_verify(heap, &report), 1);
    ck_assert_ptr_nonnull(strstr(report.first[0], "card is not marked"));
    /* A card byte set without the flag is caught too. */
    gc_write_barrier_array(thread, array, 3000);
    *gc_card_of(array, 10) = 1;
    *(GcHeader *)array &= ~GC_FLAG_CARDS_SET;
    ck_assert_uint_ge(gc_verify(heap, &report), 1);
    *(GcHeader *)array |= GC_FLAG_CARDS_SET;
    test_verify(heap);
    gc_leave_frame(thread, roots);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("gc_cards");
    TCase *tcase = tcase_create("cards");
    tcase_set_timeout(tcase, 120);
    tcase_add_test(tcase, a_store_marks_only_its_card);
    tcase_add_test(tcase, a_fixed_field_store_remembers_the_whole_array);
    tcase_add_test(tcase, tables_of_entries_use_cards_by_item);
    tcase_add_test(tcase, the_verifier_catches_a_missing_card_mark);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
