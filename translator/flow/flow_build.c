/* flow_build.c - the flow stage: every function and method of a parsed
 * program becomes a flow graph (flow.h).
 *
 * Expects: an AstProgram whose modules include the prelude (see
 * flow_parse_program).  Produces: a FlowProgram with one graph per
 * function, method and extern, one graph that runs the global initializers,
 * and the class, global and jitdriver tables.  Reports: duplicate and unknown
 * names, bad class hierarchies, bad attributes, misplaced break/continue,
 * non-constant case labels.  Type errors are the annotator's business.
 */
#include <string.h>

#include "../parse/parse.h"
#include "flow_build.h"

typedef Vec(FlowGraph *) GraphVec;
typedef Vec(const Decl *) DeclVec;
typedef Vec(FlowGlobal) GlobalVec;
typedef Vec(FlowJitDriver) DriverVec;

static FlowGraph *fb_new_graph(FlowBuilder *builder, GraphVec *graphs, FlowGraphKind kind,
                               const char *name, SrcPos pos) {
    FlowGraph *graph = ARENA_NEW(&builder->program->arena, FlowGraph);
    graph->index = graphs->count;
    graph->kind = kind;
    graph->name = name;
    graph->class_index = -1;
    graph->pos = pos;
    vec_push(graphs, graph);
    return graph;
}

/* The single namespace of top-level names: report a second definition. */
static bool fb_claim_name(FlowBuilder *builder, Map *seen, const char *name, SrcPos pos) {
    SrcPos *previous = map_get(seen, name, strlen(name));
    if (previous) {
        char where[512];
        diag_error(builder->diag, pos, "'%s' is already defined", name);
        diag_note(builder->diag, "previous definition at %s",
                  diag_format_pos(builder->diag, *previous, where, sizeof where));
        return false;
    }
    SrcPos *copy = arena_memdup(&builder->program->arena, &pos, sizeof pos);
    map_put(seen, name, strlen(name), copy);
    return true;
}

static unsigned fb_fn_attributes(FlowBuilder *builder, const FnDecl *fn) {
    unsigned flags = 0;
    for (int i = 0; i < fn->attribute_count; i++) {
        const Attribute *attribute = &fn->attributes[i];
        const char *name = attribute->name;
        if (strcmp(name, "elidable") == 0)
            flags |= FLOW_ATTR_ELIDABLE;
        else if (strcmp(name, "unroll_safe") == 0)
            flags |= FLOW_ATTR_UNROLL_SAFE;
        else if (strcmp(name, "dont_look_inside") == 0)
            flags |= FLOW_ATTR_DONT_LOOK_INSIDE;
        else if (strcmp(name, "specialize") == 0)
            flags |= FLOW_ATTR_SPECIALIZE;
        else if (strcmp(name, "virtualizable") == 0)
            diag_error(builder->diag, attribute->pos,
                       "@virtualizable applies to classes, not functions");
        else
            diag_error(builder->diag, attribute->pos,
                       "unknown attribute '@%s'; expected @elidable, @unroll_safe, "
                       "@dont_look_inside or @specialize",
                       name);
    }
    return flags;
}

typedef struct ClassSource {
    const Decl *decl;
    bool resolved; /* fields and depth computed */
    bool visiting; /* on the resolution path: a cycle if seen again */
} ClassSource;

static void fb_resolve_class(FlowBuilder *builder, ClassSource *sources, int index);

static void fb_class_fields(FlowBuilder *builder, ClassSource *sources, int index) {
    FlowClass *class_info = &builder->program->classes[index];
    const Decl *decl = sources[index].decl;
    Vec(FlowField) fields = {0};
    if (class_info->base >= 0) {
        const FlowClass *base = &builder->program->classes[class_info->base];
        for (int i = 0; i < base->field_count; i++)
            vec_push(&fields, base->fields[i]);
        class_info->depth = base->depth + 1;
        class_info->is_exception = base->is_exception;
    }
    for (int i = 0; i < decl->field_count; i++) {
        const FieldDecl *field = &decl->fields[i];
        bool duplicate = false;
        for (int j = 0; j < fields.count; j++)
            if (fields.items[j].name == field->name) duplicate = true;
        if (duplicate) {
            diag_error(builder->diag, field->pos,
                       "field '%s' is already defined in '%s' or a base class", field->name,
                       decl->name);
            continue;
        }
        FlowField flow_field = {field->name, field->type, field->pos};
        vec_push(&fields, flow_field);
    }
    class_info->field_count = fields.count;
    class_info->fields = vec_freeze(&builder->program->arena, &fields);
    vec_free(&fields);
}

