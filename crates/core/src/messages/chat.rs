//! Chat payloads: Slack Block Kit messages and Microsoft Teams incoming-webhook messages
//! (an Adaptive Card 1.4), for a detractor's case and for a person's subscribed answers,
//! one at a time or gathered into one message; and the subscription's email, the same
//! words. Text from customers is escaped for each format: Slack reads `&`, `<` and `>` as
//! markup, Teams reads Markdown in a TextBlock.

use super::{
    alert_values, catalog, escape_slack, fill, priority_label, AlertFacts, Body, Catalog,
    EmailContent,
};
use crate::labels::{Language, SurveyKind};
use crate::score::{Category, Score};
use serde_json::{json, Value};

/// One answer a subscription's alert tells of.
#[derive(Debug, Clone)]
pub struct AnswerAlert<'a> {
    /// The survey's kind: how the score reads (CSAT out of 5; eNPS marked as such).
    pub kind: SurveyKind,
    pub score: u8,
    /// How the alert names the customer (their name, else their id, else "anonymous").
    pub customer: &'a str,
    pub comment: Option<&'a str>,
    /// The answer's case when it has one, else where it can be read in Advocate.
    pub url: &'a str,
}

/// At most this many answers are listed in one message (Slack takes 50 blocks); the
/// heading still counts them all.
pub const MAX_LISTED: usize = 20;
/// A comment longer than this is cut (Slack takes 3000 characters in a section).
const MAX_COMMENT_CHARS: usize = 1500;
/// Slack takes 150 characters in a header.
const MAX_HEADER_CHARS: usize = 150;

/// What a chat message says, before it is put in one format or the other.
struct Chat {
    /// The line shown in notifications (and the whole message of older clients).
    fallback: String,
    title: String,
    items: Vec<Item>,
}

/// One answer in a chat message: its heading only when several are listed.
struct Item {
    heading: Option<String>,
    comment: String,
    details: Option<String>,
    link: (&'static str, String),
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

fn category_label(c: &Catalog, score: u8) -> &'static str {
    match Score::new(i64::from(score)).map(Score::category) {
        Ok(Category::Promoter) => c.categories[0],
        Ok(Category::Passive) => c.categories[1],
        _ => c.categories[2],
    }
}

fn answer_heading(c: &Catalog, a: &AnswerAlert) -> String {
    // NPS categories are words of each language; the other kinds are named by their
    // (international) abbreviation, and CSAT's 1–5 scale is spelt out.
    let (score, category) = match a.kind {
        SurveyKind::Nps => (a.score.to_string(), category_label(c, a.score).to_owned()),
        SurveyKind::Enps => (
            a.score.to_string(),
            format!("eNPS, {}", category_label(c, a.score)),
        ),
        SurveyKind::Csat => (format!("{}/5", a.score), "CSAT".to_owned()),
    };
    fill(
        c.answer_alert,
        &[
            ("customer", a.customer),
            ("score", &score),
            ("category", &category),
        ],
    )
}

fn comment_of(c: &Catalog, comment: Option<&str>) -> String {
    match comment.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => cut(t, MAX_COMMENT_CHARS),
        None => c.no_comment.to_owned(),
    }
}

