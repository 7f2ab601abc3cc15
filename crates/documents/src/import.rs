//! Import of invoices that other systems produced: a UBL 2.1 `Invoice` or `CreditNote` or a
//! UN/CEFACT CII D16B `CrossIndustryInvoice` becomes an [`ImportedInvoice`] (parties, lines,
//! allowances and charges, VAT breakdown and the totals it states), whose totals are then
//! recomputed with the EN 16931 calculation rules; every disagreement is reported with its
//! rule id ([`ImportedInvoice::calculation_findings`]).
//!
//! [`validate_invoice`] is the entry point the server's `/documents/validate` and
//! `tradewind doc validate` call: safety, syntax, document type and the calculation rules
//! (BR-CO-10 … BR-CO-16, the VAT breakdown rules BR-x-08/09 and BR-CO-17/18). The full
//! EN 16931 and Peppol BIS Billing 3.0 Schematron (about 300 rules on content, codes and
//! cardinalities) is not run in-process: it runs in CI and in the tests through the official
//! validator (`shared/standards/bin/validate-invoice`).
//!
//! Safety, because the bytes come from strangers: input over [`MAX_BYTES`] is refused before
//! any parsing (use [`read_limited`] to stop reading an upload at the limit); any DOCTYPE is
//! refused, which rules out entity expansion ("billion laughs") and external entities (XXE);
//! only the five predefined entities and character references are resolved; element depth
//! and count are bounded; and only UTF-8 is read.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use rust_decimal::Decimal;
use serde::Serialize;
use std::io::Read;
use std::str::FromStr;

/// The largest invoice accepted: 10 MiB.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The deepest element nesting accepted; real invoices stay below 15.
pub const MAX_DEPTH: usize = 64;
/// The most elements accepted, which bounds memory (an invoice of ~10 000 lines fits).
pub const MAX_ELEMENTS: usize = 500_000;

const UBL_INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const UBL_CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const UBL_NS_PREFIX: &str = "urn:oasis:names:specification:ubl:schema:xsd:";
const CII_NS: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";

/// Why a file could not be imported. Each message says what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is larger than {limit} bytes (10 MiB); split it or send the invoice without attachments")]
    TooLarge { limit: usize },
    #[error("the file is empty; send the invoice XML")]
    Empty,
    #[error("the file could not be read: {0}")]
    Read(String),
    #[error("the file is not UTF-8 (invalid byte at offset {offset}); save the invoice as UTF-8 and send it again")]
    NotUtf8 { offset: usize },
    #[error("the XML declares the encoding {0}; only UTF-8 is accepted: save the invoice as UTF-8 and send it again")]
    Encoding(String),
    #[error("the XML is not well-formed at line {line}, column {column}: {message}")]
    Malformed { line: usize, column: usize, message: String },
    #[error(
        "the XML has a document type declaration (<!DOCTYPE …>) at line {line}, column {column}; invoices never need one and DTDs enable entity-expansion and external-entity attacks, so it is refused: remove the DOCTYPE"
    )]
    Doctype { line: usize, column: usize },
    #[error(
        "the XML nests elements more than {limit} deep at line {line}, column {column}; no invoice does, so it is refused"
    )]
    TooDeep { limit: usize, line: usize, column: usize },
    #[error("the XML has more than {limit} elements; split the invoice")]
    TooManyElements { limit: usize },
    #[error(
        "this is {0}, not an invoice: import takes a UBL 2.1 Invoice or CreditNote or a UN/CEFACT CII D16B CrossIndustryInvoice"
    )]
    NotAnInvoice(String),
    #[error("the invoice lacks {0}")]
    Missing(&'static str),
    #[error("{field} is not a number: '{value}'")]
    Number { field: &'static str, value: String },
}

/// Reads at most [`MAX_BYTES`] from `reader`: an upload over the limit is refused after
/// reading one byte more than the limit, never held whole.
pub fn read_limited(reader: impl Read) -> Result<Vec<u8>, ImportError> {
    let mut buf = Vec::new();
    reader.take(MAX_BYTES as u64 + 1).read_to_end(&mut buf).map_err(|e| ImportError::Read(e.to_string()))?;
    if buf.len() > MAX_BYTES {
        return Err(ImportError::TooLarge { limit: MAX_BYTES });
    }
    Ok(buf)
}

/// The syntax an invoice came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Syntax {
    /// OASIS UBL 2.1 `Invoice` or `CreditNote`.
    Ubl,
    /// UN/CEFACT Cross Industry Invoice D16B.
    Cii,
}

/// A party as the invoice names it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportedParty {
    pub name: Option<String>,
    /// ISO 3166-1 alpha-2 code of the postal address.
    pub country: Option<String>,
    /// The VAT identifier (BT-31 / BT-48).
    pub vat_id: Option<String>,
}

