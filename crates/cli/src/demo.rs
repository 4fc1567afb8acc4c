//! `advocate demo`: a populated demo workspace, created once and reused, then served.
//!
//! Everything is written through the store's public API, as imports are: answers,
//! customers and settings as any client writes them, and the history the demo needs
//! (business facts, the cases' follow-up, past invitations) through its history loads.

mod cases;
mod conversations;
mod invitations;

use crate::bootstrap;
use crate::demo_data::{self, DemoAnswer, DemoData};
use crate::options::ServeArgs;
use advocate_core::{Language, Rating, SurveyKind};
use advocate_store::business::BusinessHistory;
use advocate_store::models::{NewAnswer, Respondent, ReviewLink, WorkspaceSettings};
use advocate_store::Store;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;

pub const WORKSPACE: &str = "demo";
pub const COMPANY: &str = "Nordlys Telecom";
pub const ADMIN_EMAIL: &str = "demo@advocate.local";
pub const ADMIN_PASSWORD: &str = "demo-password";
/// Fixed so the demo is the same on every machine.
const SEED: u64 = 2026;
/// Answers from the last this many days react as live ones would (cases, thank-yous).
const LIVE_DAYS: i64 = 21;
/// Answers per transaction while loading.
const BATCH: usize = 5_000;

pub async fn run(args: ServeArgs) -> Result<()> {
    let store = args.db.open().await?;
    let workspace = match store.workspaces().by_slug(WORKSPACE).await? {
        Some(w) => {
            println!(
                "Reusing the demo workspace ({} answers).",
                store.answers().count(w.id).await?
            );
            w
        }
        None => {
            let workspace = load(&store).await?;
            // The generated data is gone; without this the process would keep its peak.
            crate::memory::release_freed();
            workspace
        }
    };
    let (_, key) = store.api_keys().replace(workspace.id, "demo").await?;
    let url = format!("http://{}", args.bind);
    println!();
    println!("Advocate demo: {url}");
    println!("Sign in: {ADMIN_EMAIL} / {ADMIN_PASSWORD}");
    println!("API key: {key}");
    println!("Try: curl -H 'Authorization: Bearer {key}' '{url}/api/v1/nps?group_by=quarter'");
    println!();
    bootstrap::run(store, &args).await
}

/// Creates the demo workspace and fills it, in batches of one transaction each. (A load
/// interrupted half-way leaves a partial demo: delete the data folder and run again.)
async fn load(store: &Store) -> Result<advocate_store::models::Workspace> {
    // One `now` for the whole load, so the data and the closed loop tell the same story.
    let now = Utc::now();
    let data: DemoData = demo_data::generate(SEED, now);
    let workspace = create_workspace(store).await?;
    let mut survey_ids = HashMap::new();
    for s in &data.surveys {
        let survey = store.surveys().create(workspace.id, s).await?;
        survey_ids.insert(survey.slug.clone(), survey.id);
    }
    load_rows(store, workspace.id, &data, &survey_ids, now).await?;
    let changed = demo_closed_loop(store, workspace.id, &survey_ids, now).await?;
    // The live detractors' cases were all opened "now": play out their follow-up.
    let cases = cases::play_out_cases(store, workspace.id, SEED, now)
        .await
        .context("cannot play out the demo's cases")?;
    conversations::play_out(store, workspace.id, ADMIN_EMAIL, COMPANY)
        .await
        .context("cannot start the demo's conversations")?;
    let invited =
        invitations::create(store, workspace.id, &data.customers, &survey_ids, now).await?;
    store
        .analyze()
        .await
        .context("cannot refresh the planner's statistics")?;
    print_summary(&data, &cases, changed, &invited);
    Ok(workspace)
}

/// The demo workspace with its user, settings and routing rule.
async fn create_workspace(store: &Store) -> Result<advocate_store::models::Workspace> {
    let workspace = store
        .workspaces()
        .create(WORKSPACE, COMPANY, &Language::english())
        .await
        .context("cannot create the demo workspace")?;
    bootstrap::set_user(
        store,
        workspace.id,
        ADMIN_EMAIL,
        Some(ADMIN_PASSWORD.into()),
    )
    .await?;

    // Before the answers: live promoters are asked to review on these (fictional) sites.
    store
        .settings()
        .save(workspace.id, &demo_settings())
        .await
        .context("cannot save the demo workspace's settings")?;
    // Support detractors without an account manager go to the demo user, so the case
    // inbox's "Mine" view has work in it on first sign-in.
    store
        .settings()
        .create_routing_rule(
            workspace.id,
            &advocate_store::tenancy::settings::RoutingRuleInput {
                attribute: None,
                value: None,
                touchpoint: Some("support".into()),
                language: None,
                assignee: ADMIN_EMAIL.into(),
                position: None,
            },
        )
        .await
        .context("cannot create the demo routing rule")?;
    Ok(workspace)
}

