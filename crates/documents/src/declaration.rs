//! The export and import declarations and the duty drawback claim as drafts in platform
//! JSON aligned with the WCO Data Model (`tradewind-customs-declaration-1`,
//! `tradewind-drawback-claim-1`), checked against `schemas/declaration.schema.json` and
//! `schemas/drawback.schema.json`.
//!
//! WCO DM classes and elements, in camelCase:
//! - `declaration`: `id`, `functionCode` 9 (original), `typeCode` (EX export, IM import,
//!   DBK drawback claim), `issueDateTime`, `issueLocation`, `declarant`, `exporter`,
//!   `importer`, `signature`;
//! - `goodsShipment`: `governmentProcedure` (`currentCode`, `previousCode`: the 4-digit
//!   procedure code split in two), `tradeTerms` (`conditionCode` = Incoterm, `locationId`),
//!   `invoice.id`, `additionalDocument` (the order), `customsValuation` (`methodCode` 1 =
//!   transaction value, and the basis in words), `consignment` (`borderTransportMeans`,
//!   `loadingLocation`, `unloadingLocation`, `transportEquipment`,
//!   `transportContractDocument`), totals, and `goodsItem` (`sequenceNumeric`,
//!   `commodity.description`, `commodity.classification` (HS), `origin.countryCode`,
//!   `goodsMeasure` (`grossMassMeasure`, `netNetWeightMeasure`, `tariffQuantity`),
//!   `packaging`, `statisticalValueAmount`);
//! - drawback: `exportDeclaration` and, per claimed goods item, `previousDocument` (`id` =
//!   the import declaration, `typeCode` IM, `lineNumeric` = its goods item).
//!
//! `draft` is always true and `notYetKnown` lists what customs needs that the platform does
//! not hold; the customs step completes and lodges them.

use crate::air_waybill::{money, party, signature};
use crate::dcsa_ebl::to_json_bytes;
use crate::manifest::mass;
use crate::{GenerateError, Generated};
use serde_json::{Value, json};
use tradewind_domain::documents::TradeFacts;
use tradewind_domain::documents::declaration::{
    CustomsDeclaration, DeclarationGoodsItem, Direction, DrawbackClaim, ImportLink, transport_mode_code,
};
use tradewind_domain::logistics::TransportMode;

pub const FORMAT: &str = "tradewind-customs-declaration-1";
pub const DRAWBACK_FORMAT: &str = "tradewind-drawback-claim-1";

fn procedure(code: &str) -> Value {
    json!({ "currentCode": code.get(..2).unwrap_or(code), "previousCode": code.get(2..).unwrap_or("") })
}

fn commodity(g: &DeclarationGoodsItem) -> Value {
    json!({
        "description": g.description,
        "classification": [{ "id": g.hs_code.as_str(), "identificationTypeCode": "HS" }],
    })
}

fn goods_item(g: &DeclarationGoodsItem) -> Value {
    let mut v = json!({
        "sequenceNumeric": g.sequence,
        "commodity": commodity(g),
        "origin": { "countryCode": g.origin.as_str() },
        "goodsMeasure": {
            "grossMassMeasure": mass(g.gross_kg),
            "netNetWeightMeasure": mass(g.net_kg),
            "tariffQuantity": { "value": g.quantity.normalize().to_string(), "unitCode": g.unit },
        },
        "statisticalValueAmount": money(g.statistical_value),
    });
    if let (Some(n), Some(t)) = (g.packages, &g.package_type) {
        v["packaging"] = json!([{ "sequenceNumeric": 1, "quantityQuantity": n, "typeCode": t }]);
    }
    v
}

