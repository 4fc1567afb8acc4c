//! Options shared by commands. Precedence: flags, then `ADVOCATE_*` environment variables,
//! then the configuration file (see `config`), then defaults.

use advocate_core::conversation::address::ReplyRoute;
use advocate_core::outbound::AllowedHosts;
use advocate_core::proxy::TrustedProxies;
use advocate_server::metrics::{MetricsAccess, MetricsToken};
use advocate_server::worker::backups::Schedule;
use advocate_server::worker::mailbox::{MailboxConfig, MailboxSettings};
use advocate_store::models::Workspace;
use advocate_store::Store;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Args, Clone, Debug)]
pub struct DbArgs {
    /// Folder for the embedded SQLite database.
    #[arg(
        long,
        env = "ADVOCATE_DATA_DIR",
        default_value = "advocate-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL, or `sqlite:PATH`; defaults to SQLite in the data folder.
    #[arg(
        long,
        env = "ADVOCATE_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub database_url: Option<String>,
    /// Workspace (slug) a command acts on; may be left out when there is only one.
    #[arg(long, env = "ADVOCATE_WORKSPACE", global = true)]
    pub workspace: Option<String>,
}

#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "ADVOCATE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The address people reach Advocate at, for links in emails and webhooks
    /// (e.g. https://feedback.example.com); defaults to http://<bind>.
    #[arg(long, env = "ADVOCATE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Mark cookies Secure (set when Advocate is reached over HTTPS).
    #[arg(long, env = "ADVOCATE_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// SMTP server for alerts and thank-yous: smtp://host:2525 (plain, local),
    /// smtp://user:pass@host:587?tls=starttls or smtps://user:pass@host:465. Without it
    /// emails wait in the outbox.
    #[arg(long, env = "ADVOCATE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// SMS provider for invitations, Twilio-style (form POST, credentials as basic auth):
    /// https://ACCOUNT:TOKEN@api.twilio.com/2010-04-01/Accounts/ACCOUNT/Messages.json.
    /// Without it SMS invitations fail and are retried (the outbox shows why).
    #[arg(long, env = "ADVOCATE_SMS_URL", hide_env_values = true)]
    pub sms_url: Option<String>,
    /// Hosts webhooks and Slack messages may go to although they are not public,
    /// comma-separated: host names (exact), IP addresses or CIDR ranges, e.g.
    /// hooks.internal,10.1.2.0/24. Without it deliveries go only to public addresses.
    #[arg(long, env = "ADVOCATE_ALLOW_WEBHOOK_HOSTS", value_name = "HOSTS")]
    pub allow_webhook_hosts: Option<String>,
    /// The reverse proxies in front of Advocate, comma-separated IP addresses or CIDR
    /// ranges (e.g. 127.0.0.1,10.0.0.0/8,fd00::/8): from them, and only from them, the
    /// client's address is taken from X-Forwarded-For (for rate limits). Without it the
    /// header is ignored.
    #[arg(long, env = "ADVOCATE_TRUST_PROXY", value_name = "CIDRS")]
    pub trust_proxy: Option<String>,
    /// Where customers' replies to emails written on cases go: a domain whose every
    /// address reaches Advocate's mailbox (replies.example.com → c12-w1-…@replies.example.com)
    /// or one mailbox that takes plus-addresses (support@example.com →
    /// support+c12-w1-…@example.com). Without it emails carry no Reply-To and replies are
    /// matched by their threading headers only.
    #[arg(long, env = "ADVOCATE_REPLY_ADDRESS", value_name = "DOMAIN_OR_ADDRESS")]
    pub reply_address: Option<String>,
    /// The mailbox customers' replies arrive in, read over IMAP (IDLE where offered):
    /// imaps://user:password@host:993/INBOX, imap://user:password@host:143/INBOX?tls=starttls,
    /// imap://user:password@127.0.0.1:143/INBOX (plain, this machine only); add
    /// ?processed=Folder to keep handled mail there instead of deleting it.
    #[arg(long, env = "ADVOCATE_IMAP_URL", hide_env_values = true)]
    pub imap_url: Option<String>,
    /// A PEM file of the certificate authorities the IMAP server's certificate is signed
    /// by (a mail server with its own CA); when given, only these are trusted, not the
    /// public web roots.
    #[arg(long, env = "ADVOCATE_IMAP_CA_FILE", value_name = "PEM_FILE")]
    pub imap_ca_file: Option<PathBuf>,
    /// Serve the web app and API only; another instance delivers the outbox.
    #[arg(long, env = "ADVOCATE_NO_WORKERS")]
    pub no_workers: bool,
    /// Most connections held open at once; beyond it the longest-idle one is closed.
    /// Defaults to the process's open-file limit less 128, at most 10,000.
    #[arg(long, env = "ADVOCATE_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(16..))]
    pub max_connections: Option<u32>,
    /// Seconds a connection may wait for a complete request (headers; or the next request
    /// on a kept-alive connection) before it is closed.
    #[arg(long, env = "ADVOCATE_IDLE_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout: u64,
    /// The workspace's name on a fresh database (emails say "A quick question from
    /// NAME"); ignored once the workspace exists (rename it on the settings page).
    #[arg(long, env = "ADVOCATE_WORKSPACE_NAME", default_value = "My company")]
    pub workspace_name: String,
    /// Serve /metrics (Prometheus) to scrapers sending `Authorization: Bearer TOKEN`
    /// (at least 16 characters). Without it, and without --metrics-bind, /metrics is off.
    #[arg(
        long,
        env = "ADVOCATE_METRICS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub metrics_token: Option<String>,
    /// Serve /metrics on this address alone (e.g. a private network's 10.0.0.5:9090), and
    /// not on --bind; with --metrics-token too, it asks for the token there.
    #[arg(long, env = "ADVOCATE_METRICS_BIND", value_name = "ADDR")]
    pub metrics_bind: Option<SocketAddr>,
    /// Folder for scheduled backups of the SQLite database (named with their UTC time,
    /// e.g. advocate-20260101T020000Z.db). Without it no backups are scheduled.
    #[arg(long, env = "ADVOCATE_BACKUP_DIR", value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// How often to back up into --backup-dir: a number with s, m, h or d (30m, 24h, 7d).
    #[arg(long, env = "ADVOCATE_BACKUP_EVERY", default_value = "24h", value_parser = parse_every)]
    pub backup_every: std::time::Duration,
    /// How many backups to keep in --backup-dir; older ones are deleted once a new one
    /// is verified.
    #[arg(long, env = "ADVOCATE_BACKUP_KEEP", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..))]
    pub backup_keep: u32,
}

