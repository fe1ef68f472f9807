/* test_backend_llvm.c - the LLVM backend (translator/backend_llvm).
 *
 * Each run test builds a LowProgram with the builder of low.h, emits it as
 * an object file (at -O0 to -O3: the loop index of the test is the level),
 * links it with a small C driver by `cc` against rtlib's headers, runs it
 * and compares what it prints with what the same operations give in C, here
 * or in the driver (the runtime's own inline functions for the primitives).
 * The sanitizing tests emit with AddressSanitizer, link with
 * -fsanitize=address and check that a bad read of the generated code ends
 * the driver with the sanitizer's report.  The other tests check the
 * verifier's diagnostics, the .ll and .bc files and the DWARF output.
 */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../../rtlib/rt.h"
#include "backend_llvm/backend_llvm.h"

/* ---- the harness ------------------------------------------------------------ */

typedef struct Run {
    char dir[32];
    LowProgram *program;
    DiagContext diag;
    char *messages; /* the diagnostics */
    size_t messages_size;
    int status;    /* the driver's wait status */
    bool sanitize; /* emitted with AddressSanitizer, linked with -fsanitize=address */
} Run;

static void run_init(Run *run) {
    memset(run, 0, sizeof *run);
    snprintf(run->dir, sizeof run->dir, "/tmp/kiln_llvm_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(run->dir));
    run->program = low_program_new();
    diag_init(&run->diag);
    run->diag.out = open_memstream(&run->messages, &run->messages_size);
}

static void run_free(Run *run) {
    fclose(run->diag.out);
    free(run->messages);
    diag_free(&run->diag);
    low_program_free(run->program);
    char command[96];
    snprintf(command, sizeof command, "rm -rf '%s'", run->dir);
    ck_assert_int_eq(system(command), 0);
}

static const char *run_messages(Run *run) {
    fflush(run->diag.out);
    return run->messages ? run->messages : "";
}

static const char *run_path(const Run *run, const char *name, char *buffer, size_t size) {
    snprintf(buffer, size, "%s/%s", run->dir, name);
    return buffer;
}

/* prog.o, prog.ll and prog.bc in the run's folder, verified. */
static int run_emit(Run *run, int opt_level, bool debug_info) {
    char object[64], ll[64], bc[64];
    BackendLlvmOptions options = {opt_level,
                                  debug_info,
                                  true,
                                  run_path(run, "prog.o", object, sizeof object),
                                  run_path(run, "prog.ll", ll, sizeof ll),
                                  run_path(run, "prog.bc", bc, sizeof bc),
                                  run->sanitize};
    return backend_llvm_emit(run->program, &run->diag, &options);
}

/* Runs `command` and returns its standard output; its wait status goes to
 * run->status. */
static char *run_command(Run *run, const char *command) {
    FILE *pipe = popen(command, "r");
    ck_assert_ptr_nonnull(pipe);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, pipe)) > 0)
        fwrite(chunk, 1, got, out);
    fclose(out);
    run->status = pclose(pipe);
    return text;
}

/* Emits the program at `opt_level` with debug information, links it with
 * the driver and runs it: its standard output.  A sanitized run's standard
 * error goes to prog.err, and AddressSanitizer's report ends it with the
 * status ASAN_EXIT_STATUS. */
enum { ASAN_EXIT_STATUS = 23 };
static char *run_program(Run *run, int opt_level, const char *driver) {
    ck_assert_msg(run_emit(run, opt_level, true) == 0, "the backend failed:\n%s",
                  run_messages(run));
    char source[64], log[64], command[1024];
    FILE *out = fopen(run_path(run, "driver.c", source, sizeof source), "w");
    ck_assert_ptr_nonnull(out);
    fputs("#include <inttypes.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include \"rt.h\"\n",
          out);
    fputs(driver, out);
    fclose(out);
    snprintf(command, sizeof command,
             "cc -std=gnu11 -g %s -I'%s/rtlib' -I'%s/stm_gc' '%s' '%s/prog.o' -o '%s/prog' -lm "
             "2>'%s'",
             run->sanitize ? "-fsanitize=address" : "", KILN_TEST_SOURCE_DIR, KILN_TEST_SOURCE_DIR,
             source, run->dir, run->dir, run_path(run, "cc.log", log, sizeof log));
    if (system(command) != 0) {
        char *text = kiln_read_text(log);
        ck_abort_msg("cc could not link the object:\n%s", text ? text : "");
    }
    /* exec: the driver's own wait status, and no shell report of a signal */
    if (run->sanitize)
        snprintf(command, sizeof command,
                 "ASAN_OPTIONS=detect_leaks=0:exitcode=%d exec '%s/prog' 2>'%s/prog.err'",
                 ASAN_EXIT_STATUS, run->dir, run->dir);
    else
        snprintf(command, sizeof command, "exec '%s/prog'", run->dir);
    return run_command(run, command);
}

static void expect_success(const Run *run) {
    ck_assert_msg(WIFEXITED(run->status) && WEXITSTATUS(run->status) == 0,
                  "the driver failed (wait status %d)", run->status);
}

/* A function of the given parameter types (LowType varargs), with the
 * builder in its entry block. */
static LowFunc *func_new(LowBuilder *builder, LowProgram *program, const char *name, LowType result,
                         int count, ...) {
    LowType params[8];
    va_list list;
    va_start(list, count);
    for (int i = 0; i < count; i++)
        params[i] = (LowType)va_arg(list, int);
    va_end(list);
    return low_func_new(builder, program, name, NULL, result, params, count);
}

static LowValue reg(const LowBuilder *builder, int index) {
    return low_reg_value(builder->func, index);
}

static char *format(const char *pattern, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *pattern, ...) {
    char *text = NULL;
    va_list list;
    va_start(list, pattern);
    ck_assert_int_ge(vasprintf(&text, pattern, list), 0);
    va_end(list);
    return text;
}

/* ---- arithmetic ----------------------------------------------------------------- */

#define STRING(...)          #__VA_ARGS__
#define EXPANDED_STRING(...) STRING(__VA_ARGS__)
#define INT_INPUTS                                                                                 \
    {0, 0}, {1, 2}, {-7, 3}, {7, -3}, {INT64_MAX, 1}, {INT64_MIN, -1}, {INT64_MIN, 1},             \
        {123456789, -987654}, {-1, 63}, {5, 64}, {-9, -2}, {                                       \
        -9, 9                                                                                      \
    }
#define FLOAT_INPUTS 1.5, -2.25, 0.0, -0.0, 1e300, INFINITY, NAN

static const int64_t int_inputs[][2] = {INT_INPUTS};
static const double float_inputs[] = {FLOAT_INPUTS};
enum {
    INT_INPUT_COUNT = sizeof int_inputs / sizeof int_inputs[0],
    FLOAT_INPUT_COUNT = sizeof float_inputs / sizeof float_inputs[0]
};

static bool is_float_result(LowBinop op) {
    return op >= LOW_BIN_FADD && op <= LOW_BIN_FDIV;
}

/* What C gives for an integer LowBinop (wrapping; shift counts modulo 64,
 * as the driver passes them). */
static int64_t int_reference(LowBinop op, int64_t left, int64_t right) {
    uint64_t wide_left = (uint64_t)left, wide_right = (uint64_t)right;
    switch (op) {
    case LOW_BIN_ADD: return (int64_t)(wide_left + wide_right);
    case LOW_BIN_SUB: return (int64_t)(wide_left - wide_right);
    case LOW_BIN_MUL: return (int64_t)(wide_left * wide_right);
    case LOW_BIN_SDIV: return left / right;
    case LOW_BIN_SREM: return left % right;
    case LOW_BIN_AND: return left & right;
    case LOW_BIN_OR: return left | right;
    case LOW_BIN_XOR: return left ^ right;
    case LOW_BIN_SHL: return (int64_t)(wide_left << (right & 63));
    case LOW_BIN_ASHR: return left >> (right & 63);
    case LOW_BIN_EQ: return left == right;
    case LOW_BIN_NE: return left != right;
    case LOW_BIN_LT: return left < right;
    case LOW_BIN_LE: return left <= right;
    case LOW_BIN_GT: return left > right;
    case LOW_BIN_GE: return left >= right;
    case LOW_BIN_ULT: return wide_left < wide_right;
    case LOW_BIN_UGE: return wide_left >= wide_right;
    default: ck_abort_msg("not an integer operation"); return 0;
    }
}

/* A float LowBinop: the bits of a float result, or a comparison's 0/1. */
static uint64_t float_reference(LowBinop op, double left, double right) {
    double result = 0;
    switch (op) {
    case LOW_BIN_FADD: result = left + right; break;
    case LOW_BIN_FSUB: result = left - right; break;
    case LOW_BIN_FMUL: result = left * right; break;
    case LOW_BIN_FDIV: result = left / right; break;
    case LOW_BIN_FEQ: return left == right;
    case LOW_BIN_FNE: return left != right;
    case LOW_BIN_FLT: return left < right;
    case LOW_BIN_FLE: return left <= right;
    case LOW_BIN_FGT: return left > right;
    case LOW_BIN_FGE: return left >= right;
    default: ck_abort_msg("not a float operation");
    }
    uint64_t bits;
    memcpy(&bits, &result, sizeof bits);
    return bits;
}