fn answers_chat(lang: &Language, answers: &[AnswerAlert]) -> Chat {
    let c = catalog(lang);
    let item = |a: &AnswerAlert, heading: bool| Item {
        heading: heading.then(|| answer_heading(c, a)),
        comment: comment_of(c, a.comment),
        details: None,
        link: (c.open_advocate, a.url.to_owned()),
    };
    match answers {
        [one] => Chat {
            fallback: format!(
                "{} — {}",
                answer_heading(c, one),
                comment_of(c, one.comment)
            ),
            title: answer_heading(c, one),
            items: vec![item(one, false)],
        },
        many => {
            let count = many.len().to_string();
            let title = fill(c.answer_digest, &[("count", &count)]);
            Chat {
                fallback: title.clone(),
                title,
                items: many
                    .iter()
                    .take(MAX_LISTED)
                    .map(|a| item(a, true))
                    .collect(),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Slack
// ---------------------------------------------------------------------------------------

/// A quoted block of mrkdwn: every line of the (escaped) text after `>`.
fn slack_quote(text: &str) -> String {
    escape_slack(text)
        .lines()
        .map(|l| format!(">{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn slack_button(label: &str, url: &str) -> Value {
    json!({"type": "button", "text": {"type": "plain_text", "text": label}, "url": url})
}

fn slack_message(fallback: String, chat: &Chat) -> Value {
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": cut(&escape_slack(&chat.title), MAX_HEADER_CHARS - 1)},
    })];
    for item in &chat.items {
        let quote = slack_quote(&item.comment);
        match &item.heading {
            // One of several: its heading, its comment and its button in one section.
            Some(heading) => {
                blocks.push(json!({"type": "divider"}));
                blocks.push(json!({
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": format!("*{}*\n{quote}", escape_slack(heading))},
                    "accessory": slack_button(item.link.0, &item.link.1),
                }));
            }
            None => {
                blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": quote}}));
                if let Some(details) = &item.details {
                    blocks.push(json!({
                        "type": "context",
                        "elements": [{"type": "mrkdwn", "text": escape_slack(details)}],
                    }));
                }
                blocks.push(json!({
                    "type": "actions",
                    "elements": [slack_button(item.link.0, &item.link.1)],
                }));
            }
        }
    }
    json!({"text": fallback, "blocks": blocks})
}

/// The detractor alert as a Slack Block Kit message: the score and customer as its
/// header, the comment quoted, the case's priority, assignee and due time, and a button
/// to the case. Its `text` is the one-line alert ([`super::slack_alert`]), which
/// notifications show.
pub fn slack_blocks(lang: &Language, f: &AlertFacts) -> Value {
    slack_message(super::slack_alert(lang, f), &case_chat(lang, f))
}

/// A subscription's alert about one answer as a Slack Block Kit message.
pub fn answer_alert_slack(lang: &Language, answer: &AnswerAlert) -> Value {
    let chat = answers_chat(lang, std::slice::from_ref(answer));
    slack_message(escape_slack(&chat.fallback), &chat)
}

/// A subscription's gathered answers as one Slack message: how many, and each (up to
/// [`MAX_LISTED`]) with its score, customer, comment and link.
pub fn answer_digest_slack(lang: &Language, answers: &[AnswerAlert]) -> Value {
    let chat = answers_chat(lang, answers);
    slack_message(escape_slack(&chat.fallback), &chat)
}

fn case_chat(lang: &Language, f: &AlertFacts) -> Chat {
    let c = catalog(lang);
    let (score, case) = (f.score.to_string(), f.case_id.to_string());
    let values = alert_values(f, &score, &case, priority_label(lang, f.priority));
    Chat {
        fallback: String::new(),
        title: fill(c.alert_subject, &values),
        items: vec![Item {
            heading: None,
            comment: comment_of(c, f.comment),
            details: Some(fill(c.alert_case, &values)),
            link: (c.open_case, f.case_url.to_owned()),
        }],
    }
}

// ---------------------------------------------------------------------------------------
// Microsoft Teams
// ---------------------------------------------------------------------------------------

/// Escapes what a Teams TextBlock reads as Markdown (emphasis, links, code, headings,
/// quotes, lists) with backslashes, so customer text shows as written.
pub fn escape_teams(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut line_start = true;
    for ch in s.chars() {
        let markup = matches!(
            ch,
            '\\' | '*' | '_' | '[' | ']' | '`' | '~' | '<' | '>' | '#' | '|'
        ) || (line_start && matches!(ch, '-' | '+'));
        if markup {
            out.push('\\');
        }
        out.push(ch);
        line_start = ch == '\n' || (line_start && ch == ' ');
    }
    out
}

fn text_block(text: &str, extra: Value) -> Value {
    let mut block = json!({"type": "TextBlock", "text": escape_teams(text), "wrap": true});
    if let (Some(block), Value::Object(extra)) = (block.as_object_mut(), extra) {
        block.extend(extra);
    }
    block
}

fn open_url(label: &str, url: &str) -> Value {
    json!({"type": "Action.OpenUrl", "title": label, "url": url})
}

fn teams_message(chat: &Chat) -> Value {
    let mut body = vec![text_block(
        &chat.title,
        json!({"size": "Medium", "weight": "Bolder"}),
    )];
    let mut actions = Vec::new();
    for item in &chat.items {
        match &item.heading {
            Some(heading) => body.push(json!({
                "type": "Container",
                "separator": true,
                "items": [
                    text_block(heading, json!({"weight": "Bolder"})),
                    text_block(&item.comment, json!({"isSubtle": true})),
                    {"type": "ActionSet", "actions": [open_url(item.link.0, &item.link.1)]},
                ],
            })),
            None => {
                body.push(text_block(&item.comment, json!({"isSubtle": true})));
                if let Some(details) = &item.details {
                    body.push(text_block(details, json!({"size": "Small"})));
                }
                actions.push(open_url(item.link.0, &item.link.1));
            }
        }
    }
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    });
    if !actions.is_empty() {
        card["actions"] = Value::Array(actions);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    })
}

