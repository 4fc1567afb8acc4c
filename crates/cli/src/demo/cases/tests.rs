use super::*;
use advocate_core::customer::CustomerInput;
use advocate_core::{Channel, Label, Language, Rating, SurveyKind};
use advocate_store::insight::timeline::Timeline;
use advocate_store::models::{NewAnswer, NewSurvey, Respondent, Survey, WorkspaceSettings};
use advocate_store::testing::TestDb;
use sqlx::AnyConnection;

// Helpers as the store's own tests have them (tests/it/common, timeline.rs).

/// Every backend, with a raw connection for checking rows.
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

async fn workspace(store: &Store) -> i64 {
    let english = Language::english();
    store
        .workspaces()
        .create("acme", "acme Inc.", &english)
        .await
        .unwrap()
        .id
}

async fn create_survey(store: &Store, ws: i64, slug: &str, kind: SurveyKind) -> Survey {
    let survey = NewSurvey {
        slug: Label::new(slug).unwrap(),
        kind,
        name: format!("{slug} survey"),
        touchpoint: None,
        default_language: Language::english(),
        texts: Default::default(),
    };
    store.surveys().create(ws, &survey).await.unwrap()
}

/// A customer with a name, Norwegian as language and a `plan` attribute.
fn customer(id: &str, plan: &str) -> CustomerInput {
    CustomerInput {
        external_id: id.into(),
        name: Some(format!("Customer {id}")),
        language: Some(Language::new("nb").unwrap()),
        attributes: [(Label::new("plan").unwrap(), plan.to_owned())].into(),
        ..Default::default()
    }
}

fn answer(ws: i64, survey_id: i64, score: u8, when: DateTime<Utc>) -> NewAnswer {
    NewAnswer {
        workspace_id: ws,
        survey_id,
        respondent: Respondent::Anonymous,
        score: Rating::new(SurveyKind::Nps, i64::from(score)).unwrap(),
        comment: None,
        channel: Channel::Api,
        touchpoint: None,
        language: None,
        answered_at: when,
        external_id: None,
        idempotency_key: None,
        request_hash: None,
    }
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

/// id, status, created, answered, first contact, resolved, outcome, assignee.
type CaseFacts = (
    i64,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    String,
);

/// The demo's story, from answers of the last three weeks.
async fn demo_story(store: &Store, now: DateTime<Utc>) -> (i64, CaseStory) {
    let ws = workspace(store).await;
    let s = create_survey(store, ws, "nps", SurveyKind::Nps).await;
    let settings = WorkspaceSettings {
        default_queue: "Care team".into(),
        ..Default::default()
    };
    store.settings().save(ws, &settings).await.unwrap();
    let mut answers = Vec::new();
    for i in 0..80u32 {
        let id = format!("d{i}");
        store
            .customers()
            .upsert(ws, &customer(&id, "basic"))
            .await
            .unwrap();
        let mut a = answer(
            ws,
            s.id,
            (i % 7) as u8,
            now - Duration::hours(i64::from(i) * 6 + 1),
        );
        a.respondent = Respondent::Known(id);
        answers.push(a);
    }
    answers.sort_by_key(|a| a.answered_at);
    store.answers().record_many(&answers, true).await.unwrap();
    let done = play_out_cases(store, ws, 7, now).await.unwrap();
    (ws, done)
}

#[tokio::test]
async fn the_demo_plays_out_cases_plausibly_and_reproducibly() {
    let now = Utc::now();
    let mut stories = Vec::new();
    for (_db, store, mut raw) in backends().await {
        let (ws, done) = demo_story(&store, now).await;
        let total =
            done.open + done.contacted + done.recovered + done.not_recovered + done.unreachable;
        assert_eq!(total, 80, "every case played out: {done:?}");
        assert!(
            done.recovered > done.not_recovered && done.not_recovered > 0,
            "{done:?}"
        );
        assert!(
            done.unreachable > 0 && done.overdue > 0 && done.contacted > 0,
            "{done:?}"
        );

        let rows: Vec<CaseFacts> =
            sqlx::query_as(
                "SELECT k.id, k.status, k.created_at, a.answered_at, k.first_contact_at, \
                 k.resolved_at, k.outcome, k.assignee FROM cases k JOIN answers a ON a.id = k.answer_id \
                 WHERE k.workspace_id = $1 ORDER BY k.id",
            )
            .bind(ws)
            .fetch_all(&mut raw)
            .await
            .unwrap();
        for (id, status, created, answered, contact, resolved, outcome, assignee) in &rows {
            assert_eq!(created, answered, "case {id} dated by its answer");
            assert_eq!(assignee, "Care team", "the demo's default queue");
            if let Some(c) = contact {
                assert!(c > created && *c <= now.timestamp(), "case {id}");
            }
            if let Some(r) = resolved {
                assert!(Some(*r) > *contact && *r <= now.timestamp(), "case {id}");
            }
            match status.as_str() {
                "resolved" => assert!(resolved.is_some() && outcome.is_some(), "case {id}"),
                "closed" => assert_eq!(outcome.as_deref(), Some("unreachable")),
                "open" | "contacted" => assert!(outcome.is_none(), "case {id}"),
                other => panic!("unexpected status {other}"),
            }
        }
        // Recovered customers are no longer flagged; open cases keep their flag.
        let t = timeline(&store, ws, "d0").await;
        assert_newest_first(&t);
        let case = &t.cases[0];
        assert_eq!(
            case.status == "resolved" && case.outcome.as_deref() == Some("recovered"),
            t.follow_up.is_none()
        );
        let authors: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT author FROM case_notes WHERE workspace_id = $1 ORDER BY author",
        )
        .bind(ws)
        .fetch_all(&mut raw)
        .await
        .unwrap();
        assert!(authors.len() > 1, "{authors:?}");
        for (a,) in &authors {
            assert!(
                a == "Advocate" || a.ends_with(" (Care team)"),
                "a queue's agent: {a}"
            );
        }
        let statuses: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
        stories.push((done, statuses));
    }
    // Same seed, same now: the same story on every backend.
    if let [(d1, s1), (d2, s2)] = &stories[..] {
        assert_eq!((d1, s1), (d2, s2));
    }
}
