//! `tradewind bench orders`: how many orders the platform places and funds per second, and
//! how fast it posts to the escrow ledger, on the real server and a durable database.
//!
//! The bench starts the server in this process on a random port against a fresh SQLite file
//! (or a fresh PostgreSQL database `tw_bench_<random>` made on the given server and dropped
//! afterwards), registers and verifies one buyer and one seller per client through the store,
//! gives each an API token, and then, for each client count, runs that many clients over
//! HTTP with keep-alive. One "order placed and funded" is the whole deal opening: the buyer
//! places a purchase order, the seller accepts, the buyer accepts, the buyer starts a
//! payment (with an Idempotency-Key), and the bank's signed callback settles it. The bench
//! plays the bank itself with the secret it gave the server, through the real callback
//! endpoint.
//!
//! "Ledger postings per second" is a second measurement: payments prepared over HTTP up to
//! the callback, then settled by calling `Store::apply_provider_event` directly (no HTTP)
//! from that many tasks at once. Each call is one posting: one audited transaction that
//! keeps the event, posts the fund entry, funds the order, settles the payment and tells
//! both companies.

use anyhow::{Context, Result, bail};
use reqwest::Client;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tradewind_domain::deal::payment::{self, PaymentReference, ProviderEvent, ProviderOutcome};
use tradewind_domain::organization::{RegistrationForm, VerificationEvent};
use tradewind_server::{AppState, ServerSettings};
use tradewind_store::{Actor, NewUser, Store};

/// What to run.
pub struct OrdersBenchOptions {
    /// A PostgreSQL server URL to make the bench database on; SQLite when absent.
    pub admin_url: Option<String>,
    pub clients: Vec<usize>,
    pub seconds: f64,
    /// Callbacks settled per client count in the ledger measurement (0: skip it).
    pub ledger_postings: usize,
    pub json: bool,
    /// An experiment, not a setting: run SQLite's connections with this `synchronous`
    /// (`full`, `normal`) instead of the store's own, to measure what it costs.
    pub sqlite_synchronous: Option<String>,
    /// The command line, printed with the results.
    pub command_line: String,
}

/// The kinds of request in one deal opening, in order.
const KINDS: [&str; 5] = ["place", "seller_accept", "buyer_accept", "start_payment", "bank_callback"];

/// One buyer and one seller, as a client acts for them.
#[derive(Clone)]
struct Pair {
    buyer_token: String,
    seller_token: String,
    seller_id: String,
}

/// Where the bench's server listens and how the bank signs.
struct Target {
    base: String,
    secret: String,
    http: Client,
}

/// Timings of one client's deal openings.
#[derive(Default)]
struct Samples {
    /// Milliseconds per request kind (KINDS order) and for the whole sequence.
    per_kind: [Vec<f64>; 5],
    whole: Vec<f64>,
    errors: usize,
    first_error: Option<String>,
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
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// CPU seconds this process used so far (user + system), from /proc.
fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Busy and total jiffies of the whole machine, from /proc/stat.
fn machine_jiffies() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else { return (0.0, 0.0) };
    let Some(line) = stat.lines().next() else { return (0.0, 0.0) };
    let v: Vec<f64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    let total: f64 = v.iter().sum();
    let idle = v.get(3).copied().unwrap_or(0.0) + v.get(4).copied().unwrap_or(0.0);
    (total - idle, total)
}

/// CPU use over a stretch of time: this process, and the whole machine.
struct CpuMeter {
    proc0: f64,
    machine0: (f64, f64),
    t0: Instant,
}

impl CpuMeter {
    fn start() -> CpuMeter {
        CpuMeter { proc0: process_cpu_seconds(), machine0: machine_jiffies(), t0: Instant::now() }
    }
    /// (this process's CPU in % of one core, the machine's busy share in % of all cores)
    fn stop(&self) -> (f64, f64) {
        let wall = self.t0.elapsed().as_secs_f64().max(1e-9);
        let (b1, t1) = machine_jiffies();
        let busy = (b1 - self.machine0.0) / (t1 - self.machine0.1).max(1.0);
        (100.0 * (process_cpu_seconds() - self.proc0) / wall, 100.0 * busy)
    }
}

