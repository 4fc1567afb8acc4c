//! Faults injected from the outside: a disk that fills and empties again, another process
//! holding SQLite's write lock, PostgreSQL connections killed mid-transaction, clients
//! that open connections and never finish a request. Each write test counts what was
//! acknowledged against what another connection finds stored, and fails on one answer
//! lost, duplicated, or acknowledged without being committed.

use crate::common::TestApp;
use advocate_server::connections::ConnectionLimits;
use advocate_server::Config;
use advocate_store::testing::{missing_peer, TestDb};
use advocate_store::Store;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Generous: these deadlines only matter when something hangs.
const DEADLINE: Duration = Duration::from_secs(40);

/// External ids of the answers another connection finds in the database.
async fn stored_ids(url: &str) -> BTreeSet<String> {
    let store = Store::connect(url)
        .await
        .expect("a connection of the test's own");
    let ids = store
        .answer_external_ids()
        .await
        .expect("read stored answers");
    store.close().await;
    ids.into_iter().collect()
}

/// Posts one answer; `Some(true)` acknowledged, `Some(false)` refused with 503 and
/// `Retry-After`; anything else fails the test.
async fn post_answer(app: &TestApp, ext: &str) -> bool {
    let r = app
        .answer(json!({"survey": "rel", "score": 3, "external_id": ext}))
        .await;
    match r.status() {
        StatusCode::CREATED => true,
        StatusCode::SERVICE_UNAVAILABLE => {
            assert!(
                r.headers().contains_key("retry-after"),
                "a 503 must say when to retry"
            );
            false
        }
        other => panic!("answer {ext}: {other} {}", r.text().await.unwrap()),
    }
}

async fn readyz(app: &TestApp) -> StatusCode {
    app.http
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status()
}

/// A small filesystem of the test's own (tmpfs), unmounted when dropped (also used by
/// the backup tests, for a backup onto a full disk).
pub(crate) struct SmallDisk {
    pub(crate) dir: PathBuf,
}

impl SmallDisk {
    pub(crate) fn mount(megabytes: u32) -> Option<Self> {
        // One folder per disk: tests mounting one run at the same time in this process.
        static MOUNTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let nth = MOUNTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("advocate-fault-{}-{nth}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={megabytes}m,mode=0700"))
            .arg("advocate-fault")
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            let _ = std::fs::remove_dir(&dir);
            return missing_peer("cannot mount a small tmpfs (needs root); disk-full test skipped");
        }
        Some(Self { dir })
    }

    pub(crate) fn filler(&self) -> PathBuf {
        self.dir.join("filler")
    }

    /// Writes a file until the filesystem has no byte left.
    pub(crate) fn fill(&self) {
        let mut f = std::fs::File::create(self.filler()).unwrap();
        for chunk in [1 << 16, 4096, 1] {
            let block = vec![0u8; chunk];
            while f.write_all(&block).is_ok() {}
        }
        let _ = f.sync_all();
    }

    pub(crate) fn free(&self) {
        std::fs::remove_file(self.filler()).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[tokio::test]
async fn a_full_disk_gets_503s_and_every_acknowledged_answer_is_kept_after_it_empties() {
    let Some(disk) = SmallDisk::mount(24) else {
        return;
    };
    let app = TestApp::spawn_on(TestDb::sqlite_in(disk.dir.join("data"))).await;
    app.survey("rel", None).await;
    let mut acked = BTreeSet::new();
    for i in 0..20 {
        let ext = format!("before-{i}");
        assert!(post_answer(&app, &ext).await, "the disk has room yet");
        acked.insert(ext);
    }

    disk.fill();
    let mut refused = 0;
    for i in 0..20 {
        let ext = format!("full-{i}");
        if post_answer(&app, &ext).await {
            acked.insert(ext);
        } else {
            refused += 1;
        }
    }
    assert!(
        refused > 0,
        "a full disk refused no answer: the test did not fill it"
    );
    assert_eq!(readyz(&app).await, StatusCode::SERVICE_UNAVAILABLE);
    let r = app
        .post_json("/api/v1/customers", &json!({"external_id": "c-full"}))
        .await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);

    // Room again: the server recovers by itself, without a restart.
    disk.free();
    let started = Instant::now();
    while readyz(&app).await != StatusCode::OK {
        assert!(
            started.elapsed() < DEADLINE,
            "never ready after the disk emptied"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for i in 0..20 {
        let ext = format!("after-{i}");
        assert!(
            post_answer(&app, &ext).await,
            "refused after the disk emptied"
        );
        acked.insert(ext);
    }
    let r = app
        .post_json("/api/v1/customers", &json!({"external_id": "c-after"}))
        .await;
    assert!(r.status().is_success(), "{}", r.status());

    // Another connection (as after a restart) finds exactly what was acknowledged.
    assert_eq!(stored_ids(app.db_url()).await, acked);
    let other = Store::connect(app.db_url()).await.unwrap();
    let customer = other
        .customers()
        .by_external_id(app.workspace_id, "c-after")
        .await
        .unwrap();
    assert!(customer.is_some(), "an acknowledged customer is not stored");
}

#[tokio::test]
async fn a_write_lock_held_by_another_process_is_waited_for_then_answered_503() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    // A customer known to the workspace: the answer's write reads before it writes.
    app.answer(json!({"survey": "rel", "score": 9, "external_id": "warm"}))
        .await;

    // Held for a moment, well within the busy timeout: the request waits, then succeeds.
    let holder = hold_write_lock(app.db_url(), Duration::from_millis(1500)).await;
    let started = Instant::now();
    assert!(
        post_answer(&app, "waited").await,
        "a busy database must be waited for"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "answered before the lock was released: the lock was not held"
    );
    holder.await.unwrap();

    // Held past the busy timeout (10 s): 503 with Retry-After, and not ready.
    let holder = hold_write_lock(app.db_url(), Duration::from_secs(13)).await;
    assert!(
        !post_answer(&app, "too-long").await,
        "stored while the lock was held"
    );
    assert_eq!(readyz(&app).await, StatusCode::SERVICE_UNAVAILABLE);
    holder.await.unwrap();

    assert!(post_answer(&app, "after").await);
    assert_eq!(
        stored_ids(app.db_url()).await,
        ["after", "waited", "warm"].map(String::from).into()
    );
}

/// Takes SQLite's write lock on another connection (as another process would) and
/// releases it after `hold`; returns once the lock is held.
async fn hold_write_lock(url: &str, hold: Duration) -> tokio::task::JoinHandle<()> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    conn.execute("BEGIN IMMEDIATE").await.unwrap();
    tokio::spawn(async move {
        tokio::time::sleep(hold).await;
        conn.execute("ROLLBACK").await.unwrap();
    })
}

