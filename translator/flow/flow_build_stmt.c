/* flow_build_stmt.c - phase 1 of the flow builder for statements: scopes,
 * loops, switch, break/continue, return, try/catch/finally, throw and
 * atomic.
 *
 * A jump that leaves try/finally or atomic regions (return, break,
 * continue, an exception with no catch inside) runs each region's exit
 * action on its way: the finally body is emitted again at every such exit,
 * as Java compilers do, so the graphs need no subroutine mechanism. */
#include <string.h>

#include "flow_build.h"

static DiagContext *fb_diag(GraphBuilder *builder) {
    return builder->program_builder->diag;
}

static int32_t fb_declare(GraphBuilder *builder, const char *name, const TypeExpr *type,
                          SrcPos pos) {
    int32_t slot = gb_new_slot(builder, name, type, pos);
    LocalBinding binding = {name, slot};
    vec_push(&builder->locals, binding);
    return slot;
}

static void fb_block(GraphBuilder *builder, const Stmt *stmt) {
    int scope = builder->locals.count;
    for (int i = 0; i < stmt->body_count; i++)
        fb_stmt(builder, stmt->body[i]);
    builder->locals.count = scope;
}

/* A statement in its own scope (a loop body or branch that is not a block). */
static void fb_scoped(GraphBuilder *builder, const Stmt *stmt) {
    int scope = builder->locals.count;
    fb_stmt(builder, stmt);
    builder->locals.count = scope;
}

/* var (a, b) = value; and for (var (a, b) : ...) */
static void fb_unpack(GraphBuilder *builder, const Stmt *stmt, FlowValue value) {
    FlowValue tuple = value;
    gb_emit(builder, FLOW_OP_UNPACK_CHECK, stmt->name_count, NULL, &tuple, 1, stmt->pos);
    for (int i = 0; i < stmt->name_count; i++) {
        FlowValue args[2] = {tuple, gb_const_int(builder, FLOW_CONST_INT, i)};
        FlowValue item = gb_emit(builder, FLOW_OP_GETITEM, 0, NULL, args, 2, stmt->name_pos[i]);
        int32_t slot = fb_declare(builder, stmt->names[i], NULL, stmt->name_pos[i]);
        gb_assign(builder, slot, item, stmt->name_pos[i]);
    }
}

static void fb_var(GraphBuilder *builder, const Stmt *stmt) {
    if (stmt->name_count > 1) {
        fb_unpack(builder, stmt, fb_expr(builder, stmt->expr));
        return;
    }
    /* The initializer is evaluated before the name is in scope: var x = x; reads an outer x. */
    FlowValue value =
        stmt->expr ? fb_expr(builder, stmt->expr) : gb_const_undef(builder, stmt->names[0]);
    int32_t slot = fb_declare(builder, stmt->names[0], stmt->type, stmt->name_pos[0]);
    gb_assign(builder, slot, value, stmt->pos);
}

static void fb_if(GraphBuilder *builder, const Stmt *stmt) {
    FlowValue condition = fb_condition(builder, stmt->expr);
    int32_t then_block = gb_new_block(builder, stmt->then_branch->pos);
    int32_t done = gb_new_block(builder, stmt->pos);
    int32_t else_block = stmt->else_branch ? gb_new_block(builder, stmt->else_branch->pos) : done;
    gb_branch(builder, condition, else_block, then_block);
    gb_enter(builder, then_block);
    fb_scoped(builder, stmt->then_branch);
    gb_goto(builder, done);
    if (stmt->else_branch) {
        gb_enter(builder, else_block);
        fb_scoped(builder, stmt->else_branch);
        gb_goto(builder, done);
    }
    gb_enter(builder, done);
}

static void fb_push_jump(GraphBuilder *builder, int32_t break_block, int32_t continue_block) {
    JumpTarget target = {break_block, continue_block, builder->handlers.count};
    vec_push(&builder->jumps, target);
}

