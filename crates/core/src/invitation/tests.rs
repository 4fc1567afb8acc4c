use super::*;
use crate::i18n::SUPPORTED;

const SURVEY: &str = "https://nps.example.com/i/tok";

fn score_url(n: u8) -> String {
    format!("{SURVEY}/{n}")
}

fn facts(name: Option<&str>, kind: SurveyKind, reminder: bool) -> InvitationFacts<'_> {
    InvitationFacts {
        name,
        score_url: &score_url,
        survey_url: SURVEY,
        unsubscribe_url: "https://nps.example.com/u/unsub",
        open_pixel_url: "https://nps.example.com/i/tok/open.gif",
        kind,
        reminder,
    }
}

fn branding(company: &str) -> Branding<'_> {
    Branding {
        company,
        logo_url: None,
        color: "#0f766e",
    }
}

fn all_texts(t: &InvitationTexts) -> [(&'static str, &String); 13] {
    [
        ("subject", &t.subject),
        ("greeting", &t.greeting),
        ("intro", &t.intro),
        ("question", &t.question),
        ("low_label", &t.low_label),
        ("high_label", &t.high_label),
        ("footer", &t.footer),
        ("unsubscribe", &t.unsubscribe),
        ("reminder_subject", &t.reminder_subject),
        ("reminder_intro", &t.reminder_intro),
        ("sms", &t.sms),
        ("sms_reminder", &t.sms_reminder),
        ("open_survey", &t.open_survey),
    ]
}

/// Characters in GSM 03.38's default alphabet count 1, its extension table 2; `None`
/// when the text needs UCS-2 (70 characters per SMS).
fn gsm_len(s: &str) -> Option<usize> {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                         ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENSION: &str = "^{}\\[~]|€\u{c}";
    s.chars()
        .map(|c| {
            if BASIC.contains(c) {
                Some(1)
            } else if EXTENSION.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .sum()
}

#[test]
fn every_language_has_every_text_translated() {
    for code in SUPPORTED {
        let lang = Language::new(code).unwrap();
        for &kind in SurveyKind::ALL {
            let t = builtin(&lang, kind);
            let en = builtin(&Language::english(), kind);
            assert_eq!(t.lang, code);
            for ((field, text), (_, english)) in all_texts(&t).into_iter().zip(all_texts(&en)) {
                assert!(!text.trim().is_empty(), "{code} {kind} {field}");
                if code != "en" {
                    assert_ne!(text, english, "{code} {kind} {field} is English");
                }
            }
            // The email asks what the survey page asks.
            let page = i18n::builtin(&lang, kind, "{company}");
            assert_eq!(t.question, page.question, "{code} {kind}");
            assert_eq!(
                (&t.low_label, &t.high_label),
                (&page.low_label, &page.high_label)
            );
            for template in [&t.sms, &t.sms_reminder] {
                assert!(template.contains("{link}") && template.contains("{company}"));
            }
            assert!(t.greeting.contains("{name}"), "{code} greeting");
        }
        let notice = unsubscribed_notice(&lang, "Acme");
        assert!(notice.body.contains("Acme") && !notice.title.is_empty());
        if code != "en" {
            assert_ne!(notice, unsubscribed_notice(&Language::english(), "Acme"));
        }
    }
}

#[test]
fn unknown_languages_fall_back_to_english() {
    let fr = builtin(&Language::new("fr").unwrap(), SurveyKind::Nps);
    assert_eq!(fr, builtin(&Language::english(), SurveyKind::Nps));
    let e = invitation_email(&fr, &branding("Acme"), &facts(None, SurveyKind::Nps, false));
    assert!(e.html.contains("<html lang=\"en\">"));
    let de = builtin(&Language::new("de-AT").unwrap(), SurveyKind::Nps);
    assert!(de.question.starts_with("Wie wahrscheinlich"));
}

#[test]
fn placeholders_are_filled_everywhere() {
    for code in SUPPORTED {
        let lang = Language::new(code).unwrap();
        for &kind in SurveyKind::ALL {
            let t = builtin(&lang, kind);
            for reminder in [false, true] {
                for name in [Some("Kari"), None] {
                    let e = invitation_email(&t, &branding("Acme"), &facts(name, kind, reminder));
                    for part in [&e.subject, &e.text, &e.html] {
                        assert!(
                            !part.contains('{') && !part.contains('}'),
                            "{code} {kind}: placeholder left in {part}"
                        );
                    }
                    assert!(e.subject.contains("Acme") && e.text.contains("Acme"));
                    assert!(e.html.contains(&format!("<html lang=\"{code}\">")));
                    assert_eq!(e.text.contains("Kari"), name.is_some());
                }
                let sms = invitation_sms(&t, "Acme", "https://x.test/r/abc", reminder);
                assert!(!sms.contains('{') && sms.contains("Acme"), "{sms}");
                assert!(sms.ends_with("https://x.test/r/abc"), "{sms}");
            }
        }
    }
}

#[test]
fn greeting_without_a_name_drops_the_placeholder() {
    let t = builtin(&Language::english(), SurveyKind::Nps);
    let e = invitation_email(&t, &branding("Acme"), &facts(None, SurveyKind::Nps, false));
    assert!(e.text.starts_with("Hello,\n"), "{}", e.text);
    let e = invitation_email(
        &t,
        &branding("Acme"),
        &facts(Some(" "), SurveyKind::Nps, false),
    );
    assert!(e.text.starts_with("Hello,\n"), "blank name counts as none");
    let nb = builtin(&Language::new("nb").unwrap(), SurveyKind::Nps);
    let e = invitation_email(
        &nb,
        &branding("Acme"),
        &facts(Some("Kari"), SurveyKind::Nps, false),
    );
    assert!(e.text.starts_with("Hei Kari,\n"), "{}", e.text);
    assert!(e.html.contains(">Hei Kari,</p>"));
}

#[test]
fn company_name_and_logo_are_escaped_in_html() {
    let t = builtin(&Language::english(), SurveyKind::Nps);
    let b = Branding {
        company: "Tom & <Jerry>",
        logo_url: Some("https://x.test/logo.png\" onerror=\"alert(1)"),
        color: "red;background:url(https://evil.test)",
    };
    let f = facts(Some("<script>alert(1)</script>"), SurveyKind::Nps, false);
    let e = invitation_email(&t, &b, &f);
    for raw in ["<script", "<Jerry>", "\" onerror", "evil.test"] {
        assert!(!e.html.contains(raw), "{raw} unescaped in {}", e.html);
    }
    assert!(e.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(e.html.contains("alt=\"Tom &amp; &lt;Jerry&gt;\""));
    assert!(e.html.contains("Tom &amp; &lt;Jerry&gt;"));
    assert!(
        e.html.contains("border-top:4px solid #2f5bd3"),
        "bad colour replaced"
    );
    // Plain text keeps the words as they are.
    assert!(e.text.contains("<script>alert(1)</script>") && e.text.contains("Tom & <Jerry>"));
    assert!(e.subject.contains("Tom & <Jerry>"));
    // Values are not expanded twice.
    let e = invitation_email(
        &t,
        &branding("{name}"),
        &facts(Some("{company}"), SurveyKind::Nps, false),
    );
    assert!(e.text.starts_with("Hello {company},"), "{}", e.text);
}

#[test]
fn the_whole_scale_is_in_the_email() {
    let t = builtin(&Language::english(), SurveyKind::Nps);
    let b = Branding {
        logo_url: Some("https://x.test/logo.png"),
        ..branding("Acme")
    };
    for (kind, low, high) in [
        (SurveyKind::Nps, 0u8, 10u8),
        (SurveyKind::Enps, 0, 10),
        (SurveyKind::Csat, 1, 5),
    ] {
        let e = invitation_email(&t, &b, &facts(None, kind, false));
        let links = e.html.matches(&format!("href=\"{SURVEY}/")).count();
        assert_eq!(links, usize::from(high - low + 1), "{kind}");
        for n in low..=high {
            assert!(
                e.html.contains(&format!("href=\"{SURVEY}/{n}\"")),
                "{kind} {n}"
            );
            assert!(
                e.text.contains(&format!("\n{n} – {SURVEY}/{n}\n")),
                "{kind} {n}"
            );
        }
        assert!(!e.html.contains(&format!("{SURVEY}/{}\"", high + 1)));
        if low > 0 {
            assert!(!e.text.contains(&format!("{SURVEY}/{}\n", low - 1)));
        }
        // Category colours, logo, labels, links, pixel.
        assert!(e.html.contains("background:#c8453c") && e.html.contains("background:#3f9b57"));
        assert!(e
            .html
            .contains("<img src=\"https://x.test/logo.png\" alt=\"Acme\""));
        assert!(e.html.contains(&t.low_label) && e.html.contains(&t.high_label));
        assert!(e.html.contains(&format!("href=\"{SURVEY}\"")));
        assert!(e.html.contains("href=\"https://nps.example.com/u/unsub\""));
        assert!(e.html.contains(
            "<img src=\"https://nps.example.com/i/tok/open.gif\" width=\"1\" height=\"1\""
        ));
        assert!(e.text.contains("https://nps.example.com/u/unsub"));
        assert!(e.text.contains(&format!("in your browser: {SURVEY}\n")));
    }
    // NPS: 7 and 8 are passive; CSAT: 3 is neutral.
    let e = invitation_email(&t, &b, &facts(None, SurveyKind::Nps, false));
    assert_eq!(e.html.matches("background:#e3a21a").count(), 2);
    let e = invitation_email(&t, &b, &facts(None, SurveyKind::Csat, false));
    assert_eq!(e.html.matches("background:#e3a21a").count(), 1);
    assert_eq!(e.html.matches("background:#3f9b57").count(), 2);
}

#[test]
fn reminders_use_their_own_words() {
    for code in SUPPORTED {
        let t = builtin(&Language::new(code).unwrap(), SurveyKind::Nps);
        let first = invitation_email(&t, &branding("Acme"), &facts(None, SurveyKind::Nps, false));
        let again = invitation_email(&t, &branding("Acme"), &facts(None, SurveyKind::Nps, true));
        assert_eq!(first.subject, personal(&t.subject, "Acme", None));
        assert_eq!(again.subject, personal(&t.reminder_subject, "Acme", None));
        assert!(again.text.contains(&t.reminder_intro) && !again.text.contains(&t.intro));
        assert!(first.text.contains(&t.intro));
        assert_ne!(
            invitation_sms(&t, "Acme", "l", false),
            invitation_sms(&t, "Acme", "l", true)
        );
    }
}

#[test]
fn sms_fits_one_gsm_segment() {
    let company = "Nordic Coffee Company Ltd";
    let link = "https://survey.example.com/r/AbCdEfGhIj";
    assert_eq!((company.len(), link.len()), (25, 39 + 1 - 1));
    let link = format!("{link}x");
    assert_eq!(link.len(), 40);
    for code in SUPPORTED {
        for &kind in SurveyKind::ALL {
            let t = builtin(&Language::new(code).unwrap(), kind);
            for reminder in [false, true] {
                let sms = invitation_sms(&t, company, &link, reminder);
                let len = gsm_len(&sms).unwrap_or_else(|| panic!("{code}: not GSM-7: {sms}"));
                assert!(
                    len <= 160,
                    "{code} {kind} reminder={reminder}: {len} > 160: {sms}"
                );
            }
        }
    }
}

#[test]
fn overrides_replace_only_what_they_name() {
    let o = InvitationTextOverrides {
        subject: Some("{name}, a word from {company}".into()),
        sms: Some("{company} asks: {link}".into()),
        sms_reminder: Some("no link here".into()),
        intro: Some("  ".into()),
        ..Default::default()
    };
    let en = builtin(&Language::english(), SurveyKind::Nps);
    let t = en.clone().with(&o);
    assert_eq!(t.intro, en.intro, "blank override ignored");
    assert_eq!(t.question, en.question);
    let e = invitation_email(
        &t,
        &branding("Acme"),
        &facts(Some("Kari"), SurveyKind::Nps, false),
    );
    assert_eq!(e.subject, "Kari, a word from Acme");
    let e = invitation_email(&t, &branding("Acme"), &facts(None, SurveyKind::Nps, false));
    assert_eq!(e.subject, "a word from Acme");
    assert_eq!(
        invitation_sms(&t, "Acme", "https://x/r/1", false),
        "Acme asks: https://x/r/1"
    );
    assert_eq!(
        invitation_sms(&t, "Acme", "https://x/r/1", true),
        "no link here https://x/r/1"
    );
}

#[test]
fn finnish_never_inflects_the_company() {
    let company = "Kahvila Oy";
    let fi = Language::new("fi").unwrap();
    for &kind in SurveyKind::ALL {
        let t = builtin(&fi, kind);
        let mut parts = Vec::new();
        for reminder in [false, true] {
            let e = invitation_email(&t, &branding(company), &facts(None, kind, reminder));
            parts.extend([e.subject, e.text]);
            parts.push(invitation_sms(&t, company, "https://x/r/1", reminder));
        }
        parts.push(unsubscribed_notice(&fi, company).body);
        for part in parts {
            for (i, _) in part.match_indices(company) {
                let next = part[i + company.len()..].chars().next();
                assert!(
                    next.is_none_or(|c| !c.is_alphanumeric() && c != '\''),
                    "inflected: {part}"
                );
            }
        }
    }
}

#[test]
fn a_subject_is_one_line_and_an_sms_has_its_link() {
    let ok = InvitationTextOverrides {
        subject: Some("How are we doing, {name}?".into()),
        intro: Some("Two lines\nare fine here.".into()),
        sms: Some("Answer here: {link}".into()),
        ..Default::default()
    };
    assert_eq!(ok.check(), Ok(()));
    let refused = |o: InvitationTextOverrides| o.check().unwrap_err().into_message();
    assert_eq!(
        refused(InvitationTextOverrides {
            reminder_subject: Some("Hi\r\nBcc: someone@example.com".into()),
            ..Default::default()
        }),
        "reminder_subject must not contain control characters (found U+000D)"
    );
    assert!(refused(InvitationTextOverrides {
        sms_reminder: Some("Answer soon".into()),
        ..Default::default()
    })
    .contains("{link}"));
    assert!(refused(InvitationTextOverrides {
        footer: Some(" ".into()),
        ..Default::default()
    })
    .starts_with("footer must be between 1 and 2000 characters"));
}
