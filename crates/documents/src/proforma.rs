//! The proforma invoice as a UBL 2.1 `Invoice` with type code 325 (UNTDID 1001: proforma
//! invoice). The content is written by the commercial invoice's writer ([`crate::ubl`]) so
//! both stay alike (parties, VAT, amounts); only the type code differs, swapped in one pass
//! over the written XML. The EN 16931 rules accept 325 in their UNTDID 1001 subset
//! (BR-CL-01), and the official validator accepts the sample proforma (tested). Peppol BIS
//! Billing 3.0 does not (PEPPOL-EN16931-P0100 allows no 325) and a proforma is no bill, so
//! the pass also declares the document plain EN 16931 when the invoice writer would have
//! declared it Peppol.

use crate::{DocumentError, GenerateError, Generated, ubl};
use quick_xml::events::{BytesText, Event};
use quick_xml::{Reader, Writer};
use std::io;
use tradewind_domain::documents::{ProformaInvoice, TradeFacts};

/// UNTDID 1001 document name code of a proforma invoice.
pub const PROFORMA_TYPE_CODE: &str = "325";

/// Writes the proforma invoice as a UBL 2.1 `Invoice` document (UTF-8) of type 325.
pub fn proforma_invoice(p: &ProformaInvoice) -> Result<String, DocumentError> {
    retype(&ubl::invoice(&p.invoice)?, PROFORMA_TYPE_CODE)
}

/// `xml` (a UBL invoice) with its `cbc:InvoiceTypeCode` set to `code` and declared plain
/// EN 16931 (no Peppol `cbc:ProfileID`), everything else as written. Fails unless exactly
/// one type code was replaced.
fn retype(xml: &str, code: &str) -> Result<String, DocumentError> {
    let mut reader = Reader::from_str(xml);
    let mut w = Writer::new(Vec::with_capacity(xml.len()));
    // The text to put in the element being read, when it is one this pass rewrites.
    let mut replacement: Option<&str> = None;
    let mut in_profile = false;
    let mut drop_line_break = false;
    let mut type_codes = 0;
    loop {
        let event = reader.read_event().map_err(io::Error::other)?;
        let blank = matches!(&event, Event::Text(t) if t.as_ref().trim().is_empty());
        if std::mem::take(&mut drop_line_break) && blank {
            continue; // the line break that followed the dropped profile
        }
        match &event {
            Event::Eof => break,
            Event::Start(e) => match e.name().into_inner() {
                "cbc:ProfileID" => in_profile = true,
                "cbc:InvoiceTypeCode" => {
                    replacement = Some(code);
                    type_codes += 1;
                }
                "cbc:CustomizationID" => replacement = Some(ubl::EN16931_CUSTOMIZATION_ID),
                _ => {}
            },
            Event::End(e) if e.name().into_inner() == "cbc:ProfileID" => {
                in_profile = false;
                drop_line_break = true;
                continue;
            }
            Event::Text(_) => {
                if let Some(value) = replacement.take() {
                    w.write_event(Event::Text(BytesText::new(value)))?;
                    continue;
                }
            }
            _ => {}
        }
        if !in_profile {
            w.write_event(event)?;
        }
    }
    if type_codes != 1 {
        return Err(DocumentError::Write(io::Error::other(format!(
            "the invoice writer wrote {type_codes} type codes where the proforma needs exactly one"
        ))));
    }
    Ok(String::from_utf8(w.into_inner())?)
}

