//! Benchmark: invitation emails rendered and handed to a local SMTP server per second,
//! and the memory it takes. Method and results: BENCHMARKS.md. Run with
//! `cargo run --release -p advocate-server --example invitation_throughput -- --customers 100000`
//! (options: `--concurrency K` deliveries in flight, default the production setting;
//! `--no-split` skips the second database that times the phases one at a time;
//! `--quickack` makes the sink acknowledge TCP segments at once, which removes the 40 ms
//! Nagle/delayed-ACK stall lettre 0.11.23 meets on every message — see smtp_sink.rs).
//! The database is a fresh SQLite file, or PostgreSQL with ADVOCATE_TEST_POSTGRES_URL.
//!
//! The SMTP server is this same program started again with `--sink`, in its own process,
//! so the memory measured here is the pipeline's alone.

#[path = "support/smtp_sink.rs"]
mod smtp_sink;

use advocate_core::customer::CustomerInput;
use advocate_core::{Channel, Label, Language, SurveyKind};
use advocate_server::worker::{self, DeliveryConfig, SmtpSettings};
use advocate_store::delivery::outbox::{EmailMessage, OutboxMessage, OutboxStatus};
use advocate_store::invitations::{InvitationFilter, InvitationStatus, InviteRequest, Source};
use advocate_store::models::NewSurvey;
use advocate_store::testing::TestDb;
use advocate_store::Store;
use base64::Engine as _;
use chrono::Utc;
use lettre::address::Envelope;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{MultiPart, SinglePart};
use lettre::{AsyncTransport, Message};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The 7 languages invitations are written in; customers take them in turn.
const LANGUAGES: [&str; 7] = ["en", "nb", "sv", "da", "fi", "de", "nl"];
/// A name per language (non-ASCII where the language has it); every tenth customer has none.
const NAMES: [&str; 7] = [
    "Emily Clarke",
    "Åse Bjørnstad",
    "Märta Öberg",
    "Søren Kjær",
    "Väinö Mäkelä",
    "Jürgen Weiß",
    "Daan de Vries",
];
const CHUNK: usize = 1000;
/// Give up when the sink sees no new message for this long.
const STALL: Duration = Duration::from_secs(120);

struct Args {
    customers: usize,
    concurrency: usize,
    split: bool,
    quickack: bool,
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if argv.first().map(String::as_str) == Some("--sink") {
        let sample = PathBuf::from(argv.get(1).expect("--sink SAMPLE_FILE [--quickack]"));
        let quickack = argv.get(2).is_some_and(|a| a == "--quickack");
        return runtime.block_on(run_sink(sample, quickack));
    }
    let mut args = Args {
        customers: 100_000,
        concurrency: DeliveryConfig::default().concurrency,
        split: true,
        quickack: false,
    };
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> usize {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match a.as_str() {
            "--customers" => args.customers = value("--customers"),
            "--concurrency" => args.concurrency = value("--concurrency"),
            "--no-split" => args.split = false,
            "--quickack" => args.quickack = true,
            other => panic!(
                "unknown argument {other:?}; use --customers N, --concurrency K, --no-split, \
                 --quickack"
            ),
        }
    }
    assert!(args.customers > 0, "--customers must be at least 1");
    runtime.block_on(bench(args));
}

// ---------------------------------------------------------------------------------------
// The SMTP sink, in its own process.

async fn run_sink(sample_file: PathBuf, quickack: bool) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("{}", listener.local_addr().unwrap());
    let stats = Arc::new(smtp_sink::Stats::default());
    // The benchmark holds our stdin open; when it ends (or dies), so do we.
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    let s = stats.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let sample = s.sample.lock().unwrap().take();
            if let Some(sample) = sample {
                std::fs::write(&sample_file, sample).expect("write the sample message");
                return;
            }
        }
    });
    smtp_sink::serve(listener, stats, quickack).await.unwrap();
}

