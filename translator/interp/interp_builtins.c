/* interp_builtins.c - the built-in functions of builtins.def.
 *
 * Output: fd 1 goes to the buffered stdout stream; anything written to fd
 * 2 (and every traceback) first flushes stdout, so the two streams keep the
 * program's order.  thread_start and transaction_run run Kiln C code: they
 * push frames for the dispatch loop (INTERP_STATUS_CALLED) instead of
 * calling it recursively.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "interp_internal.h"

typedef struct InterpBuiltinArity {
    const char *name;
    int min_args;
    int max_args;
} InterpBuiltinArity;

static const InterpBuiltinArity interp_builtin_arity[FLOW_BUILTIN__COUNT] = {
#define FLOW_BUILTIN(id, name, min, max, raises) {name, min, max},
#include "../flow/builtins.def"
#undef FLOW_BUILTIN
};

bool interp_expect(Interp *interp, const char *function, const InterpValue *args, int position,
                   InterpValueKind kind) {
    InterpValue value = args[position];
    if (value.kind == kind) return true;
    if (value.kind == INTERP_VALUE_NULL)
        return interp_raise(interp, INTERP_ERROR_NULL, "%s() argument %d is null", function,
                            position + 1);
    return interp_raise(interp, INTERP_ERROR_TYPE, "%s() argument %d must be %s, not %s", function,
                        position + 1, interp_value_kind_name(kind),
                        interp_type_name(interp, value));
}

/* ---- output and files -------------------------------------------------- */

static bool interp_write_fd(Interp *interp, int64_t fd, const char *bytes, int64_t length) {
    if (fd == 1) {
        if (length > 0) fwrite(bytes, 1, (size_t)length, interp->out);
        return true;
    }
    if (fd == 2) {
        interp_flush(interp);
        if (length > 0) fwrite(bytes, 1, (size_t)length, interp->err);
        fflush(interp->err);
        return true;
    }
    return interp_raise(interp, INTERP_ERROR_IO, "cannot write to file descriptor %" PRId64, fd);
}

static bool interp_builtin_read(Interp *interp, const InterpValue *args, InterpValue *result) {
    const char *name = "read";
    INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_INT));
    INTERP_TRY(interp_expect(interp, name, args, 1, INTERP_VALUE_INT));
    int64_t fd = args[0].as.integer, wanted = args[1].as.integer;
    if (wanted < 0) return interp_raise(interp, INTERP_ERROR_VALUE, "read() of a negative size");
    if (fd < 0 || fd > INT32_MAX)
        return interp_raise(interp, INTERP_ERROR_IO, "bad file descriptor %" PRId64, fd);
    if (wanted > (1 << 24)) wanted = 1 << 24;
    interp_flush(interp);
    char *buffer = kiln_xmalloc((size_t)wanted + 1);
    ssize_t got;
    do
        got = read((int)fd, buffer, (size_t)wanted);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        free(buffer);
        return interp_raise(interp, INTERP_ERROR_IO, "read: %s", strerror(errno));
    }
    InterpStr *str = interp_str_new(interp, buffer, got);
    free(buffer);
    *result = interp_make_object(str);
    return true;
}

/* A str argument that names a file: no NUL bytes. */
static bool interp_path_argument(Interp *interp, const InterpValue *args, const char *name) {
    INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_STR));
    InterpStr *path = INTERP_AS(InterpStr, args[0]);
    if ((int64_t)strlen(path->bytes) != path->length)
        return interp_raise(interp, INTERP_ERROR_IO, "%s: file name contains a NUL byte", name);
    return true;
}

static bool interp_builtin_read_file(Interp *interp, const InterpValue *args, InterpValue *result) {
    if (!interp_path_argument(interp, args, "read_file")) return false;
    const char *path = INTERP_AS(InterpStr, args[0])->bytes;
    FILE *stream = fopen(path, "rb");
    if (!stream) return interp_raise(interp, INTERP_ERROR_IO, "%s: %s", path, strerror(errno));
    Vec(char) bytes = {0};
    char chunk[65536];
    size_t got;
    bool too_big = false;
    while (!too_big && (got = fread(chunk, 1, sizeof chunk, stream)) > 0) {
        too_big = (size_t)bytes.count + got >= INTERP_MAX_OBJECT_BYTES;
        if (too_big) break;
        vec_reserve(&bytes, bytes.count + (int)got);
        memcpy(bytes.items + bytes.count, chunk, got);
        bytes.count += (int)got;
    }
    int error = ferror(stream) ? errno : 0;
    fclose(stream);
    InterpStr *str = NULL;
    if (too_big)
        interp_raise(interp, INTERP_ERROR_MEMORY, "%s: file too large", path);
    else if (error)
        interp_raise(interp, INTERP_ERROR_IO, "%s: %s", path, strerror(error));
    else
        str = interp_str_new(interp, bytes.items, bytes.count);
    vec_free(&bytes);
    if (!str) return false;
    *result = interp_make_object(str);
    return true;
}

