/* interp_str.c - strings: hashing, comparison, concatenation; number
 * parsing (int_of, float_of) and the shortest round-trip float format.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "interp_internal.h"

uint64_t interp_str_hash(InterpStr *str) {
    if (str->hash) return str->hash;
    uint64_t hash = 14695981039346656037ull; /* FNV-1a */
    for (int64_t i = 0; i < str->length; i++) {
        hash ^= (unsigned char)str->bytes[i];
        hash *= 1099511628211ull;
    }
    str->hash = hash ? hash : 1;
    return str->hash;
}

bool interp_str_equal(InterpStr *left, InterpStr *right) {
    if (left == right) return true;
    if (left->length != right->length) return false;
    if (left->hash && right->hash && left->hash != right->hash) return false;
    return memcmp(left->bytes, right->bytes, (size_t)left->length) == 0;
}

int interp_str_compare(const InterpStr *left, const InterpStr *right) {
    int64_t common = left->length < right->length ? left->length : right->length;
    int order = common > 0 ? memcmp(left->bytes, right->bytes, (size_t)common) : 0;
    if (order != 0) return order;
    return left->length < right->length ? -1 : left->length > right->length ? 1 : 0;
}

InterpStr *interp_str_concat(Interp *interp, const InterpStr *left, const InterpStr *right) {
    if (right->length == 0) return (InterpStr *)left;
    if (left->length == 0) return (InterpStr *)right;
    if (left->length > INT64_MAX - right->length)
        return interp_raise(interp, INTERP_ERROR_MEMORY, "str too long"), NULL;
    InterpStr *str = interp_str_alloc(interp, left->length + right->length);
    if (!str) return NULL;
    memcpy(str->bytes, left->bytes, (size_t)left->length);
    memcpy(str->bytes + left->length, right->bytes, (size_t)right->length);
    return str;
}

InterpStr *interp_str_of_char(Interp *interp, int byte) {
    byte &= 255;
    if (!interp->char_strs[byte]) {
        char text = (char)byte;
        interp->char_strs[byte] = interp_str_new(interp, &text, 1);
    }
    return interp->char_strs[byte];
}

/* ---- float formatting -------------------------------------------------- */

/* Writes the digits and decimal exponent of the shortest %e form that reads
 * back as `real` (finite, non-zero); returns the digit count. */
static int interp_shortest_digits(double real, char *digits, int *exponent) {
    char text[40];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*e", precision - 1, real);
        if (strtod(text, NULL) == real) break;
    }
    int count = 0;
    const char *cursor = text;
    if (*cursor == '-') cursor++;
    for (; *cursor && *cursor != 'e'; cursor++)
        if (isdigit((unsigned char)*cursor)) digits[count++] = *cursor;
    *exponent = *cursor == 'e' ? atoi(cursor + 1) : 0;
    while (count > 1 && digits[count - 1] == '0')
        count--;
    digits[count] = '\0';
    return count;
}

void interp_format_float(double real, char *buffer, size_t size) {
    if (isnan(real)) {
        snprintf(buffer, size, "nan");
        return;
    }
    if (isinf(real)) {
        snprintf(buffer, size, real < 0 ? "-inf" : "inf");
        return;
    }
    if (real == 0) {
        snprintf(buffer, size, signbit(real) ? "-0.0" : "0.0");
        return;
    }
    char digits[24];
    int exponent;
    int count = interp_shortest_digits(real, digits, &exponent);
    char text[64];
    int length = 0;
    if (real < 0) text[length++] = '-';
    if (exponent < -4 || exponent >= 16) {
        text[length++] = digits[0];
        if (count > 1) {
            text[length++] = '.';
            memcpy(text + length, digits + 1, (size_t)count - 1);
            length += count - 1;
        }
        length += snprintf(text + length, sizeof text - (size_t)length, "e%c%02d",
                           exponent < 0 ? '-' : '+', exponent < 0 ? -exponent : exponent);
    } else if (exponent < 0) {
        text[length++] = '0';
        text[length++] = '.';
        for (int i = 0; i < -exponent - 1; i++)
            text[length++] = '0';
        memcpy(text + length, digits, (size_t)count);
        length += count;
    } else {
        for (int i = 0; i <= exponent; i++)
            text[length++] = i < count ? digits[i] : '0';
        text[length++] = '.';
        if (count > exponent + 1) {
            memcpy(text + length, digits + exponent + 1, (size_t)(count - exponent - 1));
            length += count - exponent - 1;
        } else {
            text[length++] = '0';
        }
    }
    text[length] = '\0';
    snprintf(buffer, size, "%s", text);
}

/* ---- number parsing ---------------------------------------------------- */

static bool interp_is_space(char byte) {
    return byte == ' ' || byte == '\t' || byte == '\n' || byte == '\r' || byte == '\f' ||
           byte == '\v';
}

