/* flow_tables.c - the operation and built-in tables expanded from their
 * single definitions (flow_ops.def, builtins.def). */
#include <string.h>

#include "flow.h"

const FlowOpInfo flow_op_info[FLOW_OP__COUNT] = {
#define FLOW_OP(name, args, result, raises, aux) {#name, args, result, raises, #aux},
#include "flow_ops.def"
#undef FLOW_OP
};

const FlowBuiltinInfo flow_builtin_info[FLOW_BUILTIN__COUNT] = {
#define FLOW_BUILTIN(id, name, min, max, raises) {name, min, max, raises},
#include "builtins.def"
#undef FLOW_BUILTIN
};

_Static_assert(sizeof flow_op_info / sizeof flow_op_info[0] == FLOW_OP__COUNT,
               "flow_op_info covers every opcode");
_Static_assert(sizeof flow_builtin_info / sizeof flow_builtin_info[0] == FLOW_BUILTIN__COUNT,
               "flow_builtin_info covers every built-in");

FlowBuiltin flow_builtin_lookup(const char *name) {
    for (int i = 0; i < FLOW_BUILTIN__COUNT; i++)
        if (strcmp(flow_builtin_info[i].name, name) == 0) return (FlowBuiltin)i;
    return FLOW_BUILTIN__COUNT;
}
