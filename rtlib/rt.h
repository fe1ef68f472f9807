/* rt.h - rtlib: the runtime linked into every VM that kiln builds.
 *
 * Contract.  Generated C (translator/backend_c) includes this header and
 * stm_gc/gc.h.  It expects the program's description (RtProgramInfo: its
 * GC type table, class names, built-in exception types, global roots and
 * entry point) to be handed to rt_main.  It provides the representations of
 * the built-in types, their slow paths (growth, rehash, formatting, parsing),
 * I/O, math, exceptions with Kiln C tracebacks, and the process entry.
 *
 * Representations (every slot of a container or instance is one 64-bit word:
 * an int64_t, the bits of a double, or a reference):
 *   str       RtStr: immutable bytes with a cached hash (0 = not computed)
 *   list<T>   RtList: length + RtArray of capacity words; the array type
 *             says whether the words are references (RT_TYPE_ARRAY_REF)
 *   dict<K,V> RtDict: insertion-ordered entries + an open-addressing index
 *   tuple     a program type per shape: header + one word per item
 *   instance  a program type per class: header + one word per field
 *   fn value  RtFunc: code pointer, optional bound receiver
 * Type ids 1 .. RT_TYPE__COUNT-1 are rtlib's; program types follow, in the
 * order of RtProgramInfo.types, from RT_TYPE__COUNT on (rt_main checks it).
 *
 * Exceptions: a function that raises stores the instance in
 * rt_thread.exception and returns; callers test it after each call that can
 * raise.  Each frame the exception leaves adds a traceback entry.
 *
 * Threads: the VM runs Kiln C threads and transactions serially, like the
 * graph interpreter (one GcThread, no GIL traffic).
 */
#ifndef KILN_RT_H
#define KILN_RT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../stm_gc/gc.h"
#include "rt_number.h"

enum {
    RT_TYPE_STR = 1,
    RT_TYPE_ARRAY_RAW,
    RT_TYPE_ARRAY_REF,
    RT_TYPE_LIST,
    RT_TYPE_ENTRIES_RAW_RAW, /* dict entries: key raw, value raw */
    RT_TYPE_ENTRIES_RAW_REF,
    RT_TYPE_ENTRIES_REF_RAW,
    RT_TYPE_ENTRIES_REF_REF,
    RT_TYPE_DICT,
    RT_TYPE_BUILDER,
    RT_TYPE_ITER,
    RT_TYPE_FUNC,
    RT_TYPE__COUNT /* the first program type */
};

typedef struct RtStr {
    GcHeader header;
    uint64_t hash; /* 0 until computed */
    int64_t length;
    char bytes[]; /* length bytes, then a NUL */
} RtStr;

typedef struct RtArray {
    GcHeader header;
    int64_t length;
    int64_t items[];
} RtArray;

/* Invariant: items is never NULL; length <= items->length. */
typedef struct RtList {
    GcHeader header;
    int64_t length;
    RtArray *items;
} RtList;

/* hash 0 marks a deleted entry (live hashes have bit 63 set). */
typedef struct RtEntry {
    uint64_t hash;
    int64_t key;
    int64_t value;
} RtEntry;

typedef struct RtEntries {
    GcHeader header;
    int64_t length;
    RtEntry items[];
} RtEntries;

/* length: live keys; used: entries filled (live or deleted); index: raw
 * array of capacity slots holding entry index + 1 (0 = empty). */
typedef struct RtDict {
    GcHeader header;
    int64_t length;
    RtEntries *entries;
    RtArray *index;
    int64_t used;
} RtDict;

typedef struct RtBuilder {
    GcHeader header;
    int64_t length;
    RtStr *buffer; /* capacity = buffer->length */
} RtBuilder;

typedef enum RtIterKind {
    RT_ITER_LIST,
    RT_ITER_STR,
    RT_ITER_KEYS,
    RT_ITER_VALUES,
    RT_ITER_ITEMS,
} RtIterKind;

