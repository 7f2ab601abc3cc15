//! What the invoice and import tests share: parties, orders and the official validator.
#![allow(dead_code)]

use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::process::Command;
use tradewind_domain::Money;
use tradewind_domain::deal::order::{DeliveryWindow, OrderLine, OrderTerms};
use tradewind_domain::documents::DocumentParty;

pub const SELLER_LEI: &str = "529900T8BM49AURSDO55";
pub const BUYER_LEI: &str = "5299000J2N45DDNE4Y28";

/// A party in `country`, with a VAT id and an LEI when given.
pub fn party(name: &str, country: &str, vat_id: Option<&str>, lei: Option<&str>) -> DocumentParty {
    DocumentParty {
        legal_name: name.into(),
        registration_number: format!("{country}-REG-1"),
        street: "12 Harbour Road".into(),
        city: "Port City".into(),
        postal_code: "10115".into(),
        country: country.parse().expect("country"),
        lei: lei.map(|l| l.parse().expect("lei")),
        email: format!("accounts@{}.example", name.to_lowercase().replace(' ', "")),
        vat_id: vat_id.map(str::to_string),
    }
}

/// An order in `currency` under `incoterm` with `lines` of (quantity, unit price).
pub fn terms(currency: &str, incoterm: &str, place: &str, lines: &[(&str, &str)]) -> OrderTerms {
    let c = currency.parse().expect("currency");
    OrderTerms {
        seller: "s".parse().expect("s"),
        buyer: "b".parse().expect("b"),
        currency: c,
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, (q, p))| OrderLine {
                description: format!("Green coffee lot {} <grade 1> & washed", i + 1),
                hs_code: if i % 2 == 0 { "090111" } else { "090121" }.parse().expect("hs"),
                quantity: q.parse::<Decimal>().expect("qty"),
                unit: "KGM".parse().expect("unit"),
                unit_price: Money::new(p.parse().expect("price"), c).expect("money"),
            })
            .collect(),
        incoterm: incoterm.parse().expect("incoterm"),
        named_place: place.parse().expect("place"),
        payment_terms: serde_json::from_str("\"escrow\"").expect("terms"),
        delivery: DeliveryWindow {
            earliest: time::macros::date!(2026 - 12 - 01),
            latest: time::macros::date!(2026 - 12 - 31),
        },
    }
}

pub fn money(amount: &str, currency: &str) -> Money {
    Money::new(amount.parse().expect("amount"), currency.parse().expect("currency")).expect("money")
}

/// The shared standards folder beside the checkout, when present.
pub fn standards() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/standards");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is missing", dir.display());
        None
    }
}

/// Runs the official validator (XSD, EN 16931 and, for Peppol documents, Peppol BIS 3
/// rules) on `xml`; `None`, with the reason printed, when it is absent or cannot set up.
pub fn official_validator(xml: &str, tag: &str) -> Option<Result<(), String>> {
    let tool = standards()?.join("bin/validate-invoice");
    if !tool.is_file() {
        eprintln!("skipped: {} is missing", tool.display());
        return None;
    }
    let dir = std::env::temp_dir().join(format!("tw-import-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("invoice.xml");
    std::fs::write(&file, xml).expect("write");
    let out = run(&tool, &file);
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn run(tool: &Path, file: &Path) -> Option<Result<(), String>> {
    let out = match Command::new(tool).arg(file).output() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("skipped: the validator cannot run ({e})");
            return None;
        }
    };
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    match out.status.code() {
        Some(0) => Some(Ok(())),
        Some(2) => {
            eprintln!("skipped: the validator could not set itself up: {report}");
            None
        }
        _ => Some(Err(report)),
    }
}
