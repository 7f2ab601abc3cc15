//! Authorisation as a table: every private endpoint × every kind of caller.
//! Anonymous callers get 401; another company's users get 404 (never 403, which would
//! confirm that the resource exists); the owner and, where intended, the operator get in.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug)]
enum Caller {
    Anonymous,
    Owner,
    OwnerMember,
    OtherCompany,
    Operator,
}

#[tokio::test]
async fn endpoints_by_caller() {
    let app = TestApp::spawn().await;
    let (owner, org_a) = app.register("Owner Co", "SG", "A1", "owner@a.example").await;
    let (other, _org_b) = app.register("Other Co", "DE", "B1", "other@b.example").await;
    let inv: Value = owner
        .post("/api/v1/organizations/me/invitations", &json!({"email": "member@a.example"}))
        .await
        .json()
        .await
        .expect("json");
    let token = inv["token"].as_str().expect("token");
    app.anonymous()
        .post("/api/v1/invitations/accept", &json!({"token": token, "name": "M", "password": PASSWORD}))
        .await;
    let member = app.login("member@a.example", PASSWORD).await;
    let operator = app.operator().await;
    let ev: Value = owner
        .upload("/api/v1/organizations/me/evidence", "licence.pdf", "application/pdf", pdf_bytes())
        .await
        .json()
        .await
        .expect("json");
    let ev_id = ev["id"].as_str().expect("evidence id");
    let tok: Value = owner.post("/api/v1/tokens", &json!({"name": "t"})).await.json().await.expect("json");
    let tok_id = tok["id"].as_str().expect("token id");

    use Caller::*;
    let ok = StatusCode::OK;
    let nf = StatusCode::NOT_FOUND;
    let un = StatusCode::UNAUTHORIZED;
    let fb = StatusCode::FORBIDDEN;
    // (method, path, expected for: Anonymous, Owner, OwnerMember, OtherCompany, Operator)
    let a = org_a.as_str();
    let table: Vec<(&str, String, [StatusCode; 5])> = vec![
        ("GET", "/api/v1/me".into(), [un, ok, ok, ok, ok]),
        ("GET", "/api/v1/organizations/me".into(), [un, ok, ok, ok, nf]),
        ("GET", format!("/api/v1/organizations/{a}"), [un, ok, ok, nf, ok]),
        ("GET", format!("/api/v1/organizations/{a}/products"), [un, ok, ok, nf, ok]),
        ("GET", "/api/v1/organizations/me/evidence".into(), [un, ok, ok, ok, nf]),
        ("GET", format!("/api/v1/organizations/{a}/evidence/{ev_id}"), [un, ok, ok, nf, ok]),
        ("GET", "/api/v1/organizations/me/users".into(), [un, ok, ok, ok, nf]),
        ("GET", "/api/v1/organizations/me/invitations".into(), [un, ok, fb, ok, nf]),
        ("GET", "/api/v1/organizations/me/audit".into(), [un, ok, ok, ok, nf]),
        ("GET", "/api/v1/organizations".into(), [un, ok, ok, ok, ok]),
        ("GET", "/api/v1/tokens".into(), [un, ok, ok, ok, ok]),
        ("DELETE", format!("/api/v1/tokens/{tok_id}"), [un, StatusCode::NO_CONTENT, nf, nf, nf]),
        ("GET", "/api/v1/operator/verification-queue".into(), [un, nf, nf, nf, ok]),
        ("GET", format!("/api/v1/operator/organizations/{a}"), [un, nf, nf, nf, ok]),
        ("POST", format!("/api/v1/operator/organizations/{a}/reject"), [un, nf, nf, nf, ok]),
        ("POST", "/api/v1/organizations/me/resubmit".into(), [un, StatusCode::OK, fb, StatusCode::CONFLICT, nf]),
    ];
    let anonymous = app.anonymous();
    for (method, path, expected) in &table {
        for (i, caller) in [Anonymous, OwnerMember, OtherCompany, Operator, Owner].into_iter().enumerate() {
            let _ = i;
            let idx = caller as usize;
            let session = match caller {
                Anonymous => &anonymous,
                Owner => &owner,
                OwnerMember => &member,
                OtherCompany => &other,
                Operator => &operator,
            };
            let res = match *method {
                "GET" => session.get(path).await,
                "DELETE" => session.delete(path).await,
                _ => session.post(path, &json!({"reason": "isolation test"})).await,
            };
            let got = res.status();
            assert_eq!(got, expected[idx], "{method} {path} as {caller:?}: {}", res.text().await.unwrap_or_default());
        }
    }
    // What the other company reads about its own data never includes the owner's.
    let audit: Value = other.get("/api/v1/organizations/me/audit").await.json().await.expect("json");
    assert!(!audit.to_string().contains(a), "another company's audit entries leaked");
    let users: Value = other.get("/api/v1/organizations/me/users").await.json().await.expect("json");
    assert!(!users.to_string().contains("owner@a.example"));
}
