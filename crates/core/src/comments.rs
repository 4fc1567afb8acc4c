//! The comment explorer's filters and search: the one parser from what a caller gives
//! (query parameters of `/comments` and `GET /api/v1/comments`, CLI flags) into a
//! [`CommentQuery`], the search turned into FTS5 syntax, and highlighted text split into
//! plain and marked runs so that a page escapes every byte of the customer's words.

use crate::field::Invalid;
use crate::themes::Sentiment;
use crate::{Category, Channel, Label, Language, SurveyKind};
use chrono::NaiveDate;

/// Most comments one page returns.
pub const COMMENTS_PAGE_MAX: u32 = 200;

/// Start and end of a matched word in highlighted text from the store (Unicode private
/// use characters: never markup, and stripped from the runs shown).
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// Whether the comment's answer has a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HasCase {
    Yes,
    No,
}

/// Which comments to show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommentQuery {
    /// First and last day, inclusive (UTC).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// A survey slug.
    pub survey: Option<String>,
    /// Only surveys of this kind (the dashboard's "All NPS surveys"); not a link filter.
    pub kind: Option<SurveyKind>,
    pub score: Option<u8>,
    /// Of a 0–10 (NPS or eNPS) survey.
    pub category: Option<Category>,
    /// A theme key.
    pub theme: Option<String>,
    pub sentiment: Option<Sentiment>,
    /// `(attribute, value)` of the answer's attribute snapshot.
    pub segment: Option<(String, String)>,
    pub touchpoint: Option<String>,
    pub channel: Option<String>,
    pub language: Option<String>,
    pub has_case: Option<HasCase>,
    /// The words searched for, as typed (see the README's "Comment explorer").
    pub search: Option<String>,
}

/// The explorer's filters as given; empty values are no filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct CommentParams {
    pub q: Option<String>,
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub survey: Option<String>,
    pub score: Option<String>,
    pub category: Option<String>,
    pub theme: Option<String>,
    pub sentiment: Option<String>,
    pub segment: Option<String>,
    pub touchpoint: Option<String>,
    pub channel: Option<String>,
    pub language: Option<String>,
    pub has_case: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl CommentParams {
    /// The query these parameters ask for, or a message naming the bad parameter.
    pub fn to_query(&self) -> Result<CommentQuery, Invalid> {
        let bad = |field: &str, msg: String| Invalid::new(format!("{field}: {msg}"));
        let mut from = crate::query::date("from", given(&self.from).as_deref())?;
        let mut to = crate::query::date("to", given(&self.to).as_deref())?;
        if let Some(p) = given(&self.period) {
            if from.is_some() || to.is_some() {
                return Err(bad(
                    "period",
                    "give either period or from/to, not both".into(),
                ));
            }
            let (f, t) = crate::period::parse_period(&p).map_err(|e| bad("period", e))?;
            (from, to) = (Some(f), Some(t));
        }
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(bad("from", format!("{f} is after to ({t})")));
            }
        }
        let score = given(&self.score)
            .map(|s| {
                s.parse::<u8>().ok().filter(|s| *s <= 10).ok_or_else(|| {
                    bad(
                        "score",
                        format!("a score is a whole number 0–10; got {s:?}"),
                    )
                })
            })
            .transpose()?;
        let category = given(&self.category)
            .map(|c| match c.as_str() {
                "promoter" => Ok(Category::Promoter),
                "passive" => Ok(Category::Passive),
                "detractor" => Ok(Category::Detractor),
                _ => Err(bad(
                    "category",
                    format!("one of promoter, passive, detractor; got {c:?}"),
                )),
            })
            .transpose()?;
        let theme = given(&self.theme).map(|t| theme_key(&t)).transpose()?;
        let sentiment = given(&self.sentiment)
            .map(|s| {
                Sentiment::parse(&s).ok_or_else(|| {
                    bad(
                        "sentiment",
                        format!("one of positive, neutral, negative; got {s:?}"),
                    )
                })
            })
            .transpose()?;
        let segment = given(&self.segment)
            .map(|s| {
                let (attr, value) = s
                    .split_once(':')
                    .filter(|(a, v)| !a.is_empty() && !v.is_empty())
                    .ok_or_else(|| {
                        bad(
                            "segment",
                            format!("a segment is attribute:value, e.g. plan:Pro; got {s:?}"),
                        )
                    })?;
                let attr =
                    Label::new(attr).map_err(|e| bad("segment", format!("attribute: {e}")))?;
                Ok((attr.as_str().to_owned(), value.to_owned()))
            })
            .transpose()?;
        let channel = given(&self.channel)
            .map(|c| {
                Channel::parse(&c)
                    .map(|c| c.as_str().to_owned())
                    .map_err(|e| bad("channel", e.to_string()))
            })
            .transpose()?;
        let language = given(&self.language)
            .map(|l| {
                Language::new(&l)
                    .map(|l| l.as_str().to_owned())
                    .map_err(|e| bad("language", e.to_string()))
            })
            .transpose()?;
        let has_case = given(&self.has_case)
            .map(|c| match c.as_str() {
                "yes" | "true" | "1" => Ok(HasCase::Yes),
                "no" | "false" | "0" => Ok(HasCase::No),
                _ => Err(bad("has_case", format!("yes or no; got {c:?}"))),
            })
            .transpose()?;
        let search = given(&self.q);
        if let Some(s) = &search {
            if s.chars().count() > 500 {
                return Err(bad("q", "a search is at most 500 characters".into()));
            }
            // The same rule on both databases: PostgreSQL would read "-word" alone as
            // "every comment without it".
            if fts5_query(s).is_none() {
                return Err(bad(
                    "q",
                    format!("nothing to search for in {s:?}; give a word that must occur"),
                ));
            }
        }
        Ok(CommentQuery {
            from,
            to,
            survey: given(&self.survey),
            kind: None,
            score,
            category,
            theme,
            sentiment,
            segment,
            touchpoint: given(&self.touchpoint),
            channel,
            language,
            has_case,
            search,
        })
    }
}

