/* rt_str.c - immutable strings with a cached hash, their methods, the
 * StrBuilder, and conversions between strings and numbers (the formatting
 * and parsing themselves are in rt_number.c, shared with the graph
 * interpreter).
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt.h"

RtStr *rt_str_alloc(GcThread *thread, int64_t length) {
    /* the bytes are not NUL-terminated: every user goes by the length */
    return gc_alloc_varsize(thread, RT_TYPE_STR, sizeof(RtStr), 1, 16, length);
}

/* The length is set by the allocation; this names the point where the
 * bytes are complete. */
static RtStr *rt_str_fix_length(RtStr *str, int64_t length) {
    (void)length;
    return str;
}

RtStr *rt_str_new(GcThread *thread, const char *bytes, int64_t length) {
    RtStr *str = rt_str_fix_length(rt_str_alloc(thread, length), length);
    if (length) memcpy(str->bytes, bytes, (size_t)length);
    return str;
}

RtStr *rt_str_of_char(GcThread *thread, int64_t byte) {
    char text = (char)byte;
    return rt_str_new(thread, &text, 1);
}

RtStr *rt_str_concat(GcThread *thread, RtStr *left, RtStr *right) {
    if (left->length == 0) return right;
    if (right->length == 0) return left;
    gc_push_root(thread, left);
    gc_push_root(thread, right);
    RtStr *str = rt_str_alloc(thread, left->length + right->length);
    right = gc_pop_root(thread);
    left = gc_pop_root(thread);
    memcpy(str->bytes, left->bytes, (size_t)left->length);
    memcpy(str->bytes + left->length, right->bytes, (size_t)right->length);
    return rt_str_fix_length(str, left->length + right->length);
}

uint64_t rt_str_hash(RtStr *str) {
    if (str->hash) return str->hash;
    str->hash = rt_hash_bytes(str->bytes, str->length);
    return str->hash;
}

bool rt_str_eq(const RtStr *left, const RtStr *right) {
    if (left == right) return true;
    if (left->length != right->length) return false;
    if (left->hash && right->hash && left->hash != right->hash) return false;
    return memcmp(left->bytes, right->bytes, (size_t)left->length) == 0;
}

int rt_str_cmp(const RtStr *left, const RtStr *right) {
    int64_t common = left->length < right->length ? left->length : right->length;
    int order = memcmp(left->bytes, right->bytes, (size_t)common);
    if (order) return order;
    return left->length < right->length ? -1 : left->length > right->length;
}

RtStr *rt_str_of_int(GcThread *thread, int64_t value) {
    char buffer[32];
    int length = snprintf(buffer, sizeof buffer, "%" PRId64, value);
    return rt_str_new(thread, buffer, length);
}

RtStr *rt_str_of_float(GcThread *thread, double value) {
    char buffer[64];
    rt_format_float(value, buffer, sizeof buffer);
    return rt_str_new(thread, buffer, (int64_t)strlen(buffer));
}

/* ---- conversions ------------------------------------------------------ */

int64_t rt_int_of(GcThread *thread, RtStr *str, int64_t base) {
    if (base != 0 && (base < 2 || base > 36)) {
        rt_raise(thread, RT_ERR_VALUE, "int_of() base must be 0 or 2..36");
        return 0;
    }
    int64_t result = 0;
    RtParseResult status = rt_parse_int(str->bytes, str->length, (int)base, &result);
    int shown = (int)(str->length > 200 ? 200 : str->length);
    if (status == RT_PARSE_OVERFLOW)
        rt_raise(thread, RT_ERR_VALUE, "int_of() out of range: '%.*s'", shown, str->bytes);
    else if (status == RT_PARSE_INVALID)
        rt_raise(thread, RT_ERR_VALUE, "invalid literal for int_of() with base %d: '%.*s'",
                 (int)base, shown, str->bytes);
    return result;
}

double rt_float_of(GcThread *thread, RtStr *str) {
    double result = 0;
    if (rt_parse_float(str->bytes, str->length, &result) == RT_PARSE_OK) return result;
    rt_raise(thread, RT_ERR_VALUE, "could not convert str to float: '%.*s'",
             (int)(str->length > 200 ? 200 : str->length), str->bytes);
    return 0;
}

/* ---- methods ----------------------------------------------------------- */

static int64_t rt_clamp(int64_t value, int64_t length) {
    return value < 0 ? 0 : value > length ? length : value;
}

RtStr *rt_str_slice(GcThread *thread, RtStr *str, int64_t start, int64_t end) {
    start = rt_clamp(start, str->length);
    end = rt_clamp(end, str->length);
    if (start == 0 && end == str->length) return str;
    if (start >= end) return rt_str_new(thread, "", 0);
    gc_push_root(thread, str);
    RtStr *result = rt_str_alloc(thread, end - start);
    str = gc_pop_root(thread);
    memcpy(result->bytes, str->bytes + start, (size_t)(end - start));
    return rt_str_fix_length(result, end - start);
}

