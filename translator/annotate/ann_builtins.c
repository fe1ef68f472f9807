/* ann_builtins.c - typing of built-in functions and of the methods of
 * str, list, dict and StrBuilder, driven by the signatures of
 * ann_builtins.def; the few rules a signature cannot say are in
 * ann_builtin_rule.
 */
#include <string.h>

#include "ann_internal.h"

typedef struct AnnSignature {
    const char *name;
    const char *params;
    char result;
    char receiver; /* methods: l d s B */
} AnnSignature;

static const AnnSignature ann_builtin_table[FLOW_BUILTIN__COUNT] = {
#define ANN_BUILTIN(id, params, result) [FLOW_BUILTIN_##id] = {#id, params, #result[0], 0},
#define ANN_METHOD(receiver, name, params, result)
#include "ann_builtins.def"
#undef ANN_BUILTIN
#undef ANN_METHOD
};

enum {
    ANN_BUILTIN_ROWS = 0
#define ANN_BUILTIN(id, params, result) +1
#define ANN_METHOD(receiver, name, params, result)
#include "ann_builtins.def"
#undef ANN_BUILTIN
#undef ANN_METHOD
};
_Static_assert((int)ANN_BUILTIN_ROWS == (int)FLOW_BUILTIN__COUNT,
               "ann_builtins.def must type every built-in function of builtins.def");

static const AnnSignature ann_method_table[] = {
#define ANN_BUILTIN(id, params, result)
#define ANN_METHOD(receiver, name, params, result) {name, params, #result[0], #receiver[0]},
#include "ann_builtins.def"
#undef ANN_BUILTIN
#undef ANN_METHOD
};

/* The state of checking one call against a signature. */
typedef struct AnnCall {
    const FlowOp *op;
    const char *name; /* for messages: `len` or `list.append` */
    const Ann *receiver;
    AnnKind number; /* what `n` stands for, once bound */
} AnnCall;

static const char *ann_code_name(char code) {
    switch (code) {
    case 'i': return "int";
    case 'f': return "float";
    case 'b': return "bool";
    case 'c': return "char";
    case 's': return "str";
    case 'n': return "int or float";
    case 'L': return "list";
    case 'W': return "list<str>";
    case 'F': return "function";
    default: return "value";
    }
}

static bool ann_param_error(Annotator *annotator, AnnCall *call, int index, char code,
                            const Ann *arg) {
    ann_op_error(annotator, call->op->pos, "argument %d of `%s` must be %s, not `%s`", index + 1,
                 call->name, code == 'n' ? "an `int` or a `float`" : ann_code_name(code),
                 ann_to_string(annotator, arg));
    return false;
}

static bool ann_check_param(Annotator *annotator, AnnCall *call, char code, const Ann *arg,
                            int index) {
    SrcPos pos = call->op->pos;
    switch (code) {
    case 'i': return arg->kind == ANN_INT || ann_param_error(annotator, call, index, code, arg);
    case 'f': return arg->kind == ANN_FLOAT || ann_param_error(annotator, call, index, code, arg);
    case 'b': return arg->kind == ANN_BOOL || ann_param_error(annotator, call, index, code, arg);
    case 'c': return arg->kind == ANN_CHAR || ann_param_error(annotator, call, index, code, arg);
    case 's': return arg->kind == ANN_STR || ann_param_error(annotator, call, index, code, arg);
    case 'n':
        if (arg->kind != ANN_INT && arg->kind != ANN_FLOAT)
            return ann_param_error(annotator, call, index, code, arg);
        if (call->number != ANN_BOTTOM && call->number != arg->kind) {
            ann_op_error(annotator, pos,
                         "cannot mix `int` and `float` in `%s`: convert one side with float() "
                         "or int()",
                         call->name);
            return false;
        }
        call->number = arg->kind;
        return true;
    case 'T': ann_list_store(annotator, call->receiver->listdef, arg, pos); return true;
    case 'K': ann_dict_store(annotator, call->receiver->dictdef, arg, NULL, pos); return true;
    case 'V': ann_dict_store(annotator, call->receiver->dictdef, NULL, arg, pos); return true;
    case 'L':
        if (arg->kind != ANN_LIST) return ann_param_error(annotator, call, index, code, arg);
        if (!ann_union(annotator, call->receiver, arg, NULL, NULL)) {
            ann_op_error(annotator, pos, "cannot extend `%s` with `%s`",
                         ann_to_string(annotator, call->receiver), ann_to_string(annotator, arg));
            return false;
        }
        return true;
    case 'W':
        if (arg->kind != ANN_LIST) return ann_param_error(annotator, call, index, code, arg);
        ann_list_store(annotator, arg->listdef, ann_simple(annotator, ANN_STR), pos);
        return true;
    case 'F':
        if (arg->kind != ANN_FUNCTION) return ann_param_error(annotator, call, index, code, arg);
        return true;
    default: return true;
    }
}

