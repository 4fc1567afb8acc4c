//! The emails and chat messages Advocate sends, in the recipient's language. Pure text
//! building: plain-text and HTML parts, with every value from users HTML-escaped.
//!
//! Every language in [`crate::i18n::SUPPORTED`] has its own catalogue; any other language
//! falls back to English. Templates name their values (`{company}`, `{name}`, …) and are
//! filled in one pass, so a value that itself contains `{name}` is never expanded again.
//! Finnish never inflects a name: the company follows an inflected "yritys" or a colon.

use crate::labels::Language;
use crate::playbook::Priority;

pub mod staff;

/// An email's content; addresses are added by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailContent {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What an alert about a detractor (or an overdue case) says.
#[derive(Debug, Clone)]
pub struct AlertFacts<'a> {
    pub company: &'a str,
    pub case_id: i64,
    pub score: u8,
    pub customer: &'a str,
    pub comment: Option<&'a str>,
    pub priority: Priority,
    pub assignee: &'a str,
    /// When first contact is due, already formatted (e.g. "2026-11-23 14:00 UTC").
    pub due: &'a str,
    pub case_url: &'a str,
}

/// What a promoter's thank-you carries. A 10 (ambassador) is thanked more warmly than a 9;
/// the optional parts are there when the promoter has that engagement.
#[derive(Debug, Clone)]
pub struct ThankYouFacts<'a> {
    pub company: &'a str,
    pub name: Option<&'a str>,
    pub score: u8,
    pub discount_code: Option<&'a str>,
    /// Whether to ask for a review; the links (site name, URL) are listed under the ask.
    pub review_request: bool,
    pub review_links: &'a [(String, String)],
    pub panel_invitation: bool,
    pub reward: bool,
}

