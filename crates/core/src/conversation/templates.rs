//! The built-in messages an agent starts from when writing to a customer from a case, one
//! per playbook band (PRODUCT.md §3) in every language Advocate ships. The agent edits the
//! text before it is sent; workspaces may keep their own versions, checked by [`check`].
//!
//! Placeholders are filled in one pass ([`crate::messages`]' rule), so a customer's comment
//! holding `{company}` stays as written. A missing value never leaves a hole:
//! `{customer_name}` without a name is removed with the space before it ("Hello {customer_name},"
//! → "Hello,"), and a line holding `{comment}` is left out when there is no comment.
//! Unknown placeholders are left as they are, for the agent to see and fix.

use crate::messages::fill;
use serde::{Deserialize, Serialize};

/// Longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest body, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;
/// The placeholders [`render`] fills.
pub const PLACEHOLDERS: [&str; 5] = [
    "{customer_name}",
    "{score}",
    "{company}",
    "{agent_name}",
    "{comment}",
];

/// A message to a customer before or after its placeholders are filled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTemplate {
    pub subject: String,
    pub body: String,
}

/// What fills a template's placeholders.
#[derive(Debug, Clone, Copy)]
pub struct TemplateFacts<'a> {
    pub customer_name: Option<&'a str>,
    pub score: u8,
    pub company: &'a str,
    pub agent_name: &'a str,
    pub comment: Option<&'a str>,
}

