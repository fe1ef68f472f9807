/* parse_stmt.c - statements and blocks (language.md §6, §9). */
#include <stdio.h>
#include <string.h>

#include "parse_internal.h"

static void parse_orphan_label(Parser *parser, bool report);
static Stmt *parse_misplaced(Parser *parser, bool report);

/* Parses statements until '}', the end of the file, a keyword that only
 * starts a declaration (the block was not closed) or, inside a switch,
 * 'case'/'default'.  Pushes them on the scratch stack. */
static void parse_statement_list(Parser *parser, bool in_switch) {
    bool label_reported = false, clause_reported = false;
    for (;;) {
        LexTokenKind kind = parse_kind(parser);
        if (kind == LEX_RBRACE || kind == LEX_EOF) return;
        bool label = kind == LEX_KW_CASE || kind == LEX_KW_DEFAULT;
        if (in_switch && label) return;
        if (parse_starts_decl(kind) && kind != LEX_KW_VAR) return;
        int64_t before = parser->consumed;
        if (label) {
            /* Case labels outside a switch: one error per block. */
            parse_orphan_label(parser, !label_reported);
            label_reported = true;
            continue;
        }
        if (kind == LEX_KW_CATCH || kind == LEX_KW_FINALLY) {
            /* So are the clauses of a try that already ended. */
            parse_scratch_push(parser, parse_misplaced(parser, !clause_reported));
            clause_reported = true;
            continue;
        }
        parse_scratch_push(parser, parse_statement(parser));
        if (parser->panic) parse_sync_statement(parser, before);
        if (parser->consumed == before) parse_advance(parser);
    }
}

void parse_close_brace(Parser *parser, SrcPos open_pos, const char *context) {
    const LexToken *token = parse_peek(parser, 0);
    parser->block_end = token->pos;
    if (token->kind == LEX_RBRACE) {
        parse_advance(parser);
        return;
    }
    bool silent = parse_quiet(parser);
    char what[64];
    snprintf(what, sizeof what, "'}' %s", context);
    parse_error_expected(parser, what);
    if (!silent)
        diag_note(parser->diag, "the '{' at line %d, column %d is not closed", open_pos.line,
                  open_pos.col);
}

/* block = '{' statement* '}'
 * An opening brace is a resynchronisation point: panic mode ends there. */
Stmt *parse_block(Parser *parser, const char *context) {
    Stmt *block = parse_new_stmt(parser, STMT_BLOCK, parse_peek(parser, 0)->pos);
    if (!parse_expect(parser, LEX_LBRACE, context)) {
        parser->block_end = block->pos;
        return block;
    }
    parser->panic = false;
    int mark = parse_scratch_mark(parser);
    parse_statement_list(parser, false);
    block->body = parse_finish_stmts(parser, mark, &block->body_count);
    parse_close_brace(parser, block->pos, "at end of block");
    return block;
}

/* Fills names, name_pos and name_count from '(' IDENT (',' IDENT)+ ')'. */
static void parse_unpack_names(Parser *parser, Stmt *stmt) {
    SrcPos open = parse_advance(parser).pos;
    Vec(const char *) names = {0};
    Vec(SrcPos) positions = {0};
    do {
        LexToken name;
        parse_expect_identifier(parser, "a name to unpack into", &name);
        vec_push(&names, name.text);
        vec_push(&positions, name.pos);
    } while (parse_accept(parser, LEX_COMMA) && !parse_check(parser, LEX_RPAREN));
    parse_close(parser, LEX_RPAREN, "after the names to unpack");
    if (names.count < 2) parse_report(parser, open, "unpacking needs at least two names");
    stmt->names = vec_freeze(parser->arena, &names);
    stmt->name_pos = vec_freeze(parser->arena, &positions);
    stmt->name_count = names.count;
    vec_free(&names);
    vec_free(&positions);
}

static void parse_single_name(Parser *parser, Stmt *stmt, const char *what) {
    LexToken name;
    parse_expect_identifier(parser, what, &name);
    stmt->names = ARENA_NEW_ARRAY(parser->arena, const char *, 1);
    stmt->name_pos = ARENA_NEW_ARRAY(parser->arena, SrcPos, 1);
    stmt->names[0] = name.text;
    stmt->name_pos[0] = name.pos;
    stmt->name_count = 1;
}

