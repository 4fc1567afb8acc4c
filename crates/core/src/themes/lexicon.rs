//! Per-language word lists for sentiment: written for Advocate (CC0), kept in
//! `lexicon/<lang>.txt` so a translator can edit them without touching code.
//!
//! Format: one `kind: word, word, …` per line (a kind may repeat over lines), `#` starts a
//! comment. Kinds (`without`: a negator of the next word only, "uten problemer"): `positive` (+1), `strong_positive` (+2), `weak_positive` (+0.4: "ok",
//! "fine", neutral alone), `negative` (−1), `strong_negative` (−2), `weak_negative` (−0.4), `negator`, `intensifier` (×1.5), `downtoner` (×0.5), `contrast`
//! (the clause after it weighs more), `excess` ("too": intensifies, and "too long" is a
//! complaint), `intensifier_prefix` (kjempe-, super-: glued to a
//! sentiment word) and `stopword` (left out of emerging phrases). Sentiment words are matched
//! on their stems, or as written when marked `=word`; the function words (negators,
//! intensifiers, …) always as written.

use super::lang::Lang;

/// "fine", "ok", "greit": below the threshold alone (so neutral), positive when stressed.
const WEAK: f32 = 0.4;

/// The parsed lists of one language.
#[derive(Debug, Default, Clone)]
pub struct Lexicon {
    /// Sentiment words with their valence (±1, ±2), matched on their stems.
    pub sentiment: Vec<(String, f32)>,
    /// Sentiment words written `=word`: matched as written only, where the stem would
    /// catch too much ("works" is praise, "work" is not).
    pub exact_sentiment: Vec<(String, f32)>,
    pub negators: Vec<String>,
    /// "without", "uten", "ohne": negate the next word only, or the one after a stopword
    /// ("without any problems"), not a verb further on ("ohne Ankündigung gestiegen").
    pub withouts: Vec<String>,
    pub intensifiers: Vec<String>,
    pub downtoners: Vec<String>,
    pub contrasts: Vec<String>,
    /// "too", "altfor", "liian": intensifies a sentiment word, and makes a plain word after
    /// it a complaint ("too long", "liian pitkä").
    pub excess: Vec<String>,
    pub intensifier_prefixes: Vec<String>,
    pub stopwords: Vec<String>,
}

/// A line of a lexicon file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lexicon {lang} line {line}: {problem}")]
pub struct LexiconError {
    pub lang: Lang,
    pub line: usize,
    pub problem: String,
}

impl Lexicon {
    /// The built-in lexicon of a language.
    pub fn builtin(lang: Lang) -> Lexicon {
        Lexicon::parse(lang, source(lang)).expect("built-in lexicons are tested to parse")
    }

    pub fn parse(lang: Lang, text: &str) -> Result<Lexicon, LexiconError> {
        let mut lex = Lexicon::default();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let err = |problem: String| LexiconError {
                lang,
                line: n + 1,
                problem,
            };
            let (kind, words) = line
                .split_once(':')
                .ok_or_else(|| err("expected `kind: word, word`".into()))?;
            for word in words.split(',').map(str::trim).filter(|w| !w.is_empty()) {
                let bare = word.strip_prefix('=').unwrap_or(word);
                let emoji =
                    bare.chars().count() == 1 && bare.chars().all(super::tokenize::is_emoji);
                if bare.is_empty()
                    || !emoji && bare.chars().any(|c| !(c.is_alphanumeric() || c == '\''))
                {
                    return Err(err(format!("{word:?}: one word per entry, letters only")));
                }
                let word = word.to_lowercase();
                let (list, word) = match word.strip_prefix('=') {
                    Some(w) => (&mut lex.exact_sentiment, w.to_owned()),
                    None => (&mut lex.sentiment, word),
                };
                match kind.trim() {
                    "positive" => list.push((word, 1.0)),
                    "strong_positive" => list.push((word, 2.0)),
                    "negative" => list.push((word, -1.0)),
                    "strong_negative" => list.push((word, -2.0)),
                    "weak_positive" => list.push((word, WEAK)),
                    "weak_negative" => list.push((word, -WEAK)),
                    "negator" => lex.negators.push(word),
                    "without" => lex.withouts.push(word),
                    "intensifier" => lex.intensifiers.push(word),
                    "downtoner" => lex.downtoners.push(word),
                    "contrast" => lex.contrasts.push(word),
                    "excess" => lex.excess.push(word),
                    "intensifier_prefix" => lex.intensifier_prefixes.push(word),
                    "stopword" => lex.stopwords.push(word),
                    other => return Err(err(format!("unknown kind {other:?}"))),
                }
            }
        }
        Ok(lex)
    }
}

fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::En => include_str!("lexicon/en.txt"),
        Lang::Nb => include_str!("lexicon/nb.txt"),
        Lang::Sv => include_str!("lexicon/sv.txt"),
        Lang::Da => include_str!("lexicon/da.txt"),
        Lang::Fi => include_str!("lexicon/fi.txt"),
        Lang::De => include_str!("lexicon/de.txt"),
        Lang::Nl => include_str!("lexicon/nl.txt"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_lexicon_parses_and_has_each_kind() {
        for lang in Lang::ALL {
            let lex = Lexicon::parse(lang, source(lang)).unwrap();
            assert!(lex.sentiment.len() >= 60, "{lang}: {}", lex.sentiment.len());
            assert!(lex.sentiment.iter().any(|(_, v)| *v < 0.0), "{lang}");
            assert!(!lex.negators.is_empty(), "{lang}");
            assert!(!lex.intensifiers.is_empty(), "{lang}");
            assert!(!lex.contrasts.is_empty(), "{lang}");
            assert!(lex.stopwords.len() >= 30, "{lang}");
            // A negator with a sentiment of its own would both score and turn the next
            // word ("no problems" would come out negative).
            for n in &lex.negators {
                assert!(
                    !lex.sentiment
                        .iter()
                        .chain(&lex.exact_sentiment)
                        .any(|(w, _)| w == n),
                    "{lang}: negator {n:?} is also a sentiment word"
                );
            }
        }
    }

    #[test]
    fn bad_lines_are_named() {
        let e = Lexicon::parse(Lang::En, "positive: good\nhappy").unwrap_err();
        assert_eq!(
            e.to_string(),
            "lexicon en line 2: expected `kind: word, word`"
        );
        let e = Lexicon::parse(Lang::De, "lovely: schön").unwrap_err();
        assert_eq!(e.to_string(), "lexicon de line 1: unknown kind \"lovely\"");
        let e = Lexicon::parse(Lang::Nl, "positive: heel goed").unwrap_err();
        assert!(e.to_string().contains("one word per entry"), "{e}");
        assert!(Lexicon::parse(Lang::En, "positive: top-notch").is_err());
    }
}
