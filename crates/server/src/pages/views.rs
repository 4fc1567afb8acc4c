//! The pages' view models: one plain-data struct per template, filled by the handlers.
//!
//! Templates live in `crates/server/templates/` and are auto-escaped (askama); only the
//! chart SVG from [`crate::charts`] is inserted unescaped, because that module escapes
//! everything it draws. Each struct also implements axum's `IntoResponse` (askama_web),
//! so a handler can return it directly.
//!
//! Public survey pages: [`SurveyPage`] → [`FollowupPage`] → [`ThanksPage`].
//! Web app: [`SigninPage`], [`DashboardPage`].

use advocate_core::i18n::{SurveyTexts, SUPPORTED};
use advocate_core::SurveyKind;
use advocate_core::{CiMethod, SMALL_SAMPLE};
use advocate_store::insight::report::NpsReport;
use askama::Template;
use askama_web::WebTemplate;

use crate::charts::{self, BreakdownRow};

/// The languages survey pages are offered in, each named in itself.
pub const LANGUAGE_NAMES: [(&str, &str); 7] = [
    ("en", "English"),
    ("nb", "Norsk"),
    ("sv", "Svenska"),
    ("da", "Dansk"),
    ("fi", "Suomi"),
    ("de", "Deutsch"),
    ("nl", "Nederlands"),
];

/// The dashboard's periods: `(code for ?period=, label)`.
pub const PERIODS: [(&str, &str); 4] = [
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
    ("12m", "Last 12 months"),
    ("all", "All time"),
];

/// One link of the survey pages' language switcher (`?lang=xx`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageLink {
    /// `en`, `nb`, …
    pub code: String,
    /// The language's own name: `Norsk`, `Suomi`, …
    pub name: String,
    /// Whether the page is shown in this language.
    pub current: bool,
}

impl LanguageLink {
    /// All supported languages, marking `current`.
    pub fn all(current: &str) -> Vec<Self> {
        SUPPORTED
            .iter()
            .map(|code| LanguageLink {
                code: (*code).to_owned(),
                name: LANGUAGE_NAMES
                    .iter()
                    .find(|(c, _)| c == code)
                    .map_or(*code, |(_, n)| n)
                    .to_owned(),
                current: *code == current,
            })
            .collect()
    }
}

/// A survey's score buttons: the scale, the labels of its ends, and the score already
/// given (pressed) on the follow-up page. Rendered by `_scale.html`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreScale {
    pub min: u8,
    pub max: u8,
    pub low_label: String,
    pub high_label: String,
    pub current: Option<u8>,
}

impl ScoreScale {
    pub fn new(kind: SurveyKind, texts: &SurveyTexts, current: Option<u8>) -> Self {
        let (min, max) = kind.scale();
        Self {
            min,
            max,
            low_label: texts.low_label.clone(),
            high_label: texts.high_label.clone(),
            current,
        }
    }

    pub fn scores(&self) -> std::ops::RangeInclusive<u8> {
        self.min..=self.max
    }

    pub fn count(&self) -> u8 {
        self.max.saturating_sub(self.min) + 1
    }

    /// The button's `aria-label`: the number, and at the ends the scale's label.
    pub fn label(&self, n: &u8) -> String {
        match *n {
            n if n == self.min => format!("{n} – {}", self.low_label),
            n if n == self.max => format!("{n} – {}", self.high_label),
            n => n.to_string(),
        }
    }

    /// `aria-pressed` for a button, when a score has been given.
    pub fn pressed(&self, n: &u8) -> Option<bool> {
        self.current.map(|c| c == *n)
    }
}

