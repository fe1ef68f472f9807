/* gcbench_kiln.c - a GCBench-style benchmark (after Ellis, Kovac and
 * Boehm's GCBench) on stm_gc.
 *
 * It keeps a long-lived tree and a long-lived array of doubles while it
 * builds many temporary trees of growing depth, top-down (stores into
 * nodes that may already be old: write barriers) and bottom-up (stores
 * into fresh nodes only).  Written the way generated code uses the
 * collector; same output as gcbench_boehm.c and gcbench_malloc.c.
 * Usage: bench_gcbench_kiln [scale (default 0: the classic sizes; each
 * unit adds one to every depth)]
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "gc.h"

typedef struct Node {
    GcHeader header;
    struct Node *left;
    struct Node *right;
    int64_t i, j;
} Node;

typedef struct DoubleArray {
    GcHeader header;
    int64_t length;
    double items[];
} DoubleArray;

static const uint32_t node_references[] = {offsetof(Node, left), offsetof(Node, right)};
static const GcTypeInfo bench_types[] = {
    {.name = "Node", .fixed_size = sizeof(Node), .ref_count = 2, .ref_offsets = node_references},
    {.name = "DoubleArray",
     .fixed_size = sizeof(DoubleArray),
     .item_size = sizeof(double),
     .length_offset = offsetof(DoubleArray, length)},
};

typedef struct Bench {
    GcThread *thread;
    uint32_t node_id;
    uint32_t array_id;
} Bench;

static long tree_size(int depth) {
    return (1L << (depth + 1)) - 1;
}

static Node *new_node(Bench *bench) {
    return gc_alloc(bench->thread, bench->node_id, sizeof(Node));
}

/* Top-down: the children are allocated after the parent, which may have
 * been promoted meanwhile, so the stores go through the barrier. */
static void populate(Bench *bench, int depth, Node *node) {
    if (depth <= 0) return;
    depth--;
    void **frame = gc_enter_frame(bench->thread, 2);
    frame[0] = node;
    frame[1] = new_node(bench);
    Node *right = new_node(bench);
    node = frame[0];
    gc_write_barrier(bench->thread, node);
    node->left = frame[1];
    node->right = right;
    populate(bench, depth, node->left);
    node = frame[0];
    populate(bench, depth, node->right);
    gc_leave_frame(bench->thread, frame);
}

/* Bottom-up: the parent is allocated last, so no barrier. */
static Node *make_tree(Bench *bench, int depth) {
    if (depth <= 0) return new_node(bench);
    Node *left = make_tree(bench, depth - 1);
    gc_push_root(bench->thread, left);
    Node *right = make_tree(bench, depth - 1);
    gc_push_root(bench->thread, right);
    Node *node = new_node(bench);
    node->right = gc_pop_root(bench->thread);
    node->left = gc_pop_root(bench->thread);
    return node;
}

static long count_nodes(const Node *node) {
    return node ? 1 + count_nodes(node->left) + count_nodes(node->right) : 0;
}

static void time_construction(Bench *bench, int depth, int stretch_depth) {
    long iterations = 2 * tree_size(stretch_depth) / tree_size(depth);
    printf("Creating %ld trees of depth %d\n", iterations, depth);
    long nodes = 0;
    for (long i = 0; i < iterations; i++) {
        Node *tree = new_node(bench);
        gc_push_root(bench->thread, tree);
        populate(bench, depth, tree);
        tree = gc_pop_root(bench->thread);
        nodes += count_nodes(tree);
    }
    for (long i = 0; i < iterations; i++)
        nodes += count_nodes(make_tree(bench, depth));
    printf("\tnodes built: %ld\n", nodes);
}

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 0;
    int stretch_depth = 18 + scale, long_lived_depth = 16 + scale;
    int min_depth = 4, max_depth = 16 + scale;
    int64_t array_size = 500000;
    GcHeap *heap = gc_heap_create(NULL);
    uint32_t first = gc_heap_register_types(heap, bench_types, 2);
    Bench bench = {.thread = gc_thread_attach(heap), .node_id = first, .array_id = first + 1};

    printf("Stretching memory with a binary tree of depth %d\n", stretch_depth);
    make_tree(&bench, stretch_depth);

    printf("Creating a long-lived binary tree of depth %d\n", long_lived_depth);
    void **frame = gc_enter_frame(bench.thread, 2);
    frame[0] = new_node(&bench);
    populate(&bench, long_lived_depth, frame[0]);
    printf("Creating a long-lived array of %lld doubles\n", (long long)array_size);
    DoubleArray *array =
        gc_alloc_varsize(bench.thread, bench.array_id, sizeof(DoubleArray), sizeof(double),
                         offsetof(DoubleArray, length), array_size);
    for (int64_t i = 0; i < array_size / 2; i++)
        array->items[i] = 1.0 / (double)(i + 1);
    frame[1] = array;

    for (int depth = min_depth; depth <= max_depth; depth += 2)
        time_construction(&bench, depth, stretch_depth);

    array = frame[1];
    if (array->items[1000] != 1.0 / 1001.0) printf("Failed: the long-lived array changed\n");
    printf("long-lived tree: %ld nodes\n", count_nodes(frame[0]));
    gc_leave_frame(bench.thread, frame);
    gc_thread_detach(bench.thread);
    gc_heap_destroy(heap);
    return 0;
}
