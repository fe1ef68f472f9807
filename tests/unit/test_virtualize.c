/* test_virtualize.c - removal of the allocations that do not escape
 * (transform_virtualize, transform/optimize.h).
 *
 * Programs are lowered from Kiln C text and inlined, as `kiln build -O1`
 * does, then virtualized.  The tests read the dump of one function (which
 * ALLOCs are left, what the spills became) and run it: a small machine
 * below executes low-level graphs (registers, loads and stores in malloc'd
 * objects, the shadow stack, direct calls of the program's functions), so
 * that the same function, lowered twice, gives the same results with and
 * without the rewriting.  Two functions built instruction by instruction
 * check the cases Kiln C text cannot spell: an alias that holds the object
 * of an earlier iteration, and a reload of a slot that holds another
 * object.  Every result must pass low_verify. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_pipeline_support.h"
#include "transform/lower.h"
#include "transform/optimize.h"

/* ---- a machine for low-level graphs ---------------------------------------------- */

/* Runs functions of one program.  Registers hold 64 bits (doubles by their
 * bits); an ALLOC is a calloc with the type id in word 0, as gc_alloc
 * leaves it; a call of a runtime function fails the test (the functions
 * under test reach none but on their raise paths). */
typedef struct Machine {
    const LowProgram *program;
    int64_t roots[1024];
    int root_top;
    void *objects[4096];
    int allocations; /* ALLOCs run */
    long steps;
} Machine;

static const char machine_str_object[16]; /* what a str constant points to */

static int64_t machine_value(const int64_t *regs, LowValue value) {
    int64_t bits = 0;
    switch (value.kind) {
    case LOW_VALUE_REG: return regs[value.index];
    case LOW_VALUE_INT: return value.bits;
    case LOW_VALUE_FLOAT: memcpy(&bits, &value.number, sizeof bits); return bits;
    case LOW_VALUE_NULL: return 0;
    case LOW_VALUE_STR: return (int64_t)(intptr_t)machine_str_object;
    default: ck_abort_msg("the machine has no value of kind %d", (int)value.kind);
    }
    return 0;
}

static double machine_float(int64_t bits) {
    double number;
    memcpy(&number, &bits, sizeof number);
    return number;
}

static int64_t machine_bits(double number) {
    int64_t bits;
    memcpy(&bits, &number, sizeof bits);
    return bits;
}

static int64_t machine_binary(LowBinop op, int64_t left, int64_t right) {
    uint64_t uleft = (uint64_t)left, uright = (uint64_t)right;
    double fleft = machine_float(left), fright = machine_float(right);
    switch (op) {
    case LOW_BIN_ADD: return (int64_t)(uleft + uright);
    case LOW_BIN_SUB: return (int64_t)(uleft - uright);
    case LOW_BIN_MUL: return (int64_t)(uleft * uright);
    case LOW_BIN_SDIV: return left / right;
    case LOW_BIN_SREM: return left % right;
    case LOW_BIN_AND: return left & right;
    case LOW_BIN_OR: return left | right;
    case LOW_BIN_XOR: return left ^ right;
    case LOW_BIN_SHL: return (int64_t)(uleft << right);
    case LOW_BIN_ASHR: return left >> right;
    case LOW_BIN_EQ:
    case LOW_BIN_PTR_EQ: return left == right;
    case LOW_BIN_NE:
    case LOW_BIN_PTR_NE: return left != right;
    case LOW_BIN_LT: return left < right;
    case LOW_BIN_LE: return left <= right;
    case LOW_BIN_GT: return left > right;
    case LOW_BIN_GE: return left >= right;
    case LOW_BIN_ULT: return uleft < uright;
    case LOW_BIN_UGE: return uleft >= uright;
    case LOW_BIN_FADD: return machine_bits(fleft + fright);
    case LOW_BIN_FSUB: return machine_bits(fleft - fright);
    case LOW_BIN_FMUL: return machine_bits(fleft * fright);
    case LOW_BIN_FDIV: return machine_bits(fleft / fright);
    case LOW_BIN_FEQ: return fleft == fright;
    case LOW_BIN_FNE: return fleft != fright;
    case LOW_BIN_FLT: return fleft < fright;
    case LOW_BIN_FLE: return fleft <= fright;
    case LOW_BIN_FGT: return fleft > fright;
    case LOW_BIN_FGE: return fleft >= fright;
    default: ck_abort_msg("binary operation %d", (int)op);
    }
    return 0;
}