static void fb_resolve_class(FlowBuilder *builder, ClassSource *sources, int index) {
    if (sources[index].resolved) return;
    FlowClass *class_info = &builder->program->classes[index];
    const Decl *decl = sources[index].decl;
    if (sources[index].visiting) {
        diag_error(builder->diag, decl->base_pos, "class '%s' inherits from itself", decl->name);
        class_info->base = -1;
    }
    sources[index].visiting = true;
    if (class_info->base >= 0) fb_resolve_class(builder, sources, class_info->base);
    fb_class_fields(builder, sources, index);
    sources[index].resolved = true;
    sources[index].visiting = false;
}

static void fb_class_virtualizable(FlowBuilder *builder, FlowClass *class_info, const Decl *decl) {
    for (int i = 0; i < decl->fn.attribute_count; i++) {
        const Attribute *attribute = &decl->fn.attributes[i];
        if (strcmp(attribute->name, "virtualizable") != 0) {
            diag_error(builder->diag, attribute->pos,
                       "unknown class attribute '@%s'; expected @virtualizable(field, ...)",
                       attribute->name);
            continue;
        }
        for (int j = 0; j < attribute->arg_count; j++)
            if (flow_class_find_field(builder->program, class_info->index, attribute->args[j]) < 0)
                diag_error(builder->diag, attribute->pos,
                           "@virtualizable names '%s', which is not a field of '%s'",
                           attribute->args[j], class_info->name);
        class_info->virtualizable = attribute->args;
        class_info->virtualizable_count = attribute->arg_count;
    }
}

/* Pass 1: claim every top-level name and create graphs, classes, globals, drivers. */
static void fb_declare_all(FlowBuilder *builder, const AstProgram *ast, GraphVec *graphs,
                           DeclVec *class_decls, GlobalVec *globals, DriverVec *drivers,
                           Map *seen) {
    FlowProgram *program = builder->program;
    /* Imported modules first, so their globals are initialized before their users'. */
    for (int m = ast->module_count - 1; m >= 0; m--) {
        const AstModule *module = ast->modules[m];
        for (int d = 0; d < module->decl_count; d++) {
            const Decl *decl = module->decls[d];
            if (decl->kind == DECL_IMPORT) continue;
            if (!fb_claim_name(builder, seen, decl->name, decl->name_pos)) continue;
            intptr_t key;
            switch (decl->kind) {
            case DECL_FN:
            case DECL_EXTERN: {
                FlowGraph *graph =
                    fb_new_graph(builder, graphs,
                                 decl->kind == DECL_FN ? FLOW_GRAPH_FUNCTION : FLOW_GRAPH_EXTERN,
                                 decl->name, decl->name_pos);
                graph->decl = &decl->fn;
                graph->param_count = decl->fn.param_count;
                graph->c_name = decl->fn.c_name;
                graph->attributes = fb_fn_attributes(builder, &decl->fn);
                key = graph->index + 1;
                map_put(&program->graph_by_name, decl->name, strlen(decl->name), (void *)key);
                break;
            }
            case DECL_CLASS:
                vec_push(class_decls, decl);
                key = class_decls->count;
                map_put(&program->class_by_name, decl->name, strlen(decl->name), (void *)key);
                break;
            case DECL_VAR:
            case DECL_CONST: {
                FlowGlobal global = {globals->count, decl->name, decl->kind == DECL_CONST,
                                     decl->type, decl->name_pos};
                vec_push(globals, global);
                vec_push(&builder->global_inits, decl->init);
                key = globals->count;
                map_put(&builder->global_by_name, decl->name, strlen(decl->name), (void *)key);
                break;
            }
            case DECL_JITDRIVER: {
                FlowJitDriver driver = {decl->name, decl->greens,    decl->green_count,
                                        decl->reds, decl->red_count, decl->pos};
                vec_push(drivers, driver);
                key = drivers->count;
                map_put(&builder->driver_by_name, decl->name, strlen(decl->name), (void *)key);
                break;
            }
            case DECL_IMPORT: break;
            }
        }
    }
}