static const Ann *ann_min_max(Annotator *annotator, AnnCall *call, const Ann **args, int count) {
    if (count == 1) {
        if (args[0]->kind != ANN_LIST) {
            ann_op_error(annotator, call->op->pos, "`%s` of one argument takes a list, not `%s`",
                         call->name, ann_to_string(annotator, args[0]));
            return NULL;
        }
        return ann_list_item(annotator, args[0]->listdef);
    }
    const Ann *sum = ann_drop_const(annotator, args[0]);
    if (sum->kind == ANN_INT || sum->kind == ANN_FLOAT) call->number = sum->kind;
    for (int i = 1; i < count; i++) {
        const Ann *arg = ann_drop_const(annotator, args[i]);
        if (arg->kind == ANN_INT || arg->kind == ANN_FLOAT) {
            if (!ann_check_param(annotator, call, 'n', arg, i)) return NULL;
        }
        if (arg->kind != sum->kind) {
            ann_op_error(annotator, call->op->pos,
                         "the arguments of `%s` must have one type: `%s` and `%s`", call->name,
                         ann_to_string(annotator, sum), ann_to_string(annotator, arg));
            return NULL;
        }
    }
    AnnKind kind = sum->kind;
    if (kind != ANN_INT && kind != ANN_FLOAT && kind != ANN_CHAR && kind != ANN_BOOL &&
        kind != ANN_STR) {
        ann_op_error(annotator, call->op->pos, "`%s` cannot order `%s` values", call->name,
                     ann_to_string(annotator, sum));
        return NULL;
    }
    return sum;
}

static const Ann *ann_expect_kinds(Annotator *annotator, AnnCall *call, const Ann *arg,
                                   unsigned kinds, const Ann *result, const char *expected) {
    if (kinds & (1u << arg->kind)) return result;
    ann_op_error(annotator, call->op->pos, "`%s` takes %s, not `%s`", call->name, expected,
                 ann_to_string(annotator, arg));
    return NULL;
}

#define ANN_BIT(kind) (1u << (kind))

/* The rules marked x in ann_builtins.def. */
static const Ann *ann_builtin_rule(Annotator *annotator, AnnCall *call, const Ann **args,
                                   int count) {
    const FlowOp *op = call->op;
    const Ann *int_ann = ann_simple(annotator, ANN_INT);
    const Ann *void_ann = ann_simple(annotator, ANN_VOID);
    if (call->receiver) { /* dict.get */
        if (count == 2) return ann_dict_value(annotator, call->receiver->dictdef);
        const Ann *value = ann_dict_value(annotator, call->receiver->dictdef);
        if (value->kind == ANN_BOTTOM) return value;
        const Ann *result =
            ann_union(annotator, value, ann_simple(annotator, ANN_NULL), NULL, NULL);
        if (!result)
            ann_op_error(annotator, op->pos,
                         "`dict.get(k)` gives null for a missing key, which `%s` cannot hold: "
                         "pass a default",
                         ann_to_string(annotator, value));
        return result;
    }
    switch ((FlowBuiltin)op->aux) {
    case FLOW_BUILTIN_LEN:
        return ann_expect_kinds(annotator, call, args[0],
                                ANN_BIT(ANN_STR) | ANN_BIT(ANN_LIST) | ANN_BIT(ANN_DICT) |
                                    ANN_BIT(ANN_TUPLE) | ANN_BIT(ANN_DICT_VIEW) |
                                    ANN_BIT(ANN_BUILDER),
                                int_ann, "a str, list, dict, tuple, dict view or StrBuilder");
    case FLOW_BUILTIN_NEWLIST: {
        const Ann *list = ann_op_list(annotator, op->pos);
        ann_list_store(annotator, list->listdef,
                       count == 2 ? args[1] : ann_simple(annotator, ANN_NULL), op->pos);
        return list;
    }
    case FLOW_BUILTIN_INT:
        return ann_expect_kinds(annotator, call, args[0],
                                ANN_BIT(ANN_INT) | ANN_BIT(ANN_FLOAT) | ANN_BIT(ANN_CHAR) |
                                    ANN_BIT(ANN_BOOL),
                                int_ann, "a float, char, bool or int");
    case FLOW_BUILTIN_ORD:
        return ann_expect_kinds(annotator, call, args[0], ANN_BIT(ANN_CHAR) | ANN_BIT(ANN_STR),
                                int_ann, "a char or a one-byte str");
    case FLOW_BUILTIN_HASH:
        return ann_expect_kinds(annotator, call, args[0],
                                ANN_BIT(ANN_INT) | ANN_BIT(ANN_CHAR) | ANN_BIT(ANN_STR) |
                                    ANN_BIT(ANN_BOOL) | ANN_BIT(ANN_TUPLE) | ANN_BIT(ANN_INSTANCE),
                                int_ann, "a valid dict key");
    case FLOW_BUILTIN_WRITE_BYTE:
        return ann_expect_kinds(annotator, call, args[1], ANN_BIT(ANN_INT) | ANN_BIT(ANN_CHAR),
                                void_ann, "an int or a char as its byte");
    case FLOW_BUILTIN_MIN:
    case FLOW_BUILTIN_MAX: return ann_min_max(annotator, call, args, count);
    case FLOW_BUILTIN_THREAD_START:
    case FLOW_BUILTIN_TRANSACTION_ADD: {
        const Ann *result = ann_call_value(annotator, args[0], args + 1, 1, op->pos);
        if (!result) return NULL;
        return op->aux == FLOW_BUILTIN_THREAD_START ? ann_simple(annotator, ANN_THREAD) : void_ann;
    }
    case FLOW_BUILTIN_THREAD_JOIN:
        return ann_expect_kinds(annotator, call, args[0], ANN_BIT(ANN_THREAD), void_ann,
                                "a thread handle");
    default: return void_ann;
    }
}

