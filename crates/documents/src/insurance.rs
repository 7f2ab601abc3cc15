//! The insurance certificate as platform JSON (`insurance_certificate`, schema version 1.0,
//! snake_case), described by the JSON Schema [`SCHEMA`]. No open standard for cargo
//! insurance certificates exists, so the fields follow what a certificate under an open
//! policy states. Amounts are strings with the currency's minor unit, like the XML writers.

use crate::xml::amount_text;
use crate::{GenerateError, Generated};
use serde_json::{Value, json};
use tradewind_domain::Money;
use tradewind_domain::documents::{AssuredRole, DocumentParty, InsuranceCertificate, Signatory, TradeFacts};

/// The JSON Schema (draft 2020-12) of [`insurance_certificate`]'s output.
pub const SCHEMA: &str = include_str!("../schemas/insurance.schema.json");
pub const SCHEMA_VERSION: &str = "1.0";

pub(crate) fn party_json(p: &DocumentParty) -> Value {
    json!({
        "legal_name": p.legal_name,
        "registration_number": p.registration_number,
        "street": p.street,
        "city": p.city,
        "postal_code": p.postal_code,
        "country": p.country.as_str(),
        "lei": p.lei.as_ref().map(|l| l.as_str()),
        "email": p.email,
        "vat_id": p.vat_id,
    })
}

pub(crate) fn money_json(m: Money) -> Value {
    json!({ "amount": amount_text(m), "currency": m.currency().as_str() })
}

pub(crate) fn signatory_json(s: &Signatory) -> Value {
    json!({ "name": s.name, "title": s.title })
}

/// The certificate as a JSON value.
pub fn insurance_certificate_json(ic: &InsuranceCertificate) -> Value {
    json!({
        "document_type": "insurance_certificate",
        "schema_version": SCHEMA_VERSION,
        "number": ic.number,
        "issue_date": ic.issue_date.to_string(),
        "place_of_issue": ic.place_of_issue,
        "insurer": party_json(&ic.insurer),
        "assured": party_json(&ic.assured),
        "assured_role": match ic.assured_role {
            AssuredRole::Seller => "seller",
            AssuredRole::Buyer => "buyer",
        },
        "beneficiary": party_json(&ic.beneficiary),
        "policy_number": ic.policy_number,
        "cover": ic.cover,
        "incoterm": ic.incoterm.code(),
        "invoice": { "number": ic.invoice_number, "total": money_json(ic.invoice_total) },
        "insured_percent": ic.insured_percent.normalize().to_string(),
        "insured_value": money_json(ic.insured_value),
        "conveyance": { "mode": ic.mode.as_str(), "description": ic.conveyance },
        "voyage": { "from": ic.voyage_from.as_str(), "to": ic.voyage_to.as_str() },
        "goods": ic.goods.iter().map(|g| json!({
            "description": g.description,
            "hs_code": g.hs_code.as_str(),
            "quantity": g.quantity.normalize().to_string(),
            "unit": g.unit.code(),
        })).collect::<Vec<_>>(),
        "marks_and_numbers": ic.marks_and_numbers,
        "claims_payable_at": ic.claims_payable_at.as_str(),
        "signatory": signatory_json(&ic.signatory),
    })
}

/// Writes the certificate as pretty-printed JSON (UTF-8).
pub fn insurance_certificate(ic: &InsuranceCertificate) -> String {
    format!("{:#}\n", insurance_certificate_json(ic))
}

/// The insurance certificate for `facts`' shipment as platform JSON.
pub fn generate(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Vec<Generated>, GenerateError> {
    let ic = InsuranceCertificate::build(facts, version, issue_date)?;
    Ok(vec![Generated {
        number: ic.number.clone(),
        format: format!("tradewind-insurance-certificate-{SCHEMA_VERSION}"),
        media_type: "application/json".into(),
        content: insurance_certificate(&ic).into_bytes(),
        summary: ic.summary(),
        view: ic.view(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packing_list::testing::{json_schema_errors, snapshot};
    use tradewind_domain::documents::sample_trade_facts;

    const DAY: time::Date = time::macros::date!(2026 - 11 - 19);

    fn sample() -> Value {
        let generated = generate(&sample_trade_facts(0), 1, DAY).expect("certificate");
        serde_json::from_slice(&generated[0].content).expect("json")
    }

    fn schema() -> Value {
        serde_json::from_str(SCHEMA).expect("schema is JSON")
    }

    #[test]
    fn states_the_cover_and_value() {
        let v = sample();
        assert_eq!(v["document_type"], "insurance_certificate");
        assert_eq!(v["assured_role"], "buyer");
        assert_eq!(v["assured"]["legal_name"], "Hanseatic Fine Foods GmbH");
        assert_eq!(v["insured_value"], json!({ "amount": "80306.16", "currency": "USD" }));
        assert_eq!(v["invoice"]["total"]["amount"], "73005.60");
        assert_eq!(v["insured_percent"], "110");
        assert_eq!(v["conveyance"]["description"], "MEKONG STAR voyage 118W");
        assert_eq!(v["claims_payable_at"], "DEHAM");
        assert_eq!(v["signatory"]["name"], "Nguyen Van An");
    }

    #[test]
    fn a_missing_policy_is_named() {
        let mut f = sample_trade_facts(0);
        f.named_fields.policy_number = None;
        match generate(&f, 1, DAY) {
            Err(GenerateError::Missing(e)) => assert_eq!(e.0[0].field, "named_fields.policy_number"),
            other => panic!("expected missing fields, got {other:?}"),
        }
    }

    #[test]
    fn matches_the_expected_file() {
        let generated = generate(&sample_trade_facts(0), 1, DAY).expect("certificate");
        snapshot("insurance_certificate.json", std::str::from_utf8(&generated[0].content).expect("utf-8"));
    }

    #[test]
    fn the_schema_accepts_it_and_refuses_broken_ones() {
        let schema = schema();
        let v = sample();
        assert_eq!(json_schema_errors(&schema, &v), Vec::<String>::new());
        let mut cif = sample_trade_facts(0);
        cif.incoterm = "CIF".parse().expect("incoterm");
        let generated = generate(&cif, 1, DAY).expect("certificate");
        let cif: Value = serde_json::from_slice(&generated[0].content).expect("json");
        assert_eq!(cif["assured_role"], "seller");
        assert_eq!(json_schema_errors(&schema, &cif), Vec::<String>::new());

        let mut no_value = v.clone();
        no_value.as_object_mut().expect("object").remove("insured_value");
        assert!(!json_schema_errors(&schema, &no_value).is_empty(), "accepted without insured value");
        let mut float = v.clone();
        float["insured_value"]["amount"] = json!(80306.16);
        assert!(!json_schema_errors(&schema, &float).is_empty(), "accepted an amount as a float");
        let mut port = v;
        port["voyage"]["to"] = json!("Hamburg");
        assert!(!json_schema_errors(&schema, &port).is_empty(), "accepted a port that is no UN/LOCODE");
    }
}