static bool interp_builtin_write_file(Interp *interp, const InterpValue *args) {
    const char *name = "write_file";
    if (!interp_path_argument(interp, args, name)) return false;
    INTERP_TRY(interp_expect(interp, name, args, 1, INTERP_VALUE_STR));
    const char *path = INTERP_AS(InterpStr, args[0])->bytes;
    InterpStr *text = INTERP_AS(InterpStr, args[1]);
    FILE *stream = fopen(path, "wb");
    if (!stream) return interp_raise(interp, INTERP_ERROR_IO, "%s: %s", path, strerror(errno));
    size_t written = fwrite(text->bytes, 1, (size_t)text->length, stream);
    int error = written != (size_t)text->length ? errno : 0;
    if (fclose(stream) != 0 && !error) error = errno;
    if (error) return interp_raise(interp, INTERP_ERROR_IO, "%s: %s", path, strerror(error));
    return true;
}

static bool interp_builtin_getenv(Interp *interp, const InterpValue *args, int count,
                                  InterpValue *result) {
    const char *name = "getenv";
    INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_STR));
    if (count > 1) INTERP_TRY(interp_expect(interp, name, args, 1, INTERP_VALUE_STR));
    InterpStr *variable = INTERP_AS(InterpStr, args[0]);
    const char *value =
        (int64_t)strlen(variable->bytes) == variable->length ? getenv(variable->bytes) : NULL;
    if (value)
        *result = interp_make_object(interp_str_cstr(interp, value));
    else
        *result = count > 1 ? args[1] : interp_make_object(interp->empty_str);
    return true;
}

/* ---- conversions ------------------------------------------------------- */

static bool interp_builtin_int_of(Interp *interp, const InterpValue *args, int count,
                                  InterpValue *result) {
    const char *name = "int_of";
    INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_STR));
    int64_t base = 10;
    if (count > 1) {
        INTERP_TRY(interp_expect(interp, name, args, 1, INTERP_VALUE_INT));
        base = args[1].as.integer;
        if (base != 0 && (base < 2 || base > 36))
            return interp_raise(interp, INTERP_ERROR_VALUE, "int_of() base must be 0 or 2..36");
    }
    InterpStr *text = INTERP_AS(InterpStr, args[0]);
    int64_t value = 0;
    RtParseResult parsed = rt_parse_int(text->bytes, text->length, (int)base, &value);
    if (parsed == RT_PARSE_OVERFLOW)
        return interp_raise(interp, INTERP_ERROR_VALUE, "int_of() out of range: '%.*s'",
                            (int)(text->length > 200 ? 200 : text->length), text->bytes);
    if (parsed == RT_PARSE_INVALID)
        return interp_raise(interp, INTERP_ERROR_VALUE,
                            "invalid literal for int_of() with base %d: '%.*s'", (int)base,
                            (int)(text->length > 200 ? 200 : text->length), text->bytes);
    *result = interp_make_int(value);
    return true;
}

static bool interp_builtin_float_of(Interp *interp, const InterpValue *args, InterpValue *result) {
    const char *name = "float_of";
    INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_STR));
    InterpStr *text = INTERP_AS(InterpStr, args[0]);
    double value;
    if (rt_parse_float(text->bytes, text->length, &value) != RT_PARSE_OK)
        return interp_raise(interp, INTERP_ERROR_VALUE, "could not convert str to float: '%.*s'",
                            (int)(text->length > 200 ? 200 : text->length), text->bytes);
    *result = interp_make_float(value);
    return true;
}

