/* test_optimize.c - inlining and constant folding on low-level graphs
 * (transform/optimize.h).
 *
 * Inlining runs on programs lowered from Kiln C text, and the tests read
 * the dump and the instructions of the caller: the call is gone, the
 * callee's checks are there, recursive functions stay calls, the copied
 * raise paths name frame markers of their own, positions stay the
 * callee's.  Folding runs on functions built with the LowBuilder, one
 * operation at a time, so that every operator and every case that must
 * not fold is named by its operands.  Every result must pass low_verify. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_pipeline_support.h"
#include "transform/lower.h"
#include "transform/optimize.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct Optimized {
    TestPipeline *pipeline;
    LowProgram *low;
    int inlined;
    int folds;
} Optimized;

/* Lowers `text`; inlines with `size_limit` (none when negative), then
 * folds when `fold`. */
static Optimized optimized(const char *text, int size_limit, bool fold) {
    Optimized result = {test_pipeline_transform(text), NULL, 0, 0};
    result.low = test_pipeline_lower(result.pipeline);
    if (size_limit >= 0) result.inlined = transform_inline(result.low, size_limit);
    if (fold) result.folds = transform_fold(result.low);
    test_low_verifies(result.low);
    return result;
}

static void optimized_free(Optimized *result) {
    low_program_free(result->low);
    test_pipeline_free(result->pipeline);
}

/* "call @NAME(" for the function `name`. */
static void call_text(const LowProgram *low, const char *name, char *text, size_t size) {
    snprintf(text, size, "call @%s(", test_low_function(low, name)->name);
}

static const char program[] = "fn get(xs, i) { return xs[i]; }\n"
                              "fn fact(n) { if (n <= 1) return 1; return n * fact(n - 1); }\n"
                              "fn caller(xs) { return get(xs, 0) + get(xs, 1); }\n"
                              "fn scale(x, k) { if (k == 0) return 0; return x * k; }\n"
                              "fn main(args) {\n"
                              "    var xs = [1, 2, 3];\n"
                              "    print(caller(xs) + fact(5) + scale(len(args), 3));\n"
                              "}\n";

/* ---- inlining ------------------------------------------------------------------- */

START_TEST(a_small_function_is_inlined) {
    Optimized result = optimized(program, TRANSFORM_INLINE_SIZE_LIMIT, false);
    char call[128];
    call_text(result.low, "get", call, sizeof call);
    char *caller = test_low_function_dump(result.low, "caller");
    ck_assert_msg(strstr(caller, call) == NULL, "the call stays:\n%s", caller);
    /* the callee's bounds check and raise path, once per site */
    ck_assert_int_eq(test_count_of(caller, "c\"list index out of range"), 2);
    ck_assert_int_eq(test_count_of(caller, "call @rt_trace_frame(c\"get\""), 2);
    ck_assert_msg(strstr(caller, "; get: entry") != NULL, "%s", caller);
    ck_assert_int_ge(result.inlined, 2);
    free(caller);
    optimized_free(&result);
}
END_TEST

START_TEST(the_callee_stays_as_it_was) {
    Optimized plain = optimized(program, -1, false);
    Optimized result = optimized(program, TRANSFORM_INLINE_SIZE_LIMIT, false);
    ck_assert_int_eq(result.low->funcs.count, plain.low->funcs.count);
    char *before = test_low_function_dump(plain.low, "get");
    char *after = test_low_function_dump(result.low, "get");
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
    optimized_free(&plain);
    optimized_free(&result);
}
END_TEST

START_TEST(a_function_that_checks_the_stack_is_not_inlined) {
    Optimized result = optimized(program, 1000, false);
    char call[128];
    call_text(result.low, "fact", call, sizeof call);
    char *fact = test_low_function_dump(result.low, "fact");
    ck_assert_msg(strstr(fact, "stack_check") != NULL, "%s", fact);
    ck_assert_msg(strstr(fact, call) != NULL, "fact keeps its recursive call:\n%s", fact);
    char *main_dump = test_low_function_dump(result.low, "main");
    ck_assert_msg(strstr(main_dump, call) != NULL, "main keeps its call of fact:\n%s", main_dump);
    ck_assert_msg(strstr(main_dump, "stack_check") == NULL, "%s", main_dump);
    free(fact);
    free(main_dump);
    optimized_free(&result);
}
END_TEST