static bool rt_match_at(const RtStr *str, int64_t at, const RtStr *sub) {
    return memcmp(str->bytes + at, sub->bytes, (size_t)sub->length) == 0;
}

int64_t rt_str_find(RtStr *str, RtStr *sub, int64_t start) {
    if (start < 0) start = 0;
    for (int64_t at = start; at + sub->length <= str->length; at++)
        if (rt_match_at(str, at, sub)) return at;
    return -1;
}

int64_t rt_str_rfind(RtStr *str, RtStr *sub, int64_t start) {
    if (start < 0) start = 0;
    for (int64_t at = str->length - sub->length; at >= start; at--)
        if (rt_match_at(str, at, sub)) return at;
    return -1;
}

/* The roots of rt_str_split: every pointer is reloaded from here after a
 * call that can collect. */
enum { RT_SPLIT_STR, RT_SPLIT_SEPARATOR, RT_SPLIT_LIST, RT_SPLIT_ROOTS };

/* Appends str[start:end] to the list; both live in `roots`. */
static void rt_split_push(GcThread *thread, void **roots, int64_t start, int64_t end) {
    RtStr *piece = rt_str_slice(thread, roots[RT_SPLIT_STR], start, end);
    RtList *list = roots[RT_SPLIT_LIST];
    if (list->length == list->items->length) {
        gc_push_root(thread, piece);
        rt_list_grow(thread, list, list->length + 1);
        piece = gc_pop_root(thread);
        list = roots[RT_SPLIT_LIST];
    }
    rt_list_store(thread, list, list->length++, rt_word_of_ref(piece));
}

RtList *rt_str_split(GcThread *thread, RtStr *str, RtStr *separator) {
    if (separator && separator->length == 0) {
        rt_raise(thread, RT_ERR_VALUE, "empty separator");
        return NULL;
    }
    void **roots = gc_enter_frame(thread, RT_SPLIT_ROOTS);
    roots[RT_SPLIT_STR] = str;
    roots[RT_SPLIT_SEPARATOR] = separator;
    roots[RT_SPLIT_LIST] = rt_list_new(thread, 0, true);
    int64_t position = 0;
    while (true) {
        str = roots[RT_SPLIT_STR];
        separator = roots[RT_SPLIT_SEPARATOR];
        int64_t start, end;
        if (!separator) {
            while (position < str->length && rt_is_space(str->bytes[position]))
                position++;
            if (position >= str->length) break;
            start = position;
            while (position < str->length && !rt_is_space(str->bytes[position]))
                position++;
            end = position;
        } else {
            start = position;
            int64_t found = rt_str_find(str, separator, position);
            end = found < 0 ? str->length : found;
            position = found < 0 ? -1 : found + separator->length;
        }
        rt_split_push(thread, roots, start, end);
        if (separator && position < 0) break;
    }
    RtList *list = roots[RT_SPLIT_LIST];
    gc_leave_frame(thread, roots);
    return list;
}

RtStr *rt_str_join(GcThread *thread, RtStr *separator, RtList *list) {
    int64_t total = 0;
    for (int64_t i = 0; i < list->length; i++) {
        total += ((RtStr *)rt_ref_of_word(list->items->items[i]))->length;
        if (i) total += separator->length;
    }
    gc_push_root(thread, separator);
    gc_push_root(thread, list);
    RtStr *result = rt_str_alloc(thread, total);
    list = gc_pop_root(thread);
    separator = gc_pop_root(thread);
    int64_t at = 0;
    for (int64_t i = 0; i < list->length; i++) {
        if (i) {
            memcpy(result->bytes + at, separator->bytes, (size_t)separator->length);
            at += separator->length;
        }
        RtStr *item = rt_ref_of_word(list->items->items[i]);
        memcpy(result->bytes + at, item->bytes, (size_t)item->length);
        at += item->length;
    }
    return rt_str_fix_length(result, total);
}

bool rt_str_startswith(RtStr *str, RtStr *prefix) {
    return prefix->length <= str->length && rt_match_at(str, 0, prefix);
}

bool rt_str_endswith(RtStr *str, RtStr *suffix) {
    return suffix->length <= str->length && rt_match_at(str, str->length - suffix->length, suffix);
}

RtStr *rt_str_strip(GcThread *thread, RtStr *str) {
    int64_t start = 0, end = str->length;
    rt_trim(str->bytes, &start, &end);
    return rt_str_slice(thread, str, start, end);
}

