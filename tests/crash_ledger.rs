//! The server killed while money moves: `tradewind serve` is SIGKILLed in the middle of many
//! concurrent payment starts and bank callbacks, started again on the same database, and the
//! books must still be whole: `tradewind ledger check` and `tradewind audit verify` pass,
//! every funded order has exactly one fund entry and every settled payment its entry, and
//! sending the interrupted callbacks again funds exactly the orders that were not funded
//! yet, once. SQLite always; PostgreSQL when TRADEWIND_TEST_DATABASE_URL is set.

use reqwest::Client;
use serde_json::{Value, json};
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tradewind_domain::deal::payment;
use tradewind_domain::organization::{RegistrationForm, VerificationEvent};
use tradewind_store::{Actor, NewUser, Store};

const BANK_SECRET: &str = "simbank_crash_test_secret_kept_across_restarts";
/// Orders whose bank callback is in flight when the server dies.
const CALLBACKS_IN_FLIGHT: usize = 24;
/// Orders whose payment start (and then callback) is in flight when the server dies.
const PAYMENTS_IN_FLIGHT: usize = 24;
const PAIRS: usize = 4;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tradewind"))
}

/// A fresh database URL (PostgreSQL when TRADEWIND_TEST_DATABASE_URL is set).
async fn fresh_database() -> String {
    match std::env::var("TRADEWIND_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            use sqlx::Connection;
            let name = format!(
                "tw_test_crash_{}_{}",
                std::process::id(),
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
            );
            let mut conn = sqlx::PgConnection::connect(&admin_url).await.expect("connect");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create db");
            let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_string()).expect("path");
            format!("{base}/{name}")
        }
        _ => String::new(),
    }
}

/// The served binary, on `port`, against `url`, with its data folder in `dir`.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(url: &str, dir: &std::path::Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let child = bin()
            .args(["serve", "--demo", "false", "--bind", &format!("127.0.0.1:{port}"), "--database-url", url])
            .arg("--data-dir")
            .arg(dir)
            .env("TRADEWIND_SIMULATED_BANK_SECRET", BANK_SECRET)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tradewind serve");
        // Owned from here: dropping it (also by a panic) kills the process and reaps it.
        let server = Server { child, base: format!("http://127.0.0.1:{port}") };
        let http = Client::new();
        for _ in 0..300 {
            if let Ok(r) = http.get(format!("{}/readyz", server.base)).send().await
                && r.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("tradewind serve did not become ready on {}", server.base);
    }

    /// SIGKILL: no shutdown, no flush, in-flight requests cut.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL the server");
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Pair {
    buyer: String,
    seller: String,
    seller_id: String,
}

/// Buyers and sellers, verified, each with an API token, straight through the store.
async fn companies(store: &Store) -> Vec<Pair> {
    let mut pairs = Vec::new();
    for i in 0..PAIRS {
        let mut made = Vec::new();
        for side in ["buyer", "seller"] {
            let email = format!("{side}{i}@crash.example");
            let form = RegistrationForm {
                legal_name: format!("Crash {side} {i} Ltd"),
                country: "DE".into(),
                registration_number: format!("CRASH-{side}-{i}"),
                street: "1 Harbour Road".into(),
                city: "Port Town".into(),
                postal_code: "12345".into(),
                contact_name: "Pat Lee".into(),
                contact_email: email.clone(),
                contact_phone: "+65 6000 0000".into(),
                lei: String::new(),
                roles: vec!["exporter".into(), "importer".into()],
            };
            let reg = form.validate().expect("valid registration");
            let (org, user) = store
                .register_organization(&reg, &NewUser { email, name: "Pat Lee".into(), password_hash: "x".into() })
                .await
                .expect("register");
            store.change_verification(&org.id, VerificationEvent::Verify, &Actor::system()).await.expect("verify");
            let token = tradewind_server::auth::new_secret("tw_");
            store.create_api_token(&user, "crash", &tradewind_server::auth::secret_hash(&token)).await.expect("token");
            made.push((org.id, token));
        }
        let (seller_id, seller) = made.pop().expect("seller");
        let (_, buyer) = made.pop().expect("buyer");
        pairs.push(Pair { buyer, seller, seller_id });
    }
    pairs
}

async fn post(http: &Client, base: &str, token: &str, path: &str, body: &Value, key: Option<&str>) -> Value {
    let mut r = http.post(format!("{base}{path}")).bearer_auth(token).json(body);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let res = r.send().await.expect("send");
    let status = res.status();
    let body: Value = res.json().await.expect("json");
    assert!(status.is_success(), "POST {path}: {status}: {body}");
    body
}

