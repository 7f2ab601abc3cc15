//! `tradewind doc`: an order's trade documents from a terminal, without a server. A facts
//! file (JSON of the domain's `TradeFacts`; `doc sample-facts` prints a complete one to edit)
//! becomes every rendition of a document kind or of the whole set, with the set's
//! consistency check; a document becomes its PDF with the renditions attached; an invoice
//! from another system is checked against the EN 16931 calculation rules. Only `doc import`
//! needs a running server: it uploads an invoice to an order as `tradewind client doc import`.

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use tradewind_documents::import::{Finding, Severity, ValidationReport, read_limited, validate_invoice};
use tradewind_documents::{GenerateError, Generated};
use tradewind_domain::documents::{
    CommercialInvoice, DocumentKind, DocumentSummary, Inconsistency, PartyFields, ProformaInvoice, TradeFacts,
    consistency, sample_trade_facts,
};
use tradewind_domain::validation::ValidationErrors;

#[derive(Args)]
pub struct DocArgs {
    #[command(subcommand)]
    command: DocCommand,
}

#[derive(Subcommand)]
enum DocCommand {
    /// Print a complete example facts file (JSON) to start from.
    SampleFacts {
        /// Order lines in the example
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=500))]
        lines: u16,
    },
    /// Write every rendition (UBL, CII, DCSA eBL, platform JSON) of a kind, or of the whole
    /// set with `--kind all` followed by the set's consistency check.
    Generate(GenerateArgs),
    /// Render one document as a PDF/A-3 with its renditions attached.
    Render(RenderArgs),
    /// Check an invoice (UBL 2.1 or CII D16B) against the EN 16931 calculation rules; exits
    /// non-zero unless it is valid.
    Validate {
        file: PathBuf,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Upload an invoice XML to an order on a running server (as `tradewind client doc import`).
    Import(ImportArgs),
}

/// Which facts, which date and which version a document is made for.
#[derive(Args)]
struct FactsArgs {
    /// The order's facts, JSON (see `tradewind doc sample-facts`)
    #[arg(long)]
    facts: PathBuf,
    /// The document version, part of its number
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    version: u32,
    /// Issue date, YYYY-MM-DD [default: today]
    #[arg(long)]
    date: Option<String>,
}

#[derive(Args)]
struct GenerateArgs {
    #[command(flatten)]
    facts: FactsArgs,
    /// A document kind (e.g. packing_list, bill_of_lading, commercial_invoice), several
    /// separated by commas, or `all`
    #[arg(long, value_delimiter = ',', required = true)]
    kind: Vec<String>,
    /// Folder to write the files to
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Exit non-zero when the generated documents disagree with each other
    #[arg(long)]
    strict: bool,
}

#[derive(Args)]
struct RenderArgs {
    #[command(flatten)]
    facts: FactsArgs,
    /// The document kind, e.g. packing_list or commercial_invoice
    #[arg(long)]
    kind: String,
    /// Where to write the PDF
    #[arg(long)]
    pdf: PathBuf,
}

#[derive(Args)]
struct ImportArgs {
    /// The invoice, UBL 2.1 or CII D16B XML
    file: PathBuf,
    /// The order the invoice belongs to
    #[arg(long)]
    order: String,
    /// The tradewind server's address
    #[arg(long, env = "TRADEWIND_SERVER", default_value = "http://127.0.0.1:8080")]
    server: String,
    /// API token (from `tradewind client login`)
    #[arg(long, env = "TRADEWIND_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Print the server's JSON instead of text
    #[arg(long)]
    json: bool,
}

