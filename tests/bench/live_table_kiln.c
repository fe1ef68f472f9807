/* live_table_kiln.c - an interpreter-like allocation pattern on stm_gc, for
 * the pause-time distribution.
 *
 * A table of 200,000 boxes stays alive the whole run (an interpreter's
 * globals, dictionaries, caches); each step allocates two temporary boxes
 * that die at once (boxed intermediate values), and every 16th step
 * replaces a random table entry with a new box (a store into a big old
 * array: card marking).  About 3% of the allocated bytes survive a minor
 * collection.  Same output as live_table_boehm.c and live_table_malloc.c.
 * Usage: bench_live_table_kiln [million steps (default 20)]
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "gc.h"

#define TABLE_SIZE 200000

typedef struct Box {
    GcHeader header;
    int64_t value;
    struct Box *next;
} Box;

typedef struct Table {
    GcHeader header;
    int64_t length;
    Box *items[];
} Table;

static const uint32_t box_references[] = {offsetof(Box, next)};
static const uint32_t item_reference[] = {0};
static const GcTypeInfo bench_types[] = {
    {.name = "Box", .fixed_size = sizeof(Box), .ref_count = 1, .ref_offsets = box_references},
    {.name = "Table",
     .fixed_size = sizeof(Table),
     .item_size = sizeof(Box *),
     .length_offset = offsetof(Table, length),
     .item_ref_count = 1,
     .item_ref_offsets = item_reference},
};

static uint64_t next_random(uint64_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

int main(int argc, char **argv) {
    int64_t steps = (argc > 1 ? atoll(argv[1]) : 20) * 1000000;
    GcHeap *heap = gc_heap_create(NULL);
    uint32_t box_id = gc_heap_register_types(heap, bench_types, 2);
    uint32_t table_id = box_id + 1;
    GcThread *thread = gc_thread_attach(heap);
    void **frame = gc_enter_frame(thread, 1);
    Table *table = gc_alloc_varsize(thread, table_id, sizeof(Table), sizeof(Box *),
                                    offsetof(Table, length), TABLE_SIZE);
    frame[0] = table;
    for (int64_t i = 0; i < TABLE_SIZE; i++) {
        Box *box = gc_alloc(thread, box_id, sizeof(Box));
        box->value = i;
        table = frame[0];
        gc_write_barrier_array(thread, table, i);
        table->items[i] = box;
    }
    uint64_t random = 88172645463325252u;
    int64_t checksum = 0;
    for (int64_t step = 0; step < steps; step++) {
        Box *first = gc_alloc(thread, box_id, sizeof(Box));
        first->value = step;
        gc_push_root(thread, first);
        Box *second = gc_alloc(thread, box_id, sizeof(Box));
        first = gc_pop_root(thread);
        second->value = step * 3;
        second->next = first;
        checksum += second->value - second->next->value;
        if (step % 16 == 0) {
            Box *box = gc_alloc(thread, box_id, sizeof(Box));
            box->value = step;
            int64_t index = (int64_t)(next_random(&random) % TABLE_SIZE);
            table = frame[0];
            checksum -= table->items[index]->value;
            gc_write_barrier_array(thread, table, index);
            table->items[index] = box;
        }
    }
    table = frame[0];
    for (int64_t i = 0; i < TABLE_SIZE; i++)
        checksum += table->items[i]->value;
    printf("checksum %lld\n", (long long)checksum);
    gc_leave_frame(thread, frame);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
    return 0;
}
