/* test_lower.c - the low-level graphs that the lowering builds from small
 * Kiln C programs: they verify, and each transform decision and inline
 * fast path is an explicit instruction there (bounds checks as branches to
 * a raising block, exception tests after calls, shadow stack slots around
 * collecting calls, stack checks in recursive functions, switches). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "test_pipeline_support.h"
#include "transform/lower.h"

typedef struct Lowered {
    TestPipeline *pipeline;
    LowProgram *low;
    char *dump;
} Lowered;

static Lowered lowered(const char *text) {
    Lowered result = {test_pipeline_transform(text), NULL, NULL};
    result.low = test_pipeline_lower(result.pipeline);
    size_t size = 0;
    FILE *out = open_memstream(&result.dump, &size);
    low_dump(out, result.low, &result.pipeline->diag);
    fclose(out);
    return result;
}

static void lowered_free(Lowered *result) {
    free(result->dump);
    low_program_free(result->low);
    test_pipeline_free(result->pipeline);
}

/* The dump of the function whose Kiln C name is `name` (a malloc'd copy). */
static char *function_dump(const Lowered *result, const char *name) {
    char marker[128];
    snprintf(marker, sizeof marker, "; %s at ", name);
    const char *found = strstr(result->dump, marker);
    ck_assert_msg(found != NULL, "no low-level function for %s in\n%s", name, result->dump);
    while (found > result->dump && found[-1] != '\n')
        found--;
    const char *end = strstr(found + 1, "\nfunc ");
    size_t length = end ? (size_t)(end - found) : strlen(found);
    char *copy = malloc(length + 1);
    memcpy(copy, found, length);
    copy[length] = '\0';
    return copy;
}

static const char program[] =
    "class Node { var value: int; var next: Node; fn init(v, n) { this.value = v; this.next = n; "
    "} }\n"
    "fn get(xs, i) { return xs[i]; }\n"
    "fn quotient(a, b) { return a / b; }\n"
    "fn fact(n) { if (n <= 1) return 1; return n * fact(n - 1); }\n"
    "fn even(n) { if (n == 0) return true; return odd(n - 1); }\n"
    "fn odd(n) { if (n == 0) return false; return even(n - 1); }\n"
    "fn pick(n) { switch (n) { case 1: return 10; case 2: return 20; default: return 0; } }\n"
    "fn name(s) { switch (s) { case \"a\": return 1; case \"b\": return 2; default: return 0; } "
    "}\n"
    "fn chain(n) { var list = null; for (var i = 0; i < n; i++) list = new Node(i, list); "
    "return list; }\n"
    "fn caller(xs) { return get(xs, 0) + get(xs, 1); }\n"
    "fn main(args) {\n"
    "    var xs = [1, 2, 3];\n"
    "    print(get(xs, 1) + quotient(7, 2) + fact(5) + pick(2) + name(\"b\") + caller(xs));\n"
    "    print(even(10));\n"
    "    print(chain(3).value);\n"
    "}\n";

START_TEST(every_function_is_lowered_and_verifies) {
    Lowered result = lowered(program);
    const RtypeProgram *rtype = result.pipeline->rtype;
    ck_assert_int_ge(result.low->funcs.count, rtype->func_count);
    for (int func = 0; func < rtype->func_count; func++) {
        int symbol = low_symbol_find(result.low, rtype->funcs[func].c_name);
        ck_assert_int_ge(symbol, 0);
        ck_assert_int_eq(result.low->symbols.items[symbol].kind, LOW_SYMBOL_FUNC);
        ck_assert_int_ge(result.low->symbols.items[symbol].func, 0);
    }
    lowered_free(&result);
}
END_TEST

START_TEST(list_index_is_an_inline_bounds_check) {
    Lowered result = lowered(program);
    char *get = function_dump(&result, "get");
    /* one unsigned compare covers negative indices too */
    ck_assert_msg(strstr(get, "uge ") != NULL, "%s", get);
    ck_assert_msg(strstr(get, "; check failed") != NULL, "%s", get);
    ck_assert_msg(strstr(get, "call @rt_raise(th, 1, c\"list index out of range") != NULL, "%s",
                  get);
    ck_assert_msg(strstr(get, "load.i64 [") != NULL, "%s", get);
    ck_assert_msg(strstr(get, "rt_list") == NULL, "no rtlib call on the fast path:\n%s", get);
    free(get);
    lowered_free(&result);
}
END_TEST

START_TEST(division_checks_zero_and_never_divides_min_by_minus_one) {
    Lowered result = lowered(program);
    char *quotient = function_dump(&result, "quotient");
    ck_assert_msg(strstr(quotient, "c\"integer division by zero\"") != NULL, "%s", quotient);
    const char *select = strstr(quotient, "select ");
    const char *divide = strstr(quotient, "sdiv ");
    ck_assert_msg(select && divide && select < divide, "%s", quotient);
    free(quotient);
    lowered_free(&result);
}
END_TEST

START_TEST(calls_that_raise_are_followed_by_an_exception_test) {
    Lowered result = lowered(program);
    char *caller = function_dump(&result, "caller");
    ck_assert_int_eq(test_count_of(caller, "exception_pending"), 2);
    ck_assert_msg(strstr(caller, "; raise") != NULL, "%s", caller);
    ck_assert_msg(strstr(caller, "call @rt_trace_frame(c\"caller\"") != NULL, "%s", caller);
    free(caller);
    char *pick = function_dump(&result, "pick");
    ck_assert_int_eq(test_count_of(pick, "exception_pending"), 0);
    ck_assert_int_eq(test_count_of(pick, "rt_trace_frame"), 0);
    free(pick);
    lowered_free(&result);
}
END_TEST

