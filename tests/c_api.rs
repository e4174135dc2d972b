//! C programs against the built library: the header compiles as C (two translation units)
//! and as C++ with warnings as errors; the C API test and the example run under valgrind
//! against lts-local and the server holds what they sent.

mod c_build;
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use c_build::*;

use lts_local::ServerConfig;

fn valgrind_available() -> bool {
    let found = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found && std::env::var_os("LTS_REQUIRE_VALGRIND").is_some() {
        panic!("LTS_REQUIRE_VALGRIND is set but valgrind is not installed");
    }
    found
}

/// Runs a program (under valgrind when available: any error or leak fails it).
fn run(program: &Path, env: &[(&str, String)]) -> String {
    let mut cmd = if valgrind_available() {
        let mut c = Command::new("valgrind");
        c.args([
            "--quiet",
            "--error-exitcode=99",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
            "--track-origins=yes",
        ])
        .arg(program);
        // Programs with a deadline (the log test's "within a second") scale it: valgrind
        // runs a program tens of times slower.
        c.env("LTS_TEST_UNDER_VALGRIND", "1");
        c
    } else {
        eprintln!(
            "valgrind not found: running {} without it",
            program.display()
        );
        Command::new(program)
    };
    // cargo test sets LD_LIBRARY_PATH to the build tree; the program's rpath must decide.
    cmd.env_remove("LD_LIBRARY_PATH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = output_within(&mut cmd, 300);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} exited with {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        program.display(),
        out.status.code()
    );
    stdout
}

fn dead_endpoint() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

#[test]
fn the_header_compiles_as_c_from_two_units_and_as_cpp() {
    let exe = compile(
        "cc",
        C_FLAGS,
        &["tests/c/header_tu1.c", "tests/c/header_tu2.c"],
        "header_c",
        true,
    );
    run(&exe, &[]);
    let cpp = compile(
        "c++",
        &["-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic"],
        &["tests/c/header_cpp.cpp"],
        "header_cpp",
        true,
    );
    run(&cpp, &[]);
}

#[test]
fn the_c_api_contract_holds_under_valgrind() {
    let server = common::server_with(|c: &mut ServerConfig| {
        c.projects = Some([("proj".to_owned(), vec!["unit-a".to_owned()])].into());
    });
    let exe = compile("cc", C_FLAGS, &["tests/c/api_test.c"], "api_test", true);
    let out = run(
        &exe,
        &[
            ("LTS_ENDPOINT", server.url()),
            ("LTS_DEAD_ENDPOINT", dead_endpoint()),
        ],
    );
    assert!(out.contains(" passed, 0 failed"), "{out}");
    // 3 logs once, 4 threads x 20 puts of 1 log, 1 from the parent after fork().
    assert_eq!(
        server.state().logs(Some("proj"), Some("unit-a")).len(),
        3 + 80 + 1
    );
}

