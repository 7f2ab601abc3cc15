//! The air waybill as platform JSON (`tradewind-air-waybill-1`) with the IATA AWB field
//! set, checked against `schemas/air_waybill.schema.json`. Decimal values are strings so no
//! weight or amount passes through a float. Also the parts of the platform JSON that the
//! other platform documents share (parties, weights, money, signatures).

use crate::dcsa_ebl::to_json_bytes;
use crate::{GenerateError, Generated};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tradewind_domain::Money;
use tradewind_domain::documents::{AirWaybill, DocumentParty, Signatory, SummaryLine, TradeFacts};

pub const FORMAT: &str = "tradewind-air-waybill-1";

/// A party in the platform's JSON documents.
pub(crate) fn party(p: &DocumentParty) -> Value {
    let mut v = json!({
        "name": p.legal_name,
        "registrationNumber": p.registration_number,
        "address": { "street": p.street, "city": p.city, "postalCode": p.postal_code, "country": p.country.as_str() },
        "email": p.email,
    });
    if let Some(lei) = &p.lei {
        v["lei"] = json!(lei.as_str());
    }
    if let Some(vat) = &p.vat_id {
        v["vatId"] = json!(vat);
    }
    v
}

pub(crate) fn kg(d: Decimal) -> Value {
    json!({ "value": d.normalize().to_string(), "unit": "KGM" })
}

pub(crate) fn money(m: Money) -> Value {
    json!({ "amount": crate::xml::amount_text(m), "currency": m.currency().as_str() })
}

pub(crate) fn signature(s: &Signatory, place: &str, date: time::Date) -> Value {
    json!({ "name": s.name, "title": s.title, "place": place, "date": date.to_string() })
}

pub(crate) fn goods_line(l: &SummaryLine) -> Value {
    json!({
        "description": l.description,
        "hsCode": l.hs_code.as_ref().map(|h| h.as_str()),
        "quantity": l.quantity.map(|q| q.normalize().to_string()),
        "unit": l.unit,
    })
}

/// The air waybill as a JSON value.
pub fn air_waybill_value(a: &AirWaybill) -> Value {
    let mut v = json!({
        "format": FORMAT,
        "documentType": "air_waybill",
        "documentNumber": a.number,
        "awbNumber": a.awb_number,
        "issueDate": a.issue_date.to_string(),
        "shipper": party(&a.shipper),
        "consignee": party(&a.consignee),
        "issuingCarrierAgent": party(&a.issuing_carrier_agent),
        "airportOfDeparture": { "unLocode": a.airport_of_departure.as_str() },
        "airportOfDestination": { "unLocode": a.airport_of_destination.as_str() },
        "flight": { "number": a.flight_number },
        "pieces": a.pieces,
        "grossWeight": kg(a.gross_kg),
        "chargeableWeight": kg(a.chargeable_kg),
        "natureAndQuantityOfGoods": a.nature_and_quantity.iter().map(goods_line).collect::<Vec<_>>(),
        "declaredValueForCarriage": a.declared_value_for_carriage,
        "declaredValueForCustoms": a.declared_value_for_customs,
        "signature": signature(&a.signatory, &a.place_of_issue, a.issue_date),
    });
    if let Some(d) = a.flight_date {
        v["flight"]["date"] = json!(d.to_string());
    }
    if let Some(h) = &a.handling_information {
        v["handlingInformation"] = json!(h);
    }
    v
}

/// The air waybill's one rendition: platform JSON.
pub fn generate(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Vec<Generated>, GenerateError> {
    let a = AirWaybill::build(facts, version, issue_date)?;
    Ok(vec![Generated {
        number: a.number.clone(),
        format: FORMAT.into(),
        media_type: "application/json".into(),
        content: to_json_bytes(&air_waybill_value(&a))?,
        summary: a.summary(),
        view: a.view(),
    }])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dcsa_ebl::testing::{own_schema, own_schema_errors, snapshot};
    use time::macros::date;
    use tradewind_domain::documents::air_waybill::awb_number_is_valid;
    use tradewind_domain::documents::sample_trade_facts;
    use tradewind_domain::logistics::TransportMode;

    pub(crate) fn air_facts() -> TradeFacts {
        let mut f = sample_trade_facts(0);
        if let Some(s) = f.shipment.as_mut() {
            s.mode = TransportMode::Air;
            s.destination = "DEFRA".parse().expect("locode");
            s.containers.clear();
        }
        f.carrier_fields.flight_number = Some("VN31".into());
        f
    }

    fn sample_json() -> Value {
        let out = generate(&air_facts(), 1, date!(2026 - 11 - 20)).expect("awb");
        serde_json::from_slice(&out[0].content).expect("json")
    }

    #[test]
    fn the_sample_matches_its_snapshot_and_schema() {
        let out = generate(&air_facts(), 1, date!(2026 - 11 - 20)).expect("awb");
        snapshot("air_waybill.json", &out[0].content);
        let v = sample_json();
        assert!(awb_number_is_valid(v["awbNumber"].as_str().expect("awb")));
        assert_eq!(v["declaredValueForCarriage"], "NVD");
        assert_eq!(v["chargeableWeight"]["value"], "14652");
        let errors = own_schema_errors(&own_schema("air_waybill.schema.json"), &v);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn a_broken_document_fails_the_schema() {
        let mut v = sample_json();
        v["awbNumber"] = json!("000-1234");
        v["grossWeight"]["value"] = json!(14652);
        v.as_object_mut().expect("object").remove("flight");
        let errors = own_schema_errors(&own_schema("air_waybill.schema.json"), &v);
        assert_eq!(errors.len(), 3, "{errors:#?}");
    }

    #[test]
    fn a_sea_shipment_is_refused() {
        match generate(&sample_trade_facts(0), 1, date!(2026 - 11 - 20)) {
            Err(GenerateError::Missing(e)) => {
                assert!(e.0.iter().any(|x| x.field == "shipment.mode" && x.message.contains("bill of lading")))
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
