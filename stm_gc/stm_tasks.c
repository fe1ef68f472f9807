/* stm_tasks.c - the task queue behind transaction_add / transaction_run.
 *
 * Expects: tasks are added inside or outside transactions; the queue runs
 * from a thread outside any transaction.
 * Produces: every task added by a committed transaction (or outside one)
 * runs exactly once, in its own transaction; each thread slot's segment is
 * first in, first out.
 *
 * Why it is no hot spot:
 *   - it is not transactional memory, so it never makes transactions
 *     conflict: a transaction adds to its own pending list (private,
 *     dropped by an abort), which joins the queue after the commit made
 *     the arguments old; a worker takes a task before its transaction
 *     starts;
 *   - it is split by thread slot: a commit publishes into its own thread's
 *     segment, and a worker takes from its own segment first, then steals
 *     the oldest task of another (a bitmap says which segments hold
 *     tasks), so workers that keep busy each lock only their own segment;
 *   - the counters that decide when the run ends and the idle workers'
 *     sleep are touched by atomics, and the sleep lock only while someone
 *     sleeps.
 */
#include "stm_internal.h"

static void task_push(StmTaskVec *vec, StmTask task) {
    if (vec->count == vec->capacity) {
        /* Compact the consumed head before growing. */
        if (vec->head) {
            memmove(vec->items, vec->items + vec->head, (vec->count - vec->head) * sizeof(StmTask));
            vec->count -= vec->head;
            vec->head = 0;
        }
        if (vec->count == vec->capacity) {
            vec->capacity = vec->capacity ? vec->capacity * 2 : 64;
            vec->items = gc_xrealloc(vec->items, vec->capacity * sizeof(StmTask));
        }
    }
    vec->items[vec->count++] = task;
}

void stm_tasks_init(StmHeap *shared) {
    for (int slot = 0; slot < STM_MAX_THREADS; slot++)
        pthread_mutex_init(&shared->segments[slot].lock, NULL);
    pthread_mutex_init(&shared->task_lock, NULL);
    pthread_cond_init(&shared->task_changed, NULL);
}

void stm_tasks_finish(StmHeap *shared) {
    for (int slot = 0; slot < STM_MAX_THREADS; slot++) {
        pthread_mutex_destroy(&shared->segments[slot].lock);
        free(shared->segments[slot].tasks.items);
    }
    pthread_mutex_destroy(&shared->task_lock);
    pthread_cond_destroy(&shared->task_changed);
}

void stm_task_add(GcThread *thread, StmTaskFunction function, void *argument) {
    task_push(&stm_context_of(thread)->pending_tasks, (StmTask){function, argument});
}

/* Wakes the idle workers, if any: after tasks were published or the last
 * running task finished. */
static void wake_workers(StmHeap *shared) {
    if (!atomic_load(&shared->task_sleepers)) return;
    pthread_mutex_lock(&shared->task_lock);
    pthread_cond_broadcast(&shared->task_changed);
    pthread_mutex_unlock(&shared->task_lock);
}

/* After the minor collection that made the arguments old (commit, or the
 * start of a transaction, a safe region, a run, a detach for tasks added
 * outside one).  They count as outstanding before anyone can take them. */
void stm_tasks_publish(StmContext *context) {
    StmTaskVec *pending = &context->pending_tasks;
    if (!pending->count) return;
    StmHeap *shared = context->state->public.heap->stm;
    StmTaskSegment *segment = &shared->segments[context->slot];
    atomic_fetch_add(&shared->tasks_outstanding, (int64_t)pending->count);
    pthread_mutex_lock(&segment->lock);
    for (size_t i = 0; i < pending->count; i++)
        task_push(&segment->tasks, pending->items[i]);
    atomic_fetch_or(&shared->task_segments_used, UINT64_C(1) << context->slot);
    pthread_mutex_unlock(&segment->lock);
    pending->count = 0;
    wake_workers(shared);
}

void stm_tasks_trace_minor(StmContext *context, GcSlotVisitor visit, void *pass) {
    StmTaskVec *pending = &context->pending_tasks;
    for (size_t i = 0; i < pending->count; i++)
        if (pending->items[i].argument) visit(pass, &pending->items[i].argument);
}

void stm_tasks_mark(GcHeap *heap, StmContext *context, void (*mark)(GcHeap *, void *)) {
    StmTaskVec *pending = &context->pending_tasks;
    for (size_t i = 0; i < pending->count; i++)
        mark(heap, pending->items[i].argument);
}

/* Every thread is parked or in a safe region, and neither touches a
 * segment there. */
