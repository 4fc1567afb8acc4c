//! `advocate import customers|orders|contacts|lifecycle|loyalty`, run as the real binary on a fresh
//! SQLite data folder per test: a good file is stored, a bad one lists every problem by
//! line and stores nothing.

use advocate_core::customer::CustomerInput;
use advocate_core::Language;
use advocate_store::business::{ContactFilter, OrderFilter};
use advocate_store::Store;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_advocate");

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A data folder with workspace "acme" and customers c1, c2 and c3; removed at the end.
struct Env {
    dir: PathBuf,
    workspace_id: i64,
}

impl Env {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "advocate-cli-business-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut env = Self {
            dir,
            workspace_id: 0,
        };
        env.workspace_id = env.with_store(|store| async move {
            let ws = store
                .workspaces()
                .create("acme", "Acme", &Language::english())
                .await
                .unwrap();
            for id in ["c1", "c2", "c3"] {
                let c = CustomerInput {
                    external_id: id.into(),
                    ..Default::default()
                };
                store.customers().upsert(ws.id, &c).await.unwrap();
            }
            ws.id
        });
        env
    }

    fn with_store<T, F: std::future::Future<Output = T>>(&self, f: impl FnOnce(Store) -> F) -> T {
        let url = format!("sqlite://{}", self.dir.join("advocate.db").display());
        block_on(async {
            let store = Store::connect(&url).await.unwrap();
            store.migrate().await.unwrap();
            let out = f(store.clone()).await;
            store.close().await;
            out
        })
    }

    /// Writes `content` to a file and imports it as `what`.
    fn import(&self, what: &str, content: impl AsRef<[u8]>) -> Output {
        self.import_with(what, content, &[])
    }

    fn import_with(&self, what: &str, content: impl AsRef<[u8]>, options: &[&str]) -> Output {
        let path = self.dir.join(format!("{what}.csv"));
        std::fs::write(&path, content).unwrap();
        Command::new(BIN)
            .args(["import", what, path.to_str().unwrap()])
            .args(options)
            .arg("--data-dir")
            .arg(&self.dir)
            .env_remove("ADVOCATE_DATABASE_URL")
            .env_remove("ADVOCATE_DATA_DIR")
            .env_remove("ADVOCATE_WORKSPACE")
            .env("RUST_LOG", "warn")
            .output()
            .expect("run advocate")
    }

    fn orders(&self) -> i64 {
        let ws = self.workspace_id;
        self.with_store(|s| async move {
            let f = OrderFilter {
                limit: 100,
                ..Default::default()
            };
            s.orders().list(ws, &f).await.unwrap().total
        })
    }

    fn contacts(&self) -> i64 {
        let ws = self.workspace_id;
        self.with_store(|s| async move {
            let f = ContactFilter {
                limit: 100,
                ..Default::default()
            };
            s.contacts().list(ws, &f).await.unwrap().total
        })
    }

    fn spells(&self, customer: &'static str, loyalty: bool) -> usize {
        let ws = self.workspace_id;
        self.with_store(|s| async move {
            if loyalty {
                s.spells()
                    .loyalty_memberships(ws, customer)
                    .await
                    .unwrap()
                    .len()
            } else {
                s.spells().of_customer(ws, customer).await.unwrap().len()
            }
        })
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

#[track_caller]
fn assert_ok(out: &Output, expected: &str) {
    assert!(out.status.success(), "{}", stderr(out));
    assert!(stdout(out).starts_with(expected), "{}", stdout(out));
}

/// The `line N: …` lines of a failed import, which must say nothing was imported.
#[track_caller]
fn problems(out: &Output) -> Vec<String> {
    assert!(!out.status.success(), "the import should fail");
    let err = stderr(out);
    assert!(err.contains("nothing was imported"), "{err}");
    err.lines()
        .filter(|l| l.starts_with("line "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn orders_good_and_bad() {
    let env = Env::new();
    let bad = "customer_id,amount,currency,ordered_at,external_id,amount_in_reporting_currency\n\
               c1,19.90,EUR,2025-01-05,o1,\n\
               c1,-3,EUR,2025-01-06,o2,\n\
               c2,250,NOK,2025-01-07,o3,\n\
               nobody,5,EUR,2025-01-08,o4,\n\
               c3,5,EUR,yesterday,o1,\n";
    let out = env.import("orders", bad);
    // Every problem in one run: the rows' own (lines 3 and 6) and, for the rows without
    // one, what the store refuses (lines 4 and 5).
    let p = problems(&out);
    assert_eq!(p.len(), 4, "{p:?}");
    assert_eq!(
        p[0],
        "line 3: amount must not be negative (refunds are not orders); got \"-3\""
    );
    assert!(
        p[1].starts_with("line 4: amount_in_reporting_currency is required"),
        "{p:?}"
    );
    assert_eq!(
        p[2],
        "line 5: customer \"nobody\" does not exist in this workspace; create it first (POST /api/v1/customers)"
    );
    assert_eq!(
        p[3],
        "line 6: ordered_at must be a time such as 2026-03-10T09:30:00Z or a date such as 2026-03-10; got \"yesterday\""
    );
    assert_eq!(env.orders(), 0);
    // With the row-level problems fixed, the store's own checks are still reported by line.
    let bad = bad
        .replace("-3", "3")
        .replace("yesterday,o1", "2025-01-09,o5");
    let out = env.import("orders", &bad);
    let p = problems(&out);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(
        p[0].starts_with("line 4: amount_in_reporting_currency is required"),
        "{p:?}"
    );
    assert!(
        p[1].starts_with("line 5: customer \"nobody\" does not exist"),
        "{p:?}"
    );
    assert_eq!(env.orders(), 0);
    let good = "customer_id,amount,currency,ordered_at,external_id,amount_in_reporting_currency\n\
                c1,19.90,EUR,2025-01-05,o1,\n\
                c2,250,NOK,2025-01-07T10:00:00Z,o3,21.50\n\
                c3,5,EUR,2025-01-08,,\n";
    assert_ok(&env.import("orders", good), "Imported 3 orders");
    // Importing the same file again is a replay: nothing new.
    let out = env.import("orders", good.replace("c3,5,EUR,2025-01-08,,\n", ""));
    assert_ok(&out, "Imported 0 orders");
    assert!(stdout(&out).contains("(2 already stored)"));
    assert_eq!(env.orders(), 3);
}

#[test]
fn contacts_good_and_bad() {
    let env = Env::new();
    let bad = "customer_id,channel,complaint,opened_at,first_reply_at,resolved_at,external_id\n\
               c1,email,yes,2025-02-01T08:00:00Z,2025-02-01T09:00:00Z,,t1\n\
               c2,fax,maybe,2025-02-02,,,t2\n\
               ,phone,0,2025-02-03,2025-02-02,,t3\n\
               c3,chat,1,2025-02-04,,,t1\n";
    let p = problems(&env.import("contacts", bad));
    // The rows' own problems and the store's (line 4) in one run.
    assert_eq!(
        p,
        [
            "line 3: channel must be one of email chat phone social sms chatbot video forum meeting self_service; got \"fax\"",
            "line 3: complaint must be true, false, yes, no, 1 or 0; got \"maybe\"",
            "line 4: first_reply_at 2025-02-02T00:00:00+00:00 is before opened_at 2025-02-03T00:00:00+00:00",
            "line 5: external_id \"t1\" is already used on line 2",
        ]
    );
    // A reply before the contact opened is caught by the store, on its line.
    let p = problems(&env.import(
        "contacts",
        "customer_id,channel,complaint,opened_at,first_reply_at,resolved_at,external_id\n\
         ,phone,0,2025-02-03,2025-02-02,,t3\n",
    ));
    assert_eq!(p.len(), 1);
    assert!(
        p[0].starts_with("line 2: first_reply_at 2025-02-02T00:00:00+00:00 is before opened_at")
    );
    assert_eq!(env.contacts(), 0);
    let good = "customer_id,channel,complaint,opened_at,first_reply_at,resolved_at,external_id\n\
                c1,email,yes,2025-02-01T08:00:00Z,2025-02-01T09:00:00Z,,t1\n\
                ,self_service,no,2025-02-02,,,\n\
                c3,chat,TRUE,2025-02-04,,2025-02-05,t4\n";
    assert_ok(&env.import("contacts", good), "Imported 3 contacts");
    assert_eq!(env.contacts(), 3);
}

#[test]
fn lifecycle_good_and_bad() {
    let env = Env::new();
    let bad = "customer_id,event,at\n\
               c1,acquired,2025-01-01\n\
               c1,acquired,2025-02-01\n\
               c2,left,2025-01-01\n\
               c3,churned,2025-01-01\n";
    // The store's problems (lines 3 and 5) come with the row's own (line 4).
    let p = problems(&env.import("lifecycle", bad));
    assert_eq!(p.len(), 3, "{p:?}");
    assert!(
        p[0].starts_with("line 3: event acquired at 2025-02-01"),
        "{p:?}"
    );
    assert_eq!(
        p[1],
        "line 4: event must be acquired or churned; got \"left\""
    );
    assert!(p[2].starts_with("line 5: event churned"), "{p:?}");
    let p = problems(&env.import("lifecycle", bad.replace("c2,left,2025-01-01\n", "")));
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(
        p[0].starts_with("line 3: event acquired at 2025-02-01"),
        "{p:?}"
    );
    assert!(p[0].contains("already has an open spell"), "{p:?}");
    assert!(
        p[1].contains("customer \"c3\" has no open spell (never acquired)"),
        "{p:?}"
    );
    assert_eq!(env.spells("c1", false), 0);
    // A customer who churns and comes back, rows in any order.
    let good = "customer_id,event,at\n\
                c1,acquired,2025-05-01\n\
                c1,churned,2025-03-01\n\
                c1,acquired,2025-01-01\n\
                c2,acquired,2025-01-01\n";
    assert_ok(
        &env.import("lifecycle", good),
        "Imported 4 lifecycle events",
    );
    assert_eq!(env.spells("c1", false), 2);
}

#[test]
fn loyalty_good_and_bad() {
    let env = Env::new();
    let bad = "customer_id,event,at\n\
               c1,joined,2025-01-01\n\
               c1,joined,2025-02-01\n\
               ghost,joined,2025-01-01\n\
               c2,joined,someday\n";
    let p = problems(&env.import("loyalty", bad));
    assert_eq!(p.len(), 3, "{p:?}");
    assert!(
        p[0].starts_with("line 3: event joined at 2025-02-01"),
        "{p:?}"
    );
    assert!(
        p[1].starts_with("line 4: customer \"ghost\" does not exist"),
        "{p:?}"
    );
    assert!(p[2].starts_with("line 5: at must be a time"), "{p:?}");
    let header_only = problems(&env.import("loyalty", "customer,event\n"));
    assert_eq!(
        header_only,
        [
            "line 1: unknown column \"customer\"; the columns are customer_id, event, at (required)",
            "line 1: missing required columns customer_id, at",
        ]
    );
    let good = "customer_id,event,at\n\
                c1,joined,2025-01-01\n\
                c1,left,2025-02-01\n\
                c2,joined,2025-01-01\n";
    assert_ok(&env.import("loyalty", good), "Imported 3 loyalty events");
    assert_eq!((env.spells("c1", true), env.spells("c2", true)), (1, 1));
}

#[test]
fn customers_good_and_bad_and_invited() {
    let env = Env::new();
    let bad = "external_id,name,email,language,plan\n\
               k1,Kari,kari@example.com,nb,premium\n\
               k2,Nils,not-an-address,sv,basic\n\
               k1,Kari again,,,\n\
               ,Nobody,,,\n\
               k3,Liv,liv@example.com,klingon,basic\n";
    let out = env.import("customers", bad);
    let p = problems(&out);
    assert_eq!(p.len(), 4, "{p:?}");
    assert!(
        p[0].starts_with("line 3: email must be an email address"),
        "{p:?}"
    );
    assert!(
        p[1].starts_with("line 4: external_id \"k1\" is also on line 2"),
        "{p:?}"
    );
    assert!(p[2].starts_with("line 5: external_id"), "{p:?}");
    assert!(p[3].starts_with("line 6: language"), "{p:?}");
    let ws = env.workspace_id;
    let stored = env.with_store(|s| async move { s.customers().count(ws).await.unwrap() });
    assert_eq!(stored, 3, "only the three customers made by the test");

    env.with_store(|s| async move {
        let survey = advocate_store::models::NewSurvey {
            slug: advocate_core::Label::new("relationship").unwrap(),
            kind: advocate_core::SurveyKind::Nps,
            name: "Relationship".into(),
            touchpoint: None,
            default_language: Language::english(),
            texts: Default::default(),
        };
        s.surveys().create(ws, &survey).await.unwrap();
    });
    let good = "external_id,name,email,language,plan\n\
                k1,Kari,kari@example.com,nb,premium\n\
                k2,Nils,nils@example.com,sv,basic\n\
                k3,Liv,,de,basic\n";
    let out = env.import_with("customers", good, &["--invite", "relationship"]);
    assert_ok(&out, "Imported 3 customers");
    assert!(
        stdout(&out).contains("Invited 2; skipped 1 without an email address"),
        "{}",
        stdout(&out)
    );
    let kari = env.with_store(|s| async move {
        s.customers()
            .by_external_id(ws, "k1")
            .await
            .unwrap()
            .unwrap()
    });
    assert_eq!(
        kari.attributes
            .get(&advocate_core::Label::new("plan").unwrap())
            .map(String::as_str),
        Some("premium")
    );
    assert_eq!(kari.language.as_ref().map(|l| l.as_str()), Some("nb"));
    // Again at once: the first invitations are still waiting, so nobody gets two.
    let out = env.import_with("customers", good, &["--invite", "relationship"]);
    assert!(stdout(&out).contains("Invited 0;"), "{}", stdout(&out));
    let out = env.import_with("customers", good, &["--invite", "nope"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no survey with slug \"nope\""),
        "{}",
        stderr(&out)
    );
}

/// A file with many bad rows lists the first hundred and counts the rest.
#[test]
fn many_problems_are_listed_up_to_a_hundred() {
    let env = Env::new();
    let mut file = "customer_id,amount,currency,ordered_at\n".to_owned();
    for _ in 0..150 {
        file.push_str("c1,-1,EUR,2025-01-05\n");
    }
    let out = env.import("orders", &file);
    assert_eq!(problems(&out).len(), 100);
    let err = stderr(&out);
    assert!(err.contains("… and 50 more"), "{err}");
    assert!(err.contains("150 problems"), "{err}");
    assert_eq!(env.orders(), 0);
}

/// A file saved as UTF-16 (with or without a byte-order mark) is named as such, not read
/// as a header of unknown columns.
#[test]
fn a_utf16_file_is_named_by_its_encoding() {
    let env = Env::new();
    let text = "customer_id,amount,currency,ordered_at\nc1,19.90,EUR,2025-01-05\n";
    let little: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let big_without_mark: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for file in [little, big_without_mark] {
        let out = env.import("orders", file);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(
            err.contains("is UTF-16 text; save it as UTF-8 CSV"),
            "{err}"
        );
        assert!(!err.contains("unknown column"), "{err}");
    }
    assert_eq!(env.orders(), 0);
}
