//! `advocate import answers` and `advocate nps`, run as the real binary on a fresh
//! SQLite data folder per test. The workspace, surveys and customers are created with the
//! store library on the same database file (there is no CLI for them).

use advocate_core::customer::CustomerInput;
use advocate_core::{Channel, Label, Language, Rating, SurveyKind};
use advocate_store::models::{NewAnswer, NewSurvey, Respondent};
use advocate_store::Store;
use chrono::{TimeZone, Utc};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_advocate");

/// A data folder of its own, removed when the test ends.
struct Env {
    dir: PathBuf,
    workspace_id: i64,
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

impl Env {
    /// A migrated database with workspace "acme", NPS survey "rel", CSAT survey "sat" and
    /// customers c1 and c2.
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "advocate-cli-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut env = Self {
            dir,
            workspace_id: 0,
        };
        let out = env.run(&["migrate"]);
        assert!(out.status.success(), "{}", stderr(&out));
        env.workspace_id = block_on(async {
            let store = env.store().await;
            let ws = store
                .workspaces()
                .create("acme", "Acme", &Language::english())
                .await
                .unwrap();
            for (slug, kind) in [("rel", SurveyKind::Nps), ("sat", SurveyKind::Csat)] {
                let survey = NewSurvey {
                    slug: Label::new(slug).unwrap(),
                    kind,
                    name: slug.to_uppercase(),
                    touchpoint: None,
                    default_language: Language::english(),
                    texts: Default::default(),
                };
                store.surveys().create(ws.id, &survey).await.unwrap();
            }
            for id in ["c1", "c2"] {
                let customer = CustomerInput {
                    external_id: id.into(),
                    ..Default::default()
                };
                store.customers().upsert(ws.id, &customer).await.unwrap();
            }
            store.close().await;
            ws.id
        });
        // The binary sees the workspace (the only one, so no --workspace needed).
        let out = env.run(&["apikey", "create"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).starts_with("API key: "));
        env
    }

    async fn store(&self) -> Store {
        let url = format!("sqlite://{}", self.dir.join("advocate.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        store
    }

    fn answers(&self) -> u64 {
        block_on(async {
            let store = self.store().await;
            let n = store.answers().count(self.workspace_id).await.unwrap();
            store.close().await;
            n
        })
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .arg("--data-dir")
            .arg(&self.dir)
            .env_remove("ADVOCATE_DATABASE_URL")
            .env_remove("ADVOCATE_DATA_DIR")
            .env_remove("ADVOCATE_WORKSPACE")
            .env("RUST_LOG", "warn")
            .output()
            .expect("run advocate")
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    fn import(&self, file: &Path) -> Output {
        self.run(&["import", "answers", file.to_str().unwrap()])
    }

    fn nps_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["nps", "--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).expect("nps --json prints JSON")
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Eight NPS answers (scores 10 9 6 | 8 0 10 | 9 7 in January, February, March 2025) and
/// one CSAT answer, with the columns in a free order and a quoted comment with a comma.
const GOOD: &str = "\
external_id,answered_at,survey,score,customer_id,comment,channel
e1,2025-01-05,rel,10,c1,Great,
e2,2025-01-20T10:00:00Z,rel,9,,,
e3,2025-01-28,rel,6,c2,Slow,email
e4,2025-02-03,rel,8,,,
e5,2025-02-14T23:30:00+01:00,rel,0,c1,\"Broken, twice\",
e6,2025-02-20,rel,10,,,
e7,2025-03-01,rel,9,,,
e8,2025-03-15,rel,7,c2,,
e9,2025-03-16,sat,5,,,
";

#[test]
fn imports_a_good_file_and_reports_its_nps() {
    let env = Env::new();
    let file = env.write("good.csv", GOOD);
    let out = env.import(&file);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        format!("Imported 9 answers from {}.", file.display())
    );
    assert_eq!(env.answers(), 9);

    // Only NPS surveys count: 4 promoters, 2 passives, 2 detractors of 8: (4 − 2) / 8 = +25.
    let r = env.nps_json(&[]);
    assert_eq!(r["n"], 8);
    assert_eq!(r["promoters"], 4);
    assert_eq!(r["passives"], 2);
    assert_eq!(r["detractors"], 2);
    assert_eq!(r["ambassadors"], 2);
    assert_eq!(r["nps"].as_f64(), Some(25.0));
    assert_eq!(
        r["distribution"],
        serde_json::json!([1, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2])
    );
    assert_eq!(r["small_sample"], true);

    // Channel defaults to "import"; a given one is kept.
    let r = env.nps_json(&["--group-by", "channel"]);
    let groups: Vec<(String, u64)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().to_owned(),
                g["n"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(groups, [("email".to_owned(), 1), ("import".to_owned(), 7)]);

    // e5 was given as 23:30 at +01:00, which is 22:30 UTC on the 14th: still February.
    let r = env.nps_json(&[
        "--survey",
        "rel",
        "--from",
        "2025-02-14",
        "--to",
        "2025-02-14",
    ]);
    assert_eq!(r["n"], 1);
    assert_eq!(r["detractors"], 1);

    // Importing the same file again: every external id is already stored, nothing added.
    let out = env.import(&file);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("line 9: an answer with external_id \"e8\" is already stored"));
    assert_eq!(env.answers(), 9);
}

#[test]
fn bad_rows_are_all_reported_and_nothing_is_imported() {
    let env = Env::new();
    block_on(async {
        let store = env.store().await;
        let survey = store
            .surveys()
            .by_slug(env.workspace_id, "rel")
            .await
            .unwrap()
            .unwrap();
        store
            .answers()
            .record(&NewAnswer {
                workspace_id: env.workspace_id,
                survey_id: survey.id,
                respondent: Respondent::Anonymous,
                score: Rating::new(SurveyKind::Nps, 9).unwrap(),
                comment: None,
                channel: Channel::Api,
                touchpoint: None,
                language: None,
                answered_at: Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap(),
                external_id: Some("old-1".into()),
                idempotency_key: None,
                request_hash: None,
            })
            .await
            .unwrap();
        store.close().await;
    });
    assert_eq!(env.answers(), 1);

    let bad = "survey,score,answered_at,customer_id,external_id,comment,channel
rel,11,2025-01-05,,b1,,
rel,7.5,2025-01-05,,b2,,
rel,nine,2025-01-05,,b3,,
nope,5,2025-01-05,,b4,,
rel,5,2025-01-05,ghost,b5,,
rel,5,2025-13-45,,b6,,
rel,5,2999-01-01,,b7,,
rel,5,2025-01-05,,b13,,fax
rel,5,2025-01-05,,old-1,,
rel,9,2025-01-05,c1,b8,\"two
lines\",
sat,0,2025-01-05,,b9,,
rel,,2025-01-05,,b10,,
rel,8,2025-01-06,ghost,b11,,
rel,9,2025-01-07,c2,b8,ok,
";
    let expected = [
        "line 2: score must be an integer from 0 to 10; got 11",
        "line 3: score must be an integer from 0 to 10; got 7.5",
        "line 4: score must be an integer from 0 to 10; got the string \"nine\"",
        "line 5: no survey with slug \"nope\"",
        "line 6: customer \"ghost\" does not exist",
        "line 7: answered_at must be a time such as 2026-03-10T09:30:00Z or a date such as 2026-03-10; got \"2025-13-45\"",
        "line 8: answered_at 2999-01-01 is in the future",
        "line 9: channel must be one of email sms web widget kiosk api import; got \"fax\"",
        "line 10: an answer with external_id \"old-1\" is already stored",
        "line 13: score must be an integer from 1 to 5; got 0",
        "line 14: score is required",
        "line 15: customer \"ghost\" does not exist",
        "line 16: external_id \"b8\" is already used on line 11",
    ];
    // The same line numbers with the CRLF line ends spreadsheet programs write.
    for (name, content) in [
        ("bad.csv", bad.to_owned()),
        ("bad-crlf.csv", bad.replace('\n', "\r\n")),
    ] {
        let out = env.import(&env.write(name, &content));
        assert!(!out.status.success());
        let err = stderr(&out);
        let problems: Vec<&str> = err.lines().filter(|l| l.starts_with("line ")).collect();
        assert_eq!(problems.len(), expected.len(), "{name}: {err}");
        for (got, want) in problems.iter().zip(expected) {
            assert!(
                got.starts_with(want),
                "{name}: expected {want:?}, got {got:?}\n{err}"
            );
        }
        assert!(err.contains("13 problems in"), "{err}");
        assert!(err.contains("nothing was imported"), "{err}");
        assert!(stdout(&out).is_empty());
        assert_eq!(env.answers(), 1, "a bad file must store nothing");
    }

    // Column problems are reported from the header, before any row.
    let file = env.write("cols.csv", "survey,score,when,nps\nrel,9,2025-01-05,x\n");
    let out = env.import(&file);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("line 1: unknown columns \"when\", \"nps\""),
        "{err}"
    );
    assert!(
        err.contains("line 1: missing required column answered_at"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(env.answers(), 1);

    // A problem late in a large file, after thousands of rows were already written in
    // the import's transaction: still nothing is kept.
    let mut late = String::from("survey,score,answered_at,external_id\n");
    for i in 0..5000 {
        let score = if i == 4321 {
            "12".to_owned()
        } else {
            (i % 11).to_string()
        };
        late.push_str(&format!("rel,{score},2025-02-01,late-{i}\n"));
    }
    let out = env.import(&env.write("late.csv", &late));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("line 4323: score must be an integer from 0 to 10; got 12"),
        "{err}"
    );
    assert!(err.contains("1 problem in"), "{err}");
    assert_eq!(env.answers(), 1, "a bad file must store nothing");

    // The same with a stored answer's external id, which the database refuses too.
    let stored = late
        .replace("rel,12,", "rel,1,")
        .replace(",late-3000\n", ",old-1\n");
    let out = env.import(&env.write("stored.csv", &stored));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("line 3002: an answer with external_id \"old-1\" is already stored"),
        "{err}"
    );
    assert_eq!(env.answers(), 1, "a bad file must store nothing");
}

#[test]
fn nps_table_groups_by_month() {
    let env = Env::new();
    let out = env.import(&env.write("good.csv", GOOD));
    assert!(out.status.success(), "{}", stderr(&out));

    let out = env.run(&[
        "nps",
        "--survey",
        "rel",
        "--from",
        "2025-01-01",
        "--to",
        "2025-03-31",
        "--group-by",
        "month",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0], "NPS of survey rel, 2025-01-01 to 2025-03-31",
        "{text}"
    );
    assert!(lines[1].starts_with("NPS +25.0  95 % CI "), "{text}");
    assert!(lines[1].ends_with("(adjusted Wald)  n = 8"), "{text}");
    assert_eq!(
        lines[2],
        "Promoters 4 (50.0 %), passives 2 (25.0 %), detractors 2 (25.0 %); ambassadors (10s) 2"
    );
    assert!(text.contains("Warning: small sample (8 answers"), "{text}");
    // Nothing in the 90 days before: no change to report.
    assert!(
        text.contains("Change vs 2024-10-03 to 2024-12-31: – (then no answers)"),
        "{text}"
    );

    // key, NPS, "low to high", n, change: January 2 promoters 1 detractor of 3; February
    // 1, 1 of 3; March 1 promoter 1 passive of 2.
    let row = |key: &str| -> Vec<String> {
        let line = lines
            .iter()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no row {key}:\n{text}"));
        line.split_whitespace().map(str::to_owned).collect()
    };
    let months: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("2025-"))
        .map(|l| &l[..7])
        .collect();
    assert_eq!(months, ["2025-01", "2025-02", "2025-03"], "{text}");
    let jan = row("2025-01");
    assert_eq!(
        (jan[1].as_str(), jan[5].as_str(), jan[6].as_str()),
        ("+33.3", "3", "–")
    );
    let feb = row("2025-02");
    assert_eq!(
        (feb[1].as_str(), feb[5].as_str(), feb[6].as_str()),
        ("+0.0", "3", "-33.3")
    );
    let mar = row("2025-03");
    assert_eq!(
        (mar[1].as_str(), mar[5].as_str(), mar[6].as_str()),
        ("+50.0", "2", "+50.0")
    );
    assert!(
        !text.contains(" *"),
        "small months cannot differ significantly:\n{text}"
    );

    // The header row names the grouping and the columns are right-aligned: every row's
    // n column ends at the same place.
    let header = lines.iter().find(|l| l.starts_with("month")).unwrap();
    assert!(header.contains("NPS") && header.contains("95 % CI") && header.contains("change"));
    let n_end = |l: &str, n: &str| l.find(&format!(" {n}  ")).map(|i| i + 1 + n.len());
    let ends: Vec<Option<usize>> = [("2025-01", "3"), ("2025-02", "3"), ("2025-03", "2")]
        .iter()
        .map(|(k, n)| n_end(lines.iter().find(|l| l.starts_with(k)).unwrap(), n))
        .collect();
    assert!(ends.iter().all(|e| e.is_some() && *e == ends[0]), "{text}");
}

#[test]
fn bad_nps_parameters_give_the_api_messages() {
    let env = Env::new();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--group-by", "decade"],
            "group_by must be one of day, week, month, quarter, touchpoint, channel, language \
             or segment:<attribute>; got \"decade\"",
        ),
        (
            &["--ci", "bayes"],
            "ci must be wald or adjusted_wald; got \"bayes\"",
        ),
        (
            &["--from", "2025-03-01", "--to", "2025-01-01"],
            "from (2025-03-01) is after to (2025-01-01)",
        ),
        (&["--survey", "nope"], "no survey with slug \"nope\""),
    ];
    for (args, message) in cases {
        let mut all = vec!["nps"];
        all.extend_from_slice(args);
        let out = env.run(&all);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
}

