//! Cross-border B2C through the API: consumers sign up, browse two sellers' stores, fill
//! one cart, see the full price with shipping per seller, and check out into one order
//! per seller (the split rule); the orders state the seller's identity and the returns
//! window; sellers ship and deliver; a return is accepted inside the window and refused
//! after it. Bad input, isolation between consumers and between sellers, and idempotent
//! checkout are covered too.

mod common;

use common::*;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn product(title: &str, hs: &str, origin: &str) -> Value {
    json!({
        "title": title,
        "description": format!("{title}, retail pack"),
        "hs_code": hs,
        "origin_country": origin,
        "unit": "KGM",
        "moq": "1",
        "supply_capacity": "1000",
        "currency": "USD",
        "price_tiers": [{"min_quantity": "1", "unit_price": "5.00"}],
        "lead_time_days": 5,
        "certifications": []
    })
}

fn store_form(name: &str, currency: &str, days: i64) -> Value {
    json!({
        "display_name": name,
        "currency": currency,
        "returns_window_days": days,
        "returns_address": "Returns desk, 1 Harbour Road, 12345 Port Town",
        "contact_email": "care@shop.example",
        "contact_phone": "+65 6000 0001"
    })
}

struct Seller {
    session: Session,
    org: String,
    store: String,
    /// Offer ids, in the order they were listed.
    offers: Vec<String>,
    products: Vec<String>,
    /// Ships to DE and FR.
    option_eu: String,
    /// Ships to US only.
    option_us: String,
}

