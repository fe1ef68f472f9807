/* test_interp_values.c - the graph interpreter's value runtime on its own:
 * float formatting, number parsing, dicts, str methods and str(x).  An
 * interpreter over an empty program supplies the heap. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp_internal.h"

typedef struct Fixture {
    FlowProgram program;
    DiagContext diag;
    Interp *interp;
} Fixture;

static Fixture *fixture_new(void) {
    Fixture *fixture = calloc(1, sizeof(Fixture));
    fixture->program.main_graph = -1;
    fixture->program.global_init_graph = -1;
    fixture->program.exception_class = -1;
    diag_init(&fixture->diag);
    fixture->program.diag = &fixture->diag;
    InterpOptions options = {0};
    fixture->interp = interp_create(&fixture->program, &fixture->diag, &options);
    return fixture;
}

static void fixture_free(Fixture *fixture) {
    interp_destroy(fixture->interp);
    diag_free(&fixture->diag);
    free(fixture);
}

static InterpValue str_value(Interp *interp, const char *text) {
    return interp_make_object(interp_str_cstr(interp, text));
}

static void assert_str(InterpValue value, const char *expected) {
    ck_assert_int_eq(value.kind, INTERP_VALUE_STR);
    InterpStr *str = INTERP_AS(InterpStr, value);
    ck_assert_int_eq(str->length, (int64_t)strlen(expected));
    ck_assert_mem_eq(str->bytes, expected, strlen(expected));
}

/* The text of the exception in flight (errors are strs without a prelude). */
static const char *raised_text(Interp *interp) {
    ck_assert_int_eq(interp->exception.kind, INTERP_VALUE_STR);
    return INTERP_AS(InterpStr, interp->exception)->bytes;
}

/* ---- float formatting -------------------------------------------------- */

static void assert_float_format(double value, const char *expected) {
    char buffer[64];
    rt_format_float(value, buffer, sizeof buffer);
    ck_assert_str_eq(buffer, expected);
}

START_TEST(test_float_format_python_repr) {
    assert_float_format(6.0, "6.0");
    assert_float_format(0.1, "0.1");
    assert_float_format(-2.5, "-2.5");
    assert_float_format(1e100, "1e+100");
    assert_float_format(1.5e-07, "1.5e-07");
    assert_float_format(1e16, "1e+16");
    assert_float_format(1234567890123456.0, "1234567890123456.0");
    assert_float_format(1e-05, "1e-05");
    assert_float_format(0.0001, "0.0001");
    assert_float_format(5e-324, "5e-324");
    assert_float_format(1.7976931348623157e308, "1.7976931348623157e+308");
    assert_float_format(0.0, "0.0");
    assert_float_format(-0.0, "-0.0");
    assert_float_format(INFINITY, "inf");
    assert_float_format(-INFINITY, "-inf");
    assert_float_format(NAN, "nan");
    assert_float_format(1.0 / 3.0, "0.3333333333333333");
    assert_float_format(123456789.125, "123456789.125");
    assert_float_format(2.0 / 3.0 * 1e20, "6.666666666666666e+19");
    assert_float_format(100.0, "100.0");
    assert_float_format(0.1 + 0.2, "0.30000000000000004");
}
END_TEST

START_TEST(test_float_format_round_trips) {
    double values[] = {3.141592653589793,
                       2.718281828459045e-200,
                       9.999999999999999e22,
                       1e23,
                       4.9406564584124654e-324,
                       123.456,
                       1e15,
                       1e17};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char buffer[64];
        rt_format_float(values[i], buffer, sizeof buffer);
        ck_assert_msg(strtod(buffer, NULL) == values[i], "%s does not read back", buffer);
        ck_assert_msg(strchr(buffer, '.') || strchr(buffer, 'e'), "%s has no . or exponent",
                      buffer);
    }
}
END_TEST

/* ---- number parsing ---------------------------------------------------- */

static int64_t parse_int_ok(const char *text, int base) {
    int64_t value = 0;
    ck_assert_int_eq(rt_parse_int(text, (int64_t)strlen(text), base, &value), RT_PARSE_OK);
    return value;
}

static RtParseResult parse_int_status(const char *text, int base) {
    int64_t value = 0;
    return rt_parse_int(text, (int64_t)strlen(text), base, &value);
}