static int64_t machine_unary(LowUnop op, int64_t operand) {
    switch (op) {
    case LOW_UN_NEG: return (int64_t)(0 - (uint64_t)operand);
    case LOW_UN_INVERT: return ~operand;
    case LOW_UN_NOT: return operand == 0;
    case LOW_UN_FNEG: return machine_bits(-machine_float(operand));
    case LOW_UN_INT_TO_FLOAT: return machine_bits((double)operand);
    default: return operand; /* the reinterpretations keep the bits */
    }
}

static char *machine_address(const int64_t *regs, const LowInst *inst) {
    int64_t address = machine_value(regs, inst->args[0]) + inst->offset;
    if (inst->scale) address += machine_value(regs, inst->args[1]) * inst->scale;
    ck_assert_msg(machine_value(regs, inst->args[0]) != 0, "a load or store through null");
    return (char *)(intptr_t)address;
}

static int64_t machine_load(const int64_t *regs, const LowInst *inst) {
    const char *address = machine_address(regs, inst);
    int64_t word = 0;
    uint32_t narrow = 0;
    switch (inst->mem) {
    case LOW_U8: return (unsigned char)*address;
    case LOW_U32: memcpy(&narrow, address, sizeof narrow); return narrow;
    default: memcpy(&word, address, sizeof word); return word;
    }
}

static void machine_store(const int64_t *regs, const LowInst *inst) {
    char *address = machine_address(regs, inst);
    int64_t word = machine_value(regs, inst->args[2]);
    uint32_t narrow = (uint32_t)word;
    switch (inst->mem) {
    case LOW_U8: *address = (char)word; break;
    case LOW_U32: memcpy(address, &narrow, sizeof narrow); break;
    default: memcpy(address, &word, sizeof word); break;
    }
}

static int64_t machine_run(Machine *machine, const LowFunc *func, const int64_t *args);

static int64_t machine_prim(Machine *machine, int64_t *regs, const LowInst *inst) {
    const LowValue *args = inst->args;
    switch ((LowPrim)inst->sub) {
    case LOW_PRIM_ALLOC: {
        ck_assert_int_lt(machine->allocations, 4096);
        int64_t *object = calloc(1, (size_t)machine_value(regs, args[1]));
        object[0] = machine_value(regs, args[0]);
        machine->objects[machine->allocations++] = object;
        return (int64_t)(intptr_t)object;
    }
    case LOW_PRIM_TYPE_ID: return *(int64_t *)(intptr_t)machine_value(regs, args[0]) & 0xffffffff;
    case LOW_PRIM_ROOT_STORE:
        machine->roots[machine->root_top + args[0].bits] = machine_value(regs, args[1]);
        return 0;
    case LOW_PRIM_ROOT_LOAD: return machine->roots[machine->root_top + args[0].bits];
    case LOW_PRIM_ROOT_ADJUST:
        machine->root_top += (int)args[0].bits;
        ck_assert(machine->root_top >= 0 && machine->root_top < 1000);
        return 0;
    case LOW_PRIM_FRAME_ADDRESS: return (int64_t)(intptr_t)machine;
    case LOW_PRIM_CATCH: ck_abort_msg("no exception is ever in flight here"); return 0;
    default: return 0; /* barriers, spill and stack checks, no exception pending */
    }
}

static int64_t machine_call(Machine *machine, const int64_t *regs, const LowInst *inst) {
    ck_assert_int_eq(inst->callee.kind, LOW_VALUE_SYMBOL);
    const LowSymbol *symbol = &machine->program->symbols.items[inst->callee.index];
    ck_assert_msg(symbol->kind == LOW_SYMBOL_FUNC, "a call of %s", symbol->name);
    int64_t args[16] = {0};
    for (int a = 1; a < inst->arg_count && a <= 16; a++)
        args[a - 1] = machine_value(regs, inst->args[a]);
    return machine_run(machine, &machine->program->funcs.items[symbol->func], args);
}

