//! Starts the real application on port 0 with a fresh database, and talks to it over HTTP.

#![allow(dead_code)] // each test binary uses a different part of this

pub mod certs;
pub mod dovecot;
pub mod peers;

use advocate_core::outbound::AllowedHosts;
use advocate_core::Language;
use advocate_server::auth::hash_password;
use advocate_server::Config;
use advocate_store::testing::TestDb;
use advocate_store::Store;
use reqwest::{Client, RequestBuilder, Response};
use serde_json::{json, Value};
use tokio::net::TcpListener;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub key: String,
    pub workspace_id: i64,
    pub store: Store,
    pub http: Client,
    _db: TestDb,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_on(TestDb::sqlite()).await
    }

    /// A running server on `db` with a workspace "acme", an admin user and an API key.
    pub async fn spawn_on(db: TestDb) -> Self {
        Self::spawn_with(db, Config::default()).await
    }

    /// Like [`TestApp::spawn_on`], allowing webhook and Slack URLs on loopback, where the
    /// tests' receivers listen (deliveries need [`receivers_allowed`] too).
    pub async fn spawn_allowing_receivers(db: TestDb) -> Self {
        let config = Config {
            allowed_hosts: receivers_allowed(),
            ..Config::default()
        };
        Self::spawn_with(db, config).await
    }

    /// Like [`TestApp::spawn_on`], with the HTTP layer's settings.
    pub async fn spawn_with(db: TestDb, config: Config) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Links in messages point at this server.
        let store = db.store().await.with_public_url(&format!("http://{addr}"));
        let ws = store
            .workspaces()
            .create("acme", "Acme", &Language::english())
            .await
            .unwrap();
        store
            .users()
            .create(ws.id, ADMIN_EMAIL, &hash_password(ADMIN_PASSWORD))
            .await
            .unwrap();
        let (_, key) = store.api_keys().create(ws.id, "test").await.unwrap();
        let state = advocate_server::state(store.clone(), config).await.unwrap();
        tokio::spawn(advocate_server::serve(
            listener,
            state,
            std::future::pending(),
        ));
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base: format!("http://{addr}"),
            key,
            workspace_id: ws.id,
            store,
            http,
            _db: db,
        }
    }

    /// Another instance of the application on the same database, with its own pool and
    /// state (as a second process behind a load balancer has); its base URL.
    pub async fn another_instance(&self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let store = Store::connect(self.db_url())
            .await
            .unwrap()
            .with_public_url(&format!("http://{addr}"));
        let state = advocate_server::state(store, Config::default())
            .await
            .unwrap();
        tokio::spawn(advocate_server::serve(
            listener,
            state,
            std::future::pending(),
        ));
        format!("http://{addr}")
    }

    /// The database URL, for a connection of the test's own (what another process
    /// would see, not what the server's connections hold).
    pub fn db_url(&self) -> &str {
        &self._db.url
    }

    /// Opens cases for anonymous detractors (the default flags them for review instead),
    /// for tests whose answers have no customer.
    pub async fn open_cases_for_anonymous_detractors(&self) {
        let mut s = self.store.settings().get(self.workspace_id).await.unwrap();
        s.anonymous_detractors = advocate_store::models::AnonymousDetractors::Case;
        self.store
            .settings()
            .save(self.workspace_id, &s)
            .await
            .unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(&self.key)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.http.post(self.url(path)).bearer_auth(&self.key)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.post(path).json(body).send().await.unwrap()
    }

    /// Creates an NPS survey through the API.
    pub async fn survey(&self, slug: &str, touchpoint: Option<&str>) -> Value {
        let r = self
            .post_json(
                "/api/v1/surveys",
                &json!({"slug": slug, "name": slug, "touchpoint": touchpoint}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    pub async fn answer(&self, body: Value) -> Response {
        self.post_json("/api/v1/answers", &body).await
    }

    /// Signs in as the admin and returns the session cookie (`name=value`).
    pub async fn sign_in(&self) -> String {
        let r = self
            .http
            .post(self.url("/signin"))
            .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "sign-in failed");
        let cookie = r.headers()[reqwest::header::SET_COOKIE].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    /// The session's CSRF token, as the pages put it in their forms.
    pub async fn csrf(&self, cookie: &str) -> String {
        let html = self
            .http
            .get(self.url("/dashboard"))
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        csrf_of(&html)
    }

    pub async fn count_answers(&self) -> u64 {
        self.store.answers().count(self.workspace_id).await.unwrap()
    }
}

/// What `--allow-webhook-hosts` must hold for deliveries to the tests' receivers on
/// 127.0.0.1 (by default only public addresses are delivered to).
pub fn receivers_allowed() -> AllowedHosts {
    AllowedHosts::parse("127.0.0.1").unwrap()
}

/// The CSRF token in a page's forms.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find(r#"name="csrf" value=""#)
        .expect("the page has a form with a CSRF token")
        + r#"name="csrf" value=""#.len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// The message an error page shows (the paragraph under its heading), as the person reads it.
pub fn error_message(html: &str) -> String {
    let after_heading = html
        .split_once(r#"<h1 id="h-error">"#)
        .expect("an error page")
        .1;
    let message = after_heading.split_once("<p>").unwrap().1;
    let message = message.split_once("</p>").unwrap().0;
    [
        ("&#60;", "<"),
        ("&#62;", ">"),
        ("&#34;", "\""),
        ("&#39;", "'"),
        ("&#38;", "&"),
    ]
    .iter()
    .fold(message.to_owned(), |m, (entity, c)| m.replace(entity, c))
}

/// Where a redirect points.
pub fn location(r: &Response) -> String {
    r.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The `detail` of a problem+json error, checking the content type on the way.
pub async fn problem(r: Response) -> String {
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "application/problem+json");
    let body: Value = r.json().await.unwrap();
    body["detail"].as_str().unwrap().to_owned()
}

/// The emails due in the outbox, as their recipients get them: claimed the way the
/// delivery worker claims them (only delivery reads a secret message's body) and left
/// leased, as by a worker still sending them, so a later call returns only newer mail.
/// (Recording a failed attempt instead made a message due again a second later, and a
/// slow machine then read it twice.)
pub async fn mailbox(store: &Store) -> Vec<advocate_store::delivery::outbox::EmailMessage> {
    use advocate_store::delivery::outbox::MessageKind;
    let lease_secs = 600;
    let claimed = store
        .outbox()
        .claim(&[MessageKind::Email], 500, lease_secs)
        .await
        .unwrap();
    claimed
        .iter()
        .map(|message| serde_json::from_str(&message.payload).unwrap())
        .collect()
}

/// The path of the first link in an email's text (`/invite/…`, `/password-reset/…`).
pub fn link_path(email: &advocate_store::delivery::outbox::EmailMessage) -> String {
    let link = email
        .text
        .lines()
        .find(|l| l.starts_with("http"))
        .unwrap_or_else(|| panic!("a link in {:?}", email.text));
    let after_scheme = &link[link.find("://").unwrap() + 3..];
    after_scheme[after_scheme.find('/').unwrap()..].to_owned()
}
