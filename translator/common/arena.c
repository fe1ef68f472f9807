/* arena.c - chunked bump allocation; see arena.h for the lifetime policy. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ARENA_CHUNK_DEFAULT = 64 * 1024, ARENA_ALIGN = 16 };

struct ArenaChunk {
    ArenaChunk *previous;
    size_t used;
    size_t capacity;
    _Alignas(16) unsigned char data[];
};

void kiln_fatal(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("kiln: fatal: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(70);
}

void *kiln_xmalloc(size_t size) {
    void *pointer = malloc(size ? size : 1);
    if (!pointer) kiln_fatal("out of memory (%zu bytes)", size);
    return pointer;
}

void *kiln_xrealloc(void *pointer, size_t size) {
    void *result = realloc(pointer, size ? size : 1);
    if (!result) kiln_fatal("out of memory (%zu bytes)", size);
    return result;
}

void *kiln_xcalloc(size_t count, size_t size) {
    void *pointer = calloc(count ? count : 1, size ? size : 1);
    if (!pointer) kiln_fatal("out of memory (%zu x %zu bytes)", count, size);
    return pointer;
}

char *kiln_read_text(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out) kiln_fatal("out of memory");
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, file)) > 0)
        fwrite(chunk, 1, got, out);
    fclose(out);
    fclose(file);
    return text;
}

void arena_init(Arena *arena) {
    arena->head = NULL;
    arena->total = 0;
}

void arena_free(Arena *arena) {
    ArenaChunk *chunk = arena->head;
    while (chunk) {
        ArenaChunk *previous = chunk->previous;
        free(chunk);
        chunk = previous;
    }
    arena->head = NULL;
    arena->total = 0;
}

void *arena_alloc(Arena *arena, size_t size) {
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    ArenaChunk *chunk = arena->head;
    if (!chunk || chunk->capacity - chunk->used < size) {
        size_t capacity = size > ARENA_CHUNK_DEFAULT ? size : ARENA_CHUNK_DEFAULT;
        if (arena->total > 4 * ARENA_CHUNK_DEFAULT && capacity < arena->total / 4)
            capacity = arena->total / 4; /* grow geometrically for big programs */
        chunk = kiln_xmalloc(sizeof(ArenaChunk) + capacity);
        chunk->previous = arena->head;
        chunk->used = 0;
        chunk->capacity = capacity;
        arena->head = chunk;
        arena->total += capacity;
    }
    void *result = chunk->data + chunk->used;
    chunk->used += size;
    memset(result, 0, size);
    return result;
}

void *arena_memdup(Arena *arena, const void *data, size_t size) {
    void *copy = arena_alloc(arena, size);
    if (size) memcpy(copy, data, size);
    return copy;
}

char *arena_strndup(Arena *arena, const char *text, size_t length) {
    char *copy = arena_alloc(arena, length + 1);
    memcpy(copy, text, length);
    copy[length] = '\0';
    return copy;
}

char *arena_printf(Arena *arena, const char *format, ...) {
    va_list args;
    va_start(args, format);
    va_list copy;
    va_copy(copy, args);
    int length = vsnprintf(NULL, 0, format, args);
    va_end(args);
    char *text = arena_alloc(arena, (size_t)length + 1);
    vsnprintf(text, (size_t)length + 1, format, copy);
    va_end(copy);
    return text;
}
