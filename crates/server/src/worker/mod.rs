//! Background work: delivering the outbox and escalating overdue cases.

pub mod escalation;
