/* flow_build.h - private to the flow builder (flow_build*.c).
 *
 * The builder works in two phases:
 *   1. flow_build_stmt.c / flow_build_expr.c walk the AST and emit blocks of
 *      operations over *slots*: mutable variables, one per local (a fresh
 *      slot per declaration) and one per temporary.  Links carry no values
 *      yet.  This keeps statement lowering simple: try/catch can split a
 *      block after any raising operation without renaming anything.
 *   2. flow_ssa.c turns slots into SSA variables: a liveness analysis gives
 *      each block the slots live on entry, which become its input variables;
 *      each link passes the values its target needs.  Copies (SAME_AS) are
 *      propagated away during the renaming.
 * Lifetime: a GraphBuilder lives while one graph is built; its vectors are
 * freed by flow_ssa_finish, which copies the result into the program arena.
 */
#ifndef KILN_FLOW_BUILD_H
#define KILN_FLOW_BUILD_H

#include "../common/vec.h"
#include "flow.h"

typedef struct SlotLink {
    int32_t target;
    FlowValue case_value; /* FLOW_EXIT_SWITCH */
    bool is_default;
    int32_t caught_slot; /* exception links: the slot that receives the exception, else -1 */
} SlotLink;

typedef struct SlotBlock {
    Vec(FlowOp) ops; /* args and results name slots (FLOW_VALUE_VAR) */
    FlowExitKind exit_kind;
    FlowValue exitswitch;
    Vec(SlotLink) exits;
    SrcPos pos;
    bool closed;         /* exits are final */
    int32_t fixed_input; /* return/except block: the slot it receives; else -1 */
} SlotBlock;

typedef struct LocalBinding {
    const char *name;
    int32_t slot;
} LocalBinding;

/* What a jump out of a region must do on its way (style: the frames of the
 * handler stack).  CATCH frames route exceptions to a dispatch block;
 * FINALLY frames run the finally body; ATOMIC frames end the transaction. */
typedef enum HandlerKind { HANDLER_CATCH, HANDLER_FINALLY, HANDLER_ATOMIC } HandlerKind;

typedef struct HandlerFrame {
    HandlerKind kind;
    int32_t handler_block;    /* receives exceptions raised in the region */
    int32_t exception_slot;   /* the slot the exception arrives in */
    const Stmt *finally_body; /* HANDLER_FINALLY */
} HandlerFrame;

/* A loop or switch that break (and for loops, continue) can leave. */
typedef struct JumpTarget {
    int32_t break_block;
    int32_t continue_block; /* -1 for a switch */
    int handler_depth;      /* handler frames open when the target was entered */
} JumpTarget;

typedef struct FlowBuilder FlowBuilder;

typedef struct GraphBuilder {
    FlowBuilder *program_builder;
    FlowGraph *graph; /* being built; blocks/vars/consts set by phase 2 */
    Vec(SlotBlock) blocks;
    Vec(FlowVar) slots;
    Vec(FlowConst) consts;
    Vec(LocalBinding) locals; /* innermost last; scopes truncate it */
    Vec(HandlerFrame) handlers;
    Vec(JumpTarget) jumps;
    int32_t current; /* block receiving operations */
    int32_t return_slot;
    int32_t except_slot;
    int32_t this_slot; /* -1 outside methods */
} GraphBuilder;

struct FlowBuilder {
    FlowProgram *program;
    DiagContext *diag;
    InternTable *interns;
    Map global_by_name;             /* name -> global index + 1 */
    Map driver_by_name;             /* name -> jitdriver index + 1 */
    Vec(const Expr *) global_inits; /* per global: its initializer or NULL */
    const char *name_this;
    const char *name_init;
    const char *name_range;
    const char *name_str_builder;
};

/* flow_build_graph.c: blocks, slots, constants and operations */
int32_t gb_new_block(GraphBuilder *builder, SrcPos pos);
int32_t gb_new_slot(GraphBuilder *builder, const char *name, const TypeExpr *type, SrcPos pos);
FlowValue gb_var(int32_t slot);
FlowValue gb_const_int(GraphBuilder *builder, FlowConstKind kind, int64_t value);
FlowValue gb_const_float(GraphBuilder *builder, double value);
FlowValue gb_const_str(GraphBuilder *builder, const char *text, int length);
FlowValue gb_const_simple(GraphBuilder *builder, FlowConstKind kind);
/* The value of a local not assigned yet; str_value names it for messages. */
FlowValue gb_const_undef(GraphBuilder *builder, const char *name);
/* Emits an operation into the current block (opening an unreachable block
 * when there is none); returns its result as a slot value, or a void
 * constant when the operation has no result.  A raising operation inside a
 * handler region ends the block with an exception exit. */
FlowValue gb_emit(GraphBuilder *builder, FlowOpcode opcode, int32_t aux, const char *name,
                  const FlowValue *args, int arg_count, SrcPos pos);
/* slot := value (a SAME_AS that phase 2 propagates away). */
void gb_assign(GraphBuilder *builder, int32_t slot, FlowValue value, SrcPos pos);
void gb_goto(GraphBuilder *builder, int32_t target);
void gb_branch(GraphBuilder *builder, FlowValue condition, int32_t if_false, int32_t if_true);
void gb_enter(GraphBuilder *builder, int32_t block);
bool gb_reachable(const GraphBuilder *builder);
/* Sends `exception` to the innermost handler, or out of the graph. */
void gb_raise(GraphBuilder *builder, FlowValue exception, SrcPos pos);

/* flow_build_expr.c */
FlowValue fb_expr(GraphBuilder *builder, const Expr *expr);
/* A condition as a bool value (adds TRUTH unless the expression is already bool). */
FlowValue fb_condition(GraphBuilder *builder, const Expr *expr);
/* Folds a constant expression (literals, consts, unary minus); false if not constant. */
bool fb_fold_constant(GraphBuilder *builder, const Expr *expr, FlowValue *result);
int32_t fb_lookup_local(const GraphBuilder *builder, const char *name);

/* flow_build_stmt.c */
void fb_stmt(GraphBuilder *builder, const Stmt *stmt);

/* flow_ssa.c: phase 2 */
void flow_ssa_finish(GraphBuilder *builder);

#endif
