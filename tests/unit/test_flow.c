/* test_flow.c - the flow builder (AST -> SSA flow graphs) and its verifier. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "parse/parse.h"

typedef struct Built {
    Arena arena;
    InternTable interns;
    DiagContext diag;
    char *messages;
    size_t messages_size;
    FlowProgram *program;
} Built;

static Built *build(const char *text) {
    Built *built = calloc(1, sizeof(Built));
    arena_init(&built->arena);
    intern_init(&built->interns, &built->arena);
    diag_init(&built->diag);
    built->diag.out = open_memstream(&built->messages, &built->messages_size);
    ParseContext context = {&built->arena, &built->interns, &built->diag, NULL, 0};
    AstProgram *ast = flow_parse_program(&context, "t.kc", text, (int)strlen(text));
    ck_assert_ptr_nonnull(ast);
    ck_assert_int_eq(built->diag.errors, 0);
    built->program = flow_build_program(ast, &built->interns, &built->diag);
    fflush(built->diag.out);
    return built;
}

static void built_free(Built *built) {
    fclose(built->diag.out);
    free(built->messages);
    flow_program_free(built->program);
    intern_free(&built->interns);
    diag_free(&built->diag);
    arena_free(&built->arena);
    free(built);
}

static const FlowGraph *graph_named(const Built *built, const char *name) {
    for (int i = 0; i < built->program->graph_count; i++)
        if (strcmp(built->program->graphs[i]->name, name) == 0) return built->program->graphs[i];
    ck_abort_msg("no graph %s", name);
    return NULL;
}

static int count_ops(const FlowGraph *graph, FlowOpcode opcode) {
    int count = 0;
    for (int b = 0; b < graph->block_count; b++)
        for (int i = 0; i < graph->blocks[b].op_count; i++)
            count += graph->blocks[b].ops[i].opcode == opcode;
    return count;
}

static int count_exits(const FlowGraph *graph, FlowExitKind kind) {
    int count = 0;
    for (int b = 0; b < graph->block_count; b++)
        count += graph->blocks[b].exit_kind == kind;
    return count;
}

static void assert_clean(Built *built) {
    ck_assert_msg(built->diag.errors == 0, "unexpected diagnostics:\n%s", built->messages);
    char *report = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&report, &size);
    int broken = flow_verify_program(built->program, out);
    fclose(out);
    ck_assert_msg(broken == 0, "verifier:\n%s", report);
    free(report);
}

static const char every_construct[] =
    "jitdriver D(greens: pc; reds: acc);\n"
    "const LIMIT = 10;\n"
    "var table = [1, 2, 3];\n"
    "class Base { var x: int; fn init(x) { this.x = x; } fn get() { return this.x; } }\n"
    "class Derived : Base { fn get() { return this.x * 2; } }\n"
    "extern fn c_sqrt(x: float) -> float = \"sqrt\";\n"
    "@elidable fn pure(a) { return a + 1; }\n"
    "fn main(args) {\n"
    "    var acc = 0;\n"
    "    for (var pc = 0; pc < LIMIT; pc++) {\n"
    "        jit_merge_point(D, pc, acc);\n"
    "        switch (pc) { case 1, 2: acc += 1; case 3: continue; default: acc -= 1; }\n"
    "        if (pc == 7) break;\n"
    "        can_enter_jit(D, pc, acc);\n"
    "    }\n"
    "    while (acc < 100) { acc = acc * 2 + 1; }\n"
    "    do { acc--; } while (acc > 50);\n"
    "    for (var item : table) acc += item;\n"
    "    for (var i : range(10, 0, -2)) acc += i;\n"
    "    var d = {\"a\": 1};\n"
    "    for (var (k, v) : d.items()) print(k);\n"
    "    var (p, q) = (1, 2);\n"
    "    try { acc = pure(acc) / 0; } catch (ZeroDivisionError e) { print(e.message); }\n"
    "    finally { print(\"done\"); }\n"
    "    atomic { acc += 1; }\n"
    "    var b: Base = new Derived(3);\n"
    "    var f = b.get;\n"
    "    print(b is Derived ? f() : (b as Base).get());\n"
    "    var s = new StrBuilder();\n"
    "    s.append(\"x\");\n"
    "    print(c_sqrt(4.0) > 1.0 && p < q || !we_are_jitted());\n"
    "    throw new ValueError(\"end\");\n"
    "}\n";

START_TEST(every_construct_builds_verified_graphs) {
    Built *built = build(every_construct);
    assert_clean(built);
    const FlowGraph *main_graph = graph_named(built, "main");
    ck_assert_int_eq(built->program->main_graph, main_graph->index);
    ck_assert_int_ge(count_exits(main_graph, FLOW_EXIT_SWITCH), 1);
    ck_assert_int_ge(count_exits(main_graph, FLOW_EXIT_RAISES), 1);
    ck_assert_int_eq(count_ops(main_graph, FLOW_OP_JIT_MERGE_POINT), 1);
    ck_assert_int_eq(count_ops(main_graph, FLOW_OP_ATOMIC_BEGIN), 1);
    ck_assert_int_eq(count_ops(main_graph, FLOW_OP_ATOMIC_END),
                     2); /* normal and exceptional exits */
    ck_assert_int_eq(count_ops(main_graph, FLOW_OP_ITER),
                     2); /* the list and the items; not range */
    ck_assert_int_eq(graph_named(built, "Derived.get")->param_count, 1);
    ck_assert_int_eq(graph_named(built, "c_sqrt")->kind, FLOW_GRAPH_EXTERN);
    ck_assert(graph_named(built, "pure")->attributes & FLOW_ATTR_ELIDABLE);
    const FlowClass *derived = &built->program->classes[flow_find_class(built->program, "Derived")];
    ck_assert_int_eq(derived->field_count, 1);
    ck_assert_int_eq(derived->depth, 1);
    ck_assert_int_ge(flow_class_find_method(built->program, derived->index, "init"), 0);
    ck_assert(built->program->classes[flow_find_class(built->program, "ValueError")].is_exception);
    built_free(built);
}
END_TEST

