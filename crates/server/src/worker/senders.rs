//! The ways a message leaves Advocate: SMTP email, signed webhook, a Slack-compatible
//! incoming webhook, and SMS through a Twilio-style HTTP provider. Each returns `Ok` only
//! when the peer accepted the message; anything else is a [`Failure`] whose reason is
//! recorded on the attempt.

use crate::outbound::{refusal_of, OutboundClient, Refused};
use advocate_core::delivery::{
    webhook_signature, EVENT_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER,
};
use advocate_store::delivery::outbox::{EmailMessage, OutboxMessage, SmsMessage};
use advocate_store::Store;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Why an attempt failed; `permanent` failures can never succeed (a malformed address),
/// so they are dead-lettered at once instead of retried for a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    pub permanent: bool,
}

impl Failure {
    pub fn retry(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            permanent: false,
        }
    }
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            permanent: true,
        }
    }
}

/// A validated SMTP connection URL: `smtp://host:port` (plain, for a local relay),
/// `smtp://user:pass@host:587?tls=starttls` (or `tls=required` / `tls=opportunistic`)
/// and `smtps://host:465` (TLS from the start).
#[derive(Clone)]
pub struct SmtpSettings {
    /// In lettre's spelling (`tls=starttls` becomes `tls=required`).
    url: String,
}

impl std::fmt::Debug for SmtpSettings {
    // The URL may hold a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpSettings { url: <redacted> }")
    }
}

impl SmtpSettings {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let Some((scheme, _)) = url.split_once("://") else {
            return Err("SMTP URL must look like smtp://host:port, \
                 smtp://user:password@host:587?tls=starttls or smtps://host:465"
                .into());
        };
        if scheme != "smtp" && scheme != "smtps" {
            return Err(format!(
                "SMTP URL must start with smtp:// or smtps://; got {scheme}://"
            ));
        }
        let lettre_url = url.replace("tls=starttls", "tls=required");
        if let Some((_, query)) = lettre_url.split_once('?') {
            for pair in query.split('&') {
                match pair.split_once('=') {
                    Some(("tls", "required" | "opportunistic")) => {}
                    _ => {
                        return Err(format!(
                            "SMTP URL: unknown option {pair:?}; the only option is \
                             tls=starttls (or tls=required / tls=opportunistic)"
                        ))
                    }
                }
            }
        }
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url)
            .map_err(|e| format!("SMTP URL is not valid: {e}"))?;
        Ok(Self { url: lettre_url })
    }

    /// `host:port` as given in the URL (no credentials), for messages.
    pub fn address(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(u) => match u.port() {
                Some(port) => format!("{}:{port}", u.host_str().unwrap_or_default()),
                None => u.host_str().unwrap_or_default().to_owned(),
            },
            Err(_) => "the SMTP server".to_owned(),
        }
    }

    /// Connects, says EHLO (and upgrades to TLS or logs in when the URL says so), then
    /// NOOP and QUIT, within `timeout`: whether mail could be handed over now.
    pub async fn check(&self, timeout: Duration) -> Result<(), String> {
        let transport: AsyncSmtpTransport<Tokio1Executor> =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(&self.url)
                .expect("validated in parse")
                .timeout(Some(timeout))
                .build();
        match tokio::time::timeout(timeout, transport.test_connection()).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err("the server did not answer NOOP".to_owned()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer in {timeout:?}")),
        }
    }

    pub fn transport(&self) -> AsyncSmtpTransport<Tokio1Executor> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&self.url)
            .expect("validated in parse")
            .timeout(Some(Duration::from_secs(30)))
            .build()
    }
}

/// A validated SMS provider URL: where Twilio-style form posts go, e.g.
/// `https://ACxxx:token@api.twilio.com/2010-04-01/Accounts/ACxxx/Messages.json`. The
/// URL's userinfo, if any, becomes HTTP basic auth and is kept out of the URL itself.
#[derive(Clone)]
pub struct SmsSettings {
    /// Without userinfo.
    url: reqwest::Url,
    username: Option<String>,
    password: Option<String>,
}

