/* test_pipeline_support.c - the stages run in the order of `kiln build`
 * (driver/build.c); see test_pipeline_support.h. */
#include "test_pipeline_support.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse.h"
#include "rtype/low.h"
#include "transform/lower.h"

typedef enum TestPipelineStage {
    TEST_PIPELINE_ANNOTATE,
    TEST_PIPELINE_RTYPE,
    TEST_PIPELINE_RTYPE_ERRORS,
    TEST_PIPELINE_TRANSFORM,
} TestPipelineStage;

static TestPipeline *test_pipeline_build(const char *text, TestPipelineStage stage) {
    TestPipeline *pipeline = calloc(1, sizeof *pipeline);
    ck_assert_ptr_nonnull(pipeline);
    arena_init(&pipeline->arena);
    intern_init(&pipeline->interns, &pipeline->arena);
    diag_init(&pipeline->diag);
    pipeline->diag.out = open_memstream(&pipeline->messages, &pipeline->messages_size);
    pipeline->output_stream = open_memstream(&pipeline->output, &pipeline->output_size);
    ParseContext context = {&pipeline->arena, &pipeline->interns, &pipeline->diag, NULL, 0};
    AstProgram *ast = flow_parse_program(&context, "t.kc", text, (int)strlen(text));
    ck_assert_ptr_nonnull(ast);
    ck_assert_msg(pipeline->diag.errors == 0, "parse: %s", test_pipeline_messages(pipeline));
    pipeline->flow = flow_build_program(ast, &pipeline->interns, &pipeline->diag);
    ck_assert_msg(pipeline->diag.errors == 0, "flow: %s", test_pipeline_messages(pipeline));
    ck_assert_int_eq(flow_verify_program(pipeline->flow, stderr), 0);
    InterpOptions options = {0};
    options.stdout_stream = pipeline->output_stream;
    options.stderr_stream = pipeline->output_stream;
    pipeline->interp = interp_create(pipeline->flow, &pipeline->diag, &options);
    ck_assert_int_eq(interp_run_globals(pipeline->interp), 0);
    pipeline->annotator = ann_create(pipeline->flow, &pipeline->diag);
    int errors = ann_run(pipeline->annotator, pipeline->interp);
    ck_assert_msg(errors == 0, "annotate: %s", test_pipeline_messages(pipeline));
    ck_assert_int_eq(ann_verify(pipeline->annotator, stderr), 0);
    if (stage == TEST_PIPELINE_ANNOTATE) return pipeline;
    pipeline->rtype = rtype_program(pipeline->flow, pipeline->annotator, &pipeline->diag);
    ck_assert_ptr_nonnull(pipeline->rtype);
    if (stage == TEST_PIPELINE_RTYPE_ERRORS) {
        ck_assert_int_gt(pipeline->rtype->errors, 0);
        return pipeline;
    }
    ck_assert_msg(pipeline->rtype->errors == 0, "rtype: %s", test_pipeline_messages(pipeline));
    if (stage == TEST_PIPELINE_RTYPE) return pipeline;
    pipeline->transform = transform_program(pipeline->rtype);
    ck_assert_ptr_nonnull(pipeline->transform);
    return pipeline;
}

TestPipeline *test_pipeline_annotate(const char *text) {
    return test_pipeline_build(text, TEST_PIPELINE_ANNOTATE);
}

TestPipeline *test_pipeline_rtype(const char *text) {
    return test_pipeline_build(text, TEST_PIPELINE_RTYPE);
}

TestPipeline *test_pipeline_rtype_errors(const char *text) {
    return test_pipeline_build(text, TEST_PIPELINE_RTYPE_ERRORS);
}

TestPipeline *test_pipeline_transform(const char *text) {
    return test_pipeline_build(text, TEST_PIPELINE_TRANSFORM);
}

void test_pipeline_free(TestPipeline *pipeline) {
    /* later stages borrow from earlier ones: free in reverse order */
    transform_free(pipeline->transform);
    rtype_free(pipeline->rtype);
    if (pipeline->annotator) ann_destroy(pipeline->annotator);
    if (pipeline->interp) interp_destroy(pipeline->interp);
    flow_program_free(pipeline->flow);
    intern_free(&pipeline->interns);
    fclose(pipeline->diag.out);
    pipeline->diag.out = NULL;
    diag_free(&pipeline->diag);
    fclose(pipeline->output_stream);
    free(pipeline->messages);
    free(pipeline->output);
    arena_free(&pipeline->arena);
    free(pipeline);
}

const char *test_pipeline_messages(TestPipeline *pipeline) {
    fflush(pipeline->diag.out);
    return pipeline->messages ? pipeline->messages : "";
}

const FlowGraph *test_pipeline_graph(const TestPipeline *pipeline, const char *name) {
    for (int i = 0; i < pipeline->flow->graph_count; i++)
        if (strcmp(pipeline->flow->graphs[i]->name, name) == 0) return pipeline->flow->graphs[i];
    ck_abort_msg("no graph named %s", name);
    return NULL;
}

int test_pipeline_func(const TestPipeline *pipeline, const char *name) {
    int func = ann_func_of_graph(pipeline->annotator, test_pipeline_graph(pipeline, name)->index);
    ck_assert_msg(func >= 0, "%s was never reached", name);
    return func;
}

int test_pipeline_class(const TestPipeline *pipeline, const char *name) {
    int index = flow_find_class(pipeline->flow, name);
    ck_assert_msg(index >= 0, "no class named %s", name);
    return index;
}

int test_pipeline_param(const TestPipeline *pipeline, int func, int index) {
    const FlowGraph *graph = ann_func_graph(pipeline->annotator, func);
    ck_assert_int_lt(index, graph->param_count);
    return graph->blocks[0].inputs[index];
}

