/* flow_front.c - parsing a program together with the prelude. */
#include <string.h>

#include "../parse/parse.h"
#include "flow.h"

AstProgram *flow_parse_program(ParseContext *context, const char *path, const char *text,
                               int length) {
    AstProgram *program =
        text ? parse_program_text(context, path, text, length) : parse_program(context, path);
    if (!program) return NULL;
    AstProgram *prelude = parse_program_text(context, flow_prelude_path, flow_prelude_source,
                                             (int)strlen(flow_prelude_source));
    KILN_ASSERT(prelude && prelude->module_count == 1, "the prelude parses into one module");
    AstModule **modules =
        arena_alloc(context->arena, sizeof(AstModule *) * (size_t)(program->module_count + 1));
    memcpy(modules, program->modules, sizeof(AstModule *) * (size_t)program->module_count);
    modules[program->module_count] = prelude->modules[0];
    program->modules = modules;
    program->module_count++;
    return program;
}
