/* test_backend_c_low.c - the C backend's printing of low-level graphs
 * (translator/backend_c/c_low.c): small LowPrograms built with the builder
 * of low.h, printed, and checked statement by statement; and a program
 * using every kind of instruction compiled by the C compiler against
 * rtlib's headers, as `kiln build` compiles the generated files. */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_c/c_internal.h"
#include "rtype/low.h"

/* ---- helpers ------------------------------------------------------------------ */

/* The printed function `func` (malloc'd), its str objects first. */
static char *print_function(const LowProgram *low, int func, const DiagContext *diag) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    ck_assert_ptr_nonnull(out);
    CLowStrings strings;
    c_low_strings_init(&strings, low);
    char *body = NULL;
    size_t body_size = 0;
    FILE *body_out = open_memstream(&body, &body_size);
    ck_assert_ptr_nonnull(body_out);
    c_emit_low_function(body_out, low, func, diag, diag != NULL, &strings);
    fclose(body_out);
    c_emit_low_strings(out, low, &strings);
    fwrite(body, 1, body_size, out);
    fclose(out);
    free(body);
    c_low_strings_free(&strings);
    return text;
}

/* Fails unless the printf-formatted line occurs in text. */
static void expect_text(const char *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void expect_text(const char *text, const char *format, ...) {
    char expected[512];
    va_list list;
    va_start(list, format);
    vsnprintf(expected, sizeof expected, format, list);
    va_end(list);
    ck_assert_msg(strstr(text, expected) != NULL, "expected\n%s\nin\n%s", expected, text);
}

static void expect_no_text(const char *text, const char *unexpected) {
    ck_assert_msg(strstr(text, unexpected) == NULL, "did not expect\n%s\nin\n%s", unexpected, text);
}

static LowValue reg(const LowBuilder *builder, int index) {
    return low_reg_value(builder->func, index);
}

static LowProgram *verified(LowProgram *low) {
    ck_assert_int_eq(low_verify(low, stderr), 0);
    return low;
}

/* int64_t sum(n): the sum of 0 .. n-1, a loop with a branch. */
static int build_sum(LowProgram *low, const char *name) {
    LowBuilder builder;
    LowType params[] = {LOW_I64};
    LowFunc *func = low_func_new(&builder, low, name, "sum", LOW_I64, params, 1);
    int total = low_new_reg(func, LOW_I64);
    int index = low_new_reg(func, LOW_I64);
    int head = low_new_block(func, "loop");
    int body = low_new_block(func, "body");
    int done = low_new_block(func, "done");
    low_emit_copy(&builder, total, low_int(0));
    low_emit_copy(&builder, index, low_int(0));
    low_term_goto(&builder, head);
    low_set_block(&builder, head);
    LowValue more = low_emit_binary(&builder, LOW_BIN_LT, reg(&builder, index), reg(&builder, 0));
    low_term_branch(&builder, more, body, done, LOW_HINT_LIKELY);
    low_set_block(&builder, body);
    low_emit_copy(
        &builder, total,
        low_emit_binary(&builder, LOW_BIN_ADD, reg(&builder, total), reg(&builder, index)));
    low_emit_copy(&builder, index,
                  low_emit_binary(&builder, LOW_BIN_ADD, reg(&builder, index), low_int(1)));
    low_term_goto(&builder, head);
    low_set_block(&builder, done);
    low_term_return(&builder, reg(&builder, total));
    return low->funcs.count - 1;
}

/* ---- whole functions ------------------------------------------------------------ */

START_TEST(loop_prints_labels_only_for_jump_targets) {
    LowProgram *low = low_program_new();
    int func = build_sum(low, "kiln_sum_1");
    verified(low);
    char *text = print_function(low, func, NULL);
    ck_assert_str_eq(text, "\n"
                           "/* sum */\n"
                           "int64_t kiln_sum_1(GcThread *th, int64_t r0) {\n"
                           "    int64_t r1 = 0, r2 = 0, r3 = 0, r4 = 0, r5 = 0;\n"
                           "    (void)th;\n"
                           "    r1 = INT64_C(0);\n"
                           "    r2 = INT64_C(0);\n"
                           "b1:; /* loop */\n"
                           "    r3 = r2 < r0;\n"
                           "    if (RT_UNLIKELY(!r3)) goto b3;\n"
                           "    r4 = (int64_t)((uint64_t)r1 + (uint64_t)r2);\n"
                           "    r1 = r4;\n"
                           "    r5 = (int64_t)((uint64_t)r2 + (uint64_t)INT64_C(1));\n"
                           "    r2 = r5;\n"
                           "    goto b1;\n"
                           "b3:; /* done */\n"
                           "    return r1;\n"
                           "}\n");
    free(text);
    low_program_free(low);
}
END_TEST

START_TEST(branches_keep_their_hints) {
    LowProgram *low = low_program_new();
    LowBuilder builder;
    LowType params[] = {LOW_I64, LOW_PTR};
    LowFunc *func = low_func_new(&builder, low, "kiln_pick", "pick", LOW_I64, params, 2);
    int b1 = low_new_block(func, NULL);
    int b2 = low_new_block(func, "raise");
    int b3 = low_new_block(func, NULL);
    int b4 = low_new_block(func, NULL);
    low_term_branch(&builder, reg(&builder, 1), b2, b3, LOW_HINT_UNLIKELY); /* neither next */
    low_set_block(&builder, b1);
    low_term_branch(&builder, reg(&builder, 0), b4, b2, LOW_HINT_NONE); /* b2 next */
    low_set_block(&builder, b2);
    low_term_return(&builder, low_int(1));
    low_set_block(&builder, b3);
    low_term_branch(&builder, reg(&builder, 0), b1, b1, LOW_HINT_LIKELY); /* both the same */
    low_set_block(&builder, b4);
    low_term_unreachable(&builder);
    verified(low);
    char *text = print_function(low, 0, NULL);
    expect_text(text, "    if (RT_UNLIKELY(r1)) goto b2; goto b3;\n");
    expect_text(text, "    if (r0) goto b4;\nb2:; /* raise */\n    return INT64_C(1);\n");
    expect_text(text, "b3:;\n    goto b1;\nb4:;\n    abort();\n");
    expect_text(text, "b1:;\n");
    expect_no_text(text, "b0:");
    expect_no_text(text, "    int64_t r");
    free(text);
    low_program_free(low);
}
END_TEST

START_TEST(prototypes_spell_machine_types) {
    LowProgram *low = low_program_new();
    LowBuilder builder;
    LowType params[] = {LOW_I64, LOW_PTR, LOW_F64};
    low_func_new(&builder, low, "kiln_f_2", "Point.move", LOW_F64, params, 3);
    low_term_return(&builder, reg(&builder, 2));
    low_func_new(&builder, low, "kiln_g_3", NULL, LOW_VOID, NULL, 0);
    low_term_return(&builder, low_none());
    low_func_new(&builder, low, "kiln_h_4", "h", LOW_PTR, NULL, 0);
    low_term_return(&builder, low_null());
    verified(low);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    for (int f = 0; f < low->funcs.count; f++) {
        c_emit_low_prototype(out, low, f);
        fputs(";\n", out);
    }
    fclose(out);
    ck_assert_str_eq(text, "double kiln_f_2(GcThread *th, int64_t r0, void *r1, double r2);\n"
                           "void kiln_g_3(GcThread *th);\n"
                           "void *kiln_h_4(GcThread *th);\n");
    free(text);
    char *body = print_function(low, 1, NULL);
    expect_text(body,
                "/* kiln_g_3 */\nvoid kiln_g_3(GcThread *th) {\n    (void)th;\n    return;\n}\n");
    free(body);
    body = print_function(low, 2, NULL);
    expect_text(body, "    return NULL;\n");
    free(body);
    low_program_free(low);
}
END_TEST

/* ---- operations ------------------------------------------------------------------ */

START_TEST(binary_operations) {
    LowProgram *low = low_program_new();
    LowBuilder builder;
    LowType params[] = {LOW_I64, LOW_I64, LOW_F64, LOW_PTR};
    low_func_new(&builder, low, "kiln_ops", "ops", LOW_VOID, params, 4);
    LowValue a = reg(&builder, 0), b = reg(&builder, 1), x = reg(&builder, 2), p = reg(&builder, 3);
    struct {
        LowBinop op;
        LowValue left, right;
        const char *expected;
    } cases[] = {
        {LOW_BIN_SUB, a, b, "(int64_t)((uint64_t)r0 - (uint64_t)r1)"},
        {LOW_BIN_MUL, a, low_int(-3), "(int64_t)((uint64_t)r0 * (uint64_t)INT64_C(-3))"},
        {LOW_BIN_SDIV, a, b, "r0 / r1"},
        {LOW_BIN_SREM, a, b, "r0 % r1"},
        {LOW_BIN_AND, a, low_int(INT64_MIN), "r0 & INT64_MIN"},
        {LOW_BIN_OR, a, b, "r0 | r1"},
        {LOW_BIN_XOR, a, b, "r0 ^ r1"},
        {LOW_BIN_SHL, a, b, "(int64_t)((uint64_t)r0 << r1)"},
        {LOW_BIN_ASHR, a, low_int(63), "r0 >> INT64_C(63)"},
        {LOW_BIN_EQ, a, b, "r0 == r1"},
        {LOW_BIN_GE, a, b, "r0 >= r1"},
        {LOW_BIN_ULT, a, b, "(uint64_t)r0 < (uint64_t)r1"},
        {LOW_BIN_UGE, a, b, "(uint64_t)r0 >= (uint64_t)r1"},
        {LOW_BIN_FADD, x, low_float(3.0), "r2 + 0x1.8p+1"},
        {LOW_BIN_FSUB, x, low_float(-1.0), "r2 - (-0x1p+0)"},
        {LOW_BIN_FMUL, x, low_float(INFINITY), "r2 * (double)INFINITY"},
        {LOW_BIN_FDIV, x, low_float(NAN), "r2 / (double)NAN"},
        {LOW_BIN_FLT, x, low_float(-INFINITY), "r2 < (-(double)INFINITY)"},
        {LOW_BIN_FNE, x, x, "r2 != r2"},
        {LOW_BIN_PTR_EQ, p, low_null(), "r3 == NULL"},
        {LOW_BIN_PTR_NE, p, low_thread(), "r3 != (void *)th"},
        {LOW_BIN_ADD, p, low_int(16), "(void *)((char *)r3 + INT64_C(16))"},
        {LOW_BIN_SUB, p, a, "(void *)((char *)r3 - r0)"},
        {LOW_BIN_AND, p, low_int(-8), "rt_ref_of_word(rt_word_of_ref(r3) & INT64_C(-8))"},
    };
    int count = (int)(sizeof cases / sizeof cases[0]);
    int results[sizeof cases / sizeof cases[0]];
    for (int i = 0; i < count; i++)
        results[i] = low_emit_binary(&builder, cases[i].op, cases[i].left, cases[i].right).index;
    low_term_return(&builder, low_none());
    verified(low);
    char *text = print_function(low, 0, NULL);
    for (int i = 0; i < count; i++)
        expect_text(text, "    r%d = %s;\n", results[i], cases[i].expected);
    expect_text(text, "double r%d = 0", results[13]);
    expect_text(text, "*r%d = NULL", results[21]);
    free(text);
    low_program_free(low);
}
END_TEST

START_TEST(unary_operations_select_and_copies) {
    LowProgram *low = low_program_new();
    LowBuilder builder;
    LowType params[] = {LOW_I64, LOW_F64, LOW_PTR};
    LowFunc *func = low_func_new(&builder, low, "kiln_un", "un", LOW_VOID, params, 3);
    LowValue a = reg(&builder, 0), x = reg(&builder, 1), p = reg(&builder, 2);
    struct {
        LowUnop op;
        LowValue operand;
        const char *expected;
    } cases[] = {
        {LOW_UN_NEG, a, "(int64_t)-(uint64_t)r0"},
        {LOW_UN_INVERT, a, "~r0"},
        {LOW_UN_NOT, p, "!r2"},
        {LOW_UN_FNEG, low_float(-2.0), "-(-0x1p+1)"},
        {LOW_UN_INT_TO_FLOAT, a, "(double)r0"},
        {LOW_UN_BITS_OF_FLOAT, x, "rt_word_of_float(r1)"},
        {LOW_UN_FLOAT_OF_BITS, a, "rt_float_of_word(r0)"},
        {LOW_UN_PTR_TO_INT, p, "rt_word_of_ref(r2)"},
        {LOW_UN_INT_TO_PTR, a, "rt_ref_of_word(r0)"},
    };
    int count = (int)(sizeof cases / sizeof cases[0]);
    int results[sizeof cases / sizeof cases[0]];
    for (int i = 0; i < count; i++)
        results[i] = low_emit_unary(&builder, cases[i].op, cases[i].operand).index;
    LowValue chosen = low_emit_select(&builder, a, low_int(INT64_MIN), low_int(-7));
    int copy = low_new_reg(func, LOW_PTR);
    low_emit_copy(&builder, copy, low_str_value(low, "hi", 2));
    low_term_return(&builder, low_none());
    verified(low);
    char *text = print_function(low, 0, NULL);
    for (int i = 0; i < count; i++)
        expect_text(text, "    r%d = %s;\n", results[i], cases[i].expected);
    expect_text(text, "    r%d = r0 ? INT64_MIN : INT64_C(-7);\n", chosen.index);
    expect_text(text, "    r%d = ((void *)&kstr_0);\n", copy);
    free(text);
    low_program_free(low);
}
END_TEST

START_TEST(loads_and_stores) {
    LowProgram *low = low_program_new();
    LowBuilder builder;
    LowType params[] = {LOW_PTR, LOW_I64, LOW_F64};
    low_func_new(&builder, low, "kiln_mem", "mem", LOW_VOID, params, 3);
    LowValue p = reg(&builder, 0), i = reg(&builder, 1), x = reg(&builder, 2);
    LowValue global = low_symbol_value(low_symbol_data(low, "g3", LOW_I64));
    LowValue set = low_symbol_value(low_symbol_data(low, "gset3", LOW_I64));
    LowValue table = low_symbol_value(low_symbol_data(low, "kvt_2", LOW_VOID));
    int field = low_emit_load(&builder, LOW_I64, p, 8).index;
    int byte = low_emit_load(&builder, LOW_U8, p, 3).index;
    int word = low_emit_load(&builder, LOW_U32, p, 4).index;
    int odd = low_emit_load(&builder, LOW_F64, p, 12).index;
    int item = low_emit_load_indexed(&builder, LOW_PTR, p, i, 8, 16).index;
    int first = low_emit_load_indexed(&builder, LOW_F64, p, i, 8, 0).index;
    int wide = low_emit_load_indexed(&builder, LOW_I64, p, i, 24, 16).index;
    int read_global = low_emit_load(&builder, LOW_I64, global, 0).index;
    int method = low_emit_load_indexed(&builder, LOW_PTR, table, i, 8, 0).index;
    low_emit_store(&builder, LOW_F64, p, 16, x);
    low_emit_store(&builder, LOW_U8, p, 5, i);
    low_emit_store_indexed(&builder, LOW_I64, p, i, 8, 16, low_int(4));
    low_emit_store_indexed(&builder, LOW_U8, p, i, 1, 24, i);
    low_emit_store(&builder, LOW_I64, global, 0, i);
    low_emit_store(&builder, LOW_I64, set, 0, low_int(1));
    low_emit_store(&builder, LOW_PTR, p, 0, table);
    low_term_return(&builder, low_none());
    verified(low);
    char *text = print_function(low, 0, NULL);
    expect_text(text, "    r%d = ((int64_t *)r0)[1];\n", field);
    expect_text(text, "    r%d = ((uint8_t *)r0)[3];\n", byte);
    expect_text(text, "    r%d = ((uint32_t *)r0)[1];\n", word);
    expect_text(text, "    r%d = *(double *)((char *)r0 + 12);\n", odd);
    expect_text(text, "    r%d = ((void **)((char *)r0 + 16))[r1];\n", item);
    expect_text(text, "    r%d = ((double *)r0)[r1];\n", first);
    expect_text(text, "    r%d = *(int64_t *)((char *)r0 + 16 + r1 * 24);\n", wide);
    expect_text(text, "    r%d = g3;\n", read_global);
    expect_text(text, "    r%d = ((void **)&kvt_2)[r1];\n", method);
    expect_text(text, "    ((double *)r0)[2] = r2;\n");
    expect_text(text, "    ((uint8_t *)r0)[5] = r1;\n");
    expect_text(text, "    ((int64_t *)((char *)r0 + 16))[r1] = INT64_C(4);\n");
    expect_text(text, "    ((uint8_t *)((char *)r0 + 24))[r1] = r1;\n");
    expect_text(text, "    g3 = r1;\n");
    expect_text(text, "    gset3 = INT64_C(1);\n");
    expect_text(text, "    ((void **)r0)[0] = ((void *)&kvt_2);\n");
    free(text);
    low_program_free(low);
}
END_TEST

START_TEST(calls_direct_runtime_and_indirect) {
    LowProgram *low = low_program_new();
    LowBuilder builder;
    int sum = build_sum(low, "kiln_sum_1");
    LowType params[] = {LOW_PTR, LOW_PTR, LOW_F64, LOW_I64};
    low_func_new(&builder, low, "kiln_calls", "calls", LOW_I64, params, 4);
    LowValue callee = reg(&builder, 0), text_arg = reg(&builder, 1), x = reg(&builder, 2),
             n = reg(&builder, 3);
    LowValue sum_args[] = {low_thread(), n};
    int total = low_emit_call(&builder, low->funcs.items[sum].symbol, sum_args, 2).index;
    int joined = low_emit_runtime(&builder, "rt_str_concat", 3, low_thread(),
                                  low_str_value(low, "hello", 5), text_arg)
                     .index;
    int root = low_emit_runtime(&builder, "sqrt", 1, x).index;
    int equal = low_emit_runtime(&builder, "rt_str_eq", 2, text_arg, text_arg).index;
    low_emit_runtime(&builder, "rt_raise", 4, low_thread(), low_int(0),
                     low_cstring_value(low, "bad ?\?= \"%s\"\n"), text_arg);
    LowType indirect_params[] = {LOW_PTR, LOW_PTR, LOW_F64, LOW_BOOL};
    LowValue indirect_args[] = {low_thread(), text_arg, x, n};
    int through =
        low_emit_call_indirect(&builder, callee, LOW_I64, indirect_params, indirect_args, 4).index;
    LowType no_params[] = {LOW_VOID};
    low_emit_call_indirect(&builder, callee, LOW_VOID, no_params, NULL, 0);
    LowType extern_params[] = {LOW_F64};
    LowSymbol extern_fn = {.name = "kext_3",
                           .kind = LOW_SYMBOL_EXTERN,
                           .result = LOW_F64,
                           .params = extern_params,
                           .param_count = 1,
                           .c_name = "cos"};
    LowValue extern_args[] = {x};
    int cosine = low_emit_call(&builder, low_symbol_declare(low, extern_fn), extern_args, 1).index;
    LowValue function = low_symbol_value(low->funcs.items[sum].symbol);
    LowValue pointer_args[] = {function, low_symbol_value(low_symbol_runtime(low, "rt_print"))};
    low_emit_call(&builder, low_symbol_runtime(low, "rt_task_add"), pointer_args, 2);
    low_term_return(&builder, reg(&builder, total));
    verified(low);
    char *text = print_function(low, 1, NULL);
    expect_text(text, "    r%d = kiln_sum_1(th, r3);\n", total);
    expect_text(text, "    r%d = rt_str_concat(th, ((void *)&kstr_0), r1);\n", joined);
    expect_text(text, "    r%d = sqrt(r2);\n", root);
    expect_text(text, "    r%d = kext_3(r2);\n", cosine);
    expect_text(text, "    r%d = rt_str_eq(r1, r1);\n", equal);
    expect_text(text, "    rt_raise(th, INT64_C(0), \"bad \\077\\077= \\\"%%s\\\"\\012\", r1);\n");
    expect_text(text,
                "    r%d = ((int64_t (*)(GcThread *, void *, double, bool))r0)(th, r1, r2, r3);\n",
                through);
    expect_text(text, "    ((void (*)(void))r0)();\n");
    expect_text(text, "    rt_task_add(((void *)kiln_sum_1), ((void *)rt_print));\n");
    expect_text(text, "static _Alignas(8) struct { GcHeader header; uint64_t hash; int64_t length; "
                      "char bytes[6]; } kstr_0 = {GC_PREBUILT_HEADER(RT_TYPE_STR), 0, 5, "
                      "\"hello\"};\n");
    free(text);
    low_program_free(low);
}
END_TEST

START_TEST(switch_lists_its_cases) {
    LowProgram *low = low_program_new();
    LowBuilder builder;
    LowType params[] = {LOW_I64};
    LowFunc *func = low_func_new(&builder, low, "kiln_sw", "sw", LOW_I64, params, 1);
    int one = low_new_block(func, "one");
    int lowest = low_new_block(func, NULL);
    int other = low_new_block(func, "default");
    int64_t cases[] = {1, INT64_MIN, -5};
    int targets[] = {one, lowest, one, other};
    low_term_switch(&builder, reg(&builder, 0), cases, targets, 3);
    low_set_block(&builder, one);
    low_term_return(&builder, low_int(10));
    low_set_block(&builder, lowest);
    low_term_return(&builder, low_int(20));
    low_set_block(&builder, other);
    low_term_return(&builder, low_int(30));
    verified(low);
    char *text = print_function(low, 0, NULL);
    expect_text(text, "    switch (r0) {\n"
                      "    case INT64_C(1): goto b1;\n"
                      "    case INT64_MIN: goto b2;\n"
                      "    case INT64_C(-5): goto b1;\n"
                      "    default: goto b3;\n"
                      "    }\n"
                      "b1:; /* one */\n"
                      "    return INT64_C(10);\n"
                      "b2:;\n"
                      "    return INT64_C(20);\n"
                      "b3:; /* default */\n"
                      "    return INT64_C(30);\n");
    free(text);
    low_program_free(low);
}
END_TEST

START_TEST(runtime_primitives) {
    LowProgram *low = low_program_new();
    LowBuilder builder;
    LowType params[] = {LOW_PTR, LOW_I64};
    low_func_new(&builder, low, "kiln_prims", "prims", LOW_PTR, params, 2);
    LowValue p = reg(&builder, 0), i = reg(&builder, 1);
    int object =
        low_emit_prim(&builder, LOW_PRIM_ALLOC, LOW_PTR, 2, low_int(12), low_int(32)).index;
    low_emit_prim(&builder, LOW_PRIM_WRITE_BARRIER, LOW_VOID, 1, p);
    low_emit_prim(&builder, LOW_PRIM_ARRAY_BARRIER, LOW_VOID, 2, p, i);
    int type = low_emit_prim(&builder, LOW_PRIM_TYPE_ID, LOW_I64, 1, p).index;
    low_emit_prim(&builder, LOW_PRIM_SPILL_CHECK, LOW_VOID, 1, low_int(2));
    low_emit_prim(&builder, LOW_PRIM_ROOT_STORE, LOW_VOID, 2, low_int(1), p);
    int reloaded = low_emit_prim(&builder, LOW_PRIM_ROOT_LOAD, LOW_PTR, 1, low_int(1)).index;
    low_emit_prim(&builder, LOW_PRIM_ROOT_ADJUST, LOW_VOID, 1, low_int(-2));
    int pending = low_emit_prim(&builder, LOW_PRIM_EXCEPTION_PENDING, LOW_I64, 0).index;
    int caught = low_emit_prim(&builder, LOW_PRIM_CATCH, LOW_PTR, 0).index;
    int frame = low_emit_prim(&builder, LOW_PRIM_FRAME_ADDRESS, LOW_PTR, 0).index;
    int inlined_frame =
        low_emit_prim(&builder, LOW_PRIM_FRAME_ADDRESS, LOW_PTR, 1, low_int(2)).index;
    int exhausted = low_emit_prim(&builder, LOW_PRIM_STACK_CHECK, LOW_I64, 0).index;
    low_emit_prim(&builder, LOW_PRIM_CATCH, LOW_VOID, 0);
    low_emit_prim(&builder, LOW_PRIM_TYPE_ID, LOW_VOID, 1, p);
    low_term_return(&builder, reg(&builder, object));
    verified(low);
    char *text = print_function(low, 0, NULL);
    expect_text(text, "    r%d = gc_alloc(th, 12, 32);\n", object);
    expect_text(text, "    gc_write_barrier(th, r0);\n");
    expect_text(text, "    gc_write_barrier_array(th, r0, r1);\n");
    expect_text(text, "    r%d = rt_type_of(r0);\n", type);
    expect_text(text, "    RT_SPILL_CHECK(th, 2);\n");
    expect_text(text, "    th->root_top[1] = r0;\n");
    expect_text(text, "    r%d = th->root_top[1];\n", reloaded);
    expect_text(text, "    th->root_top += -2;\n");
    expect_text(text, "    r%d = (rt_thread.exception != NULL);\n", pending);
    expect_text(text, "    r%d = rt_catch();\n", caught);
    /* a stack byte per frame marker, an inlined function's apart */
    expect_text(text, "    r%d = (void *)&kiln_frame_0;\n", frame);
    expect_text(text, "    r%d = (void *)&kiln_frame_2;\n", inlined_frame);
    expect_text(text, "    char kiln_frame_0, kiln_frame_1, kiln_frame_2;\n");
    expect_text(text, "    r%d = rt_stack_exhausted();\n", exhausted);
    expect_text(text, "    rt_catch();\n");
    expect_text(text, "    (void)(rt_type_of(r0));\n");
    free(text);
    low_program_free(low);
}
END_TEST

/* ---- str objects and line directives ------------------------------------------------ */

START_TEST(str_objects_escape_and_belong_to_their_file) {
    LowProgram *low = low_program_new();
    LowBuilder builder;
    low_func_new(&builder, low, "kiln_a", "a", LOW_PTR, NULL, 0);
    low_term_return(&builder, low_str_value(low, "unused here", 11));
    low_func_new(&builder, low, "kiln_b", "b", LOW_PTR, NULL, 0);
    low_term_return(&builder, low_str_value(low,
                                            "a\"b\\c?\n\xff\0"
                                            "1",
                                            10));
    verified(low);
    char *text = print_function(low, 1, NULL);
    expect_text(text, "char bytes[11]; } kstr_1 = {GC_PREBUILT_HEADER(RT_TYPE_STR), 0, 10, "
                      "\"a\\\"b\\\\c\\077\\012\\377\\0001\"};\n");
    expect_text(text, "    return ((void *)&kstr_1);\n");
    expect_no_text(text, "kstr_0");
    free(text);
    low_program_free(low);
}
END_TEST

START_TEST(line_directives_follow_the_compilers_count) {
    static const char source[] = "fn f() {\n\n\n\n\n\n\n\n}\n";
    DiagContext diag;
    diag_init(&diag);
    int file = diag_add_file(&diag, "dir/f\"1.kc", source, (int)sizeof source - 1);
    int other = diag_add_file(&diag, "lib/g.kc", source, (int)sizeof source - 1);
    LowProgram *low = low_program_new();
    LowBuilder builder;
    LowFunc *func = low_func_new(&builder, low, "kiln_f", "f", LOW_I64, NULL, 0);
    func->pos = (SrcPos){file, 1, 1, 1};
    int value = low_new_reg(func, LOW_I64);
    builder.pos = (SrcPos){file, 3, 5, 1};
    low_emit_copy(&builder, value, low_int(1));
    builder.pos = (SrcPos){file, 4, 5, 1};
    low_emit_copy(&builder, value, low_int(2)); /* the next C line: no directive */
    low_emit_copy(&builder, value, low_int(3)); /* the same Kiln C line again */
    builder.pos = (SrcPos){0};
    low_emit_copy(&builder, value, low_int(4)); /* no position: none */
    builder.pos = (SrcPos){other, 2, 1, 1};
    low_emit_copy(&builder, value, low_int(5)); /* another file: named */
    builder.pos = (SrcPos){file, 8, 5, 1};
    low_term_return(&builder, reg(&builder, value));
    verified(low);
    char *text = print_function(low, 0, &diag);
    ck_assert_str_eq(text, "\n"
                           "/* f */\n"
                           "#line 1 \"dir/f\\\"1.kc\"\n"
                           "int64_t kiln_f(GcThread *th) {\n"
                           "#line 1\n"
                           "    int64_t r0 = 0;\n"
                           "#line 1\n"
                           "    (void)th;\n"
                           "#line 3\n"
                           "    r0 = INT64_C(1);\n"
                           "    r0 = INT64_C(2);\n"
                           "#line 4\n"
                           "    r0 = INT64_C(3);\n"
                           "    r0 = INT64_C(4);\n"
                           "#line 2 \"lib/g.kc\"\n"
                           "    r0 = INT64_C(5);\n"
                           "#line 8 \"dir/f\\\"1.kc\"\n"
                           "    return r0;\n"
                           "}\n");
    free(text);
    /* without line_directives: none at all */
    CLowStrings strings;
    c_low_strings_init(&strings, low);
    char *plain = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&plain, &size);
    c_emit_low_function(out, low, 0, &diag, false, &strings);
    fclose(out);
    expect_no_text(plain, "#line");
    free(plain);
    c_low_strings_free(&strings);
    low_program_free(low);
    diag_free(&diag);
}
END_TEST

