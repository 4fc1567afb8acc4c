//! Threading headers for an email on a case, so the customer's mail program shows the
//! case's emails as one conversation (RFC 5322 §3.6.4).

/// Ids are kept without angle brackets; the sender writes them as `<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Threading {
    /// The message answered: the latest earlier one.
    pub in_reply_to: Option<String>,
    /// The thread so far, oldest first: the first message and the latest ones, so the
    /// header stays short on a long case.
    pub references: Vec<String>,
}

/// How many ids References keeps at most.
pub const MAX_REFERENCES: usize = 20;

/// The threading headers of a new email after `earlier` (the Message-IDs of the case's
/// emails, sent and received, oldest first). Empty ids are skipped, repeated ones kept once.
pub fn thread_after<S: AsRef<str>>(earlier: &[S]) -> Threading {
    let mut ids: Vec<&str> = Vec::new();
    for id in earlier {
        let id = id
            .as_ref()
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        if !id.is_empty() && !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_REFERENCES {
        let keep_from = ids.len() - (MAX_REFERENCES - 1);
        ids = std::iter::once(ids[0])
            .chain(ids[keep_from..].iter().copied())
            .collect();
    }
    Threading {
        in_reply_to: ids.last().map(|id| (*id).to_owned()),
        references: ids.into_iter().map(str::to_owned).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_email_starts_a_thread() {
        assert_eq!(thread_after::<&str>(&[]), Threading::default());
    }

    #[test]
    fn a_later_email_answers_the_latest_and_refers_to_all() {
        let t = thread_after(&["<a@x>", "b@x", " ", "a@x", "c@x"]);
        assert_eq!(t.in_reply_to.as_deref(), Some("c@x"));
        assert_eq!(t.references, ["a@x", "b@x", "c@x"]);
    }

    #[test]
    fn a_long_thread_keeps_its_first_and_latest_ids() {
        let ids: Vec<String> = (0..30).map(|i| format!("m{i}@x")).collect();
        let t = thread_after(&ids);
        assert_eq!(t.references.len(), MAX_REFERENCES);
        assert_eq!(t.references[0], "m0@x");
        assert_eq!(t.references[1], "m11@x");
        assert_eq!(t.references.last().map(String::as_str), Some("m29@x"));
        assert_eq!(t.in_reply_to.as_deref(), Some("m29@x"));
    }
}
