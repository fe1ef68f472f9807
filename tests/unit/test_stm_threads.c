/* test_stm_threads.c - multi-threaded stress tests of the STM engine, each
 * checking an invariant that a lost update or an inconsistent read would
 * break:
 *   - bank transfers: the total is preserved, and every audit transaction
 *     (which reads all accounts) sees it, while transfers run;
 *   - a shared sorted linked list: inserts and removals under contention
 *     leave exactly the expected keys, in order;
 *   - a hash table of bucket lists: per-thread disjoint keys plus shared
 *     counters, all present at the end;
 *   - inevitable transactions doing I/O while others transfer: every line
 *     written once, the total preserved;
 *   - the task queue: tasks adding tasks, each run exactly once, first in
 *     first out with one worker; tasks added outside a transaction survive
 *     the abort of the next one;
 *   - the collector's per-thread parts under concurrent transactions: young
 *     large objects, destructors, identity hashes kept across the commit
 *     that moves their objects;
 *   - atomic sections and break points; a major collection with
 *     transactions in flight; abort reports and statistics.
 * KILN_STM_TEST_TRANSFERS sets the number of bank transfers (default 10^6).
 */
#include "gc.h"
#include "stm.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { THREADS = 4, ACCOUNTS = 64, INITIAL = 1000 };

typedef struct Account {
    GcHeader header;
    int64_t balance;
} Account;

typedef struct Node {
    GcHeader header;
    int64_t key;
    struct Node *next;
} Node;

typedef struct RefArray {
    GcHeader header;
    int64_t length;
    void *items[];
} RefArray;

static const uint32_t node_refs[] = {offsetof(Node, next)};
static const uint32_t item_refs[] = {0};

typedef struct World {
    GcHeap *heap;
    uint32_t account_type, node_type, array_type, task_type, resource_type;
    RefArray *accounts; /* old, a registered root */
    Node *list_head;    /* sentinel node, old */
    RefArray *buckets;
    long transfers_per_thread;
    int log_fd;
    _Atomic long audits;
    _Atomic long tasks_run;
    _Atomic long resources_destroyed;
} World;

/* An object with a destructor: it counts its runs in *counter (not a
 * reference). */
typedef struct Resource {
    GcHeader header;
    int64_t id;
    _Atomic long *counter;
} Resource;

static void resource_destructor(void *object) {
    atomic_fetch_add(((Resource *)object)->counter, 1);
}

static const StmLocation transfer_read = {"bank.kc", 10};
static const StmLocation transfer_write = {"bank.kc", 11};
static const StmLocation audit_read = {"bank.kc", 20};

static bool stress_mode(void) {
    const char *text = getenv("KILN_STM_STRESS");
    return text && *text && strcmp(text, "0") != 0;
}

static uint64_t mix(uint64_t value) {
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9u;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebu;
    return value ^ (value >> 31);
}

static RefArray *new_array(World *world, GcThread *thread, int64_t length) {
    return gc_alloc_varsize(thread, world->array_type, sizeof(RefArray), 8,
                            offsetof(RefArray, length), length);
}

static void world_init(World *world) {
    memset(world, 0, sizeof *world);
    world->heap = gc_heap_create(NULL);
    GcTypeInfo types[] = {
        {.name = "Account", .fixed_size = sizeof(Account)},
        {.name = "Node", .fixed_size = sizeof(Node), .ref_count = 1, .ref_offsets = node_refs},
        {.name = "RefArray",
         .fixed_size = sizeof(RefArray),
         .item_size = 8,
         .length_offset = offsetof(RefArray, length),
         .item_ref_count = 1,
         .item_ref_offsets = item_refs},
        {.name = "TaskArgument", .fixed_size = 24},
        {.name = "Resource", .fixed_size = 24, .destructor = resource_destructor},
    };
    uint32_t first = gc_heap_register_types(world->heap, types, 5);
    world->task_type = first + 3;
    world->resource_type = first + 4;
    world->account_type = first;
    world->node_type = first + 1;
    world->array_type = first + 2;
    const char *text = getenv("KILN_STM_TEST_TRANSFERS");
    long transfers = text ? atol(text) : 1000000;
    world->transfers_per_thread = transfers / THREADS;
    gc_heap_add_root(world->heap, (void **)&world->accounts);
    gc_heap_add_root(world->heap, (void **)&world->list_head);
    gc_heap_add_root(world->heap, (void **)&world->buckets);
}

