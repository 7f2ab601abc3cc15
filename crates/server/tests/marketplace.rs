//! Before the deal, through the API: listings, RFQs, explained matches, quotes compared
//! and accepted, search with facets, and what each company may see.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn product(title: &str, hs: &str, origin: &str) -> Value {
    json!({
        "title": title,
        "description": format!("{title}, export quality"),
        "hs_code": hs,
        "origin_country": origin,
        "unit": "KGM",
        "moq": "1000",
        "supply_capacity": "100000",
        "currency": "USD",
        "price_tiers": [
            {"min_quantity": "1000", "max_quantity": "9999", "unit_price": "2.40"},
            {"min_quantity": "10000", "unit_price": "2.05"}
        ],
        "lead_time_days": 30,
        "certifications": ["organic", "ISO 9001"]
    })
}

fn rfq(expires: &str) -> Value {
    json!({
        "side": "buy",
        "title": "Robusta green coffee beans",
        "description": "Grade 1 robusta, 60 kg jute bags, for roasting in Hamburg",
        "hs_code": "090111",
        "quantity": "19200",
        "unit": "KGM",
        "target_price": "2.10",
        "currency": "USD",
        "country": "DE",
        "port": "DEHAM",
        "incoterm": "CIF",
        "needed_by": "2027-03-01",
        "expires_on": expires
    })
}