#[tokio::test]
async fn postgres_connections_killed_mid_write_lose_and_duplicate_nothing() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let database = db.url.rsplit('/').next().unwrap().to_owned();
    let admin_url = std::env::var("ADVOCATE_TEST_POSTGRES_URL").unwrap();
    let app = TestApp::spawn_on(db).await;
    app.survey("rel", None).await;

    // While four writers post answers, every connection of the server is killed again
    // and again. A writer retries an answer that was not acknowledged, as a client
    // would; a 409 then means an earlier try was stored after all.
    let killing = tokio::spawn(async move {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        let mut killed = 0u64;
        for _ in 0..20 {
            let n: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
            )
            .bind(&database)
            .fetch_all(&mut admin)
            .await
            .unwrap();
            killed += n.len() as u64;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        killed
    });
    let app = std::sync::Arc::new(app);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let app = app.clone();
            tokio::spawn(async move {
                let mut stored = Vec::new();
                for i in 0..60 {
                    let ext = format!("w{w}-{i}");
                    let started = Instant::now();
                    loop {
                        let r = app
                            .answer(json!({"survey": "rel", "score": i % 11, "external_id": ext}))
                            .await;
                        match r.status() {
                            StatusCode::CREATED | StatusCode::CONFLICT => break,
                            StatusCode::SERVICE_UNAVAILABLE => {}
                            other => panic!("{ext}: {other} {}", r.text().await.unwrap()),
                        }
                        assert!(started.elapsed() < DEADLINE, "{ext} never stored");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    stored.push(ext);
                }
                stored
            })
        })
        .collect();
    let mut expected = BTreeSet::new();
    for w in writers {
        expected.extend(w.await.unwrap());
    }
    assert!(killing.await.unwrap() > 0, "no connection was killed");
    // Idle pooled connections killed in the last round fail once each and are replaced;
    // the server must get there by itself.
    let started = Instant::now();
    while readyz(&app).await != StatusCode::OK {
        assert!(started.elapsed() < DEADLINE, "not ready again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stored_ids(app.db_url()).await, expected);
    assert_eq!(
        app.count_answers().await,
        expected.len() as u64,
        "duplicates"
    );
}

fn guarded(max_connections: usize, idle: Duration) -> Config {
    Config {
        connections: ConnectionLimits {
            max_connections,
            idle_timeout: idle,
            body_timeout: Duration::from_secs(1),
        },
        ..Config::default()
    }
}

#[tokio::test]
async fn healthz_answers_while_slow_clients_hold_more_connections_than_the_cap() {
    let app = TestApp::spawn_with(TestDb::sqlite(), guarded(32, Duration::from_secs(30))).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    // Twice the cap, each with half a request that never ends.
    let mut slow = Vec::new();
    for _ in 0..64 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(s);
    }
    for _ in 0..5 {
        let r = tokio::time::timeout(DEADLINE, app.http.get(app.url("/healthz")).send())
            .await
            .expect("/healthz hung behind slow clients")
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // The oldest slow connections were closed to make room.
    let mut closed = 0;
    for s in &mut slow[..8] {
        let mut buf = [0u8; 64];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await
        {
            closed += 1;
        }
    }
    assert_eq!(closed, 8, "the longest-idle connections were not closed");
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_request_is_closed() {
    let app = TestApp::spawn_with(TestDb::sqlite(), guarded(1000, Duration::from_secs(1))).await;
    let addr = app.base.trim_start_matches("http://").to_owned();

    // Headers that never end.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 256];
    // Well below the 30 s a server without its own limit would wait.
    let read = tokio::time::timeout(Duration::from_secs(15), s.read(&mut buf))
        .await
        .expect("a connection without a whole request was kept open");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "got an answer to half a request"
    );

    // A body that never arrives whole: answered (or closed), never kept waiting.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/responses HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"survey\"",
        app.key
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(DEADLINE, s.read_to_end(&mut answer))
        .await
        .expect("a request whose body never arrives was kept open");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        read.is_err() || answer.is_empty() || text.starts_with("HTTP/1.1 4"),
        "unexpected answer to a body that never arrived: {text}"
    );
    assert_eq!(app.count_answers().await, 0);
}
