/* llvm_func.c - one LLVM function per LowFunc.
 *
 *   entry:  an alloca per register; parameters stored into theirs, the
 *           other registers zeroed; br b0
 *   bN:     LowBlock N, its instructions in order, then its terminator
 *
 * Registers are variables (low.h): an instruction loads the registers it
 * reads and stores the one it writes.  At -O1 and up SROA turns the allocas
 * into SSA values; at -O0 they stay, each register a stack slot that the
 * debug information names rN.  LowBlock 0 gets a block of its own after
 * the allocas because the entry block of an LLVM function cannot be the
 * target of a jump, and block 0 may be one (a loop at the top).
 */
#include <stdio.h>
#include <string.h>

#include "llvm_internal.h"

/* The weights LLVM itself gives a __builtin_expect branch (2000 to 1). */
enum { LLVM_WEIGHT_LIKELY = 2000, LLVM_WEIGHT_UNLIKELY = 1 };

/* ---- values ---------------------------------------------------------------- */

LLVMValueRef llvm_coerce(LlvmEmitter *emitter, LLVMValueRef value, LLVMTypeRef type) {
    LLVMTypeRef have = LLVMTypeOf(value);
    if (have == type) return value;
    if (have == emitter->types.ptr && type == emitter->types.i64)
        return LLVMBuildPtrToInt(emitter->builder, value, type, "");
    if (have == emitter->types.i64 && type == emitter->types.ptr)
        return LLVMBuildIntToPtr(emitter->builder, value, type, "");
    return value;
}

LLVMValueRef llvm_as_int(LlvmEmitter *emitter, LLVMValueRef value) {
    return llvm_coerce(emitter, value, emitter->types.i64);
}

LLVMValueRef llvm_as_ptr(LlvmEmitter *emitter, LLVMValueRef value) {
    return llvm_coerce(emitter, value, emitter->types.ptr);
}

LLVMValueRef llvm_truth(LlvmEmitter *emitter, LLVMValueRef value) {
    return LLVMBuildICmp(emitter->builder, LLVMIntNE, value, LLVMConstNull(LLVMTypeOf(value)), "");
}

LLVMValueRef llvm_value(LlvmEmitter *emitter, LowValue value) {
    switch (value.kind) {
    case LOW_VALUE_NONE: return LLVMConstNull(emitter->types.i64);
    case LOW_VALUE_REG: {
        LowType type = emitter->func->regs.items[value.index];
        return LLVMBuildLoad2(emitter->builder, llvm_type(emitter, type),
                              emitter->regs[value.index], "");
    }
    case LOW_VALUE_INT: return llvm_i64(emitter, value.bits);
    case LOW_VALUE_FLOAT: return LLVMConstReal(emitter->types.f64, value.number);
    case LOW_VALUE_NULL: return LLVMConstNull(emitter->types.ptr);
    case LOW_VALUE_SYMBOL: return emitter->symbols[value.index];
    case LOW_VALUE_STR: return emitter->strings[value.index];
    case LOW_VALUE_CSTRING: return emitter->cstrings[value.index];
    case LOW_VALUE_THREAD: return LLVMGetParam(emitter->function, 0);
    }
    kiln_unreachable("a LowValue kind has an LLVM value");
}

void llvm_set_reg(LlvmEmitter *emitter, int reg, LLVMValueRef value) {
    if (reg < 0) return;
    LLVMTypeRef type = llvm_type(emitter, emitter->func->regs.items[reg]);
    LLVMBuildStore(emitter->builder, llvm_coerce(emitter, value, type), emitter->regs[reg]);
}

/* The frame address (__builtin_frame_address(0) in the C backend) serves
 * rtlib as a frame's identity: a traceback keeps one entry per frame
 * address.  LLVM's inliner makes llvm.frameaddress of an inlined callee the
 * caller's, which would drop the caller's entry; an alloca of the function
 * stays a slot of its own when inlined, apart from its caller's (whose
 * slot lives as long as the caller), and lies in the frame, as the C stack
 * check wants.  It also needs no frame pointer, which llvm.frameaddress
 * forces in every function with a raise exit. */
