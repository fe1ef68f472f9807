/* check.c - the annotate stage in the pipeline: `kiln check FILE`,
 * `kiln annotate --dump FILE` and `kiln flow --dot --types FILE`.
 *
 * The global initializers have run in the graph interpreter before this
 * stage (their values are the prebuilt constants the annotator types);
 * the caller owns that interpreter and may go on to run main with it.
 */
#include <stdio.h>

#include "../annotate/annotate.h"
#include "../interp/interp.h"
#include "driver.h"

int driver_annotate(DriverSession *session, const DriverOptions *options, DriverStage last,
                    Interp *interp) {
    Annotator *annotator = ann_create(session->flow, &session->diag);
    int errors = ann_run(annotator, interp);
    int status = errors > 0 ? 1 : 0;
#ifdef KILN_DEBUG
    bool verify = true;
#else
    bool verify = options->verify;
#endif
    if (status == 0 && verify && ann_verify(annotator, stderr) > 0) {
        diag_plain_error(&session->diag, "a variable has no type after annotation (an internal "
                                         "error)");
        status = 70;
    }
    bool dumping = status == 0 && last == STAGE_ANNOTATE;
    if (dumping && options->dot)
        ann_dot(stdout, annotator);
    else if (dumping && options->dump)
        ann_dump(stdout, annotator);
    ann_destroy(annotator);
    return status;
}
