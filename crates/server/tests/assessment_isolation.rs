//! One company's assessments, and the operator's, are invisible (404) to everyone else:
//! reading, answering, uploading, submitting, the report and the evidence files.

mod common;

use common::{TestApp, assert_problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn assessments_answer_404_outside_their_owner() {
    let app = TestApp::spawn().await;
    let (a, _) = app.register("Alpha Ltd", "SG", "A-1", "a@alpha.example").await;
    let (b, _) = app.register("Beta GmbH", "DE", "B-1", "b@beta.example").await;
    let op = app.operator().await;

    let mine: Value = a.post("/api/v1/assessments", &json!({"kind": "company"})).await.json().await.expect("json");
    let id = mine["id"].as_str().expect("id").to_string();
    let ops: Value =
        op.post("/api/v1/assessments", &json!({"kind": "economy", "economy": "SG"})).await.json().await.expect("json");
    let op_id = ops["id"].as_str().expect("id").to_string();

    for (who, target) in [(&b, &id), (&op, &id), (&a, &op_id), (&b, &op_id)] {
        for path in [
            format!("/api/v1/assessments/{target}"),
            format!("/api/v1/assessments/{target}/report.pdf"),
            format!("/api/v1/assessments/{target}/evidence/b2g.registration"),
            format!("/assessments/{target}"),
        ] {
            let res = who.get(&path).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "GET {path}");
        }
        assert_problem(
            who.post(&format!("/api/v1/assessments/{target}/submit"), &json!({})).await,
            StatusCode::NOT_FOUND,
            None,
        )
        .await;
        let res = who
            .client
            .patch(format!("{}/api/v1/assessments/{target}/answers", who.app_base))
            .header("x-csrf-token", &who.csrf)
            .json(&json!({"answers": {"b2g.registration": 1}}))
            .send()
            .await
            .expect("send");
        assert_problem(res, StatusCode::NOT_FOUND, None).await;
        let res = who
            .upload(&format!("/api/v1/assessments/{target}/evidence"), "x.pdf", "application/pdf", common::pdf_bytes())
            .await;
        assert_problem(res, StatusCode::NOT_FOUND, None).await;
    }

    // Lists and history show only the caller's own.
    let list: Value = b.get("/api/v1/assessments").await.json().await.expect("json");
    assert_eq!(list["items"], json!([]));
    let list: Value = op.get("/api/v1/assessments").await.json().await.expect("json");
    let ids: Vec<&str> = list["items"].as_array().expect("items").iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(ids, vec![op_id.as_str()]);
    let list: Value = a.get("/api/v1/assessments").await.json().await.expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    // Nobody logged in: 401.
    assert_problem(app.anonymous().get(&format!("/api/v1/assessments/{id}")).await, StatusCode::UNAUTHORIZED, None)
        .await;
}
