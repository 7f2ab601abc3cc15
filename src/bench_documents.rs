//! `tradewind bench documents`: how many invoices per second the platform writes as UBL XML,
//! as CII XML and as a PDF for people (PDF/A-3 with the UBL attached, fonts embedded and
//! subset), on one core and on several, and the peak resident memory while producing a
//! batch; with `--peer-lines`, the ratios against the peers of `../shared/bench-peers`
//! (`ubl` and `pdf` groups) measured in the same session.
//!
//! The invoices have the peers' shapes: for XML, their three-line zero-rated export from
//! Hamburg to Rotterdam (category `G`, VATEX-EU-G, EUR); for PDF, their one-page invoice of
//! five lines from Singapore to Rotterdam (no VAT id, so category `O`). Each document is
//! made from the platform's own types and writers, as the API makes it, and dropped (or,
//! with `--keep`, kept until the batch ends), so the memory figure is the writer's own.

use anyhow::{Context, Result, bail};
use rust_decimal::Decimal;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use time::macros::date;
use tradewind_documents::{cii, packing_list, ubl};
use tradewind_domain::Money;
use tradewind_domain::deal::order::OrderLine;
use tradewind_domain::documents::{CommercialInvoice, DocumentParty, VatTreatment, sample_trade_facts};
use tradewind_report::{Attachment, EmbeddedInvoice, Fonts};

/// What to run.
pub struct DocumentsBenchOptions {
    /// Documents per batch, per format and thread count.
    pub invoices: usize,
    /// Thread counts; each thread produces its share of the batch.
    pub threads: Vec<usize>,
    /// Timed batches per measurement; the median rate is reported.
    pub runs: usize,
    /// Keep every document of a batch until the batch ends instead of dropping each at once.
    pub keep: bool,
    /// The peers' `PEER` lines (run.sh's `.peers` file), to print ratios.
    pub peer_lines: Option<PathBuf>,
    pub json: bool,
}

/// The formats measured, in the order printed.
pub const FORMATS: [Format; 4] = [Format::Ubl, Format::Cii, Format::InvoicePdf, Format::DocumentPdf];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// UBL 2.1 Invoice (EN 16931), the peers' `ubl` shape.
    Ubl,
    /// CII D16B CrossIndustryInvoice (EN 16931), the same invoice.
    Cii,
    /// The invoice PDF of the peers' `pdf` shape, PDF/A-3b with its UBL written and attached.
    InvoicePdf,
    /// The generic document PDF: the sample packing list of 5 lines with its UBL attached.
    DocumentPdf,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Ubl => "ubl",
            Format::Cii => "cii",
            Format::InvoicePdf => "pdf",
            Format::DocumentPdf => "document_pdf",
        }
    }

    fn needs_fonts(self) -> bool {
        matches!(self, Format::InvoicePdf | Format::DocumentPdf)
    }
}

fn party(name: String, street: &str, city: &str, postal: &str, country: &str, vat_id: Option<&str>) -> DocumentParty {
    DocumentParty {
        legal_name: name,
        registration_number: format!("{country}-REG-20457"),
        street: street.into(),
        city: city.into(),
        postal_code: postal.into(),
        country: country.parse().expect("literal country code"),
        lei: None,
        email: "accounts@example.com".into(),
        vat_id: vat_id.map(str::to_owned),
    }
}

fn line(description: &str, hs: &str, quantity: u32, price: &str, currency: &str) -> OrderLine {
    let currency = currency.parse().expect("literal currency");
    OrderLine {
        description: description.into(),
        hs_code: hs.parse().expect("literal HS code"),
        quantity: Decimal::from(quantity),
        unit: "H87".parse().expect("literal unit"),
        unit_price: Money::new(price.parse().expect("literal price"), currency).expect("literal money"),
    }
}

