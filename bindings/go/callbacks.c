// The C side of producer callbacks: liblts calls this trampoline with the cgo.Handle value
// given as user data, and it hands the result to Go.
#include <stdint.h>
#include "lts.h"
#include "_cgo_export.h"

void lts_go_trampoline(void *user_data, const lts_send_result *result) {
    ltsGoSendResult((uintptr_t)user_data, (lts_send_result *)result);
}

// Sends with the handle as user data; no callback when the handle is 0.
lts_result lts_go_send(lts_producer *p, const char *project, const char *unit, const uint8_t *buf,
                       size_t len, size_t count, uintptr_t handle) {
    return lts_producer_send_packed(p, project, unit, buf, len, count, handle ? lts_go_trampoline : NULL,
                                    (void *)handle);
}
