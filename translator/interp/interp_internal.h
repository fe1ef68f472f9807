/* interp_internal.h - the graph interpreter's private types and helpers.
 *
 * Layout of the engine:
 *   interp.c          public API: create, run, destroy, reading values
 *   interp_compile.c  flow graph -> InterpCode (registers, links, caches)
 *   interp_exec.c     the dispatch loop, frames, calls, returns, unwinding
 *   interp_ops.c      operators, attributes, items, iteration (slow paths)
 *   interp_builtins.c built-in functions (builtins.def)
 *   interp_methods.c  built-in methods of list, dict and StrBuilder
 *   interp_str_methods.c  built-in methods of str
 *   interp_class.c    per-class tables, subclass tests, attribute access
 *   interp_heap.c     object allocation and the mark-sweep collector
 *   interp_str.c      strings, number parsing and float formatting
 *   interp_dict.c     the insertion-ordered hash map and key hashing
 *   interp_format.c   str(x) of any value
 *   interp_errors.c   raising built-in exceptions, tracebacks
 *   interp_extern.c   calls into C through dlsym
 *
 * Error convention: a helper that can fail returns false (or NULL) after
 * setting Interp.exception (interp_raise); the dispatch loop then unwinds.
 * No helper runs Kiln C code or collects garbage: calls into Kiln C code are
 * frames pushed for the dispatch loop, and collection happens only at safe
 * points of that loop, so C locals never hold the only reference to a value.
 */
#ifndef KILN_INTERP_INTERNAL_H
#define KILN_INTERP_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../common/arena.h"
#include "../common/map.h"
#include "../common/vec.h"
#include "../../rtlib/rt_number.h"
#include "interp.h"

/* Returns false from the enclosing function when a check fails (the check
 * has raised). */
#define INTERP_TRY(check)                                                                          \
    do {                                                                                           \
        if (!(check)) return false;                                                                \
    } while (0)

/* ---- limits ------------------------------------------------------------ */

enum {
    INTERP_DEFAULT_CALL_DEPTH = 10000,
    /* Deepest nesting of tuples that equality, hashing and str() walk with
     * C recursion; deeper structures raise MemoryError. */
    INTERP_MAX_NESTING = 400,
    INTERP_GC_MIN_THRESHOLD = 8 * 1024 * 1024,
};
/* The largest single object (string bytes, list items, ...): bigger requests
 * raise MemoryError instead of asking the system for absurd amounts. */
#define INTERP_MAX_OBJECT_BYTES ((size_t)1 << 30)

/* ---- heap objects ------------------------------------------------------ */

/* Every heap object starts with this header.  Invariant: `next` links every
 * object not yet freed (the sweep walks it); `marked` is 0 between
 * collections. */
typedef struct InterpObject {
    struct InterpObject *next;
    uint32_t kind; /* InterpValueKind */
    uint32_t marked;
} InterpObject;

/* Immutable byte string.  bytes[length] is a NUL for convenience; hash is
 * computed on first use (0 means not yet; a real 0 is stored as 1). */
typedef struct InterpStr {
    InterpObject header;
    int64_t length;
    uint64_t hash;
    char bytes[];
} InterpStr;

typedef struct InterpList {
    InterpObject header;
    int64_t count;
    int64_t capacity;
    InterpValue *items; /* malloc'd, capacity slots, count used */
} InterpList;

typedef struct InterpTuple {
    InterpObject header;
    int64_t count;
    InterpValue items[];
} InterpTuple;

/* A dict entry; a deleted entry has key.kind == INTERP_VALUE_VOID (void is
 * never a key) and stays in place, so the entries keep insertion order. */
typedef struct InterpDictEntry {
    uint64_t hash;
    InterpValue key;
    InterpValue value;
} InterpDictEntry;

/* Insertion-ordered hash map (the compact layout): `entries` in insertion
 * order, `index` an open-addressing table (linear probing) of entry
 * numbers, -1 for an empty slot.  Invariants: entry_count <= entry_capacity
 * == index_capacity * 2 / 3; live_count counts entries not deleted; every
 * entry, deleted or not, is reachable from its hash's probe sequence. */
typedef struct InterpDict {
    InterpObject header;
    InterpDictEntry *entries;
    int64_t entry_count;
    int64_t entry_capacity;
    int64_t live_count;
    int32_t *index;
    int64_t index_capacity; /* a power of two, or 0 before the first insert */
} InterpDict;

