/* interp.h - the graph interpreter: runs flow graphs directly.
 *
 * Contract.  Expects: a FlowProgram built without errors (flow.h) whose
 * prelude defines Exception and the built-in exception classes (they are
 * found by name; a missing one degrades to Exception).  Produces: the
 * program's behaviour (output on the configured streams, an exit status)
 * and, after interp_run_globals, the values of the globals, readable through
 * the value API below so that the translator can prebuild them.  Breaks:
 * nothing; the FlowProgram is only read and must outlive the interpreter.
 *
 * Semantics are language.md's with every check made at run time: a wrong
 * operand type raises TypeError, a null receiver NullError, a bad index
 * IndexError, and so on, as real instances of the prelude's classes that the
 * program can catch.  Threads and transactions run serially (thread_start
 * runs its function to completion; transaction_run runs the queue in FIFO
 * order); JIT hints are no-ops.
 *
 * Memory: the interpreter owns a heap of values collected by mark-sweep.
 * Collections happen only at safe points of the dispatch loop (block
 * entries), so values read through this API stay valid until the next
 * interp_run_* call or interp_destroy, which frees everything.
 */
#ifndef KILN_INTERP_H
#define KILN_INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/diag.h"
#include "../flow/flow.h"

typedef struct Interp Interp;

typedef struct InterpOptions {
    bool gc_stress;        /* collect the interpreter heap at every safe point */
    size_t max_call_depth; /* 0: default (10000); deeper recursion raises MemoryError
                              ("recursion too deep") instead of overflowing the C stack */
    FILE *stdout_stream;   /* NULL: stdout; what the program writes to fd 1 */
    FILE *stderr_stream;   /* NULL: stderr; fd 2 and tracebacks */
} InterpOptions;

/* options may be NULL (all defaults).  diag supplies the file names that
 * tracebacks print; it is borrowed. */
Interp *interp_create(const FlowProgram *program, DiagContext *diag, const InterpOptions *options);
/* Runs the global-initializer graph (program->global_init_graph).  0 on
 * success; on an escaping exception prints the traceback to the error
 * stream and returns 1.  When the initializers call exit(), returns that
 * status, and interp_run_main then returns it again without running main. */
int interp_run_globals(Interp *interp);
/* Calls main with args (argv[0] is the program path); returns the exit
 * status: main's int result, 0 for no result, 1 after printing a traceback
 * for an escaping exception, or the status given to exit().  Output is
 * flushed before it returns. */
int interp_run_main(Interp *interp, int argc, const char **argv);
void interp_destroy(Interp *interp);

/* ---- reading values ---------------------------------------------------- */

/* What a value is.  The kinds from INTERP_VALUE_STR on live on the heap. */
typedef enum InterpValueKind {
    INTERP_VALUE_VOID,  /* the result of a function that returns nothing */
    INTERP_VALUE_UNSET, /* a global or field that holds no value yet */
    INTERP_VALUE_NULL,
    INTERP_VALUE_INT,          /* interp_value_int */
    INTERP_VALUE_FLOAT,        /* interp_value_float */
    INTERP_VALUE_BOOL,         /* interp_value_int: 0 or 1 */
    INTERP_VALUE_CHAR,         /* interp_value_int: 0..255 */
    INTERP_VALUE_FUNCTION,     /* interp_value_int: the graph index */
    INTERP_VALUE_STR,          /* interp_value_str */
    INTERP_VALUE_LIST,         /* interp_value_length, interp_value_item */
    INTERP_VALUE_DICT,         /* interp_value_length, interp_value_dict_entry */
    INTERP_VALUE_TUPLE,        /* interp_value_length, interp_value_item */
    INTERP_VALUE_INSTANCE,     /* interp_value_class; fields by interp_value_item */
    INTERP_VALUE_BOUND_METHOD, /* interp_value_int: the method's graph; interp_value_receiver */
    INTERP_VALUE_BUILDER,      /* a StrBuilder; interp_value_str gives its contents */
    INTERP_VALUE_ITERATOR,     /* for-each state; not readable further */
    INTERP_VALUE_DICT_VIEW, /* d.keys(), d.values(), d.items(); interp_value_receiver: the dict */
    INTERP_VALUE_THREAD,    /* a thread handle */
    INTERP_VALUE__COUNT
} InterpValueKind;

struct InterpObject;

/* A value: immediate for the kinds before INTERP_VALUE_STR, a reference to
 * the interpreter heap after.  Read it through the functions below. */
typedef struct InterpValue {
    uint32_t kind; /* InterpValueKind */
    union {
        int64_t integer;             /* INT, BOOL, CHAR, FUNCTION */
        double real;                 /* FLOAT */
        struct InterpObject *object; /* heap kinds */
    } as;
} InterpValue;

const char *interp_value_kind_name(InterpValueKind kind);
/* The number of globals (FlowProgram.globals) and the value of one; a
 * global never assigned reads as INTERP_VALUE_UNSET. */
int interp_global_count(const Interp *interp);
InterpValue interp_global_value(const Interp *interp, int index);

InterpValueKind interp_value_kind(InterpValue value);
int64_t interp_value_int(InterpValue value);
double interp_value_float(InterpValue value);
/* STR and BUILDER: the bytes (NUL-terminated; may contain NUL) and length. */
const char *interp_value_str(InterpValue value, size_t *length);
/* STR: bytes; LIST, TUPLE: items; DICT: entries; INSTANCE: fields; else 0. */
size_t interp_value_length(InterpValue value);
/* LIST, TUPLE: the item at index; INSTANCE: the field at index (the order of
 * FlowClass.fields).  index must be below interp_value_length. */
InterpValue interp_value_item(InterpValue value, size_t index);
/* DICT: the entry at index in insertion order (index below
 * interp_value_length).  May compact the dict's storage, never its content. */
void interp_value_dict_entry(InterpValue dict, size_t index, InterpValue *key, InterpValue *value);
/* INSTANCE: the class index in FlowProgram.classes. */
int interp_value_class(InterpValue value);
/* BOUND_METHOD: the receiver; DICT_VIEW: the dict. */
InterpValue interp_value_receiver(InterpValue value);
/* Heap kinds: a number that is equal for two values iff they are the same
 * object (to preserve sharing and cycles); 0 for immediate kinds. */
uintptr_t interp_value_identity(InterpValue value);

#endif