/// One language's words. Placeholders in braces are filled by [`fill`].
struct Catalog {
    lang: &'static str,
    /// critical, high, medium, normal.
    priorities: [&'static str; 4],
    // Detractor alert (to staff). {customer} {score} {case} {priority} {assignee} {due}
    alert_subject: &'static str,
    alert_intro: &'static str,
    comment: &'static str,
    no_comment: &'static str,
    alert_case: &'static str,
    open_case: &'static str,
    // Escalation of an overdue case (to a manager).
    overdue_subject: &'static str,
    overdue_body: &'static str,
    // Chat lines (Slack mrkdwn); {comment} is already formatted or empty.
    slack_alert: &'static str,
    slack_overdue: &'static str,
    // To customers.
    hello: &'static str,
    dear: &'static str,
    regards: &'static str,
    thanks_subject: &'static str,
    thanks_subject_ambassador: &'static str,
    thanks: &'static str,
    thanks_ambassador: &'static str,
    code: &'static str,
    review: &'static str,
    panel: &'static str,
    reward: &'static str,
    nudge_subject: &'static str,
    nudge: &'static str,
    resurvey_subject: &'static str,
    resurvey: &'static str,
    resurvey_link: &'static str,
    anonymous: &'static str,
    // Alerts of a person's subscriptions. {category} {score} {customer} {count}
    /// promoter, passive, detractor.
    categories: [&'static str; 3],
    answer_alert: &'static str,
    answer_digest: &'static str,
    open_advocate: &'static str,
}

const EN: Catalog = Catalog {
    lang: "en",
    priorities: ["critical", "high", "medium", "normal"],
    alert_subject: "Detractor ({score}) from {customer}: case #{case} ({priority})",
    alert_intro: "{customer} answered {score} and is a detractor.",
    comment: "Comment: {comment}",
    no_comment: "(no comment)",
    alert_case: "Case #{case}, priority {priority}, assigned to {assignee}. First contact is due by {due}.",
    open_case: "Open the case",
    overdue_subject: "Overdue: case #{case} ({priority}) has had no first contact",
    overdue_body: "Case #{case} for {customer} (score {score}) was due for first contact by {due} and is still waiting. Assigned to {assignee}.",
    slack_alert: "*Detractor ({score})* from {customer}{comment} · case #{case} ({priority}) assigned to {assignee}, first contact due {due} · {url}",
    slack_overdue: "*Overdue* case #{case} ({priority}) for {customer} (score {score}): no first contact by {due} · assigned to {assignee} · {url}",
    hello: "Hello,",
    dear: "Dear {name},",
    regards: "Kind regards,",
    thanks_subject: "Thank you from {company}",
    thanks_subject_ambassador: "A personal thank-you from {company}",
    thanks: "Thank you for your answer — we are glad you would recommend {company}.",
    thanks_ambassador: "Thank you so much for giving us a 10. Customers like you are the reason we at {company} love what we do, and we wanted to thank you personally.",
    code: "As a small thank-you, here is your personal discount code: {code}. It can be used once.",
    review: "Would you share your experience in a review? It helps others find us.",
    panel: "We would also love to invite you to our customer panel, where you try new ideas first and help shape what we build. Just reply to this email if you would like to join.",
    reward: "And as one of our ambassadors, a reward is waiting for you: reply to this email and we will make sure you get it.",
    nudge_subject: "What would make {company} a 10 for you?",
    nudge: "Thank you for your answer. What would it take for {company} to earn a 9 or 10 from you? Just reply to this email — we read every answer.",
    resurvey_subject: "{company}: how are we doing now?",
    resurvey: "We have worked on what you told us. How likely are you now to recommend {company} to a friend or colleague?",
    resurvey_link: "Answer here",
    anonymous: "An anonymous respondent",
    categories: ["promoter", "passive", "detractor"],
    answer_alert: "{customer} answered {score} ({category})",
    answer_digest: "{count} answers matched your alert",
    open_advocate: "Open in Advocate",
};

const NB: Catalog = Catalog {
    lang: "nb",
    priorities: ["kritisk", "høy", "middels", "normal"],
    alert_subject: "Kritiker ({score}) fra {customer}: sak #{case} ({priority})",
    alert_intro: "{customer} svarte {score} og er en kritiker.",
    comment: "Kommentar: {comment}",
    no_comment: "(ingen kommentar)",
    alert_case: "Sak #{case}, prioritet {priority}, tildelt {assignee}. Første kontakt må skje innen {due}.",
    open_case: "Åpne saken",
    overdue_subject: "Forfalt: sak #{case} ({priority}) har ikke hatt første kontakt",
    overdue_body: "Sak #{case} for {customer} (score {score}) skulle hatt første kontakt innen {due} og venter fortsatt. Tildelt {assignee}.",
    slack_alert: "*Kritiker ({score})* fra {customer}{comment} · sak #{case} ({priority}) tildelt {assignee}, første kontakt innen {due} · {url}",
    slack_overdue: "*Forfalt* sak #{case} ({priority}) for {customer} (score {score}): ingen første kontakt innen {due} · tildelt {assignee} · {url}",
    hello: "Hei,",
    dear: "Hei {name},",
    regards: "Vennlig hilsen",
    thanks_subject: "Takk fra {company}",
    thanks_subject_ambassador: "En personlig takk fra {company}",
    thanks: "Tusen takk for svaret ditt – det gleder oss at du vil anbefale {company}.",
    thanks_ambassador: "Tusen hjertelig takk for at du ga oss en tier. Det er kunder som deg som gjør at vi i {company} elsker det vi gjør, og vi ville takke deg personlig.",
    code: "Som en liten takk får du en personlig rabattkode: {code}. Den kan brukes én gang.",
    review: "Vil du dele opplevelsen din i en anmeldelse? Det hjelper andre å finne oss.",
    panel: "Vi vil også gjerne invitere deg til kundepanelet vårt, der du får prøve nye ideer først og være med på å forme det vi lager. Svar på denne e-posten hvis du vil være med.",
    reward: "Og som en av våre ambassadører har du en belønning til gode: svar på denne e-posten, så sørger vi for at du får den.",
    nudge_subject: "Hva skal til for at {company} blir en tier for deg?",
    nudge: "Takk for svaret ditt. Hva skal til for at {company} fortjener en 9 eller 10 fra deg? Bare svar på denne e-posten – vi leser alle svar.",
    resurvey_subject: "{company}: hvordan gjør vi det nå?",
    resurvey: "Vi har jobbet med det du fortalte oss. Hvor sannsynlig er det nå at du vil anbefale {company} til en venn eller kollega?",
    resurvey_link: "Svar her",
    anonymous: "En anonym respondent",
    categories: ["ambassadør", "passiv", "kritiker"],
    answer_alert: "{customer} svarte {score} ({category})",
    answer_digest: "{count} svar passet til varselet ditt",
    open_advocate: "Åpne i Advocate",
};

const SV: Catalog = Catalog {
    lang: "sv",
    priorities: ["kritisk", "hög", "medel", "normal"],
    alert_subject: "Kritiker ({score}) från {customer}: ärende #{case} ({priority})",
    alert_intro: "{customer} svarade {score} och är en kritiker.",
    comment: "Kommentar: {comment}",
    no_comment: "(ingen kommentar)",
    alert_case: "Ärende #{case}, prioritet {priority}, tilldelat {assignee}. Första kontakt ska ske senast {due}.",
    open_case: "Öppna ärendet",
    overdue_subject: "Försenat: ärende #{case} ({priority}) har inte fått någon första kontakt",
    overdue_body: "Ärende #{case} för {customer} (betyg {score}) skulle ha fått första kontakt senast {due} och väntar fortfarande. Tilldelat {assignee}.",
    slack_alert: "*Kritiker ({score})* från {customer}{comment} · ärende #{case} ({priority}) tilldelat {assignee}, första kontakt senast {due} · {url}",
    slack_overdue: "*Försenat* ärende #{case} ({priority}) för {customer} (betyg {score}): ingen första kontakt senast {due} · tilldelat {assignee} · {url}",
    hello: "Hej,",
    dear: "Hej {name},",
    regards: "Vänliga hälsningar",
    thanks_subject: "Tack från {company}",
    thanks_subject_ambassador: "Ett personligt tack från {company}",
    thanks: "Tack för ditt svar – vi är glada att du vill rekommendera {company}.",
    thanks_ambassador: "Stort tack för att du gav oss en tia. Det är kunder som du som gör att vi på {company} älskar det vi gör, och vi ville tacka dig personligen.",
    code: "Som ett litet tack får du en personlig rabattkod: {code}. Den kan användas en gång.",
    review: "Vill du dela med dig av din upplevelse i en recension? Det hjälper andra att hitta oss.",
    panel: "Vi vill också gärna bjuda in dig till vår kundpanel, där du får testa nya idéer först och vara med och forma det vi bygger. Svara bara på det här mejlet om du vill vara med.",
    reward: "Och som en av våra ambassadörer har du en belöning som väntar: svara på det här mejlet så ser vi till att du får den.",
    nudge_subject: "Vad skulle göra {company} till en tia för dig?",
    nudge: "Tack för ditt svar. Vad skulle krävas för att {company} ska förtjäna en 9 eller 10 av dig? Svara bara på det här mejlet – vi läser alla svar.",
    resurvey_subject: "{company}: vad tycker du nu?",
    resurvey: "Vi har arbetat med det du berättade för oss. Hur troligt är det nu att du skulle rekommendera {company} till en vän eller kollega?",
    resurvey_link: "Svara här",
    anonymous: "En anonym svarande",
    categories: ["ambassadör", "passiv", "kritiker"],
    answer_alert: "{customer} svarade {score} ({category})",
    answer_digest: "{count} svar matchade din avisering",
    open_advocate: "Öppna i Advocate",
};

const DA: Catalog = Catalog {
    lang: "da",
    priorities: ["kritisk", "høj", "middel", "normal"],
    alert_subject: "Kritiker ({score}) fra {customer}: sag #{case} ({priority})",
    alert_intro: "{customer} svarede {score} og er kritiker.",
    comment: "Kommentar: {comment}",
    no_comment: "(ingen kommentar)",
    alert_case: "Sag #{case}, prioritet {priority}, tildelt {assignee}. Første kontakt skal ske senest {due}.",
    open_case: "Åbn sagen",
    overdue_subject: "Overskredet: sag #{case} ({priority}) har ikke haft første kontakt",
    overdue_body: "Sag #{case} for {customer} (score {score}) skulle have haft første kontakt senest {due} og venter stadig. Tildelt {assignee}.",
    slack_alert: "*Kritiker ({score})* fra {customer}{comment} · sag #{case} ({priority}) tildelt {assignee}, første kontakt senest {due} · {url}",
    slack_overdue: "*Overskredet* sag #{case} ({priority}) for {customer} (score {score}): ingen første kontakt senest {due} · tildelt {assignee} · {url}",
    hello: "Hej,",
    dear: "Kære {name},",
    regards: "Venlig hilsen",
    thanks_subject: "Tak fra {company}",
    thanks_subject_ambassador: "En personlig tak fra {company}",
    thanks: "Tak for dit svar – vi er glade for, at du vil anbefale {company}.",
    thanks_ambassador: "Tusind tak, fordi du gav os et 10-tal. Det er kunder som dig, der gør, at vi hos {company} elsker det, vi laver, og vi ville gerne takke dig personligt.",
    code: "Som en lille tak får du en personlig rabatkode: {code}. Den kan bruges én gang.",
    review: "Vil du dele din oplevelse i en anmeldelse? Det hjælper andre med at finde os.",
    panel: "Vi vil også meget gerne invitere dig med i vores kundepanel, hvor du prøver nye idéer først og er med til at forme det, vi laver. Svar blot på denne e-mail, hvis du vil være med.",
    reward: "Og som en af vores ambassadører har du en belønning til gode: svar på denne e-mail, så sørger vi for, at du får den.",
    nudge_subject: "Hvad skal der til, for at {company} bliver et 10-tal for dig?",
    nudge: "Tak for dit svar. Hvad skal der til, for at {company} fortjener et 9- eller 10-tal fra dig? Svar blot på denne e-mail – vi læser alle svar.",
    resurvey_subject: "{company}: hvordan klarer vi os nu?",
    resurvey: "Vi har arbejdet med det, du fortalte os. Hvor sandsynligt er det nu, at du vil anbefale {company} til en ven eller kollega?",
    resurvey_link: "Svar her",
    anonymous: "En anonym besvarelse",
    categories: ["ambassadør", "passiv", "kritiker"],
    answer_alert: "{customer} svarede {score} ({category})",
    answer_digest: "{count} svar matchede din advisering",
    open_advocate: "Åbn i Advocate",
};

const FI: Catalog = Catalog {
    lang: "fi",
    priorities: ["kriittinen", "korkea", "keskitaso", "normaali"],
    alert_subject: "Arvostelija ({score}), asiakas {customer}: tapaus #{case} ({priority})",
    alert_intro: "Asiakas {customer} antoi arvosanan {score} ja on arvostelija.",
    comment: "Kommentti: {comment}",
    no_comment: "(ei kommenttia)",
    alert_case: "Tapaus #{case}, prioriteetti {priority}, vastuuhenkilö {assignee}. Ensimmäinen yhteydenotto viimeistään {due}.",
    open_case: "Avaa tapaus",
    overdue_subject: "Myöhässä: tapauksessa #{case} ({priority}) ei ole vielä otettu yhteyttä",
    overdue_body: "Tapauksessa #{case} (asiakas {customer}, arvosana {score}) ensimmäinen yhteydenotto piti tehdä viimeistään {due}, mutta se odottaa yhä. Vastuuhenkilö: {assignee}.",
    slack_alert: "*Arvostelija ({score})*, asiakas {customer}{comment} · tapaus #{case} ({priority}), vastuuhenkilö {assignee}, ensimmäinen yhteydenotto viimeistään {due} · {url}",
    slack_overdue: "*Myöhässä* tapaus #{case} ({priority}), asiakas {customer} (arvosana {score}): ei yhteydenottoa viimeistään {due} · vastuuhenkilö {assignee} · {url}",
    hello: "Hei,",
    dear: "Hei {name},",
    regards: "Ystävällisin terveisin",
    thanks_subject: "Kiitos suosittelusta – {company}",
    thanks_subject_ambassador: "Henkilökohtainen kiitos – {company}",
    thanks: "Kiitos vastauksestasi – olemme iloisia, että suosittelisit yritystä {company}.",
    thanks_ambassador: "Lämmin kiitos, että annoit meille kympin. Juuri kaltaisesi asiakkaat ovat syy siihen, että me yrityksessä {company} rakastamme työtämme, ja halusimme kiittää sinua henkilökohtaisesti.",
    code: "Pienenä kiitoksena saat henkilökohtaisen alennuskoodin: {code}. Sen voi käyttää kerran.",
    review: "Haluaisitko kertoa kokemuksestasi arvostelussa? Se auttaa muita löytämään meidät.",
    panel: "Haluaisimme myös kutsua sinut asiakaspaneeliimme, jossa pääset kokeilemaan uusia ideoita ensimmäisten joukossa ja vaikuttamaan siihen, mitä teemme. Vastaa tähän sähköpostiin, jos haluat mukaan.",
    reward: "Ja koska olet yksi lähettiläistämme, sinua odottaa palkinto: vastaa tähän sähköpostiin, niin huolehdimme, että saat sen.",
    nudge_subject: "Mitä yritys {company} voisi tehdä ansaitakseen sinulta kympin?",
    nudge: "Kiitos vastauksestasi. Mitä yrityksen {company} pitäisi tehdä, jotta se ansaitsisi sinulta arvosanan 9 tai 10? Vastaa vain tähän sähköpostiin – luemme jokaisen vastauksen.",
    resurvey_subject: "{company}: miten onnistumme nyt?",
    resurvey: "Olemme työstäneet sitä, mitä kerroit meille. Kuinka todennäköisesti suosittelisit nyt yritystä {company} ystävällesi tai kollegallesi?",
    resurvey_link: "Vastaa tästä",
    anonymous: "Nimetön vastaaja",
    categories: ["suosittelija", "passiivinen", "arvostelija"],
    answer_alert: "{customer} vastasi {score} ({category})",
    answer_digest: "{count} vastausta vastasi hälytystäsi",
    open_advocate: "Avaa Advocatessa",
};

const DE: Catalog = Catalog {
    lang: "de",
    priorities: ["kritisch", "hoch", "mittel", "normal"],
    alert_subject: "Kritiker ({score}): {customer}, Fall #{case} ({priority})",
    alert_intro: "{customer} hat {score} vergeben und zählt zu den Kritikern.",
    comment: "Kommentar: {comment}",
    no_comment: "(kein Kommentar)",
    alert_case: "Fall #{case}, Priorität {priority}, zugewiesen an {assignee}. Der Erstkontakt ist fällig bis {due}.",
    open_case: "Fall öffnen",
    overdue_subject: "Überfällig: Fall #{case} ({priority}) hatte noch keinen Erstkontakt",
    overdue_body: "Der Erstkontakt für Fall #{case} ({customer}, Bewertung {score}) war bis {due} fällig und steht noch aus. Zugewiesen an {assignee}.",
    slack_alert: "*Kritiker ({score})*: {customer}{comment} · Fall #{case} ({priority}) zugewiesen an {assignee}, Erstkontakt fällig bis {due} · {url}",
    slack_overdue: "*Überfällig*: Fall #{case} ({priority}), {customer} (Bewertung {score}): kein Erstkontakt bis {due} · zugewiesen an {assignee} · {url}",
    hello: "Guten Tag,",
    dear: "Guten Tag {name},",
    regards: "Herzliche Grüße",
    thanks_subject: "Vielen Dank von {company}",
    thanks_subject_ambassador: "Ein persönliches Dankeschön von {company}",
    thanks: "Vielen Dank für Ihre Antwort – wir freuen uns sehr, dass Sie {company} weiterempfehlen würden.",
    thanks_ambassador: "Herzlichen Dank, dass Sie uns eine 10 gegeben haben. Kundinnen und Kunden wie Sie sind der Grund, warum wir bei {company} unsere Arbeit lieben, und wir möchten Ihnen ganz persönlich danken.",
    code: "Als kleines Dankeschön erhalten Sie einen persönlichen Rabattcode: {code}. Er ist einmal einlösbar.",
    review: "Möchten Sie Ihre Erfahrung in einer Bewertung teilen? Das hilft anderen, uns zu finden.",
    panel: "Außerdem möchten wir Sie herzlich in unser Kundenpanel einladen, in dem Sie neue Ideen als Erste ausprobieren und mitgestalten, was wir entwickeln. Antworten Sie einfach auf diese E-Mail, wenn Sie dabei sein möchten.",
    reward: "Und weil Sie zu unseren Botschaftern gehören, wartet eine Belohnung auf Sie: Antworten Sie auf diese E-Mail, dann sorgen wir dafür, dass Sie sie erhalten.",
    nudge_subject: "Was würde {company} für Sie zu einer 10 machen?",
    nudge: "Vielen Dank für Ihre Antwort. Was müsste {company} tun, um von Ihnen eine 9 oder 10 zu bekommen? Antworten Sie einfach auf diese E-Mail – wir lesen jede Antwort.",
    resurvey_subject: "{company}: Wie zufrieden sind Sie jetzt?",
    resurvey: "Wir haben an dem gearbeitet, was Sie uns geschildert haben. Wie wahrscheinlich ist es jetzt, dass Sie {company} einem Freund oder Kollegen weiterempfehlen?",
    resurvey_link: "Hier antworten",
    anonymous: "Eine anonyme Person",
    categories: ["Promotor", "Passiver", "Kritiker"],
    answer_alert: "{customer} hat mit {score} geantwortet ({category})",
    answer_digest: "{count} Antworten passen zu Ihrer Benachrichtigung",
    open_advocate: "In Advocate öffnen",
};

const NL: Catalog = Catalog {
    lang: "nl",
    priorities: ["kritiek", "hoog", "gemiddeld", "normaal"],
    alert_subject: "Criticaster ({score}) van {customer}: melding #{case} ({priority})",
    alert_intro: "{customer} gaf een {score} en is een criticaster.",
    comment: "Opmerking: {comment}",
    no_comment: "(geen opmerking)",
    alert_case: "Melding #{case}, prioriteit {priority}, toegewezen aan {assignee}. Eerste contact uiterlijk {due}.",
    open_case: "Open de melding",
    overdue_subject: "Te laat: melding #{case} ({priority}) heeft nog geen eerste contact gehad",
    overdue_body: "Voor melding #{case} van {customer} (score {score}) moest uiterlijk {due} eerste contact zijn opgenomen, en dat is nog niet gebeurd. Toegewezen aan {assignee}.",
    slack_alert: "*Criticaster ({score})* van {customer}{comment} · melding #{case} ({priority}) toegewezen aan {assignee}, eerste contact uiterlijk {due} · {url}",
    slack_overdue: "*Te laat*: melding #{case} ({priority}) van {customer} (score {score}): geen eerste contact uiterlijk {due} · toegewezen aan {assignee} · {url}",
    hello: "Hallo,",
    dear: "Beste {name},",
    regards: "Met vriendelijke groet,",
    thanks_subject: "Hartelijk dank van {company}",
    thanks_subject_ambassador: "Een persoonlijk bedankje van {company}",
    thanks: "Hartelijk dank voor je antwoord – fijn dat je {company} zou aanbevelen.",
    thanks_ambassador: "Ontzettend bedankt dat je ons een 10 gaf. Klanten zoals jij zijn de reden dat we bij {company} zo graag doen wat we doen, en we wilden je persoonlijk bedanken.",
    code: "Als klein bedankje krijg je een persoonlijke kortingscode: {code}. Je kunt hem één keer gebruiken.",
    review: "Wil je je ervaring delen in een review? Daarmee help je anderen ons te vinden.",
    panel: "We nodigen je ook graag uit voor ons klantenpanel, waar je nieuwe ideeën als eerste uitprobeert en meedenkt over wat we maken. Beantwoord deze e-mail als je mee wilt doen.",
    reward: "En omdat je een van onze ambassadeurs bent, ligt er een beloning voor je klaar: beantwoord deze e-mail en we zorgen dat je hem krijgt.",
    nudge_subject: "Wat zou {company} voor jou een 10 maken?",
    nudge: "Bedankt voor je antwoord. Wat zou {company} moeten doen om van jou een 9 of 10 te krijgen? Beantwoord gewoon deze e-mail – we lezen elk antwoord.",
    resurvey_subject: "{company}: hoe doen we het nu?",
    resurvey: "We zijn aan de slag gegaan met wat je ons vertelde. Hoe waarschijnlijk is het nu dat je {company} zou aanbevelen aan een vriend of collega?",
    resurvey_link: "Antwoord hier",
    anonymous: "Een anonieme respondent",
    categories: ["promotor", "passief", "criticaster"],
    answer_alert: "{customer} antwoordde {score} ({category})",
    answer_digest: "{count} antwoorden passen bij je melding",
    open_advocate: "Openen in Advocate",
};

const CATALOGS: [&Catalog; 7] = [&EN, &NB, &SV, &DA, &FI, &DE, &NL];

/// The catalogue for a language; English for any language Advocate has no texts for.
fn catalog(lang: &Language) -> &'static Catalog {
    CATALOGS
        .into_iter()
        .find(|c| c.lang == lang.as_str())
        .unwrap_or(&EN)
}

/// The language a message in `lang` is actually written in (English when unsupported);
/// the HTML part declares it.
pub fn message_language(lang: &Language) -> &'static str {
    catalog(lang).lang
}

