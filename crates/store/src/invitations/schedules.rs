//! Recurring relationship surveys. Each customer has their own day in the schedule's
//! cycle of N days — `(customer id + schedule offset) mod N` — so the sends of a cycle are
//! spread evenly over its days instead of landing on one, and nobody is asked by the
//! schedule more than once per cycle.

use super::{check_invitation_channel, invite_in, InviteRequest, Source};
use crate::feedback::customers::customer_from;
use crate::feedback::surveys::survey_in;
use crate::tenancy::lookup::settings_in;
use crate::Schedules;
use crate::{from_ts, to_ts, Result, StoreError};
use advocate_core::period::{date_of_day, day_of};
use advocate_core::Channel;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    pub id: i64,
    pub survey_id: i64,
    pub channel: Channel,
    /// Length of the cycle: each customer is asked at most once in this many days.
    pub every_days: u32,
    /// Share of the customers due each day who are asked, 1–100.
    pub sample_percent: u8,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// The last UTC day it ran (asked that day's customers); `None` before its first run.
    pub last_run_on: Option<NaiveDate>,
}

/// A schedule as created or replaced through the API.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleInput {
    pub survey_id: i64,
    pub channel: Channel,
    pub every_days: u32,
    pub sample_percent: u8,
    pub active: bool,
}

/// What one run of the schedules did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScheduleReport {
    pub invited: usize,
    pub skipped: usize,
}

const COLUMNS: &str =
    "id, survey_id, channel, every_days, sample_percent, active, created_at, last_run_day";

fn schedule_from(row: &AnyRow) -> Result<Schedule> {
    Ok(Schedule {
        id: row.try_get("id")?,
        survey_id: row.try_get("survey_id")?,
        channel: Channel::parse(&row.try_get::<String, _>("channel")?)
            .map_err(|e| StoreError::Invalid(e.to_string()))?,
        every_days: u32::try_from(row.try_get::<i64, _>("every_days")?).unwrap_or(1),
        sample_percent: u8::try_from(row.try_get::<i64, _>("sample_percent")?).unwrap_or(100),
        active: row.try_get::<i64, _>("active")? != 0,
        created_at: from_ts(row.try_get("created_at")?),
        last_run_on: row
            .try_get::<Option<i64>, _>("last_run_day")?
            .and_then(|d| i32::try_from(d).ok())
            .map(date_of_day),
    })
}