/// The public survey page: the question and one submit button per score.
///
/// Fill with `texts = i18n::builtin(&lang, kind, company).with(&overrides, company)`,
/// `scale = ScoreScale::new(kind, &texts, None)`, `languages = LanguageLink::all(lang)`. The form
/// posts `score=N&lang=xx` to `action`.
#[derive(Debug, Clone, Template, WebTemplate)]
#[template(path = "survey.html")]
pub struct SurveyPage {
    /// The page's language (`<html lang>` and the hidden `lang` field).
    pub lang: String,
    /// The workspace's name, shown above the question.
    pub company: String,
    pub texts: SurveyTexts,
    /// The score buttons: 0–10 for NPS and eNPS, 1–5 for CSAT.
    pub scale: ScoreScale,
    /// Where the score form posts, e.g. `/s/{token}`.
    pub action: String,
    pub languages: Vec<LanguageLink>,
    /// The survey editor's preview: the same page, whose score buttons only reload it
    /// (the form is sent with GET to `action`, so nothing is recorded).
    pub preview: bool,
}

/// The page of a paused or archived survey's link (answered with 410 Gone), in the
/// respondent's language.
#[derive(Debug, Clone, Template, WebTemplate)]
#[template(path = "survey_closed.html")]
pub struct ClosedSurveyPage {
    pub lang: String,
    pub company: String,
    pub title: &'static str,
    pub body: &'static str,
}

/// After the score: the score again (to change it, posting `score=N&lang=xx` to
/// `score_action`), and the follow-up question worded by category with a comment box
/// (posting `comment=…&lang=xx` to `comment_action`).
///
/// Fill `follow_up` with `texts.follow_up(score.category())` (for CSAT, pick the text the
/// survey wants, e.g. the detractor wording for 1–3).
#[derive(Debug, Clone, Template, WebTemplate)]
#[template(path = "followup.html")]
pub struct FollowupPage {
    pub lang: String,
    pub company: String,
    pub texts: SurveyTexts,
    /// The score buttons, with the score given as `current` (shown pressed).
    pub scale: ScoreScale,
    /// The follow-up question for the score's category.
    pub follow_up: String,
    pub score_action: String,
    pub comment_action: String,
    /// The comment so far (kept when the score is changed); usually empty.
    pub comment: String,
    pub languages: Vec<LanguageLink>,
}

/// The last page of a survey: `texts.thanks_title` and `texts.thanks_body`.
#[derive(Debug, Clone, Template, WebTemplate)]
#[template(path = "thanks.html")]
pub struct ThanksPage {
    pub lang: String,
    pub company: String,
    pub texts: SurveyTexts,
    /// The survey editor's preview of this page (a note says nothing is recorded).
    pub preview: bool,
}

/// The sign-in form; posts `email`, `password` and `next` to `/signin`.
#[derive(Debug, Clone, Default, Template, WebTemplate)]
#[template(path = "signin.html")]
pub struct SigninPage {
    /// Shown above the form, e.g. "Wrong email or password."
    pub error: Option<String>,
    /// The email to prefill after a failed attempt.
    pub email: String,
    /// Where to go after signing in (a local path; the handler must validate it).
    pub next: String,
}

/// An `<option>` of a `<select>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl SelectOption {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}

/// A link to another period of the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodLink {
    pub label: String,
    /// A query-only URL such as `?survey=s1&period=30d`.
    pub href: String,
    pub current: bool,
}

impl PeriodLink {
    /// The four [`PERIODS`], marking `current`, each keeping the other query parameters
    /// in `keep` (e.g. `[("survey", id), ("segment", attr)]`; empty values are left out).
    pub fn standard(current: &str, keep: &[(&str, &str)]) -> Vec<Self> {
        PERIODS
            .iter()
            .map(|(code, label)| {
                let mut query: Vec<String> = keep
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                    .collect();
                query.push(format!("period={code}"));
                PeriodLink {
                    label: (*label).to_owned(),
                    href: format!("?{}", query.join("&")),
                    current: *code == current,
                }
            })
            .collect()
    }
}

/// Percent-encodes a query component (everything but unreserved characters).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The change against the previous period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    /// In NPS points (current − previous).
    pub difference: f64,
    pub significant: bool,
    pub p_value: f64,
}

