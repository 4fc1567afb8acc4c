//! The connections the server holds open, and what keeps clients that open many and never
//! finish a request (slowloris) from starving everyone else of file descriptors.
//!
//! - A connection that is not in a request (waiting for its first request's headers, or
//!   idle between keep-alive requests) is closed after `idle_timeout` without a response
//!   being written. Reading bytes does not count: a client trickling one header byte at
//!   a time is still waiting for its request.
//! - A request's body must arrive whole within `body_timeout`.
//! - At most `max_connections` are open. A new connection beyond that closes the
//!   connection that has been idle longest (an honest client sends its request at once,
//!   so it is served long before it becomes the oldest idle one); only when every
//!   connection is inside a request is the new one refused. Either is logged, at most
//!   every ten seconds.
//!
//! The limits apply to the server's own socket: behind a reverse proxy they protect the
//! process, and the proxy's own limits protect the proxy.

use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::Request;
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use futures_util::task::AtomicWaker;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// How many connections, and for how long a connection may wait.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub idle_timeout: Duration,
    pub body_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: default_max_connections(),
            idle_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}

/// File descriptors kept for the database, log files and outgoing deliveries.
const RESERVED_FILES: u64 = 128;

/// As many connections as the process may open files, less those it needs for itself
/// (the soft limit is first raised to the hard one, as most servers do), at most 10,000.
pub fn default_max_connections() -> usize {
    let files = raise_file_limit().unwrap_or(1024);
    files.saturating_sub(RESERVED_FILES).clamp(16, 10_000) as usize
}

/// Raises the soft limit of open files to the hard limit; returns the limit in force.
fn raise_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    Some(limit.rlim_cur)
}

/// A TCP listener that holds its connections to [`ConnectionLimits`].
pub struct GuardedListener {
    inner: TcpListener,
    table: Arc<Table>,
}

impl GuardedListener {
    /// Wraps `inner` and starts the task that closes idle connections; the task ends when
    /// the listener and all its connections are gone.
    pub fn new(inner: TcpListener, limits: ConnectionLimits) -> Self {
        let table = Arc::new(Table {
            limits,
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::default(),
            last_warning: Mutex::default(),
        });
        tokio::spawn(close_idle(Arc::downgrade(&table)));
        Self { inner, table }
    }
}

impl Listener for GuardedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (GuardedStream, SocketAddr) {
        loop {
            let (stream, addr) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if let Some(slot) = self.table.admit() {
                let table = self.table.clone();
                return (
                    GuardedStream {
                        stream,
                        slot,
                        table,
                    },
                    addr,
                );
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// The open connections.
struct Table {
    limits: ConnectionLimits,
    epoch: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Slot>>>,
    last_warning: Mutex<Option<Instant>>,
}

/// One open connection.
struct Slot {
    id: u64,
    /// Requests being handled (HTTP/2 may have several at once).
    in_request: AtomicUsize,
    /// Milliseconds since the table's epoch when the connection last did something that
    /// counts: opened, wrote a response, finished a request.
    active_at: AtomicU64,
    closed: AtomicBool,
    read_waker: AtomicWaker,
    write_waker: AtomicWaker,
}

impl Table {
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// A slot for a new connection, making room if the table is full; `None` refuses it.
    fn admit(&self) -> Option<Arc<Slot>> {
        let mut open = self.open.lock().expect("connection table");
        if open.len() >= self.limits.max_connections {
            let longest_idle = open
                .values()
                .filter(|s| s.in_request.load(Ordering::Acquire) == 0)
                // Ties (the clock counts milliseconds) go to the older connection.
                .min_by_key(|s| (s.active_at.load(Ordering::Relaxed), s.id))
                .cloned();
            match longest_idle {
                Some(slot) => {
                    open.remove(&slot.id);
                    slot.close();
                    self.warn(&format!(
                        "connection limit reached ({} open): closed the connection idle \
                         longest to make room; if this is not an attack, raise \
                         --max-connections and the process's open-file limit",
                        self.limits.max_connections
                    ));
                }
                None => {
                    self.warn(&format!(
                        "connection limit reached ({} open, all inside requests): refused \
                         a new connection",
                        self.limits.max_connections
                    ));
                    return None;
                }
            }
        }
        let slot = Arc::new(Slot {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            in_request: AtomicUsize::new(0),
            active_at: AtomicU64::new(self.now()),
            closed: AtomicBool::new(false),
            read_waker: AtomicWaker::new(),
            write_waker: AtomicWaker::new(),
        });
        open.insert(slot.id, slot.clone());
        Some(slot)
    }

    /// Logs at most every ten seconds: an attack must not flood the log either.
    fn warn(&self, message: &str) {
        let mut last = self.last_warning.lock().expect("warning time");
        if last.is_none_or(|at| at.elapsed() >= Duration::from_secs(10)) {
            *last = Some(Instant::now());
            tracing::warn!("{message}");
        }
    }

    /// Closes the connections that have waited longer than the idle timeout.
    fn close_idle(&self) {
        let deadline = self
            .now()
            .saturating_sub(self.limits.idle_timeout.as_millis() as u64);
        self.open
            .lock()
            .expect("connection table")
            .retain(|_, slot| {
                let idle = slot.in_request.load(Ordering::Acquire) == 0
                    && slot.active_at.load(Ordering::Relaxed) < deadline;
                if idle {
                    slot.close();
                }
                !idle
            });
    }
}

impl Slot {
    /// Makes the connection's next read or write fail, and wakes a task waiting on it.
    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.read_waker.wake();
        self.write_waker.wake();
    }

    fn closed_error(&self) -> Option<io::Error> {
        self.closed.load(Ordering::Acquire).then(|| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                "connection closed by the server's limits",
            )
        })
    }
}

