//! Inviting a list from the app (`/surveys/{id}/invite`): customers pasted as CSV with a
//! header row — the columns of `advocate import customers` (`external_id`, `name`,
//! `email`, `phone`, `language`, `account_manager`, any other a segment attribute) — are
//! created or updated and invited by email, SMS or web link, with the quiet period,
//! unsubscribes and sampling applied as for any invitation (the store's one `invite`).
//! All or nothing: a bad row is named by its line and nobody is invited. Up to the API's
//! batch of 1,000 customers at a time.

use super::editor::Choice;
use super::survey_of;
use crate::api::invitations::MAX_BATCH;
use crate::auth::SignedIn;
use crate::pages::signin::RequireSignIn;
use crate::pages::{internal, workspace_of, PageError};
use crate::state::AppState;
use advocate_core::customer::{from_table, CustomerInput};
use advocate_core::{Channel, SurveyStatus};
use advocate_store::invitations::{InviteRequest, Source};
use advocate_store::models::Survey;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use std::collections::BTreeMap;

const CHANNELS: [(&str, &str); 3] = [
    ("email", "Email (the scale inside the message)"),
    ("sms", "SMS (a short link)"),
    (
        "web",
        "Web link (no message: copy the links from the API or export)",
    ),
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    pub channel: String,
    pub sample_percent: String,
    /// CSV with a header row.
    pub customers: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "survey_invite.html")]
pub struct InvitePage {
    pub workspace: String,
    pub user: String,
    pub survey_id: i64,
    pub survey_name: String,
    pub closed: bool,
    pub channels: Vec<Choice>,
    pub form: InviteForm,
    /// Refusals, each naming its line or field.
    pub errors: Vec<String>,
    /// What the last invitation did.
    pub done: String,
}

fn page(ws: String, who: &SignedIn, survey: &Survey, form: InviteForm) -> InvitePage {
    let channels = CHANNELS
        .iter()
        .map(|(value, label)| Choice {
            value,
            label,
            selected: *value == form.channel,
        })
        .collect();
    InvitePage {
        workspace: ws,
        user: who.email.clone(),
        survey_id: survey.id,
        survey_name: survey.name.clone(),
        closed: survey.status != SurveyStatus::Active,
        channels,
        form,
        errors: Vec::new(),
        done: String::new(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
) -> Result<InvitePage, PageError> {
    let survey = survey_of(&state, &who, &id).await?;
    let ws = workspace_of(&state, who.workspace_id).await?.name;
    let form = InviteForm {
        channel: "email".into(),
        sample_percent: "100".into(),
        customers: "external_id,name,email,language\n".into(),
    };
    Ok(page(ws, &who, &survey, form))
}

/// The form's customers and how to ask them, or every problem (lines as pasted: the
/// header is line 1).
fn read(form: &InviteForm) -> Result<(Vec<CustomerInput>, Channel, u8), Vec<String>> {
    let mut errors = Vec::new();
    let channel = match Channel::parse(form.channel.trim()) {
        Ok(c @ (Channel::Email | Channel::Sms | Channel::Web)) => Some(c),
        _ => {
            errors.push(format!(
                "channel must be email, sms or web; got {:?}",
                form.channel
            ));
            None
        }
    };
    let sample = match form.sample_percent.trim().parse::<u8>() {
        Ok(p) if (1..=100).contains(&p) => Some(p),
        _ => {
            errors.push(format!(
                "sample_percent must be a whole number from 1 to 100; got {:?}",
                form.sample_percent
            ));
            None
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(form.customers.trim().as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(str::to_owned).collect(),
        Some(Err(e)) => {
            errors.push(format!("line 1: {e}"));
            Vec::new()
        }
        None => {
            errors.push("customers: paste a header row and one customer per line".into());
            Vec::new()
        }
    };
    let mut rows = Vec::new();
    for record in records {
        match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                if r.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                rows.push((line, r.iter().map(str::to_owned).collect()));
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if rows.len() > MAX_BATCH {
        errors.push(format!(
            "customers: at most {MAX_BATCH} at a time; got {}",
            rows.len()
        ));
    }
    let customers = if header.is_empty() {
        None
    } else {
        match from_table(&header, rows) {
            Ok(c) => Some(c),
            Err(problems) => {
                errors.extend(problems.into_iter().map(|(l, m)| format!("line {l}: {m}")));
                None
            }
        }
    };
    match (customers, channel, sample) {
        (Some(c), Some(ch), Some(s)) if errors.is_empty() => Ok((c, ch, s)),
        _ => Err(errors),
    }
}

pub async fn invite(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Path(id): Path<String>,
    Form(form): Form<InviteForm>,
) -> Response {
    let survey = match survey_of(&state, &who, &id).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let ws = match workspace_of(&state, who.workspace_id).await {
        Ok(w) => w.name,
        Err(e) => return e.into_response(),
    };
    let (customers, channel, sample_percent) = match read(&form) {
        Ok(read) => read,
        Err(errors) => {
            let mut p = page(ws, &who, &survey, form);
            p.errors = errors;
            return (StatusCode::UNPROCESSABLE_ENTITY, p).into_response();
        }
    };
    let now = Utc::now();
    let request = InviteRequest {
        survey_id: survey.id,
        channel,
        source: Source::Manual,
        schedule_id: None,
        event_id: None,
        send_at: now,
        sample_percent,
    };
    let outcomes = match state
        .store
        .invitations()
        .invite(who.workspace_id, &request, &customers, now)
        .await
    {
        Ok(o) => o,
        Err(e) => return internal(e).into_response(),
    };
    let mut skipped: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut invited = 0;
    for o in &outcomes {
        match o.skip_reason {
            None => invited += 1,
            Some(reason) => *skipped.entry(reason.in_words()).or_default() += 1,
        }
    }
    let skipped: Vec<String> = skipped
        .into_iter()
        .map(|(why, n)| format!("{n} {why}"))
        .collect();
    let mut p = page(
        ws,
        &who,
        &survey,
        InviteForm {
            customers: String::new(),
            ..form
        },
    );
    p.done = format!(
        "Invited {invited} of {}; skipped {}. The outbox sends them.",
        outcomes.len(),
        if skipped.is_empty() {
            "none".to_owned()
        } else {
            skipped.join(", ")
        }
    );
    p.into_response()
}
