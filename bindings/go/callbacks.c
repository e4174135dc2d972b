// The C side of the callbacks: liblts calls these trampolines (send results with the
// cgo.Handle value given as user data, stats, log lines), and they hand over to Go.
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

// A log handler's send: liblts calls back only when the delivery failed (the handler counts
// and reports failures), so a delivered batch costs no call into Go.
static void lts_go_failure_trampoline(void *user_data, const lts_send_result *result) {
    ltsGoShipFailed((uintptr_t)user_data, (lts_send_result *)result);
}

lts_result lts_go_send_shipped(lts_producer *p, const char *project, const char *unit, const uint8_t *buf,
                               size_t len, size_t count, uintptr_t handle) {
    return lts_producer_send_packed_on_failure(p, project, unit, buf, len, count, lts_go_failure_trampoline,
                                               (void *)handle);
}

void lts_go_stats_trampoline(void *user_data, const char *json) {
    ltsGoStats((uintptr_t)user_data, (char *)json);
}

void lts_go_set_stats_callback(lts_producer_config *c, uintptr_t handle) {
    lts_producer_config_set_stats_callback(c, lts_go_stats_trampoline, (void *)handle);
}

void lts_go_log_trampoline(void *user_data, int32_t level, const char *message) {
    (void)user_data;
    ltsGoLogLine(level, (char *)message);
}

void lts_go_set_log_hook(int on) {
    lts_set_log_callback(on ? lts_go_log_trampoline : NULL, NULL);
}