/* Builds the shared structures in one transaction of the main thread. */
static void world_build(World *world, GcThread *thread) {
    stm_transaction_begin(thread);
    RefArray *accounts = new_array(world, thread, ACCOUNTS);
    gc_push_root(thread, accounts);
    for (int i = 0; i < ACCOUNTS; i++) {
        Account *account = gc_alloc(thread, world->account_type, sizeof(Account));
        account->balance = INITIAL;
        accounts = thread->root_top[-1];
        accounts->items[i] = account;
    }
    Node *head = gc_alloc(thread, world->node_type, sizeof(Node));
    head->key = -1;
    gc_push_root(thread, head);
    RefArray *buckets = new_array(world, thread, 16);
    gc_push_root(thread, buckets);
    for (int i = 0; i < 16; i++) {
        Node *bucket = gc_alloc(thread, world->node_type, sizeof(Node));
        bucket->key = -1;
        buckets = thread->root_top[-1];
        buckets->items[i] = bucket;
    }
    stm_commit(thread);
    world->buckets = gc_pop_root(thread);
    world->list_head = gc_pop_root(thread);
    world->accounts = gc_pop_root(thread);
}

static int64_t audit(World *world, GcThread *thread) {
    int64_t total = 0;
    stm_marker_set(thread, &audit_read);
    stm_read_barrier(thread, world->accounts);
    for (int i = 0; i < ACCOUNTS; i++) {
        Account *account = world->accounts->items[i];
        stm_read_barrier(thread, account);
        total += account->balance;
    }
    return total;
}

static void transfer(World *world, GcThread *thread, uint64_t seed) {
    uint64_t random = mix(seed);
    int from = (int)(random % ACCOUNTS), to = (int)((random >> 20) % ACCOUNTS);
    int64_t amount = (int64_t)((random >> 40) % 50);
    stm_read_barrier(thread, world->accounts);
    Account *source = world->accounts->items[from];
    Account *target = world->accounts->items[to];
    stm_marker_set(thread, &transfer_read);
    stm_read_barrier(thread, source);
    if (source->balance < amount) return;
    stm_marker_set(thread, &transfer_write);
    gc_write_barrier(thread, source);
    source->balance -= amount;
    gc_write_barrier(thread, target);
    target->balance += amount;
}

typedef struct Worker {
    World *world;
    int index;
    bool with_io;
} Worker;

static void *bank_worker(void *argument) {
    Worker *worker = argument;
    World *world = worker->world;
    GcThread *thread = gc_thread_attach(world->heap);
    for (long i = 0; i < world->transfers_per_thread; i++) {
        stm_transaction_begin(thread);
        transfer(world, thread, (uint64_t)worker->index << 40 | (uint64_t)i);
        if (i % 4096 == 0) {
            int64_t total = audit(world, thread);
            if (total != ACCOUNTS * INITIAL) {
                fprintf(stderr, "audit saw total %lld\n", (long long)total);
                abort();
            }
            world->audits++;
        }
        if (worker->with_io && i % 512 == 0) {
            stm_become_inevitable(thread, "write to the log");
            char line[64];
            int length = snprintf(line, sizeof line, "%d %ld\n", worker->index, i);
            if (write(world->log_fd, line, (size_t)length) != length) abort();
        }
        stm_commit(thread);
    }
    gc_thread_detach(thread);
    return NULL;
}

static void run_workers(World *world, GcThread *main_thread, void *(*body)(void *), bool with_io) {
    pthread_t threads[THREADS];
    Worker workers[THREADS];
    gc_gil_release(main_thread);
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (Worker){world, i, with_io};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, body, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    gc_gil_acquire(main_thread);
}

static int64_t total_now(World *world, GcThread *thread) {
    stm_transaction_begin(thread);
    int64_t total = audit(world, thread);
    stm_commit(thread);
    return total;
}

