/* ast_dump.c - the S-expression form of the AST (`kiln parse --dump`).
 *
 * The form is stable (tests compare it) and positionless:
 *   expressions on one line:  (int 5) (float 1.5) (char 'a') (str "a\n")
 *     true false null this, names bare, (- x) (+ a b) (? c a b) (= x e)
 *     (+= x e) (pre++ x) (post-- x) (call f a) (. obj name) (index a i)
 *     (new Name a) (list a b) (dict (k v)) (tuple a b) (is e C) (as e C)
 *   types as written, without spaces: int list<int> dict<str,int>
 *     (int,str) fn(int,str)->bool
 *   statements and declarations one per line, children indented by two
 *   spaces, closing parentheses at the end of the last child's line.
 * ast_dump_expr writes one line without a newline; ast_dump_stmt writes a
 * statement starting `indent` spaces in, and ends its last line.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static void dump_indent(FILE *out, int indent) {
    fprintf(out, "\n%*s", indent, "");
}


/* The shortest decimal that reads back as the same double. */
static void dump_float(FILE *out, double value) {
    if (isnan(value)) {
        fputs("nan", out);
        return;
    }
    if (isinf(value)) {
        fputs(value < 0 ? "-inf" : "inf", out);
        return;
    }
    char buffer[40];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buffer, sizeof buffer, "%.*g", precision, value);
        if (strtod(buffer, NULL) == value) break;
    }
    fputs(buffer, out);
    if (!strpbrk(buffer, ".e")) fputs(".0", out);
}

static void dump_type(FILE *out, const TypeExpr *type) {
    if (!type) {
        fputs("_", out);
        return;
    }
    switch (type->kind) {
    case TYPE_NAMED: fputs(type->name, out); return;
    case TYPE_LIST:
    case TYPE_DICT:
        fputs(type->kind == TYPE_LIST ? "list<" : "dict<", out);
        for (int i = 0; i < type->arg_count; i++) {
            if (i) fputc(',', out);
            dump_type(out, type->args[i]);
        }
        fputc('>', out);
        return;
    case TYPE_TUPLE:
    case TYPE_FN:
        fputs(type->kind == TYPE_FN ? "fn(" : "(", out);
        for (int i = 0; i < type->arg_count; i++) {
            if (i) fputc(',', out);
            dump_type(out, type->args[i]);
        }
        fputc(')', out);
        if (type->kind == TYPE_FN && type->result) {
            fputs("->", out);
            dump_type(out, type->result);
        }
        return;
    }
}

static void dump_expr_list(FILE *out, Expr *const *items, int count) {
    for (int i = 0; i < count; i++) {
        fputc(' ', out);
        ast_dump_expr(out, items[i]);
    }
}

/* Names for the expression kinds that print as (head operands...). */
static const char *dump_head(const Expr *expr) {
    switch (expr->kind) {
    case EXPR_TERNARY: return "?";
    case EXPR_CALL: return "call";
    case EXPR_MEMBER: return ".";
    case EXPR_INDEX: return "index";
    case EXPR_NEW: return "new";
    case EXPR_LIST: return "list";
    case EXPR_DICT: return "dict";
    case EXPR_TUPLE: return "tuple";
    case EXPR_IS: return "is";
    case EXPR_AS: return "as";
    default: return "?";
    }
}

