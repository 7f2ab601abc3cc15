//! The seller's packing list: what is packed how, line by line (packages, package type, net
//! and gross weight), under which marks, in which containers and between which ports, with
//! the totals the carrier's and customs' documents must agree with.

use super::{
    DocumentKind, DocumentParty, DocumentSummary, DocumentView, Signatory, SummaryLine, TradeFacts, ViewTable,
};
use crate::codes::{HsCode, Locode};
use crate::logistics::{ContainerNumber, TransportMode};
use crate::marketplace::UnitOfMeasure;
use crate::validation::ValidationErrors;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One order line as packed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackingLine {
    /// 1-based, the order line's position.
    pub line_number: u32,
    pub description: String,
    pub hs_code: HsCode,
    pub quantity: Decimal,
    pub unit: UnitOfMeasure,
    pub packages: u32,
    /// UN/ECE Recommendation 21 package type code, e.g. `BG`, `CT`.
    pub package_type: String,
    pub net_kg: Decimal,
    pub gross_kg: Decimal,
}

/// The packing list of an order's shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackingList {
    pub number: String,
    pub issue_date: time::Date,
    pub order_reference: String,
    /// The commercial invoice the packing list accompanies.
    pub invoice_number: String,
    pub consignor: DocumentParty,
    pub consignee: DocumentParty,
    pub carrier: DocumentParty,
    pub shipment_id: String,
    pub mode: TransportMode,
    pub port_of_loading: Locode,
    pub port_of_discharge: Locode,
    pub vessel_name: Option<String>,
    pub voyage_number: Option<String>,
    pub containers: Vec<ContainerNumber>,
    pub marks_and_numbers: String,
    pub lines: Vec<PackingLine>,
    pub total_packages: u32,
    pub total_net_kg: Decimal,
    pub total_gross_kg: Decimal,
    pub signatory: Option<Signatory>,
    pub place_of_issue: Option<String>,
}

/// The number of the order's commercial invoice that the seller's other documents refer to:
/// its first issue, since a re-issued invoice still bills the same order and goods.
pub(super) fn invoice_reference(facts: &TradeFacts) -> String {
    facts.number("INV", 1)
}

/// Packing per order line, or every missing field named (`seller_fields.lines[i].…`).
fn packed_lines(facts: &TradeFacts, errors: &mut ValidationErrors) -> Vec<PackingLine> {
    let mut lines = Vec::with_capacity(facts.lines.len());
    for (i, line) in facts.lines.iter().enumerate() {
        let fields = facts.line_fields(i);
        let mut missing = |name: &str, what: &str| {
            errors.push(
                format!("seller_fields.lines[{i}].{name}"),
                "missing",
                format!("line {} ({}): give its {what}", i + 1, line.description),
            );
        };
        if fields.packages.is_none() {
            missing("packages", "number of packages");
        }
        if fields.package_type.is_none() {
            missing("package_type", "package type (UN/ECE Rec 21 code such as CT, BG or PX)");
        }
        if fields.net_kg.is_none() {
            missing("net_kg", "net weight in kg");
        }
        if fields.gross_kg.is_none() {
            missing("gross_kg", "gross weight in kg");
        }
        if let (Some(packages), Some(package_type), Some(net_kg), Some(gross_kg)) =
            (fields.packages, fields.package_type, fields.net_kg, fields.gross_kg)
        {
            lines.push(PackingLine {
                line_number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                description: line.description.clone(),
                hs_code: line.hs_code.clone(),
                quantity: line.quantity,
                unit: line.unit,
                packages,
                package_type,
                net_kg,
                gross_kg,
            });
        }
    }
    if facts.lines.is_empty() {
        errors.push("lines", "missing", "the order has no lines to pack");
    }
    lines
}

/// Packages, net and gross weight of all lines. `None` when the package count overflows.
pub fn packing_totals(lines: &[PackingLine]) -> (Option<u32>, Decimal, Decimal) {
    let packages = lines.iter().try_fold(0_u32, |sum, l| sum.checked_add(l.packages));
    let net = lines.iter().map(|l| l.net_kg).sum();
    let gross = lines.iter().map(|l| l.gross_kg).sum();
    (packages, net, gross)
}

