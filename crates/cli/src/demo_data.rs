//! Deterministic demo data for `advocate demo`: a fictional Nordic telecom operator,
//! Nordlys Telecom, with 6,000 customers and about 56,000 answers over the 18 months
//! before `now`. Pure: no I/O, and the same seed and `now` always give the same data.
//!
//! The data tells a story a dashboard can reveal:
//! - overall NPS around +30; premium and business customers score higher than basic;
//!   Northern Norway is held back by coverage; one account manager's book lags;
//! - the `delivery` touchpoint scores well, `support` poorly;
//! - a network outage about nine months ago cuts the NPS by ~13 points for two months
//!   (with a surge of support answers and outage complaints), followed by a steady
//!   recovery to a level above where it started;
//! - SMS answers run a little lower than email; kiosk answers in the shops are anonymous;
//! - quarterly anonymous eNPS pulses, and a support CSAT survey on the 1–5 scale;
//! - business data (see `business`): customers acquired over the last years, churning
//!   (detractors three to four times as often as promoters, by their latest answer),
//!   orders in NOK, support contacts and loyalty members, none outside a customer's
//!   spells; nobody answers while not a customer.
//!
//! Emails use reserved `example` domains. Phone numbers have realistic formats but are
//! made up: the demo must never send real messages to them.

mod business;

use advocate_store::business::{HistoricContact, HistoricMembership, HistoricOrder, HistoricSpell};

use advocate_core::customer::{Attributes, CustomerInput};
use advocate_core::i18n::TextOverrides;
use advocate_core::{Channel, Label, Language, SurveyKind};
use advocate_store::models::NewSurvey;
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashSet};

/// How many customers the demo has.
pub const CUSTOMER_COUNT: usize = 6_000;
/// Answers fall within this many days before `now` (a little under 18 months).
pub const WINDOW_DAYS: i64 = 540;
/// The account managers customers are assigned to (names as stored on customers).
pub const ACCOUNT_MANAGERS: [&str; 8] = [
    "Ingrid Solberg",
    "Magnus Lindqvist",
    "Sofie Kjær",
    "Jonas Berg",
    "Emma Virtanen",
    "Lukas Becker",
    "Hanna Nilsson",
    "Anders Haugen",
];

/// Everything `advocate demo` loads: surveys first, then customers, then answers.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoData {
    pub surveys: Vec<NewSurvey>,
    pub customers: Vec<CustomerInput>,
    /// Sorted by `answered_at`, oldest first; none given while not a customer.
    pub answers: Vec<DemoAnswer>,
    /// Each customer's relationship: one spell from acquisition, ended at churn; a few
    /// who came back have a second.
    pub spells: Vec<HistoricSpell>,
    /// Monthly bills and purchases within the spells, oldest first, amounts in NOK.
    pub orders: Vec<HistoricOrder>,
    /// Support contacts, oldest first.
    pub contacts: Vec<HistoricContact>,
    pub loyalty: Vec<HistoricMembership>,
}

/// The demo workspace's reporting currency.
pub const CURRENCY: &str = business::REPORTING;

/// One answer, referring to its survey by slug and its customer by external id.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoAnswer {
    pub survey_slug: String,
    /// `None` for anonymous answers (kiosk, anonymous web link, eNPS).
    pub customer_external_id: Option<String>,
    /// Valid for the survey's kind: 0..=10 for NPS and eNPS, 1..=5 for CSAT.
    pub score: u8,
    pub comment: Option<String>,
    pub channel: Channel,
    pub language: Language,
    pub answered_at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------
// The story's knobs, in NPS points.

/// Days ago the outage began and ended, and by when its after-effects had faded.
const OUTAGE_START: i64 = 300;
const OUTAGE_END: i64 = 240;
const RECOVERED: i64 = 225;
const OUTAGE_DIP: f64 = -10.0;

/// Baseline category shares before any effect: NPS +30.
const BASE_PROMOTERS: f64 = 0.46;
const BASE_DETRACTORS: f64 = 0.18;

/// The NPS effect of time, `days_ago` before now.
fn time_effect(days_ago: i64) -> f64 {
    let d = days_ago as f64;
    if days_ago > OUTAGE_START {
        // Before the outage: flat, with a gentle seasonal wiggle.
        1.5 * (d * std::f64::consts::TAU / 365.0).sin()
    } else if days_ago > OUTAGE_START - 3 {
        // It hits within days.
        OUTAGE_DIP * (OUTAGE_START as f64 - d) / 3.0
    } else if days_ago >= OUTAGE_END {
        OUTAGE_DIP
    } else if days_ago >= RECOVERED {
        OUTAGE_DIP + 8.0 * (OUTAGE_END as f64 - d) / (OUTAGE_END - RECOVERED) as f64
    } else {
        // Recovery: from −5 right after, to +8 today.
        -5.0 + 13.0 * (RECOVERED as f64 - d) / RECOVERED as f64
    }
}

fn in_outage(days_ago: i64) -> bool {
    (OUTAGE_END..=OUTAGE_START).contains(&days_ago)
}

// ---------------------------------------------------------------------------------------
// Comment templates.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    General,
    Support,
    Delivery,
    Onboarding,
    Renewal,
    Outage,
}

const G: Topic = Topic::General;
const S: Topic = Topic::Support;
const D: Topic = Topic::Delivery;
const O: Topic = Topic::Onboarding;
const R: Topic = Topic::Renewal;
const X: Topic = Topic::Outage;

/// A comment template; `{product}`, `{mobile}`, `{agent}`, `{days}` and `{minutes}` are
/// filled in.
struct Tpl(Topic, &'static str);

struct Comments {
    detractor: &'static [Tpl],
    passive: &'static [Tpl],
    promoter: &'static [Tpl],
    detractor_closers: &'static [&'static str],
    promoter_closers: &'static [&'static str],
}

/// A customer language with its names and comments.
struct Lang {
    code: &'static str,
    /// Share of customers speaking it.
    weight: f64,
    first: &'static [&'static str],
    last: &'static [&'static str],
    /// First names of support agents mentioned in comments.
    agents: &'static [&'static str],
    /// Business customer names: a template with `{last}`, and a word for the domain.
    companies: &'static [(&'static str, &'static str)],
    mailbox: &'static str,
    comments: Comments,
}

const EN: usize = 0;
const NB: usize = 1;
const SV: usize = 2;
const DA: usize = 3;
const FI: usize = 4;
const DE: usize = 5;
const NL: usize = 6;