/* A for-each iterator, or (position -1) a dict view. */
typedef struct RtIter {
    GcHeader header;
    void *source;
    int64_t position;
    int64_t kind;     /* RtIterKind */
    int64_t tuple_id; /* RT_ITER_ITEMS: the type of the (key, value) tuples */
} RtIter;

typedef struct RtFunc {
    GcHeader header;
    void *receiver; /* bound methods: `this`; else NULL */
    void *code;
    int64_t bound;
} RtFunc;

/* How generic operations (str, ==, hash, dict keys) see a value. */
typedef enum RtKind {
    RT_KIND_VOID,
    RT_KIND_NULL,
    RT_KIND_INT,
    RT_KIND_FLOAT,
    RT_KIND_BOOL,
    RT_KIND_CHAR,
    RT_KIND_STR,
    RT_KIND_LIST,
    RT_KIND_DICT,
    RT_KIND_TUPLE,
    RT_KIND_INSTANCE,
    RT_KIND_FUNC,
    RT_KIND_BUILDER,
    RT_KIND_ITER,
    RT_KIND_VIEW,
    RT_KIND_THREAD,
} RtKind;

typedef struct RtValType {
    RtKind kind;
    const struct RtValType *item;         /* LIST, VIEW of keys/values */
    const struct RtValType *key;          /* DICT, VIEW */
    const struct RtValType *value;        /* DICT, VIEW */
    const struct RtValType *const *items; /* TUPLE */
    int count;                            /* TUPLE */
    int view;                             /* VIEW: RT_ITER_KEYS / VALUES / ITEMS */
} RtValType;

/* The built-in exception classes rtlib raises. */
typedef enum RtError {
    RT_ERR_VALUE,
    RT_ERR_INDEX,
    RT_ERR_KEY,
    RT_ERR_TYPE,
    RT_ERR_ZERO_DIVISION,
    RT_ERR_OVERFLOW,
    RT_ERR_NULL,
    RT_ERR_IO,
    RT_ERR_MEMORY,
    RT_ERR__COUNT
} RtError;

typedef struct RtProgramInfo {
    const GcTypeInfo *types; /* program types, ids from RT_TYPE__COUNT */
    uint32_t type_count;
    const char *const *type_names; /* per program type: class name or NULL */
    uint32_t error_types[RT_ERR__COUNT];
    uint32_t exception_size;  /* bytes of an instance of Exception */
    const char *const *files; /* source file names, by SrcPos.file */
    void **const *roots;      /* global slots holding references */
    int root_count;
    /* Builds the prebuilt objects that are not static data; may raise. */
    void (*init)(GcThread *thread);
    /* Calls main; returns its exit status, raising like any function. */
    int64_t (*main)(GcThread *thread, RtList *args);
    bool gc_stress; /* built with --gc-stress: a minor collection at every allocation */
} RtProgramInfo;

typedef struct RtTraceEntry {
    const char *function;
    int32_t file, line;
    const void *frame;
} RtTraceEntry;

/* The per-thread runtime state: the one thread-local of rtlib. */
typedef struct RtThread {
    void *exception;    /* in flight, or NULL; a GC root */
    void *tb_exception; /* the exception the traceback belongs to; a GC root */
    RtTraceEntry *traceback;
    int traceback_count, traceback_capacity;
    const RtProgramInfo *program;
    GcThread *gc;
    /* transaction_add's queue: task objects (see rt_task_add); a GC root.
     * Tasks [0, task_head) have been taken; the list empties when the last
     * is taken. */
    RtList *tasks;
    int64_t task_head;
    /* Generated functions on a cycle of calls check that the C stack (which
     * grows down) has not reached this address; the space below it is kept
     * for rtlib's own frames (raising, tracebacks, collections). */
    const char *stack_limit;
} RtThread;

extern _Thread_local RtThread rt_thread;

#define RT_LIKELY(x)   __builtin_expect(!!(x), 1)
#define RT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RT_RAISED()    RT_UNLIKELY(rt_thread.exception != NULL)

