//! `tradewind client record` against a real server on a random port: the shipper of the
//! demo order lists and shows an e-B/L the carrier issued, verifies its chain, transfers it
//! to the consignee, and a replay of that transfer is refused with the server's reason; the
//! consignee surrenders it and the carrier accepts.

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Command;
use tradewind_server::demo::DEMO_PASSWORD;
#[path = "support/server.rs"]
mod support;

use support::fresh_database;
use tradewind_server::{AppState, ServerSettings};
use tradewind_store::Store;

async fn api_login(base: &str, email: &str) -> (reqwest::Client, String) {
    let http = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": DEMO_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    (http, body["csrf_token"].as_str().expect("csrf").to_string())
}

async fn post(http: &reqwest::Client, csrf: &str, url: String, body: Value) -> Value {
    let res = http.post(&url).header("x-csrf-token", csrf).json(&body).send().await.expect("send");
    let status = res.status();
    let body: Value = res.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{url}: {body}");
    body
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

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

async fn token(server: &str, email: &str) -> String {
    let r = cli(server, None, Some(DEMO_PASSWORD), &["login", "--email", email]).await;
    assert!(r.ok, "login {email}: {}", r.stderr);
    let line = r.stdout.lines().find(|l| l.starts_with("export TRADEWIND_TOKEN=")).expect("export line");
    line.trim_start_matches("export TRADEWIND_TOKEN=").to_string()
}

async fn ok(server: &str, token: &str, args: &[&str]) -> String {
    let r = cli(server, Some(token), None, args).await;
    assert!(r.ok, "{args:?} failed:\n{}\n{}", r.stdout, r.stderr);
    r.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ebl_is_shown_verified_transferred_and_surrendered_from_the_command_line() {
    let (url, _dir) = fresh_database().await;
    let store = Store::connect(&url).await.expect("store");
    tradewind_server::ensure_reference_data(&store).await.expect("reference data");
    tradewind_server::demo::seed(&store).await.expect("demo");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let state = AppState::new(store, ServerSettings { public_url: base.clone(), ..ServerSettings::default() })
        .await
        .expect("state");
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(tradewind_server::serve(listener, state, async {
        let _ = stopped.await;
    }));

    // The carrier issues the bill of lading and its e-B/L through the API.
    let (shipper_http, _) = api_login(&base, "mei@lioncityspice.example").await;
    let orders: Value =
        shipper_http.get(format!("{base}/api/v1/orders")).send().await.expect("orders").json().await.expect("json");
    let order = orders["items"][0]["id"].as_str().expect("demo order").to_string();
    let (carrier_http, csrf) = api_login(&base, "amina@mombasafreight.example").await;
    post(&carrier_http, &csrf, format!("{base}/api/v1/orders/{order}/document-set/bill_of_lading"), json!({})).await;
    let r = post(
        &carrier_http,
        &csrf,
        format!("{base}/api/v1/transferable-records"),
        json!({"kind": "electronic_bill_of_lading", "order_id": order}),
    )
    .await;
    let id = r["id"].as_str().expect("record id").to_string();
    let (consignee_http, _) = api_login(&base, "jonas@hansekaffee.example").await;
    let me: Value = consignee_http
        .get(format!("{base}/api/v1/organizations/me"))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    let consignee = me["id"].as_str().expect("consignee id").to_string();

    let shipper = token(&base, "mei@lioncityspice.example").await;
    let list = ok(&base, &shipper, &["record", "list"]).await;
    assert!(list.contains(&id) && list.contains("electronic bill of lading"), "{list}");
    let shown = ok(&base, &shipper, &["record", "show", &id]).await;
    assert!(shown.contains("The chain of title verifies"), "{shown}");
    assert!(shown.contains("Lion City Spice"), "{shown}");

    let moved = ok(&base, &shipper, &["record", "nominate", &id, "--nominee", &consignee]).await;
    assert!(moved.lines().any(|l| l.starts_with("version") && l.trim_end().ends_with(" 2")), "{moved}");
    ok(&base, &shipper, &["record", "endorse", &id]).await;
    let moved = ok(&base, &shipper, &["record", "transfer", &id, "--to", &consignee]).await;
    assert!(moved.contains(&consignee), "{moved}");
    // Replaying the transfer decided at version 3 is refused with the server's reason.
    let replay =
        cli(&base, Some(&shipper), None, &["record", "transfer", &id, "--to", &consignee, "--version", "3"]).await;
    assert!(!replay.ok, "the replay went through: {}", replay.stdout);
    assert!(replay.stderr.contains("you no longer hold this record"), "{}", replay.stderr);

    let consignee_token = token(&base, "jonas@hansekaffee.example").await;
    ok(&base, &consignee_token, &["record", "surrender", &id]).await;
    let carrier = token(&base, "amina@mombasafreight.example").await;
    let done = ok(&base, &carrier, &["record", "accept-surrender", &id]).await;
    assert!(done.contains("accomplished"), "{done}");
    let json_out = ok(&base, &carrier, &["--json", "record", "show", &id]).await;
    let v: Value = serde_json::from_str(&json_out).expect("json output");
    assert_eq!(v["verification"]["valid"], true, "{v}");
    assert_eq!(v["record"]["chain"].as_array().map(Vec::len), Some(6));
}
