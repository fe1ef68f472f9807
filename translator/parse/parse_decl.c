/* parse_decl.c - type annotations, declarations and modules (language.md §5, §8). */
#include <stdio.h>
#include <string.h>

#include "parse_internal.h"

static TypeExpr *parse_new_type(Parser *parser, TypeExprKind kind, SrcPos pos) {
    TypeExpr *type = ARENA_NEW(parser->arena, TypeExpr);
    type->kind = kind;
    type->pos = pos;
    return type;
}

/* Pushes type (',' type)* on the scratch stack, up to (not including) `closer`. */
static void parse_type_list(Parser *parser, LexTokenKind closer) {
    while (!parse_check(parser, closer) && !parse_check(parser, LEX_EOF)) {
        parse_scratch_push(parser, parse_type(parser));
        if (!parse_accept(parser, LEX_COMMA)) break;
    }
}

/* generic = ('list' '<' type '>') | ('dict' '<' type ',' type '>') */
static TypeExpr *parse_generic_type(Parser *parser, LexToken name) {
    bool is_list = name.text == parser->name_list;
    TypeExpr *type = parse_new_type(parser, is_list ? TYPE_LIST : TYPE_DICT, name.pos);
    if (!parse_expect(parser, LEX_LT, is_list ? "after 'list'" : "after 'dict'")) {
        type->kind = TYPE_NAMED;
        type->name = name.text;
        return type;
    }
    int mark = parse_scratch_mark(parser);
    parse_scratch_push(parser, parse_type(parser));
    if (!is_list && parse_expect(parser, LEX_COMMA, "after the key type of 'dict'"))
        parse_scratch_push(parser, parse_type(parser));
    type->args = parse_finish_types(parser, mark, &type->arg_count);
    if (type->arg_count != (is_list ? 1 : 2)) {
        type->kind = TYPE_NAMED;
        type->name = name.text;
        return type;
    }
    parse_expect_closing_angle(parser, is_list ? "after the element type of 'list'"
                                               : "after the value type of 'dict'");
    return type;
}

/* type = IDENT | generic
 *      | '(' type ',' type (',' type)* ')'
 *      | 'fn' '(' (type (',' type)*)? ')' ('->' type)?
 * IDENT is int, float, bool, char, str, void or a class name. */
static TypeExpr *parse_type_inner(Parser *parser) {
    const LexToken *current = parse_peek(parser, 0);
    if (current->kind == LEX_IDENT) {
        LexToken name = parse_advance(parser);
        if (name.text == parser->name_list || name.text == parser->name_dict)
            return parse_generic_type(parser, name);
        TypeExpr *type = parse_new_type(parser, TYPE_NAMED, name.pos);
        type->name = name.text;
        return type;
    }
    if (current->kind == LEX_LPAREN) {
        TypeExpr *type = parse_new_type(parser, TYPE_TUPLE, parse_advance(parser).pos);
        int mark = parse_scratch_mark(parser);
        parse_type_list(parser, LEX_RPAREN);
        parse_close(parser, LEX_RPAREN, "after tuple element types");
        type->args = parse_finish_types(parser, mark, &type->arg_count);
        if (type->arg_count < 2)
            parse_report(parser, type->pos, "a tuple type needs at least two element types");
        return type;
    }
    if (current->kind == LEX_KW_FN) {
        TypeExpr *type = parse_new_type(parser, TYPE_FN, parse_advance(parser).pos);
        int mark = parse_scratch_mark(parser);
        if (parse_expect(parser, LEX_LPAREN, "after 'fn' in a function type")) {
            parse_type_list(parser, LEX_RPAREN);
            parse_close(parser, LEX_RPAREN, "after parameter types");
        }
        type->args = parse_finish_types(parser, mark, &type->arg_count);
        if (parse_accept(parser, LEX_ARROW)) type->result = parse_type(parser);
        return type;
    }
    TypeExpr *type = parse_new_type(parser, TYPE_NAMED, current->pos);
    type->name = parser->name_missing;
    parse_error_expected(parser, "type");
    return type;
}

