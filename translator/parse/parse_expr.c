/* parse_expr.c - expressions.
 *
 * Binary operators use precedence climbing over the AST_OPERATORS table
 * (C precedence; all binary operators are left-associative).  `is` and
 * `as` bind at the relational level, like `<`.  Above the binary operators
 * sit the conditional `?:` and the assignments, both right-associative.
 */
#include <string.h>

#include "parse_internal.h"

const char *const ast_operator_text[OP__COUNT] = {
#define X(name, text, precedence) [name] = text,
    AST_OPERATORS(X)
#undef X
};

static const int parse_precedence[OP__COUNT] = {
#define X(name, text, precedence) [name] = precedence,
    AST_OPERATORS(X)
#undef X
};

/* The binary operator a token spells, if any. */
static bool parse_binary_operator(LexTokenKind kind, AstOperator *op) {
    switch (kind) {
    case LEX_PIPE_PIPE: *op = OP_OR; return true;
    case LEX_AMP_AMP: *op = OP_AND; return true;
    case LEX_PIPE: *op = OP_BIT_OR; return true;
    case LEX_CARET: *op = OP_BIT_XOR; return true;
    case LEX_AMP: *op = OP_BIT_AND; return true;
    case LEX_EQ: *op = OP_EQ; return true;
    case LEX_NE: *op = OP_NE; return true;
    case LEX_LT: *op = OP_LT; return true;
    case LEX_LE: *op = OP_LE; return true;
    case LEX_GT: *op = OP_GT; return true;
    case LEX_GE: *op = OP_GE; return true;
    case LEX_SHL: *op = OP_SHL; return true;
    case LEX_SHR: *op = OP_SHR; return true;
    case LEX_PLUS: *op = OP_ADD; return true;
    case LEX_MINUS: *op = OP_SUB; return true;
    case LEX_STAR: *op = OP_MUL; return true;
    case LEX_SLASH: *op = OP_DIV; return true;
    case LEX_PERCENT: *op = OP_MOD; return true;
    default: return false;
    }
}

/* The operator of an assignment token: OP_ASSIGN for `=`, else the binary
 * operator of the compound form. */
static bool parse_assignment_operator(LexTokenKind kind, AstOperator *op) {
    switch (kind) {
    case LEX_ASSIGN: *op = OP_ASSIGN; return true;
    case LEX_PLUS_ASSIGN: *op = OP_ADD; return true;
    case LEX_MINUS_ASSIGN: *op = OP_SUB; return true;
    case LEX_STAR_ASSIGN: *op = OP_MUL; return true;
    case LEX_SLASH_ASSIGN: *op = OP_DIV; return true;
    case LEX_PERCENT_ASSIGN: *op = OP_MOD; return true;
    case LEX_AMP_ASSIGN: *op = OP_BIT_AND; return true;
    case LEX_PIPE_ASSIGN: *op = OP_BIT_OR; return true;
    case LEX_CARET_ASSIGN: *op = OP_BIT_XOR; return true;
    case LEX_SHL_ASSIGN: *op = OP_SHL; return true;
    case LEX_SHR_ASSIGN: *op = OP_SHR; return true;
    default: return false;
    }
}

/* A placeholder for an expression that could not be parsed. */
static Expr *parse_error_expr(Parser *parser) {
    return parse_new_expr(parser, EXPR_NULL, parse_peek(parser, 0)->pos);
}

static bool parse_is_assignable(const Expr *expr) {
    return expr->kind == EXPR_NAME || expr->kind == EXPR_MEMBER || expr->kind == EXPR_INDEX;
}

/* Parses a comma-separated list of expressions up to `closer`, which it
 * consumes; a trailing comma is allowed.  Pushes the elements on the
 * scratch stack (the caller owns the mark). */
static void parse_expression_list(Parser *parser, LexTokenKind closer, const char *context) {
    while (!parse_check(parser, closer) && !parse_check(parser, LEX_EOF)) {
        parse_scratch_push(parser, parse_expression(parser));
        if (!parse_accept(parser, LEX_COMMA)) break;
    }
    parse_close(parser, closer, context);
}

/* dict = '{' (expression ':' expression (',' expression ':' expression)* ','?)? '}' */
static Expr *parse_dict(Parser *parser) {
    LexToken open = parse_advance(parser);
    Expr *dict = parse_new_expr(parser, EXPR_DICT, open.pos);
    int mark = parse_scratch_mark(parser);
    while (!parse_check(parser, LEX_RBRACE) && !parse_check(parser, LEX_EOF)) {
        parse_scratch_push(parser, parse_expression(parser));
        if (!parse_expect(parser, LEX_COLON, "after dict key")) {
            parse_scratch_push(parser, parse_error_expr(parser));
            break;
        }
        parse_scratch_push(parser, parse_expression(parser));
        if (!parse_accept(parser, LEX_COMMA)) break;
    }
    parse_close(parser, LEX_RBRACE, "after dict entries");
    dict->args = parse_finish_exprs(parser, mark, &dict->arg_count);
    return dict;
}

