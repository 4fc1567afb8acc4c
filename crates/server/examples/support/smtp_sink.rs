//! A fast SMTP server for benchmarks: accepts every message, keeps none (except the first,
//! as a sample), counts messages and bytes. It speaks enough ESMTP for lettre and other
//! clients unchanged: EHLO/HELO (advertising PIPELINING, 8BITMIME, SMTPUTF8, SIZE),
//! MAIL, RCPT, DATA with dot-unstuffing up to the terminating `<CRLF>.<CRLF>`, RSET,
//! NOOP, QUIT, any number of concurrent connections. Pipelined commands are answered
//! together, once everything the client has sent so far is read.
//!
//! With `quickack`, the sink acknowledges every TCP segment at once instead of after the
//! usual delayed-ACK wait (Linux, up to 40 ms). An ordinary SMTP server delays: a client
//! with Nagle's algorithm on that writes a message in two pieces (lettre 0.11.23 writes
//! the body, then `<CRLF>.<CRLF>`) then waits for that ACK on every message. `quickack`
//! shows what the client would do without that stall.
//!
//! `XSTAT` (not SMTP; for the benchmark's control connection) answers
//! `250 <messages> <bytes> <connections>`.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Longest command line accepted, and longest data line (RFC 5321 says 1000 octets;
/// generous here, so a sloppy client is measured rather than refused).
const MAX_LINE: usize = 64 * 1024;

#[derive(Default)]
pub struct Stats {
    pub messages: AtomicU64,
    /// Message bytes after dot-unstuffing, line endings included.
    pub bytes: AtomicU64,
    pub connections: AtomicU64,
    sample_taken: AtomicBool,
    /// The first message received, as the client meant it (unstuffed).
    pub sample: Mutex<Option<Vec<u8>>>,
}

/// Accepts connections until the listener fails; each is served on its own task.
pub async fn serve(listener: TcpListener, stats: Arc<Stats>, quickack: bool) -> io::Result<()> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        // A second handle on the same socket, to re-arm TCP_QUICKACK (the kernel clears it).
        let mut ack = None;
        if quickack {
            let std = stream.into_std()?;
            ack = Some(std.try_clone()?);
            stream = TcpStream::from_std(std)?;
        }
        stats.connections.fetch_add(1, Ordering::Relaxed);
        let stats = stats.clone();
        tokio::spawn(async move {
            // A client that goes away mid-session is not the sink's problem.
            let _ = session(stream, ack, &stats).await;
        });
    }
}

/// Acknowledge what arrives next at once (Linux clears the flag as it sees fit, so it is
/// set again after every read and write).
#[allow(clippy::incompatible_msrv)] // benchmark only; the toolchain here has it
fn quick_ack(ack: &Option<std::net::TcpStream>) {
    use std::os::linux::net::TcpStreamExt;
    if let Some(s) = ack {
        let _ = s.set_quickack(true);
    }
}

#[derive(PartialEq)]
enum State {
    Command,
    Data,
}

/// Where one SMTP conversation stands: in a command or in a message's data, whether a
/// sender was given, how many recipients, the message's size, and the sample being kept.
struct Conversation {
    state: State,
    mail: bool,
    rcpts: u32,
    message_bytes: u64,
    sample: Option<Vec<u8>>,
}

impl Conversation {
    /// A line of a message's data; the lone dot that ends it counts the message.
    fn data_line(&mut self, line: &[u8], stats: &Stats, out: &mut Vec<u8>) {
        if line == b"." {
            stats.messages.fetch_add(1, Ordering::Relaxed);
            stats.bytes.fetch_add(self.message_bytes, Ordering::Relaxed);
            if let Some(s) = self.sample.take() {
                *stats.sample.lock().unwrap() = Some(s);
            }
            out.extend_from_slice(b"250 2.0.0 Ok: queued\r\n");
            self.state = State::Command;
            (self.mail, self.rcpts, self.message_bytes) = (false, 0, 0);
            return;
        }
        // Dot-unstuffing: a leading dot was doubled by the client.
        let line = line.strip_prefix(b".").unwrap_or(line);
        self.message_bytes += line.len() as u64 + 2;
        if let Some(s) = self.sample.as_mut() {
            s.extend_from_slice(line);
            s.extend_from_slice(b"\r\n");
        }
    }

