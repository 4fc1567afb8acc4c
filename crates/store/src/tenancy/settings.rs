//! Workspace settings, playbooks and routing rules: how a workspace closes the loop.
//!
//! Settings are one JSON document per workspace (see [`WorkspaceSettings`]); they are
//! checked here, so the API and the settings page refuse the same things with the same
//! words. A playbook row overrides the built-in default for one score, either for one
//! language or (language `''`) for every language; reading goes through
//! `reactions::playbook_in`, the very lookup a new answer uses.

use crate::delivery::webhooks::check_delivery_url;
use crate::models::{RoutingRule, WorkspaceSettings};
use crate::tenancy::lookup::{playbook_in, routing_rules_in, settings_in};
use crate::Settings;
use crate::{to_ts, Result, StoreError};
use advocate_core::{Label, Language, Priority, Score};
use chrono::Utc;
use serde::Serialize;

/// Most steps a playbook may have, and most characters in one step.
pub const MAX_STEPS: usize = 30;
pub const MAX_STEP_CHARS: usize = 300;
/// Longest SLA a priority may have: one year.
pub const MAX_SLA_HOURS: u32 = 24 * 365;

/// The playbook a score uses, as a new answer would get it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectivePlaybook {
    pub score: u8,
    /// The language asked for; `None` when the all-languages playbook was asked for.
    pub language: Option<String>,
    pub steps: Vec<String>,
    /// Set for detractor scores (0–6): cases are opened with it.
    pub priority: Option<Priority>,
    /// Whether the workspace changed it (for this language or for all languages).
    pub customized: bool,
}

/// One playbook the workspace changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaybookOverride {
    pub score: u8,
    /// `None`: every language without its own override.
    pub language: Option<String>,
    pub steps: Vec<String>,
    pub priority: Option<Priority>,
}

/// A routing rule as written by a person: at least one condition and an assignee.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoutingRuleInput {
    /// Segment attribute (with an optional value) the answer must carry.
    pub attribute: Option<String>,
    pub value: Option<String>,
    pub touchpoint: Option<String>,
    pub language: Option<String>,
    pub assignee: String,
    /// 1-based place in the order; `None` appends (create) or keeps the place (update).
    pub position: Option<i64>,
}

fn invalid<T>(msg: impl Into<String>) -> Result<T> {
    Err(StoreError::Invalid(msg.into()))
}

/// An email address as far as it can be checked without sending: one `@`, a local part,
/// a domain with a dot and no empty labels, no spaces or angle brackets.
pub fn check_email(field: &str, value: &str) -> Result<()> {
    let ok = value.len() <= 254
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c))
        && value.matches('@').count() == 1
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && domain.split('.').all(|l| !l.is_empty())
        });
    if ok {
        Ok(())
    } else {
        invalid(format!(
            "{field} must be an email address such as cx@example.com; got {value:?}"
        ))
    }
}

/// An absolute http(s) URL with a host, without spaces.
pub fn check_url(field: &str, value: &str) -> Result<()> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    let ok = value.len() <= 2000
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && host.is_some_and(|h| !h.is_empty() && !h.starts_with(':') && !h.contains('@'));
    if ok {
        Ok(())
    } else {
        invalid(format!(
            "{field} must be an http:// or https:// URL with a host; got {value:?}"
        ))
    }
}

/// One line kept as given, by core's one text rule.
pub(crate) fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    Ok(advocate_core::field::check_line(field, value, max)?)
}

/// A workspace's name, trimmed: 1–100 characters on one line.
pub fn check_workspace_name(name: &str) -> Result<&str> {
    let name = name.trim();
    check_text("name", name, 100)?;
    Ok(name)
}