/// A theme key as given (a filter or a hand tag), or a message naming `theme`.
pub fn theme_key(key: &str) -> Result<String, Invalid> {
    crate::themes::taxonomy::check_key(key)
        .map(|_| key.to_owned())
        .map_err(|e| Invalid::new(format!("theme: {e}")))
}

/// One term of a search: a word, or a phrase's words in order; `prefix` for `word*`.
struct Term {
    words: Vec<String>,
    prefix: bool,
}

/// A search as parsed: every group must match (a group is a term, or terms joined by
/// `or`), no excluded term may.
struct Parsed {
    all: Vec<Vec<Term>>,
    none: Vec<Term>,
}

/// The search syntax, in the spirit of PostgreSQL's `websearch_to_tsquery`: words must all
/// occur, `"…"` is a phrase, `or` between terms is either, `-word` must not occur, `word*`
/// is a prefix. Only letters and digits are searchable (the indexes drop the rest), so no
/// character of the search reaches a query language. `None` when no positive term is left.
fn parse(search: &str) -> Option<Parsed> {
    let mut all: Vec<Vec<Term>> = Vec::new();
    let mut none: Vec<Term> = Vec::new();
    let mut or_next = false;
    let mut rest = search.trim();
    while !rest.is_empty() {
        let negated = rest.starts_with('-');
        if negated {
            rest = &rest[1..];
        }
        let (text, prefix, after) = if let Some(phrase) = rest.strip_prefix('"') {
            let end = phrase.find('"').unwrap_or(phrase.len());
            let after = phrase.get(end + 1..).unwrap_or("");
            (phrase[..end].to_owned(), false, after)
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let word = &rest[..end];
            let prefix = word.ends_with('*') && word.len() > 1;
            (word.trim_end_matches('*').to_owned(), prefix, &rest[end..])
        };
        rest = after.trim_start();
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        if words.is_empty() {
            continue;
        }
        if !negated && !text.contains(' ') && text.eq_ignore_ascii_case("or") {
            or_next = !all.is_empty();
            continue;
        }
        let term = Term { words, prefix };
        if negated {
            none.push(term);
        } else if or_next {
            all.last_mut().expect("or follows a term").push(term);
            or_next = false;
        } else {
            all.push(vec![term]);
        }
    }
    (!all.is_empty()).then_some(Parsed { all, none })
}

/// A search (see [`parse`]) as FTS5 query syntax; every term is quoted.
pub fn fts5_query(search: &str) -> Option<String> {
    let term = |t: &Term| {
        let quoted = format!("\"{}\"", t.words.join(" ").replace('"', "\"\""));
        if t.prefix {
            quoted + "*"
        } else {
            quoted
        }
    };
    let parsed = parse(search)?;
    let groups: Vec<String> = parsed
        .all
        .iter()
        .map(|g| {
            g.iter()
                .map(term)
                .reduce(|a, b| format!("({a} OR {b})"))
                .unwrap_or_default()
        })
        .collect();
    let mut q = groups.join(" AND ");
    for n in &parsed.none {
        q = format!("({q}) NOT {}", term(n));
    }
    Some(q)
}