/// The detractor alert as a Microsoft Teams incoming-webhook message: an Adaptive Card
/// with the score and customer, the comment, the case's details and a button to it.
pub fn teams_card(lang: &Language, f: &AlertFacts) -> Value {
    teams_message(&case_chat(lang, f))
}

/// The overdue alert (a case past its first-contact SLA) as a Teams message: the same
/// words as the escalation email, the comment, and a button to the case.
pub fn teams_overdue_card(lang: &Language, f: &AlertFacts) -> Value {
    let c = catalog(lang);
    let (score, case) = (f.score.to_string(), f.case_id.to_string());
    let values = alert_values(f, &score, &case, priority_label(lang, f.priority));
    teams_message(&Chat {
        fallback: String::new(),
        title: fill(c.overdue_subject, &values),
        items: vec![Item {
            heading: None,
            comment: comment_of(c, f.comment),
            details: Some(fill(c.overdue_body, &values)),
            link: (c.open_case, f.case_url.to_owned()),
        }],
    })
}

/// A subscription's alert about one answer as a Teams message.
pub fn answer_alert_teams(lang: &Language, answer: &AnswerAlert) -> Value {
    teams_message(&answers_chat(lang, std::slice::from_ref(answer)))
}

/// A subscription's gathered answers as one Teams message.
pub fn answer_digest_teams(lang: &Language, answers: &[AnswerAlert]) -> Value {
    teams_message(&answers_chat(lang, answers))
}

// ---------------------------------------------------------------------------------------
// Email
// ---------------------------------------------------------------------------------------

fn answers_email(lang: &Language, answers: &[AnswerAlert]) -> EmailContent {
    let c = catalog(lang);
    let chat = answers_chat(lang, answers);
    let mut body = Body::new(c);
    for (item, answer) in chat.items.iter().zip(answers) {
        let heading = item.heading.clone().unwrap_or_else(|| chat.title.clone());
        body.para("{heading}", &[("heading", &heading)]);
        body.para(c.comment, &[("comment", &item.comment)]);
        body.links(&[(c.open_advocate, answer.url)]);
    }
    body.finish(chat.title)
}

/// A subscription's alert about one answer as an email, in the subscriber's language.
pub fn answer_alert_email(lang: &Language, answer: &AnswerAlert) -> EmailContent {
    answers_email(lang, std::slice::from_ref(answer))
}