/// The headline figures of the selected survey and period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    /// `None` without answers.
    pub nps: Option<f64>,
    /// 95 % interval.
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// How the interval was computed, for people: "adjusted Wald" or "Wald".
    pub method: String,
    pub n: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// The 10s among the promoters…
    pub ambassadors: u64,
    /// …and the 9s.
    pub nines: u64,
    /// Against the previous period of the same length; `None` when it cannot be tested.
    pub change: Option<Change>,
    /// Too few answers to read (n < 30).
    pub small_sample: bool,
}

impl Summary {
    /// The headline figures of a report, with its change against the previous period.
    pub fn from_report(report: &NpsReport) -> Self {
        let sum = &report.summary;
        Summary {
            nps: sum.nps,
            low: sum.ci95.map(|i| i.low),
            high: sum.ci95.map(|i| i.high),
            method: match sum.ci95.map(|i| i.method) {
                Some(CiMethod::Wald) => "Wald",
                _ => "adjusted Wald",
            }
            .to_owned(),
            n: sum.n,
            promoters: sum.promoters,
            passives: sum.passives,
            detractors: sum.detractors,
            ambassadors: sum.ambassadors,
            nines: sum.distribution[9],
            change: report.change.as_ref().and_then(|c| {
                Some(Change {
                    difference: c.difference?,
                    significant: c.significant,
                    p_value: c.p_value?,
                })
            }),
            small_sample: sum.small_sample,
        }
    }

    /// `+34`, or `–` without answers.
    pub fn nps_text(&self) -> String {
        self.nps
            .filter(|v| v.is_finite())
            .map_or_else(|| "–".to_owned(), charts::signed)
    }

    /// `positive`, `negative` or `none`: a CSS class for the big number.
    pub fn nps_class(&self) -> &'static str {
        match self.nps.filter(|v| v.is_finite()).map(f64::round) {
            None => "none",
            Some(v) if v < 0.0 => "negative",
            Some(_) => "positive",
        }
    }

    /// `(+31 to +37, adjusted Wald)`, or empty.
    pub fn interval_text(&self) -> String {
        match (self.low, self.high) {
            (Some(l), Some(h)) if l.is_finite() && h.is_finite() => format!(
                "({} to {}, {})",
                charts::signed(l),
                charts::signed(h),
                self.method
            ),
            _ => String::new(),
        }
    }

    pub fn promoters_pct(&self) -> String {
        charts::percent(self.promoters, self.n)
    }

    pub fn passives_pct(&self) -> String {
        charts::percent(self.passives, self.n)
    }

    pub fn detractors_pct(&self) -> String {
        charts::percent(self.detractors, self.n)
    }

    pub fn ambassadors_pct(&self) -> String {
        charts::percent(self.ambassadors, self.n)
    }

    pub fn nines_pct(&self) -> String {
        charts::percent(self.nines, self.n)
    }

    /// `▲ +5`, `▼ -3` or `0`, or empty without a comparison.
    pub fn change_text(&self) -> String {
        match self.change.filter(|c| c.difference.is_finite()) {
            None => String::new(),
            Some(c) if c.difference.round() > 0.0 => format!("▲ {}", charts::signed(c.difference)),
            Some(c) if c.difference.round() < 0.0 => format!("▼ {}", charts::signed(c.difference)),
            Some(_) => "± 0".to_owned(),
        }
    }

    /// `significant (p = 0.003)` / `not significant (p = 0.41)`.
    pub fn significance_text(&self) -> String {
        match self.change {
            None => String::new(),
            Some(c) => {
                let p = if c.p_value < 0.001 {
                    "p < 0.001".to_owned()
                } else {
                    format!("p = {:.3}", c.p_value)
                };
                if c.significant {
                    format!("significant ({p})")
                } else {
                    format!("not significant ({p})")
                }
            }
        }
    }

    /// CSS classes for the change line: `up`/`down`/`flat`, plus `significant`.
    pub fn change_class(&self) -> String {
        match self.change {
            None => String::new(),
            Some(c) => {
                let dir = if c.difference.round() > 0.0 {
                    "up"
                } else if c.difference.round() < 0.0 {
                    "down"
                } else {
                    "flat"
                };
                if c.significant {
                    format!("{dir} significant")
                } else {
                    dir.to_owned()
                }
            }
        }
    }

    /// The threshold under which an NPS is flagged, for the warning text.
    pub fn small_sample_limit(&self) -> u64 {
        SMALL_SAMPLE
    }
}

