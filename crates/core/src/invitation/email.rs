//! The invitation email: the question with the whole scale as one-click links, in the
//! workspace's colours, as plain text and as HTML.

use super::{personal, Branding, InvitationFacts, InvitationTexts};
use crate::labels::{Language, SurveyKind};
use crate::messages::{escape_html, message_language, EmailContent};
use crate::score::{Category, Score};

/// [`personal`] for HTML: the template and the values are escaped.
fn personal_html(template: &str, company: &str, name: Option<&str>) -> String {
    personal(
        &escape_html(template),
        &escape_html(company),
        name.map(escape_html).as_deref(),
    )
}

/// The colours of a score's button: the dashboard's category palette (style.css).
fn score_colors(kind: SurveyKind, score: u8) -> (&'static str, &'static str) {
    let category = match kind {
        SurveyKind::Nps | SurveyKind::Enps => Score::new(i64::from(score))
            .map(Score::category)
            .unwrap_or(Category::Detractor),
        // CSAT: 4–5 satisfied, 3 neutral, 1–2 dissatisfied.
        SurveyKind::Csat => match score {
            4.. => Category::Promoter,
            3 => Category::Passive,
            _ => Category::Detractor,
        },
    };
    match category {
        Category::Promoter => ("#3f9b57", "#ffffff"),
        Category::Passive => ("#e3a21a", "#1f2430"),
        Category::Detractor => ("#c8453c", "#ffffff"),
    }
}

/// The brand colour if it is a plain hex colour (it is written into CSS), else the
/// dashboard's accent.
fn brand_color(color: &str) -> &str {
    let hex = color.strip_prefix('#').unwrap_or_default();
    if matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        color
    } else {
        "#2f5bd3"
    }
}

const FONT: &str = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

/// An invitation email: the question with the whole scale as links, so one click
/// answers. Table layout and inline styles, because email clients ignore the rest.
pub fn invitation_email(t: &InvitationTexts, b: &Branding, f: &InvitationFacts) -> EmailContent {
    let lang = Language::new(&t.lang).map_or("en", |l| message_language(&l));
    let (subject, intro) = if f.reminder {
        (&t.reminder_subject, &t.reminder_intro)
    } else {
        (&t.subject, &t.intro)
    };
    let (low, high) = f.kind.scale();
    let draft = Draft {
        t,
        f,
        company: b.company,
        name: f.name.map(str::trim).filter(|n| !n.is_empty()),
        intro,
        scores: (low..=high).map(|n| (n, (f.score_url)(n))).collect(),
    };
    let subject = draft.text_of(subject);
    EmailContent {
        text: draft.text(),
        html: draft.html(b, lang, &subject),
        subject,
    }
}

/// One invitation email as it is written: its texts and facts, the intro (of a first
/// invitation or a reminder), the person's name, and the one-click link of every score.
struct Draft<'a> {
    t: &'a InvitationTexts,
    f: &'a InvitationFacts<'a>,
    company: &'a str,
    name: Option<&'a str>,
    intro: &'a str,
    scores: Vec<(u8, String)>,
}

