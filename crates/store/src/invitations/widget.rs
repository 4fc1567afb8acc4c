//! The website widget: its signing secret, and the invitation behind a prompt.

use super::{
    invitation_from, invitation_in, invite_in, Invitation, InviteRequest, Source, COLUMNS,
};
use crate::feedback::customers::customer_in;
use crate::feedback::surveys::survey_in;
use crate::tenancy::lookup::settings_in;
use crate::Invitations;
use crate::{to_ts, Result};
use advocate_core::{Channel, Language};
use chrono::{DateTime, Duration, Utc};

impl Invitations<'_> {
    /// The secret a website signs visitor ids with for the widget (hex, made once).
    #[tracing::instrument(name = "invitations.widget_secret", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn widget_secret(&self, workspace_id: i64) -> Result<String> {
        self.store
            .workspaces()
            .setting_or_insert(&format!("widget_secret:{workspace_id}"), || {
                crate::random_hex(32)
            })
            .await
    }

    /// The invitation behind a widget prompt for an identified visitor: their open widget
    /// invitation for the survey from today if there is one (the prompt shows again until
    /// answered or dismissed), else a new one — or `None` when the customer is unknown,
    /// unsubscribed or in the quiet period. Showing the prompt counts as the contact.
    #[tracing::instrument(name = "invitations.widget_invitation", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn widget_invitation(
        &self,
        workspace_id: i64,
        survey_id: i64,
        customer_external_id: &str,
        language: &Language,
        now: DateTime<Utc>,
    ) -> Result<Option<Invitation>> {
        let mut tx = self.store.begin_write().await?;
        let Some(customer) = customer_in(&mut tx, workspace_id, customer_external_id).await? else {
            return Ok(None);
        };
        let open = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM invitations WHERE customer_id = $1 AND survey_id = $2 \
             AND channel = 'widget' AND status = 'sent' AND answered_at IS NULL \
             AND sent_at >= $3 AND expires_at > $4 ORDER BY id DESC LIMIT 1"
        ))
        .bind(customer.id)
        .bind(survey_id)
        .bind(to_ts(now - Duration::days(1)))
        .bind(to_ts(now))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = open {
            return Ok(Some(invitation_from(&row)?));
        }
        let settings = settings_in(&mut tx, workspace_id).await?;
        let survey = survey_in(&mut tx, workspace_id, survey_id).await?;
        let req = InviteRequest {
            survey_id,
            channel: Channel::Widget,
            source: Source::Widget,
            schedule_id: None,
            event_id: None,
            send_at: now,
            sample_percent: 100,
        };
        let outcome =
            invite_in(&mut tx, &settings, language, &survey, &req, &customer, now).await?;
        let Some(id) = outcome.invitation_id else {
            return Ok(None);
        };
        // The prompt is in the visitor's language, whatever their record says.
        sqlx::query("UPDATE invitations SET language = $1 WHERE id = $2")
            .bind(language.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let inv = invitation_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(inv))
    }
}