#[test]
#[allow(clippy::approx_constant)] // the seed page's own literal
fn the_put_logs_example_sends_what_the_seed_page_sends() {
    let server = common::server();
    let exe = compile("cc", C_FLAGS, &["examples-c/put_logs.c"], "put_logs", true);
    let out = run(
        &exe,
        &[
            ("LTS_ENDPOINT", server.url()),
            ("LTS_PROJECT", "demo-project".into()),
            ("LTS_UNIT", "demo-unit".into()),
            ("LTS_SEND_TIMES", "5".into()),
        ],
    );
    assert!(
        out.contains("refused as documented: invalid content key \"area:\""),
        "{out}"
    );
    assert_eq!(
        out.matches(r#"{"statusCode":0,"message":"SUCCESS","error":""}"#)
            .count(),
        5,
        "{out}"
    );
    let logs = server.state().logs(Some("demo-project"), Some("demo-unit"));
    assert_eq!(logs.len(), 50);
    for log in &logs {
        assert_eq!(log["origin_msg"], "C sdk test oriMessage");
        assert_eq!(
            log["contents"],
            serde_json::json!({"level": "info", "area": 3.1415926})
        );
        assert_eq!(log["labels"], serde_json::json!({"user_tag": "string"}));
    }
}

#[test]
#[allow(clippy::approx_constant)] // the seed page's own literal
fn an_independent_decoder_reads_back_what_c_sent() {
    let capture = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("capture-independent");
    let _ = std::fs::remove_dir_all(&capture);
    let server = common::server_with(|c: &mut ServerConfig| c.capture_dir = Some(capture.clone()));
    let exe = compile(
        "cc",
        C_FLAGS,
        &["examples-c/put_logs.c"],
        "put_logs_capture",
        true,
    );
    run(
        &exe,
        &[
            ("LTS_ENDPOINT", server.url()),
            ("LTS_SEND_TIMES", "2".into()),
        ],
    );
    let out = Command::new("python3")
        .arg(root().join("tests/independent_decoder.py"))
        .arg(&capture)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoded: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let decoded = decoded.as_array().unwrap();
    let stored = server.state().logs(None, None);
    assert_eq!(decoded.len(), 20);
    assert_eq!(stored.len(), 20);
    for (d, s) in decoded.iter().zip(&stored) {
        assert_eq!(
            d["body"],
            serde_json::json!(["string", "C sdk test oriMessage"])
        );
        assert_eq!(
            d["contents"],
            serde_json::json!([["level", "string", "info"], ["area", "double", 3.1415926]])
        );
        assert_eq!(
            d["labels"],
            serde_json::json!([["user_tag", "string", "string"]])
        );
        assert_eq!(
            d["scope"],
            serde_json::json!({"name": "liblts", "version": lts::VERSION})
        );
        assert_eq!(d["time_unix_nano"], s["time_unix_nano"]);
        assert_eq!(d["batch_id"], s["batch_id"]);
    }
}

#[test]
fn the_log_hook_stderr_silence_and_stats_from_c_under_valgrind() {
    let server = common::server();
    let exe = compile("cc", C_FLAGS, &["tests/c/log_test.c"], "log_test", true);
    let out = run(
        &exe,
        &[
            ("LTS_ENDPOINT", server.url()),
            ("LTS_DEAD_ENDPOINT", dead_endpoint()),
        ],
    );
    assert!(out.contains(" passed, 0 failed"), "{out}");
    assert_eq!(server.state().logs(Some("proj"), Some("unit-a")).len(), 1);
}

#[test]
fn the_producer_contract_holds_from_threads_under_valgrind() {
    let server = common::server();
    let exe = compile(
        "cc",
        C_FLAGS,
        &["tests/c/producer_test.c"],
        "producer_test",
        true,
    );
    let out = run(&exe, &[("LTS_ENDPOINT", server.url())]);
    assert!(out.contains(" passed, 0 failed"), "{out}");
    let expected: usize = (0..600).map(|call| 1 + call % 3).sum();
    assert_eq!(server.state().logs(Some("proj"), None).len(), expected + 7);
}

#[test]
fn records_from_c_round_trip_and_bad_records_are_refused_under_valgrind() {
    let server = common::server_with(|c: &mut ServerConfig| {
        c.projects = Some([("proj".to_owned(), vec!["unit-r".to_owned()])].into());
    });
    let exe = compile(
        "cc",
        C_FLAGS,
        &["tests/c/records_test.c"],
        "records_test",
        true,
    );
    let out = run(&exe, &[("LTS_ENDPOINT", server.url())]);
    assert!(out.contains(" passed, 0 failed"), "{out}");
    let logs = server.state().logs(Some("proj"), Some("unit-r"));
    // lts_put_records' three, field by field (messages cut from one buffer by length).
    let put: Vec<&serde_json::Value> = logs
        .iter()
        .filter(|l| l["origin_msg"].as_str().unwrap().starts_with("record "))
        .collect();
    assert_eq!(put.len(), 3, "{put:?}");
    let by_msg = |m: &str| *put.iter().find(|l| l["origin_msg"] == m).unwrap();
    let one = by_msg("record one");
    assert_eq!(one["time_unix_nano"], 1_700_000_000_000_000_001u64);
    assert_eq!(
        one["contents"],
        serde_json::json!({"level": "info", "seq": 0, "ratio": 0.5})
    );
    assert_eq!(one["labels"], serde_json::json!({"user_tag": "string"}));
    let two = by_msg("record two");
    assert_eq!(
        two["contents"],
        serde_json::json!({"level": "warn", "seq": -1})
    );
    assert_eq!(two["labels"], serde_json::json!({}));
    assert_eq!(by_msg("record three")["contents"], serde_json::json!({}));
    // The producer's: 4 threads x 100 sends of 1 or 2 records, each stored once.
    let sent: Vec<&serde_json::Value> = logs
        .iter()
        .filter(|l| l["origin_msg"].as_str().unwrap().starts_with("thread "))
        .collect();
    assert_eq!(sent.len(), 600);
    let calls: std::collections::HashSet<i64> = sent
        .iter()
        .filter_map(|l| l["contents"]["call"].as_i64())
        .collect();
    assert_eq!(
        calls.len(),
        400,
        "every send's first record, with its own call number"
    );
}

#[test]
fn the_records_example_sends_its_access_log() {
    let server = common::server();
    let exe = compile("cc", C_FLAGS, &["examples-c/records.c"], "records", true);
    let out = run(
        &exe,
        &[
            ("LTS_ENDPOINT", server.url()),
            ("LTS_PROJECT", "proj".into()),
            ("LTS_UNIT", "access".into()),
            ("LTS_SEND_TIMES", "50".into()),
        ],
    );
    assert!(out.contains("sent 50 of 50 logs"), "{out}");
    let logs = server.state().logs(Some("proj"), Some("access"));
    assert_eq!(logs.len(), 50);
    let l = logs
        .iter()
        .find(|l| l["contents"]["path"] == "/api/v1/orders/00000007")
        .expect("log 7 arrived");
    assert_eq!(l["contents"]["status"], 200);
    assert_eq!(l["contents"]["latency_ms"], 12.5);
    assert_eq!(l["labels"]["user_tag"], "string");
    assert!(l["origin_msg"]
        .as_str()
        .unwrap()
        .starts_with("GET /api/v1/orders/00000007 HTTP/1.1 200"));
}

#[test]
fn the_producer_example_sends_what_the_seed_page_sends() {
    let server = common::server();
    let exe = compile(
        "cc",
        C_FLAGS,
        &["examples-c/producer.c"],
        "producer_example",
        true,
    );
    let out = run(
        &exe,
        &[
            ("LTS_ENDPOINT", server.url()),
            ("LTS_SEND_TIMES", "20".into()),
        ],
    );
    let line = r#"response: {"statusCode":0,"message":"SUCCESS","error":""}, send count : 10"#;
    assert_eq!(out.matches(line).count(), 20, "{out}");
    assert!(
        out.contains(
            "sends: 20 accepted, 0 refused; callbacks: 20 (0 failed) for 200 logs; sent 200 logs"
        ),
        "{out}"
    );
    assert_eq!(
        server
            .state()
            .logs(Some("demo-project"), Some("demo-unit"))
            .len(),
        200
    );
}

#[test]
fn the_cpp_wrapper_works_under_valgrind() {
    let server = common::server_with(|c: &mut ServerConfig| {
        c.projects = Some(
            [(
                "proj".to_owned(),
                vec![
                    "unit-a".to_owned(),
                    "unit-p".to_owned(),
                    "unit-r".to_owned(),
                ],
            )]
            .into(),
        );
    });
    let exe = compile(
        "c++",
        &[CPP_FLAGS, &["-pedantic"]].concat(),
        &["tests/cpp/hpp_test.cpp"],
        "hpp_test",
        true,
    );
    let out = run(&exe, &[("LTS_ENDPOINT", server.url())]);
    assert!(out.contains(" passed, 0 failed"), "{out}");
    assert_eq!(
        server.state().logs(Some("proj"), Some("unit-p")).len(),
        4 * 250 * 3
    );
    let r = server.state().logs(Some("proj"), Some("unit-r"));
    assert_eq!(r.len(), 3);
    let one = r
        .iter()
        .find(|l| l["origin_msg"] == "GET /api/v1/orders/00000042")
        .unwrap();
    assert_eq!(
        one["contents"],
        serde_json::json!({"level": "info", "path": "/api/v1/orders/00000042", "status": 200, "latency_ms": 12.5})
    );
    assert_eq!(one["labels"], serde_json::json!({"user_tag": "string"}));
    let second = r.iter().find(|l| l["origin_msg"] == "second").unwrap();
    assert_eq!(
        second["contents"],
        serde_json::json!({"level": "warn", "seq": -7})
    );
}

#[test]
fn make_install_gives_a_library_pkg_config_can_link_shared_and_static() {
    lib_dir();
    let prefix = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("install-prefix");
    let _ = std::fs::remove_dir_all(&prefix);
    let status = Command::new("make")
        .args(["-s", "install", "PROFILE=debug"])
        .arg(format!("PREFIX={}", prefix.display()))
        .current_dir(root())
        .status()
        .expect("make runs");
    assert!(status.success());
    let lib = prefix.join("lib");
    for f in ["liblts.so", "liblts.so.0", "liblts.a", "pkgconfig/lts.pc"] {
        assert!(lib.join(f).exists(), "{f} not installed");
    }
    assert!(prefix.join("include/lts.h").exists() && prefix.join("include/lts.hpp").exists());
    let readelf = Command::new("readelf")
        .arg("-d")
        .arg(lib.join("liblts.so"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&readelf.stdout).contains("[liblts.so.0]"),
        "soname"
    );

    let pkg = |args: &[&str]| -> Vec<String> {
        let out = Command::new("pkg-config")
            .args(args)
            .arg("lts")
            .env("PKG_CONFIG_PATH", lib.join("pkgconfig"))
            .output()
            .expect("pkg-config runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let server = common::server();
    let env = [
        ("LTS_ENDPOINT", server.url()),
        ("LTS_SEND_TIMES", "2".to_owned()),
    ];
    // Shared, out of tree, flags from pkg-config only.
    let shared = out_dir().join("put_logs_installed");
    let mut cc = Command::new("cc");
    cc.arg(root().join("examples-c/put_logs.c"))
        .arg("-o")
        .arg(&shared);
    cc.args(pkg(&["--cflags", "--libs"]))
        .arg(format!("-Wl,-rpath,{}", lib.display()));
    assert!(cc.status().unwrap().success());
    let ldd = Command::new("ldd")
        .arg(&shared)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&ldd.stdout)
        .contains(&lib.join("liblts.so.0").display().to_string()));
    run(&shared, &env);
    // Static: liblts.a plus the system libraries pkg-config lists as private.
    let stat = out_dir().join("put_logs_static");
    let mut cc = Command::new("cc");
    cc.arg(root().join("examples-c/put_logs.c"))
        .arg("-o")
        .arg(&stat);
    cc.args(pkg(&["--cflags"])).arg(lib.join("liblts.a"));
    cc.args(
        pkg(&["--static", "--libs-only-l"])
            .into_iter()
            .filter(|f| f != "-llts"),
    );
    assert!(cc.status().unwrap().success());
    let ldd = Command::new("ldd")
        .arg(&stat)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&ldd.stdout).contains("liblts"),
        "linked statically"
    );
    run(&stat, &env);
    assert_eq!(server.state().logs(None, None).len(), 2 * 10 * 2);
}

