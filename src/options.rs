//! Every client and producer option, declared once: its name (the typed C setter's suffix),
//! type, default, accepted range and one line of documentation, and how it is set and read.
//! The string-keyed setters (`lts_client_config_set`, `lts_producer_config_set` and their
//! `_get`s), the typed C setters, every language binding (through [`schema_json`]) and
//! `CONFIGURATION.md` (generated from these tables, checked in CI) all come from here.

use crate::config::{AuthMode, ClientConfig};
use crate::error::{Error, Result};
use crate::producer::{CallbackMode, ProducerConfig};

/// What kind of value an option takes (for typed bindings and the docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A non-negative integer, in [`crate::integer`]'s grammar.
    Integer,
    /// `true` or `false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    Bool,
    /// Any text.
    Text,
    /// One of the listed names (or its number, for the C constants).
    Choice(&'static [&'static str]),
    /// Integers separated by commas ("" for none).
    IntegerList,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Bool => "bool",
            Kind::Text => "string",
            Kind::Choice(_) => "choice",
            Kind::IntegerList => "integer list",
        }
    }
}

/// One option of a config of type `C`.
pub struct Opt<C: 'static> {
    pub name: &'static str,
    pub kind: Kind,
    /// The default as `get` would give it ("" for none).
    pub default: &'static str,
    /// What values are accepted, in words.
    pub range: &'static str,
    pub doc: &'static str,
    /// Set but never read back (the secret key).
    pub write_only: bool,
    set: fn(&mut C, &str) -> Result<()>,
    get: fn(&C) -> String,
}

/// An integer of [`crate::integer`]'s grammar that fits `T`.
fn integer<T: crate::integer::Unsigned>(v: &str) -> std::result::Result<T, String> {
    crate::integer::parse(v)
}

fn boolean(v: &str) -> std::result::Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".to_owned()),
    }
}

/// Sets `key` in `cfg` from `table`. An unknown key or a bad value is `InvalidArgument`,
/// naming the key, the value and what is accepted; the config is then unchanged.
pub fn set<C>(
    table: &'static [Opt<C>],
    what: &str,
    cfg: &mut C,
    key: &str,
    value: &str,
) -> Result<()> {
    let opt = find(table, what, key)?;
    (opt.set)(cfg, value).map_err(|e| {
        let shown = if opt.write_only { "<hidden>" } else { value };
        Error::new(
            e.kind,
            format!(
                "invalid value {shown:?} for {what} option {}: {} (accepted: {}; default {})",
                opt.name,
                e.message,
                opt.range,
                if opt.default.is_empty() {
                    "none"
                } else {
                    opt.default
                }
            ),
        )
    })
}

/// Reads `key` of `cfg` from `table`, as `set` would take it.
pub fn get<C>(table: &'static [Opt<C>], what: &str, cfg: &C, key: &str) -> Result<String> {
    let opt = find(table, what, key)?;
    if opt.write_only {
        return Err(Error::invalid_argument(format!(
            "{what} option {key} can be set but not read back"
        )));
    }
    Ok((opt.get)(cfg))
}

