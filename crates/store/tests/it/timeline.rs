//! The customer record on every backend: timeline, follow-up flag and customer list.
//! Answers go through `record_answer`, so detractors open real cases; engagement rows are
//! written with SQL (their module is built separately).

use crate::common::*;
use advocate_core::customer::CustomerInput;
use advocate_core::{Category, SurveyKind};
use advocate_store::insight::timeline::Timeline;
use advocate_store::models::Respondent;
use advocate_store::testing::TestDb;
use advocate_store::Store;
use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;

/// Every backend, with a raw connection for rows other modules would write.
async fn backends() -> Vec<(TestDb, Store, AnyConnection)> {
    let mut out = Vec::new();
    for db in TestDb::all().await {
        let store = db.store().await;
        sqlx::any::install_default_drivers();
        let raw = <AnyConnection as sqlx::Connection>::connect(&db.url)
            .await
            .unwrap();
        eprintln!("backend: {:?}", db.backend);
        out.push((db, store, raw));
    }
    out
}

async fn answer_as(
    store: &Store,
    ws: i64,
    survey: i64,
    who: &str,
    score: u8,
    comment: Option<&str>,
    when: DateTime<Utc>,
) -> i64 {
    let mut a = answer(ws, survey, score, when);
    a.respondent = Respondent::Known(who.into());
    a.comment = comment.map(str::to_owned);
    store.answers().record(&a).await.unwrap().answer.id
}

async fn timeline(store: &Store, ws: i64, who: &str) -> Timeline {
    store
        .timelines()
        .of_customer(ws, who)
        .await
        .unwrap()
        .expect("a known customer has a timeline")
}

#[track_caller]
fn assert_newest_first(t: &Timeline) {
    for pair in t.events.windows(2) {
        assert!(
            pair[0].at >= pair[1].at,
            "{:?} before {:?}",
            pair[0],
            pair[1]
        );
    }
}

#[tokio::test]
async fn a_detractor_s_record_shows_answers_case_notes_engagements_and_the_flag() {
    for (_db, store, _raw) in backends().await {
        let ws = workspace(&store).await;
        let nps = create_survey(&store, ws, "relationship", SurveyKind::Nps).await;
        let csat = create_survey(&store, ws, "support", SurveyKind::Csat).await;
        let settings = advocate_store::models::WorkspaceSettings {
            review_links: vec![advocate_store::models::ReviewLink {
                name: "Trustpilot".into(),
                url: "https://trustpilot.example/acme".into(),
            }],
            ..Default::default()
        };
        store.settings().save(ws, &settings).await.unwrap();
        store
            .customers()
            .upsert(ws, &customer("c1", "basic"))
            .await
            .unwrap();
        let now = Utc::now();
        let promoter =
            answer_as(&store, ws, nps.id, "c1", 10, None, now - Duration::days(40)).await;
        answer_as(&store, ws, csat.id, "c1", 2, None, now - Duration::days(20)).await;
        let first = answer_as(
            &store,
            ws,
            nps.id,
            "c1",
            3,
            Some("Slow"),
            now - Duration::days(2),
        )
        .await;
        let repeat = answer_as(&store, ws, nps.id, "c1", 2, None, now - Duration::days(1)).await;
        // The thank-you goes out (here by hand: c1 has no email for the worker to use).
        let thanks = store
            .engagements()
            .list(
                ws,
                &advocate_store::closed_loop::engagements::EngagementFilter {
                    customer: Some("c1".into()),
                    kind: Some(advocate_core::EngagementKind::ThankYou),
                    status: None,
                    limit: 10,
                    offset: 0,
                },
            )
            .await
            .unwrap();
        let thanks_id = thanks.engagements[0].id;
        store
            .engagements()
            .set_status(
                ws,
                thanks_id,
                advocate_store::closed_loop::engagements::EngagementStatus::Sent,
            )
            .await
            .unwrap();

        let t = timeline(&store, ws, "c1").await;
        assert_eq!(t.customer.external_id, "c1");
        let scores: Vec<u8> = t.answers.iter().map(|a| a.score).collect();
        assert_eq!(scores, [2, 3, 2, 10], "every answer, newest first");
        assert_eq!(t.answers[1].comment.as_deref(), Some("Slow"));
        assert_eq!(t.answers[1].survey_slug, "relationship");
        assert_eq!(t.answers[1].category, Some(Category::Detractor));
        assert_eq!(t.answers[2].survey_kind, SurveyKind::Csat);
        assert_eq!(t.answers[2].category, None, "CSAT has no NPS category");
        // NPS answers only: one promoter, two detractors.
        assert_eq!(t.nps_answers, 3);
        assert_close(t.nps.unwrap(), -100.0 / 3.0, 1e-9);
        assert_eq!(t.latest_score, Some(2));

        assert_eq!(t.cases.len(), 1, "the repeat joined the open case");
        let case = &t.cases[0];
        assert_eq!((case.score, case.status.as_str()), (3, "open"));
        assert!(case
            .notes
            .iter()
            .any(|n| n.body.starts_with("New answer: 2")));
        let flag = t.follow_up.as_ref().expect("a detractor is flagged");
        assert!(
            flag.note.contains(&format!("case #{}", case.id)),
            "{}",
            flag.note
        );

        // The 10 made the customer an ambassador: thank-you, code, review, panel, reward.
        assert_eq!(t.engagements.len(), 5, "{:?}", t.engagements);
        let code = t
            .engagements
            .iter()
            .find_map(|e| e.discount_code.as_deref());
        assert!(code.is_some_and(|c| c.starts_with("THANKS-")), "{code:?}");

        assert_newest_first(&t);
        let kinds: Vec<&str> = t.events.iter().map(|e| e.kind.as_str()).collect();
        for kind in [
            "answered",
            "case_opened",
            "note_added",
            "engagement_queued",
            "engagement_sent",
            "follow_up_set",
        ] {
            assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
        }
        let pos = |pred: &dyn Fn(&advocate_store::insight::timeline::TimelineEvent) -> bool| {
            t.events.iter().position(pred).unwrap()
        };
        // Oldest at the end: the promoter answer, then its engagement.
        assert_eq!(t.events.last().unwrap().answer_id, Some(promoter));
        assert!(
            pos(&|e| e.answer_id == Some(repeat) && e.kind == "answered")
                < pos(&|e| e.answer_id == Some(first) && e.kind == "answered")
        );
        assert!(t.events.iter().any(|e| e.summary.contains("“Slow”")));
    }
}

