//! The themes comments are tagged with: the built-in customer-experience taxonomy (kept in
//! `taxonomy/<lang>.txt`) and its keywords.
//!
//! File format, one theme per line: `key | display name | keyword, keyword, …`. A keyword
//! is a word or a phrase of up to four words, matched on stems. Prefixes: `-`/`--` the
//! keyword is itself negative/strongly negative ("-overcharged"), `+`/`++` positive, `=`
//! after those means "this word only, never inside a compound" (for short words like
//! `=app`). A line `! word, word` lists false friends: words that start like a keyword but
//! mean something else (wachtwoord is not wachttijd), never counted as a compound hit.

use super::lang::Lang;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One theme: stable key, display name and keywords per language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Theme {
    pub key: String,
    pub names: BTreeMap<Lang, String>,
    pub keywords: BTreeMap<Lang, Vec<String>>,
    /// Hidden themes stay defined (and their past tags readable) but tag nothing.
    #[serde(default)]
    pub hidden: bool,
}

impl Theme {
    /// The display name in `lang`, else the English one, else the key.
    pub fn name(&self, lang: Lang) -> &str {
        self.names
            .get(&lang)
            .or_else(|| self.names.get(&Lang::En))
            .map_or(&self.key, String::as_str)
    }
}

/// A workspace's themes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Taxonomy {
    pub themes: Vec<Theme>,
    /// Per language, words never counted as a compound hit.
    pub false_friends: BTreeMap<Lang, Vec<String>>,
    /// Themes merged away: old key → the key it now lives in (to re-read old tags).
    #[serde(default)]
    pub merged: BTreeMap<String, String>,
}

/// What a keyword says once parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyword {
    /// Lower-cased words, one or more.
    pub words: Vec<String>,
    /// Sentiment the keyword carries by itself (0 for most).
    pub valence: f32,
    /// Only as a whole word, never inside a compound.
    pub exact: bool,
}

/// Why a theme, keyword or edit is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxonomyError {
    #[error(
        "theme key must be 1–40 lower-case letters, digits or _ starting with a letter; got {0:?}"
    )]
    BadKey(String),
    #[error("a theme {0:?} exists already")]
    DuplicateKey(String),
    #[error("no theme {0:?}")]
    UnknownTheme(String),
    #[error("the name of theme {0:?} must not be empty")]
    EmptyName(String),
    #[error("language {0:?} is not analysed; use one of en nb sv da fi de nl")]
    UnsupportedLanguage(String),
    #[error("keyword {0:?}: {1}")]
    BadKeyword(String, &'static str),
    #[error("theme {0:?} cannot be merged into itself")]
    MergeIntoItself(String),
    #[error("taxonomy {lang} line {line}: {problem}")]
    File {
        lang: Lang,
        line: usize,
        problem: String,
    },
}

impl Keyword {
    pub fn parse(raw: &str) -> Result<Keyword, TaxonomyError> {
        let bad = |why| TaxonomyError::BadKeyword(raw.to_owned(), why);
        let mut s = raw.trim();
        let valence = if let Some(r) = s.strip_prefix("--") {
            s = r;
            -2.0
        } else if let Some(r) = s.strip_prefix("++") {
            s = r;
            2.0
        } else if let Some(r) = s.strip_prefix('-') {
            s = r;
            -1.0
        } else if let Some(r) = s.strip_prefix('+') {
            s = r;
            1.0
        } else {
            0.0
        };
        let exact = if let Some(r) = s.strip_prefix('=') {
            s = r;
            true
        } else {
            false
        };
        if s.chars().any(|c| c.is_control() || matches!(c, ',' | '|')) {
            return Err(bad("must not contain control characters, commas or |"));
        }
        let tokens = super::tokenize::tokenize(s);
        let words: Vec<String> = (0..tokens.words.len())
            .map(|i| tokens.word(i).to_owned())
            .collect();
        if words.is_empty() {
            return Err(bad("must contain a word"));
        }
        if words.len() > 4 {
            return Err(bad("at most four words"));
        }
        Ok(Keyword {
            words,
            valence,
            exact,
        })
    }
}

pub(crate) fn check_key(key: &str) -> Result<(), TaxonomyError> {
    let ok = (1..=40).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(TaxonomyError::BadKey(key.to_owned()))
    }
}

impl Taxonomy {
    /// The built-in taxonomy, all seven languages.
    pub fn builtin() -> Taxonomy {
        Taxonomy::parse_files(Lang::ALL.map(|l| (l, source(l))).as_slice())
            .expect("built-in taxonomy files are tested to parse")
    }

