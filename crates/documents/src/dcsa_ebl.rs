//! The bill of lading and the sea waybill as a DCSA eBL 3.0 `TransportDocument` (JSON), and
//! [`generate`] for both kinds with their renditions (DCSA JSON and UBL 2.1).
//!
//! Choices the standard leaves to us, and why:
//! - Status `ISSUED`, shipped on board (the carrier gives the on-board date).
//! - `isElectronic` is `false`: the platform issues the originals as signed documents
//!   (3 for a bill of lading, counted without charges as it states no freight amounts), not
//!   through an eBL platform's title register.
//! - The consignee's required identifying code is its LEI under `GLEIF` when it has one,
//!   else its company registration under `ZZZ` (mutually defined).
//! - The place of issue is the carrier's named place with the port of loading's country.
//! - Invoice payable at the port of loading when freight is prepaid, at the port of
//!   discharge when collect.
//! - Each goods line is one consignment item; its cargo item names the first container, as
//!   the facts do not say which goods are in which container when there are several.
//! - Seals and the planned arrival date come from the carrier's own fields; the DCSA schema
//!   requires both, so building the document names them when they are missing.

use crate::{DocumentError, GenerateError, Generated, ubl_transport};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};
use tradewind_domain::documents::{
    DocumentParty, FreightPayable, TradeFacts, TransportDocument, TransportDocumentType,
};

pub const FORMAT: &str = "dcsa-ebl-3.0-transport-document";

/// A weight or count as a JSON number: whole numbers exactly, others as the nearest double
/// (weights are not money).
pub(crate) fn number(d: Decimal) -> Value {
    let d = d.normalize();
    if d.fract().is_zero()
        && let Some(i) = d.to_i64()
    {
        return Value::from(i);
    }
    d.to_f64().map(Value::from).unwrap_or(Value::Null)
}

/// The name of a UN/ECE Rec 21 package type, for the common ones.
pub(crate) fn package_name(code: &str) -> String {
    let name = match code {
        "BG" => "Bags",
        "CT" => "Cartons",
        "PX" => "Pallets",
        "BX" => "Boxes",
        "CS" => "Cases",
        "DR" => "Drums",
        "BA" => "Barrels",
        "SA" => "Sacks",
        "CR" => "Crates",
        "BL" => "Bales",
        "PK" => "Packages",
        _ => return format!("Packages (UN/ECE Rec 21 code {code})"),
    };
    name.to_string()
}

/// `text` in lines of at most `width` characters, broken between words (a longer word is
/// cut), as DCSA wants goods descriptions and marks.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let mut word: Vec<char> = word.chars().collect();
            while word.len() > width {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(word.drain(..width).collect());
            }
            let word: String = word.into_iter().collect();
            if word.is_empty() {
                continue;
            }
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

fn address(p: &DocumentParty) -> Value {
    let mut a = Map::new();
    a.insert("street".into(), json!(p.street));
    if !p.postal_code.trim().is_empty() {
        a.insert("postCode".into(), json!(p.postal_code));
    }
    a.insert("city".into(), json!(p.city));
    a.insert("countryCode".into(), json!(p.country.as_str()));
    Value::Object(a)
}

fn identifying_code(p: &DocumentParty) -> Value {
    match &p.lei {
        Some(lei) => json!({ "codeListProvider": "GLEIF", "partyCode": lei.as_str(), "codeListName": "LEI" }),
        None => json!({
            "codeListProvider": "ZZZ",
            "partyCode": p.registration_number,
            "codeListName": "Company registration number",
        }),
    }
}

fn party(p: &DocumentParty, with_codes: bool) -> Value {
    let mut v = json!({
        "partyName": p.legal_name,
        "address": address(p),
        "partyContactDetails": [{ "name": p.legal_name.chars().take(35).collect::<String>(), "email": p.email }],
    });
    if with_codes {
        v["identifyingCodes"] = json!([identifying_code(p)]);
    }
    if let Some(vat) = &p.vat_id {
        v["taxLegalReferences"] = json!([{ "type": "VAT", "countryCode": p.country.as_str(), "value": vat }]);
    }
    v
}

