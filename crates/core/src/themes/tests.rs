//! Tagging, compounds, negation and sentiment from the outside, per language.

use super::*;
use std::sync::OnceLock;

fn tagger() -> &'static Tagger {
    static T: OnceLock<Tagger> = OnceLock::new();
    T.get_or_init(|| Tagger::new(&Taxonomy::builtin()))
}

fn themes(lang: Lang, text: &str) -> Vec<String> {
    let t = tagger();
    let mut v: Vec<String> = t
        .analyse(lang, text)
        .themes()
        .iter()
        .map(|s| t.key(s.theme).to_owned())
        .collect();
    v.sort();
    v
}

fn theme(lang: Lang, text: &str, key: &str) -> ThemeSentiment {
    let t = tagger();
    let a = t.analyse(lang, text);
    a.themes()
        .into_iter()
        .find(|s| t.key(s.theme) == key)
        .unwrap_or_else(|| panic!("{key} not found in {text:?}: {a:?}"))
}

fn sentiment(lang: Lang, text: &str) -> Sentiment {
    tagger().analyse(lang, text).sentiment
}

use Lang::*;
use Sentiment::*;

#[test]
fn english_themes_and_mentions() {
    assert_eq!(
        themes(En, "The invoice was wrong and I waited 40 minutes on hold."),
        ["billing", "support_wait"]
    );
    let a = tagger().analyse(En, "Friendly staff. The invoice was wrong!");
    let billing = a
        .mentions
        .iter()
        .find(|m| tagger().key(m.theme) == "billing")
        .unwrap();
    assert_eq!(
        &"Friendly staff. The invoice was wrong!"[billing.start..billing.end],
        "invoice"
    );
    assert_eq!(billing.sentiment, Negative);
    assert_eq!(
        theme(
            En,
            "Friendly staff. The invoice was wrong!",
            "staff_friendliness"
        )
        .sentiment,
        Positive
    );
    // A phrase is matched on stems: "customer services" → customer_service once.
    assert_eq!(
        themes(En, "Customer services were great"),
        ["customer_service"]
    );
    assert!(themes(En, "Nothing to add, thanks").is_empty());
}

#[test]
fn negation_near_a_theme_word_keeps_the_theme_and_turns_its_sentiment() {
    // "not expensive" is a positive mention of price, not a negative one.
    let p = theme(En, "It is not expensive at all", "price");
    assert_eq!(p.sentiment, Positive);
    assert!(tagger().analyse(En, "It is not expensive at all").mentions[0].negated);
    assert_eq!(
        theme(En, "No problems with the delivery", "delivery").sentiment,
        Positive
    );
    assert_eq!(
        theme(En, "The delivery was not fast", "delivery").sentiment,
        Negative
    );
    // A negated theme word with no sentiment word of its own reads as a complaint.
    assert_eq!(
        theme(En, "Never got an invoice", "billing").sentiment,
        Negative
    );
    assert_eq!(
        theme(Nb, "Ingen problemer med leveringen", "delivery").sentiment,
        Positive
    );
    assert_eq!(
        theme(Sv, "Inga problem med leveransen", "delivery").sentiment,
        Positive
    );
    assert_eq!(
        theme(Da, "Ingen problemer med leveringen", "delivery").sentiment,
        Positive
    );
    assert_eq!(
        theme(De, "Kein Problem mit der Lieferung", "delivery").sentiment,
        Positive
    );
    assert_eq!(
        theme(Nl, "Geen problemen met de levering", "delivery").sentiment,
        Positive
    );
    assert_eq!(
        theme(Fi, "Ei ongelmia laskutuksessa", "billing").sentiment,
        Positive
    );
    // Finnish negates with a verb after the subject: the mention is negated.
    let a = tagger().analyse(Fi, "Toimitus ei ollut nopea");
    assert!(a.mentions[0].negated, "{a:?}");
    assert_eq!(a.mentions[0].sentiment, Negative);
    // Verb-second languages put "not" after the verb.
    assert_eq!(sentiment(De, "Die App funktioniert nicht"), Negative);
    assert_eq!(sentiment(Nl, "De app werkt niet"), Negative);
    assert_eq!(sentiment(Sv, "Appen fungerar inte"), Negative);
    assert_eq!(sentiment(Nb, "Appen fungerer ikke"), Negative);
    assert_eq!(sentiment(Da, "Appen virker ikke"), Negative);
    assert_eq!(sentiment(Fi, "Sovellus ei toimi"), Negative);
    assert_eq!(sentiment(En, "The app does not work"), Negative);
}