/// One invoice line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedLine {
    pub id: Option<String>,
    pub description: Option<String>,
    pub quantity: Option<Decimal>,
    /// UN/ECE Rec. 20 unit code.
    pub unit: Option<String>,
    /// BT-131.
    pub net_amount: Decimal,
    pub unit_price: Option<Decimal>,
    pub hs_code: Option<String>,
    /// VAT category code (BT-151) and rate (BT-152).
    pub vat_category: Option<String>,
    pub vat_rate: Option<Decimal>,
}

/// A document-level allowance (BG-20) or charge (BG-21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedAllowanceCharge {
    pub charge: bool,
    pub amount: Decimal,
    pub reason: Option<String>,
    pub reason_code: Option<String>,
    pub vat_category: Option<String>,
    pub vat_rate: Option<Decimal>,
}

/// One VAT breakdown (BG-23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedVat {
    /// BT-118.
    pub category: String,
    /// BT-119.
    pub rate: Option<Decimal>,
    /// BT-116.
    pub taxable: Decimal,
    /// BT-117.
    pub tax: Decimal,
    pub exemption_reason_code: Option<String>,
    pub exemption_reason: Option<String>,
}

/// The totals an invoice states (BG-22); absent ones are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// BT-106.
    pub line_total: Option<Decimal>,
    /// BT-107.
    pub allowance_total: Option<Decimal>,
    /// BT-108.
    pub charge_total: Option<Decimal>,
    /// BT-109.
    pub tax_exclusive: Option<Decimal>,
    /// BT-110.
    pub vat_total: Option<Decimal>,
    /// BT-112.
    pub tax_inclusive: Option<Decimal>,
    /// BT-113.
    pub prepaid: Option<Decimal>,
    /// BT-114.
    pub rounding: Option<Decimal>,
    /// BT-115.
    pub payable: Option<Decimal>,
}

/// An invoice or credit note read from another system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedInvoice {
    pub syntax: Syntax,
    /// Whether the document is a credit note (a UBL `CreditNote`, or CII type code 381).
    pub credit_note: bool,
    /// BT-3, e.g. 380 (commercial invoice) or 381 (credit note).
    pub type_code: Option<String>,
    /// BT-24.
    pub customization_id: Option<String>,
    /// BT-1.
    pub number: String,
    /// BT-2.
    pub issue_date: Option<time::Date>,
    /// BT-5, ISO 4217.
    pub currency: String,
    pub seller: ImportedParty,
    pub buyer: ImportedParty,
    pub lines: Vec<ImportedLine>,
    pub allowances_charges: Vec<ImportedAllowanceCharge>,
    pub vat_breakdown: Vec<ImportedVat>,
    /// The totals as the document states them.
    pub stated: Totals,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The invoice breaks a rule and must be refused or corrected.
    Fatal,
    /// Worth a look; the rules do not forbid it.
    Warning,
}

/// One rule an invoice breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The EN 16931 rule id, e.g. `BR-CO-15`, or `IMPORT` when the file was refused.
    pub rule: String,
    pub severity: Severity,
    pub message: String,
}

impl Finding {
    fn fatal(rule: impl Into<String>, message: String) -> Finding {
        Finding { rule: rule.into(), severity: Severity::Fatal, message }
    }
}

// ---------------------------------------------------------------------------------------
// A small element tree, built with the limits above.

