/* parse_internal.h - the parser's private state, shared by its files.
 *
 *   parse_core.c     token window, error reporting and recovery, node helpers
 *   parse_expr.c     expressions (precedence climbing over AST_OPERATORS)
 *   parse_stmt.c     statements and blocks
 *   parse_decl.c     types, declarations, modules
 *   parse_program.c  import resolution: parse_program, parse_program_text
 *   ast_dump.c       the S-expression dump
 *
 * Error recovery (panic mode).  The first error sets `panic`; while it is
 * set every further error is swallowed, so one mistake never produces a
 * cascade.  Consuming a token the lexer complained about (LexToken.after_error)
 * sets it silently.  Lists in brackets recover to their closing bracket
 * (parse_close).  The statement, class-member and declaration loops own the
 * resynchronisation: after an item that left the parser in panic they skip
 * tokens to a boundary (`;`, `}`, or a keyword that starts an item, counted
 * only outside brackets; nothing when the item ended with `;` or `}`), clear
 * `panic` and go on, so one run reports one error per broken item.  An
 * opening brace of a body also ends panic mode.  Some mistakes spread over
 * many items and are reported once: statements left at the top level by a
 * function that lost a brace (`stray_code`), case labels and try clauses
 * outside their statement (once per block), runaway nesting (once per
 * file).  Every loop that consumes items checks that each iteration
 * consumed a token, so no input makes it spin.
 *
 * Recursion is bounded: parse_enter/parse_leave count nesting (expressions,
 * statements, types) and stop at PARSE_MAX_DEPTH with "nesting too deep".
 *
 * AST positions.  Statements carry their first token, declarations their
 * keyword (after any attributes).  Expressions carry their first token,
 * except operators, which carry the operator token (binary, assignment,
 * postfix ++/--, `?`, `is`, `as`, `[` of an index), member accesses, which
 * carry the member name, and calls, which carry the callee's position.
 * DECL_IMPORT keeps the position of its path literal in name_pos.
 *
 * Folding.  A '-' directly before a number literal is part of the literal:
 * `-5` is EXPR_INT -5 (spanning both tokens), which is how the smallest int
 * is written; `-x` and `-(5)` stay EXPR_UNARY.
 */
#ifndef KILN_PARSE_INTERNAL_H
#define KILN_PARSE_INTERNAL_H

#include "lexer.h"
#include "parse.h"

enum { PARSE_MAX_DEPTH = 256 }; /* deep enough for real code; shallow enough that every recursive walk of the tree fits the C stack, even under sanitizers */

typedef struct Parser {
    ParseContext *context;
    Arena *arena;
    DiagContext *diag;
    InternTable *interns;
    int file;
    Lexer lexer;
    /* Lookahead window: tokens[index] is the current token; tokens before
     * index are dropped when the window is compacted.  Token pointers are
     * valid only until the next parse_peek (which may lex and move them). */
    Vec(LexToken) tokens;
    int index;
    int64_t consumed;    /* tokens consumed so far: loops use it to check progress */
    SrcPos previous_pos; /* the last consumed token, for "after" positions */
    LexTokenKind previous_kind;
    bool panic;    /* an error was reported and no boundary was reached since */
    int depth;     /* current nesting, <= PARSE_MAX_DEPTH */
    bool too_deep; /* "nesting too deep" was reported (once per file) */
    /* Statements stand at the top level (a function lost its braces): they
     * are skipped quietly up to the next declaration other than `var`. */
    bool stray_code;
    /* Scratch stack for building node lists: a list pushes from a mark and
     * is copied into the arena when finished; lists nest LIFO. */
    Vec(void *) scratch;
    /* Interned names the grammar treats specially (they are not keywords). */
    const char *name_list;
    const char *name_dict;
    const char *name_greens;
    const char *name_reds;
    const char *name_missing; /* stands for an identifier that was not there */
    SrcPos block_end;         /* the '}' that closed the last block parsed */
} Parser;

/* ---- parse_core.c ---- */
void parse_init(Parser *parser, ParseContext *context, int file);
void parse_dispose(Parser *parser);
/* Lexes up to the token `ahead` places after the current one (the slow
 * path of parse_peek). */
const LexToken *parse_fill(Parser *parser, int ahead);

/* The token `ahead` places after the current one (0: the current token). */
static inline const LexToken *parse_peek(Parser *parser, int ahead) {
    int wanted = parser->index + ahead;
    if (wanted < parser->tokens.count) return &parser->tokens.items[wanted];
    return parse_fill(parser, ahead);
}

static inline LexTokenKind parse_kind(Parser *parser) {
    return parse_peek(parser, 0)->kind;
}

