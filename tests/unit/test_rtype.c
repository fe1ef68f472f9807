/* test_rtype.c - rtype on small programs built from Kiln C text: the
 * representation of each variable, the low-level opcode each operation
 * lowers to, the GC types (class ids, sizes, tuple shapes, vtables), the
 * dump, and the diagnostics for what the C backend cannot translate. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "test_pipeline_support.h"

/* The annotated function a low-level call reaches, by graph name. */
static const char *callee_name(const TestPipeline *pipeline, const RtypeOp *low) {
    ck_assert_int_ge(low->callee, 0);
    return ann_func_graph(pipeline->annotator, low->callee)->name;
}

static const RtypeClass *class_info(const TestPipeline *pipeline, const char *name) {
    return &pipeline->rtype->classes[test_pipeline_class(pipeline, name)];
}

/* ---- representations ------------------------------------------------------ */

START_TEST(repr_of_each_annotation) {
    TestPipeline *pipeline = test_pipeline_annotate("fn main() { }");
    Annotator *annotator = pipeline->annotator;
    ck_assert_int_eq(rtype_repr_of(ann_simple(annotator, ANN_INT)), RTYPE_INT);
    ck_assert_int_eq(rtype_repr_of(ann_simple(annotator, ANN_BOOL)), RTYPE_INT);
    ck_assert_int_eq(rtype_repr_of(ann_simple(annotator, ANN_CHAR)), RTYPE_INT);
    ck_assert_int_eq(rtype_repr_of(ann_simple(annotator, ANN_THREAD)), RTYPE_INT);
    ck_assert_int_eq(rtype_repr_of(ann_const_int(annotator, ANN_INT, 7)), RTYPE_INT);
    ck_assert_int_eq(rtype_repr_of(ann_simple(annotator, ANN_FLOAT)), RTYPE_FLOAT);
    ck_assert_int_eq(rtype_repr_of(ann_simple(annotator, ANN_STR)), RTYPE_REF);
    ck_assert_int_eq(rtype_repr_of(ann_simple(annotator, ANN_BUILDER)), RTYPE_REF);
    ck_assert_int_eq(rtype_repr_of(ann_simple(annotator, ANN_VOID)), RTYPE_VOID);
    SrcPos none = {0};
    ck_assert_int_eq(rtype_repr_of(ann_new_list(annotator, ann_simple(annotator, ANN_INT), none)),
                     RTYPE_REF);
    ck_assert_int_eq(rtype_repr_of(ann_instance(annotator, pipeline->flow->exception_class, true)),
                     RTYPE_REF);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(repr_of_parameters_and_results) {
    TestPipeline *pipeline = test_pipeline_rtype(
        "class Point { var x; }\n"
        "fn take(i, f, b, c, s, xs, p, d, t) { return i; }\n"
        "fn half(x) { return x / 2.0; }\n"
        "fn name(n) { return \"n\" + str(n); }\n"
        "fn nothing(n) { print(n); }\n"
        "fn main(args) {\n"
        "    var p = new Point();\n"
        "    print(take(len(args), 2.5, true, 'c', \"s\", [1], p, {1: 2}, (1, 2)));\n"
        "    print(half(3.0)); print(name(4)); nothing(5);\n"
        "}\n");
    int take = test_pipeline_func(pipeline, "take");
    const RtypeFunc *info = &pipeline->rtype->funcs[take];
    RtypeRepr expected[] = {RTYPE_INT, RTYPE_FLOAT, RTYPE_INT, RTYPE_INT, RTYPE_REF,
                            RTYPE_REF, RTYPE_REF,   RTYPE_REF, RTYPE_REF};
    for (int i = 0; i < 9; i++)
        ck_assert_msg(info->reprs[test_pipeline_param(pipeline, take, i)] == expected[i],
                      "parameter %d has representation %d", i,
                      info->reprs[test_pipeline_param(pipeline, take, i)]);
    ck_assert_int_eq(info->result, RTYPE_INT);
    ck_assert_ptr_eq(info->graph, test_pipeline_graph(pipeline, "take"));
    ck_assert_int_eq(pipeline->rtype->funcs[test_pipeline_func(pipeline, "half")].result,
                     RTYPE_FLOAT);
    ck_assert_int_eq(pipeline->rtype->funcs[test_pipeline_func(pipeline, "name")].result,
                     RTYPE_REF);
    ck_assert_int_eq(pipeline->rtype->funcs[test_pipeline_func(pipeline, "nothing")].result,
                     RTYPE_VOID);
    ck_assert_int_eq(pipeline->rtype->main_func, test_pipeline_func(pipeline, "main"));
    /* C names are unique per copy, name their function, and are C identifiers */
    ck_assert_ptr_nonnull(strstr(info->c_name, "take"));
    for (int func = 0; func < pipeline->rtype->func_count; func++) {
        const char *c_name = pipeline->rtype->funcs[func].c_name;
        ck_assert_ptr_null(strchr(c_name, '.'));
        for (int other = 0; other < func; other++)
            ck_assert_str_ne(pipeline->rtype->funcs[other].c_name, c_name);
    }
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(specialized_copies_have_their_own_results) {
    TestPipeline *pipeline = test_pipeline_rtype("@specialize fn first(xs) { return xs[0]; }\n"
                                                 "fn main() {\n"
                                                 "    print(first([1]));\n"
                                                 "    print(first([\"a\"]));\n"
                                                 "}\n");
    int main_func = test_pipeline_func(pipeline, "main");
    TestOpSite ints = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL, 0);
    TestOpSite strs = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL, 1);
    ck_assert_int_eq(ints.low->opcode, RTYPE_OP_CALL_DIRECT);
    ck_assert_int_eq(strs.low->opcode, RTYPE_OP_CALL_DIRECT);
    ck_assert_str_eq(callee_name(pipeline, ints.low), "first");
    ck_assert_str_eq(callee_name(pipeline, strs.low), "first");
    ck_assert_int_ne(ints.low->callee, strs.low->callee);
    ck_assert_int_eq(pipeline->rtype->funcs[ints.low->callee].result, RTYPE_INT);
    ck_assert_int_eq(pipeline->rtype->funcs[strs.low->callee].result, RTYPE_REF);
    ck_assert_str_ne(pipeline->rtype->funcs[ints.low->callee].c_name,
                     pipeline->rtype->funcs[strs.low->callee].c_name);
    /* each copy lowers its xs[0] for its own item type */
    TestOpSite get = test_pipeline_flow_op(pipeline, strs.low->callee, FLOW_OP_GETITEM, 0);
    ck_assert_int_eq(get.low->opcode, RTYPE_OP_LIST_GETITEM);
    ck_assert_int_eq(pipeline->rtype->funcs[strs.low->callee].reprs[get.op->result], RTYPE_REF);
    test_pipeline_free(pipeline);
}
END_TEST

