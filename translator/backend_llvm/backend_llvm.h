/* backend_llvm.h - the LLVM backend: low-level graphs -> LLVM IR, bitcode or
 * an object file, through the LLVM-C API.
 *
 *   LowProgram ──llvm_module──▶ declarations: runtime functions, extern fns,
 *                               data symbols, str and C string constants
 *              ──llvm_func────▶ one LLVM function per LowFunc: an alloca per
 *                               register, a basic block per LowBlock, the
 *                               instructions one by one (llvm_prim builds the
 *                               runtime's inline primitives)
 *              ──llvm_debug───▶ DWARF: a subprogram per function, a Kiln C
 *                               file:line on every instruction
 *              ──verify, optimize (new pass manager), write .ll/.bc/.o
 *
 * Contract.  Expects: a LowProgram that low_verify accepts (every function,
 * task invokers included, is one of its LowFuncs) and the DiagContext that
 * holds its source files (SrcPos.file indexes it).  Produces: one module for
 * the host target (its triple and data layout, position-independent code),
 * written where the options say.  The module defines the LowFuncs (external
 * linkage, internal when is_static) and the str constants (private); it only
 * declares the data symbols (kfn_N, kvt_N, kval_N, gN, gsetN...), which the C
 * backend's kiln_data.c defines, the runtime functions (rtlib, stm_gc, libm,
 * abort) and the thread-local rt_thread.  The object is built for the non-STM
 * runtime.  Breaks: nothing; the program is only read.
 *
 * Sanitizing (BackendLlvmOptions.sanitize, kiln build --sanitize): every
 * defined function carries sanitize_address and LLVM's AddressSanitizer
 * pass runs after the pipeline, at every level, -O0 included: loads and
 * stores of the generated code report out-of-bounds and use-after-free
 * accesses to malloc'd memory, escaping stack slots and the str constants,
 * and to the GC heap as far as a sanitizer build of stm_gc poisons it
 * (free nursery space, free old slots).  The object then calls the
 * __asan_* interface (version 8, which gcc's libasan and clang's runtime
 * both provide) and is linked with `cc -fsanitize=address`.  The frame
 * check (STACK_CHECK) compares the frame address, not the frame marker,
 * which the runtime may move to its fake stack (llvm_prim.c).
 *
 * There is no UndefinedBehaviorSanitizer counterpart: clang makes those
 * checks from C's source rules, and the IR made here has no undefined
 * arithmetic to check: integer operations wrap (no nsw/nuw flags), SDIV
 * and SREM only see divisors the lowering has checked (non-zero, not -1
 * with INT64_MIN), shift counts are in [0, 63] (low.h), and conversions
 * between floats and integers that can overflow go through rtlib.
 *
 * Errors: a verifier failure is reported at the Kiln C position of the
 * function whose code LLVM rejects (LowFunc.kiln_name and pos), with LLVM's
 * message as a note; LLVM's own failures (no target, a file that cannot be
 * written) as plain errors.
 */
#ifndef KILN_BACKEND_LLVM_H
#define KILN_BACKEND_LLVM_H

#include <stdbool.h>

#include "../common/diag.h"
#include "../rtype/low.h"

typedef struct BackendLlvmOptions {
    int opt_level;           /* 0..3: the "default<ON>" pipeline and the code generator's level */
    bool debug_info;         /* DWARF with the Kiln C positions */
    bool verify;             /* low_verify and LLVM's verifier (always on in KILN_DEBUG builds) */
    const char *object_path; /* each output is written when its path is not NULL */
    const char *ll_path;
    const char *bc_path;
    bool sanitize; /* AddressSanitizer instrumentation (kiln build --sanitize) */
} BackendLlvmOptions;

/* Builds the module from every LowFunc, verifies (when asked), optimizes and
 * writes what the options ask.  0 on success; -1 after reporting through
 * diag. */
int backend_llvm_emit(const LowProgram *program, DiagContext *diag,
                      const BackendLlvmOptions *options);

/* False when kiln was built without LLVM: backend_llvm_emit then reports
 * that and fails. */
bool backend_llvm_available(void);

#endif
