//! Tagging one comment: which themes it mentions, where, negated or not, and with what
//! sentiment. A [`Tagger`] is built once per workspace taxonomy (stemming every keyword and
//! lexicon word once) and then only looks words up, so a comment costs a few microseconds.

use super::lang::Lang;
use super::lexicon::Lexicon;
use super::sentiment::{
    clause_weights, word_scores, Function, Sentiment, Slot, INTENSIFY, NEGATED_NEUTRAL_MENTION,
    NEGATION_WINDOW, THRESHOLD,
};
use super::taxonomy::{Keyword, Taxonomy};
use super::tokenize::tokenize;
use rust_stemmers::Stemmer;
use serde::Serialize;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A keyword stem shorter than this is only matched as a whole word, never in a compound.
pub const MIN_COMPOUND_STEM: usize = 5;
/// The other part of a compound must have at least this many letters (so Berechnung, with
/// "be" before "rechnung", is not a bill).
pub const MIN_COMPOUND_REST: usize = 3;

/// Index of a theme in its [`Tagger`] (see [`Tagger::key`]).
pub type ThemeId = u16;

/// One place a theme is mentioned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mention {
    pub theme: ThemeId,
    /// Byte range in the comment, for highlighting.
    pub start: usize,
    pub end: usize,
    /// A negator stands next to the theme word ("no delays", "ei laskua").
    pub negated: bool,
    pub score: f32,
    pub sentiment: Sentiment,
}

/// A theme's mentions in one comment taken together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeSentiment {
    pub theme: ThemeId,
    pub score: f32,
    pub sentiment: Sentiment,
}

/// What one comment says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub score: f32,
    pub sentiment: Sentiment,
    pub mentions: Vec<Mention>,
}

impl Analysis {
    /// Each theme mentioned once, in order of first mention, with the sum of its mentions'
    /// scores as its sentiment.
    pub fn themes(&self) -> Vec<ThemeSentiment> {
        let mut out: Vec<ThemeSentiment> = Vec::new();
        for m in &self.mentions {
            match out.iter_mut().find(|t| t.theme == m.theme) {
                Some(t) => t.score += m.score,
                None => out.push(ThemeSentiment {
                    theme: m.theme,
                    score: m.score,
                    sentiment: Sentiment::Neutral,
                }),
            }
        }
        for t in &mut out {
            t.sentiment = Sentiment::of_score(t.score);
        }
        out
    }
}

/// FNV-1a: the tables hold short words, for which SipHash's set-up dominates.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Hit {
    theme: ThemeId,
    valence: f32,
}

/// A keyword of several words, found by its first stem.
#[derive(Debug, Clone)]
struct Phrase {
    rest: Vec<String>,
    hit: Hit,
}

#[derive(Debug, Default, Clone)]
struct StemInfo {
    sentiment: f32,
    hits: Vec<Hit>,
    phrases: Vec<Phrase>,
}

/// The tables of one language.
struct LangTables {
    lang: Lang,
    stemmer: Stemmer,
    stems: FastMap<String, StemInfo>,
    functions: FastMap<String, Function>,
    false_friends: Vec<String>,
    intensifier_prefixes: Vec<String>,
    /// Keywords that may stand inside a compound, by stem and as written (factuur's stem
    /// is factur, but factuurbedrag starts with the word).
    compound_keys: FastMap<String, Vec<Hit>>,
    /// The stems of every keyword of several words, space-separated.
    keyword_phrases: FastMap<String, ()>,
    /// Sentiment words matched as written, not on their stem (`=works`: "work" is no praise).
    exact_sentiment: FastMap<String, f32>,
}

/// Tags comments with a taxonomy's themes, in all seven languages.
pub struct Tagger {
    keys: Vec<String>,
    tables: Vec<LangTables>,
}

impl Tagger {
    /// Builds the tables for `taxonomy` (hidden themes left out) with the built-in lexicons.
    pub fn new(taxonomy: &Taxonomy) -> Tagger {
        let visible: Vec<_> = taxonomy.themes.iter().filter(|t| !t.hidden).collect();
        let keys = visible.iter().map(|t| t.key.clone()).collect();
        let tables = Lang::ALL
            .iter()
            .map(|&lang| {
                let lex = Lexicon::builtin(lang);
                let mut t = LangTables::new(lang, &lex);
                t.false_friends = taxonomy
                    .false_friends
                    .get(&lang)
                    .cloned()
                    .unwrap_or_default();
                for (id, theme) in visible.iter().enumerate() {
                    for raw in theme.keywords.get(&lang).into_iter().flatten() {
                        // Keywords were checked when the taxonomy was built or edited.
                        if let Ok(k) = Keyword::parse(raw) {
                            t.add_keyword(&k, id as ThemeId);
                        }
                    }
                }
                t
            })
            .collect();
        Tagger { keys, tables }
    }

