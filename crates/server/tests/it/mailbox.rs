//! The reply mailbox against a real Dovecot: every message handed over and then removed
//! (or moved), a failing handler leaves the message for the next round, the server goes
//! down and comes back, two pollers share one mailbox, a message too large to download,
//! and IDLE; servers without MOVE or UIDPLUS (Dovecot announcing less), and mail another
//! client flagged \Deleted.

use crate::common::dovecot::{message_id, Dovecot, Options};
use crate::common::peers::eventually;
use advocate_server::worker::mailbox::{self, Fetched, MailboxConfig, MailboxSettings};
use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// No test here may hang: a broken peer or poller fails it instead.
async fn bounded<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(180), test)
        .await
        .expect("the test did not finish in 3 minutes")
}

fn config(dovecot: &Dovecot, query: &str) -> MailboxConfig {
    MailboxConfig {
        max_bytes: 10 * 1024 * 1024,
        poll_interval: Duration::from_millis(200),
        idle_timeout: Duration::from_secs(5),
        reconnect_max: Duration::from_millis(500),
        ..MailboxConfig::new(MailboxSettings::parse(&dovecot.url(query)).unwrap())
    }
}

fn message(n: u32) -> Vec<u8> {
    format!(
        "From: Customer {n} <customer{n}@example.com>\r\n\
         To: replies@advocate.example\r\n\
         Subject: Re: your case\r\n\
         Message-ID: <reply-{n}@example.com>\r\n\
         \r\n\
         Thanks, reply number {n}.\r\n"
    )
    .into_bytes()
}

fn id(n: u32) -> String {
    format!("<reply-{n}@example.com>")
}

/// What a handler was given, in order.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Fetched>>>);

impl Recorder {
    /// A handler that records every message and accepts it.
    fn handler(
        &self,
    ) -> impl Fn(Fetched) -> std::future::Ready<Result<(), String>> + Send + Sync + 'static {
        let seen = self.0.clone();
        move |f| {
            seen.lock().unwrap().push(f);
            std::future::ready(Ok(()))
        }
    }

    fn ids(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|f| message_id(&f.raw).expect("a Message-ID"))
            .collect()
    }

    fn has(&self, n: u32) -> bool {
        self.ids().contains(&id(n))
    }
}

/// A running poller and what stops it.
struct Poller {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Poller {
    fn start<F, Fut>(config: MailboxConfig, handle: F) -> Self
    where
        F: Fn(Fetched) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(mailbox::run(config, handle, stopped));
        Self { stop, task }
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the poller stops when told")
            .expect("the poller did not panic");
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn every_message_is_handed_over_once_and_removed() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    bounded(async {
        for n in 1..=3 {
            dovecot.append(&message(n)).await;
        }
        let config = config(&dovecot, "");
        let recorder = Recorder::default();
        let handler = recorder.handler();
        assert_eq!(mailbox::poll_once(&config, &handler).await.unwrap(), 3);
        assert_eq!(recorder.ids(), vec![id(1), id(2), id(3)], "oldest first");
        for (n, f) in (1..=3).zip(recorder.0.lock().unwrap().iter()) {
            assert_eq!(f.raw, message(n), "the message as it was delivered");
            assert_eq!(f.size, message(n).len());
            assert!(!f.headers_only);
        }
        assert_eq!(dovecot.count().await, 0, "handled mail is removed");

        assert_eq!(mailbox::poll_once(&config, &handler).await.unwrap(), 0);
        assert_eq!(recorder.ids().len(), 3, "nothing is handed over twice");
    })
    .await;
}

#[tokio::test]
async fn handled_mail_moves_to_the_processed_folder() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    bounded(async {
        dovecot.append(&message(1)).await;
        dovecot.append(&message(2)).await;
        let config = config(&dovecot, "processed=Done");
        let recorder = Recorder::default();
        assert_eq!(
            mailbox::poll_once(&config, &recorder.handler())
                .await
                .unwrap(),
            2
        );
        assert_eq!(recorder.ids(), vec![id(1), id(2)]);
        assert_eq!(dovecot.count().await, 0);
        assert_eq!(
            sorted(dovecot.message_ids_in("Done").await),
            vec![id(1), id(2)],
            "kept in the processed folder"
        );

        // Mail in the processed folder is not handed over again.
        assert_eq!(
            mailbox::poll_once(&config, &recorder.handler())
                .await
                .unwrap(),
            0
        );
        assert_eq!(recorder.ids().len(), 2);
    })
    .await;
}

