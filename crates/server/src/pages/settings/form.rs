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
    /// Which section of the page sent the post (its errors and "saved" are shown there).
    pub section: String,
    /// The checkboxes the posting form carries, comma-separated ("1": all of them): a box
    /// it carries and did not send was unticked; a box it does not carry keeps its state
    /// (an unchecked box is not sent at all, so its absence alone says nothing).
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
            section: String::new(),
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
        // A box that is posted is ticked; one the posting form carries and did not post
        // was unticked; any other keeps its state.
        let carried = |name: &str| {
            posted.iter().any(|(k, v)| {
                k == "checkboxes" && (v == "1" || v.split(',').any(|b| b.trim() == name))
            })
        };
        macro_rules! keep_box {
            ($($field:ident),*) => {$(
                if !sent(stringify!($field)) && !carried(stringify!($field)) {
                    self.$field = current.$field.clone();
                }
            )*};
        }
        keep_box!(passive_nudge, resurvey_after_resolution, require_two_factor);
        self
    }

    /// The settings this form describes, or what is wrong with it and in which field.
    pub(super) fn parse(&self) -> Result<WorkspaceSettings, Refusal> {
        let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let whole = |field: &'static str, what: &str, unit: &str, v: &str| {
            v.trim().parse::<u32>().map_err(|_| Refusal {
                field: Some(field),
                message: format!("{what} must be a whole number{unit}; got {v:?}"),
            })
        };
        let hours = |field, name: &str, v: &str| {
            whole(field, &format!("The SLA for {name}"), " of hours", v)
        };
        let mut review_links = Vec::new();
        for (i, line) in self.review_links.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Some((name, url)) = line.split_once('|') else {
                return Err(Refusal {
                    field: Some("review_links"),
                    message: format!(
                        "Review site line {} must be \"Name | https://…\"; got {line:?}",
                        i + 1
                    ),
                });
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
                critical: hours("sla_critical", "critical", &self.sla_critical)?,
                high: hours("sla_high", "high", &self.sla_high)?,
                medium: hours("sla_medium", "medium", &self.sla_medium)?,
                normal: hours("sla_normal", "normal", &self.sla_normal)?,
            },
            quiet_period_days: whole(
                "quiet_period_days",
                "The quiet period",
                " of days",
                &self.quiet_period_days,
            )?,
            reminder_after_days: opt(&self.reminder_after_days)
                .map(|d| whole("reminder_after_days", "The reminder delay", " of days", &d))
                .transpose()?,
            invitation_valid_days: whole(
                "invitation_valid_days",
                "Invitation validity",
                " of days",
                &self.invitation_valid_days,
            )?,
            brand_color: self.brand_color.trim().to_owned(),
            logo_url: opt(&self.logo_url),
            sms_sender: opt(&self.sms_sender),
            answer_retention_months: opt(&self.answer_retention_months)
                .map(|m| {
                    whole(
                        "answer_retention_months",
                        "Answer retention",
                        " of months",
                        &m,
                    )
                })
                .transpose()?,
            // Left empty: the default.
            enps_min_group_size: match opt(&self.enps_min_group_size) {
                None => WorkspaceSettings::default().enps_min_group_size,
                Some(n) => whole("enps_min_group_size", "The smallest eNPS group", "", &n)?,
            },
            anonymous_detractors: match self.anonymous_detractors.trim() {
                "" | "review" => AnonymousDetractors::Review,
                "case" => AnonymousDetractors::Case,
                other => {
                    return Err(Refusal {
                        field: Some("anonymous_detractors"),
                        message: format!(
                            "Anonymous detractors must be \"review\" or \"case\"; got {other:?}"
                        ),
                    })
                }
            },
        })
    }
}

/// Why a post was refused, and the field it is about when one is named.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub field: Option<&'static str>,
    pub message: String,
}

impl Refusal {
    /// A message of the store or the delivery-URL check, which start with the settings
    /// field they are about (`sender_email: …`, `sla_hours.high must …`,
    /// `review_links[2].url …`): that field of the form, when it has one.
    pub fn of(message: String) -> Self {
        let head: String = message
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_' || *c == '.')
            .collect();
        let field = match head.as_str() {
            "sla_hours.critical" => Some("sla_critical"),
            "sla_hours.high" => Some("sla_high"),
            "sla_hours.medium" => Some("sla_medium"),
            "sla_hours.normal" => Some("sla_normal"),
            other => FIELDS.iter().copied().find(|f| *f == other),
        };
        Self { field, message }
    }
}

impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Self::of(message)
    }
}

/// The form's fields that a message may name.
const FIELDS: [&str; 22] = [
    "name",
    "sender_email",
    "sender_name",
    "alerts_email",
    "manager_email",
    "slack_webhook_url",
    "teams_webhook_url",
    "default_queue",
    "currency",
    "review_links",
    "quiet_period_days",
    "reminder_after_days",
    "invitation_valid_days",
    "brand_color",
    "logo_url",
    "sms_sender",
    "answer_retention_months",
    "enps_min_group_size",
    "anonymous_detractors",
    "passive_nudge",
    "resurvey_after_resolution",
    "require_two_factor",
];