/* ---- words --------------------------------------------------------------- */

static inline int64_t rt_word_of_float(double value) {
    int64_t word;
    memcpy(&word, &value, sizeof word);
    return word;
}
static inline double rt_float_of_word(int64_t word) {
    double value;
    memcpy(&value, &word, sizeof value);
    return value;
}
static inline int64_t rt_word_of_ref(const void *ref) {
    return (int64_t)(intptr_t)ref;
}
static inline void *rt_ref_of_word(int64_t word) {
    return (void *)(intptr_t)word;
}
static inline uint32_t rt_type_of(const void *object) {
    return (uint32_t)(*(const GcHeader *)object & GC_TYPE_ID_MASK);
}

/* Around a call: the shadow stack must have room for `count` spills. */
#define RT_SPILL_CHECK(thread, count)                                                              \
    do {                                                                                           \
        if (RT_UNLIKELY((thread)->root_top + (count) > (thread)->root_limit))                      \
            gc_shadow_stack_overflow(thread);                                                      \
    } while (0)

/* The C stack is nearly exhausted: the caller must not go deeper. */
static inline bool rt_stack_exhausted(void) {
    return (const char *)__builtin_frame_address(0) < rt_thread.stack_limit;
}

/* ---- hashes --------------------------------------------------------------
 * Shared with the translator, which lays out prebuilt dicts as static data
 * with the hashes and probe order that rtlib would give them. */

/* The hash of a str's bytes (FNV-1a; never 0, which marks "not computed"). */
static inline uint64_t rt_hash_bytes(const char *bytes, int64_t length) {
    uint64_t hash = 14695981039346656037ull;
    for (int64_t i = 0; i < length; i++) {
        hash ^= (unsigned char)bytes[i];
        hash *= 1099511628211ull;
    }
    return hash ? hash : 1;
}

/* A dict entry's hash has this bit set: 0 marks a deleted entry. */
#define RT_HASH_LIVE ((uint64_t)1 << 63)

/* The first index slot a dict probes for a hash (then slot + 1, ...). */
static inline uint64_t rt_hash_mix(uint64_t hash) {
    hash ^= hash >> 33;
    hash *= 0xff51afd7ed558ccdull;
    hash ^= hash >> 33;
    return hash;
}

/* ---- entry, exceptions, tracebacks (rt_core.c) --------------------------- */

