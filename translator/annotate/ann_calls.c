/* ann_calls.c - calls: direct, through function values, virtual methods,
 * bound methods, and the copies of @specialize functions.
 *
 * A call merges each argument into the callee's parameter (a method's
 * `this` is fixed: an instance of the defining class) and reads the
 * callee's result, registering the calling block so that it is flowed again
 * when the result generalizes.  A virtual call reaches the method that the
 * receiver's class resolves plus every override in its subclasses; the
 * result is the union of theirs.
 */
#include <string.h>

#include "ann_internal.h"

static const char *ann_specialize_key(Annotator *annotator, const FlowGraph *graph,
                                      const Ann **args, int count) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out) kiln_fatal("out of memory");
    int first = graph->kind == FLOW_GRAPH_METHOD ? 1 : 0;
    for (int i = first; i < count; i++) {
        if (i > first) fputs(", ", out);
        ann_print(out, annotator, args[i], false);
    }
    fclose(out);
    char *key = arena_strndup(&annotator->arena, text, size);
    free(text);
    return key;
}

static const Ann *ann_call_extern(Annotator *annotator, const FlowGraph *graph, const Ann **args,
                                  int count, SrcPos pos) {
    for (int i = 0; i < count && i < graph->decl->param_count; i++) {
        const Ann *declared = ann_from_type(annotator, graph->decl->params[i].type);
        if (!declared) return NULL;
        const Ann *merged =
            ann_union(annotator, declared, ann_drop_const(annotator, args[i]), NULL, NULL);
        if (!merged || !ann_equal(merged, declared)) {
            ann_op_error(annotator, pos, "argument %d of '%s' must be `%s`, not `%s`", i + 1,
                         graph->name, ann_to_string(annotator, declared),
                         ann_to_string(annotator, args[i]));
            return NULL;
        }
    }
    const Ann *result = graph->decl->result ? ann_from_type(annotator, graph->decl->result) : NULL;
    return result ? result : ann_simple(annotator, ANN_VOID);
}

const Ann *ann_call_graph(Annotator *annotator, int graph_index, const Ann **args, int count,
                          SrcPos pos, bool bound) {
    const FlowGraph *graph = annotator->program->graphs[graph_index];
    if (count != graph->param_count) {
        int hidden = graph->kind == FLOW_GRAPH_METHOD ? 1 : 0;
        ann_op_error(annotator, pos, "'%s' takes %d argument%s, but %d %s given", graph->name,
                     graph->param_count - hidden, graph->param_count - hidden == 1 ? "" : "s",
                     count - hidden, count - hidden == 1 ? "is" : "are");
        return NULL;
    }
    (void)bound;
    if (graph->kind == FLOW_GRAPH_EXTERN)
        return ann_call_extern(annotator, graph, args, count, pos);
    const char *key = NULL;
    if (graph->attributes & FLOW_ATTR_SPECIALIZE)
        key = ann_specialize_key(annotator, graph, args, count);
    int caller = annotator->current_func;
    AnnFunc *callee = ann_func_get(annotator, graph_index, key);
    bool changed = !callee->started;
    if (!callee->started) {
        callee->started = true;
        callee->caller = caller;
        callee->caller_pos = pos;
    }
    int first = graph->kind == FLOW_GRAPH_METHOD ? 1 : 0;
    for (int i = first; i < count; i++) {
        int var = graph->blocks[0].inputs[i];
        AnnSlotName name = {ANN_SLOT_VAR, callee->index, var};
        const Ann *value = key ? ann_drop_const(annotator, args[i]) : args[i];
        if (ann_slot_merge(annotator, &callee->vars[var], name, value, pos)) changed = true;
    }
    if (changed) {
        if (callee->block_stop[0] < 0) callee->block_stop[0] = 0;
        ann_schedule(annotator, callee->index, 0);
    }
    ann_read(annotator, &callee->result_readers);
    return callee->vars[graph->blocks[graph->return_block].inputs[0]].ann;
}

/* The union of the results of several targets; bottom while none is known. */
static const Ann *ann_join_results(Annotator *annotator, const Ann *sum, const Ann *result,
                                   SrcPos pos) {
    if (!sum || !result) return NULL;
    const Ann *merged = ann_union(annotator, sum, result, NULL, NULL);
    if (!merged) {
        ann_op_error(annotator, pos,
                     "the functions that this call may reach return `%s` and `%s`, which do not "
                     "unify",
                     ann_to_string(annotator, sum), ann_to_string(annotator, result));
        return NULL;
    }
    return merged;
}

