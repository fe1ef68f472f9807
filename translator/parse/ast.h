/* ast.h - the abstract syntax tree of Kiln C, produced by the parser.
 *
 * Contract: every node carries the SrcPos of its first token (for binary
 * operators: the operator), so that any later stage can point a diagnostic
 * at the interpreter author's source.  Identifiers are interned (intern.h):
 * compare them by pointer.  All nodes live in the source arena (arena.h) and
 * are never freed individually.  Lists are arena arrays with a count.
 */
#ifndef KILN_AST_H
#define KILN_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/diag.h"

typedef struct Expr Expr;
typedef struct Stmt Stmt;
typedef struct Decl Decl;
typedef struct TypeExpr TypeExpr;

/* ---- type annotations -------------------------------------------------- */

typedef enum TypeExprKind {
    TYPE_NAMED, /* int float bool char str void, or a class name: name */
    TYPE_LIST,  /* list<T>: args[0] */
    TYPE_DICT,  /* dict<K,V>: args[0], args[1] */
    TYPE_TUPLE, /* (T1, T2, ...): args (count >= 2) */
    TYPE_FN,    /* fn(T1, ...) -> R: args are parameters, result (NULL = void) */
} TypeExprKind;

struct TypeExpr {
    TypeExprKind kind;
    SrcPos pos;
    const char *name; /* TYPE_NAMED */
    TypeExpr **args;
    int arg_count;
    TypeExpr *result; /* TYPE_FN */
};

/* ---- expressions ------------------------------------------------------- */

/* Operators, one table (operator token text, precedence for binary ones;
 * 0 = not a binary operator).  Precedence follows C: higher binds tighter. */
#define AST_OPERATORS(X)                                                                           \
    /* name         text   binary-precedence */                                                    \
    X(OP_OR, "||", 1)                                                                              \
    X(OP_AND, "&&", 2)                                                                             \
    X(OP_BIT_OR, "|", 3)                                                                           \
    X(OP_BIT_XOR, "^", 4)                                                                          \
    X(OP_BIT_AND, "&", 5)                                                                          \
    X(OP_EQ, "==", 6)                                                                              \
    X(OP_NE, "!=", 6)                                                                              \
    X(OP_LT, "<", 7)                                                                               \
    X(OP_LE, "<=", 7)                                                                              \
    X(OP_GT, ">", 7)                                                                               \
    X(OP_GE, ">=", 7)                                                                              \
    X(OP_SHL, "<<", 8)                                                                             \
    X(OP_SHR, ">>", 8)                                                                             \
    X(OP_ADD, "+", 9)                                                                              \
    X(OP_SUB, "-", 9)                                                                              \
    X(OP_MUL, "*", 10)                                                                             \
    X(OP_DIV, "/", 10)                                                                             \
    X(OP_MOD, "%", 10)                                                                             \
    X(OP_NEG, "-", 0)    /* unary minus */                                                         \
    X(OP_PLUS, "+", 0)   /* unary plus */                                                          \
    X(OP_NOT, "!", 0)    /* logical not */                                                         \
    X(OP_INVERT, "~", 0) /* bitwise not */                                                         \
    X(OP_ASSIGN, "=", 0) /* plain assignment (EXPR_ASSIGN only) */

typedef enum AstOperator {
#define X(name, text, precedence) name,
    AST_OPERATORS(X)
#undef X
        OP__COUNT
} AstOperator;

extern const char *const ast_operator_text[OP__COUNT];

typedef enum ExprKind {
    EXPR_INT,     /* int_value */
    EXPR_FLOAT,   /* float_value */
    EXPR_CHAR,    /* int_value: 0..255 */
    EXPR_STR,     /* str_value, str_length (may contain NUL bytes) */
    EXPR_BOOL,    /* int_value: 0 or 1 */
    EXPR_NULL,
    EXPR_THIS,
    EXPR_NAME,    /* name */
    EXPR_UNARY,   /* op, left */
    EXPR_BINARY,  /* op, left, right (&& and || included: they short-circuit) */
    EXPR_TERNARY, /* left ? right : third */
    EXPR_ASSIGN,  /* left op= right; op is OP_ASSIGN for plain `=`, else the
                     binary operator of the compound form.  left is a NAME,
                     MEMBER or INDEX expression. */
    EXPR_INCDEC,  /* ++/--: left; op is OP_ADD or OP_SUB; prefix says which form */
    EXPR_CALL,    /* left(args) */
    EXPR_MEMBER,  /* left.name */
    EXPR_INDEX,   /* left[right] */
    EXPR_NEW,     /* new name(args) */
    EXPR_LIST,    /* [args] */
    EXPR_DICT,    /* {args[0]: args[1], args[2]: args[3], ...}; arg_count is even */
    EXPR_TUPLE,   /* (args), arg_count >= 2 */
    EXPR_IS,      /* left is name */
    EXPR_AS,      /* left as name */
} ExprKind;

