/* rt_core.c - the VM's entry point, its built-in GC types, raising, and the
 * Kiln C traceback.
 *
 * Traceback rules (the graph interpreter's, interp_errors.c): each frame an
 * exception leaves adds (function, position), innermost first; the entries
 * belong to one exception object (tb_exception): a different exception
 * starts a new traceback, a re-thrown one keeps adding to its own, and a
 * frame that already has an entry (a catch that re-throws) adds none.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt.h"

_Thread_local RtThread rt_thread;

static const uint32_t rt_array_refs[] = {0};
static const uint32_t rt_list_refs[] = {16};
static const uint32_t rt_entry_key[] = {8};
static const uint32_t rt_entry_value[] = {16};
static const uint32_t rt_entry_both[] = {8, 16};
static const uint32_t rt_dict_refs[] = {16, 24};
static const uint32_t rt_builder_refs[] = {16};
static const uint32_t rt_iter_refs[] = {8};
static const uint32_t rt_func_refs[] = {8};

/* Indexed by type id - 1 (see the enum in rt.h). */
static const GcTypeInfo rt_types[RT_TYPE__COUNT - 1] = {
    {"str", sizeof(RtStr), 1, 16, 0, NULL, 0, NULL, NULL},
    {"array", sizeof(RtArray), 8, 8, 0, NULL, 0, NULL, NULL},
    {"array<ref>", sizeof(RtArray), 8, 8, 0, NULL, 1, rt_array_refs, NULL},
    {"list", sizeof(RtList), 0, 0, 1, rt_list_refs, 0, NULL, NULL},
    {"entries", sizeof(RtEntries), sizeof(RtEntry), 8, 0, NULL, 0, NULL, NULL},
    {"entries<_,ref>", sizeof(RtEntries), sizeof(RtEntry), 8, 0, NULL, 1, rt_entry_value, NULL},
    {"entries<ref,_>", sizeof(RtEntries), sizeof(RtEntry), 8, 0, NULL, 1, rt_entry_key, NULL},
    {"entries<ref,ref>", sizeof(RtEntries), sizeof(RtEntry), 8, 0, NULL, 2, rt_entry_both, NULL},
    {"dict", sizeof(RtDict), 0, 0, 2, rt_dict_refs, 0, NULL, NULL},
    {"StrBuilder", sizeof(RtBuilder), 0, 0, 1, rt_builder_refs, 0, NULL, NULL},
    {"iterator", sizeof(RtIter), 0, 0, 1, rt_iter_refs, 0, NULL, NULL},
    {"fn", sizeof(RtFunc), 0, 0, 1, rt_func_refs, 0, NULL, NULL},
};

void rt_raise(GcThread *thread, RtError error, const char *format, ...) {
    char small[256];
    va_list args;
    va_start(args, format);
    int length = vsnprintf(small, sizeof small, format, args);
    va_end(args);
    if (length < 0) length = 0;
    if ((size_t)length >= sizeof small) length = (int)sizeof small - 1;
    RtStr *message = rt_str_new(thread, small, length);
    gc_push_root(thread, message);
    const RtProgramInfo *program = rt_thread.program;
    void *instance =
        rt_alloc_instance(thread, program->error_types[error], program->exception_size);
    message = gc_pop_root(thread);
    ((int64_t *)instance)[1] = rt_word_of_ref(message); /* Exception.message: field 0 */
    rt_thread.exception = instance;
}

static void rt_trace_push(const char *function, int32_t file, int32_t line, const void *frame) {
    RtThread *state = &rt_thread;
    if (state->traceback_count == state->traceback_capacity) {
        state->traceback_capacity = state->traceback_capacity ? state->traceback_capacity * 2 : 16;
        state->traceback =
            realloc(state->traceback, (size_t)state->traceback_capacity * sizeof(RtTraceEntry));
        if (!state->traceback) abort();
    }
    state->traceback[state->traceback_count++] = (RtTraceEntry){function, file, line, frame};
}

void rt_throw(void *exception, const char *function, int32_t file, int32_t line,
              const void *frame) {
    rt_thread.exception = exception;
    rt_note_throw(exception, function, file, line, frame);
}

void rt_note_throw(void *exception, const char *function, int32_t file, int32_t line,
                   const void *frame) {
    if (exception == rt_thread.tb_exception) return;
    rt_thread.traceback_count = 0;
    rt_thread.tb_exception = exception;
    rt_trace_push(function, file, line, frame);
}

void rt_trace_frame(const char *function, int32_t file, int32_t line, const void *frame) {
    RtThread *state = &rt_thread;
    if (state->exception != state->tb_exception) {
        state->traceback_count = 0;
        state->tb_exception = state->exception;
    }
    if (state->traceback_count > 0 && state->traceback[state->traceback_count - 1].frame == frame)
        return;
    rt_trace_push(function, file, line, frame);
}

static void rt_print_traceback(void) {
    fflush(stdout);
    const RtProgramInfo *program = rt_thread.program;
    void *exception = rt_thread.exception;
    fputs("Traceback (most recent call last):\n", stderr);
    if (exception == rt_thread.tb_exception) {
        for (int i = rt_thread.traceback_count - 1; i >= 0; i--) {
            const RtTraceEntry *entry = &rt_thread.traceback[i];
            fprintf(stderr, "  %s:%d, in %s\n", program->files[entry->file], (int)entry->line,
                    entry->function);
        }
    }
    uint32_t type = rt_type_of(exception);
    const char *name = program->type_names[type - RT_TYPE__COUNT];
    fputs(name ? name : "Exception", stderr);
    RtStr *message = rt_ref_of_word(((int64_t *)exception)[1]);
    if (message && message->length > 0) {
        fputs(": ", stderr);
        fwrite(message->bytes, 1, (size_t)message->length, stderr);
    }
    fputc('\n', stderr);
    fflush(stderr);
}

