//! Reading what customers write: themes, sentiment, emerging phrases and what drives the
//! score, in English, Norwegian (Bokmål), Swedish, Danish, Finnish, German and Dutch. Pure
//! and offline: word lists in plain files beside the code, Snowball stemmers, rules.
//! The method and its measured accuracy are in `README.md` beside this file.
//!
//! Use: build a [`Taxonomy`] (the built-in one plus the workspace's [`TaxonomyEdit`]s),
//! build one [`Tagger`] from it, and call [`Tagger::analyse`] for every comment.

pub mod drivers;
pub mod edit;
pub mod emerging;
pub mod lang;
pub mod lexicon;
pub mod rising;
pub mod sentiment;
pub mod tagger;
pub mod taxonomy;
mod tokenize;

#[cfg(test)]
mod bench;
#[cfg(test)]
mod eval;
#[cfg(test)]
mod tests;

pub use drivers::{rank, Driver, Ranked};
pub use edit::TaxonomyEdit;
pub use emerging::{emerging_phrases, EmergingPhrase};
pub use lang::Lang;
pub use rising::{share_change, Mentions, ShareChange};
pub use sentiment::Sentiment;
pub use tagger::{Analysis, Mention, Tagger, ThemeId, ThemeSentiment};
pub use taxonomy::{Keyword, Taxonomy, TaxonomyError, Theme};
