//! The certificate of origin: a chamber of commerce or other authorised body certifies, on the
//! exporter's declaration, where the goods of a shipment originate. The content follows the
//! ICC International Certificate of Origin Guidelines and the WCO guidance on non-preferential
//! certificates: exporter, consignee, transport details, per goods line the marks, packages,
//! description, HS code, quantity and weight, country of origin and the invoice, then the
//! certifying body's endorsement and the exporter's declaration. A preferential certificate
//! adds, per line, the origin criterion the trade agreement's rules confer origin by.

use super::packing::invoice_reference;
use super::{
    DocumentKind, DocumentParty, DocumentSummary, DocumentView, Signatory, SummaryLine, TradeFacts, ViewTable,
};
use crate::codes::{CountryCode, HsCode, Locode};
use crate::logistics::TransportMode;
use crate::marketplace::UnitOfMeasure;
use crate::validation::ValidationErrors;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Whether the certificate claims tariff preference under a trade agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OriginFlavour {
    /// Origin for trade policy (quotas, labelling, letters of credit); no criteria.
    NonPreferential,
    /// Origin under a trade agreement's rules; every line states its origin criterion.
    Preferential,
}

impl OriginFlavour {
    /// Preferential when the seller gave an origin criterion for every line.
    pub fn of(facts: &TradeFacts) -> OriginFlavour {
        let all =
            !facts.lines.is_empty() && (0..facts.lines.len()).all(|i| facts.line_fields(i).origin_criterion.is_some());
        if all { OriginFlavour::Preferential } else { OriginFlavour::NonPreferential }
    }

    pub fn label(self) -> &'static str {
        match self {
            OriginFlavour::NonPreferential => "Non-preferential",
            OriginFlavour::Preferential => "Preferential",
        }
    }
}

/// One goods line as certified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginLine {
    pub line_number: u32,
    pub description: String,
    pub hs_code: HsCode,
    pub quantity: Decimal,
    pub unit: UnitOfMeasure,
    pub packages: u32,
    pub package_type: String,
    pub gross_kg: Decimal,
    pub origin_country: CountryCode,
    /// Only on a preferential certificate.
    pub origin_criterion: Option<String>,
}

/// A certificate of origin for an order's shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateOfOrigin {
    pub number: String,
    pub issue_date: time::Date,
    pub flavour: OriginFlavour,
    pub order_reference: String,
    /// The exporter (consignor).
    pub exporter: DocumentParty,
    pub consignee: DocumentParty,
    /// The chamber or authority that certifies.
    pub issuing_body: DocumentParty,
    pub certifying_signatory: Signatory,
    /// Signs the exporter's declaration.
    pub exporter_signatory: Signatory,
    pub exporter_place: Option<String>,
    pub place_of_issue: Option<String>,
    pub shipment_id: String,
    pub mode: TransportMode,
    pub carrier: String,
    pub port_of_loading: Locode,
    pub port_of_discharge: Locode,
    pub vessel_name: Option<String>,
    pub voyage_number: Option<String>,
    pub marks_and_numbers: String,
    pub invoice_number: String,
    pub lines: Vec<OriginLine>,
    pub total_packages: u32,
    pub total_gross_kg: Decimal,
    pub remarks: Option<String>,
}

/// The exporter's declaration, signed by the exporter (ICC guidelines, box 12).
pub const EXPORTER_DECLARATION: &str = "The undersigned, as exporter, declares that the goods described above \
     originate in the country shown for each line, and that the particulars given are correct.";

/// The certifying body's endorsement.
pub const CERTIFICATION: &str = "The undersigned authority certifies, on the basis of the exporter's declaration \
     and the evidence presented, that the goods described above originate in the country shown for each line.";