const Ann *ann_call_value(Annotator *annotator, const Ann *callee, const Ann **args, int count,
                          SrcPos pos) {
    if (callee->kind == ANN_NULL) {
        ann_op_error(annotator, pos, "calling null: this value is null on every path");
        return NULL;
    }
    if (callee->kind != ANN_FUNCTION) {
        ann_op_error(annotator, pos, "`%s` is not a function and cannot be called",
                     ann_to_string(annotator, callee));
        return NULL;
    }
    const Ann *sum = ann_simple(annotator, ANN_BOTTOM);
    const Ann *all[count + 1];
    for (int i = 0; i < count; i++)
        all[i + 1] = args[i];
    for (int i = 0; i < callee->callable_count && sum; i++) {
        AnnCallable target = callee->callables[i];
        const FlowGraph *graph = annotator->program->graphs[target.graph];
        const Ann *result;
        if (target.bound) {
            all[0] = ann_instance(annotator, graph->class_index, false);
            result = ann_call_graph(annotator, target.graph, all, count + 1, pos, true);
        } else {
            result = ann_call_graph(annotator, target.graph, args, count, pos, false);
        }
        sum = ann_join_results(annotator, sum, result, pos);
    }
    return sum;
}

int ann_method_targets(Annotator *annotator, int class_index, const char *name, AnnGraphList *out) {
    const FlowProgram *program = annotator->program;
    int found = 0;
    int resolved = flow_class_find_method(program, class_index, name);
    if (resolved >= 0) {
        vec_push(out, resolved);
        found++;
    }
    for (const int *sub = annotator->subclasses[class_index]; *sub >= 0; sub++) {
        const FlowClass *class = &program->classes[*sub];
        for (int m = 0; m < class->method_count; m++)
            if (class->methods[m].name == name) {
                vec_push(out, class->methods[m].graph);
                found++;
            }
    }
    return found;
}

static void ann_no_member(Annotator *annotator, SrcPos pos, int class_index, const char *name,
                          const char *what) {
    const FlowProgram *program = annotator->program;
    AnnGraphList targets = {0};
    ann_method_targets(annotator, class_index, name, &targets);
    if (targets.count > 0)
        ann_op_error(annotator, pos,
                     "class '%s' has no %s '%s' (only its subclass '%s' defines it: cast with "
                     "`as`)",
                     program->classes[class_index].name, what, name,
                     program->classes[program->graphs[targets.items[0]]->class_index].name);
    else
        ann_op_error(annotator, pos, "class '%s' has no %s '%s'",
                     program->classes[class_index].name, what, name);
    vec_free(&targets);
}

const Ann *ann_call_method(Annotator *annotator, const FlowOp *op, const Ann **args, int count) {
    const Ann *receiver = args[0];
    if (receiver->kind == ANN_NULL) {
        ann_op_error(annotator, op->pos,
                     "cannot call method '%s' on null: the receiver is null on every path",
                     op->name);
        return NULL;
    }
    if (receiver->kind != ANN_INSTANCE) return ann_builtin_method(annotator, op, args, count);
    const FlowProgram *program = annotator->program;
    if (flow_class_find_method(program, receiver->class_index, op->name) < 0) {
        int slot = ann_field_slot(annotator, receiver->class_index, op->name);
        if (slot < 0) {
            ann_no_member(annotator, op->pos, receiver->class_index, op->name, "method");
            return NULL;
        }
        /* A field that holds a function: call its value. */
        ann_read(annotator, &annotator->fields.items[slot].readers);
        const Ann *value = annotator->fields.items[slot].slot.ann;
        if (value->kind == ANN_BOTTOM) return value;
        return ann_call_value(annotator, value, args + 1, count - 1, op->pos);
    }
    AnnGraphList targets = {0};
    ann_method_targets(annotator, receiver->class_index, op->name, &targets);
    const Ann *sum = ann_simple(annotator, ANN_BOTTOM);
    for (int i = 0; i < targets.count && sum; i++) {
        const Ann *result = ann_call_graph(annotator, targets.items[i], args, count, op->pos, true);
        sum = ann_join_results(annotator, sum, result, op->pos);
    }
    vec_free(&targets);
    return sum;
}

const Ann *ann_getattr(Annotator *annotator, const FlowOp *op, const Ann *object) {
    if (object->kind == ANN_NULL) {
        ann_op_error(annotator, op->pos,
                     "cannot read '%s' of null: the value is null on every path", op->name);
        return NULL;
    }
    if (object->kind != ANN_INSTANCE) {
        ann_op_error(annotator, op->pos, "`%s` has no field '%s'", ann_to_string(annotator, object),
                     op->name);
        return NULL;
    }
    int slot = ann_field_slot(annotator, object->class_index, op->name);
    if (slot >= 0) {
        ann_read(annotator, &annotator->fields.items[slot].readers);
        return annotator->fields.items[slot].slot.ann;
    }
    if (flow_class_find_method(annotator->program, object->class_index, op->name) < 0) {
        ann_no_member(annotator, op->pos, object->class_index, op->name, "field or method");
        return NULL;
    }
    AnnGraphList targets = {0};
    ann_method_targets(annotator, object->class_index, op->name, &targets);
    AnnCallable callables[targets.count];
    for (int i = 0; i < targets.count; i++)
        callables[i] = (AnnCallable){targets.items[i], true};
    const Ann *result = ann_function(annotator, callables, targets.count);
    vec_free(&targets);
    return result;
}