TypeExpr *parse_type(Parser *parser) {
    if (!parse_enter(parser)) {
        TypeExpr *type = parse_new_type(parser, TYPE_NAMED, parse_peek(parser, 0)->pos);
        type->name = parser->name_missing;
        return type;
    }
    TypeExpr *type = parse_type_inner(parser);
    parse_leave(parser);
    return type;
}

/* attribute = '@' IDENT ('(' IDENT (',' IDENT)* ')')? */
static Attribute *parse_attributes(Parser *parser, int *count) {
    Vec(Attribute) attributes = {0};
    while (parse_check(parser, LEX_AT)) {
        Attribute attribute = {0};
        attribute.pos = parse_advance(parser).pos;
        LexToken name;
        parse_expect_identifier(parser, "attribute name after '@'", &name);
        attribute.name = name.text;
        if (parse_accept(parser, LEX_LPAREN)) {
            int mark = parse_scratch_mark(parser);
            while (!parse_check(parser, LEX_RPAREN) && !parse_check(parser, LEX_EOF)) {
                LexToken argument;
                if (!parse_expect_identifier(parser, "a name in the attribute's arguments",
                                             &argument))
                    break;
                parse_scratch_push(parser, (void *)argument.text);
                if (!parse_accept(parser, LEX_COMMA)) break;
            }
            parse_close(parser, LEX_RPAREN, "after the attribute's arguments");
            attribute.args = parse_finish_names(parser, mark, &attribute.arg_count);
        }
        vec_push(&attributes, attribute);
    }
    Attribute *frozen = vec_freeze(parser->arena, &attributes);
    *count = attributes.count;
    vec_free(&attributes);
    return frozen;
}

/* params = (param (',' param)* ','?)? ; param = IDENT (':' type)?
 * Parses '(' params ')' into fn. */
static void parse_params(Parser *parser, FnDecl *fn) {
    if (!parse_expect(parser, LEX_LPAREN, "after the function name")) return;
    Vec(Param) params = {0};
    while (!parse_check(parser, LEX_RPAREN) && !parse_check(parser, LEX_EOF)) {
        LexToken name;
        if (!parse_expect_identifier(parser, "parameter name", &name)) break;
        Param param = {name.pos, name.text, NULL};
        if (parse_accept(parser, LEX_COLON)) param.type = parse_type(parser);
        vec_push(&params, param);
        if (!parse_accept(parser, LEX_COMMA)) break;
    }
    parse_close_header(parser, "after parameters", false);
    fn->params = vec_freeze(parser->arena, &params);
    fn->param_count = params.count;
    vec_free(&params);
}

/* After a broken function header: skips to the '{' of the body, unless a
 * ';', a '}' or a declaration keyword starting a line comes first.  Then
 * the body is parsed like any other, and its errors are reported. */
static void parse_find_body(Parser *parser) {
    int depth = 0;
    for (;;) {
        const LexToken *token = parse_peek(parser, 0);
        if (token->kind == LEX_EOF) return;
        if (depth == 0) {
            if (token->kind == LEX_LBRACE || token->kind == LEX_SEMICOLON ||
                token->kind == LEX_RBRACE)
                return;
            if (parse_starts_decl(token->kind) && token->newline_before) return;
        }
        if (token->kind == LEX_LPAREN || token->kind == LEX_LBRACKET) depth++;
        if ((token->kind == LEX_RPAREN || token->kind == LEX_RBRACKET) && depth > 0) depth--;
        parse_advance(parser);
    }
}

/* function = 'fn' IDENT '(' params ')' ('->' type)? block */
static void parse_function(Parser *parser, FnDecl *fn) {
    parse_advance(parser); /* fn */
    LexToken name;
    parse_expect_identifier(parser, "function name after 'fn'", &name);
    fn->name = name.text;
    fn->name_pos = name.pos;
    parse_params(parser, fn);
    if (parse_accept(parser, LEX_ARROW)) fn->result = parse_type(parser);
    if (!parse_check(parser, LEX_LBRACE)) {
        parse_error_expected(parser, "'{' to start the function body");
        parse_find_body(parser);
        if (!parse_check(parser, LEX_LBRACE)) parser->stray_code = true;
    }
    fn->body = parse_block(parser, "to start the function body");
    fn->end_pos = parser->block_end;
}

