/* rt_value.c - operations on values of any type, driven by RtValType:
 * str() and the quoted form inside containers, ==, hash, print; iterators
 * and views; and the built-in functions that are not inline (I/O, checked
 * arithmetic, conversions).
 *
 * Formatting builds into a malloc'ed buffer first (no allocation while
 * walking the object graph, so nothing moves), then makes one str.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

typedef struct RtText {
    char *bytes;
    size_t length, capacity;
    int depth;
} RtText;

static void rt_text_add(RtText *text, const char *bytes, size_t length) {
    if (text->length + length + 1 > text->capacity) {
        text->capacity = (text->length + length + 1) * 2;
        text->bytes = realloc(text->bytes, text->capacity);
        if (!text->bytes) abort();
    }
    memcpy(text->bytes + text->length, bytes, length);
    text->length += length;
}

static void rt_text_cstr(RtText *text, const char *cstr) {
    rt_text_add(text, cstr, strlen(cstr));
}

static void rt_text_escaped(RtText *text, unsigned char byte, char quote) {
    char buffer[8];
    switch (byte) {
    case '\n': rt_text_cstr(text, "\\n"); return;
    case '\t': rt_text_cstr(text, "\\t"); return;
    case '\r': rt_text_cstr(text, "\\r"); return;
    case '\0': rt_text_cstr(text, "\\0"); return;
    case '\\': rt_text_cstr(text, "\\\\"); return;
    default: break;
    }
    if (byte == (unsigned char)quote) {
        buffer[0] = '\\';
        buffer[1] = quote;
        rt_text_add(text, buffer, 2);
    } else if (byte < 0x20 || byte == 0x7f) {
        snprintf(buffer, sizeof buffer, "\\x%02x", byte);
        rt_text_cstr(text, buffer);
    } else {
        buffer[0] = (char)byte;
        rt_text_add(text, buffer, 1);
    }
}

static void rt_format(RtText *text, int64_t word, const RtValType *type, bool quoted);

static void rt_format_entries(RtText *text, RtDict *dict, const RtValType *type, int view) {
    bool first = true;
    for (int64_t i = 0; i < dict->used; i++) {
        RtEntry *entry = &dict->entries->items[i];
        if (!entry->hash) continue;
        if (!first) rt_text_cstr(text, ", ");
        first = false;
        if (view == RT_ITER_VALUES) {
            rt_format(text, entry->value, type->value, true);
            continue;
        }
        if (view == RT_ITER_ITEMS) rt_text_cstr(text, "(");
        rt_format(text, entry->key, type->key, true);
        if (view == RT_ITER_KEYS) continue;
        rt_text_cstr(text, view == RT_ITER_ITEMS ? ", " : ": ");
        rt_format(text, entry->value, type->value, true);
        if (view == RT_ITER_ITEMS) rt_text_cstr(text, ")");
    }
}

static void rt_format_container(RtText *text, void *object, const RtValType *type) {
    if (text->depth > 100) {
        rt_text_cstr(text, "...");
        return;
    }
    text->depth++;
    if (type->kind == RT_KIND_LIST) {
        RtList *list = object;
        rt_text_cstr(text, "[");
        for (int64_t i = 0; i < list->length; i++) {
            if (i) rt_text_cstr(text, ", ");
            rt_format(text, list->items->items[i], type->item, true);
        }
        rt_text_cstr(text, "]");
    } else if (type->kind == RT_KIND_TUPLE) {
        int64_t *items = (int64_t *)object + 1;
        rt_text_cstr(text, "(");
        for (int i = 0; i < type->count; i++) {
            if (i) rt_text_cstr(text, ", ");
            rt_format(text, items[i], type->items[i], true);
        }
        rt_text_cstr(text, ")");
    } else if (type->kind == RT_KIND_DICT) {
        rt_text_cstr(text, "{");
        rt_format_entries(text, object, type, -1);
        rt_text_cstr(text, "}");
    } else {
        RtIter *view = object;
        rt_text_cstr(text, "[");
        rt_format_entries(text, view->source, type, type->view);
        rt_text_cstr(text, "]");
    }
    text->depth--;
}

static void rt_format(RtText *text, int64_t word, const RtValType *type, bool quoted) {
    char buffer[64];
    switch (type->kind) {
    case RT_KIND_INT:
        snprintf(buffer, sizeof buffer, "%" PRId64, word);
        rt_text_cstr(text, buffer);
        return;
    case RT_KIND_FLOAT:
        rt_format_float(rt_float_of_word(word), buffer, sizeof buffer);
        rt_text_cstr(text, buffer);
        return;
    case RT_KIND_BOOL: rt_text_cstr(text, word ? "true" : "false"); return;
    case RT_KIND_CHAR:
        if (!quoted) {
            buffer[0] = (char)word;
            rt_text_add(text, buffer, 1);
            return;
        }
        rt_text_cstr(text, "'");
        rt_text_escaped(text, (unsigned char)word, '\'');
        rt_text_cstr(text, "'");
        return;
    case RT_KIND_VOID: rt_text_cstr(text, "void"); return;
    case RT_KIND_THREAD: rt_text_cstr(text, "<thread>"); return;
    default: break;
    }
    void *object = rt_ref_of_word(word);
    if (!object) {
        rt_text_cstr(text, "null");
        return;
    }
    switch (type->kind) {
    case RT_KIND_STR: {
        RtStr *str = object;
        if (!quoted) {
            rt_text_add(text, str->bytes, (size_t)str->length);
            return;
        }
        rt_text_cstr(text, "\"");
        for (int64_t i = 0; i < str->length; i++)
            rt_text_escaped(text, (unsigned char)str->bytes[i], '"');
        rt_text_cstr(text, "\"");
        return;
    }
    case RT_KIND_LIST:
    case RT_KIND_TUPLE:
    case RT_KIND_DICT:
    case RT_KIND_VIEW: rt_format_container(text, object, type); return;
    case RT_KIND_INSTANCE: {
        const char *name = rt_thread.program->type_names[rt_type_of(object) - RT_TYPE__COUNT];
        rt_text_cstr(text, "<");
        rt_text_cstr(text, name ? name : "object");
        rt_text_cstr(text, " object>");
        return;
    }
    case RT_KIND_BUILDER: rt_text_cstr(text, "<StrBuilder>"); return;
    case RT_KIND_FUNC: rt_text_cstr(text, "<function>"); return;
    case RT_KIND_ITER: rt_text_cstr(text, "<iterator>"); return;
    default: rt_text_cstr(text, "null"); return;
    }
}

static RtStr *rt_format_to_str(GcThread *thread, int64_t word, const RtValType *type, bool quoted) {
    if (type->kind == RT_KIND_STR && !quoted && word) return rt_ref_of_word(word);
    RtText text = {0};
    rt_format(&text, word, type, quoted);
    RtStr *str = rt_str_new(thread, text.bytes ? text.bytes : "", (int64_t)text.length);
    free(text.bytes);
    return str;
}

RtStr *rt_to_str(GcThread *thread, int64_t word, const RtValType *type) {
    return rt_format_to_str(thread, word, type, false);
}

RtStr *rt_repr(GcThread *thread, int64_t word, const RtValType *type) {
    return rt_format_to_str(thread, word, type, true);
}

void rt_print(GcThread *thread, int64_t word, const RtValType *type) {
    (void)thread;
    RtText text = {0};
    rt_format(&text, word, type, false);
    rt_text_add(&text, "\n", 1);
    fwrite(text.bytes, 1, text.length, stdout);
    free(text.bytes);
}

bool rt_val_eq(int64_t left, int64_t right, const RtValType *type) {
    if (left == right) return type->kind != RT_KIND_FLOAT || !isnan(rt_float_of_word(left));
    switch (type->kind) {
    case RT_KIND_FLOAT: return rt_float_of_word(left) == rt_float_of_word(right);
    case RT_KIND_STR:
        if (!left || !right) return false;
        return rt_str_eq(rt_ref_of_word(left), rt_ref_of_word(right));
    case RT_KIND_TUPLE: {
        if (!left || !right) return false;
        int64_t *a = (int64_t *)rt_ref_of_word(left) + 1, *b = (int64_t *)rt_ref_of_word(right) + 1;
        for (int i = 0; i < type->count; i++)
            if (!rt_val_eq(a[i], b[i], type->items[i])) return false;
        return true;
    }
    default: return false;
    }
}

uint64_t rt_val_hash(GcThread *thread, int64_t word, const RtValType *type) {
    switch (type->kind) {
    case RT_KIND_STR: return word ? rt_str_hash(rt_ref_of_word(word)) : 0;
    case RT_KIND_FLOAT: {
        double real = rt_float_of_word(word);
        if (real == 0) return 0;
        return (uint64_t)word;
    }
    case RT_KIND_TUPLE: {
        if (!word) return 0;
        int64_t *items = (int64_t *)rt_ref_of_word(word) + 1;
        uint64_t combined = 0x345678ull + (uint64_t)type->count;
        for (int i = 0; i < type->count; i++)
            combined =
                (combined ^ rt_val_hash(thread, items[i], type->items[i])) * 0x100000001b3ull +
                0x9e3779b97f4a7c15ull;
        return combined;
    }
    case RT_KIND_INSTANCE:
    case RT_KIND_LIST:
    case RT_KIND_DICT:
    case RT_KIND_FUNC:
    case RT_KIND_BUILDER: return word ? gc_identity_hash(thread, rt_ref_of_word(word)) : 0;
    default: return (uint64_t)word;
    }
}

/* ---- iterators and views ------------------------------------------------ */