/// The peers' `ubl` invoice number `i`: three lines, Acme Exports GmbH (Hamburg, VAT id) to
/// Importer BV `i` (Rotterdam, VAT id), zero-rated export (`G`), EUR 72,115.00. Between two
/// EU VAT ids the domain would choose `K`; `G` is set explicitly to write what the peers write.
pub fn xml_invoice(i: usize) -> CommercialInvoice {
    CommercialInvoice {
        number: format!("INV-2024-{i:08}"),
        issue_date: date!(2024 - 03 - 15),
        due_date: Some(date!(2024 - 04 - 14)),
        currency: "EUR".parse().expect("literal currency"),
        order_reference: format!("PO-{}", 100_000 + i),
        seller: party("Acme Exports GmbH".into(), "Hafenstrasse 1", "Hamburg", "20457", "DE", Some("DE202526944")),
        buyer: party(
            format!("Importer BV {i}"),
            "Wilhelminakade 123",
            "Rotterdam",
            "3072 AP",
            "NL",
            Some("NL123456789B01"),
        ),
        lines: vec![
            line("Laptop computers 14in", "847130", 120, "450.00", "EUR"),
            line("LCD monitors 27in", "852852", 80, "180.50", "EUR"),
            line("USB keyboards", "847160", 300, "12.25", "EUR"),
        ],
        delivery_terms: "FCA DEHAM".into(),
        delivery_country: None,
        payment_note: "Credit transfer to DE37 0800 4001 2345 6789 within 30 days".into(),
        vat: VatTreatment::export(),
        allowances_charges: Vec::new(),
        delivery_date: None,
    }
}

/// The peers' `pdf` invoice number `i`: five lines with HS codes, Acme Exports Pte Ltd
/// (Singapore, no VAT id, so outside the scope of VAT, `O`) to Importer BV `i` (Rotterdam).
pub fn pdf_invoice(i: usize) -> CommercialInvoice {
    CommercialInvoice {
        number: format!("INV-2024-{i:08}"),
        issue_date: date!(2024 - 03 - 15),
        due_date: None,
        currency: "USD".parse().expect("literal currency"),
        order_reference: format!("PO-{}", 100_000 + i),
        seller: party("Acme Exports Pte Ltd".into(), "1 Harbourfront Ave", "Singapore", "098632", "SG", None),
        buyer: party(format!("Importer BV {i}"), "Wilhelminakade 123", "Rotterdam", "3072 AP", "NL", None),
        lines: vec![
            line("Laptop computers 14in", "847130", 120, "450.00", "USD"),
            line("LCD monitors 27in", "852852", 80, "180.50", "USD"),
            line("USB keyboards", "847160", 300, "12.25", "USD"),
            line("Power adapters 65W", "850440", 200, "9.80", "USD"),
            line("USB-C cables 1m", "854442", 1000, "1.15", "USD"),
        ],
        delivery_terms: "FOB SGSIN".into(),
        delivery_country: None,
        payment_note: "Credit transfer within 30 days".into(),
        vat: VatTreatment::outside_scope(),
        allowances_charges: Vec::new(),
        delivery_date: None,
    }
}

/// Makes document `i` of `format`, as the API would.
pub fn produce(format: Format, i: usize, fonts: Option<&Fonts>) -> Result<Vec<u8>> {
    Ok(match format {
        Format::Ubl => ubl::invoice(&xml_invoice(i))?.into_bytes(),
        Format::Cii => cii::invoice(&xml_invoice(i))?.into_bytes(),
        Format::InvoicePdf => {
            let fonts = fonts.context("the PDF needs fonts")?;
            let inv = pdf_invoice(i);
            let xml = ubl::invoice(&inv)?;
            let name = format!("{}.xml", inv.number);
            tradewind_report::invoice_pdf(&inv, &EmbeddedInvoice { name: &name, xml: &xml, verify_url: None }, fonts)?
        }
        Format::DocumentPdf => {
            let fonts = fonts.context("the PDF needs fonts")?;
            // The facts are the same for every document: the sample shipment of 5 lines.
            let facts = sample_trade_facts(5);
            let generated = packing_list::generate(&facts, 1 + (i % 1000) as u32, date!(2026 - 11 - 26))?;
            let g = generated.first().context("the packing list generates one document")?;
            let name = format!("{}.xml", g.number);
            let attachment = Attachment { name: &name, mime_type: "text/xml", content: &g.content };
            tradewind_report::document_pdf(&g.view, &[attachment], fonts)?
        }
    })
}

