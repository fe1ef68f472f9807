/* lexer.c - see lexer.h.
 *
 * One pass over the bytes, driven by a switch on the first byte of each
 * token.  Line and column are tracked incrementally: `line` counts the
 * newlines passed and `line_start` points at the first byte of the current
 * line, so a token's column is one subtraction.  The text's terminating NUL
 * stops every inner loop; only the dispatch checks whether a NUL is the end.
 */
#include "lexer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const lex_token_spelling[LEX__COUNT] = {
#define LEX_TOKEN(kind, spelling, class) [LEX_##kind] = spelling,
#include "lex_tokens.def"
#undef LEX_TOKEN
};

const LexTokenClass lex_token_class[LEX__COUNT] = {
#define LEX_TOKEN(kind, spelling, class) [LEX_##kind] = LEX_CLASS_##class,
#include "lex_tokens.def"
#undef LEX_TOKEN
};

enum { LEX_KEYWORD_SLOTS = 128, LEX_KEYWORD_MAX_LENGTH = 9 };
_Static_assert(LEX__COUNT < 255, "token kinds fit the byte-sized lookup slots");

static bool lex_is_digit(char byte) {
    return byte >= '0' && byte <= '9';
}

static bool lex_is_alpha(char byte) {
    return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || byte == '_';
}

static bool lex_is_alnum(char byte) {
    return lex_is_alpha(byte) || lex_is_digit(byte);
}

/* The value of a digit in bases up to 36, or -1. */
static int lex_digit_value(char byte) {
    if (lex_is_digit(byte)) return byte - '0';
    if (byte >= 'a' && byte <= 'z') return byte - 'a' + 10;
    if (byte >= 'A' && byte <= 'Z') return byte - 'A' + 10;
    return -1;
}

static unsigned lex_keyword_hash(const char *text, int length) {
    return ((unsigned char)text[0] * 7u + (unsigned char)text[length - 1] * 3u + (unsigned)length) &
           (LEX_KEYWORD_SLOTS - 1);
}

/* Files a punctuation kind under its first byte, keeping each byte's
 * candidates ordered longest first. */
static void lex_add_punct(Lexer *lexer, LexTokenKind kind) {
    const char *spelling = lex_token_spelling[kind];
    unsigned char *slots = lexer->punct_slots[(unsigned char)spelling[0]];
    int count = 0;
    while (count < LEX_PUNCT_PER_BYTE && slots[count])
        count++;
    KILN_ASSERT(count < LEX_PUNCT_PER_BYTE, "at most LEX_PUNCT_PER_BYTE spellings per first byte");
    int position = count;
    while (position > 0 && strlen(lex_token_spelling[slots[position - 1] - 1]) < strlen(spelling)) {
        slots[position] = slots[position - 1];
        position--;
    }
    slots[position] = (unsigned char)(kind + 1);
}

void lex_init(Lexer *lexer, DiagContext *diag, InternTable *interns, Arena *arena, int file) {
    memset(lexer, 0, sizeof *lexer);
    const SourceFile *source = diag_file(diag, file);
    lexer->diag = diag;
    lexer->interns = interns;
    lexer->arena = arena;
    lexer->file = file;
    lexer->text = source->text;
    lexer->cursor = source->text;
    lexer->end = source->text + source->length;
    lexer->line = 1;
    lexer->line_start = source->text;
    lexer->last_end = (SrcPos){file, 1, 1, 1};
    /* A UTF-8 byte order mark carries no meaning in Kiln C source. */
    if (source->length >= 3 && memcmp(source->text, "\xEF\xBB\xBF", 3) == 0) lexer->cursor += 3;
    for (int kind = 0; kind < LEX__COUNT; kind++) {
        if (lex_token_class[kind] == LEX_CLASS_PUNCT) lex_add_punct(lexer, (LexTokenKind)kind);
        if (lex_token_class[kind] != LEX_CLASS_KEYWORD) continue;
        const char *spelling = lex_token_spelling[kind];
        int length = (int)strlen(spelling);
        KILN_ASSERT(length <= LEX_KEYWORD_MAX_LENGTH, "keywords fit LEX_KEYWORD_MAX_LENGTH");
        unsigned slot = lex_keyword_hash(spelling, length);
        while (lexer->keyword_slots[slot])
            slot = (slot + 1) & (LEX_KEYWORD_SLOTS - 1);
        lexer->keyword_slots[slot] = (unsigned char)(kind + 1);
    }
}

