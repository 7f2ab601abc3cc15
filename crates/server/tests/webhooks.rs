//! Outgoing webhooks through the real server: a company admin subscribes a receiver running
//! inside the test, real order events reach it signed so that the documented scheme
//! verifies, a receiver that fails is retried with backoff, one that keeps failing is given
//! up and can be sent again by hand, and one company never sees another's endpoints.

mod common;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tradewind_domain::webhook::{self, VerifyError};
use tradewind_server::ServerSettings;
use tradewind_server::webhooks::WebhookSettings;

/// One request as the receiver got it.
#[derive(Clone, Debug)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    at: Instant,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).unwrap_or("")
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("json body")
    }
    /// What a receiver does with the documented scheme, at `now`.
    fn verify(&self, secret: &str, now: i64) -> Result<(), VerifyError> {
        let h: Vec<(&str, &str)> = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        webhook::verify(secret, &h, &self.body, now, webhook::DEFAULT_TOLERANCE_SECS)
    }
    fn timestamp(&self) -> i64 {
        self.header(webhook::TIMESTAMP_HEADER).parse().expect("timestamp")
    }
}

/// A webhook receiver on a random port: answers 500 to the first `fail_first` requests,
/// then 200; records every request.
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    fail_first: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
        Self::serve(listener, fail_first)
    }

    fn serve(listener: tokio::net::TcpListener, fail_first: usize) -> Receiver {
        let url = format!("http://{}/hooks/tradewind", listener.local_addr().expect("addr"));
        let got = Arc::new(Mutex::new(Vec::new()));
        let fail_first = Arc::new(AtomicUsize::new(fail_first));
        let (g, f) = (got.clone(), fail_first.clone());
        let router = axum::Router::new().route(
            "/hooks/tradewind",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (g, f) = (g.clone(), f.clone());
                async move {
                    let headers = headers
                        .iter()
                        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                        .collect();
                    g.lock().expect("lock").push(Received { headers, body: body.to_vec(), at: Instant::now() });
                    let failing = f.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                    if failing { AxumStatus::INTERNAL_SERVER_ERROR } else { AxumStatus::OK }
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Receiver { url, got, fail_first }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// Waits until `pred` holds for what was received (or fails the test after 20 s).
    async fn wait_for(&self, what: &str, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if pred(&got) {
                return got;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}; got {got:?}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// A server whose webhook worker polls quickly and retries after `retry_base`.
async fn app_with_retry_base(retry_base: Duration) -> TestApp {
    TestApp::spawn_with(ServerSettings {
        webhooks: WebhookSettings {
            retry_base,
            poll_every: Duration::from_millis(50),
            timeout: Duration::from_secs(3),
            enabled: true,
        },
        ..Default::default()
    })
    .await
}

async fn subscribe(s: &Session, url: &str, kinds: Value) -> (String, String) {
    let body =
        json_of(s.post("/api/v1/webhooks", &json!({"url": url, "event_kinds": kinds})).await, StatusCode::CREATED)
            .await;
    let secret = body["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("whsec_") && secret.len() > 40, "{secret}");
    (body["id"].as_str().expect("id").to_string(), secret)
}

async fn event(s: &Session, order: &str, name: &str) {
    json_of(s.post(&format!("/api/v1/orders/{order}/events"), &json!({"event": name})).await, StatusCode::OK).await;
}

/// The endpoint's deliveries once `pred` holds for them (or fails the test after 20 s).
async fn deliveries_when(s: &Session, endpoint: &str, what: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let page = json_of(s.get(&format!("/api/v1/webhooks/{endpoint}/deliveries")).await, StatusCode::OK).await;
        let items = page["items"].as_array().expect("items").clone();
        if pred(&items) {
            return items;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}: {items:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

struct Parties {
    app: TestApp,
    buyer: Session,
    buyer_org: String,
    seller: Session,
    seller_org: String,
}

async fn parties(retry_base: Duration) -> Parties {
    let app = app_with_retry_base(retry_base).await;
    let (buyer, buyer_org) = app.register("Hanse Kaffee", "DE", "B1", "b@x.example").await;
    let (seller, seller_org) = app.register("Saigon Beans", "VN", "S1", "s@x.example").await;
    verify(&app, &seller_org).await;
    Parties { app, buyer, buyer_org, seller, seller_org }
}

/// The buyer places a direct order and accepts it (the seller is told), then the seller
/// accepts (the buyer is told). Returns the order id.
async fn agree_order(p: &Parties) -> String {
    let o = json_of(p.buyer.post("/api/v1/orders", &purchase_order(&p.seller_org)).await, StatusCode::CREATED).await;
    let id = o["id"].as_str().expect("order id").to_string();
    event(&p.buyer, &id, "accept").await;
    event(&p.seller, &id, "accept").await;
    id
}

#[tokio::test]
async fn order_events_reach_each_party_signed_with_its_own_secret() {
    let p = parties(Duration::from_millis(100)).await;
    let seller_hook = Receiver::start(0).await;
    let buyer_hook = Receiver::start(0).await;
    // The seller wants only order updates, not new orders; the buyer every kind.
    let (seller_ep, seller_secret) = subscribe(&p.seller, &seller_hook.url, json!(["order_updated"])).await;
    let (buyer_ep, buyer_secret) = subscribe(&p.buyer, &buyer_hook.url, json!([])).await;

    // The secret is shown once: never in the list.
    let list = json_of(p.seller.get("/api/v1/webhooks").await, StatusCode::OK).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list["items"][0]["id"], seller_ep.as_str());
    assert_eq!(list["items"][0]["url"], seller_hook.url.as_str());
    assert!(list["items"][0].get("secret").is_none() && !list.to_string().contains(&seller_secret), "{list}");

    let order = agree_order(&p).await;
    let got = seller_hook.wait_for("the seller's delivery", |g| !g.is_empty()).await;
    let d = &got[0];
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert_eq!(d.verify(&seller_secret, now), Ok(()), "the documented scheme verifies");
    assert_eq!(d.header("content-type"), "application/json");
    let body = d.json();
    assert_eq!(body["id"], d.header(webhook::ID_HEADER));
    assert_eq!(body["kind"], "order_updated");
    assert_eq!(body["organization_id"], p.seller_org.as_str());
    assert_eq!(body["body"]["order_id"], order.as_str());
    assert_eq!(body["body"]["event"], "accept");
    assert!(body["subject"].as_str().is_some_and(|s| !s.is_empty()) && body["created_at"].is_string(), "{body}");
    // What a receiver refuses: another secret, an altered body, the same request replayed later.
    assert_eq!(d.verify(&buyer_secret, now), Err(VerifyError::BadSignature));
    let mut altered = d.clone();
    altered.body = d.body.iter().map(|b| if *b == b'1' { b'2' } else { *b }).collect();
    altered.body.extend_from_slice(b" ");
    assert_eq!(altered.verify(&seller_secret, now), Err(VerifyError::BadSignature));
    assert!(matches!(d.verify(&seller_secret, d.timestamp() + 301), Err(VerifyError::Stale(_))));

    // The buyer's receiver got the buyer's event, signed with the buyer's secret.
    let got = buyer_hook.wait_for("the buyer's delivery", |g| !g.is_empty()).await;
    let body = got[0].json();
    assert_eq!(body["organization_id"], p.buyer_org.as_str());
    assert_eq!((body["kind"].as_str(), body["body"]["event"].as_str()), (Some("order_agreed"), Some("accept")));
    assert_eq!(got[0].verify(&buyer_secret, now), Ok(()));
    assert_eq!(got[0].verify(&seller_secret, now), Err(VerifyError::BadSignature));

    // The delivery log: delivered on the first attempt.
    let items =
        deliveries_when(&p.seller, &seller_ep, "delivered", |i| i.first().is_some_and(|d| d["status"] == "delivered"))
            .await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!((items[0]["attempts"].as_i64(), items[0]["last_status"].as_i64()), (Some(1), Some(200)));
    assert_eq!(items[0]["id"], seller_hook.received()[0].header(webhook::ID_HEADER));
    assert!(items[0]["last_error"].is_null() && items[0]["delivered_at"].is_string());

    // Isolation: the other company's endpoint is not found, whatever the verb.
    for path in
        [format!("/api/v1/webhooks/{seller_ep}/deliveries"), format!("/api/v1/webhooks/{seller_ep}/rotate-secret")]
    {
        let res =
            if path.ends_with("deliveries") { p.buyer.get(&path).await } else { p.buyer.post(&path, &json!({})).await };
        assert_problem(res, StatusCode::NOT_FOUND, None).await;
    }
    let redeliver =
        format!("/api/v1/webhooks/{seller_ep}/deliveries/{}/redeliver", items[0]["id"].as_str().expect("id"));
    assert_problem(p.buyer.post(&redeliver, &json!({})).await, StatusCode::NOT_FOUND, None).await;
    assert_problem(p.buyer.delete(&format!("/api/v1/webhooks/{seller_ep}")).await, StatusCode::NOT_FOUND, None).await;
    let mine = json_of(p.buyer.get("/api/v1/webhooks").await, StatusCode::OK).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine["items"][0]["id"], buyer_ep.as_str());
    assert_eq!(mine["items"][0]["event_kinds"], json!([]));
    // A delivered one is not sent again by hand.
    assert_problem(p.seller.post(&redeliver, &json!({})).await, StatusCode::CONFLICT, None).await;

    // Rotation: the next delivery verifies with the new secret only.
    let rotated = json_of(
        p.seller.post(&format!("/api/v1/webhooks/{seller_ep}/rotate-secret"), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let new_secret = rotated["secret"].as_str().expect("secret").to_string();
    assert!(new_secret.starts_with("whsec_") && new_secret != seller_secret);
    p.buyer.post(&format!("/api/v1/orders/{order}/events"), &json!({"event": "cancel"})).await;
    let got = seller_hook.wait_for("the delivery after rotation", |g| g.len() >= 2).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert_eq!(got[1].json()["body"]["event"], "cancel");
    assert_eq!(got[1].verify(&new_secret, now), Ok(()));
    assert_eq!(got[1].verify(&seller_secret, now), Err(VerifyError::BadSignature));

    // Unsubscribed: gone, and nothing more is sent.
    let res = p.seller.delete(&format!("/api/v1/webhooks/{seller_ep}")).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_problem(
        p.seller.get(&format!("/api/v1/webhooks/{seller_ep}/deliveries")).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    let again = agree_order(&p).await;
    buyer_hook.wait_for("the buyer's second delivery", |g| g.len() >= 2).await;
    assert_eq!(seller_hook.received().len(), 2, "nothing after unsubscribing (order {again})");
    // The seller's filter kept the order_placed notifications out.
    assert!(seller_hook.received().iter().all(|r| r.json()["kind"] == "order_updated"));
    let placed = json_of(p.seller.get("/api/v1/notifications").await, StatusCode::OK).await;
    assert!(placed.to_string().contains("order_placed"), "in-app, the seller was told: {placed}");
    // Subscriptions are audited, without the secret.
    let audit = json_of(p.seller.get("/api/v1/organizations/me/audit").await, StatusCode::OK).await;
    let text = audit.to_string();
    assert!(
        text.contains("webhook.subscribed")
            && text.contains("webhook.secret_rotated")
            && text.contains("webhook.deleted"),
        "{text}"
    );
    assert!(!text.contains(&seller_secret) && !text.contains(&new_secret));
    drop(p.app);
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_backoff_and_gets_the_same_delivery() {
    let base = Duration::from_millis(150);
    let p = parties(base).await;
    // HTTP 500 twice, then 200.
    let hook = Receiver::start(2).await;
    let (ep, secret) = subscribe(&p.seller, &hook.url, json!(["order_updated"])).await;
    agree_order(&p).await;
    let got = hook.wait_for("three attempts", |g| g.len() >= 3).await;
    let items =
        deliveries_when(&p.seller, &ep, "delivered", |i| i.first().is_some_and(|d| d["status"] == "delivered")).await;
    assert_eq!(items.len(), 1);
    assert_eq!((items[0]["attempts"].as_i64(), items[0]["last_status"].as_i64()), (Some(3), Some(200)));
    assert_eq!(got.len(), 3, "no attempt after the 2xx");
    // The same delivery id and body each time, each attempt freshly signed.
    let id = got[0].header(webhook::ID_HEADER).to_string();
    for r in &got {
        assert_eq!(r.header(webhook::ID_HEADER), id);
        assert_eq!(r.body, got[0].body);
        assert_eq!(r.verify(&secret, r.timestamp()), Ok(()));
    }
    // Backoff: the waits follow the schedule (1 then 3 times the base).
    assert!(got[1].at - got[0].at >= base, "{:?}", got[1].at - got[0].at);
    assert!(got[2].at - got[1].at >= base * 3, "{:?}", got[2].at - got[1].at);

    // Connection refused: a port nobody listens on yet.
    let parked = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = parked.local_addr().expect("addr");
    drop(parked);
    let (down_ep, down_secret) = subscribe(&p.buyer, &format!("http://{addr}/hooks/tradewind"), json!([])).await;
    agree_order(&p).await;
    let items = deliveries_when(&p.buyer, &down_ep, "a refused connection", |i| {
        i.first().is_some_and(|d| d["attempts"].as_i64() >= Some(1) && d["last_error"].is_string())
    })
    .await;
    assert_eq!(items[0]["status"], "pending", "{items:?}");
    assert!(items[0]["last_status"].is_null() && items[0]["next_attempt_at"].is_string());
    assert!(items[0]["last_error"].as_str().is_some_and(|e| e.contains("connect")), "{items:?}");
    // The receiver comes up on that port; a later attempt gets through.
    let listener = tokio::net::TcpListener::bind(addr).await.expect("rebind the refused port");
    let late = Receiver::serve(listener, 0);
    let got = late.wait_for("the delivery after the outage", |g| !g.is_empty()).await;
    assert_eq!(got[0].verify(&down_secret, time::OffsetDateTime::now_utc().unix_timestamp()), Ok(()));
    let items =
        deliveries_when(&p.buyer, &down_ep, "delivered", |i| i.first().is_some_and(|d| d["status"] == "delivered"))
            .await;
    assert!(items[0]["attempts"].as_i64() >= Some(2), "{items:?}");
    assert!(items[0]["last_error"].is_null());
}

#[tokio::test]
async fn an_endpoint_that_keeps_failing_is_given_up_and_can_be_sent_again_by_hand() {
    let p = parties(Duration::from_millis(2)).await;
    let hook = Receiver::start(usize::MAX).await;
    let (ep, secret) = subscribe(&p.seller, &hook.url, json!(["order_updated"])).await;
    agree_order(&p).await;
    let max = i64::from(webhook::RetrySchedule::MAX_ATTEMPTS);
    let items =
        deliveries_when(&p.seller, &ep, "giving up", |i| i.first().is_some_and(|d| d["status"] == "failed")).await;
    let d = &items[0];
    assert_eq!((d["attempts"].as_i64(), d["last_status"].as_i64()), (Some(max), Some(500)), "{d}");
    assert_eq!(d["last_error"], "HTTP 500 Internal Server Error");
    assert!(d["next_attempt_at"].is_null() && d["delivered_at"].is_null());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hook.received().len() as i64, max, "nothing after giving up");

    // Fixed on the receiver's side; the admin sends it again.
    hook.fail_first.store(0, Ordering::SeqCst);
    let id = d["id"].as_str().expect("id");
    let path = format!("/api/v1/webhooks/{ep}/deliveries/{id}/redeliver");
    let again = json_of(p.seller.post(&path, &json!({})).await, StatusCode::OK).await;
    assert_eq!(again["status"], "pending");
    let items =
        deliveries_when(&p.seller, &ep, "the redelivery", |i| i.first().is_some_and(|d| d["status"] == "delivered"))
            .await;
    assert_eq!((items[0]["attempts"].as_i64(), items[0]["last_status"].as_i64()), (Some(max + 1), Some(200)));
    let got = hook.received();
    let last = got.last().expect("the redelivery");
    assert_eq!(last.header(webhook::ID_HEADER), id, "the same id, so the receiver can deduplicate");
    assert_eq!(last.verify(&secret, last.timestamp()), Ok(()));
    // Another company cannot, and a pending or delivered one is refused.
    assert_problem(p.buyer.post(&path, &json!({})).await, StatusCode::NOT_FOUND, None).await;
    assert_problem(p.seller.post(&path, &json!({})).await, StatusCode::CONFLICT, None).await;
    let audit = json_of(p.seller.get("/api/v1/organizations/me/audit").await, StatusCode::OK).await;
    assert!(audit.to_string().contains("webhook.redelivery_requested"));
}

#[tokio::test]
async fn invalid_subscriptions_are_refused_and_nothing_is_stored() {
    let p = parties(Duration::from_secs(10)).await;
    for (url, code) in [
        ("ftp://files.example.com/in", "unsupported_scheme"),
        ("file:///etc/passwd", "unsupported_scheme"),
        ("hooks.example.com/in", "unsupported_scheme"),
        ("https://user:secret@hooks.example.com/in", "credentials_in_url"),
        ("https:///in", "missing_host"),
        ("http://:8080/in", "missing_host"),
        ("https://hooks.example.com:70000/in", "invalid_port"),
        ("https://hooks example.com/in", "invalid_characters"),
        ("", "required"),
    ] {
        let e = assert_problem(
            p.seller.post("/api/v1/webhooks", &json!({"url": url})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("url"),
        )
        .await;
        assert_eq!(e["errors"][0]["code"], code, "{url}: {e}");
    }
    let e = assert_problem(
        p.seller
            .post("/api/v1/webhooks", &json!({"url": "https://hooks.example.com/in", "event_kinds": ["Order Updated"]}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("event_kinds"),
    )
    .await;
    assert_eq!(e["errors"][0]["code"], "invalid_event_kind");
    assert_eq!(count(&p.app.store, "webhook_endpoints").await, 0);
    // Anonymous callers are refused; operators have no company endpoints.
    assert_eq!(p.app.anonymous().get("/api/v1/webhooks").await.status(), StatusCode::UNAUTHORIZED);
    // At most ten endpoints per company.
    for i in 0..tradewind_store::MAX_WEBHOOK_ENDPOINTS {
        subscribe(&p.seller, &format!("https://hooks.example.com/{i}"), json!([])).await;
    }
    assert_problem(
        p.seller.post("/api/v1/webhooks", &json!({"url": "https://hooks.example.com/x"})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    // The API documents the endpoints.
    let doc = json_of(p.app.anonymous().get("/api/v1/openapi.json").await, StatusCode::OK).await;
    assert!(doc["paths"]["/api/v1/webhooks/{id}/deliveries"]["get"].is_object());
    let _ = p.buyer_org;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_never_send_one_delivery_twice_and_a_dead_workers_lease_runs_out() {
    // The server's own worker is off: the test runs the passes itself.
    let settings = WebhookSettings { enabled: false, poll_every: Duration::from_secs(3600), ..Default::default() };
    let app = TestApp::spawn_with(ServerSettings { webhooks: settings.clone(), ..Default::default() }).await;
    let (buyer, _) = app.register("Hanse Kaffee", "DE", "B1", "b@x.example").await;
    let (seller, seller_org) = app.register("Saigon Beans", "VN", "S1", "s@x.example").await;
    verify(&app, &seller_org).await;
    let p = Parties { app, buyer, buyer_org: String::new(), seller, seller_org };
    let hook = Receiver::start(0).await;
    let (ep, _) = subscribe(&p.seller, &hook.url, json!([])).await;
    for _ in 0..4 {
        agree_order(&p).await;
    }
    // Two servers' worth of passes at once over the same database.
    let a = tradewind_server::webhooks::WebhookSender::new(&settings).expect("sender");
    let b = a.clone();
    let (sa, sb) = (p.app.store.clone(), p.app.store.clone());
    let (ra, rb) = tokio::join!(
        tokio::spawn(async move { a.deliver_once(&sa, None).await }),
        tokio::spawn(async move { b.deliver_once(&sb, None).await })
    );
    let (ra, rb) = (ra.expect("join").expect("pass"), rb.expect("join").expect("pass"));
    // Four orders: each is three notifications to the seller (placed, accepted by the
    // buyer, agreed once the seller accepts too).
    assert_eq!(ra.queued + rb.queued, 12, "{ra:?} {rb:?}");
    assert_eq!(ra.delivered + rb.delivered, 12, "{ra:?} {rb:?}");
    let mut ids: Vec<String> = hook.received().iter().map(|r| r.header(webhook::ID_HEADER).to_string()).collect();
    assert_eq!(ids.len(), 12);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "each delivery sent once");
    let items = deliveries_when(&p.seller, &ep, "all delivered", |i| i.iter().all(|d| d["attempts"] == 1)).await;
    assert!(items.iter().all(|d| d["status"] == "delivered"));

    // A worker that claimed a delivery and died: once the lease runs out another takes it,
    // and the first one's late outcome is dropped.
    agree_order(&p).await;
    assert_eq!(p.app.store.fan_out_webhooks(100).await.expect("fan out"), 3);
    let dead = p.app.store.claim_due_webhook_deliveries(Duration::ZERO, 10).await.expect("claim");
    assert_eq!(dead.len(), 3);
    let held = p.app.store.claim_due_webhook_deliveries(Duration::from_secs(60), 10).await.expect("claim");
    assert_eq!(held.len(), 3, "the expired leases are taken over");
    assert!(p.app.store.claim_due_webhook_deliveries(Duration::from_secs(60), 10).await.expect("claim").is_empty());
    let late = tradewind_store::AttemptResult {
        status: tradewind_domain::webhook::DeliveryStatus::Failed,
        retry_in: None,
        http_status: Some(500),
        error: Some("HTTP 500".into()),
    };
    assert!(!p.app.store.finish_webhook_attempt(&dead[0], &late).await.expect("finish"));
    let ok = tradewind_store::AttemptResult {
        status: tradewind_domain::webhook::DeliveryStatus::Delivered,
        retry_in: None,
        http_status: Some(200),
        error: None,
    };
    assert!(p.app.store.finish_webhook_attempt(&held[0], &ok).await.expect("finish"));
    assert_eq!(held[0].attempt, 2, "the dead worker's attempt counts");
    // Secrets stay out of debug output.
    assert!(!format!("{:?}", held[0]).contains(&held[0].secret));
}
