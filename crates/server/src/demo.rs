//! The demo data set loaded by the quick start: an operator and a few verified companies in
//! different countries with their users and products, and an agreed order with a booked
//! shipment whose document set is ready to issue.

use crate::auth::hash_password;
use tradewind_domain::marketplace::{PriceTier, ProductForm};
use tradewind_domain::organization::{RegistrationForm, VerificationEvent};
use tradewind_store::{Actor, NewUser, Store};

/// The password of every demo account. Demo only: change or remove these accounts before
/// real use.
pub const DEMO_PASSWORD: &str = "tradewind-demo";
pub const DEMO_OPERATOR: &str = "operator@tradewind.example";
/// A consumer living in Germany, for the Singapore spice company's store.
pub const DEMO_CONSUMER: &str = "sam@consumer.example";
/// The demo customs officer (Hamburg), plant quarantine and inspection service.
pub const DEMO_CUSTOMS_OFFICER: &str = "petra@zoll-hamburg.example";
pub const DEMO_QUARANTINE: &str = "karl@psd-hamburg.example";
pub const DEMO_INSPECTION: &str = "lena@hafen-inspektion.example";

struct DemoCompany {
    legal_name: &'static str,
    country: &'static str,
    registration_number: &'static str,
    street: &'static str,
    city: &'static str,
    postal_code: &'static str,
    admin_name: &'static str,
    admin_email: &'static str,
    lei: &'static str,
    roles: &'static [&'static str],
    products: &'static [(&'static str, &'static str, &'static str)],
}

const COMPANIES: &[DemoCompany] = &[
    DemoCompany {
        legal_name: "Lion City Spice Traders Pte. Ltd.",
        country: "SG",
        registration_number: "201912345K",
        street: "10 Pasir Panjang Road",
        city: "Singapore",
        postal_code: "117438",
        admin_name: "Mei Tan",
        admin_email: "mei@lioncityspice.example",
        lei: "",
        roles: &["exporter", "importer"],
        products: &[
            ("Black pepper, whole, ASTA grade", "Sarawak black pepper, 25 kg bags", "090411"),
            ("Green coffee beans, robusta", "Grade 1 robusta, 60 kg jute bags", "090111"),
        ],
    },
    DemoCompany {
        legal_name: "Hanse Kaffee Import GmbH",
        country: "DE",
        registration_number: "HRB 123456",
        street: "Am Sandtorkai 50",
        city: "Hamburg",
        postal_code: "20457",
        admin_name: "Jonas Weber",
        admin_email: "jonas@hansekaffee.example",
        lei: "",
        roles: &["importer"],
        products: &[("Roasted coffee, decaffeinated", "Roasted in Hamburg, 1 kg bags", "090122")],
    },
    DemoCompany {
        legal_name: "深圳远航电子有限公司 (Shenzhen Yuanhang Electronics Co., Ltd.)",
        country: "CN",
        registration_number: "91440300MA5FXXXX1K",
        street: "Keyuan Road 18, Nanshan District",
        city: "Shenzhen",
        postal_code: "518057",
        admin_name: "Li Wei",
        admin_email: "li.wei@yuanhang.example",
        lei: "",
        roles: &["exporter"],
        products: &[
            ("Solar panels, monocrystalline 450 W", "单晶硅太阳能电池组件 450W", "854143"),
            ("Smartphones, 5G, 128 GB", "5G 智能手机", "851713"),
        ],
    },
    DemoCompany {
        legal_name: "Hauptzollamt Hamburg (demo customs authority)",
        country: "DE",
        registration_number: "ZOLL-HH-DEMO",
        street: "Koreastrasse 4",
        city: "Hamburg",
        postal_code: "20457",
        admin_name: "Petra Vogel",
        admin_email: DEMO_CUSTOMS_OFFICER,
        lei: "",
        roles: &["customs_authority"],
        products: &[],
    },
    DemoCompany {
        legal_name: "Pflanzenschutzdienst Hamburg (demo plant quarantine)",
        country: "DE",
        registration_number: "PSD-HH-DEMO",
        street: "Brooktorkai 20",
        city: "Hamburg",
        postal_code: "20457",
        admin_name: "Karl Brandt",
        admin_email: DEMO_QUARANTINE,
        lei: "",
        roles: &["other_government_agency"],
        products: &[],
    },
    DemoCompany {
        legal_name: "Hafen Inspektion Hamburg (demo inspection service)",
        country: "DE",
        registration_number: "INSP-HH-DEMO",
        street: "Waltershofer Damm 1",
        city: "Hamburg",
        postal_code: "21129",
        admin_name: "Lena Hartmann",
        admin_email: DEMO_INSPECTION,
        lei: "",
        roles: &["other_government_agency"],
        products: &[],
    },
    DemoCompany {
        legal_name: "Mombasa Freight Forwarders Ltd",
        country: "KE",
        registration_number: "PVT-AAA1234",
        street: "Moi Avenue 200",
        city: "Mombasa",
        postal_code: "80100",
        admin_name: "Amina Otieno",
        admin_email: "amina@mombasafreight.example",
        lei: "",
        roles: &["carrier_or_forwarder", "customs_broker"],
        products: &[],
    },
];

