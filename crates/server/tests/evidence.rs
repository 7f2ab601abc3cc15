//! Evidence uploads: content-addressed, size- and type-limited, readable by the company and
//! the operator only.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

#[tokio::test]
async fn uploads_are_content_addressed_and_downloadable() {
    let app = TestApp::spawn().await;
    let (admin, org) = app.register("Acme", "SG", "1", "a@x.example").await;
    let bytes = pdf_bytes();
    let res = admin.upload("/api/v1/organizations/me/evidence", "licence.pdf", "application/pdf", bytes.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let ev: Value = res.json().await.expect("json");
    assert_eq!(ev["sha256"], hex::encode(Sha256::digest(&bytes)));
    assert_eq!(ev["size"], bytes.len());
    // The same content again is stored once.
    let again: Value = admin
        .upload("/api/v1/organizations/me/evidence", "copy.pdf", "application/pdf", bytes.clone())
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["sha256"], ev["sha256"]);
    assert_eq!(count(&app.store, "blobs").await, 1);
    assert_eq!(count(&app.store, "evidence").await, 2);
    let op = app.operator().await;
    let res = op.get(&format!("/api/v1/organizations/{org}/evidence/{}", ev["id"].as_str().unwrap_or(""))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.bytes().await.expect("bytes").to_vec(), bytes);
}

#[tokio::test]
async fn bad_uploads_are_refused_by_name_and_write_nothing() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.register("Acme", "SG", "1", "a@x.example").await;
    let path = "/api/v1/organizations/me/evidence";
    // Declared PDF, content PNG.
    let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
    let p = assert_problem(
        admin.upload(path, "x.pdf", "application/pdf", png).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("file"),
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "type_mismatch");
    // A type we do not take.
    let p = assert_problem(
        admin.upload(path, "x.html", "text/html", b"<html>".to_vec()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("file"),
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "unsupported_type");
    // Over the limit, by a little (our check) and by a lot (the body limit).
    let mut big = pdf_bytes();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let p = assert_problem(
        admin.upload(path, "big.pdf", "application/pdf", big).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("file"),
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "too_large");
    let mut huge = pdf_bytes();
    huge.resize(12 * 1024 * 1024, b' ');
    let res = admin.upload(path, "huge.pdf", "application/pdf", huge).await;
    assert!(res.status() == StatusCode::UNPROCESSABLE_ENTITY || res.status() == StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // No file part at all.
    let res = admin.post_raw(path, "multipart/form-data; boundary=x", b"--x--\r\n".to_vec()).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, Some("file")).await;
    let res = admin.post_raw(path, "application/json", b"{}".to_vec()).await;
    assert_problem(res, StatusCode::BAD_REQUEST, None).await;
    assert_eq!(count(&app.store, "blobs").await, 0);
    assert_eq!(count(&app.store, "evidence").await, 0);
}