START_TEST(bank_transfers_preserve_the_total) {
    World world;
    world_init(&world);
    GcThread *thread = gc_thread_attach(world.heap);
    world_build(&world, thread);
    run_workers(&world, thread, bank_worker, false);
    ck_assert_int_eq(total_now(&world, thread), ACCOUNTS * INITIAL);
    ck_assert_int_gt(world.audits, 0);
    StmStats stats;
    stm_get_stats(thread, &stats);
    ck_assert_uint_ge(stats.commits, (uint64_t)(THREADS * world.transfers_per_thread));
    gc_thread_detach(thread);
    gc_heap_destroy(world.heap);
}
END_TEST

START_TEST(inevitable_transactions_do_io) {
    World world;
    world_init(&world);
    world.transfers_per_thread = world.transfers_per_thread / 10 + 2000;
    char path[] = "/tmp/kiln_stm_logXXXXXX";
    world.log_fd = mkstemp(path);
    ck_assert_int_ge(world.log_fd, 0);
    GcThread *thread = gc_thread_attach(world.heap);
    world_build(&world, thread);
    run_workers(&world, thread, bank_worker, true);
    ck_assert_int_eq(total_now(&world, thread), ACCOUNTS * INITIAL);
    /* Each inevitable transaction wrote its line exactly once. */
    off_t size = lseek(world.log_fd, 0, SEEK_END);
    char *text = malloc((size_t)size + 1);
    ck_assert_int_eq(pread(world.log_fd, text, (size_t)size, 0), size);
    text[size] = 0;
    long lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        lines++;
    long expected = THREADS * ((world.transfers_per_thread + 511) / 512);
    ck_assert_int_eq(lines, expected);
    free(text);
    close(world.log_fd);
    unlink(path);
    StmStats stats;
    stm_get_stats(thread, &stats);
    ck_assert_uint_ge(stats.inevitable_transactions, (uint64_t)expected);
    gc_thread_detach(thread);
    gc_heap_destroy(world.heap);
}
END_TEST

/* ---- Linked list and hash table ------------------------------------------ */

enum { LIST_KEYS = 64, LIST_OPERATIONS = 3000, TABLE_KEYS = 2000 };

/* Inserts `key` after the last smaller key, unless present. */
static void list_insert(World *world, GcThread *thread, Node *head, int64_t key) {
    Node *previous = head;
    stm_read_barrier(thread, previous);
    Node *current = previous->next;
    while (current) {
        stm_read_barrier(thread, current);
        if (current->key >= key) break;
        previous = current;
        current = current->next;
    }
    if (current && current->key == key) return;
    gc_push_root(thread, previous);
    gc_push_root(thread, current);
    Node *node = gc_alloc(thread, world->node_type, sizeof(Node));
    current = gc_pop_root(thread);
    previous = gc_pop_root(thread);
    node->key = key;
    node->next = current;
    gc_write_barrier(thread, previous);
    previous->next = node;
}

static void list_remove(GcThread *thread, Node *head, int64_t key) {
    Node *previous = head;
    stm_read_barrier(thread, previous);
    Node *current = previous->next;
    while (current) {
        stm_read_barrier(thread, current);
        if (current->key >= key) break;
        previous = current;
        current = current->next;
    }
    if (!current || current->key != key) return;
    gc_write_barrier(thread, previous);
    previous->next = current->next;
}

static void *list_worker(void *argument) {
    Worker *worker = argument;
    World *world = worker->world;
    GcThread *thread = gc_thread_attach(world->heap);
    for (long i = 0; i < LIST_OPERATIONS; i++) {
        uint64_t random = mix((uint64_t)worker->index << 32 | (uint64_t)i);
        int64_t key = (int64_t)(random % LIST_KEYS);
        stm_transaction_begin(thread);
        /* Even keys are only ever inserted, odd ones inserted then removed. */
        list_insert(world, thread, world->list_head, key);
        if (key & 1) list_remove(thread, world->list_head, key);
        stm_commit(thread);
        /* The hash table: this thread's own keys, in shared buckets. */
        int64_t table_key = worker->index * TABLE_KEYS + i % TABLE_KEYS;
        stm_transaction_begin(thread);
        stm_read_barrier(thread, world->buckets);
        Node *bucket = world->buckets->items[mix((uint64_t)table_key) % 16];
        list_insert(world, thread, bucket, table_key);
        stm_commit(thread);
    }
    gc_thread_detach(thread);
    return NULL;
}