/// One measurement: a format on a number of threads.
#[derive(Debug, Clone)]
pub struct Measure {
    pub format: Format,
    pub threads: usize,
    pub docs: usize,
    pub docs_per_s: f64,
    /// Every run's rate, for the spread.
    pub runs: Vec<f64>,
    /// Size of document 0.
    pub bytes: usize,
    /// Peak resident memory (VmHWM) of the process over this measurement, MB (10^6 bytes).
    pub peak_rss_mb: f64,
    /// Resident memory just before it, MB.
    pub base_rss_mb: f64,
    /// Whether the peak was reset before the measurement; else it is the process's peak so far.
    pub peak_reset: bool,
    pub load1: String,
}

/// Produces documents `0..n` of `format` on `threads` threads (thread `t` takes every
/// index `≡ t` modulo `threads`); returns the bytes written.
fn batch(format: Format, n: usize, threads: usize, keep: bool, fonts: Option<&Fonts>) -> Result<usize> {
    let threads = threads.max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || -> Result<(usize, Vec<Vec<u8>>)> {
                    let mut bytes = 0usize;
                    let mut kept = Vec::new();
                    for i in (t..n).step_by(threads) {
                        let doc = produce(format, i, fonts)?;
                        bytes += doc.len();
                        if keep {
                            kept.push(doc);
                        } else {
                            std::hint::black_box(&doc);
                        }
                    }
                    Ok((bytes, kept))
                })
            })
            .collect();
        let mut total = 0usize;
        let mut all_kept = Vec::new();
        for h in handles {
            let (bytes, kept) = h.join().map_err(|_| anyhow::anyhow!("a bench thread panicked"))??;
            total += bytes;
            all_kept.push(kept);
        }
        // With --keep, the whole batch is alive at this point; it goes when the scope ends.
        std::hint::black_box(&all_kept);
        Ok(total)
    })
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn mb(kb: Option<u64>) -> f64 {
    kb.map_or(0.0, |kb| kb as f64 * 1024.0 / 1e6)
}

/// Resets this process's peak resident set (VmHWM) to its current size (Linux ≥ 4.0), so
/// that each measurement reports its own peak.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn load1() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// Measures `format` on `threads` threads.
fn measure(format: Format, threads: usize, options: &DocumentsBenchOptions, fonts: Option<&Fonts>) -> Result<Measure> {
    let n = options.invoices.max(1);
    let bytes = produce(format, 0, fonts)?.len();
    // Warm up: allocator pools, the font subsetter's first use, page faults.
    batch(format, n.min(50), threads, false, fonts)?;
    let peak_reset = reset_peak_rss();
    let base_rss_mb = mb(status_kb("VmRSS:"));
    let load1 = load1();
    let mut runs = Vec::with_capacity(options.runs.max(1));
    for _ in 0..options.runs.max(1) {
        let started = Instant::now();
        batch(format, n, threads, options.keep, fonts)?;
        runs.push(n as f64 / started.elapsed().as_secs_f64().max(1e-9));
    }
    Ok(Measure {
        format,
        threads,
        docs: n,
        docs_per_s: median(&runs),
        runs,
        bytes,
        peak_rss_mb: mb(status_kb("VmHWM:")),
        base_rss_mb,
        peak_reset,
        load1,
    })
}

