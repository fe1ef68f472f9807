/* flow.h - flow graphs: the program in SSA form, one graph per function.
 *
 * The model is RPython's Block/Link/SpaceOperation:
 *   - a FlowGraph has a start block (index 0) whose inputs are the
 *     parameters, one return block (one input: the result) and one except
 *     block (one input: the exception instance, re-raised to the caller);
 *   - a FlowBlock has input variables (the phi nodes), a list of operations,
 *     and exits: links to other blocks that pass values to their inputs;
 *   - a FlowValue is a variable of the graph or a constant of the graph.
 *
 * Invariants (checked by flow_verify):
 *   - every variable is defined exactly once: as an input of one block or
 *     as the result of one operation;
 *   - a variable used in a block is defined earlier in that block (SSA is
 *     per block: values cross blocks only through links);
 *   - each link passes exactly as many values as its target has inputs;
 *   - exits match the exit kind (see FlowExitKind);
 *   - FLOW_VALUE_CAUGHT appears only in the link of an EXIT_RAISES block's
 *     exception exit; it denotes the exception just caught.
 *   - only the last operation of an EXIT_RAISES block can raise into the
 *     exception link; operations elsewhere that raise propagate to the
 *     caller (they are implicit exits to the except block).
 *
 * Items refer to each other by index (blocks, variables, constants, graphs,
 * classes, globals), so graphs are easy to copy, dump and verify.  All of it
 * lives in FlowProgram.arena, freed by flow_program_free.
 */
#ifndef KILN_FLOW_H
#define KILN_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/arena.h"
#include "../common/diag.h"
#include "../common/intern.h"
#include "../common/map.h"
#include "../parse/ast.h"

typedef enum FlowOpcode {
#define FLOW_OP(name, args, result, raises, aux) FLOW_OP_##name,
#include "flow_ops.def"
#undef FLOW_OP
    FLOW_OP__COUNT
} FlowOpcode;

typedef struct FlowOpInfo {
    const char *name; /* lower case, for dumps */
    int arg_count;    /* -1: variable */
    bool has_result;
    bool can_raise;
    const char *aux; /* the aux column of flow_ops.def */
} FlowOpInfo;
extern const FlowOpInfo flow_op_info[FLOW_OP__COUNT];

typedef enum FlowBuiltin {
#define FLOW_BUILTIN(id, name, min, max, raises) FLOW_BUILTIN_##id,
#include "builtins.def"
#undef FLOW_BUILTIN
    FLOW_BUILTIN__COUNT
} FlowBuiltin;

typedef struct FlowBuiltinInfo {
    const char *name;
    int min_args;
    int max_args; /* -1: any */
    bool can_raise;
} FlowBuiltinInfo;
extern const FlowBuiltinInfo flow_builtin_info[FLOW_BUILTIN__COUNT];
/* FLOW_BUILTIN__COUNT when `name` is not a built-in function. */
FlowBuiltin flow_builtin_lookup(const char *name);

typedef enum FlowValueKind {
    FLOW_VALUE_VAR,    /* index: a FlowVar of the graph */
    FLOW_VALUE_CONST,  /* index: a FlowConst of the graph */
    FLOW_VALUE_CAUGHT, /* the exception caught by an exception link */
} FlowValueKind;

typedef struct FlowValue {
    FlowValueKind kind;
    int32_t index;
} FlowValue;

typedef enum FlowConstKind {
    FLOW_CONST_INT,   /* int_value */
    FLOW_CONST_FLOAT, /* float_value */
    FLOW_CONST_BOOL,  /* int_value 0/1 */
    FLOW_CONST_CHAR,  /* int_value 0..255 */
    FLOW_CONST_STR,   /* str_value, str_length */
    FLOW_CONST_NULL,
    FLOW_CONST_VOID,  /* the value of a function that returns nothing */
    FLOW_CONST_UNDEF, /* a declared local not assigned yet: reading it is an error;
                         str_value names the local when known */
    FLOW_CONST_FUNC,  /* int_value: graph index (a function reference) */
} FlowConstKind;

typedef struct FlowConst {
    FlowConstKind kind;
    int64_t int_value;
    double float_value;
    const char *str_value; /* arena bytes, NUL-terminated */
    int str_length;
} FlowConst;

typedef struct FlowVar {
    const char *name;     /* the source local it holds, or NULL for a temporary */
    const TypeExpr *type; /* the local's annotation, or NULL */
    SrcPos pos;           /* where it was defined */
} FlowVar;

typedef struct FlowOp {
    FlowOpcode opcode;
    int32_t result;   /* variable index, -1 when the op has no result */
    int32_t aux;      /* see the aux column of flow_ops.def */
    const char *name; /* interned, for aux = name */
    FlowValue *args;
    int arg_count;
    SrcPos pos; /* the Kiln C expression this operation comes from */
} FlowOp;

typedef enum FlowExitKind {
    FLOW_EXIT_GOTO,   /* exits[0] */
    FLOW_EXIT_BRANCH, /* exitswitch is a bool: exits[0] when false, exits[1] when true */
    FLOW_EXIT_SWITCH, /* exitswitch compared (==) with each link's case_value in
                         order; the last link has is_default set */
    FLOW_EXIT_RAISES, /* the last operation can raise: exits[0] is the normal
                         exit, exits[1] the exception exit (any exception) */
    FLOW_EXIT_RETURN, /* the return block: inputs[0] is the result */
    FLOW_EXIT_EXCEPT, /* the except block: inputs[0] is raised to the caller */
} FlowExitKind;

typedef struct FlowLink {
    int32_t target;  /* block index */
    FlowValue *args; /* one per target input */
    int arg_count;
    FlowValue case_value; /* FLOW_EXIT_SWITCH: a constant */
    bool is_default;      /* FLOW_EXIT_SWITCH: the default link */
} FlowLink;

