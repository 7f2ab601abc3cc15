//! Any trade document as a PDF for people, drawn from its [`DocumentView`]: title and
//! number, the parties two by two, labelled fields, one table whose header repeats on every
//! page it reaches, totals, notes and the signature block. The machine-readable renditions
//! travel inside the PDF as associated files (PDF/A-3), so one file serves the reader and
//! the receiving system.

use crate::ReportError;
use crate::chart::{self, Anchor, Shape};
use crate::fonts::Fonts;
use crate::pdf::{BOTTOM, Item, Layout, MARGIN, WIDTH, draw_pages};
use krilla::configure::{Archival, ConfigurationBuilder, PdfVersion, Validator};
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::metadata::{DateTime, Metadata};
use krilla::{Document, SerializeSettings};
use tradewind_domain::documents::{DocumentParty, DocumentView};

/// A machine-readable rendition attached to the PDF.
pub struct Attachment<'a> {
    /// The file name inside the PDF, e.g. `PL-01JD8W4M6Q0S-1.xml`.
    pub name: &'a str,
    /// `text/xml` or `application/json`.
    pub mime_type: &'a str,
    pub content: &'a [u8],
}

const SIZE: f32 = 9.0;
const LEAD: f32 = 12.0;
const GUTTER: f32 = 10.0;

/// A party's address block, as every document prints it.
pub(crate) fn party_lines(p: &DocumentParty) -> Vec<String> {
    let mut v = vec![p.legal_name.clone(), p.street.clone()];
    let city = if p.postal_code.trim().is_empty() { p.city.clone() } else { format!("{} {}", p.postal_code, p.city) };
    v.push(format!("{city}, {}", p.country.name()));
    v.push(format!("Reg. no. {}", p.registration_number));
    if let Some(vat) = &p.vat_id {
        v.push(format!("VAT {vat}"));
    }
    if let Some(lei) = &p.lei {
        v.push(format!("LEI {}", lei.as_str()));
    }
    v
}

/// Column widths: numeric and short columns take what their widest cell needs; the rest
/// share what is left, so descriptions wrap instead of overflowing.
fn column_widths(view: &DocumentView, fonts: &Fonts) -> Vec<f32> {
    let table = &view.table;
    let n = table.columns.len().max(1);
    let natural: Vec<f32> = (0..n)
        .map(|c| {
            let head = table.columns.get(c).map(|h| fonts.width(h, SIZE, true)).unwrap_or(0.0);
            table.rows.iter().filter_map(|r| r.get(c)).map(|t| fonts.width(t, SIZE, false)).fold(head, f32::max)
        })
        .collect();
    let available = WIDTH - GUTTER * (n as f32 - 1.0);
    let total: f32 = natural.iter().sum();
    if total <= available {
        return natural.iter().map(|w| w + (available - total) / n as f32).collect();
    }
    // Fixed columns keep their natural width up to a third of the page; wide text shares the rest.
    let cap = available / 3.0;
    let fixed: Vec<bool> = natural
        .iter()
        .enumerate()
        .map(|(c, w)| table.numeric.get(c).copied().unwrap_or(false) || *w <= available / n as f32)
        .collect();
    let used: f32 = natural.iter().zip(&fixed).filter(|(_, f)| **f).map(|(w, _)| w.min(cap)).sum();
    let flexible = fixed.iter().filter(|f| !**f).count().max(1) as f32;
    let share = ((available - used) / flexible).max(40.0);
    natural.iter().zip(&fixed).map(|(w, f)| if *f { w.min(cap) } else { share }).collect()
}

struct Table {
    x: Vec<f32>,
    widths: Vec<f32>,
    numeric: Vec<bool>,
}

impl Table {
    fn cell(&self, out: &mut Layout<'_>, col: usize, y: f32, text: &str, bold: bool) {
        let right = self.numeric.get(col).copied().unwrap_or(false);
        let x = if right { self.x[col] + self.widths[col] } else { self.x[col] };
        out.page().push(Item::Shape(Shape::Text {
            x,
            y,
            size: SIZE,
            text: text.to_string(),
            anchor: if right { Anchor::End } else { Anchor::Start },
            bold,
            fill: chart::INK,
        }));
    }