LLVMValueRef llvm_frame_marker(LlvmEmitter *emitter, int marker) {
    if (marker >= emitter->frame_marker_count) {
        int count = marker + 1;
        LLVMValueRef *grown = ARENA_NEW_ARRAY(&emitter->arena, LLVMValueRef, count);
        for (int i = 0; i < emitter->frame_marker_count; i++)
            grown[i] = emitter->frame_markers[i];
        emitter->frame_markers = grown;
        emitter->frame_marker_count = count;
    }
    if (emitter->frame_markers[marker]) return emitter->frame_markers[marker];
    LLVMBuilderRef entry = LLVMCreateBuilderInContext(emitter->context);
    LLVMPositionBuilderBefore(entry, emitter->entry_jump);
    emitter->frame_markers[marker] = LLVMBuildAlloca(entry, emitter->types.i8, "frame");
    LLVMDisposeBuilder(entry);
    return emitter->frame_markers[marker];
}

LLVMBasicBlockRef llvm_new_block(LlvmEmitter *emitter, const char *name) {
    return LLVMAppendBasicBlockInContext(emitter->context, emitter->function, name);
}

LLVMValueRef llvm_branch(LlvmEmitter *emitter, LLVMValueRef condition, LLVMBasicBlockRef yes,
                         LLVMBasicBlockRef no, LowHint hint) {
    LLVMValueRef branch = LLVMBuildCondBr(emitter->builder, condition, yes, no);
    if (hint == LOW_HINT_NONE) return branch;
    bool likely = hint == LOW_HINT_LIKELY;
    LLVMMetadataRef operands[3] = {
        LLVMMDStringInContext2(emitter->context, "branch_weights", 14),
        LLVMValueAsMetadata(llvm_i32(emitter, likely ? LLVM_WEIGHT_LIKELY : LLVM_WEIGHT_UNLIKELY)),
        LLVMValueAsMetadata(llvm_i32(emitter, likely ? LLVM_WEIGHT_UNLIKELY : LLVM_WEIGHT_LIKELY))};
    LLVMMetadataRef weights = LLVMMDNodeInContext2(emitter->context, operands, 3);
    LLVMSetMetadata(branch, emitter->prof_kind, LLVMMetadataAsValue(emitter->context, weights));
    return branch;
}

/* ---- arithmetic -------------------------------------------------------------- */

static LLVMValueRef llvm_compare(LlvmEmitter *emitter, LLVMIntPredicate predicate,
                                 LLVMValueRef left, LLVMValueRef right) {
    LLVMValueRef bit = LLVMBuildICmp(emitter->builder, predicate, left, right, "");
    return LLVMBuildZExt(emitter->builder, bit, emitter->types.i64, "");
}

static LLVMValueRef llvm_compare_float(LlvmEmitter *emitter, LLVMRealPredicate predicate,
                                       LLVMValueRef left, LLVMValueRef right) {
    LLVMValueRef bit = LLVMBuildFCmp(emitter->builder, predicate, left, right, "");
    return LLVMBuildZExt(emitter->builder, bit, emitter->types.i64, "");
}

/* Integer operations wrap (no nsw/nuw); SDIV and SREM never see a zero
 * divisor or INT64_MIN / -1, which the lowering checks before them. */
static LLVMValueRef llvm_integer(LlvmEmitter *emitter, LowBinop op, LLVMValueRef left,
                                 LLVMValueRef right) {
    LLVMBuilderRef builder = emitter->builder;
    left = llvm_as_int(emitter, left);
    right = llvm_as_int(emitter, right);
    switch (op) {
    case LOW_BIN_ADD: return LLVMBuildAdd(builder, left, right, "");
    case LOW_BIN_SUB: return LLVMBuildSub(builder, left, right, "");
    case LOW_BIN_MUL: return LLVMBuildMul(builder, left, right, "");
    case LOW_BIN_SDIV: return LLVMBuildSDiv(builder, left, right, "");
    case LOW_BIN_SREM: return LLVMBuildSRem(builder, left, right, "");
    case LOW_BIN_AND: return LLVMBuildAnd(builder, left, right, "");
    case LOW_BIN_OR: return LLVMBuildOr(builder, left, right, "");
    case LOW_BIN_XOR: return LLVMBuildXor(builder, left, right, "");
    case LOW_BIN_SHL: return LLVMBuildShl(builder, left, right, "");
    case LOW_BIN_ASHR: return LLVMBuildAShr(builder, left, right, "");
    case LOW_BIN_EQ: return llvm_compare(emitter, LLVMIntEQ, left, right);
    case LOW_BIN_NE: return llvm_compare(emitter, LLVMIntNE, left, right);
    case LOW_BIN_LT: return llvm_compare(emitter, LLVMIntSLT, left, right);
    case LOW_BIN_LE: return llvm_compare(emitter, LLVMIntSLE, left, right);
    case LOW_BIN_GT: return llvm_compare(emitter, LLVMIntSGT, left, right);
    case LOW_BIN_GE: return llvm_compare(emitter, LLVMIntSGE, left, right);
    case LOW_BIN_ULT: return llvm_compare(emitter, LLVMIntULT, left, right);
    case LOW_BIN_UGE: return llvm_compare(emitter, LLVMIntUGE, left, right);
    default: kiln_unreachable("an integer LowBinop");
    }
}