/// A handler that fails the first time it sees each message (the database was down),
/// then records it.
fn failing_once(
    recorder: &Recorder,
) -> impl Fn(Fetched) -> std::future::Ready<Result<(), String>> + Send + Sync + 'static {
    let failed = Arc::new(Mutex::new(HashSet::new()));
    let record = recorder.handler();
    move |f| {
        let key = message_id(&f.raw).unwrap();
        if failed.lock().unwrap().insert(key) {
            return std::future::ready(Err("the database is down".to_owned()));
        }
        record(f)
    }
}

#[tokio::test]
async fn a_message_whose_handler_failed_stays_for_the_next_round() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    bounded(async {
        dovecot.append(&message(1)).await;
        dovecot.append(&message(2)).await;
        let config = config(&dovecot, "");
        let recorder = Recorder::default();
        let handler = failing_once(&recorder);

        assert_eq!(mailbox::poll_once(&config, &handler).await.unwrap(), 0);
        assert!(recorder.ids().is_empty());
        assert_eq!(dovecot.count().await, 2, "nothing lost");

        assert_eq!(mailbox::poll_once(&config, &handler).await.unwrap(), 2);
        assert_eq!(recorder.ids(), vec![id(1), id(2)]);
        assert_eq!(dovecot.count().await, 0);

        // The running poller retries on its own (after poll_interval, even while idling).
        dovecot.append(&message(3)).await;
        let poller = Poller::start(config, failing_once(&recorder));
        eventually("the failed reply to be taken on a later round", || async {
            (recorder.has(3) && dovecot.count().await == 0).then_some(())
        })
        .await;
        poller.stop().await;
        assert_eq!(recorder.ids(), vec![id(1), id(2), id(3)]);
    })
    .await;
}

#[tokio::test]
async fn the_server_going_down_and_back_loses_nothing_and_repeats_nothing() {
    let Some(mut dovecot) = Dovecot::start().await else {
        return;
    };
    bounded(async {
        let recorder = Recorder::default();
        let poller = Poller::start(config(&dovecot, ""), recorder.handler());
        dovecot.append(&message(1)).await;
        eventually("the first reply", || async {
            recorder.has(1).then_some(())
        })
        .await;

        dovecot.stop().await;
        // Long enough for the poller to notice and retry a few times against a closed port.
        tokio::time::sleep(Duration::from_secs(1)).await;
        dovecot.restart().await;
        dovecot.append(&message(2)).await;
        eventually("the reply sent after the restart", || async {
            (recorder.has(2) && dovecot.count().await == 0).then_some(())
        })
        .await;
        poller.stop().await;
        assert_eq!(
            recorder.ids(),
            vec![id(1), id(2)],
            "each reply once: the one taken before the outage is not taken again"
        );
    })
    .await;
}

#[tokio::test]
async fn two_pollers_on_one_mailbox_record_each_message_once() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    bounded(async {
        const N: u32 = 20;
        // The store's unique digest, as a set: the first insert records, a repeat is
        // accepted without recording.
        let digests = Arc::new(Mutex::new(HashSet::new()));
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let duplicates = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let handler = |poller: usize| {
            let (digests, recorded, duplicates) =
                (digests.clone(), recorded.clone(), duplicates.clone());
            move |f: Fetched| {
                let key = message_id(&f.raw).unwrap();
                if digests.lock().unwrap().insert(key.clone()) {
                    recorded.lock().unwrap().push(key);
                } else {
                    duplicates[poller].fetch_add(1, Ordering::SeqCst);
                }
                std::future::ready(Ok::<(), String>(()))
            }
        };
        for n in 1..=N / 2 {
            dovecot.append(&message(n)).await;
        }
        let first = Poller::start(config(&dovecot, ""), handler(0));
        let second = Poller::start(config(&dovecot, ""), handler(1));
        for n in N / 2 + 1..=N {
            dovecot.append(&message(n)).await;
        }
        eventually("every reply recorded and the mailbox empty", || async {
            (recorded.lock().unwrap().len() == N as usize && dovecot.count().await == 0)
                .then_some(())
        })
        .await;
        first.stop().await;
        second.stop().await;

        let recorded = recorded.lock().unwrap().clone();
        assert_eq!(sorted(recorded), sorted((1..=N).map(id).collect()));
        let repeats: Vec<usize> = duplicates
            .iter()
            .map(|d| d.load(Ordering::SeqCst))
            .collect();
        eprintln!("duplicates seen by each poller (the store's digest absorbs them): {repeats:?}");
    })
    .await;
}