static TestOpSite test_pipeline_site(const TestPipeline *pipeline, int func, int block, int index) {
    const FlowGraph *graph = ann_func_graph(pipeline->annotator, func);
    TestOpSite site = {func, block, index, &graph->blocks[block].ops[index], NULL, NULL};
    if (pipeline->rtype) site.low = &pipeline->rtype->funcs[func].ops[block][index];
    if (pipeline->transform) site.decision = &pipeline->transform->ops[func][block][index];
    return site;
}

/* Visits the operations of func's reached blocks in order; `match` says
 * which count.  Returns the nth match, or a site with op NULL. */
typedef bool (*TestOpMatch)(const FlowOp *op, const RtypeOp *low, int wanted);

static TestOpSite test_pipeline_find(const TestPipeline *pipeline, int func, TestOpMatch match,
                                     int wanted, int nth, int *count) {
    const FlowGraph *graph = ann_func_graph(pipeline->annotator, func);
    TestOpSite none = {func, -1, -1, NULL, NULL, NULL};
    *count = 0;
    for (int block = 0; block < graph->block_count; block++) {
        if (!ann_block_reached(pipeline->annotator, func, block)) continue;
        for (int i = 0; i < graph->blocks[block].op_count; i++) {
            const RtypeOp *low =
                pipeline->rtype ? &pipeline->rtype->funcs[func].ops[block][i] : NULL;
            if (!match(&graph->blocks[block].ops[i], low, wanted)) continue;
            if ((*count)++ == nth) return test_pipeline_site(pipeline, func, block, i);
        }
    }
    return none;
}

static bool test_pipeline_match_flow(const FlowOp *op, const RtypeOp *low, int wanted) {
    (void)low;
    return (int)op->opcode == wanted;
}

static bool test_pipeline_match_low(const FlowOp *op, const RtypeOp *low, int wanted) {
    (void)op;
    return low && (int)low->opcode == wanted;
}

TestOpSite test_pipeline_flow_op(const TestPipeline *pipeline, int func, FlowOpcode opcode,
                                 int nth) {
    int count = 0;
    TestOpSite site =
        test_pipeline_find(pipeline, func, test_pipeline_match_flow, (int)opcode, nth, &count);
    ck_assert_msg(site.op != NULL, "%s has %d %s operations, wanted number %d",
                  ann_func_graph(pipeline->annotator, func)->name, count, flow_op_info[opcode].name,
                  nth);
    return site;
}

TestOpSite test_pipeline_low_op(const TestPipeline *pipeline, int func, RtypeOpcode opcode,
                                int nth) {
    ck_assert_ptr_nonnull(pipeline->rtype);
    int count = 0;
    TestOpSite site =
        test_pipeline_find(pipeline, func, test_pipeline_match_low, (int)opcode, nth, &count);
    ck_assert_msg(site.op != NULL, "%s has %d %s operations, wanted number %d",
                  ann_func_graph(pipeline->annotator, func)->name, count,
                  rtype_op_info[opcode].name, nth);
    return site;
}

int test_pipeline_count_low(const TestPipeline *pipeline, int func, RtypeOpcode opcode) {
    ck_assert_ptr_nonnull(pipeline->rtype);
    int count = 0;
    test_pipeline_find(pipeline, func, test_pipeline_match_low, (int)opcode, -1, &count);
    return count;
}

bool test_pipeline_spills(const TestOpSite *site, int var) {
    ck_assert_ptr_nonnull(site->decision);
    for (int i = 0; i < site->decision->spill_count; i++)
        if (site->decision->spill[i] == var) return true;
    return false;
}

char *test_pipeline_rtype_dump(const TestPipeline *pipeline) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    rtype_dump(out, pipeline->rtype);
    fclose(out);
    return text;
}

char *test_pipeline_transform_dump(const TestPipeline *pipeline) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    transform_dump(out, pipeline->transform);
    fclose(out);
    return text;
}

/* ---- low-level graphs ---------------------------------------------------- */

void test_low_verifies(const LowProgram *low) {
    char *errors = NULL;
    size_t size = 0;
    FILE *stream = open_memstream(&errors, &size);
    int problems = low_verify(low, stream);
    fclose(stream);
    ck_assert_msg(problems == 0, "the low-level graphs do not verify:\n%s", errors);
    free(errors);
}

LowProgram *test_pipeline_lower(TestPipeline *pipeline) {
    ck_assert_ptr_nonnull(pipeline->transform);
    LowProgram *low = lower_program(pipeline->transform);
    ck_assert_ptr_nonnull(low);
    test_low_verifies(low);
    return low;
}

TestLowBuilt test_low_built(void) {
    TestLowBuilt result = {low_program_new(), {0}, NULL};
    LowType params[1] = {LOW_I64};
    result.func = low_func_new(&result.builder, result.program, "f", "f", LOW_I64, params, 1);
    return result;
}

const LowFunc *test_low_function(const LowProgram *low, const char *name) {
    for (int f = 0; f < low->funcs.count; f++)
        if (strcmp(low->funcs.items[f].kiln_name, name) == 0) return &low->funcs.items[f];
    ck_abort_msg("no low-level function for %s", name);
    return NULL;
}

/* low_dump of a program that holds a shallow copy of just that function. */
char *test_low_function_dump(const LowProgram *low, const char *name) {
    LowProgram view = *low;
    view.funcs.items = (LowFunc *)test_low_function(low, name);
    view.funcs.count = 1;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    low_dump(out, &view, NULL);
    fclose(out);
    return text;
}

int test_count_of(const char *text, const char *needle) {
    int count = 0;
    for (const char *at = strstr(text, needle); at; at = strstr(at + 1, needle))
        count++;
    return count;
}
