//! The emails Advocate sends to staff, in the recipient's own language: invitations to a
//! team, password resets, password changes and digests. Same building blocks as the customers' emails
//! (`fill`, [`super::Body`]): values from users are escaped in the HTML part.

use super::{escape_html, fill, priority_label, Body, EmailContent};
use crate::labels::Language;
use crate::nps::NpsCounts;
use crate::playbook::Priority;

/// One language's staff words. Placeholders in braces are filled by [`fill`].
struct StaffCatalog {
    lang: &'static str,
    // Invitation to a workspace. {inviter} {workspace} {role} {days}
    invite_subject: &'static str,
    invite_intro: &'static str,
    invite_new: &'static str,
    invite_existing: &'static str,
    // Password reset. {email} {minutes}
    reset_subject: &'static str,
    reset_intro: &'static str,
    reset_link: &'static str,
    reset_ignore: &'static str,
    // Password changed from the account page. {email}
    changed_subject: &'static str,
    changed_intro: &'static str,
    changed_not_you: &'static str,
    // Digest. {workspace}
    digest_subject_daily: &'static str,
    digest_subject_weekly: &'static str,
    digest_intro_daily: &'static str,
    digest_intro_weekly: &'static str,
    /// {open} {overdue}
    cases_yours: &'static str,
    cases_all: &'static str,
    overdue: &'static str,
    /// {count}
    detractors: &'static str,
    no_comment: &'static str,
    /// {nps} {previous} {change}
    nps: &'static str,
    /// {nps}
    nps_no_previous: &'static str,
    nps_none: &'static str,
    significant: &'static str,
    not_significant: &'static str,
    /// {rate} {answered} {sent}
    response_rate: &'static str,
    themes_top: &'static str,
    /// {theme} {mentions} {impact}
    theme_line: &'static str,
    themes_rising: &'static str,
    /// {theme} {before} {now}
    rising_line: &'static str,
    score: &'static str,
    dashboard: &'static str,
    unsubscribe: &'static str,
    why: &'static str,
    /// Admin, manager, agent, viewer.
    roles: [&'static str; 4],
    /// The page behind the unsubscribe link: title, question, button, done, sign in.
    /// {workspace} {email}
    unsubscribe_page: [&'static str; 5],
}

const EN: StaffCatalog = StaffCatalog {
    lang: "en",
    invite_subject: "You are invited to {workspace} on Advocate",
    invite_intro: "{inviter} invited you to join {workspace} on Advocate as {role}.",
    invite_new: "Choose your password here (the link works for {days} days, once):",
    invite_existing:
        "Accept with your Advocate password here (the link works for {days} days, once):",
    reset_subject: "Reset your Advocate password",
    reset_intro: "Someone asked to reset the password of {email} on Advocate.",
    reset_link: "Choose a new password here (the link works for {minutes} minutes, once):",
    reset_ignore: "If it was not you, ignore this email: your password stays as it is.",
    changed_subject: "Your Advocate password was changed",
    changed_intro:
        "The password of {email} on Advocate was just changed, and every other sign-in of it was signed out.",
    changed_not_you:
        "If it was not you, reset your password at once from the sign-in page and tell your admin.",
    digest_subject_daily: "{workspace}: your daily digest",
    digest_subject_weekly: "{workspace}: your weekly digest",
    digest_intro_daily: "What needs you in {workspace}, from the last 24 hours.",
    digest_intro_weekly: "What needs you in {workspace}, from the last 7 days.",
    cases_yours: "Your open cases: {open}, of which {overdue} overdue.",
    cases_all: "Open cases: {open}, of which {overdue} overdue.",
    overdue: "overdue",
    detractors: "New detractors: {count}.",
    no_comment: "(no comment)",
    nps: "NPS: {nps} (the period before: {previous}, change {change}).",
    nps_no_previous: "NPS: {nps} (no answers in the period before).",
    nps_none: "No NPS answers in this period.",
    significant: "The change is statistically significant.",
    not_significant: "The change is within the noise: not statistically significant.",
    response_rate: "Response rate: {rate} % ({answered} of {sent} invitations answered).",
    themes_top: "Top themes by impact on NPS:",
    theme_line: "{theme}: {mentions} mentions, impact {impact} NPS points",
    themes_rising:
        "Rising themes, mentioned by significantly more of those who commented than in the period before:",
    rising_line: "{theme}: {before} % → {now} % of comments",
    score: "score",
    dashboard: "Open the dashboard",
    unsubscribe: "Unsubscribe from this digest",
    why: "You get this digest because you chose it on your account page.",
    roles: ["an admin", "a manager", "an agent", "a viewer"],
    unsubscribe_page: [
        "Your digest from {workspace}",
        "Stop the digest emails {email} gets from {workspace}?",
        "Unsubscribe",
        "{email} gets no more digests from {workspace}. You can turn it on again on your account page.",
        "Sign in",
    ],
};

const NB: StaffCatalog = StaffCatalog {
    lang: "nb",
    invite_subject: "Du er invitert til {workspace} i Advocate",
    invite_intro: "{inviter} har invitert deg til {workspace} i Advocate som {role}.",
    invite_new: "Velg passordet ditt her (lenken virker i {days} dager, én gang):",
    invite_existing:
        "Godta med Advocate-passordet ditt her (lenken virker i {days} dager, én gang):",
    reset_subject: "Tilbakestill passordet ditt i Advocate",
    reset_intro: "Noen har bedt om å tilbakestille passordet til {email} i Advocate.",
    reset_link: "Velg et nytt passord her (lenken virker i {minutes} minutter, én gang):",
    reset_ignore:
        "Var det ikke deg, kan du se bort fra denne e-posten: passordet ditt forblir som det er.",
    changed_subject: "Passordet ditt i Advocate er endret",
    changed_intro:
        "Passordet til {email} i Advocate ble nettopp endret, og alle andre innlogginger ble logget ut.",
    changed_not_you:
        "Var det ikke deg, tilbakestill passordet straks fra innloggingssiden og si fra til administratoren din.",
    digest_subject_daily: "{workspace}: din daglige oppsummering",
    digest_subject_weekly: "{workspace}: din ukentlige oppsummering",
    digest_intro_daily: "Dette trenger deg i {workspace}, fra det siste døgnet.",
    digest_intro_weekly: "Dette trenger deg i {workspace}, fra de siste 7 dagene.",
    cases_yours: "Dine åpne saker: {open}, hvorav {overdue} på overtid.",
    cases_all: "Åpne saker: {open}, hvorav {overdue} på overtid.",
    overdue: "på overtid",
    detractors: "Nye kritikere: {count}.",
    no_comment: "(ingen kommentar)",
    nps: "NPS: {nps} (perioden før: {previous}, endring {change}).",
    nps_no_previous: "NPS: {nps} (ingen svar i perioden før).",
    nps_none: "Ingen NPS-svar i denne perioden.",
    significant: "Endringen er statistisk signifikant.",
    not_significant: "Endringen er innenfor støyen: ikke statistisk signifikant.",
    response_rate: "Svarprosent: {rate} % ({answered} av {sent} invitasjoner besvart).",
    themes_top: "Temaene som påvirker NPS mest:",
    theme_line: "{theme}: {mentions} omtaler, effekt {impact} NPS-poeng",
    themes_rising:
        "Temaer på vei opp, nevnt av signifikant flere av dem som kommenterte enn i perioden før:",
    rising_line: "{theme}: {before} % → {now} % av kommentarene",
    score: "score",
    dashboard: "Åpne dashbordet",
    unsubscribe: "Meld deg av denne oppsummeringen",
    why: "Du får denne oppsummeringen fordi du valgte den på kontosiden din.",
    roles: ["administrator", "leder", "saksbehandler", "leser"],
    unsubscribe_page: [
        "Oppsummeringen din fra {workspace}",
        "Stoppe oppsummeringene {email} får fra {workspace}?",
        "Meld av",
        "{email} får ikke flere oppsummeringer fra {workspace}. Du kan slå dem på igjen på kontosiden din.",
        "Logg inn",
    ],
};

const SV: StaffCatalog = StaffCatalog {
    lang: "sv",
    invite_subject: "Du är inbjuden till {workspace} i Advocate",
    invite_intro: "{inviter} har bjudit in dig till {workspace} i Advocate som {role}.",
    invite_new: "Välj ditt lösenord här (länken fungerar i {days} dagar, en gång):",
    invite_existing:
        "Acceptera med ditt Advocate-lösenord här (länken fungerar i {days} dagar, en gång):",
    reset_subject: "Återställ ditt lösenord i Advocate",
    reset_intro: "Någon har bett om att återställa lösenordet för {email} i Advocate.",
    reset_link: "Välj ett nytt lösenord här (länken fungerar i {minutes} minuter, en gång):",
    reset_ignore:
        "Om det inte var du kan du bortse från det här mejlet: ditt lösenord förblir oförändrat.",
    changed_subject: "Ditt lösenord i Advocate har ändrats",
    changed_intro:
        "Lösenordet för {email} i Advocate har just ändrats, och alla andra inloggningar har loggats ut.",
    changed_not_you:
        "Om det inte var du, återställ lösenordet genast från inloggningssidan och meddela din administratör.",
    digest_subject_daily: "{workspace}: din dagliga sammanfattning",
    digest_subject_weekly: "{workspace}: din veckosammanfattning",
    digest_intro_daily: "Det här behöver dig i {workspace}, från det senaste dygnet.",
    digest_intro_weekly: "Det här behöver dig i {workspace}, från de senaste 7 dagarna.",
    cases_yours: "Dina öppna ärenden: {open}, varav {overdue} försenade.",
    cases_all: "Öppna ärenden: {open}, varav {overdue} försenade.",
    overdue: "försenat",
    detractors: "Nya kritiker: {count}.",
    no_comment: "(ingen kommentar)",
    nps: "NPS: {nps} (perioden innan: {previous}, förändring {change}).",
    nps_no_previous: "NPS: {nps} (inga svar perioden innan).",
    nps_none: "Inga NPS-svar under perioden.",
    significant: "Förändringen är statistiskt signifikant.",
    not_significant: "Förändringen ligger inom bruset: inte statistiskt signifikant.",
    response_rate: "Svarsfrekvens: {rate} % ({answered} av {sent} inbjudningar besvarade).",
    themes_top: "Teman som påverkar NPS mest:",
    theme_line: "{theme}: {mentions} omnämnanden, påverkan {impact} NPS-poäng",
    themes_rising:
        "Teman på uppgång, nämnda av signifikant fler av dem som kommenterade än perioden innan:",
    rising_line: "{theme}: {before} % → {now} % av kommentarerna",
    score: "betyg",
    dashboard: "Öppna översikten",
    unsubscribe: "Avsluta prenumerationen på sammanfattningen",
    why: "Du får den här sammanfattningen eftersom du valde den på din kontosida.",
    roles: ["administratör", "chef", "handläggare", "läsare"],
    unsubscribe_page: [
        "Din sammanfattning från {workspace}",
        "Sluta skicka sammanfattningar till {email} från {workspace}?",
        "Avsluta prenumerationen",
        "{email} får inga fler sammanfattningar från {workspace}. Du kan slå på dem igen på din kontosida.",
        "Logga in",
    ],
};

const DA: StaffCatalog = StaffCatalog {
    lang: "da",
    invite_subject: "Du er inviteret til {workspace} i Advocate",
    invite_intro: "{inviter} har inviteret dig til {workspace} i Advocate som {role}.",
    invite_new: "Vælg din adgangskode her (linket virker i {days} dage, én gang):",
    invite_existing:
        "Accepter med din Advocate-adgangskode her (linket virker i {days} dage, én gang):",
    reset_subject: "Nulstil din adgangskode til Advocate",
    reset_intro: "Nogen har bedt om at nulstille adgangskoden til {email} i Advocate.",
    reset_link: "Vælg en ny adgangskode her (linket virker i {minutes} minutter, én gang):",
    reset_ignore:
        "Hvis det ikke var dig, kan du se bort fra denne e-mail: din adgangskode forbliver uændret.",
    changed_subject: "Din adgangskode til Advocate er ændret",
    changed_intro:
        "Adgangskoden til {email} i Advocate er netop blevet ændret, og alle andre logins er logget ud.",
    changed_not_you:
        "Hvis det ikke var dig, så nulstil din adgangskode med det samme fra login-siden og giv din administrator besked.",
    digest_subject_daily: "{workspace}: dit daglige overblik",
    digest_subject_weekly: "{workspace}: dit ugentlige overblik",
    digest_intro_daily: "Det her har brug for dig i {workspace}, fra det seneste døgn.",
    digest_intro_weekly: "Det her har brug for dig i {workspace}, fra de seneste 7 dage.",
    cases_yours: "Dine åbne sager: {open}, heraf {overdue} forsinkede.",
    cases_all: "Åbne sager: {open}, heraf {overdue} forsinkede.",
    overdue: "forsinket",
    detractors: "Nye kritikere: {count}.",
    no_comment: "(ingen kommentar)",
    nps: "NPS: {nps} (perioden før: {previous}, ændring {change}).",
    nps_no_previous: "NPS: {nps} (ingen svar i perioden før).",
    nps_none: "Ingen NPS-svar i denne periode.",
    significant: "Ændringen er statistisk signifikant.",
    not_significant: "Ændringen ligger inden for støjen: ikke statistisk signifikant.",
    response_rate: "Svarprocent: {rate} % ({answered} af {sent} invitationer besvaret).",
    themes_top: "Temaerne, der påvirker NPS mest:",
    theme_line: "{theme}: {mentions} omtaler, effekt {impact} NPS-point",
    themes_rising:
        "Temaer i vækst, nævnt af signifikant flere af dem, der kommenterede, end i perioden før:",
    rising_line: "{theme}: {before} % → {now} % af kommentarerne",
    score: "score",
    dashboard: "Åbn oversigten",
    unsubscribe: "Afmeld dette overblik",
    why: "Du får dette overblik, fordi du valgte det på din kontoside.",
    roles: ["administrator", "leder", "sagsbehandler", "læser"],
    unsubscribe_page: [
        "Dit overblik fra {workspace}",
        "Stop de overblik, {email} får fra {workspace}?",
        "Afmeld",
        "{email} får ikke flere overblik fra {workspace}. Du kan slå dem til igen på din kontoside.",
        "Log ind",
    ],
};

const FI: StaffCatalog = StaffCatalog {
    lang: "fi",
    invite_subject: "Sinut on kutsuttu Advocateen: {workspace}",
    invite_intro: "{inviter} kutsui sinut Advocateen työtilaan {workspace}. Roolisi: {role}.",
    invite_new: "Valitse salasanasi tästä (linkki toimii {days} päivää, kerran):",
    invite_existing: "Hyväksy Advocate-salasanallasi tästä (linkki toimii {days} päivää, kerran):",
    reset_subject: "Vaihda Advocate-salasanasi",
    reset_intro: "Joku pyysi vaihtamaan Advocate-tilin {email} salasanan.",
    reset_link: "Valitse uusi salasana tästä (linkki toimii {minutes} minuuttia, kerran):",
    reset_ignore:
        "Jos et pyytänyt tätä, voit jättää viestin huomiotta: salasanasi pysyy ennallaan.",
    changed_subject: "Advocate-salasanasi vaihdettiin",
    changed_intro:
        "Advocate-tilin {email} salasana vaihdettiin juuri, ja kaikki muut kirjautumiset kirjattiin ulos.",
    changed_not_you:
        "Jos et tehnyt tätä itse, vaihda salasana heti kirjautumissivulta ja kerro ylläpitäjälle.",
    digest_subject_daily: "{workspace}: päivittäinen koosteesi",
    digest_subject_weekly: "{workspace}: viikoittainen koosteesi",
    digest_intro_daily: "Nämä odottavat sinua viimeisen vuorokauden ajalta. Työtila: {workspace}.",
    digest_intro_weekly: "Nämä odottavat sinua viimeisen 7 päivän ajalta. Työtila: {workspace}.",
    cases_yours: "Avoimet tapauksesi: {open}, joista myöhässä {overdue}.",
    cases_all: "Avoimet tapaukset: {open}, joista myöhässä {overdue}.",
    overdue: "myöhässä",
    detractors: "Uudet arvostelijat: {count}.",
    no_comment: "(ei kommenttia)",
    nps: "NPS: {nps} (edellinen jakso: {previous}, muutos {change}).",
    nps_no_previous: "NPS: {nps} (edellisellä jaksolla ei vastauksia).",
    nps_none: "Tällä jaksolla ei NPS-vastauksia.",
    significant: "Muutos on tilastollisesti merkitsevä.",
    not_significant: "Muutos on satunnaisvaihtelun rajoissa: ei tilastollisesti merkitsevä.",
    response_rate: "Vastausprosentti: {rate} % ({answered}/{sent} kutsuun vastattu).",
    themes_top: "Aiheet, jotka vaikuttavat NPS:ään eniten:",
    theme_line: "{theme}: {mentions} mainintaa, vaikutus {impact} NPS-pistettä",
    themes_rising:
        "Nousevat aiheet, jotka mainitsee merkitsevästi suurempi osa kommentoijista kuin edellisellä jaksolla:",
    rising_line: "{theme}: {before} % → {now} % kommenteista",
    score: "pisteet",
    dashboard: "Avaa koontinäyttö",
    unsubscribe: "Peru tämän koosteen tilaus",
    why: "Saat tämän koosteen, koska valitsit sen tilisivullasi.",
    roles: ["ylläpitäjä", "esihenkilö", "käsittelijä", "katselija"],
    unsubscribe_page: [
        "Koosteesi työtilasta {workspace}",
        "Lopetetaanko koosteet, jotka {email} saa työtilasta {workspace}?",
        "Peru tilaus",
        "{email} ei enää saa koosteita työtilasta {workspace}. Voit ottaa ne uudelleen käyttöön tilisivultasi.",
        "Kirjaudu sisään",
    ],
};

const DE: StaffCatalog = StaffCatalog {
    lang: "de",
    invite_subject: "Einladung zu {workspace} in Advocate",
    invite_intro: "{inviter} hat Sie eingeladen, {workspace} in Advocate als {role} beizutreten.",
    invite_new: "Wählen Sie hier Ihr Passwort (der Link gilt {days} Tage, einmalig):",
    invite_existing:
        "Nehmen Sie hier mit Ihrem Advocate-Passwort an (der Link gilt {days} Tage, einmalig):",
    reset_subject: "Setzen Sie Ihr Advocate-Passwort zurück",
    reset_intro: "Jemand hat angefordert, das Passwort von {email} in Advocate zurückzusetzen.",
    reset_link: "Wählen Sie hier ein neues Passwort (der Link gilt {minutes} Minuten, einmalig):",
    reset_ignore:
        "Falls Sie das nicht waren, ignorieren Sie diese E-Mail: Ihr Passwort bleibt unverändert.",
    changed_subject: "Ihr Advocate-Passwort wurde geändert",
    changed_intro:
        "Das Passwort von {email} in Advocate wurde soeben geändert, und alle anderen Anmeldungen wurden abgemeldet.",
    changed_not_you:
        "Falls Sie das nicht waren, setzen Sie Ihr Passwort sofort auf der Anmeldeseite zurück und informieren Sie Ihre Administration.",
    digest_subject_daily: "{workspace}: Ihre tägliche Übersicht",
    digest_subject_weekly: "{workspace}: Ihre wöchentliche Übersicht",
    digest_intro_daily: "Was in {workspace} auf Sie wartet, aus den letzten 24 Stunden.",
    digest_intro_weekly: "Was in {workspace} auf Sie wartet, aus den letzten 7 Tagen.",
    cases_yours: "Ihre offenen Fälle: {open}, davon {overdue} überfällig.",
    cases_all: "Offene Fälle: {open}, davon {overdue} überfällig.",
    overdue: "überfällig",
    detractors: "Neue Kritiker: {count}.",
    no_comment: "(kein Kommentar)",
    nps: "NPS: {nps} (Zeitraum davor: {previous}, Veränderung {change}).",
    nps_no_previous: "NPS: {nps} (keine Antworten im Zeitraum davor).",
    nps_none: "Keine NPS-Antworten in diesem Zeitraum.",
    significant: "Die Veränderung ist statistisch signifikant.",
    not_significant: "Die Veränderung liegt im Rauschen: nicht statistisch signifikant.",
    response_rate: "Antwortquote: {rate} % ({answered} von {sent} Einladungen beantwortet).",
    themes_top: "Die Themen mit der größten Wirkung auf den NPS:",
    theme_line: "{theme}: {mentions} Erwähnungen, Wirkung {impact} NPS-Punkte",
    themes_rising:
        "Steigende Themen, von signifikant mehr Kommentierenden genannt als im Zeitraum davor:",
    rising_line: "{theme}: {before} % → {now} % der Kommentare",
    score: "Bewertung",
    dashboard: "Dashboard öffnen",
    unsubscribe: "Diese Übersicht abbestellen",
    why: "Sie erhalten diese Übersicht, weil Sie sie auf Ihrer Kontoseite gewählt haben.",
    roles: ["Administrator", "Manager", "Sachbearbeiter", "Leser"],
    unsubscribe_page: [
        "Ihre Zusammenfassung von {workspace}",
        "Die Zusammenfassungen an {email} von {workspace} abbestellen?",
        "Abbestellen",
        "{email} erhält keine Zusammenfassungen von {workspace} mehr. Sie können sie auf Ihrer Kontoseite wieder einschalten.",
        "Anmelden",
    ],
};

const NL: StaffCatalog = StaffCatalog {
    lang: "nl",
    invite_subject: "Je bent uitgenodigd voor {workspace} in Advocate",
    invite_intro: "{inviter} heeft je uitgenodigd voor {workspace} in Advocate als {role}.",
    invite_new: "Kies hier je wachtwoord (de link werkt {days} dagen, één keer):",
    invite_existing:
        "Accepteer hier met je Advocate-wachtwoord (de link werkt {days} dagen, één keer):",
    reset_subject: "Stel je Advocate-wachtwoord opnieuw in",
    reset_intro:
        "Iemand heeft gevraagd het wachtwoord van {email} in Advocate opnieuw in te stellen.",
    reset_link: "Kies hier een nieuw wachtwoord (de link werkt {minutes} minuten, één keer):",
    reset_ignore: "Was jij dit niet? Negeer dan deze e-mail: je wachtwoord blijft zoals het is.",
    changed_subject: "Je Advocate-wachtwoord is gewijzigd",
    changed_intro:
        "Het wachtwoord van {email} in Advocate is zojuist gewijzigd, en alle andere aanmeldingen zijn afgemeld.",
    changed_not_you:
        "Was jij dit niet? Stel je wachtwoord dan meteen opnieuw in via de aanmeldpagina en laat het je beheerder weten.",
    digest_subject_daily: "{workspace}: je dagelijkse overzicht",
    digest_subject_weekly: "{workspace}: je wekelijkse overzicht",
    digest_intro_daily: "Wat in {workspace} op je wacht, uit de afgelopen 24 uur.",
    digest_intro_weekly: "Wat in {workspace} op je wacht, uit de afgelopen 7 dagen.",
    cases_yours: "Je open zaken: {open}, waarvan {overdue} te laat.",
    cases_all: "Open zaken: {open}, waarvan {overdue} te laat.",
    overdue: "te laat",
    detractors: "Nieuwe criticasters: {count}.",
    no_comment: "(geen opmerking)",
    nps: "NPS: {nps} (de periode ervoor: {previous}, verandering {change}).",
    nps_no_previous: "NPS: {nps} (geen antwoorden in de periode ervoor).",
    nps_none: "Geen NPS-antwoorden in deze periode.",
    significant: "De verandering is statistisch significant.",
    not_significant: "De verandering valt binnen de ruis: niet statistisch significant.",
    response_rate: "Responspercentage: {rate} % ({answered} van {sent} uitnodigingen beantwoord).",
    themes_top: "Thema's met de meeste invloed op de NPS:",
    theme_line: "{theme}: {mentions} vermeldingen, invloed {impact} NPS-punten",
    themes_rising:
        "Stijgende thema's, genoemd door significant meer mensen met een opmerking dan in de periode ervoor:",
    rising_line: "{theme}: {before} % → {now} % van de opmerkingen",
    score: "score",
    dashboard: "Open het dashboard",
    unsubscribe: "Afmelden voor dit overzicht",
    why: "Je krijgt dit overzicht omdat je het op je accountpagina hebt gekozen.",
    roles: ["beheerder", "manager", "medewerker", "lezer"],
    unsubscribe_page: [
        "Uw overzicht van {workspace}",
        "De overzichten die {email} van {workspace} krijgt stoppen?",
        "Afmelden",
        "{email} krijgt geen overzichten meer van {workspace}. U kunt ze op uw accountpagina weer aanzetten.",
        "Inloggen",
    ],
};

const CATALOGS: [&StaffCatalog; 7] = [&EN, &NB, &SV, &DA, &FI, &DE, &NL];

fn catalog(lang: &Language) -> &'static StaffCatalog {
    CATALOGS
        .into_iter()
        .find(|c| c.lang == lang.as_str())
        .unwrap_or(&EN)
}

fn body(c: &StaffCatalog) -> Body {
    Body {
        lang: c.lang,
        text: Vec::new(),
        html: Vec::new(),
    }
}

/// What an invitation to join a workspace says.
pub struct TeamInvitation<'a> {
    pub inviter: &'a str,
    pub workspace: &'a str,
    pub role: crate::access::Role,
    pub has_account: bool,
    pub days: i64,
    pub link: &'a str,
}