typedef struct InterpInstance {
    InterpObject header;
    int32_t class_index;
    int32_t field_count;
    uint64_t id; /* allocation number: the identity hash, stable across runs */
    InterpValue fields[];
} InterpInstance;

typedef struct InterpBoundMethod {
    InterpObject header;
    InterpValue receiver;
    int32_t graph;
} InterpBoundMethod;

typedef struct InterpBuilder {
    InterpObject header;
    char *bytes; /* malloc'd, capacity bytes */
    int64_t length;
    int64_t capacity;
} InterpBuilder;

/* What a dict view or an iterator walks. */
typedef enum InterpViewKind {
    INTERP_VIEW_KEYS,
    INTERP_VIEW_VALUES,
    INTERP_VIEW_ITEMS,
    INTERP_VIEW_LIST,  /* iterator over a list */
    INTERP_VIEW_TUPLE, /* iterator over a tuple */
    INTERP_VIEW_STR,   /* iterator over a str: chars */
} InterpViewKind;

typedef struct InterpDictView {
    InterpObject header;
    InterpDict *dict;
    int32_t view; /* KEYS, VALUES or ITEMS */
} InterpDictView;

/* position counts items of a list, tuple or str, or entry slots of a dict
 * (deleted ones are skipped by ITER_HAS). */
typedef struct InterpIterator {
    InterpObject header;
    InterpValue source; /* the list, tuple, str or dict */
    int64_t position;
    int32_t view;
} InterpIterator;

typedef struct InterpThread {
    InterpObject header;
    uint64_t id;
} InterpThread;

/* ---- value helpers ----------------------------------------------------- */

#define INTERP_IS_HEAP(value)  ((value).kind >= INTERP_VALUE_STR)
#define INTERP_AS(type, value) ((type *)(value).as.object)

static inline InterpValue interp_make_int(int64_t integer) {
    InterpValue value = {INTERP_VALUE_INT, {.integer = integer}};
    return value;
}
static inline InterpValue interp_make_float(double real) {
    InterpValue value = {INTERP_VALUE_FLOAT, {.real = real}};
    return value;
}
static inline InterpValue interp_make_bool(bool flag) {
    InterpValue value = {INTERP_VALUE_BOOL, {.integer = flag ? 1 : 0}};
    return value;
}
static inline InterpValue interp_make_char(int byte) {
    InterpValue value = {INTERP_VALUE_CHAR, {.integer = byte & 255}};
    return value;
}
static inline InterpValue interp_make_simple(InterpValueKind kind) {
    InterpValue value = {kind, {.integer = 0}};
    return value;
}
static inline InterpValue interp_make_object(void *object) {
    InterpValue value = {((InterpObject *)object)->kind, {.object = object}};
    return value;
}
/* Copies a value field by field.  Values are mostly written field by field
 * (interp_make_int and friends); reading them back with one 16-byte load,
 * as a struct copy compiles to, defeats store-to-load forwarding and
 * stalls the dispatch loop. */
static inline void interp_copy_value(InterpValue *target, const InterpValue *source) {
    target->kind = source->kind;
    target->as.integer = source->as.integer;
}
/* Wrap-around arithmetic without C undefined behaviour. */
static inline int64_t interp_wrap_add(int64_t left, int64_t right) {
    return (int64_t)((uint64_t)left + (uint64_t)right);
}
static inline int64_t interp_wrap_sub(int64_t left, int64_t right) {
    return (int64_t)((uint64_t)left - (uint64_t)right);
}
static inline int64_t interp_wrap_mul(int64_t left, int64_t right) {
    return (int64_t)((uint64_t)left * (uint64_t)right);
}

/* ---- built-in exceptions ----------------------------------------------- */

#define INTERP_ERRORS(X)                                                                           \
    X(EXCEPTION, "Exception")                                                                      \
    X(VALUE, "ValueError")                                                                         \
    X(INDEX, "IndexError")                                                                         \
    X(KEY, "KeyError")                                                                             \
    X(TYPE, "TypeError")                                                                           \
    X(ZERO_DIVISION, "ZeroDivisionError")                                                          \
    X(OVERFLOW, "OverflowError")                                                                   \
    X(NULL, "NullError")                                                                           \
    X(IO, "IOError")                                                                               \
    X(ASSERTION, "AssertionError")                                                                 \
    X(MEMORY, "MemoryError")

