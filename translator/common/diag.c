/* diag.c - see diag.h. */
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(DiagContext *context) {
    memset(context, 0, sizeof *context);
    context->out = stderr;
    context->max_errors = 50;
}

void diag_free(DiagContext *context) {
    for (int i = 0; i < context->files.count; i++) {
        vec_free(&context->files.items[i]->line_starts);
        free(context->files.items[i]);
    }
    vec_free(&context->files);
}

int diag_add_file(DiagContext *context, const char *path, const char *text, int length) {
    SourceFile *file = kiln_xcalloc(1, sizeof(SourceFile));
    file->path = path;
    file->text = text;
    file->length = length;
    vec_push(&file->line_starts, 0);
    for (int i = 0; i < length; i++)
        if (text[i] == '\n') vec_push(&file->line_starts, i + 1);
    vec_push(&context->files, file);
    return context->files.count - 1;
}

int diag_load_file(DiagContext *context, Arena *arena, const char *path) {
    FILE *stream = fopen(path, "rb");
    if (!stream) {
        diag_plain_error(context, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    Vec(char) bytes = {0};
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, stream)) > 0) {
        vec_reserve(&bytes, bytes.count + (int)got);
        memcpy(bytes.items + bytes.count, chunk, got);
        bytes.count += (int)got;
    }
    bool failed = ferror(stream);
    fclose(stream);
    if (failed) {
        vec_free(&bytes);
        diag_plain_error(context, "cannot read '%s'", path);
        return -1;
    }
    char *text = arena_alloc(arena, (size_t)bytes.count + 1);
    if (bytes.count) memcpy(text, bytes.items, (size_t)bytes.count);
    text[bytes.count] = '\0';
    int length = bytes.count;
    vec_free(&bytes);
    return diag_add_file(context, arena_strndup(arena, path, strlen(path)), text, length);
}

const SourceFile *diag_file(const DiagContext *context, int file) {
    KILN_ASSERT(file >= 0 && file < context->files.count, "file index is registered");
    return context->files.items[file];
}

SrcPos diag_pos_at(const DiagContext *context, int file, int offset, int length) {
    const SourceFile *source = diag_file(context, file);
    int low = 0, high = source->line_starts.count - 1;
    while (low < high) { /* last line start <= offset */
        int middle = (low + high + 1) / 2;
        if (source->line_starts.items[middle] <= offset)
            low = middle;
        else
            high = middle - 1;
    }
    SrcPos pos = {file, low + 1, offset - source->line_starts.items[low] + 1,
                  length > 0 ? length : 1};
    return pos;
}

const char *diag_format_pos(const DiagContext *context, SrcPos pos, char *buffer, size_t size) {
    if (pos.line == 0 || pos.file < 0 || pos.file >= context->files.count)
        snprintf(buffer, size, "<unknown>");
    else
        snprintf(buffer, size, "%s:%d", context->files.items[pos.file]->path, pos.line);
    return buffer;
}

/* The source line under a diagnostic, then the caret.  A long line is cut
 * to a window around the caret so that a huge one-line input stays cheap. */
enum { DIAG_WINDOW = 160 };

static void diag_print_source_line(DiagContext *context, SrcPos pos) {
    const SourceFile *source = context->files.items[pos.file];
    if (pos.line < 1 || pos.line > source->line_starts.count) return;
    int start = source->line_starts.items[pos.line - 1];
    int end = start;
    while (end < source->length && source->text[end] != '\n' && source->text[end] != '\r') end++;
    int caret = start + pos.col - 1;
    if (caret > end) caret = end;
    int shown_start = caret - start > DIAG_WINDOW ? caret - DIAG_WINDOW / 2 : start;
    int shown_end = end - shown_start > 2 * DIAG_WINDOW ? shown_start + 2 * DIAG_WINDOW : end;
    char line[4 * DIAG_WINDOW + 8];
    int length = 0;
    for (int i = shown_start; i < shown_end; i++) {
        unsigned char byte = (unsigned char)source->text[i];
        line[length++] = byte == '\t' || byte >= 0x20 ? (char)byte : ' ';
    }
    fputs("    ", context->out);
    fwrite(line, 1, (size_t)length, context->out);
    fputs("\n    ", context->out);
    /* Tabs in the prefix keep the caret aligned with the text above. */
    length = 0;
    for (int i = shown_start; i < caret; i++) line[length++] = source->text[i] == '\t' ? '\t' : ' ';
    line[length++] = '^';
    int tail = pos.length - 1;
    if (caret + pos.length > shown_end) tail = shown_end - caret - 1;
    for (int i = 0; i < tail && length < (int)sizeof line - 1; i++) line[length++] = '~';
    line[length++] = '\n';
    fwrite(line, 1, (size_t)length, context->out);
}

static void diag_report(DiagContext *context, SrcPos pos, const char *kind, const char *format,
                        va_list args) {
    if (pos.line > 0 && pos.file >= 0 && pos.file < context->files.count) {
        fprintf(context->out, "%s:%d:%d: %s: ", context->files.items[pos.file]->path, pos.line,
                pos.col, kind);
        vfprintf(context->out, format, args);
        fputc('\n', context->out);
        diag_print_source_line(context, pos);
    } else {
        fprintf(context->out, "kiln: %s: ", kind);
        vfprintf(context->out, format, args);
        fputc('\n', context->out);
    }
}

void diag_error(DiagContext *context, SrcPos pos, const char *format, ...) {
    context->errors++;
    if (context->max_errors && context->errors > context->max_errors) {
        if (context->errors == context->max_errors + 1)
            fprintf(context->out, "kiln: too many errors, stopping the report\n");
        return;
    }
    va_list args;
    va_start(args, format);
    diag_report(context, pos, "error", format, args);
    va_end(args);
}

void diag_warning(DiagContext *context, SrcPos pos, const char *format, ...) {
    context->warnings++;
    va_list args;
    va_start(args, format);
    diag_report(context, pos, "warning", format, args);
    va_end(args);
}

void diag_note(DiagContext *context, const char *format, ...) {
    if (context->max_errors && context->errors > context->max_errors) return;
    va_list args;
    va_start(args, format);
    fputs("  ", context->out);
    vfprintf(context->out, format, args);
    fputc('\n', context->out);
    va_end(args);
}

void diag_plain_error(DiagContext *context, const char *format, ...) {
    SrcPos none = {0};
    va_list args;
    va_start(args, format);
    context->errors++;
    diag_report(context, none, "error", format, args);
    va_end(args);
}

void diag_write_quoted(FILE *out, const char *text, int length, char quote) {
    fputc(quote, out);
    for (int i = 0; i < length; i++) {
        unsigned char byte = (unsigned char)text[i];
        switch (byte) {
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        case '\0': fputs("\\0", out); break;
        case '\\': fputs("\\\\", out); break;
        default:
            if (byte == (unsigned char)quote) fprintf(out, "\\%c", quote);
            else if (byte >= 0x20 && byte < 0x7f) fputc(byte, out);
            else fprintf(out, "\\x%02x", byte);
        }
    }
    fputc(quote, out);
}