START_TEST(a_function_over_the_limit_is_not_inlined) {
    Optimized result = optimized(program, 0, false);
    ck_assert_int_eq(result.inlined, 0);
    char call[128];
    call_text(result.low, "get", call, sizeof call);
    char *caller = test_low_function_dump(result.low, "caller");
    ck_assert_int_eq(test_count_of(caller, call), 2);
    free(caller);
    optimized_free(&result);
}
END_TEST

/* The marker of the FRAME_ADDRESS that assigns `reg` in `func`. */
static int marker_of(const LowFunc *func, int reg) {
    for (int b = 0; b < func->blocks.count; b++)
        for (int i = 0; i < func->blocks.items[b].insts.count; i++) {
            const LowInst *inst = &func->blocks.items[b].insts.items[i];
            if (inst->result != reg) continue;
            ck_assert_int_eq(inst->opcode, LOW_PRIM);
            ck_assert_int_eq(inst->sub, LOW_PRIM_FRAME_ADDRESS);
            return inst->arg_count > 0 ? (int)inst->args[0].bits : 0;
        }
    ck_abort_msg("no frame_address assigns r%d", reg);
    return -1;
}

START_TEST(inlined_raise_paths_use_frame_markers_of_their_own) {
    Optimized result = optimized(program, TRANSFORM_INLINE_SIZE_LIMIT, false);
    const LowFunc *caller = test_low_function(result.low, "caller");
    int trace = low_symbol_find(result.low, "rt_trace_frame");
    ck_assert_int_ge(trace, 0);
    int own = 0, inlined = 0, markers[2] = {-1, -1};
    for (int b = 0; b < caller->blocks.count; b++)
        for (int i = 0; i < caller->blocks.items[b].insts.count; i++) {
            const LowInst *inst = &caller->blocks.items[b].insts.items[i];
            if (inst->opcode != LOW_CALL || inst->callee.kind != LOW_VALUE_SYMBOL ||
                inst->callee.index != trace)
                continue;
            const char *function = result.low->cstrings.items[inst->args[0].index];
            int marker = marker_of(caller, inst->args[3].index);
            if (strcmp(function, "caller") == 0) {
                ck_assert_int_eq(marker, 0);
                own++;
            } else {
                ck_assert_str_eq(function, "get");
                ck_assert_int_gt(marker, 0);
                /* both raise paths of one copy share its marker; the two
                 * copies (the two sites) differ */
                if (markers[0] < 0 || markers[0] == marker)
                    markers[0] = marker;
                else
                    markers[1] = marker;
                inlined++;
            }
        }
    ck_assert_int_gt(own, 0);
    ck_assert_int_eq(inlined, 2);
    ck_assert_int_gt(markers[1], 0);
    ck_assert_int_ne(markers[0], markers[1]);
    optimized_free(&result);
}
END_TEST

START_TEST(inlined_instructions_keep_the_callee_lines) {
    Optimized result = optimized(program, TRANSFORM_INLINE_SIZE_LIMIT, false);
    const LowFunc *caller = test_low_function(result.low, "caller");
    int copied = 0;
    for (int b = 0; b < caller->blocks.count; b++) {
        const LowBlock *block = &caller->blocks.items[b];
        if (!block->comment || strncmp(block->comment, "get", 3) != 0) continue;
        for (int i = 0; i < block->insts.count; i++) {
            const LowInst *inst = &block->insts.items[i];
            /* the result's copy takes the return's line, which is get's */
            ck_assert_int_eq(inst->pos.line, 1);
            copied++;
        }
    }
    ck_assert_int_gt(copied, 0);
    optimized_free(&result);
}
END_TEST