/// A verified company with a store, two offers (stock 10 each) and two shipping options.
async fn seller(app: &TestApp, name: &str, country: &str, reg: &str, email: &str, prices: [&str; 2]) -> Seller {
    let (session, org) = app.register(name, country, reg, email).await;
    verify(app, &org).await;
    let body = json_of(
        session.post("/api/v1/stores", &store_form(&format!("{name} shop"), "SGD", 14)).await,
        StatusCode::CREATED,
    )
    .await;
    let store = body["id"].as_str().expect("store id").to_string();
    let mut offers = Vec::new();
    let mut products = Vec::new();
    for (i, price) in prices.iter().enumerate() {
        let p = json_of(
            session.post("/api/v1/products", &product(&format!("{name} item {i}"), "090411", country)).await,
            StatusCode::CREATED,
        )
        .await;
        let pid = p["id"].as_str().expect("product id").to_string();
        let o = json_of(
            session
                .post(
                    &format!("/api/v1/stores/{store}/offers"),
                    &json!({"product_id": pid, "unit_price": price, "stock": 10}),
                )
                .await,
            StatusCode::CREATED,
        )
        .await;
        offers.push(o["id"].as_str().expect("offer id").to_string());
        products.push(pid);
    }
    let eu = json_of(
        session
            .post(
                &format!("/api/v1/stores/{store}/shipping-options"),
                &json!({"name": "Tracked air", "destinations": ["DE", "FR"], "price": "8.00", "delivery_days": 7}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let us = json_of(
        session
            .post(
                &format!("/api/v1/stores/{store}/shipping-options"),
                &json!({"name": "US express", "destinations": ["US"], "price": "20", "delivery_days": 4}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    Seller {
        session,
        org,
        store,
        offers,
        products,
        option_eu: eu["id"].as_str().expect("id").to_string(),
        option_us: us["id"].as_str().expect("id").to_string(),
    }
}

/// A consumer living in `country`, signed in.
async fn consumer(app: &TestApp, email: &str, country: &str) -> Session {
    let body = json!({"name": "Sam Consumer", "email": email, "password": PASSWORD, "country": country});
    let res = json_of(app.anonymous().post("/api/v1/consumers", &body).await, StatusCode::CREATED).await;
    assert_eq!(res["user"]["organization_id"], Value::Null, "a consumer has no company");
    assert_eq!(res["consumer"]["country"], country);
    app.login(email, PASSWORD).await
}

async fn add(c: &Session, offer: &str, qty: i64) -> reqwest::Response {
    c.post("/api/v1/cart/lines", &json!({"offer_id": offer, "quantity": qty})).await
}

fn ship_to() -> Value {
    json!({"name": "Sam Consumer", "street": "Hauptstrasse 1", "city": "Berlin", "postal_code": "10115"})
}

async fn checkout(c: &Session, shipping: Value, key: &str) -> reqwest::Response {
    c.post_with_header("/api/v1/checkout", &json!({"shipping": shipping, "ship_to": ship_to()}), "Idempotency-Key", key)
        .await
}

async fn event(s: &Session, order: &str, name: &str) -> reqwest::Response {
    s.post(&format!("/api/v1/consumer-orders/{order}/events"), &json!({"event": name})).await
}

async fn stock_of(app: &TestApp, store: &str, offer: &str) -> i64 {
    let body = json_of(app.anonymous().get(&format!("/api/v1/stores/{store}")).await, StatusCode::OK).await;
    body["offers"]
        .as_array()
        .expect("offers")
        .iter()
        .find(|o| o["id"] == offer)
        .map(|o| o["stock"].as_i64().expect("stock"))
        .expect("offer listed")
}

fn money(v: &Value) -> Decimal {
    dec(&v["amount"])
}

/// The duties and import VAT a delivered-duty-paid price includes: pepper into Germany is
/// duty free but bears 19 % import VAT, computed by the customs engine (its own tests work
/// the figures by hand).
fn included(d: &Value) -> Decimal {
    assert_eq!(d["status"], "included", "{d}");
    let amount = money(&d["amount"]);
    assert!(amount > Decimal::ZERO, "{d}");
    amount
}

#[tokio::test]
async fn a_consumer_buys_from_two_stores_and_gets_one_order_per_seller_with_full_price_and_returns_terms() {
    let app = TestApp::spawn().await;
    let spice =
        seller(&app, "Lion City Spice Pte Ltd", "SG", "201912345K", "spice@sg.example", ["12.50", "4.00"]).await;
    let coffee = seller(&app, "Saigon Coffee JSC", "VN", "0312345678", "coffee@vn.example", ["9.90", "30"]).await;
    let sam = consumer(&app, "sam@consumer.example", "DE").await;

    // The store front for a consumer in DE: one unit delivered with the EU option only.
    let front = json_of(sam.get(&format!("/api/v1/stores/{}", spice.store)).await, StatusCode::OK).await;
    assert_eq!(front["country"], "DE");
    assert_eq!(front["returns_window_days"], 14);
    assert_eq!(front["seller_identity"]["legal_name"], "Lion City Spice Pte Ltd");
    assert_eq!(front["seller_identity"]["registration_number"], "201912345K");
    let first = &front["offers"][0];
    let prices = first["delivered_prices"].as_array().expect("prices");
    assert_eq!(prices.len(), 1, "only the option that ships to DE: {first}");
    let vat = included(&prices[0]["duties_and_taxes"]);
    assert_eq!(money(&prices[0]["total"]), Decimal::new(2050, 2) + vat, "12.50 + 8.00 shipping + import VAT");
    assert!(prices[0]["duties_and_taxes"]["basis"].as_str().unwrap_or("").contains("19"), "{}", prices[0]);
    // Anonymous browsing is public; prices per country on request.
    let anon =
        json_of(app.anonymous().get(&format!("/api/v1/stores/{}?country=US", spice.store)).await, StatusCode::OK).await;
    assert_eq!(money(&anon["offers"][0]["delivered_prices"][0]["total"]), Decimal::new(3250, 2));

    // Fill the cart from both stores; adding twice adds up; setting replaces.
    json_of(add(&sam, &spice.offers[0], 2).await, StatusCode::OK).await;
    json_of(add(&sam, &spice.offers[1], 1).await, StatusCode::OK).await;
    json_of(add(&sam, &spice.offers[1], 2).await, StatusCode::OK).await;
    json_of(add(&sam, &coffee.offers[0], 1).await, StatusCode::OK).await;
    json_of(add(&sam, &coffee.offers[1], 5).await, StatusCode::OK).await;
    let put = sam
        .client
        .put(app.url(&format!("/api/v1/cart/lines/{}", coffee.offers[1])))
        .header("x-csrf-token", &sam.csrf)
        .json(&json!({"quantity": 1}))
        .send()
        .await
        .expect("put");
    let cart = json_of(put, StatusCode::OK).await;
    assert_eq!(cart["country"], "DE");
    assert_eq!(cart["ready_to_check_out"], true);
    let sellers = cart["sellers"].as_array().expect("sellers");
    assert_eq!(sellers.len(), 2, "one basket per seller: {cart}");
    let spice_basket = sellers.iter().find(|s| s["store_id"] == spice.store.as_str()).expect("spice basket");
    let lines = spice_basket["lines"].as_array().expect("lines");
    assert_eq!(money(&lines[0]["line_total"]), Decimal::new(2500, 2), "2 × 12.50");
    assert_eq!(lines[1]["quantity"], 3);
    assert_eq!(money(&spice_basket["goods_total"]), Decimal::new(3700, 2), "25.00 + 3 × 4.00");
    let opts = spice_basket["shipping_options"].as_array().expect("options");
    assert_eq!(opts.len(), 1, "only options to DE");
    let vat = included(&opts[0]["duties_and_taxes"]);
    assert_eq!(money(&opts[0]["total"]), Decimal::new(4500, 2) + vat, "goods 37.00 + shipping 8.00 + import VAT");

    // Check out: one order per seller.
    let res =
        checkout(&sam, json!({spice.store.clone(): spice.option_eu, coffee.store.clone(): coffee.option_eu}), "co-1")
            .await;
    let done = json_of(res, StatusCode::CREATED).await;
    let orders = done["orders"].as_array().expect("orders");
    assert_eq!(orders.len(), 2);
    let spice_order = orders.iter().find(|o| o["seller_id"] == spice.org.as_str()).expect("spice order");
    let coffee_order = orders.iter().find(|o| o["seller_id"] == coffee.org.as_str()).expect("coffee order");
    let spice_vat = included(&spice_order["price"]["duties_and_taxes"]);
    assert_eq!(money(&spice_order["total"]), Decimal::new(4500, 2) + spice_vat);
    let coffee_vat = included(&coffee_order["price"]["duties_and_taxes"]);
    assert_eq!(money(&coffee_order["total"]), Decimal::new(4790, 2) + coffee_vat, "9.90 + 30 + 8.00 shipping + VAT");
    assert_eq!(spice_order["status"], "placed");
    assert_eq!(spice_order["payment"]["state"], "awaiting_payment");
    assert_eq!(money(&spice_order["payment"]["amount"]), Decimal::new(4500, 2) + spice_vat, "the consumer pays it all");
    assert_eq!(spice_order["seller_identity"]["legal_name"], "Lion City Spice Pte Ltd");
    assert_eq!(spice_order["seller_identity"]["country"], "SG");
    assert_eq!(spice_order["returns"]["window_days"], 14);
    assert_eq!(spice_order["returns"]["counted_from"], "delivery");
    assert_eq!(spice_order["returns"]["deadline"], Value::Null, "known once delivered");
    assert_eq!(spice_order["returns"]["deadline_if_delivered_by_estimate"], in_days(21));
    let statement = spice_order["returns"]["statement"].as_str().expect("statement");
    assert!(statement.contains("14 days of delivery") && statement.contains("201912345K"), "{statement}");
    assert_eq!(spice_order["ship_to"]["country"], "DE");

    // Stock was taken and the cart emptied.
    assert_eq!(stock_of(&app, &spice.store, &spice.offers[0]).await, 8);
    assert_eq!(stock_of(&app, &spice.store, &spice.offers[1]).await, 7);
    let cart = json_of(sam.get("/api/v1/cart").await, StatusCode::OK).await;
    assert_eq!(cart["sellers"].as_array().map(Vec::len), Some(0));

    // The seller sees its order and the notification; ships and delivers.
    let sid = spice_order["id"].as_str().expect("id");
    let seen = json_of(spice.session.get(&format!("/api/v1/consumer-orders/{sid}")).await, StatusCode::OK).await;
    assert_eq!(seen["your_side"], "seller");
    json_of(event(&spice.session, sid, "ship").await, StatusCode::OK).await;
    let delivered = json_of(event(&spice.session, sid, "deliver").await, StatusCode::OK).await;
    assert_eq!(delivered["returns"]["deadline"], in_days(14));
    assert!(delivered["returns"]["statement"].as_str().expect("s").contains(&format!("by {}", in_days(14))));
    // Inside the window the consumer may return; the seller confirms the goods came back.
    json_of(event(&sam, sid, "request_return").await, StatusCode::OK).await;
    let returned = json_of(event(&spice.session, sid, "confirm_return").await, StatusCode::OK).await;
    assert_eq!(returned["status"], "returned");

    // The other order: delivered long ago, the window has closed: the return is refused
    // naming the deadline, and the order can complete.
    let cid = coffee_order["id"].as_str().expect("id");
    json_of(event(&coffee.session, cid, "ship").await, StatusCode::OK).await;
    json_of(event(&coffee.session, cid, "deliver").await, StatusCode::OK).await;
    sqlx::query("UPDATE consumer_orders SET delivered_on = $1 WHERE id = $2")
        .bind(in_days(-20))
        .bind(cid)
        .execute(app.store.pool())
        .await
        .expect("age the delivery");
    let late = assert_problem(event(&sam, cid, "request_return").await, StatusCode::CONFLICT, None).await;
    assert!(late["detail"].as_str().expect("d").contains(&in_days(-6)), "names the deadline: {late}");
    let done = json_of(event(&sam, cid, "complete").await, StatusCode::OK).await;
    assert_eq!(done["status"], "completed");
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named() {
    let app = TestApp::spawn().await;
    let spice =
        seller(&app, "Lion City Spice Pte Ltd", "SG", "201912345K", "spice@sg.example", ["12.50", "4.00"]).await;
    let s = &spice.session;
    let offers = format!("/api/v1/stores/{}/offers", spice.store);
    let pid = &spice.products[0];

    // Prices: zero, negative, too many decimals for SGD, another currency; stock negative.
    for (price, field) in [("0", "unit_price"), ("-3.00", "unit_price"), ("12.345", "unit_price")] {
        let body = json!({"product_id": pid, "unit_price": price, "stock": 5});
        assert_problem(s.post(&offers, &body).await, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let usd = json!({"product_id": pid, "unit_price": "3.00", "currency": "USD", "stock": 5});
    assert_problem(s.post(&offers, &usd).await, StatusCode::UNPROCESSABLE_ENTITY, Some("currency")).await;
    let neg = json!({"product_id": pid, "unit_price": "3.00", "stock": -1});
    assert_problem(s.post(&offers, &neg).await, StatusCode::UNPROCESSABLE_ENTITY, Some("stock")).await;
    let ship = json!({"name": "x", "destinations": ["DE"], "price": "-1", "delivery_days": 3});
    assert_problem(
        s.post(&format!("/api/v1/stores/{}/shipping-options", spice.store), &ship).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("price"),
    )
    .await;

    // A JPY store refuses a fractional yen; a returns window under 14 days is refused.
    let (jp, jp_org) = app.register("Tokyo Tea KK", "JP", "1234567890123", "tea@jp.example").await;
    verify(&app, &jp_org).await;
    let short = assert_problem(
        jp.post("/api/v1/stores", &store_form("Tea", "JPY", 7)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("returns_window_days"),
    )
    .await;
    assert!(short["detail"].as_str().expect("d").contains("14"), "{short}");
    let tea = json_of(jp.post("/api/v1/stores", &store_form("Tea", "JPY", 30)).await, StatusCode::CREATED).await;
    let tea_product =
        json_of(jp.post("/api/v1/products", &product("Sencha", "090210", "JP")).await, StatusCode::CREATED).await;
    let yen = json!({"product_id": tea_product["id"], "unit_price": "1200.5", "stock": 5});
    let p = assert_problem(
        jp.post(&format!("/api/v1/stores/{}/offers", tea["id"].as_str().expect("id")), &yen).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("unit_price"),
    )
    .await;
    assert!(p["detail"].as_str().expect("d").contains("JPY"), "{p}");
    // A second store for the same company is a conflict.
    assert_problem(jp.post("/api/v1/stores", &store_form("Tea 2", "JPY", 30)).await, StatusCode::CONFLICT, None).await;

    // Consumer side: sign-up with a bad country; cart quantities zero, negative, above stock.
    let bad = json!({"name": "X", "email": "x@consumer.example", "password": PASSWORD, "country": "XX"});
    assert_problem(
        app.anonymous().post("/api/v1/consumers", &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("country"),
    )
    .await;
    let sam = consumer(&app, "sam@consumer.example", "DE").await;
    for q in [0, -2] {
        assert_problem(add(&sam, &spice.offers[0], q).await, StatusCode::UNPROCESSABLE_ENTITY, Some("quantity")).await;
    }
    assert_problem(add(&sam, &spice.offers[0], 11).await, StatusCode::UNPROCESSABLE_ENTITY, Some("quantity")).await;
    assert_problem(add(&sam, "no-such-offer", 1).await, StatusCode::UNPROCESSABLE_ENTITY, Some("offer_id")).await;

    // Checking out an empty cart, or without a key.
    let empty = assert_problem(checkout(&sam, json!({}), "k-empty").await, StatusCode::CONFLICT, None).await;
    assert!(empty["detail"].as_str().expect("d").contains("empty"), "{empty}");
    json_of(add(&sam, &spice.offers[0], 1).await, StatusCode::OK).await;
    let no_key = sam.post("/api/v1/checkout", &json!({"shipping": {}, "ship_to": ship_to()})).await;
    assert_problem(no_key, StatusCode::UNPROCESSABLE_ENTITY, Some("Idempotency-Key")).await;
    // No shipping chosen, an option that does not deliver to DE, no address.
    assert_problem(checkout(&sam, json!({}), "k-1").await, StatusCode::UNPROCESSABLE_ENTITY, Some("shipping")).await;
    let us = checkout(&sam, json!({spice.store.clone(): spice.option_us}), "k-2").await;
    let p = assert_problem(us, StatusCode::UNPROCESSABLE_ENTITY, Some("shipping")).await;
    assert!(p["detail"].as_str().expect("d").contains("Germany"), "{p}");
    let no_address = sam
        .post_with_header(
            "/api/v1/checkout",
            &json!({"shipping": {spice.store.clone(): spice.option_eu}, "ship_to": {}}),
            "Idempotency-Key",
            "k-3",
        )
        .await;
    assert_problem(no_address, StatusCode::UNPROCESSABLE_ENTITY, Some("ship_to.street")).await;

    // A withdrawn offer in the cart stops checkout until it is removed; nothing is written.
    json_of(add(&sam, &spice.offers[1], 1).await, StatusCode::OK).await;
    let gone = s.delete(&format!("/api/v1/stores/{}/offers/{}", spice.store, spice.offers[1])).await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let cart = json_of(sam.get("/api/v1/cart").await, StatusCode::OK).await;
    assert_eq!(cart["ready_to_check_out"], false);
    let p = assert_problem(
        checkout(&sam, json!({spice.store.clone(): spice.option_eu}), "k-4").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("cart"),
    )
    .await;
    assert!(p["detail"].as_str().expect("d").contains("no longer offered"), "{p}");
    assert_eq!(count(&app.store, "consumer_orders").await, 0);
    assert_eq!(stock_of(&app, &spice.store, &spice.offers[0]).await, 10, "no stock taken by a refused checkout");
    let removed = sam.delete(&format!("/api/v1/cart/lines/{}", spice.offers[1])).await;
    json_of(removed, StatusCode::OK).await;

    // A product hidden by the operator: its offer leaves the store and the cart cannot check out.
    let (reporter, _) = app.register("Reporter GmbH", "DE", "HRB 1", "rep@de.example").await;
    let report = json_of(
        reporter
            .post("/api/v1/reports", &json!({"subject_kind": "product", "subject_id": pid, "reason": "counterfeit"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let op = app.operator().await;
    json_of(
        op.post(
            &format!("/api/v1/operator/reports/{}/decision", report["id"].as_str().expect("id")),
            &json!({"decision": "hide"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let front = json_of(sam.get(&format!("/api/v1/stores/{}", spice.store)).await, StatusCode::OK).await;
    assert_eq!(front["offers"].as_array().map(Vec::len), Some(0), "withdrawn and hidden offers are not shown");
    assert_problem(
        checkout(&sam, json!({spice.store.clone(): spice.option_eu}), "k-5").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("cart"),
    )
    .await;
    assert_problem(add(&sam, &spice.offers[0], 1).await, StatusCode::UNPROCESSABLE_ENTITY, Some("offer_id")).await;
    assert_eq!(count(&app.store, "consumer_orders").await, 0);
}

#[tokio::test]
async fn consumers_and_sellers_see_only_their_own() {
    let app = TestApp::spawn().await;
    let spice =
        seller(&app, "Lion City Spice Pte Ltd", "SG", "201912345K", "spice@sg.example", ["12.50", "4.00"]).await;
    let coffee = seller(&app, "Saigon Coffee JSC", "VN", "0312345678", "coffee@vn.example", ["9.90", "30"]).await;
    let sam = consumer(&app, "sam@consumer.example", "DE").await;
    let kim = consumer(&app, "kim@consumer.example", "FR").await;

    // A consumer is refused by company endpoints with a clear problem, not a 500.
    for path in ["/api/v1/orders", "/api/v1/organizations/me"] {
        let p = assert_problem(sam.get(path).await, StatusCode::CONFLICT, None).await;
        assert!(p["detail"].as_str().expect("d").contains("consumer"), "{path}: {p}");
    }
    assert_problem(sam.post("/api/v1/stores", &store_form("Mine", "EUR", 14)).await, StatusCode::CONFLICT, None).await;
    assert_problem(
        sam.post(
            &format!("/api/v1/stores/{}/offers", spice.store),
            &json!({"product_id": spice.products[0], "unit_price": "1", "stock": 1}),
        )
        .await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    // And a company user has no cart.
    let p = assert_problem(spice.session.get("/api/v1/cart").await, StatusCode::CONFLICT, None).await;
    assert!(p["detail"].as_str().expect("d").contains("/api/v1/consumers"), "{p}");
    assert_problem(app.anonymous().get("/api/v1/cart").await, StatusCode::UNAUTHORIZED, None).await;

    // Carts are private.
    json_of(add(&sam, &spice.offers[0], 1).await, StatusCode::OK).await;
    json_of(add(&kim, &coffee.offers[0], 2).await, StatusCode::OK).await;
    let kim_cart = json_of(kim.get("/api/v1/cart").await, StatusCode::OK).await;
    assert_eq!(kim_cart["sellers"].as_array().map(Vec::len), Some(1));
    assert_eq!(kim_cart["sellers"][0]["store_id"], coffee.store.as_str());
    assert_problem(kim.delete(&format!("/api/v1/cart/lines/{}", spice.offers[0])).await, StatusCode::NOT_FOUND, None)
        .await;

    let sam_order =
        json_of(checkout(&sam, json!({spice.store.clone(): spice.option_eu}), "same-key").await, StatusCode::CREATED)
            .await;
    let sam_id = sam_order["orders"][0]["id"].as_str().expect("id").to_string();
    // The same key in another consumer's hands is another checkout.
    let kim_order =
        json_of(checkout(&kim, json!({coffee.store.clone(): coffee.option_eu}), "same-key").await, StatusCode::CREATED)
            .await;
    let kim_id = kim_order["orders"][0]["id"].as_str().expect("id").to_string();
    assert_ne!(sam_id, kim_id);

    // Another consumer's order and another seller's order are not found.
    assert_problem(kim.get(&format!("/api/v1/consumer-orders/{sam_id}")).await, StatusCode::NOT_FOUND, None).await;
    assert_problem(event(&kim, &sam_id, "request_return").await, StatusCode::NOT_FOUND, None).await;
    assert_problem(coffee.session.get(&format!("/api/v1/consumer-orders/{sam_id}")).await, StatusCode::NOT_FOUND, None)
        .await;
    assert_problem(event(&coffee.session, &sam_id, "ship").await, StatusCode::NOT_FOUND, None).await;
    let mine = json_of(kim.get("/api/v1/consumer-orders").await, StatusCode::OK).await;
    let ids: Vec<&str> = mine["items"].as_array().expect("items").iter().filter_map(|o| o["id"].as_str()).collect();
    assert_eq!(ids, vec![kim_id.as_str()]);
    let spice_orders = json_of(spice.session.get("/api/v1/consumer-orders").await, StatusCode::OK).await;
    let ids: Vec<&str> =
        spice_orders["items"].as_array().expect("items").iter().filter_map(|o| o["id"].as_str()).collect();
    assert_eq!(ids, vec![sam_id.as_str()]);

    // Each side sends only its own events; another seller cannot touch this store.
    let p = assert_problem(event(&sam, &sam_id, "ship").await, StatusCode::CONFLICT, None).await;
    assert!(p["detail"].as_str().expect("d").contains("seller"), "{p}");
    assert_problem(event(&sam, &sam_id, "teleport").await, StatusCode::UNPROCESSABLE_ENTITY, Some("event")).await;
    assert_problem(
        coffee
            .session
            .post(
                &format!("/api/v1/stores/{}/offers", spice.store),
                &json!({"product_id": coffee.products[0], "unit_price": "1", "stock": 1}),
            )
            .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    assert_problem(
        coffee.session.delete(&format!("/api/v1/stores/{}/offers/{}", spice.store, spice.offers[0])).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    // A seller cannot list another company's product in its own store.
    assert_problem(
        coffee
            .session
            .post(
                &format!("/api/v1/stores/{}/offers", coffee.store),
                &json!({"product_id": spice.products[0], "unit_price": "1", "stock": 1}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("product_id"),
    )
    .await;
    // The consumer cancels before shipping; the stock comes back.
    assert_eq!(stock_of(&app, &spice.store, &spice.offers[0]).await, 9);
    json_of(event(&sam, &sam_id, "cancel").await, StatusCode::OK).await;
    assert_eq!(stock_of(&app, &spice.store, &spice.offers[0]).await, 10);
}

#[tokio::test]
async fn a_retried_checkout_makes_no_second_order_and_takes_stock_once() {
    let app = TestApp::spawn().await;
    let spice =
        seller(&app, "Lion City Spice Pte Ltd", "SG", "201912345K", "spice@sg.example", ["12.50", "4.00"]).await;
    let sam = consumer(&app, "sam@consumer.example", "DE").await;
    json_of(add(&sam, &spice.offers[0], 3).await, StatusCode::OK).await;
    let choice = json!({spice.store.clone(): spice.option_eu});

    // Two identical requests at once, then a late retry: one order, stock taken once.
    let (a, b) = tokio::join!(checkout(&sam, choice.clone(), "retry-me"), checkout(&sam, choice.clone(), "retry-me"));
    let (sa, sb) = (a.status(), b.status());
    let (ba, bb): (Value, Value) = (a.json().await.expect("json"), b.json().await.expect("json"));
    let mut statuses = [sa, sb];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CREATED], "{ba} {bb}");
    assert_eq!(ba["orders"][0]["id"], bb["orders"][0]["id"]);
    let again = json_of(checkout(&sam, choice.clone(), "retry-me").await, StatusCode::OK).await;
    assert_eq!(again["replayed"], true);
    assert_eq!(again["orders"][0]["id"], ba["orders"][0]["id"]);
    let vat = included(&again["orders"][0]["price"]["duties_and_taxes"]);
    assert_eq!(money(&again["orders"][0]["total"]), Decimal::new(4550, 2) + vat, "3 × 12.50 + 8.00 + import VAT");
    assert_eq!(count(&app.store, "consumer_orders").await, 1);
    assert_eq!(stock_of(&app, &spice.store, &spice.offers[0]).await, 7);

    // The same key for a different checkout is refused.
    json_of(add(&sam, &spice.offers[1], 1).await, StatusCode::OK).await;
    let other = sam
        .post_with_header(
            "/api/v1/checkout",
            &json!({"shipping": choice, "ship_to": {"name": "Someone Else", "street": "Rue 1", "city": "Paris"}}),
            "Idempotency-Key",
            "retry-me",
        )
        .await;
    assert_problem(other, StatusCode::CONFLICT, Some("Idempotency-Key")).await;
    assert_eq!(count(&app.store, "consumer_orders").await, 1);
    // A new key is a new checkout.
    json_of(checkout(&sam, choice, "second").await, StatusCode::CREATED).await;
    assert_eq!(count(&app.store, "consumer_orders").await, 2);
    assert_eq!(stock_of(&app, &spice.store, &spice.offers[1]).await, 9);
}

#[tokio::test]
async fn the_demo_consumer_can_shop_at_the_demo_spice_store() {
    let app = TestApp::spawn().await;
    tradewind_server::demo::seed(&app.store).await.expect("demo data");
    let sam = app.login(tradewind_server::demo::DEMO_CONSUMER, tradewind_server::demo::DEMO_PASSWORD).await;
    let stores = json_of(sam.get("/api/v1/stores").await, StatusCode::OK).await;
    let shop = stores["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["display_name"] == "Lion City Spice shop")
        .expect("the demo store")
        .clone();
    assert_eq!(shop["returns_window_days"], 30);
    let front =
        json_of(sam.get(&format!("/api/v1/stores/{}", shop["id"].as_str().expect("id"))).await, StatusCode::OK).await;
    let offers = front["offers"].as_array().expect("offers");
    assert_eq!(offers.len(), 2);
    assert_eq!(
        money(&offers[0]["delivered_prices"][0]["total"]),
        Decimal::new(3290, 2) + included(&offers[0]["delivered_prices"][0]["duties_and_taxes"]),
        "14.90 + 18.00 air mail to DE + import VAT"
    );
    json_of(add(&sam, offers[0]["id"].as_str().expect("id"), 1).await, StatusCode::OK).await;
    let cart = json_of(sam.get("/api/v1/cart").await, StatusCode::OK).await;
    assert_eq!(cart["ready_to_check_out"], true, "{cart}");
}

#[tokio::test]
async fn a_seller_reprices_and_restocks_and_the_consumer_profile_is_its_own() {
    let app = TestApp::spawn().await;
    let spice =
        seller(&app, "Lion City Spice Pte Ltd", "SG", "201912345K", "spice@sg.example", ["12.50", "4.00"]).await;
    let sam = consumer(&app, "sam@consumer.example", "FR").await;
    let me = json_of(sam.get("/api/v1/consumers/me").await, StatusCode::OK).await;
    assert_eq!(me["consumer"]["country"], "FR");
    assert_eq!(me["user"]["email"], "sam@consumer.example");
    assert_problem(spice.session.get("/api/v1/consumers/me").await, StatusCode::CONFLICT, None).await;

    let path = format!("/api/v1/stores/{}/offers/{}", spice.store, spice.offers[0]);
    let put = |body: Value| {
        spice.session.client.put(app.url(&path)).header("x-csrf-token", &spice.session.csrf).json(&body).send()
    };
    let changed = json_of(put(json!({"unit_price": "11.00", "stock": 2})).await.expect("put"), StatusCode::OK).await;
    assert_eq!(money(&changed["unit_price"]), Decimal::new(1100, 2));
    assert_eq!(changed["stock"], 2);
    assert_problem(
        put(json!({"unit_price": "11.001", "stock": 2})).await.expect("put"),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("unit_price"),
    )
    .await;
    assert_problem(
        put(json!({"unit_price": "11.00", "stock": -5})).await.expect("put"),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("stock"),
    )
    .await;
    // The cart follows the new price; only the stock on hand can be bought.
    assert_problem(add(&sam, &spice.offers[0], 3).await, StatusCode::UNPROCESSABLE_ENTITY, Some("quantity")).await;
    let cart = json_of(add(&sam, &spice.offers[0], 2).await, StatusCode::OK).await;
    assert_eq!(money(&cart["sellers"][0]["goods_total"]), Decimal::new(2200, 2));
    assert_eq!(money(&cart["sellers"][0]["shipping_options"][0]["total"]), Decimal::new(3000, 2), "22.00 + 8.00 to FR");
}

/// The value of the hidden input `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.split(&marker)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no {name} in page"))
        .to_string()
}

#[tokio::test]
async fn the_shop_pages_show_the_full_price_take_one_checkout_and_confirm_the_returns_terms() {
    let app = TestApp::spawn().await;
    let spice =
        seller(&app, "Lion City Spice Pte Ltd", "SG", "201912345K", "spice@sg.example", ["12.50", "4.00"]).await;
    let sam = consumer(&app, "sam@consumer.example", "DE").await;

    let front = sam.get(&format!("/stores/{}", spice.store)).await;
    assert_eq!(front.status(), StatusCode::OK);
    let html = front.text().await.expect("html");
    assert!(html.contains("201912345K") && html.contains("14 days of delivery"), "seller identity and returns");
    let api = json_of(sam.get(&format!("/api/v1/stores/{}", spice.store)).await, StatusCode::OK).await;
    let one = money(&api["offers"][0]["delivered_prices"][0]["total"]);
    assert!(html.contains(&format!("SGD {one:.2} with Tracked air")), "one unit delivered to DE: 12.50 + 8.00 + VAT");

    let added = sam
        .client
        .post(app.url("/cart"))
        .form(&[("csrf_token", sam.csrf.as_str()), ("offer_id", spice.offers[0].as_str()), ("quantity", "2")])
        .send()
        .await
        .expect("add");
    assert_eq!(added.status(), StatusCode::OK, "redirected to the cart");
    let cart = added.text().await.expect("html");
    let api_cart = json_of(sam.get("/api/v1/cart").await, StatusCode::OK).await;
    let two = money(&api_cart["sellers"][0]["shipping_options"][0]["total"]);
    assert!(two > Decimal::new(3300, 2), "25.00 + 8.00 + import VAT: {two}");
    assert!(cart.contains("Added to your cart.") && cart.contains(&format!("SGD {two:.2} with Tracked air")), "{two}");
    assert!(cart.contains("delivered duty paid"), "the duties are in the price and explained");
    let zh = sam.get("/cart?lang=zh").await.text().await.expect("html");
    assert!(zh.contains("购物车") && zh.contains("含关税和税费"), "the cart in Chinese");

    let key = hidden(&cart, "idempotency_key");
    let field = format!("shipping.{}", spice.store);
    let form = [
        ("csrf_token", sam.csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("store", spice.store.as_str()),
        (field.as_str(), spice.option_eu.as_str()),
        ("ship_to.name", "Sam Consumer"),
        ("ship_to.street", "Hauptstrasse 1"),
        ("ship_to.city", "Berlin"),
        ("ship_to.postal_code", "10115"),
    ];
    let placed = sam.client.post(app.url("/checkout?lang=en")).form(&form).send().await.expect("checkout");
    assert_eq!(placed.status(), StatusCode::OK);
    let confirmation_url = placed.url().path().to_string();
    assert!(confirmation_url.starts_with("/checkout/"), "{confirmation_url}");
    let page = placed.text().await.expect("html");
    assert!(
        page.contains("Order confirmation") && page.contains(&format!("SGD {two:.2}")),
        "total on the confirmation"
    );
    assert!(page.contains("within 14 days of delivery") && page.contains("201912345K"), "returns terms and seller");
    // The same form again (a double submit) shows the same checkout and orders nothing more.
    let again = sam.client.post(app.url("/checkout")).form(&form).send().await.expect("again");
    assert_eq!(again.url().path(), confirmation_url);
    assert_eq!(count(&app.store, "consumer_orders").await, 1);
    assert_eq!(stock_of(&app, &spice.store, &spice.offers[0]).await, 8);
    // Another consumer cannot open this confirmation.
    let kim = consumer(&app, "kim@consumer.example", "DE").await;
    assert_eq!(kim.get(&confirmation_url).await.status(), StatusCode::NOT_FOUND);
    // An empty cart cannot be checked out: the cart page says why.
    let form2 = [
        ("csrf_token", kim.csrf.as_str()),
        ("idempotency_key", "k-web-2"),
        ("ship_to.name", "Kim"),
        ("ship_to.street", "Rue 1"),
        ("ship_to.city", "Paris"),
    ];
    let refused = kim.client.post(app.url("/checkout")).form(&form2).send().await.expect("refused");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.expect("html").contains("your cart is empty"));
}