/* Comparisons give an I64 0 or 1.  FNE is C's != (true when unordered);
 * the other float comparisons are false on a NaN, as in C. */
static LLVMValueRef llvm_binary(LlvmEmitter *emitter, LowBinop op, LowValue left_value,
                                LowValue right_value) {
    LLVMBuilderRef builder = emitter->builder;
    LLVMValueRef left = llvm_value(emitter, left_value);
    LLVMValueRef right = llvm_value(emitter, right_value);
    switch (op) {
    case LOW_BIN_FADD: return LLVMBuildFAdd(builder, left, right, "");
    case LOW_BIN_FSUB: return LLVMBuildFSub(builder, left, right, "");
    case LOW_BIN_FMUL: return LLVMBuildFMul(builder, left, right, "");
    case LOW_BIN_FDIV: return LLVMBuildFDiv(builder, left, right, "");
    case LOW_BIN_FEQ: return llvm_compare_float(emitter, LLVMRealOEQ, left, right);
    case LOW_BIN_FNE: return llvm_compare_float(emitter, LLVMRealUNE, left, right);
    case LOW_BIN_FLT: return llvm_compare_float(emitter, LLVMRealOLT, left, right);
    case LOW_BIN_FLE: return llvm_compare_float(emitter, LLVMRealOLE, left, right);
    case LOW_BIN_FGT: return llvm_compare_float(emitter, LLVMRealOGT, left, right);
    case LOW_BIN_FGE: return llvm_compare_float(emitter, LLVMRealOGE, left, right);
    case LOW_BIN_PTR_EQ:
    case LOW_BIN_PTR_NE:
        return llvm_compare(emitter, op == LOW_BIN_PTR_EQ ? LLVMIntEQ : LLVMIntNE,
                            llvm_as_ptr(emitter, left), llvm_as_ptr(emitter, right));
    case LOW_BIN_ADD:
    case LOW_BIN_SUB:
        /* Pointer plus or minus a byte count: a GEP keeps what the pointer
         * points into visible to alias analysis. */
        if (left_value.type == LOW_PTR && right_value.type != LOW_PTR) {
            LLVMValueRef offset = llvm_as_int(emitter, right);
            if (op == LOW_BIN_SUB) offset = LLVMBuildNeg(builder, offset, "");
            return LLVMBuildGEP2(builder, emitter->types.i8, left, &offset, 1, "");
        }
        return llvm_integer(emitter, op, left, right);
    default: return llvm_integer(emitter, op, left, right);
    }
}

static LLVMValueRef llvm_unary(LlvmEmitter *emitter, LowUnop op, LowValue operand_value) {
    LLVMBuilderRef builder = emitter->builder;
    LLVMValueRef operand = llvm_value(emitter, operand_value);
    const LlvmTypes *types = &emitter->types;
    switch (op) {
    case LOW_UN_NEG: return LLVMBuildNeg(builder, llvm_as_int(emitter, operand), "");
    case LOW_UN_INVERT: return LLVMBuildNot(builder, llvm_as_int(emitter, operand), "");
    case LOW_UN_NOT:
        return llvm_compare(emitter, LLVMIntEQ, operand, LLVMConstNull(LLVMTypeOf(operand)));
    case LOW_UN_FNEG: return LLVMBuildFNeg(builder, operand, "");
    case LOW_UN_INT_TO_FLOAT: return LLVMBuildSIToFP(builder, operand, types->f64, "");
    case LOW_UN_BITS_OF_FLOAT: return LLVMBuildBitCast(builder, operand, types->i64, "");
    case LOW_UN_FLOAT_OF_BITS: return LLVMBuildBitCast(builder, operand, types->f64, "");
    case LOW_UN_PTR_TO_INT: return llvm_as_int(emitter, operand);
    case LOW_UN_INT_TO_PTR: return llvm_as_ptr(emitter, operand);
    default: kiln_unreachable("a LowUnop");
    }
}

