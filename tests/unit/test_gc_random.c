/* test_gc_random.c - randomized object-graph mutation against a shadow
 * model.
 *
 * Each seed builds a heap and runs a few hundred random operations through
 * the API the way generated code uses it: allocations of every shape and
 * size (nursery, medium, large), stores through the write barriers, loads,
 * root changes, identity hashes, explicit collections.  A plain-C model
 * mirrors the object graph.  After every collection (explicit or caused by
 * an allocation) the graph reachable from the roots must be the model's:
 * same ids, shapes, lengths, contents, sharing and identity hashes.
 *
 * KILN_GC_TEST_SEEDS sets the number of seeds (default 2000, 200 under
 * KILN_GC_STRESS); ctest's `long` entry (`ctest -C long -L long`) runs
 * 50000.
 */
#include <stdio.h>
#include <string.h>

#include "test_gc_support.h"

#define ROOTS      24
#define OPERATIONS 400
#define CHUNKS     4

enum { SHAPE_LEAF, SHAPE_PAIR, SHAPE_BYTES, SHAPE_ARRAY, SHAPE_TABLE, SHAPE_MIXED, SHAPES };

typedef struct ModelObject {
    int shape;
    int64_t length;
    int64_t slot_count;
    int64_t *slots; /* child ids, -1 for NULL */
    bool hashed;
    uint64_t hash;
} ModelObject;

typedef struct Run {
    uint64_t seed;
    uint64_t random_state;
    TestTypes types;
    GcHeap *heap;
    GcThread *thread;
    void **roots;
    int64_t root_ids[ROOTS];
    ModelObject *objects; /* indexed by id */
    int64_t object_count;
    int64_t object_capacity;
    void **real_of; /* scratch for the check: id -> address seen */
    uint64_t checks;
} Run;

