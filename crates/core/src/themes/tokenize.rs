//! Lower-cased, Unicode-aware words with their place in the original text and in clauses.

/// One word: its lower-cased form is `lower[text.clone()]` of the [`Tokens`] it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Byte range of the lower-cased word in [`Tokens::lower`].
    pub text: std::ops::Range<usize>,
    /// Byte range of the word in the original comment (for highlighting).
    pub span: std::ops::Range<usize>,
    /// Punctuation (`, ; :`) or a sentence end stands between this word and the one before.
    pub clause_start: bool,
    /// A sentence end (`. ! ?`, a line break) stands between this word and the one before.
    pub sentence_start: bool,
}

/// The words of one comment, all lower-cased into one buffer (one allocation per comment).
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    pub lower: String,
    pub words: Vec<Token>,
}

impl Tokens {
    pub fn word(&self, i: usize) -> &str {
        &self.lower[self.words[i].text.clone()]
    }
}

/// Emoji read as words of their own, so the lexicons can give them a sentiment.
pub(crate) fn is_emoji(c: char) -> bool {
    matches!(
        c,
        '\u{1F600}'
            ..='\u{1F64F}' | '\u{1F44D}' | '\u{1F44E}' | '\u{2764}' | '\u{2639}' | '\u{263A}'
    )
}

/// Splits on everything that is not a letter or digit. An apostrophe between letters stays in
/// the word (don't, isn't), typographic ones are read as `'`; hyphens split (e-post → e, post).
pub(crate) fn tokenize(text: &str) -> Tokens {
    let mut out = Tokens {
        lower: String::with_capacity(text.len()),
        words: Vec::with_capacity(text.len() / 5 + 1),
    };
    let mut clause_break = false;
    let mut sentence_break = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_alphanumeric() {
            let start_lower = out.lower.len();
            let mut end = i + c.len_utf8();
            out.lower.extend(c.to_lowercase());
            while let Some(&(j, d)) = chars.peek() {
                if d.is_alphanumeric() {
                    out.lower.extend(d.to_lowercase());
                } else if matches!(d, '\'' | '’') && !out.lower.ends_with('\'') {
                    // Only inside a word: the next character must be a letter.
                    let mut ahead = chars.clone();
                    ahead.next();
                    match ahead.peek() {
                        Some(&(_, e)) if e.is_alphabetic() => out.lower.push('\''),
                        _ => break,
                    }
                } else {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            push(
                &mut out,
                start_lower,
                i..end,
                &mut clause_break,
                &mut sentence_break,
            );
        } else if is_emoji(c) {
            let start_lower = out.lower.len();
            out.lower.push(c);
            push(
                &mut out,
                start_lower,
                i..i + c.len_utf8(),
                &mut clause_break,
                &mut sentence_break,
            );
        } else {
            match c {
                '.' | '!' | '?' | '\n' | '…' => {
                    clause_break = true;
                    sentence_break = true;
                }
                ',' | ';' | ':' | '(' | ')' | '–' | '—' => clause_break = true,
                _ => {}
            }
        }
    }
    out
}

fn push(
    out: &mut Tokens,
    start_lower: usize,
    span: std::ops::Range<usize>,
    clause_break: &mut bool,
    sentence_break: &mut bool,
) {
    let first = out.words.is_empty();
    out.words.push(Token {
        text: start_lower..out.lower.len(),
        span,
        clause_start: first || *clause_break,
        sentence_start: first || *sentence_break,
    });
    *clause_break = false;
    *sentence_break = false;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(t: &str) -> Vec<String> {
        let toks = tokenize(t);
        (0..toks.words.len())
            .map(|i| toks.word(i).to_owned())
            .collect()
    }

    #[test]
    fn lower_cases_letters_of_every_script_and_keeps_offsets() {
        let text = "ÄRGERLICH: Die Lieferzeit — ØKONOMI, Käyttö! Don’t";
        assert_eq!(
            words(text),
            [
                "ärgerlich",
                "die",
                "lieferzeit",
                "økonomi",
                "käyttö",
                "don't"
            ]
        );
        let t = tokenize(text);
        assert_eq!(&text[t.words[2].span.clone()], "Lieferzeit");
        assert_eq!(&text[t.words[5].span.clone()], "Don’t");
    }

    #[test]
    fn marks_clause_and_sentence_starts() {
        let t = tokenize("Good price, slow app. Support ok");
        let flags: Vec<_> = t
            .words
            .iter()
            .map(|w| (w.clause_start, w.sentence_start))
            .collect();
        assert_eq!(
            flags,
            [
                (true, true),
                (false, false),
                (true, false),
                (false, false),
                (true, true),
                (false, false)
            ]
        );
    }

    #[test]
    fn apostrophes_at_word_edges_and_hyphens_split() {
        assert_eq!(
            words("'quoted' e-post 5G 👍"),
            ["quoted", "e", "post", "5g", "👍"]
        );
        assert!(tokenize("").words.is_empty());
        assert!(tokenize(" ,.!? ").words.is_empty());
    }
}