static void machine_inst(Machine *machine, int64_t *regs, const LowInst *inst) {
    int64_t result = 0;
    switch (inst->opcode) {
    case LOW_COPY: result = machine_value(regs, inst->args[0]); break;
    case LOW_BINARY:
        result = machine_binary((LowBinop)inst->sub, machine_value(regs, inst->args[0]),
                                machine_value(regs, inst->args[1]));
        break;
    case LOW_UNARY:
        result = machine_unary((LowUnop)inst->sub, machine_value(regs, inst->args[0]));
        break;
    case LOW_SELECT:
        result = machine_value(regs, inst->args[machine_value(regs, inst->args[0]) ? 1 : 2]);
        break;
    case LOW_LOAD: result = machine_load(regs, inst); break;
    case LOW_STORE: machine_store(regs, inst); break;
    case LOW_CALL: result = machine_call(machine, regs, inst); break;
    case LOW_PRIM: result = machine_prim(machine, regs, inst); break;
    }
    if (inst->result >= 0) regs[inst->result] = result;
}

/* The next block after `block`'s terminator, or -1 after a return. */
static int machine_term(const int64_t *regs, const LowTerm *term, int64_t *returned) {
    int64_t value = term->value.kind == LOW_VALUE_NONE ? 0 : machine_value(regs, term->value);
    switch (term->kind) {
    case LOW_TERM_GOTO: return term->targets[0];
    case LOW_TERM_BRANCH: return term->targets[value != 0 ? 0 : 1];
    case LOW_TERM_SWITCH:
        for (int i = 0; i < term->case_count; i++)
            if (term->cases[i] == value) return term->targets[i];
        return term->targets[term->case_count];
    case LOW_TERM_RETURN: *returned = value; return -1;
    default: ck_abort_msg("the machine reached an unreachable block"); return -1;
    }
}

static int64_t machine_run(Machine *machine, const LowFunc *func, const int64_t *args) {
    int64_t *regs = calloc((size_t)func->regs.count + 1, sizeof *regs);
    for (int i = 0; i < func->param_count; i++)
        regs[i] = args[i];
    int depth = machine->root_top;
    int64_t returned = 0;
    for (int b = 0; b >= 0;) {
        const LowBlock *block = &func->blocks.items[b];
        machine->steps += block->insts.count + 1;
        ck_assert_msg(machine->steps < 10000000, "the machine runs too long");
        for (int i = 0; i < block->insts.count; i++)
            machine_inst(machine, regs, &block->insts.items[i]);
        b = machine_term(regs, &block->term, &returned);
    }
    ck_assert_int_eq(machine->root_top, depth);
    free(regs);
    return returned;
}

typedef struct Run {
    int64_t result;
    int allocations;
} Run;

/* Runs the function whose Kiln C name is `name` with one argument. */
static Run run_function(const LowProgram *program, const char *name, int64_t arg);

/* ---- programs ------------------------------------------------------------------- */

/* A program lowered twice: as -O1 leaves it without virtualization
 * (inlined, folded), and with it (inlined, virtualized, folded). */
typedef struct Versions {
    TestPipeline *pipeline;
    LowProgram *plain;
    LowProgram *virtualized;
    int removed;
} Versions;

static Versions versions(const char *text) {
    Versions result = {test_pipeline_transform(text), NULL, NULL, 0};
    result.plain = test_pipeline_lower(result.pipeline);
    result.virtualized = test_pipeline_lower(result.pipeline);
    transform_inline(result.plain, TRANSFORM_INLINE_SIZE_LIMIT);
    transform_fold(result.plain);
    transform_inline(result.virtualized, TRANSFORM_INLINE_SIZE_LIMIT);
    test_low_verifies(result.virtualized);
    result.removed = transform_virtualize(result.virtualized);
    test_low_verifies(result.virtualized);
    transform_fold(result.virtualized);
    test_low_verifies(result.virtualized);
    return result;
}

static void versions_free(Versions *result) {
    low_program_free(result->plain);
    low_program_free(result->virtualized);
    test_pipeline_free(result->pipeline);
}

static Run run_function(const LowProgram *program, const char *name, int64_t arg) {
    Machine *machine = calloc(1, sizeof *machine);
    machine->program = program;
    Run run = {machine_run(machine, test_low_function(program, name), &arg), machine->allocations};
    for (int i = 0; i < machine->allocations; i++)
        free(machine->objects[i]);
    free(machine);
    return run;
}

static int allocs_in(const LowProgram *low, const char *name) {
    char *text = test_low_function_dump(low, name);
    int count = test_count_of(text, " = alloc ");
    free(text);
    return count;
}

/* `name` gives the same results with and without the rewriting for each
 * argument in [from, to]; returns the allocations the virtualized version
 * ran over all of them. */
