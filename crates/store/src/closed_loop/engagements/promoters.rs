//! A promoter's engagements: created and thanked for with the answer, cancelled if it drops.

use super::discount_codes::give_code;
use super::{announce, engagement_in, insert_engagement, EngagementStatus};
use crate::closed_loop::context::respondent_language;
use crate::delivery::outbox::{enqueue_email, EmailMessage};
use crate::models::{Answer, Customer, WorkspaceSettings};
use crate::{to_ts, Result};
use advocate_core::messages::{self, ThankYouFacts};
use advocate_core::{EngagementKind, Score};
use chrono::Utc;
use sqlx::AnyConnection;

/// Creates a promoter's default engagements and queues their thank-you, in the answer's
/// transaction. Anonymous promoters cannot be thanked, so they get none.
pub(crate) async fn on_promoter(
    conn: &mut AnyConnection,
    ctx: &crate::closed_loop::context::Context<'_>,
    settings: &WorkspaceSettings,
    answer: &Answer,
    score: Score,
    customer: Option<&Customer>,
) -> Result<()> {
    let kinds = advocate_core::playbook::default_engagements(score);
    queue_engagements(conn, ctx, settings, answer, score, customer, kinds).await
}

/// Creates engagements of `kinds` for a promoter's answer and queues their thank-you, in
/// the answer's transaction. Kinds the workspace cannot act on are left out (see
/// [`advocate_core::playbook::inactive_reason`]: no review request without a review
/// site link). Anonymous promoters cannot be thanked, so they get none.
pub(crate) async fn queue_engagements(
    conn: &mut AnyConnection,
    ctx: &crate::closed_loop::context::Context<'_>,
    settings: &WorkspaceSettings,
    answer: &Answer,
    score: Score,
    customer: Option<&Customer>,
    kinds: &[EngagementKind],
) -> Result<()> {
    let Some(customer) = customer else {
        return Ok(());
    };
    let kinds: Vec<EngagementKind> = kinds
        .iter()
        .copied()
        .filter(|k| {
            advocate_core::playbook::inactive_reason(*k, settings.review_links.len()).is_none()
        })
        .collect();
    if kinds.is_empty() {
        return Ok(());
    }
    let ws = answer.workspace_id;
    let now = to_ts(Utc::now());
    let mut ids = Vec::with_capacity(kinds.len());
    let mut code = None;
    for &kind in &kinds {
        let id = insert_engagement(
            conn,
            ws,
            customer.id,
            answer.id,
            kind,
            EngagementStatus::Queued,
            now,
        )
        .await?;
        if kind == EngagementKind::DiscountCode {
            let given = give_code(conn, ws, id, now).await?;
            sqlx::query("UPDATE engagements SET discount_code = $1 WHERE id = $2")
                .bind(&given)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            code = Some(given);
        }
        ids.push(id);
    }
    let (company, default_lang) = ctx.company(conn, ws).await?;
    let lang = respondent_language(answer, Some(customer), &default_lang);
    let links: Vec<(String, String)> = settings
        .review_links
        .iter()
        .map(|l| (l.name.clone(), l.url.clone()))
        .collect();
    let facts = ThankYouFacts {
        company: &company,
        name: customer.name.as_deref(),
        score: score.value(),
        discount_code: code.as_deref(),
        review_request: kinds.contains(&EngagementKind::ReviewRequest),
        review_links: &links,
        panel_invitation: kinds.contains(&EngagementKind::PanelInvitation),
        reward: kinds.contains(&EngagementKind::Reward),
    };
    let content = messages::thank_you(&lang, &facts);
    let Some(msg) =
        crate::closed_loop::context::customer_email(ctx, settings, customer, &lang, content)
    else {
        return Ok(());
    };
    let msg = EmailMessage {
        engagement_ids: ids,
        ..msg
    };
    enqueue_email(conn, ws, "promoter.thank_you", &msg).await?;
    Ok(())
}

/// Cancels every engagement of an answer that is still queued (the promoter changed their
/// score below 9), announces each as `engagement.updated`, and takes back the thank-you
/// emails that carried only those engagements. What was sent stays sent — and so does
/// what is being sent: a thank-you a delivery worker has claimed cannot be taken back, so
/// the engagements it carries stay queued (they become sent when it is delivered; a later
/// change back to a promoter queues nothing twice). Returns the kinds cancelled.
pub(crate) async fn cancel_queued(
    conn: &mut AnyConnection,
    workspace_id: i64,
    answer_id: i64,
) -> Result<Vec<EngagementKind>> {
    let now = to_ts(Utc::now());
    let queued: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM engagements WHERE workspace_id = $1 AND answer_id = $2 \
         AND status = 'queued' ORDER BY id",
    )
    .bind(workspace_id)
    .bind(answer_id)
    .fetch_all(&mut *conn)
    .await?;
    if queued.is_empty() {
        return Ok(Vec::new());
    }
    let kept = take_back_thank_yous(conn, workspace_id, &queued, now).await?;
    let mut kinds = Vec::with_capacity(queued.len());
    for id in queued.into_iter().filter(|id| !kept.contains(id)) {
        sqlx::query(
            "UPDATE engagements SET status = 'cancelled', updated_at = $1 WHERE id = $2 \
             AND status = 'queued'",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
        // Its code was never sent: a generated one is dropped, a pooled one goes back.
        sqlx::query(
            "DELETE FROM discount_codes WHERE engagement_id = $1 AND source = 'generated' \
             AND redeemed_at IS NULL",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE discount_codes SET engagement_id = NULL, assigned_at = NULL \
             WHERE engagement_id = $1 AND redeemed_at IS NULL",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE engagements SET discount_code = NULL WHERE id = $1 AND NOT EXISTS \
             (SELECT 1 FROM discount_codes d WHERE d.engagement_id = $1)",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
        if let Some(e) = engagement_in(conn, workspace_id, id).await? {
            announce(conn, workspace_id, &e, Some(EngagementStatus::Queued)).await?;
            kinds.push(e.kind);
        }
    }
    Ok(kinds)
}

/// Deletes the pending thank-you emails that carry only `engagements` and no worker has
/// claimed. Returns the engagements that will be sent after all: carried by a claimed
/// email (being delivered now) or by one that also carries others.
async fn take_back_thank_yous(
    conn: &mut AnyConnection,
    workspace_id: i64,
    engagements: &[i64],
    now: i64,
) -> Result<Vec<i64>> {
    let pending: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, payload FROM outbox WHERE workspace_id = $1 AND event = 'promoter.thank_you' \
         AND status = 'pending' AND kind = 'email'",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut kept = Vec::new();
    for (outbox_id, payload) in pending {
        let Ok(email) = serde_json::from_str::<EmailMessage>(&payload) else {
            continue;
        };
        let carried = email.engagement_ids;
        if !carried.iter().any(|e| engagements.contains(e)) {
            continue;
        }
        // Taking the row (an UPDATE that changes nothing) keeps a worker from claiming it
        // until this transaction ends; one already claimed is not taken.
        let unclaimed = sqlx::query(
            "UPDATE outbox SET locked_until = locked_until WHERE id = $1 AND status = 'pending' \
             AND (locked_until IS NULL OR locked_until <= $2)",
        )
        .bind(outbox_id)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if !unclaimed || !carried.iter().all(|e| engagements.contains(e)) {
            kept.extend(carried);
            continue;
        }
        sqlx::query("DELETE FROM outbox_attempts WHERE outbox_id = $1")
            .bind(outbox_id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM outbox WHERE id = $1")
            .bind(outbox_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(kept)
}