/* var_statement = 'var' IDENT (':' type)? ('=' expression)?
 *               | 'var' '(' IDENT (',' IDENT)+ ')' '=' expression
 * (without the ';', so that the for-loop initializer can use it) */
static Stmt *parse_var_statement(Parser *parser) {
    Stmt *stmt = parse_new_stmt(parser, STMT_VAR, parse_advance(parser).pos);
    if (parse_check(parser, LEX_LPAREN)) {
        parse_unpack_names(parser, stmt);
        if (parse_expect(parser, LEX_ASSIGN, "after the names to unpack"))
            stmt->expr = parse_expression(parser);
        return stmt;
    }
    parse_single_name(parser, stmt, "variable name after 'var'");
    if (parse_accept(parser, LEX_COLON)) stmt->type = parse_type(parser);
    if (parse_accept(parser, LEX_ASSIGN)) stmt->expr = parse_expression(parser);
    return stmt;
}

/* condition = '(' expression ')'   (of if, while, do-while and switch) */
static Expr *parse_condition(Parser *parser, const char *keyword) {
    char context[32];
    snprintf(context, sizeof context, "after '%s'", keyword);
    parse_expect(parser, LEX_LPAREN, context);
    Expr *condition = parse_expression(parser);
    parse_close_header(parser, "after condition", false);
    return condition;
}

/* if_statement = 'if' condition statement ('else' statement)?
 * The else binds to the nearest if. */
static Stmt *parse_if(Parser *parser) {
    Stmt *stmt = parse_new_stmt(parser, STMT_IF, parse_advance(parser).pos);
    stmt->expr = parse_condition(parser, "if");
    stmt->then_branch = parse_statement(parser);
    if (parse_accept(parser, LEX_KW_ELSE)) stmt->else_branch = parse_statement(parser);
    return stmt;
}

/* while_statement = 'while' condition statement */
static Stmt *parse_while(Parser *parser) {
    Stmt *stmt = parse_new_stmt(parser, STMT_WHILE, parse_advance(parser).pos);
    stmt->expr = parse_condition(parser, "while");
    stmt->then_branch = parse_statement(parser);
    return stmt;
}

/* do_statement = 'do' statement 'while' condition ';' */
static Stmt *parse_do(Parser *parser) {
    Stmt *stmt = parse_new_stmt(parser, STMT_DO_WHILE, parse_advance(parser).pos);
    stmt->then_branch = parse_statement(parser);
    if (!parse_expect(parser, LEX_KW_WHILE, "after the body of 'do'")) return stmt;
    stmt->expr = parse_condition(parser, "while");
    parse_expect_semicolon(parser, "after do-while loop");
    return stmt;
}

/* Decides between the two for forms after `for ( var IDENT :`, which may
 * start a typed initializer (for (var i: int = 0; ...)) or a for-each, and
 * after `for ( var (`: the classic form has a ';' inside the parentheses.
 * `start` is the lookahead index where the scan begins.  The scan stops at the
 * closing parenthesis or at a keyword that cannot occur in a loop header,
 * so it never looks further than the next statement. */
static bool parse_for_is_classic(Parser *parser, int start) {
    int depth = 0;
    for (int ahead = start;; ahead++) {
        LexTokenKind kind = parse_kind_at(parser, ahead);
        if (kind == LEX_EOF || kind == LEX_SEMICOLON) return true;
        if (parse_starts_statement(kind) || parse_starts_decl(kind)) return true;
        if (kind == LEX_LPAREN || kind == LEX_LBRACKET || kind == LEX_LBRACE) depth++;
        if (kind == LEX_RPAREN || kind == LEX_RBRACKET || kind == LEX_RBRACE) {
            if (depth == 0) return false;
            depth--;
        }
    }
}

/* for_each_head = 'var' (IDENT | '(' IDENT (',' IDENT)+ ')') ':' expression */
static void parse_for_each_head(Parser *parser, Stmt *stmt) {
    stmt->kind = STMT_FOR_EACH;
    parse_advance(parser); /* var */
    if (parse_check(parser, LEX_LPAREN))
        parse_unpack_names(parser, stmt);
    else
        parse_single_name(parser, stmt, "loop variable name after 'var'");
    if (parse_expect(parser, LEX_COLON, "after the loop variable"))
        stmt->expr = parse_expression(parser);
}