static bool division_skipped(LowBinop op, int64_t left, int64_t right) {
    return (op == LOW_BIN_SDIV || op == LOW_BIN_SREM) &&
           (right == 0 || (left == INT64_MIN && right == -1));
}

/* kiln_bin_N(th, a, b) = a op_N b for every integer and float LowBinop. */
static void build_binops(LowProgram *program) {
    for (int op = LOW_BIN_ADD; op <= LOW_BIN_FGE; op++) {
        LowBuilder builder;
        char name[32];
        snprintf(name, sizeof name, "kiln_bin_%d", op);
        LowType param = op >= LOW_BIN_FADD ? LOW_F64 : LOW_I64;
        LowType result = is_float_result((LowBinop)op) ? LOW_F64 : LOW_I64;
        func_new(&builder, program, name, result, 2, param, param);
        low_term_return(
            &builder, low_emit_binary(&builder, (LowBinop)op, reg(&builder, 0), reg(&builder, 1)));
    }
}

static char *binops_driver(void) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    for (int op = LOW_BIN_ADD; op <= LOW_BIN_FGE; op++) {
        const char *type = op >= LOW_BIN_FADD ? "double" : "int64_t";
        fprintf(out, "%s kiln_bin_%d(GcThread *, %s, %s);\n",
                is_float_result((LowBinop)op) ? "double" : "int64_t", op, type, type);
    }
    fputs("static const int64_t ints[][2] = {" EXPANDED_STRING(
              INT_INPUTS) "};\n"
                          "static const double floats[] = {" EXPANDED_STRING(
                              FLOAT_INPUTS) "};\n"
                                            "static void print_bits(double value) {\n"
                                            "    uint64_t bits; memcpy(&bits, &value, sizeof "
                                            "bits); printf(\"%016\" PRIx64 \"\\n\", "
                                            "bits);\n}\n"
                                            "int main(void) {\n"
                                            "    for (size_t i = 0; i < sizeof ints / sizeof "
                                            "ints[0]; i++) {\n"
                                            "        int64_t a = ints[i][0], b = ints[i][1], c = b "
                                            "& 63;\n",
          out);
    for (int op = LOW_BIN_ADD; op <= LOW_BIN_UGE; op++) {
        bool divides = op == LOW_BIN_SDIV || op == LOW_BIN_SREM;
        bool shifts = op == LOW_BIN_SHL || op == LOW_BIN_ASHR;
        if (divides)
            fprintf(out,
                    "        if (b == 0 || (a == INT64_MIN && b == -1)) puts(\"skip\"); else "
                    "printf(\"%%\" PRId64 \"\\n\", kiln_bin_%d(NULL, a, b));\n",
                    op);
        else
            fprintf(out, "        printf(\"%%\" PRId64 \"\\n\", kiln_bin_%d(NULL, a, %s));\n", op,
                    shifts ? "c" : "b");
    }
    fputs("    }\n    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++)\n"
          "    for (size_t j = 0; j < sizeof floats / sizeof floats[0]; j++) {\n"
          "        double a = floats[i], b = floats[j];\n",
          out);
    for (int op = LOW_BIN_FADD; op <= LOW_BIN_FGE; op++) {
        if (is_float_result((LowBinop)op))
            fprintf(out, "        print_bits(kiln_bin_%d(NULL, a, b));\n", op);
        else
            fprintf(out, "        printf(\"%%\" PRId64 \"\\n\", kiln_bin_%d(NULL, a, b));\n", op);
    }
    fputs("    }\n    return 0;\n}\n", out);
    fclose(out);
    return text;
}

static char *binops_expected(void) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    for (int i = 0; i < INT_INPUT_COUNT; i++)
        for (int op = LOW_BIN_ADD; op <= LOW_BIN_UGE; op++) {
            int64_t left = int_inputs[i][0], right = int_inputs[i][1];
            if (division_skipped((LowBinop)op, left, right))
                fputs("skip\n", out);
            else
                fprintf(out, "%" PRId64 "\n", int_reference((LowBinop)op, left, right));
        }
    for (int i = 0; i < FLOAT_INPUT_COUNT; i++)
        for (int j = 0; j < FLOAT_INPUT_COUNT; j++)
            for (int op = LOW_BIN_FADD; op <= LOW_BIN_FGE; op++) {
                uint64_t result = float_reference((LowBinop)op, float_inputs[i], float_inputs[j]);
                if (is_float_result((LowBinop)op))
                    fprintf(out, "%016" PRIx64 "\n", result);
                else
                    fprintf(out, "%" PRIu64 "\n", result);
            }
    fclose(out);
    return text;
}

START_TEST(binary_operations_compute_as_c) {
    Run run;
    run_init(&run);
    build_binops(run.program);
    char *driver = binops_driver();
    char *output = run_program(&run, _i, driver);
    expect_success(&run);
    char *expected = binops_expected();
    ck_assert_str_eq(output, expected);
    free(expected);
    free(output);
    free(driver);
    run_free(&run);
}
END_TEST

/* The unary operations, SELECT and pointer arithmetic and comparisons. */
static void build_unary(LowProgram *program) {
    static const struct {
        const char *name;
        LowUnop op;
        LowType param, result;
    } unary[] = {{"kiln_neg", LOW_UN_NEG, LOW_I64, LOW_I64},
                 {"kiln_invert", LOW_UN_INVERT, LOW_I64, LOW_I64},
                 {"kiln_not", LOW_UN_NOT, LOW_I64, LOW_I64},
                 {"kiln_not_ptr", LOW_UN_NOT, LOW_PTR, LOW_I64},
                 {"kiln_fneg", LOW_UN_FNEG, LOW_F64, LOW_F64},
                 {"kiln_int_to_float", LOW_UN_INT_TO_FLOAT, LOW_I64, LOW_F64},
                 {"kiln_bits_of_float", LOW_UN_BITS_OF_FLOAT, LOW_F64, LOW_I64},
                 {"kiln_float_of_bits", LOW_UN_FLOAT_OF_BITS, LOW_I64, LOW_F64},
                 {"kiln_ptr_to_int", LOW_UN_PTR_TO_INT, LOW_PTR, LOW_I64},
                 {"kiln_int_to_ptr", LOW_UN_INT_TO_PTR, LOW_I64, LOW_PTR}};
    LowBuilder builder;
    for (size_t i = 0; i < sizeof unary / sizeof unary[0]; i++) {
        func_new(&builder, program, unary[i].name, unary[i].result, 1, unary[i].param);
        low_term_return(&builder, low_emit_unary(&builder, unary[i].op, reg(&builder, 0)));
    }
    func_new(&builder, program, "kiln_select", LOW_I64, 3, LOW_I64, LOW_I64, LOW_I64);
    low_term_return(
        &builder, low_emit_select(&builder, reg(&builder, 0), reg(&builder, 1), reg(&builder, 2)));
    func_new(&builder, program, "kiln_select_float", LOW_F64, 3, LOW_PTR, LOW_F64, LOW_F64);
    low_term_return(
        &builder, low_emit_select(&builder, reg(&builder, 0), reg(&builder, 1), reg(&builder, 2)));
    static const struct {
        const char *name;
        LowBinop op;
        LowType right, result;
    } pointer[] = {{"kiln_ptr_eq", LOW_BIN_PTR_EQ, LOW_PTR, LOW_I64},
                   {"kiln_ptr_ne", LOW_BIN_PTR_NE, LOW_PTR, LOW_I64},
                   {"kiln_ptr_add", LOW_BIN_ADD, LOW_I64, LOW_PTR},
                   {"kiln_ptr_sub", LOW_BIN_SUB, LOW_I64, LOW_PTR}};
    for (size_t i = 0; i < sizeof pointer / sizeof pointer[0]; i++) {
        func_new(&builder, program, pointer[i].name, pointer[i].result, 2, LOW_PTR,
                 pointer[i].right);
        low_term_return(
            &builder, low_emit_binary(&builder, pointer[i].op, reg(&builder, 0), reg(&builder, 1)));
    }
}