typedef enum InterpErrorKind {
#define X(id, name) INTERP_ERROR_##id,
    INTERP_ERRORS(X)
#undef X
        INTERP_ERROR__COUNT
} InterpErrorKind;

/* ---- built-in methods -------------------------------------------------- */

#define INTERP_METHODS(X)                                                                          \
    X(APPEND, "append")                                                                            \
    X(POP, "pop")                                                                                  \
    X(INSERT, "insert")                                                                            \
    X(EXTEND, "extend")                                                                            \
    X(SLICE, "slice")                                                                              \
    X(REVERSE, "reverse")                                                                          \
    X(INDEX, "index")                                                                              \
    X(CONTAINS, "contains")                                                                        \
    X(CLEAR, "clear")                                                                              \
    X(GET, "get")                                                                                  \
    X(REMOVE, "remove")                                                                            \
    X(KEYS, "keys")                                                                                \
    X(VALUES, "values")                                                                            \
    X(ITEMS, "items")                                                                              \
    X(FIND, "find")                                                                                \
    X(RFIND, "rfind")                                                                              \
    X(SPLIT, "split")                                                                              \
    X(JOIN, "join")                                                                                \
    X(STARTSWITH, "startswith")                                                                    \
    X(ENDSWITH, "endswith")                                                                        \
    X(STRIP, "strip")                                                                              \
    X(UPPER, "upper")                                                                              \
    X(LOWER, "lower")                                                                              \
    X(REPLACE, "replace")                                                                          \
    X(APPEND_CHAR, "append_char")                                                                  \
    X(BUILD, "build")

typedef enum InterpMethod {
#define X(id, name) INTERP_METHOD_##id,
    INTERP_METHODS(X)
#undef X
        INTERP_METHOD__COUNT
} InterpMethod;

extern const char *const interp_method_names[INTERP_METHOD__COUNT];
/* INTERP_METHOD__COUNT when `name` is no built-in method. */
InterpMethod interp_method_lookup(const char *name);

/* ---- compiled graphs --------------------------------------------------- */

/* Operations of the compiled form: the flow operations, then the block
 * terminators.  Operands are register numbers (see InterpCode). */
// clang-format off
#define INTERP_OPCODES(X) \
    X(ADD) X(SUB) X(MUL) X(DIV) X(MOD) X(LSHIFT) X(RSHIFT) X(BIT_AND) X(BIT_OR) X(BIT_XOR) \
    X(NEG) X(INVERT) X(NOT) X(TRUTH) X(EQ) X(NE) X(LT) X(LE) X(GT) X(GE) X(MOVE) X(NEW) \
    X(IS_INSTANCE) X(CAST) X(GETATTR) X(SETATTR) X(GETITEM) X(SETITEM) X(UNPACK_CHECK) \
    X(GETGLOBAL) X(SETGLOBAL) X(CALL) X(CALL_INDIRECT) X(CALL_METHOD) X(CALL_BUILTIN) \
    X(NEWLIST) X(NEWDICT) X(NEWTUPLE) X(NEWBUILDER) X(ITER) X(ITER_HAS) X(ITER_NEXT) X(LOAD_FALSE) \
    X(NOP) \
    X(NOTE_THROW) /* a: an exception thrown by a jump to a handler of the same graph */ \
    /* terminators */ \
    X(JUMP)       /* aux: link */ \
    X(BRANCH)     /* a: condition; aux: link when false; aux2: link when true */ \
    X(SWITCH)     /* a: value; aux: switch table */ \
    X(RETURN)     /* a: result */ \
    X(THROW)      /* a: the exception */
// clang-format on

typedef enum InterpOpcode {
#define X(id) INTERP_OP_##id,
    INTERP_OPCODES(X)
#undef X
        INTERP_OP__COUNT
} InterpOpcode;

/* One instruction.  a and b are the first two operands (also in args);
 * handler is the link taken when the instruction raises (-1: the exception
 * propagates to the caller).  cache_key/cache_value are an inline cache:
 * GETATTR/SETATTR map a class to a field slot, CALL_METHOD a class to a
 * graph, GETATTR of a method a class to -(graph + 2). */
