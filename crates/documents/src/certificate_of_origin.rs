//! The certificate of origin as a UBL 2.1 `CertificateOfOrigin`. Where the ICC guidelines'
//! boxes land:
//! - exporter and consignee: `cac:ExporterParty`, `cac:ImporterParty` (and the consignment's
//!   consignor/consignee);
//! - transport details: the shipment stage (mode, vessel and voyage, ports);
//! - per goods line: `cac:GoodsItem` with description, gross weight, quantity, the origin
//!   criterion (`cbc:PreferenceCriterionCode`, preferential only), the item's HS code and
//!   country of origin, and the invoice (`cac:ShipmentDocumentReference`, type 380);
//! - marks and numbers, number and kind of packages: the transport handling unit;
//! - the exporter's declaration: the application's endorser (role `exporter`) and signature;
//! - the certification: `cac:IssuerEndorsement` by the issuing body and its signatory.

use crate::packing_list::{
    CAC_NS, CBC_NS, kg, location, party, party_content, quantity, transport_mode, ubl_writer, vessel,
};
use crate::xml::{W, text};
use crate::{DocumentError, GenerateError, Generated};
use quick_xml::events::BytesText;
use std::io;
use tradewind_domain::documents::{
    CERTIFICATION, CertificateOfOrigin, DocumentParty, EXPORTER_DECLARATION, OriginFlavour, Signatory, TradeFacts,
};

const CERTIFICATE_OF_ORIGIN_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CertificateOfOrigin-2";

/// `cac:EndorserParty`: who endorses, in which role and order, and who signs for it.
fn endorser(w: &mut W, role: &str, sequence: u32, p: &DocumentParty, signatory: &Signatory) -> io::Result<()> {
    w.create_element("cac:EndorserParty").write_inner_content(|w| {
        text(w, "cbc:RoleCode", role)?;
        text(w, "cbc:SequenceNumeric", &sequence.to_string())?;
        w.create_element("cac:Party").write_inner_content(|w| party_content(w, p))?;
        signatory_contact(w, "cac:SignatoryContact", signatory)
    })?;
    Ok(())
}

/// A person signing: the name, and the title as the contact's note.
fn signatory_contact(w: &mut W, element: &str, s: &Signatory) -> io::Result<()> {
    w.create_element(element).write_inner_content(|w| {
        text(w, "cbc:Name", &s.name)?;
        text(w, "cbc:Note", &s.title)
    })?;
    Ok(())
}

/// `cac:Signature` of `p` by `s`, dated, with the statement signed.
fn signature(
    w: &mut W,
    id: &str,
    statement: &str,
    date: time::Date,
    p: &DocumentParty,
    s: &Signatory,
) -> io::Result<()> {
    w.create_element("cac:Signature").write_inner_content(|w| {
        text(w, "cbc:ID", id)?;
        text(w, "cbc:Note", statement)?;
        text(w, "cbc:ValidationDate", &date.to_string())?;
        w.create_element("cac:SignatoryParty").write_inner_content(|w| {
            w.create_element("cac:PartyName").write_inner_content(|w| text(w, "cbc:Name", &p.legal_name))?;
            signatory_contact(w, "cac:Contact", s)
        })?;
        Ok(())
    })?;
    Ok(())
}