/* for_head = (var_statement | expression)? ';' expression? ';' expression? */
static void parse_for_head(Parser *parser, Stmt *stmt) {
    if (parse_check(parser, LEX_KW_VAR)) {
        stmt->init = parse_var_statement(parser);
    } else if (!parse_check(parser, LEX_SEMICOLON)) {
        Stmt *init = parse_new_stmt(parser, STMT_EXPR, parse_peek(parser, 0)->pos);
        init->expr = parse_expression(parser);
        stmt->init = init;
    }
    if (!parse_expect(parser, LEX_SEMICOLON, "after the loop initializer")) return;
    if (!parse_check(parser, LEX_SEMICOLON)) stmt->expr = parse_expression(parser);
    if (!parse_expect(parser, LEX_SEMICOLON, "after the loop condition")) return;
    if (!parse_check(parser, LEX_RPAREN)) stmt->step = parse_expression(parser);
}

/* for_statement = 'for' '(' (for_each_head | for_head) ')' statement */
static Stmt *parse_for(Parser *parser) {
    Stmt *stmt = parse_new_stmt(parser, STMT_FOR, parse_advance(parser).pos);
    parse_expect(parser, LEX_LPAREN, "after 'for'");
    bool for_each = false;
    if (parse_check(parser, LEX_KW_VAR)) {
        LexTokenKind after = parse_kind_at(parser, 1);
        if (after == LEX_LPAREN)
            for_each = !parse_for_is_classic(parser, 1);
        else if (after == LEX_IDENT && parse_kind_at(parser, 2) == LEX_COLON)
            for_each = !parse_for_is_classic(parser, 3);
    }
    if (for_each)
        parse_for_each_head(parser, stmt);
    else
        parse_for_head(parser, stmt);
    parse_close_header(parser, "after the loop header", true);
    stmt->then_branch = parse_statement(parser);
    return stmt;
}

/* Skips what stands before the first case of a switch up to a case label. */
static void parse_skip_to_case(Parser *parser) {
    int depth = 0;
    for (;;) {
        LexTokenKind kind = parse_kind(parser);
        if (kind == LEX_EOF) break;
        if (depth == 0 && (kind == LEX_KW_CASE || kind == LEX_KW_DEFAULT || kind == LEX_RBRACE))
            break;
        if (kind == LEX_LPAREN || kind == LEX_LBRACKET || kind == LEX_LBRACE) depth++;
        if ((kind == LEX_RPAREN || kind == LEX_RBRACKET || kind == LEX_RBRACE) && depth > 0)
            depth--;
        parse_advance(parser);
    }
    parser->panic = false;
}

/* switch_case = ('case' expression (',' expression)* | 'default') ':' statement* */
static void parse_switch_case(Parser *parser, SwitchCase *switch_case, bool *seen_default) {
    int64_t before = parser->consumed;
    LexToken label = parse_advance(parser);
    switch_case->pos = label.pos;
    int mark = parse_scratch_mark(parser);
    if (label.kind == LEX_KW_CASE) {
        do {
            parse_scratch_push(parser, parse_expression(parser));
        } while (parse_accept(parser, LEX_COMMA));
        parse_expect(parser, LEX_COLON, "after case value");
    } else {
        if (*seen_default) parse_report(parser, label.pos, "a switch has only one 'default'");
        *seen_default = true;
        parse_expect(parser, LEX_COLON, "after 'default'");
    }
    switch_case->values = parse_finish_exprs(parser, mark, &switch_case->value_count);
    if (parser->panic) parse_sync_statement(parser, before);
    mark = parse_scratch_mark(parser);
    parse_statement_list(parser, true);
    switch_case->body = parse_finish_stmts(parser, mark, &switch_case->body_count);
}

