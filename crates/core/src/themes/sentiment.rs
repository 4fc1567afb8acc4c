//! Sentiment: the valence of each word after intensifiers, excess words and negation, and
//! how clauses weigh around a contrast word. The numbers are documented in `README.md`.

use super::lang::Lang;
use serde::{Deserialize, Serialize};

/// How many words before a sentiment word (or a theme word) a negator reaches.
pub(super) const NEGATION_WINDOW: usize = 3;
/// A negated sentiment word turns and weakens: "not bad" is mildly good, "not good" bad.
pub(super) const NEGATION_FLIP: f32 = -0.75;
pub(super) const INTENSIFY: f32 = 1.5;
pub(super) const DOWNTONE: f32 = 0.5;
/// Before "but" a clause weighs half, after it one and a half.
pub(super) const BEFORE_CONTRAST: f32 = 0.5;
pub(super) const AFTER_CONTRAST: f32 = 1.5;
/// A negated theme word in a clause with no clear sentiment of its own ("no reply from
/// support", "die Lieferung kam nie", "still no refund") reads as a complaint.
pub(super) const NEGATED_NEUTRAL_MENTION: f32 = -0.75;
/// |score| at or above which a comment or mention is positive or negative.
pub const THRESHOLD: f32 = 0.5;

/// Positive, neutral or negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sentiment {
    Negative,
    Neutral,
    Positive,
}

impl Sentiment {
    pub const ALL: [Sentiment; 3] = [Sentiment::Positive, Sentiment::Neutral, Sentiment::Negative];

    pub fn of_score(score: f32) -> Sentiment {
        if score >= THRESHOLD {
            Sentiment::Positive
        } else if score <= -THRESHOLD {
            Sentiment::Negative
        } else {
            Sentiment::Neutral
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sentiment::Positive => "positive",
            Sentiment::Neutral => "neutral",
            Sentiment::Negative => "negative",
        }
    }

    pub fn parse(s: &str) -> Option<Sentiment> {
        match s {
            "positive" | "pos" => Some(Sentiment::Positive),
            "neutral" | "neu" => Some(Sentiment::Neutral),
            "negative" | "neg" => Some(Sentiment::Negative),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Function {
    Negator,
    Without,
    Intensifier,
    Downtoner,
    Contrast,
    Excess,
    Stopword,
}

/// Per word of a comment: what the tables say about it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Slot {
    pub sentiment: f32,
    pub function: Option<Function>,
    pub clause: usize,
}

impl Slot {
    pub fn negator(&self) -> bool {
        matches!(self.function, Some(Function::Negator | Function::Without))
    }
}

/// Each clause's weight: ×1.5 after a contrast word, ×0.5 for the clauses before it in the
/// same sentence ("Good product, but far too expensive" is a complaint).
pub(super) fn clause_weights(after_contrast: &[bool], sentence_of: &[usize]) -> Vec<f32> {
    let mut weight = vec![1.0f32; after_contrast.len()];
    for (c, &contrast) in after_contrast.iter().enumerate() {
        if contrast {
            weight[c] = AFTER_CONTRAST;
            let mut p = c;
            while p > 0 && sentence_of[p - 1] == sentence_of[c] {
                p -= 1;
                weight[p] = weight[p].min(BEFORE_CONTRAST);
            }
        }
    }
    weight
}

/// Each word's sentiment after intensifiers, excess words and negation.
pub(super) fn word_scores(lang: Lang, slots: &[Slot]) -> Vec<f32> {
    let n = slots.len();
    let mut out: Vec<f32> = slots.iter().map(|s| s.sentiment).collect();
    let mut negated = vec![false; n];
    // "too long", "liian pitkä": a plain word right after an excess word is a complaint.
    for j in 1..n {
        if slots[j - 1].function == Some(Function::Excess)
            && slots[j].clause == slots[j - 1].clause
            && slots[j].function.is_none()
            && out[j] == 0.0
        {
            out[j] = -1.0;
        }
    }
    for i in 0..n {
        if out[i] == 0.0 || slots[i].sentiment == 0.0 {
            continue;
        }
        let c = slots[i].clause;
        for k in 1..=NEGATION_WINDOW.min(i) {
            let j = i - k;
            if slots[j].clause != c {
                break;
            }
            match slots[j].function {
                Some(Function::Negator) => {
                    negated[i] = true;
                    break;
                }
                // "without problems", "without any problems"; not "ohne Ankündigung
                // gestiegen".
                Some(Function::Without)
                    if k == 1 || (k == 2 && slots[i - 1].function == Some(Function::Stopword)) =>
                {
                    negated[i] = true;
                    break;
                }
                // "helt ok" stays lukewarm: weak words are not stressed.
                Some(Function::Intensifier | Function::Excess)
                    if k <= 2 && slots[i].sentiment.abs() >= 1.0 =>
                {
                    out[i] *= INTENSIFY
                }
                Some(Function::Downtoner) if k <= 2 => out[i] *= DOWNTONE,
                _ => {}
            }
            // A sentiment word in between takes the negation itself.
            if slots[j].sentiment != 0.0 {
                break;
            }
        }
    }
    // Verb-second languages negate after the verb ("Die App funktioniert nicht", "det
    // fungerar inte"): a negator with no sentiment word after it in reach negates the
    // word just before it.
    if lang != Lang::En && lang != Lang::Fi {
        for j in 1..n {
            if slots[j].function != Some(Function::Negator) {
                continue;
            }
            let c = slots[j].clause;
            let ahead = (j + 1..n.min(j + 1 + NEGATION_WINDOW))
                .take_while(|&k| slots[k].clause == c)
                .any(|k| slots[k].sentiment != 0.0);
            if ahead {
                continue;
            }
            let k = j - 1;
            if slots[k].clause == c && slots[k].sentiment != 0.0 {
                negated[k] = !negated[k];
            }
        }
    }
    for i in 0..n {
        if negated[i] {
            out[i] *= NEGATION_FLIP;
        }
    }
    out
}
