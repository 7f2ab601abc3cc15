//! Document exchange between parties through the API: a seller sends its invoice renditions
//! to a customs authority and to its buyer; the authority reads them (also through the
//! order's own download path, which honours the grant), rejects one with a reason and
//! accepts the other; the seller follows the status in its outbox and revokes, after which
//! the authority gets not found. A retried send creates one exchange; a document that was
//! sent on may be forwarded, one that was not may not. Every bad input is refused with a
//! problem and writes nothing; an outsider sees nothing; grants, reads and answers are in
//! the audit trail.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct World {
    app: TestApp,
    seller: Session,
    seller_org: String,
    buyer: Session,
    buyer_org: String,
    customs: Session,
    customs_org: String,
    bank: Session,
    bank_org: String,
    outsider: Session,
    order: String,
    /// The UBL invoice, its CII rendition, and the PDF when the server has a font.
    ubl: String,
    cii: String,
    pdf: Option<String>,
}

async fn company(app: &TestApp, name: &str, country: &str, email: &str, role: &str) -> (Session, String) {
    let mut body = registration(name, country, &format!("REG-{email}"), email);
    body["roles"] = json!([role]);
    let reg = json_of(app.anonymous().post("/api/v1/registrations", &body).await, StatusCode::CREATED).await;
    let org = reg["organization"]["id"].as_str().expect("org id").to_string();
    verify(app, &org).await;
    (app.login(email, PASSWORD).await, org)
}

