//! The bill of lading as a UBL 2.1 `BillOfLading` and the sea waybill as a UBL 2.1
//! `Waybill`: one shipment with one consignment (parties, package total, Incoterm with who
//! pays freight), a goods item per line with its HS code and the carrier's gross weight,
//! the sea stage (vessel, voyage, ports, the on-board date, the place of receipt) and a
//! handling unit per container with the packages and marks.
//!
//! Seals are not written: the platform records none yet.

use crate::DocumentError;
use crate::xml::{W, text};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use rust_decimal::Decimal;
use std::io;
use tradewind_domain::documents::{DocumentParty, TransportDocument, TransportDocumentType};

const BOL_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:BillOfLading-2";
const WAYBILL_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Waybill-2";
const CAC_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const CBC_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

/// The format name of the UBL rendition.
pub fn format(document_type: TransportDocumentType) -> &'static str {
    match document_type {
        TransportDocumentType::BillOfLading => "ubl-2.1-bill-of-lading",
        TransportDocumentType::SeaWaybill => "ubl-2.1-waybill",
    }
}

fn kg(w: &mut W, name: &str, value: Decimal) -> io::Result<()> {
    w.create_element(name)
        .with_attribute(("unitCode", "KGM"))
        .write_text_content(BytesText::new(&value.normalize().to_string()))?;
    Ok(())
}

fn location(w: &mut W, name: &str, locode: &str) -> io::Result<()> {
    w.create_element(name).write_inner_content(|w| {
        w.create_element("cbc:ID")
            .with_attribute(("schemeAgencyID", "6"))
            .with_attribute(("schemeName", "UN/LOCODE"))
            .write_text_content(BytesText::new(locode))?;
        Ok(())
    })?;
    Ok(())
}

fn party(w: &mut W, role: &str, p: &DocumentParty, id: Option<(&str, &str)>) -> io::Result<()> {
    w.create_element(role).write_inner_content(|w| {
        if let Some((scheme, value)) = id {
            w.create_element("cac:PartyIdentification").write_inner_content(|w| {
                w.create_element("cbc:ID")
                    .with_attribute(("schemeName", scheme))
                    .write_text_content(BytesText::new(value))?;
                Ok(())
            })?;
        }
        crate::xml::party_content(w, p)
    })?;
    Ok(())
}

