//! Starting the server, and what a first run on an empty database sets up.

use crate::options::ServeArgs;
use advocate_core::{Label, Language, SurveyKind};
use advocate_server::auth::hash_password;
use advocate_server::connections::ConnectionLimits;
use advocate_server::Config;
use advocate_store::models::NewSurvey;
use advocate_store::{Store, StoreError};
use anyhow::{bail, Context, Result};
use tokio::net::TcpListener;

/// Serves until Ctrl-C or SIGTERM, creating a first workspace and admin on an empty database.
pub async fn serve(args: ServeArgs) -> Result<()> {
    // Refuse a bad configuration before touching the database.
    args.allowed_hosts()?;
    args.metrics()?;
    args.trusted_proxies()?;
    delivery_config(&args)?;
    args.backup_schedule()?;
    let store = args.db.open().await?;
    if store.workspaces().list().await?.is_empty() {
        first_run(&store, &args.workspace_name).await?;
    }
    run(store, &args).await
}

/// Binds, prints the address (tests and scripts read the `listening on` line) and serves.
pub async fn run(store: Store, args: &ServeArgs) -> Result<()> {
    let mut connections = ConnectionLimits {
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout),
        ..ConnectionLimits::default()
    };
    if let Some(max) = args.max_connections {
        connections.max_connections = max as usize;
    }
    let (metrics, metrics_listener) = args.metrics()?;
    let config = Config {
        secure_cookies: args.secure_cookies,
        connections,
        allowed_hosts: args.allowed_hosts()?,
        trust_proxy: args.trusted_proxies()?,
        reply_route: args.reply_route()?,
        metrics,
        ..Config::default()
    };
    let store = store.with_public_url(&args.public_url());
    let delivery = delivery_config(args)?;
    let mailbox = args.mailbox()?;
    let state = advocate_server::state(store.clone(), config.clone()).await?;
    crate::memory::keep_releasing_freed();
    let listener = TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let addr = listener.local_addr()?;
    let metrics_server = match metrics_listener {
        Some((bind, access)) => {
            let listener = TcpListener::bind(bind)
                .await
                .with_context(|| format!("cannot listen on {bind} (--metrics-bind)"))?;
            println!("Metrics on http://{}/metrics", listener.local_addr()?);
            let serving = advocate_server::serve_metrics(
                listener,
                state.clone(),
                access,
                std::future::pending(),
            );
            Some(tokio::spawn(serving))
        }
        None => None,
    };
    println!("Advocate listening on http://{addr}");
    if !config.allowed_hosts.is_empty() {
        println!(
            "Webhooks and Slack messages may also go to: {} (--allow-webhook-hosts).",
            config.allowed_hosts
        );
    }
    if !config.trust_proxy.is_empty() {
        println!(
            "Client addresses come from X-Forwarded-For on connections from: {} (--trust-proxy).",
            config.trust_proxy
        );
    }
    if delivery.as_ref().is_some_and(|d| d.smtp.is_none()) {
        println!("No SMTP server configured (--smtp-url): emails wait in the outbox.");
    }
    if delivery.as_ref().is_some_and(|d| d.sms.is_none()) {
        println!("No SMS provider configured (--sms-url): text messages wait in the outbox.");
    }
    let backups = args.backup_schedule()?.map(|schedule| {
        println!(
            "Backing up to {} every {}, keeping the newest {} (--backup-dir).",
            schedule.dir.display(),
            crate::options::show_every(schedule.every),
            schedule.keep
        );
        advocate_server::worker::backups::spawn(store.clone(), schedule)
    });
    let mut workers = delivery.map(|d| advocate_server::worker::start(store.clone(), d));
    match (&mut workers, mailbox) {
        (Some(w), Some(m)) => {
            println!(
                "Reading replies from the mailbox {} (--imap-url).",
                m.settings
            );
            w.read_mailbox(store.clone(), state.reply_key.clone(), m);
        }
        (None, Some(_)) => println!("--no-workers: the reply mailbox is read by another instance."),
        _ => {}
    }
    advocate_server::serve(listener, state, shutdown_signal()).await?;
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }
    if let Some(workers) = workers {
        workers.shutdown().await;
    }
    // A backup cut short removes its partial file; the finished ones stay.
    if let Some(backups) = backups {
        backups.abort();
        let _ = backups.await;
    }
    store.close().await;
    Ok(())
}

/// Every setting `serve` checks before it starts, one message each (naming the flag and
/// variable); `doctor` and `config check` report them.
pub fn configuration_problems(args: &ServeArgs) -> Vec<String> {
    [
        args.allowed_hosts().err(),
        args.trusted_proxies().err(),
        args.reply_route().err(),
        args.mailbox().err(),
        args.metrics().err(),
        delivery_config(args).err(),
    ]
    .into_iter()
    .flatten()
    .map(|e| e.to_string())
    .collect()
}

