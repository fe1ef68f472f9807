/* optimize.h - simple optimizations of low-level graphs: inlining of small
 * functions, removal of the allocations that do not escape their function,
 * and constant folding.
 *
 *   LowProgram ──transform_inline──▶ ──transform_virtualize──▶ ──transform_fold──▶ LowProgram
 *
 * They run after lower_program (lower.h), at -O1 and above, in this order
 * (virtualization finds the objects that inlining made local; folding then
 * removes the null checks it decided), and rewrite the LowProgram in
 * place; `kiln build --stage=optimize --dump` prints the result with
 * low_dump.  They need no flow graph, annotation or rtype: what
 * they know of the program is what the low-level graphs make explicit.
 *
 * transform_inline.  Expects: a LowProgram that low_verify accepts, whose
 * functions on cycles of the call graph start with a STACK_CHECK (as
 * lower_program makes them).  Produces: each direct call (the callee a
 * LOW_VALUE_SYMBOL of a LOW_SYMBOL_FUNC with a LowFunc) of a function that
 *   - is not the caller and has no STACK_CHECK (it is on no call cycle),
 *   - has at most `size_limit` instructions (terminators not counted)
 *     after the inlining into its own body,
 * replaced by a copy of the callee's body.  Functions are processed
 * callees first (a post-order of the direct call graph), so a callee is
 * measured and copied with its own small callees already inlined; a body
 * copied into a caller is not scanned again, so every call site of the
 * input is considered once.  At each site:
 *   - the callee's registers get fresh registers of the caller, its blocks
 *     are appended to the caller's (block comments "Callee: comment");
 *   - the call's block ends with copies of the arguments into the callee's
 *     parameter registers and a goto to the copied entry; what followed the
 *     call (its instructions and the terminator) moves to a new
 *     continuation block, the last one appended;
 *   - each RETURN becomes a COPY into the call's result register (when the
 *     call has one) and a goto to the continuation; LOW_VALUE_THREAD stays
 *     the caller's thread (a call whose thread argument is another value is
 *     not inlined);
 *   - FRAME_ADDRESS markers are renumbered above every marker the caller
 *     uses (its highest + 1 + the callee's marker; the caller keeps 0), so
 *     that the copied raise paths still add the callee's own traceback
 *     entry: the exception leaves the inlined body by returning 0 into the
 *     continuation, whose exception test adds the caller's entry, as the
 *     call did;
 *   - every copied instruction keeps its `pos` (the callee's Kiln C line).
 * Spills around the call stay where they were: the copied body runs with
 * the caller's references on the shadow stack, as the callee did.
 * Breaks: nothing the backends rely on; the callee LowFunc stays (other
 * callers, function values and vtables use it), and the result passes
 * low_verify.  Block numbers of the callers change only by appending.
 *
 * transform_virtualize.  Expects: a LowProgram that low_verify accepts,
 * in which the shadow stack is used as lower_program uses it (root_top
 * the same on every path into a block, ROOT_STORE / ROOT_LOAD slots and
 * ROOT_ADJUST counts constants; a function that breaks this is left as it
 * is) and references travel as PTR values or as I64 words (PTR_TO_INT and
 * loads of words), never in I64 parameters or in the I64 results of the
 * program's own functions (lower.h gives references the PTR type there).
 * Produces: each ALLOC (type id and size constants, at most 4096 words)
 * reachable from block 0 whose object qualifies replaced by registers for
 * its words; the ALLOCs of a function are considered one at a time, in
 * block order, each on the function as the earlier ones left it.  The object
 * qualifies when, with its aliases (the ALLOC's register, and every
 * register a COPY of an alias or a reload of a slot holding the object
 * assigns):
 *   - every assignment of an alias is the ALLOC, a COPY of an alias, or a
 *     ROOT_LOAD of a slot that the object's ROOT_STORE filled on every path
 *     since the ALLOC last ran; no alias is a parameter;
 *   - every use of an alias is the address of a LOAD or STORE with no
 *     index at a constant offset naming a whole word after the header
 *     (8 <= offset, offset % 8 == 0, offset + 8 <= size), of type I64, F64
 *     or PTR, storing no alias; the value of a ROOT_STORE; a null test
 *     (NOT, PTR_EQ / PTR_NE with null, a BRANCH); a TYPE_ID; a
 *     WRITE_BARRIER or ARRAY_BARRIER on it.  Anything else (a call
 *     argument, a stored value, a returned or selected value, a comparison
 *     with anything but null, PTR_TO_INT) lets the object escape;
 *   - no alias is live where the ALLOC runs nor on entry to the function:
 *     an ALLOC in a loop makes a new object each time, and no alias can
 *     still hold an earlier one when it is read;
 *   - (GC safety, the spill sets being fixed before this pass) no word
 *     that may hold a reference is live after an instruction that can
 *     collect (a CALL, any other ALLOC).  A word may hold a reference when
 *     a store puts into it a PTR register or an I64 / F64 register whose
 *     value may be one: reinterpreted from one, computed from one, loaded
 *     from memory as an I64 or PTR word (but a global int or float: a DATA
 *     symbol of type I64 or F64), the I64 result of a runtime or indirect
 *     call, or read from such a word of the object.  Constants (null,
 *     prebuilt str objects, symbols) never move and are no references here.
 *     Such an object keeps its ALLOC, spilled as before.
 * The rewriting: one new register per word that a load or store names, of
 * that access type (I64 when the word is named at several types, with
 * PTR_TO_INT / INT_TO_PTR / BITS_OF_FLOAT / FLOAT_OF_BITS at the
 * accesses); the ALLOC becomes COPYs of zero (0, 0.0 or null, as gc_alloc
 * zeroes) into them, run each time the ALLOC would; a LOAD becomes a COPY
 * (or conversion) from its word's register, a STORE a COPY (or
 * conversion) into it; a null test becomes the constant of a non-null
 * object, a BRANCH on an alias a GOTO to its first target; TYPE_ID the
 * ALLOC's type id; a barrier disappears; a ROOT_STORE of an alias stores
 * null into the same slot (the spill counts and slots stay as they were),
 * and the COPYs and ROOT_LOADs that assigned aliases disappear.  The
 * aliases are then neither assigned nor read.  Block numbers stay; no
 * block is added or emptied (a branch made a GOTO may leave a block
 * unreachable, for transform_fold to empty).
 * Breaks: nothing; the result passes low_verify.  A function keeps the
 * references it spilled at every call, so the GC sees what it saw, minus
 * the objects removed.
 *
 * transform_fold.  Expects: a LowProgram that low_verify accepts.
 * Produces, per function and to a fixpoint:
 *   - constants propagated: a register assigned by exactly one instruction
 *     of the function, a COPY of an INT, FLOAT or NULL constant (not a
 *     parameter), is replaced by the constant in the uses that the
 *     assignment dominates (an operand of COPY, BINARY, UNARY, SELECT, a
 *     call argument, the index or stored value of a LOAD / STORE, a
 *     terminator's value; never an address, a callee or a primitive's
 *     operand);
 *   - BINARY, UNARY and SELECT with constant operands become a COPY of the
 *     result, computed as the backends compute it: wrapping int64
 *     arithmetic, comparisons 0 or 1, ULT / UGE unsigned, IEEE doubles.
 *     Never folded: SDIV / SREM by 0 or of INT64_MIN by -1, shifts by a
 *     count outside [0, 63], a float result that is a NaN (the backends
 *     spell every NaN alike), a constant pointer other than null; a SELECT
 *     on a constant condition becomes a COPY of the chosen operand;
 *   - a BRANCH or SWITCH on a constant becomes a GOTO;
 *   - the blocks no longer reachable from block 0 become empty with an
 *     UNREACHABLE terminator (block numbers stay).
 * The COPY of a propagated constant stays (its register may have become
 * unused; the backends' compilers drop it).
 * Breaks: nothing; the result passes low_verify.
 *
 * Memory: new operand arrays come from LowProgram.arena; blocks and
 * registers are the functions' vectors.
 */
#ifndef KILN_OPTIMIZE_H
#define KILN_OPTIMIZE_H

#include "../rtype/low.h"

/* The default size_limit of transform_inline: instructions of the callee,
 * terminators not counted.  40 takes the small methods of interpreter
 * loops with their inline null and bounds checks (bf's Tape.get is 13
 * instructions, Tape.add 33).  Measured with callgrind on C-backend VMs:
 * examples/bf on heavy.bf, 480M instructions without inlining, 469M at
 * limit 20, 424M at 40 and the same at 80; examples/calc on
 * collatz.calc, 6.27G, 5.12G at 20, 4.78G at 40, no better at 60 or
 * 100, while calc's low-level instructions grow by 36% at 40 and 58% at
 * 100. */
#define TRANSFORM_INLINE_SIZE_LIMIT 40

/* Inlines the direct calls of small functions (above); returns the number
 * of call sites inlined. */
int transform_inline(LowProgram *program, int size_limit);

/* Removes the allocations that do not escape (above); returns their
 * number. */
int transform_virtualize(LowProgram *program);

/* Folds constants (above); returns the number of instructions and
 * terminators folded (a propagated operand alone does not count). */
int transform_fold(LowProgram *program);

#endif
