/* parse_core.c - the parser's token window, errors, recovery and node helpers.
 * See parse_internal.h for the recovery scheme and the position conventions. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_internal.h"

void parse_init(Parser *parser, ParseContext *context, int file) {
    memset(parser, 0, sizeof *parser);
    parser->context = context;
    parser->arena = context->arena;
    parser->diag = context->diag;
    parser->interns = context->interns;
    parser->file = file;
    lex_init(&parser->lexer, context->diag, context->interns, context->arena, file);
    parser->previous_pos = (SrcPos){file, 1, 1, 1};
    parser->name_list = intern_cstr(context->interns, "list");
    parser->name_dict = intern_cstr(context->interns, "dict");
    parser->name_greens = intern_cstr(context->interns, "greens");
    parser->name_reds = intern_cstr(context->interns, "reds");
    parser->name_missing = intern_cstr(context->interns, "<missing>");
}

void parse_dispose(Parser *parser) {
    vec_free(&parser->tokens);
    vec_free(&parser->scratch);
}

/* ---- the token window ------------------------------------------------- */

const LexToken *parse_fill(Parser *parser, int ahead) {
    int wanted = parser->index + ahead;
    while (wanted >= parser->tokens.count) {
        if (parser->tokens.count > 0 && vec_last(&parser->tokens).kind == LEX_EOF)
            return &vec_last(&parser->tokens);
        /* Before growing, drop consumed tokens when they are the larger half:
         * the window then stays as small as the deepest lookahead. */
        if (parser->tokens.count == parser->tokens.capacity && parser->index > 0 &&
            parser->index >= parser->tokens.count / 2) {
            int kept = parser->tokens.count - parser->index;
            memmove(parser->tokens.items, parser->tokens.items + parser->index,
                    sizeof(LexToken) * (size_t)kept);
            parser->tokens.count = kept;
            wanted -= parser->index;
            parser->index = 0;
        }
        vec_reserve(&parser->tokens, parser->tokens.count + 1);
        lex_next(&parser->lexer, &parser->tokens.items[parser->tokens.count]);
        parser->tokens.count++;
    }
    return &parser->tokens.items[wanted];
}

LexToken parse_advance(Parser *parser) {
    LexToken token = *parse_peek(parser, 0);
    if (token.kind != LEX_EOF) {
        parser->index++;
        parser->consumed++;
    }
    parser->previous_pos = token.pos;
    parser->previous_kind = token.kind;
    if (token.after_error) parser->panic = true;
    return token;
}

bool parse_quiet(Parser *parser) {
    return parser->panic || parse_peek(parser, 0)->after_error;
}

bool parse_accept(Parser *parser, LexTokenKind kind) {
    if (!parse_check(parser, kind)) return false;
    parse_advance(parser);
    return true;
}

/* ---- errors ------------------------------------------------------------ */

static void parse_vreport(Parser *parser, SrcPos pos, const char *format, va_list args) {
    char message[512];
    vsnprintf(message, sizeof message, format, args);
    diag_error(parser->diag, pos, "%s", message);
}

void parse_error_at(Parser *parser, SrcPos pos, const char *format, ...) {
    bool quiet = parse_quiet(parser);
    parser->panic = true;
    if (quiet) return;
    va_list args;
    va_start(args, format);
    parse_vreport(parser, pos, format, args);
    va_end(args);
}

void parse_report(Parser *parser, SrcPos pos, const char *format, ...) {
    if (parser->panic) return;
    va_list args;
    va_start(args, format);
    parse_vreport(parser, pos, format, args);
    va_end(args);
}

const char *parse_describe(Parser *parser, const LexToken *token, char *buffer, size_t size) {
    const char *source = parser->lexer.text + token->offset;
    int length = token->pos.length;
    const char *ellipsis = "";
    if (length > 24) {
        length = 24;
        ellipsis = "...";
    }
    switch (token->kind) {
    case LEX_EOF: snprintf(buffer, size, "end of file"); break;
    case LEX_IDENT: snprintf(buffer, size, "identifier '%s'", token->text); break;
    case LEX_INT:
    case LEX_FLOAT: snprintf(buffer, size, "number '%.*s%s'", length, source, ellipsis); break;
    case LEX_CHAR: snprintf(buffer, size, "char literal %.*s%s", length, source, ellipsis); break;
    case LEX_STRING: snprintf(buffer, size, "string %.*s%s", length, source, ellipsis); break;
    default: snprintf(buffer, size, "'%s'", lex_token_spelling[token->kind]); break;
    }
    return buffer;
}

void parse_error_expected(Parser *parser, const char *what) {
    const LexToken *token = parse_peek(parser, 0);
    char found[96];
    parse_describe(parser, token, found, sizeof found);
    parse_error_at(parser, token->pos, "expected %s, found %s", what, found);
}

static void parse_error_expected_token(Parser *parser, LexTokenKind kind, const char *context) {
    char what[96];
    snprintf(what, sizeof what, "'%s'%s%s", lex_token_spelling[kind], context[0] ? " " : "",
             context);
    parse_error_expected(parser, what);
}

