//! Promoter engagement on every backend: the defaults a 9 and a 10 get through a real
//! answer, the thank-you email that carries them, single-use discount codes (pool first,
//! then generated; never one code twice), imports, redemption, and status changes with
//! the webhooks they queue.

use crate::common::*;
use advocate_core::customer::CustomerInput;
use advocate_core::{EngagementKind, SurveyKind};
use advocate_store::closed_loop::engagements::{
    CodeStatus, Engagement, EngagementFilter, EngagementStatus, MAX_IMPORT,
};
use advocate_store::delivery::outbox::{MessageKind, OutboxMessage, OutboxStatus};
use advocate_store::models::{Respondent, ReviewLink, WorkspaceSettings};
use advocate_store::{Backend, Store};
use chrono::Utc;
use serde_json::Value;
use std::collections::HashSet;

use EngagementKind::*;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A workspace with a review link, a webhook for every event and an NPS survey.
async fn setup(store: &Store, slug: &str) -> (i64, i64) {
    let ws = named_workspace(store, slug).await;
    let settings = WorkspaceSettings {
        review_links: vec![ReviewLink {
            name: "Trustpilot".into(),
            url: "https://trustpilot.example/review/acme".into(),
        }],
        ..Default::default()
    };
    store.settings().save(ws, &settings).await.unwrap();
    store
        .webhooks()
        .create(ws, "http://127.0.0.1:9/hook", &strings(&["*"]))
        .await
        .unwrap();
    let survey = create_survey(store, ws, "rel", SurveyKind::Nps).await;
    (ws, survey.id)
}

fn person(id: &str, email: Option<&str>, language: &str) -> CustomerInput {
    CustomerInput {
        external_id: id.into(),
        name: Some(format!("Kari {id}")),
        email: email.map(str::to_owned),
        language: Some(lang(language)),
        ..Default::default()
    }
}

/// Records a live answer from `customer` (or anonymously).
async fn promote(store: &Store, ws: i64, survey: i64, score: u8, who: Option<CustomerInput>) {
    let mut a = answer(ws, survey, score, Utc::now());
    if let Some(c) = who {
        a.respondent = Respondent::Inline(c);
    }
    store.answers().record(&a).await.unwrap();
}

fn by_customer(id: &str) -> EngagementFilter {
    EngagementFilter {
        customer: Some(id.into()),
        limit: 100,
        ..Default::default()
    }
}

async fn engagements_of(store: &Store, ws: i64, id: &str) -> Vec<Engagement> {
    let mut list = store
        .engagements()
        .list(ws, &by_customer(id))
        .await
        .unwrap()
        .engagements;
    list.sort_by_key(|e| e.id);
    list
}

async fn pending(store: &Store, ws: i64) -> Vec<OutboxMessage> {
    store
        .outbox()
        .messages(ws, OutboxStatus::Pending, false, 500, None)
        .await
        .unwrap()
}

async fn emails(store: &Store, ws: i64) -> Vec<(OutboxMessage, Value)> {
    pending(store, ws)
        .await
        .into_iter()
        .filter(|m| m.kind == MessageKind::Email)
        .map(|m| {
            let payload = serde_json::from_str(&m.payload).unwrap();
            (m, payload)
        })
        .collect()
}

/// The `data` of every queued `engagement.updated` webhook, oldest first.
async fn engagement_webhooks(store: &Store, ws: i64) -> Vec<Value> {
    let mut rows: Vec<OutboxMessage> = pending(store, ws)
        .await
        .into_iter()
        .filter(|m| m.kind == MessageKind::Webhook && m.event == "engagement.updated")
        .collect();
    rows.sort_by_key(|m| m.id);
    rows.iter()
        .map(|m| serde_json::from_str::<Value>(&m.payload).unwrap()["data"].clone())
        .collect()
}

fn kinds(list: &[Engagement]) -> Vec<EngagementKind> {
    list.iter().map(|e| e.kind).collect()
}

