//! Sending invitations and reminders: each due invitation is checked again, rendered in
//! its language with the workspace's wording and branding, and written to the outbox in
//! the same transaction that marks it sent — so it goes out exactly once, even with
//! several instances sending.

use super::eligibility::refusal;
use super::{invitation_from, Invitation, SkipReason, COLUMNS};
use crate::delivery::links::{invitation_token, sms_status_token, unsubscribe_token};
use crate::delivery::outbox::{enqueue_email, enqueue_sms, EmailMessage, SmsMessage};
use crate::feedback::customers::customer_by_id_in;
use crate::feedback::surveys::survey_in;
use crate::models::{Customer, Survey, Workspace, WorkspaceSettings};
use crate::tenancy::lookup::{sender, settings_in};
use crate::Invitations;
use crate::{to_ts, Backend, Result, StoreError};
use advocate_core::invitation::{
    self as texts, Branding, InvitationFacts, InvitationTextOverrides, InvitationTexts,
};
use advocate_core::{Channel, Language};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// What one round of sending did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DispatchReport {
    /// Invitations looked at (a full batch means more may be waiting).
    pub claimed: usize,
    pub sent: usize,
    pub skipped: usize,
}

/// Everything rendering needs that is the same for many invitations.
#[derive(Default)]
struct Cache {
    workspaces: HashMap<i64, (Workspace, WorkspaceSettings)>,
    surveys: HashMap<i64, Survey>,
    texts: HashMap<(i64, String), InvitationTextOverrides>,
}