void ast_dump_expr(FILE *out, const Expr *expr) {
    if (!expr) {
        fputs("_", out);
        return;
    }
    switch (expr->kind) {
    case EXPR_INT: fprintf(out, "(int %lld)", (long long)expr->int_value); return;
    case EXPR_FLOAT:
        fputs("(float ", out);
        dump_float(out, expr->float_value);
        fputc(')', out);
        return;
    case EXPR_CHAR: {
        char byte = (char)expr->int_value;
        fputs("(char ", out);
        diag_write_quoted(out, &byte, 1, '\'');
        fputc(')', out);
        return;
    }
    case EXPR_STR:
        fputs("(str ", out);
        diag_write_quoted(out, expr->str_value, expr->str_length, '"');
        fputc(')', out);
        return;
    case EXPR_BOOL: fputs(expr->int_value ? "true" : "false", out); return;
    case EXPR_NULL: fputs("null", out); return;
    case EXPR_THIS: fputs("this", out); return;
    case EXPR_NAME: fputs(expr->name, out); return;
    case EXPR_UNARY:
    case EXPR_BINARY:
        fprintf(out, "(%s ", ast_operator_text[expr->op]);
        ast_dump_expr(out, expr->left);
        if (expr->kind == EXPR_BINARY) {
            fputc(' ', out);
            ast_dump_expr(out, expr->right);
        }
        fputc(')', out);
        return;
    case EXPR_ASSIGN:
        fprintf(out, "(%s%s ", expr->op == OP_ASSIGN ? "" : ast_operator_text[expr->op], "=");
        ast_dump_expr(out, expr->left);
        fputc(' ', out);
        ast_dump_expr(out, expr->right);
        fputc(')', out);
        return;
    case EXPR_INCDEC:
        fprintf(out, "(%s%s ", expr->prefix ? "pre" : "post", expr->op == OP_ADD ? "++" : "--");
        ast_dump_expr(out, expr->left);
        fputc(')', out);
        return;
    case EXPR_DICT:
        fputs("(dict", out);
        for (int i = 0; i + 1 < expr->arg_count; i += 2) {
            fputs(" (", out);
            ast_dump_expr(out, expr->args[i]);
            fputc(' ', out);
            ast_dump_expr(out, expr->args[i + 1]);
            fputc(')', out);
        }
        fputc(')', out);
        return;
    default: break;
    }
    fprintf(out, "(%s", dump_head(expr));
    if (expr->left) {
        fputc(' ', out);
        ast_dump_expr(out, expr->left);
    }
    if (expr->kind == EXPR_TERNARY || expr->kind == EXPR_INDEX) {
        fputc(' ', out);
        ast_dump_expr(out, expr->right);
    }
    if (expr->kind == EXPR_TERNARY) {
        fputc(' ', out);
        ast_dump_expr(out, expr->third);
    }
    if (expr->name) fprintf(out, " %s", expr->name);
    dump_expr_list(out, expr->args, expr->arg_count);
    fputc(')', out);
}

static void dump_stmt(FILE *out, const Stmt *stmt, int indent);

/* A child statement on its own line, indented. */
static void dump_child(FILE *out, const Stmt *stmt, int indent) {
    dump_indent(out, indent);
    dump_stmt(out, stmt, indent);
}

static void dump_names(FILE *out, const Stmt *stmt) {
    if (stmt->name_count == 1) {
        fprintf(out, " %s", stmt->names[0]);
        return;
    }
    fputs(" (", out);
    for (int i = 0; i < stmt->name_count; i++)
        fprintf(out, "%s%s", i ? " " : "", stmt->names[i]);
    fputc(')', out);
}

static void dump_var(FILE *out, const char *keyword, const char *name, const TypeExpr *type,
                     const Expr *init) {
    fprintf(out, "(%s", keyword);
    if (name) fprintf(out, " %s", name);
    if (type) {
        fputs(" : ", out);
        dump_type(out, type);
    }
    if (init) {
        fputs(" = ", out);
        ast_dump_expr(out, init);
    }
}

static void dump_switch(FILE *out, const Stmt *stmt, int indent) {
    fputs("(switch ", out);
    ast_dump_expr(out, stmt->expr);
    for (int i = 0; i < stmt->case_count; i++) {
        const SwitchCase *switch_case = &stmt->cases[i];
        dump_indent(out, indent + 2);
        fputs(switch_case->value_count ? "(case" : "(default", out);
        dump_expr_list(out, switch_case->values, switch_case->value_count);
        for (int j = 0; j < switch_case->body_count; j++)
            dump_child(out, switch_case->body[j], indent + 4);
        fputc(')', out);
    }
    fputc(')', out);
}

