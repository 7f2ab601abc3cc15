//! `tradewind customs` (offline) and `tradewind client customs` against a real server on a
//! random port: the landed cost of the example shipment, refusals naming what is wrong, and a
//! German importer's declaration taken from lodgement through the red lane, inspection, duty
//! payment and quarantine approval to release, then re-exported and drawback claimed, every
//! party acting through the built binary.

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
#[path = "support/server.rs"]
mod support;

use support::start_server;

const PASSWORD: &str = "a long enough password";
const OPERATOR_EMAIL: &str = "operator@customs-cli.example";

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/customs").join(name)
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

fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tradewind"));
    cmd.args(args);
    cmd.env_remove("TRADEWIND_TOKEN").env_remove("TRADEWIND_PASSWORD").env_remove("TRADEWIND_CONFIG");
    cmd.env_remove("TRADEWIND_DATABASE_URL").env_remove("RUST_BACKTRACE").env("RUST_LOG", "error");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run tradewind");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn the_example_shipment_costs_what_the_german_tariff_says() {
    let r = run(&["customs", "landed-cost", &example("shipment.json").display().to_string()], &[]);
    assert!(r.ok, "{r:?}");
    // Demo rates: EUR 1 = USD 1.16. Germany values CIF and the price is FOB, so freight is added:
    //   goods    1,000.00 / 1.16 = 862.07
    //   freight    120.00 / 1.16 = 103.45
    //   customs value 862.07 + 103.45 = 965.52
    //   duty 12 % (CN 6109 10 00, MFN) of 965.52 = 115.8624 → 115.86
    //   import VAT base 965.52 + 115.86 = 1,081.38; 19 % = 205.4622 → 205.46
    //   total 115.86 + 205.46 = 321.32
    for line in ["Customs value (CIF)", "EUR 965.52", "EUR 115.86", "EUR 1,081.38", "EUR 205.46"] {
        assert!(r.stdout.contains(line), "missing {line}: {r:?}");
    }
    assert!(r.stdout.ends_with("Total duties and taxes: EUR 321.32\n"), "{r:?}");
    let j = run(&["customs", "landed-cost", &example("shipment.json").display().to_string(), "--json"], &[]);
    let v: Value = serde_json::from_str(&j.stdout).expect("json");
    assert_eq!(v["total_duties_and_taxes"], json!({"amount": "321.32", "currency": "EUR"}));

    let line = run(&["customs", "tariff", "DE", "--hs", "610910", "--date", "2026-11-26"], &[]);
    assert!(line.ok && line.stdout.contains("MFN          12%"), "{line:?}");
    assert!(line.stdout.contains("EUJEPA   0%"), "{line:?}");
    let origin = run(&["customs", "origin", &example("bom.json").display().to_string(), "--agreement", "EUSFTA"], &[]);
    assert!(origin.ok && origin.stdout.contains("EUSFTA: originating"), "{origin:?}");
}

#[test]
fn an_unknown_hs_code_and_a_broken_tariff_file_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shipment = std::fs::read_to_string(example("shipment.json")).expect("example").replace("610910", "010619");
    let path = dir.path().join("shipment.json");
    std::fs::write(&path, shipment).expect("write");
    let r = run(&["customs", "landed-cost", &path.display().to_string()], &[]);
    assert!(!r.ok, "{r:?}");
    assert!(r.stderr.contains("010619 is not in the tariff of DE"), "{r:?}");

    let tariff =
        include_str!("../crates/domain/data/tariffs/de.toml").replace(r#"percent = "12" }"#, r#"percent = "-12" }"#);
    let broken = dir.path().join("de.toml");
    std::fs::write(&broken, tariff).expect("write");
    let data = dir.path().join("data");
    let r = run(&["--data-dir", &data.display().to_string(), "import", "tariff", &broken.display().to_string()], &[]);
    assert!(!r.ok, "{r:?}");
    assert!(r.stderr.contains("  line[610910].mfn.percent: "), "{r:?}");
    assert!(!r.stderr.contains("panicked") && !r.stderr.contains("backtrace"), "{r:?}");
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/domain/data/tariffs/de.toml");
    let r = run(&["--data-dir", &data.display().to_string(), "import", "tariff", &good.display().to_string()], &[]);
    assert!(r.ok && r.stdout.contains("imported the tariff schedule of DE"), "{r:?}");
}