static const char unary_driver[] =
    "int64_t kiln_neg(GcThread *, int64_t); int64_t kiln_invert(GcThread *, int64_t);\n"
    "int64_t kiln_not(GcThread *, int64_t); int64_t kiln_not_ptr(GcThread *, void *);\n"
    "double kiln_fneg(GcThread *, double); double kiln_int_to_float(GcThread *, int64_t);\n"
    "int64_t kiln_bits_of_float(GcThread *, double); double kiln_float_of_bits(GcThread *, "
    "int64_t);\n"
    "int64_t kiln_ptr_to_int(GcThread *, void *); void *kiln_int_to_ptr(GcThread *, int64_t);\n"
    "int64_t kiln_select(GcThread *, int64_t, int64_t, int64_t);\n"
    "double kiln_select_float(GcThread *, void *, double, double);\n"
    "int64_t kiln_ptr_eq(GcThread *, void *, void *); int64_t kiln_ptr_ne(GcThread *, void *, "
    "void *);\n"
    "char *kiln_ptr_add(GcThread *, char *, int64_t); char *kiln_ptr_sub(GcThread *, char *, "
    "int64_t);\n"
    "int main(void) {\n"
    "    char buffer[64];\n"
    "    printf(\"%\" PRId64 \" %\" PRId64 \" %\" PRId64 \"\\n\", kiln_neg(NULL, 5), "
    "kiln_neg(NULL, INT64_MIN), kiln_invert(NULL, 0));\n"
    "    printf(\"%\" PRId64 \" %\" PRId64 \" %\" PRId64 \" %\" PRId64 \"\\n\", kiln_not(NULL, "
    "0), kiln_not(NULL, -4), kiln_not_ptr(NULL, NULL), kiln_not_ptr(NULL, buffer));\n"
    "    printf(\"%g %g %g\\n\", kiln_fneg(NULL, 2.5), kiln_fneg(NULL, 0.0), "
    "kiln_int_to_float(NULL, -3));\n"
    "    printf(\"%\" PRIx64 \" %g\\n\", kiln_bits_of_float(NULL, 1.0), "
    "kiln_float_of_bits(NULL, 0x4004000000000000));\n"
    "    printf(\"%d %d\\n\", kiln_ptr_to_int(NULL, buffer) == (int64_t)(intptr_t)buffer, "
    "kiln_int_to_ptr(NULL, (int64_t)(intptr_t)buffer) == buffer);\n"
    "    printf(\"%\" PRId64 \" %\" PRId64 \" %g %g\\n\", kiln_select(NULL, 7, 1, 2), "
    "kiln_select(NULL, 0, 1, 2), kiln_select_float(NULL, buffer, 1.5, 2.5), "
    "kiln_select_float(NULL, NULL, 1.5, 2.5));\n"
    "    printf(\"%\" PRId64 \" %\" PRId64 \" %\" PRId64 \" %\" PRId64 \"\\n\", "
    "kiln_ptr_eq(NULL, buffer, buffer), kiln_ptr_eq(NULL, buffer, buffer + 1), "
    "kiln_ptr_ne(NULL, buffer, NULL), kiln_ptr_ne(NULL, NULL, NULL));\n"
    "    printf(\"%d %d\\n\", (int)(kiln_ptr_add(NULL, buffer, 24) - buffer), "
    "(int)(kiln_ptr_sub(NULL, buffer + 40, 8) - buffer));\n"
    "    return 0;\n}\n";

START_TEST(unary_select_and_pointer_operations) {
    Run run;
    run_init(&run);
    build_unary(run.program);
    char *output = run_program(&run, _i, unary_driver);
    expect_success(&run);
    char *expected = format("-5 %" PRId64 " -1\n1 0 1 0\n-2.5 -0 -3\n3ff0000000000000 2.5\n1 1\n"
                            "1 2 1.5 2.5\n1 0 1 0\n24 32\n",
                            INT64_MIN);
    ck_assert_str_eq(output, expected);
    free(expected);
    free(output);
    run_free(&run);
}
END_TEST

/* ---- control flow --------------------------------------------------------------- */

/* kiln_sum_odd(n): the sum of the odd i in [0, n), a loop with a branch;
 * kiln_countdown(n): block 0 is its own loop (n - 1 until it is <= 0). */
static void build_loops(LowProgram *program) {
    LowBuilder builder;
    LowFunc *func = func_new(&builder, program, "kiln_sum_odd", LOW_I64, 1, LOW_I64);
    int index = low_new_reg(func, LOW_I64), sum = low_new_reg(func, LOW_I64);
    int head = low_new_block(func, "head"), body = low_new_block(func, "body");
    int add = low_new_block(func, "add"), next = low_new_block(func, "next");
    int done = low_new_block(func, "done");
    low_emit_copy(&builder, index, low_int(0));
    low_emit_copy(&builder, sum, low_int(0));
    low_term_goto(&builder, head);
    low_set_block(&builder, head);
    LowValue more = low_emit_binary(&builder, LOW_BIN_LT, reg(&builder, index), reg(&builder, 0));
    low_term_branch(&builder, more, body, done, LOW_HINT_LIKELY);
    low_set_block(&builder, body);
    LowValue odd = low_emit_binary(&builder, LOW_BIN_AND, reg(&builder, index), low_int(1));
    low_term_branch(&builder, odd, add, next, LOW_HINT_UNLIKELY);
    low_set_block(&builder, add);
    low_emit_copy(&builder, sum,
                  low_emit_binary(&builder, LOW_BIN_ADD, reg(&builder, sum), reg(&builder, index)));
    low_term_goto(&builder, next);
    low_set_block(&builder, next);
    low_emit_copy(&builder, index,
                  low_emit_binary(&builder, LOW_BIN_ADD, reg(&builder, index), low_int(1)));
    low_term_goto(&builder, head);
    low_set_block(&builder, done);
    low_term_return(&builder, reg(&builder, sum));

    func = func_new(&builder, program, "kiln_countdown", LOW_I64, 1, LOW_I64);
    int exit_block = low_new_block(func, "exit");
    low_emit_copy(&builder, 0,
                  low_emit_binary(&builder, LOW_BIN_SUB, reg(&builder, 0), low_int(1)));
    LowValue positive = low_emit_binary(&builder, LOW_BIN_GT, reg(&builder, 0), low_int(0));
    low_term_branch(&builder, positive, 0, exit_block, LOW_HINT_NONE);
    low_set_block(&builder, exit_block);
    low_term_return(&builder, reg(&builder, 0));
}

/* kiln_classify(x): a switch over 1, 5, -3 and INT64_MIN, default 0. */
static void build_switch(LowProgram *program) {
    LowBuilder builder;
    LowFunc *func = func_new(&builder, program, "kiln_classify", LOW_I64, 1, LOW_I64);
    int targets[5];
    for (int i = 0; i < 5; i++)
        targets[i] = low_new_block(func, "case");
    int64_t cases[4] = {1, 5, -3, INT64_MIN};
    low_term_switch(&builder, reg(&builder, 0), cases, targets, 4);
    int64_t results[5] = {10, 50, 30, 99, 0};
    for (int i = 0; i < 5; i++) {
        low_set_block(&builder, targets[i]);
        low_term_return(&builder, low_int(results[i]));
    }
}

static const char control_driver[] =
    "int64_t kiln_sum_odd(GcThread *, int64_t); int64_t kiln_countdown(GcThread *, int64_t);\n"
    "int64_t kiln_classify(GcThread *, int64_t);\n"
    "int main(void) {\n"
    "    printf(\"%\" PRId64 \" %\" PRId64 \" %\" PRId64 \"\\n\", kiln_sum_odd(NULL, 0), "
    "kiln_sum_odd(NULL, 10), kiln_sum_odd(NULL, 1001));\n"
    "    printf(\"%\" PRId64 \" %\" PRId64 \"\\n\", kiln_countdown(NULL, 50), "
    "kiln_countdown(NULL, -5));\n"
    "    int64_t xs[] = {1, 5, -3, INT64_MIN, 0, 2, INT64_MAX};\n"
    "    for (int i = 0; i < 7; i++) printf(\"%\" PRId64 \" \", kiln_classify(NULL, xs[i]));\n"
    "    puts(\"\");\n"
    "    return 0;\n}\n";

START_TEST(loops_branches_and_switches) {
    Run run;
    run_init(&run);
    build_loops(run.program);
    build_switch(run.program);
    char *output = run_program(&run, _i, control_driver);
    expect_success(&run);
    int64_t odd_sum = 0;
    for (int64_t i = 1; i < 1001; i += 2)
        odd_sum += i;
    char *expected = format("0 25 %" PRId64 "\n0 -6\n10 50 30 99 0 0 0 \n", odd_sum);
    ck_assert_str_eq(output, expected);
    free(expected);
    free(output);
    run_free(&run);
}
END_TEST

/* ---- memory ---------------------------------------------------------------------- */

/* kiln_store_T(p, i, v) / kiln_load_T(p, i) at [p + i * size + offset] for
 * every memory type; kiln_bump() adds 2 to the scalar global g1 and returns
 * its old value; kiln_table(i) reads word i of the aggregate kval_1. */
