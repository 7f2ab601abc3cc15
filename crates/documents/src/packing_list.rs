//! The packing list as a UBL 2.1 `PackingList`: the consignor and carrier, then one
//! `cac:Shipment` holding the consignment (consignee, totals), a goods item per order line,
//! the sea/air leg between the ports, and one transport handling unit carrying the marks, the
//! containers and a package entry per line pointing at its goods item.
//!
//! This file also holds the UBL pieces the certificate of origin shares (parties, weights,
//! UN/LOCODE locations, the UN/ECE Rec 19 transport mode).

pub(crate) use crate::xml::party_content;
use crate::xml::{W, text};
use crate::{DocumentError, GenerateError, Generated};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use rust_decimal::Decimal;
use std::io;
use tradewind_domain::Locode;
use tradewind_domain::documents::{DocumentParty, PackingList, TradeFacts};
use tradewind_domain::logistics::TransportMode;

pub(crate) const CAC_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
pub(crate) const CBC_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
const PACKING_LIST_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:PackingList-2";

/// A new UBL document writer with the XML declaration written.
pub(crate) fn ubl_writer() -> io::Result<W> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    Ok(w)
}

/// `<element>` of UBL `PartyType`.
pub(crate) fn party(w: &mut W, element: &str, p: &DocumentParty) -> io::Result<()> {
    w.create_element(element).write_inner_content(|w| party_content(w, p))?;
    Ok(())
}

/// A weight in kilograms (UN/ECE Rec 20 `KGM`).
pub(crate) fn kg(w: &mut W, element: &str, value: Decimal) -> io::Result<()> {
    w.create_element(element)
        .with_attribute(("unitCode", "KGM"))
        .write_text_content(BytesText::new(&value.normalize().to_string()))?;
    Ok(())
}

/// A quantity in a UN/ECE Rec 20 unit.
pub(crate) fn quantity(w: &mut W, element: &str, value: Decimal, unit: &str) -> io::Result<()> {
    w.create_element(element)
        .with_attribute(("unitCode", unit))
        .write_text_content(BytesText::new(&value.normalize().to_string()))?;
    Ok(())
}

/// A port or place named by its UN/LOCODE.
pub(crate) fn location(w: &mut W, element: &str, locode: &Locode) -> io::Result<()> {
    w.create_element(element).write_inner_content(|w| {
        w.create_element("cbc:ID")
            .with_attribute(("schemeAgencyID", "6"))
            .with_attribute(("schemeID", "UN/LOCODE"))
            .write_text_content(BytesText::new(locode.as_str()))?;
        Ok(())
    })?;
    Ok(())
}

/// The UN/ECE Recommendation 19 mode of transport code. Parcels travel by courier or post,
/// which Rec 19 files under `5` (mail).
pub(crate) fn transport_mode_code(mode: TransportMode) -> &'static str {
    match mode {
        TransportMode::Sea => "1",
        TransportMode::Rail => "2",
        TransportMode::Road => "3",
        TransportMode::Air => "4",
        TransportMode::Parcel => "5",
    }
}

/// `cbc:TransportModeCode` with its code list named.
pub(crate) fn transport_mode(w: &mut W, mode: TransportMode) -> io::Result<()> {
    w.create_element("cbc:TransportModeCode")
        .with_attribute(("listAgencyID", "6"))
        .with_attribute(("listID", "UN/ECE rec 19"))
        .write_text_content(BytesText::new(transport_mode_code(mode)))?;
    Ok(())
}

/// `cac:TransportMeans` naming the vessel and voyage, when the carrier gave the vessel.
pub(crate) fn vessel(w: &mut W, vessel_name: Option<&str>, voyage: Option<&str>) -> io::Result<()> {
    let Some(name) = vessel_name else { return Ok(()) };
    w.create_element("cac:TransportMeans").write_inner_content(|w| {
        if let Some(v) = voyage {
            text(w, "cbc:JourneyID", v)?;
        }
        w.create_element("cac:MaritimeTransport").write_inner_content(|w| text(w, "cbc:VesselName", name))?;
        Ok(())
    })?;
    Ok(())
}