typedef struct InterpInstr {
    uint16_t opcode;
    int32_t arg_count;
    int32_t result; /* register; the discard register when the flow op has no result */
    int32_t a;
    int32_t b;
    int32_t aux;  /* class, graph, global, builtin, count or link (see INTERP_OPCODES) */
    int32_t aux2; /* CALL_METHOD: InterpMethod; BRANCH: link */
    int32_t handler;
    int32_t cache_key;
    int32_t cache_value;
    const char *name; /* GETATTR, SETATTR, CALL_METHOD */
    int32_t *args;    /* arg_count registers */
} InterpInstr;

/* A link: parallel assignment of sources to the target block's inputs, then
 * a jump.  A source of -1 is the exception just caught (exception links
 * only, followed by interp_unwind).  via_temp is set
 * when a target register is also a later source, so the copies go through
 * a buffer. */
typedef struct InterpLink {
    int32_t target_pc;
    int32_t move_count;
    int32_t *sources;
    int32_t *targets;
    bool via_temp;
} InterpLink;

/* SWITCH: either a dense table (values first..first+dense_count-1 of one
 * kind, int or char, to links) or a list of case registers compared in
 * order. */
typedef struct InterpSwitch {
    uint32_t dense_kind; /* INTERP_VALUE_INT or _CHAR for a dense table, else __COUNT */
    int64_t first;
    int64_t dense_count;
    int32_t *dense_links; /* dense_count links (the default where no case) */
    int32_t case_count;
    int32_t *case_regs;
    int32_t *case_links;
    int32_t default_link;
} InterpSwitch;

typedef enum InterpExternKind {
    INTERP_EXTERN_INT,
    INTERP_EXTERN_FLOAT,
    INTERP_EXTERN_VOID,
} InterpExternKind;

/* A graph ready to run.  Registers: [0, var_count) are the graph's
 * variables, [var_count, reg_count) its constants, copied from `consts` into
 * every new frame. */
typedef struct InterpCode {
    const FlowGraph *graph;
    InterpInstr *instrs;
    SrcPos *positions; /* one per instruction: what a traceback prints */
    int instr_count;
    InterpLink *links;
    int link_count;
    InterpSwitch *switches;
    int switch_count;
    InterpValue *consts;
    int const_count;
    int var_count;
    int reg_count;
    int32_t *param_regs; /* the start block's inputs */
    int param_count;
    /* FLOW_GRAPH_EXTERN only: */
    void *extern_symbol;         /* NULL when the call is impossible: */
    const char *extern_problem;  /* why (for the TypeError) */
    uint8_t *extern_param_kinds; /* InterpExternKind of each parameter */
    InterpExternKind extern_result;
} InterpCode;

/* ---- frames ------------------------------------------------------------ */

typedef enum InterpReturnKind {
    INTERP_RETURN_VALUE,  /* the result goes to the caller's instruction result */
    INTERP_RETURN_NEW,    /* init returned: the caller gets `pending` (the instance) */
    INTERP_RETURN_THREAD, /* thread_start: the caller gets `pending` (the handle) */
    INTERP_RETURN_TASK,   /* transaction_run: start the next queued task, or return void */
    INTERP_RETURN_TOP,    /* the frame that interp_call_top started */
} InterpReturnKind;

typedef struct InterpFrame {
    InterpCode *code;
    InterpValue *regs; /* code->reg_count registers on the register stack */
    int32_t pc;        /* the instruction executing (saved when another frame runs) */
    int32_t return_kind;
    InterpValue pending;
    uint64_t serial; /* distinguishes activations, for tracebacks */
} InterpFrame;

/* Register storage: chunks used as a stack, so a frame's registers never
 * move while it lives. */
typedef struct InterpStackChunk {
    struct InterpStackChunk *previous;
    size_t used;
    size_t capacity;
    InterpValue values[];
} InterpStackChunk;

typedef struct InterpTraceEntry {
    const char *function;
    SrcPos pos;
    uint64_t frame_serial; /* the activation it describes */
} InterpTraceEntry;

/* Per-class facts computed once. */
typedef struct InterpClassInfo {
    const FlowClass *flow;
    InterpValue *field_zeros; /* initial value of each field: zero or UNSET */
    int init_graph;           /* -1 when no init up the chain */
    Map methods;              /* name -> graph + 1, own and inherited */
    Map fields;               /* name -> slot + 1 */
} InterpClassInfo;