fn print_measure(m: &Measure, keep: bool, json: bool, out: &mut dyn Write) -> Result<()> {
    let runs: Vec<String> = m.runs.iter().map(|r| format!("{r:.0}")).collect();
    if json {
        writeln!(
            out,
            "{}",
            json!({
                "measure": format!("documents.{}", m.format.name()),
                "threads": m.threads,
                "n": m.docs,
                "docs_per_s": (m.docs_per_s * 10.0).round() / 10.0,
                "runs": m.runs.iter().map(|r| r.round()).collect::<Vec<_>>(),
                "bytes": m.bytes,
                "kept": keep,
                "peak_rss_mb": (m.peak_rss_mb * 10.0).round() / 10.0,
                "base_rss_mb": (m.base_rss_mb * 10.0).round() / 10.0,
                "peak_reset": m.peak_reset,
                "load1": m.load1,
            })
        )?;
    } else {
        writeln!(
            out,
            "TRADEWIND documents.{} threads={} n={} docs_per_s={:.1} runs={} bytes={} kept={} peak_rss_mb={:.1} base_rss_mb={:.1}{} load1={}",
            m.format.name(),
            m.threads,
            m.docs,
            m.docs_per_s,
            runs.join(","),
            m.bytes,
            u8::from(keep),
            m.peak_rss_mb,
            m.base_rss_mb,
            if m.peak_reset { "" } else { " peak=process" },
            m.load1,
        )?;
    }
    Ok(())
}

/// A peer's `PEER` line: its measure (`group.name`) and fields.
struct PeerLine {
    measure: String,
    fields: Vec<(String, String)>,
}