static LLVMValueRef llvm_select(LlvmEmitter *emitter, const LowInst *inst) {
    LLVMTypeRef type = inst->result >= 0
                           ? llvm_type(emitter, emitter->func->regs.items[inst->result])
                           : emitter->types.i64;
    LLVMValueRef condition = llvm_truth(emitter, llvm_value(emitter, inst->args[0]));
    LLVMValueRef yes = inst->args[1].kind == LOW_VALUE_NONE
                           ? LLVMConstNull(type)
                           : llvm_coerce(emitter, llvm_value(emitter, inst->args[1]), type);
    LLVMValueRef no = inst->args[2].kind == LOW_VALUE_NONE
                          ? LLVMConstNull(type)
                          : llvm_coerce(emitter, llvm_value(emitter, inst->args[2]), type);
    return LLVMBuildSelect(emitter->builder, condition, yes, no, "");
}

/* ---- memory ------------------------------------------------------------------- */

/* args[0] + offset [+ args[1] * scale]: byte offsets inside one object
 * (inbounds, as C's field and item accesses); the index step is an array
 * of `scale` bytes, so that LLVM sees the stride. */
static LLVMValueRef llvm_address(LlvmEmitter *emitter, const LowInst *inst) {
    LLVMBuilderRef builder = emitter->builder;
    LLVMValueRef address = llvm_as_ptr(emitter, llvm_value(emitter, inst->args[0]));
    if (inst->offset) {
        LLVMValueRef offset = llvm_i64(emitter, inst->offset);
        address = LLVMBuildInBoundsGEP2(builder, emitter->types.i8, address, &offset, 1, "");
    }
    if (inst->scale) {
        LLVMValueRef index = llvm_as_int(emitter, llvm_value(emitter, inst->args[1]));
        LLVMTypeRef stride = LLVMArrayType2(emitter->types.i8, (uint64_t)inst->scale);
        address = LLVMBuildInBoundsGEP2(builder, stride, address, &index, 1, "");
    }
    return address;
}

/* The LLVM type of a memory operand; BOOL is C's one-byte bool. */
static LLVMTypeRef llvm_memory_type(LlvmEmitter *emitter, LowType mem) {
    return mem == LOW_BOOL ? emitter->types.i8 : llvm_type(emitter, mem);
}

/* U8, U32 and BOOL loads zero-extend, I32 sign-extends, to the I64 register. */
static void llvm_load(LlvmEmitter *emitter, const LowInst *inst) {
    LLVMBuilderRef builder = emitter->builder;
    LLVMValueRef address = llvm_address(emitter, inst);
    LLVMValueRef value = LLVMBuildLoad2(builder, llvm_memory_type(emitter, inst->mem), address, "");
    if (inst->mem == LOW_U8 || inst->mem == LOW_U32 || inst->mem == LOW_BOOL)
        value = LLVMBuildZExt(builder, value, emitter->types.i64, "");
    else if (inst->mem == LOW_I32)
        value = LLVMBuildSExt(builder, value, emitter->types.i64, "");
    llvm_set_reg(emitter, inst->result, value);
}

static void llvm_store(LlvmEmitter *emitter, const LowInst *inst) {
    LLVMBuilderRef builder = emitter->builder;
    LLVMValueRef address = llvm_address(emitter, inst);
    LLVMTypeRef type = llvm_memory_type(emitter, inst->mem);
    LLVMValueRef value = llvm_value(emitter, inst->args[2]);
    if (inst->mem == LOW_U8 || inst->mem == LOW_U32 || inst->mem == LOW_I32 ||
        inst->mem == LOW_BOOL)
        value = LLVMBuildTrunc(builder, llvm_as_int(emitter, value), type, "");
    else
        value = llvm_coerce(emitter, value, type);
    LLVMBuildStore(builder, value, address);
}

/* ---- calls ---------------------------------------------------------------------- */

/* An argument narrowed to its C type: BOOL is `!= 0`, I32 the low bits. */
static LLVMValueRef llvm_argument(LlvmEmitter *emitter, LowValue arg, LowType c_type) {
    LLVMValueRef value = llvm_value(emitter, arg);
    switch (c_type) {
    case LOW_BOOL: return llvm_truth(emitter, value);
    case LOW_I32:
    case LOW_U32:
        return LLVMBuildTrunc(emitter->builder, llvm_as_int(emitter, value), emitter->types.i32,
                              "");
    case LOW_U8:
        return LLVMBuildTrunc(emitter->builder, llvm_as_int(emitter, value), emitter->types.i8, "");
    case LOW_I64:
    case LOW_F64:
    case LOW_PTR: return llvm_coerce(emitter, value, llvm_type(emitter, c_type));
    default: return value;
    }
}