_Noreturn void rt_exit(int64_t status) {
    fflush(stdout);
    fflush(stderr);
    exit((int)status);
}

void rt_task_add(GcThread *thread, void *task) {
    if (!rt_thread.tasks) {
        gc_push_root(thread, task);
        rt_thread.tasks = rt_list_new(thread, 0, true);
        task = gc_pop_root(thread);
    }
    RtList *tasks = rt_thread.tasks;
    if (tasks->length == tasks->items->length) {
        gc_push_root(thread, task);
        rt_list_grow(thread, tasks, tasks->length + 1);
        task = gc_pop_root(thread);
        tasks = rt_thread.tasks;
    }
    rt_list_store(thread, tasks, tasks->length++, rt_word_of_ref(task));
}

void rt_task_run(GcThread *thread) {
    while (rt_thread.tasks && rt_thread.task_head < rt_thread.tasks->length) {
        RtList *tasks = rt_thread.tasks;
        void *task = rt_ref_of_word(tasks->items->items[rt_thread.task_head++]);
        if (rt_thread.task_head == tasks->length) tasks->length = rt_thread.task_head = 0;
        rt_task_invoke(thread, task);
        if (RT_RAISED()) return;
    }
}

void rt_raise_cast(GcThread *thread, const void *object, const char *target) {
    uint32_t type = rt_type_of(object);
    const char *name =
        type >= RT_TYPE__COUNT ? rt_thread.program->type_names[type - RT_TYPE__COUNT] : NULL;
    rt_raise(thread, RT_ERR_TYPE, "cannot cast %s to %s", name ? name : "object", target);
}

void rt_stack_overflow(GcThread *thread) {
    rt_raise(thread, RT_ERR_MEMORY, "recursion too deep");
}

static int rt_run(int argc, char **argv, const RtProgramInfo *program) {
    GcConfig config;
    gc_config_default(&config);
    gc_config_from_env(&config);
    if (program->gc_stress) config.stress = true;
    GcHeap *heap = gc_heap_create(&config);
    uint32_t first = gc_heap_register_types(heap, rt_types, RT_TYPE__COUNT - 1);
    uint32_t program_first = gc_heap_register_types(heap, program->types, program->type_count);
    if (first != 1 || program_first != RT_TYPE__COUNT) {
        fprintf(stderr, "kiln VM: unexpected GC type ids (%u, %u)\n", first, program_first);
        return 70;
    }
    rt_thread.program = program;
    gc_heap_add_root(heap, &rt_thread.exception);
    gc_heap_add_root(heap, &rt_thread.tb_exception);
    gc_heap_add_root(heap, (void **)&rt_thread.tasks);
    for (int i = 0; i < program->root_count; i++)
        gc_heap_add_root(heap, program->roots[i]);
    GcThread *thread = gc_thread_attach(heap);
    rt_thread.gc = thread;
    int64_t status = 0;
    if (program->init) program->init(thread);
    if (!rt_thread.exception) {
        RtList *args = rt_list_new(thread, argc, true);
        for (int i = 0; i < argc; i++) {
            gc_push_root(thread, args);
            RtStr *arg = rt_str_new(thread, argv[i], (int64_t)strlen(argv[i]));
            args = gc_pop_root(thread);
            rt_list_store(thread, args, i, rt_word_of_ref(arg));
        }
        status = program->main(thread, args);
    }
    if (rt_thread.exception) {
        rt_print_traceback();
        status = 1;
    }
    fflush(stdout);
    gc_thread_detach(thread);
    gc_heap_destroy(heap);
    free(rt_thread.traceback);
    return (int)status;
}

/* The program runs on a thread of its own so that the depth of Kiln C
 * recursion does not depend on the process's stack limit: RT_STACK_SIZE
 * bytes of stack, of which the last RT_STACK_RESERVE stay for rtlib (the
 * frames of rt_raise, tracebacks and collections below the deepest
 * generated frame).  The pages are reserved, not touched. */
enum { RT_STACK_SIZE = 256 << 20, RT_STACK_RESERVE = 1 << 20 };

typedef struct RtMainArgs {
    int argc;
    char **argv;
    const RtProgramInfo *program;
    int status;
} RtMainArgs;

static void *rt_main_thread(void *opaque) {
    RtMainArgs *args = opaque;
    const char *top = __builtin_frame_address(0);
    rt_thread.stack_limit = top - (RT_STACK_SIZE - RT_STACK_RESERVE);
    args->status = rt_run(args->argc, args->argv, args->program);
    return NULL;
}

int rt_main(int argc, char **argv, const RtProgramInfo *program) {
    RtMainArgs args = {argc, argv, program, 0};
    pthread_attr_t attributes;
    pthread_t thread;
    if (pthread_attr_init(&attributes) == 0 &&
        pthread_attr_setstacksize(&attributes, RT_STACK_SIZE) == 0 &&
        pthread_create(&thread, &attributes, rt_main_thread, &args) == 0) {
        pthread_attr_destroy(&attributes);
        pthread_join(thread, NULL);
        return args.status;
    }
    /* no thread with a big stack: run here with the stack there is,
     * checking against a conservative 4 MiB */
    const char *top = __builtin_frame_address(0);
    rt_thread.stack_limit = top - (4 << 20) + RT_STACK_RESERVE;
    return rt_run(argc, argv, program);
}
