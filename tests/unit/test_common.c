/* test_common.c - arenas, vectors, maps, interning and diagnostics. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/intern.h"
#include "common/map.h"
#include "common/vec.h"

START_TEST(arena_allocations_are_zeroed_aligned_and_survive_growth) {
    Arena arena;
    arena_init(&arena);
    char *first = arena_alloc(&arena, 3);
    memcpy(first, "ab", 3);
    for (int i = 0; i < 10000; i++) {
        unsigned char *block = arena_alloc(&arena, (size_t)(i % 97) + 1);
        ck_assert_int_eq((uintptr_t)block % 16, 0);
        for (int j = 0; j < i % 97 + 1; j++)
            ck_assert_int_eq(block[j], 0);
        block[0] = 0xff;
    }
    void *large = arena_alloc(&arena, 1 << 20);
    ck_assert_ptr_nonnull(large);
    ck_assert_str_eq(first, "ab");
    ck_assert_str_eq(arena_printf(&arena, "%d-%s", 42, "x"), "42-x");
    ck_assert_str_eq(arena_strndup(&arena, "hello", 4), "hell");
    arena_free(&arena);
    ck_assert_ptr_null(arena.head);
}
END_TEST

START_TEST(vec_push_pop_and_freeze) {
    Vec(int) numbers = {0};
    for (int i = 0; i < 1000; i++)
        vec_push(&numbers, i * 2);
    ck_assert_int_eq(numbers.count, 1000);
    ck_assert_int_eq(vec_last(&numbers), 1998);
    ck_assert_int_eq(vec_pop(&numbers), 1998);
    Arena arena;
    arena_init(&arena);
    int *frozen = vec_freeze(&arena, &numbers);
    ck_assert_int_eq(frozen[998], 1996);
    vec_free(&numbers);
    ck_assert_int_eq(numbers.count, 0);
    ck_assert_ptr_null(vec_freeze(&arena, &numbers));
    arena_free(&arena);
}
END_TEST

START_TEST(map_string_and_int_keys_keep_insertion_order) {
    Map map;
    map_init(&map);
    static const char *const keys[] = {"zeta", "alpha", "mid", "b"};
    for (int i = 0; i < 4; i++)
        ck_assert_ptr_null(map_put(&map, keys[i], strlen(keys[i]), (void *)(intptr_t)(i + 1)));
    ck_assert_int_eq((int)(intptr_t)map_get(&map, "mid", 3), 3);
    ck_assert(!map_has(&map, "mi", 2));
    ck_assert_int_eq((int)(intptr_t)map_put(&map, "alpha", 5, (void *)7), 2);
    int index = 0;
    for (MapEntry *entry = map_first(&map); entry; entry = map_next(entry), index++)
        ck_assert_str_eq(map_entry_key(entry), keys[index]);
    ck_assert_int_eq(map_count(&map), 4);
    map_free(&map);

    Map numbers;
    map_init(&numbers);
    for (int64_t i = -500; i < 500; i++)
        map_put_int(&numbers, i * 7919, (void *)(intptr_t)(i + 1000));
    for (int64_t i = -500; i < 500; i++)
        ck_assert_int_eq((int)(intptr_t)map_get_int(&numbers, i * 7919), (int)(i + 1000));
    ck_assert_ptr_null(map_get_int(&numbers, 1));
    map_free(&numbers);
}
END_TEST

START_TEST(interned_strings_compare_by_pointer) {
    Arena arena;
    arena_init(&arena);
    InternTable table;
    intern_init(&table, &arena);
    char buffer[] = "name_x";
    const char *first = intern(&table, buffer, 4);
    buffer[0] = 'N';
    const char *second = intern_cstr(&table, "name");
    ck_assert_ptr_eq(first, second);
    ck_assert_str_eq(first, "name");
    ck_assert_ptr_ne(intern_cstr(&table, "Name"), first);
    intern_free(&table);
    arena_free(&arena);
}
END_TEST

static char *capture_diagnostic(void (*report)(DiagContext *, int)) {
    DiagContext diag;
    diag_init(&diag);
    char *text = NULL;
    size_t size = 0;
    diag.out = open_memstream(&text, &size);
    int file = diag_add_file(&diag, "demo.kc", "fn main() {\n\tvar x = 1 +;\n}\n", 28);
    report(&diag, file);
    fclose(diag.out);
    diag_free(&diag);
    return text;
}

static void report_plus(DiagContext *diag, int file) {
    SrcPos pos = diag_pos_at(diag, file, 24, 1); /* the ';' on line 2 */
    diag_error(diag, pos, "expected an expression after '+', found ';'");
    diag_note(diag, "while parsing %s", "a var declaration");
    ck_assert_int_eq(diag->errors, 1);
}

START_TEST(diagnostic_has_position_source_line_and_caret) {
    char *text = capture_diagnostic(report_plus);
    ck_assert_str_eq(text, "demo.kc:2:13: error: expected an expression after '+', found ';'\n"
                           "    \tvar x = 1 +;\n"
                           "    \t           ^\n"
                           "  while parsing a var declaration\n");
    free(text);
}
END_TEST

static void report_range(DiagContext *diag, int file) {
    SrcPos pos = diag_pos_at(diag, file, 0, 2);
    ck_assert_int_eq(pos.line, 1);
    ck_assert_int_eq(pos.col, 1);
    diag_warning(diag, pos, "a warning");
    diag_plain_error(diag, "no position");
    ck_assert_int_eq(diag->warnings, 1);
    ck_assert_int_eq(diag->errors, 1);
}

START_TEST(diagnostic_underlines_a_range_and_plain_errors_have_no_position) {
    char *text = capture_diagnostic(report_range);
    ck_assert_str_eq(text, "demo.kc:1:1: warning: a warning\n"
                           "    fn main() {\n"
                           "    ^~\n"
                           "kiln: error: no position\n");
    free(text);
}
END_TEST

Suite *common_suite(void) {
    Suite *suite = suite_create("common");
    TCase *cases = tcase_create("core");
    tcase_add_test(cases, arena_allocations_are_zeroed_aligned_and_survive_growth);
    tcase_add_test(cases, vec_push_pop_and_freeze);
    tcase_add_test(cases, map_string_and_int_keys_keep_insertion_order);
    tcase_add_test(cases, interned_strings_compare_by_pointer);
    tcase_add_test(cases, diagnostic_has_position_source_line_and_caret);
    tcase_add_test(cases, diagnostic_underlines_a_range_and_plain_errors_have_no_position);
    suite_add_tcase(suite, cases);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(common_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