#[test]
fn compounds_are_matched_as_modifier_or_head() {
    let cases: &[(Lang, &str, &str)] = &[
        (De, "Die Lieferzeit war viel zu lang", "delivery"),
        (De, "Der Rechnungsbetrag stimmt nicht", "billing"),
        (De, "Meine Stromrechnung ist zu hoch", "billing"),
        (De, "Die Kündigungsbestätigung kam nie", "cancellation"),
        (Nl, "De telefoonwachttijd is absurd", "support_wait"),
        (Nl, "Het factuurbedrag klopt niet", "billing"),
        (Nl, "De bezorgingskosten zijn hoog", "delivery"),
        (Nb, "Leveringstiden var lang", "delivery"),
        (Nb, "Fakturabeløpet var feil", "billing"),
        (Nb, "Strømregningen var høy", "billing"),
        (Sv, "Leveranstiden var lång", "delivery"),
        (Sv, "Telefonräkningen var för hög", "billing"),
        (Sv, "Kundtjänstpersonalen var trevlig", "customer_service"),
        (Da, "Leveringstiden var for lang", "delivery"),
        (Da, "Fakturabeløbet var forkert", "billing"),
        (Da, "Montørbesøget gik fint", "installation"),
        (Fi, "Toimitusaika oli liian pitkä", "delivery"),
        (Fi, "Laskutusvirhe taas", "billing"),
        (Fi, "Sähkölaskussa oli virhe", "billing"),
        (Fi, "Asennuskäynnin ajankohta", "installation"),
    ];
    for (lang, text, key) in cases {
        assert!(
            themes(*lang, text).iter().any(|k| k == key),
            "{lang} {text:?}: {:?}",
            themes(*lang, text)
        );
    }
}

#[test]
fn false_friends_do_not_match() {
    let cases: &[(Lang, &str, &str)] = &[
        // "be" + "rechnung": the rest is too short to be a compound.
        (De, "Die Berechnung der Zinsen ist korrekt", "billing"),
        // Stemmed, Montage (installation) would be Montag (Monday): not a keyword.
        (De, "Am Montag habe ich angerufen", "installation"),
        (De, "Der Apparat ist neu", "app_website"),
        (De, "Die Preisgabe meiner Daten", "price"),
        (De, "Die Empfangsdame war nett", "coverage"),
        (Nl, "Ik ben mijn wachtwoord vergeten", "support_wait"),
        (Nl, "Ik won de prijsvraag", "price"),
        (Fi, "Toimitusjohtaja vastasi itse", "delivery"),
        (Fi, "Laskuvarjohyppy oli hauska", "billing"),
        (Fi, "Yhteystiedot olivat väärin", "coverage"),
        (Nb, "Dekningsbidraget økte", "coverage"),
        (Nb, "Arbeidsmiljøet er godt", "sustainability"),
        (Sv, "Arbetsmiljön är bra", "sustainability"),
        (Da, "Beregningen var rigtig", "billing"),
        (En, "I applied for the job", "app_website"),
        (Sv, "Prismat var vackert", "price"),
    ];
    for (lang, text, key) in cases {
        assert!(
            !themes(*lang, text).iter().any(|k| k == key),
            "{lang} {text:?}: {:?}",
            themes(*lang, text)
        );
    }
    // Exact stems still reach their theme.
    assert_eq!(
        themes(Nl, "Ik ben mijn wachtwoord vergeten"),
        ["security_privacy"]
    );
}

#[test]
fn sentiment_per_language_with_intensifiers_and_contrast() {
    let cases: &[(Lang, &str, Sentiment)] = &[
        (En, "Excellent service, very fast delivery", Positive),
        (En, "Terrible support and a wrong bill", Negative),
        (En, "I use it for work", Neutral),
        (En, "Good product but far too expensive", Negative),
        (Nb, "Kjempefornøyd med kundeservice", Positive),
        (Nb, "Elendig oppfølging og feil på regningen", Negative),
        (Sv, "Supernöjd, snabb leverans", Positive),
        (Sv, "Bra pris men usel kundtjänst", Negative),
        (Da, "Rigtig god service og hurtig levering", Positive),
        (Da, "Elendig kundeservice", Negative),
        (Fi, "Erittäin hyvä palvelu", Positive),
        (Fi, "Hyvä tuote mutta toimitus oli surkea", Negative),
        (De, "Super schnelle Lieferung, alles bestens", Positive),
        (
            De,
            "Gutes Produkt, aber der Kundenservice ist eine Katastrophe",
            Negative,
        ),
        (Nl, "Heel tevreden over de service", Positive),
        (
            Nl,
            "Prima prijs maar de klantenservice is waardeloos",
            Negative,
        ),
    ];
    for (lang, text, want) in cases {
        let a = tagger().analyse(*lang, text);
        assert_eq!(a.sentiment, *want, "{lang} {text:?}: {a:?}");
    }
    // After "but" weighs more: the positive clause alone would win without the weighting.
    assert_eq!(sentiment(En, "Friendly people but slow"), Negative);
    assert_eq!(
        theme(En, "Great price but slow delivery", "price").sentiment,
        Positive
    );
    assert_eq!(
        theme(En, "Great price but slow delivery", "delivery").sentiment,
        Negative
    );
}

