/* llvm_prim.c - the runtime's inline primitives (LowPrim) as IR.
 *
 * Each primitive is the IR of one inline function or macro of stm_gc/gc.h
 * or rtlib/rt.h, in its non-STM form, with the same fast path, slow-path
 * call and branch weights (GC_LIKELY / RT_UNLIKELY become branch weights).
 * Offsets, masks and limits come from those headers at kiln's compile time
 * (offsetof and their macros), so the IR follows the runtime's layout.
 * Primitives with a slow path add blocks; they leave the builder at the
 * end of the block where the normal path goes on.  FRAME_ADDRESS and the
 * frame STACK_CHECK compares are the function's frame marker instead of
 * __builtin_frame_address(0): llvm_frame_marker (llvm_func.c) says why
 * (a sanitized STACK_CHECK excepted: llvm_prim_stack_check).
 */
#include <stddef.h>
#include <string.h>

#include "../../rtlib/rt.h"
#include "llvm_internal.h"

/* gc_round_size rounds object sizes up to whole words. */
enum { LLVM_GC_WORD = sizeof(GcHeader) };

static LLVMValueRef llvm_thread(LlvmEmitter *emitter) {
    return LLVMGetParam(emitter->function, 0);
}

/* base + offset bytes (an offset inside the object base points to). */
static LLVMValueRef llvm_field(LlvmEmitter *emitter, LLVMValueRef base, size_t offset) {
    if (offset == 0) return base;
    LLVMValueRef index = llvm_i64(emitter, (int64_t)offset);
    return LLVMBuildInBoundsGEP2(emitter->builder, emitter->types.i8, base, &index, 1, "");
}

static LLVMValueRef llvm_load_field(LlvmEmitter *emitter, LLVMTypeRef type, LLVMValueRef base,
                                    size_t offset) {
    return LLVMBuildLoad2(emitter->builder, type, llvm_field(emitter, base, offset), "");
}

static void llvm_store_field(LlvmEmitter *emitter, LLVMValueRef value, LLVMValueRef base,
                             size_t offset) {
    LLVMBuildStore(emitter->builder, value, llvm_field(emitter, base, offset));
}

static LLVMValueRef llvm_arg(LlvmEmitter *emitter, const LowInst *inst, int index) {
    return llvm_value(emitter, inst->args[index]);
}

/* Calls a runtime helper of the given type. */
static LLVMValueRef llvm_call_helper(LlvmEmitter *emitter, const char *name, LLVMTypeRef type,
                                     LLVMValueRef *args, unsigned count) {
    LLVMValueRef function = llvm_helper(emitter, name, type);
    return LLVMBuildCall2(emitter->builder, type, function, args, count, "");
}

static LLVMValueRef llvm_intrinsic(LlvmEmitter *emitter, const char *name, LLVMTypeRef overload,
                                   LLVMTypeRef *type) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    KILN_ASSERT(id != 0, "the intrinsic exists in LLVM 19");
    *type = LLVMIntrinsicGetType(emitter->context, id, &overload, 1);
    return LLVMGetIntrinsicDeclaration(emitter->module, id, &overload, 1);
}

/* The address of this thread's rt_thread.  rt_thread is rtlib's
 * _Thread_local RtThread, declared here as opaque bytes of its size; its
 * address goes through llvm.threadlocal.address, as clang's accesses do,
 * so that it is never reused across a point where the thread could
 * change. */
static LLVMValueRef llvm_rt_thread(LlvmEmitter *emitter) {
    LLVMValueRef global = LLVMGetNamedGlobal(emitter->module, "rt_thread");
    if (!global) {
        LLVMTypeRef bytes = LLVMArrayType2(emitter->types.i8, sizeof(RtThread));
        global = LLVMAddGlobal(emitter->module, bytes, "rt_thread");
        LLVMSetThreadLocal(global, true);
        LLVMSetAlignment(global, _Alignof(RtThread));
    }
    LLVMTypeRef type;
    LLVMValueRef address =
        llvm_intrinsic(emitter, "llvm.threadlocal.address", emitter->types.ptr, &type);
    return LLVMBuildCall2(emitter->builder, type, address, &global, 1, "");
}

