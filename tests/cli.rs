//! The `tradewind` command as a person runs it: audit verification against a tampered
//! database, reference imports, the served quick start and graceful shutdown.

use std::process::Command;
use tradewind_store::{Actor, NewUser, Store};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tradewind"))
}

/// A fresh database URL (PostgreSQL when TRADEWIND_TEST_DATABASE_URL is set).
async fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    match std::env::var("TRADEWIND_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            use sqlx::Connection;
            let name = format!(
                "tw_test_cli_{}_{}",
                std::process::id(),
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
            );
            let mut conn = sqlx::PgConnection::connect(&admin_url).await.expect("connect");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create db");
            let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_string()).expect("path");
            (format!("{base}/{name}"), None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("tempdir");
            (format!("sqlite://{}", dir.path().join("t.db").display()), Some(dir))
        }
    }
}

/// A store with a few audited actions in it.
async fn store_with_history() -> (Store, String, Option<tempfile::TempDir>) {
    let (url, dir) = fresh_database().await;
    let store = Store::connect(&url).await.expect("store");
    for i in 0..4 {
        store
            .create_operator(&NewUser {
                email: format!("op{i}@x.example"),
                name: "Op".into(),
                password_hash: "x".into(),
            })
            .await
            .expect("operator");
    }
    (store, url, dir)
}

fn verify(url: &str) -> (bool, String) {
    let out = bin().args(["audit", "verify", "--database-url", url]).output().expect("run");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
}

async fn exec(store: &Store, sql: &str) {
    sqlx::query(sql).execute(store.pool()).await.expect(sql);
}

#[tokio::test]
async fn an_intact_trail_verifies() {
    let (_store, url, _dir) = store_with_history().await;
    let (ok, out) = verify(&url);
    assert!(ok, "{out}");
    assert!(out.contains("intact: 4 entries"), "{out}");
}

#[tokio::test]
async fn an_altered_entry_is_named() {
    let (store, url, _dir) = store_with_history().await;
    exec(&store, "UPDATE audit_entries SET details = '{\"email\":\"mallory@x.example\"}' WHERE seq = 3").await;
    let (ok, out) = verify(&url);
    assert!(!ok);
    assert!(out.contains("entry #3 was altered"), "{out}");
}

#[tokio::test]
async fn a_deleted_entry_is_named() {
    let (store, url, _dir) = store_with_history().await;
    exec(&store, "DELETE FROM audit_entries WHERE seq = 2").await;
    let (ok, out) = verify(&url);
    assert!(!ok);
    assert!(out.contains("entry #2 was deleted"), "{out}");
}

#[tokio::test]
async fn a_deleted_tail_is_named() {
    let (store, url, _dir) = store_with_history().await;
    exec(&store, "DELETE FROM audit_entries WHERE seq = 4").await;
    let (ok, out) = verify(&url);
    assert!(!ok);
    assert!(out.contains("entries after #3 were deleted"), "{out}");
}

#[tokio::test]
async fn reordered_entries_are_named() {
    let (store, url, _dir) = store_with_history().await;
    // Swap the positions of #2 and #3 through a free number.
    exec(&store, "UPDATE audit_entries SET seq = 100 WHERE seq = 2").await;
    exec(&store, "UPDATE audit_entries SET seq = 2 WHERE seq = 3").await;
    exec(&store, "UPDATE audit_entries SET seq = 3 WHERE seq = 100").await;
    let (ok, out) = verify(&url);
    assert!(!ok);
    assert!(out.contains("entry #2 was reordered"), "{out}");
}

#[tokio::test]
async fn the_full_hs_nomenclature_imports_from_the_public_csv() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/standards/hs-codes/harmonized-system.csv");
    if !path.exists() {
        println!("skipping: {} is absent (the shared standards folder is not checked out)", path.display());
        return;
    }
    let (store, url, _dir) = store_with_history().await;
    let out = bin().args(["import", "hs"]).arg(&path).args(["--database-url", &url]).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(store.count_hs().await.expect("count") > 6000);
    let h = store.get_hs("851713").await.expect("query").expect("smartphones");
    assert!(h.description.to_lowercase().contains("smartphone"), "{}", h.description);
    // Importing is audited like every other change.
    assert!(verify(&url).0);
    let bad = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(bad.path(), "code,desc\n01,x\n").expect("write");
    let out = bin().args(["import", "hs"]).arg(bad.path()).args(["--database-url", &url]).output().expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"));
}