RtIter *rt_iter_new(GcThread *thread, void *source, RtIterKind kind, int64_t tuple_id) {
    gc_push_root(thread, source);
    RtIter *iter = gc_alloc(thread, RT_TYPE_ITER, sizeof(RtIter));
    iter->source = gc_pop_root(thread);
    iter->kind = kind;
    iter->tuple_id = tuple_id;
    return iter;
}

static void rt_iter_skip_deleted(RtIter *iter) {
    RtDict *dict = iter->source;
    while (iter->position < dict->used && !dict->entries->items[iter->position].hash)
        iter->position++;
}

bool rt_iter_has(RtIter *iter) {
    switch ((RtIterKind)iter->kind) {
    case RT_ITER_LIST: return iter->position < ((RtList *)iter->source)->length;
    case RT_ITER_STR: return iter->position < ((RtStr *)iter->source)->length;
    default: rt_iter_skip_deleted(iter); return iter->position < ((RtDict *)iter->source)->used;
    }
}

int64_t rt_iter_next(GcThread *thread, RtIter *iter) {
    switch ((RtIterKind)iter->kind) {
    case RT_ITER_LIST: return ((RtList *)iter->source)->items->items[iter->position++];
    case RT_ITER_STR: return (unsigned char)((RtStr *)iter->source)->bytes[iter->position++];
    default: break;
    }
    rt_iter_skip_deleted(iter);
    RtEntry *entry = &((RtDict *)iter->source)->entries->items[iter->position++];
    if (iter->kind == RT_ITER_KEYS) return entry->key;
    if (iter->kind == RT_ITER_VALUES) return entry->value;
    int64_t number = iter->position - 1;
    gc_push_root(thread, iter);
    int64_t *tuple = rt_alloc_tuple(thread, (uint32_t)iter->tuple_id, 2);
    iter = gc_pop_root(thread);
    entry = &((RtDict *)iter->source)->entries->items[number];
    tuple[1] = entry->key;
    tuple[2] = entry->value;
    return rt_word_of_ref(tuple);
}