/* while (cond) body */
static void fb_while(GraphBuilder *builder, const Stmt *stmt) {
    int32_t header = gb_new_block(builder, stmt->pos);
    int32_t body = gb_new_block(builder, stmt->then_branch->pos);
    int32_t done = gb_new_block(builder, stmt->pos);
    gb_goto(builder, header);
    gb_enter(builder, header);
    gb_branch(builder, fb_condition(builder, stmt->expr), done, body);
    gb_enter(builder, body);
    fb_push_jump(builder, done, header);
    fb_scoped(builder, stmt->then_branch);
    builder->jumps.count--;
    gb_goto(builder, header);
    gb_enter(builder, done);
}

/* do body while (cond); */
static void fb_do_while(GraphBuilder *builder, const Stmt *stmt) {
    int32_t body = gb_new_block(builder, stmt->then_branch->pos);
    int32_t test = gb_new_block(builder, stmt->expr->pos);
    int32_t done = gb_new_block(builder, stmt->pos);
    gb_goto(builder, body);
    gb_enter(builder, body);
    fb_push_jump(builder, done, test);
    fb_scoped(builder, stmt->then_branch);
    builder->jumps.count--;
    gb_goto(builder, test);
    gb_enter(builder, test);
    gb_branch(builder, fb_condition(builder, stmt->expr), done, body);
    gb_enter(builder, done);
}

/* for (init; cond; step) body */
static void fb_for(GraphBuilder *builder, const Stmt *stmt) {
    int scope = builder->locals.count;
    if (stmt->init) fb_stmt(builder, stmt->init);
    int32_t header = gb_new_block(builder, stmt->pos);
    int32_t body = gb_new_block(builder, stmt->then_branch->pos);
    int32_t step = gb_new_block(builder, stmt->step ? stmt->step->pos : stmt->pos);
    int32_t done = gb_new_block(builder, stmt->pos);
    gb_goto(builder, header);
    gb_enter(builder, header);
    if (stmt->expr)
        gb_branch(builder, fb_condition(builder, stmt->expr), done, body);
    else
        gb_goto(builder, body);
    gb_enter(builder, body);
    fb_push_jump(builder, done, step);
    fb_scoped(builder, stmt->then_branch);
    builder->jumps.count--;
    gb_goto(builder, step);
    gb_enter(builder, step);
    if (stmt->step) fb_expr(builder, stmt->step);
    gb_goto(builder, header);
    gb_enter(builder, done);
    builder->locals.count = scope;
}

/* Binds the loop variable(s) of a for-each to `item` and runs the body. */
static void fb_for_each_body(GraphBuilder *builder, const Stmt *stmt, FlowValue item, int32_t done,
                             int32_t next) {
    int scope = builder->locals.count;
    if (stmt->name_count > 1) {
        fb_unpack(builder, stmt, item);
    } else {
        int32_t slot = fb_declare(builder, stmt->names[0], stmt->type, stmt->name_pos[0]);
        gb_assign(builder, slot, item, stmt->name_pos[0]);
    }
    fb_push_jump(builder, done, next);
    fb_scoped(builder, stmt->then_branch);
    builder->jumps.count--;
    builder->locals.count = scope;
    gb_goto(builder, next);
}

static bool fb_is_range_call(GraphBuilder *builder, const Expr *expr) {
    const char *range = builder->program_builder->name_range;
    return expr->kind == EXPR_CALL && expr->left->kind == EXPR_NAME && expr->left->name == range &&
           fb_lookup_local(builder, range) < 0 &&
           flow_find_graph(builder->program_builder->program, range) < 0;
}

/* A comparison of two values into a fresh temporary. */
static FlowValue fb_compare(GraphBuilder *builder, FlowOpcode opcode, FlowValue left,
                            FlowValue right, SrcPos pos) {
    FlowValue args[2] = {left, right};
    return gb_emit(builder, opcode, 0, NULL, args, 2, pos);
}