#[tokio::test]
async fn unlocode_imports_from_the_official_csv() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/standards/un-locode");
    if !dir.exists() {
        println!("skipping: {} is absent", dir.display());
        return;
    }
    let (store, url, _tmp) = store_with_history().await;
    let out = bin()
        .args(["import", "locode"])
        .arg(dir.join("NL.csv"))
        .arg(dir.join("KE.csv"))
        .args(["--database-url", &url])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rtm = store.get_locode("NLRTM").await.expect("q").expect("Rotterdam");
    assert!(rtm.is_port && rtm.name == "Rotterdam");
    assert!(store.get_locode("KEMBA").await.expect("q").is_some());
    let _ = Actor::system();
}

#[test]
fn serve_answers_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("tmp");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut child = bin()
        .args(["serve", "--demo", "true", "--bind", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("TRADEWIND_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut up = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(up, "server did not start");
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    use std::io::{Read, Write};
    s.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").expect("write");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(dir.path().join("tradewind.db").exists(), "SQLite file in the data folder");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = child.wait().expect("wait");
    assert!(status.success(), "exit status {status}");
    let mut out = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    assert!(out.contains("operator@tradewind.example"), "demo logins printed: {out}");
}

#[tokio::test]
async fn passwords_tokens_and_session_ids_never_reach_the_logs() {
    let dir = tempfile::tempdir().expect("tmp");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log");
    let mut child = bin()
        // The quick start (no command: serve with demo data), bound through the environment.
        .env("TRADEWIND_BIND", format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir.path())
        .env("RUST_LOG", "debug")
        .stdout(log.try_clone().expect("clone"))
        .stderr(log)
        .spawn()
        .expect("spawn");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "server did not start");
    // The demo password is printed at start-up on purpose; use an account of our own.
    let password = "s3cret-registration-pass";
    let reg = client
        .post(format!("{base}/api/v1/registrations"))
        .json(&serde_json::json!({
            "legal_name": "Log Probe Ltd", "country": "GB", "registration_number": "LP1",
            "address": {"street": "1 Way", "city": "London", "postal_code": "E1"},
            "contact": {"name": "Pat", "email": "pat@probe.example"},
            "roles": ["importer"],
            "admin": {"name": "Pat", "email": "pat@probe.example", "password": password}
        }))
        .send()
        .await
        .expect("register");
    assert_eq!(reg.status().as_u16(), 201);
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login?probe=query-secret"))
        .json(&serde_json::json!({"email": "pat@probe.example", "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let csrf = login["csrf_token"].as_str().expect("csrf").to_string();
    let token: serde_json::Value = client
        .post(format!("{base}/api/v1/tokens"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"name": "log probe"}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = token["token"].as_str().expect("token").to_string();
    let _ = reqwest::Client::new().get(format!("{base}/api/v1/me")).bearer_auth(&token).send().await;
    let _ = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "pat@probe.example", "password": "wrong-but-secret-password"}))
        .send()
        .await;
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    let logs = std::fs::read_to_string(&log_path).expect("read log");
    assert!(logs.contains("/api/v1/auth/login"), "requests are logged: {logs}");
    for secret in [password, "wrong-but-secret-password", token.as_str(), csrf.as_str(), "query-secret"] {
        assert!(!logs.contains(secret), "a secret reached the log: {secret}");
    }
}

#[test]
fn a_config_file_sets_what_flags_do_not() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("from-config");
    let cfg = dir.path().join("tradewind.toml");
    std::fs::write(&cfg, format!("data_dir = {:?}\nlog_format = \"json\"\n", data.display().to_string()))
        .expect("write");
    let out = bin()
        .args(["audit", "verify", "--config"])
        .arg(&cfg)
        .env_remove("TRADEWIND_DATABASE_URL")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(data.join("tradewind.db").exists(), "the config file's data_dir was used");
    let logs = String::from_utf8_lossy(&out.stdout);
    assert!(logs.lines().any(|l| l.starts_with('{') && l.contains("\"opening database\"")), "JSON logs: {logs}");
    // A flag wins over the file.
    let flag_dir = dir.path().join("from-flag");
    let out =
        bin().args(["audit", "verify", "--config"]).arg(&cfg).arg("--data-dir").arg(&flag_dir).output().expect("run");
    assert!(out.status.success());
    assert!(flag_dir.join("tradewind.db").exists());
    // A typo in the file is reported, not ignored.
    std::fs::write(&cfg, "databse_url = \"x\"\n").expect("write");
    let out = bin().args(["audit", "verify", "--config"]).arg(&cfg).output().expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("databse_url"));
}