/// A search (see [`parse`]) as PostgreSQL `to_tsquery` text: words quoted as lexemes
/// (the configuration then stems them), a phrase's words joined by `<->`, a prefix as
/// `:*`, `|` for or, `&` for and, `!` for not.
pub fn tsquery(search: &str) -> Option<String> {
    let term = |t: &Term| {
        let lexemes: Vec<String> = t.words.iter().map(|w| format!("'{w}'")).collect();
        let mut q = lexemes.join(" <-> ");
        if t.prefix {
            q.push_str(":*");
        }
        format!("({q})")
    };
    let parsed = parse(search)?;
    let mut parts: Vec<String> = parsed
        .all
        .iter()
        .map(|g| format!("({})", g.iter().map(term).collect::<Vec<_>>().join(" | ")))
        .collect();
    parts.extend(parsed.none.iter().map(|n| format!("!{}", term(n))));
    Some(parts.join(" & "))
}

/// A piece of highlighted text: matched (`marked`) or not.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Run {
    pub text: String,
    pub marked: bool,
}

/// Text with [`MARK_START`]/[`MARK_END`] around matched words, as runs; the markers are
/// dropped, wherever they occur.
pub fn runs(highlighted: &str) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let mut marked = false;
    let mut text = String::new();
    for c in highlighted.chars() {
        let switch = match c {
            MARK_START => Some(true),
            MARK_END => Some(false),
            _ => None,
        };
        match switch {
            Some(m) => {
                if !text.is_empty() {
                    out.push(Run {
                        text: std::mem::take(&mut text),
                        marked,
                    });
                }
                marked = m;
            }
            None => text.push(c),
        }
    }
    if !text.is_empty() {
        out.push(Run { text, marked });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_become_quoted_fts5() {
        assert_eq!(
            fts5_query("invoices late").unwrap(),
            "\"invoices\" AND \"late\""
        );
        assert_eq!(
            fts5_query("\"too slow\" or late -price").unwrap(),
            "((\"too slow\" OR \"late\")) NOT \"price\""
        );
        assert_eq!(fts5_query("deliv*").unwrap(), "\"deliv\"*");
        assert_eq!(
            fts5_query("a\"b NEAR( ^x").unwrap(),
            "\"a b\" AND \"NEAR\" AND \"x\""
        );
        assert_eq!(fts5_query("-only"), None);
        assert_eq!(tsquery("-only"), None);
        assert_eq!(
            tsquery("invoices late").unwrap(),
            "(('invoices')) & (('late'))"
        );
        assert_eq!(
            tsquery("\"too slow\" or late -price").unwrap(),
            "(('too' <-> 'slow') | ('late')) & !('price')"
        );
        assert_eq!(tsquery("deliv*").unwrap(), "(('deliv':*))");
        assert_eq!(
            tsquery("it's a' | b & !c <-> d:*").unwrap(),
            "(('it' <-> 's')) & (('a')) & (('b')) & (('c')) & (('d':*))",
            "no character of the search is tsquery syntax (a trailing * is our prefix)"
        );
        assert_eq!(fts5_query("  ( ) "), None);
    }

    #[test]
    fn runs_split_marks_and_drop_markers() {
        let r = runs("a \u{E000}<b>\u{E001} c\u{E001}");
        assert_eq!(
            r,
            vec![
                Run {
                    text: "a ".into(),
                    marked: false
                },
                Run {
                    text: "<b>".into(),
                    marked: true
                },
                Run {
                    text: " c".into(),
                    marked: false
                },
            ]
        );
    }

    #[test]
    fn bad_values_name_their_parameter() {
        let p = |f: fn(&mut CommentParams)| {
            let mut c = CommentParams::default();
            f(&mut c);
            c.to_query().unwrap_err().into_message()
        };
        assert!(p(|c| c.score = Some("11".into())).starts_with("score:"));
        assert!(p(|c| c.category = Some("fan".into())).starts_with("category:"));
        assert!(p(|c| c.theme = Some("Bad Key".into())).starts_with("theme:"));
        assert!(p(|c| c.sentiment = Some("angry".into())).starts_with("sentiment:"));
        assert!(p(|c| c.segment = Some("plan".into())).starts_with("segment:"));
        assert!(p(|c| c.channel = Some("pigeon".into())).starts_with("channel:"));
        assert!(p(|c| c.has_case = Some("maybe".into())).starts_with("has_case:"));
        assert!(p(|c| c.period = Some("soon".into())).starts_with("period:"));
        assert!(p(|c| c.from = Some("2026-13-01".into())).starts_with("from"));
        let ok = CommentParams {
            category: Some("detractor".into()),
            segment: Some("plan:Pro".into()),
            ..Default::default()
        };
        let q = ok.to_query().unwrap();
        assert_eq!(q.category, Some(Category::Detractor));
        assert_eq!(q.segment, Some(("plan".into(), "Pro".into())));
    }
}
