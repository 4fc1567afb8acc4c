//! What a reaction knows while it runs (one transaction): the installation's facts for
//! links, and the workspace's configuration read once; plus the customer-facing email
//! every part of the loop sends.

use crate::closed_loop::alerts::watchers::{subscriptions_in, Watcher};
use crate::closed_loop::new_cases::{self, NewCases};
use crate::delivery::outbox::{active_endpoints, enqueue_event_to, EmailMessage, Endpoint};
use crate::models::{Answer, Customer, RoutingRule, WorkspaceSettings};
use crate::tenancy::lookup::{company_in, playbook_in, routing_rules_in, sender, settings_in};
use crate::{Backend, Result};
use advocate_core::messages;
use advocate_core::{Language, Playbook, Score};
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;

/// Facts about the installation that messages need.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    /// Base URL for links in messages, e.g. `https://feedback.example.com`.
    pub public_url: &'a str,
    /// Signs the links in messages (unsubscribe).
    pub signing_key: &'a [u8],
    /// What reactions read, read once per context (one transaction): a group of answers
    /// looks at the workspace's settings and webhook endpoints once, not once each.
    pub looked: std::sync::Mutex<Looked>,
    /// Cases opened and not yet written (see [`crate::closed_loop::new_cases`]).
    pub new_cases: std::sync::Mutex<NewCases>,
}

/// What reactions read, by workspace, as read in this transaction (which changes none
/// of it).
#[derive(Debug, Default)]
pub(crate) struct Looked {
    settings: HashMap<i64, WorkspaceSettings>,
    endpoints: HashMap<i64, Vec<Endpoint>>,
    company: HashMap<i64, (String, Language)>,
    routing_rules: HashMap<i64, Vec<RoutingRule>>,
    /// By workspace, score and language.
    playbooks: HashMap<(i64, u8, String), Playbook>,
    alert_watchers: HashMap<i64, std::sync::Arc<Vec<Watcher>>>,
}