    /// A command and its reply; `false` after QUIT.
    fn command(&mut self, line: &[u8], stats: &Stats, out: &mut Vec<u8>) -> bool {
        let verb = line
            .get(..4)
            .map(|v| v.to_ascii_uppercase())
            .unwrap_or_default();
        match verb.as_slice() {
            b"EHLO" => {
                (self.mail, self.rcpts) = (false, 0);
                out.extend_from_slice(
                    b"250-advocate-bench-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n\
                      250-SMTPUTF8\r\n250 SIZE 52428800\r\n",
                );
            }
            b"HELO" => {
                (self.mail, self.rcpts) = (false, 0);
                out.extend_from_slice(b"250 advocate-bench-sink\r\n");
            }
            b"MAIL" if self.mail => out.extend_from_slice(b"503 5.5.1 Nested MAIL command\r\n"),
            b"MAIL" => {
                (self.mail, self.rcpts) = (true, 0);
                out.extend_from_slice(b"250 2.1.0 Ok\r\n");
            }
            b"RCPT" if !self.mail => out.extend_from_slice(b"503 5.5.1 MAIL first\r\n"),
            b"RCPT" => {
                self.rcpts += 1;
                out.extend_from_slice(b"250 2.1.5 Ok\r\n");
            }
            // With PIPELINING, DATA after refused recipients must be refused too.
            b"DATA" if self.rcpts == 0 => {
                out.extend_from_slice(b"554 5.5.1 No valid recipients\r\n")
            }
            b"DATA" => {
                self.state = State::Data;
                self.message_bytes = 0;
                if !stats.sample_taken.swap(true, Ordering::Relaxed) {
                    self.sample = Some(Vec::with_capacity(16 * 1024));
                }
                out.extend_from_slice(b"354 End data with <CR><LF>.<CR><LF>\r\n");
            }
            b"RSET" => {
                (self.mail, self.rcpts) = (false, 0);
                out.extend_from_slice(b"250 2.0.0 Ok\r\n");
            }
            b"NOOP" => out.extend_from_slice(b"250 2.0.0 Ok\r\n"),
            b"QUIT" => {
                out.extend_from_slice(b"221 2.0.0 Bye\r\n");
                return false;
            }
            b"XSTA" => {
                let reply = format!(
                    "250 {} {} {}\r\n",
                    stats.messages.load(Ordering::Relaxed),
                    stats.bytes.load(Ordering::Relaxed),
                    stats.connections.load(Ordering::Relaxed)
                );
                out.extend_from_slice(reply.as_bytes());
            }
            _ => out.extend_from_slice(b"500 5.5.2 Command not recognized\r\n"),
        }
        true
    }
}

async fn session(
    mut stream: TcpStream,
    ack: Option<std::net::TcpStream>,
    stats: &Stats,
) -> io::Result<()> {
    let mut input: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut pos = 0; // start of the unprocessed input
    let mut out: Vec<u8> = Vec::with_capacity(1024);
    let mut conv = Conversation {
        state: State::Command,
        mail: false,
        rcpts: 0,
        message_bytes: 0,
        sample: None,
    };
    stream
        .write_all(b"220 advocate-bench-sink ESMTP ready\r\n")
        .await?;
    quick_ack(&ack);
    loop {
        // Every complete line already received, then one write with all the replies.
        while let Some(nl) = input[pos..].iter().position(|&b| b == b'\n') {
            let end = pos + nl + 1;
            let mut line = &input[pos..end - 1];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            pos = end;
            if conv.state == State::Data {
                conv.data_line(line, stats, &mut out);
                continue;
            }
            if !conv.command(line, stats, &mut out) {
                stream.write_all(&out).await?;
                return stream.shutdown().await;
            }
        }
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
            quick_ack(&ack);
        }
        // Keep the buffer small: drop what was processed.
        if pos > 0 {
            input.drain(..pos);
            pos = 0;
        }
        if input.len() > MAX_LINE {
            stream.write_all(b"500 5.5.6 Line too long\r\n").await?;
            return Ok(());
        }
        input.reserve(16 * 1024);
        if stream.read_buf(&mut input).await? == 0 {
            return Ok(());
        }
        quick_ack(&ack);
    }
}
