//! The demo's conversations: the demo user emailed two open detractors from their cases
//! and one answered, so a case page shows a thread (and the composer its template) on
//! first sign-in. Written through the same store calls the app uses; the emails wait in
//! the outbox, since the demo has no SMTP server.

use advocate_core::case::CaseStatus;
use advocate_core::conversation::address::new_message_id;
use advocate_core::conversation::inbound::{InboundMail, Nature};
use advocate_core::conversation::templates::{render, TemplateFacts};
use advocate_store::closed_loop::cases::CaseFilter;
use advocate_store::closed_loop::conversation::{InboundSource, Outgoing, Receipt};
use advocate_store::Store;
use anyhow::Result;

/// The demo's Message-ID domain (fictional, like its sender).
const DOMAIN: &str = "nordlys.example.com";

/// What the customer of the first conversation wrote back.
const REPLY: &str = "Thanks for getting back to me. The router has been replaced and the \
     connection is stable now, but I lost two working days. Could you credit this month?";

/// Emails the customers of the two oldest open cases with an address; the first answers.
/// Returns how many conversations were started.
pub async fn play_out(
    store: &Store,
    workspace_id: i64,
    agent: &str,
    company: &str,
) -> Result<usize> {
    let filter = CaseFilter {
        statuses: vec![CaseStatus::Open],
        limit: 100,
        ..Default::default()
    };
    let page = store.cases().list(workspace_id, &filter).await?;
    let mut started = 0;
    for case in page
        .cases
        .iter()
        .filter(|c| c.customer_external_id.is_some())
    {
        let Some(contact) = store.conversations().contact(workspace_id, case.id).await? else {
            continue;
        };
        let Some(email) = contact.email.filter(|e| !e.is_empty()) else {
            continue;
        };
        let language = contact.language.unwrap_or_else(|| case.language.clone());
        let template = store
            .conversations()
            .template(workspace_id, case.score, None, &language)
            .await?;
        let text = render(
            &template,
            &TemplateFacts {
                customer_name: case.customer_name.as_deref(),
                score: case.score,
                company,
                agent_name: "Demo Agent",
                comment: case.comment.as_deref(),
            },
        );
        let sent = store
            .conversations()
            .send(
                workspace_id,
                case.id,
                agent,
                &Outgoing {
                    subject: text.subject.clone(),
                    body: text.body,
                    reply_to: None,
                    message_id: new_message_id(DOMAIN, case.id),
                },
            )
            .await?;
        if started == 0 {
            let reply = InboundMail {
                message_id: Some(format!("demo-reply-{}@mail.example.com", case.id)),
                in_reply_to: vec![sent.message_id.clone()],
                references: vec![sent.message_id],
                from: email.clone(),
                from_name: case.customer_name.clone(),
                recipients: vec!["feedback@nordlys.example.com".into()],
                subject: format!("Re: {}", text.subject),
                text: REPLY.into(),
                reply: REPLY.into(),
                attachments: Vec::new(),
                nature: Nature::Reply,
                size: REPLY.len(),
            };
            let receipt = Receipt {
                source: InboundSource::Api,
                scope: Some(workspace_id),
                token: None,
                forged_token: false,
                raw: REPLY.as_bytes(),
            };
            store.conversations().receive(&reply, &receipt).await?;
        }
        started += 1;
        if started == 2 {
            break;
        }
    }
    Ok(started)
}