static inline LexTokenKind parse_kind_at(Parser *parser, int ahead) {
    return parse_peek(parser, ahead)->kind;
}

static inline bool parse_check(Parser *parser, LexTokenKind kind) {
    return parse_peek(parser, 0)->kind == kind;
}

LexToken parse_advance(Parser *parser);
bool parse_accept(Parser *parser, LexTokenKind kind);
/* Consumes `kind` or reports "expected 'kind' CONTEXT, found ..." (context
 * like "after arguments"); returns whether it was there. */
bool parse_expect(Parser *parser, LexTokenKind kind, const char *context);
/* A missing ';' before a token on a later line (or before '}' or the end)
 * is reported just after the previous token and does not start panic mode:
 * the parser goes on as if the ';' were there. */
bool parse_expect_semicolon(Parser *parser, const char *context);
/* Consumes an identifier or reports "expected WHAT, found ...". */
bool parse_expect_identifier(Parser *parser, const char *what, LexToken *name);
/* Closes a generic type: accepts '>' and splits '>>', '>=', '>>='. */
bool parse_expect_closing_angle(Parser *parser, const char *context);

/* Reports an error that desynchronises the parser: starts panic mode. */
void parse_error_at(Parser *parser, SrcPos pos, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports an error after which parsing goes on normally (a well-formed but
 * invalid construct, e.g. an assignment to a call); silent in panic mode. */
void parse_report(Parser *parser, SrcPos pos, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether an error reported now would be swallowed (panic mode, or the
 * current token follows a lexical error); notes check it. */
bool parse_quiet(Parser *parser);
/* "expected WHAT, found <current token>" at the current token. */
void parse_error_expected(Parser *parser, const char *what);
/* A short description of a token: "identifier 'x'", "'{'", "end of file". */
const char *parse_describe(Parser *parser, const LexToken *token, char *buffer, size_t size);

bool parse_enter(Parser *parser);
void parse_leave(Parser *parser);

/* Consumes the closing bracket of a list or reports "expected 'closer'
 * CONTEXT, found ..." and skips to it, consuming it when it comes before a
 * ';', a statement keyword or a '}'.  This keeps the parser at the right
 * bracket level after an error inside the brackets.  A '{' that ends its
 * line stops the skip too: a missing ')' is most often followed by the '{'
 * of a body. */
bool parse_close(Parser *parser, LexTokenKind closer, const char *context);
/* The same for the ')' of a statement or function header (conditions,
 * loop headers, catch clauses, parameters): any '{' stops the skip, and
 * for a for-loop header ';' does not. */
bool parse_close_header(Parser *parser, const char *context, bool for_loop);

/* Recovery after an item that began when `consumed` was item_start: skip
 * to the boundary of the item kind; clear panic. */
void parse_sync_statement(Parser *parser, int64_t item_start);
void parse_sync_member(Parser *parser, int64_t item_start);
void parse_sync_decl(Parser *parser, int64_t item_start);
/* The same skip with a custom set of stopping tokens, brace groups skipped. */
void parse_skip_to(Parser *parser, int64_t item_start, bool (*stop)(LexTokenKind kind));
bool parse_starts_statement(LexTokenKind kind);
bool parse_starts_decl(LexTokenKind kind);

int parse_scratch_mark(Parser *parser);
void parse_scratch_push(Parser *parser, void *item);
Expr **parse_finish_exprs(Parser *parser, int mark, int *count);
Stmt **parse_finish_stmts(Parser *parser, int mark, int *count);
Decl **parse_finish_decls(Parser *parser, int mark, int *count);
TypeExpr **parse_finish_types(Parser *parser, int mark, int *count);
const char **parse_finish_names(Parser *parser, int mark, int *count);

Expr *parse_new_expr(Parser *parser, ExprKind kind, SrcPos pos);
Stmt *parse_new_stmt(Parser *parser, StmtKind kind, SrcPos pos);
/* The span from the start of `from` to the end of `to` when both are on one line. */
SrcPos parse_span(SrcPos from, SrcPos to);

/* ---- parse_expr.c ---- */
/* expression = assignment */
Expr *parse_expression(Parser *parser);

/* ---- parse_stmt.c ---- */
Stmt *parse_statement(Parser *parser);
/* Consumes the '}' of a body opened at open_pos, or reports it missing
 * ("expected '}' CONTEXT, found ...") with a note naming the '{'. */
void parse_close_brace(Parser *parser, SrcPos open_pos, const char *context);
/* block = '{' statement* '}' ; `context` says where the '{' is expected. */
Stmt *parse_block(Parser *parser, const char *context);

/* ---- parse_decl.c ---- */
TypeExpr *parse_type(Parser *parser);
AstModule *parse_module_tokens(Parser *parser);

#endif