static int assert_same_results(const Versions *result, const char *name, int64_t from, int64_t to) {
    int allocations = 0;
    for (int64_t arg = from; arg <= to; arg++) {
        Run plain = run_function(result->plain, name, arg);
        Run virtualized = run_function(result->virtualized, name, arg);
        ck_assert_msg(plain.result == virtualized.result, "%s(%lld): %lld, virtualized %lld", name,
                      (long long)arg, (long long)plain.result, (long long)virtualized.result);
        allocations += virtualized.allocations;
    }
    return allocations;
}

static const char point_class[] = "class Point {\n"
                                  "    var x;\n"
                                  "    var y;\n"
                                  "    fn init(x, y) { this.x = x; this.y = y; }\n"
                                  "    fn sum() { return this.x + this.y; }\n"
                                  "}\n";

/* point_class, then `body`, then a main that calls f. */
static Versions point_versions(const char *body) {
    char text[4096];
    snprintf(text, sizeof text, "%s%s\nfn main() { print(f(3)); }\n", point_class, body);
    return versions(text);
}

/* ---- removed ---------------------------------------------------------------------- */

START_TEST(a_local_object_is_removed) {
    Versions result = point_versions("fn f(n) {\n"
                                     "    var p = new Point(n, n * 2);\n"
                                     "    p.x = p.x + 1;\n"
                                     "    return p.sum();\n"
                                     "}\n");
    ck_assert_int_ge(result.removed, 1); /* f, and its copy where main inlined it */
    ck_assert_int_eq(allocs_in(result.plain, "f"), 1);
    ck_assert_int_eq(allocs_in(result.virtualized, "f"), 0);
    ck_assert_int_eq(assert_same_results(&result, "f", -3, 3), 0);
    ck_assert_int_eq(run_function(result.virtualized, "f", 3).result, 10);
    versions_free(&result);
}
END_TEST

START_TEST(the_spill_slot_stays_and_holds_null) {
    Versions result = point_versions("fn f(n) { var p = new Point(n, 1); return p.x; }\n");
    char *plain = test_low_function_dump(result.plain, "f");
    char *text = test_low_function_dump(result.virtualized, "f");
    /* the object was kept across init in slot 0; the slot protocol stays */
    ck_assert_int_eq(test_count_of(text, "root_store 0, null"), 1);
    ck_assert_int_eq(test_count_of(text, "root_store "), test_count_of(plain, "root_store "));
    ck_assert_int_eq(test_count_of(text, "root_adjust "), test_count_of(plain, "root_adjust "));
    ck_assert_int_eq(test_count_of(text, "spill_check "), test_count_of(plain, "spill_check "));
    ck_assert_int_eq(test_count_of(text, "root_load "), test_count_of(plain, "root_load ") - 1);
    ck_assert_int_eq(assert_same_results(&result, "f", 0, 2), 0);
    free(plain);
    free(text);
    versions_free(&result);
}
END_TEST

START_TEST(null_and_type_tests_of_a_removed_object_are_known) {
    Versions result = point_versions("fn f(n) {\n"
                                     "    var p = new Point(n, 1);\n"
                                     "    var r = 0;\n"
                                     "    if (p == null) r += 100;\n"
                                     "    if (p != null) r += 10;\n"
                                     "    if (p) r += 1;\n"
                                     "    if (p is Point) r += 1000;\n"
                                     "    return r + p.x;\n"
                                     "}\n");
    ck_assert_int_ge(result.removed, 1); /* f, and its copy where main inlined it */
    char *text = test_low_function_dump(result.virtualized, "f");
    ck_assert_msg(strstr(text, "type_id") == NULL, "%s", text);
    ck_assert_msg(strstr(text, "ptr_eq") == NULL && strstr(text, "ptr_ne") == NULL, "%s", text);
    ck_assert_int_eq(assert_same_results(&result, "f", -2, 2), 0);
    ck_assert_int_eq(run_function(result.virtualized, "f", 5).result, 1016);
    free(text);
    versions_free(&result);
}
END_TEST

