//! The answer to "how likely are you to recommend us?" and what it says about the person.

use crate::SurveyKind;
use serde::Serialize;
use std::fmt;

/// Why a value is not a valid score. The messages are shown to API users as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    #[error("score must be an integer from {min} to {max}; got {got}")]
    OutOfRange { min: u8, max: u8, got: i64 },
}

/// An NPS score: an integer from 0 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Score(u8);

impl Score {
    pub const MAX: u8 = 10;

    pub fn new(value: i64) -> Result<Self, ScoreError> {
        match u8::try_from(value) {
            Ok(v) if v <= Self::MAX => Ok(Self(v)),
            _ => Err(ScoreError::OutOfRange {
                min: 0,
                max: Self::MAX,
                got: value,
            }),
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }

    pub fn category(self) -> Category {
        Category::of(self.0)
    }

    /// A 10: the most enthusiastic promoters, kept apart from 9s in reports.
    pub fn is_ambassador(self) -> bool {
        self.0 == 10
    }

    pub fn all() -> impl Iterator<Item = Score> {
        (0..=Self::MAX).map(Score)
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Promoter 9–10, passive 7–8, detractor 0–6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Promoter,
    Passive,
    Detractor,
}

impl Category {
    /// The category of a raw 0–10 value; callers hold a validated score.
    fn of(score: u8) -> Self {
        match score {
            9.. => Category::Promoter,
            7 | 8 => Category::Passive,
            _ => Category::Detractor,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Promoter => "promoter",
            Category::Passive => "passive",
            Category::Detractor => "detractor",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A customer-satisfaction answer: an integer from 1 to 5; 4 and 5 count as satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CsatScore(u8);

impl CsatScore {
    pub fn new(value: i64) -> Result<Self, ScoreError> {
        match u8::try_from(value) {
            Ok(v @ 1..=5) => Ok(Self(v)),
            _ => Err(ScoreError::OutOfRange {
                min: 1,
                max: 5,
                got: value,
            }),
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }

    pub fn is_satisfied(self) -> bool {
        self.0 >= 4
    }
}

/// A score checked against its survey's scale — 0 to 10 for NPS and eNPS, 1 to 5 for
/// CSAT — as an answer carries it from where it arrives (API, survey page, widget,
/// import) to the database, so nothing on the way checks it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating {
    kind: SurveyKind,
    value: u8,
}

impl Rating {
    pub fn new(kind: SurveyKind, value: i64) -> Result<Self, ScoreError> {
        kind.check_score(value).map(|value| Self { kind, value })
    }

    /// The scale it was checked against.
    pub fn kind(self) -> SurveyKind {
        self.kind
    }

    pub fn value(self) -> u8 {
        self.value
    }

    /// The NPS group on the 0–10 scales; `None` on CSAT's, which has none.
    pub fn category(self) -> Option<Category> {
        match self.kind {
            SurveyKind::Nps | SurveyKind::Enps => Some(Score(self.value).category()),
            SurveyKind::Csat => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_rating_is_checked_against_its_own_scale() {
        let nine = Rating::new(SurveyKind::Nps, 9).unwrap();
        assert_eq!(
            (nine.value(), nine.category()),
            (9, Some(Category::Promoter))
        );
        let zero = Rating::new(SurveyKind::Enps, 0).unwrap();
        assert_eq!(zero.category(), Some(Category::Detractor));
        let five = Rating::new(SurveyKind::Csat, 5).unwrap();
        assert_eq!((five.value(), five.category()), (5, None));
        assert_eq!(
            Rating::new(SurveyKind::Csat, 0).unwrap_err().to_string(),
            "score must be an integer from 1 to 5; got 0"
        );
        assert_eq!(
            Rating::new(SurveyKind::Nps, 11).unwrap_err().to_string(),
            "score must be an integer from 0 to 10; got 11"
        );
    }

    #[test]
    fn categories_follow_the_nps_bands() {
        let cats: Vec<_> = Score::all().map(|s| s.category()).collect();
        use Category::*;
        assert_eq!(
            cats,
            [
                Detractor, Detractor, Detractor, Detractor, Detractor, Detractor, Detractor,
                Passive, Passive, Promoter, Promoter
            ]
        );
        assert!(Score::new(10).unwrap().is_ambassador());
        assert!(!Score::new(9).unwrap().is_ambassador());
    }

    #[test]
    fn rejects_out_of_range_with_a_message_naming_the_value() {
        let err = Score::new(11).unwrap_err();
        assert_eq!(
            err.to_string(),
            "score must be an integer from 0 to 10; got 11"
        );
        assert!(Score::new(-1).is_err());
        assert!(CsatScore::new(0).is_err());
        assert!(CsatScore::new(6).is_err());
        assert!(CsatScore::new(4).unwrap().is_satisfied());
        assert!(!CsatScore::new(3).unwrap().is_satisfied());
    }

    proptest! {
        #[test]
        fn accepts_exactly_zero_to_ten(v in any::<i64>()) {
            prop_assert_eq!(Score::new(v).is_ok(), (0..=10).contains(&v));
            if let Ok(s) = Score::new(v) { prop_assert_eq!(i64::from(s.value()), v); }
        }

        #[test]
        fn csat_accepts_exactly_one_to_five(v in any::<i64>()) {
            prop_assert_eq!(CsatScore::new(v).is_ok(), (1..=5).contains(&v));
        }
    }
}
