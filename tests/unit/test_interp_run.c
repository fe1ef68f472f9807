/* test_interp_run.c - the graph interpreter end to end: Kiln C programs
 * from strings are parsed, built into flow graphs and run; their stdout,
 * stderr and exit status are compared with what language.md and the
 * project's decisions say. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "interp/interp.h"
#include "parse/parse.h"

typedef struct Run {
    char *out;
    size_t out_size;
    char *err;
    size_t err_size;
    int status;
} Run;

typedef struct Front {
    Arena arena;
    InternTable interns;
    DiagContext diag;
    FlowProgram *program;
} Front;

static void front_build(Front *front, const char *text) {
    arena_init(&front->arena);
    intern_init(&front->interns, &front->arena);
    diag_init(&front->diag);
    ParseContext context = {&front->arena, &front->interns, &front->diag, NULL, 0};
    AstProgram *ast = flow_parse_program(&context, "t.kc", text, (int)strlen(text));
    ck_assert_ptr_nonnull(ast);
    ck_assert_int_eq(front->diag.errors, 0);
    front->program = flow_build_program(ast, &front->interns, &front->diag);
    ck_assert_int_eq(front->diag.errors, 0);
}

static void front_free(Front *front) {
    flow_program_free(front->program);
    intern_free(&front->interns);
    diag_free(&front->diag);
    arena_free(&front->arena);
}

/* Runs a program's initializers and main with the given options. */
static Run run_with(const char *text, InterpOptions options, int argc, const char **argv) {
    Front front;
    front_build(&front, text);
    Run run = {0};
    FILE *out = open_memstream(&run.out, &run.out_size);
    FILE *err = open_memstream(&run.err, &run.err_size);
    options.stdout_stream = out;
    options.stderr_stream = err;
    Interp *interp = interp_create(front.program, &front.diag, &options);
    run.status = interp_run_globals(interp);
    if (run.status == 0) run.status = interp_run_main(interp, argc, argv);
    interp_destroy(interp);
    fclose(out);
    fclose(err);
    front_free(&front);
    return run;
}

static Run run_program(const char *text) {
    const char *argv[] = {"t.kc"};
    InterpOptions options = {0};
    return run_with(text, options, 1, argv);
}

static void run_free(Run *run) {
    free(run->out);
    free(run->err);
}

static void expect_run(const char *text, const char *out, const char *err, int status) {
    Run run = run_program(text);
    ck_assert_str_eq(run.out, out);
    ck_assert_str_eq(run.err, err);
    ck_assert_int_eq(run.status, status);
    run_free(&run);
}

START_TEST(test_arithmetic_and_printing) {
    expect_run(
        "fn main() {\n"
        "  print(7 / 2); print(-7 / 2); print(-7 % 2); print(1 << 70); print(-8 >> 99);\n"
        "  var big = 9223372036854775807; print(big + 1);\n"
        "  print((-9223372036854775807 - 1) / -1); print((-9223372036854775807 - 1) % -1);\n"
        "  print(1.0 / 0.0); print(0.1 + 0.2); print(3.0); print(2e-7);\n"
        "  print(\"a\" + \"b\"); print('x'); print(true); print(null);\n"
        "  print([1, \"s\", 'c', 1.5]); print({1: \"a\"}); print((1, 2));\n"
        "  print(floordiv(-7, 2)); print(floormod(-7, 2)); print(abs(-3)); print(min(3, 1, 2));\n"
        "  print(max([4, 9, 2])); print(int(-3.9)); print(float(2)); print(chr(65) + "
        "str(ord('B')));\n"
        "  print(int_of(\"-0x1F\", 16)); print(float_of(\"2.5\")); print(str(42) + str(1e16));\n"
        "  print();\n"
        "}\n",
        "3\n-3\n-1\n0\n-1\n-9223372036854775808\n-9223372036854775808\n0\ninf\n"
        "0.30000000000000004\n3.0\n2e-07\nab\nx\ntrue\nnull\n[1, \"s\", 'c', 1.5]\n"
        "{1: \"a\"}\n(1, 2)\n-4\n1\n3\n1\n9\n-3\n2.0\nA66\n-31\n2.5\n421e+16\n\n",
        "", 0);
}
END_TEST