START_TEST(references_live_across_allocation_use_shadow_stack_slots) {
    Lowered result = lowered(program);
    char *chain = function_dump(&result, "chain");
    /* the list so far survives the allocation of the next node */
    ck_assert_msg(strstr(chain, "spill_check ") != NULL, "%s", chain);
    ck_assert_int_eq(test_count_of(chain, "root_store "), test_count_of(chain, "root_load "));
    ck_assert_int_ge(test_count_of(chain, "root_adjust "), 2);
    ck_assert_msg(strstr(chain, "alloc ") != NULL, "%s", chain);
    free(chain);
    lowered_free(&result);
}
END_TEST

START_TEST(functions_on_call_cycles_check_the_stack) {
    Lowered result = lowered(program);
    const char *recursive[] = {"fact", "even", "odd"};
    for (int i = 0; i < 3; i++) {
        char *dump = function_dump(&result, recursive[i]);
        ck_assert_msg(strstr(dump, "stack_check") != NULL, "%s", dump);
        ck_assert_msg(strstr(dump, "call @rt_stack_overflow(th)") != NULL, "%s", dump);
        free(dump);
    }
    const char *plain[] = {"get", "caller", "main"};
    for (int i = 0; i < 3; i++) {
        char *dump = function_dump(&result, plain[i]);
        ck_assert_msg(strstr(dump, "stack_check") == NULL, "%s", dump);
        free(dump);
    }
    lowered_free(&result);
}
END_TEST

START_TEST(int_switches_are_switches_and_str_switches_compare) {
    Lowered result = lowered(program);
    char *pick = function_dump(&result, "pick");
    ck_assert_msg(strstr(pick, "switch r0, 1: b") != NULL, "%s", pick);
    ck_assert_msg(strstr(pick, ", 2: b") != NULL, "%s", pick);
    free(pick);
    char *name = function_dump(&result, "name");
    ck_assert_int_eq(test_count_of(name, "call @rt_str_eq("), 2);
    ck_assert_msg(strstr(name, "str \"a\"") != NULL, "%s", name);
    free(name);
    lowered_free(&result);
}
END_TEST

START_TEST(the_dump_names_functions_and_blocks) {
    Lowered result = lowered(program);
    ck_assert_msg(strstr(result.dump, "func k") != NULL, "%s", result.dump);
    ck_assert_msg(strstr(result.dump, "b0:    ; entry") != NULL, "%s", result.dump);
    ck_assert_msg(strstr(result.dump, "; fact at t.kc:4") != NULL, "%s", result.dump);
    lowered_free(&result);
}
END_TEST

START_TEST(dict_lookups_are_an_inline_probe_loop) {
    Lowered result =
        lowered("fn count(d, k) { return d[k] + d.get(k + 1, 0); }\n"
                "fn named(d, k) { return d.contains(k); }\n"
                "fn keyed(d, k) { return d[k]; }\n"
                "fn main() {\n"
                "    var d: dict<int, int> = {1: 2};\n"
                "    var n: dict<str, bool> = {\"a\": true};\n"
                "    var t: dict<(int, int), int> = {(1, 2): 3};\n"
                "    print(count(d, 1)); print(named(n, \"a\")); print(keyed(t, (1, 2)));\n"
                "}\n");
    char *count = function_dump(&result, "count");
    ck_assert_int_eq(test_count_of(count, "; dict probe\n"), 2);
    ck_assert_msg(strstr(count, "rt_dict_find") == NULL, "%s", count);
    /* an absent key: rtlib makes the KeyError, then the exception leaves */
    ck_assert_msg(strstr(count, "; dict key absent") != NULL, "%s", count);
    ck_assert_msg(strstr(count, "call @rt_dict_get(") != NULL, "%s", count);
    free(count);
    char *named = function_dump(&result, "named");
    ck_assert_msg(strstr(named, "; dict probe") != NULL, "%s", named);
    ck_assert_msg(strstr(named, "call @rt_str_eq(") != NULL, "%s", named);
    free(named);
    /* tuple keys hash through their descriptor: rtlib's loop */
    char *keyed = function_dump(&result, "keyed");
    ck_assert_msg(strstr(keyed, "call @rt_dict_find(") != NULL, "%s", keyed);
    free(keyed);
    lowered_free(&result);
}
END_TEST

static Suite *lower_suite(void) {
    Suite *suite = suite_create("lower");
    TCase *cases = tcase_create("lower");
    tcase_set_timeout(cases, 60);
    tcase_add_test(cases, every_function_is_lowered_and_verifies);
    tcase_add_test(cases, list_index_is_an_inline_bounds_check);
    tcase_add_test(cases, division_checks_zero_and_never_divides_min_by_minus_one);
    tcase_add_test(cases, calls_that_raise_are_followed_by_an_exception_test);
    tcase_add_test(cases, references_live_across_allocation_use_shadow_stack_slots);
    tcase_add_test(cases, functions_on_call_cycles_check_the_stack);
    tcase_add_test(cases, int_switches_are_switches_and_str_switches_compare);
    tcase_add_test(cases, the_dump_names_functions_and_blocks);
    tcase_add_test(cases, dict_lookups_are_an_inline_probe_loop);
    suite_add_tcase(suite, cases);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(lower_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