static void build_memory(LowProgram *program) {
    static const struct {
        const char *name;
        LowType mem;
        int32_t scale, offset;
    } kinds[] = {{"u8", LOW_U8, 1, 1},
                 {"u32", LOW_U32, 4, 8},
                 {"i64", LOW_I64, 8, 16},
                 {"f64", LOW_F64, 8, 24},
                 {"ptr", LOW_PTR, 8, 32}};
    LowBuilder builder;
    char name[32];
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        LowType value_type = low_widen(kinds[k].mem);
        snprintf(name, sizeof name, "kiln_store_%s", kinds[k].name);
        func_new(&builder, program, name, LOW_VOID, 3, LOW_PTR, LOW_I64, value_type);
        low_emit_store_indexed(&builder, kinds[k].mem, reg(&builder, 0), reg(&builder, 1),
                               kinds[k].scale, kinds[k].offset, reg(&builder, 2));
        low_term_return(&builder, low_none());
        snprintf(name, sizeof name, "kiln_load_%s", kinds[k].name);
        func_new(&builder, program, name, value_type, 2, LOW_PTR, LOW_I64);
        low_term_return(&builder,
                        low_emit_load_indexed(&builder, kinds[k].mem, reg(&builder, 0),
                                              reg(&builder, 1), kinds[k].scale, kinds[k].offset));
    }
    LowValue global = low_symbol_value(low_symbol_data(program, "g1", LOW_I64));
    func_new(&builder, program, "kiln_bump", LOW_I64, 0);
    LowValue old = low_emit_load(&builder, LOW_I64, global, 0);
    low_emit_store(&builder, LOW_I64, global, 0,
                   low_emit_binary(&builder, LOW_BIN_ADD, old, low_int(2)));
    low_term_return(&builder, old);
    LowValue table = low_symbol_value(low_symbol_data(program, "kval_1", LOW_VOID));
    func_new(&builder, program, "kiln_table", LOW_I64, 1, LOW_I64);
    low_term_return(&builder, low_emit_load_indexed(&builder, LOW_I64, table, reg(&builder, 0), 8,
                                                    (int32_t)sizeof(int64_t)));
}

/* kiln_str() is the str constant "hello, kiln"; kiln_str_length() and
 * kiln_str_byte(i) read it as an address. */
static void build_str(LowProgram *program) {
    LowBuilder builder;
    func_new(&builder, program, "kiln_str", LOW_PTR, 0);
    low_term_return(&builder, low_str_value(program, "hello, kiln", 11));
    func_new(&builder, program, "kiln_str_length", LOW_I64, 0);
    low_term_return(&builder,
                    low_emit_load(&builder, LOW_I64, low_str_value(program, "hello, kiln", 11),
                                  (int32_t)offsetof(RtStr, length)));
    func_new(&builder, program, "kiln_str_byte", LOW_I64, 1, LOW_I64);
    low_term_return(
        &builder, low_emit_load_indexed(&builder, LOW_U8, low_str_value(program, "hello, kiln", 11),
                                        reg(&builder, 0), 1, (int32_t)offsetof(RtStr, bytes)));
}

static const char memory_driver[] =
    "void kiln_store_u8(GcThread *, void *, int64_t, int64_t);\n"
    "int64_t kiln_load_u8(GcThread *, void *, int64_t);\n"
    "void kiln_store_u32(GcThread *, void *, int64_t, int64_t);\n"
    "int64_t kiln_load_u32(GcThread *, void *, int64_t);\n"
    "void kiln_store_i64(GcThread *, void *, int64_t, int64_t);\n"
    "int64_t kiln_load_i64(GcThread *, void *, int64_t);\n"
    "void kiln_store_f64(GcThread *, void *, int64_t, double);\n"
    "double kiln_load_f64(GcThread *, void *, int64_t);\n"
    "void kiln_store_ptr(GcThread *, void *, int64_t, void *);\n"
    "void *kiln_load_ptr(GcThread *, void *, int64_t);\n"
    "int64_t kiln_bump(GcThread *); int64_t kiln_table(GcThread *, int64_t);\n"
    "RtStr *kiln_str(GcThread *); int64_t kiln_str_length(GcThread *);\n"
    "int64_t kiln_str_byte(GcThread *, int64_t);\n"
    "int64_t g1 = 40;\n"
    "int64_t kval_1[5] = {1, 10, 20, 30, 40};\n"
    "int main(void) {\n"
    "    _Alignas(8) unsigned char block[128] = {0};\n"
    "    kiln_store_u8(NULL, block, 2, 0x1ff);\n"
    "    kiln_store_u32(NULL, block, 1, -1);\n"
    "    kiln_store_i64(NULL, block, 1, -77);\n"
    "    kiln_store_f64(NULL, block, 2, 6.25);\n"
    "    kiln_store_ptr(NULL, block, 3, block);\n"
    "    printf(\"%d %\" PRId64 \" %\" PRId64 \"\\n\", block[3], kiln_load_u8(NULL, block, 2), "
    "kiln_load_u8(NULL, block, 0));\n"
    "    uint32_t word; memcpy(&word, block + 12, 4);\n"
    "    printf(\"%\" PRIu32 \" %\" PRId64 \"\\n\", word, kiln_load_u32(NULL, block, 1));\n"
    "    int64_t wide; memcpy(&wide, block + 24, 8);\n"
    "    printf(\"%\" PRId64 \" %\" PRId64 \"\\n\", wide, kiln_load_i64(NULL, block, 1));\n"
    "    double real; memcpy(&real, block + 40, 8);\n"
    "    printf(\"%g %g\\n\", real, kiln_load_f64(NULL, block, 2));\n"
    "    void *pointer; memcpy(&pointer, block + 56, 8);\n"
    "    printf(\"%d %d\\n\", pointer == block, kiln_load_ptr(NULL, block, 3) == block);\n"
    "    int64_t old = kiln_bump(NULL);\n"
    "    printf(\"%\" PRId64 \" %\" PRId64 \" %\" PRId64 \" %\" PRId64 \"\\n\", old, g1, "
    "kiln_table(NULL, 0), kiln_table(NULL, 3));\n"
    "    RtStr *str = kiln_str(NULL);\n"
    "    printf(\"%d %d %\" PRIu64 \" %\" PRId64 \" %s %d\\n\", "
    "str->header == GC_PREBUILT_HEADER(RT_TYPE_STR), (int)((uintptr_t)str % 8), str->hash, "
    "str->length, str->bytes, str->bytes[str->length]);\n"
    "    str->hash = 12345;\n"
    "    printf(\"%\" PRIu64 \" %\" PRId64 \" %c%c\\n\", kiln_str(NULL)->hash, "
    "kiln_str_length(NULL), (char)kiln_str_byte(NULL, 0), (char)kiln_str_byte(NULL, 10));\n"
    "    return 0;\n}\n";

START_TEST(loads_stores_data_and_str_constants) {
    Run run;
    run_init(&run);
    build_memory(run.program);
    build_str(run.program);
    char *output = run_program(&run, _i, memory_driver);
    expect_success(&run);
    ck_assert_str_eq(output, "255 255 0\n4294967295 4294967295\n-77 -77\n6.25 6.25\n1 1\n"
                             "40 42 10 40\n1 0 0 11 hello, kiln 0\n12345 11 hn\n");
    free(output);
    run_free(&run);
}
END_TEST

/* ---- calls ---------------------------------------------------------------------------- */

/* An EXTERN symbol: a Kiln C extern fn bound to the C function `c_name`. */
static int add_extern(LowProgram *program, const char *name, const char *c_name, LowType result,
                      const LowType *params, int count) {
    LowSymbol symbol = {0};
    symbol.name = arena_strndup(&program->arena, name, strlen(name));
    symbol.kind = LOW_SYMBOL_EXTERN;
    symbol.result = result;
    symbol.params = arena_memdup(&program->arena, params, sizeof(LowType) * (size_t)count);
    symbol.param_count = count;
    symbol.c_name = c_name;
    vec_push(&program->symbols, symbol);
    return program->symbols.count - 1;
}

/* kiln_square(x) = x * x, called directly (kiln_call_direct(x) = square + 1)
 * and through a pointer held in a register (kiln_call_indirect); libm's
 * fmod; rtlib's rt_str_eq (a bool) and rt_str_cmp (an int); an extern fn
 * with int and bool parameters; the variadic rt_raise with a C string. */