/// An agreed order between the pair's buyer and seller.
async fn agreed_order(http: &Client, base: &str, pair: &Pair) -> String {
    let today = time::OffsetDateTime::now_utc().date();
    let day = |d: i64| {
        let t = today + time::Duration::days(d);
        format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
    };
    let order = json!({
        "seller": pair.seller_id, "currency": "USD",
        "lines": [{"description": "Black pepper, 500 g/l", "hs_code": "090411", "quantity": "100",
            "unit": "KGM", "unit_price": "4.25"}],
        "incoterm": "FOB", "named_place": "VNSGN", "payment_terms": "escrow",
        "delivery_earliest": day(30), "delivery_latest": day(60)
    });
    let placed = post(http, base, &pair.buyer, "/api/v1/orders", &order, None).await;
    let id = placed["id"].as_str().expect("order id").to_string();
    for token in [&pair.seller, &pair.buyer] {
        post(http, base, token, &format!("/api/v1/orders/{id}/events"), &json!({"event": "accept"}), None).await;
    }
    id
}

/// The bank's callback for a payment, with a fixed event id per order so a retry is the same
/// event; `None` when the request did not get an answer.
async fn callback(http: &Client, base: &str, order: &str, payment: &Value) -> Option<String> {
    let body = serde_json::to_vec(&json!({
        "event_id": format!("crash-{order}"),
        "reference": payment["reference"],
        "outcome": "settled",
        "amount": payment["amount"],
        "booked_at": tradewind_store::now_text(),
    }))
    .expect("body");
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let sig = payment::sign(BANK_SECRET.as_bytes(), ts, &body);
    let res = http
        .post(format!("{base}/api/v1/payments/callbacks/simulated-bank"))
        .header("content-type", "application/json")
        .header(payment::TIMESTAMP_HEADER, ts.to_string())
        .header(payment::SIGNATURE_HEADER, sig)
        .body(body)
        .send()
        .await
        .ok()?;
    let status = res.status();
    let answer: Value = res.json().await.ok()?;
    assert!(status.is_success(), "callback for {order}: {status}: {answer}");
    answer["outcome"].as_str().map(str::to_string)
}

fn run_check(args: &[&str], url: &str) -> (bool, String) {
    let out = bin().args(args).args(["--database-url", url]).output().expect("run");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(store.pool()).await.expect(sql).try_get(0).expect("count")
}