/// Runs `serve` with a bad setting made by `configure`, and expects it to stop before it
/// listens; its error output.
fn serve_refuses(env: &Env, configure: impl FnOnce(&mut Command)) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--no-workers",
        "--data-dir",
    ])
    .arg(&env.dir)
    .env_remove("ADVOCATE_DATABASE_URL")
    .env_remove("ADVOCATE_ALLOW_WEBHOOK_HOSTS")
    .env_remove("ADVOCATE_TRUST_PROXY")
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    configure(&mut cmd);
    let mut child = cmd.spawn().expect("run advocate");
    // A server that started anyway would never exit: give up on it after a while.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("serve started with a bad setting: {cmd:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(!stdout(&out).contains("listening"));
    stderr(&out)
}

#[test]
fn a_bad_webhook_allow_list_stops_serve_before_it_starts() {
    let env = Env::new();
    for (flag, env_value, message) in [
        (Some("10.0.0.1/8"), None, "did you mean 10.0.0.0/8?"),
        (
            None,
            Some("hooks.internal,http://x"),
            "\"http://x\" is not a host name",
        ),
    ] {
        let err = serve_refuses(&env, |cmd| {
            if let Some(list) = flag {
                cmd.args(["--allow-webhook-hosts", list]);
            }
            if let Some(list) = env_value {
                cmd.env("ADVOCATE_ALLOW_WEBHOOK_HOSTS", list);
            }
        });
        assert!(
            err.contains("--allow-webhook-hosts / ADVOCATE_ALLOW_WEBHOOK_HOSTS")
                && err.contains(message),
            "{err}"
        );
    }
}