impl Draft<'_> {
    fn text_of(&self, template: &str) -> String {
        personal(template, self.company, self.name)
    }

    fn html_of(&self, template: &str) -> String {
        personal_html(template, self.company, self.name)
    }

    /// Plain text: every score on its own line, so a text-only reader can still click.
    fn text(&self) -> String {
        let (low, high) = self.f.kind.scale();
        let mut text = vec![
            self.text_of(&self.t.greeting),
            self.text_of(self.intro),
            self.text_of(&self.t.question),
            format!(
                "{low} = {}, {high} = {}",
                self.text_of(&self.t.low_label),
                self.text_of(&self.t.high_label)
            ),
        ];
        let lines: Vec<String> = self
            .scores
            .iter()
            .map(|(n, url)| format!("{n} – {url}"))
            .collect();
        text.push(lines.join("\n"));
        text.push(format!(
            "{}: {}",
            self.text_of(&self.t.open_survey),
            self.f.survey_url
        ));
        text.push(format!(
            "{}\n{}: {}",
            self.text_of(&self.t.footer),
            self.text_of(&self.t.unsubscribe),
            self.f.unsubscribe_url
        ));
        format!("{}\n", text.join("\n\n"))
    }

    /// The logo, or else the company's name in the brand colour.
    fn header(b: &Branding, color: &str, company: &str) -> String {
        match b.logo_url.filter(|u| !u.trim().is_empty()) {
            Some(logo) => format!(
                "<img src=\"{}\" alt=\"{company}\" height=\"40\" style=\"display:block;height:40px;max-width:240px;border:0\">",
                escape_html(logo)
            ),
            None => format!(
                "<span style=\"{FONT};font-size:20px;font-weight:bold;color:{color}\">{company}</span>"
            ),
        }
    }

    /// A button per score, each its one-click link.
    fn score_cells(&self) -> String {
        self.scores
            .iter()
            .map(|(n, url)| {
                let (bg, fg) = score_colors(self.f.kind, *n);
                format!(
                    "<td align=\"center\" style=\"padding:2px\"><a href=\"{}\" style=\"display:block;padding:10px 0;background:{bg};color:{fg};{FONT};font-size:16px;font-weight:bold;text-decoration:none;border-radius:4px\">{n}</a></td>",
                    escape_html(url)
                )
            })
            .collect()
    }

    /// The HTML part: header, greeting, question, the scale, the survey link and footer.
    fn html(&self, b: &Branding, lang: &str, subject: &str) -> String {
        let color = brand_color(b.color);
        let company = escape_html(b.company);
        let header = Self::header(b, color, &company);
        let cells = self.score_cells();
        let p = |style: &str, content: String| {
            format!("<p style=\"margin:0 0 16px;{style}\">{content}</p>\n")
        };
        let mut html = String::with_capacity(8 * 1024);
        html.push_str(&format!(
            "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{}</title></head>\n\
             <body style=\"margin:0;padding:0;background:#f4f5f7\">\n\
             <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"background:#f4f5f7\"><tr><td align=\"center\" style=\"padding:24px 12px\">\n\
             <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"max-width:600px;background:#ffffff;border-top:4px solid {color};border-radius:8px\">\n\
             <tr><td style=\"padding:24px 24px 0\">{header}</td></tr>\n\
             <tr><td style=\"padding:24px 24px 8px;{FONT};font-size:16px;line-height:1.5;color:#1f2430\">\n",
            escape_html(subject)
        ));
        html.push_str(&p("", self.html_of(&self.t.greeting)));
        html.push_str(&p("", self.html_of(self.intro)));
        html.push_str(&p(
            "font-size:18px;font-weight:bold",
            self.html_of(&self.t.question),
        ));
        html.push_str("</td></tr>\n<tr><td style=\"padding:0 22px\">\n");
        html.push_str(&format!(
            "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"table-layout:fixed\"><tr>{cells}</tr></table>\n\
             <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>\
             <td align=\"left\" style=\"padding:6px 2px 0;{FONT};font-size:13px;color:#5d6473\">{}</td>\
             <td align=\"right\" style=\"padding:6px 2px 0;{FONT};font-size:13px;color:#5d6473\">{}</td></tr></table>\n",
            self.html_of(&self.t.low_label),
            self.html_of(&self.t.high_label)
        ));
        html.push_str(&format!(
            "</td></tr>\n<tr><td align=\"center\" style=\"padding:24px;{FONT};font-size:15px\">\
             <a href=\"{}\" style=\"color:{color}\">{}</a></td></tr>\n",
            escape_html(self.f.survey_url),
            self.html_of(&self.t.open_survey)
        ));
        html.push_str(&format!(
            "<tr><td style=\"padding:16px 24px 24px;border-top:1px solid #dfe2e8;{FONT};font-size:12px;line-height:1.5;color:#5d6473\">\
             {}<br><a href=\"{}\" style=\"color:#5d6473\">{}</a></td></tr>\n\
             </table>\n\
             <img src=\"{}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;width:1px;height:1px;border:0\">\n\
             </td></tr></table>\n</body></html>\n",
            self.html_of(&self.t.footer),
            escape_html(self.f.unsubscribe_url),
            self.html_of(&self.t.unsubscribe),
            escape_html(self.f.open_pixel_url)
        ));
        html
    }
}
