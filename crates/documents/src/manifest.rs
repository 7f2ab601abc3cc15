//! The cargo manifest as platform JSON aligned with the WCO Data Model
//! (`tradewind-cargo-manifest-1`), checked against `schemas/manifest.schema.json`.
//!
//! WCO DM classes and elements, in camelCase:
//! - `declaration`: `id` (the manifest's number), `functionCode` 9 (original), `typeCode`
//!   785 (UNCL 1001: cargo manifest), `issueDateTime`, `issueLocation`, `submitter` (the
//!   carrier) and `carrier` (`id` = SCAC);
//! - `borderTransportMeans`: `modeCode` (UN/ECE Rec 19: 1 sea, 4 air), `name` (vessel or
//!   flight), `journeyId` (voyage or flight), `departureDateTime`;
//! - `loadingLocation` / `unloadingLocation`: `id` (UN/LOCODE);
//! - `consignment` (one: the platform manifests a single shipment, never a whole vessel or
//!   flight): `transportContractDocument` (`id`, `typeCode` 705 bill of lading or 740 air
//!   waybill), `consignor`, `consignee`, `notifyParty`, `totalPackageQuantity`,
//!   `totalGrossMassMeasure`, `transportEquipment` (`id`, `seal`), `goodsItem`
//!   (`sequenceNumeric`, `commodity.description`, `commodity.classification` with
//!   `identificationTypeCode` HS, `goodsMeasure.grossMassMeasure`, `packaging` with
//!   `quantityQuantity`, `typeCode` (Rec 21) and `marksNumbersId`).

use crate::air_waybill::party;
use crate::dcsa_ebl::to_json_bytes;
use crate::{GenerateError, Generated};
use serde_json::{Value, json};
use tradewind_domain::documents::CargoManifest;
use tradewind_domain::documents::TradeFacts;
use tradewind_domain::documents::declaration::transport_mode_code;
use tradewind_domain::logistics::TransportMode;

pub const FORMAT: &str = "tradewind-cargo-manifest-1";

/// A WCO DM measure in kilograms.
pub(crate) fn mass(d: rust_decimal::Decimal) -> Value {
    json!({ "value": d.normalize().to_string(), "unitCode": "KGM" })
}

/// The manifest as a JSON value.
pub fn manifest_value(m: &CargoManifest) -> Value {
    let c = &m.consignment;
    let mut transport = json!({
        "modeCode": transport_mode_code(m.mode),
        "name": m.conveyance,
        "journeyId": m.journey,
    });
    if let Some(d) = m.departure_date {
        transport["departureDateTime"] = json!(d.to_string());
    }
    json!({
        "format": FORMAT,
        "documentType": "cargo_manifest",
        "declaration": {
            "id": m.number,
            "functionCode": "9",
            "typeCode": "785",
            "issueDateTime": m.issue_date.to_string(),
            "issueLocation": { "name": m.place_of_issue },
            "submitter": party(&m.carrier),
            "carrier": { "id": m.scac.as_str(), "name": m.carrier.legal_name },
            "signature": crate::air_waybill::signature(&m.signatory, &m.place_of_issue, m.issue_date),
        },
        "borderTransportMeans": transport,
        "loadingLocation": { "id": m.loading.as_str() },
        "unloadingLocation": { "id": m.unloading.as_str() },
        "consignment": [{
            "sequenceNumeric": 1,
            "transportContractDocument": {
                "id": c.transport_document,
                "typeCode": if m.mode == TransportMode::Air { "740" } else { "705" },
            },
            "consignor": party(&c.consignor),
            "consignee": party(&c.consignee),
            "notifyParty": party(&c.notify_party),
            "totalPackageQuantity": c.packages,
            "totalGrossMassMeasure": mass(c.gross_kg),
            "transportEquipment": c.equipment.iter().enumerate().map(|(i, q)| json!({
                "sequenceNumeric": i + 1,
                "id": q.container.as_str(),
                "seal": q.seal_numbers.iter().map(|s| json!({ "id": s })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "goodsItem": c.goods.iter().enumerate().map(|(i, g)| json!({
                "sequenceNumeric": i + 1,
                "commodity": {
                    "description": g.description,
                    "classification": [{ "id": g.hs_code.as_str(), "identificationTypeCode": "HS" }],
                },
                "goodsMeasure": { "grossMassMeasure": mass(g.gross_kg) },
                "packaging": [{
                    "sequenceNumeric": 1,
                    "quantityQuantity": g.packages,
                    "typeCode": g.package_type,
                    "marksNumbersId": c.marks_and_numbers,
                }],
            })).collect::<Vec<_>>(),
        }],
    })
}

/// The manifest's one rendition.
pub fn generate(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Vec<Generated>, GenerateError> {
    let m = CargoManifest::build(facts, version, issue_date)?;
    Ok(vec![Generated {
        number: m.number.clone(),
        format: FORMAT.into(),
        media_type: "application/json".into(),
        content: to_json_bytes(&manifest_value(&m))?,
        summary: m.summary(),
        view: m.view(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::air_waybill::tests::air_facts;
    use crate::dcsa_ebl::testing::{own_schema, own_schema_errors, snapshot};
    use time::macros::date;
    use tradewind_domain::documents::sample_trade_facts;

    fn json_of(facts: &TradeFacts) -> (Vec<u8>, Value) {
        let out = generate(facts, 1, date!(2026 - 11 - 20)).expect("manifest");
        (out[0].content.clone(), serde_json::from_slice(&out[0].content).expect("json"))
    }

    #[test]
    fn the_sample_matches_its_snapshot_and_schema() {
        let (bytes, v) = json_of(&sample_trade_facts(0));
        snapshot("cargo_manifest.json", &bytes);
        assert_eq!(v["declaration"]["functionCode"], "9");
        assert_eq!(v["borderTransportMeans"]["name"], "MEKONG STAR");
        assert_eq!(v["consignment"][0]["goodsItem"][1]["commodity"]["classification"][0]["id"], "080132");
        assert_eq!(v["consignment"][0]["totalPackageQuantity"], 584);
        let schema = own_schema("manifest.schema.json");
        let errors = own_schema_errors(&schema, &v);
        assert!(errors.is_empty(), "{errors:#?}");
        let (_, air) = json_of(&air_facts());
        assert_eq!(air["borderTransportMeans"]["modeCode"], "4");
        assert_eq!(air["consignment"][0]["transportContractDocument"]["typeCode"], "740");
        let errors = own_schema_errors(&schema, &air);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn a_broken_document_fails_the_schema() {
        let (_, mut v) = json_of(&sample_trade_facts(0));
        v["declaration"]["functionCode"] = json!("X");
        v["consignment"][0]["goodsItem"][0]["commodity"]["classification"][0]["id"] = json!("pepper");
        v["consignment"][0].as_object_mut().expect("object").remove("consignee");
        let errors = own_schema_errors(&own_schema("manifest.schema.json"), &v);
        assert_eq!(errors.len(), 3, "{errors:#?}");
    }
}
