//! Telling a case's assignee that the customer replied, in the workspace's language.

use super::{catalog, Body, EmailContent};
use crate::Language;

/// What the reply alert says.
pub struct ReplyFacts<'a> {
    pub case_id: i64,
    /// The customer's address.
    pub from: &'a str,
    /// The reply, without the quoted earlier message.
    pub excerpt: &'a str,
    pub case_url: &'a str,
    /// The reply reopened the resolved case.
    pub reopened: bool,
}

/// (language, subject, intro, reopened, open the case)
type ReplyTexts = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const TEXTS: [ReplyTexts; 7] = [
    (
        "en",
        "Case #{case}: the customer replied",
        "{from} replied on case #{case}:",
        "The case was resolved; the reply has reopened it.",
        "Open the case",
    ),
    (
        "nb",
        "Sak #{case}: kunden har svart",
        "{from} har svart i sak #{case}:",
        "Saken var løst; svaret har åpnet den igjen.",
        "Åpne saken",
    ),
    (
        "sv",
        "Ärende #{case}: kunden har svarat",
        "{from} har svarat i ärende #{case}:",
        "Ärendet var löst; svaret har öppnat det igen.",
        "Öppna ärendet",
    ),
    (
        "da",
        "Sag #{case}: kunden har svaret",
        "{from} har svaret i sag #{case}:",
        "Sagen var løst; svaret har genåbnet den.",
        "Åbn sagen",
    ),
    (
        "fi",
        "Tapaus #{case}: asiakas vastasi",
        "{from} vastasi tapaukseen #{case}:",
        "Tapaus oli ratkaistu; vastaus avasi sen uudelleen.",
        "Avaa tapaus",
    ),
    (
        "de",
        "Fall #{case}: der Kunde hat geantwortet",
        "{from} hat im Fall #{case} geantwortet:",
        "Der Fall war gelöst; die Antwort hat ihn wieder geöffnet.",
        "Fall öffnen",
    ),
    (
        "nl",
        "Zaak #{case}: de klant heeft geantwoord",
        "{from} heeft gereageerd op zaak #{case}:",
        "De zaak was opgelost; het antwoord heeft hem heropend.",
        "Zaak openen",
    ),
];

/// The longest part of the reply the alert quotes; the case shows all of it.
const EXCERPT_CHARS: usize = 1000;

/// Tells the assignee that the customer of a case replied, quoting the reply.
pub fn customer_replied(lang: &Language, f: &ReplyFacts) -> EmailContent {
    let c = catalog(lang);
    let (_, subject, intro, reopened, open) = TEXTS
        .into_iter()
        .find(|t| t.0 == c.lang)
        .unwrap_or(TEXTS[0]);
    let case = f.case_id.to_string();
    let mut excerpt: String = f.excerpt.chars().take(EXCERPT_CHARS).collect();
    if f.excerpt.chars().count() > EXCERPT_CHARS {
        excerpt.push('…');
    }
    let values = [("case", case.as_str()), ("from", f.from)];
    let mut body = Body::new(c);
    body.para(intro, &values);
    body.para("{reply}", &[("reply", &excerpt)]);
    if f.reopened {
        body.para(reopened, &values);
    }
    body.links(&[(open, f.case_url)]);
    body.finish(super::fill(subject, &values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(reopened: bool) -> ReplyFacts<'static> {
        ReplyFacts {
            case_id: 7,
            from: "kari@example.no",
            excerpt: "Takk, <b>det</b> hjalp.",
            case_url: "https://advocate.example/cases/7",
            reopened,
        }
    }

    #[test]
    fn quotes_the_reply_escaped_in_html_and_says_when_it_reopened_the_case() {
        let nb = Language::new("nb").unwrap();
        let m = customer_replied(&nb, &facts(true));
        assert_eq!(m.subject, "Sak #7: kunden har svart");
        assert!(m.text.contains("Takk, <b>det</b> hjalp."));
        assert!(m.html.contains("Takk, &lt;b&gt;det&lt;/b&gt; hjalp."));
        assert!(m.text.contains("åpnet den igjen"));
        assert!(m.text.contains("https://advocate.example/cases/7"));
        let m = customer_replied(&nb, &facts(false));
        assert!(!m.text.contains("åpnet den igjen"));
    }

    #[test]
    fn every_language_has_its_texts_and_others_fall_back_to_english() {
        for code in crate::i18n::SUPPORTED {
            let m = customer_replied(&Language::new(code).unwrap(), &facts(true));
            assert!(m.subject.contains("#7"), "{code}: {}", m.subject);
            assert!(!m.text.contains('{'), "{code}: {}", m.text);
        }
        let m = customer_replied(&Language::new("pt").unwrap(), &facts(false));
        assert_eq!(m.subject, "Case #7: the customer replied");
    }
}