#[derive(Debug, Default)]
struct Node {
    prefix: Option<String>,
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, p| n.child(p))
    }

    /// The trimmed text at `path`, when present and not blank.
    fn text_at(&self, path: &[&str]) -> Option<String> {
        self.at(path).map(|n| n.text.trim()).filter(|t| !t.is_empty()).map(str::to_string)
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The namespace the element's prefix is bound to, looking only at its own
    /// declarations (enough for the root element).
    fn own_namespace(&self) -> Option<&str> {
        let key = match &self.prefix {
            Some(p) => format!("xmlns:{p}"),
            None => "xmlns".to_string(),
        };
        self.attr(&key)
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn malformed(text: &str, offset: u64, message: impl std::fmt::Display) -> ImportError {
    let (line, column) = line_column(text, usize::try_from(offset).unwrap_or(usize::MAX));
    ImportError::Malformed { line, column, message: message.to_string() }
}

fn element(text: &str, offset: u64, e: &BytesStart<'_>) -> Result<Node, ImportError> {
    let qname = e.name().as_ref().to_string();
    let (prefix, name) = match qname.split_once(':') {
        Some((p, n)) => (Some(p.to_string()), n.to_string()),
        None => (None, qname),
    };
    let mut attrs = Vec::new();
    for a in e.attributes().with_checks(true) {
        let a = a.map_err(|err| malformed(text, offset, err))?;
        let key = a.key.as_ref().to_string();
        let key = match key.split_once(':') {
            Some(("xmlns", _)) => key,
            Some((_, local)) => local.to_string(),
            None => key,
        };
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| malformed(text, offset, err))?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Node { prefix, name, attrs, ..Node::default() })
}

fn parse_tree(text: &str) -> Result<Node, ImportError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut count = 0usize;
    loop {
        let start = reader.buffer_position();
        let event = reader.read_event().map_err(|e| malformed(text, reader.error_position(), e))?;
        let opened = match event {
            Event::DocType(_) => {
                let (line, column) = line_column(text, usize::try_from(start).unwrap_or(0));
                return Err(ImportError::Doctype { line, column });
            }
            Event::Decl(d) => {
                if let Some(Ok(enc)) = d.encoding() {
                    let enc = enc.trim().to_ascii_lowercase();
                    if enc != "utf-8" && enc != "utf8" {
                        return Err(ImportError::Encoding(enc.to_uppercase()));
                    }
                }
                None
            }
            Event::Start(e) => Some((element(text, start, &e)?, false)),
            Event::Empty(e) => Some((element(text, start, &e)?, true)),
            Event::End(_) => {
                let done =
                    stack.pop().ok_or_else(|| malformed(text, start, "a closing tag without its opening tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
                None
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&content),
                    None if content.trim().is_empty() => {}
                    None => return Err(malformed(text, start, "text outside the root element")),
                }
                None
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c.xml10_content());
                }
                None
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| malformed(text, start, e))?
                } else {
                    match r.xml10_content().as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "apos" => Some('\''),
                        "quot" => Some('"'),
                        other => {
                            return Err(malformed(
                                text,
                                start,
                                format!("the entity &{other}; is not defined (only &amp; &lt; &gt; &apos; &quot; are)"),
                            ));
                        }
                    }
                };
                if let (Some(c), Some(top)) = (resolved, stack.last_mut()) {
                    top.text.push(c);
                }
                None
            }
            Event::Comment(_) | Event::PI(_) => None,
            Event::Eof => break,
        };
        if let Some((node, empty)) = opened {
            if root.is_some() {
                return Err(malformed(text, start, "a second root element"));
            }
            count += 1;
            if count > MAX_ELEMENTS {
                return Err(ImportError::TooManyElements { limit: MAX_ELEMENTS });
            }
            if stack.len() >= MAX_DEPTH {
                let (line, column) = line_column(text, usize::try_from(start).unwrap_or(0));
                return Err(ImportError::TooDeep { limit: MAX_DEPTH, line, column });
            }
            if empty {
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            } else {
                stack.push(node);
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(malformed(text, text.len() as u64, format!("the document ends before <{}> is closed", open.name)));
    }
    root.ok_or_else(|| malformed(text, 0, "no root element"))
}

/// What non-XML content is, for the refusal message.
fn sniff_non_xml(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace()).map_or(head, |i| &head[i..]);
    if start.starts_with(b"%PDF") {
        return Some(
            "a PDF (for a Factur-X / ZUGFeRD invoice, take the embedded XML out of the PDF and import that)".into(),
        );
    }
    if start.starts_with(b"{") || start.starts_with(b"[") {
        let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
        if lower.contains("openattestation") || (lower.contains("\"signature\"") && lower.contains("\"merkleroot\"")) {
            return Some("an OpenAttestation document (JSON)".into());
        }
        return Some("a JSON document".into());
    }
    None
}

fn what_root_is(root: &Node) -> String {
    let ns = root.own_namespace().unwrap_or("");
    if let Some(rest) = ns.strip_prefix(UBL_NS_PREFIX) {
        let kind = rest.trim_end_matches("-2");
        return format!("a UBL {kind}");
    }
    if ns.starts_with("urn:un:unece:uncefact:") {
        return format!("a UN/CEFACT {}", root.name);
    }
    if ns.is_empty() {
        format!("an XML document with root element <{}> and no namespace", root.name)
    } else {
        format!("an XML document with root element <{}> in namespace {ns}", root.name)
    }
}

/// Parses a UBL 2.1 Invoice/CreditNote or CII D16B invoice.
pub fn import_invoice(bytes: &[u8]) -> Result<ImportedInvoice, ImportError> {
    // Refuse by size first: nothing is parsed or copied.
    if bytes.len() > MAX_BYTES {
        return Err(ImportError::TooLarge { limit: MAX_BYTES });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty);
    }
    if let Some(what) = sniff_non_xml(bytes) {
        return Err(ImportError::NotAnInvoice(what));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::NotUtf8 { offset: e.valid_up_to() })?;
    let root = parse_tree(text)?;
    let ns = root.own_namespace().unwrap_or("");
    match (root.name.as_str(), ns) {
        ("Invoice", UBL_INVOICE_NS) => ubl(&root, false),
        ("CreditNote", UBL_CREDIT_NOTE_NS) => ubl(&root, true),
        ("CrossIndustryInvoice", CII_NS) => cii(&root),
        _ => Err(ImportError::NotAnInvoice(what_root_is(&root))),
    }
}