#[tokio::test]
async fn a_message_over_the_limit_arrives_as_its_header_only_and_is_removed() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    bounded(async {
        // 20 MB: an attachment nobody should download into memory.
        let mut big = b"From: customer@example.com\r\n\
            Subject: the logs you asked for\r\n\
            Message-ID: <big@example.com>\r\n\
            \r\n"
            .to_vec();
        let line = [b'A'; 76];
        while big.len() < 20 * 1000 * 1000 {
            big.extend_from_slice(&line);
            big.extend_from_slice(b"\r\n");
        }
        dovecot.append(&big).await;
        dovecot.append(&message(1)).await;

        let recorder = Recorder::default();
        let config = config(&dovecot, "");
        assert_eq!(
            mailbox::poll_once(&config, &recorder.handler())
                .await
                .unwrap(),
            2
        );
        let seen = recorder.0.lock().unwrap().clone();
        let by_id: BTreeMap<String, Fetched> = seen
            .into_iter()
            .map(|f| (message_id(&f.raw).unwrap(), f))
            .collect();
        let large = &by_id["<big@example.com>"];
        assert!(large.headers_only);
        assert_eq!(
            large.size,
            big.len(),
            "its real size, to record it as too large"
        );
        assert!(
            large.raw.len() < 1000,
            "only the header was downloaded: {} bytes",
            large.raw.len()
        );
        assert!(String::from_utf8_lossy(&large.raw).contains("Subject: the logs you asked for"));
        let small = &by_id[&id(1)];
        assert!(!small.headers_only);
        assert_eq!(small.raw, message(1));
        assert_eq!(dovecot.count().await, 0, "the large message is removed too");
    })
    .await;
}

