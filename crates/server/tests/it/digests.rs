//! Digests and staff language against real peers: digests reach a real SMTP server
//! (aiosmtpd) at each member's local hour, which the test chooses by calling
//! `send_due_digests` with the times it wants; staff emails come in the recipient's
//! language; one-click unsubscribe; two instances send one digest.

use crate::common::peers::{decoded_body, eventually, free_port, header, SmtpServer};
use crate::common::{csrf_of, mailbox, problem, TestApp};
use advocate_core::staff::{DigestFrequency, Tz};
use advocate_core::Role;
use advocate_server::auth::hash_password;
use advocate_server::worker::digests::send_due_digests;
use advocate_server::worker::{self, DeliveryConfig, SmtpSettings};
use advocate_store::delivery::outbox::EmailMessage;
use advocate_store::digests::DigestSettings;
use advocate_store::testing::TestDb;
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};
use reqwest::header::COOKIE;
use serde_json::{json, Value};

const PASSWORD: &str = "a long enough password";

/// A member with a language, a time zone and a digest; returns their user id.
async fn member(
    app: &TestApp,
    email: &str,
    role: Role,
    (language, zone): (&str, &str),
    digest: DigestFrequency,
) -> i64 {
    let user = app
        .store
        .users()
        .create_member(app.workspace_id, email, &hash_password(PASSWORD), role)
        .await
        .unwrap();
    app.store
        .users()
        .set_preferences(user.id, Some(language), Some(zone))
        .await
        .unwrap();
    app.store
        .digests()
        .set(
            user.id,
            app.workspace_id,
            DigestSettings {
                frequency: digest,
                hour: 8,
            },
        )
        .await
        .unwrap();
    user.id
}

/// The first `hour`:00 in `tz` after `after` (on a Monday when `monday`).
fn next_local(tz: Tz, hour: u32, after: DateTime<Utc>, monday: bool) -> DateTime<Utc> {
    let mut date = after.with_timezone(&tz).date_naive();
    for _ in 0..10 {
        if !monday || date.weekday() == Weekday::Mon {
            let local = date.and_hms_opt(hour, 0, 0).unwrap();
            let at = tz
                .from_local_datetime(&local)
                .earliest()
                .unwrap()
                .with_timezone(&Utc);
            if at > after {
                return at;
            }
        }
        date = date.succ_opt().unwrap();
    }
    unreachable!("a Monday comes within ten days")
}

fn is_digest(m: &EmailMessage) -> bool {
    m.unsubscribe_url
        .as_deref()
        .is_some_and(|u| u.contains("/digest/unsubscribe/"))
}

/// Digests queued since the last call, claimed as delivery would claim them.
async fn digests(app: &TestApp) -> Vec<EmailMessage> {
    mailbox(&app.store)
        .await
        .into_iter()
        .filter(is_digest)
        .collect()
}

async fn sends(app: &TestApp, at: DateTime<Utc>) -> usize {
    send_due_digests(&app.store, at).await.unwrap()
}