/// The sink process and a control connection to it.
struct Sink {
    child: tokio::process::Child,
    addr: String,
    sample_file: PathBuf,
    control: BufReader<TcpStream>,
}

impl Sink {
    async fn start(dir: &Path, quickack: bool) -> Self {
        let sample_file = dir.join("sample.eml");
        let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
            .arg("--sink")
            .arg(&sample_file)
            .args(quickack.then_some("--quickack"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the SMTP sink process");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut addr = String::new();
        out.read_line(&mut addr).await.unwrap();
        let addr = addr.trim().to_owned();
        let mut control = BufReader::new(TcpStream::connect(&addr).await.unwrap());
        let mut greeting = String::new();
        control.read_line(&mut greeting).await.unwrap();
        assert!(greeting.starts_with("220"), "sink greeting: {greeting}");
        Self {
            child,
            addr,
            sample_file,
            control,
        }
    }

    /// Messages and bytes received so far.
    async fn stat(&mut self) -> (u64, u64) {
        let (messages, bytes, _) = self.stat_all().await;
        (messages, bytes)
    }

    /// Messages, bytes and connections accepted so far.
    async fn stat_all(&mut self) -> (u64, u64, u64) {
        self.control
            .get_mut()
            .write_all(b"XSTAT\r\n")
            .await
            .unwrap();
        let mut line = String::new();
        self.control.read_line(&mut line).await.unwrap();
        let mut f = line.trim().split(' ').skip(1).map(|n| n.parse().unwrap());
        (f.next().unwrap(), f.next().unwrap(), f.next().unwrap())
    }

    fn peak_rss_kb(&self) -> u64 {
        self.child
            .id()
            .map_or(0, |pid| status_kb(&format!("/proc/{pid}/status"), "VmHWM"))
    }
}

// ---------------------------------------------------------------------------------------
// Memory.

fn status_kb(path: &str, field: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn rss_kb() -> u64 {
    status_kb("/proc/self/status", "VmRSS")
}

fn hwm_kb() -> u64 {
    status_kb("/proc/self/status", "VmHWM")
}

fn mb(kb: u64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}

/// Samples this process's resident memory every 50 ms and keeps the highest.
struct RssSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    fn start() -> Self {
        let peak = Arc::new(AtomicU64::new(rss_kb()));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let task = tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss_kb(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        Self { peak, stop, task }
    }

    async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak.fetch_max(rss_kb(), Ordering::Relaxed);
        self.peak.load(Ordering::Relaxed)
    }
}

// ---------------------------------------------------------------------------------------
// The benchmark.

/// The benchmark's workspace. Customers are made on the fly from their number, so the
/// benchmark holds no list of them and the memory measured is the pipeline's.
struct Fixture {
    workspace_id: i64,
    survey_id: i64,
    customers: usize,
}

impl Fixture {
    fn chunks(&self) -> impl Iterator<Item = Vec<CustomerInput>> + '_ {
        (0..self.customers).step_by(CHUNK).map(|start| {
            (start..(start + CHUNK).min(self.customers))
                .map(customer)
                .collect()
        })
    }
}

async fn bench(args: Args) {
    let n = args.customers;
    print_machine();
    let dir = std::env::temp_dir().join(format!("advocate-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut sink = Sink::start(&dir, args.quickack).await;
    let smtp = SmtpSettings::parse(&format!("smtp://{}", sink.addr)).unwrap();
    let config = DeliveryConfig {
        smtp: Some(smtp.clone()),
        concurrency: args.concurrency,
        ..DeliveryConfig::default()
    };
    println!(
        "customers: {n}; deliveries in flight: {}; SMTP sink: {} (separate process{})",
        config.concurrency,
        sink.addr,
        if args.quickack {
            ", quick ACKs"
        } else {
            ", ordinary delayed ACKs"
        }
    );
    let (e2e_rate, ceiling_msgs) = production_run(n, &mut sink, &config).await;
    let mut split = None;
    if args.split {
        split = Some(phases_run(n, &mut sink, &config).await);
    }
    let concurrency = args.concurrency;
    baselines(
        &smtp,
        &ceiling_msgs,
        n,
        concurrency,
        &mut sink,
        e2e_rate,
        split,
    )
    .await;
    println!(
        "sink process peak RSS: {} (not included above)",
        mb(sink.peak_rss_kb())
    );
    drop(sink.child.stdin.take());
    let _ = tokio::time::timeout(Duration::from_secs(5), sink.child.wait()).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Run 1: everything as production runs it. Returns the end-to-end rate and the
/// messages the baselines send again.
async fn production_run(
    n: usize,
    sink: &mut Sink,
    config: &DeliveryConfig,
) -> (f64, Vec<OutboxMessage>) {
    let db = new_db().await;
    let store = db.store().await;
    println!("database: {:?}", db.backend);
    let fx = setup(&store, n).await;
    let rss_before = rss_kb();
    let hwm_before = hwm_kb();
    let invite_secs = invite_all(&store, &fx, "run 1").await;
    let (sunk_before, bytes_before) = sink.stat().await;
    let sampler = RssSampler::start();
    let started = Instant::now();
    let workers = worker::start(store.clone(), config.clone());
    let progress = wait_for_sink(sink, sunk_before + n as u64, started, Some(&store), &fx).await;
    let peak_rss = sampler.finish().await;
    let recorded = wait_recorded(&store, fx.workspace_id, n, started).await;
    workers.shutdown().await;
    let (sunk, bytes, connections) = sink.stat_all().await;
    assert_eq!(
        sunk - sunk_before,
        n as u64,
        "the sink received exactly N messages"
    );
    verify(&store, &fx, n).await;
    let sample = verify_sample(&sink.sample_file, store.public_url(), &fx);
    let avg_bytes = (bytes - bytes_before) / n as u64;
    let e2e_rate = n as f64 / progress.done.as_secs_f64();
    println!();
    println!("== run 1: invite, then the workers send everything (production path)");
    println!(
        "invite (Invitations::invite, {CHUNK} per call): {invite_secs:.2} s = {:.0} invitations/s",
        n as f64 / invite_secs
    );
    println!(
        "end to end (render + outbox + SMTP handoff): {n} messages in {:.2} s = {e2e_rate:.0}/s",
        progress.done.as_secs_f64()
    );
    if let Some(d) = progress.dispatched {
        println!(
            "  of which: last invitation rendered into the outbox after {:.2} s",
            d.as_secs_f64()
        );
    }
    println!(
        "  all {n} recorded delivered after {:.2} s",
        recorded.as_secs_f64()
    );
    println!("average message {avg_bytes} bytes; sample: {sample}");
    println!(
        "SMTP connections the sink accepted so far: {connections} (1 is the control connection)"
    );
    println!(
        "memory: RSS {} after import; peak RSS sampled during the send {}; VmHWM {} before invite, {} after the send",
        mb(rss_before),
        mb(peak_rss),
        mb(hwm_before),
        mb(hwm_kb())
    );
    let ceiling_msgs = ceiling_messages(&store, fx.workspace_id).await;
    drop(store);
    drop(db);
    (e2e_rate, ceiling_msgs)
}

/// Run 2: a fresh database; the phases one at a time. Returns the rates of rendering
/// into the outbox and of delivering from it.
async fn phases_run(n: usize, sink: &mut Sink, config: &DeliveryConfig) -> (f64, f64) {
    let db = new_db().await;
    let store = db.store().await;
    let fx = setup(&store, n).await;
    let invite_secs = invite_all(&store, &fx, "run 2").await;
    let sampler = RssSampler::start();
    let started = Instant::now();
    let mut dispatched = 0;
    loop {
        let r = store
            .invitations()
            .dispatch_due(Utc::now(), worker::invitations::BATCH)
            .await
            .unwrap();
        dispatched += r.sent;
        if r.claimed < worker::invitations::BATCH as usize {
            break;
        }
    }
    let render_secs = started.elapsed().as_secs_f64();
    let render_rss = sampler.finish().await;
    assert_eq!(dispatched, n, "every invitation rendered");
    let (sunk_before, _) = sink.stat().await;
    let sampler = RssSampler::start();
    let started = Instant::now();
    let workers = worker::start(store.clone(), config.clone());
    let progress = wait_for_sink(sink, sunk_before + n as u64, started, None, &fx).await;
    let deliver_rss = sampler.finish().await;
    wait_recorded(&store, fx.workspace_id, n, started).await;
    workers.shutdown().await;
    verify(&store, &fx, n).await;
    println!();
    println!("== run 2 (fresh database): the phases one at a time");
    println!(
        "invite: {invite_secs:.2} s = {:.0} invitations/s",
        n as f64 / invite_secs
    );
    println!(
        "render + outbox alone (dispatch_due_invitations, {} per call): {render_secs:.2} s = {:.0}/s; peak RSS {}",
        worker::invitations::BATCH,
        n as f64 / render_secs,
        mb(render_rss)
    );
    let deliver_rate = n as f64 / progress.done.as_secs_f64();
    println!(
        "outbox -> SMTP alone (delivery worker): {:.2} s = {deliver_rate:.0}/s; peak RSS {}",
        progress.done.as_secs_f64(),
        mb(deliver_rss)
    );
    (n as f64 / render_secs, deliver_rate)
}

/// Baselines: the same lettre transport, sink and concurrency, no database; each rate
/// compared with them.
async fn baselines(
    smtp: &SmtpSettings,
    ceiling_msgs: &[OutboxMessage],
    n: usize,
    concurrency: usize,
    sink: &mut Sink,
    e2e_rate: f64,
    split: Option<(f64, f64)>,
) {
    let raw = ceiling(smtp, ceiling_msgs, n, concurrency, sink, true).await;
    let built = ceiling(smtp, ceiling_msgs, n, concurrency, sink, false).await;
    println!();
    println!(
        "== baselines: {n} sends, {} at once, same transport (pooled) and sink",
        concurrency
    );
    println!("ceiling, pre-formatted bytes (send_raw): {raw:.0}/s");
    println!("pre-rendered EmailMessage through senders::send_email (builds the MIME message): {built:.0}/s");
    println!();
    println!("== ratios");
    println!("end to end / ceiling: {:.2}", e2e_rate / raw);
    println!("end to end / send_email baseline: {:.2}", e2e_rate / built);
    if let Some((render, deliver)) = split {
        println!("render + outbox alone / ceiling: {:.2}", render / raw);
        println!("outbox -> SMTP alone / ceiling: {:.2}", deliver / raw);
    }
}

async fn new_db() -> TestDb {
    match std::env::var("ADVOCATE_TEST_POSTGRES_URL") {
        Ok(_) => TestDb::postgres().await.expect("PostgreSQL"),
        Err(_) => TestDb::sqlite(),
    }
}

fn print_machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            Some(
                l.strip_prefix("model name")?
                    .trim_start_matches([' ', '\t', ':'])
                    .to_owned(),
            )
        })
        .unwrap_or_else(|| "unknown".into());
    let ram = status_kb("/proc/meminfo", "MemTotal");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "machine: {} CPUs ({cpu}), {:.1} GB RAM; load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        ram as f64 / 1024.0 / 1024.0,
        load.split(' ').take(3).collect::<Vec<_>>().join(" ")
    );
}

