//! UN/CEFACT Cross Industry Invoice D16B, EN 16931 (the same invoice as [`crate::ubl`], in
//! the syntax Factur-X / ZUGFeRD embed in PDFs). Element order follows the D16B schema,
//! which is strict about sequence; the choices about endpoints, VAT categories, VAT ids
//! and allowances/charges are those of the UBL writer. A credit note is the same document
//! with type code 381 and a reference to the credited invoice (BT-25).

use crate::DocumentError;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::io;
use tradewind_domain::documents::{
    AllowanceOrCharge, CommercialInvoice, CreditNote, DocumentParty, VatCategory, VatTreatment,
};

const RSM_NS: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const RAM_NS: &str = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
const UDT_NS: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";
const QDT_NS: &str = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100";
/// EN 16931 without a further specification.
pub const GUIDELINE_ID: &str = "urn:cen.eu:en16931:2017";

use crate::xml::{W, amount_text, text};

fn date(w: &mut W, name: &str, d: time::Date) -> io::Result<()> {
    let s = format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day());
    w.create_element(name).write_inner_content(|w| {
        w.create_element("udt:DateTimeString")
            .with_attribute(("format", "102"))
            .write_text_content(BytesText::new(&s))?;
        Ok(())
    })?;
    Ok(())
}

/// The category and, unless outside the scope of VAT, the rate of a line or an allowance.
fn category_and_rate(w: &mut W, vat: &VatTreatment) -> io::Result<()> {
    text(w, "ram:TypeCode", "VAT")?;
    text(w, "ram:CategoryCode", vat.category.code())?;
    if vat.category.has_rate() {
        text(w, "ram:RateApplicablePercent", &vat.rate.normalize().to_string())?;
    }
    Ok(())
}

