/* c_internal.h - the C backend's private state, shared by its files. */
#ifndef KILN_C_INTERNAL_H
#define KILN_C_INTERNAL_H

#include <stdio.h>

#include "../common/vec.h"
#include "backend_c.h"

typedef struct CStrConst {
    const char *bytes;
    int length;
} CStrConst;

/* One output file being written. */
typedef struct CEmitter {
    FILE *out; /* the body; string constants are written before it */
    TransformProgram *transform;
    RtypeProgram *rtype;
    const FlowProgram *flow;
    DiagContext *diag;
    bool line_directives;
    Vec(CStrConst) strings; /* this file's static str objects, kstr_N */
    /* the function being written */
    int func;
    const RtypeFunc *info;
    const FlowGraph *graph;
    int block;
    int op_index;
} CEmitter;

extern const char *const c_repr_types[];

/* c_func.c */
void c_emit_function(CEmitter *emitter, int func);
void c_emit_prototype(FILE *out, const RtypeProgram *rtype, int func);
int c_string_const(CEmitter *emitter, const char *bytes, int length);
void c_emit_string_consts(FILE *out, const CEmitter *emitter);
void c_emit_line(CEmitter *emitter, SrcPos pos);
/* c_prebuilt.c: the globals, their prebuilt objects as static data, and
 * kiln_init */
void c_emit_globals(FILE *out, RtypeProgram *rtype, Interp *interp);
/* c_ops.c */
void c_emit_op(CEmitter *emitter, const FlowOp *op);
void c_emit_task_invokers(CEmitter *emitter);
void c_value(CEmitter *emitter, FlowValue value);
void c_emit_spill(CEmitter *emitter);
void c_emit_reload(CEmitter *emitter);
void c_emit_raise_exit(CEmitter *emitter);
void c_emit_word(CEmitter *emitter, FlowValue value);
const TransformOp *c_decision(CEmitter *emitter);
const RtypeOp *c_low(CEmitter *emitter);
void c_emit_call_begin(CEmitter *emitter, const FlowOp *op, bool word_result);
void c_emit_after_call(CEmitter *emitter);
void c_emit_check(CEmitter *emitter, const char *condition, const char *raise);
void c_emit_null_check(CEmitter *emitter, const FlowOp *op, const char *what);
const char *c_from_word(CEmitter *emitter, const FlowOp *op);
void c_emit_args(CEmitter *emitter, const FlowOp *op, int first);
void c_result(CEmitter *emitter, const FlowOp *op);
void c_arg(CEmitter *emitter, const FlowOp *op, int index);
/* c_ops_data.c: built-ins, methods, aggregates, items, objects */
void c_emit_builtin(CEmitter *emitter, const FlowOp *op);
void c_emit_method(CEmitter *emitter, const FlowOp *op);
void c_emit_aggregate(CEmitter *emitter, const FlowOp *op);
void c_emit_item(CEmitter *emitter, const FlowOp *op);
void c_emit_object(CEmitter *emitter, const FlowOp *op);

#endif