fn customer(i: usize) -> CustomerInput {
    CustomerInput {
        external_id: format!("cust-{i:07}"),
        name: (i % 10 != 9).then(|| NAMES[i % 7].to_owned()),
        email: Some(format!("customer{i}@example.com")),
        language: Some(Language::new(LANGUAGES[i % 7]).unwrap()),
        ..CustomerInput::default()
    }
}

/// Workspace, NPS survey and `n` customers (not timed).
async fn setup(store: &Store, n: usize) -> Fixture {
    let started = Instant::now();
    let ws = store
        .workspaces()
        .create("bench", "Nordlys Bank", &Language::english())
        .await
        .unwrap();
    let survey = store
        .surveys()
        .create(
            ws.id,
            &NewSurvey {
                slug: Label::new("relationship").unwrap(),
                kind: SurveyKind::Nps,
                name: "Relationship".into(),
                touchpoint: None,
                default_language: Language::english(),
                texts: Default::default(),
            },
        )
        .await
        .unwrap();
    let fx = Fixture {
        workspace_id: ws.id,
        survey_id: survey.id,
        customers: n,
    };
    for chunk in fx.chunks() {
        store.customers().upsert_many(ws.id, &chunk).await.unwrap();
    }
    println!(
        "setup: {n} customers imported in {:.1} s (not timed)",
        started.elapsed().as_secs_f64()
    );
    fx
}