/* Pass 2: class hierarchy, fields and method graphs. */
static void fb_build_classes(FlowBuilder *builder, DeclVec *class_decls, GraphVec *graphs) {
    FlowProgram *program = builder->program;
    program->class_count = class_decls->count;
    program->classes = ARENA_NEW_ARRAY(&program->arena, FlowClass, class_decls->count + 1);
    ClassSource *sources = kiln_xcalloc((size_t)class_decls->count + 1, sizeof(ClassSource));
    for (int i = 0; i < class_decls->count; i++) {
        const Decl *decl = class_decls->items[i];
        FlowClass *class_info = &program->classes[i];
        sources[i].decl = decl;
        class_info->index = i;
        class_info->name = decl->name;
        class_info->pos = decl->name_pos;
        class_info->base = -1;
        if (decl->base_name) {
            class_info->base = flow_find_class(program, decl->base_name);
            if (class_info->base < 0)
                diag_error(builder->diag, decl->base_pos, "unknown base class '%s'",
                           decl->base_name);
        }
    }
    program->exception_class = flow_find_class(
        program, builder->interns ? intern_cstr(builder->interns, "Exception") : "Exception");
    if (program->exception_class >= 0)
        program->classes[program->exception_class].is_exception = true;
    for (int i = 0; i < class_decls->count; i++)
        fb_resolve_class(builder, sources, i);
    for (int i = 0; i < class_decls->count; i++) {
        const Decl *decl = class_decls->items[i];
        FlowClass *class_info = &program->classes[i];
        fb_class_virtualizable(builder, class_info, decl);
        class_info->method_count = decl->method_count;
        class_info->methods = ARENA_NEW_ARRAY(&program->arena, FlowMethod, decl->method_count + 1);
        for (int j = 0; j < decl->method_count; j++) {
            const FnDecl *method = &decl->methods[j];
            for (int k = 0; k < j; k++)
                if (decl->methods[k].name == method->name)
                    diag_error(builder->diag, method->name_pos,
                               "method '%s' is already defined in '%s'", method->name, decl->name);
            const char *name = intern_cstr(
                builder->interns, arena_printf(&program->arena, "%s.%s", decl->name, method->name));
            FlowGraph *graph =
                fb_new_graph(builder, graphs, FLOW_GRAPH_METHOD, name, method->name_pos);
            graph->decl = method;
            graph->class_index = i;
            graph->param_count = method->param_count + 1;
            graph->attributes = fb_fn_attributes(builder, method);
            class_info->methods[j].name = method->name;
            class_info->methods[j].graph = graph->index;
        }
    }
    free(sources);
}

static void fb_init_graph_builder(GraphBuilder *graph_builder, FlowBuilder *builder,
                                  FlowGraph *graph) {
    memset(graph_builder, 0, sizeof *graph_builder);
    graph_builder->program_builder = builder;
    graph_builder->graph = graph;
    graph_builder->this_slot = -1;
    gb_new_block(graph_builder, graph->pos); /* 0: start */
    graph->return_block = gb_new_block(graph_builder, graph->pos);
    graph->except_block = gb_new_block(graph_builder, graph->pos);
}

static void fb_finish_graph(GraphBuilder *graph_builder, SrcPos end) {
    if (gb_reachable(graph_builder)) {
        gb_assign(graph_builder, graph_builder->return_slot,
                  gb_const_simple(graph_builder, FLOW_CONST_VOID), end);
        gb_goto(graph_builder, graph_builder->graph->return_block);
    }
    flow_ssa_finish(graph_builder);
    vec_free(&graph_builder->slots);
    vec_free(&graph_builder->consts);
    vec_free(&graph_builder->locals);
    vec_free(&graph_builder->handlers);
    vec_free(&graph_builder->jumps);
    for (int i = 0; i < graph_builder->blocks.count; i++) {
        vec_free(&graph_builder->blocks.items[i].ops);
        vec_free(&graph_builder->blocks.items[i].exits);
    }
    vec_free(&graph_builder->blocks);
}

static void fb_prepare_exits(GraphBuilder *graph_builder, SrcPos pos) {
    graph_builder->return_slot = gb_new_slot(graph_builder, NULL, NULL, pos);
    graph_builder->except_slot = gb_new_slot(graph_builder, NULL, NULL, pos);
    graph_builder->blocks.items[graph_builder->graph->return_block].fixed_input =
        graph_builder->return_slot;
    graph_builder->blocks.items[graph_builder->graph->except_block].fixed_input =
        graph_builder->except_slot;
    graph_builder->current = 0;
}

static void fb_build_function(FlowBuilder *builder, FlowGraph *graph) {
    GraphBuilder graph_builder;
    fb_init_graph_builder(&graph_builder, builder, graph);
    const FnDecl *fn = graph->decl;
    if (graph->kind == FLOW_GRAPH_METHOD) {
        graph_builder.this_slot =
            gb_new_slot(&graph_builder, builder->name_this, NULL, fn->name_pos);
    }
    for (int i = 0; i < fn->param_count; i++) {
        const Param *param = &fn->params[i];
        for (int j = 0; j < i; j++)
            if (fn->params[j].name == param->name)
                diag_error(builder->diag, param->pos, "parameter '%s' is declared twice",
                           param->name);
        int32_t slot = gb_new_slot(&graph_builder, param->name, param->type, param->pos);
        LocalBinding binding = {param->name, slot};
        vec_push(&graph_builder.locals, binding);
    }
    fb_prepare_exits(&graph_builder, fn->name_pos);
    fb_stmt(&graph_builder, fn->body);
    fb_finish_graph(&graph_builder, fn->end_pos);
}