/// Customers, answers and business data, in batches behind a progress bar.
async fn load_rows(
    store: &Store,
    workspace_id: i64,
    data: &DemoData,
    survey_ids: &HashMap<String, i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    let business = BusinessHistory {
        spells: &data.spells,
        orders: &data.orders,
        contacts: &data.contacts,
        loyalty: &data.loyalty,
    };
    let total = (data.customers.len() + data.answers.len() + business.rows()) as u64;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("Loading demo data {bar:40} {pos}/{len} ({eta})")
            .expect("valid template"),
    );
    for chunk in data.customers.chunks(BATCH) {
        store.customers().upsert_many(workspace_id, chunk).await?;
        bar.inc(chunk.len() as u64);
    }
    let live_from = now - chrono::Duration::days(LIVE_DAYS);
    let kinds: HashMap<&str, SurveyKind> = data
        .surveys
        .iter()
        .map(|s| (s.slug.as_str(), s.kind))
        .collect();
    for chunk in data.answers.chunks(BATCH) {
        let answers = chunk
            .iter()
            .map(|a| new_answer(workspace_id, survey_ids, kinds[a.survey_slug.as_str()], a))
            .collect::<Result<Vec<NewAnswer>>>()?;
        // The last weeks are "live": their detractors open cases and promoters are thanked.
        let (history, live): (Vec<_>, Vec<_>) =
            answers.into_iter().partition(|a| a.answered_at < live_from);
        store.answers().record_many(&history, false).await?;
        store.answers().record_many(&live, true).await?;
        bar.inc(chunk.len() as u64);
    }
    // After the answers, so the business rows meet customers the answers already named.
    store
        .history()
        .load_business(workspace_id, business, |rows| bar.inc(rows))
        .await
        .context("cannot load the demo's business data")?;
    bar.finish_and_clear();
    Ok(())
}

fn new_answer(
    workspace_id: i64,
    survey_ids: &HashMap<String, i64>,
    kind: SurveyKind,
    a: &DemoAnswer,
) -> Result<NewAnswer> {
    Ok(NewAnswer {
        workspace_id,
        survey_id: survey_ids[&a.survey_slug],
        respondent: a
            .customer_external_id
            .clone()
            .map_or(Respondent::Anonymous, Respondent::Known),
        score: Rating::new(kind, i64::from(a.score))
            .context("the demo's scores are on their survey's scale")?,
        comment: a.comment.clone(),
        channel: a.channel,
        touchpoint: None,
        language: Some(a.language.clone()),
        answered_at: a.answered_at,
        external_id: None,
        idempotency_key: None,
        request_hash: None,
    })
}

/// What the demo holds, as told on the terminal.
fn print_summary(
    data: &DemoData,
    cases: &cases::CaseStory,
    changed: Option<i64>,
    invited: &invitations::InvitationStory,
) {
    println!(
        "Created the demo workspace: {} customers, {} answers, {} surveys, {} orders, \
         {} support contacts, {} loyalty memberships.",
        data.customers.len(),
        data.answers.len(),
        data.surveys.len(),
        data.orders.len(),
        data.contacts.len(),
        data.loyalty.len()
    );
    println!(
        "Cases of the last {LIVE_DAYS} days: {} recovered, {} not recovered, {} unreachable, \
         {} contacted, {} open ({} overdue).",
        cases.recovered,
        cases.not_recovered,
        cases.unreachable,
        cases.contacted,
        cases.open,
        cases.overdue
    );
    if let Some(case) = changed {
        println!(
            "Case #{case} was withdrawn: its customer changed their score from 3 to 9 before \
             anyone worked it. An anonymous detractor from a shop kiosk is flagged for review."
        );
    }
    println!(
        "Invitations of the last {} days: {} answered, {} unanswered; a \
         relationship schedule (email, every 90 days) and a ticket_closed trigger (SMS).",
        invitations::INVITATION_DAYS,
        invited.answered,
        invited.unanswered
    );
}

