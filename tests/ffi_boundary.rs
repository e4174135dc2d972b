//! Every exported function's body is wrapped in `ffi_boundary!`, so no panic can unwind
//! into C (a single unwrapped export is enough to take a host process down).

use std::path::Path;

#[test]
fn every_export_is_behind_the_panic_boundary() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ffi");
    let mut exports = 0;
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, chunk) in text.split("#[no_mangle]").enumerate().skip(1) {
            let sig_start = chunk.find("extern \"C\" fn ").unwrap_or_else(|| {
                panic!(
                    "{}: #[no_mangle] item {i} is not an extern \"C\" fn",
                    path.display()
                )
            });
            let name: String = chunk[sig_start + 14..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let body = &chunk[chunk[sig_start..].find('{').unwrap() + sig_start + 1..];
            exports += 1;
            if !body.trim_start().starts_with("ffi_boundary!") {
                missing.push(format!("{}: {name}", path.display()));
            }
        }
    }
    assert!(
        exports >= 30,
        "found only {exports} exports: is the scan broken?"
    );
    assert!(
        missing.is_empty(),
        "exports without ffi_boundary!: {missing:#?}"
    );
}

#[test]
fn the_header_declares_every_export() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header = std::fs::read_to_string(root.join("include/lts.h")).unwrap();
    for entry in std::fs::read_dir(root.join("src/ffi")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for chunk in text.split("#[no_mangle]").skip(1) {
            let at = chunk.find("extern \"C\" fn ").unwrap() + 14;
            let name: String = chunk[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            assert!(
                header.contains(&format!(" {name}(")) || header.contains(&format!("*{name}(")),
                "{name} is not in include/lts.h: regenerate it"
            );
        }
    }
}

#[test]
fn a_panic_inside_the_boundary_becomes_internal_error() {
    use lts::ffi::error::{lts_last_error_message, LTS_ERR_INTERNAL};
    let r: i32 = lts::ffi_boundary_for_tests(|| panic!("deliberate"));
    assert_eq!(r, LTS_ERR_INTERNAL);
    let msg = unsafe { std::ffi::CStr::from_ptr(lts_last_error_message()) }
        .to_str()
        .unwrap()
        .to_owned();
    assert!(msg.contains("deliberate"), "{msg}");
    let p: *const u8 = lts::ffi_boundary_for_tests(|| panic!("again"));
    assert!(p.is_null());
}