static void fb_build_global_init(FlowBuilder *builder, FlowGraph *graph) {
    GraphBuilder graph_builder;
    fb_init_graph_builder(&graph_builder, builder, graph);
    fb_prepare_exits(&graph_builder, graph->pos);
    for (int i = 0; i < builder->program->global_count; i++) {
        const Expr *init = builder->global_inits.items[i];
        if (!init) continue;
        FlowValue value = fb_expr(&graph_builder, init);
        gb_emit(&graph_builder, FLOW_OP_SETGLOBAL, i, NULL, &value, 1, init->pos);
    }
    fb_finish_graph(&graph_builder, graph->pos);
}

static void fb_check_main(FlowBuilder *builder) {
    FlowProgram *program = builder->program;
    program->main_graph = flow_find_graph(program, "main");
    if (program->main_graph < 0) return;
    const FlowGraph *main_graph = program->graphs[program->main_graph];
    if (main_graph->kind != FLOW_GRAPH_FUNCTION || main_graph->param_count > 1) {
        diag_error(builder->diag, main_graph->pos,
                   "'main' must be a function with no parameter or one (the argument list)");
        program->main_graph = -1;
    }
}

FlowProgram *flow_build_program(const AstProgram *ast, InternTable *interns, DiagContext *diag) {
    FlowProgram *program = kiln_xcalloc(1, sizeof(FlowProgram));
    arena_init(&program->arena);
    program->interns = interns;
    program->diag = diag;
    map_init(&program->graph_by_name);
    map_init(&program->class_by_name);
    FlowBuilder builder = {0};
    builder.program = program;
    builder.diag = diag;
    builder.interns = interns;
    builder.name_this = intern_cstr(interns, "this");
    builder.name_init = intern_cstr(interns, "init");
    builder.name_range = intern_cstr(interns, "range");
    builder.name_str_builder = intern_cstr(interns, "StrBuilder");
    map_init(&builder.global_by_name);
    map_init(&builder.driver_by_name);

    GraphVec graphs = {0};
    DeclVec class_decls = {0};
    GlobalVec globals = {0};
    DriverVec drivers = {0};
    Map seen;
    map_init(&seen);
    fb_declare_all(&builder, ast, &graphs, &class_decls, &globals, &drivers, &seen);
    map_free(&seen);
    program->global_count = globals.count;
    program->globals = vec_freeze(&program->arena, &globals);
    program->jitdriver_count = drivers.count;
    program->jitdrivers = vec_freeze(&program->arena, &drivers);
    fb_build_classes(&builder, &class_decls, &graphs);
    FlowGraph *init = fb_new_graph(&builder, &graphs, FLOW_GRAPH_GLOBAL_INIT,
                                   intern_cstr(interns, "<globals>"), (SrcPos){0});
    program->global_init_graph = init->index;
    program->graph_count = graphs.count;
    program->graphs = vec_freeze(&program->arena, &graphs);
    fb_check_main(&builder);

    for (int i = 0; i < program->graph_count; i++) {
        FlowGraph *graph = program->graphs[i];
        if (graph->kind == FLOW_GRAPH_FUNCTION || graph->kind == FLOW_GRAPH_METHOD)
            fb_build_function(&builder, graph);
    }
    fb_build_global_init(&builder, init);

    vec_free(&graphs);
    vec_free(&class_decls);
    vec_free(&globals);
    vec_free(&drivers);
    vec_free(&builder.global_inits);
    map_free(&builder.global_by_name);
    map_free(&builder.driver_by_name);
    return program;
}

void flow_program_free(FlowProgram *program) {
    if (!program) return;
    map_free(&program->graph_by_name);
    map_free(&program->class_by_name);
    arena_free(&program->arena);
    free(program);
}

int flow_find_graph(const FlowProgram *program, const char *name) {
    return (int)(intptr_t)map_get(&program->graph_by_name, name, strlen(name)) - 1;
}

int flow_find_class(const FlowProgram *program, const char *name) {
    return (int)(intptr_t)map_get(&program->class_by_name, name, strlen(name)) - 1;
}

int flow_class_find_method(const FlowProgram *program, int class_index, const char *name) {
    for (int index = class_index; index >= 0; index = program->classes[index].base) {
        const FlowClass *class_info = &program->classes[index];
        for (int i = 0; i < class_info->method_count; i++)
            if (strcmp(class_info->methods[i].name, name) == 0) return class_info->methods[i].graph;
    }
    return -1;
}

int flow_class_find_field(const FlowProgram *program, int class_index, const char *name) {
    const FlowClass *class_info = &program->classes[class_index];
    for (int i = 0; i < class_info->field_count; i++)
        if (strcmp(class_info->fields[i].name, name) == 0) return i;
    return -1;
}

bool flow_class_is_subclass(const FlowProgram *program, int class_index, int base_index) {
    for (int index = class_index; index >= 0; index = program->classes[index].base)
        if (index == base_index) return true;
    return false;
}
