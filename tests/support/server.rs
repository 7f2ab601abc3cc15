//! The real server for the command-line tests: a fresh database (a new PostgreSQL database
//! when TRADEWIND_TEST_DATABASE_URL is set, else SQLite in a temporary folder) and the server
//! in this process on a random port, with an operator account.

#![allow(dead_code)]

use tradewind_server::{AppState, ServerSettings};
use tradewind_store::{NewUser, Store};

/// A fresh database URL, and the folder that holds it for SQLite.
pub async fn fresh_database() -> (String, Option<tempfile::TempDir>) {
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

/// The server; it stops when dropped.
pub struct Server {
    pub base: String,
    _dir: Option<tempfile::TempDir>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Starts the server with an operator account. Its public address is the one it listens on,
/// so that the simulated bank's callbacks and the DIDs it issues reach it.
pub async fn start_server(operator_email: &str, operator_password: &str) -> Server {
    let (url, dir) = fresh_database().await;
    let store = Store::connect(&url).await.expect("store");
    tradewind_server::ensure_reference_data(&store).await.expect("reference data");
    let password_hash = tradewind_server::auth::hash_password(operator_password.into()).await.expect("hash");
    store
        .create_operator(&NewUser { email: operator_email.into(), name: "Op".into(), password_hash })
        .await
        .expect("operator");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let settings = ServerSettings { public_url: format!("http://{addr}"), ..ServerSettings::default() };
    let state = AppState::new(store, settings).await.expect("state");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = tradewind_server::serve(listener, state, async move {
            let _ = rx.await;
        })
        .await;
    });
    Server { base: format!("http://{addr}"), _dir: dir, _stop: tx }
}