/* The last value from which one more step stays inside the range, so that
 * the counter never wraps around: for a positive step, the loop continues
 * while i < end - step, and when end - step would itself wrap (end is
 * within one step of INT_MIN) no second value exists at all. */
static void fb_range_next_limit(GraphBuilder *builder, int32_t next_limit, FlowValue end,
                                FlowValue step, bool ascending, SrcPos pos) {
    FlowValue extreme = gb_const_int(builder, FLOW_CONST_INT, ascending ? INT64_MIN : INT64_MAX);
    FlowValue shifted_args[2] = {extreme, step};
    FlowValue shifted = gb_emit(builder, FLOW_OP_ADD, 0, NULL, shifted_args, 2, pos);
    FlowValue fits = fb_compare(builder, ascending ? FLOW_OP_GE : FLOW_OP_LE, end, shifted, pos);
    int32_t yes = gb_new_block(builder, pos);
    int32_t no = gb_new_block(builder, pos);
    int32_t joined = gb_new_block(builder, pos);
    gb_branch(builder, fits, no, yes);
    gb_enter(builder, yes);
    FlowValue limit_args[2] = {end, step};
    gb_assign(builder, next_limit, gb_emit(builder, FLOW_OP_SUB, 0, NULL, limit_args, 2, pos), pos);
    gb_goto(builder, joined);
    gb_enter(builder, no);
    gb_assign(builder, next_limit, extreme, pos);
    gb_goto(builder, joined);
    gb_enter(builder, joined);
}

/* Whether the counter `value` is still before `limit` in the step's direction. */
static FlowValue fb_range_before(GraphBuilder *builder, FlowValue value, FlowValue limit,
                                 FlowValue step, int32_t ascending_slot, SrcPos pos) {
    if (step.kind == FLOW_VALUE_CONST) {
        bool ascending = builder->consts.items[step.index].int_value > 0;
        return fb_compare(builder, ascending ? FLOW_OP_LT : FLOW_OP_GT, value, limit, pos);
    }
    int32_t result = gb_new_slot(builder, NULL, NULL, pos);
    int32_t up = gb_new_block(builder, pos);
    int32_t down = gb_new_block(builder, pos);
    int32_t joined = gb_new_block(builder, pos);
    gb_branch(builder, gb_var(ascending_slot), down, up);
    gb_enter(builder, up);
    gb_assign(builder, result, fb_compare(builder, FLOW_OP_LT, value, limit, pos), pos);
    gb_goto(builder, joined);
    gb_enter(builder, down);
    gb_assign(builder, result, fb_compare(builder, FLOW_OP_GT, value, limit, pos), pos);
    gb_goto(builder, joined);
    gb_enter(builder, joined);
    return gb_var(result);
}

/* for (var i : range(a, b, step)) lowers to a counting loop with no
 * iterator.  The bounds are read once, before the loop, as in Python:
 *     i = a; if (!(i < b)) goto done;
 *   body: x = i; BODY
 *   next: if (!(i < next_limit)) goto done; i += step; goto body
 * (with > for a negative step); next_limit keeps i + step from wrapping. */