impl std::fmt::Debug for SmsSettings {
    // The password is a provider's API secret: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSettings")
            .field("url", &self.url.as_str())
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl SmsSettings {
    pub fn parse(url: &str) -> Result<Self, String> {
        const FORM: &str =
            "https://ACCOUNT:TOKEN@api.twilio.com/2010-04-01/Accounts/ACCOUNT/Messages.json";
        let mut url = reqwest::Url::parse(url.trim()).map_err(|e| {
            format!("SMS provider URL is not valid ({e}); it must look like {FORM}")
        })?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(format!(
                "SMS provider URL must start with https:// (or http://); got {}://",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!(
                "SMS provider URL has no host; it must look like {FORM}"
            ));
        }
        let decode = |s: &str| {
            percent_decode(s)
                .ok_or("SMS provider URL: the credentials are not valid percent-encoded UTF-8")
        };
        let username = Some(decode(url.username())?).filter(|u| !u.is_empty());
        let password = url.password().map(decode).transpose()?;
        if password.is_some() && username.is_none() {
            return Err(
                "SMS provider URL has a password but no user name (https://USER:PASSWORD@host/…)"
                    .into(),
            );
        }
        url.set_username("").expect("http URLs take a user name");
        url.set_password(None).expect("http URLs take a password");
        Ok(Self {
            url,
            username,
            password,
        })
    }

    /// The URL form posts go to, without credentials.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }
}

/// Decodes `%XX` escapes (userinfo in a URL is percent-encoded); `None` if malformed.
fn percent_decode(s: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// Posts an SMS to the provider as a Twilio-style form (`To`, `From`, `Body` and, when the
/// message has one, `StatusCallback`). 2xx is sent; a 4xx other than 408 and 429 is the
/// provider refusing this message for good (bad number, bad sender): permanent; anything
/// else is retried.
pub async fn send_sms(
    http: &reqwest::Client,
    settings: &SmsSettings,
    msg: &OutboxMessage,
) -> Result<(), Failure> {
    let sms: SmsMessage = serde_json::from_str(&msg.payload)
        .map_err(|e| Failure::permanent(format!("stored SMS is not valid: {e}")))?;
    let mut form = vec![
        ("To", sms.to.as_str()),
        ("From", sms.from.as_str()),
        ("Body", sms.body.as_str()),
    ];
    if let Some(callback) = &sms.status_callback {
        form.push(("StatusCallback", callback));
    }
    let mut request = http
        .post(settings.url.clone())
        .header(IDEMPOTENCY_HEADER, &msg.idempotency_key)
        .form(&form);
    if let Some(user) = &settings.username {
        request = request.basic_auth(user, settings.password.as_ref());
    }
    let response = request
        .send()
        .await
        .map_err(|e| Failure::retry(format!("SMS provider: {}", chain(&e))))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.is_success() {
        // Twilio answers with the message's `sid`; there is no column for it, so it goes
        // to the log, where it links our message to the provider's records.
        let sid = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("sid").and_then(|s| s.as_str()).map(str::to_owned));
        tracing::info!(id = msg.id, invitation = ?sms.invitation_id, sid = ?sid, "SMS accepted by the provider");
        return Ok(());
    }
    let body: String = body.chars().take(200).collect();
    let reason = format!("SMS provider: HTTP {status}: {}", body.trim());
    let retryable = !status.is_client_error()
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
    Err(if retryable {
        Failure::retry(reason)
    } else {
        Failure::permanent(reason)
    })
}

/// Hands an email to the SMTP server, as text and HTML alternatives.
pub async fn send_email(
    smtp: &AsyncSmtpTransport<Tokio1Executor>,
    msg: &OutboxMessage,
) -> Result<(), Failure> {
    let email: EmailMessage = serde_json::from_str(&msg.payload)
        .map_err(|e| Failure::permanent(format!("stored email is not valid: {e}")))?;
    let from = email
        .from
        .parse()
        .map_err(|e| Failure::permanent(format!("sender address {:?}: {e}", email.from)))?;
    let to = email
        .to
        .parse()
        .map_err(|e| Failure::permanent(format!("recipient address {:?}: {e}", email.to)))?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject)
        // The same Message-ID on every retry lets mail systems drop a repeat.
        .message_id(Some(match &email.message_id {
            Some(id) => format!("<{id}>"),
            None => format!("<{}@advocate>", msg.idempotency_key),
        }));
    if let Some(reply_to) = &email.reply_to {
        let reply_to = reply_to
            .parse()
            .map_err(|e| Failure::permanent(format!("reply address {reply_to:?}: {e}")))?;
        builder = builder.reply_to(reply_to);
    }
    if let Some(id) = &email.in_reply_to {
        builder = builder.in_reply_to(format!("<{id}>"));
    }
    if !email.references.is_empty() {
        let refs: Vec<String> = email.references.iter().map(|r| format!("<{r}>")).collect();
        builder = builder.references(refs.join(" "));
    }
    if let Some(url) = &email.unsubscribe_url {
        // RFC 2369 and RFC 8058: mail clients offer one-click unsubscribe, which POSTs
        // "List-Unsubscribe=One-Click" to the URL.
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    let message = builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(email.text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(email.html),
                ),
        )
        .map_err(|e| Failure::permanent(format!("cannot build the email: {e}")))?;
    match smtp.send(message).await {
        Ok(_) => Ok(()),
        // A 5xx answer is the server refusing this message for good.
        Err(e) if e.is_permanent() => Err(Failure::permanent(format!("SMTP: {}", chain(&e)))),
        Err(e) => Err(Failure::retry(format!("SMTP: {}", chain(&e)))),
    }
}

