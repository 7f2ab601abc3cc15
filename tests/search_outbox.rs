//! The search index follows the database through the durable outbox: a change written
//! while no indexer ran (a crash) reaches the index at the next start, and `tradewind
//! reindex` rebuilds the index from the database.

use std::process::Command;
use tradewind_domain::marketplace::{PriceTier, ProductForm};
use tradewind_search::{SearchIndex, SearchQuery};
use tradewind_server::search::SearchService;
use tradewind_store::{Actor, NewUser, Store};

fn listing(title: &str) -> tradewind_domain::marketplace::ProductListing {
    use rust_decimal::Decimal;
    ProductForm {
        title: title.into(),
        description: "export quality".into(),
        hs_code: "090111".into(),
        origin_country: "VN".into(),
        unit: "KGM".into(),
        moq: Some(Decimal::from(10)),
        supply_capacity: Some(Decimal::from(1000)),
        currency: "USD".into(),
        price_tiers: vec![PriceTier {
            min_quantity: Decimal::from(10),
            max_quantity: None,
            unit_price: Decimal::from(3),
        }],
        lead_time_days: Some(10),
        certifications: vec![],
    }
    .validate()
    .expect("valid listing")
}

fn hits(index: &SearchIndex, text: &str) -> u64 {
    index.search(&SearchQuery { text: text.into(), ..SearchQuery::default() }).expect("search").total
}

#[tokio::test]
async fn a_change_made_while_the_indexer_was_down_is_indexed_at_the_next_start() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.expect("store");
    let reg = tradewind_domain::organization::RegistrationForm {
        legal_name: "Dak Lak Coffee".into(),
        country: "VN".into(),
        registration_number: "S1".into(),
        street: "1 Road".into(),
        city: "Buon Ma Thuot".into(),
        contact_name: "An".into(),
        contact_email: "an@x.example".into(),
        roles: vec!["exporter".into()],
        ..Default::default()
    }
    .validate()
    .expect("valid");
    let (org, user) = store
        .register_organization(
            &reg,
            &NewUser { email: "an@x.example".into(), name: "An".into(), password_hash: "x".into() },
        )
        .await
        .expect("register");
    let actor = Actor::user(&user.id, Some(&org.id));
    let index_dir = dir.path().join("index");
    {
        let service = SearchService::new(SearchIndex::open(&index_dir).expect("index"));
        store.create_product(&actor, &org.id, &listing("Robusta beans")).await.expect("product");
        service.catch_up(&store).await.expect("catch up");
        assert_eq!(hits(&service.index, "robusta"), 1);
        // Now the "crash": a write lands in the database and its outbox, and the process
        // dies before the indexer runs.
        store.create_product(&actor, &org.id, &listing("Arabica beans")).await.expect("product");
    }
    let pending = store.pending_search_changes(10).await.expect("outbox");
    assert_eq!(pending.len(), 1, "the change waits in the outbox");
    let service = SearchService::new(SearchIndex::open(&index_dir).expect("reopen"));
    assert_eq!(hits(&service.index, "arabica"), 0);
    service.catch_up(&store).await.expect("catch up");
    assert_eq!(hits(&service.index, "arabica"), 1);
    assert!(store.pending_search_changes(10).await.expect("outbox").is_empty());
    drop(service);

    // `tradewind reindex` rebuilds from the database, even from an emptied index folder.
    std::fs::remove_dir_all(&index_dir).expect("rm index");
    let out = Command::new(env!("CARGO_BIN_EXE_tradewind"))
        .arg("reindex")
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.path().join("t.db").display()))
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("rebuilt: 3 documents"), "company and two products: {text}");
    let index = SearchIndex::open(&dir.path().join("search-index")).expect("rebuilt index");
    assert_eq!(hits(&index, "beans"), 2);
}

#[test]
fn exchange_rates_import_from_the_ecb_csv() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("eurofxref.csv");
    std::fs::write(&csv, "Date, USD, JPY, GBP, \n21 November 2026, 1.0512, 162.41, 0.8342, \n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_tradewind"))
        .args(["import", "fx"])
        .arg(&csv)
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("TRADEWIND_DATABASE_URL")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 3 exchange rates of 21 November 2026 against EUR"));
    std::fs::write(&csv, "Date, USD\nx, abc\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_tradewind"))
        .args(["import", "fx"])
        .arg(&csv)
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("TRADEWIND_DATABASE_URL")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("'abc' is not a number"));
}