START_TEST(test_parse_int) {
    ck_assert_int_eq(parse_int_ok("42", 10), 42);
    ck_assert_int_eq(parse_int_ok("  -17 ", 10), -17);
    ck_assert_int_eq(parse_int_ok("+5", 10), 5);
    ck_assert_int_eq(parse_int_ok("1_000_000", 10), 1000000);
    ck_assert_int_eq(parse_int_ok("ff", 16), 255);
    ck_assert_int_eq(parse_int_ok("0xFF", 16), 255);
    ck_assert_int_eq(parse_int_ok("0x1f", 0), 31);
    ck_assert_int_eq(parse_int_ok("0b101", 0), 5);
    ck_assert_int_eq(parse_int_ok("0o17", 0), 15);
    ck_assert_int_eq(parse_int_ok("zz", 36), 35 * 36 + 35);
    ck_assert_int_eq(parse_int_ok("9223372036854775807", 10), INT64_MAX);
    ck_assert_int_eq(parse_int_ok("-9223372036854775808", 10), INT64_MIN);
    ck_assert_int_eq(parse_int_status("9223372036854775808", 10), RT_PARSE_OVERFLOW);
    ck_assert_int_eq(parse_int_status("-9223372036854775809", 10), RT_PARSE_OVERFLOW);
    ck_assert_int_eq(parse_int_status("", 10), RT_PARSE_INVALID);
    ck_assert_int_eq(parse_int_status("   ", 10), RT_PARSE_INVALID);
    ck_assert_int_eq(parse_int_status("12a", 10), RT_PARSE_INVALID);
    ck_assert_int_eq(parse_int_status("1__0", 10), RT_PARSE_INVALID);
    ck_assert_int_eq(parse_int_status("_1", 10), RT_PARSE_INVALID);
    ck_assert_int_eq(parse_int_status("1_", 10), RT_PARSE_INVALID);
    ck_assert_int_eq(parse_int_status("0x", 16), RT_PARSE_INVALID);
    ck_assert_int_eq(parse_int_status("0b2", 0), RT_PARSE_INVALID);
    ck_assert_int_eq(parse_int_status("12", 1), RT_PARSE_INVALID);
    ck_assert_int_eq(parse_int_status("1 2", 10), RT_PARSE_INVALID);
    int64_t value = 0;
    ck_assert_int_eq(rt_parse_int("7\0", 2, 10, &value), RT_PARSE_INVALID);
}
END_TEST

START_TEST(test_parse_float) {
    double value = 0;
    ck_assert_int_eq(rt_parse_float(" 1.5 ", 5, &value), RT_PARSE_OK);
    ck_assert(value == 1.5);
    ck_assert_int_eq(rt_parse_float("-2e3", 4, &value), RT_PARSE_OK);
    ck_assert(value == -2000.0);
    ck_assert_int_eq(rt_parse_float(".5", 2, &value), RT_PARSE_OK);
    ck_assert(value == 0.5);
    ck_assert_int_eq(rt_parse_float("-inf", 4, &value), RT_PARSE_OK);
    ck_assert(isinf(value) && value < 0);
    ck_assert_int_eq(rt_parse_float("NaN", 3, &value), RT_PARSE_OK);
    ck_assert(isnan(value));
    ck_assert_int_eq(rt_parse_float("1e", 2, &value), RT_PARSE_INVALID);
    ck_assert_int_eq(rt_parse_float("0x10", 4, &value), RT_PARSE_INVALID);
    ck_assert_int_eq(rt_parse_float("", 0, &value), RT_PARSE_INVALID);
    ck_assert_int_eq(rt_parse_float(".", 1, &value), RT_PARSE_INVALID);
}
END_TEST

/* ---- dicts ------------------------------------------------------------- */

START_TEST(test_dict_order_delete_rehash) {
    Fixture *fixture = fixture_new();
    Interp *interp = fixture->interp;
    InterpDict *dict = interp_dict_new(interp);
    enum { COUNT = 5000 };
    for (int i = 0; i < COUNT; i++)
        ck_assert(interp_dict_set(interp, dict, interp_make_int(i * 7), interp_make_int(i)));
    ck_assert_int_eq(dict->live_count, COUNT);
    for (int i = 0; i < COUNT; i += 2) {
        bool found = false;
        ck_assert(interp_dict_remove(interp, dict, interp_make_int(i * 7), &found));
        ck_assert(found);
    }
    bool found = true;
    ck_assert(interp_dict_remove(interp, dict, interp_make_int(-1), &found));
    ck_assert(!found);
    /* Re-inserting a removed key puts it last; updating a live key keeps its place. */
    ck_assert(interp_dict_set(interp, dict, interp_make_int(0), interp_make_int(-1)));
    ck_assert(interp_dict_set(interp, dict, interp_make_int(7), interp_make_int(-7)));
    for (int i = 0; i < 3 * COUNT; i++) /* churn: forces rebuilds that drop deleted entries */
        ck_assert(interp_dict_set(interp, dict, interp_make_int(1000000 + i), interp_make_int(i)));
    for (int i = 0; i < 3 * COUNT; i++)
        ck_assert(interp_dict_remove(interp, dict, interp_make_int(1000000 + i), &found));
    InterpValue dict_value = interp_make_object(dict);
    ck_assert_uint_eq(interp_value_length(dict_value), COUNT / 2 + 1);
    int64_t expected = 1;
    for (size_t i = 0; i < interp_value_length(dict_value); i++) {
        InterpValue key, value;
        interp_value_dict_entry(dict_value, i, &key, &value);
        if (i + 1 == interp_value_length(dict_value)) {
            ck_assert_int_eq(key.as.integer, 0);
            ck_assert_int_eq(value.as.integer, -1);
        } else {
            ck_assert_int_eq(key.as.integer, expected * 7);
            ck_assert_int_eq(value.as.integer, expected == 1 ? -7 : expected);
            expected += 2;
        }
    }
    fixture_free(fixture);
}
END_TEST