#[tokio::test]
async fn idle_hands_over_new_mail_without_waiting_for_the_poll() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    bounded(async {
        assert!(dovecot.offers("IDLE").await, "Dovecot offers IDLE");
        let config = MailboxConfig {
            poll_interval: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            ..config(&dovecot, "")
        };
        let recorder = Recorder::default();
        let poller = Poller::start(config, recorder.handler());
        // Once the first reply is taken the poller is connected and goes idle.
        dovecot.append(&message(1)).await;
        eventually("the first reply", || async {
            recorder.has(1).then_some(())
        })
        .await;

        dovecot.append(&message(2)).await;
        // A poll would take 60 s; IDLE hears of the new message at once. 10 s is a
        // correctness bound (the message came through IDLE), not a speed measurement.
        tokio::time::timeout(Duration::from_secs(10), async {
            while !recorder.has(2) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("IDLE handed the new reply over before the next poll");
        poller.stop().await;
        assert_eq!(recorder.ids(), vec![id(1), id(2)]);
    })
    .await;
}

/// Dovecot announcing UIDPLUS but not MOVE.
const WITHOUT_MOVE: &str = "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE UIDPLUS";
/// Dovecot announcing neither MOVE nor UIDPLUS.
const WITHOUT_MOVE_OR_UIDPLUS: &str = "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE";

async fn trimmed(capabilities: &'static str) -> Option<Dovecot> {
    Dovecot::start_with(Options {
        capabilities: Some(capabilities),
        ..Options::default()
    })
    .await
}

/// Without MOVE a handled message is copied to the processed folder, then flagged and
/// removed by UID EXPUNGE (UIDPLUS): only that message, so one another client flagged
/// \Deleted is neither read nor expunged by us.
#[tokio::test]
async fn without_move_handled_mail_is_copied_then_removed_and_others_deletions_are_left() {
    let Some(dovecot) = trimmed(WITHOUT_MOVE).await else {
        return;
    };
    bounded(async {
        assert!(!dovecot.offers("MOVE").await && dovecot.offers("UIDPLUS").await);
        for n in 1..=3 {
            dovecot.append(&message(n)).await;
        }
        // Someone deleting reply 2 in their mail client (not expunged yet).
        dovecot.add_flags(2, "\\Deleted").await;

        let config = config(&dovecot, "processed=Done");
        let recorder = Recorder::default();
        let handler = recorder.handler();
        assert_eq!(mailbox::poll_once(&config, &handler).await.unwrap(), 2);
        assert_eq!(recorder.ids(), vec![id(1), id(3)]);
        assert_eq!(
            sorted(dovecot.message_ids_in("Done").await),
            vec![id(1), id(3)],
            "copied to the processed folder once each"
        );
        assert_eq!(
            dovecot.message_ids_in("INBOX").await,
            vec![id(2)],
            "the other client's deletion is theirs to expunge"
        );

        assert_eq!(mailbox::poll_once(&config, &handler).await.unwrap(), 0);
        assert_eq!(recorder.ids().len(), 2, "nothing is handed over twice");
        assert_eq!(dovecot.message_ids_in("Done").await.len(), 2);
    })
    .await;
}

/// Without MOVE or UIDPLUS: copied (when a processed folder is named), flagged, and
/// removed by a plain EXPUNGE — which, as documented, also expunges what another client
/// had flagged \Deleted (never handed over: they were deleting it).
#[tokio::test]
async fn without_move_or_uidplus_handled_mail_is_removed_by_expunge() {
    let Some(dovecot) = trimmed(WITHOUT_MOVE_OR_UIDPLUS).await else {
        return;
    };
    bounded(async {
        assert!(!dovecot.offers("MOVE").await && !dovecot.offers("UIDPLUS").await);
        for n in 1..=3 {
            dovecot.append(&message(n)).await;
        }
        dovecot.add_flags(3, "\\Deleted").await;
        let recorder = Recorder::default();
        let handler = recorder.handler();
        let kept = config(&dovecot, "processed=Done");
        assert_eq!(mailbox::poll_once(&kept, &handler).await.unwrap(), 2);
        assert_eq!(recorder.ids(), vec![id(1), id(2)]);
        assert_eq!(
            sorted(dovecot.message_ids_in("Done").await),
            vec![id(1), id(2)]
        );
        assert_eq!(
            dovecot.count().await,
            0,
            "the plain EXPUNGE took reply 3 too"
        );

        // Deleting instead of keeping, and a poller that runs on.
        dovecot.append(&message(4)).await;
        dovecot.append(&message(5)).await;
        let poller = Poller::start(config(&dovecot, ""), recorder.handler());
        eventually("the new replies taken and removed", || async {
            (recorder.has(5) && dovecot.count().await == 0).then_some(())
        })
        .await;
        poller.stop().await;
        assert_eq!(
            recorder.ids(),
            vec![id(1), id(2), id(4), id(5)],
            "each once"
        );
        assert_eq!(dovecot.message_ids_in("Done").await.len(), 2);
    })
    .await;
}

/// A removal cut short (the connection lost after the flags, before the expunge) is
/// finished by the next pass without handing the message over again; the keyword tells
/// it from another client's deletion.
#[tokio::test]
async fn an_interrupted_removal_is_finished_without_handing_over_again() {
    let Some(dovecot) = trimmed(WITHOUT_MOVE).await else {
        return;
    };
    bounded(async {
        dovecot.append(&message(1)).await;
        dovecot.append(&message(2)).await;
        // What our own pass leaves when cut off between UID STORE and UID EXPUNGE.
        dovecot
            .add_flags(1, "\\Seen \\Deleted $AdvocateTaken")
            .await;
        let recorder = Recorder::default();
        assert_eq!(
            mailbox::poll_once(&config(&dovecot, ""), &recorder.handler())
                .await
                .unwrap(),
            1
        );
        assert_eq!(recorder.ids(), vec![id(2)]);
        assert_eq!(dovecot.count().await, 0);
    })
    .await;
}

/// `advocate doctor`'s IMAP check: signs in and opens the folder as the reader does, and
/// names the step that fails.
#[tokio::test]
async fn the_doctors_check_signs_in_and_names_the_step_that_fails() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    bounded(async {
        let url = dovecot.url("");
        let check = |url: String| async move {
            mailbox::check(&MailboxSettings::parse(&url).unwrap()).await
        };
        let offers = check(url.clone()).await.unwrap();
        assert!(offers.contains("IDLE offered"), "{offers}");

        let (user, rest) = url.split_once('@').unwrap();
        let (user, _password) = user.rsplit_once(':').unwrap();
        let e = check(format!("{user}:wrong@{rest}")).await.unwrap_err();
        assert!(e.starts_with("IMAP LOGIN"), "{e}");

        let e = check(url.replace("/INBOX", "/Nowhere")).await.unwrap_err();
        assert!(e.starts_with("IMAP SELECT"), "{e}");
    })
    .await;
}
