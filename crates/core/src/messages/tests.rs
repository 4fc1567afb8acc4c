use super::*;
use crate::i18n::SUPPORTED;

#[test]
fn escape_html_covers_markup_and_quotes_and_drops_what_xml_forbids() {
    assert_eq!(
        escape_html("<script>alert(1)</script>\"&'"),
        "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;"
    );
    assert_eq!(escape_html("a\u{0}b\u{7}c\nd"), "abc\nd");
    assert_eq!(escape_html("Ærlig ▲"), "Ærlig ▲");
}

fn facts<'a>(comment: Option<&'a str>) -> AlertFacts<'a> {
    AlertFacts {
        company: "Acme",
        case_id: 7,
        score: 2,
        customer: "<b>Eve</b>",
        comment,
        priority: Priority::High,
        assignee: "kari@example.com",
        due: "2026-11-24 10:00 UTC",
        case_url: "http://localhost/cases/7",
    }
}

fn links() -> Vec<(String, String)> {
    vec![(
        "Trustpilot".to_owned(),
        "https://example.com/review?a=1&b=2".to_owned(),
    )]
}

fn promoter<'a>(score: u8, links: &'a [(String, String)]) -> ThankYouFacts<'a> {
    let ten = score == 10;
    ThankYouFacts {
        company: "Acme",
        name: Some("Kari"),
        score,
        discount_code: ten.then_some("THANKS-42"),
        review_request: true,
        review_links: links,
        panel_invitation: ten,
        reward: ten,
    }
}

/// Every message a language has, for checks that apply to all of them.
fn every_message(lang: &Language) -> Vec<EmailContent> {
    let links = links();
    let f = facts(Some("slow"));
    vec![
        detractor_alert(lang, &f),
        escalation(lang, &f),
        thank_you(lang, &promoter(9, &links)),
        thank_you(lang, &promoter(10, &links)),
        passive_nudge(lang, "Acme", Some("Kari")),
        resurvey(lang, "Acme", None, "http://localhost/s/abc"),
    ]
}

#[test]
fn every_language_has_every_message_translated_and_filled() {
    let english = every_message(&Language::english());
    for code in SUPPORTED {
        let lang = Language::new(code).unwrap();
        assert_eq!(message_language(&lang), code);
        let messages = every_message(&lang);
        for (i, m) in messages.iter().enumerate() {
            for part in [&m.subject, &m.text, &m.html] {
                assert!(
                    !part.contains('{') && !part.contains('}'),
                    "{code} message {i} left a placeholder: {part}"
                );
            }
            assert!(m.html.contains(&format!("<html lang=\"{code}\">")));
            if code != "en" {
                assert_ne!(m.subject, english[i].subject, "{code} message {i} subject");
                assert_ne!(m.text, english[i].text, "{code} message {i} text");
            }
        }
        let slack = slack_alert(&lang, &facts(Some("slow")));
        assert!(slack.contains("#7") && slack.contains("“slow”") && !slack.contains('{'));
        let overdue = slack_overdue(&lang, &facts(None));
        assert!(overdue.contains("#7") && !overdue.contains('{'));
        if code != "en" {
            assert_ne!(
                slack,
                slack_alert(&Language::english(), &facts(Some("slow")))
            );
            assert_ne!(
                priority_label(&lang, Priority::High),
                "high",
                "{code} priority"
            );
            assert_ne!(anonymous_respondent(&lang), EN.anonymous);
        }
    }
}

#[test]
fn unknown_languages_fall_back_to_english() {
    let english = every_message(&Language::english());
    for code in ["fr", "pt-BR", "ja"] {
        let lang = Language::new(code).unwrap();
        assert_eq!(message_language(&lang), "en");
        assert_eq!(every_message(&lang), english, "{code}");
    }
    let de_at = Language::new("de-AT").unwrap();
    assert!(thank_you(&de_at, &promoter(9, &links()))
        .text
        .contains("Vielen Dank"));
}

