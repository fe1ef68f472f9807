/* test_pipeline_support.h - Kiln C text through the translator's stages, for
 * the rtype and transform suites.
 *
 *   source text ──parse──▶ ──flow──▶ ──globals (graph interpreter)──▶
 *   ──annotate──▶ ──rtype──▶ ──transform──▶
 *
 * Each builder runs the stages as `kiln build` does, up to the one it
 * names, and fails the calling Check test when an earlier stage reports an
 * error (the text a test gives is meant to be a valid program up to the
 * stage under test).  Diagnostics go to a memory stream, readable with
 * test_pipeline_messages; what the global initializers print goes to
 * another one, so that the test output stays quiet.
 *
 * Finders locate operations by their flow or low-level opcode in the
 * reached blocks of one annotated function, in block order, so that tests
 * name what they look at instead of hard-coding block and operation indices.
 */
#ifndef KILN_TEST_PIPELINE_SUPPORT_H
#define KILN_TEST_PIPELINE_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "annotate/annotate.h"
#include "common/arena.h"
#include "common/diag.h"
#include "common/intern.h"
#include "flow/flow.h"
#include "interp/interp.h"
#include "rtype/low.h"
#include "rtype/rtype.h"
#include "transform/transform.h"

typedef struct TestPipeline {
    Arena arena; /* the source text and the AST */
    InternTable interns;
    DiagContext diag;
    char *messages; /* every diagnostic, as the driver prints them */
    size_t messages_size;
    char *output; /* what the global initializers printed */
    size_t output_size;
    FILE *output_stream;
    FlowProgram *flow;
    Interp *interp; /* holds the globals' values the annotator typed */
    Annotator *annotator;
    RtypeProgram *rtype;         /* NULL before the rtype stage */
    TransformProgram *transform; /* NULL before the transform stage */
} TestPipeline;

/* Parses `text` as t.kc, builds the flow graphs, runs the global
 * initializers and annotates; every step must succeed. */
TestPipeline *test_pipeline_annotate(const char *text);
/* ... then rtype, which must report no error. */
TestPipeline *test_pipeline_rtype(const char *text);
/* ... then rtype, which must report at least one error (read them with
 * test_pipeline_messages and ->rtype->errors). */
TestPipeline *test_pipeline_rtype_errors(const char *text);
/* ... then rtype without errors, then the transforms. */
TestPipeline *test_pipeline_transform(const char *text);
void test_pipeline_free(TestPipeline *pipeline);

/* The diagnostics reported so far (NUL-terminated). */
const char *test_pipeline_messages(TestPipeline *pipeline);

/* The graph named `name` ("f" or "Class.method"); fails when absent. */
const FlowGraph *test_pipeline_graph(const TestPipeline *pipeline, const char *name);
/* The first annotated copy of the graph named `name`; fails when the
 * annotator never reached it. */
int test_pipeline_func(const TestPipeline *pipeline, const char *name);
/* The class named `name`; fails when absent. */
int test_pipeline_class(const TestPipeline *pipeline, const char *name);
/* The variable that holds parameter `index` of copy `func` (the start
 * block's input). */
int test_pipeline_param(const TestPipeline *pipeline, int func, int index);

/* One operation of an annotated function, at every stage that ran. */
typedef struct TestOpSite {
    int func;
    int block;
    int index;
    const FlowOp *op;
    const RtypeOp *low;          /* NULL before rtype */
    const TransformOp *decision; /* NULL before transform */
} TestOpSite;

/* The `nth` (from 0) operation of `func` whose flow opcode is `opcode`,
 * among its reached blocks in block order; fails the test when there are
 * fewer.  Needs the rtype stage for ->low. */
TestOpSite test_pipeline_flow_op(const TestPipeline *pipeline, int func, FlowOpcode opcode,
                                 int nth);
/* The same by low-level opcode; needs the rtype stage. */
TestOpSite test_pipeline_low_op(const TestPipeline *pipeline, int func, RtypeOpcode opcode,
                                int nth);
/* How many operations of `func`'s reached blocks were lowered to `opcode`. */
int test_pipeline_count_low(const TestPipeline *pipeline, int func, RtypeOpcode opcode);
/* Whether the transform spills variable `var` around the site's operation. */
bool test_pipeline_spills(const TestOpSite *site, int var);

/* rtype_dump and transform_dump into a malloc'd string (free it). */
char *test_pipeline_rtype_dump(const TestPipeline *pipeline);
char *test_pipeline_transform_dump(const TestPipeline *pipeline);

/* Low-level graphs (translator/rtype/low.h). */
/* lower_program of the pipeline's transform stage, which must verify. */
LowProgram *test_pipeline_lower(TestPipeline *pipeline);
/* Fails the test, with low_verify's messages, unless `low` verifies. */
void test_low_verifies(const LowProgram *low);
/* The function whose Kiln C name is `name`; fails the test when absent. */
const LowFunc *test_low_function(const LowProgram *low, const char *name);
/* low_dump of that one function (a malloc'd string; free it). */
char *test_low_function_dump(const LowProgram *low, const char *name);
/* A new program with one function f(r0: i64) -> i64 being built: block 0
 * is the builder's current block. */
typedef struct TestLowBuilt {
    LowProgram *program;
    LowBuilder builder;
    LowFunc *func;
} TestLowBuilt;
TestLowBuilt test_low_built(void);
/* How many times `needle` occurs in `text`. */
int test_count_of(const char *text, const char *needle);

#endif