static const Ann *ann_signature_result(Annotator *annotator, AnnCall *call,
                                       const AnnSignature *signature, const Ann **args, int count) {
    const Ann *receiver = call->receiver;
    switch (signature->result) {
    case 'v': return ann_simple(annotator, ANN_VOID);
    case 'i': return ann_simple(annotator, ANN_INT);
    case 'f': return ann_simple(annotator, ANN_FLOAT);
    case 'b': return ann_simple(annotator, ANN_BOOL);
    case 'c': return ann_simple(annotator, ANN_CHAR);
    case 's': return ann_simple(annotator, ANN_STR);
    case 'n': return ann_simple(annotator, call->number);
    case 'T': return ann_list_item(annotator, receiver->listdef);
    case 'K': return ann_dict_key(annotator, receiver->dictdef);
    case 'V': return ann_dict_value(annotator, receiver->dictdef);
    case 'L': return ann_with_nullable(annotator, receiver, false);
    case 'S': {
        const Ann *list = ann_op_list(annotator, call->op->pos);
        ann_list_store(annotator, list->listdef, ann_simple(annotator, ANN_STR), call->op->pos);
        return list;
    }
    case 'k': return ann_dict_view(annotator, ANN_VIEW_KEYS, receiver->dictdef);
    case 'w': return ann_dict_view(annotator, ANN_VIEW_VALUES, receiver->dictdef);
    case 't': return ann_dict_view(annotator, ANN_VIEW_ITEMS, receiver->dictdef);
    default: return ann_builtin_rule(annotator, call, args, count);
    }
}

static const Ann *ann_apply_signature(Annotator *annotator, AnnCall *call,
                                      const AnnSignature *signature, const Ann **args, int count) {
    int required = 0, total = 0;
    bool optional = false;
    for (const char *code = signature->params; *code; code++) {
        if (*code == '|') {
            optional = true;
            continue;
        }
        total++;
        if (!optional) required++;
    }
    bool any_count = call->receiver == NULL &&
                     (call->op->aux == FLOW_BUILTIN_MIN || call->op->aux == FLOW_BUILTIN_MAX);
    if (!any_count && (count < required || count > total)) {
        if (required == total)
            ann_op_error(annotator, call->op->pos, "`%s` takes %d argument%s, but %d %s given",
                         call->name, total, total == 1 ? "" : "s", count,
                         count == 1 ? "is" : "are");
        else
            ann_op_error(annotator, call->op->pos, "`%s` takes %d to %d arguments, but %d %s given",
                         call->name, required, total, count, count == 1 ? "is" : "are");
        return NULL;
    }
    int index = 0;
    for (const char *code = signature->params; *code && index < count && !any_count; code++) {
        if (*code == '|') continue;
        if (!ann_check_param(annotator, call, *code, args[index], index)) return NULL;
        index++;
    }
    return ann_signature_result(annotator, call, signature, args, count);
}

const Ann *ann_builtin_call(Annotator *annotator, const FlowOp *op, const Ann **args, int count) {
    AnnCall call = {op, flow_builtin_info[op->aux].name, NULL, ANN_BOTTOM};
    return ann_apply_signature(annotator, &call, &ann_builtin_table[op->aux], args, count);
}

const Ann *ann_builtin_method(Annotator *annotator, const FlowOp *op, const Ann **args, int count) {
    const Ann *receiver = args[0];
    char kind = receiver->kind == ANN_LIST      ? 'l'
                : receiver->kind == ANN_DICT    ? 'd'
                : receiver->kind == ANN_STR     ? 's'
                : receiver->kind == ANN_BUILDER ? 'B'
                                                : 0;
    for (size_t i = 0; kind && i < sizeof ann_method_table / sizeof ann_method_table[0]; i++) {
        const AnnSignature *signature = &ann_method_table[i];
        if (signature->receiver != kind || strcmp(signature->name, op->name) != 0) continue;
        const char *type = kind == 'l'   ? "list"
                           : kind == 'd' ? "dict"
                           : kind == 's' ? "str"
                                         : "StrBuilder";
        AnnCall call = {op, arena_printf(&annotator->arena, "%s.%s", type, op->name), receiver,
                        ANN_BOTTOM};
        return ann_apply_signature(annotator, &call, signature, args + 1, count - 1);
    }
    ann_op_error(annotator, op->pos, "`%s` has no method '%s'", ann_to_string(annotator, receiver),
                 op->name);
    return NULL;
}