fn unique_suffix() -> String {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{n:x}{:x}", std::process::id())
}

/// What `synchronous` and `journal_mode` the store's connections run with, or the
/// PostgreSQL equivalents.
async fn durability(store: &Store) -> Result<String> {
    use sqlx::Row;
    let pool = store.pool();
    Ok(match store.backend() {
        tradewind_store::Backend::Sqlite => {
            let mut conn = pool.acquire().await?;
            let j: String = sqlx::query("PRAGMA journal_mode").fetch_one(&mut *conn).await?.try_get(0)?;
            let s: i64 = sqlx::query("PRAGMA synchronous").fetch_one(&mut *conn).await?.try_get(0)?;
            let name = match s {
                0 => "OFF",
                1 => "NORMAL",
                2 => "FULL",
                3 => "EXTRA",
                _ => "?",
            };
            format!("journal_mode={j} synchronous={name}")
        }
        tradewind_store::Backend::Postgres => {
            let mut parts = Vec::new();
            for setting in ["synchronous_commit", "fsync", "wal_sync_method", "commit_delay", "server_version"] {
                let v: String =
                    sqlx::query(&format!("SHOW {setting}")).fetch_one(pool).await?.try_get(0).unwrap_or_default();
                parts.push(format!("{setting}={v}"));
            }
            parts.join(" ")
        }
    })
}

/// Sets `PRAGMA synchronous` on every connection of the pool, holding them all at once so
/// none is missed (the experiment behind `--sqlite-synchronous`).
async fn set_synchronous(store: &Store, mode: &str) -> Result<()> {
    if !matches!(mode, "full" | "normal" | "extra") {
        bail!("--sqlite-synchronous takes full, normal or extra, not {mode}");
    }
    let mut held = Vec::new();
    for _ in 0..store.pool().options().get_max_connections() {
        let mut conn = store.pool().acquire().await?;
        sqlx::query(&format!("PRAGMA synchronous = {mode}")).execute(&mut *conn).await?;
        held.push(conn);
    }
    Ok(())
}

/// Audited write transactions so far (the audit head's sequence number).
async fn audit_seq(store: &Store) -> Result<i64> {
    use sqlx::Row;
    Ok(sqlx::query("SELECT seq FROM audit_head WHERE id = 1").fetch_one(store.pool()).await?.try_get("seq")?)
}

