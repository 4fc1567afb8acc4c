//! A workspace's changes to the built-in taxonomy, as data the store keeps in order and
//! replays onto [`Taxonomy::builtin`]. Each edit is checked; a refused one changes nothing.

use super::lang::Lang;
use super::taxonomy::{check_key, Keyword, Taxonomy, TaxonomyError, Theme};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One change. Languages are codes (`"nb"`), checked here so an API can pass them through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum TaxonomyEdit {
    /// A new theme with its names and keywords per language.
    Add {
        key: String,
        names: BTreeMap<String, String>,
        #[serde(default)]
        keywords: BTreeMap<String, Vec<String>>,
    },
    Rename {
        key: String,
        lang: String,
        name: String,
    },
    AddKeywords {
        key: String,
        lang: String,
        keywords: Vec<String>,
    },
    RemoveKeywords {
        key: String,
        lang: String,
        keywords: Vec<String>,
    },
    /// `from`'s keywords move into `into`; `from` disappears and its old tags read as `into`.
    Merge {
        from: String,
        into: String,
    },
    Hide {
        key: String,
    },
    Show {
        key: String,
    },
}

fn lang(code: &str) -> Result<Lang, TaxonomyError> {
    Lang::parse(code).ok_or_else(|| TaxonomyError::UnsupportedLanguage(code.to_owned()))
}

fn name(key: &str, name: &str) -> Result<String, TaxonomyError> {
    let n = name.trim();
    if n.is_empty() || n.chars().any(char::is_control) {
        return Err(TaxonomyError::EmptyName(key.to_owned()));
    }
    Ok(n.to_owned())
}

fn keywords(list: &[String]) -> Result<Vec<String>, TaxonomyError> {
    list.iter()
        .map(|k| Keyword::parse(k).map(|_| k.trim().to_owned()))
        .collect()
}

impl Taxonomy {
    /// This taxonomy with the edits applied in order, or the first edit's error.
    pub fn with_edits(mut self, edits: &[TaxonomyEdit]) -> Result<Taxonomy, TaxonomyError> {
        for e in edits {
            self.apply(e)?;
        }
        Ok(self)
    }

