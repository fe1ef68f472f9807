/* rt_number.h - float formatting and number parsing (rt_number.c), used by
 * the runtime of translated VMs and by the graph interpreter alike, so that
 * `kiln run` and a translated VM print and parse every number the same way. */
#ifndef KILN_RT_NUMBER_H
#define KILN_RT_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shortest repr that reads back to the same double (Python's repr):
 * "6.0", "0.1", "1e+100", "inf", "nan".  buffer holds at least 32 bytes. */
void rt_format_float(double real, char *buffer, size_t size);

typedef enum RtParseResult { RT_PARSE_OK, RT_PARSE_INVALID, RT_PARSE_OVERFLOW } RtParseResult;
/* An integer: optional spaces, sign, a 0x/0o/0b prefix matching base (base
 * 0: any prefix, else decimal), digits with single `_` between them. */
RtParseResult rt_parse_int(const char *text, int64_t length, int base, int64_t *result);
/* A float: optional spaces and sign, digits with an optional fraction and
 * exponent, or inf, infinity, nan in any case. */
RtParseResult rt_parse_float(const char *text, int64_t length, double *result);

/* C's white space (space, \t, \n, \r, \f, \v), as split() and strip() use it. */
bool rt_is_space(char byte);
/* Narrows [start, end) of text to exclude white space at both ends. */
void rt_trim(const char *text, int64_t *start, int64_t *end);

#endif