/// A breakdown card: the chart and the same figures as a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    /// "NPS by touchpoint", …
    pub title: String,
    /// From [`charts::breakdown_titled`].
    pub svg: String,
    pub rows: Vec<BreakdownRow>,
    /// For each row, the page narrowed to its group (empty: no link); may be empty.
    pub links: Vec<String>,
    /// A remark under the table (e.g. "Groups under 5 answers are hidden."); may be empty.
    pub note: String,
}

impl Breakdown {
    /// Renders the chart for `rows`.
    pub fn new(title: impl Into<String>, rows: Vec<BreakdownRow>) -> Self {
        let title = title.into();
        Self {
            svg: charts::breakdown_titled(&title, "NPS", &rows),
            title,
            rows,
            links: Vec::new(),
            note: String::new(),
        }
    }

    /// Each row with its link (empty: none).
    pub fn linked_rows(&self) -> Vec<(&BreakdownRow, &str)> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r, self.links.get(i).map_or("", String::as_str)))
            .collect()
    }
}

/// One answer in the "Latest comments" list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentRow {
    /// 0–10.
    pub score: u8,
    pub comment: String,
    /// When it was given, as it should be shown (e.g. `2026-03-14`; the month only,
    /// `2026-03`, for eNPS).
    pub date: String,
    /// `email`, `sms`, `web`, …; empty for eNPS (it could tell who wrote it).
    pub channel: String,
    /// `en`, `nb`, …; empty for eNPS.
    pub language: String,
    /// An anonymous detractor without a case: nobody can be contacted, so it is flagged
    /// for review ("anonymous — learn, can't contact").
    pub for_review: bool,
    /// The customer's name (or id) and record; empty for eNPS and anonymous answers.
    pub customer: String,
    pub customer_href: String,
    /// The case the answer opened; empty without one.
    pub case_href: String,
}

impl CommentRow {
    /// `detractor`, `passive`, `promoter` or `ambassador`.
    pub fn class(&self) -> &'static str {
        charts::score_class(self.score)
    }
}

