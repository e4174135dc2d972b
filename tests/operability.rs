//! What the library tells its operator: the log hook's lines (the first failure at once,
//! rate-limited, where callbacks run, never a secret), the service's code in results from
//! the token call, and the stats report with its periodic callback.

mod common;

use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use common::*;
use lts::log::{self, Level};
use lts::producer::{CallbackMode, Producer, ProducerConfig, SendResult};
use lts::ClientConfig;

/// The secret every test here uses: no line may ever contain it.
const MARKER_SECRET: &str = "SECRET-MARKER-7f3a9c";

#[derive(Debug, Clone)]
struct Line {
    level: Level,
    text: String,
    thread: ThreadId,
}

/// The hook is the process's: the tests here take turns, each with its own line channel.
static TURN: Mutex<()> = Mutex::new(());
static SINK: Mutex<Option<mpsc::Sender<Line>>> = Mutex::new(None);
static ALL_LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Turn {
    lines: mpsc::Receiver<Line>,
    _turn: MutexGuard<'static, ()>,
}

fn turn(level: Level) -> Turn {
    let guard = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let (tx, rx) = mpsc::channel();
    *SINK.lock().unwrap() = Some(tx);
    log::set_level(level as i32);
    log::set_hook(Some(Arc::new(|level, text: &str| {
        ALL_LINES.lock().unwrap().push(text.to_owned());
        if let Some(tx) = &*SINK.lock().unwrap() {
            let _ = tx.send(Line {
                level,
                text: text.to_owned(),
                thread: std::thread::current().id(),
            });
        }
    })));
    Turn {
        lines: rx,
        _turn: guard,
    }
}

impl Turn {
    /// The first line matching `want` within `within`, or a failure naming what came.
    fn expect(&self, within: Duration, what: &str, want: impl Fn(&Line) -> bool) -> Line {
        let end = Instant::now() + within;
        let mut seen = Vec::new();
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if want(&l) => return l,
                Ok(l) => seen.push(l),
                Err(_) => panic!("no line {what} within {within:?}; got {seen:#?}"),
            }
        }
    }

    fn rest(&self) -> Vec<Line> {
        self.lines.try_iter().collect()
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        *SINK.lock().unwrap() = None;
        let leaked: Vec<String> = ALL_LINES
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(MARKER_SECRET))
            .cloned()
            .collect();
        if !std::thread::panicking() {
            assert!(leaked.is_empty(), "a line carried the secret: {leaked:?}");
        }
    }
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn client_config(endpoint: &str, secret: &str) -> ClientConfig {
    let mut c = ClientConfig::new(endpoint, lts_local::DEFAULT_ACCESS_KEY, secret, "proj").unwrap();
    c.profile.set("backoff_base_ms", "20").unwrap();
    c.profile.set("backoff_cap_ms", "50").unwrap();
    c
}

fn started(client: ClientConfig, f: impl FnOnce(&mut ProducerConfig)) -> Producer {
    let mut c = ProducerConfig::default();
    c.set_linger_ms(100).unwrap();
    c.set_worker_count(2).unwrap();
    f(&mut c);
    let p = Producer::new(c).unwrap();
    p.add_client(client).unwrap();
    p.start().unwrap();
    p
}

/// Sends one log whose result goes to the returned channel.
fn send_one(p: &Producer, i: i64) -> mpsc::Receiver<SendResult> {
    let (tx, rx) = mpsc::channel();
    let it = item(i);
    p.send(
        "proj",
        "unit-a",
        &[&it],
        Some(Box::new(move |r: &SendResult| {
            let _ = tx.send(r.clone());
        })),
    )
    .unwrap();
    rx
}

fn assert_balanced(p: &Producer) {
    let s = p.stats();
    assert_eq!(s.logs_accepted, s.logs_sent + s.logs_failed, "{s:?}");
    assert_eq!(s.buffered_bytes, 0, "{s:?}");
}

