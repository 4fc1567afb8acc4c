//! Alert subscriptions per kind of survey, on every backend: the kind is kept and
//! checked against the survey and the owner; CSAT answers fire CSAT subscriptions only;
//! an eNPS batch leaves only once it holds the workspace's minimum group size; changing
//! a subscription's kind drops what it had gathered.

use crate::common::*;
use advocate_core::alerts::{AlertChannel, SubscriptionFilter};
use advocate_core::{Rating, Role, SurveyKind};
use advocate_store::delivery::outbox::OutboxStatus;
use advocate_store::models::NewAnswer;
use advocate_store::Store;
use chrono::{Duration, Utc};

fn filter(kind: SurveyKind, batch_minutes: u32) -> SubscriptionFilter {
    let (low, high) = kind.scale();
    SubscriptionFilter {
        kind,
        channel: AlertChannel::Webhook,
        target: Some("https://hooks.example.com/alerts".into()),
        min_score: low,
        max_score: high,
        survey_id: None,
        touchpoint: None,
        segment_key: None,
        segment_value: None,
        only_with_comment: false,
        batch_minutes,
    }
}

fn scored(ws: i64, survey: i64, kind: SurveyKind, score: u8) -> NewAnswer {
    NewAnswer {
        score: Rating::new(kind, i64::from(score)).unwrap(),
        ..answer(ws, survey, 0, Utc::now())
    }
}

async fn alert_rows(store: &Store, ws: i64) -> usize {
    store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 500, None)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.event == "alert")
        .count()
}

async fn kinds_are_kept_checked_and_matched(store: Store) {
    let ws = workspace(&store).await;
    let rel = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let sat = create_survey(&store, ws, "sat", SurveyKind::Csat).await;
    let team = create_survey(&store, ws, "team", SurveyKind::Enps).await;
    let admin = store
        .users()
        .create_member(ws, "ada@example.com", "x", Role::Admin)
        .await
        .unwrap()
        .id;
    let agent = store
        .users()
        .create_member(ws, "agent@example.com", "x", Role::Agent)
        .await
        .unwrap()
        .id;
    let alerts = store.alerts();

    // Refused, nothing stored.
    let wrong_survey = SubscriptionFilter {
        survey_id: Some(rel.id),
        ..filter(SurveyKind::Csat, 0)
    };
    let err = invalid(alerts.create(ws, admin, &wrong_survey).await);
    assert!(err.contains("is a nps survey"), "{err}");
    let err = invalid(
        alerts
            .create(ws, agent, &filter(SurveyKind::Enps, 60))
            .await,
    );
    assert!(err.contains("anonymous"), "{err}");
    let err = invalid(alerts.create(ws, admin, &filter(SurveyKind::Enps, 0)).await);
    assert!(err.contains("batch_minutes"), "{err}");
    assert!(alerts
        .list(ws, advocate_store::closed_loop::alerts::Owner::Anyone)
        .await
        .unwrap()
        .is_empty());

    let csat = alerts
        .create(
            ws,
            admin,
            &SubscriptionFilter {
                survey_id: Some(sat.id),
                max_score: 2,
                ..filter(SurveyKind::Csat, 0)
            },
        )
        .await
        .unwrap();
    assert_eq!(csat.filter.kind, SurveyKind::Csat);
    let enps = alerts
        .create(ws, admin, &filter(SurveyKind::Enps, 5))
        .await
        .unwrap();
    assert_eq!(enps.filter.kind, SurveyKind::Enps);

    // CSAT 2 fires; CSAT 4 and NPS 2 do not.
    for (survey, kind, score) in [
        (sat.id, SurveyKind::Csat, 2),
        (sat.id, SurveyKind::Csat, 4),
        (rel.id, SurveyKind::Nps, 2),
    ] {
        store
            .answers()
            .record(&scored(ws, survey, kind, score))
            .await
            .unwrap();
    }
    assert_eq!(alert_rows(&store, ws).await, 1);

    // eNPS: four gathered, due, but kept; the fifth lets the batch leave.
    for score in [9, 3, 7, 0] {
        store
            .answers()
            .record(&scored(ws, team.id, SurveyKind::Enps, score))
            .await
            .unwrap();
    }
    assert_eq!(alerts.waiting(enps.id).await.unwrap(), 4);
    let due = Utc::now() + Duration::minutes(6);
    assert_eq!(alerts.flush_batches(due).await.unwrap(), 0);
    assert_eq!(alerts.waiting(enps.id).await.unwrap(), 4);
    store
        .answers()
        .record(&scored(ws, team.id, SurveyKind::Enps, 10))
        .await
        .unwrap();
    assert_eq!(alerts.flush_batches(due).await.unwrap(), 1);
    assert_eq!(alerts.waiting(enps.id).await.unwrap(), 0);
    assert_eq!(alert_rows(&store, ws).await, 2);

    // A changed kind drops what was gathered under the old one.
    store
        .answers()
        .record(&scored(ws, team.id, SurveyKind::Enps, 4))
        .await
        .unwrap();
    assert_eq!(alerts.waiting(enps.id).await.unwrap(), 1);
    let owner = advocate_store::closed_loop::alerts::Owner::Anyone;
    let changed = alerts
        .update(ws, owner, enps.id, &filter(SurveyKind::Nps, 5))
        .await
        .unwrap();
    assert_eq!(changed.filter.kind, SurveyKind::Nps);
    assert_eq!(alerts.waiting(enps.id).await.unwrap(), 0);
    // Refused updates change nothing.
    let err = invalid(
        alerts
            .update(ws, owner, csat.id, &filter(SurveyKind::Enps, 0))
            .await,
    );
    assert!(err.contains("batch_minutes"), "{err}");
    let kept = alerts.get(ws, owner, csat.id).await.unwrap().unwrap();
    assert_eq!(kept.filter, csat.filter);
}

#[tokio::test]
async fn subscriptions_watch_one_kind_of_survey() {
    on_every_backend!(kinds_are_kept_checked_and_matched);
}