fn check(input: &ScheduleInput) -> Result<()> {
    check_invitation_channel(input.channel)?;
    if matches!(input.channel, Channel::Web | Channel::Widget) {
        return Err(StoreError::Invalid(
            "a schedule sends invitations, so its channel must be email or sms".into(),
        ));
    }
    if !(1..=3650).contains(&input.every_days) {
        return Err(StoreError::Invalid(format!(
            "every_days must be between 1 and 3650; got {}",
            input.every_days
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

/// The day of a cycle of `every` days on which a customer is due. The schedule id shifts
/// it, so two schedules do not pick the same customers on the same day.
fn slot(customer_id: i64, schedule_id: i64, every: i64) -> i64 {
    (customer_id + schedule_id * 7919).rem_euclid(every)
}

impl Schedules<'_> {
    #[tracing::instrument(name = "schedules.create", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn create(&self, workspace_id: i64, input: &ScheduleInput) -> Result<Schedule> {
        check(input)?;
        self.require_survey(workspace_id, input.survey_id).await?;
        let row = sqlx::query(&format!(
            "INSERT INTO schedules (workspace_id, survey_id, channel, every_days, sample_percent, \
             active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        ))
        .bind(workspace_id)
        .bind(input.survey_id)
        .bind(input.channel.as_str())
        .bind(i64::from(input.every_days))
        .bind(i64::from(input.sample_percent))
        .bind(i64::from(input.active))
        .bind(to_ts(Utc::now()))
        .fetch_one(&self.store.writer)
        .await?;
        schedule_from(&row)
    }

    #[tracing::instrument(name = "schedules.list", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn list(&self, workspace_id: i64) -> Result<Vec<Schedule>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM schedules WHERE workspace_id = $1 ORDER BY id"
        ))
        .bind(workspace_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(schedule_from).collect()
    }

    #[tracing::instrument(name = "schedules.update", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn update(
        &self,
        workspace_id: i64,
        id: i64,
        input: &ScheduleInput,
    ) -> Result<Schedule> {
        check(input)?;
        self.require_survey(workspace_id, input.survey_id).await?;
        let row = sqlx::query(&format!(
            "UPDATE schedules SET survey_id = $1, channel = $2, every_days = $3, sample_percent = $4, \
             active = $5 WHERE workspace_id = $6 AND id = $7 RETURNING {COLUMNS}"
        ))
        .bind(input.survey_id)
        .bind(input.channel.as_str())
        .bind(i64::from(input.every_days))
        .bind(i64::from(input.sample_percent))
        .bind(i64::from(input.active))
        .bind(workspace_id)
        .bind(id)
        .fetch_optional(&self.store.writer)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no schedule with id {id}")))?;
        schedule_from(&row)
    }

    #[tracing::instrument(name = "schedules.delete", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn delete(&self, workspace_id: i64, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM schedules WHERE workspace_id = $1 AND id = $2")
            .bind(workspace_id)
            .bind(id)
            .execute(&self.store.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("no schedule with id {id}")));
        }
        Ok(())
    }

    pub(crate) async fn require_survey(&self, workspace_id: i64, survey_id: i64) -> Result<()> {
        match self.store.surveys().get(workspace_id, survey_id).await? {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound(format!(
                "no survey with id {survey_id}"
            ))),
        }
    }

    /// Invites the customers due today (at `now`) on every active schedule, catching up
    /// the days missed since the last run (at most one cycle). Each day is run once, even
    /// with several instances: the run claims its days before inviting, in one transaction.
    #[tracing::instrument(name = "schedules.run_due", level = "debug", skip_all)]
    pub async fn run_due(&self, now: DateTime<Utc>) -> Result<ScheduleReport> {
        let mut report = ScheduleReport::default();
        let ids: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, workspace_id FROM schedules WHERE active = 1 ORDER BY id")
                .fetch_all(&self.store.pool)
                .await?;
        for (id, workspace_id) in ids {
            let r = self.run(workspace_id, id, now).await?;
            report.invited += r.invited;
            report.skipped += r.skipped;
        }
        Ok(report)
    }

    async fn run(&self, workspace_id: i64, id: i64, now: DateTime<Utc>) -> Result<ScheduleReport> {
        let today = i64::from(day_of(now));
        let mut report = ScheduleReport::default();
        let workspace = self
            .store
            .workspaces()
            .get(workspace_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no workspace with id {workspace_id}")))?;
        let mut tx = self.store.begin_write().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM schedules WHERE id = $1 AND active = 1"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(report) };
        let schedule = schedule_from(&row)?;
        let last: Option<i64> = row.try_get("last_run_day")?;
        let every = i64::from(schedule.every_days);
        let first = match last {
            Some(last) if last >= today => return Ok(report),
            Some(last) => (last + 1).max(today - every + 1),
            None => today,
        };
        // The claim: another instance running the same days finds nothing left to do.
        let claimed = sqlx::query(
            "UPDATE schedules SET last_run_day = $1 WHERE id = $2 \
             AND (last_run_day IS NULL OR last_run_day < $1)",
        )
        .bind(today)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Ok(report);
        }
        let settings = settings_in(&mut tx, workspace_id).await?;
        let survey = survey_in(&mut tx, workspace_id, schedule.survey_id).await?;
        let req = InviteRequest {
            survey_id: schedule.survey_id,
            channel: schedule.channel,
            source: Source::Schedule,
            schedule_id: Some(id),
            event_id: None,
            send_at: now,
            sample_percent: schedule.sample_percent,
        };
        let offset = (id * 7919).rem_euclid(every);
        for day in first..=today {
            let wanted = (day - offset).rem_euclid(every);
            debug_assert!((0..every).contains(&wanted));
            let rows = sqlx::query(&format!(
                "SELECT {} FROM customers WHERE workspace_id = $1 AND unsubscribed_at IS NULL \
                 AND (id % $2) = $3 ORDER BY id",
                crate::feedback::customers::COLUMNS
            ))
            .bind(workspace_id)
            .bind(every)
            .bind(wanted)
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                let customer = customer_from(row)?;
                debug_assert_eq!(slot(customer.id, id, every), day.rem_euclid(every));
                let outcome = invite_in(
                    &mut tx,
                    &settings,
                    &workspace.default_language,
                    &survey,
                    &req,
                    &customer,
                    now,
                )
                .await?;
                if outcome.invitation_id.is_some() {
                    report.invited += 1;
                } else {
                    report.skipped += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::slot;

    #[test]
    fn every_customer_has_one_day_per_cycle_and_days_are_even() {
        let every = 30;
        let mut per_day = vec![0; every as usize];
        for customer in 1..=3000 {
            per_day[slot(customer, 5, every) as usize] += 1;
        }
        assert!(per_day.iter().all(|&n| n == 100), "{per_day:?}");
    }
}