async fn nines_and_tens_get_their_defaults_and_one_thank_you(store: Store) {
    let (ws, survey) = setup(&store, "acme").await;
    promote(
        &store,
        ws,
        survey,
        9,
        Some(person("nine", Some("nine@example.com"), "nb")),
    )
    .await;
    promote(
        &store,
        ws,
        survey,
        10,
        Some(person("ten", Some("ten@example.com"), "de")),
    )
    .await;

    let nine = engagements_of(&store, ws, "nine").await;
    let ten = engagements_of(&store, ws, "ten").await;
    assert_eq!(kinds(&nine), [ThankYou, ReviewRequest]);
    assert_eq!(
        kinds(&ten),
        [
            ThankYou,
            DiscountCode,
            ReviewRequest,
            PanelInvitation,
            Reward
        ]
    );
    assert!(nine
        .iter()
        .chain(&ten)
        .all(|e| e.status == EngagementStatus::Queued));
    assert!(nine.iter().all(|e| e.discount_code.is_none()));
    let code = ten[1].discount_code.clone().expect("a 10 gets a code");
    assert!(code.starts_with("THANKS-"), "{code}: the pool is empty");
    assert_eq!(ten[1].customer.as_deref(), Some("ten"));

    let mails = emails(&store, ws).await;
    assert_eq!(mails.len(), 2, "one thank-you per promoter");
    let mail_to = |to: &str| {
        mails
            .iter()
            .find(|(m, _)| m.target == to)
            .unwrap_or_else(|| panic!("no email to {to}"))
            .1
            .clone()
    };
    let (nine_mail, ten_mail) = (mail_to("nine@example.com"), mail_to("ten@example.com"));
    let ids = |list: &[Engagement]| list.iter().map(|e| e.id).collect::<Vec<_>>();
    let carried = |p: &Value| -> Vec<i64> {
        p["engagement_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect()
    };
    assert_eq!(carried(&nine_mail), ids(&nine));
    assert_eq!(carried(&ten_mail), ids(&ten));
    // In the customer's language, greeting by name, with the review link.
    let html = |p: &Value| p["html"].as_str().unwrap().to_owned();
    let text = |p: &Value| p["text"].as_str().unwrap().to_owned();
    assert!(html(&nine_mail).contains("<html lang=\"nb\">"));
    assert!(text(&nine_mail).starts_with("Hei Kari nine,"));
    assert!(html(&ten_mail).contains("<html lang=\"de\">"));
    assert!(text(&ten_mail).contains("Sie"));
    for p in [&nine_mail, &ten_mail] {
        assert!(text(p).contains("https://trustpilot.example/review/acme"));
    }
    assert!(text(&ten_mail).contains(&code) && html(&ten_mail).contains(&code));
    assert!(!text(&nine_mail).contains("THANKS-"));
    assert_ne!(nine_mail["subject"], ten_mail["subject"]);

    // Creation is announced by response.created only, not engagement.updated.
    assert!(engagement_webhooks(&store, ws).await.is_empty());

    // Delivering the email marks what it carried as sent, each announced once.
    let claimed = store
        .outbox()
        .claim(&[MessageKind::Email], 10, 60)
        .await
        .unwrap();
    let ten_msg = claimed
        .iter()
        .find(|m| m.target == "ten@example.com")
        .unwrap();
    store.outbox().delivered(ten_msg.id, 5).await.unwrap();
    let ten = engagements_of(&store, ws, "ten").await;
    assert!(ten.iter().all(|e| e.status == EngagementStatus::Sent));
    let nine = engagements_of(&store, ws, "nine").await;
    assert!(nine.iter().all(|e| e.status == EngagementStatus::Queued));
    let announced: HashSet<i64> = engagement_webhooks(&store, ws)
        .await
        .iter()
        .map(|d| d["engagement_id"].as_i64().unwrap())
        .collect();
    assert_eq!(announced, ids(&ten).into_iter().collect());
}

#[tokio::test]
async fn nines_and_tens_get_their_defaults_and_one_thank_you_on_every_backend() {
    on_every_backend!(nines_and_tens_get_their_defaults_and_one_thank_you);
}

async fn anonymous_and_unreachable_promoters(store: Store) {
    let (ws, survey) = setup(&store, "acme").await;
    promote(&store, ws, survey, 10, None).await;
    let all = EngagementFilter {
        limit: 100,
        ..Default::default()
    };
    let page = store.engagements().list(ws, &all).await.unwrap();
    assert_eq!(page.total, 0, "anonymous promoters get nothing");
    // Known but no email: engagements stay queued for a person; no email is queued.
    promote(&store, ws, survey, 10, Some(person("quiet", None, "en"))).await;
    let quiet = engagements_of(&store, ws, "quiet").await;
    assert_eq!(quiet.len(), 5);
    assert!(quiet.iter().all(|e| e.status == EngagementStatus::Queued));
    assert!(emails(&store, ws).await.is_empty());
    // Passives and detractors get no engagements.
    promote(
        &store,
        ws,
        survey,
        8,
        Some(person("p", Some("p@example.com"), "en")),
    )
    .await;
    promote(
        &store,
        ws,
        survey,
        3,
        Some(person("d", Some("d@example.com"), "en")),
    )
    .await;
    assert_eq!(store.engagements().list(ws, &all).await.unwrap().total, 5);
    // An unknown language falls back to English.
    promote(
        &store,
        ws,
        survey,
        9,
        Some(person("fr", Some("fr@example.com"), "fr")),
    )
    .await;
    let mails = emails(&store, ws).await;
    let fr = mails
        .iter()
        .find(|(m, _)| m.target == "fr@example.com")
        .unwrap();
    assert!(fr.1["text"].as_str().unwrap().starts_with("Dear Kari fr,"));
}

#[tokio::test]
async fn anonymous_and_unreachable_promoters_on_every_backend() {
    on_every_backend!(anonymous_and_unreachable_promoters);
}

async fn filters_narrow_the_list(store: Store) {
    let (ws, survey) = setup(&store, "acme").await;
    promote(&store, ws, survey, 9, Some(person("a", None, "en"))).await;
    promote(&store, ws, survey, 10, Some(person("b", None, "en"))).await;
    let f = |kind, status| EngagementFilter {
        kind,
        status,
        limit: 100,
        ..Default::default()
    };
    let reviews = store
        .engagements()
        .list(ws, &f(Some(ReviewRequest), None))
        .await
        .unwrap();
    assert_eq!(reviews.total, 2);
    assert!(reviews.engagements.iter().all(|e| e.kind == ReviewRequest));
    let b = engagements_of(&store, ws, "b").await;
    store
        .engagements()
        .set_status(ws, b[0].id, EngagementStatus::Sent)
        .await
        .unwrap();
    let sent = store
        .engagements()
        .list(ws, &f(None, Some(EngagementStatus::Sent)))
        .await
        .unwrap();
    assert_eq!(
        sent.engagements.iter().map(|e| e.id).collect::<Vec<_>>(),
        [b[0].id]
    );
    let page = store
        .engagements()
        .list(
            ws,
            &EngagementFilter {
                limit: 2,
                offset: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((page.total, page.engagements.len()), (7, 2));
    assert!(engagements_of(&store, ws, "nobody").await.is_empty());
}

#[tokio::test]
async fn filters_narrow_the_list_on_every_backend() {
    on_every_backend!(filters_narrow_the_list);
}

async fn pool_codes_come_before_generated_ones(store: Store) {
    let (ws, survey) = setup(&store, "acme").await;
    let other = named_workspace(&store, "other").await;
    store
        .engagements()
        .import_discount_codes(other, &strings(&["OTHER-1"]))
        .await
        .unwrap();
    let n = store
        .engagements()
        .import_discount_codes(ws, &strings(&[" POOL-A ", "POOL-B"]))
        .await
        .unwrap();
    assert_eq!(n, 2);
    for id in ["t1", "t2", "t3"] {
        promote(&store, ws, survey, 10, Some(person(id, None, "en"))).await;
    }
    let code_of = |list: Vec<Engagement>| list[1].discount_code.clone().unwrap();
    assert_eq!(code_of(engagements_of(&store, ws, "t1").await), "POOL-A");
    assert_eq!(code_of(engagements_of(&store, ws, "t2").await), "POOL-B");
    let generated = code_of(engagements_of(&store, ws, "t3").await);
    assert!(generated.starts_with("THANKS-"), "{generated}");

    let page = store
        .engagements()
        .discount_codes(ws, None, 100, 0)
        .await
        .unwrap();
    assert_eq!(
        (page.counts.free, page.counts.assigned, page.counts.redeemed),
        (0, 3, 0)
    );
    let g = page.codes.iter().find(|c| c.code == generated).unwrap();
    assert_eq!(
        (g.source.as_str(), g.status),
        ("generated", CodeStatus::Assigned)
    );
    assert_eq!(g.customer.as_deref(), Some("t3"));
    let a = page.codes.iter().find(|c| c.code == "POOL-A").unwrap();
    assert_eq!(a.source, "imported");
    // The other workspace's pool is untouched.
    let theirs = store
        .engagements()
        .discount_codes(other, None, 100, 0)
        .await
        .unwrap();
    assert_eq!((theirs.counts.free, theirs.counts.assigned), (1, 0));
    let free = store
        .engagements()
        .discount_codes(other, Some(CodeStatus::Free), 100, 0)
        .await
        .unwrap();
    assert_eq!(free.codes.len(), 1);
    let none = store
        .engagements()
        .discount_codes(other, Some(CodeStatus::Assigned), 100, 0)
        .await
        .unwrap();
    assert_eq!((none.total, none.codes.len()), (0, 0));
}

#[tokio::test]
async fn pool_codes_come_before_generated_ones_on_every_backend() {
    on_every_backend!(pool_codes_come_before_generated_ones);
}

async fn concurrent_promoters_never_share_a_code(store: Store) {
    let (ws, _) = setup(&store, "acme").await;
    let pool: Vec<String> = (0..6).map(|i| format!("POOL-{i:03}")).collect();
    store
        .engagements()
        .import_discount_codes(ws, &pool)
        .await
        .unwrap();
    // One survey per promoter, so their answers do not wait on each other's rollup rows
    // and really claim codes at the same time.
    let promoters = 24;
    let mut surveys = Vec::new();
    for i in 0..promoters {
        surveys.push(
            create_survey(&store, ws, &format!("s{i}"), SurveyKind::Nps)
                .await
                .id,
        );
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(promoters));
    let tasks: Vec<_> = surveys
        .into_iter()
        .enumerate()
        .map(|(i, survey)| {
            let store = store.clone();
            let start = start.clone();
            tokio::spawn(async move {
                let who = person(&format!("c{i}"), Some(&format!("c{i}@example.com")), "en");
                start.wait().await;
                promote(&store, ws, survey, 10, Some(who)).await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let codes = store
        .engagements()
        .list(
            ws,
            &EngagementFilter {
                kind: Some(DiscountCode),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .engagements;
    let given: Vec<String> = codes
        .iter()
        .filter_map(|e| e.discount_code.clone())
        .collect();
    assert_eq!(given.len(), promoters, "every 10 got a code");
    let distinct: HashSet<&String> = given.iter().collect();
    assert_eq!(
        distinct.len(),
        promoters,
        "a code was given twice: {given:?}"
    );
    let from_pool = given.iter().filter(|c| c.starts_with("POOL-")).count();
    assert_eq!(
        from_pool,
        pool.len(),
        "the whole pool is used before generating"
    );
    let counts = store
        .engagements()
        .discount_codes(ws, None, 1, 0)
        .await
        .unwrap()
        .counts;
    assert_eq!((counts.free, counts.assigned), (0, promoters as i64));
    if store.backend() == Backend::Postgres {
        eprintln!("concurrent promoters checked on PostgreSQL");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_promoters_never_share_a_code_on_every_backend() {
    on_every_backend!(concurrent_promoters_never_share_a_code);
}

async fn imports_are_all_or_nothing_with_named_problems(store: Store) {
    let ws = named_workspace(&store, "acme").await;
    let count = |store: Store| async move {
        let c = store
            .engagements()
            .discount_codes(ws, None, 1, 0)
            .await
            .unwrap()
            .counts;
        c.free + c.assigned + c.redeemed
    };
    let msg = invalid(
        store
            .engagements()
            .import_discount_codes(ws, &strings(&["GOOD-1", "no", "bad code", "GOOD-1"]))
            .await,
    );
    for part in [
        "code 2 (\"no\") has 2 characters",
        "code 3 (\"bad code\") contains ' '",
        "code 4 (\"GOOD-1\") repeats code 1",
        "nothing was imported",
    ] {
        assert!(msg.contains(part), "{msg}");
    }
    assert_eq!(count(store.clone()).await, 0);
    let long = "X".repeat(65);
    assert!(
        invalid(store.engagements().import_discount_codes(ws, &[long]).await)
            .contains("65 characters")
    );
    assert!(invalid(store.engagements().import_discount_codes(ws, &[]).await).contains("empty"));
    let too_many: Vec<String> = (0..=MAX_IMPORT).map(|i| format!("C-{i}")).collect();
    assert!(invalid(
        store
            .engagements()
            .import_discount_codes(ws, &too_many)
            .await
    )
    .contains("at most 10000"));

    store
        .engagements()
        .import_discount_codes(ws, &strings(&["KEEP-1", "KEEP-2"]))
        .await
        .unwrap();
    let msg = conflict(
        store
            .engagements()
            .import_discount_codes(ws, &strings(&["NEW-1", "KEEP-2", "NEW-2", "KEEP-1"]))
            .await,
    );
    assert!(
        msg.contains("code 2 (\"KEEP-2\") is already stored")
            && msg.contains("code 4 (\"KEEP-1\") is already stored"),
        "{msg}"
    );
    assert_eq!(
        count(store.clone()).await,
        2,
        "NEW-1 and NEW-2 were not imported"
    );
    // The same code in another workspace is fine; a full-size import goes through.
    let other = named_workspace(&store, "other").await;
    store
        .engagements()
        .import_discount_codes(other, &strings(&["KEEP-1"]))
        .await
        .unwrap();
    let big: Vec<String> = (0..MAX_IMPORT).map(|i| format!("BULK-{i:05}")).collect();
    assert_eq!(
        store
            .engagements()
            .import_discount_codes(ws, &big)
            .await
            .unwrap(),
        MAX_IMPORT as u64
    );
    assert_eq!(count(store.clone()).await, 2 + MAX_IMPORT as i64);
}

#[tokio::test]
async fn imports_are_all_or_nothing_with_named_problems_on_every_backend() {
    on_every_backend!(imports_are_all_or_nothing_with_named_problems);
}

async fn a_code_is_redeemed_once(store: Store) {
    let (ws, survey) = setup(&store, "acme").await;
    store
        .engagements()
        .import_discount_codes(ws, &strings(&["ONCE-1", "SPARE-1"]))
        .await
        .unwrap();
    promote(&store, ws, survey, 10, Some(person("t", None, "en"))).await;
    let engagement = engagements_of(&store, ws, "t").await[1].clone();
    assert_eq!(engagement.discount_code.as_deref(), Some("ONCE-1"));

    let redeemed = store
        .engagements()
        .redeem_discount_code(ws, "ONCE-1")
        .await
        .unwrap();
    assert_eq!(redeemed.status, CodeStatus::Redeemed);
    assert!(redeemed.redeemed_at.is_some());
    let msg = conflict(store.engagements().redeem_discount_code(ws, "ONCE-1").await);
    assert!(msg.contains("\"ONCE-1\" was already redeemed"), "{msg}");
    assert!(
        not_found(store.engagements().redeem_discount_code(ws, "NOPE-1").await).contains("NOPE-1")
    );
    let other = named_workspace(&store, "other").await;
    not_found(
        store
            .engagements()
            .redeem_discount_code(other, "SPARE-1")
            .await,
    );

    // The promoter accepted the code: recorded and announced.
    let after = store
        .engagements()
        .get(ws, engagement.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.status, EngagementStatus::Accepted);
    let hooks = engagement_webhooks(&store, ws).await;
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["engagement_id"], engagement.id);
    assert_eq!(hooks[0]["status"], "accepted");
    assert_eq!(hooks[0]["discount_code"], "ONCE-1");
    // A free pool code may be redeemed (handed out by hand), and is then never given.
    store
        .engagements()
        .redeem_discount_code(ws, " SPARE-1 ")
        .await
        .unwrap();
    promote(&store, ws, survey, 10, Some(person("u", None, "en"))).await;
    let code = engagements_of(&store, ws, "u").await[1]
        .discount_code
        .clone()
        .unwrap();
    assert!(code.starts_with("THANKS-"), "{code}");
    let counts = store
        .engagements()
        .discount_codes(ws, None, 10, 0)
        .await
        .unwrap()
        .counts;
    assert_eq!((counts.free, counts.assigned, counts.redeemed), (0, 1, 2));
}

#[tokio::test]
async fn a_code_is_redeemed_once_on_every_backend() {
    on_every_backend!(a_code_is_redeemed_once);
}

async fn status_changes_are_checked_and_announced(store: Store) {
    let (ws, survey) = setup(&store, "acme").await;
    promote(&store, ws, survey, 9, Some(person("n", None, "en"))).await;
    let list = engagements_of(&store, ws, "n").await;
    let (thanks, review) = (list[0].id, list[1].id);

    let sent = store
        .engagements()
        .set_status(ws, review, EngagementStatus::Sent)
        .await
        .unwrap();
    assert_eq!(sent.status, EngagementStatus::Sent);
    let left = store
        .engagements()
        .set_status(ws, review, EngagementStatus::ReviewLeft)
        .await
        .unwrap();
    assert_eq!(left.status, EngagementStatus::ReviewLeft);
    // Setting the same status again changes (and announces) nothing.
    store
        .engagements()
        .set_status(ws, review, EngagementStatus::ReviewLeft)
        .await
        .unwrap();
    let hooks = engagement_webhooks(&store, ws).await;
    let statuses: Vec<(&str, &str)> = hooks
        .iter()
        .map(|h| {
            (
                h["previous_status"].as_str().unwrap(),
                h["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(statuses, [("queued", "sent"), ("sent", "review_left")]);
    assert!(hooks
        .iter()
        .all(|h| h["customer"] == "n" && h["kind"] == "review_request"));

    let msg = invalid(
        store
            .engagements()
            .set_status(ws, review, EngagementStatus::Sent)
            .await,
    );
    assert!(
        msg.contains("cannot go from review_left to sent") && msg.contains("review_left is final"),
        "{msg}"
    );
    let msg = invalid(
        store
            .engagements()
            .set_status(ws, thanks, EngagementStatus::Accepted)
            .await,
    );
    assert!(
        msg.contains("(thank_you) cannot go from queued to accepted") && msg.contains("sent"),
        "{msg}"
    );
    let other = named_workspace(&store, "other").await;
    not_found(
        store
            .engagements()
            .set_status(other, thanks, EngagementStatus::Sent)
            .await,
    );
    assert!(store
        .engagements()
        .get(other, thanks)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        engagement_webhooks(&store, ws).await.len(),
        2,
        "refusals queue nothing"
    );
}

#[tokio::test]
async fn status_changes_are_checked_and_announced_on_every_backend() {
    on_every_backend!(status_changes_are_checked_and_announced);
}

async fn memberships_and_rewards_are_granted_by_hand(store: Store) {
    let (ws, survey) = setup(&store, "acme").await;
    promote(&store, ws, survey, 7, Some(person("loyal", None, "en"))).await;
    let vip = store
        .engagements()
        .grant(ws, "loyal", VipMembership, EngagementStatus::Accepted)
        .await
        .unwrap();
    assert_eq!(
        (vip.kind, vip.status, vip.customer.as_deref()),
        (VipMembership, EngagementStatus::Accepted, Some("loyal"))
    );
    let panel = store
        .engagements()
        .grant(ws, "loyal", PanelInvitation, EngagementStatus::Queued)
        .await
        .unwrap();
    assert_eq!(panel.answer_id, vip.answer_id);
    let hooks = engagement_webhooks(&store, ws).await;
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0]["status"], "accepted");
    assert!(hooks[0]["previous_status"].is_null());

    assert!(invalid(
        store
            .engagements()
            .grant(ws, "loyal", ThankYou, EngagementStatus::Queued)
            .await
    )
    .contains("thank_you is not granted by hand"));
    assert!(invalid(
        store
            .engagements()
            .grant(ws, "loyal", Reward, EngagementStatus::ReviewLeft)
            .await
    )
    .contains("cannot start as review_left"));
    assert!(not_found(
        store
            .engagements()
            .grant(ws, "ghost", Reward, EngagementStatus::Queued)
            .await
    )
    .contains("\"ghost\""));
    store
        .customers()
        .upsert(ws, &person("silent", None, "en"))
        .await
        .unwrap();
    assert!(invalid(
        store
            .engagements()
            .grant(ws, "silent", Reward, EngagementStatus::Queued)
            .await
    )
    .contains("has not answered"));
    let other = named_workspace(&store, "other").await;
    not_found(
        store
            .engagements()
            .grant(other, "loyal", Reward, EngagementStatus::Queued)
            .await,
    );
    assert_eq!(engagements_of(&store, ws, "loyal").await.len(), 2);
}

#[tokio::test]
async fn memberships_and_rewards_are_granted_by_hand_on_every_backend() {
    on_every_backend!(memberships_and_rewards_are_granted_by_hand);
}
