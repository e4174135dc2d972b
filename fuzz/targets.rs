//! Fuzz target bodies, driven by the binaries in `fuzz_targets/` under cargo fuzz and replayed
//! on stable by `tests/fuzz_replay.rs` (both include this file). Each takes arbitrary bytes
//! and must never panic or crash. Not part of the shipped library.
#![allow(dead_code)]

use std::ffi::{c_char, CString};

use lts::ffi;

/// Packed items: unpack arbitrary bytes; whatever unpacks must encode and decode back equal.
pub fn packed_items(data: &[u8]) {
    let Some((&count, rest)) = data.split_first() else {
        return;
    };
    let count = usize::from(count);
    let in_place = lts::packed::PackedLogs::read(rest, count)
        .and_then(|logs| lts::encode::encode(&logs, lts::Compression::Lz4));
    let unpacked = lts::packed::unpack(rest, count);
    // Sending packed items in place and unpacking them into LogItems agree.
    assert_eq!(
        in_place.is_ok(),
        unpacked.as_ref().is_ok_and(|items| {
            let refs: Vec<&lts::LogItem> = items.iter().collect();
            lts::encode::encode(&refs, lts::Compression::Lz4).is_ok()
        })
    );
    if let Ok(items) = unpacked {
        let refs: Vec<&lts::LogItem> = items.iter().collect();
        if let Ok(batch) = lts::encode::encode(&refs, lts::Compression::Lz4) {
            let raw = lts::encode::decompress(&batch.body, lts::Compression::Lz4, batch.raw_size)
                .expect("our own lz4 decodes");
            assert_eq!(raw, {
                let b = in_place.as_ref().expect("same outcome");
                lts::encode::decompress(&b.body, lts::Compression::Lz4, b.raw_size).unwrap()
            });
            let back = <lts::otlp::LogsData as prost::Message>::decode(raw.as_slice())
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

/// Bytes taken off the front of the fuzz input.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }

    /// A (pointer, length) for a string: mostly a word that passes the rules (so accepted
    /// records are common), else a slice of the input itself, NULL with a length, a real
    /// pointer with a length far past 4 GiB (which the library must refuse without reading),
    /// or empty.
    fn string(&mut self) -> (*const c_char, usize) {
        const WORDS: [&str; 8] = [
            "level", "info", "host", "web-01", "k.2", "中文", "x_y-z", "Z9",
        ];
        let b = self.byte();
        match b % 16 {
            0..=10 => {
                let w = WORDS[usize::from(b / 16) % WORDS.len()];
                (w.as_ptr().cast(), w.len())
            }
            11 => (self.0.as_ptr().cast(), (1usize << 33) + 7),
            12 => (std::ptr::null(), 5),
            13 => (std::ptr::null(), 0),
            _ => {
                let n = usize::from(b / 16).min(self.0.len());
                let (s, rest) = self.0.split_at(n);
                self.0 = rest;
                (s.as_ptr().cast(), n)
            }
        }
    }

    /// A timestamp: mostly a real one, sometimes 0 or negative.
    fn timestamp(&mut self) -> i64 {
        match self.byte() {
            b @ 0..=239 => 1_700_000_000_000_000_000 + i64::from(b),
            b => i64::from(b) - 248,
        }
    }
}

/// Records built from arbitrary bytes, pointing into the input (lengths true, or absurd as
/// `Input::string` makes them), through the C API's memory check and the encoder: nothing
/// crashes or reads past what it was given, every refusal is a known kind, and whatever is
/// accepted decodes to exactly the fields given. Returns whether the records were accepted.
pub fn c_records(data: &[u8]) -> bool {
    use ffi::record::{checked_records, lts_field, lts_record};
    let mut input = Input(data);
    let count = usize::from(input.byte() % 4);
    // Arrays stay truthful (a caller's array length is its own to get right); the strings
    // inside do not.
    let mut fields: Vec<Vec<lts_field>> = Vec::new();
    let mut msgs = Vec::new();
    for _ in 0..count * 2 {
        let n = usize::from(input.byte() % 5);
        let list = (0..n)
            .map(|_| {
                let (key, key_len) = input.string();
                let (s, str_len) = input.string();
                let t = input.byte();
                lts_field {
                    key,
                    key_len,
                    // Now and then an unknown type.
                    r#type: if t >= 250 {
                        i32::from(t)
                    } else {
                        i32::from(t % 3)
                    },
                    str: s,
                    str_len,
                    i64: i64::from(input.byte()) - 128,
                    f64: if input.byte() == 0 { f64::NAN } else { 1.5 },
                }
            })
            .collect();
        fields.push(list);
    }
    for _ in 0..count {
        msgs.push((input.string(), input.timestamp()));
    }
    let records: Vec<lts_record> = (0..count)
        .map(|i| {
            let ((msg, msg_len), ts) = msgs[i];
            let (c, l) = (&fields[2 * i], &fields[2 * i + 1]);
            lts_record {
                timestamp_ns: ts,
                msg,
                msg_len,
                contents: if c.is_empty() {
                    std::ptr::null()
                } else {
                    c.as_ptr()
                },
                contents_len: c.len(),
                labels: if l.is_empty() {
                    std::ptr::null()
                } else {
                    l.as_ptr()
                },
                labels_len: l.len(),
            }
        })
        .collect();
    let ptr = if records.is_empty() {
        std::ptr::null()
    } else {
        records.as_ptr()
    };
    // SAFETY: every array is what its length says; strings are real or refused unread.
    let checked = unsafe { checked_records(ptr, records.len()) };
    let encoded = checked.and_then(|r| lts::encode::encode(&r, lts::Compression::None));
    match encoded {
        Err(e) => {
            use lts::ErrorKind::*;
            assert!(
                matches!(
                    e.kind,
                    InvalidArgument | InvalidKey | InvalidValue | TooLarge
                ),
                "{e:?}"
            );
            if count > 0 && e.kind != InvalidArgument {
                assert!(e.message.starts_with("record "), "{}", e.message);
            }
            false
        }
        Ok(batch) => {
            let back = <lts::otlp::LogsData as prost::Message>::decode(batch.body.as_slice())
                .expect("our own protobuf decodes");
            let got: Vec<&lts::otlp::LogRecord> = back
                .resource_logs
                .iter()
                .flat_map(|r| &r.scope_logs)
                .flat_map(|s| &s.log_records)
                .collect();
            assert_eq!(got.len(), count);
            // Logs are grouped by labels, so order may differ: each record must match a
            // distinct decoded one on time, body and every attribute.
            let mut unmatched: Vec<&lts::otlp::LogRecord> = got;
            for r in &records {
                let want = expected_record(r);
                let at = unmatched
                    .iter()
                    .position(|g| **g == want)
                    .unwrap_or_else(|| panic!("accepted record not in the batch: {want:?}"));
                unmatched.swap_remove(at);
            }
            true
        }
    }
}

/// The LogRecord an accepted lts_record must decode to, built from its fields directly.
fn expected_record(r: &ffi::record::lts_record) -> lts::otlp::LogRecord {
    use lts::otlp::{any_value::Value, AnyValue, KeyValue, LogRecord};
    // SAFETY: the record was accepted, so every slice read here is real memory.
    let text = |p: *const c_char, n: usize| unsafe {
        String::from_utf8(std::slice::from_raw_parts(p.cast::<u8>(), n).to_vec()).unwrap()
    };
    let fields = if r.contents_len == 0 {
        &[][..]
    } else {
        unsafe { std::slice::from_raw_parts(r.contents, r.contents_len) }
    };
    LogRecord {
        time_unix_nano: r.timestamp_ns as u64,
        body: Some(AnyValue {
            value: Some(Value::StringValue(text(r.msg, r.msg_len))),
        }),
        attributes: fields
            .iter()
            .map(|f| KeyValue {
                key: text(f.key, f.key_len),
                value: Some(AnyValue {
                    value: Some(match f.r#type {
                        0 => Value::StringValue(text(f.str, f.str_len)),
                        1 => Value::IntValue(f.i64),
                        _ => Value::DoubleValue(f.f64),
                    }),
                }),
            })
            .collect(),
        ..Default::default()
    }
}