START_TEST(test_classes_and_virtual_dispatch) {
    expect_run(
        "class Shape { var name: str; fn init(n) { this.name = n; }\n"
        "  fn area() { return 0; } fn describe() { return this.name + \":\" + str(this.area()); } "
        "}\n"
        "class Square : Shape { var side; fn init(s) { this.name = \"sq\"; this.side = s; }\n"
        "  fn area() { return this.side * this.side; } }\n"
        "class Empty {}\n"
        "fn main() {\n"
        "  var shapes = [new Shape(\"blob\"), new Square(3)];\n"
        "  for (var s : shapes) print(s.describe());\n"
        "  var m = shapes[1].area; print(m());\n"
        "  print(shapes[1] is Square); print(shapes[0] is Square); print(new Empty());\n"
        "  var sq = shapes[1] as Square; print(sq.side);\n"
        "  try { var bad = shapes[0] as Square; } catch (TypeError e) { print(e.message); }\n"
        "}\n",
        "blob:0\nsq:9\n9\ntrue\nfalse\n<Empty object>\n3\ncannot cast Shape to Square\n", "", 0);
}
END_TEST

START_TEST(test_containers_and_methods) {
    expect_run(
        "fn main() {\n"
        "  var l = [3, 1, 2]; l.insert(-5, 0); l.insert(99, 9); l.extend([7]); print(l);\n"
        "  print(l.pop()); print(l.pop(0)); print(l.index(2)); print(l.contains(5));\n"
        "  l.reverse(); print(l); print(l.slice(1)); print(l.slice(2, 1)); l.clear(); "
        "print(len(l));\n"
        "  var d = {\"b\": 2, \"a\": 1}; d[\"c\"] = 3; d.remove(\"b\"); d[\"b\"] = 4;\n"
        "  print(d); print(d.get(\"z\", -1)); print(d.contains(\"a\")); print(len(d.keys()));\n"
        "  for (var (k, v) : d.items()) print(k + \"=\" + str(v));\n"
        "  for (var v : d.values()) print(v);\n"
        "  var sb = new StrBuilder(); sb.append(\"ab\"); sb.append_char('c'); print(len(sb)); "
        "print(sb.build());\n"
        "  var t = (1, \"x\"); var (a, b) = t; print(b); print(t[0]);\n"
        "  for (var c : \"hi\") print(c);\n"
        "  print(\"a,b\".split(\",\")); print(\" \".join([\"x\", \"y\"]));\n"
        "  var n = newlist(3, 0); n[1] = 5; print(n); print(newlist(2));\n"
        "}\n",
        "[0, 3, 1, 2, 9, 7]\n7\n0\n2\nfalse\n[9, 2, 1, 3]\n[2, 1, 3]\n[]\n0\n"
        "{\"a\": 1, \"c\": 3, \"b\": 4}\n-1\ntrue\n3\na=1\nc=3\nb=4\n1\n3\n4\n3\nabc\nx\n1\nh\ni\n"
        "[\"a\", \"b\"]\nx y\n[0, 5, 0]\n[null, null]\n",
        "", 0);
}
END_TEST

START_TEST(test_runtime_errors_are_catchable) {
    expect_run("class Box { var v; }\n"
               "fn try_it(k) {\n"
               "  try {\n"
               "    switch (k) {\n"
               "      case 0: print(1 / 0);\n"
               "      case 1: print([1][3]);\n"
               "      case 2: print({1: 2}[5]);\n"
               "      case 3: print(1 + \"a\");\n"
               "      case 4: var b = new Box(); print(b.v);\n"
               "      case 5: var n = null; print(n.v);\n"
               "      case 6: print(int_of(\"zz\"));\n"
               "      case 7: print(ovf_add(9223372036854775807, 1));\n"
               "      case 8: print(1 << -1);\n"
               "      case 9: print(1 < 1.5);\n"
               "      case 10: print(read_file(\"/nonexistent/file\"));\n"
               "      default: print(int(0.0 / 0.0));\n"
               "    }\n"
               "  } catch (Exception e) { print(e.message); }\n"
               "}\n"
               "fn main() { for (var k = 0; k < 12; k++) try_it(k); }\n",
               "integer division by zero\nlist index out of range: 3 (length 1)\n5\n"
               "cannot add int and str\nfield 'Box.v' read before assignment\n"
               "cannot read 'v' of null\ninvalid literal for int_of() with base 10: 'zz'\n"
               "integer overflow in ovf_add()\nnegative shift count\ncannot order int and float\n"
               "/nonexistent/file: No such file or directory\ncannot convert float nan to int\n",
               "", 0);
}
END_TEST

