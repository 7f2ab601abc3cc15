//! E-registration, login, tokens, invitations: the happy paths and every kind of bad input.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_company_registers_and_its_admin_sees_it_pending() {
    let app = TestApp::spawn().await;
    let (admin, org) = app.register("Acme Exports Pte Ltd", "SG", "201900001A", "admin@acme.example").await;
    let me: Value = admin.get("/api/v1/organizations/me").await.json().await.expect("json");
    assert_eq!(me["id"], org.as_str());
    assert_eq!(me["legal_name"], "Acme Exports Pte Ltd");
    assert_eq!(me["country"], "SG");
    assert_eq!(me["verification"]["status"], "pending");
    let who: Value = admin.get("/api/v1/me").await.json().await.expect("json");
    assert_eq!(who["user"]["member_role"], "admin");
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_problems() {
    let app = TestApp::spawn().await;
    let anon = app.anonymous();
    let res = anon.post_raw("/api/v1/registrations", "application/json", b"{\"legal_name\": ".to_vec()).await;
    assert_problem(res, StatusCode::BAD_REQUEST, None).await;
    let mut body = registration("X", "SG", "1", "x@x.example");
    body["roles"] = json!("exporter");
    let res = anon.post("/api/v1/registrations", &body).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, Some("roles")).await;
    let res = anon.post_raw("/api/v1/registrations", "text/plain", b"hello".to_vec()).await;
    assert_problem(res, StatusCode::BAD_REQUEST, None).await;
    assert_eq!(count(&app.store, "organizations").await, 0);
}

#[tokio::test]
async fn every_invalid_field_is_named_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let mut body = registration("", "XX", "", "not-an-email");
    body["lei"] = json!("506700GE1G29325QX364");
    body["roles"] = json!(["pirate"]);
    body["admin"]["password"] = json!("short");
    let res = app.anonymous().post("/api/v1/registrations", &body).await;
    let problem = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, Some("country")).await;
    let fields: Vec<(String, String)> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["field"].as_str().unwrap_or("").into(), e["code"].as_str().unwrap_or("").into()))
        .collect();
    for (f, c) in [
        ("legal_name", "required"),
        ("country", "unknown_country"),
        ("registration_number", "required"),
        ("lei", "invalid_lei_check_digits"),
        ("contact.email", "invalid_email"),
        ("roles[0]", "unknown_role"),
        ("admin.password", "password_too_short"),
    ] {
        assert!(fields.contains(&(f.to_string(), c.to_string())), "{f}/{c} missing in {problem}");
    }
    assert_eq!(count(&app.store, "organizations").await, 0);
    assert_eq!(count(&app.store, "users").await, 1, "only the operator");
}

#[tokio::test]
async fn a_valid_lei_is_kept() {
    let app = TestApp::spawn().await;
    let mut body = registration("GLEIF-like", "DE", "HRB 1", "lei@x.example");
    body["lei"] = json!("506700GE1G29325QX363");
    let res = app.anonymous().post("/api/v1/registrations", &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["organization"]["lei"], "506700GE1G29325QX363");
}