static uint64_t next_random(Run *run) {
    uint64_t x = run->random_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    run->random_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

static int64_t random_below(Run *run, int64_t limit) {
    return (int64_t)(next_random(run) % (uint64_t)limit);
}

static int64_t slot_count_of(int shape, int64_t length) {
    switch (shape) {
    case SHAPE_PAIR: return 2;
    case SHAPE_ARRAY: return length;
    case SHAPE_TABLE: return 2 * length;
    case SHAPE_MIXED: return 1 + length;
    default: return 0;
    }
}

/* The reference slot `index` of a real object, and whether it is an item
 * (with its item index) or a fixed field. */
static void **real_slot(void *object, int shape, int64_t index, int64_t *item) {
    *item = -1;
    switch (shape) {
    case SHAPE_PAIR: return index ? &((TestPair *)object)->right : &((TestPair *)object)->left;
    case SHAPE_ARRAY: *item = index; return &((TestArray *)object)->items[index];
    case SHAPE_TABLE: {
        TestEntry *entry = &((TestTable *)object)->entries[index / 2];
        *item = index / 2;
        return index % 2 ? &entry->value : &entry->key;
    }
    case SHAPE_MIXED:
        if (index == 0) return &((TestMixed *)object)->owner;
        *item = index - 1;
        return &((TestMixed *)object)->items[index - 1];
    default: ck_abort_msg("shape %d has no reference slots", shape);
    }
    return NULL;
}

static int64_t random_length(Run *run, int shape) {
    int64_t pick = random_below(run, 100);
    if (pick < 3 && shape != SHAPE_TABLE)
        return 2100 + random_below(run, 2000);          /* large: allocated outside the nursery */
    if (pick < 10) return 130 + random_below(run, 200); /* medium: copied to the large space */
    return random_below(run, 12);
}

static int64_t model_new(Run *run, int shape, int64_t length) {
    if (run->object_count == run->object_capacity) {
        run->object_capacity = run->object_capacity ? run->object_capacity * 2 : 256;
        run->objects = realloc(run->objects, (size_t)run->object_capacity * sizeof(ModelObject));
    }
    ModelObject *object = &run->objects[run->object_count];
    object->shape = shape;
    object->length = length;
    object->slot_count = slot_count_of(shape, length);
    object->slots = malloc((size_t)(object->slot_count ? object->slot_count : 1) * sizeof(int64_t));
    for (int64_t i = 0; i < object->slot_count; i++)
        object->slots[i] = -1;
    object->hashed = false;
    return run->object_count++;
}

static void *real_new(Run *run, int shape, int64_t id, int64_t length) {
    switch (shape) {
    case SHAPE_LEAF: return test_new_leaf(run->thread, &run->types, id);
    case SHAPE_PAIR: return test_new_pair(run->thread, &run->types, id);
    case SHAPE_BYTES: return test_new_bytes(run->thread, &run->types, id, length * 9);
    case SHAPE_ARRAY: return test_new_array(run->thread, &run->types, id, length);
    case SHAPE_TABLE: return test_new_table(run->thread, &run->types, id, length);
    default: return test_new_mixed(run->thread, &run->types, id, length);
    }
}

/* ---- The check ---------------------------------------------------------- */

static uint32_t type_of_shape(const Run *run, int shape) {
    const uint32_t types[SHAPES] = {run->types.leaf,  run->types.pair,  run->types.bytes,
                                    run->types.array, run->types.table, run->types.mixed};
    return types[shape];
}

static void check_contents(Run *run, void *real, int64_t id) {
    ModelObject *model = &run->objects[id];
    unsigned long long seed = (unsigned long long)run->seed;
    TEST_REQUIRE(test_type_id(real) == type_of_shape(run, model->shape),
                 "seed %llu: object %lld has the wrong type", seed, (long long)id);
    TEST_REQUIRE(((TestLeaf *)real)->id == id, "seed %llu: object %lld has id %lld", seed,
                 (long long)id, (long long)((TestLeaf *)real)->id);
    switch (model->shape) {
    case SHAPE_BYTES: {
        TestBytes *bytes = real;
        TEST_REQUIRE(bytes->length == model->length * 9, "seed %llu: bytes length", seed);
        for (int64_t i = 0; i < bytes->length; i++)
            TEST_REQUIRE(bytes->bytes[i] == (uint8_t)(id + i), "seed %llu: byte %lld of %lld", seed,
                         (long long)i, (long long)id);
        break;
    }
    case SHAPE_ARRAY:
        TEST_REQUIRE(((TestArray *)real)->length == model->length, "seed %llu: length", seed);
        break;
    case SHAPE_MIXED:
        TEST_REQUIRE(((TestMixed *)real)->length == model->length, "seed %llu: length", seed);
        break;
    case SHAPE_TABLE: {
        TestTable *table = real;
        TEST_REQUIRE(table->length == model->length, "seed %llu: table length", seed);
        for (int64_t i = 0; i < table->length; i++)
            TEST_REQUIRE(table->entries[i].hash == id * 31 + i, "seed %llu: entry %lld of %lld",
                         seed, (long long)i, (long long)id);
        break;
    }
    default: break;
    }
    if (model->hashed)
        TEST_REQUIRE(gc_identity_hash(run->thread, real) == model->hash,
                     "seed %llu: identity hash of %lld changed", seed, (long long)id);
}

/* Walks the real graph and the model from the roots in step. */
static void check_model(Run *run) {
    run->checks++;
    if (!run->object_count) return;
    run->real_of = realloc(run->real_of, (size_t)run->object_count * sizeof(void *));
    memset(run->real_of, 0, (size_t)run->object_count * sizeof(void *));
    int64_t capacity = 64, count = 0;
    int64_t *stack = malloc((size_t)capacity * sizeof(int64_t));
    for (int root = 0; root < ROOTS; root++) {
        int64_t id = run->root_ids[root];
        void *real = run->roots[root];
        TEST_REQUIRE((id < 0) == (real == NULL), "seed %llu: root %d",
                     (unsigned long long)run->seed, root);
        if (id < 0) continue;
        if (run->real_of[id]) {
            TEST_REQUIRE(run->real_of[id] == real, "seed %llu: root %d moved apart",
                         (unsigned long long)run->seed, root);
            continue;
        }
        run->real_of[id] = real;
        stack[count++] = id;
        while (count) {
            int64_t current = stack[--count];
            void *object = run->real_of[current];
            check_contents(run, object, current);
            ModelObject *model = &run->objects[current];
            for (int64_t slot = 0; slot < model->slot_count; slot++) {
                int64_t item;
                void *child = *real_slot(object, model->shape, slot, &item);
                int64_t child_id = model->slots[slot];
                TEST_REQUIRE((child_id < 0) == (child == NULL), "seed %llu: object %lld slot %lld",
                             (unsigned long long)run->seed, (long long)current, (long long)slot);
                if (child_id < 0) continue;
                if (run->real_of[child_id]) {
                    TEST_REQUIRE(run->real_of[child_id] == child,
                                 "seed %llu: object %lld is reached at two addresses",
                                 (unsigned long long)run->seed, (long long)child_id);
                    continue;
                }
                run->real_of[child_id] = child;
                if (count == capacity) {
                    capacity *= 2;
                    stack = realloc(stack, (size_t)capacity * sizeof(int64_t));
                }
                stack[count++] = child_id;
            }
        }
    }
    free(stack);
}

/* ---- Operations --------------------------------------------------------- */

static void op_allocate(Run *run) {
    int shape = (int)random_below(run, SHAPES);
    int64_t length = random_length(run, shape);
    int64_t id = model_new(run, shape, length);
    void *object = real_new(run, shape, id, length);
    int root = (int)random_below(run, ROOTS);
    /* A fresh object is young: stores into it need no barrier until the
     * next allocation. */
    ModelObject *model = &run->objects[id];
    for (int64_t k = 0; k < 3 && model->slot_count; k++) {
        int64_t slot = random_below(run, model->slot_count);
        int source = (int)random_below(run, ROOTS);
        int64_t item;
        *real_slot(object, shape, slot, &item) = run->roots[source];
        model->slots[slot] = run->root_ids[source];
    }
    run->roots[root] = object;
    run->root_ids[root] = id;
}

static void op_store(Run *run) {
    int target = (int)random_below(run, ROOTS);
    int64_t id = run->root_ids[target];
    if (id < 0 || !run->objects[id].slot_count) return;
    ModelObject *model = &run->objects[id];
    int64_t slot = random_below(run, model->slot_count);
    int source = (int)random_below(run, ROOTS);
    void *object = run->roots[target];
    int64_t item;
    void **field = real_slot(object, model->shape, slot, &item);
    if (item >= 0)
        gc_write_barrier_array(run->thread, object, item);
    else
        gc_write_barrier(run->thread, object);
    *field = run->roots[source];
    model->slots[slot] = run->root_ids[source];
}

static void op_load(Run *run) {
    int source = (int)random_below(run, ROOTS);
    int64_t id = run->root_ids[source];
    if (id < 0 || !run->objects[id].slot_count) return;
    ModelObject *model = &run->objects[id];
    int64_t slot = random_below(run, model->slot_count);
    int64_t item;
    int target = (int)random_below(run, ROOTS);
    run->roots[target] = *real_slot(run->roots[source], model->shape, slot, &item);
    run->root_ids[target] = model->slots[slot];
}

static void op_hash(Run *run) {
    int root = (int)random_below(run, ROOTS);
    int64_t id = run->root_ids[root];
    if (id < 0) return;
    uint64_t hash = gc_identity_hash(run->thread, run->roots[root]);
    ModelObject *model = &run->objects[id];
    if (model->hashed)
        TEST_REQUIRE(model->hash == hash, "seed %llu: hash of %lld changed",
                     (unsigned long long)run->seed, (long long)id);
    model->hashed = true;
    model->hash = hash;
}

static void run_seed(uint64_t seed) {
    Run run = {.seed = seed, .random_state = seed * 0x9e3779b97f4a7c15ull + 1};
    size_t nurseries[] = {64 * 1024, 128 * 1024, 256 * 1024};
    run.heap = test_heap_create(nurseries[seed % 3], 512 * 1024, &run.types);
    run.thread = gc_thread_attach(run.heap);
    run.roots = gc_enter_frame(run.thread, ROOTS);
    for (int root = 0; root < ROOTS; root++)
        run.root_ids[root] = -1;
    for (int step = 0; step < OPERATIONS; step++) {
        uint64_t collections = gc_collection_count(run.heap);
        int64_t pick = random_below(&run, 100);
        if (pick < 35)
            op_allocate(&run);
        else if (pick < 70)
            op_store(&run);
        else if (pick < 85)
            op_load(&run);
        else if (pick < 90) {
            int root = (int)random_below(&run, ROOTS);
            run.roots[root] = NULL;
            run.root_ids[root] = -1;
        } else if (pick < 94)
            op_hash(&run);
        else if (pick < 97)
            gc_collect_minor(run.thread);
        else if (pick < 98)
            gc_collect_major(run.thread);
        else
            test_verify(run.heap);
        if (gc_collection_count(run.heap) != collections) check_model(&run);
    }
    test_verify(run.heap);
    gc_collect_major(run.thread);
    check_model(&run);
    test_verify(run.heap);
    gc_leave_frame(run.thread, run.roots);
    gc_thread_detach(run.thread);
    gc_heap_destroy(run.heap);
    for (int64_t id = 0; id < run.object_count; id++)
        free(run.objects[id].slots);
    free(run.objects);
    free(run.real_of);
}

static uint64_t seed_count(void) {
    const char *text = getenv("KILN_GC_TEST_SEEDS");
    if (text && *text) return strtoull(text, NULL, 10);
    return test_stress_mode() ? 200 : 2000;
}

START_TEST(random_graphs_match_the_model) {
    uint64_t seeds = seed_count();
    uint64_t first = seeds * (uint64_t)_i / CHUNKS, last = seeds * (uint64_t)(_i + 1) / CHUNKS;
    for (uint64_t seed = first; seed < last; seed++)
        run_seed(seed);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("gc_random");
    TCase *tcase = tcase_create("random");
    tcase_set_timeout(tcase, 3600);
    tcase_add_loop_test(tcase, random_graphs_match_the_model, 0, CHUNKS);
    suite_add_tcase(suite, tcase);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
