/* c_internal.h - the C backend's private state, shared by its files. */
#ifndef KILN_C_INTERNAL_H
#define KILN_C_INTERNAL_H

#include <stdio.h>

#include "../common/vec.h"
#include "../rtype/low.h"
#include "backend_c.h"

/* The C type of a representation (RTYPE_VOID values are int64_t 0). */
extern const char *const c_repr_types[];

/* c_prebuilt.c: the globals, their prebuilt objects as static data, and
 * kiln_init */
void c_emit_globals(FILE *out, RtypeProgram *rtype, Interp *interp);

/* c_low.c: the functions of a LowProgram, printed from their low-level
 * graphs alone.  Each output file defines the str objects its functions
 * use as static data (kstr_N, N the index in LowProgram.strings): the
 * functions are printed first, marking the strings in a CLowStrings, and
 * c_emit_low_strings then writes the definitions above them. */
typedef struct CLowStrings {
    bool *used; /* per LowProgram.strings entry */
    int count;
} CLowStrings;

void c_low_strings_init(CLowStrings *strings, const LowProgram *low);
void c_low_strings_free(CLowStrings *strings);
void c_emit_low_strings(FILE *out, const LowProgram *low, const CLowStrings *strings);
/* `result name(GcThread *th, type r0, ...)`, without the `;`. */
void c_emit_low_prototype(FILE *out, const LowProgram *low, int func);
/* One function: a comment with its Kiln C name, its prototype, its
 * registers and its blocks.  diag (NULL: no `#line`) gives the paths of
 * the `#line` directives, printed only when line_directives is set. */
void c_emit_low_function(FILE *out, const LowProgram *low, int func, const DiagContext *diag,
                         bool line_directives, CLowStrings *strings);
/* The C type of a LowType: int64_t, double, void *, uint8_t, int, bool... */
const char *c_low_type(LowType type);

#endif