RtStr *rt_str_case(GcThread *thread, RtStr *str, bool upper) {
    gc_push_root(thread, str);
    RtStr *result = rt_str_alloc(thread, str->length);
    str = gc_pop_root(thread);
    for (int64_t i = 0; i < str->length; i++) {
        unsigned char byte = (unsigned char)str->bytes[i];
        if (upper && byte >= 'a' && byte <= 'z') byte = (unsigned char)(byte - 32);
        if (!upper && byte >= 'A' && byte <= 'Z') byte = (unsigned char)(byte + 32);
        result->bytes[i] = (char)byte;
    }
    return rt_str_fix_length(result, str->length);
}

RtStr *rt_str_replace(GcThread *thread, RtStr *str, RtStr *old, RtStr *replacement) {
    gc_push_root(thread, str);
    gc_push_root(thread, old);
    gc_push_root(thread, replacement);
    RtBuilder *builder = rt_builder_new(thread);
    gc_push_root(thread, builder);
    void **roots = thread->root_top - 4;
    int64_t position = 0;
    while (position <= ((RtStr *)roots[0])->length) {
        str = roots[0];
        old = roots[1];
        int64_t found = old->length == 0 ? position : rt_str_find(str, old, position);
        if (found < 0) break;
        rt_builder_append_bytes(thread, roots[3], ((RtStr *)roots[0])->bytes + position,
                                found - position);
        rt_builder_append(thread, roots[3], roots[2]);
        str = roots[0];
        if (((RtStr *)roots[1])->length == 0) {
            if (found < str->length) rt_builder_append_char(thread, roots[3], str->bytes[found]);
            position = found + 1;
        } else {
            position = found + ((RtStr *)roots[1])->length;
        }
    }
    str = roots[0];
    if (position < str->length)
        rt_builder_append_bytes(thread, roots[3], str->bytes + position, str->length - position);
    RtStr *result = rt_builder_build(thread, roots[3]);
    thread->root_top = roots;
    return result;
}

/* ---- StrBuilder -------------------------------------------------------- */

RtBuilder *rt_builder_new(GcThread *thread) {
    RtStr *buffer = rt_str_alloc(thread, 16);
    gc_push_root(thread, buffer);
    RtBuilder *builder = gc_alloc(thread, RT_TYPE_BUILDER, sizeof(RtBuilder));
    builder->buffer = gc_pop_root(thread);
    return builder;
}

/* Makes room for `extra` more bytes; the builder may move. */
static RtBuilder *rt_builder_reserve(GcThread *thread, RtBuilder *builder, int64_t extra) {
    int64_t needed = builder->length + extra;
    if (needed <= builder->buffer->length) return builder;
    int64_t capacity = builder->buffer->length * 2;
    if (capacity < needed) capacity = needed;
    gc_push_root(thread, builder);
    RtStr *buffer = rt_str_alloc(thread, capacity);
    builder = gc_pop_root(thread);
    memcpy(buffer->bytes, builder->buffer->bytes, (size_t)builder->length);
    gc_write_barrier(thread, builder);
    builder->buffer = buffer;
    return builder;
}

void rt_builder_append_bytes(GcThread *thread, RtBuilder *builder, const char *bytes,
                             int64_t length) {
    /* bytes may live in a movable object: copy through a root when growing */
    if (builder->length + length > builder->buffer->length) {
        char *copy = malloc((size_t)length + 1);
        if (!copy) abort();
        memcpy(copy, bytes, (size_t)length);
        builder = rt_builder_reserve(thread, builder, length);
        memcpy(builder->buffer->bytes + builder->length, copy, (size_t)length);
        free(copy);
    } else if (length) {
        memcpy(builder->buffer->bytes + builder->length, bytes, (size_t)length);
    }
    builder->length += length;
}

void rt_builder_append(GcThread *thread, RtBuilder *builder, RtStr *str) {
    if (builder->length + str->length > builder->buffer->length) {
        gc_push_root(thread, str);
        builder = rt_builder_reserve(thread, builder, str->length);
        str = gc_pop_root(thread);
    }
    memcpy(builder->buffer->bytes + builder->length, str->bytes, (size_t)str->length);
    builder->length += str->length;
}

void rt_builder_append_char(GcThread *thread, RtBuilder *builder, int64_t byte) {
    if (builder->length + 1 > builder->buffer->length)
        builder = rt_builder_reserve(thread, builder, 1);
    builder->buffer->bytes[builder->length++] = (char)byte;
}

RtStr *rt_builder_build(GcThread *thread, RtBuilder *builder) {
    gc_push_root(thread, builder);
    RtStr *result = rt_str_alloc(thread, builder->length);
    builder = gc_pop_root(thread);
    memcpy(result->bytes, builder->buffer->bytes, (size_t)builder->length);
    return rt_str_fix_length(result, builder->length);
}