START_TEST(an_object_in_a_loop_is_removed) {
    /* a new object per iteration, each reading the total the last left */
    Versions result = point_versions("fn f(n) {\n"
                                     "    var total = 0;\n"
                                     "    for (var i = 0; i < n; i++) {\n"
                                     "        var p = new Point(i, total);\n"
                                     "        p.y = p.y + p.x;\n"
                                     "        total = p.sum();\n"
                                     "    }\n"
                                     "    return total;\n"
                                     "}\n");
    ck_assert_int_ge(result.removed, 1); /* f, and its copy where main inlined it */
    ck_assert_int_eq(allocs_in(result.virtualized, "f"), 0);
    ck_assert_int_eq(assert_same_results(&result, "f", 0, 6), 0);
    ck_assert_int_eq(run_function(result.plain, "f", 4).allocations, 4);
    versions_free(&result);
}
END_TEST

START_TEST(float_fields_are_removed) {
    Versions result =
        versions("class Vec { var a; var b; fn init(a, b) { this.a = a; this.b = b; } }\n"
                 "fn f(n) {\n"
                 "    var v = new Vec(float(n), 0.5);\n"
                 "    v.b = v.b * v.a;\n"
                 "    return v.a + v.b * 4.0;\n"
                 "}\n"
                 "fn main() { print(f(3)); }\n");
    ck_assert_int_ge(result.removed, 1); /* f, and its copy where main inlined it */
    ck_assert_int_eq(assert_same_results(&result, "f", -3, 3), 0);
    ck_assert_int_eq(run_function(result.virtualized, "f", 3).result, machine_bits(9.0));
    versions_free(&result);
}
END_TEST

START_TEST(an_int_field_live_across_a_call_is_removed) {
    /* depth is recursive, so it stays a call; the words hold ints only */
    Versions result =
        point_versions("fn depth(k) { if (k <= 0) return 0; return 1 + depth(k - 1); }\n"
                       "fn f(n) {\n"
                       "    var p = new Point(n, n * 2);\n"
                       "    var d = depth(n);\n"
                       "    return p.x + p.y + d;\n"
                       "}\n");
    char *text = test_low_function_dump(result.virtualized, "f");
    ck_assert_msg(strstr(text, "call @") != NULL, "%s", text);
    ck_assert_int_eq(allocs_in(result.virtualized, "f"), 0);
    ck_assert_int_eq(assert_same_results(&result, "f", 0, 4), 0);
    free(text);
    versions_free(&result);
}
END_TEST

START_TEST(a_str_field_is_a_word_converted_at_its_accesses) {
    /* the field annotated str starts at "" (a store of a PTR constant), then
     * is read and written as a word: one I64 register */
    Versions result = versions("class Named { var title: str; var count; }\n"
                               "fn f(n) {\n"
                               "    var c = new Named();\n"
                               "    c.count = n;\n"
                               "    var t = c.title;\n"
                               "    c.title = t;\n"
                               "    return c.count;\n"
                               "}\n"
                               "fn main() { print(f(3)); }\n");
    ck_assert_int_ge(result.removed, 1); /* f, and its copy where main inlined it */
    char *text = test_low_function_dump(result.virtualized, "f");
    ck_assert_msg(strstr(text, "ptr_to_int str \"\"") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "int_to_ptr") != NULL, "%s", text);
    ck_assert_int_eq(assert_same_results(&result, "f", 0, 3), 0);
    free(text);
    versions_free(&result);
}
END_TEST

/* ---- kept ---------------------------------------------------------------------------- */

START_TEST(an_object_passed_to_a_call_stays) {
    /* g is recursive: it checks the stack and is never inlined */
    Versions result = point_versions("fn g(p, k) { if (k <= 0) return p.x; return g(p, k - 1); }\n"
                                     "fn f(n) { var p = new Point(n, 1); return g(p, 2); }\n");
    ck_assert_int_eq(allocs_in(result.virtualized, "f"), 1);
    ck_assert_int_eq(assert_same_results(&result, "f", 0, 2), 3);
    versions_free(&result);
}
END_TEST

START_TEST(a_returned_object_stays) {
    /* make returns its object and keeps the ALLOC; inlined into f, the
     * same object is only read there, and goes */
    Versions result = point_versions("fn make(n) { var p = new Point(n, n); p.x = 1; return p; }\n"
                                     "fn f(n) { return make(n).y; }\n");
    ck_assert_int_ge(result.removed, 1); /* f, and its copy where main inlined it */
    ck_assert_int_eq(allocs_in(result.virtualized, "make"), 1);
    ck_assert_int_eq(allocs_in(result.virtualized, "f"), 0);
    ck_assert_int_eq(assert_same_results(&result, "f", 0, 2), 0);
    versions_free(&result);
}
END_TEST