static void fb_for_range(GraphBuilder *builder, const Stmt *stmt) {
    const Expr *call = stmt->expr;
    SrcPos pos = call->pos;
    if (call->arg_count < 1 || call->arg_count > 3) {
        diag_error(fb_diag(builder), pos, "range() takes 1 to 3 arguments, got %d",
                   call->arg_count);
        return;
    }
    FlowValue start = call->arg_count >= 2 ? fb_expr(builder, call->args[0])
                                           : gb_const_int(builder, FLOW_CONST_INT, 0);
    FlowValue end = fb_expr(builder, call->args[call->arg_count >= 2 ? 1 : 0]);
    FlowValue step = gb_const_int(builder, FLOW_CONST_INT, 1);
    if (call->arg_count == 3) {
        FlowValue folded;
        if (fb_fold_constant(builder, call->args[2], &folded) &&
            builder->consts.items[folded.index].kind == FLOW_CONST_INT) {
            step = folded;
            if (builder->consts.items[folded.index].int_value == 0)
                diag_error(fb_diag(builder), call->args[2]->pos, "range() step must not be zero");
        } else {
            step = fb_expr(builder, call->args[2]);
            gb_emit(builder, FLOW_OP_CALL_BUILTIN, FLOW_BUILTIN_RANGE_CHECK, NULL, &step, 1,
                    call->args[2]->pos);
        }
    }
    int32_t counter = gb_new_slot(builder, NULL, NULL, pos);
    int32_t limit = gb_new_slot(builder, NULL, NULL, pos);
    int32_t next_limit = gb_new_slot(builder, NULL, NULL, pos);
    int32_t ascending = -1;
    gb_assign(builder, counter, start, pos);
    gb_assign(builder, limit, end, pos);
    if (step.kind == FLOW_VALUE_CONST) {
        fb_range_next_limit(builder, next_limit, gb_var(limit), step,
                            builder->consts.items[step.index].int_value > 0, pos);
    } else {
        int32_t stride = gb_new_slot(builder, NULL, NULL, pos);
        gb_assign(builder, stride, step, pos);
        step = gb_var(stride);
        ascending = gb_new_slot(builder, NULL, NULL, pos);
        gb_assign(
            builder, ascending,
            fb_compare(builder, FLOW_OP_GT, step, gb_const_int(builder, FLOW_CONST_INT, 0), pos),
            pos);
        int32_t up = gb_new_block(builder, pos);
        int32_t down = gb_new_block(builder, pos);
        int32_t joined = gb_new_block(builder, pos);
        gb_branch(builder, gb_var(ascending), down, up);
        gb_enter(builder, up);
        fb_range_next_limit(builder, next_limit, gb_var(limit), step, true, pos);
        gb_goto(builder, joined);
        gb_enter(builder, down);
        fb_range_next_limit(builder, next_limit, gb_var(limit), step, false, pos);
        gb_goto(builder, joined);
        gb_enter(builder, joined);
    }
    int32_t body = gb_new_block(builder, stmt->then_branch->pos);
    int32_t next = gb_new_block(builder, stmt->pos);
    int32_t done = gb_new_block(builder, stmt->pos);
    gb_branch(builder,
              fb_range_before(builder, gb_var(counter), gb_var(limit), step, ascending, pos), done,
              body);
    gb_enter(builder, body);
    fb_for_each_body(builder, stmt, gb_var(counter), done, next);
    gb_enter(builder, next);
    int32_t advance = gb_new_block(builder, stmt->pos);
    gb_branch(builder,
              fb_range_before(builder, gb_var(counter), gb_var(next_limit), step, ascending, pos),
              done, advance);
    gb_enter(builder, advance);
    FlowValue args[2] = {gb_var(counter), step};
    gb_assign(builder, counter, gb_emit(builder, FLOW_OP_ADD, 0, NULL, args, 2, pos), pos);
    gb_goto(builder, body);
    gb_enter(builder, done);
}

/* for (var x : iterable) body */
static void fb_for_each(GraphBuilder *builder, const Stmt *stmt) {
    if (fb_is_range_call(builder, stmt->expr)) {
        fb_for_range(builder, stmt);
        return;
    }
    FlowValue iterable = fb_expr(builder, stmt->expr);
    int32_t iterator = gb_new_slot(builder, NULL, NULL, stmt->expr->pos);
    gb_assign(builder, iterator,
              gb_emit(builder, FLOW_OP_ITER, 0, NULL, &iterable, 1, stmt->expr->pos),
              stmt->expr->pos);
    int32_t header = gb_new_block(builder, stmt->pos);
    int32_t body = gb_new_block(builder, stmt->then_branch->pos);
    int32_t done = gb_new_block(builder, stmt->pos);
    gb_goto(builder, header);
    gb_enter(builder, header);
    FlowValue it = gb_var(iterator);
    gb_branch(builder, gb_emit(builder, FLOW_OP_ITER_HAS, 0, NULL, &it, 1, stmt->pos), done, body);
    gb_enter(builder, body);
    FlowValue item = gb_emit(builder, FLOW_OP_ITER_NEXT, 0, NULL, &it, 1, stmt->pos);
    fb_for_each_body(builder, stmt, item, done, header);
    gb_enter(builder, done);
}