/// The transport document as a DCSA eBL 3.0 `TransportDocument` JSON value.
pub fn transport_document_value(td: &TransportDocument) -> Value {
    let bol = td.document_type == TransportDocumentType::BillOfLading;
    let marks = td.marks_and_numbers.as_deref().map(|m| wrap(m, 35)).unwrap_or_default();
    let first_container = td.equipment.first().map(|q| q.container.as_str()).unwrap_or_default();
    let mut parties = json!({
        "shipper": party(&td.shipper, false),
        "issuingParty": party(&td.carrier, false),
        "notifyParties": [party(&td.notify_party, false)],
    });
    if !td.to_order {
        parties["consignee"] = party(&td.consignee, true);
    }
    let mut transports = json!({
        "plannedDepartureDate": td.shipped_on_board.to_string(),
        "placeOfReceipt": { "UNLocationCode": td.place_of_receipt.as_str() },
        "portOfLoading": { "UNLocationCode": td.port_of_loading.as_str() },
        "portOfDischarge": { "UNLocationCode": td.port_of_discharge.as_str() },
        "placeOfDelivery": { "UNLocationCode": td.place_of_delivery.as_str() },
        "vesselVoyages": [{ "vesselName": td.vessel_name, "carrierExportVoyageNumber": td.voyage_number }],
    });
    if let Some(arrival) = td.planned_arrival {
        transports["plannedArrivalDate"] = json!(arrival.to_string());
    }
    let payable_at = match td.freight {
        FreightPayable::Prepaid => &td.port_of_loading,
        FreightPayable::Collect => &td.port_of_discharge,
    };
    let mut doc = json!({
        "transportDocumentReference": td.number,
        "transportDocumentStatus": "ISSUED",
        "transportDocumentTypeCode": if bol { "BOL" } else { "SWB" },
        "isShippedOnBoardType": true,
        "freightPaymentTermCode": match td.freight { FreightPayable::Prepaid => "PRE", FreightPayable::Collect => "COL" },
        "isElectronic": false,
        "isToOrder": td.to_order,
        "shippedOnBoardDate": td.shipped_on_board.to_string(),
        "displayedShippedOnBoardReceivedForShipment": format!(
            "Shipped on board {} voyage {} at {} on {}",
            td.vessel_name, td.voyage_number, td.port_of_loading, td.shipped_on_board
        ),
        "termsAndConditions": format!(
            "Carried subject to the terms and conditions of carriage of {}, available from the carrier on request. Shipper's load, stow and count; said to contain.",
            td.carrier.legal_name
        ),
        "receiptTypeAtOrigin": "CY",
        "deliveryTypeAtDestination": "CY",
        "cargoMovementTypeAtOrigin": "FCL",
        "cargoMovementTypeAtDestination": "FCL",
        "issueDate": td.issue_date.to_string(),
        "carrierCode": td.scac.as_str(),
        "carrierCodeListProvider": "NMFTA",
        "transports": transports,
        "placeOfIssue": { "locationName": td.place_of_issue, "countryCode": td.port_of_loading.country().as_str() },
        "invoicePayableAt": { "UNLocationCode": payable_at.as_str() },
        "partyContactDetails": [{ "name": td.signatory.name, "email": td.carrier.email }],
        "documentParties": parties,
        "consignmentItems": td.goods.iter().map(|g| {
            let mut item = json!({
                "carrierBookingReference": td.booking_reference,
                "descriptionOfGoods": wrap(&g.description, 35),
                "HSCodes": [g.hs_code.as_str()],
                "cargoItems": [{
                    "equipmentReference": first_container,
                    "cargoGrossWeight": { "value": number(g.gross_kg), "unit": "KGM" },
                    "outerPackaging": {
                        "packageCode": g.package_type,
                        "numberOfPackages": g.packages,
                        "description": package_name(&g.package_type),
                    },
                }],
            });
            if !marks.is_empty() {
                item["shippingMarks"] = json!(marks);
            }
            item
        }).collect::<Vec<_>>(),
        "utilizedTransportEquipments": td.equipment.iter().map(|q| {
            let mut e = json!({ "equipment": { "equipmentReference": q.container.as_str() }, "isShipperOwned": false });
            if !q.seal_numbers.is_empty() {
                e["seals"] = json!(q.seal_numbers.iter().map(|s| json!({ "number": s })).collect::<Vec<_>>());
            }
            e
        }).collect::<Vec<_>>(),
        "references": [{ "type": "PO", "value": td.order_reference }],
    });
    if bol {
        doc["numberOfOriginalsWithoutCharges"] = json!(td.originals);
    }
    doc
}