/// Runs a program built with sanitizers: any ASan, UBSan or LeakSanitizer report fails it.
fn run_sanitized(program: &Path, env: &[(&str, String)]) -> String {
    let mut cmd = Command::new(program);
    cmd.env_remove("LD_LIBRARY_PATH")
        .env(
            "ASAN_OPTIONS",
            "detect_leaks=1:abort_on_error=0:exitcode=98",
        )
        .env(
            "UBSAN_OPTIONS",
            "halt_on_error=1:print_stacktrace=1:exitcode=97",
        );
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = output_within(&mut cmd, 300);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("Sanitizer") && !stderr.contains("runtime error"),
        "{} exited with {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        program.display(),
        out.status.code()
    );
    stdout
}

#[test]
fn c_and_cpp_programs_are_clean_under_address_and_undefined_sanitizers() {
    let server = common::server_with(|c: &mut ServerConfig| {
        c.projects = Some(
            [
                (
                    "proj".to_owned(),
                    [
                        "unit-a", "unit-b", "unit-c", "unit-p", "unit-r", "parent", "child",
                    ]
                    .map(str::to_owned)
                    .to_vec(),
                ),
                ("demo-project".to_owned(), vec![]),
            ]
            .into(),
        );
    });
    let san = [
        "-fsanitize=address,undefined",
        "-fno-omit-frame-pointer",
        "-fno-sanitize-recover=all",
    ];
    let c_flags: Vec<&str> = C_FLAGS.iter().copied().chain(san).collect();
    let env = [
        ("LTS_ENDPOINT", server.url()),
        ("LTS_DEAD_ENDPOINT", dead_endpoint()),
        ("LTS_SEND_TIMES", "3".to_owned()),
    ];
    for (src, name) in [
        ("tests/c/api_test.c", "api_test_san"),
        ("tests/c/producer_test.c", "producer_test_san"),
        ("tests/c/records_test.c", "records_test_san"),
        ("tests/c/log_test.c", "log_test_san"),
        ("examples-c/put_logs.c", "put_logs_san"),
        ("examples-c/producer.c", "producer_san"),
        ("examples-c/records.c", "records_san"),
    ] {
        let exe = compile("cc", &c_flags, &[src], name, true);
        // Each program exits non-zero on a failed check; run_sanitized asserts success.
        run_sanitized(&exe, &env);
    }
    let cpp_flags: Vec<&str> = CPP_FLAGS.iter().copied().chain(san).collect();
    let exe = compile(
        "c++",
        &cpp_flags,
        &["tests/cpp/hpp_test.cpp"],
        "hpp_test_san",
        true,
    );
    let out = run_sanitized(&exe, &env);
    assert!(out.contains(" passed, 0 failed"), "{out}");
}

