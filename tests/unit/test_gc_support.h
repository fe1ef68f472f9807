/* test_gc_support.h - object types and helpers shared by the stm_gc tests.
 *
 * One type per descriptor shape, each with an `id` field so that tests can
 * tell objects apart after they moved:
 *   Leaf      fixed part, no reference
 *   Pair      fixed part with two references
 *   Bytes     variable part of bytes, no reference
 *   Array     variable part of references
 *   Table     variable part of structs holding two references and an int
 *   Mixed     a reference in the fixed part and a variable part of references
 *   Resource  no reference, a destructor (counts its runs in *counter)
 */
#ifndef KILN_TEST_GC_SUPPORT_H
#define KILN_TEST_GC_SUPPORT_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gc.h"

typedef struct TestLeaf {
    GcHeader header;
    int64_t id;
} TestLeaf;

typedef struct TestPair {
    GcHeader header;
    int64_t id;
    void *left;
    void *right;
} TestPair;

typedef struct TestBytes {
    GcHeader header;
    int64_t id;
    int64_t length;
    uint8_t bytes[];
} TestBytes;

typedef struct TestArray {
    GcHeader header;
    int64_t id;
    int64_t length;
    void *items[];
} TestArray;

typedef struct TestEntry {
    void *key;
    int64_t hash;
    void *value;
} TestEntry;

typedef struct TestTable {
    GcHeader header;
    int64_t id;
    int64_t length;
    TestEntry entries[];
} TestTable;

typedef struct TestMixed {
    GcHeader header;
    int64_t id;
    int64_t length;
    void *owner;
    void *items[];
} TestMixed;

typedef struct TestResource {
    GcHeader header;
    int64_t id;
    int64_t *counter; /* not a GC reference: plain memory owned by the test */
} TestResource;

/* Type ids, in registration order. */
typedef struct TestTypes {
    uint32_t leaf, pair, bytes, array, table, mixed, resource;
} TestTypes;

static void test_resource_destructor(void *object) {
    TestResource *resource = object;
    if (resource->counter) (*resource->counter)++;
}

static const uint32_t test_pair_refs[] = {offsetof(TestPair, left), offsetof(TestPair, right)};
static const uint32_t test_item_ref[] = {0};
static const uint32_t test_entry_refs[] = {offsetof(TestEntry, key), offsetof(TestEntry, value)};
static const uint32_t test_mixed_refs[] = {offsetof(TestMixed, owner)};

static const GcTypeInfo test_type_table[] = {
    {.name = "Leaf", .fixed_size = sizeof(TestLeaf)},
    {.name = "Pair", .fixed_size = sizeof(TestPair), .ref_count = 2, .ref_offsets = test_pair_refs},
    {.name = "Bytes",
     .fixed_size = sizeof(TestBytes),
     .item_size = 1,
     .length_offset = offsetof(TestBytes, length)},
    {.name = "Array",
     .fixed_size = sizeof(TestArray),
     .item_size = sizeof(void *),
     .length_offset = offsetof(TestArray, length),
     .item_ref_count = 1,
     .item_ref_offsets = test_item_ref},
    {.name = "Table",
     .fixed_size = sizeof(TestTable),
     .item_size = sizeof(TestEntry),
     .length_offset = offsetof(TestTable, length),
     .item_ref_count = 2,
     .item_ref_offsets = test_entry_refs},
    {.name = "Mixed",
     .fixed_size = sizeof(TestMixed),
     .item_size = sizeof(void *),
     .length_offset = offsetof(TestMixed, length),
     .ref_count = 1,
     .ref_offsets = test_mixed_refs,
     .item_ref_count = 1,
     .item_ref_offsets = test_item_ref},
    {.name = "Resource",
     .fixed_size = sizeof(TestResource),
     .destructor = test_resource_destructor},
};

/* A heap configured from the environment (so KILN_GC_STRESS applies), with
 * the test types registered. */