fn number(field: &'static str, n: Option<&Node>) -> Result<Option<Decimal>, ImportError> {
    let Some(raw) = n.map(|n| n.text.trim()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    Decimal::from_str(raw).map(Some).map_err(|_| ImportError::Number { field, value: raw.chars().take(40).collect() })
}

fn required(field: &'static str, n: Option<&Node>) -> Result<Decimal, ImportError> {
    number(field, n)?.ok_or(ImportError::Missing(field))
}

fn iso_date(raw: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(raw.trim(), &format).ok()
}

fn basic_date(raw: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year][month][day]");
    time::Date::parse(raw.trim(), &format).ok()
}

fn ubl_party(p: Option<&Node>) -> ImportedParty {
    let Some(p) = p.and_then(|p| p.child("Party")) else {
        return ImportedParty::default();
    };
    let vat_id = p
        .all("PartyTaxScheme")
        .find(|s| s.text_at(&["TaxScheme", "ID"]).is_some_and(|id| id.eq_ignore_ascii_case("VAT")))
        .and_then(|s| s.text_at(&["CompanyID"]));
    ImportedParty {
        name: p.text_at(&["PartyLegalEntity", "RegistrationName"]).or_else(|| p.text_at(&["PartyName", "Name"])),
        country: p.text_at(&["PostalAddress", "Country", "IdentificationCode"]),
        vat_id,
    }
}

fn ubl_allowance_charge(n: &Node) -> Result<ImportedAllowanceCharge, ImportError> {
    Ok(ImportedAllowanceCharge {
        charge: n.text_at(&["ChargeIndicator"]).is_some_and(|t| t.eq_ignore_ascii_case("true")),
        amount: required("the allowance or charge amount (BT-92/BT-99)", n.child("Amount"))?,
        reason: n.text_at(&["AllowanceChargeReason"]),
        reason_code: n.text_at(&["AllowanceChargeReasonCode"]),
        vat_category: n.text_at(&["TaxCategory", "ID"]),
        vat_rate: number("the allowance or charge VAT rate (BT-96/BT-103)", n.at(&["TaxCategory", "Percent"]))?,
    })
}

fn ubl(root: &Node, credit_note: bool) -> Result<ImportedInvoice, ImportError> {
    let currency = root.text_at(&["DocumentCurrencyCode"]).ok_or(ImportError::Missing("the currency (BT-5)"))?;
    let (type_element, line_element, quantity_element) = if credit_note {
        ("CreditNoteTypeCode", "CreditNoteLine", "CreditedQuantity")
    } else {
        ("InvoiceTypeCode", "InvoiceLine", "InvoicedQuantity")
    };
    let mut lines = Vec::new();
    for l in root.all(line_element) {
        let item = l.child("Item");
        let tax = item.and_then(|i| i.child("ClassifiedTaxCategory"));
        lines.push(ImportedLine {
            id: l.text_at(&["ID"]),
            description: item.and_then(|i| i.text_at(&["Name"])),
            quantity: number("a line quantity (BT-129)", l.child(quantity_element))?,
            unit: l.child(quantity_element).and_then(|q| q.attr("unitCode")).map(str::to_string),
            net_amount: required("a line net amount (BT-131)", l.child("LineExtensionAmount"))?,
            unit_price: number("a line price (BT-146)", l.at(&["Price", "PriceAmount"]))?,
            hs_code: item.and_then(|i| {
                i.all("CommodityClassification")
                    .filter_map(|c| c.child("ItemClassificationCode"))
                    .find(|c| c.attr("listID") == Some("HS"))
                    .map(|c| c.text.trim().to_string())
            }),
            vat_category: tax.and_then(|t| t.text_at(&["ID"])),
            vat_rate: number("a line VAT rate (BT-152)", tax.and_then(|t| t.child("Percent")))?,
        });
    }
    let allowances_charges =
        root.all("AllowanceCharge").map(ubl_allowance_charge).collect::<Result<Vec<_>, ImportError>>()?;
    // BT-110 is the TaxTotal in the document currency; a second one may give BT-111.
    let tax_total = root
        .all("TaxTotal")
        .find(|t| t.child("TaxAmount").and_then(|a| a.attr("currencyID")) == Some(currency.as_str()))
        .or_else(|| root.all("TaxTotal").find(|t| t.child("TaxSubtotal").is_some()));
    let mut vat_breakdown = Vec::new();
    for t in root.all("TaxTotal") {
        for s in t.all("TaxSubtotal") {
            let category = s.child("TaxCategory");
            vat_breakdown.push(ImportedVat {
                category: category.and_then(|c| c.text_at(&["ID"])).unwrap_or_default(),
                rate: number("a VAT category rate (BT-119)", category.and_then(|c| c.child("Percent")))?,
                taxable: required("a VAT category taxable amount (BT-116)", s.child("TaxableAmount"))?,
                tax: required("a VAT category tax amount (BT-117)", s.child("TaxAmount"))?,
                exemption_reason_code: category.and_then(|c| c.text_at(&["TaxExemptionReasonCode"])),
                exemption_reason: category.and_then(|c| c.text_at(&["TaxExemptionReason"])),
            });
        }
    }
    let m = root.child("LegalMonetaryTotal");
    let total = |name: &str| m.and_then(|m| m.child(name));
    let stated = Totals {
        line_total: number("BT-106", total("LineExtensionAmount"))?,
        allowance_total: number("BT-107", total("AllowanceTotalAmount"))?,
        charge_total: number("BT-108", total("ChargeTotalAmount"))?,
        tax_exclusive: number("BT-109", total("TaxExclusiveAmount"))?,
        vat_total: number("BT-110", tax_total.and_then(|t| t.child("TaxAmount")))?,
        tax_inclusive: number("BT-112", total("TaxInclusiveAmount"))?,
        prepaid: number("BT-113", total("PrepaidAmount"))?,
        rounding: number("BT-114", total("PayableRoundingAmount"))?,
        payable: number("BT-115", total("PayableAmount"))?,
    };
    Ok(ImportedInvoice {
        syntax: Syntax::Ubl,
        credit_note,
        type_code: root.text_at(&[type_element]),
        customization_id: root.text_at(&["CustomizationID"]),
        number: root.text_at(&["ID"]).ok_or(ImportError::Missing("the invoice number (BT-1)"))?,
        issue_date: root.text_at(&["IssueDate"]).as_deref().and_then(iso_date),
        currency,
        seller: ubl_party(root.child("AccountingSupplierParty")),
        buyer: ubl_party(root.child("AccountingCustomerParty")),
        lines,
        allowances_charges,
        vat_breakdown,
        stated,
    })
}

