#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lts_local::ingest::fuzz_put_body(data);
});
