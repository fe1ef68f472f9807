/* test_stm_hashtable.c - the STM hash tables (stm.h, "Hash tables").
 *
 *   - exact interleavings of two transactions in one OS thread: different
 *     keys never conflict (new keys or existing ones), one key read and
 *     written, or written twice, conflicts, and listing the table
 *     conflicts with adding, changing or removing a key;
 *   - a model test: random programs of get/set/length transactions on a
 *     few keys, interleaved by a seeded scheduler, checked for opacity at
 *     every read and replayed serially in commit order; in the seeds where
 *     each program keeps to keys of its own, no transaction may abort;
 *   - compaction by major collections, which keeps what transactions hold;
 *   - threads: disjoint inserts and updates (conflicts at most from orec
 *     aliasing), inserts and removals in pairs under a concurrent lister
 *     (every listing sees whole pairs), and counters on shared keys (no
 *     lost update).
 * KILN_STM_TEST_SEEDS sets the number of model seeds (default 2000),
 * KILN_STM_TEST_TRANSFERS the size of the threaded runs.
 */
#include "gc.h"
#include "stm.h"
#include "stm_internal.h"

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct Box {
    GcHeader header;
    int64_t value;
} Box;

static long env_long(const char *name, long fallback) {
    const char *text = getenv(name);
    return text ? atol(text) : fallback;
}

static uint32_t register_box(GcHeap *heap) {
    GcTypeInfo type = {.name = "Box", .fixed_size = sizeof(Box)};
    return gc_heap_register_types(heap, &type, 1);
}

static Box *new_box(GcThread *thread, uint32_t type, int64_t value) {
    Box *box = gc_alloc(thread, type, sizeof(Box));
    box->value = value;
    return box;
}

/* The value of `key` as a number: 0 for no value. */
static int64_t read_key(GcThread *thread, StmHashtable *table, uint64_t key) {
    Box *box = stm_hashtable_get(thread, table, key);
    if (!box) return 0;
    stm_read_barrier(thread, box);
    return box->value;
}

static void write_key(GcThread *thread, uint32_t type, StmHashtable *table, uint64_t key,
                      int64_t value) {
    stm_hashtable_set(thread, table, key, value ? new_box(thread, type, value) : NULL);
}

static uint64_t conflict_aborts(GcThread *thread) {
    StmStats stats;
    stm_get_stats(thread, &stats);
    return stats.aborts[STM_ABORT_READ_WRITE] + stats.aborts[STM_ABORT_WRITE_WRITE] +
           stats.aborts[STM_ABORT_INEVITABLE];
}

/* ---- Two transactions in one OS thread -------------------------------------
 *
 * The expected conflicts are exact, so the engine's own random aborts
 * (KILN_STM_STRESS) are off for these heaps. */

typedef struct Duo {
    GcHeap *heap;
    uint32_t box_type;
    GcThread *first;
    GcThread *second;
    StmHashtable *table; /* old: a C local stays valid */
} Duo;

static void duo_open(Duo *duo) {
    char *stress = getenv("KILN_STM_STRESS") ? strdup(getenv("KILN_STM_STRESS")) : NULL;
    unsetenv("KILN_STM_STRESS");
    duo->heap = gc_heap_create(NULL);
    if (stress) {
        setenv("KILN_STM_STRESS", stress, 1);
        free(stress);
    }
    stm_heap_set_automatic_inevitable(duo->heap, false);
    duo->box_type = register_box(duo->heap);
    duo->first = gc_thread_attach(duo->heap);
    duo->second = gc_thread_attach(duo->heap);
    gc_heap_add_root(duo->heap, (void **)&duo->table);
    stm_begin_prepare(duo->first);
    stm_start_attempt(duo->first);
    duo->table = stm_hashtable_new(duo->first);
    /* Keys 100 and 101 exist with a value. */
    write_key(duo->first, duo->box_type, duo->table, 100, 1);
    write_key(duo->first, duo->box_type, duo->table, 101, 1);
    stm_commit(duo->first);
}

static void duo_close(Duo *duo) {
    GcVerifyReport report;
    ck_assert_msg(gc_verify(duo->heap, &report) == 0, "heap verifier: %s", report.first[0]);
    gc_thread_detach(duo->first);
    gc_thread_detach(duo->second);
    gc_heap_destroy(duo->heap);
}

static void begin(GcThread *thread) {
    stm_begin_prepare(thread);
    stm_start_attempt(thread);
}

/* Runs `body` in the running transaction of `thread`; `aborted` tells
 * whether it aborted (the engine rolled it back and jumped back here, and
 * the transaction starts again). */
#define STEP(thread, aborted, body)                                                                \
    do {                                                                                           \
        if (setjmp(*stm_jump_buffer(thread))) {                                                    \
            (aborted) = true;                                                                      \
            stm_start_attempt(thread);                                                             \
        } else {                                                                                   \
            body;                                                                                  \
            (aborted) = false;                                                                     \
        }                                                                                          \
    } while (0)