/* if (condition) { slow path }, the condition unlikely (GC_UNLIKELY); the
 * builder is left in the slow-path block, whose end must jump to the
 * returned block (llvm_end_slow). */
static LLVMBasicBlockRef llvm_begin_slow(LlvmEmitter *emitter, LLVMValueRef condition,
                                         const char *name) {
    LLVMBasicBlockRef slow = llvm_new_block(emitter, name);
    LLVMBasicBlockRef done = llvm_new_block(emitter, "");
    llvm_branch(emitter, condition, slow, done, LOW_HINT_UNLIKELY);
    LLVMPositionBuilderAtEnd(emitter->builder, slow);
    return done;
}

static void llvm_end_slow(LlvmEmitter *emitter, LLVMBasicBlockRef done) {
    LLVMBuildBr(emitter->builder, done);
    LLVMPositionBuilderAtEnd(emitter->builder, done);
}

static LLVMValueRef llvm_has_flag(LlvmEmitter *emitter, LLVMValueRef header, GcHeader flag) {
    LLVMValueRef mask = LLVMConstInt(emitter->types.i64, flag, false);
    return llvm_truth(emitter, LLVMBuildAnd(emitter->builder, header, mask, ""));
}

/* ---- allocation: gc_alloc ---------------------------------------------------- */

/* gc_round_size: whole words, at least GC_MIN_OBJECT.  A constant size (the
 * descriptor's fixed_size, as lowering gives it) is rounded here by gc.h's
 * own function. */
static LLVMValueRef llvm_round_size(LlvmEmitter *emitter, LLVMValueRef bytes) {
    LLVMBuilderRef builder = emitter->builder;
    if (LLVMIsAConstantInt(bytes))
        return llvm_i64(emitter, (int64_t)gc_round_size(LLVMConstIntGetZExtValue(bytes)));
    KILN_ASSERT(gc_round_size(GC_MIN_OBJECT + 1) == GC_MIN_OBJECT + LLVM_GC_WORD,
                "gc_round_size rounds to whole words");
    LLVMValueRef rounded =
        LLVMBuildAnd(builder, LLVMBuildAdd(builder, bytes, llvm_i64(emitter, LLVM_GC_WORD - 1), ""),
                     llvm_i64(emitter, -(int64_t)LLVM_GC_WORD), "");
    LLVMValueRef small =
        LLVMBuildICmp(builder, LLVMIntULT, rounded, llvm_i64(emitter, GC_MIN_OBJECT), "");
    return LLVMBuildSelect(builder, small, llvm_i64(emitter, GC_MIN_OBJECT), rounded, "");
}

/* result = nursery_free; if the size fits under GC_NURSERY_OBJECT_MAX and
 * in the nursery, bump nursery_free and write the young header (the type
 * id); else gc_alloc_general(th, type_id, size, 0). */