#[tokio::test]
async fn a_duplicate_registration_number_in_the_same_country_is_refused_whole() {
    let app = TestApp::spawn().await;
    app.register("First", "SG", "201900001A", "first@x.example").await;
    let orgs = count(&app.store, "organizations").await;
    let users = count(&app.store, "users").await;
    // Same number written differently (case, spaces) is the same registration.
    let res = app
        .anonymous()
        .post("/api/v1/registrations", &registration("Second", "SG", "2019 00001a", "second@x.example"))
        .await;
    assert_problem(res, StatusCode::CONFLICT, Some("registration_number")).await;
    assert_eq!(count(&app.store, "organizations").await, orgs);
    assert_eq!(count(&app.store, "users").await, users, "the admin user was not half-written");
    // The same number in another country is another company.
    let res = app
        .anonymous()
        .post("/api/v1/registrations", &registration("Third", "MY", "201900001A", "third@x.example"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // A taken admin e-mail is named too.
    let res =
        app.anonymous().post("/api/v1/registrations", &registration("Fourth", "TH", "9", "first@x.example")).await;
    assert_problem(res, StatusCode::CONFLICT, Some("admin.email")).await;
}

#[tokio::test]
async fn login_is_rate_limited_per_email() {
    let app = TestApp::spawn().await;
    app.register("Acme", "SG", "1", "a@x.example").await;
    let anon = app.anonymous();
    for _ in 0..5 {
        let res =
            anon.post("/api/v1/auth/login", &json!({"email": "a@x.example", "password": "wrong password!"})).await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, Some("password")).await;
    }
    let res = anon.post("/api/v1/auth/login", &json!({"email": "a@x.example", "password": PASSWORD})).await;
    assert!(res.headers().get("retry-after").is_some());
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, None).await;
    // Other accounts are unaffected.
    let res = anon.post("/api/v1/auth/login", &json!({"email": OPERATOR_EMAIL, "password": PASSWORD})).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_token_and_logout_ends_them() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = app.register("Acme", "SG", "1", "a@x.example").await;
    let good = admin.csrf.clone();
    admin.csrf = String::new();
    let res = admin.post("/api/v1/tokens", &json!({"name": "erp"})).await;
    assert_problem(res, StatusCode::FORBIDDEN, None).await;
    admin.csrf = "wrong".into();
    let res = admin.post("/api/v1/tokens", &json!({"name": "erp"})).await;
    assert_problem(res, StatusCode::FORBIDDEN, None).await;
    admin.csrf = good;
    assert_eq!(admin.post("/api/v1/tokens", &json!({"name": "erp"})).await.status(), StatusCode::CREATED);
    assert_eq!(admin.post("/api/v1/auth/logout", &json!({})).await.status(), StatusCode::NO_CONTENT);
    assert_problem(admin.get("/api/v1/organizations/me").await, StatusCode::UNAUTHORIZED, None).await;
}

