//! Live answers share commits (group commit): under concurrent load every answer that
//! was acknowledged is stored once with its rollups, and a bad answer fails alone without
//! taking its group down with it. On every backend.

#[macro_use]
#[allow(dead_code, unused_macros)]
mod common;

use advocate_core::SurveyKind;
use advocate_store::models::Respondent;
use advocate_store::Store;
use common::*;
use std::sync::Arc;

async fn concurrent_answers_commit_together_and_fail_alone(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let store = Arc::new(store);
    let when = at(2026, 3, 1);
    let tasks: Vec<_> = (0..300u32)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut a = answer(ws, survey.id, (i % 11) as u8, when);
                a.external_id = Some(format!("a{i}"));
                if i % 10 == 7 {
                    // An unknown customer: refused, and only this answer.
                    a.respondent = Respondent::Known(format!("nobody-{i}"));
                }
                (i, store.record_answer(&a).await)
            })
        })
        .collect();
    let mut stored = 0u64;
    for t in tasks {
        let (i, outcome) = t.await.unwrap();
        if i % 10 == 7 {
            assert!(not_found(outcome).contains("does not exist"), "answer {i}");
        } else {
            let recorded = outcome.unwrap_or_else(|e| panic!("answer {i}: {e}"));
            assert_eq!(recorded.answer.external_id, Some(format!("a{i}")));
            stored += 1;
        }
    }
    assert_eq!(stored, 270);
    assert_eq!(store.count_answers(ws).await.unwrap(), stored);
    let r = report(&store, &query(ws, Some("rel"))).await;
    assert_eq!(
        r.summary.n, stored,
        "the rollups count every stored answer once"
    );

    // The same external id sent by many at once: one answer, the rest are replays.
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut a = answer(ws, survey.id, 9, when);
                a.external_id = Some("same".into());
                a.request_hash = Some("h".into());
                store.record_answer(&a).await.unwrap()
            })
        })
        .collect();
    let mut fresh = 0;
    for t in tasks {
        fresh += usize::from(!t.await.unwrap().replayed);
    }
    assert_eq!(fresh, 1, "exactly one of the copies was stored");
    assert_eq!(store.count_answers(ws).await.unwrap(), stored + 1);
}

#[tokio::test]
async fn concurrent_answers_commit_together_and_fail_alone_on_every_backend() {
    on_every_backend!(concurrent_answers_commit_together_and_fail_alone);
}