/// Writes the packing list as a UBL 2.1 `PackingList` document (UTF-8).
pub fn packing_list(pl: &PackingList) -> Result<String, DocumentError> {
    let mut w = ubl_writer()?;
    w.create_element("PackingList")
        .with_attribute(("xmlns", PACKING_LIST_NS))
        .with_attribute(("xmlns:cac", CAC_NS))
        .with_attribute(("xmlns:cbc", CBC_NS))
        .write_inner_content(|w| {
            text(w, "cbc:UBLVersionID", "2.1")?;
            text(w, "cbc:ID", &pl.number)?;
            text(w, "cbc:IssueDate", &pl.issue_date.to_string())?;
            text(w, "cbc:Name", "Packing list")?;
            text(w, "cbc:Description", &format!("Packing list for order {}", pl.order_reference))?;
            party(w, "cac:ConsignorParty", &pl.consignor)?;
            party(w, "cac:CarrierParty", &pl.carrier)?;
            w.create_element("cac:Shipment").write_inner_content(|w| {
                text(w, "cbc:ID", &pl.shipment_id)?;
                kg(w, "cbc:GrossWeightMeasure", pl.total_gross_kg)?;
                kg(w, "cbc:NetWeightMeasure", pl.total_net_kg)?;
                text(w, "cbc:TotalGoodsItemQuantity", &pl.lines.len().to_string())?;
                text(w, "cbc:TotalTransportHandlingUnitQuantity", "1")?;
                w.create_element("cac:Consignment").write_inner_content(|w| {
                    text(w, "cbc:ID", &pl.order_reference)?;
                    kg(w, "cbc:GrossWeightMeasure", pl.total_gross_kg)?;
                    kg(w, "cbc:NetWeightMeasure", pl.total_net_kg)?;
                    text(w, "cbc:TotalPackagesQuantity", &pl.total_packages.to_string())?;
                    party(w, "cac:ConsigneeParty", &pl.consignee)?;
                    party(w, "cac:ConsignorParty", &pl.consignor)?;
                    Ok(())
                })?;
                for l in &pl.lines {
                    w.create_element("cac:GoodsItem").write_inner_content(|w| {
                        text(w, "cbc:ID", &l.line_number.to_string())?;
                        text(w, "cbc:Description", &l.description)?;
                        kg(w, "cbc:GrossWeightMeasure", l.gross_kg)?;
                        kg(w, "cbc:NetWeightMeasure", l.net_kg)?;
                        quantity(w, "cbc:Quantity", l.quantity, l.unit.code())?;
                        w.create_element("cac:Item").write_inner_content(|w| {
                            text(w, "cbc:Name", &l.description)?;
                            w.create_element("cac:CommodityClassification").write_inner_content(|w| {
                                w.create_element("cbc:ItemClassificationCode")
                                    .with_attribute(("listID", "HS"))
                                    .write_text_content(BytesText::new(l.hs_code.as_str()))?;
                                Ok(())
                            })?;
                            Ok(())
                        })?;
                        w.create_element("cac:ShipmentDocumentReference").write_inner_content(|w| {
                            text(w, "cbc:ID", &pl.invoice_number)?;
                            text(w, "cbc:DocumentTypeCode", "380")
                        })?;
                        Ok(())
                    })?;
                }
                w.create_element("cac:ShipmentStage").write_inner_content(|w| {
                    transport_mode(w, pl.mode)?;
                    vessel(w, pl.vessel_name.as_deref(), pl.voyage_number.as_deref())?;
                    location(w, "cac:LoadingPortLocation", &pl.port_of_loading)?;
                    location(w, "cac:UnloadingPortLocation", &pl.port_of_discharge)?;
                    Ok(())
                })?;
                w.create_element("cac:TransportHandlingUnit").write_inner_content(|w| {
                    text(w, "cbc:TotalGoodsItemQuantity", &pl.lines.len().to_string())?;
                    text(w, "cbc:TotalPackageQuantity", &pl.total_packages.to_string())?;
                    text(w, "cbc:ShippingMarks", &pl.marks_and_numbers)?;
                    for c in &pl.containers {
                        w.create_element("cac:TransportEquipment").write_inner_content(|w| {
                            w.create_element("cbc:ID")
                                .with_attribute(("schemeAgencyID", "5"))
                                .with_attribute(("schemeID", "ISO 6346"))
                                .write_text_content(BytesText::new(c.as_str()))?;
                            Ok(())
                        })?;
                    }
                    for l in &pl.lines {
                        w.create_element("cac:Package").write_inner_content(|w| {
                            text(w, "cbc:ID", &l.line_number.to_string())?;
                            text(w, "cbc:Quantity", &l.packages.to_string())?;
                            w.create_element("cbc:PackagingTypeCode")
                                .with_attribute(("listID", "UN/ECE rec 21"))
                                .write_text_content(BytesText::new(&l.package_type))?;
                            w.create_element("cac:GoodsItem")
                                .write_inner_content(|w| text(w, "cbc:ID", &l.line_number.to_string()))?;
                            Ok(())
                        })?;
                    }
                    Ok(())
                })?;
                Ok(())
            })?;
            if let Some(s) = &pl.signatory {
                w.create_element("cac:Signature").write_inner_content(|w| {
                    text(w, "cbc:ID", &format!("{}-consignor", pl.number))?;
                    text(w, "cbc:Note", &format!("Signed by {}, {}", s.name, s.title))?;
                    text(w, "cbc:ValidationDate", &pl.issue_date.to_string())?;
                    party(w, "cac:SignatoryParty", &pl.consignor)
                })?;
            }
            Ok(())
        })?;
    Ok(String::from_utf8(w.into_inner())?)
}

