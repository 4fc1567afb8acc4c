//! A real IMAP server for the mailbox tests: Debian's Dovecot (dovecot-imapd), started as
//! a child on a free 127.0.0.1 port with everything (configuration, sockets, log, Maildirs)
//! in its own temporary directory, plain IMAP with cleartext passwords (loopback only).
//! [`Options`] make it a TLS server (ssl = required, STARTTLS and an imaps listener) or
//! one that announces fewer capabilities.

use super::peers::free_port;
use advocate_store::testing::missing_peer;
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

const DOVECOT: &str = "/usr/sbin/dovecot";
pub const USER: &str = "replies";
pub const PASSWORD: &str = "s3cret-imap";
/// Mail belongs to `nobody`: Dovecot will not run mail processes as root.
const MAIL_UID: u32 = 65534;
const MAIL_GID: u32 = 65534;

/// How the server differs from the plain default.
#[derive(Default)]
pub struct Options {
    /// (certificate, key) PEM files: TLS is then required (STARTTLS on the IMAP port,
    /// and an imaps listener). Dovecot counts loopback as secure, so the harness's own
    /// helpers still log in without TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// What the server announces once logged in, replacing its own list (`imap_capability`),
    /// to play a server without MOVE or UIDPLUS.
    pub capabilities: Option<&'static str>,
}

pub struct Dovecot {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
    imaps_port: Option<u16>,
}

impl Dovecot {
    /// Starts Dovecot and waits until it greets; `None` (skip) when it is not installed.
    pub async fn start() -> Option<Self> {
        Self::start_with(Options::default()).await
    }

