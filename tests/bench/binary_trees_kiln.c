/* binary_trees_kiln.c - the binary-trees benchmark on stm_gc.
 *
 * Written the way generated code uses the collector: every reference that
 * lives across an allocation is spilled to the shadow stack and reloaded
 * after it, stores into freshly allocated nodes need no barrier, and the
 * long-lived tree is a root for the whole run.  The output is the same as
 * binary_trees_boehm.c's and binary_trees_malloc.c's.
 * Usage: bench_binary_trees_kiln [max_depth (default 18)]
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "gc.h"

typedef struct Node {
    GcHeader header;
    struct Node *left;
    struct Node *right;
} Node;

static const uint32_t node_references[] = {offsetof(Node, left), offsetof(Node, right)};
static const GcTypeInfo node_type = {
    .name = "Node", .fixed_size = sizeof(Node), .ref_count = 2, .ref_offsets = node_references};

static Node *bottom_up_tree(GcThread *thread, uint32_t node_id, int depth) {
    if (depth <= 0) return gc_alloc(thread, node_id, sizeof(Node));
    Node *left = bottom_up_tree(thread, node_id, depth - 1);
    gc_push_root(thread, left);
    Node *right = bottom_up_tree(thread, node_id, depth - 1);
    gc_push_root(thread, right);
    Node *node = gc_alloc(thread, node_id, sizeof(Node));
    right = gc_pop_root(thread);
    left = gc_pop_root(thread);
    node->left = left;
    node->right = right;
    return node;
}

static long item_check(const Node *node) {
    if (!node->left) return 1;
    return 1 + item_check(node->left) + item_check(node->right);
}

int main(int argc, char **argv) {
    int max_depth = argc > 1 ? atoi(argv[1]) : 18;
    int min_depth = 4;
    if (max_depth < min_depth + 2) max_depth = min_depth + 2;
    GcHeap *heap = gc_heap_create(NULL);
    uint32_t node_id = gc_heap_register_types(heap, &node_type, 1);
    GcThread *thread = gc_thread_attach(heap);

    Node *stretch = bottom_up_tree(thread, node_id, max_depth + 1);
    printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, item_check(stretch));

    void **frame = gc_enter_frame(thread, 1);
    frame[0] = bottom_up_tree(thread, node_id, max_depth);
    for (int depth = min_depth; depth <= max_depth; depth += 2) {
        long iterations = 1L << (max_depth - depth + min_depth);
        long check = 0;
        for (long i = 0; i < iterations; i++)
            check += item_check(bottom_up_tree(thread, node_id, depth));
        printf("%ld\t trees of depth %d\t check: %ld\n", iterations, depth, check);
    }
    printf("long lived tree of depth %d\t check: %ld\n", max_depth, item_check(frame[0]));
    gc_leave_frame(thread, frame);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
    return 0;
}
