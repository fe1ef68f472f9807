/* backend_c.h - the C backend: transformed low-level graphs -> C files.
 *
 *   TransformProgram ──emit──▶ DIR/kiln_program.h   types, globals, prototypes
 *                              DIR/kiln_data.c      value descriptors, vtables,
 *                                                   prebuilt objects, main()
 *                              DIR/kiln_funcs_N.c   the functions, split in N
 *                                                   files for a parallel cc
 *
 * Contract.  Expects: a TransformProgram (its decisions are emitted as
 * they are: spills around collecting operations, barriers, exception
 * tests) and the graph interpreter that ran the global initializers (their
 * values become the VM's prebuilt globals).  Produces readable C with
 * `#line` directives naming the .kc source, so that gdb, perf and the
 * sanitizers show Kiln C lines; string constants and the objects the
 * globals hold are static prebuilt objects (GC_PREBUILT_HEADER), except
 * dicts and string builders, which kiln_init builds at start-up
 * (c_prebuilt.c).  Breaks: nothing.
 *
 * Generated conventions: every function takes the GcThread first; ints,
 * bools, chars and void are int64_t, floats double, references void *;
 * variable vN is the flow graph's variable N; block bN its block N.
 */
#ifndef KILN_BACKEND_C_H
#define KILN_BACKEND_C_H

#include <stdbool.h>

#include "../interp/interp.h"
#include "../transform/transform.h"

typedef struct BackendCOptions {
    const char *dir; /* where the files go (must exist) */
    int file_count;  /* functions are split over this many .c files (>= 1) */
    bool line_directives;
    bool gc_stress; /* the VM collects at every allocation (kiln build --gc-stress) */
} BackendCOptions;

/* Writes the files; returns the number of .c files written (their names
 * are kiln_data.c and kiln_funcs_0.c ...), or -1 after reporting an I/O
 * error through diag. */
int backend_c_emit(TransformProgram *program, Interp *interp, const BackendCOptions *options);

#endif
