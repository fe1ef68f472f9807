/* test_lexer.c - the Kiln C tokenizer: every token kind, literal values,
 * escapes, comments, positions and the lexical errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/lexer.h"

enum { MAX_TOKENS = 512 };

/* Lexes `text` completely; diagnostics are captured in `errors`. */
typedef struct Lexed {
    Arena arena;
    InternTable interns;
    DiagContext diag;
    char *errors;
    size_t errors_size;
    LexToken tokens[MAX_TOKENS];
    int count; /* including the final LEX_EOF */
} Lexed;

static Lexed *lex_text_length(const char *text, int length) {
    Lexed *lexed = calloc(1, sizeof(Lexed));
    arena_init(&lexed->arena);
    intern_init(&lexed->interns, &lexed->arena);
    diag_init(&lexed->diag);
    lexed->diag.out = open_memstream(&lexed->errors, &lexed->errors_size);
    char *copy = arena_alloc(&lexed->arena, (size_t)length + 1);
    memcpy(copy, text, (size_t)length);
    int file = diag_add_file(&lexed->diag, "test.kc", copy, length);
    Lexer lexer;
    lex_init(&lexer, &lexed->diag, &lexed->interns, &lexed->arena, file);
    do {
        ck_assert_int_lt(lexed->count, MAX_TOKENS);
        lex_next(&lexer, &lexed->tokens[lexed->count]);
    } while (lexed->tokens[lexed->count++].kind != LEX_EOF);
    fflush(lexed->diag.out);
    return lexed;
}

static Lexed *lex_text(const char *text) {
    return lex_text_length(text, (int)strlen(text));
}

static void lexed_free(Lexed *lexed) {
    fclose(lexed->diag.out);
    free(lexed->errors);
    diag_free(&lexed->diag);
    intern_free(&lexed->interns);
    arena_free(&lexed->arena);
    free(lexed);
}

/* The first line of the captured diagnostics, or "" when there are none. */
static char *first_error(Lexed *lexed) {
    static char line[256];
    line[0] = '\0';
    if (lexed->errors && lexed->errors[0]) sscanf(lexed->errors, "%255[^\n]", line);
    return line;
}

START_TEST(every_keyword_and_punctuation_lexes_alone_and_in_sequence) {
    char all[2048] = "";
    int expected[LEX__COUNT], expected_count = 0;
    for (int kind = 0; kind < LEX__COUNT; kind++) {
        if (lex_token_class[kind] == LEX_CLASS_OTHER) continue;
        Lexed *alone = lex_text(lex_token_spelling[kind]);
        ck_assert_msg(alone->count == 2 && (int)alone->tokens[0].kind == kind,
                      "'%s' lexes as one token of its kind", lex_token_spelling[kind]);
        ck_assert_int_eq(alone->tokens[0].pos.length, (int)strlen(lex_token_spelling[kind]));
        ck_assert_int_eq(alone->diag.errors, 0);
        lexed_free(alone);
        strcat(all, lex_token_spelling[kind]);
        strcat(all, " ");
        expected[expected_count++] = kind;
    }
    Lexed *lexed = lex_text(all);
    ck_assert_int_eq(lexed->count, expected_count + 1);
    int col = 1;
    for (int i = 0; i < expected_count; i++) {
        ck_assert_int_eq(lexed->tokens[i].kind, expected[i]);
        ck_assert_int_eq(lexed->tokens[i].pos.col, col);
        col += (int)strlen(lex_token_spelling[expected[i]]) + 1;
    }
    ck_assert_int_eq(lexed->tokens[expected_count].kind, LEX_EOF);
    lexed_free(lexed);
}
END_TEST

START_TEST(keywords_are_exactly_the_language_list) {
    static const char *const keywords[] = {
        "fn",       "var",    "const", "class", "jitdriver", "import", "extern",  "if",
        "else",     "while",  "do",    "for",   "switch",    "case",   "default", "break",
        "continue", "return", "try",   "catch", "finally",   "throw",  "new",     "null",
        "true",     "false",  "this",  "is",    "as",        "atomic"};
    int count = 0;
    for (int kind = 0; kind < LEX__COUNT; kind++)
        if (lex_token_class[kind] == LEX_CLASS_KEYWORD) count++;
    ck_assert_int_eq(count, (int)(sizeof keywords / sizeof keywords[0]));
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        Lexed *lexed = lex_text(keywords[i]);
        ck_assert_int_eq(lex_token_class[lexed->tokens[0].kind], LEX_CLASS_KEYWORD);
        ck_assert_str_eq(lex_token_spelling[lexed->tokens[0].kind], keywords[i]);
        lexed_free(lexed);
    }
    /* Near misses are identifiers. */
    Lexed *lexed = lex_text("fnx iff Var _if atomics int float list str");
    for (int i = 0; i < lexed->count - 1; i++)
        ck_assert_int_eq(lexed->tokens[i].kind, LEX_IDENT);
    lexed_free(lexed);
}
END_TEST