static void build_calls(LowProgram *program) {
    LowBuilder builder;
    LowFunc *func = func_new(&builder, program, "kiln_square", LOW_I64, 1, LOW_I64);
    int square = func->symbol;
    low_term_return(&builder,
                    low_emit_binary(&builder, LOW_BIN_MUL, reg(&builder, 0), reg(&builder, 0)));
    func_new(&builder, program, "kiln_call_direct", LOW_I64, 1, LOW_I64);
    LowValue args[2] = {low_thread(), reg(&builder, 0)};
    LowValue squared = low_emit_call(&builder, square, args, 2);
    low_term_return(&builder, low_emit_binary(&builder, LOW_BIN_ADD, squared, low_int(1)));
    func = func_new(&builder, program, "kiln_call_indirect", LOW_I64, 1, LOW_I64);
    int pointer = low_new_reg(func, LOW_PTR);
    low_emit_copy(&builder, pointer, low_symbol_value(square));
    LowType params[2] = {LOW_PTR, LOW_I64};
    args[1] = reg(&builder, 0);
    low_term_return(&builder, low_emit_call_indirect(&builder, reg(&builder, pointer), LOW_I64,
                                                     params, args, 2));
    func_new(&builder, program, "kiln_fmod", LOW_F64, 2, LOW_F64, LOW_F64);
    low_term_return(&builder,
                    low_emit_runtime(&builder, "fmod", 2, reg(&builder, 0), reg(&builder, 1)));
    func_new(&builder, program, "kiln_is_hello", LOW_I64, 1, LOW_PTR);
    low_term_return(&builder,
                    low_emit_runtime(&builder, "rt_str_eq", 2, low_str_value(program, "hello", 5),
                                     reg(&builder, 0)));
    func_new(&builder, program, "kiln_compare", LOW_I64, 2, LOW_PTR, LOW_PTR);
    low_term_return(
        &builder, low_emit_runtime(&builder, "rt_str_cmp", 2, reg(&builder, 0), reg(&builder, 1)));
    LowType extern_params[3] = {LOW_I64, LOW_I32, LOW_BOOL};
    int between = add_extern(program, "kext_1", "driver_between", LOW_BOOL, extern_params, 3);
    func_new(&builder, program, "kiln_between", LOW_I64, 3, LOW_I64, LOW_I64, LOW_I64);
    LowValue between_args[3] = {reg(&builder, 0), reg(&builder, 1), reg(&builder, 2)};
    low_term_return(&builder, low_emit_call(&builder, between, between_args, 3));
    func_new(&builder, program, "kiln_raise", LOW_VOID, 2, LOW_I64, LOW_I64);
    low_emit_runtime(&builder, "rt_raise", 5, low_thread(), low_int(RT_ERR_VALUE),
                     low_cstring_value(program, "value %" PRId64 " and %" PRId64), reg(&builder, 0),
                     reg(&builder, 1));
    low_term_return(&builder, low_none());
}

static const char calls_driver[] =
    "#include <stdarg.h>\n"
    "int64_t kiln_call_direct(GcThread *, int64_t); int64_t kiln_call_indirect(GcThread *, "
    "int64_t);\n"
    "double kiln_fmod(GcThread *, double, double); int64_t kiln_is_hello(GcThread *, RtStr *);\n"
    "int64_t kiln_compare(GcThread *, RtStr *, RtStr *);\n"
    "int64_t kiln_between(GcThread *, int64_t, int64_t, int64_t);\n"
    "void kiln_raise(GcThread *, int64_t, int64_t);\n"
    "bool rt_str_eq(const RtStr *left, const RtStr *right) {\n"
    "    return left->length == right->length && !memcmp(left->bytes, right->bytes, "
    "(size_t)left->length);\n}\n"
    "int rt_str_cmp(const RtStr *left, const RtStr *right) { return left->length < "
    "right->length ? -5 : 7; }\n"
    "bool driver_between(int64_t value, int limit, bool flag) {\n"
    "    printf(\"between %\" PRId64 \" %d %d\\n\", value, limit, (int)flag);\n"
    "    return flag && value < limit;\n}\n"
    "void rt_raise(GcThread *thread, RtError error, const char *format, ...) {\n"
    "    va_list list; va_start(list, format);\n"
    "    printf(\"raise %d: \", (int)error); vprintf(format, list); puts(\"\");\n"
    "    va_end(list);\n}\n"
    "static RtStr *make(const char *text) {\n"
    "    RtStr *str = calloc(1, sizeof(RtStr) + strlen(text) + 1);\n"
    "    str->length = (int64_t)strlen(text); memcpy(str->bytes, text, strlen(text)); return "
    "str;\n}\n"
    "int main(void) {\n"
    "    printf(\"%\" PRId64 \" %\" PRId64 \" %g\\n\", kiln_call_direct(NULL, 12), "
    "kiln_call_indirect(NULL, -9), kiln_fmod(NULL, 7.5, 2.0));\n"
    "    printf(\"%\" PRId64 \" %\" PRId64 \"\\n\", kiln_is_hello(NULL, make(\"hello\")), "
    "kiln_is_hello(NULL, make(\"help!\")));\n"
    "    printf(\"%\" PRId64 \" %\" PRId64 \"\\n\", kiln_compare(NULL, make(\"a\"), "
    "make(\"bb\")), kiln_compare(NULL, make(\"bb\"), make(\"a\")));\n"
    "    printf(\"%\" PRId64 \"\\n\", kiln_between(NULL, 3, 0x100000005, 2));\n"
    "    printf(\"%\" PRId64 \"\\n\", kiln_between(NULL, 3, 0x100000005, 0));\n"
    "    kiln_raise(NULL, -1, 123456789012);\n"
    "    return 0;\n}\n";

START_TEST(direct_indirect_runtime_extern_and_variadic_calls) {
    Run run;
    run_init(&run);
    build_calls(run.program);
    char *output = run_program(&run, _i, calls_driver);
    expect_success(&run);
    char *expected = format("145 81 %g\n1 0\n-5 7\nbetween 3 5 1\n1\nbetween 3 5 0\n0\n"
                            "raise %d: value -1 and 123456789012\n",
                            fmod(7.5, 2.0), (int)RT_ERR_VALUE);
    ck_assert_str_eq(output, expected);
    free(expected);
    free(output);
    run_free(&run);
}
END_TEST

/* ---- primitives ---------------------------------------------------------------------- */

static void build_prims(LowProgram *program) {
    LowBuilder builder;
    func_new(&builder, program, "kiln_alloc_const", LOW_PTR, 0);
    low_term_return(&builder,
                    low_emit_prim(&builder, LOW_PRIM_ALLOC, LOW_PTR, 2, low_int(77), low_int(20)));
    func_new(&builder, program, "kiln_alloc_var", LOW_PTR, 1, LOW_I64);
    low_term_return(&builder, low_emit_prim(&builder, LOW_PRIM_ALLOC, LOW_PTR, 2, low_int(78),
                                            reg(&builder, 0)));
    func_new(&builder, program, "kiln_barrier", LOW_VOID, 1, LOW_PTR);
    low_emit_prim(&builder, LOW_PRIM_WRITE_BARRIER, LOW_VOID, 1, reg(&builder, 0));
    low_term_return(&builder, low_none());
    func_new(&builder, program, "kiln_array_barrier", LOW_VOID, 2, LOW_PTR, LOW_I64);
    low_emit_prim(&builder, LOW_PRIM_ARRAY_BARRIER, LOW_VOID, 2, reg(&builder, 0),
                  reg(&builder, 1));
    low_term_return(&builder, low_none());
    func_new(&builder, program, "kiln_type_id", LOW_I64, 1, LOW_PTR);
    low_term_return(&builder,
                    low_emit_prim(&builder, LOW_PRIM_TYPE_ID, LOW_I64, 1, reg(&builder, 0)));
    func_new(&builder, program, "kiln_spill_check", LOW_VOID, 1, LOW_I64);
    low_emit_prim(&builder, LOW_PRIM_SPILL_CHECK, LOW_VOID, 1, reg(&builder, 0));
    low_term_return(&builder, low_none());
    func_new(&builder, program, "kiln_spill_check_4", LOW_VOID, 0);
    low_emit_prim(&builder, LOW_PRIM_SPILL_CHECK, LOW_VOID, 1, low_int(4));
    low_term_return(&builder, low_none());
    func_new(&builder, program, "kiln_roots", LOW_PTR, 2, LOW_PTR, LOW_PTR);
    low_emit_prim(&builder, LOW_PRIM_ROOT_STORE, LOW_VOID, 2, low_int(0), reg(&builder, 0));
    low_emit_prim(&builder, LOW_PRIM_ROOT_STORE, LOW_VOID, 2, low_int(1), reg(&builder, 1));
    low_emit_prim(&builder, LOW_PRIM_ROOT_ADJUST, LOW_VOID, 1, low_int(2));
    low_term_return(&builder, low_emit_prim(&builder, LOW_PRIM_ROOT_LOAD, LOW_PTR, 1, low_int(-2)));
    func_new(&builder, program, "kiln_unroot", LOW_VOID, 0);
    low_emit_prim(&builder, LOW_PRIM_ROOT_ADJUST, LOW_VOID, 1, low_int(-2));
    low_term_return(&builder, low_none());
    func_new(&builder, program, "kiln_pending", LOW_I64, 0);
    low_term_return(&builder, low_emit_prim(&builder, LOW_PRIM_EXCEPTION_PENDING, LOW_I64, 0));
    func_new(&builder, program, "kiln_catch", LOW_PTR, 0);
    low_term_return(&builder, low_emit_prim(&builder, LOW_PRIM_CATCH, LOW_PTR, 0));
    func_new(&builder, program, "kiln_frame", LOW_PTR, 0);
    low_term_return(&builder, low_emit_prim(&builder, LOW_PRIM_FRAME_ADDRESS, LOW_PTR, 0));
    func_new(&builder, program, "kiln_stack_check", LOW_I64, 0);
    low_term_return(&builder, low_emit_prim(&builder, LOW_PRIM_STACK_CHECK, LOW_I64, 0));
    /* kiln_outer: whether the frame of kiln_inner, which it calls (and
     * which LLVM inlines from -O1 on), differs from its own */
    LowFunc *inner = func_new(&builder, program, "kiln_inner", LOW_PTR, 0);
    inner->is_static = true;
    int inner_symbol = inner->symbol;
    low_term_return(&builder, low_emit_prim(&builder, LOW_PRIM_FRAME_ADDRESS, LOW_PTR, 0));
    func_new(&builder, program, "kiln_outer", LOW_I64, 0);
    LowValue thread = low_thread();
    LowValue inner_frame = low_emit_call(&builder, inner_symbol, &thread, 1);
    LowValue own_frame = low_emit_prim(&builder, LOW_PRIM_FRAME_ADDRESS, LOW_PTR, 0);
    low_term_return(&builder, low_emit_binary(&builder, LOW_BIN_PTR_NE, inner_frame, own_frame));
}