/// The proforma invoice of `facts`' order as UBL 2.1.
pub fn generate(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Vec<Generated>, GenerateError> {
    let p = ProformaInvoice::build(facts, version, issue_date)?;
    let xml = proforma_invoice(&p)?;
    Ok(vec![Generated {
        number: p.invoice.number.clone(),
        format: "ubl-2.1-invoice-proforma".into(),
        media_type: "application/xml".into(),
        content: xml.into_bytes(),
        summary: p.summary(),
        view: p.view(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packing_list::testing::{snapshot, ubl_xsd};
    use crate::ubl::tests::official_validator;
    use tradewind_domain::documents::sample_trade_facts;

    const DAY: time::Date = time::macros::date!(2026 - 11 - 03);

    fn sample_xml() -> String {
        let generated = generate(&sample_trade_facts(0), 1, DAY).expect("proforma");
        String::from_utf8(generated[0].content.clone()).expect("utf-8")
    }

    #[test]
    fn only_the_type_code_differs_from_the_invoice() {
        let p = ProformaInvoice::build(&sample_trade_facts(0), 1, DAY).expect("proforma");
        let invoice = ubl::invoice(&p.invoice).expect("invoice");
        let proforma = proforma_invoice(&p).expect("proforma");
        assert!(proforma.contains("<cbc:InvoiceTypeCode>325</cbc:InvoiceTypeCode>"), "{proforma}");
        assert!(proforma.contains("<cbc:ID>PI-01JD8W4M6Q0S-1</cbc:ID>"), "{proforma}");
        assert_eq!(
            proforma,
            invoice.replace("<cbc:InvoiceTypeCode>380</", "<cbc:InvoiceTypeCode>325</"),
            "escaped text and layout survive the pass"
        );
        assert!(retype("<Invoice/>", "325").is_err(), "a document without a type code is refused");
    }

    #[test]
    fn text_needing_escapes_survives() {
        let mut f = sample_trade_facts(1);
        f.lines[0].description = "Pepper <ASTA> & \"co\"".into();
        let p = ProformaInvoice::build(&f, 1, DAY).expect("proforma");
        let xml = proforma_invoice(&p).expect("proforma");
        assert!(xml.contains("Pepper &lt;ASTA&gt; &amp;"), "{xml}");
    }

    #[test]
    fn parties_with_leis_still_get_a_plain_en16931_proforma() {
        let mut f = sample_trade_facts(0);
        f.seller.lei = Some("529900T8BM49AURSDO55".parse().expect("lei"));
        f.buyer.lei = Some("5299000J2N45DDNE4Y28".parse().expect("lei"));
        let p = ProformaInvoice::build(&f, 1, DAY).expect("proforma");
        assert!(ubl::invoice(&p.invoice).expect("invoice").contains(ubl::PROFILE_ID), "the invoice is Peppol");
        let xml = proforma_invoice(&p).expect("proforma");
        assert!(!xml.contains("ProfileID") && !xml.contains("peppol"), "{xml}");
        assert!(
            xml.contains("<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>\n  <cbc:ID>"),
            "{xml}"
        );
        if let Some(result) = official_validator(&xml, "proforma-lei") {
            assert_eq!(result, Ok(()), "{xml}");
        }
    }

    #[test]
    fn matches_the_expected_file() {
        snapshot("proforma_invoice.xml", &sample_xml());
    }

    #[test]
    fn the_official_schema_and_rules_accept_it_and_refuse_a_broken_one() {
        let xml = sample_xml();
        let Some(result) = ubl_xsd(&xml, "UBL-Invoice-2.1.xsd", "proforma") else { return };
        assert_eq!(result, Ok(()), "{xml}");
        let broken = xml.replace("<cbc:IssueDate>", "<cbc:IssueDay>").replace("</cbc:IssueDate>", "</cbc:IssueDay>");
        assert!(ubl_xsd(&broken, "UBL-Invoice-2.1.xsd", "proforma-broken").expect("xmllint ran").is_err());
        // EN 16931: 325 is in its UNTDID 1001 subset.
        if let Some(result) = official_validator(&xml, "proforma") {
            assert_eq!(result, Ok(()), "{xml}");
        }
        let unknown = xml.replace("<cbc:InvoiceTypeCode>325</", "<cbc:InvoiceTypeCode>999</");
        if let Some(result) = official_validator(&unknown, "proforma-999") {
            assert!(result.is_err_and(|r| r.contains("BR-CL-01")), "the rules accepted type code 999");
        }
    }
}
