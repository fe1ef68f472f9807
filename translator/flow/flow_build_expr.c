/* flow_build_expr.c - phase 1 of the flow builder for expressions: name
 * resolution, operators, calls, assignment targets and short-circuit logic.
 *
 * Name resolution, innermost first: locals (block scoped), then the single
 * program-wide namespace of globals, consts, functions, classes and
 * jitdrivers, then the built-in functions.  A user definition shadows a
 * built-in of the same name. */
#include <string.h>

#include "flow_build.h"

static DiagContext *fb_diag(GraphBuilder *builder) {
    return builder->program_builder->diag;
}

int32_t fb_lookup_local(const GraphBuilder *builder, const char *name) {
    for (int i = builder->locals.count - 1; i >= 0; i--)
        if (builder->locals.items[i].name == name) return builder->locals.items[i].slot;
    return -1;
}

static int fb_lookup_global(const GraphBuilder *builder, const char *name) {
    intptr_t found =
        (intptr_t)map_get(&builder->program_builder->global_by_name, name, strlen(name));
    return (int)found - 1;
}

/* Edit distance, bounded: names longer than 64 bytes are never suggested. */
static int fb_edit_distance(const char *left, const char *right) {
    size_t left_length = strlen(left), right_length = strlen(right);
    if (left_length > 64 || right_length > 64) return 1000;
    int row[65];
    for (size_t j = 0; j <= right_length; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= left_length; i++) {
        int diagonal = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= right_length; j++) {
            int above = row[j];
            int cost = left[i - 1] == right[j - 1] ? 0 : 1;
            int best = diagonal + cost;
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[right_length];
}

typedef struct Suggestion {
    const char *name;
    int distance;
} Suggestion;

static void fb_consider(Suggestion *best, const char *wanted, const char *candidate) {
    int distance = fb_edit_distance(wanted, candidate);
    int limit = (int)strlen(wanted) / 3 > 1 ? (int)strlen(wanted) / 3 : 1;
    if (distance <= limit && distance < best->distance) {
        best->name = candidate;
        best->distance = distance;
    }
}

static void fb_consider_map(Suggestion *best, const char *wanted, const Map *map) {
    for (MapEntry *entry = map_first(map); entry; entry = map_next(entry))
        fb_consider(best, wanted, map_entry_key(entry));
}

/* The closest visible name, for "did you mean" notes; NULL when none is close. */
static const char *fb_suggest(GraphBuilder *builder, const char *wanted, bool classes_only) {
    Suggestion best = {NULL, 1000};
    FlowBuilder *program_builder = builder->program_builder;
    fb_consider_map(&best, wanted, &program_builder->program->class_by_name);
    if (classes_only) return best.name;
    for (int i = 0; i < builder->locals.count; i++)
        fb_consider(&best, wanted, builder->locals.items[i].name);
    fb_consider_map(&best, wanted, &program_builder->global_by_name);
    fb_consider_map(&best, wanted, &program_builder->program->graph_by_name);
    for (int i = 0; i < FLOW_BUILTIN__COUNT; i++)
        if (i != FLOW_BUILTIN_RANGE_CHECK) fb_consider(&best, wanted, flow_builtin_info[i].name);
    return best.name;
}

static void fb_unknown(GraphBuilder *builder, SrcPos pos, const char *what, const char *name,
                       bool classes_only) {
    diag_error(fb_diag(builder), pos, "unknown %s '%s'", what, name);
    const char *suggestion = fb_suggest(builder, name, classes_only);
    if (suggestion) diag_note(fb_diag(builder), "did you mean '%s'?", suggestion);
}

static FlowValue fb_void(GraphBuilder *builder) {
    return gb_const_simple(builder, FLOW_CONST_VOID);
}

/* Constants fold through other consts; the depth bound stops cycles. */
static bool fb_fold_depth(GraphBuilder *builder, const Expr *expr, FlowValue *result, int depth) {
    if (depth > 64) return false;
    switch (expr->kind) {
    case EXPR_INT: *result = gb_const_int(builder, FLOW_CONST_INT, expr->int_value); return true;
    case EXPR_CHAR: *result = gb_const_int(builder, FLOW_CONST_CHAR, expr->int_value); return true;
    case EXPR_BOOL: *result = gb_const_int(builder, FLOW_CONST_BOOL, expr->int_value); return true;
    case EXPR_FLOAT: *result = gb_const_float(builder, expr->float_value); return true;
    case EXPR_STR: *result = gb_const_str(builder, expr->str_value, expr->str_length); return true;
    case EXPR_NULL: *result = gb_const_simple(builder, FLOW_CONST_NULL); return true;
    case EXPR_UNARY: {
        FlowValue operand;
        if (expr->op != OP_NEG || !fb_fold_depth(builder, expr->left, &operand, depth + 1))
            return false;
        FlowConst constant = builder->consts.items[operand.index];
        if (constant.kind == FLOW_CONST_INT)
            *result =
                gb_const_int(builder, FLOW_CONST_INT, (int64_t)(0 - (uint64_t)constant.int_value));
        else if (constant.kind == FLOW_CONST_FLOAT)
            *result = gb_const_float(builder, -constant.float_value);
        else
            return false;
        return true;
    }
    case EXPR_NAME: {
        if (fb_lookup_local(builder, expr->name) >= 0) return false;
        int global = fb_lookup_global(builder, expr->name);
        if (global < 0 || !builder->program_builder->program->globals[global].is_const)
            return false;
        const Expr *init = builder->program_builder->global_inits.items[global];
        return init && fb_fold_depth(builder, init, result, depth + 1);
    }
    default: return false;
    }
}

bool fb_fold_constant(GraphBuilder *builder, const Expr *expr, FlowValue *result) {
    return fb_fold_depth(builder, expr, result, 0);
}

static FlowValue fb_name(GraphBuilder *builder, const Expr *expr) {
    int32_t slot = fb_lookup_local(builder, expr->name);
    if (slot >= 0) return gb_var(slot);
    FlowBuilder *program_builder = builder->program_builder;
    int global = fb_lookup_global(builder, expr->name);
    if (global >= 0) {
        FlowValue folded;
        if (program_builder->program->globals[global].is_const &&
            fb_fold_constant(builder, expr, &folded))
            return folded;
        return gb_emit(builder, FLOW_OP_GETGLOBAL, global, NULL, NULL, 0, expr->pos);
    }
    int graph = flow_find_graph(program_builder->program, expr->name);
    if (graph >= 0) return gb_const_int(builder, FLOW_CONST_FUNC, graph);
    if (flow_find_class(program_builder->program, expr->name) >= 0)
        diag_error(fb_diag(builder), expr->pos,
                   "class '%s' is not a value; create an instance with 'new %s(...)'", expr->name,
                   expr->name);
    else if (map_get(&program_builder->driver_by_name, expr->name, strlen(expr->name)))
        diag_error(fb_diag(builder), expr->pos,
                   "jitdriver '%s' can only name the driver of a jit hint", expr->name);
    else if (flow_builtin_lookup(expr->name) != FLOW_BUILTIN__COUNT ||
             expr->name == program_builder->name_range)
        diag_error(fb_diag(builder), expr->pos, "built-in '%s' can only be called", expr->name);
    else
        fb_unknown(builder, expr->pos, "name", expr->name, false);
    return fb_void(builder);
}

static FlowOpcode fb_binary_opcode(AstOperator op) {
    switch (op) {
    case OP_ADD: return FLOW_OP_ADD;
    case OP_SUB: return FLOW_OP_SUB;
    case OP_MUL: return FLOW_OP_MUL;
    case OP_DIV: return FLOW_OP_DIV;
    case OP_MOD: return FLOW_OP_MOD;
    case OP_SHL: return FLOW_OP_LSHIFT;
    case OP_SHR: return FLOW_OP_RSHIFT;
    case OP_BIT_AND: return FLOW_OP_BIT_AND;
    case OP_BIT_OR: return FLOW_OP_BIT_OR;
    case OP_BIT_XOR: return FLOW_OP_BIT_XOR;
    case OP_EQ: return FLOW_OP_EQ;
    case OP_NE: return FLOW_OP_NE;
    case OP_LT: return FLOW_OP_LT;
    case OP_LE: return FLOW_OP_LE;
    case OP_GT: return FLOW_OP_GT;
    case OP_GE: return FLOW_OP_GE;
    default: kiln_unreachable("not a binary operator with an opcode");
    }
}

/* left && right, left || right: the result slot is set on both paths. */
static FlowValue fb_short_circuit(GraphBuilder *builder, const Expr *expr) {
    int32_t result = gb_new_slot(builder, NULL, NULL, expr->pos);
    FlowValue left = fb_condition(builder, expr->left);
    gb_assign(builder, result, left, expr->pos);
    int32_t evaluate_right = gb_new_block(builder, expr->pos);
    int32_t done = gb_new_block(builder, expr->pos);
    if (expr->op == OP_AND)
        gb_branch(builder, left, done, evaluate_right);
    else
        gb_branch(builder, left, evaluate_right, done);
    gb_enter(builder, evaluate_right);
    FlowValue right = fb_condition(builder, expr->right);
    gb_assign(builder, result, right, expr->pos);
    gb_goto(builder, done);
    gb_enter(builder, done);
    return gb_var(result);
}

static FlowValue fb_ternary(GraphBuilder *builder, const Expr *expr) {
    int32_t result = gb_new_slot(builder, NULL, NULL, expr->pos);
    FlowValue condition = fb_condition(builder, expr->left);
    int32_t if_true = gb_new_block(builder, expr->right->pos);
    int32_t if_false = gb_new_block(builder, expr->third->pos);
    int32_t done = gb_new_block(builder, expr->pos);
    gb_branch(builder, condition, if_false, if_true);
    gb_enter(builder, if_true);
    gb_assign(builder, result, fb_expr(builder, expr->right), expr->pos);
    gb_goto(builder, done);
    gb_enter(builder, if_false);
    gb_assign(builder, result, fb_expr(builder, expr->third), expr->pos);
    gb_goto(builder, done);
    gb_enter(builder, done);
    return gb_var(result);
}

static bool fb_is_bool_expr(const Expr *expr) {
    switch (expr->kind) {
    case EXPR_BOOL:
    case EXPR_IS: return true;
    case EXPR_UNARY: return expr->op == OP_NOT;
    case EXPR_BINARY:
        return expr->op == OP_AND || expr->op == OP_OR || expr->op == OP_EQ || expr->op == OP_NE ||
               expr->op == OP_LT || expr->op == OP_LE || expr->op == OP_GT || expr->op == OP_GE;
    default: return false;
    }
}

FlowValue fb_condition(GraphBuilder *builder, const Expr *expr) {
    FlowValue value = fb_expr(builder, expr);
    if (fb_is_bool_expr(expr)) return value;
    return gb_emit(builder, FLOW_OP_TRUTH, 0, NULL, &value, 1, expr->pos);
}

static int fb_class_named(GraphBuilder *builder, const char *name, SrcPos pos) {
    int class_index = flow_find_class(builder->program_builder->program, name);
    if (class_index < 0) fb_unknown(builder, pos, "class", name, true);
    return class_index;
}

/* True when evaluating the expression may assign a local. */
static bool fb_expr_assigns(const Expr *expr) {
    if (!expr) return false;
    if (expr->kind == EXPR_ASSIGN || expr->kind == EXPR_INCDEC) return true;
    if (fb_expr_assigns(expr->left) || fb_expr_assigns(expr->right) || fb_expr_assigns(expr->third))
        return true;
    for (int i = 0; i < expr->arg_count; i++)
        if (fb_expr_assigns(expr->args[i])) return true;
    return false;
}

/* A local read is a reference to its slot, which an assignment later in the
 * same expression would change before the operation reads it: copy it then,
 * so operands are evaluated left to right as in C and Python. */
static FlowValue fb_operand(GraphBuilder *builder, const Expr *expr, const Expr *const *later,
                            int later_count) {
    FlowValue value = fb_expr(builder, expr);
    if (value.kind != FLOW_VALUE_VAR || builder->slots.items[value.index].name == NULL)
        return value;
    for (int i = 0; i < later_count; i++) {
        if (fb_expr_assigns(later[i])) {
            int32_t copy = gb_new_slot(builder, NULL, NULL, expr->pos);
            gb_assign(builder, copy, value, expr->pos);
            return gb_var(copy);
        }
    }
    return value;
}

/* Evaluates every argument; `prefix` values (a receiver) come first. */
static FlowValue *fb_arguments(GraphBuilder *builder, const Expr *call, const FlowValue *prefix,
                               int prefix_count, int *count) {
    *count = prefix_count + call->arg_count;
    FlowValue *values = arena_alloc(&builder->program_builder->program->arena,
                                    sizeof(FlowValue) * (size_t)(*count + 1));
    for (int i = 0; i < prefix_count; i++)
        values[i] = prefix[i];
    for (int i = 0; i < call->arg_count; i++)
        values[prefix_count + i] =
            fb_operand(builder, call->args[i], (const Expr *const *)call->args + i + 1,
                       call->arg_count - i - 1);
    return values;
}

/* jit_merge_point(Driver, ...) and can_enter_jit(Driver, ...) */
static FlowValue fb_jit_hint(GraphBuilder *builder, const Expr *call, FlowOpcode opcode) {
    FlowBuilder *program_builder = builder->program_builder;
    const char *hint = call->left->name;
    if (call->arg_count < 1 || call->args[0]->kind != EXPR_NAME) {
        diag_error(fb_diag(builder), call->pos,
                   "the first argument of a jit hint must name a jitdriver");
        return fb_void(builder);
    }
    const char *driver_name = call->args[0]->name;
    intptr_t driver =
        (intptr_t)map_get(&program_builder->driver_by_name, driver_name, strlen(driver_name)) - 1;
    if (driver < 0) {
        diag_error(fb_diag(builder), call->args[0]->pos, "unknown jitdriver '%s'", driver_name);
        return fb_void(builder);
    }
    const FlowJitDriver *jitdriver = &program_builder->program->jitdrivers[driver];
    int expected = jitdriver->green_count + jitdriver->red_count;
    if (call->arg_count - 1 != expected) {
        diag_error(fb_diag(builder), call->pos,
                   "%s(%s, ...) takes %d variables (its greens and reds), got %d", hint,
                   driver_name, expected, call->arg_count - 1);
        return fb_void(builder);
    }
    FlowValue *values =
        arena_alloc(&program_builder->program->arena, sizeof(FlowValue) * (size_t)(expected + 1));
    for (int i = 0; i < expected; i++)
        values[i] = fb_expr(builder, call->args[i + 1]);
    return gb_emit(builder, opcode, (int32_t)driver, NULL, values, expected, call->pos);
}

static bool fb_check_arity(GraphBuilder *builder, const Expr *call, const char *what, int min,
                           int max) {
    int got = call->arg_count;
    if (got >= min && (max < 0 || got <= max)) return true;
    if (min == max)
        diag_error(fb_diag(builder), call->pos, "%s takes %d argument%s, got %d", what, min,
                   min == 1 ? "" : "s", got);
    else if (max < 0)
        diag_error(fb_diag(builder), call->pos, "%s takes at least %d argument%s, got %d", what,
                   min, min == 1 ? "" : "s", got);
    else
        diag_error(fb_diag(builder), call->pos, "%s takes %d to %d arguments, got %d", what, min,
                   max, got);
    return false;
}

/* A call whose callee is a plain name: local, global, function, hint or built-in. */
static FlowValue fb_call_name(GraphBuilder *builder, const Expr *call) {
    FlowBuilder *program_builder = builder->program_builder;
    const char *name = call->left->name;
    int count;
    if (fb_lookup_local(builder, name) >= 0 || fb_lookup_global(builder, name) >= 0) {
        FlowValue callee = fb_name(builder, call->left);
        FlowValue *args = fb_arguments(builder, call, &callee, 1, &count);
        return gb_emit(builder, FLOW_OP_CALL_INDIRECT, 0, NULL, args, count, call->pos);
    }
    int graph = flow_find_graph(program_builder->program, name);
    if (graph >= 0) {
        const FlowGraph *target = program_builder->program->graphs[graph];
        char what[256];
        snprintf(what, sizeof what, "function '%s'", name);
        if (!fb_check_arity(builder, call, what, target->param_count, target->param_count))
            return fb_void(builder);
        FlowValue *args = fb_arguments(builder, call, NULL, 0, &count);
        return gb_emit(builder, FLOW_OP_CALL, graph, NULL, args, count, call->pos);
    }
    if (strcmp(name, "jit_merge_point") == 0)
        return fb_jit_hint(builder, call, FLOW_OP_JIT_MERGE_POINT);
    if (strcmp(name, "can_enter_jit") == 0)
        return fb_jit_hint(builder, call, FLOW_OP_CAN_ENTER_JIT);
    if (strcmp(name, "promote") == 0 || strcmp(name, "we_are_jitted") == 0) {
        bool is_promote = name[0] == 'p';
        if (!fb_check_arity(builder, call, is_promote ? "promote" : "we_are_jitted", is_promote,
                            is_promote))
            return fb_void(builder);
        FlowValue *args = fb_arguments(builder, call, NULL, 0, &count);
        return gb_emit(builder, is_promote ? FLOW_OP_PROMOTE : FLOW_OP_WE_ARE_JITTED, 0, NULL, args,
                       count, call->pos);
    }
    if (name == program_builder->name_range) {
        diag_error(fb_diag(builder), call->pos,
                   "range() can only be iterated by 'for (var x : range(...))'");
        return fb_void(builder);
    }
    FlowBuiltin builtin = flow_builtin_lookup(name);
    if (builtin == FLOW_BUILTIN__COUNT || builtin == FLOW_BUILTIN_RANGE_CHECK) {
        if (flow_find_class(program_builder->program, name) >= 0)
            diag_error(fb_diag(builder), call->pos,
                       "class '%s' is not callable; create an instance with 'new %s(...)'", name,
                       name);
        else
            fb_unknown(builder, call->left->pos, "function", name, false);
        return fb_void(builder);
    }
    const FlowBuiltinInfo *info = &flow_builtin_info[builtin];
    char what[128];
    snprintf(what, sizeof what, "%s()", info->name);
    if (!fb_check_arity(builder, call, what, info->min_args, info->max_args))
        return fb_void(builder);
    FlowValue *args = fb_arguments(builder, call, NULL, 0, &count);
    return gb_emit(builder, FLOW_OP_CALL_BUILTIN, builtin, NULL, args, count, call->pos);
}

static FlowValue fb_call(GraphBuilder *builder, const Expr *call) {
    int count;
    if (call->left->kind == EXPR_NAME) return fb_call_name(builder, call);
    if (call->left->kind == EXPR_MEMBER) {
        FlowValue receiver = fb_expr(builder, call->left->left);
        FlowValue *args = fb_arguments(builder, call, &receiver, 1, &count);
        return gb_emit(builder, FLOW_OP_CALL_METHOD, 0, call->left->name, args, count, call->pos);
    }
    FlowValue callee = fb_expr(builder, call->left);
    FlowValue *args = fb_arguments(builder, call, &callee, 1, &count);
    return gb_emit(builder, FLOW_OP_CALL_INDIRECT, 0, NULL, args, count, call->pos);
}

static FlowValue fb_new(GraphBuilder *builder, const Expr *expr) {
    int count;
    if (expr->name == builder->program_builder->name_str_builder) {
        if (!fb_check_arity(builder, expr, "new StrBuilder", 0, 0)) return fb_void(builder);
        return gb_emit(builder, FLOW_OP_NEWBUILDER, 0, NULL, NULL, 0, expr->pos);
    }
    int class_index = fb_class_named(builder, expr->name, expr->pos);
    if (class_index < 0) return fb_void(builder);
    FlowValue *args = fb_arguments(builder, expr, NULL, 0, &count);
    return gb_emit(builder, FLOW_OP_NEW, class_index, NULL, args, count, expr->pos);
}

static FlowValue fb_aggregate(GraphBuilder *builder, const Expr *expr, FlowOpcode opcode) {
    int count;
    FlowValue *args = fb_arguments(builder, expr, NULL, 0, &count);
    return gb_emit(builder, opcode, 0, NULL, args, count, expr->pos);
}

/* The stored place of an assignment, evaluated once: a local slot, a
 * global, or an object and a field name, or a container and an index. */
typedef struct Place {
    enum { PLACE_LOCAL, PLACE_GLOBAL, PLACE_FIELD, PLACE_ITEM, PLACE_INVALID } kind;
    int32_t index; /* slot or global */
    FlowValue object, key;
    const char *field;
} Place;

static Place fb_place(GraphBuilder *builder, const Expr *target) {
    Place place = {.kind = PLACE_INVALID};
    if (target->kind == EXPR_NAME) {
        int32_t slot = fb_lookup_local(builder, target->name);
        if (slot >= 0) return (Place){.kind = PLACE_LOCAL, .index = slot};
        int global = fb_lookup_global(builder, target->name);
        if (global >= 0 && builder->program_builder->program->globals[global].is_const)
            diag_error(fb_diag(builder), target->pos, "cannot assign to const '%s'", target->name);
        else if (global >= 0)
            return (Place){.kind = PLACE_GLOBAL, .index = global};
        else
            diag_error(fb_diag(builder), target->pos, "cannot assign to '%s': %s", target->name,
                       flow_find_graph(builder->program_builder->program, target->name) >= 0
                           ? "it is a function"
                           : "no variable of that name is declared");
    } else if (target->kind == EXPR_MEMBER) {
        place.kind = PLACE_FIELD;
        place.object = fb_expr(builder, target->left);
        place.field = target->name;
    } else if (target->kind == EXPR_INDEX) {
        place.kind = PLACE_ITEM;
        place.object = fb_expr(builder, target->left);
        place.key = fb_expr(builder, target->right);
    } else {
        diag_error(fb_diag(builder), target->pos,
                   "cannot assign to this expression; expected a variable, field or item");
    }
    return place;
}

static FlowValue fb_place_load(GraphBuilder *builder, const Place *place, SrcPos pos) {
    FlowValue args[2];
    switch (place->kind) {
    case PLACE_LOCAL: return gb_var(place->index);
    case PLACE_GLOBAL: return gb_emit(builder, FLOW_OP_GETGLOBAL, place->index, NULL, NULL, 0, pos);
    case PLACE_FIELD:
        return gb_emit(builder, FLOW_OP_GETATTR, 0, place->field, &place->object, 1, pos);
    case PLACE_ITEM:
        args[0] = place->object;
        args[1] = place->key;
        return gb_emit(builder, FLOW_OP_GETITEM, 0, NULL, args, 2, pos);
    default: return fb_void(builder);
    }
}

static void fb_place_store(GraphBuilder *builder, const Place *place, FlowValue value, SrcPos pos) {
    FlowValue args[3];
    switch (place->kind) {
    case PLACE_LOCAL: gb_assign(builder, place->index, value, pos); break;
    case PLACE_GLOBAL:
        gb_emit(builder, FLOW_OP_SETGLOBAL, place->index, NULL, &value, 1, pos);
        break;
    case PLACE_FIELD:
        args[0] = place->object;
        args[1] = value;
        gb_emit(builder, FLOW_OP_SETATTR, 0, place->field, args, 2, pos);
        break;
    case PLACE_ITEM:
        args[0] = place->object;
        args[1] = place->key;
        args[2] = value;
        gb_emit(builder, FLOW_OP_SETITEM, 0, NULL, args, 3, pos);
        break;
    default: break;
    }
}

static FlowValue fb_binary_op(GraphBuilder *builder, AstOperator op, FlowValue left,
                              FlowValue right, SrcPos pos) {
    FlowValue args[2] = {left, right};
    return gb_emit(builder, fb_binary_opcode(op), 0, NULL, args, 2, pos);
}

static FlowValue fb_assign(GraphBuilder *builder, const Expr *expr) {
    Place place = fb_place(builder, expr->left);
    FlowValue value;
    if (expr->op == OP_ASSIGN) {
        value = fb_expr(builder, expr->right);
    } else {
        FlowValue old = fb_place_load(builder, &place, expr->pos);
        value = fb_binary_op(builder, expr->op, old, fb_expr(builder, expr->right), expr->pos);
    }
    /* A local's value is read back from its slot so `a = b = c` sees the copy. */
    fb_place_store(builder, &place, value, expr->pos);
    return place.kind == PLACE_LOCAL ? gb_var(place.index) : value;
}

static FlowValue fb_incdec(GraphBuilder *builder, const Expr *expr) {
    Place place = fb_place(builder, expr->left);
    FlowValue old = fb_place_load(builder, &place, expr->pos);
    if (place.kind == PLACE_LOCAL) { /* keep the old value: the slot is overwritten */
        int32_t saved = gb_new_slot(builder, NULL, NULL, expr->pos);
        gb_assign(builder, saved, old, expr->pos);
        old = gb_var(saved);
    }
    FlowValue one = gb_const_int(builder, FLOW_CONST_INT, 1);
    FlowValue updated = fb_binary_op(builder, expr->op, old, one, expr->pos);
    fb_place_store(builder, &place, updated, expr->pos);
    return expr->prefix ? updated : old;
}

static FlowValue fb_unary(GraphBuilder *builder, const Expr *expr) {
    FlowValue folded;
    if (expr->op == OP_NEG && fb_fold_constant(builder, expr, &folded)) return folded;
    FlowValue operand = fb_expr(builder, expr->left);
    switch (expr->op) {
    case OP_NEG: return gb_emit(builder, FLOW_OP_NEG, 0, NULL, &operand, 1, expr->pos);
    case OP_INVERT: return gb_emit(builder, FLOW_OP_INVERT, 0, NULL, &operand, 1, expr->pos);
    case OP_NOT: return gb_emit(builder, FLOW_OP_NOT, 0, NULL, &operand, 1, expr->pos);
    default: return operand; /* unary plus */
    }
}

FlowValue fb_expr(GraphBuilder *builder, const Expr *expr) {
    FlowValue value, args[2];
    switch (expr->kind) {
    case EXPR_INT:
    case EXPR_FLOAT:
    case EXPR_CHAR:
    case EXPR_STR:
    case EXPR_BOOL:
    case EXPR_NULL: fb_fold_constant(builder, expr, &value); return value;
    case EXPR_THIS:
        if (builder->this_slot >= 0) return gb_var(builder->this_slot);
        diag_error(fb_diag(builder), expr->pos, "'this' is only available inside a method");
        return fb_void(builder);
    case EXPR_NAME: return fb_name(builder, expr);
    case EXPR_UNARY: return fb_unary(builder, expr);
    case EXPR_BINARY:
        if (expr->op == OP_AND || expr->op == OP_OR) return fb_short_circuit(builder, expr);
        args[0] = fb_operand(builder, expr->left, (const Expr *const *)&expr->right, 1);
        args[1] = fb_expr(builder, expr->right);
        return fb_binary_op(builder, expr->op, args[0], args[1], expr->pos);
    case EXPR_TERNARY: return fb_ternary(builder, expr);
    case EXPR_ASSIGN: return fb_assign(builder, expr);
    case EXPR_INCDEC: return fb_incdec(builder, expr);
    case EXPR_CALL: return fb_call(builder, expr);
    case EXPR_MEMBER:
        value = fb_expr(builder, expr->left);
        return gb_emit(builder, FLOW_OP_GETATTR, 0, expr->name, &value, 1, expr->pos);
    case EXPR_INDEX:
        args[0] = fb_expr(builder, expr->left);
        args[1] = fb_expr(builder, expr->right);
        return gb_emit(builder, FLOW_OP_GETITEM, 0, NULL, args, 2, expr->pos);
    case EXPR_NEW: return fb_new(builder, expr);
    case EXPR_LIST: return fb_aggregate(builder, expr, FLOW_OP_NEWLIST);
    case EXPR_DICT: return fb_aggregate(builder, expr, FLOW_OP_NEWDICT);
    case EXPR_TUPLE: return fb_aggregate(builder, expr, FLOW_OP_NEWTUPLE);
    case EXPR_IS:
    case EXPR_AS: {
        value = fb_expr(builder, expr->left);
        int class_index = fb_class_named(builder, expr->name, expr->pos);
        if (class_index < 0) return fb_void(builder);
        FlowOpcode opcode = expr->kind == EXPR_IS ? FLOW_OP_IS_INSTANCE : FLOW_OP_CAST;
        return gb_emit(builder, opcode, class_index, NULL, &value, 1, expr->pos);
    }
    }
    kiln_unreachable("every expression kind is lowered");
}