START_TEST(an_object_stored_into_a_list_stays) {
    Versions result = point_versions("fn f(n) {\n"
                                     "    var xs = [];\n"
                                     "    var p = new Point(n, n);\n"
                                     "    xs.append(p);\n"
                                     "    return len(xs);\n"
                                     "}\n");
    ck_assert_int_eq(result.removed, 0);
    ck_assert_int_eq(allocs_in(result.virtualized, "f"), 1);
    versions_free(&result);
}
END_TEST

static const char link_class[] =
    "class Link {\n"
    "    var next;\n"
    "    var v;\n"
    "    fn init(next, v) { this.next = next; this.v = v; }\n"
    "}\n"
    "fn deep(k) { if (k <= 0) return new Link(null, 7); return deep(k - 1); }\n"
    "fn depth(k) { if (k <= 0) return 0; return 1 + depth(k - 1); }\n";

/* link_class, then `body`, then a main that calls f. */
static Versions link_versions(const char *body) {
    char text[4096];
    snprintf(text, sizeof text, "%s%s\nfn main() { print(f(3)); }\n", link_class, body);
    return versions(text);
}

START_TEST(an_object_stored_into_another_stays) {
    /* q is stored into p's word: q escapes into memory; p itself is then
     * removed, its word a register holding q */
    Versions result = link_versions("fn f(n) {\n"
                                    "    var q = new Link(null, n);\n"
                                    "    var p = new Link(q, 1);\n"
                                    "    return p.next.v + p.v;\n"
                                    "}\n");
    ck_assert_int_ge(result.removed, 1); /* f, and its copy where main inlined it */
    ck_assert_int_eq(allocs_in(result.virtualized, "f"), 1);
    ck_assert_int_eq(assert_same_results(&result, "f", 0, 2), 3);
    versions_free(&result);
}
END_TEST

START_TEST(an_object_compared_with_another_stays) {
    Versions result = point_versions("fn f(n) {\n"
                                     "    var p = new Point(n, 1);\n"
                                     "    var q = new Point(n, 2);\n"
                                     "    if (p == q) return 1;\n"
                                     "    return p.x + q.y;\n"
                                     "}\n");
    ck_assert_int_eq(result.removed, 0);
    ck_assert_int_eq(allocs_in(result.virtualized, "f"), 2);
    ck_assert_int_eq(assert_same_results(&result, "f", 0, 2), 6);
    versions_free(&result);
}
END_TEST

START_TEST(one_variable_for_two_objects_stays) {
    /* p is either object: neither ALLOC's register is p's only source */
    Versions result = point_versions("fn f(n) {\n"
                                     "    var p = new Point(n, 1);\n"
                                     "    if (n > 1) p = new Point(n, 2);\n"
                                     "    return p.x + p.y;\n"
                                     "}\n");
    ck_assert_int_eq(result.removed, 0);
    ck_assert_int_eq(allocs_in(result.virtualized, "f"), 2);
    ck_assert_int_eq(assert_same_results(&result, "f", 0, 3), 6);
    versions_free(&result);
}
END_TEST

START_TEST(a_reference_field_live_across_a_call_stays) {
    /* p.next holds the object deep returns, and is read after another
     * call, which can collect: a word in a register would not be updated */
    Versions result = link_versions("fn f(n) {\n"
                                    "    var p = new Link(deep(n), n);\n"
                                    "    var d = depth(n);\n"
                                    "    return p.next.v + p.v + d;\n"
                                    "}\n");
    ck_assert_int_eq(result.removed, 0);
    ck_assert_int_eq(allocs_in(result.virtualized, "f"), 1);
    /* the Link of f, and the one of deep, per run */
    ck_assert_int_eq(assert_same_results(&result, "f", 0, 3), 4 + 4);
    versions_free(&result);
}
END_TEST

START_TEST(a_reference_field_read_before_any_call_is_removed) {
    /* the same object, its words read before the call: nothing of it is
     * live across the call */
    Versions result = link_versions("fn f(n) {\n"
                                    "    var p = new Link(deep(n), n);\n"
                                    "    var v = p.next.v + p.v;\n"
                                    "    return v + depth(n);\n"
                                    "}\n");
    ck_assert_int_ge(result.removed, 1); /* f, and its copy where main inlined it */
    ck_assert_int_eq(allocs_in(result.virtualized, "f"), 0);
    ck_assert_int_eq(assert_same_results(&result, "f", 0, 3), 4);
    versions_free(&result);
}
END_TEST

