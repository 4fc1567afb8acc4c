//! What happens after an answer: the default playbook per score (PRODUCT.md §3), case
//! priorities and their first-contact SLA, and what promoters are offered.

use crate::score::{Category, Score};
use serde::{Deserialize, Serialize};

/// How urgently a detractor must be contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Critical,
    High,
    Medium,
    Normal,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Self::Critical, Self::High, Self::Medium, Self::Normal];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Normal => "normal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Hours allowed until first contact, per priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaHours {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub normal: u32,
}

impl Default for SlaHours {
    fn default() -> Self {
        Self {
            critical: 4,
            high: 24,
            medium: 48,
            normal: 72,
        }
    }
}

impl SlaHours {
    pub fn for_priority(&self, p: Priority) -> u32 {
        match p {
            Priority::Critical => self.critical,
            Priority::High => self.high,
            Priority::Medium => self.medium,
            Priority::Normal => self.normal,
        }
    }
}

/// The steps and priority for one score. Detractor playbooks open a case; passive and
/// promoter playbooks list what to do without one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Playbook {
    pub steps: Vec<String>,
    /// Set for detractor scores (0–6): a case is opened with this priority.
    pub priority: Option<Priority>,
}

const FULL_RECOVERY: [&str; 9] = [
    "Contact the customer personally at once",
    "Apologise",
    "Listen to what went wrong",
    "Offer compensation",
    "Explain what will change so it does not happen again",
    "Thank them for the feedback",
    "Inform the account manager",
    "Log it on the customer record",
    "Follow up at the next contact",
];

const SLIGHTLY_NEGATIVE: [&str; 7] = [
    "Contact the customer",
    "Listen to what went wrong",
    "Explain what will change",
    "Thank them for the feedback",
    "Inform the account manager",
    "Log it on the customer record",
    "Follow up at the next contact",
];

const ALMOST_PASSIVE: [&str; 6] = [
    "Email asking what it would take to get a higher score",
    "Explain the changes that are planned",
    "Thank them for the feedback",
    "Inform the account manager",
    "Log it on the customer record",
    "Follow up at the next contact",
];

/// Every step of the built-in detractor playbooks (all of them involve the customer).
pub fn builtin_detractor_steps() -> Vec<&'static str> {
    let mut steps: Vec<&str> = FULL_RECOVERY
        .iter()
        .chain(&SLIGHTLY_NEGATIVE)
        .chain(&ALMOST_PASSIVE)
        .copied()
        .collect();
    steps.sort_unstable();
    steps.dedup();
    steps
}

/// The playbook Advocate starts with for a score (PRODUCT.md §3).
pub fn default_playbook(score: Score) -> Playbook {
    let (steps, priority): (&[&str], Option<Priority>) = match score.value() {
        0 | 1 => (&FULL_RECOVERY, Some(Priority::Critical)),
        2..=4 => (&FULL_RECOVERY, Some(Priority::High)),
        5 => (&SLIGHTLY_NEGATIVE, Some(Priority::Medium)),
        6 => (&ALMOST_PASSIVE, Some(Priority::Normal)),
        7 | 8 => (&["Optionally ask what would make it a 9 or 10"], None),
        9 => (&["Thank them", "Ask for a review"], None),
        _ => (
            &[
                "Thank them personally (letter, discount code)",
                "Ask for a review",
                "Invite them to the customer panel or product group",
                "Offer a reward (free month, VIP club)",
            ],
            None,
        ),
    };
    Playbook {
        steps: steps.iter().map(|s| (*s).to_owned()).collect(),
        priority,
    }
}

/// What a promoter is offered; each becomes a tracked engagement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngagementKind {
    ThankYou,
    DiscountCode,
    ReviewRequest,
    PanelInvitation,
    Reward,
    VipMembership,
}

impl EngagementKind {
    pub const ALL: [EngagementKind; 6] = [
        Self::ThankYou,
        Self::DiscountCode,
        Self::ReviewRequest,
        Self::PanelInvitation,
        Self::Reward,
        Self::VipMembership,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ThankYou => "thank_you",
            Self::DiscountCode => "discount_code",
            Self::ReviewRequest => "review_request",
            Self::PanelInvitation => "panel_invitation",
            Self::Reward => "reward",
            Self::VipMembership => "vip_membership",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Why a workspace cannot act on an engagement of `kind`, if it cannot: a review request
/// needs at least one review site link (an ask with nothing to click is not sent).
pub fn inactive_reason(kind: EngagementKind, review_links: usize) -> Option<&'static str> {
    match kind {
        EngagementKind::ReviewRequest if review_links == 0 => Some("no review site link set"),
        _ => None,
    }
}

/// The engagements a promoter gets by default: a 9 is thanked and asked for a review; a
/// 10 (ambassador) is also given a discount code, invited to the panel and rewarded.
pub fn default_engagements(score: Score) -> &'static [EngagementKind] {
    use EngagementKind::*;
    match (score.category(), score.is_ambassador()) {
        (Category::Promoter, true) => &[
            ThankYou,
            DiscountCode,
            ReviewRequest,
            PanelInvitation,
            Reward,
        ],
        (Category::Promoter, false) => &[ThankYou, ReviewRequest],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn playbook(s: i64) -> Playbook {
        default_playbook(Score::new(s).unwrap())
    }

    #[test]
    fn every_score_has_the_playbook_of_product_md() {
        let priorities: Vec<_> = (0..=10).map(|s| playbook(s).priority).collect();
        use Priority::*;
        assert_eq!(
            priorities,
            [
                Some(Critical),
                Some(Critical),
                Some(High),
                Some(High),
                Some(High),
                Some(Medium),
                Some(Normal),
                None,
                None,
                None,
                None
            ]
        );
        for s in 0..=4 {
            assert_eq!(playbook(s).steps.len(), 9, "score {s}");
            assert!(playbook(s).steps.iter().any(|x| x.contains("compensation")));
        }
        assert!(
            !playbook(5).steps.iter().any(|x| x.contains("compensation")),
            "no compensation at 5"
        );
        assert!(playbook(6).steps[0].starts_with("Email asking"));
        assert!(playbook(9).steps.iter().any(|x| x.contains("review")));
        assert!(playbook(10).steps.iter().any(|x| x.contains("panel")));
        for s in 0..=10 {
            assert!(!playbook(s).steps.is_empty());
        }
    }

    #[test]
    fn sla_and_engagements_by_default() {
        let sla = SlaHours::default();
        assert_eq!(Priority::ALL.map(|p| sla.for_priority(p)), [4, 24, 48, 72]);
        assert_eq!(Priority::parse("high"), Some(Priority::High));
        let nine = default_engagements(Score::new(9).unwrap());
        let ten = default_engagements(Score::new(10).unwrap());
        assert!(!nine.contains(&EngagementKind::DiscountCode));
        assert!(
            ten.contains(&EngagementKind::DiscountCode)
                && ten.contains(&EngagementKind::PanelInvitation)
        );
        assert!(default_engagements(Score::new(8).unwrap()).is_empty());
    }
}