/// Native only. Not under valgrind: valgrind leak-checks the forked child too, where the
/// parent's producer is deliberately left unreleased (its threads do not exist there). Not
/// under ASan: its allocator (GCC 12's libsanitizer) keeps a lock that another thread may hold
/// at fork(), so the child's first allocations can deadlock inside ASan itself.
#[test]
fn a_forked_child_gets_a_fresh_producer_and_the_parent_is_unaffected() {
    let server = common::server();
    let exe = compile("cc", C_FLAGS, &["tests/c/fork_test.c"], "fork_test", true);
    let mut cmd = Command::new(&exe);
    cmd.env_remove("LD_LIBRARY_PATH")
        .env("LTS_ENDPOINT", server.url());
    let out = output_within(&mut cmd, 300);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(" passed, 0 failed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        server.state().logs(Some("proj"), Some("parent")).len(),
        1000
    );
    assert_eq!(server.state().logs(Some("proj"), Some("child")).len(), 10);
}

/// The spdlog sink (include/lts_spdlog.hpp, on Debian's libspdlog-dev): records of two
/// loggers with their fields, a label and a source location, flush keeping the sink working,
/// and a closed producer making it drop without throwing.
#[test]
fn the_spdlog_sink_ships_records_with_their_fields() {
    let server = common::server();
    let exe = compile_with(
        "c++",
        &[CPP_FLAGS, &["-DSPDLOG_ACTIVE_LEVEL=0"]].concat(),
        &["tests/cpp/spdlog_test.cpp"],
        "spdlog_test",
        true,
        &["-lspdlog", "-lfmt"],
    );
    let out = run(&exe, &[("LTS_ENDPOINT", server.url())]);
    assert!(out.contains(" passed, 0 failed"), "{out}");
    let logs = server.state().logs(Some("proj"), Some("unit-spdlog"));
    let msgs: Vec<&str> = logs
        .iter()
        .map(|l| l["origin_msg"].as_str().unwrap())
        .collect();
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    let paid = logs.iter().find(|l| l["origin_msg"] == "paid 42").unwrap();
    assert_eq!(paid["contents"]["level"], "info");
    assert_eq!(paid["contents"]["logger"], "orders");
    assert!(paid["contents"]["thread"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .is_ok());
    assert_eq!(paid["labels"], serde_json::json!({"service": "orders"}));
    let late = logs
        .iter()
        .find(|l| l["origin_msg"] == "invoice 7 late")
        .unwrap();
    assert_eq!(late["contents"]["level"], "warning");
    assert_eq!(late["contents"]["logger"], "billing");
    assert!(late["contents"]["source"]
        .as_str()
        .unwrap()
        .contains("spdlog_test.cpp:"));
    assert_eq!(late["contents"]["function"], "main");
    assert!(msgs.contains(&"a debug line") && msgs.contains(&"after flush"));
    // The record's own time, not the send's: within the last minute.
    let now = lts::util::now_ns();
    let ts = paid["time_unix_nano"].as_i64().unwrap();
    assert!(ts > now - 60_000_000_000 && ts <= now, "{paid}");
}