/// The export or import declaration as a JSON value.
pub fn declaration_value(d: &CustomsDeclaration) -> Value {
    let t = &d.transport;
    let mut border = json!({ "modeCode": transport_mode_code(t.mode) });
    if let Some(c) = &t.conveyance {
        border["name"] = json!(c);
    }
    json!({
        "format": FORMAT,
        "documentType": match d.direction { Direction::Export => "export_declaration", Direction::Import => "import_declaration" },
        "draft": true,
        "declaration": {
            "id": d.number,
            "functionCode": "9",
            "typeCode": match d.direction { Direction::Export => "EX", Direction::Import => "IM" },
            "issueDateTime": d.issue_date.to_string(),
            "issueLocation": { "name": d.place_of_issue },
            "declarant": party(&d.declarant),
            "exporter": party(&d.exporter),
            "importer": party(&d.importer),
            "signature": signature(&d.signatory, &d.place_of_issue, d.issue_date),
            "goodsShipment": {
                "governmentProcedure": [procedure(&d.procedure_code)],
                "tradeTerms": { "conditionCode": d.incoterm.code(), "locationId": d.named_place.as_str() },
                "invoice": { "id": d.invoice_reference },
                "additionalDocument": [{ "id": d.order_reference, "typeCode": "ORDER" }],
                "customsValuation": { "methodCode": d.valuation_method, "basis": d.customs_value_basis },
                "consignment": {
                    "borderTransportMeans": border,
                    "loadingLocation": { "id": t.loading.as_str() },
                    "unloadingLocation": { "id": t.unloading.as_str() },
                    "transportEquipment": t.containers.iter().enumerate().map(|(i, c)| json!({
                        "sequenceNumeric": i + 1, "id": c.as_str(),
                    })).collect::<Vec<_>>(),
                    "transportContractDocument": {
                        "id": t.transport_document,
                        "typeCode": if t.mode == TransportMode::Air { "740" } else { "705" },
                    },
                },
                "totalGrossMassMeasure": mass(d.total_gross_kg),
                "totalNetNetWeightMeasure": mass(d.total_net_kg),
                "totalPackageQuantity": d.packages(),
                "invoiceAmount": money(d.total_value),
                "goodsItem": d.goods.iter().map(goods_item).collect::<Vec<_>>(),
            },
        },
        "notYetKnown": d.not_yet_known,
    })
}

/// The drawback claim as a JSON value.
pub fn drawback_value(c: &DrawbackClaim) -> Value {
    let previous = |l: &ImportLink| {
        let mut v = json!({ "id": l.import_declaration, "typeCode": "IM" });
        if let Some(n) = l.import_goods_item {
            v["lineNumeric"] = json!(n);
        }
        v
    };
    json!({
        "format": DRAWBACK_FORMAT,
        "documentType": "drawback_claim",
        "draft": true,
        "declaration": {
            "id": c.number,
            "functionCode": "9",
            "typeCode": "DBK",
            "issueDateTime": c.issue_date.to_string(),
            "issueLocation": { "name": c.place_of_issue },
            "declarant": party(&c.claimant),
            "signature": signature(&c.signatory, &c.place_of_issue, c.issue_date),
            "exportDeclaration": { "id": c.export_declaration, "governmentProcedure": procedure(&c.export_procedure_code) },
            "goodsItem": c.items.iter().map(|i| {
                let g = &i.export_item;
                json!({
                    "sequenceNumeric": g.sequence,
                    "commodity": commodity(g),
                    "goodsMeasure": { "tariffQuantity": { "value": g.quantity.normalize().to_string(), "unitCode": g.unit } },
                    "statisticalValueAmount": money(g.statistical_value),
                    "previousDocument": i.imports.iter().map(previous).collect::<Vec<_>>(),
                })
            }).collect::<Vec<_>>(),
        },
        "notYetKnown": c.not_yet_known,
    })
}

fn one(
    number: String,
    format: &str,
    v: &Value,
    summary: tradewind_domain::documents::DocumentSummary,
    view: tradewind_domain::documents::DocumentView,
) -> Result<Vec<Generated>, GenerateError> {
    Ok(vec![Generated {
        number,
        format: format.into(),
        media_type: "application/json".into(),
        content: to_json_bytes(v)?,
        summary,
        view,
    }])
}

/// The export declaration draft.
pub fn generate_export(
    facts: &TradeFacts,
    version: u32,
    issue_date: time::Date,
) -> Result<Vec<Generated>, GenerateError> {
    let d = CustomsDeclaration::build_as(Direction::Export, facts, version, issue_date)?;
    one(d.number.clone(), FORMAT, &declaration_value(&d), d.summary(), d.view())
}

/// The import declaration draft.
pub fn generate_import(
    facts: &TradeFacts,
    version: u32,
    issue_date: time::Date,
) -> Result<Vec<Generated>, GenerateError> {
    let d = CustomsDeclaration::build_as(Direction::Import, facts, version, issue_date)?;
    one(d.number.clone(), FORMAT, &declaration_value(&d), d.summary(), d.view())
}