/* Each primitive against gc.h's and rt.h's inline function on the same
 * state: allocations on two nurseries, barriers counting slow-path calls. */
static const char prims_driver[] =
    "void *kiln_alloc_const(GcThread *); void *kiln_alloc_var(GcThread *, int64_t);\n"
    "void kiln_barrier(GcThread *, void *); void kiln_array_barrier(GcThread *, void *, "
    "int64_t);\n"
    "int64_t kiln_type_id(GcThread *, void *); void kiln_spill_check(GcThread *, int64_t);\n"
    "void kiln_spill_check_4(GcThread *); void *kiln_roots(GcThread *, void *, void *);\n"
    "void kiln_unroot(GcThread *); int64_t kiln_pending(GcThread *); void "
    "*kiln_catch(GcThread *);\n"
    "void *kiln_frame(GcThread *); int64_t kiln_stack_check(GcThread *);\n"
    "int64_t kiln_outer(GcThread *);\n"
    "_Thread_local RtThread rt_thread;\n"
    "static _Alignas(8) char general[1 << 16]; static size_t general_used;\n"
    "static int slow_calls, differs;\n"
    "void *gc_alloc_general(GcThread *thread, uint32_t type_id, size_t size, int64_t length) {\n"
    "    char *result = general + general_used; general_used += size;\n"
    "    *(GcHeader *)result = type_id | ((GcHeader)length << 40); return result;\n}\n"
    "void gc_write_barrier_slow(GcThread *thread, void *object) { slow_calls++; }\n"
    "void gc_write_barrier_array_slow(GcThread *thread, void *array, int64_t index) { "
    "slow_calls += 100; }\n"
    "_Noreturn void gc_shadow_stack_overflow(GcThread *thread) { puts(\"overflow\"); exit(0); }\n"
    "static _Alignas(8) char nursery_a[128], nursery_b[128];\n"
    "static GcThread thread_a = {nursery_a, nursery_a + 100}, thread_b = {nursery_b, nursery_b + "
    "100};\n"
    "static long where(char *result, char *nursery) {\n"
    "    return result >= nursery && result < nursery + 128 ? result - nursery : -1;\n}\n"
    "static void step(char *mine, char *theirs) {\n"
    "    long at = where(mine, nursery_a);\n"
    "    printf(\"%ld %\" PRIx64 \" %ld\\n\", at, *(GcHeader *)mine, (long)(thread_a.nursery_free "
    "- nursery_a));\n"
    "    if (at != where(theirs, nursery_b) || *(GcHeader *)mine != *(GcHeader *)theirs ||\n"
    "        thread_a.nursery_free - nursery_a != thread_b.nursery_free - nursery_b) differs++;\n"
    "}\n"
    "static int barriers(int use_llvm) {\n"
    "    _Alignas(8) unsigned char space[64] = {0}; GcHeader *array = (GcHeader *)(space + 16);\n"
    "    slow_calls = 0;\n"
    "    GcHeader headers[5] = {3, 3 | GC_FLAG_WRITE_BARRIER, 3 | GC_FLAG_WRITE_BARRIER | "
    "GC_FLAG_HAS_CARDS, 3 | GC_FLAG_WRITE_BARRIER | GC_FLAG_HAS_CARDS, 3 | GC_FLAG_OLD};\n"
    "    for (int i = 0; i < 5; i++) {\n"
    "        *array = headers[i]; space[13] = i == 3;\n"
    "        if (use_llvm) { kiln_barrier(&thread_a, array); kiln_array_barrier(&thread_a, "
    "array, 300); }\n"
    "        else { gc_write_barrier(&thread_a, array); gc_write_barrier_array(&thread_a, array, "
    "300); }\n"
    "    }\n"
    "    return slow_calls;\n}\n"
    "int main(void) {\n"
    "    int64_t sizes[] = {1, 8, 17, 20, 33, 200, 20000};\n"
    "    for (int i = 0; i < 7; i++) step(kiln_alloc_var(&thread_a, sizes[i]), "
    "gc_alloc(&thread_b, 78, (size_t)sizes[i]));\n"
    "    thread_a.nursery_free = nursery_a + 72; thread_b.nursery_free = nursery_b + 72;\n"
    "    step(kiln_alloc_const(&thread_a), gc_alloc(&thread_b, 77, 20));\n"
    "    step(kiln_alloc_const(&thread_a), gc_alloc(&thread_b, 77, 20));\n"
    "    printf(\"differs %d\\n\", differs);\n"
    "    printf(\"barriers %d %d\\n\", barriers(1), barriers(0));\n"
    "    GcHeader object[2] = {0x12345 | GC_FLAG_OLD | GC_FLAG_MARKED, 0};\n"
    "    printf(\"type %\" PRIx64 \" %\" PRIx32 \"\\n\", kiln_type_id(&thread_a, object), "
    "rt_type_of(object));\n"
    "    void *roots[8] = {0}; int a, b;\n"
    "    thread_a.root_top = roots; thread_a.root_limit = roots + 8;\n"
    "    void *loaded = kiln_roots(&thread_a, &a, &b);\n"
    "    printf(\"roots %d %d %d %d\", loaded == &a, roots[0] == &a, roots[1] == &b, "
    "(int)(thread_a.root_top - roots));\n"
    "    kiln_unroot(&thread_a); printf(\" %d\\n\", (int)(thread_a.root_top - roots));\n"
    "    printf(\"pending %\" PRId64, kiln_pending(&thread_a));\n"
    "    rt_thread.exception = object;\n"
    "    printf(\" %\" PRId64, kiln_pending(&thread_a));\n"
    "    void *caught = kiln_catch(&thread_a);\n"
    "    printf(\" %d %d %\" PRId64 \"\\n\", caught == object, rt_thread.exception == NULL, "
    "kiln_pending(&thread_a));\n"
    "    char local; char *frame = kiln_frame(&thread_a);\n"
    "    printf(\"frame %d\\n\", frame != NULL && frame - &local < (1 << 20) && &local - frame < "
    "(1 "
    "<< 20));\n"
    "    printf(\"inlined frames differ %\" PRId64 \"\\n\", kiln_outer(&thread_a));\n"
    "    rt_thread.stack_limit = NULL; int64_t roomy = kiln_stack_check(&thread_a);\n"
    "    rt_thread.stack_limit = (const char *)UINTPTR_MAX;\n"
    "    printf(\"stack %\" PRId64 \" %\" PRId64 \" %d\\n\", roomy, kiln_stack_check(&thread_a), "
    "(int)rt_stack_exhausted());\n"
    "    kiln_spill_check(&thread_a, 8); kiln_spill_check_4(&thread_a); puts(\"spill ok\");\n"
    "    fflush(stdout); kiln_spill_check(&thread_a, 9);\n"
    "    puts(\"not reached\");\n"
    "    return 1;\n}\n";

START_TEST(primitives_behave_as_the_runtime_inline_functions) {
    Run run;
    run_init(&run);
    build_prims(run.program);
    char *output = run_program(&run, _i, prims_driver);
    expect_success(&run);
    /* rounded sizes 16, 16, 24, 24 fill 80 of the 100 bytes; 40 does not
     * fit, 200 neither, 20000 is over GC_NURSERY_OBJECT_MAX: the general
     * allocator (which puts the length 0 in the header's bits 40..).  From
     * 72, one constant-size object (24) fits, the next does not.  The
     * barriers: one slow call per flagged header (3), and an array slow
     * call (100) unless its card is already marked (2). */
    ck_assert_str_eq(output, "0 4e 16\n16 4e 32\n32 4e 56\n56 4e 80\n-1 4e 80\n-1 4e 80\n"
                             "-1 4e 80\n72 4d 96\n-1 4d 96\ndiffers 0\nbarriers 203 203\n"
                             "type 12345 12345\nroots 1 1 1 2 0\npending 0 1 1 1 0\nframe 1\n"
                             "inlined frames differ 1\n"
                             "stack 0 1 1\nspill ok\noverflow\n");
    free(output);
    run_free(&run);
}
END_TEST

