//! The letter of indemnity for delivery without the original bill of lading as platform
//! JSON (`letter_of_indemnity`, schema version 1.0, snake_case), described by the JSON
//! Schema [`SCHEMA`]. The letter has no open machine-readable standard; its fields are those
//! the usual market forms carry (addressee, requester, bank countersignature and limit,
//! vessel and voyage, ports, bill of lading, goods, undertakings).

use crate::insurance::{money_json, party_json};
use crate::{GenerateError, Generated};
use serde_json::{Value, json};
use tradewind_domain::documents::{INDEMNITY_LIMIT_PERCENT, LetterOfIndemnity, TradeFacts};

/// The JSON Schema (draft 2020-12) of [`letter_of_indemnity`]'s output.
pub const SCHEMA: &str = include_str!("../schemas/indemnity.schema.json");
pub const SCHEMA_VERSION: &str = "1.0";

/// The letter as a JSON value.
pub fn letter_of_indemnity_json(l: &LetterOfIndemnity) -> Value {
    json!({
        "document_type": "letter_of_indemnity",
        "schema_version": SCHEMA_VERSION,
        "number": l.number,
        "issue_date": l.issue_date.to_string(),
        "place_of_issue": l.place_of_issue,
        "addressee": party_json(&l.addressee),
        "requested_by": party_json(&l.requested_by),
        "bank": { "party": party_json(&l.bank), "guarantee_reference": l.guarantee_reference },
        "shipper": party_json(&l.shipper),
        "vessel_name": l.vessel_name,
        "voyage_number": l.voyage_number,
        "port_of_loading": l.port_of_loading.as_str(),
        "port_of_discharge": l.port_of_discharge.as_str(),
        "bill_of_lading_number": l.bill_of_lading_number,
        "goods": l.goods.iter().map(|g| json!({
            "description": g.description,
            "hs_code": g.hs_code.as_str(),
            "quantity": g.quantity.normalize().to_string(),
            "unit": g.unit.code(),
        })).collect::<Vec<_>>(),
        "marks_and_numbers": l.marks_and_numbers,
        "invoice_value": money_json(l.invoice_value),
        "amount_limit": money_json(l.amount_limit),
        "limit_percent_of_invoice": INDEMNITY_LIMIT_PERCENT,
        "wording": l.wording,
        "signatures": {
            "requester": {
                "on_behalf_of": l.requested_by.legal_name,
                "name": l.requester_signatory.name,
                "title": l.requester_signatory.title,
                "place": l.requester_place,
            },
            "bank": {
                "on_behalf_of": l.bank.legal_name,
                "name": l.bank_signatory.name,
                "title": l.bank_signatory.title,
                "place": l.place_of_issue,
            },
        },
    })
}

/// Writes the letter as pretty-printed JSON (UTF-8).
pub fn letter_of_indemnity(l: &LetterOfIndemnity) -> String {
    format!("{:#}\n", letter_of_indemnity_json(l))
}

/// The letter of indemnity for `facts`' shipment as platform JSON.
pub fn generate(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Vec<Generated>, GenerateError> {
    let l = LetterOfIndemnity::build(facts, version, issue_date)?;
    Ok(vec![Generated {
        number: l.number.clone(),
        format: format!("tradewind-letter-of-indemnity-{SCHEMA_VERSION}"),
        media_type: "application/json".into(),
        content: letter_of_indemnity(&l).into_bytes(),
        summary: l.summary(),
        view: l.view(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packing_list::testing::{json_schema_errors, snapshot};
    use tradewind_domain::documents::sample_trade_facts;

    const DAY: time::Date = time::macros::date!(2026 - 12 - 18);

    fn sample_text() -> String {
        let generated = generate(&sample_trade_facts(0), 1, DAY).expect("letter");
        assert_eq!(generated[0].media_type, "application/json");
        String::from_utf8(generated[0].content.clone()).expect("utf-8")
    }

    #[test]
    fn names_the_carrier_bank_and_limit() {
        let v: Value = serde_json::from_str(&sample_text()).expect("json");
        assert_eq!(v["document_type"], "letter_of_indemnity");
        assert_eq!(v["addressee"]["legal_name"], "Mekong Blue Freight Lines Pte Ltd");
        assert_eq!(v["requested_by"]["legal_name"], "Hanseatic Fine Foods GmbH");
        assert_eq!(v["bank"]["guarantee_reference"], "LOI-HH-2026-042");
        assert_eq!(v["bill_of_lading_number"], "BL-01JD8W4M6Q0S-1");
        assert_eq!(v["amount_limit"], json!({ "amount": "146011.20", "currency": "USD" }));
        assert_eq!(v["signatures"]["requester"]["name"], "Jonas Petersen");
        assert_eq!(v["wording"].as_array().map(Vec::len), Some(5));
    }

    #[test]
    fn a_missing_guarantee_is_named() {
        let mut f = sample_trade_facts(0);
        f.named_fields.guarantee_reference = None;
        f.carrier_fields.vessel_name = None;
        match generate(&f, 1, DAY) {
            Err(GenerateError::Missing(e)) => {
                let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["carrier_fields.vessel_name", "named_fields.guarantee_reference"]);
            }
            other => panic!("expected missing fields, got {other:?}"),
        }
    }

    #[test]
    fn matches_the_expected_file() {
        snapshot("letter_of_indemnity.json", &sample_text());
    }

    #[test]
    fn the_schema_accepts_it_and_refuses_broken_ones() {
        let schema: Value = serde_json::from_str(SCHEMA).expect("schema is JSON");
        let v: Value = serde_json::from_str(&sample_text()).expect("json");
        assert_eq!(json_schema_errors(&schema, &v), Vec::<String>::new());
        let mut unsigned = v.clone();
        unsigned["signatures"].as_object_mut().expect("object").remove("bank");
        assert!(!json_schema_errors(&schema, &unsigned).is_empty(), "accepted without the bank's signature");
        let mut no_wording = v.clone();
        no_wording["wording"] = json!([]);
        assert!(!json_schema_errors(&schema, &no_wording).is_empty(), "accepted without undertakings");
        let mut extra = v;
        extra["unexpected"] = json!(true);
        assert!(!json_schema_errors(&schema, &extra).is_empty(), "accepted an unknown field");
    }
}