impl PackingList {
    /// The packing list of `facts`' shipment, or every missing field named.
    pub fn build(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let shipment = facts.require_shipment(&mut errors);
        let lines = packed_lines(facts, &mut errors);
        let marks = facts.seller_fields.marks_and_numbers.clone();
        if marks.is_none() {
            errors.push(
                "seller_fields.marks_and_numbers",
                "missing",
                "give the marks and numbers printed on the packages",
            );
        }
        let (packages, total_net_kg, total_gross_kg) = packing_totals(&lines);
        if packages.is_none() {
            errors.push("seller_fields.lines", "too_many_packages", "the number of packages is too large to count");
        }
        let (Some(shipment), Some(marks_and_numbers), Some(total_packages), true) =
            (shipment, marks, packages, errors.is_empty())
        else {
            return Err(errors);
        };
        Ok(PackingList {
            number: facts.number("PL", version),
            issue_date,
            order_reference: facts.order_id.clone(),
            invoice_number: invoice_reference(facts),
            consignor: facts.seller.clone(),
            consignee: facts.buyer.clone(),
            carrier: shipment.carrier.clone(),
            shipment_id: shipment.shipment_id.clone(),
            mode: shipment.mode,
            port_of_loading: shipment.origin.clone(),
            port_of_discharge: shipment.destination.clone(),
            vessel_name: facts.carrier_fields.vessel_name.clone(),
            voyage_number: facts.carrier_fields.voyage_number.clone(),
            containers: shipment.containers.clone(),
            marks_and_numbers,
            lines,
            total_packages,
            total_net_kg,
            total_gross_kg,
            signatory: facts.seller_fields.signatory.clone(),
            place_of_issue: facts.seller_fields.place_of_issue.clone(),
        })
    }

    pub fn summary(&self) -> DocumentSummary {
        DocumentSummary {
            seller: Some(self.consignor.legal_name.clone()),
            buyer: Some(self.consignee.legal_name.clone()),
            lines: self
                .lines
                .iter()
                .map(|l| SummaryLine::goods(&l.description, &l.hs_code, l.quantity, l.unit.code()))
                .collect(),
            gross_kg: Some(self.total_gross_kg),
            net_kg: Some(self.total_net_kg),
            packages: Some(self.total_packages),
            port_of_loading: Some(self.port_of_loading.clone()),
            port_of_discharge: Some(self.port_of_discharge.clone()),
            ..DocumentSummary::new(DocumentKind::PackingList, &self.number)
        }
    }

