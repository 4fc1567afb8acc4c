//! Invitation texts in the app (`/settings/invitation-texts?lang=nb`): the workspace's own
//! wording of invitation emails and text messages per language, each field showing the
//! built-in text it replaces, with a preview of the email and SMS as a customer gets them.
//! The same store call and checks as `PUT /api/v1/invitation-texts/{language}`; changes are
//! in the audit log (the access layer records Configure writes).

use super::templates::LanguageTab;
use crate::pages::signin::RequireSignIn;
use crate::pages::{internal, PageError};
use crate::state::AppState;
use advocate_core::i18n::SUPPORTED;
use advocate_core::invitation::{
    builtin, invitation_email, invitation_sms, Branding, InvitationFacts, InvitationTextOverrides,
};
use advocate_core::{Language, SurveyKind};
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

pub struct TextField {
    pub name: &'static str,
    /// The workspace's text; empty: the built-in one is used.
    pub value: String,
    pub builtin: String,
    /// Subjects are one line; the rest may be longer.
    pub one_line: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings_invitation_texts.html")]
pub struct InvitationTextsPage {
    pub workspace: String,
    pub user: String,
    pub language: &'static str,
    pub tabs: Vec<LanguageTab>,
    pub fields: Vec<TextField>,
    pub action: String,
    pub error: String,
    /// The invitation email and text message as a customer named Kari gets them.
    pub preview_subject: String,
    pub preview_text: String,
    pub preview_sms: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

fn supported(raw: &str) -> Option<&'static str> {
    SUPPORTED.iter().copied().find(|c| *c == raw)
}

/// The page for `overrides` in `language` (what is saved, or what was typed).
async fn page(
    state: &AppState,
    user: &crate::auth::SignedIn,
    language: &'static str,
    overrides: &InvitationTextOverrides,
) -> Result<InvitationTextsPage, PageError> {
    let lang = Language::new(language).expect("a supported language is a valid tag");
    let builtin = builtin(&lang, SurveyKind::Nps);
    let defaults = InvitationTextOverrides {
        subject: Some(builtin.subject.clone()),
        greeting: Some(builtin.greeting.clone()),
        intro: Some(builtin.intro.clone()),
        question: Some(builtin.question.clone()),
        low_label: Some(builtin.low_label.clone()),
        high_label: Some(builtin.high_label.clone()),
        footer: Some(builtin.footer.clone()),
        unsubscribe: Some(builtin.unsubscribe.clone()),
        reminder_subject: Some(builtin.reminder_subject.clone()),
        reminder_intro: Some(builtin.reminder_intro.clone()),
        sms: Some(builtin.sms.clone()),
        sms_reminder: Some(builtin.sms_reminder.clone()),
        open_survey: Some(builtin.open_survey.clone()),
    };
    let fields = overrides
        .named()
        .into_iter()
        .zip(defaults.named())
        .map(|((name, value), (_, default))| TextField {
            name,
            value: value.unwrap_or_default().to_owned(),
            builtin: default.unwrap_or_default().to_owned(),
            one_line: name.ends_with("subject") || name.ends_with("label"),
        })
        .collect();
    let workspace = crate::pages::workspace_of(state, user.workspace_id).await?;
    let settings = state
        .store
        .settings()
        .get(user.workspace_id)
        .await
        .map_err(internal)?;
    let texts = builtin.with(overrides);
    let base = state.store.public_url().trim_end_matches('/').to_owned();
    let survey_url = format!("{base}/i/example");
    let score_url = |n: u8| format!("{survey_url}/{n}");
    let facts = InvitationFacts {
        name: Some("Kari"),
        score_url: &score_url,
        survey_url: &survey_url,
        unsubscribe_url: &format!("{base}/u/example"),
        open_pixel_url: &format!("{survey_url}/open.gif"),
        kind: SurveyKind::Nps,
        reminder: false,
    };
    let branding = Branding {
        company: &workspace.name,
        logo_url: settings.logo_url.as_deref(),
        color: &settings.brand_color,
    };
    let email = invitation_email(&texts, &branding, &facts);
    let preview_sms = invitation_sms(&texts, &workspace.name, &survey_url, false);
    Ok(InvitationTextsPage {
        workspace: workspace.name,
        user: user.email.clone(),
        language,
        tabs: SUPPORTED
            .iter()
            .map(|code| LanguageTab {
                code,
                label: code,
                current: *code == language,
            })
            .collect(),
        fields,
        action: format!("/settings/invitation-texts/{language}"),
        error: String::new(),
        preview_subject: email.subject,
        preview_text: email.text,
        preview_sms,
    })
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Query(q): Query<LangQuery>,
) -> Result<InvitationTextsPage, PageError> {
    let language = supported(q.lang.as_deref().unwrap_or("en")).ok_or(NO_LANGUAGE)?;
    let lang = Language::new(language).expect("a supported language is a valid tag");
    let overrides = state
        .store
        .invitations()
        .text_overrides(user.workspace_id, &lang)
        .await
        .map_err(internal)?;
    page(&state, &user, language, &overrides).await
}

const NO_LANGUAGE: PageError = PageError(
    StatusCode::NOT_FOUND,
    "Invitation texts are written in en, nb, sv, da, fi, de or nl.",
);

/// Saves the language's texts: a blank field goes back to the built-in text. A refused
/// text is named on the page, with what was typed kept, and nothing is saved.
pub async fn save(
    State(state): State<AppState>,
    RequireSignIn(user): RequireSignIn,
    Path(language): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let language = supported(&language).ok_or(NO_LANGUAGE)?;
    let posted: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| PageError(StatusCode::BAD_REQUEST, "This form could not be read."))?;
    let known = InvitationTextOverrides::default()
        .named()
        .map(|(name, _)| name);
    let texts: serde_json::Map<String, serde_json::Value> = posted
        .into_iter()
        .filter(|(k, v)| known.contains(&k.as_str()) && !v.trim().is_empty())
        .map(|(k, v)| (k, serde_json::Value::String(v.replace("\r\n", "\n"))))
        .collect();
    let overrides: InvitationTextOverrides =
        serde_json::from_value(serde_json::Value::Object(texts))
            .map_err(|_| PageError(StatusCode::BAD_REQUEST, "This form could not be read."))?;
    let lang = Language::new(language).expect("a supported language is a valid tag");
    match state
        .store
        .invitations()
        .set_texts(user.workspace_id, &lang, &overrides)
        .await
    {
        Ok(()) => Ok(
            Redirect::to(&format!("/settings/invitation-texts?lang={language}")).into_response(),
        ),
        Err(StoreError::Invalid(message)) => {
            let mut p = page(&state, &user, language, &overrides).await?;
            p.error = message;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
        }
        Err(other) => Err(internal(other)),
    }
}
