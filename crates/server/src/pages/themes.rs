//! The themes page (`/themes`): what customers talk about — themes ranked by their impact
//! on NPS (bars with 95 % whiskers, server-rendered SVG, and the table behind them), the
//! re-tagging progress, emerging phrases with a button that makes one a theme, and forms
//! to edit the taxonomy. The figures are the API's (`/api/v1/themes/report`).

use super::signin::RequireSignIn;
use super::{internal, PageError};
use crate::access::Access::Person;
use crate::auth::SignedIn;
use crate::charts::{self, BreakdownRow};
use crate::routes::Routes;
use crate::state::AppState;
use advocate_core::themes::{Driver, TaxonomyEdit};
use advocate_core::Permission::{Configure, Dashboards};
use advocate_store::themes::report::ThemeQuery;
use advocate_store::StoreError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use chrono::{Duration, NaiveTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> Routes {
    Routes::new()
        .get("/themes", Person(Dashboards), show)
        .post("/themes/edits", Person(Configure), edit)
        .post("/themes/promote", Person(Configure), promote)
}

/// One theme's row.
#[derive(Debug, Clone)]
pub struct ThemeRow {
    pub key: String,
    pub name: String,
    pub rank: String,
    pub mentions: u64,
    pub share: String,
    pub nps_with: String,
    pub nps_without: String,
    pub impact: String,
    pub interval: String,
    pub note: String,
    pub sentiment: String,
    pub places: String,
}

/// A segment attribute's value as a driver.
#[derive(Debug, Clone)]
pub struct SegmentRow {
    pub rank: String,
    pub group: String,
    pub href: String,
    pub answers: u64,
    pub nps_with: String,
    pub nps_without: String,
    pub impact: String,
    pub interval: String,
    pub note: String,
}

/// One emerging phrase.
#[derive(Debug, Clone)]
pub struct EmergingRow {
    pub language: String,
    pub phrase: String,
    pub count: usize,
    pub previous: usize,
    pub example: String,
}

/// A theme of the taxonomy, for the edit forms.
#[derive(Debug, Clone)]
pub struct TaxonomyRow {
    pub key: String,
    pub name: String,
    pub hidden: bool,
    pub keywords: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "themes.html")]
pub struct ThemesPage {
    pub workspace: String,
    pub user: String,
    pub range: String,
    pub summary: String,
    pub chart: String,
    pub themes: Vec<ThemeRow>,
    /// Segment values ranked like the themes (the first ones: small groups are counted).
    pub segments: Vec<SegmentRow>,
    pub small_segments: usize,
    pub emerging: Vec<EmergingRow>,
    pub taxonomy: Vec<TaxonomyRow>,
    pub progress: String,
    pub notice: String,
    pub error: String,
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), charts::signed)
}

/// Segment drivers shown on the page (the API has them all).
const SEGMENT_ROWS: usize = 15;

fn interval(x: &Driver) -> String {
    match (x.impact_ci95_low, x.impact_ci95_high) {
        (Some(l), Some(h)) => format!("{} to {}", charts::signed(l), charts::signed(h)),
        _ => "–".to_owned(),
    }
}

fn note(x: &Driver) -> String {
    if x.small_group {
        "small group, not ranked".into()
    } else if x.significant {
        "significant".into()
    } else {
        "not significant".into()
    }
}

