//! `cargo run -p xtask -- gen-header [--verify]`
//!
//! Generates `include/lts.h` from `src/ffi/` with the pinned cbindgen. With `--verify` it
//! writes nothing and fails if the committed header differs from what would be generated.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn version_macros(root: &Path) -> String {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("the root package has a version");
    let mut parts = version
        .split('.')
        .map(|p| p.parse::<u32>().expect("numeric version"));
    let (major, minor, patch) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    format!(
        "\n#define LTS_VERSION_MAJOR {major}\n#define LTS_VERSION_MINOR {minor}\n#define LTS_VERSION_PATCH {patch}\n#define LTS_VERSION_STRING \"{version}\"\n"
    )
}

fn generate(root: &Path) -> String {
    let mut config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let extra = version_macros(root);
    config.after_includes = Some(format!(
        "{}{extra}",
        config.after_includes.unwrap_or_default()
    ));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("UTF-8 header")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verify = args.iter().any(|a| a == "--verify");
    if args.first().map(String::as_str) != Some("gen-header") {
        eprintln!("usage: cargo run -p xtask -- gen-header [--verify]");
        return ExitCode::from(2);
    }
    let root = root();
    let path = root.join("include/lts.h");
    let fresh = generate(&root);
    if verify {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != fresh {
            eprintln!(
                "include/lts.h is stale: run `cargo run -p xtask -- gen-header` and commit it"
            );
            let _ = std::fs::write(root.join("target/lts.h.fresh"), &fresh);
            return ExitCode::FAILURE;
        }
        println!("include/lts.h is up to date");
    } else {
        std::fs::write(&path, fresh).expect("write include/lts.h");
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