/* ---- operators ------------------------------------------------------------ */

/* The low-level operation of the first flow operation `opcode` in the copy
 * of `name` whose parameter 0 has annotation kind `kind`. */
static const RtypeOp *lowered(const TestPipeline *pipeline, const char *name, AnnKind kind,
                              FlowOpcode opcode) {
    const FlowGraph *graph = test_pipeline_graph(pipeline, name);
    for (int func = 0; func < ann_func_count(pipeline->annotator); func++) {
        if (ann_func_graph(pipeline->annotator, func) != graph) continue;
        if (ann_var(pipeline->annotator, func, test_pipeline_param(pipeline, func, 0))->kind !=
            kind)
            continue;
        return test_pipeline_flow_op(pipeline, func, opcode, 0).low;
    }
    ck_abort_msg("no copy of %s takes kind %d", name, kind);
    return NULL;
}

START_TEST(arithmetic_lowers_by_operand_type) {
    /* plain functions called with several types are a type error: the
     * helpers called with more than one are @specialize'd, one copy each */
    TestPipeline *pipeline = test_pipeline_rtype(
        "@specialize fn add(a, b) { return a + b; }\n"
        "@specialize fn divide(a, b) { return a / b; }\n"
        "fn modulo(a, b) { return a % b; }\n"
        "fn shift(a, b) { return a << b; }\n"
        "@specialize fn negate(a) { return -a; }\n"
        "fn main(args) {\n"
        "    var n = len(args);\n"
        "    print(add(n, 2)); print(add(1.5, 2.5)); print(add(\"a\", \"b\"));\n"
        "    print(divide(7, n + 1)); print(divide(1.0, 0.0)); print(modulo(7, n + 2));\n"
        "    print(shift(1, n)); print(negate(n)); print(negate(2.5));\n"
        "}\n");
    const RtypeOp *low = lowered(pipeline, "add", ANN_INT, FLOW_OP_ADD);
    ck_assert_int_eq(low->opcode, RTYPE_OP_INT_BINARY);
    ck_assert(!low->raises); /* int arithmetic wraps */
    low = lowered(pipeline, "add", ANN_FLOAT, FLOW_OP_ADD);
    ck_assert_int_eq(low->opcode, RTYPE_OP_FLOAT_BINARY);
    ck_assert(!low->raises);
    low = lowered(pipeline, "add", ANN_STR, FLOW_OP_ADD);
    ck_assert_int_eq(low->opcode, RTYPE_OP_STR_CONCAT);
    ck_assert(rtype_op_info[low->opcode].collects);
    low = lowered(pipeline, "divide", ANN_INT, FLOW_OP_DIV);
    ck_assert_int_eq(low->opcode, RTYPE_OP_INT_DIVMOD);
    ck_assert(low->raises); /* ZeroDivisionError */
    low = lowered(pipeline, "divide", ANN_FLOAT, FLOW_OP_DIV);
    ck_assert_int_eq(low->opcode, RTYPE_OP_FLOAT_BINARY);
    ck_assert(!low->raises); /* IEEE: inf and nan, no exception */
    low = lowered(pipeline, "modulo", ANN_INT, FLOW_OP_MOD);
    ck_assert_int_eq(low->opcode, RTYPE_OP_INT_DIVMOD);
    ck_assert(low->raises);
    low = lowered(pipeline, "shift", ANN_INT, FLOW_OP_LSHIFT);
    ck_assert_int_eq(low->opcode, RTYPE_OP_INT_SHIFT);
    ck_assert(low->raises); /* ValueError on a negative count */
    ck_assert_int_eq(lowered(pipeline, "negate", ANN_INT, FLOW_OP_NEG)->opcode, RTYPE_OP_INT_UNARY);
    ck_assert_int_eq(lowered(pipeline, "negate", ANN_FLOAT, FLOW_OP_NEG)->opcode,
                     RTYPE_OP_FLOAT_UNARY);
    ck_assert(!rtype_op_info[RTYPE_OP_INT_BINARY].collects);
    ck_assert(!rtype_op_info[RTYPE_OP_INT_DIVMOD].collects);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(comparisons_lower_by_operand_type) {
    TestPipeline *pipeline = test_pipeline_rtype(
        "class Cell { }\n"
        "@specialize fn less(a, b) { return a < b; }\n"
        "@specialize fn same(a, b) { return a == b; }\n"
        "fn main(args) {\n"
        "    var n = len(args);\n"
        "    print(less(n, 3)); print(less(\"a\", \"b\")); print(less(1.5, 2.0));\n"
        "    print(same(n, 1)); print(same(\"a\", \"b\")); print(same(new Cell(), new Cell()));\n"
        "    print(same((1, \"a\"), (n, \"b\")));\n"
        "}\n");
    ck_assert_int_eq(lowered(pipeline, "less", ANN_INT, FLOW_OP_LT)->opcode, RTYPE_OP_INT_BINARY);
    ck_assert_int_eq(lowered(pipeline, "less", ANN_STR, FLOW_OP_LT)->opcode, RTYPE_OP_STR_CMP);
    ck_assert_int_eq(lowered(pipeline, "less", ANN_FLOAT, FLOW_OP_LT)->opcode,
                     RTYPE_OP_FLOAT_BINARY);
    ck_assert_int_eq(lowered(pipeline, "same", ANN_INT, FLOW_OP_EQ)->opcode, RTYPE_OP_INT_BINARY);
    ck_assert_int_eq(lowered(pipeline, "same", ANN_STR, FLOW_OP_EQ)->opcode, RTYPE_OP_STR_EQ);
    ck_assert_int_eq(lowered(pipeline, "same", ANN_INSTANCE, FLOW_OP_EQ)->opcode, RTYPE_OP_REF_EQ);
    const RtypeOp *tuples = lowered(pipeline, "same", ANN_TUPLE, FLOW_OP_EQ);
    ck_assert_int_eq(tuples->opcode, RTYPE_OP_VAL_EQ);
    /* tuples compare by value through a descriptor of their items */
    ck_assert_int_ge(tuples->valtype, 0);
    const RtypeValType *valtype = &pipeline->rtype->valtypes.items[tuples->valtype];
    ck_assert_str_eq(valtype->key, "(int, str)");
    ck_assert_int_eq(valtype->count, 2);
    ck_assert_str_eq(pipeline->rtype->valtypes.items[valtype->items[0]].key, "int");
    ck_assert_str_eq(pipeline->rtype->valtypes.items[valtype->items[1]].key, "str");
    /* children come before their parents */
    ck_assert_int_lt(valtype->items[1], tuples->valtype);
    test_pipeline_free(pipeline);
}
END_TEST

/* ---- items and built-in methods ------------------------------------------- */

START_TEST(items_lower_by_container) {
    TestPipeline *pipeline = test_pipeline_rtype("fn main(args) {\n"
                                                 "    var i = len(args);\n"
                                                 "    var xs = [1, 2];\n"
                                                 "    var s = \"abc\";\n"
                                                 "    var d = {\"a\": 1};\n"
                                                 "    var t = (1, \"x\");\n"
                                                 "    print(xs[i]);\n"
                                                 "    print(s[i]);\n"
                                                 "    print(d[\"a\"]);\n"
                                                 "    print(t[1]);\n"
                                                 "    xs.append(3);\n"
                                                 "    xs[0] = 5;\n"
                                                 "    d[\"b\"] = 2;\n"
                                                 "    print(xs.pop());\n"
                                                 "    print(len(xs));\n"
                                                 "}\n");
    int main_func = test_pipeline_func(pipeline, "main");
    const RtypeProgram *rtype = pipeline->rtype;
    const RtypeOp *list_get = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETITEM, 0).low;
    ck_assert_int_eq(list_get->opcode, RTYPE_OP_LIST_GETITEM);
    ck_assert(list_get->raises); /* IndexError */
    ck_assert(!list_get->nullable);
    const RtypeOp *str_get = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETITEM, 1).low;
    ck_assert_int_eq(str_get->opcode, RTYPE_OP_STR_GETITEM);
    ck_assert(str_get->raises);
    const RtypeOp *dict_get = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETITEM, 2).low;
    ck_assert_int_eq(dict_get->opcode, RTYPE_OP_DICT_GETITEM);
    ck_assert(dict_get->raises); /* KeyError */
    ck_assert_int_ge(dict_get->valtype, 0);
    ck_assert_str_eq(rtype->valtypes.items[dict_get->valtype].key, "str");
    const RtypeOp *tuple_get = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETITEM, 3).low;
    ck_assert_int_eq(tuple_get->opcode, RTYPE_OP_TUPLE_GETITEM);
    ck_assert_int_eq(tuple_get->field, 1);
    ck_assert(!tuple_get->raises);
    const RtypeOp *append = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL_METHOD, 0).low;
    ck_assert_int_eq(append->opcode, RTYPE_OP_LIST_APPEND);
    ck_assert(!append->raises);
    ck_assert_str_eq(rtype->valtypes.items[append->valtype].key, "int");
    const RtypeOp *pop = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL_METHOD, 1).low;
    ck_assert_int_eq(pop->opcode, RTYPE_OP_CALL_RTLIB);
    ck_assert(pop->raises); /* pop of an empty list */
    const RtypeOp *list_set = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_SETITEM, 0).low;
    ck_assert_int_eq(list_set->opcode, RTYPE_OP_LIST_SETITEM);
    ck_assert(list_set->raises);
    const RtypeOp *dict_set = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_SETITEM, 1).low;
    ck_assert_int_eq(dict_set->opcode, RTYPE_OP_DICT_SETITEM);
    ck_assert(!dict_set->raises); /* str keys hash, and the dict is not null */
    const RtypeOp *length = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL_BUILTIN, 0).low;
    ck_assert_int_eq(length->opcode, RTYPE_OP_LEN);
    ck_assert(!length->raises);
    ck_assert_int_eq(test_pipeline_count_low(pipeline, main_func, RTYPE_OP_LEN), 2);
    ck_assert_int_eq(test_pipeline_count_low(pipeline, main_func, RTYPE_OP_NEWLIST), 1);
    ck_assert_int_eq(test_pipeline_count_low(pipeline, main_func, RTYPE_OP_NEWDICT), 1);
    ck_assert_int_eq(test_pipeline_count_low(pipeline, main_func, RTYPE_OP_NEWTUPLE), 1);
    test_pipeline_free(pipeline);
}
END_TEST

