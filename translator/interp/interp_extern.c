/* interp_extern.c - calls of `extern fn` declarations into C.
 *
 * The symbol is found with dlsym(RTLD_DEFAULT, c_name), so any function of
 * the process or its libraries (libm's sqrt, pow, ...) can be called.  A
 * Kiln C int is passed as a C int64_t (long), a float as a double.  The
 * supported signatures are those whose parameters are all int or float (up
 * to INTERP_EXTERN_MAX of each) and whose result is int, float or void.
 * On x86-64 and AArch64 integer and floating arguments travel in separate
 * register sequences, so a C function declared with the parameters in any
 * interleaving is called correctly by the prototype that lists the ints
 * first and the floats second; INTERP_EXTERN_SIGNATURES has one such
 * prototype per (int count, float count).  Anything else raises TypeError
 * naming the function.
 */
#include <dlfcn.h>
#include <stdlib.h>

#include "interp_internal.h"

enum { INTERP_EXTERN_MAX = 4 };

/* (int count, float count, C parameter list, argument list) */
#define INTERP_EXTERN_SIGNATURES(X)                                                                \
    X(0, 0, (void), ())                                                                            \
    X(0, 1, (double), (floats[0]))                                                                 \
    X(0, 2, (double, double), (floats[0], floats[1]))                                              \
    X(0, 3, (double, double, double), (floats[0], floats[1], floats[2]))                           \
    X(0, 4, (double, double, double, double), (floats[0], floats[1], floats[2], floats[3]))        \
    X(1, 0, (int64_t), (ints[0]))                                                                  \
    X(1, 1, (int64_t, double), (ints[0], floats[0]))                                               \
    X(1, 2, (int64_t, double, double), (ints[0], floats[0], floats[1]))                            \
    X(1, 3, (int64_t, double, double, double), (ints[0], floats[0], floats[1], floats[2]))         \
    X(1, 4, (int64_t, double, double, double, double),                                             \
      (ints[0], floats[0], floats[1], floats[2], floats[3]))                                       \
    X(2, 0, (int64_t, int64_t), (ints[0], ints[1]))                                                \
    X(2, 1, (int64_t, int64_t, double), (ints[0], ints[1], floats[0]))                             \
    X(2, 2, (int64_t, int64_t, double, double), (ints[0], ints[1], floats[0], floats[1]))          \
    X(2, 3, (int64_t, int64_t, double, double, double),                                            \
      (ints[0], ints[1], floats[0], floats[1], floats[2]))                                         \
    X(2, 4, (int64_t, int64_t, double, double, double, double),                                    \
      (ints[0], ints[1], floats[0], floats[1], floats[2], floats[3]))                              \
    X(3, 0, (int64_t, int64_t, int64_t), (ints[0], ints[1], ints[2]))                              \
    X(3, 1, (int64_t, int64_t, int64_t, double), (ints[0], ints[1], ints[2], floats[0]))           \
    X(3, 2, (int64_t, int64_t, int64_t, double, double),                                           \
      (ints[0], ints[1], ints[2], floats[0], floats[1]))                                           \
    X(3, 3, (int64_t, int64_t, int64_t, double, double, double),                                   \
      (ints[0], ints[1], ints[2], floats[0], floats[1], floats[2]))                                \
    X(3, 4, (int64_t, int64_t, int64_t, double, double, double, double),                           \
      (ints[0], ints[1], ints[2], floats[0], floats[1], floats[2], floats[3]))                     \
    X(4, 0, (int64_t, int64_t, int64_t, int64_t), (ints[0], ints[1], ints[2], ints[3]))            \
    X(4, 1, (int64_t, int64_t, int64_t, int64_t, double),                                          \
      (ints[0], ints[1], ints[2], ints[3], floats[0]))                                             \
    X(4, 2, (int64_t, int64_t, int64_t, int64_t, double, double),                                  \
      (ints[0], ints[1], ints[2], ints[3], floats[0], floats[1]))                                  \
    X(4, 3, (int64_t, int64_t, int64_t, int64_t, double, double, double),                          \
      (ints[0], ints[1], ints[2], ints[3], floats[0], floats[1], floats[2]))                       \
    X(4, 4, (int64_t, int64_t, int64_t, int64_t, double, double, double, double),                  \
      (ints[0], ints[1], ints[2], ints[3], floats[0], floats[1], floats[2], floats[3]))

static const char *interp_extern_type_kind(const TypeExpr *type, InterpExternKind *kind,
                                           bool is_result) {
    if (!type || (type->kind == TYPE_NAMED && type->name && strcmp(type->name, "void") == 0)) {
        *kind = INTERP_EXTERN_VOID;
        return is_result ? NULL : "void";
    }
    if (type->kind == TYPE_NAMED && type->name && strcmp(type->name, "int") == 0) {
        *kind = INTERP_EXTERN_INT;
        return NULL;
    }
    if (type->kind == TYPE_NAMED && type->name && strcmp(type->name, "float") == 0) {
        *kind = INTERP_EXTERN_FLOAT;
        return NULL;
    }
    return type->kind == TYPE_NAMED && type->name ? type->name : "a compound type";
}

