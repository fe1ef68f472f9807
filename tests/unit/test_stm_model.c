/* test_stm_model.c - model-based random test of the STM engine.
 *
 * Each seed attaches several thread contexts in one OS thread and runs a
 * random program of transactions on each, interleaving their steps with a
 * seeded scheduler (so every run is reproducible).  A conflict aborts a
 * transaction, which jumps back to the scheduler and starts again.
 *
 * Checked:
 *   - opacity: every value a transaction reads, in every attempt, is the
 *     value last committed (or its own write), and the two objects of a
 *     cell (cell and box) always agree;
 *   - serializability: replaying the committed transactions one at a time,
 *     in commit order, on a serial model gives the same reads and the same
 *     final state as the heap;
 *   - the heap verifier passes at random points, with transactions in
 *     flight, and the shadow stack is back to its state after each abort.
 * KILN_STM_TEST_SEEDS sets the number of seeds (default 2000).
 */
#include "gc.h"
#include "stm.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

enum { CELLS = 6, CONTEXTS_MAX = 4, TRANSACTIONS_MAX = 4, OPS_MAX = 6 };

typedef struct Box {
    GcHeader header;
    int64_t value;
} Box;

typedef struct Cell {
    GcHeader header;
    int64_t value;
    Box *box;
} Cell;

typedef struct CellArray {
    GcHeader header;
    int64_t length;
    Cell *items[];
} CellArray;

static const uint32_t cell_refs[] = {offsetof(Cell, box)};
static const uint32_t array_item_refs[] = {0};

typedef enum OpKind { OP_READ, OP_WRITE, OP_ALLOC, OP_ABORT } OpKind;

typedef struct Op {
    OpKind kind;
    int cell;
} Op;

typedef struct Transaction {
    Op ops[OPS_MAX];
    int op_count;
    /* Of the attempt that committed. */
    int64_t read_values[OPS_MAX];
    int64_t written[CELLS];
    bool wrote[CELLS];
    int64_t id;
} Transaction;

typedef struct Program {
    GcThread *thread;
    Transaction transactions[TRANSACTIONS_MAX];
    int transaction_count;
    int current; /* transaction running or next */
    int pc;      /* next op of the current attempt */
    bool running;
    int attempts;
    int64_t sum; /* of the values read in this attempt */
    int pushed;  /* roots pushed by this attempt */
    void **roots_at_begin;
} Program;

typedef struct Harness {
    uint64_t random;
    GcHeap *heap;
    uint32_t box_type, cell_type, array_type;
    CellArray *cells;
    int64_t model[CELLS];
    Program programs[CONTEXTS_MAX];
    int program_count;
    int active; /* index of the program that ran the last step */
    int exclusive;
    uint32_t to_abort; /* programs still to abort before `exclusive` runs alone */
    Transaction *history[CONTEXTS_MAX * TRANSACTIONS_MAX];
    int history_count;
    long steps;
} Harness;

static uint64_t next_random(Harness *harness) {
    uint64_t value = harness->random += 0x9e3779b97f4a7c15u;
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9u;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebu;
    return value ^ (value >> 31);
}

static void register_types(Harness *harness) {
    GcTypeInfo types[] = {
        {.name = "Box", .fixed_size = sizeof(Box)},
        {.name = "Cell", .fixed_size = sizeof(Cell), .ref_count = 1, .ref_offsets = cell_refs},
        {.name = "CellArray",
         .fixed_size = sizeof(CellArray),
         .item_size = 8,
         .length_offset = offsetof(CellArray, length),
         .item_ref_count = 1,
         .item_ref_offsets = array_item_refs},
    };
    uint32_t first = gc_heap_register_types(harness->heap, types, 3);
    harness->box_type = first;
    harness->cell_type = first + 1;
    harness->array_type = first + 2;
}

static Box *new_box(Harness *harness, GcThread *thread, int64_t value) {
    Box *box = gc_alloc(thread, harness->box_type, sizeof(Box));
    box->value = value;
    return box;
}

/* The cells, made and committed by the first context. */
static void setup_cells(Harness *harness) {
    GcThread *thread = harness->programs[0].thread;
    stm_transaction_begin(thread);
    CellArray *array = gc_alloc_varsize(thread, harness->array_type, sizeof(CellArray), 8,
                                        offsetof(CellArray, length), CELLS);
    gc_push_root(thread, array);
    for (int i = 0; i < CELLS; i++) {
        Cell *cell = gc_alloc(thread, harness->cell_type, sizeof(Cell));
        array = thread->root_top[-1];
        array->items[i] = cell;
        cell->value = i;
        Box *box = new_box(harness, thread, i);
        array = thread->root_top[-1];
        cell = array->items[i];
        cell->box = box;
        harness->model[i] = i;
    }
    stm_commit(thread);
    harness->cells = gc_pop_root(thread);
    gc_heap_add_root(harness->heap, (void **)&harness->cells);
    ck_assert(!gc_is_young(harness->cells));
}