async fn close_idle(table: std::sync::Weak<Table>) {
    let every = {
        let Some(table) = table.upgrade() else { return };
        (table.limits.idle_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(1))
    };
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match table.upgrade() {
            Some(table) => table.close_idle(),
            None => return,
        }
    }
}

/// A connection held to the table's limits.
pub struct GuardedStream {
    stream: TcpStream,
    slot: Arc<Slot>,
    table: Arc<Table>,
}

impl Drop for GuardedStream {
    fn drop(&mut self) {
        self.table
            .open
            .lock()
            .expect("connection table")
            .remove(&self.slot.id);
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.slot.read_waker.register(cx.waker());
        if let Some(e) = this.slot.closed_error() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.slot.write_waker.register(cx.waker());
        if let Some(e) = this.slot.closed_error() {
            return Poll::Ready(Err(e));
        }
        let written = Pin::new(&mut this.stream).poll_write(cx, buf);
        if let Poll::Ready(Ok(_)) = written {
            // A response being written: a long download is not an idle connection.
            this.slot
                .active_at
                .store(this.table.now(), Ordering::Relaxed);
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.slot.write_waker.register(cx.waker());
        if let Some(e) = this.slot.closed_error() {
            return Poll::Ready(Err(e));
        }
        let written = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(_)) = written {
            this.slot
                .active_at
                .store(this.table.now(), Ordering::Relaxed);
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Makes the per-connection service: the app with the client's address (as
/// `ConnectInfo<SocketAddr>`, like axum's own) and the connection's slot, so that a
/// connection inside a request is never taken for an idle one.
#[derive(Clone)]
pub struct MakeGuarded {
    pub app: axum::Router,
}

impl tower::Service<IncomingStream<'_, GuardedListener>> for MakeGuarded {
    type Response = Guarded;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Guarded, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, incoming: IncomingStream<'_, GuardedListener>) -> Self::Future {
        let stream = incoming.io();
        std::future::ready(Ok(Guarded {
            app: self.app.clone(),
            addr: *incoming.remote_addr(),
            slot: stream.slot.clone(),
            table: stream.table.clone(),
        }))
    }
}

/// The app, serving one connection.
#[derive(Clone)]
pub struct Guarded {
    app: axum::Router,
    addr: SocketAddr,
    slot: Arc<Slot>,
    table: Arc<Table>,
}

impl tower::Service<Request> for Guarded {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let in_request = InRequest::start(self.slot.clone(), self.table.clone());
        request.extensions_mut().insert(ConnectInfo(self.addr));
        let body_timeout = self.table.limits.body_timeout;
        let request = request.map(|body| Body::new(DeadlineBody::new(body, body_timeout)));
        let response = tower::ServiceExt::oneshot(self.app.clone(), request);
        Box::pin(async move {
            let response = response.await;
            drop(in_request);
            response
        })
    }
}

/// Marks a connection as inside a request while it lives.
struct InRequest {
    slot: Arc<Slot>,
    table: Arc<Table>,
}

impl InRequest {
    fn start(slot: Arc<Slot>, table: Arc<Table>) -> Self {
        slot.in_request.fetch_add(1, Ordering::AcqRel);
        Self { slot, table }
    }
}

impl Drop for InRequest {
    fn drop(&mut self) {
        self.slot
            .active_at
            .store(self.table.now(), Ordering::Relaxed);
        self.slot.in_request.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A request body that must arrive whole before a deadline (a per-read timeout would let
/// a client trickle a byte just often enough, for ever).
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl DeadlineBody {
    fn new(inner: Body, timeout: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            let late = io::Error::new(
                io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            );
            return Poll::Ready(Some(Err(axum::Error::new(late))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
