/* test_transform.c - the exception and GC decisions of the transforms on
 * small programs built from Kiln C text: which operations and functions
 * can raise and collect (a fixpoint over the call graph), which references
 * are spilled around collecting operations, which stores need a write
 * barrier, and the dump. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "test_pipeline_support.h"

static const RtypeFunc *func_info(const TestPipeline *pipeline, const char *name) {
    return &pipeline->rtype->funcs[test_pipeline_func(pipeline, name)];
}

/* The decision for the nth operation of function `name` lowered to `opcode`. */
static TestOpSite low_site(const TestPipeline *pipeline, const char *name, RtypeOpcode opcode,
                           int nth) {
    return test_pipeline_low_op(pipeline, test_pipeline_func(pipeline, name), opcode, nth);
}

/* The decision for the call of graph `callee` in function `name`. */
static TestOpSite call_site(const TestPipeline *pipeline, const char *name, const char *callee) {
    int func = test_pipeline_func(pipeline, name);
    int target = test_pipeline_func(pipeline, callee);
    for (int nth = 0; nth < test_pipeline_count_low(pipeline, func, RTYPE_OP_CALL_DIRECT); nth++) {
        TestOpSite site = test_pipeline_low_op(pipeline, func, RTYPE_OP_CALL_DIRECT, nth);
        if (site.low->callee == target) return site;
    }
    ck_abort_msg("%s calls %s nowhere", name, callee);
    return test_pipeline_low_op(pipeline, func, RTYPE_OP_CALL_DIRECT, 0);
}

/* ---- what collects -------------------------------------------------------- */

static const char allocations[] = "class Box { var item; }\n"
                                  "fn make() { return new Box(); }\n"
                                  "fn pair(a, b) { return [a, b]; }\n"
                                  "fn join(a, b) { return a + b; }\n"
                                  "fn arith(a, b) { return a * b + 1; }\n"
                                  "fn wrapper(a, b) { return join(a, b); }\n"
                                  "fn pure(a, b) { return arith(a, b) - 1; }\n"
                                  "fn main(args) {\n"
                                  "    var n = len(args);\n"
                                  "    print(make() is Box);\n"
                                  "    print(len(pair(n, 2)));\n"
                                  "    print(join(\"a\", args[0]));\n"
                                  "    print(wrapper(\"b\", args[0]));\n"
                                  "    print(arith(n, 3) + pure(n, 4));\n"
                                  "}\n";