fn cii_party(p: Option<&Node>) -> ImportedParty {
    let Some(p) = p else {
        return ImportedParty::default();
    };
    let vat_id = p
        .all("SpecifiedTaxRegistration")
        .filter_map(|r| r.child("ID"))
        .find(|id| id.attr("schemeID") == Some("VA"))
        .map(|id| id.text.trim().to_string());
    ImportedParty { name: p.text_at(&["Name"]), country: p.text_at(&["PostalTradeAddress", "CountryID"]), vat_id }
}

fn cii(root: &Node) -> Result<ImportedInvoice, ImportError> {
    let doc = root.child("ExchangedDocument");
    let tx = root.child("SupplyChainTradeTransaction").ok_or(ImportError::Missing("the trade transaction"))?;
    let agreement = tx.child("ApplicableHeaderTradeAgreement");
    let settlement =
        tx.child("ApplicableHeaderTradeSettlement").ok_or(ImportError::Missing("the header trade settlement"))?;
    let currency = settlement.text_at(&["InvoiceCurrencyCode"]).ok_or(ImportError::Missing("the currency (BT-5)"))?;
    let mut lines = Vec::new();
    for l in tx.all("IncludedSupplyChainTradeLineItem") {
        let product = l.child("SpecifiedTradeProduct");
        let line_settlement = l.child("SpecifiedLineTradeSettlement");
        let tax = line_settlement.and_then(|s| s.child("ApplicableTradeTax"));
        let quantity = l.at(&["SpecifiedLineTradeDelivery", "BilledQuantity"]);
        lines.push(ImportedLine {
            id: l.text_at(&["AssociatedDocumentLineDocument", "LineID"]),
            description: product.and_then(|p| p.text_at(&["Name"])),
            quantity: number("a line quantity (BT-129)", quantity)?,
            unit: quantity.and_then(|q| q.attr("unitCode")).map(str::to_string),
            net_amount: required(
                "a line net amount (BT-131)",
                line_settlement
                    .and_then(|s| s.at(&["SpecifiedTradeSettlementLineMonetarySummation", "LineTotalAmount"])),
            )?,
            unit_price: number(
                "a line price (BT-146)",
                l.at(&["SpecifiedLineTradeAgreement", "NetPriceProductTradePrice", "ChargeAmount"]),
            )?,
            hs_code: product.and_then(|p| {
                p.all("DesignatedProductClassification")
                    .filter_map(|c| c.child("ClassCode"))
                    .find(|c| c.attr("listID") == Some("HS"))
                    .map(|c| c.text.trim().to_string())
            }),
            vat_category: tax.and_then(|t| t.text_at(&["CategoryCode"])),
            vat_rate: number("a line VAT rate (BT-152)", tax.and_then(|t| t.child("RateApplicablePercent")))?,
        });
    }
    let mut allowances_charges = Vec::new();
    for a in settlement.all("SpecifiedTradeAllowanceCharge") {
        allowances_charges.push(ImportedAllowanceCharge {
            charge: a.text_at(&["ChargeIndicator", "Indicator"]).is_some_and(|t| t.eq_ignore_ascii_case("true")),
            amount: required("the allowance or charge amount (BT-92/BT-99)", a.child("ActualAmount"))?,
            reason: a.text_at(&["Reason"]),
            reason_code: a.text_at(&["ReasonCode"]),
            vat_category: a.text_at(&["CategoryTradeTax", "CategoryCode"]),
            vat_rate: number(
                "the allowance or charge VAT rate (BT-96/BT-103)",
                a.at(&["CategoryTradeTax", "RateApplicablePercent"]),
            )?,
        });
    }
    let mut vat_breakdown = Vec::new();
    for t in settlement.all("ApplicableTradeTax") {
        vat_breakdown.push(ImportedVat {
            category: t.text_at(&["CategoryCode"]).unwrap_or_default(),
            rate: number("a VAT category rate (BT-119)", t.child("RateApplicablePercent"))?,
            taxable: required("a VAT category taxable amount (BT-116)", t.child("BasisAmount"))?,
            tax: required("a VAT category tax amount (BT-117)", t.child("CalculatedAmount"))?,
            exemption_reason_code: t.text_at(&["ExemptionReasonCode"]),
            exemption_reason: t.text_at(&["ExemptionReason"]),
        });
    }
    let m = settlement.child("SpecifiedTradeSettlementHeaderMonetarySummation");
    let total = |name: &str| m.and_then(|m| m.child(name));
    // BT-110 is the TaxTotalAmount in the invoice currency; another may give BT-111.
    let vat_total = m.and_then(|m| {
        m.all("TaxTotalAmount")
            .find(|t| t.attr("currencyID").is_none_or(|c| c == currency))
            .or_else(|| m.child("TaxTotalAmount"))
    });
    let stated = Totals {
        line_total: number("BT-106", total("LineTotalAmount"))?,
        allowance_total: number("BT-107", total("AllowanceTotalAmount"))?,
        charge_total: number("BT-108", total("ChargeTotalAmount"))?,
        tax_exclusive: number("BT-109", total("TaxBasisTotalAmount"))?,
        vat_total: number("BT-110", vat_total)?,
        tax_inclusive: number("BT-112", total("GrandTotalAmount"))?,
        prepaid: number("BT-113", total("TotalPrepaidAmount"))?,
        rounding: number("BT-114", total("RoundingAmount"))?,
        payable: number("BT-115", total("DuePayableAmount"))?,
    };
    let type_code = doc.and_then(|d| d.text_at(&["TypeCode"]));
    Ok(ImportedInvoice {
        syntax: Syntax::Cii,
        // UNTDID 1001 credit note codes EN 16931 uses: 381 credit note, 396 factored credit
        // note, 261 self-billed credit note, 81 credit note related to goods or services.
        credit_note: matches!(type_code.as_deref(), Some("381" | "396" | "261" | "81" | "532")),
        type_code,
        customization_id: root.text_at(&[
            "ExchangedDocumentContext",
            "GuidelineSpecifiedDocumentContextParameter",
            "ID",
        ]),
        number: doc.and_then(|d| d.text_at(&["ID"])).ok_or(ImportError::Missing("the invoice number (BT-1)"))?,
        issue_date: doc.and_then(|d| d.text_at(&["IssueDateTime", "DateTimeString"])).as_deref().and_then(basic_date),
        currency,
        seller: cii_party(agreement.and_then(|a| a.child("SellerTradeParty"))),
        buyer: cii_party(agreement.and_then(|a| a.child("BuyerTradeParty"))),
        lines,
        allowances_charges,
        vat_breakdown,
        stated,
    })
}