const LANGS: [Lang; 7] = [
    Lang {
        code: "en",
        weight: 14.0,
        first: &[
            "Oliver", "George", "Harry", "Jack", "Thomas", "James", "William", "Daniel",
            "Michael", "David", "Ryan", "Olivia", "Emily", "Sophie", "Charlotte", "Amelia",
            "Grace", "Hannah", "Jessica", "Lucy", "Sarah", "Emma", "Chloe", "Laura",
        ],
        last: &[
            "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
            "Hall", "Wood", "Jackson", "Clarke", "Murphy", "Kelly", "Hughes", "Edwards",
        ],
        agents: &["Tom", "Sarah", "James", "Emily", "Kari", "Erik"],
        companies: &[
            ("{last} & Partners Ltd", "partners"),
            ("{last} Consulting Ltd", "consulting"),
            ("{last} Logistics Ltd", "logistics"),
            ("{last} Design Studio", "design"),
        ],
        mailbox: "info",
        comments: Comments {
            detractor: &[
                Tpl(G, "Coverage is terrible where I live. I lose the signal as soon as I step inside the house."),
                Tpl(G, "I was billed twice this month and nobody can explain why."),
                Tpl(G, "Far too expensive for what you get. {product} costs more every year."),
                Tpl(G, "The app keeps logging me out and I can never find my invoices."),
                Tpl(G, "Mobile data on {mobile} is painfully slow in the evenings."),
                Tpl(S, "I waited {minutes} minutes on the phone before anyone picked up."),
                Tpl(S, "I had to explain my problem three times to three different people. Nobody took ownership."),
                Tpl(S, "Support promised to call me back and never did."),
                Tpl(D, "The technician never showed up and I had to take another day off work."),
                Tpl(D, "The router arrived {days} days late and there were no instructions in the box."),
                Tpl(O, "It took {days} days before my number was transferred. Not a great start."),
                Tpl(R, "Your renewal offer was worse than what new customers get. That feels unfair."),
                Tpl(X, "The outage lasted for days and the only information we got was on Facebook."),
                Tpl(X, "No internet for almost a week during the outage, and no compensation offered."),
            ],
            passive: &[
                Tpl(G, "It works fine most of the time, but the price is a bit high."),
                Tpl(G, "Okay service, nothing special. Coverage could be better outside the cities."),
                Tpl(G, "Decent value, but the app could be a lot simpler."),
                Tpl(G, "{product} does what it should, but the speed varies more than I'd like."),
                Tpl(G, "Good enough for now, but I compare prices every year."),
                Tpl(S, "Support solved my issue in the end, but it took longer than it should have."),
                Tpl(S, "Friendly staff, but I had to wait a long time in the chat queue."),
                Tpl(D, "Installation went okay, although the technician came two hours late."),
                Tpl(O, "Getting started was easy enough, but the welcome email was confusing."),
                Tpl(R, "The renewal was painless, but I expected a better loyalty discount."),
            ],
            promoter: &[
                Tpl(G, "Rock-solid connection, I never have to think about it."),
                Tpl(G, "Great value for money, and {product} is exactly what we needed."),
                Tpl(G, "Fair prices and no hidden fees. That's rare these days."),
                Tpl(G, "The app is simple and I can see my usage at a glance."),
                Tpl(S, "{agent} in support was fantastic and fixed everything in one call."),
                Tpl(S, "Quick, friendly help in the chat. Problem solved in five minutes."),
                Tpl(D, "The technician was on time, tidy and explained everything."),
                Tpl(D, "Ordered on Monday, and {product} was up and running on Wednesday."),
                Tpl(O, "Switching to Nordlys was much easier than I expected."),
                Tpl(R, "Got a good deal when I renewed, without even having to haggle."),
            ],
            detractor_closers: &[" Please sort it out.", " I'm seriously considering switching."],
            promoter_closers: &[" Keep it up!", " Thanks!"],
        },
    },
    Lang {
        code: "nb",
        weight: 30.0,
        first: &[
            "Ola", "Jan", "Per", "Lars", "Kjetil", "Anders", "Magnus", "Henrik", "Sindre",
            "Espen", "Håkon", "Øyvind", "Kari", "Ingrid", "Anne", "Marit", "Silje", "Ida",
            "Nora", "Hilde", "Ragnhild", "Tone", "Sigrid", "Eli",
        ],
        last: &[
            "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen",
            "Kristiansen", "Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg",
            "Haugen", "Hagen", "Johannessen", "Andreassen", "Jacobsen", "Dahl", "Jørgensen",
            "Halvorsen", "Lund", "Solberg", "Bakke", "Strand", "Moen", "Sæther",
        ],
        agents: &["Kari", "Ole", "Sindre", "Marte", "Jonas", "Thea"],
        companies: &[
            ("{last} Bygg AS", "bygg"),
            ("{last} Regnskap AS", "regnskap"),
            ("{last} Transport AS", "transport"),
            ("{last} Eiendom AS", "eiendom"),
            ("{last} & Sønner AS", "sonner"),
        ],
        mailbox: "post",
        comments: Comments {
            detractor: &[
                Tpl(G, "Elendig dekning der jeg bor. Jeg mister signalet så fort jeg går inn i huset."),
                Tpl(G, "Jeg ble fakturert to ganger denne måneden, og ingen kan forklare hvorfor."),
                Tpl(G, "Altfor dyrt for det man får. {product} blir dyrere hvert år."),
                Tpl(G, "Appen logger meg ut hele tiden, og jeg finner aldri fakturaene mine."),
                Tpl(G, "Mobildataen på {mobile} er håpløst treg på kveldene."),
                Tpl(S, "Jeg ventet i {minutes} minutter i telefonkø før noen svarte."),
                Tpl(S, "Måtte forklare problemet mitt tre ganger til tre forskjellige personer. Ingen tok ansvar."),
                Tpl(S, "Kundeservice lovet å ringe meg tilbake, men det skjedde aldri."),
                Tpl(D, "Montøren dukket aldri opp, og jeg måtte ta enda en fridag fra jobben."),
                Tpl(D, "Ruteren kom {days} dager for sent, og det lå ingen bruksanvisning i esken."),
                Tpl(O, "Det tok {days} dager før nummeret mitt ble overført. Ikke en god start."),
                Tpl(R, "Fornyelsestilbudet var dårligere enn det nye kunder får. Det føles urettferdig."),
                Tpl(X, "Bruddet varte i flere dager, og den eneste informasjonen vi fikk, var på Facebook."),
                Tpl(X, "Uten internett i nesten en uke under bruddet, og ingen kompensasjon."),
            ],
            passive: &[
                Tpl(G, "Fungerer stort sett fint, men prisen er litt høy."),
                Tpl(G, "Grei tjeneste, ikke noe spesielt. Dekningen kunne vært bedre utenfor byene."),
                Tpl(G, "Greit forhold mellom pris og kvalitet, men appen kunne vært mye enklere."),
                Tpl(G, "{product} gjør det den skal, men hastigheten varierer mer enn jeg liker."),
                Tpl(G, "Godt nok for nå, men jeg sammenligner priser hvert år."),
                Tpl(S, "Kundeservice løste saken til slutt, men det tok lengre tid enn nødvendig."),
                Tpl(S, "Hyggelige folk, men lang ventetid i chatten."),
                Tpl(D, "Installasjonen gikk greit, selv om montøren kom to timer for sent."),
                Tpl(O, "Det var enkelt nok å komme i gang, men velkomst-e-posten var forvirrende."),
                Tpl(R, "Fornyelsen gikk smertefritt, men jeg hadde ventet en bedre lojalitetsrabatt."),
            ],
            promoter: &[
                Tpl(G, "Stabil forbindelse, jeg trenger aldri å tenke på den."),
                Tpl(G, "Mye for pengene, og {product} er akkurat det vi trengte."),
                Tpl(G, "Rettferdige priser og ingen skjulte gebyrer. Det er sjeldent nå for tiden."),
                Tpl(G, "Appen er enkel, og jeg ser forbruket mitt med en gang."),
                Tpl(S, "{agent} i kundeservice var fantastisk og fikset alt i én samtale."),
                Tpl(S, "Rask og vennlig hjelp i chatten. Problemet var løst på fem minutter."),
                Tpl(D, "Montøren kom presis, var ryddig og forklarte alt."),
                Tpl(D, "Bestilte på mandag, og {product} var oppe og gikk på onsdag."),
                Tpl(O, "Å bytte til Nordlys var mye enklere enn jeg hadde trodd."),
                Tpl(R, "Fikk et godt tilbud da jeg fornyet, uten å måtte forhandle."),
            ],
            detractor_closers: &[" Få orden på dette!", " Vurderer seriøst å bytte leverandør."],
            promoter_closers: &[" Bare fortsett sånn!", " Tusen takk!"],
        },
    },
    Lang {
        code: "sv",
        weight: 22.0,
        first: &[
            "Erik", "Lars", "Karl", "Anders", "Johan", "Per", "Nils", "Mikael", "Oskar",
            "Gustav", "Axel", "Björn", "Anna", "Eva", "Maria", "Karin", "Sara", "Elin", "Emma",
            "Ebba", "Linnea", "Ingrid", "Maja", "Åsa",
        ],
        last: &[
            "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
            "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson",
            "Bengtsson", "Lindberg", "Lindström", "Lindqvist", "Berglund", "Sandberg",
            "Forsberg", "Sjöberg", "Wallin", "Engström",
        ],
        agents: &["Johan", "Elin", "Sara", "Oskar", "Lina"],
        companies: &[
            ("{last} Bygg AB", "bygg"),
            ("{last} Redovisning AB", "redovisning"),
            ("{last} Transport AB", "transport"),
            ("{last} Fastigheter AB", "fastigheter"),
        ],
        mailbox: "info",
        comments: Comments {
            detractor: &[
                Tpl(G, "Usel täckning där jag bor. Jag tappar signalen så fort jag går in i huset."),
                Tpl(G, "Jag fick två fakturor den här månaden och ingen kan förklara varför."),
                Tpl(G, "Alldeles för dyrt för vad man får. {product} blir dyrare varje år."),
                Tpl(G, "Appen loggar ut mig hela tiden och jag hittar aldrig mina fakturor."),
                Tpl(G, "Mobildatan på {mobile} är väldigt långsam på kvällarna."),
                Tpl(S, "Jag väntade {minutes} minuter i telefonkön innan någon svarade."),
                Tpl(S, "Fick förklara mitt problem tre gånger för tre olika personer. Ingen tog ansvar."),
                Tpl(S, "Kundtjänst lovade att ringa tillbaka men gjorde det aldrig."),
                Tpl(D, "Teknikern dök aldrig upp och jag fick ta ledigt från jobbet en dag till."),
                Tpl(D, "Routern kom {days} dagar för sent och det fanns ingen manual i kartongen."),
                Tpl(O, "Det tog {days} dagar innan mitt nummer flyttades över. Ingen bra start."),
                Tpl(R, "Erbjudandet vid förlängningen var sämre än vad nya kunder får. Det känns orättvist."),
                Tpl(X, "Avbrottet varade i flera dagar och den enda informationen vi fick var på Facebook."),
                Tpl(X, "Inget internet på nästan en vecka under avbrottet, och ingen ersättning."),
            ],
            passive: &[
                Tpl(G, "Fungerar bra för det mesta, men priset är lite högt."),
                Tpl(G, "Okej tjänst, inget speciellt. Täckningen kunde vara bättre utanför städerna."),
                Tpl(G, "Prisvärt, men appen kunde vara mycket enklare."),
                Tpl(G, "{product} gör vad den ska, men hastigheten varierar mer än jag skulle vilja."),
                Tpl(G, "Bra nog för tillfället, men jag jämför priser varje år."),
                Tpl(S, "Kundtjänst löste det till slut, men det tog längre tid än det borde."),
                Tpl(S, "Trevlig personal, men lång väntetid i chatten."),
                Tpl(D, "Installationen gick bra, även om teknikern kom två timmar för sent."),
                Tpl(O, "Det var lätt att komma igång, men välkomstmejlet var förvirrande."),
                Tpl(R, "Förlängningen gick smidigt, men jag hade väntat mig en bättre lojalitetsrabatt."),
            ],
            promoter: &[
                Tpl(G, "Stabil uppkoppling, jag behöver aldrig tänka på den."),
                Tpl(G, "Mycket för pengarna, och {product} är precis vad vi behövde."),
                Tpl(G, "Schyssta priser och inga dolda avgifter. Det är ovanligt nuförtiden."),
                Tpl(G, "Appen är enkel och jag ser min förbrukning direkt."),
                Tpl(S, "{agent} på kundtjänst var fantastisk och löste allt i ett enda samtal."),
                Tpl(S, "Snabb och vänlig hjälp i chatten. Problemet löst på fem minuter."),
                Tpl(D, "Teknikern kom i tid, var noggrann och förklarade allt."),
                Tpl(D, "Beställde på måndagen och {product} var igång på onsdagen."),
                Tpl(O, "Att byta till Nordlys var mycket enklare än jag trodde."),
                Tpl(R, "Fick ett bra erbjudande när jag förlängde, utan att behöva förhandla."),
            ],
            detractor_closers: &[" Skärp er!", " Funderar allvarligt på att byta operatör."],
            promoter_closers: &[" Fortsätt så!", " Tack!"],
        },
    },
    Lang {
        code: "da",
        weight: 18.0,
        first: &[
            "Søren", "Jens", "Mads", "Rasmus", "Mikkel", "Anders", "Niels", "Frederik",
            "Christian", "Jesper", "Lars", "Henrik", "Mette", "Anne", "Kirsten", "Hanne",
            "Camilla", "Line", "Louise", "Sofie", "Ida", "Freja", "Maja", "Lærke",
        ],
        last: &[
            "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen",
            "Sørensen", "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen",
            "Thomsen", "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen", "Kjær",
            "Østergaard",
        ],
        agents: &["Mette", "Rasmus", "Line", "Mads", "Freja"],
        companies: &[
            ("{last} VVS ApS", "vvs"),
            ("{last} Revision ApS", "revision"),
            ("{last} Transport A/S", "transport"),
            ("{last} & Søn A/S", "soen"),
        ],
        mailbox: "info",
        comments: Comments {
            detractor: &[
                Tpl(G, "Elendig dækning, hvor jeg bor. Jeg mister signalet, så snart jeg går ind i huset."),
                Tpl(G, "Jeg er blevet opkrævet to gange denne måned, og ingen kan forklare hvorfor."),
                Tpl(G, "Alt for dyrt i forhold til, hvad man får. {product} bliver dyrere hvert år."),
                Tpl(G, "Appen logger mig ud hele tiden, og jeg kan aldrig finde mine regninger."),
                Tpl(G, "Mobilnettet på {mobile} er utroligt langsomt om aftenen."),
                Tpl(S, "Jeg ventede {minutes} minutter i telefonkø, før nogen tog telefonen."),
                Tpl(S, "Jeg måtte forklare mit problem tre gange til tre forskellige personer. Ingen tog ansvar."),
                Tpl(S, "Kundeservice lovede at ringe mig op, men det skete aldrig."),
                Tpl(D, "Teknikeren dukkede aldrig op, og jeg måtte tage endnu en fridag fra arbejdet."),
                Tpl(D, "Routeren kom {days} dage for sent, og der var ingen vejledning i kassen."),
                Tpl(O, "Der gik {days} dage, før mit nummer blev flyttet. Ikke en god start."),
                Tpl(R, "Jeres fornyelsestilbud var dårligere end det, nye kunder får. Det føles uretfærdigt."),
                Tpl(X, "Nedbruddet varede i flere dage, og den eneste information, vi fik, var på Facebook."),
                Tpl(X, "Intet internet i næsten en uge under nedbruddet, og ingen kompensation."),
            ],
            passive: &[
                Tpl(G, "Det virker fint det meste af tiden, men prisen er lidt høj."),
                Tpl(G, "Okay service, ikke noget særligt. Dækningen kunne være bedre uden for byerne."),
                Tpl(G, "Rimelig værdi for pengene, men appen kunne være meget enklere."),
                Tpl(G, "{product} gør, hvad den skal, men hastigheden svinger mere, end jeg bryder mig om."),
                Tpl(G, "Godt nok lige nu, men jeg sammenligner priser hvert år."),
                Tpl(S, "Kundeservice løste problemet til sidst, men det tog længere tid end nødvendigt."),
                Tpl(S, "Søde medarbejdere, men lang ventetid i chatten."),
                Tpl(D, "Installationen gik fint, selvom teknikeren kom to timer for sent."),
                Tpl(O, "Det var nemt nok at komme i gang, men velkomstmailen var forvirrende."),
                Tpl(R, "Fornyelsen var nem, men jeg havde forventet en bedre loyalitetsrabat."),
            ],
            promoter: &[
                Tpl(G, "Stabil forbindelse, jeg behøver aldrig at tænke over den."),
                Tpl(G, "Meget for pengene, og {product} er præcis, hvad vi havde brug for."),
                Tpl(G, "Fair priser og ingen skjulte gebyrer. Det er sjældent i dag."),
                Tpl(G, "Appen er enkel, og jeg kan se mit forbrug med det samme."),
                Tpl(S, "{agent} fra kundeservice var fantastisk og løste alt i ét opkald."),
                Tpl(S, "Hurtig og venlig hjælp i chatten. Problemet var løst på fem minutter."),
                Tpl(D, "Teknikeren kom til tiden, var ordentlig og forklarede det hele."),
                Tpl(D, "Bestilte mandag, og {product} kørte allerede onsdag."),
                Tpl(O, "Det var meget nemmere at skifte til Nordlys, end jeg havde troet."),
                Tpl(R, "Fik et godt tilbud, da jeg fornyede, uden at skulle forhandle."),
            ],
            detractor_closers: &[" Få styr på det!", " Jeg overvejer seriøst at skifte udbyder."],
            promoter_closers: &[" Bliv ved med det!", " Tak!"],
        },
    },
    Lang {
        code: "fi",
        weight: 7.0,
        first: &[
            "Mikko", "Juha", "Timo", "Matti", "Jari", "Antti", "Ville", "Janne", "Tuomas",
            "Eero", "Anna", "Maria", "Laura", "Sanna", "Johanna", "Tiina", "Aino", "Emilia",
            "Helmi", "Kaisa",
        ],
        last: &[
            "Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
            "Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen",
            "Salminen", "Heinonen", "Niemi", "Heikkilä", "Kinnunen",
        ],
        agents: &["Mikko", "Laura", "Antti", "Sanna"],
        companies: &[
            ("{last} Rakennus Oy", "rakennus"),
            ("{last} Logistiikka Oy", "logistiikka"),
            ("Tilitoimisto {last} Oy", "tilitoimisto"),
        ],
        mailbox: "info",
        comments: Comments {
            detractor: &[
                Tpl(G, "Kuuluvuus kotonani on surkea. Yhteys katkeaa heti, kun menen sisälle."),
                Tpl(G, "Minua laskutettiin tässä kuussa kahdesti, eikä kukaan osaa selittää miksi."),
                Tpl(G, "Aivan liian kallis siihen nähden, mitä saa. {product} kallistuu joka vuosi."),
                Tpl(S, "Odotin puhelinjonossa {minutes} minuuttia ennen kuin kukaan vastasi."),
                Tpl(D, "Asentaja ei koskaan tullut, ja jouduin ottamaan taas vapaapäivän töistä."),
                Tpl(X, "Katko kesti useita päiviä, ja tietoa sai vain Facebookista."),
            ],
            passive: &[
                Tpl(G, "Toimii useimmiten hyvin, mutta hinta on vähän korkea."),
                Tpl(G, "Ihan ok palvelu, ei mitään erityistä. Kuuluvuus voisi olla parempi kaupunkien ulkopuolella."),
                Tpl(G, "{product} toimii, mutta nopeus vaihtelee liikaa."),
                Tpl(S, "Asiakaspalvelu ratkaisi ongelman lopulta, mutta siihen meni liian kauan."),
                Tpl(D, "Asennus sujui hyvin, vaikka asentaja myöhästyi kaksi tuntia."),
            ],
            promoter: &[
                Tpl(G, "Yhteys toimii moitteettomasti, eikä minun tarvitse koskaan miettiä sitä."),
                Tpl(G, "Hinta-laatusuhde on erinomainen, ja {product} on juuri sitä, mitä tarvitsimme."),
                Tpl(S, "{agent} asiakaspalvelusta oli loistava ja hoiti kaiken yhdellä puhelulla."),
                Tpl(D, "Asentaja tuli ajallaan, siivosi jälkensä ja selitti kaiken."),
                Tpl(O, "Vaihto Nordlysiin oli paljon helpompaa kuin odotin."),
            ],
            detractor_closers: &[],
            promoter_closers: &[" Kiitos!"],
        },
    },
    Lang {
        code: "de",
        weight: 5.0,
        first: &[
            "Lukas", "Leon", "Jonas", "Felix", "Maximilian", "Paul", "Thomas", "Michael",
            "Andreas", "Stefan", "Anna", "Laura", "Julia", "Lena", "Katharina", "Sabine",
            "Petra", "Lea", "Hannah", "Sophie",
        ],
        last: &[
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
            "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
            "Schröder", "Neumann", "Schwarz", "Zimmermann",
        ],
        agents: &["Jana", "Tobias", "Katrin", "Felix"],
        companies: &[
            ("{last} Logistik GmbH", "logistik"),
            ("{last} Bau GmbH", "bau"),
            ("Steuerkanzlei {last}", "steuer"),
            ("{last} & Partner GmbH", "partner"),
        ],
        mailbox: "info",
        comments: Comments {
            detractor: &[
                Tpl(G, "Der Empfang bei mir zu Hause ist miserabel. Sobald ich ins Haus gehe, ist das Netz weg."),
                Tpl(G, "Mir wurde diesen Monat doppelt abgebucht, und niemand kann mir sagen, warum."),
                Tpl(G, "Viel zu teuer für das, was man bekommt. {product} wird jedes Jahr teurer."),
                Tpl(G, "Die App meldet mich ständig ab, und meine Rechnungen finde ich nie."),
                Tpl(G, "Mobile Daten mit {mobile} sind abends extrem langsam."),
                Tpl(S, "Ich hing {minutes} Minuten in der Warteschleife, bevor jemand abgenommen hat."),
                Tpl(S, "Ich musste mein Problem dreimal drei verschiedenen Leuten erklären. Niemand fühlte sich zuständig."),
                Tpl(S, "Der Kundenservice hat einen Rückruf versprochen, der nie kam."),
                Tpl(D, "Der Techniker ist nie aufgetaucht, und ich musste mir noch einen Tag freinehmen."),
                Tpl(D, "Der Router kam {days} Tage zu spät, und es lag keine Anleitung bei."),
                Tpl(O, "Es hat {days} Tage gedauert, bis meine Rufnummer übertragen war. Kein guter Start."),
                Tpl(R, "Das Verlängerungsangebot war schlechter als das, was Neukunden bekommen. Das finde ich unfair."),
                Tpl(X, "Die Störung dauerte mehrere Tage, und Informationen gab es nur auf Facebook."),
                Tpl(X, "Fast eine Woche ohne Internet während der Störung, und keinerlei Entschädigung."),
            ],
            passive: &[
                Tpl(G, "Funktioniert meistens gut, aber der Preis ist etwas hoch."),
                Tpl(G, "Solider Service, nichts Besonderes. Der Empfang außerhalb der Städte könnte besser sein."),
                Tpl(G, "Preis-Leistung ist in Ordnung, aber die App könnte viel einfacher sein."),
                Tpl(G, "{product} macht, was es soll, aber die Geschwindigkeit schwankt stärker, als mir lieb ist."),
                Tpl(G, "Für den Moment gut genug, aber ich vergleiche jedes Jahr die Preise."),
                Tpl(S, "Der Kundenservice hat das Problem am Ende gelöst, aber es hat zu lange gedauert."),
                Tpl(S, "Freundliche Mitarbeiter, aber lange Wartezeit im Chat."),
                Tpl(D, "Die Installation lief gut, auch wenn der Techniker zwei Stunden zu spät kam."),
                Tpl(O, "Der Einstieg war einfach, aber die Willkommens-E-Mail war verwirrend."),
                Tpl(R, "Die Verlängerung war unkompliziert, aber ich hatte einen besseren Treuerabatt erwartet."),
            ],
            promoter: &[
                Tpl(G, "Absolut stabile Verbindung, ich muss nie darüber nachdenken."),
                Tpl(G, "Sehr gutes Preis-Leistungs-Verhältnis, und {product} ist genau das, was wir brauchten."),
                Tpl(G, "Faire Preise und keine versteckten Gebühren. Das ist heutzutage selten."),
                Tpl(G, "Die App ist übersichtlich, und ich sehe meinen Verbrauch auf einen Blick."),
                Tpl(S, "{agent} vom Kundenservice war großartig und hat alles in einem Anruf gelöst."),
                Tpl(S, "Schnelle, freundliche Hilfe im Chat. Problem in fünf Minuten gelöst."),
                Tpl(D, "Der Techniker war pünktlich, ordentlich und hat alles erklärt."),
                Tpl(D, "Am Montag bestellt, am Mittwoch lief {product} schon."),
                Tpl(O, "Der Wechsel zu Nordlys war viel einfacher als gedacht."),
                Tpl(R, "Bei der Verlängerung gab es ein gutes Angebot, ganz ohne Verhandeln."),
            ],
            detractor_closers: &[" Bitte kümmert euch darum!", " Ich überlege ernsthaft zu wechseln."],
            promoter_closers: &[" Weiter so!", " Danke!"],
        },
    },
    Lang {
        code: "nl",
        weight: 4.0,
        first: &[
            "Daan", "Sem", "Lucas", "Bram", "Thijs", "Jeroen", "Pieter", "Sander", "Ruben",
            "Joost", "Emma", "Sanne", "Lotte", "Fleur", "Anouk", "Eva", "Femke", "Iris", "Lisa",
            "Noor",
        ],
        last: &[
            "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
            "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters",
            "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
        ],
        agents: &["Sanne", "Daan", "Lotte", "Bram"],
        companies: &[
            ("{last} Installatietechniek B.V.", "installatie"),
            ("{last} Transport B.V.", "transport"),
            ("Bouwbedrijf {last} B.V.", "bouw"),
        ],
        mailbox: "info",
        comments: Comments {
            detractor: &[
                Tpl(G, "Het bereik bij mij thuis is belabberd. Zodra ik binnen ben, valt het signaal weg."),
                Tpl(G, "Ik ben deze maand twee keer gefactureerd en niemand kan uitleggen waarom."),
                Tpl(G, "Veel te duur voor wat je krijgt. {product} wordt elk jaar duurder."),
                Tpl(S, "Ik heb {minutes} minuten in de wacht gestaan voordat iemand opnam."),
                Tpl(D, "De monteur is nooit komen opdagen en ik moest weer een dag vrij nemen."),
                Tpl(X, "De storing duurde dagen en de enige informatie kwam via Facebook."),
            ],
            passive: &[
                Tpl(G, "Werkt meestal prima, maar de prijs is aan de hoge kant."),
                Tpl(G, "Prima dienst, niets bijzonders. Het bereik buiten de steden kan beter."),
                Tpl(G, "{product} doet wat het moet doen, maar de snelheid wisselt te veel."),
                Tpl(S, "De klantenservice heeft het uiteindelijk opgelost, maar het duurde te lang."),
                Tpl(D, "De installatie ging goed, al kwam de monteur twee uur te laat."),
            ],
            promoter: &[
                Tpl(G, "Superstabiele verbinding, ik hoef er nooit over na te denken."),
                Tpl(G, "Veel waar voor je geld, en {product} is precies wat we nodig hadden."),
                Tpl(S, "{agent} van de klantenservice was geweldig en loste alles in één gesprek op."),
                Tpl(D, "De monteur was op tijd, netjes en legde alles goed uit."),
                Tpl(O, "Overstappen naar Nordlys was veel makkelijker dan ik had verwacht."),
            ],
            detractor_closers: &[],
            promoter_closers: &[" Ga zo door!", " Bedankt!"],
        },
    },
];