    /// The key of a theme id from this tagger.
    pub fn key(&self, id: ThemeId) -> &str {
        &self.keys[usize::from(id)]
    }

    /// The id of a theme key, if the theme is tagged.
    pub fn id(&self, key: &str) -> Option<ThemeId> {
        self.keys
            .iter()
            .position(|k| k == key)
            .map(|i| i as ThemeId)
    }

    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    fn table(&self, lang: Lang) -> &LangTables {
        &self.tables[Lang::ALL
            .iter()
            .position(|&l| l == lang)
            .expect("all languages built")]
    }

    /// Themes, mentions and sentiment of one comment.
    pub fn analyse(&self, lang: Lang, text: &str) -> Analysis {
        self.table(lang).analyse(text)
    }

    /// The same for an answer's language tag; `None` when the language is not one of the
    /// seven analysed (its comments get no themes and no sentiment).
    pub fn analyse_tagged(&self, language: &crate::Language, text: &str) -> Option<Analysis> {
        Lang::of(language).map(|lang| self.analyse(lang, text))
    }

    /// The stem of a word as the tagger sees it (lower-cased first).
    pub fn stem(&self, lang: Lang, word: &str) -> String {
        self.table(lang)
            .stemmer
            .stem(&word.to_lowercase())
            .into_owned()
    }

    /// Whether a lower-cased word is a stopword of `lang`.
    pub fn is_stopword(&self, lang: Lang, word: &str) -> bool {
        self.table(lang).functions.contains_key(word)
    }

    /// Whether a lower-cased word (with its stem) is a theme keyword by itself, whole or
    /// inside a compound.
    pub fn is_keyword_word(&self, lang: Lang, word: &str, stem: &str) -> bool {
        let t = self.table(lang);
        t.stems.get(stem).is_some_and(|i| !i.hits.is_empty())
            || t.compound_hits(word, stem).is_some()
    }

    /// Whether space-separated stems are a keyword phrase of `lang`.
    pub fn is_keyword_phrase(&self, lang: Lang, stems: &str) -> bool {
        self.table(lang).keyword_phrases.contains_key(stems)
    }
}

impl LangTables {
    fn new(lang: Lang, lex: &Lexicon) -> LangTables {
        let stemmer = lang.stemmer();
        let mut stems: FastMap<String, StemInfo> = FastMap::default();
        for (word, v) in &lex.sentiment {
            let s = stemmer.stem(word).into_owned();
            let e = stems.entry(s).or_default();
            // Two words with one stem: keep the stronger reading.
            if v.abs() > e.sentiment.abs() {
                e.sentiment = *v;
            }
        }
        let mut functions = FastMap::default();
        for (list, f) in [
            (&lex.stopwords, Function::Stopword),
            (&lex.contrasts, Function::Contrast),
            (&lex.downtoners, Function::Downtoner),
            (&lex.intensifiers, Function::Intensifier),
            (&lex.excess, Function::Excess),
            (&lex.negators, Function::Negator),
            (&lex.withouts, Function::Without),
        ] {
            for w in list {
                functions.insert(w.clone(), f);
            }
        }
        LangTables {
            lang,
            stemmer,
            stems,
            functions,
            false_friends: Vec::new(),
            intensifier_prefixes: lex.intensifier_prefixes.clone(),
            compound_keys: FastMap::default(),
            keyword_phrases: FastMap::default(),
            exact_sentiment: lex.exact_sentiment.iter().cloned().collect(),
        }
    }

    fn add_keyword(&mut self, k: &Keyword, theme: ThemeId) {
        let hit = Hit {
            theme,
            valence: k.valence,
        };
        let stems: Vec<String> = k
            .words
            .iter()
            .map(|w| self.stemmer.stem(w).into_owned())
            .collect();
        if stems.len() > 1 {
            self.keyword_phrases.insert(stems.join(" "), ());
        }
        let first = stems[0].clone();
        let compound = !k.exact
            && stems.len() == 1
            && self.lang.compounds()
            && first.chars().count() >= MIN_COMPOUND_STEM;
        if compound {
            for key in [first.clone(), k.words[0].clone()] {
                if key.chars().count() >= MIN_COMPOUND_STEM {
                    let hits = self.compound_keys.entry(key).or_default();
                    if !hits.iter().any(|h| h.theme == theme) {
                        hits.push(hit);
                    }
                }
            }
        }
        let e = self.stems.entry(first).or_default();
        if stems.len() == 1 {
            if !e.hits.iter().any(|h| h.theme == theme) {
                e.hits.push(hit);
            }
        } else {
            e.phrases.push(Phrase {
                rest: stems[1..].to_vec(),
                hit,
            });
        }
    }