START_TEST(shared_list_and_table_under_contention) {
    World world;
    world_init(&world);
    GcThread *thread = gc_thread_attach(world.heap);
    world_build(&world, thread);
    run_workers(&world, thread, list_worker, false);
    stm_transaction_begin(thread);
    int64_t last = -1;
    long count = 0;
    for (Node *node = world.list_head->next; node; node = node->next) {
        stm_read_barrier(thread, node);
        ck_assert_int_gt(node->key, last);
        ck_assert_int_eq(node->key & 1, 0);
        last = node->key;
        count++;
    }
    long table = 0;
    for (int b = 0; b < 16; b++) {
        Node *bucket = world.buckets->items[b];
        for (Node *node = bucket->next; node; node = node->next) {
            stm_read_barrier(thread, node);
            ck_assert_uint_eq(mix((uint64_t)node->key) % 16, (uint64_t)b);
            table++;
        }
    }
    stm_commit(thread);
    ck_assert_int_le(count, LIST_KEYS / 2);
    ck_assert_int_gt(count, 0);
    long per_thread = LIST_OPERATIONS < TABLE_KEYS ? LIST_OPERATIONS : TABLE_KEYS;
    ck_assert_int_eq(table, THREADS * per_thread);
    gc_thread_detach(thread);
    gc_heap_destroy(world.heap);
}
END_TEST

/* ---- Task queue ------------------------------------------------------------ */

/* A task's argument: its depth (> 0 adds two tasks of depth - 1) and the
 * world (a plain pointer, not a reference).  Every task credits account 0. */
typedef struct TaskArgument {
    GcHeader header;
    int64_t depth;
    World *world;
} TaskArgument;

static void tree_task(GcThread *thread, void *argument) {
    TaskArgument *node = argument;
    stm_read_barrier(thread, node);
    int64_t depth = node->depth;
    World *world = node->world;
    stm_read_barrier(thread, world->accounts);
    Account *counter = world->accounts->items[0];
    gc_write_barrier(thread, counter);
    counter->balance++;
    for (int child = 0; child < 2 && depth > 0; child++) {
        TaskArgument *next = gc_alloc(thread, world->task_type, sizeof(TaskArgument));
        next->depth = depth - 1;
        next->world = world;
        stm_task_add(thread, tree_task, next);
    }
}

START_TEST(task_queue_runs_every_task_once) {
    World world;
    world_init(&world);
    GcThread *thread = gc_thread_attach(world.heap);
    world_build(&world, thread);
    TaskArgument *root = gc_alloc(thread, world.task_type, sizeof(TaskArgument));
    root->depth = 9; /* 2^10 - 1 tasks */
    root->world = &world;
    stm_task_add(thread, tree_task, root);
    stm_task_run(thread, THREADS);
    ck_assert_int_eq(total_now(&world, thread), ACCOUNTS * INITIAL + 1023);
    gc_thread_detach(thread);
    gc_heap_destroy(world.heap);
}
END_TEST

/* Task n checks that it runs n-th (account 3 counts the tasks run) and
 * adds task n + 100 when n < 100: with one worker and one thread adding,
 * the order is the order of addition. */
static void ordered_task(GcThread *thread, void *argument) {
    TaskArgument *node = argument;
    stm_read_barrier(thread, node);
    int64_t number = node->depth;
    World *world = node->world;
    stm_read_barrier(thread, world->accounts);
    Account *counter = world->accounts->items[3];
    stm_read_barrier(thread, counter);
    if (counter->balance - INITIAL != number) {
        fprintf(stderr, "task %lld ran in position %lld\n", (long long)number,
                (long long)(counter->balance - INITIAL));
        abort();
    }
    gc_write_barrier(thread, counter);
    counter->balance++;
    if (number < 100) {
        TaskArgument *next = gc_alloc(thread, world->task_type, sizeof(TaskArgument));
        next->depth = number + 100;
        next->world = world;
        stm_task_add(thread, ordered_task, next);
    }
}

