//! Building and running the C test programs: the library built once for the test's profile,
//! programs compiled against include/lts.h and linked with it (rpath set, so they run as
//! they would against an installed copy), and a run that a hung program fails instead of
//! stalling CI. Used by the test binaries that run C programs (`mod c_build;`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub const C_FLAGS: &[&str] = &["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"];
pub const CPP_FLAGS: &[&str] = &[
    "-std=c++17",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-g",
    "-pthread",
];

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding liblts.so / liblts.a for this test's profile, built fresh once.
pub fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let dir = exe.parent().unwrap().parent().unwrap().to_path_buf(); // target/<profile>
        let release = dir.file_name().unwrap() == "release";
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "liblts", "--lib"])
            .current_dir(root());
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("cargo runs");
        assert!(status.success(), "building liblts failed");
        assert!(
            dir.join("liblts.so").exists(),
            "no liblts.so in {}",
            dir.display()
        );
        // Programs record the soname (liblts.so.0), as they would against an installed copy.
        let soname = dir.join("liblts.so.0");
        let _ = std::fs::remove_file(&soname);
        std::os::unix::fs::symlink("liblts.so", &soname).expect("soname link");
        dir
    })
}

pub fn out_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c");
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn compile(compiler: &str, flags: &[&str], sources: &[&str], out: &str, link: bool) -> PathBuf {
    compile_with(compiler, flags, sources, out, link, &[])
}

/// As `compile`, linking `libs` too (after liblts).
pub fn compile_with(
    compiler: &str,
    flags: &[&str],
    sources: &[&str],
    out: &str,
    link: bool,
    libs: &[&str],
) -> PathBuf {
    let out = out_dir().join(out);
    let mut cmd = Command::new(compiler);
    cmd.args(flags).arg("-I").arg(root().join("include"));
    for s in sources {
        cmd.arg(root().join(s));
    }
    cmd.arg("-o").arg(&out);
    if link {
        let lib = lib_dir();
        cmd.arg(format!("-L{}", lib.display()))
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .args(["-llts", "-lpthread"])
            .args(libs);
    }
    let result = cmd.output().expect("the C compiler runs");
    assert!(
        result.status.success(),
        "{compiler} {sources:?} failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

/// Runs a command to completion, killing it (and failing) after `secs`: a hung program must
/// fail the test, not stall CI.
pub fn output_within(cmd: &mut Command, secs: u64) -> std::process::Output {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out_pipe.read_to_end(&mut b);
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err_pipe.read_to_end(&mut b);
        b
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "killed after {secs} s: {cmd:?}\nstdout so far:\n{}",
                String::from_utf8_lossy(&out_reader.join().unwrap())
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}