/* parenthesized = '(' expression ')'
 * tuple         = '(' expression ',' expression (',' expression)* ','? ')' */
static Expr *parse_parenthesized(Parser *parser) {
    LexToken open = parse_advance(parser);
    Expr *first = parse_expression(parser);
    if (!parse_check(parser, LEX_COMMA)) {
        parse_close(parser, LEX_RPAREN, "after expression");
        return first;
    }
    Expr *tuple = parse_new_expr(parser, EXPR_TUPLE, open.pos);
    int mark = parse_scratch_mark(parser);
    parse_scratch_push(parser, first);
    parse_advance(parser);
    parse_expression_list(parser, LEX_RPAREN, "after tuple elements");
    tuple->args = parse_finish_exprs(parser, mark, &tuple->arg_count);
    if (tuple->arg_count < 2) parse_report(parser, open.pos, "a tuple needs at least two elements");
    return tuple;
}

/* new = 'new' IDENT '(' arguments ')' */
static Expr *parse_new(Parser *parser) {
    LexToken keyword = parse_advance(parser);
    LexToken name;
    Expr *expr = parse_new_expr(parser, EXPR_NEW, keyword.pos);
    parse_expect_identifier(parser, "class name after 'new'", &name);
    expr->name = name.text;
    if (!parse_expect(parser, LEX_LPAREN, "after the class name of 'new'")) return expr;
    int mark = parse_scratch_mark(parser);
    parse_expression_list(parser, LEX_RPAREN, "after arguments");
    expr->args = parse_finish_exprs(parser, mark, &expr->arg_count);
    return expr;
}

static Expr *parse_int_literal(Parser *parser, const LexToken *token, bool negative, SrcPos pos) {
    Expr *expr = parse_new_expr(parser, EXPR_INT, pos);
    uint64_t magnitude = token->int_value;
    /* Decimal literals must fit the signed range; 9223372036854775808 only
     * as the operand of a unary minus.  Other bases spell bit patterns. */
    uint64_t limit = (uint64_t)INT64_MAX + (negative ? 1u : 0u);
    if (token->decimal && magnitude > limit) {
        parse_report(parser, token->pos,
                     "integer literal %llu is too large for int (the largest is %lld)",
                     (unsigned long long)magnitude, (long long)INT64_MAX);
        magnitude = 0;
    }
    /* Negation in unsigned arithmetic wraps as two's complement requires. */
    uint64_t bits = negative ? 0u - magnitude : magnitude;
    memcpy(&expr->int_value, &bits, sizeof bits);
    return expr;
}

/* primary = INT | FLOAT | CHAR | STRING | 'true' | 'false' | 'null' | 'this'
 *         | IDENT | new | '[' (expression (',' expression)* ','?)? ']'
 *         | dict | parenthesized | tuple */
static Expr *parse_primary(Parser *parser) {
    const LexToken *current = parse_peek(parser, 0);
    Expr *expr;
    switch (current->kind) {
    case LEX_INT: {
        LexToken token = parse_advance(parser);
        return parse_int_literal(parser, &token, false, token.pos);
    }
    case LEX_FLOAT:
        expr = parse_new_expr(parser, EXPR_FLOAT, current->pos);
        expr->float_value = current->float_value;
        break;
    case LEX_CHAR:
        expr = parse_new_expr(parser, EXPR_CHAR, current->pos);
        expr->int_value = (int64_t)current->int_value;
        break;
    case LEX_STRING:
        expr = parse_new_expr(parser, EXPR_STR, current->pos);
        expr->str_value = current->text;
        expr->str_length = current->text_length;
        break;
    case LEX_KW_TRUE:
    case LEX_KW_FALSE:
        expr = parse_new_expr(parser, EXPR_BOOL, current->pos);
        expr->int_value = current->kind == LEX_KW_TRUE;
        break;
    case LEX_KW_NULL: expr = parse_new_expr(parser, EXPR_NULL, current->pos); break;
    case LEX_KW_THIS: expr = parse_new_expr(parser, EXPR_THIS, current->pos); break;
    case LEX_IDENT:
        expr = parse_new_expr(parser, EXPR_NAME, current->pos);
        expr->name = current->text;
        break;
    case LEX_KW_NEW: return parse_new(parser);
    case LEX_LBRACE: return parse_dict(parser);
    case LEX_LPAREN: return parse_parenthesized(parser);
    case LEX_LBRACKET: {
        LexToken open = parse_advance(parser);
        expr = parse_new_expr(parser, EXPR_LIST, open.pos);
        int mark = parse_scratch_mark(parser);
        parse_expression_list(parser, LEX_RBRACKET, "after list elements");
        expr->args = parse_finish_exprs(parser, mark, &expr->arg_count);
        return expr;
    }
    default: parse_error_expected(parser, "expression"); return parse_error_expr(parser);
    }
    parse_advance(parser);
    return expr;
}