/// Everything a workspace's settings must satisfy before they are saved.
pub fn check_settings(s: &WorkspaceSettings) -> Result<()> {
    for (field, value) in [
        ("sender_email", &s.sender_email),
        ("alerts_email", &s.alerts_email),
        ("manager_email", &s.manager_email),
    ] {
        if let Some(v) = value {
            check_email(field, v)?;
        }
    }
    if let Some(name) = &s.sender_name {
        check_text("sender_name", name, 100)?;
        if name.contains(['<', '>', '"']) {
            return invalid("sender_name must not contain <, > or \"");
        }
    }
    if let Some(url) = &s.slack_webhook_url {
        check_delivery_url("slack_webhook_url", url)?;
    }
    if let Some(url) = &s.teams_webhook_url {
        check_delivery_url("teams_webhook_url", url)?;
    }
    check_text("default_queue", &s.default_queue, 200)?;
    advocate_core::currency::check("currency", &s.currency).map_err(StoreError::Invalid)?;
    if s.review_links.len() > 20 {
        return invalid("review_links may hold at most 20 links");
    }
    for (i, link) in s.review_links.iter().enumerate() {
        check_text(&format!("review_links[{i}].name"), &link.name, 100)?;
        check_url(&format!("review_links[{i}].url"), &link.url)?;
    }
    check_invitation_settings(s)?;
    check_privacy_settings(s)?;
    for p in Priority::ALL {
        let hours = s.sla_hours.for_priority(p);
        if hours == 0 || hours > MAX_SLA_HOURS {
            return invalid(format!(
                "sla_hours.{} must be between 1 and {MAX_SLA_HOURS} hours; got {hours}",
                p.as_str()
            ));
        }
    }
    Ok(())
}

fn check_invitation_settings(s: &WorkspaceSettings) -> Result<()> {
    if s.quiet_period_days > 3650 {
        return invalid(format!(
            "quiet_period_days must be between 0 and 3650; got {}",
            s.quiet_period_days
        ));
    }
    if let Some(days) = s.reminder_after_days {
        if !(1..=60).contains(&days) {
            return invalid(format!(
                "reminder_after_days must be between 1 and 60 (or null for no reminder); got {days}"
            ));
        }
    }
    if !(1..=365).contains(&s.invitation_valid_days) {
        return invalid(format!(
            "invitation_valid_days must be between 1 and 365; got {}",
            s.invitation_valid_days
        ));
    }
    if s.reminder_after_days
        .is_some_and(|d| d >= s.invitation_valid_days)
    {
        return invalid("reminder_after_days must be shorter than invitation_valid_days, or the reminder would carry an expired link");
    }
    let hex = s.brand_color.strip_prefix('#').unwrap_or_default();
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return invalid(format!(
            "brand_color must be a colour like #0f766e; got {:?}",
            s.brand_color
        ));
    }
    if let Some(url) = &s.logo_url {
        check_url("logo_url", url)?;
    }
    if let Some(sender) = &s.sms_sender {
        let phone = sender
            .strip_prefix('+')
            .is_some_and(|d| (6..=15).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit()));
        let alphanumeric = (1..=11).contains(&sender.len())
            && sender
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ')
            && sender.chars().any(|c| c.is_ascii_alphabetic());
        if !phone && !alphanumeric {
            return invalid(format!(
                "sms_sender must be a phone number like +4791234567 or a sender name of up to 11 letters and digits; got {sender:?}"
            ));
        }
    }
    Ok(())
}

fn check_privacy_settings(s: &WorkspaceSettings) -> Result<()> {
    if let Some(months) = s.answer_retention_months {
        if !(1..=1200).contains(&months) {
            return invalid(format!(
                "answer_retention_months must be between 1 and 1200 (or null to keep answers forever); got {months}"
            ));
        }
    }
    if !(2..=100).contains(&s.enps_min_group_size) {
        return invalid(format!(
            "enps_min_group_size must be between 2 and 100; got {}",
            s.enps_min_group_size
        ));
    }
    Ok(())
}

/// Steps trimmed and checked: 1–30 non-empty steps of at most 300 characters.
pub fn check_steps(steps: &[String]) -> Result<Vec<String>> {
    if steps.is_empty() || steps.len() > MAX_STEPS {
        return invalid(format!(
            "a playbook has 1 to {MAX_STEPS} steps; got {}",
            steps.len()
        ));
    }
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            check_text(&format!("step {}", i + 1), s, MAX_STEP_CHARS)?;
            Ok(s.trim().to_owned())
        })
        .collect()
}