// ---------------------------------------------------------------------------------------
// The EN 16931 calculation rules.

/// Rounds to two decimals as the official rules do (XPath `round(x * 100) div 100`: halves
/// go up, towards positive infinity).
fn round2(x: Decimal) -> Decimal {
    let hundred = Decimal::ONE_HUNDRED;
    (x * hundred + Decimal::new(5, 1)).floor() / hundred
}

/// The rule-id part of a VAT category code (BR-S-08, BR-IC-08 …).
fn category_rule(code: &str) -> &str {
    match code {
        "K" => "IC",
        "L" => "AF",
        "M" => "AG",
        other => other,
    }
}

fn same_rate(a: Option<Decimal>, b: Option<Decimal>) -> bool {
    a.unwrap_or_default() == b.unwrap_or_default()
}

impl ImportedInvoice {
    /// The totals recomputed from the lines, the allowances and charges and the VAT
    /// breakdown's tax amounts, with the stated prepaid and rounding amounts.
    pub fn recomputed(&self) -> Totals {
        let line_total = round2(self.lines.iter().map(|l| l.net_amount).sum());
        let sum = |charge: bool| {
            round2(self.allowances_charges.iter().filter(|a| a.charge == charge).map(|a| a.amount).sum())
        };
        let (allowance_total, charge_total) = (sum(false), sum(true));
        let tax_exclusive = line_total - allowance_total + charge_total;
        let vat_total = round2(self.vat_breakdown.iter().map(|v| v.tax).sum());
        let tax_inclusive = tax_exclusive + vat_total;
        let prepaid = self.stated.prepaid.unwrap_or_default();
        let rounding = self.stated.rounding.unwrap_or_default();
        Totals {
            line_total: Some(line_total),
            allowance_total: Some(allowance_total),
            charge_total: Some(charge_total),
            tax_exclusive: Some(tax_exclusive),
            vat_total: Some(vat_total),
            tax_inclusive: Some(tax_inclusive),
            prepaid: self.stated.prepaid,
            rounding: self.stated.rounding,
            payable: Some(tax_inclusive - prepaid + rounding),
        }
    }

