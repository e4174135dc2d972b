// Compiles proto/ with a pure-Rust protobuf compiler, so a fresh machine needs nothing but
// cargo (no system protoc). The header is NOT generated here: see scripts/gen-header.sh.
/// The soname carries the ABI major: liblts.so.0 while the ABI is pre-1.0 (see README).
const SONAME: &str = "liblts.so.0";

fn main() {
    println!("cargo:rerun-if-changed=proto/logs.proto");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{SONAME}");
        soname_link();
    }
    let fds = protox::compile(["proto/logs.proto"], ["proto"]).expect("proto/logs.proto compiles");
    prost_build::Config::new()
        .compile_fds(fds)
        .expect("prost generates the OTLP types");
}

/// Programs linked against target/<profile>/liblts.so record its soname, liblts.so.0, and ask
/// for that at start; cargo makes only liblts.so. So the build leaves the link a package
/// manager would make, `liblts.so.0 -> liblts.so`, beside it: made here (cargo has no
/// post-build step) before the library exists, it resolves once cargo writes the library.
/// OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out, so the profile directory is three up.
fn soname_link() {
    let Some(out) = std::env::var_os("OUT_DIR") else {
        return;
    };
    let Some(profile_dir) = std::path::Path::new(&out).ancestors().nth(3) else {
        return;
    };
    let link = profile_dir.join(SONAME);
    if link.symlink_metadata().is_err() {
        // Best effort: a read-only or unusual target directory only loses the convenience.
        let _ = std::os::unix::fs::symlink("liblts.so", &link);
    }
}
