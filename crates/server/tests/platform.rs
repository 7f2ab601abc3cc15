//! Platform conventions: health, readiness, request ids, OpenAPI, reference data, the
//! audit trail as a company reads it.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn health_readiness_and_request_ids() {
    let app = TestApp::spawn().await;
    let anon = app.anonymous();
    assert_eq!(anon.get("/healthz").await.status(), StatusCode::OK);
    let res = anon.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = res.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(id.len(), 36, "a UUID request id: {id}");
    // A caller's own request id is kept.
    let res = anon.client.get(app.url("/healthz")).header("x-request-id", "trace-me-42").send().await.expect("send");
    assert_eq!(res.headers()["x-request-id"], "trace-me-42");
    assert_problem(anon.get("/api/v1/no-such-thing").await, StatusCode::NOT_FOUND, None).await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let app = TestApp::spawn().await;
    let doc: Value = app.anonymous().get("/api/v1/openapi.json").await.json().await.expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/registrations",
        "/api/v1/auth/login",
        "/api/v1/organizations/me",
        "/api/v1/organizations/me/evidence",
        "/api/v1/organizations/me/audit",
        "/api/v1/operator/verification-queue",
        "/api/v1/reference/hs",
        "/api/v1/tokens/{id}",
        "/api/v1/products",
        "/api/v1/leads",
        "/api/v1/rfqs/{id}/matches",
        "/api/v1/rfqs/{id}/quotes",
        "/api/v1/quotes/{id}/accept",
        "/api/v1/search",
        "/api/v1/inquiries/{id}/attachments",
        "/api/v1/operator/reports/{id}/decision",
        "/api/v1/assessments/{id}/submit",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    assert!(doc["components"]["schemas"].get("RegistrationIn").is_some());
}

#[tokio::test]
async fn reference_data_is_served() {
    let app = TestApp::spawn().await;
    let anon = app.anonymous();
    let countries: Value = anon.get("/api/v1/reference/countries").await.json().await.expect("json");
    let list = countries.as_array().expect("array");
    assert!(list.len() > 240);
    assert!(list.iter().any(|c| c["code"] == "SG" && c["alpha3"] == "SGP"));
    let currencies: Value = anon.get("/api/v1/reference/currencies").await.json().await.expect("json");
    let jpy = currencies.as_array().and_then(|a| a.iter().find(|c| c["code"] == "JPY").cloned()).expect("JPY");
    assert_eq!(jpy["minor_units"], 0);
    let incoterms: Value = anon.get("/api/v1/reference/incoterms").await.json().await.expect("json");
    assert_eq!(incoterms.as_array().map(Vec::len), Some(11));
    let fob = incoterms.as_array().and_then(|a| a.iter().find(|i| i["code"] == "FOB").cloned()).expect("FOB");
    assert_eq!(fob["transport"], "sea_and_inland_waterway");
    // HS by prefix, by dotted prefix, by words.
    let by_prefix: Value = anon.get("/api/v1/reference/hs?q=0901").await.json().await.expect("json");
    assert!(
        by_prefix["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|h| h["code"].as_str().unwrap_or("").starts_with("0901"))
    );
    let dotted: Value = anon.get("/api/v1/reference/hs?q=09.01").await.json().await.expect("json");
    assert_eq!(dotted["items"], by_prefix["items"]);
    let words: Value = anon.get("/api/v1/reference/hs?q=Coffee%20decaffeinated").await.json().await.expect("json");
    let codes: Vec<&str> =
        words["items"].as_array().expect("items").iter().filter_map(|h| h["code"].as_str()).collect();
    assert!(codes.contains(&"090112") && codes.contains(&"090122"), "{codes:?}");
    let one: Value = anon.get("/api/v1/reference/hs/0901.11").await.json().await.expect("json");
    assert_eq!(one["parent"], "0901");
    assert_problem(anon.get("/api/v1/reference/hs/12345").await, StatusCode::UNPROCESSABLE_ENTITY, Some("code")).await;
    assert_problem(anon.get("/api/v1/reference/hs/9999").await, StatusCode::UNPROCESSABLE_ENTITY, Some("code")).await;
    assert_problem(anon.get("/api/v1/reference/hs/0123").await, StatusCode::NOT_FOUND, None).await;
    let ports: Value = anon.get("/api/v1/reference/locodes?q=rotter").await.json().await.expect("json");
    assert_eq!(ports["items"][0]["code"], "NLRTM");
    let sg: Value = anon.get("/api/v1/reference/locodes?country=sg").await.json().await.expect("json");
    assert!(sg["items"].as_array().expect("items").iter().all(|l| l["country"] == "SG"));
    assert_problem(
        anon.get("/api/v1/reference/locodes?country=XX").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("country"),
    )
    .await;
}

#[tokio::test]
async fn a_company_reads_its_own_audit_trail() {
    let app = TestApp::spawn().await;
    let (admin, org) = app.register("Acme", "SG", "1", "a@x.example").await;
    admin.upload("/api/v1/organizations/me/evidence", "l.pdf", "application/pdf", pdf_bytes()).await;
    app.operator().await.post(&format!("/api/v1/operator/organizations/{org}/verify"), &json!({})).await;
    let page: Value = admin.get("/api/v1/organizations/me/audit?limit=200").await.json().await.expect("json");
    let actions: Vec<&str> =
        page["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        vec!["organization.registered", "user.logged_in", "evidence.uploaded", "organization.verified"]
    );
    let entries = page["items"].as_array().expect("items");
    for e in entries {
        assert_eq!(e["organization_id"], org.as_str());
        assert_eq!(e["hash"].as_str().map(str::len), Some(64));
    }
    assert!(!page.to_string().contains(PASSWORD), "no secrets in the audit trail");
    let report = app.store.verify_audit().await.expect("verify");
    assert_eq!(report.fault, None);
}
