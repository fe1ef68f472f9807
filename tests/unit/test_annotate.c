/* test_annotate.c - the annotator: every union rule of the lattice, and the
 * fixpoint on small programs built from Kiln C text. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "annotate/annotate.h"
#include "flow/flow.h"
#include "parse/parse.h"

typedef struct Built {
    Arena arena;
    InternTable interns;
    DiagContext diag;
    char *messages;
    size_t messages_size;
    FlowProgram *program;
    Annotator *annotator;
    int errors;
} Built;

static const char classes[] = "class Animal { var name; }\n"
                              "class Cat : Animal { }\n"
                              "class Dog : Animal { }\n"
                              "class Stone { }\n";

/* Builds the program; when annotate is set, runs the annotator (no global
 * values: the tests' globals are typed from their writes). */
static Built *build(const char *text, bool annotate) {
    Built *built = calloc(1, sizeof(Built));
    arena_init(&built->arena);
    intern_init(&built->interns, &built->arena);
    diag_init(&built->diag);
    built->diag.out = open_memstream(&built->messages, &built->messages_size);
    ParseContext context = {&built->arena, &built->interns, &built->diag, NULL, 0};
    AstProgram *ast = flow_parse_program(&context, "t.kc", text, (int)strlen(text));
    ck_assert_ptr_nonnull(ast);
    built->program = flow_build_program(ast, &built->interns, &built->diag);
    ck_assert_int_eq(built->diag.errors, 0);
    built->annotator = ann_create(built->program, &built->diag);
    if (annotate) built->errors = ann_run(built->annotator, NULL);
    fflush(built->diag.out);
    return built;
}

static void built_free(Built *built) {
    ann_destroy(built->annotator);
    fclose(built->diag.out);
    free(built->messages);
    flow_program_free(built->program);
    intern_free(&built->interns);
    diag_free(&built->diag);
    arena_free(&built->arena);
    free(built);
}

static int class_named(Built *built, const char *name) {
    int index = flow_find_class(built->program, name);
    ck_assert_int_ge(index, 0);
    return index;
}

static const char *text_of(Built *built, const Ann *ann) {
    return ann ? ann_to_string(built->annotator, ann) : "(no union)";
}

static const Ann *join(Built *built, const Ann *a, const Ann *b) {
    return ann_union(built->annotator, a, b, NULL, NULL);
}

/* ---- the lattice ---------------------------------------------------------- */

START_TEST(union_bottom_is_identity) {
    Built *built = build("fn main() { }", false);
    Annotator *a = built->annotator;
    const Ann *bottom = ann_simple(a, ANN_BOTTOM);
    ck_assert_str_eq(text_of(built, join(built, bottom, ann_simple(a, ANN_STR))), "str");
    ck_assert_str_eq(text_of(built, join(built, ann_simple(a, ANN_INT), bottom)), "int");
    ck_assert_str_eq(text_of(built, join(built, bottom, bottom)), "?");
    built_free(built);
}
END_TEST

START_TEST(union_of_scalars) {
    Built *built = build("fn main() { }", false);
    Annotator *a = built->annotator;
    AnnKind kinds[] = {ANN_INT, ANN_FLOAT, ANN_BOOL, ANN_CHAR, ANN_STR, ANN_VOID};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        for (size_t j = 0; j < sizeof kinds / sizeof kinds[0]; j++) {
            const Ann *result = join(built, ann_simple(a, kinds[i]), ann_simple(a, kinds[j]));
            if (i == j)
                ck_assert_ptr_eq(result, ann_simple(a, kinds[i]));
            else
                ck_assert_ptr_null(result); /* int ⊔ float included: no promotion */
        }
    built_free(built);
}
END_TEST

START_TEST(union_of_constants) {
    Built *built = build("fn main() { }", false);
    Annotator *a = built->annotator;
    const Ann *one = ann_const_int(a, ANN_INT, 1);
    const Ann *same = join(built, one, ann_const_int(a, ANN_INT, 1));
    ck_assert(same->is_const);
    ck_assert_int_eq(same->const_int, 1);
    const Ann *both = join(built, one, ann_const_int(a, ANN_INT, 2));
    ck_assert(!both->is_const);
    ck_assert_str_eq(text_of(built, both), "int");
    const Ann *abc = ann_const_str(a, "abc", 3);
    ck_assert(join(built, abc, ann_const_str(a, "abc", 3))->is_const);
    ck_assert(!join(built, abc, ann_const_str(a, "abd", 3))->is_const);
    ck_assert(!join(built, ann_const_int(a, ANN_BOOL, 1), ann_const_int(a, ANN_BOOL, 0))->is_const);
    ck_assert_ptr_null(join(built, one, ann_const_int(a, ANN_CHAR, 1)));
    built_free(built);
}
END_TEST