START_TEST(task_queue_is_first_in_first_out) {
    World world;
    world_init(&world);
    GcThread *thread = gc_thread_attach(world.heap);
    world_build(&world, thread);
    for (int64_t number = 0; number < 100; number++) {
        TaskArgument *node = gc_alloc(thread, world.task_type, sizeof(TaskArgument));
        node->depth = number;
        node->world = &world;
        stm_task_add(thread, ordered_task, node);
    }
    stm_task_run(thread, 1);
    stm_transaction_begin(thread);
    Account *counter = world.accounts->items[3];
    stm_read_barrier(thread, counter);
    ck_assert_int_eq(counter->balance, INITIAL + 200);
    stm_commit(thread);
    gc_thread_detach(thread);
    gc_heap_destroy(world.heap);
}
END_TEST

/* A task added outside any transaction is committed state: the abort of the
 * next transaction keeps it. */
START_TEST(tasks_added_outside_survive_an_abort) {
    World world;
    world_init(&world);
    GcThread *thread = gc_thread_attach(world.heap);
    world_build(&world, thread);
    TaskArgument *node = gc_alloc(thread, world.task_type, sizeof(TaskArgument));
    node->depth = 0;
    node->world = &world;
    stm_task_add(thread, tree_task, node);
    volatile int attempts = 0;
    stm_transaction_begin(thread);
    if (++attempts < 2) stm_abort_explicit(thread);
    stm_commit(thread);
    stm_task_run(thread, 2);
    ck_assert_int_eq(total_now(&world, thread), ACCOUNTS * INITIAL + 1);
    gc_thread_detach(thread);
    gc_heap_destroy(world.heap);
}
END_TEST

/* ---- The collector under concurrent transactions ---------------------------- */

enum { GC_ROUNDS = 300, BIG_ITEMS = 4000 };

/* One transaction: a young large array (over 16 KB), a resource with a
 * destructor, and the identity hash of a young object taken before the
 * commit that moves it; all three stay on the shadow stack. */
static void gc_round(World *world, GcThread *thread, int64_t round) {
    stm_transaction_begin(thread);
    RefArray *big = new_array(world, thread, BIG_ITEMS);
    gc_push_root(thread, big);
    Resource *resource = gc_alloc_general(thread, world->resource_type, 24, 0);
    resource->id = round;
    resource->counter = &world->resources_destroyed;
    big = thread->root_top[-1];
    big->items[round % BIG_ITEMS] = resource;
    Node *node = gc_alloc(thread, world->node_type, sizeof(Node));
    node->key = (int64_t)gc_identity_hash(thread, node);
    big = thread->root_top[-1];
    big->items[0] = node;
    stm_commit(thread);
}

static void *gc_worker(void *argument) {
    Worker *worker = argument;
    World *world = worker->world;
    GcThread *thread = gc_thread_attach(world->heap);
    for (int64_t round = 1; round <= GC_ROUNDS; round++) {
        gc_round(world, thread, round);
        /* Committed: old now, and its hash unchanged. */
        RefArray *big = gc_pop_root(thread);
        stm_transaction_begin(thread);
        stm_read_barrier(thread, big);
        Node *node = big->items[0];
        Resource *resource = big->items[round % BIG_ITEMS];
        stm_read_barrier(thread, node);
        stm_read_barrier(thread, resource);
        if (gc_is_young(big) || gc_is_young(node) || resource->id != round ||
            (uint64_t)node->key != gc_identity_hash(thread, node))
            abort();
        stm_commit(thread);
    }
    gc_thread_detach(thread);
    return NULL;
}

START_TEST(collector_features_in_parallel_transactions) {
    World world;
    world_init(&world);

    GcThread *thread = gc_thread_attach(world.heap);
    world_build(&world, thread);
    run_workers(&world, thread, gc_worker, false);
    gc_collect_major(thread);
    /* Nothing keeps the resources: the major collection ran every
     * destructor. */
    ck_assert_int_eq(atomic_load(&world.resources_destroyed), THREADS * GC_ROUNDS);
    GcVerifyReport report;
    ck_assert_msg(gc_verify(world.heap, &report) == 0, "%s", report.first[0]);
    gc_thread_detach(thread);
    gc_heap_destroy(world.heap);
}
END_TEST

/* ---- Atomic sections, break points, major collection ----------------------- */

