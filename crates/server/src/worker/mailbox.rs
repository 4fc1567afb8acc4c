//! The mailbox customers reply to: polled over IMAP, every message handed to a handler
//! (which records it) and only then removed, so a message is never lost. IMAP IDLE where
//! the server offers it, polling otherwise.
//!
//! Every message is handed over *at least* once: a connection lost between the handler's
//! `Ok` and the removal, or two instances polling one mailbox, hand a message over again.
//! The handler must therefore be idempotent (the store records a message once, by its
//! digest). Messages are fetched with `BODY.PEEK`, so nothing is marked read before the
//! handler succeeded, and addressed by UID throughout.

use async_imap::types::UnsolicitedResponse;
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;

/// Longest wait for one IMAP exchange (connect, log in, one command, one message's
/// download): past it the server is presumed gone and the connection is dropped.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The keyword set with \Deleted on a message this poller handled, so that an
/// interrupted removal is finished later while mail *another* client flagged \Deleted
/// is left to that client.
const TAKEN: &str = "$AdvocateTaken";

/// The first wait before reconnecting; it doubles up to [`MailboxConfig::reconnect_max`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `imap://` to a server on this machine: nothing to protect on loopback.
    Plain,
    /// `imap://…?tls=starttls`: upgraded to TLS before logging in.
    StartTls,
    /// `imaps://`: TLS from the first byte.
    Tls,
}

/// `imap://user:password@host:143/INBOX` (plain, local only), `imap://…?tls=starttls`,
/// `imaps://user:password@host:993/INBOX` (default folder INBOX); optional
/// `?processed=Folder` moves handled mail there instead of deleting it.
#[derive(Clone, PartialEq, Eq)]
pub struct MailboxSettings {
    security: Security,
    host: String,
    port: u16,
    user: String,
    password: String,
    folder: String,
    processed: Option<String>,
    /// The certificate authorities trusted instead of the public web roots (a mail
    /// server with a private CA); `None`: the web roots.
    trusted: Option<Vec<CertificateDer<'static>>>,
}

/// `user@host:port/folder`, for start-up messages (never the password).
impl std::fmt::Display for MailboxSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}@{}:{}/{}",
            self.user, self.host, self.port, self.folder
        )
    }
}

impl std::fmt::Debug for MailboxSettings {
    // The password opens the mailbox: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxSettings")
            .field("security", &self.security)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("folder", &self.folder)
            .field("processed", &self.processed)
            .field("trusted", &self.trusted.as_ref().map(Vec::len))
            .finish()
    }
}