/* ---- classes, methods and fields ----------------------------------------- */

static const char shapes[] = "class Shape {\n"
                             "    var label: str;\n"
                             "    fn area() { return 0; }\n"
                             "    fn name() { return \"shape\"; }\n"
                             "}\n"
                             "class Square : Shape {\n"
                             "    var side;\n"
                             "    fn init(s) { this.side = s; }\n"
                             "    fn area() { return this.side * this.side; }\n"
                             "}\n"
                             "class Circle : Shape {\n"
                             "    var radius;\n"
                             "    fn init(r) { this.radius = r; }\n"
                             "    fn area() { return 3 * this.radius * this.radius; }\n"
                             "}\n"
                             "class Blob : Shape { }\n"
                             "fn pick(n) {\n"
                             "    if (n > 2) return new Square(n);\n"
                             "    if (n > 1) return new Blob();\n"
                             "    return new Circle(n);\n"
                             "}\n"
                             "fn main(args) {\n"
                             "    var s = pick(len(args));\n"
                             "    print(s.area());\n"
                             "    print(s.name());\n"
                             "    var q = new Square(2);\n"
                             "    print(q.area());\n"
                             "}\n";

START_TEST(overridden_method_is_virtual) {
    TestPipeline *pipeline = test_pipeline_rtype(shapes);
    int main_func = test_pipeline_func(pipeline, "main");
    TestOpSite area = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL_METHOD, 0);
    ck_assert_str_eq(area.op->name, "area");
    ck_assert_int_eq(area.low->opcode, RTYPE_OP_CALL_VIRTUAL);
    ck_assert(area.low->raises);
    ck_assert(!area.low->nullable); /* pick never returns null */
    ck_assert_int_ge(area.low->vtable, 0);
    ck_assert_int_lt(area.low->vtable, pipeline->rtype->vtables.count);
    const RtypeVtable *vtable = &pipeline->rtype->vtables.items[area.low->vtable];
    const RtypeClass *shape = class_info(pipeline, "Shape");
    ck_assert_str_eq(vtable->name, "area");
    ck_assert_int_eq(vtable->first_type, shape->type_id);
    ck_assert_int_eq(vtable->last_type, shape->last_type_id);
    /* each type id of the range maps to the method its class runs */
    const char *classes[] = {"Shape", "Square", "Circle", "Blob"};
    const char *methods[] = {"Shape.area", "Square.area", "Circle.area", "Shape.area"};
    for (int i = 0; i < 4; i++) {
        int type_id = class_info(pipeline, classes[i])->type_id;
        int func = vtable->funcs[type_id - vtable->first_type];
        ck_assert_msg(func == test_pipeline_func(pipeline, methods[i]),
                      "type %d (%s) runs function %d", type_id, classes[i], func);
    }
    /* the receiver is a Shape: the static callee is Shape.area */
    ck_assert_str_eq(callee_name(pipeline, area.low), "Shape.area");
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(method_nobody_overrides_is_direct) {
    TestPipeline *pipeline = test_pipeline_rtype(shapes);
    int main_func = test_pipeline_func(pipeline, "main");
    TestOpSite name = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL_METHOD, 1);
    ck_assert_str_eq(name.op->name, "name");
    ck_assert_int_eq(name.low->opcode, RTYPE_OP_CALL_DIRECT);
    ck_assert_str_eq(callee_name(pipeline, name.low), "Shape.name");
    /* a receiver whose class has no subclass: its own override, directly */
    TestOpSite square = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL_METHOD, 2);
    ck_assert_str_eq(square.op->name, "area");
    ck_assert_int_eq(square.low->opcode, RTYPE_OP_CALL_DIRECT);
    ck_assert_str_eq(callee_name(pipeline, square.low), "Square.area");
    ck_assert(!square.low->nullable);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(new_gets_type_id_and_init) {
    TestPipeline *pipeline = test_pipeline_rtype(shapes);
    int pick = test_pipeline_func(pipeline, "pick");
    TestOpSite square = test_pipeline_flow_op(pipeline, pick, FLOW_OP_NEW, 0);
    ck_assert_int_eq(square.low->opcode, RTYPE_OP_NEW);
    ck_assert_int_eq(square.low->type_id, class_info(pipeline, "Square")->type_id);
    ck_assert_str_eq(callee_name(pipeline, square.low), "Square.init");
    TestOpSite blob = test_pipeline_flow_op(pipeline, pick, FLOW_OP_NEW, 1);
    ck_assert_int_eq(blob.low->opcode, RTYPE_OP_NEW);
    ck_assert_int_eq(blob.low->type_id, class_info(pipeline, "Blob")->type_id);
    ck_assert_int_eq(blob.low->callee, -1); /* no init anywhere up the chain */
    ck_assert(!blob.low->raises);
    TestOpSite circle = test_pipeline_flow_op(pipeline, pick, FLOW_OP_NEW, 2);
    ck_assert_int_eq(circle.low->type_id, class_info(pipeline, "Circle")->type_id);
    ck_assert_str_eq(callee_name(pipeline, circle.low), "Circle.init");
    ck_assert(rtype_op_info[RTYPE_OP_NEW].collects);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(fields_have_word_indices) {
    TestPipeline *pipeline = test_pipeline_rtype(shapes);
    /* Square's fields: label (inherited, first), then side */
    int square_area = test_pipeline_func(pipeline, "Square.area");
    TestOpSite side = test_pipeline_flow_op(pipeline, square_area, FLOW_OP_GETATTR, 0);
    ck_assert_int_eq(side.low->opcode, RTYPE_OP_GETFIELD);
    ck_assert_int_eq(side.low->field, 1);
    ck_assert_int_eq(
        side.low->field,
        flow_class_find_field(pipeline->flow, test_pipeline_class(pipeline, "Square"), "side"));
    ck_assert(!side.low->nullable); /* `this` is never null */
    int circle_init = test_pipeline_func(pipeline, "Circle.init");
    TestOpSite radius = test_pipeline_flow_op(pipeline, circle_init, FLOW_OP_SETATTR, 0);
    ck_assert_int_eq(radius.low->opcode, RTYPE_OP_SETFIELD);
    ck_assert_int_eq(radius.low->field, 1);
    ck_assert(!radius.low->raises);
    /* words count from the header (word 0): an inherited field keeps its word */
    const RtypeClass *shape = class_info(pipeline, "Shape");
    const RtypeClass *square = class_info(pipeline, "Square");
    ck_assert_int_eq(shape->fields[0].word, 1);
    ck_assert_int_eq(square->fields[0].word, 1);
    ck_assert_int_eq(square->fields[1].word, 2);
    ck_assert_int_eq(class_info(pipeline, "Circle")->fields[1].word, 2);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(nullable_receivers_are_flagged) {
    TestPipeline *pipeline = test_pipeline_rtype("class Node {\n"
                                                 "    var value: int;\n"
                                                 "    fn init(v) { this.value = v; }\n"
                                                 "    fn get() { return this.value; }\n"
                                                 "}\n"
                                                 "fn maybe(n) { return n.value; }\n"
                                                 "fn surely(n) { return n.value; }\n"
                                                 "fn call(n) { return n.get(); }\n"
                                                 "fn main(args) {\n"
                                                 "    var node = new Node(1);\n"
                                                 "    var none = len(args) > 5 ? node : null;\n"
                                                 "    print(maybe(none));\n"
                                                 "    print(maybe(node));\n"
                                                 "    print(surely(node));\n"
                                                 "    print(call(none));\n"
                                                 "}\n");
    TestOpSite maybe =
        test_pipeline_flow_op(pipeline, test_pipeline_func(pipeline, "maybe"), FLOW_OP_GETATTR, 0);
    ck_assert_int_eq(maybe.low->opcode, RTYPE_OP_GETFIELD);
    ck_assert(maybe.low->nullable);
    ck_assert(maybe.low->raises); /* NullError */
    TestOpSite surely =
        test_pipeline_flow_op(pipeline, test_pipeline_func(pipeline, "surely"), FLOW_OP_GETATTR, 0);
    ck_assert(!surely.low->nullable);
    ck_assert(!surely.low->raises); /* an annotated int field always holds a value */
    TestOpSite call = test_pipeline_flow_op(pipeline, test_pipeline_func(pipeline, "call"),
                                            FLOW_OP_CALL_METHOD, 0);
    ck_assert_int_eq(call.low->opcode, RTYPE_OP_CALL_DIRECT);
    ck_assert(call.low->nullable);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(unannotated_fields_raise_when_read_unset) {
    /* language.md: a field without an annotation holds no value until it is
     * assigned; reading it first raises NullError, whatever its type */
    TestPipeline *pipeline = test_pipeline_rtype(
        "class Counter {\n"
        "    var count;\n"
        "    var label;\n"
        "    var total: int;\n"
        "    fn fill() { this.count = 1; this.label = \"l\"; this.total = 2; }\n"
        "}\n"
        "fn main(args) {\n"
        "    var c = new Counter();\n"
        "    if (len(args) > 3) c.fill();\n"
        "    print(c.count);\n"
        "    print(c.label);\n"
        "    print(c.total);\n"
        "}\n");
    int main_func = test_pipeline_func(pipeline, "main");
    const RtypeOp *count = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETATTR, 0).low;
    const RtypeOp *label = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETATTR, 1).low;
    const RtypeOp *total = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETATTR, 2).low;
    ck_assert_int_eq(count->opcode, RTYPE_OP_GETFIELD);
    ck_assert_int_eq(label->opcode, RTYPE_OP_GETFIELD);
    ck_assert_int_eq(total->opcode, RTYPE_OP_GETFIELD);
    ck_assert(!count->nullable && !label->nullable && !total->nullable);
    ck_assert(count->raises);
    ck_assert(label->raises);
    ck_assert(!total->raises);
    /* the int has no null to mark "no value yet": it has an "assigned" bit
     * in a word after the fields */
    const RtypeClass *counter = class_info(pipeline, "Counter");
    ck_assert_int_eq(counter->fields[0].assigned_word, 4);
    ck_assert_int_eq(counter->fields[1].assigned_word, -1);
    ck_assert_int_eq(counter->fields[2].assigned_word, -1);
    ck_assert_int_eq(counter->words, 5);
    ck_assert_int_eq(counter->size, 40);
    /* stores are plain: the store sets the bit, it cannot fail */
    int fill = test_pipeline_func(pipeline, "Counter.fill");
    ck_assert(!test_pipeline_flow_op(pipeline, fill, FLOW_OP_SETATTR, 0).low->raises);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(fields_every_init_assigns_first_need_no_check) {
    /* Tape.cells and Tape.pos are assigned at the top of init, before
     * `this` goes anywhere; Leaky.seen only after init may pass `this` to
     * a function that reads it; Sub inherits Base.count but its own init
     * never assigns it, so no read of count may skip the check */
    TestPipeline *pipeline = test_pipeline_rtype(
        "class Tape { var cells; var pos; fn init() { this.cells = [0]; this.pos = 0; } }\n"
        "fn peek(l) { return l.seen; }\n"
        "class Leaky { var seen; fn init(show) { if (show) print(peek(this)); this.seen = 1; } }\n"
        "class Base { var count; fn init() { this.count = 1; } }\n"
        "class Sub : Base { fn init() { print(0); } }\n"
        "fn main() {\n"
        "    var t = new Tape();\n"
        "    print(t.cells[t.pos]);\n"
        "    print(new Leaky(false).seen);\n"
        "    var b = new Base();\n"
        "    print(b.count);\n"
        "    print(new Sub().count);\n"
        "}\n");
    const RtypeClass *tape = class_info(pipeline, "Tape");
    ck_assert(tape->fields[0].set_by_init);
    ck_assert(tape->fields[1].set_by_init);
    ck_assert(!class_info(pipeline, "Leaky")->fields[0].set_by_init);
    ck_assert(!class_info(pipeline, "Base")->fields[0].set_by_init);
    ck_assert(!class_info(pipeline, "Sub")->fields[0].set_by_init);
    int main_func = test_pipeline_func(pipeline, "main");
    /* t.cells and t.pos: no check, so no raise */
    ck_assert(!test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETATTR, 0).low->raises);
    ck_assert(!test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETATTR, 1).low->raises);
    ck_assert(test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETATTR, 2).low->raises);
    ck_assert(test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETATTR, 3).low->raises);
    ck_assert(test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETATTR, 4).low->raises);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(never_assigned_field_read_raises) {
    /* No path assigns n, so the annotator stops flowing at the read; the
     * read still runs and raises NullError, which the catch handles. */
    TestPipeline *pipeline =
        test_pipeline_rtype("class Cell { var n; }\n"
                            "fn main() {\n"
                            "    var c = new Cell();\n"
                            "    try { print(c.n); } catch (NullError e) { print(\"caught\"); }\n"
                            "}\n");
    int main_func = test_pipeline_func(pipeline, "main");
    TestOpSite read = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETATTR, 0);
    ck_assert_int_eq(pipeline->rtype->funcs[main_func].reprs[read.op->args[0].index], RTYPE_REF);
    ck_assert_msg(read.low->opcode != RTYPE_OP_UNREACHABLE && read.low->raises,
                  "the read lowers to %s", rtype_op_info[read.low->opcode].name);
    /* the handler is reached, through the NullError test */
    const RtypeOp *handler = test_pipeline_low_op(pipeline, main_func, RTYPE_OP_IS_INSTANCE, 0).low;
    ck_assert_int_eq(handler->type_id, class_info(pipeline, "NullError")->type_id);
    ck_assert_int_eq(test_pipeline_count_low(pipeline, main_func, RTYPE_OP_BUILTIN), 1);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(local_read_before_assignment_raises) {
    TestPipeline *pipeline = test_pipeline_rtype("fn main() {\n"
                                                 "    var x;\n"
                                                 "    print(1);\n"
                                                 "    print(x);\n"
                                                 "    print(2);\n"
                                                 "}\n");
    int main_func = test_pipeline_func(pipeline, "main");
    const RtypeOp *before = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL_BUILTIN, 0).low;
    ck_assert_int_eq(before->opcode, RTYPE_OP_BUILTIN);
    /* the read raises NullError naming x, its argument 0 */
    const RtypeOp *read = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL_BUILTIN, 1).low;
    ck_assert_int_eq(read->opcode, RTYPE_OP_RAISE_UNSET);
    ck_assert(read->raises);
    ck_assert_int_eq(read->field, 0);
    /* what follows never runs */
    const RtypeOp *after = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL_BUILTIN, 2).low;
    ck_assert_int_eq(after->opcode, RTYPE_OP_NOP);
    ck_assert(!after->raises);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(extern_calls_are_direct_c_calls) {
    TestPipeline *pipeline =
        test_pipeline_rtype("extern fn c_abs(x: int) -> int = \"labs\";\n"
                            "extern fn c_floor(x: float) -> float = \"floor\";\n"
                            "fn main(args) {\n"
                            "    print(c_abs(-len(args)));\n"
                            "    print(c_floor(2.5));\n"
                            "}\n");
    int main_func = test_pipeline_func(pipeline, "main");
    const FlowGraph *c_abs = test_pipeline_graph(pipeline, "c_abs");
    const RtypeOp *call = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL, 0).low;
    ck_assert_int_eq(call->opcode, RTYPE_OP_CALL_EXTERN);
    ck_assert_int_eq(call->callee, c_abs->index);
    ck_assert(!call->raises);
    ck_assert(!rtype_op_info[RTYPE_OP_CALL_EXTERN].collects);
    ck_assert_int_eq(rtype_extern_repr(c_abs->decl->params[0].type, false), RTYPE_INT);
    ck_assert_int_eq(rtype_extern_repr(c_abs->decl->result, true), RTYPE_INT);
    const FlowGraph *c_floor = test_pipeline_graph(pipeline, "c_floor");
    ck_assert_int_eq(rtype_extern_repr(c_floor->decl->params[0].type, false), RTYPE_FLOAT);
    ck_assert_int_eq(rtype_extern_repr(NULL, true), RTYPE_VOID);
    ck_assert_int_eq(rtype_extern_repr(NULL, false), -1);
    ck_assert_int_eq(
        pipeline->rtype->funcs[main_func]
            .reprs[test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL, 1).op->result],
        RTYPE_FLOAT);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(tasks_carry_function_and_argument) {
    TestPipeline *pipeline = test_pipeline_rtype("fn work(n) { print(n); }\n"
                                                 "fn main() {\n"
                                                 "    var t = thread_start(work, 1);\n"
                                                 "    thread_join(t);\n"
                                                 "    transaction_add(work, 2);\n"
                                                 "    transaction_run();\n"
                                                 "}\n");
    int main_func = test_pipeline_func(pipeline, "main");
    TestOpSite start = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL_BUILTIN, 0);
    ck_assert_int_eq(start.low->opcode, RTYPE_OP_TASK);
    ck_assert(start.low->raises);
    ck_assert_int_eq(start.low->callee, test_pipeline_func(pipeline, "work"));
    /* a thread handle is an int */
    ck_assert_int_eq(pipeline->rtype->funcs[main_func].reprs[start.op->result], RTYPE_INT);
    /* the task is a tuple {invoker, f, arg}: f is the only reference */
    const RtypeTuple *task = NULL;
    for (int i = 0; i < pipeline->rtype->tuples.count; i++)
        if (pipeline->rtype->tuples.items[i].type_id == start.low->type_id)
            task = &pipeline->rtype->tuples.items[i];
    ck_assert_ptr_nonnull(task);
    ck_assert_int_eq(task->count, 3);
    ck_assert_int_eq(task->ref_mask, 0x2);
    TestOpSite add = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_CALL_BUILTIN, 2);
    ck_assert_int_eq(add.low->opcode, RTYPE_OP_TASK);
    ck_assert(!add.low->raises);
    ck_assert_int_eq(add.low->type_id, start.low->type_id);
    test_pipeline_free(pipeline);
}
END_TEST