    /// Every EN 16931 calculation rule the stated amounts break, each checked the way the
    /// official Schematron checks it (from the stated amounts it relates).
    pub fn calculation_findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let s = &self.stated;
        let r = self.recomputed();
        let zero = Decimal::ZERO;
        let mut check = |rule: &str, bt: &str, stated: Option<Decimal>, expected: Decimal, how: &str| match stated {
            Some(v) if v != expected => out.push(Finding::fatal(
                rule,
                format!("{bt} is {v} but {how} gives {expected}; correct {bt} or the amounts it is made of"),
            )),
            None if expected != zero => {
                out.push(Finding::fatal(rule, format!("{bt} is missing; {how} gives {expected}")));
            }
            _ => {}
        };
        let line_total = s.line_total.unwrap_or_default();
        check(
            "BR-CO-10",
            "BT-106 (sum of line net amounts)",
            s.line_total,
            r.line_total.unwrap_or_default(),
            "the lines",
        );
        check(
            "BR-CO-11",
            "BT-107 (sum of allowances)",
            s.allowance_total,
            r.allowance_total.unwrap_or_default(),
            "the document-level allowances",
        );
        check(
            "BR-CO-12",
            "BT-108 (sum of charges)",
            s.charge_total,
            r.charge_total.unwrap_or_default(),
            "the document-level charges",
        );
        let tax_exclusive = s.tax_exclusive.unwrap_or_default();
        check(
            "BR-CO-13",
            "BT-109 (total without VAT)",
            s.tax_exclusive,
            round2(line_total - s.allowance_total.unwrap_or_default() + s.charge_total.unwrap_or_default()),
            "BT-106 − BT-107 + BT-108",
        );
        if !self.vat_breakdown.is_empty() {
            check(
                "BR-CO-14",
                "BT-110 (total VAT)",
                s.vat_total,
                r.vat_total.unwrap_or_default(),
                "the VAT breakdown's tax amounts",
            );
        }
        check(
            "BR-CO-15",
            "BT-112 (total with VAT)",
            s.tax_inclusive,
            round2(tax_exclusive + s.vat_total.unwrap_or_default()),
            "BT-109 + BT-110",
        );
        check(
            "BR-CO-16",
            "BT-115 (amount due)",
            s.payable,
            round2(
                s.tax_inclusive.unwrap_or_default() - s.prepaid.unwrap_or_default() + s.rounding.unwrap_or_default(),
            ),
            "BT-112 − BT-113 + BT-114",
        );
        if self.vat_breakdown.is_empty() {
            out.push(Finding::fatal(
                "BR-CO-18",
                "the invoice has no VAT breakdown (BG-23); add one per VAT category and rate".into(),
            ));
        }
        for v in &self.vat_breakdown {
            let cat = v.category.as_str();
            let rule = category_rule(cat);
            let in_group = |c: &Option<String>, rate: Option<Decimal>| {
                c.as_deref() == Some(cat) && (cat == "O" || same_rate(rate, v.rate))
            };
            let expected_taxable: Decimal = self
                .lines
                .iter()
                .filter(|l| in_group(&l.vat_category, l.vat_rate))
                .map(|l| l.net_amount)
                .sum::<Decimal>()
                + self
                    .allowances_charges
                    .iter()
                    .filter(|a| in_group(&a.vat_category, a.vat_rate))
                    .map(|a| if a.charge { a.amount } else { -a.amount })
                    .sum::<Decimal>();
            // The official rule for S allows a difference below one unit; the others none.
            let tolerance = if cat == "S" { Decimal::ONE } else { Decimal::ZERO };
            let diff = (v.taxable - expected_taxable).abs();
            if (tolerance.is_zero() && diff != zero) || (!tolerance.is_zero() && diff >= tolerance) {
                out.push(Finding::fatal(
                    format!("BR-{rule}-08"),
                    format!(
                        "the VAT breakdown for category {cat}{} states a taxable amount (BT-116) of {} but its lines, allowances and charges give {expected_taxable}",
                        v.rate.map(|r| format!(" at {} %", r.normalize())).unwrap_or_default(),
                        v.taxable
                    ),
                ));
            }
            let rate = v.rate.unwrap_or_default();
            if rate.is_zero() {
                if v.tax != zero {
                    out.push(Finding::fatal(
                        format!("BR-{rule}-09"),
                        format!(
                            "the VAT breakdown for category {cat} has no rate but a tax amount (BT-117) of {}",
                            v.tax
                        ),
                    ));
                }
            } else {
                let expected = round2(v.taxable.abs() * rate / Decimal::ONE_HUNDRED);
                if (v.tax.abs() - expected).abs() >= Decimal::ONE {
                    out.push(Finding::fatal(
                        "BR-CO-17",
                        format!(
                            "the VAT for category {cat} at {} % is {} but {} × {} % gives {expected}",
                            rate.normalize(),
                            v.tax,
                            v.taxable,
                            rate.normalize()
                        ),
                    ));
                }
            }
        }
        // Every category and rate used must have its breakdown (BR-S-01, BR-AE-01 …).
        let used = self
            .lines
            .iter()
            .map(|l| (&l.vat_category, l.vat_rate))
            .chain(self.allowances_charges.iter().map(|a| (&a.vat_category, a.vat_rate)));
        let mut reported: Vec<(String, Option<Decimal>)> = Vec::new();
        for (cat, rate) in used {
            let Some(cat) = cat.as_deref() else { continue };
            let covered =
                self.vat_breakdown.iter().any(|v| v.category == cat && (cat == "O" || same_rate(v.rate, rate)));
            if !covered && !reported.iter().any(|(c, r)| c == cat && same_rate(*r, rate)) {
                reported.push((cat.to_string(), rate));
                out.push(Finding::fatal(
                    format!("BR-{}-01", category_rule(cat)),
                    format!(
                        "VAT category {cat}{} is used but has no VAT breakdown (BG-23)",
                        rate.map(|r| format!(" at {} %", r.normalize())).unwrap_or_default()
                    ),
                ));
            }
        }
        out
    }
}

