//! The delivery order as platform JSON (`tradewind-delivery-order-1`), checked against
//! `schemas/delivery_order.schema.json`.

use crate::air_waybill::{kg, party, signature};
use crate::dcsa_ebl::to_json_bytes;
use crate::{GenerateError, Generated};
use serde_json::{Value, json};
use tradewind_domain::documents::{DeliveryOrder, TradeFacts, TransportDocumentType};

pub const FORMAT: &str = "tradewind-delivery-order-1";

/// The delivery order as a JSON value.
pub fn delivery_order_value(d: &DeliveryOrder) -> Value {
    let td = &d.transport_document;
    json!({
        "format": FORMAT,
        "documentType": "delivery_order",
        "documentNumber": d.number,
        "issueDate": d.issue_date.to_string(),
        "issuedBy": party(&d.issued_by),
        "releaseTo": party(&d.release_to),
        "transportDocument": {
            "type": match td.document_type {
                TransportDocumentType::BillOfLading => "bill_of_lading",
                TransportDocumentType::SeaWaybill => "sea_waybill",
            },
            "number": td.number,
            "vesselName": td.vessel_name,
            "voyageNumber": td.voyage_number,
        },
        "portOfDischarge": { "unLocode": td.port_of_discharge.as_str() },
        "placeOfDelivery": { "unLocode": d.place_of_delivery.as_str() },
        "containers": td.equipment.iter().map(|q| q.container.as_str()).collect::<Vec<_>>(),
        "goods": td.goods.iter().map(|g| json!({
            "description": g.description,
            "hsCode": g.hs_code.as_str(),
            "packages": g.packages,
            "packageType": g.package_type,
            "grossWeight": kg(g.gross_kg),
        })).collect::<Vec<_>>(),
        "totalPackages": td.packages(),
        "totalGrossWeight": kg(td.gross_kg),
        "releaseConditions": d.release_conditions,
        "signature": signature(&d.signatory, &d.place_of_issue, d.issue_date),
    })
}

/// The delivery order's one rendition, against the bill of lading of the same version.
pub fn generate(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Vec<Generated>, GenerateError> {
    let d = DeliveryOrder::build(facts, version, issue_date)?;
    Ok(vec![Generated {
        number: d.number.clone(),
        format: FORMAT.into(),
        media_type: "application/json".into(),
        content: to_json_bytes(&delivery_order_value(&d))?,
        summary: d.summary(),
        view: d.view(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dcsa_ebl::testing::{own_schema, own_schema_errors, snapshot};
    use time::macros::date;
    use tradewind_domain::documents::sample_trade_facts;

    fn sample() -> (Vec<u8>, Value) {
        let out = generate(&sample_trade_facts(0), 1, date!(2026 - 12 - 22)).expect("delivery order");
        let v = serde_json::from_slice(&out[0].content).expect("json");
        (out[0].content.clone(), v)
    }

    #[test]
    fn the_sample_matches_its_snapshot_and_schema() {
        let (bytes, v) = sample();
        snapshot("delivery_order.json", &bytes);
        assert_eq!(v["transportDocument"]["number"], "BL-01JD8W4M6Q0S-1");
        assert_eq!(v["totalGrossWeight"]["value"], "14652");
        assert_eq!(v["containers"][0], "MSKU1234565");
        let errors = own_schema_errors(&own_schema("delivery_order.schema.json"), &v);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn a_broken_document_fails_the_schema() {
        let (_, mut v) = sample();
        v["releaseConditions"] = json!([]);
        v["containers"] = json!(["MSKU 123"]);
        v["placeOfDelivery"]["unLocode"] = json!("Hamburg");
        let errors = own_schema_errors(&own_schema("delivery_order.schema.json"), &v);
        assert_eq!(errors.len(), 3, "{errors:#?}");
    }
}