START_TEST(ssa_joins_pass_only_live_values) {
    Built *built = build("fn f(a, b) { var x = a; var unused = 5; if (b) x = 2; return x; }\n"
                         "fn main() { f(1, true); }\n");
    assert_clean(built);
    const FlowGraph *graph = graph_named(built, "f");
    ck_assert_int_eq(graph->blocks[0].input_count, 2);
    ck_assert_int_eq(graph->blocks[0].exit_kind, FLOW_EXIT_BRANCH);
    /* Both branch targets lead to the join; the join receives x alone. */
    int join = graph->blocks[0].exits[0].target;
    ck_assert_int_eq(graph->blocks[join].input_count, 1);
    ck_assert_str_eq(graph->vars[graph->blocks[join].inputs[0]].name, "x");
    ck_assert_int_eq(graph->blocks[graph->return_block].input_count, 1);
    ck_assert_int_eq(count_ops(graph, FLOW_OP_SAME_AS), 0); /* copies are propagated */
    built_free(built);
}
END_TEST

START_TEST(loops_have_back_edges_and_range_needs_no_iterator) {
    Built *built = build("fn main() { var t = 0; for (var i : range(5)) { t += i; } print(t); }\n");
    assert_clean(built);
    const FlowGraph *graph = graph_named(built, "main");
    ck_assert_int_eq(count_ops(graph, FLOW_OP_ITER), 0);
    bool back_edge = false;
    for (int b = 0; b < graph->block_count; b++)
        for (int i = 0; i < graph->blocks[b].exit_count; i++)
            back_edge |= graph->blocks[b].exits[i].target <= b;
    ck_assert(back_edge);
    built_free(built);
}
END_TEST

START_TEST(exception_links_carry_the_caught_exception) {
    Built *built = build("fn g() { return 1; }\n"
                         "fn main() { var n = 0; try { n = g(); } catch (Exception e) { "
                         "print(e.message); } print(n); }\n");
    assert_clean(built);
    const FlowGraph *graph = graph_named(built, "main");
    bool found = false;
    for (int b = 0; b < graph->block_count; b++) {
        const FlowBlock *block = &graph->blocks[b];
        if (block->exit_kind != FLOW_EXIT_RAISES) continue;
        ck_assert_int_eq(block->ops[block->op_count - 1].opcode, FLOW_OP_CALL);
        const FlowLink *link = &block->exits[1];
        for (int i = 0; i < link->arg_count; i++)
            found |= link->args[i].kind == FLOW_VALUE_CAUGHT;
    }
    ck_assert(found);
    built_free(built);
}
END_TEST