/* ---- the C compiler accepts the printed code ---------------------------------------- */

/* A function using every instruction, primitive and terminator. */
static void build_everything(LowProgram *low, int sum) {
    LowBuilder builder;
    LowType params[] = {LOW_PTR, LOW_I64, LOW_F64};
    LowFunc *func =
        low_func_new(&builder, low, "kiln_everything", "everything", LOW_I64, params, 3);
    LowValue p = reg(&builder, 0), n = reg(&builder, 1), x = reg(&builder, 2);
    int acc = low_new_reg(func, LOW_I64);
    int fail = low_new_block(func, "raise");
    int next = low_new_block(func, NULL);
    int cases = low_new_block(func, NULL);
    int done = low_new_block(func, NULL);
    LowValue global = low_symbol_value(low_symbol_data(low, "g0", LOW_I64));
    LowValue table = low_symbol_value(low_symbol_data(low, "kvt_0", LOW_VOID));
    LowValue object = low_emit_prim(&builder, LOW_PRIM_ALLOC, LOW_PTR, 2, low_int(20), low_int(32));
    low_emit_store(&builder, LOW_PTR, object, 8, p);
    low_emit_prim(&builder, LOW_PRIM_WRITE_BARRIER, LOW_VOID, 1, object);
    low_emit_prim(&builder, LOW_PRIM_ARRAY_BARRIER, LOW_VOID, 2, object, n);
    low_emit_prim(&builder, LOW_PRIM_SPILL_CHECK, LOW_VOID, 1, low_int(1));
    low_emit_prim(&builder, LOW_PRIM_ROOT_STORE, LOW_VOID, 2, low_int(0), object);
    low_emit_prim(&builder, LOW_PRIM_ROOT_ADJUST, LOW_VOID, 1, low_int(1));
    LowValue sum_args[] = {low_thread(), n};
    LowValue total = low_emit_call(&builder, low->funcs.items[sum].symbol, sum_args, 2);
    low_emit_prim(&builder, LOW_PRIM_ROOT_ADJUST, LOW_VOID, 1, low_int(-1));
    object = low_emit_prim(&builder, LOW_PRIM_ROOT_LOAD, LOW_PTR, 1, low_int(0));
    LowValue text = low_emit_runtime(&builder, "rt_str_of_int", 2, low_thread(), total);
    text = low_emit_runtime(&builder, "rt_str_concat", 3, low_thread(),
                            low_str_value(low, "sum ?\?= \"", 9), text);
    LowValue pending = low_emit_prim(&builder, LOW_PRIM_EXCEPTION_PENDING, LOW_I64, 0);
    LowValue exhausted = low_emit_prim(&builder, LOW_PRIM_STACK_CHECK, LOW_I64, 0);
    pending = low_emit_binary(&builder, LOW_BIN_OR, pending, exhausted);
    low_term_branch(&builder, pending, fail, next, LOW_HINT_UNLIKELY);
    low_set_block(&builder, fail);
    LowValue caught = low_emit_prim(&builder, LOW_PRIM_CATCH, LOW_PTR, 0);
    LowValue frame = low_emit_prim(&builder, LOW_PRIM_FRAME_ADDRESS, LOW_PTR, 0);
    low_emit_runtime(&builder, "rt_throw", 5, caught, low_cstring_value(low, "everything"),
                     low_int(0), low_int(3), frame);
    low_emit_runtime(&builder, "rt_raise", 4, low_thread(), low_int(0),
                     low_cstring_value(low, "bad %" PRId64 "\n"), n);
    low_term_return(&builder, low_int(0));
    low_set_block(&builder, next);
    LowValue bits = low_emit_unary(&builder, LOW_UN_BITS_OF_FLOAT, x);
    LowValue word =
        low_emit_binary(&builder, LOW_BIN_XOR, bits, low_emit_load(&builder, LOW_I64, global, 0));
    low_emit_store(&builder, LOW_I64, global, 0, low_emit_unary(&builder, LOW_UN_NEG, word));
    LowValue half = low_emit_binary(&builder, LOW_BIN_FMUL, x, low_float(-0.5));
    LowValue scaled = low_emit_unary(&builder, LOW_UN_FLOAT_OF_BITS,
                                     low_emit_unary(&builder, LOW_UN_BITS_OF_FLOAT, half));
    LowValue ratio = low_emit_binary(&builder, LOW_BIN_FDIV, scaled, low_float(NAN));
    LowValue less = low_emit_binary(&builder, LOW_BIN_FLT, ratio, low_float(-INFINITY));
    LowValue item = low_emit_load_indexed(&builder, LOW_PTR, table, n, 8, 0);
    LowValue same = low_emit_binary(&builder, LOW_BIN_PTR_EQ, item, low_null());
    LowValue type = low_emit_prim(&builder, LOW_PRIM_TYPE_ID, LOW_I64, 1, text);
    LowValue byte = low_emit_load_indexed(&builder, LOW_U8, text, n, 1, 24);
    LowValue length = low_emit_load(&builder, LOW_U32, text, 4);
    LowValue mixed = low_emit_select(&builder, same, byte, length);
    low_emit_copy(&builder, acc, low_emit_binary(&builder, LOW_BIN_ADD, less, mixed));
    low_emit_copy(&builder, acc, low_emit_binary(&builder, LOW_BIN_SHL, reg(&builder, acc), type));
    low_emit_copy(&builder, acc,
                  low_emit_binary(&builder, LOW_BIN_ASHR, reg(&builder, acc), low_int(1)));
    LowValue address = low_emit_binary(&builder, LOW_BIN_ADD, object, low_int(8));
    LowValue indirect_args[] = {low_thread(), n};
    LowType indirect_params[] = {LOW_PTR, LOW_I64};
    int callee = low_new_reg(func, LOW_PTR);
    low_emit_copy(&builder, callee, low_symbol_value(low->funcs.items[sum].symbol));
    LowValue again = low_emit_call_indirect(&builder, reg(&builder, callee), LOW_I64,
                                            indirect_params, indirect_args, 2);
    low_emit_store_indexed(&builder, LOW_I64, address, n, 24, 16, again);
    LowValue root =
        low_emit_runtime(&builder, "sqrt", 1, low_emit_unary(&builder, LOW_UN_INT_TO_FLOAT, n));
    LowType extern_param = LOW_F64;
    LowSymbol extern_fn = {.name = "kext_0",
                           .kind = LOW_SYMBOL_EXTERN,
                           .result = LOW_F64,
                           .params = arena_memdup(&low->arena, &extern_param, sizeof extern_param),
                           .param_count = 1,
                           .c_name = "cos"};
    root = low_emit_call(&builder, low_symbol_declare(low, extern_fn), &root, 1);
    low_emit_store(&builder, LOW_F64, object, 12, root);
    low_emit_copy(&builder, acc,
                  low_emit_binary(&builder, LOW_BIN_ULT, reg(&builder, acc),
                                  low_emit_unary(&builder, LOW_UN_PTR_TO_INT, text)));
    int64_t values[] = {1, INT64_MIN};
    int targets[] = {done, cases, next};
    low_term_switch(&builder, reg(&builder, acc), values, targets, 2);
    low_set_block(&builder, cases);
    LowValue flag = low_emit_runtime(&builder, "rt_str_eq", 2, text, low_str_value(low, "a\nb", 3));
    low_term_branch(&builder, flag, done, fail, LOW_HINT_LIKELY);
    low_set_block(&builder, done);
    low_term_return(&builder, reg(&builder, acc));
}

