/* parse.h - the lexer and parser of Kiln C.
 *
 * Contract.  Expects: source files registered in a DiagContext.  Produces: an
 * AstProgram (ast.h) in the context's arena, with every import resolved:
 * an import path is looked up relative to the importing file's folder, then
 * in each search path in order; each file is parsed once (import cycles are
 * harmless).  Errors: reported through the DiagContext with file:line:col,
 * the source line and a caret; the parser recovers at statement and
 * declaration boundaries so that one run reports several errors.  A program
 * with parse errors is still returned (the caller checks diag->errors).
 */
#ifndef KILN_PARSE_H
#define KILN_PARSE_H

#include <stdio.h>

#include "../common/arena.h"
#include "../common/diag.h"
#include "../common/intern.h"
#include "ast.h"

typedef struct ParseContext {
    Arena *arena;           /* the source arena: AST and file texts */
    InternTable *interns;   /* identifiers */
    DiagContext *diag;
    const char **search_paths; /* borrowed; folders searched by import */
    int search_path_count;
} ParseContext;

/* Parses one registered file (no import resolution). */
AstModule *parse_module(ParseContext *context, int file);
/* Loads `path`, parses it and everything it imports.  Returns NULL only when
 * `path` itself cannot be read (already reported). */
AstProgram *parse_program(ParseContext *context, const char *path);
/* Same, for source text that is not on disk (tests, fuzzing, the prelude). */
AstProgram *parse_program_text(ParseContext *context, const char *path, const char *text,
                               int length);

/* `kiln parse --dump`: a readable, stable S-expression form of the AST. */
void ast_dump_program(FILE *out, const DiagContext *diag, const AstProgram *program);
void ast_dump_expr(FILE *out, const Expr *expr);
void ast_dump_stmt(FILE *out, const Stmt *stmt, int indent);

#endif