async fn created(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.expect("json");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

#[tokio::test]
async fn listings_refuse_bad_input_by_field() {
    let app = TestApp::spawn().await;
    let (seller, _) = app.register("Seller", "VN", "S1", "s@x.example").await;
    let mut p = product("Coffee", "099999", "VN");
    let e =
        assert_problem(seller.post("/api/v1/products", &p).await, StatusCode::UNPROCESSABLE_ENTITY, Some("hs_code"))
            .await;
    assert_eq!(e["errors"][0]["code"], "unknown_hs_code");
    p["hs_code"] = json!("090111");
    p["moq"] = json!("500000");
    p["price_tiers"] = json!([{"min_quantity": "1000", "unit_price": "2"}, {"min_quantity": "900", "unit_price": "1"}]);
    p["currency"] = json!("XXY");
    let e =
        assert_problem(seller.post("/api/v1/products", &p).await, StatusCode::UNPROCESSABLE_ENTITY, Some("moq")).await;
    let text = e.to_string();
    for code in ["above_capacity", "not_increasing", "unknown_currency"] {
        assert!(text.contains(code), "{code} in {text}");
    }
    p = product("Coffee", "090111", "VN");
    p["moq"] = json!(-5);
    assert_problem(seller.post("/api/v1/products", &p).await, StatusCode::UNPROCESSABLE_ENTITY, Some("moq")).await;
    assert_eq!(count(&app.store, "products").await, 0);
    let ok = created(seller.post("/api/v1/products", &product("Robusta green coffee", "090111", "VN")).await).await;
    assert_eq!(ok["certifications"], json!(["Organic", "ISO 9001"]));
    assert_eq!(ok["company_verified"], false);
}

#[tokio::test]
async fn leads_refuse_bad_input_by_field() {
    let app = TestApp::spawn().await;
    let (buyer, _) = app.register("Buyer", "DE", "B1", "b@x.example").await;
    let mut r = rfq(&in_days(-1));
    r["quantity"] = json!("0");
    r["port"] = json!("SGSIN");
    r["incoterm"] = json!("DAT");
    let e = assert_problem(buyer.post("/api/v1/leads", &r).await, StatusCode::UNPROCESSABLE_ENTITY, Some("expires_on"))
        .await;
    let text = e.to_string();
    for code in ["in_the_past", "not_positive", "port_not_in_country", "unknown_incoterm"] {
        assert!(text.contains(code), "{code} in {text}");
    }
    assert_eq!(count(&app.store, "trade_leads").await, 0);
    let lead = created(buyer.post("/api/v1/leads", &rfq(&in_days(30))).await).await;
    assert_eq!(lead["company_verified"], false, "unverified companies may post, labelled");
    assert_eq!(lead["expired"], false);
}

#[tokio::test]
async fn an_rfq_is_matched_quoted_compared_and_accepted() {
    let app = TestApp::spawn().await;
    let (buyer, buyer_org) = app.register("Hamburg Roasters", "DE", "B1", "b@x.example").await;
    let (exact, exact_org) = app.register("Dak Lak Coffee", "VN", "S1", "s1@x.example").await;
    let (chapter, chapter_org) = app.register("Pepper House", "VN", "S2", "s2@x.example").await;
    let (_, _) = app.register("Phone Maker", "CN", "S3", "s3@x.example").await;
    verify(&app, &exact_org).await;
    created(exact.post("/api/v1/products", &product("Robusta green coffee beans", "090111", "VN")).await).await;
    created(chapter.post("/api/v1/products", &product("Black pepper", "090411", "VN")).await).await;
    let lead = created(buyer.post("/api/v1/leads", &rfq(&in_days(30))).await).await;
    let id = lead["id"].as_str().expect("id");

    // Matches, explained.
    let m: Value = buyer.get(&format!("/api/v1/rfqs/{id}/matches")).await.json().await.expect("json");
    let items = m["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "same-chapter suppliers only: {m}");
    assert_eq!(items[0]["organization_id"], exact_org.as_str());
    assert_eq!(items[1]["organization_id"], chapter_org.as_str());
    assert!(items[0]["score"].as_f64() > items[1]["score"].as_f64());
    let factors: Vec<&str> =
        items[0]["factors"].as_array().expect("factors").iter().filter_map(|f| f["name"].as_str()).collect();
    assert_eq!(factors.len(), 8);
    assert!(factors.contains(&"hs_closeness") && factors.contains(&"verified"));
    assert_eq!(items[0]["factors"][0]["reason"], "same HS subheading 090111");
    // Suppliers were told, in-app and through the delivery outbox.
    let n: Value = exact.get("/api/v1/notifications").await.json().await.expect("json");
    assert_eq!(n["items"][0]["kind"], "rfq_match");
    // One e-mail and one webhook copy each; the webhook sender may already have taken its copy.
    let row = sqlx::query("SELECT COUNT(*) AS n FROM delivery_outbox WHERE organization_id = $1")
        .bind(&exact_org)
        .fetch_one(app.store.pool())
        .await
        .expect("count");
    assert!(sqlx::Row::try_get::<i64, _>(&row, "n").expect("n") >= 2);
    // And the seller sees the RFQ among those it can serve.
    let mine: Value = exact.get("/api/v1/organizations/me/rfq-matches").await.json().await.expect("json");
    assert_eq!(mine["items"][0]["lead_id"], id);

    // Two quotes in different currencies.
    let q_usd = json!({"unit_price": "2.08", "currency": "USD", "incoterm": "CIF", "named_place": "DEHAM",
        "valid_until": in_days(20), "lead_time_days": 35, "payment_terms": "escrow"});
    let q_eur = json!({"unit_price": "1.70", "currency": "EUR", "incoterm": "FOB", "named_place": "VNSGN",
        "valid_until": in_days(20), "lead_time_days": 30, "payment_terms": "letter_of_credit"});
    let a = created(exact.post(&format!("/api/v1/rfqs/{id}/quotes"), &q_usd).await).await;
    created(chapter.post(&format!("/api/v1/rfqs/{id}/quotes"), &q_eur).await).await;
    let mut bad = q_usd.clone();
    bad["currency"] = json!("EUX");
    assert_problem(
        exact.post(&format!("/api/v1/rfqs/{id}/quotes"), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("currency"),
    )
    .await;
    assert_problem(buyer.post(&format!("/api/v1/rfqs/{id}/quotes"), &q_usd).await, StatusCode::CONFLICT, None).await;

    // Side by side in one currency, with the rate shown.
    let cmp: Value = buyer.get(&format!("/api/v1/rfqs/{id}/quotes?currency=USD")).await.json().await.expect("json");
    let qs = cmp["items"].as_array().expect("items");
    assert_eq!(qs.len(), 2);
    assert!(cmp["rates"]["source"].as_str().unwrap_or("").contains("demo"));
    let eur = qs.iter().find(|q| q["unit_price"]["currency"] == "EUR").expect("eur quote");
    assert_eq!(eur["converted_unit_price"]["currency"], "USD");
    assert_eq!(eur["rate"], "1.16");
    assert_eq!(eur["converted_unit_price"]["amount"], "1.97");
    assert_eq!(eur["converted_total"]["amount"], "37824");
    // The cheapest comes first.
    assert_eq!(qs[0]["unit_price"]["currency"], "EUR");
    // A seller sees its own quote only.
    let own: Value = exact.get(&format!("/api/v1/rfqs/{id}/quotes")).await.json().await.expect("json");
    assert_eq!(own["items"].as_array().map(Vec::len), Some(1));

    // Accept one; the other is declined; accepting again is harmless; sellers cannot accept.
    let qid = a["id"].as_str().expect("quote id");
    assert_problem(exact.post(&format!("/api/v1/quotes/{qid}/accept"), &json!({})).await, StatusCode::NOT_FOUND, None)
        .await;
    let acc: Value = buyer.post(&format!("/api/v1/quotes/{qid}/accept"), &json!({})).await.json().await.expect("json");
    assert_eq!(acc["status"], "accepted");
    let again = buyer.post(&format!("/api/v1/quotes/{qid}/accept"), &json!({})).await;
    assert_eq!(again.status(), StatusCode::OK);
    let after: Value = buyer.get(&format!("/api/v1/rfqs/{id}/quotes")).await.json().await.expect("json");
    let statuses: Vec<&str> =
        after["items"].as_array().expect("items").iter().filter_map(|q| q["status"].as_str()).collect();
    assert!(statuses.contains(&"accepted") && statuses.contains(&"declined"));
    let n: Value = exact.get("/api/v1/notifications").await.json().await.expect("json");
    assert_eq!(n["items"][0]["kind"], "quote_accepted");
    // The seller now counts as exporting to Germany, which matching uses.
    let m: Value = buyer.get(&format!("/api/v1/rfqs/{id}/matches")).await.json().await.expect("json");
    let f = m["items"][0]["factors"]
        .as_array()
        .expect("factors")
        .iter()
        .find(|f| f["name"] == "exports_to_destination")
        .cloned()
        .expect("factor");
    assert_eq!(f["fit"], 1.0);
    // Audit trail of both sides shows the acceptance.
    let audit: Value = exact.get("/api/v1/organizations/me/audit?limit=200").await.json().await.expect("json");
    assert!(audit.to_string().contains("quote.accepted_by_buyer"));
    let _ = buyer_org;
}

#[tokio::test]
async fn expired_leads_are_not_matched() {
    let app = TestApp::spawn().await;
    let (buyer, _) = app.register("Buyer", "DE", "B1", "b@x.example").await;
    let (seller, _) = app.register("Seller", "VN", "S1", "s@x.example").await;
    created(seller.post("/api/v1/products", &product("Robusta green coffee beans", "090111", "VN")).await).await;
    let lead = created(buyer.post("/api/v1/leads", &rfq(&in_days(3))).await).await;
    let id = lead["id"].as_str().expect("id");
    sqlx::query("UPDATE trade_leads SET expires_on = '2020-01-01' WHERE id = $1")
        .bind(id)
        .execute(app.store.pool())
        .await
        .expect("expire");
    let m: Value = buyer.get(&format!("/api/v1/rfqs/{id}/matches")).await.json().await.expect("json");
    assert_eq!(m["items"], json!([]));
    let mine: Value = seller.get("/api/v1/organizations/me/rfq-matches").await.json().await.expect("json");
    assert_eq!(mine["items"], json!([]));
    let q = json!({"unit_price": "2.08", "currency": "USD", "incoterm": "CIF", "named_place": "DEHAM",
        "valid_until": in_days(20), "lead_time_days": 35, "payment_terms": "escrow"});
    assert_problem(seller.post(&format!("/api/v1/rfqs/{id}/quotes"), &q).await, StatusCode::CONFLICT, None).await;
}

#[tokio::test]
async fn search_finds_filters_and_counts() {
    let app = TestApp::spawn().await;
    let (vn, vn_org) = app.register("Dak Lak Coffee", "VN", "S1", "s1@x.example").await;
    let (cn, _) = app.register("Shenzhen Solar", "CN", "S2", "s2@x.example").await;
    let (de, _) = app.register("Hamburg Roasters", "DE", "B1", "b@x.example").await;
    verify(&app, &vn_org).await;
    created(vn.post("/api/v1/products", &product("Robusta green coffee beans", "090111", "VN")).await).await;
    let mut solar = product("单晶硅太阳能电池组件 450W", "854143", "CN");
    solar["description"] = json!("高效单晶硅光伏组件，适合屋顶安装");
    solar["unit"] = json!("H87");
    solar["certifications"] = json!(["CE"]);
    created(cn.post("/api/v1/products", &solar).await).await;
    created(de.post("/api/v1/leads", &rfq(&in_days(30))).await).await;
    let s: Value = de.get("/api/v1/search?q=coffee").await.json().await.expect("json");
    assert!(s["total"].as_u64() >= Some(2), "{s}");
    let s: Value = de.get("/api/v1/search?q=cofee&kind=product").await.json().await.expect("json");
    assert_eq!(s["hits"][0]["title"], "Robusta green coffee beans", "a typo still finds it: {s}");
    let s: Value = de.get("/api/v1/search?q=太阳能").await.json().await.expect("json");
    assert_eq!(s["total"], 1, "{s}");
    let s: Value = de.get("/api/v1/search?kind=product").await.json().await.expect("json");
    assert_eq!(s["total"], 2);
    let countries = s["facets"]["country"].to_string();
    assert!(countries.contains("VN") && countries.contains("CN"), "{countries}");
    let s: Value = de.get("/api/v1/search?kind=product&verified=true").await.json().await.expect("json");
    assert_eq!(s["total"], 1);
    let s: Value = de.get("/api/v1/search?kind=product&certification=ce").await.json().await.expect("json");
    assert_eq!(s["total"], 1);
    let s: Value =
        de.get("/api/v1/search?kind=product&hs=09&price_max=3&currency=USD").await.json().await.expect("json");
    assert_eq!(s["total"], 1);
    let s: Value = de.get("/api/v1/search?kind=product&price_max=1&currency=USD").await.json().await.expect("json");
    assert_eq!(s["total"], 0);
    let s: Value = de.get("/api/v1/search?kind=lead&side=buy&incoterm=CIF").await.json().await.expect("json");
    assert_eq!(s["total"], 1);
    let long = "a".repeat(10_000);
    assert_problem(de.get(&format!("/api/v1/search?q={long}")).await, StatusCode::UNPROCESSABLE_ENTITY, Some("q"))
        .await;
    assert_problem(de.get("/api/v1/search?q=x%07y").await, StatusCode::UNPROCESSABLE_ENTITY, Some("q")).await;
    assert_problem(
        de.get("/api/v1/search?country=XX&sort=cheap").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("country"),
    )
    .await;
    assert_problem(app.anonymous().get("/api/v1/search?q=coffee").await, StatusCode::UNAUTHORIZED, None).await;
}

#[tokio::test]
async fn hs_codes_are_suggested_from_a_description() {
    let app = TestApp::spawn().await;
    let s: Value = app
        .anonymous()
        .get("/api/v1/reference/hs/suggest?text=green%20coffee%20not%20roasted")
        .await
        .json()
        .await
        .expect("json");
    let codes: Vec<&str> = s["items"].as_array().expect("items").iter().filter_map(|i| i["code"].as_str()).collect();
    assert_eq!(codes.first(), Some(&"090111"), "{s}");
    let s: Value = app
        .anonymous()
        .get("/api/v1/reference/hs/suggest?text=Arabica%20coffee%2C%20roasted")
        .await
        .json()
        .await
        .expect("json");
    let codes: Vec<&str> = s["items"].as_array().expect("items").iter().filter_map(|i| i["code"].as_str()).collect();
    assert_eq!(codes.first(), Some(&"090121"), "roasted, not decaffeinated: {s}");
    assert_problem(
        app.anonymous().get("/api/v1/reference/hs/suggest?text=").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("text"),
    )
    .await;
}

#[tokio::test]
async fn marketplace_endpoints_by_caller() {
    let app = TestApp::spawn().await;
    let (buyer, _) = app.register("Buyer", "DE", "B1", "b@x.example").await;
    let (seller, _) = app.register("Seller", "VN", "S1", "s@x.example").await;
    let (other, _) = app.register("Other", "FR", "O1", "o@x.example").await;
    let p =
        created(seller.post("/api/v1/products", &product("Robusta green coffee beans", "090111", "VN")).await).await;
    let lead = created(buyer.post("/api/v1/leads", &rfq(&in_days(30))).await).await;
    let (pid, lid) = (p["id"].as_str().expect("p"), lead["id"].as_str().expect("l"));
    let q = json!({"unit_price": "2.08", "currency": "USD", "incoterm": "CIF", "named_place": "DEHAM",
        "valid_until": in_days(20), "lead_time_days": 35, "payment_terms": "escrow"});
    let quote = created(seller.post(&format!("/api/v1/rfqs/{lid}/quotes"), &q).await).await;
    let qid = quote["id"].as_str().expect("q");
    let anon = app.anonymous();
    // Listings are public to logged-in users; matches, quotes and acceptance are not.
    for path in [
        format!("/api/v1/products/{pid}"),
        format!("/api/v1/leads/{lid}"),
        "/api/v1/notifications".into(),
        format!("/api/v1/rfqs/{lid}/matches"),
    ] {
        assert_eq!(anon.get(&path).await.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(other.get(&format!("/api/v1/products/{pid}")).await.status(), StatusCode::OK);
    assert_eq!(other.get(&format!("/api/v1/leads/{lid}")).await.status(), StatusCode::OK);
    assert_eq!(other.get(&format!("/api/v1/rfqs/{lid}/matches")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(seller.get(&format!("/api/v1/rfqs/{lid}/matches")).await.status(), StatusCode::NOT_FOUND);
    let theirs: Value = other.get(&format!("/api/v1/rfqs/{lid}/quotes")).await.json().await.expect("json");
    assert_eq!(theirs["items"], json!([]), "another company never sees the quotes");
    assert_eq!(other.post(&format!("/api/v1/quotes/{qid}/accept"), &json!({})).await.status(), StatusCode::NOT_FOUND);
    let n: Value = other.get("/api/v1/notifications").await.json().await.expect("json");
    assert!(!n.to_string().contains(lid), "notifications stay with their company");
    let op = app.operator().await;
    assert_eq!(op.get(&format!("/api/v1/rfqs/{lid}/matches")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn inquiries_stay_between_two_companies_with_attachments_blocks_and_limits() {
    let app =
        TestApp::spawn_with(tradewind_server::ServerSettings { inquiries_per_day: 2, ..Default::default() }).await;
    let (seller, seller_org) = app.register("Seller", "VN", "S1", "s@x.example").await;
    let (buyer, buyer_org) = app.register("Buyer", "DE", "B1", "b@x.example").await;
    let (other, _) = app.register("Other", "FR", "O1", "o@x.example").await;
    let p =
        created(seller.post("/api/v1/products", &product("Robusta green coffee beans", "090111", "VN")).await).await;
    let pid = p["id"].as_str().expect("pid");
    let ask = json!({"subject_kind": "product", "subject_id": pid, "body": "Can you ship 20 t to Hamburg in March?"});
    let inq = created(buyer.post("/api/v1/inquiries", &ask).await).await;
    let iid = inq["id"].as_str().expect("iid");
    assert_eq!(inq["to_org"], seller_org.as_str());
    let n: Value = seller.get("/api/v1/notifications").await.json().await.expect("json");
    assert_eq!(n["items"][0]["kind"], "inquiry_received");
    // Reply with a PDF; both sides read it; nobody else does.
    let part =
        reqwest::multipart::Part::bytes(pdf_bytes()).file_name("spec.pdf").mime_str("application/pdf").expect("mime");
    let form = reqwest::multipart::Form::new().text("body", "Specification attached").part("file", part);
    let res = seller
        .client
        .post(app.url(&format!("/api/v1/inquiries/{iid}/attachments")))
        .header("x-csrf-token", &seller.csrf)
        .multipart(form)
        .send()
        .await
        .expect("send");
    let msg = created(res).await;
    let mid = msg["id"].as_str().expect("mid");
    let thread: Value = buyer.get(&format!("/api/v1/inquiries/{iid}")).await.json().await.expect("json");
    assert_eq!(thread["messages"].as_array().map(Vec::len), Some(2));
    let file = buyer.get(&format!("/api/v1/inquiries/{iid}/messages/{mid}/attachment")).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.bytes().await.expect("bytes").to_vec(), pdf_bytes());
    for path in [format!("/api/v1/inquiries/{iid}"), format!("/api/v1/inquiries/{iid}/messages/{mid}/attachment")] {
        assert_problem(other.get(&path).await, StatusCode::NOT_FOUND, None).await;
    }
    assert_problem(
        other.post(&format!("/api/v1/inquiries/{iid}/messages"), &json!({"body": "hi"})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    let list: Value = other.get("/api/v1/inquiries").await.json().await.expect("json");
    assert_eq!(list["items"], json!([]));
    assert_problem(
        buyer.post(&format!("/api/v1/inquiries/{iid}/messages"), &json!({"body": "  "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("body"),
    )
    .await;
    // Bad input.
    let bad = json!({"subject_kind": "ship", "subject_id": pid, "body": ""});
    assert_problem(buyer.post("/api/v1/inquiries", &bad).await, StatusCode::UNPROCESSABLE_ENTITY, Some("subject_kind"))
        .await;
    let own = json!({"subject_kind": "product", "subject_id": pid, "body": "me?"});
    assert_problem(seller.post("/api/v1/inquiries", &own).await, StatusCode::CONFLICT, None).await;
    // Rate limit: two a day in this test.
    created(buyer.post("/api/v1/inquiries", &ask).await).await;
    assert_problem(buyer.post("/api/v1/inquiries", &ask).await, StatusCode::TOO_MANY_REQUESTS, None).await;
    // Blocking stops a company's inquiries and messages.
    assert_eq!(
        seller.post("/api/v1/blocks", &json!({"organization_id": buyer_org})).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        buyer.post(&format!("/api/v1/inquiries/{iid}/messages"), &json!({"body": "hello?"})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    let other_ask = created(other.post("/api/v1/inquiries", &ask).await).await;
    assert_eq!(other_ask["to_org"], seller_org.as_str());
    assert_eq!(seller.delete(&format!("/api/v1/blocks/{buyer_org}")).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        buyer.post(&format!("/api/v1/inquiries/{iid}/messages"), &json!({"body": "hello?"})).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_reported_listing_is_hidden_by_the_operator() {
    let app = TestApp::spawn().await;
    let (seller, _) = app.register("Seller", "VN", "S1", "s@x.example").await;
    let (buyer, _) = app.register("Buyer", "DE", "B1", "b@x.example").await;
    let p = created(seller.post("/api/v1/products", &product("Miracle coffee cures everything", "090111", "VN")).await)
        .await;
    let pid = p["id"].as_str().expect("pid");
    let s: Value = buyer.get("/api/v1/search?q=miracle").await.json().await.expect("json");
    assert_eq!(s["total"], 1);
    assert_problem(
        buyer.post("/api/v1/reports", &json!({"subject_kind": "product", "subject_id": pid, "reason": ""})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("reason"),
    )
    .await;
    let r = created(
        buyer
            .post(
                "/api/v1/reports",
                &json!({"subject_kind": "product", "subject_id": pid, "reason": "misleading health claims"}),
            )
            .await,
    )
    .await;
    let rid = r["id"].as_str().expect("rid");
    assert_problem(buyer.get("/api/v1/operator/reports").await, StatusCode::NOT_FOUND, None).await;
    let op = app.operator().await;
    let open: Value = op.get("/api/v1/operator/reports").await.json().await.expect("json");
    assert_eq!(open["items"][0]["reason"], "misleading health claims");
    assert_problem(
        op.post(&format!("/api/v1/operator/reports/{rid}/decision"), &json!({"decision": "burn"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("decision"),
    )
    .await;
    let d: Value = op
        .post(
            &format!("/api/v1/operator/reports/{rid}/decision"),
            &json!({"decision": "hide", "note": "health claims"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(d["status"], "hidden");
    assert_problem(
        op.post(&format!("/api/v1/operator/reports/{rid}/decision"), &json!({"decision": "dismiss"})).await,
        StatusCode::CONFLICT,
        None,
    )
    .await;
    // Gone from search and from others' view; its owner still sees it, and was told.
    let s: Value = buyer.get("/api/v1/search?q=miracle").await.json().await.expect("json");
    assert_eq!(s["total"], 0);
    assert_problem(buyer.get(&format!("/api/v1/products/{pid}")).await, StatusCode::NOT_FOUND, None).await;
    assert_eq!(seller.get(&format!("/api/v1/products/{pid}")).await.status(), StatusCode::OK);
    let n: Value = seller.get("/api/v1/notifications").await.json().await.expect("json");
    assert_eq!(n["items"][0]["kind"], "listing_hidden");
}

#[tokio::test]
async fn product_images_are_content_addressed_and_checked() {
    let app = TestApp::spawn().await;
    let (seller, _) = app.register("Seller", "VN", "S1", "s@x.example").await;
    let (buyer, _) = app.register("Buyer", "DE", "B1", "b@x.example").await;
    let p =
        created(seller.post("/api/v1/products", &product("Robusta green coffee beans", "090111", "VN")).await).await;
    let pid = p["id"].as_str().expect("pid");
    let png = b"\x89PNG\r\n\x1a\n-- a product photo --".to_vec();
    let path = format!("/api/v1/products/{pid}/attachments");
    let a = created(seller.upload(&path, "beans.png", "image/png", png.clone()).await).await;
    let view: Value = buyer.get(&format!("/api/v1/products/{pid}")).await.json().await.expect("json");
    assert_eq!(view["attachments"][0]["sha256"], a["sha256"]);
    let file = buyer.get(&format!("/api/v1/products/{pid}/attachments/{}", a["id"].as_str().unwrap_or(""))).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/png");
    assert_eq!(file.bytes().await.expect("bytes").to_vec(), png);
    // Only the listing's company attaches; the content must be what it claims.
    assert_problem(buyer.upload(&path, "x.png", "image/png", png.clone()).await, StatusCode::NOT_FOUND, None).await;
    let p = assert_problem(
        seller.upload(&path, "x.jpg", "image/jpeg", png).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("file"),
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "type_mismatch");
    let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let p = assert_problem(
        seller.upload(&path, "big.png", "image/png", big).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("file"),
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "too_large");
}