/// The dashboard of one survey over one period.
///
/// The filter form GETs `action` with `survey`, `period` (hidden, current) and `segment`
/// (the segment attribute select, attached to the form with `form="filters"`).
#[derive(Debug, Clone, Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub workspace: String,
    /// The signed-in user's email or name; may be empty.
    pub user: String,
    /// The person may make a share link of this view (`view`: its query string).
    pub can_share: bool,
    pub view: String,
    /// For a share link's visitor: what they look at, in words; empty for members.
    pub shared: String,
    /// The dashboard's path, e.g. `/dashboard`.
    pub action: String,
    pub surveys: Vec<SelectOption>,
    /// The current period's code (see [`PERIODS`]).
    pub period: String,
    /// From [`PeriodLink::standard`].
    pub periods: Vec<PeriodLink>,
    /// The period in words, e.g. "Last 30 days" or "2026-01-01 – 2026-03-31".
    pub period_label: String,
    /// A custom range's first and last day for the date fields; empty for a standard period.
    pub custom_from: String,
    pub custom_to: String,
    /// What was wrong with the filters asked for (they are left out); empty when none.
    pub filter_error: String,
    /// The narrowing's code for the form (`channel:email`) and in words; empty when none.
    pub only: String,
    pub only_label: String,
    /// The same view without the narrowing.
    pub everyone_href: String,
    /// The view's comments in the comment explorer.
    pub comments_href: String,
    pub summary: Summary,
    /// From [`charts::trend`].
    pub trend_svg: String,
    /// From [`charts::distribution`].
    pub distribution_svg: String,
    pub touchpoints: Breakdown,
    pub channels: Breakdown,
    /// The segment attributes one can break down by (e.g. `plan`, `country`).
    pub segment_attributes: Vec<SelectOption>,
    pub segments: Breakdown,
    /// Newest first.
    pub comments: Vec<CommentRow>,
    /// Why no comments are shown though there may be some (eNPS: a group under the
    /// minimum size); empty otherwise.
    pub comments_hidden: String,
    /// "NPS", or "eNPS" for an employee survey.
    pub score_name: &'static str,
    /// An eNPS survey: anonymous, no customer cases; the closed-loop card is left out.
    pub enps: bool,
    /// A comparison of the two largest groups of the segment breakdown
    /// (`/compare?a.segment=…&b.segment=…`); empty without two groups.
    pub compare_href: String,
    pub closed_loop: ClosedLoopCard,
    /// Invitations of the period per survey and channel.
    pub response_rates: Vec<ResponseRateRow>,
    /// What keeps messages from reaching people (`Workspaces::setup_warnings`).
    pub setup_warnings: Vec<String>,
    /// "What customers talk about": the top themes' impact bars with whiskers.
    pub themes_svg: String,
    /// The top themes, each a link to its comments of the period: (href, text).
    pub top_themes: Vec<(String, String)>,
    /// Themes a significantly larger share of commenters mention than in the period
    /// before: (href, text).
    pub rising_themes: Vec<(String, String)>,
}

/// One survey on one channel in the dashboard's response-rate card.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseRateRow {
    pub survey: String,
    pub channel: String,
    pub sent: u64,
    pub delivered: u64,
    pub opened: u64,
    pub answered: u64,
    /// answered ÷ sent, as a percentage.
    pub rate: String,
}

/// The dashboard's closed-loop health card, from `Cases::health`; each
/// figure is shown with its definition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClosedLoopCard {
    pub open: u64,
    pub overdue: u64,
    /// e.g. "3 h 10 min", or "—" without contacted cases.
    pub median_first_contact: String,
    /// e.g. "82 % (41 of 50)".
    pub within_sla: String,
    /// e.g. "60 % (12 of 20)".
    pub recovery: String,
    /// (assignee, open, overdue), most open first.
    pub inbox: Vec<(String, u64, u64)>,
    /// Cases of the period withdrawn because the score changed before any work.
    pub withdrawn: u64,
    /// Anonymous detractors of the period without a case (flagged for review).
    pub anonymous_for_review: u64,
}

impl ClosedLoopCard {
    pub fn from_health(h: &advocate_store::closed_loop::cases::ClosedLoopHealth) -> Self {
        let share = |part: u64, whole: u64| match whole {
            0 => "—".to_owned(),
            _ => format!(
                "{:.0} % ({part} of {whole})",
                part as f64 * 100.0 / whole as f64
            ),
        };
        Self {
            open: h.open,
            overdue: h.overdue,
            median_first_contact: h
                .median_first_contact_secs
                .map_or_else(|| "—".to_owned(), super::cases::duration_text),
            within_sla: share(h.contacted_within_sla, h.contacted),
            recovery: share(h.recovered, h.resolved),
            inbox: h
                .inbox
                .iter()
                .map(|l| (l.assignee.clone(), l.open, l.overdue))
                .collect(),
            withdrawn: h.withdrawn,
            anonymous_for_review: h.anonymous_for_review,
        }
    }
}

#[cfg(test)]
mod tests;