#[tokio::test]
async fn api_tokens_work_until_revoked() {
    let app = TestApp::spawn().await;
    let (admin, org) = app.register("Acme", "SG", "1", "a@x.example").await;
    let res = admin.post("/api/v1/tokens", &json!({"name": "nightly export"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let t: Value = res.json().await.expect("json");
    let token = t["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("tw_"));
    let bot = Session::with_bearer(&app, &token);
    let me: Value = bot.get("/api/v1/organizations/me").await.json().await.expect("json");
    assert_eq!(me["id"], org.as_str());
    // Bearer calls need no CSRF token.
    assert_eq!(bot.post("/api/v1/tokens", &json!({"name": "child"})).await.status(), StatusCode::CREATED);
    let list: Value = admin.get("/api/v1/tokens").await.json().await.expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
    assert!(!list.to_string().contains(&token), "secrets are never listed");
    let id = t["id"].as_str().expect("id");
    assert_eq!(admin.delete(&format!("/api/v1/tokens/{id}")).await.status(), StatusCode::NO_CONTENT);
    assert_problem(bot.get("/api/v1/organizations/me").await, StatusCode::UNAUTHORIZED, None).await;
    assert_problem(Session::with_bearer(&app, "tw_made_up").get("/api/v1/me").await, StatusCode::UNAUTHORIZED, None)
        .await;
    // The token is stored only as a hash.
    use sqlx::Row;
    let stored: String = sqlx::query("SELECT token_hash FROM api_tokens WHERE id = $1")
        .bind(id)
        .fetch_one(app.store.pool())
        .await
        .expect("row")
        .try_get("token_hash")
        .expect("hash");
    assert_ne!(stored, token);
}

#[tokio::test]
async fn an_admin_invites_a_colleague_who_joins_as_member() {
    let app = TestApp::spawn().await;
    let (admin, org) = app.register("Acme", "SG", "1", "a@x.example").await;
    let res =
        admin.post("/api/v1/organizations/me/invitations", &json!({"email": "b@x.example", "role": "member"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let inv: Value = res.json().await.expect("json");
    let token = inv["token"].as_str().expect("token").to_string();
    let bad = app
        .anonymous()
        .post("/api/v1/invitations/accept", &json!({"token": "inv_nope", "name": "B", "password": PASSWORD}))
        .await;
    assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, Some("token")).await;
    let res = app
        .anonymous()
        .post("/api/v1/invitations/accept", &json!({"token": token, "name": "Bo", "password": PASSWORD}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let again = app
        .anonymous()
        .post("/api/v1/invitations/accept", &json!({"token": token, "name": "Bo", "password": PASSWORD}))
        .await;
    assert_problem(again, StatusCode::UNPROCESSABLE_ENTITY, Some("token")).await;
    let member = app.login("b@x.example", PASSWORD).await;
    let me: Value = member.get("/api/v1/organizations/me").await.json().await.expect("json");
    assert_eq!(me["id"], org.as_str());
    // Members cannot invite.
    let res = member.post("/api/v1/organizations/me/invitations", &json!({"email": "c@x.example"})).await;
    assert_problem(res, StatusCode::FORBIDDEN, None).await;
    let users: Value = admin.get("/api/v1/organizations/me/users").await.json().await.expect("json");
    assert_eq!(users["items"].as_array().map(Vec::len), Some(2));
    let bad = admin.post("/api/v1/organizations/me/invitations", &json!({"email": "nope", "role": "boss"})).await;
    let p = assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, Some("email")).await;
    assert!(p.to_string().contains("role"));
}

#[tokio::test]
async fn the_operator_verifies_or_rejects_with_a_reason_and_the_badge_shows() {
    let app = TestApp::spawn().await;
    let (a, org_a) = app.register("Acme", "SG", "1", "a@x.example").await;
    let (b, org_b) = app.register("Bolt", "DE", "2", "b@x.example").await;
    let op = app.operator().await;
    let queue: Value = op.get("/api/v1/operator/verification-queue").await.json().await.expect("json");
    assert_eq!(queue["items"].as_array().map(Vec::len), Some(2));
    // Pending companies are invisible to others.
    assert_problem(b.get(&format!("/api/v1/organizations/{org_a}")).await, StatusCode::NOT_FOUND, None).await;
    let res = op.post(&format!("/api/v1/operator/organizations/{org_a}/verify"), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let again = op.post(&format!("/api/v1/operator/organizations/{org_a}/verify"), &json!({})).await;
    let p = assert_problem(again, StatusCode::CONFLICT, None).await;
    assert!(p["detail"].as_str().unwrap_or("").contains("allowed now: reject"), "{p}");
    let profile: Value = b.get(&format!("/api/v1/organizations/{org_a}")).await.json().await.expect("json");
    assert_eq!(profile["verified"], true);
    assert!(profile.get("contact").is_none(), "others see the public profile only");
    let res = op.post(&format!("/api/v1/operator/organizations/{org_b}/reject"), &json!({"reason": " "})).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, Some("reason")).await;
    let res = op
        .post(&format!("/api/v1/operator/organizations/{org_b}/reject"), &json!({"reason": "certificate expired"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mine: Value = b.get("/api/v1/organizations/me").await.json().await.expect("json");
    assert_eq!(mine["verification"], json!({"status": "rejected", "reason": "certificate expired"}));
    assert_eq!(b.post("/api/v1/organizations/me/resubmit", &json!({})).await.status(), StatusCode::OK);
    let dir: Value = a.get("/api/v1/organizations").await.json().await.expect("json");
    assert_eq!(dir["items"].as_array().map(Vec::len), Some(1), "only verified companies are listed");
}

#[tokio::test]
async fn lists_page_with_cursors() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        app.register(&format!("Co {i}"), "SG", &format!("R{i}"), &format!("u{i}@x.example")).await;
    }
    let op = app.operator().await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/operator/verification-queue?limit=2".to_string();
    loop {
        let page: Value = op.get(&path).await.json().await.expect("json");
        for o in page["items"].as_array().expect("items") {
            seen.push(o["legal_name"].as_str().unwrap_or("").to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/operator/verification-queue?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, vec!["Co 0", "Co 1", "Co 2", "Co 3", "Co 4"]);
    let bad = op.get("/api/v1/operator/verification-queue?limit=0").await;
    assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, Some("limit")).await;
    let bad = op.get("/api/v1/operator/verification-queue?cursor=%%%").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