/// One language's words. A band is (subject, opening paragraph, the ask).
struct Words {
    lang: &'static str,
    greeting: &'static str,
    you_wrote: &'static str,
    regards: &'static str,
    /// Scores 0–1, 2–4, 5, 6, 7–8, 9–10.
    bands: [(&'static str, &'static str, &'static str); 6],
    /// The follow-up for the playbooks' "explain what will change" step.
    changes: (&'static str, &'static str, &'static str),
}

const EN: Words = Words {
    lang: "en",
    greeting: "Hello {customer_name},",
    you_wrote: "You wrote: “{comment}”",
    regards: "Kind regards,",
    bands: [
        (
            "I am sorry – can we talk today?",
            "You gave us {score} out of 10, and I am truly sorry that we let you down.",
            "I would like to call you today to hear what happened and to put it right. Please reply with a phone number and a time that suits you.",
        ),
        (
            "We are sorry – we would like to hear more",
            "Thank you for your honest answer. I am sorry that your experience with {company} was not what it should have been.",
            "I would like to talk with you about what went wrong and what we can do about it. Just reply to this email, or let me know when it suits you to talk.",
        ),
        (
            "What went wrong? We are listening",
            "Thank you for your answer. A score of {score} tells us that something did not work as it should, and we want to understand what.",
            "Could you tell me a little more about what went wrong? Just reply to this email – I read every answer myself.",
        ),
        (
            "What would it take to get a higher score?",
            "Thank you for giving us a {score}. We are glad to have you with us, but we would like to do better.",
            "What would it take to get a higher score from you? Just reply to this email – every answer helps us improve.",
        ),
        (
            "What would make it a 9 or 10?",
            "Thank you for your answer – we are glad you are happy with {company}.",
            "What would make it a 9 or 10 for you? Just reply to this email; I would love to hear your thoughts.",
        ),
        (
            "Thank you from {company}",
            "Thank you so much for giving us a {score}! It means a lot to all of us at {company}.",
            "If there is ever anything we can do for you, just reply to this email.",
        ),
    ],
    changes: (
        "What we have changed after your feedback",
        "Thank you again for telling us what went wrong. Your answer led to a change: [describe what you have changed, or will change, and when].",
        "If anything is still not right, just reply to this email.",
    ),
};

const NB: Words = Words {
    lang: "nb",
    greeting: "Hei {customer_name},",
    you_wrote: "Du skrev: «{comment}»",
    regards: "Vennlig hilsen",
    bands: [
        (
            "Beklager – kan vi snakkes i dag?",
            "Du ga oss {score} av 10, og jeg beklager virkelig at vi har skuffet deg.",
            "Jeg vil gjerne ringe deg i dag for å høre hva som skjedde, og gjøre det godt igjen. Svar gjerne med et telefonnummer og et tidspunkt som passer for deg.",
        ),
        (
            "Beklager – vi vil gjerne høre mer",
            "Takk for et ærlig svar. Jeg beklager at opplevelsen din med {company} ikke var slik den burde vært.",
            "Jeg vil gjerne snakke med deg om hva som gikk galt, og hva vi kan gjøre med det. Bare svar på denne e-posten, eller si fra når det passer å ta en prat.",
        ),
        (
            "Hva gikk galt? Vi lytter",
            "Takk for svaret ditt. En score på {score} forteller oss at noe ikke fungerte som det skulle, og vi vil gjerne forstå hva.",
            "Kan du fortelle litt mer om hva som gikk galt? Bare svar på denne e-posten – jeg leser alle svarene selv.",
        ),
        (
            "Hva skal til for at vi får en høyere score?",
            "Takk for at du ga oss {score}. Vi setter pris på å ha deg som kunde, men vi vil gjerne bli bedre.",
            "Hva skal til for at du gir oss en høyere score? Bare svar på denne e-posten – alle svar hjelper oss å bli bedre.",
        ),
        (
            "Hva skal til for at det blir en 9 eller 10?",
            "Takk for svaret ditt – det gleder oss at du er fornøyd med {company}.",
            "Hva skal til for at det blir en 9 eller 10 for deg? Bare svar på denne e-posten, jeg vil gjerne høre hva du tenker.",
        ),
        (
            "Tusen takk fra {company}",
            "Tusen takk for at du ga oss {score}! Det betyr mye for oss alle i {company}.",
            "Hvis det er noe vi kan gjøre for deg, er det bare å svare på denne e-posten.",
        ),
    ],
    changes: (
        "Dette har vi endret etter tilbakemeldingen din",
        "Takk igjen for at du fortalte oss hva som gikk galt. Svaret ditt har ført til en endring: [beskriv hva dere har endret eller vil endre, og når].",
        "Hvis noe fortsatt ikke er som det skal, er det bare å svare på denne e-posten.",
    ),
};

const SV: Words = Words {
    lang: "sv",
    greeting: "Hej {customer_name},",
    you_wrote: "Du skrev: ”{comment}”",
    regards: "Vänliga hälsningar",
    bands: [
        (
            "Vi ber om ursäkt – kan vi prata i dag?",
            "Du gav oss {score} av 10, och jag ber verkligen om ursäkt för att vi har gjort dig besviken.",
            "Jag skulle vilja ringa dig i dag för att höra vad som hände och ställa det till rätta. Svara gärna med ett telefonnummer och en tid som passar dig.",
        ),
        (
            "Vi ber om ursäkt – vi vill gärna höra mer",
            "Tack för ditt ärliga svar. Jag beklagar att din upplevelse av {company} inte blev som den borde.",
            "Jag skulle gärna vilja prata med dig om vad som gick fel och vad vi kan göra åt det. Svara bara på det här mejlet, eller berätta när det passar dig att prata.",
        ),
        (
            "Vad gick fel? Vi lyssnar",
            "Tack för ditt svar. Betyget {score} säger oss att något inte fungerade som det skulle, och vi vill förstå vad.",
            "Kan du berätta lite mer om vad som gick fel? Svara bara på det här mejlet – jag läser alla svar själv.",
        ),
        (
            "Vad skulle krävas för ett högre betyg?",
            "Tack för att du gav oss {score}. Vi är glada att ha dig som kund, men vi vill bli bättre.",
            "Vad skulle krävas för att du ska ge oss ett högre betyg? Svara bara på det här mejlet – varje svar hjälper oss att bli bättre.",
        ),
        (
            "Vad skulle göra det till en 9 eller 10?",
            "Tack för ditt svar – vi är glada att du är nöjd med {company}.",
            "Vad skulle göra det till en 9 eller 10 för dig? Svara bara på det här mejlet, jag vill gärna höra vad du tycker.",
        ),
        (
            "Tack från {company}",
            "Stort tack för att du gav oss {score}! Det betyder mycket för oss alla på {company}.",
            "Om det finns något vi kan göra för dig är det bara att svara på det här mejlet.",
        ),
    ],
    changes: (
        "Det här har vi ändrat efter din återkoppling",
        "Tack igen för att du berättade vad som gick fel. Ditt svar har lett till en förändring: [beskriv vad ni har ändrat eller kommer att ändra, och när].",
        "Om något fortfarande inte är som det ska, svara bara på det här mejlet.",
    ),
};

const DA: Words = Words {
    lang: "da",
    greeting: "Hej {customer_name},",
    you_wrote: "Du skrev: »{comment}«",
    regards: "Venlig hilsen",
    bands: [
        (
            "Undskyld – kan vi tale sammen i dag?",
            "Du gav os {score} ud af 10, og jeg er oprigtigt ked af, at vi har skuffet dig.",
            "Jeg vil gerne ringe til dig i dag for at høre, hvad der skete, og gøre det godt igen. Svar gerne med et telefonnummer og et tidspunkt, der passer dig.",
        ),
        (
            "Vi beklager – vi vil gerne høre mere",
            "Tak for dit ærlige svar. Jeg beklager, at din oplevelse med {company} ikke var, som den burde være.",
            "Jeg vil gerne tale med dig om, hvad der gik galt, og hvad vi kan gøre ved det. Svar blot på denne e-mail, eller fortæl mig, hvornår det passer dig at tale sammen.",
        ),
        (
            "Hvad gik galt? Vi lytter",
            "Tak for dit svar. En score på {score} fortæller os, at noget ikke fungerede, som det skulle, og vi vil gerne forstå hvad.",
            "Vil du fortælle lidt mere om, hvad der gik galt? Svar blot på denne e-mail – jeg læser selv alle svar.",
        ),
        (
            "Hvad skal der til for at få en højere score?",
            "Tak, fordi du gav os {score}. Vi er glade for at have dig som kunde, men vi vil gerne blive bedre.",
            "Hvad skal der til, for at du giver os en højere score? Svar blot på denne e-mail – alle svar hjælper os med at blive bedre.",
        ),
        (
            "Hvad skal der til for en 9 eller 10?",
            "Tak for dit svar – vi er glade for, at du er tilfreds med {company}.",
            "Hvad skal der til, for at det bliver en 9 eller 10 for dig? Svar blot på denne e-mail – jeg vil meget gerne høre, hvad du tænker.",
        ),
        (
            "Tak fra {company}",
            "Tusind tak, fordi du gav os {score}! Det betyder meget for os alle hos {company}.",
            "Hvis der er noget, vi kan gøre for dig, skal du bare svare på denne e-mail.",
        ),
    ],
    changes: (
        "Det har vi ændret efter din tilbagemelding",
        "Tak igen, fordi du fortalte os, hvad der gik galt. Dit svar har ført til en ændring: [beskriv, hvad I har ændret eller vil ændre, og hvornår].",
        "Hvis noget stadig ikke er, som det skal være, så svar blot på denne e-mail.",
    ),
};

// Finnish never inflects the company's name: it follows an inflected "yritys".
const FI: Words = Words {
    lang: "fi",
    greeting: "Hei {customer_name},",
    you_wrote: "Kirjoitit: ”{comment}”",
    regards: "Ystävällisin terveisin",
    bands: [
        (
            "Pahoittelemme – voisimmeko puhua tänään?",
            "Annoit meille arvosanan {score} asteikolla 0–10, ja olen todella pahoillani, että tuotimme sinulle pettymyksen.",
            "Haluaisin soittaa sinulle vielä tänään, jotta kuulen, mitä tapahtui, ja voimme korjata asian. Vastaa tähän viestiin ja kerro puhelinnumero sekä aika, joka sopii sinulle.",
        ),
        (
            "Pahoittelemme – haluaisimme kuulla lisää",
            "Kiitos rehellisestä vastauksestasi. Olen pahoillani, ettei kokemuksesi yrityksestä {company} ollut sellainen kuin sen olisi pitänyt olla.",
            "Haluaisin keskustella kanssasi siitä, mikä meni pieleen ja mitä voimme asialle tehdä. Vastaa tähän sähköpostiin tai kerro, milloin sinulle sopisi jutella.",
        ),
        (
            "Mikä meni pieleen? Kuuntelemme",
            "Kiitos vastauksestasi. Arvosana {score} kertoo meille, että jokin ei toiminut niin kuin piti, ja haluamme ymmärtää, mikä.",
            "Voisitko kertoa hieman tarkemmin, mikä meni pieleen? Vastaa vain tähän sähköpostiin – luen itse jokaisen vastauksen.",
        ),
        (
            "Mitä tarvittaisiin paremman arvosanan saamiseksi?",
            "Kiitos, että annoit meille arvosanan {score}. Olemme iloisia, että olet asiakkaamme, mutta haluamme onnistua vielä paremmin.",
            "Mitä meidän pitäisi tehdä, jotta antaisit meille paremman arvosanan? Vastaa vain tähän sähköpostiin – jokainen vastaus auttaa meitä kehittymään.",
        ),
        (
            "Mitä tarvittaisiin arvosanaan 9 tai 10?",
            "Kiitos vastauksestasi – on hienoa, että olet tyytyväinen yritykseen {company}.",
            "Mitä tarvittaisiin, jotta antaisit meille 9 tai 10? Vastaa vain tähän sähköpostiin, kuulisin mielelläni ajatuksiasi.",
        ),
        (
            "Kiitos arviostasi – {company}",
            "Lämmin kiitos arvosanasta {score}! Se merkitsee meille kaikille todella paljon.",
            "Jos voimme joskus auttaa sinua jossakin, vastaa vain tähän sähköpostiin.",
        ),
    ],
    changes: (
        "Näin muutimme toimintaamme palautteesi jälkeen",
        "Kiitos vielä, että kerroit meille, mikä meni vikaan. Vastauksesi johti muutokseen: [kerro, mitä olette muuttaneet tai muutatte ja milloin].",
        "Jos jokin ei vieläkään ole kunnossa, vastaa vain tähän sähköpostiin.",
    ),
};

const DE: Words = Words {
    lang: "de",
    greeting: "Guten Tag {customer_name},",
    you_wrote: "Sie schrieben: „{comment}“",
    regards: "Mit freundlichen Grüßen",
    bands: [
        (
            "Es tut uns leid – können wir heute sprechen?",
            "Sie haben uns mit {score} von 10 bewertet, und es tut mir aufrichtig leid, dass wir Sie enttäuscht haben.",
            "Ich würde Sie gern noch heute anrufen, um zu hören, was passiert ist, und es wiedergutzumachen. Antworten Sie gern mit einer Telefonnummer und einer Uhrzeit, die Ihnen passt.",
        ),
        (
            "Es tut uns leid – wir möchten mehr erfahren",
            "Vielen Dank für Ihre ehrliche Antwort. Es tut mir leid, dass Ihre Erfahrung mit {company} nicht so war, wie sie hätte sein sollen.",
            "Ich würde gern mit Ihnen darüber sprechen, was schiefgelaufen ist und was wir tun können. Antworten Sie einfach auf diese E-Mail oder teilen Sie mir mit, wann ein Gespräch für Sie passt.",
        ),
        (
            "Was ist schiefgelaufen? Wir hören zu",
            "Vielen Dank für Ihre Antwort. Eine Bewertung von {score} zeigt uns, dass etwas nicht so funktioniert hat, wie es sollte, und wir möchten verstehen, was.",
            "Möchten Sie mir etwas mehr darüber erzählen, was schiefgelaufen ist? Antworten Sie einfach auf diese E-Mail – ich lese jede Antwort persönlich.",
        ),
        (
            "Was bräuchte es für eine bessere Bewertung?",
            "Vielen Dank für Ihre Bewertung mit {score}. Wir freuen uns über Ihr Vertrauen, möchten aber noch besser werden.",
            "Was müssten wir tun, damit Sie uns besser bewerten? Antworten Sie einfach auf diese E-Mail – jede Antwort hilft uns weiter.",
        ),
        (
            "Was würde daraus eine 9 oder 10 machen?",
            "Vielen Dank für Ihre Antwort – es freut uns, dass Sie mit {company} zufrieden sind.",
            "Was würde daraus für Sie eine 9 oder 10 machen? Antworten Sie einfach auf diese E-Mail – ich freue mich auf Ihre Gedanken.",
        ),
        (
            "Vielen Dank von {company}",
            "Herzlichen Dank für Ihre Bewertung mit {score}! Das bedeutet uns allen bei {company} sehr viel.",
            "Wenn wir einmal etwas für Sie tun können, antworten Sie einfach auf diese E-Mail.",
        ),
    ],
    changes: (
        "Das haben wir nach Ihrer Rückmeldung geändert",
        "Nochmals vielen Dank, dass Sie uns gesagt haben, was schiefgelaufen ist. Ihre Antwort hat zu einer Änderung geführt: [beschreiben Sie, was Sie geändert haben oder ändern werden, und wann].",
        "Wenn noch etwas nicht stimmt, antworten Sie einfach auf diese E-Mail.",
    ),
};

const NL: Words = Words {
    lang: "nl",
    greeting: "Goedendag {customer_name},",
    you_wrote: "U schreef: ‘{comment}’",
    regards: "Met vriendelijke groet,",
    bands: [
        (
            "Het spijt ons – kunnen we vandaag spreken?",
            "U gaf ons een {score} op een schaal van 0 tot 10, en het spijt me oprecht dat we u hebben teleurgesteld.",
            "Ik wil u graag vandaag nog bellen om te horen wat er is gebeurd en het goed te maken. Antwoord gerust met een telefoonnummer en een tijdstip dat u goed uitkomt.",
        ),
        (
            "Excuses – we horen graag meer",
            "Bedankt voor uw eerlijke antwoord. Het spijt me dat uw ervaring met {company} niet was zoals die had moeten zijn.",
            "Ik praat graag met u over wat er misging en wat we eraan kunnen doen. Beantwoord gewoon deze e-mail, of laat me weten wanneer het u uitkomt om even te bellen.",
        ),
        (
            "Wat ging er mis? We luisteren",
            "Bedankt voor uw antwoord. Een {score} vertelt ons dat er iets niet ging zoals het hoorde, en we willen graag begrijpen wat.",
            "Wilt u mij iets meer vertellen over wat er misging? Beantwoord gewoon deze e-mail – ik lees elk antwoord zelf.",
        ),
        (
            "Wat is er nodig voor een hogere score?",
            "Bedankt voor de {score} die u ons gaf. We zijn blij dat u klant bij ons bent, maar we willen het graag nog beter doen.",
            "Wat zou ervoor nodig zijn om een hogere score van u te krijgen? Beantwoord gewoon deze e-mail – elk antwoord helpt ons verder.",
        ),
        (
            "Wat zou er een 9 of 10 van maken?",
            "Bedankt voor uw antwoord – fijn dat u tevreden bent over {company}.",
            "Wat zou er voor u een 9 of 10 van maken? Beantwoord gewoon deze e-mail; ik hoor graag wat u ervan vindt.",
        ),
        (
            "Hartelijk dank van {company}",
            "Hartelijk dank voor de {score} die u ons gaf! Dat betekent veel voor ons allemaal bij {company}.",
            "Kunnen we ooit iets voor u doen, beantwoord dan gewoon deze e-mail.",
        ),
    ],
    changes: (
        "Dit hebben we veranderd na uw feedback",
        "Nogmaals bedankt dat u ons vertelde wat er misging. Uw antwoord heeft tot een verandering geleid: [beschrijf wat u hebt veranderd of gaat veranderen, en wanneer].",
        "Is er nog iets niet in orde, beantwoord dan gewoon deze e-mail.",
    ),
};

const ALL: [&Words; 7] = [&EN, &NB, &SV, &DA, &FI, &DE, &NL];

/// The built-in template for a score in a language (one of [`crate::i18n::SUPPORTED`];
/// any other language gets English). Scores above 10 are treated as 10.
pub fn default_template(score: u8, language: &str) -> MessageTemplate {
    let words = ALL.into_iter().find(|w| w.lang == language).unwrap_or(&EN);
    let band = match score {
        0 | 1 => 0,
        2..=4 => 1,
        5 => 2,
        6 => 3,
        7 | 8 => 4,
        _ => 5,
    };
    letter(words, words.bands[band])
}

/// The built-in playbook steps that tell the customer what will change.
const EXPLAIN_STEPS: [&str; 3] = [
    "Explain what will change so it does not happen again",
    "Explain what will change",
    "Explain the changes that are planned",
];

/// The built-in template for one playbook step, where Advocate has one: a follow-up that
/// tells the customer what changed, for the built-in "explain what will change" steps.
/// Other steps start from the score's template ([`default_template`]).
pub fn default_step_template(step: &str, language: &str) -> Option<MessageTemplate> {
    if !EXPLAIN_STEPS.contains(&step.trim()) {
        return None;
    }
    let words = ALL.into_iter().find(|w| w.lang == language).unwrap_or(&EN);
    Some(letter(words, words.changes))
}

fn letter(words: &Words, (subject, opening, ask): (&str, &str, &str)) -> MessageTemplate {
    MessageTemplate {
        subject: subject.to_owned(),
        body: format!(
            "{}\n\n{opening}\n{}\n\n{ask}\n\n{}\n{{agent_name}}, {{company}}",
            words.greeting, words.you_wrote, words.regards
        ),
    }
}

/// Fills the placeholders (see the module's note for missing values); unknown ones are
/// left as they are.
pub fn render(t: &MessageTemplate, facts: &TemplateFacts) -> MessageTemplate {
    let score = facts.score.to_string();
    let name = facts.customer_name.map(str::trim).filter(|n| !n.is_empty());
    let comment = facts.comment.map(str::trim).filter(|c| !c.is_empty());
    let values = [
        ("customer_name", name.unwrap_or("")),
        ("score", score.as_str()),
        ("company", facts.company),
        ("agent_name", facts.agent_name),
        ("comment", comment.unwrap_or("")),
    ];
    let fill_all = |text: &str| {
        let mut text = text.to_owned();
        if name.is_none() {
            text = text.replace(" {customer_name}", "");
        }
        if comment.is_none() {
            text = without_lines_holding(&text, "{comment}");
        }
        fill(&text, &values)
    };
    MessageTemplate {
        subject: fill_all(&t.subject),
        body: fill_all(&t.body),
    }
}

/// `text` without the lines that contain `needle`.
fn without_lines_holding(text: &str, needle: &str) -> String {
    if !text.contains(needle) {
        return text.to_owned();
    }
    text.split_inclusive('\n')
        .filter(|line| !line.contains(needle))
        .collect()
}

/// Checks an edited template: a subject of one line, 1–200 characters; a body of
/// 1–10,000 characters; no control characters but line breaks and tabs in the body.
/// The error is a phrase ("subject is empty").
pub fn check(t: &MessageTemplate) -> Result<(), String> {
    if t.subject.trim().is_empty() {
        return Err("subject is empty".into());
    }
    if t.subject.contains(['\n', '\r']) {
        return Err("subject must be one line".into());
    }
    let subject_chars = t.subject.chars().count();
    if subject_chars > MAX_SUBJECT_CHARS {
        return Err(format!(
            "subject is {subject_chars} characters long; at most {MAX_SUBJECT_CHARS} are allowed"
        ));
    }
    crate::text::check_line(&t.subject).map_err(|e| format!("subject {e}"))?;
    if t.body.trim().is_empty() {
        return Err("body is empty".into());
    }
    let body_chars = t.body.chars().count();
    if body_chars > MAX_BODY_CHARS {
        return Err(format!(
            "body is {body_chars} characters long; at most {MAX_BODY_CHARS} are allowed"
        ));
    }
    crate::text::check(&t.body).map_err(|e| format!("body {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::SUPPORTED;

    fn facts<'a>(name: Option<&'a str>, comment: Option<&'a str>, score: u8) -> TemplateFacts<'a> {
        TemplateFacts {
            customer_name: name,
            score,
            company: "Acme",
            agent_name: "Kari Nordmann",
            comment,
        }
    }

    #[test]
    fn every_language_and_score_renders_completely() {
        for lang in SUPPORTED {
            for score in 0..=10 {
                let t = default_template(score, lang);
                assert_eq!(check(&t), Ok(()), "{lang} {score}");
                for (name, comment) in [(Some("Anna"), Some("Slow delivery")), (None, None)] {
                    let r = render(&t, &facts(name, comment, score));
                    for p in PLACEHOLDERS {
                        assert!(!r.subject.contains(p), "{lang} {score}: {}", r.subject);
                        assert!(!r.body.contains(p), "{lang} {score}: {}", r.body);
                    }
                    assert!(!r.body.contains('{'), "{lang} {score}: {}", r.body);
                    assert!(
                        r.body.ends_with("Kari Nordmann, Acme"),
                        "{lang} {score}: signed by the agent"
                    );
                    assert_eq!(check(&r), Ok(()), "{lang} {score}");
                    let lines = r.body.lines().filter(|l| !l.is_empty()).count();
                    assert!((4..=8).contains(&lines), "{lang} {score}: {lines} lines");
                }
            }
        }
    }

    #[test]
    fn the_explain_steps_of_the_built_in_playbooks_have_a_follow_up() {
        use crate::playbook::default_playbook;
        use crate::Score;
        for score in 0..=6 {
            let steps = default_playbook(Score::new(score).unwrap()).steps;
            let with_own: Vec<_> = steps
                .iter()
                .filter(|s| default_step_template(s, "en").is_some())
                .collect();
            assert_eq!(with_own.len(), 1, "score {score}: {with_own:?}");
        }
        for lang in SUPPORTED {
            let t = default_step_template("Explain what will change", lang).unwrap();
            assert_eq!(check(&t), Ok(()), "{lang}");
            assert_ne!(t.subject, default_template(3, lang).subject, "{lang}");
            let r = render(&t, &facts(Some("Anna"), None, 3));
            assert!(!r.body.contains("{"), "{lang}: {}", r.body);
        }
        assert_eq!(default_step_template("Apologise", "en"), None);
    }

    #[test]
    fn bands_follow_the_playbooks() {
        let subject = |score| default_template(score, "en").subject;
        assert_eq!(subject(0), subject(1));
        assert_ne!(subject(1), subject(2));
        assert_eq!(subject(2), subject(4));
        assert_ne!(subject(4), subject(5));
        assert_ne!(subject(5), subject(6));
        assert_eq!(subject(7), subject(8));
        assert_eq!(subject(9), subject(10));
        assert!(default_template(0, "en").body.contains("call you today"));
        assert!(default_template(6, "en")
            .body
            .contains("What would it take to get a higher score"));
        assert!(default_template(8, "en").body.contains("a 9 or 10"));
        assert!(default_template(10, "en").body.contains("Thank you"));
        for lang in SUPPORTED {
            let bands: std::collections::HashSet<_> = [0, 3, 5, 6, 7, 9]
                .into_iter()
                .map(|s| default_template(s, lang).body)
                .collect();
            assert_eq!(bands.len(), 6, "{lang}: six different messages");
        }
    }

    #[test]
    fn other_languages_fall_back_to_english() {
        assert_eq!(default_template(3, "fr"), default_template(3, "en"));
        assert_eq!(default_template(3, ""), default_template(3, "en"));
        assert_ne!(default_template(3, "de"), default_template(3, "en"));
    }

    #[test]
    fn renders_with_name_and_comment() {
        let r = render(
            &default_template(0, "en"),
            &facts(Some("Anna"), Some("  The parcel never came  "), 0),
        );
        assert_eq!(r.subject, "I am sorry – can we talk today?");
        assert!(r.body.starts_with("Hello Anna,\n\n"), "{}", r.body);
        assert!(r.body.contains("You gave us 0 out of 10"));
        assert!(r.body.contains("You wrote: “The parcel never came”\n"));
        assert!(r.body.ends_with("Kind regards,\nKari Nordmann, Acme"));
    }

    #[test]
    fn renders_without_name_or_comment() {
        let r = render(&default_template(7, "de"), &facts(None, None, 7));
        assert!(r.body.starts_with("Guten Tag,\n\n"), "{}", r.body);
        assert!(!r.body.contains("Sie schrieben"), "{}", r.body);
        assert!(!r.body.contains("\n\n\n"), "no hole where the comment was");
        let blank = render(&default_template(7, "de"), &facts(Some("  "), Some(""), 7));
        assert_eq!(blank, r, "blank values count as missing");
    }

    #[test]
    fn values_are_filled_once_and_unknown_placeholders_stay() {
        let t = MessageTemplate {
            subject: "{company}: {unknown}".into(),
            body: "Dear {customer_name}, {comment} {score}".into(),
        };
        let r = render(
            &t,
            &facts(Some("{company}"), Some("I said {agent_name}"), 4),
        );
        assert_eq!(r.subject, "Acme: {unknown}");
        assert_eq!(r.body, "Dear {company}, I said {agent_name} 4");
    }

    #[test]
    fn check_refuses_bad_templates() {
        let ok = MessageTemplate {
            subject: "Hi".into(),
            body: "Text".into(),
        };
        assert_eq!(check(&ok), Ok(()));
        let with = |subject: &str, body: &str| MessageTemplate {
            subject: subject.into(),
            body: body.into(),
        };
        let cases = [
            (with("", "x"), "subject is empty"),
            (with("  ", "x"), "subject is empty"),
            (with("a\nb", "x"), "one line"),
            (with(&"é".repeat(201), "x"), "at most 200"),
            (
                with("a\u{7}", "x"),
                "subject must not contain control characters",
            ),
            (with("x", " \n "), "body is empty"),
            (with("x", &"a".repeat(10_001)), "at most 10000"),
            (
                with("x", "a\0b"),
                "body must not contain control characters",
            ),
        ];
        for (t, expected) in cases {
            let err = check(&t).unwrap_err();
            assert!(err.contains(expected), "{t:?}: {err}");
        }
        assert_eq!(check(&with(&"é".repeat(200), &"a".repeat(10_000))), Ok(()));
    }
}