static bool interp_builtin_int(Interp *interp, InterpValue value, InterpValue *result) {
    switch ((InterpValueKind)value.kind) {
    case INTERP_VALUE_INT:
    case INTERP_VALUE_CHAR:
    case INTERP_VALUE_BOOL: *result = interp_make_int(value.as.integer); return true;
    case INTERP_VALUE_FLOAT: {
        double real = value.as.real;
        if (isnan(real) || isinf(real))
            return interp_raise(interp, INTERP_ERROR_VALUE, "cannot convert float %s to int",
                                isnan(real) ? "nan"
                                : real < 0  ? "-inf"
                                            : "inf");
        if (!(real >= -9223372036854775808.0 && real < 9223372036854775808.0))
            return interp_raise(interp, INTERP_ERROR_OVERFLOW, "float too large to convert to int");
        *result = interp_make_int((int64_t)real);
        return true;
    }
    case INTERP_VALUE_NULL: return interp_raise(interp, INTERP_ERROR_NULL, "int() of null");
    default:
        return interp_raise(interp, INTERP_ERROR_TYPE, "int() cannot convert %s",
                            interp_type_name(interp, value));
    }
}

static bool interp_builtin_ord(Interp *interp, InterpValue value, InterpValue *result) {
    if (value.kind == INTERP_VALUE_CHAR) {
        *result = interp_make_int(value.as.integer);
        return true;
    }
    if (value.kind == INTERP_VALUE_STR) {
        InterpStr *str = INTERP_AS(InterpStr, value);
        if (str->length != 1)
            return interp_raise(interp, INTERP_ERROR_VALUE,
                                "ord() expected a one-byte str, got length %" PRId64, str->length);
        *result = interp_make_int((unsigned char)str->bytes[0]);
        return true;
    }
    return interp_raise(interp, INTERP_ERROR_TYPE, "ord() expected a char or str, not %s",
                        interp_type_name(interp, value));
}

static bool interp_builtin_min_max(Interp *interp, bool is_max, InterpValue *args, int count,
                                   InterpValue *result) {
    const char *name = is_max ? "max" : "min";
    InterpValue *items = args;
    int64_t item_count = count;
    if (count == 1) {
        INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_LIST));
        InterpList *list = INTERP_AS(InterpList, args[0]);
        if (list->count == 0)
            return interp_raise(interp, INTERP_ERROR_VALUE, "%s() of an empty list", name);
        items = list->items;
        item_count = list->count;
    }
    InterpValue best = items[0];
    for (int64_t i = 1; i < item_count; i++) {
        int order;
        bool unordered;
        if (!interp_compare(interp, items[i], best, &order, &unordered)) return false;
        if (!unordered && (is_max ? order > 0 : order < 0)) best = items[i];
    }
    *result = best;
    return true;
}

/* ---- arithmetic -------------------------------------------------------- */

static bool interp_builtin_overflow(Interp *interp, FlowBuiltin builtin, const InterpValue *args,
                                    InterpValue *result) {
    const char *name = interp_builtin_arity[builtin].name;
    INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_INT));
    INTERP_TRY(interp_expect(interp, name, args, 1, INTERP_VALUE_INT));
    int64_t left = args[0].as.integer, right = args[1].as.integer, value;
    bool overflow;
    if (builtin == FLOW_BUILTIN_OVF_ADD)
        overflow = __builtin_add_overflow(left, right, &value);
    else if (builtin == FLOW_BUILTIN_OVF_SUB)
        overflow = __builtin_sub_overflow(left, right, &value);
    else
        overflow = __builtin_mul_overflow(left, right, &value);
    if (overflow)
        return interp_raise(interp, INTERP_ERROR_OVERFLOW, "integer overflow in %s()", name);
    *result = interp_make_int(value);
    return true;
}

/* floordiv and floormod: the floor versions of / and % (Python's). */
static bool interp_builtin_floor(Interp *interp, bool want_modulo, const InterpValue *args,
                                 InterpValue *result) {
    const char *name = want_modulo ? "floormod" : "floordiv";
    if (args[0].kind == INTERP_VALUE_FLOAT && args[1].kind == INTERP_VALUE_FLOAT) {
        double left = args[0].as.real, right = args[1].as.real;
        if (right == 0)
            return interp_raise(interp, INTERP_ERROR_ZERO_DIVISION, "float %s by zero", name);
        double modulo = fmod(left, right);
        if (modulo != 0 && (right < 0) != (modulo < 0)) modulo += right;
        *result = interp_make_float(want_modulo ? modulo : floor(left / right));
        return true;
    }
    INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_INT));
    INTERP_TRY(interp_expect(interp, name, args, 1, INTERP_VALUE_INT));
    int64_t left = args[0].as.integer, right = args[1].as.integer;
    if (right == 0)
        return interp_raise(interp, INTERP_ERROR_ZERO_DIVISION, "integer %s by zero", name);
    if (right == -1) {
        *result = interp_make_int(want_modulo ? 0 : interp_wrap_sub(0, left));
        return true;
    }
    int64_t quotient = left / right, modulo = left % right;
    if (modulo != 0 && ((modulo < 0) != (right < 0))) {
        quotient -= 1;
        modulo += right;
    }
    *result = interp_make_int(want_modulo ? modulo : quotient);
    return true;
}