/* extern = 'extern' 'fn' IDENT '(' params ')' '->' type '=' STRING ';'
 * Every parameter type and the result type are required. */
static void parse_extern(Parser *parser, Decl *decl) {
    FnDecl *fn = &decl->fn;
    decl->kind = DECL_EXTERN;
    parse_advance(parser); /* extern */
    if (!parse_expect(parser, LEX_KW_FN, "after 'extern'")) return;
    LexToken name;
    parse_expect_identifier(parser, "function name after 'extern fn'", &name);
    fn->name = decl->name = name.text;
    fn->name_pos = decl->name_pos = name.pos;
    parse_params(parser, fn);
    for (int i = 0; i < fn->param_count; i++)
        if (!fn->params[i].type)
            parse_report(parser, fn->params[i].pos,
                         "parameter '%s' of extern function '%s' needs a type", fn->params[i].name,
                         fn->name);
    if (parse_accept(parser, LEX_ARROW)) {
        fn->result = parse_type(parser);
    } else {
        SrcPos here = parse_peek(parser, 0)->pos;
        parse_report(parser, here, "extern function '%s' needs a result type ('-> T', '-> void')",
                     fn->name);
    }
    if (!parse_expect(parser, LEX_ASSIGN, "and the C symbol name after an extern function")) return;
    if (!parse_check(parser, LEX_STRING)) {
        parse_error_expected(parser, "the C symbol name as a string");
        return;
    }
    LexToken symbol = parse_advance(parser);
    fn->c_name = symbol.text;
    if (symbol.text_length == 0 || (int)strlen(symbol.text) != symbol.text_length)
        parse_report(parser, symbol.pos, "the C symbol name must be a non-empty name");
    fn->end_pos = symbol.pos;
    parse_expect_semicolon(parser, "after extern declaration");
}

/* field = 'var' IDENT (':' type)? ';' */
static FieldDecl parse_field(Parser *parser) {
    parse_advance(parser); /* var */
    LexToken name;
    parse_expect_identifier(parser, "field name after 'var'", &name);
    FieldDecl field = {name.pos, name.text, NULL};
    if (parse_accept(parser, LEX_COLON)) field.type = parse_type(parser);
    if (parse_check(parser, LEX_ASSIGN)) {
        SrcPos pos = parse_advance(parser).pos;
        parse_report(parser, pos, "a field cannot have an initializer; assign it in init()");
        parse_expression(parser);
    }
    parse_expect_semicolon(parser, "after field declaration");
    return field;
}

/* class  = 'class' IDENT (':' IDENT)? '{' member* '}'
 * member = field | attribute* function */
static void parse_class(Parser *parser, Decl *decl) {
    decl->kind = DECL_CLASS;
    parse_advance(parser); /* class */
    LexToken name;
    parse_expect_identifier(parser, "class name after 'class'", &name);
    decl->name = name.text;
    decl->name_pos = name.pos;
    if (parse_accept(parser, LEX_COLON)) {
        LexToken base;
        parse_expect_identifier(parser, "base class name after ':'", &base);
        decl->base_name = base.text;
        decl->base_pos = base.pos;
    }
    SrcPos open = parse_peek(parser, 0)->pos;
    if (!parse_expect(parser, LEX_LBRACE, "to start the class body")) return;
    parser->panic = false;
    Vec(FieldDecl) fields = {0};
    Vec(FnDecl) methods = {0};
    for (;;) {
        LexTokenKind kind = parse_kind(parser);
        if (kind == LEX_RBRACE || kind == LEX_EOF) break;
        if (parse_starts_decl(kind) && kind != LEX_KW_VAR && kind != LEX_KW_FN && kind != LEX_AT)
            break;
        int64_t before = parser->consumed;
        if (kind == LEX_KW_VAR) {
            FieldDecl field = parse_field(parser);
            vec_push(&fields, field);
        } else if (kind == LEX_KW_FN || kind == LEX_AT) {
            FnDecl method = {0};
            method.attributes = parse_attributes(parser, &method.attribute_count);
            if (parse_check(parser, LEX_KW_FN)) {
                parse_function(parser, &method);
                vec_push(&methods, method);
            } else {
                parse_error_expected(parser, "'fn' after method attributes");
            }
        } else {
            parse_error_expected(parser, "'var' or 'fn' in class body");
        }
        if (parser->panic) parse_sync_member(parser, before);
        if (parser->consumed == before) parse_advance(parser);
    }
    decl->fields = vec_freeze(parser->arena, &fields);
    decl->field_count = fields.count;
    decl->methods = vec_freeze(parser->arena, &methods);
    decl->method_count = methods.count;
    vec_free(&fields);
    vec_free(&methods);
    /* Stray statements inside a class body were handled by its own loop. */
    parser->stray_code = false;
    char context[96];
    snprintf(context, sizeof context, "at end of class '%s'", decl->name);
    parse_close_brace(parser, open, context);
}

