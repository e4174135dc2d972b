/*
 * The checks every C and C++ test program shares: CHECK(cond) counts a pass or prints the
 * failed condition with the last error; CHECK_ERR(call, code, needle) checks a call's result
 * and that its last error mentions `needle`; check_summary() prints "N passed, N failed" and
 * gives the exit status.
 */
#ifndef LTS_TEST_CHECK_H
#define LTS_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include "lts.h"

static int passed, failed;

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (cond) {                                                                           \
            passed++;                                                                         \
        } else {                                                                              \
            failed++;                                                                         \
            fprintf(stderr, "%s:%d: FAILED: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
                    lts_last_error_message());                                                \
        }                                                                                     \
    } while (0)

#define CHECK_ERR(call, code, needle)                                                         \
    do {                                                                                      \
        lts_result r_ = (call);                                                               \
        CHECK(r_ == (code));                                                                  \
        if (r_ != (code)) fprintf(stderr, "  got %s\n", lts_result_name(r_));                 \
        if (strstr(lts_last_error_message(), (needle)) == NULL) {                             \
            failed++;                                                                         \
            fprintf(stderr, "%s:%d: FAILED: the last error does not mention \"%s\": %s\n",    \
                    __FILE__, __LINE__, (needle), lts_last_error_message());                  \
        } else {                                                                              \
            passed++;                                                                         \
        }                                                                                     \
    } while (0)

static inline int check_summary(void) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

#endif