/* The engine's own types come after the program's: generated code numbers
 * its types from 1 at translation time, in both builds. */
START_TEST(program_type_ids_start_at_one) {
    GcHeap *heap = gc_heap_create(NULL);
    ck_assert_uint_eq(register_box(heap), 1);
    ck_assert_uint_eq(register_box(heap), 2);
    GcThread *thread = gc_thread_attach(heap);
    /* The engine's types are there now, after the program's. */
    StmHashtable *table = stm_hashtable_new(thread);
    ck_assert_uint_gt(gc_header_load(table) & GC_TYPE_ID_MASK, 2);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

START_TEST(different_keys_do_not_conflict) {
    Duo duo;
    duo_open(&duo);
    volatile bool aborted;
    begin(duo.first);
    begin(duo.second);
    /* New keys (their entries are created meanwhile) and existing ones. */
    STEP(duo.first, aborted, write_key(duo.first, duo.box_type, duo.table, 1, 11));
    ck_assert(!aborted);
    STEP(duo.second, aborted, write_key(duo.second, duo.box_type, duo.table, 2, 22));
    ck_assert(!aborted);
    STEP(duo.first, aborted, ck_assert_int_eq(read_key(duo.first, duo.table, 3), 0));
    ck_assert(!aborted);
    STEP(duo.second, aborted, ck_assert_int_eq(read_key(duo.second, duo.table, 4), 0));
    ck_assert(!aborted);
    STEP(duo.first, aborted, write_key(duo.first, duo.box_type, duo.table, 100, 111));
    ck_assert(!aborted);
    STEP(duo.second, aborted, write_key(duo.second, duo.box_type, duo.table, 101, 0));
    ck_assert(!aborted);
    STEP(duo.second, aborted, write_key(duo.second, duo.box_type, duo.table, 4, 44));
    ck_assert(!aborted);
    STEP(duo.first, aborted, stm_commit(duo.first));
    ck_assert(!aborted);
    STEP(duo.second, aborted, stm_commit(duo.second));
    ck_assert(!aborted);
    ck_assert_uint_eq(conflict_aborts(duo.first) + conflict_aborts(duo.second), 0);
    begin(duo.first);
    ck_assert_int_eq(read_key(duo.first, duo.table, 1), 11);
    ck_assert_int_eq(read_key(duo.first, duo.table, 2), 22);
    ck_assert_int_eq(read_key(duo.first, duo.table, 4), 44);
    ck_assert_int_eq(read_key(duo.first, duo.table, 100), 111);
    ck_assert_int_eq(read_key(duo.first, duo.table, 101), 0);
    ck_assert_int_eq(stm_hashtable_length(duo.first, duo.table), 4);
    stm_commit(duo.first);
    duo_close(&duo);
}
END_TEST

START_TEST(one_key_written_twice_conflicts) {
    Duo duo;
    duo_open(&duo);
    volatile bool aborted;
    begin(duo.first);
    begin(duo.second);
    STEP(duo.first, aborted, write_key(duo.first, duo.box_type, duo.table, 7, 1));
    ck_assert(!aborted);
    STEP(duo.second, aborted, write_key(duo.second, duo.box_type, duo.table, 7, 2));
    ck_assert(aborted);
    StmStats stats;
    stm_get_stats(duo.second, &stats);
    ck_assert_uint_eq(stats.aborts[STM_ABORT_WRITE_WRITE], 1);
    STEP(duo.first, aborted, stm_commit(duo.first));
    ck_assert(!aborted);
    /* The retry sees the first one's value and overwrites it. */
    STEP(duo.second, aborted, ck_assert_int_eq(read_key(duo.second, duo.table, 7), 1));
    ck_assert(!aborted);
    STEP(duo.second, aborted, write_key(duo.second, duo.box_type, duo.table, 7, 2));
    ck_assert(!aborted);
    STEP(duo.second, aborted, stm_commit(duo.second));
    ck_assert(!aborted);
    begin(duo.first);
    ck_assert_int_eq(read_key(duo.first, duo.table, 7), 2);
    stm_commit(duo.first);
    duo_close(&duo);
}
END_TEST

START_TEST(one_key_read_and_written_conflicts) {
    Duo duo;
    duo_open(&duo);
    volatile bool aborted;
    StmStats stats;
    /* Read of a missing key, then a write of it. */
    begin(duo.first);
    begin(duo.second);
    STEP(duo.first, aborted, ck_assert_int_eq(read_key(duo.first, duo.table, 5), 0));
    ck_assert(!aborted);
    STEP(duo.second, aborted, write_key(duo.second, duo.box_type, duo.table, 5, 9));
    ck_assert(aborted);
    stm_get_stats(duo.second, &stats);
    ck_assert_uint_eq(stats.aborts[STM_ABORT_READ_WRITE], 1);
    STEP(duo.first, aborted, stm_commit(duo.first));
    STEP(duo.second, aborted, write_key(duo.second, duo.box_type, duo.table, 5, 9));
    ck_assert(!aborted);
    /* A write, then a read of the same key (existing). */
    begin(duo.first);
    STEP(duo.first, aborted, ck_assert_int_eq(read_key(duo.first, duo.table, 100), 1));
    ck_assert(!aborted);
    STEP(duo.first, aborted, ck_assert_int_eq(read_key(duo.first, duo.table, 5), 0));
    ck_assert(aborted);
    stm_get_stats(duo.first, &stats);
    ck_assert_uint_eq(stats.aborts[STM_ABORT_READ_WRITE], 1);
    STEP(duo.second, aborted, stm_commit(duo.second));
    ck_assert(!aborted);
    STEP(duo.first, aborted, ck_assert_int_eq(read_key(duo.first, duo.table, 5), 9));
    ck_assert(!aborted);
    /* Two readers of one key do not conflict. */
    begin(duo.second);
    STEP(duo.second, aborted, ck_assert_int_eq(read_key(duo.second, duo.table, 5), 9));
    ck_assert(!aborted);
    STEP(duo.first, aborted, stm_commit(duo.first));
    STEP(duo.second, aborted, stm_commit(duo.second));
    ck_assert(!aborted);
    duo_close(&duo);
}
END_TEST

/* The lister (first) runs `length`, then the other transaction does
 * `change`; `conflicts`: whether the second must abort. */
static void listing_against(Duo *duo, uint64_t key, int64_t value, bool conflicts) {
    volatile bool aborted;
    uint64_t before = conflict_aborts(duo->second);
    begin(duo->first);
    begin(duo->second);
    STEP(duo->first, aborted, (void)stm_hashtable_length(duo->first, duo->table));
    ck_assert(!aborted);
    STEP(duo->second, aborted, write_key(duo->second, duo->box_type, duo->table, key, value));
    ck_assert_msg(aborted == conflicts, "key %llu := %lld: aborted %d", (unsigned long long)key,
                  (long long)value, (int)aborted);
    ck_assert_uint_eq(conflict_aborts(duo->second) - before, conflicts ? 1 : 0);
    STEP(duo->first, aborted, stm_commit(duo->first));
    if (conflicts)
        STEP(duo->second, aborted, write_key(duo->second, duo->box_type, duo->table, key, value));
    STEP(duo->second, aborted, stm_commit(duo->second));
    ck_assert(!aborted);
}

START_TEST(listing_conflicts_with_changes) {
    Duo duo;
    duo_open(&duo);
    listing_against(&duo, 50, 5, true);  /* adds a key */
    listing_against(&duo, 100, 7, true); /* changes a listed key */
    listing_against(&duo, 101, 0, true); /* removes one */
    listing_against(&duo, 60, 0, false); /* removes a key that was not there */
    volatile bool aborted;
    /* A reader of one key does not conflict with a lister. */
    begin(duo.first);
    begin(duo.second);
    STEP(duo.first, aborted, ck_assert_int_eq(stm_hashtable_length(duo.first, duo.table), 2));
    STEP(duo.second, aborted, ck_assert_int_eq(read_key(duo.second, duo.table, 50), 5));
    ck_assert(!aborted);
    STEP(duo.second, aborted, ck_assert_int_eq(stm_hashtable_length(duo.second, duo.table), 2));
    ck_assert(!aborted);
    STEP(duo.first, aborted, stm_commit(duo.first));
    STEP(duo.second, aborted, stm_commit(duo.second));
    ck_assert(!aborted);
    duo_close(&duo);
}
END_TEST

static int compare_items(const void *left, const void *right) {
    uint64_t a = ((const StmHashtableItem *)left)->key, b = ((const StmHashtableItem *)right)->key;
    return (a > b) - (a < b);
}

enum { ITEM_KEYS = 500 };

static void check_items(GcHeap *heap, uint32_t box_type, GcThread *thread, StmHashtable **root) {
    enum { KEYS = ITEM_KEYS };
    StmHashtable *table;
    {
        stm_transaction_begin(thread);
        table = *root = stm_hashtable_new(thread);
        for (int64_t key = 0; key < KEYS; key++)
            write_key(thread, box_type, table, (uint64_t)key * 7919, key + 1);
        for (int64_t key = 0; key < KEYS; key += 3)
            write_key(thread, box_type, table, (uint64_t)key * 7919, 0);
        stm_commit(thread);
        stm_transaction_begin(thread);
        table = *root;
        StmHashtableItems *items = stm_hashtable_items(thread, table);
        int64_t expected = KEYS - (KEYS + 2) / 3;
        ck_assert_int_eq(items->length, expected);
        ck_assert_int_eq(stm_hashtable_length(thread, table), expected);
        qsort(items->items, (size_t)items->length, sizeof(StmHashtableItem), compare_items);
        for (int64_t i = 0; i < items->length; i++) {
            uint64_t key = items->items[i].key;
            ck_assert_uint_eq(key % 7919, 0);
            ck_assert_uint_ne((key / 7919) % 3, 0);
            ck_assert_int_eq(((Box *)items->items[i].value)->value, (int64_t)(key / 7919) + 1);
            if (i) ck_assert_uint_gt(key, items->items[i - 1].key);
        }
        stm_commit(thread);
    }
    (void)heap;
}

/* One thread (serial mode), then two (parallel mode): the same answers. */
START_TEST(items_lists_every_key_once) {
    GcHeap *heap = gc_heap_create(NULL);
    uint32_t box_type = register_box(heap);
    GcThread *thread = gc_thread_attach(heap);
    StmHashtable *table = NULL;
    gc_heap_add_root(heap, (void **)&table);
    check_items(heap, box_type, thread, &table);
    GcThread *other = gc_thread_attach(heap);
    gc_gil_release(other);
    check_items(heap, box_type, thread, &table);
    gc_gil_acquire(other);
    gc_thread_detach(other);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

/* Entries without value go at a major collection, except those a
 * transaction in flight holds. */
START_TEST(major_collections_drop_unused_entries) {
    GcHeap *heap = gc_heap_create(NULL);
    uint32_t box_type = register_box(heap);
    GcThread *thread = gc_thread_attach(heap);
    GcThread *other = gc_thread_attach(heap); /* parallel mode: reads are registered */
    gc_gil_release(other);
    StmHashtable *table = NULL;
    gc_heap_add_root(heap, (void **)&table);
    enum { KEYS = 2000 };
    stm_transaction_begin(thread);
    table = stm_hashtable_new(thread);
    for (int64_t key = 0; key < KEYS; key++)
        write_key(thread, box_type, table, (uint64_t)key, key + 1);
    stm_commit(thread);
    stm_transaction_begin(thread);
    for (int64_t key = 1; key < KEYS; key++)
        write_key(thread, box_type, table, (uint64_t)key, 0);
    stm_commit(thread);
    ck_assert_int_eq(table->index->count, KEYS);
    stm_transaction_begin(thread);
    /* Held: read (missing), and written without a value. */
    ck_assert_int_eq(read_key(thread, table, 5000), 0);
    write_key(thread, box_type, table, 1, 0);
    write_key(thread, box_type, table, 2, 0);
    gc_collect_major(thread);
    /* Kept: key 0 (a value), 5000 (read), 1 and 2 (write-locked). */
    ck_assert_int_eq(table->index->count, 4);
    ck_assert_int_eq(read_key(thread, table, 0), 1);
    write_key(thread, box_type, table, 5000, 77);
    stm_commit(thread);
    stm_transaction_begin(thread);
    ck_assert_int_eq(read_key(thread, table, 5000), 77);
    ck_assert_int_eq(stm_hashtable_length(thread, table), 2);
    stm_commit(thread);
    GcVerifyReport report;
    ck_assert_msg(gc_verify(heap, &report) == 0, "heap verifier: %s", report.first[0]);
    gc_gil_acquire(other);
    gc_thread_detach(other);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
}
END_TEST

/* ---- Model: random interleavings -------------------------------------------- */

enum { MODEL_KEYS = 6, MODEL_PROGRAMS = 4, MODEL_TRANSACTIONS = 4, MODEL_OPS = 6 };

typedef enum ModelOpKind { MODEL_GET, MODEL_SET, MODEL_LENGTH } ModelOpKind;

typedef struct ModelOp {
    ModelOpKind kind;
    uint64_t key;
    bool removes; /* MODEL_SET of no value */
} ModelOp;

typedef struct ModelTransaction {
    ModelOp ops[MODEL_OPS];
    int op_count;
    int64_t id;
    int64_t results[MODEL_OPS]; /* of the attempt that committed */
    int64_t written[MODEL_KEYS];
    bool wrote[MODEL_KEYS];
} ModelTransaction;

typedef struct ModelProgram {
    GcThread *thread;
    ModelTransaction transactions[MODEL_TRANSACTIONS];
    int transaction_count;
    int current;
    int pc;
    bool running;
    int attempts;
} ModelProgram;

typedef struct Model {
    uint64_t random;
    GcHeap *heap;
    uint32_t box_type;
    StmHashtable *table;
    int64_t committed[MODEL_KEYS]; /* 0: no value */
    ModelProgram programs[MODEL_PROGRAMS];
    int program_count;
    bool disjoint; /* each program keeps to its own keys, and never lists */
    int active;
    int exclusive;
    uint32_t to_abort;
    ModelTransaction *history[MODEL_PROGRAMS * MODEL_TRANSACTIONS];
    int history_count;
} Model;

static uint64_t model_random(Model *model) {
    uint64_t value = model->random += 0x9e3779b97f4a7c15u;
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9u;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebu;
    return value ^ (value >> 31);
}

static void model_programs(Model *model) {
    model->program_count = 2 + (int)(model_random(model) % (MODEL_PROGRAMS - 1));
    model->disjoint = model_random(model) % 4 == 0;
    int64_t id = 0;
    for (int p = 0; p < model->program_count; p++) {
        ModelProgram *program = &model->programs[p];
        program->transaction_count = 1 + (int)(model_random(model) % MODEL_TRANSACTIONS);
        for (int t = 0; t < program->transaction_count; t++) {
            ModelTransaction *transaction = &program->transactions[t];
            transaction->id = ++id;
            transaction->op_count = 1 + (int)(model_random(model) % MODEL_OPS);
            for (int o = 0; o < transaction->op_count; o++) {
                ModelOp *op = &transaction->ops[o];
                uint64_t pick = model_random(model) % 100;
                op->kind = pick < 45 ? MODEL_GET : pick < 90 ? MODEL_SET : MODEL_LENGTH;
                op->removes = model_random(model) % 4 == 0;
                op->key = model_random(model) % MODEL_KEYS;
                if (model->disjoint) {
                    if (op->kind == MODEL_LENGTH) op->kind = MODEL_GET;
                    /* Keys p, p + programs, ...: this program's only. */
                    op->key = (uint64_t)p + (op->key % 2) * (uint64_t)model->program_count;
                    if (op->key >= MODEL_KEYS) op->key = (uint64_t)p;
                }
            }
        }
    }
}

static int64_t model_value(const ModelTransaction *transaction, int64_t sum, int op) {
    return transaction->id * 1000 + sum % 97 + op + 1;
}

/* What the transaction sees: its own writes over the committed state. */
static int64_t model_view(const Model *model, const ModelTransaction *transaction, uint64_t key) {
    return transaction->wrote[key] ? transaction->written[key] : model->committed[key];
}

static void model_reset_attempt(ModelProgram *program) {
    program->pc = 0;
    memset(program->transactions[program->current].wrote, 0,
           sizeof program->transactions[program->current].wrote);
}

static void model_op(Model *model, ModelProgram *program, ModelTransaction *transaction) {
    GcThread *thread = program->thread;
    const ModelOp *op = &transaction->ops[program->pc];
    int64_t sum = 0;
    for (int o = 0; o < program->pc; o++)
        sum += transaction->results[o];
    int64_t result = 0;
    switch (op->kind) {
    case MODEL_GET:
        result = read_key(thread, model->table, op->key);
        ck_assert_msg(result == model_view(model, transaction, op->key),
                      "opacity: key %llu read %lld, expected %lld", (unsigned long long)op->key,
                      (long long)result, (long long)model_view(model, transaction, op->key));
        break;
    case MODEL_SET: {
        int64_t value = op->removes ? 0 : model_value(transaction, sum, program->pc);
        write_key(thread, model->box_type, model->table, op->key, value);
        transaction->written[op->key] = value;
        transaction->wrote[op->key] = true;
        break;
    }
    case MODEL_LENGTH: {
        result = stm_hashtable_length(thread, model->table);
        int64_t expected = 0;
        for (uint64_t key = 0; key < MODEL_KEYS; key++)
            expected += model_view(model, transaction, key) != 0;
        ck_assert_msg(result == expected, "opacity: length %lld, expected %lld", (long long)result,
                      (long long)expected);
        break;
    }
    }
    transaction->results[program->pc] = result;
    program->pc++;
}

static void model_step(Model *model, int index) {
    ModelProgram *program = &model->programs[index];
    ModelTransaction *transaction = &program->transactions[program->current];
    if (!program->running) {
        stm_begin_prepare(program->thread);
        stm_start_attempt(program->thread);
        program->running = true;
        program->attempts = 0;
        model_reset_attempt(program);
        return;
    }
    if (program->pc < transaction->op_count) {
        model_op(model, program, transaction);
        return;
    }
    stm_commit(program->thread);
    for (uint64_t key = 0; key < MODEL_KEYS; key++)
        if (transaction->wrote[key]) model->committed[key] = transaction->written[key];
    model->history[model->history_count++] = transaction;
    program->running = false;
    program->current++;
    if (model->exclusive == index) model->exclusive = -1;
}

static int model_pick(Model *model) {
    if (model->exclusive >= 0) return model->exclusive;
    int ready[MODEL_PROGRAMS], count = 0;
    for (int p = 0; p < model->program_count; p++)
        if (model->programs[p].current < model->programs[p].transaction_count) ready[count++] = p;
    if (!count) return -1;
    return ready[model_random(model) % (uint64_t)count];
}

static void model_replay(Model *model) {
    int64_t serial[MODEL_KEYS] = {0};
    for (int h = 0; h < model->history_count; h++) {
        const ModelTransaction *transaction = model->history[h];
        int64_t sum = 0;
        for (int o = 0; o < transaction->op_count; o++) {
            const ModelOp *op = &transaction->ops[o];
            int64_t expected = 0;
            if (op->kind == MODEL_GET) expected = serial[op->key];
            if (op->kind == MODEL_LENGTH)
                for (uint64_t key = 0; key < MODEL_KEYS; key++)
                    expected += serial[key] != 0;
            if (op->kind == MODEL_SET)
                serial[op->key] = op->removes ? 0 : model_value(transaction, sum, o);
            else
                ck_assert_msg(expected == transaction->results[o],
                              "not serializable: transaction %lld op %d got %lld, serial %lld",
                              (long long)transaction->id, o, (long long)transaction->results[o],
                              (long long)expected);
            sum += transaction->results[o];
        }
    }
    for (uint64_t key = 0; key < MODEL_KEYS; key++)
        ck_assert_int_eq(serial[key], model->committed[key]);
}

/* Aborted attempts come back here (the scheduler's restart point). */
static void model_run(Model *model) {
    for (;;) {
        model->active = model_pick(model);
        if (model->active < 0) return;
        ModelProgram *program = &model->programs[model->active];
        if (setjmp(*stm_jump_buffer(program->thread))) {
            program = &model->programs[model->active];
            stm_start_attempt(program->thread);
            program->attempts++;
            model_reset_attempt(program);
            if (program->attempts > 20 && model->exclusive < 0) {
                /* Starving: abort the others, then run this one alone. */
                model->exclusive = model->active;
                for (int p = 0; p < model->program_count; p++)
                    if (p != model->active && model->programs[p].running)
                        model->to_abort |= 1u << p;
            }
            if (model->to_abort) {
                int victim = __builtin_ctz(model->to_abort);
                model->to_abort &= ~(1u << victim);
                model->active = victim;
                stm_abort_explicit(model->programs[victim].thread);
            }
            continue;
        }
        model_step(model, model->active);
    }
}

/* The table holds the committed state (a transaction of its own: with
 * KILN_STM_STRESS it may abort and restart). */
static void model_check_table(Model *model, GcThread *thread) {
    stm_transaction_begin(thread);
    for (uint64_t key = 0; key < MODEL_KEYS; key++)
        ck_assert_int_eq(read_key(thread, model->table, key), model->committed[key]);
    stm_commit(thread);
}

static void model_seed(Model *model, uint64_t seed) {
    memset(model, 0, sizeof *model);
    model->random = seed * 104729 + 3;
    model->exclusive = -1;
    GcConfig config;
    gc_config_from_env(&config);
    config.nursery_bytes = 64 * 1024;
    config.verify = false;
    model->heap = gc_heap_create(&config);
    stm_heap_set_automatic_inevitable(model->heap, false);
    model->box_type = register_box(model->heap);
    gc_heap_add_root(model->heap, (void **)&model->table);
    model_programs(model);
    for (int p = 0; p < model->program_count; p++)
        model->programs[p].thread = gc_thread_attach(model->heap);
    GcThread *first = model->programs[0].thread;
    model->table = stm_hashtable_new(first);
    uint64_t aborts_before = 0;
    for (int p = 0; p < model->program_count; p++)
        aborts_before += conflict_aborts(model->programs[p].thread);
    model_run(model);
    model_replay(model);
    uint64_t aborts = 0;
    for (int p = 0; p < model->program_count; p++)
        aborts += conflict_aborts(model->programs[p].thread);
    if (model->disjoint)
        ck_assert_msg(aborts == aborts_before, "seed %llu: disjoint keys, %llu conflicts",
                      (unsigned long long)seed, (unsigned long long)(aborts - aborts_before));
    model_check_table(model, first);
    GcVerifyReport report;
    ck_assert_msg(gc_verify(model->heap, &report) == 0, "heap verifier: %s", report.first[0]);
    for (int p = 0; p < model->program_count; p++)
        gc_thread_detach(model->programs[p].thread);
    gc_heap_destroy(model->heap);
}

START_TEST(random_histories_are_serializable) {
    long seeds = env_long("KILN_STM_TEST_SEEDS", 2000);
    Model *model = malloc(sizeof(Model));
    for (long seed = 0; seed < seeds; seed++)
        model_seed(model, (uint64_t)seed);
    free(model);
}
END_TEST

/* ---- Threads ------------------------------------------------------------------ */

enum { THREADS = 4 };

typedef struct Shared {
    GcHeap *heap;
    uint32_t box_type;
    StmHashtable *table;
    long keys_per_thread;
    _Atomic int inserters_left;
    _Atomic long listings;
} Shared;

typedef struct Worker {
    Shared *shared;
    int index;
} Worker;

/* A small major-collection threshold: majors (and the hash tables'
 * compaction) run while the threads work, some asked for by the entries'
 * own allocation in the old generation. */
static void shared_open(Shared *shared) {
    memset(shared, 0, sizeof *shared);
    GcConfig config;
    gc_config_from_env(&config);
    config.major_min_bytes = 16 * 1024;
    shared->heap = gc_heap_create(&config);
    shared->box_type = register_box(shared->heap);
    gc_heap_add_root(shared->heap, (void **)&shared->table);
    shared->keys_per_thread = env_long("KILN_STM_TEST_TRANSFERS", 1000000) / 200;
    if (shared->keys_per_thread < 200) shared->keys_per_thread = 200;
}

static void run_threads(Shared *shared, GcThread *main_thread, void *(*body)(void *)) {
    pthread_t threads[THREADS];
    Worker workers[THREADS];
    gc_gil_release(main_thread);
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (Worker){shared, i};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, body, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    gc_gil_acquire(main_thread);
}

static uint64_t own_key(const Worker *worker, long i) {
    return (uint64_t)worker->index << 32 | (uint64_t)i;
}

/* Keys from..from + 7 of the worker: set to their number + 1 (round 0),
 * or incremented (round 1), in one transaction. */
static void write_eight(Worker *worker, GcThread *thread, int round, long from) {
    Shared *shared = worker->shared;
    stm_transaction_begin(thread);
    for (long k = from; k < from + 8 && k < shared->keys_per_thread; k++) {
        uint64_t key = own_key(worker, k);
        int64_t value = round ? read_key(thread, shared->table, key) + 1 : k + 1;
        write_key(thread, shared->box_type, shared->table, key, value);
    }
    stm_commit(thread);
}

/* Inserts its own keys, 8 per transaction, then adds 1 to each. */
static void *disjoint_worker(void *argument) {
    Worker *worker = argument;
    GcThread *thread = gc_thread_attach(worker->shared->heap);
    for (int round = 0; round < 2; round++)
        for (long i = 0; i < worker->shared->keys_per_thread; i += 8)
            write_eight(worker, thread, round, i);
    gc_thread_detach(thread);
    return NULL;
}

START_TEST(threads_with_different_keys_do_not_conflict) {
    Shared shared;
    shared_open(&shared);
    GcThread *thread = gc_thread_attach(shared.heap);
    stm_transaction_begin(thread);
    shared.table = stm_hashtable_new(thread);
    stm_commit(thread);
    run_threads(&shared, thread, disjoint_worker);
    StmStats stats;
    stm_get_stats(thread, &stats);
    uint64_t conflicts = conflict_aborts(thread);
    /* Keys never share a transactional object; only two entries whose
     * addresses alias in the orec table (16 MB apart) can make a false
     * conflict, which stays rare. */
    ck_assert_msg(conflicts * 100 <= stats.commits, "%llu conflicts in %llu commits",
                  (unsigned long long)conflicts, (unsigned long long)stats.commits);
    GcStats gc_stats;
    gc_get_stats(shared.heap, &gc_stats);
    ck_assert_uint_gt(gc_stats.major_collections, 0);
    stm_transaction_begin(thread);
    ck_assert_int_eq(stm_hashtable_length(thread, shared.table), THREADS * shared.keys_per_thread);
    for (int w = 0; w < THREADS; w++) {
        Worker worker = {&shared, w};
        for (long k = 0; k < shared.keys_per_thread; k++)
            ck_assert_int_eq(read_key(thread, shared.table, own_key(&worker, k)), k + 2);
    }
    stm_commit(thread);
    gc_thread_detach(thread);
    gc_heap_destroy(shared.heap);
}
END_TEST

/* Adds the keys `pair` and `pair | 1`, or removes them, in one
 * transaction. */
static void toggle_pair(Shared *shared, GcThread *thread, uint64_t pair) {
    stm_transaction_begin(thread);
    bool present = read_key(thread, shared->table, pair) != 0;
    write_key(thread, shared->box_type, shared->table, pair, present ? 0 : 1);
    write_key(thread, shared->box_type, shared->table, pair | 1, present ? 0 : 1);
    stm_commit(thread);
}

/* Workers 1..3 add and remove keys two at a time; worker 0 lists the
 * table meanwhile and must always see whole pairs. */
static void *pairs_worker(void *argument) {
    Worker *worker = argument;
    Shared *shared = worker->shared;
    GcThread *thread = gc_thread_attach(shared->heap);
    if (worker->index == 0) {
        while (atomic_load(&shared->inserters_left) > 0) {
            stm_transaction_begin(thread);
            StmHashtableItems *items = stm_hashtable_items(thread, shared->table);
            if (items->length % 2) abort();
            uint64_t sum = 0;
            for (int64_t i = 0; i < items->length; i++)
                sum += items->items[i].key & 1 ? 1 : UINT64_C(1) << 32;
            /* As many even keys as odd ones. */
            if ((sum >> 32) != (sum & 0xffffffffu)) abort();
            stm_commit(thread);
            shared->listings++;
        }
    } else {
        /* Start once the lister runs (safe points let a major collection
         * that it asks for go on meanwhile). */
        while (!atomic_load(&shared->listings)) {
            gc_safe_point(thread);
            sched_yield();
        }
        for (long i = 0; i < shared->keys_per_thread; i++)
            toggle_pair(shared, thread, own_key(worker, i % 64) << 1);
        atomic_fetch_sub(&shared->inserters_left, 1);
    }
    gc_thread_detach(thread);
    return NULL;
}

START_TEST(listings_see_whole_transactions) {
    Shared shared;
    shared_open(&shared);
    shared.keys_per_thread /= 4;
    atomic_store(&shared.inserters_left, THREADS - 1);
    GcThread *thread = gc_thread_attach(shared.heap);
    stm_transaction_begin(thread);
    shared.table = stm_hashtable_new(thread);
    stm_commit(thread);
    run_threads(&shared, thread, pairs_worker);
    ck_assert_int_gt(shared.listings, 0);
    stm_transaction_begin(thread);
    /* Each worker toggled each of its 64 pairs keys_per_thread / 64 times. */
    long toggles = shared.keys_per_thread / 64, remainder = shared.keys_per_thread % 64;
    long present = (toggles % 2 ? 64 - remainder : remainder);
    ck_assert_int_eq(stm_hashtable_length(thread, shared.table), (THREADS - 1) * 2 * present);
    stm_commit(thread);
    gc_thread_detach(thread);
    gc_heap_destroy(shared.heap);
}
END_TEST

enum { COUNTER_KEYS = 3 };

static void increment_key(Shared *shared, GcThread *thread, uint64_t key) {
    stm_transaction_begin(thread);
    write_key(thread, shared->box_type, shared->table, key,
              read_key(thread, shared->table, key) + 1);
    stm_commit(thread);
}

static void *counter_worker(void *argument) {
    Worker *worker = argument;
    Shared *shared = worker->shared;
    GcThread *thread = gc_thread_attach(shared->heap);
    for (long i = 0; i < shared->keys_per_thread; i++)
        increment_key(shared, thread, (uint64_t)(i + worker->index) % COUNTER_KEYS);
    gc_thread_detach(thread);
    return NULL;
}

START_TEST(shared_keys_lose_no_update) {
    Shared shared;
    shared_open(&shared);
    GcThread *thread = gc_thread_attach(shared.heap);
    stm_transaction_begin(thread);
    shared.table = stm_hashtable_new(thread);
    stm_commit(thread);
    run_threads(&shared, thread, counter_worker);
    stm_transaction_begin(thread);
    int64_t total = 0;
    for (uint64_t key = 0; key < COUNTER_KEYS; key++)
        total += read_key(thread, shared.table, key);
    stm_commit(thread);
    ck_assert_int_eq(total, THREADS * shared.keys_per_thread);
    gc_thread_detach(thread);
    gc_heap_destroy(shared.heap);
}
END_TEST

static Suite *hashtable_suite(void) {
    Suite *suite = suite_create("stm_hashtable");
    TCase *exact = tcase_create("interleavings");
    tcase_add_test(exact, program_type_ids_start_at_one);
    tcase_add_test(exact, different_keys_do_not_conflict);
    tcase_add_test(exact, one_key_written_twice_conflicts);
    tcase_add_test(exact, one_key_read_and_written_conflicts);
    tcase_add_test(exact, listing_conflicts_with_changes);
    tcase_add_test(exact, items_lists_every_key_once);
    tcase_add_test(exact, major_collections_drop_unused_entries);
    suite_add_tcase(suite, exact);
    TCase *model = tcase_create("model");
    tcase_set_timeout(model, 600);
    tcase_add_test(model, random_histories_are_serializable);
    suite_add_tcase(suite, model);
    TCase *threads = tcase_create("threads");
    tcase_set_timeout(threads, 600);
    tcase_add_test(threads, threads_with_different_keys_do_not_conflict);
    tcase_add_test(threads, listings_see_whole_transactions);
    tcase_add_test(threads, shared_keys_lose_no_update);
    suite_add_tcase(suite, threads);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(hashtable_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
