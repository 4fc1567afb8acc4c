//! Customer contacts (complaints and other conversations) and the channels they come in by.

use crate::labels::{closed_set, LabelError};
use serde::Serialize;
use std::fmt;

closed_set! {
    /// Where a customer contact happened. `self_service` covers FAQ pages and help
    /// centres; `social` covers social-media messages and posts.
    ContactChannel {
        Email => "email", Chat => "chat", Phone => "phone", Social => "social",
        Sms => "sms", Chatbot => "chatbot", Video => "video", Forum => "forum",
        Meeting => "meeting", SelfService => "self_service",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_round_trips_through_its_text() {
        for c in ContactChannel::ALL {
            assert_eq!(ContactChannel::parse(c.as_str()).unwrap(), *c);
            assert_eq!(c.to_string(), c.as_str());
        }
        assert_eq!(ContactChannel::ALL.len(), 10);
        assert_eq!(ContactChannel::SelfService.as_str(), "self_service");
    }

    #[test]
    fn unknown_channels_are_refused_with_the_list() {
        let err = ContactChannel::parse("fax").unwrap_err().to_string();
        assert_eq!(
            err,
            "must be one of email chat phone social sms chatbot video forum meeting \
             self_service; got \"fax\""
        );
        assert!(ContactChannel::parse("Email").is_err());
    }
}