/// The transport document as DCSA eBL 3.0 JSON bytes (pretty-printed, UTF-8).
pub fn transport_document(td: &TransportDocument) -> Result<Vec<u8>, DocumentError> {
    if td.number.chars().count() > 20 {
        return Err(DocumentError::Write(std::io::Error::other(format!(
            "{} is longer than the 20 characters a DCSA transport document reference may have",
            td.number
        ))));
    }
    to_json_bytes(&transport_document_value(td))
}

/// Pretty JSON bytes with a final newline.
pub(crate) fn to_json_bytes(v: &Value) -> Result<Vec<u8>, DocumentError> {
    let mut out = serde_json::to_vec_pretty(v).map_err(|e| DocumentError::Write(std::io::Error::other(e)))?;
    out.push(b'\n');
    Ok(out)
}

/// Every rendition of a bill of lading or sea waybill: DCSA eBL 3.0 JSON and UBL 2.1.
pub fn generate(
    document_type: TransportDocumentType,
    facts: &TradeFacts,
    version: u32,
    issue_date: time::Date,
) -> Result<Vec<Generated>, GenerateError> {
    let td = TransportDocument::build_as(document_type, facts, version, issue_date)?;
    let (summary, view) = (td.summary(), td.view());
    let ubl = ubl_transport::transport_document(&td)?;
    Ok(vec![
        Generated {
            number: td.number.clone(),
            format: FORMAT.into(),
            media_type: "application/json".into(),
            content: transport_document(&td)?,
            summary: summary.clone(),
            view: view.clone(),
        },
        Generated {
            number: td.number.clone(),
            format: ubl_transport::format(document_type).into(),
            media_type: "application/xml".into(),
            content: ubl.into_bytes(),
            summary,
            view,
        },
    ])
}

/// The straight bill of lading's renditions.
pub fn generate_bill_of_lading(
    facts: &TradeFacts,
    version: u32,
    issue_date: time::Date,
) -> Result<Vec<Generated>, GenerateError> {
    generate(TransportDocumentType::BillOfLading, facts, version, issue_date)
}

/// The sea waybill's renditions.
pub fn generate_sea_waybill(
    facts: &TradeFacts,
    version: u32,
    issue_date: time::Date,
) -> Result<Vec<Generated>, GenerateError> {
    generate(TransportDocumentType::SeaWaybill, facts, version, issue_date)
}

/// What the adapters' tests share: the standards folder, JSON Schema validation and
/// checked-in snapshots.
#[cfg(test)]
pub(crate) mod testing {
    use serde_json::Value;
    use std::path::PathBuf;

    /// `/work/shared/standards/<rel>` beside the checkout, or `None` with the reason printed.
    pub(crate) fn standard(rel: &str) -> Option<PathBuf> {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/standards").join(rel);
        if p.exists() {
            Some(p)
        } else {
            eprintln!("skipped: {} is missing", p.display());
            None
        }
    }

    /// Every error of `instance` under `schema` (draft 4, as OpenAPI 3.0 schemas are), as
    /// "path: message" lines.
    pub(crate) fn schema_errors(schema: &Value, instance: &Value) -> Vec<String> {
        let v = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(true)
            .build(schema)
            .expect("the schema compiles");
        v.iter_errors(instance).map(|e| format!("{}: {}", e.instance_path(), e)).collect()
    }

    /// Every error of `instance` under one of the platform's own schemas (draft by its
    /// `$schema`).
    pub(crate) fn own_schema_errors(schema: &Value, instance: &Value) -> Vec<String> {
        let v = jsonschema::options().should_validate_formats(true).build(schema).expect("the schema compiles");
        v.iter_errors(instance).map(|e| format!("{}: {}", e.instance_path(), e)).collect()
    }

