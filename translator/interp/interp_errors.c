/* interp_errors.c - raising built-in exceptions and printing tracebacks.
 *
 * Built-in errors are instances of the prelude's classes (found by name at
 * interp_create) with their `message` field set, so Kiln C code catches
 * them like its own.  If the program lacks the prelude, an error is a str
 * "ClassName: message" instead: still printable, never a crash.
 *
 * Traceback: each frame an exception leaves adds (function, position of the
 * executing instruction), innermost first.  The entries belong to one
 * exception object (traceback_exception); a different exception starts a
 * new traceback, a re-thrown one keeps adding to its own, as in Python.
 */
#include <stdio.h>
#include <stdlib.h>

#include "interp_internal.h"

static const char *const interp_error_names[INTERP_ERROR__COUNT] = {
#define X(id, name) name,
    INTERP_ERRORS(X)
#undef X
};

bool interp_raise(Interp *interp, InterpErrorKind kind, const char *format, ...) {
    char small[256];
    va_list args;
    va_start(args, format);
    int length = vsnprintf(small, sizeof small, format, args);
    va_end(args);
    char *message = small;
    if (length < 0) length = 0;
    if ((size_t)length >= sizeof small) {
        message = kiln_xmalloc((size_t)length + 1);
        va_start(args, format);
        vsnprintf(message, (size_t)length + 1, format, args);
        va_end(args);
    }
    int class_index = interp->error_classes[kind];
    if (class_index >= 0) {
        InterpInstance *instance = interp_instance_new(interp, class_index);
        if (interp->message_slot >= 0 && interp->message_slot < instance->field_count)
            instance->fields[interp->message_slot] =
                interp_make_object(interp_str_new(interp, message, length));
        interp->exception = interp_make_object(instance);
    } else {
        size_t size = strlen(interp_error_names[kind]) + 2 + (size_t)length + 1;
        char *text = kiln_xmalloc(size);
        snprintf(text, size, length ? "%s: %s" : "%s", interp_error_names[kind], message);
        interp->exception = interp_make_object(interp_str_cstr(interp, text));
        free(text);
    }
    if (message != small) free(message);
    return false;
}

bool interp_is_exception(const Interp *interp, InterpValue value) {
    if (value.kind != INTERP_VALUE_INSTANCE) return false;
    int class_index = INTERP_AS(InterpInstance, value)->class_index;
    return interp->program->classes[class_index].is_exception;
}

bool interp_raise_value(Interp *interp, InterpValue exception) {
    if (!interp_is_exception(interp, exception))
        return interp_raise(interp, INTERP_ERROR_TYPE,
                            "exceptions must be instances of Exception, not %s",
                            interp_type_name(interp, exception));
    interp->exception = exception;
    return false;
}

static bool interp_same_object(InterpValue left, InterpValue right) {
    if (left.kind != right.kind) return false;
    return INTERP_IS_HEAP(left) ? left.as.object == right.as.object : true;
}

void interp_trace_frame(Interp *interp, const InterpFrame *frame) {
    if (!interp_same_object(interp->exception, interp->traceback_exception)) {
        interp->traceback.count = 0;
        interp->traceback_exception = interp->exception;
    }
    /* An exception caught in a frame (a finally, a catch that re-throws)
     * keeps the line where it first passed through, as in Python. */
    if (interp->traceback.count > 0 && vec_last(&interp->traceback).frame_serial == frame->serial)
        return;
    InterpTraceEntry entry = {frame->code->graph->name, frame->code->positions[frame->pc],
                              frame->serial};
    vec_push(&interp->traceback, entry);
}

void interp_trace_throw(Interp *interp, const InterpFrame *frame, InterpValue exception) {
    if (interp_same_object(exception, interp->traceback_exception)) return;
    interp->traceback.count = 0;
    interp->traceback_exception = exception;
    InterpTraceEntry entry = {frame->code->graph->name, frame->code->positions[frame->pc],
                              frame->serial};
    vec_push(&interp->traceback, entry);
}

const char *interp_register_name(const InterpCode *code, int32_t reg) {
    if (reg < 0) return NULL;
    if (reg < code->var_count) return code->graph->vars[reg].name;
    if (reg < code->var_count + code->const_count) {
        const FlowConst *constant = &code->graph->consts[reg - code->var_count];
        if (constant->kind == FLOW_CONST_UNDEF) return constant->str_value;
    }
    return NULL;
}

void interp_flush(Interp *interp) {
    fflush(interp->out);
}

static void interp_print_exception_line(Interp *interp, InterpValue exception) {
    FILE *err = interp->err;
    if (exception.kind == INTERP_VALUE_STR) {
        InterpStr *text = INTERP_AS(InterpStr, exception);
        fwrite(text->bytes, 1, (size_t)text->length, err);
        fputc('\n', err);
        return;
    }
    fputs(interp_type_name(interp, exception), err);
    if (exception.kind == INTERP_VALUE_INSTANCE && interp->message_slot >= 0) {
        InterpInstance *instance = INTERP_AS(InterpInstance, exception);
        if (interp->message_slot < instance->field_count) {
            InterpValue message = instance->fields[interp->message_slot];
            if (message.kind == INTERP_VALUE_STR && INTERP_AS(InterpStr, message)->length > 0) {
                fputs(": ", err);
                fwrite(INTERP_AS(InterpStr, message)->bytes, 1,
                       (size_t)INTERP_AS(InterpStr, message)->length, err);
            }
        }
    }
    fputc('\n', err);
}

void interp_print_traceback(Interp *interp) {
    interp_flush(interp);
    FILE *err = interp->err;
    fputs("Traceback (most recent call last):\n", err);
    if (interp_same_object(interp->exception, interp->traceback_exception)) {
        for (int i = interp->traceback.count - 1; i >= 0; i--) {
            char where[512];
            const InterpTraceEntry *entry = &interp->traceback.items[i];
            diag_format_pos(interp->diag, entry->pos, where, sizeof where);
            fprintf(err, "  %s, in %s\n", where, entry->function);
        }
    }
    interp_print_exception_line(interp, interp->exception);
    fflush(err);
}