/// An interval as `parse_every` reads it (`86400 s` → `1d`).
pub fn show_every(every: std::time::Duration) -> String {
    let secs = every.as_secs();
    match [(86_400, 'd'), (3600, 'h'), (60, 'm')]
        .into_iter()
        .find(|(unit, _)| secs.is_multiple_of(*unit))
    {
        Some((unit, name)) => format!("{}{name}", secs / unit),
        None => format!("{secs}s"),
    }
}

/// `30m`, `24h`, `7d`: a whole number of seconds, minutes, hours or days, at least 1 s.
fn parse_every(text: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("{text:?} is not a duration like 30m, 24h or 7d");
    let unit = text.chars().last().ok_or_else(bad)?;
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    let n: u64 = text[..text.len() - 1].parse().map_err(|_| bad())?;
    match n.checked_mul(seconds) {
        Some(s) if s > 0 => Ok(std::time::Duration::from_secs(s)),
        _ => Err(bad()),
    }
}

impl ServeArgs {
    /// `--allow-webhook-hosts`, checked.
    pub fn allowed_hosts(&self) -> Result<AllowedHosts> {
        AllowedHosts::parse(self.allow_webhook_hosts.as_deref().unwrap_or_default()).map_err(|e| {
            anyhow::anyhow!("--allow-webhook-hosts / ADVOCATE_ALLOW_WEBHOOK_HOSTS: {e}")
        })
    }

    /// `--trust-proxy`, checked.
    pub fn trusted_proxies(&self) -> Result<TrustedProxies> {
        TrustedProxies::parse(self.trust_proxy.as_deref().unwrap_or_default())
            .map_err(|e| anyhow::anyhow!("--trust-proxy / ADVOCATE_TRUST_PROXY: {e}"))
    }

    /// `--reply-address`, checked.
    pub fn reply_route(&self) -> Result<Option<ReplyRoute>> {
        self.reply_address
            .as_deref()
            .map(|s| {
                ReplyRoute::parse(s)
                    .map_err(|e| anyhow::anyhow!("--reply-address / ADVOCATE_REPLY_ADDRESS: {e}"))
            })
            .transpose()
    }

