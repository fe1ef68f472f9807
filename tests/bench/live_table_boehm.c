/* live_table_boehm.c - the interpreter-like allocation pattern on Boehm GC:
 * the peer of live_table_kiln.c, same program and output.
 * Usage: bench_live_table_boehm [million steps (default 20)]
 */
#include "boehm_pauses.h"

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
    Box *box = GC_MALLOC(sizeof(Box));
    box->value = value;
    return box;
}

int main(int argc, char **argv) {
    int64_t steps = (argc > 1 ? atoll(argv[1]) : 20) * 1000000;
    GC_INIT();
    boehm_pauses_start();
    Box **table = GC_MALLOC(TABLE_SIZE * sizeof(Box *));
    for (int64_t i = 0; i < TABLE_SIZE; i++)
        table[i] = new_box(i);
    uint64_t random = 88172645463325252u;
    int64_t checksum = 0;
    for (int64_t step = 0; step < steps; step++) {
        Box *first = new_box(step);
        Box *second = new_box(step * 3);
        second->next = first;
        checksum += second->value - second->next->value;
        if (step % 16 == 0) {
            Box *box = new_box(step);
            int64_t index = (int64_t)(next_random(&random) % TABLE_SIZE);
            checksum -= table[index]->value;
            table[index] = box;
        }
    }
    for (int64_t i = 0; i < TABLE_SIZE; i++)
        checksum += table[i]->value;
    printf("checksum %lld\n", (long long)checksum);
    return 0;
}