fn find<C>(table: &'static [Opt<C>], what: &str, key: &str) -> Result<&'static Opt<C>> {
    table.iter().find(|o| o.name == key).ok_or_else(|| {
        let names: Vec<&str> = table.iter().map(|o| o.name).collect();
        Error::invalid_argument(format!(
            "unknown {what} option {key:?}; the options are: {}",
            names.join(", ")
        ))
    })
}

/// A setter taking a parsed value: the parse error or the config's own range error.
macro_rules! parsed {
    ($parse:expr, |$c:ident, $v:ident| $body:expr) => {{
        fn set($c: &mut Cfg, value: &str) -> Result<()> {
            let $v = $parse(value).map_err(Error::invalid_argument)?;
            $body
        }
        set
    }};
}

type Cfg = ClientConfig;

/// A profile value (protocol.md's `[profile]`): set and read through `Profile`.
macro_rules! profile {
    ($name:literal, $default:literal, $range:literal, $doc:literal) => {
        profile!($name, Kind::Text, $default, $range, $doc)
    };
    ($name:literal, $kind:expr, $default:literal, $range:literal, $doc:literal) => {
        Opt {
            name: $name,
            kind: $kind,
            default: $default,
            range: $range,
            doc: $doc,
            write_only: false,
            set: {
                fn set(c: &mut ClientConfig, v: &str) -> Result<()> {
                    c.profile.set($name, v)
                }
                set
            },
            get: {
                fn get(c: &ClientConfig) -> String {
                    c.profile.get($name).unwrap_or_default()
                }
                get
            },
        }
    };
}

/// The client options (`lts_client_config_set`).
pub static CLIENT: &[Opt<ClientConfig>] = &[
    Opt {
        name: "endpoint",
        kind: Kind::Text,
        default: "",
        range: "scheme://host[:port][/prefix] (see Endpoint above); a bare host means https",
        doc: "The LTS endpoint (given to lts_client_config_new).",
        write_only: false,
        set: |c, v| {
            c.endpoint = crate::config::Endpoint::parse(v)?;
            Ok(())
        },
        get: |c| c.endpoint.as_str().to_owned(),
    },
    Opt {
        name: "access_key",
        kind: Kind::Text,
        default: "",
        range: "non-empty",
        doc: "The access key (AK) requests are signed with.",
        write_only: false,
        set: |c, v| {
            if v.is_empty() {
                return Err(Error::invalid_argument("it is empty"));
            }
            c.access_key = v.to_owned();
            Ok(())
        },
        get: |c| c.access_key.clone(),
    },
    Opt {
        name: "secret_key",
        kind: Kind::Text,
        default: "",
        range: "non-empty",
        doc: "The secret key (SK); never read back, never in a message.",
        write_only: true,
        set: |c, v| {
            if v.is_empty() {
                return Err(Error::invalid_argument("it is empty"));
            }
            c.secret_key = crate::config::Secret::new(v);
            Ok(())
        },
        get: |_| String::new(),
    },
    Opt {
        name: "log_project",
        kind: Kind::Text,
        default: "",
        range: "any",
        doc: "The log project (a producer keys its clients by it).",
        write_only: false,
        set: |c, v| {
            c.log_project = v.to_owned();
            Ok(())
        },
        get: |c| c.log_project.clone(),
    },
    Opt {
        name: "request_timeout_ms",
        kind: Kind::Integer,
        default: "30000",
        range: "1..=4294967295",
        doc: "The timeout of one HTTP request.",
        write_only: false,
        set: parsed!(integer::<u32>, |c, v| c.set_request_timeout_ms(v)),
        get: |c| c.request_timeout.as_millis().to_string(),
    },
    Opt {
        name: "compress_type",
        kind: Kind::Choice(&["lz4", "none"]),
        default: "lz4",
        range: "lz4 | none",
        doc: "How request bodies are compressed.",
        write_only: false,
        set: |c, v| c.set_compress_type(v),
        get: |c| c.compression.header_value().to_owned(),
    },
    Opt {
        name: "user_agent",
        kind: Kind::Text,
        default: "lts-sdk-c/<version>",
        range: "non-empty, no control characters",
        doc: "The User-Agent header.",
        write_only: false,
        set: |c, v| c.set_user_agent(v),
        get: |c| c.user_agent.clone(),
    },
    Opt {
        name: "retries",
        kind: Kind::Integer,
        default: "3",
        range: "0..=100",
        doc: "Extra attempts after a failed first one (the sync client; a producer retries until its delivery timeout).",
        write_only: false,
        set: parsed!(integer::<u32>, |c, v| c.set_retries(v)),
        get: |c| c.retries.to_string(),
    },
    Opt {
        name: "no_retry_status_code",
        kind: Kind::IntegerList,
        default: "",
        range: "HTTP statuses 100..=599, separated by commas without spaces",
        doc: "HTTP statuses whose answers are never retried (setting replaces the list; lts_client_config_add_no_retry_status_code adds one).",
        write_only: false,
        set: |c, v| {
            let mut next = c.clone();
            next.no_retry_status_codes.clear();
            for part in v.split(',').filter(|_| !v.is_empty()) {
                let code = crate::integer::parse_in(part, 100, 599)
                    .map_err(|e| Error::invalid_argument(format!("{part:?}: {e}")))?;
                next.add_no_retry_status_code(code as i32)?;
            }
            c.no_retry_status_codes = next.no_retry_status_codes;
            Ok(())
        },
        get: |c| {
            let codes: Vec<String> = c.no_retry_status_codes.iter().map(i32::to_string).collect();
            codes.join(",")
        },
    },
    Opt {
        name: "auth_mode",
        kind: Kind::Choice(&["token", "eop"]),
        default: "token",
        range: "token | eop (LTS_AUTH_TOKEN 0 | LTS_AUTH_EOP 1)",
        doc: "token: AK/SK traded for a token at start and renewed; eop: every put signed, no token.",
        write_only: false,
        set: |c, v| {
            c.auth_mode = match v {
                "token" | "0" => AuthMode::Token,
                "eop" | "1" => AuthMode::Eop,
                _ => return Err(Error::invalid_argument("expected token or eop")),
            };
            Ok(())
        },
        get: |c| match c.auth_mode {
            AuthMode::Token => "token".to_owned(),
            AuthMode::Eop => "eop".to_owned(),
        },
    },
    Opt {
        name: "allow_plain_http",
        kind: Kind::Bool,
        default: "false",
        range: "true | false",
        doc: "Allow http:// to a host that is not loopback (tokens and logs would travel in clear).",
        write_only: false,
        set: |c, v| {
            c.allow_plain_http = boolean(v).map_err(Error::invalid_argument)?;
            Ok(())
        },
        get: |c| c.allow_plain_http.to_string(),
    },
    Opt {
        name: "ca_file",
        kind: Kind::Text,
        default: "",
        range: "a regular PEM file of at most 16 MiB",
        doc: "Trust exactly the CA certificates in this file (read when set) instead of the system's roots.",
        write_only: false,
        set: |c, v| c.set_ca_file(v),
        get: |c| c.ca_file.clone().unwrap_or_default(),
    },
    Opt {
        name: "ca_pem",
        kind: Kind::Text,
        default: "",
        range: "PEM text with at least one certificate",
        doc: "As ca_file, with the PEM text itself.",
        write_only: false,
        set: |c, v| c.set_ca_pem(v.as_bytes()),
        get: |c| c.ca_pem.clone().unwrap_or_default(),
    },
    profile!("token_path", "/v1/auth/token", "a path starting with '/'", "The token call's path."),
    profile!("put_path", "/v1/lts/logs", "a path starting with '/'", "The put-logs path."),
    profile!("project_param", "logProject", "letters, digits, '-', '_', '.'", "The put's query parameter naming the log project."),
    profile!("unit_param", "logUnit", "letters, digits, '-', '_', '.'", "The put's query parameter naming the log unit."),
    profile!("token_header", "x-lts-token", "letters, digits, '-', '_', '.'", "The header carrying the token."),
    profile!("compress_type_header", "x-lts-compresstype", "letters, digits, '-', '_', '.'", "The header naming the compression."),
    profile!("raw_size_header", "x-lts-bodyrawsize", "letters, digits, '-', '_', '.'", "The header giving the uncompressed size."),
    profile!("batch_id_header", "x-lts-batch-id", "letters, digits, '-', '_', '.'", "The header carrying the batch id (the same on every retry)."),
    profile!("token_renew_percent", Kind::Integer, "80", "1..=99", "Renew the token once this share of its life (percent) has passed."),
    profile!("backoff_base_ms", Kind::Integer, "100", "1..=60000", "Full-jitter exponential backoff: the first ceiling, in milliseconds."),
    profile!("backoff_cap_ms", Kind::Integer, "10000", "1..=600000", "Full-jitter exponential backoff: the largest ceiling, in milliseconds."),
];

/// A producer option's parsed setter (the same macro, for the producer's config type).
macro_rules! pparsed {
    ($parse:expr, |$c:ident, $v:ident| $body:expr) => {{
        fn set($c: &mut ProducerConfig, value: &str) -> Result<()> {
            let $v = $parse(value).map_err(Error::invalid_argument)?;
            $body
        }
        set
    }};
}

fn journal_dir(c: &ProducerConfig) -> String {
    c.journal_dir
        .as_ref()
        .map(|d| d.display().to_string())
        .unwrap_or_default()
}

/// The producer options (`lts_producer_config_set`).
pub static PRODUCER: &[Opt<ProducerConfig>] = &[
    Opt {
        name: "batch_size_bytes",
        kind: Kind::Integer,
        default: "524288",
        range: "1..=5242880",
        doc: "A batch closes when its raw (uncompressed protobuf) size would pass this.",
        write_only: false,
        set: pparsed!(integer::<usize>, |c, v| c.set_batch_size_bytes(v)),
        get: |c| c.batch_size_bytes.to_string(),
    },
    Opt {
        name: "batch_count",
        kind: Kind::Integer,
        default: "4096",
        range: "1..=40960",
        doc: "A batch closes when it holds this many logs.",
        write_only: false,
        set: pparsed!(integer::<u32>, |c, v| c.set_batch_count(v)),
        get: |c| c.batch_count.to_string(),
    },
    Opt {
        name: "linger_ms",
        kind: Kind::Integer,
        default: "2000",
        range: ">= 100",
        doc: "A batch closes this long after its first log arrived.",
        write_only: false,
        set: pparsed!(integer::<u32>, |c, v| c.set_linger_ms(v)),
        get: |c| c.linger.as_millis().to_string(),
    },
    Opt {
        name: "worker_count",
        kind: Kind::Integer,
        default: "8",
        range: "1..=256",
        doc: "Threads delivering batches (each holds one request at a time).",
        write_only: false,
        set: pparsed!(integer::<u32>, |c, v| c.set_worker_count(v)),
        get: |c| c.worker_count.to_string(),
    },
    Opt {
        name: "buffer_bytes",
        kind: Kind::Integer,
        default: "104857600",
        range: ">= 1, and at least batch_size_bytes",
        doc: "The cap on the memory accepted logs hold until reported, as the allocator holds it: batch buffers by capacity, label groups, sends' bookkeeping, and the request bodies workers deliver (room for one per worker, at most a quarter of the cap, is kept for them).",
        write_only: false,
        set: pparsed!(integer::<usize>, |c, v| c.set_buffer_bytes(v)),
        get: |c| c.buffer_bytes.to_string(),
    },
    Opt {
        name: "max_block_ms",
        kind: Kind::Integer,
        default: "0",
        range: "0..=4294967295",
        doc: "How long a send may wait for room under the cap before LTS_ERR_BUFFER_FULL (0: at once).",
        write_only: false,
        set: pparsed!(integer::<u32>, |c, v| c.set_max_block_ms(v)),
        get: |c| c.max_block.as_millis().to_string(),
    },
    Opt {
        name: "callback_mode",
        kind: Kind::Choice(&["thread", "poll"]),
        default: "thread",
        range: "thread | poll (LTS_CALLBACK_THREAD 0 | LTS_CALLBACK_POLL 1)",
        doc: "thread: callbacks (and log lines) run on one library thread; poll: in lts_producer_poll and close.",
        write_only: false,
        set: |c, v| {
            c.callback_mode = match v {
                "thread" | "0" => CallbackMode::Thread,
                "poll" | "1" => CallbackMode::Poll,
                _ => return Err(Error::invalid_argument("expected thread or poll")),
            };
            Ok(())
        },
        get: |c| match c.callback_mode {
            CallbackMode::Thread => "thread".to_owned(),
            CallbackMode::Poll => "poll".to_owned(),
        },
    },
    Opt {
        name: "delivery_timeout_ms",
        kind: Kind::Integer,
        default: "600000",
        range: "1..=4294967295",
        doc: "How long one batch may take to deliver, retries included, from when it closed.",
        write_only: false,
        set: pparsed!(integer::<u32>, |c, v| c.set_delivery_timeout_ms(v)),
        get: |c| c.delivery_timeout.as_millis().to_string(),
    },
    Opt {
        name: "journal_dir",
        kind: Kind::Text,
        default: "",
        range: "a directory path (\"\": no journal)",
        doc: "A directory this producer owns (made if missing; one producer per directory): each accepted send is copied into a memory-mapped file there (the ring) before send returns, and from there into segment files by a background thread, so a kill -9, an OOM kill or an abort loses no accepted log, and the next producer started on it sends what was not reported, under the same batch ids (stored once). Costs a copy and a CRC per send on the sending thread, a second copy on the background thread, and the ring's and the segments' disk (see Journal above).",
        write_only: false,
        set: |c, v| c.set_journal_dir(v),
        get: journal_dir,
    },
    Opt {
        name: "journal_max_bytes",
        kind: Kind::Integer,
        default: "1073741824",
        range: ">= 2 MiB, and at least two segments",
        doc: "Disk the journal's segment files may take, the spares kept for reuse included (the ring comes on top; DONE records may pass it by one segment); when it is full, a send waits up to max_block_ms for a segment to be freed, then is refused with LTS_ERR_BUFFER_FULL.",
        write_only: false,
        set: pparsed!(integer::<u64>, |c, v| c.set_journal_max_bytes(v)),
        get: |c| c.journal_max_bytes.to_string(),
    },
    Opt {
        name: "journal_segment_bytes",
        kind: Kind::Integer,
        default: "8388608",
        range: "1 MiB..=1 GiB, and at least twice the largest send",
        doc: "The size of one journal segment file: allocated whole when made (a full disk shows then, never as a crash), deleted whole once every batch in it is reported.",
        write_only: false,
        set: pparsed!(integer::<usize>, |c, v| c.set_journal_segment_bytes(v)),
        get: |c| c.journal_segment_bytes.to_string(),
    },
    Opt {
        name: "journal_sync_ms",
        kind: Kind::Integer,
        default: "1000",
        range: "0..=4294967295",
        doc: "How often a background thread makes the journal durable against power loss (fdatasync of the segments): a power cut loses at most this much of accepted logs. 0: each batch before it is sent (by the worker sending it).",
        write_only: false,
        set: pparsed!(integer::<u32>, |c, v| c.set_journal_sync_ms(v)),
        get: |c| c.journal_sync.as_millis().to_string(),
    },
    Opt {
        name: "journal_max_age_ms",
        kind: Kind::Integer,
        default: "3600000",
        range: "1..=4294967295",
        doc: "Batches a restart finds older than this are reported (log hook, stats journal_expired_batches), not sent: the service no longer knows their batch ids, so it could store them twice. The default is lts-local's window.",
        write_only: false,
        set: pparsed!(integer::<u32>, |c, v| c.set_journal_max_age_ms(v)),
        get: |c| c.journal_max_age.as_millis().to_string(),
    },
    Opt {
        name: "spill_dir",
        kind: Kind::Text,
        default: "",
        range: "a directory path (\"\": none)",
        doc: "The former name of journal_dir: the same setting.",
        write_only: false,
        set: |c, v| c.set_journal_dir(v),
        get: journal_dir,
    },
    Opt {
        name: "idle_units_max",
        kind: Kind::Integer,
        default: "1000",
        range: "0..=4294967295",
        doc: "Per-(project, unit) stats entries kept for units with nothing buffered or in flight; beyond it the least recently used are retired and summed in the stats' units_retired.",
        write_only: false,
        set: pparsed!(integer::<u32>, |c, v| {
            c.idle_units_max = v as usize;
            Ok(())
        }),
        get: |c| c.idle_units_max.to_string(),
    },
    Opt {
        name: "stats_interval_ms",
        kind: Kind::Integer,
        default: "0",
        range: "0 (off), or >= 100",
        doc: "How often the stats callback (lts_producer_config_set_stats_callback) gets the stats as JSON.",
        write_only: false,
        set: pparsed!(integer::<u32>, |c, v| c.set_stats_interval_ms(v)),
        get: |c| c.stats_interval.map_or(0, |d| d.as_millis()).to_string(),
    },
];

/// Both tables as JSON, for bindings that set options by name and test they know them all:
/// `{"client": [{"name", "type", "choices", "default", "range", "doc", "write_only",
/// "profile"}, ...], "producer": [...]}` ("profile": a wire-protocol profile key).
pub fn schema_json() -> String {
    fn list<C>(t: &'static [Opt<C>]) -> serde_json::Value {
        t.iter()
            .map(|o| {
                serde_json::json!({
                    "name": o.name,
                    "type": o.kind.name(),
                    "choices": match o.kind { Kind::Choice(c) => c.to_vec(), _ => vec![] },
                    "default": o.default,
                    "range": o.range,
                    "doc": o.doc,
                    "write_only": o.write_only,
                    "profile": crate::profile::KEYS.contains(&o.name),
                })
            })
            .collect()
    }
    serde_json::json!({"client": list(CLIENT), "producer": list(PRODUCER)}).to_string()
}

/// CONFIGURATION.md, from the tables (`cargo run -p xtask -- gen-config`).
pub fn configuration_md() -> String {
    fn table<C>(out: &mut String, t: &'static [Opt<C>]) {
        out.push_str("| key | type | default | accepted | what it does |\n|---|---|---|---|---|\n");
        for o in t {
            let default = if o.default.is_empty() {
                "—"
            } else {
                o.default
            };
            let kind = match o.kind {
                Kind::Choice(c) => c.join(" \\| "),
                k => k.name().to_owned(),
            };
            out.push_str(&format!(
                "| `{}` | {} | `{}` | {} | {}{} |\n",
                o.name,
                kind,
                default,
                o.range.replace('|', "\\|"),
                o.doc.replace('|', "\\|"),
                if o.write_only { " Write-only." } else { "" }
            ));
        }
    }
    let mut out = format!(
        r#"# Configuration

<!-- Generated from src/options.rs by `cargo run -p xtask -- gen-config`; CI checks it. -->

Every option is set by name — `lts_client_config_set(c, key, value)` and
`lts_producer_config_set(c, key, value)` in C, and the same keys in every binding — and
read back with the matching `_get`. An unknown key or a bad value is
`LTS_ERR_INVALID_ARGUMENT`, naming the key, the value and what is accepted, and leaves
the config unchanged. The typed setters (`lts_producer_config_set_linger_ms`, ...) go
through the same table.

## Values

Values are strings, taken exactly as given: nothing is trimmed.

- **integer** (every integer option, the profile's numbers, each item of an integer
  list, an endpoint's port): `0`, or a digit 1-9 followed by digits 0-9, and nothing
  else. No option takes a negative number, so there is no sign: `+5` and `-0` are
  refused. No spaces (`" 5"`, `"5\n"`), no leading zeros (`010` is 8 to C's `strtol`
  and 10 elsewhere), no other digits (`１`), no `0x10`, `1e3`, `5_000` or `5.0`. A
  number past what the option takes is refused with the accepted range, never wrapped
  or clamped. The typed C setters take the number itself.
- **integer list**: integers as above separated by commas, without spaces (`500,503`);
  `""` for none.
- **bool**: `true` or `false` (also `1`/`0`, `yes`/`no`, `on`/`off`), in any case.
- **choice**: one of the listed names, or its C constant's number.

## Endpoint

The endpoint (`lts_client_config_new`, or the `endpoint` key) is parsed when it is
given, and a malformed one is `LTS_ERR_INVALID_ARGUMENT` naming what is wrong:

```text
endpoint = [scheme "://"] host [":" port] [prefix]
scheme   = http | https      (any case; none given means https)
host     = name | IPv4 | "[" IPv6 "]"
port     = 1..=65535, an integer as above
prefix   = ("/" segment)*    (trailing slashes are dropped)
```

- A **name** is labels of letters, digits, `-` and `_` joined by dots: each label 1-63
  characters, not starting or ending with `-`, 253 characters in all. Case does not
  matter; it reads back in lower case.
- A name with **non-ASCII** letters is converted by IDNA (UTS #46, as browsers and the
  HTTP stack do) and stored, read back and sent in that ASCII form:
  `https://münchen.example` reads back as `https://xn--mnchen-3ya.example`.
- A host whose last label is a number must be a dotted-quad **IPv4** address
  (`127.0.0.1`): `127.1`, `0x7f.0.0.1` and `010.0.0.1` are refused, as parsers read
  them differently. **IPv6** only in brackets (`http://[::1]:8080`), without a zone.
- A **prefix** segment holds letters, digits, `-._~!$&'()*+,;=:@` and `%` with two hex
  digits; it is not empty, `.` or `..`.
- Refused anywhere: credentials (`user:password@`), a query (`?`), a fragment (`#`),
  spaces and control characters, `\`, and more than {max_endpoint} bytes in all.

## Files

A file named by an option must be a regular file (not a device, a pipe or a directory),
and its size is bounded: `ca_file` at most {max_ca} (a system's whole bundle of roots is
about 250 KiB), refused with its size otherwise. In `journal_dir` a producer reads only
its segment files (`seg-<16 hex digits>.ltsj`), each at most {max_segment} (the largest
segment), and its ring file (`ring.ltsr`, at most 1 GiB and a page); anything else there
is never read. A segment that cannot be used (not a
regular file, too large, a damaged header, another format version) is renamed
`*.ltsj.damaged`, left in place and named in a line of the library's log.

## Journal

With `journal_dir` set, what each setting guarantees and costs:

- **A crash of the process** (`kill -9`, an OOM kill, an abort): no log whose send
  returned `LTS_OK` is lost. Each send's records are written, before it returns, into the
  journal's ring (`ring.ltsr`: a file mapped into memory, the larger of 16 MiB and
  `journal_segment_bytes`): what is there is in the kernel's page cache, which outlives
  the process. A background thread (`lts-journal`) copies them into the segment files
  every 10 ms. The next producer started on the directory first copies into the segments
  what the ring still held, then sends every batch not reported, under the batch id it
  had; the service answers a repeated id with success without storing it again, so
  nothing is stored twice. A batch that was open at the crash is sent as one batch.
  RELIABILITY.md ("Crashes") has the test: 50 `kill -9` at random moments, every
  accepted log checked.
- **A power loss**: at most the last `journal_sync_ms` of accepted logs is lost: every
  `journal_sync_ms` the background thread makes the segments durable (`fdatasync`); the
  ring is never synced. With `journal_sync_ms` 0 each batch is made durable before it is
  sent (by the worker sending it), so no log of a batch that was sent is lost; logs of
  batches still open may be.
- **Restart**: starting a producer on a directory never fails because of what is in it,
  and returns at once (new and start took 9 ms on a directory holding 1 GiB, in a debug
  build); a background thread reads the segments, one in memory at a time, and queues
  each batch under the memory cap as soon as its last record is read, so the recovery
  holds at most the memory cap and one segment. A torn tail (a record a crash cut short)
  or a damaged record is skipped, counted in the stats (`journal_damaged_records`) and
  said in the log. Batches older than `journal_max_age_ms` are reported, not sent
  (`journal_expired_batches`). `safe_close` waits until what a restart found is
  delivered, refusing new sends from when it begins; `close(timeout)` leaves the rest in
  the journal.
- **Close** leaves the batches it could not send (reported `LTS_ERR_CLOSED`) in the
  journal for the next producer; the former `spill_dir` is the same setting.
- **Disk**: `journal_max_bytes` bounds the segment files (up to 4 segments whose batches
  are all done are kept, as spares, to be written again, and count in it); the ring comes
  on top, and `DONE` records (a batch reported) may pass the bound by one segment. When
  it is full a send waits for room like under the memory cap (`max_block_ms`), then is
  refused with `LTS_ERR_BUFFER_FULL`.
- **A full or failing disk** never fails a send or crashes the process (the ring and the
  segments are allocated whole when made, so a full disk shows there, never as SIGBUS
  under a mapped write): the journal says so in the log (when it stops, and when it
  writes again), counts it (`journal_errors`), and new logs are kept in memory only until
  it can write again (it tries every 5 s). A first start where the ring cannot be made
  (a full disk) is refused: `lts_producer_new` fails with `LTS_ERR_INVALID_ARGUMENT`
  naming the ring file; a restart uses the ring it finds.
- **Ownership**: one producer per directory (a lock on `journal_dir/lock`, which the kernel
  drops when the process dies and a forked child does not inherit, and also when the
  process closes any descriptor of that file: let nothing else in the process open it);
  another, in this process or another, gets `LTS_ERR_INVALID_STATE` naming the directory and the
  owner's pid, and touches none of its files. A forked child's producer
  (`lts_producer_after_fork`) has no journal: the directory stays its parent's, and the
  child does not even have the ring mapped.
- **Cost**: per send, on the sending thread, a copy of its encoded logs into the ring
  and a CRC-32C; on the background thread, a second copy into the segment files
  (`pwritev`) and an `fdatasync` every `journal_sync_ms`; per segment, a file allocated
  whole (or a spare reused). BENCHMARKS.md has the figures beside the memory-only
  producer. The process maps the ring (file pages, not heap).

## Client (`lts_client_config_set`)

"#,
        max_endpoint = crate::endpoint::MAX_ENDPOINT_BYTES,
        max_ca = crate::bounded_file::in_units(crate::config::MAX_CA_BYTES),
        max_segment = crate::bounded_file::in_units(
            crate::producer::config::MAX_JOURNAL_SEGMENT_BYTES as u64
        ),
    );
    table(&mut out, CLIENT);
    out.push_str("\n## Producer (`lts_producer_config_set`)\n\n");
    table(&mut out, PRODUCER);
    out.push_str(
        "\nThe log hook and its level (`lts_set_log_callback`, `lts_set_log_level`) are the\n\
         process's, not a config's: see `include/lts.h`.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ClientConfig {
        ClientConfig::new("http://127.0.0.1:1", "ak", "sk", "p").unwrap()
    }

    #[test]
    fn every_default_is_what_a_new_config_reads() {
        let c = client();
        for o in CLIENT.iter().filter(|o| !o.write_only) {
            let want = match o.name {
                "endpoint" => "http://127.0.0.1:1".to_owned(),
                "access_key" => "ak".to_owned(),
                "log_project" => "p".to_owned(),
                "user_agent" => crate::config::default_user_agent(),
                _ => o.default.to_owned(),
            };
            assert_eq!(
                get(CLIENT, "client", &c, o.name).unwrap(),
                want,
                "{}",
                o.name
            );
        }
        let p = ProducerConfig::default();
        for o in PRODUCER {
            assert_eq!(
                get(PRODUCER, "producer", &p, o.name).unwrap(),
                o.default,
                "{}",
                o.name
            );
        }
    }

    #[test]
    fn set_then_get_round_trips_and_bad_values_name_the_key_and_range() {
        let mut p = ProducerConfig::default();
        set(PRODUCER, "producer", &mut p, "linger_ms", "150").unwrap();
        assert_eq!(get(PRODUCER, "producer", &p, "linger_ms").unwrap(), "150");
        set(PRODUCER, "producer", &mut p, "callback_mode", "poll").unwrap();
        assert_eq!(p.callback_mode, CallbackMode::Poll);
        let e = set(PRODUCER, "producer", &mut p, "linger_ms", "50").unwrap_err();
        assert!(
            e.message.contains("linger_ms")
                && e.message.contains("\"50\"")
                && e.message.contains(">= 100"),
            "{}",
            e.message
        );
        let e = set(PRODUCER, "producer", &mut p, "linger_ms", "soon").unwrap_err();
        assert!(e.message.contains("'s' is not a digit"), "{}", e.message);
        assert_eq!(
            get(PRODUCER, "producer", &p, "linger_ms").unwrap(),
            "150",
            "unchanged"
        );
        let e = set(PRODUCER, "producer", &mut p, "lingerms", "150").unwrap_err();
        assert!(
            e.message.contains("unknown producer option \"lingerms\"")
                && e.message.contains("linger_ms"),
            "{}",
            e.message
        );

        let mut c = client();
        set(CLIENT, "client", &mut c, "no_retry_status_code", "500,503").unwrap();
        assert_eq!(
            get(CLIENT, "client", &c, "no_retry_status_code").unwrap(),
            "500,503"
        );
        assert!(set(CLIENT, "client", &mut c, "no_retry_status_code", "500,99").is_err());
        assert_eq!(
            c.no_retry_status_codes,
            [500, 503],
            "a refused list changes nothing"
        );
        set(CLIENT, "client", &mut c, "put_path", "/custom").unwrap();
        assert_eq!(c.profile.put_path, "/custom");
        let e = set(CLIENT, "client", &mut c, "secret_key", "").unwrap_err();
        assert!(e.message.contains("<hidden>"), "{}", e.message);
        set(CLIENT, "client", &mut c, "secret_key", "new-secret").unwrap();
        assert!(
            get(CLIENT, "client", &c, "secret_key").is_err(),
            "write-only"
        );
    }

    /// Every integer option, of either table and of the profile, reads its value with the
    /// one grammar (src/integer.rs), and says so naming the key.
    #[test]
    fn every_integer_option_has_the_one_grammar() {
        fn check<C>(table: &'static [Opt<C>], what: &str, fresh: impl Fn() -> C) -> usize {
            let mut checked = 0;
            for o in table.iter().filter(|o| o.kind == Kind::Integer) {
                let mut cfg = fresh();
                for (bad, why) in [
                    (" 5", "spaces"),
                    ("5 ", "spaces"),
                    ("5\n", "spaces"),
                    ("", "empty"),
                    ("+5", "'+'"),
                    ("-0", "negative"),
                    ("-1", "negative"),
                    ("0x10", "'x' is not a digit"),
                    ("05", "leading zeros"),
                    ("１", "'１' is not a digit"),
                    ("1e3", "'e' is not a digit"),
                    ("99999999999999999999", "out of range"),
                ] {
                    let e = set(table, what, &mut cfg, o.name, bad).unwrap_err();
                    assert!(
                        e.kind == crate::ErrorKind::InvalidArgument
                            && e.message.contains(o.name)
                            && e.message.contains(&format!("{bad:?}"))
                            && e.message.contains(why),
                        "{} {bad:?}: {}",
                        o.name,
                        e.message
                    );
                    assert_eq!(
                        get(table, what, &cfg, o.name).unwrap(),
                        o.default,
                        "{}: unchanged",
                        o.name
                    );
                }
                set(table, what, &mut cfg, o.name, o.default).unwrap();
                checked += 1;
            }
            checked
        }
        assert_eq!(check(CLIENT, "client", client), 5);
        assert_eq!(check(PRODUCER, "producer", ProducerConfig::default), 13);

        // The largest value of the type an option is held in, and one more.
        let mut p = ProducerConfig::default();
        set(PRODUCER, "producer", &mut p, "max_block_ms", "4294967295").unwrap();
        let e = set(PRODUCER, "producer", &mut p, "max_block_ms", "4294967296").unwrap_err();
        assert!(
            e.message.contains("out of range 0..=4294967295"),
            "{}",
            e.message
        );
        let mut c = client();
        set(CLIENT, "client", &mut c, "backoff_cap_ms", "600000").unwrap();
        let e = set(CLIENT, "client", &mut c, "backoff_cap_ms", "600001").unwrap_err();
        assert!(e.message.contains("1..=600000"), "{}", e.message);
        set(CLIENT, "client", &mut c, "token_renew_percent", "1").unwrap();
        assert!(set(CLIENT, "client", &mut c, "token_renew_percent", "0").is_err());
    }

    #[test]
    fn integer_lists_are_integers_of_the_grammar_joined_by_bare_commas() {
        let mut c = client();
        set(CLIENT, "client", &mut c, "no_retry_status_code", "500,503").unwrap();
        for (bad, why) in [
            ("500, 503", "spaces"),
            ("500,,503", "empty"),
            ("500,", "empty"),
            ("+500", "'+'"),
            ("0500", "leading zeros"),
            ("499,99", "out of range 100..=599"),
            ("600", "out of range 100..=599"),
        ] {
            let e = set(CLIENT, "client", &mut c, "no_retry_status_code", bad).unwrap_err();
            assert!(e.message.contains(why), "{bad:?}: {}", e.message);
            assert_eq!(
                c.no_retry_status_codes,
                [500, 503],
                "{bad:?} changed nothing"
            );
        }
        set(CLIENT, "client", &mut c, "no_retry_status_code", "").unwrap();
        assert!(c.no_retry_status_codes.is_empty());
    }

    #[test]
    fn the_schema_lists_every_option_once() {
        let s: serde_json::Value = serde_json::from_str(&schema_json()).unwrap();
        for (kind, n) in [("client", CLIENT.len()), ("producer", PRODUCER.len())] {
            let names: std::collections::HashSet<&str> = s[kind]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["name"].as_str().unwrap())
                .collect();
            assert_eq!(names.len(), n, "{kind}");
        }
    }
}