/// Committed transactions of this PostgreSQL database so far (reads included); None on SQLite.
async fn pg_commits(store: &Store) -> Option<i64> {
    use sqlx::Row;
    if store.backend() != tradewind_store::Backend::Postgres {
        return None;
    }
    // The statistics are cached per transaction; ask for fresh ones.
    let _ = sqlx::query("SELECT pg_stat_clear_snapshot()").execute(store.pool()).await;
    sqlx::query("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        .fetch_one(store.pool())
        .await
        .ok()
        .and_then(|r| r.try_get::<i64, _>("xact_commit").ok())
}

/// Registers and verifies one buyer and one seller per client, each with an API token.
async fn companies(store: &Store, n: usize) -> Result<Vec<Pair>> {
    let hash = tradewind_server::auth::hash_password("bench password, not for people".into())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut pairs = Vec::with_capacity(n);
    for i in 0..n {
        let mut ids = Vec::new();
        for side in ["buyer", "seller"] {
            let email = format!("{side}{i}@bench.example");
            let form = RegistrationForm {
                legal_name: format!("Bench {side} {i} Ltd"),
                country: if side == "buyer" { "DE" } else { "VN" }.into(),
                registration_number: format!("BENCH-{side}-{i}"),
                street: "1 Harbour Road".into(),
                city: "Port Town".into(),
                postal_code: "12345".into(),
                contact_name: "Pat Lee".into(),
                contact_email: email.clone(),
                contact_phone: "+65 6000 0000".into(),
                lei: String::new(),
                roles: vec!["exporter".into(), "importer".into()],
            };
            let reg = form.validate().map_err(|e| anyhow::anyhow!("bench registration: {e:?}"))?;
            let (org, user) = store
                .register_organization(&reg, &NewUser { email, name: "Pat Lee".into(), password_hash: hash.clone() })
                .await?;
            store.change_verification(&org.id, VerificationEvent::Verify, &Actor::system()).await?;
            let token = tradewind_server::auth::new_secret("tw_");
            store.create_api_token(&user, "bench", &tradewind_server::auth::secret_hash(&token)).await?;
            ids.push((org.id, token));
        }
        let (seller_id, seller_token) = ids.pop().context("seller")?;
        let (_, buyer_token) = ids.pop().context("buyer")?;
        pairs.push(Pair { buyer_token, seller_token, seller_id });
    }
    Ok(pairs)
}

fn in_days(d: i64) -> String {
    let t = time::OffsetDateTime::now_utc().date() + time::Duration::days(d);
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

impl Target {
    async fn post(&self, token: &str, path: &str, body: &Value, key: Option<&str>) -> Result<Value> {
        let mut r = self.http.post(format!("{}{path}", self.base)).bearer_auth(token).json(body);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        let res = r.send().await?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            bail!("POST {path}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// Place, accept twice, start the payment: the order waits for the bank. Returns the
    /// order id and the payment (reference and amount); pushes each request's time.
    async fn open_deal(&self, pair: &Pair, times: &mut [Vec<f64>; 5]) -> Result<(String, Value)> {
        let order = json!({
            "seller": pair.seller_id,
            "currency": "USD",
            "lines": [{"description": "Black pepper, 500 g/l", "hs_code": "090411", "quantity": "100",
                "unit": "KGM", "unit_price": "4.25"}],
            "incoterm": "FOB",
            "named_place": "VNSGN",
            "payment_terms": "escrow",
            "delivery_earliest": in_days(30),
            "delivery_latest": in_days(60)
        });
        let t = Instant::now();
        let placed = self.post(&pair.buyer_token, "/api/v1/orders", &order, None).await?;
        times[0].push(ms(t));
        let id = placed["id"].as_str().context("order id")?.to_string();
        let accept = json!({"event": "accept"});
        let t = Instant::now();
        self.post(&pair.seller_token, &format!("/api/v1/orders/{id}/events"), &accept, None).await?;
        times[1].push(ms(t));
        let t = Instant::now();
        self.post(&pair.buyer_token, &format!("/api/v1/orders/{id}/events"), &accept, None).await?;
        times[2].push(ms(t));
        let t = Instant::now();
        let key = format!("bench-pay-{id}");
        let paid =
            self.post(&pair.buyer_token, &format!("/api/v1/orders/{id}/payments"), &json!({}), Some(&key)).await?;
        times[3].push(ms(t));
        Ok((id, paid))
    }

    /// The bank's signed callback settling a payment, through the real endpoint.
    async fn bank_callback(&self, payment: &Value) -> Result<()> {
        let body = serde_json::to_vec(&json!({
            "event_id": format!("bench-{}", tradewind_store::new_id()),
            "reference": payment["reference"],
            "outcome": "settled",
            "amount": payment["amount"],
            "booked_at": tradewind_store::now_text(),
        }))?;
        let ts = time::OffsetDateTime::now_utc().unix_timestamp();
        let sig = payment::sign(self.secret.as_bytes(), ts, &body);
        let res = self
            .http
            .post(format!("{}/api/v1/payments/callbacks/simulated-bank", self.base))
            .header("content-type", "application/json")
            .header(payment::TIMESTAMP_HEADER, ts.to_string())
            .header(payment::SIGNATURE_HEADER, sig)
            .body(body)
            .send()
            .await?;
        let status = res.status();
        let answer: Value = res.json().await?;
        if !status.is_success() || answer["outcome"] != "settled" {
            bail!("callback: {status}: {answer}");
        }
        Ok(())
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// One client: deal openings back to back until `stop`.
async fn client_loop(target: Arc<Target>, pair: Pair, stop: Arc<AtomicBool>) -> Samples {
    let mut s = Samples::default();
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let done = async {
            let (_, paid) = target.open_deal(&pair, &mut s.per_kind).await?;
            let tc = Instant::now();
            target.bank_callback(&paid).await?;
            s.per_kind[4].push(ms(tc));
            anyhow::Ok(())
        }
        .await;
        match done {
            Ok(()) => s.whole.push(ms(t)),
            Err(e) => {
                s.errors += 1;
                if s.first_error.is_none() {
                    s.first_error = Some(e.to_string());
                }
            }
        }
    }
    s
}

/// Prepares `n` orders waiting for their bank callback, from `tasks` clients at once.
async fn prepare_payments(target: &Arc<Target>, pairs: &[Pair], n: usize) -> Result<Vec<Value>> {
    let tasks = pairs.len().clamp(1, 8);
    let mut handles = Vec::new();
    for (w, pair) in pairs.iter().take(tasks).enumerate() {
        let target = target.clone();
        let pair = pair.clone();
        let share = n / tasks + usize::from(w < n % tasks);
        handles.push(tokio::spawn(async move {
            let mut out = Vec::with_capacity(share);
            let mut scratch: [Vec<f64>; 5] = Default::default();
            for _ in 0..share {
                out.push(target.open_deal(&pair, &mut scratch).await?.1);
            }
            anyhow::Ok(out)
        }));
    }
    let mut all = Vec::with_capacity(n);
    for h in handles {
        all.extend(h.await??);
    }
    Ok(all)
}

fn out_line(out: &mut dyn Write, json_mode: bool, v: &Value, text: String) -> Result<()> {
    if json_mode {
        writeln!(out, "{v}")?;
    } else {
        writeln!(out, "{text}")?;
    }
    Ok(())
}

pub async fn run(opts: OrdersBenchOptions, out: &mut dyn Write) -> Result<()> {
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
        Some(other) => bail!("bench orders makes its own SQLite file; give a postgres:// URL or none, not {other}"),
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

async fn run_on(opts: &OrdersBenchOptions, url: &str, out: &mut dyn Write) -> Result<()> {
    let store = Store::connect(url).await?;
    if let Some(mode) = &opts.sqlite_synchronous
        && store.backend() == tradewind_store::Backend::Sqlite
    {
        set_synchronous(&store, mode).await?;
    }
    tradewind_server::ensure_reference_data(&store).await.map_err(|e| anyhow::anyhow!(e))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut settings = ServerSettings { public_url: format!("http://{addr}"), ..ServerSettings::default() };
    let secret = tradewind_server::auth::new_secret("bench_bank_");
    settings.simulated_bank.secret = secret.clone();
    let state = AppState::new(store.clone(), settings).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = tradewind_server::serve(listener, state, async move {
            let _ = stopped.await;
        })
        .await;
    });
    let max_clients = opts.clients.iter().copied().max().unwrap_or(1).max(1);
    let http = Client::builder().pool_max_idle_per_host(max_clients * 2).tcp_nodelay(true).build()?;
    let target = Arc::new(Target { base: format!("http://{addr}"), secret, http });

    let store_name = match store.backend() {
        tradewind_store::Backend::Sqlite => "sqlite",
        tradewind_store::Backend::Postgres => "postgres",
    };
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let facts = json!({
        "bench": "orders.facts", "command": opts.command_line, "store": store_name,
        "database": tradewind_store::redact_url(url), "nproc": cpus, "durability": durability(&store).await?,
        "load1": load1(),
    });
    out_line(
        out,
        opts.json,
        &facts,
        format!(
            "# {}\n# store={store_name} nproc={cpus} {} load1={}\n# database {}",
            opts.command_line,
            facts["durability"].as_str().unwrap_or(""),
            load1(),
            tradewind_store::redact_url(url)
        ),
    )?;
    let t = Instant::now();
    let pairs = companies(&store, max_clients).await?;
    writeln!(
        out,
        "# {} buyer/seller pairs registered and verified in {:.1} s",
        pairs.len(),
        t.elapsed().as_secs_f64()
    )?;
    // One warm-up deal per pair outside the measurement: connections, caches, first pages.
    let mut warm: [Vec<f64>; 5] = Default::default();
    for pair in pairs.iter().take(max_clients.min(8)) {
        let (_, paid) = target.open_deal(pair, &mut warm).await?;
        target.bank_callback(&paid).await?;
    }

    for &clients in &opts.clients {
        let clients = clients.max(1);
        let seq0 = audit_seq(&store).await?;
        let pg0 = pg_commits(&store).await;
        let stop = Arc::new(AtomicBool::new(false));
        let cpu = CpuMeter::start();
        let started = Instant::now();
        let handles: Vec<_> = pairs
            .iter()
            .take(clients)
            .map(|p| tokio::spawn(client_loop(target.clone(), p.clone(), stop.clone())))
            .collect();
        tokio::time::sleep(Duration::from_secs_f64(opts.seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut all = Samples::default();
        for h in handles {
            let s = h.await?;
            for (k, v) in s.per_kind.into_iter().enumerate() {
                all.per_kind[k].extend(v);
            }
            all.whole.extend(s.whole);
            all.errors += s.errors;
            if all.first_error.is_none() {
                all.first_error = s.first_error;
            }
        }
        let wall = started.elapsed().as_secs_f64();
        let (proc_cpu, machine_busy) = cpu.stop();
        let seq1 = audit_seq(&store).await?;
        let pg1 = pg_commits(&store).await;
        let orders = all.whole.len();
        let requests: usize = all.per_kind.iter().map(Vec::len).sum();
        all.whole.sort_by(f64::total_cmp);
        let mut kinds = serde_json::Map::new();
        let mut kind_text = String::new();
        for (k, v) in all.per_kind.iter_mut().enumerate() {
            v.sort_by(f64::total_cmp);
            let (p50, p99) = (percentile(v, 0.5), percentile(v, 0.99));
            kinds.insert(KINDS[k].into(), json!({"p50_ms": round2(p50), "p99_ms": round2(p99), "n": v.len()}));
            kind_text.push_str(&format!(" {}_p50/p99_ms={:.2}/{:.2}", KINDS[k], p50, p99));
        }
        let per_order = |d: i64| if orders > 0 { d as f64 / orders as f64 } else { 0.0 };
        let audited_tx = per_order(seq1 - seq0);
        let pg_tx = match (pg0, pg1) {
            (Some(a), Some(b)) => Some(per_order(b - a)),
            _ => None,
        };
        let v = json!({
            "bench": "orders.placed_funded", "store": store_name, "clients": clients, "seconds": round2(wall),
            "orders": orders, "orders_per_s": round2(orders as f64 / wall),
            "p50_ms": round2(percentile(&all.whole, 0.5)), "p99_ms": round2(percentile(&all.whole, 0.99)),
            "requests_per_s": round2(requests as f64 / wall), "requests": kinds,
            "audited_write_tx_per_order": round2(audited_tx), "pg_commits_per_order": pg_tx.map(round2),
            "process_cpu_pct": round2(proc_cpu), "machine_busy_pct": round2(machine_busy),
            "errors": all.errors, "first_error": all.first_error, "load1": load1(),
        });
        let text = format!(
            "OURS orders.placed_funded store={store_name} clients={clients} seconds={wall:.1} orders={orders} orders_per_s={:.1} p50_ms={:.2} p99_ms={:.2} requests_per_s={:.1} audited_write_tx_per_order={audited_tx:.2}{} process_cpu_pct={proc_cpu:.0} machine_busy_pct={machine_busy:.0} errors={} load1={}\n#  {}{}",
            orders as f64 / wall,
            percentile(&all.whole, 0.5),
            percentile(&all.whole, 0.99),
            requests as f64 / wall,
            pg_tx.map(|t| format!(" pg_commits_per_order={t:.2}")).unwrap_or_default(),
            all.errors,
            load1(),
            kind_text.trim_start(),
            all.first_error.as_ref().map(|e| format!("\n#  first error: {e}")).unwrap_or_default(),
        );
        out_line(out, opts.json, &v, text)?;
    }

    if opts.ledger_postings > 0 {
        for &clients in &opts.clients {
            let clients = clients.max(1);
            let t = Instant::now();
            let prepared = prepare_payments(&target, &pairs, opts.ledger_postings).await?;
            writeln!(
                out,
                "# {} payments prepared for the ledger measurement in {:.1} s",
                prepared.len(),
                t.elapsed().as_secs_f64()
            )?;
            let events = prepared
                .iter()
                .map(|p| {
                    let reference: PaymentReference = serde_json::from_value(p["reference"].clone())?;
                    let amount = serde_json::from_value(p["amount"].clone())?;
                    Ok(ProviderEvent {
                        event_id: format!("bench-ledger-{}", tradewind_store::new_id()),
                        reference,
                        outcome: ProviderOutcome::Settled { amount },
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let queue = Arc::new(std::sync::Mutex::new(events));
            let cpu = CpuMeter::start();
            let started = Instant::now();
            let handles: Vec<_> = (0..clients)
                .map(|_| {
                    let store = store.clone();
                    let queue = queue.clone();
                    tokio::spawn(async move {
                        let mut times = Vec::new();
                        loop {
                            let next = queue.lock().map(|mut q| q.pop()).unwrap_or(None);
                            let Some(event) = next else { break };
                            let t = Instant::now();
                            let outcome = store.apply_provider_event("simulated-bank", &event).await?;
                            if outcome != tradewind_store::CallbackOutcome::Settled {
                                bail!("callback {} was {outcome:?}", event.event_id);
                            }
                            times.push(ms(t));
                        }
                        anyhow::Ok(times)
                    })
                })
                .collect();
            let mut times = Vec::new();
            for h in handles {
                times.extend(h.await??);
            }
            let wall = started.elapsed().as_secs_f64();
            let (proc_cpu, machine_busy) = cpu.stop();
            times.sort_by(f64::total_cmp);
            let v = json!({
                "bench": "orders.ledger_postings", "store": store_name, "clients": clients,
                "postings": times.len(), "postings_per_s": round2(times.len() as f64 / wall),
                "p50_ms": round2(percentile(&times, 0.5)), "p99_ms": round2(percentile(&times, 0.99)),
                "process_cpu_pct": round2(proc_cpu), "machine_busy_pct": round2(machine_busy), "load1": load1(),
            });
            let text = format!(
                "OURS orders.ledger_postings store={store_name} clients={clients} postings={} postings_per_s={:.1} p50_ms={:.2} p99_ms={:.2} process_cpu_pct={proc_cpu:.0} machine_busy_pct={machine_busy:.0} load1={}",
                times.len(),
                times.len() as f64 / wall,
                percentile(&times, 0.5),
                percentile(&times, 0.99),
                load1()
            );
            out_line(out, opts.json, &v, text)?;
        }
    }

    let report = store.check_ledger().await?;
    writeln!(
        out,
        "# ledger check after the bench: {} entries, {} orders, {}",
        report.entries_checked,
        report.orders_checked,
        if report.is_sound() { "sound".to_string() } else { format!("{} FAULTS", report.faults.len()) }
    )?;
    // Idle keep-alive connections would hold the graceful shutdown open.
    drop(target);
    let _ = stop_server.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    store.close().await;
    if !report.is_sound() {
        bail!("the ledger check found faults after the bench: {:?}", report.faults.first());
    }
    Ok(())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