/* A result widened to its register: BOOL and unsigned types zero-extend,
 * I32 sign-extends. */
static LLVMValueRef llvm_widen(LlvmEmitter *emitter, LLVMValueRef value, LowType c_type) {
    switch (c_type) {
    case LOW_BOOL:
    case LOW_U8:
    case LOW_U32: return LLVMBuildZExt(emitter->builder, value, emitter->types.i64, "");
    case LOW_I32: return LLVMBuildSExt(emitter->builder, value, emitter->types.i64, "");
    default: return value;
    }
}

/* A direct call goes to the symbol's declaration at its declared type; an
 * indirect one through a pointer, at the type the instruction gives. */
static void llvm_call(LlvmEmitter *emitter, const LowInst *inst) {
    LLVMValueRef callee;
    LLVMTypeRef type;
    const LowValue *target = &inst->callee;
    if (target->kind == LOW_VALUE_SYMBOL && emitter->symbol_types[target->index]) {
        callee = emitter->symbols[target->index];
        type = emitter->symbol_types[target->index];
    } else {
        callee = llvm_as_ptr(emitter, llvm_value(emitter, *target));
        type = llvm_function_type(emitter, inst->call_result, inst->arg_types, inst->fixed_args,
                                  inst->fixed_args < inst->arg_count);
    }
    LLVMValueRef *args = ARENA_NEW_ARRAY(&emitter->arena, LLVMValueRef, inst->arg_count + 1);
    for (int i = 0; i < inst->arg_count; i++)
        args[i] = llvm_argument(emitter, inst->args[i], inst->arg_types[i]);
    LLVMValueRef call =
        LLVMBuildCall2(emitter->builder, type, callee, args, (unsigned)inst->arg_count, "");
    llvm_signature_attributes(emitter, call, true, inst->call_result, inst->arg_types,
                              inst->fixed_args);
    if (inst->call_result != LOW_VOID)
        llvm_set_reg(emitter, inst->result, llvm_widen(emitter, call, inst->call_result));
}

static void llvm_emit_inst(LlvmEmitter *emitter, const LowInst *inst) {
    switch (inst->opcode) {
    case LOW_COPY:
        /* A copy of nothing (an undefined flow value) leaves the register. */
        if (inst->args[0].kind != LOW_VALUE_NONE)
            llvm_set_reg(emitter, inst->result, llvm_value(emitter, inst->args[0]));
        break;
    case LOW_BINARY:
        llvm_set_reg(emitter, inst->result,
                     llvm_binary(emitter, (LowBinop)inst->sub, inst->args[0], inst->args[1]));
        break;
    case LOW_UNARY:
        llvm_set_reg(emitter, inst->result, llvm_unary(emitter, (LowUnop)inst->sub, inst->args[0]));
        break;
    case LOW_SELECT: llvm_set_reg(emitter, inst->result, llvm_select(emitter, inst)); break;
    case LOW_LOAD: llvm_load(emitter, inst); break;
    case LOW_STORE: llvm_store(emitter, inst); break;
    case LOW_CALL: llvm_call(emitter, inst); break;
    case LOW_PRIM: llvm_emit_prim(emitter, inst); break;
    }
}

/* ---- terminators --------------------------------------------------------------- */

/* UNREACHABLE aborts, as the C backend's abort(): a path the lowering
 * proved impossible fails loudly if taken. */
static void llvm_abort(LlvmEmitter *emitter) {
    LLVMTypeRef type = LLVMFunctionType(emitter->types.void_type, NULL, 0, false);
    LLVMValueRef abort_function = llvm_noreturn_helper(emitter, "abort", type);
    LLVMBuildCall2(emitter->builder, type, abort_function, NULL, 0, "");
    LLVMBuildUnreachable(emitter->builder);
}

/* A block without terminator (LOW_TERM_NONE) gets none: LLVM's verifier
 * reports it. */