static void llvm_prim_alloc(LlvmEmitter *emitter, const LowInst *inst) {
    LLVMBuilderRef builder = emitter->builder;
    const LlvmTypes *types = &emitter->types;
    LLVMValueRef thread = llvm_thread(emitter);
    LLVMValueRef type_id =
        LLVMBuildTrunc(builder, llvm_as_int(emitter, llvm_arg(emitter, inst, 0)), types->i32, "");
    LLVMValueRef size = llvm_round_size(emitter, llvm_as_int(emitter, llvm_arg(emitter, inst, 1)));
    LLVMValueRef start =
        llvm_load_field(emitter, types->ptr, thread, offsetof(GcThread, nursery_free));
    LLVMValueRef top =
        llvm_load_field(emitter, types->ptr, thread, offsetof(GcThread, nursery_top));
    LLVMValueRef room = LLVMBuildSub(builder, LLVMBuildPtrToInt(builder, top, types->i64, ""),
                                     LLVMBuildPtrToInt(builder, start, types->i64, ""), "");
    LLVMValueRef small =
        LLVMBuildICmp(builder, LLVMIntULE, size, llvm_i64(emitter, GC_NURSERY_OBJECT_MAX), "");
    LLVMValueRef fits =
        LLVMBuildAnd(builder, small, LLVMBuildICmp(builder, LLVMIntULE, size, room, ""), "");
    LLVMBasicBlockRef fast = llvm_new_block(emitter, "alloc.fast");
    LLVMBasicBlockRef slow = llvm_new_block(emitter, "alloc.slow");
    LLVMBasicBlockRef done = llvm_new_block(emitter, "alloc.done");
    llvm_branch(emitter, fits, fast, slow, LOW_HINT_LIKELY);

    LLVMPositionBuilderAtEnd(builder, fast);
    LLVMValueRef next = LLVMBuildInBoundsGEP2(builder, types->i8, start, &size, 1, "");
    llvm_store_field(emitter, next, thread, offsetof(GcThread, nursery_free));
    LLVMBuildStore(builder, LLVMBuildZExt(builder, type_id, types->i64, ""), start);
    LLVMBuildBr(builder, done);

    LLVMPositionBuilderAtEnd(builder, slow);
    LLVMTypeRef params[4] = {types->ptr, types->i32, types->i64, types->i64};
    LLVMValueRef args[4] = {thread, type_id, size, llvm_i64(emitter, 0)};
    LLVMValueRef general = llvm_call_helper(
        emitter, "gc_alloc_general", LLVMFunctionType(types->ptr, params, 4, false), args, 4);
    LLVMBuildBr(builder, done);

    LLVMPositionBuilderAtEnd(builder, done);
    LLVMValueRef result = LLVMBuildPhi(builder, types->ptr, "");
    LLVMValueRef incoming[2] = {start, general};
    LLVMBasicBlockRef from[2] = {fast, slow};
    LLVMAddIncoming(result, incoming, from, 2);
    llvm_set_reg(emitter, inst->result, result);
}

/* ---- write barriers ------------------------------------------------------------- */

/* gc_write_barrier: the slow path when the header has GC_FLAG_WRITE_BARRIER. */
static void llvm_prim_write_barrier(LlvmEmitter *emitter, const LowInst *inst) {
    const LlvmTypes *types = &emitter->types;
    LLVMValueRef object = llvm_as_ptr(emitter, llvm_arg(emitter, inst, 0));
    LLVMValueRef header = LLVMBuildLoad2(emitter->builder, types->i64, object, "");
    LLVMBasicBlockRef done = llvm_begin_slow(
        emitter, llvm_has_flag(emitter, header, GC_FLAG_WRITE_BARRIER), "barrier.slow");
    LLVMTypeRef params[2] = {types->ptr, types->ptr};
    LLVMValueRef args[2] = {llvm_thread(emitter), object};
    llvm_call_helper(emitter, "gc_write_barrier_slow",
                     LLVMFunctionType(types->void_type, params, 2, false), args, 2);
    llvm_end_slow(emitter, done);
}

/* gc_write_barrier_array: when the header has GC_FLAG_WRITE_BARRIER, an
 * array with cards whose card for `index` is already marked needs nothing;
 * otherwise gc_write_barrier_array_slow.  The card byte is read only when
 * the array has cards (GC_FLAG_HAS_CARDS): others have none before them. */
static void llvm_prim_array_barrier(LlvmEmitter *emitter, const LowInst *inst) {
    LLVMBuilderRef builder = emitter->builder;
    const LlvmTypes *types = &emitter->types;
    LLVMValueRef array = llvm_as_ptr(emitter, llvm_arg(emitter, inst, 0));
    LLVMValueRef index = llvm_as_int(emitter, llvm_arg(emitter, inst, 1));
    LLVMValueRef header = LLVMBuildLoad2(builder, types->i64, array, "");
    LLVMBasicBlockRef done = llvm_begin_slow(
        emitter, llvm_has_flag(emitter, header, GC_FLAG_WRITE_BARRIER), "barrier.array");
    LLVMBasicBlockRef card = llvm_new_block(emitter, "barrier.card");
    LLVMBasicBlockRef slow = llvm_new_block(emitter, "barrier.slow");
    LLVMBuildCondBr(builder, llvm_has_flag(emitter, header, GC_FLAG_HAS_CARDS), card, slow);

    /* gc_card_of: (uint8_t *)array - 1 - (index >> GC_CARD_SHIFT) */
    LLVMPositionBuilderAtEnd(builder, card);
    LLVMValueRef shifted = LLVMBuildAShr(builder, index, llvm_i64(emitter, GC_CARD_SHIFT), "");
    LLVMValueRef offset = LLVMBuildSub(builder, llvm_i64(emitter, -1), shifted, "");
    LLVMValueRef card_address = LLVMBuildGEP2(builder, types->i8, array, &offset, 1, "");
    LLVMValueRef marked = llvm_truth(emitter, LLVMBuildLoad2(builder, types->i8, card_address, ""));
    LLVMBuildCondBr(builder, marked, done, slow);

    LLVMPositionBuilderAtEnd(builder, slow);
    LLVMTypeRef params[3] = {types->ptr, types->ptr, types->i64};
    LLVMValueRef args[3] = {llvm_thread(emitter), array, index};
    llvm_call_helper(emitter, "gc_write_barrier_array_slow",
                     LLVMFunctionType(types->void_type, params, 3, false), args, 3);
    llvm_end_slow(emitter, done);
}

