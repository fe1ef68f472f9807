/* llvm_internal.h - the LLVM backend's state and the helpers its files share.
 *
 * One LlvmEmitter builds one module.  It owns an LLVM context of its own
 * (nothing is shared between runs, no LLVM global context), the builder,
 * and per symbol and constant of the LowProgram the LLVM value made for it.
 * While a function is emitted, `func` names it and `regs` / `blocks` hold
 * its allocas and basic blocks; the builder's insertion point is where the
 * next instruction goes (a primitive may move it into blocks of its own).
 *
 * Memory: the arrays live in `arena`, freed with the emitter.
 */
#ifndef KILN_LLVM_INTERNAL_H
#define KILN_LLVM_INTERNAL_H

#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>

#include "backend_llvm.h"

typedef struct LlvmTypes {
    LLVMTypeRef void_type, i1, i8, i32, i64, f64, ptr;
} LlvmTypes;

/* Debug information of the module (llvm_debug.c); all NULL without -g. */
typedef struct LlvmDebug {
    LLVMDIBuilderRef builder;
    LLVMMetadataRef unit;
    LLVMMetadataRef *files; /* per DiagContext file, made on first use */
    LLVMMetadataRef unit_file;
    LLVMMetadataRef types[LOW_TYPE__COUNT]; /* int64_t, double, void * */
    /* the function being emitted */
    LLVMMetadataRef subprogram;
    LLVMMetadataRef *scopes; /* per file: the subprogram or a lexical block file */
    int func_file;
    SrcPos last;
} LlvmDebug;

typedef struct LlvmEmitter {
    const LowProgram *program;
    DiagContext *diag;
    const BackendLlvmOptions *options;
    Arena arena;
    LLVMContextRef context;
    LLVMModuleRef module;
    LLVMBuilderRef builder;
    LlvmTypes types;
    LLVMValueRef *symbols;     /* per LowSymbol: its function or global */
    LLVMTypeRef *symbol_types; /* per LowSymbol: a function's type, NULL for data */
    LLVMValueRef *strings;     /* per LowString: its prebuilt RtStr */
    LLVMValueRef *cstrings;    /* per C string: its array */
    unsigned prof_kind;        /* the "prof" metadata kind */
    LlvmDebug debug;
    /* the function being emitted */
    const LowFunc *func;
    LLVMValueRef function;
    LLVMValueRef *regs;        /* per register: its alloca */
    LLVMBasicBlockRef *blocks; /* per LowBlock */
    LLVMValueRef entry_jump;   /* the entry block's branch to b0 */
    /* llvm_frame_marker's allocas, per marker (low.h); NULL until made */
    LLVMValueRef *frame_markers;
    int frame_marker_count;
} LlvmEmitter;

/* llvm_module.c: types and declarations. */
LLVMTypeRef llvm_type(LlvmEmitter *emitter, LowType type);
/* The function type of a C signature (BOOL is i1, I32 i32). */
LLVMTypeRef llvm_function_type(LlvmEmitter *emitter, LowType result, const LowType *params,
                               int count, bool variadic);
/* A C function (nounwind) of the given LLVM signature, declared on first
 * use: the runtime functions the primitives call, abort.  The noreturn
 * kind (also cold) is for those that never come back. */
LLVMValueRef llvm_helper(LlvmEmitter *emitter, const char *name, LLVMTypeRef type);
LLVMValueRef llvm_noreturn_helper(LlvmEmitter *emitter, const char *name, LLVMTypeRef type);
/* An integer constant of i64 / i32. */
LLVMValueRef llvm_i64(LlvmEmitter *emitter, int64_t value);
LLVMValueRef llvm_i32(LlvmEmitter *emitter, int32_t value);
/* An enum attribute ("nounwind", "zeroext"...); llvm_add_attribute puts
 * one at an index of a function (LLVMAttributeFunctionIndex,
 * LLVMAttributeReturnIndex, or parameter 1..N). */
LLVMAttributeRef llvm_attribute(LlvmEmitter *emitter, const char *name, uint64_t value);
void llvm_add_attribute(LlvmEmitter *emitter, LLVMValueRef function, LLVMAttributeIndex index,
                        const char *name, uint64_t value);
/* The ABI attributes of a C signature (zeroext on BOOL), on a function or
 * on a call site. */
void llvm_signature_attributes(LlvmEmitter *emitter, LLVMValueRef target, bool call_site,
                               LowType result, const LowType *params, int count);

/* llvm_func.c: function bodies. */
void llvm_emit_func(LlvmEmitter *emitter, const LowFunc *func);
/* The LLVM value of an operand (a register is loaded). */
LLVMValueRef llvm_value(LlvmEmitter *emitter, LowValue value);
/* `value` at `type` when they are i64 and ptr (C's casts between int64_t
 * and pointers, where an operand's type differs from what the operation
 * takes); any other value unchanged. */
LLVMValueRef llvm_coerce(LlvmEmitter *emitter, LLVMValueRef value, LLVMTypeRef type);
LLVMValueRef llvm_as_int(LlvmEmitter *emitter, LLVMValueRef value);
LLVMValueRef llvm_as_ptr(LlvmEmitter *emitter, LLVMValueRef value);
/* value != 0 (or != null) as an i1. */
LLVMValueRef llvm_truth(LlvmEmitter *emitter, LLVMValueRef value);
/* Stores `value` into register `reg` (nothing when reg < 0). */
void llvm_set_reg(LlvmEmitter *emitter, int reg, LLVMValueRef value);
/* A conditional branch carrying a LowHint as branch weights. */
LLVMValueRef llvm_branch(LlvmEmitter *emitter, LLVMValueRef condition, LLVMBasicBlockRef yes,
                         LLVMBasicBlockRef no, LowHint hint);
/* A byte on the stack of the function being emitted, made on first use:
 * the address FRAME_ADDRESS and STACK_CHECK take for the frame. */
LLVMValueRef llvm_frame_marker(LlvmEmitter *emitter, int marker);
/* A new basic block of the function being emitted. */
LLVMBasicBlockRef llvm_new_block(LlvmEmitter *emitter, const char *name);

/* llvm_prim.c: the runtime's inline primitives (LowPrim). */
void llvm_emit_prim(LlvmEmitter *emitter, const LowInst *inst);

/* llvm_debug.c: debug information (each does nothing without -g). */
void llvm_debug_begin_module(LlvmEmitter *emitter);
void llvm_debug_begin_func(LlvmEmitter *emitter, const LowFunc *func);
/* Describes register `reg` (its alloca) to the debugger, before `before`. */
void llvm_debug_declare_reg(LlvmEmitter *emitter, int reg, LLVMValueRef before);
/* The builder's location from now on: `pos`, or the last one when pos has
 * no line. */
void llvm_debug_set_pos(LlvmEmitter *emitter, SrcPos pos);
void llvm_debug_end_func(LlvmEmitter *emitter);
void llvm_debug_end_module(LlvmEmitter *emitter);

#endif
