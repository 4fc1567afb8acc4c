//! Themes on every backend: comments tagged as they are written (live, in groups, imported),
//! re-tagged when a comment changes or the taxonomy is edited (in the background, resumable),
//! the theme report's arithmetic by hand, eNPS anonymity, privacy, and one workspace never
//! seeing or changing another's themes.

use crate::common::*;
use advocate_core::customer::CustomerInput;
use advocate_core::themes::TaxonomyEdit;
use advocate_core::SurveyKind;
use advocate_store::models::{NewAnswer, Respondent, WorkspaceSettings};
use advocate_store::themes::report::{ThemeQuery, ThemeReport};
use advocate_store::Store;
use chrono::Utc;
use std::collections::BTreeMap;

fn said(ws: i64, survey: i64, score: u8, comment: Option<&str>) -> NewAnswer {
    let mut a = answer(ws, survey, score, at(2026, 3, 10));
    a.comment = comment.map(str::to_owned);
    a.language = Some(lang("en"));
    a
}

fn keys(themes: &[advocate_store::themes::AnswerTheme]) -> Vec<&str> {
    themes.iter().map(|t| t.theme.as_str()).collect()
}

async fn report(store: &Store, ws: i64, survey: Option<i64>) -> ThemeReport {
    store
        .themes()
        .report(&ThemeQuery {
            workspace_id: ws,
            from: at(2026, 1, 1),
            to: at(2027, 1, 1),
            survey_id: survey,
        })
        .await
        .unwrap()
}

async fn retag_all(store: &Store) {
    for _ in 0..100 {
        if store.themes().retag_step(Utc::now()).await.unwrap() == 0 {
            return;
        }
    }
    panic!("re-tagging did not finish");
}

