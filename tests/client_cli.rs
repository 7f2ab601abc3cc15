//! `tradewind client` against a real server on a random port: a German buyer and a
//! Vietnamese seller take a quote to an order, pay into escrow through the simulated bank,
//! ship, deliver and release, and the operator pays the seller out in a pain.001 file; every
//! step runs through the built binary only, and refusals print the server's problem.

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Command;
#[path = "support/server.rs"]
mod support;

use support::start_server;

const PASSWORD: &str = "a long enough password";
const OPERATOR_EMAIL: &str = "operator@cli.example";

/// A browser-like session for the setup the command line does not cover (sign-up,
/// verification, the RFQ and the quote).
struct Session {
    base: String,
    http: reqwest::Client,
    csrf: String,
}

impl Session {
    async fn login(base: &str, email: &str) -> Session {
        let http = reqwest::Client::builder().cookie_store(true).build().expect("client");
        let res = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.expect("json");
        Session { base: base.into(), http, csrf: body["csrf_token"].as_str().expect("csrf").into() }
    }

    async fn post(&self, path: &str, body: &Value, status: StatusCode) -> Value {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .await
            .expect("send");
        let got = res.status();
        let body: Value = res.json().await.expect("json");
        assert_eq!(got, status, "{path}: {body}");
        body
    }
}

/// Signs a company up; returns its id.
async fn register(base: &str, name: &str, country: &str, email: &str) -> String {
    let body = json!({
        "legal_name": name, "country": country, "registration_number": format!("R-{country}"),
        "address": {"street": "1 Harbour Road", "city": "Port Town", "postal_code": "12345"},
        "contact": {"name": "Pat Lee", "email": email, "phone": "+65 6000 0000"},
        "lei": null, "roles": ["exporter"],
        "admin": {"name": "Pat Lee", "email": email, "password": PASSWORD}
    });
    let res =
        reqwest::Client::new().post(format!("{base}/api/v1/registrations")).json(&body).send().await.expect("send");
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    body["organization"]["id"].as_str().expect("org id").to_string()
}

fn in_days(d: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(d)).to_string()
}

/// What one run of the binary printed.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ok={}\n--- stdout\n{}--- stderr\n{}", self.ok, self.stdout, self.stderr)
    }
}

