//! Authorisation of every marketplace and inquiry endpoint, as a table of callers.
//! Listings are public to logged-in users; matches, quotes, inquiries, notifications and
//! blocks belong to their companies (others get 404); operator endpoints are invisible to
//! everyone else.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn id_of(res: reqwest::Response) -> String {
    let status = res.status();
    let v: Value = res.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn marketplace_endpoints_by_caller() {
    let app = TestApp::spawn().await;
    let (buyer, _) = app.register("Buyer", "DE", "B1", "b@x.example").await;
    let (seller, _) = app.register("Seller", "VN", "S1", "s@x.example").await;
    let (other, _) = app.register("Other", "FR", "O1", "o@x.example").await;
    let operator = app.operator().await;
    let anonymous = app.anonymous();
    let pid = id_of(
        seller
            .post(
                "/api/v1/products",
                &json!({"title": "Robusta green coffee", "description": "", "hs_code": "090111", "origin_country": "VN",
                "unit": "KGM", "moq": "100", "supply_capacity": "10000", "currency": "USD",
                "price_tiers": [{"min_quantity": "100", "unit_price": "2.00"}], "lead_time_days": 20, "certifications": []}),
            )
            .await,
    )
    .await;
    let lid = id_of(
        buyer
            .post(
                "/api/v1/leads",
                &json!({"side": "buy", "title": "Robusta coffee", "hs_code": "090111", "quantity": "1000", "unit": "KGM",
                "country": "DE", "expires_on": in_days(20)}),
            )
            .await,
    )
    .await;
    let quote = json!({"unit_price": "2.00", "currency": "USD", "incoterm": "FOB", "named_place": "VNSGN",
        "valid_until": in_days(10), "lead_time_days": 20, "payment_terms": "escrow"});
    let qid = id_of(seller.post(&format!("/api/v1/rfqs/{lid}/quotes"), &quote).await).await;
    let iid = id_of(
        buyer
            .post("/api/v1/inquiries", &json!({"subject_kind": "product", "subject_id": pid, "body": "Organic?"}))
            .await,
    )
    .await;
    let rid = id_of(
        buyer
            .post("/api/v1/reports", &json!({"subject_kind": "product", "subject_id": pid, "reason": "test report"}))
            .await,
    )
    .await;

    let (ok, created, un, nf) = (StatusCode::OK, StatusCode::CREATED, StatusCode::UNAUTHORIZED, StatusCode::NOT_FOUND);
    let bad = StatusCode::UNPROCESSABLE_ENTITY;
    // (method, path, body, expected for: anonymous, buyer, seller, other company, operator)
    let table: Vec<(&str, String, Value, [StatusCode; 5])> = vec![
        ("GET", format!("/api/v1/products/{pid}"), json!(null), [un, ok, ok, ok, ok]),
        ("GET", format!("/api/v1/leads/{lid}"), json!(null), [un, ok, ok, ok, ok]),
        ("GET", "/api/v1/organizations/me/leads".into(), json!(null), [un, ok, ok, ok, nf]),
        ("GET", format!("/api/v1/rfqs/{lid}/matches"), json!(null), [un, ok, nf, nf, ok]),
        ("GET", "/api/v1/organizations/me/rfq-matches".into(), json!(null), [un, ok, ok, ok, nf]),
        ("GET", format!("/api/v1/rfqs/{lid}/quotes"), json!(null), [un, ok, ok, ok, ok]),
        ("GET", "/api/v1/notifications".into(), json!(null), [un, ok, ok, ok, nf]),
        ("GET", "/api/v1/search?q=coffee".into(), json!(null), [un, ok, ok, ok, ok]),
        ("GET", "/api/v1/inquiries".into(), json!(null), [un, ok, ok, ok, nf]),
        ("GET", format!("/api/v1/inquiries/{iid}"), json!(null), [un, ok, ok, nf, nf]),
        ("POST", format!("/api/v1/inquiries/{iid}/messages"), json!({"body": "hello"}), [un, created, created, nf, nf]),
        ("GET", "/api/v1/blocks".into(), json!(null), [un, ok, ok, ok, nf]),
        ("GET", "/api/v1/operator/reports".into(), json!(null), [un, nf, nf, nf, ok]),
        (
            "POST",
            format!("/api/v1/operator/reports/{rid}/decision"),
            json!({"decision": "nope"}),
            [un, nf, nf, nf, bad],
        ),
        ("POST", format!("/api/v1/quotes/{qid}/accept"), json!({}), [un, ok, nf, nf, nf]),
        ("POST", "/api/v1/products".into(), json!({}), [un, bad, bad, bad, nf]),
        ("POST", "/api/v1/leads".into(), json!({}), [un, bad, bad, bad, nf]),
        ("GET", "/api/v1/reference/fx".into(), json!(null), [ok, ok, ok, ok, ok]),
        ("GET", "/api/v1/reference/hs/suggest?text=coffee".into(), json!(null), [ok, ok, ok, ok, ok]),
    ];
    let callers =
        [("anonymous", &anonymous), ("buyer", &buyer), ("seller", &seller), ("other", &other), ("operator", &operator)];
    for (method, path, body, expected) in &table {
        for (i, (who, session)) in callers.iter().enumerate() {
            let res = match *method {
                "GET" => session.get(path).await,
                _ => session.post(path, body).await,
            };
            let got = res.status();
            assert_eq!(got, expected[i], "{method} {path} as {who}: {}", res.text().await.unwrap_or_default());
        }
    }
    // What the other company can list never includes the others' private data.
    let quotes: Value = other.get(&format!("/api/v1/rfqs/{lid}/quotes")).await.json().await.expect("json");
    assert_eq!(quotes["items"], json!([]));
    let inquiries: Value = other.get("/api/v1/inquiries").await.json().await.expect("json");
    assert_eq!(inquiries["items"], json!([]));
    let notes: Value = other.get("/api/v1/notifications").await.json().await.expect("json");
    assert_eq!(notes["items"], json!([]));
}
