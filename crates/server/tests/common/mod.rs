//! Test harness: the real server on a random port against a fresh database (SQLite in a
//! temporary folder, or a new PostgreSQL database when TRADEWIND_TEST_DATABASE_URL is set).
#![allow(dead_code)]

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use tradewind_server::{AppState, ServerSettings};
use tradewind_store::{NewUser, Store};

pub const PASSWORD: &str = "a long enough password";
pub const OPERATOR_EMAIL: &str = "operator@test.example";

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub database_url: String,
    _dir: Option<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A fresh database URL: a new PostgreSQL database, or a SQLite file in a temp folder.
pub async fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    match std::env::var("TRADEWIND_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            use sqlx::Connection;
            let name = format!("tw_test_{}", uuid_simple());
            let mut conn =
                sqlx::PgConnection::connect(&admin_url).await.expect("connect to TRADEWIND_TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
            let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_string()).expect("database URL has a path");
            (format!("{base}/{name}"), None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("tempdir");
            (format!("sqlite://{}", dir.path().join("test.db").display()), Some(dir))
        }
    }
}

fn uuid_simple() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let n = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{n:x}{:x}", std::process::id())
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(ServerSettings::default()).await
    }

    pub async fn spawn_with(mut settings: ServerSettings) -> TestApp {
        let (url, dir) = fresh_database().await;
        let store = Store::connect(&url).await.expect("store");
        tradewind_server::ensure_reference_data(&store).await.expect("reference data");
        let hash = tradewind_server::auth::hash_password(PASSWORD.into()).await.expect("hash");
        store
            .create_operator(&NewUser { email: OPERATOR_EMAIL.into(), name: "Op".into(), password_hash: hash })
            .await
            .expect("operator");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        // The simulated bank calls this server back.
        settings.public_url = format!("http://{addr}");
        let state = AppState::new(store.clone(), settings).await.expect("state");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = tradewind_server::serve(listener, state, async move {
                let _ = rx.await;
            })
            .await;
        });
        TestApp { base: format!("http://{addr}"), store, database_url: url, _dir: dir, shutdown: Some(tx) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Session {
        Session { app_base: self.base.clone(), client: client(), csrf: String::new(), bearer: None }
    }

    /// Registers a company with the given country and registration number; returns the
    /// admin's logged-in session and the organisation id.
    pub async fn register(&self, name: &str, country: &str, reg_no: &str, email: &str) -> (Session, String) {
        let res = self.anonymous().post("/api/v1/registrations", &registration(name, country, reg_no, email)).await;
        assert_eq!(res.status(), StatusCode::CREATED, "registration failed: {}", res.text().await.unwrap_or_default());
        let body: Value = res.json().await.expect("json");
        let org = body["organization"]["id"].as_str().expect("org id").to_string();
        (self.login(email, PASSWORD).await, org)
    }

    pub async fn login(&self, email: &str, password: &str) -> Session {
        let mut s = self.anonymous();
        let res = s.post("/api/v1/auth/login", &json!({"email": email, "password": password})).await;
        assert_eq!(res.status(), StatusCode::OK, "login failed");
        let body: Value = res.json().await.expect("json");
        s.csrf = body["csrf_token"].as_str().expect("csrf").to_string();
        s
    }

    pub async fn operator(&self) -> Session {
        self.login(OPERATOR_EMAIL, PASSWORD).await
    }
}

fn client() -> Client {
    Client::builder().cookie_store(true).build().expect("client")
}

/// A valid registration body.
pub fn registration(name: &str, country: &str, reg_no: &str, email: &str) -> Value {
    json!({
        "legal_name": name,
        "country": country,
        "registration_number": reg_no,
        "address": {"street": "1 Harbour Road", "city": "Port Town", "postal_code": "12345"},
        "contact": {"name": "Pat Lee", "email": email, "phone": "+65 6000 0000"},
        "lei": null,
        "roles": ["exporter"],
        "admin": {"name": "Pat Lee", "email": email, "password": PASSWORD}
    })
}

/// A logged-in (or anonymous) client that sends the CSRF header on every call.
pub struct Session {
    pub app_base: String,
    pub client: Client,
    pub csrf: String,
    pub bearer: Option<String>,
}

impl Session {
    pub fn with_bearer(app: &TestApp, token: &str) -> Session {
        Session {
            app_base: app.base.clone(),
            client: Client::new(),
            csrf: String::new(),
            bearer: Some(token.to_string()),
        }
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.client.request(method, format!("{}{}", self.app_base, path));
        if !self.csrf.is_empty() {
            r = r.header("x-csrf-token", &self.csrf);
        }
        if let Some(b) = &self.bearer {
            r = r.bearer_auth(b);
        }
        r
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(reqwest::Method::GET, path).send().await.expect("send")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.req(reqwest::Method::POST, path).json(body).send().await.expect("send")
    }

