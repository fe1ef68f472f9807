/* flow_prelude.c - the built-in classes of Kiln C, written in Kiln C.
 *
 * The prelude is parsed as one more module of every program, so the
 * exception classes are ordinary classes to every stage: they are built,
 * annotated and translated like the user's own. */
#include "flow.h"

const char flow_prelude_path[] = "<prelude>";

const char flow_prelude_source[] = "// The root of every exception: language.md section 7.\n"
                                   "class Exception {\n"
                                   "    var message: str;\n"
                                   "    fn init(message: str) { this.message = message; }\n"
                                   "}\n"
                                   "class ValueError : Exception {}\n"
                                   "class IndexError : Exception {}\n"
                                   "class KeyError : Exception {}\n"
                                   "class TypeError : Exception {}\n"
                                   "class ZeroDivisionError : Exception {}\n"
                                   "class OverflowError : Exception {}\n"
                                   "class NullError : Exception {}\n"
                                   "class IOError : Exception {}\n"
                                   "class AssertionError : Exception {}\n"
                                   "class MemoryError : Exception {}\n";