START_TEST(finally_runs_on_every_exit) {
    Built *built =
        build("fn f(n) { while (true) { try { if (n) return 1; if (n > 1) break; continue; }\n"
              "  finally { write_byte(1, 'f'); } } return 0; }\n"
              "fn main() { f(1); }\n");
    assert_clean(built);
    /* return, break, continue, the exceptional path; the normal end is unreachable */
    ck_assert_int_eq(count_ops(graph_named(built, "f"), FLOW_OP_CALL_BUILTIN), 4);
    built_free(built);
}
END_TEST

static void assert_error(const char *text, const char *expected) {
    Built *built = build(text);
    ck_assert_int_ge(built->diag.errors, 1);
    ck_assert_msg(strstr(built->messages, expected) != NULL, "expected \"%s\" in:\n%s", expected,
                  built->messages);
    built_free(built);
}

START_TEST(name_errors_are_reported) {
    assert_error("fn main() { print(nothing); }\n", "t.kc:1:19: error: unknown name 'nothing'");
    assert_error("fn main() { break; }\n", "'break' outside a loop or switch");
    assert_error("fn main() { } fn main() { }\n", "'main' is already defined");
    assert_error("class A : B {} class B : A {} fn main() {}\n", "inherits from itself");
    assert_error("fn f(a) {} fn main() { f(1, 2); }\n", "function 'f' takes 1 argument, got 2");
    assert_error("const K = 1; fn main() { K = 2; }\n", "cannot assign to const 'K'");
    assert_error("fn main() { var x = 1; switch (x) { case x: print(1); } }\n",
                 "case label must be a constant");
    assert_error("fn main() { print(this); }\n", "'this' is only available inside a method");
    assert_error("fn main() { len(1, 2); }\n", "len() takes 1 argument, got 2");
    assert_error("fn main() { var r = range(3); }\n", "range() can only be iterated");
    assert_error("@fast fn main() { }\n", "unknown attribute '@fast'");
    assert_error("fn main() { new Missing(); }\n", "unknown class 'Missing'");
}
END_TEST

START_TEST(dump_is_readable_and_stable) {
    Built *built = build("fn add(a, b) {\n    return a + b;\n}\nfn main() { add(1, 2); }\n");
    assert_clean(built);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    flow_dump_graph(out, built->program, graph_named(built, "add"));
    fclose(out);
    ck_assert_str_eq(text, "fn add(v0 a, v1 b)  return: block 1, except: block 2\n"
                           "  block 0(v0 a, v1 b):  ; t.kc:1\n"
                           "    v2 = add(v0, v1)  ; t.kc:2\n"
                           "    goto block 1(v2)\n"
                           "  block 1(v3):  ; t.kc:1\n"
                           "    return v3\n"
                           "  block 2(v4):  ; t.kc:1\n"
                           "    raise v4\n"
                           "\n");
    free(text);
    built_free(built);
}
END_TEST

START_TEST(verifier_reports_broken_graphs) {
    Built *built = build("fn f(a) { if (a) return 1; return 2; }\nfn main() { f(true); }\n");
    assert_clean(built);
    FlowGraph *graph = (FlowGraph *)graph_named(built, "f");
    FlowLink *link = &graph->blocks[0].exits[0];
    int32_t target = link->target;
    link->target = 999; /* a block that does not exist */
    FlowValue bogus = {FLOW_VALUE_VAR, 999};
    graph->blocks[0].exitswitch = bogus;
    char *report = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&report, &size);
    int broken = flow_verify_graph(built->program, graph, out);
    fclose(out);
    ck_assert_int_ge(broken, 2);
    ck_assert_msg(strstr(report, "uses variable v999, which does not exist") != NULL, "%s", report);
    ck_assert_msg(strstr(report, "targets block 999, which does not exist") != NULL, "%s", report);
    free(report);
    link->target = target;
    built_free(built);
}
END_TEST

Suite *flow_suite(void) {
    Suite *suite = suite_create("flow");
    TCase *cases = tcase_create("build");
    tcase_add_test(cases, every_construct_builds_verified_graphs);
    tcase_add_test(cases, ssa_joins_pass_only_live_values);
    tcase_add_test(cases, loops_have_back_edges_and_range_needs_no_iterator);
    tcase_add_test(cases, exception_links_carry_the_caught_exception);
    tcase_add_test(cases, finally_runs_on_every_exit);
    tcase_add_test(cases, name_errors_are_reported);
    tcase_add_test(cases, dump_is_readable_and_stable);
    tcase_add_test(cases, verifier_reports_broken_graphs);
    suite_add_tcase(suite, cases);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(flow_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