int64_t rt_len(const void *object, RtKind kind) {
    switch (kind) {
    case RT_KIND_STR: return ((const RtStr *)object)->length;
    case RT_KIND_LIST: return ((const RtList *)object)->length;
    case RT_KIND_DICT: return ((const RtDict *)object)->length;
    case RT_KIND_BUILDER: return ((const RtBuilder *)object)->length;
    case RT_KIND_VIEW: return ((const RtDict *)((const RtIter *)object)->source)->length;
    default: return 0;
    }
}

RtFunc *rt_func_bind(GcThread *thread, void *code, void *receiver) {
    gc_push_root(thread, receiver);
    RtFunc *func = gc_alloc(thread, RT_TYPE_FUNC, sizeof(RtFunc));
    func->receiver = gc_pop_root(thread);
    func->code = code;
    func->bound = 1;
    return func;
}

void *rt_alloc_tuple(GcThread *thread, uint32_t type_id, int count) {
    return gc_alloc(thread, type_id, sizeof(GcHeader) + (size_t)count * 8);
}

void *rt_alloc_instance(GcThread *thread, uint32_t type_id, size_t size) {
    return gc_alloc(thread, type_id, size);
}

/* ---- I/O ------------------------------------------------------------------ */

static bool rt_write_all(int64_t fd, const char *bytes, size_t length) {
    if (fd == 1) return fwrite(bytes, 1, length, stdout) == length;
    if (fd == 2) {
        fflush(stdout);
        size_t written = fwrite(bytes, 1, length, stderr);
        fflush(stderr);
        return written == length;
    }
    while (length > 0) {
        ssize_t done = write((int)fd, bytes, length);
        if (done < 0 && errno == EINTR) continue;
        if (done <= 0) return false;
        bytes += done;
        length -= (size_t)done;
    }
    return true;
}