async fn funded_orders(store: &Store) -> HashSet<String> {
    sqlx::query("SELECT order_id FROM ledger_entries WHERE kind = 'fund'")
        .fetch_all(store.pool())
        .await
        .expect("fund entries")
        .iter()
        .map(|r| r.try_get::<String, _>("order_id").expect("order_id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_between_debit_and_credit_the_ledger_still_balances() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = fresh_database().await;
    let url = if pg.is_empty() { format!("sqlite://{}", dir.path().join("crash.db").display()) } else { pg };
    let store = Store::connect(&url).await.expect("store");
    tradewind_server::ensure_reference_data(&store).await.expect("reference data");
    let pairs = companies(&store).await;
    let http = Client::new();

    let server = Server::start(&url, dir.path()).await;
    let base = server.base.clone();
    // Orders with a payment started: their callbacks will be in flight.
    let mut with_payment = Vec::new();
    for i in 0..CALLBACKS_IN_FLIGHT {
        let pair = &pairs[i % PAIRS];
        let id = agreed_order(&http, &base, pair).await;
        let key = format!("pay-{id}");
        let p = post(&http, &base, &pair.buyer, &format!("/api/v1/orders/{id}/payments"), &json!({}), Some(&key)).await;
        with_payment.push((id, i % PAIRS, p));
    }
    // Agreed orders: payment start and callback will be in flight.
    let mut agreed = Vec::new();
    for i in 0..PAYMENTS_IN_FLIGHT {
        agreed.push((agreed_order(&http, &base, &pairs[i % PAIRS]).await, i % PAIRS));
    }

    // Everything at once; the server dies once a few callbacks were answered.
    let (answered_tx, mut answered_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut flights = Vec::new();
    for (id, _, p) in &with_payment {
        let (http, base, id, p, tx) = (http.clone(), base.clone(), id.clone(), p.clone(), answered_tx.clone());
        flights.push(tokio::spawn(async move {
            let outcome = callback(&http, &base, &id, &p).await;
            let _ = tx.send(());
            (id, outcome)
        }));
    }
    for (id, pair) in &agreed {
        let (http, base, id, token, tx) =
            (http.clone(), base.clone(), id.clone(), pairs[*pair].buyer.clone(), answered_tx.clone());
        flights.push(tokio::spawn(async move {
            let key = format!("pay-{id}");
            let started = http
                .post(format!("{base}/api/v1/orders/{id}/payments"))
                .bearer_auth(&token)
                .header("Idempotency-Key", &key)
                .json(&json!({}))
                .send()
                .await;
            let outcome = match started {
                Ok(r) if r.status().is_success() => match r.json::<Value>().await {
                    Ok(p) => callback(&http, &base, &id, &p).await,
                    Err(_) => None,
                },
                _ => None,
            };
            let _ = tx.send(());
            (id, outcome)
        }));
    }
    for _ in 0..4 {
        answered_rx.recv().await;
    }
    server.kill();
    let mut first_answers: HashMap<String, Option<String>> = HashMap::new();
    for f in flights {
        let (id, outcome) = f.await.expect("flight");
        first_answers.insert(id, outcome);
    }
    let answered_settled: HashSet<&String> =
        first_answers.iter().filter(|(_, o)| o.as_deref() == Some("settled")).map(|(id, _)| id).collect();
    let total = CALLBACKS_IN_FLIGHT + PAYMENTS_IN_FLIGHT;
    assert!(answered_settled.len() < total, "the server died after every callback was answered; nothing was cut");

    // Back up on the same database: the books must be whole before anything is retried.
    let server = Server::start(&url, dir.path()).await;
    let base = server.base.clone();
    let (ok, out) = run_check(&["ledger", "check"], &url);
    assert!(ok && out.contains("ledger sound"), "{out}");
    let (ok, out) = run_check(&["audit", "verify"], &url);
    assert!(ok, "{out}");
    let funded_before = funded_orders(&store).await;
    println!(
        "killed with {} of {total} deals in flight answered settled; {} funded on restart, {} left for the retries",
        answered_settled.len(),
        funded_before.len(),
        total - funded_before.len()
    );
    assert!(funded_before.len() < total, "every deal was funded before the kill; nothing was cut");
    for id in &answered_settled {
        assert!(funded_before.contains(*id), "order {id} was answered settled but is not funded after the restart");
    }
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'fund'").await,
        funded_before.len() as i64,
        "an order has two fund entries"
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM orders WHERE status = 'funded'").await,
        funded_before.len() as i64,
        "funded orders and fund entries differ"
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM payments p JOIN ledger_entries e ON e.id = p.entry_id AND e.kind = 'fund'
             AND e.order_id = p.order_id WHERE p.status = 'settled'"
        )
        .await,
        funded_before.len() as i64,
        "a settled payment lacks its fund entry"
    );

    // The bank and the buyers retry: payment starts with their keys, callbacks with their
    // event ids. Only what was not funded yet is funded, and only once.
    let mut retried: Vec<(String, Value)> = with_payment.iter().map(|(id, _, p)| (id.clone(), p.clone())).collect();
    for (id, pair) in &agreed {
        let key = format!("pay-{id}");
        let p =
            post(&http, &base, &pairs[*pair].buyer, &format!("/api/v1/orders/{id}/payments"), &json!({}), Some(&key))
                .await;
        retried.push((id.clone(), p));
    }
    for (id, p) in &retried {
        let outcome = callback(&http, &base, id, p).await.expect("an answer after the restart");
        let expected = if funded_before.contains(id) { "already_processed" } else { "settled" };
        assert_eq!(outcome, expected, "order {id}");
        // A second retry changes nothing.
        assert_eq!(callback(&http, &base, id, p).await.as_deref(), Some("already_processed"));
    }
    assert_eq!(funded_orders(&store).await.len(), total);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'fund'").await, total as i64);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM payments WHERE status = 'settled'").await, total as i64);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM orders WHERE status = 'funded'").await, total as i64);
    let (ok, out) = run_check(&["ledger", "check"], &url);
    assert!(ok && out.contains("ledger sound"), "{out}");
    let (ok, out) = run_check(&["audit", "verify"], &url);
    assert!(ok, "{out}");
    drop(server);
    store.close().await;
    if let Ok(admin_url) = std::env::var("TRADEWIND_TEST_DATABASE_URL")
        && !admin_url.is_empty()
        && let Some((_, name)) = url.rsplit_once('/')
    {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin_url).await.expect("connect");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.expect("drop db");
    }
}