fn check_playbook(score: Score, priority: Option<Priority>) -> Result<()> {
    let detractor = score.value() <= 6;
    match (detractor, priority) {
        (true, None) => invalid(format!(
            "score {} is a detractor score: its playbook needs a priority (critical, high, medium or normal)",
            score.value()
        )),
        (false, Some(_)) => invalid(format!(
            "score {} opens no case: its playbook must not have a priority",
            score.value()
        )),
        _ => Ok(()),
    }
}

fn check_rule(r: &RoutingRuleInput) -> Result<()> {
    if r.attribute.is_none() && r.touchpoint.is_none() && r.language.is_none() {
        return invalid(
            "a routing rule needs at least one condition: attribute, touchpoint or language",
        );
    }
    if r.value.is_some() && r.attribute.is_none() {
        return invalid("a routing rule's value needs an attribute to compare it with");
    }
    if let Some(a) = &r.attribute {
        Label::new(a).map_err(|e| StoreError::Invalid(format!("attribute {e}")))?;
    }
    if let Some(v) = &r.value {
        check_text("value", v, 200)?;
    }
    if let Some(t) = &r.touchpoint {
        Label::new(t).map_err(|e| StoreError::Invalid(format!("touchpoint {e}")))?;
    }
    if let Some(l) = &r.language {
        Language::new(l).map_err(|e| StoreError::Invalid(format!("language {e}")))?;
    }
    check_text("assignee", &r.assignee, 200)
}

/// The all-languages key in the playbooks table.
fn language_key(language: Option<&Language>) -> &str {
    language.map_or("", |l| l.as_str())
}