    /// One of the checked-in JSON Schemas under `schemas/`.
    pub(crate) fn own_schema(name: &str) -> Value {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas").join(name);
        let text = std::fs::read_to_string(&p).expect("schema file");
        serde_json::from_str(&text).expect("schema JSON")
    }

    /// Compares `content` with `tests/snapshots/<name>`; writes it with `UPDATE_SNAPSHOTS=1`.
    pub(crate) fn snapshot(name: &str, content: &[u8]) {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(p.parent().expect("dir")).expect("mkdir");
            std::fs::write(&p, content).expect("write snapshot");
            return;
        }
        let want =
            std::fs::read(&p).unwrap_or_else(|_| panic!("{} is missing; run with UPDATE_SNAPSHOTS=1", p.display()));
        assert!(
            want == content,
            "{name} changed; review and run with UPDATE_SNAPSHOTS=1:\n{}",
            String::from_utf8_lossy(content)
        );
    }

    /// Runs xmllint with `xsd` on `xml`: `None` when the schema or xmllint is absent.
    pub(crate) fn xmllint(xsd: &std::path::Path, xml: &str, tag: &str) -> Option<Result<(), String>> {
        let dir = std::env::temp_dir().join(format!("tw-transport-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("doc.xml");
        std::fs::write(&file, xml).expect("write");
        let out = std::process::Command::new("xmllint").arg("--noout").arg("--schema").arg(xsd).arg(&file).output();
        let _ = std::fs::remove_dir_all(&dir);
        match out {
            Err(e) => {
                eprintln!("skipped: xmllint cannot run ({e})");
                None
            }
            Ok(o) if o.status.success() => Some(Ok(())),
            Ok(o) => Some(Err(String::from_utf8_lossy(&o.stderr).into_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{schema_errors, snapshot, standard};
    use super::*;
    use time::macros::date;
    use tradewind_domain::documents::sample_trade_facts;

    /// The DCSA `TransportDocument` schema from the official OpenAPI file, its `$ref`s
    /// resolving against the file's own components.
    fn dcsa_schema() -> Option<(Value, Value)> {
        let path = standard("dcsa-ebl/EBL_v3.0.4.yaml")?;
        let text = std::fs::read_to_string(path).expect("read yaml");
        let api: Value = serde_norway::from_str(&text).expect("yaml");
        let schema = json!({
            "$ref": "#/components/schemas/TransportDocument",
            "components": api["components"].clone(),
        });
        Some((schema, api))
    }

    fn sample(kind: TransportDocumentType) -> TransportDocument {
        TransportDocument::build_as(kind, &sample_trade_facts(0), 1, date!(2026 - 11 - 20)).expect("document")
    }

    /// The sample completed with what the facts do not record yet.
    fn completed(kind: TransportDocumentType) -> TransportDocument {
        let mut td = sample(kind);
        td.planned_arrival = Some(date!(2026 - 12 - 21));
        for q in &mut td.equipment {
            q.seal_numbers = vec!["MB0042137".into()];
        }
        td
    }

    #[test]
    fn descriptions_wrap_between_words() {
        assert_eq!(
            wrap("Cashew kernels W320, vacuum packed 22.68 kg cartons", 35),
            ["Cashew kernels W320, vacuum packed", "22.68 kg cartons"]
        );
        assert_eq!(wrap("HFF/HAM/2026-118\nMADE IN VIETNAM", 35), ["HFF/HAM/2026-118", "MADE IN VIETNAM"]);
        assert_eq!(wrap("ABCDEFGH xy", 3), ["ABC", "DEF", "GH", "xy"]);
        assert!(wrap("  ", 35).is_empty());
    }

    #[test]
    fn the_sample_matches_its_snapshots() {
        for (kind, name) in [
            (TransportDocumentType::BillOfLading, "bill_of_lading"),
            (TransportDocumentType::SeaWaybill, "sea_waybill"),
        ] {
            let out = generate(kind, &sample_trade_facts(0), 1, date!(2026 - 11 - 20)).expect("generate");
            assert_eq!(out.len(), 2);
            assert_eq!(out[0].format, FORMAT);
            snapshot(&format!("{name}.dcsa-ebl.json"), &out[0].content);
            snapshot(&format!("{name}.ubl.xml"), &out[1].content);
        }
    }

    #[test]
    fn the_json_states_the_carriers_facts() {
        let v = transport_document_value(&sample(TransportDocumentType::BillOfLading));
        assert_eq!(v["transportDocumentTypeCode"], "BOL");
        assert_eq!(v["freightPaymentTermCode"], "COL");
        assert_eq!(v["invoicePayableAt"]["UNLocationCode"], "DEHAM");
        assert_eq!(v["numberOfOriginalsWithoutCharges"], 3);
        assert_eq!(v["carrierCode"], "MBFF");
        assert_eq!(v["documentParties"]["consignee"]["identifyingCodes"][0]["codeListProvider"], "ZZZ");
        let total: f64 = v["consignmentItems"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["cargoItems"][0]["cargoGrossWeight"]["value"].as_f64().expect("weight"))
            .sum();
        assert!((total - 14652.0).abs() < 1e-6, "{total}");
        let swb = transport_document_value(&sample(TransportDocumentType::SeaWaybill).to_order_of_shipper());
        assert_eq!(swb["transportDocumentTypeCode"], "SWB");
        assert_eq!(swb["isToOrder"], false);
        assert!(swb.get("numberOfOriginalsWithoutCharges").is_none());
        let to_order = transport_document_value(&sample(TransportDocumentType::BillOfLading).to_order_of_shipper());
        assert_eq!(to_order["isToOrder"], true);
        assert!(to_order["documentParties"].get("consignee").is_none());
    }

    #[test]
    fn the_official_schema_accepts_it() {
        let Some((schema, api)) = dcsa_schema() else { return };
        // The validator set-up accepts the standard's own example transport documents.
        let examples = &api["paths"]["/v3/transport-documents/{transportDocumentReference}"]["get"]["responses"]["200"]
            ["content"]["application/json"]["examples"];
        let mut checked = 0;
        for (name, ex) in examples.as_object().expect("examples") {
            let errors = schema_errors(&schema, &ex["value"]);
            assert!(errors.is_empty(), "official example {name}: {errors:#?}");
            checked += 1;
        }
        assert!(checked >= 1);
        for kind in [TransportDocumentType::BillOfLading, TransportDocumentType::SeaWaybill] {
            for td in [completed(kind), completed(kind).to_order_of_shipper()] {
                let v = transport_document_value(&td);
                let errors = schema_errors(&schema, &v);
                assert!(errors.is_empty(), "{kind:?}: {errors:#?}\n{v:#}");
            }
            // Straight from the facts, as the platform issues it.
            let v = transport_document_value(&sample(kind));
            let errors = schema_errors(&schema, &v);
            assert!(errors.is_empty(), "{kind:?} from the facts: {errors:#?}\n{v:#}");
        }
    }

    #[test]
    fn a_broken_document_fails_the_official_schema() {
        let Some((schema, _)) = dcsa_schema() else { return };
        let mut v = transport_document_value(&completed(TransportDocumentType::BillOfLading));
        v["transportDocumentTypeCode"] = json!("XYZ");
        v["transports"]["portOfLoading"]["UNLocationCode"] = json!("saigon");
        v.as_object_mut().expect("object").remove("carrierCode");
        let errors = schema_errors(&schema, &v);
        assert!(errors.len() >= 3, "{errors:#?}");
    }

    #[test]
    fn missing_data_is_named_and_long_numbers_are_refused() {
        let mut f = sample_trade_facts(0);
        f.carrier_fields.vessel_name = None;
        match generate_bill_of_lading(&f, 1, date!(2026 - 11 - 20)) {
            Err(GenerateError::Missing(e)) => assert_eq!(e.0[0].field, "carrier_fields.vessel_name"),
            other => panic!("expected missing fields, got {other:?}"),
        }
        assert!(generate_sea_waybill(&sample_trade_facts(0), 123_456, date!(2026 - 11 - 20)).is_err());
    }
}