START_TEST(atomic_sections_and_break_points) {
    World world;
    world_init(&world);
    GcThread *thread = gc_thread_attach(world.heap);
    world_build(&world, thread);
    StmStats before, after;
    stm_get_stats(thread, &before);
    stm_transaction_begin(thread);
    /* The loop's progress lives in the heap (the account), so that a
     * restart at a break point resumes from the committed count. */
    for (;;) {
        stm_break_point(thread);
        Account *account = world.accounts->items[1];
        stm_read_barrier(thread, account);
        if (account->balance >= INITIAL + 10000000) break;
        gc_write_barrier(thread, account);
        account->balance++;
    }
    stm_commit(thread);
    stm_get_stats(thread, &after);
    /* One thread: long (serial) transactions, but still some breaks.
     * KILN_STM_STRESS turns serial mode off. */
    ck_assert_uint_gt(after.commits - before.commits, 1);
    if (!stress_mode()) ck_assert_uint_gt(after.serial_transactions, before.serial_transactions);
    stm_get_stats(thread, &before);
    stm_transaction_begin(thread);
    stm_atomic_enter(thread);
    stm_atomic_enter(thread);
    for (volatile long i = 0; i < 100; i++) {
        thread->stm_budget = -1; /* every break point wants to break */
        stm_break_point(thread);
    }
    stm_atomic_leave(thread);
    stm_atomic_leave(thread);
    stm_commit(thread);
    stm_get_stats(thread, &after);
    ck_assert_uint_eq(after.commits - before.commits, 1);
    ck_assert_int_eq(total_now(&world, thread), ACCOUNTS * INITIAL + 10000000);
    gc_thread_detach(thread);
    gc_heap_destroy(world.heap);
}
END_TEST

/* One transaction allocates several nurseries' worth before any break
 * point, keeping a short chain alive: the nursery passes its soft stop,
 * fills and is collected inside the transaction, more than once.  In
 * serial mode and, with a second thread attached, in parallel mode. */
static void allocate_past_the_nursery(World *world, GcThread *thread) {
    GcConfig config;
    gc_config_default(&config);
    gc_config_from_env(&config);
    /* Under KILN_GC_STRESS every allocation collects, each collection
     * inside the transaction adds the live chain to the write set, which
     * each later one traces: a few thousand nodes are enough there (the
     * nursery never fills in that mode). */
    int64_t nodes = config.stress ? 4000 : (int64_t)(3 * config.nursery_bytes / sizeof(Node));
    stm_transaction_begin(thread);
    Node *chain = NULL;
    for (int64_t k = 0; k < nodes; k++) {
        gc_push_root(thread, chain);
        Node *node = gc_alloc(thread, world->node_type, sizeof(Node));
        chain = gc_pop_root(thread);
        node->key = k;
        /* Keep the last 16 nodes reachable, drop the rest. */
        node->next = k % 16 ? chain : NULL;
        chain = node;
    }
    int64_t expected = nodes - 1;
    for (Node *node = chain; node; node = node->next, expected--) {
        stm_read_barrier(thread, node);
        ck_assert_int_eq(node->key, expected);
    }
    ck_assert_int_eq((expected + 1) % 16, 0);
    stm_commit(thread);
}

/* A second attached thread that does nothing: the first one leaves serial
 * mode. */
typedef struct Idle {
    World *world;
    atomic_int attached;
    atomic_int stop;
} Idle;

static void *attached_idle(void *argument) {
    Idle *idle = argument;
    GcThread *thread = gc_thread_attach(idle->world->heap);
    gc_gil_release(thread);
    atomic_store(&idle->attached, 1);
    while (!atomic_load(&idle->stop))
        usleep(1000);
    gc_gil_acquire(thread);
    gc_thread_detach(thread);
    return NULL;
}

START_TEST(transactions_fill_their_nursery) {
    World world;
    world_init(&world);
    GcThread *thread = gc_thread_attach(world.heap);
    allocate_past_the_nursery(&world, thread);
    Idle idle = {.world = &world};
    pthread_t other;
    ck_assert_int_eq(pthread_create(&other, NULL, attached_idle, &idle), 0);
    gc_gil_release(thread);
    while (!atomic_load(&idle.attached))
        usleep(1000);
    gc_gil_acquire(thread);
    StmStats before, after;
    stm_get_stats(thread, &before);
    allocate_past_the_nursery(&world, thread);
    stm_get_stats(thread, &after);
    ck_assert_uint_eq(after.serial_transactions, before.serial_transactions);
    atomic_store(&idle.stop, 1);
    gc_gil_release(thread);
    pthread_join(other, NULL);
    gc_gil_acquire(thread);
    gc_thread_detach(thread);
    gc_heap_destroy(world.heap);
}
END_TEST