/* A direct-mapped cache of (class, name) -> field slot and method graph,
 * behind the per-instruction caches: call sites that see many classes (the
 * `node.eval()` of a tree-walking interpreter) miss those every time.  An
 * entry with a NULL name is empty; names are compared by pointer (interned
 * names hit; any other pointer merely misses). */
enum { INTERP_ATTRIBUTE_CACHE_SIZE = 1024 };
typedef struct InterpAttributeEntry {
    const char *name;
    int32_t class_index;
    int32_t field;  /* slot, or -1 */
    int32_t method; /* graph, or -1 */
} InterpAttributeEntry;

typedef struct InterpHeap {
    InterpObject *objects;  /* every object not yet freed, newest first */
    size_t allocated_bytes; /* since the last collection */
    size_t live_bytes;      /* surviving the last collection */
    size_t threshold;       /* collect when allocated_bytes reaches it */
    uint64_t next_id;
    Vec(InterpObject *) mark_stack;
} InterpHeap;

struct Interp {
    const FlowProgram *program;
    DiagContext *diag;
    InterpOptions options;
    FILE *out;
    FILE *err;
    InterpHeap heap;
    Arena arena;        /* compiled code and per-class tables */
    InterpCode **codes; /* per graph, NULL until first called */
    InterpClassInfo *classes;
    InterpAttributeEntry *attribute_cache; /* INTERP_ATTRIBUTE_CACHE_SIZE entries */
    InterpValue *globals;
    int error_classes[INTERP_ERROR__COUNT]; /* class index, or -1 */
    int message_slot;                       /* Exception.message, or -1 */
    Vec(InterpFrame) frames;
    uint64_t next_frame_serial;
    InterpStackChunk *stack;
    InterpStackChunk *spare_chunk;
    InterpValue exception;           /* being raised, when a helper returned false */
    Vec(InterpTraceEntry) traceback; /* innermost first */
    InterpValue traceback_exception; /* the exception the traceback belongs to */
    Vec(InterpValue) tasks;          /* transaction queue: (function, argument) pairs */
    int64_t task_head;               /* first pair not started, in values */
    bool exit_requested;
    int exit_status;
    Vec(InterpValue) scratch;     /* operand gathering; never live across a safe point */
    Vec(InterpValue) move_buffer; /* links with via_temp */
    InterpStr *empty_str;
    InterpStr *char_strs[256]; /* chr() and str(char) results, shared */
};

/* ---- heap (interp_heap.c) ---------------------------------------------- */

void interp_heap_init(Interp *interp);
void interp_heap_free(Interp *interp);
/* Returns false after raising MemoryError when count items of item_size
 * bytes would exceed INTERP_MAX_OBJECT_BYTES. */
bool interp_check_size(Interp *interp, int64_t count, size_t item_size);
/* Counts bytes towards the next collection (growth of external buffers). */
void interp_heap_account(Interp *interp, size_t bytes);
InterpStr *interp_str_alloc(Interp *interp, int64_t length); /* bytes uninitialized */
InterpStr *interp_str_new(Interp *interp, const char *bytes, int64_t length);
InterpStr *interp_str_cstr(Interp *interp, const char *text);
InterpList *interp_list_new(Interp *interp, int64_t capacity);
bool interp_list_reserve(Interp *interp, InterpList *list, int64_t capacity);
bool interp_list_push(Interp *interp, InterpList *list, InterpValue item);
InterpTuple *interp_tuple_new(Interp *interp, int64_t count);
InterpDict *interp_dict_new(Interp *interp);
InterpInstance *interp_instance_new(Interp *interp, int class_index);
InterpBoundMethod *interp_bound_method_new(Interp *interp, InterpValue receiver, int graph);
InterpBuilder *interp_builder_new(Interp *interp);
bool interp_builder_append(Interp *interp, InterpBuilder *builder, const char *bytes,
                           int64_t length);
InterpIterator *interp_iterator_new(Interp *interp, InterpValue source, InterpViewKind view);
InterpDictView *interp_dict_view_new(Interp *interp, InterpDict *dict, InterpViewKind view);
InterpThread *interp_thread_new(Interp *interp);
/* A full mark-sweep collection; call only at a safe point. */
void interp_gc_collect(Interp *interp);
static inline void interp_gc_safe_point(Interp *interp) {
    if (interp->heap.allocated_bytes >= interp->heap.threshold) interp_gc_collect(interp);
}

