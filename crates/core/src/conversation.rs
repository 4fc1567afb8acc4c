//! Talking to the customer from a case, by email.
//!
//! An agent starts from a built-in message for the customer's score ([`templates`]) and
//! sends it; the email carries a Reply-To unique to its case ([`address::ReplyRoute`]), a
//! Message-ID of Advocate's ([`address::new_message_id`]), and In-Reply-To and References
//! chaining the case's earlier messages ([`thread::thread_after`]). Replies come back
//! through a mailbox or an inbound endpoint as raw RFC 5322: [`inbound::parse`] reads
//! them, and the case is found from a recipient whose signed token verifies
//! ([`address::case_of_address`]) or, failing that, from the Message-IDs the reply refers
//! to. Automatic replies and bounces are recognised ([`inbound::Nature`]) so they never
//! count as the customer answering. Storing and sending are the store's and the server's;
//! the rules are here.

pub mod address;
pub mod inbound;
pub mod templates;
pub mod thread;

pub use address::{case_of_address, new_message_id, CaseRef, ReplyRoute};
pub use inbound::{Attachment, InboundError, InboundMail, Nature, MAX_INBOUND_BYTES};
pub use templates::{default_template, render, MessageTemplate, TemplateFacts};
pub use thread::{thread_after, Threading};
