//! `lts-local` command line. Run `lts-local --help`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use lts_local::{Quotas, Server, ServerConfig, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};

const USAGE: &str = "\
lts-local: an LTS-compatible server on loopback, for local development and tests

USAGE: lts-local [OPTIONS] [-- COMMAND [ARGS...]]

  --listen ADDR              loopback address to listen on [default: 127.0.0.1:9480; port 0 picks one]
  --data FILE                append-only JSON-lines file of stored logs, read back at start
                             [default: $XDG_DATA_HOME/lts-local/data.jsonl, that is
                             ~/.local/share/lts-local/data.jsonl]
  --memory                   keep stored logs in memory only (no data file)
  --sink                     verify and count logs without storing them (benchmarks)
  --credentials AK:SK        accept this key pair (repeatable); without any, the default pair
                             lts-local-ak / lts-local-sk is accepted
  --credentials-file FILE    accept the pairs in FILE, one `AK SK` or `AK:SK` per line
  --project NAME[=U1,U2]     only this project (repeatable), and only these units if listed;
                             without any, every project and unit exists
  --token-ttl-secs N         token lifetime [default: 1800]
  --max-skew-secs N          accepted Eop-date clock skew [default: 900]
  --quota-project-bytes N    raw bytes per second per project [default: 209715200]
  --quota-project-requests N requests per second per project [default: 1000]
  --quota-unit-bytes N       raw bytes per second per unit [default: 104857600]
  --quota-unit-requests N    requests per second per unit [default: 500]
  --no-quotas                switch all quotas off
  --port-file FILE           write the bound port to FILE once listening
  --capture-dir DIR          save each put body as received (N.bin) with its headers (N.json)
  --tls-cert FILE            serve HTTPS with this PEM certificate chain (needs --tls-key)
  --tls-key FILE             the PEM private key of --tls-cert
  -V, --version              print the version
  -h, --help                 print this help
  -- COMMAND [ARGS...]       run COMMAND with LTS_ENDPOINT set to this server, print what
                             arrived when it exits, stop, and exit with COMMAND's status; with
                             a COMMAND the defaults are a free port and --memory

Control interface (loopback only), on the same port:
  GET  /_lts/health | /_lts/stats | /_lts/logs[?project=P&unit=U] | /_lts/requests[?since=SEQ]
  GET  /_lts/faults ; POST /_lts/faults {JSON} ; DELETE /_lts/faults
  POST /_lts/expire-tokens ; POST /_lts/reset
";

fn parse_pair(s: &str) -> Option<(String, String)> {
    let (ak, sk) = s
        .split_once(':')
        .or_else(|| s.split_once(char::is_whitespace))?;
    let (ak, sk) = (ak.trim(), sk.trim());
    (!ak.is_empty() && !sk.is_empty()).then(|| (ak.to_owned(), sk.to_owned()))
}

/// What the command line asks for.
struct Args {
    cfg: ServerConfig,
    port_file: Option<PathBuf>,
    /// The program to run against the server (after `--`), if any.
    command: Option<Vec<String>>,
}

/// Why the command line did not give a server to run.
enum Stop {
    Help,
    Version,
    Bad(String),
}

fn bad<T>(msg: impl Into<String>) -> Result<T, Stop> {
    Err(Stop::Bad(msg.into()))
}

/// `$XDG_DATA_HOME/lts-local/data.jsonl`, or `~/.local/share/lts-local/data.jsonl`: outside
/// whatever folder the server was started from, so a checkout is never left with the data.
fn default_data_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".local/share"))
        })?;
    Some(base.join("lts-local").join("data.jsonl"))
}

/// `NAME` or `NAME=U1,U2`: the name and its units must be non-empty.
fn parse_project(v: &str) -> Result<(String, Vec<String>), Stop> {
    let (name, units) = match v.split_once('=') {
        Some((name, units)) => (name, Some(units)),
        None => (v, None),
    };
    if name.trim().is_empty() {
        return bad(format!(
            "--project {v:?}: the project name is empty (NAME or NAME=U1,U2)"
        ));
    }
    let mut list = Vec::new();
    if let Some(units) = units {
        for u in units.split(',') {
            if u.trim().is_empty() {
                return bad(format!(
                    "--project {v:?}: an empty unit name (NAME or NAME=U1,U2)"
                ));
            }
            list.push(u.trim().to_owned());
        }
    }
    Ok((name.trim().to_owned(), list))
}

fn parse_args(args: Vec<String>) -> Result<Args, Stop> {
    let mut cfg = ServerConfig {
        listen: "127.0.0.1:9480".parse().expect("valid"),
        ..Default::default()
    };
    let (mut listen, mut data, mut memory) = (None, None, false);
    let mut port_file = None;
    let mut command = None;
    let mut it = args.into_iter();
    let mut creds = BTreeMap::new();
    let mut projects: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut tls_cert, mut tls_key) = (None, None);
    while let Some(flag) = it.next() {
        if flag == "--" {
            let rest: Vec<String> = it.by_ref().collect();
            if rest.is_empty() {
                return bad("-- must be followed by a command to run");
            }
            command = Some(rest);
            break;
        }
        let mut value = |name: &str| match it.next() {
            Some(v) => Ok(v),
            None => bad(format!("{name} needs a value")),
        };
        let num = |name: &str, v: String| match v.parse::<u64>() {
            Ok(n) => Ok(n),
            Err(_) => bad(format!("{name}: {v:?} is not a number")),
        };
        match flag.as_str() {
            "-h" | "--help" => return Err(Stop::Help),
            "-V" | "--version" => return Err(Stop::Version),
            "--listen" => {
                let v = value(&flag)?;
                match v.parse() {
                    Ok(a) => listen = Some(a),
                    Err(_) => {
                        return bad(format!(
                            "--listen: {v:?} is not an address like 127.0.0.1:9480"
                        ))
                    }
                }
            }
            "--data" => data = Some(PathBuf::from(value(&flag)?)),
            "--memory" => memory = true,
            "--sink" => cfg.sink = true,
            "--credentials" => {
                let v = value(&flag)?;
                let Some((ak, sk)) = parse_pair(&v) else {
                    return bad(format!("--credentials {v:?}: expected AK:SK"));
                };
                creds.insert(ak, sk);
            }
            "--credentials-file" => {
                let path = value(&flag)?;
                let text = match std::fs::read_to_string(&path) {
                    Ok(t) => t,
                    Err(e) => return bad(format!("--credentials-file {path}: {e}")),
                };
                for (n, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    let Some((ak, sk)) = parse_pair(line) else {
                        return bad(format!("{path}:{}: expected `AK SK`", n + 1));
                    };
                    creds.insert(ak, sk);
                }
            }
            "--project" => {
                let (name, units) = parse_project(&value(&flag)?)?;
                projects.entry(name).or_default().extend(units);
            }
            "--token-ttl-secs" => cfg.token_ttl = Duration::from_secs(num(&flag, value(&flag)?)?),
            "--max-skew-secs" => {
                cfg.max_clock_skew = Duration::from_secs(num(&flag, value(&flag)?)?)
            }
            "--quota-project-bytes" => cfg.quotas.project_bytes = num(&flag, value(&flag)?)?,
            "--quota-project-requests" => cfg.quotas.project_requests = num(&flag, value(&flag)?)?,
            "--quota-unit-bytes" => cfg.quotas.unit_bytes = num(&flag, value(&flag)?)?,
            "--quota-unit-requests" => cfg.quotas.unit_requests = num(&flag, value(&flag)?)?,
            "--no-quotas" => cfg.quotas = Quotas::unlimited(),
            "--port-file" => port_file = Some(PathBuf::from(value(&flag)?)),
            "--capture-dir" => cfg.capture_dir = Some(PathBuf::from(value(&flag)?)),
            "--tls-cert" => tls_cert = Some(value(&flag)?),
            "--tls-key" => tls_key = Some(value(&flag)?),
            other => return bad(format!("unknown option {other:?}")),
        }
    }
    match (tls_cert, tls_key) {
        (None, None) => {}
        (Some(c), Some(k)) => {
            let read = |p: &str| std::fs::read(p).map_err(|e| Stop::Bad(format!("{p}: {e}")));
            match lts_local::config::tls_from_pem(&read(&c)?, &read(&k)?) {
                Ok(tls) => cfg.tls = Some(tls),
                Err(e) => return bad(e),
            }
        }
        _ => return bad("--tls-cert and --tls-key go together"),
    }
    // A command's run is throwaway: a free port and nothing written, unless asked.
    let running = command.is_some();
    cfg.listen = listen.unwrap_or(if running {
        "127.0.0.1:0".parse().expect("valid")
    } else {
        cfg.listen
    });
    cfg.data_file = if cfg.sink || memory {
        None
    } else {
        data.or_else(|| if running { None } else { default_data_file() })
    };
    cfg.credentials = creds;
    if !projects.is_empty() {
        cfg.projects = Some(projects);
    }
    Ok(Args {
        cfg,
        port_file,
        command,
    })
}

/// "every project and unit", or "projects a (units x, y), b (any unit)".
fn describe_projects(projects: &Option<BTreeMap<String, Vec<String>>>) -> String {
    let Some(projects) = projects else {
        return "accepting every project and unit".into();
    };
    let list: Vec<String> = projects
        .iter()
        .map(|(name, units)| {
            if units.is_empty() {
                format!("{name} (any unit)")
            } else {
                format!("{name} (units {})", units.join(", "))
            }
        })
        .collect();
    format!("accepting only projects {}", list.join(", "))
}

/// Runs the command with LTS_ENDPOINT pointing here, then says what arrived.
fn run_command(server: &Server, command: &[String]) -> ExitCode {
    let status = std::process::Command::new(&command[0])
        .args(&command[1..])
        .env("LTS_ENDPOINT", server.url())
        .status();
    let status = match status {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lts-local: cannot run {:?}: {e}", command[0]);
            return ExitCode::from(127);
        }
    };
    let state = server.state();
    let stats = state.stats_json();
    let mut per_unit: BTreeMap<(String, String), u64> = BTreeMap::new();
    for log in state.logs(None, None) {
        let key = (
            log["project"].as_str().unwrap_or("").to_owned(),
            log["unit"].as_str().unwrap_or("").to_owned(),
        );
        *per_unit.entry(key).or_default() += 1;
    }
    let units: Vec<String> = per_unit
        .iter()
        .map(|((p, u), n)| format!("{p}/{u}: {n}"))
        .collect();
    println!(
        "lts-local: {} exited ({status}); {} logs arrived in {} batches{}",
        command[0],
        stats["stored_logs"],
        stats["stored_batches"],
        if units.is_empty() {
            String::new()
        } else {
            format!(" ({})", units.join(", "))
        }
    );
    match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => ExitCode::FAILURE,
    }
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1).collect()) {
        Ok(x) => x,
        Err(Stop::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(Stop::Version) => {
            println!(
                "lts-local {} (liblts {}, C ABI {})",
                env!("CARGO_PKG_VERSION"),
                lts::VERSION,
                lts::ffi::version::LTS_ABI_VERSION
            );
            return ExitCode::SUCCESS;
        }
        Err(Stop::Bad(e)) => {
            eprintln!("lts-local: {e}; see lts-local --help");
            return ExitCode::from(2);
        }
    };
    let Args {
        cfg,
        port_file,
        command,
    } = args;
    let default_creds = cfg.credentials.is_empty();
    let data = cfg.data_file.clone();
    let sink = cfg.sink;
    let projects = describe_projects(&cfg.projects);
    if let Some(dir) = data.as_deref().and_then(|d| d.parent()) {
        if !dir.as_os_str().is_empty() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("lts-local: cannot create {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
    }
    let server = match Server::start(cfg) {
        Ok(s) => s,
        Err(e) => {
            let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
                " (another lts-local? --listen 127.0.0.1:0 picks a free port)"
            } else {
                ""
            };
            eprintln!("lts-local: cannot start: {e}{hint}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = port_file {
        if let Err(e) = std::fs::write(&path, server.addr().port().to_string()) {
            eprintln!("lts-local: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    let storing = match (sink, data) {
        (true, _) => "sink mode: logs are verified and counted, not stored".to_owned(),
        (false, Some(p)) => format!("storing logs in {}", p.display()),
        (false, None) => "storing logs in memory only".to_owned(),
    };
    println!(
        "lts-local listening on {}; {projects}; {storing}",
        server.url()
    );
    if default_creds {
        println!("accepting the default key pair: access key {DEFAULT_ACCESS_KEY}, secret key {DEFAULT_SECRET_KEY}");
    }
    let _ = std::io::stdout().flush();
    if let Some(command) = command {
        return run_command(&server, &command);
    }
    loop {
        std::thread::park();
    }
}
