//! A small WebDriver client for the browser tests: starts Debian's chromedriver, which drives
//! a real headless Chromium, and speaks the W3C WebDriver protocol to it over HTTP.
//!
//! Every network request the page makes is read back from Chromium's performance log, so
//! tests can check where a page fetches from and how many bytes it costs.

#![allow(dead_code)] // each test uses a different part of this

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use advocate_store::testing::missing_peer;
use reqwest::Client;
use serde_json::{json, Value};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The key a W3C element reference is sent under.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a test waits for the driver, an element or a page before giving up.
const WAIT: Duration = Duration::from_secs(15);

/// Special keys (W3C WebDriver "normalised key values").
pub const TAB: &str = "\u{E004}";
pub const ENTER: &str = "\u{E007}";
pub const SPACE: &str = "\u{E00D}";
pub const ESCAPE: &str = "\u{E00C}";

/// What kind of browser to start.
#[derive(Debug, Clone)]
pub struct Options {
    /// The browser's language (`Accept-Language`, `navigator.language`).
    pub lang: String,
    /// A phone: 390×844 CSS px at 3× with touch, through Chromium's mobile emulation.
    pub phone: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            lang: "en".into(),
            phone: false,
        }
    }
}

/// One element found on the page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Element {
    fn to_arg(&self) -> Value {
        json!({ ELEMENT: self.0 })
    }
}

/// What the page fetched, read from the performance log.
#[derive(Debug, Default, Clone)]
pub struct Traffic {
    /// Every URL requested, in order (redirects included).
    pub urls: Vec<String>,
    /// Each finished request's final URL and the bytes it took over the wire.
    pub finished: Vec<(String, u64)>,
}

impl Traffic {
    /// Bytes received over the wire (headers and bodies, as encoded), all requests.
    pub fn bytes(&self) -> u64 {
        self.finished.iter().map(|(_, b)| b).sum()
    }

    /// Bytes taken by the requests whose URL satisfies `f`.
    pub fn bytes_of(&self, f: impl Fn(&str) -> bool) -> u64 {
        self.finished
            .iter()
            .filter(|(u, _)| f(u))
            .map(|(_, b)| b)
            .sum()
    }
}