    pub fn view(&self) -> DocumentView {
        let mut fields = vec![
            ("Order".to_string(), self.order_reference.clone()),
            ("Commercial invoice".to_string(), self.invoice_number.clone()),
            ("Carrier".to_string(), self.carrier.legal_name.clone()),
            ("Mode of transport".to_string(), self.mode.to_string()),
        ];
        if let Some(vessel) = &self.vessel_name {
            let voyage = self.voyage_number.as_deref().map(|v| format!(" voyage {v}")).unwrap_or_default();
            fields.push(("Vessel".to_string(), format!("{vessel}{voyage}")));
        }
        fields.push(("Port of loading".to_string(), self.port_of_loading.as_str().to_string()));
        fields.push(("Port of discharge".to_string(), self.port_of_discharge.as_str().to_string()));
        if !self.containers.is_empty() {
            let list: Vec<&str> = self.containers.iter().map(ContainerNumber::as_str).collect();
            fields.push(("Containers".to_string(), list.join(", ")));
        }
        fields.push(("Marks and numbers".to_string(), self.marks_and_numbers.clone()));
        DocumentView {
            title: DocumentKind::PackingList.title().to_string(),
            number: self.number.clone(),
            issue_date: self.issue_date,
            parties: vec![
                ("Consignor".to_string(), self.consignor.clone()),
                ("Consignee".to_string(), self.consignee.clone()),
            ],
            fields,
            table: ViewTable {
                columns: [
                    "No.",
                    "Description",
                    "HS code",
                    "Quantity",
                    "Unit",
                    "Packages",
                    "Type",
                    "Net kg",
                    "Gross kg",
                ]
                .map(String::from)
                .to_vec(),
                numeric: vec![true, false, false, true, false, true, false, true, true],
                rows: self
                    .lines
                    .iter()
                    .map(|l| {
                        vec![
                            l.line_number.to_string(),
                            l.description.clone(),
                            l.hs_code.as_str().to_string(),
                            l.quantity.normalize().to_string(),
                            l.unit.code().to_string(),
                            l.packages.to_string(),
                            l.package_type.clone(),
                            l.net_kg.normalize().to_string(),
                            l.gross_kg.normalize().to_string(),
                        ]
                    })
                    .collect(),
            },
            totals: vec![
                ("Packages".to_string(), self.total_packages.to_string()),
                ("Net weight (kg)".to_string(), self.total_net_kg.normalize().to_string()),
                ("Gross weight (kg)".to_string(), self.total_gross_kg.normalize().to_string()),
            ],
            notes: Vec::new(),
            signatory: self.signatory.clone(),
            place_of_issue: self.place_of_issue.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::{LineFields, sample_trade_facts};
    use proptest::prelude::*;
    use time::macros::date;

    const DAY: time::Date = date!(2026 - 11 - 18);

    #[test]
    fn built_from_the_sample() {
        let pl = PackingList::build(&sample_trade_facts(0), 2, DAY).expect("packing list");
        assert_eq!(pl.number, "PL-01JD8W4M6Q0S-2");
        assert_eq!(pl.invoice_number, "INV-01JD8W4M6Q0S-1");
        assert_eq!(pl.lines.len(), 2);
        // 9600 kg in 25 kg bags, 4536 kg in 22.68 kg cartons.
        assert_eq!(pl.total_packages, 384 + 200);
        assert_eq!(pl.total_net_kg, Decimal::from(9600 + 4536));
        assert_eq!(pl.total_gross_kg, Decimal::from(9792 + 4860));
        let s = pl.summary();
        assert_eq!(s.packages, Some(584));
        assert_eq!(s.port_of_discharge.map(|p| p.as_str().to_string()), Some("DEHAM".into()));
        assert_eq!(s.lines[1].unit.as_deref(), Some("KGM"));
        let v = pl.view();
        assert_eq!(v.table.rows.len(), 2);
        assert_eq!(v.table.rows[0][5], "384");
        assert!(v.fields.iter().any(|(k, val)| k == "Vessel" && val == "MEKONG STAR voyage 118W"));
    }

    #[test]
    fn names_every_missing_field() {
        let mut f = sample_trade_facts(3);
        f.shipment = None;
        f.seller_fields.marks_and_numbers = None;
        f.seller_fields.lines[1] = LineFields::default();
        f.seller_fields.lines[2].gross_kg = None;
        let e = PackingList::build(&f, 1, DAY).expect_err("missing data");
        let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "shipment",
                "seller_fields.lines[1].packages",
                "seller_fields.lines[1].package_type",
                "seller_fields.lines[1].net_kg",
                "seller_fields.lines[1].gross_kg",
                "seller_fields.lines[2].gross_kg",
                "seller_fields.marks_and_numbers",
            ]
        );
        assert!(e.0[1].message.contains("Cashew kernels"), "{}", e.0[1].message);
    }

    #[test]
    fn lines_without_seller_fields_are_named_too() {
        let mut f = sample_trade_facts(2);
        f.seller_fields.lines.truncate(1);
        let e = PackingList::build(&f, 1, DAY).expect_err("missing data");
        assert_eq!(e.0.len(), 4);
        assert!(e.0.iter().all(|e| e.field.starts_with("seller_fields.lines[1].")));
    }

    proptest! {
        #[test]
        fn totals_add_up(packing in proptest::collection::vec((1_u32..5000, 1_i64..1_000_000, 0_i64..50_000), 1..8)) {
            let mut f = sample_trade_facts(packing.len());
            for (l, (packages, net_g, tare_g)) in f.seller_fields.lines.iter_mut().zip(&packing) {
                l.packages = Some(*packages);
                l.net_kg = Some(Decimal::new(*net_g, 3));
                l.gross_kg = Some(Decimal::new(net_g + tare_g, 3));
            }
            let pl = PackingList::build(&f, 1, DAY).expect("packing list");
            let packages: u32 = packing.iter().map(|p| p.0).sum();
            let net: i64 = packing.iter().map(|p| p.1).sum();
            let gross: i64 = packing.iter().map(|p| p.1 + p.2).sum();
            prop_assert_eq!(pl.total_packages, packages);
            prop_assert_eq!(pl.total_net_kg, Decimal::new(net, 3));
            prop_assert_eq!(pl.total_gross_kg, Decimal::new(gross, 3));
            prop_assert!(pl.total_net_kg <= pl.total_gross_kg);
            let rows: Decimal = pl.view().table.rows.iter().map(|r| r[8].parse::<Decimal>().expect("kg")).sum();
            prop_assert_eq!(rows, pl.total_gross_kg);
        }
    }
}
