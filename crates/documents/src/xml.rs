//! What the XML writers share: text elements and amounts written with the currency's minor
//! unit (425.00 USD, 1500 JPY), which invoices show even where the amount is whole.

use quick_xml::Writer;
use quick_xml::events::BytesText;
use std::io;
use tradewind_domain::Money;
use tradewind_domain::documents::DocumentParty;

pub(crate) type W = Writer<Vec<u8>>;

pub(crate) fn text(w: &mut W, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(value))?;
    Ok(())
}

pub(crate) fn amount_text(m: Money) -> String {
    let mut a = m.amount();
    a.rescale(u32::from(m.currency().minor_units().unwrap_or(0)));
    a.to_string()
}

/// A UBL `cac:PostalAddress` of a party.
pub(crate) fn postal_address(w: &mut W, p: &DocumentParty) -> io::Result<()> {
    w.create_element("cac:PostalAddress").write_inner_content(|w| {
        text(w, "cbc:StreetName", &p.street)?;
        text(w, "cbc:CityName", &p.city)?;
        if !p.postal_code.trim().is_empty() {
            text(w, "cbc:PostalZone", &p.postal_code)?;
        }
        w.create_element("cac:Country")
            .write_inner_content(|w| text(w, "cbc:IdentificationCode", p.country.as_str()))?;
        Ok(())
    })?;
    Ok(())
}

/// The content of a UBL `PartyType` in trade documents other than invoices: name, address,
/// legal entity and contact.
pub(crate) fn party_content(w: &mut W, p: &DocumentParty) -> io::Result<()> {
    w.create_element("cac:PartyName").write_inner_content(|w| text(w, "cbc:Name", &p.legal_name))?;
    postal_address(w, p)?;
    w.create_element("cac:PartyLegalEntity").write_inner_content(|w| {
        text(w, "cbc:RegistrationName", &p.legal_name)?;
        text(w, "cbc:CompanyID", &p.registration_number)
    })?;
    w.create_element("cac:Contact").write_inner_content(|w| text(w, "cbc:ElectronicMail", &p.email))?;
    Ok(())
}
