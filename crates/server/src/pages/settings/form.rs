//! The settings form: the stored settings as text, a post completed with what it left
//! out, and the text parsed back into settings.

use advocate_core::SlaHours;
use advocate_store::models::{AnonymousDetractors, ReviewLink, WorkspaceSettings};
use serde::Deserialize;

/// The settings form's fields, as text (what the person typed is shown again on errors).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    /// The workspace's name (emails and survey pages say it).
    pub name: String,
    /// Sent by the page with its checkboxes: without it, a post that leaves the
    /// checkboxes out keeps them as they are (an unchecked box is not sent at all).
    pub checkboxes: Option<String>,
    pub sender_email: String,
    pub sender_name: String,
    pub alerts_email: String,
    pub manager_email: String,
    pub slack_webhook_url: String,
    pub teams_webhook_url: String,
    pub default_queue: String,
    pub currency: String,
    pub passive_nudge: Option<String>,
    pub resurvey_after_resolution: Option<String>,
    pub require_two_factor: Option<String>,
    pub sla_critical: String,
    pub sla_high: String,
    pub sla_medium: String,
    pub sla_normal: String,
    /// One review site per line: `Name | https://…`.
    pub review_links: String,
    pub quiet_period_days: String,
    /// Empty for no reminder.
    pub reminder_after_days: String,
    pub invitation_valid_days: String,
    pub brand_color: String,
    pub logo_url: String,
    pub sms_sender: String,
    /// Empty keeps answers forever.
    pub answer_retention_months: String,
    pub enps_min_group_size: String,
    /// `review` (default) or `case`.
    pub anonymous_detractors: String,
}

