//! `advocate`: the one binary. Serves the product, loads the demo, imports, reports.

mod backup;
mod bootstrap;
mod comments_table;
mod demo;
mod demo_data;
mod doctor;
mod import;
mod import_business;
mod import_customers;
mod kpis_table;
mod mail;
mod nps_table;
mod options;
mod privacy;
mod themes_table;

use anyhow::Result;
use clap::{Parser, Subcommand};
use options::{DbArgs, ServeArgs};
use std::io::IsTerminal;

#[derive(Parser)]
#[command(
    name = "advocate",
    version,
    about = "Net Promoter Score and closed-loop customer feedback"
)]
struct Cli {
    /// How log lines are written to standard error: text for people, or json (one object
    /// per line, with the request's id and workspace in `spans`) for a log collector.
    #[arg(
        long,
        env = "ADVOCATE_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run Advocate.
    Serve(ServeArgs),
    /// Run Advocate with a populated demo workspace (created on first run, then reused).
    Demo(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Write a verified backup of the SQLite database while Advocate runs.
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty data folder (never over a database).
    Restore(backup::RestoreArgs),
    /// Check the configuration, database, migrations, mail servers, disk space and clock
    /// (takes the same flags as serve); exits 1 when a check fails.
    Doctor(ServeArgs),
    /// Manage API keys.
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// The workspace: rename it.
    Workspace {
        #[command(subcommand)]
        command: WorkspaceCommand,
    },
    /// Manage users who sign in to the web app.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import data from files.
    Import {
        #[command(subcommand)]
        what: import::ImportCommand,
    },
    /// Print NPS with its interval, optionally broken down (as GET /api/v1/nps); `nps compare`
    /// compares two groups (as GET /api/v1/nps/compare).
    Nps(nps_table::NpsArgs),
    /// Print the retention KPIs with their definitions and linkage to NPS (as GET /api/v1/kpis).
    Kpis(kpis_table::KpisArgs),
    /// Inbound mail that names no workspace: list it, hand it to one.
    Mail {
        #[command(subcommand)]
        command: mail::MailCommand,
    },
    /// Search and filter comments (as GET /api/v1/comments), printed as a table.
    Comments(comments_table::CommentsArgs),
    /// Print what customers talk about: themes ranked by their impact on NPS (as GET
    /// /api/v1/themes/report); --edit records a taxonomy edit.
    Themes(themes_table::ThemesArgs),
    /// GDPR: export or erase one person, apply the answer retention policy.
    Privacy {
        #[command(subcommand)]
        command: privacy::PrivacyCommand,
    },
}

#[derive(Subcommand)]
enum ApikeyCommand {
    /// Create an API key; it is printed once and stored only as a hash.
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// A name to tell keys apart.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
enum WorkspaceCommand {
    /// Rename the workspace (emails say "A quick question from NAME").
    Rename {
        #[command(flatten)]
        db: DbArgs,
        /// The new name, 1–100 characters.
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user, or set a new password for an existing one.
    Set {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
        /// The password (at least 8 characters); a random one is generated and printed when left out.
        #[arg(long, env = "ADVOCATE_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    match cli.command {
        Command::Serve(args) => bootstrap::serve(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Migrate(db) => {
            db.open().await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::Backup(args) => backup::backup(args).await,
        Command::Restore(args) => backup::restore(args).await,
        Command::Doctor(args) => doctor::run(args).await,
        Command::Apikey {
            command: ApikeyCommand::Create { db, name },
        } => {
            let store = db.open().await?;
            let workspace = db.workspace(&store).await?;
            let (_, key) = store.api_keys().create(workspace.id, &name).await?;
            println!("API key: {key}");
            eprintln!(
                "Workspace {:?}. The key is shown only now; store it safely.",
                workspace.slug
            );
            Ok(())
        }
        Command::Workspace {
            command: WorkspaceCommand::Rename { db, name },
        } => {
            let store = db.open().await?;
            let workspace = db.workspace(&store).await?;
            let renamed = store.workspaces().rename(workspace.id, &name).await?;
            store
                .audit()
                .record(
                    workspace.id,
                    "cli",
                    "configuration.changed",
                    "workspace rename",
                    &format!("name: {:?} → {:?}", workspace.name, renamed.name),
                )
                .await?;
            println!(
                "Workspace {:?} renamed from {:?} to {:?}.",
                renamed.slug, workspace.name, renamed.name
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Set {
                    db,
                    email,
                    password,
                },
        } => {
            let store = db.open().await?;
            let workspace = db.workspace(&store).await?;
            let generated = bootstrap::set_user(&store, workspace.id, &email, password).await?;
            bootstrap::print_sign_in(&email, generated);
            Ok(())
        }
        Command::Import { what } => import::run(what).await,
        Command::Nps(args) => nps_table::run(args).await,
        Command::Kpis(args) => kpis_table::run(args).await,
        Command::Comments(args) => comments_table::run(args).await,
        Command::Themes(args) => themes_table::run(args).await,
        Command::Privacy { command } => privacy::run(command).await,
        Command::Mail { command } => mail::run(command).await,
    }
}

/// Logs to standard error at `RUST_LOG`'s levels (info by default). Every line inside a
/// request carries the request's span: its id, route and, once known, workspace.
fn init_logs(format: LogFormat) {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr);
    match format {
        // Colour codes are for people at a terminal, not for log files and collectors.
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().with_ansi(false).with_span_list(true).init(),
    }
}