START_TEST(what_follows_the_call_moves_to_a_continuation) {
    Optimized plain = optimized(program, -1, false);
    Optimized result = optimized(program, TRANSFORM_INLINE_SIZE_LIMIT, false);
    char *before = test_low_function_dump(plain.low, "caller");
    char *after = test_low_function_dump(result.low, "caller");
    /* the sum of both results, and caller's own exception tests and
     * returns, survive; the copies return nothing themselves */
    ck_assert_msg(strstr(after, " = add r") != NULL, "%s", after);
    ck_assert_int_eq(test_count_of(after, "exception_pending"),
                     test_count_of(before, "exception_pending"));
    ck_assert_int_eq(test_count_of(after, "\n    return"), test_count_of(before, "\n    return"));
    /* a normal return of each copy skips the exception test after the
     * call: only a raise path of the copy reaches it */
    ck_assert_int_eq(test_count_of(after, "; normal return\n"), 2);
    /* and get's blocks are there twice, each with its terminator, and
     * each copy has a continuation and a normal-return block */
    char *get = test_low_function_dump(plain.low, "get");
    ck_assert_int_eq(test_count_of(after, "unreachable"),
                     test_count_of(before, "unreachable") + 2 * test_count_of(get, "unreachable"));
    ck_assert_int_eq(test_count_of(after, "\nb"),
                     test_count_of(before, "\nb") + 2 * test_count_of(get, "\nb") + 2 * 2);
    free(get);
    free(before);
    free(after);
    optimized_free(&plain);
    optimized_free(&result);
}
END_TEST

START_TEST(inlining_then_folding_removes_a_branch_on_an_argument) {
    Optimized plain = optimized(program, TRANSFORM_INLINE_SIZE_LIMIT, false);
    Optimized result = optimized(program, TRANSFORM_INLINE_SIZE_LIMIT, true);
    ck_assert_int_gt(result.folds, 0);
    char *before = test_low_function_dump(plain.low, "main");
    char *after = test_low_function_dump(result.low, "main");
    /* scale's `k == 0` with k = 3 folds, then its branch, then the dead
     * `return 0` path; x * k multiplies by the constant */
    ck_assert_msg(strstr(before, "; scale") != NULL, "%s", before);
    ck_assert_int_lt(test_count_of(after, "br "), test_count_of(before, "br "));
    ck_assert_msg(strstr(after, ", 3\n") != NULL, "%s", after);
    free(before);
    free(after);
    optimized_free(&plain);
    optimized_free(&result);
}
END_TEST

/* ---- folding, one operation at a time ----------------------------------------------- */

/* A function f(r0: i64) whose block 0 computes one operation into a
 * register and returns it. */
typedef TestLowBuilt Built;

static void built_return(Built *result, LowValue value) {
    result->func->result = value.type;
    low_term_return(&result->builder, value);
}

/* Folds; the first instruction of block 0, whether it became a COPY, and
 * what the return gives. */
typedef struct Folded {
    bool folded;
    LowValue value;
    LowValue returned;
    int folds;
} Folded;

static Folded fold_built(Built *result) {
    Folded folded = {0};
    folded.folds = transform_fold(result->program);
    test_low_verifies(result->program);
    const LowBlock *entry = &result->func->blocks.items[0];
    folded.folded = entry->insts.items[0].opcode == LOW_COPY;
    folded.value = entry->insts.items[0].args[0];
    folded.returned = entry->term.value;
    low_program_free(result->program);
    return folded;
}

typedef struct BinaryCase {
    LowBinop op;
    LowValue left, right;
    bool folds;
    LowValue expected;
} BinaryCase;

#define INT(bits)                                                                                  \
    { LOW_VALUE_INT, LOW_I64, 0, (bits), 0 }
#define FLOAT(x)                                                                                   \
    { LOW_VALUE_FLOAT, LOW_F64, 0, 0, (x) }
#define NULL_VALUE                                                                                 \
    { LOW_VALUE_NULL, LOW_PTR, 0, 0, 0 }
#define NOTHING                                                                                    \
    { LOW_VALUE_NONE, LOW_VOID, 0, 0, 0 }