#[test]
fn user_data_is_escaped_in_html_and_kept_in_text() {
    let e = detractor_alert(&Language::english(), &facts(Some("<script>x</script>")));
    assert!(e.html.contains("&lt;script&gt;") && !e.html.contains("<script>"));
    assert!(e.html.contains("&lt;b&gt;Eve&lt;/b&gt;") && !e.html.contains("<b>"));
    assert!(
        e.text.contains("<script>x</script>"),
        "plain text keeps the words"
    );
    assert!(e.subject.contains("#7") && e.subject.contains("<b>Eve</b>"));
    let links = vec![(
        "<i>Site</i>".to_owned(),
        "https://x.test/\"onmouseover=\"alert(1)".to_owned(),
    )];
    for code in SUPPORTED {
        let lang = Language::new(code).unwrap();
        let mut f = promoter(10, &links);
        f.company = "Tom & <Jerry>";
        f.name = Some("<img src=x>");
        f.discount_code = Some("<CODE>");
        let e = thank_you(&lang, &f);
        for raw in ["<img", "<Jerry>", "<CODE>", "<i>", "\"onmouseover"] {
            assert!(
                !e.html.contains(raw),
                "{code}: {raw} unescaped in {}",
                e.html
            );
        }
        assert!(e.html.contains("Tom &amp; &lt;Jerry&gt;"), "{code}");
        assert!(e.text.contains("Tom & <Jerry>") && e.text.contains("<CODE>"));
        let n = passive_nudge(&lang, "Tom & <Jerry>", Some("<b>"));
        assert!(!n.html.contains("<Jerry>") && !n.html.contains("<b>"));
        let r = resurvey(&lang, "A", None, "http://x.test/s/\"><script>");
        assert!(!r.html.contains("<script>"));
    }
}

#[test]
fn values_are_not_expanded_twice() {
    let mut f = promoter(9, &[]);
    f.name = Some("{company}");
    let e = thank_you(&Language::english(), &f);
    assert!(e.text.starts_with("Dear {company},"), "{}", e.text);
    assert_eq!(fill("{a}{b}{", &[("a", "{b}"), ("b", "2")]), "{b}2{");
}

#[test]
fn nines_and_tens_are_thanked_differently() {
    let links = links();
    for code in SUPPORTED {
        let lang = Language::new(code).unwrap();
        let c = catalog(&lang);
        let nine = thank_you(&lang, &promoter(9, &links));
        let ten = thank_you(&lang, &promoter(10, &links));
        assert_ne!(nine.subject, ten.subject, "{code}");
        // Both: greeting by name, thanks, the review ask with the links.
        for e in [&nine, &ten] {
            assert!(
                e.text.starts_with(&fill(c.dear, &[("name", "Kari")])),
                "{code}"
            );
            assert!(e.text.contains(&fill(c.review, &[])), "{code}");
            assert!(e.text.contains("https://example.com/review?a=1&b=2"));
            assert!(e
                .html
                .contains("href=\"https://example.com/review?a=1&amp;b=2\""));
        }
        // Only the 10: warmer thanks, code, panel invitation, reward.
        let ambassador_only = [
            fill(c.thanks_ambassador, &[("company", "Acme")]),
            fill(c.code, &[("code", "THANKS-42")]),
            fill(c.panel, &[]),
            fill(c.reward, &[]),
        ];
        for part in &ambassador_only {
            assert!(ten.text.contains(part.as_str()), "{code}: 10 lacks {part}");
            assert!(!nine.text.contains(part.as_str()), "{code}: 9 has {part}");
        }
        assert!(nine.text.contains(&fill(c.thanks, &[("company", "Acme")])));
        assert!(!ten.text.contains(&fill(c.thanks, &[("company", "Acme")])));
        assert!(ten.html.contains("THANKS-42") && !nine.html.contains("THANKS-42"));
    }
}

#[test]
fn anonymous_greeting_and_no_review_links() {
    let mut f = promoter(9, &[]);
    f.name = None;
    let e = thank_you(&Language::new("nb").unwrap(), &f);
    assert!(e.text.starts_with("Hei,\n"), "{}", e.text);
    assert!(e.text.contains("anmeldelse") && !e.html.contains("<a "));
    f.review_request = false;
    let e = thank_you(&Language::new("nb").unwrap(), &f);
    assert!(!e.text.contains("anmeldelse"));
}

#[test]
fn finnish_never_inflects_the_company() {
    let fi = Language::new("fi").unwrap();
    let company = "Kahvila Oy";
    let links = links();
    let mut f = promoter(10, &links);
    f.company = company;
    let all = [
        thank_you(&fi, &f),
        passive_nudge(&fi, company, None),
        resurvey(&fi, company, None, "http://x"),
    ];
    for e in all {
        for part in [&e.subject, &e.text] {
            // "Kahvila Oy:n" or "Kahvila Oyn" would be inflected: after each mention
            // comes a space, punctuation or the end, never a case ending.
            for (i, _) in part.match_indices(company) {
                let mut after = part[i + company.len()..].chars();
                let ok = match after.next() {
                    None => true,
                    Some(':') | Some('-') => !after.next().is_some_and(char::is_alphabetic),
                    Some(c) => !c.is_alphanumeric(),
                };
                assert!(ok, "inflected: {part}");
            }
        }
    }
}