static void dump_try(FILE *out, const Stmt *stmt, int indent) {
    fputs("(try", out);
    dump_child(out, stmt->then_branch, indent + 2);
    for (int i = 0; i < stmt->catch_count; i++) {
        const CatchClause *clause = &stmt->catches[i];
        dump_indent(out, indent + 2);
        fprintf(out, "(catch %s", clause->class_name);
        if (clause->var_name) fprintf(out, " %s", clause->var_name);
        dump_child(out, clause->body, indent + 4);
        fputc(')', out);
    }
    if (stmt->else_branch) {
        dump_indent(out, indent + 2);
        fputs("(finally", out);
        dump_child(out, stmt->else_branch, indent + 4);
        fputc(')', out);
    }
    fputc(')', out);
}

static void dump_for(FILE *out, const Stmt *stmt, int indent) {
    if (stmt->kind == STMT_FOR_EACH) {
        fputs("(for-each", out);
        dump_names(out, stmt);
        fputc(' ', out);
        ast_dump_expr(out, stmt->expr);
    } else {
        fputs("(for ", out);
        if (stmt->init)
            dump_stmt(out, stmt->init, indent);
        else
            fputc('_', out);
        fputc(' ', out);
        ast_dump_expr(out, stmt->expr);
        fputc(' ', out);
        ast_dump_expr(out, stmt->step);
    }
    dump_child(out, stmt->then_branch, indent + 2);
    fputc(')', out);
}

/* Prints a statement starting at the current column; continuation lines
 * are indented from `indent`.  No final newline. */
static void dump_stmt(FILE *out, const Stmt *stmt, int indent) {
    if (!stmt) {
        fputs("_", out);
        return;
    }
    switch (stmt->kind) {
    case STMT_BLOCK:
        fputs("(block", out);
        for (int i = 0; i < stmt->body_count; i++)
            dump_child(out, stmt->body[i], indent + 2);
        fputc(')', out);
        return;
    case STMT_VAR:
        if (stmt->name_count == 1) {
            dump_var(out, "var", stmt->names[0], stmt->type, stmt->expr);
        } else {
            fputs("(var", out);
            dump_names(out, stmt);
            fputs(" = ", out);
            ast_dump_expr(out, stmt->expr);
        }
        fputc(')', out);
        return;
    case STMT_EXPR: ast_dump_expr(out, stmt->expr); return;
    case STMT_IF:
    case STMT_WHILE:
    case STMT_DO_WHILE:
        fprintf(out, "(%s ",
                stmt->kind == STMT_IF      ? "if"
                : stmt->kind == STMT_WHILE ? "while"
                                           : "do-while");
        ast_dump_expr(out, stmt->expr);
        dump_child(out, stmt->then_branch, indent + 2);
        if (stmt->else_branch) dump_child(out, stmt->else_branch, indent + 2);
        fputc(')', out);
        return;
    case STMT_FOR:
    case STMT_FOR_EACH: dump_for(out, stmt, indent); return;
    case STMT_SWITCH: dump_switch(out, stmt, indent); return;
    case STMT_BREAK: fputs("(break)", out); return;
    case STMT_CONTINUE: fputs("(continue)", out); return;
    case STMT_EMPTY: fputs("(empty)", out); return;
    case STMT_RETURN:
    case STMT_THROW:
        fputs(stmt->kind == STMT_RETURN ? "(return" : "(throw", out);
        if (stmt->expr) {
            fputc(' ', out);
            ast_dump_expr(out, stmt->expr);
        }
        fputc(')', out);
        return;
    case STMT_TRY: dump_try(out, stmt, indent); return;
    case STMT_ATOMIC:
        fputs("(atomic", out);
        dump_child(out, stmt->then_branch, indent + 2);
        fputc(')', out);
        return;
    }
}

void ast_dump_stmt(FILE *out, const Stmt *stmt, int indent) {
    fprintf(out, "%*s", indent, "");
    dump_stmt(out, stmt, indent);
    fputc('\n', out);
}