/// An invitation to join a workspace, in the invited person's language.
pub fn team_invitation(lang: &Language, f: &TeamInvitation) -> EmailContent {
    let c = catalog(lang);
    let days = f.days.to_string();
    let values = [
        ("inviter", f.inviter),
        ("workspace", f.workspace),
        ("role", role_name(c, f.role)),
        ("days", days.as_str()),
    ];
    let mut b = body(c);
    b.para(c.invite_intro, &values);
    let how = if f.has_account {
        c.invite_existing
    } else {
        c.invite_new
    };
    b.line_and_link(how, &values, f.link);
    b.finish(fill(c.invite_subject, &values))
}

/// A role as the catalog's language names it.
fn role_name(c: &StaffCatalog, role: crate::access::Role) -> &'static str {
    use crate::access::Role;
    let i = match role {
        Role::Admin => 0,
        Role::Manager => 1,
        Role::Agent => 2,
        Role::Viewer => 3,
    };
    c.roles[i]
}

/// A role in a staff language, for pages and emails.
pub fn role_in(lang: &Language, role: crate::access::Role) -> &'static str {
    role_name(catalog(lang), role)
}

/// The words of the page behind a digest's unsubscribe link, in the person's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubscribeWords {
    pub lang: &'static str,
    pub title: String,
    pub question: String,
    pub button: &'static str,
    pub done: String,
    pub sign_in: &'static str,
}