    /// Applies one edit; on error the taxonomy is unchanged.
    pub fn apply(&mut self, edit: &TaxonomyEdit) -> Result<(), TaxonomyError> {
        match edit {
            TaxonomyEdit::Add {
                key,
                names,
                keywords: kws,
            } => {
                check_key(key)?;
                if self.theme(key).is_some() || self.merged.contains_key(key) {
                    return Err(TaxonomyError::DuplicateKey(key.clone()));
                }
                if names.is_empty() {
                    return Err(TaxonomyError::EmptyName(key.clone()));
                }
                let mut theme = Theme {
                    key: key.clone(),
                    names: BTreeMap::new(),
                    keywords: BTreeMap::new(),
                    hidden: false,
                };
                for (code, n) in names {
                    theme.names.insert(lang(code)?, name(key, n)?);
                }
                for (code, list) in kws {
                    theme.keywords.insert(lang(code)?, keywords(list)?);
                }
                self.themes.push(theme);
            }
            TaxonomyEdit::Rename {
                key,
                lang: code,
                name: n,
            } => {
                let (l, n) = (lang(code)?, name(key, n)?);
                self.theme_mut(key)?.names.insert(l, n);
            }
            TaxonomyEdit::AddKeywords {
                key,
                lang: code,
                keywords: list,
            } => {
                let (l, list) = (lang(code)?, keywords(list)?);
                let have = self.theme_mut(key)?.keywords.entry(l).or_default();
                for k in list {
                    if !have.contains(&k) {
                        have.push(k);
                    }
                }
            }
            TaxonomyEdit::RemoveKeywords {
                key,
                lang: code,
                keywords: list,
            } => {
                let l = lang(code)?;
                if let Some(have) = self.theme_mut(key)?.keywords.get_mut(&l) {
                    have.retain(|k| !list.iter().any(|r| r.trim() == k));
                }
            }
            TaxonomyEdit::Merge { from, into } => {
                if from == into {
                    return Err(TaxonomyError::MergeIntoItself(from.clone()));
                }
                self.theme_mut(into)?;
                let i = self
                    .themes
                    .iter()
                    .position(|t| &t.key == from)
                    .ok_or_else(|| TaxonomyError::UnknownTheme(from.clone()))?;
                let gone = self.themes.remove(i);
                let target = self.theme_mut(into)?;
                for (l, list) in gone.keywords {
                    let have = target.keywords.entry(l).or_default();
                    for k in list {
                        if !have.contains(&k) {
                            have.push(k);
                        }
                    }
                }
                for v in self.merged.values_mut() {
                    if v == from {
                        v.clone_from(into);
                    }
                }
                self.merged.insert(from.clone(), into.clone());
            }
            TaxonomyEdit::Hide { key } => self.theme_mut(key)?.hidden = true,
            TaxonomyEdit::Show { key } => self.theme_mut(key)?.hidden = false,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        x.to_owned()
    }

    #[test]
    fn add_rename_keywords_merge_and_hide() {
        let edits = vec![
            TaxonomyEdit::Add {
                key: s("parking"),
                names: BTreeMap::from([(s("en"), s("Parking")), (s("nb"), s("Parkering"))]),
                keywords: BTreeMap::from([(s("nb"), vec![s("parkering"), s("-bompenger")])]),
            },
            TaxonomyEdit::Rename {
                key: s("billing"),
                lang: s("en"),
                name: s("Invoices"),
            },
            TaxonomyEdit::AddKeywords {
                key: s("parking"),
                lang: s("en"),
                keywords: vec![s("car park"), s("parking")],
            },
            TaxonomyEdit::RemoveKeywords {
                key: s("parking"),
                lang: s("nb"),
                keywords: vec![s("-bompenger")],
            },
            TaxonomyEdit::Merge {
                from: s("refunds"),
                into: s("billing"),
            },
            TaxonomyEdit::Hide {
                key: s("sustainability"),
            },
        ];
        let base = Taxonomy::builtin();
        let t = base.clone().with_edits(&edits).unwrap();
        let p = t.theme("parking").unwrap();
        assert_eq!(p.name(Lang::Nb), "Parkering");
        assert_eq!(p.name(Lang::De), "Parking", "falls back to English");
        assert_eq!(p.keywords[&Lang::Nb], [s("parkering")]);
        assert_eq!(p.keywords[&Lang::En], [s("car park"), s("parking")]);
        assert_eq!(t.theme("billing").unwrap().name(Lang::En), "Invoices");
        assert!(t.theme("refunds").is_none());
        let refund_kw = &base.theme("refunds").unwrap().keywords[&Lang::Fi][0];
        assert!(t.theme("billing").unwrap().keywords[&Lang::Fi].contains(refund_kw));
        assert_eq!(t.resolve("refunds"), "billing");
        assert_eq!(t.resolve("price"), "price");
        assert!(t.theme("sustainability").unwrap().hidden);
        assert_eq!(t.themes.len(), base.themes.len());
        // Edits are data the store keeps: they round-trip through JSON.
        let json = serde_json::to_string(&edits).unwrap();
        assert!(json.contains(r#""op":"merge""#), "{json}");
        let back: Vec<TaxonomyEdit> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, edits);
    }

    #[test]
    fn merge_chains_resolve_to_the_last_home() {
        let t = Taxonomy::builtin()
            .with_edits(&[
                TaxonomyEdit::Merge {
                    from: s("refunds"),
                    into: s("cancellation"),
                },
                TaxonomyEdit::Merge {
                    from: s("cancellation"),
                    into: s("contract"),
                },
            ])
            .unwrap();
        assert_eq!(t.resolve("refunds"), "contract");
        assert_eq!(t.resolve("cancellation"), "contract");
    }

    #[test]
    fn bad_edits_are_refused_with_a_clear_error_and_change_nothing() {
        let base = Taxonomy::builtin();
        let cases = [
            (
                TaxonomyEdit::Add { key: s("billing"), names: BTreeMap::from([(s("en"), s("B"))]), keywords: BTreeMap::new() },
                "a theme \"billing\" exists already",
            ),
            (
                TaxonomyEdit::Add { key: s("Bad Key"), names: BTreeMap::from([(s("en"), s("B"))]), keywords: BTreeMap::new() },
                "theme key must be 1–40 lower-case letters, digits or _ starting with a letter; got \"Bad Key\"",
            ),
            (
                TaxonomyEdit::Add { key: s("x"), names: BTreeMap::from([(s("en"), s("  "))]), keywords: BTreeMap::new() },
                "the name of theme \"x\" must not be empty",
            ),
            (
                TaxonomyEdit::Add { key: s("x"), names: BTreeMap::new(), keywords: BTreeMap::new() },
                "the name of theme \"x\" must not be empty",
            ),
            (
                TaxonomyEdit::AddKeywords { key: s("price"), lang: s("fr"), keywords: vec![s("cher")] },
                "language \"fr\" is not analysed; use one of en nb sv da fi de nl",
            ),
            (
                TaxonomyEdit::AddKeywords { key: s("price"), lang: s("en"), keywords: vec![s("  ")] },
                "keyword \"  \": must contain a word",
            ),
            (
                TaxonomyEdit::Rename { key: s("nope"), lang: s("en"), name: s("N") },
                "no theme \"nope\"",
            ),
            (
                TaxonomyEdit::Merge { from: s("price"), into: s("price") },
                "theme \"price\" cannot be merged into itself",
            ),
            (
                TaxonomyEdit::Merge { from: s("price"), into: s("nope") },
                "no theme \"nope\"",
            ),
            (TaxonomyEdit::Hide { key: s("nope") }, "no theme \"nope\""),
        ];
        for (edit, want) in cases {
            let mut t = base.clone();
            assert_eq!(t.apply(&edit).unwrap_err().to_string(), want, "{edit:?}");
            assert_eq!(t, base, "{edit:?} changed the taxonomy");
        }
        // A merged-away key cannot be reused for a new theme (its old tags read elsewhere).
        let mut t = base
            .with_edits(&[TaxonomyEdit::Merge {
                from: s("refunds"),
                into: s("billing"),
            }])
            .unwrap();
        let e = t.apply(&TaxonomyEdit::Add {
            key: s("refunds"),
            names: BTreeMap::from([(s("en"), s("R"))]),
            keywords: BTreeMap::new(),
        });
        assert_eq!(e.unwrap_err(), TaxonomyError::DuplicateKey(s("refunds")));
    }
}