/* ---- strings (interp_str.c) -------------------------------------------- */

uint64_t interp_str_hash(InterpStr *str);
bool interp_str_equal(InterpStr *left, InterpStr *right);
int interp_str_compare(const InterpStr *left, const InterpStr *right);
InterpStr *interp_str_concat(Interp *interp, const InterpStr *left, const InterpStr *right);
/* The shared one-byte string of `byte`. */
InterpStr *interp_str_of_char(Interp *interp, int byte);
/* Float formatting and number parsing: rt_number.h, shared with rtlib. */

/* ---- dicts (interp_dict.c) --------------------------------------------- */

/* Raises TypeError for a value that cannot be a key. */
bool interp_key_hash(Interp *interp, InterpValue key, uint64_t *hash);
/* -1 when absent; raises only for an unhashable key (then returns -2). */
int64_t interp_dict_find(Interp *interp, InterpDict *dict, InterpValue key);
bool interp_dict_get(Interp *interp, InterpDict *dict, InterpValue key, InterpValue *value,
                     bool *found);
bool interp_dict_set(Interp *interp, InterpDict *dict, InterpValue key, InterpValue value);
/* found reports whether the key was there. */
bool interp_dict_remove(Interp *interp, InterpDict *dict, InterpValue key, bool *found);
void interp_dict_clear(Interp *interp, InterpDict *dict);
/* Removes deleted entries from the entries array (keeps order). */
void interp_dict_compact(InterpDict *dict);

/* ---- str(x) (interp_format.c) ------------------------------------------ */

InterpStr *interp_to_str(Interp *interp, InterpValue value);
/* The form inside containers: strs and chars quoted with C escapes. */
InterpStr *interp_to_repr(Interp *interp, InterpValue value);
/* The name of a value's type for messages: "int", "list", "Point", ... */
const char *interp_type_name(const Interp *interp, InterpValue value);

/* ---- errors (interp_errors.c) ------------------------------------------ */

/* Raises a built-in exception with a formatted message; always returns
 * false so that helpers can `return interp_raise(...)`. */