static const BinaryCase binary_cases[] = {
    /* wrapping int arithmetic */
    {LOW_BIN_ADD, INT(INT64_MAX), INT(1), true, INT(INT64_MIN)},
    {LOW_BIN_SUB, INT(INT64_MIN), INT(1), true, INT(INT64_MAX)},
    {LOW_BIN_MUL, INT(INT64_MAX), INT(2), true, INT(-2)},
    {LOW_BIN_SDIV, INT(-7), INT(2), true, INT(-3)},
    {LOW_BIN_SREM, INT(-7), INT(2), true, INT(-1)},
    {LOW_BIN_AND, INT(12), INT(10), true, INT(8)},
    {LOW_BIN_OR, INT(12), INT(10), true, INT(14)},
    {LOW_BIN_XOR, INT(12), INT(10), true, INT(6)},
    {LOW_BIN_SHL, INT(1), INT(63), true, INT(INT64_MIN)},
    {LOW_BIN_ASHR, INT(-8), INT(1), true, INT(-4)},
    {LOW_BIN_ASHR, INT(-1), INT(63), true, INT(-1)},
    /* comparisons give 0 or 1; ULT and UGE are unsigned */
    {LOW_BIN_LT, INT(-1), INT(1), true, INT(1)},
    {LOW_BIN_GE, INT(-1), INT(1), true, INT(0)},
    {LOW_BIN_EQ, INT(5), INT(5), true, INT(1)},
    {LOW_BIN_NE, INT(5), INT(5), true, INT(0)},
    {LOW_BIN_LE, INT(5), INT(5), true, INT(1)},
    {LOW_BIN_GT, INT(5), INT(5), true, INT(0)},
    {LOW_BIN_ULT, INT(-1), INT(1), true, INT(0)},
    {LOW_BIN_UGE, INT(-1), INT(1), true, INT(1)},
    {LOW_BIN_PTR_EQ, NULL_VALUE, NULL_VALUE, true, INT(1)},
    {LOW_BIN_PTR_NE, NULL_VALUE, NULL_VALUE, true, INT(0)},
    /* IEEE doubles */
    {LOW_BIN_FADD, FLOAT(1.5), FLOAT(2.25), true, FLOAT(3.75)},
    {LOW_BIN_FSUB, FLOAT(1.5), FLOAT(2.25), true, FLOAT(-0.75)},
    {LOW_BIN_FMUL, FLOAT(1.5), FLOAT(-2.0), true, FLOAT(-3.0)},
    {LOW_BIN_FDIV, FLOAT(1.0), FLOAT(0.0), true, FLOAT(INFINITY)},
    {LOW_BIN_FLT, FLOAT(1.0), FLOAT(2.0), true, INT(1)},
    {LOW_BIN_FGE, FLOAT(1.0), FLOAT(2.0), true, INT(0)},
    {LOW_BIN_FEQ, FLOAT(NAN), FLOAT(NAN), true, INT(0)},
    {LOW_BIN_FNE, FLOAT(NAN), FLOAT(NAN), true, INT(1)},
    {LOW_BIN_FLE, FLOAT(NAN), FLOAT(1.0), true, INT(0)},
    {LOW_BIN_FGT, FLOAT(2.0), FLOAT(1.0), true, INT(1)},
    /* never folded: what the backends must not compute, what has no
     * constant, what is not constant */
    {LOW_BIN_SDIV, INT(7), INT(0), false, NOTHING},
    {LOW_BIN_SREM, INT(7), INT(0), false, NOTHING},
    {LOW_BIN_SDIV, INT(INT64_MIN), INT(-1), false, NOTHING},
    {LOW_BIN_SREM, INT(INT64_MIN), INT(-1), false, NOTHING},
    {LOW_BIN_SHL, INT(1), INT(64), false, NOTHING},
    {LOW_BIN_SHL, INT(1), INT(-1), false, NOTHING},
    {LOW_BIN_ASHR, INT(1), INT(64), false, NOTHING},
    {LOW_BIN_FDIV, FLOAT(0.0), FLOAT(0.0), false, NOTHING},
    {LOW_BIN_FADD, FLOAT(INFINITY), FLOAT(-INFINITY), false, NOTHING},
};

static void assert_same_constant(LowValue got, LowValue expected) {
    ck_assert_int_eq(got.kind, expected.kind);
    ck_assert_int_eq(got.type, expected.type);
    if (expected.kind == LOW_VALUE_INT) ck_assert_int_eq(got.bits, expected.bits);
    if (expected.kind == LOW_VALUE_FLOAT) {
        ck_assert_msg(got.number == expected.number ||
                          (isnan(got.number) && isnan(expected.number)),
                      "%g, expected %g", got.number, expected.number);
        ck_assert_int_eq(signbit(got.number) != 0, signbit(expected.number) != 0);
    }
}