pub fn unsubscribe_words(lang: &Language, workspace: &str, email: &str) -> UnsubscribeWords {
    let c = catalog(lang);
    let values = [("workspace", workspace), ("email", email)];
    let [title, question, button, done, sign_in] = c.unsubscribe_page;
    UnsubscribeWords {
        lang: c.lang,
        title: fill(title, &values),
        question: fill(question, &values),
        button,
        done: fill(done, &values),
        sign_in,
    }
}

/// A password-reset email, in the person's language.
pub fn password_reset(lang: &Language, email: &str, minutes: i64, link: &str) -> EmailContent {
    let c = catalog(lang);
    let minutes = minutes.to_string();
    let values = [("email", email), ("minutes", minutes.as_str())];
    let mut b = body(c);
    b.para(c.reset_intro, &values);
    b.line_and_link(c.reset_link, &values, link);
    b.para(c.reset_ignore, &[]);
    b.finish(fill(c.reset_subject, &values))
}

/// The notice that a person's password was changed (from their account page), in their
/// language: no link, so that a phishing copy of it has nothing to imitate.
pub fn password_changed(lang: &Language, email: &str) -> EmailContent {
    let c = catalog(lang);
    let values = [("email", email)];
    let mut b = body(c);
    b.para(c.changed_intro, &values);
    b.para(c.changed_not_you, &[]);
    b.finish(fill(c.changed_subject, &values))
}