/// A chromedriver process with one Chromium session; both end when this is dropped.
pub struct Browser {
    driver: Child,
    port: u16,
    http: Client,
    session: String,
    profile: PathBuf,
    /// Request id → URL: a request may start in one read of the log and finish in the next.
    requests: Mutex<HashMap<String, String>>,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, or `None` (with a SKIPPED message) when
    /// either is not installed; with `ADVOCATE_REQUIRE_PEERS=1` a missing one panics.
    pub async fn start(opts: Options) -> Option<Self> {
        for bin in [CHROMEDRIVER, CHROMIUM] {
            if !Path::new(bin).exists() {
                return missing_peer(&format!(
                    "{bin} is missing (apt-get install chromium chromium-driver); browser tests skipped"
                ));
            }
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile =
            std::env::temp_dir().join(format!("advocate-chromium-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&profile).expect("create the Chromium profile directory");
        let http = Client::new();
        let mut browser = Self {
            driver,
            port,
            http,
            session: String::new(),
            profile,
            requests: Mutex::default(),
        };
        browser.wait_ready().await;
        browser.session = browser.new_session(&opts).await;
        browser
            .post("timeouts", json!({"pageLoad": 30_000, "script": 15_000}))
            .await;
        // Chromium opens its new-tab page (chrome:// resources) on start; leave it and
        // drop what it fetched, which is not the page's.
        browser.goto("about:blank").await;
        browser.traffic().await;
        Some(browser)
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = self
                .http
                .get(format!("http://127.0.0.1:{}/status", self.port))
                .send()
                .await
                .ok()
                .and_then(|r| r.status().is_success().then_some(r));
            if let Some(r) = ready {
                let body: Value = r.json().await.unwrap_or_default();
                if body["value"]["ready"] == true {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on port {}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn new_session(&self, opts: &Options) -> String {
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-default-apps".into(),
            "--disable-dev-shm-usage".into(),
            format!("--user-data-dir={}", self.profile.display()),
            format!("--lang={}", opts.lang),
            format!("--accept-lang={}", opts.lang),
        ];
        if !opts.phone {
            args.push("--window-size=1280,900".into());
        }
        let mut chrome = json!({
            "binary": CHROMIUM,
            "args": args,
            "prefs": {"intl.accept_languages": opts.lang},
        });
        if opts.phone {
            chrome["mobileEmulation"] = json!({
                "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": true}
            });
        }
        let caps = json!({
            "capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "pageLoadStrategy": "normal",
                "goog:chromeOptions": chrome,
                "goog:loggingPrefs": {"performance": "ALL", "browser": "ALL"},
            }}
        });
        let r = self
            .http
            .post(format!("http://127.0.0.1:{}/session", self.port))
            .json(&caps)
            .send()
            .await
            .expect("create a WebDriver session");
        let body: Value = r.json().await.expect("session JSON");
        body["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver refused the session: {body}"))
            .to_owned()
    }

    fn url(&self, path: &str) -> String {
        let sep = if path.is_empty() { "" } else { "/" };
        format!(
            "http://127.0.0.1:{}/session/{}{sep}{path}",
            self.port, self.session
        )
    }

    /// The `value` of a command's answer; a WebDriver error panics with its message.
    async fn answer(&self, what: &str, r: reqwest::Result<reqwest::Response>) -> Value {
        let r = r.unwrap_or_else(|e| panic!("{what}: {e}"));
        let ok = r.status().is_success();
        let body: Value = r.json().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(ok, "{what}: {}", body["value"]);
        body["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self.http.post(self.url(path)).json(&body).send().await;
        self.answer(&format!("POST {path}"), r).await
    }

    async fn get(&self, path: &str) -> Value {
        let r = self.http.get(self.url(path)).send().await;
        self.answer(&format!("GET {path}"), r).await
    }

    /// Opens `url` and waits until it has loaded.
    pub async fn goto(&self, url: &str) {
        self.post("url", json!({ "url": url })).await;
    }

    pub async fn current_url(&self) -> String {
        self.get("url")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the page's URL satisfies `f` (a form post ends in a redirect).
    pub async fn wait_for_url(&self, what: &str, f: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = self.current_url().await;
            if f(&url) && self.script("return document.readyState", json!([])).await == "complete" {
                return url;
            }
            assert!(Instant::now() < deadline, "waiting for {what}; at {url}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// All elements matching a CSS selector, now.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let v = self
            .post("elements", json!({"using": "css selector", "value": css}))
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(|id| Element(id.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first element matching a CSS selector, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(e) = self.find_all(css).await.into_iter().next() {
                return e;
            }
            assert!(Instant::now() < deadline, "no element matches {css:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn click(&self, e: &Element) {
        self.post(&format!("element/{}/click", e.0), json!({}))
            .await;
    }

    pub async fn text(&self, e: &Element) -> String {
        let v = self.get(&format!("element/{}/text", e.0)).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    pub async fn attribute(&self, e: &Element, name: &str) -> Option<String> {
        let v = self.get(&format!("element/{}/attribute/{name}", e.0)).await;
        v.as_str().map(str::to_owned)
    }

    /// Types `keys` (text and the special keys above) into whatever has the focus, as a
    /// person at a keyboard would: one key down and up per character.
    pub async fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.post(
            "actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        )
        .await;
        self.http
            .delete(self.url("actions"))
            .send()
            .await
            .expect("release keys");
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page and returns
    /// its result. Elements in `args` are passed with [`Browser::el`].
    pub async fn script(&self, script: &str, args: Value) -> Value {
        self.post("execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// Runs `script` as an asynchronous script: it finishes by calling the last of its
    /// `arguments` with the result.
    pub async fn script_async(&self, script: &str, args: Value) -> Value {
        self.post("execute/async", json!({"script": script, "args": args}))
            .await
    }

    /// Sets the window's outer size (a desktop session; a phone's size is its emulation's).
    pub async fn resize(&self, width: u32, height: u32) {
        self.post("window/rect", json!({"width": width, "height": height}))
            .await;
    }

    /// An element as a script argument.
    pub fn el(e: &Element) -> Value {
        e.to_arg()
    }

    /// What the page fetched since the last call (the performance log is drained by
    /// reading it).
    pub async fn traffic(&self) -> Traffic {
        let entries = self.post("se/log", json!({"type": "performance"})).await;
        let mut t = Traffic::default();
        let mut url_of = self.requests.lock().unwrap();
        for entry in entries.as_array().into_iter().flatten() {
            let Some(raw) = entry["message"].as_str() else {
                continue;
            };
            let Ok(msg) = serde_json::from_str::<Value>(raw) else {
                continue;
            };
            let (method, params) = (&msg["message"]["method"], &msg["message"]["params"]);
            let id = params["requestId"].as_str().unwrap_or_default().to_owned();
            match method.as_str() {
                Some("Network.requestWillBeSent") => {
                    if let Some(url) = params["request"]["url"].as_str() {
                        t.urls.push(url.to_owned());
                        url_of.insert(id, url.to_owned());
                    }
                }
                Some("Network.loadingFinished") => {
                    let bytes = params["encodedDataLength"].as_f64().unwrap_or(0.0) as u64;
                    let url = url_of.get(&id).cloned().unwrap_or_default();
                    t.finished.push((url, bytes));
                }
                _ => {}
            }
        }
        t
    }

    /// The console messages since the last call (drained by reading), as `LEVEL message`.
    pub async fn console(&self) -> Vec<String> {
        let entries = self.post("se/log", json!({"type": "browser"})).await;
        entries
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let level = e["level"].as_str().unwrap_or_default();
                let message = e["message"].as_str().unwrap_or_default();
                format!("{level} {message}")
            })
            .collect()
    }

    /// Fails when the page reported a Content-Security-Policy violation on the console
    /// since the last read of the console.
    pub async fn assert_no_csp_violation(&self, what: &str) {
        let violations: Vec<String> = self
            .console()
            .await
            .into_iter()
            .filter(|m| m.contains("Content Security Policy"))
            .collect();
        assert!(violations.is_empty(), "{what}: {violations:#?}");
    }

    /// The first element matching `css` inside the open shadow root of the element matching
    /// `host`, waiting for it to appear (WebDriver's CSS lookup does not enter shadow roots).
    pub async fn find_in_shadow(&self, host: &str, css: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self
                .script(
                    "const h = document.querySelector(arguments[0]); \
                     return (h && h.shadowRoot && h.shadowRoot.querySelector(arguments[1])) || null;",
                    json!([host, css]),
                )
                .await;
            if let Some(id) = v[ELEMENT].as_str() {
                return Element(id.to_owned());
            }
            assert!(
                Instant::now() < deadline,
                "nothing matches {css:?} in the shadow root of {host:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Emulates the person's preferred colour scheme (`prefers-color-scheme`), `dark` or
    /// `light`, for the pages that follow, through Chromium's DevTools protocol.
    pub async fn prefer_color_scheme(&self, scheme: &str) {
        self.post(
            "goog/cdp/execute",
            json!({"cmd": "Emulation.setEmulatedMedia",
                   "params": {"features": [{"name": "prefers-color-scheme", "value": scheme}]}}),
        )
        .await;
    }

    /// Runs `script` until it returns something other than null/false/0/"", and returns that.
    pub async fn wait_for(&self, what: &str, script: &str, args: Value) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.script(script, args.clone()).await;
            let empty = v.is_null() || v == false || v == 0 || v == "";
            if !empty {
                return v;
            }
            assert!(Instant::now() < deadline, "waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closing the session ends Chromium; killing only chromedriver would leave it
        // running. Plain blocking HTTP, as Drop cannot await (and may run in a panic).
        if !self.session.is_empty() {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.set_read_timeout(Some(WAIT));
                let _ = write!(
                    s,
                    "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
                    self.session, self.port
                );
                read_response(&mut s);
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Reads one HTTP response to its end (chromedriver keeps the connection open after it).
fn read_response(s: &mut TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n @ 1..) = s.read(&mut chunk) {
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return;
            }
        }
    }
}

/// A port nobody listens on right now, for chromedriver.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local address").port()
}