async fn page(
    state: &AppState,
    who: &SignedIn,
    notice: String,
    error: String,
) -> Result<ThemesPage, PageError> {
    let ws = who.workspace_id;
    let workspace = super::workspace_of(state, ws).await?.name;
    let to = Utc::now().date_naive();
    let from = to - Duration::days(89);
    let (start, end) = (
        from.and_time(NaiveTime::MIN).and_utc(),
        (to + Duration::days(1)).and_time(NaiveTime::MIN).and_utc(),
    );
    let themes = state.store.themes();
    let query = ThemeQuery {
        workspace_id: ws,
        from: start,
        to: end,
        survey_id: None,
    };
    let report = themes.report(&query).await.map_err(internal)?;
    let taxonomy = themes.taxonomy(ws).await.map_err(internal)?.taxonomy;
    let name_of = |k: &str| {
        taxonomy
            .name_of(k, advocate_core::themes::Lang::En)
            .to_owned()
    };
    let rows: Vec<ThemeRow> = report
        .drivers
        .iter()
        .map(|d| {
            let x = &d.driver;
            let s = &d.key.sentiment;
            ThemeRow {
                key: d.key.theme.clone(),
                name: name_of(&d.key.theme),
                rank: d.rank.map_or_else(|| "–".to_owned(), |r| r.to_string()),
                mentions: d.key.mentions,
                share: x
                    .share_of_commenters
                    .map_or_else(|| "–".to_owned(), |v| format!("{v:.0} %")),
                nps_with: num(x.nps_mentioners),
                nps_without: num(x.nps_others),
                impact: num(x.impact),
                interval: interval(x),
                note: note(x),
                sentiment: format!("{} + · {} = · {} −", s.positive, s.neutral, s.negative),
                places: d
                    .key
                    .concentrated_in
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {} ({:.0} % of its mentions, {:.0} % of all answers)",
                            c.dimension, c.value, c.share, c.share_of_all
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect();
    let shown = report.segments.iter().filter(|g| g.rank.is_some());
    let segments: Vec<SegmentRow> = shown
        .take(SEGMENT_ROWS)
        .map(|g| {
            let x = &g.driver;
            let only = format!("segment:{}:{}", g.key.attribute, g.key.value);
            SegmentRow {
                rank: g.rank.map_or_else(|| "–".to_owned(), |r| r.to_string()),
                group: format!("{} = {}", g.key.attribute, g.key.value),
                href: format!("/dashboard?only={}", super::views::encode(&only)),
                answers: g.key.answers,
                nps_with: num(x.nps_mentioners),
                nps_without: num(x.nps_others),
                impact: num(x.impact),
                interval: interval(x),
                note: note(x),
            }
        })
        .collect();
    let small_segments = report.segments.iter().filter(|g| g.rank.is_none()).count();
    let bars: Vec<BreakdownRow> = report
        .drivers
        .iter()
        .filter(|d| d.rank.is_some())
        .take(12)
        .map(|d| BreakdownRow {
            key: name_of(&d.key.theme),
            nps: d.driver.impact,
            low: d.driver.impact_ci95_low,
            high: d.driver.impact_ci95_high,
            n: d.key.mentions,
            significant_change: None,
        })
        .collect();
    let emerging = themes
        .emerging(ws, end - Duration::days(30), end)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|e| EmergingRow {
            example: e
                .examples
                .first()
                .map(|(_, t)| t.clone())
                .unwrap_or_default(),
            language: e.language,
            phrase: e.phrase,
            count: e.count,
            previous: e.previous_count,
        })
        .collect();
    let progress = match themes.retag_progress(ws).await.map_err(internal)? {
        None => String::new(),
        Some(p) if p.finished_at.is_some() => {
            format!(
                "All {} comments are tagged with taxonomy version {}.",
                p.done, p.version
            )
        }
        Some(p) => format!(
            "Re-tagging after the latest edit: {} of {} comments done.",
            p.done, p.total
        ),
    };
    Ok(ThemesPage {
        workspace,
        user: who.email.clone(),
        range: format!("{from} to {to}"),
        summary: format!(
            "{} answers, {} with a comment, NPS {}",
            report.answers,
            report.commenters,
            num(report.nps)
        ),
        chart: charts::breakdown_titled("Impact on NPS, points", "impact on NPS", &bars),
        themes: rows,
        segments,
        small_segments,
        emerging,
        taxonomy: taxonomy
            .themes
            .iter()
            .map(|t| TaxonomyRow {
                key: t.key.clone(),
                name: t.name(advocate_core::themes::Lang::En).to_owned(),
                hidden: t.hidden,
                keywords: t
                    .keywords
                    .get(&advocate_core::themes::Lang::En)
                    .map(|k| k.join(", "))
                    .unwrap_or_default(),
            })
            .collect(),
        progress,
        notice,
        error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
) -> Result<ThemesPage, PageError> {
    page(&state, &who, String::new(), String::new()).await
}

/// After a change: the page with what happened, or why nothing did (422).
async fn after(state: &AppState, who: &SignedIn, outcome: Result<String, StoreError>) -> Response {
    let (status, notice, error) = match outcome {
        Ok(n) => (StatusCode::OK, n, String::new()),
        Err(StoreError::Invalid(e)) => (StatusCode::UNPROCESSABLE_ENTITY, String::new(), e),
        Err(e) => return internal(e).into_response(),
    };
    match page(state, who, notice, error).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The edit form: `op` and the fields it needs (the others are ignored).
#[derive(Debug, Deserialize)]
pub struct EditForm {
    op: String,
    key: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    into: String,
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

impl EditForm {
    fn edit(self) -> Result<TaxonomyEdit, StoreError> {
        let lang = if self.lang.is_empty() {
            "en".to_owned()
        } else {
            self.lang
        };
        Ok(match self.op.as_str() {
            "add" => TaxonomyEdit::Add {
                key: self.key,
                names: BTreeMap::from([(lang.clone(), self.name)]),
                keywords: BTreeMap::from([(lang, list(&self.keywords))]),
            },
            "rename" => TaxonomyEdit::Rename {
                key: self.key,
                lang,
                name: self.name,
            },
            "add_keywords" => TaxonomyEdit::AddKeywords {
                key: self.key,
                lang,
                keywords: list(&self.keywords),
            },
            "remove_keywords" => TaxonomyEdit::RemoveKeywords {
                key: self.key,
                lang,
                keywords: list(&self.keywords),
            },
            "merge" => TaxonomyEdit::Merge {
                from: self.key,
                into: self.into,
            },
            "hide" => TaxonomyEdit::Hide { key: self.key },
            "show" => TaxonomyEdit::Show { key: self.key },
            other => return Err(StoreError::Invalid(format!("unknown change {other:?}"))),
        })
    }
}

pub async fn edit(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Form(f): Form<EditForm>,
) -> Response {
    let outcome = async {
        let edit = f.edit()?;
        state
            .store
            .themes()
            .edit(who.workspace_id, &edit, &who.actor(), Utc::now())
            .await?;
        Ok("Saved. Older comments are being tagged again in the background.".to_owned())
    }
    .await;
    after(&state, &who, outcome).await
}

#[derive(Debug, Deserialize)]
pub struct PromoteForm {
    language: String,
    phrase: String,
}

pub async fn promote(
    State(state): State<AppState>,
    RequireSignIn(who): RequireSignIn,
    Form(f): Form<PromoteForm>,
) -> Response {
    let outcome = state
        .store
        .themes()
        .promote(
            who.workspace_id,
            &f.language,
            &f.phrase,
            &who.actor(),
            Utc::now(),
        )
        .await
        .map(|_| format!("“{}” is now a theme.", f.phrase.trim()));
    after(&state, &who, outcome).await
}
