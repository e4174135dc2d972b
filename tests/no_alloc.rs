//! The send path of records allocates nothing per call once warm: a counting allocator sees
//! no allocation over thousands of `lts_producer_send_records` calls (of fresh data, with and
//! without a C callback) that close no batch. Its own process (one test), so nothing else
//! allocates meanwhile: the producer's threads are idle, waiting for a batch.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{c_void, CString};
use std::sync::atomic::{AtomicU64, Ordering};

use lts::ffi::error::LTS_OK;
use lts::ffi::producer::{
    handle_for_tests, lts_producer_free, lts_producer_safe_close, lts_producer_send_records,
};
use lts::ffi::record::{lts_field, lts_record, LTS_FIELD_I64, LTS_FIELD_STR};
use lts::ffi::send_result::lts_send_result;
use lts::producer::{Producer, ProducerConfig};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

unsafe extern "C" fn on_result(_: *mut c_void, _: *const lts_send_result) {}

fn field(key: &'static str, value: &str) -> lts_field {
    lts_field {
        key: key.as_ptr().cast(),
        key_len: key.len(),
        r#type: LTS_FIELD_STR,
        str: value.as_ptr().cast(),
        str_len: value.len(),
        i64: 0,
        f64: 0.0,
    }
}

#[test]
fn sending_records_allocates_nothing_per_call() {
    let mut pc = ProducerConfig::default();
    // One batch holds every send below, and lingers past the test: no batch closes.
    pc.set_batch_count(40960).unwrap();
    pc.set_batch_size_bytes(5 << 20).unwrap();
    pc.set_linger_ms(600_000).unwrap();
    pc.set_worker_count(1).unwrap();
    let p = Producer::new(pc).unwrap();
    let cc = lts::ClientConfig::new("http://127.0.0.1:1", "ak", "sk", "proj")
        .unwrap()
        .sink_for_benchmarks();
    p.add_client(cc).unwrap();
    p.start().unwrap();
    let h = handle_for_tests(p);
    let (project, unit) = (CString::new("proj").unwrap(), CString::new("unit").unwrap());
    let mut path = String::with_capacity(64);
    let send = |i: u64, path: &mut String, callback: bool| {
        use std::fmt::Write;
        path.clear();
        write!(path, "/api/v1/orders/{i:08}").unwrap();
        let contents = [
            field("level", "info"),
            field("path", path),
            lts_field {
                r#type: LTS_FIELD_I64,
                i64: i as i64,
                ..field("seq", "")
            },
        ];
        let labels = [field("user_tag", "string")];
        let r = lts_record {
            timestamp_ns: 1_700_000_000_000_000_000 + i as i64,
            msg: path.as_ptr().cast(),
            msg_len: path.len(),
            contents: contents.as_ptr(),
            contents_len: contents.len(),
            labels: labels.as_ptr(),
            labels_len: 1,
        };
        let cb = callback.then_some(on_result as unsafe extern "C" fn(_, _));
        // SAFETY: a live handle, records pointing at live memory for the call.
        let code = unsafe {
            lts_producer_send_records(
                h,
                project.as_ptr(),
                unit.as_ptr(),
                &r,
                1,
                cb,
                std::ptr::null_mut(),
            )
        };
        assert_eq!(code, LTS_OK);
    };
    // Warm up: the thread's encode buffers, the batch's slot and buffers, the send list.
    for i in 0..20_000 {
        send(i, &mut path, i % 2 == 0);
    }
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for i in 20_000..20_500 {
        send(i, &mut path, i % 2 == 0);
    }
    let during = ALLOCATIONS.load(Ordering::SeqCst) - before;
    assert_eq!(during, 0, "{during} allocations in 500 sends");
    unsafe {
        assert_eq!(lts_producer_safe_close(h), LTS_OK);
        lts_producer_free(h);
    }
}