/* ---- functions built by hand ---------------------------------------------------------- */

typedef TestLowBuilt Built;

static LowValue built_alloc(Built *result, int reg) {
    LowBuilder *builder = &result->builder;
    LowValue object = low_emit_prim(builder, LOW_PRIM_ALLOC, LOW_PTR, 2, low_int(100), low_int(16));
    low_result_into(builder, object, reg);
    return low_reg_value(result->func, reg);
}

START_TEST(an_alias_of_an_earlier_iteration_stays) {
    /*   b0: i = 0; sum = 0
     *   b1: r = alloc; [r + 8] = i; br i == 0, b2, b3
     *   b2: x = r                  (the first object only)
     *   b3: sum += [x + 8] when i != 0; i++; br i < n, b1, b4
     *   b4: return sum             (0: x stays the first object) */
    Built function = test_low_built();
    LowBuilder *builder = &function.builder;
    LowFunc *func = function.func;
    LowValue n = low_reg_value(func, 0);
    int i = low_new_reg(func, LOW_I64), sum = low_new_reg(func, LOW_I64);
    int object = low_new_reg(func, LOW_PTR), alias = low_new_reg(func, LOW_PTR);
    builder->first_temporary = func->regs.count;
    int loop = low_new_block(func, NULL), first = low_new_block(func, NULL);
    int later = low_new_block(func, NULL), next = low_new_block(func, NULL);
    int done = low_new_block(func, NULL);
    low_emit_copy(builder, i, low_int(0));
    low_emit_copy(builder, sum, low_int(0));
    low_term_goto(builder, loop);
    low_set_block(builder, loop);
    low_emit_store(builder, LOW_I64, built_alloc(&function, object), 8, low_reg_value(func, i));
    LowValue is_first = low_emit_binary(builder, LOW_BIN_EQ, low_reg_value(func, i), low_int(0));
    low_term_branch(builder, is_first, first, later, LOW_HINT_NONE);
    low_set_block(builder, first);
    low_emit_copy(builder, alias, low_reg_value(func, object));
    low_term_goto(builder, next);
    low_set_block(builder, later);
    LowValue word = low_emit_load(builder, LOW_I64, low_reg_value(func, alias), 8);
    low_result_into(builder, low_emit_binary(builder, LOW_BIN_ADD, low_reg_value(func, sum), word),
                    sum);
    low_term_goto(builder, next);
    low_set_block(builder, next);
    low_result_into(builder,
                    low_emit_binary(builder, LOW_BIN_ADD, low_reg_value(func, i), low_int(1)), i);
    LowValue again = low_emit_binary(builder, LOW_BIN_LT, low_reg_value(func, i), n);
    low_term_branch(builder, again, loop, done, LOW_HINT_NONE);
    low_set_block(builder, done);
    low_term_return(builder, low_reg_value(func, sum));
    test_low_verifies(function.program);
    ck_assert_int_eq(run_function(function.program, "f", 4).result, 0);
    ck_assert_int_eq(transform_virtualize(function.program), 0);
    test_low_verifies(function.program);
    ck_assert_int_eq(run_function(function.program, "f", 4).result, 0);
    low_program_free(function.program);
}
END_TEST

START_TEST(a_reload_of_another_slot_stays) {
    /* r and q spilled to slots 0 and 1; r reloaded from slot 1 is q */
    Built function = test_low_built();
    LowBuilder *builder = &function.builder;
    LowFunc *func = function.func;
    int object = low_new_reg(func, LOW_PTR), other = low_new_reg(func, LOW_PTR);
    builder->first_temporary = func->regs.count;
    low_emit_store(builder, LOW_I64, built_alloc(&function, other), 8, low_int(5));
    low_emit_store(builder, LOW_I64, built_alloc(&function, object), 8, low_reg_value(func, 0));
    low_emit_prim(builder, LOW_PRIM_SPILL_CHECK, LOW_VOID, 1, low_int(2));
    low_emit_prim(builder, LOW_PRIM_ROOT_STORE, LOW_VOID, 2, low_int(0),
                  low_reg_value(func, object));
    low_emit_prim(builder, LOW_PRIM_ROOT_STORE, LOW_VOID, 2, low_int(1),
                  low_reg_value(func, other));
    low_emit_prim(builder, LOW_PRIM_ROOT_ADJUST, LOW_VOID, 1, low_int(2));
    low_emit_prim(builder, LOW_PRIM_ROOT_ADJUST, LOW_VOID, 1, low_int(-2));
    low_result_into(builder, low_emit_prim(builder, LOW_PRIM_ROOT_LOAD, LOW_PTR, 1, low_int(1)),
                    object);
    low_term_return(builder, low_emit_load(builder, LOW_I64, low_reg_value(func, object), 8));
    test_low_verifies(function.program);
    ck_assert_int_eq(run_function(function.program, "f", 9).result, 5);
    ck_assert_int_eq(transform_virtualize(function.program), 0);
    test_low_verifies(function.program);
    ck_assert_int_eq(run_function(function.program, "f", 9).result, 5);
    low_program_free(function.program);
}
END_TEST