impl MailboxSettings {
    pub fn parse(url: &str) -> Result<Self, String> {
        const FORM: &str = "imaps://user:password@host:993/INBOX \
             (or imap://user:password@host:143/INBOX?tls=starttls)";
        let url = url::Url::parse(url.trim())
            .map_err(|e| format!("IMAP URL is not valid ({e}); it must look like {FORM}"))?;
        let (mut security, default_port) = match url.scheme() {
            "imap" => (Security::Plain, 143),
            "imaps" => (Security::Tls, 993),
            other => {
                return Err(format!(
                    "IMAP URL must start with imaps:// or imap://; got {other}://"
                ))
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("IMAP URL has no host; it must look like {FORM}"))?;
        // `url` keeps IPv6 hosts in brackets; the socket address wants them bare.
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let decode = |s: &str, what: &str| {
            percent_decode(s)
                .ok_or_else(|| format!("IMAP URL: the {what} is not valid percent-encoded UTF-8"))
        };
        let user = decode(url.username(), "user name")?;
        let password = url
            .password()
            .map(|p| decode(p, "password"))
            .transpose()?
            .unwrap_or_default();
        if user.is_empty() || password.is_empty() {
            return Err(format!(
                "IMAP URL needs a user name and a password; it must look like {FORM}"
            ));
        }
        let folder = decode(url.path().trim_start_matches('/'), "folder")?;
        let folder = if folder.is_empty() {
            "INBOX".to_owned()
        } else {
            check_folder(&folder)?
        };
        let mut processed = None;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "starttls") if security == Security::Plain => security = Security::StartTls,
                ("tls", _) => {
                    return Err(format!(
                        "IMAP URL: tls={value:?} is not an option here; imaps:// is TLS \
                         from the start, imap://…?tls=starttls upgrades before logging in"
                    ))
                }
                ("processed", folder) if !folder.is_empty() => {
                    processed = Some(check_folder(folder)?)
                }
                _ => {
                    return Err(format!(
                        "IMAP URL: unknown option {key}={value}; the options are \
                         tls=starttls and processed=FOLDER"
                    ))
                }
            }
        }
        if security == Security::Plain && !is_loopback(&host) {
            return Err(format!(
                "IMAP URL: imap:// without TLS would send the password in clear to {host}; \
                 use imaps:// or imap://…?tls=starttls (plain imap:// is for a server on \
                 this machine)"
            ));
        }
        if processed.as_deref() == Some(folder.as_str()) {
            return Err("IMAP URL: processed= must name another folder than the one polled".into());
        }
        Ok(Self {
            security,
            host,
            port: url.port().unwrap_or(default_port),
            user,
            password,
            folder,
            processed,
            trusted: None,
        })
    }

    /// Trusts only the certificate authorities in the PEM file at `path` (the mail
    /// server's private CA) instead of the public web roots.
    pub fn with_ca_file(mut self, path: &std::path::Path) -> Result<Self, String> {
        if self.security == Security::Plain {
            return Err(
                "a CA file is for imaps:// or imap://…?tls=starttls; this URL is plain imap://"
                    .into(),
            );
        }
        let shown = path.display();
        let pem =
            std::fs::read(path).map_err(|e| format!("cannot read the CA file {shown}: {e}"))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the CA file {shown} is not valid PEM: {e}"))?;
        if certs.is_empty() {
            return Err(format!(
                "the CA file {shown} holds no certificate (-----BEGIN CERTIFICATE-----)"
            ));
        }
        // Each must be a certificate rustls can anchor trust in, said now rather than at
        // the first connection.
        let mut roots = rustls::RootCertStore::empty();
        for cert in &certs {
            roots
                .add(cert.clone())
                .map_err(|e| format!("the CA file {shown} holds an unusable certificate: {e}"))?;
        }
        self.trusted = Some(certs);
        Ok(self)
    }

    pub fn security(&self) -> Security {
        self.security
    }
    pub fn host(&self) -> &str {
        &self.host
    }
    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn user(&self) -> &str {
        &self.user
    }
    /// The folder polled.
    pub fn folder(&self) -> &str {
        &self.folder
    }
    /// Where handled mail is moved; `None`: it is deleted.
    pub fn processed(&self) -> Option<&str> {
        self.processed.as_deref()
    }
}

/// A folder name goes into IMAP commands quoted; line breaks and quotes have no place in it.
fn check_folder(name: &str) -> Result<String, String> {
    if name
        .chars()
        .any(|c| c.is_control() || c == '"' || c == '\\')
    {
        return Err(format!(
            "IMAP URL: folder {name:?} has a control character, a quote or a backslash"
        ));
    }
    Ok(name.to_owned())
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Decodes `%XX` escapes (userinfo and path are percent-encoded); `None` if malformed.
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

/// One message as handed to the handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The whole message, or only its header when `headers_only`.
    pub raw: Vec<u8>,
    /// The message's size on the server (RFC822.SIZE), even when only the header came.
    pub size: usize,
    /// The message was larger than [`MailboxConfig::max_bytes`]: it was not downloaded,
    /// so it can be recorded as too large instead of lost.
    pub headers_only: bool,
}

/// How the mailbox is polled.
#[derive(Debug, Clone)]
pub struct MailboxConfig {
    pub settings: MailboxSettings,
    /// Larger messages are handed over as their header only.
    pub max_bytes: usize,
    /// How often to look when the server does not offer IDLE (and how soon to retry a
    /// message whose handler failed).
    pub poll_interval: Duration,
    /// How long one IDLE lasts before it is ended and re-issued (servers drop idle
    /// clients after 30 minutes).
    pub idle_timeout: Duration,
    /// The longest wait between reconnection attempts.
    pub reconnect_max: Duration,
}

impl MailboxConfig {
    /// Production defaults: 10 MiB messages, polling each minute, IDLE renewed every 25
    /// minutes, reconnecting at least every 5 minutes.
    pub fn new(settings: MailboxSettings) -> Self {
        Self {
            settings,
            max_bytes: 10 * 1024 * 1024,
            poll_interval: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(25 * 60),
            reconnect_max: Duration::from_secs(300),
        }
    }
}