fn party(w: &mut W, role: &str, p: &DocumentParty, show_vat_id: bool) -> io::Result<()> {
    w.create_element(role).write_inner_content(|w| {
        text(w, "ram:Name", &p.legal_name)?;
        w.create_element("ram:SpecifiedLegalOrganization")
            .write_inner_content(|w| text(w, "ram:ID", &p.registration_number))?;
        w.create_element("ram:PostalTradeAddress").write_inner_content(|w| {
            if !p.postal_code.trim().is_empty() {
                text(w, "ram:PostcodeCode", &p.postal_code)?;
            }
            text(w, "ram:LineOne", &p.street)?;
            text(w, "ram:CityName", &p.city)?;
            text(w, "ram:CountryID", p.country.as_str())
        })?;
        w.create_element("ram:URIUniversalCommunication").write_inner_content(|w| {
            let (scheme, id) = match &p.lei {
                Some(lei) => ("0199", lei.as_str().to_string()),
                None => ("EM", p.email.clone()),
            };
            w.create_element("ram:URIID")
                .with_attribute(("schemeID", scheme))
                .write_text_content(BytesText::new(&id))?;
            Ok(())
        })?;
        if let Some(vat_id) = p.vat_id.as_deref().filter(|v| show_vat_id && !v.trim().is_empty()) {
            w.create_element("ram:SpecifiedTaxRegistration").write_inner_content(|w| {
                w.create_element("ram:ID")
                    .with_attribute(("schemeID", "VA"))
                    .write_text_content(BytesText::new(vat_id))?;
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Writes the invoice as a CII D16B `CrossIndustryInvoice` document (UTF-8).
pub fn invoice(inv: &CommercialInvoice) -> Result<String, DocumentError> {
    write(inv, None)
}

/// Writes the credit note as a CII D16B `CrossIndustryInvoice` with type code 381,
/// referring to the invoice it credits.
pub fn credit_note(cn: &CreditNote) -> Result<String, DocumentError> {
    write(&cn.document, Some(&cn.credits_invoice))
}

fn write(inv: &CommercialInvoice, credits: Option<&str>) -> Result<String, DocumentError> {
    inv.check()?;
    let lines = inv.line_amounts()?;
    let totals = inv.totals()?;
    let show_vat_ids = inv.shows_vat_ids();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("rsm:CrossIndustryInvoice")
        .with_attribute(("xmlns:rsm", RSM_NS))
        .with_attribute(("xmlns:ram", RAM_NS))
        .with_attribute(("xmlns:udt", UDT_NS))
        .with_attribute(("xmlns:qdt", QDT_NS))
        .write_inner_content(|w| {
            w.create_element("rsm:ExchangedDocumentContext").write_inner_content(|w| {
                w.create_element("ram:GuidelineSpecifiedDocumentContextParameter")
                    .write_inner_content(|w| text(w, "ram:ID", GUIDELINE_ID))?;
                Ok(())
            })?;
            w.create_element("rsm:ExchangedDocument").write_inner_content(|w| {
                text(w, "ram:ID", &inv.number)?;
                text(w, "ram:TypeCode", if credits.is_some() { "381" } else { "380" })?;
                date(w, "ram:IssueDateTime", inv.issue_date)?;
                w.create_element("ram:IncludedNote").write_inner_content(|w| {
                    text(w, "ram:Content", &format!("Delivery terms (Incoterms 2020): {}", inv.delivery_terms))
                })?;
                Ok(())
            })?;
            w.create_element("rsm:SupplyChainTradeTransaction").write_inner_content(|w| {
                for (i, (line, net)) in inv.lines.iter().zip(lines.iter()).enumerate() {
                    w.create_element("ram:IncludedSupplyChainTradeLineItem").write_inner_content(|w| {
                        w.create_element("ram:AssociatedDocumentLineDocument")
                            .write_inner_content(|w| text(w, "ram:LineID", &(i + 1).to_string()))?;
                        w.create_element("ram:SpecifiedTradeProduct").write_inner_content(|w| {
                            text(w, "ram:Name", &line.description)?;
                            w.create_element("ram:DesignatedProductClassification").write_inner_content(|w| {
                                w.create_element("ram:ClassCode")
                                    .with_attribute(("listID", "HS"))
                                    .write_text_content(BytesText::new(line.hs_code.as_str()))?;
                                Ok(())
                            })?;
                            Ok(())
                        })?;
                        w.create_element("ram:SpecifiedLineTradeAgreement").write_inner_content(|w| {
                            w.create_element("ram:NetPriceProductTradePrice").write_inner_content(|w| {
                                text(w, "ram:ChargeAmount", &line.unit_price.amount().normalize().to_string())
                            })?;
                            Ok(())
                        })?;
                        w.create_element("ram:SpecifiedLineTradeDelivery").write_inner_content(|w| {
                            w.create_element("ram:BilledQuantity")
                                .with_attribute(("unitCode", line.unit.code()))
                                .write_text_content(BytesText::new(&line.quantity.normalize().to_string()))?;
                            Ok(())
                        })?;
                        w.create_element("ram:SpecifiedLineTradeSettlement").write_inner_content(|w| {
                            w.create_element("ram:ApplicableTradeTax")
                                .write_inner_content(|w| category_and_rate(w, &inv.vat))?;
                            w.create_element("ram:SpecifiedTradeSettlementLineMonetarySummation")
                                .write_inner_content(|w| text(w, "ram:LineTotalAmount", &amount_text(*net)))?;
                            Ok(())
                        })?;
                        Ok(())
                    })?;
                }
                w.create_element("ram:ApplicableHeaderTradeAgreement").write_inner_content(|w| {
                    text(w, "ram:BuyerReference", &inv.order_reference)?;
                    party(w, "ram:SellerTradeParty", &inv.seller, show_vat_ids)?;
                    party(w, "ram:BuyerTradeParty", &inv.buyer, show_vat_ids)?;
                    w.create_element("ram:BuyerOrderReferencedDocument")
                        .write_inner_content(|w| text(w, "ram:IssuerAssignedID", &inv.order_reference))?;
                    Ok(())
                })?;
                w.create_element("ram:ApplicableHeaderTradeDelivery").write_inner_content(|w| {
                    if let Some(country) = inv.ship_to_country() {
                        w.create_element("ram:ShipToTradeParty").write_inner_content(|w| {
                            w.create_element("ram:PostalTradeAddress")
                                .write_inner_content(|w| text(w, "ram:CountryID", country.as_str()))?;
                            Ok(())
                        })?;
                    }
                    if let Some(d) = inv.delivery_date {
                        w.create_element("ram:ActualDeliverySupplyChainEvent")
                            .write_inner_content(|w| date(w, "ram:OccurrenceDateTime", d))?;
                    }
                    Ok(())
                })?;
                w.create_element("ram:ApplicableHeaderTradeSettlement").write_inner_content(|w| {
                    text(w, "ram:InvoiceCurrencyCode", inv.currency.as_str())?;
                    for sub in &totals.vat_breakdown {
                        let vat = &sub.treatment;
                        w.create_element("ram:ApplicableTradeTax").write_inner_content(|w| {
                            text(w, "ram:CalculatedAmount", &amount_text(sub.tax))?;
                            text(w, "ram:TypeCode", "VAT")?;
                            if let Some(reason) = &vat.exemption_reason
                                && vat.category != VatCategory::StandardRate
                                && vat.category != VatCategory::ZeroRated
                            {
                                text(w, "ram:ExemptionReason", reason)?;
                            }
                            text(w, "ram:BasisAmount", &amount_text(sub.taxable))?;
                            text(w, "ram:CategoryCode", vat.category.code())?;
                            if let Some(code) = vat.category.exemption_reason_code() {
                                text(w, "ram:ExemptionReasonCode", code)?;
                            }
                            if vat.category.has_rate() {
                                text(w, "ram:RateApplicablePercent", &vat.rate.normalize().to_string())?;
                            }
                            Ok(())
                        })?;
                    }
                    for ac in &inv.allowances_charges {
                        w.create_element("ram:SpecifiedTradeAllowanceCharge").write_inner_content(|w| {
                            let charge = ac.kind == AllowanceOrCharge::Charge;
                            w.create_element("ram:ChargeIndicator").write_inner_content(|w| {
                                text(w, "udt:Indicator", if charge { "true" } else { "false" })
                            })?;
                            text(w, "ram:ActualAmount", &amount_text(ac.amount))?;
                            if let Some(code) = &ac.reason_code {
                                text(w, "ram:ReasonCode", code)?;
                            }
                            text(w, "ram:Reason", &ac.reason)?;
                            w.create_element("ram:CategoryTradeTax")
                                .write_inner_content(|w| category_and_rate(w, &inv.vat))?;
                            Ok(())
                        })?;
                    }
                    w.create_element("ram:SpecifiedTradePaymentTerms")
                        .write_inner_content(|w| text(w, "ram:Description", &inv.payment_note))?;
                    w.create_element("ram:SpecifiedTradeSettlementHeaderMonetarySummation").write_inner_content(
                        |w| {
                            text(w, "ram:LineTotalAmount", &amount_text(totals.line_total))?;
                            if !inv.allowances_charges.is_empty() {
                                text(w, "ram:ChargeTotalAmount", &amount_text(totals.charge_total))?;
                                text(w, "ram:AllowanceTotalAmount", &amount_text(totals.allowance_total))?;
                            }
                            text(w, "ram:TaxBasisTotalAmount", &amount_text(totals.tax_exclusive))?;
                            w.create_element("ram:TaxTotalAmount")
                                .with_attribute(("currencyID", inv.currency.as_str()))
                                .write_text_content(BytesText::new(&amount_text(totals.vat_total)))?;
                            text(w, "ram:GrandTotalAmount", &amount_text(totals.tax_inclusive))?;
                            text(w, "ram:DuePayableAmount", &amount_text(totals.payable))
                        },
                    )?;
                    if let Some(number) = credits {
                        w.create_element("ram:InvoiceReferencedDocument")
                            .write_inner_content(|w| text(w, "ram:IssuerAssignedID", number))?;
                    }
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
    use crate::ubl::tests::{official_validator, sample};

    #[test]
    fn the_cii_invoice_carries_the_order_and_the_official_rules_accept_it() {
        for currency in ["USD", "JPY"] {
            let xml = invoice(&sample(currency)).expect("xml");
            for needle in
                [GUIDELINE_ID, "<ram:ClassCode listID=\"HS\">090411</ram:ClassCode>", "format=\"102\">20261126<"]
            {
                assert!(xml.contains(needle), "{needle} in\n{xml}");
            }
            if let Some(result) = official_validator(&xml, &format!("cii-{currency}")) {
                assert_eq!(result, Ok(()), "{currency}\n{xml}");
            }
            // The check is real: a total that disagrees with its lines is refused.
            let broken = xml.replacen("<ram:DuePayableAmount>", "<ram:DuePayableAmount>1", 1);
            if let Some(result) = official_validator(&broken, &format!("cii-broken-{currency}")) {
                assert!(result.is_err(), "a wrong payable amount passed");
            }
        }
    }
}
