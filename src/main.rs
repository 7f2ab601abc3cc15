//! The `tradewind` command: runs the platform (`serve`, the default) and its maintenance
//! tasks (`audit verify`, `import hs`, `import locode`, `operator create`), and scores a
//! paperless-trade assessment from a file (`assess`) and customs arithmetic (`customs`:
//! tariff lines, landed cost, origin) without a database or a server.

mod bench_attest;
mod bench_customs;
mod bench_documents;
mod bench_matching;
mod bench_orders;
mod client;
mod customs_cmd;
mod doc;
mod verify_cmd;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::Arc;
use tradewind_domain::assessment::{Answers, AssessmentResult, FileFormat, Kind, Questionnaire};
use tradewind_server::{AppState, ServerSettings};
use tradewind_store::{Actor, Store, redact_url};

#[derive(Parser)]
#[command(name = "tradewind", version, about = "A single window for cross-border trade")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    db: DbArgs,
    /// With no command, tradewind serves (with demo data unless --demo false).
    #[command(flatten)]
    quick_start: ServeArgs,
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
    /// TOML file with any of: bind, data_dir, database_url, secure_cookies, demo, log_format,
    /// questionnaire, public_url, auto_release_days
    #[arg(long, env = "TRADEWIND_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Log lines as `text` or `json` [default: text]
    #[arg(long, env = "TRADEWIND_LOG_FORMAT", global = true)]
    log_format: Option<LogFormat>,
    /// Assessment questionnaire file, TOML or JSON (see docs/ASSESSMENT.md) [default: built-in]
    #[arg(long, env = "TRADEWIND_QUESTIONNAIRE", global = true)]
    questionnaire: Option<PathBuf>,
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
    /// Score a paperless-trade assessment from an answers file and print the result.
    Assess(AssessArgs),
    /// Rebuild the search index from the database (the source of truth).
    Reindex,
    /// Measure the platform's components against the peers' reference workloads.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// The escrow ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Outgoing webhooks.
    Webhooks {
        #[command(subcommand)]
        command: WebhooksCommand,
    },
    /// Work with a running tradewind server over its API: orders, payments, payouts.
    Client(client::ClientArgs),
    /// Trade documents from a facts file, offline: generate, render as PDF, validate an invoice.
    Doc(doc::DocArgs),
    /// Check a verifiable document (OpenAttestation v2 or W3C VC): intact, issuer, still valid.
    /// Exits 0 only when every check passes.
    Verify(verify_cmd::VerifyArgs),
    /// Hide fields of an OpenAttestation document before passing it on; it still verifies.
    Disclose(verify_cmd::DiscloseArgs),
    /// Customs offline: tariff lines, landed cost of a shipment, preferential origin.
    Customs(customs_cmd::CustomsArgs),
}