/// The handler that takes each message to its case: parsed, matched and recorded once
/// (see [`crate::conversation::receive`]). A message that is not an email stays in the
/// mailbox (Err), for a person to look at; a database failure leaves it for the next
/// round.
pub fn to_cases(
    store: advocate_store::Store,
    reply_key: Vec<u8>,
) -> impl Fn(Fetched) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync + 'static
{
    let reply_key = Arc::new(reply_key);
    move |m: Fetched| {
        let store = store.clone();
        let key = reply_key.clone();
        Box::pin(async move {
            let received = crate::conversation::receive(
                &store,
                &key,
                &m.raw,
                m.size,
                m.headers_only,
                advocate_store::closed_loop::conversation::InboundSource::Imap,
                None,
            )
            .await
            .map_err(|e| e.to_string())?;
            tracing::info!(?received, size = m.size, "reply mail taken");
            Ok(())
        })
    }
}

/// Runs until `stop` turns true: connect, log in, select, hand every message to
/// `handle`; Ok → flag \Seen \Deleted and expunge (UID EXPUNGE with UIDPLUS), or move
/// to the processed folder; Err → leave it for the next round (logged). Waits with
/// IDLE when the server offers it (re-issued before idle_timeout), else polls every
/// poll_interval; on any connection error reconnects with backoff up to reconnect_max.
pub async fn run<F, Fut>(config: MailboxConfig, handle: F, mut stop: watch::Receiver<bool>)
where
    F: Fn(Fetched) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let s = &config.settings;
    let first_backoff = FIRST_BACKOFF.min(config.reconnect_max);
    let mut backoff = first_backoff;
    while !stopped(&stop) {
        let error = match open(s).await {
            Ok(mut conn) => {
                tracing::info!(host = %s.host, user = %s.user, folder = %s.folder, idle = conn.idle, "mailbox connected");
                loop {
                    let round = match drain(&mut conn, &config, &handle).await {
                        Ok(round) => round,
                        Err(e) => break e,
                    };
                    // Only a whole round proves the server well; a connection that fails
                    // every round is retried with the same growing pause as one refused.
                    backoff = first_backoff;
                    if stopped(&stop) {
                        let _ = within("LOGOUT", conn.session.logout()).await;
                        return;
                    }
                    // A message whose handler failed is tried again after poll_interval
                    // even when IDLE would wait longer.
                    let wait = if round.failed > 0 {
                        config.poll_interval.min(config.idle_timeout)
                    } else if conn.idle {
                        config.idle_timeout
                    } else {
                        config.poll_interval
                    };
                    conn = match wait_for_mail(conn, wait, &mut stop).await {
                        Ok(conn) => conn,
                        Err(e) => break e,
                    };
                    if stopped(&stop) {
                        let _ = within("LOGOUT", conn.session.logout()).await;
                        return;
                    }
                }
            }
            Err(e) => e,
        };
        tracing::warn!(host = %s.host, user = %s.user, error = %error, retry_in = ?backoff, "mailbox unreachable; reconnecting");
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.changed() => {}
        }
        backoff = (backoff * 2).min(config.reconnect_max);
    }
}

/// Stop when told to, or when whoever could tell is gone.
fn stopped(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

/// One pass (connect → handle all → log out), for `advocate mail poll-once`-style use and
/// tests. Returns how many messages the handler accepted (and were removed or moved).
pub async fn poll_once<F, Fut>(config: &MailboxConfig, handle: &F) -> Result<usize, String>
where
    F: Fn(Fetched) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut conn = open(&config.settings).await?;
    let round = drain(&mut conn, config, handle).await?;
    within("LOGOUT", conn.session.logout()).await?;
    Ok(round.accepted)
}

/// Connects, logs in and selects the folder as the reader would, then logs out: what
/// the server offers (`IDLE`), or why the mailbox cannot be read.
pub async fn check(settings: &MailboxSettings) -> Result<String, String> {
    let mut conn = open(settings).await?;
    within("LOGOUT", conn.session.logout()).await?;
    Ok(if conn.idle {
        "IDLE offered: replies are read as they arrive".to_owned()
    } else {
        "no IDLE: the mailbox is polled".to_owned()
    })
}

/// An open, logged-in session with the folder selected, and what the server offers.
struct Connection {
    session: Session<ImapStream>,
    idle: bool,
    uidplus: bool,
    moves: bool,
    /// The folder takes keywords of our own (`\*` in its PERMANENTFLAGS).
    keywords: bool,
}

/// What one pass over the folder did.
struct Round {
    accepted: usize,
    failed: usize,
}