START_TEST(allocating_operations_collect) {
    TestPipeline *pipeline = test_pipeline_transform(allocations);
    TestOpSite alloc = low_site(pipeline, "make", RTYPE_OP_NEW, 0);
    ck_assert(alloc.decision->collects);
    ck_assert(!alloc.decision->raises); /* Box has no init */
    TestOpSite list = low_site(pipeline, "pair", RTYPE_OP_NEWLIST, 0);
    ck_assert(list.decision->collects);
    TestOpSite concat = low_site(pipeline, "join", RTYPE_OP_STR_CONCAT, 0);
    ck_assert(concat.decision->collects);
    ck_assert(!concat.decision->raises);
    for (int nth = 0; nth < 2; nth++) {
        TestOpSite arith = low_site(pipeline, "arith", RTYPE_OP_INT_BINARY, nth);
        ck_assert(!arith.decision->collects);
        ck_assert(!arith.decision->raises);
        ck_assert_int_eq(arith.decision->spill_count, 0);
    }
    ck_assert(func_info(pipeline, "make")->can_collect);
    ck_assert(func_info(pipeline, "pair")->can_collect);
    ck_assert(func_info(pipeline, "join")->can_collect);
    ck_assert(!func_info(pipeline, "arith")->can_collect);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(calls_collect_when_the_callee_can) {
    TestPipeline *pipeline = test_pipeline_transform(allocations);
    TestOpSite join = call_site(pipeline, "wrapper", "join");
    ck_assert(join.decision->collects);
    ck_assert(!join.decision->raises);
    ck_assert(func_info(pipeline, "wrapper")->can_collect);
    ck_assert(!func_info(pipeline, "wrapper")->can_raise);
    /* arith neither allocates nor raises: calling it is as cheap as inline code */
    TestOpSite arith = call_site(pipeline, "pure", "arith");
    ck_assert(!arith.decision->collects);
    ck_assert(!arith.decision->raises);
    ck_assert(!func_info(pipeline, "pure")->can_collect);
    ck_assert(!func_info(pipeline, "pure")->can_raise);
    TestOpSite pure = call_site(pipeline, "main", "pure");
    ck_assert(!pure.decision->collects);
    ck_assert(call_site(pipeline, "main", "wrapper").decision->collects);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(fixpoint_over_chains_and_recursion) {
    TestPipeline *pipeline = test_pipeline_transform(
        "fn count(n) { if (n <= 0) return 0; return count(n - 1) + 1; }\n"
        "fn ping(n) { if (n <= 0) return [n]; return pong(n - 1); }\n"
        "fn pong(n) { return ping(n); }\n"
        "fn even(n) { if (n == 0) return true; return odd(n - 1); }\n"
        "fn odd(n) { if (n == 0) return false; return even(n - 1); }\n"
        "fn leaf(s) { return s + s; }\n"
        "fn middle(s) { return leaf(s); }\n"
        "fn top(s) { return middle(s); }\n"
        "fn main(args) {\n"
        "    var n = len(args);\n"
        "    print(count(n)); print(len(pong(n))); print(even(n)); print(top(args[0]));\n"
        "}\n");
    /* self recursion without allocation collects nothing; it raises only
     * through its stack check (MemoryError when the C stack is full) */
    ck_assert(!func_info(pipeline, "count")->can_collect);
    ck_assert(func_info(pipeline, "count")->checks_stack);
    ck_assert(func_info(pipeline, "count")->can_raise);
    ck_assert(func_info(pipeline, "ping")->checks_stack);
    ck_assert(func_info(pipeline, "odd")->checks_stack);
    ck_assert(!func_info(pipeline, "leaf")->checks_stack);
    ck_assert(!func_info(pipeline, "top")->checks_stack);
    ck_assert(!func_info(pipeline, "main")->checks_stack);
    ck_assert(!func_info(pipeline, "top")->can_raise);
    ck_assert(!call_site(pipeline, "count", "count").decision->collects);
    ck_assert(!func_info(pipeline, "even")->can_collect);
    ck_assert(!func_info(pipeline, "odd")->can_collect);
    /* mutual recursion where one side allocates: both collect */
    ck_assert(func_info(pipeline, "ping")->can_collect);
    ck_assert(func_info(pipeline, "pong")->can_collect);
    ck_assert(call_site(pipeline, "pong", "ping").decision->collects);
    ck_assert(call_site(pipeline, "ping", "pong").decision->collects);
    /* allocation two calls down */
    ck_assert(func_info(pipeline, "top")->can_collect);
    ck_assert(!func_info(pipeline, "top")->can_raise);
    ck_assert(call_site(pipeline, "top", "middle").decision->collects);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(virtual_call_collects_when_an_override_can) {
    TestPipeline *pipeline = test_pipeline_transform(
        "class Shape { fn area() { return 0; } fn tag() { return 1; } }\n"
        "class Square : Shape {\n"
        "    fn area() { return len([1, 2]); }\n"
        "    fn tag() { return 2; }\n"
        "}\n"
        "fn pick(n) { if (n > 1) return new Square(); return new Shape(); }\n"
        "fn main(args) {\n"
        "    var s = pick(len(args));\n"
        "    var a = s.area();\n"
        "    var t = s.tag();\n"
        "    print(a + t);\n"
        "}\n");
    int main_func = test_pipeline_func(pipeline, "main");
    TestOpSite area = test_pipeline_low_op(pipeline, main_func, RTYPE_OP_CALL_VIRTUAL, 0);
    TestOpSite tag = test_pipeline_low_op(pipeline, main_func, RTYPE_OP_CALL_VIRTUAL, 1);
    ck_assert_str_eq(area.op->name, "area");
    ck_assert_str_eq(tag.op->name, "tag");
    ck_assert(area.decision->collects); /* Square.area allocates */
    ck_assert(!tag.decision->collects); /* no tag allocates, s is never null */
    ck_assert(!tag.decision->raises);
    /* s is still needed by tag() after the collecting area(): it is spilled */
    ck_assert(test_pipeline_spills(&area, area.op->args[0].index));
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(extern_call_neither_raises_nor_collects) {
    TestPipeline *pipeline = test_pipeline_transform("extern fn c_abs(x: int) -> int = \"labs\";\n"
                                                     "fn magnitude(n) { return c_abs(n); }\n"
                                                     "fn main(args) {\n"
                                                     "    print(magnitude(-len(args)));\n"
                                                     "}\n");
    TestOpSite call = low_site(pipeline, "magnitude", RTYPE_OP_CALL_EXTERN, 0);
    ck_assert(!call.decision->collects);
    ck_assert(!call.decision->raises);
    ck_assert(!func_info(pipeline, "magnitude")->can_collect);
    ck_assert(!func_info(pipeline, "magnitude")->can_raise);
    test_pipeline_free(pipeline);
}
END_TEST

/* ---- what raises ---------------------------------------------------------- */

static const char raisers[] =
    "class Safe { var value: int; fn init(v) { this.value = v; } }\n"
    "class Checked { var value: int;\n"
    "    fn init(v) { if (v < 0) throw new ValueError(\"negative\"); this.value = v; } }\n"
    "fn risky(a, b) { return a / b; }\n"
    "fn safe(a, b) { return a + b; }\n"
    "fn thrower(n) { if (n > 3) throw new ValueError(\"big\"); return n; }\n"
    "fn calls_risky(a) { return risky(a, 2); }\n"
    "fn ratio(s, a) { var q = 10 / a; return len(s) + q; }\n"
    "fn handler(s, a) {\n"
    "    var r = 0;\n"
    "    try { r = risky(a, 0); } catch (ZeroDivisionError e) { r = len(s); }\n"
    "    return r;\n"
    "}\n"
    "fn build(n) { var s = new Safe(n); var c = new Checked(n); return s.value + c.value; }\n"
    "fn main(args) {\n"
    "    var n = len(args);\n"
    "    print(safe(n, 1) + calls_risky(n) + thrower(n) + build(n));\n"
    "    print(ratio(args[0], n) + handler(args[0], n));\n"
    "}\n";

START_TEST(raising_operations_and_functions) {
    TestPipeline *pipeline = test_pipeline_transform(raisers);
    TestOpSite divide = low_site(pipeline, "risky", RTYPE_OP_INT_DIVMOD, 0);
    ck_assert(divide.decision->raises);
    TestOpSite add = low_site(pipeline, "safe", RTYPE_OP_INT_BINARY, 0);
    ck_assert(!add.decision->raises);
    ck_assert(!add.decision->collects);
    ck_assert(func_info(pipeline, "risky")->can_raise);
    ck_assert(!func_info(pipeline, "safe")->can_raise);
    ck_assert(func_info(pipeline, "thrower")->can_raise);
    ck_assert(func_info(pipeline, "calls_risky")->can_raise);
    TestOpSite call = call_site(pipeline, "calls_risky", "risky");
    ck_assert(call.decision->raises);
    ck_assert(!call_site(pipeline, "main", "safe").decision->raises);
    ck_assert(call_site(pipeline, "main", "thrower").decision->raises);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(raising_alone_collects_only_where_caught) {
    /* raising allocates the exception; the normal path of a division does
     * not allocate, and an exception that leaves the function needs none
     * of its references */
    TestPipeline *pipeline = test_pipeline_transform(raisers);
    TestOpSite divide = low_site(pipeline, "risky", RTYPE_OP_INT_DIVMOD, 0);
    ck_assert(!divide.decision->collects);
    ck_assert(!func_info(pipeline, "risky")->can_collect);
    ck_assert(!call_site(pipeline, "calls_risky", "risky").decision->collects);
    ck_assert(!func_info(pipeline, "calls_risky")->can_collect);
    int ratio = test_pipeline_func(pipeline, "ratio");
    TestOpSite quotient = low_site(pipeline, "ratio", RTYPE_OP_INT_DIVMOD, 0);
    ck_assert(quotient.decision->raises);
    ck_assert(!quotient.decision->collects);
    ck_assert_int_eq(pipeline->rtype->funcs[ratio].reprs[test_pipeline_param(pipeline, ratio, 0)],
                     RTYPE_REF);
    ck_assert_int_eq(quotient.decision->spill_count, 0); /* s is live, but only normally */
    /* a handler in the same function runs after the exception was
     * allocated: what the link passes to it survives, and the function,
     * which then returns normally, can collect */
    int handler = test_pipeline_func(pipeline, "handler");
    TestOpSite caught = call_site(pipeline, "handler", "risky");
    const FlowBlock *block = &ann_func_graph(pipeline->annotator, handler)->blocks[caught.block];
    ck_assert_int_eq(block->exit_kind, FLOW_EXIT_RAISES);
    ck_assert_int_eq(caught.index, block->op_count - 1);
    ck_assert(caught.decision->raises);
    ck_assert(!caught.decision->collects);
    ck_assert(test_pipeline_spills(&caught, test_pipeline_param(pipeline, handler, 0)));
    ck_assert_int_eq(test_pipeline_count_low(pipeline, handler, RTYPE_OP_BUILTIN), 0);
    ck_assert(func_info(pipeline, "handler")->can_collect);
    ck_assert(call_site(pipeline, "main", "handler").decision->collects);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(new_raises_when_its_init_can) {
    TestPipeline *pipeline = test_pipeline_transform(raisers);
    TestOpSite safe = low_site(pipeline, "build", RTYPE_OP_NEW, 0);
    TestOpSite checked = low_site(pipeline, "build", RTYPE_OP_NEW, 1);
    ck_assert_str_eq(ann_func_graph(pipeline->annotator, safe.low->callee)->name, "Safe.init");
    ck_assert_str_eq(ann_func_graph(pipeline->annotator, checked.low->callee)->name,
                     "Checked.init");
    ck_assert(!safe.decision->raises);
    ck_assert(safe.decision->collects);
    ck_assert(checked.decision->raises);
    ck_assert(checked.decision->collects);
    ck_assert(!func_info(pipeline, "Safe.init")->can_raise);
    ck_assert(func_info(pipeline, "Checked.init")->can_raise);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(unreached_throw_does_not_raise) {
    TestPipeline *pipeline = test_pipeline_transform(
        "const DEBUG = false;\n"
        "fn check(n) { if (DEBUG) { throw new ValueError(\"x\"); } return n + 1; }\n"
        "fn main(args) { print(check(len(args))); }\n");
    int check = test_pipeline_func(pipeline, "check");
    /* the annotator proves the throw never runs: no reached operation raises */
    ck_assert_int_eq(test_pipeline_count_low(pipeline, check, RTYPE_OP_NEW), 0);
    const FlowGraph *graph = ann_func_graph(pipeline->annotator, check);
    for (int block = 0; block < graph->block_count; block++) {
        if (!ann_block_reached(pipeline->annotator, check, block)) continue;
        for (int i = 0; i < graph->blocks[block].op_count; i++)
            ck_assert(!pipeline->transform->ops[check][block][i].raises);
    }
    ck_assert(!func_info(pipeline, "check")->can_collect);
    ck_assert(!func_info(pipeline, "check")->can_raise);
    test_pipeline_free(pipeline);
}
END_TEST

/* ---- spills --------------------------------------------------------------- */

static const char spilling[] =
    "fn alloc(n) { return [n]; }\n"
    "fn fragile(n) { return [10 / n]; }\n"
    "fn spills(a, b, n) {\n"
    "    var xs = alloc(n);\n"
    "    print(len(a) + n);\n"
    "    return xs;\n"
    "}\n"
    "fn consume(s) { var t = s + s; return len(t); }\n"
    "class Holder { var item; fn init(x) { this.item = x; } }\n"
    "fn wrap(s) { return new Holder(s); }\n"
    "fn guarded(s, n) {\n"
    "    var r = 0;\n"
    "    try { r = len(fragile(n)); } catch (Exception e) { print(s); }\n"
    "    return r;\n"
    "}\n"
    "fn main(args) {\n"
    "    var n = len(args);\n"
    "    print(len(spills(\"abc\", \"def\", n)) + consume(args[0]) + guarded(\"g\", n));\n"
    "    print(wrap(\"w\").item);\n"
    "}\n";

START_TEST(references_live_after_a_collecting_call_are_spilled) {
    TestPipeline *pipeline = test_pipeline_transform(spilling);
    int spills = test_pipeline_func(pipeline, "spills");
    TestOpSite call = call_site(pipeline, "spills", "alloc");
    ck_assert(call.decision->collects);
    int a = test_pipeline_param(pipeline, spills, 0), b = test_pipeline_param(pipeline, spills, 1);
    int n = test_pipeline_param(pipeline, spills, 2);
    ck_assert_int_eq(pipeline->rtype->funcs[spills].reprs[a], RTYPE_REF);
    ck_assert_int_eq(pipeline->rtype->funcs[spills].reprs[b], RTYPE_REF);
    ck_assert(test_pipeline_spills(&call, a));  /* len(a) reads it after the call */
    ck_assert(!test_pipeline_spills(&call, b)); /* never read again */
    ck_assert(!test_pipeline_spills(&call, n)); /* an int: not a GC reference */
    ck_assert(!test_pipeline_spills(&call, call.op->result));
    ck_assert_int_eq(call.decision->spill_count, 1);
    /* the print collects too; then only the list is still needed */
    TestOpSite print = low_site(pipeline, "spills", RTYPE_OP_BUILTIN, 0);
    ck_assert(print.decision->collects);
    ck_assert_int_eq(print.decision->spill_count, 1);
    ck_assert(test_pipeline_spills(&print, call.op->result));
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(references_dead_after_a_collecting_call_are_not_spilled) {
    TestPipeline *pipeline = test_pipeline_transform(spilling);
    /* s is the operand of the concatenation and never read after it */
    TestOpSite concat = low_site(pipeline, "consume", RTYPE_OP_STR_CONCAT, 0);
    ck_assert(concat.decision->collects);
    ck_assert_int_eq(concat.decision->spill_count, 0);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(allocation_spills_the_arguments_it_reads_after) {
    TestPipeline *pipeline = test_pipeline_transform(spilling);
    /* init reads s after the instance is allocated */
    int wrap = test_pipeline_func(pipeline, "wrap");
    TestOpSite alloc = low_site(pipeline, "wrap", RTYPE_OP_NEW, 0);
    ck_assert(alloc.decision->collects);
    ck_assert(test_pipeline_spills(&alloc, test_pipeline_param(pipeline, wrap, 0)));
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(references_on_the_exception_link_are_spilled) {
    TestPipeline *pipeline = test_pipeline_transform(spilling);
    int guarded = test_pipeline_func(pipeline, "guarded");
    TestOpSite call = call_site(pipeline, "guarded", "fragile");
    /* s is only read by the handler: it reaches it through the exception link */
    const FlowBlock *block = &ann_func_graph(pipeline->annotator, guarded)->blocks[call.block];
    ck_assert_int_eq(block->exit_kind, FLOW_EXIT_RAISES);
    ck_assert_int_eq(call.index, block->op_count - 1);
    ck_assert(call.decision->raises);
    ck_assert(test_pipeline_spills(&call, test_pipeline_param(pipeline, guarded, 0)));
    ck_assert(!test_pipeline_spills(&call, test_pipeline_param(pipeline, guarded, 1)));
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(only_references_are_spilled) {
    TestPipeline *pipeline = test_pipeline_transform(spilling);
    const RtypeProgram *rtype = pipeline->rtype;
    int total = 0, collecting = 0;
    for (int func = 0; func < rtype->func_count; func++) {
        const RtypeFunc *info = &rtype->funcs[func];
        for (int block = 0; block < info->graph->block_count; block++) {
            if (!ann_block_reached(pipeline->annotator, func, block)) continue;
            for (int i = 0; i < info->graph->blocks[block].op_count; i++) {
                const TransformOp *decision = &pipeline->transform->ops[func][block][i];
                /* objects move only when the operation collects, or when
                 * it raises into a handler of this function */
                const FlowBlock *flow_block = &info->graph->blocks[block];
                bool caught = decision->raises && flow_block->exit_kind == FLOW_EXIT_RAISES &&
                              i == flow_block->op_count - 1;
                if (!decision->collects && !caught) ck_assert_int_eq(decision->spill_count, 0);
                collecting += decision->collects;
                for (int s = 0; s < decision->spill_count; s++)
                    ck_assert_int_eq(info->reprs[decision->spill[s]], RTYPE_REF);
                total += decision->spill_count;
            }
        }
    }
    ck_assert_int_gt(collecting, 0);
    ck_assert_int_gt(total, 0);
    ck_assert_int_eq(pipeline->transform->spilled_refs, total);
    test_pipeline_free(pipeline);
}
END_TEST

/* ---- write barriers ------------------------------------------------------- */

static const char stores[] =
    "class Box { var item; var count: int; }\n"
    "fn arith(a, b) { return a * b + 1; }\n"
    "fn fresh(s) { var b = new Box(); b.item = s; return b; }\n"
    "fn after_call(s) { var b = new Box(); var t = s + s; b.item = t; return b; }\n"
    "fn after_pure(s, n) { var b = new Box(); var k = arith(n, 2); b.item = s; b.count = k;\n"
    "    return b; }\n"
    "fn old(b, s) { b.item = s; }\n"
    "fn ints(b, n) { b.count = n; }\n"
    "fn fresh_list(s, t) { var xs = [s]; xs[0] = t; return xs; }\n"
    "fn old_list(xs, t) { xs[0] = t; }\n"
    "fn main(args) {\n"
    "    var n = len(args);\n"
    "    var s = \"s\" + str(n);\n"
    "    var b = fresh(s);\n"
    "    print(after_call(s).count + after_pure(s, n).count);\n"
    "    old(b, s); ints(b, n);\n"
    "    var xs = fresh_list(s, s);\n"
    "    old_list(xs, s);\n"
    "    print(len(xs));\n"
    "}\n";

START_TEST(young_objects_need_no_barrier) {
    TestPipeline *pipeline = test_pipeline_transform(stores);
    ck_assert(!low_site(pipeline, "fresh", RTYPE_OP_SETFIELD, 0).decision->barrier);
    /* a call that cannot collect keeps the object young */
    ck_assert(!call_site(pipeline, "after_pure", "arith").decision->collects);
    ck_assert(!low_site(pipeline, "after_pure", RTYPE_OP_SETFIELD, 0).decision->barrier);
    ck_assert(!low_site(pipeline, "fresh_list", RTYPE_OP_LIST_SETITEM, 0).decision->barrier);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(stores_after_a_collection_need_a_barrier) {
    TestPipeline *pipeline = test_pipeline_transform(stores);
    ck_assert(low_site(pipeline, "after_call", RTYPE_OP_STR_CONCAT, 0).decision->collects);
    ck_assert(low_site(pipeline, "after_call", RTYPE_OP_SETFIELD, 0).decision->barrier);
    /* an object from elsewhere may be old */
    ck_assert(low_site(pipeline, "old", RTYPE_OP_SETFIELD, 0).decision->barrier);
    ck_assert(low_site(pipeline, "old_list", RTYPE_OP_LIST_SETITEM, 0).decision->barrier);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(int_stores_need_no_barrier) {
    TestPipeline *pipeline = test_pipeline_transform(stores);
    ck_assert(!low_site(pipeline, "ints", RTYPE_OP_SETFIELD, 0).decision->barrier);
    ck_assert(!low_site(pipeline, "after_pure", RTYPE_OP_SETFIELD, 1).decision->barrier);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(barrier_counters_agree) {
    TestPipeline *pipeline = test_pipeline_transform(stores);
    const RtypeProgram *rtype = pipeline->rtype;
    int barriers = 0;
    for (int func = 0; func < rtype->func_count; func++)
        for (int block = 0; block < rtype->funcs[func].graph->block_count; block++)
            for (int i = 0; i < rtype->funcs[func].graph->blocks[block].op_count; i++)
                barriers += pipeline->transform->ops[func][block][i].barrier;
    /* after_call, old and old_list keep theirs; fresh, after_pure and
     * fresh_list store references into young objects */
    ck_assert_int_eq(barriers, 3);
    ck_assert_int_eq(pipeline->transform->barriers, 3);
    ck_assert_int_eq(pipeline->transform->barriers_removed, 3);
    test_pipeline_free(pipeline);
}
END_TEST

/* ---- the dump ------------------------------------------------------------- */

static void assert_has_line(const char *text, const char *line) {
    /* opcode names may be printed in either case */
    size_t length = strlen(line);
    for (const char *start = text; *start;) {
        const char *end = strchr(start, '\n');
        size_t size = end ? (size_t)(end - start) : strlen(start);
        if (size == length && strncasecmp(start, line, length) == 0) return;
        if (!end) break;
        start = end + 1;
    }
    ck_abort_msg("no line \"%s\" in:\n%s", line, text);
}

START_TEST(dump_shows_decisions) {
    TestPipeline *pipeline =
        test_pipeline_transform("class Box { var item; }\n"
                                "fn keep(s) { var b = new Box(); var t = s + s;\n"
                                "    b.item = t; return len(s); }\n"
                                "fn main(args) { print(keep(args[0])); }\n");
    char *text = test_pipeline_transform_dump(pipeline);
    int keep = test_pipeline_func(pipeline, "keep");
    char expected[256];
    snprintf(expected, sizeof expected, "func k%d_keep collects", keep);
    assert_has_line(text, expected);
    /* v0 is s, v1 the box: s is read after both allocations, the box after the concatenation */
    assert_has_line(text, "  block 0 op 0 new: collects spill v0");
    assert_has_line(text, "  block 0 op 1 str_concat: collects spill v0 v1");
    assert_has_line(text, "  block 0 op 2 setfield: barrier");
    assert_has_line(text, "  block 0 op 3 len:");
    snprintf(expected, sizeof expected,
             "spilled references: %d; write barriers: 1, removed on young objects: 0",
             pipeline->transform->spilled_refs);
    assert_has_line(text, expected);
    free(text);
    test_pipeline_free(pipeline);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("transform");
    TCase *collects = tcase_create("collects");
    tcase_add_test(collects, allocating_operations_collect);
    tcase_add_test(collects, calls_collect_when_the_callee_can);
    tcase_add_test(collects, fixpoint_over_chains_and_recursion);
    tcase_add_test(collects, virtual_call_collects_when_an_override_can);
    tcase_add_test(collects, extern_call_neither_raises_nor_collects);
    suite_add_tcase(suite, collects);
    TCase *raises = tcase_create("raises");
    tcase_add_test(raises, raising_operations_and_functions);
    tcase_add_test(raises, raising_alone_collects_only_where_caught);
    tcase_add_test(raises, new_raises_when_its_init_can);
    tcase_add_test(raises, unreached_throw_does_not_raise);
    suite_add_tcase(suite, raises);
    TCase *spills = tcase_create("spills");
    tcase_add_test(spills, references_live_after_a_collecting_call_are_spilled);
    tcase_add_test(spills, references_dead_after_a_collecting_call_are_not_spilled);
    tcase_add_test(spills, allocation_spills_the_arguments_it_reads_after);
    tcase_add_test(spills, references_on_the_exception_link_are_spilled);
    tcase_add_test(spills, only_references_are_spilled);
    suite_add_tcase(suite, spills);
    TCase *barriers = tcase_create("barriers");
    tcase_add_test(barriers, young_objects_need_no_barrier);
    tcase_add_test(barriers, stores_after_a_collection_need_a_barrier);
    tcase_add_test(barriers, int_stores_need_no_barrier);
    tcase_add_test(barriers, barrier_counters_agree);
    suite_add_tcase(suite, barriers);
    TCase *output = tcase_create("output");
    tcase_add_test(output, dump_shows_decisions);
    suite_add_tcase(suite, output);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