impl Invitations<'_> {
    /// Sends up to `limit` invitations whose time has come (at `now`). Call again while
    /// the report's `claimed` equals `limit`.
    #[tracing::instrument(name = "invitations.dispatch_due", level = "debug", skip_all)]
    pub async fn dispatch_due(&self, now: DateTime<Utc>, limit: u32) -> Result<DispatchReport> {
        let key = self.store.workspaces().signing_key().await?;
        let mut tx = self.store.begin_write().await?;
        let lock = match self.store.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM invitations WHERE status = 'scheduled' AND send_at <= $1 \
             ORDER BY send_at, id LIMIT $2{lock}"
        ))
        .bind(to_ts(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut report = DispatchReport {
            claimed: rows.len(),
            ..DispatchReport::default()
        };
        let mut cache = Cache::default();
        let mut sent = Vec::new();
        for row in &rows {
            let inv = invitation_from(row)?;
            let (_, settings) = self
                .workspace_cached(&mut cache, &mut tx, inv.workspace_id)
                .await?;
            let settings = settings.clone();
            let customer = customer_by_id_in(&mut tx, inv.workspace_id, inv.customer_id)
                .await?
                .ok_or_else(|| StoreError::NotFound("invited customer is gone".into()))?;
            let open = self
                .survey_cached(&mut cache, &mut tx, &inv)
                .await?
                .status
                .is_open();
            let reason = if now >= inv.expires_at {
                Some(SkipReason::Expired)
            } else if !open {
                Some(SkipReason::SurveyClosed)
            } else {
                refusal(
                    &mut tx,
                    &settings,
                    &customer,
                    inv.channel,
                    now,
                    Some(inv.id),
                )
                .await?
            };
            if let Some(reason) = reason {
                sqlx::query(
                    "UPDATE invitations SET status = 'skipped', skip_reason = $1 WHERE id = $2",
                )
                .bind(reason.as_str())
                .bind(inv.id)
                .execute(&mut *tx)
                .await?;
                report.skipped += 1;
                continue;
            }
            self.queue_message(&mut cache, &mut tx, &key, &inv, &customer, false, now)
                .await?;
            sqlx::query("UPDATE invitations SET status = 'sent', sent_at = $1 WHERE id = $2")
                .bind(to_ts(now))
                .bind(inv.id)
                .execute(&mut *tx)
                .await?;
            report.sent += 1;
            sent.push(inv.channel);
        }
        tx.commit().await?;
        for channel in sent {
            self.store.metrics().invitation_sent(channel);
        }
        if report.sent > 0 {
            self.store.wake_outbox();
        }
        Ok(report)
    }

    /// Sends the one reminder of unanswered email and SMS invitations that have waited
    /// their workspace's `reminder_after_days`. Returns how many were queued.
    #[tracing::instrument(name = "invitations.send_due_reminders", level = "debug", skip_all)]
    pub async fn send_due_reminders(&self, now: DateTime<Utc>, limit: u32) -> Result<usize> {
        let key = self.store.workspaces().signing_key().await?;
        let mut queued = 0;
        for workspace in self.store.workspaces().list().await? {
            let settings = self.store.settings().get(workspace.id).await?;
            let Some(days) = settings.reminder_after_days else {
                continue;
            };
            let mut tx = self.store.begin_write().await?;
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM invitations i WHERE workspace_id = $1 AND status = 'sent' \
                 AND answered_at IS NULL AND reminded_at IS NULL AND channel IN ('email', 'sms') \
                 AND sent_at <= $2 AND expires_at > $3 AND NOT EXISTS (SELECT 1 FROM customers c \
                 WHERE c.id = i.customer_id AND c.unsubscribed_at IS NOT NULL) \
                 AND EXISTS (SELECT 1 FROM surveys s WHERE s.id = i.survey_id AND s.status = 'active') \
                 ORDER BY sent_at, id LIMIT $4"
            ))
            .bind(workspace.id)
            .bind(to_ts(now - Duration::days(i64::from(days))))
            .bind(to_ts(now))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            let mut cache = Cache::default();
            for row in &rows {
                let inv = invitation_from(row)?;
                // Claiming by the update keeps the reminder to one across instances.
                let claimed = sqlx::query(
                    "UPDATE invitations SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL",
                )
                .bind(to_ts(now))
                .bind(inv.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if claimed == 0 {
                    continue;
                }
                let customer = customer_by_id_in(&mut tx, inv.workspace_id, inv.customer_id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound("invited customer is gone".into()))?;
                self.queue_message(&mut cache, &mut tx, &key, &inv, &customer, true, now)
                    .await?;
                queued += 1;
            }
            tx.commit().await?;
        }
        if queued > 0 {
            self.store.wake_outbox();
        }
        Ok(queued)
    }

    async fn workspace_cached<'c>(
        &self,
        cache: &'c mut Cache,
        conn: &mut AnyConnection,
        id: i64,
    ) -> Result<&'c (Workspace, WorkspaceSettings)> {
        if let std::collections::hash_map::Entry::Vacant(slot) = cache.workspaces.entry(id) {
            let workspace = self
                .store
                .workspaces()
                .get(id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("no workspace with id {id}")))?;
            slot.insert((workspace, settings_in(conn, id).await?));
        }
        Ok(&cache.workspaces[&id])
    }

    /// The invitation's survey, read once per batch inside the batch's transaction.
    async fn survey_cached<'c>(
        &self,
        cache: &'c mut Cache,
        conn: &mut AnyConnection,
        inv: &Invitation,
    ) -> Result<&'c Survey> {
        if let std::collections::hash_map::Entry::Vacant(slot) = cache.surveys.entry(inv.survey_id)
        {
            slot.insert(survey_in(conn, inv.workspace_id, inv.survey_id).await?);
        }
        Ok(&cache.surveys[&inv.survey_id])
    }

    /// Renders the invitation (or its reminder) and writes it to the outbox.
    #[allow(clippy::too_many_arguments)]
    async fn queue_message(
        &self,
        cache: &mut Cache,
        conn: &mut AnyConnection,
        key: &[u8],
        inv: &Invitation,
        customer: &Customer,
        reminder: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (workspace, settings) = self.workspace_cached(cache, conn, inv.workspace_id).await?;
        let (workspace, settings) = (workspace.clone(), settings.clone());
        self.survey_cached(cache, conn, inv).await?;
        let survey = &cache.surveys[&inv.survey_id];
        let wording = invitation_texts(
            cache_texts(&mut cache.texts, conn, inv.workspace_id, &inv.language).await?,
            survey,
            &workspace.name,
            &inv.language,
        );
        let base = self.store.public_url();
        let token = invitation_token(key, inv.id, inv.expires_at);
        let survey_url = format!("{base}/i/{token}");
        match inv.channel {
            Channel::Email => {
                let unsubscribe_url =
                    format!("{base}/u/{}", unsubscribe_token(key, customer.id, now));
                // Rendered before the next await: the facts borrow a closure that is not Send.
                let content = {
                    let score_url = |n: u8| format!("{survey_url}/{n}");
                    let facts = InvitationFacts {
                        name: customer.name.as_deref(),
                        score_url: &score_url,
                        survey_url: &survey_url,
                        unsubscribe_url: &unsubscribe_url,
                        open_pixel_url: &format!("{survey_url}/open.gif"),
                        kind: survey.kind,
                        reminder,
                    };
                    let branding = Branding {
                        company: &workspace.name,
                        logo_url: settings.logo_url.as_deref(),
                        color: &settings.brand_color,
                    };
                    texts::invitation_email(&wording, &branding, &facts)
                };
                let email = EmailMessage {
                    from: sender(&settings),
                    to: customer.email.clone().unwrap_or_default(),
                    subject: content.subject,
                    text: content.text,
                    html: content.html,
                    invitation_id: Some(inv.id),
                    unsubscribe_url: Some(unsubscribe_url),
                    ..EmailMessage::default()
                };
                let event = if reminder {
                    "invitation.reminder"
                } else {
                    "invitation"
                };
                enqueue_email(conn, inv.workspace_id, event, &email).await?;
            }
            Channel::Sms => {
                let short_url = format!("{base}/r/{}", inv.short_code);
                let body = texts::invitation_sms(&wording, &workspace.name, &short_url, reminder);
                let sms = SmsMessage {
                    from: settings
                        .sms_sender
                        .clone()
                        .unwrap_or_else(|| sms_sender_name(&workspace.name)),
                    to: customer.phone.clone().unwrap_or_default(),
                    body,
                    invitation_id: Some(inv.id),
                    status_callback: Some(format!(
                        "{base}/hooks/sms/{}",
                        sms_status_token(key, inv.id, inv.expires_at)
                    )),
                };
                let event = if reminder {
                    "invitation.reminder"
                } else {
                    "invitation"
                };
                enqueue_sms(conn, inv.workspace_id, event, &sms).await?;
            }
            // Web links and widget prompts are handed out, not sent.
            _ => {}
        }
        Ok(())
    }
}

