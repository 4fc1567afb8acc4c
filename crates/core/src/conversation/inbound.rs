//! An email that came back: parsed, its recipients listed so the caller can find the case
//! ([`super::address::case_of_address`]), the customer's own words separated from the
//! quoted earlier message, attachments listed (not kept), and automatic replies and
//! bounces recognised so they never count as the customer answering.

use mail_parser::decoders::html::html_to_text;
use mail_parser::{
    Address, HeaderName, HeaderValue, Message, MessageParser, MimeHeaders, PartType,
};
use serde::{Deserialize, Serialize};

mod quotes;

pub use quotes::strip_quoted;

/// The largest email accepted, in raw bytes.
pub const MAX_INBOUND_BYTES: usize = 10 * 1024 * 1024;

/// What kind of message came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    /// Written by a person: the customer answering.
    Reply,
    /// An out-of-office or other automatic answer.
    AutoReply,
    /// A delivery failure report.
    Bounce,
}

impl Nature {
    pub const ALL: [Nature; 3] = [Self::Reply, Self::AutoReply, Self::Bounce];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::AutoReply => "auto_reply",
            Self::Bounce => "bounce",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.as_str() == s)
    }
}

/// A file that came with an email: listed so the agent knows of it; its content is not kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: u64,
}

/// A parsed incoming email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// Without angle brackets.
    pub in_reply_to: Vec<String>,
    /// Without angle brackets.
    pub references: Vec<String>,
    /// The sender's address, lowercased; empty if there is none.
    pub from: String,
    pub from_name: Option<String>,
    /// Lowercased addresses from To, Cc, Delivered-To, X-Original-To and Envelope-To,
    /// each once.
    pub recipients: Vec<String>,
    /// Decoded, on one line.
    pub subject: String,
    /// The whole text body (the plain-text part, or the HTML part turned into text).
    pub text: String,
    /// `text` without the quoted earlier message and the signature, trimmed.
    pub reply: String,
    pub attachments: Vec<Attachment>,
    pub nature: Nature,
    /// Raw size in bytes.
    pub size: usize,
}

/// Why raw bytes were not taken as an email.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    #[error("The email is {size} bytes, more than the limit of {limit} bytes.")]
    TooLarge { size: usize, limit: usize },
    #[error("This is not an email: {0}.")]
    NotAnEmail(String),
}

/// Parses a raw RFC 5322 email.
pub fn parse(raw: &[u8]) -> Result<InboundMail, InboundError> {
    check_size(raw.len())?;
    let message = MessageParser::default().parse(raw).ok_or_else(no_headers)?;
    check_is_email(&message)?;
    let text = body_text(&message);
    let mut mail = from_headers(&message, raw.len());
    mail.reply = strip_quoted(&text);
    mail.text = text;
    mail.attachments = message.attachments().map(attachment).collect();
    if has_delivery_status_part(&message) {
        mail.nature = Nature::Bounce;
    }
    Ok(mail)
}

/// Only headers are known (a message over the size limit whose body was not fetched):
/// parses what there is, with `text` and `reply` empty, so it can be listed as too large.
/// `size` is the whole message's size.
pub fn parse_headers(raw_headers: &[u8], size: usize) -> Result<InboundMail, InboundError> {
    check_size(raw_headers.len())?;
    let message = MessageParser::default()
        .parse_headers(raw_headers)
        .ok_or_else(no_headers)?;
    check_is_email(&message)?;
    Ok(from_headers(&message, size))
}

fn check_size(size: usize) -> Result<(), InboundError> {
    if size > MAX_INBOUND_BYTES {
        return Err(InboundError::TooLarge {
            size,
            limit: MAX_INBOUND_BYTES,
        });
    }
    Ok(())
}

fn no_headers() -> InboundError {
    InboundError::NotAnEmail("it has no header lines (such as From: or Subject:)".into())
}

/// The parser accepts nearly anything with a colon; an email names a sender, a recipient,
/// a subject or an id.
fn check_is_email(message: &Message) -> Result<(), InboundError> {
    let known = [
        HeaderName::From,
        HeaderName::To,
        HeaderName::Subject,
        HeaderName::MessageId,
        HeaderName::Date,
    ];
    if known
        .iter()
        .any(|name| message.header(name.clone()).is_some())
    {
        Ok(())
    } else {
        Err(InboundError::NotAnEmail(
            "it has none of the headers From, To, Subject, Date or Message-ID".into(),
        ))
    }
}