async fn tagged_as_they_arrive(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await.id;
    // Live, through the group commit.
    let live = store
        .answers()
        .record(&said(
            ws,
            survey,
            2,
            Some("I was overcharged on my invoice again."),
        ))
        .await
        .unwrap()
        .answer
        .id;
    let themes = store.themes().of_answer(ws, live).await.unwrap();
    assert_eq!(keys(&themes), ["billing"]);
    assert_eq!(themes[0].sentiment, "negative");
    assert!(!themes[0].manual);
    // No comment, or a language not read: nothing.
    let silent = store
        .answers()
        .record(&said(ws, survey, 9, None))
        .await
        .unwrap();
    assert!(store
        .themes()
        .of_answer(ws, silent.answer.id)
        .await
        .unwrap()
        .is_empty());
    // Many in one transaction, and an import batch.
    let ids = store
        .answers()
        .record_many(
            &[said(ws, survey, 10, Some("Friendly staff, great support."))],
            false,
        )
        .await
        .unwrap();
    assert!(
        keys(&store.themes().of_answer(ws, ids[0]).await.unwrap()).contains(&"staff_friendliness")
    );
    let mut batch = store.answers().begin().await.unwrap();
    let mut imported = said(
        ws,
        survey,
        3,
        Some("The delivery was late and the parcel was damaged."),
    );
    imported.external_id = Some("imp-1".into());
    batch.add_checked(imported).await.unwrap();
    batch.commit().await.unwrap();
    let report = report(&store, ws, None).await;
    let mentions: BTreeMap<&str, u64> = report
        .drivers
        .iter()
        .map(|d| (d.key.theme.as_str(), d.key.mentions))
        .collect();
    assert_eq!(mentions.get("delivery"), Some(&1), "{mentions:?}");
    assert_eq!(mentions.get("billing"), Some(&1));
    // A changed comment is tagged again.
    store
        .answers()
        .set_comment(ws, live, Some("The app keeps crashing."))
        .await
        .unwrap();
    let now = store.themes().of_answer(ws, live).await.unwrap();
    assert!(
        keys(&now).contains(&"app_website") && !keys(&now).contains(&"billing"),
        "{now:?}"
    );
    // Erasing the person removes their comments' themes.
    let mut theirs = said(ws, survey, 1, Some("Terrible invoice, wrong amount."));
    theirs.respondent = Respondent::Inline(CustomerInput {
        external_id: "kari".into(),
        ..Default::default()
    });
    let theirs = store.answers().record(&theirs).await.unwrap().answer.id;
    assert!(!store
        .themes()
        .of_answer(ws, theirs)
        .await
        .unwrap()
        .is_empty());
    store.privacy().erase_person(ws, "kari").await.unwrap();
    assert!(store
        .themes()
        .of_answer(ws, theirs)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn tagged_as_they_arrive_on_every_backend() {
    on_every_backend!(tagged_as_they_arrive);
}

async fn impact_by_hand(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await.id;
    let invoice = Some("The invoice was wrong.");
    // Mentioners of billing: 0, 2, 10 (P 1, D 2, n 3: NPS −33.33).
    // Others: 10, 10, 9, 9, 8, 7, 3 (P 4, D 1, n 7: NPS 42.86). All: P 5, D 3, n 10: 20.
    let mut all = vec![said(ws, survey, 0, invoice), said(ws, survey, 2, invoice)];
    all.push(said(ws, survey, 10, invoice));
    for s in [10, 10, 9, 9, 8, 7, 3] {
        all.push(said(ws, survey, s, None));
    }
    store.answers().record_many(&all, false).await.unwrap();
    let r = report(&store, ws, Some(survey)).await;
    assert_eq!((r.answers, r.commenters), (10, 3));
    assert_close(r.nps.unwrap(), 20.0, 1e-9);
    let billing = r.drivers.iter().find(|d| d.key.theme == "billing").unwrap();
    let d = &billing.driver;
    assert_close(d.nps_mentioners.unwrap(), -100.0 / 3.0, 1e-9);
    assert_close(d.nps_others.unwrap(), 300.0 / 7.0, 1e-9);
    // Impact = NPS(all) − NPS(others) = 20 − 42.857 = −22.857.
    assert_close(d.impact.unwrap(), 20.0 - 300.0 / 7.0, 1e-9);
    assert_close(d.share_of_commenters.unwrap(), 100.0, 1e-9);
    assert!(d.small_group, "3 and 7 answers are small groups");
    assert_eq!(billing.rank, None, "small groups are not ranked");
    assert_eq!(billing.key.trend.len(), 1);
    assert_eq!(billing.key.trend[0].month, "2026-03");
    assert_eq!(billing.key.concentrated_in[0].value, "api");
}

#[tokio::test]
async fn impact_by_hand_on_every_backend() {
    on_every_backend!(impact_by_hand);
}

/// An answer of a customer with `plan`.
fn on_plan(
    ws: i64,
    survey: i64,
    score: u8,
    comment: Option<&str>,
    plan: &str,
    i: usize,
) -> NewAnswer {
    let mut a = said(ws, survey, score, comment);
    a.respondent = Respondent::Inline(CustomerInput {
        external_id: format!("{plan}-{i}"),
        attributes: BTreeMap::from([(label("plan"), plan.to_owned())]),
        ..Default::default()
    });
    a
}

/// Segment values rank beside the themes with the same impact rule, and a theme says where
/// its mentions concentrate against all answers — figures worked by hand.
async fn segments_by_hand(store: Store) {
    let ws = workspace(&store).await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await.id;
    let invoice = Some("The invoice was wrong.");
    let mut all = Vec::new();
    // basic: 40 answers, 20 detractors (all complaining about the invoice), 10 passives,
    // 10 promoters: NPS −25. business: 60 answers, 40 promoters, 20 passives: NPS +66.67.
    for i in 0..40 {
        let (score, comment) = match i {
            0..=19 => (3, invoice),
            20..=29 => (7, None),
            _ => (10, None),
        };
        all.push(on_plan(ws, survey, score, comment, "basic", i));
    }
    for i in 0..60 {
        all.push(on_plan(
            ws,
            survey,
            if i < 40 { 9 } else { 8 },
            None,
            "business",
            i,
        ));
    }
    // Five billing mentions from business customers too (passives).
    for i in 60..65 {
        all.push(on_plan(ws, survey, 8, invoice, "business", i));
    }
    store.answers().record_many(&all, false).await.unwrap();
    let every = store
        .themes()
        .report(&ThemeQuery {
            workspace_id: ws,
            from: at(2026, 1, 1),
            to: at(2027, 1, 1),
            survey_id: None,
        })
        .await;
    assert_eq!(every.expect("every NPS survey").answers, 105);
    let r = report(&store, ws, Some(survey)).await;
    assert_eq!(r.answers, 105);
    // All: P 50, D 20, n 105: NPS 28.571. Without basic (business, n 65, P 40, D 0): 61.538.
    let basic = r
        .segments
        .iter()
        .find(|g| g.key.attribute == "plan" && g.key.value == "basic")
        .expect("plan=basic as a driver");
    assert_eq!(basic.key.answers, 40);
    assert_close(basic.driver.nps_mentioners.unwrap(), -25.0, 1e-9);
    assert_close(basic.driver.nps_others.unwrap(), 4000.0 / 65.0, 1e-9);
    assert_close(
        basic.driver.impact.unwrap(),
        3000.0 / 105.0 - 4000.0 / 65.0,
        1e-9,
    );
    assert!(
        basic.driver.significant && basic.rank.is_some(),
        "{basic:?}"
    );
    assert_eq!(basic.driver.share_of_commenters, None);
    // Billing: 25 mentions, 20 of them basic (80 %) against 40 of 105 answers (38.1 %).
    let billing = r.drivers.iter().find(|d| d.key.theme == "billing").unwrap();
    let plan = billing
        .key
        .concentrated_in
        .iter()
        .find(|c| c.dimension == "plan" && c.value == "basic")
        .expect("billing concentrates on plan=basic");
    assert_eq!(plan.mentions, 20);
    assert_close(plan.share, 80.0, 1e-9);
    assert_close(plan.share_of_all, 4000.0 / 105.0, 1e-9);
    let channel = &billing.key.concentrated_in[0];
    assert_eq!(
        (channel.dimension.as_str(), channel.value.as_str()),
        ("channel", "api")
    );
    assert_close(channel.share_of_all, 100.0, 1e-9);
}

#[tokio::test]
async fn segments_by_hand_on_every_backend() {
    on_every_backend!(segments_by_hand);
}

async fn edits_retag_in_the_background(store: Store) {
    let ws = workspace(&store).await;
    let other = named_workspace(&store, "rival").await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await.id;
    let theirs = create_survey(&store, other, "rel", SurveyKind::Nps)
        .await
        .id;
    let gizmo = store
        .answers()
        .record(&said(ws, survey, 4, Some("The gizmo is a joke.")))
        .await
        .unwrap()
        .answer
        .id;
    let rival_gizmo = store
        .answers()
        .record(&said(other, theirs, 4, Some("The gizmo is a joke.")))
        .await
        .unwrap()
        .answer
        .id;
    assert!(store
        .themes()
        .of_answer(ws, gizmo)
        .await
        .unwrap()
        .is_empty());
    // A refused edit changes nothing and says why.
    let bad = TaxonomyEdit::Rename {
        key: "nope".into(),
        lang: "en".into(),
        name: "Nope".into(),
    };
    let msg = invalid(store.themes().edit(ws, &bad, "tester", Utc::now()).await);
    assert!(msg.contains("nope"), "{msg}");
    assert_eq!(store.themes().taxonomy(ws).await.unwrap().version, 0);
    let add = TaxonomyEdit::Add {
        key: "gizmo".into(),
        names: BTreeMap::from([("en".into(), "The gizmo".into())]),
        keywords: BTreeMap::from([("en".into(), vec!["gizmo".into()])]),
    };
    let version = store
        .themes()
        .edit(ws, &add, "tester", Utc::now())
        .await
        .unwrap();
    assert!(version > 0);
    let progress = store.themes().retag_progress(ws).await.unwrap().unwrap();
    assert_eq!(
        (progress.version, progress.total, progress.done),
        (version, 1, 0)
    );
    assert!(progress.finished_at.is_none());
    // New answers are tagged with the new taxonomy at once.
    let fresh = store
        .answers()
        .record(&said(ws, survey, 4, Some("Another gizmo problem.")))
        .await
        .unwrap()
        .answer
        .id;
    assert_eq!(
        keys(&store.themes().of_answer(ws, fresh).await.unwrap()),
        ["gizmo"]
    );
    retag_all(&store).await;
    assert_eq!(
        keys(&store.themes().of_answer(ws, gizmo).await.unwrap()),
        ["gizmo"]
    );
    let progress = store.themes().retag_progress(ws).await.unwrap().unwrap();
    assert!(progress.finished_at.is_some());
    assert_eq!(progress.done, 2);
    // The other workspace's taxonomy, tags and answers are untouched and unseen.
    assert_eq!(store.themes().taxonomy(other).await.unwrap().version, 0);
    assert!(store
        .themes()
        .of_answer(other, rival_gizmo)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .themes()
        .of_answer(other, gizmo)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .themes()
        .retag_progress(other)
        .await
        .unwrap()
        .is_none());
    let msg = not_found(
        store
            .themes()
            .report(&ThemeQuery {
                workspace_id: other,
                from: at(2026, 1, 1),
                to: at(2027, 1, 1),
                survey_id: Some(survey),
            })
            .await,
    );
    assert!(msg.contains("survey"), "{msg}");
    assert!(report(&store, other, None)
        .await
        .drivers
        .iter()
        .all(|d| d.key.theme != "gizmo"));
}

#[tokio::test]
async fn edits_retag_in_the_background_on_every_backend() {
    on_every_backend!(edits_retag_in_the_background);
}

async fn enps_obeys_the_anonymity_minimum(store: Store) {
    let ws = workspace(&store).await;
    let settings = WorkspaceSettings {
        enps_min_group_size: 5,
        ..Default::default()
    };
    store.settings().save(ws, &settings).await.unwrap();
    let survey = create_survey(&store, ws, "pulse", SurveyKind::Enps)
        .await
        .id;
    let mut all = Vec::new();
    for s in [2, 3, 9] {
        all.push(said(ws, survey, s, Some("My contract renewal was a mess.")));
    }
    for s in [9, 9, 10, 10, 8, 7] {
        all.push(said(ws, survey, s, None));
    }
    store.answers().record_many(&all, false).await.unwrap();
    let r = report(&store, ws, Some(survey)).await;
    assert_eq!(r.answers, 9);
    assert!(r.drivers.iter().all(|d| d.key.theme != "contract"), "{r:?}");
    assert_eq!(r.suppressed_below, Some(5));
    // A team of three is as identifying as a theme of three.
    let mut team = Vec::new();
    for (i, s) in [1, 2, 3].into_iter().enumerate() {
        team.push(on_plan(ws, survey, s, None, "tiny-team", i));
    }
    store.answers().record_many(&team, false).await.unwrap();
    let r = report(&store, ws, Some(survey)).await;
    assert!(
        r.segments.iter().all(|g| g.key.value != "tiny-team"),
        "{r:?}"
    );
}

#[tokio::test]
async fn enps_obeys_the_anonymity_minimum_on_every_backend() {
    on_every_backend!(enps_obeys_the_anonymity_minimum);
}

/// `count` answers of `survey` on `day`, each saying `comment`.
fn saying(
    ws: i64,
    survey: i64,
    day: (i32, u32, u32),
    count: usize,
    comment: &str,
) -> Vec<NewAnswer> {
    (0..count)
        .map(|_| {
            let mut a = said(ws, survey, 8, Some(comment));
            a.answered_at = at(day.0, day.1, day.2);
            a
        })
        .collect()
}

fn rising_in(ws: i64, survey: Option<i64>) -> ThemeQuery {
    // March 1–28 against February 1–28.
    ThemeQuery {
        workspace_id: ws,
        from: at(2026, 3, 1),
        to: at(2026, 3, 29),
        survey_id: survey,
    }
}

async fn rising_themes_against_the_period_before(store: Store) {
    let ws = workspace(&store).await;
    let rival = named_workspace(&store, "rival").await;
    let survey = create_survey(&store, ws, "rel", SurveyKind::Nps).await.id;
    let late = "The delivery was late.";
    let staff = "Friendly staff.";
    let fine = "Fine.";
    // February: 40 commenters, delivery 2 (5 %), staff 10; March: 40, delivery 15
    // (37.5 %), staff 10. Delivery: p̂ = 17/80, z = .325 / √(.2125 · .7875 · .05) = 3.55.
    let mut all = saying(ws, survey, (2026, 2, 10), 2, late);
    all.extend(saying(ws, survey, (2026, 2, 11), 10, staff));
    all.extend(saying(ws, survey, (2026, 2, 12), 28, fine));
    all.extend(saying(ws, survey, (2026, 3, 10), 15, late));
    all.extend(saying(ws, survey, (2026, 3, 11), 10, staff));
    all.extend(saying(ws, survey, (2026, 3, 12), 15, fine));
    store.answers().record_many(&all, false).await.unwrap();
    let rising = store.themes().rising(&rising_in(ws, None)).await.unwrap();
    let themes: Vec<&str> = rising.iter().map(|r| r.theme.as_str()).collect();
    assert_eq!(themes, ["delivery"], "{rising:?}");
    let r = &rising[0];
    assert_eq!(
        (
            r.mentions,
            r.commenters,
            r.previous_mentions,
            r.previous_commenters
        ),
        (15, 40, 2, 40)
    );
    assert_close(r.change.previous_share, 5.0, 1e-9);
    assert_close(r.change.share, 37.5, 1e-9);
    assert_close(r.change.change, 32.5, 1e-9);
    assert_close(r.change.z, 0.325 / (0.2125f64 * 0.7875 * 0.05).sqrt(), 1e-9);
    assert!(r.change.significant && r.change.rising);
    // The rival sees nothing of it.
    assert!(store
        .themes()
        .rising(&rising_in(rival, None))
        .await
        .unwrap()
        .is_empty());
    // A month with no comments before: nothing to compare, nothing rising.
    let mut april = rising_in(ws, None);
    (april.from, april.to) = (at(2026, 4, 1), at(2026, 4, 29));
    assert!(store.themes().rising(&april).await.unwrap().is_empty());
}

#[tokio::test]
async fn rising_themes_against_the_period_before_on_every_backend() {
    on_every_backend!(rising_themes_against_the_period_before);
}

async fn rising_enps_themes_obey_the_anonymity_minimum(store: Store) {
    let ws = workspace(&store).await;
    let settings = WorkspaceSettings {
        enps_min_group_size: 5,
        ..Default::default()
    };
    store.settings().save(ws, &settings).await.unwrap();
    let pulse = create_survey(&store, ws, "pulse", SurveyKind::Enps)
        .await
        .id;
    let rel = create_survey(&store, ws, "rel", SurveyKind::Nps).await.id;
    // February: 0 of 20 mention delivery; March: 6 of 10, so 4 do not: a group below the
    // minimum. z = .6 / √(.2 · .8 · (1/10 + 1/20)) = 3.87: rising, were it not eNPS.
    for survey in [pulse, rel] {
        let mut all = saying(ws, survey, (2026, 2, 10), 20, "Fine.");
        all.extend(saying(
            ws,
            survey,
            (2026, 3, 10),
            6,
            "The delivery was late.",
        ));
        all.extend(saying(ws, survey, (2026, 3, 11), 4, "Fine."));
        store.answers().record_many(&all, false).await.unwrap();
    }
    let of = |survey| {
        let store = store.clone();
        async move {
            let rising = store
                .themes()
                .rising(&rising_in(ws, Some(survey)))
                .await
                .unwrap();
            rising.into_iter().map(|r| r.theme).collect::<Vec<_>>()
        }
    };
    assert_eq!(of(rel).await, ["delivery"]);
    assert!(of(pulse).await.is_empty());
}

#[tokio::test]
async fn rising_enps_themes_obey_the_anonymity_minimum_on_every_backend() {
    on_every_backend!(rising_enps_themes_obey_the_anonymity_minimum);
}