impl PeerLine {
    fn parse(line: &str) -> Option<PeerLine> {
        let mut parts = line.strip_prefix("PEER ")?.split_whitespace();
        let measure = parts.next()?.to_owned();
        let fields = parts.filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        Some(PeerLine { measure, fields })
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// Which peer line a format is compared with.
struct PeerPair {
    format: Format,
    /// The peer's measure, `group.name`.
    measure: &'static str,
    /// A field the peer line must have, e.g. `xsd=0`.
    filter: Option<(&'static str, &'static str)>,
    /// The peer's rate field.
    key: &'static str,
}

const PAIRS: [PeerPair; 13] = [
    PeerPair { format: Format::Ubl, measure: "ubl.pyubl", filter: None, key: "invoices_per_s" },
    PeerPair { format: Format::Ubl, measure: "ubl.einvoice_ubl", filter: None, key: "invoices_per_s" },
    PeerPair { format: Format::Cii, measure: "ubl.drafthorse", filter: Some(("xsd", "0")), key: "invoices_per_s" },
    PeerPair { format: Format::Cii, measure: "ubl.drafthorse", filter: Some(("xsd", "1")), key: "invoices_per_s" },
    PeerPair { format: Format::Cii, measure: "ubl.einvoice_cii", filter: None, key: "invoices_per_s" },
    PeerPair { format: Format::InvoicePdf, measure: "pdf.pdfkit", filter: None, key: "pdfs_per_s" },
    PeerPair { format: Format::InvoicePdf, measure: "pdf.reportlab", filter: None, key: "pdfs_per_s" },
    PeerPair { format: Format::InvoicePdf, measure: "pdf.fpdf2", filter: None, key: "pdfs_per_s" },
    PeerPair { format: Format::InvoicePdf, measure: "pdf.weasyprint", filter: None, key: "pdfs_per_s" },
    PeerPair {
        format: Format::InvoicePdf,
        measure: "ubl.facturx",
        filter: Some(("check_xsd", "0")),
        key: "invoices_per_s",
    },
    PeerPair {
        format: Format::InvoicePdf,
        measure: "ubl.facturx",
        filter: Some(("check_xsd", "1")),
        key: "invoices_per_s",
    },
    PeerPair { format: Format::DocumentPdf, measure: "pdf.pdfkit", filter: None, key: "pdfs_per_s" },
    PeerPair { format: Format::DocumentPdf, measure: "pdf.reportlab", filter: None, key: "pdfs_per_s" },
];

/// A ratio of our rate over a peer's (above 1: tradewind is faster).
#[derive(Debug, Clone)]
pub struct Ratio {
    pub format: Format,
    pub threads: usize,
    pub peer: String,
    pub ours: f64,
    pub theirs: f64,
}

impl Ratio {
    pub fn times(&self) -> f64 {
        self.ours / self.theirs
    }
}

/// Our measures against the peers' lines (the last line of each measure wins).
pub fn ratios(ours: &[Measure], peer_text: &str) -> Vec<Ratio> {
    let peers: Vec<PeerLine> = peer_text.lines().filter_map(PeerLine::parse).collect();
    let mut found = Vec::new();
    for m in ours {
        for PeerPair { format, measure, filter, key } in PAIRS {
            if format != m.format {
                continue;
            }
            let peer = peers
                .iter()
                .rev()
                .find(|p| p.measure == measure && filter.is_none_or(|(k, v)| p.get(k).is_some_and(|got| got == v)));
            let Some(theirs) = peer.and_then(|p| p.get(key)).and_then(|v| v.parse::<f64>().ok()) else { continue };
            if theirs <= 0.0 {
                continue;
            }
            let label = match filter {
                Some((k, v)) => format!("{measure}:{k}={v}"),
                None => measure.to_owned(),
            };
            found.push(Ratio { format: m.format, threads: m.threads, peer: label, ours: m.docs_per_s, theirs });
        }
    }
    found
}

/// The issue's targets, each checked against this run (one thread for the rate targets).
fn targets(ours: &[Measure], ratios: &[Ratio], out: &mut dyn Write, json: bool) -> Result<()> {
    let ratio = |format: Format, peer: &str| {
        ratios.iter().find(|r| r.format == format && r.threads == 1 && r.peer == peer).map(Ratio::times)
    };
    let mut rows: Vec<(String, f64, Option<f64>, bool)> = vec![
        ("ubl_vs_pyubl_1_thread".into(), 30.0, ratio(Format::Ubl, "ubl.pyubl"), true),
        ("cii_vs_drafthorse_no_xsd_1_thread".into(), 15.0, ratio(Format::Cii, "ubl.drafthorse:xsd=0"), true),
        ("pdf_vs_pdfkit_1_thread".into(), 1.0, ratio(Format::InvoicePdf, "pdf.pdfkit"), true),
    ];
    for m in ours {
        rows.push((
            format!("peak_rss_mb_{}_threads{}_n{}", m.format.name(), m.threads, m.docs),
            200.0,
            Some(m.peak_rss_mb),
            false,
        ));
    }
    for (name, need, got, at_least) in rows {
        let Some(got) = got else { continue };
        let met = if at_least { got >= need } else { got < need };
        let verdict = if met { "MET" } else { "NOT_MET" };
        if json {
            writeln!(
                out,
                "{}",
                json!({"target": name, "need": need, "at_least": at_least, "got": (got * 100.0).round() / 100.0, "status": verdict})
            )?;
        } else {
            let relation = if at_least { ">=" } else { "<" };
            writeln!(out, "TARGET {name} need{relation}{need} got={got:.2} {verdict}")?;
        }
    }
    Ok(())
}

/// Runs the bench and prints one line per measurement, then the ratios and targets when
/// peer lines are given. Returns the measures.
pub fn run(options: &DocumentsBenchOptions, out: &mut dyn Write) -> Result<Vec<Measure>> {
    if options.threads.is_empty() || options.threads.contains(&0) {
        bail!("--threads needs counts of at least 1");
    }
    let peer_text = match &options.peer_lines {
        Some(path) => Some(std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?),
        None => None,
    };
    let fonts = match Fonts::system() {
        Ok(f) => Some(f),
        Err(e) => {
            writeln!(out, "# no PDF measures: {e}")?;
            None
        }
    };
    if !options.json {
        writeln!(
            out,
            "# {} documents per batch, {} timed batches per measure (median), threads {:?}, documents {}; {} cores; load {}",
            options.invoices,
            options.runs.max(1),
            options.threads,
            if options.keep { "kept until the batch ends" } else { "dropped one at a time" },
            std::thread::available_parallelism().map_or(1, |n| n.get()),
            std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
        )?;
    }
    let mut measures = Vec::new();
    for format in FORMATS {
        if format.needs_fonts() && fonts.is_none() {
            continue;
        }
        for &threads in &options.threads {
            let m = measure(format, threads, options, fonts.as_ref())
                .with_context(|| format!("measuring {} on {threads} threads", format.name()))?;
            print_measure(&m, options.keep, options.json, out)?;
            measures.push(m);
        }
    }
    if let Some(text) = peer_text {
        let found = ratios(&measures, &text);
        if found.is_empty() {
            writeln!(out, "# no PEER ubl./pdf. lines in the peer file")?;
        }
        for r in &found {
            if options.json {
                writeln!(
                    out,
                    "{}",
                    json!({"ratio": format!("documents.{}", r.format.name()), "threads": r.threads, "vs": r.peer,
                           "ours": (r.ours * 10.0).round() / 10.0, "peer": r.theirs, "times": (r.times() * 100.0).round() / 100.0})
                )?;
            } else {
                writeln!(
                    out,
                    "RATIO documents.{} threads={} vs={} ours={:.1} peer={} times={:.2}",
                    r.format.name(),
                    r.threads,
                    r.peer,
                    r.ours,
                    r.theirs,
                    r.times()
                )?;
            }
        }
        targets(&measures, &found, out, options.json)?;
    } else {
        let empty: Vec<Ratio> = Vec::new();
        targets(&measures, &empty, out, options.json)?;
    }
    Ok(measures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn tool(name: &str, args: &[&str]) -> Option<(bool, String)> {
        let out = Command::new(name).args(args).output().ok()?;
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        Some((out.status.success(), text))
    }

    #[test]
    fn a_small_batch_gives_a_rate_for_every_format_and_ratios_against_the_peers() {
        let dir = tempfile::tempdir().expect("temp dir");
        let peers = dir.path().join("run.peers");
        std::fs::write(
            &peers,
            "PEER ubl.pyubl n=300 invoices_per_s=662 bytes=3434 load1=1.0\n\
             PEER ubl.drafthorse xsd=1 n=200 invoices_per_s=705 bytes=6246 load1=1.0\n\
             PEER ubl.drafthorse xsd=0 n=200 invoices_per_s=1274 bytes=6246 load1=1.0\n\
             PEER pdf.pdfkit n=300 pdfs_per_s=1752.6 bytes=1910 load1=1.0\n",
        )
        .expect("peers");
        let options = DocumentsBenchOptions {
            invoices: 20,
            threads: vec![1, 2],
            runs: 1,
            keep: false,
            peer_lines: Some(peers),
            json: false,
        };
        let mut out = Vec::new();
        let measures = run(&options, &mut out).expect("bench");
        let text = String::from_utf8(out).expect("utf-8");
        let with_fonts = Fonts::system().is_ok();
        let expected: Vec<Format> = FORMATS.into_iter().filter(|f| with_fonts || !f.needs_fonts()).collect();
        for format in &expected {
            for threads in [1, 2] {
                let line = text
                    .lines()
                    .find(|l| l.starts_with(&format!("TRADEWIND documents.{} threads={threads} ", format.name())))
                    .unwrap_or_else(|| panic!("{} on {threads} threads in\n{text}", format.name()));
                let rate: f64 = line
                    .split_whitespace()
                    .find_map(|f| f.strip_prefix("docs_per_s="))
                    .and_then(|v| v.parse().ok())
                    .expect("docs_per_s");
                assert!(rate > 0.0, "{line}");
                assert!(line.contains(" n=20 "), "{line}");
            }
        }
        assert_eq!(measures.len(), expected.len() * 2);
        assert!(measures.iter().all(|m| m.peak_rss_mb > 0.0 && m.bytes > 0), "{measures:?}");
        assert!(text.contains("RATIO documents.ubl threads=1 vs=ubl.pyubl ours="), "{text}");
        assert!(text.contains("RATIO documents.cii threads=1 vs=ubl.drafthorse:xsd=0 ours="), "{text}");
        assert!(text.contains("TARGET ubl_vs_pyubl_1_thread need>=30 got="), "{text}");
        if !with_fonts {
            println!("PDF measures skipped: no system font");
        }
    }

    #[test]
    fn ratios_pick_the_peer_line_the_filter_names() {
        let m = |format, rate| Measure {
            format,
            threads: 1,
            docs: 10,
            docs_per_s: rate,
            runs: vec![rate],
            bytes: 1,
            peak_rss_mb: 1.0,
            base_rss_mb: 1.0,
            peak_reset: true,
            load1: "0".into(),
        };
        let text = "PEER ubl.drafthorse xsd=1 n=200 invoices_per_s=500 bytes=6246 load1=1.0\n\
                    PEER ubl.drafthorse xsd=0 n=200 invoices_per_s=1000 bytes=6246 load1=1.0\n\
                    PEER pdf.pdfkit n=300 pdfs_per_s=2000.0 bytes=1910 load1=1.0\n";
        let found = ratios(&[m(Format::Cii, 20_000.0), m(Format::InvoicePdf, 1000.0)], text);
        let cii = found.iter().find(|r| r.peer == "ubl.drafthorse:xsd=0").expect("without XSD");
        assert_eq!(cii.times(), 20.0);
        let cii_xsd = found.iter().find(|r| r.peer == "ubl.drafthorse:xsd=1").expect("with XSD");
        assert_eq!(cii_xsd.times(), 40.0);
        let pdf = found.iter().find(|r| r.peer == "pdf.pdfkit").expect("pdfkit");
        assert_eq!(pdf.times(), 0.5);
    }

    /// The benchmarked documents are the real thing: the XML passes the official invoice
    /// validator (XSD + EN 16931 rules) or at least parses, and the PDFs open, are one page
    /// and carry their XML.
    #[test]
    fn the_benchmarked_documents_are_well_formed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let validator = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/standards/bin/validate-invoice");
        for format in [Format::Ubl, Format::Cii] {
            let xml = produce(format, 7, None).expect("xml");
            let file = dir.path().join(format!("{}.xml", format.name()));
            std::fs::write(&file, &xml).expect("write");
            let text = String::from_utf8(xml).expect("utf-8");
            assert!(text.contains("INV-2024-00000007") && text.contains("Importer BV 7"), "{text}");
            assert!(text.contains("72115.00"), "the lines' total: {text}");
            let path = file.to_string_lossy().into_owned();
            match tool("xmllint", &["--noout", &path]) {
                Some((ok, report)) => assert!(ok, "{report}\n{text}"),
                None => println!("skipped the XML parse: xmllint is not installed"),
            }
            if !validator.is_file() {
                println!("skipped the official rules: {} is absent", validator.display());
                continue;
            }
            let out = Command::new(&validator).arg(&file).output().expect("run the validator");
            let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            match out.status.code() {
                Some(0) => {}
                Some(2) => println!("skipped the official rules: the validator could not set itself up: {report}"),
                _ => panic!("{} fails the official rules: {report}\n{text}", format.name()),
            }
        }
        let Ok(fonts) = Fonts::system() else {
            println!("skipped the PDFs: no system font");
            return;
        };
        for format in [Format::InvoicePdf, Format::DocumentPdf] {
            let pdf = produce(format, 3, Some(&fonts)).expect("pdf");
            assert!(pdf.starts_with(b"%PDF-1.7"), "{}", format.name());
            assert!(pdf.windows(5).any(|w| w == b"%%EOF"), "{} ends with %%EOF", format.name());
            let file = dir.path().join(format!("{}.pdf", format.name()));
            std::fs::write(&file, &pdf).expect("write");
            let path = file.to_string_lossy().into_owned();
            let Some((ok, info)) = tool("pdfinfo", &[&path]) else {
                println!("skipped the PDF checks: poppler-utils is not installed");
                return;
            };
            assert!(ok, "{info}");
            assert!(info.lines().any(|l| l.starts_with("Pages:") && l.trim_end().ends_with(" 1")), "one page: {info}");
            let (_, list) = tool("pdfdetach", &["-list", &path]).expect("pdfdetach");
            assert!(list.contains(".xml"), "the XML is attached: {list}");
            if format == Format::InvoicePdf {
                let (_, text) = tool("pdftotext", &["-layout", &path, "-"]).expect("pdftotext");
                // 54,000 + 14,440 + 3,675 + 1,960 + 1,150.
                for needle in ["INV-2024-00000003", "Importer BV 3", "USB-C cables 1m", "USD 75225.00"] {
                    assert!(text.contains(needle), "{needle} in {text}");
                }
            }
        }
    }
}