#[derive(Subcommand)]
enum WebhooksCommand {
    /// Hand waiting events to webhook deliveries and send every delivery due now, once; a
    /// running server does this by itself every few seconds.
    DeliverOnce,
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Replay every order's journal entries and report the trial balance per currency,
    /// accounts below zero, unbalanced entries and orders or payments that disagree with
    /// the ledger; exits non-zero on any fault.
    Check {
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Search index: indexing throughput, query latency with filters and facets, peak memory.
    Search(SearchBenchArgs),
    /// Matching: latency of ranking suppliers for a new RFQ against a synthetic catalogue.
    Matching(MatchingBenchArgs),
    /// Orders placed and funded per second over HTTP, latency per request, ledger postings per
    /// second; on a fresh SQLite file, or a fresh database on the PostgreSQL server given by
    /// --database-url.
    Orders(OrdersBenchArgs),
    /// Customs: landed-cost calculations per second on one thread, declarations processed end
    /// to end in process (batched commits) and through the HTTP API, on a fresh SQLite file or
    /// a fresh database on the PostgreSQL server given by --database-url.
    Customs(CustomsBenchArgs),
    /// Invoices per second as UBL, CII and PDF on 1 and 2 threads, and peak memory over a
    /// batch; with --peer-lines, ratios against the peers of the same run.
    Documents(DocumentsBenchArgs),
    /// OpenAttestation documents wrapped and signed, and verified, per second for batches of
    /// 1, 1,000 and 100,000 on 1 and 2 threads, with peak memory; with --peer-lines, ratios
    /// against the official library of the same run.
    Attest(AttestBenchArgs),
}

#[derive(Args)]
struct AttestBenchArgs {
    /// Batch sizes; each batch has one merkle root and one signature
    #[arg(long, value_delimiter = ',', default_value = "1,1000,100000")]
    batches: Vec<usize>,
    /// Thread counts, one measurement per count
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Documents wrapped one per batch for the batch size 1
    #[arg(long, default_value_t = 5000)]
    singles: usize,
    /// The peers' PEER lines (run.sh's run-*.peers file), to print ratios and targets
    #[arg(long)]
    peer_lines: Option<PathBuf>,
}

#[derive(Args)]
struct DocumentsBenchArgs {
    /// Documents per batch, per format and thread count
    #[arg(long, default_value_t = 10_000)]
    invoices: usize,
    /// Thread counts, one measurement per count; each thread produces its share
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Timed batches per measurement (the median is reported)
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Keep every document of a batch in memory until the batch ends (default: drop each)
    #[arg(long)]
    keep: bool,
    /// The peers' PEER lines (run.sh's run-*.peers file), to print ratios and targets
    #[arg(long)]
    peer_lines: Option<PathBuf>,
    /// One JSON object per line
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct OrdersBenchArgs {
    /// Concurrent clients, one run per count
    #[arg(long, value_delimiter = ',', default_value = "1,8,64")]
    clients: Vec<usize>,
    /// Seconds per client count
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Callbacks settled straight through the store per client count, for ledger postings
    /// per second (0 skips that measurement)
    #[arg(long, default_value_t = 1000)]
    ledger_postings: usize,
    /// One JSON object per line
    #[arg(long)]
    json: bool,
    /// Experiment only: SQLite `synchronous` for the bench's connections (full, normal)
    /// instead of the store's own setting
    #[arg(long)]
    sqlite_synchronous: Option<String>,
}

#[derive(Args)]
struct CustomsBenchArgs {
    /// Landed-cost calculations on one thread (0 skips)
    #[arg(long, default_value_t = 2_000_000)]
    landed_costs: usize,
    /// Declarations processed in process (0 skips)
    #[arg(long, default_value_t = 100_000)]
    declarations: usize,
    /// Declarations per transaction in process
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Declarations posted through the HTTP API (0 skips)
    #[arg(long, default_value_t = 10_000)]
    http_declarations: usize,
    /// Concurrent HTTP clients
    #[arg(long, default_value_t = 32)]
    clients: usize,
}

#[derive(Args)]
struct MatchingBenchArgs {
    /// Synthetic leads and products in the catalogue
    #[arg(long, default_value_t = 100_000)]
    docs: usize,
    /// RFQs to match
    #[arg(long, default_value_t = 1_000)]
    rfqs: usize,
    /// HS nomenclature CSV for realistic codes and words
    #[arg(long, default_value = "../shared/standards/hs-codes/harmonized-system.csv")]
    hs_file: PathBuf,
}

#[derive(Args)]
struct SearchBenchArgs {
    /// Synthetic leads and products to index, besides 50,000 companies
    #[arg(long, default_value_t = 100_000)]
    docs: usize,
    /// The peers' leads file (gen_leads.py): run their reference workload instead
    #[arg(long)]
    leads_file: Option<PathBuf>,
    /// Queries per pass on the synthetic corpus
    #[arg(long, default_value_t = 300)]
    queries: usize,
    /// Indexing threads
    #[arg(long, default_value_t = 1)]
    writer_threads: usize,
    /// HS nomenclature CSV for the synthetic corpus's product words
    #[arg(long, default_value = "../shared/standards/hs-codes/harmonized-system.csv")]
    hs_file: PathBuf,
    /// The peers' PEER lines (run.sh's .peers file), to print ratios
    #[arg(long)]
    peer_lines: Option<PathBuf>,
    /// Build the index here and keep it [default: a temporary folder, removed]
    #[arg(long)]
    index_dir: Option<PathBuf>,
}

#[derive(Args)]
struct AssessArgs {
    /// Answers, TOML or JSON: `[answers]` mapping question ids to levels (0 = the first)
    answers: PathBuf,
    /// Who is assessed [default: the file's `kind`, else company]
    #[arg(long)]
    kind: Option<Kind>,
    /// Also write the report, with its charts, to this PDF file
    #[arg(long)]
    pdf: Option<PathBuf>,
    /// Language of the texts: en or zh [default: en]
    #[arg(long, default_value = "en")]
    lang: String,
    /// Print the result as JSON instead of text
    #[arg(long)]
    json: bool,
}

/// An answers file for `tradewind assess`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswersFile {
    kind: Option<Kind>,
    /// Who is assessed, for the report's heading.
    subject: Option<String>,
    #[serde(default)]
    answers: Answers,
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
    /// The address this server is reached at (for the simulated bank's callbacks)
    /// [default: http:// and the bound address]
    #[arg(long, env = "TRADEWIND_PUBLIC_URL")]
    public_url: Option<String>,
    /// Days after shipping or delivery without a dispute before escrow releases itself [default: 14]
    #[arg(long, env = "TRADEWIND_AUTO_RELEASE_DAYS")]
    auto_release_days: Option<u32>,
    /// The secret the simulated bank signs its callbacks with; keep it across restarts so a
    /// callback signed before one still verifies after it [default: a new one per start]
    #[arg(long, env = "TRADEWIND_SIMULATED_BANK_SECRET", hide_env_values = true)]
    simulated_bank_secret: Option<String>,
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
    /// Exchange rates: the European Central Bank's eurofxref XML (.xml) or CSV (a Date
    /// header), or a plain `currency,rate` CSV against --base
    Fx {
        file: PathBuf,
        /// The base currency of a plain CSV (units of each currency per one of this)
        #[arg(long)]
        base: Option<String>,
        /// The date the plain CSV's rates are for [default: today]
        #[arg(long)]
        as_of: Option<String>,
    },
    /// A tariff schedule (tradewind-tariff/1 TOML), replacing the economy's built-in one; a
    /// running server applies it from its next start
    Tariff { file: PathBuf },
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
    questionnaire: Option<PathBuf>,
    public_url: Option<String>,
    auto_release_days: Option<u32>,
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

/// The questionnaire file given by flag, environment or config file, checked; else the
/// built-in one.
fn load_questionnaire(db: &DbArgs, file: &FileConfig) -> Result<Questionnaire> {
    let Some(path) = db.questionnaire.as_ref().or(file.questionnaire.as_ref()) else {
        return Ok(Questionnaire::builtin());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading questionnaire file {}", path.display()))?;
    Questionnaire::parse(&text, FileFormat::of_path(&path.to_string_lossy()))
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The data folder: flag, then environment, then config file, then `./data`.
fn data_dir(db: &DbArgs, file: &FileConfig) -> PathBuf {
    db.data_dir.clone().or_else(|| file.data_dir.clone()).unwrap_or_else(|| PathBuf::from("data"))
}

/// The on-disk search index in the data folder.
fn open_index(db: &DbArgs, file: &FileConfig) -> Result<tradewind_search::SearchIndex> {
    let dir = data_dir(db, file).join("search-index");
    tradewind_search::SearchIndex::open(&dir).with_context(|| format!("opening search index {}", dir.display()))
}

async fn open_store(db: &DbArgs, file: &FileConfig) -> Result<Store> {
    let url = match db.database_url.clone().or_else(|| file.database_url.clone()) {
        Some(u) => u,
        None => {
            let dir = data_dir(db, file);
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
    if let Some(Command::Assess(args)) = &cli.command {
        let questionnaire = load_questionnaire(&cli.db, &file)?;
        return assess(&questionnaire, args);
    }
    match cli.command {
        // The quick start: serve with the demo data.
        None => {
            let demo = cli.quick_start.demo.or(file.demo).unwrap_or(true);
            serve(&cli.db, &file, ServeArgs { demo: Some(demo), ..cli.quick_start }).await
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
                ImportCommand::Fx { file, base, as_of } => {
                    let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
                    let rates = if text.trim_start().starts_with('<') {
                        let source = format!("ECB reference rates ({})", file.display());
                        tradewind_domain::deal::fx::parse_ecb_xml(&text, &source)
                    } else if text.trim_start().to_ascii_lowercase().starts_with("date") {
                        let source = format!("ECB reference rates ({})", file.display());
                        tradewind_domain::marketplace::FxRates::parse_ecb_csv(&text, &source)
                    } else {
                        let Some(base) = base else {
                            bail!(
                                "{}: a plain currency,rate file needs --base (the currency the rates are against)",
                                file.display()
                            );
                        };
                        let base = base.parse().map_err(|e| anyhow::anyhow!("--base: {e}"))?;
                        let as_of = as_of.unwrap_or_else(|| time::OffsetDateTime::now_utc().date().to_string());
                        tradewind_domain::deal::fx::parse_plain_csv(&text, base, &as_of, &file.display().to_string())
                    }
                    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                    let n = store.import_fx(&Actor::system(), &rates).await?;
                    println!("imported {n} exchange rates of {} against {}", rates.as_of, rates.base);
                }
                ImportCommand::Tariff { file } => {
                    let (schedule, body) = match customs_cmd::read_tariff_file(&file) {
                        Ok(read) => read,
                        Err(e) => {
                            eprintln!("error: {e:#}");
                            std::process::exit(1);
                        }
                    };
                    let economy = schedule.economy();
                    store.import_tariff_schedule(&Actor::system(), economy.as_str(), schedule.edition(), &body).await?;
                    println!(
                        "imported the tariff schedule of {economy}: {} lines, edition {}",
                        schedule.lines().len(),
                        schedule.edition()
                    );
                }
            }
            Ok(())
        }
        Some(Command::Reindex) => {
            let store = open_store(&cli.db, &file).await?;
            let index = open_index(&cli.db, &file)?;
            let service = tradewind_server::search::SearchService::new(index);
            let n = service.reindex(&store).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("search index rebuilt: {n} documents");
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
        Some(Command::Bench { command: BenchCommand::Search(args) }) => {
            let options = tradewind_search::bench::BenchOptions {
                docs: args.docs,
                leads_file: args.leads_file,
                queries: args.queries,
                writer_threads: args.writer_threads,
                hs_file: args.hs_file,
                peer_lines: args.peer_lines,
                index_dir: args.index_dir,
            };
            tradewind_search::bench::run(&options, &mut std::io::stdout().lock()).map_err(|e| anyhow::anyhow!(e))
        }
        Some(Command::Bench { command: BenchCommand::Matching(args) }) => {
            bench_matching::run(args.docs, args.rfqs, &args.hs_file, &mut std::io::stdout().lock())
        }
        Some(Command::Bench { command: BenchCommand::Orders(args) }) => {
            let options = bench_orders::OrdersBenchOptions {
                admin_url: cli.db.database_url.clone(),
                clients: args.clients,
                seconds: args.seconds,
                ledger_postings: args.ledger_postings,
                json: args.json,
                sqlite_synchronous: args.sqlite_synchronous,
                command_line: std::env::args().collect::<Vec<_>>().join(" "),
            };
            bench_orders::run(options, &mut std::io::stdout().lock()).await
        }
        Some(Command::Bench { command: BenchCommand::Customs(args) }) => {
            let options = bench_customs::CustomsBenchOptions {
                admin_url: cli.db.database_url.clone(),
                landed_costs: args.landed_costs,
                declarations: args.declarations,
                batch: args.batch,
                http_declarations: args.http_declarations,
                clients: args.clients,
                command_line: std::env::args().collect::<Vec<_>>().join(" "),
            };
            bench_customs::run(options, &mut std::io::stdout().lock()).await
        }
        Some(Command::Bench { command: BenchCommand::Documents(args) }) => {
            let options = bench_documents::DocumentsBenchOptions {
                invoices: args.invoices,
                threads: args.threads,
                runs: args.runs,
                keep: args.keep,
                peer_lines: args.peer_lines,
                json: args.json,
            };
            bench_documents::run(&options, &mut std::io::stdout().lock()).map(|_| ())
        }
        Some(Command::Bench { command: BenchCommand::Attest(a) }) => bench_attest::run(
            &bench_attest::AttestBenchOptions {
                batches: a.batches,
                threads: a.threads,
                singles: a.singles,
                peer_lines: a.peer_lines,
            },
            &mut std::io::stdout().lock(),
        ),
        Some(Command::Ledger { command: LedgerCommand::Check { json } }) => {
            let store = open_store(&cli.db, &file).await?;
            let report = store.check_ledger().await?;
            store.close().await;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                let trial: Vec<String> = report.trial_balance.iter().map(|(c, d)| format!("{c} {d}")).collect();
                println!(
                    "ledger: {} entries, {} orders, {} payments checked; trial balance {}",
                    report.entries_checked,
                    report.orders_checked,
                    report.payments_checked,
                    if trial.is_empty() { "empty".to_string() } else { trial.join(", ") }
                );
                for fault in &report.faults {
                    println!("FAULT {fault}");
                }
            }
            if report.is_sound() {
                if !json {
                    println!("ledger sound");
                }
                Ok(())
            } else {
                if !json {
                    println!("ledger has {} faults", report.faults.len());
                }
                std::process::exit(1);
            }
        }
        Some(Command::Webhooks { command: WebhooksCommand::DeliverOnce }) => {
            let store = open_store(&cli.db, &file).await?;
            let sender =
                tradewind_server::webhooks::WebhookSender::new(&Default::default()).map_err(|e| anyhow::anyhow!(e))?;
            let r = sender.deliver_once(&store, None).await?;
            println!(
                "webhooks: {} new deliveries queued, {} delivered, {} to be retried, {} failed after the last attempt",
                r.queued, r.delivered, r.retrying, r.failed
            );
            store.close().await;
            Ok(())
        }
        Some(Command::Assess(_)) => Ok(()),
        Some(Command::Doc(args)) => doc::run(args).await,
        Some(Command::Verify(args)) => {
            let code = verify_cmd::verify(args).await?;
            std::process::exit(code);
        }
        Some(Command::Disclose(args)) => verify_cmd::disclose(args),
        Some(Command::Customs(args)) => {
            if let Err(e) = customs_cmd::run(args) {
                eprintln!("error: {e:#}");
                std::process::exit(1);
            }
            Ok(())
        }
        Some(Command::Client(args)) => {
            if let Err(e) = client::run(args).await {
                eprintln!("error: {e:#}");
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

/// `tradewind assess`: scores an answers file, prints the result, writes the PDF if asked.
fn assess(q: &Questionnaire, args: &AssessArgs) -> Result<()> {
    let path = &args.answers;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading answers file {}", path.display()))?;
    let parsed: AnswersFile = match FileFormat::of_path(&path.to_string_lossy()) {
        FileFormat::Json => serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        FileFormat::Toml => toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
    };
    let kind = args.kind.or(parsed.kind).unwrap_or(Kind::Company);
    if let Err(errors) = q.check_answers(kind, &parsed.answers) {
        let lines: Vec<String> = errors.0.iter().map(|e| format!("  - {}", e.message)).collect();
        bail!(
            "{}: the answers do not fit the {kind} questionnaire {}:\n{}",
            path.display(),
            q.version,
            lines.join("\n")
        );
    }
    let result = q.score(kind, &parsed.answers);
    let lang = if args.lang == "zh" { "zh" } else { "en" };
    let section = q.section(kind);
    let subject = parsed.subject.unwrap_or_else(|| section.title.get(lang).to_string());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        let unanswered: Vec<&str> = q
            .questions(kind)
            .filter(|(_, question)| parsed.answers.get(&question.id).is_none())
            .map(|(_, question)| question.id.as_str())
            .collect();
        print!("{}", result_text(q, &result, &unanswered, &subject, lang));
    }
    if let Some(out) = &args.pdf {
        let fonts = tradewind_report::Fonts::system()?;
        let date = time_today();
        let input = tradewind_report::ReportInput {
            lang: lang.to_string(),
            subject,
            kind_title: section.title.get(lang).to_string(),
            date: date.clone(),
            result: result.clone(),
            bands: q.bands.clone(),
            history: vec![(date, result.score)],
        };
        let pdf = tradewind_report::render_pdf(&input, &fonts)?;
        std::fs::write(out, pdf).with_context(|| format!("writing {}", out.display()))?;
        if !args.json {
            println!("\nReport written to {}", out.display());
        }
    }
    Ok(())
}

/// Today's date (UTC), for the report.
fn time_today() -> String {
    tradewind_store::now_text().get(..10).unwrap_or_default().to_string()
}

/// The result as a person reads it in a terminal.
fn result_text(q: &Questionnaire, r: &AssessmentResult, unanswered: &[&str], subject: &str, lang: &str) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let section = q.section(r.kind);
    let _ = writeln!(s, "{} · {subject}", section.title.get(lang));
    let _ =
        writeln!(s, "Questionnaire {} · {} of {} questions answered", r.questionnaire_version, r.answered, r.questions);
    if !unanswered.is_empty() {
        let _ = writeln!(s, "{} unanswered, counted as nothing in place: {}", unanswered.len(), unanswered.join(", "));
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "Score: {} of 100 · {} ({} stage)", r.score, r.band.level.get(lang), r.band.stage.get(lang));
    let _ = writeln!(s, "  {}", r.band.summary.get(lang));
    let _ = writeln!(s);
    let _ = writeln!(s, "By dimension:");
    for d in &r.dimensions {
        let filled = (d.percent as usize + 5) / 10;
        let bar = format!("{}{}", "#".repeat(filled), ".".repeat(10 - filled.min(10)));
        let _ =
            writeln!(s, "  {bar} {:>3}%  {} ({}; weight {})", d.percent, d.name.get(lang), d.level.get(lang), d.weight);
    }
    let _ = writeln!(s);
    if r.action_plan.is_empty() {
        let _ = writeln!(s, "Action plan: no gaps, every question is at its top level.");
    } else {
        let _ = writeln!(s, "Action plan (largest gain first):");
        for (i, a) in r.action_plan.iter().enumerate() {
            let _ = writeln!(s, "  {:>2}. +{:.1} points  {}", i + 1, a.gain, a.step.get(lang));
            let _ = writeln!(
                s,
                "      {} · now \"{}\", next \"{}\" [{}]",
                a.dimension.get(lang),
                a.current.get(lang),
                a.next.get(lang),
                a.question_id
            );
            if let Some(f) = &a.feature {
                let status = match f.status {
                    tradewind_domain::assessment::FeatureStatus::Available => "available",
                    tradewind_domain::assessment::FeatureStatus::Planned => "planned",
                };
                let _ = writeln!(s, "      tradewind: {} ({status})", f.name.get(lang));
            }
        }
    }
    s
}

async fn serve(db: &DbArgs, file: &FileConfig, args: ServeArgs) -> Result<()> {
    let bind = args.bind.or_else(|| file.bind.clone()).unwrap_or_else(|| "127.0.0.1:8080".into());
    // A broken questionnaire file stops the start-up with a message naming what is wrong.
    let questionnaire = load_questionnaire(db, file)?;
    tracing::info!(version = %questionnaire.version, "assessment questionnaire loaded");
    if let Err(e) = tradewind_report::Fonts::system() {
        tracing::warn!(error = %e, "assessment PDF reports will fail until a font is installed");
    }
    let store = open_store(db, file).await?;
    tradewind_server::ensure_reference_data(&store).await.map_err(|e| anyhow::anyhow!(e))?;
    if args.demo.or(file.demo).unwrap_or(false) {
        let logins = tradewind_server::demo::seed(&store).await.map_err(|e| anyhow::anyhow!(e))?;
        println!("Demo logins (password '{}' for all):", tradewind_server::demo::DEMO_PASSWORD);
        for (email, what) in logins {
            println!("  {email:<36} {what}");
        }
    }
    let listener = tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("binding {bind}"))?;
    let local = listener.local_addr()?;
    // A wildcard bind is reached on loopback from this machine.
    let reachable = if local.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), local.port())
    } else {
        local
    };
    let mut defaults = ServerSettings::default();
    if let Some(secret) = args.simulated_bank_secret.filter(|s| !s.is_empty()) {
        defaults.simulated_bank.secret = secret;
    }
    let settings = ServerSettings {
        secure_cookies: args.secure_cookies.or(file.secure_cookies).unwrap_or(false),
        questionnaire: Arc::new(questionnaire),
        public_url: args
            .public_url
            .or_else(|| file.public_url.clone())
            .unwrap_or_else(|| format!("http://{reachable}")),
        auto_release_days: args.auto_release_days.or(file.auto_release_days).unwrap_or(defaults.auto_release_days),
        ..defaults
    };
    let index = open_index(db, file)?;
    let state = AppState::with_index(store.clone(), settings, index).await.map_err(|e| anyhow::anyhow!("{e}"))?;
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