/// Comments for the employee survey, in the languages staff answer in.
struct StaffComments {
    lang: usize,
    weight: f64,
    detractor: &'static [&'static str],
    passive: &'static [&'static str],
    promoter: &'static [&'static str],
}

const STAFF: [StaffComments; 3] = [
    StaffComments {
        lang: NB,
        weight: 60.0,
        detractor: &[
            "For mange omorganiseringer, ingen vet lenger hvem som bestemmer.",
            "Arbeidsmengden har vært altfor høy siden bruddet, og overtid er forventet.",
            "Lønnen ligger under markedet, og det er lite rom for utvikling.",
            "Ledelsen lytter ikke til oss som snakker med kundene hver dag.",
        ],
        passive: &[
            "Gode kolleger, men verktøyene vi bruker, er utdaterte.",
            "En grei arbeidsplass, men karriereveiene er uklare.",
            "Jeg trives i teamet, men kommunikasjonen fra ledelsen kunne vært bedre.",
        ],
        promoter: &[
            "Fantastiske kolleger og en kultur der man kan si ifra.",
            "Fleksibel arbeidstid og ekte tillit fra lederen min.",
            "Stolt av å jobbe med noe folk er avhengige av hver dag.",
        ],
    },
    StaffComments {
        lang: EN,
        weight: 25.0,
        detractor: &[
            "Too many reorganisations, nobody knows who decides anything anymore.",
            "The workload has been far too high since the outage, and overtime is expected.",
            "Salaries are below the market and there is little room to grow.",
            "Management doesn't listen to those of us who talk to customers every day.",
        ],
        passive: &[
            "Good colleagues, but the tools we use are outdated.",
            "A decent place to work, but career paths are unclear.",
            "I like my team, but communication from management could be better.",
        ],
        promoter: &[
            "Great colleagues and a culture where you can speak up.",
            "Flexible hours and real trust from my manager.",
            "Proud to work on something people depend on every day.",
        ],
    },
    StaffComments {
        lang: SV,
        weight: 15.0,
        detractor: &[
            "För många omorganisationer, ingen vet längre vem som bestämmer.",
            "Arbetsbelastningen har varit alldeles för hög sedan avbrottet, och övertid förväntas.",
            "Lönerna ligger under marknaden och det finns lite utrymme att utvecklas.",
            "Ledningen lyssnar inte på oss som pratar med kunderna varje dag.",
        ],
        passive: &[
            "Bra kollegor, men verktygen vi använder är föråldrade.",
            "En okej arbetsplats, men karriärvägarna är otydliga.",
            "Jag trivs i mitt team, men kommunikationen från ledningen kunde vara bättre.",
        ],
        promoter: &[
            "Fantastiska kollegor och en kultur där man vågar säga ifrån.",
            "Flexibla arbetstider och verkligt förtroende från min chef.",
            "Stolt över att jobba med något som folk är beroende av varje dag.",
        ],
    },
];

