//! The hostile tenant: two workspaces, Acme (A, the app's own) and Beta (B), a person who
//! is an admin of both, and Mallory, an admin of B alone, with a session and an admin key
//! there. Every way Mallory could reach A or the shared person's account is tried: the
//! outbox (API list and detail, pages, re-drive) after a password reset and invitations,
//! exports, the audit log, A's members and API keys, password resets and switching
//! workspace. Each is refused and leaks nothing, and A's audit log shows what was done to
//! its member. On SQLite and PostgreSQL. And no log line holds a link.

use crate::common::{link_path, mailbox, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use advocate_core::Role;
use advocate_server::auth::hash_password;
use advocate_store::delivery::outbox::REDACTED;
use advocate_store::tenancy::audit::AuditEntry;
use advocate_store::testing::TestDb;
use reqwest::header::COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const SHARED: &str = "shared@example.com";
const MALLORY: &str = "mallory@beta.example";
const PASSWORD: &str = "a long enough password";
/// In A's data only: no response to Mallory may contain it.
const A_ONLY: &str = "A-ONLY";

struct Tenants {
    app: TestApp,
    b: i64,
    b_key: String,
    shared: i64,
    a_admin: i64,
    /// Mallory's session cookie in B and its CSRF token.
    cookie: String,
    csrf: String,
}

impl Tenants {
    async fn set_up(db: TestDb) -> Self {
        let app = TestApp::spawn_on(db).await;
        let store = &app.store;
        let b = store
            .workspaces()
            .create("beta", "Beta", &advocate_core::Language::english())
            .await
            .unwrap()
            .id;
        let (_, b_key) = store.api_keys().create(b, "mallory's").await.unwrap();
        // The shared person's account was made in B; A invited them later, as admin.
        let hash = hash_password(PASSWORD);
        let shared = store
            .users()
            .create_member(b, SHARED, &hash, Role::Admin)
            .await
            .unwrap()
            .id;
        store
            .accounts()
            .add_member(app.workspace_id, shared, Role::Admin)
            .await
            .unwrap();
        store
            .users()
            .create_member(b, MALLORY, &hash, Role::Admin)
            .await
            .unwrap();
        let a_admin = store
            .users()
            .by_email(ADMIN_EMAIL)
            .await
            .unwrap()
            .unwrap()
            .id;
        app.survey("rel", None).await;
        let r = app
            .answer(
                json!({"survey": "rel", "score": 3, "comment": "A-ONLY comment",
                "customer": {"external_id": "A-ONLY-C1", "email": "customer@a-only.example"}}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let cookie = sign_in(&app, MALLORY, PASSWORD).await.unwrap();
        let csrf = app.csrf(&cookie).await;
        Self {
            app,
            b,
            b_key,
            shared,
            a_admin,
            cookie,
            csrf,
        }
    }

    /// Mallory calls the API with B's admin key.
    async fn api(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, String) {
        let mut req = self
            .app
            .http
            .request(method, self.app.url(path))
            .bearer_auth(&self.b_key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Mallory opens a page with her session.
    async fn page(&self, path: &str) -> (StatusCode, String) {
        let r = self
            .app
            .http
            .get(self.app.url(path))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Mallory sends a form with her session and its CSRF token.
    async fn form(&self, path: &str, fields: &[(&str, &str)]) -> StatusCode {
        let mut fields = fields.to_vec();
        fields.push(("csrf", &self.csrf));
        self.app
            .http
            .post(self.app.url(path))
            .header(COOKIE, &self.cookie)
            .form(&fields)
            .send()
            .await
            .unwrap()
            .status()
    }

    /// A's audit log, newest first.
    async fn a_audit(&self) -> Vec<AuditEntry> {
        let store = &self.app.store;
        store
            .audit()
            .log(self.app.workspace_id, 500, None)
            .await
            .unwrap()
    }
}

/// Signs in through the form; the session cookie, or `None` when refused.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> Option<String> {
    let r = app
        .http
        .post(app.url("/signin"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    (r.status() == 303).then(|| {
        let cookie = r.headers()[reqwest::header::SET_COOKIE].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    })
}

async fn ask_for_reset(app: &TestApp, email: &str) {
    let r = app
        .http
        .post(app.url("/password-reset"))
        .form(&[("email", email)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Whether A's audit log has `action` about `target`; returns the line.
fn line<'a>(log: &'a [AuditEntry], action: &str, target: &str) -> Option<&'a AuditEntry> {
    log.iter()
        .find(|e| e.action == action && e.target == target)
}

/// Every view of B's outbox Mallory has: the API list and detail of every message, the
/// outbox page and every message page, and a re-drive's answer. None may hold `secret`;
/// each message to `to` is shown redacted.
async fn outbox_views_hide(t: &Tenants, secret: &str, to: &str) {
    let (status, list) = t
        .api(Method::GET, "/api/v1/outbox?status=pending", None)
        .await;
    assert_eq!(status, 200);
    assert!(
        !list.contains(secret),
        "the outbox list shows a link: {list}"
    );
    let list: Value = serde_json::from_str(&list).unwrap();
    let mut shown = 0;
    for message in list["messages"].as_array().unwrap() {
        let id = message["id"].as_i64().unwrap();
        let (status, detail) = t
            .api(Method::GET, &format!("/api/v1/outbox/{id}"), None)
            .await;
        assert_eq!(status, 200);
        assert!(!detail.contains(secret), "a message shows a link: {detail}");
        let (status, page) = t.page(&format!("/outbox/{id}")).await;
        assert_eq!(status, 200);
        assert!(!page.contains(secret), "a message page shows a link");
        if message["target"] == to {
            shown += 1;
            assert_eq!(message["secret"], true, "{message}");
            let payload: Value =
                serde_json::from_str(message["payload"].as_str().unwrap()).unwrap();
            assert_eq!(payload["to"], to);
            assert!(!payload["subject"].as_str().unwrap().is_empty());
            assert_eq!(payload["text"], REDACTED);
            assert!(
                page.contains(REDACTED),
                "the message page says it is redacted"
            );
        }
    }
    assert!(shown > 0, "the message to {to} is listed (redacted)");
    let (status, page) = t.page("/outbox").await;
    assert_eq!(status, 200);
    assert!(!page.contains(secret), "the outbox page shows a link");
}

/// The reset link for the shared person, and invitations to join B, are in B's outbox;
/// Mallory sees them redacted everywhere, so the takeover (reset, sign in as them, switch
/// to A, make a key) cannot start. What the shared person does is in A's audit log.
#[tokio::test]
async fn secret_links_reach_their_recipient_alone() {
    for db in TestDb::all().await {
        let t = Tenants::set_up(db).await;
        let app = &t.app;
        let a = app.workspace_id;

        ask_for_reset(app, SHARED).await;
        let mail = link_mail(&app.store).await;
        assert_eq!(mail.len(), 1, "{mail:?}");
        let reset = link_path(&mail[0]);
        assert!(reset.starts_with("/password-reset/"), "{reset}");
        let token = reset.rsplit('/').next().unwrap().to_owned();
        outbox_views_hide(&t, &token, SHARED).await;
        let outbox: Value = serde_json::from_str(
            &t.api(Method::GET, "/api/v1/outbox?status=pending", None)
                .await
                .1,
        )
        .unwrap();
        let id = outbox["messages"][0]["id"].as_i64().unwrap();
        let (status, redriven) = t
            .api(Method::POST, &format!("/api/v1/outbox/{id}/redrive"), None)
            .await;
        assert_eq!(status, 200);
        assert!(!redriven.contains(&token), "a re-drive shows the link");
        let log = t.a_audit().await;
        let asked = line(&log, "password.reset_requested", SHARED).expect("in A's audit log");
        assert_eq!(asked.actor, "public");

        // The recipient uses the link: A sees the reset, the sign-in elsewhere, the switch.
        let r = app
            .http
            .post(app.url(&reset))
            .form(&[("password", "the shared person's new one")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let cookie = sign_in(app, SHARED, "the shared person's new one")
            .await
            .expect("the new password works");
        let r = app
            .http
            .post(app.url("/workspace"))
            .header(COOKIE, &cookie)
            .form(&[
                ("workspace", a.to_string()),
                ("csrf", app.csrf(&cookie).await),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "the shared person may switch to A");
        let log = t.a_audit().await;
        let reset_line = line(&log, "password.reset", SHARED).expect("the reset in A's log");
        assert_eq!(reset_line.actor, format!("user:{SHARED}"));
        let signed_in = line(&log, "session.signed_in", SHARED).expect("the sign-in in A's log");
        assert!(
            signed_in.detail.contains("in another workspace"),
            "{signed_in:?}"
        );
        let switched = line(&log, "session.switched", SHARED).expect("the switch in A's log");
        assert!(
            !switched.detail.contains("another workspace"),
            "{switched:?}"
        );

        // Inviting someone with an account (A's admin) and a newcomer answers the same.
        let (known_status, known) = t
            .api(
                Method::POST,
                "/api/v1/members",
                Some(json!({"email": ADMIN_EMAIL, "role": "viewer"})),
            )
            .await;
        let (new_status, new) = t
            .api(
                Method::POST,
                "/api/v1/members",
                Some(json!({"email": "newcomer@nowhere.example", "role": "viewer"})),
            )
            .await;
        assert_eq!(
            (known_status, new_status),
            (StatusCode::CREATED, StatusCode::CREATED)
        );
        let shape = |body: &str| {
            let v: Value = serde_json::from_str(body).unwrap();
            let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            (keys, v["result"].clone(), v["role"].clone())
        };
        assert_eq!(shape(&known), shape(&new), "{known} vs {new}");
        assert_eq!(
            app.store.accounts().role_of(t.a_admin, t.b).await.unwrap(),
            None,
            "nobody joins B without accepting"
        );
        let (status, _) = t
            .api(
                Method::POST,
                "/api/v1/members",
                Some(json!({"email": SHARED, "role": "viewer"})),
            )
            .await;
        assert_eq!(status, 409, "a member of B already is listed there");
        let mail = link_mail(&app.store).await;
        let invitation = mail
            .iter()
            .find(|m| m.to == ADMIN_EMAIL)
            .map(link_path)
            .expect("the invitation reaches A's admin");
        let token = invitation.rsplit('/').next().unwrap().to_owned();
        outbox_views_hide(&t, &token, ADMIN_EMAIL).await;

        // A's admin accepts with the password they have; it is not replaced.
        let page = app.http.get(app.url(&invitation)).send().await.unwrap();
        let page = page.text().await.unwrap();
        assert!(
            page.contains("Your password") && !page.contains("New password"),
            "{page}"
        );
        let accept = |password: &'static str| {
            let req = app
                .http
                .post(app.url(&invitation))
                .form(&[("password", password)]);
            async move { req.send().await.unwrap().status() }
        };
        assert_eq!(accept("not the password at all").await, 422);
        assert_eq!(
            app.store.accounts().role_of(t.a_admin, t.b).await.unwrap(),
            None
        );
        assert_eq!(accept(ADMIN_PASSWORD).await, 303, "joined");
        assert_eq!(
            app.store.accounts().role_of(t.a_admin, t.b).await.unwrap(),
            Some(Role::Viewer)
        );
        assert!(sign_in(app, ADMIN_EMAIL, ADMIN_PASSWORD).await.is_some());
        let log = t.a_audit().await;
        let joined = line(&log, "member.joined", ADMIN_EMAIL).expect("A sees its admin join B");
        assert!(joined.detail.contains("in another workspace"), "{joined:?}");
    }
}

/// The emails with a sign-in link: the mailbox without the detractor alert of A's answer
/// (a fresh workspace's alerts go to its admins).
async fn link_mail(
    store: &advocate_store::Store,
) -> Vec<advocate_store::delivery::outbox::EmailMessage> {
    mailbox(store)
        .await
        .into_iter()
        .filter(|m| !m.subject.starts_with("Detractor"))
        .collect()
}

/// Mallory's every way into A is refused and shows nothing of A; what she may do to the
/// shared person in B is in A's audit log, without naming her.
#[tokio::test]
async fn an_admin_of_another_workspace_reaches_nothing() {
    for db in TestDb::all().await {
        let t = Tenants::set_up(db).await;
        let app = &t.app;
        let a = app.workspace_id;
        let a_key = app.store.api_keys().list(a).await.unwrap().remove(0);

        // A's members.
        for user in [t.a_admin] {
            let path = format!("/api/v1/members/{user}");
            let role = Some(json!({"role": "viewer"}));
            assert_eq!(t.api(Method::PUT, &path, role).await.0, 404);
            assert_eq!(t.api(Method::DELETE, &path, None).await.0, 404);
            let role_form = format!("/team/{user}/role");
            assert_eq!(t.form(&role_form, &[("role", "viewer")]).await, 404);
            assert_eq!(t.form(&format!("/team/{user}/remove"), &[]).await, 404);
        }
        let (_, members) = t.api(Method::GET, "/api/v1/members", None).await;
        assert!(!members.contains(ADMIN_EMAIL), "{members}");
        assert_eq!(
            app.store.accounts().role_of(t.a_admin, a).await.unwrap(),
            Some(Role::Admin)
        );

        // A's API keys.
        let key_path = format!("/api/v1/api-keys/{}", a_key.id);
        assert_eq!(t.api(Method::DELETE, &key_path, None).await.0, 404);
        assert_eq!(
            t.api(Method::POST, &format!("{key_path}/rotate"), None)
                .await
                .0,
            404
        );
        for action in ["revoke", "rotate"] {
            let path = format!("/team/api-keys/{}/{action}", a_key.id);
            assert_eq!(t.form(&path, &[]).await, 404, "{path}");
        }
        let made = t
            .api(
                Method::POST,
                "/api/v1/api-keys",
                Some(json!({"name": "x", "scopes": ["admin"]})),
            )
            .await;
        assert_eq!(made.0, 201, "a key of her own workspace");
        assert_eq!(
            app.store.api_keys().list(a).await.unwrap().len(),
            1,
            "none made in A"
        );
        let (_, keys) = t.api(Method::GET, "/api/v1/api-keys", None).await;
        assert!(!keys.contains(&a_key.prefix), "{keys}");
        let r = app.get("/api/v1/members").send().await.unwrap();
        assert_eq!(r.status(), 200, "A's key still works");

        // Switching into A.
        let a_id = a.to_string();
        assert_eq!(t.form("/workspace", &[("workspace", &a_id)]).await, 404);
        let (_, account) = t.page("/account").await;
        assert!(!account.contains("Acme"), "{account}");

        // A's outbox, audit log and data through B's views and exports.
        ask_for_reset(app, ADMIN_EMAIL).await;
        let mut seen = Vec::new();
        for path in [
            "/api/v1/outbox?status=pending",
            "/api/v1/audit-log",
            "/api/v1/exports/answers.csv?from=2020-01-01",
            "/api/v1/exports/customers.csv",
            "/api/v1/exports/cases.csv",
        ] {
            let (status, body) = t.api(Method::GET, path, None).await;
            assert_eq!(status, 200, "{path}: {body}");
            seen.push((path, body));
        }
        for path in ["/outbox", "/audit", "/team", "/dashboard"] {
            let (status, body) = t.page(path).await;
            assert_eq!(status, 200, "{path}");
            seen.push((path, body));
        }
        for (path, body) in &seen {
            for marker in [A_ONLY, ADMIN_EMAIL, &a_key.prefix, "Acme"] {
                assert!(!body.contains(marker), "{path} shows {marker:?}");
            }
        }
        let log = t.a_audit().await;
        assert!(line(&log, "password.reset_requested", ADMIN_EMAIL).is_some());

        // What Mallory may do to the shared person in B, A sees (not who she is).
        let shared = format!("/api/v1/members/{}", t.shared);
        assert_eq!(
            t.api(Method::PUT, &shared, Some(json!({"role": "viewer"})))
                .await
                .0,
            204
        );
        assert_eq!(t.api(Method::DELETE, &shared, None).await.0, 204);
        assert_eq!(
            app.store.accounts().role_of(t.shared, a).await.unwrap(),
            Some(Role::Admin)
        );
        let log = t.a_audit().await;
        for action in ["role.changed", "member.removed"] {
            let entry = line(&log, action, SHARED).unwrap_or_else(|| panic!("{action} in A's log"));
            assert_eq!(entry.actor, "another workspace", "{entry:?}");
            assert!(entry.detail.contains("in another workspace"), "{entry:?}");
        }
        assert!(
            log.iter().all(|e| !format!("{e:?}").contains("mallory")),
            "A's log names nobody of B: {log:?}"
        );
        let b_log = app.store.audit().log(t.b, 500, None).await.unwrap();
        let removed = line(&b_log, "member.removed", SHARED).expect("in B's own log");
        assert!(removed.actor.starts_with("key:"), "{removed:?}");
    }
}

/// Log lines written while a person uses their reset and invitation links: at the most
/// verbose level, none holds a link (request spans name the route, not the URL).
#[tokio::test]
async fn no_log_line_holds_a_link() {
    crate::access::captured_logs();
    let t = Tenants::set_up(TestDb::sqlite()).await;
    let app = &t.app;
    ask_for_reset(app, SHARED).await;
    let invited = t
        .api(
            Method::POST,
            "/api/v1/members",
            Some(json!({"email": "new@nowhere.example", "role": "viewer"})),
        )
        .await;
    assert_eq!(invited.0, 201);
    let mut links = Vec::new();
    for mail in link_mail(&app.store).await {
        let path = link_path(&mail);
        let r = app.http.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let r = app
            .http
            .post(app.url(&path))
            .form(&[("password", "yet another long password")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{path}");
        links.push(path.rsplit('/').next().unwrap().to_owned());
    }
    assert_eq!(links.len(), 2);
    let log = crate::access::logged();
    assert!(
        log.contains("started processing request"),
        "requests are logged: {log}"
    );
    for token in links {
        assert!(!log.contains(&token), "a log line holds a link: {log}");
    }
}
