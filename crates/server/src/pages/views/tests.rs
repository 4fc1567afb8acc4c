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
        preview: false,
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
        preview: false,
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
        themes_svg: String::new(),
        top_themes: Vec::new(),
        rising_themes: Vec::new(),
        workspace: EVIL.into(),
        user: "ana@example.com".into(),
        can_share: true,
        view: format!("survey={EVIL}"),
        shared: String::new(),
        action: "/dashboard".into(),
        surveys: vec![
            SelectOption::new("s1", EVIL, true),
            SelectOption::new("s2", "Support", false),
        ],
        period: "90d".into(),
        periods: PeriodLink::standard("90d", &[("survey", "s1"), ("segment", "a&b")]),
        period_label: "Last 90 days".into(),
        custom_from: String::new(),
        custom_to: String::new(),
        filter_error: format!("from must be a date; got {EVIL:?}"),
        only: format!("segment:plan:{EVIL}"),
        only_label: format!("plan {EVIL}"),
        everyone_href: "?period=90d".into(),
        comments_href: "/comments?to=2026-03-31".into(),
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
            customer: EVIL.into(),
            customer_href: "/customers/c%3C1".into(),
            case_href: "/cases/7".into(),
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