/// POSTs the stored payload, byte for byte, signed with the endpoint's current secret.
/// A person's alert subscription to a webhook has no endpoint and no secret: its POSTs
/// carry the idempotency key and event, unsigned.
pub async fn send_webhook(
    outbound: &OutboundClient,
    store: &Store,
    msg: &OutboxMessage,
) -> Result<(), Failure> {
    let Some(endpoint) = msg.endpoint_id else {
        let request = outbound
            .post(&msg.target)
            .map_err(refused)?
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(IDEMPOTENCY_HEADER, &msg.idempotency_key)
            .header(EVENT_HEADER, &msg.event)
            .body(msg.payload.clone());
        return post(request).await;
    };
    let secret = store
        .webhooks()
        .secret(endpoint)
        .await
        .map_err(|e| Failure::retry(format!("cannot read the endpoint's secret: {e}")))?
        .ok_or_else(|| {
            Failure::permanent(format!("webhook endpoint {endpoint} no longer exists"))
        })?;
    let now = chrono::Utc::now().timestamp();
    let signature = webhook_signature(&secret, now, msg.payload.as_bytes());
    let request = outbound
        .post(&msg.target)
        .map_err(refused)?
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(IDEMPOTENCY_HEADER, &msg.idempotency_key)
        .header(EVENT_HEADER, &msg.event)
        .body(msg.payload.clone());
    post(request).await
}

/// POSTs the stored payload (`{"text": …, "blocks": […]}`) to a Slack-compatible webhook.
pub async fn send_slack(outbound: &OutboundClient, msg: &OutboxMessage) -> Result<(), Failure> {
    post_json(outbound, msg).await
}

/// POSTs the stored payload (a `message` with an Adaptive Card) to a Microsoft Teams
/// incoming webhook, under the same outbound rules as Slack.
pub async fn send_teams(outbound: &OutboundClient, msg: &OutboxMessage) -> Result<(), Failure> {
    post_json(outbound, msg).await
}

/// POSTs a chat message's stored JSON body as it is.
async fn post_json(outbound: &OutboundClient, msg: &OutboxMessage) -> Result<(), Failure> {
    let request = outbound
        .post(&msg.target)
        .map_err(refused)?
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(msg.payload.clone());
    post(request).await
}

/// A target the rules refuse will not become reachable by retrying: dead-letter it now.
fn refused(r: Refused) -> Failure {
    Failure::permanent(r.to_string())
}

/// 2xx is delivered; any other status, a timeout or a network error is a failure whose
/// reason names what happened. The body of a failed answer is not recorded: admins read
/// the reason, and an internal service's answer is what a forged request would be after.
async fn post(request: reqwest::RequestBuilder) -> Result<(), Failure> {
    let response = request.send().await.map_err(|e| match refusal_of(&e) {
        Some(r) => refused(r.clone()),
        None => Failure::retry(chain(&e)),
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    Err(Failure::retry(if status.is_redirection() {
        format!("HTTP {status} (redirects are not followed)")
    } else {
        format!("HTTP {status}")
    }))
}

/// An error with its causes ("error sending request: … : Connection refused").
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