/// A subscription's gathered answers as one email.
pub fn answer_digest_email(lang: &Language, answers: &[AnswerAlert]) -> EmailContent {
    answers_email(lang, answers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::Priority;

    fn facts() -> AlertFacts<'static> {
        AlertFacts {
            company: "Acme",
            case_id: 7,
            score: 2,
            customer: "<b>Eve</b>",
            comment: Some("*Slow* & <rude>\n[click](http://evil)"),
            priority: Priority::High,
            assignee: "kari@example.com",
            due: "2026-11-24 10:00 UTC",
            case_url: "http://localhost/cases/7",
        }
    }

    fn answer(score: u8, comment: Option<&'static str>) -> AnswerAlert<'static> {
        AnswerAlert {
            kind: SurveyKind::Nps,
            score,
            customer: "Eve & co",
            comment,
            url: "http://localhost/cases/9",
        }
    }

    #[test]
    fn slack_blocks_carry_the_one_line_text_the_comment_quoted_and_a_button_to_the_case() {
        let en = Language::english();
        let m = slack_blocks(&en, &facts());
        assert_eq!(m["text"], super::super::slack_alert(&en, &facts()));
        let blocks = m["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert!(blocks[0]["text"]["text"].as_str().unwrap().contains("(2)"));
        let quote = blocks[1]["text"]["text"].as_str().unwrap();
        assert_eq!(quote, ">*Slow* &amp; &lt;rude&gt;\n>[click](http://evil)");
        let actions = blocks.iter().find(|b| b["type"] == "actions").unwrap();
        assert_eq!(actions["elements"][0]["url"], "http://localhost/cases/7");
        assert_eq!(actions["elements"][0]["text"]["text"], "Open the case");
    }

    #[test]
    fn teams_cards_are_adaptive_cards_with_an_open_url_action_and_escaped_markdown() {
        let nb = Language::new("nb").unwrap();
        let m = teams_card(&nb, &facts());
        assert_eq!(m["type"], "message");
        let attachment = &m["attachments"][0];
        assert_eq!(
            attachment["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let card = &attachment["content"];
        assert_eq!(
            (&card["type"], &card["version"]),
            (&json!("AdaptiveCard"), &json!("1.4"))
        );
        assert_eq!(card["actions"][0]["type"], "Action.OpenUrl");
        assert_eq!(card["actions"][0]["url"], "http://localhost/cases/7");
        assert_eq!(card["actions"][0]["title"], "Åpne saken");
        let comment = card["body"][1]["text"].as_str().unwrap();
        assert_eq!(comment, "\\*Slow\\* & \\<rude\\>\n\\[click\\](http://evil)");
        assert!(card["body"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Kritiker (2)"));
    }

    #[test]
    fn csat_and_enps_alerts_read_on_their_own_scale() {
        let en = Language::english();
        let csat = AnswerAlert {
            kind: SurveyKind::Csat,
            ..answer(2, None)
        };
        let title = answer_alert_email(&en, &csat).subject;
        assert!(title.contains("2/5") && title.contains("CSAT"), "{title}");
        assert!(!title.contains("detractor"), "{title}");
        let enps = AnswerAlert {
            kind: SurveyKind::Enps,
            customer: "anonymous",
            ..answer(3, None)
        };
        let title = answer_alert_email(&en, &enps).subject;
        assert!(title.contains("eNPS, detractor"), "{title}");
    }

    #[test]
    fn the_overdue_teams_card_names_the_case_and_escapes_the_comment() {
        let en = Language::english();
        let m = teams_overdue_card(&en, &facts());
        let card = &m["attachments"][0]["content"];
        assert_eq!(card["type"], "AdaptiveCard");
        let title = card["body"][0]["text"].as_str().unwrap();
        assert!(title.starts_with("Overdue: case \\#7"), "{title}");
        assert_eq!(
            card["body"][1]["text"],
            "\\*Slow\\* & \\<rude\\>\n\\[click\\](http://evil)"
        );
        assert!(card["body"][2]["text"]
            .as_str()
            .unwrap()
            .contains("2026-11-24 10:00 UTC"));
        assert_eq!(card["actions"][0]["url"], "http://localhost/cases/7");
    }

    #[test]
    fn teams_escaping_covers_list_and_heading_markers() {
        assert_eq!(escape_teams("- a\n+ b # c"), "\\- a\n\\+ b \\# c");
        assert_eq!(escape_teams("2026-11-24"), "2026-11-24");
    }

    #[test]
    fn an_answer_alert_names_score_category_customer_and_comment_in_every_language() {
        for lang in crate::i18n::SUPPORTED {
            let lang = Language::new(lang).unwrap();
            let a = answer(3, Some("Too slow"));
            let slack = answer_alert_slack(&lang, &a);
            let text = slack["text"].as_str().unwrap();
            assert!(
                text.contains('3') && text.contains("Eve &amp; co"),
                "{text}"
            );
            assert!(text.contains("Too slow"), "{text}");
            let email = answer_alert_email(&lang, &a);
            assert!(email.text.contains("Too slow") && email.text.contains(a.url));
            assert!(email.html.contains("Eve &amp; co"));
            let teams = answer_alert_teams(&lang, &a);
            assert_eq!(
                teams["attachments"][0]["content"]["actions"][0]["url"],
                a.url
            );
        }
        let nl = answer_alert_slack(&Language::new("nl").unwrap(), &answer(10, None));
        assert!(nl["text"].as_str().unwrap().contains("promotor"));
    }

    #[test]
    fn a_digest_lists_every_answer_with_its_link_up_to_the_limit() {
        let en = Language::english();
        let three = [
            answer(1, Some("one")),
            answer(2, None),
            answer(3, Some("three")),
        ];
        let slack = answer_digest_slack(&en, &three);
        assert_eq!(slack["text"], "3 answers matched your alert");
        let sections: Vec<&Value> = slack["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["type"] == "section")
            .collect();
        assert_eq!(sections.len(), 3);
        assert_eq!(sections[0]["accessory"]["url"], three[0].url);
        let teams = answer_digest_teams(&en, &three);
        let body = teams["attachments"][0]["content"]["body"]
            .as_array()
            .unwrap();
        assert_eq!(body.iter().filter(|b| b["type"] == "Container").count(), 3);
        let email = answer_digest_email(&en, &three);
        assert_eq!(email.subject, "3 answers matched your alert");
        assert!(email.text.contains("one") && email.text.contains("three"));

        let many: Vec<AnswerAlert> = (0..30).map(|_| answer(0, None)).collect();
        let slack = answer_digest_slack(&en, &many);
        assert_eq!(slack["text"], "30 answers matched your alert");
        assert!(slack["blocks"].as_array().unwrap().len() <= 50);
    }
}