    /// Like [`Dovecot::start`], set up as `options` say.
    pub async fn start_with(options: Options) -> Option<Self> {
        if !Path::new(DOVECOT).exists() {
            return missing_peer("Dovecot (dovecot-imapd) is not installed; IMAP tests skipped");
        }
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return missing_peer("the Dovecot harness runs Dovecot as root; IMAP tests skipped");
        }
        let port = free_port();
        let dir = std::env::temp_dir().join(format!(
            "advocate-dovecot-{}-{port}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        let mail = dir.join("mail");
        std::fs::create_dir_all(&mail).unwrap();
        std::fs::create_dir_all(dir.join("run")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        // Dovecot's processes (auth, mail as nobody) must reach their files.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::chown(&mail, Some(MAIL_UID), Some(MAIL_GID)).unwrap();
        std::fs::write(
            dir.join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n"),
        )
        .unwrap();
        let d = dir.display();
        let imaps_port = options.tls.as_ref().map(|_| free_port());
        let ssl = match &options.tls {
            Some((cert, key)) => format!(
                "ssl = required\nssl_cert = <{}\nssl_key = <{}\n",
                cert.display(),
                key.display()
            ),
            None => "ssl = no\n".to_owned(),
        };
        let capabilities = options
            .capabilities
            .map(|c| format!("imap_capability = {c}\n"))
            .unwrap_or_default();
        let imaps = match imaps_port {
            Some(port) => format!("address = 127.0.0.1\n    port = {port}"),
            None => "port = 0".to_owned(),
        };
        std::fs::write(
            dir.join("dovecot.conf"),
            format!(
                "base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}{capabilities}disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = {d}/passwd
}}
userdb {{
  driver = static
  args = uid={MAIL_UID} gid={MAIL_GID} home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    {imaps}
  }}
}}
"
            ),
        )
        .unwrap();
        let mut dovecot = Self {
            child: None,
            dir,
            port,
            imaps_port,
        };
        dovecot.spawn().await;
        Some(dovecot)
    }

    async fn spawn(&mut self) {
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(self.dir.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dovecot");
        self.child = Some(child);
        let start = Instant::now();
        loop {
            if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(2), self.client()).await {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("dovecot exited ({status}): {}", self.log());
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "dovecot did not greet on port {}: {}",
                self.port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// An `imap://` URL for [`advocate_server::worker::mailbox::MailboxSettings`];
    /// `query` is appended as is (`processed=Done`).
    pub fn url(&self, query: &str) -> String {
        let mut url = format!("imap://{USER}:{PASSWORD}@127.0.0.1:{}/INBOX", self.port);
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        url
    }

    /// An `imaps://` URL (TLS from the first byte) to `host`; needs [`Options::tls`].
    pub fn imaps_url(&self, host: &str, query: &str) -> String {
        let port = self.imaps_port.expect("started with TLS");
        let url = format!("imaps://{USER}:{PASSWORD}@{host}:{port}/INBOX");
        with_query(url, query)
    }

    /// An `imap://…?tls=starttls` URL to `host`; needs [`Options::tls`].
    pub fn starttls_url(&self, host: &str, query: &str) -> String {
        assert!(self.imaps_port.is_some(), "started with TLS");
        let url = format!(
            "imap://{USER}:{PASSWORD}@{host}:{}/INBOX?tls=starttls",
            self.port
        );
        with_query(url, query).replacen("?tls=starttls?", "?tls=starttls&", 1)
    }

    /// Dovecot's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }

    async fn client(&self) -> Result<Client<TcpStream>, String> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port))
            .await
            .map_err(|e| e.to_string())?;
        let mut client = Client::new(tcp);
        match client.read_response().await {
            Ok(Some(_)) => Ok(client),
            other => Err(format!("no greeting: {other:?}")),
        }
    }

    async fn session(&self) -> Session<TcpStream> {
        let client = self.client().await.expect("connect to dovecot");
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .expect("log in to dovecot")
    }

    /// Whether the server announces `capability` once logged in.
    pub async fn offers(&self, capability: &str) -> bool {
        let mut s = self.session().await;
        let offered = s.capabilities().await.unwrap().has_str(capability);
        s.logout().await.unwrap();
        offered
    }

    /// Puts a message into INBOX (IMAP APPEND, as a mail server's delivery would).
    pub async fn append(&self, raw: &[u8]) {
        let mut s = self.session().await;
        s.append("INBOX", None, None, raw).await.expect("APPEND");
        s.logout().await.unwrap();
    }

    /// Another mail client at work: adds `flags` (`\\Deleted`) to the `n`th message of
    /// INBOX (1 is the oldest), without expunging.
    pub async fn add_flags(&self, n: u32, flags: &str) {
        let mut s = self.session().await;
        s.select("INBOX").await.expect("SELECT");
        s.store(n.to_string(), format!("+FLAGS ({flags})"))
            .await
            .expect("STORE")
            .try_collect::<Vec<_>>()
            .await
            .expect("STORE");
        s.logout().await.unwrap();
    }

    /// How many messages INBOX holds.
    pub async fn count(&self) -> u32 {
        self.count_in("INBOX").await
    }

    /// How many messages `folder` holds (0 if it does not exist).
    pub async fn count_in(&self, folder: &str) -> u32 {
        let mut s = self.session().await;
        let n = match s.select(folder).await {
            Ok(mailbox) => mailbox.exists,
            Err(_) => 0,
        };
        s.logout().await.unwrap();
        n
    }

    /// The Message-IDs in `folder`, for checking what was moved there.
    pub async fn message_ids_in(&self, folder: &str) -> Vec<String> {
        let mut s = self.session().await;
        s.select(folder).await.expect("SELECT");
        let fetches: Vec<_> = s
            .fetch("1:*", "BODY.PEEK[HEADER]")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let ids = fetches
            .iter()
            .filter_map(|f| message_id(f.header()?))
            .collect();
        s.logout().await.unwrap();
        ids
    }

    /// Stops Dovecot the way an operator would (SIGTERM: it ends its clients' sessions too).
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SAFETY: signalling our own child, which has not been reaped yet.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Until the port is free again: the listener belongs to the master, gone now.
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "dovecot still listens"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts it again, on the same port with the same mail.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.spawn().await;
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: as in `stop`; a graceful stop takes the worker processes with it.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
            let start = Instant::now();
            while child.try_wait().ok().flatten().is_none()
                && start.elapsed() < Duration::from_secs(5)
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn with_query(url: String, query: &str) -> String {
    if query.is_empty() {
        url
    } else {
        format!("{url}?{query}")
    }
}

/// A message's Message-ID header value, if it has one.
pub fn message_id(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    text.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("message-id")
            .then(|| value.trim().to_owned())
    })
}