START_TEST(binary_operations_on_constants_fold) {
    const BinaryCase *test = &binary_cases[_i];
    Built function = test_low_built();
    LowValue result = low_emit_binary(&function.builder, test->op, test->left, test->right);
    built_return(&function, result);
    Folded folded = fold_built(&function);
    ck_assert_msg(folded.folded == test->folds, "case %d", _i);
    if (!test->folds) {
        ck_assert_int_eq(folded.folds, 0);
        ck_assert_int_eq(folded.returned.kind, LOW_VALUE_REG);
        return;
    }
    ck_assert_int_eq(folded.folds, 1);
    assert_same_constant(folded.value, test->expected);
    /* the result's single assignment is propagated into the return */
    assert_same_constant(folded.returned, test->expected);
}
END_TEST

typedef struct UnaryCase {
    LowUnop op;
    LowValue operand;
    bool folds;
    LowValue expected;
} UnaryCase;

static const UnaryCase unary_cases[] = {
    {LOW_UN_NEG, INT(5), true, INT(-5)},
    {LOW_UN_NEG, INT(INT64_MIN), true, INT(INT64_MIN)},
    {LOW_UN_INVERT, INT(0), true, INT(-1)},
    {LOW_UN_NOT, INT(0), true, INT(1)},
    {LOW_UN_NOT, INT(7), true, INT(0)},
    {LOW_UN_NOT, NULL_VALUE, true, INT(1)},
    {LOW_UN_FNEG, FLOAT(0.0), true, FLOAT(-0.0)},
    {LOW_UN_INT_TO_FLOAT, INT(-3), true, FLOAT(-3.0)},
    {LOW_UN_BITS_OF_FLOAT, FLOAT(1.0), true, INT(0x3ff0000000000000)},
    {LOW_UN_FLOAT_OF_BITS, INT(0x4000000000000000), true, FLOAT(2.0)},
    {LOW_UN_PTR_TO_INT, NULL_VALUE, true, INT(0)},
    {LOW_UN_INT_TO_PTR, INT(0), true, NULL_VALUE},
    /* an address other than null has no constant; NaNs are not folded */
    {LOW_UN_INT_TO_PTR, INT(8), false, NOTHING},
    {LOW_UN_FLOAT_OF_BITS, INT(0x7ff8000000000001), false, NOTHING},
    {LOW_UN_BITS_OF_FLOAT, FLOAT(NAN), false, NOTHING},
};

START_TEST(unary_operations_on_constants_fold) {
    const UnaryCase *test = &unary_cases[_i];
    Built function = test_low_built();
    LowValue result = low_emit_unary(&function.builder, test->op, test->operand);
    built_return(&function, result);
    Folded folded = fold_built(&function);
    ck_assert_msg(folded.folded == test->folds, "case %d", _i);
    if (!test->folds) {
        ck_assert_int_eq(folded.folds, 0);
        return;
    }
    assert_same_constant(folded.value, test->expected);
    assert_same_constant(folded.returned, test->expected);
}
END_TEST

START_TEST(a_select_on_a_constant_becomes_a_copy_of_its_choice) {
    Built function = test_low_built();
    LowValue result = low_emit_select(&function.builder, low_int(0), low_int(10), low_int(20));
    built_return(&function, result);
    Folded folded = fold_built(&function);
    ck_assert(folded.folded);
    assert_same_constant(folded.value, (LowValue)INT(20));

    /* the chosen operand need not be a constant */
    function = test_low_built();
    LowValue param = low_reg_value(function.func, 0);
    result = low_emit_select(&function.builder, low_int(1), param, low_int(20));
    built_return(&function, result);
    folded = fold_built(&function);
    ck_assert(folded.folded);
    ck_assert_int_eq(folded.value.kind, LOW_VALUE_REG);
    ck_assert_int_eq(folded.value.index, 0);
}
END_TEST

START_TEST(constants_propagate_through_single_assignments) {
    Built function = test_low_built();
    LowBuilder *builder = &function.builder;
    int five = low_new_reg(function.func, LOW_I64);
    low_emit_copy(builder, five, low_int(5));
    LowValue six =
        low_emit_binary(builder, LOW_BIN_ADD, low_reg_value(function.func, five), low_int(1));
    LowValue product = low_emit_binary(builder, LOW_BIN_MUL, six, low_reg_value(function.func, 0));
    built_return(&function, product);
    ck_assert_int_eq(transform_fold(function.program), 1);
    test_low_verifies(function.program);
    const LowBlock *entry = &function.func->blocks.items[0];
    ck_assert_int_eq(entry->insts.items[1].opcode, LOW_COPY);
    assert_same_constant(entry->insts.items[1].args[0], (LowValue)INT(6));
    /* the parameter is not a constant: the product stays, on 6 */
    ck_assert_int_eq(entry->insts.items[2].opcode, LOW_BINARY);
    assert_same_constant(entry->insts.items[2].args[0], (LowValue)INT(6));
    ck_assert_int_eq(entry->insts.items[2].args[1].kind, LOW_VALUE_REG);
    low_program_free(function.program);
}
END_TEST