static LexTokenKind lex_keyword(const Lexer *lexer, const char *text, int length) {
    if (length < 2 || length > LEX_KEYWORD_MAX_LENGTH || text[0] < 'a' || text[0] > 'z')
        return LEX_IDENT;
    unsigned slot = lex_keyword_hash(text, length);
    while (lexer->keyword_slots[slot]) {
        int kind = lexer->keyword_slots[slot] - 1;
        const char *spelling = lex_token_spelling[kind];
        if (strncmp(spelling, text, (size_t)length) == 0 && spelling[length] == '\0')
            return (LexTokenKind)kind;
        slot = (slot + 1) & (LEX_KEYWORD_SLOTS - 1);
    }
    return LEX_IDENT;
}

static SrcPos lex_pos(const Lexer *lexer, const char *start, int length) {
    SrcPos pos = {lexer->file, lexer->line, (int32_t)(start - lexer->line_start) + 1,
                  length > 0 ? length : 1};
    return pos;
}

/* Skips spaces, newlines and comments; reports an unterminated block comment. */
static void lex_skip_space(Lexer *lexer) {
    const char *cursor = lexer->cursor;
    for (;;) {
        char byte = *cursor;
        if (byte == ' ' || byte == '\t' || byte == '\r' || byte == '\f' || byte == '\v') {
            cursor++;
        } else if (byte == '\n') {
            cursor++;
            lexer->line++;
            lexer->line_start = cursor;
            lexer->saw_newline = true;
        } else if (byte == '/' && cursor[1] == '/') {
            cursor += 2;
            for (;;) {
                while (*cursor != '\n' && *cursor != '\0')
                    cursor++;
                if (*cursor != '\0' || cursor >= lexer->end) break;
                cursor++; /* a NUL byte inside the comment */
            }
        } else if (byte == '/' && cursor[1] == '*') {
            const char *opening = cursor;
            SrcPos opening_pos = lex_pos(lexer, opening, 2);
            cursor += 2;
            for (;;) {
                if (cursor >= lexer->end) {
                    diag_error(lexer->diag, opening_pos,
                               "unterminated comment ('/*' without '*/')");
                    break;
                }
                if (cursor[0] == '*' && cursor[1] == '/') {
                    cursor += 2;
                    break;
                }
                if (*cursor == '\n') {
                    lexer->line++;
                    lexer->line_start = cursor + 1;
                    lexer->saw_newline = true;
                }
                cursor++;
            }
        } else {
            break;
        }
    }
    lexer->cursor = cursor;
}

/* Decodes one escape sequence at *cursor (which points at the backslash):
 * the C escapes \n \t \r \a \b \f \v \\ \' \" \?, octal \o \oo \ooo (up to
 * \377; \0 is one of them) and hexadecimal \xHH (exactly two digits).
 * Sets *value to the byte; reports an unknown or malformed escape and then
 * yields the escaped character itself so that lexing goes on. */
static void lex_escape(Lexer *lexer, const char **cursor, int *value) {
    const char *backslash = *cursor;
    char byte = backslash[1];
    *cursor = backslash + 2;
    switch (byte) {
    case 'n': *value = '\n'; return;
    case 't': *value = '\t'; return;
    case 'r': *value = '\r'; return;
    case 'a': *value = '\a'; return;
    case 'b': *value = '\b'; return;
    case 'f': *value = '\f'; return;
    case 'v': *value = '\v'; return;
    case '\\': *value = '\\'; return;
    case '\'': *value = '\''; return;
    case '"': *value = '"'; return;
    case '?': *value = '?'; return;
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
        /* One to three octal digits, as in C; \0 is the one-digit case. */
        int digits = 0, octal = 0;
        while (digits < 3 && backslash[1 + digits] >= '0' && backslash[1 + digits] <= '7') {
            octal = octal * 8 + (backslash[1 + digits] - '0');
            digits++;
        }
        *cursor = backslash + 1 + digits;
        *value = octal & 0xff;
        if (octal > 0xff)
            diag_error(lexer->diag, lex_pos(lexer, backslash, 1 + digits),
                       "octal escape '\\%.*s' is larger than a byte (the largest is \\377)", digits,
                       backslash + 1);
        return;
    }
    case 'x': {
        int digits = 0, hex = 0;
        while (digits < 2) {
            int digit = lex_digit_value(backslash[2 + digits]);
            if (digit < 0 || digit >= 16) break;
            hex = hex * 16 + digit;
            digits++;
        }
        *value = hex;
        *cursor = backslash + 2 + digits;
        if (digits < 2)
            diag_error(lexer->diag, lex_pos(lexer, backslash, 2 + digits),
                       "'\\x' escape needs exactly two hexadecimal digits");
        return;
    }
    default:
        if (byte == '\n' || byte == '\0') {
            /* The literal is unterminated; the caller reports that. */
            *cursor = backslash + 1;
            *value = '\\';
            return;
        }
        if (byte >= 0x20 && byte < 0x7f)
            diag_error(lexer->diag, lex_pos(lexer, backslash, 2), "unknown escape sequence '\\%c'",
                       byte);
        else
            diag_error(lexer->diag, lex_pos(lexer, backslash, 2),
                       "unknown escape sequence (a backslash before byte 0x%02X)",
                       (unsigned char)byte);
        *value = (unsigned char)byte;
        return;
    }
}

