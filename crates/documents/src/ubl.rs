//! UBL 2.1 Invoice, Peppol BIS Billing 3.0 (EN 16931 compliant).
//!
//! Choices the rules leave to us, and why:
//! - Endpoints (BT-34, BT-49): the party's LEI under EAS scheme `0199` when it has one, else
//!   its contact e-mail under `EM`. Peppol accepts only registry schemes (LEI, GLN, national
//!   company registers), so an invoice is declared Peppol BIS Billing 3.0 when both parties
//!   have an LEI, and plain EN 16931 otherwise (same content, same EN 16931 rules).
//! - VAT: one category for every line, allowance and charge, chosen by the domain from the
//!   parties (`O` when the seller has no VAT id, else `S`, `K`/`AE`, `G`…; see
//!   `tradewind_domain::documents::VatTreatment`). The breakdown carries the VATEX
//!   exemption reason code and text where the category needs one. VAT ids are shown in
//!   `PartyTaxScheme` except under `O`, where the rules forbid them.
//! - Freight, insurance and discounts are document-level `AllowanceCharge`s (BG-20/BG-21).
//! - The HS code of each line goes in `CommodityClassification` with list `HS` (UNCL 7143).
//! - Amounts are written with the currency's minor unit (two decimals at most, as
//!   EN 16931 requires); unit prices keep their own precision.

use crate::DocumentError;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use rust_decimal::Decimal;
use std::io;
use tradewind_domain::Money;
use tradewind_domain::documents::{
    AllowanceOrCharge, CommercialInvoice, CreditNote, DocumentParty, VatCategory, VatTreatment,
};

const INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const CAC_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const CBC_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
/// EN 16931 without a further specification.
pub const EN16931_CUSTOMIZATION_ID: &str = "urn:cen.eu:en16931:2017";
/// Peppol BIS Billing 3.0 on EN 16931.
pub const CUSTOMIZATION_ID: &str = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0";
pub const PROFILE_ID: &str = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";
pub use tradewind_domain::documents::VAT_EXEMPTION_REASON;

use crate::xml::{W, amount_text, text};

fn amount(w: &mut W, name: &str, m: Money) -> io::Result<()> {
    w.create_element(name)
        .with_attribute(("currencyID", m.currency().as_str()))
        .write_text_content(BytesText::new(&amount_text(m)))?;
    Ok(())
}

/// A `TaxCategory`: the code, the rate unless outside the scope of VAT, and in the VAT
/// breakdown (`with_reason`) the exemption reason code and text.
fn tax_category(w: &mut W, element: &str, vat: &VatTreatment, with_reason: bool) -> io::Result<()> {
    w.create_element(element).write_inner_content(|w| {
        text(w, "cbc:ID", vat.category.code())?;
        if vat.category.has_rate() {
            text(w, "cbc:Percent", &vat.rate.normalize().to_string())?;
        }
        if with_reason {
            if let Some(code) = vat.category.exemption_reason_code() {
                text(w, "cbc:TaxExemptionReasonCode", code)?;
            }
            if let Some(reason) = &vat.exemption_reason
                && vat.category != VatCategory::StandardRate
                && vat.category != VatCategory::ZeroRated
            {
                text(w, "cbc:TaxExemptionReason", reason)?;
            }
        }
        w.create_element("cac:TaxScheme").write_inner_content(|w| text(w, "cbc:ID", "VAT"))?;
        Ok(())
    })?;
    Ok(())
}