/// A browser-like session for the setup the command line does not cover.
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

    async fn verify(&self, org: &str) {
        let res = self
            .http
            .post(format!("{}/api/v1/operator/organizations/{org}/verify", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(&json!({}))
            .send()
            .await
            .expect("verify");
        assert_eq!(res.status(), StatusCode::OK, "verify {org}");
    }

    async fn put_text(&self, path: &str, text: &str) {
        let res = self
            .http
            .put(format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .header("content-type", "text/plain")
            .body(text.to_string())
            .send()
            .await
            .expect("put");
        let status = res.status();
        assert_eq!(status, StatusCode::NO_CONTENT, "{path}: {}", res.text().await.unwrap_or_default());
    }
}

/// Signs a company up with its roles; returns its id.
async fn register(base: &str, name: &str, email: &str, roles: &[&str]) -> String {
    let body = json!({
        "legal_name": name, "country": "DE", "registration_number": format!("HRB {}", email.len() * 1000 + name.len()),
        "address": {"street": "Am Sandtorkai 1", "city": "Hamburg", "postal_code": "20457"},
        "contact": {"name": "Kim Berg", "email": email, "phone": "+49 40 000000"},
        "lei": null, "roles": roles,
        "admin": {"name": "Kim Berg", "email": email, "password": PASSWORD}
    });
    let res =
        reqwest::Client::new().post(format!("{base}/api/v1/registrations")).json(&body).send().await.expect("send");
    let status = res.status();
    let body: Value = res.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
    body["organization"]["id"].as_str().expect("org id").to_string()
}

async fn cli(server: &str, token: Option<&str>, password: Option<&str>, args: &[&str]) -> Run {
    let mut all = vec!["client"];
    all.extend_from_slice(args);
    let all: Vec<String> = all.into_iter().map(str::to_string).collect();
    let mut env = vec![("TRADEWIND_SERVER".to_string(), server.to_string())];
    if let Some(t) = token {
        env.push(("TRADEWIND_TOKEN".into(), t.into()));
    }
    if let Some(p) = password {
        env.push(("TRADEWIND_PASSWORD".into(), p.into()));
    }
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = all.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run(&args, &env)
    })
    .await
    .expect("join")
}

async fn ok(server: &str, token: &str, args: &[&str]) -> String {
    let r = cli(server, Some(token), None, args).await;
    assert!(r.ok, "{args:?} failed: {r:?}");
    r.stdout
}

async fn login(server: &str, email: &str) -> String {
    let r = cli(server, None, Some(PASSWORD), &["login", "--email", email]).await;
    assert!(r.ok, "login {email}: {r:?}");
    let line = r.stdout.lines().find(|l| l.starts_with("export TRADEWIND_TOKEN=")).expect("export line");
    line.trim_start_matches("export TRADEWIND_TOKEN=").to_string()
}