/// Runs `tradewind client ARGS` against the server, as the holder of `token` (if any), with
/// `password` in TRADEWIND_PASSWORD (if any).
async fn cli(server: &str, token: Option<&str>, password: Option<&str>, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tradewind"));
    cmd.arg("client").args(args).env("TRADEWIND_SERVER", server);
    cmd.env_remove("TRADEWIND_TOKEN").env_remove("TRADEWIND_PASSWORD").env_remove("TRADEWIND_CONFIG");
    if let Some(t) = token {
        cmd.env("TRADEWIND_TOKEN", t);
    }
    if let Some(p) = password {
        cmd.env("TRADEWIND_PASSWORD", p);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run tradewind")).await.expect("join");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A step that must succeed; its standard output.
async fn ok(server: &str, token: &str, args: &[&str]) -> String {
    let r = cli(server, Some(token), None, args).await;
    assert!(r.ok, "{args:?} failed: {r:?}");
    assert!(!r.stdout.contains(token), "{args:?} printed the token");
    r.stdout
}

/// A step that must be refused: non-zero exit, an `error:` line, no panic; its stderr.
async fn refused(server: &str, token: Option<&str>, args: &[&str]) -> String {
    let r = cli(server, token, None, args).await;
    assert!(!r.ok, "{args:?} should have failed: {r:?}");
    assert!(r.stderr.starts_with("error: "), "{args:?}: {r:?}");
    assert!(!r.stderr.contains("panicked") && !r.stderr.contains("RUST_BACKTRACE"), "{r:?}");
    if let Some(t) = token {
        assert!(!r.stderr.contains(t) && !r.stdout.contains(t), "{args:?} printed the token");
    }
    r.stderr
}

/// Logs in through the command line; the token from its export line.
async fn login(server: &str, email: &str) -> String {
    let r = cli(server, None, Some(PASSWORD), &["login", "--email", email]).await;
    assert!(r.ok, "login {email}: {r:?}");
    assert!(r.stdout.contains(&format!("Logged in as {email}")), "{r:?}");
    assert!(!r.stdout.contains(PASSWORD) && !r.stderr.contains(PASSWORD), "the password was printed");
    let line = r.stdout.lines().find(|l| l.starts_with("export TRADEWIND_TOKEN=")).expect("export line");
    let token = line.trim_start_matches("export TRADEWIND_TOKEN=").to_string();
    assert!(token.starts_with("tw_"), "{line}");
    token
}

/// The value of a `Key  value` line.
fn field<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(key).filter(|rest| rest.starts_with("  ")).map(str::trim))
        .unwrap_or_else(|| panic!("no {key} line in:\n{out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_and_a_seller_take_a_quote_to_payout_through_the_command_line() {
    let server = start_server(OPERATOR_EMAIL, PASSWORD).await;
    let s = server.base.as_str();
    let buyer_org = register(s, "Hanse Kaffee GmbH", "DE", "buyer@cli.example").await;
    let seller_org = register(s, "Saigon Beans Co Ltd", "VN", "seller@cli.example").await;
    let operator = Session::login(s, OPERATOR_EMAIL).await;
    operator.post(&format!("/api/v1/operator/organizations/{seller_org}/verify"), &json!({}), StatusCode::OK).await;
    // The RFQ and the quote on it, set up through the API.
    let buyer_web = Session::login(s, "buyer@cli.example").await;
    let rfq = json!({"side": "buy", "title": "Robusta green coffee beans", "description": "Grade 1 robusta, 60 kg jute bags",
        "hs_code": "090111", "quantity": "19200", "unit": "KGM", "target_price": "2.10", "currency": "USD",
        "country": "DE", "port": "DEHAM", "incoterm": "CIF", "needed_by": in_days(90), "expires_on": in_days(30)});
    let lead = buyer_web.post("/api/v1/leads", &rfq, StatusCode::CREATED).await;
    let seller_web = Session::login(s, "seller@cli.example").await;
    let quote = json!({"unit_price": "2.08", "currency": "USD", "incoterm": "CIF", "named_place": "DEHAM",
        "valid_until": in_days(20), "lead_time_days": 35, "payment_terms": "escrow"});
    let q = seller_web
        .post(&format!("/api/v1/rfqs/{}/quotes", lead["id"].as_str().expect("lead id")), &quote, StatusCode::CREATED)
        .await;
    let quote_id = q["id"].as_str().expect("quote id");

    // Without a token, or with a wrong password, nothing happens and the reason is printed.
    let e = refused(s, None, &["orders", "list"]).await;
    assert!(e.contains("no API token"), "{e}");
    let r = cli(s, None, Some("not the password"), &["login", "--email", "buyer@cli.example"]).await;
    assert!(!r.ok && r.stderr.contains("the e-mail or password is wrong"), "{r:?}");
    assert!(!r.stderr.contains("not the password"), "{r:?}");
    let e = refused(s, Some("tw_not_a_token"), &["orders", "list"]).await;
    assert!(e.contains("401") && e.contains("login"), "{e}");

    let buyer = login(s, "buyer@cli.example").await;
    let seller = login(s, "seller@cli.example").await;
    let op = login(s, OPERATOR_EMAIL).await;

    // Quote → order, accepted by both sides.
    let out = ok(s, &buyer, &["quotes", "accept", quote_id]).await;
    assert_eq!(field(&out, "status"), "accepted", "{out}");
    assert!(out.contains(&format!("orders from-quote {quote_id}")), "{out}");
    let out = ok(s, &buyer, &["orders", "from-quote", quote_id]).await;
    let id = field(&out, "Order").to_string();
    assert_eq!(field(&out, "Status"), "draft (buyer not yet, seller not yet)", "{out}");
    assert_eq!(field(&out, "Total"), "39936.00 USD", "{out}");
    assert_eq!(field(&out, "Seller"), seller_org, "{out}");
    assert_eq!(field(&out, "Terms"), "CIF DEHAM, payment escrow", "{out}");
    assert!(out.contains("HS 090111  19200 KGM × 2.08 USD"), "{out}");
    let out = ok(s, &buyer, &["orders", "accept", &id]).await;
    assert_eq!(field(&out, "Status"), "draft (buyer accepted, seller not yet)", "{out}");
    let out = ok(s, &seller, &["orders", "accept", &id]).await;
    assert_eq!(field(&out, "Status"), "agreed", "{out}");
    assert_eq!(field(&out, "Your side"), "seller", "{out}");
    // --json is the server's own answer.
    let j: Value = serde_json::from_str(&ok(s, &seller, &["--json", "orders", "show", &id]).await).expect("json");
    assert_eq!(j["status"]["status"], "agreed");
    assert_eq!(j["terms"]["buyer"], buyer_org.as_str());
    // Another company (here the operator's account) does not see the order.
    let e = refused(s, Some(&op), &["orders", "show", &id]).await;
    assert!(e.contains("not found (404)"), "{e}");

    // Paying: instructions with the escrow IBAN and reference; a retry with the key is the
    // same payment.
    let out = ok(s, &buyer, &["orders", "pay", &id]).await;
    assert_eq!(field(&out, "Amount"), "39936.00 USD", "{out}");
    let reference = field(&out, "Reference").to_string();
    assert!(reference.starts_with("RF"), "{out}");
    assert!(!field(&out, "IBAN").is_empty(), "{out}");
    let key = field(&out, "Idempotency-Key").to_string();
    let again = ok(s, &buyer, &["orders", "pay", &id, "--key", &key]).await;
    assert_eq!(field(&again, "Reference"), reference, "{again}");
    assert!(again.contains("the answer to the earlier request with this key"), "{again}");
    let out = ok(s, &buyer, &["orders", "transfer", &id]).await;
    assert!(out.contains(&format!("Transferred 39936.00 USD with reference {reference}")), "{out}");
    assert!(out.contains(&format!("order {id} is funded")), "{out}");
    let out = ok(s, &seller, &["orders", "payments", &id]).await;
    assert_eq!((field(&out, "Status"), field(&out, "Reference")), ("settled", reference.as_str()), "{out}");

    // The seller cannot release the buyer's money; the problem's detail is printed.
    let e = refused(s, Some(&seller), &["orders", "release", &id]).await;
    assert_eq!(e, "error: only the buyer can release this order (409)\n");
    let out = ok(s, &seller, &["orders", "ship", &id]).await;
    assert_eq!(field(&out, "Status"), "shipped", "{out}");
    let out = ok(s, &buyer, &["orders", "confirm-delivery", &id]).await;
    assert_eq!(field(&out, "Status"), "delivered", "{out}");
    let out = ok(s, &buyer, &["orders", "release", &id]).await;
    assert!(out.contains(&format!("order {id} is completed")), "{out}");
    assert!(out.contains(&format!("seller payable ({seller_org})")), "{out}");
    assert!(out.contains("39137.28 USD"), "the seller is owed the total minus 2%: {out}");
    let out = ok(s, &buyer, &["orders", "ledger", &id]).await;
    assert!(out.contains("Books balance: yes"), "{out}");
    assert!(out.contains("798.72 USD  platform fees"), "the platform kept 2%: {out}");
    let out = ok(s, &seller, &["orders", "list"]).await;
    let row = out.lines().find(|l| l.starts_with(&id)).unwrap_or_else(|| panic!("{id} listed in {out}"));
    assert!(row.contains("completed") && row.contains("seller") && row.contains(&buyer_org), "{row}");

    // The seller's payout account: a bad IBAN is refused field by field, a good one kept.
    let e =
        refused(s, Some(&seller), &["bank-account", "set", "--holder", "Saigon Beans", "--iban", "VN12 3456"]).await;
    assert!(e.contains("(422)") && e.contains("\n  iban: "), "{e}");
    let out = ok(
        s,
        &seller,
        &[
            "bank-account",
            "set",
            "--holder",
            "Saigon Beans Co Ltd",
            "--iban",
            "GB29 NWBK 6016 1331 9268 19",
            "--bic",
            "NWBKGB2L",
        ],
    )
    .await;
    assert_eq!(field(&out, "IBAN"), "GB29NWBK60161331926819", "{out}");
    let out = ok(s, &seller, &["bank-account", "show"]).await;
    assert_eq!(field(&out, "Holder"), "Saigon Beans Co Ltd", "{out}");

    // The operator pays out and downloads the pain.001 file; companies cannot.
    refused(s, Some(&seller), &["payouts", "run"]).await;
    let out = ok(s, &op, &["payouts", "run"]).await;
    assert!(out.contains("1 payout file(s) written"), "{out}");
    assert!(out.contains("39137.28 USD"), "{out}");
    let list = ok(s, &op, &["payouts", "list"]).await;
    let file_id = list.lines().nth(1).and_then(|l| l.split_whitespace().next()).expect("a payout file").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let xml_path = dir.path().join("payout.xml");
    let xml_arg = xml_path.to_string_lossy().into_owned();
    ok(s, &op, &["payouts", "download", &file_id, "-o", &xml_arg]).await;
    let xml = std::fs::read_to_string(&xml_path).expect("the file was written");
    for needle in ["pain.001.001.03", "<CstmrCdtTrfInitn>", "GB29NWBK60161331926819", "39137.28", &id] {
        assert!(xml.contains(needle), "{needle} in {xml}");
    }
    let out = ok(s, &op, &["reconciliation"]).await;
    assert_eq!(field(&out, "Clean"), "yes", "{out}");
    assert_eq!(field(&out, "Matched"), "1", "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_purchase_order_is_placed_and_cancelled_through_the_command_line() {
    let server = start_server(OPERATOR_EMAIL, PASSWORD).await;
    let s = server.base.as_str();
    register(s, "Hanse Kaffee GmbH", "DE", "buyer@cli.example").await;
    let seller_org = register(s, "Pepper House", "VN", "seller@cli.example").await;
    Session::login(s, OPERATOR_EMAIL)
        .await
        .post(&format!("/api/v1/operator/organizations/{seller_org}/verify"), &json!({}), StatusCode::OK)
        .await;
    let buyer = login(s, "buyer@cli.example").await;
    let (from, to) = (in_days(30), in_days(60));
    let mut args = vec!["orders", "create", "--seller", &seller_org, "--currency", "USD"];
    args.extend(["--line", "Black pepper, 500 g/l|090411|100|KGM|4.25", "--line", "White pepper|090411|10|KGM|6.10"]);
    args.extend(["--incoterm", "FOB", "--place", "VNSGN", "--deliver-from", &from, "--deliver-to", &to]);
    let out = ok(s, &buyer, &args).await;
    assert_eq!(field(&out, "Total"), "486.00 USD", "{out}");
    assert_eq!(field(&out, "Delivery"), format!("{from} to {to}"), "{out}");
    assert_eq!(field(&out, "Next"), "accept, cancel", "{out}");
    let id = field(&out, "Order").to_string();

    // A wrong line is refused before anything is sent; a bad HS code by the server.
    let mut bad = args.clone();
    bad[7] = "pepper|090411|100";
    let e = refused(s, Some(&buyer), &bad).await;
    assert!(e.contains("5 parts, 3 given"), "{e}");
    let mut bad = args.clone();
    bad[7] = "Pepper|999999|1|KGM|1.00";
    let e = refused(s, Some(&buyer), &bad).await;
    assert!(e.contains("lines[0].hs_code: "), "{e}");

    // A revision of the draft keeps what it does not change.
    let later = in_days(75);
    let out = ok(s, &buyer, &["orders", "amend", &id, "--deliver-to", &later, "--incoterm", "FCA"]).await;
    assert!(out.starts_with("Draft revised"), "{out}");
    assert_eq!(field(&out, "Version"), "2", "{out}");
    assert_eq!(field(&out, "Delivery"), format!("{from} to {later}"), "{out}");
    assert_eq!(field(&out, "Terms"), "FCA VNSGN, payment escrow", "{out}");
    assert_eq!(field(&out, "Total"), "486.00 USD", "{out}");
    let e = refused(s, Some(&buyer), &["orders", "amend", &id, "--deliver-from", "someday"]).await;
    assert!(e.contains("delivery_earliest: "), "{e}");

    // No payout account yet: said so, with the command that sets one.
    let e = refused(s, Some(&buyer), &["bank-account", "show"]).await;
    assert!(e.contains("not given a bank account yet") && e.contains("bank-account set"), "{e}");

    let out = ok(s, &buyer, &["orders", "cancel", &id]).await;
    assert_eq!(field(&out, "Status"), "cancelled", "{out}");
    assert_eq!(field(&out, "Next"), "nothing (closed)", "{out}");
    // Paying a cancelled order is refused with the server's reason.
    let e = refused(s, Some(&buyer), &["orders", "pay", &id]).await;
    assert!(e.contains("(409)"), "{e}");
    let e = refused(s, Some(&buyer), &["orders", "transfer", &id]).await;
    assert!(e.contains("no payment is waiting"), "{e}");

    // A funded order in dispute: the operator decides, the order says so.
    let out = ok(s, &buyer, &args).await;
    let id = field(&out, "Order").to_string();
    let seller = login(s, "seller@cli.example").await;
    ok(s, &buyer, &["orders", "accept", &id]).await;
    ok(s, &seller, &["orders", "accept", &id]).await;
    ok(s, &buyer, &["orders", "pay", &id]).await;
    ok(s, &buyer, &["orders", "transfer", &id]).await;
    let out = ok(s, &buyer, &["orders", "dispute", &id, "--reason", "the pepper is the wrong grade"]).await;
    assert!(out.starts_with("Dispute opened"), "{out}");
    let out = ok(s, &seller, &["orders", "show", &id]).await;
    assert_eq!(field(&out, "Status"), "disputed (while funded)", "{out}");
    let e = refused(s, Some(&seller), &["orders", "ship", &id]).await;
    assert!(e.contains("(409)"), "{e}");
}
