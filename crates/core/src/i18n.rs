//! The built-in texts of a survey in every language Advocate ships, and choosing a
//! respondent's language. Workspaces may override any text per survey and language.

use crate::labels::{Language, SurveyKind};
use serde::{Deserialize, Serialize};

/// Languages with built-in texts, in the order they are offered.
pub const SUPPORTED: [&str; 7] = ["en", "nb", "sv", "da", "fi", "de", "nl"];

/// Every text a respondent sees. `{company}` in the question is replaced by the
/// workspace's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyTexts {
    pub question: String,
    pub low_label: String,
    pub high_label: String,
    pub follow_up_promoter: String,
    pub follow_up_passive: String,
    pub follow_up_detractor: String,
    pub comment_placeholder: String,
    pub your_score: String,
    pub submit: String,
    pub thanks_title: String,
    pub thanks_body: String,
}

/// A workspace's overrides for one language: any text left out keeps the built-in one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextOverrides {
    pub question: Option<String>,
    pub follow_up_promoter: Option<String>,
    pub follow_up_passive: Option<String>,
    pub follow_up_detractor: Option<String>,
    pub thanks_title: Option<String>,
    pub thanks_body: Option<String>,
}

struct Builtin {
    lang: &'static str,
    nps: &'static str,
    enps: &'static str,
    csat: &'static str,
    likely: [&'static str; 2],
    satisfied: [&'static str; 2],
    promoter: &'static str,
    passive: &'static str,
    detractor: &'static str,
    placeholder: &'static str,
    your_score: &'static str,
    submit: &'static str,
    thanks: [&'static str; 2],
}

const BUILTIN: [Builtin; 7] = [
    Builtin {
        lang: "en",
        nps: "How likely are you to recommend {company} to a friend or colleague?",
        enps: "How likely are you to recommend {company} as a place to work?",
        csat: "How satisfied are you with {company}?",
        likely: ["Not at all likely", "Extremely likely"],
        satisfied: ["Very dissatisfied", "Very satisfied"],
        promoter: "Great to hear! What do you like most about us?",
        passive: "Thank you! What would make you give us a 9 or 10?",
        detractor: "We're sorry we fell short. What should we do better?",
        placeholder: "Type your answer here (optional)",
        your_score: "Your score",
        submit: "Send",
        thanks: ["Thank you for your feedback!", "Your answer has been recorded. We read every comment."],
    },
    Builtin {
        lang: "nb",
        nps: "Hvor sannsynlig er det at du vil anbefale {company} til en venn eller kollega?",
        enps: "Hvor sannsynlig er det at du vil anbefale {company} som arbeidsplass?",
        csat: "Hvor fornøyd er du med {company}?",
        likely: ["Svært lite sannsynlig", "Svært sannsynlig"],
        satisfied: ["Svært misfornøyd", "Svært fornøyd"],
        promoter: "Så hyggelig! Hva liker du best med oss?",
        passive: "Takk! Hva skal til for at du gir oss 9 eller 10?",
        detractor: "Beklager at vi ikke levde opp til forventningene. Hva bør vi gjøre bedre?",
        placeholder: "Skriv svaret ditt her (valgfritt)",
        your_score: "Din vurdering",
        submit: "Send",
        thanks: ["Takk for tilbakemeldingen!", "Svaret ditt er registrert. Vi leser hver eneste kommentar."],
    },
    Builtin {
        lang: "sv",
        nps: "Hur troligt är det att du skulle rekommendera {company} till en vän eller kollega?",
        enps: "Hur troligt är det att du skulle rekommendera {company} som arbetsplats?",
        csat: "Hur nöjd är du med {company}?",
        likely: ["Inte alls troligt", "Mycket troligt"],
        satisfied: ["Mycket missnöjd", "Mycket nöjd"],
        promoter: "Vad roligt! Vad uppskattar du mest hos oss?",
        passive: "Tack! Vad skulle få dig att ge oss 9 eller 10?",
        detractor: "Vi beklagar att vi inte levde upp till dina förväntningar. Vad borde vi göra bättre?",
        placeholder: "Skriv ditt svar här (valfritt)",
        your_score: "Ditt betyg",
        submit: "Skicka",
        thanks: ["Tack för din feedback!", "Ditt svar är registrerat. Vi läser varje kommentar."],
    },
    Builtin {
        lang: "da",
        nps: "Hvor sandsynligt er det, at du vil anbefale {company} til en ven eller kollega?",
        enps: "Hvor sandsynligt er det, at du vil anbefale {company} som arbejdsplads?",
        csat: "Hvor tilfreds er du med {company}?",
        likely: ["Slet ikke sandsynligt", "Meget sandsynligt"],
        satisfied: ["Meget utilfreds", "Meget tilfreds"],
        promoter: "Hvor dejligt! Hvad kan du bedst lide ved os?",
        passive: "Tak! Hvad skal der til, for at du giver os 9 eller 10?",
        detractor: "Vi beklager, at vi ikke levede op til dine forventninger. Hvad bør vi gøre bedre?",
        placeholder: "Skriv dit svar her (valgfrit)",
        your_score: "Din vurdering",
        submit: "Send",
        thanks: ["Tak for din feedback!", "Dit svar er registreret. Vi læser hver eneste kommentar."],
    },
    Builtin {
        lang: "fi",
        nps: "Kuinka todennäköisesti suosittelisit yritystä {company} ystävällesi tai kollegallesi?",
        enps: "Kuinka todennäköisesti suosittelisit yritystä {company} työpaikkana?",
        csat: "Kuinka tyytyväinen olet yritykseen {company}?",
        likely: ["Erittäin epätodennäköisesti", "Erittäin todennäköisesti"],
        satisfied: ["Erittäin tyytymätön", "Erittäin tyytyväinen"],
        promoter: "Hienoa! Mistä pidät meissä eniten?",
        passive: "Kiitos! Mitä meidän pitäisi tehdä, jotta antaisit meille 9 tai 10?",
        detractor: "Olemme pahoillamme, ettemme vastanneet odotuksiasi. Mitä meidän pitäisi tehdä paremmin?",
        placeholder: "Kirjoita vastauksesi tähän (vapaaehtoinen)",
        your_score: "Arviosi",
        submit: "Lähetä",
        thanks: ["Kiitos palautteestasi!", "Vastauksesi on tallennettu. Luemme jokaisen kommentin."],
    },
    Builtin {
        lang: "de",
        nps: "Wie wahrscheinlich ist es, dass Sie {company} einem Freund oder Kollegen weiterempfehlen?",
        enps: "Wie wahrscheinlich ist es, dass Sie {company} als Arbeitgeber weiterempfehlen?",
        csat: "Wie zufrieden sind Sie mit {company}?",
        likely: ["Äußerst unwahrscheinlich", "Äußerst wahrscheinlich"],
        satisfied: ["Sehr unzufrieden", "Sehr zufrieden"],
        promoter: "Das freut uns! Was gefällt Ihnen am besten an uns?",
        passive: "Danke! Was müssten wir tun, damit Sie uns eine 9 oder 10 geben?",
        detractor: "Es tut uns leid, dass wir Ihre Erwartungen nicht erfüllt haben. Was sollten wir besser machen?",
        placeholder: "Ihre Antwort (freiwillig)",
        your_score: "Ihre Bewertung",
        submit: "Senden",
        thanks: ["Vielen Dank für Ihr Feedback!", "Ihre Antwort wurde gespeichert. Wir lesen jeden Kommentar."],
    },
    Builtin {
        lang: "nl",
        nps: "Hoe waarschijnlijk is het dat je {company} zou aanbevelen aan een vriend of collega?",
        enps: "Hoe waarschijnlijk is het dat je {company} zou aanbevelen als werkgever?",
        csat: "Hoe tevreden ben je over {company}?",
        likely: ["Zeer onwaarschijnlijk", "Zeer waarschijnlijk"],
        satisfied: ["Zeer ontevreden", "Zeer tevreden"],
        promoter: "Wat fijn! Wat vind je het beste aan ons?",
        passive: "Bedankt! Wat zou ervoor zorgen dat je ons een 9 of 10 geeft?",
        detractor: "Het spijt ons dat we niet aan je verwachtingen hebben voldaan. Wat kunnen we beter doen?",
        placeholder: "Typ hier je antwoord (optioneel)",
        your_score: "Jouw score",
        submit: "Versturen",
        thanks: ["Bedankt voor je feedback!", "Je antwoord is opgeslagen. We lezen elke reactie."],
    },
];

/// Whether Advocate ships texts for this language.
pub fn is_supported(lang: &Language) -> bool {
    SUPPORTED.contains(&lang.as_str())
}

/// What a respondent is told on the link of a paused or archived survey (title, body),
/// falling back to English for a language not shipped.
pub fn closed(lang: &Language) -> (&'static str, &'static str) {
    match lang.as_str() {
        "nb" => (
            "Denne undersøkelsen er stengt",
            "Takk for at du ville svare. Den tar ikke imot svar nå.",
        ),
        "sv" => (
            "Den här enkäten är stängd",
            "Tack för att du ville svara. Den tar inte emot svar nu.",
        ),
        "da" => (
            "Denne undersøgelse er lukket",
            "Tak fordi du ville svare. Den modtager ikke svar nu.",
        ),
        "fi" => (
            "Tämä kysely on suljettu",
            "Kiitos, että halusit vastata. Siihen ei voi nyt vastata.",
        ),
        "de" => (
            "Diese Umfrage ist geschlossen",
            "Danke, dass Sie antworten wollten. Sie nimmt derzeit keine Antworten an.",
        ),
        "nl" => (
            "Deze enquête is gesloten",
            "Bedankt dat je wilde antwoorden. Er kunnen nu geen antwoorden worden gegeven.",
        ),
        _ => (
            "This survey is closed",
            "Thank you for wanting to answer. It is not taking answers now.",
        ),
    }
}

/// The built-in texts for a language, falling back to English for one not shipped.
pub fn builtin(lang: &Language, kind: SurveyKind, company: &str) -> SurveyTexts {
    let b = BUILTIN
        .iter()
        .find(|b| b.lang == lang.as_str())
        .unwrap_or(&BUILTIN[0]);
    let (question, [low, high]) = match kind {
        SurveyKind::Nps => (b.nps, b.likely),
        SurveyKind::Enps => (b.enps, b.likely),
        SurveyKind::Csat => (b.csat, b.satisfied),
    };
    SurveyTexts {
        question: question.replace("{company}", company),
        low_label: low.into(),
        high_label: high.into(),
        follow_up_promoter: b.promoter.into(),
        follow_up_passive: b.passive.into(),
        follow_up_detractor: b.detractor.into(),
        comment_placeholder: b.placeholder.into(),
        your_score: b.your_score.into(),
        submit: b.submit.into(),
        thanks_title: b.thanks[0].into(),
        thanks_body: b.thanks[1].into(),
    }
}

impl SurveyTexts {
    /// Applies a workspace's overrides on top of these texts.
    pub fn with(mut self, o: &TextOverrides, company: &str) -> Self {
        let set = |slot: &mut String, v: &Option<String>| {
            if let Some(v) = v {
                *slot = v.replace("{company}", company);
            }
        };
        set(&mut self.question, &o.question);
        set(&mut self.follow_up_promoter, &o.follow_up_promoter);
        set(&mut self.follow_up_passive, &o.follow_up_passive);
        set(&mut self.follow_up_detractor, &o.follow_up_detractor);
        set(&mut self.thanks_title, &o.thanks_title);
        set(&mut self.thanks_body, &o.thanks_body);
        self
    }

    pub fn follow_up(&self, category: crate::Category) -> &str {
        match category {
            crate::Category::Promoter => &self.follow_up_promoter,
            crate::Category::Passive => &self.follow_up_passive,
            crate::Category::Detractor => &self.follow_up_detractor,
        }
    }
}

/// The supported language a browser prefers most, from an `Accept-Language` header.
pub fn negotiate(accept_language: &str) -> Option<Language> {
    let mut best: Option<(f32, Language)> = None;
    for item in accept_language.split(',') {
        let mut parts = item.trim().split(';');
        let Ok(lang) = Language::new(parts.next().unwrap_or_default().trim()) else {
            continue;
        };
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && is_supported(&lang) && best.as_ref().is_none_or(|(bq, _)| q > *bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_text() {
        for tag in SUPPORTED {
            let lang = Language::new(tag).unwrap();
            for kind in SurveyKind::ALL {
                let t = builtin(&lang, *kind, "Acme");
                assert!(t.question.contains("Acme"), "{tag} {kind}");
                for s in [
                    &t.low_label,
                    &t.follow_up_detractor,
                    &t.submit,
                    &t.thanks_title,
                ] {
                    assert!(!s.is_empty());
                }
            }
        }
        let de = builtin(&Language::new("de").unwrap(), SurveyKind::Nps, "Acme");
        assert!(de.question.starts_with("Wie wahrscheinlich"));
    }

    #[test]
    fn unknown_languages_fall_back_to_english() {
        let t = builtin(&Language::new("pt").unwrap(), SurveyKind::Nps, "Acme");
        assert_eq!(
            t.question,
            "How likely are you to recommend Acme to a friend or colleague?"
        );
    }

    #[test]
    fn every_shipped_language_says_a_survey_is_closed_in_its_own_words() {
        let english = closed(&Language::english());
        for lang in SUPPORTED.iter().skip(1) {
            assert_ne!(closed(&Language::new(lang).unwrap()), english, "{lang}");
        }
    }

    #[test]
    fn overrides_replace_only_what_they_name() {
        let o = TextOverrides {
            question: Some("Would you recommend {company}?".into()),
            ..Default::default()
        };
        let t = builtin(&Language::english(), SurveyKind::Nps, "Acme").with(&o, "Acme");
        assert_eq!(t.question, "Would you recommend Acme?");
        assert_eq!(t.submit, "Send");
    }

    #[test]
    fn negotiation_picks_the_most_preferred_supported_language() {
        let pick = |h| negotiate(h).map(|l| l.to_string());
        assert_eq!(pick("fr-FR, nb;q=0.8, en;q=0.5"), Some("nb".into()));
        assert_eq!(pick("en;q=0.2, sv-SE;q=0.9"), Some("sv".into()));
        assert_eq!(pick("no"), Some("nb".into()));
        assert_eq!(pick("fr, pt;q=0.5"), None);
        assert_eq!(pick("de;q=0"), None);
    }
}