START_TEST(printed_functions_compile) {
    LowProgram *low = low_program_new();
    int sum = build_sum(low, "kiln_sum_1");
    build_everything(low, sum);
    verified(low);
    char dir[] = "/tmp/kiln_c_low_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/funcs.c", dir);
    FILE *out = fopen(path, "w");
    ck_assert_ptr_nonnull(out);
    fputs("#include <inttypes.h>\n#include <math.h>\n#include <stdlib.h>\n#include \"rt.h\"\n"
          "extern int64_t g0;\nextern void *const kvt_0[];\n"
          "extern double kext_0(double) __asm__(\"cos\");\n",
          out);
    for (int f = 0; f < low->funcs.count; f++) {
        c_emit_low_prototype(out, low, f);
        fputs(";\n", out);
    }
    CLowStrings strings;
    c_low_strings_init(&strings, low);
    char *body = NULL;
    size_t body_size = 0;
    FILE *body_out = open_memstream(&body, &body_size);
    for (int f = 0; f < low->funcs.count; f++)
        c_emit_low_function(body_out, low, f, NULL, false, &strings);
    fclose(body_out);
    c_emit_low_strings(out, low, &strings);
    fwrite(body, 1, body_size, out);
    fclose(out);
    char command[2048];
    snprintf(command, sizeof command,
             "cc -std=gnu11 -O1 -fwrapv -fno-strict-aliasing -Wall -Wextra -Wno-unused-parameter "
             "-Werror -I'%s/rtlib' -I'%s/stm_gc' -c '%s' -o '%s/funcs.o'",
             KILN_TEST_SOURCE_DIR, KILN_TEST_SOURCE_DIR, path, dir);
    int status = system(command);
    ck_assert_msg(status == 0, "the C compiler rejected\n%s", body);
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(command), 0);
    free(body);
    c_low_strings_free(&strings);
    low_program_free(low);
}
END_TEST

static Suite *backend_c_low_suite(void) {
    Suite *suite = suite_create("backend_c_low");
    TCase *printing = tcase_create("printing");
    tcase_add_test(printing, loop_prints_labels_only_for_jump_targets);
    tcase_add_test(printing, branches_keep_their_hints);
    tcase_add_test(printing, prototypes_spell_machine_types);
    tcase_add_test(printing, binary_operations);
    tcase_add_test(printing, unary_operations_select_and_copies);
    tcase_add_test(printing, loads_and_stores);
    tcase_add_test(printing, calls_direct_runtime_and_indirect);
    tcase_add_test(printing, switch_lists_its_cases);
    tcase_add_test(printing, runtime_primitives);
    tcase_add_test(printing, str_objects_escape_and_belong_to_their_file);
    tcase_add_test(printing, line_directives_follow_the_compilers_count);
    suite_add_tcase(suite, printing);
    TCase *compiling = tcase_create("compiling");
    tcase_set_timeout(compiling, 60);
    tcase_add_test(compiling, printed_functions_compile);
    suite_add_tcase(suite, compiling);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(backend_c_low_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
