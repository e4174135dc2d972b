//! Fuzz target bodies (driven by `fuzz/` under cargo fuzz, and replayed on stable by
//! `tests/fuzz_replay.rs`). Each takes arbitrary bytes and must never panic or crash.
#![doc(hidden)]

use std::ffi::CString;

use crate::ffi;

/// Packed items: unpack arbitrary bytes; whatever unpacks must encode and decode back equal.
pub fn packed_items(data: &[u8]) {
    let Some((&count, rest)) = data.split_first() else {
        return;
    };
    if let Ok(items) = crate::packed::unpack(rest, usize::from(count)) {
        let refs: Vec<&crate::LogItem> = items.iter().collect();
        if let Ok(batch) = crate::encode::encode(&refs, crate::Compression::Lz4) {
            let raw = lz4_flex::block::decompress(&batch.body, batch.raw_size)
                .expect("our own lz4 decodes");
            let back = <crate::otlp::LogsData as prost::Message>::decode(raw.as_slice())
                .expect("our own protobuf decodes");
            let n: usize = back
                .resource_logs
                .iter()
                .flat_map(|r| &r.scope_logs)
                .map(|s| s.log_records.len())
                .sum();
            assert_eq!(n, items.len());
        }
    }
}

/// The C entry points fed arbitrary strings (split on 0xff; interior bytes may be invalid
/// UTF-8) and values: every call returns a known result and nothing crashes.
pub fn c_entry_points(data: &[u8]) {
    let parts: Vec<CString> = data
        .split(|&b| b == 0xff)
        .map(|p| {
            CString::new(
                p.iter()
                    .map(|&b| if b == 0 { 1 } else { b })
                    .collect::<Vec<u8>>(),
            )
            .expect("no NUL")
        })
        .collect();
    let s = |i: usize| {
        parts
            .get(i % parts.len().max(1))
            .map_or(std::ptr::null(), |c| c.as_ptr())
    };
    let known = |r: i32| assert!(matches!(r, 0..=5 | 100..=106 | 900), "unknown result {r}");
    unsafe {
        let mut item = std::ptr::null_mut();
        known(ffi::log_item::lts_log_item_new(&mut item));
        known(ffi::log_item::lts_log_item_set_origin_msg(item, s(0)));
        known(ffi::log_item::lts_log_item_set_timestamp_ns(
            item,
            data.len() as i64 - 3,
        ));
        known(ffi::log_item::lts_log_item_push_content_str(
            item,
            s(1),
            s(2),
        ));
        known(ffi::log_item::lts_log_item_push_label_str(item, s(3), s(4)));
        known(ffi::log_item::lts_log_item_push_content_f64(
            item,
            s(5),
            f64::from_bits(data.len() as u64 * 0x9e37_79b9),
        ));
        known(ffi::log_item::lts_log_item_push_label_i64(item, s(6), -1));
        known(ffi::log_item::lts_check_key(s(7), true));
        let mut cfg = std::ptr::null_mut();
        let r = ffi::config::lts_client_config_new(s(8), s(9), s(10), s(11), &mut cfg);
        known(r);
        if r == 0 {
            known(ffi::config::lts_client_config_set_profile(
                cfg,
                s(12),
                s(13),
            ));
            known(ffi::config::lts_client_config_set_compress_type(cfg, s(14)));
            known(ffi::config::lts_client_config_set_user_agent(cfg, s(15)));
            known(ffi::config::lts_client_config_set_ca_pem(cfg, s(16)));
        }
        let mut pc = std::ptr::null_mut();
        known(ffi::producer_config::lts_producer_config_new(&mut pc));
        let mut p = std::ptr::null_mut();
        known(ffi::producer::lts_producer_new(pc, &mut p));
        known(ffi::producer::lts_producer_add_client(p, cfg));
        known(ffi::producer::lts_producer_send_packed(
            p,
            s(17),
            s(18),
            data.as_ptr(),
            data.len(),
            usize::from(data.first().copied().unwrap_or(1)),
            None,
            std::ptr::null_mut(),
        ));
        let items = [item as *const _];
        known(ffi::producer::lts_producer_send(
            p,
            s(19),
            s(20),
            items.as_ptr(),
            1,
            None,
            std::ptr::null_mut(),
        ));
        ffi::producer::lts_producer_free(p);
        ffi::producer_config::lts_producer_config_free(pc);
        ffi::config::lts_client_config_free(cfg);
        ffi::log_item::lts_log_item_free(item);
    }
}
