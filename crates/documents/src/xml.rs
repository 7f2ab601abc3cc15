//! What the XML writers share: text elements and amounts written with the currency's minor
//! unit (425.00 USD, 1500 JPY), which invoices show even where the amount is whole.

use quick_xml::Writer;
use quick_xml::events::BytesText;
use std::io;
use tradewind_domain::Money;

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