static void lex_string(Lexer *lexer, LexToken *token) {
    const char *start = lexer->cursor;
    const char *cursor = start + 1;
    bool escapes = false;
    while (*cursor != '"' && *cursor != '\n' && *cursor != '\0') {
        if (*cursor == '\\' && cursor[1] != '\n' && cursor[1] != '\0') {
            escapes = true;
            cursor += 2;
        } else {
            cursor++;
        }
    }
    bool terminated = *cursor == '"';
    const char *body_end = cursor;
    if (terminated) cursor++;
    token->kind = LEX_STRING;
    token->pos = lex_pos(lexer, start, (int)(cursor - start));
    if (!terminated)
        diag_error(lexer->diag, lex_pos(lexer, start, 1), "unterminated string literal");
    if (!escapes) {
        token->text = arena_strndup(lexer->arena, start + 1, (size_t)(body_end - start - 1));
        token->text_length = (int)(body_end - start - 1);
    } else {
        char *decoded = arena_alloc(lexer->arena, (size_t)(body_end - start));
        int length = 0;
        const char *read = start + 1;
        while (read < body_end) {
            if (*read == '\\') {
                int value;
                lex_escape(lexer, &read, &value);
                decoded[length++] = (char)value;
            } else {
                decoded[length++] = *read++;
            }
        }
        decoded[length] = '\0';
        token->text = decoded;
        token->text_length = length;
    }
    lexer->cursor = cursor;
}

static void lex_char(Lexer *lexer, LexToken *token) {
    const char *start = lexer->cursor;
    const char *cursor = start + 1;
    int value = 0;
    token->kind = LEX_CHAR;
    if (*cursor == '\'') {
        diag_error(lexer->diag, lex_pos(lexer, start, 2), "empty char literal");
        cursor++;
    } else if (*cursor == '\n' || *cursor == '\0') {
        diag_error(lexer->diag, lex_pos(lexer, start, 1), "unterminated char literal");
    } else {
        int errors_before = lexer->diag->errors;
        if (*cursor == '\\') {
            lex_escape(lexer, &cursor, &value);
        } else {
            value = (unsigned char)*cursor;
            cursor++;
        }
        if (*cursor == '\'') {
            cursor++;
        } else {
            /* Find the closing quote on this line to say what is wrong. */
            const char *scan = cursor;
            while (*scan != '\'' && *scan != '\n' && *scan != '\0')
                scan++;
            if (*scan == '\'') {
                /* After a bad escape the rest is part of the same mistake. */
                if (lexer->diag->errors == errors_before)
                    diag_error(lexer->diag, lex_pos(lexer, start, (int)(scan + 1 - start)),
                               "char literal must hold exactly one byte (use \"...\" for a "
                               "string)");
                cursor = scan + 1;
            } else {
                diag_error(lexer->diag, lex_pos(lexer, start, 1), "unterminated char literal");
            }
        }
    }
    token->int_value = (uint64_t)value;
    token->pos = lex_pos(lexer, start, (int)(cursor - start));
    lexer->cursor = cursor;
}

/* Reports letters or digits glued to the end of a number, and skips them;
 * sets *reported when it did. */
static const char *lex_number_suffix(Lexer *lexer, const char *start, const char *cursor,
                                     bool *reported) {
    *reported = false;
    if (!lex_is_alnum(*cursor)) return cursor;
    const char *suffix = cursor;
    while (lex_is_alnum(*cursor))
        cursor++;
    diag_error(lexer->diag, lex_pos(lexer, start, (int)(cursor - start)),
               "invalid suffix '%.*s' on number", (int)(cursor - suffix), suffix);
    *reported = true;
    return cursor;
}

static bool lex_is_base_digit(char byte, int base) {
    int digit = lex_digit_value(byte);
    return digit >= 0 && digit < base;
}

