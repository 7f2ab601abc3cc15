//! `tradewind bench customs`: how fast the customs single window processes declarations and
//! computes landed costs.
//!
//! Three measurements, each on real components:
//! - **Landed cost in process, one core**: the engine's amounts (`landed_cost_amounts`, what
//!   every assessment computes) and the full explained answer (`landed_cost`) for a one-line
//!   shipment into Germany valued CIF from a USD FOB price, on one thread.
//! - **Declarations end to end in process**: each declaration is validated against the
//!   German tariff, assessed (duty, VAT, exchange rate), risk-selected, given its agencies and
//!   its clearance state, then stored with its events, agency tasks and one audit entry each,
//!   `--batch` declarations per transaction (one commit, one fsync), on a fresh SQLite file or
//!   PostgreSQL database. Latency is per batch, from the first declaration prepared to commit.
//! - **Declarations through the HTTP API**: `--clients` concurrent clients post declarations
//!   (each with its own Idempotency-Key) to the server started in this process on the same
//!   store; every request is validated, assessed, risk-selected and committed on its own.

use anyhow::{Context, Result, bail};
use reqwest::Client;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;
use tradewind_domain::customs::agencies::AgencyRules;
use tradewind_domain::customs::landed_cost::{Shipment, ShipmentLine, landed_cost, landed_cost_amounts};
use tradewind_domain::customs::risk::RiskProfile;
use tradewind_domain::customs::submission::{CustomsRules, DeclarationInput, DeclaredItem, TraderStanding, prepare};
use tradewind_domain::customs::tariff::{TariffSchedule, builtin_schedules};
use tradewind_domain::documents::declaration::Direction;
use tradewind_domain::marketplace::FxRates;
use tradewind_domain::organization::{RegistrationForm, VerificationEvent};
use tradewind_domain::{Incoterm, Money};
use tradewind_server::{AppState, ServerSettings};
use tradewind_store::{Actor, NewUser, Store};