async fn cache_texts<'c>(
    cache: &'c mut HashMap<(i64, String), InvitationTextOverrides>,
    conn: &mut AnyConnection,
    workspace_id: i64,
    language: &Language,
) -> Result<&'c InvitationTextOverrides> {
    let k = (workspace_id, language.as_str().to_owned());
    if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(k.clone()) {
        slot.insert(invitation_text_overrides_in(conn, workspace_id, language).await?);
    }
    Ok(&cache[&k])
}

/// The workspace's own invitation wording for a language (empty when it kept the defaults).
pub(crate) async fn invitation_text_overrides_in(
    conn: &mut AnyConnection,
    workspace_id: i64,
    language: &Language,
) -> Result<InvitationTextOverrides> {
    let json: Option<String> = sqlx::query_scalar(
        "SELECT texts FROM invitation_texts WHERE workspace_id = $1 AND language = $2",
    )
    .bind(workspace_id)
    .bind(language.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    match json {
        Some(j) => serde_json::from_str(&j)
            .map_err(|_| StoreError::Invalid("stored invitation texts are not valid".into())),
        None => Ok(InvitationTextOverrides::default()),
    }
}

/// The wording of an invitation: built-in texts, the workspace's overrides on top, and
/// the survey's own question when it has one in this language (the most specific text
/// wins, so email and survey page ask the same).
pub(crate) fn invitation_texts(
    overrides: &InvitationTextOverrides,
    survey: &Survey,
    company: &str,
    language: &Language,
) -> InvitationTexts {
    let mut wording = texts::builtin(language, survey.kind).with(overrides);
    if let Some(question) = survey.texts.get(language).and_then(|o| o.question.as_ref()) {
        wording.question = question.replace("{company}", company);
    }
    wording
}

/// An alphanumeric SMS sender id from the company name: letters and digits, at most 11.
fn sms_sender_name(company: &str) -> String {
    let name: String = company
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(11)
        .collect();
    if name.is_empty() {
        "Advocate".into()
    } else {
        name
    }
}