impl CertificateOfOrigin {
    /// The certificate for `facts`, preferential when every line has an origin criterion.
    pub fn build(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Self, ValidationErrors> {
        CertificateOfOrigin::build_as(facts, version, issue_date, OriginFlavour::of(facts))
    }

    /// The certificate in the chosen flavour; a preferential one names every line lacking an
    /// origin criterion, a non-preferential one leaves criteria out.
    pub fn build_as(
        facts: &TradeFacts,
        version: u32,
        issue_date: time::Date,
        flavour: OriginFlavour,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let shipment = facts.require_shipment(&mut errors);
        if facts.named_issuer.is_none() {
            errors.push(
                "named_issuer",
                "missing",
                "name the chamber of commerce or authority that certifies the origin",
            );
        }
        if facts.named_fields.signatory.is_none() {
            errors.push("named_fields.signatory", "missing", "the certifying body names who signs the certificate");
        }
        if facts.seller_fields.signatory.is_none() {
            errors.push("seller_fields.signatory", "missing", "name who signs the exporter's declaration");
        }
        if facts.seller_fields.marks_and_numbers.is_none() {
            errors.push(
                "seller_fields.marks_and_numbers",
                "missing",
                "give the marks and numbers printed on the packages",
            );
        }
        if facts.lines.is_empty() {
            errors.push("lines", "missing", "the order has no goods to certify");
        }
        let mut lines = Vec::with_capacity(facts.lines.len());
        for (i, line) in facts.lines.iter().enumerate() {
            let f = facts.line_fields(i);
            let mut missing = |name: &str, what: &str| {
                errors.push(
                    format!("seller_fields.lines[{i}].{name}"),
                    "missing",
                    format!("line {} ({}): give its {what}", i + 1, line.description),
                );
            };
            if f.packages.is_none() {
                missing("packages", "number of packages");
            }
            if f.package_type.is_none() {
                missing("package_type", "package type (UN/ECE Rec 21 code such as CT, BG or PX)");
            }
            if f.gross_kg.is_none() {
                missing("gross_kg", "gross weight in kg");
            }
            let criterion = match flavour {
                OriginFlavour::NonPreferential => None,
                OriginFlavour::Preferential => {
                    if f.origin_criterion.is_none() {
                        missing(
                            "origin_criterion",
                            "origin criterion (e.g. WO, CTH, RVC40) for a preferential certificate",
                        );
                    }
                    f.origin_criterion.clone()
                }
            };
            if let (Some(packages), Some(package_type), Some(gross_kg)) = (f.packages, f.package_type, f.gross_kg) {
                lines.push(OriginLine {
                    line_number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    description: line.description.clone(),
                    hs_code: line.hs_code.clone(),
                    quantity: line.quantity,
                    unit: line.unit,
                    packages,
                    package_type,
                    gross_kg,
                    origin_country: facts.origin_of(i),
                    origin_criterion: criterion,
                });
            }
        }
        let total_packages = lines.iter().try_fold(0_u32, |sum, l| sum.checked_add(l.packages));
        if total_packages.is_none() {
            errors.push("seller_fields.lines", "too_many_packages", "the number of packages is too large to count");
        }
        let total_gross_kg = lines.iter().map(|l| l.gross_kg).sum();
        let (
            Some(shipment),
            Some(issuing_body),
            Some(certifying_signatory),
            Some(exporter_signatory),
            Some(marks_and_numbers),
            Some(total_packages),
            true,
        ) = (
            shipment,
            facts.named_issuer.clone(),
            facts.named_fields.signatory.clone(),
            facts.seller_fields.signatory.clone(),
            facts.seller_fields.marks_and_numbers.clone(),
            total_packages,
            errors.is_empty(),
        )
        else {
            return Err(errors);
        };
        Ok(CertificateOfOrigin {
            number: facts.number("CO", version),
            issue_date,
            flavour,
            order_reference: facts.order_id.clone(),
            exporter: facts.seller.clone(),
            consignee: facts.buyer.clone(),
            issuing_body,
            certifying_signatory,
            exporter_signatory,
            exporter_place: facts.seller_fields.place_of_issue.clone(),
            place_of_issue: facts.named_fields.place_of_issue.clone(),
            shipment_id: shipment.shipment_id.clone(),
            mode: shipment.mode,
            carrier: shipment.carrier.legal_name.clone(),
            port_of_loading: shipment.origin.clone(),
            port_of_discharge: shipment.destination.clone(),
            vessel_name: facts.carrier_fields.vessel_name.clone(),
            voyage_number: facts.carrier_fields.voyage_number.clone(),
            marks_and_numbers,
            invoice_number: invoice_reference(facts),
            lines,
            total_packages,
            total_gross_kg,
            remarks: facts.named_fields.remarks.clone(),
        })
    }

    /// "Country of origin" as certified: one country, or the countries of the lines.
    pub fn origin_countries(&self) -> Vec<CountryCode> {
        let mut countries: Vec<CountryCode> = Vec::new();
        for l in &self.lines {
            if !countries.contains(&l.origin_country) {
                countries.push(l.origin_country);
            }
        }
        countries
    }

    /// How the goods travel, as the certificate's transport box states it.
    pub fn transport_details(&self) -> String {
        let mut s =
            format!("By {} from {} to {}", self.mode, self.port_of_loading.as_str(), self.port_of_discharge.as_str());
        if let Some(vessel) = &self.vessel_name {
            s.push_str(&format!(", vessel {vessel}"));
            if let Some(voyage) = &self.voyage_number {
                s.push_str(&format!(" voyage {voyage}"));
            }
        }
        s
    }

    pub fn summary(&self) -> DocumentSummary {
        DocumentSummary {
            seller: Some(self.exporter.legal_name.clone()),
            buyer: Some(self.consignee.legal_name.clone()),
            lines: self
                .lines
                .iter()
                .map(|l| SummaryLine::goods(&l.description, &l.hs_code, l.quantity, l.unit.code()))
                .collect(),
            gross_kg: Some(self.total_gross_kg),
            packages: Some(self.total_packages),
            port_of_loading: Some(self.port_of_loading.clone()),
            port_of_discharge: Some(self.port_of_discharge.clone()),
            ..DocumentSummary::new(DocumentKind::CertificateOfOrigin, &self.number)
        }
    }

    pub fn view(&self) -> DocumentView {
        let preferential = self.flavour == OriginFlavour::Preferential;
        let countries: Vec<&str> = self.origin_countries().iter().map(CountryCode::name).collect();
        let mut columns = vec!["No.", "Description", "HS code", "Packages", "Quantity", "Gross kg", "Origin"];
        let mut numeric = vec![true, false, false, false, true, true, false];
        if preferential {
            columns.push("Criterion");
            numeric.push(false);
        }
        let rows = self
            .lines
            .iter()
            .map(|l| {
                let mut row = vec![
                    l.line_number.to_string(),
                    l.description.clone(),
                    l.hs_code.as_str().to_string(),
                    format!("{} {}", l.packages, l.package_type),
                    format!("{} {}", l.quantity.normalize(), l.unit.code()),
                    l.gross_kg.normalize().to_string(),
                    l.origin_country.as_str().to_string(),
                ];
                if preferential {
                    row.push(l.origin_criterion.clone().unwrap_or_default());
                }
                row
            })
            .collect();
        let mut notes = vec![
            format!(
                "Exporter's declaration: {EXPORTER_DECLARATION} Signed {} {}{}.",
                self.exporter_signatory.name,
                self.exporter_signatory.title,
                self.exporter_place.as_deref().map(|p| format!(", {p}")).unwrap_or_default()
            ),
            format!("Certification by {}: {CERTIFICATION}", self.issuing_body.legal_name),
        ];
        if let Some(r) = &self.remarks {
            notes.push(r.clone());
        }
        DocumentView {
            title: format!("{} ({})", DocumentKind::CertificateOfOrigin.title(), self.flavour.label().to_lowercase()),
            number: self.number.clone(),
            issue_date: self.issue_date,
            parties: vec![
                ("Exporter".to_string(), self.exporter.clone()),
                ("Consignee".to_string(), self.consignee.clone()),
                ("Issued by".to_string(), self.issuing_body.clone()),
            ],
            fields: vec![
                ("Country of origin".to_string(), countries.join(", ")),
                ("Transport details".to_string(), self.transport_details()),
                ("Invoice".to_string(), self.invoice_number.clone()),
                ("Marks and numbers".to_string(), self.marks_and_numbers.clone()),
            ],
            table: ViewTable { columns: columns.into_iter().map(String::from).collect(), numeric, rows },
            totals: vec![
                ("Packages".to_string(), self.total_packages.to_string()),
                ("Gross weight (kg)".to_string(), self.total_gross_kg.normalize().to_string()),
            ],
            notes,
            signatory: Some(self.certifying_signatory.clone()),
            place_of_issue: self.place_of_issue.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::sample_trade_facts;
    use time::macros::date;

    const DAY: time::Date = date!(2026 - 11 - 19);

    #[test]
    fn built_from_the_sample_preferential_when_every_line_has_a_criterion() {
        let f = sample_trade_facts(0);
        let co = CertificateOfOrigin::build(&f, 1, DAY).expect("certificate");
        assert_eq!(co.flavour, OriginFlavour::Preferential);
        assert_eq!(co.number, "CO-01JD8W4M6Q0S-1");
        assert_eq!(co.issuing_body.legal_name, "Vietnam Chamber of Commerce and Industry, HCMC Branch");
        assert_eq!(co.certifying_signatory.name, "Nguyen Van An");
        assert_eq!(co.exporter_signatory.name, "Tran Thi Mai");
        assert!(co.lines.iter().all(|l| l.origin_criterion.as_deref() == Some("WO")));
        assert_eq!(co.origin_countries(), ["VN".parse::<CountryCode>().expect("vn")]);
        assert_eq!(co.transport_details(), "By sea from VNSGN to DEHAM, vessel MEKONG STAR voyage 118W");
        assert_eq!(co.total_gross_kg, Decimal::from(9792 + 4860));
        assert_eq!(co.summary().packages, Some(584));
        assert_eq!(co.view().table.columns.last().map(String::as_str), Some("Criterion"));
    }

    #[test]
    fn non_preferential_without_criteria() {
        let mut f = sample_trade_facts(2);
        f.seller_fields.lines[1].origin_criterion = None;
        f.seller_fields.lines[1].origin_country = None;
        let co = CertificateOfOrigin::build(&f, 1, DAY).expect("certificate");
        assert_eq!(co.flavour, OriginFlavour::NonPreferential);
        assert!(co.lines.iter().all(|l| l.origin_criterion.is_none()));
        // A line without an origin country takes the seller's.
        assert_eq!(co.lines[1].origin_country, f.seller.country);
        assert_eq!(co.view().table.columns.len(), 7);
        let forced = CertificateOfOrigin::build_as(&f, 1, DAY, OriginFlavour::Preferential).expect_err("criterion");
        assert_eq!(forced.0.len(), 1);
        assert_eq!(forced.0[0].field, "seller_fields.lines[1].origin_criterion");
    }

    #[test]
    fn names_every_missing_field() {
        let mut f = sample_trade_facts(2);
        f.shipment = None;
        f.named_issuer = None;
        f.named_fields.signatory = None;
        f.seller_fields.signatory = None;
        f.seller_fields.marks_and_numbers = None;
        f.seller_fields.lines[0].gross_kg = None;
        f.seller_fields.lines[1].packages = None;
        f.seller_fields.lines[1].package_type = None;
        let e = CertificateOfOrigin::build_as(&f, 1, DAY, OriginFlavour::NonPreferential).expect_err("missing");
        let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "shipment",
                "named_issuer",
                "named_fields.signatory",
                "seller_fields.signatory",
                "seller_fields.marks_and_numbers",
                "seller_fields.lines[0].gross_kg",
                "seller_fields.lines[1].packages",
                "seller_fields.lines[1].package_type",
            ]
        );
    }
}
