/* binary_trees_malloc.c - the binary-trees benchmark with malloc/free: the
 * peer of binary_trees_kiln.c, same program and output; each tree is freed
 * after its check.
 * Usage: bench_binary_trees_malloc [max_depth (default 18)]
 */
#include <stdio.h>
#include <stdlib.h>

typedef struct Node {
    struct Node *left;
    struct Node *right;
} Node;

static Node *bottom_up_tree(int depth) {
    Node *node = malloc(sizeof(Node));
    if (!node) {
        fputs("out of memory\n", stderr);
        exit(1);
    }
    if (depth > 0) {
        node->left = bottom_up_tree(depth - 1);
        node->right = bottom_up_tree(depth - 1);
    } else {
        node->left = node->right = NULL;
    }
    return node;
}

static long item_check(const Node *node) {
    if (!node->left) return 1;
    return 1 + item_check(node->left) + item_check(node->right);
}

static void delete_tree(Node *node) {
    if (node->left) {
        delete_tree(node->left);
        delete_tree(node->right);
    }
    free(node);
}

int main(int argc, char **argv) {
    int max_depth = argc > 1 ? atoi(argv[1]) : 18;
    int min_depth = 4;
    if (max_depth < min_depth + 2) max_depth = min_depth + 2;

    Node *stretch = bottom_up_tree(max_depth + 1);
    printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, item_check(stretch));
    delete_tree(stretch);

    Node *long_lived = bottom_up_tree(max_depth);
    for (int depth = min_depth; depth <= max_depth; depth += 2) {
        long iterations = 1L << (max_depth - depth + min_depth);
        long check = 0;
        for (long i = 0; i < iterations; i++) {
            Node *tree = bottom_up_tree(depth);
            check += item_check(tree);
            delete_tree(tree);
        }
        printf("%ld\t trees of depth %d\t check: %ld\n", iterations, depth, check);
    }
    printf("long lived tree of depth %d\t check: %ld\n", max_depth, item_check(long_lived));
    delete_tree(long_lived);
    return 0;
}