/* ---- unreachable -------------------------------------------------------------------- */

START_TEST(unreachable_aborts) {
    Run run;
    run_init(&run);
    LowBuilder builder;
    LowFunc *func = func_new(&builder, run.program, "kiln_checked", LOW_I64, 1, LOW_I64);
    int fine = low_new_block(func, "fine"), impossible = low_new_block(func, "impossible");
    low_term_branch(&builder, reg(&builder, 0), fine, impossible, LOW_HINT_LIKELY);
    low_set_block(&builder, fine);
    low_term_return(&builder, low_int(1));
    low_set_block(&builder, impossible);
    low_term_unreachable(&builder);
    char *output = run_program(&run, _i,
                               "int64_t kiln_checked(GcThread *, int64_t);\n"
                               "int main(void) {\n"
                               "    printf(\"%\" PRId64 \"\\n\", kiln_checked(NULL, 3));\n"
                               "    fflush(stdout); kiln_checked(NULL, 0); puts(\"not reached\");\n"
                               "    return 0;\n}\n");
    ck_assert_str_eq(output, "1\n");
    bool aborted = (WIFSIGNALED(run.status) && WTERMSIG(run.status) == SIGABRT) ||
                   (WIFEXITED(run.status) && WEXITSTATUS(run.status) == 128 + SIGABRT);
    ck_assert_msg(aborted, "wait status %d is not SIGABRT", run.status);
    free(output);
    run_free(&run);
}
END_TEST

/* ---- AddressSanitizer ---------------------------------------------------------------- */

/* Whether `cc -fsanitize=address` links a program that then runs: the
 * sanitizer tests need the runtime, which not every compiler installs. */
static bool asan_available(Run *run) {
    char command[512];
    snprintf(command, sizeof command,
             "printf 'int main(void) { return 0; }\\n' >'%s/probe.c' && "
             "cc -fsanitize=address '%s/probe.c' -o '%s/probe' 2>/dev/null && "
             "ASAN_OPTIONS=detect_leaks=0 '%s/probe'",
             run->dir, run->dir, run->dir, run->dir);
    return system(command) == 0;
}

/* kiln_peek(th, words, index): the word words[index], a load at an index
 * the code cannot know, so that no optimization level removes the check. */
static void build_peek(LowProgram *program) {
    LowBuilder builder;
    func_new(&builder, program, "kiln_peek", LOW_I64, 2, LOW_PTR, LOW_I64);
    low_term_return(&builder, low_emit_load_indexed(&builder, LOW_I64, reg(&builder, 0),
                                                    reg(&builder, 1), sizeof(int64_t), 0));
}

/* A driver that reads the two words of a malloc'd object through
 * kiln_peek, then does `bad_access`, which must not come back. */
static char *peek_driver(const char *bad_access) {
    return format("int64_t kiln_peek(GcThread *, int64_t *, int64_t);\n"
                  "int main(void) {\n"
                  "    int64_t *object = malloc(2 * sizeof(int64_t));\n"
                  "    object[0] = 5; object[1] = 7;\n"
                  "    printf(\"%%\" PRId64 \" %%\" PRId64 \"\\n\", kiln_peek(NULL, object, 0), "
                  "kiln_peek(NULL, object, 1));\n"
                  "    fflush(stdout);\n"
                  "    %s\n"
                  "    puts(\"not reached\");\n"
                  "    return 0;\n}\n",
                  bad_access);
}

/* Runs the peek driver sanitized at `opt_level` and checks that the bad
 * access ended it with AddressSanitizer's report of `error`, a read of 8
 * bytes in kiln_peek. */
static void expect_asan_report(int opt_level, const char *bad_access, const char *error) {
    Run run;
    run_init(&run);
    if (!asan_available(&run)) {
        fprintf(stderr, "test_backend_llvm: cc cannot link -fsanitize=address programs; the "
                        "AddressSanitizer tests are skipped\n");
        run_free(&run);
        return;
    }
    run.sanitize = true;
    build_peek(run.program);
    char *driver = peek_driver(bad_access);
    char *output = run_program(&run, opt_level, driver);
    char path[64];
    char *report = kiln_read_text(run_path(&run, "prog.err", path, sizeof path));
    ck_assert_ptr_nonnull(report);
    ck_assert_str_eq(output, "5 7\n");
    ck_assert_msg(WIFEXITED(run.status) && WEXITSTATUS(run.status) == ASAN_EXIT_STATUS,
                  "wait status %d is not AddressSanitizer's exit; it said:\n%s", run.status,
                  report);
    char *headline = format("ERROR: AddressSanitizer: %s", error);
    ck_assert_msg(strstr(report, headline), "no '%s' in\n%s", headline, report);
    ck_assert_msg(strstr(report, "READ of size 8"), "%s", report);
    ck_assert_msg(strstr(report, "kiln_peek"), "the report does not name kiln_peek:\n%s", report);
    char *ll = kiln_read_text(run_path(&run, "prog.ll", path, sizeof path));
    ck_assert_ptr_nonnull(ll);
    ck_assert_msg(strstr(ll, "sanitize_address"), "%s", ll);
    free(ll);
    free(headline);
    free(report);
    free(output);
    free(driver);
    run_free(&run);
}

/* One word past the end of a malloc'd object: the load is checked at
 * every optimization level, -O0 included. */
START_TEST(sanitized_code_reports_reads_past_an_object) {
    expect_asan_report(_i, "printf(\"%\" PRId64 \"\\n\", kiln_peek(NULL, object, 2));",
                       "heap-buffer-overflow");
}
END_TEST

START_TEST(sanitized_code_reports_reads_of_freed_objects) {
    expect_asan_report(_i,
                       "free(object); printf(\"%\" PRId64 \"\\n\", kiln_peek(NULL, object, 0));",
                       "heap-use-after-free");
}
END_TEST

/* ---- diagnostics ------------------------------------------------------------------- */

static const char bad_source[] = "fn good() { return 1; }\n"
                                 "fn bad() { return 1.5; }\n"
                                 "fn short_call() { return good(); }\n";

/* A function returning a float register from an int function, and one
 * calling another with an argument missing: LLVM's verifier rejects both,
 * and the diagnostics name them at their Kiln C lines. */
START_TEST(verifier_failures_name_the_function) {
    Run run;
    run_init(&run);
    int file = diag_add_file(&run.diag, "bad.kc", bad_source, (int)strlen(bad_source));
    LowBuilder builder;
    LowFunc *func = low_func_new(&builder, run.program, "kiln_good", "good", LOW_I64, NULL, 0);
    func->pos = (SrcPos){file, 1, 4, 4};
    int good = func->symbol;
    low_term_return(&builder, low_int(1));
    func = low_func_new(&builder, run.program, "kiln_bad", "bad", LOW_I64, NULL, 0);
    func->pos = (SrcPos){file, 2, 4, 3};
    int number = low_new_reg(func, LOW_F64);
    low_emit_copy(&builder, number, low_float(1.5));
    low_term_return(&builder, reg(&builder, number));
    func = low_func_new(&builder, run.program, "kiln_short_call", "short_call", LOW_I64, NULL, 0);
    func->pos = (SrcPos){file, 3, 4, 10};
    low_term_return(&builder, low_emit_call(&builder, good, NULL, 0));
    ck_assert_int_eq(run_emit(&run, 0, true), -1);
    const char *messages = run_messages(&run);
    ck_assert_msg(strstr(messages, "bad.kc:2:4: error: LLVM rejects the code made for function "
                                   "'bad' (kiln_bad)"),
                  "%s", messages);
    ck_assert_msg(strstr(messages, "    fn bad() { return 1.5; }\n"), "%s", messages);
    ck_assert_msg(strstr(messages, "bad.kc:3:4: error: LLVM rejects the code made for function "
                                   "'short_call'"),
                  "%s", messages);
    ck_assert_msg(strstr(messages, "return type does not match"), "%s", messages);
    ck_assert_msg(!strstr(messages, "'good'"), "%s", messages);
    ck_assert_int_eq(run.diag.errors, 2);
    run_free(&run);
}
END_TEST