#[tokio::test]
async fn records_are_kept_apart_between_workspaces_and_unknown_customers_have_none() {
    for (_db, store, _raw) in backends().await {
        let a = named_workspace(&store, "a").await;
        let b = named_workspace(&store, "b").await;
        let sa = create_survey(&store, a, "nps", SurveyKind::Nps).await;
        let sb = create_survey(&store, b, "nps", SurveyKind::Nps).await;
        for ws in [a, b] {
            store
                .customers()
                .upsert(ws, &customer("same", "basic"))
                .await
                .unwrap();
        }
        let now = Utc::now();
        answer_as(&store, a, sa.id, "same", 1, Some("awful"), now).await;
        answer_as(&store, b, sb.id, "same", 9, None, now).await;

        let ta = timeline(&store, a, "same").await;
        let tb = timeline(&store, b, "same").await;
        assert_eq!((ta.answers.len(), ta.cases.len()), (1, 1));
        assert_eq!(ta.latest_score, Some(1));
        assert_eq!((tb.answers.len(), tb.cases.len()), (1, 0));
        assert_eq!(tb.latest_score, Some(9));
        assert!(tb.follow_up.is_none(), "a's flag is not b's");
        assert!(store
            .timelines()
            .of_customer(a, "nobody")
            .await
            .unwrap()
            .is_none());
        // A customer without answers still has a (quiet) record.
        store
            .customers()
            .upsert(a, &customer("quiet", "basic"))
            .await
            .unwrap();
        let quiet = timeline(&store, a, "quiet").await;
        assert!(quiet.answers.is_empty() && quiet.events.is_empty());
        assert_eq!(
            (quiet.nps, quiet.latest_score, quiet.nps_answers),
            (None, None, 0)
        );
    }
}