/* switch_statement = 'switch' condition '{' switch_case* '}' */
static Stmt *parse_switch(Parser *parser) {
    Stmt *stmt = parse_new_stmt(parser, STMT_SWITCH, parse_advance(parser).pos);
    stmt->expr = parse_condition(parser, "switch");
    SrcPos open = parse_peek(parser, 0)->pos;
    /* Without its '{' a switch whose cases follow is still read as one. */
    if (!parse_expect(parser, LEX_LBRACE, "after switch condition") &&
        !parse_check(parser, LEX_KW_CASE) && !parse_check(parser, LEX_KW_DEFAULT))
        return stmt;
    parser->panic = false;
    Vec(SwitchCase) cases = {0};
    bool seen_default = false;
    for (;;) {
        LexTokenKind kind = parse_kind(parser);
        if (kind == LEX_RBRACE || kind == LEX_EOF) break;
        if (parse_starts_decl(kind) && kind != LEX_KW_VAR) break;
        if (kind != LEX_KW_CASE && kind != LEX_KW_DEFAULT) {
            parse_error_expected(parser, "'case' or 'default' in switch body");
            parse_skip_to_case(parser);
            continue;
        }
        SwitchCase switch_case = {0};
        parse_switch_case(parser, &switch_case, &seen_default);
        vec_push(&cases, switch_case);
    }
    stmt->cases = vec_freeze(parser->arena, &cases);
    stmt->case_count = cases.count;
    vec_free(&cases);
    parse_close_brace(parser, open, "at end of switch");
    return stmt;
}

/* catch_clause = 'catch' '(' IDENT IDENT? ')' block */
static void parse_catch(Parser *parser, CatchClause *clause) {
    clause->pos = parse_advance(parser).pos;
    parse_expect(parser, LEX_LPAREN, "after 'catch'");
    LexToken class_name;
    parse_expect_identifier(parser, "exception class name in catch clause", &class_name);
    clause->class_name = class_name.text;
    clause->class_pos = class_name.pos;
    if (parse_check(parser, LEX_IDENT)) clause->var_name = parse_advance(parser).text;
    parse_close_header(parser, "after catch clause", false);
    clause->body = parse_block(parser, "to start the catch block");
}

/* try_statement = 'try' block catch_clause* ('finally' block)?
 *                 (with at least one catch clause or the finally block) */
static Stmt *parse_try(Parser *parser) {
    Stmt *stmt = parse_new_stmt(parser, STMT_TRY, parse_advance(parser).pos);
    stmt->then_branch = parse_block(parser, "after 'try'");
    Vec(CatchClause) catches = {0};
    while (parse_check(parser, LEX_KW_CATCH)) {
        CatchClause clause = {0};
        parse_catch(parser, &clause);
        vec_push(&catches, clause);
    }
    stmt->catches = vec_freeze(parser->arena, &catches);
    stmt->catch_count = catches.count;
    vec_free(&catches);
    if (parse_accept(parser, LEX_KW_FINALLY))
        stmt->else_branch = parse_block(parser, "after 'finally'");
    else if (stmt->catch_count == 0)
        parse_error_expected(parser, "'catch' or 'finally' after the try block");
    return stmt;
}

/* expression_statement = expression ';' */
static Stmt *parse_expression_statement(Parser *parser) {
    const LexToken *first = parse_peek(parser, 0);
    Stmt *stmt = parse_new_stmt(parser, STMT_EXPR, first->pos);
    stmt->expr = parse_expression(parser);
    if (parse_check(parser, LEX_SEMICOLON)) {
        parse_advance(parser);
        return stmt;
    }
    /* `int x = 1;` is the likely C habit behind a name followed by a name. */
    bool hint = !parse_quiet(parser) && stmt->expr->kind == EXPR_NAME &&
                parse_check(parser, LEX_IDENT) && !parse_peek(parser, 0)->newline_before;
    parse_expect_semicolon(parser, "after expression");
    if (hint) diag_note(parser->diag, "variables are declared with 'var NAME = value;'");
    return stmt;
}

/* A statement of one keyword and an optional value: break, continue,
 * return, throw. */
static Stmt *parse_jump(Parser *parser, StmtKind kind, const char *context) {
    Stmt *stmt = parse_new_stmt(parser, kind, parse_advance(parser).pos);
    LexTokenKind next = parse_kind(parser);
    if (kind == STMT_THROW ||
        (kind == STMT_RETURN && next != LEX_SEMICOLON && next != LEX_RBRACE && next != LEX_EOF))
        stmt->expr = parse_expression(parser);
    parse_expect_semicolon(parser, context);
    return stmt;
}