/// Runs one `tradewind doc` command; a failure is printed and exits with status 1.
pub async fn run(args: DocArgs) -> Result<()> {
    let outcome = match args.command {
        DocCommand::SampleFacts { lines } => sample_facts(usize::from(lines)),
        DocCommand::Generate(a) => generate(&a),
        DocCommand::Render(a) => render(&a),
        DocCommand::Validate { file, json } => validate(&file, json),
        DocCommand::Import(a) => crate::client::import_invoice(&a.server, a.token, a.json, &a.order, &a.file).await,
    };
    match outcome {
        Ok(true) => Ok(()),
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Facts in, documents out.

const ISO_DATE: &[time::format_description::BorrowedFormatItem<'_>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// `tradewind doc sample-facts`.
fn sample_facts(lines: usize) -> Result<bool> {
    use std::io::Write;
    // Dates are written as YYYY-MM-DD, the way a person edits them.
    let text = serde_json::to_string_pretty(&sample_trade_facts(lines))?;
    // A closed pipe (`| head`) ends the output quietly.
    let _ = writeln!(std::io::stdout().lock(), "{text}");
    Ok(true)
}

/// Reads and checks a facts file: every field a party added is checked, all at once.
fn load_facts(path: &Path) -> Result<TradeFacts> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading facts file {}", path.display()))?;
    let facts: TradeFacts = serde_json::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let mut errors = ValidationErrors::new();
    let parties: [(&str, &PartyFields); 4] = [
        ("seller_fields", &facts.seller_fields),
        ("buyer_fields", &facts.buyer_fields),
        ("carrier_fields", &facts.carrier_fields),
        ("named_fields", &facts.named_fields),
    ];
    for (prefix, fields) in parties {
        if let Err(e) = fields.validate() {
            for f in e.0 {
                errors.push(format!("{prefix}.{}", f.field), f.code, f.message);
            }
        }
    }
    if !errors.is_empty() {
        bail!("{}: the facts are not valid:\n{}", path.display(), field_lines(&errors));
    }
    Ok(facts)
}

fn field_lines(errors: &ValidationErrors) -> String {
    errors.0.iter().map(|f| format!("  {}: {}", f.field, f.message)).collect::<Vec<_>>().join("\n")
}

fn issue_date(date: Option<&str>) -> Result<time::Date> {
    match date {
        None => Ok(time::OffsetDateTime::now_utc().date()),
        Some(d) => {
            time::Date::parse(d, ISO_DATE).map_err(|_| anyhow!("--date must be a date as YYYY-MM-DD, not '{d}'"))
        }
    }
}

/// The commercial invoice of the order, built from the facts as the proforma is but under
/// its own number (`INV-…`), so the set's check can compare it with the other documents.
fn commercial_invoice(facts: &TradeFacts, version: u32, date: time::Date) -> Result<ProformaInvoice, GenerateError> {
    let mut proforma = ProformaInvoice::build(facts, version, date)?;
    proforma.invoice.number = facts.number("INV", version);
    Ok(proforma)
}

/// Every rendition of `kind`: the dispatcher's, and for the commercial invoice its UBL 2.1
/// and CII D16B renditions.
fn generate_kind(
    kind: DocumentKind,
    facts: &TradeFacts,
    version: u32,
    date: time::Date,
) -> Result<Vec<Generated>, GenerateError> {
    if kind != DocumentKind::CommercialInvoice {
        return tradewind_documents::set::generate(kind, facts, version, date);
    }
    let proforma = commercial_invoice(facts, version, date)?;
    let inv = &proforma.invoice;
    let mut view = proforma.view();
    view.title = kind.title().to_string();
    view.number = inv.number.clone();
    view.notes.clear();
    let summary = tradewind_documents::set::invoice_summary(inv);
    let renditions = [
        ("ubl-2.1-invoice", tradewind_documents::ubl::invoice(inv)?),
        ("cii-d16b-invoice", tradewind_documents::cii::invoice(inv)?),
    ];
    Ok(renditions
        .into_iter()
        .map(|(format, xml)| Generated {
            number: inv.number.clone(),
            format: format.to_string(),
            media_type: "application/xml".to_string(),
            content: xml.into_bytes(),
            summary: summary.clone(),
            view: view.clone(),
        })
        .collect())
}

/// The file a rendition is written to: `NUMBER.FORMAT.xml|json`, with nothing in it that
/// could leave the output folder.
fn file_name(g: &Generated) -> String {
    let ext = if g.media_type.ends_with("json") { "json" } else { "xml" };
    let safe = |s: &str| -> String {
        s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' }).collect()
    };
    format!("{}.{}.{ext}", safe(&g.number), safe(&g.format).trim_matches('.'))
}

fn parse_kind(name: &str) -> Result<DocumentKind> {
    name.parse::<DocumentKind>().map_err(|e| anyhow!("{e}, or all"))
}

/// Why a kind was not generated, in lines a person can act on.
fn refusal_text(kind: DocumentKind, e: &GenerateError) -> String {
    match e {
        GenerateError::Missing(fields) => {
            format!("{kind}: cannot be generated from the facts; missing or invalid:\n{}", field_lines(fields))
        }
        GenerateError::Unsupported(_) => format!("{kind}: {e} (it is issued from the order on the server)"),
        GenerateError::Write(_) => format!("{kind}: {e}"),
    }
}

/// `tradewind doc generate`: true when everything asked for was written (and, with
/// `--strict`, agrees).
fn generate(a: &GenerateArgs) -> Result<bool> {
    let facts = load_facts(&a.facts.facts)?;
    let date = issue_date(a.facts.date.as_deref())?;
    let all = a.kind.iter().any(|k| k.trim() == "all");
    let kinds: Vec<DocumentKind> = if all {
        if a.kind.len() > 1 {
            bail!("--kind all stands alone");
        }
        DocumentKind::ALL.to_vec()
    } else {
        let mut kinds = a.kind.iter().map(|k| parse_kind(k)).collect::<Result<Vec<_>>>()?;
        let mut seen = std::collections::HashSet::new();
        kinds.retain(|k| seen.insert(*k));
        kinds
    };
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let mut summaries: Vec<DocumentSummary> = Vec::new();
    let mut skipped = Vec::new();
    let mut complete = true;
    for kind in kinds {
        match generate_kind(kind, &facts, a.facts.version, date) {
            Ok(generated) => {
                for g in &generated {
                    let path = a.out.join(file_name(g));
                    std::fs::write(&path, &g.content).with_context(|| format!("writing {}", path.display()))?;
                    println!("{:<22} {:<20} {} ({} bytes)", kind.as_str(), g.number, path.display(), g.content.len());
                }
                if let Some(first) = generated.first() {
                    summaries.push(first.summary.clone());
                }
            }
            // A writer failing is a fault, never a reason to skip.
            Err(e @ GenerateError::Write(_)) => bail!("{kind}: {e}"),
            Err(e) if all => skipped.push(refusal_text(kind, &e)),
            Err(e) => {
                eprintln!("{}", refusal_text(kind, &e));
                complete = false;
            }
        }
    }
    if !skipped.is_empty() {
        println!("\nSkipped {} kind(s):", skipped.len());
        for s in &skipped {
            println!("{}", indent(s));
        }
    }
    let mut consistent = true;
    if summaries.len() > 1 {
        let found = consistency::check(&summaries);
        println!();
        print!("{}", consistency_text(summaries.len(), &found));
        consistent = found.is_empty();
    }
    Ok(complete && (consistent || !a.strict))
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect::<String>().trim_end().to_string()
}

fn consistency_text(documents: usize, found: &[Inconsistency]) -> String {
    let mut s = String::new();
    if found.is_empty() {
        let _ = writeln!(s, "Consistency: the {documents} documents agree.");
        return s;
    }
    let _ = writeln!(
        s,
        "Consistency: {} fact(s) differ between the {documents} documents; correct the source:",
        found.len()
    );
    for i in found {
        // The rows say what the message would: which document states which value.
        let _ = writeln!(s, "  {} differs:", i.fact);
        for v in &i.stated {
            let _ = writeln!(s, "    {:<22} {:<24} {}", v.kind.as_str(), v.number, v.value);
        }
    }
    s
}

/// `tradewind doc render`: the document's PDF, its renditions attached.
fn render(a: &RenderArgs) -> Result<bool> {
    let facts = load_facts(&a.facts.facts)?;
    let date = issue_date(a.facts.date.as_deref())?;
    let kind = parse_kind(&a.kind)?;
    let generated = match generate_kind(kind, &facts, a.facts.version, date) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("{}", refusal_text(kind, &e));
            return Ok(false);
        }
    };
    let fonts = tradewind_report::Fonts::system()?;
    let names: Vec<String> = generated.iter().map(file_name).collect();
    let pdf = if kind == DocumentKind::CommercialInvoice {
        let inv: CommercialInvoice = commercial_invoice(&facts, a.facts.version, date)?.invoice;
        let ubl = generated.first().ok_or_else(|| anyhow!("the invoice has no UBL rendition"))?;
        let xml = std::str::from_utf8(&ubl.content).context("the UBL invoice is not UTF-8")?;
        let name = names.first().map(String::as_str).unwrap_or("invoice-ubl.xml");
        tradewind_report::invoice_pdf(&inv, &tradewind_report::EmbeddedInvoice { name, xml, verify_url: None }, &fonts)?
    } else {
        let first = generated.first().ok_or_else(|| anyhow!("{kind}: nothing was generated"))?;
        let attachments: Vec<tradewind_report::Attachment<'_>> = generated
            .iter()
            .zip(&names)
            .map(|(g, name)| tradewind_report::Attachment {
                name,
                mime_type: if g.media_type.ends_with("json") { "application/json" } else { "text/xml" },
                content: &g.content,
            })
            .collect();
        tradewind_report::document_pdf(&first.view, &attachments, &fonts)?
    };
    std::fs::write(&a.pdf, &pdf).with_context(|| format!("writing {}", a.pdf.display()))?;
    let attached = if kind == DocumentKind::CommercialInvoice { &names[..1.min(names.len())] } else { &names[..] };
    println!(
        "{kind} {} written to {} ({} bytes), with {} attached",
        generated.first().map(|g| g.number.as_str()).unwrap_or_default(),
        a.pdf.display(),
        pdf.len(),
        attached.join(", ")
    );
    Ok(true)
}

