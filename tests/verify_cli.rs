//! `tradewind verify` and `tradewind disclose` through the built binary: the official
//! OpenAttestation fixtures (intact, tampered, and issued on a blockchain tradewind does not
//! read); then a real server on a random port issues an invoice whose verifiable document
//! the command line verifies over HTTP (the issuer's did:web and the node's registry),
//! shares with the total hidden, answers as JSON, and fails once the issuer revoked it.

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
#[path = "support/server.rs"]
mod support;

use support::start_server;

const PASSWORD: &str = "a long enough password";
const OPERATOR_EMAIL: &str = "operator@verify.example";
const SELLER: &str = "Pepper House JSC";
const SELLER_EMAIL: &str = "lan@pepperhouse.example";
const BUYER_EMAIL: &str = "jonas@hansekaffee.example";
const REASON: &str = "Superseded by version 2 after a price correction";

/// What one run of the binary printed, and how it exited.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit={:?}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

impl Run {
    /// The lines that start with `mark` (`PASS:` or `FAIL:`).
    fn marked(&self, mark: &str) -> usize {
        self.stdout.lines().filter(|l| l.starts_with(mark)).count()
    }
}

fn tradewind(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_tradewind"))
        .args(args)
        .env_remove("TRADEWIND_SERVER")
        .env_remove("TRADEWIND_TOKEN")
        .env_remove("TRADEWIND_CONFIG")
        // The node runs on this machine: never send its addresses through a proxy.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .expect("run tradewind");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The binary run off the async runtime, so that the server in this process can answer it.
async fn tradewind_async(args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || tradewind(&args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .expect("join")
}

/// The official OpenAttestation v2 fixtures beside the repository; `None` (with the reason
/// printed) when absent.
fn fixtures() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/standards/openattestation/v2");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipping: {} is absent", p.display());
        None
    }
}

#[test]
fn the_official_fixtures_verify_fail_when_tampered_and_a_blockchain_issuer_is_named() {
    let Some(dir) = fixtures() else { return };
    let path = |f: &str| dir.join(f).display().to_string();

    let r = tradewind(&["verify", &path("valid/oa-not-obfuscated-wrapped.json"), "--integrity-only"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.marked("PASS:"), 1, "integrity alone is one check: {r:?}");
    assert!(r.stdout.lines().any(|l| l == "verified"), "{r:?}");

    // Every official fixture: the valid ones are intact, the tampered ones are not.
    for (folder, intact) in [("valid", true), ("tampered", false)] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(folder))
            .expect("fixture folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no fixtures in {folder}");
        for file in files {
            let r = tradewind(&["verify", &file.display().to_string(), "--integrity-only"]);
            let name = file.display();
            assert!(!r.stderr.contains("panicked"), "{name}: {r:?}");
            if intact {
                assert_eq!(r.code, Some(0), "{name}: {r:?}");
            } else {
                assert_eq!(r.code, Some(1), "{name}: {r:?}");
                assert!(r.stdout.starts_with("FAIL:"), "{name}: {r:?}");
                assert!(r.stdout.contains("NOT verified"), "{name}: {r:?}");
            }
        }
    }

    // Issued through an Ethereum document store: intact, but its issuer cannot be confirmed
    // here, and the answer says why.
    let r = tradewind(&["verify", &path("valid/oaverify-documentSepoliaValidWithDocumentStore.json")]);
    assert_ne!(r.code, Some(0), "{r:?}");
    assert!(r.stdout.starts_with("PASS:"), "integrity passes: {r:?}");
    assert!(r.stdout.contains("FAIL") && r.stdout.contains("blockchain"), "{r:?}");

    // The same answers as JSON.
    let r = tradewind(&["verify", &path("valid/oa-not-obfuscated-wrapped.json"), "--integrity-only", "--json"]);
    assert_eq!(r.code, Some(0), "{r:?}");
    let v: Value = serde_json::from_str(&r.stdout).expect("JSON answer");
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["intact"]["ok"], true, "{v}");
    assert!(v["issuer"].is_null() && v["status"].is_null(), "integrity alone: {v}");
}

#[test]
fn a_file_that_is_not_a_document_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("invoice.json");
    std::fs::write(&file, br#"{"invoice": 1}"#).expect("write");
    let r = tradewind(&["verify", &file.display().to_string()]);
    assert_ne!(r.code, Some(0), "{r:?}");
    assert!(r.stderr.contains("not a verifiable document"), "{r:?}");
    let missing = dir.path().join("absent.tt").display().to_string();
    let r = tradewind(&["verify", &missing]);
    assert_ne!(r.code, Some(0), "{r:?}");
    assert!(r.stderr.contains("cannot read"), "{r:?}");
}

/// A logged-in API session for the setup.
struct Session {
    base: String,
    http: reqwest::Client,
    csrf: String,
}