int64_t rt_write(GcThread *thread, int64_t fd, RtStr *str) {
    if (!rt_write_all(fd, str->bytes, (size_t)str->length))
        rt_raise(thread, RT_ERR_IO, "cannot write to file descriptor %" PRId64, fd);
    return 0;
}

int64_t rt_write_byte(GcThread *thread, int64_t fd, int64_t byte) {
    if (byte < 0 || byte > 255) {
        rt_raise(thread, RT_ERR_VALUE, "write_byte() byte out of range: %" PRId64, byte);
        return 0;
    }
    char one = (char)byte;
    if (!rt_write_all(fd, &one, 1))
        rt_raise(thread, RT_ERR_IO, "cannot write to file descriptor %" PRId64, fd);
    return 0;
}

RtStr *rt_read(GcThread *thread, int64_t fd, int64_t count) {
    if (count < 0) {
        rt_raise(thread, RT_ERR_VALUE, "read() of a negative size");
        return NULL;
    }
    char *buffer = malloc((size_t)count + 1);
    if (!buffer) abort();
    size_t got = 0;
    if (fd == 0) {
        got = fread(buffer, 1, (size_t)count, stdin);
    } else {
        ssize_t done = read((int)fd, buffer, (size_t)count);
        got = done > 0 ? (size_t)done : 0;
        if (done < 0) {
            free(buffer);
            rt_raise(thread, RT_ERR_IO, "bad file descriptor %" PRId64, fd);
            return NULL;
        }
    }
    RtStr *str = rt_str_new(thread, buffer, (int64_t)got);
    free(buffer);
    return str;
}

static char *rt_cstr(RtStr *str) {
    char *text = malloc((size_t)str->length + 1);
    if (!text) abort();
    memcpy(text, str->bytes, (size_t)str->length);
    text[str->length] = '\0';
    return text;
}

RtStr *rt_read_file(GcThread *thread, RtStr *path) {
    char *name = rt_cstr(path);
    FILE *file = fopen(name, "rb");
    if (!file) {
        rt_raise(thread, RT_ERR_IO, "%s: %s", name, strerror(errno));
        free(name);
        return NULL;
    }
    char *bytes = NULL;
    size_t length = 0, capacity = 0, got;
    do {
        if (length + 65536 > capacity) {
            capacity = (length + 65536) * 2;
            bytes = realloc(bytes, capacity);
            if (!bytes) abort();
        }
        got = fread(bytes + length, 1, capacity - length, file);
        length += got;
    } while (got > 0);
    fclose(file);
    free(name);
    RtStr *str = rt_str_new(thread, bytes, (int64_t)length);
    free(bytes);
    return str;
}