    /// Reads one file per language; the first language's file fixes the order of themes.
    pub fn parse_files(files: &[(Lang, &str)]) -> Result<Taxonomy, TaxonomyError> {
        let mut tax = Taxonomy {
            themes: Vec::new(),
            false_friends: BTreeMap::new(),
            merged: BTreeMap::new(),
        };
        for &(lang, text) in files {
            for (n, raw) in text.lines().enumerate() {
                let line = raw.split('#').next().unwrap_or_default().trim();
                let err = |problem: String| TaxonomyError::File {
                    lang,
                    line: n + 1,
                    problem,
                };
                if line.is_empty() {
                    continue;
                }
                if let Some(words) = line.strip_prefix('!') {
                    let list = tax.false_friends.entry(lang).or_default();
                    list.extend(
                        words
                            .split(',')
                            .map(|w| w.trim().to_lowercase())
                            .filter(|w| !w.is_empty()),
                    );
                    continue;
                }
                let mut parts = line.splitn(3, '|').map(str::trim);
                let (Some(key), Some(name), Some(keywords)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(err("expected `key | name | keyword, keyword`".into()));
                };
                check_key(key).map_err(|e| err(e.to_string()))?;
                if name.is_empty() {
                    return Err(err(format!("theme {key:?} has no name")));
                }
                let keywords: Vec<String> = keywords
                    .split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned)
                    .collect();
                for k in &keywords {
                    Keyword::parse(k).map_err(|e| err(e.to_string()))?;
                }
                let theme = match tax.themes.iter_mut().position(|t| t.key == key) {
                    Some(i) => &mut tax.themes[i],
                    None => {
                        tax.themes.push(Theme {
                            key: key.to_owned(),
                            names: BTreeMap::new(),
                            keywords: BTreeMap::new(),
                            hidden: false,
                        });
                        tax.themes.last_mut().expect("just pushed")
                    }
                };
                if theme.names.insert(lang, name.to_owned()).is_some() {
                    return Err(err(format!("theme {key:?} twice")));
                }
                theme.keywords.insert(lang, keywords);
            }
        }
        Ok(tax)
    }

    pub fn theme(&self, key: &str) -> Option<&Theme> {
        self.themes.iter().find(|t| t.key == key)
    }

    /// What a theme is called in `lang`: its name, or the key itself for a theme the
    /// taxonomy no longer has.
    pub fn name_of<'a>(&'a self, key: &'a str, lang: Lang) -> &'a str {
        self.theme(key).map_or(key, |t| t.name(lang))
    }

    pub(crate) fn theme_mut(&mut self, key: &str) -> Result<&mut Theme, TaxonomyError> {
        self.themes
            .iter_mut()
            .find(|t| t.key == key)
            .ok_or_else(|| TaxonomyError::UnknownTheme(key.to_owned()))
    }

    /// The key a stored tag now reads as: itself, or the theme it was merged into.
    pub fn resolve<'a>(&'a self, key: &'a str) -> &'a str {
        let mut k = key;
        // Bounded: each merge removes a theme, so a chain is never longer than the map.
        for _ in 0..=self.merged.len() {
            match self.merged.get(k) {
                Some(next) => k = next,
                None => break,
            }
        }
        k
    }
}

fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::En => include_str!("taxonomy/en.txt"),
        Lang::Nb => include_str!("taxonomy/nb.txt"),
        Lang::Sv => include_str!("taxonomy/sv.txt"),
        Lang::Da => include_str!("taxonomy/da.txt"),
        Lang::Fi => include_str!("taxonomy/fi.txt"),
        Lang::De => include_str!("taxonomy/de.txt"),
        Lang::Nl => include_str!("taxonomy/nl.txt"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_taxonomy_has_every_theme_in_every_language() {
        let tax = Taxonomy::parse_files(Lang::ALL.map(|l| (l, source(l))).as_slice()).unwrap();
        assert!(tax.themes.len() >= 22, "{}", tax.themes.len());
        for t in &tax.themes {
            for lang in Lang::ALL {
                assert!(t.names.contains_key(&lang), "{} has no {lang} name", t.key);
                let n = t.keywords.get(&lang).map_or(0, Vec::len);
                assert!(n >= 4, "{} has {n} {lang} keywords", t.key);
            }
        }
        for key in [
            "price",
            "billing",
            "delivery",
            "support_wait",
            "reliability",
        ] {
            assert!(tax.theme(key).is_some(), "{key}");
        }
        assert_eq!(
            tax.theme("billing").unwrap().name(Lang::De),
            "Rechnung und Abrechnung"
        );
    }

    #[test]
    fn keywords_parse_their_markers() {
        let k = Keyword::parse("--Charged  twice").unwrap();
        assert_eq!(
            (k.words.clone(), k.valence, k.exact),
            (vec!["charged".into(), "twice".into()], -2.0, false)
        );
        let k = Keyword::parse("=app").unwrap();
        assert!(k.exact && k.valence == 0.0);
        assert_eq!(Keyword::parse("+fast").unwrap().valence, 1.0);
        for bad in ["", "-", "a b c d e", "x,y", "a\u{7}"] {
            assert!(Keyword::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn file_errors_name_language_and_line() {
        let e = Taxonomy::parse_files(&[(Lang::Sv, "# c\nprice | Pris\n")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "taxonomy sv line 2: expected `key | name | keyword, keyword`"
        );
        let e = Taxonomy::parse_files(&[(Lang::En, "Price | Price | cost")]).unwrap_err();
        assert!(e.to_string().contains("theme key must be"), "{e}");
        let e = Taxonomy::parse_files(&[(Lang::En, "price |  | cost")]).unwrap_err();
        assert!(e.to_string().contains("has no name"), "{e}");
    }
}
