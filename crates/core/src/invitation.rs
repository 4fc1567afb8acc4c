//! Invitations to answer a survey, in the customer's language: an email with the whole
//! scale inside (every number a link that answers at once) and a short SMS with a link.
//!
//! The question and the scale's end labels are the survey page's own (see
//! [`crate::i18n`]), so the email asks exactly what the page asks. Workspaces may reword
//! any text per language ([`InvitationTextOverrides`]). Templates name their values —
//! `{company}`, `{name}` and, in SMS texts, `{link}` — and are filled in one pass, so a
//! value that itself contains `{name}` is never expanded again. Finnish never inflects the
//! company: it follows an inflected "yritys", a colon, or stands as the subject.
//!
//! The email itself, as plain text and HTML, is written in `invitation/email.rs`.

use crate::i18n;
use crate::labels::{Language, SurveyKind};
use crate::messages::fill;
use serde::{Deserialize, Serialize};

mod email;
pub use email::invitation_email;

/// Every text of an invitation, as templates with `{company}`, `{name}` and `{link}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationTexts {
    /// The language these texts are written in (the HTML part declares it).
    pub lang: String,
    pub subject: String,
    /// "Hello {name},"; without a name the placeholder is dropped ("Hello,").
    pub greeting: String,
    pub intro: String,
    /// "How likely are you to recommend {company} to a friend or colleague?"
    pub question: String,
    pub low_label: String,
    pub high_label: String,
    /// Why the recipient gets this email.
    pub footer: String,
    /// The unsubscribe link's text.
    pub unsubscribe: String,
    pub reminder_subject: String,
    pub reminder_intro: String,
    /// "{company}: how likely …? Answer here: {link}"
    pub sms: String,
    pub sms_reminder: String,
    /// The link under the scale to the survey page.
    pub open_survey: String,
}

/// A workspace's wording for one language: any text left out keeps the built-in one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationTextOverrides {
    pub subject: Option<String>,
    pub greeting: Option<String>,
    pub intro: Option<String>,
    pub question: Option<String>,
    pub low_label: Option<String>,
    pub high_label: Option<String>,
    pub footer: Option<String>,
    pub unsubscribe: Option<String>,
    pub reminder_subject: Option<String>,
    pub reminder_intro: Option<String>,
    pub sms: Option<String>,
    pub sms_reminder: Option<String>,
    pub open_survey: Option<String>,
}

impl InvitationTextOverrides {
    /// The texts the workspace set, by the names the API and the errors use.
    pub fn named(&self) -> [(&'static str, Option<&str>); 13] {
        [
            ("subject", self.subject.as_deref()),
            ("greeting", self.greeting.as_deref()),
            ("intro", self.intro.as_deref()),
            ("question", self.question.as_deref()),
            ("low_label", self.low_label.as_deref()),
            ("high_label", self.high_label.as_deref()),
            ("footer", self.footer.as_deref()),
            ("unsubscribe", self.unsubscribe.as_deref()),
            ("reminder_subject", self.reminder_subject.as_deref()),
            ("reminder_intro", self.reminder_intro.as_deref()),
            ("sms", self.sms.as_deref()),
            ("sms_reminder", self.sms_reminder.as_deref()),
            ("open_survey", self.open_survey.as_deref()),
        ]
    }

    /// What a workspace may set: each text 1 to 2000 characters; a subject on one line
    /// (it becomes an email header, where a line break would start another header);
    /// SMS texts with `{link}`, where the survey's short link goes.
    pub fn check(&self) -> Result<(), crate::field::Invalid> {
        use crate::field::Invalid;
        for (field, text) in self.named() {
            let Some(text) = text else { continue };
            if text.trim().is_empty() || text.chars().count() > 2000 {
                return Err(Invalid::new(format!(
                    "{field} must be between 1 and 2000 characters (leave it out to keep the built-in text)"
                )));
            }
            if field.ends_with("subject") {
                crate::text::check_line(text).map_err(|e| Invalid::new(format!("{field} {e}")))?;
            }
            if field.starts_with("sms") && !text.contains("{link}") {
                return Err(Invalid::new(format!(
                    "{field} must contain {{link}}, where the survey's short link goes"
                )));
            }
        }
        Ok(())
    }
}

/// How the workspace looks in its emails.
#[derive(Debug, Clone, Copy)]
pub struct Branding<'a> {
    pub company: &'a str,
    pub logo_url: Option<&'a str>,
    /// "#RRGGBB"; anything else falls back to Advocate's blue (it goes into CSS).
    pub color: &'a str,
}