impl Session {
    async fn login(base: &str, email: &str) -> Session {
        let http = reqwest::Client::builder().cookie_store(true).no_proxy().build().expect("client");
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

    async fn get_bytes(&self, path: &str) -> Vec<u8> {
        let res = self.http.get(format!("{}{path}", self.base)).send().await.expect("send");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.bytes().await.expect("body").to_vec()
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
    let http = reqwest::Client::builder().no_proxy().build().expect("client");
    let res = http.post(format!("{base}/api/v1/registrations")).json(&body).send().await.expect("send");
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    body["organization"]["id"].as_str().expect("org id").to_string()
}

fn in_days(d: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(d)).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issued_invoice_verifies_from_the_command_line_until_it_is_revoked() {
    let server = start_server(OPERATOR_EMAIL, PASSWORD).await;
    let s = server.base.as_str();
    let buyer_org = register(s, "Hanse Kaffee GmbH", "DE", BUYER_EMAIL).await;
    let seller_org = register(s, SELLER, "VN", SELLER_EMAIL).await;
    assert_ne!(buyer_org, seller_org);
    let operator = Session::login(s, OPERATOR_EMAIL).await;
    operator.post(&format!("/api/v1/operator/organizations/{seller_org}/verify"), &json!({}), StatusCode::OK).await;
    let buyer = Session::login(s, BUYER_EMAIL).await;
    let seller = Session::login(s, SELLER_EMAIL).await;
    let po = json!({
        "seller": seller_org, "currency": "USD",
        "lines": [{"description": "Black pepper, 500 g/l", "hs_code": "090411", "quantity": "100",
            "unit": "KGM", "unit_price": "4.25"}],
        "incoterm": "FOB", "named_place": "VNSGN", "payment_terms": "escrow",
        "delivery_earliest": in_days(30), "delivery_latest": in_days(60)
    });
    let order = buyer.post("/api/v1/orders", &po, StatusCode::CREATED).await;
    let order = order["id"].as_str().expect("order id").to_string();
    for who in [&buyer, &seller] {
        who.post(&format!("/api/v1/orders/{order}/events"), &json!({"event": "accept"}), StatusCode::OK).await;
    }
    let invoice = seller
        .post(&format!("/api/v1/orders/{order}/documents/commercial-invoice"), &json!({}), StatusCode::CREATED)
        .await;
    let ubl = invoice["id"].as_str().expect("document id");
    let signed = seller
        .post(&format!("/api/v1/orders/{order}/documents/{ubl}/verifiable"), &json!({}), StatusCode::CREATED)
        .await;
    let fingerprint = signed["fingerprint"].as_str().expect("fingerprint").to_string();

    // The signed file as its issuer downloads it.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("invoice.tt");
    std::fs::write(&file, seller.get_bytes(&format!("/api/v1/verifiable/{fingerprint}")).await).expect("write");
    let file = file.display().to_string();

    // Three answers, each fetched from the node over HTTP: its did:web and its registry.
    let r = tradewind_async(&["verify", &file]).await;
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.marked("PASS:"), 3, "{r:?}");
    assert_eq!(r.marked("FAIL:"), 0, "{r:?}");
    assert!(r.stdout.contains(SELLER), "the issuer is named: {r:?}");
    assert!(r.stdout.lines().any(|l| l == "verified"), "{r:?}");

    // The same as JSON.
    let r = tradewind_async(&["verify", &file, "--json"]).await;
    assert_eq!(r.code, Some(0), "{r:?}");
    let v: Value = serde_json::from_str(&r.stdout).expect("JSON answer");
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["fingerprint"], fingerprint.as_str(), "{v}");
    for check in ["intact", "issuer", "status"] {
        assert_eq!(v[check]["ok"], true, "{check}: {v}");
    }

    // The holder hides the total before passing the file on: it still verifies, and the
    // total's salted value is gone from it.
    let shared = dir.path().join("shared.tt").display().to_string();
    let r = tradewind_async(&["disclose", &file, "--hide", "summary.total", "--out", &shared]).await;
    assert_eq!(r.code, Some(0), "{r:?}");
    let original: Value = serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
    let total = original.pointer("/data/summary/total/amount").and_then(Value::as_str).expect("salted total");
    let shared_text = std::fs::read_to_string(&shared).expect("shared file");
    assert!(!shared_text.contains(total), "the hidden total is still in the shared file");
    let shared_doc: Value = serde_json::from_str(&shared_text).expect("json");
    assert!(shared_doc.pointer("/data/summary/total").is_none());
    let r = tradewind_async(&["verify", &shared]).await;
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.marked("PASS:"), 3, "{r:?}");

    // A field the document does not have is refused, and nothing is written.
    let nowhere = dir.path().join("nowhere.tt");
    let r =
        tradewind_async(&["disclose", &file, "--hide", "no.such.field", "--out", &nowhere.display().to_string()]).await;
    assert_ne!(r.code, Some(0), "{r:?}");
    assert!(r.stderr.contains("no.such.field"), "{r:?}");
    assert!(!nowhere.exists());

    // The issuer revokes it: still intact, no longer standing, and the reason is printed.
    seller.post(&format!("/api/v1/verifiable/{fingerprint}/revoke"), &json!({"reason": REASON}), StatusCode::OK).await;
    let r = tradewind_async(&["verify", &file]).await;
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.starts_with("PASS:"), "still intact: {r:?}");
    assert_eq!(r.marked("FAIL:"), 1, "{r:?}");
    assert!(r.stdout.contains(REASON), "{r:?}");
    assert!(r.stdout.contains("NOT verified"), "{r:?}");
    let r = tradewind_async(&["verify", &file, "--json"]).await;
    assert_eq!(r.code, Some(1), "{r:?}");
    let v: Value = serde_json::from_str(&r.stdout).expect("JSON answer");
    assert_eq!(v["verified"], false, "{v}");
    assert_eq!(v["status"]["ok"], false, "{v}");
    assert_eq!(v["status"]["revocation_reason"], REASON, "{v}");
    // The shared copy has the same fingerprint, so it is revoked too.
    let r = tradewind_async(&["verify", &shared]).await;
    assert_eq!(r.code, Some(1), "{r:?}");
    // Integrity alone still passes.
    let r = tradewind_async(&["verify", &file, "--integrity-only"]).await;
    assert_eq!(r.code, Some(0), "{r:?}");
}