START_TEST(a_register_assigned_twice_is_not_propagated) {
    Built function = test_low_built();
    LowBuilder *builder = &function.builder;
    LowFunc *func = function.func;
    int value = low_new_reg(func, LOW_I64);
    int other = low_new_block(func, NULL);
    int join = low_new_block(func, NULL);
    low_emit_copy(builder, value, low_int(5));
    low_term_branch(builder, low_reg_value(func, 0), other, join, LOW_HINT_NONE);
    low_set_block(builder, other);
    low_emit_copy(builder, value, low_int(6));
    low_term_goto(builder, join);
    low_set_block(builder, join);
    built_return(&function, low_reg_value(func, value));
    ck_assert_int_eq(transform_fold(function.program), 0);
    test_low_verifies(function.program);
    ck_assert_int_eq(func->blocks.items[join].term.value.kind, LOW_VALUE_REG);
    low_program_free(function.program);
}
END_TEST

START_TEST(a_use_its_assignment_does_not_dominate_is_not_propagated) {
    Built function = test_low_built();
    LowBuilder *builder = &function.builder;
    LowFunc *func = function.func;
    int value = low_new_reg(func, LOW_I64);
    int assign = low_new_block(func, NULL);
    int join = low_new_block(func, NULL);
    low_term_branch(builder, low_reg_value(func, 0), assign, join, LOW_HINT_NONE);
    low_set_block(builder, assign);
    low_emit_copy(builder, value, low_int(5));
    low_term_goto(builder, join);
    low_set_block(builder, join);
    /* on the path from b0, the register still holds its initial value */
    LowValue sum = low_emit_binary(builder, LOW_BIN_ADD, low_reg_value(func, value), low_int(1));
    built_return(&function, sum);
    ck_assert_int_eq(transform_fold(function.program), 0);
    test_low_verifies(function.program);
    const LowInst *add = &func->blocks.items[join].insts.items[0];
    ck_assert_int_eq(add->opcode, LOW_BINARY);
    ck_assert_int_eq(add->args[0].kind, LOW_VALUE_REG);
    low_program_free(function.program);
}
END_TEST

START_TEST(a_branch_on_a_constant_becomes_a_goto) {
    Built function = test_low_built();
    LowBuilder *builder = &function.builder;
    LowFunc *func = function.func;
    int yes = low_new_block(func, NULL);
    int no = low_new_block(func, NULL);
    LowValue less = low_emit_binary(builder, LOW_BIN_LT, low_int(1), low_int(2));
    low_term_branch(builder, less, yes, no, LOW_HINT_NONE);
    low_set_block(builder, yes);
    low_term_return(builder, low_int(10));
    low_set_block(builder, no);
    low_emit_runtime(builder, "rt_raise", 3, low_thread(), low_int(1),
                     low_cstring_value(function.program, "no"));
    low_term_return(builder, low_int(20));
    ck_assert_int_eq(transform_fold(function.program), 2);
    test_low_verifies(function.program);
    const LowTerm *entry = &func->blocks.items[0].term;
    ck_assert_int_eq(entry->kind, LOW_TERM_GOTO);
    ck_assert_int_eq(entry->targets[0], yes);
    /* the dead block is emptied, its number kept */
    ck_assert_int_eq(func->blocks.count, 3);
    ck_assert_int_eq(func->blocks.items[no].insts.count, 0);
    ck_assert_int_eq(func->blocks.items[no].term.kind, LOW_TERM_UNREACHABLE);
    ck_assert_int_eq(func->blocks.items[yes].term.kind, LOW_TERM_RETURN);
    low_program_free(function.program);
}
END_TEST

