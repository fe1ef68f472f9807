/* lower.h - the last transform: decisions made explicit as low-level graphs.
 *
 *   TransformProgram (rtyped flow graphs + decisions) ──lower──▶ LowProgram
 *
 * Contract.  Expects: a TransformProgram without errors.  Produces: one
 * LowFunc per annotated function (named by its RtypeFunc c_name, with the
 * GcThread first and the other parameters at their representations:
 * RTYPE_INT and RTYPE_VOID are LOW_I64, RTYPE_FLOAT LOW_F64, RTYPE_REF
 * LOW_PTR), plus one invoker per TASK operation.  In each function:
 *   - flow variable N is register var_regs[N]; the links of the flow graph
 *     are parallel copies through fresh registers;
 *   - every rtype operation is its instructions: inline fast paths (field
 *     loads, bounds checks, list append while capacity lasts...) and calls
 *     of rtlib for the slow paths;
 *   - the transform's decisions are instructions: shadow stack spills and
 *     reloads around each operation that can collect, a write barrier on
 *     each store that needs one, an exception test after each operation
 *     that can raise, leading to a block that adds the traceback entry
 *     (rt_trace_frame) and returns 0 or jumps to the local handler.
 * The data the code refers to (kfn_N, kvt_N, kval_N, gN, gsetN, kext_N)
 * are LOW_SYMBOL_DATA / EXTERN symbols that the backend defines or
 * declares with these names.
 * Breaks: nothing; the input is only read.
 * Memory: the LowProgram is the caller's, freed by low_program_free.
 */
#ifndef KILN_LOWER_H
#define KILN_LOWER_H

#include "../rtype/low.h"
#include "transform.h"

/* NULL only when out of memory. */
LowProgram *lower_program(TransformProgram *transform);

#endif
