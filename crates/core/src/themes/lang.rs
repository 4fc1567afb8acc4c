//! The seven languages themes and sentiment are analysed in, and what differs between them.

use crate::labels::Language;
use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A language with a built-in taxonomy, lexicon and Snowball stemmer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Nb,
    Sv,
    Da,
    Fi,
    De,
    Nl,
}

impl Lang {
    pub const ALL: [Lang; 7] = [
        Lang::En,
        Lang::Nb,
        Lang::Sv,
        Lang::Da,
        Lang::Fi,
        Lang::De,
        Lang::Nl,
    ];

    /// The language of a code such as `nb` or `de`; `None` for one not analysed.
    pub fn parse(code: &str) -> Option<Lang> {
        Some(match code {
            "en" => Lang::En,
            "nb" | "no" | "nn" => Lang::Nb,
            "sv" => Lang::Sv,
            "da" => Lang::Da,
            "fi" => Lang::Fi,
            "de" => Lang::De,
            "nl" => Lang::Nl,
            _ => return None,
        })
    }

    /// The analysed language of an answer's language tag, if it is one of the seven.
    pub fn of(language: &Language) -> Option<Lang> {
        Lang::parse(language.as_str())
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nb => "nb",
            Lang::Sv => "sv",
            Lang::Da => "da",
            Lang::Fi => "fi",
            Lang::De => "de",
            Lang::Nl => "nl",
        }
    }

    pub(crate) fn stemmer(self) -> Stemmer {
        Stemmer::create(match self {
            Lang::En => Algorithm::English,
            // Snowball's Norwegian stemmer is written for Bokmål.
            Lang::Nb => Algorithm::Norwegian,
            Lang::Sv => Algorithm::Swedish,
            Lang::Da => Algorithm::Danish,
            Lang::Fi => Algorithm::Finnish,
            Lang::De => Algorithm::German,
            Lang::Nl => Algorithm::Dutch,
        })
    }

    /// Whether words are glued into compounds (Lieferzeit, leveringstid, toimitusaika), so a
    /// keyword is also looked for at the start or end of a longer word.
    pub fn compounds(self) -> bool {
        self != Lang::En
    }

    /// How many tokens after a theme word a negator still negates the mention: a subject
    /// is negated by what follows it ("the parcel never arrived", "Montøren dukket aldri
    /// opp"), and Finnish puts its negation verb there too, sometimes behind an adverb
    /// ("Toimitus taas ei tullut").
    pub(crate) fn negation_after(self) -> usize {
        if self == Lang::Fi {
            3
        } else {
            2
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_others_are_refused() {
        for l in Lang::ALL {
            assert_eq!(Lang::parse(l.code()), Some(l));
        }
        assert_eq!(Lang::of(&Language::new("nb-NO").unwrap()), Some(Lang::Nb));
        assert_eq!(Lang::of(&Language::new("de-AT").unwrap()), Some(Lang::De));
        assert_eq!(Lang::parse("fr"), None);
    }
}
