//! Logistics through the API: a carrier registers its SCAC and publishes rate cards, a
//! shipper compares quotes by chargeable weight, a party of a funded order books transport,
//! the carrier confirms with ISO 6346 containers, reports DCSA events by API and by signed
//! webhook, the order shows the timeline and ETA, and proof of delivery delivers the order
//! so that the buyer can release escrow. Also the bad inputs (check digits, weights, replayed
//! and stale webhooks, another carrier's events) and what a third company may see.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use tradewind_server::api::logistics::webhook_signature;

struct Carrier {
    session: Session,
    org: String,
    secret: String,
}

struct Journey {
    app: TestApp,
    buyer: Session,
    seller: Session,
    carrier: Carrier,
    other_carrier: Carrier,
    order: String,
    sea_card: String,
    air_card: String,
}

async fn register_with_roles(app: &TestApp, name: &str, country: &str, email: &str, roles: Value) -> (Session, String) {
    let mut body = registration(name, country, &format!("REG-{email}"), email);
    body["roles"] = roles;
    let res = app.anonymous().post("/api/v1/registrations", &body).await;
    let reg = json_of(res, StatusCode::CREATED).await;
    let org = reg["organization"]["id"].as_str().expect("org id").to_string();
    (app.login(email, PASSWORD).await, org)
}