static bool interp_builtin_math(Interp *interp, FlowBuiltin builtin, const InterpValue *args,
                                int count, InterpValue *result) {
    const char *name = interp_builtin_arity[builtin].name;
    for (int i = 0; i < count; i++)
        INTERP_TRY(interp_expect(interp, name, args, i, INTERP_VALUE_FLOAT));
    double x = args[0].as.real, y = count > 1 ? args[1].as.real : 0, value;
    switch (builtin) {
    case FLOW_BUILTIN_MATH_SQRT: value = sqrt(x); break;
    case FLOW_BUILTIN_MATH_SIN: value = sin(x); break;
    case FLOW_BUILTIN_MATH_COS: value = cos(x); break;
    case FLOW_BUILTIN_MATH_TAN: value = tan(x); break;
    case FLOW_BUILTIN_MATH_ASIN: value = asin(x); break;
    case FLOW_BUILTIN_MATH_ACOS: value = acos(x); break;
    case FLOW_BUILTIN_MATH_ATAN: value = atan(x); break;
    case FLOW_BUILTIN_MATH_ATAN2: value = atan2(x, y); break;
    case FLOW_BUILTIN_MATH_EXP: value = exp(x); break;
    case FLOW_BUILTIN_MATH_LOG: value = log(x); break;
    case FLOW_BUILTIN_MATH_LOG10: value = log10(x); break;
    case FLOW_BUILTIN_MATH_POW: value = pow(x, y); break;
    case FLOW_BUILTIN_MATH_FLOOR: value = floor(x); break;
    case FLOW_BUILTIN_MATH_CEIL: value = ceil(x); break;
    case FLOW_BUILTIN_MATH_FABS: value = fabs(x); break;
    case FLOW_BUILTIN_MATH_FMOD: value = fmod(x, y); break;
    case FLOW_BUILTIN_MATH_HYPOT: value = hypot(x, y); break;
    case FLOW_BUILTIN_MATH_ISNAN: *result = interp_make_bool(isnan(x)); return true;
    default: *result = interp_make_bool(isinf(x)); return true;
    }
    *result = interp_make_float(value);
    return true;
}

/* ---- threads and transactions ------------------------------------------ */

InterpStatus interp_run_tasks(Interp *interp, InterpValue *result) {
    while (interp->task_head < interp->tasks.count) {
        InterpValue function = interp->tasks.items[interp->task_head];
        InterpValue argument = interp->tasks.items[interp->task_head + 1];
        interp->task_head += 2;
        if (interp->task_head == interp->tasks.count)
            interp->tasks.count = 0, interp->task_head = 0;
        InterpStatus status = interp_invoke(interp, function, &argument, 1, INTERP_RETURN_TASK,
                                            interp_make_simple(INTERP_VALUE_VOID), result);
        if (status != INTERP_STATUS_OK) return status;
    }
    *result = interp_make_simple(INTERP_VALUE_VOID);
    return INTERP_STATUS_OK;
}

static InterpStatus interp_builtin_concurrency(Interp *interp, FlowBuiltin builtin,
                                               InterpValue *args, InterpValue *result) {
    *result = interp_make_simple(INTERP_VALUE_VOID);
    switch (builtin) {
    case FLOW_BUILTIN_THREAD_START: {
        InterpValue handle = interp_make_object(interp_thread_new(interp));
        return interp_invoke(interp, args[0], &args[1], 1, INTERP_RETURN_THREAD, handle, result);
    }
    case FLOW_BUILTIN_THREAD_JOIN:
        if (!interp_expect(interp, "thread_join", args, 0, INTERP_VALUE_THREAD))
            return INTERP_STATUS_RAISED;
        return INTERP_STATUS_OK;
    case FLOW_BUILTIN_TRANSACTION_ADD:
        if (args[0].kind != INTERP_VALUE_FUNCTION && args[0].kind != INTERP_VALUE_BOUND_METHOD) {
            interp_raise(interp, INTERP_ERROR_TYPE, "transaction_add() needs a function, not %s",
                         interp_type_name(interp, args[0]));
            return INTERP_STATUS_RAISED;
        }
        vec_push(&interp->tasks, args[0]);
        vec_push(&interp->tasks, args[1]);
        return INTERP_STATUS_OK;
    case FLOW_BUILTIN_TRANSACTION_RUN: return interp_run_tasks(interp, result);
    default: return INTERP_STATUS_OK; /* become_inevitable: serial runs always are */
    }
}