START_TEST(test_dict_keys_by_kind) {
    Fixture *fixture = fixture_new();
    Interp *interp = fixture->interp;
    InterpDict *dict = interp_dict_new(interp);
    InterpTuple *pair = interp_tuple_new(interp, 2);
    pair->items[0] = interp_make_int(1);
    pair->items[1] = str_value(interp, "x");
    InterpTuple *same = interp_tuple_new(interp, 2);
    same->items[0] = interp_make_int(1);
    same->items[1] = str_value(interp, "x");
    ck_assert(interp_dict_set(interp, dict, interp_make_int(65), interp_make_int(1)));
    ck_assert(interp_dict_set(interp, dict, interp_make_char('A'), interp_make_int(2)));
    ck_assert(interp_dict_set(interp, dict, str_value(interp, "A"), interp_make_int(3)));
    ck_assert(interp_dict_set(interp, dict, interp_make_object(pair), interp_make_int(4)));
    ck_assert_int_eq(dict->live_count, 4);
    InterpValue value;
    bool found = false;
    ck_assert(interp_dict_get(interp, dict, interp_make_object(same), &value, &found));
    ck_assert(found);
    ck_assert_int_eq(value.as.integer, 4);
    ck_assert(interp_dict_get(interp, dict, str_value(interp, "A"), &value, &found));
    ck_assert(found && value.as.integer == 3);
    ck_assert(!interp_dict_set(interp, dict, interp_make_object(interp_list_new(interp, 0)),
                               interp_make_int(5)));
    ck_assert_str_eq(raised_text(interp), "TypeError: unhashable type: list");
    ck_assert(!interp_dict_set(interp, dict, interp_make_float(1.0), interp_make_int(5)));
    fixture_free(fixture);
}
END_TEST

/* ---- str methods ------------------------------------------------------- */

static InterpValue call_method(Interp *interp, const char *name, InterpValue receiver,
                               InterpValue first, InterpValue second, int count) {
    InterpValue args[3] = {receiver, first, second};
    InterpValue result = interp_make_simple(INTERP_VALUE_VOID);
    bool ok = interp_call_method_builtin(interp, interp_method_lookup(name), name, args, count + 1,
                                         &result);
    ck_assert_msg(ok, "%s failed", name);
    return result;
}

START_TEST(test_str_methods) {
    Fixture *fixture = fixture_new();
    Interp *interp = fixture->interp;
    InterpValue none = interp_make_simple(INTERP_VALUE_VOID);
    InterpValue text = str_value(interp, "  hello, world  ");
    assert_str(call_method(interp, "strip", text, none, none, 0), "hello, world");
    assert_str(call_method(interp, "upper", str_value(interp, "aBc1"), none, none, 0), "ABC1");
    assert_str(call_method(interp, "lower", str_value(interp, "aBc1"), none, none, 0), "abc1");
    InterpValue word = str_value(interp, "banana");
    ck_assert_int_eq(call_method(interp, "find", word, str_value(interp, "an"), none, 1).as.integer,
                     1);
    ck_assert_int_eq(
        call_method(interp, "find", word, str_value(interp, "an"), interp_make_int(2), 2)
            .as.integer,
        3);
    ck_assert_int_eq(call_method(interp, "find", word, str_value(interp, "x"), none, 1).as.integer,
                     -1);
    ck_assert_int_eq(
        call_method(interp, "rfind", word, str_value(interp, "an"), none, 1).as.integer, 3);
    ck_assert_int_eq(
        call_method(interp, "find", word, str_value(interp, ""), interp_make_int(6), 2).as.integer,
        6);
    assert_str(call_method(interp, "slice", word, interp_make_int(1), interp_make_int(3), 2), "an");
    assert_str(call_method(interp, "slice", word, interp_make_int(-5), interp_make_int(99), 2),
               "banana");
    assert_str(call_method(interp, "slice", word, interp_make_int(4), interp_make_int(2), 2), "");
    assert_str(
        call_method(interp, "replace", word, str_value(interp, "a"), str_value(interp, "o"), 2),
        "bonono");
    assert_str(call_method(interp, "replace", str_value(interp, "ab"), str_value(interp, ""),
                           str_value(interp, "-"), 2),
               "-a-b-");
    ck_assert(
        call_method(interp, "startswith", word, str_value(interp, "ban"), none, 1).as.integer);
    ck_assert(!call_method(interp, "endswith", word, str_value(interp, "nab"), none, 1).as.integer);
    InterpValue parts = call_method(interp, "split", str_value(interp, " a  b\tc "), none, none, 0);
    ck_assert_int_eq(INTERP_AS(InterpList, parts)->count, 3);
    assert_str(INTERP_AS(InterpList, parts)->items[2], "c");
    parts =
        call_method(interp, "split", str_value(interp, "a,,b,"), str_value(interp, ","), none, 1);
    ck_assert_int_eq(INTERP_AS(InterpList, parts)->count, 4);
    assert_str(INTERP_AS(InterpList, parts)->items[1], "");
    assert_str(call_method(interp, "join", str_value(interp, "-"), parts, none, 1), "a--b-");
    InterpValue args[2] = {word, str_value(interp, "")};
    InterpValue result;
    ck_assert(!interp_call_method_builtin(interp, INTERP_METHOD_SPLIT, "split", args, 2, &result));
    ck_assert_str_eq(raised_text(interp), "ValueError: split() of an empty separator");
    ck_assert(!interp_call_method_builtin(interp, INTERP_METHOD__COUNT, "nope", args, 1, &result));
    ck_assert_str_eq(raised_text(interp), "TypeError: str has no method 'nope'");
    fixture_free(fixture);
}
END_TEST