/// Loads the demo set into an empty database; does nothing if companies exist already.
/// Returns the demo logins, for printing.
pub async fn seed(store: &Store) -> Result<Vec<(String, String)>, String> {
    let mut logins = vec![(DEMO_OPERATOR.to_string(), "platform operator".to_string())];
    for c in COMPANIES {
        logins.push((c.admin_email.to_string(), format!("admin of {}", c.legal_name)));
    }
    logins.push((DEMO_CONSUMER.to_string(), "consumer in Germany (shops at the Lion City Spice store)".to_string()));
    if store.count_organizations().await.map_err(|e| e.to_string())? > 0 {
        return Ok(logins);
    }
    let hash = hash_password(DEMO_PASSWORD.into()).await.map_err(|e| e.to_string())?;
    let operator = store
        .create_operator(&NewUser {
            email: DEMO_OPERATOR.into(),
            name: "Platform Operator".into(),
            password_hash: hash.clone(),
        })
        .await
        .map_err(|e| e.to_string())?;
    let op_actor = Actor::user(&operator.id, None);
    // (organization id, user id) by admin e-mail, for the demo order.
    let mut accounts = std::collections::HashMap::new();
    let mut sea_card = String::new();
    for c in COMPANIES {
        let form = RegistrationForm {
            legal_name: c.legal_name.into(),
            country: c.country.into(),
            registration_number: c.registration_number.into(),
            street: c.street.into(),
            city: c.city.into(),
            postal_code: c.postal_code.into(),
            contact_name: c.admin_name.into(),
            contact_email: c.admin_email.into(),
            contact_phone: String::new(),
            lei: c.lei.into(),
            roles: c.roles.iter().map(|r| r.to_string()).collect(),
        };
        let reg = form.validate().map_err(|e| format!("demo company {}: {e:?}", c.legal_name))?;
        let (org, user) = store
            .register_organization(
                &reg,
                &NewUser { email: c.admin_email.into(), name: c.admin_name.into(), password_hash: hash.clone() },
            )
            .await
            .map_err(|e| e.to_string())?;
        store.change_verification(&org.id, VerificationEvent::Verify, &op_actor).await.map_err(|e| e.to_string())?;
        let actor = Actor::user(&user.id, Some(&org.id));
        accounts.insert(c.admin_email, (org.id.clone(), user.id.clone()));
        let mut product_ids = Vec::new();
        for (title, description, hs) in c.products {
            let listing = demo_listing(title, description, hs, c.country)?;
            product_ids.push(store.create_product(&actor, &org.id, &listing).await.map_err(|e| e.to_string())?.id);
        }
        if c.country == "SG" {
            demo_store(store, &actor, &org, &product_ids).await?;
        }
        if c.admin_email == DEMO_CARRIER_EMAIL {
            sea_card = demo_carrier(store, &actor, &org.id).await?;
        }
    }
    let order_id = demo_document_set(store, &accounts, &sea_card).await?;
    demo_customs(store, &accounts, &order_id).await?;
    let germany = "DE".parse().map_err(|e| format!("demo consumer country: {e}"))?;
    store
        .create_consumer(
            &NewUser { email: DEMO_CONSUMER.into(), name: "Sam Fischer".into(), password_hash: hash },
            germany,
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(logins)
}

/// The Singapore spice company's consumer store: its products at retail prices in SGD,
/// a local courier and tracked air mail to Germany, France and the United States.
async fn demo_store(
    store: &Store,
    actor: &Actor,
    org: &tradewind_store::Organization,
    products: &[String],
) -> Result<(), String> {
    use rust_decimal::Decimal;
    use tradewind_domain::retail::{OfferForm, ShippingOptionForm, StoreForm};
    let terms = StoreForm {
        display_name: "Lion City Spice shop".into(),
        currency: "SGD".into(),
        returns_window_days: Some(30),
        returns_address: "Returns, 10 Pasir Panjang Road, Singapore 117438".into(),
        contact_email: "shop@lioncityspice.example".into(),
        contact_phone: "+65 6000 1234".into(),
    }
    .validate()
    .map_err(|e| format!("demo store: {e:?}"))?;
    let shop = store.open_store(actor, org, &terms).await.map_err(|e| e.to_string())?;
    for (product_id, cents) in products.iter().zip([1490, 2250]) {
        let offer = OfferForm {
            product_id: product_id.clone(),
            unit_price: Some(Decimal::new(cents, 2)),
            currency: None,
            stock: Some(200),
        }
        .validate(terms.currency)
        .map_err(|e| format!("demo offer: {e:?}"))?;
        store.add_offer(actor, &org.id, &shop.id, &offer).await.map_err(|e| e.to_string())?;
    }
    let options: [(&str, &[&str], i64, i64); 2] =
        [("Local courier", &["SG"], 400, 2), ("Tracked air mail", &["DE", "FR", "US"], 1800, 10)];
    for (name, destinations, cents, days) in options {
        let option = ShippingOptionForm {
            name: name.into(),
            destinations: destinations.iter().map(|d| d.to_string()).collect(),
            price: Some(Decimal::new(cents, 2)),
            currency: None,
            delivery_days: Some(days),
        }
        .validate(terms.currency)
        .map_err(|e| format!("demo shipping option: {e:?}"))?;
        store.add_shipping_option(actor, &org.id, &shop.id, &option).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The demo freight company, registered as carrier MBFF with two rate cards.
const DEMO_CARRIER_EMAIL: &str = "amina@mombasafreight.example";

/// Registers the demo carrier's SCAC (with a fresh webhook secret nobody is shown: rotate
/// it to use webhooks) and publishes a sea card Mombasa → Hamburg and an air card
/// Nairobi → Frankfurt.
/// Returns the id of the Singapore → Hamburg sea card.
async fn demo_carrier(store: &Store, actor: &Actor, org: &str) -> Result<String, String> {
    use rust_decimal::Decimal;
    use tradewind_domain::logistics::rates::{RateCardForm, WeightBreakForm};
    let scac = "MBFF".parse().map_err(|e| format!("demo SCAC: {e}"))?;
    store.register_carrier(actor, org, &scac, &crate::auth::new_secret("whsec_")).await.map_err(|e| e.to_string())?;
    let cards = [
        ("SGSIN", "DEHAM", "sea", Decimal::new(12, 2), vec![], Decimal::from(400), 26),
        ("KEMBA", "DEHAM", "sea", Decimal::new(35, 2), vec![(5000, Decimal::new(28, 2))], Decimal::from(150), 28),
        (
            "KENBO",
            "DEFRA",
            "air",
            Decimal::new(450, 2),
            vec![(100, Decimal::new(380, 2)), (500, Decimal::new(310, 2))],
            Decimal::from(75),
            3,
        ),
    ];
    let mut first = String::new();
    for (origin, destination, mode, price, breaks, minimum, days) in cards {
        let form = RateCardForm {
            origin: origin.into(),
            destination: destination.into(),
            mode: mode.into(),
            currency: "USD".into(),
            price_per_kg: Some(price),
            weight_breaks: breaks
                .into_iter()
                .map(|(kg, p)| WeightBreakForm { min_kg: Some(Decimal::from(kg)), price_per_kg: Some(p) })
                .collect(),
            minimum_charge: Some(minimum),
            transit_days: Some(days),
        };
        let card = form.validate().map_err(|e| format!("demo rate card: {e:?}"))?;
        let record = store.publish_rate_card(actor, org, &card).await.map_err(|e| e.to_string())?;
        if first.is_empty() {
            first = record.id;
        }
    }
    Ok(first)
}

/// An agreed order from the Singapore spice company to the Hamburg importer, FOB Singapore,
/// booked by sea with the demo carrier and confirmed with a container; the seller and the
/// carrier have added their fields, so the order's whole document set can be issued from
/// the document centre at once.
async fn demo_document_set(
    store: &Store,
    accounts: &std::collections::HashMap<&str, (String, String)>,
    sea_card: &str,
) -> Result<String, String> {
    use rust_decimal::Decimal;
    use tradewind_domain::deal::Party;
    use tradewind_domain::deal::order::{DeliveryWindow, OrderEvent, OrderLine, OrderTerms};
    use tradewind_domain::documents::{LineFields, PartyFields, Signatory};
    use tradewind_domain::logistics::Package;
    let account = |email: &str| accounts.get(email).cloned().ok_or_else(|| format!("demo account {email} missing"));
    let (seller, seller_user) = account("mei@lioncityspice.example")?;
    let (buyer, buyer_user) = account("jonas@hansekaffee.example")?;
    let (carrier, carrier_user) = account(DEMO_CARRIER_EMAIL)?;
    let err = |e: tradewind_store::StoreError| e.to_string();
    let usd = "USD".parse().map_err(|e| format!("{e}"))?;
    let line = |description: &str, hs: &str, quantity: i64, cents: i64| -> Result<OrderLine, String> {
        Ok(OrderLine {
            description: description.into(),
            hs_code: hs.parse().map_err(|e| format!("demo HS: {e}"))?,
            quantity: Decimal::from(quantity),
            unit: "KGM".parse().map_err(|e| format!("demo unit: {e}"))?,
            unit_price: tradewind_domain::Money::new(Decimal::new(cents, 2), usd).map_err(|e| e.to_string())?,
        })
    };
    let today = time::OffsetDateTime::now_utc().date();
    let terms = OrderTerms {
        seller: seller.parse().map_err(|e| format!("demo seller: {e:?}"))?,
        buyer: buyer.parse().map_err(|e| format!("demo buyer: {e:?}"))?,
        currency: usd,
        lines: vec![
            line("Black pepper, whole, ASTA grade, 25 kg bags", "090411", 9600, 425)?,
            line("Green coffee beans, robusta grade 1, 60 kg jute bags", "090111", 4800, 208)?,
        ],
        incoterm: "FOB".parse().map_err(|e| format!("demo incoterm: {e:?}"))?,
        named_place: "SGSIN".parse().map_err(|e| format!("demo place: {e}"))?,
        payment_terms: tradewind_domain::marketplace::PaymentTerms::Escrow,
        delivery: DeliveryWindow {
            earliest: today + time::Duration::days(30),
            latest: today + time::Duration::days(60),
        },
    };
    let buyer_actor = Actor::user(&buyer_user, Some(&buyer));
    let seller_actor = Actor::user(&seller_user, Some(&seller));
    let carrier_actor = Actor::user(&carrier_user, Some(&carrier));
    let order = store.create_order(&buyer_actor, &terms).await.map_err(err)?;
    store
        .apply_order_event(&buyer_actor, &buyer, &order.id, OrderEvent::Accept { party: Party::Buyer })
        .await
        .map_err(err)?;
    store
        .apply_order_event(&seller_actor, &seller, &order.id, OrderEvent::Accept { party: Party::Seller })
        .await
        .map_err(err)?;
    let package = Package {
        gross_kg: Decimal::from(14_880),
        length_cm: Decimal::from(590),
        width_cm: Decimal::from(235),
        height_cm: Decimal::from(239),
        pieces: 1,
    };
    let shipment = store.book_shipment(&seller_actor, &seller, &order.id, sea_card, &[package]).await.map_err(err)?;
    let container = "MSKU1234565".parse().map_err(|e| format!("demo container: {e}"))?;
    store.confirm_shipment(&carrier_actor, &carrier, &shipment.id, &[container]).await.map_err(err)?;
    let line_fields = |packages: u32, kind: &str, net: i64, gross: i64| LineFields {
        packages: Some(packages),
        package_type: Some(kind.into()),
        net_kg: Some(Decimal::from(net)),
        gross_kg: Some(Decimal::from(gross)),
        origin_country: None,
        origin_criterion: None,
    };
    let seller_fields = PartyFields {
        marks_and_numbers: Some("HKI/HAM/2026-07\nPRODUCT OF SINGAPORE".into()),
        signatory: Some(Signatory { name: "Mei Tan".into(), title: "Director".into() }),
        place_of_issue: Some("Singapore".into()),
        customs_procedure: Some("1000".into()),
        lines: vec![line_fields(384, "BG", 9600, 9792), line_fields(80, "BG", 4800, 5088)],
        ..PartyFields::default()
    };
    store.put_document_fields(&seller_actor, &seller, &order.id, &seller_fields).await.map_err(err)?;
    let carrier_fields = PartyFields {
        signatory: Some(Signatory { name: "Amina Otieno".into(), title: "Documentation Manager".into() }),
        place_of_issue: Some("Singapore".into()),
        vessel_name: Some("LION STAR".into()),
        voyage_number: Some("026W".into()),
        shipped_on_board: Some(today),
        planned_arrival: Some(today + time::Duration::days(26)),
        seal_numbers: vec!["MF2026007".into()],
        ..PartyFields::default()
    };
    store.put_document_fields(&carrier_actor, &carrier, &order.id, &carrier_fields).await.map_err(err)?;
    Ok(order.id)
}

/// Customs in Hamburg for the demo order: the agencies registered, the importer's
/// declaration lodged (a new trader, so the document check of the yellow lane, and plant
/// quarantine for pepper and coffee), and the carrier's manifest for the arrival.
async fn demo_customs(
    store: &Store,
    accounts: &std::collections::HashMap<&str, (String, String)>,
    order_id: &str,
) -> Result<(), String> {
    use tradewind_domain::customs::submission::{DeclarationInput, DeclaredItem};
    let account = |email: &str| accounts.get(email).cloned().ok_or_else(|| format!("demo account {email} missing"));
    let err = |e: tradewind_store::StoreError| e.to_string();
    let system = Actor::system();
    store.set_customs_agency(&system, &account(DEMO_QUARANTINE)?.0, "quarantine").await.map_err(err)?;
    store.set_customs_agency(&system, &account(DEMO_INSPECTION)?.0, "inspection").await.map_err(err)?;
    let (buyer, buyer_user) = account("jonas@hansekaffee.example")?;
    let (carrier, carrier_user) = account(DEMO_CARRIER_EMAIL)?;
    let money = |amount: &str| -> Result<tradewind_domain::Money, String> {
        let currency = "USD".parse().map_err(|e| format!("{e}"))?;
        tradewind_domain::Money::new(amount.parse().map_err(|e| format!("{e}"))?, currency).map_err(|e| e.to_string())
    };
    let item =
        |description: &str, hs: &str, value: &str, kg: i64, gross: i64, bags: u32| -> Result<DeclaredItem, String> {
            Ok(DeclaredItem {
                description: description.into(),
                hs_code: hs.parse().map_err(|e| format!("demo HS: {e}"))?,
                origin: "SG".parse().map_err(|e| format!("{e}"))?,
                value: money(value)?,
                quantity: kg.into(),
                unit: "KGM".into(),
                gross_kg: gross.into(),
                packages: Some(bags),
                preference: None,
            })
        };
    let input = DeclarationInput {
        direction: tradewind_domain::documents::declaration::Direction::Import,
        economy: "DE".parse().map_err(|e| format!("{e}"))?,
        number: "HKI-IMP-2026-0001".into(),
        declarant: None,
        incoterm: tradewind_domain::Incoterm::Fob,
        freight: Some(money("1850.00")?),
        insurance: Some(money("60.00")?),
        transport_document: Some("MFFL-SIN-HAM-0007".into()),
        order_id: Some(order_id.to_string()),
        date: None,
        items: vec![
            item("Black pepper, whole, ASTA grade, 25 kg bags", "090411", "40800.00", 9600, 9792, 384)?,
            item("Green coffee beans, robusta grade 1, 60 kg jute bags", "090111", "9984.00", 4800, 5088, 80)?,
        ],
    };
    let customs = crate::customs::CustomsService::load(store).await.map_err(|e| e.to_string())?;
    let prepared =
        crate::customs::prepare_declaration(store, &customs, &buyer, &input).await.map_err(|e| e.to_string())?;
    let new = crate::customs::new_declaration(&input, &prepared, &buyer, None).map_err(|e| e.to_string())?;
    store
        .submit_declaration(&Actor::user(&buyer_user, Some(&buyer)), &buyer, "demo-declaration-1", "demo", &new)
        .await
        .map_err(err)?;
    let arrival = time::OffsetDateTime::now_utc() + time::Duration::days(26);
    let arrival = arrival.format(&time::format_description::well_known::Rfc3339).map_err(|e| e.to_string())?;
    let entries = serde_json::json!([
        {"transport_document": "MFFL-SIN-HAM-0007", "packages": 464, "gross_kg": "14880",
         "description": "Black pepper and green coffee in bags, 1 x 40' container MSKU1234565"}
    ]);
    store
        .submit_manifest(
            &Actor::user(&carrier_user, Some(&carrier)),
            &carrier,
            "DE",
            "LION STAR 026W",
            &arrival,
            &entries,
        )
        .await
        .map_err(err)?;
    Ok(())
}

/// A demo listing: two price tiers in US dollars, a plausible MOQ and capacity.
fn demo_listing(
    title: &str,
    description: &str,
    hs: &str,
    country: &str,
) -> Result<tradewind_domain::marketplace::ProductListing, String> {
    use rust_decimal::Decimal;
    let form = ProductForm {
        title: title.into(),
        description: description.into(),
        hs_code: hs.into(),
        origin_country: country.into(),
        unit: if hs.starts_with("09") { "KGM".into() } else { "H87".into() },
        moq: Some(Decimal::from(100)),
        supply_capacity: Some(Decimal::from(50_000)),
        currency: "USD".into(),
        price_tiers: vec![
            PriceTier {
                min_quantity: Decimal::from(100),
                max_quantity: Some(Decimal::from(999)),
                unit_price: Decimal::new(1250, 2),
            },
            PriceTier { min_quantity: Decimal::from(1000), max_quantity: None, unit_price: Decimal::new(1090, 2) },
        ],
        lead_time_days: Some(30),
        certifications: if hs.starts_with("85") { vec!["CE".into(), "RoHS".into()] } else { vec!["ISO 9001".into()] },
    };
    form.validate().map_err(|e| format!("demo product {title}: {e:?}"))
}