/* ---- dispatch ---------------------------------------------------------- */

static bool interp_builtin_io(Interp *interp, FlowBuiltin builtin, InterpValue *args, int count,
                              InterpValue *result) {
    const char *name = interp_builtin_arity[builtin].name;
    switch (builtin) {
    case FLOW_BUILTIN_PRINT: {
        InterpStr *text = count > 0 ? interp_to_str(interp, args[0]) : interp->empty_str;
        if (!text) return false;
        fwrite(text->bytes, 1, (size_t)text->length, interp->out);
        fputc('\n', interp->out);
        return true;
    }
    case FLOW_BUILTIN_WRITE: {
        INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_INT));
        INTERP_TRY(interp_expect(interp, name, args, 1, INTERP_VALUE_STR));
        InterpStr *text = INTERP_AS(InterpStr, args[1]);
        return interp_write_fd(interp, args[0].as.integer, text->bytes, text->length);
    }
    case FLOW_BUILTIN_WRITE_BYTE: {
        INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_INT));
        if (args[1].kind != INTERP_VALUE_CHAR)
            INTERP_TRY(interp_expect(interp, name, args, 1, INTERP_VALUE_INT));
        int64_t byte = args[1].as.integer;
        if (byte < 0 || byte > 255)
            return interp_raise(interp, INTERP_ERROR_VALUE,
                                "write_byte() byte out of range: %" PRId64, byte);
        char data = (char)byte;
        return interp_write_fd(interp, args[0].as.integer, &data, 1);
    }
    case FLOW_BUILTIN_READ: return interp_builtin_read(interp, args, result);
    case FLOW_BUILTIN_READ_FILE: return interp_builtin_read_file(interp, args, result);
    case FLOW_BUILTIN_WRITE_FILE: return interp_builtin_write_file(interp, args);
    case FLOW_BUILTIN_GETENV: return interp_builtin_getenv(interp, args, count, result);
    case FLOW_BUILTIN_TIME_NS: {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        *result = interp_make_int((int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
        return true;
    }
    default: {
        INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_INT));
        interp->exit_requested = true;
        interp->exit_status = (int)args[0].as.integer;
        return false;
    }
    }
}

static bool interp_builtin_newlist(Interp *interp, InterpValue *args, int count,
                                   InterpValue *result) {
    const char *name = "newlist";
    INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_INT));
    int64_t length = args[0].as.integer;
    if (length < 0)
        return interp_raise(interp, INTERP_ERROR_VALUE, "newlist() of a negative length");
    InterpValue fill = count > 1 ? args[1] : interp_make_simple(INTERP_VALUE_NULL);
    InterpList *list = interp_list_new(interp, length);
    if (!list) return false;
    for (int64_t i = 0; i < length; i++)
        list->items[i] = fill;
    list->count = length;
    *result = interp_make_object(list);
    return true;
}