/* ---- str(x) ------------------------------------------------------------ */

START_TEST(test_to_str_containers) {
    Fixture *fixture = fixture_new();
    Interp *interp = fixture->interp;
    InterpList *list = interp_list_new(interp, 0);
    interp_list_push(interp, list, interp_make_int(1));
    interp_list_push(interp, list, str_value(interp, "a\"b\n"));
    interp_list_push(interp, list, interp_make_char('\''));
    interp_list_push(interp, list, interp_make_float(2.0));
    interp_list_push(interp, list, interp_make_simple(INTERP_VALUE_NULL));
    interp_list_push(interp, list, interp_make_bool(true));
    InterpDict *dict = interp_dict_new(interp);
    interp_dict_set(interp, dict, interp_make_int(1), str_value(interp, "x"));
    interp_list_push(interp, list, interp_make_object(dict));
    InterpTuple *tuple = interp_tuple_new(interp, 2);
    tuple->items[0] = interp_make_char('c');
    tuple->items[1] = interp_make_object(list); /* a cycle: printed as [...] */
    interp_list_push(interp, list, interp_make_object(tuple));
    InterpStr *text = interp_to_str(interp, interp_make_object(list));
    ck_assert_str_eq(text->bytes,
                     "[1, \"a\\\"b\\n\", '\\'', 2.0, null, true, {1: \"x\"}, ('c', [...])]");
    ck_assert_str_eq(interp_to_str(interp, interp_make_char('z'))->bytes, "z");
    ck_assert_str_eq(interp_to_str(interp, interp_make_int(INT64_MIN))->bytes,
                     "-9223372036854775808");
    fixture_free(fixture);
}
END_TEST

START_TEST(test_gc_frees_unreachable) {
    Fixture *fixture = fixture_new();
    Interp *interp = fixture->interp;
    for (int i = 0; i < 1000; i++)
        interp_str_cstr(interp, "garbage");
    interp_gc_collect(interp);
    int objects = 0;
    for (InterpObject *object = interp->heap.objects; object; object = object->next)
        objects++;
    ck_assert_int_eq(objects, 1); /* only the shared empty str is a root */
    fixture_free(fixture);
}
END_TEST

static Suite *interp_values_suite(void) {
    Suite *suite = suite_create("interp_values");
    TCase *format = tcase_create("format");
    tcase_add_test(format, test_float_format_python_repr);
    tcase_add_test(format, test_float_format_round_trips);
    tcase_add_test(format, test_to_str_containers);
    suite_add_tcase(suite, format);
    TCase *parse = tcase_create("parse");
    tcase_add_test(parse, test_parse_int);
    tcase_add_test(parse, test_parse_float);
    suite_add_tcase(suite, parse);
    TCase *containers = tcase_create("containers");
    tcase_add_test(containers, test_dict_order_delete_rehash);
    tcase_add_test(containers, test_dict_keys_by_kind);
    tcase_add_test(containers, test_str_methods);
    tcase_add_test(containers, test_gc_frees_unreachable);
    suite_add_tcase(suite, containers);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(interp_values_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