/// What [`validate_invoice`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    /// No fatal finding and the file was imported.
    pub valid: bool,
    /// What the file is, e.g. "UBL 2.1 Invoice"; `None` when it was refused.
    pub document: Option<String>,
    pub number: Option<String>,
    pub currency: Option<String>,
    pub findings: Vec<Finding>,
    /// The totals the document states and those recomputed from its content.
    pub stated: Option<Totals>,
    pub recomputed: Option<Totals>,
}

/// Checks an uploaded invoice: safety limits, well-formed UTF-8 XML without DTD, a UBL 2.1
/// Invoice/CreditNote or CII D16B invoice, and the EN 16931 calculation rules. See the
/// module documentation for what runs only in CI.
pub fn validate_invoice(bytes: &[u8]) -> ValidationReport {
    match import_invoice(bytes) {
        Err(e) => ValidationReport {
            valid: false,
            document: None,
            number: None,
            currency: None,
            findings: vec![Finding::fatal("IMPORT", e.to_string())],
            stated: None,
            recomputed: None,
        },
        Ok(inv) => {
            let findings = inv.calculation_findings();
            let document = match (inv.syntax, inv.credit_note) {
                (Syntax::Ubl, false) => "UBL 2.1 Invoice",
                (Syntax::Ubl, true) => "UBL 2.1 CreditNote",
                (Syntax::Cii, false) => "UN/CEFACT CII D16B invoice",
                (Syntax::Cii, true) => "UN/CEFACT CII D16B credit note",
            };
            ValidationReport {
                valid: !findings.iter().any(|f| f.severity == Severity::Fatal),
                document: Some(document.into()),
                number: Some(inv.number.clone()),
                currency: Some(inv.currency.clone()),
                recomputed: Some(inv.recomputed()),
                stated: Some(inv.stated),
                findings,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_round_up_as_in_xpath() {
        assert_eq!(round2("0.125".parse().expect("d")), "0.13".parse::<Decimal>().expect("d"));
        assert_eq!(round2("-0.125".parse().expect("d")), "-0.12".parse::<Decimal>().expect("d"));
        assert_eq!(round2("10".parse().expect("d")), Decimal::from(10));
    }

    #[test]
    fn positions_are_one_based() {
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("x", 0), (1, 1));
    }
}