#[test]
fn a_bad_trusted_proxy_list_stops_serve_before_it_starts() {
    let env = Env::new();
    for (flag, env_value, message) in [
        (Some("127.0.0.1,10.0.0.0/33"), None, "\"10.0.0.0/33\""),
        (
            None,
            Some("proxy.internal"),
            "\"proxy.internal\" is not an IP address",
        ),
    ] {
        let err = serve_refuses(&env, |cmd| {
            if let Some(list) = flag {
                cmd.args(["--trust-proxy", list]);
            }
            if let Some(list) = env_value {
                cmd.env("ADVOCATE_TRUST_PROXY", list);
            }
        });
        assert!(
            err.contains("--trust-proxy / ADVOCATE_TRUST_PROXY") && err.contains(message),
            "{err}"
        );
    }
}

/// An answers file saved as UTF-16 is named as such (not "unknown columns"); nothing is
/// imported.
#[test]
fn a_utf16_answers_file_is_named_by_its_encoding() {
    let env = Env::new();
    let text = "survey,score,answered_at\nrel,9,2025-01-05\n";
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let path = env.dir.join("utf16.csv");
    std::fs::write(&path, bytes).unwrap();
    let out = env.import(&path);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("is UTF-16 text; save it as UTF-8 CSV"),
        "{err}"
    );
    assert!(!err.contains("unknown column"), "{err}");
    assert_eq!(env.answers(), 0);
}

