//! Transactional surveys: an event from the company's systems ("order_delivered",
//! "ticket_closed") invites its customer to the matching survey after a configured delay.

use super::{check_invitation_channel, invite_in, InvitationOutcome, InviteRequest, Source};
use crate::feedback::customers::{attributes_json, upsert_customer_in};
use crate::feedback::surveys::survey_in;
use crate::tenancy::lookup::settings_in;
use crate::Triggers;
use crate::{from_ts, to_ts, Result, StoreError};
use advocate_core::customer::{Attributes, CustomerInput};
use advocate_core::{Channel, Label};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Longest delay a trigger may wait before inviting: 90 days.
pub const MAX_DELAY_MINUTES: u32 = 90 * 24 * 60;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventTrigger {
    pub id: i64,
    /// The event name that sets it off.
    pub event: Label,
    pub survey_id: i64,
    pub channel: Channel,
    pub delay_minutes: u32,
    pub sample_percent: u8,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TriggerInput {
    pub event: Label,
    pub survey_id: i64,
    pub channel: Channel,
    pub delay_minutes: u32,
    pub sample_percent: u8,
    pub active: bool,
}

/// An event as received: already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub name: Label,
    pub customer: CustomerInput,
    /// Facts about the event (order id, product), kept with it.
    pub attributes: Attributes,
    pub occurred_at: DateTime<Utc>,
    /// Makes a retry of the same event harmless.
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventOutcome {
    pub event_id: i64,
    /// True when this event had been received before (same external id): nothing new
    /// was scheduled.
    pub replayed: bool,
    pub invitations: Vec<InvitationOutcome>,
}

const COLUMNS: &str =
    "id, event, survey_id, channel, delay_minutes, sample_percent, active, created_at";

fn trigger_from(row: &AnyRow) -> Result<EventTrigger> {
    let bad = |e: advocate_core::LabelError| StoreError::Invalid(e.to_string());
    Ok(EventTrigger {
        id: row.try_get("id")?,
        event: Label::new(&row.try_get::<String, _>("event")?).map_err(bad)?,
        survey_id: row.try_get("survey_id")?,
        channel: Channel::parse(&row.try_get::<String, _>("channel")?).map_err(bad)?,
        delay_minutes: u32::try_from(row.try_get::<i64, _>("delay_minutes")?).unwrap_or(0),
        sample_percent: u8::try_from(row.try_get::<i64, _>("sample_percent")?).unwrap_or(100),
        active: row.try_get::<i64, _>("active")? != 0,
        created_at: from_ts(row.try_get("created_at")?),
    })
}

fn check(input: &TriggerInput) -> Result<()> {
    check_invitation_channel(input.channel)?;
    if input.channel == Channel::Widget {
        return Err(StoreError::Invalid(
            "an event trigger sends invitations, so its channel must be email, sms or web".into(),
        ));
    }
    if input.delay_minutes > MAX_DELAY_MINUTES {
        return Err(StoreError::Invalid(format!(
            "delay_minutes must be at most {MAX_DELAY_MINUTES} (90 days); got {}",
            input.delay_minutes
        )));
    }
    if !(1..=100).contains(&input.sample_percent) {
        return Err(StoreError::Invalid(format!(
            "sample_percent must be between 1 and 100; got {}",
            input.sample_percent
        )));
    }
    Ok(())
}

impl Triggers<'_> {
    #[tracing::instrument(name = "triggers.create", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn create(&self, workspace_id: i64, input: &TriggerInput) -> Result<EventTrigger> {
        check(input)?;
        self.store
            .schedules()
            .require_survey(workspace_id, input.survey_id)
            .await?;
        let row = sqlx::query(&format!(
            "INSERT INTO event_triggers (workspace_id, event, survey_id, channel, delay_minutes, \
             sample_percent, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING {COLUMNS}"
        ))
        .bind(workspace_id)
        .bind(input.event.as_str())
        .bind(input.survey_id)
        .bind(input.channel.as_str())
        .bind(i64::from(input.delay_minutes))
        .bind(i64::from(input.sample_percent))
        .bind(i64::from(input.active))
        .bind(to_ts(Utc::now()))
        .fetch_one(&self.store.writer)
        .await
        .map_err(|e| match e {
            e if StoreError::is_unique_violation(&e) => StoreError::Conflict(format!(
                "event {:?} already triggers survey {}",
                input.event.as_str(),
                input.survey_id
            )),
            e => e.into(),
        })?;
        trigger_from(&row)
    }

    #[tracing::instrument(name = "triggers.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(&self, workspace_id: i64) -> Result<Vec<EventTrigger>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM event_triggers WHERE workspace_id = $1 ORDER BY id"
        ))
        .bind(workspace_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(trigger_from).collect()
    }

    #[tracing::instrument(name = "triggers.delete", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn delete(&self, workspace_id: i64, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM event_triggers WHERE workspace_id = $1 AND id = $2")
            .bind(workspace_id)
            .bind(id)
            .execute(&self.store.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "no event trigger with id {id}"
            )));
        }
        Ok(())
    }

    /// Records an event (creating or updating its customer) and schedules the invitation
    /// of every active trigger for its name, `delay_minutes` after it occurred — all in
    /// one transaction. Sending the same external id again changes nothing.
    #[tracing::instrument(name = "triggers.record_event", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn record_event(
        &self,
        workspace_id: i64,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<EventOutcome> {
        let workspace = self
            .store
            .workspaces()
            .get(workspace_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no workspace with id {workspace_id}")))?;
        if let Some(id) = self.event_by_external_id(workspace_id, event).await? {
            return Ok(EventOutcome {
                event_id: id,
                replayed: true,
                invitations: Vec::new(),
            });
        }
        let mut tx = self.store.begin_write().await?;
        let customer = upsert_customer_in(&mut tx, workspace_id, &event.customer).await?;
        let inserted = sqlx::query_scalar(
            "INSERT INTO events (workspace_id, name, customer_id, attributes, occurred_at, \
             external_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(workspace_id)
        .bind(event.name.as_str())
        .bind(customer.id)
        .bind(attributes_json(&event.attributes))
        .bind(to_ts(event.occurred_at))
        .bind(event.external_id.clone())
        .bind(to_ts(now))
        .fetch_one(&mut *tx)
        .await;
        let event_id: i64 = match inserted {
            Ok(id) => id,
            // The same event arrived twice at once; the other copy won.
            Err(e) if StoreError::is_unique_violation(&e) => {
                tx.rollback().await?;
                let id = self.event_by_external_id(workspace_id, event).await?;
                return Ok(EventOutcome {
                    event_id: id.ok_or(StoreError::Database(e))?,
                    replayed: true,
                    invitations: Vec::new(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let triggers = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM event_triggers WHERE workspace_id = $1 AND event = $2 \
             AND active = 1 ORDER BY id"
        ))
        .bind(workspace_id)
        .bind(event.name.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let settings = settings_in(&mut tx, workspace_id).await?;
        let mut invitations = Vec::new();
        for row in &triggers {
            let trigger = trigger_from(row)?;
            let survey = survey_in(&mut tx, workspace_id, trigger.survey_id).await?;
            let req = InviteRequest {
                survey_id: trigger.survey_id,
                channel: trigger.channel,
                source: Source::Event,
                schedule_id: None,
                event_id: Some(event_id),
                send_at: event.occurred_at + Duration::minutes(i64::from(trigger.delay_minutes)),
                sample_percent: trigger.sample_percent,
            };
            invitations.push(
                invite_in(
                    &mut tx,
                    &settings,
                    &workspace.default_language,
                    &survey,
                    &req,
                    &customer,
                    now,
                )
                .await?,
            );
        }
        tx.commit().await?;
        self.store.wake_invitations();
        Ok(EventOutcome {
            event_id,
            replayed: false,
            invitations,
        })
    }

    async fn event_by_external_id(
        &self,
        workspace_id: i64,
        event: &NewEvent,
    ) -> Result<Option<i64>> {
        let Some(external_id) = &event.external_id else {
            return Ok(None);
        };
        Ok(
            sqlx::query_scalar(
                "SELECT id FROM events WHERE workspace_id = $1 AND external_id = $2",
            )
            .bind(workspace_id)
            .bind(external_id)
            .fetch_optional(&self.store.pool)
            .await?,
        )
    }
}