static void make_programs(Harness *harness) {
    harness->program_count = 2 + (int)(next_random(harness) % (CONTEXTS_MAX - 1));
    int64_t id = 0;
    for (int p = 0; p < harness->program_count; p++) {
        Program *program = &harness->programs[p];
        program->transaction_count = 1 + (int)(next_random(harness) % TRANSACTIONS_MAX);
        for (int t = 0; t < program->transaction_count; t++) {
            Transaction *transaction = &program->transactions[t];
            transaction->id = ++id;
            transaction->op_count = 1 + (int)(next_random(harness) % OPS_MAX);
            for (int o = 0; o < transaction->op_count; o++) {
                uint64_t pick = next_random(harness) % 100;
                Op *op = &transaction->ops[o];
                op->kind = pick < 50   ? OP_READ
                           : pick < 85 ? OP_WRITE
                           : pick < 97 ? OP_ALLOC
                                       : OP_ABORT;
                op->cell = (int)(next_random(harness) % CELLS);
            }
        }
    }
}

static void reset_attempt(Program *program) {
    Transaction *transaction = &program->transactions[program->current];
    program->pc = 0;
    program->sum = 0;
    program->pushed = 0;
    memset(transaction->wrote, 0, sizeof transaction->wrote);
}

static int64_t write_value(const Transaction *transaction, int64_t sum, int op_index) {
    return transaction->id * 1000 + sum % 997 + op_index;
}

static void do_read(Harness *harness, Program *program, Transaction *transaction, const Op *op) {
    GcThread *thread = program->thread;
    Cell *cell = harness->cells->items[op->cell];
    stm_read_barrier(thread, cell);
    int64_t value = cell->value;
    Box *box = cell->box;
    stm_read_barrier(thread, box);
    int64_t expected =
        transaction->wrote[op->cell] ? transaction->written[op->cell] : harness->model[op->cell];
    ck_assert_msg(value == expected, "opacity: read %lld from cell %d, expected %lld",
                  (long long)value, op->cell, (long long)expected);
    ck_assert_msg(box->value == value, "cell %d and its box disagree", op->cell);
    transaction->read_values[program->pc] = value;
    program->sum += value;
}

static void do_write(Harness *harness, Program *program, Transaction *transaction, const Op *op) {
    GcThread *thread = program->thread;
    Cell *cell = harness->cells->items[op->cell];
    int64_t value = write_value(transaction, program->sum, program->pc);
    gc_write_barrier(thread, cell);
    cell->value = value;
    Box *box = new_box(harness, thread, value); /* cells are old: they do not move */
    gc_write_barrier(thread, cell);
    cell->box = box;
    transaction->written[op->cell] = value;
    transaction->wrote[op->cell] = true;
}

static void commit(Harness *harness, Program *program, Transaction *transaction) {
    GcThread *thread = program->thread;
    for (; program->pushed > 0; program->pushed--) {
        Box *box = gc_pop_root(thread);
        ck_assert(box->value == -7);
    }
    stm_commit(thread);
    for (int c = 0; c < CELLS; c++)
        if (transaction->wrote[c]) harness->model[c] = transaction->written[c];
    harness->history[harness->history_count++] = transaction;
    program->running = false;
    program->current++;
    if (harness->exclusive == harness->active) harness->exclusive = -1;
}

/* One step of program `index`: begin, one op, or commit. */
static void step(Harness *harness, int index) {
    Program *program = &harness->programs[index];
    GcThread *thread = program->thread;
    Transaction *transaction = &program->transactions[program->current];
    if (!program->running) {
        stm_begin_prepare(thread);
        stm_start_attempt(thread);
        program->running = true;
        program->attempts = 0;
        program->roots_at_begin = thread->root_top;
        reset_attempt(program);
        return;
    }
    if (program->pc == transaction->op_count) {
        commit(harness, program, transaction);
        return;
    }
    const Op *op = &transaction->ops[program->pc];
    switch (op->kind) {
    case OP_READ: do_read(harness, program, transaction, op); break;
    case OP_WRITE: do_write(harness, program, transaction, op); break;
    case OP_ALLOC:
        gc_push_root(thread, new_box(harness, thread, -7));
        program->pushed++;
        break;
    case OP_ABORT:
        if (program->attempts == 0) stm_abort_explicit(thread);
        break;
    }
    program->pc++;
}

