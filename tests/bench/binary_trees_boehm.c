/* binary_trees_boehm.c - the binary-trees benchmark on Boehm GC: the peer
 * of binary_trees_kiln.c, same program and output.
 * Usage: bench_binary_trees_boehm [max_depth (default 18)]
 */
#include "boehm_pauses.h"
#include <stdio.h>
#include <stdlib.h>

typedef struct Node {
    struct Node *left;
    struct Node *right;
} Node;

static Node *bottom_up_tree(int depth) {
    Node *node = GC_MALLOC(sizeof(Node));
    if (depth > 0) {
        node->left = bottom_up_tree(depth - 1);
        node->right = bottom_up_tree(depth - 1);
    }
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
    GC_INIT();
    boehm_pauses_start();

    Node *stretch = bottom_up_tree(max_depth + 1);
    printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, item_check(stretch));
    stretch = NULL;

    Node *long_lived = bottom_up_tree(max_depth);
    for (int depth = min_depth; depth <= max_depth; depth += 2) {
        long iterations = 1L << (max_depth - depth + min_depth);
        long check = 0;
        for (long i = 0; i < iterations; i++)
            check += item_check(bottom_up_tree(depth));
        printf("%ld\t trees of depth %d\t check: %ld\n", iterations, depth, check);
    }
    printf("long lived tree of depth %d\t check: %ld\n", max_depth, item_check(long_lived));
    return 0;
}
