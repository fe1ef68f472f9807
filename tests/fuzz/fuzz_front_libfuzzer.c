/* fuzz_front_libfuzzer.c - the libFuzzer entry point of the front-end
 * harness (fuzz_front.h).  Build with KILN_FUZZ=ON; see README.md. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_front.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_front_run(data, size);
    return 0;
}