fn shipment(w: &mut W, co: &CertificateOfOrigin) -> io::Result<()> {
    w.create_element("cac:Shipment").write_inner_content(|w| {
        text(w, "cbc:ID", &co.shipment_id)?;
        kg(w, "cbc:GrossWeightMeasure", co.total_gross_kg)?;
        text(w, "cbc:TotalGoodsItemQuantity", &co.lines.len().to_string())?;
        w.create_element("cac:Consignment").write_inner_content(|w| {
            text(w, "cbc:ID", &co.order_reference)?;
            text(w, "cbc:TotalPackagesQuantity", &co.total_packages.to_string())?;
            party(w, "cac:ConsigneeParty", &co.consignee)?;
            party(w, "cac:ConsignorParty", &co.exporter)
        })?;
        for l in &co.lines {
            w.create_element("cac:GoodsItem").write_inner_content(|w| {
                text(w, "cbc:ID", &l.line_number.to_string())?;
                text(w, "cbc:Description", &l.description)?;
                kg(w, "cbc:GrossWeightMeasure", l.gross_kg)?;
                quantity(w, "cbc:Quantity", l.quantity, l.unit.code())?;
                if let Some(c) = &l.origin_criterion {
                    text(w, "cbc:PreferenceCriterionCode", c)?;
                }
                w.create_element("cac:Item").write_inner_content(|w| {
                    text(w, "cbc:Name", &l.description)?;
                    w.create_element("cac:OriginCountry").write_inner_content(|w| {
                        text(w, "cbc:IdentificationCode", l.origin_country.as_str())?;
                        text(w, "cbc:Name", l.origin_country.name())
                    })?;
                    w.create_element("cac:CommodityClassification").write_inner_content(|w| {
                        w.create_element("cbc:ItemClassificationCode")
                            .with_attribute(("listID", "HS"))
                            .write_text_content(BytesText::new(l.hs_code.as_str()))?;
                        Ok(())
                    })?;
                    Ok(())
                })?;
                w.create_element("cac:ShipmentDocumentReference").write_inner_content(|w| {
                    text(w, "cbc:ID", &co.invoice_number)?;
                    text(w, "cbc:DocumentTypeCode", "380")?;
                    text(w, "cbc:DocumentType", "Commercial invoice")
                })?;
                Ok(())
            })?;
        }
        w.create_element("cac:ShipmentStage").write_inner_content(|w| {
            transport_mode(w, co.mode)?;
            vessel(w, co.vessel_name.as_deref(), co.voyage_number.as_deref())?;
            location(w, "cac:LoadingPortLocation", &co.port_of_loading)?;
            location(w, "cac:UnloadingPortLocation", &co.port_of_discharge)
        })?;
        w.create_element("cac:TransportHandlingUnit").write_inner_content(|w| {
            text(w, "cbc:TotalPackageQuantity", &co.total_packages.to_string())?;
            text(w, "cbc:ShippingMarks", &co.marks_and_numbers)?;
            for l in &co.lines {
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
    Ok(())
}

/// Writes the certificate as a UBL 2.1 `CertificateOfOrigin` document (UTF-8).
pub fn certificate_of_origin(co: &CertificateOfOrigin) -> Result<String, DocumentError> {
    let mut w = ubl_writer()?;
    let place = co.place_of_issue.as_deref().map(|p| format!(" at {p}")).unwrap_or_default();
    w.create_element("CertificateOfOrigin")
        .with_attribute(("xmlns", CERTIFICATE_OF_ORIGIN_NS))
        .with_attribute(("xmlns:cac", CAC_NS))
        .with_attribute(("xmlns:cbc", CBC_NS))
        .write_inner_content(|w| {
            text(w, "cbc:UBLVersionID", "2.1")?;
            text(w, "cbc:ID", &co.number)?;
            text(w, "cbc:IssueDate", &co.issue_date.to_string())?;
            text(w, "cbc:Description", &format!("Certificate of origin ({})", co.flavour.label().to_lowercase()))?;
            if let Some(r) = &co.remarks {
                text(w, "cbc:Note", r)?;
            }
            party(w, "cac:ExporterParty", &co.exporter)?;
            party(w, "cac:ImporterParty", &co.consignee)?;
            w.create_element("cac:CertificateOfOriginApplication").write_inner_content(|w| {
                text(w, "cbc:ReferenceID", &co.number)?;
                text(w, "cbc:CertificateType", co.flavour.label())?;
                text(w, "cbc:OriginalJobID", &co.order_reference)?;
                text(w, "cbc:Remarks", EXPORTER_DECLARATION)?;
                shipment(w, co)?;
                endorser(w, "exporter", 1, &co.exporter, &co.exporter_signatory)?;
                party(w, "cac:PreparationParty", &co.exporter)?;
                party(w, "cac:IssuerParty", &co.issuing_body)?;
                party(w, "cac:ExporterParty", &co.exporter)?;
                party(w, "cac:ImporterParty", &co.consignee)?;
                w.create_element("cac:IssuingCountry").write_inner_content(|w| {
                    text(w, "cbc:IdentificationCode", co.issuing_body.country.as_str())?;
                    text(w, "cbc:Name", co.issuing_body.country.name())
                })?;
                let exporter_place = co.exporter_place.as_deref().map(|p| format!(" Made at {p}.")).unwrap_or_default();
                signature(
                    w,
                    &format!("{}-exporter", co.number),
                    &format!("{EXPORTER_DECLARATION}{exporter_place}"),
                    co.issue_date,
                    &co.exporter,
                    &co.exporter_signatory,
                )
            })?;
            w.create_element("cac:IssuerEndorsement").write_inner_content(|w| {
                text(w, "cbc:DocumentID", &co.number)?;
                text(w, "cbc:ApprovalStatus", "Certified")?;
                text(w, "cbc:Remarks", &format!("{CERTIFICATION} Certified{place} on {}.", co.issue_date))?;
                endorser(w, "issuer", 2, &co.issuing_body, &co.certifying_signatory)?;
                signature(
                    w,
                    &format!("{}-issuer", co.number),
                    CERTIFICATION,
                    co.issue_date,
                    &co.issuing_body,
                    &co.certifying_signatory,
                )
            })?;
            Ok(())
        })?;
    Ok(String::from_utf8(w.into_inner())?)
}

/// The certificate of origin for `facts`' shipment as UBL 2.1: preferential when every line
/// has an origin criterion, else non-preferential.
pub fn generate(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Vec<Generated>, GenerateError> {
    let co = CertificateOfOrigin::build(facts, version, issue_date)?;
    write_generated(&co)
}

/// As [`generate`], in the flavour asked for.
pub fn generate_as(
    facts: &TradeFacts,
    version: u32,
    issue_date: time::Date,
    flavour: OriginFlavour,
) -> Result<Vec<Generated>, GenerateError> {
    let co = CertificateOfOrigin::build_as(facts, version, issue_date, flavour)?;
    write_generated(&co)
}

fn write_generated(co: &CertificateOfOrigin) -> Result<Vec<Generated>, GenerateError> {
    let xml = certificate_of_origin(co)?;
    Ok(vec![Generated {
        number: co.number.clone(),
        format: "ubl-2.1-certificate-of-origin".into(),
        media_type: "application/xml".into(),
        content: xml.into_bytes(),
        summary: co.summary(),
        view: co.view(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packing_list::testing::{snapshot, ubl_xsd};
    use tradewind_domain::documents::sample_trade_facts;

    const DAY: time::Date = time::macros::date!(2026 - 11 - 19);
    const XSD: &str = "UBL-CertificateOfOrigin-2.1.xsd";

    fn xml_of(flavour: OriginFlavour) -> String {
        let generated = generate_as(&sample_trade_facts(0), 1, DAY, flavour).expect("certificate");
        String::from_utf8(generated[0].content.clone()).expect("utf-8")
    }

    #[test]
    fn carries_the_guidelines_fields() {
        let xml = xml_of(OriginFlavour::Preferential);
        for needle in [
            "<cbc:CertificateType>Preferential</cbc:CertificateType>",
            "<cbc:PreferenceCriterionCode>WO</cbc:PreferenceCriterionCode>",
            "<cbc:IdentificationCode>VN</cbc:IdentificationCode>\n            <cbc:Name>Viet Nam</cbc:Name>",
            "<cbc:ItemClassificationCode listID=\"HS\">080132</cbc:ItemClassificationCode>",
            "<cbc:ID>INV-01JD8W4M6Q0S-1</cbc:ID>",
            "<cbc:VesselName>MEKONG STAR</cbc:VesselName>",
            "<cbc:JourneyID>118W</cbc:JourneyID>",
            "<cbc:ShippingMarks>HFF/HAM/2026-118\nMADE IN VIETNAM</cbc:ShippingMarks>",
            "<cbc:Name>Nguyen Van An</cbc:Name>",
            "<cbc:Name>Tran Thi Mai</cbc:Name>",
            "<cbc:RoleCode>issuer</cbc:RoleCode>",
            "<cbc:Name>Vietnam Chamber of Commerce and Industry, HCMC Branch</cbc:Name>",
            "Certified at Ho Chi Minh City on 2026-11-19.",
        ] {
            assert!(xml.contains(needle), "{needle} in\n{xml}");
        }
        let plain = xml_of(OriginFlavour::NonPreferential);
        assert!(plain.contains("<cbc:CertificateType>Non-preferential</cbc:CertificateType>"));
        assert!(!plain.contains("PreferenceCriterionCode"), "{plain}");
    }

    #[test]
    fn a_missing_issuer_is_named() {
        let mut f = sample_trade_facts(0);
        f.named_issuer = None;
        match generate(&f, 1, DAY) {
            Err(GenerateError::Missing(e)) => assert_eq!(e.0[0].field, "named_issuer"),
            other => panic!("expected missing fields, got {other:?}"),
        }
    }

    #[test]
    fn matches_the_expected_files() {
        snapshot("certificate_of_origin_preferential.xml", &xml_of(OriginFlavour::Preferential));
        snapshot("certificate_of_origin_non_preferential.xml", &xml_of(OriginFlavour::NonPreferential));
    }

    #[test]
    fn the_official_schema_accepts_both_flavours_and_refuses_a_broken_one() {
        for flavour in [OriginFlavour::Preferential, OriginFlavour::NonPreferential] {
            let xml = xml_of(flavour);
            let Some(result) = ubl_xsd(&xml, XSD, "certificate-of-origin") else { return };
            assert_eq!(result, Ok(()), "{flavour:?}\n{xml}");
        }
        // Without the issuing body's endorsement it is no certificate.
        let xml = xml_of(OriginFlavour::Preferential);
        let start = xml.find("<cac:IssuerEndorsement>").expect("endorsement");
        let end = xml.find("</cac:IssuerEndorsement>").expect("end") + "</cac:IssuerEndorsement>".len();
        let broken = format!("{}{}", &xml[..start], &xml[end..]);
        let refused = ubl_xsd(&broken, XSD, "certificate-of-origin-broken").expect("xmllint ran");
        assert!(refused.is_err_and(|r| r.contains("IssuerEndorsement")), "the schema accepted it without endorsement");
    }
}