/* names = (IDENT (',' IDENT)*)?  up to ';' or ')' */
static const char **parse_jit_names(Parser *parser, int *count) {
    int mark = parse_scratch_mark(parser);
    while (parse_check(parser, LEX_IDENT)) {
        parse_scratch_push(parser, (void *)parse_advance(parser).text);
        if (!parse_accept(parser, LEX_COMMA)) break;
        if (!parse_check(parser, LEX_IDENT)) parse_error_expected(parser, "a variable name");
    }
    return parse_finish_names(parser, mark, count);
}

static bool parse_jit_section(Parser *parser, const char *section) {
    const LexToken *token = parse_peek(parser, 0);
    if (token->kind != LEX_IDENT || strcmp(token->text, section) != 0) {
        char what[64];
        snprintf(what, sizeof what, "'%s:' in jitdriver", section);
        parse_error_expected(parser, what);
        return false;
    }
    parse_advance(parser);
    return parse_expect(parser, LEX_COLON, section[0] == 'g' ? "after 'greens'" : "after 'reds'");
}

/* jitdriver = 'jitdriver' IDENT '(' 'greens' ':' names ';' 'reds' ':' names ')' ';' */
static void parse_jitdriver(Parser *parser, Decl *decl) {
    decl->kind = DECL_JITDRIVER;
    parse_advance(parser); /* jitdriver */
    LexToken name;
    parse_expect_identifier(parser, "jitdriver name", &name);
    decl->name = name.text;
    decl->name_pos = name.pos;
    if (!parse_expect(parser, LEX_LPAREN, "after the jitdriver name")) return;
    if (parse_jit_section(parser, "greens")) {
        decl->greens = parse_jit_names(parser, &decl->green_count);
        if (parse_expect(parser, LEX_SEMICOLON, "after the green variables") &&
            parse_jit_section(parser, "reds"))
            decl->reds = parse_jit_names(parser, &decl->red_count);
    }
    parse_close(parser, LEX_RPAREN, "after the red variables");
    parse_expect_semicolon(parser, "after jitdriver declaration");
}

/* global = ('const' | 'var') IDENT (':' type)? ('=' expression)? ';'
 * (a const needs its initializer) */
static void parse_global(Parser *parser, Decl *decl) {
    bool constant = parse_advance(parser).kind == LEX_KW_CONST;
    decl->kind = constant ? DECL_CONST : DECL_VAR;
    LexToken name;
    parse_expect_identifier(
        parser, constant ? "constant name after 'const'" : "variable name after 'var'", &name);
    decl->name = name.text;
    decl->name_pos = name.pos;
    if (parse_accept(parser, LEX_COLON)) decl->type = parse_type(parser);
    if (constant) {
        if (!parse_expect(parser, LEX_ASSIGN, "and a value after the constant name")) return;
        decl->init = parse_expression(parser);
    } else if (parse_accept(parser, LEX_ASSIGN)) {
        decl->init = parse_expression(parser);
    }
    parse_expect_semicolon(parser,
                           constant ? "after constant declaration" : "after variable declaration");
}

