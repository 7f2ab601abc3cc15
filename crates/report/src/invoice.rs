//! The commercial invoice as a PDF for people: parties side by side, the lines in a table
//! whose header repeats on every page, the totals, and the machine-readable invoice embedded
//! as an associated file (PDF/A-3, the Factur-X / ZUGFeRD idea), so one file serves both the
//! reader and the accounting system.

use crate::ReportError;
use crate::chart::{self, Anchor, Shape};
use crate::document::{Attachment, party_lines, pdf_a3_document};
use crate::fonts::Fonts;
use crate::pdf::{BOTTOM, Item, Layout, MARGIN, WIDTH, draw_pages};
use tradewind_domain::documents::{AllowanceOrCharge, CommercialInvoice, VatCategory};

/// The embedded machine-readable invoice.
pub struct EmbeddedInvoice<'a> {
    /// The file name inside the PDF, e.g. `invoice-ubl.xml`.
    pub name: &'a str,
    pub xml: &'a str,
    /// The public page where the invoice is verified; drawn as a QR code when given.
    pub verify_url: Option<&'a str>,
}

/// Column x positions (from the margin) and right-aligned numeric columns.
const COLS: [(f32, &str, bool); 5] = [
    (0.0, "Description", false),
    (210.0, "HS code", false),
    (330.0, "Quantity", true),
    (410.0, "Unit price", true),
    (WIDTH, "Amount", true),
];

fn cell(out: &mut Layout<'_>, col: usize, y: f32, text: &str, bold: bool) {
    let (x, _, right) = COLS[col];
    let anchor = if right { Anchor::End } else { Anchor::Start };
    out.page().push(Item::Shape(Shape::Text {
        x: MARGIN + x,
        y,
        size: 9.0,
        text: text.to_string(),
        anchor,
        bold,
        fill: chart::INK,
    }));
}

fn table_header(out: &mut Layout<'_>) {
    out.y += 14.0;
    let y = out.y;
    for (i, (_, title, _)) in COLS.iter().enumerate() {
        cell(out, i, y, title, true);
    }
    out.page().push(Item::Shape(Shape::Line {
        x1: MARGIN,
        y1: y + 4.0,
        x2: MARGIN + WIDTH,
        y2: y + 4.0,
        stroke: chart::MUTED,
        width: 0.6,
        dashed: false,
    }));
    out.y += 8.0;
}

fn money_text(m: tradewind_domain::Money) -> String {
    let mut a = m.amount();
    a.rescale(u32::from(m.currency().minor_units().unwrap_or(0)));
    format!("{} {a}", m.currency())
}