impl SettingsForm {
    pub(super) fn from_settings(name: &str, s: &WorkspaceSettings) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            name: name.to_owned(),
            checkboxes: Some("1".into()),
            sender_email: text(&s.sender_email),
            sender_name: text(&s.sender_name),
            alerts_email: text(&s.alerts_email),
            manager_email: text(&s.manager_email),
            slack_webhook_url: text(&s.slack_webhook_url),
            teams_webhook_url: text(&s.teams_webhook_url),
            default_queue: s.default_queue.clone(),
            currency: s.currency.clone(),
            passive_nudge: s.passive_nudge.then(|| "1".into()),
            resurvey_after_resolution: s.resurvey_after_resolution.then(|| "1".into()),
            require_two_factor: s.require_two_factor.then(|| "1".into()),
            sla_critical: s.sla_hours.critical.to_string(),
            sla_high: s.sla_hours.high.to_string(),
            sla_medium: s.sla_hours.medium.to_string(),
            sla_normal: s.sla_hours.normal.to_string(),
            review_links: s
                .review_links
                .iter()
                .map(|l| format!("{} | {}", l.name, l.url))
                .collect::<Vec<_>>()
                .join("\n"),
            quiet_period_days: s.quiet_period_days.to_string(),
            reminder_after_days: s
                .reminder_after_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            invitation_valid_days: s.invitation_valid_days.to_string(),
            brand_color: s.brand_color.clone(),
            logo_url: text(&s.logo_url),
            sms_sender: text(&s.sms_sender),
            answer_retention_months: s
                .answer_retention_months
                .map(|m| m.to_string())
                .unwrap_or_default(),
            enps_min_group_size: s.enps_min_group_size.to_string(),
            anonymous_detractors: s.anonymous_detractors.as_str().to_owned(),
        }
    }

    /// The form as posted, with every field it did not carry taken from `current` (the
    /// form as the page shows it now): a post never resets what it does not mention.
    pub(super) fn completed(mut self, posted: &[(String, String)], current: &SettingsForm) -> Self {
        let sent = |name: &str| posted.iter().any(|(k, _)| k == name);
        macro_rules! keep {
            ($($field:ident),*) => {$(
                if !sent(stringify!($field)) {
                    self.$field = current.$field.clone();
                }
            )*};
        }
        keep!(
            name,
            sender_email,
            sender_name,
            alerts_email,
            manager_email,
            slack_webhook_url,
            teams_webhook_url,
            default_queue,
            currency,
            sla_critical,
            sla_high,
            sla_medium,
            sla_normal,
            review_links,
            quiet_period_days,
            reminder_after_days,
            invitation_valid_days,
            brand_color,
            logo_url,
            sms_sender,
            answer_retention_months,
            enps_min_group_size,
            anonymous_detractors
        );
        // An unchecked box is not posted: without the page's marker, a box left out of
        // the post keeps its state (a box that is posted is checked).
        if !sent("checkboxes") {
            if !sent("passive_nudge") {
                self.passive_nudge = current.passive_nudge.clone();
            }
            if !sent("resurvey_after_resolution") {
                self.resurvey_after_resolution = current.resurvey_after_resolution.clone();
            }
            if !sent("require_two_factor") {
                self.require_two_factor = current.require_two_factor.clone();
            }
        }
        self
    }

    /// The settings this form describes, or what is wrong with it.
    pub(super) fn parse(&self) -> Result<WorkspaceSettings, String> {
        let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let hours = |name: &str, v: &str| {
            v.trim().parse::<u32>().map_err(|_| {
                format!("The SLA for {name} must be a whole number of hours; got {v:?}")
            })
        };
        let days = |name: &str, v: &str| {
            v.trim()
                .parse::<u32>()
                .map_err(|_| format!("{name} must be a whole number of days; got {v:?}"))
        };
        let mut review_links = Vec::new();
        for (i, line) in self.review_links.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Some((name, url)) = line.split_once('|') else {
                return Err(format!(
                    "Review site line {} must be \"Name | https://…\"; got {line:?}",
                    i + 1
                ));
            };
            review_links.push(ReviewLink {
                name: name.trim().to_owned(),
                url: url.trim().to_owned(),
            });
        }
        Ok(WorkspaceSettings {
            sender_email: opt(&self.sender_email),
            sender_name: opt(&self.sender_name),
            alerts_email: opt(&self.alerts_email),
            manager_email: opt(&self.manager_email),
            slack_webhook_url: opt(&self.slack_webhook_url),
            teams_webhook_url: opt(&self.teams_webhook_url),
            default_queue: self.default_queue.trim().to_owned(),
            currency: self.currency.trim().to_uppercase(),
            passive_nudge: self.passive_nudge.is_some(),
            resurvey_after_resolution: self.resurvey_after_resolution.is_some(),
            require_two_factor: self.require_two_factor.is_some(),
            review_links,
            sla_hours: SlaHours {
                critical: hours("critical", &self.sla_critical)?,
                high: hours("high", &self.sla_high)?,
                medium: hours("medium", &self.sla_medium)?,
                normal: hours("normal", &self.sla_normal)?,
            },
            quiet_period_days: days("The quiet period", &self.quiet_period_days)?,
            reminder_after_days: opt(&self.reminder_after_days)
                .map(|d| days("The reminder delay", &d))
                .transpose()?,
            invitation_valid_days: days("Invitation validity", &self.invitation_valid_days)?,
            brand_color: self.brand_color.trim().to_owned(),
            logo_url: opt(&self.logo_url),
            sms_sender: opt(&self.sms_sender),
            answer_retention_months: opt(&self.answer_retention_months)
                .map(|m| {
                    m.parse::<u32>().map_err(|_| {
                        format!("Answer retention must be a whole number of months; got {m:?}")
                    })
                })
                .transpose()?,
            // Left empty: the default.
            enps_min_group_size: match opt(&self.enps_min_group_size) {
                None => WorkspaceSettings::default().enps_min_group_size,
                Some(n) => n.parse().map_err(|_| {
                    format!("The smallest eNPS group must be a whole number; got {n:?}")
                })?,
            },
            anonymous_detractors: match self.anonymous_detractors.trim() {
                "" | "review" => AnonymousDetractors::Review,
                "case" => AnonymousDetractors::Case,
                other => {
                    return Err(format!(
                        "Anonymous detractors must be \"review\" or \"case\"; got {other:?}"
                    ))
                }
            },
        })
    }
}