/// Invites every customer by email, now, in chunks; returns the seconds the calls took.
async fn invite_all(store: &Store, fx: &Fixture, run: &str) -> f64 {
    let now = Utc::now();
    let req = InviteRequest {
        survey_id: fx.survey_id,
        channel: Channel::Email,
        source: Source::Manual,
        schedule_id: None,
        event_id: None,
        send_at: now,
        sample_percent: 100,
    };
    let mut took = Duration::ZERO;
    let mut scheduled = 0;
    for chunk in fx.chunks() {
        let started = Instant::now();
        let outcomes = store
            .invitations()
            .invite(fx.workspace_id, &req, &chunk, now)
            .await
            .unwrap();
        took += started.elapsed();
        scheduled += outcomes
            .iter()
            .filter(|o| o.status == InvitationStatus::Scheduled)
            .count();
    }
    assert_eq!(scheduled, fx.customers, "{run}: every customer invited");
    took.as_secs_f64()
}

struct Progress {
    /// When the sink had every message.
    done: Duration,
    /// When no invitation was left waiting to be rendered (run 1 only).
    dispatched: Option<Duration>,
}

/// Polls the sink until it has `target` messages, printing progress every 10 s.
async fn wait_for_sink(
    sink: &mut Sink,
    target: u64,
    started: Instant,
    store: Option<&Store>,
    fx: &Fixture,
) -> Progress {
    let mut dispatched = None;
    let mut last = (0, Instant::now());
    let mut printed = Instant::now();
    let mut polls = 0u64;
    loop {
        let (got, _) = sink.stat().await;
        if got >= target {
            return Progress {
                done: started.elapsed(),
                dispatched,
            };
        }
        if got != last.0 {
            last = (got, Instant::now());
        } else if last.1.elapsed() > STALL {
            panic!("the sink received nothing for {STALL:?} ({got} of {target})");
        }
        polls += 1;
        if let (Some(store), None, 0) = (store, dispatched, polls % 5) {
            let waiting = store
                .invitations()
                .list(
                    fx.workspace_id,
                    &InvitationFilter {
                        status: Some(InvitationStatus::Scheduled),
                        limit: 1,
                        ..InvitationFilter::default()
                    },
                )
                .await
                .unwrap();
            if waiting.is_empty() {
                dispatched = Some(started.elapsed());
            }
        }
        if printed.elapsed() > Duration::from_secs(10) {
            printed = Instant::now();
            eprintln!(
                "  {:.0} s: {} of {} at the sink",
                started.elapsed().as_secs_f64(),
                got - (target - fx.customers as u64),
                fx.customers
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the outbox has recorded every message delivered.
async fn wait_recorded(store: &Store, workspace_id: i64, n: usize, started: Instant) -> Duration {
    loop {
        let counts = store.outbox().counts(workspace_id).await.unwrap();
        if counts.delivered >= n as i64 {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(3600),
            "deliveries not recorded: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every invitation sent and delivered, every outbox message delivered, none failed.
async fn verify(store: &Store, fx: &Fixture, n: usize) {
    let rates = store
        .invitations()
        .response_rates(
            fx.workspace_id,
            Utc::now() - chrono::Duration::days(1),
            None,
        )
        .await
        .unwrap();
    assert_eq!(rates.len(), 1, "one survey, one channel: {rates:?}");
    assert_eq!(rates[0].sent, n as u64, "every invitation is sent");
    assert_eq!(
        rates[0].delivered, n as u64,
        "every invitation is delivered"
    );
    let waiting = store
        .invitations()
        .list(
            fx.workspace_id,
            &InvitationFilter {
                status: Some(InvitationStatus::Scheduled),
                limit: 1,
                ..InvitationFilter::default()
            },
        )
        .await
        .unwrap();
    assert!(waiting.is_empty(), "no invitation left scheduled");
    let counts = store.outbox().counts(fx.workspace_id).await.unwrap();
    assert_eq!(
        (
            counts.delivered,
            counts.pending,
            counts.dead,
            counts.retrying
        ),
        (n as i64, 0, 0, 0),
        "outbox: {counts:?}"
    );
}

// ---------------------------------------------------------------------------------------
// The sample message.

/// Checks the first message the sink received: addressed to an imported customer, with the
/// 0–10 scale as 11 links to one signed invitation in the HTML part and the same 11 URLs in
/// the text part. Returns a one-line description.
fn verify_sample(path: &Path, public_url: &str, fx: &Fixture) -> String {
    let raw = std::fs::read(path).expect("the sink kept a sample message");
    let msg = String::from_utf8_lossy(&raw);
    let to = header(&msg, "To").expect("To header");
    let number = to
        .trim_matches(['<', '>'])
        .strip_prefix("customer")
        .and_then(|rest| rest.strip_suffix("@example.com"))
        .and_then(|i| i.parse::<usize>().ok());
    assert!(
        number.is_some_and(|i| i < fx.customers),
        "sample addressed to an imported customer: {to}"
    );
    assert!(
        header(&msg, "List-Unsubscribe").is_some(),
        "List-Unsubscribe"
    );
    let parts = mime_parts(&msg);
    let part = |kind: &str| {
        parts
            .iter()
            .find(|(h, _)| h.to_ascii_lowercase().contains(kind))
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| panic!("sample has no {kind} part"))
    };
    let (html, text) = (part("text/html"), part("text/plain"));
    let prefix = format!("{public_url}/i/");
    let links = |body: &str, quote: bool| -> BTreeSet<(String, u8)> {
        let mut found = BTreeSet::new();
        for (at, _) in body.match_indices(&prefix) {
            let rest = &body[at + prefix.len()..];
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
                .unwrap_or(rest.len());
            if quote && !rest[end..].starts_with('"') {
                continue;
            }
            if let Some((token, score)) = rest[..end].rsplit_once('/') {
                if let Ok(score) = score.parse::<u8>() {
                    found.insert((token.to_owned(), score));
                }
            }
        }
        found
    };
    let html_links = links(&html, true);
    let scores: Vec<u8> = html_links.iter().map(|(_, s)| *s).collect();
    assert_eq!(
        scores,
        (0..=10).collect::<Vec<u8>>(),
        "11 score links 0–10 in the HTML part"
    );
    let tokens: BTreeSet<&String> = html_links.iter().map(|(t, _)| t).collect();
    assert_eq!(
        tokens.len(),
        1,
        "every score link names the same invitation"
    );
    assert_eq!(
        links(&text, false),
        html_links,
        "the text part lists the same 11 URLs"
    );
    format!(
        "{} bytes to {to}, 11 score links in HTML and text",
        raw.len()
    )
}

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    let head = msg.split("\r\n\r\n").next()?;
    head.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':').map(str::trim))
}

/// The decoded bodies of a multipart message, with each part's headers.
fn mime_parts(msg: &str) -> Vec<(String, String)> {
    let at = msg.find("boundary=\"").expect("multipart boundary") + "boundary=\"".len();
    let boundary = format!("--{}", &msg[at..at + msg[at..].find('"').unwrap()]);
    msg.split(boundary.as_str())
        .skip(1)
        .filter(|p| !p.starts_with("--"))
        .filter_map(|p| {
            let (headers, body) = p.trim_start_matches("\r\n").split_once("\r\n\r\n")?;
            let lower = headers.to_ascii_lowercase();
            let body = if lower.contains("quoted-printable") {
                quoted_printable(body)
            } else if lower.contains("base64") {
                let compact: String = body.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("base64 part");
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                body.to_owned()
            };
            Some((headers.to_owned(), body))
        })
        .collect()
}

fn quoted_printable(body: &str) -> String {
    let mut out = Vec::with_capacity(body.len());
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b[i + 1..].starts_with(b"\r\n") {
                i += 3; // soft line break
                continue;
            }
            if let Some(byte) = std::str::from_utf8(&b[i + 1..(i + 3).min(b.len())])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------
// Baselines.

/// A few rendered invitations (one per language) from the run's outbox.
async fn ceiling_messages(store: &Store, workspace_id: i64) -> Vec<OutboxMessage> {
    let msgs = store
        .outbox()
        .messages(
            workspace_id,
            OutboxStatus::Delivered,
            false,
            LANGUAGES.len() as i64,
            None,
        )
        .await
        .unwrap();
    assert!(!msgs.is_empty());
    msgs
}

/// The message `senders::send_email` builds from a stored email, built the same way.
fn build(msg: &OutboxMessage) -> (Envelope, Vec<u8>) {
    let email: EmailMessage = serde_json::from_str(&msg.payload).unwrap();
    let mut builder = Message::builder()
        .from(email.from.parse().unwrap())
        .to(email.to.parse().unwrap())
        .subject(email.subject)
        .message_id(Some(format!("<{}@advocate>", msg.idempotency_key)));
    if let Some(url) = &email.unsubscribe_url {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    let message = builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(email.text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(email.html),
                ),
        )
        .unwrap();
    (message.envelope().clone(), message.formatted())
}

/// Sends `n` messages through a fresh transport with `concurrency` tasks, as the delivery
/// worker does but without the database: either pre-formatted bytes (`raw`, the SMTP
/// handoff alone) or the stored emails through `senders::send_email`. Returns messages/s
/// as the sink counts them.
async fn ceiling(
    smtp: &SmtpSettings,
    msgs: &[OutboxMessage],
    n: usize,
    concurrency: usize,
    sink: &mut Sink,
    raw: bool,
) -> f64 {
    let transport = Arc::new(smtp.transport());
    let formatted: Arc<Vec<(Envelope, Vec<u8>)>> = Arc::new(msgs.iter().map(build).collect());
    let msgs: Arc<Vec<OutboxMessage>> = Arc::new(msgs.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let (before, _) = sink.stat().await;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (transport, formatted, msgs, next) = (
            transport.clone(),
            formatted.clone(),
            msgs.clone(),
            next.clone(),
        );
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return;
                }
                if raw {
                    let (envelope, bytes) = &formatted[i % formatted.len()];
                    transport.send_raw(envelope, bytes).await.unwrap();
                } else {
                    worker::senders::send_email(&transport, &msgs[i % msgs.len()])
                        .await
                        .unwrap();
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    // Each send returned after the sink's "250 queued": every message is there.
    let rate = n as f64 / started.elapsed().as_secs_f64();
    assert_eq!(
        sink.stat().await.0,
        before + n as u64,
        "the sink received every baseline message"
    );
    transport.shutdown().await;
    rate
}