// ---------------------------------------------------------------------------------------
// Segments.

struct Plan {
    name: &'static str,
    weight: f64,
    nps: f64,
    /// The first is the plan's mobile subscription.
    products: &'static [&'static str],
}

const STANDARD: usize = 1;
const PREMIUM: usize = 2;
const BUSINESS: usize = 3;

const PLANS: [Plan; 4] = [
    Plan {
        name: "basic",
        weight: 36.0,
        nps: -12.0,
        products: &["Mobile 5 GB", "Fiber 100"],
    },
    Plan {
        name: "standard",
        weight: 34.0,
        nps: -2.0,
        products: &["Mobile 20 GB", "Fiber 300", "TV Basic"],
    },
    Plan {
        name: "premium",
        weight: 18.0,
        nps: 11.0,
        products: &["Unlimited+", "Fiber 1000", "TV Max"],
    },
    Plan {
        name: "business",
        weight: 12.0,
        nps: 8.0,
        products: &["Business Mobile", "Business Pro", "Business Fiber"],
    },
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Country {
    Norway,
    Sweden,
    Denmark,
    Finland,
    Central,
}

struct Region {
    name: &'static str,
    country: Country,
    nps: f64,
    /// Indexes into [`ACCOUNT_MANAGERS`] covering the region.
    managers: &'static [usize],
}

const REGIONS: [Region; 7] = [
    Region {
        name: "Oslo",
        country: Country::Norway,
        nps: 0.0,
        managers: &[0, 3, 7],
    },
    Region {
        name: "Western Norway",
        country: Country::Norway,
        nps: 2.0,
        managers: &[0, 3, 7],
    },
    Region {
        name: "Northern Norway",
        country: Country::Norway,
        nps: -9.0,
        managers: &[3, 7],
    },
    Region {
        name: "Sweden",
        country: Country::Sweden,
        nps: 0.0,
        managers: &[1, 6],
    },
    Region {
        name: "Denmark",
        country: Country::Denmark,
        nps: 2.0,
        managers: &[2],
    },
    Region {
        name: "Finland",
        country: Country::Finland,
        nps: -1.0,
        managers: &[4],
    },
    Region {
        name: "Central Europe",
        country: Country::Central,
        nps: -3.0,
        managers: &[5],
    },
];

/// How each account manager's customers feel about them, in NPS points.
const MANAGER_NPS: [f64; 8] = [1.0, 0.0, 5.0, -8.0, 0.0, 0.0, 2.0, 2.0];

/// Region weights per language, in [`REGIONS`] order.
fn region_weights(lang: usize) -> [f64; 7] {
    match lang {
        NB => [45.0, 30.0, 25.0, 0.0, 0.0, 0.0, 0.0],
        SV => [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
        DA => [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
        FI => [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        DE | NL => [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
        _ => [30.0, 10.0, 5.0, 20.0, 20.0, 5.0, 10.0],
    }
}

/// Tenure bands by days since joining, with their NPS effect.
fn tenure(joined_days_ago: i64) -> (&'static str, f64) {
    match joined_days_ago {
        ..365 => ("0-1 years", -3.0),
        365..730 => ("1-2 years", 0.0),
        730..1825 => ("2-5 years", 2.0),
        _ => ("5+ years", 5.0),
    }
}

// ---------------------------------------------------------------------------------------
// Surveys.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    /// Any customer who had joined by then.
    Anyone,
    /// Customers in their first weeks.
    NewCustomers,
    /// Customers around a yearly anniversary.
    Renewing,
}

struct SurveySpec {
    slug: &'static str,
    name: &'static str,
    kind: SurveyKind,
    touchpoint: Option<&'static str>,
    /// Which comment topic fits; `None` for the relationship survey (anything goes).
    topic: Option<Topic>,
    nps: f64,
    answers: usize,
    channels: &'static [(Channel, f64)],
    who: Who,
    /// Whether volume surges during the outage.
    outage_surge: bool,
}

const SURVEYS: [SurveySpec; 6] = [
    SurveySpec {
        slug: "relationship",
        name: "Relationship NPS",
        kind: SurveyKind::Nps,
        touchpoint: None,
        topic: None,
        nps: 0.0,
        answers: 26_500,
        channels: &[
            (Channel::Email, 55.0),
            (Channel::Sms, 18.0),
            (Channel::Web, 10.0),
            (Channel::Widget, 8.0),
            (Channel::Kiosk, 6.0),
            (Channel::Api, 3.0),
        ],
        who: Who::Anyone,
        outage_surge: false,
    },
    SurveySpec {
        slug: "onboarding",
        name: "Onboarding",
        kind: SurveyKind::Nps,
        touchpoint: Some("onboarding"),
        topic: Some(O),
        nps: 5.0,
        answers: 2_000,
        channels: &[
            (Channel::Email, 60.0),
            (Channel::Sms, 20.0),
            (Channel::Web, 5.0),
            (Channel::Widget, 15.0),
        ],
        who: Who::NewCustomers,
        outage_surge: false,
    },
    SurveySpec {
        slug: "delivery",
        name: "Delivery & installation",
        kind: SurveyKind::Nps,
        touchpoint: Some("delivery"),
        topic: Some(D),
        nps: 12.0,
        answers: 11_500,
        channels: &[
            (Channel::Email, 35.0),
            (Channel::Sms, 45.0),
            (Channel::Api, 20.0),
        ],
        who: Who::Anyone,
        outage_surge: false,
    },
    SurveySpec {
        slug: "support",
        name: "Customer support",
        kind: SurveyKind::Nps,
        touchpoint: Some("support"),
        topic: Some(S),
        nps: -14.0,
        answers: 13_800,
        channels: &[
            (Channel::Email, 50.0),
            (Channel::Sms, 25.0),
            (Channel::Widget, 15.0),
            (Channel::Api, 10.0),
        ],
        who: Who::Anyone,
        outage_surge: true,
    },
    SurveySpec {
        slug: "renewal",
        name: "Contract renewal",
        kind: SurveyKind::Nps,
        touchpoint: Some("renewal"),
        topic: Some(R),
        nps: -9.0,
        answers: 2_800,
        channels: &[
            (Channel::Email, 75.0),
            (Channel::Sms, 10.0),
            (Channel::Web, 15.0),
        ],
        who: Who::Renewing,
        outage_surge: false,
    },
    SurveySpec {
        slug: "support-csat",
        name: "Support satisfaction (CSAT)",
        kind: SurveyKind::Csat,
        touchpoint: Some("support"),
        topic: Some(S),
        nps: -6.0,
        answers: 6_600,
        channels: &[
            (Channel::Widget, 45.0),
            (Channel::Email, 40.0),
            (Channel::Sms, 15.0),
        ],
        who: Who::Anyone,
        outage_surge: true,
    },
];

const EMPLOYEES_SLUG: &str = "employees";
/// Days ago each quarterly eNPS pulse opened.
const PULSES: [i64; 6] = [520, 430, 340, 250, 160, 70];

fn channel_nps(channel: Channel) -> f64 {
    match channel {
        Channel::Email => 2.0,
        Channel::Sms => -5.0,
        Channel::Widget => 3.0,
        Channel::Kiosk => 4.0,
        Channel::Web | Channel::Api | Channel::Import => 0.0,
    }
}

fn label(s: &str) -> Label {
    Label::new(s).expect("demo labels are valid")
}

fn language(code: &str) -> Language {
    Language::new(code).expect("demo languages are valid")
}

fn surveys() -> Vec<NewSurvey> {
    let mut out: Vec<NewSurvey> = SURVEYS
        .iter()
        .map(|s| NewSurvey {
            slug: label(s.slug),
            kind: s.kind,
            name: s.name.to_owned(),
            touchpoint: s.touchpoint.map(label),
            default_language: language("nb"),
            texts: BTreeMap::new(),
        })
        .collect();
    // One survey shows off per-language text overrides.
    let support = out
        .iter_mut()
        .find(|s| s.slug.as_str() == "support")
        .expect("support survey");
    for (code, text) in [
        (
            "en",
            "Sorry we let you down. What should our support team have done differently?",
        ),
        (
            "nb",
            "Beklager at vi ikke strakk til. Hva burde kundeservice ha gjort annerledes?",
        ),
        (
            "sv",
            "Förlåt att vi inte levde upp till dina förväntningar. Vad borde vår kundtjänst ha gjort annorlunda?",
        ),
    ] {
        support.texts.insert(
            language(code),
            TextOverrides {
                follow_up_detractor: Some(text.to_owned()),
                ..TextOverrides::default()
            },
        );
    }
    out.push(NewSurvey {
        slug: label(EMPLOYEES_SLUG),
        kind: SurveyKind::Enps,
        name: "Employee NPS".to_owned(),
        touchpoint: None,
        default_language: language("nb"),
        texts: BTreeMap::new(),
    });
    out
}

// ---------------------------------------------------------------------------------------
// Sampling helpers.

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// An index drawn with the given weights (not all zero).
fn weighted(rng: &mut StdRng, weights: impl IntoIterator<Item = f64> + Clone) -> usize {
    let total: f64 = weights.clone().into_iter().sum();
    let mut r = rng.random::<f64>() * total;
    let mut last = 0;
    for (i, w) in weights.into_iter().enumerate() {
        if w > 0.0 {
            if r < w {
                return i;
            }
            r -= w;
            last = i;
        }
    }
    last
}

/// A standard normal deviate (Box–Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Cumulative weights, for drawing many times from one distribution.
struct Cumulative(Vec<f64>);

impl Cumulative {
    fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut acc = 0.0;
        Self(
            weights
                .into_iter()
                .map(|w| {
                    acc += w;
                    acc
                })
                .collect(),
        )
    }

    /// An index drawn from `from..len` in proportion to its weight.
    fn draw_from(&self, rng: &mut StdRng, from: usize) -> usize {
        let below = if from == 0 { 0.0 } else { self.0[from - 1] };
        let total = self.0[self.0.len() - 1];
        let r = below + rng.random::<f64>() * (total - below);
        self.0
            .partition_point(|&c| c <= r)
            .clamp(from, self.0.len() - 1)
    }

    fn draw(&self, rng: &mut StdRng) -> usize {
        self.draw_from(rng, 0)
    }
}

/// Answers per hour of the day (UTC; the customers are an hour or two ahead).
const HOURS: [f64; 24] = [
    1.0, 0.5, 0.3, 0.2, 0.3, 0.8, 2.5, 5.0, 7.0, 8.0, 8.0, 7.5, 7.5, 7.0, 7.0, 6.5, 6.5, 7.0, 7.5,
    7.0, 5.5, 3.5, 2.0, 1.2,
];

struct Clock {
    midnight: DateTime<Utc>,
    hours: Cumulative,
}

impl Clock {
    fn new(now: DateTime<Utc>) -> Self {
        Clock {
            midnight: now
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc(),
            hours: Cumulative::new(HOURS),
        }
    }

    fn weekday(&self, days_ago: i64) -> Weekday {
        (self.midnight - Duration::days(days_ago)).weekday()
    }

    /// A time of day on the day `days_ago` (≥ 1) before today: always before `now`.
    /// Like [`Clock::at`], while the shops are open.
    fn in_shop_hours(&self, rng: &mut StdRng, days_ago: i64) -> DateTime<Utc> {
        let second = rng.random_range(8 * 3600..17 * 3600);
        self.midnight - Duration::days(days_ago) + Duration::seconds(second)
    }

    fn at(&self, rng: &mut StdRng, days_ago: i64) -> DateTime<Utc> {
        let hour = self.hours.draw(rng) as i64;
        let second = hour * 3600 + rng.random_range(0..3600);
        self.midnight - Duration::days(days_ago) + Duration::seconds(second)
    }

    /// When an answer on `channel` came: kiosks only while the shops are open.
    fn answer_time(&self, rng: &mut StdRng, channel: Channel, days_ago: i64) -> DateTime<Utc> {
        if channel == Channel::Kiosk {
            self.in_shop_hours(rng, days_ago)
        } else {
            self.at(rng, days_ago)
        }
    }
}

/// Days 1..WINDOW_DAYS ago, weighted: busier recently, quieter at weekends.
fn day_weights(clock: &Clock, outage_surge: bool) -> Cumulative {
    Cumulative::new((1..WINDOW_DAYS).map(|d| {
        let recency = 0.75 + 0.5 * (1.0 - d as f64 / WINDOW_DAYS as f64);
        let weekday = match clock.weekday(d) {
            Weekday::Sat => 0.45,
            Weekday::Sun => 0.35,
            _ => 1.0,
        };
        let surge = if outage_surge && in_outage(d) {
            1.8
        } else {
            1.0
        };
        recency * weekday * surge
    }))
}

fn days_ago_of(index: usize) -> i64 {
    index as i64 + 1
}

/// Category shares `(promoters, detractors)` shifted by `shift` NPS points.
fn shares(shift: f64, base_p: f64, base_d: f64) -> (f64, f64) {
    (
        (base_p + shift / 200.0).clamp(0.03, 0.92),
        (base_d - shift / 200.0).clamp(0.02, 0.85),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cat {
    Promoter,
    Passive,
    Detractor,
}

/// How often a known customer's NPS answer follows their own disposition rather than a
/// fresh draw: customers who were detractors last time mostly are again, which is what
/// makes "latest category" predict churn.
const PERSISTENCE: f64 = 0.75;

/// The category at quantile `r` (uniform in 0..1) of the shares, from unhappy to happy:
/// the same `r` gives the same or a neighbouring category as the shares shift. With `r` a
/// customer's fixed disposition part of the time and fresh otherwise, each answer still
/// has exactly the shares' distribution.
fn ranked_category(r: f64, (p, d): (f64, f64)) -> Cat {
    if r < d {
        Cat::Detractor
    } else if r < 1.0 - p {
        Cat::Passive
    } else {
        Cat::Promoter
    }
}

fn category(rng: &mut StdRng, (p, d): (f64, f64)) -> Cat {
    let r: f64 = rng.random();
    if r < p {
        Cat::Promoter
    } else if r < p + d {
        Cat::Detractor
    } else {
        Cat::Passive
    }
}

/// Detractor scores 0..=6: mostly 5s and 6s.
const DETRACTOR_SCORES: [f64; 7] = [5.0, 3.0, 5.0, 8.0, 11.0, 25.0, 43.0];

fn nps_score(rng: &mut StdRng, cat: Cat) -> u8 {
    match cat {
        Cat::Promoter => {
            if rng.random_bool(0.55) {
                10
            } else {
                9
            }
        }
        Cat::Passive => {
            if rng.random_bool(0.55) {
                8
            } else {
                7
            }
        }
        Cat::Detractor => weighted(rng, DETRACTOR_SCORES) as u8,
    }
}

fn csat_score(rng: &mut StdRng, cat: Cat) -> u8 {
    let r: f64 = rng.random();
    match cat {
        Cat::Promoter => {
            if r < 0.7 {
                5
            } else {
                4
            }
        }
        Cat::Passive => {
            if r < 0.6 {
                4
            } else {
                3
            }
        }
        Cat::Detractor => {
            if r < 0.35 {
                1
            } else if r < 0.75 {
                2
            } else {
                3
            }
        }
    }
}

/// The category a CSAT score's comment should fit.
fn csat_category(score: u8) -> Cat {
    match score {
        5 | 4 => Cat::Promoter,
        3 => Cat::Passive,
        _ => Cat::Detractor,
    }
}

// ---------------------------------------------------------------------------------------
// Customers.

struct Customer {
    input: CustomerInput,
    lang: usize,
    plan: usize,
    joined_days_ago: i64,
    country: Country,
    has_phone: bool,
    /// Everything about the customer that moves their scores, in NPS points.
    bias: f64,
    /// How often they answer, relative to others.
    activity: f64,
}

/// Lower-case ASCII for email addresses: "Sæther" → "saether".
fn ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'æ' => out.push_str("ae"),
            'ø' | 'ö' | 'ó' => out.push('o'),
            'å' | 'ä' | 'á' => out.push('a'),
            'ü' => out.push('u'),
            'é' | 'è' => out.push('e'),
            'ß' => out.push_str("ss"),
            _ => {}
        }
    }
    out
}

fn digits(rng: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

fn phone(rng: &mut StdRng, country: Country, lang: usize) -> String {
    match country {
        Country::Norway => format!(
            "+47 {}{} {} {}",
            pick(rng, &["4", "9"]),
            digits(rng, 2),
            digits(rng, 2),
            digits(rng, 3)
        ),
        Country::Sweden => format!(
            "+46 7{} {} {} {}",
            pick(rng, &["0", "2", "3", "6"]),
            digits(rng, 3),
            digits(rng, 2),
            digits(rng, 2)
        ),
        Country::Denmark => format!(
            "+45 {}{} {} {} {}",
            pick(rng, &["2", "3", "4", "5"]),
            digits(rng, 1),
            digits(rng, 2),
            digits(rng, 2),
            digits(rng, 2)
        ),
        Country::Finland => format!(
            "+358 {} {} {}",
            pick(rng, &["40", "44", "50"]),
            digits(rng, 3),
            digits(rng, 4)
        ),
        Country::Central if lang == NL => format!("+31 6 {}", digits(rng, 8)),
        Country::Central => format!(
            "+49 1{} {}",
            pick(rng, &["51", "60", "70", "76"]),
            digits(rng, 8)
        ),
    }
}

/// Makes `candidate` unique among `taken` by appending a number before the `@`.
fn unique_email(taken: &mut HashSet<String>, local: &str, domain: &str) -> String {
    let mut email = format!("{local}@{domain}");
    let mut n = 2;
    while !taken.insert(email.clone()) {
        email = format!("{local}{n}@{domain}");
        n += 1;
    }
    email
}

fn customers(rng: &mut StdRng) -> Vec<Customer> {
    let lang_weights = Cumulative::new(LANGS.iter().map(|l| l.weight));
    let plan_weights = Cumulative::new(PLANS.iter().map(|p| p.weight));
    let mut emails = HashSet::new();
    let mut out = Vec::with_capacity(CUSTOMER_COUNT);
    for i in 1..=CUSTOMER_COUNT {
        let lang = lang_weights.draw(rng);
        let l = &LANGS[lang];
        let plan = plan_weights.draw(rng);
        let region = weighted(rng, region_weights(lang));
        let reg = &REGIONS[region];
        let joined_days_ago = if rng.random_bool(0.35) {
            rng.random_range(5..WINDOW_DAYS)
        } else {
            (WINDOW_DAYS as f64 - 700.0 * (1.0 - rng.random::<f64>()).ln()).min(2_200.0) as i64
        };
        let (tenure_band, tenure_nps) = tenure(joined_days_ago);

        let first = *pick(rng, l.first);
        let last = *pick(rng, l.last);
        let (name, email) = if plan == BUSINESS && rng.random_bool(0.7) {
            let (template, word) = *pick(rng, l.companies);
            let domain = format!("{}{}.example", ascii(last), word);
            let email = unique_email(&mut emails, l.mailbox, &domain);
            (template.replace("{last}", last), email)
        } else {
            let (f, s) = (ascii(first), ascii(last));
            let local = match rng.random_range(0..10) {
                0..=4 => format!("{f}.{s}"),
                5 | 6 => format!("{f}{s}"),
                7 | 8 => format!("{f}.{s}{}", rng.random_range(60..100)),
                _ => format!("{}.{s}", &f[..1]),
            };
            let domain = *pick(rng, &["example.com", "example.net", "example.org"]);
            (
                format!("{first} {last}"),
                unique_email(&mut emails, &local, domain),
            )
        };
        let has_phone = rng.random_bool(if plan == BUSINESS { 0.85 } else { 0.65 });
        let phone = has_phone.then(|| phone(rng, reg.country, lang));

        let manager_share = match plan {
            BUSINESS => 0.92,
            PREMIUM => 0.75,
            STANDARD => 0.03,
            _ => 0.0,
        };
        let manager = rng
            .random_bool(manager_share)
            .then(|| *pick(rng, reg.managers));

        let mut attributes = Attributes::new();
        attributes.insert(label("plan"), PLANS[plan].name.to_owned());
        attributes.insert(label("region"), reg.name.to_owned());
        attributes.insert(label("tenure"), tenure_band.to_owned());

        let bias = PLANS[plan].nps
            + reg.nps
            + tenure_nps
            + manager.map_or(0.0, |m| MANAGER_NPS[m])
            + 14.0 * normal(rng);
        let activity = (0.6 * normal(rng)).exp() * if plan >= PREMIUM { 1.2 } else { 1.0 };
        out.push(Customer {
            input: CustomerInput {
                external_id: format!("C{i:05}"),
                name: Some(name),
                email: (!rng.random_bool(0.03)).then_some(email),
                phone,
                language: Some(language(l.code)),
                attributes,
                account_manager: manager.map(|m| ACCOUNT_MANAGERS[m].to_owned()),
            },
            lang,
            plan,
            joined_days_ago,
            country: reg.country,
            has_phone,
            bias,
            activity,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// Comments.

fn comment_probability(cat: Cat, channel: Channel) -> f64 {
    let base = match cat {
        Cat::Detractor => 0.46,
        Cat::Passive => 0.30,
        Cat::Promoter => 0.38,
    };
    match channel {
        Channel::Kiosk => base * 0.4,
        Channel::Sms => base * 0.85,
        _ => base,
    }
}

struct CommentContext<'a> {
    lang: usize,
    cat: Cat,
    topic: Option<Topic>,
    outage: bool,
    /// Only comments on the topic itself (a CSAT answer about one support contact).
    strict: bool,
    product: &'a str,
    mobile: &'a str,
}

fn customer_comment(rng: &mut StdRng, cx: &CommentContext) -> String {
    let comments = &LANGS[cx.lang].comments;
    let (templates, closers) = match cx.cat {
        Cat::Detractor => (comments.detractor, comments.detractor_closers),
        Cat::Passive => (comments.passive, &[][..]),
        Cat::Promoter => (comments.promoter, comments.promoter_closers),
    };
    let weights = templates
        .iter()
        .map(|Tpl(topic, _)| match (*topic, cx.topic) {
            (Topic::Outage, _) if cx.outage => 4.0,
            (Topic::Outage, _) => 0.0,
            (Topic::General, _) if cx.strict => 0.0,
            (Topic::General, _) => 1.0,
            (t, Some(wanted)) if t == wanted => 2.5,
            (Topic::Onboarding, None) => 0.0,
            (_, None) => 0.4,
            _ => 0.0,
        });
    let Tpl(_, text) = &templates[weighted(rng, weights)];
    let mut out = if text.contains('{') {
        text.replace("{product}", cx.product)
            .replace("{mobile}", cx.mobile)
            .replace("{agent}", pick::<&str>(rng, LANGS[cx.lang].agents))
            .replace("{days}", &rng.random_range(3..15).to_string())
            .replace("{minutes}", &(5 * rng.random_range(4..13)).to_string())
    } else {
        (*text).to_owned()
    };
    if !closers.is_empty() && rng.random_bool(0.15) {
        out.push_str(pick::<&str>(rng, closers));
    }
    out
}

// ---------------------------------------------------------------------------------------
// Generation.

/// The customers in the order they joined (longest ago first), when each joined, and how
/// likely each is to answer.
fn join_order(
    customers: &[Customer],
    lives: &[business::Life],
    window_start: DateTime<Utc>,
) -> (Vec<usize>, Vec<i64>, Cumulative) {
    // Sorted by how long ago they joined, so "joined before day d" is a suffix.
    let mut order: Vec<usize> = (0..customers.len()).collect();
    order.sort_by_key(|&i| (customers[i].joined_days_ago, i));
    let joined: Vec<i64> = order
        .iter()
        .map(|&i| customers[i].joined_days_ago)
        .collect();
    // Customers who had left for good before the window are never asked.
    let activity = Cumulative::new(order.iter().map(|&i| {
        if lives[i].gone_by(window_start) {
            0.0
        } else {
            customers[i].activity
        }
    }));
    (order, joined, activity)
}

/// The language, bias and plan of who answered: the customer's, or else drawn for an
/// anonymous respondent.
fn profile(
    rng: &mut StdRng,
    customer: Option<&Customer>,
    lang_weights: &Cumulative,
    plan_weights: &Cumulative,
) -> (usize, f64, usize) {
    match customer {
        Some(c) => (c.lang, c.bias, c.plan),
        None => (
            lang_weights.draw(rng),
            -2.0 + 14.0 * normal(rng),
            plan_weights.draw(rng),
        ),
    }
}

/// Which customer (by place in the join order) a survey asks `days_ago`, or `None` when
/// nobody fits that day.
fn respondent_slot(
    rng: &mut StdRng,
    who: Who,
    days_ago: i64,
    joined: &[i64],
    activity: &Cumulative,
) -> Option<usize> {
    match who {
        Who::Anyone => {
            let from = joined.partition_point(|&j| j <= days_ago + 2);
            (from < joined.len()).then(|| activity.draw_from(rng, from))
        }
        Who::NewCustomers => {
            let lo = joined.partition_point(|&j| j < days_ago + 3);
            let hi = joined.partition_point(|&j| j <= days_ago + 40);
            (lo < hi).then(|| rng.random_range(lo..hi))
        }
        Who::Renewing => {
            let years = rng.random_range(1..=6);
            let around = days_ago + 365 * years;
            let lo = joined.partition_point(|&j| j < around - 20);
            let hi = joined.partition_point(|&j| j <= around + 10);
            (lo < hi).then(|| rng.random_range(lo..hi))
        }
    }
}

/// A score and its category, moved by `shift` NPS points; a known customer's (`life`)
/// answers hang together (see `ranked_category`).
fn score_of(
    rng: &mut StdRng,
    kind: SurveyKind,
    shift: f64,
    life: Option<&business::Life>,
) -> (u8, Cat) {
    match kind {
        SurveyKind::Csat => {
            let cat = category(rng, shares(shift, 0.62, 0.12));
            let score = csat_score(rng, cat);
            (score, csat_category(score))
        }
        _ => {
            let odds = shares(shift, BASE_PROMOTERS, BASE_DETRACTORS);
            let cat = match life {
                Some(life) => {
                    let fresh: f64 = rng.random();
                    let r = if rng.random_bool(PERSISTENCE) {
                        life.quantile()
                    } else {
                        fresh
                    };
                    ranked_category(r, odds)
                }
                None => category(rng, odds),
            };
            (nps_score(rng, cat), cat)
        }
    }
}

/// Generates the whole demo: the same `seed` and `now` always give the same data.
pub fn generate(seed: u64, now: DateTime<Utc>) -> DemoData {
    let mut rng = StdRng::seed_from_u64(seed);
    let clock = Clock::new(now);
    let languages: Vec<Language> = LANGS.iter().map(|l| language(l.code)).collect();
    let lang_weights = Cumulative::new(LANGS.iter().map(|l| l.weight));
    let plan_weights = Cumulative::new(PLANS.iter().map(|p| p.weight));

    let customers = customers(&mut rng);
    // Business data has its own random stream, so the answers' stay as they were.
    let mut biz = StdRng::seed_from_u64(seed ^ 0xB1_5E55);
    let window_start = clock.midnight - Duration::days(WINDOW_DAYS);
    let mut lives = business::lives_before(&mut biz, &customers, clock.midnight, window_start);
    let (order, joined, activity) = join_order(&customers, &lives, window_start);

    let normal_days = day_weights(&clock, false);
    let surge_days = day_weights(&clock, true);
    let mut answers = Vec::with_capacity(60_000);

    for spec in &SURVEYS {
        let days = if spec.outage_surge {
            &surge_days
        } else {
            &normal_days
        };
        let channels: Vec<f64> = spec.channels.iter().map(|(_, w)| *w).collect();
        for _ in 0..spec.answers {
            let days_ago = days_ago_of(days.draw(&mut rng));
            let mut channel = spec.channels[weighted(&mut rng, channels.iter().copied())].0;
            let anonymous = channel == Channel::Kiosk
                || (channel == Channel::Web && spec.who == Who::Anyone && rng.random_bool(0.4));
            let customer = if anonymous {
                None
            } else {
                match respondent_slot(&mut rng, spec.who, days_ago, &joined, &activity) {
                    Some(slot) => Some(order[slot]),
                    // Nobody fits this day (rare): try another.
                    None => continue,
                }
            };
            if channel == Channel::Sms && customer.is_some_and(|c| !customers[c].has_phone) {
                channel = Channel::Email;
            }
            let (lang, bias, plan) = profile(
                &mut rng,
                customer.map(|c| &customers[c]),
                &lang_weights,
                &plan_weights,
            );
            let products = PLANS[plan].products;
            let (product, mobile) = (*pick(&mut rng, products), products[0]);
            let outage = in_outage(days_ago);
            let mut shift = bias + spec.nps + channel_nps(channel) + time_effect(days_ago);
            if outage && spec.topic == Some(S) {
                shift -= 5.0;
            }
            let (score, cat) = score_of(&mut rng, spec.kind, shift, customer.map(|c| &lives[c]));
            let comment = rng.random_bool(comment_probability(cat, channel)).then(|| {
                customer_comment(
                    &mut rng,
                    &CommentContext {
                        lang,
                        cat,
                        topic: spec.topic,
                        outage,
                        strict: spec.kind == SurveyKind::Csat,
                        product,
                        mobile,
                    },
                )
            });
            answers.push(DemoAnswer {
                survey_slug: spec.slug.to_owned(),
                customer_external_id: customer.map(|c| customers[c].input.external_id.clone()),
                score,
                comment,
                channel,
                language: languages[lang].clone(),
                answered_at: clock.answer_time(&mut rng, channel, days_ago),
            });
        }
    }

    employee_answers(&mut rng, &clock, &languages, &mut answers);
    answers.sort_by_key(|a| a.answered_at);
    let business = business::Business::generate(
        &mut biz,
        &customers,
        &mut lives,
        &mut answers,
        clock.midnight,
        window_start,
        now,
    );

    DemoData {
        surveys: surveys(),
        customers: customers.into_iter().map(|c| c.input).collect(),
        answers,
        spells: business.spells,
        orders: business.orders,
        contacts: business.contacts,
        loyalty: business.loyalty,
    }
}

/// Quarterly anonymous eNPS pulses, each open for about ten days.
fn employee_answers(
    rng: &mut StdRng,
    clock: &Clock,
    languages: &[Language],
    answers: &mut Vec<DemoAnswer>,
) {
    let staff_langs = Cumulative::new(STAFF.iter().map(|s| s.weight));
    for opened in PULSES {
        let n = rng.random_range(30..=42);
        let mut made = 0;
        while made < n {
            // Most answer in the first days after the invitation.
            let offset = (rng.random::<f64>().powi(2) * 11.0) as i64;
            let days_ago = (opened - offset).max(1);
            if matches!(clock.weekday(days_ago), Weekday::Sat | Weekday::Sun)
                && rng.random_bool(0.85)
            {
                continue;
            }
            made += 1;
            let staff = &STAFF[staff_langs.draw(rng)];
            let shift = 10.0 * normal(rng) + time_effect(days_ago);
            let cat = category(rng, shares(shift, 0.40, 0.20));
            let score = nps_score(rng, cat);
            let comment = rng.random_bool(0.45).then(|| {
                let texts = match cat {
                    Cat::Detractor => staff.detractor,
                    Cat::Passive => staff.passive,
                    Cat::Promoter => staff.promoter,
                };
                (*pick(rng, texts)).to_owned()
            });
            let channel = if rng.random_bool(0.8) {
                Channel::Web
            } else {
                Channel::Kiosk
            };
            answers.push(DemoAnswer {
                survey_slug: EMPLOYEES_SLUG.to_owned(),
                customer_external_id: None,
                score,
                comment,
                channel,
                language: languages[staff.lang].clone(),
                answered_at: clock.at(rng, days_ago),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use advocate_core::{NpsCounts, Score};
    use chrono::TimeZone;
    use std::collections::HashMap;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 15, 10, 30, 0).unwrap()
    }

    fn data() -> DemoData {
        generate(42, now())
    }

    fn counts<'a>(answers: impl IntoIterator<Item = &'a DemoAnswer>) -> NpsCounts {
        let mut c = NpsCounts::default();
        for a in answers {
            c.add(Score::new(i64::from(a.score)).unwrap(), 1);
        }
        c
    }

    /// Answers to customer NPS surveys (not eNPS, not CSAT).
    fn nps_answers(d: &DemoData) -> Vec<&DemoAnswer> {
        let nps: HashSet<&str> = d
            .surveys
            .iter()
            .filter(|s| s.kind == SurveyKind::Nps)
            .map(|s| s.slug.as_str())
            .collect();
        d.answers
            .iter()
            .filter(|a| nps.contains(a.survey_slug.as_str()))
            .collect()
    }

    fn nps_of<'a>(answers: impl IntoIterator<Item = &'a DemoAnswer>) -> f64 {
        counts(answers).nps().unwrap()
    }

    #[test]
    fn same_seed_and_now_give_identical_data() {
        let start = std::time::Instant::now();
        let a = data();
        eprintln!("generated in {:?}", start.elapsed());
        assert_eq!(a, data());
        let other = generate(7, now());
        assert_ne!(a.answers, other.answers);
    }

    #[test]
    fn enough_customers_and_answers_within_18_months() {
        let d = data();
        assert!(d.customers.len() >= 5_000, "{}", d.customers.len());
        assert!(d.answers.len() >= 50_000, "{}", d.answers.len());
        let earliest = now().checked_sub_months(chrono::Months::new(18)).unwrap();
        for a in &d.answers {
            assert!(
                a.answered_at >= earliest && a.answered_at < now(),
                "{}",
                a.answered_at
            );
        }
        assert!(d
            .answers
            .windows(2)
            .all(|w| w[0].answered_at <= w[1].answered_at));
        let ids: HashSet<&str> = d.customers.iter().map(|c| c.external_id.as_str()).collect();
        assert_eq!(ids.len(), d.customers.len());
        let emails: Vec<&String> = d
            .customers
            .iter()
            .filter_map(|c| c.email.as_ref())
            .collect();
        assert_eq!(emails.iter().collect::<HashSet<_>>().len(), emails.len());
        let commented = d.answers.iter().filter(|a| a.comment.is_some()).count();
        let share = commented as f64 / d.answers.len() as f64;
        eprintln!(
            "{} customers, {} answers, {:.1} % with comments",
            d.customers.len(),
            d.answers.len(),
            100.0 * share
        );
        assert!((0.30..0.40).contains(&share), "{share}");
    }

    #[test]
    fn scores_are_valid_and_references_exist() {
        let d = data();
        let kinds: HashMap<&str, SurveyKind> = d
            .surveys
            .iter()
            .map(|s| (s.slug.as_str(), s.kind))
            .collect();
        assert!(kinds.len() >= 4);
        let customers: HashSet<&str> = d.customers.iter().map(|c| c.external_id.as_str()).collect();
        for a in &d.answers {
            let kind = kinds[a.survey_slug.as_str()];
            assert_eq!(kind.check_score(i64::from(a.score)), Ok(a.score), "{a:?}");
            if let Some(id) = &a.customer_external_id {
                assert!(customers.contains(id.as_str()), "{id}");
            }
            if a.channel == Channel::Kiosk {
                assert!(a.customer_external_id.is_none());
            }
        }
        for slug in [
            "relationship",
            "onboarding",
            "delivery",
            "support",
            "employees",
            "support-csat",
        ] {
            assert!(d.answers.iter().any(|a| a.survey_slug == slug), "{slug}");
        }
    }

    #[test]
    fn enps_answers_are_anonymous() {
        let d = data();
        let enps: Vec<_> = d
            .answers
            .iter()
            .filter(|a| a.survey_slug == EMPLOYEES_SLUG)
            .collect();
        assert!((150..=300).contains(&enps.len()), "{}", enps.len());
        assert!(enps.iter().all(|a| a.customer_external_id.is_none()));
        eprintln!(
            "eNPS {:.1} over {}",
            nps_of(enps.iter().copied()),
            enps.len()
        );
    }

    #[test]
    fn nps_tells_the_story() {
        let d = data();
        let nps = nps_answers(&d);
        let overall = nps_of(nps.iter().copied());
        eprintln!("overall NPS {overall:.1} over {}", nps.len());
        assert!((20.0..40.0).contains(&overall), "{overall}");

        let plan: HashMap<&str, &str> = d
            .customers
            .iter()
            .map(|c| {
                (
                    c.external_id.as_str(),
                    c.attributes[&label("plan")].as_str(),
                )
            })
            .collect();
        let by_plan = |p: &str| {
            nps_of(nps.iter().copied().filter(|a| {
                a.customer_external_id
                    .as_deref()
                    .is_some_and(|id| plan[id] == p)
            }))
        };
        let (basic, premium) = (by_plan("basic"), by_plan("premium"));
        eprintln!(
            "NPS by plan: basic {basic:.1}, standard {:.1}, premium {premium:.1}, business {:.1}",
            by_plan("standard"),
            by_plan("business")
        );
        assert!(premium > basic + 10.0);

        let touchpoint: HashMap<&str, Option<&str>> = d
            .surveys
            .iter()
            .map(|s| (s.slug.as_str(), s.touchpoint.as_ref().map(Label::as_str)))
            .collect();
        let by_touchpoint = |t: &str| {
            nps_of(
                nps.iter()
                    .copied()
                    .filter(|a| touchpoint[a.survey_slug.as_str()] == Some(t)),
            )
        };
        let (support, delivery) = (by_touchpoint("support"), by_touchpoint("delivery"));
        eprintln!(
            "NPS by touchpoint: support {support:.1}, delivery {delivery:.1}, onboarding {:.1}, renewal {:.1}",
            by_touchpoint("onboarding"),
            by_touchpoint("renewal")
        );
        assert!(support < delivery - 10.0);

        let by_channel = |c: Channel| nps_of(nps.iter().copied().filter(|a| a.channel == c));
        let (sms, email) = (by_channel(Channel::Sms), by_channel(Channel::Email));
        eprintln!("NPS by channel: email {email:.1}, sms {sms:.1}");
        assert!(sms < email);

        // The outage: ~2 months about 9 months ago, well below the months around it.
        let window = |from: i64, to: i64| {
            nps_of(nps.iter().copied().filter(|a| {
                let ago = (now() - a.answered_at).num_days();
                (from..to).contains(&ago)
            }))
        };
        let before = window(OUTAGE_START + 1, OUTAGE_START + 91);
        let during = window(OUTAGE_END + 5, OUTAGE_START - 5);
        let recent = window(0, 90);
        eprintln!(
            "NPS before the outage {before:.1}, during {during:.1}, last 90 days {recent:.1}"
        );
        assert!(before - during > 8.0 && before - during < 20.0);
        assert!(recent > before);
        for month in (0..18).rev() {
            eprintln!(
                "  {month:2} months ago: {:.1}",
                window(month * 30, month * 30 + 30)
            );
        }
    }

    #[test]
    fn every_language_appears() {
        let d = data();
        for code in advocate_core::i18n::SUPPORTED {
            let lang = language(code);
            assert!(
                d.customers
                    .iter()
                    .any(|c| c.language.as_ref() == Some(&lang)),
                "{code}"
            );
            assert!(
                d.answers
                    .iter()
                    .any(|a| a.language == lang && a.comment.is_some()),
                "{code}"
            );
        }
    }

    #[test]
    fn every_language_has_enough_comment_templates() {
        for l in &LANGS {
            let min = if matches!(l.code, "fi" | "nl") { 4 } else { 8 };
            let c = &l.comments;
            for (cat, n) in [
                ("detractor", c.detractor.len()),
                ("passive", c.passive.len()),
                ("promoter", c.promoter.len()),
            ] {
                assert!(n >= min, "{} {cat}: {n}", l.code);
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Business data.

    type Spells<'a> = HashMap<&'a str, Vec<&'a HistoricSpell>>;

    fn spells(d: &DemoData) -> Spells<'_> {
        let mut out: Spells = HashMap::new();
        for s in &d.spells {
            out.entry(s.customer_external_id.as_str())
                .or_default()
                .push(s);
        }
        out
    }

    fn active(spells: &Spells, id: &str, t: DateTime<Utc>) -> bool {
        spells[id]
            .iter()
            .any(|s| s.started_at <= t && s.ended_at.is_none_or(|e| t < e))
    }

    /// Each customer's category by their latest customer NPS answer before `cut`, as the
    /// churn-by-category KPI computes it.
    fn latest_category(d: &DemoData, cut: DateTime<Utc>) -> HashMap<&str, Cat> {
        let mut out = HashMap::new();
        for a in nps_answers(d) {
            if a.answered_at >= cut {
                break;
            }
            if let Some(id) = &a.customer_external_id {
                let cat = match a.score {
                    0..=6 => Cat::Detractor,
                    7 | 8 => Cat::Passive,
                    _ => Cat::Promoter,
                };
                out.insert(id.as_str(), cat);
            }
        }
        out
    }

    #[test]
    fn detractors_churn_far_more_often_than_promoters() {
        let d = data();
        let spells = spells(&d);
        let cut = now() - Duration::days(365);
        let categories = latest_category(&d, cut);
        // (customers at the cut, of whom churned within the next 12 months) by category.
        let mut tally: HashMap<&str, (u32, u32)> = HashMap::new();
        for (id, list) in &spells {
            let Some(spell) = list
                .iter()
                .find(|s| s.started_at <= cut && s.ended_at.is_none_or(|e| cut < e))
            else {
                continue;
            };
            let churned = spell.ended_at.is_some_and(|e| e <= now());
            let cat = match categories.get(id) {
                Some(Cat::Detractor) => "detractor",
                Some(Cat::Passive) => "passive",
                Some(Cat::Promoter) => "promoter",
                None => "unknown",
            };
            for key in [cat, "all"] {
                let t = tally.entry(key).or_default();
                t.0 += 1;
                t.1 += u32::from(churned);
            }
        }
        let rate = |k: &str| f64::from(tally[k].1) / f64::from(tally[k].0);
        let ratio = rate("detractor") / rate("promoter");
        eprintln!(
            "12-month churn: all {:.1} % of {}, detractors {:.1} % of {}, passives {:.1} % of {}, \
             promoters {:.1} % of {}; detractors churn {ratio:.2}x as often as promoters",
            100.0 * rate("all"),
            tally["all"].0,
            100.0 * rate("detractor"),
            tally["detractor"].0,
            100.0 * rate("passive"),
            tally["passive"].0,
            100.0 * rate("promoter"),
            tally["promoter"].0,
        );
        assert!(ratio >= 2.5, "{ratio}");
        assert!(rate("promoter") < rate("passive") && rate("passive") < rate("detractor"));
        assert!((0.12..=0.18).contains(&rate("all")), "{}", rate("all"));
        // Yearly churn stays in the band in earlier years too.
        for years_ago in [2, 3] {
            let start = now() - Duration::days(365 * years_ago);
            let at_start = d
                .spells
                .iter()
                .filter(|s| s.started_at <= start && s.ended_at.is_none_or(|e| start < e))
                .collect::<Vec<_>>();
            let lost = at_start
                .iter()
                .filter(|s| s.ended_at.is_some_and(|e| e <= start + Duration::days(365)))
                .count();
            let churn = lost as f64 / at_start.len() as f64;
            eprintln!("churn {years_ago} years ago: {:.1} %", 100.0 * churn);
            assert!((0.10..=0.20).contains(&churn), "{churn}");
        }
    }

    #[test]
    fn nothing_happens_outside_a_customers_spells() {
        let d = data();
        let spells = spells(&d);
        assert_eq!(
            spells.len(),
            d.customers.len(),
            "every customer has a spell"
        );
        for list in spells.values() {
            for w in list.windows(2) {
                assert!(w[0].ended_at.is_some_and(|e| e < w[1].started_at), "{w:?}");
            }
            for s in list {
                assert!(s.ended_at.is_none_or(|e| s.started_at < e && e <= now()));
            }
        }
        let returned = spells.values().filter(|l| l.len() > 1).count();
        let churned = spells.values().filter(|l| l[0].ended_at.is_some()).count();
        let first = d.spells.iter().map(|s| s.started_at).min().unwrap();
        eprintln!(
            "{churned} customers churned, {returned} came back; first acquired {first}; \
             {} acquired before the answer window",
            spells
                .values()
                .filter(|l| l[0].started_at < now() - Duration::days(WINDOW_DAYS))
                .count()
        );
        assert!(
            returned > 20 && returned < churned / 4,
            "{returned} of {churned}"
        );
        assert!(first > now() - Duration::days(365 * 7));
        for a in &d.answers {
            if let Some(id) = &a.customer_external_id {
                assert!(active(&spells, id, a.answered_at), "{a:?}");
            }
        }
        for o in &d.orders {
            assert!(
                active(&spells, &o.customer_external_id, o.ordered_at),
                "{o:?}"
            );
            assert!(o.ordered_at < now());
        }
        for c in &d.contacts {
            assert!(
                active(&spells, &c.customer_external_id, c.opened_at),
                "{c:?}"
            );
            for t in [c.first_reply_at, c.resolved_at].into_iter().flatten() {
                assert!(t >= c.opened_at && t <= now(), "{c:?}");
            }
        }
        for m in &d.loyalty {
            assert!(
                active(&spells, &m.customer_external_id, m.joined_at),
                "{m:?}"
            );
            if let Some(left) = m.left_at {
                assert!(left > m.joined_at && left <= now(), "{m:?}");
            } else {
                assert!(active(&spells, &m.customer_external_id, now()), "{m:?}");
            }
        }
    }

    #[test]
    fn orders_carry_reporting_amounts_and_promoters_spend_more() {
        let d = data();
        eprintln!("{} orders", d.orders.len());
        assert!(
            (300_000..=600_000).contains(&d.orders.len()),
            "{}",
            d.orders.len()
        );
        let ids: HashSet<&str> = d.orders.iter().map(|o| o.external_id.as_str()).collect();
        assert_eq!(ids.len(), d.orders.len());
        assert!(d
            .orders
            .windows(2)
            .all(|w| w[0].ordered_at <= w[1].ordered_at));
        let mut by_currency: BTreeMap<&str, usize> = BTreeMap::new();
        for o in &d.orders {
            *by_currency.entry(o.original_currency.as_str()).or_default() += 1;
            assert!(o.amount_minor > 0 && o.original_amount_minor > 0, "{o:?}");
            let rate = o.amount_minor as f64 / o.original_amount_minor as f64;
            let expected = match o.original_currency.as_str() {
                "NOK" => 1.0,
                "SEK" => 0.98,
                "DKK" => 1.56,
                "EUR" => 11.65,
                other => panic!("unexpected currency {other}"),
            };
            assert!((rate - expected).abs() < 0.01, "{o:?}");
        }
        eprintln!("orders by currency: {by_currency:?}");
        for code in ["EUR", "SEK"] {
            assert!(by_currency.get(code).is_some_and(|&n| n > 1_000), "{code}");
        }
        assert!(by_currency.values().all(|&n| n <= by_currency["NOK"]));

        // Spend over the year after the cut, per customer there all year, by category.
        let spells = spells(&d);
        let cut = now() - Duration::days(365);
        let categories = latest_category(&d, cut);
        let stayed: HashSet<&str> = categories
            .keys()
            .copied()
            .filter(|id| {
                spells[id]
                    .iter()
                    .any(|s| s.started_at <= cut && s.ended_at.is_none())
            })
            .collect();
        let mut spend: HashMap<&str, i64> = HashMap::new();
        for o in d.orders.iter().filter(|o| o.ordered_at >= cut) {
            if stayed.contains(o.customer_external_id.as_str()) {
                *spend.entry(o.customer_external_id.as_str()).or_default() += o.amount_minor;
            }
        }
        let average = |cat: Cat| {
            let ids: Vec<&&str> = stayed.iter().filter(|id| categories[**id] == cat).collect();
            let total: i64 = ids
                .iter()
                .map(|id| spend.get(**id).copied().unwrap_or(0))
                .sum();
            total as f64 / 100.0 / ids.len() as f64
        };
        let (d_, p_, pr) = (
            average(Cat::Detractor),
            average(Cat::Passive),
            average(Cat::Promoter),
        );
        eprintln!(
            "NOK spent in the last year per staying customer: detractors {d_:.0}, \
             passives {p_:.0}, promoters {pr:.0}"
        );
        assert!(pr > p_ && p_ > d_ && pr > 1.15 * d_);
    }

    #[test]
    fn contacts_cover_every_channel_with_realistic_replies() {
        let d = data();
        let channels: HashSet<&str> = d.contacts.iter().map(|c| c.channel.as_str()).collect();
        for channel in [
            "email",
            "chat",
            "phone",
            "social",
            "sms",
            "chatbot",
            "video",
            "forum",
            "meeting",
            "self_service",
        ] {
            assert!(channels.contains(channel), "{channel}");
        }
        assert_eq!(channels.len(), 10);
        let complaints = d.contacts.iter().filter(|c| c.is_complaint).count();
        let share = complaints as f64 / d.contacts.len() as f64;
        eprintln!(
            "{} contacts, {:.1} % complaints",
            d.contacts.len(),
            100.0 * share
        );
        assert!((0.25..=0.36).contains(&share), "{share}");

        // Median seconds to first reply by channel.
        let median = |channel: &str| {
            let mut v: Vec<i64> = d
                .contacts
                .iter()
                .filter(|c| c.channel.as_str() == channel)
                .filter_map(|c| c.first_reply_at.map(|r| (r - c.opened_at).num_seconds()))
                .collect();
            v.sort_unstable();
            v[v.len() / 2]
        };
        let (phone, chat, email, social) = (
            median("phone"),
            median("chat"),
            median("email"),
            median("social"),
        );
        eprintln!("median first reply: phone {phone} s, chat {chat} s, email {email} s, social {social} s");
        assert!(phone < 900 && (60..1_800).contains(&chat));
        assert!((3_600..86_400).contains(&email) && (3_600..=86_400).contains(&social));
        assert!(d
            .contacts
            .iter()
            .filter(|c| c.channel.as_str() == "self_service")
            .all(|c| c.first_reply_at.is_none()));

        // 8–15 % of active customers contact support in a quarter.
        let spells = spells(&d);
        for quarter in 0..8 {
            let to = now() - Duration::days(91 * quarter);
            let from = to - Duration::days(91);
            let contacted: HashSet<&str> = d
                .contacts
                .iter()
                .filter(|c| c.opened_at >= from && c.opened_at < to)
                .map(|c| c.customer_external_id.as_str())
                .collect();
            let customers = spells.keys().filter(|id| active(&spells, id, from)).count();
            let share = contacted.len() as f64 / customers as f64;
            eprintln!(
                "quarter {quarter} ago: {:.1} % contacted support",
                100.0 * share
            );
            // The outage's quarters are busier, by design.
            let outage =
                (now() - to).num_days() < OUTAGE_START && (now() - from).num_days() > OUTAGE_END;
            assert!(
                outage || (0.08..=0.15).contains(&share),
                "{quarter}: {share}"
            );
        }
    }

    #[test]
    fn a_fifth_of_active_customers_are_loyalty_members() {
        let d = data();
        let spells = spells(&d);
        let active_now: HashSet<&str> = spells
            .keys()
            .copied()
            .filter(|id| active(&spells, id, now() - Duration::seconds(1)))
            .collect();
        let members: HashSet<&str> = d
            .loyalty
            .iter()
            .filter(|m| m.left_at.is_none())
            .map(|m| m.customer_external_id.as_str())
            .collect();
        assert!(members.is_subset(&active_now));
        let share = members.len() as f64 / active_now.len() as f64;
        let left = d.loyalty.iter().filter(|m| m.left_at.is_some()).count();
        let categories = latest_category(&d, now());
        let share_of = |cat: Cat| {
            let of: Vec<&&str> = active_now
                .iter()
                .filter(|id| categories.get(**id) == Some(&cat))
                .collect();
            of.iter().filter(|id| members.contains(***id)).count() as f64 / of.len() as f64
        };
        eprintln!(
            "{} of {} active customers are members ({:.1} %), {left} memberships ended; \
             members among promoters {:.1} %, detractors {:.1} %",
            members.len(),
            active_now.len(),
            100.0 * share,
            100.0 * share_of(Cat::Promoter),
            100.0 * share_of(Cat::Detractor)
        );
        assert!((0.20..=0.25).contains(&share), "{share}");
        assert!(left > 100);
        assert!(share_of(Cat::Promoter) > 1.5 * share_of(Cat::Detractor));
    }
}
