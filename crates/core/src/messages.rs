//! The emails and chat messages Advocate sends, in the recipient's language. Pure text
//! building: plain-text and HTML parts, with every value from users HTML-escaped.

use crate::labels::Language;
use crate::playbook::Priority;

/// An email's content; addresses are added by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailContent {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What an alert about a detractor (or an overdue case) says.
#[derive(Debug, Clone)]
pub struct AlertFacts<'a> {
    pub company: &'a str,
    pub case_id: i64,
    pub score: u8,
    pub customer: &'a str,
    pub comment: Option<&'a str>,
    pub priority: Priority,
    pub assignee: &'a str,
    /// When first contact is due, already formatted (e.g. "2026-11-23 14:00 UTC").
    pub due: &'a str,
    pub case_url: &'a str,
}

/// What a promoter's thank-you carries.
#[derive(Debug, Clone)]
pub struct ThankYouFacts<'a> {
    pub company: &'a str,
    pub name: Option<&'a str>,
    pub score: u8,
    pub discount_code: Option<&'a str>,
    /// (site name, URL) pairs.
    pub review_links: &'a [(String, String)],
    pub panel_invitation: bool,
    pub reward: bool,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Wraps paragraphs (already escaped) in a minimal, client-safe HTML document.
fn html_document(lang: &Language, paragraphs: &[String]) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!doctype html>\n<html lang=\"{}\"><body style=\"font-family: sans-serif; line-height: 1.5\">\n{body}</body></html>\n",
        lang.as_str()
    )
}

pub fn detractor_alert(lang: &Language, f: &AlertFacts) -> EmailContent {
    let subject = format!(
        "Detractor ({}) from {}: case #{} ({})",
        f.score,
        f.customer,
        f.case_id,
        f.priority.as_str()
    );
    let comment = f.comment.unwrap_or("(no comment)");
    let text = format!(
        "{customer} answered {score} and is a detractor.\n\nComment: {comment}\n\nCase #{id}, priority {priority}, assigned to {assignee}. First contact is due by {due}.\n{url}\n",
        customer = f.customer, score = f.score, id = f.case_id, priority = f.priority.as_str(),
        assignee = f.assignee, due = f.due, url = f.case_url
    );
    let html = html_document(
        lang,
        &[
            format!(
                "<strong>{}</strong> answered <strong>{}</strong> and is a detractor.",
                escape_html(f.customer),
                f.score
            ),
            format!("Comment: <em>{}</em>", escape_html(comment)),
            format!(
                "Case #{} — priority {}, assigned to {}. First contact is due by {}.",
                f.case_id,
                f.priority.as_str(),
                escape_html(f.assignee),
                escape_html(f.due)
            ),
            format!("<a href=\"{0}\">{0}</a>", escape_html(f.case_url)),
        ],
    );
    EmailContent {
        subject,
        text,
        html,
    }
}

pub fn escalation(lang: &Language, f: &AlertFacts) -> EmailContent {
    let subject = format!(
        "Overdue: case #{} ({}) has had no first contact",
        f.case_id,
        f.priority.as_str()
    );
    let text = format!(
        "Case #{id} for {customer} (score {score}) was due for first contact by {due} and is still waiting. Assigned to {assignee}.\n{url}\n",
        id = f.case_id, customer = f.customer, score = f.score, due = f.due, assignee = f.assignee, url = f.case_url
    );
    let html = html_document(lang, &[
        format!(
            "Case #{} for <strong>{}</strong> (score {}) was due for first contact by {} and is still waiting. Assigned to {}.",
            f.case_id, escape_html(f.customer), f.score, escape_html(f.due), escape_html(f.assignee)
        ),
        format!("<a href=\"{0}\">{0}</a>", escape_html(f.case_url)),
    ]);
    EmailContent {
        subject,
        text,
        html,
    }
}

