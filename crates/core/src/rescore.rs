//! What a changed score sets off (PRODUCT.md §3, "a changed score changes the reaction").
//!
//! A respondent may change their score for a while after answering. The reaction to the
//! change is a pure function of the previous score, the new score and what has happened
//! since (the case and its work, the promoter engagements queued or sent): [`rescore`]
//! returns the actions, and the store applies them in the transaction that changes the
//! score.
//!
//! The rules:
//!
//! - **Detractor → passive or promoter**: a case nobody has worked yet (no step ticked, no
//!   note, reply, status change or reassignment by a person) is closed as *withdrawn —
//!   score changed to N*. Once work has started the case stays open, shows the new score
//!   and gets a note.
//! - **Passive or promoter → detractor**: a case exactly as a new answer would open
//!   (same playbook, priority, routing and alerts; a customer's open case is joined).
//! - **Detractor → detractor** (within 0–6): while no step is ticked, the case takes the
//!   new score's playbook and priority (and the SLA that priority gives); after that it
//!   keeps its steps and only shows the new score, with a note.
//! - **Promoter → below 9**: engagements still queued (thank-you, review request, code,
//!   panel, reward…) are cancelled; what was sent stays sent.
//! - **Up to promoter** (from passive or detractor): the new score's engagements that this
//!   answer never had (or had cancelled) are queued; nothing already sent is sent again.
//!   Promoter → promoter (9 ↔ 10) sends nothing new and cancels nothing.
//! - A case that is already resolved or closed is not reopened or withdrawn: it gets a
//!   note only.

use crate::playbook::{default_engagements, EngagementKind};
use crate::score::{Category, Score};

/// Where the answer's case is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStage {
    Open,
    Contacted,
    Resolved,
    Closed,
}

impl CaseStage {
    /// Open or contacted: still being worked on.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Open | Self::Contacted)
    }
}

/// The case the answer opened (or joined), as it is when the score changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts {
    pub stage: CaseStage,
    /// This answer opened the case (rather than joining the customer's open one).
    pub opened_by_answer: bool,
    /// At least one checklist step is ticked.
    pub step_ticked: bool,
    /// A person has worked the case: a step ticked, a note, a reply, a first contact, a
    /// status change or a reassignment.
    pub work_started: bool,
}

/// Where one of the answer's engagements is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngagementStage {
    /// Not sent yet: can still be cancelled.
    Queued,
    /// Sent, or further along (accepted, review left…): never sent again.
    Sent,
    /// Cancelled by an earlier change: may be queued again.
    Cancelled,
}

/// What has happened since the answer was first recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Since {
    pub case: Option<CaseFacts>,
    pub engagements: Vec<(EngagementKind, EngagementStage)>,
}

/// One thing to do about a changed score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Close the case as withdrawn (outcome `withdrawn`), with [`withdrawn_note`].
    WithdrawCase,
    /// Replace the case's steps, priority and SLA with the new score's playbook.
    ApplyPlaybook,
    /// Show the new score on the case.
    ShowScore,
    /// Add a note to the case (by Advocate).
    Note(String),
    /// Open a case as a new detractor answer would (or join the customer's open one).
    OpenCase,
    /// Cancel every engagement of the answer that is still queued.
    CancelQueuedEngagements,
    /// Queue these engagements (with their thank-you), none of them ever sent.
    QueueEngagements(Vec<EngagementKind>),
}

/// The note a withdrawn case gets, also its summary on the timeline.
pub fn withdrawn_note(new: Score) -> String {
    format!("Withdrawn — score changed to {}", new.value())
}