#[test]
fn a_producer_at_a_closed_port_logs_its_first_failed_attempt_within_a_second() {
    let t = turn(Level::Warn);
    let port = closed_port();
    let p = started(
        client_config(&format!("http://127.0.0.1:{port}"), MARKER_SECRET),
        |_| {},
    );
    let sent_at = Instant::now();
    let result = send_one(&p, 1);
    let first = t.expect(Duration::from_secs(1), "about the failed token call", |l| {
        l.level == Level::Warn && l.text.contains("attempt 1 failed")
    });
    assert!(sent_at.elapsed() < Duration::from_secs(1));
    assert!(
        first.text.contains(&format!("127.0.0.1:{port}")),
        "{}",
        first.text
    );
    assert!(first.text.contains("next attempt in"), "{}", first.text);
    assert!(
        first.text.contains("getting a token failed"),
        "{}",
        first.text
    );

    // Many more attempts fail; the window lets no second line of the kind through.
    let wait_end = Instant::now() + Duration::from_secs(5);
    while p.stats_report().retries_by_reason.network < 10 {
        assert!(Instant::now() < wait_end, "the attempts go on");
        std::thread::sleep(Duration::from_millis(5));
    }
    let report = p.stats_report();
    assert!(report.token_failures >= 10, "{report:?}");
    assert!(report.retries_by_reason.network >= 10, "{report:?}");

    let closed = p.close(Some(Duration::ZERO)).unwrap_err();
    assert_eq!(closed.kind, lts::ErrorKind::Timeout);
    let r = result.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(r.error, Some(lts::ErrorKind::Closed));
    assert_balanced(&p);
    let rest = t.rest();
    let repeats: Vec<&Line> = rest
        .iter()
        .filter(|l| l.text.contains("attempt") && l.text.contains("failed:"))
        .collect();
    assert!(repeats.is_empty(), "rate-limited: {repeats:#?}");
    assert!(
        rest.iter().any(|l| l.level == Level::Error
            && l.text
                .contains("close ran out of time: 1 logs in 1 batches")),
        "{rest:#?}"
    );
    assert!(
        rest.iter()
            .any(|l| l.text.contains("more token failures") && l.text.contains("were not logged")),
        "the left-out count is flushed at close: {rest:#?}"
    );
}