static bool fb_same_constant(const GraphBuilder *builder, FlowValue left, FlowValue right) {
    const FlowConst *a = &builder->consts.items[left.index];
    const FlowConst *b = &builder->consts.items[right.index];
    if (a->kind != b->kind) return false;
    if (a->kind == FLOW_CONST_STR)
        return a->str_length == b->str_length &&
               memcmp(a->str_value, b->str_value, (size_t)a->str_length) == 0;
    if (a->kind == FLOW_CONST_FLOAT) return a->float_value == b->float_value;
    return a->int_value == b->int_value;
}

/* switch (e) { case K1, K2: ... default: ... } without fall-through. */
static void fb_switch(GraphBuilder *builder, const Stmt *stmt) {
    FlowValue subject = fb_expr(builder, stmt->expr);
    int32_t done = gb_new_block(builder, stmt->pos);
    if (!gb_reachable(builder)) builder->current = gb_new_block(builder, stmt->pos);
    int32_t dispatch = builder->current;
    builder->current = -1;
    Vec(FlowValue) seen = {0};
    int32_t default_block = done;
    for (int i = 0; i < stmt->case_count; i++) {
        const SwitchCase *switch_case = &stmt->cases[i];
        int32_t body = gb_new_block(builder, switch_case->pos);
        if (switch_case->value_count == 0) {
            if (default_block != done)
                diag_error(fb_diag(builder), switch_case->pos, "switch has more than one default");
            default_block = body;
        }
        for (int j = 0; j < switch_case->value_count; j++) {
            FlowValue label;
            const Expr *expr = switch_case->values[j];
            if (!fb_fold_constant(builder, expr, &label)) {
                diag_error(fb_diag(builder), expr->pos,
                           "case label must be a constant (a literal or a const)");
                continue;
            }
            for (int k = 0; k < seen.count; k++)
                if (fb_same_constant(builder, seen.items[k], label))
                    diag_error(fb_diag(builder), expr->pos, "duplicate case label");
            vec_push(&seen, label);
            SlotLink link = {.target = body, .case_value = label, .caught_slot = -1};
            vec_push(&builder->blocks.items[dispatch].exits, link);
        }
        gb_enter(builder, body);
        fb_push_jump(builder, done, -1);
        int scope = builder->locals.count;
        for (int j = 0; j < switch_case->body_count; j++)
            fb_stmt(builder, switch_case->body[j]);
        builder->locals.count = scope;
        builder->jumps.count--;
        gb_goto(builder, done);
    }
    vec_free(&seen);
    SlotBlock *block = &builder->blocks.items[dispatch];
    SlotLink fallback = {.target = default_block, .is_default = true, .caught_slot = -1};
    vec_push(&block->exits, fallback);
    block->exitswitch = subject;
    block->exit_kind = FLOW_EXIT_SWITCH;
    block->closed = true;
    gb_enter(builder, done);
}

/* Emits the exit actions of the handler frames above `depth`, innermost
 * first, each with only the frames outside it active. */
static void fb_unwind_to(GraphBuilder *builder, int depth) {
    int count = builder->handlers.count;
    if (count <= depth) return;
    HandlerFrame *saved = kiln_xmalloc(sizeof(HandlerFrame) * (size_t)count);
    memcpy(saved, builder->handlers.items, sizeof(HandlerFrame) * (size_t)count);
    for (int i = count - 1; i >= depth && gb_reachable(builder); i--) {
        builder->handlers.count = i;
        if (saved[i].kind == HANDLER_FINALLY)
            fb_scoped(builder, saved[i].finally_body);
        else if (saved[i].kind == HANDLER_ATOMIC)
            gb_emit(builder, FLOW_OP_ATOMIC_END, 0, NULL, NULL, 0, saved[i].finally_body->pos);
    }
    /* Frames pushed while emitting overwrote nothing we need: restore. */
    vec_reserve(&builder->handlers, count);
    memcpy(builder->handlers.items, saved, sizeof(HandlerFrame) * (size_t)count);
    builder->handlers.count = count;
    free(saved);
}

