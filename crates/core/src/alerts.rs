//! A person's alert subscriptions: which answers they want to hear about, on which
//! channel, at once or gathered into one message every few minutes. Pure rules: what a
//! valid subscription is ([`SubscriptionFilter::check`]) and whether an answer is one it
//! wants ([`SubscriptionFilter::matches`]). Agents' scope (only their own customers) is
//! the store's to apply, as it needs the customer's cases.
//!
//! A subscription watches one kind of survey: customer NPS (0–10), CSAT (its own 1–5
//! scale) or eNPS (0–10, anonymous). An eNPS alert must not tell who answered: it is
//! never sent at once (an alert at the moment of an answer points at whoever just
//! answered), only gathered, and a gathered batch leaves only once it holds at least the
//! workspace's eNPS minimum group size ([`batch_may_leave`]); it names nobody.

use crate::customer::Attributes;
use crate::labels::{Label, SurveyKind};
use crate::outbound::parse_url;
use std::fmt;

/// Where an alert goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertChannel {
    /// To the subscriber's own address (never another: the target is empty).
    Email,
    /// A Slack incoming webhook (Block Kit).
    Slack,
    /// A Microsoft Teams incoming webhook (Adaptive Card).
    Teams,
    /// Any HTTP receiver: the answer as JSON.
    Webhook,
}

impl AlertChannel {
    pub const ALL: [AlertChannel; 4] = [Self::Email, Self::Slack, Self::Teams, Self::Webhook];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Slack => "slack",
            Self::Teams => "teams",
            Self::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Result<Self, AlertError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                AlertError::new(
                    "channel",
                    format!("must be one of email, slack, teams, webhook; got {s:?}"),
                )
            })
    }
}

/// The shortest and longest gathering of a batched subscription: shorter would be a ping
/// per answer under another name, longer is a digest's job.
pub const MIN_BATCH_MINUTES: u32 = 5;
pub const MAX_BATCH_MINUTES: u32 = 1440;

/// What a subscription wants. `None` filters match anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionFilter {
    /// The kind of survey whose answers it watches; fixes the score scale.
    pub kind: SurveyKind,
    pub channel: AlertChannel,
    /// The webhook URL of slack, teams and webhook; `None` for email.
    pub target: Option<String>,
    /// Score range on the kind's scale, both ends included.
    pub min_score: u8,
    pub max_score: u8,
    pub survey_id: Option<i64>,
    pub touchpoint: Option<String>,
    /// A customer segment attribute and the value it must have.
    pub segment_key: Option<String>,
    pub segment_value: Option<String>,
    pub only_with_comment: bool,
    /// 0 sends each answer at once; otherwise answers are gathered this many minutes.
    pub batch_minutes: u32,
}

/// What a subscription is matched against: one answer, as recorded.
#[derive(Debug, Clone, Copy)]
pub struct AnswerFacts<'a> {
    /// The kind of the answer's survey.
    pub kind: SurveyKind,
    pub score: u8,
    pub survey_id: i64,
    pub touchpoint: Option<&'a str>,
    pub comment: Option<&'a str>,
    /// The customer's segment attributes when the answer was given.
    pub attributes: &'a Attributes,
}

/// A subscription that is not valid: the field, and a phrase completing "<field> …".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertError {
    pub field: &'static str,
    pub message: String,
}

impl AlertError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for AlertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.message)
    }
}

impl std::error::Error for AlertError {}

impl SubscriptionFilter {
    /// Everything a subscription must satisfy before it is stored; the first problem,
    /// naming its field.
    pub fn check(&self) -> Result<(), AlertError> {
        let (low, high) = self.kind.scale();
        for (field, score) in [("min_score", self.min_score), ("max_score", self.max_score)] {
            if !(low..=high).contains(&score) {
                return Err(AlertError::new(
                    field,
                    format!(
                        "must be between {low} and {high} for a {} survey; got {score}",
                        self.kind.as_str()
                    ),
                ));
            }
        }
        if self.min_score > self.max_score {
            return Err(AlertError::new(
                "min_score",
                format!(
                    "must not be above max_score; got {} > {}",
                    self.min_score, self.max_score
                ),
            ));
        }
        match (self.channel, &self.target) {
            (AlertChannel::Email, Some(_)) => {
                return Err(AlertError::new(
                    "target",
                    "must be empty for email: alerts go to your own address",
                ))
            }
            (AlertChannel::Email, None) => {}
            (channel, None) => {
                return Err(AlertError::new(
                    "target",
                    format!(
                        "is required for {}: the incoming webhook URL",
                        channel.as_str()
                    ),
                ))
            }
            (_, Some(url)) => {
                parse_url(url).map_err(|why| AlertError::new("target", why))?;
            }
        }
        if let Some(t) = &self.touchpoint {
            label("touchpoint", t)?;
        }
        match (&self.segment_key, &self.segment_value) {
            (Some(k), Some(v)) => {
                label("segment_key", k)?;
                if v.is_empty() || v.chars().count() > 200 || v.chars().any(char::is_control) {
                    return Err(AlertError::new(
                        "segment_value",
                        "must be 1–200 characters on one line",
                    ));
                }
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(AlertError::new(
                    "segment_value",
                    "is required with segment_key",
                ))
            }
            (None, Some(_)) => {
                return Err(AlertError::new(
                    "segment_key",
                    "is required with segment_value",
                ))
            }
        }
        if self.kind == SurveyKind::Enps && self.batch_minutes == 0 {
            return Err(AlertError::new(
                "batch_minutes",
                format!(
                    "must be between {MIN_BATCH_MINUTES} and {MAX_BATCH_MINUTES} for eNPS: \
                     eNPS is anonymous, and an alert at the moment of an answer would point \
                     at whoever just answered"
                ),
            ));
        }
        if self.batch_minutes != 0
            && !(MIN_BATCH_MINUTES..=MAX_BATCH_MINUTES).contains(&self.batch_minutes)
        {
            return Err(AlertError::new(
                "batch_minutes",
                format!(
                    "must be 0 (at once) or between {MIN_BATCH_MINUTES} and \
                     {MAX_BATCH_MINUTES}; got {}",
                    self.batch_minutes
                ),
            ));
        }
        Ok(())
    }

