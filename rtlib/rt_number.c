/* rt_number.c - float formatting and number parsing, shared by the
 * runtime and the graph interpreter so that both print and parse every
 * value the same way.  Pure functions: no heap, no GC.
 *
 * Floats print as the shortest %e digits that read back to the same double,
 * laid out as Python's repr does ("6.0", "0.1", "1e+100", "inf", "nan").
 */
#include "rt_number.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- float formatting -------------------------------------------------- */

/* The digits and decimal exponent of the shortest %e form that reads back
 * as `real` (finite, non-zero); returns the digit count. */
static int rt_shortest_digits(double real, char *digits, int *exponent) {
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

void rt_format_float(double real, char *buffer, size_t size) {
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
    int count = rt_shortest_digits(real, digits, &exponent);
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

bool rt_is_space(char byte) {
    return byte == ' ' || byte == '\t' || byte == '\n' || byte == '\r' || byte == '\f' ||
           byte == '\v';
}

void rt_trim(const char *text, int64_t *start, int64_t *end) {
    while (*start < *end && rt_is_space(text[*start]))
        (*start)++;
    while (*end > *start && rt_is_space(text[*end - 1]))
        (*end)--;
}

static int rt_digit_value(char byte) {
    if (byte >= '0' && byte <= '9') return byte - '0';
    if (byte >= 'a' && byte <= 'z') return byte - 'a' + 10;
    if (byte >= 'A' && byte <= 'Z') return byte - 'A' + 10;
    return 99;
}

static void rt_skip_prefix(const char *text, int64_t *position, int64_t end, int *base) {
    if (end - *position < 2 || text[*position] != '0') return;
    char letter = (char)tolower((unsigned char)text[*position + 1]);
    int prefix_base = letter == 'x' ? 16 : letter == 'o' ? 8 : letter == 'b' ? 2 : 0;
    if (prefix_base && (*base == 0 || *base == prefix_base)) {
        *base = prefix_base;
        *position += 2;
    }
}

RtParseResult rt_parse_int(const char *text, int64_t length, int base, int64_t *result) {
    if (base != 0 && (base < 2 || base > 36)) return RT_PARSE_INVALID;
    int64_t position = 0, end = length;
    rt_trim(text, &position, &end);
    bool negative = false;
    if (position < end && (text[position] == '+' || text[position] == '-'))
        negative = text[position++] == '-';
    rt_skip_prefix(text, &position, end, &base);
    if (base == 0) base = 10;
    uint64_t magnitude = 0, limit = negative ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
    bool overflow = false, any_digit = false, after_digit = false;
    for (; position < end; position++) {
        char byte = text[position];
        if (byte == '_' && after_digit) {
            after_digit = false;
            continue;
        }
        int digit = rt_digit_value(byte);
        if (digit >= base) return RT_PARSE_INVALID;
        if (magnitude > (limit - (uint64_t)digit) / (uint64_t)base)
            overflow = true;
        else
            magnitude = magnitude * (uint64_t)base + (uint64_t)digit;
        any_digit = after_digit = true;
    }
    if (!any_digit || !after_digit) return RT_PARSE_INVALID;
    if (overflow) return RT_PARSE_OVERFLOW;
    *result = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    return RT_PARSE_OK;
}

static bool rt_match_word(const char *text, int64_t start, int64_t end, const char *word) {
    int64_t length = (int64_t)strlen(word);
    if (end - start != length) return false;
    for (int64_t i = 0; i < length; i++)
        if (tolower((unsigned char)text[start + i]) != word[i]) return false;
    return true;
}

static bool rt_float_syntax(const char *text, int64_t position, int64_t end) {
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

RtParseResult rt_parse_float(const char *text, int64_t length, double *result) {
    int64_t position = 0, end = length;
    rt_trim(text, &position, &end);
    int64_t body = position;
    if (body < end && (text[body] == '+' || text[body] == '-')) body++;
    bool negative = body > position && text[position] == '-';
    if (rt_match_word(text, body, end, "inf") || rt_match_word(text, body, end, "infinity")) {
        *result = negative ? -INFINITY : INFINITY;
        return RT_PARSE_OK;
    }
    if (rt_match_word(text, body, end, "nan")) {
        *result = NAN;
        return RT_PARSE_OK;
    }
    if (!rt_float_syntax(text, body, end)) return RT_PARSE_INVALID;
    char *copy = malloc((size_t)(end - position) + 1);
    if (!copy) abort();
    memcpy(copy, text + position, (size_t)(end - position));
    copy[end - position] = '\0';
    *result = strtod(copy, NULL);
    free(copy);
    return RT_PARSE_OK;
}
