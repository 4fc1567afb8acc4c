//! `advocate`: the one binary. Serves the product, loads the demo, imports, reports.

mod backup;
mod bootstrap;
mod comments_table;
mod config;
mod demo;
mod demo_data;
mod doctor;
mod import;
mod import_business;
mod import_customers;
mod kpis_table;
mod mail;
mod memory;
mod nps_table;
mod options;
mod privacy;
mod themes_table;

use anyhow::Result;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use options::{DbArgs, ServeArgs};
use std::io::IsTerminal;

#[derive(Parser)]
#[command(
    name = "advocate",
    version,
    about = "Net Promoter Score and closed-loop customer feedback"
)]
struct Cli {
    /// The configuration file (TOML, keys named as the long flags); defaults to
    /// advocate.toml in the data folder when there is one. Flags and ADVOCATE_* variables
    /// win over it.
    #[arg(long, env = config::CONFIG_ENV, value_name = "PATH", global = true)]
    config: Option<std::path::PathBuf>,
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
    /// The configuration: `config check` validates it, `config show` prints every
    /// setting with where it came from (flag, env, file, default), secrets masked.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
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
enum ConfigCommand {
    /// Check every setting as serve does before it starts; exits 1 when one is wrong.
    Check(ServeArgs),
    /// Print every setting (as advocate.toml) with where its value came from.
    Show(ServeArgs),
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
    /// Turn off a person's two-factor sign-in (they lost their phone and their recovery
    /// codes); they sign in with their password and can set it up again.
    TwoFactorOff {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
    },
}

/// The command line as clap defines it (globals propagated to every subcommand).
fn cli_command() -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    cmd
}

/// A failure is told in one line with its causes ("cannot back up to X: X already
/// exists; …") and exit code 1 — never as a backtrace, whatever `RUST_BACKTRACE` says.
fn main() -> std::process::ExitCode {
    match start() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn start() -> Result<()> {
    // The configuration file and `*_FILE` secrets become variables before clap parses,
    // and before the runtime starts any thread.
    let argv: Vec<_> = std::env::args_os().collect();
    let loaded = config::load(&cli_command(), &argv)?;
    let matches = cli_command()
        .try_get_matches_from(&argv)
        .unwrap_or_else(|e| {
            if let Some(line) = loaded.blame(&e) {
                eprintln!("{line}");
            }
            e.exit()
        });
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    init_logs(cli.log_format);
    if let Some(path) = &loaded.path {
        tracing::info!(file = %path.display(), "configuration file read");
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(cli, &loaded, &matches))
}

async fn run(cli: Cli, loaded: &config::Loaded, matches: &clap::ArgMatches) -> Result<()> {
    match cli.command {
        Command::Config {
            command: ConfigCommand::Check(args),
        } => {
            let problems = bootstrap::configuration_problems(&args);
            if !problems.is_empty() {
                anyhow::bail!("the configuration is not valid:\n{}", problems.join("\n"));
            }
            match &loaded.path {
                Some(path) => println!("configuration ok (from {})", path.display()),
                None => println!("configuration ok (no configuration file)"),
            }
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Show(_),
        } => {
            let cmd = cli_command();
            let show = ["config", "show"];
            let (cmd, matches) = show.iter().fold((&cmd, matches), |(c, m), name| {
                (
                    c.find_subcommand(name).expect("defined above"),
                    m.subcommand_matches(name).expect("parsed above"),
                )
            });
            print!("{}", loaded.show(cmd, matches));
            Ok(())
        }
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
        Command::User {
            command: UserCommand::TwoFactorOff { db, email },
        } => {
            let store = db.open().await?;
            bootstrap::two_factor_off(&store, &email).await
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
