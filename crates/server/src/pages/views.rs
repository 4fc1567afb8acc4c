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
    /// A remark under the table (e.g. "Groups under 5 answers are hidden."); may be empty.
    pub note: String,
}

impl Breakdown {
    /// Renders the chart for `rows`.
    pub fn new(title: impl Into<String>, rows: Vec<BreakdownRow>) -> Self {
        let title = title.into();
        Self {
            svg: charts::breakdown_titled(&title, &rows),
            title,
            rows,
            note: String::new(),
        }
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
    /// The dashboard's path, e.g. `/dashboard`.
    pub action: String,
    pub surveys: Vec<SelectOption>,
    /// The current period's code (see [`PERIODS`]).
    pub period: String,
    /// From [`PeriodLink::standard`].
    pub periods: Vec<PeriodLink>,
    /// The period in words, e.g. "1 Jan – 31 Mar 2026, compared with the 90 days before".
    pub period_label: String,
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
mod tests {
    use super::*;
    use advocate_core::{i18n, Language, NpsCounts};

    const EVIL: &str = "<script>alert(1)</script>";

    fn texts() -> SurveyTexts {
        let mut t = i18n::builtin(&Language::english(), SurveyKind::Nps, EVIL);
        t.low_label = format!("low {EVIL}");
        t.high_label = format!("high {EVIL}");
        t.follow_up_detractor = EVIL.into();
        t.thanks_body = EVIL.into();
        t
    }

    /// askama escapes `<` and `>` as numeric references; charts.rs uses `&lt;`/`&gt;`.
    const ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

    /// Escaped user data, and no raw `<script>` anywhere (pages carry no scripts).
    fn assert_escaped(html: &str) {
        assert!(html.contains(ESCAPED), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.starts_with("<!doctype html>"), "{html}");
        assert!(html.contains(r#"<link rel="stylesheet" href="/assets/style.css">"#));
        assert!(html.contains(r#"content="width=device-width, initial-scale=1""#));
        assert!(
            !html.contains("https://") && !html.contains("//cdn"),
            "{html}"
        );
    }

    fn survey() -> SurveyPage {
        SurveyPage {
            lang: "nb".into(),
            company: EVIL.into(),
            scale: ScoreScale::new(SurveyKind::Nps, &texts(), None),
            texts: texts(),
            action: "/s/tok?x=<b>".into(),
            languages: LanguageLink::all("nb"),
        }
    }

    #[test]
    fn survey_page_has_a_button_per_score_and_escapes() {
        let html = survey().render().unwrap();
        assert_escaped(&html);
        assert!(html.contains(r#"<html lang="nb">"#));
        assert_eq!(
            html.matches(r#"<button type="submit" name="score""#)
                .count(),
            11
        );
        assert!(html.contains(r#"name="score" value="0""#) && html.contains(r#"value="10""#));
        assert!(
            html.contains(&format!(r#"aria-label="0 – low {ESCAPED}""#)),
            "{html}"
        );
        assert!(html.contains(r#"<input type="hidden" name="lang" value="nb">"#));
        assert!(html.contains("<h1"));
        assert!(html.contains(r#"<form method="post""#));
        for name in [
            "English",
            "Norsk",
            "Svenska",
            "Dansk",
            "Suomi",
            "Deutsch",
            "Nederlands",
        ] {
            assert!(html.contains(name), "{name}");
        }
        assert!(html.contains(r#"href="?lang=fi""#));
        assert!(html.contains(r#"action="/s/tok?x=&#60;b&#62;""#), "{html}");

        let csat = SurveyPage {
            scale: ScoreScale::new(SurveyKind::Csat, &texts(), None),
            ..survey()
        };
        let html = csat.render().unwrap();
        assert_eq!(html.matches(r#"name="score""#).count(), 5);
        assert!(!html.contains(r#"value="0""#));
    }

    #[test]
    fn followup_page_presses_the_current_score_and_escapes() {
        let page = FollowupPage {
            lang: "en".into(),
            company: EVIL.into(),
            scale: ScoreScale::new(SurveyKind::Nps, &texts(), Some(3)),
            texts: texts(),
            follow_up: EVIL.into(),
            score_action: "/s/tok".into(),
            comment_action: "/s/tok/comment".into(),
            comment: format!("I said {EVIL}"),
            languages: LanguageLink::all("en"),
        };
        let html = page.render().unwrap();
        assert_escaped(&html);
        assert_eq!(html.matches(r#"aria-pressed="true""#).count(), 1);
        assert_eq!(html.matches(r#"aria-pressed="false""#).count(), 10);
        assert!(html.contains(r#"<textarea id="comment" name="comment" maxlength="5000""#));
        assert!(
            html.contains(&format!(">I said {ESCAPED}</textarea>")),
            "{html}"
        );
        assert!(html.contains("Your score"));
    }

    #[test]
    fn thanks_and_signin_escape() {
        let html = ThanksPage {
            lang: "en".into(),
            company: "Acme".into(),
            texts: texts(),
        }
        .render()
        .unwrap();
        assert_escaped(&html);
        assert!(html.contains("Thank you for your feedback!"));

        let html = SigninPage {
            error: Some(EVIL.into()),
            email: EVIL.into(),
            next: EVIL.into(),
        }
        .render()
        .unwrap();
        assert_escaped(&html);
        assert!(html.contains(r#"action="/signin""#));
        assert!(html.contains(r#"type="password""#));
        assert!(html.contains(r#"name="next""#));
        let plain = SigninPage::default().render().unwrap();
        assert!(!plain.contains("role=\"alert\""));
    }

    /// A report over `hist`, compared with `previous` as the store would.
    fn report(hist: [u64; 11], previous: Option<NpsCounts>, method: CiMethod) -> NpsReport {
        let counts = NpsCounts::from_histogram(&hist);
        let test = previous.and_then(|p| counts.compare(&p));
        NpsReport {
            survey: None,
            from: None,
            to: None,
            summary: advocate_store::insight::report::NpsSummary {
                nps: counts.nps(),
                n: counts.n(),
                promoters: counts.promoters,
                passives: counts.passives,
                detractors: counts.detractors,
                shares: counts.shares(),
                ambassadors: hist[10],
                distribution: hist,
                ci95: counts.ci95(method),
                small_sample: counts.is_small_sample(),
            },
            change: previous.map(|p| advocate_store::insight::report::Change {
                versus: "before".into(),
                previous_nps: p.nps(),
                previous_n: p.n(),
                difference: test.map(|t| t.difference),
                difference_ci95: None,
                z: test.map(|t| t.z),
                p_value: test.map(|t| t.p_value),
                significant: test.is_some_and(|t| t.significant),
            }),
            group_by: None,
            groups: None,
            suppressed: None,
        }
    }

    fn row(key: &str, nps: f64, change: Option<f64>) -> BreakdownRow {
        BreakdownRow {
            key: key.into(),
            nps: Some(nps),
            low: Some(nps - 6.0),
            high: Some(nps + 6.0),
            n: 140,
            significant_change: change,
        }
    }

    fn dashboard() -> DashboardPage {
        let hist = [3, 1, 2, 4, 5, 8, 10, 40, 60, 90, 120];
        let previous = NpsCounts::new(150, 100, 90);
        DashboardPage {
            workspace: EVIL.into(),
            user: "ana@example.com".into(),
            action: "/dashboard".into(),
            surveys: vec![
                SelectOption::new("s1", EVIL, true),
                SelectOption::new("s2", "Support", false),
            ],
            period: "90d".into(),
            periods: PeriodLink::standard("90d", &[("survey", "s1"), ("segment", "a&b")]),
            period_label: "Last 90 days".into(),
            summary: Summary::from_report(&report(hist, Some(previous), CiMethod::AdjustedWald)),
            trend_svg: charts::trend(&[charts::TrendPoint {
                label: EVIL.into(),
                nps: Some(30.0),
                low: Some(25.0),
                high: Some(35.0),
                n: 300,
            }]),
            distribution_svg: charts::distribution(&hist),
            touchpoints: Breakdown::new(
                "NPS by touchpoint",
                vec![row(EVIL, 20.0, Some(8.0)), row("support", -10.0, None)],
            ),
            channels: Breakdown::new("NPS by channel", vec![row("email", 30.0, Some(-6.0))]),
            segment_attributes: vec![SelectOption::new("plan", "plan", true)],
            segments: Breakdown::new("NPS by plan", vec![]),
            comments: vec![CommentRow {
                score: 2,
                comment: format!("Terrible {EVIL} service & \"quotes\""),
                date: "2026-03-14".into(),
                channel: "email".into(),
                language: "en".into(),
                for_review: true,
            }],
            comments_hidden: String::new(),
            score_name: "NPS",
            enps: false,
            compare_href: "/compare?a.segment=plan%3Aa&b.segment=plan%3Ab".into(),
            closed_loop: ClosedLoopCard {
                open: 3,
                overdue: 1,
                inbox: vec![(EVIL.into(), 3, 1)],
                ..Default::default()
            },
            response_rates: vec![ResponseRateRow {
                survey: EVIL.into(),
                channel: "email".into(),
                sent: 40,
                delivered: 39,
                opened: 20,
                answered: 10,
                rate: "25.0 %".into(),
            }],
            setup_warnings: vec![EVIL.into()],
        }
    }

    #[test]
    fn dashboard_shows_the_figures_and_escapes_user_data() {
        let page = dashboard();
        let html = page.render().unwrap();
        assert_escaped(&html);
        assert!(
            html.contains(&format!(
                "Terrible {ESCAPED} service &#38; &#34;quotes&#34;"
            )),
            "{html}"
        );
        // The hostile trend label went through the one escaper (messages::escape_html).
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // The headline: NPS with sign, interval with its method, n, change.
        assert!(html.contains(&page.summary.nps_text()));
        assert!(page.summary.nps_text().starts_with('+'));
        assert!(html.contains("adjusted Wald)"));
        assert!(html.contains(&format!("n = {}", page.summary.n)), "{html}");
        assert!(page.summary.change.is_some_and(|c| c.significant));
        assert!(
            html.contains("vs previous period · significant (p"),
            "{html}"
        );
        assert_eq!(page.summary.ambassadors, 120);
        // Charts (inserted as SVG) and their tables.
        assert_eq!(html.matches("<svg").count(), 5);
        // Three breakdown tables, the closed-loop card's inbox per assignee and the
        // response rates.
        assert_eq!(html.matches("<table").count(), 5);
        assert!(html.contains("25.0 %"));
        assert!(
            html.contains("<dt>Overdue</dt><dd class=\"alarm\">1</dd>"),
            "{html}"
        );
        assert!(html.contains("▲ +8"));
        assert!(html.contains(r#"class="score detractor""#), "{html}");
        assert!(html.contains(r#"<form method="post" action="/signout""#));
        assert!(html.contains(r#"<form id="filters" method="get" action="/dashboard""#));
        assert!(html.contains(r#"<select id="segment" name="segment" form="filters""#));
        assert!(
            html.contains("href=\"?survey=s1&#38;segment=a%26b&#38;period=30d\""),
            "{html}"
        );
        assert!(html.contains(r#"aria-current="page""#));
    }

    #[test]
    fn dashboard_warns_about_small_samples_and_handles_no_data() {
        let mut page = dashboard();
        page.summary = Summary::from_report(&report([0; 11], None, CiMethod::Wald));
        page.comments.clear();
        page.trend_svg = charts::trend(&[]);
        page.distribution_svg = charts::distribution(&[0; 11]);
        let html = page.render().unwrap();
        assert!(html.contains("Too few answers"), "{html}");
        assert!(html.contains("No comments"));
        assert_eq!(page.summary.nps_text(), "–");
        assert_eq!(page.summary.interval_text(), "");
    }

    #[test]
    fn summary_texts() {
        let mut s = Summary::from_report(&report(
            [0, 0, 0, 0, 0, 0, 20, 20, 0, 30, 30],
            Some(NpsCounts::new(10, 20, 70)),
            CiMethod::AdjustedWald,
        ));
        assert_eq!(s.nps_text(), "+40");
        assert_eq!(s.promoters_pct(), "60 %");
        assert_eq!(s.ambassadors_pct(), "30 %");
        assert!(s.change_text().starts_with("▲ +"));
        assert!(s.significance_text().starts_with("significant (p"));
        assert_eq!(s.change_class(), "up significant");
        s.change = Some(Change {
            difference: -0.3,
            significant: false,
            p_value: 0.9,
        });
        assert_eq!(s.change_text(), "± 0");
        assert_eq!(s.significance_text(), "not significant (p = 0.900)");
        assert_eq!(encode("a b&c/é"), "a%20b%26c%2F%C3%A9");
        let langs = LanguageLink::all("fi");
        assert_eq!(langs.len(), 7);
        assert!(langs.iter().any(|l| l.current && l.name == "Suomi"));
    }
}