/// What to run.
pub struct CustomsBenchOptions {
    /// A PostgreSQL server URL to make a fresh database on; SQLite in the working folder when None.
    pub admin_url: Option<String>,
    pub landed_costs: usize,
    pub declarations: usize,
    pub batch: usize,
    pub http_declarations: usize,
    pub clients: usize,
    pub command_line: String,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn load1() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

fn unique_suffix() -> String {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{n:x}{:x}", std::process::id())
}

fn money(amount: &str, currency: &str) -> Result<Money> {
    Ok(Money::new(amount.parse()?, currency.parse().map_err(|e| anyhow::anyhow!("{e}"))?)?)
}

fn germany() -> Result<TariffSchedule> {
    builtin_schedules().into_iter().find(|s| s.economy().as_str() == "DE").context("the built-in DE schedule")
}

fn demo_rates() -> Result<FxRates> {
    FxRates::parse_ecb_csv(tradewind_domain::marketplace::DEMO_FX_CSV, "demo rates").map_err(|e| anyhow::anyhow!(e))
}

/// Landed costs per second on one thread: (amounts only, explained).
fn landed_cost_rate(schedule: &TariffSchedule, fx: &FxRates, n: usize) -> Result<(f64, f64)> {
    let shipment = Shipment {
        importing: schedule.economy(),
        date: time::OffsetDateTime::now_utc().date(),
        incoterm: Incoterm::Fob,
        freight: Some(money("120.00", "USD")?),
        insurance: Some(money("5.00", "USD")?),
        lines: vec![ShipmentLine {
            hs: "610910".parse().map_err(|e| anyhow::anyhow!("{e}"))?,
            description: "Cotton T-shirts".into(),
            origin: "VN".parse().map_err(|e| anyhow::anyhow!("{e}"))?,
            value: money("1000.00", "USD")?,
            quantity: "500".parse()?,
            unit: "H87".into(),
            preference: None,
        }],
    };
    // Warm up, and check the answer once.
    let check = landed_cost_amounts(schedule, &shipment, fx).map_err(|e| anyhow::anyhow!("{e}"))?;
    let t = Instant::now();
    let mut guard = rust_decimal::Decimal::ZERO;
    for _ in 0..n {
        let a =
            landed_cost_amounts(schedule, std::hint::black_box(&shipment), fx).map_err(|e| anyhow::anyhow!("{e}"))?;
        guard += a.total.amount();
    }
    let amounts = n as f64 / t.elapsed().as_secs_f64();
    if guard != check.total.amount() * rust_decimal::Decimal::from(n) {
        bail!("landed cost differed between runs");
    }
    let explained_n = (n / 10).max(1);
    let t = Instant::now();
    for _ in 0..explained_n {
        std::hint::black_box(
            landed_cost(schedule, std::hint::black_box(&shipment), fx).map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }
    Ok((amounts, explained_n as f64 / t.elapsed().as_secs_f64()))
}

/// The i-th synthetic declaration: goods drawn from the schedule's ad valorem lines,
/// origins and currencies varied, CIF Hamburg.
fn declaration(schedule: &TariffSchedule, run: &str, i: usize) -> Result<DeclarationInput> {
    const ORIGINS: [&str; 6] = ["CN", "VN", "US", "JP", "BD", "TR"];
    let today = time::OffsetDateTime::now_utc().date();
    let lines: Vec<_> = schedule
        .lines()
        .iter()
        .filter(|l| l.is_valid_on(today) && l.unit.as_deref() == Some("H87"))
        .filter(|l| matches!(l.mfn, tradewind_domain::customs::duty::DutyMeasure::AdValorem { .. }))
        .collect();
    if lines.is_empty() {
        bail!("no ad valorem lines in the schedule");
    }
    let items = (0..1 + i % 3)
        .map(|k| {
            let line = lines[(i * 7 + k * 13) % lines.len()];
            let currency = if (i + k).is_multiple_of(4) { "USD" } else { "EUR" };
            Ok(DeclaredItem {
                description: line.description.chars().take(60).collect(),
                hs_code: line.hs.clone(),
                origin: ORIGINS[(i + k) % ORIGINS.len()].parse().map_err(|e| anyhow::anyhow!("{e}"))?,
                value: money(&format!("{}.{:02}", 200 + (i * 37 + k * 11) % 9_800, (i + k) % 100), currency)?,
                quantity: ((i + k) % 90 + 10).into(),
                unit: "H87".into(),
                gross_kg: ((i + k) % 400 + 20).into(),
                packages: Some(((i + k) % 30 + 1) as u32),
                preference: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DeclarationInput {
        direction: Direction::Import,
        economy: schedule.economy(),
        number: format!("B{run}-{i}"),
        declarant: None,
        incoterm: Incoterm::Cif,
        freight: None,
        insurance: None,
        transport_document: Some(format!("BL{run}{}", i / 4)),
        order_id: None,
        date: None,
        items,
    })
}

/// A verified importer with an API token.
async fn declarant(store: &Store) -> Result<(String, String)> {
    let hash = tradewind_server::auth::hash_password("bench password, not for people".into())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let email = "declarant@bench.example".to_string();
    let form = RegistrationForm {
        legal_name: "Bench Import GmbH".into(),
        country: "DE".into(),
        registration_number: "BENCH-DE-1".into(),
        street: "1 Harbour Road".into(),
        city: "Hamburg".into(),
        postal_code: "20457".into(),
        contact_name: "Pat Lee".into(),
        contact_email: email.clone(),
        contact_phone: "+49 40 000000".into(),
        lei: String::new(),
        roles: vec!["importer".into()],
    };
    let reg = form.validate().map_err(|e| anyhow::anyhow!("bench registration: {e:?}"))?;
    let (org, user) =
        store.register_organization(&reg, &NewUser { email, name: "Pat Lee".into(), password_hash: hash }).await?;
    store.change_verification(&org.id, VerificationEvent::Verify, &Actor::system()).await?;
    let token = tradewind_server::auth::new_secret("tw_");
    store.create_api_token(&user, "bench", &tradewind_server::auth::secret_hash(&token)).await?;
    Ok((org.id, token))
}

/// Runs the bench on a fresh database and drops it afterwards.
pub async fn run(opts: CustomsBenchOptions, out: &mut dyn Write) -> Result<()> {
    let (url, _dir, pg_admin) = match &opts.admin_url {
        Some(admin) if admin.starts_with("postgres") => {
            use sqlx::Connection;
            let name = format!("tw_bench_{}", unique_suffix());
            let mut conn = sqlx::PgConnection::connect(admin).await.context("connecting to the PostgreSQL server")?;
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
            conn.close().await?;
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).context("the URL names a database")?;
            (format!("{base}/{name}"), None, Some((admin.clone(), name)))
        }
        Some(other) => bail!("bench customs makes its own SQLite file; give a postgres:// URL or none, not {other}"),
        None => {
            // On the disk of the working folder, not a tmpfs: the bench measures durable commits.
            let dir = tempfile::Builder::new().prefix("tw-bench-").tempdir_in(".")?;
            (format!("sqlite://{}", dir.path().join("bench.db").display()), Some(dir), None)
        }
    };
    let result = run_on(&opts, &url, out).await;
    if let Some((admin, name)) = pg_admin {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await?;
    }
    result
}

async fn run_on(opts: &CustomsBenchOptions, url: &str, out: &mut dyn Write) -> Result<()> {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    writeln!(out, "# {}", opts.command_line)?;
    writeln!(out, "# nproc={cpus} load1={} database {}", load1(), tradewind_store::redact_url(url))?;
    let schedule = germany()?;
    let fx = demo_rates()?;

    if opts.landed_costs > 0 {
        let (s, f, n) = (schedule.clone(), fx.clone(), opts.landed_costs);
        let (amounts, explained) = std::thread::spawn(move || landed_cost_rate(&s, &f, n))
            .join()
            .map_err(|_| anyhow::anyhow!("the landed-cost thread panicked"))??;
        writeln!(
            out,
            "landed cost, one thread: {amounts:.0}/s amounts ({n} runs), {explained:.0}/s with the explanation",
            n = opts.landed_costs
        )?;
    }

    let store = Store::connect(url).await?;
    tradewind_server::ensure_reference_data(&store).await.map_err(|e| anyhow::anyhow!(e))?;
    let (org, token) = declarant(&store).await?;
    let store_name = match store.backend() {
        tradewind_store::Backend::Sqlite => "sqlite",
        tradewind_store::Backend::Postgres => "postgres",
    };
    let run = unique_suffix();

    if opts.declarations > 0 {
        let risk = RiskProfile::default_profile();
        let agencies = AgencyRules::default_rules();
        let rules = CustomsRules { schedule: &schedule, fx: &fx, risk: &risk, agencies: &agencies };
        let inputs = (0..opts.declarations)
            .map(|i| declaration(&schedule, &run, i))
            .collect::<Result<Vec<DeclarationInput>>>()?;
        let today = time::OffsetDateTime::now_utc().date();
        let standing = TraderStanding { compliance: 100, prior_declarations: 100 };
        let actor = Actor::system();
        let mut batch_ms = Vec::new();
        let mut lanes = [0usize; 3];
        // Where the time goes: the rules, turning the result into its stored form, the store.
        // The next batch is prepared while the previous one commits (two cores: one runs the
        // rules, the other the database).
        let (mut rules_s, mut json_s, mut store_s) = (0.0, 0.0, 0.0);
        let mut pending: Option<tokio::task::JoinHandle<Result<(f64, f64)>>> = None;
        let t = Instant::now();
        for chunk in inputs.chunks(opts.batch.max(1)) {
            let tb = Instant::now();
            let mut prepared = Vec::with_capacity(chunk.len());
            for input in chunk {
                let tr = Instant::now();
                let p = prepare(&rules, input, standing, &|_| None, today).map_err(|e| anyhow::anyhow!("{e:?}"))?;
                let tj = Instant::now();
                rules_s += (tj - tr).as_secs_f64();
                lanes[p.lane as usize] += 1;
                prepared.push(
                    tradewind_server::customs::new_declaration(input, &p, &org, None)
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                );
                json_s += tj.elapsed().as_secs_f64();
            }
            if let Some(previous) = pending.take() {
                let (store_secs, batch) = previous.await??;
                store_s += store_secs;
                batch_ms.push(batch);
            }
            let (store, actor) = (store.clone(), actor.clone());
            pending = Some(tokio::spawn(async move {
                let ts = Instant::now();
                store.submit_declarations_batch(&actor, &prepared).await?;
                Ok((ts.elapsed().as_secs_f64(), tb.elapsed().as_secs_f64() * 1000.0))
            }));
        }
        if let Some(previous) = pending.take() {
            let (store_secs, batch) = previous.await??;
            store_s += store_secs;
            batch_ms.push(batch);
        }
        let secs = t.elapsed().as_secs_f64();
        batch_ms.sort_by(f64::total_cmp);
        let rate = opts.declarations as f64 / secs;
        writeln!(
            out,
            "declarations in process on {store_name}: {} in {secs:.2} s = {rate:.0}/s (batches of {}; per batch p50 {:.1} ms, p99 {:.1} ms; lanes green {} yellow {} red {})",
            opts.declarations,
            opts.batch,
            percentile(&batch_ms, 0.5),
            percentile(&batch_ms, 0.99),
            lanes[0],
            lanes[1],
            lanes[2]
        )?;
        let per = |x: f64| x / opts.declarations as f64 * 1e6;
        writeln!(
            out,
            "  per declaration: rules {:.1} µs, stored form {:.1} µs, store {:.1} µs (overlapping the next batch)",
            per(rules_s),
            per(json_s),
            per(store_s)
        )?;
        writeln!(
            out,
            "  a year of 10,000,000 permits at this rate: {:.1} minutes on one node",
            10_000_000.0 / rate / 60.0
        )?;
    }

    if opts.http_declarations > 0 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let settings = ServerSettings { public_url: format!("http://{addr}"), ..ServerSettings::default() };
        let state = AppState::new(store.clone(), settings).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = tradewind_server::serve(listener, state, async move {
                let _ = stopped.await;
            })
            .await;
        });
        let http = Client::builder().pool_max_idle_per_host(opts.clients * 2).tcp_nodelay(true).build()?;
        let base = format!("http://{addr}");
        let bodies: Vec<Value> = (0..opts.http_declarations)
            .map(|i| declaration(&schedule, &format!("H{run}"), i).and_then(|d| Ok(serde_json::to_value(d)?)))
            .collect::<Result<_>>()?;
        let bodies = Arc::new(bodies);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let t = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..opts.clients.max(1) {
            let (http, base, token, bodies, next) =
                (http.clone(), base.clone(), token.clone(), bodies.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                let mut errors = 0usize;
                let mut first_error = None;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    let t = Instant::now();
                    let res = http
                        .post(format!("{base}/api/v1/customs/declarations"))
                        .bearer_auth(&token)
                        .header("Idempotency-Key", format!("bench-{i}"))
                        .json(body)
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status().as_u16() == 201 => times.push(t.elapsed().as_secs_f64() * 1000.0),
                        Ok(r) => {
                            errors += 1;
                            if first_error.is_none() {
                                first_error = Some(format!("{} {}", r.status(), r.text().await.unwrap_or_default()));
                            }
                        }
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e.to_string());
                        }
                    }
                }
                (times, errors, first_error)
            }));
        }
        let mut all = Vec::new();
        let mut errors = 0;
        let mut first = None;
        for task in tasks {
            let (times, e, f) = task.await?;
            all.extend(times);
            errors += e;
            if first.is_none() {
                first = f;
            }
        }
        let secs = t.elapsed().as_secs_f64();
        all.sort_by(f64::total_cmp);
        writeln!(
            out,
            "declarations over HTTP on {store_name}: {} in {secs:.2} s = {:.0}/s with {} clients; p50 {:.1} ms, p99 {:.1} ms; {errors} errors{}",
            all.len(),
            all.len() as f64 / secs,
            opts.clients,
            percentile(&all, 0.5),
            percentile(&all, 0.99),
            first.map(|f| format!(" (first: {f})")).unwrap_or_default()
        )?;
        // Close the clients' keep-alive connections, or the graceful shutdown waits on them.
        drop(http);
        let _ = stop_server.send(());
        let _ = server.await;
    }
    let n: i64 = {
        use sqlx::Row;
        sqlx::query("SELECT COUNT(*) AS n FROM customs_declarations").fetch_one(store.pool()).await?.try_get("n")?
    };
    writeln!(out, "# {n} declarations stored; audit chain {}", json!(store.verify_audit().await?.fault.is_none()))?;
    store.close().await;
    Ok(())
}