/* ---- GC types ------------------------------------------------------------- */

START_TEST(class_ids_are_a_preorder) {
    TestPipeline *pipeline = test_pipeline_rtype("class A { }\n"
                                                 "class B : A { }\n"
                                                 "class C : B { }\n"
                                                 "class D : A { }\n"
                                                 "class E { }\n"
                                                 "fn main() {\n"
                                                 "    var a = new C();\n"
                                                 "    print(a is A);\n"
                                                 "    print(new D() is B);\n"
                                                 "    print(new E() is E);\n"
                                                 "}\n");
    const RtypeProgram *rtype = pipeline->rtype;
    const FlowProgram *flow = pipeline->flow;
    const RtypeClass *a = class_info(pipeline, "A"), *b = class_info(pipeline, "B");
    const RtypeClass *c = class_info(pipeline, "C"), *d = class_info(pipeline, "D");
    const RtypeClass *e = class_info(pipeline, "E");
    /* A's subtree is A, B, C, D: four consecutive ids starting at A */
    ck_assert_int_eq(a->last_type_id - a->type_id, 3);
    ck_assert_int_eq(b->last_type_id - b->type_id, 1); /* B, C */
    ck_assert_int_eq(c->type_id, c->last_type_id);
    ck_assert_int_eq(d->type_id, d->last_type_id);
    ck_assert_int_eq(e->type_id, e->last_type_id);
    ck_assert(b->type_id > a->type_id && b->last_type_id <= a->last_type_id);
    ck_assert(c->type_id > b->type_id && c->last_type_id <= b->last_type_id);
    ck_assert(d->type_id > a->type_id && d->last_type_id <= a->last_type_id);
    ck_assert(d->type_id > b->last_type_id || d->last_type_id < b->type_id);
    ck_assert(e->type_id > a->last_type_id || e->last_type_id < a->type_id);
    /* the same holds for every class, the prelude's included, and ids are
     * unique, start after rtlib's types and map back to their class */
    for (int i = 0; i < flow->class_count; i++) {
        const RtypeClass *info = &rtype->classes[i];
        ck_assert_int_ge(info->type_id, rtype->first_type_id);
        ck_assert_int_ge(info->last_type_id, info->type_id);
        ck_assert_int_eq(rtype->type_class[info->type_id - rtype->first_type_id], i);
        int base = flow->classes[i].base;
        if (base >= 0) {
            ck_assert_int_gt(info->type_id, rtype->classes[base].type_id);
            ck_assert_int_le(info->last_type_id, rtype->classes[base].last_type_id);
        }
        for (int j = 0; j < flow->class_count; j++)
            if (j != i) ck_assert_int_ne(rtype->classes[j].type_id, info->type_id);
    }
    /* is_instance tests the class's id range */
    int main_func = test_pipeline_func(pipeline, "main");
    const RtypeOp *is_a = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_IS_INSTANCE, 0).low;
    ck_assert_int_eq(is_a->opcode, RTYPE_OP_IS_INSTANCE);
    ck_assert_int_eq(is_a->type_id, a->type_id);
    ck_assert_int_eq(is_a->last_type, a->last_type_id);
    const RtypeOp *is_b = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_IS_INSTANCE, 1).low;
    ck_assert_int_eq(is_b->type_id, b->type_id);
    ck_assert_int_eq(is_b->last_type, b->last_type_id);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(class_sizes_count_words) {
    TestPipeline *pipeline = test_pipeline_rtype("class Empty { }\n"
                                                 "class Three { var x; var y; var z; }\n"
                                                 "class Four : Three { var w; }\n"
                                                 "fn main() {\n"
                                                 "    var t = new Four();\n"
                                                 "    t.x = \"x\"; t.y = [1]; t.z = t; t.w = t;\n"
                                                 "    print(new Empty() is Empty);\n"
                                                 "}\n");
    const RtypeClass *three = class_info(pipeline, "Three");
    const RtypeClass *four = class_info(pipeline, "Four");
    /* one word of header, then one word per field */
    ck_assert_int_eq(three->words, 4);
    ck_assert_int_eq(three->size, 32);
    ck_assert_int_eq(four->words, 5);
    ck_assert_int_eq(four->size, 40);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(four->fields[i].word, three->fields[i].word);
    ck_assert_int_eq(four->fields[3].word, 4);
    /* an object is never smaller than two words */
    const RtypeClass *empty = class_info(pipeline, "Empty");
    ck_assert_int_eq(empty->words, 1);
    ck_assert_int_eq(empty->size, 16);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(tuple_shapes_get_type_ids) {
    TestPipeline *pipeline = test_pipeline_rtype("fn main(args) {\n"
                                                 "    var n = len(args);\n"
                                                 "    var a = (n, \"x\");\n"
                                                 "    var b = (2, \"y\");\n"
                                                 "    var c = (\"z\", n);\n"
                                                 "    var d = (n, 2);\n"
                                                 "    var e = (1.5, n);\n"
                                                 "    var f = (n, 2, 3);\n"
                                                 "    print(a[1] + b[1] + c[0]);\n"
                                                 "    print(d[0] + e[1] + f[2]);\n"
                                                 "}\n");
    int main_func = test_pipeline_func(pipeline, "main");
    const RtypeProgram *rtype = pipeline->rtype;
    int ids[6];
    for (int i = 0; i < 6; i++) {
        const RtypeOp *low = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_NEWTUPLE, i).low;
        ck_assert_int_eq(low->opcode, RTYPE_OP_NEWTUPLE);
        ids[i] = low->type_id;
        /* tuple types come after every class */
        ck_assert_int_ge(ids[i], rtype->first_type_id + pipeline->flow->class_count);
        ck_assert_int_lt(ids[i], rtype->first_type_id + rtype->type_count);
    }
    ck_assert_int_eq(ids[0], ids[1]); /* (int, str) twice */
    ck_assert_int_ne(ids[0], ids[2]); /* (str, int): the reference moved */
    ck_assert_int_eq(ids[3], ids[4]); /* (int, int) and (float, int): no reference */
    ck_assert_int_ne(ids[0], ids[3]);
    ck_assert_int_ne(ids[3], ids[5]); /* three items */
    ck_assert_int_eq(rtype->tuples.count, 4);
    for (int i = 0; i < rtype->tuples.count; i++) {
        const RtypeTuple *tuple = &rtype->tuples.items[i];
        uint64_t mask = tuple->type_id == ids[0] ? 0x2 : tuple->type_id == ids[2] ? 0x1 : 0x0;
        int count = tuple->type_id == ids[5] ? 3 : 2;
        ck_assert_int_eq(tuple->ref_mask, mask);
        ck_assert_int_eq(tuple->count, count);
    }
    test_pipeline_free(pipeline);
}
END_TEST