/// Logs written to a file or a pipe carry no terminal colour codes.
#[test]
fn logs_to_a_pipe_have_no_colour_codes() {
    let env = Env::new();
    let out = Command::new(BIN)
        .args(["migrate", "--data-dir"])
        .arg(&env.dir)
        .env_remove("ADVOCATE_DATABASE_URL")
        .env_remove("ADVOCATE_DATA_DIR")
        .env("RUST_LOG", "trace")
        .output()
        .expect("run advocate");
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("TRACE"), "nothing was logged: {err}");
    assert!(!err.contains('\u{1b}'), "{err}");
}

#[test]
fn nps_compare_prints_both_groups_and_the_test() {
    let env = Env::new();
    let out = env.import(&env.write("good.csv", GOOD));
    assert!(out.status.success(), "{}", stderr(&out));
    // January 2 promoters, 1 detractor of 3 (+33.3); February 1, 1, 1 of 3 (0):
    // z = .3333 / √(.2963 + .2222) = 0.46, p = 0.643.
    let out = env.run(&[
        "nps",
        "compare",
        "--a",
        "period=2025-01",
        "--b",
        "period=2025-02",
        "--a",
        "survey=rel",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("side") && lines[0].contains("95 % CI"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("a ")
            && lines[1].contains("+33.3")
            && lines[1].contains("2025-01-01 to 2025-01-31 · survey rel"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("b ")
            && lines[2].contains("+0.0")
            && lines[2].contains("all NPS surveys"),
        "{text}"
    );
    assert!(
        text.contains("Warning: small sample on side a and b"),
        "{text}"
    );
    assert!(
        text.contains("Difference a − b: +33.3 points, 95 % CI -107.8 to +174.5, z = 0.46, p = 0.643 — not significant"),
        "{text}"
    );
    assert!(
        !text.contains("may count the same answers"),
        "disjoint months: {text}"
    );

    let out = env.run(&[
        "nps",
        "compare",
        "--json",
        "--a",
        "period=2025-01",
        "--b",
        "period=2025-02",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (c["a"]["n"].as_u64(), c["b"]["n"].as_u64()),
        (Some(3), Some(3))
    );
    assert!(
        (c["p_value"].as_f64().unwrap() - 0.643_43).abs() < 1e-4,
        "{c}"
    );

    for (args, message) in [
        (
            &["--a", "period=2025-Q5", "--b", "period=2025"][..],
            "a.period: a period is a year",
        ),
        (
            &["--a", "colour=red", "--b", "period=2025"][..],
            "--a \"colour=red\": unknown filter \"colour\"",
        ),
        (
            &["--a", "segment", "--b", "period=2025"][..],
            "a filter is KEY=VALUE",
        ),
        (
            &["--a", "survey=nope", "--b", "period=2025"][..],
            "a.survey: no survey with slug \"nope\"",
        ),
    ] {
        let mut all = vec!["nps", "compare"];
        all.extend_from_slice(args);
        let out = env.run(&all);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
}

/// Mail naming no workspace, with two workspaces: listed by `advocate mail unmatched`,
/// handed to one by `advocate mail assign`; a wrong id is refused and changes nothing.
#[test]
fn an_operator_lists_mail_naming_no_workspace_and_hands_it_to_one() {
    use advocate_core::conversation::inbound;
    use advocate_store::closed_loop::conversation::{InboundSource, Receipt, Received};
    let env = Env::new();
    let (id, globex) = block_on(async {
        let store = env.store().await;
        let globex = store
            .workspaces()
            .create("globex", "Globex", &Language::english())
            .await
            .unwrap()
            .id;
        let raw = b"From: someone@example.net\r\nTo: support@example.com\r\n\
            Subject: Where is my order\r\nMessage-ID: <lost@example.net>\r\n\r\nHello\r\n";
        let receipt = Receipt {
            source: InboundSource::Imap,
            scope: None,
            token: None,
            forged_token: false,
            raw,
        };
        let received = store
            .conversations()
            .receive(&inbound::parse(raw).unwrap(), &receipt)
            .await
            .unwrap();
        store.close().await;
        match received {
            Received::Unmatched {
                inbound_id,
                workspace_id: None,
                ..
            } => (inbound_id, globex),
            other => panic!("{other:?}"),
        }
    });
    let out = env.run(&["mail", "unmatched"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(
        table.contains(&id.to_string())
            && table.contains("someone@example.net")
            && table.contains("Where is my order"),
        "{table}"
    );

    let out = env.run(&["mail", "assign", "999999", "--workspace", "globex"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no unmatched message 999999"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["mail", "assign", &id.to_string()]);
    assert!(
        !out.status.success(),
        "two workspaces: --workspace is needed"
    );
    assert!(
        stderr(&out).contains("choose one with --workspace"),
        "{}",
        stderr(&out)
    );

    let out = env.run(&["mail", "assign", &id.to_string(), "--workspace", "globex"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"globex\""), "{}", stdout(&out));
    let out = env.run(&["mail", "unmatched", "--json"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        serde_json::json!([])
    );
    block_on(async {
        let store = env.store().await;
        let theirs = store.conversations().unmatched(globex).await.unwrap();
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0].id, id);
        assert!(store
            .conversations()
            .unmatched(env.workspace_id)
            .await
            .unwrap()
            .is_empty());
        store.close().await;
    });
}

/// A CA file that cannot be used stops `serve` before it starts, saying which flag.
#[test]
fn a_bad_imap_ca_file_stops_serve_before_it_starts() {
    let env = Env::new();
    let not_pem = env.write("ca.pem", "not a certificate\n");
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&env.dir)
        .args(["--imap-url", "imaps://replies:pw@mail.example.com/INBOX"])
        .arg("--imap-ca-file")
        .arg(&not_pem)
        .env_remove("ADVOCATE_DATABASE_URL")
        .env_remove("ADVOCATE_IMAP_URL")
        .env_remove("ADVOCATE_IMAP_CA_FILE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run advocate");
    // A server that started anyway would never exit: give up on it after a while.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("serve started with an unusable CA file");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(!stdout(&out).contains("listening"));
    let err = stderr(&out);
    assert!(
        err.contains("--imap-ca-file / ADVOCATE_IMAP_CA_FILE")
            && err.contains("holds no certificate"),
        "{err}"
    );
    assert!(!err.contains("pw@"), "{err}");
}

#[test]
fn user_two_factor_off_frees_a_locked_out_person_and_names_an_unknown_email() {
    let env = Env::new();
    let user_id = block_on(async {
        let store = env.store().await;
        let ana = store
            .users()
            .create(env.workspace_id, "ana@example.com", "not a hash")
            .await
            .unwrap();
        let tf = store.two_factor();
        tf.begin(ana.id, "JBSWY3DPEHPK3PXP", Utc::now())
            .await
            .unwrap();
        tf.confirm(ana.id, 1, &["abcdabcdabcd".into()], Utc::now())
            .await
            .unwrap();
        store.close().await;
        ana.id
    });
    let two_factor_of = |id: i64| {
        block_on(async {
            let store = env.store().await;
            let state = store.two_factor().state(id).await.unwrap();
            store.close().await;
            state
        })
    };
    assert!(two_factor_of(user_id).unwrap().is_on());

    let out = env.run(&["user", "two-factor-off", "--email", " ANA@example.com "]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Two-factor sign-in is off for ana@example.com"),
        "{}",
        stdout(&out)
    );
    assert_eq!(two_factor_of(user_id), None);

    let again = env.run(&["user", "two-factor-off", "--email", "ana@example.com"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("nothing changed"),
        "{}",
        stdout(&again)
    );

    let unknown = env.run(&["user", "two-factor-off", "--email", "nobody@example.com"]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no user has the email \"nobody@example.com\""),
        "{}",
        stderr(&unknown)
    );
}
