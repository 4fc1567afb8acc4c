//! Real peers for tests: a real SMTP server (aiosmtpd from Debian's python3-aiosmtpd)
//! writing what it receives to a Maildir, and small helpers to wait for and read it.

use advocate_store::testing::missing_peer;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Generous: a deadline only matters when something is broken.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Polls `check` until it returns `Some`, failing with `what` at the deadline.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A port nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Python with aiosmtpd: Debian's python3 (the one on PATH may be another).
pub fn smtp_python() -> Option<String> {
    ["/usr/bin/python3", "python3"].into_iter().find_map(|py| {
        let ok = Command::new(py)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| py.to_owned())
    })
}

/// aiosmtpd writing every message it accepts into a Maildir.
pub struct SmtpServer {
    child: Child,
    maildir: PathBuf,
}

impl SmtpServer {
    /// Starts on `port` and waits until it accepts connections; `None` (skip) when
    /// aiosmtpd is not installed.
    pub async fn start(port: u16, maildir: &std::path::Path) -> Option<Self> {
        let Some(python) = smtp_python() else {
            return missing_peer("python3-aiosmtpd is not installed; SMTP delivery tests skipped");
        };
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let server = Self {
            child,
            maildir: maildir.to_owned(),
        };
        eventually("the SMTP server to listen", || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
                .map(|_| ())
        })
        .await;
        Some(server)
    }

    /// Every message received so far, as raw text.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) {
                for e in entries.flatten() {
                    out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        out
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

pub fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
}

/// The decoded text of a message's parts (quoted-printable and base64 undone), enough to
/// find the links in it.
pub fn decoded_body(raw: &str) -> String {
    let mut out = String::new();
    let mut encoding = String::new();
    let mut in_headers = true;
    let mut chunk = String::new();
    let flush = |encoding: &str, chunk: &mut String, out: &mut String| {
        match encoding {
            "quoted-printable" => out.push_str(&quoted_printable(chunk)),
            "base64" => {
                use base64::Engine;
                let joined: String = chunk.split_whitespace().collect();
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(joined) {
                    out.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
            _ => out.push_str(chunk),
        }
        chunk.clear();
    };
    for line in raw.lines() {
        if line.starts_with("--") {
            flush(&encoding, &mut chunk, &mut out);
            in_headers = true;
            encoding.clear();
            continue;
        }
        if in_headers {
            if line.is_empty() {
                in_headers = false;
            } else if let Some(v) = line
                .to_ascii_lowercase()
                .strip_prefix("content-transfer-encoding:")
            {
                encoding = v.trim().to_owned();
            }
            continue;
        }
        chunk.push_str(line);
        chunk.push('\n');
    }
    flush(&encoding, &mut chunk, &mut out);
    out
}

fn quoted_printable(s: &str) -> String {
    let joined = s.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What `promtool check metrics` (Debian's prometheus package) says of a scrape: `Some(Ok)`
/// when the format and Prometheus' naming rules hold, `Some(Err(its complaint))` when not,
/// `None` (skip) when promtool is not installed.
pub fn promtool_check(scrape: &str) -> Option<Result<(), String>> {
    use std::io::Write;
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return missing_peer(
            "promtool (Debian's prometheus) is not installed; metrics format check skipped",
        );
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    })
}
