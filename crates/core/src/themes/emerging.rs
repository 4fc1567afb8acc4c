//! Emerging themes: phrases that recur in comments no theme tagged, proposed to the
//! workspace as candidate themes.
//!
//! Per language: each comment's words are stemmed; stopwords, negators and the like cut
//! the text into runs, and so do punctuation marks; every two- and three-word sequence of a
//! run is a candidate, counted once per comment. A candidate must recur in at least
//! `min_count` comments, contain no word that is a keyword by itself (whole or in a
//! compound) and no keyword phrase. A two-word phrase that
//! only ever occurs inside one longer phrase is left out for the longer one.

use super::lang::Lang;
use super::tagger::Tagger;
use super::tokenize::tokenize;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A recurring phrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmergingPhrase<I> {
    /// The stems, space-separated: the identity of the phrase.
    pub stems: String,
    /// The form written most often, lower-cased ("smart meter").
    pub phrase: String,
    /// How many comments contain it.
    pub count: usize,
    /// Up to three of those comments, in input order.
    pub examples: Vec<I>,
}

struct Tally<I> {
    count: usize,
    examples: Vec<I>,
    surfaces: BTreeMap<String, usize>,
}

impl<I> Default for Tally<I> {
    fn default() -> Self {
        Tally {
            count: 0,
            examples: Vec::new(),
            surfaces: BTreeMap::new(),
        }
    }
}

/// At most this many examples per phrase.
pub const EXAMPLES: usize = 3;

/// Recurring phrases in `comments` (id, text) of one language, most frequent first, at most
/// `limit` of them.
pub fn emerging_phrases<I: Clone>(
    tagger: &Tagger,
    lang: Lang,
    comments: &[(I, &str)],
    min_count: usize,
    limit: usize,
) -> Vec<EmergingPhrase<I>> {
    let mut tallies: HashMap<String, Tally<I>> = HashMap::new();
    for (id, text) in comments {
        let tokens = tokenize(text);
        let mut seen: HashSet<String> = HashSet::new();
        let mut run: Vec<(String, String)> = Vec::new();
        let mut flush = |run: &mut Vec<(String, String)>, seen: &mut HashSet<String>| {
            for n in 2..=3 {
                for w in run.windows(n) {
                    let stems = w
                        .iter()
                        .map(|(s, _)| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                    let covered = w
                        .iter()
                        .any(|(s, word)| tagger.is_keyword_word(lang, word, s))
                        || w.windows(2).chain(std::iter::once(w)).any(|part| {
                            let joined = part.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>();
                            tagger.is_keyword_phrase(lang, &joined.join(" "))
                        });
                    if covered || !seen.insert(stems.clone()) {
                        continue;
                    }
                    let surface = w
                        .iter()
                        .map(|(_, s)| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" ");
                    let t = tallies.entry(stems).or_default();
                    t.count += 1;
                    if t.examples.len() < EXAMPLES {
                        t.examples.push(id.clone());
                    }
                    *t.surfaces.entry(surface).or_default() += 1;
                }
            }
            run.clear();
        };
        for (i, tok) in tokens.words.iter().enumerate() {
            let word = tokens.word(i);
            if tok.clause_start {
                flush(&mut run, &mut seen);
            }
            let content = word.chars().count() >= 2
                && word.chars().any(char::is_alphabetic)
                && !tagger.is_stopword(lang, word);
            if content {
                run.push((tagger.stem(lang, word), word.to_owned()));
            } else {
                flush(&mut run, &mut seen);
            }
        }
        flush(&mut run, &mut seen);
    }
    let kept: Vec<(String, Tally<I>)> = tallies
        .into_iter()
        .filter(|(_, t)| t.count >= min_count)
        .collect();
    let longer: Vec<(&str, usize)> = kept
        .iter()
        .filter(|(s, _)| s.matches(' ').count() == 2)
        .map(|(s, t)| (s.as_str(), t.count))
        .collect();
    let mut out: Vec<EmergingPhrase<I>> = kept
        .iter()
        .filter(|(s, t)| {
            s.matches(' ').count() == 2
                || !longer
                    .iter()
                    .any(|(l, c)| *c == t.count && contains_words(l, s))
        })
        .map(|(s, t)| EmergingPhrase {
            stems: s.clone(),
            phrase: t
                .surfaces
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(s, _)| s.clone())
                .unwrap_or_default(),
            count: t.count,
            examples: t.examples.clone(),
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.stems.cmp(&b.stems)));
    out.truncate(limit);
    out
}

/// Whether the words of `short` stand together, in order, in `long`.
fn contains_words(long: &str, short: &str) -> bool {
    long == short || long.starts_with(&format!("{short} ")) || long.ends_with(&format!(" {short}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::themes::Taxonomy;

    #[test]
    fn recurring_phrases_are_proposed_with_counts_and_examples() {
        let tagger = Tagger::new(&Taxonomy::builtin());
        let comments = [
            (1, "The smart meter readings are wrong"),
            (2, "Smart meters never report anything."),
            (3, "my smart meter is broken again"),
            (4, "Loyalty points expired before I could use them"),
            (5, "The loyalty points vanished"),
            (6, "The Smart Meter display is dark; loyalty points?"),
            (7, "The smart meter readings make no sense"),
            // A keyword phrase ("customer service") is no emerging theme.
            (8, "customer service customer service"),
            (9, "customer service"),
        ];
        let out = emerging_phrases(&tagger, Lang::En, &comments, 2, 10);
        let first = &out[0];
        assert_eq!((first.phrase.as_str(), first.count), ("smart meter", 5));
        assert_eq!(first.examples, [1, 2, 3], "at most three, in input order");
        let points = out.iter().find(|p| p.phrase == "loyalty points").unwrap();
        assert_eq!((points.count, points.examples.clone()), (3, vec![4, 5, 6]));
        let readings = out
            .iter()
            .find(|p| p.phrase == "smart meter readings")
            .unwrap();
        assert_eq!(readings.count, 2);
        assert!(out.iter().all(|p| !p.stems.contains("servic")), "{out:?}");
        // "meter readings" only occurs inside "smart meter readings": left out for it.
        assert!(out.iter().all(|p| p.phrase != "meter readings"), "{out:?}");
        // Stopwords break runs: no "the smart" or "is broken".
        assert!(out.iter().all(|p| !p.phrase.starts_with("the ")), "{out:?}");
        assert!(emerging_phrases(&tagger, Lang::En, &comments, 6, 10).is_empty());
        assert_eq!(
            emerging_phrases(&tagger, Lang::En, &comments, 2, 1).len(),
            1
        );
    }

    #[test]
    fn phrases_are_found_in_other_languages_on_stems() {
        let tagger = Tagger::new(&Taxonomy::builtin());
        let comments = [
            ("a", "Der Zählerstand Rechner zeigt falsche Zählerstände an"),
            ("b", "Falsche Zählerstände seit Monaten."),
            ("c", "Wieder falsche Zählerstände!"),
        ];
        let out = emerging_phrases(&tagger, Lang::De, &comments, 3, 5);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].phrase, "falsche zählerstände");
        assert_eq!(out[0].examples, ["a", "b", "c"]);
    }
}