#[test]
fn in_poll_mode_the_lines_run_in_poll_on_the_polling_thread() {
    let t = turn(Level::Warn);
    let port = closed_port();
    let p = started(
        client_config(&format!("http://127.0.0.1:{port}"), MARKER_SECRET),
        |c| c.callback_mode = CallbackMode::Poll,
    );
    let _result = send_one(&p, 1);
    let wait_end = Instant::now() + Duration::from_secs(5);
    while p.stats_report().token_failures == 0 {
        assert!(Instant::now() < wait_end, "the first attempt fails");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(t.rest().is_empty(), "nothing runs the line before a poll");
    assert_eq!(
        p.poll(10, Duration::from_millis(50)).unwrap(),
        0,
        "no callback is ready"
    );
    let line = t.expect(Duration::ZERO, "from the poll", |l| {
        l.text.contains("attempt 1 failed")
    });
    assert_eq!(line.thread, std::thread::current().id());
    let _ = p.close(Some(Duration::ZERO));
    assert_balanced(&p);
}

#[test]
fn a_refused_token_call_gives_its_code_in_results_and_in_a_line() {
    let t = turn(Level::Warn);
    let server = server();
    let mut c = client_config(&server.url(), MARKER_SECRET);
    c.profile.set("backoff_base_ms", "1").unwrap();

    // The sync client: the answer comes with the error.
    let e = lts::Client::new(c.clone())
        .err()
        .expect("a wrong secret is refused");
    assert_eq!(e.kind, lts::ErrorKind::Auth);
    assert_eq!(
        e.response.as_ref().map(|r| r.error.as_str()),
        Some("LTS_8007"),
        "{e:?}"
    );

    let p = started(c, |_| {});
    let result = send_one(&p, 1);
    let r = result
        .recv_timeout(Duration::from_secs(5))
        .expect("refusals are final");
    assert_eq!(r.error, Some(lts::ErrorKind::Auth));
    assert_eq!(r.error_code, "LTS_8007", "{r:?}");
    let line = t.expect(Duration::from_secs(1), "about the refusal", |l| {
        l.level == Level::Error && l.text.contains("LTS_8007")
    });
    assert!(line.text.contains("token call refused"), "{}", line.text);
    let report = p.stats_report();
    let last = report.last_error.as_ref().expect("a batch failed");
    assert_eq!(
        (last.result, last.error.as_str()),
        ("LTS_ERR_AUTH", "LTS_8007")
    );
    p.close(None).unwrap();
    assert_balanced(&p);
}

#[test]
fn lines_above_the_level_are_dropped_and_off_drops_all() {
    let t = turn(Level::Error);
    let port = closed_port();
    let p = started(
        client_config(&format!("http://127.0.0.1:{port}"), MARKER_SECRET),
        |_| {},
    );
    let _r = send_one(&p, 1);
    let wait_end = Instant::now() + Duration::from_secs(5);
    while p.stats_report().token_failures < 2 {
        assert!(Instant::now() < wait_end);
        std::thread::sleep(Duration::from_millis(5));
    }
    log::set_level(log::OFF);
    let _ = p.close(Some(Duration::ZERO));
    assert_balanced(&p);
    let got = t.rest();
    assert!(
        got.is_empty(),
        "warnings under Error, then nothing at OFF: {got:#?}"
    );
}

#[test]
fn a_delivery_that_recovers_says_so_at_info_and_debug_shows_the_token() {
    let t = turn(Level::Debug);
    let server = server();
    set_faults(&server, serde_json::json!({"fail_next": 2}));
    let p = started(config(&server), |_| {});
    let r = send_one(&p, 1)
        .recv_timeout(Duration::from_secs(10))
        .unwrap();
    assert_eq!(r.error, None, "{r:?}");
    t.expect(Duration::from_secs(1), "about the token", |l| {
        l.level == Level::Debug && l.text.contains("token for")
    });
    t.expect(Duration::from_secs(1), "about the recovery", |l| {
        l.level == Level::Info && l.text.contains("succeeded on attempt 3")
    });
    let report = p.stats_report();
    assert_eq!(report.retries_by_reason.server, 2, "{report:?}");
    p.close(None).unwrap();
    assert_balanced(&p);
}

#[test]
fn the_stats_report_counts_units_and_the_callback_gets_it_periodically() {
    let _t = turn(Level::Warn);
    let server = server();
    let (tx, rx) = mpsc::channel::<String>();
    let tx = Mutex::new(tx);
    let p = started(config(&server), |c| {
        c.set_stats_interval_ms(100).unwrap();
        c.stats_callback = Some(Arc::new(move |json: &str| {
            let _ = tx.lock().unwrap().send(json.to_owned());
        }));
    });
    let mut results = Vec::new();
    for i in 0..3 {
        results.push(send_one(&p, i));
    }
    let it = item(9);
    p.send("proj", "unit-b", &[&it], None).unwrap();
    for r in results {
        assert_eq!(r.recv_timeout(Duration::from_secs(5)).unwrap().error, None);
    }
    // Periodic: two reports a tick apart, the later one seeing what the earlier saw.
    let a: serde_json::Value =
        serde_json::from_str(&rx.recv_timeout(Duration::from_secs(2)).unwrap()).unwrap();
    let b: serde_json::Value =
        serde_json::from_str(&rx.recv_timeout(Duration::from_secs(2)).unwrap()).unwrap();
    assert!(b["logs_accepted"].as_u64() >= a["logs_accepted"].as_u64());
    p.close(None).unwrap();
    assert_balanced(&p);

    let json: serde_json::Value = serde_json::from_str(&p.stats_json()).unwrap();
    let s = p.stats();
    assert_eq!(json["logs_accepted"], s.logs_accepted);
    assert_eq!(json["logs_sent"], 4);
    assert!(
        json.get("struct_size").is_none(),
        "a C detail, not a counter"
    );
    let units = json["units"].as_array().unwrap();
    assert_eq!(units.len(), 2, "{units:?}");
    assert_eq!(units[0]["unit"], "unit-a");
    assert_eq!(units[0]["logs_accepted"], 3);
    assert_eq!(units[0]["logs_sent"], 3);
    assert_eq!(units[1]["unit"], "unit-b");
    assert_eq!(units[1]["logs_sent"], 1);
    assert_eq!(json["token_renewals"], 1);
    assert_eq!(json["last_error"], serde_json::Value::Null);
    for key in [
        "network",
        "timeout",
        "throttled",
        "server",
        "token_rejected",
    ] {
        assert_eq!(json["retries_by_reason"][key], 0, "{key}");
    }
    assert!(
        rx.try_iter().count() < 100,
        "no report after close, and not more than one per tick"
    );
}