/* ---- the shadow stack ------------------------------------------------------------- */

static LLVMValueRef llvm_root_top(LlvmEmitter *emitter) {
    return llvm_load_field(emitter, emitter->types.ptr, llvm_thread(emitter),
                           offsetof(GcThread, root_top));
}

/* &th->root_top[slot] (slots are pointers). */
static LLVMValueRef llvm_root_slot(LlvmEmitter *emitter, LLVMValueRef top, LLVMValueRef slot) {
    slot = llvm_as_int(emitter, slot);
    return LLVMBuildGEP2(emitter->builder, emitter->types.ptr, top, &slot, 1, "");
}

/* RT_SPILL_CHECK: gc_shadow_stack_overflow (which does not return) when
 * root_top + count passes root_limit. */
static void llvm_prim_spill_check(LlvmEmitter *emitter, const LowInst *inst) {
    LLVMBuilderRef builder = emitter->builder;
    const LlvmTypes *types = &emitter->types;
    LLVMValueRef thread = llvm_thread(emitter);
    LLVMValueRef end = llvm_root_slot(emitter, llvm_root_top(emitter), llvm_arg(emitter, inst, 0));
    LLVMValueRef limit =
        llvm_load_field(emitter, types->ptr, thread, offsetof(GcThread, root_limit));
    LLVMValueRef over = LLVMBuildICmp(builder, LLVMIntUGT, end, limit, "");
    LLVMBasicBlockRef overflow = llvm_new_block(emitter, "spill.overflow");
    LLVMBasicBlockRef done = llvm_new_block(emitter, "");
    llvm_branch(emitter, over, overflow, done, LOW_HINT_UNLIKELY);
    LLVMPositionBuilderAtEnd(builder, overflow);
    LLVMTypeRef param = types->ptr;
    LLVMTypeRef type = LLVMFunctionType(types->void_type, &param, 1, false);
    LLVMValueRef function = llvm_noreturn_helper(emitter, "gc_shadow_stack_overflow", type);
    LLVMBuildCall2(builder, type, function, &thread, 1, "");
    LLVMBuildUnreachable(builder);
    LLVMPositionBuilderAtEnd(builder, done);
}

static void llvm_prim_root(LlvmEmitter *emitter, const LowInst *inst) {
    LLVMValueRef top = llvm_root_top(emitter);
    LLVMValueRef slot = llvm_root_slot(emitter, top, llvm_arg(emitter, inst, 0));
    switch (inst->sub) {
    case LOW_PRIM_ROOT_STORE:
        LLVMBuildStore(emitter->builder, llvm_arg(emitter, inst, 1), slot);
        break;
    case LOW_PRIM_ROOT_LOAD:
        llvm_set_reg(emitter, inst->result,
                     LLVMBuildLoad2(emitter->builder, emitter->types.ptr, slot, ""));
        break;
    default: /* ROOT_ADJUST: the slot is the new top */
        llvm_store_field(emitter, slot, llvm_thread(emitter), offsetof(GcThread, root_top));
        break;
    }
}

/* ---- exceptions, frames, the C stack ------------------------------------------- */

/* EXCEPTION_PENDING is RT_RAISED() (rt_thread.exception != NULL); CATCH is
 * rt_catch() (take it and clear the slot). */