struct Expr {
    ExprKind kind;
    SrcPos pos;
    AstOperator op;
    bool prefix;          /* EXPR_INCDEC */
    int64_t int_value;
    double float_value;
    const char *str_value; /* EXPR_STR: arena bytes, NUL-terminated for convenience */
    int str_length;
    const char *name;      /* interned: EXPR_NAME, EXPR_MEMBER, EXPR_NEW, EXPR_IS, EXPR_AS */
    Expr *left;
    Expr *right;
    Expr *third;
    Expr **args;
    int arg_count;
};

/* ---- statements -------------------------------------------------------- */

typedef struct SwitchCase {
    SrcPos pos;
    Expr **values; /* the case labels; count 0 means `default` */
    int value_count;
    Stmt **body;
    int body_count;
} SwitchCase;

typedef struct CatchClause {
    SrcPos pos;
    const char *class_name; /* interned */
    SrcPos class_pos;
    const char *var_name;   /* interned; NULL when the clause names no variable */
    Stmt *body;             /* a STMT_BLOCK */
} CatchClause;

typedef enum StmtKind {
    STMT_BLOCK,    /* body, body_count */
    STMT_VAR,      /* var names[0] (: type)? (= expr)? ; with name_count > 1 it is
                      the unpacking form var (a, b) = expr; (types unused) */
    STMT_EXPR,     /* expr */
    STMT_IF,       /* if (expr) then_branch else else_branch (may be NULL) */
    STMT_WHILE,    /* while (expr) then_branch */
    STMT_DO_WHILE, /* do then_branch while (expr); */
    STMT_FOR,      /* for (init; expr; step) then_branch; init is a STMT_VAR or
                      STMT_EXPR or NULL, expr and step may be NULL */
    STMT_FOR_EACH, /* for (var names : expr) then_branch; name_count > 1 for the
                      unpacking extension for (var (k, v) : d.items()) */
    STMT_SWITCH,   /* switch (expr) { cases } */
    STMT_BREAK,
    STMT_CONTINUE,
    STMT_RETURN,   /* expr may be NULL */
    STMT_THROW,    /* expr */
    STMT_TRY,      /* then_branch (body block), catches, else_branch = finally block or NULL */
    STMT_ATOMIC,   /* then_branch (block) */
    STMT_EMPTY,    /* ; */
} StmtKind;

struct Stmt {
    StmtKind kind;
    SrcPos pos;
    Expr *expr;
    Stmt *init;
    Expr *step;
    Stmt *then_branch;
    Stmt *else_branch;
    Stmt **body;
    int body_count;
    const char **names;    /* interned */
    SrcPos *name_pos;
    int name_count;
    TypeExpr *type;        /* STMT_VAR / STMT_FOR_EACH: annotation or NULL */
    SwitchCase *cases;
    int case_count;
    CatchClause *catches;
    int catch_count;
};

/* ---- declarations ------------------------------------------------------ */

typedef struct Attribute {
    SrcPos pos;
    const char *name;  /* interned, without the @ */
    const char **args; /* identifiers inside (...), interned */
    int arg_count;
} Attribute;

typedef struct Param {
    SrcPos pos;
    const char *name;
    TypeExpr *type; /* NULL when not annotated */
} Param;

typedef struct FnDecl {
    const char *name;
    SrcPos name_pos;
    Param *params;
    int param_count;
    TypeExpr *result; /* NULL when not annotated */
    Stmt *body;       /* STMT_BLOCK; NULL for extern */
    Attribute *attributes;
    int attribute_count;
    const char *c_name; /* extern only: the C symbol */
    SrcPos end_pos;     /* the closing brace, for the implicit return */
} FnDecl;

typedef struct FieldDecl {
    SrcPos pos;
    const char *name;
    TypeExpr *type;
} FieldDecl;

typedef enum DeclKind {
    DECL_IMPORT,    /* import_path */
    DECL_CONST,     /* name, type, init */
    DECL_VAR,       /* global: name, type, init (may be NULL) */
    DECL_FN,        /* fn */
    DECL_EXTERN,    /* fn (body NULL, c_name set, every type given) */
    DECL_CLASS,     /* name, base_name, fields, methods, fn.attributes */
    DECL_JITDRIVER, /* name, greens, reds */
} DeclKind;

struct Decl {
    DeclKind kind;
    SrcPos pos;
    const char *name;
    SrcPos name_pos;
    const char *import_path; /* arena text */
    TypeExpr *type;
    Expr *init;
    FnDecl fn;
    const char *base_name; /* NULL when no base class */
    SrcPos base_pos;
    FieldDecl *fields;
    int field_count;
    FnDecl *methods;
    int method_count;
    const char **greens;
    int green_count;
    const char **reds;
    int red_count;
};

typedef struct AstModule {
    const char *path;
    int file; /* DiagContext file index */
    Decl **decls;
    int decl_count;
} AstModule;

/* The whole program: the main module first, then every imported module once,
 * in the order they were first imported. */
typedef struct AstProgram {
    AstModule **modules;
    int module_count;
} AstProgram;

#endif