/* postfix = primary ( '(' arguments ')' | '.' IDENT | '[' expression ']'
 *                   | '++' | '--' )*
 * arguments = (expression (',' expression)* ','?)? */
static Expr *parse_postfix(Parser *parser) {
    Expr *expr = parse_primary(parser);
    /* Each link of a chain a.b(c)[d] deepens the tree by one: it counts as
     * nesting, so that later stages can walk the tree recursively. */
    int chained = 0;
    for (;; chained++) {
        LexTokenKind kind = parse_kind(parser);
        bool continues = kind == LEX_LPAREN || kind == LEX_DOT || kind == LEX_LBRACKET ||
                         kind == LEX_PLUS_PLUS || kind == LEX_MINUS_MINUS;
        if (continues && !parse_enter(parser)) break;
        if (kind == LEX_LPAREN) {
            parse_advance(parser);
            Expr *call = parse_new_expr(parser, EXPR_CALL, expr->pos);
            call->left = expr;
            int mark = parse_scratch_mark(parser);
            parse_expression_list(parser, LEX_RPAREN, "after arguments");
            call->args = parse_finish_exprs(parser, mark, &call->arg_count);
            expr = call;
        } else if (kind == LEX_DOT) {
            parse_advance(parser);
            LexToken name;
            parse_expect_identifier(parser, "field or method name after '.'", &name);
            Expr *member = parse_new_expr(parser, EXPR_MEMBER, name.pos);
            member->left = expr;
            member->name = name.text;
            expr = member;
        } else if (kind == LEX_LBRACKET) {
            LexToken open = parse_advance(parser);
            Expr *index = parse_new_expr(parser, EXPR_INDEX, open.pos);
            index->left = expr;
            index->right = parse_expression(parser);
            parse_close(parser, LEX_RBRACKET, "after index");
            expr = index;
        } else if (kind == LEX_PLUS_PLUS || kind == LEX_MINUS_MINUS) {
            LexToken op = parse_advance(parser);
            if (!parse_is_assignable(expr))
                parse_report(parser, op.pos,
                             "'%s' needs a variable, a field or an element to change",
                             lex_token_spelling[op.kind]);
            Expr *step = parse_new_expr(parser, EXPR_INCDEC, op.pos);
            step->op = kind == LEX_PLUS_PLUS ? OP_ADD : OP_SUB;
            step->prefix = false;
            step->left = expr;
            expr = step;
        } else {
            break;
        }
    }
    while (chained-- > 0) parse_leave(parser);
    return expr;
}

/* Whether the token after a number ends the number as an operand: the
 * literal is then the whole operand of a preceding unary minus. */
static bool parse_ends_operand(LexTokenKind kind) {
    return kind != LEX_LPAREN && kind != LEX_DOT && kind != LEX_LBRACKET && kind != LEX_PLUS_PLUS &&
           kind != LEX_MINUS_MINUS;
}

/* unary = ('-' | '+' | '!' | '~' | '++' | '--') unary | postfix
 * A '-' directly before a number literal folds into the literal, which is
 * how -9223372036854775808 is written. */