/* import = 'import' STRING ';' */
static void parse_import(Parser *parser, Decl *decl) {
    decl->kind = DECL_IMPORT;
    parse_advance(parser); /* import */
    if (!parse_check(parser, LEX_STRING)) {
        parse_error_expected(parser, "a file name string after 'import'");
        return;
    }
    LexToken path = parse_advance(parser);
    decl->import_path = path.text;
    decl->name_pos = path.pos;
    if (path.text_length == 0 || (int)strlen(path.text) != path.text_length)
        parse_report(parser, path.pos, "an import needs a file name");
    parse_expect_semicolon(parser, "after import");
}

/* declaration = attribute* (function | extern | class)
 *             | import | global | jitdriver
 * Returns NULL when nothing was declared. */
static Decl *parse_declaration(Parser *parser) {
    Decl *decl = ARENA_NEW(parser->arena, Decl);
    Attribute *attributes = NULL;
    int attribute_count = 0;
    if (parse_check(parser, LEX_AT)) attributes = parse_attributes(parser, &attribute_count);
    LexTokenKind kind = parse_kind(parser);
    decl->pos = parse_peek(parser, 0)->pos;
    if (attribute_count > 0 && kind != LEX_KW_FN && kind != LEX_KW_EXTERN && kind != LEX_KW_CLASS) {
        parse_error_expected(parser, "'fn', 'extern' or 'class' after attributes");
        return NULL;
    }
    decl->fn.attributes = attributes;
    decl->fn.attribute_count = attribute_count;
    switch (kind) {
    case LEX_KW_FN:
        decl->kind = DECL_FN;
        parse_function(parser, &decl->fn);
        decl->name = decl->fn.name;
        decl->name_pos = decl->fn.name_pos;
        return decl;
    case LEX_KW_EXTERN: parse_extern(parser, decl); return decl;
    case LEX_KW_CLASS: parse_class(parser, decl); return decl;
    case LEX_KW_JITDRIVER: parse_jitdriver(parser, decl); return decl;
    case LEX_KW_CONST:
    case LEX_KW_VAR: parse_global(parser, decl); return decl;
    case LEX_KW_IMPORT: parse_import(parser, decl); return decl->import_path ? decl : NULL;
    default:
        parse_error_expected(parser, "a declaration (fn, class, var, const, import, extern or "
                                     "jitdriver)");
        parser->stray_code = true;
        return NULL;
    }
}

static bool parse_starts_code_decl(LexTokenKind kind) {
    return parse_starts_decl(kind) && kind != LEX_KW_VAR;
}

/* Skips one stray statement (or brace) at the top level, quietly. */
static void parse_skip_stray_code(Parser *parser) {
    int64_t before = parser->consumed;
    parser->panic = true;
    parse_skip_to(parser, before, parse_starts_code_decl);
    if (parser->consumed == before) parse_advance(parser);
}

/* module = declaration* EOF */
AstModule *parse_module_tokens(Parser *parser) {
    AstModule *module = ARENA_NEW(parser->arena, AstModule);
    module->file = parser->file;
    module->path = diag_file(parser->diag, parser->file)->path;
    int mark = parse_scratch_mark(parser);
    while (!parse_check(parser, LEX_EOF)) {
        int64_t before = parser->consumed;
        if (parser->stray_code) {
            LexTokenKind kind = parse_kind(parser);
            if (parse_starts_decl(kind) && kind != LEX_KW_VAR) {
                parser->stray_code = false;
            } else {
                parse_skip_stray_code(parser);
                continue;
            }
        }
        Decl *decl = parse_declaration(parser);
        if (decl) parse_scratch_push(parser, decl);
        if (parser->panic) parse_sync_decl(parser, before);
        if (parser->consumed == before) parse_advance(parser);
    }
    module->decls = parse_finish_decls(parser, mark, &module->decl_count);
    return module;
}
