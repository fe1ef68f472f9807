/* parse_program.c - whole programs: the main module and everything it imports.
 *
 * Modules are parsed breadth-first: the main module, then its imports in
 * the order they appear, then theirs.  A file is identified by its real
 * path, so two spellings of one file (and import cycles) parse it once.
 * An import path is tried relative to the importing file's folder, then in
 * each search path in order (an absolute path only as written).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parse_internal.h"

AstModule *parse_module(ParseContext *context, int file) {
    Parser parser;
    parse_init(&parser, context, file);
    AstModule *module = parse_module_tokens(&parser);
    parse_dispose(&parser);
    return module;
}

static bool parse_is_regular_file(const char *path) {
    struct stat info;
    return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

/* `folder` joined with `name`; folder "" means the current directory. */
static char *parse_join(Arena *arena, const char *folder, size_t folder_length, const char *name) {
    if (folder_length == 0) return arena_strndup(arena, name, strlen(name));
    bool slash = folder[folder_length - 1] == '/';
    return arena_printf(arena, "%.*s%s%s", (int)folder_length, folder, slash ? "" : "/", name);
}

/* The identity of a file for "parse each file once". */
static const char *parse_file_key(Arena *arena, const char *path) {
    char *real = realpath(path, NULL);
    if (!real) return arena_strndup(arena, path, strlen(path));
    const char *key = arena_strndup(arena, real, strlen(real));
    free(real);
    return key;
}

/* Writes `text` with bytes that would garble a message replaced by '?'. */
static void parse_printable(char *buffer, size_t size, const char *text) {
    size_t length = 0;
    for (; text[length] && length + 1 < size; length++) {
        unsigned char byte = (unsigned char)text[length];
        buffer[length] = byte < 0x20 || byte == 0x7f ? '?' : (char)byte;
    }
    buffer[length] = '\0';
}

/* Finds the file an import names; reports it when there is none. */
static const char *parse_resolve_import(ParseContext *context, const AstModule *importer,
                                        const Decl *import) {
    const char *name = import->import_path;
    enum { MAX_CANDIDATES = 64 };
    const char *candidates[MAX_CANDIDATES];
    int count = 0;
    if (name[0] == '/') {
        candidates[count++] = name;
    } else {
        const char *slash = strrchr(importer->path, '/');
        size_t folder_length = slash ? (size_t)(slash - importer->path) + 1 : 0;
        candidates[count++] = parse_join(context->arena, importer->path, folder_length, name);
        for (int i = 0; i < context->search_path_count && count < MAX_CANDIDATES; i++) {
            const char *folder = context->search_paths[i];
            candidates[count++] = parse_join(context->arena, folder, strlen(folder), name);
        }
    }
    for (int i = 0; i < count; i++)
        if (parse_is_regular_file(candidates[i])) return candidates[i];
    char shown[256];
    parse_printable(shown, sizeof shown, name);
    diag_error(context->diag, import->name_pos, "cannot find import \"%s\"", shown);
    char looked[1024];
    size_t used = 0;
    for (int i = 0; i < count && used < sizeof looked; i++) {
        parse_printable(shown, sizeof shown, candidates[i]);
        int written = snprintf(looked + used, sizeof looked - used, "%s%s", i ? ", " : "", shown);
        if (written < 0) break;
        used += (size_t)written;
    }
    diag_note(context->diag, "looked for it at: %s", looked);
    return NULL;
}

/* Parses the registered main file and, breadth-first, its imports. */
static AstProgram *parse_program_from(ParseContext *context, int file, const char *key) {
    Map seen;
    map_init(&seen);
    map_put(&seen, key, strlen(key), (void *)key);
    Vec(AstModule *) modules = {0};
    vec_push(&modules, parse_module(context, file));
    for (int next = 0; next < modules.count; next++) {
        AstModule *module = modules.items[next];
        for (int i = 0; i < module->decl_count; i++) {
            const Decl *decl = module->decls[i];
            if (decl->kind != DECL_IMPORT || !decl->import_path[0]) continue;
            const char *path = parse_resolve_import(context, module, decl);
            if (!path) continue;
            const char *file_key = parse_file_key(context->arena, path);
            if (map_has(&seen, file_key, strlen(file_key))) continue;
            map_put(&seen, file_key, strlen(file_key), (void *)file_key);
            int imported = diag_load_file(context->diag, context->arena, path);
            if (imported >= 0) vec_push(&modules, parse_module(context, imported));
        }
    }
    map_free(&seen);
    AstProgram *program = ARENA_NEW(context->arena, AstProgram);
    program->modules = vec_freeze(context->arena, &modules);
    program->module_count = modules.count;
    vec_free(&modules);
    return program;
}

AstProgram *parse_program(ParseContext *context, const char *path) {
    int file = diag_load_file(context->diag, context->arena, path);
    if (file < 0) return NULL;
    return parse_program_from(context, file, parse_file_key(context->arena, path));
}

AstProgram *parse_program_text(ParseContext *context, const char *path, const char *text,
                               int length) {
    char *copy = arena_alloc(context->arena, (size_t)length + 1);
    if (length > 0) memcpy(copy, text, (size_t)length);
    copy[length] = '\0';
    const char *stored_path = arena_strndup(context->arena, path, strlen(path));
    int file = diag_add_file(context->diag, stored_path, copy, length);
    return parse_program_from(context, file, parse_file_key(context->arena, path));
}