/* Narrows [*start, *end) to the text without surrounding white space. */
static void interp_trim(const char *text, int64_t *start, int64_t *end) {
    while (*start < *end && interp_is_space(text[*start]))
        (*start)++;
    while (*end > *start && interp_is_space(text[*end - 1]))
        (*end)--;
}

static int interp_digit_value(char byte) {
    if (byte >= '0' && byte <= '9') return byte - '0';
    if (byte >= 'a' && byte <= 'z') return byte - 'a' + 10;
    if (byte >= 'A' && byte <= 'Z') return byte - 'A' + 10;
    return 99;
}

/* Consumes a 0x/0o/0b prefix that agrees with *base (0: any, then sets it). */
static void interp_skip_prefix(const char *text, int64_t *position, int64_t end, int *base) {
    if (end - *position < 2 || text[*position] != '0') return;
    char letter = (char)tolower((unsigned char)text[*position + 1]);
    int prefix_base = letter == 'x' ? 16 : letter == 'o' ? 8 : letter == 'b' ? 2 : 0;
    if (prefix_base && (*base == 0 || *base == prefix_base)) {
        *base = prefix_base;
        *position += 2;
    }
}

InterpParseResult interp_parse_int(const char *text, int64_t length, int base, int64_t *result) {
    if (base != 0 && (base < 2 || base > 36)) return INTERP_PARSE_INVALID;
    int64_t position = 0, end = length;
    interp_trim(text, &position, &end);
    bool negative = false;
    if (position < end && (text[position] == '+' || text[position] == '-'))
        negative = text[position++] == '-';
    interp_skip_prefix(text, &position, end, &base);
    if (base == 0) base = 10;
    uint64_t magnitude = 0, limit = negative ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
    bool overflow = false, any_digit = false, after_digit = false;
    for (; position < end; position++) {
        char byte = text[position];
        if (byte == '_' && after_digit) {
            after_digit = false;
            continue;
        }
        int digit = interp_digit_value(byte);
        if (digit >= base) return INTERP_PARSE_INVALID;
        if (magnitude > (limit - (uint64_t)digit) / (uint64_t)base)
            overflow = true;
        else
            magnitude = magnitude * (uint64_t)base + (uint64_t)digit;
        any_digit = after_digit = true;
    }
    if (!any_digit || !after_digit) return INTERP_PARSE_INVALID;
    if (overflow) return INTERP_PARSE_OVERFLOW;
    *result = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    return INTERP_PARSE_OK;
}

static bool interp_match_word(const char *text, int64_t start, int64_t end, const char *word) {
    int64_t length = (int64_t)strlen(word);
    if (end - start != length) return false;
    for (int64_t i = 0; i < length; i++)
        if (tolower((unsigned char)text[start + i]) != word[i]) return false;
    return true;
}

/* Checks the decimal float syntax: digits [. digits] [e [sign] digits]. */
static bool interp_float_syntax(const char *text, int64_t position, int64_t end) {
    int64_t mantissa_digits = 0;
    while (position < end && isdigit((unsigned char)text[position]))
        position++, mantissa_digits++;
    if (position < end && text[position] == '.') {
        position++;
        while (position < end && isdigit((unsigned char)text[position]))
            position++, mantissa_digits++;
    }
    if (mantissa_digits == 0) return false;
    if (position < end && (text[position] == 'e' || text[position] == 'E')) {
        position++;
        if (position < end && (text[position] == '+' || text[position] == '-')) position++;
        int64_t exponent_digits = 0;
        while (position < end && isdigit((unsigned char)text[position]))
            position++, exponent_digits++;
        if (exponent_digits == 0) return false;
    }
    return position == end;
}

InterpParseResult interp_parse_float(const char *text, int64_t length, double *result) {
    int64_t position = 0, end = length;
    interp_trim(text, &position, &end);
    int64_t body = position;
    if (body < end && (text[body] == '+' || text[body] == '-')) body++;
    bool negative = body > position && text[position] == '-';
    if (interp_match_word(text, body, end, "inf") ||
        interp_match_word(text, body, end, "infinity")) {
        *result = negative ? -INFINITY : INFINITY;
        return INTERP_PARSE_OK;
    }
    if (interp_match_word(text, body, end, "nan")) {
        *result = NAN;
        return INTERP_PARSE_OK;
    }
    if (!interp_float_syntax(text, body, end)) return INTERP_PARSE_INVALID;
    char *copy = kiln_xmalloc((size_t)(end - position) + 1);
    memcpy(copy, text + position, (size_t)(end - position));
    copy[end - position] = '\0';
    *result = strtod(copy, NULL);
    free(copy);
    return INTERP_PARSE_OK;
}