void interp_extern_prepare(Interp *interp, InterpCode *code) {
    const FlowGraph *graph = code->graph;
    const FnDecl *decl = graph->decl;
    const char *c_name = graph->c_name ? graph->c_name : decl ? decl->c_name : NULL;
    code->extern_param_kinds = ARENA_NEW_ARRAY(&interp->arena, uint8_t, graph->param_count + 1);
    int counts[2] = {0, 0};
    for (int i = 0; i < graph->param_count && !code->extern_problem; i++) {
        InterpExternKind kind = INTERP_EXTERN_VOID;
        const TypeExpr *type = decl && i < decl->param_count ? decl->params[i].type : NULL;
        const char *bad = interp_extern_type_kind(type, &kind, false);
        if (bad)
            code->extern_problem = arena_printf(
                &interp->arena, "parameter %d has type %s, not int or float", i + 1, bad);
        else if (++counts[kind] > INTERP_EXTERN_MAX)
            code->extern_problem =
                arena_printf(&interp->arena, "more than %d %s parameters", INTERP_EXTERN_MAX,
                             kind == INTERP_EXTERN_INT ? "int" : "float");
        code->extern_param_kinds[i] = (uint8_t)kind;
    }
    const char *bad_result =
        interp_extern_type_kind(decl ? decl->result : NULL, &code->extern_result, true);
    if (!code->extern_problem && bad_result)
        code->extern_problem = arena_printf(
            &interp->arena, "the result has type %s, not int, float or void", bad_result);
#if !defined(__x86_64__) && !defined(__aarch64__)
    if (!code->extern_problem) code->extern_problem = "extern calls need an x86-64 or AArch64 host";
#endif
    if (!code->extern_problem && !c_name) code->extern_problem = "no C symbol name";
    if (!code->extern_problem) {
        code->extern_symbol = dlsym(RTLD_DEFAULT, c_name);
        if (!code->extern_symbol)
            code->extern_problem = arena_printf(&interp->arena, "C symbol '%s' not found", c_name);
    }
}

/* Calls symbol with the given arguments through the matching prototype. */
static void interp_extern_dispatch(void *symbol, int int_count, int float_count,
                                   InterpExternKind result_kind, const int64_t *ints,
                                   const double *floats, InterpValue *result) {
    switch (int_count * (INTERP_EXTERN_MAX + 1) + float_count) {
#define X(int_total, float_total, parameters, arguments)                                           \
    case int_total *(INTERP_EXTERN_MAX + 1) + float_total:                                         \
        if (result_kind == INTERP_EXTERN_INT)                                                      \
            *result = interp_make_int(((int64_t(*) parameters)symbol)arguments);                   \
        else if (result_kind == INTERP_EXTERN_FLOAT)                                               \
            *result = interp_make_float(((double(*) parameters)symbol)arguments);                  \
        else                                                                                       \
            ((void(*) parameters)symbol) arguments;                                                \
        break;
        INTERP_EXTERN_SIGNATURES(X)
#undef X
    default: kiln_unreachable("extern signature counts were checked by interp_extern_prepare");
    }
}

bool interp_extern_call(Interp *interp, InterpCode *code, const InterpValue *args, int count,
                        InterpValue *result) {
    const char *name = code->graph->name;
    if (code->extern_problem)
        return interp_raise(interp, INTERP_ERROR_TYPE, "cannot call extern function %s: %s", name,
                            code->extern_problem);
    if (count != code->param_count)
        return interp_raise(interp, INTERP_ERROR_TYPE, "%s() takes %d arguments (%d given)", name,
                            code->param_count, count);
    int64_t ints[INTERP_EXTERN_MAX] = {0};
    double floats[INTERP_EXTERN_MAX] = {0};
    int int_count = 0, float_count = 0;
    for (int i = 0; i < count; i++) {
        bool wants_int = code->extern_param_kinds[i] == INTERP_EXTERN_INT;
        InterpValueKind kind = wants_int ? INTERP_VALUE_INT : INTERP_VALUE_FLOAT;
        INTERP_TRY(interp_expect(interp, name, args, i, kind));
        if (wants_int)
            ints[int_count++] = args[i].as.integer;
        else
            floats[float_count++] = args[i].as.real;
    }
    *result = interp_make_simple(INTERP_VALUE_VOID);
    interp_extern_dispatch(code->extern_symbol, int_count, float_count, code->extern_result, ints,
                           floats, result);
    return true;
}