pub fn thank_you(lang: &Language, f: &ThankYouFacts) -> EmailContent {
    let greeting = match f.name {
        Some(n) => format!("Dear {n},"),
        None => "Hello,".to_owned(),
    };
    let mut lines = vec![
        greeting,
        format!(
            "Thank you for recommending {} — it means a lot to us.",
            f.company
        ),
    ];
    if let Some(code) = f.discount_code {
        lines.push(format!(
            "As a thank-you, here is a personal discount code: {code}"
        ));
    }
    if !f.review_links.is_empty() {
        lines.push("Would you share your experience in a review?".to_owned());
    }
    if f.panel_invitation {
        lines.push(
            "We would also love to invite you to our customer panel, where we try new ideas first."
                .to_owned(),
        );
    }
    if f.reward {
        lines.push("And a reward is on its way to you.".to_owned());
    }
    let mut text = lines.join("\n\n");
    for (name, url) in f.review_links {
        text.push_str(&format!("\n{name}: {url}"));
    }
    text.push_str(&format!("\n\n{}\n", f.company));
    let mut paragraphs: Vec<String> = lines.iter().map(|l| escape_html(l)).collect();
    if !f.review_links.is_empty() {
        let links: Vec<String> = f
            .review_links
            .iter()
            .map(|(n, u)| format!("<a href=\"{}\">{}</a>", escape_html(u), escape_html(n)))
            .collect();
        paragraphs.push(links.join(" · "));
    }
    paragraphs.push(escape_html(f.company));
    EmailContent {
        subject: format!("Thank you from {}", f.company),
        text,
        html: html_document(lang, &paragraphs),
    }
}

pub fn passive_nudge(lang: &Language, company: &str, name: Option<&str>) -> EmailContent {
    let greeting = name.map_or("Hello,".to_owned(), |n| format!("Dear {n},"));
    let ask = format!("Thank you for your answer. What would it take for {company} to earn a 9 or 10 from you? Just reply to this email.");
    EmailContent {
        subject: format!("What would make {company} a 10 for you?"),
        text: format!("{greeting}\n\n{ask}\n\n{company}\n"),
        html: html_document(
            lang,
            &[
                escape_html(&greeting),
                escape_html(&ask),
                escape_html(company),
            ],
        ),
    }
}

pub fn resurvey(
    lang: &Language,
    company: &str,
    name: Option<&str>,
    survey_url: &str,
) -> EmailContent {
    let greeting = name.map_or("Hello,".to_owned(), |n| format!("Dear {n},"));
    let ask = format!("We have worked on what you told us. How likely are you now to recommend {company} to a friend or colleague?");
    EmailContent {
        subject: format!("{company}: how are we doing now?"),
        text: format!("{greeting}\n\n{ask}\n{survey_url}\n\n{company}\n"),
        html: html_document(
            lang,
            &[
                escape_html(&greeting),
                escape_html(&ask),
                format!("<a href=\"{0}\">{0}</a>", escape_html(survey_url)),
                escape_html(company),
            ],
        ),
    }
}

/// A one-line chat alert (Slack mrkdwn).
pub fn slack_alert(f: &AlertFacts) -> String {
    let comment = f.comment.map(|c| format!(" — “{c}”")).unwrap_or_default();
    format!(
        ":rotating_light: *Detractor ({})* from {}{} · case #{} ({}) assigned to {}, first contact due {} · {}",
        f.score, f.customer, comment, f.case_id, f.priority.as_str(), f.assignee, f.due, f.case_url
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(comment: Option<&'a str>) -> AlertFacts<'a> {
        AlertFacts {
            company: "Acme",
            case_id: 7,
            score: 2,
            customer: "<b>Eve</b>",
            comment,
            priority: Priority::High,
            assignee: "kari@example.com",
            due: "2026-11-24 10:00 UTC",
            case_url: "http://localhost/cases/7",
        }
    }

    #[test]
    fn alerts_escape_user_data_in_html() {
        let e = detractor_alert(&Language::english(), &facts(Some("<script>x</script>")));
        assert!(e.html.contains("&lt;script&gt;") && !e.html.contains("<script>"));
        assert!(
            e.text.contains("<script>x</script>"),
            "plain text keeps the words"
        );
        assert!(e.subject.contains("#7"));
    }

    #[test]
    fn thank_you_carries_code_and_links() {
        let links = [(
            "Trustpilot".to_owned(),
            "https://example.com/review".to_owned(),
        )];
        let f = ThankYouFacts {
            company: "Acme",
            name: Some("Kari"),
            score: 10,
            discount_code: Some("THANKS-42"),
            review_links: &links,
            panel_invitation: true,
            reward: true,
        };
        let e = thank_you(&Language::english(), &f);
        assert!(e.text.contains("THANKS-42") && e.html.contains("THANKS-42"));
        assert!(e.html.contains("href=\"https://example.com/review\""));
    }
}
