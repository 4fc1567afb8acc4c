//! Cases: the follow-up of a detractor, from open to resolved, with its checklist, notes,
//! SLA and escalation.
