/* interp_format.c - str(x) of every value (language.md section 7 and the
 * project's decisions): ints in decimal, floats as the shortest round-trip
 * repr, bools true/false, a char as its one-byte string, null as `null`;
 * containers as [1, 2], {1: "a"}, (1, 2) with strs and chars inside them
 * quoted with C escapes; instances as <ClassName object>.  A container
 * that contains itself prints [...] at the repetition.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "interp_internal.h"

typedef struct InterpFormatter {
    Interp *interp;
    Vec(char) text;
    Vec(const InterpObject *) open; /* containers being printed, for cycles */
    bool too_long;                  /* the text passed INTERP_MAX_OBJECT_BYTES */
} InterpFormatter;

static void interp_emit(InterpFormatter *formatter, const char *bytes, size_t length) {
    if (length == 0) return;
    if (formatter->too_long || (size_t)formatter->text.count + length > INTERP_MAX_OBJECT_BYTES) {
        formatter->too_long = true;
        return;
    }
    vec_reserve(&formatter->text, formatter->text.count + (int)length);
    memcpy(formatter->text.items + formatter->text.count, bytes, length);
    formatter->text.count += (int)length;
}

static void interp_emit_cstr(InterpFormatter *formatter, const char *text) {
    interp_emit(formatter, text, strlen(text));
}

/* One byte of a quoted str or char, with C escapes. */
static void interp_emit_escaped(InterpFormatter *formatter, unsigned char byte, char quote) {
    char buffer[8];
    switch (byte) {
    case '\n': interp_emit_cstr(formatter, "\\n"); return;
    case '\t': interp_emit_cstr(formatter, "\\t"); return;
    case '\r': interp_emit_cstr(formatter, "\\r"); return;
    case '\0': interp_emit_cstr(formatter, "\\0"); return;
    case '\\': interp_emit_cstr(formatter, "\\\\"); return;
    default: break;
    }
    if (byte == (unsigned char)quote) {
        buffer[0] = '\\';
        buffer[1] = quote;
        interp_emit(formatter, buffer, 2);
    } else if (byte < 0x20 || byte == 0x7f) {
        snprintf(buffer, sizeof buffer, "\\x%02x", byte);
        interp_emit_cstr(formatter, buffer);
    } else {
        buffer[0] = (char)byte;
        interp_emit(formatter, buffer, 1);
    }
}

static bool interp_format_value(InterpFormatter *formatter, InterpValue value, bool quoted);

static bool interp_format_items(InterpFormatter *formatter, const InterpValue *items,
                                int64_t count) {
    for (int64_t i = 0; i < count; i++) {
        if (i > 0) interp_emit_cstr(formatter, ", ");
        if (!interp_format_value(formatter, items[i], true)) return false;
    }
    return true;
}

/* mode: a view kind (KEYS, VALUES, ITEMS), or -1 for the dict itself. */
static bool interp_format_dict(InterpFormatter *formatter, InterpDict *dict, int mode) {
    bool first = true;
    for (int64_t i = 0; i < dict->entry_count; i++) {
        const InterpDictEntry *entry = &dict->entries[i];
        if (entry->key.kind == INTERP_VALUE_VOID) continue;
        if (!first) interp_emit_cstr(formatter, ", ");
        first = false;
        if (mode == INTERP_VIEW_ITEMS) interp_emit_cstr(formatter, "(");
        if (mode != INTERP_VIEW_VALUES && !interp_format_value(formatter, entry->key, true))
            return false;
        if (mode == INTERP_VIEW_ITEMS) interp_emit_cstr(formatter, ", ");
        if (mode < 0) interp_emit_cstr(formatter, ": ");
        if (mode != INTERP_VIEW_KEYS && !interp_format_value(formatter, entry->value, true))
            return false;
        if (mode == INTERP_VIEW_ITEMS) interp_emit_cstr(formatter, ")");
    }
    return true;
}

/* Containers: brackets, cycle check, nesting limit. */
static bool interp_format_container(InterpFormatter *formatter, InterpValue value) {
    const char *open = "[", *close = "]";
    if (value.kind == INTERP_VALUE_DICT) open = "{", close = "}";
    if (value.kind == INTERP_VALUE_TUPLE) open = "(", close = ")";
    for (int i = 0; i < formatter->open.count; i++) {
        if (formatter->open.items[i] == value.as.object) {
            interp_emit_cstr(formatter, open);
            interp_emit_cstr(formatter, "...");
            interp_emit_cstr(formatter, close);
            return true;
        }
    }
    if (formatter->open.count >= INTERP_MAX_NESTING)
        return interp_raise(formatter->interp, INTERP_ERROR_MEMORY,
                            "structure nested too deeply to convert to str");
    vec_push(&formatter->open, value.as.object);
    interp_emit_cstr(formatter, open);
    bool ok = true;
    switch ((InterpValueKind)value.kind) {
    case INTERP_VALUE_LIST: {
        InterpList *list = INTERP_AS(InterpList, value);
        ok = interp_format_items(formatter, list->items, list->count);
        break;
    }
    case INTERP_VALUE_TUPLE: {
        InterpTuple *tuple = INTERP_AS(InterpTuple, value);
        ok = interp_format_items(formatter, tuple->items, tuple->count);
        break;
    }
    case INTERP_VALUE_DICT:
        ok = interp_format_dict(formatter, INTERP_AS(InterpDict, value), -1);
        break;
    default: {
        InterpDictView *view = INTERP_AS(InterpDictView, value);
        ok = interp_format_dict(formatter, view->dict, view->view);
        break;
    }
    }
    interp_emit_cstr(formatter, close);
    formatter->open.count--;
    return ok;
}