/// The outbox workers' settings, checked before anything starts; `None` with
/// `--no-workers`.
pub fn delivery_config(
    args: &ServeArgs,
) -> Result<Option<advocate_server::worker::DeliveryConfig>> {
    if args.no_workers {
        return Ok(None);
    }
    let smtp = args
        .smtp_url
        .as_deref()
        .map(advocate_server::worker::SmtpSettings::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--smtp-url / ADVOCATE_SMTP_URL: {e}"))?;
    let sms = args
        .sms_url
        .as_deref()
        .map(advocate_server::worker::SmsSettings::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--sms-url / ADVOCATE_SMS_URL: {e}"))?;
    Ok(Some(advocate_server::worker::DeliveryConfig {
        smtp,
        sms,
        allowed_hosts: args.allowed_hosts()?,
        ..Default::default()
    }))
}

/// The slug of the survey a fresh workspace starts with.
pub const FIRST_SURVEY: &str = "relationship";

/// A fresh database gets a workspace, its admin (the password is printed once), an API
/// key with every scope (printed once) and a relationship NPS survey, so that the first
/// invitation can be sent at once.
async fn first_run(store: &Store, name: &str) -> Result<()> {
    // Checked before anything is made: a bad name stops the first start with the reason.
    let name = advocate_store::tenancy::settings::check_workspace_name(name)
        .map_err(|e| anyhow::anyhow!("--workspace-name / ADVOCATE_WORKSPACE_NAME: {e}"))?;
    let workspace = store
        .workspaces()
        .create("default", name, &Language::english())
        .await?;
    let email = std::env::var("ADVOCATE_ADMIN_EMAIL").unwrap_or_else(|_| "admin@localhost".into());
    let password = std::env::var("ADVOCATE_ADMIN_PASSWORD").ok();
    println!(
        "First run: created workspace \"default\" named {:?} (rename it on the settings page, \
         with PATCH /api/v1/workspace or `advocate workspace rename`).",
        workspace.name
    );
    let generated = set_user(store, workspace.id, &email, password).await?;
    print_sign_in(&email, generated);
    let (_, key) = store.api_keys().create(workspace.id, "admin").await?;
    println!("API key: {key} (every scope; shown only now, create more on the Team page)");
    store
        .surveys()
        .create(
            workspace.id,
            &NewSurvey {
                slug: Label::new(FIRST_SURVEY).expect("a valid slug"),
                kind: SurveyKind::Nps,
                name: "Relationship NPS".into(),
                touchpoint: None,
                default_language: Language::english(),
                texts: Default::default(),
            },
        )
        .await?;
    println!("Survey {FIRST_SURVEY:?} (NPS) is ready for your first invitations.");
    Ok(())
}

/// Creates a user or sets a new password; returns the password when it was generated,
/// so the caller can show it once.
pub async fn set_user(
    store: &Store,
    workspace_id: i64,
    email: &str,
    password: Option<String>,
) -> Result<Option<String>> {
    let generated = password.is_none();
    let password = password.unwrap_or_else(random_password);
    if password.chars().count() < 8 {
        bail!("the password must be at least 8 characters");
    }
    let hash = hash_password(&password);
    match store.users().by_email(email).await? {
        Some(user) => store.users().set_password_hash(user.id, &hash).await?,
        None => match store.users().create(workspace_id, email, &hash).await {
            Ok(_) => {}
            Err(StoreError::Conflict(m)) => bail!(m),
            Err(e) => return Err(e.into()),
        },
    }
    Ok(generated.then_some(password))
}

/// Turns off a person's two-factor sign-in, for the system administrator of a person who
/// lost both their phone and their recovery codes; recorded in their audit trail.
pub async fn two_factor_off(store: &Store, email: &str) -> Result<()> {
    let Some(user) = store.users().by_email(email).await? else {
        bail!("no user has the email {email:?}");
    };
    if !store.two_factor().remove(user.id).await? {
        println!("{} has no two-factor sign-in; nothing changed.", user.email);
        return Ok(());
    }
    store
        .audit()
        .record_person(
            user.id,
            None,
            "cli",
            "two_factor.off",
            "two-factor sign-in turned off by the system administrator",
        )
        .await?;
    println!(
        "Two-factor sign-in is off for {}: they sign in with their password alone and can \
         set it up again on their account page.",
        user.email
    );
    Ok(())
}

/// Tells how to sign in, showing a generated password once.
pub fn print_sign_in(email: &str, generated: Option<String>) {
    match generated {
        Some(password) => println!("Sign in as {email} with password {password} (shown only now)."),
        None => println!("Sign in as {email} with the password you set."),
    }
}

fn random_password() -> String {
    use rand::distr::{Alphanumeric, SampleString};
    Alphanumeric.sample_string(&mut rand::rng(), 16)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