static Expr *parse_unary(Parser *parser) {
    LexTokenKind kind = parse_kind(parser);
    AstOperator op;
    switch (kind) {
    case LEX_MINUS: op = OP_NEG; break;
    case LEX_PLUS: op = OP_PLUS; break;
    case LEX_BANG: op = OP_NOT; break;
    case LEX_TILDE: op = OP_INVERT; break;
    case LEX_PLUS_PLUS: op = OP_ADD; break;
    case LEX_MINUS_MINUS: op = OP_SUB; break;
    default: return parse_postfix(parser);
    }
    LexTokenKind next = parse_kind_at(parser, 1);
    if (kind == LEX_MINUS && (next == LEX_INT || next == LEX_FLOAT) &&
        parse_ends_operand(parse_kind_at(parser, 2))) {
        LexToken minus = parse_advance(parser);
        LexToken number = parse_advance(parser);
        SrcPos pos = parse_span(minus.pos, number.pos);
        if (number.kind == LEX_INT) return parse_int_literal(parser, &number, true, pos);
        Expr *expr = parse_new_expr(parser, EXPR_FLOAT, pos);
        expr->float_value = -number.float_value;
        return expr;
    }
    LexToken token = parse_advance(parser);
    if (!parse_enter(parser)) return parse_error_expr(parser);
    Expr *operand = parse_unary(parser);
    parse_leave(parser);
    Expr *expr;
    if (kind == LEX_PLUS_PLUS || kind == LEX_MINUS_MINUS) {
        if (!parse_is_assignable(operand))
            parse_report(parser, token.pos,
                         "'%s' needs a variable, a field or an element to change",
                         lex_token_spelling[kind]);
        expr = parse_new_expr(parser, EXPR_INCDEC, token.pos);
        expr->prefix = true;
    } else {
        expr = parse_new_expr(parser, EXPR_UNARY, token.pos);
    }
    expr->op = op;
    expr->left = operand;
    return expr;
}

/* binary(p) = unary ( OP binary(prec(OP) + 1) | ('is' | 'as') IDENT )*
 *             for OP with prec(OP) >= p */
static Expr *parse_binary(Parser *parser, int min_precedence) {
    Expr *left = parse_unary(parser);
    /* A left-associative chain a + b + c deepens the tree by one per
     * operator: it counts as nesting (see parse_postfix). */
    int chained = 0;
    for (;; chained++) {
        LexTokenKind kind = parse_kind(parser);
        AstOperator op;
        if (kind == LEX_KW_IS || kind == LEX_KW_AS) {
            if (parse_precedence[OP_LT] < min_precedence || !parse_enter(parser)) break;
            LexToken keyword = parse_advance(parser);
            LexToken name;
            parse_expect_identifier(
                parser, kind == LEX_KW_IS ? "class name after 'is'" : "class name after 'as'",
                &name);
            Expr *test = parse_new_expr(parser, kind == LEX_KW_IS ? EXPR_IS : EXPR_AS, keyword.pos);
            test->left = left;
            test->name = name.text;
            left = test;
            continue;
        }
        if (!parse_binary_operator(kind, &op) || parse_precedence[op] < min_precedence ||
            !parse_enter(parser))
            break;
        LexToken token = parse_advance(parser);
        Expr *right = parse_binary(parser, parse_precedence[op] + 1);
        Expr *binary = parse_new_expr(parser, EXPR_BINARY, token.pos);
        binary->op = op;
        binary->left = left;
        binary->right = right;
        left = binary;
    }
    while (chained-- > 0) parse_leave(parser);
    return left;
}

/* conditional = binary(1) ('?' expression ':' conditional)? */
static Expr *parse_conditional(Parser *parser) {
    Expr *condition = parse_binary(parser, 1);
    if (!parse_check(parser, LEX_QUESTION)) return condition;
    LexToken question = parse_advance(parser);
    Expr *expr = parse_new_expr(parser, EXPR_TERNARY, question.pos);
    expr->left = condition;
    expr->right = parse_expression(parser);
    if (!parse_expect(parser, LEX_COLON, "in conditional expression")) {
        expr->third = parse_error_expr(parser);
        return expr;
    }
    if (!parse_enter(parser)) {
        expr->third = parse_error_expr(parser);
        return expr;
    }
    expr->third = parse_conditional(parser);
    parse_leave(parser);
    return expr;
}

/* expression = conditional (ASSIGN_OP expression)?
 * ASSIGN_OP  = '=' | '+=' | '-=' | '*=' | '/=' | '%=' | '&=' | '|=' | '^='
 *            | '<<=' | '>>=' */
Expr *parse_expression(Parser *parser) {
    if (!parse_enter(parser)) return parse_error_expr(parser);
    Expr *left = parse_conditional(parser);
    AstOperator op;
    if (parse_assignment_operator(parse_kind(parser), &op)) {
        LexToken token = parse_advance(parser);
        if (!parse_is_assignable(left))
            parse_report(parser, token.pos,
                         "the left side of '%s' must be a variable, a field or an element",
                         lex_token_spelling[token.kind]);
        Expr *assign = parse_new_expr(parser, EXPR_ASSIGN, token.pos);
        assign->op = op;
        assign->left = left;
        assign->right = parse_expression(parser);
        left = assign;
    }
    parse_leave(parser);
    return left;
}
