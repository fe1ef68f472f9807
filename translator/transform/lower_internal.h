/* lower_internal.h - the lowering's state and the helpers its files share.
 *
 * One Lower lowers one function at a time; `block` and `op_index` name the
 * flow operation being lowered, whose RtypeOp (lower_low) and TransformOp
 * (lower_decision) say what to emit.  The builder's current block is where
 * the next instruction goes; helpers that branch (checks, exception tests)
 * leave it at the block where the normal path goes on.
 */
#ifndef KILN_LOWER_INTERNAL_H
#define KILN_LOWER_INTERNAL_H

#include "../../rtlib/rt.h"
#include "lower.h"

typedef struct Lower {
    LowBuilder builder;
    LowProgram *program;
    TransformProgram *transform;
    RtypeProgram *rtype;
    const FlowProgram *flow;
    DiagContext *diag;
    /* the function being lowered */
    int func;
    const RtypeFunc *info;
    const FlowGraph *graph;
    int *var_regs;      /* per flow variable: its register */
    int *block_map;     /* per flow block: its low block */
    int *except_blocks; /* per flow block with EXIT_RAISES: the low block of
                         * its exception link (-1 until made) */
    /* the operation being lowered */
    int block;
    int op_index;
    int raise_exit; /* the op's raise exit block, or -1 until made */
} Lower;

/* The operation's rtype choice and transform decision; its annotation. */
const RtypeOp *lower_low(Lower *lower);
const TransformOp *lower_decision(Lower *lower);
const Ann *lower_ann(Lower *lower, FlowValue value);
AnnKind lower_arg_kind(Lower *lower, const FlowOp *op, int index);

/* The register type of a representation. */
LowType lower_type_of_repr(RtypeRepr repr);
/* A flow value at its representation's type.  Constants: int, bool and
 * char are I64, float F64, str a prebuilt str, a function its kfn_N
 * RtFunc; null, void and undef are the I64 0 (see lower_coerce). */
LowValue lower_value(Lower *lower, FlowValue value);
LowValue lower_arg(Lower *lower, const FlowOp *op, int index);
/* A value converted to `type`: a constant 0 becomes null for PTR; I64 and
 * PTR convert by reinterpretation, I64 and F64 by their bits. */
LowValue lower_coerce(Lower *lower, LowValue value, LowType type);
/* A value as a storage word (I64): floats by their bits, references by
 * their address. */
LowValue lower_word(Lower *lower, FlowValue value);
LowValue lower_to_word(Lower *lower, LowValue value);
/* A word converted to the type of the operation's result. */
LowValue lower_from_word(Lower *lower, const FlowOp *op, LowValue word);
/* The register of the operation's result, or -1 (no result or void). */
int lower_result_reg(Lower *lower, const FlowOp *op);
/* Stores `value` (coerced) into the result register; nothing without one. */
void lower_set_result(Lower *lower, const FlowOp *op, LowValue value);

/* The transform's spill set around the current operation. */
void lower_spill(Lower *lower);
void lower_reload(Lower *lower);
/* After an operation that may raise (per lower_decision): when an exception
 * is in flight, go to the raise exit; goes on in a new block. */
void lower_raise_test(Lower *lower);
/* spill, call the runtime function, reload, raise test; the result. */
LowValue lower_call_runtime(Lower *lower, const char *name, int count, ...);
/* The op's raise exit: a traceback entry, then the local handler or a
 * return from the function.  Made on first use. */
int lower_raise_exit(Lower *lower);
/* if (failed) { spill; rt_raise(th, error, format, args...); reload;
 * raise exit }; goes on in a new block.  `format` is a printf format
 * whose arguments are `count` I64 values. */
void lower_check(Lower *lower, LowValue failed, RtError error, const char *format, int count, ...);
/* One more reference on the shadow stack, beyond the spill set (the
 * caller has made room with a SPILL_CHECK), and back. */
void lower_push_root(Lower *lower, LowValue value);
LowValue lower_pop_root(Lower *lower);
/* The symbol of an annotated function (declared before any is lowered:
 * its C signature, the GcThread first, and result). */
int lower_func_symbol(Lower *lower, int func);
/* The code pointer of `object`'s method in vtable kvt_N, by its type id. */
LowValue lower_vtable_entry(Lower *lower, int vtable, LowValue object);
/* The RtValType descriptor kval_N as a value; -1: kval_str. */
LowValue lower_valtype(Lower *lower, int valtype);
/* if (failed) the runtime function `raising` (one that raises: rt_raise_cast,
 * rt_stack_overflow...) with `count` arguments, then the raise exit. */
void lower_check_runtime(Lower *lower, LowValue failed, const char *raising, int count, ...);
/* NullError `what` when the op's first operand may be null (RtypeOp.nullable);
 * a %s in `what` is the operation's name (a field or method). */
void lower_null_check(Lower *lower, const FlowOp *op, const char *what);

/* lower_dict.c: the entry index of `key` in `dict` (annotated `dict_ann`),
 * or -1, by the inline probe loop for int, bool, char and str keys; and
 * the value word of entry `found`.  Neither can collect or raise. */
LowValue lower_dict_find(Lower *lower, LowValue dict, const Ann *dict_ann, FlowValue key);
LowValue lower_dict_value(Lower *lower, LowValue dict, LowValue found);

/* lower_ops.c: the operations of the core (arithmetic, calls, tasks...);
 * lower_data.c: built-ins, methods of built-in types, aggregates, items;
 * lower_object.c: instances, fields, globals, casts. */
void lower_op(Lower *lower, const FlowOp *op);
void lower_builtin(Lower *lower, const FlowOp *op);
void lower_method(Lower *lower, const FlowOp *op);
void lower_aggregate(Lower *lower, const FlowOp *op);
void lower_item(Lower *lower, const FlowOp *op);
void lower_object(Lower *lower, const FlowOp *op);
/* The task invokers a function's TASK operations call (lower_ops.c). */
void lower_task_invokers(Lower *lower);

/* Byte offsets of rtlib's objects (rt.h), for the inline fast paths. */
#define LOWER_OFFSET(type, field) ((int32_t)offsetof(type, field))

#endif