static void *major_worker(void *argument) {
    Worker *worker = argument;
    World *world = worker->world;
    GcThread *thread = gc_thread_attach(world->heap);
    for (long i = 0; i < 2000; i++) {
        stm_transaction_begin(thread);
        transfer(world, thread, (uint64_t)worker->index << 40 | (uint64_t)i);
        /* Garbage, and a list that lives across a collection. */
        Node *chain = NULL;
        for (int k = 0; k < 50; k++) {
            gc_push_root(thread, chain);
            Node *node = gc_alloc(thread, world->node_type, sizeof(Node));
            chain = gc_pop_root(thread);
            node->key = k;
            node->next = chain;
            chain = node;
        }
        if (i % 500 == worker->index) {
            gc_push_root(thread, chain);
            gc_collect_major(thread);
            chain = gc_pop_root(thread);
        }
        for (int k = 49; k >= 0; k--, chain = chain->next)
            if (chain->key != k) abort();
        stm_commit(thread);
    }
    gc_thread_detach(thread);
    return NULL;
}

START_TEST(major_collection_with_transactions_in_flight) {
    World world;
    world_init(&world);
    GcThread *thread = gc_thread_attach(world.heap);
    world_build(&world, thread);
    run_workers(&world, thread, major_worker, false);
    ck_assert_int_eq(total_now(&world, thread), ACCOUNTS * INITIAL);
    GcStats stats;
    gc_get_stats(world.heap, &stats);
    ck_assert_uint_ge(stats.major_collections, 4);
    GcVerifyReport report;
    ck_assert_msg(gc_verify(world.heap, &report) == 0, "%s", report.first[0]);
    gc_thread_detach(thread);
    gc_heap_destroy(world.heap);
}
END_TEST

/* ---- Reports ---------------------------------------------------------------- */

START_TEST(explicit_aborts_restart_and_are_counted) {
    World world;
    world_init(&world);
    GcThread *thread = gc_thread_attach(world.heap);
    world_build(&world, thread);
    volatile int attempts = 0;
    StmStats before, after;
    stm_get_stats(thread, &before);
    stm_transaction_begin(thread);
    Account *account = world.accounts->items[2];
    stm_read_barrier(thread, account);
    ck_assert_int_eq(account->balance, INITIAL); /* the write below was rolled back */
    gc_write_barrier(thread, account);
    account->balance = 5;
    if (++attempts < 3) stm_abort_explicit(thread);
    stm_commit(thread);
    stm_get_stats(thread, &after);
    /* KILN_STM_STRESS adds aborts of its own (counted as explicit). */
    uint64_t explicit_aborts = after.aborts[STM_ABORT_EXPLICIT] - before.aborts[STM_ABORT_EXPLICIT];
    if (stress_mode()) {
        ck_assert_int_ge(attempts, 3);
        ck_assert_uint_ge(explicit_aborts, 2);
    } else {
        ck_assert_int_eq(attempts, 3);
        ck_assert_uint_eq(explicit_aborts, 2);
    }
    gc_thread_detach(thread);
    gc_heap_destroy(world.heap);
}
END_TEST

static Suite *threads_suite(void) {
    Suite *suite = suite_create("stm_threads");
    TCase *cases = tcase_create("threads");
    tcase_set_timeout(cases, 600);
    tcase_add_test(cases, bank_transfers_preserve_the_total);
    tcase_add_test(cases, inevitable_transactions_do_io);
    tcase_add_test(cases, shared_list_and_table_under_contention);
    tcase_add_test(cases, task_queue_runs_every_task_once);
    tcase_add_test(cases, task_queue_is_first_in_first_out);
    tcase_add_test(cases, tasks_added_outside_survive_an_abort);
    tcase_add_test(cases, collector_features_in_parallel_transactions);
    tcase_add_test(cases, atomic_sections_and_break_points);
    tcase_add_test(cases, transactions_fill_their_nursery);
    tcase_add_test(cases, major_collection_with_transactions_in_flight);
    tcase_add_test(cases, explicit_aborts_restart_and_are_counted);
    suite_add_tcase(suite, cases);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(threads_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
