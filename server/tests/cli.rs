//! The `lts-local` program as people run it: its version, its one-line errors, its start-up
//! line, where it keeps data by default, and running a command against itself.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lts-local");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("lts-local runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lts-local-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn version_names_both_versions() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    let v = text(&out.stdout);
    assert_eq!(
        v.trim(),
        format!(
            "lts-local {} (liblts {}, C ABI {})",
            env!("CARGO_PKG_VERSION"),
            lts::VERSION,
            lts::ffi::version::LTS_ABI_VERSION
        )
    );
    assert_eq!(text(&run(&["-V"]).stdout), v);
}

#[test]
fn a_bad_argument_is_one_line_naming_it() {
    for (args, says) in [
        (&["--bogus"][..], "unknown option \"--bogus\""),
        (
            &["--project", "=x"],
            "--project \"=x\": the project name is empty",
        ),
        (
            &["--project", "p=a,,b"],
            "--project \"p=a,,b\": an empty unit name",
        ),
        (
            &["--listen", "nowhere"],
            "--listen: \"nowhere\" is not an address",
        ),
        (
            &["--token-ttl-secs", "soon"],
            "--token-ttl-secs: \"soon\" is not a number",
        ),
        (&["--data"], "--data needs a value"),
        (&["--"], "-- must be followed by a command"),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(
            err.lines().count(),
            1,
            "{args:?}: one line, not the help: {err}"
        );
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(err.trim_end().ends_with("see lts-local --help"), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_taken_port_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(&["--listen", &addr, "--memory"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
    assert!(
        err.contains("--listen 127.0.0.1:0 picks a free port"),
        "{err}"
    );
}

#[test]
fn the_start_up_line_says_what_is_accepted_and_where_data_goes() {
    let home = scratch("home");
    let mut child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--project",
            "p=u1,u2",
            "--project",
            "q",
        ])
        .env("HOME", &home)
        .env_remove("XDG_DATA_HOME")
        .current_dir(&home)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        first.starts_with("lts-local listening on http://127.0.0.1:"),
        "{first}"
    );
    assert!(
        first.contains("accepting only projects p (units u1, u2), q (any unit)"),
        "{first}"
    );
    let data = home.join(".local/share/lts-local/data.jsonl");
    assert!(
        first.contains(&format!("storing logs in {}", data.display())),
        "{first}"
    );
    // The data file's folder exists and nothing was written where the server was started.
    assert!(data.parent().unwrap().is_dir());
    let here: Vec<_> = std::fs::read_dir(&home)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(here, vec![std::ffi::OsString::from(".local")]);

    let xdg = scratch("xdg");
    let out = Command::new(BIN)
        .args(["--", "true"])
        .env("XDG_DATA_HOME", &xdg)
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("accepting every project and unit; storing logs in memory only"),
        "a command's run stores nothing: {}",
        text(&out.stdout)
    );
    assert!(std::fs::read_dir(&xdg).unwrap().next().is_none());
}

#[test]
fn a_command_runs_against_the_server_and_its_status_is_kept() {
    // The command sees the endpoint and can reach it; its status becomes lts-local's.
    let out = run(&[
        "--",
        "sh",
        "-c",
        "case \"$LTS_ENDPOINT\" in http://127.0.0.1:*) exit 7;; *) exit 1;; esac",
    ]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stdout));
    let said = text(&out.stdout);
    assert!(
        said.contains("lts-local: sh exited (exit status: 7); 0 logs arrived in 0 batches"),
        "{said}"
    );
    let out = run(&["--", "/nonexistent/program"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(text(&out.stderr).contains("cannot run \"/nonexistent/program\""));
}

#[test]
fn a_command_s_logs_are_counted_per_unit() {
    // The library itself, from a child process: this test binary, re-run to send.
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(BIN)
        .args([
            "--",
            exe.to_str().unwrap(),
            "--exact",
            "send_three_logs",
            "--nocapture",
        ])
        .env("LTS_CLI_TEST_CHILD", "1")
        .output()
        .unwrap();
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}{}", text(&out.stderr));
    assert!(
        said.contains("3 logs arrived in 1 batches (cli-project/cli-unit: 3)"),
        "{said}"
    );
}

/// Run by the test above inside `lts-local -- ...`; on its own it does nothing.
#[test]
fn send_three_logs() {
    let (Ok(_), Ok(endpoint)) = (
        std::env::var("LTS_CLI_TEST_CHILD"),
        std::env::var("LTS_ENDPOINT"),
    ) else {
        return;
    };
    let cfg =
        lts::ClientConfig::new(&endpoint, "lts-local-ak", "lts-local-sk", "cli-project").unwrap();
    let client = lts::Client::new(cfg).expect("client");
    let logs: Vec<lts::LogItem> = (0..3)
        .map(|i| {
            let mut item = lts::LogItem::new();
            item.set_timestamp_ns(lts::util::now_ns()).unwrap();
            item.set_origin_msg(&format!("line {i}")).unwrap();
            item
        })
        .collect();
    let refs: Vec<&lts::LogItem> = logs.iter().collect();
    client
        .put_logs("cli-project", "cli-unit", &refs)
        .expect("stored");
}