#[test]
fn edits_change_what_is_tagged() {
    let tax = Taxonomy::builtin()
        .with_edits(&[
            TaxonomyEdit::Add {
                key: "smart_meter".into(),
                names: [("en".to_owned(), "Smart meter".to_owned())].into(),
                keywords: [
                    ("en".to_owned(), vec!["smart meter".to_owned()]),
                    ("de".to_owned(), vec!["Stromzähler".to_owned()]),
                ]
                .into(),
            },
            TaxonomyEdit::Hide {
                key: "billing".into(),
            },
        ])
        .unwrap();
    let t = Tagger::new(&tax);
    let keys = |lang, text| -> Vec<String> {
        t.analyse(lang, text)
            .themes()
            .iter()
            .map(|s| t.key(s.theme).to_owned())
            .collect()
    };
    assert_eq!(
        keys(En, "The smart meters are broken and the bill is wrong"),
        ["smart_meter", "product_quality"]
    );
    assert_eq!(keys(De, "Der neue Stromzählerkasten"), ["smart_meter"]);
    assert!(t.id("billing").is_none());
}

#[test]
fn one_tagger_serves_many_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Tagger>();
    shared::<Taxonomy>();
}

#[test]
fn scores_follow_the_documented_arithmetic() {
    let score = |lang, text| tagger().analyse(lang, text).score;
    let close = |a: f32, b: f32| (a - b).abs() < 1e-5;
    // good +1, very ×1.5.
    assert!(close(score(En, "good"), 1.0));
    assert!(close(score(En, "very good"), 1.5));
    // Negated: ×−0.75.
    assert!(close(score(En, "not good"), -0.75));
    assert!(close(score(En, "not bad"), 0.75));
    // Weak words are neutral alone and not stressed.
    assert!(close(score(En, "it is fine"), 0.4));
    assert!(close(score(En, "really fine"), 0.4));
    assert_eq!(sentiment(Nb, "Det er helt greit"), Neutral);
    // Contrast: "good, but slow" = 1 · 0.5 + (−1) · 1.5 = −1.
    assert!(close(score(En, "good, but slow"), -1.0));
    // Excess: "too long" is a complaint though "long" is no sentiment word.
    assert!(close(score(En, "the queue was too long"), -1.0));
    assert_eq!(sentiment(Fi, "Jono oli liian pitkä"), Negative);
    // "Without" reaches two words only: "ohne Ankündigung gestiegen" stays a complaint.
    assert_eq!(
        sentiment(De, "Der Preis ist ohne Ankündigung gestiegen"),
        Negative
    );
    assert_eq!(sentiment(Nb, "Uten problemer"), Positive);
    // A negator in a keyword phrase belongs to the phrase.
    let a = tagger().analyse(Nb, "Kundeservice visste ikke svaret");
    assert_eq!(a.sentiment, Negative, "{a:?}");
    assert_eq!(sentiment(Fi, "Laskutus ei toimi"), Negative);
    assert!(tagger().analyse(En, "").mentions.is_empty());
    assert_eq!(sentiment(Sv, "Leveransen 👍"), Positive);
    assert_eq!(sentiment(De, "Lieferung 😡"), Negative);
    assert_eq!(sentiment(En, "  ... !!"), Neutral);
}

#[test]
fn mentions_point_at_the_compound_that_holds_them() {
    let text = "Die neue Stromrechnung ist unverständlich.";
    let a = tagger().analyse(De, text);
    let m = &a.mentions[0];
    assert_eq!(tagger().key(m.theme), "billing");
    assert_eq!(&text[m.start..m.end], "Stromrechnung");
    assert_eq!(m.sentiment, Negative, "{a:?}");
    let language = crate::Language::new("fi-FI").unwrap();
    let a = tagger()
        .analyse_tagged(&language, "Toimitusaika oli hyvä")
        .unwrap();
    assert_eq!(a.sentiment, Positive);
    assert!(tagger()
        .analyse_tagged(&crate::Language::new("fr").unwrap(), "Très cher")
        .is_none());
}

#[test]
fn finnish_negation_after_the_theme_word_marks_the_mention() {
    for (text, negated, want) in [
        ("Lasku ei tullut ajoissa", true, Negative),
        ("Asentaja ei koskaan tullut", true, Negative),
        ("Toimitus oli nopea", false, Positive),
        ("Ei mitään ongelmia toimituksen kanssa", true, Positive),
    ] {
        let a = tagger().analyse(Fi, text);
        assert_eq!(a.mentions.len(), 1, "{text}: {a:?}");
        assert_eq!(
            (a.mentions[0].negated, a.mentions[0].sentiment),
            (negated, want),
            "{text}: {a:?}"
        );
    }
}