static void dump_attributes(FILE *out, const FnDecl *fn) {
    if (fn->attribute_count == 0) return;
    fputs(" (attributes", out);
    for (int i = 0; i < fn->attribute_count; i++) {
        const Attribute *attribute = &fn->attributes[i];
        if (attribute->arg_count == 0) {
            fprintf(out, " %s", attribute->name);
            continue;
        }
        fprintf(out, " (%s", attribute->name);
        for (int j = 0; j < attribute->arg_count; j++)
            fprintf(out, " %s", attribute->args[j]);
        fputc(')', out);
    }
    fputc(')', out);
}

static void dump_function(FILE *out, const char *keyword, const FnDecl *fn, int indent) {
    fprintf(out, "(%s %s", keyword, fn->name);
    dump_attributes(out, fn);
    fputs(" (params", out);
    for (int i = 0; i < fn->param_count; i++) {
        const Param *param = &fn->params[i];
        if (!param->type) {
            fprintf(out, " %s", param->name);
            continue;
        }
        fprintf(out, " (%s ", param->name);
        dump_type(out, param->type);
        fputc(')', out);
    }
    fputc(')', out);
    if (fn->result) {
        fputs(" (result ", out);
        dump_type(out, fn->result);
        fputc(')', out);
    }
    if (fn->c_name) {
        fputc(' ', out);
        diag_write_quoted(out, fn->c_name, (int)strlen(fn->c_name), '"');
    }
    if (fn->body) dump_child(out, fn->body, indent + 2);
    fputc(')', out);
}

static void dump_class(FILE *out, const Decl *decl, int indent) {
    fprintf(out, "(class %s", decl->name);
    if (decl->base_name) fprintf(out, " (base %s)", decl->base_name);
    dump_attributes(out, &decl->fn);
    for (int i = 0; i < decl->field_count; i++) {
        dump_indent(out, indent + 2);
        dump_var(out, "field", decl->fields[i].name, decl->fields[i].type, NULL);
        fputc(')', out);
    }
    for (int i = 0; i < decl->method_count; i++) {
        dump_indent(out, indent + 2);
        dump_function(out, "fn", &decl->methods[i], indent + 2);
    }
    fputc(')', out);
}

static void dump_name_list(FILE *out, const char *head, const char *const *names, int count) {
    fprintf(out, " (%s", head);
    for (int i = 0; i < count; i++)
        fprintf(out, " %s", names[i]);
    fputc(')', out);
}

static void dump_decl(FILE *out, const Decl *decl, int indent) {
    switch (decl->kind) {
    case DECL_IMPORT:
        fputs("(import ", out);
        diag_write_quoted(out, decl->import_path, (int)strlen(decl->import_path), '"');
        fputc(')', out);
        return;
    case DECL_CONST:
    case DECL_VAR:
        dump_var(out, decl->kind == DECL_CONST ? "const" : "var", decl->name, decl->type,
                 decl->init);
        fputc(')', out);
        return;
    case DECL_FN: dump_function(out, "fn", &decl->fn, indent); return;
    case DECL_EXTERN: dump_function(out, "extern", &decl->fn, indent); return;
    case DECL_CLASS: dump_class(out, decl, indent); return;
    case DECL_JITDRIVER:
        fprintf(out, "(jitdriver %s", decl->name);
        dump_name_list(out, "greens", decl->greens, decl->green_count);
        dump_name_list(out, "reds", decl->reds, decl->red_count);
        fputc(')', out);
        return;
    }
}

void ast_dump_program(FILE *out, const DiagContext *diag, const AstProgram *program) {
    for (int i = 0; i < program->module_count; i++) {
        const AstModule *module = program->modules[i];
        const char *path = module->path ? module->path : diag_file(diag, module->file)->path;
        fputs("(module ", out);
        diag_write_quoted(out, path, (int)strlen(path), '"');
        for (int j = 0; j < module->decl_count; j++) {
            dump_indent(out, 2);
            dump_decl(out, module->decls[j], 2);
        }
        fputs(")\n", out);
    }
}