/// The value of a `Key  value` line.
fn field<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(key).filter(|rest| rest.starts_with("  ")).map(str::trim))
        .unwrap_or_else(|| panic!("no {key} line in:\n{out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declaration_goes_from_lodgement_to_release_and_drawback_through_the_command_line() {
    let server = start_server(OPERATOR_EMAIL, PASSWORD).await;
    let s = server.base.as_str();
    let importer = register(s, "Rhein Moebel GmbH", "trade@rheinmoebel.example", &["importer", "exporter"]).await;
    let customs = register(s, "Hauptzollamt Hamburg", "zoll@hza.example", &["customs_authority"]).await;
    let inspection =
        register(s, "Zollkontrolle Waltershof", "kontrolle@hza.example", &["other_government_agency"]).await;
    let quarantine =
        register(s, "Pflanzenschutzdienst Hamburg", "psd@hamburg.example", &["other_government_agency"]).await;
    let carrier = register(s, "Nordsee Linien GmbH", "ops@nordsee.example", &["carrier_or_forwarder"]).await;
    let operator = Session::login(s, OPERATOR_EMAIL).await;
    for org in [&importer, &customs, &inspection, &quarantine, &carrier] {
        operator.verify(org).await;
    }
    // The officer's risk profile sends high-value wooden furniture to the red lane.
    let officer_web = Session::login(s, "zoll@hza.example").await;
    officer_web
        .put_text("/api/v1/customs/risk-profile", &std::fs::read_to_string(example("risk-profile.toml")).expect("toml"))
        .await;

    let op = login(s, OPERATOR_EMAIL).await;
    let trader = login(s, "trade@rheinmoebel.example").await;
    let officer = login(s, "zoll@hza.example").await;
    let inspector = login(s, "kontrolle@hza.example").await;
    let plant = login(s, "psd@hamburg.example").await;
    let ship = login(s, "ops@nordsee.example").await;
    let out = ok(s, &op, &["customs", "agency", &inspection, "--code", "inspection"]).await;
    assert!(out.contains("registered as the inspection agency"), "{out}");
    ok(s, &op, &["customs", "agency", &quarantine, "--code", "quarantine"]).await;
    let profile = ok(s, &officer, &["customs", "risk-profile"]).await;
    assert!(profile.contains("furniture-high-value  red"), "{profile}");

    // Lodged twice with one key: one declaration, the second answer says so.
    let file = example("declaration.json").display().to_string();
    let first = ok(s, &trader, &["customs", "lodge", &file, "--key", "imp-2026-0001"]).await;
    assert!(first.starts_with("Declaration lodged.\n"), "{first}");
    let id = field(&first, "Declaration").to_string();
    assert_eq!(field(&first, "Lane"), "red", "{first}");
    assert_eq!(field(&first, "Status"), "awaiting inspection", "{first}");
    assert_eq!(field(&first, "Agencies"), "quarantine pending", "{first}");
    assert!(first.contains("risk rule furniture-high-value (item 1)"), "{first}");
    let again = ok(s, &trader, &["customs", "lodge", &file, "--key", "imp-2026-0001"]).await;
    assert!(again.contains("Lodged earlier with this key"), "{again}");
    assert_eq!(field(&again, "Declaration"), id, "{again}");
    let list = ok(s, &trader, &["customs", "list"]).await;
    assert_eq!(list.lines().filter(|l| l.contains("IMP-2026-0001")).count(), 1, "{list}");
    // A company with no part in it does not see it.
    let r = cli(s, Some(&ship), None, &["customs", "show", &id]).await;
    assert!(!r.ok && r.stderr.contains("404"), "{r:?}");

    // The inspection service books, photographs and records the inspection.
    let queue = ok(s, &inspector, &["customs", "list"]).await;
    assert!(queue.contains(&id) && queue.contains("awaiting inspection"), "{queue}");
    let out = ok(s, &inspector, &["customs", "book-inspection", &id, "--slot", "2026-11-27T09:00:00Z"]).await;
    assert_eq!(field(&out, "Status"), "inspection booked", "{out}");
    let dir = tempfile::tempdir().expect("tempdir");
    let photo = dir.path().join("crate-7.png");
    std::fs::write(&photo, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR tables in crate 7").expect("photo");
    let out = ok(s, &inspector, &["customs", "photo", &id, &photo.display().to_string()]).await;
    let sha = out.lines().next().and_then(|l| l.strip_prefix("Photo added: ")).expect("sha line").to_string();
    assert_eq!(sha.len(), 64, "{out}");
    let r = cli(s, Some(&trader), None, &["customs", "book-inspection", &id, "--slot", "2026-11-28T09:00:00Z"]).await;
    assert!(!r.ok && r.stderr.starts_with("error: "), "the declarant cannot book: {r:?}");
    let out = ok(
        s,
        &inspector,
        &["customs", "record-inspection", &id, "--compliant", "--findings", "50 tables as declared", "--photo", &sha],
    )
    .await;
    assert_eq!(field(&out, "Status"), "awaiting payment", "{out}");
    let duty = field(&out, "Duty and taxes").to_string();
    assert!(duty.ends_with(" EUR") && duty != "0.00 EUR", "{out}");

    // The importer pays once, however often it retries with the key.
    let out = ok(s, &trader, &["customs", "pay", &id, "--key", "duty-imp-2026-0001"]).await;
    assert!(out.starts_with("Duty paid.\n"), "{out}");
    assert_eq!(field(&out, "Status"), "awaiting agency approvals", "{out}");
    let out = ok(s, &trader, &["customs", "pay", &id, "--key", "duty-imp-2026-0001"]).await;
    assert!(out.starts_with("Duty paid earlier"), "{out}");

    // Quarantine approves; nothing is left, so the goods are released.
    let pending = ok(s, &plant, &["customs", "list"]).await;
    assert!(pending.contains(&id), "{pending}");
    let out = ok(s, &plant, &["customs", "decide", &id, "--approve", "--note", "heat-treated, ISPM 15 marks"]).await;
    assert_eq!(field(&out, "Status"), "released", "{out}");
    assert_eq!(field(&out, "Agencies"), "quarantine approved", "{out}");
    let shown = ok(s, &trader, &["customs", "show", &id]).await;
    assert_eq!(field(&shown, "Status"), "released", "{shown}");
    for step in ["lodged", "selected", "inspection booked", "inspection recorded", "duty paid", "agency decided"] {
        assert!(shown.contains(step), "no {step} event: {shown}");
    }
    assert!(shown.contains("Next: nothing (closed)"), "{shown}");
    let j: Value = serde_json::from_str(&ok(s, &officer, &["--json", "customs", "show", &id]).await).expect("json");
    assert_eq!(j["declaration"]["status"], "released");

    // The carrier's manifest matches the declaration.
    ok(s, &ship, &["customs", "manifest", &example("manifest.json").display().to_string()]).await;
    let m = ok(s, &officer, &["customs", "manifests"]).await;
    assert!(m.contains("matched MAEU123456789: IMP-2026-0001"), "{m}");

    // Half the T-shirts are re-exported; the officer checks the export's documents.
    let mut export: Value =
        serde_json::from_str(&std::fs::read_to_string(example("declaration.json")).expect("file")).expect("json");
    export["direction"] = json!("export");
    export["number"] = json!("EXP-2026-0001");
    export["transport_document"] = json!("MAEU987654321");
    export["freight"] = Value::Null;
    export["insurance"] = Value::Null;
    export["items"] = json!([{"description": "T-shirts, cotton, knitted", "hs_code": "610910", "origin": "VN",
        "value": {"amount": "700.00", "currency": "USD"}, "quantity": "100", "unit": "H87", "gross_kg": "30",
        "packages": 1, "preference": null}]);
    let export_file = dir.path().join("export.json");
    std::fs::write(&export_file, export.to_string()).expect("write");
    let out = ok(s, &trader, &["customs", "lodge", &export_file.display().to_string()]).await;
    let export_id = field(&out, "Declaration").to_string();
    assert_eq!(field(&out, "Lane"), "yellow", "{out}");
    let out = ok(s, &officer, &["customs", "accept-documents", &export_id]).await;
    assert_eq!(field(&out, "Status"), "released", "{out}");

    // Claiming back more than was imported is refused with the reason; the example claim is paid.
    let mut claim: Value =
        serde_json::from_str(&std::fs::read_to_string(example("drawback.json")).expect("file")).expect("json");
    claim["lines"][0]["quantity"] = json!("250");
    let too_much = dir.path().join("too-much.json");
    std::fs::write(&too_much, claim.to_string()).expect("write");
    let r = cli(s, Some(&trader), None, &["customs", "drawback", &too_much.display().to_string()]).await;
    assert!(!r.ok, "{r:?}");
    assert!(r.stderr.contains("only 200 H87 remain to claim on item 2 of import declaration IMP-2026-0001"), "{r:?}");
    let out = ok(s, &trader, &["customs", "drawback", &example("drawback.json").display().to_string()]).await;
    assert!(out.starts_with("Drawback claimed.\n"), "{out}");
    assert!(field(&out, "Refund").ends_with(" EUR") && field(&out, "Refund") != "0.00 EUR", "{out}");

    let tr = ok(s, &officer, &["customs", "time-release"]).await;
    assert!(tr.starts_with("Lodgement to release: 2 declarations"), "{tr}");
}
