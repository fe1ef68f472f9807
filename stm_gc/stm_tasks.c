/* stm_tasks.c - the task queue behind transaction_add / transaction_run.
 *
 * Expects: tasks are added inside or outside transactions; the queue runs
 * from a thread outside any transaction.
 * Produces: every task added by a committed transaction (or outside one)
 * runs exactly once, in its own transaction, in first-in first-out order
 * of publication.
 *
 * Why it never conflicts: the shared queue is not transactional memory.  A
 * transaction adds to its own pending list (private, dropped by an abort)
 * and the list joins the queue under the queue's mutex after the commit
 * published the arguments; a worker takes a task under the mutex before its
 * transaction starts.  So two transactions never touch a common object
 * through the queue, which is where pypy-stm's transaction module found
 * its worst conflicts.
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

void stm_task_add(GcThread *thread, StmTaskFunction function, void *argument) {
    task_push(&stm_context_of(thread)->pending_tasks, (StmTask){function, argument});
}

/* After the commit's minor collection: the arguments are old now. */
void stm_tasks_publish(StmContext *context) {
    StmTaskVec *pending = &context->pending_tasks;
    if (!pending->count) return;
    StmHeap *shared = context->state->public.heap->stm;
    pthread_mutex_lock(&shared->task_lock);
    for (size_t i = 0; i < pending->count; i++)
        task_push(&shared->tasks, pending->items[i]);
    pthread_cond_broadcast(&shared->task_changed);
    pthread_mutex_unlock(&shared->task_lock);
    pending->count = 0;
}

void stm_tasks_trace_minor(GcHeap *heap, StmContext *context) {
    StmTaskVec *pending = &context->pending_tasks;
    for (size_t i = 0; i < pending->count; i++)
        if (pending->items[i].argument) gc_trace_root_slot(heap, &pending->items[i].argument);
}

void stm_tasks_mark(GcHeap *heap, StmContext *context, void (*mark)(GcHeap *, void *)) {
    StmTaskVec *pending = &context->pending_tasks;
    for (size_t i = 0; i < pending->count; i++)
        mark(heap, pending->items[i].argument);
}

/* Every thread is parked or in a safe region, so nobody holds the queue. */
void stm_tasks_mark_queue(GcHeap *heap, void (*mark)(GcHeap *, void *)) {
    StmTaskVec *queue = &heap->stm->tasks;
    for (size_t i = queue->head; i < queue->count; i++)
        mark(heap, queue->items[i].argument);
}

/* Takes the next task, waiting (in a safe region) while other workers may
 * still add some; false when the queue is empty and no task runs. */
static bool take_task(GcThread *thread, StmTask *task) {
    StmHeap *shared = thread->heap->stm;
    pthread_mutex_lock(&shared->task_lock);
    while (shared->tasks.head == shared->tasks.count && shared->tasks_running > 0) {
        pthread_mutex_unlock(&shared->task_lock);
        gc_gil_release(thread);
        pthread_mutex_lock(&shared->task_lock);
        if (shared->tasks.head == shared->tasks.count && shared->tasks_running > 0)
            pthread_cond_wait(&shared->task_changed, &shared->task_lock);
        pthread_mutex_unlock(&shared->task_lock);
        gc_gil_acquire(thread);
        pthread_mutex_lock(&shared->task_lock);
    }
    bool found = shared->tasks.head < shared->tasks.count;
    if (found) {
        *task = shared->tasks.items[shared->tasks.head++];
        shared->tasks_running++;
        /* The argument is on this thread's shadow stack before the lock is
         * released, so a major collection still sees it. */
        gc_push_root(thread, task->argument);
    }
    pthread_mutex_unlock(&shared->task_lock);
    return found;
}

static void run_tasks(GcThread *thread) {
    StmHeap *shared = thread->heap->stm;
    StmTask task;
    while (take_task(thread, &task)) {
        stm_transaction_begin(thread);
        task.function(thread, thread->root_top[-1]);
        stm_commit(thread);
        (void)gc_pop_root(thread);
        pthread_mutex_lock(&shared->task_lock);
        shared->tasks_running--;
        pthread_cond_broadcast(&shared->task_changed);
        pthread_mutex_unlock(&shared->task_lock);
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
        stm_heap_lock(thread->heap);
        gc_minor_collect_thread(thread->heap, context->state, true);
        stm_heap_unlock(thread->heap);
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