impl Context<'_> {
    /// `key`'s entry in the map `pick` chooses, read with `read` the first time only.
    /// (`read` does nothing unless it is awaited.)
    async fn once<K: Eq + Hash, V: Clone>(
        &self,
        pick: fn(&mut Looked) -> &mut HashMap<K, V>,
        key: K,
        read: impl Future<Output = Result<V>>,
    ) -> Result<V> {
        if let Some(found) = pick(&mut self.lock()).get(&key) {
            return Ok(found.clone());
        }
        let value = read.await?;
        pick(&mut self.lock()).insert(key, value.clone());
        Ok(value)
    }

    /// The workspace's settings, read once per context.
    pub(crate) async fn settings(
        &self,
        conn: &mut AnyConnection,
        workspace_id: i64,
    ) -> Result<WorkspaceSettings> {
        let read = settings_in(conn, workspace_id);
        self.once(|l| &mut l.settings, workspace_id, read).await
    }

    /// The workspace's name and default language, read once per context.
    pub(crate) async fn company(
        &self,
        conn: &mut AnyConnection,
        workspace_id: i64,
    ) -> Result<(String, Language)> {
        let read = company_in(conn, workspace_id);
        self.once(|l| &mut l.company, workspace_id, read).await
    }

    /// The workspace's routing rules, read once per context.
    pub(crate) async fn routing_rules(
        &self,
        conn: &mut AnyConnection,
        workspace_id: i64,
    ) -> Result<Vec<RoutingRule>> {
        let read = routing_rules_in(conn, workspace_id);
        self.once(|l| &mut l.routing_rules, workspace_id, read)
            .await
    }

    /// The playbook for a score in a language (see [`playbook_in`]), read once per context.
    pub(crate) async fn playbook(
        &self,
        conn: &mut AnyConnection,
        workspace_id: i64,
        score: Score,
        language: &str,
    ) -> Result<Playbook> {
        let key = (workspace_id, score.value(), language.to_owned());
        let read = playbook_in(conn, workspace_id, score, language);
        self.once(|l| &mut l.playbooks, key, read).await
    }

    /// The workspace's alert subscriptions, read once per context (one indexed query).
    pub(crate) async fn alert_watchers(
        &self,
        conn: &mut AnyConnection,
        workspace_id: i64,
    ) -> Result<std::sync::Arc<Vec<Watcher>>> {
        let read = async {
            Ok(std::sync::Arc::new(
                subscriptions_in(conn, workspace_id).await?,
            ))
        };
        self.once(|l| &mut l.alert_watchers, workspace_id, read)
            .await
    }

    /// Queues `event` for the workspace's subscribed webhook endpoints, read once per
    /// context.
    pub(crate) async fn event(
        &self,
        conn: &mut AnyConnection,
        workspace_id: i64,
        event: &str,
        data: serde_json::Value,
    ) -> Result<()> {
        let read = active_endpoints(conn, workspace_id);
        let endpoints = self.once(|l| &mut l.endpoints, workspace_id, read).await?;
        enqueue_event_to(conn, workspace_id, event, data, &endpoints).await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Looked> {
        // Never held across an await; a poisoned cache is still a valid cache.
        self.looked.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn cases(&self) -> std::sync::MutexGuard<'_, NewCases> {
        // Never held across an await.
        self.new_cases.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An id for a case about to be opened.
    pub(crate) async fn new_case_id(&self, conn: &mut AnyConnection) -> Result<i64> {
        if let Some(id) = self.cases().ready_id() {
            return Ok(id);
        }
        let (id, counted) = new_cases::first_id(conn).await?;
        if counted {
            self.cases().count_from(id + 1);
        }
        Ok(id)
    }

    /// Takes ids for up to `n` cases about to be opened (a group's detractors) in one
    /// round trip, on PostgreSQL; SQLite counts them anyway. An id left unused (the
    /// detractor joined an open case instead) is a gap, as any rolled-back one.
    pub(crate) async fn ready_case_ids(&self, conn: &mut AnyConnection, n: usize) -> Result<()> {
        if n < 2 || Backend::of_connection(conn) == Backend::Sqlite {
            return Ok(());
        }
        let ids = new_cases::sequence_ids(conn, n).await?;
        self.cases().ready(ids);
        Ok(())
    }

    /// Writes the cases opened in this context so far.
    pub(crate) async fn write_new_cases(&self, conn: &mut AnyConnection) -> Result<()> {
        let waiting = self.cases().take();
        if waiting.is_empty() {
            return Ok(());
        }
        new_cases::write(conn, waiting).await
    }

    /// Forgets the cases opened and not yet written: their answers were rolled back.
    pub(crate) fn forget_new_cases(&self) {
        self.cases().forget();
    }
}

/// An email to a customer: `None` when they unsubscribed or have no address. Every one
/// carries the one-click unsubscribe link, in the body and as List-Unsubscribe.
pub(crate) fn customer_email(
    ctx: &Context,
    settings: &WorkspaceSettings,
    customer: &Customer,
    lang: &Language,
    content: messages::EmailContent,
) -> Option<EmailMessage> {
    if customer.unsubscribed_at.is_some() {
        return None;
    }
    let to = customer.email.clone().filter(|e| !e.trim().is_empty())?;
    let url = format!(
        "{}/u/{}",
        ctx.public_url,
        crate::delivery::links::unsubscribe_token(ctx.signing_key, customer.id, Utc::now())
    );
    let label =
        advocate_core::invitation::builtin(lang, advocate_core::SurveyKind::Nps).unsubscribe;
    let footer = format!(
        "<p style=\"font-size:12px;color:#6b7280\"><a href=\"{}\" style=\"color:#6b7280\">{}</a></p>",
        messages::escape_html(&url),
        messages::escape_html(&label)
    );
    let html = match content.html.rfind("</body>") {
        Some(at) => format!("{}{footer}{}", &content.html[..at], &content.html[at..]),
        None => format!("{}{footer}", content.html),
    };
    Some(EmailMessage {
        from: sender(settings),
        to,
        subject: content.subject,
        text: format!("{}\n\n{label}: {url}\n", content.text.trim_end()),
        html,
        unsubscribe_url: Some(url),
        ..Default::default()
    })
}

/// The answer's language, else the customer's, else the workspace's.
pub(crate) fn respondent_language(
    answer: &Answer,
    customer: Option<&Customer>,
    default: &Language,
) -> Language {
    answer
        .language
        .as_deref()
        .and_then(|l| Language::new(l).ok())
        .or_else(|| customer.and_then(|c| c.language.clone()))
        .unwrap_or_else(|| default.clone())
}

/// How an alert names the customer, in the alert's language.
pub(crate) fn customer_label(customer: Option<&Customer>, lang: &Language) -> String {
    customer.map_or_else(
        || messages::anonymous_respondent(lang).to_owned(),
        |c| c.name.clone().unwrap_or_else(|| c.external_id.clone()),
    )
}

pub(crate) fn format_due(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The author of the notes Advocate itself adds to cases; any other author is a person.
pub(crate) const SYSTEM_AUTHOR: &str = "Advocate";