async fn detractor(app: &TestApp, who: &str, manager: &str, comment: &str) {
    let r = app
        .answer(json!({"survey": "rel", "score": 2, "comment": comment,
            "customer": {"external_id": who, "name": format!("Customer {who}"), "account_manager": manager}}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

async fn a_daily_digest_comes_at_the_local_hour_once_a_day(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    member(
        &app,
        "kari@example.com",
        Role::Manager,
        ("nb", "Europe/Oslo"),
        DigestFrequency::Daily,
    )
    .await;
    let eight = next_local(Tz::Europe__Oslo, 8, Utc::now(), false);
    assert_eq!(sends(&app, eight - Duration::minutes(1)).await, 0, "07:59");
    assert_eq!(sends(&app, eight).await, 1, "08:00");
    assert_eq!(sends(&app, eight + Duration::hours(10)).await, 0, "18:00");
    assert_eq!(
        sends(&app, eight + Duration::days(1)).await,
        1,
        "08:00 the next day"
    );
    let queued = digests(&app).await;
    assert_eq!(queued.len(), 2);
    assert!(queued.iter().all(|m| m.to == "kari@example.com"));
    assert!(
        queued[0].subject.contains("daglige"),
        "{}",
        queued[0].subject
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_digest_comes_at_the_local_hour_once_a_day_on_every_backend() {
    for db in TestDb::all().await {
        a_daily_digest_comes_at_the_local_hour_once_a_day(db).await;
    }
}

#[tokio::test]
async fn a_weekly_digest_comes_on_monday_mornings_in_new_york() {
    let app = TestApp::spawn().await;
    member(
        &app,
        "nils@example.com",
        Role::Agent,
        ("en", "America/New_York"),
        DigestFrequency::Weekly,
    )
    .await;
    let monday = next_local(Tz::America__New_York, 8, Utc::now(), true);
    // 08:00 in New York is 13:00 UTC (12:00 in summer): never Oslo's or UTC's hour.
    assert!(matches!(
        monday.format("%H").to_string().as_str(),
        "12" | "13"
    ));
    assert_eq!(sends(&app, monday - Duration::minutes(1)).await, 0);
    assert_eq!(sends(&app, monday).await, 1);
    assert_eq!(sends(&app, monday + Duration::hours(3)).await, 0);
    assert_eq!(sends(&app, monday + Duration::days(1)).await, 0, "Tuesday");
    assert_eq!(sends(&app, monday + Duration::days(7)).await, 1);
    let queued = digests(&app).await;
    assert_eq!(queued.len(), 2);
    assert!(
        queued[0].subject.contains("weekly"),
        "{}",
        queued[0].subject
    );
}

/// Sends the outbox to aiosmtpd (only the delivery loop: the test drives the digests).
fn deliver_to(app: &TestApp, port: u16) -> tokio::sync::watch::Sender<bool> {
    let config = DeliveryConfig {
        smtp: Some(SmtpSettings::parse(&format!("smtp://127.0.0.1:{port}")).unwrap()),
        poll_interval: std::time::Duration::from_millis(50),
        ..DeliveryConfig::default()
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(worker::delivery::run(app.store.clone(), config, stopped));
    stop
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digests_reach_smtp_in_each_language_with_only_an_agents_own_cases() {
    let port = free_port();
    let maildir = std::env::temp_dir().join(format!("advocate-mail-{port}"));
    let Some(smtp) = SmtpServer::start(port, &maildir).await else {
        return;
    };
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    member(
        &app,
        "kari@example.com",
        Role::Manager,
        ("nb", "Europe/Oslo"),
        DigestFrequency::Daily,
    )
    .await;
    member(
        &app,
        "agent@example.com",
        Role::Agent,
        ("en", "UTC"),
        DigestFrequency::Daily,
    )
    .await;
    detractor(&app, "MINE", "agent@example.com", "Slow <delivery> & rude").await;
    detractor(&app, "THEIRS", "other@example.com", "Never again").await;
    let r = app
        .answer(json!({"survey": "rel", "score": 10,
            "customer": {"external_id": "FAN", "name": "Customer FAN", "account_manager": "other@example.com"}}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    // 08:00 UTC is 09:00 in Oslo: both are due.
    let at = next_local(Tz::UTC, 8, Utc::now(), false);
    let stop = deliver_to(&app, port);
    assert_eq!(sends(&app, at).await, 2);
    let digest_to = |to: &'static str| {
        let smtp = &smtp;
        async move {
            eventually(&format!("the digest to {to}"), || async {
                smtp.messages().into_iter().find(|m| {
                    header(m, "To").is_some_and(|t| t.contains(to))
                        && header(m, "List-Unsubscribe").is_some()
                })
            })
            .await
        }
    };

    let kari = digest_to("kari@example.com").await;
    assert_eq!(
        header(&kari, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let head: String = kari.lines().take_while(|l| !l.is_empty()).collect();
    assert!(head.contains("/digest/unsubscribe/"), "{head}");
    assert!(kari.contains("multipart/alternative"), "{kari}");
    assert!(kari.contains("text/plain") && kari.contains("text/html"));
    let body = decoded_body(&kari);
    for words in [
        "Åpne saker: 2",
        "Nye kritikere: 2",
        "Svarprosent",
        "Meld deg av",
        "Customer THEIRS",
    ] {
        if words == "Svarprosent" {
            assert!(!body.contains(words), "no invitations, no response rate");
            continue;
        }
        assert!(body.contains(words), "{words} in {body}");
    }
    assert!(
        body.contains("Slow &lt;delivery&gt; &amp; rude"),
        "escaped in HTML"
    );
    assert!(
        body.contains("Slow <delivery> & rude"),
        "as written in text"
    );

    let agent = decoded_body(&digest_to("agent@example.com").await);
    assert!(agent.contains("Your open cases: 1"), "{agent}");
    assert!(agent.contains("Customer MINE"), "{agent}");
    assert!(!agent.contains("Customer THEIRS"), "{agent}");
    assert!(agent.contains("New detractors: 1"), "{agent}");
    let _ = stop.send(true);
}

#[tokio::test]
async fn one_click_unsubscribe_turns_the_digest_off_and_a_forged_link_changes_nothing() {
    let app = TestApp::spawn().await;
    let kari = member(
        &app,
        "kari@example.com",
        Role::Viewer,
        ("nb", "Europe/Oslo"),
        DigestFrequency::Daily,
    )
    .await;
    assert_eq!(
        sends(&app, next_local(Tz::Europe__Oslo, 8, Utc::now(), false)).await,
        1
    );
    let mail = digests(&app).await.pop().unwrap();
    let url = mail.unsubscribe_url.unwrap();
    assert!(mail.text.contains(&url), "the link is in the text too");
    let (store, workspace_id) = (app.store.clone(), app.workspace_id);
    let frequency = |_: &TestApp| {
        let store = store.clone();
        async move {
            store
                .digests()
                .settings(kari, workspace_id)
                .await
                .unwrap()
                .frequency
        }
    };

    // Opening the link (as a mail scanner does) changes nothing.
    let page = app.http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<button") && html.contains("kari@example.com"),
        "{html}"
    );
    assert_eq!(frequency(&app).await, DigestFrequency::Daily);

    // A forged or altered token is refused and changes nothing.
    let (body, sig) = url.rsplit_once('.').unwrap();
    for forged in [
        format!("{body}.AAAA{sig}"),
        format!("{}/digest/unsubscribe/nonsense", app.base),
    ] {
        let r = app
            .http
            .post(&forged)
            .form(&[("List-Unsubscribe", "One-Click")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{forged}");
        assert!(r.text().await.unwrap().contains("not valid"));
    }
    assert_eq!(frequency(&app).await, DigestFrequency::Daily);

    // The RFC 8058 one-click POST turns it off, without signing in; again is harmless.
    for _ in 0..2 {
        let r = app
            .http
            .post(&url)
            .form(&[("List-Unsubscribe", "One-Click")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(frequency(&app).await, DigestFrequency::Off);
    assert_eq!(
        sends(
            &app,
            next_local(Tz::Europe__Oslo, 8, Utc::now(), false) + Duration::days(1)
        )
        .await,
        0
    );
}

async fn two_instances_send_one_digest(db: TestDb) {
    let app = TestApp::spawn_on(db).await;
    member(
        &app,
        "kari@example.com",
        Role::Admin,
        ("de", "Europe/Berlin"),
        DigestFrequency::Daily,
    )
    .await;
    let at = next_local(Tz::Europe__Berlin, 8, Utc::now(), false);
    // A second instance: its own connections to the same database.
    let other = advocate_store::Store::connect(app.db_url()).await.unwrap();
    let (a, b) = tokio::join!(
        send_due_digests(&app.store, at),
        send_due_digests(&other, at + Duration::seconds(1))
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(digests(&app).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_send_one_digest_on_every_backend() {
    for db in TestDb::all().await {
        two_instances_send_one_digest(db).await;
    }
}

#[tokio::test]
async fn staff_emails_come_in_the_recipients_language() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    member(
        &app,
        "kari@example.com",
        Role::Agent,
        ("nb", "Europe/Oslo"),
        DigestFrequency::Off,
    )
    .await;

    // A password reset, asked for on the public page.
    let r = app
        .http
        .post(app.url("/password-reset"))
        .form(&[("email", "kari@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // An invitation to someone new, in the language the inviter chose.
    let r = app
        .post_json(
            "/api/v1/members",
            &json!({"email": "jonas@example.com", "role": "viewer", "language": "de"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    // A detractor alert to kari, who manages the customer.
    detractor(&app, "C1", "kari@example.com", "Too slow").await;
    let mail = mailbox(&app.store).await;
    let subject_to = |to: &str, starts: &str| {
        mail.iter()
            .find(|m| m.to == to && m.subject.starts_with(starts))
            .unwrap_or_else(|| panic!("{starts}… to {to} in {mail:?}"))
    };
    let reset = subject_to("kari@example.com", "Tilbakestill passordet");
    assert!(reset.text.contains("/password-reset/"), "{}", reset.text);
    assert!(reset.html.contains("lang=\"nb\""));
    let invite = subject_to("jonas@example.com", "Einladung zu Acme");
    assert!(
        invite.text.contains("Wählen Sie hier Ihr Passwort"),
        "{}",
        invite.text
    );
    subject_to("kari@example.com", "Kritiker (2)");
    // A bad language on the invite form is refused, and nothing is sent.
    let r = app
        .post_json(
            "/api/v1/members",
            &json!({"email": "eve@example.com", "role": "viewer", "language": "xx"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(problem(r).await.contains("language"));
    assert!(mailbox(&app.store).await.is_empty());
}

#[tokio::test]
async fn preferences_and_digest_through_the_api_and_the_account_page() {
    let app = TestApp::spawn().await;
    let kari = member(
        &app,
        "kari@example.com",
        Role::Agent,
        ("en", "UTC"),
        DigestFrequency::Off,
    )
    .await;
    let path = format!("/api/v1/members/{kari}/preferences");
    let patch = |body: Value| {
        let req = app
            .http
            .patch(app.url(&path))
            .bearer_auth(&app.key)
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    let r = patch(json!({"language": "xx"})).await;
    assert_eq!(r.status(), 400);
    assert!(problem(r).await.contains("language"));
    let r = patch(json!({"language": "nb", "time_zone": "Mars/Base"})).await;
    assert_eq!(r.status(), 400);
    assert!(problem(r).await.contains("time_zone"));
    let now: Value = app.get(&path).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (now["language"].as_str(), now["time_zone"].as_str()),
        (Some("en"), Some("UTC")),
        "nothing changed"
    );
    // PATCH changes only what it names.
    let r = patch(json!({"time_zone": "America/New_York"})).await;
    assert_eq!(r.status(), 200);
    let r = patch(json!({"language": "fi"})).await;
    let after: Value = r.json().await.unwrap();
    assert_eq!(
        (after["language"].as_str(), after["time_zone"].as_str()),
        (Some("fi"), Some("America/New_York"))
    );

    let digest = format!("/api/v1/members/{kari}/digest");
    let put = |body: Value| {
        let req = app
            .http
            .put(app.url(&digest))
            .bearer_auth(&app.key)
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    assert_eq!(
        put(json!({"digest": "weekly", "hour": 24})).await.status(),
        422
    );
    assert_eq!(
        put(json!({"digest": "hourly", "hour": 7})).await.status(),
        422
    );
    let r = put(json!({"digest": "weekly", "hour": 7})).await;
    assert_eq!(r.status(), 200);
    let got: Value = app.get(&digest).send().await.unwrap().json().await.unwrap();
    assert_eq!(got, json!({"digest": "weekly", "hour": 7}));
    // Another workspace's member is not found.
    assert_eq!(
        app.get("/api/v1/members/999999/digest")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // The admin's own account page: labelled fields, CSRF, saved.
    let cookie = app.sign_in().await;
    let html = app
        .http
        .get(app.url("/account"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for id in [
        "account-language",
        "account-time-zone",
        "account-digest",
        "account-digest-hour",
    ] {
        assert!(html.contains(&format!("<label for=\"{id}\"")), "{id}");
    }
    let csrf = csrf_of(&html);
    let post = |path: &'static str, fields: Vec<(&'static str, &'static str)>| {
        let req = app
            .http
            .post(app.url(path))
            .header(COOKIE, &cookie)
            .form(&[fields, vec![("csrf", csrf.as_str())]].concat());
        async move { req.send().await.unwrap() }
    };
    let r = post(
        "/account/preferences",
        vec![("language", "sv"), ("time_zone", "Nowhere/Land")],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("time_zone"));
    let r = post(
        "/account/preferences",
        vec![("language", "sv"), ("time_zone", "Europe/Stockholm")],
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = post("/account/digest", vec![("digest", "daily"), ("hour", "6")]).await;
    assert_eq!(r.status(), 200);
    let admin = app
        .store
        .users()
        .by_email(crate::common::ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let prefs = app.store.users().preferences(admin.id).await.unwrap();
    assert_eq!(
        (prefs.language.as_str(), prefs.time_zone.as_str()),
        ("sv", "Europe/Stockholm")
    );
    let settings = app
        .store
        .digests()
        .settings(admin.id, app.workspace_id)
        .await
        .unwrap();
    assert_eq!(
        (settings.frequency, settings.hour),
        (DigestFrequency::Daily, 6)
    );
}

/// `count` answers to "rel" scored `score` saying `comment`, at `when` (now if `None`).
async fn saying(
    app: &TestApp,
    count: usize,
    score: u8,
    comment: &str,
    when: Option<DateTime<Utc>>,
) {
    for _ in 0..count {
        let mut body =
            json!({"survey": "rel", "score": score, "comment": comment, "language": "en"});
        if let Some(when) = when {
            body["answered_at"] = json!(when.to_rfc3339());
        }
        let r = app.answer(body).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
}

#[tokio::test]
async fn a_digest_tells_the_top_and_rising_themes_to_those_who_see_all_answers() {
    let app = TestApp::spawn().await;
    app.survey("rel", None).await;
    for (email, role, language) in [
        ("boss@example.com", Role::Admin, "en"),
        ("kari@example.com", Role::Manager, "nb"),
        ("agent@example.com", Role::Agent, "en"),
        ("viewer@example.com", Role::Viewer, "en"),
    ] {
        member(&app, email, role, (language, "UTC"), DigestFrequency::Daily).await;
    }
    let at = next_local(Tz::UTC, 8, Utc::now(), false);
    let of = |mail: &[EmailMessage], to: &str| {
        mail.iter()
            .find(|m| m.to == to)
            .unwrap_or_else(|| panic!("a digest to {to} in {mail:?}"))
            .clone()
    };
    // Nobody has commented yet: no theme section for anyone.
    assert_eq!(sends(&app, at - Duration::days(1)).await, 4);
    let quiet = digests(&app).await;
    for to in ["boss@example.com", "kari@example.com"] {
        let m = of(&quiet, to);
        for words in [
            "Top themes",
            "Rising themes",
            "påvirker NPS",
            "Temaer på vei opp",
        ] {
            assert!(
                !m.text.contains(words) && !m.html.contains(words),
                "{to}: {}",
                m.text
            );
        }
    }

    // The day before: 2 of 40 commenters mention delivery. This day: 30 of 60 do (scored
    // low), and 30 praise the staff: both ranked by impact, and delivery is rising.
    let before = Some(at - Duration::hours(36));
    saying(&app, 2, 3, "The delivery was late.", before).await;
    saying(&app, 38, 8, "Fine.", before).await;
    saying(&app, 30, 3, "The delivery was late.", None).await;
    saying(&app, 30, 10, "Friendly staff.", None).await;
    assert_eq!(sends(&app, at).await, 4);
    let mail = digests(&app).await;
    let period = format!(
        "from={}&to={}",
        (at - Duration::days(1)).date_naive(),
        at.date_naive()
    );
    let boss = of(&mail, "boss@example.com");
    let delivery = format!("/comments?theme=delivery&{period}");
    for words in [
        "Top themes by impact on NPS:",
        "Delivery and shipping: 30 mentions, impact -",
        "Staff friendliness: 30 mentions, impact +",
        "Rising themes",
        "Delivery and shipping: 5 % → 50 % of comments",
        delivery.as_str(),
    ] {
        assert!(boss.text.contains(words), "{words} in {}", boss.text);
    }
    assert!(
        boss.html.contains(&delivery.replace('&', "&amp;")),
        "{}",
        boss.html
    );
    assert!(
        boss.html.contains("5 % → 50 % of comments</a>"),
        "{}",
        boss.html
    );
    let kari = of(&mail, "kari@example.com");
    for words in [
        "Temaene som påvirker NPS mest:",
        "Levering og frakt: 30 omtaler",
        "Temaer på vei opp",
        "Levering og frakt: 5 % → 50 % av kommentarene",
    ] {
        assert!(kari.text.contains(words), "{words} in {}", kari.text);
        assert!(kari.html.contains(words), "{words} in {}", kari.html);
    }
    // An agent sees only their own cases: no themes.
    let agent = of(&mail, "agent@example.com");
    assert!(
        !agent.text.contains("themes") && !agent.text.contains("Delivery"),
        "{}",
        agent.text
    );
    // A viewer has no comment explorer: the themes link to the dashboard.
    let viewer = of(&mail, "viewer@example.com");
    assert!(
        viewer.text.contains("Delivery and shipping: 30 mentions"),
        "{}",
        viewer.text
    );
    assert!(!viewer.text.contains("/comments?"), "{}", viewer.text);
}