fn from_headers(message: &Message, size: usize) -> InboundMail {
    let sender = message.from().and_then(Address::first);
    let from = sender
        .and_then(|a| a.address.as_deref())
        .map(|a| a.trim().to_lowercase())
        .unwrap_or_default();
    let from_name = sender
        .and_then(|a| a.name.as_deref())
        .map(one_line)
        .filter(|n| !n.is_empty());
    let subject = message.subject().map(one_line).unwrap_or_default();
    let mut mail = InboundMail {
        message_id: message.message_id().and_then(clean_id),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        from,
        from_name,
        recipients: recipients(message),
        subject,
        text: String::new(),
        reply: String::new(),
        attachments: Vec::new(),
        nature: Nature::Reply,
        size,
    };
    mail.nature = nature(message, &mail);
    mail
}

fn clean_id(id: &str) -> Option<String> {
    let id = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (!id.is_empty()).then(|| id.to_owned())
}

fn ids(value: &HeaderValue) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => clean_id(id).into_iter().collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|id| clean_id(id)).collect(),
        _ => Vec::new(),
    }
}

/// Folded or encoded header text on one line, with runs of white space made one space.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The raw values of every header named `name` (any letter case), unfolded.
fn raw_values<'a>(message: &'a Message, name: &'a str) -> impl Iterator<Item = String> + 'a {
    message
        .headers_raw()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| one_line(v))
}

fn recipients(message: &Message) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |address: &str| {
        let address = address
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim()
            .to_lowercase();
        if address.contains('@') && !out.contains(&address) {
            out.push(address);
        }
    };
    for list in message.all_to().chain(message.all_cc()) {
        for a in list.iter() {
            if let Some(address) = a.address.as_deref() {
                add(address);
            }
        }
    }
    for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        for value in raw_values(message, name) {
            for item in value.split(',') {
                // "Name <a@b>" or a bare address.
                let item = match (item.find('<'), item.rfind('>')) {
                    (Some(open), Some(close)) if open < close => &item[open + 1..close],
                    _ => item,
                };
                add(item);
            }
        }
    }
    out
}

/// Every text body part, HTML ones turned into text, joined; line ends made `\n`.
fn body_text(message: &Message) -> String {
    let parts: Vec<String> = message
        .text_bodies()
        .filter_map(|part| match &part.body {
            PartType::Text(text) => Some(text.to_string()),
            PartType::Html(html) => Some(html_to_text(&block_tags_as_breaks(html))),
            _ => None,
        })
        .collect();
    parts.join("\n").replace("\r\n", "\n").replace('\r', "\n")
}

/// The HTML-to-text conversion breaks lines only at `<br>` and `</p>`; mail clients put
/// each line in a `<div>`, so block ends become breaks too.
fn block_tags_as_breaks(html: &str) -> String {
    const BLOCKS: [&str; 13] = [
        "</div",
        "</li",
        "</tr",
        "</h1",
        "</h2",
        "</h3",
        "</h4",
        "</h5",
        "</h6",
        "</table",
        "</blockquote",
        "<blockquote",
        "<hr",
    ];
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len() + 64);
    let mut last = 0;
    for (pos, _) in lower.match_indices('<') {
        let rest = &lower[pos..];
        let is_block = BLOCKS.iter().any(|tag| {
            rest.starts_with(tag)
                && rest[tag.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c == '>' || c == '/' || c.is_ascii_whitespace())
        });
        if is_block {
            out.push_str(&html[last..pos]);
            out.push_str("<br>");
            last = pos;
        }
    }
    out.push_str(&html[last..]);
    out
}

fn attachment(part: &mail_parser::MessagePart) -> Attachment {
    let content_type = part
        .content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_owned(),
        })
        .map(|t| t.to_ascii_lowercase())
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let name = part
        .attachment_name()
        .map(one_line)
        .filter(|n| !n.is_empty())
        .or_else(|| match &part.body {
            PartType::Message(m) => m.subject().map(|s| format!("{}.eml", one_line(s))),
            _ => None,
        })
        .unwrap_or_else(|| "unnamed".to_owned());
    Attachment {
        name,
        content_type,
        size: part.contents().len() as u64,
    }
}

