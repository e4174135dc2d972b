// Compiles proto/ with a pure-Rust protobuf compiler, so a fresh machine needs nothing but
// cargo (no system protoc). The header is NOT generated here: see scripts/gen-header.sh.
fn main() {
    println!("cargo:rerun-if-changed=proto/logs.proto");
    let fds = protox::compile(["proto/logs.proto"], ["proto"]).expect("proto/logs.proto compiles");
    prost_build::Config::new()
        .compile_fds(fds)
        .expect("prost generates the OTLP types");
}