/// A case a digest lists.
#[derive(Debug, Clone)]
pub struct DigestCase {
    pub id: i64,
    pub customer: String,
    pub score: u8,
    pub priority: Priority,
    pub overdue: bool,
    pub url: String,
}

/// A new detractor a digest lists.
#[derive(Debug, Clone)]
pub struct DigestDetractor {
    pub customer: String,
    pub score: u8,
    pub comment: Option<String>,
    pub url: String,
}

/// A theme a digest lists among the top ones by impact.
#[derive(Debug, Clone)]
pub struct DigestTheme {
    /// Its name in the member's language.
    pub name: String,
    pub mentions: u64,
    /// In NPS points (see [`crate::themes::drivers`]).
    pub impact: f64,
    /// The comments that mention it in the period.
    pub url: String,
}

/// A rising theme a digest lists (see [`crate::themes::rising`]).
#[derive(Debug, Clone)]
pub struct DigestRisingTheme {
    pub name: String,
    /// Percentages of commenters, the period before and this one.
    pub previous_share: f64,
    pub share: f64,
    pub url: String,
}

/// Everything a digest says, gathered by the store for one member and period.
#[derive(Debug, Clone)]
pub struct DigestFacts {
    pub workspace: String,
    pub weekly: bool,
    /// The cases are the member's own (an agent's), not the workspace's.
    pub own_cases: bool,
    pub open_cases: u64,
    pub overdue_cases: u64,
    /// The first open cases, soonest due first.
    pub cases: Vec<DigestCase>,
    pub new_detractors: u64,
    /// The first new detractors, newest first.
    pub detractors: Vec<DigestDetractor>,
    pub nps: NpsCounts,
    pub previous_nps: NpsCounts,
    pub invitations_sent: u64,
    pub invitations_answered: u64,
    /// What customers talk about: none for a member who sees only their own cases, or
    /// when no comment of the period mentions a theme.
    pub top_themes: Vec<DigestTheme>,
    pub rising_themes: Vec<DigestRisingTheme>,
    pub dashboard_url: String,
    pub unsubscribe_url: String,
}