/// The packing list of `facts`' shipment as UBL 2.1.
pub fn generate(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Vec<Generated>, GenerateError> {
    let pl = PackingList::build(facts, version, issue_date)?;
    let xml = packing_list(&pl)?;
    Ok(vec![Generated {
        number: pl.number.clone(),
        format: "ubl-2.1-packing-list".into(),
        media_type: "application/xml".into(),
        content: xml.into_bytes(),
        summary: pl.summary(),
        view: pl.view(),
    }])
}

/// What the tests of the generated documents share: the official files beside the
/// checkout, xmllint, the expected files and JSON Schema checks.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::PathBuf;
    use std::process::Command;

    /// `/work/shared/standards` as seen from this crate, or `None` (reason printed) when absent.
    pub(crate) fn standards() -> Option<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/standards");
        if dir.is_dir() {
            Some(dir)
        } else {
            eprintln!("skipped: {} is absent", dir.display());
            None
        }
    }

    fn temp_file(tag: &str, content: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tw-origin-{}-{tag}-{}", std::process::id(), content.len()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join(format!("{tag}.xml"));
        std::fs::write(&file, content).expect("write temp file");
        file
    }

    /// Validates `xml` against the official UBL 2.1 main schema `xsd` (e.g.
    /// `UBL-PackingList-2.1.xsd`) with xmllint; `None` (reason printed) when the schemas or
    /// xmllint are absent.
    pub(crate) fn ubl_xsd(xml: &str, xsd: &str, tag: &str) -> Option<Result<(), String>> {
        let schema = standards()?.join("ubl-2.1/xsd/maindoc").join(xsd);
        let file = temp_file(tag, xml);
        let out = match Command::new("xmllint").arg("--noout").arg("--schema").arg(&schema).arg(&file).output() {
            Ok(o) => o,
            Err(e) => {
                eprintln!("skipped: xmllint cannot run ({e})");
                return None;
            }
        };
        let _ = std::fs::remove_dir_all(file.parent().expect("temp dir"));
        let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if out.status.success() { Some(Ok(())) } else { Some(Err(report)) }
    }

    /// Compares `content` with the checked-in `tests/snapshots/{name}`; with
    /// `UPDATE_SNAPSHOTS=1` writes it instead.
    pub(crate) fn snapshot(name: &str, content: &str) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(path.parent().expect("dir")).expect("snapshot dir");
            std::fs::write(&path, content).expect("write snapshot");
            return;
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_SNAPSHOTS=1 to create it", path.display()));
        assert!(expected == content, "{name} changed; run with UPDATE_SNAPSHOTS=1 if intended:\n{content}");
    }

    /// The errors of `instance` against the JSON Schema `schema` (empty when valid).
    pub(crate) fn json_schema_errors(schema: &serde_json::Value, instance: &serde_json::Value) -> Vec<String> {
        let validator = jsonschema::validator_for(schema).expect("a valid JSON Schema");
        validator.iter_errors(instance).map(|e| format!("{}: {e}", e.instance_path())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{snapshot, ubl_xsd};
    use super::*;
    use tradewind_domain::documents::sample_trade_facts;

    const DAY: time::Date = time::macros::date!(2026 - 11 - 18);

    fn sample_xml() -> String {
        let generated = generate(&sample_trade_facts(0), 1, DAY).expect("packing list");
        assert_eq!(generated.len(), 1);
        String::from_utf8(generated[0].content.clone()).expect("utf-8")
    }

    #[test]
    fn carries_the_packing_and_totals() {
        let xml = sample_xml();
        for needle in [
            "<cbc:ID>PL-01JD8W4M6Q0S-1</cbc:ID>",
            "<cbc:TotalPackagesQuantity>584</cbc:TotalPackagesQuantity>",
            "<cbc:GrossWeightMeasure unitCode=\"KGM\">14652</cbc:GrossWeightMeasure>",
            "<cbc:NetWeightMeasure unitCode=\"KGM\">14136</cbc:NetWeightMeasure>",
            "<cbc:PackagingTypeCode listID=\"UN/ECE rec 21\">BG</cbc:PackagingTypeCode>",
            "<cbc:ID schemeAgencyID=\"6\" schemeID=\"UN/LOCODE\">DEHAM</cbc:ID>",
            "<cbc:ID schemeAgencyID=\"5\" schemeID=\"ISO 6346\">MSKU1234565</cbc:ID>",
            "<cbc:VesselName>MEKONG STAR</cbc:VesselName>",
            "<cbc:ShippingMarks>HFF/HAM/2026-118\nMADE IN VIETNAM</cbc:ShippingMarks>",
            "<cbc:RegistrationName>Hanseatic Fine Foods GmbH</cbc:RegistrationName>",
        ] {
            assert!(xml.contains(needle), "{needle} in\n{xml}");
        }
    }

    #[test]
    fn missing_packing_is_named() {
        let mut f = sample_trade_facts(0);
        f.seller_fields.lines[0].package_type = None;
        match generate(&f, 1, DAY) {
            Err(GenerateError::Missing(e)) => assert_eq!(e.0[0].field, "seller_fields.lines[0].package_type"),
            other => panic!("expected missing fields, got {other:?}"),
        }
    }

    #[test]
    fn matches_the_expected_file() {
        snapshot("packing_list.xml", &sample_xml());
    }

    #[test]
    fn the_official_schema_accepts_it_and_refuses_a_broken_one() {
        let xml = sample_xml();
        let Some(result) = ubl_xsd(&xml, "UBL-PackingList-2.1.xsd", "packing-list") else { return };
        assert_eq!(result, Ok(()), "{xml}");
        // Without its shipment the document is not a UBL packing list.
        let start = xml.find("<cac:Shipment>").expect("shipment");
        let end = xml.find("</cac:Shipment>").expect("shipment end") + "</cac:Shipment>".len();
        let broken = format!("{}{}", &xml[..start], &xml[end..]);
        let refused = ubl_xsd(&broken, "UBL-PackingList-2.1.xsd", "packing-list-broken").expect("xmllint ran");
        assert!(refused.is_err_and(|r| r.contains("Shipment")), "the schema accepted a packing list without shipment");
    }
}