    /// A JSON POST with one extra header (for example `Idempotency-Key`).
    pub async fn post_with_header(&self, path: &str, body: &Value, name: &str, value: &str) -> Response {
        self.req(reqwest::Method::POST, path).header(name, value).json(body).send().await.expect("send")
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Response {
        self.req(reqwest::Method::POST, path)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("send")
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.req(reqwest::Method::PUT, path).json(body).send().await.expect("send")
    }

    pub async fn put_text(&self, path: &str, body: &str) -> Response {
        self.req(reqwest::Method::PUT, path)
            .header("content-type", "text/plain")
            .body(body.to_string())
            .send()
            .await
            .expect("send")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.req(reqwest::Method::DELETE, path).send().await.expect("send")
    }

    pub async fn upload(&self, path: &str, filename: &str, mime: &str, bytes: Vec<u8>) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_string()).mime_str(mime).expect("mime");
        let form = reqwest::multipart::Form::new().part("file", part);
        self.req(reqwest::Method::POST, path).multipart(form).send().await.expect("send")
    }
}

/// Asserts a problem+json response with the given status naming `field`; returns the body.
pub async fn assert_problem(res: Response, status: StatusCode, field: Option<&str>) -> Value {
    assert_eq!(res.status(), status);
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert_eq!(ct, "application/problem+json");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["status"], status.as_u16());
    assert!(!body["detail"].as_str().unwrap_or("").is_empty(), "problem has a detail: {body}");
    if let Some(f) = field {
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(fields.contains(&f), "expected field {f} in {body}");
    }
    body
}

/// Rows in a table, to check that a refused request wrote nothing.
pub async fn count(store: &Store, table: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(store.pool())
        .await
        .expect("count")
        .try_get("n")
        .expect("n")
}

pub fn pdf_bytes() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec()
}

/// A date `d` days from today, as the API takes it (`YYYY-MM-DD`).
pub fn in_days(d: i64) -> String {
    let t = time::OffsetDateTime::now_utc().date() + time::Duration::days(d);
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// The body of a response, after checking its status.
pub async fn json_of(res: Response, status: StatusCode) -> Value {
    let got = res.status();
    let body: Value = res.json().await.expect("json");
    assert_eq!(got, status, "{body}");
    body
}

/// A decimal the API sent as text.
pub fn dec(v: &Value) -> rust_decimal::Decimal {
    v.as_str().unwrap_or_else(|| panic!("decimal text, not {v}")).parse().expect("decimal")
}

/// The operator verifies a company.
pub async fn verify(app: &TestApp, org: &str) {
    let res = app.operator().await.post(&format!("/api/v1/operator/organizations/{org}/verify"), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// A valid direct purchase order from the caller to `seller`: 100 kg of pepper at USD 4.25.
pub fn purchase_order(seller: &str) -> Value {
    json!({
        "seller": seller,
        "currency": "USD",
        "lines": [{"description": "Black pepper, 500 g/l", "hs_code": "090411", "quantity": "100",
            "unit": "KGM", "unit_price": "4.25"}],
        "incoterm": "FOB",
        "named_place": "VNSGN",
        "payment_terms": "escrow",
        "delivery_earliest": in_days(30),
        "delivery_latest": in_days(60)
    })
}

/// Starts paying an order into escrow with `key`: the payment with its instructions.
pub async fn start_payment(buyer: &Session, order: &str, key: &str) -> Response {
    buyer.post_with_header(&format!("/api/v1/orders/{order}/payments"), &json!({}), "Idempotency-Key", key).await
}

/// Polls an order as `who` until its status is `status` (the bank confirms asynchronously).
pub async fn wait_for_status(who: &Session, order: &str, status: &str) -> Value {
    for _ in 0..100 {
        let o = json_of(who.get(&format!("/api/v1/orders/{order}")).await, StatusCode::OK).await;
        if o["status"]["status"] == status {
            return o;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("order {order} did not become {status}");
}

/// The buyer pays an agreed order through the simulated bank: starts the payment, makes the
/// transfer with its reference, and waits for the bank's callback to fund the order.
pub async fn fund_through_bank(buyer: &Session, order: &str) -> Value {
    let p = json_of(start_payment(buyer, order, &format!("pay-{order}")).await, StatusCode::CREATED).await;
    let transfer = json!({"reference": p["reference"], "amount": p["amount"]});
    json_of(buyer.post("/api/v1/sandbox/bank-transfers", &transfer).await, StatusCode::ACCEPTED).await;
    wait_for_status(buyer, order, "funded").await;
    p
}