void rt_write_file(GcThread *thread, RtStr *path, RtStr *text) {
    char *name = rt_cstr(path);
    FILE *file = fopen(name, "wb");
    if (!file || fwrite(text->bytes, 1, (size_t)text->length, file) != (size_t)text->length) {
        rt_raise(thread, RT_ERR_IO, "%s: %s", name, strerror(errno));
    }
    if (file) fclose(file);
    free(name);
}

RtStr *rt_getenv(GcThread *thread, RtStr *name, RtStr *fallback) {
    char *key = rt_cstr(name);
    const char *value = getenv(key);
    free(key);
    if (!value) return fallback ? fallback : rt_str_new(thread, "", 0);
    return rt_str_new(thread, value, (int64_t)strlen(value));
}

int64_t rt_time_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* ---- checked arithmetic and conversions ----------------------------------- */

int64_t rt_float_to_int(GcThread *thread, double value) {
    char shown[64];
    if (isnan(value) || isinf(value)) {
        rt_format_float(value, shown, sizeof shown);
        rt_raise(thread, RT_ERR_VALUE, "cannot convert float %s to int", shown);
        return 0;
    }
    if (value >= 9223372036854775808.0 || value < -9223372036854775808.0) {
        rt_raise(thread, RT_ERR_OVERFLOW, "float too large to convert to int");
        return 0;
    }
    return (int64_t)value;
}

RtStr *rt_chr(GcThread *thread, int64_t value) {
    if (value < 0 || value > 255) {
        rt_raise(thread, RT_ERR_VALUE, "chr() argument out of range: %" PRId64, value);
        return NULL;
    }
    return rt_str_of_char(thread, value);
}

int64_t rt_ord(GcThread *thread, RtStr *str) {
    if (str->length != 1) {
        rt_raise(thread, RT_ERR_VALUE, "ord() expected a one-byte str, got length %" PRId64,
                 str->length);
        return 0;
    }
    return (unsigned char)str->bytes[0];
}

int64_t rt_shift_left(GcThread *thread, int64_t value, int64_t count) {
    if (count < 0) {
        rt_raise(thread, RT_ERR_VALUE, "negative shift count");
        return 0;
    }
    return count >= 64 ? 0 : (int64_t)((uint64_t)value << count);
}

int64_t rt_shift_right(GcThread *thread, int64_t value, int64_t count) {
    if (count < 0) {
        rt_raise(thread, RT_ERR_VALUE, "negative shift count");
        return 0;
    }
    return count >= 64 ? (value < 0 ? -1 : 0) : value >> count;
}

int64_t rt_floordiv(GcThread *thread, int64_t left, int64_t right) {
    if (right == 0) {
        rt_raise(thread, RT_ERR_ZERO_DIVISION, "integer division by zero");
        return 0;
    }
    if (right == -1) return (int64_t)(0 - (uint64_t)left);
    int64_t quotient = left / right;
    if ((left % right != 0) && ((left < 0) != (right < 0))) quotient--;
    return quotient;
}

int64_t rt_floormod(GcThread *thread, int64_t left, int64_t right) {
    if (right == 0) {
        rt_raise(thread, RT_ERR_ZERO_DIVISION, "integer modulo by zero");
        return 0;
    }
    if (right == -1) return 0;
    int64_t remainder = left % right;
    if (remainder != 0 && ((remainder < 0) != (right < 0))) remainder += right;
    return remainder;
}

int64_t rt_ovf(GcThread *thread, int64_t left, int64_t right, int operation) {
    int64_t result;
    bool overflow;
    const char *name;
    if (operation == 0) {
        overflow = __builtin_add_overflow(left, right, &result);
        name = "ovf_add";
    } else if (operation == 1) {
        overflow = __builtin_sub_overflow(left, right, &result);
        name = "ovf_sub";
    } else {
        overflow = __builtin_mul_overflow(left, right, &result);
        name = "ovf_mul";
    }
    if (overflow) rt_raise(thread, RT_ERR_OVERFLOW, "integer overflow in %s()", name);
    return result;
}