static int pick_program(Harness *harness) {
    if (harness->exclusive >= 0) return harness->exclusive;
    int ready[CONTEXTS_MAX], count = 0;
    for (int p = 0; p < harness->program_count; p++)
        if (harness->programs[p].current < harness->programs[p].transaction_count)
            ready[count++] = p;
    if (!count) return -1;
    return ready[next_random(harness) % (uint64_t)count];
}

/* Replays the committed transactions one at a time in commit order. */
static void check_serial(Harness *harness) {
    int64_t serial[CELLS];
    for (int c = 0; c < CELLS; c++)
        serial[c] = c;
    for (int h = 0; h < harness->history_count; h++) {
        const Transaction *transaction = harness->history[h];
        int64_t sum = 0;
        for (int o = 0; o < transaction->op_count; o++) {
            const Op *op = &transaction->ops[o];
            if (op->kind == OP_READ) {
                ck_assert_msg(
                    serial[op->cell] == transaction->read_values[o],
                    "not serializable: transaction %lld read %lld, serial order gives %lld",
                    (long long)transaction->id, (long long)transaction->read_values[o],
                    (long long)serial[op->cell]);
                sum += serial[op->cell];
            } else if (op->kind == OP_WRITE) {
                serial[op->cell] = write_value(transaction, sum, o);
            }
        }
    }
    for (int c = 0; c < CELLS; c++) {
        ck_assert_int_eq(serial[c], harness->model[c]);
        ck_assert_int_eq(harness->cells->items[c]->value, serial[c]);
        ck_assert_int_eq(harness->cells->items[c]->box->value, serial[c]);
    }
}

static void verify_heap(Harness *harness) {
    GcVerifyReport report;
    size_t errors = gc_verify(harness->heap, &report);
    ck_assert_msg(errors == 0, "heap verifier: %s", report.first[0]);
}

static void run_seed(Harness *harness, uint64_t seed) {
    memset(harness, 0, sizeof *harness);
    harness->random = seed * 7919 + 1;
    harness->exclusive = -1;
    GcConfig config;
    gc_config_default(&config);
    gc_config_from_env(&config);
    config.nursery_bytes = 64 * 1024;
    config.verify = false;
    harness->heap = gc_heap_create(&config);
    stm_heap_set_automatic_inevitable(harness->heap, false);
    register_types(harness);
    make_programs(harness);
    for (int p = 0; p < harness->program_count; p++)
        harness->programs[p].thread = gc_thread_attach(harness->heap);
    setup_cells(harness);
    for (;;) {
        harness->active = pick_program(harness);
        if (harness->active < 0) break;
        if (setjmp(*stm_jump_buffer(harness->programs[harness->active].thread))) {
            /* The step aborted its transaction: everything is rolled back. */
            Program *program = &harness->programs[harness->active];
            ck_assert_msg(program->thread->root_top == program->roots_at_begin,
                          "the abort did not restore the shadow stack");
            stm_start_attempt(program->thread);
            program->attempts++;
            reset_attempt(program);
            if (program->attempts > 20 && harness->exclusive < 0) {
                /* Starving: abort the others' transactions (each jumps back
                 * here), then run this one alone until it commits. */
                harness->exclusive = harness->active;
                for (int p = 0; p < harness->program_count; p++)
                    if (p != harness->active && harness->programs[p].running)
                        harness->to_abort |= 1u << p;
            }
            if (harness->to_abort) {
                int victim = __builtin_ctz(harness->to_abort);
                harness->to_abort &= ~(1u << victim);
                harness->active = victim;
                stm_abort_explicit(harness->programs[victim].thread);
            }
            continue;
        }
        step(harness, harness->active);
        if (++harness->steps % 37 == 0) verify_heap(harness);
    }
    check_serial(harness);
    verify_heap(harness);
    for (int p = 0; p < harness->program_count; p++)
        gc_thread_detach(harness->programs[p].thread);
    gc_heap_destroy(harness->heap);
}

START_TEST(random_histories_are_serializable) {
    const char *text = getenv("KILN_STM_TEST_SEEDS");
    long seeds = text ? atol(text) : 2000;
    Harness *harness = malloc(sizeof(Harness));
    for (long seed = 0; seed < seeds; seed++)
        run_seed(harness, (uint64_t)seed);
    free(harness);
}
END_TEST

static Suite *model_suite(void) {
    Suite *suite = suite_create("stm_model");
    TCase *cases = tcase_create("model");
    tcase_set_timeout(cases, 600);
    tcase_add_test(cases, random_histories_are_serializable);
    suite_add_tcase(suite, cases);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(model_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