START_TEST(test_traceback_of_escaping_exception) {
    expect_run("fn parse(s) {\n"
               "  if (s == \"\") throw new ValueError(\"unexpected token\");\n"
               "  return 1;\n"
               "}\n"
               "fn main() {\n"
               "  print(\"before\");\n"
               "  parse(\"\");\n"
               "}\n",
               "before\n",
               "Traceback (most recent call last):\n  t.kc:7, in main\n  t.kc:2, in parse\n"
               "ValueError: unexpected token\n",
               1);
    expect_run("fn main() { var e = new Exception(\"\"); throw e; }\n", "",
               "Traceback (most recent call last):\n  t.kc:1, in main\nException\n", 1);
    /* Throwing a non-exception is a TypeError (from the flow builder's cast
     * or from the interpreter's own check). */
    Run run = run_program("fn main() { throw 5; }\n");
    ck_assert_int_eq(run.status, 1);
    ck_assert_ptr_nonnull(strstr(run.err, "  t.kc:1, in main\nTypeError: "));
    run_free(&run);
}
END_TEST

START_TEST(test_exit_and_main_status) {
    expect_run("fn helper() { write(2, \"err\\n\"); exit(3); print(\"never\"); }\n"
               "fn main() { print(\"out\"); try { helper(); } finally { print(\"no finally on "
               "exit\"); } }\n",
               "out\n", "err\n", 3);
    expect_run("fn main() -> int { return 7; }\n", "", "", 7);
    expect_run("var started = init();\nfn init() { exit(4); return 1; }\nfn main() { print(1); }\n",
               "", "", 4);
}
END_TEST

START_TEST(test_unassigned_locals_and_globals) {
    expect_run("var g;\nvar h: int;\nvar s: str;\n"
               "fn main() {\n"
               "  print(h); print(len(s));\n"
               "  var x;\n"
               "  if (h == 1) { x = 2; }\n"
               "  print(x);\n"
               "}\n",
               "0\n0\n",
               "Traceback (most recent call last):\n  t.kc:8, in main\n"
               "NullError: local 'x' used before assignment\n",
               1);
    expect_run("var g;\nfn main() { print(g); }\n", "",
               "Traceback (most recent call last):\n  t.kc:2, in main\n"
               "NullError: global 'g' read before assignment\n",
               1);
}
END_TEST

START_TEST(test_recursion_limit) {
    const char *text =
        "fn down(n) { return down(n + 1) + 1; }\n"
        "fn main() { try { down(0); } catch (MemoryError e) { print(e.message); } }\n";
    expect_run(text, "recursion too deep\n", "", 0);
    const char *argv[] = {"t.kc"};
    InterpOptions options = {.max_call_depth = 50};
    Run run = run_with("fn depth(n) { if (n == 0) return 0; return depth(n - 1) + 1; }\n"
                       "fn main() { print(depth(40)); print(depth(60)); }\n",
                       options, 1, argv);
    ck_assert_str_eq(run.out, "40\n");
    ck_assert_int_eq(run.status, 1);
    ck_assert_ptr_nonnull(strstr(run.err, "MemoryError: recursion too deep"));
    run_free(&run);
}
END_TEST

