//! Live answers share commits (group commit): under concurrent load every answer that
//! was acknowledged is stored once with its rollups, and a bad answer fails alone without
//! taking its group down with it. On every backend.

use crate::common::*;
use advocate_core::SurveyKind;
use advocate_store::models::Respondent;
use advocate_store::Store;
use std::sync::Arc;

async fn concurrent_answers_commit_together_and_fail_alone(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    // The answers are anonymous: this workspace opens cases for anonymous detractors.
    let settings = advocate_store::models::WorkspaceSettings {
        anonymous_detractors: advocate_store::models::AnonymousDetractors::Case,
        ..Default::default()
    };
    store.settings().save(ws, &settings).await.unwrap();
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
                (i, store.answers().record(&a).await)
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
    assert_eq!(store.answers().count(ws).await.unwrap(), stored);
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
                store.answers().record(&a).await.unwrap()
            })
        })
        .collect();
    let mut fresh = 0;
    for t in tasks {
        fresh += usize::from(!t.await.unwrap().replayed);
    }
    assert_eq!(fresh, 1, "exactly one of the copies was stored");
    assert_eq!(store.answers().count(ws).await.unwrap(), stored + 1);
    // Copies refused by the unique key, after their group had counted them, are not
    // counted in the rollups.
    let r = report(&store, &query(ws, Some("rel"))).await;
    assert_eq!(r.summary.n, stored + 1);

    // Cases are written together for a group: every stored detractor opened exactly one,
    // with its checklist, and refused answers opened none.
    let detractors = (0..300u32).filter(|i| i % 10 != 7 && i % 11 <= 6).count() as u64;
    let all = advocate_store::closed_loop::cases::CaseFilter {
        limit: 1000,
        ..Default::default()
    };
    let page = store.cases().list(ws, &all).await.unwrap();
    assert_eq!(page.total, detractors);
    let mut answer_ids: Vec<i64> = Vec::new();
    for case in &page.cases {
        let detail = store.cases().get(ws, case.id).await.unwrap().unwrap();
        assert!(!detail.steps.is_empty(), "case {} has its steps", case.id);
        answer_ids.extend(detail.answers.iter().map(|a| a.answer_id));
    }
    answer_ids.sort_unstable();
    answer_ids.dedup();
    assert_eq!(
        answer_ids.len() as u64,
        detractors,
        "one case per detractor"
    );

    // One customer's detractor answers arriving together: the first opens a case (written
    // with the group's) and every later one joins it.
    store
        .customers()
        .upsert(ws, &customer("K", "pro"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..12u32)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut a = answer(ws, survey.id, (i % 5) as u8, when);
                a.respondent = Respondent::Known("K".into());
                store.answers().record(&a).await.unwrap()
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let theirs = advocate_store::closed_loop::cases::CaseFilter {
        customer: Some("K".into()),
        limit: 10,
        ..Default::default()
    };
    let page = store.cases().list(ws, &theirs).await.unwrap();
    assert_eq!(page.total, 1, "{:?}", page.cases);
    let detail = store
        .cases()
        .get(ws, page.cases[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.answers.len(), 12);
}

#[tokio::test]
async fn concurrent_answers_commit_together_and_fail_alone_on_every_backend() {
    on_every_backend!(concurrent_answers_commit_together_and_fail_alone);
}