bool interp_raise(Interp *interp, InterpErrorKind kind, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* Raises an existing value (from throw); non-exceptions become TypeError. */
bool interp_raise_value(Interp *interp, InterpValue exception);
bool interp_is_exception(const Interp *interp, InterpValue value);
/* Records that the exception in flight passes through a frame (leaves it
 * or is caught in it); a frame already recorded keeps its first entry. */
void interp_trace_frame(Interp *interp, const InterpFrame *frame);
/* A throw that jumps straight to a handler of the same frame: a fresh
 * exception starts its traceback here (frame->pc is the NOTE_THROW). */
void interp_trace_throw(Interp *interp, const InterpFrame *frame, InterpValue exception);
/* The name of the local a register stands for, or NULL: a variable's name,
 * or the name an UNDEF constant carries in its str_value. */
const char *interp_register_name(const InterpCode *code, int32_t reg);
/* Flushes stdout, then prints the traceback and the exception line. */
void interp_print_traceback(Interp *interp);
void interp_flush(Interp *interp);

/* ---- operators (interp_ops.c) ------------------------------------------ */

bool interp_binary(Interp *interp, InterpOpcode opcode, InterpValue left, InterpValue right,
                   InterpValue *result);
bool interp_unary(Interp *interp, InterpOpcode opcode, InterpValue operand, InterpValue *result);
bool interp_truth(Interp *interp, InterpValue value, bool *result);
/* == semantics: values for numbers, str, tuples; identity otherwise.  Mixed
 * primitive kinds raise TypeError. */
bool interp_equal(Interp *interp, InterpValue left, InterpValue right, bool *result);
/* <0, 0, >0 for ordered kinds (int, float, char, str, bool, tuples of
 * these); raises TypeError otherwise.  unordered: a float NaN was involved. */
bool interp_compare(Interp *interp, InterpValue left, InterpValue right, int *order,
                    bool *unordered);
bool interp_getitem(Interp *interp, InterpValue container, InterpValue index, InterpValue *result);
bool interp_setitem(Interp *interp, InterpValue container, InterpValue index, InterpValue value);
bool interp_iter(Interp *interp, InterpValue iterable, InterpValue *result);
bool interp_iter_has(InterpValue iterator);
bool interp_iter_next(Interp *interp, InterpValue iterator, InterpValue *result);
bool interp_length(Interp *interp, InterpValue value, int64_t *length);
/* Class tables (interp_class.c). */
void interp_classes_init(Interp *interp);
void interp_classes_free(Interp *interp);
bool interp_is_subclass(const Interp *interp, int class_index, int base_index);
/* Field slot of `name` in a class, or -1; method graph, or -1. */
int interp_find_field(Interp *interp, int class_index, const char *name);
int interp_find_method(Interp *interp, int class_index, const char *name);
/* Field read with the "read before assignment" check. */
bool interp_read_field(Interp *interp, InterpInstance *instance, int slot, InterpValue *result);
bool interp_getattr(Interp *interp, InterpInstr *instr, InterpValue object, InterpValue *result);
bool interp_setattr(Interp *interp, InterpInstr *instr, InterpValue object, InterpValue value);

/* ---- built-ins (interp_builtins.c, interp_methods.c) ------------------- */

typedef enum InterpStatus {
    INTERP_STATUS_OK,     /* the instruction completed */
    INTERP_STATUS_RAISED, /* Interp.exception is set (or exit was requested) */
    INTERP_STATUS_CALLED, /* a frame was pushed: the dispatch loop reloads */
} InterpStatus;

InterpStatus interp_call_builtin(Interp *interp, FlowBuiltin builtin, InterpValue *args, int count,
                                 InterpValue *result);
/* Starts queued transaction tasks until one pushes a frame (CALLED) or the
 * queue is empty (OK, result void). */
InterpStatus interp_run_tasks(Interp *interp, InterpValue *result);
/* Argument checks shared by built-in functions and methods: TypeError (or
 * NullError for null) naming the function and the argument's position. */
bool interp_expect(Interp *interp, const char *function, const InterpValue *args, int position,
                   InterpValueKind kind);
/* args[0] is the receiver; count includes it. */
bool interp_call_method_builtin(Interp *interp, InterpMethod method, const char *name,
                                InterpValue *args, int count, InterpValue *result);
/* Method argument checks: count excludes the receiver; position 1 is the
 * first argument after it. */
bool interp_method_arity(Interp *interp, InterpValue receiver, InterpMethod method, int count,
                         int min_args, int max_args);
bool interp_method_arg(Interp *interp, InterpMethod method, const InterpValue *args, int position,
                       InterpValueKind kind);
/* The str methods (interp_str_methods.c); count excludes the receiver. */
bool interp_str_method(Interp *interp, InterpMethod method, InterpValue *args, int count,
                       InterpValue *result);

/* ---- frames and calls (interp_exec.c) ---------------------------------- */

/* Compiles a graph on first use. */
InterpCode *interp_code(Interp *interp, int graph);
/* Starts a call of `callable` (function reference or bound method) from the
 * current frame: either pushes a frame (CALLED) or, for an extern, stores
 * the result at once (OK). */
InterpStatus interp_invoke(Interp *interp, InterpValue callable, const InterpValue *args, int count,
                           InterpReturnKind return_kind, InterpValue pending, InterpValue *result);
InterpStatus interp_push_call(Interp *interp, int graph, InterpValue receiver, bool has_receiver,
                              const InterpValue *args, int count, InterpReturnKind return_kind,
                              InterpValue pending, InterpValue *result);
void interp_stack_free(Interp *interp);
/* Runs `graph` with args to completion from the dispatch loop's base. */
bool interp_call_top(Interp *interp, int graph, const InterpValue *args, int count,
                     InterpValue *result);
/* Extern functions (interp_extern.c). */
void interp_extern_prepare(Interp *interp, InterpCode *code);
bool interp_extern_call(Interp *interp, InterpCode *code, const InterpValue *args, int count,
                        InterpValue *result);
InterpCode *interp_compile(Interp *interp, int graph);
/* The zero of a type annotation (0, 0.0, false, '\0', "", else null) or
 * UNSET when there is no annotation. */
InterpValue interp_zero_of(Interp *interp, const TypeExpr *type);

#endif