#[tokio::test]
async fn the_follow_up_flag_is_set_replaced_and_cleared_per_workspace() {
    for (_db, store, _raw) in backends().await {
        let a = named_workspace(&store, "a").await;
        let b = named_workspace(&store, "b").await;
        store
            .customers()
            .upsert(a, &customer("c1", "basic"))
            .await
            .unwrap();
        let set = store
            .timelines()
            .set_follow_up(a, "c1", "  Ask about the router  ")
            .await
            .unwrap();
        assert_eq!(set.note, "Ask about the router");
        let t = timeline(&store, a, "c1").await;
        assert_eq!(t.follow_up.as_ref().unwrap().note, "Ask about the router");
        assert_eq!(t.events[0].kind, "follow_up_set");

        let msg = invalid(store.timelines().set_follow_up(a, "c1", "   ").await);
        assert!(msg.contains("empty"), "{msg}");
        let msg = invalid(
            store
                .timelines()
                .set_follow_up(a, "c1", &"x".repeat(1001))
                .await,
        );
        assert!(msg.contains("1001") && msg.contains("1000"), "{msg}");
        let msg = not_found(store.timelines().set_follow_up(a, "ghost", "hi").await);
        assert!(msg.contains("\"ghost\""), "{msg}");
        // Another workspace cannot touch a's customer.
        not_found(store.timelines().set_follow_up(b, "c1", "hi").await);
        not_found(store.timelines().clear_follow_up(b, "c1").await);
        let t = timeline(&store, a, "c1").await;
        assert_eq!(
            t.follow_up.unwrap().note,
            "Ask about the router",
            "unchanged by bad calls"
        );

        store
            .timelines()
            .set_follow_up(a, "c1", "Offer the upgrade")
            .await
            .unwrap();
        assert_eq!(
            timeline(&store, a, "c1").await.follow_up.unwrap().note,
            "Offer the upgrade"
        );
        store.timelines().clear_follow_up(a, "c1").await.unwrap();
        assert!(timeline(&store, a, "c1").await.follow_up.is_none());
        store
            .timelines()
            .clear_follow_up(a, "c1")
            .await
            .expect("clearing twice is fine");
        not_found(store.timelines().clear_follow_up(a, "ghost").await);
    }
}

#[tokio::test]
async fn the_customer_list_searches_filters_and_pages() {
    for (_db, store, _raw) in backends().await {
        let ws = workspace(&store).await;
        let other = named_workspace(&store, "other").await;
        let s = create_survey(&store, ws, "nps", SurveyKind::Nps).await;
        let people = [
            ("k-1", "Kari Nordmann", "kari@example.com"),
            ("k-2", "Ola Hansen", "ola@Example.com"),
            ("k-3", "Per 100%_done", "per@example.org"),
        ];
        for (id, name, email) in people {
            let c = CustomerInput {
                external_id: id.into(),
                name: Some(name.into()),
                email: Some(email.into()),
                ..Default::default()
            };
            store.customers().upsert(ws, &c).await.unwrap();
        }
        store
            .customers()
            .upsert(other, &customer("k-9", "basic"))
            .await
            .unwrap();
        let now = Utc::now();
        answer_as(&store, ws, s.id, "k-2", 8, None, now - Duration::days(3)).await;
        answer_as(&store, ws, s.id, "k-2", 4, None, now).await;

        let all = store
            .timelines()
            .customers_page(ws, None, false, None, 50, 0)
            .await
            .unwrap();
        assert_eq!(all.total, 3);
        let names: Vec<_> = all.rows.iter().map(|r| r.name.clone().unwrap()).collect();
        assert_eq!(
            names,
            ["Kari Nordmann", "Ola Hansen", "Per 100%_done"],
            "by name"
        );
        let ola = &all.rows[1];
        assert_eq!((ola.latest_score, ola.open_cases), (Some(4), 1));
        assert!(ola.follow_up_note.is_some());
        assert_eq!(
            (all.rows[0].latest_score, all.rows[0].open_cases),
            (None, 0)
        );

        let find = |q: &'static str| {
            let store = store.clone();
            async move {
                let page = store
                    .timelines()
                    .customers_page(ws, Some(q), false, None, 50, 0)
                    .await
                    .unwrap();
                page.rows
                    .into_iter()
                    .map(|r| r.external_id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(find("KARI").await, ["k-1"], "case-insensitive name");
        assert_eq!(find("example.COM").await, ["k-1", "k-2"], "email");
        assert_eq!(find("K-3").await, ["k-3"], "external id");
        assert_eq!(find("%").await, ["k-3"], "% is literal text");
        assert_eq!(find("0%_d").await, ["k-3"]);
        assert_eq!(
            find("k-9").await,
            Vec::<String>::new(),
            "other workspaces are not searched"
        );
        assert_eq!(find("   ").await.len(), 3, "a blank search is no search");

        let flagged = store
            .timelines()
            .customers_page(ws, None, true, None, 50, 0)
            .await
            .unwrap();
        assert_eq!(flagged.total, 1);
        assert_eq!(flagged.rows[0].external_id, "k-2");

        let page2 = store
            .timelines()
            .customers_page(ws, None, false, None, 2, 2)
            .await
            .unwrap();
        assert_eq!(page2.total, 3);
        assert_eq!(page2.rows.len(), 1);
        assert_eq!(page2.rows[0].external_id, "k-3");
        let capped = store
            .timelines()
            .customers_page(ws, None, false, None, 0, 0)
            .await
            .unwrap();
        assert_eq!(capped.rows.len(), 1, "a zero limit still shows one row");
    }
}