static void llvm_emit_term(LlvmEmitter *emitter, const LowTerm *term) {
    LLVMBuilderRef builder = emitter->builder;
    LLVMBasicBlockRef *blocks = emitter->blocks;
    switch (term->kind) {
    case LOW_TERM_NONE: break;
    case LOW_TERM_GOTO: LLVMBuildBr(builder, blocks[term->targets[0]]); break;
    case LOW_TERM_BRANCH:
        llvm_branch(emitter, llvm_truth(emitter, llvm_value(emitter, term->value)),
                    blocks[term->targets[0]], blocks[term->targets[1]], term->hint);
        break;
    case LOW_TERM_SWITCH: {
        LLVMValueRef value = llvm_as_int(emitter, llvm_value(emitter, term->value));
        LLVMValueRef jump = LLVMBuildSwitch(builder, value, blocks[term->targets[term->case_count]],
                                            (unsigned)term->case_count);
        for (int i = 0; i < term->case_count; i++)
            LLVMAddCase(jump, llvm_i64(emitter, term->cases[i]), blocks[term->targets[i]]);
        break;
    }
    case LOW_TERM_RETURN:
        if (emitter->func->result == LOW_VOID || term->value.kind == LOW_VALUE_NONE)
            LLVMBuildRetVoid(builder);
        else
            LLVMBuildRet(builder, llvm_coerce(emitter, llvm_value(emitter, term->value),
                                              llvm_type(emitter, emitter->func->result)));
        break;
    case LOW_TERM_UNREACHABLE: llvm_abort(emitter); break;
    }
}

/* ---- functions ----------------------------------------------------------------- */

/* The entry block: the registers' allocas, the parameters stored into
 * theirs.  The other registers start at zero, so that one read on a path
 * that never assigned it (the parallel copies of flow links may move such a
 * register along) holds 0, not an undef that LLVM could make anything of;
 * SROA deletes the stores that nothing reads. */
static void llvm_emit_entry(LlvmEmitter *emitter, const LowFunc *func) {
    LLVMBuilderRef builder = emitter->builder;
    LLVMBasicBlockRef entry =
        LLVMAppendBasicBlockInContext(emitter->context, emitter->function, "entry");
    char name[32];
    for (int b = 0; b < func->blocks.count; b++) {
        snprintf(name, sizeof name, "b%d", b);
        emitter->blocks[b] = llvm_new_block(emitter, name);
    }
    LLVMPositionBuilderAtEnd(builder, entry);
    LLVMSetValueName2(LLVMGetParam(emitter->function, 0), "th", 2);
    for (int r = 0; r < func->regs.count; r++) {
        snprintf(name, sizeof name, "r%d", r);
        LLVMTypeRef type = llvm_type(emitter, func->regs.items[r]);
        emitter->regs[r] = LLVMBuildAlloca(builder, type, name);
    }
    for (int r = 0; r < func->regs.count; r++) {
        LLVMTypeRef type = llvm_type(emitter, func->regs.items[r]);
        LLVMValueRef initial = LLVMConstNull(type);
        if (r < func->param_count) {
            initial = LLVMGetParam(emitter->function, (unsigned)r + 1);
            snprintf(name, sizeof name, "arg%d", r);
            LLVMSetValueName2(initial, name, strlen(name));
        }
        LLVMBuildStore(builder, initial, emitter->regs[r]);
    }
    emitter->entry_jump = LLVMBuildBr(builder, emitter->blocks[0]);
    for (int r = -1; r < func->regs.count; r++)
        llvm_debug_declare_reg(emitter, r, emitter->entry_jump);
}

void llvm_emit_func(LlvmEmitter *emitter, const LowFunc *func) {
    emitter->func = func;
    emitter->function = emitter->symbols[func->symbol];
    emitter->frame_markers = NULL;
    emitter->frame_marker_count = 0;
    emitter->regs = ARENA_NEW_ARRAY(&emitter->arena, LLVMValueRef, func->regs.count + 1);
    emitter->blocks = ARENA_NEW_ARRAY(&emitter->arena, LLVMBasicBlockRef, func->blocks.count + 1);
    llvm_debug_begin_func(emitter, func);
    llvm_emit_entry(emitter, func);
    for (int b = 0; b < func->blocks.count; b++) {
        const LowBlock *block = &func->blocks.items[b];
        LLVMPositionBuilderAtEnd(emitter->builder, emitter->blocks[b]);
        for (int i = 0; i < block->insts.count; i++) {
            llvm_debug_set_pos(emitter, block->insts.items[i].pos);
            llvm_emit_inst(emitter, &block->insts.items[i]);
        }
        llvm_debug_set_pos(emitter, block->term.pos);
        llvm_emit_term(emitter, &block->term);
    }
    llvm_debug_end_func(emitter);
    emitter->func = NULL;
}