/// Renders the invoice as a PDF/A-3b document with `embedded` attached.
pub fn invoice_pdf(
    inv: &CommercialInvoice,
    embedded: &EmbeddedInvoice<'_>,
    fonts: &Fonts,
) -> Result<Vec<u8>, ReportError> {
    let amounts = inv.line_amounts().map_err(|e| ReportError::Pdf(e.to_string()))?;
    let totals = inv.totals().map_err(|e| ReportError::Pdf(e.to_string()))?;
    let mut out = Layout::new(fonts);
    out.para(0.0, 20.0, true, chart::INK, "Commercial invoice");
    out.para(
        0.0,
        10.0,
        false,
        chart::MUTED,
        &format!("No. {} · issued {} · order {}", inv.number, inv.issue_date, inv.order_reference),
    );
    out.gap(12.0);

    // Seller and buyer side by side.
    let top = out.y;
    let half = WIDTH / 2.0;
    for (i, (title, p)) in [("Seller", &inv.seller), ("Buyer", &inv.buyer)].into_iter().enumerate() {
        let x = MARGIN + half * i as f32;
        let mut y = top + 11.0;
        out.text(x, y, 9.0, title, true, chart::MUTED);
        for (n, line) in party_lines(p).into_iter().enumerate() {
            y += 13.0;
            out.text(x, y, 10.0, &line, n == 0, chart::INK);
        }
        out.y = out.y.max(y);
    }
    out.gap(14.0);
    out.para(0.0, 10.0, false, chart::INK, &format!("Delivery terms (Incoterms 2020): {}", inv.delivery_terms));
    out.para(0.0, 10.0, false, chart::INK, &format!("Payment: {}", inv.payment_note));
    out.gap(6.0);

    // The lines; the header repeats on each page the table reaches.
    table_header(&mut out);
    for (line, amount) in inv.lines.iter().zip(amounts.iter()) {
        let description = chart::wrap(&line.description, 200.0, |t| fonts.width(t, 9.0, false));
        let height = 13.0 * description.len().max(1) as f32 + 2.0;
        if out.y + height > BOTTOM {
            out.pages.push(Vec::new());
            out.y = MARGIN;
            table_header(&mut out);
        }
        out.y += 12.0;
        let y = out.y;
        cell(&mut out, 1, y, line.hs_code.as_str(), false);
        cell(&mut out, 2, y, &format!("{} {}", line.quantity.normalize(), line.unit.code()), false);
        cell(&mut out, 3, y, &money_text(line.unit_price), false);
        cell(&mut out, 4, y, &money_text(*amount), false);
        for (k, text) in description.iter().enumerate() {
            cell(&mut out, 0, y + 13.0 * k as f32, text, false);
        }
        out.y += height - 12.0;
    }
    // The totals block: with charges, allowances or VAT, the lines' sum, each of them and
    // the VAT come first, then the amount due.
    let mut rows: Vec<(String, String, bool)> = Vec::new();
    if !inv.allowances_charges.is_empty() || inv.vat.category != VatCategory::OutsideScope {
        rows.push(("Lines".into(), money_text(totals.line_total), false));
        for ac in &inv.allowances_charges {
            let sign = if ac.kind == AllowanceOrCharge::Allowance { "−" } else { "" };
            rows.push((ac.reason.clone(), format!("{sign}{}", money_text(ac.amount)), false));
        }
        for sub in &totals.vat_breakdown {
            let rate = if sub.treatment.category.has_rate() {
                format!(" {} %", sub.treatment.rate.normalize())
            } else {
                String::new()
            };
            let label = format!("VAT {}{rate} on {}", sub.treatment.category.code(), money_text(sub.taxable));
            rows.push((label, money_text(sub.tax), false));
        }
    }
    rows.push(("Total".into(), money_text(totals.payable), true));
    out.ensure(20.0 + 16.0 * rows.len() as f32);
    out.gap(8.0);
    let mut y = out.y;
    for (label, amount, bold) in rows {
        y += 14.0;
        let size = if bold { 11.0 } else { 9.5 };
        for (x, text) in [(MARGIN + COLS[3].0, label), (MARGIN + WIDTH, amount)] {
            out.page().push(Item::Shape(Shape::Text { x, y, size, text, anchor: Anchor::End, bold, fill: chart::INK }));
        }
    }
    out.y = y + 10.0;
    out.gap(10.0);
    if let Some(reason) = &inv.vat.exemption_reason {
        out.para(0.0, 8.5, false, chart::MUTED, &format!("{reason}."));
    }
    out.para(
        0.0,
        8.5,
        false,
        chart::MUTED,
        &format!("The machine-readable invoice is attached to this PDF as {}.", embedded.name),
    );

    let attachment = Attachment { name: embedded.name, mime_type: "text/xml", content: embedded.xml.as_bytes() };
    if let Some(url) = embedded.verify_url {
        crate::document::verify_block(&mut out, url)?;
    }
    let mut doc = pdf_a3_document(&format!("Commercial invoice {}", inv.number), inv.issue_date, &[attachment])?;
    let number = inv.number.clone();
    draw_pages(&mut doc, out, fonts, |n, total| format!("tradewind · commercial invoice {number} · page {n}/{total}"))?;
    doc.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::tool;
    use tradewind_domain::Money;
    use tradewind_domain::deal::order::{DeliveryWindow, OrderLine, OrderTerms};
    use tradewind_domain::documents::DocumentParty;

    fn party(name: &str, country: &str) -> DocumentParty {
        DocumentParty {
            legal_name: name.into(),
            registration_number: "91440300MA5DXXXX1X".into(),
            street: "8 Keji Road".into(),
            city: "Shenzhen".into(),
            postal_code: "518057".into(),
            country: country.parse().expect("country"),
            lei: None,
            email: "ar@example.com".into(),
            vat_id: None,
        }
    }

    fn invoice(lines: usize) -> CommercialInvoice {
        let usd = "USD".parse().expect("usd");
        let terms = OrderTerms {
            seller: "s".parse().expect("s"),
            buyer: "b".parse().expect("b"),
            currency: usd,
            lines: (0..lines)
                .map(|i| OrderLine {
                    description: format!("Bluetooth module model {i} with antenna and shield can, reel of 1000"),
                    hs_code: "851762".parse().expect("hs"),
                    quantity: rust_decimal::Decimal::from(10 + i),
                    unit: "H87".parse().expect("unit"),
                    unit_price: Money::new("2.35".parse().expect("d"), usd).expect("m"),
                })
                .collect(),
            incoterm: "FOB".parse().expect("fob"),
            named_place: "CNSZX".parse().expect("place"),
            payment_terms: serde_json::from_str("\"escrow\"").expect("terms"),
            delivery: DeliveryWindow {
                earliest: time::macros::date!(2026 - 12 - 01),
                latest: time::macros::date!(2026 - 12 - 20),
            },
        };
        CommercialInvoice::for_order(
            "0190ffee-0001",
            1,
            &terms,
            party("深圳远航电子有限公司", "CN"),
            party("Hanse Kaffee Import GmbH", "DE"),
            time::macros::date!(2026 - 11 - 26),
            "Paid into escrow".into(),
        )
        .expect("invoice")
    }

    #[test]
    fn the_invoice_pdf_breaks_its_table_across_pages_and_carries_the_xml() {
        let fonts = match Fonts::system() {
            Ok(f) => f,
            Err(e) => {
                println!("skipped: {e}");
                return;
            }
        };
        let xml = "<Invoice>the machine-readable invoice</Invoice>";
        let pdf =
            invoice_pdf(&invoice(70), &EmbeddedInvoice { name: "invoice-ubl.xml", xml, verify_url: None }, &fonts)
                .expect("pdf");
        assert!(pdf.starts_with(b"%PDF-1.7"));
        let dir = std::env::temp_dir().join(format!("tw-invoice-pdf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("invoice.pdf");
        std::fs::write(&file, &pdf).expect("write");
        let path = file.to_string_lossy().into_owned();
        let Some(text) = tool("pdftotext", &["-layout", &path, "-"]) else {
            println!("skipped the text checks: pdftotext (poppler-utils) is not installed");
            return;
        };
        let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
        assert!(pages.len() >= 2, "70 lines take more than a page");
        for page in &pages {
            assert!(page.contains("Description") && page.contains("Amount"), "the header repeats: {page}");
        }
        assert!(text.contains("INV-0190FFEE0001-1") && text.contains("深圳远航电子有限公司"), "{text}");
        // 10 + … + 79 = 3115 units at USD 2.35.
        assert!(text.contains("USD 7320.25"), "the total: {text}");
        let list = tool("pdfdetach", &["-list", &path]).expect("pdfdetach");
        assert!(list.contains("invoice-ubl.xml"), "{list}");
        let saved = dir.join("out.xml");
        tool("pdfdetach", &["-save", "1", "-o", &saved.to_string_lossy(), &path]).expect("detach");
        assert_eq!(std::fs::read_to_string(&saved).expect("xml"), xml);
        // With VAT and a charge, the totals block shows them before the amount due.
        let mut vat = invoice(2);
        vat.vat = tradewind_domain::documents::VatTreatment::standard(19.into()).expect("rate");
        vat.allowances_charges.push(tradewind_domain::documents::AllowanceCharge::freight(
            Money::new("10".parse().expect("d"), vat.currency).expect("m"),
        ));
        let pdf = invoice_pdf(&vat, &EmbeddedInvoice { name: "invoice-ubl.xml", xml, verify_url: None }, &fonts)
            .expect("pdf");
        std::fs::write(&file, &pdf).expect("write");
        let text = tool("pdftotext", &["-layout", &path, "-"]).expect("text");
        // 10 + 11 units at 2.35 = 49.35, + 10 freight = 59.35, 19 % = 11.2765 → 11.28.
        for needle in ["Freight", "VAT S 19 % on USD 59.35", "USD 11.28", "USD 70.63"] {
            assert!(text.contains(needle), "{needle} in {text}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