START_TEST(identifiers_are_interned) {
    Lexed *lexed = lex_text("alpha _beta9 alpha B_");
    ck_assert_int_eq(lexed->count, 5);
    ck_assert_str_eq(lexed->tokens[0].text, "alpha");
    ck_assert_str_eq(lexed->tokens[1].text, "_beta9");
    ck_assert_ptr_eq(lexed->tokens[0].text, lexed->tokens[2].text);
    ck_assert_ptr_eq(lexed->tokens[0].text, intern_cstr(&lexed->interns, "alpha"));
    ck_assert_int_eq(lexed->tokens[3].text_length, 2);
    lexed_free(lexed);
}
END_TEST

START_TEST(maximal_munch_of_operators) {
    static const struct {
        const char *text;
        LexTokenKind kinds[6];
    } cases[] = {
        {"a>>=b", {LEX_IDENT, LEX_SHR_ASSIGN, LEX_IDENT, LEX_EOF}},
        {"a>>b", {LEX_IDENT, LEX_SHR, LEX_IDENT, LEX_EOF}},
        {"a>=b", {LEX_IDENT, LEX_GE, LEX_IDENT, LEX_EOF}},
        {"a<<=b", {LEX_IDENT, LEX_SHL_ASSIGN, LEX_IDENT, LEX_EOF}},
        {"+++", {LEX_PLUS_PLUS, LEX_PLUS, LEX_EOF}},
        {"x->y", {LEX_IDENT, LEX_ARROW, LEX_IDENT, LEX_EOF}},
        {"a::b:c", {LEX_IDENT, LEX_COLON_COLON, LEX_IDENT, LEX_COLON, LEX_IDENT, LEX_EOF}},
        {"!==", {LEX_NE, LEX_ASSIGN, LEX_EOF}},
        {"&&&", {LEX_AMP_AMP, LEX_AMP, LEX_EOF}},
        {"|||=", {LEX_PIPE_PIPE, LEX_PIPE_ASSIGN, LEX_EOF}},
        {"a.b", {LEX_IDENT, LEX_DOT, LEX_IDENT, LEX_EOF}},
        {"-->", {LEX_MINUS_MINUS, LEX_GT, LEX_EOF}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Lexed *lexed = lex_text(cases[i].text);
        for (int j = 0; j < lexed->count; j++)
            ck_assert_msg(lexed->tokens[j].kind == cases[i].kinds[j], "%s: token %d", cases[i].text,
                          j);
        ck_assert_int_eq(cases[i].kinds[lexed->count - 1], LEX_EOF);
        lexed_free(lexed);
    }
}
END_TEST

START_TEST(integer_literals_in_every_base) {
    Lexed *lexed =
        lex_text("0 42 1_000_000 0x1F 0XfF 0b1010 0B1 0o17 0O7 0x_ff_ff 9223372036854775807 "
                 "9223372036854775808 18446744073709551615 0xFFFF_FFFF_FFFF_FFFF");
    static const unsigned long long values[] = {0,
                                                42,
                                                1000000,
                                                31,
                                                255,
                                                10,
                                                1,
                                                15,
                                                7,
                                                0xffff,
                                                9223372036854775807ull,
                                                9223372036854775808ull,
                                                18446744073709551615ull,
                                                18446744073709551615ull};
    static const bool decimal[] = {true,  true,  true,  false, false, false, false,
                                   false, false, false, true,  true,  true,  false};
    ck_assert_int_eq(lexed->count, 15);
    for (int i = 0; i < 14; i++) {
        ck_assert_int_eq(lexed->tokens[i].kind, LEX_INT);
        ck_assert_msg(lexed->tokens[i].int_value == values[i], "value of literal %d", i);
        ck_assert_int_eq(lexed->tokens[i].decimal, decimal[i]);
    }
    ck_assert_int_eq(lexed->diag.errors, 1); /* 0x_ff_ff: '_' right after the prefix */
    lexed_free(lexed);
}
END_TEST

START_TEST(float_literals) {
    Lexed *lexed = lex_text("1.5 1e9 1.5e-3 .5 2E+3 1_000.25 0.0 3e0");
    static const double values[] = {1.5, 1e9, 1.5e-3, 0.5, 2e3, 1000.25, 0.0, 3.0};
    ck_assert_int_eq(lexed->count, 9);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(lexed->tokens[i].kind, LEX_FLOAT);
        ck_assert_double_eq(lexed->tokens[i].float_value, values[i]);
    }
    ck_assert_int_eq(lexed->tokens[3].pos.length, 2);
    ck_assert_int_eq(lexed->diag.errors, 0);
    lexed_free(lexed);
    /* `1.` followed by a name is a member access, not a float. */
    lexed = lex_text("1.x");
    ck_assert_int_eq(lexed->tokens[0].kind, LEX_INT);
    ck_assert_int_eq(lexed->tokens[1].kind, LEX_DOT);
    lexed_free(lexed);
}
END_TEST