START_TEST(union_of_classes_is_nearest_common_base) {
    Built *built = build(classes, false);
    Annotator *a = built->annotator;
    int animal = class_named(built, "Animal"), cat = class_named(built, "Cat");
    int dog = class_named(built, "Dog"), stone = class_named(built, "Stone");
    const Ann *cats = ann_instance(a, cat, false);
    ck_assert_str_eq(text_of(built, join(built, cats, ann_instance(a, dog, false))), "Animal");
    ck_assert_str_eq(text_of(built, join(built, cats, ann_instance(a, animal, false))), "Animal");
    ck_assert_str_eq(text_of(built, join(built, cats, cats)), "Cat");
    ck_assert_ptr_null(join(built, cats, ann_instance(a, stone, false)));
    ck_assert_ptr_null(join(built, cats, ann_simple(a, ANN_INT)));
    built_free(built);
}
END_TEST

START_TEST(union_with_null) {
    Built *built = build(classes, false);
    Annotator *a = built->annotator;
    const Ann *null = ann_simple(a, ANN_NULL);
    const Ann *cat = ann_instance(a, class_named(built, "Cat"), false);
    ck_assert_str_eq(text_of(built, join(built, null, cat)), "Cat?");
    ck_assert_str_eq(text_of(built, join(built, cat, null)), "Cat?");
    ck_assert_str_eq(text_of(built, join(built, null, null)), "null");
    SrcPos none = {0};
    ck_assert_str_eq(
        text_of(built, join(built, null, ann_new_list(a, ann_simple(a, ANN_INT), none))),
        "list<int>?");
    ck_assert_ptr_null(join(built, null, ann_simple(a, ANN_INT)));
    ck_assert_ptr_null(join(built, null, ann_simple(a, ANN_STR)));
    ck_assert_ptr_null(join(built, null, ann_simple(a, ANN_VOID)));
    /* A nullable class joined with its subclass stays nullable. */
    const Ann *dog = ann_instance(a, class_named(built, "Dog"), false);
    ck_assert_str_eq(text_of(built, join(built, join(built, null, cat), dog)), "Animal?");
    built_free(built);
}
END_TEST

START_TEST(union_of_lists_unifies_definitions) {
    Built *built = build("fn main() { }", false);
    Annotator *a = built->annotator;
    SrcPos none = {0};
    const Ann *empty = ann_new_list(a, NULL, none);
    const Ann *ints = ann_new_list(a, ann_simple(a, ANN_INT), none);
    ck_assert_str_eq(text_of(built, empty), "list<?>");
    const Ann *merged = join(built, empty, ints);
    ck_assert_str_eq(text_of(built, merged), "list<int>");
    /* The empty list took its element type from the other one. */
    ck_assert_str_eq(text_of(built, empty), "list<int>");
    ck_assert(ann_equal(empty, ints));
    const Ann *strs = ann_new_list(a, ann_simple(a, ANN_STR), none);
    ck_assert_ptr_null(join(built, ints, strs));
    const Ann *left = NULL, *right = NULL;
    ck_assert_ptr_null(ann_union(a, ints, strs, &left, &right));
    ck_assert_str_eq(text_of(built, left), "int");
    ck_assert_str_eq(text_of(built, right), "str");
    built_free(built);
}
END_TEST

START_TEST(union_of_dicts_and_tuples) {
    Built *built = build("fn main() { }", false);
    Annotator *a = built->annotator;
    SrcPos none = {0};
    const Ann *empty = ann_new_dict(a, NULL, NULL, none);
    const Ann *ages = ann_new_dict(a, ann_simple(a, ANN_STR), ann_simple(a, ANN_INT), none);
    ck_assert_str_eq(text_of(built, join(built, empty, ages)), "dict<str, int>");
    ck_assert_str_eq(text_of(built, empty), "dict<str, int>");
    const Ann *other = ann_new_dict(a, ann_simple(a, ANN_INT), ann_simple(a, ANN_INT), none);
    ck_assert_ptr_null(join(built, ages, other));
    const Ann *pair_items[] = {ann_simple(a, ANN_INT), ann_simple(a, ANN_STR)};
    const Ann *pair = ann_tuple(a, pair_items, 2);
    ck_assert_str_eq(text_of(built, join(built, pair, pair)), "(int, str)");
    const Ann *swapped_items[] = {ann_simple(a, ANN_STR), ann_simple(a, ANN_INT)};
    ck_assert_ptr_null(join(built, pair, ann_tuple(a, swapped_items, 2)));
    const Ann *triple_items[] = {ann_simple(a, ANN_INT), ann_simple(a, ANN_STR),
                                 ann_simple(a, ANN_INT)};
    ck_assert_ptr_null(join(built, pair, ann_tuple(a, triple_items, 3)));
    ck_assert_ptr_null(join(built, pair, ann_new_list(a, NULL, none)));
    built_free(built);
}
END_TEST