void stm_tasks_mark_queue(GcHeap *heap, void (*mark)(GcHeap *, void *)) {
    for (int slot = 0; slot < STM_MAX_THREADS; slot++) {
        StmTaskVec *tasks = &heap->stm->segments[slot].tasks;
        for (size_t i = tasks->head; i < tasks->count; i++)
            mark(heap, tasks->items[i].argument);
    }
}

/* The oldest task of the segment, if any. */
static bool segment_pop(StmHeap *shared, int slot, StmTask *task) {
    StmTaskSegment *segment = &shared->segments[slot];
    pthread_mutex_lock(&segment->lock);
    StmTaskVec *tasks = &segment->tasks;
    bool found = tasks->head < tasks->count;
    if (found) {
        *task = tasks->items[tasks->head++];
        if (tasks->head == tasks->count) {
            tasks->head = tasks->count = 0;
            atomic_fetch_and(&shared->task_segments_used, ~(UINT64_C(1) << slot));
        }
    }
    pthread_mutex_unlock(&segment->lock);
    return found;
}

/* Own segment first, then the others, starting after it (so that thieves
 * spread over the victims). */
static bool take_any(StmHeap *shared, int own, StmTask *task) {
    if (segment_pop(shared, own, task)) return true;
    uint64_t used = atomic_load(&shared->task_segments_used) & ~(UINT64_C(1) << own);
    while (used) {
        uint64_t after = own + 1 < STM_MAX_THREADS ? used & (~UINT64_C(0) << (own + 1)) : 0;
        int victim = __builtin_ctzll(after ? after : used);
        if (segment_pop(shared, victim, task)) return true;
        used &= ~(UINT64_C(1) << victim);
    }
    return false;
}

/* Sleeps (in a safe region, so that major collections go on) until tasks
 * are published or none is outstanding.  The check and the sleep are under
 * task_lock, and publishers wake sleepers under it: no wake-up is lost. */
static void wait_for_tasks(GcThread *thread) {
    StmHeap *shared = thread->heap->stm;
    gc_gil_release(thread);
    pthread_mutex_lock(&shared->task_lock);
    atomic_fetch_add(&shared->task_sleepers, 1);
    while (!atomic_load(&shared->task_segments_used) && atomic_load(&shared->tasks_outstanding) > 0)
        pthread_cond_wait(&shared->task_changed, &shared->task_lock);
    atomic_fetch_sub(&shared->task_sleepers, 1);
    pthread_mutex_unlock(&shared->task_lock);
    gc_gil_acquire(thread);
}

/* The next task, or false when the queue is empty and no task runs (none
 * can be added any more). */
static bool take_task(GcThread *thread, StmTask *task) {
    StmHeap *shared = thread->heap->stm;
    int own = stm_context_of(thread)->slot;
    for (;;) {
        if (take_any(shared, own, task)) return true;
        if (atomic_load(&shared->tasks_outstanding) == 0) return false;
        wait_for_tasks(thread);
    }
}

static void run_tasks(GcThread *thread) {
    StmHeap *shared = thread->heap->stm;
    StmTask task;
    while (take_task(thread, &task)) {
        /* The argument is on the shadow stack before the transaction starts
         * (a root of the collections, restored by an abort). */
        gc_push_root(thread, task.argument);
        stm_transaction_begin(thread);
        task.function(thread, thread->root_top[-1]);
        stm_commit(thread);
        (void)gc_pop_root(thread);
        /* Its children were published by the commit, before this. */
        if (atomic_fetch_sub(&shared->tasks_outstanding, 1) == 1) wake_workers(shared);
    }
}

static void *worker_main(void *heap) {
    GcThread *thread = gc_thread_attach(heap);
    run_tasks(thread);
    gc_thread_detach(thread);
    return NULL;
}

void stm_task_run(GcThread *thread, int workers) {
    StmContext *context = stm_context_of(thread);
    if (context->active) gc_fatal("stm: stm_task_run inside a transaction");
    /* Tasks added outside a transaction: publish them as a commit would. */
    if (context->pending_tasks.count) {
        gc_minor_collect_thread(thread->heap, context->state, true);
        stm_tasks_publish(context);
    }
    if (workers < 1) workers = 1;
    pthread_t *threads = gc_xcalloc((size_t)workers, sizeof(pthread_t));
    for (int i = 1; i < workers; i++)
        if (pthread_create(&threads[i], NULL, worker_main, thread->heap))
            gc_fatal("stm: cannot start a task worker");
    run_tasks(thread);
    gc_gil_release(thread);
    for (int i = 1; i < workers; i++)
        pthread_join(threads[i], NULL);
    gc_gil_acquire(thread);
    free(threads);
}