START_TEST(number_errors) {
    static const struct {
        const char *text;
        const char *error;
    } cases[] = {
        {"0x", "test.kc:1:1: error: hexadecimal literal has no digits"},
        {"0b102", "test.kc:1:1: error: invalid digit '2' in binary literal"},
        {"0o8", "test.kc:1:1: error: invalid digit '8' in octal literal"},
        {"0xFG", "test.kc:1:1: error: invalid digit 'G' in hexadecimal literal"},
        {"18446744073709551616", "test.kc:1:1: error: integer literal is too large for 64 bits"},
        {"0x1_0000_0000_0000_0000", "test.kc:1:1: error: integer literal is too large for 64 bits"},
        {"1_", "test.kc:1:1: error: '_' in a number must stand between two digits"},
        {"1__0", "test.kc:1:1: error: '_' in a number must stand between two digits"},
        {"1_e5", "test.kc:1:1: error: '_' in a number must stand between two digits"},
        {"7up", "test.kc:1:1: error: invalid suffix 'up' on number"},
        {"1.5_", "test.kc:1:1: error: '_' in a number must stand between two digits"},
        {"0b1_2", "test.kc:1:1: error: invalid digit '2' in binary literal"},
        {"012",
         "test.kc:1:1: error: decimal literal cannot start with '0' (write 0o... for octal)"},
        {"12abc", "test.kc:1:1: error: invalid suffix 'abc' on number"},
        {"1.5e", "test.kc:1:1: error: invalid suffix 'e' on number"},
        {"1e999", "test.kc:1:1: error: float literal is too large for a float"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Lexed *lexed = lex_text(cases[i].text);
        ck_assert_msg(lexed->diag.errors == 1, "%s: one error", cases[i].text);
        ck_assert_str_eq(first_error(lexed), cases[i].error);
        ck_assert(lexed->tokens[0].after_error);
        ck_assert_int_eq(lexed->tokens[0].pos.length, (int)strlen(cases[i].text));
        ck_assert_int_eq(lexed->tokens[1].kind, LEX_EOF);
        lexed_free(lexed);
    }
}
END_TEST

START_TEST(char_literals_and_every_escape) {
    Lexed *lexed =
        lex_text("'a' '\\n' '\\t' '\\r' '\\0' '\\\\' '\\'' '\\\"' '\\x41' '\\xfF' '\"' ' ' '\\a' "
                 "'\\b' '\\f' '\\v' '\\?' '\\101' '\\7' '\\377' '\\00'");
    static const int values[] = {'a', '\n', '\t', '\r', 0,    '\\', '\'', '"', 0x41, 0xff, '"',
                                 ' ', '\a', '\b', '\f', '\v', '?',  'A',  7,   255,  0};
    ck_assert_int_eq(lexed->count, 22);
    for (int i = 0; i < 21; i++) {
        ck_assert_int_eq(lexed->tokens[i].kind, LEX_CHAR);
        ck_assert_int_eq((int)lexed->tokens[i].int_value, values[i]);
    }
    ck_assert_int_eq(lexed->tokens[8].pos.length, 6);
    ck_assert_int_eq(lexed->diag.errors, 0);
    lexed_free(lexed);
}
END_TEST

START_TEST(char_errors) {
    static const struct {
        const char *text;
        const char *error;
    } cases[] = {
        {"''", "test.kc:1:1: error: empty char literal"},
        {"'ab'", "test.kc:1:1: error: char literal must hold exactly one byte (use \"...\" for a "
                 "string)"},
        {"'a", "test.kc:1:1: error: unterminated char literal"},
        {"'", "test.kc:1:1: error: unterminated char literal"},
        {"'\\q'", "test.kc:1:2: error: unknown escape sequence '\\q'"},
        {"'\\x4'", "test.kc:1:2: error: '\\x' escape needs exactly two hexadecimal digits"},
        {"'\\xg'", "test.kc:1:2: error: '\\x' escape needs exactly two hexadecimal digits"},
        {"'\\400'",
         "test.kc:1:2: error: octal escape '\\400' is larger than a byte (the largest is \\377)"},
        {"'\\8'", "test.kc:1:2: error: unknown escape sequence '\\8'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Lexed *lexed = lex_text(cases[i].text);
        ck_assert_msg(lexed->diag.errors == 1, "%s: one error", cases[i].text);
        ck_assert_str_eq(first_error(lexed), cases[i].error);
        ck_assert_int_eq(lexed->tokens[0].kind, LEX_CHAR);
        lexed_free(lexed);
    }
}
END_TEST

START_TEST(string_literals_decode_escapes) {
    Lexed *lexed =
        lex_text("\"\" \"plain\" \"a\\tb\\n\" \"\\x41\\0z\" \"q\\\"\\\\'\" \"\\a\\b\\f\\v\"");
    ck_assert_int_eq(lexed->count, 7);
    ck_assert_int_eq(lexed->tokens[0].text_length, 0);
    ck_assert_str_eq(lexed->tokens[0].text, "");
    ck_assert_str_eq(lexed->tokens[1].text, "plain");
    ck_assert_str_eq(lexed->tokens[2].text, "a\tb\n");
    ck_assert_int_eq(lexed->tokens[3].text_length, 3);
    ck_assert_int_eq(memcmp(lexed->tokens[3].text, "A\0z", 4), 0);
    ck_assert_str_eq(lexed->tokens[4].text, "q\"\\'");
    ck_assert_str_eq(lexed->tokens[5].text, "\a\b\f\v");
    ck_assert_int_eq(lexed->tokens[2].pos.length, 8);
    ck_assert_int_eq(lexed->diag.errors, 0);
    lexed_free(lexed);
    /* Octal escapes take one to three digits. */
    lexed = lex_text("\"\\1234\" \"a\\0b\\00c\\000d\"");
    ck_assert_int_eq(lexed->tokens[0].text_length, 2);
    ck_assert_str_eq(lexed->tokens[0].text, "S4");
    ck_assert_int_eq(lexed->tokens[1].text_length, 7);
    ck_assert_int_eq(memcmp(lexed->tokens[1].text, "a\0b\0c\0d", 7), 0);
    ck_assert_int_eq(lexed->diag.errors, 0);
    lexed_free(lexed);
}
END_TEST

START_TEST(string_errors) {
    Lexed *lexed = lex_text("x = \"abc\ny");
    ck_assert_str_eq(first_error(lexed), "test.kc:1:5: error: unterminated string literal");
    ck_assert_int_eq(lexed->tokens[2].kind, LEX_STRING);
    ck_assert_str_eq(lexed->tokens[2].text, "abc");
    ck_assert_int_eq(lexed->tokens[3].kind, LEX_IDENT);
    ck_assert_int_eq(lexed->tokens[3].pos.line, 2);
    lexed_free(lexed);
    lexed = lex_text("\"a\\qb\"");
    ck_assert_str_eq(first_error(lexed), "test.kc:1:3: error: unknown escape sequence '\\q'");
    ck_assert_str_eq(lexed->tokens[0].text, "aqb");
    lexed_free(lexed);
    lexed = lex_text("\"end\\");
    ck_assert_str_eq(first_error(lexed), "test.kc:1:1: error: unterminated string literal");
    lexed_free(lexed);
}
END_TEST

START_TEST(comments_are_skipped_and_lines_counted) {
    Lexed *lexed = lex_text("a // one\n/* two\nthree */ b /**/c\n\t d // end");
    ck_assert_int_eq(lexed->count, 5);
    ck_assert_int_eq(lexed->tokens[1].pos.line, 3);
    ck_assert_int_eq(lexed->tokens[1].pos.col, 10);
    ck_assert(lexed->tokens[1].newline_before);
    ck_assert_int_eq(lexed->tokens[2].pos.col, 16);
    ck_assert(!lexed->tokens[2].newline_before);
    ck_assert_int_eq(lexed->tokens[3].pos.line, 4);
    ck_assert_int_eq(lexed->tokens[3].pos.col, 3); /* columns count bytes; a tab is one */
    ck_assert_int_eq(lexed->diag.errors, 0);
    lexed_free(lexed);
    lexed = lex_text("a /* never\nclosed");
    ck_assert_str_eq(first_error(lexed),
                     "test.kc:1:3: error: unterminated comment ('/*' without '*/')");
    ck_assert_int_eq(lexed->count, 2);
    ck_assert(lexed->tokens[1].after_error);
    lexed_free(lexed);
}
END_TEST

START_TEST(end_of_file_sits_after_the_last_token) {
    Lexed *lexed = lex_text("fn main()\n\n// trailing\n");
    const LexToken *eof = &lexed->tokens[lexed->count - 1];
    ck_assert_int_eq(eof->kind, LEX_EOF);
    ck_assert_int_eq(eof->pos.line, 1);
    ck_assert_int_eq(eof->pos.col, 10);
    lexed_free(lexed);
    lexed = lex_text("");
    ck_assert_int_eq(lexed->count, 1);
    ck_assert_int_eq(lexed->tokens[0].pos.line, 1);
    ck_assert_int_eq(lexed->tokens[0].pos.col, 1);
    lexed_free(lexed);
}
END_TEST

START_TEST(bad_characters_are_reported_once_per_run) {
    Lexed *lexed = lex_text("a $#` b \xE2\x82\xAC c");
    ck_assert_int_eq(lexed->diag.errors, 2);
    ck_assert_str_eq(first_error(lexed), "test.kc:1:3: error: unexpected character '$'");
    ck_assert_ptr_nonnull(strstr(lexed->errors, "test.kc:1:9: error: unexpected byte 0xE2"));
    ck_assert_int_eq(lexed->count, 4);
    ck_assert(!lexed->tokens[0].after_error);
    ck_assert(lexed->tokens[1].after_error);
    ck_assert_str_eq(lexed->tokens[2].text, "c");
    lexed_free(lexed);
}
END_TEST

START_TEST(nul_bytes_and_byte_order_mark) {
    Lexed *lexed = lex_text_length("a\0b // c\0d\ne", 12);
    ck_assert_int_eq(lexed->diag.errors, 1);
    ck_assert_str_eq(first_error(lexed), "test.kc:1:2: error: unexpected control character 0x00");
    ck_assert_int_eq(lexed->count, 4);
    ck_assert_str_eq(lexed->tokens[2].text, "e");
    lexed_free(lexed);
    lexed = lex_text("\xEF\xBB\xBFx");
    ck_assert_int_eq(lexed->diag.errors, 0);
    ck_assert_int_eq(lexed->tokens[0].kind, LEX_IDENT);
    ck_assert_int_eq(lexed->tokens[0].pos.col, 4);
    lexed_free(lexed);
}
END_TEST

START_TEST(crlf_line_endings) {
    Lexed *lexed = lex_text("a\r\nb\r\n");
    ck_assert_int_eq(lexed->count, 3);
    ck_assert_int_eq(lexed->tokens[1].pos.line, 2);
    ck_assert_int_eq(lexed->tokens[1].pos.col, 1);
    ck_assert_int_eq(lexed->diag.errors, 0);
    lexed_free(lexed);
}
END_TEST

static Suite *lexer_suite(void) {
    Suite *suite = suite_create("lexer");
    TCase *tokens = tcase_create("tokens");
    tcase_add_test(tokens, every_keyword_and_punctuation_lexes_alone_and_in_sequence);
    tcase_add_test(tokens, keywords_are_exactly_the_language_list);
    tcase_add_test(tokens, identifiers_are_interned);
    tcase_add_test(tokens, maximal_munch_of_operators);
    suite_add_tcase(suite, tokens);
    TCase *literals = tcase_create("literals");
    tcase_add_test(literals, integer_literals_in_every_base);
    tcase_add_test(literals, float_literals);
    tcase_add_test(literals, number_errors);
    tcase_add_test(literals, char_literals_and_every_escape);
    tcase_add_test(literals, char_errors);
    tcase_add_test(literals, string_literals_decode_escapes);
    tcase_add_test(literals, string_errors);
    suite_add_tcase(suite, literals);
    TCase *layout = tcase_create("layout");
    tcase_add_test(layout, comments_are_skipped_and_lines_counted);
    tcase_add_test(layout, end_of_file_sits_after_the_last_token);
    tcase_add_test(layout, bad_characters_are_reported_once_per_run);
    tcase_add_test(layout, nul_bytes_and_byte_order_mark);
    tcase_add_test(layout, crlf_line_endings);
    suite_add_tcase(suite, layout);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(lexer_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