/// Runs one IMAP exchange with the [`COMMAND_TIMEOUT`], naming it in the error.
async fn within<T, E: std::fmt::Display>(
    what: &str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(COMMAND_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("IMAP {what}: {e}")),
        Err(_) => Err(format!("IMAP {what}: no answer in {COMMAND_TIMEOUT:?}")),
    }
}

/// Connects, upgrades to TLS as the settings say, logs in and selects the folder (creating
/// the processed folder if it is missing).
async fn open(s: &MailboxSettings) -> Result<Connection, String> {
    let tcp = within("connect", TcpStream::connect((s.host.as_str(), s.port))).await?;
    let stream = match s.security {
        Security::Tls => ImapStream::Tls(Box::new(tls(s, tcp).await?)),
        _ => ImapStream::Plain(tcp),
    };
    let mut client = Client::new(stream);
    within("greeting", async {
        client
            .read_response()
            .await?
            .map(|_| ())
            .ok_or_else(|| std::io::Error::other("the server closed the connection"))
    })
    .await?;
    if s.security == Security::StartTls {
        within(
            "STARTTLS",
            client.run_command_and_check_ok("STARTTLS", None),
        )
        .await?;
        let ImapStream::Plain(tcp) = client.into_inner() else {
            unreachable!("STARTTLS is only sent on a plain connection")
        };
        client = Client::new(ImapStream::Tls(Box::new(tls(s, tcp).await?)));
    }
    let mut session = within("LOGIN", async {
        client.login(&s.user, &s.password).await.map_err(|(e, _)| e)
    })
    .await?;
    let capabilities = within("CAPABILITY", session.capabilities()).await?;
    let conn_caps = (
        capabilities.has_str("IDLE"),
        capabilities.has_str("UIDPLUS"),
        capabilities.has_str("MOVE"),
    );
    if let Some(processed) = &s.processed {
        // Fails when it exists already, which is what we want.
        let _ = within("CREATE", session.create(processed)).await;
    }
    let folder = within("SELECT", session.select(&s.folder)).await?;
    Ok(Connection {
        session,
        idle: conn_caps.0,
        uidplus: conn_caps.1,
        moves: conn_caps.2,
        keywords: folder
            .permanent_flags
            .contains(&async_imap::types::Flag::MayCreate),
    })
}

async fn tls(
    s: &MailboxSettings,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
    let roots = match &s.trusted {
        Some(certs) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in certs {
                roots
                    .add(cert.clone())
                    .map_err(|e| format!("IMAP TLS: {e}"))?;
            }
            roots
        }
        None => rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        },
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("IMAP TLS: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(s.host.clone())
        .map_err(|e| format!("IMAP TLS: {e}"))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    within("TLS handshake", async {
        connector.connect(name, tcp).await.map_err(|e| {
            // An untrusted certificate is a set-up mistake, not an outage: say what to fix.
            let rejected = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .is_some_and(|inner| matches!(inner, rustls::Error::InvalidCertificate(_)));
            if !rejected {
                return e;
            }
            let trusted = if s.trusted.is_some() {
                "the CA file given"
            } else {
                "the public web roots (give the server's CA file if it has a private one)"
            };
            std::io::Error::other(format!(
                "the server's certificate is refused ({e}); it must be signed by {trusted} \
                 and name the host {}",
                s.host
            ))
        })
    })
    .await
}

