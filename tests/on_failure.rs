//! `lts_producer_send_packed_on_failure`: the callback runs once for a send whose logs were
//! not delivered, and never for one that was delivered; a refused send never calls it.

mod common;

use std::collections::BTreeMap;
use std::ffi::{c_void, CString};
use std::sync::atomic::{AtomicU64, Ordering};

use lts::ffi::error::{LTS_ERR_INVALID_ARGUMENT, LTS_ERR_SERVER, LTS_OK};
use lts::ffi::on_failure::lts_producer_send_packed_on_failure;
use lts::ffi::producer::{handle_for_tests, lts_producer_free, lts_producer_safe_close};
use lts::ffi::send_result::{lts_send_result, lts_send_result_code, lts_send_result_log_count};
use lts::producer::{Producer, ProducerConfig};

/// Calls, and the sum of (code * 1000 + log count) they saw, per test's user data.
struct Seen {
    calls: AtomicU64,
    codes: AtomicU64,
}

unsafe extern "C" fn on_failure(user_data: *mut c_void, r: *const lts_send_result) {
    let seen = &*(user_data as *const Seen);
    seen.calls.fetch_add(1, Ordering::SeqCst);
    let code = lts_send_result_code(r) as u64 * 1000 + lts_send_result_log_count(r) as u64;
    seen.codes.fetch_add(code, Ordering::SeqCst);
}

#[test]
fn only_a_failed_delivery_runs_the_callback() {
    let server = common::server_with(|c| {
        c.projects = Some(BTreeMap::from([(
            "proj".to_owned(),
            vec!["unit".to_owned()],
        )]));
    });
    let mut pc = ProducerConfig::default();
    pc.set_linger_ms(100).unwrap();
    let p = Producer::new(pc).unwrap();
    p.add_client(common::config(&server)).unwrap();
    p.start().unwrap();
    let h = handle_for_tests(p);
    let seen = Seen {
        calls: AtomicU64::new(0),
        codes: AtomicU64::new(0),
    };
    let items: Vec<_> = (0..3).map(common::item).collect();
    let refs: Vec<_> = items.iter().collect();
    let buf = lts::packed::pack(&refs);
    let project = CString::new("proj").unwrap();
    let send = |unit: &str, buf: &[u8], count: usize| {
        let unit = CString::new(unit).unwrap();
        // SAFETY: a live handle; the buffer and names live for the call; `seen` outlives the
        // producer's close, after which no callback runs.
        unsafe {
            lts_producer_send_packed_on_failure(
                h,
                project.as_ptr(),
                unit.as_ptr(),
                buf.as_ptr(),
                buf.len(),
                count,
                Some(on_failure),
                &seen as *const Seen as *mut c_void,
            )
        }
    };
    // Delivered: no callback. A unit the project does not have: refused by the service,
    // one callback with the outcome. Malformed: refused at once, never called back.
    assert_eq!(send("unit", &buf, 3), LTS_OK);
    assert_eq!(send("missing", &buf, 3), LTS_OK);
    assert_eq!(
        send("unit", &buf[..buf.len() - 1], 3),
        LTS_ERR_INVALID_ARGUMENT
    );
    // SAFETY: the handle is live until freed here, once.
    unsafe {
        assert_eq!(lts_producer_safe_close(h), LTS_OK);
        lts_producer_free(h);
    }
    assert_eq!(seen.calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        seen.codes.load(Ordering::SeqCst),
        LTS_ERR_SERVER as u64 * 1000 + 3
    );
    assert_eq!(server.state().logs(Some("proj"), Some("unit")).len(), 3);
}