/* A block without terminator is caught by low_verify before LLVM sees it. */
START_TEST(malformed_graphs_are_reported) {
    Run run;
    run_init(&run);
    LowBuilder builder;
    LowFunc *func = func_new(&builder, run.program, "kiln_open", LOW_I64, 0);
    low_term_goto(&builder, low_new_block(func, "open"));
    ck_assert_int_eq(run_emit(&run, 2, false), -1);
    const char *messages = run_messages(&run);
    ck_assert_msg(strstr(messages, "error: the low-level graphs handed to the LLVM backend are "
                                   "malformed (1 problems)"),
                  "%s", messages);
    ck_assert_msg(strstr(messages, "kiln_open, b1: no terminator"), "%s", messages);
    BackendLlvmOptions options = {7, false, false, NULL, NULL, NULL, false};
    ck_assert_int_eq(backend_llvm_emit(run.program, &run.diag, &options), -1);
    ck_assert_msg(strstr(run_messages(&run), "-O0 to -O3, not -O7"), "%s", run_messages(&run));
    run_free(&run);
}
END_TEST

/* ---- outputs and debug information ------------------------------------------------- */

static const char debug_source[] = "// dbg.kc\n"
                                   "\n"
                                   "fn dbg(x) {\n"
                                   "    var y = x * 3;\n"
                                   "    if (y > 10) {\n"
                                   "        y = helper(y);\n"
                                   "    }\n"
                                   "    return y + sqrt(2.0);\n"
                                   "}\n";

/* kiln_dbg(x) at dbg.kc:3, its instructions at lines 4 to 8, calling the
 * file-local kiln_helper. */
static void build_debug(Run *run, int file) {
    LowBuilder builder;
    LowType params[1] = {LOW_I64};
    LowFunc *func =
        low_func_new(&builder, run->program, "kiln_helper", "helper", LOW_I64, params, 1);
    func->is_static = true;
    func->pos = (SrcPos){file, 6, 13, 6};
    int helper = func->symbol;
    low_term_return(&builder, low_emit_unary(&builder, LOW_UN_NEG, reg(&builder, 0)));
    func = low_func_new(&builder, run->program, "kiln_dbg", "dbg", LOW_I64, params, 1);
    func->pos = (SrcPos){file, 3, 4, 3};
    int y = low_new_reg(func, LOW_I64);
    int call = low_new_block(func, "call"), done = low_new_block(func, "done");
    builder.pos = (SrcPos){file, 4, 13, 5};
    low_emit_copy(&builder, y,
                  low_emit_binary(&builder, LOW_BIN_MUL, reg(&builder, 0), low_int(3)));
    builder.pos = (SrcPos){file, 5, 11, 6};
    low_term_branch(&builder, low_emit_binary(&builder, LOW_BIN_GT, reg(&builder, y), low_int(10)),
                    call, done, LOW_HINT_UNLIKELY);
    low_set_block(&builder, call);
    builder.pos = (SrcPos){file, 6, 13, 9};
    LowValue args[2] = {low_thread(), reg(&builder, y)};
    low_emit_copy(&builder, y, low_emit_call(&builder, helper, args, 2));
    low_term_goto(&builder, done);
    low_set_block(&builder, done);
    builder.pos = (SrcPos){file, 8, 16, 9};
    LowValue root = low_emit_runtime(&builder, "sqrt", 1, low_float(2.0));
    LowValue whole = low_emit_unary(&builder, LOW_UN_BITS_OF_FLOAT, root);
    low_term_return(&builder, low_emit_binary(&builder, LOW_BIN_ADD, reg(&builder, y), whole));
}

/* Whether readelf's decoded line table has a row for file:line. */
static bool line_table_has(const char *table, const char *file, int line) {
    for (const char *row = table; row && *row;
         row = strchr(row, '\n'), row = row ? row + 1 : NULL) {
        char name[256];
        int number;
        if (sscanf(row, "%255s %d", name, &number) == 2 && strcmp(name, file) == 0 &&
            number == line)
            return true;
    }
    return false;
}

START_TEST(ll_bitcode_and_dwarf_lines) {
    Run run;
    run_init(&run);
    int file = diag_add_file(&run.diag, "dbg.kc", debug_source, (int)strlen(debug_source));
    build_debug(&run, file);
    ck_assert_msg(run_emit(&run, 0, true) == 0, "%s", run_messages(&run));
    char path[64];
    char *ll = kiln_read_text(run_path(&run, "prog.ll", path, sizeof path));
    ck_assert_ptr_nonnull(ll);
    static const char *const wanted[] = {
        "define i64 @kiln_dbg(ptr %th, i64 %arg0)",
        "define internal i64 @kiln_helper(",
        "alloca i64",
        "!DISubprogram(name: \"dbg\", linkageName: \"kiln_dbg\"",
        "!DISubprogram(name: \"helper\", linkageName: \"kiln_helper\"",
        "!DILocation(line: 4, column: 13",
        "!DILocation(line: 6, column: 13",
        "!DILocation(line: 8, column: 16",
        "!DIFile(filename: \"dbg.kc\"",
        "!DILocalVariable(name: \"r1\"",
        "\"Dwarf Version\", i32 4",
        "\"Debug Info Version\"",
        "!{!\"branch_weights\", i32 1, i32 2000}",
        "target triple",
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        ck_assert_msg(strstr(ll, wanted[i]), "no '%s' in\n%s", wanted[i], ll);
    char *bitcode = kiln_read_text(run_path(&run, "prog.bc", path, sizeof path));
    ck_assert_ptr_nonnull(bitcode);
    ck_assert_mem_eq(bitcode, "BC\xc0\xde", 4);
    char command[256];
    snprintf(command, sizeof command, "readelf --debug-dump=decodedline '%s/prog.o'", run.dir);
    char *lines = run_command(&run, command);
    for (int line = 3; line <= 8; line++)
        if (line != 7)
            ck_assert_msg(line_table_has(lines, "dbg.kc", line), "no line %d in\n%s", line, lines);
    free(lines);
    /* no .debug_names: gdb would take it for the index of the whole VM and
     * skip the C units linked beside (llvm_debug.c) */
    snprintf(command, sizeof command, "readelf --section-headers --wide '%s/prog.o'", run.dir);
    char *sections = run_command(&run, command);
    ck_assert_msg(strstr(sections, ".debug_line") && !strstr(sections, ".debug_names"), "%s",
                  sections);
    free(sections);
    free(bitcode);
    free(ll);
    run_free(&run);
}
END_TEST

/* From -O1 on, the registers are SSA values: no alloca is left. */
START_TEST(optimized_code_has_no_allocas) {
    Run run;
    run_init(&run);
    int file = diag_add_file(&run.diag, "dbg.kc", debug_source, (int)strlen(debug_source));
    build_debug(&run, file);
    ck_assert_msg(run_emit(&run, 2, false) == 0, "%s", run_messages(&run));
    char path[64];
    char *ll = kiln_read_text(run_path(&run, "prog.ll", path, sizeof path));
    ck_assert_ptr_nonnull(ll);
    ck_assert_msg(strstr(ll, "@kiln_dbg(") && !strstr(ll, "alloca"), "%s", ll);
    ck_assert_msg(!strstr(ll, "!DILocation"), "debug information without -g:\n%s", ll);
    free(ll);
    run_free(&run);
}
END_TEST

START_TEST(backend_is_available) {
    ck_assert(backend_llvm_available());
}
END_TEST

static Suite *backend_llvm_suite(void) {
    Suite *suite = suite_create("backend_llvm");
    TCase *running = tcase_create("running");
    tcase_set_timeout(running, 120);
    /* the loop index is the optimization level */
    tcase_add_loop_test(running, binary_operations_compute_as_c, 0, 4);
    tcase_add_loop_test(running, unary_select_and_pointer_operations, 0, 4);
    tcase_add_loop_test(running, loops_branches_and_switches, 0, 4);
    tcase_add_loop_test(running, loads_stores_data_and_str_constants, 0, 4);
    tcase_add_loop_test(running, direct_indirect_runtime_extern_and_variadic_calls, 0, 4);
    tcase_add_loop_test(running, primitives_behave_as_the_runtime_inline_functions, 0, 4);
    tcase_add_loop_test(running, unreachable_aborts, 0, 4);
    suite_add_tcase(suite, running);
    TCase *sanitizing = tcase_create("sanitizing");
    tcase_set_timeout(sanitizing, 120);
    tcase_add_loop_test(sanitizing, sanitized_code_reports_reads_past_an_object, 0, 4);
    tcase_add_loop_test(sanitizing, sanitized_code_reports_reads_of_freed_objects, 0, 4);
    suite_add_tcase(suite, sanitizing);
    TCase *reporting = tcase_create("reporting");
    tcase_set_timeout(reporting, 60);
    tcase_add_test(reporting, verifier_failures_name_the_function);
    tcase_add_test(reporting, malformed_graphs_are_reported);
    tcase_add_test(reporting, ll_bitcode_and_dwarf_lines);
    tcase_add_test(reporting, optimized_code_has_no_allocas);
    tcase_add_test(reporting, backend_is_available);
    suite_add_tcase(suite, reporting);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(backend_llvm_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