START_TEST(a_switch_on_a_constant_becomes_a_goto) {
    Built function = test_low_built();
    LowBuilder *builder = &function.builder;
    LowFunc *func = function.func;
    int blocks[3];
    for (int i = 0; i < 3; i++)
        blocks[i] = low_new_block(func, NULL);
    int subject = low_new_reg(func, LOW_I64);
    low_emit_copy(builder, subject, low_int(3));
    int64_t cases[2] = {1, 3};
    low_term_switch(builder, low_reg_value(func, subject), cases, blocks, 2);
    for (int i = 0; i < 3; i++) {
        low_set_block(builder, blocks[i]);
        low_term_return(builder, low_int(i));
    }
    ck_assert_int_eq(transform_fold(function.program), 1);
    test_low_verifies(function.program);
    const LowTerm *entry = &func->blocks.items[0].term;
    ck_assert_int_eq(entry->kind, LOW_TERM_GOTO);
    ck_assert_int_eq(entry->targets[0], blocks[1]);
    ck_assert_int_eq(func->blocks.items[blocks[0]].term.kind, LOW_TERM_UNREACHABLE);
    ck_assert_int_eq(func->blocks.items[blocks[2]].term.kind, LOW_TERM_UNREACHABLE);
    low_program_free(function.program);
}
END_TEST

START_TEST(a_constant_division_by_zero_still_raises) {
    /* once quotient is inlined, its divisor is the constant 0: the
     * lowering's zero test folds to a jump to ZeroDivisionError, which
     * must stay, and the division it guards is never computed */
    Optimized result = optimized("fn quotient(a, b) { return a / b; }\n"
                                 "fn main() { print(quotient(7, 0)); }\n",
                                 TRANSFORM_INLINE_SIZE_LIMIT, true);
    char *main_dump = test_low_function_dump(result.low, "main");
    ck_assert_msg(strstr(main_dump, "call @rt_raise(th, ") != NULL, "%s", main_dump);
    ck_assert_msg(strstr(main_dump, "c\"integer division by zero\"") != NULL, "%s", main_dump);
    const LowFunc *func = test_low_function(result.low, "main");
    for (int b = 0; b < func->blocks.count; b++)
        for (int i = 0; i < func->blocks.items[b].insts.count; i++) {
            const LowInst *inst = &func->blocks.items[b].insts.items[i];
            if (inst->opcode == LOW_BINARY && inst->sub == LOW_BIN_SDIV)
                ck_assert_int_ne(inst->args[1].kind, LOW_VALUE_INT);
        }
    free(main_dump);
    optimized_free(&result);
}
END_TEST

static Suite *optimize_suite(void) {
    Suite *suite = suite_create("optimize");
    TCase *inlining = tcase_create("inline");
    tcase_set_timeout(inlining, 60);
    tcase_add_test(inlining, a_small_function_is_inlined);
    tcase_add_test(inlining, the_callee_stays_as_it_was);
    tcase_add_test(inlining, a_function_that_checks_the_stack_is_not_inlined);
    tcase_add_test(inlining, a_function_over_the_limit_is_not_inlined);
    tcase_add_test(inlining, inlined_raise_paths_use_frame_markers_of_their_own);
    tcase_add_test(inlining, inlined_instructions_keep_the_callee_lines);
    tcase_add_test(inlining, what_follows_the_call_moves_to_a_continuation);
    tcase_add_test(inlining, inlining_then_folding_removes_a_branch_on_an_argument);
    suite_add_tcase(suite, inlining);
    TCase *folding = tcase_create("fold");
    tcase_add_loop_test(folding, binary_operations_on_constants_fold, 0,
                        (int)(sizeof binary_cases / sizeof binary_cases[0]));
    tcase_add_loop_test(folding, unary_operations_on_constants_fold, 0,
                        (int)(sizeof unary_cases / sizeof unary_cases[0]));
    tcase_add_test(folding, a_select_on_a_constant_becomes_a_copy_of_its_choice);
    tcase_add_test(folding, constants_propagate_through_single_assignments);
    tcase_add_test(folding, a_register_assigned_twice_is_not_propagated);
    tcase_add_test(folding, a_use_its_assignment_does_not_dominate_is_not_propagated);
    tcase_add_test(folding, a_branch_on_a_constant_becomes_a_goto);
    tcase_add_test(folding, a_switch_on_a_constant_becomes_a_goto);
    tcase_add_test(folding, a_constant_division_by_zero_still_raises);
    suite_add_tcase(suite, folding);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(optimize_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