/// Hands every message of the folder to `handle`, oldest first, and removes (or moves)
/// each one the handler accepted right away, so a lost connection repeats at most one.
async fn drain<F, Fut>(
    conn: &mut Connection,
    config: &MailboxConfig,
    handle: &F,
) -> Result<Round, String>
where
    F: Fn(Fetched) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let s = &config.settings;
    use async_imap::types::Flag;
    let mut listed: Vec<(u32, usize, bool, bool)> = within("UID FETCH sizes", async {
        conn.session
            .uid_fetch("1:*", "(UID RFC822.SIZE FLAGS)")
            .await?
            .try_filter_map(|f| async move {
                let deleted = f.flags().any(|flag| flag == Flag::Deleted);
                let taken = f.flags().any(|flag| flag == Flag::Custom(TAKEN.into()));
                Ok(f.uid
                    .map(|uid| (uid, f.size.unwrap_or(0) as usize, deleted, taken)))
            })
            .try_collect()
            .await
    })
    .await?;
    listed.sort_unstable();
    let mut round = Round {
        accepted: 0,
        failed: 0,
    };
    for (uid, size, deleted, taken) in listed {
        // Flagged by an earlier pass whose connection was lost before the expunge:
        // already handled, only the removal is left. (Where the folder takes no
        // keywords, every \Deleted message is presumed ours.)
        if deleted && (taken || !conn.keywords) {
            remove(conn, s, uid).await?;
            continue;
        }
        // Another client is deleting it: not ours to read, nor to expunge.
        if deleted {
            continue;
        }
        let headers_only = size > config.max_bytes;
        let query = if headers_only {
            "(UID BODY.PEEK[HEADER])"
        } else {
            "(UID BODY.PEEK[])"
        };
        let fetched: Option<Vec<u8>> = within("UID FETCH message", async {
            let fetches: Vec<_> = conn
                .session
                .uid_fetch(uid.to_string(), query)
                .await?
                .try_collect()
                .await?;
            Ok::<_, async_imap::error::Error>(fetches.iter().find(|f| f.uid == Some(uid)).and_then(
                |f| {
                    if headers_only {
                        f.header().map(<[u8]>::to_vec)
                    } else {
                        f.body().map(<[u8]>::to_vec)
                    }
                },
            ))
        })
        .await?;
        // Gone since it was listed: another instance took it.
        let Some(raw) = fetched else { continue };
        match handle(Fetched {
            raw,
            size,
            headers_only,
        })
        .await
        {
            Ok(()) => {
                remove(conn, s, uid).await?;
                round.accepted += 1;
            }
            Err(e) => {
                round.failed += 1;
                tracing::warn!(host = %s.host, user = %s.user, folder = %s.folder, uid, error = %e, "reply not taken; left in the mailbox for the next round");
            }
        }
    }
    Ok(round)
}