/// How many characters of a comment a digest shows.
pub const EXCERPT_CHARS: usize = 160;

/// The start of a comment, cut at a word where it can be, with an ellipsis when cut.
pub fn excerpt(comment: &str, max_chars: usize) -> String {
    let comment = comment.split_whitespace().collect::<Vec<_>>().join(" ");
    if comment.chars().count() <= max_chars {
        return comment;
    }
    let cut: String = comment.chars().take(max_chars).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max_chars / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

/// An NPS value as shown in a digest: whole points.
fn points(x: f64) -> String {
    format!("{x:.0}")
}

/// The digest of one member for one period, in their language: cases, new detractors,
/// NPS with its change and whether that change is significant, the response rate, the top
/// and the rising themes, and links to the dashboard and to unsubscribe.
pub fn digest(lang: &Language, f: &DigestFacts) -> EmailContent {
    let c = catalog(lang);
    let workspace = [("workspace", f.workspace.as_str())];
    let mut b = body(c);
    b.para(
        if f.weekly {
            c.digest_intro_weekly
        } else {
            c.digest_intro_daily
        },
        &workspace,
    );

    let (open, overdue) = (f.open_cases.to_string(), f.overdue_cases.to_string());
    b.para(
        if f.own_cases {
            c.cases_yours
        } else {
            c.cases_all
        },
        &[("open", &open), ("overdue", &overdue)],
    );
    let cases: Vec<(String, String)> = f
        .cases
        .iter()
        .map(|k| {
            let mut line = format!(
                "#{} {} ({} {}, {})",
                k.id,
                k.customer,
                c.score,
                k.score,
                priority_label(lang, k.priority)
            );
            if k.overdue {
                line.push_str(&format!(" — {}", c.overdue));
            }
            (line, k.url.clone())
        })
        .collect();
    b.list(&cases);

    let count = f.new_detractors.to_string();
    b.para(c.detractors, &[("count", &count)]);
    let detractors: Vec<(String, String)> = f
        .detractors
        .iter()
        .map(|d| {
            let comment = d
                .comment
                .as_deref()
                .map(|t| format!("“{}”", excerpt(t, EXCERPT_CHARS)))
                .unwrap_or_else(|| c.no_comment.to_owned());
            (
                format!("{} ({} {}): {comment}", d.customer, c.score, d.score),
                d.url.clone(),
            )
        })
        .collect();
    b.list(&detractors);

    match (f.nps.nps(), f.previous_nps.nps()) {
        (None, _) => b.para(c.nps_none, &[]),
        (Some(now), None) => b.para(c.nps_no_previous, &[("nps", &points(now))]),
        (Some(now), Some(before)) => {
            let change = format!("{:+.0}", now - before);
            b.para(
                c.nps,
                &[
                    ("nps", &points(now)),
                    ("previous", &points(before)),
                    ("change", &change),
                ],
            );
            if let Some(cmp) = f.nps.compare(&f.previous_nps) {
                b.para(
                    if cmp.significant {
                        c.significant
                    } else {
                        c.not_significant
                    },
                    &[],
                );
            }
        }
    }

    if f.invitations_sent > 0 {
        let rate = format!(
            "{:.0}",
            100.0 * f.invitations_answered as f64 / f.invitations_sent as f64
        );
        let (answered, sent) = (
            f.invitations_answered.to_string(),
            f.invitations_sent.to_string(),
        );
        b.para(
            c.response_rate,
            &[("rate", &rate), ("answered", &answered), ("sent", &sent)],
        );
    }

    themes(&mut b, c, f);

    b.links(&[(c.dashboard, f.dashboard_url.as_str())]);
    b.para(c.why, &[]);
    b.links(&[(c.unsubscribe, f.unsubscribe_url.as_str())]);
    let subject = if f.weekly {
        c.digest_subject_weekly
    } else {
        c.digest_subject_daily
    };
    b.finish(fill(subject, &workspace))
}

/// The top and the rising themes, each a list under its title; left out when empty.
fn themes(b: &mut Body, c: &StaffCatalog, f: &DigestFacts) {
    let top: Vec<(String, String)> = f
        .top_themes
        .iter()
        .map(|t| {
            let (mentions, impact) = (t.mentions.to_string(), format!("{:+.1}", t.impact));
            let values = [
                ("theme", t.name.as_str()),
                ("mentions", &mentions),
                ("impact", &impact),
            ];
            (fill(c.theme_line, &values), t.url.clone())
        })
        .collect();
    if !top.is_empty() {
        b.para(c.themes_top, &[]);
        b.list(&top);
    }
    let rising: Vec<(String, String)> = f
        .rising_themes
        .iter()
        .map(|t| {
            let (before, now) = (points(t.previous_share), points(t.share));
            let values = [
                ("theme", t.name.as_str()),
                ("before", &before),
                ("now", &now),
            ];
            (fill(c.rising_line, &values), t.url.clone())
        })
        .collect();
    if !rising.is_empty() {
        b.para(c.themes_rising, &[]);
        b.list(&rising);
    }
}

impl Body {
    /// A sentence followed by its link: on the next line in text, a link in HTML.
    fn line_and_link(&mut self, template: &str, values: &[(&str, &str)], link: &str) {
        self.para(template, values);
        let last = self.text.last_mut().expect("para pushed a line");
        last.push('\n');
        last.push_str(link);
        let html = self.html.last_mut().expect("para pushed a line");
        let link = escape_html(link);
        html.push_str(&format!("<br><a href=\"{link}\">{link}</a>"));
    }

    /// A list of linked lines (text: the line, then its link indented).
    fn list(&mut self, items: &[(String, String)]) {
        if items.is_empty() {
            return;
        }
        let text: Vec<String> = items
            .iter()
            .map(|(line, url)| format!("- {line}\n  {url}"))
            .collect();
        self.text.push(text.join("\n"));
        let html: String = items
            .iter()
            .map(|(line, url)| {
                format!(
                    "<li><a href=\"{}\">{}</a></li>",
                    escape_html(url),
                    escape_html(line)
                )
            })
            .collect();
        self.html.push(format!("<ul>{html}</ul>"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> DigestFacts {
        DigestFacts {
            workspace: "Acme <b>".into(),
            weekly: false,
            own_cases: true,
            open_cases: 2,
            overdue_cases: 1,
            cases: vec![DigestCase {
                id: 7,
                customer: "<Eve>".into(),
                score: 2,
                priority: Priority::High,
                overdue: true,
                url: "http://x/cases/7".into(),
            }],
            new_detractors: 1,
            detractors: vec![DigestDetractor {
                customer: "<Eve>".into(),
                score: 2,
                comment: Some("Slow & <rude>".into()),
                url: "http://x/cases/7".into(),
            }],
            nps: NpsCounts::new(8, 1, 1),
            previous_nps: NpsCounts::new(1, 1, 8),
            invitations_sent: 4,
            invitations_answered: 1,
            top_themes: Vec::new(),
            rising_themes: Vec::new(),
            dashboard_url: "http://x/dashboard".into(),
            unsubscribe_url: "http://x/digest/unsubscribe/t".into(),
        }
    }

    #[test]
    fn the_password_changed_notice_speaks_every_language_and_has_no_link() {
        let mut subjects = std::collections::BTreeSet::new();
        for lang in crate::i18n::SUPPORTED {
            let mail = password_changed(&Language::new(lang).unwrap(), "<kari>@example.com");
            assert!(subjects.insert(mail.subject.clone()), "{lang}");
            assert!(mail.text.contains("<kari>@example.com"), "{lang}");
            assert!(!mail.html.contains("<kari>"), "{lang}: escaped");
            assert!(!mail.text.contains("http"), "{lang}: no link to imitate");
        }
    }

    #[test]
    fn every_language_has_its_own_digest_and_escapes_values() {
        let mut subjects = std::collections::BTreeSet::new();
        for lang in crate::i18n::SUPPORTED {
            let mail = digest(&Language::new(lang).unwrap(), &facts());
            assert!(subjects.insert(mail.subject.clone()), "{lang}");
            assert!(mail.text.contains("<Eve>") && mail.text.contains("Slow & <rude>"));
            assert!(!mail.html.contains("<Eve>") && mail.html.contains("&lt;Eve&gt;"));
            assert!(mail.html.contains("http://x/digest/unsubscribe/t"));
            assert!(mail.text.contains("25 %"), "{lang}: {}", mail.text);
        }
        let nb = digest(&Language::new("nb").unwrap(), &facts());
        assert!(nb.text.contains("Dine åpne saker: 2"), "{}", nb.text);
        assert!(nb.text.contains("statistisk signifikant"), "{}", nb.text);
    }

    #[test]
    fn themes_come_in_every_language_and_only_when_there_are_some() {
        let mut f = facts();
        f.top_themes = vec![DigestTheme {
            name: "Billing <&>".into(),
            mentions: 42,
            impact: -5.26,
            url: "http://x/comments?theme=billing&from=2026-03-01&to=2026-03-02".into(),
        }];
        f.rising_themes = vec![DigestRisingTheme {
            name: "Delivery".into(),
            previous_share: 10.0,
            share: 30.4,
            url: "http://x/comments?theme=delivery".into(),
        }];
        let mut titles = std::collections::BTreeSet::new();
        for lang in crate::i18n::SUPPORTED {
            let c = catalog(&Language::new(lang).unwrap());
            let mail = digest(&Language::new(lang).unwrap(), &f);
            for title in [c.themes_top, c.themes_rising] {
                assert!(mail.text.contains(title), "{lang}: {}", mail.text);
                assert!(titles.insert(title), "{lang}: {title} twice");
            }
            assert!(mail.text.contains("Billing <&>: 42") && mail.text.contains("-5.3"));
            assert!(
                mail.html.contains("Billing &lt;&amp;&gt;: 42"),
                "{}",
                mail.html
            );
            assert!(mail.text.contains("Delivery: 10 % → 30 %"), "{}", mail.text);
            assert!(mail
                .html
                .contains("href=\"http://x/comments?theme=billing&amp;from="));
            let none = digest(&Language::new(lang).unwrap(), &facts());
            assert!(!none.text.contains(c.themes_top) && !none.text.contains(c.themes_rising));
        }
    }

    #[test]
    fn staff_emails_come_in_every_language() {
        let mut seen = std::collections::BTreeSet::new();
        for lang in crate::i18n::SUPPORTED {
            let lang = Language::new(lang).unwrap();
            let reset = password_reset(&lang, "a@b.c", 60, "http://x/r/1");
            let invite = team_invitation(
                &lang,
                &TeamInvitation {
                    inviter: "boss@b.c",
                    workspace: "Acme",
                    role: crate::access::Role::Agent,
                    has_account: false,
                    days: 7,
                    link: "http://x/invite/1",
                },
            );
            assert!(reset.text.contains("http://x/r/1") && reset.text.contains("60"));
            assert!(invite.text.contains("http://x/invite/1") && invite.text.contains("Acme"));
            let role = role_in(&lang, crate::access::Role::Agent);
            assert!(
                invite.text.contains(role),
                "{}: {}",
                lang.as_str(),
                invite.text
            );
            assert!(seen.insert(role.to_owned()), "{role}");
            assert!(seen.insert(reset.subject) && seen.insert(invite.subject));
        }
    }

    #[test]
    fn the_unsubscribe_page_speaks_every_language() {
        let mut seen = std::collections::BTreeSet::new();
        for lang in crate::i18n::SUPPORTED {
            let w = unsubscribe_words(&Language::new(lang).unwrap(), "Acme", "a@b.c");
            assert_eq!(w.lang, lang);
            assert!(
                w.title.contains("Acme") && w.question.contains("a@b.c"),
                "{w:?}"
            );
            assert!(w.done.contains("a@b.c") && !w.done.contains('{'), "{w:?}");
            assert!(seen.insert(w.question), "{lang}");
        }
    }

    #[test]
    fn excerpts_cut_long_comments_at_a_word() {
        assert_eq!(excerpt("short  one\n", 20), "short one");
        let long = "word ".repeat(50);
        let cut = excerpt(&long, 22);
        assert!(cut.ends_with('…') && cut.chars().count() <= 23, "{cut}");
    }
}