/// The drawback claim draft, linking exported goods items to `imports`.
pub fn generate_drawback(
    facts: &TradeFacts,
    version: u32,
    issue_date: time::Date,
    imports: &[ImportLink],
) -> Result<Vec<Generated>, GenerateError> {
    let c = DrawbackClaim::build(facts, version, issue_date, imports)?;
    one(c.number.clone(), DRAWBACK_FORMAT, &drawback_value(&c), c.summary(), c.view())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dcsa_ebl::testing::{own_schema, own_schema_errors, snapshot};
    use time::macros::date;
    use tradewind_domain::documents::sample_trade_facts;

    fn day() -> time::Date {
        date!(2026 - 11 - 18)
    }

    fn links() -> Vec<ImportLink> {
        vec![ImportLink { goods_item: 2, import_declaration: "25VN0001234567890A".into(), import_goods_item: Some(3) }]
    }

    fn parse(out: &[Generated]) -> Value {
        serde_json::from_slice(&out[0].content).expect("json")
    }

    #[test]
    fn the_samples_match_their_snapshots_and_schemas() {
        let f = sample_trade_facts(0);
        let schema = own_schema("declaration.schema.json");
        for (name, out) in [
            ("export_declaration.json", generate_export(&f, 1, day()).expect("export")),
            ("import_declaration.json", generate_import(&f, 1, day()).expect("import")),
        ] {
            snapshot(name, &out[0].content);
            let v = parse(&out);
            let errors = own_schema_errors(&schema, &v);
            assert!(errors.is_empty(), "{name}: {errors:#?}");
        }
        let x = parse(&generate_export(&f, 1, day()).expect("export"));
        let gs = &x["declaration"]["goodsShipment"];
        assert_eq!(gs["governmentProcedure"][0], json!({ "currentCode": "10", "previousCode": "00" }));
        assert_eq!(gs["invoiceAmount"], json!({ "amount": "73005.60", "currency": "USD" }));
        assert_eq!(gs["goodsItem"][0]["origin"]["countryCode"], "VN");
        let m = parse(&generate_import(&f, 1, day()).expect("import"));
        assert_eq!(m["declaration"]["declarant"]["name"], "Hanseatic Fine Foods GmbH");
        assert_eq!(m["declaration"]["goodsShipment"]["governmentProcedure"][0]["currentCode"], "40");

        let out = generate_drawback(&f, 1, day(), &links()).expect("drawback");
        snapshot("drawback_claim.json", &out[0].content);
        let v = parse(&out);
        assert_eq!(v["declaration"]["goodsItem"][0]["previousDocument"][0]["lineNumeric"], 3);
        let errors = own_schema_errors(&own_schema("drawback.schema.json"), &v);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn broken_documents_fail_the_schemas() {
        let f = sample_trade_facts(0);
        let mut v = parse(&generate_export(&f, 1, day()).expect("export"));
        v["draft"] = json!(false);
        v["declaration"]["typeCode"] = json!("XX");
        v["declaration"]["goodsShipment"]["goodsItem"][0]["origin"]["countryCode"] = json!("Vietnam");
        let errors = own_schema_errors(&own_schema("declaration.schema.json"), &v);
        assert_eq!(errors.len(), 3, "{errors:#?}");
        let mut v = parse(&generate_drawback(&f, 1, day(), &links()).expect("drawback"));
        v["declaration"]["goodsItem"][0]["previousDocument"] = json!([]);
        let errors = own_schema_errors(&own_schema("drawback.schema.json"), &v);
        assert_eq!(errors.len(), 1, "{errors:#?}");
    }

    #[test]
    fn missing_data_is_named() {
        let mut f = sample_trade_facts(0);
        f.buyer_fields.customs_procedure = None;
        match generate_import(&f, 1, day()) {
            Err(GenerateError::Missing(e)) => assert_eq!(e.0[0].field, "buyer_fields.customs_procedure"),
            other => panic!("expected missing fields, got {other:?}"),
        }
        assert!(matches!(generate_drawback(&f, 1, day(), &[]), Err(GenerateError::Missing(_))));
    }
}