static inline GcHeap *test_heap_create(size_t nursery_bytes, size_t major_min_bytes,
                                       TestTypes *types) {
    GcConfig config;
    gc_config_from_env(&config);
    if (nursery_bytes) config.nursery_bytes = nursery_bytes;
    if (major_min_bytes) config.major_min_bytes = major_min_bytes;
    GcHeap *heap = gc_heap_create(&config);
    uint32_t first = gc_heap_register_types(
        heap, test_type_table, (uint32_t)(sizeof(test_type_table) / sizeof(test_type_table[0])));
    *types = (TestTypes){first, first + 1, first + 2, first + 3, first + 4, first + 5, first + 6};
    return heap;
}

static inline bool test_stress_mode(void) {
    const char *stress = getenv("KILN_GC_STRESS");
    return stress && stress[0] == '1';
}

/* The allocations, written the way generated code makes them. */
static inline TestLeaf *test_new_leaf(GcThread *thread, const TestTypes *types, int64_t id) {
    TestLeaf *leaf = gc_alloc(thread, types->leaf, sizeof(TestLeaf));
    leaf->id = id;
    return leaf;
}

static inline TestPair *test_new_pair(GcThread *thread, const TestTypes *types, int64_t id) {
    TestPair *pair = gc_alloc(thread, types->pair, sizeof(TestPair));
    pair->id = id;
    return pair;
}

static inline TestBytes *test_new_bytes(GcThread *thread, const TestTypes *types, int64_t id,
                                        int64_t length) {
    TestBytes *bytes = gc_alloc_varsize(thread, types->bytes, sizeof(TestBytes), 1,
                                        offsetof(TestBytes, length), length);
    bytes->id = id;
    for (int64_t i = 0; i < length; i++)
        bytes->bytes[i] = (uint8_t)(id + i);
    return bytes;
}

static inline TestArray *test_new_array(GcThread *thread, const TestTypes *types, int64_t id,
                                        int64_t length) {
    TestArray *array = gc_alloc_varsize(thread, types->array, sizeof(TestArray), sizeof(void *),
                                        offsetof(TestArray, length), length);
    array->id = id;
    return array;
}

static inline TestTable *test_new_table(GcThread *thread, const TestTypes *types, int64_t id,
                                        int64_t length) {
    TestTable *table = gc_alloc_varsize(thread, types->table, sizeof(TestTable), sizeof(TestEntry),
                                        offsetof(TestTable, length), length);
    table->id = id;
    for (int64_t i = 0; i < length; i++)
        table->entries[i].hash = id * 31 + i;
    return table;
}

static inline TestMixed *test_new_mixed(GcThread *thread, const TestTypes *types, int64_t id,
                                        int64_t length) {
    TestMixed *mixed = gc_alloc_varsize(thread, types->mixed, sizeof(TestMixed), sizeof(void *),
                                        offsetof(TestMixed, length), length);
    mixed->id = id;
    return mixed;
}

static inline TestResource *test_new_resource(GcThread *thread, const TestTypes *types, int64_t id,
                                              int64_t *counter) {
    TestResource *resource =
        gc_alloc_general(thread, types->resource, gc_round_size(sizeof(TestResource)), 0);
    resource->id = id;
    resource->counter = counter;
    return resource;
}

/* For checks in hot loops: Check's ck_assert records every passing
 * assertion (a write to its log), which would dominate the run time. */
#define TEST_REQUIRE(condition, ...)                                                               \
    do {                                                                                           \
        if (!(condition)) ck_abort_msg(__VA_ARGS__);                                               \
    } while (0)

static inline uint32_t test_type_id(const void *object) {
    return (uint32_t)(*(const GcHeader *)object & GC_TYPE_ID_MASK);
}

/* Fails the test with the verifier's first messages. */
static inline void test_verify(GcHeap *heap) {
    GcVerifyReport report;
    size_t errors = gc_verify(heap, &report);
    TEST_REQUIRE(errors == 0, "%zu verifier errors, first: %s", errors, report.first[0]);
}

#endif