/// The closed loop's own cases in the demo: a detractor who changes their mind (the
/// oldest open case of a 3 becomes a 9 and is withdrawn) and an anonymous detractor at a
/// shop kiosk, whom nobody can contact (flagged for review, no case). Deterministic: the
/// case is chosen by id among the seeded data. Returns the withdrawn case's id.
async fn demo_closed_loop(
    store: &Store,
    workspace_id: i64,
    survey_ids: &HashMap<String, i64>,
    now: chrono::DateTime<Utc>,
) -> Result<Option<i64>> {
    let survey = *survey_ids
        .get("relationship")
        .context("the demo has a relationship survey")?;
    let kiosk = NewAnswer {
        workspace_id,
        survey_id: survey,
        respondent: Respondent::Anonymous,
        score: Rating::new(SurveyKind::Nps, 2)?,
        comment: Some(
            "Waited 40 minutes in the shop to swap a broken router and nobody said why.".into(),
        ),
        channel: advocate_core::Channel::Kiosk,
        touchpoint: None,
        language: Some(Language::english()),
        answered_at: now - chrono::Duration::minutes(20),
        external_id: None,
        idempotency_key: None,
        request_hash: None,
    };
    store.answers().record_many(&[kiosk], true).await?;
    let filter = advocate_store::closed_loop::cases::CaseFilter {
        statuses: vec![advocate_core::case::CaseStatus::Open],
        priority: Some(advocate_core::Priority::High),
        limit: 200,
        ..Default::default()
    };
    let page = store.cases().list(workspace_id, &filter).await?;
    let Some(case) = page
        .cases
        .iter()
        .filter(|c| c.score == 3 && c.customer_external_id.is_some())
        .min_by_key(|c| c.id)
    else {
        return Ok(None);
    };
    store
        .answers()
        .change_score(workspace_id, case.answer_id, 9)
        .await
        .context("cannot change the demo's score")?;
    Ok(Some(case.id))
}

/// The demo's closed-loop settings: a default queue, a sender, and review sites on
/// example.com (fictional, never a real company's page).
fn demo_settings() -> WorkspaceSettings {
    let link = |name: &str, url: &str| ReviewLink {
        name: name.into(),
        url: url.into(),
    };
    WorkspaceSettings {
        sender_email: Some("feedback@nordlys.example.com".into()),
        sender_name: Some(COMPANY.into()),
        default_queue: "Customer care".into(),
        // Bills are in NOK; Swedish, Danish and euro customers' orders carry NOK amounts.
        currency: demo_data::CURRENCY.into(),
        resurvey_after_resolution: true,
        review_links: vec![
            link("ReviewHub", "https://reviews.example.com/nordlys-telecom"),
            link("MapStars", "https://maps.example.com/place/nordlys-telecom"),
        ],
        ..WorkspaceSettings::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use advocate_core::case::Outcome;
    use advocate_core::customer::CustomerInput;
    use advocate_core::{Label, SurveyKind};
    use advocate_store::closed_loop::cases::CaseFilter;
    use advocate_store::models::NewSurvey;
    use advocate_store::testing::TestDb;

    /// The demo's closed-loop story on a small workspace: the open case of a 3 is
    /// withdrawn when the score becomes a 9, and the kiosk detractor opens no case but is
    /// flagged for review; the same case is chosen every time.
    #[tokio::test]
    async fn the_demo_withdraws_a_changed_score_and_flags_an_anonymous_detractor() {
        for db in TestDb::all().await {
            let store = db.store().await;
            let ws = store
                .workspaces()
                .create("demo", COMPANY, &Language::english())
                .await
                .unwrap()
                .id;
            let survey = NewSurvey {
                slug: Label::new("relationship").unwrap(),
                kind: SurveyKind::Nps,
                name: "Relationship".into(),
                touchpoint: None,
                default_language: Language::english(),
                texts: Default::default(),
            };
            let survey = store.surveys().create(ws, &survey).await.unwrap().id;
            let now = Utc::now();
            for (who, score) in [("a", 4u8), ("b", 3), ("c", 3)] {
                let answer = NewAnswer {
                    workspace_id: ws,
                    survey_id: survey,
                    respondent: Respondent::Inline(CustomerInput {
                        external_id: who.into(),
                        ..Default::default()
                    }),
                    score: Rating::new(SurveyKind::Nps, i64::from(score)).unwrap(),
                    comment: None,
                    channel: advocate_core::Channel::Email,
                    touchpoint: None,
                    language: None,
                    answered_at: now - chrono::Duration::hours(2),
                    external_id: None,
                    idempotency_key: None,
                    request_hash: None,
                };
                store.answers().record_many(&[answer], true).await.unwrap();
            }
            let ids = HashMap::from([("relationship".to_owned(), survey)]);
            let withdrawn = demo_closed_loop(&store, ws, &ids, now)
                .await
                .unwrap()
                .expect("a case of a 3 is withdrawn");
            let all = CaseFilter {
                limit: 50,
                ..Default::default()
            };
            let cases = store.cases().list(ws, &all).await.unwrap().cases;
            assert_eq!(cases.len(), 3, "the kiosk detractor opens no case");
            let case = cases.iter().find(|c| c.id == withdrawn).unwrap();
            assert_eq!(case.customer_external_id.as_deref(), Some("b"));
            assert_eq!(case.outcome, Some(Outcome::Withdrawn));
            let health = store.cases().health(ws, None).await.unwrap();
            assert_eq!((health.withdrawn, health.anonymous_for_review), (1, 1));
        }
    }
}
