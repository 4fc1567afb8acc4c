//! Two-factor sign-in over HTTP, with codes computed by a reference implementation
//! (PyPI `pyotp`): enrolment on the account page, the second sign-in step, a wrong and a
//! replayed code, recovery codes used once, remembered devices forgotten when two-factor
//! is set up again, the limit on wrong codes, a workspace that requires it, and what
//! another workspace's admin or an anonymous visitor can do to it (nothing).

use crate::common::{csrf_of, location, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use advocate_core::{totp, Language, Role};
use advocate_server::auth::hash_password;
use advocate_store::testing::{missing_peer, TestDb};
use chrono::Utc;
use reqwest::header::{COOKIE, RETRY_AFTER, SET_COOKIE};
use reqwest::Response;
use serde_json::json;
use std::process::Command;

/// The TOTP code of `secret` `offset` seconds from now, as pyotp computes it; `None`
/// (skipped) without python3 and pyotp, unless peers are required.
fn pyotp(secret: &str, offset: i64) -> Option<String> {
    let script = format!(
        "import pyotp, time; print(pyotp.TOTP('{secret}').at(int(time.time()) + {offset}))"
    );
    match Command::new("python3").args(["-c", &script]).output() {
        Ok(out) if out.status.success() => {
            Some(String::from_utf8(out.stdout).unwrap().trim().to_owned())
        }
        Ok(out) => missing_peer(&format!(
            "pyotp is not installed (pip install pyotp): {}",
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => missing_peer(&format!("python3 cannot run: {e}")),
    }
}

/// Every `Set-Cookie` of a response as `name=value`.
fn cookies(r: &Response) -> Vec<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect()
}

fn cookie_named(r: &Response, name: &str) -> Option<String> {
    cookies(r)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")) && c.len() > name.len() + 1)
}

async fn password_step(app: &TestApp, email: &str, password: &str, extra: &str) -> Response {
    let mut r = app.http.post(app.url("/signin")).form(&[
        ("email", email),
        ("password", password),
        ("next", "/account"),
    ]);
    if !extra.is_empty() {
        r = r.header(COOKIE, extra);
    }
    r.send().await.unwrap()
}

/// The password step for a person with two-factor: to the code page, no session yet.
async fn pending_cookie(app: &TestApp, email: &str, password: &str) -> String {
    let r = password_step(app, email, password, "").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/signin/code?next=%2Faccount");
    assert_eq!(cookie_named(&r, "advocate_session"), None, "no session yet");
    cookie_named(&r, "advocate_2fa").expect("the second-step cookie")
}

async fn code_step(app: &TestApp, cookie: &str, code: &str, remember: bool) -> Response {
    let mut form = vec![("code", code), ("next", "/account")];
    if remember {
        form.push(("remember", "1"));
    }
    let mut r = app.http.post(app.url("/signin/code")).form(&form);
    if !cookie.is_empty() {
        r = r.header(COOKIE, cookie);
    }
    r.send().await.unwrap()
}

/// A code step that signs in: to `next`, with a session cookie that opens pages.
async fn signed_in_by(app: &TestApp, r: Response) -> String {
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), "/account");
    let session = cookie_named(&r, "advocate_session").expect("a session");
    let page = get(app, &session, "/dashboard").await;
    assert_eq!(page.status(), 200);
    session
}