/// What one invitation email carries besides its texts.
#[derive(Clone, Copy)]
pub struct InvitationFacts<'a> {
    pub name: Option<&'a str>,
    /// The one-click link of a score.
    pub score_url: &'a dyn Fn(u8) -> String,
    pub survey_url: &'a str,
    pub unsubscribe_url: &'a str,
    pub open_pixel_url: &'a str,
    pub kind: SurveyKind,
    pub reminder: bool,
}

/// What the unsubscribe page says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// One language's built-in words (the question and scale labels come from `i18n`).
struct Words {
    lang: &'static str,
    subject: &'static str,
    greeting: &'static str,
    intro: &'static str,
    /// To customers (NPS, CSAT) and to employees (eNPS).
    footer: [&'static str; 2],
    unsubscribe: &'static str,
    reminder_subject: &'static str,
    reminder_intro: &'static str,
    /// NPS, eNPS, CSAT. Each fits one 160-character GSM-7 SMS with a 25-character
    /// company and a 40-character link (a test checks).
    sms: [&'static str; 3],
    sms_reminder: [&'static str; 3],
    open_survey: &'static str,
    /// The unsubscribe page's title and text.
    unsubscribed: [&'static str; 2],
}

const WORDS: [Words; 7] = [
    Words {
        lang: "en",
        subject: "A quick question from {company}",
        greeting: "Hello {name},",
        intro: "We would love to know what you think. Just click a number below – it only takes a second.",
        footer: [
            "You are receiving this email because you are a customer of {company}.",
            "You are receiving this email because you work at {company}.",
        ],
        unsubscribe: "Unsubscribe",
        reminder_subject: "Reminder: a quick question from {company}",
        reminder_intro: "We recently asked for your opinion and would still love to hear from you. Just click a number below – it only takes a second.",
        sms: [
            "{company}: How likely are you to recommend us to a friend or colleague? Answer here: {link}",
            "{company}: How likely are you to recommend us as a place to work? Answer here: {link}",
            "{company}: How satisfied are you with us? Answer here: {link}",
        ],
        sms_reminder: [
            "Reminder from {company}: How likely are you to recommend us to a friend or colleague? Answer: {link}",
            "Reminder from {company}: How likely are you to recommend us as a place to work? Answer here: {link}",
            "Reminder from {company}: How satisfied are you with us? Answer here: {link}",
        ],
        open_survey: "Or open the survey in your browser",
        unsubscribed: [
            "You have been unsubscribed",
            "{company} will not send you any more surveys or messages.",
        ],
    },
    Words {
        lang: "nb",
        subject: "Et raskt spørsmål fra {company}",
        greeting: "Hei {name},",
        intro: "Vi vil gjerne høre hva du synes. Bare klikk på et tall nedenfor – det tar bare et øyeblikk.",
        footer: [
            "Du får denne e-posten fordi du er kunde hos {company}.",
            "Du får denne e-posten fordi du jobber hos {company}.",
        ],
        unsubscribe: "Meld deg av",
        reminder_subject: "Påminnelse: et raskt spørsmål fra {company}",
        reminder_intro: "Vi ba nylig om din mening og vil fortsatt gjerne høre fra deg. Bare klikk på et tall nedenfor – det tar bare et øyeblikk.",
        sms: [
            "{company}: Hvor sannsynlig er det at du vil anbefale oss til en venn eller kollega? Svar her: {link}",
            "{company}: Hvor sannsynlig er det at du vil anbefale oss som arbeidsplass? Svar her: {link}",
            "{company}: Hvor fornøyd er du med oss? Svar her: {link}",
        ],
        sms_reminder: [
            "Påminnelse fra {company}: Hvor sannsynlig er det at du vil anbefale oss til en venn eller kollega? {link}",
            "Påminnelse fra {company}: Hvor sannsynlig er det at du vil anbefale oss som arbeidsplass? {link}",
            "Påminnelse fra {company}: Hvor fornøyd er du med oss? Svar her: {link}",
        ],
        open_survey: "Eller åpne undersøkelsen i nettleseren",
        unsubscribed: [
            "Du er meldt av",
            "{company} sender deg ikke flere undersøkelser eller meldinger.",
        ],
    },
    Words {
        lang: "sv",
        subject: "En snabb fråga från {company}",
        greeting: "Hej {name},",
        intro: "Vi vill gärna höra vad du tycker. Klicka bara på en siffra nedan – det tar bara ett ögonblick.",
        footer: [
            "Du får det här mejlet eftersom du är kund hos {company}.",
            "Du får det här mejlet eftersom du arbetar på {company}.",
        ],
        unsubscribe: "Avregistrera dig",
        reminder_subject: "Påminnelse: en snabb fråga från {company}",
        reminder_intro: "Vi bad nyligen om din åsikt och vill fortfarande gärna höra från dig. Klicka bara på en siffra nedan – det tar bara ett ögonblick.",
        sms: [
            "{company}: Hur troligt är det att du skulle rekommendera oss till en vän eller kollega? Svara här: {link}",
            "{company}: Hur troligt är det att du skulle rekommendera oss som arbetsplats? Svara här: {link}",
            "{company}: Hur nöjd är du med oss? Svara här: {link}",
        ],
        sms_reminder: [
            "Påminnelse från {company}: Hur troligt är det att du skulle rekommendera oss? Svara här: {link}",
            "Påminnelse från {company}: Hur troligt är det att du skulle rekommendera oss som arbetsplats? {link}",
            "Påminnelse från {company}: Hur nöjd är du med oss? Svara här: {link}",
        ],
        open_survey: "Eller öppna enkäten i webbläsaren",
        unsubscribed: [
            "Du är avregistrerad",
            "{company} skickar inga fler enkäter eller meddelanden till dig.",
        ],
    },
    Words {
        lang: "da",
        subject: "Et hurtigt spørgsmål fra {company}",
        greeting: "Hej {name},",
        intro: "Vi vil meget gerne høre, hvad du synes. Klik blot på et tal herunder – det tager kun et øjeblik.",
        footer: [
            "Du modtager denne e-mail, fordi du er kunde hos {company}.",
            "Du modtager denne e-mail, fordi du arbejder hos {company}.",
        ],
        unsubscribe: "Afmeld",
        reminder_subject: "Påmindelse: et hurtigt spørgsmål fra {company}",
        reminder_intro: "Vi bad for nylig om din mening og vil stadig meget gerne høre fra dig. Klik blot på et tal herunder – det tager kun et øjeblik.",
        sms: [
            "{company}: Hvor sandsynligt er det, at du vil anbefale os til en ven eller kollega? Svar her: {link}",
            "{company}: Hvor sandsynligt er det, at du vil anbefale os som arbejdsplads? Svar her: {link}",
            "{company}: Hvor tilfreds er du med os? Svar her: {link}",
        ],
        sms_reminder: [
            "Påmindelse fra {company}: Hvor sandsynligt er det, at du vil anbefale os? Svar her: {link}",
            "Påmindelse fra {company}: Hvor sandsynligt er det, at du vil anbefale os som arbejdsplads? {link}",
            "Påmindelse fra {company}: Hvor tilfreds er du med os? Svar her: {link}",
        ],
        open_survey: "Eller åbn undersøgelsen i din browser",
        unsubscribed: [
            "Du er afmeldt",
            "{company} sender dig ikke flere undersøgelser eller beskeder.",
        ],
    },
    Words {
        lang: "fi",
        subject: "Lyhyt kysymys yritykseltä {company}",
        greeting: "Hei {name},",
        intro: "Haluaisimme kuulla mielipiteesi. Klikkaa vain numeroa alla – se vie vain hetken.",
        footer: [
            "Saat tämän sähköpostin, koska olet yrityksen {company} asiakas.",
            "Saat tämän sähköpostin, koska työskentelet yrityksessä {company}.",
        ],
        unsubscribe: "Peru tilaus",
        reminder_subject: "Muistutus: lyhyt kysymys yritykseltä {company}",
        reminder_intro: "Pyysimme hiljattain mielipidettäsi ja haluaisimme yhä kuulla sen. Klikkaa vain numeroa alla – se vie vain hetken.",
        sms: [
            "{company}: Kuinka todennäköisesti suosittelisit meitä ystävällesi tai kollegallesi? Vastaa: {link}",
            "{company}: Kuinka todennäköisesti suosittelisit meitä työpaikkana? Vastaa tästä: {link}",
            "{company}: Kuinka tyytyväinen olet meihin? Vastaa tästä: {link}",
        ],
        sms_reminder: [
            "{company} muistuttaa: Kuinka todennäköisesti suosittelisit meitä ystävällesi tai kollegallesi? {link}",
            "{company} muistuttaa: Kuinka todennäköisesti suosittelisit meitä työpaikkana? {link}",
            "{company} muistuttaa: Kuinka tyytyväinen olet meihin? Vastaa tästä: {link}",
        ],
        open_survey: "Tai avaa kysely selaimessa",
        unsubscribed: [
            "Tilauksesi on peruttu",
            "{company} ei lähetä sinulle enää kyselyjä eikä viestejä.",
        ],
    },
    Words {
        lang: "de",
        subject: "Eine kurze Frage von {company}",
        greeting: "Guten Tag {name},",
        intro: "Wir würden gern wissen, was Sie denken. Klicken Sie einfach unten auf eine Zahl – es dauert nur einen Moment.",
        footer: [
            "Sie erhalten diese E-Mail, weil Sie Kundin oder Kunde von {company} sind.",
            "Sie erhalten diese E-Mail, weil Sie bei {company} arbeiten.",
        ],
        unsubscribe: "Abmelden",
        reminder_subject: "Erinnerung: eine kurze Frage von {company}",
        reminder_intro: "Wir hatten Sie kürzlich um Ihre Meinung gebeten und würden uns weiterhin sehr über Ihre Antwort freuen. Klicken Sie einfach unten auf eine Zahl – es dauert nur einen Moment.",
        sms: [
            "{company}: Wie wahrscheinlich ist es, dass Sie uns Freunden oder Kollegen empfehlen? {link}",
            "{company}: Wie wahrscheinlich ist es, dass Sie uns als Arbeitgeber weiterempfehlen? {link}",
            "{company}: Wie zufrieden sind Sie mit uns? Hier antworten: {link}",
        ],
        sms_reminder: [
            "Erinnerung von {company}: Würden Sie uns Freunden oder Kollegen empfehlen? {link}",
            "Erinnerung von {company}: Würden Sie uns als Arbeitgeber weiterempfehlen? {link}",
            "Erinnerung von {company}: Wie zufrieden sind Sie mit uns? Hier antworten: {link}",
        ],
        open_survey: "Oder öffnen Sie die Umfrage im Browser",
        unsubscribed: [
            "Sie wurden abgemeldet",
            "{company} sendet Ihnen keine weiteren Umfragen oder Nachrichten.",
        ],
    },
    Words {
        lang: "nl",
        subject: "Een korte vraag van {company}",
        greeting: "Hallo {name},",
        intro: "We horen graag wat je van ons vindt. Klik hieronder op een cijfer – het kost je maar een paar seconden.",
        footer: [
            "Je ontvangt deze e-mail omdat je klant bent bij {company}.",
            "Je ontvangt deze e-mail omdat je bij {company} werkt.",
        ],
        unsubscribe: "Afmelden",
        reminder_subject: "Herinnering: een korte vraag van {company}",
        reminder_intro: "We vroegen je onlangs om je mening en horen nog steeds graag van je. Klik hieronder op een cijfer – het kost je maar een paar seconden.",
        sms: [
            "{company}: Hoe waarschijnlijk is het dat je ons aanbeveelt aan een vriend of collega? {link}",
            "{company}: Hoe waarschijnlijk is het dat je ons zou aanbevelen als werkgever? {link}",
            "{company}: Hoe tevreden ben je over ons? Antwoord hier: {link}",
        ],
        sms_reminder: [
            "Herinnering van {company}: Zou je ons aanbevelen aan een vriend of collega? {link}",
            "Herinnering van {company}: Zou je ons aanbevelen als werkgever? Antwoord hier: {link}",
            "Herinnering van {company}: Hoe tevreden ben je over ons? Antwoord hier: {link}",
        ],
        open_survey: "Of open de enquête in je browser",
        unsubscribed: [
            "Je bent afgemeld",
            "{company} stuurt je geen enquêtes of berichten meer.",
        ],
    },
];

/// A language's words; English for any language Advocate has no texts for.
fn words(lang: &Language) -> &'static Words {
    WORDS
        .iter()
        .find(|w| w.lang == lang.as_str())
        .unwrap_or(&WORDS[0])
}

fn kind_index(kind: SurveyKind) -> usize {
    match kind {
        SurveyKind::Nps => 0,
        SurveyKind::Enps => 1,
        SurveyKind::Csat => 2,
    }
}

/// The built-in invitation texts of a survey kind in a language (English when Advocate
/// has none for it). The question and scale labels are the survey page's.
pub fn builtin(lang: &Language, kind: SurveyKind) -> InvitationTexts {
    let w = words(lang);
    // The page's texts with the placeholder kept, so overrides and sending fill it alike.
    let page = i18n::builtin(
        &Language::new(w.lang).expect("valid tag"),
        kind,
        "{company}",
    );
    let k = kind_index(kind);
    InvitationTexts {
        lang: w.lang.into(),
        subject: w.subject.into(),
        greeting: w.greeting.into(),
        intro: w.intro.into(),
        question: page.question,
        low_label: page.low_label,
        high_label: page.high_label,
        footer: w.footer[usize::from(kind == SurveyKind::Enps)].into(),
        unsubscribe: w.unsubscribe.into(),
        reminder_subject: w.reminder_subject.into(),
        reminder_intro: w.reminder_intro.into(),
        sms: w.sms[k].into(),
        sms_reminder: w.sms_reminder[k].into(),
        open_survey: w.open_survey.into(),
    }
}

impl InvitationTexts {
    /// Applies a workspace's overrides on top of these texts (a blank one is ignored).
    pub fn with(mut self, o: &InvitationTextOverrides) -> Self {
        let set = |slot: &mut String, v: &Option<String>| {
            if let Some(v) = v.as_ref().filter(|v| !v.trim().is_empty()) {
                slot.clone_from(v);
            }
        };
        set(&mut self.subject, &o.subject);
        set(&mut self.greeting, &o.greeting);
        set(&mut self.intro, &o.intro);
        set(&mut self.question, &o.question);
        set(&mut self.low_label, &o.low_label);
        set(&mut self.high_label, &o.high_label);
        set(&mut self.footer, &o.footer);
        set(&mut self.unsubscribe, &o.unsubscribe);
        set(&mut self.reminder_subject, &o.reminder_subject);
        set(&mut self.reminder_intro, &o.reminder_intro);
        set(&mut self.sms, &o.sms);
        set(&mut self.sms_reminder, &o.sms_reminder);
        set(&mut self.open_survey, &o.open_survey);
        self
    }
}

/// What the unsubscribe page tells a customer, in their language.
pub fn unsubscribed_notice(lang: &Language, company: &str) -> Notice {
    let [title, body] = words(lang).unsubscribed;
    Notice {
        title: title.into(),
        body: fill(body, &[("company", company)]),
    }
}

/// Fills `{company}` and `{name}`; without a name, `{name}` goes with the space or comma
/// next to it ("Hello {name}," becomes "Hello,").
fn personal(template: &str, company: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => fill(template, &[("company", company), ("name", name)]),
        None => {
            let nameless = [", {name}", " {name}", "{name}, ", "{name} ", "{name}"]
                .iter()
                .fold(template.to_owned(), |t, p| t.replace(p, ""));
            fill(&nameless, &[("company", company)])
        }
    }
}

/// An invitation SMS: the question and the short link. Its template must carry
/// `{link}`; one that lost it still gets the link at the end, as the SMS is useless
/// without it.
pub fn invitation_sms(
    t: &InvitationTexts,
    company: &str,
    short_url: &str,
    reminder: bool,
) -> String {
    let template = if reminder { &t.sms_reminder } else { &t.sms };
    let mut sms = personal(template, company, None);
    if template.contains("{link}") {
        sms = fill(&sms, &[("link", short_url)]);
    } else {
        sms = format!("{} {short_url}", sms.trim_end());
    }
    sms
}

#[cfg(test)]
mod tests;