/// Five verified companies and an agreed order whose seller issued the commercial invoice.
async fn world() -> World {
    let app = TestApp::spawn().await;
    let (seller, seller_org) = company(&app, "Saigon Spice Export JSC", "VN", "s@x.example", "exporter").await;
    let (buyer, buyer_org) = company(&app, "Hanseatic Fine Foods GmbH", "DE", "b@x.example", "importer").await;
    let (customs, customs_org) =
        company(&app, "Hauptzollamt Hamburg", "DE", "zoll@x.example", "customs_authority").await;
    let (bank, bank_org) = company(&app, "Nordbank AG", "DE", "bank@x.example", "bank").await;
    let (outsider, _) = company(&app, "Somebody Else Ltd", "KE", "x@x.example", "exporter").await;
    let o = json_of(buyer.post("/api/v1/orders", &purchase_order(&seller_org)).await, StatusCode::CREATED).await;
    let order = o["id"].as_str().expect("order").to_string();
    for s in [&seller, &buyer] {
        json_of(s.post(&format!("/api/v1/orders/{order}/events"), &json!({"event": "accept"})).await, StatusCode::OK)
            .await;
    }
    json_of(
        seller.post(&format!("/api/v1/orders/{order}/documents/commercial-invoice"), &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    let docs = json_of(seller.get(&format!("/api/v1/orders/{order}/documents")).await, StatusCode::OK).await;
    let id_of = |kind: &str| {
        docs.as_array()
            .and_then(|a| a.iter().find(|d| d["kind"] == kind))
            .and_then(|d| d["id"].as_str())
            .map(str::to_string)
    };
    World {
        ubl: id_of("commercial_invoice").expect("UBL invoice"),
        cii: id_of("commercial_invoice_cii").expect("CII invoice"),
        pdf: id_of("commercial_invoice_pdf"),
        app,
        seller,
        seller_org,
        buyer,
        buyer_org,
        customs,
        customs_org,
        bank,
        bank_org,
        outsider,
        order,
    }
}

async fn send(from: &Session, key: &str, body: &Value) -> reqwest::Response {
    from.post_with_header("/api/v1/exchanges", body, "Idempotency-Key", key).await
}

fn status_of(exchange: &Value, document: &str) -> String {
    exchange["documents"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["document_id"] == document))
        .and_then(|d| d["status"].as_str())
        .unwrap_or("absent")
        .to_string()
}

async fn actions(who: &Session) -> Vec<String> {
    let trail = json_of(who.get("/api/v1/organizations/me/audit?limit=200").await, StatusCode::OK).await;
    trail["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["record"]["action"].as_str().or(e["action"].as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

async fn notification_kinds(who: &Session) -> Vec<String> {
    let n = json_of(who.get("/api/v1/notifications").await, StatusCode::OK).await;
    let list = n.as_array().cloned().or_else(|| n["items"].as_array().cloned()).unwrap_or_default();
    list.iter().filter_map(|x| x["kind"].as_str().map(str::to_string)).collect()
}

#[tokio::test]
async fn documents_reach_an_authority_and_a_buyer_who_answer_and_lose_access_on_revocation() {
    let w = world().await;
    let to_customs =
        json!({"receiver": w.customs_org, "documents": [w.ubl, w.cii], "note": "Import declaration 26DE0001"});

    // Sent once, whatever the retries.
    let sent = json_of(send(&w.seller, "send-1", &to_customs).await, StatusCode::CREATED).await;
    let id = sent["id"].as_str().expect("exchange id").to_string();
    assert_eq!(sent["receiver"]["id"], w.customs_org.as_str());
    assert_eq!(status_of(&sent, &w.ubl), "sent");
    let retry = send(&w.seller, "send-1", &to_customs).await;
    assert_eq!(retry.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    let retry = json_of(retry, StatusCode::OK).await;
    assert_eq!(retry["id"], id.as_str());
    assert_eq!(count(&w.app.store, "document_exchanges").await, 1);
    assert_eq!(count(&w.app.store, "exchange_grants").await, 2);
    // The same key for another send is refused.
    let other = json!({"receiver": w.buyer_org, "documents": [w.ubl]});
    assert_problem(send(&w.seller, "send-1", &other).await, StatusCode::CONFLICT, Some("Idempotency-Key")).await;

    // The authority sees exactly what was sent to it; nobody else sees the exchange.
    let inbox = json_of(w.customs.get("/api/v1/exchanges/inbox").await, StatusCode::OK).await;
    assert_eq!(inbox["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(inbox["items"][0]["documents"].as_array().map(Vec::len), Some(2));
    let outbox = json_of(w.seller.get("/api/v1/exchanges/outbox").await, StatusCode::OK).await;
    assert_eq!(outbox["items"][0]["id"], id.as_str());
    for who in [&w.buyer, &w.outsider, &w.bank] {
        let inbox = json_of(who.get("/api/v1/exchanges/inbox").await, StatusCode::OK).await;
        assert_eq!(inbox["items"].as_array().map(Vec::len), Some(0));
        assert_problem(who.get(&format!("/api/v1/exchanges/{id}")).await, StatusCode::NOT_FOUND, None).await;
        assert_problem(
            who.get(&format!("/api/v1/exchanges/{id}/documents/{}", w.ubl)).await,
            StatusCode::NOT_FOUND,
            None,
        )
        .await;
    }
    assert_problem(
        w.outsider.post(&format!("/api/v1/exchanges/{id}/documents/{}/reject", w.ubl), &json!({"reason": "no"})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    assert_problem(
        w.outsider.post(&format!("/api/v1/exchanges/{id}/revoke"), &json!({})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;

    // Downloads: the exchange's own path and the order's path, both by the grant, both audited.
    let original = w.seller.get(&format!("/api/v1/orders/{}/documents/{}", w.order, w.ubl)).await;
    let original = original.bytes().await.expect("bytes");
    let got = w.customs.get(&format!("/api/v1/exchanges/{id}/documents/{}", w.ubl)).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.expect("bytes"), original);
    let got = w.customs.get(&format!("/api/v1/orders/{}/documents/{}", w.order, w.cii)).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert!(got.text().await.expect("text").contains("CrossIndustryInvoice"));
    // Only what was sent: not the order, not its other renditions.
    assert_problem(w.customs.get(&format!("/api/v1/orders/{}/documents", w.order)).await, StatusCode::NOT_FOUND, None)
        .await;
    if let Some(pdf) = &w.pdf {
        assert_problem(
            w.customs.get(&format!("/api/v1/orders/{}/documents/{pdf}", w.order)).await,
            StatusCode::NOT_FOUND,
            None,
        )
        .await;
    }
    let one = json_of(w.seller.get(&format!("/api/v1/exchanges/{id}")).await, StatusCode::OK).await;
    assert!(one["documents"][0]["first_read_at"].is_string(), "the sender sees the read: {one}");

    // Answers: a rejection needs a reason; each document is answered once.
    let reject = format!("/api/v1/exchanges/{id}/documents/{}/reject", w.cii);
    let grants_before = count(&w.app.store, "audit_entries").await;
    assert_problem(
        w.customs.post(&reject, &json!({"reason": "  "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("reason"),
    )
    .await;
    assert_eq!(count(&w.app.store, "audit_entries").await, grants_before, "a refused answer writes nothing");
    let answered =
        json_of(w.customs.post(&reject, &json!({"reason": "Seller VAT number missing (BT-31)"})).await, StatusCode::OK)
            .await;
    assert_eq!(status_of(&answered, &w.cii), "rejected");
    let accept = format!("/api/v1/exchanges/{id}/documents/{}/accept", w.ubl);
    json_of(w.customs.post(&accept, &json!({})).await, StatusCode::OK).await;
    let twice = assert_problem(w.customs.post(&accept, &json!({})).await, StatusCode::CONFLICT, None).await;
    assert!(twice["detail"].as_str().unwrap_or("").contains("accepted"), "{twice}");
    assert_problem(w.customs.post(&reject, &json!({"reason": "again"})).await, StatusCode::CONFLICT, None).await;
    // The sender does not answer its own exchange.
    assert_problem(w.seller.post(&accept, &json!({})).await, StatusCode::NOT_FOUND, None).await;
    let outbox = json_of(w.seller.get("/api/v1/exchanges/outbox").await, StatusCode::OK).await;
    assert_eq!(status_of(&outbox["items"][0], &w.ubl), "accepted");
    assert_eq!(status_of(&outbox["items"][0], &w.cii), "rejected");
    assert_eq!(outbox["items"][0]["documents"][1]["reason"], "Seller VAT number missing (BT-31)");

    // Forwarding: the authority may send on what was sent to it, not the rest.
    let forward = json!({"receiver": w.bank_org, "documents": [w.ubl]});
    let fwd = json_of(send(&w.customs, "fwd-1", &forward).await, StatusCode::CREATED).await;
    let fwd_id = fwd["id"].as_str().expect("id").to_string();
    if let Some(pdf) = &w.pdf {
        assert_problem(
            send(&w.customs, "fwd-2", &json!({"receiver": w.bank_org, "documents": [pdf]})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("documents"),
        )
        .await;
    }
    let got = w.bank.get(&format!("/api/v1/exchanges/{fwd_id}/documents/{}", w.ubl)).await;
    assert_eq!(got.status(), StatusCode::OK);

    // The buyer, a party of the order, gets the same invoice in its own exchange.
    let to_buyer = json!({"receiver": w.buyer_org, "documents": [w.ubl]});
    json_of(send(&w.seller, "send-buyer", &to_buyer).await, StatusCode::CREATED).await;
    let inbox = json_of(w.buyer.get("/api/v1/exchanges/inbox").await, StatusCode::OK).await;
    assert_eq!(inbox["items"].as_array().map(Vec::len), Some(1));
    // Sending it again while the grant is live is refused.
    assert_problem(
        send(&w.seller, "send-buyer-2", &to_buyer).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("documents"),
    )
    .await;

    // Revocation: access ends at once on both paths; a revoked document takes no answer.
    let revoked = json_of(
        w.seller.post(&format!("/api/v1/exchanges/{id}/documents/{}/revoke", w.ubl), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(status_of(&revoked, &w.ubl), "revoked");
    assert_eq!(revoked["documents"][0]["answer"], "accepted", "the answer stays on record");
    assert_problem(
        w.customs.get(&format!("/api/v1/exchanges/{id}/documents/{}", w.ubl)).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    assert_problem(
        w.customs.get(&format!("/api/v1/orders/{}/documents/{}", w.order, w.ubl)).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    assert_problem(
        w.seller.post(&format!("/api/v1/exchanges/{id}/documents/{}/revoke", w.ubl), &json!({})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    // The receiver cannot revoke; a revoked grant takes no answer.
    assert_problem(
        w.customs.post(&format!("/api/v1/exchanges/{id}/revoke"), &json!({})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    let all = json_of(w.seller.post(&format!("/api/v1/exchanges/{id}/revoke"), &json!({})).await, StatusCode::OK).await;
    assert_eq!(status_of(&all, &w.cii), "revoked");
    let late = assert_problem(
        w.customs.post(&format!("/api/v1/exchanges/{id}/documents/{}/accept", w.cii), &json!({})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    assert!(late["detail"].as_str().unwrap_or("").contains("revoked"), "{late}");

    // The audit trails: grants and revocations on the sender's, reads and answers on the receiver's.
    let seller_actions = actions(&w.seller).await;
    for a in ["exchange.sent", "exchange.revoked"] {
        assert!(seller_actions.iter().any(|x| x == a), "{a} in {seller_actions:?}");
    }
    let customs_actions = actions(&w.customs).await;
    for a in ["exchange.document_read", "exchange.document_accepted", "exchange.document_rejected", "exchange.sent"] {
        assert!(customs_actions.iter().any(|x| x == a), "{a} in {customs_actions:?}");
    }
    assert_eq!(customs_actions.iter().filter(|x| *x == "exchange.document_read").count(), 2);
    assert!(notification_kinds(&w.customs).await.contains(&"documents_received".to_string()));
    assert!(notification_kinds(&w.seller).await.contains(&"document_answered".to_string()));
}

#[tokio::test]
async fn bad_sends_and_answers_are_refused_and_write_nothing() {
    let w = world().await;
    let (_pending, pending_org) = {
        let body = registration("Not Yet Verified Ltd", "SG", "REG-P", "p@x.example");
        let reg = json_of(w.app.anonymous().post("/api/v1/registrations", &body).await, StatusCode::CREATED).await;
        ((), reg["organization"]["id"].as_str().expect("org").to_string())
    };
    let audit_before = count(&w.app.store, "audit_entries").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"receiver": "no-such-company", "documents": [w.ubl]}), "receiver"),
        (json!({"receiver": pending_org, "documents": [w.ubl]}), "receiver"),
        (json!({"receiver": w.seller_org, "documents": [w.ubl]}), "receiver"),
        (json!({"receiver": w.customs_org, "documents": []}), "documents"),
        (json!({"receiver": w.customs_org, "documents": [w.ubl, "no-such-document"]}), "documents"),
    ];
    for (i, (body, field)) in cases.iter().enumerate() {
        let p = assert_problem(
            send(&w.seller, &format!("bad-{i}"), body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(field),
        )
        .await;
        assert!(!p["detail"].as_str().unwrap_or("").is_empty());
    }
    // A document of another company: the outsider cannot send the seller's invoice.
    assert_problem(
        send(&w.outsider, "steal", &json!({"receiver": w.customs_org, "documents": [w.ubl]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("documents"),
    )
    .await;
    // No key, or a body that is not a send.
    assert_problem(
        w.seller.post("/api/v1/exchanges", &json!({"receiver": w.customs_org, "documents": [w.ubl]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("Idempotency-Key"),
    )
    .await;
    assert_problem(
        send(&w.seller, "odd", &json!({"receiver": w.customs_org, "documents": [w.ubl], "cc": "x"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await;
    assert_eq!(count(&w.app.store, "document_exchanges").await, 0);
    assert_eq!(count(&w.app.store, "exchange_grants").await, 0);
    assert_eq!(count(&w.app.store, "audit_entries").await, audit_before, "refused sends write nothing");

    // Unknown exchanges and documents are not found, for everyone.
    assert_problem(w.customs.get("/api/v1/exchanges/nope").await, StatusCode::NOT_FOUND, None).await;
    let sent = json_of(
        send(&w.seller, "good", &json!({"receiver": w.customs_org, "documents": [w.ubl]})).await,
        StatusCode::CREATED,
    )
    .await;
    let id = sent["id"].as_str().expect("id");
    assert_problem(
        w.customs.post(&format!("/api/v1/exchanges/{id}/documents/{}/accept", w.cii), &json!({})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    // The seller lists what it may send; the outsider nothing of this order.
    let sendable = json_of(w.seller.get("/api/v1/exchanges/sendable").await, StatusCode::OK).await;
    assert!(sendable.as_array().is_some_and(|a| a.iter().any(|d| d["id"] == w.ubl.as_str())));
    let sendable = json_of(w.outsider.get("/api/v1/exchanges/sendable").await, StatusCode::OK).await;
    assert_eq!(sendable.as_array().map(Vec::len), Some(0));
    let sendable = json_of(w.customs.get("/api/v1/exchanges/sendable").await, StatusCode::OK).await;
    assert_eq!(sendable.as_array().map(Vec::len), Some(1), "what was sent to it: {sendable}");
    let _ = (&w.buyer, &w.bank);
}
