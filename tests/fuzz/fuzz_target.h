/* fuzz_target.h — what every fuzz target defines and the checks they share.
 *
 * A target defines LLVMFuzzerTestOneInput (and may define LLVMFuzzerInitialize).
 * Built with clang and SIGIL_FUZZ=ON it links libFuzzer; otherwise replay_main.c
 * supplies main() and feeds it the corpus files, so CI replays the seeds with gcc.
 *
 * FUZZ_CHECK is not assert(): it stays on in release builds (NDEBUG) and aborts,
 * which libFuzzer reports as a crash and the replay program as a failed test.
 */
#ifndef SIGIL_FUZZ_TARGET_H
#define SIGIL_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Prints where and what failed, then aborts. */
_Noreturn void fuzz_fail(const char *file, int line, const char *what);

#define FUZZ_CHECK(cond)                              \
    do {                                              \
        if (!(cond))                                  \
            fuzz_fail(__FILE__, __LINE__, #cond);     \
    } while (0)

#endif