/// A priority's name in a language, e.g. "høy".
pub fn priority_label(lang: &Language, p: Priority) -> &'static str {
    let c = catalog(lang);
    match p {
        Priority::Critical => c.priorities[0],
        Priority::High => c.priorities[1],
        Priority::Medium => c.priorities[2],
        Priority::Normal => c.priorities[3],
    }
}

/// How an alert names a respondent without a customer record, in a language.
pub fn anonymous_respondent(lang: &Language) -> &'static str {
    catalog(lang).anonymous
}

/// Escapes text for HTML/XML (emails, SVG charts) element content and attribute values:
/// the one escaper outside the templates (askama escapes those). Characters XML does not
/// allow at all (most C0 controls) are dropped, so an SVG with a hostile label still parses.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes the three characters Slack reads as markup in message text.
fn escape_slack(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Replaces each `{key}` of `template` with its value, in one pass; unknown braces stay.
pub(crate) fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after
            .find('}')
            .and_then(|close| values.iter().find(|(k, _)| *k == &after[..close]));
        match value {
            Some((key, value)) => {
                out.push_str(value);
                rest = &after[key.len() + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Builds an email's plain-text and HTML parts side by side, so they always say the same.
struct Body {
    lang: &'static str,
    text: Vec<String>,
    html: Vec<String>,
}

impl Body {
    fn new(catalog: &Catalog) -> Self {
        Self {
            lang: catalog.lang,
            text: Vec::new(),
            html: Vec::new(),
        }
    }

    /// A paragraph from a trusted template and untrusted values (escaped in HTML).
    fn para(&mut self, template: &str, values: &[(&str, &str)]) {
        self.text.push(fill(template, values));
        let escaped: Vec<(&str, String)> =
            values.iter().map(|(k, v)| (*k, escape_html(v))).collect();
        let escaped: Vec<(&str, &str)> = escaped.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.html.push(fill(&escape_html(template), &escaped));
    }

    /// Links, one per line in text, on one line in HTML.
    fn links(&mut self, links: &[(&str, &str)]) {
        if links.is_empty() {
            return;
        }
        let text: Vec<String> = links.iter().map(|(l, u)| format!("{l}: {u}")).collect();
        self.text.push(text.join("\n"));
        let html: Vec<String> = links
            .iter()
            .map(|(l, u)| format!("<a href=\"{}\">{}</a>", escape_html(u), escape_html(l)))
            .collect();
        self.html.push(html.join(" · "));
    }

    /// "Kind regards," and the company on the next line.
    fn sign_off(&mut self, regards: &str, company: &str) {
        self.text.push(format!("{regards}\n{company}"));
        self.html.push(format!(
            "{}<br>{}",
            escape_html(regards),
            escape_html(company)
        ));
    }

    fn finish(self, subject: String) -> EmailContent {
        let body: String = self
            .html
            .iter()
            .map(|p| match p.starts_with("<ul>") {
                true => format!("{p}\n"),
                false => format!("<p>{p}</p>\n"),
            })
            .collect();
        EmailContent {
            subject,
            text: format!("{}\n", self.text.join("\n\n")),
            html: format!(
                "<!doctype html>\n<html lang=\"{}\"><body style=\"font-family: sans-serif; line-height: 1.5\">\n{body}</body></html>\n",
                self.lang
            ),
        }
    }
}

/// The values every alert template may use.
fn alert_values<'a>(
    f: &'a AlertFacts<'a>,
    score: &'a str,
    case: &'a str,
    priority: &'a str,
) -> [(&'static str, &'a str); 7] {
    [
        ("customer", f.customer),
        ("score", score),
        ("case", case),
        ("priority", priority),
        ("assignee", f.assignee),
        ("due", f.due),
        ("company", f.company),
    ]
}

/// Tells the assignee (in the workspace's language) that a detractor needs contact.
pub fn detractor_alert(lang: &Language, f: &AlertFacts) -> EmailContent {
    let c = catalog(lang);
    let (score, case) = (f.score.to_string(), f.case_id.to_string());
    let values = alert_values(f, &score, &case, priority_label(lang, f.priority));
    let mut body = Body::new(c);
    body.para(c.alert_intro, &values);
    body.para(c.comment, &[("comment", f.comment.unwrap_or(c.no_comment))]);
    body.para(c.alert_case, &values);
    body.links(&[(c.open_case, f.case_url)]);
    body.finish(fill(c.alert_subject, &values))
}

/// Tells a manager that a case missed its first-contact SLA.
pub fn escalation(lang: &Language, f: &AlertFacts) -> EmailContent {
    let c = catalog(lang);
    let (score, case) = (f.score.to_string(), f.case_id.to_string());
    let values = alert_values(f, &score, &case, priority_label(lang, f.priority));
    let mut body = Body::new(c);
    body.para(c.overdue_body, &values);
    if let Some(comment) = f.comment {
        body.para(c.comment, &[("comment", comment)]);
    }
    body.links(&[(c.open_case, f.case_url)]);
    body.finish(fill(c.overdue_subject, &values))
}

fn greeting(c: &Catalog, name: Option<&str>) -> (&'static str, Vec<(&'static str, String)>) {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => (c.dear, vec![("name", n.to_owned())]),
        None => (c.hello, Vec::new()),
    }
}

fn para_owned(body: &mut Body, template: &str, values: &[(&'static str, String)]) {
    let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    body.para(template, &values);
}

/// A promoter's personal thank-you, in their language. A 9 is thanked and asked for a
/// review; a 10 is thanked more warmly and also gets what `f` carries (discount code,
/// panel invitation, reward).
pub fn thank_you(lang: &Language, f: &ThankYouFacts) -> EmailContent {
    let c = catalog(lang);
    let ambassador = f.score >= 10;
    let company = [("company", f.company)];
    let mut body = Body::new(c);
    let (hello, name) = greeting(c, f.name);
    para_owned(&mut body, hello, &name);
    body.para(
        if ambassador {
            c.thanks_ambassador
        } else {
            c.thanks
        },
        &company,
    );
    if let Some(code) = f.discount_code {
        body.para(c.code, &[("code", code)]);
    }
    if f.review_request {
        body.para(c.review, &company);
        let links: Vec<(&str, &str)> = f
            .review_links
            .iter()
            .map(|(n, u)| (n.as_str(), u.as_str()))
            .collect();
        body.links(&links);
    }
    if f.panel_invitation {
        body.para(c.panel, &company);
    }
    if f.reward {
        body.para(c.reward, &company);
    }
    body.sign_off(c.regards, f.company);
    let subject = if ambassador {
        c.thanks_subject_ambassador
    } else {
        c.thanks_subject
    };
    body.finish(fill(subject, &company))
}

/// Asks a passive (7–8) what would make it a 9 or 10.
pub fn passive_nudge(lang: &Language, company: &str, name: Option<&str>) -> EmailContent {
    let c = catalog(lang);
    let values = [("company", company)];
    let mut body = Body::new(c);
    let (hello, name) = greeting(c, name);
    para_owned(&mut body, hello, &name);
    body.para(c.nudge, &values);
    body.sign_off(c.regards, company);
    body.finish(fill(c.nudge_subject, &values))
}

/// Asks the customer of a resolved case to answer again, to measure recovery.
pub fn resurvey(
    lang: &Language,
    company: &str,
    name: Option<&str>,
    survey_url: &str,
) -> EmailContent {
    let c = catalog(lang);
    let values = [("company", company)];
    let mut body = Body::new(c);
    let (hello, name) = greeting(c, name);
    para_owned(&mut body, hello, &name);
    body.para(c.resurvey, &values);
    body.links(&[(c.resurvey_link, survey_url)]);
    body.sign_off(c.regards, company);
    body.finish(fill(c.resurvey_subject, &values))
}

fn slack_line(template: &str, icon: &str, lang: &Language, f: &AlertFacts) -> String {
    let customer = escape_slack(f.customer);
    let assignee = escape_slack(f.assignee);
    let comment = f
        .comment
        .map(|c| format!(" — “{}”", escape_slack(c)))
        .unwrap_or_default();
    let (score, case) = (f.score.to_string(), f.case_id.to_string());
    let line = fill(
        template,
        &[
            ("score", &score),
            ("customer", &customer),
            ("comment", &comment),
            ("case", &case),
            ("priority", priority_label(lang, f.priority)),
            ("assignee", &assignee),
            ("due", f.due),
            ("url", f.case_url),
        ],
    );
    format!("{icon} {line}")
}

/// A one-line chat alert about a detractor (Slack mrkdwn), in the workspace's language.
pub fn slack_alert(lang: &Language, f: &AlertFacts) -> String {
    slack_line(catalog(lang).slack_alert, ":rotating_light:", lang, f)
}

/// A one-line chat alert about a case that missed its SLA.
pub fn slack_overdue(lang: &Language, f: &AlertFacts) -> String {
    slack_line(catalog(lang).slack_overdue, ":alarm_clock:", lang, f)
}

mod chat;
mod reply;

pub use chat::{
    answer_alert_email, answer_alert_slack, answer_alert_teams, answer_digest_email,
    answer_digest_slack, answer_digest_teams, slack_blocks, teams_card, teams_overdue_card,
    AnswerAlert,
};
pub use reply::{customer_replied, ReplyFacts};

#[cfg(test)]
mod tests;
