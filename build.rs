// Compiles proto/ with a pure-Rust protobuf compiler, so a fresh machine needs nothing but
// cargo (no system protoc). The header is NOT generated here: see scripts/gen-header.sh.
/// The soname carries the ABI major: liblts.so.0 while the ABI is pre-1.0 (see README).
const SONAME: &str = "liblts.so.0";

fn main() {
    println!("cargo:rerun-if-changed=proto/logs.proto");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{SONAME}");
    }
    let fds = protox::compile(["proto/logs.proto"], ["proto"]).expect("proto/logs.proto compiles");
    prost_build::Config::new()
        .compile_fds(fds)
        .expect("prost generates the OTLP types");
}