static void lex_float(Lexer *lexer, LexToken *token, const char *start) {
    const char *cursor = start;
    while (lex_is_digit(*cursor) || *cursor == '_')
        cursor++;
    if (*cursor == '.') {
        cursor++;
        while (lex_is_digit(*cursor) || *cursor == '_')
            cursor++;
    }
    /* An exponent needs a digit; otherwise the 'e' is a bad suffix. */
    if ((cursor[0] == 'e' || cursor[0] == 'E') &&
        (lex_is_digit(cursor[1]) ||
         ((cursor[1] == '+' || cursor[1] == '-') && lex_is_digit(cursor[2])))) {
        cursor += 2;
        while (lex_is_digit(*cursor) || *cursor == '_')
            cursor++;
    }
    int length = (int)(cursor - start);
    char *digits = arena_alloc(lexer->arena, (size_t)length + 1);
    int kept = 0;
    bool bad_underscore = false;
    for (int i = 0; i < length; i++) {
        if (start[i] != '_') {
            digits[kept++] = start[i];
            continue;
        }
        if (i == 0 || !lex_is_digit(start[i - 1]) || !lex_is_digit(start[i + 1]))
            bad_underscore = true;
    }
    digits[kept] = '\0';
    bool reported;
    cursor = lex_number_suffix(lexer, start, cursor, &reported);
    token->kind = LEX_FLOAT;
    token->pos = lex_pos(lexer, start, (int)(cursor - start));
    if (reported) {
        lexer->cursor = cursor;
        return;
    }
    if (bad_underscore)
        diag_error(lexer->diag, token->pos, "'_' in a number must stand between two digits");
    errno = 0;
    token->float_value = strtod(digits, NULL);
    if (errno == ERANGE && (token->float_value > 1.0 || token->float_value < -1.0))
        diag_error(lexer->diag, token->pos, "float literal is too large for a float");
    lexer->cursor = cursor;
}

static const char *lex_base_name(int base) {
    return base == 16 ? "hexadecimal" : base == 8 ? "octal" : base == 2 ? "binary" : "decimal";
}

/* Integer literals: decimal, 0x, 0o, 0b, with '_' between digits.  Values
 * that do not fit in 64 bits are errors here; the signed range is the
 * parser's business (see LexToken.decimal). */
static void lex_number(Lexer *lexer, LexToken *token) {
    const char *start = lexer->cursor;
    const char *cursor = start;
    int base = 10;
    if (start[0] == '0' && (start[1] == 'x' || start[1] == 'X')) base = 16;
    if (start[0] == '0' && (start[1] == 'o' || start[1] == 'O')) base = 8;
    if (start[0] == '0' && (start[1] == 'b' || start[1] == 'B')) base = 2;
    if (base == 10) {
        const char *scan = start;
        while (lex_is_digit(*scan) || *scan == '_')
            scan++;
        bool fraction = scan[0] == '.' && lex_is_digit(scan[1]);
        bool exponent = (scan[0] == 'e' || scan[0] == 'E') &&
                        (lex_is_digit(scan[1]) ||
                         ((scan[1] == '+' || scan[1] == '-') && lex_is_digit(scan[2])));
        if (fraction || exponent || start[0] == '.') {
            lex_float(lexer, token, start);
            return;
        }
    } else {
        cursor += 2;
    }
    const char *digits_start = cursor;
    uint64_t value = 0;
    bool overflow = false, bad_underscore = false, any_digit = false;
    const char *bad_digit = NULL;
    for (;; cursor++) {
        char byte = *cursor;
        if (byte == '_') {
            if (cursor == digits_start || !lex_is_base_digit(cursor[-1], base) ||
                !lex_is_base_digit(cursor[1], base))
                bad_underscore = true;
            continue;
        }
        int digit = lex_digit_value(byte);
        if (digit < 0 || (base == 10 && digit >= 10)) break;
        if (digit >= base) {
            if (!bad_digit) bad_digit = cursor;
            continue;
        }
        any_digit = true;
        if (value > (UINT64_MAX - (uint64_t)digit) / (uint64_t)base) overflow = true;
        value = value * (uint64_t)base + (uint64_t)digit;
    }
    bool reported;
    cursor = lex_number_suffix(lexer, start, cursor, &reported);
    token->kind = LEX_INT;
    token->decimal = base == 10;
    token->pos = lex_pos(lexer, start, (int)(cursor - start));
    if (reported) {
        value = 0;
    } else if (bad_digit) {
        diag_error(lexer->diag, token->pos, "invalid digit '%c' in %s literal", *bad_digit,
                   lex_base_name(base));
        value = 0;
    } else if (!any_digit) {
        diag_error(lexer->diag, token->pos, "%s literal has no digits", lex_base_name(base));
    } else if (bad_underscore) {
        diag_error(lexer->diag, token->pos, "'_' in a number must stand between two digits");
    } else if (overflow) {
        diag_error(lexer->diag, token->pos, "integer literal is too large for 64 bits");
        value = 0;
    } else if (base == 10 && start[0] == '0' && cursor - start > 1) {
        diag_error(lexer->diag, token->pos,
                   "decimal literal cannot start with '0' (write 0o... for octal)");
    }
    token->int_value = value;
    lexer->cursor = cursor;
}