    fn header(&self, out: &mut Layout<'_>, columns: &[String]) {
        out.y += 14.0;
        let y = out.y;
        for (c, title) in columns.iter().enumerate() {
            self.cell(out, c, y, title, true);
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
}

fn right_aligned_pair(out: &mut Layout<'_>, label: &str, value: &str, bold: bool) {
    out.ensure(16.0);
    out.y += 13.0;
    let y = out.y;
    for (x, text) in [(MARGIN + WIDTH * 0.62, label), (MARGIN + WIDTH, value)] {
        out.page().push(Item::Shape(Shape::Text {
            x,
            y,
            size: 10.0,
            text: text.to_string(),
            anchor: Anchor::End,
            bold,
            fill: chart::INK,
        }));
    }
}

/// An empty PDF/A-3b document titled `title` and dated `date`, with `attachments` associated
/// as alternative renditions of its content.
pub(crate) fn pdf_a3_document(
    title: &str,
    date: time::Date,
    attachments: &[Attachment<'_>],
) -> Result<Document, ReportError> {
    let configuration = ConfigurationBuilder::new()
        .set_validator(Validator::A(Archival::A3_B))
        .with_version(PdfVersion::Pdf17)
        .finish()
        .map_err(|e| ReportError::Pdf(format!("{e:?}")))?;
    let mut doc = Document::new_with(SerializeSettings { configuration, ..SerializeSettings::default() });
    let date = DateTime::new(u16::try_from(date.year()).unwrap_or(2000)).month(u8::from(date.month())).day(date.day());
    doc.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .creator("tradewind".to_string())
            .language("en".to_string())
            .creation_date(date),
    );
    for a in attachments {
        let mime = MimeType::new(a.mime_type).ok_or_else(|| ReportError::Pdf(format!("mime type {}", a.mime_type)))?;
        doc.embed_file(EmbeddedFile {
            path: a.name.to_string(),
            mime_type: Some(mime),
            description: Some("The document in machine-readable form".into()),
            association_kind: AssociationKind::Alternative,
            data: a.content.to_vec().into(),
            modification_date: Some(date),
            compress: None,
            location: None,
        })
        .ok_or_else(|| ReportError::Pdf(format!("{} could not be attached", a.name)))?;
    }
    Ok(doc)
}

/// Renders `view` as a PDF/A-3b document with `attachments` associated.
pub fn document_pdf(
    view: &DocumentView,
    attachments: &[Attachment<'_>],
    fonts: &Fonts,
) -> Result<Vec<u8>, ReportError> {
    verifiable_document_pdf(view, attachments, fonts, None)
}

/// As [`document_pdf`], with a QR code at the end that leads to `verify_url`, the page where
/// anyone checks that this document was issued as shown and still stands.
pub fn verifiable_document_pdf(
    view: &DocumentView,
    attachments: &[Attachment<'_>],
    fonts: &Fonts,
    verify_url: Option<&str>,
) -> Result<Vec<u8>, ReportError> {
    let mut out = Layout::new(fonts);
    out.para(0.0, 20.0, true, chart::INK, &view.title);
    out.para(0.0, 10.0, false, chart::MUTED, &format!("No. {} · issued {}", view.number, view.issue_date));
    out.gap(10.0);

    // Parties, two per row.
    let half = WIDTH / 2.0;
    for pair in view.parties.chunks(2) {
        let lines: Vec<(&String, Vec<String>)> = pair.iter().map(|(role, p)| (role, party_lines(p))).collect();
        let rows = lines.iter().map(|(_, l)| l.len()).max().unwrap_or(0) + 1;
        out.ensure(13.0 * rows as f32 + 8.0);
        let top = out.y;
        for (i, (role, text)) in lines.iter().enumerate() {
            let x = MARGIN + half * i as f32;
            let mut y = top + 11.0;
            out.text(x, y, 8.5, role, true, chart::MUTED);
            for (n, line) in text.iter().enumerate() {
                y += 12.5;
                let fitted = chart::wrap(line, half - 12.0, |t| fonts.width(t, 9.5, n == 0));
                out.text(x, y, 9.5, fitted.first().map(String::as_str).unwrap_or(""), n == 0, chart::INK);
            }
            out.y = out.y.max(y);
        }
        out.gap(10.0);
    }

    // Labelled fields: label in muted bold, value wrapped beside it.
    let label_width = view.fields.iter().map(|(l, _)| fonts.width(l, SIZE, true)).fold(0.0, f32::max).min(170.0);
    for (label, value) in &view.fields {
        let mut lines = Vec::new();
        for part in value.split('\n') {
            lines.extend(chart::wrap(part, WIDTH - label_width - 12.0, |t| fonts.width(t, SIZE, false)));
        }
        out.ensure(LEAD * lines.len().max(1) as f32 + 2.0);
        out.y += SIZE + 2.0;
        let y = out.y;
        out.text(MARGIN, y, SIZE, label, true, chart::MUTED);
        for (k, line) in lines.iter().enumerate() {
            out.text(MARGIN + label_width + 12.0, y + LEAD * k as f32, SIZE, line, false, chart::INK);
        }
        out.y += LEAD * lines.len().saturating_sub(1) as f32 + 2.0;
    }

    // The table; its header repeats on each page it reaches.
    if !view.table.columns.is_empty() {
        out.gap(6.0);
        let widths = column_widths(view, fonts);
        let mut x = Vec::with_capacity(widths.len());
        let mut at = MARGIN;
        for w in &widths {
            x.push(at);
            at += w + GUTTER;
        }
        let table = Table { x, widths, numeric: view.table.numeric.clone() };
        out.ensure(40.0);
        table.header(&mut out, &view.table.columns);
        for row in &view.table.rows {
            let wrapped: Vec<Vec<String>> = row
                .iter()
                .enumerate()
                .map(|(c, t)| {
                    let w = table.widths.get(c).copied().unwrap_or(WIDTH);
                    t.split('\n').flat_map(|p| chart::wrap(p, w, |s| fonts.width(s, SIZE, false))).collect()
                })
                .collect();
            let height = LEAD * wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 + 3.0;
            if out.y + height > BOTTOM {
                out.pages.push(Vec::new());
                out.y = MARGIN;
                table.header(&mut out, &view.table.columns);
            }
            out.y += LEAD;
            let y = out.y;
            for (c, lines) in wrapped.iter().enumerate() {
                for (k, line) in lines.iter().enumerate() {
                    table.cell(&mut out, c, y + LEAD * k as f32, line, false);
                }
            }
            out.y += height - LEAD;
        }
    }

    if !view.totals.is_empty() {
        out.gap(6.0);
        let last = view.totals.len() - 1;
        for (i, (label, value)) in view.totals.iter().enumerate() {
            right_aligned_pair(&mut out, label, value, i == last);
        }
    }
    if !view.notes.is_empty() {
        out.gap(10.0);
        for note in &view.notes {
            out.para(0.0, 8.5, false, chart::MUTED, note);
        }
    }
    if view.signatory.is_some() || view.place_of_issue.is_some() {
        out.ensure(70.0);
        out.gap(18.0);
        let place = view.place_of_issue.clone().unwrap_or_default();
        out.para(
            0.0,
            9.5,
            false,
            chart::INK,
            &format!("{place}{}{}", if place.is_empty() { "" } else { ", " }, view.issue_date),
        );
        if let Some(s) = &view.signatory {
            out.gap(20.0);
            let y = out.y;
            out.page().push(Item::Shape(Shape::Line {
                x1: MARGIN,
                y1: y,
                x2: MARGIN + 200.0,
                y2: y,
                stroke: chart::MUTED,
                width: 0.6,
                dashed: false,
            }));
            out.para(0.0, 9.5, true, chart::INK, &s.name);
            out.para(0.0, 9.0, false, chart::MUTED, &s.title);
        }
    }
    if !attachments.is_empty() {
        out.gap(8.0);
        let names: Vec<&str> = attachments.iter().map(|a| a.name).collect();
        out.para(
            0.0,
            8.0,
            false,
            chart::MUTED,
            &format!("The machine-readable document is attached to this PDF: {}.", names.join(", ")),
        );
    }

    if let Some(url) = verify_url {
        verify_block(&mut out, url)?;
    }

    let mut doc = pdf_a3_document(&format!("{} {}", view.title, view.number), view.issue_date, attachments)?;
    let footer_title = format!("{} {}", view.title.to_lowercase(), view.number);
    draw_pages(&mut doc, out, fonts, |n, total| format!("tradewind · {footer_title} · page {n}/{total}"))?;
    doc.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

/// Side of one QR module, in points: a 33-module code is then about 3 cm wide, which phone
/// cameras read at arm's length.
const QR_MODULE: f32 = 2.6;

/// The QR code of `url` with a line of text beside it saying what it is for.
pub(crate) fn verify_block(out: &mut Layout<'_>, url: &str) -> Result<(), ReportError> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| ReportError::Pdf(format!("the verification link cannot be drawn as a QR code: {e}")))?;
    let width = code.width();
    let side = QR_MODULE * width as f32;
    out.ensure(side + 30.0);
    out.gap(12.0);
    let top = out.y;
    let colors = code.to_colors();
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (row, col) = (i / width, i % width);
            out.page().push(Item::Shape(Shape::Rect {
                x: MARGIN + QR_MODULE * col as f32,
                y: top + QR_MODULE * row as f32,
                w: QR_MODULE,
                h: QR_MODULE,
                fill: chart::INK,
            }));
        }
    }
    let x = MARGIN + side + 12.0;
    out.text(x, top + 12.0, 9.5, "Verify this document", true, chart::INK);
    out.text(x, top + 26.0, 8.5, "Scan the code or open the link to check that it is intact,", false, chart::MUTED);
    out.text(x, top + 38.0, 8.5, "who issued it, and that it has not been revoked:", false, chart::MUTED);
    // The link itself goes under the code across the full width: beside it, a long address
    // would run off the page.
    out.y = top + side;
    out.para(0.0, 7.5, false, chart::INK, url);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::tool;
    use tradewind_domain::documents::{Signatory, ViewTable, sample_trade_facts};

    fn view(rows: usize) -> DocumentView {
        let f = sample_trade_facts(0);
        DocumentView {
            title: "Packing list".into(),
            number: "PL-1".into(),
            issue_date: time::macros::date!(2026 - 11 - 26),
            parties: vec![("Shipper".into(), f.seller.clone()), ("Consignee".into(), f.buyer.clone())],
            fields: vec![("Marks and numbers".into(), "HFF/HAM\nMADE IN VIETNAM".into())],
            table: ViewTable {
                columns: vec!["Description".into(), "HS code".into(), "Gross kg".into()],
                numeric: vec![false, false, true],
                rows: (0..rows)
                    .map(|i| vec![format!("Black pepper lot {i}, 25 kg bags, 黑胡椒"), "090411".into(), "9792".into()])
                    .collect(),
            },
            totals: vec![("Total gross weight".into(), "9792 kg".into())],
            notes: vec!["Generated by tradewind from the order's data.".into()],
            signatory: Some(Signatory { name: "Tran Thi Mai".into(), title: "Export Manager".into() }),
            place_of_issue: Some("Ho Chi Minh City".into()),
        }
    }

    #[test]
    fn a_long_document_breaks_across_pages_with_its_attachment() {
        let Ok(fonts) = Fonts::system() else {
            println!("skipped: no system font (install fonts-dejavu-core)");
            return;
        };
        let xml = b"<PackingList/>";
        let attachment = Attachment { name: "PL-1.xml", mime_type: "text/xml", content: xml };
        let pdf = document_pdf(&view(150), &[attachment], &fonts).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-1.7"));
        let dir = std::env::temp_dir().join(format!("tw-document-pdf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("pl.pdf");
        std::fs::write(&file, &pdf).expect("write");
        let path = file.to_string_lossy().into_owned();
        let Some(text) = tool("pdftotext", &["-layout", &path, "-"]) else {
            println!("skipped the text checks: pdftotext (poppler-utils) is not installed");
            return;
        };
        let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
        assert!(pages.len() >= 3, "150 rows take several pages");
        for page in &pages {
            assert!(page.contains("Description") && page.contains("Gross kg"), "the header repeats: {page}");
        }
        for expected in
            ["Packing list", "PL-1", "Saigon Spice Export JSC", "MADE IN VIETNAM", "lot 149", "黑胡椒", "Tran Thi Mai"]
        {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        let list = tool("pdfdetach", &["-list", &path]).expect("pdfdetach");
        assert!(list.contains("PL-1.xml"), "{list}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Reads the QR codes on the last page of `pdf` (rasterised by poppler's `pdftoppm`),
    /// `None` when poppler is not installed.
    fn qr_codes_on_last_page(pdf: &[u8]) -> Option<Vec<String>> {
        let dir = std::env::temp_dir().join(format!("tw-qr-{}-{:?}", std::process::id(), std::thread::current().id()));
        std::fs::create_dir_all(&dir).ok()?;
        let file = dir.join("doc.pdf");
        std::fs::write(&file, pdf).ok()?;
        // Each page on its own: the QR code sits on the last one.
        let mut found = Vec::new();
        for page in 1..=20 {
            let out = dir.join(format!("p{page}"));
            let p = page.to_string();
            if tool(
                "pdftoppm",
                &[
                    "-gray",
                    "-r",
                    "150",
                    "-f",
                    &p,
                    "-l",
                    &p,
                    "-singlefile",
                    &file.to_string_lossy(),
                    &out.to_string_lossy(),
                ],
            )
            .is_none()
            {
                break;
            }
            let bytes = std::fs::read(dir.join(format!("p{page}.pgm"))).ok()?;
            let (w, h, pixels) = parse_pgm(&bytes)?;
            let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
            for grid in img.detect_grids() {
                if let Ok((_, content)) = grid.decode() {
                    found.push(content);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        Some(found)
    }

    /// A binary greyscale PGM (P5, 8-bit) as width, height and pixels.
    fn parse_pgm(bytes: &[u8]) -> Option<(usize, usize, Vec<u8>)> {
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while bytes.get(at)?.is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !bytes.get(at)?.is_ascii_whitespace() {
                at += 1;
            }
            fields.push(std::str::from_utf8(&bytes[start..at]).ok()?.to_string());
        }
        let (w, h): (usize, usize) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
        let pixels = bytes.get(at + 1..at + 1 + w * h)?.to_vec();
        (fields[0] == "P5").then_some((w, h, pixels))
    }

    #[test]
    fn a_verifiable_pdf_carries_a_qr_code_that_leads_to_its_verification_page() {
        let Ok(fonts) = Fonts::system() else {
            println!("skipped: no system font (install fonts-dejavu-core)");
            return;
        };
        let url = "https://trade.example/verify/3826fcc2b0122a3555051a29b09b8cf5a6a8c776abf5da4e966ab92dbdbd518c";
        let pdf = verifiable_document_pdf(&view(30), &[], &fonts, Some(url)).expect("pdf");
        let Some(codes) = qr_codes_on_last_page(&pdf) else {
            println!("skipped the QR check: pdftoppm (poppler-utils) is not installed");
            return;
        };
        assert_eq!(codes, vec![url.to_string()]);
        let plain = document_pdf(&view(30), &[], &fonts).expect("pdf");
        assert_eq!(qr_codes_on_last_page(&plain), Some(vec![]), "no QR code without a verification link");
    }
}