async fn get(app: &TestApp, cookie: &str, path: &str) -> Response {
    app.http
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

async fn post_form(app: &TestApp, cookie: &str, path: &str, fields: &[(&str, &str)]) -> Response {
    let html = get(app, cookie, "/account/two-factor")
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    app.http
        .post(app.url(path))
        .header(COOKIE, cookie)
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Signs in with the password alone (a person without two-factor).
async fn sign_in_as(app: &TestApp, email: &str, password: &str) -> String {
    let r = password_step(app, email, password, "").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/account", "no second step");
    cookie_named(&r, "advocate_session").unwrap()
}

/// Sets two-factor up on the account page with pyotp's code; returns the secret and the
/// recovery codes shown. With `try_wrong`, a wrong code first (it turns nothing on, and
/// counts against the person's limit on wrong codes).
async fn enrol(app: &TestApp, session: &str, try_wrong: bool) -> Option<(String, Vec<String>)> {
    let r = post_form(app, session, "/account/two-factor/setup", &[]).await;
    assert_eq!(r.status(), 303);
    let html = get(app, session, "/account/two-factor")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<svg"), "a QR code");
    let at = html
        .find(r#"id="two-factor-secret">"#)
        .expect("the secret in text");
    let rest = &html[at + r#"id="two-factor-secret">"#.len()..];
    let secret = rest[..rest.find('<').unwrap()].replace(' ', "");
    assert_eq!(secret.len(), 32, "{secret}");

    if try_wrong {
        let wrong = wrong_code(&secret);
        let r = post_form(
            app,
            session,
            "/account/two-factor/confirm",
            &[("code", &wrong)],
        )
        .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("That code is not right"));
        let user = app
            .store
            .users()
            .by_email(ADMIN_EMAIL)
            .await
            .unwrap()
            .unwrap();
        let state = app
            .store
            .two_factor()
            .state(user.id)
            .await
            .unwrap()
            .unwrap();
        assert!(!state.is_on());
    }

    let code = pyotp(&secret, 0)?;
    let r = post_form(
        app,
        session,
        "/account/two-factor/confirm",
        &[("code", &code)],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Two-factor sign-in is on"), "{html}");
    let codes: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{html}");
    Some((secret, codes))
}

/// A six-digit code that is none of the codes accepted now.
fn wrong_code(secret: &str) -> String {
    let key = totp::base32_decode(secret).unwrap();
    let now = Utc::now().timestamp();
    let taken: Vec<String> = (-2..=2)
        .map(|i| totp::code_at(&key, now + i * 30))
        .collect();
    (0..)
        .map(|n: u32| format!("{:06}", (n * 7919) % 1_000_000))
        .find(|c| !taken.contains(c))
        .unwrap()
}

async fn enrol_and_sign_in_with_codes(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    let session = app.sign_in().await;
    let html = get(&app, &session, "/account").await.text().await.unwrap();
    assert!(html.contains("Set up two-factor sign-in"));
    let Some((secret, codes)) = enrol(&app, &session, false).await else {
        return;
    };
    let user = app
        .store
        .users()
        .by_email(ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    assert!(app
        .store
        .two_factor()
        .state(user.id)
        .await
        .unwrap()
        .unwrap()
        .is_on());

    // Without the second-step cookie the code page sends back to the password.
    let r = code_step(&app, "", &pyotp(&secret, 30).unwrap(), false).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/signin?"), "{}", location(&r));
    // The second-step cookie is not a session.
    let pending = pending_cookie(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r = get(&app, &pending, "/dashboard").await;
    assert!(location(&r).starts_with("/signin"), "{}", location(&r));
    assert_eq!(get(&app, &pending, "/signin/code").await.status(), 200);

    // A wrong code: no session.
    let r = code_step(&app, &pending, &wrong_code(&secret), false).await;
    assert_eq!(r.status(), 401);
    assert_eq!(cookie_named(&r, "advocate_session"), None);
    assert!(r.text().await.unwrap().contains("That code is not right"));

    // The code of the next step (confirming used this one) signs in; replayed, it does not.
    let next_code = pyotp(&secret, 30).unwrap();
    let r = code_step(&app, &pending, &next_code, false).await;
    signed_in_by(&app, r).await;
    let pending = pending_cookie(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r = code_step(&app, &pending, &next_code, false).await;
    assert_eq!(r.status(), 401, "a replayed code");
    assert_eq!(cookie_named(&r, "advocate_session"), None);

    // A recovery code works once, however it is typed.
    let typed = codes[0].to_uppercase().replace('-', " ");
    let r = code_step(&app, &pending, &typed, false).await;
    signed_in_by(&app, r).await;
    let pending = pending_cookie(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r = code_step(&app, &pending, &codes[0], false).await;
    assert_eq!(r.status(), 401, "a used recovery code");
    let state = app
        .store
        .two_factor()
        .state(user.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.recovery_codes_left, 9);

    // "Remember this device": the next sign-in on it skips the code.
    let r = code_step(&app, &pending, &codes[1], true).await;
    let device = cookie_named(&r, "advocate_device").expect("a device cookie");
    let session = signed_in_by(&app, r).await;
    let r = password_step(&app, ADMIN_EMAIL, ADMIN_PASSWORD, &device).await;
    assert_eq!(location(&r), "/account");
    assert!(cookie_named(&r, "advocate_session").is_some());
    // The device cookie is no way around the password.
    let r = password_step(&app, ADMIN_EMAIL, "wrong password", &device).await;
    assert_eq!(r.status(), 401);

    // Turning off needs the password or a code; a wrong one changes nothing.
    let r = post_form(
        &app,
        &session,
        "/account/two-factor/off",
        &[("proof", "guess")],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(app
        .store
        .two_factor()
        .state(user.id)
        .await
        .unwrap()
        .unwrap()
        .is_on());
    let r = post_form(
        &app,
        &session,
        "/account/two-factor/off",
        &[("proof", ADMIN_PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.store.two_factor().state(user.id).await.unwrap(), None);
    sign_in_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // Set up again: the device remembered before is asked for a code again.
    enrol(&app, &session, false).await.unwrap();
    let r = password_step(&app, ADMIN_EMAIL, ADMIN_PASSWORD, &device).await;
    assert!(location(&r).starts_with("/signin/code"), "{}", location(&r));

    let log = app
        .store
        .audit()
        .log(app.workspace_id, 50, None)
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for action in ["two_factor.on", "two_factor.off"] {
        assert!(actions.contains(&action), "{actions:?}");
    }
}

#[tokio::test]
async fn enrol_and_sign_in_with_pyotp_codes_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        enrol_and_sign_in_with_codes(db).await;
    }
}

/// Turns two-factor on for `user_id` through the store, with a known secret.
async fn turned_on(app: &TestApp, user_id: i64) -> String {
    let secret = totp::new_secret();
    let tf = app.store.two_factor();
    tf.begin(user_id, &secret, Utc::now()).await.unwrap();
    tf.confirm(user_id, 0, &["abcdabcdabcd".into()], Utc::now())
        .await
        .unwrap();
    secret
}

#[tokio::test]
async fn wrong_codes_are_limited_per_person() {
    let app = TestApp::spawn().await;
    let user = app
        .store
        .users()
        .by_email(ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let secret = turned_on(&app, user.id).await;
    let pending = pending_cookie(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for i in 0..5 {
        let wrong = if i % 2 == 0 {
            wrong_code(&secret)
        } else {
            "zzzz-zzzz-zzzz".into()
        };
        let r = code_step(&app, &pending, &wrong, false).await;
        assert_eq!(r.status(), 401, "wrong code {i}");
    }
    // The sixth try is refused, even with the right code.
    let Some(right) = pyotp(&secret, 0) else {
        return;
    };
    let r = code_step(&app, &pending, &right, false).await;
    assert_eq!(r.status(), 429);
    let secs: u64 = r.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs), "one more try a minute: {secs}");
    assert_eq!(cookie_named(&r, "advocate_session"), None);
    assert!(r.text().await.unwrap().contains("Too many wrong codes"));
    // A fresh password step does not reset the count.
    let pending = pending_cookie(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(code_step(&app, &pending, &right, false).await.status(), 429);

    // The limit is the person's: a colleague on the same network signs in.
    let bob_password = "bob's own long password";
    let bob = app
        .store
        .users()
        .create_member(
            app.workspace_id,
            "bob@example.com",
            &hash_password(bob_password),
            Role::Viewer,
        )
        .await
        .unwrap();
    let bob_secret = turned_on(&app, bob.id).await;
    let pending = pending_cookie(&app, "bob@example.com", bob_password).await;
    let r = code_step(&app, &pending, &pyotp(&bob_secret, 0).unwrap(), false).await;
    signed_in_by(&app, r).await;
}

async fn a_workspace_can_require_two_factor(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    let session = app.sign_in().await;
    let before: serde_json::Value = app
        .get("/api/v1/settings")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(before["require_two_factor"], false);

    // PATCH names one setting: only it changes.
    let r = app
        .http
        .patch(app.url("/api/v1/settings"))
        .bearer_auth(&app.key)
        .json(&json!({"require_two_factor": "yes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a bool, not a string");
    let r = app
        .http
        .patch(app.url("/api/v1/settings"))
        .bearer_auth(&app.key)
        .json(&json!({"require_two_factor": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let mut after: serde_json::Value = app
        .get("/api/v1/settings")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after["require_two_factor"], true);
    after["require_two_factor"] = json!(false);
    assert_eq!(after, before, "nothing else changed");

    // A member without a second factor is sent to set one up, from every page but that.
    for path in ["/dashboard", "/account", "/settings"] {
        let r = get(&app, &session, path).await;
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(location(&r), "/account/two-factor", "{path}");
    }
    let html = get(&app, &session, "/account/two-factor")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"id="two-factor-required""#));
    // API keys are unaffected.
    assert_eq!(
        app.get("/api/v1/settings").send().await.unwrap().status(),
        200
    );

    // Once set up, the pages open; the settings page shows the box ticked, and unticking
    // it there turns the rule off without touching the rest.
    if enrol(&app, &session, true).await.is_none() {
        return;
    }
    assert_eq!(get(&app, &session, "/dashboard").await.status(), 200);
    let html = get(&app, &session, "/settings").await.text().await.unwrap();
    assert!(html.contains(r#"name="require_two_factor" value="1" checked"#));
    let csrf = csrf_of(&html);
    let r = app
        .http
        .post(app.url("/settings"))
        .header(COOKIE, &session)
        .form(&[
            ("csrf", csrf.as_str()),
            ("checkboxes", "1"),
            ("name", "Acme"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let s = app.store.settings().get(app.workspace_id).await.unwrap();
    assert!(!s.require_two_factor);
}

#[tokio::test]
async fn a_workspace_can_require_two_factor_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("backend: {:?}", db.backend);
        a_workspace_can_require_two_factor(db).await;
    }
}

#[tokio::test]
async fn another_workspaces_admin_cannot_turn_off_someones_two_factor() {
    let app = TestApp::spawn().await;
    let ana = app
        .store
        .users()
        .by_email(ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let secret = turned_on(&app, ana.id).await;
    let other = app
        .store
        .workspaces()
        .create("globex", "Globex", &Language::english())
        .await
        .unwrap();
    let eve_password = "eve's own long password";
    app.store
        .users()
        .create_member(
            other.id,
            "eve@globex.example",
            &hash_password(eve_password),
            Role::Admin,
        )
        .await
        .unwrap();
    let eve = sign_in_as(&app, "eve@globex.example", eve_password).await;

    // Eve's forms act on Eve alone, whatever she sends: Ana's password or code does not
    // reach Ana's account.
    let Some(code) = pyotp(&secret, 0) else {
        return;
    };
    for proof in [ADMIN_PASSWORD, code.as_str()] {
        let r = post_form(&app, &eve, "/account/two-factor/off", &[("proof", proof)]).await;
        assert_eq!(r.status(), 409, "Eve has no two-factor to turn off");
    }
    // Eve's workspace requiring two-factor is Eve's workspace's rule, not Acme's.
    let mut s = app.store.settings().get(other.id).await.unwrap();
    s.require_two_factor = true;
    app.store.settings().save(other.id, &s).await.unwrap();
    assert!(
        !app.store
            .settings()
            .get(app.workspace_id)
            .await
            .unwrap()
            .require_two_factor
    );

    // Anonymous visitors are sent to sign in.
    let r = app
        .http
        .post(app.url("/account/two-factor/off"))
        .form(&[("proof", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/signin"));
    // A forged second-step cookie is no way in.
    let forged = format!(
        "advocate_2fa={}",
        advocate_core::token::sign(
            b"not the key",
            &format!("2fa:{}", ana.id),
            Utc::now().timestamp() + 60
        )
    );
    let r = code_step(&app, &forged, &code, false).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/signin?"));

    let state = app.store.two_factor().state(ana.id).await.unwrap().unwrap();
    assert!(state.is_on(), "Ana's two-factor is untouched");
    assert_eq!(state.recovery_codes_left, 1);
}

#[tokio::test]
async fn accepting_an_invitation_asks_for_the_code_too() {
    let app = TestApp::spawn().await;
    let ana = app
        .store
        .users()
        .by_email(ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let secret = turned_on(&app, ana.id).await;
    let other = app
        .store
        .workspaces()
        .create("globex", "Globex", &Language::english())
        .await
        .unwrap();
    let (_, globex_key) = app.store.api_keys().create(other.id, "k").await.unwrap();
    let r = app
        .http
        .post(app.url("/api/v1/members"))
        .bearer_auth(&globex_key)
        .json(&json!({"email": ADMIN_EMAIL, "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let invitation = crate::common::mailbox(&app.store)
        .await
        .iter()
        .filter(|m| m.to == ADMIN_EMAIL)
        .map(crate::common::link_path)
        .find(|path| path.starts_with("/invite/"))
        .expect("the invitation");

    // The password joins Globex, but the session waits for the code.
    let r = app
        .http
        .post(app.url(&invitation))
        .form(&[("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/signin/code?next=%2Fdashboard");
    assert_eq!(cookie_named(&r, "advocate_session"), None);
    let pending = cookie_named(&r, "advocate_2fa").expect("the second-step cookie");
    let Some(code) = pyotp(&secret, 30) else {
        return;
    };
    let form = [("code", code.as_str()), ("next", "/dashboard")];
    let r = app
        .http
        .post(app.url("/signin/code"))
        .header(COOKIE, &pending)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/dashboard");
    assert!(cookie_named(&r, "advocate_session").is_some());
}