START_TEST(a_reload_of_its_own_slot_is_removed) {
    /* the same function, r reloaded from its own slot 0 */
    Built function = test_low_built();
    LowBuilder *builder = &function.builder;
    LowFunc *func = function.func;
    int object = low_new_reg(func, LOW_PTR);
    builder->first_temporary = func->regs.count;
    low_emit_store(builder, LOW_I64, built_alloc(&function, object), 8, low_reg_value(func, 0));
    low_emit_prim(builder, LOW_PRIM_SPILL_CHECK, LOW_VOID, 1, low_int(1));
    low_emit_prim(builder, LOW_PRIM_ROOT_STORE, LOW_VOID, 2, low_int(0),
                  low_reg_value(func, object));
    low_emit_prim(builder, LOW_PRIM_ROOT_ADJUST, LOW_VOID, 1, low_int(1));
    low_emit_prim(builder, LOW_PRIM_WRITE_BARRIER, LOW_VOID, 1, low_reg_value(func, object));
    low_emit_prim(builder, LOW_PRIM_ROOT_ADJUST, LOW_VOID, 1, low_int(-1));
    low_result_into(builder, low_emit_prim(builder, LOW_PRIM_ROOT_LOAD, LOW_PTR, 1, low_int(0)),
                    object);
    low_term_return(builder, low_emit_load(builder, LOW_I64, low_reg_value(func, object), 8));
    ck_assert_int_eq(transform_virtualize(function.program), 1);
    test_low_verifies(function.program);
    Run run = run_function(function.program, "f", 9);
    ck_assert_int_eq(run.result, 9);
    ck_assert_int_eq(run.allocations, 0);
    low_program_free(function.program);
}
END_TEST

static Suite *virtualize_suite(void) {
    Suite *suite = suite_create("virtualize");
    TCase *removed = tcase_create("removed");
    tcase_set_timeout(removed, 60);
    tcase_add_test(removed, a_local_object_is_removed);
    tcase_add_test(removed, the_spill_slot_stays_and_holds_null);
    tcase_add_test(removed, null_and_type_tests_of_a_removed_object_are_known);
    tcase_add_test(removed, an_object_in_a_loop_is_removed);
    tcase_add_test(removed, float_fields_are_removed);
    tcase_add_test(removed, an_int_field_live_across_a_call_is_removed);
    tcase_add_test(removed, a_str_field_is_a_word_converted_at_its_accesses);
    tcase_add_test(removed, a_reference_field_read_before_any_call_is_removed);
    tcase_add_test(removed, a_reload_of_its_own_slot_is_removed);
    suite_add_tcase(suite, removed);
    TCase *kept = tcase_create("kept");
    tcase_set_timeout(kept, 60);
    tcase_add_test(kept, an_object_passed_to_a_call_stays);
    tcase_add_test(kept, a_returned_object_stays);
    tcase_add_test(kept, an_object_stored_into_a_list_stays);
    tcase_add_test(kept, an_object_stored_into_another_stays);
    tcase_add_test(kept, an_object_compared_with_another_stays);
    tcase_add_test(kept, one_variable_for_two_objects_stays);
    tcase_add_test(kept, a_reference_field_live_across_a_call_stays);
    tcase_add_test(kept, an_alias_of_an_earlier_iteration_stays);
    tcase_add_test(kept, a_reload_of_another_slot_stays);
    suite_add_tcase(suite, kept);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(virtualize_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
