/* backend_c.h - the C backend: low-level graphs and program data -> C files.
 *
 *   LowProgram + TransformProgram ──emit──▶ DIR/kiln_program.h   globals, prototypes
 *                                           DIR/kiln_data.c      value descriptors,
 *                                                                vtables, prebuilt
 *                                                                objects, main()
 *                                           DIR/kiln_funcs_N.c   the functions, split
 *                                                                in N files for a
 *                                                                parallel cc
 *
 * Contract.  Expects: the LowProgram that lowering made of the
 * TransformProgram (every function, task invokers included, is one of its
 * LowFuncs, printed mechanically from its low-level graph: c_low.c); the
 * TransformProgram and its rtype for the data the functions refer to
 * (kval_N, kvt_N, kfn_N, the GC type table, globals gN / gsetN, kext_N);
 * and the graph interpreter that ran the global initializers (their
 * values become the VM's prebuilt globals).  Produces readable C with
 * `#line` directives naming the .kc source, so that gdb, perf and the
 * sanitizers show Kiln C lines; string constants and the objects the
 * globals hold are static prebuilt objects (GC_PREBUILT_HEADER), except
 * dicts and string builders, which kiln_init builds at start-up
 * (c_prebuilt.c).  Breaks: nothing.
 *
 * Generated conventions: every function takes the GcThread first; the
 * machine types are int64_t, double and void *; rN is register N of the
 * LowFunc, bN its block N, kstr_N the str constant N of the LowProgram.
 */
#ifndef KILN_BACKEND_C_H
#define KILN_BACKEND_C_H

#include <stdbool.h>

#include "../interp/interp.h"
#include "../rtype/low.h"
#include "../transform/transform.h"

typedef struct BackendCOptions {
    const char *dir; /* where the files go (must exist) */
    int file_count;  /* functions are split over this many .c files (>= 1) */
    bool line_directives;
    bool gc_stress; /* the VM collects at every allocation (kiln build --gc-stress) */
    bool data_only; /* only kiln_program.h and kiln_data.c: another backend
                     * (LLVM) emits the functions */
} BackendCOptions;

/* Writes the files; returns the number of .c files written (their names
 * are kiln_data.c and kiln_funcs_0.c ...; with data_only, 1), or -1 after
 * reporting an I/O error through diag. */
int backend_c_emit(TransformProgram *program, const LowProgram *low, Interp *interp,
                   const BackendCOptions *options);

#endif