    fn stem_of(&self, word: &str) -> String {
        self.stemmer.stem(word).into_owned()
    }

    /// The keyword hits found inside a compound word: a keyword stem at its start
    /// (modifier: leveringstid) or end (head: Stromrechnung), the rest long enough, and the
    /// word no false friend.
    fn compound_hits(&self, word: &str, stem: &str) -> Option<&[Hit]> {
        let len = word.chars().count();
        if !self.lang.compounds() || len < MIN_COMPOUND_STEM + MIN_COMPOUND_REST {
            return None;
        }
        if self
            .false_friends
            .iter()
            .any(|f| word.starts_with(f.as_str()) || word.ends_with(f.as_str()))
        {
            return None;
        }
        let usable = |s: &str| self.compound_keys.get(s).map(Vec::as_slice);
        // Both on the word as written and on its stem: stemmers fold umlauts (Zähler →
        // zahl) and strip case endings (sähkölaskussa → sähkölasku).
        for form in [word, stem] {
            // Longest modifier first: "toimitusaika" → "toimitus" before "toimi".
            let bounds: Vec<usize> = form.char_indices().map(|(i, _)| i).skip(1).collect();
            for &b in bounds.iter().rev() {
                let (head, rest) = form.split_at(b);
                if head.chars().count() >= MIN_COMPOUND_STEM
                    && rest.chars().count() >= MIN_COMPOUND_REST
                {
                    if let Some(i) = usable(head) {
                        return Some(i);
                    }
                }
            }
            // Then the head: Stromrechnung, elräkningen.
            for &b in &bounds {
                let (modifier, tail) = form.split_at(b);
                if modifier.chars().count() >= MIN_COMPOUND_REST
                    && tail.chars().count() >= MIN_COMPOUND_STEM
                {
                    if let Some(i) = usable(tail) {
                        return Some(i);
                    }
                }
            }
        }
        None
    }

    /// A sentiment word behind an intensifying prefix (kjempefornøyd, supernöjd).
    fn prefixed_sentiment(&self, word: &str) -> f32 {
        for p in &self.intensifier_prefixes {
            if let Some(rest) = word.strip_prefix(p.as_str()) {
                if rest.chars().count() >= 3 {
                    let s = self.stem_of(rest);
                    if let Some(i) = self.stems.get(&s) {
                        if i.sentiment != 0.0 {
                            return i.sentiment * INTENSIFY;
                        }
                    }
                    if let Some(i) = self.stems.get(rest) {
                        if i.sentiment != 0.0 {
                            return i.sentiment * INTENSIFY;
                        }
                    }
                }
            }
        }
        0.0
    }