static bool interp_builtin_value(Interp *interp, FlowBuiltin builtin, InterpValue *args, int count,
                                 InterpValue *result) {
    const char *name = interp_builtin_arity[builtin].name;
    InterpValue value = args[0];
    switch (builtin) {
    case FLOW_BUILTIN_LEN: {
        int64_t length;
        if (!interp_length(interp, value, &length)) return false;
        *result = interp_make_int(length);
        return true;
    }
    case FLOW_BUILTIN_STR: {
        InterpStr *text = interp_to_str(interp, value);
        if (!text) return false;
        *result = interp_make_object(text);
        return true;
    }
    case FLOW_BUILTIN_FLOAT:
        if (value.kind != INTERP_VALUE_FLOAT)
            INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_INT));
        *result =
            value.kind == INTERP_VALUE_FLOAT ? value : interp_make_float((double)value.as.integer);
        return true;
    case FLOW_BUILTIN_CHR:
        INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_INT));
        if (value.as.integer < 0 || value.as.integer > 255)
            return interp_raise(interp, INTERP_ERROR_VALUE, "chr() argument out of range: %" PRId64,
                                value.as.integer);
        *result = interp_make_object(interp_str_of_char(interp, (int)value.as.integer));
        return true;
    case FLOW_BUILTIN_ABS:
        if (value.kind == INTERP_VALUE_FLOAT) {
            *result = interp_make_float(fabs(value.as.real));
            return true;
        }
        INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_INT));
        *result = interp_make_int(value.as.integer < 0 ? interp_wrap_sub(0, value.as.integer)
                                                       : value.as.integer);
        return true;
    case FLOW_BUILTIN_HASH: {
        uint64_t hash = 0;
        if (!interp_key_hash(interp, value, &hash)) return false;
        *result = interp_make_int((int64_t)hash);
        return true;
    }
    case FLOW_BUILTIN_INTMASK:
        INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_INT));
        *result = value;
        return true;
    case FLOW_BUILTIN_RANGE_CHECK:
        INTERP_TRY(interp_expect(interp, name, args, 0, INTERP_VALUE_INT));
        if (value.as.integer == 0)
            return interp_raise(interp, INTERP_ERROR_VALUE, "range() step must not be zero");
        *result = value;
        return true;
    case FLOW_BUILTIN_NEWLIST: return interp_builtin_newlist(interp, args, count, result);
    case FLOW_BUILTIN_INT_OF: return interp_builtin_int_of(interp, args, count, result);
    case FLOW_BUILTIN_FLOAT_OF: return interp_builtin_float_of(interp, args, result);
    case FLOW_BUILTIN_INT: return interp_builtin_int(interp, value, result);
    case FLOW_BUILTIN_ORD: return interp_builtin_ord(interp, value, result);
    case FLOW_BUILTIN_MIN:
    case FLOW_BUILTIN_MAX:
        return interp_builtin_min_max(interp, builtin == FLOW_BUILTIN_MAX, args, count, result);
    case FLOW_BUILTIN_OVF_ADD:
    case FLOW_BUILTIN_OVF_SUB:
    case FLOW_BUILTIN_OVF_MUL: return interp_builtin_overflow(interp, builtin, args, result);
    case FLOW_BUILTIN_FLOORDIV:
    case FLOW_BUILTIN_FLOORMOD:
        return interp_builtin_floor(interp, builtin == FLOW_BUILTIN_FLOORMOD, args, result);
    default: return interp_builtin_math(interp, builtin, args, count, result);
    }
}

InterpStatus interp_call_builtin(Interp *interp, FlowBuiltin builtin, InterpValue *args, int count,
                                 InterpValue *result) {
    if ((unsigned)builtin >= FLOW_BUILTIN__COUNT) {
        interp_raise(interp, INTERP_ERROR_TYPE, "unknown built-in function %d", (int)builtin);
        return INTERP_STATUS_RAISED;
    }
    const InterpBuiltinArity *arity = &interp_builtin_arity[builtin];
    if (count < arity->min_args || (arity->max_args >= 0 && count > arity->max_args)) {
        if (arity->max_args < 0)
            interp_raise(interp, INTERP_ERROR_TYPE, "%s() takes at least %d arguments (%d given)",
                         arity->name, arity->min_args, count);
        else
            interp_raise(interp, INTERP_ERROR_TYPE, "%s() takes %d to %d arguments (%d given)",
                         arity->name, arity->min_args, arity->max_args, count);
        return INTERP_STATUS_RAISED;
    }
    *result = interp_make_simple(INTERP_VALUE_VOID);
    bool ok;
    switch (builtin) {
    case FLOW_BUILTIN_THREAD_START:
    case FLOW_BUILTIN_THREAD_JOIN:
    case FLOW_BUILTIN_TRANSACTION_ADD:
    case FLOW_BUILTIN_TRANSACTION_RUN:
    case FLOW_BUILTIN_BECOME_INEVITABLE:
        return interp_builtin_concurrency(interp, builtin, args, result);
    case FLOW_BUILTIN_PRINT:
    case FLOW_BUILTIN_WRITE:
    case FLOW_BUILTIN_WRITE_BYTE:
    case FLOW_BUILTIN_READ:
    case FLOW_BUILTIN_READ_FILE:
    case FLOW_BUILTIN_WRITE_FILE:
    case FLOW_BUILTIN_GETENV:
    case FLOW_BUILTIN_TIME_NS:
    case FLOW_BUILTIN_EXIT: ok = interp_builtin_io(interp, builtin, args, count, result); break;
    default: ok = interp_builtin_value(interp, builtin, args, count, result); break;
    }
    return ok ? INTERP_STATUS_OK : INTERP_STATUS_RAISED;
}