START_TEST(union_of_functions_and_others) {
    Built *built = build("fn f() { }\nfn g() { }\nfn main() { }", false);
    Annotator *a = built->annotator;
    AnnCallable f = {flow_find_graph(built->program, "f"), false};
    AnnCallable g = {flow_find_graph(built->program, "g"), false};
    const Ann *fs = ann_function(a, &f, 1), *gs = ann_function(a, &g, 1);
    ck_assert_str_eq(text_of(built, join(built, fs, gs)), "fn{f, g}");
    ck_assert_str_eq(text_of(built, join(built, fs, fs)), "fn{f}");
    ck_assert_str_eq(text_of(built, join(built, ann_simple(a, ANN_NULL), fs)), "fn{f}?");
    ck_assert_ptr_null(join(built, fs, ann_simple(a, ANN_INT)));
    const Ann *builder = ann_simple(a, ANN_BUILDER), *thread = ann_simple(a, ANN_THREAD);
    ck_assert_ptr_eq(join(built, builder, builder), builder);
    ck_assert_ptr_eq(join(built, thread, thread), thread);
    ck_assert_ptr_null(join(built, builder, thread));
    const Ann *chars = ann_iterator(a, ANN_VIEW_STR, NULL, NULL);
    ck_assert(ann_equal(join(built, chars, ann_iterator(a, ANN_VIEW_STR, NULL, NULL)), chars));
    SrcPos none = {0};
    const Ann *dict = ann_new_dict(a, ann_simple(a, ANN_STR), ann_simple(a, ANN_INT), none);
    const Ann *keys = ann_dict_view(a, ANN_VIEW_KEYS, dict->dictdef);
    ck_assert_ptr_null(join(built, keys, ann_dict_view(a, ANN_VIEW_VALUES, dict->dictdef)));
    ck_assert_ptr_null(join(built, keys, chars));
    built_free(built);
}
END_TEST

/* ---- the fixpoint --------------------------------------------------------- */

static const Ann *result_of(Built *built, const char *name) {
    int func = ann_func_of_graph(built->annotator, flow_find_graph(built->program, name));
    ck_assert_int_ge(func, 0);
    return ann_func_result(built->annotator, func);
}

START_TEST(fixpoint_parameters_from_calls) {
    Built *built = build("fn twice(x) { return x + x; }\n"
                         "fn main() { print(twice(2)); print(twice(3)); }\n",
                         true);
    ck_assert_int_eq(built->errors, 0);
    ck_assert_str_eq(text_of(built, result_of(built, "twice")), "int");
    int func = ann_func_of_graph(built->annotator, flow_find_graph(built->program, "twice"));
    const FlowGraph *graph = ann_func_graph(built->annotator, func);
    ck_assert_str_eq(text_of(built, ann_var(built->annotator, func, graph->blocks[0].inputs[0])),
                     "int");
    built_free(built);
}
END_TEST

START_TEST(fixpoint_empty_list_from_later_use) {
    Built *built = build("fn fill(l) { l.append(\"x\"); }\n"
                         "fn main() { var l = []; fill(l); print(len(l)); }\n",
                         true);
    ck_assert_int_eq(built->errors, 0);
    int func = ann_func_of_graph(built->annotator, built->program->main_graph);
    const FlowGraph *graph = ann_func_graph(built->annotator, func);
    const FlowOp *newlist = &graph->blocks[0].ops[0];
    ck_assert_int_eq(newlist->opcode, FLOW_OP_NEWLIST);
    ck_assert_str_eq(text_of(built, ann_var(built->annotator, func, newlist->result)), "list<str>");
    built_free(built);
}
END_TEST

START_TEST(fixpoint_recursion_and_fields) {
    Built *built = build("class Node { var next; var value; fn init(v) { this.value = v; } }\n"
                         "fn build(n) { var head = null; for (var i : range(n)) {\n"
                         "  var node = new Node(i); node.next = head; head = node; }\n"
                         "  return head; }\n"
                         "fn fact(n) { if (n == 0) return 1; return n * fact(n - 1); }\n"
                         "fn main() { print(build(3).value); print(fact(5)); }\n",
                         true);
    ck_assert_msg(built->errors == 0, "%s", built->messages);
    ck_assert_str_eq(text_of(built, result_of(built, "fact")), "int");
    ck_assert_str_eq(text_of(built, result_of(built, "build")), "Node?");
    int node = class_named(built, "Node");
    ck_assert_str_eq(text_of(built, ann_field(built->annotator, node, 0)), "Node?");
    ck_assert_str_eq(text_of(built, ann_field(built->annotator, node, 1)), "int");
    ck_assert_int_eq(ann_verify(built->annotator, stderr), 0);
    built_free(built);
}
END_TEST

