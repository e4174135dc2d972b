//! `cargo run -p xtask -- gen-header [--verify]`, `cargo run -p xtask -- gen-config [--verify]`
//!
//! Generates `include/lts.h` from `src/ffi/` with the pinned cbindgen, and
//! `CONFIGURATION.md` from the option table (`lts::options`). With `--verify` each writes
//! nothing and fails if the committed file differs from what would be generated.

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
    // LTS_LOG_OFF is written here rather than by cbindgen, which drops the parentheses a
    // negative macro needs (`x-LTS_LOG_OFF` must not read `x--1`); src/ffi/log.rs has the
    // Rust constant and a test that the two agree.
    format!(
        "\n/** lts_set_log_level: nothing is written. */\n#define LTS_LOG_OFF (-1)\n\n#define LTS_VERSION_MAJOR {major}\n#define LTS_VERSION_MINOR {minor}\n#define LTS_VERSION_PATCH {patch}\n#define LTS_VERSION_STRING \"{version}\"\n"
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
        // The producer's counters are declared once, in the core, and exported as
        // lts_producer_stats (see cbindgen.toml's renames).
        .with_src(root.join("src/producer/stats.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("UTF-8 header")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verify = args.iter().any(|a| a == "--verify");
    let root = root();
    let (file, fresh, command) = match args.first().map(String::as_str) {
        Some("gen-header") => ("include/lts.h", generate(&root), "gen-header"),
        Some("gen-config") => (
            "CONFIGURATION.md",
            lts::options::configuration_md(),
            "gen-config",
        ),
        _ => {
            eprintln!("usage: cargo run -p xtask -- gen-header|gen-config [--verify]");
            return ExitCode::from(2);
        }
    };
    let path = root.join(file);
    if verify {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != fresh {
            eprintln!("{file} is stale: run `cargo run -p xtask -- {command}` and commit it");
            let name = Path::new(file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let _ = std::fs::write(root.join(format!("target/{name}.fresh")), &fresh);
            return ExitCode::FAILURE;
        }
        println!("{file} is up to date");
    } else {
        std::fs::write(&path, fresh).unwrap_or_else(|e| panic!("write {file}: {e}"));
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