/* Punctuation by maximal munch over the spellings of lex_tokens.def: the
 * candidates for a first byte are tried longest first.  Returns the length
 * of the punctuation at `cursor` and sets *kind, or returns 0. */
static int lex_match_punct(const Lexer *lexer, const char *cursor, LexTokenKind *kind) {
    unsigned char first = (unsigned char)*cursor;
    if (first >= LEX_ASCII) return 0;
    for (int i = 0; i < LEX_PUNCT_PER_BYTE && lexer->punct_slots[first][i]; i++) {
        const char *spelling = lex_token_spelling[lexer->punct_slots[first][i] - 1];
        int length = 0;
        while (spelling[length] && spelling[length] == cursor[length])
            length++;
        if (spelling[length]) continue;
        *kind = (LexTokenKind)(lexer->punct_slots[first][i] - 1);
        return length;
    }
    return 0;
}

/* Reports a run of bytes that start no token as one error and skips it. */
static void lex_bad_bytes(Lexer *lexer) {
    const char *start = lexer->cursor;
    const char *cursor = start;
    LexTokenKind ignored;
    for (;;) {
        unsigned char byte = (unsigned char)*cursor;
        if (cursor >= lexer->end || byte == ' ' || byte == '\n' || byte == '\t' || byte == '\r' ||
            byte == '\f' || byte == '\v')
            break;
        if (lex_is_alnum((char)byte) || byte == '"' || byte == '\'') break;
        if (lex_match_punct(lexer, cursor, &ignored)) break;
        cursor++;
    }
    unsigned char first = (unsigned char)*start;
    SrcPos pos = lex_pos(lexer, start, (int)(cursor - start));
    if (first >= 0x21 && first < 0x7f)
        diag_error(lexer->diag, pos, "unexpected character '%c'", first);
    else if (first >= 0x80)
        diag_error(lexer->diag, pos, "unexpected byte 0x%02X (non-ASCII text belongs in strings)",
                   first);
    else
        diag_error(lexer->diag, pos, "unexpected control character 0x%02X", first);
    lexer->cursor = cursor;
}

void lex_next(Lexer *lexer, LexToken *token) {
    int errors_before = lexer->diag->errors;
    lexer->saw_newline = false;
    for (;;) {
        lex_skip_space(lexer);
        const char *start = lexer->cursor;
        char byte = *start;
        memset(token, 0, sizeof *token);
        token->newline_before = lexer->saw_newline;
        token->offset = (int)(start - lexer->text);
        if (byte == '\0' && start >= lexer->end) {
            token->kind = LEX_EOF;
            token->pos = lexer->last_end;
            token->after_error = lexer->diag->errors != errors_before;
            return;
        }
        if (lex_is_alpha(byte)) {
            const char *cursor = start + 1;
            while (lex_is_alnum(*cursor))
                cursor++;
            int length = (int)(cursor - start);
            token->kind = lex_keyword(lexer, start, length);
            if (token->kind == LEX_IDENT) {
                token->text = intern(lexer->interns, start, (size_t)length);
                token->text_length = length;
            }
            token->pos = lex_pos(lexer, start, length);
            lexer->cursor = cursor;
        } else if (lex_is_digit(byte) || (byte == '.' && lex_is_digit(start[1]))) {
            lex_number(lexer, token);
        } else if (byte == '"') {
            lex_string(lexer, token);
        } else if (byte == '\'') {
            lex_char(lexer, token);
        } else {
            int length = lex_match_punct(lexer, start, &token->kind);
            if (length == 0) {
                lex_bad_bytes(lexer);
                continue;
            }
            token->pos = lex_pos(lexer, start, length);
            lexer->cursor = start + length;
        }
        /* The token may span lines only when it is an unterminated literal,
         * which stops at the newline, so last_end stays on the token's line. */
        lexer->last_end =
            (SrcPos){lexer->file, token->pos.line, token->pos.col + token->pos.length, 1};
        token->after_error = lexer->diag->errors != errors_before;
        return;
    }
}