/// Removes one handled message: moved to the processed folder (without MOVE: copied, then
/// removed), or flagged \Seen \Deleted and expunged — only this UID where the server has
/// UIDPLUS; without it a plain EXPUNGE, which also removes what other clients flagged
/// \Deleted.
async fn remove(conn: &mut Connection, s: &MailboxSettings, uid: u32) -> Result<(), String> {
    let uid = uid.to_string();
    let session = &mut conn.session;
    if let Some(processed) = &s.processed {
        if conn.moves {
            return within("UID MOVE", session.uid_mv(&uid, processed)).await;
        }
        within("UID COPY", session.uid_copy(&uid, processed)).await?;
    }
    let flags = if conn.keywords {
        format!("+FLAGS.SILENT (\\Seen \\Deleted {TAKEN})")
    } else {
        "+FLAGS.SILENT (\\Seen \\Deleted)".to_owned()
    };
    within("UID STORE", async {
        session
            .uid_store(&uid, &flags)
            .await?
            .try_collect::<Vec<_>>()
            .await
    })
    .await?;
    if conn.uidplus {
        within("UID EXPUNGE", async {
            session
                .uid_expunge(&uid)
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
    } else {
        // Without UIDPLUS, EXPUNGE also removes what other clients flagged \Deleted,
        // which they meant to remove anyway.
        within("EXPUNGE", async {
            session.expunge().await?.try_collect::<Vec<_>>().await
        })
        .await?;
    }
    Ok(())
}

/// Waits up to `wait` for new mail (IDLE where offered, else sleeping), or for `stop`.
/// Takes the connection and gives it back because IDLE holds the session meanwhile.
async fn wait_for_mail(
    mut conn: Connection,
    wait: Duration,
    stop: &mut watch::Receiver<bool>,
) -> Result<Connection, String> {
    // What the last round's own removals announced is old news.
    let unsolicited = conn.session.unsolicited_responses.clone();
    while unsolicited.try_recv().is_ok() {}
    if !conn.idle {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
        return Ok(conn);
    }
    let mut idle = conn.session.idle();
    within("IDLE", idle.init()).await?;
    // Mail that came between the last fetch and the IDLE may be announced before the
    // server's go-ahead, which `init` only passes on here.
    let arrived = std::iter::from_fn(|| unsolicited.try_recv().ok()).any(|r| {
        matches!(
            r,
            UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
        )
    });
    if !arrived {
        // The library's own timeout restarts on every keepalive the server sends, so
        // the IDLE is bounded here too.
        let (news, _interrupt) = idle.wait_with_timeout(wait);
        tokio::select! {
            r = news => { r.map_err(|e| format!("IMAP IDLE: {e}"))?; }
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
    conn.session = within("DONE", idle.done()).await?;
    Ok(conn)
}

/// The connection under the IMAP client: plain TCP on loopback, or TLS.
#[derive(Debug)]
enum ImapStream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for ImapStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ImapStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_flush(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        let s = MailboxSettings::parse("imap://replies:pw@127.0.0.1:1143/INBOX").unwrap();
        assert_eq!(s.security(), Security::Plain);
        assert_eq!(
            (s.host(), s.port(), s.user()),
            ("127.0.0.1", 1143, "replies")
        );
        assert_eq!((s.folder(), s.processed()), ("INBOX", None));

        let s = MailboxSettings::parse(
            "imap://replies%40acme.example:p%40ss@mail.acme.example/Support?tls=starttls&processed=Done",
        )
        .unwrap();
        assert_eq!(s.security(), Security::StartTls);
        assert_eq!((s.port(), s.user()), (143, "replies@acme.example"));
        assert_eq!(s.password, "p@ss");
        assert_eq!((s.folder(), s.processed()), ("Support", Some("Done")));

        let s = MailboxSettings::parse("imaps://replies:pw@mail.acme.example").unwrap();
        assert_eq!(s.security(), Security::Tls);
        assert_eq!((s.port(), s.folder()), (993, "INBOX"));
    }

    #[test]
    fn refuses_bad_urls_with_the_reason() {
        for (url, reason) in [
            ("mail.acme.example", "not valid"),
            (
                "pop3://u:p@mail.acme.example",
                "must start with imaps:// or imap://",
            ),
            (
                "imaps://mail.acme.example/INBOX",
                "needs a user name and a password",
            ),
            (
                "imaps://replies@mail.acme.example/INBOX",
                "needs a user name and a password",
            ),
            (
                "imaps://u:p@mail.acme.example/?tls=starttls",
                "tls=\"starttls\" is not an option",
            ),
            (
                "imap://u:p@mail.acme.example/INBOX?tls=none",
                "is not an option",
            ),
            (
                "imaps://u:p@mail.acme.example/INBOX?folder=x",
                "unknown option folder=x",
            ),
            (
                "imap://u:p@mail.acme.example/INBOX",
                "send the password in clear",
            ),
            (
                "imaps://u:p@mail.acme.example/IN%0ABOX",
                "control character",
            ),
            (
                "imaps://u:p@mail.acme.example/INBOX?processed=INBOX",
                "another folder",
            ),
            ("imaps://u:p%zz@mail.acme.example/INBOX", "percent-encoded"),
        ] {
            let err = MailboxSettings::parse(url).unwrap_err();
            assert!(err.contains(reason), "{url}: {err}");
        }
    }

    #[test]
    fn a_ca_file_is_checked_when_given() {
        let dir = std::env::temp_dir().join(format!("advocate-ca-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let tls = MailboxSettings::parse("imaps://u:p@mail.acme.example/INBOX").unwrap();
        let missing = dir.join("missing.pem");
        let err = tls.clone().with_ca_file(&missing).unwrap_err();
        assert!(
            err.contains("cannot read the CA file") && err.contains("missing.pem"),
            "{err}"
        );

        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = tls.clone().with_ca_file(&empty).unwrap_err();
        assert!(err.contains("holds no certificate"), "{err}");

        let broken = dir.join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = tls.clone().with_ca_file(&broken).unwrap_err();
        assert!(err.contains(&*broken.display().to_string()), "{err}");

        let plain = MailboxSettings::parse("imap://u:p@127.0.0.1/INBOX").unwrap();
        let err = plain.with_ca_file(&empty).unwrap_err();
        assert!(err.contains("plain imap://"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn debug_never_prints_the_password() {
        let s = MailboxSettings::parse("imaps://replies:hunter2-secret@mail.acme.example/INBOX")
            .unwrap();
        let printed = format!("{s:?} {s} {:?}", MailboxConfig::new(s.clone()));
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(
            printed.contains("<redacted>") && printed.contains("replies"),
            "{printed}"
        );
    }

    #[test]
    fn errors_never_print_the_password() {
        for url in [
            "imap://replies:hunter2-secret@mail.acme.example/INBOX",
            "imaps://replies:hunter2-secret@mail.acme.example/INBOX?what=ever",
            "ftp://replies:hunter2-secret@mail.acme.example/INBOX",
        ] {
            let err = MailboxSettings::parse(url).unwrap_err();
            assert!(!err.contains("hunter2"), "{err}");
        }
    }
}