    /// `--imap-url` with `--imap-ca-file`, checked (the CA file is read now).
    pub fn mailbox(&self) -> Result<Option<MailboxConfig>> {
        let Some(url) = self.imap_url.as_deref() else {
            if self.imap_ca_file.is_some() {
                bail!("--imap-ca-file / ADVOCATE_IMAP_CA_FILE is given without --imap-url");
            }
            return Ok(None);
        };
        let mut settings = MailboxSettings::parse(url)
            .map_err(|e| anyhow::anyhow!("--imap-url / ADVOCATE_IMAP_URL: {e}"))?;
        if let Some(ca) = &self.imap_ca_file {
            settings = settings
                .with_ca_file(ca)
                .map_err(|e| anyhow::anyhow!("--imap-ca-file / ADVOCATE_IMAP_CA_FILE: {e}"))?;
        }
        Ok(Some(MailboxConfig::new(settings)))
    }

    /// Who may read /metrics on the main address, and on the metrics address if any
    /// (`--metrics-token`, `--metrics-bind`), checked.
    pub fn metrics(&self) -> Result<(MetricsAccess, Option<(SocketAddr, MetricsAccess)>)> {
        let token = self
            .metrics_token
            .as_deref()
            .map(MetricsToken::new)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--metrics-token / ADVOCATE_METRICS_TOKEN: {e}"))?;
        Ok(match (self.metrics_bind, token) {
            // An address of its own: served there only, with the token if one is given.
            (Some(addr), token) => {
                let access = token.map_or(MetricsAccess::Open, MetricsAccess::Token);
                (MetricsAccess::Off, Some((addr, access)))
            }
            (None, Some(token)) => (MetricsAccess::Token(token), None),
            (None, None) => (MetricsAccess::Off, None),
        })
    }

    /// `--backup-dir` with its schedule, checked: SQLite only; the folder is created now.
    pub fn backup_schedule(&self) -> Result<Option<Schedule>> {
        let Some(dir) = &self.backup_dir else {
            return Ok(None);
        };
        if self
            .db
            .database_url
            .as_deref()
            .is_some_and(|u| !u.starts_with("sqlite:"))
        {
            bail!(
                "--backup-dir / ADVOCATE_BACKUP_DIR backs up SQLite only; back up PostgreSQL \
                 with pg_dump (see \"Backups and restore\" in the README)"
            );
        }
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "--backup-dir / ADVOCATE_BACKUP_DIR: cannot create {}",
                dir.display()
            )
        })?;
        Ok(Some(Schedule {
            dir: dir.clone(),
            every: self.backup_every,
            keep: self.backup_keep as usize,
        }))
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
    }
}

impl DbArgs {
    pub fn url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("advocate.db").display()),
        }
    }

    /// Connects and applies migrations.
    pub async fn open(&self) -> Result<Store> {
        let url = self.url();
        let store = Store::connect(&url)
            .await
            .with_context(|| format!("cannot open the database ({})", redact(&url)))?;
        store
            .migrate()
            .await
            .context("cannot apply database migrations")?;
        Ok(store)
    }

    /// The workspace named by `--workspace`, or the only one there is.
    pub async fn workspace(&self, store: &Store) -> Result<Workspace> {
        if let Some(slug) = &self.workspace {
            return store
                .workspaces()
                .by_slug(slug)
                .await?
                .with_context(|| format!("no workspace {slug:?}"));
        }
        let mut all = store.workspaces().list().await?;
        match all.len() {
            0 => bail!("there is no workspace yet; run `advocate serve` or `advocate demo` once"),
            1 => Ok(all.remove(0)),
            _ => bail!(
                "there are several workspaces ({}); choose one with --workspace",
                all.iter()
                    .map(|w| w.slug.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A database URL with any password hidden, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_backup_intervals() {
        let secs = |t| super::parse_every(t).map(|d| d.as_secs());
        assert_eq!(secs("90s"), Ok(90));
        assert_eq!(secs("30m"), Ok(1800));
        assert_eq!(secs("24h"), Ok(86_400));
        assert_eq!(secs("7d"), Ok(604_800));
        let shown = |t| super::show_every(super::parse_every(t).unwrap());
        for same in ["90s", "30m", "36h", "7d"] {
            assert_eq!(shown(same), same);
        }
        assert_eq!(shown("24h"), "1d");
        assert_eq!(shown("120m"), "2h");
        for bad in ["", "h", "0h", "24", "1.5h", "-1h", "24 h", "3w"] {
            assert!(secs(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("sqlite://a/b.db"), "sqlite://a/b.db");
    }
}