typedef struct FlowBlock {
    int32_t *inputs; /* variable indices */
    int input_count;
    FlowOp *ops;
    int op_count;
    FlowExitKind exit_kind;
    FlowValue exitswitch; /* BRANCH and SWITCH */
    FlowLink *exits;
    int exit_count;
    SrcPos pos; /* the statement that opened the block */
} FlowBlock;

typedef enum FlowGraphKind {
    FLOW_GRAPH_FUNCTION,    /* fn at top level */
    FLOW_GRAPH_METHOD,      /* fn inside a class: parameter 0 is `this` */
    FLOW_GRAPH_EXTERN,      /* extern fn: no blocks; see c_name */
    FLOW_GRAPH_GLOBAL_INIT, /* evaluates the initializers of globals and consts */
} FlowGraphKind;

/* Function attributes (language.md section 8 and section 5). */
enum {
    FLOW_ATTR_ELIDABLE = 1 << 0,
    FLOW_ATTR_UNROLL_SAFE = 1 << 1,
    FLOW_ATTR_DONT_LOOK_INSIDE = 1 << 2,
    FLOW_ATTR_SPECIALIZE = 1 << 3,
};

typedef struct FlowGraph {
    int index;
    FlowGraphKind kind;
    const char *name;    /* "f", or "Class.method"; interned */
    int class_index;     /* METHOD: the defining class; else -1 */
    const FnDecl *decl;  /* NULL for GLOBAL_INIT */
    unsigned attributes; /* FLOW_ATTR_* */
    int param_count;     /* including `this` for methods */
    const char *c_name;  /* EXTERN */
    FlowBlock *blocks;
    int block_count;
    int return_block;
    int except_block;
    FlowVar *vars;
    int var_count;
    FlowConst *consts;
    int const_count;
    SrcPos pos;
} FlowGraph;

typedef struct FlowField {
    const char *name;
    const TypeExpr *type; /* annotation or NULL */
    SrcPos pos;
} FlowField;

typedef struct FlowMethod {
    const char *name;
    int graph; /* graph index */
} FlowMethod;

typedef struct FlowClass {
    int index;
    const char *name;
    int base;          /* class index, or -1 */
    int depth;         /* 0 for a root class */
    FlowField *fields; /* all fields, inherited ones first */
    int field_count;
    FlowMethod *methods; /* own methods only; look up the chain with flow_class_find_method */
    int method_count;
    bool is_exception;          /* Exception or a subclass */
    const char **virtualizable; /* @virtualizable(field, ...) */
    int virtualizable_count;
    SrcPos pos;
} FlowClass;

typedef struct FlowGlobal {
    int index;
    const char *name;
    bool is_const;
    const TypeExpr *type;
    SrcPos pos;
} FlowGlobal;

typedef struct FlowJitDriver {
    const char *name;
    const char **greens;
    int green_count;
    const char **reds;
    int red_count;
    SrcPos pos;
} FlowJitDriver;

typedef struct FlowProgram {
    Arena arena;          /* owns every graph, block, op and table below */
    InternTable *interns; /* borrowed from the parse stage */
    DiagContext *diag;    /* borrowed */
    FlowGraph **graphs;
    int graph_count;
    FlowClass *classes;
    int class_count;
    FlowGlobal *globals;
    int global_count;
    FlowJitDriver *jitdrivers;
    int jitdriver_count;
    int main_graph;        /* -1 when the program has no main */
    int global_init_graph; /* runs every global and const initializer in source order */
    int exception_class;   /* index of the built-in Exception class */
    Map graph_by_name;     /* top-level function name -> graph index + 1 */
    Map class_by_name;     /* class name -> class index + 1 */
} FlowProgram;

/* Builds the graphs of a parsed program (the prelude must be one of its
 * modules, see flow_prelude_source).  Reports name errors (unknown names,
 * duplicates, misplaced break/continue, bad attributes) through diag;
 * returns the program even when there were errors. */
FlowProgram *flow_build_program(const AstProgram *ast, InternTable *interns, DiagContext *diag);
void flow_program_free(FlowProgram *program);

/* The front end's entry for every tool: parses `path` (or, when text is not
 * NULL, that text under the name `path`), everything it imports, and the
 * prelude.  NULL when the file cannot be read (reported). */
struct ParseContext;
AstProgram *flow_parse_program(struct ParseContext *context, const char *path, const char *text,
                               int length);

/* The built-in prelude (Exception and its subclasses), in Kiln C. */
extern const char flow_prelude_source[];
extern const char flow_prelude_path[];

/* Lookups; -1 when absent. */
int flow_find_graph(const FlowProgram *program, const char *name);
int flow_find_class(const FlowProgram *program, const char *name);
/* Searches the class and its bases; returns a graph index or -1. */
int flow_class_find_method(const FlowProgram *program, int class_index, const char *name);
/* Field index in FlowClass.fields, or -1. */
int flow_class_find_field(const FlowProgram *program, int class_index, const char *name);
bool flow_class_is_subclass(const FlowProgram *program, int class_index, int base_index);

/* Verifier: returns the number of broken invariants, each reported on
 * `out` with the graph, block and operation. */
int flow_verify_graph(const FlowProgram *program, const FlowGraph *graph, FILE *out);
int flow_verify_program(const FlowProgram *program, FILE *out);

/* Dumps: `kiln flow --dump` and `kiln flow --dot`. */
void flow_dump_graph(FILE *out, const FlowProgram *program, const FlowGraph *graph);
void flow_dump_program(FILE *out, const FlowProgram *program);
void flow_dot_program(FILE *out, const FlowProgram *program);
void flow_dump_value(FILE *out, const FlowGraph *graph, FlowValue value);

#endif