/* Values that print the same inside containers and alone. */
static void interp_format_simple(InterpFormatter *formatter, InterpValue value) {
    const Interp *interp = formatter->interp;
    char buffer[64];
    switch ((InterpValueKind)value.kind) {
    case INTERP_VALUE_INT:
        snprintf(buffer, sizeof buffer, "%" PRId64, value.as.integer);
        interp_emit_cstr(formatter, buffer);
        break;
    case INTERP_VALUE_FLOAT:
        rt_format_float(value.as.real, buffer, sizeof buffer);
        interp_emit_cstr(formatter, buffer);
        break;
    case INTERP_VALUE_BOOL: interp_emit_cstr(formatter, value.as.integer ? "true" : "false"); break;
    case INTERP_VALUE_NULL: interp_emit_cstr(formatter, "null"); break;
    case INTERP_VALUE_VOID: interp_emit_cstr(formatter, "void"); break;
    case INTERP_VALUE_UNSET: interp_emit_cstr(formatter, "<unset>"); break;
    case INTERP_VALUE_INSTANCE:
        interp_emit_cstr(formatter, "<");
        interp_emit_cstr(formatter, interp_type_name(interp, value));
        interp_emit_cstr(formatter, " object>");
        break;
    case INTERP_VALUE_FUNCTION:
        interp_emit_cstr(formatter, "<function ");
        interp_emit_cstr(formatter, interp->program->graphs[value.as.integer]->name);
        interp_emit_cstr(formatter, ">");
        break;
    case INTERP_VALUE_BOUND_METHOD:
        interp_emit_cstr(formatter, "<bound method ");
        interp_emit_cstr(formatter,
                         interp->program->graphs[INTERP_AS(InterpBoundMethod, value)->graph]->name);
        interp_emit_cstr(formatter, ">");
        break;
    default:
        interp_emit_cstr(formatter, "<");
        interp_emit_cstr(formatter, interp_type_name(interp, value));
        interp_emit_cstr(formatter, ">");
        break;
    }
}

static bool interp_format_value(InterpFormatter *formatter, InterpValue value, bool quoted) {
    switch ((InterpValueKind)value.kind) {
    case INTERP_VALUE_STR: {
        InterpStr *str = INTERP_AS(InterpStr, value);
        if (!quoted) {
            interp_emit(formatter, str->bytes, (size_t)str->length);
            return true;
        }
        interp_emit_cstr(formatter, "\"");
        for (int64_t i = 0; i < str->length; i++)
            interp_emit_escaped(formatter, (unsigned char)str->bytes[i], '"');
        interp_emit_cstr(formatter, "\"");
        return true;
    }
    case INTERP_VALUE_CHAR: {
        char byte = (char)value.as.integer;
        if (!quoted) {
            interp_emit(formatter, &byte, 1);
            return true;
        }
        interp_emit_cstr(formatter, "'");
        interp_emit_escaped(formatter, (unsigned char)byte, '\'');
        interp_emit_cstr(formatter, "'");
        return true;
    }
    case INTERP_VALUE_BUILDER: {
        InterpBuilder *builder = INTERP_AS(InterpBuilder, value);
        if (quoted)
            interp_emit_cstr(formatter, "<StrBuilder>");
        else if (builder->length > 0)
            interp_emit(formatter, builder->bytes, (size_t)builder->length);
        return true;
    }
    case INTERP_VALUE_LIST:
    case INTERP_VALUE_DICT:
    case INTERP_VALUE_TUPLE:
    case INTERP_VALUE_DICT_VIEW: return interp_format_container(formatter, value);
    default: interp_format_simple(formatter, value); return true;
    }
}

static InterpStr *interp_format_to_str(Interp *interp, InterpValue value, bool quoted) {
    InterpFormatter formatter = {.interp = interp};
    bool ok = interp_format_value(&formatter, value, quoted);
    InterpStr *str = NULL;
    if (ok) {
        if (formatter.too_long)
            interp_raise(interp, INTERP_ERROR_MEMORY, "str too long");
        else
            str = interp_str_new(interp, formatter.text.items, formatter.text.count);
    }
    vec_free(&formatter.text);
    vec_free(&formatter.open);
    return str;
}

InterpStr *interp_to_str(Interp *interp, InterpValue value) {
    if (value.kind == INTERP_VALUE_STR) return INTERP_AS(InterpStr, value);
    if (value.kind == INTERP_VALUE_CHAR) return interp_str_of_char(interp, (int)value.as.integer);
    return interp_format_to_str(interp, value, false);
}

InterpStr *interp_to_repr(Interp *interp, InterpValue value) {
    return interp_format_to_str(interp, value, true);
}

const char *interp_type_name(const Interp *interp, InterpValue value) {
    switch ((InterpValueKind)value.kind) {
    case INTERP_VALUE_INSTANCE:
        return interp->program->classes[INTERP_AS(InterpInstance, value)->class_index].name;
    case INTERP_VALUE_BOUND_METHOD: return "bound method";
    case INTERP_VALUE_BUILDER: return "StrBuilder";
    case INTERP_VALUE_DICT_VIEW: return "dict view";
    default: return interp_value_kind_name((InterpValueKind)value.kind);
    }
}