bool parse_expect(Parser *parser, LexTokenKind kind, const char *context) {
    if (parse_accept(parser, kind)) return true;
    parse_error_expected_token(parser, kind, context);
    return false;
}

bool parse_expect_semicolon(Parser *parser, const char *context) {
    if (parse_accept(parser, LEX_SEMICOLON)) return true;
    const LexToken *token = parse_peek(parser, 0);
    bool on_next_line =
        token->newline_before || token->kind == LEX_RBRACE || token->kind == LEX_EOF;
    if (!on_next_line) {
        parse_error_expected_token(parser, LEX_SEMICOLON, context);
        return false;
    }
    /* Point where the ';' belongs, the end of the previous token. */
    SrcPos pos = parser->previous_pos;
    pos.col += pos.length;
    pos.length = 1;
    char found[96];
    parse_describe(parser, token, found, sizeof found);
    parse_report(parser, pos, "expected ';' %s, found %s", context, found);
    return false;
}

bool parse_expect_identifier(Parser *parser, const char *what, LexToken *name) {
    if (parse_check(parser, LEX_IDENT)) {
        *name = parse_advance(parser);
        return true;
    }
    memset(name, 0, sizeof *name);
    name->kind = LEX_IDENT;
    name->pos = parse_peek(parser, 0)->pos;
    name->text = parser->name_missing;
    parse_error_expected(parser, what);
    return false;
}

bool parse_expect_closing_angle(Parser *parser, const char *context) {
    LexToken *token = (LexToken *)parse_peek(parser, 0);
    LexTokenKind rest;
    switch (token->kind) {
    case LEX_GT: parse_advance(parser); return true;
    case LEX_SHR: rest = LEX_GT; break;
    case LEX_GE: rest = LEX_ASSIGN; break;
    case LEX_SHR_ASSIGN: rest = LEX_GE; break;
    default: parse_error_expected_token(parser, LEX_GT, context); return false;
    }
    /* Split off the first '>': the remainder stays as the current token. */
    parser->previous_pos = token->pos;
    parser->previous_pos.length = 1;
    token->kind = rest;
    token->offset++;
    token->pos.col++;
    token->pos.length--;
    token->newline_before = false;
    return true;
}

/* ---- nesting and recovery ---------------------------------------------- */

bool parse_enter(Parser *parser) {
    if (parser->depth >= PARSE_MAX_DEPTH) {
        /* Once per file: the rest of a runaway nesting is the same mistake. */
        if (parser->too_deep)
            parser->panic = true;
        else
            parse_error_at(parser, parse_peek(parser, 0)->pos,
                           "nesting too deep (more than %d levels of brackets, blocks or "
                           "operators)",
                           PARSE_MAX_DEPTH);
        parser->too_deep = true;
        return false;
    }
    parser->depth++;
    return true;
}

void parse_leave(Parser *parser) {
    parser->depth--;
}

bool parse_starts_statement(LexTokenKind kind) {
    switch (kind) {
    case LEX_KW_VAR:
    case LEX_KW_IF:
    case LEX_KW_WHILE:
    case LEX_KW_DO:
    case LEX_KW_FOR:
    case LEX_KW_SWITCH:
    case LEX_KW_BREAK:
    case LEX_KW_CONTINUE:
    case LEX_KW_RETURN:
    case LEX_KW_THROW:
    case LEX_KW_TRY:
    case LEX_KW_ATOMIC: return true;
    default: return false;
    }
}

bool parse_starts_decl(LexTokenKind kind) {
    switch (kind) {
    case LEX_KW_FN:
    case LEX_KW_CLASS:
    case LEX_KW_IMPORT:
    case LEX_KW_EXTERN:
    case LEX_KW_JITDRIVER:
    case LEX_KW_CONST:
    case LEX_KW_VAR:
    case LEX_AT: return true;
    default: return false;
    }
}

static bool parse_is_opener(LexTokenKind kind) {
    return kind == LEX_LPAREN || kind == LEX_LBRACKET || kind == LEX_LBRACE;
}

static bool parse_is_closer(LexTokenKind kind) {
    return kind == LEX_RPAREN || kind == LEX_RBRACKET || kind == LEX_RBRACE;
}

/* The shared skipping loop.  `stop` says whether a token at bracket depth 0
 * ends the skip before it; ';' at depth 0 is consumed and ends it; a '}'
 * that closes a group opened during the skip is consumed (with a ';' right
 * after it) and ends it. */
static void parse_skip(Parser *parser, int64_t item_start, bool (*stop)(LexTokenKind kind),
                       bool in_block) {
    int depth = 0;
    /* An item that ended with its ';' or '}' leaves the parser at a boundary. */
    if (parser->consumed > item_start &&
        (parser->previous_kind == LEX_SEMICOLON || parser->previous_kind == LEX_RBRACE)) {
        parser->panic = false;
        return;
    }
    for (;;) {
        LexTokenKind kind = parse_kind(parser);
        if (kind == LEX_EOF) break;
        if (depth == 0) {
            if (kind == LEX_SEMICOLON) {
                parse_advance(parser);
                break;
            }
            if (kind == LEX_RBRACE || stop(kind)) break;
            /* Inside a block a '{' that ends its line opens a body: parse it
             * rather than skip it, because a stray one would swallow the
             * rest.  Outside blocks a brace group is skipped whole. */
            if (in_block && kind == LEX_LBRACE && parse_peek(parser, 1)->newline_before) break;
        }
        parse_advance(parser);
        if (parse_is_opener(kind)) {
            depth++;
        } else if (parse_is_closer(kind) && depth > 0) {
            depth--;
            if (depth == 0 && kind == LEX_RBRACE) {
                parse_accept(parser, LEX_SEMICOLON); /* `= {...};` ends there too */
                break;
            }
        }
    }
    parser->panic = false;
}