fn shipment(w: &mut W, td: &TransportDocument) -> io::Result<()> {
    w.create_element("cac:Shipment").write_inner_content(|w| {
        text(w, "cbc:ID", &td.booking_reference)?;
        kg(w, "cbc:GrossWeightMeasure", td.gross_kg)?;
        text(w, "cbc:TotalGoodsItemQuantity", &td.goods.len().to_string())?;
        w.create_element("cac:Consignment").write_inner_content(|w| {
            text(w, "cbc:ID", &td.number)?;
            kg(w, "cbc:GrossWeightMeasure", td.gross_kg)?;
            text(w, "cbc:ContainerizedIndicator", if td.equipment.is_empty() { "false" } else { "true" })?;
            text(w, "cbc:TotalPackagesQuantity", &td.packages().to_string())?;
            if !td.to_order {
                party(w, "cac:ConsigneeParty", &td.consignee, None)?;
            }
            party(w, "cac:CarrierParty", &td.carrier, Some(("SCAC", td.scac.as_str())))?;
            party(w, "cac:NotifyParty", &td.notify_party, None)?;
            w.create_element("cac:DeliveryTerms").write_inner_content(|w| {
                text(w, "cbc:ID", td.incoterm.code())?;
                text(w, "cbc:SpecialTerms", td.freight.words())
            })?;
            Ok(())
        })?;
        for (i, g) in td.goods.iter().enumerate() {
            w.create_element("cac:GoodsItem").write_inner_content(|w| {
                text(w, "cbc:ID", &(i + 1).to_string())?;
                text(w, "cbc:Description", &g.description)?;
                kg(w, "cbc:GrossWeightMeasure", g.gross_kg)?;
                w.create_element("cac:Item").write_inner_content(|w| {
                    text(w, "cbc:Name", &g.description)?;
                    w.create_element("cac:CommodityClassification").write_inner_content(|w| {
                        w.create_element("cbc:ItemClassificationCode")
                            .with_attribute(("listID", "HS"))
                            .write_text_content(BytesText::new(g.hs_code.as_str()))?;
                        Ok(())
                    })?;
                    Ok(())
                })?;
                Ok(())
            })?;
        }
        w.create_element("cac:ShipmentStage").write_inner_content(|w| {
            text(w, "cbc:ID", "1")?;
            // UN/ECE Rec 19: 1 = maritime transport.
            text(w, "cbc:TransportModeCode", "1")?;
            w.create_element("cac:TransportMeans").write_inner_content(|w| {
                text(w, "cbc:JourneyID", &td.voyage_number)?;
                w.create_element("cac:MaritimeTransport")
                    .write_inner_content(|w| text(w, "cbc:VesselName", &td.vessel_name))?;
                Ok(())
            })?;
            location(w, "cac:LoadingPortLocation", td.port_of_loading.as_str())?;
            location(w, "cac:UnloadingPortLocation", td.port_of_discharge.as_str())?;
            w.create_element("cac:LoadingTransportEvent").write_inner_content(|w| {
                text(w, "cbc:OccurrenceDate", &td.shipped_on_board.to_string())?;
                text(w, "cbc:Description", "Shipped on board")?;
                location(w, "cac:Location", td.port_of_loading.as_str())
            })?;
            w.create_element("cac:TakeoverTransportEvent").write_inner_content(|w| {
                text(w, "cbc:Description", "Place of receipt")?;
                location(w, "cac:Location", td.place_of_receipt.as_str())
            })?;
            Ok(())
        })?;
        w.create_element("cac:Delivery").write_inner_content(|w| {
            location(w, "cac:DeliveryLocation", td.place_of_delivery.as_str())?;
            Ok(())
        })?;
        for (i, q) in td.equipment.iter().enumerate() {
            w.create_element("cac:TransportHandlingUnit").write_inner_content(|w| {
                if i == 0 {
                    text(w, "cbc:TotalPackageQuantity", &td.packages().to_string())?;
                    if let Some(m) = &td.marks_and_numbers {
                        text(w, "cbc:ShippingMarks", m)?;
                    }
                }
                w.create_element("cac:TransportEquipment")
                    .write_inner_content(|w| text(w, "cbc:ID", q.container.as_str()))?;
                // As in the DCSA rendition, the packages are stated on the first container.
                if i == 0 {
                    for (n, g) in td.goods.iter().enumerate() {
                        w.create_element("cac:Package").write_inner_content(|w| {
                            text(w, "cbc:ID", &(n + 1).to_string())?;
                            text(w, "cbc:Quantity", &g.packages.to_string())?;
                            text(w, "cbc:PackagingTypeCode", &g.package_type)
                        })?;
                    }
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Writes the document as UBL 2.1 (`BillOfLading` or `Waybill` by its type), UTF-8.
pub fn transport_document(td: &TransportDocument) -> Result<String, DocumentError> {
    let bol = td.document_type == TransportDocumentType::BillOfLading;
    let (root, ns) = if bol { ("BillOfLading", BOL_NS) } else { ("Waybill", WAYBILL_NS) };
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element(root)
        .with_attribute(("xmlns", ns))
        .with_attribute(("xmlns:cac", CAC_NS))
        .with_attribute(("xmlns:cbc", CBC_NS))
        .write_inner_content(|w| {
            text(w, "cbc:UBLVersionID", "2.1")?;
            text(w, "cbc:ID", &td.number)?;
            text(w, "cbc:IssueDate", &td.issue_date.to_string())?;
            text(w, "cbc:Name", td.document_type.kind().title())?;
            text(w, "cbc:Note", "Shipper's load, stow and count; said to contain.")?;
            text(w, "cbc:ShippingOrderID", &td.booking_reference)?;
            if bol {
                text(w, "cbc:ToOrderIndicator", if td.to_order { "true" } else { "false" })?;
            }
            text(w, "cbc:OtherInstruction", td.freight.words())?;
            party(w, "cac:ConsignorParty", &td.shipper, None)?;
            party(w, "cac:CarrierParty", &td.carrier, Some(("SCAC", td.scac.as_str())))?;
            shipment(w, td)?;
            w.create_element("cac:DocumentReference").write_inner_content(|w| {
                text(w, "cbc:ID", &td.order_reference)?;
                text(w, "cbc:DocumentType", "Purchase order")
            })?;
            if bol {
                w.create_element("cac:DocumentDistribution").write_inner_content(|w| {
                    text(w, "cbc:PrintQualifier", "Original")?;
                    text(w, "cbc:MaximumCopiesNumeric", &td.originals.to_string())?;
                    w.create_element("cac:Party").write_inner_content(|w| {
                        w.create_element("cac:PartyName")
                            .write_inner_content(|w| text(w, "cbc:Name", &td.shipper.legal_name))?;
                        Ok(())
                    })?;
                    Ok(())
                })?;
            }
            w.create_element("cac:Signature").write_inner_content(|w| {
                text(w, "cbc:ID", &format!("{}-carrier", td.number))?;
                text(
                    w,
                    "cbc:Note",
                    &format!(
                        "Signed at {} by {}, {}, for the carrier",
                        td.place_of_issue, td.signatory.name, td.signatory.title
                    ),
                )?;
                text(w, "cbc:ValidationDate", &td.issue_date.to_string())?;
                w.create_element("cac:SignatoryParty").write_inner_content(|w| {
                    w.create_element("cac:PartyName")
                        .write_inner_content(|w| text(w, "cbc:Name", &td.signatory.name))?;
                    Ok(())
                })?;
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(String::from_utf8(w.into_inner())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dcsa_ebl::testing::{standard, xmllint};
    use time::macros::date;
    use tradewind_domain::documents::sample_trade_facts;

    fn sample(kind: TransportDocumentType) -> TransportDocument {
        TransportDocument::build_as(kind, &sample_trade_facts(3), 1, date!(2026 - 11 - 20)).expect("document")
    }

    fn xsd(kind: TransportDocumentType) -> Option<std::path::PathBuf> {
        standard(match kind {
            TransportDocumentType::BillOfLading => "ubl-2.1/xsd/maindoc/UBL-BillOfLading-2.1.xsd",
            TransportDocumentType::SeaWaybill => "ubl-2.1/xsd/maindoc/UBL-Waybill-2.1.xsd",
        })
    }

    #[test]
    fn the_xml_carries_the_document() {
        let xml = transport_document(&sample(TransportDocumentType::BillOfLading)).expect("xml");
        for needle in [
            "<BillOfLading xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:BillOfLading-2\"",
            "<cbc:ToOrderIndicator>false</cbc:ToOrderIndicator>",
            "<cbc:GrossWeightMeasure unitCode=\"KGM\">15732</cbc:GrossWeightMeasure>",
            "<cbc:ItemClassificationCode listID=\"HS\">090620</cbc:ItemClassificationCode>",
            "<cbc:VesselName>MEKONG STAR</cbc:VesselName>",
            "<cbc:ID>MSKU1234565</cbc:ID>",
            "<cbc:MaximumCopiesNumeric>3</cbc:MaximumCopiesNumeric>",
            "<cbc:SpecialTerms>Freight collect</cbc:SpecialTerms>",
        ] {
            assert!(xml.contains(needle), "{needle} in\n{xml}");
        }
        let swb = transport_document(&sample(TransportDocumentType::SeaWaybill)).expect("xml");
        assert!(swb.contains("<Waybill xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Waybill-2\""));
        assert!(!swb.contains("ToOrderIndicator") && !swb.contains("DocumentDistribution"));
    }

    #[test]
    fn the_official_schemas_accept_it() {
        for kind in [TransportDocumentType::BillOfLading, TransportDocumentType::SeaWaybill] {
            let Some(xsd) = xsd(kind) else { return };
            for td in [sample(kind), sample(kind).to_order_of_shipper()] {
                let xml = transport_document(&td).expect("xml");
                if let Some(r) = xmllint(&xsd, &xml, format(kind)) {
                    assert_eq!(r, Ok(()), "{xml}");
                }
            }
        }
    }

    #[test]
    fn a_broken_document_fails_the_official_schema() {
        let Some(xsd) = xsd(TransportDocumentType::BillOfLading) else { return };
        let xml = transport_document(&sample(TransportDocumentType::BillOfLading)).expect("xml");
        // The shipment's ID is required; an unknown element is not allowed.
        let broken =
            xml.replacen("<cbc:TotalGoodsItemQuantity>", "<cbc:Tonnage>1</cbc:Tonnage><cbc:TotalGoodsItemQuantity>", 1);
        assert_ne!(broken, xml);
        if let Some(r) = xmllint(&xsd, &broken, "broken-bol") {
            assert!(r.is_err(), "xmllint accepted\n{broken}");
        }
    }
}