static void fb_jump(GraphBuilder *builder, const Stmt *stmt) {
    bool is_break = stmt->kind == STMT_BREAK;
    for (int i = builder->jumps.count - 1; i >= 0; i--) {
        JumpTarget target = builder->jumps.items[i];
        int32_t destination = is_break ? target.break_block : target.continue_block;
        if (destination < 0) continue; /* continue passes through a switch */
        fb_unwind_to(builder, target.handler_depth);
        gb_goto(builder, destination);
        return;
    }
    diag_error(fb_diag(builder), stmt->pos,
               is_break ? "'break' outside a loop or switch" : "'continue' outside a loop");
}

static void fb_return(GraphBuilder *builder, const Stmt *stmt) {
    FlowValue value =
        stmt->expr ? fb_expr(builder, stmt->expr) : gb_const_simple(builder, FLOW_CONST_VOID);
    if (builder->handlers.count > 0) { /* a finally body may reassign what we return */
        int32_t saved = gb_new_slot(builder, NULL, NULL, stmt->pos);
        gb_assign(builder, saved, value, stmt->pos);
        value = gb_var(saved);
        fb_unwind_to(builder, 0);
    }
    gb_assign(builder, builder->return_slot, value, stmt->pos);
    gb_goto(builder, builder->graph->return_block);
}

static int32_t fb_push_handler(GraphBuilder *builder, HandlerKind kind, const Stmt *body,
                               SrcPos pos) {
    HandlerFrame frame = {kind, gb_new_block(builder, pos), gb_new_slot(builder, NULL, NULL, pos),
                          body};
    vec_push(&builder->handlers, frame);
    return builder->handlers.count - 1;
}

/* The dispatch block of a try's catch clauses: test each class in order. */
static void fb_catch_dispatch(GraphBuilder *builder, const Stmt *stmt, HandlerFrame frame,
                              int32_t done) {
    FlowValue exception = gb_var(frame.exception_slot);
    gb_enter(builder, frame.handler_block);
    for (int i = 0; i < stmt->catch_count; i++) {
        const CatchClause *clause = &stmt->catches[i];
        int class_index = flow_find_class(builder->program_builder->program, clause->class_name);
        if (class_index < 0) {
            diag_error(fb_diag(builder), clause->class_pos, "unknown class '%s'",
                       clause->class_name);
            continue;
        }
        if (!builder->program_builder->program->classes[class_index].is_exception)
            diag_error(fb_diag(builder), clause->class_pos,
                       "cannot catch '%s': it is not a subclass of Exception", clause->class_name);
        FlowValue matches =
            gb_emit(builder, FLOW_OP_IS_INSTANCE, class_index, NULL, &exception, 1, clause->pos);
        int32_t body = gb_new_block(builder, clause->pos);
        int32_t next = gb_new_block(builder, clause->pos);
        gb_branch(builder, matches, next, body);
        gb_enter(builder, body);
        int scope = builder->locals.count;
        if (clause->var_name) {
            int32_t slot = fb_declare(builder, clause->var_name, NULL, clause->pos);
            gb_assign(builder, slot, exception, clause->pos);
        }
        fb_stmt(builder, clause->body);
        builder->locals.count = scope;
        gb_goto(builder, done);
        gb_enter(builder, next);
    }
    gb_raise(builder, exception, stmt->pos); /* no clause matched */
}