static bool parse_stops_statement(LexTokenKind kind) {
    return parse_starts_statement(kind) || parse_starts_decl(kind) || kind == LEX_KW_CASE ||
           kind == LEX_KW_DEFAULT;
}

static bool parse_stops_member(LexTokenKind kind) {
    return parse_starts_decl(kind);
}

void parse_skip_to(Parser *parser, int64_t item_start, bool (*stop)(LexTokenKind kind)) {
    parse_skip(parser, item_start, stop, false);
}

void parse_sync_statement(Parser *parser, int64_t item_start) {
    parse_skip(parser, item_start, parse_stops_statement, true);
}

void parse_sync_member(Parser *parser, int64_t item_start) {
    parse_skip(parser, item_start, parse_stops_member, false);
}

void parse_sync_decl(Parser *parser, int64_t item_start) {
    /* At the top level a stray '}' is skipped rather than a stopping point. */
    for (;;) {
        parse_skip(parser, item_start, parse_starts_decl, false);
        if (!parse_check(parser, LEX_RBRACE)) break;
        parse_advance(parser);
        item_start = parser->consumed;
    }
}

/* header: the brackets of a statement or function header, which a body
 * follows, so any '{' stops the skip and ';' stops it unless the header is
 * a for-loop's. */
static bool parse_close_skipping(Parser *parser, LexTokenKind closer, const char *context,
                                 bool header, bool through_semicolons) {
    if (parse_accept(parser, closer)) return true;
    parse_error_expected_token(parser, closer, context);
    int depth = 0;
    for (;;) {
        LexTokenKind kind = parse_kind(parser);
        if (kind == LEX_EOF) return false;
        if (depth == 0) {
            if (kind == closer) {
                parse_advance(parser);
                return false;
            }
            if ((kind == LEX_SEMICOLON && !through_semicolons) ||
                (kind == LEX_RBRACE && closer != LEX_RBRACE) || parse_stops_statement(kind))
                return false;
            if (kind == LEX_LBRACE && (header || parse_peek(parser, 1)->newline_before))
                return false;
        }
        if (parse_is_opener(kind))
            depth++;
        else if (parse_is_closer(kind) && depth > 0)
            depth--;
        else if (parse_is_closer(kind))
            return false; /* closes something outside */
        parse_advance(parser);
    }
}

bool parse_close(Parser *parser, LexTokenKind closer, const char *context) {
    return parse_close_skipping(parser, closer, context, false, false);
}

bool parse_close_header(Parser *parser, const char *context, bool for_loop) {
    return parse_close_skipping(parser, LEX_RPAREN, context, true, for_loop);
}

/* ---- lists and nodes ---------------------------------------------------- */

int parse_scratch_mark(Parser *parser) {
    return parser->scratch.count;
}

void parse_scratch_push(Parser *parser, void *item) {
    vec_push(&parser->scratch, item);
}

#define PARSE_FINISH(function, type)                                                               \
    type *function(Parser *parser, int mark, int *count) {                                         \
        int length = parser->scratch.count - mark;                                                 \
        type *items = NULL;                                                                        \
        if (length > 0) {                                                                          \
            items = ARENA_NEW_ARRAY(parser->arena, type, length);                                  \
            for (int i = 0; i < length; i++)                                                       \
                items[i] = parser->scratch.items[mark + i];                                        \
        }                                                                                          \
        parser->scratch.count = mark;                                                              \
        *count = length;                                                                           \
        return items;                                                                              \
    }

PARSE_FINISH(parse_finish_exprs, Expr *)
PARSE_FINISH(parse_finish_stmts, Stmt *)
PARSE_FINISH(parse_finish_decls, Decl *)
PARSE_FINISH(parse_finish_types, TypeExpr *)
PARSE_FINISH(parse_finish_names, const char *)

#undef PARSE_FINISH

Expr *parse_new_expr(Parser *parser, ExprKind kind, SrcPos pos) {
    Expr *expr = ARENA_NEW(parser->arena, Expr);
    expr->kind = kind;
    expr->pos = pos;
    return expr;
}

Stmt *parse_new_stmt(Parser *parser, StmtKind kind, SrcPos pos) {
    Stmt *stmt = ARENA_NEW(parser->arena, Stmt);
    stmt->kind = kind;
    stmt->pos = pos;
    return stmt;
}

SrcPos parse_span(SrcPos from, SrcPos to) {
    if (from.file == to.file && from.line == to.line && to.col + to.length > from.col)
        from.length = to.col + to.length - from.col;
    return from;
}