    /// Whether the answer is one this subscription wants.
    pub fn matches(&self, answer: &AnswerFacts) -> bool {
        let has_comment = answer.comment.is_some_and(|c| !c.trim().is_empty());
        self.kind == answer.kind
            && (self.min_score..=self.max_score).contains(&answer.score)
            && self.survey_id.is_none_or(|s| s == answer.survey_id)
            && self
                .touchpoint
                .as_deref()
                .is_none_or(|t| answer.touchpoint == Some(t))
            && (!self.only_with_comment || has_comment)
            && match (&self.segment_key, &self.segment_value) {
                (Some(k), Some(v)) => answer
                    .attributes
                    .iter()
                    .any(|(key, value)| key.as_str() == k && value == v),
                _ => true,
            }
    }
}

/// Whether a gathered batch of `gathered` answers to a `kind` survey may be sent: an
/// eNPS batch waits (keeps gathering) until it holds at least the workspace's minimum
/// group size, as no eNPS figure rests on fewer answers; other kinds go as they are.
pub fn batch_may_leave(kind: SurveyKind, gathered: usize, enps_min_group_size: u32) -> bool {
    kind != SurveyKind::Enps || gathered >= enps_min_group_size as usize
}

fn label(field: &'static str, value: &str) -> Result<(), AlertError> {
    Label::new(value).map(|_| ()).map_err(|_| {
        AlertError::new(
            field,
            format!("must be 1–64 letters, digits, '_', '-' or '.'; got {value:?}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> SubscriptionFilter {
        SubscriptionFilter {
            kind: SurveyKind::Nps,
            channel: AlertChannel::Email,
            target: None,
            min_score: 0,
            max_score: 6,
            survey_id: None,
            touchpoint: None,
            segment_key: None,
            segment_value: None,
            only_with_comment: false,
            batch_minutes: 0,
        }
    }

    fn field_of(f: SubscriptionFilter) -> &'static str {
        f.check().unwrap_err().field
    }

    #[test]
    fn a_plain_email_subscription_is_valid() {
        assert_eq!(filter().check(), Ok(()));
    }

    #[test]
    fn bad_filters_name_their_field() {
        assert_eq!(
            field_of(SubscriptionFilter {
                max_score: 11,
                ..filter()
            }),
            "max_score"
        );
        assert_eq!(
            field_of(SubscriptionFilter {
                min_score: 7,
                max_score: 6,
                ..filter()
            }),
            "min_score"
        );
        assert_eq!(
            field_of(SubscriptionFilter {
                target: Some("https://example.com/x".into()),
                ..filter()
            }),
            "target"
        );
        assert_eq!(
            field_of(SubscriptionFilter {
                channel: AlertChannel::Slack,
                ..filter()
            }),
            "target"
        );
        assert_eq!(
            field_of(SubscriptionFilter {
                channel: AlertChannel::Teams,
                target: Some("hooks.example.com/x".into()),
                ..filter()
            }),
            "target"
        );
        assert_eq!(
            field_of(SubscriptionFilter {
                segment_key: Some("plan".into()),
                ..filter()
            }),
            "segment_value"
        );
        assert_eq!(
            field_of(SubscriptionFilter {
                segment_value: Some("gold".into()),
                ..filter()
            }),
            "segment_key"
        );
        assert_eq!(
            field_of(SubscriptionFilter {
                touchpoint: Some("has space".into()),
                ..filter()
            }),
            "touchpoint"
        );
        for minutes in [1, 4, 1441] {
            assert_eq!(
                field_of(SubscriptionFilter {
                    batch_minutes: minutes,
                    ..filter()
                }),
                "batch_minutes",
                "{minutes}"
            );
        }
        for minutes in [0, 5, 1440] {
            let f = SubscriptionFilter {
                batch_minutes: minutes,
                ..filter()
            };
            assert_eq!(f.check(), Ok(()), "{minutes}");
        }
        let teams = SubscriptionFilter {
            channel: AlertChannel::Teams,
            target: Some("https://example.webhook.office.com/webhookb2/x".into()),
            ..filter()
        };
        assert_eq!(teams.check(), Ok(()));
    }

    #[test]
    fn channels_parse_by_name_only() {
        assert_eq!(AlertChannel::parse("teams"), Ok(AlertChannel::Teams));
        assert_eq!(AlertChannel::parse("sms").unwrap_err().field, "channel");
    }

    #[test]
    fn matching_applies_every_filter() {
        let mut attributes = Attributes::new();
        attributes.insert(Label::new("plan").unwrap(), "gold".into());
        let none = Attributes::new();
        let answer = AnswerFacts {
            kind: SurveyKind::Nps,
            score: 3,
            survey_id: 7,
            touchpoint: Some("checkout"),
            comment: Some("Slow"),
            attributes: &attributes,
        };
        let all = SubscriptionFilter {
            survey_id: Some(7),
            touchpoint: Some("checkout".into()),
            segment_key: Some("plan".into()),
            segment_value: Some("gold".into()),
            only_with_comment: true,
            ..filter()
        };
        assert!(all.matches(&answer));
        assert!(!all.matches(&AnswerFacts { score: 7, ..answer }));
        assert!(all.matches(&AnswerFacts { score: 0, ..answer }));
        assert!(all.matches(&AnswerFacts { score: 6, ..answer }));
        assert!(!all.matches(&AnswerFacts {
            survey_id: 8,
            ..answer
        }));
        assert!(!all.matches(&AnswerFacts {
            touchpoint: Some("support"),
            ..answer
        }));
        assert!(!all.matches(&AnswerFacts {
            touchpoint: None,
            ..answer
        }));
        assert!(!all.matches(&AnswerFacts {
            comment: Some("  "),
            ..answer
        }));
        assert!(!all.matches(&AnswerFacts {
            comment: None,
            ..answer
        }));
        assert!(!all.matches(&AnswerFacts {
            attributes: &none,
            ..answer
        }));
        assert!(!all.matches(&AnswerFacts {
            kind: SurveyKind::Csat,
            ..answer
        }));
        // No filters: anything in the score range.
        assert!(filter().matches(&AnswerFacts {
            comment: None,
            touchpoint: None,
            attributes: &none,
            ..answer
        }));
    }

    #[test]
    fn each_kind_has_its_scale() {
        let csat = SubscriptionFilter {
            kind: SurveyKind::Csat,
            min_score: 1,
            max_score: 2,
            ..filter()
        };
        assert_eq!(csat.check(), Ok(()));
        let err = SubscriptionFilter {
            min_score: 0,
            ..csat.clone()
        }
        .check()
        .unwrap_err();
        assert_eq!(err.field, "min_score");
        assert!(
            err.message.contains("between 1 and 5 for a csat survey"),
            "{err}"
        );
        assert_eq!(
            field_of(SubscriptionFilter {
                max_score: 6,
                ..csat.clone()
            }),
            "max_score"
        );
        let none = Attributes::new();
        let answer = AnswerFacts {
            kind: SurveyKind::Csat,
            score: 2,
            survey_id: 1,
            touchpoint: None,
            comment: None,
            attributes: &none,
        };
        assert!(csat.matches(&answer));
        assert!(!csat.matches(&AnswerFacts { score: 4, ..answer }));
        assert!(
            !filter().matches(&answer),
            "an NPS subscription hears no CSAT 2"
        );
    }

    #[test]
    fn enps_is_only_ever_gathered_and_leaves_in_groups_of_the_minimum() {
        let enps = SubscriptionFilter {
            kind: SurveyKind::Enps,
            ..filter()
        };
        let err = enps.check().unwrap_err();
        assert_eq!(err.field, "batch_minutes");
        assert!(err.message.contains("anonymous"), "{err}");
        assert_eq!(
            SubscriptionFilter {
                batch_minutes: 60,
                ..enps
            }
            .check(),
            Ok(())
        );
        assert!(!batch_may_leave(SurveyKind::Enps, 4, 5));
        assert!(batch_may_leave(SurveyKind::Enps, 5, 5));
        assert!(batch_may_leave(SurveyKind::Nps, 1, 5));
        assert!(batch_may_leave(SurveyKind::Csat, 1, 5));
    }
}