    fn analyse(&self, text: &str) -> Analysis {
        let tokens = tokenize(text);
        let n = tokens.words.len();
        let mut slots = vec![Slot::default(); n];
        let mut stems: Vec<String> = Vec::with_capacity(n);
        // (token index, token count, hit)
        let mut raw_mentions: Vec<(usize, usize, Hit)> = Vec::new();
        let mut clause = 0;
        let mut clause_sentence: Vec<usize> = vec![0];
        let mut sentence = 0;
        let mut after_contrast: Vec<bool> = vec![false];
        for (i, (tok, slot)) in tokens.words.iter().zip(slots.iter_mut()).enumerate() {
            let word = tokens.word(i);
            let function = self.functions.get(word).copied();
            if i > 0 && (tok.clause_start || function == Some(Function::Contrast)) {
                clause += 1;
                if tok.sentence_start {
                    sentence += 1;
                }
                clause_sentence.push(sentence);
                after_contrast.push(function == Some(Function::Contrast));
            }
            slot.clause = clause;
            slot.function = function;
            stems.push(self.stem_of(word));
        }
        // The last word of a keyword phrase that carries its own sentiment: the words up to
        // it add none of theirs ("ei toimi" is a complaint, not a negated "toimi").
        let mut phrase_end: Option<usize> = None;
        for i in 0..n {
            let word = tokens.word(i);
            let stem = &stems[i];
            let info = self.stems.get(stem.as_str());
            let exact = self.exact_sentiment.get(word).copied();
            let mut sentiment = exact.unwrap_or(0.0);
            if info.is_none() {
                for h in self.compound_hits(word, stem).unwrap_or_default() {
                    raw_mentions.push((i, 1, *h));
                    if h.valence.abs() > f32::abs(sentiment) {
                        sentiment = h.valence;
                    }
                }
            }
            if let Some(info) = info {
                if exact.is_none() {
                    sentiment = info.sentiment;
                }
                for h in &info.hits {
                    raw_mentions.push((i, 1, *h));
                    if h.valence.abs() > f32::abs(sentiment) {
                        sentiment = h.valence;
                    }
                }
                for p in &info.phrases {
                    let len = p.rest.len();
                    if i + len < n
                        && p.rest.iter().zip(&stems[i + 1..]).all(|(a, b)| a == b)
                        && slots[i + len].clause == slots[i].clause
                    {
                        raw_mentions.push((i, len + 1, p.hit));
                        if p.hit.valence.abs() > f32::abs(sentiment) {
                            sentiment = p.hit.valence;
                        }
                        // A negator inside a keyword phrase ("-could not help", "-visste
                        // ikke") is part of its meaning, not a negation of its neighbours.
                        if p.hit.valence != 0.0 {
                            phrase_end = phrase_end.max(Some(i + len));
                            for s in &mut slots[i..=i + len] {
                                if s.negator() {
                                    s.function = None;
                                }
                            }
                        }
                    }
                }
            } else if sentiment == 0.0 && self.lang.compounds() && slots[i].function.is_none() {
                sentiment = self.prefixed_sentiment(word);
            }
            let inside_phrase = phrase_end.is_some_and(|end| i <= end)
                && !raw_mentions
                    .iter()
                    .any(|&(j, l, h)| j == i && l > 1 && h.valence != 0.0);
            slots[i].sentiment = if inside_phrase { 0.0 } else { sentiment };
        }
        let scores = word_scores(self.lang, &slots);
        // Clause scores, then sentence weighting around contrast words.
        let clauses = clause + 1;
        let mut clause_score = vec![0.0f32; clauses];
        for (i, s) in scores.iter().enumerate() {
            clause_score[slots[i].clause] += s;
        }
        let weight = clause_weights(&after_contrast, &clause_sentence);
        let mut mentions = Vec::with_capacity(raw_mentions.len());
        let mut extra = vec![0.0f32; clauses];
        for &(i, len, hit) in &raw_mentions {
            // A match inside a longer one of the same theme is the same mention.
            if raw_mentions
                .iter()
                .any(|&(j, l, h)| l > len && h.theme == hit.theme && j <= i && i + len <= j + l)
            {
                continue;
            }
            if mentions
                .iter()
                .any(|m: &(usize, usize, Hit, bool, f32)| m.0 == i && m.2.theme == hit.theme)
            {
                continue;
            }
            let c = slots[i].clause;
            let negated = self.negated_mention(&slots, i, len);
            let mut score = clause_score[c];
            if negated && score.abs() < THRESHOLD {
                score += NEGATED_NEUTRAL_MENTION;
                extra[c] = NEGATED_NEUTRAL_MENTION;
            }
            mentions.push((i, len, hit, negated, score));
        }
        let total: f32 = (0..clauses)
            .map(|c| (clause_score[c] + extra[c]) * weight[c])
            .sum();
        let mentions = mentions
            .into_iter()
            .map(|(i, len, hit, negated, score)| Mention {
                theme: hit.theme,
                start: tokens.words[i].span.start,
                end: tokens.words[i + len - 1].span.end,
                negated,
                score,
                sentiment: Sentiment::of_score(score),
            })
            .collect();
        Analysis {
            score: total,
            sentiment: Sentiment::of_score(total),
            mentions,
        }
    }

    /// A negator just before the theme words, or (Finnish) just after.
    fn negated_mention(&self, slots: &[Slot], i: usize, len: usize) -> bool {
        let c = slots[i].clause;
        let before = (i.saturating_sub(NEGATION_WINDOW)..i)
            .any(|j| slots[j].clause == c && slots[j].negator());
        let after_reach = self.lang.negation_after();
        let after = (i + len..(i + len + after_reach).min(slots.len()))
            .any(|j| slots[j].clause == c && slots[j].negator());
        before || after
    }
}
