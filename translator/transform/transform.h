/* transform.h - the transforms on low-level graphs: exceptions and GC.
 *
 *   rtyped graphs ──transform──▶ per operation: does it raise, does it
 *   collect, which references it must spill; per store: its write barrier
 *
 * Contract.  Expects: an RtypeProgram without errors.  Produces, for the
 * lowering to low-level graphs (lower.h, which makes exactly what is
 * decided here explicit):
 *   - stack checks: the functions on cycles of the call graph check the C
 *     stack on entry and raise MemoryError when it is nearly full
 *     (RtypeFunc.checks_stack, transform_calls.c);
 *   - exceptions: whether each function and each operation can raise; an
 *     operation that can raise is followed by a test of the exception in
 *     flight and a jump to its exception link (the last operation of an
 *     EXIT_RAISES block) or out of the function, adding a traceback entry;
 *   - GC: whether each operation can collect and then complete normally
 *     (it allocates, or calls a function that can; a function that catches
 *     an exception can, since raising allocates the exception); for such an
 *     operation, the references live after it (block-local liveness: values
 *     cross blocks only through links) that must be pushed on the shadow
 *     stack before it and reloaded after it.  An operation that collects
 *     only by raising spills just the references its exception link passes
 *     to a handler in the same function, and nothing when the exception
 *     leaves the function; allocation itself is the inline nursery bump of
 *     gc_alloc;
 *   - write barriers: a store of a reference into an object needs one
 *     unless the object was allocated in the same block with no operation
 *     that can collect in between (it is young).
 * Breaks: nothing; the decisions live beside the graphs (TransformProgram).
 * Memory: TransformProgram.arena, freed by transform_free.
 */
#ifndef KILN_TRANSFORM_H
#define KILN_TRANSFORM_H

#include <stdbool.h>
#include <stdio.h>

#include "../rtype/rtype.h"

typedef struct TransformOp {
    bool raises;
    bool collects;
    bool barrier; /* stores: a write barrier is needed */
    int *spill;   /* variables to spill around the operation */
    int spill_count;
} TransformOp;

typedef struct TransformProgram {
    Arena arena;
    RtypeProgram *rtype;
    TransformOp ***ops; /* per function, per block, per operation */
    int spilled_refs;   /* statistics for --dump and --verbose */
    int barriers, barriers_removed;
} TransformProgram;

TransformProgram *transform_program(RtypeProgram *rtype);
/* Sets RtypeFunc.checks_stack of the functions on cycles of the call
 * graph (transform_calls.c); transform_program calls it first. */
void transform_find_recursion(RtypeProgram *rtype);
void transform_free(TransformProgram *program);
/* `kiln build --stage=transform --dump`: per operation, its flags and spills. */
void transform_dump(FILE *out, const TransformProgram *program);

#endif