/// What to do when an answer's score goes from `previous` to `new`, given what has
/// happened `since` (see the module docs for the rules). Empty when nothing changes.
pub fn rescore(previous: Score, new: Score, since: &Since) -> Vec<Action> {
    if previous == new {
        return Vec::new();
    }
    let (from, to) = (previous.category(), new.category());
    let (a, b) = (previous.value(), new.value());
    let mut actions = Vec::new();
    let active = since.case.filter(|c| c.stage.is_active());
    match (from, to) {
        (Category::Detractor, Category::Detractor) => match active {
            // The case another answer opened keeps its playbook.
            Some(case) if !case.opened_by_answer => {
                actions.push(Action::Note(format!(
                    "A linked answer changed its score from {a} to {b}"
                )));
            }
            Some(case) if !case.step_ticked => {
                actions.push(Action::ShowScore);
                actions.push(Action::ApplyPlaybook);
                actions.push(Action::Note(format!(
                    "Score changed from {a} to {b}: the steps, priority and SLA now follow \
                     the playbook for {b}"
                )));
            }
            Some(_) => {
                actions.push(Action::ShowScore);
                actions.push(Action::Note(format!(
                    "Score changed from {a} to {b}: the steps stay as they are, as work on \
                     them has started"
                )));
            }
            None => {
                if since.case.is_some() {
                    actions.push(Action::Note(format!("Score changed from {a} to {b}")));
                }
            }
        },
        (Category::Detractor, _) => match active {
            Some(case) if case.opened_by_answer && !case.work_started => {
                actions.push(Action::ShowScore);
                actions.push(Action::WithdrawCase);
            }
            Some(case) if case.opened_by_answer => {
                actions.push(Action::ShowScore);
                actions.push(Action::Note(format!(
                    "Score changed from {a} to {b}: the case stays open, as work on it has \
                     started"
                )));
            }
            Some(_) => {
                actions.push(Action::Note(format!(
                    "A linked answer changed its score from {a} to {b}"
                )));
            }
            None => {
                if since.case.is_some() {
                    actions.push(Action::Note(format!("Score changed from {a} to {b}")));
                }
            }
        },
        (_, Category::Detractor) => match active {
            // The answer's own case stayed open (work on it had started): it shows the
            // detractor score again rather than the answer joining it as a new one.
            Some(case) if case.opened_by_answer => {
                actions.push(Action::ShowScore);
                if !case.step_ticked {
                    actions.push(Action::ApplyPlaybook);
                }
                actions.push(Action::Note(format!("Score changed from {a} to {b}")));
            }
            _ => actions.push(Action::OpenCase),
        },
        _ => {}
    }
    if from == Category::Promoter
        && to != Category::Promoter
        && since
            .engagements
            .iter()
            .any(|(_, s)| *s == EngagementStage::Queued)
    {
        actions.push(Action::CancelQueuedEngagements);
    }
    if to == Category::Promoter && from != Category::Promoter {
        let missing: Vec<EngagementKind> = default_engagements(new)
            .iter()
            .copied()
            .filter(|kind| {
                !since
                    .engagements
                    .iter()
                    .any(|(k, s)| k == kind && *s != EngagementStage::Cancelled)
            })
            .collect();
        if !missing.is_empty() {
            actions.push(Action::QueueEngagements(missing));
        }
    }
    actions
}

