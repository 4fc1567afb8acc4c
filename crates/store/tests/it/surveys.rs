//! Editing a survey: only the fields named change, the status closes it to invitations,
//! a new scale is refused once answered, another workspace's survey is not found, and
//! the slug cache serves the survey as it is now. On every backend.

use crate::common::*;
use advocate_core::customer::CustomerInput;
use advocate_core::i18n::TextOverrides;
use advocate_core::{Channel, SurveyKind, SurveyStatus};
use advocate_store::invitations::{InvitationStatus, InviteRequest, SkipReason, Source};
use advocate_store::models::SurveyChange;
use advocate_store::Store;
use std::collections::BTreeMap;

fn question(text: &str) -> TextOverrides {
    TextOverrides {
        question: Some(text.into()),
        ..Default::default()
    }
}

async fn only_named_fields_change(store: Store) {
    let ws = workspace(&store).await;
    let mut new = survey("rel", SurveyKind::Nps, Some("onboarding"));
    new.texts = BTreeMap::from([
        (lang("en"), question("Recommend us?")),
        (lang("nb"), question("Anbefale oss?")),
    ]);
    let before = store.surveys().create(ws, &new).await.unwrap();
    assert_eq!(before.status, SurveyStatus::Active);

    // Renaming leaves everything else as it was.
    let renamed = store
        .surveys()
        .update(
            ws,
            before.id,
            &SurveyChange {
                name: Some("Relationship".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        renamed,
        advocate_store::models::Survey {
            name: "Relationship".into(),
            ..before.clone()
        }
    );

    // Texts: the language named is replaced, the one given as None removed, others kept.
    let changed = store
        .surveys()
        .update(
            ws,
            before.id,
            &SurveyChange {
                texts: BTreeMap::from([
                    (lang("de"), Some(question("Empfehlen?"))),
                    (lang("nb"), None),
                ]),
                touchpoint: Some(None),
                default_language: Some(lang("de")),
                kind: Some(SurveyKind::Csat),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        changed.texts.keys().map(|l| l.as_str()).collect::<Vec<_>>(),
        ["de", "en"]
    );
    assert_eq!(changed.texts[&lang("en")], question("Recommend us?"));
    assert_eq!(changed.touchpoint, None);
    assert_eq!(changed.default_language, lang("de"));
    assert_eq!(changed.kind, SurveyKind::Csat);
    assert_eq!(changed.name, "Relationship");
    assert_eq!(
        (&changed.slug, &changed.public_id),
        (&before.slug, &before.public_id)
    );
    // What was returned is what is stored.
    assert_eq!(
        store.surveys().get(ws, before.id).await.unwrap(),
        Some(changed)
    );
}

#[tokio::test]
async fn only_named_fields_change_on_every_backend() {
    on_every_backend!(only_named_fields_change);
}

async fn status_is_listed_and_served_fresh(store: Store) {
    let ws = workspace(&store).await;
    let rel = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let other = create_survey(&store, ws, "other", SurveyKind::Nps).await;
    // Read once so the slug cache holds it.
    let cached = store.surveys().by_slug(ws, "rel").await.unwrap().unwrap();
    assert_eq!(cached.status, SurveyStatus::Active);
    store
        .surveys()
        .update(
            ws,
            rel.id,
            &SurveyChange {
                status: Some(SurveyStatus::Paused),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let fresh = store.surveys().by_slug(ws, "rel").await.unwrap().unwrap();
    assert_eq!(fresh.status, SurveyStatus::Paused, "the cache was cleared");
    let listed: Vec<_> = store
        .surveys()
        .list(ws)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.slug, s.status))
        .collect();
    assert_eq!(
        listed,
        [
            ("rel".to_owned(), SurveyStatus::Paused),
            ("other".to_owned(), SurveyStatus::Active)
        ]
    );
    assert_eq!(
        store.surveys().get(ws, other.id).await.unwrap().unwrap(),
        other,
        "the other survey did not change"
    );
}

#[tokio::test]
async fn status_is_listed_and_served_fresh_on_every_backend() {
    on_every_backend!(status_is_listed_and_served_fresh);
}

async fn an_answered_survey_keeps_its_scale(store: Store) {
    let ws = workspace(&store).await;
    let rel = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let quiet = create_survey(&store, ws, "quiet", SurveyKind::Nps).await;
    for a in answers(ws, rel.id, at(2026, 3, 2), &[(9, 2), (3, 1)]) {
        store.answers().record(&a).await.unwrap();
    }
    let msg = conflict(
        store
            .surveys()
            .update(
                ws,
                rel.id,
                &SurveyChange {
                    kind: Some(SurveyKind::Csat),
                    name: Some("Renamed".into()),
                    ..Default::default()
                },
            )
            .await,
    );
    assert!(msg.contains("kind"), "{msg}");
    assert_eq!(
        store.surveys().get(ws, rel.id).await.unwrap().unwrap(),
        rel,
        "a refused change changes nothing, not even the name"
    );
    // Naming the kind it already has is no change.
    store
        .surveys()
        .update(
            ws,
            rel.id,
            &SurveyChange {
                kind: Some(SurveyKind::Nps),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let counts = store.surveys().answer_counts(ws).await.unwrap();
    assert_eq!(counts.get(&rel.id), Some(&3));
    assert_eq!(counts.get(&quiet.id), None);
}

#[tokio::test]
async fn an_answered_survey_keeps_its_scale_on_every_backend() {
    on_every_backend!(an_answered_survey_keeps_its_scale);
}

async fn another_workspaces_survey_is_not_found(store: Store) {
    let ws = workspace(&store).await;
    let rival = named_workspace(&store, "rival").await;
    let rel = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    not_found(
        store
            .surveys()
            .update(
                rival,
                rel.id,
                &SurveyChange {
                    status: Some(SurveyStatus::Archived),
                    ..Default::default()
                },
            )
            .await,
    );
    assert_eq!(store.surveys().get(ws, rel.id).await.unwrap().unwrap(), rel);
}

#[tokio::test]
async fn another_workspaces_survey_is_not_found_on_every_backend() {
    on_every_backend!(another_workspaces_survey_is_not_found);
}

fn person(id: &str) -> CustomerInput {
    CustomerInput {
        external_id: id.into(),
        email: Some(format!("{id}@example.com")),
        ..Default::default()
    }
}

fn request(survey_id: i64) -> InviteRequest {
    InviteRequest {
        survey_id,
        channel: Channel::Email,
        source: Source::Manual,
        schedule_id: None,
        event_id: None,
        send_at: at(2026, 5, 4),
        sample_percent: 100,
    }
}

async fn a_closed_survey_invites_nobody(store: Store) {
    let ws = workspace(&store).await;
    let rel = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let now = at(2026, 5, 4);
    // Scheduled while active, paused before it was due: skipped when it comes due.
    let waiting = store
        .invitations()
        .invite(ws, &request(rel.id), &[person("kari")], now)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(waiting.status, InvitationStatus::Scheduled);
    let pause = SurveyChange {
        status: Some(SurveyStatus::Paused),
        ..Default::default()
    };
    store.surveys().update(ws, rel.id, &pause).await.unwrap();
    let report = store.invitations().dispatch_due(now, 100).await.unwrap();
    assert_eq!((report.sent, report.skipped), (0, 1));
    let stored = store
        .invitations()
        .get(ws, waiting.invitation_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.skip_reason, Some(SkipReason::SurveyClosed));
    // New invitations to it are skipped at once, with the reason.
    let later = store
        .invitations()
        .invite(ws, &request(rel.id), &[person("ola")], now)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        (later.status, later.skip_reason),
        (InvitationStatus::Skipped, Some(SkipReason::SurveyClosed))
    );
    // Reactivated, it invites again.
    let reactivate = SurveyChange {
        status: Some(SurveyStatus::Active),
        ..Default::default()
    };
    store
        .surveys()
        .update(ws, rel.id, &reactivate)
        .await
        .unwrap();
    let again = store
        .invitations()
        .invite(ws, &request(rel.id), &[person("per")], now)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(again.status, InvitationStatus::Scheduled);
}

async fn a_closed_survey_sends_no_reminder(store: Store) {
    let ws = workspace(&store).await;
    let rel = create_survey(&store, ws, "rel", SurveyKind::Nps).await;
    let mut settings = store.settings().get(ws).await.unwrap();
    settings.reminder_after_days = Some(3);
    store.settings().save(ws, &settings).await.unwrap();
    let t0 = at(2026, 3, 2);
    store
        .invitations()
        .invite(ws, &request(rel.id), &[person("kari")], t0)
        .await
        .unwrap();
    store
        .invitations()
        .dispatch_due(at(2026, 5, 4), 100)
        .await
        .unwrap();
    let pause = SurveyChange {
        status: Some(SurveyStatus::Paused),
        ..Default::default()
    };
    store.surveys().update(ws, rel.id, &pause).await.unwrap();
    let due = at(2026, 5, 8);
    let reminders = store.invitations().send_due_reminders(due, 100).await;
    assert_eq!(reminders.unwrap(), 0, "no reminder for a paused survey");
    let reactivate = SurveyChange {
        status: Some(SurveyStatus::Active),
        ..Default::default()
    };
    store
        .surveys()
        .update(ws, rel.id, &reactivate)
        .await
        .unwrap();
    let reminders = store.invitations().send_due_reminders(due, 100).await;
    assert_eq!(reminders.unwrap(), 1, "reactivated, the reminder goes");
}

#[tokio::test]
async fn a_closed_survey_sends_no_reminder_on_every_backend() {
    on_every_backend!(a_closed_survey_sends_no_reminder);
}

#[tokio::test]
async fn a_closed_survey_invites_nobody_on_every_backend() {
    on_every_backend!(a_closed_survey_invites_nobody);
}