/* Two tuples of `count` items, equal but for the last: a str in `refs`,
 * an int in `ints`. */
static char *wide_tuple_program(int count) {
    size_t size = 256 + (size_t)count * 8;
    char *text = malloc(size);
    ck_assert_ptr_nonnull(text);
    int length = snprintf(text, size, "fn main(args) {\n    var refs = (");
    for (int i = 0; i < count - 1; i++)
        length += snprintf(text + length, size - (size_t)length, "%d, ", i);
    length += snprintf(text + length, size - (size_t)length, "\"s\");\n    var ints = (");
    for (int i = 0; i < count - 1; i++)
        length += snprintf(text + length, size - (size_t)length, "%d, ", i);
    snprintf(text + length, size - (size_t)length,
             "len(args));\n    print(refs[%d]);\n    print(ints[%d]);\n}\n", count - 1, count - 1);
    return text;
}

START_TEST(wide_tuple_shapes_keep_every_reference) {
    /* 66 items: the last one is a str in one tuple and an int in the other,
     * so the collector must trace item 65 of the first and not of the second */
    char *text = wide_tuple_program(66);
    TestPipeline *pipeline = test_pipeline_rtype(text);
    free(text);
    int main_func = test_pipeline_func(pipeline, "main");
    const RtypeOp *refs = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_NEWTUPLE, 0).low;
    const RtypeOp *ints = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_NEWTUPLE, 1).low;
    const RtypeOp *last = test_pipeline_flow_op(pipeline, main_func, FLOW_OP_GETITEM, 0).low;
    ck_assert_int_eq(last->opcode, RTYPE_OP_TUPLE_GETITEM);
    ck_assert_int_eq(last->field, 65);
    ck_assert_int_ne(refs->type_id, 0);
    ck_assert_int_ne(ints->type_id, 0);
    ck_assert_int_ne(refs->type_id, ints->type_id);
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(items_iteration_allocates_pair_tuples) {
    TestPipeline *pipeline = test_pipeline_rtype("fn main() {\n"
                                                 "    var ages = {\"ann\": 3};\n"
                                                 "    for (var (name, age) : ages.items())\n"
                                                 "        print(name + str(age));\n"
                                                 "}\n");
    int main_func = test_pipeline_func(pipeline, "main");
    const RtypeOp *iter = test_pipeline_low_op(pipeline, main_func, RTYPE_OP_ITER, 0).low;
    ck_assert_int_ne(iter->type_id, 0);
    const RtypeTuple *pair = NULL;
    for (int i = 0; i < pipeline->rtype->tuples.count; i++)
        if (pipeline->rtype->tuples.items[i].type_id == iter->type_id)
            pair = &pipeline->rtype->tuples.items[i];
    ck_assert_ptr_nonnull(pair);
    ck_assert_int_eq(pair->count, 2);
    ck_assert_int_eq(pair->ref_mask, 0x1); /* (str, int) */
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

START_TEST(dump_shows_reprs_and_opcodes) {
    TestPipeline *pipeline =
        test_pipeline_rtype("class Pair { var left; }\n"
                            "fn add(a, b) { return a + b; }\n"
                            "fn main() { print(add(1, 2)); print((1, \"a\")[1]);\n"
                            "    var p = new Pair(); p.left = p; }\n");
    char *text = test_pipeline_rtype_dump(pipeline);
    int add = test_pipeline_func(pipeline, "add");
    char expected[256];
    /* the C name is k<copy>_<graph name> */
    snprintf(expected, sizeof expected, "k%d_add", add);
    ck_assert_str_eq(pipeline->rtype->funcs[add].c_name, expected);
    snprintf(expected, sizeof expected, "func k%d_add (add) -> int64", add);
    assert_has_line(text, expected);
    assert_has_line(text, "  block 0(v0: int64, v1: int64)");
    assert_has_line(text, "    v2: int64 = int_binary/add(v0, v1)");
    snprintf(expected, sizeof expected,
             "    v0: int64 = call_direct/call(1, 2) callee=k%d_add raises", add);
    assert_has_line(text, expected);
    snprintf(expected, sizeof expected, "types (from %d)", pipeline->rtype->first_type_id);
    assert_has_line(text, expected);
    const RtypeClass *pair = class_info(pipeline, "Pair");
    snprintf(expected, sizeof expected, "  %d..%d class Pair: 16 bytes", pair->type_id,
             pair->last_type_id);
    assert_has_line(text, expected);
    ck_assert_int_eq(pipeline->rtype->tuples.count, 1);
    snprintf(expected, sizeof expected, "  %d tuple of 2 items, references 0x2",
             pipeline->rtype->tuples.items[0].type_id);
    assert_has_line(text, expected);
    free(text);
    test_pipeline_free(pipeline);
}
END_TEST

/* ---- errors --------------------------------------------------------------- */

START_TEST(error_operator_on_tuples) {
    TestPipeline *pipeline = test_pipeline_rtype_errors("fn main() {\n"
                                                        "    var t = (1, 2);\n"
                                                        "    print(t < (1, 3));\n"
                                                        "}\n");
    ck_assert_int_eq(pipeline->rtype->errors, 1);
    const char *messages = test_pipeline_messages(pipeline);
    ck_assert_ptr_nonnull(strstr(messages, "t.kc:3:13: error: the C backend cannot translate this "
                                           "operator on these types\n"
                                           "        print(t < (1, 3));\n"
                                           "                ^\n"));
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(error_extern_parameter_type) {
    TestPipeline *pipeline =
        test_pipeline_rtype_errors("extern fn c_strlen(s: str) -> int = \"strlen\";\n"
                                   "fn main() {\n"
                                   "    var n = 1;\n"
                                   "    print(n + c_strlen(\"abc\"));\n"
                                   "}\n");
    ck_assert_int_eq(pipeline->rtype->errors, 1);
    ck_assert_int_eq(pipeline->diag.errors, 1);
    const char *messages = test_pipeline_messages(pipeline);
    ck_assert_ptr_nonnull(strstr(messages, "t.kc:4:15: error: the C backend cannot translate an "
                                           "extern function parameter that is not int or float\n"));
    test_pipeline_free(pipeline);
}
END_TEST

START_TEST(errors_are_counted_per_operation) {
    TestPipeline *pipeline = test_pipeline_rtype_errors("fn main(args) {\n"
                                                        "    var t = (len(args), 2);\n"
                                                        "    print(t < (1, 3));\n"
                                                        "    print(t >= (0, 3));\n"
                                                        "}\n");
    ck_assert_int_eq(pipeline->rtype->errors, 2);
    const char *messages = test_pipeline_messages(pipeline);
    ck_assert_ptr_nonnull(strstr(messages, "t.kc:3:13: error:"));
    ck_assert_ptr_nonnull(strstr(messages, "t.kc:4:13: error:"));
    test_pipeline_free(pipeline);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("rtype");
    TCase *reprs = tcase_create("reprs");
    tcase_add_test(reprs, repr_of_each_annotation);
    tcase_add_test(reprs, repr_of_parameters_and_results);
    tcase_add_test(reprs, specialized_copies_have_their_own_results);
    suite_add_tcase(suite, reprs);
    TCase *ops = tcase_create("ops");
    tcase_add_test(ops, arithmetic_lowers_by_operand_type);
    tcase_add_test(ops, comparisons_lower_by_operand_type);
    tcase_add_test(ops, items_lower_by_container);
    tcase_add_test(ops, overridden_method_is_virtual);
    tcase_add_test(ops, method_nobody_overrides_is_direct);
    tcase_add_test(ops, new_gets_type_id_and_init);
    tcase_add_test(ops, fields_have_word_indices);
    tcase_add_test(ops, nullable_receivers_are_flagged);
    tcase_add_test(ops, unannotated_fields_raise_when_read_unset);
    tcase_add_test(ops, fields_every_init_assigns_first_need_no_check);
    tcase_add_test(ops, never_assigned_field_read_raises);
    tcase_add_test(ops, local_read_before_assignment_raises);
    tcase_add_test(ops, extern_calls_are_direct_c_calls);
    tcase_add_test(ops, tasks_carry_function_and_argument);
    suite_add_tcase(suite, ops);
    TCase *types = tcase_create("types");
    tcase_add_test(types, class_ids_are_a_preorder);
    tcase_add_test(types, class_sizes_count_words);
    tcase_add_test(types, tuple_shapes_get_type_ids);
    tcase_add_test(types, wide_tuple_shapes_keep_every_reference);
    tcase_add_test(types, items_iteration_allocates_pair_tuples);
    suite_add_tcase(suite, types);
    TCase *output = tcase_create("output");
    tcase_add_test(output, dump_shows_reprs_and_opcodes);
    tcase_add_test(output, error_operator_on_tuples);
    tcase_add_test(output, error_extern_parameter_type);
    tcase_add_test(output, errors_are_counted_per_operation);
    suite_add_tcase(suite, output);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