START_TEST(fixpoint_virtual_calls_and_specialize) {
    Built *built = build("class Shape { fn area() { return 0; } }\n"
                         "class Square : Shape { var side; fn init(s) { this.side = s; }\n"
                         "  fn area() { return this.side * this.side; } }\n"
                         "@specialize fn first(xs) { return xs[0]; }\n"
                         "fn main() { var s: Shape = new Square(2); print(s.area());\n"
                         "  print(first([1])); print(first([\"a\"])); }\n",
                         true);
    ck_assert_msg(built->errors == 0, "%s", built->messages);
    /* Square.area is reached through the virtual call on a Shape. */
    ck_assert_int_ge(ann_func_of_graph(built->annotator, flow_find_graph(built->program, "main")),
                     0);
    int copies = 0;
    int first = flow_find_graph(built->program, "first");
    for (int f = 0; f < ann_func_count(built->annotator); f++)
        if (ann_func_graph(built->annotator, f)->index == first) copies++;
    ck_assert_int_eq(copies, 2);
    int square = class_named(built, "Square");
    ck_assert_str_eq(text_of(built, ann_field(built->annotator, square, 0)), "int");
    built_free(built);
}
END_TEST

START_TEST(fixpoint_reports_conflict_with_both_positions) {
    Built *built = build("fn main(args) {\n"
                         "    var x = 1;\n"
                         "    if (len(args) > 1) x = \"s\";\n"
                         "    print(x);\n"
                         "}\n",
                         true);
    ck_assert_int_eq(built->errors, 1);
    ck_assert_ptr_nonnull(strstr(built->messages, "error: cannot unify `int` with `str`"));
    ck_assert_ptr_nonnull(strstr(built->messages, "x was given `int` here: t.kc:"));
    ck_assert_ptr_nonnull(strstr(built->messages, "and `str` here:"));
    ck_assert_ptr_nonnull(strstr(built->messages, "reached from: main (t.kc:1)"));
    built_free(built);
}
END_TEST

START_TEST(fixpoint_independent_errors_and_unreached_warning) {
    Built *built = build("fn unused() { }\n"
                         "fn main() { print(1 + 2.0); print(len(3)); }\n",
                         true);
    ck_assert_int_eq(built->errors, 2);
    ck_assert_ptr_nonnull(strstr(built->messages, "cannot mix `int` and `float`"));
    ck_assert_ptr_nonnull(strstr(built->messages, "`len` takes"));
    built_free(built);
    built = build("fn unused() { }\nfn main() { }\n", true);
    ck_assert_int_eq(built->errors, 0);
    ck_assert_ptr_nonnull(strstr(built->messages, "warning: function 'unused' is never called"));
    built_free(built);
}
END_TEST

START_TEST(fixpoint_dump_is_stable) {
    Built *built = build("fn add(a, b) { return a + b; }\nfn main() { print(add(1, 2)); }\n", true);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    ann_dump(out, built->annotator);
    fclose(out);
    ck_assert_ptr_nonnull(strstr(text, "fn add(a: int, b: int) -> int\n"));
    ck_assert_ptr_nonnull(strstr(text, "fn main() -> void\n"));
    free(text);
    built_free(built);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("annotate");
    TCase *lattice = tcase_create("lattice");
    tcase_add_test(lattice, union_bottom_is_identity);
    tcase_add_test(lattice, union_of_scalars);
    tcase_add_test(lattice, union_of_constants);
    tcase_add_test(lattice, union_of_classes_is_nearest_common_base);
    tcase_add_test(lattice, union_with_null);
    tcase_add_test(lattice, union_of_lists_unifies_definitions);
    tcase_add_test(lattice, union_of_dicts_and_tuples);
    tcase_add_test(lattice, union_of_functions_and_others);
    suite_add_tcase(suite, lattice);
    TCase *fixpoint = tcase_create("fixpoint");
    tcase_add_test(fixpoint, fixpoint_parameters_from_calls);
    tcase_add_test(fixpoint, fixpoint_empty_list_from_later_use);
    tcase_add_test(fixpoint, fixpoint_recursion_and_fields);
    tcase_add_test(fixpoint, fixpoint_virtual_calls_and_specialize);
    tcase_add_test(fixpoint, fixpoint_reports_conflict_with_both_positions);
    tcase_add_test(fixpoint, fixpoint_independent_errors_and_unreached_warning);
    tcase_add_test(fixpoint, fixpoint_dump_is_stable);
    suite_add_tcase(suite, fixpoint);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