/// The steps of a case about an anonymous answer: nobody can be contacted, so the
/// built-in steps that talk to the customer are left out (a workspace's own steps are
/// kept) and the case is about learning from the answer.
pub fn anonymous_case_steps(playbook_steps: &[String]) -> Vec<String> {
    const LEARN: [&str; 3] = [
        "Read the answer and its comment: the respondent is anonymous and cannot be contacted",
        "Find what went wrong",
        "Share it with the team responsible and decide what will change",
    ];
    let builtin = crate::playbook::builtin_detractor_steps();
    LEARN
        .iter()
        .map(|s| (*s).to_owned())
        .chain(
            playbook_steps
                .iter()
                .filter(|s| !builtin.contains(&s.as_str()))
                .cloned(),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use EngagementKind::*;

    fn s(v: i64) -> Score {
        Score::new(v).unwrap()
    }

    fn case(stage: CaseStage, step_ticked: bool, work_started: bool) -> Since {
        Since {
            case: Some(CaseFacts {
                stage,
                opened_by_answer: true,
                step_ticked,
                work_started,
            }),
            engagements: Vec::new(),
        }
    }

    #[test]
    fn back_to_a_detractor_while_its_own_case_is_still_open_updates_that_case() {
        let worked = case(CaseStage::Open, true, true);
        assert_eq!(
            rescore(s(9), s(6), &worked),
            [
                Action::ShowScore,
                Action::Note("Score changed from 9 to 6".into())
            ]
        );
        let contacted = case(CaseStage::Contacted, false, true);
        assert_eq!(
            rescore(s(8), s(2), &contacted),
            [
                Action::ShowScore,
                Action::ApplyPlaybook,
                Action::Note("Score changed from 8 to 2".into())
            ]
        );
        let withdrawn = case(CaseStage::Closed, false, false);
        assert_eq!(rescore(s(10), s(2), &withdrawn), [Action::OpenCase]);
    }

    #[test]
    fn an_unworked_detractor_case_is_withdrawn() {
        let since = case(CaseStage::Open, false, false);
        assert_eq!(
            rescore(s(2), s(10), &since),
            [
                Action::ShowScore,
                Action::WithdrawCase,
                Action::QueueEngagements(vec![
                    ThankYou,
                    DiscountCode,
                    ReviewRequest,
                    PanelInvitation,
                    Reward
                ])
            ]
        );
        assert_eq!(
            rescore(s(3), s(7), &since),
            [Action::ShowScore, Action::WithdrawCase]
        );
        assert_eq!(withdrawn_note(s(9)), "Withdrawn — score changed to 9");
    }

    #[test]
    fn a_worked_case_stays_open_with_a_note() {
        let since = case(CaseStage::Contacted, false, true);
        let actions = rescore(s(2), s(8), &since);
        assert_eq!(actions[0], Action::ShowScore);
        assert!(matches!(&actions[1], Action::Note(n) if n.contains("stays open")));
        assert_eq!(actions.len(), 2);
    }

    #[test]
    fn a_joined_case_is_never_withdrawn() {
        let mut since = case(CaseStage::Open, false, false);
        since.case.as_mut().unwrap().opened_by_answer = false;
        let actions = rescore(s(2), s(8), &since);
        assert!(matches!(&actions[..], [Action::Note(_)]));
        let actions = rescore(s(2), s(5), &since);
        assert!(matches!(&actions[..], [Action::Note(n)] if n.contains("linked answer")));
    }

    #[test]
    fn a_detractor_change_follows_the_new_playbook_until_a_step_is_ticked() {
        let fresh = case(CaseStage::Open, false, false);
        assert!(rescore(s(3), s(5), &fresh).contains(&Action::ApplyPlaybook));
        // A note or a reassignment is work, but the steps are still untouched.
        let noted = case(CaseStage::Open, false, true);
        assert!(rescore(s(3), s(5), &noted).contains(&Action::ApplyPlaybook));
        let ticked = case(CaseStage::Open, true, true);
        let actions = rescore(s(3), s(5), &ticked);
        assert!(!actions.contains(&Action::ApplyPlaybook));
        assert_eq!(actions[0], Action::ShowScore);
        assert!(matches!(&actions[1], Action::Note(n) if n.contains("stay as they are")));
    }

    #[test]
    fn a_resolved_case_only_gets_a_note() {
        let since = case(CaseStage::Resolved, true, true);
        assert!(matches!(&rescore(s(2), s(10), &since)[0], Action::Note(_)));
        assert!(matches!(
            &rescore(s(2), s(4), &since)[..],
            [Action::Note(_)]
        ));
    }

    #[test]
    fn becoming_a_detractor_opens_a_case_and_cancels_what_is_queued() {
        let sent = Since {
            case: None,
            engagements: vec![
                (ThankYou, EngagementStage::Sent),
                (ReviewRequest, EngagementStage::Sent),
            ],
        };
        assert_eq!(rescore(s(9), s(6), &sent), [Action::OpenCase]);
        let queued = Since {
            case: None,
            engagements: vec![
                (ThankYou, EngagementStage::Queued),
                (ReviewRequest, EngagementStage::Queued),
            ],
        };
        assert_eq!(
            rescore(s(10), s(6), &queued),
            [Action::OpenCase, Action::CancelQueuedEngagements]
        );
        assert_eq!(rescore(s(7), s(2), &Since::default()), [Action::OpenCase]);
        assert_eq!(
            rescore(s(10), s(8), &queued),
            [Action::CancelQueuedEngagements]
        );
    }

    #[test]
    fn nothing_sent_is_sent_twice() {
        assert_eq!(
            rescore(s(7), s(10), &Since::default()),
            [Action::QueueEngagements(vec![
                ThankYou,
                DiscountCode,
                ReviewRequest,
                PanelInvitation,
                Reward
            ])]
        );
        let thanked = Since {
            case: None,
            engagements: vec![
                (ThankYou, EngagementStage::Sent),
                (ReviewRequest, EngagementStage::Cancelled),
            ],
        };
        assert_eq!(
            rescore(s(8), s(9), &thanked),
            [Action::QueueEngagements(vec![ReviewRequest])]
        );
        let queued = Since {
            case: None,
            engagements: vec![(ThankYou, EngagementStage::Queued)],
        };
        assert!(rescore(s(10), s(9), &queued).is_empty());
        assert!(rescore(s(9), s(10), &queued).is_empty());
        assert!(rescore(s(7), s(8), &Since::default()).is_empty());
        assert!(rescore(s(4), s(4), &case(CaseStage::Open, false, false)).is_empty());
    }

    #[test]
    fn anonymous_cases_have_no_contact_steps() {
        let playbook = crate::playbook::default_playbook(s(2));
        let mut steps = playbook.steps.clone();
        steps.push("Tell the product team".into());
        let anonymous = anonymous_case_steps(&steps);
        assert!(anonymous.iter().all(|s| !s.contains("Contact")
            && !s.contains("Apologise")
            && !s.contains("compensation")));
        assert_eq!(anonymous.last().unwrap(), "Tell the product team");
        assert_eq!(anonymous.len(), 4);
    }
}