/* A case label outside a switch: reported (when `report`), then skipped up
 * to its ':', after which statements parse normally. */
static void parse_orphan_label(Parser *parser, bool report) {
    LexToken keyword = parse_advance(parser);
    if (report) parse_error_at(parser, keyword.pos, "case label outside of a switch");
    parser->panic = true;
    if (keyword.kind == LEX_KW_CASE) {
        do {
            parse_expression(parser);
        } while (parse_accept(parser, LEX_COMMA));
    }
    if (parse_accept(parser, LEX_COLON)) parser->panic = false;
}

/* A keyword that continues a construct but stands at the start of a
 * statement (else, catch, finally): reports it (when `report`), skips the
 * part it introduces (a catch clause's parentheses) and parses the
 * statement that follows normally. */
static Stmt *parse_misplaced(Parser *parser, bool report) {
    LexToken keyword = parse_advance(parser);
    if (report)
        parse_error_at(parser, keyword.pos, "%s",
                       keyword.kind == LEX_KW_ELSE
                           ? "'else' without a matching 'if'"
                           : "'catch' or 'finally' without a matching 'try'");
    parser->panic = true;
    if (keyword.kind == LEX_KW_CATCH && parse_accept(parser, LEX_LPAREN) &&
        !parse_close(parser, LEX_RPAREN, ""))
        return parse_new_stmt(parser, STMT_EMPTY, keyword.pos);
    /* The rest is a statement boundary. */
    parser->panic = false;
    return parse_statement(parser);
}

/* statement = block | ';' | var_statement ';' | if_statement | while_statement
 *           | do_statement | for_statement | switch_statement | try_statement
 *           | 'atomic' block | 'break' ';' | 'continue' ';'
 *           | 'return' expression? ';' | 'throw' expression ';'
 *           | expression_statement */
static Stmt *parse_statement_inner(Parser *parser) {
    switch (parse_kind(parser)) {
    case LEX_LBRACE: return parse_block(parser, "");
    case LEX_SEMICOLON: return parse_new_stmt(parser, STMT_EMPTY, parse_advance(parser).pos);
    case LEX_KW_VAR: {
        Stmt *stmt = parse_var_statement(parser);
        parse_expect_semicolon(parser, "after variable declaration");
        return stmt;
    }
    case LEX_KW_IF: return parse_if(parser);
    case LEX_KW_WHILE: return parse_while(parser);
    case LEX_KW_DO: return parse_do(parser);
    case LEX_KW_FOR: return parse_for(parser);
    case LEX_KW_SWITCH: return parse_switch(parser);
    case LEX_KW_TRY: return parse_try(parser);
    case LEX_KW_ATOMIC: {
        Stmt *stmt = parse_new_stmt(parser, STMT_ATOMIC, parse_advance(parser).pos);
        stmt->then_branch = parse_block(parser, "after 'atomic'");
        return stmt;
    }
    case LEX_KW_BREAK: return parse_jump(parser, STMT_BREAK, "after 'break'");
    case LEX_KW_CONTINUE: return parse_jump(parser, STMT_CONTINUE, "after 'continue'");
    case LEX_KW_RETURN: return parse_jump(parser, STMT_RETURN, "after return statement");
    case LEX_KW_THROW: return parse_jump(parser, STMT_THROW, "after throw statement");
    case LEX_KW_CASE:
    case LEX_KW_DEFAULT:
        parse_orphan_label(parser, true);
        return parse_new_stmt(parser, STMT_EMPTY, parser->previous_pos);
    case LEX_KW_ELSE:
    case LEX_KW_CATCH:
    case LEX_KW_FINALLY: return parse_misplaced(parser, true);
    default: return parse_expression_statement(parser);
    }
}

Stmt *parse_statement(Parser *parser) {
    if (!parse_enter(parser)) return parse_new_stmt(parser, STMT_EMPTY, parse_peek(parser, 0)->pos);
    Stmt *stmt = parse_statement_inner(parser);
    parse_leave(parser);
    return stmt;
}