fn is_type(ct: Option<&mail_parser::ContentType>, ctype: &str, subtype: &str) -> bool {
    ct.is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case(ctype)
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case(subtype))
    })
}

fn has_delivery_status_part(message: &Message) -> bool {
    message
        .parts
        .iter()
        .any(|p| is_type(p.content_type(), "message", "delivery-status"))
}

fn nature(message: &Message, mail: &InboundMail) -> Nature {
    let root_type = message.root_part().content_type();
    let is_dsn = is_type(root_type, "multipart", "report")
        && root_type
            .and_then(|ct| ct.attribute("report-type"))
            .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"));
    let failure_subject = is_delivery_failure_subject(&mail.subject);
    let daemon = mail
        .from
        .split('@')
        .next()
        .is_some_and(|local| matches!(local, "mailer-daemon" | "postmaster"));
    let null_sender = raw_values(message, "Return-Path").any(|v| v.replace(' ', "") == "<>");
    if is_dsn || (failure_subject && (daemon || null_sender)) {
        return Nature::Bounce;
    }
    if is_automatic(message) || is_out_of_office_subject(&mail.subject) {
        return Nature::AutoReply;
    }
    Nature::Reply
}

/// Headers that mark a message as sent by a machine. `X-Auto-Response-Suppress` is not one:
/// Outlook sends it on ordinary mail.
fn is_automatic(message: &Message) -> bool {
    let auto_submitted = raw_values(message, "Auto-Submitted").any(|v| {
        let kind = v.split(';').next().unwrap_or("").trim();
        !kind.is_empty() && !kind.eq_ignore_ascii_case("no")
    });
    let autoreply_header = ["X-Autoreply", "X-Autorespond"]
        .into_iter()
        .any(|name| raw_values(message, name).next().is_some());
    let precedence = raw_values(message, "Precedence").any(|v| {
        let v = v.trim().to_ascii_lowercase();
        matches!(v.as_str(), "auto_reply" | "bulk" | "junk")
    });
    auto_submitted || autoreply_header || precedence
}

/// Subject phrases of delivery failures, lowercase.
const FAILURE_SUBJECTS: [&str; 20] = [
    "undeliverable",
    "undelivered mail",
    "delivery status notification",
    "delivery failure",
    "delivery has failed",
    "mail delivery failed",
    "failure notice",
    "returned mail",
    "returned to sender",
    "could not be delivered",
    "unzustellbar",
    "nicht zugestellt",
    "onbestelbaar",
    "kan ikke leveres",
    "kunne ikke leveres",
    "kunde inte levereras",
    "olevererbart",
    "ei voitu toimittaa",
    "toimitus epäonnistui",
    "niet afgeleverd",
];

fn is_delivery_failure_subject(subject: &str) -> bool {
    let subject = subject.to_lowercase();
    FAILURE_SUBJECTS.iter().any(|p| subject.contains(p))
}

/// Out-of-office phrases (en, nb, sv, da, fi, de, nl), lowercase. Phrases of several words
/// count anywhere in the subject; single common words only at its start.
const OUT_OF_OFFICE_ANYWHERE: [&str; 12] = [
    "out of office",
    "out of the office",
    "automatic reply",
    "auto-reply",
    "autoreply",
    "automatisk svar",
    "automatiskt svar",
    "automaattinen vastaus",
    "abwesenheitsnotiz",
    "automatische antwort",
    "automatisch antwoord",
    "afwezigheidsbericht",
];
const OUT_OF_OFFICE_START: [&str; 6] = [
    "auto:",
    "fraværende",
    "frånvarande",
    "autosvar",
    "poissa",
    "afwezig",
];

fn is_out_of_office_subject(subject: &str) -> bool {
    let subject = subject.trim().to_lowercase();
    OUT_OF_OFFICE_ANYWHERE.iter().any(|p| subject.contains(p))
        || OUT_OF_OFFICE_START.iter().any(|p| subject.starts_with(p))
}

#[cfg(test)]
mod tests;