START_TEST(test_threads_and_transactions) {
    expect_run("var log = [];\n"
               "fn task(n) { log.append(n); if (n < 3) transaction_add(task, n + 10); }\n"
               "fn main() {\n"
               "  var t = thread_start(task, 1); thread_join(t);\n"
               "  transaction_add(task, 2); transaction_add(task, 3); transaction_run();\n"
               "  atomic { log.append(99); }\n"
               "  become_inevitable(); print(log);\n"
               "}\n",
               "[1, 11, 2, 3, 12, 99]\n", "", 0);
}
END_TEST

START_TEST(test_extern_libm) {
    expect_run(
        "extern fn c_sqrt(x: float) -> float = \"sqrt\";\n"
        "extern fn c_pow(x: float, y: float) -> float = \"pow\";\n"
        "extern fn c_labs(x: int) -> int = \"labs\";\n"
        "extern fn c_nothing(x: str) -> int = \"strlen\";\n"
        "fn main() {\n"
        "  print(c_sqrt(16.0)); print(c_pow(2.0, 10.0)); print(c_labs(-5));\n"
        "  try { c_nothing(\"x\"); } catch (TypeError e) { print(e.message); }\n"
        "  try { c_sqrt(4); } catch (TypeError e) { print(e.message); }\n"
        "}\n",
        "4.0\n1024.0\n5\ncannot call extern function c_nothing: parameter 1 has type str, not "
        "int or float\nc_sqrt() argument 1 must be float, not int\n",
        "", 0);
}
END_TEST

START_TEST(test_gc_stress_keeps_live_values) {
    const char *text = "class Node { var next; var value: int; }\n"
                       "fn build(n) { var head = null; for (var i = 0; i < n; i++) {\n"
                       "  var node = new Node(); node.value = i; node.next = head; head = node;\n"
                       "  var garbage = [str(i), (i, \"x\")]; }\n"
                       "  return head; }\n"
                       "fn main() { var total = 0; var d = {};\n"
                       "  for (var round = 0; round < 20; round++) {\n"
                       "    var list = build(50); while (list != null) { total += list.value; list "
                       "= list.next; }\n"
                       "    d[str(round)] = [round]; if (round % 3 == 0) d.remove(str(round)); }\n"
                       "  print(total); print(len(d)); print(d[\"19\"]); }\n";
    const char *argv[] = {"t.kc"};
    InterpOptions options = {.gc_stress = true};
    Run run = run_with(text, options, 1, argv);
    ck_assert_str_eq(run.out, "24500\n13\n[19]\n");
    ck_assert_str_eq(run.err, "");
    ck_assert_int_eq(run.status, 0);
    run_free(&run);
}
END_TEST

START_TEST(test_main_args_and_globals_api) {
    const char *text =
        "var table = build();\nconst LIMIT = 3;\nvar unset;\n"
        "class P { var x: int; var tag: str; }\n"
        "fn build() { var p = new P(); p.x = 5; return [1, (\"two\", 2.5), {'k': p}]; }\n"
        "fn main(args) { print(args); return len(args); }\n";
    Front front;
    front_build(&front, text);
    FILE *out = fopen("/dev/null", "w");
    InterpOptions options = {.stdout_stream = out};
    Interp *interp = interp_create(front.program, &front.diag, &options);
    ck_assert_int_eq(interp_run_globals(interp), 0);
    ck_assert_int_eq(interp_global_count(interp), 3);
    InterpValue table = interp_global_value(interp, 0);
    ck_assert_int_eq(interp_value_kind(table), INTERP_VALUE_LIST);
    ck_assert_uint_eq(interp_value_length(table), 3);
    ck_assert_int_eq(interp_value_int(interp_value_item(table, 0)), 1);
    InterpValue pair = interp_value_item(table, 1);
    size_t length = 0;
    ck_assert_str_eq(interp_value_str(interp_value_item(pair, 0), &length), "two");
    ck_assert(interp_value_float(interp_value_item(pair, 1)) == 2.5);
    InterpValue key, value;
    interp_value_dict_entry(interp_value_item(table, 2), 0, &key, &value);
    ck_assert_int_eq(interp_value_kind(key), INTERP_VALUE_CHAR);
    ck_assert_int_eq(interp_value_int(interp_value_item(value, 0)), 5);
    ck_assert_str_eq(front.program->classes[interp_value_class(value)].name, "P");
    ck_assert_int_eq(interp_value_int(interp_global_value(interp, 1)), 3);
    ck_assert_int_eq(interp_value_kind(interp_global_value(interp, 2)), INTERP_VALUE_UNSET);
    const char *argv[] = {"t.kc", "a", "b"};
    ck_assert_int_eq(interp_run_main(interp, 3, argv), 3);
    interp_destroy(interp);
    fclose(out);
    front_free(&front);
}
END_TEST

