//! Requests to URLs a workspace admin chose (webhooks, a Slack incoming webhook, the single
//! sign-on provider) go only
//! where [`advocate_core::outbound`] allows: public addresses, and what the operator
//! allows with `--allow-webhook-hosts`. The rules are applied when a URL is registered
//! (to refuse early, with a message) and again when a delivery connects: every address a
//! name resolves to is checked by the client's resolver, so a name that resolved to a
//! public address at registration and to an internal one later (DNS rebinding) still
//! reaches nothing internal. Redirects are not followed and no proxy is used, either of
//! which would connect somewhere the rules never saw.
//!
//! SMTP and the SMS provider are the operator's own configuration and do not go through
//! here.

use advocate_core::outbound::{parse_url, AllowedHosts, Host, Refusal};
use advocate_store::models::WorkspaceSettings;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// How to get a refused target through, for every refusal message.
const HOW_TO_ALLOW: &str = "deliveries go only to public addresses unless the operator \
     allows the host with --allow-webhook-hosts";

/// How long registration waits for a name to resolve before accepting it unchecked
/// (deliveries check it again when they connect).
const REGISTRATION_LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

/// A delivery target the rules refuse; the message names the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(String);

impl Refused {
    fn address(ip: IpAddr, refusal: Refusal) -> Self {
        Self(format!("refused: {ip} is {refusal}; {HOW_TO_ALLOW}"))
    }
    fn name(name: &str, ip: IpAddr, refusal: Refusal) -> Self {
        Self(format!(
            "refused: {name} resolves only to refused addresses, such as {ip}, {refusal}; \
             {HOW_TO_ALLOW}"
        ))
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Checks a delivery URL when an admin registers it: its form (the store's check), then
/// an address in the URL, then every address a name resolves to now. A name that does
/// not resolve (yet) is accepted: deliveries check it again at connection time. `Err`
/// is the message for the admin, naming `field` and the rule.
pub async fn check_registration(
    allowed: &AllowedHosts,
    field: &str,
    raw: &str,
) -> Result<(), String> {
    advocate_store::delivery::webhooks::check_delivery_url(field, raw).map_err(|e| match e {
        advocate_store::StoreError::Invalid(m) => m,
        other => other.to_string(),
    })?;
    let url = parse_url(raw.trim()).map_err(|problem| format!("{field} {problem}"))?;
    let refused = |refusal: Refusal| format!("{field} points to {refusal}; {HOW_TO_ALLOW}");
    match Host::of(&url) {
        None => Err(format!("{field} has no host")),
        Some(Host::Ip(ip)) => allowed.check(None, ip).map_err(refused),
        Some(Host::Name(name)) if allowed.allows_name(name) => Ok(()),
        Some(Host::Name(name)) => {
            let port = url.port_or_known_default().unwrap_or(443);
            let lookup = tokio::net::lookup_host((name, port));
            let Ok(Ok(addrs)) = tokio::time::timeout(REGISTRATION_LOOKUP_TIMEOUT, lookup).await
            else {
                return Ok(());
            };
            for addr in addrs {
                if let Err(refusal) = allowed.check(Some(name), addr.ip()) {
                    return Err(format!(
                        "{field}: {name} resolves to {}, {refusal}; {HOW_TO_ALLOW}",
                        addr.ip()
                    ));
                }
            }
            Ok(())
        }
    }
}

/// [`check_registration`] for the delivery URLs among a workspace's settings.
pub async fn check_settings(
    allowed: &AllowedHosts,
    settings: &WorkspaceSettings,
) -> Result<(), String> {
    for (field, url) in [
        ("slack_webhook_url", &settings.slack_webhook_url),
        ("teams_webhook_url", &settings.teams_webhook_url),
    ] {
        if let Some(url) = url {
            check_registration(allowed, field, url).await?;
        }
    }
    Ok(())
}

/// The HTTP client of deliveries to admin-chosen URLs.
#[derive(Clone)]
pub struct OutboundClient {
    http: reqwest::Client,
    allowed: Arc<AllowedHosts>,
}

impl OutboundClient {
    pub fn new(allowed: AllowedHosts, timeout: Duration) -> Self {
        let allowed = Arc::new(allowed);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("Advocate/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(CheckingResolver {
                allowed: allowed.clone(),
            }))
            .build()
            .expect("HTTP client builds");
        Self { http, allowed }
    }

    /// A POST to `url`, or why it may not be sent. An address in the URL is checked here,
    /// since the client does not ask the resolver about it; a name is checked by the
    /// resolver, address by address, when the request connects.
    pub fn post(&self, url: &str) -> Result<reqwest::RequestBuilder, Refused> {
        Ok(self.http.post(self.checked(url)?))
    }

    /// A GET of `url` under the same rules as [`OutboundClient::post`].
    pub fn get(&self, url: &str) -> Result<reqwest::RequestBuilder, Refused> {
        Ok(self.http.get(self.checked(url)?))
    }

    fn checked(&self, url: &str) -> Result<url::Url, Refused> {
        let url = parse_url(url.trim())
            .map_err(|problem| Refused(format!("refused: the URL {problem}; got {url:?}")))?;
        if let Some(Host::Ip(ip)) = Host::of(&url) {
            self.allowed
                .check(None, ip)
                .map_err(|refusal| Refused::address(ip, refusal))?;
        }
        Ok(url)
    }
}

/// The refusal behind a failed send, when the resolver refused every address.
pub fn refusal_of(error: &reqwest::Error) -> Option<&Refused> {
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused);
        }
        source = e.source();
    }
    None
}

/// Resolves with the system resolver, then drops every address the rules refuse; fails
/// when none is left, so a refused address is never connected to.
struct CheckingResolver {
    allowed: Arc<AllowedHosts>,
}

impl Resolve for CheckingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = self.allowed.clone();
        Box::pin(async move {
            let name = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let mut first_refusal = None;
            let mut kept = Vec::with_capacity(resolved.len());
            for addr in resolved {
                match allowed.check(Some(&name), addr.ip()) {
                    Ok(()) => kept.push(addr),
                    Err(refusal) => {
                        first_refusal.get_or_insert((addr.ip(), refusal));
                    }
                }
            }
            match (kept.is_empty(), first_refusal) {
                (true, Some((ip, refusal))) => Err(Refused::name(&name, ip, refusal).into()),
                _ => Ok(Box::new(kept.into_iter()) as Addrs),
            }
        })
    }
}
