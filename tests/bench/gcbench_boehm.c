/* gcbench_boehm.c - the GCBench-style benchmark on Boehm GC: the peer of
 * gcbench_kiln.c, same program and output.
 * Usage: bench_gcbench_boehm [scale (default 0)]
 */
#include "boehm_pauses.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct Node {
    struct Node *left;
    struct Node *right;
    int64_t i, j;
} Node;

static long tree_size(int depth) {
    return (1L << (depth + 1)) - 1;
}

static Node *new_node(void) {
    return GC_MALLOC(sizeof(Node));
}

static void populate(int depth, Node *node) {
    if (depth <= 0) return;
    depth--;
    node->left = new_node();
    node->right = new_node();
    populate(depth, node->left);
    populate(depth, node->right);
}

static Node *make_tree(int depth) {
    if (depth <= 0) return new_node();
    Node *left = make_tree(depth - 1);
    Node *right = make_tree(depth - 1);
    Node *node = new_node();
    node->left = left;
    node->right = right;
    return node;
}

static long count_nodes(const Node *node) {
    return node ? 1 + count_nodes(node->left) + count_nodes(node->right) : 0;
}

static void time_construction(int depth, int stretch_depth) {
    long iterations = 2 * tree_size(stretch_depth) / tree_size(depth);
    printf("Creating %ld trees of depth %d\n", iterations, depth);
    long nodes = 0;
    for (long i = 0; i < iterations; i++) {
        Node *tree = new_node();
        populate(depth, tree);
        nodes += count_nodes(tree);
    }
    for (long i = 0; i < iterations; i++)
        nodes += count_nodes(make_tree(depth));
    printf("\tnodes built: %ld\n", nodes);
}

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 0;
    int stretch_depth = 18 + scale, long_lived_depth = 16 + scale;
    int min_depth = 4, max_depth = 16 + scale;
    int64_t array_size = 500000;
    GC_INIT();
    boehm_pauses_start();

    printf("Stretching memory with a binary tree of depth %d\n", stretch_depth);
    make_tree(stretch_depth);

    printf("Creating a long-lived binary tree of depth %d\n", long_lived_depth);
    Node *long_lived = new_node();
    populate(long_lived_depth, long_lived);
    printf("Creating a long-lived array of %lld doubles\n", (long long)array_size);
    double *array = GC_MALLOC_ATOMIC((size_t)array_size * sizeof(double));
    for (int64_t i = 0; i < array_size / 2; i++)
        array[i] = 1.0 / (double)(i + 1);

    for (int depth = min_depth; depth <= max_depth; depth += 2)
        time_construction(depth, stretch_depth);

    if (array[1000] != 1.0 / 1001.0) printf("Failed: the long-lived array changed\n");
    printf("long-lived tree: %ld nodes\n", count_nodes(long_lived));
    return 0;
}