fn party(w: &mut W, role: &str, p: &DocumentParty, show_vat_id: bool) -> io::Result<()> {
    w.create_element(role).write_inner_content(|w| {
        w.create_element("cac:Party").write_inner_content(|w| {
            match &p.lei {
                Some(lei) => w
                    .create_element("cbc:EndpointID")
                    .with_attribute(("schemeID", "0199"))
                    .write_text_content(BytesText::new(lei.as_str()))?,
                None => w
                    .create_element("cbc:EndpointID")
                    .with_attribute(("schemeID", "EM"))
                    .write_text_content(BytesText::new(&p.email))?,
            };
            crate::xml::postal_address(w, p)?;
            if let Some(vat_id) = p.vat_id.as_deref().filter(|v| show_vat_id && !v.trim().is_empty()) {
                w.create_element("cac:PartyTaxScheme").write_inner_content(|w| {
                    text(w, "cbc:CompanyID", vat_id)?;
                    w.create_element("cac:TaxScheme").write_inner_content(|w| text(w, "cbc:ID", "VAT"))?;
                    Ok(())
                })?;
            }
            w.create_element("cac:PartyLegalEntity").write_inner_content(|w| {
                text(w, "cbc:RegistrationName", &p.legal_name)?;
                text(w, "cbc:CompanyID", &p.registration_number)
            })?;
            w.create_element("cac:Contact").write_inner_content(|w| text(w, "cbc:ElectronicMail", &p.email))?;
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}

/// Whether the invoice can be a Peppol BIS Billing 3.0 document: both parties reachable
/// under a Peppol electronic address scheme (their LEIs).
pub fn is_peppol(inv: &CommercialInvoice) -> bool {
    inv.seller.lei.is_some() && inv.buyer.lei.is_some()
}

/// Writes the invoice as a UBL 2.1 `Invoice` document (UTF-8).
pub fn invoice(inv: &CommercialInvoice) -> Result<String, DocumentError> {
    write(inv, None)
}

/// Writes the credit note as a UBL 2.1 `CreditNote` document (UTF-8), referring to the
/// invoice it credits.
pub fn credit_note(cn: &CreditNote) -> Result<String, DocumentError> {
    write(&cn.document, Some(&cn.credits_invoice))
}

/// An `Invoice`, or with `credits` the `CreditNote` for that invoice number: the same
/// content under the other root, type code and line element names.
fn write(inv: &CommercialInvoice, credits: Option<&str>) -> Result<String, DocumentError> {
    let (root, ns, type_element, type_code, line_element, quantity_element) = match credits {
        None => ("Invoice", INVOICE_NS, "cbc:InvoiceTypeCode", "380", "cac:InvoiceLine", "cbc:InvoicedQuantity"),
        Some(_) => (
            "CreditNote",
            CREDIT_NOTE_NS,
            "cbc:CreditNoteTypeCode",
            "381",
            "cac:CreditNoteLine",
            "cbc:CreditedQuantity",
        ),
    };
    inv.check()?;
    let lines = inv.line_amounts()?;
    let totals = inv.totals()?;
    let show_vat_ids = inv.shows_vat_ids();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element(root)
        .with_attribute(("xmlns", ns))
        .with_attribute(("xmlns:cac", CAC_NS))
        .with_attribute(("xmlns:cbc", CBC_NS))
        .write_inner_content(|w| {
            if is_peppol(inv) {
                text(w, "cbc:CustomizationID", CUSTOMIZATION_ID)?;
                text(w, "cbc:ProfileID", PROFILE_ID)?;
            } else {
                text(w, "cbc:CustomizationID", EN16931_CUSTOMIZATION_ID)?;
            }
            text(w, "cbc:ID", &inv.number)?;
            text(w, "cbc:IssueDate", &inv.issue_date.to_string())?;
            if let Some(d) = inv.due_date {
                text(w, "cbc:DueDate", &d.to_string())?;
            }
            text(w, type_element, type_code)?;
            text(w, "cbc:Note", &format!("Delivery terms (Incoterms 2020): {}", inv.delivery_terms))?;
            text(w, "cbc:DocumentCurrencyCode", inv.currency.as_str())?;
            text(w, "cbc:BuyerReference", &inv.order_reference)?;
            w.create_element("cac:OrderReference").write_inner_content(|w| text(w, "cbc:ID", &inv.order_reference))?;
            if let Some(number) = credits {
                w.create_element("cac:BillingReference").write_inner_content(|w| {
                    w.create_element("cac:InvoiceDocumentReference")
                        .write_inner_content(|w| text(w, "cbc:ID", number))?;
                    Ok(())
                })?;
            }
            party(w, "cac:AccountingSupplierParty", &inv.seller, show_vat_ids)?;
            party(w, "cac:AccountingCustomerParty", &inv.buyer, show_vat_ids)?;
            let ship_to = inv.ship_to_country();
            if ship_to.is_some() || inv.delivery_date.is_some() {
                w.create_element("cac:Delivery").write_inner_content(|w| {
                    if let Some(d) = inv.delivery_date {
                        text(w, "cbc:ActualDeliveryDate", &d.to_string())?;
                    }
                    if let Some(country) = ship_to {
                        w.create_element("cac:DeliveryLocation").write_inner_content(|w| {
                            w.create_element("cac:Address").write_inner_content(|w| {
                                w.create_element("cac:Country")
                                    .write_inner_content(|w| text(w, "cbc:IdentificationCode", country.as_str()))?;
                                Ok(())
                            })?;
                            Ok(())
                        })?;
                    }
                    Ok(())
                })?;
            }
            w.create_element("cac:PaymentTerms").write_inner_content(|w| text(w, "cbc:Note", &inv.payment_note))?;
            for ac in &inv.allowances_charges {
                w.create_element("cac:AllowanceCharge").write_inner_content(|w| {
                    let charge = ac.kind == AllowanceOrCharge::Charge;
                    text(w, "cbc:ChargeIndicator", if charge { "true" } else { "false" })?;
                    if let Some(code) = &ac.reason_code {
                        text(w, "cbc:AllowanceChargeReasonCode", code)?;
                    }
                    text(w, "cbc:AllowanceChargeReason", &ac.reason)?;
                    amount(w, "cbc:Amount", ac.amount)?;
                    tax_category(w, "cac:TaxCategory", &inv.vat, false)
                })?;
            }
            w.create_element("cac:TaxTotal").write_inner_content(|w| {
                amount(w, "cbc:TaxAmount", totals.vat_total)?;
                for sub in &totals.vat_breakdown {
                    w.create_element("cac:TaxSubtotal").write_inner_content(|w| {
                        amount(w, "cbc:TaxableAmount", sub.taxable)?;
                        amount(w, "cbc:TaxAmount", sub.tax)?;
                        tax_category(w, "cac:TaxCategory", &sub.treatment, true)
                    })?;
                }
                Ok(())
            })?;
            w.create_element("cac:LegalMonetaryTotal").write_inner_content(|w| {
                amount(w, "cbc:LineExtensionAmount", totals.line_total)?;
                amount(w, "cbc:TaxExclusiveAmount", totals.tax_exclusive)?;
                amount(w, "cbc:TaxInclusiveAmount", totals.tax_inclusive)?;
                if !inv.allowances_charges.is_empty() {
                    amount(w, "cbc:AllowanceTotalAmount", totals.allowance_total)?;
                    amount(w, "cbc:ChargeTotalAmount", totals.charge_total)?;
                }
                amount(w, "cbc:PayableAmount", totals.payable)
            })?;
            for (i, (line, net)) in inv.lines.iter().zip(lines.iter()).enumerate() {
                w.create_element(line_element).write_inner_content(|w| {
                    text(w, "cbc:ID", &(i + 1).to_string())?;
                    w.create_element(quantity_element)
                        .with_attribute(("unitCode", line.unit.code()))
                        .write_text_content(BytesText::new(&line.quantity.normalize().to_string()))?;
                    amount(w, "cbc:LineExtensionAmount", *net)?;
                    w.create_element("cac:OrderLineReference")
                        .write_inner_content(|w| text(w, "cbc:LineID", &(i + 1).to_string()))?;
                    w.create_element("cac:Item").write_inner_content(|w| {
                        text(w, "cbc:Name", &line.description)?;
                        w.create_element("cac:CommodityClassification").write_inner_content(|w| {
                            w.create_element("cbc:ItemClassificationCode")
                                .with_attribute(("listID", "HS"))
                                .write_text_content(BytesText::new(line.hs_code.as_str()))?;
                            Ok(())
                        })?;
                        tax_category(w, "cac:ClassifiedTaxCategory", &inv.vat, false)
                    })?;
                    w.create_element("cac:Price").write_inner_content(|w| {
                        let p: Decimal = line.unit_price.amount().normalize();
                        w.create_element("cbc:PriceAmount")
                            .with_attribute(("currencyID", inv.currency.as_str()))
                            .write_text_content(BytesText::new(&p.to_string()))?;
                        Ok(())
                    })?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(String::from_utf8(w.into_inner())?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;
    use tradewind_domain::deal::order::{DeliveryWindow, OrderLine, OrderTerms};

    fn party(name: &str, country: &str, lei: Option<&str>) -> DocumentParty {
        DocumentParty {
            legal_name: name.into(),
            registration_number: format!("{country}-REG-1"),
            street: "12 Harbour Road".into(),
            city: "Port City".into(),
            postal_code: "10115".into(),
            country: country.parse().expect("country"),
            lei: lei.map(|l| l.parse().expect("lei")),
            email: format!("accounts@{}.example", name.to_lowercase().replace(' ', "")),
            vat_id: None,
        }
    }

    pub(crate) fn sample(currency: &str) -> CommercialInvoice {
        sample_with(currency, None)
    }

    fn sample_with(currency: &str, seller_lei: Option<&str>) -> CommercialInvoice {
        let c = currency.parse().expect("currency");
        let line = |d: &str, hs: &str, q: &str, p: &str| OrderLine {
            description: d.into(),
            hs_code: hs.parse().expect("hs"),
            quantity: q.parse().expect("qty"),
            unit: "KGM".parse().expect("unit"),
            unit_price: Money::new(p.parse().expect("price"), c).expect("money"),
        };
        let terms = OrderTerms {
            seller: "s".parse().expect("s"),
            buyer: "b".parse().expect("b"),
            currency: c,
            lines: if currency == "JPY" {
                vec![
                    line("Black pepper <ASTA> & co", "090411", "100", "425"),
                    line("White pepper", "090412", "3", "613"),
                ]
            } else {
                vec![
                    line("Black pepper <ASTA> & co", "090411", "100", "4.25"),
                    line("White pepper", "090412", "2.5", "6.13"),
                ]
            },
            incoterm: "FOB".parse().expect("incoterm"),
            named_place: "VNSGN".parse().expect("place"),
            payment_terms: serde_json::from_str("\"escrow\"").expect("terms"),
            delivery: DeliveryWindow {
                earliest: time::macros::date!(2026 - 12 - 01),
                latest: time::macros::date!(2026 - 12 - 31),
            },
        };
        CommercialInvoice::for_order(
            "0190a1b2-c3d4",
            1,
            &terms,
            party("Saigon Pepper", "VN", seller_lei),
            party("Hanse Kaffee", "DE", Some("5299000J2N45DDNE4Y28")),
            time::macros::date!(2026 - 11 - 26),
            "Paid into escrow on tradewind; released to the seller on delivery".into(),
        )
        .expect("invoice")
    }

    #[test]
    fn the_invoice_carries_the_order() {
        let xml = invoice(&sample("USD")).expect("xml");
        assert!(xml.contains(&format!("<cbc:CustomizationID>{EN16931_CUSTOMIZATION_ID}</")), "{xml}");
        let peppol = invoice(&sample_with("USD", Some("529900T8BM49AURSDO55"))).expect("xml");
        assert!(peppol.contains(CUSTOMIZATION_ID) && peppol.contains(PROFILE_ID), "{peppol}");
        for needle in [
            "<cbc:ID>INV-0190A1B2C3D4-1</cbc:ID>",
            "<cbc:PayableAmount currencyID=\"USD\">440.32</cbc:PayableAmount>",
            // 2.5 × 6.13 = 15.325, rounded half to even.
            "<cbc:LineExtensionAmount currencyID=\"USD\">15.32</cbc:LineExtensionAmount>",
            "<cbc:ItemClassificationCode listID=\"HS\">090411</cbc:ItemClassificationCode>",
            "<cbc:EndpointID schemeID=\"0199\">5299000J2N45DDNE4Y28</cbc:EndpointID>",
            "<cbc:EndpointID schemeID=\"EM\">accounts@saigonpepper.example</cbc:EndpointID>",
            "Black pepper &lt;ASTA&gt; &amp; co",
            "FOB VNSGN",
        ] {
            assert!(xml.contains(needle), "{needle} in\n{xml}");
        }
        // JPY amounts have no decimals.
        let jpy = invoice(&sample("JPY")).expect("xml");
        assert!(jpy.contains("<cbc:TaxAmount currencyID=\"JPY\">0</cbc:TaxAmount>"), "{jpy}");
        assert!(jpy.contains("<cbc:PayableAmount currencyID=\"JPY\">44339</cbc:PayableAmount>"), "{jpy}");
    }

    /// Runs the official validator beside the checkout (the XSD, the EN 16931 rules and,
    /// for Peppol documents, the Peppol BIS Billing 3.0 rules) on `xml`; `None`, with the
    /// reason printed, when it is absent or cannot set itself up.
    pub(crate) fn official_validator(xml: &str, tag: &str) -> Option<Result<(), String>> {
        let tool = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/standards/bin/validate-invoice");
        if !tool.is_file() {
            println!("skipped: {} is missing", tool.display());
            return None;
        }
        let dir = std::env::temp_dir().join(format!("tw-invoice-{}-{tag}-{}", std::process::id(), xml.len()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("invoice.xml");
        std::fs::write(&file, xml).expect("write");
        let out = match Command::new(&tool).arg(&file).output() {
            Ok(o) => o,
            Err(e) => {
                println!("skipped: the validator cannot run ({e})");
                return None;
            }
        };
        let _ = std::fs::remove_dir_all(&dir);
        let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        match out.status.code() {
            Some(0) => Some(Ok(())),
            Some(2) => {
                println!("skipped: the validator could not set itself up: {report}");
                None
            }
            _ => Some(Err(report)),
        }
    }

    #[test]
    fn a_credit_note_refers_to_its_invoice_and_the_rules_accept_it() {
        let inv = sample_with("USD", Some("529900T8BM49AURSDO55"));
        let invoice_number = inv.number.clone();
        let refunded = Money::new("100.00".parse().expect("d"), inv.currency).expect("m");
        let cn = CreditNote::for_refund(inv, &invoice_number, refunded).expect("credit note");
        assert_eq!(cn.document.lines.len(), 1);
        let xml = credit_note(&cn).expect("xml");
        for needle in [
            "<CreditNote xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2\"",
            "<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>",
            "<cbc:ID>CN-0190A1B2C3D4-1</cbc:ID>",
            "<cac:InvoiceDocumentReference>",
            "<cbc:CreditedQuantity unitCode=\"KGM\">1</cbc:CreditedQuantity>",
            "<cbc:PayableAmount currencyID=\"USD\">100.00</cbc:PayableAmount>",
        ] {
            assert!(xml.contains(needle), "{needle} in\n{xml}");
        }
        if let Some(result) = official_validator(&xml, "credit-note") {
            assert_eq!(result, Ok(()), "{xml}");
        }
    }

    #[test]
    fn the_official_rules_accept_it() {
        let cases = [("USD", None), ("EUR", Some("529900T8BM49AURSDO55")), ("JPY", Some("529900T8BM49AURSDO55"))];
        for (currency, lei) in cases {
            let xml = invoice(&sample_with(currency, lei)).expect("xml");
            if let Some(result) = official_validator(&xml, currency) {
                assert_eq!(result, Ok(()), "{currency}\n{xml}");
            }
        }
    }
}