static void fb_try(GraphBuilder *builder, const Stmt *stmt) {
    const Stmt *finally_body = stmt->else_branch;
    int32_t done = gb_new_block(builder, stmt->pos);
    int finally_depth = -1;
    if (finally_body)
        finally_depth = fb_push_handler(builder, HANDLER_FINALLY, finally_body, finally_body->pos);
    if (stmt->catch_count > 0) {
        int catch_depth = fb_push_handler(builder, HANDLER_CATCH, NULL, stmt->pos);
        fb_scoped(builder, stmt->then_branch);
        HandlerFrame frame = builder->handlers.items[catch_depth];
        builder->handlers.count = catch_depth;
        gb_goto(builder, done);
        fb_catch_dispatch(builder, stmt, frame, done);
    } else {
        fb_scoped(builder, stmt->then_branch);
        gb_goto(builder, done);
    }
    if (finally_body) {
        HandlerFrame frame = builder->handlers.items[finally_depth];
        builder->handlers.count = finally_depth;
        gb_enter(builder, frame.handler_block); /* exceptional path: run, then re-raise */
        fb_scoped(builder, finally_body);
        gb_raise(builder, gb_var(frame.exception_slot), finally_body->pos);
        gb_enter(builder, done); /* normal path */
        fb_scoped(builder, finally_body);
    } else {
        gb_enter(builder, done);
    }
}

static void fb_atomic(GraphBuilder *builder, const Stmt *stmt) {
    gb_emit(builder, FLOW_OP_ATOMIC_BEGIN, 0, NULL, NULL, 0, stmt->pos);
    int depth = fb_push_handler(builder, HANDLER_ATOMIC, stmt, stmt->pos);
    fb_scoped(builder, stmt->then_branch);
    HandlerFrame frame = builder->handlers.items[depth];
    builder->handlers.count = depth;
    gb_emit(builder, FLOW_OP_ATOMIC_END, 0, NULL, NULL, 0, stmt->pos);
    int32_t done = gb_new_block(builder, stmt->pos);
    gb_goto(builder, done);
    gb_enter(builder, frame.handler_block); /* an exception ends the transaction too */
    gb_emit(builder, FLOW_OP_ATOMIC_END, 0, NULL, NULL, 0, stmt->pos);
    gb_raise(builder, gb_var(frame.exception_slot), stmt->pos);
    gb_enter(builder, done);
}

/* throw e: e is checked to be an Exception first, so that a wrong value
 * raises TypeError where it is thrown, inside the same try. */
static void fb_throw(GraphBuilder *builder, const Stmt *stmt) {
    FlowValue value = fb_expr(builder, stmt->expr);
    int exception_class = builder->program_builder->program->exception_class;
    if (exception_class >= 0)
        value = gb_emit(builder, FLOW_OP_CAST, exception_class, NULL, &value, 1, stmt->expr->pos);
    gb_raise(builder, value, stmt->pos);
}

void fb_stmt(GraphBuilder *builder, const Stmt *stmt) {
    switch (stmt->kind) {
    case STMT_BLOCK: fb_block(builder, stmt); break;
    case STMT_VAR: fb_var(builder, stmt); break;
    case STMT_EXPR: fb_expr(builder, stmt->expr); break;
    case STMT_IF: fb_if(builder, stmt); break;
    case STMT_WHILE: fb_while(builder, stmt); break;
    case STMT_DO_WHILE: fb_do_while(builder, stmt); break;
    case STMT_FOR: fb_for(builder, stmt); break;
    case STMT_FOR_EACH: fb_for_each(builder, stmt); break;
    case STMT_SWITCH: fb_switch(builder, stmt); break;
    case STMT_BREAK:
    case STMT_CONTINUE: fb_jump(builder, stmt); break;
    case STMT_RETURN: fb_return(builder, stmt); break;
    case STMT_THROW: fb_throw(builder, stmt); break;
    case STMT_TRY: fb_try(builder, stmt); break;
    case STMT_ATOMIC: fb_atomic(builder, stmt); break;
    case STMT_EMPTY: break;
    }
}
