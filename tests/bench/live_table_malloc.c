/* live_table_malloc.c - the interpreter-like allocation pattern with
 * malloc/free: the peer of live_table_kiln.c, same program and output; the
 * temporaries and the replaced entries are freed at once.
 * Usage: bench_live_table_malloc [million steps (default 20)]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define TABLE_SIZE 200000

typedef struct Box {
    int64_t value;
    struct Box *next;
} Box;

static uint64_t next_random(uint64_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static Box *new_box(int64_t value) {
    Box *box = malloc(sizeof(Box));
    if (!box) {
        fputs("out of memory\n", stderr);
        exit(1);
    }
    box->value = value;
    box->next = NULL;
    return box;
}

int main(int argc, char **argv) {
    int64_t steps = (argc > 1 ? atoll(argv[1]) : 20) * 1000000;
    Box **table = malloc(TABLE_SIZE * sizeof(Box *));
    if (!table) return 1;
    for (int64_t i = 0; i < TABLE_SIZE; i++)
        table[i] = new_box(i);
    uint64_t random = 88172645463325252u;
    int64_t checksum = 0;
    for (int64_t step = 0; step < steps; step++) {
        Box *first = new_box(step);
        Box *second = new_box(step * 3);
        second->next = first;
        checksum += second->value - second->next->value;
        free(second);
        free(first);
        if (step % 16 == 0) {
            Box *box = new_box(step);
            int64_t index = (int64_t)(next_random(&random) % TABLE_SIZE);
            checksum -= table[index]->value;
            free(table[index]);
            table[index] = box;
        }
    }
    for (int64_t i = 0; i < TABLE_SIZE; i++) {
        checksum += table[i]->value;
        free(table[i]);
    }
    free(table);
    printf("checksum %lld\n", (long long)checksum);
    return 0;
}
