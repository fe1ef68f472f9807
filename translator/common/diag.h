/* diag.h - source files, positions and user diagnostics.
 *
 * A user diagnostic prints as
 *     file:line:col: error: message
 *         source line
 *         ^~~~
 * followed by optional notes.  Diagnostics never stop the run: a stage
 * reports what it can and the driver exits with status 1 when any error was
 * reported (diag_error_count).  Internal bugs use KILN_ASSERT instead.
 */
#ifndef KILN_DIAG_H
#define KILN_DIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "vec.h"

/* A position in a source file.  file is an index into DiagContext.files;
 * line and col count from 1 (col in bytes); length is the number of bytes
 * the caret underlines (at least 1).  A zero line means "no position". */
typedef struct SrcPos {
    int32_t file;
    int32_t line;
    int32_t col;
    int32_t length;
} SrcPos;

typedef struct SourceFile {
    const char *path; /* as given or as resolved by import */
    const char *text; /* NUL-terminated contents */
    int length;
    Vec(int) line_starts; /* byte offset of each line's first byte */
} SourceFile;

typedef struct DiagContext {
    Vec(SourceFile *) files; /* owned; freed by diag_free */
    FILE *out;               /* where diagnostics go (stderr by default) */
    int errors;
    int warnings;
    int max_errors; /* stop printing after this many; 0 = unlimited */
    bool color;
} DiagContext;

void diag_init(DiagContext *context);
void diag_free(DiagContext *context);
/* Registers a file whose text is owned by the caller (an arena). */
int diag_add_file(DiagContext *context, const char *path, const char *text, int length);
/* Reads a file into the arena and registers it; returns -1 (and reports) on failure. */
int diag_load_file(DiagContext *context, Arena *arena, const char *path);
const SourceFile *diag_file(const DiagContext *context, int file);
/* Computes the position of a byte offset in a file. */
SrcPos diag_pos_at(const DiagContext *context, int file, int offset, int length);
/* "file:line" for tracebacks and notes; writes into buffer. */
const char *diag_format_pos(const DiagContext *context, SrcPos pos, char *buffer, size_t size);

void diag_error(DiagContext *context, SrcPos pos, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
void diag_warning(DiagContext *context, SrcPos pos, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* A note attached to the previous diagnostic: "  text" on its own line. */
void diag_note(DiagContext *context, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Text between `quote` characters with C escapes, as dumps show literals. */
void diag_write_quoted(FILE *out, const char *text, int length, char quote);
/* An error with no source position: "kiln: error: message". */
void diag_plain_error(DiagContext *context, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif
