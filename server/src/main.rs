//! `lts-local` command line. Run `lts-local --help`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use lts_local::{Quotas, Server, ServerConfig, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};

const USAGE: &str = "\
lts-local: an LTS-compatible server on loopback, for local development and tests

USAGE: lts-local [OPTIONS]

  --listen ADDR              loopback address to listen on [default: 127.0.0.1:9480; port 0 picks one]
  --data FILE                append-only JSON-lines file of stored logs, read back at start
                             [default: lts-local-data.jsonl]
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
  -h, --help                 print this help

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

fn parse_args(args: Vec<String>) -> Result<(ServerConfig, Option<PathBuf>), String> {
    let mut cfg = ServerConfig {
        listen: "127.0.0.1:9480".parse().expect("valid"),
        data_file: Some(PathBuf::from("lts-local-data.jsonl")),
        ..Default::default()
    };
    let mut port_file = None;
    let mut it = args.into_iter();
    let mut creds = BTreeMap::new();
    let mut projects: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut tls_cert, mut tls_key) = (None, None);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let num = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: {v:?} is not a number"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--listen" => {
                let v = value(&flag)?;
                cfg.listen = v.parse().map_err(|_| {
                    format!("--listen: {v:?} is not an address like 127.0.0.1:9480")
                })?;
            }
            "--data" => cfg.data_file = Some(PathBuf::from(value(&flag)?)),
            "--memory" => cfg.data_file = None,
            "--sink" => {
                cfg.sink = true;
                cfg.data_file = None;
            }
            "--credentials" => {
                let v = value(&flag)?;
                let (ak, sk) = parse_pair(&v).ok_or("--credentials takes AK:SK")?;
                creds.insert(ak, sk);
            }
            "--credentials-file" => {
                let path = value(&flag)?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                for (n, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    let (ak, sk) =
                        parse_pair(line).ok_or(format!("{path}:{}: expected `AK SK`", n + 1))?;
                    creds.insert(ak, sk);
                }
            }
            "--project" => {
                let v = value(&flag)?;
                let (name, units) = v.split_once('=').unwrap_or((&v, ""));
                let units = units
                    .split(',')
                    .filter(|u| !u.is_empty())
                    .map(str::to_owned);
                projects.entry(name.to_owned()).or_default().extend(units);
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
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    match (tls_cert, tls_key) {
        (None, None) => {}
        (Some(c), Some(k)) => {
            let read = |p: &str| std::fs::read(p).map_err(|e| format!("{p}: {e}"));
            cfg.tls = Some(lts_local::config::tls_from_pem(&read(&c)?, &read(&k)?)?);
        }
        _ => return Err("--tls-cert and --tls-key go together".into()),
    }
    cfg.credentials = creds;
    if !projects.is_empty() {
        cfg.projects = Some(projects);
    }
    Ok((cfg, port_file))
}

fn main() -> ExitCode {
    let (cfg, port_file) = match parse_args(std::env::args().skip(1).collect()) {
        Ok(x) => x,
        Err(e) if e.is_empty() => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("lts-local: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let default_creds = cfg.credentials.is_empty();
    let data = cfg.data_file.clone();
    let sink = cfg.sink;
    let server = match Server::start(cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lts-local: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = port_file {
        if let Err(e) = std::fs::write(&path, server.addr().port().to_string()) {
            eprintln!("lts-local: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    println!("lts-local listening on {}", server.url());
    if default_creds {
        println!("accepting the default key pair: access key {DEFAULT_ACCESS_KEY}, secret key {DEFAULT_SECRET_KEY}");
    }
    match (sink, data) {
        (true, _) => println!("sink mode: logs are verified and counted, not stored"),
        (false, Some(p)) => println!("storing logs in {}", p.display()),
        (false, None) => println!("storing logs in memory only"),
    }
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