int rt_main(int argc, char **argv, const RtProgramInfo *program);
/* Raises a built-in error with a printf-style message.  Can collect. */
void rt_raise(GcThread *thread, RtError error, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* `throw value` leaving or staying in a frame: a new exception starts a new
 * traceback whose first entry is this frame. */
void rt_throw(void *exception, const char *function, int32_t file, int32_t line, const void *frame);
/* `throw value` inside a try, straight to the handler: the traceback part of
 * rt_throw, with no exception put in flight. */
void rt_note_throw(void *exception, const char *function, int32_t file, int32_t line,
                   const void *frame);
/* The exception leaves a frame: adds the frame's entry (once per frame). */
void rt_trace_frame(const char *function, int32_t file, int32_t line, const void *frame);
/* Takes the exception in flight (a catch). */
static inline void *rt_catch(void) {
    void *exception = rt_thread.exception;
    rt_thread.exception = NULL;
    return exception;
}
_Noreturn void rt_exit(int64_t status);
/* TypeError "cannot cast CLASS to TARGET" for an object that is not an
 * instance of the class named `target`. */
void rt_raise_cast(GcThread *thread, const void *object, const char *target);
/* MemoryError "recursion too deep", as the graph interpreter raises it. */
void rt_stack_overflow(GcThread *thread);

/* ---- threads and transactions, run serially (rt_core.c) ------------------
 * The VM without STM runs `thread_start(f, arg)` as the call f(arg) at once
 * and `transaction_add(f, arg)` as a queued call that `transaction_run()`
 * makes, first in first out, as the graph interpreter does.  A task is a
 * tuple-shaped object {invoker, f, arg}: word 1 is the generated invoker,
 * which calls f with arg at their translated types; f and arg are words 2
 * and 3, traced by the tuple's type. */
typedef int64_t (*RtTaskInvoker)(GcThread *thread, void *task);
static inline int64_t rt_task_invoke(GcThread *thread, void *task) {
    return ((RtTaskInvoker)(intptr_t)((int64_t *)task)[1])(thread, task);
}
/* Queues a task.  Can collect. */
void rt_task_add(GcThread *thread, void *task);
/* Runs the queued tasks, and those they add, until none is left or one
 * raises (the exception stays in flight, later tasks stay queued). */
void rt_task_run(GcThread *thread);

/* ---- strings (rt_str.c) ------------------------------------------------- */

RtStr *rt_str_new(GcThread *thread, const char *bytes, int64_t length);
RtStr *rt_str_alloc(GcThread *thread, int64_t length);
RtStr *rt_str_of_char(GcThread *thread, int64_t byte);
RtStr *rt_str_concat(GcThread *thread, RtStr *left, RtStr *right);
uint64_t rt_str_hash(RtStr *str);
bool rt_str_eq(const RtStr *left, const RtStr *right);
static inline bool rt_str_eq_nullable(const void *left, const void *right) {
    if (left == right) return true;
    if (!left || !right) return false;
    return rt_str_eq(left, right);
}
int rt_str_cmp(const RtStr *left, const RtStr *right);
RtStr *rt_str_of_int(GcThread *thread, int64_t value);
RtStr *rt_str_of_float(GcThread *thread, double value);
RtStr *rt_str_slice(GcThread *thread, RtStr *str, int64_t start, int64_t end);
int64_t rt_str_find(RtStr *str, RtStr *sub, int64_t start);
int64_t rt_str_rfind(RtStr *str, RtStr *sub, int64_t start);
RtList *rt_str_split(GcThread *thread, RtStr *str, RtStr *separator); /* NULL: white space */
RtStr *rt_str_join(GcThread *thread, RtStr *separator, RtList *list);
bool rt_str_startswith(RtStr *str, RtStr *prefix);
bool rt_str_endswith(RtStr *str, RtStr *suffix);
RtStr *rt_str_strip(GcThread *thread, RtStr *str);
RtStr *rt_str_case(GcThread *thread, RtStr *str, bool upper);
RtStr *rt_str_replace(GcThread *thread, RtStr *str, RtStr *old, RtStr *replacement);
int64_t rt_int_of(GcThread *thread, RtStr *str, int64_t base);
double rt_float_of(GcThread *thread, RtStr *str);
RtBuilder *rt_builder_new(GcThread *thread);
void rt_builder_append(GcThread *thread, RtBuilder *builder, RtStr *str);
void rt_builder_append_bytes(GcThread *thread, RtBuilder *builder, const char *bytes,
                             int64_t length);
void rt_builder_append_char(GcThread *thread, RtBuilder *builder, int64_t byte);
RtStr *rt_builder_build(GcThread *thread, RtBuilder *builder);

/* Shared pure-C number helpers (the graph interpreter's algorithms). */

/* ---- lists (rt_list.c) --------------------------------------------------- */

RtList *rt_list_new(GcThread *thread, int64_t length, bool refs);
void rt_list_grow(GcThread *thread, RtList *list, int64_t needed); /* capacity >= needed */
static inline void rt_list_store(GcThread *thread, RtList *list, int64_t index, int64_t word) {
    RtArray *items = list->items;
    if (rt_type_of(items) == RT_TYPE_ARRAY_REF) gc_write_barrier_array(thread, items, index);
    items->items[index] = word;
}
/* A store into a list allocated since the last collection: no barrier. */
static inline void rt_list_store_young(RtList *list, int64_t index, int64_t word) {
    list->items->items[index] = word;
}
/* list.index(x): ValueError when absent. */
int64_t rt_list_index_or_raise(GcThread *thread, RtList *list, int64_t word, const RtValType *type);
RtList *rt_newlist(GcThread *thread, int64_t length, int64_t fill, bool refs);
int64_t rt_list_pop(GcThread *thread, RtList *list, int64_t index);
void rt_list_insert(GcThread *thread, RtList *list, int64_t index, int64_t word);
void rt_list_extend(GcThread *thread, RtList *list, RtList *other);
RtList *rt_list_slice(GcThread *thread, RtList *list, int64_t start, int64_t end);
void rt_list_reverse(RtList *list);
int64_t rt_list_index(RtList *list, int64_t word, const RtValType *type); /* -1: absent */
void rt_list_clear(GcThread *thread, RtList *list);

/* ---- dicts (rt_dict.c) ------------------------------------------------- */

RtDict *rt_dict_new(GcThread *thread, bool key_refs, bool value_refs);
/* The entry index of key, or -1. */
int64_t rt_dict_find(RtDict *dict, int64_t key, const RtValType *key_type);
void rt_dict_set(GcThread *thread, RtDict *dict, int64_t key, int64_t value,
                 const RtValType *key_type);
/* KeyError when absent (raised; result 0). */
int64_t rt_dict_get(GcThread *thread, RtDict *dict, int64_t key, const RtValType *key_type);
void rt_dict_remove(GcThread *thread, RtDict *dict, int64_t key, const RtValType *key_type);
void rt_dict_clear(GcThread *thread, RtDict *dict);

/* ---- values, iterators, builtins (rt_value.c) ----------------------------- */

RtStr *rt_to_str(GcThread *thread, int64_t word, const RtValType *type);
RtStr *rt_repr(GcThread *thread, int64_t word, const RtValType *type); /* quoted strs */
bool rt_val_eq(int64_t left, int64_t right, const RtValType *type);
uint64_t rt_val_hash(GcThread *thread, int64_t word, const RtValType *type);
void rt_print(GcThread *thread, int64_t word, const RtValType *type);
RtIter *rt_iter_new(GcThread *thread, void *source, RtIterKind kind, int64_t tuple_id);
bool rt_iter_has(RtIter *iter);
int64_t rt_iter_next(GcThread *thread, RtIter *iter); /* may allocate an items tuple */
int64_t rt_len(const void *object, RtKind kind);
RtFunc *rt_func_bind(GcThread *thread, void *code, void *receiver);
void *rt_alloc_tuple(GcThread *thread, uint32_t type_id, int count);
void *rt_alloc_instance(GcThread *thread, uint32_t type_id, size_t size);

int64_t rt_write(GcThread *thread, int64_t fd, RtStr *str);
int64_t rt_write_byte(GcThread *thread, int64_t fd, int64_t byte);
RtStr *rt_read(GcThread *thread, int64_t fd, int64_t count);
RtStr *rt_read_file(GcThread *thread, RtStr *path);
void rt_write_file(GcThread *thread, RtStr *path, RtStr *text);
RtStr *rt_getenv(GcThread *thread, RtStr *name, RtStr *fallback);
int64_t rt_time_ns(void);
int64_t rt_float_to_int(GcThread *thread, double value);
RtStr *rt_chr(GcThread *thread, int64_t value); /* a one-byte str; ValueError */
int64_t rt_ord(GcThread *thread, RtStr *str);
int64_t rt_shift_left(GcThread *thread, int64_t value, int64_t count);
int64_t rt_shift_right(GcThread *thread, int64_t value, int64_t count);
int64_t rt_floordiv(GcThread *thread, int64_t left, int64_t right);
int64_t rt_floormod(GcThread *thread, int64_t left, int64_t right);
int64_t rt_ovf(GcThread *thread, int64_t left, int64_t right, int operation);
int64_t rt_list_minmax(GcThread *thread, RtList *list, const RtValType *type, bool max);

#endif
