//! The `tradewind` command: runs the platform (`serve`, the default) and its maintenance
//! tasks (`audit verify`, `import hs`, `import locode`, `operator create`).

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use serde::Deserialize;
use std::path::PathBuf;
use tradewind_server::{AppState, ServerSettings};
use tradewind_store::{Actor, Store, redact_url};

#[derive(Parser)]
#[command(name = "tradewind", version, about = "A single window for cross-border trade")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    db: DbArgs,
}

/// Where the data lives. Precedence: flag, then environment, then config file, then default.
#[derive(Args, Clone, Default)]
struct DbArgs {
    /// Folder for the embedded SQLite database [default: ./data]
    #[arg(long, env = "TRADEWIND_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB [default: sqlite in the data folder]
    #[arg(long, env = "TRADEWIND_DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// TOML file with any of: bind, data_dir, database_url, secure_cookies, demo, log_format
    #[arg(long, env = "TRADEWIND_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Log lines as `text` or `json` [default: text]
    #[arg(long, env = "TRADEWIND_LOG_FORMAT", global = true)]
    log_format: Option<LogFormat>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform (the default when no command is given, with demo data).
    Serve(ServeArgs),
    /// Audit trail maintenance.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Load reference data from official files.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Platform operator accounts.
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
}

#[derive(Args, Default)]
struct ServeArgs {
    /// Address and port to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "TRADEWIND_BIND")]
    bind: Option<String>,
    /// Load the demo data set into an empty database and print its logins
    #[arg(long, env = "TRADEWIND_DEMO")]
    demo: Option<bool>,
    /// Mark session cookies Secure (serve behind HTTPS)
    #[arg(long, env = "TRADEWIND_SECURE_COOKIES")]
    secure_cookies: Option<bool>,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain and name the first entry that was altered, deleted or reordered.
    Verify,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// HS nomenclature from the CSV layout section,hscode,description,parent,level
    Hs { file: PathBuf },
    /// UN/LOCODE from the official UNECE CSV files (one or more)
    Locode { files: Vec<PathBuf> },
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Create an operator account; the password is read from TRADEWIND_OPERATOR_PASSWORD.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

/// The optional config file.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    secure_cookies: Option<bool>,
    demo: Option<bool>,
    log_format: Option<LogFormat>,
}

fn load_file_config(path: Option<&PathBuf>) -> Result<FileConfig> {
    match path {
        None => Ok(FileConfig::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading config file {}", p.display()))?;
            toml::from_str(&text).with_context(|| format!("parsing config file {}", p.display()))
        }
    }
}

async fn open_store(db: &DbArgs, file: &FileConfig) -> Result<Store> {
    let url = match db.database_url.clone().or_else(|| file.database_url.clone()) {
        Some(u) => u,
        None => {
            let dir = db.data_dir.clone().or_else(|| file.data_dir.clone()).unwrap_or_else(|| PathBuf::from("data"));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating data folder {}", dir.display()))?;
            format!("sqlite://{}", dir.join("tradewind.db").display())
        }
    };
    tracing::info!(database = %redact_url(&url), "opening database");
    Store::connect(&url).await.with_context(|| format!("opening database {}", redact_url(&url)))
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let file = load_file_config(cli.db.config.as_ref())?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    match cli.db.log_format.or(file.log_format).unwrap_or(LogFormat::Text) {
        LogFormat::Json => tracing_subscriber::fmt().json().with_env_filter(filter).init(),
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
    }
    match cli.command {
        // The quick start: serve with the demo data.
        None => {
            serve(&cli.db, &file, ServeArgs { demo: Some(file.demo.unwrap_or(true)), ..ServeArgs::default() }).await
        }
        Some(Command::Serve(args)) => serve(&cli.db, &file, args).await,
        Some(Command::Audit { command: AuditCommand::Verify }) => {
            let store = open_store(&cli.db, &file).await?;
            let report = store.verify_audit().await?;
            match report.fault {
                None => {
                    println!("audit trail intact: {} entries, head {}", report.entries_checked, report.head_hash);
                    Ok(())
                }
                Some(fault) => {
                    println!("audit trail BROKEN after {} good entries: {fault}", report.entries_checked);
                    std::process::exit(1);
                }
            }
        }
        Some(Command::Import { command }) => {
            let store = open_store(&cli.db, &file).await?;
            match command {
                ImportCommand::Hs { file } => {
                    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
                    let rows = tradewind_domain::reference::parse_hs_csv(&bytes)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                    let n = store.import_hs(&Actor::system(), &rows, &file.display().to_string()).await?;
                    println!("imported {n} HS codes from {}", file.display());
                }
                ImportCommand::Locode { files } => {
                    if files.is_empty() {
                        bail!("name at least one UN/LOCODE CSV file");
                    }
                    let mut total = 0;
                    for f in files {
                        let bytes = std::fs::read(&f).with_context(|| format!("reading {}", f.display()))?;
                        let rows = tradewind_domain::reference::parse_unlocode_csv(&bytes)
                            .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
                        total += store.import_locodes(&Actor::system(), &rows, &f.display().to_string()).await?;
                    }
                    println!("imported {total} UN/LOCODE locations");
                }
            }
            Ok(())
        }
        Some(Command::Operator { command: OperatorCommand::Create { email, name } }) => {
            let store = open_store(&cli.db, &file).await?;
            let password = std::env::var("TRADEWIND_OPERATOR_PASSWORD")
                .context("set TRADEWIND_OPERATOR_PASSWORD to the new operator's password")?;
            let mut errors = tradewind_domain::ValidationErrors::new();
            let email = tradewind_domain::organization::validate_email(&mut errors, "email", &email);
            tradewind_domain::organization::validate_password(&mut errors, "password", &password);
            let Some(email) = email.filter(|_| errors.is_empty()) else {
                bail!("{}", errors.0.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; "));
            };
            let password_hash =
                tradewind_server::auth::hash_password(password).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let user = store.create_operator(&tradewind_store::NewUser { email, name, password_hash }).await?;
            println!("operator {} created", user.email);
            Ok(())
        }
    }
}

async fn serve(db: &DbArgs, file: &FileConfig, args: ServeArgs) -> Result<()> {
    let bind = args.bind.or_else(|| file.bind.clone()).unwrap_or_else(|| "127.0.0.1:8080".into());
    let store = open_store(db, file).await?;
    tradewind_server::ensure_reference_data(&store).await.map_err(|e| anyhow::anyhow!(e))?;
    if args.demo.or(file.demo).unwrap_or(false) {
        let logins = tradewind_server::demo::seed(&store).await.map_err(|e| anyhow::anyhow!(e))?;
        println!("Demo logins (password '{}' for all):", tradewind_server::demo::DEMO_PASSWORD);
        for (email, what) in logins {
            println!("  {email:<36} {what}");
        }
    }
    let settings = ServerSettings {
        secure_cookies: args.secure_cookies.or(file.secure_cookies).unwrap_or(false),
        ..ServerSettings::default()
    };
    let state = AppState::new(store.clone(), settings).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let listener = tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("binding {bind}"))?;
    println!("tradewind is serving on http://{}", listener.local_addr()?);
    tradewind_server::serve(listener, state, shutdown_signal()).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM or Ctrl-C: stop accepting, finish in-flight requests, then exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}