async fn register_carrier(app: &TestApp, name: &str, email: &str, scac: &str) -> Carrier {
    let (session, org) = register_with_roles(app, name, "KE", email, json!(["carrier_or_forwarder"])).await;
    verify(app, &org).await;
    let c = json_of(session.post("/api/v1/carrier", &json!({"scac": scac})).await, StatusCode::CREATED).await;
    let secret = c["webhook_secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(c["webhook_path"], format!("/api/v1/carrier-webhooks/{org}"));
    Carrier { session, org, secret }
}

fn air_card(price: &str) -> Value {
    json!({"origin": "KENBO", "destination": "DEFRA", "mode": "air", "currency": "USD", "price_per_kg": price,
        "weight_breaks": [{"min_kg": "100", "price_per_kg": "3.80"}], "minimum_charge": "75", "transit_days": 3})
}

fn sea_card() -> Value {
    json!({"origin": "KEMBA", "destination": "DEHAM", "mode": "sea", "currency": "USD", "price_per_kg": "0.35",
        "minimum_charge": "150", "transit_days": 28})
}

/// A time `secs` seconds from now, RFC 3339.
fn at(secs: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::seconds(secs)).format(&Rfc3339).expect("format")
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn event(id: &str, kind: &str, classifier: &str, code: &str, when: &str, place: &str) -> Value {
    let code_field = match kind {
        "EQUIPMENT" => "equipmentEventTypeCode",
        "TRANSPORT" => "transportEventTypeCode",
        _ => "shipmentEventTypeCode",
    };
    json!({"eventID": id, "eventType": kind, "eventClassifierCode": classifier, code_field: code,
        "eventDateTime": when, "UNLocationCode": place})
}

/// Posts a webhook signed with `secret` at Unix time `ts`.
async fn webhook(app: &TestApp, carrier_org: &str, secret: &str, ts: i64, body: &Value) -> reqwest::Response {
    let raw = serde_json::to_vec(body).expect("json");
    let ts = ts.to_string();
    let sig = format!("sha256={}", webhook_signature(secret, &ts, &raw));
    reqwest::Client::new()
        .post(app.url(&format!("/api/v1/carrier-webhooks/{carrier_org}")))
        .header("content-type", "application/json")
        .header("X-Tradewind-Timestamp", ts)
        .header("X-Tradewind-Signature", sig)
        .body(raw)
        .send()
        .await
        .expect("send")
}

/// A JSON PUT with the session's CSRF header.
async fn put_json(s: &Session, path: &str, body: &Value) -> reqwest::Response {
    s.client.put(format!("{}{path}", s.app_base)).header("x-csrf-token", &s.csrf).json(body).send().await.expect("send")
}

async fn notification_kinds(s: &Session) -> Vec<String> {
    let n = json_of(s.get("/api/v1/notifications").await, StatusCode::OK).await;
    n["items"].as_array().expect("items").iter().filter_map(|i| i["kind"].as_str().map(str::to_string)).collect()
}

/// Two carriers with cards, and a funded order between a Kenyan seller and a German buyer.
async fn journey() -> Journey {
    let app = TestApp::spawn().await;
    let (buyer, _) = register_with_roles(&app, "Hanse Kaffee", "DE", "b@x.example", json!(["importer"])).await;
    let (seller, seller_org) =
        register_with_roles(&app, "Kilimanjaro Beans", "KE", "s@x.example", json!(["exporter"])).await;
    verify(&app, &seller_org).await;
    let carrier = register_carrier(&app, "Mombasa Freight", "c@x.example", "mbfr").await;
    let other_carrier = register_carrier(&app, "Nairobi Air Cargo", "n@x.example", "NACX").await;
    let air = json_of(carrier.session.post("/api/v1/rate-cards", &air_card("4.50")).await, StatusCode::CREATED).await;
    let sea = json_of(carrier.session.post("/api/v1/rate-cards", &sea_card()).await, StatusCode::CREATED).await;
    assert_eq!((air["carrier_scac"].as_str(), air["mode"].as_str()), (Some("MBFR"), Some("air")));
    let mut other = air_card("5.00");
    other["weight_breaks"] = json!([]);
    json_of(other_carrier.session.post("/api/v1/rate-cards", &other).await, StatusCode::CREATED).await;

    let mut po = purchase_order(&seller_org);
    po["named_place"] = json!("KEMBA");
    let o = json_of(buyer.post("/api/v1/orders", &po).await, StatusCode::CREATED).await;
    let order = o["id"].as_str().expect("order id").to_string();
    for s in [&seller, &buyer] {
        let res = s.post(&format!("/api/v1/orders/{order}/events"), &json!({"event": "accept"})).await;
        json_of(res, StatusCode::OK).await;
    }
    fund_through_bank(&buyer, &order).await;
    Journey {
        app,
        buyer,
        seller,
        carrier,
        other_carrier,
        order,
        sea_card: sea["id"].as_str().expect("id").into(),
        air_card: air["id"].as_str().expect("id").into(),
    }
}

fn sea_booking(card: &str) -> Value {
    // Two 1 m³ crates of 400 kg: 2 m³ counts as 2000 kg by the revenue ton.
    json!({"rate_card_id": card, "packages": [{"gross_kg": "400", "length_cm": "100", "width_cm": "100",
        "height_cm": "100", "pieces": 2}]})
}

/// The seller books the sea card and the carrier confirms with one container.
async fn confirmed_shipment(j: &Journey) -> String {
    let s = j.seller.post(&format!("/api/v1/orders/{}/shipments", j.order), &sea_booking(&j.sea_card)).await;
    let s = json_of(s, StatusCode::CREATED).await;
    let id = s["id"].as_str().expect("shipment id").to_string();
    let res = j
        .carrier
        .session
        .post(&format!("/api/v1/shipments/{id}/confirm"), &json!({"containers": ["CSQU3054383"]}))
        .await;
    json_of(res, StatusCode::OK).await;
    id
}

#[tokio::test]
async fn a_shipment_is_quoted_booked_tracked_and_delivered_and_escrow_released() {
    let j = journey().await;
    let Journey { app, buyer, seller, carrier, .. } = &j;

    // The carrier's registration never shows the secret again.
    let me = json_of(carrier.session.get("/api/v1/carrier").await, StatusCode::OK).await;
    assert_eq!(me["scac"], "MBFR");
    assert!(me.get("webhook_secret").is_none(), "{me}");

    // Anyone signed in lists the cards of a lane and mode.
    let cards =
        json_of(buyer.get("/api/v1/rate-cards?origin=KENBO&destination=DEFRA&mode=air").await, StatusCode::OK).await;
    assert_eq!(cards["items"].as_array().map(Vec::len), Some(2), "{cards}");
    let sea = json_of(buyer.get("/api/v1/rate-cards?origin=KEMBA&mode=sea").await, StatusCode::OK).await;
    assert_eq!(sea["items"].as_array().map(Vec::len), Some(1));

    // A light, bulky box by air is charged its volume: 120×80×100 cm ÷ 6000 = 160 kg > 60 kg.
    let q = json!({"origin": "KENBO", "destination": "DEFRA", "mode": "air",
        "packages": [{"gross_kg": "60", "length_cm": "120", "width_cm": "80", "height_cm": "100"}]});
    let quotes = json_of(buyer.post("/api/v1/shipping-quotes", &q).await, StatusCode::OK).await;
    let list = quotes["quotes"].as_array().expect("quotes");
    assert_eq!(list.len(), 2, "{quotes}");
    let best = &list[0];
    assert_eq!(best["carrier_scac"], "MBFR");
    assert_eq!(dec(&best["weight"]["gross_kg"]), 60.into());
    assert_eq!(dec(&best["weight"]["volumetric_kg"]), 160.into());
    assert_eq!(dec(&best["weight"]["chargeable_kg"]), 160.into());
    assert_eq!(dec(&best["rate_per_kg"]), "3.80".parse().expect("d"), "the 100 kg break applies");
    assert_eq!(dec(&best["freight"]["amount"]), "608".parse().expect("d"));
    assert_eq!(list[1]["carrier_scac"], "NACX");
    assert_eq!(dec(&list[1]["freight"]["amount"]), "800".parse().expect("d"));

    // The carrier updates its card; another carrier cannot touch it.
    let air_card_id = &j.air_card;
    let upd = json_of(
        put_json(&carrier.session, &format!("/api/v1/rate-cards/{air_card_id}"), &air_card("4.40")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(dec(&upd["price_per_kg"]), "4.40".parse().expect("d"));
    let res = put_json(&j.other_carrier.session, &format!("/api/v1/rate-cards/{air_card_id}"), &air_card("1")).await;
    assert_problem(res, StatusCode::NOT_FOUND, None).await;

    // The seller books sea transport for the funded order.
    let res = seller.post(&format!("/api/v1/orders/{}/shipments", j.order), &sea_booking(&j.sea_card)).await;
    let s = json_of(res, StatusCode::CREATED).await;
    let sid = s["id"].as_str().expect("id").to_string();
    assert_eq!(s["status"], "requested");
    assert_eq!(dec(&s["booking"]["quote"]["weight"]["chargeable_kg"]), 2000.into());
    assert_eq!(dec(&s["booking"]["quote"]["freight"]["amount"]), 700.into());
    assert!(notification_kinds(&carrier.session).await.contains(&"shipment_requested".to_string()));
    assert!(notification_kinds(buyer).await.contains(&"shipment_booked".to_string()));
    let mine = json_of(carrier.session.get("/api/v1/shipments").await, StatusCode::OK).await;
    assert_eq!(mine["items"][0]["id"], sid.as_str());

    // The carrier confirms with a container number written the way it is painted.
    let res = carrier
        .session
        .post(&format!("/api/v1/shipments/{sid}/confirm"), &json!({"containers": ["csqu 305438-3"]}))
        .await;
    let s = json_of(res, StatusCode::OK).await;
    assert_eq!((s["status"].as_str(), s["containers"][0].as_str()), (Some("confirmed"), Some("CSQU3054383")));

    // Events by API: loaded and departed (ACTual) ship the order; a planned arrival.
    let body = json!({"events": [
        {"eventID": "ev-1", "eventType": "EQUIPMENT", "eventClassifierCode": "ACT", "equipmentEventTypeCode": "LOAD",
            "equipmentReference": "CSQU3054383", "eventDateTime": at(-7200), "UNLocationCode": "KEMBA"},
        event("ev-2", "TRANSPORT", "ACT", "DEPA", &at(-3600), "KEMBA"),
        event("ev-3", "TRANSPORT", "PLN", "ARRI", &at(28 * 86400), "DEHAM"),
    ]});
    let r =
        json_of(carrier.session.post(&format!("/api/v1/shipments/{sid}/events"), &body).await, StatusCode::OK).await;
    assert_eq!(r["recorded"], json!(["ev-1", "ev-2", "ev-3"]));
    assert_eq!((r["shipment"]["status"].as_str(), r["order_status"].as_str()), (Some("in_transit"), Some("shipped")));
    let o = json_of(buyer.get(&format!("/api/v1/orders/{}", j.order)).await, StatusCode::OK).await;
    assert_eq!(o["status"]["status"], "shipped");

    // An estimate by signed webhook replaces the plan as the ETA.
    let eta_at = at(26 * 86400);
    let hook = json!({"shipmentID": sid, "events": [event("ev-4", "TRANSPORT", "EST", "ARRI", &eta_at, "DEHAM")]});
    let r = json_of(webhook(app, &carrier.org, &carrier.secret, now_unix(), &hook).await, StatusCode::OK).await;
    assert_eq!(r["recorded"], json!(["ev-4"]));
    let t = json_of(buyer.get(&format!("/api/v1/orders/{}/shipments", j.order)).await, StatusCode::OK).await;
    let ship = &t["shipments"][0];
    let ids: Vec<&str> =
        ship["events"].as_array().expect("events").iter().filter_map(|e| e["eventID"].as_str()).collect();
    assert_eq!(ids, vec!["ev-1", "ev-2", "ev-4", "ev-3"], "events in time order");
    assert_eq!(ship["events"][2]["source"], "webhook");
    assert_eq!((ship["eta"]["classifier"].as_str(), ship["eta"]["event_id"].as_str()), (Some("EST"), Some("ev-4")));
    let eta = time::OffsetDateTime::parse(ship["eta"]["at"].as_str().expect("eta"), &Rfc3339).expect("time");
    assert_eq!(eta, time::OffsetDateTime::parse(&eta_at, &Rfc3339).expect("time"));
    // The buyer's order page shows the timeline and the ETA.
    let page = buyer.get(&format!("/orders/{}", j.order)).await.text().await.expect("page");
    for needle in ["TRANSPORT ARRI", "TRANSPORT DEPA", "EQUIPMENT LOAD", "DEHAM", "CSQU3054383"] {
        assert!(page.contains(needle), "{needle} on the order page");
    }
    assert!(page.contains(&format!("{} ", &eta_at[..10])) && page.contains("(EST)"), "the ETA on the order page");
    // The seller and the carrier see the same timeline.
    for s in [seller, &carrier.session] {
        let t = json_of(s.get(&format!("/api/v1/orders/{}/shipments", j.order)).await, StatusCode::OK).await;
        assert_eq!(t["shipments"][0]["events"].as_array().map(Vec::len), Some(4));
    }

    // The ship arrives: the ACTual arrival becomes the ETA.
    let body = json!({"events": [event("ev-5", "TRANSPORT", "ACT", "ARRI", &at(-60), "DEHAM")]});
    json_of(carrier.session.post(&format!("/api/v1/shipments/{sid}/events"), &body).await, StatusCode::OK).await;
    let t = json_of(buyer.get(&format!("/api/v1/orders/{}/shipments", j.order)).await, StatusCode::OK).await;
    assert_eq!(t["shipments"][0]["eta"]["classifier"], "ACT");

    // Proof of delivery delivers the shipment and the order; the buyer releases escrow.
    let pod = json!({"signatory": "Jonas Weber", "delivered_at": at(-30), "note": "2 crates, seals intact"});
    let d = json_of(
        carrier.session.post(&format!("/api/v1/shipments/{sid}/proof-of-delivery"), &pod).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((d["shipment"]["status"].as_str(), d["order_status"].as_str()), (Some("delivered"), Some("delivered")));
    assert_eq!(d["shipment"]["proof_of_delivery"]["signatory"], "Jonas Weber");
    assert!(notification_kinds(buyer).await.contains(&"shipment_delivered".to_string()));
    let again = carrier.session.post(&format!("/api/v1/shipments/{sid}/proof-of-delivery"), &pod).await;
    assert_problem(again, StatusCode::CONFLICT, None).await;
    let res = buyer
        .post_with_header(&format!("/api/v1/orders/{}/release", j.order), &json!({}), "Idempotency-Key", "rel-1")
        .await;
    let released = json_of(res, StatusCode::OK).await;
    assert_eq!(released["order"]["status"]["status"], "completed");

    // Every step is on the hash-chained audit trail.
    let audit = json_of(carrier.session.get("/api/v1/organizations/me/audit").await, StatusCode::OK).await;
    let actions: Vec<&str> =
        audit["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str()).collect();
    for a in [
        "carrier.registered",
        "rate_card.published",
        "shipment.confirmed",
        "shipment.tracking_events",
        "shipment.delivered",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn bad_containers_weights_and_cards_are_refused_with_the_field() {
    let j = journey().await;
    let Journey { app, buyer, seller, carrier, .. } = &j;

    // Zero and negative weights and dimensions.
    let q = json!({"origin": "KENBO", "destination": "DEFRA", "mode": "air",
        "packages": [{"gross_kg": "0", "length_cm": "-10", "width_cm": "80", "height_cm": "0"}]});
    let e = assert_problem(
        buyer.post("/api/v1/shipping-quotes", &q).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("packages[0].gross_kg"),
    )
    .await;
    let fields: Vec<&str> =
        e["errors"].as_array().expect("errors").iter().filter_map(|f| f["field"].as_str()).collect();
    assert!(fields.contains(&"packages[0].length_cm") && fields.contains(&"packages[0].height_cm"), "{e}");
    let bad = json!({"rate_card_id": j.sea_card, "packages": [{"gross_kg": "-400", "length_cm": "100", "width_cm": "100", "height_cm": "100"}]});
    let res = seller.post(&format!("/api/v1/orders/{}/shipments", j.order), &bad).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, Some("packages[0].gross_kg")).await;
    let res = seller
        .post(
            &format!("/api/v1/orders/{}/shipments", j.order),
            &json!({"rate_card_id": "nope", "packages": sea_booking("x")["packages"]}),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, Some("rate_card_id")).await;
    assert_eq!(count(&app.store, "shipments").await, 0);

    // A rate card with a negative price, and a bad SCAC.
    let mut c = air_card("-1");
    c["transit_days"] = json!(0);
    let res = carrier.session.post("/api/v1/rate-cards", &c).await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, Some("price_per_kg")).await;
    let (exporter, _) = register_with_roles(app, "Plain Exporter", "KE", "p@x.example", json!(["exporter"])).await;
    assert_problem(
        exporter.post("/api/v1/carrier", &json!({"scac": "M4"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("scac"),
    )
    .await;
    // Only a carrier registers a SCAC, and a SCAC belongs to one carrier.
    let e =
        assert_problem(exporter.post("/api/v1/carrier", &json!({"scac": "PLEX"})).await, StatusCode::CONFLICT, None)
            .await;
    assert!(e["detail"].as_str().expect("detail").contains("carrier_or_forwarder"), "{e}");
    let (third, third_org) =
        register_with_roles(app, "Copycat Lines", "KE", "cc@x.example", json!(["carrier_or_forwarder"])).await;
    verify(app, &third_org).await;
    assert_problem(third.post("/api/v1/carrier", &json!({"scac": "MBFR"})).await, StatusCode::CONFLICT, Some("scac"))
        .await;
    assert_problem(third.post("/api/v1/rate-cards", &sea_card()).await, StatusCode::CONFLICT, None).await;

    // A container number with a wrong check digit; a sea booking needs a container.
    let s = json_of(
        seller.post(&format!("/api/v1/orders/{}/shipments", j.order), &sea_booking(&j.sea_card)).await,
        StatusCode::CREATED,
    )
    .await;
    let sid = s["id"].as_str().expect("id");
    let path = format!("/api/v1/shipments/{sid}/confirm");
    let confirm = |c: Value| {
        let body = json!({"containers": c});
        let (s, path) = (&carrier.session, path.clone());
        async move { s.post(&path, &body).await }
    };
    let e =
        assert_problem(confirm(json!(["CSQU3054384"])).await, StatusCode::UNPROCESSABLE_ENTITY, Some("containers[0]"))
            .await;
    assert_eq!(e["errors"][0]["code"], "invalid_container_check_digit");
    assert!(e["detail"].as_str().expect("detail").contains("ISO 6346 gives 3"), "{e}");
    assert_problem(confirm(json!(["CSQ3054383"])).await, StatusCode::UNPROCESSABLE_ENTITY, Some("containers[0]")).await;
    assert_problem(confirm(json!([])).await, StatusCode::UNPROCESSABLE_ENTITY, Some("containers")).await;

    // No events before the carrier confirmed.
    let body = json!({"events": [event("ev-1", "TRANSPORT", "ACT", "DEPA", &at(-60), "KEMBA")]});
    assert_problem(
        carrier.session.post(&format!("/api/v1/shipments/{sid}/events"), &body).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    json_of(confirm(json!(["CSQU3054383"])).await, StatusCode::OK).await;
    // Events that break the DCSA vocabulary name the field.
    let body = json!({"events": [
        {"eventID": "ev-x", "eventType": "EQUIPMENT", "eventClassifierCode": "ACT", "equipmentEventTypeCode": "FLY",
            "equipmentReference": "CSQU3054384", "eventDateTime": at(-60)},
        event("ev-y", "TRANSPORT", "ACT", "ARRI", &at(86400), "DEHAM"),
    ]});
    let e = assert_problem(
        carrier.session.post(&format!("/api/v1/shipments/{sid}/events"), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("events[0].equipmentEventTypeCode"),
    )
    .await;
    let fields: Vec<&str> =
        e["errors"].as_array().expect("errors").iter().filter_map(|f| f["field"].as_str()).collect();
    assert!(fields.contains(&"events[0].equipmentReference") && fields.contains(&"events[1].eventDateTime"), "{e}");
    assert_eq!(count(&app.store, "tracking_events").await, 0);
    // A proof of delivery names its signatory.
    let res = carrier
        .session
        .post(&format!("/api/v1/shipments/{sid}/proof-of-delivery"), &json!({"delivered_at": at(-60)}))
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, Some("signatory")).await;
}

#[tokio::test]
async fn webhooks_are_signed_fresh_and_replays_have_no_second_effect() {
    let j = journey().await;
    let Journey { app, buyer, carrier, other_carrier, .. } = &j;
    let sid = confirmed_shipment(&j).await;
    let hook = json!({"shipmentID": sid, "events": [event("wh-1", "TRANSPORT", "ACT", "DEPA", &at(-60), "KEMBA")]});
    let ts = now_unix();
    let r = json_of(webhook(app, &carrier.org, &carrier.secret, ts, &hook).await, StatusCode::OK).await;
    assert_eq!((r["recorded"].clone(), r["shipment"]["status"].as_str()), (json!(["wh-1"]), Some("in_transit")));
    let notes = notification_kinds(buyer).await.len();
    let audit_rows = count(&app.store, "audit_entries").await;

    // The same delivery again (same event id, same signature) is accepted and does nothing.
    let r = json_of(webhook(app, &carrier.org, &carrier.secret, ts, &hook).await, StatusCode::OK).await;
    assert_eq!((r["recorded"].clone(), r["duplicates"].clone()), (json!([]), json!(["wh-1"])));
    assert_eq!(count(&app.store, "tracking_events").await, 1);
    assert_eq!(notification_kinds(buyer).await.len(), notes, "no second notification");
    assert_eq!(count(&app.store, "audit_entries").await, audit_rows, "no second write");

    // A captured delivery replayed later: its old timestamp is refused, signature or not.
    let late = json!({"shipmentID": sid, "events": [event("wh-2", "TRANSPORT", "EST", "ARRI", &at(86400), "DEHAM")]});
    let e = assert_problem(
        webhook(app, &carrier.org, &carrier.secret, ts - 600, &late).await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;
    assert!(e["detail"].as_str().expect("detail").contains("5 minutes"), "{e}");
    assert_problem(webhook(app, &carrier.org, &carrier.secret, ts + 600, &late).await, StatusCode::UNAUTHORIZED, None)
        .await;
    // A wrong secret, a tampered body, missing headers.
    assert_problem(webhook(app, &carrier.org, &other_carrier.secret, ts, &late).await, StatusCode::UNAUTHORIZED, None)
        .await;
    let raw = serde_json::to_vec(&late).expect("json");
    let sig = format!("sha256={}", webhook_signature(&carrier.secret, &ts.to_string(), &raw));
    let tampered = serde_json::to_vec(&json!({"shipmentID": sid, "events": []})).expect("json");
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/carrier-webhooks/{}", carrier.org)))
        .header("X-Tradewind-Timestamp", ts.to_string())
        .header("X-Tradewind-Signature", sig)
        .body(tampered)
        .send()
        .await
        .expect("send");
    assert_problem(res, StatusCode::UNAUTHORIZED, None).await;
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/carrier-webhooks/{}", carrier.org)))
        .body(raw)
        .send()
        .await
        .expect("send");
    assert_problem(res, StatusCode::UNAUTHORIZED, None).await;
    assert_problem(webhook(app, "no-such-carrier", &carrier.secret, ts, &late).await, StatusCode::UNAUTHORIZED, None)
        .await;
    assert_eq!(count(&app.store, "tracking_events").await, 1);

    // After rotating, the old secret stops working and the new one works.
    let rotated =
        json_of(carrier.session.post("/api/v1/carrier/webhook-secret", &json!({})).await, StatusCode::OK).await;
    let new_secret = rotated["webhook_secret"].as_str().expect("secret");
    assert_problem(
        webhook(app, &carrier.org, &carrier.secret, now_unix(), &late).await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;
    json_of(webhook(app, &carrier.org, new_secret, now_unix(), &late).await, StatusCode::OK).await;
    assert_eq!(count(&app.store, "tracking_events").await, 2);
}

#[tokio::test]
async fn only_the_shipments_carrier_reports_and_a_third_company_sees_nothing() {
    let j = journey().await;
    let Journey { app, buyer, carrier, other_carrier, order, .. } = &j;
    let sid = confirmed_shipment(&j).await;
    let ev = json!({"events": [event("x-1", "TRANSPORT", "ACT", "DEPA", &at(-60), "KEMBA")]});

    // Another carrier: by API, by its own signed webhook, and with the shipment's carrier's id.
    let res = other_carrier.session.post(&format!("/api/v1/shipments/{sid}/events"), &ev).await;
    assert_problem(res, StatusCode::NOT_FOUND, None).await;
    let hook = json!({"shipmentID": sid, "events": ev["events"]});
    let res = webhook(app, &other_carrier.org, &other_carrier.secret, now_unix(), &hook).await;
    assert_problem(res, StatusCode::NOT_FOUND, None).await;
    let res = webhook(app, &carrier.org, &other_carrier.secret, now_unix(), &hook).await;
    assert_problem(res, StatusCode::UNAUTHORIZED, None).await;
    let pod = json!({"signatory": "Someone", "delivered_at": at(-60)});
    let res = other_carrier.session.post(&format!("/api/v1/shipments/{sid}/proof-of-delivery"), &pod).await;
    assert_problem(res, StatusCode::NOT_FOUND, None).await;
    let res = other_carrier
        .session
        .post(&format!("/api/v1/shipments/{sid}/confirm"), &json!({"containers": ["CSQU3054383"]}))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, None).await;
    assert_problem(
        other_carrier.session.get(&format!("/api/v1/orders/{order}/shipments")).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    assert_eq!(count(&app.store, "tracking_events").await, 0);
    // A party of the order cannot report as the carrier either.
    assert_problem(buyer.post(&format!("/api/v1/shipments/{sid}/events"), &ev).await, StatusCode::NOT_FOUND, None)
        .await;

    // A third company sees nothing and can book nothing on the order.
    let (third, _) = register_with_roles(app, "Nosy Traders", "SG", "t@x.example", json!(["importer"])).await;
    assert_problem(third.get(&format!("/api/v1/orders/{order}/shipments")).await, StatusCode::NOT_FOUND, None).await;
    assert_problem(third.get(&format!("/api/v1/shipments/{sid}")).await, StatusCode::NOT_FOUND, None).await;
    let list = json_of(third.get("/api/v1/shipments").await, StatusCode::OK).await;
    assert_eq!(list["items"], json!([]));
    let res = third.post(&format!("/api/v1/orders/{order}/shipments"), &sea_booking(&j.sea_card)).await;
    assert_problem(res, StatusCode::NOT_FOUND, None).await;
    assert_problem(third.post(&format!("/api/v1/shipments/{sid}/events"), &ev).await, StatusCode::NOT_FOUND, None)
        .await;
    assert!(!notification_kinds(&third).await.iter().any(|k| k.starts_with("shipment")));
    // Its own carrier sees the shipment; the buyer sees it too.
    json_of(carrier.session.get(&format!("/api/v1/shipments/{sid}")).await, StatusCode::OK).await;
    json_of(buyer.get(&format!("/api/v1/shipments/{sid}")).await, StatusCode::OK).await;
    // A second booking before the goods leave; then the first shipment departs (which ships
    // the order) and nobody can cancel it any more, while the buyer cancels the second one
    // and the carrier then cannot confirm it.
    let res = j.seller.post(&format!("/api/v1/orders/{order}/shipments"), &sea_booking(&j.sea_card)).await;
    let second = json_of(res, StatusCode::CREATED).await;
    let second = second["id"].as_str().expect("id");
    json_of(carrier.session.post(&format!("/api/v1/shipments/{sid}/events"), &ev).await, StatusCode::OK).await;
    assert_problem(
        buyer.post(&format!("/api/v1/shipments/{sid}/cancel"), &json!({})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    let res = j.seller.post(&format!("/api/v1/orders/{order}/shipments"), &sea_booking(&j.sea_card)).await;
    let e = assert_problem(res, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("is shipped"), "{e}");
    assert_problem(
        third.post(&format!("/api/v1/shipments/{second}/cancel"), &json!({})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    let c = json_of(buyer.post(&format!("/api/v1/shipments/{second}/cancel"), &json!({})).await, StatusCode::OK).await;
    assert_eq!(c["status"], "cancelled");
    assert!(notification_kinds(&carrier.session).await.contains(&"shipment_cancelled".to_string()));
    let res = carrier
        .session
        .post(&format!("/api/v1/shipments/{second}/confirm"), &json!({"containers": ["CSQU3054383"]}))
        .await;
    let e = assert_problem(res, StatusCode::CONFLICT, None).await;
    assert!(e["detail"].as_str().expect("detail").contains("cancelled"), "{e}");
    // Rate cards need a signed-in user.
    assert_problem(app.anonymous().get("/api/v1/rate-cards").await, StatusCode::UNAUTHORIZED, None).await;
}