// ---------------------------------------------------------------------------------------
// Invoices from other systems.

/// `tradewind doc validate`: true when the invoice is valid.
fn validate(path: &Path, json: bool) -> Result<bool> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    // An oversized file is refused after reading one byte past the limit, never held whole.
    let report = match read_limited(file) {
        Ok(bytes) => validate_invoice(&bytes),
        Err(e) => ValidationReport {
            valid: false,
            document: None,
            number: None,
            currency: None,
            findings: vec![Finding { rule: "IMPORT".into(), severity: Severity::Fatal, message: e.to_string() }],
            stated: None,
            recomputed: None,
        },
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report_text(&path.display().to_string(), &serde_json::to_value(&report)?));
    }
    Ok(report.valid)
}

/// A validation report (as JSON, so a server's answer reads the same) for a terminal.
pub fn report_text(what: &str, r: &Value) -> String {
    let mut s = String::new();
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| "—".to_string());
    let valid = r["valid"].as_bool() == Some(true);
    if r["document"].is_null() {
        let _ = writeln!(s, "{what}: REFUSED");
    } else {
        let _ = writeln!(
            s,
            "{what}: {} {} {} in {}",
            if valid { "valid" } else { "INVALID" },
            text(&r["document"]),
            text(&r["number"]),
            text(&r["currency"])
        );
    }
    if r["stated"].is_object() || r["recomputed"].is_object() {
        const TOTALS: [(&str, &str); 9] = [
            ("line_total", "Sum of line net amounts"),
            ("allowance_total", "Allowances"),
            ("charge_total", "Charges"),
            ("tax_exclusive", "Total without VAT"),
            ("vat_total", "VAT"),
            ("tax_inclusive", "Total with VAT"),
            ("prepaid", "Paid in advance"),
            ("rounding", "Rounding"),
            ("payable", "Amount due"),
        ];
        let _ = writeln!(s, "  {:<26} {:>16} {:>16}", "Totals", "stated", "recomputed");
        for (key, label) in TOTALS {
            let (stated, recomputed) = (&r["stated"][key], &r["recomputed"][key]);
            if stated.is_null() && recomputed.is_null() {
                continue;
            }
            let number = |v: &Value| v.as_str().and_then(|t| t.parse::<rust_decimal::Decimal>().ok());
            let differ = matches!((number(stated), number(recomputed)), (Some(a), Some(b)) if a != b);
            let mark = if differ { "  ≠" } else { "" };
            let _ = writeln!(s, "  {label:<26} {:>16} {:>16}{mark}", text(stated), text(recomputed));
        }
    }
    let findings = r["findings"].as_array().map(Vec::as_slice).unwrap_or_default();
    if findings.is_empty() {
        let _ = writeln!(s, "  No findings: the EN 16931 calculation rules hold.");
    }
    for f in findings {
        let severity = if f["severity"] == "fatal" { "FATAL" } else { "warning" };
        let _ = writeln!(s, "  {severity:<7} {:<10} {}", text(&f["rule"]), text(&f["message"]));
    }
    if !r["document"].is_null() {
        let _ = writeln!(
            s,
            "  (The calculation rules only; the full EN 16931 and Peppol Schematron runs in the official validator.)"
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_commercial_invoice_has_its_own_number_and_both_syntaxes() {
        let facts = sample_trade_facts(0);
        let g = generate_kind(DocumentKind::CommercialInvoice, &facts, 2, date!(2026 - 11 - 26)).expect("invoice");
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].number, "INV-01JD8W4M6Q0S-2");
        assert_eq!(g[0].view.title, "Commercial invoice");
        assert!(g[0].view.notes.is_empty(), "no proforma note on a commercial invoice");
        assert_eq!(file_name(&g[0]), "INV-01JD8W4M6Q0S-2.ubl-2.1-invoice.xml");
        let xml = String::from_utf8(g[1].content.clone()).expect("utf-8");
        assert!(xml.contains("CrossIndustryInvoice") && xml.contains("INV-01JD8W4M6Q0S-2"));
    }

    #[test]
    fn facts_files_show_and_take_dates_as_yyyy_mm_dd() {
        let facts = sample_trade_facts(0);
        let mut v = serde_json::to_value(&facts).expect("json");
        assert_eq!(v["order_date"], "2026-11-02");
        assert_eq!(v["carrier_fields"]["shipped_on_board"], "2026-11-20");
        assert_eq!(v["shipment"]["booked_on"], "2026-11-10");
        assert_eq!(serde_json::from_value::<TradeFacts>(v.clone()).expect("facts"), facts);
        v["carrier_fields"]["planned_arrival"] = "24.12.2026".into();
        let e = serde_json::from_value::<TradeFacts>(v).expect_err("not ISO");
        assert!(e.to_string().contains("could not be parsed"), "{e}");
    }

    #[test]
    fn a_file_name_cannot_leave_the_folder() {
        let facts = sample_trade_facts(0);
        let mut g =
            generate_kind(DocumentKind::PackingList, &facts, 1, date!(2026 - 11 - 26)).expect("packing list").remove(0);
        g.number = "../../etc/x".into();
        g.format = "a/b".into();
        let name = file_name(&g);
        assert!(!name.contains('/'), "{name}");
        assert_eq!(name, "..-..-etc-x.a-b.xml");
    }

    #[test]
    fn a_refused_report_reads_its_reason() {
        let r =
            validate_invoice(b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x/>");
        let t = report_text("evil.xml", &serde_json::to_value(&r).expect("json"));
        assert!(t.starts_with("evil.xml: REFUSED\n"), "{t}");
        assert!(t.contains("FATAL   IMPORT") && t.contains("DOCTYPE"), "{t}");
    }
}
