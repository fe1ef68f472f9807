/* lexer.h - the tokenizer of Kiln C (language.md §2).
 *
 * Contract.  Expects: one registered source file whose text is NUL-terminated
 * (diag.h guarantees it); the NUL is used as a sentinel, and a NUL byte
 * before the end of the text is an "unexpected character".  Produces: one
 * token per lex_next call, the last one LEX_EOF (repeated forever).  Every
 * token carries its SrcPos (line and byte column tracked incrementally, no
 * search).  Identifiers are interned; string literals are decoded into the
 * arena; numbers are converted.  Errors (bad characters, malformed numbers,
 * unknown escapes, unterminated comments, strings and chars) are reported
 * through the DiagContext and the lexer recovers by itself: it skips a bad
 * character, gives a malformed number the value 0 and ends an unterminated
 * string at the end of its line, so the parser never sees an error token;
 * the token after a lexical error is marked (after_error) instead.
 */
#ifndef KILN_LEXER_H
#define KILN_LEXER_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/diag.h"
#include "../common/intern.h"

typedef enum LexTokenKind {
#define LEX_TOKEN(kind, spelling, class) LEX_##kind,
#include "lex_tokens.def"
#undef LEX_TOKEN
    LEX__COUNT
} LexTokenKind;

typedef enum LexTokenClass { LEX_CLASS_OTHER, LEX_CLASS_KEYWORD, LEX_CLASS_PUNCT } LexTokenClass;

/* Indexed by LexTokenKind: the spelling column of lex_tokens.def. */
extern const char *const lex_token_spelling[LEX__COUNT];
extern const LexTokenClass lex_token_class[LEX__COUNT];

typedef struct LexToken {
    LexTokenKind kind;
    SrcPos pos;          /* first byte; length = the token's length in bytes */
    int offset;          /* byte offset of the first byte in the file text */
    bool newline_before; /* a line break separates it from the previous token */
    /* The lexer reported an error in this token or in what it skipped just
     * before it: the parser stays quiet about the damage that follows. */
    bool after_error;
    /* LEX_INT: the magnitude as written (literals are never negative).
     * decimal says whether it was written in base 10: only decimal literals
     * are range-checked against INT64_MAX by the parser (hex, octal and
     * binary literals may spell any 64-bit pattern, e.g. 0xFFFF_FFFF_FFFF_FFFF). */
    uint64_t int_value;
    bool decimal;
    double float_value; /* LEX_FLOAT */
    /* LEX_IDENT: the interned name.  LEX_STRING: the decoded bytes in the
     * arena, NUL-terminated.  LEX_CHAR: int_value holds the byte. */
    const char *text;
    int text_length;
} LexToken;

enum { LEX_ASCII = 128, LEX_PUNCT_PER_BYTE = 4 };

typedef struct Lexer {
    DiagContext *diag;
    InternTable *interns;
    Arena *arena; /* decoded string literals */
    int file;
    const char *text;   /* the file's text, NUL-terminated at end */
    const char *cursor; /* next byte to read */
    const char *end;
    int line;               /* line of cursor, from 1 */
    const char *line_start; /* first byte of that line */
    SrcPos last_end;        /* just past the previous token: where EOF is reported */
    bool saw_newline;
    /* Keyword lookup: open addressing on a cheap hash of the spelling.  Filled
     * from lex_tokens.def by lex_init; holds LexTokenKind + 1, 0 = empty. */
    unsigned char keyword_slots[128];
    /* Punctuation by first byte: up to LEX_PUNCT_PER_BYTE kinds (+ 1, 0 =
     * none), longest spelling first; filled by lex_init. */
    unsigned char punct_slots[LEX_ASCII][LEX_PUNCT_PER_BYTE];
} Lexer;

void lex_init(Lexer *lexer, DiagContext *diag, InternTable *interns, Arena *arena, int file);
/* Reads the next token into *token. */
void lex_next(Lexer *lexer, LexToken *token);

#endif
