/* backend_llvm_off.c - the LLVM backend of a kiln built without LLVM 19.1
 * (CMake did not find it): it says so and builds nothing.  The real
 * backend is the llvm_*.c files of this folder. */
#include "backend_llvm.h"

bool backend_llvm_available(void) {
    return false;
}

int backend_llvm_emit(const LowProgram *program, DiagContext *diag,
                      const BackendLlvmOptions *options) {
    (void)program;
    (void)options;
    diag_plain_error(diag, "kiln was built without LLVM: the LLVM backend is not available "
                           "(install llvm-19-dev and configure kiln again)");
    return -1;
}