static void llvm_prim_exception(LlvmEmitter *emitter, const LowInst *inst) {
    LLVMBuilderRef builder = emitter->builder;
    LLVMValueRef slot = llvm_field(emitter, llvm_rt_thread(emitter), offsetof(RtThread, exception));
    LLVMValueRef exception = LLVMBuildLoad2(builder, emitter->types.ptr, slot, "");
    if (inst->sub == LOW_PRIM_CATCH) {
        LLVMBuildStore(builder, LLVMConstNull(emitter->types.ptr), slot);
        llvm_set_reg(emitter, inst->result, exception);
        return;
    }
    LLVMValueRef raised = llvm_truth(emitter, exception);
    llvm_set_reg(emitter, inst->result, LLVMBuildZExt(builder, raised, emitter->types.i64, ""));
}

/* rt_stack_exhausted: the frame (its marker, llvm_frame_marker) is below
 * rt_thread.stack_limit (the C stack grows down).  A sanitized function
 * compares its frame address instead, as rtlib's C does: AddressSanitizer
 * may give the marker, whose address escapes, a slot on its heap-allocated
 * fake stack (ASAN_OPTIONS=detect_stack_use_after_return=1, the default
 * of newer runtimes), which says nothing of the C stack's depth.  The
 * marker stays a frame's identity there: fake slots differ per live frame
 * too. */
static void llvm_prim_stack_check(LlvmEmitter *emitter, const LowInst *inst) {
    LLVMBuilderRef builder = emitter->builder;
    LLVMValueRef frame;
    if (emitter->options->sanitize) {
        LLVMTypeRef type;
        LLVMValueRef address =
            llvm_intrinsic(emitter, "llvm.frameaddress", emitter->types.ptr, &type);
        LLVMValueRef level = llvm_i32(emitter, 0);
        frame = LLVMBuildCall2(builder, type, address, &level, 1, "");
    } else {
        frame = llvm_frame_marker(emitter, 0);
    }
    LLVMValueRef thread_base = llvm_rt_thread(emitter);
    LLVMValueRef limit =
        llvm_load_field(emitter, emitter->types.ptr, thread_base, offsetof(RtThread, stack_limit));
    LLVMValueRef exhausted = LLVMBuildICmp(builder, LLVMIntULT, frame, limit, "");
    llvm_set_reg(emitter, inst->result, LLVMBuildZExt(builder, exhausted, emitter->types.i64, ""));
}

void llvm_emit_prim(LlvmEmitter *emitter, const LowInst *inst) {
    switch ((LowPrim)inst->sub) {
    case LOW_PRIM_ALLOC: llvm_prim_alloc(emitter, inst); break;
    case LOW_PRIM_WRITE_BARRIER: llvm_prim_write_barrier(emitter, inst); break;
    case LOW_PRIM_ARRAY_BARRIER: llvm_prim_array_barrier(emitter, inst); break;
    case LOW_PRIM_TYPE_ID: {
        /* rt_type_of: the header's low bits */
        LLVMValueRef object = llvm_as_ptr(emitter, llvm_arg(emitter, inst, 0));
        LLVMValueRef header = LLVMBuildLoad2(emitter->builder, emitter->types.i64, object, "");
        LLVMValueRef mask = LLVMConstInt(emitter->types.i64, GC_TYPE_ID_MASK, false);
        llvm_set_reg(emitter, inst->result, LLVMBuildAnd(emitter->builder, header, mask, ""));
        break;
    }
    case LOW_PRIM_SPILL_CHECK: llvm_prim_spill_check(emitter, inst); break;
    case LOW_PRIM_ROOT_STORE:
    case LOW_PRIM_ROOT_LOAD:
    case LOW_PRIM_ROOT_ADJUST: llvm_prim_root(emitter, inst); break;
    case LOW_PRIM_EXCEPTION_PENDING:
    case LOW_PRIM_CATCH: llvm_prim_exception(emitter, inst); break;
    case LOW_PRIM_FRAME_ADDRESS:
        llvm_set_reg(emitter, inst->result,
                     llvm_frame_marker(emitter, inst->arg_count > 0 ? (int)inst->args[0].bits : 0));
        break;
    case LOW_PRIM_STACK_CHECK: llvm_prim_stack_check(emitter, inst); break;
    default: kiln_unreachable("a LowPrim");
    }
}