START_TEST(test_polymorphic_calls_and_callable_fields) {
    expect_run(
        "class Node { fn eval() { return 0; } }\n"
        "class Num : Node { var v; fn init(v) { this.v = v; } fn eval() { return this.v; } }\n"
        "class Add : Node { var l; var r; fn init(l, r) { this.l = l; this.r = r; }\n"
        "  fn eval() { return this.l.eval() + this.r.eval(); } }\n"
        "class Neg : Node { var e; fn init(e) { this.e = e; } fn eval() { return -this.e.eval(); } "
        "}\n"
        "class Holder { var callback; fn init(f) { this.callback = f; } }\n"
        "fn twice(x) { return 2 * x; }\n"
        "fn main() {\n"
        "  var tree = new Add(new Num(1), new Neg(new Add(new Num(2), new Node())));\n"
        "  var total = 0; for (var i = 0; i < 100; i++) total += tree.eval();\n"
        "  print(total);\n"
        "  var h = new Holder(twice); print(h.callback(21));\n"
        "  var m = new Holder(tree.eval); print(m.callback());\n"
        "  switch (\"b\") { case \"a\": print(1); case \"b\", \"c\": print(2); }\n"
        "  for (var k = -1; k < 40; k += 13) switch (k) { case 0, 1, 2: print(\"low\");\n"
        "    case 12: print(\"twelve\"); case 25: print(\"25\"); default: print(k); }\n"
        "}\n",
        "-100\n42\n-1\n2\n-1\ntwelve\n25\n38\n", "", 0);
}
END_TEST

START_TEST(test_traceback_through_handlers) {
    /* A throw inside try/finally, re-raised by the finally, reports the
     * throwing line; a frame the exception passes reports its call. */
    expect_run("fn inner() {\n"
               "  try {\n"
               "    throw new KeyError(\"k\");\n"
               "  } finally {\n"
               "    print(\"cleanup\");\n"
               "  }\n"
               "}\n"
               "fn middle() { try { inner(); } catch (ValueError e) { print(\"no\"); } }\n"
               "fn main() {\n"
               "  middle();\n"
               "}\n",
               "cleanup\n",
               "Traceback (most recent call last):\n  t.kc:10, in main\n  t.kc:8, in middle\n"
               "  t.kc:3, in inner\nKeyError: k\n",
               1);
}
END_TEST

static Suite *interp_run_suite(void) {
    Suite *suite = suite_create("interp_run");
    TCase *semantics = tcase_create("semantics");
    tcase_set_timeout(semantics, 60);
    tcase_add_test(semantics, test_arithmetic_and_printing);
    tcase_add_test(semantics, test_classes_and_virtual_dispatch);
    tcase_add_test(semantics, test_containers_and_methods);
    tcase_add_test(semantics, test_runtime_errors_are_catchable);
    tcase_add_test(semantics, test_unassigned_locals_and_globals);
    tcase_add_test(semantics, test_threads_and_transactions);
    tcase_add_test(semantics, test_extern_libm);
    tcase_add_test(semantics, test_polymorphic_calls_and_callable_fields);
    suite_add_tcase(suite, semantics);
    TCase *control = tcase_create("control");
    tcase_set_timeout(control, 60);
    tcase_add_test(control, test_traceback_of_escaping_exception);
    tcase_add_test(control, test_exit_and_main_status);
    tcase_add_test(control, test_traceback_through_handlers);
    tcase_add_test(control, test_recursion_limit);
    tcase_add_test(control, test_gc_stress_keeps_live_values);
    tcase_add_test(control, test_main_args_and_globals_api);
    suite_add_tcase(suite, control);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(interp_run_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