impl Settings<'_> {
    /// The workspace's settings; defaults when it never saved any.
    #[tracing::instrument(name = "settings.get", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn get(&self, workspace_id: i64) -> Result<WorkspaceSettings> {
        let mut conn = self.store.pool.acquire().await?;
        settings_in(&mut conn, workspace_id).await
    }

    /// Checks and saves the workspace's settings (all fields at once).
    #[tracing::instrument(name = "settings.save", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn save(&self, workspace_id: i64, settings: &WorkspaceSettings) -> Result<()> {
        check_settings(settings)?;
        let json = serde_json::to_string(settings).expect("settings serialise");
        sqlx::query(
            "INSERT INTO workspace_settings (workspace_id, settings, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id) DO UPDATE SET settings = excluded.settings, \
             updated_at = excluded.updated_at",
        )
        .bind(workspace_id)
        .bind(json)
        .bind(to_ts(Utc::now()))
        .execute(&self.store.writer)
        .await?;
        Ok(())
    }

    /// The playbook every score 0–10 uses in `language` (or, with `None`, in languages
    /// without their own override).
    #[tracing::instrument(name = "settings.playbooks", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn playbooks(
        &self,
        workspace_id: i64,
        language: Option<&Language>,
    ) -> Result<Vec<EffectivePlaybook>> {
        let mut conn = self.store.pool.acquire().await?;
        let customized: Vec<(i64, String)> = sqlx::query_as(
            "SELECT score, language FROM playbooks WHERE workspace_id = $1 \
             AND (language = $2 OR language = '')",
        )
        .bind(workspace_id)
        .bind(language_key(language))
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::with_capacity(11);
        for value in 0..=10u8 {
            let score = Score::new(i64::from(value)).expect("0..=10 are scores");
            // A language that is not stored anywhere matches only the '' rows: the
            // same lookup a new answer in that language gets.
            let playbook =
                playbook_in(&mut conn, workspace_id, score, language_key(language)).await?;
            out.push(EffectivePlaybook {
                score: value,
                language: language.map(|l| l.as_str().to_owned()),
                steps: playbook.steps,
                priority: playbook.priority,
                customized: customized.iter().any(|(s, _)| *s == i64::from(value)),
            });
        }
        Ok(out)
    }

    /// Every playbook the workspace changed, by score then language (all-languages first).
    #[tracing::instrument(name = "settings.playbook_overrides", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn playbook_overrides(&self, workspace_id: i64) -> Result<Vec<PlaybookOverride>> {
        let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT score, language, steps, priority FROM playbooks WHERE workspace_id = $1 \
             ORDER BY score, language",
        )
        .bind(workspace_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.into_iter()
            .map(|(score, language, steps, priority)| {
                Ok(PlaybookOverride {
                    score: u8::try_from(score).unwrap_or_default(),
                    language: Some(language).filter(|l| !l.is_empty()),
                    steps: serde_json::from_str(&steps).map_err(|_| {
                        StoreError::Invalid("stored playbook steps are not valid".into())
                    })?,
                    priority: priority.as_deref().and_then(Priority::parse),
                })
            })
            .collect()
    }

    /// Replaces the playbook of `score` for `language` (`None`: every language without its
    /// own). Priority is required for 0–6 and refused for 7–10.
    #[tracing::instrument(name = "settings.set_playbook", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn set_playbook(
        &self,
        workspace_id: i64,
        score: Score,
        language: Option<&Language>,
        steps: &[String],
        priority: Option<Priority>,
    ) -> Result<EffectivePlaybook> {
        let steps = check_steps(steps)?;
        check_playbook(score, priority)?;
        sqlx::query(
            "INSERT INTO playbooks (workspace_id, score, language, steps, priority, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id, score, language) DO UPDATE \
             SET steps = excluded.steps, priority = excluded.priority, updated_at = excluded.updated_at",
        )
        .bind(workspace_id)
        .bind(i64::from(score.value()))
        .bind(language_key(language))
        .bind(serde_json::to_string(&steps).expect("steps serialise"))
        .bind(priority.map(|p| p.as_str()))
        .bind(to_ts(Utc::now()))
        .execute(&self.store.writer)
        .await?;
        Ok(EffectivePlaybook {
            score: score.value(),
            language: language.map(|l| l.as_str().to_owned()),
            steps,
            priority,
            customized: true,
        })
    }

    /// Drops the workspace's playbook of `score` for `language` and returns what applies
    /// now (the all-languages override or the default). Resetting what was never changed
    /// is not an error: the answer is the same.
    #[tracing::instrument(name = "settings.reset_playbook", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn reset_playbook(
        &self,
        workspace_id: i64,
        score: Score,
        language: Option<&Language>,
    ) -> Result<EffectivePlaybook> {
        sqlx::query(
            "DELETE FROM playbooks WHERE workspace_id = $1 AND score = $2 AND language = $3",
        )
        .bind(workspace_id)
        .bind(i64::from(score.value()))
        .bind(language_key(language))
        .execute(&self.store.writer)
        .await?;
        let all = self.playbooks(workspace_id, language).await?;
        Ok(all
            .into_iter()
            .nth(usize::from(score.value()))
            .expect("one playbook per score"))
    }

    /// The routing rules in the order they are tried.
    #[tracing::instrument(name = "settings.routing_rules", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn routing_rules(&self, workspace_id: i64) -> Result<Vec<RoutingRule>> {
        let mut conn = self.store.pool.acquire().await?;
        routing_rules_in(&mut conn, workspace_id).await
    }

    /// Adds a rule at `position` (1-based; default: last).
    #[tracing::instrument(name = "settings.create_routing_rule", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn create_routing_rule(
        &self,
        workspace_id: i64,
        input: &RoutingRuleInput,
    ) -> Result<RoutingRule> {
        check_rule(input)?;
        let mut tx = self.store.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO routing_rules (workspace_id, position, attribute, value, touchpoint, \
             language, assignee, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(workspace_id)
        .bind(i64::MAX / 2)
        .bind(input.attribute.clone())
        .bind(input.value.clone())
        .bind(input.touchpoint.clone())
        .bind(input.language.clone())
        .bind(input.assignee.trim())
        .bind(to_ts(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let rules = place(&mut tx, workspace_id, id, input.position).await?;
        tx.commit().await?;
        Ok(rules
            .into_iter()
            .find(|r| r.id == id)
            .expect("just inserted"))
    }

    /// Replaces a rule's conditions and assignee, and moves it when a position is given.
    #[tracing::instrument(name = "settings.update_routing_rule", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn update_routing_rule(
        &self,
        workspace_id: i64,
        id: i64,
        input: &RoutingRuleInput,
    ) -> Result<RoutingRule> {
        check_rule(input)?;
        let mut tx = self.store.begin_write().await?;
        let n = sqlx::query(
            "UPDATE routing_rules SET attribute = $1, value = $2, touchpoint = $3, language = $4, \
             assignee = $5 WHERE workspace_id = $6 AND id = $7",
        )
        .bind(input.attribute.clone())
        .bind(input.value.clone())
        .bind(input.touchpoint.clone())
        .bind(input.language.clone())
        .bind(input.assignee.trim())
        .bind(workspace_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("no routing rule {id}")));
        }
        let rules = place(&mut tx, workspace_id, id, input.position).await?;
        tx.commit().await?;
        Ok(rules
            .into_iter()
            .find(|r| r.id == id)
            .expect("just updated"))
    }

    #[tracing::instrument(name = "settings.delete_routing_rule", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn delete_routing_rule(&self, workspace_id: i64, id: i64) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let n = sqlx::query("DELETE FROM routing_rules WHERE workspace_id = $1 AND id = $2")
            .bind(workspace_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("no routing rule {id}")));
        }
        place(&mut tx, workspace_id, id, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts the rules in the order of `ids`, which must name each rule exactly once.
    #[tracing::instrument(name = "settings.reorder_routing_rules", level = "debug", skip_all, fields(workspace = workspace_id))]
    pub async fn reorder_routing_rules(
        &self,
        workspace_id: i64,
        ids: &[i64],
    ) -> Result<Vec<RoutingRule>> {
        let mut tx = self.store.begin_write().await?;
        let rules = routing_rules_in(&mut tx, workspace_id).await?;
        let mut given = ids.to_vec();
        given.sort_unstable();
        let mut stored: Vec<i64> = rules.iter().map(|r| r.id).collect();
        stored.sort_unstable();
        if given != stored {
            return invalid(format!(
                "the new order must name each of the workspace's {} routing rules exactly once",
                stored.len()
            ));
        }
        for (i, id) in ids.iter().enumerate() {
            set_position(&mut tx, workspace_id, *id, i as i64 + 1).await?;
        }
        let rules = routing_rules_in(&mut tx, workspace_id).await?;
        tx.commit().await?;
        Ok(rules)
    }
}

async fn set_position(
    conn: &mut sqlx::AnyConnection,
    workspace_id: i64,
    id: i64,
    position: i64,
) -> Result<()> {
    sqlx::query("UPDATE routing_rules SET position = $1 WHERE workspace_id = $2 AND id = $3")
        .bind(position)
        .bind(workspace_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Renumbers the rules 1..n, moving rule `id` to `position` (clamped) when one is given.
async fn place(
    conn: &mut sqlx::AnyConnection,
    workspace_id: i64,
    id: i64,
    position: Option<i64>,
) -> Result<Vec<RoutingRule>> {
    let mut ids: Vec<i64> = routing_rules_in(conn, workspace_id)
        .await?
        .iter()
        .map(|r| r.id)
        .collect();
    if let Some(p) = position {
        if p < 1 {
            return invalid(format!("position is 1-based; got {p}"));
        }
        ids.retain(|x| *x != id);
        let at = usize::try_from(p - 1).unwrap_or(usize::MAX).min(ids.len());
        ids.insert(at, id);
    }
    for (i, rule) in ids.iter().enumerate() {
        set_position(conn, workspace_id, *rule, i as i64 + 1).await?;
    }
    routing_rules_in(conn, workspace_id).await
}
