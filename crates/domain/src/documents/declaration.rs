//! Customs declarations as drafts: the export declaration the seller lodges, the import
//! declaration the buyer lodges, and the duty drawback claim that links exported goods to
//! the import declarations they were first imported under.
//!
//! They are drafts for the customs step to complete and submit: built from the facts, they
//! name what the facts lack (errors) and list what customs needs that the platform does not
//! hold yet (`not_yet_known`: the declarant's customs registration, customs offices, freight
//! and insurance costs for the customs value, the duty paid at import).

use super::transport::FreightPayable;
use super::view::{DocumentSummary, DocumentView, SummaryLine, ViewTable};
use super::{DocumentKind, DocumentParty, Signatory, TradeFacts};
use crate::codes::{CountryCode, HsCode, Locode};
use crate::incoterm::Incoterm;
use crate::logistics::{ContainerNumber, TransportMode};
use crate::money::Money;
use crate::validation::ValidationErrors;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Which way the goods cross the border.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Export,
    Import,
}

impl Direction {
    pub fn kind(self) -> DocumentKind {
        match self {
            Direction::Export => DocumentKind::ExportDeclaration,
            Direction::Import => DocumentKind::ImportDeclaration,
        }
    }
}

/// UN/ECE Recommendation 19 mode of transport code, as customs declarations carry it.
pub fn transport_mode_code(mode: TransportMode) -> &'static str {
    match mode {
        TransportMode::Sea => "1",
        TransportMode::Rail => "2",
        TransportMode::Road => "3",
        TransportMode::Air => "4",
        TransportMode::Parcel => "5",
    }
}

/// One goods item of a declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclarationGoodsItem {
    /// 1, 2, … in the order's line order.
    pub sequence: u32,
    pub description: String,
    pub hs_code: HsCode,
    pub origin: CountryCode,
    pub quantity: Decimal,
    /// UN/ECE Rec 20 unit code.
    pub unit: String,
    pub net_kg: Decimal,
    pub gross_kg: Decimal,
    pub packages: Option<u32>,
    pub package_type: Option<String>,
    /// The line's invoiced amount.
    pub statistical_value: Money,
}

/// How the goods travel, as far as the facts know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredTransport {
    pub mode: TransportMode,
    /// The vessel's name or the flight number, when the carrier gave it.
    pub conveyance: Option<String>,
    pub loading: Locode,
    pub unloading: Locode,
    pub containers: Vec<ContainerNumber>,
    /// The transport document's number (bill of lading or air waybill of the same version).
    pub transport_document: String,
}

/// An export or import declaration (draft).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomsDeclaration {
    pub direction: Direction,
    pub number: String,
    pub issue_date: time::Date,
    /// The seller for export, the buyer for import.
    pub declarant: DocumentParty,
    pub exporter: DocumentParty,
    pub importer: DocumentParty,
    /// The 4-digit customs procedure code, e.g. 1000 (export) or 4000 (release for free
    /// circulation).
    pub procedure_code: String,
    /// The commercial invoice of the same version.
    pub invoice_reference: String,
    pub order_reference: String,
    pub incoterm: Incoterm,
    pub named_place: Locode,
    pub goods: Vec<DeclarationGoodsItem>,
    pub total_value: Money,
    pub total_gross_kg: Decimal,
    pub total_net_kg: Decimal,
    pub transport: DeclaredTransport,
    /// WTO valuation method: `1` = transaction value.
    pub valuation_method: String,
    /// How the declared value relates to the invoice, in words.
    pub customs_value_basis: String,
    /// What customs needs that the platform does not hold yet.
    pub not_yet_known: Vec<String>,
    pub place_of_issue: String,
    pub signatory: Signatory,
}

fn value_basis(direction: Direction, incoterm: Incoterm) -> String {
    let code = incoterm.code();
    match (direction, code) {
        (Direction::Export, "EXW") => {
            "Invoice value ex works; the statistical value adds the costs to the border of export".into()
        }
        (Direction::Export, _) => format!("Invoice value under {code}, taken as the value at the border of export"),
        (Direction::Import, "CIF" | "CIP") => {
            format!("Transaction value (method 1): the {code} invoice price includes freight and insurance")
        }
        (Direction::Import, _) if FreightPayable::for_incoterm(incoterm) == FreightPayable::Collect => format!(
            "Transaction value (method 1): the {code} invoice price plus freight and insurance to the place of entry"
        ),
        (Direction::Import, _) => format!(
            "Transaction value (method 1): the {code} invoice price less carriage costs after the place of entry"
        ),
    }
}

impl CustomsDeclaration {
    /// The export declaration, lodged by the seller.
    pub fn build(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Self, ValidationErrors> {
        Self::build_as(Direction::Export, facts, version, issue_date)
    }

    /// The export or import declaration from the facts, naming every missing field.
    pub fn build_as(
        direction: Direction,
        facts: &TradeFacts,
        version: u32,
        issue_date: time::Date,
    ) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let (party, fields, prefix) = match direction {
            Direction::Export => (&facts.seller, &facts.seller_fields, "seller_fields"),
            Direction::Import => (&facts.buyer, &facts.buyer_fields, "buyer_fields"),
        };
        let procedure_code = match fields.customs_procedure.as_deref() {
            Some(p) if p.len() == 4 && p.chars().all(|c| c.is_ascii_digit()) => p.to_string(),
            Some(_) => {
                e.push(
                    format!("{prefix}.customs_procedure"),
                    "invalid",
                    "the customs procedure is a 4-digit code such as 1000 or 4000",
                );
                String::new()
            }
            None => {
                e.push(
                    format!("{prefix}.customs_procedure"),
                    "required",
                    match direction {
                        Direction::Export => "give the export procedure code, e.g. 1000 (permanent export)",
                        Direction::Import => "give the import procedure code, e.g. 4000 (release for free circulation)",
                    },
                );
                String::new()
            }
        };
        if fields.signatory.is_none() {
            e.push(format!("{prefix}.signatory"), "required", "name who signs the declaration for the declarant");
        }
        let place_of_issue = match fields.place_of_issue.as_deref().map(str::trim) {
            Some(p) if !p.is_empty() => p.to_string(),
            _ => {
                e.push(format!("{prefix}.place_of_issue"), "required", "give the place where the declarant signs");
                String::new()
            }
        };
        let shipment = facts.require_shipment(&mut e);
        if facts.lines.is_empty() {
            e.push("lines", "required", "the order has no goods to declare");
        }
        let mut goods = Vec::with_capacity(facts.lines.len());
        for (i, line) in facts.lines.iter().enumerate() {
            let f = facts.line_fields(i);
            let field = |n: &str| format!("seller_fields.lines[{i}].{n}");
            if f.net_kg.is_none() {
                e.push(field("net_kg"), "required", format!("give the net weight of line {}", i + 1));
            }
            if f.gross_kg.is_none() {
                e.push(field("gross_kg"), "required", format!("give the gross weight of line {}", i + 1));
            }
            let value = match line.amount() {
                Ok(v) => Some(v),
                Err(err) => {
                    e.push(format!("lines[{i}].unit_price"), "invalid", err.to_string());
                    None
                }
            };
            if let (Some(net_kg), Some(gross_kg), Some(statistical_value)) = (f.net_kg, f.gross_kg, value) {
                goods.push(DeclarationGoodsItem {
                    sequence: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    description: line.description.clone(),
                    hs_code: line.hs_code.clone(),
                    origin: facts.origin_of(i),
                    quantity: line.quantity,
                    unit: line.unit.code().to_string(),
                    net_kg,
                    gross_kg,
                    packages: f.packages,
                    package_type: f.package_type.clone(),
                    statistical_value,
                });
            }
        }
        let mut total_value = Money::from_minor_units(0, facts.currency);
        for g in &goods {
            match total_value.checked_add(&g.statistical_value) {
                Ok(t) => total_value = t,
                Err(err) => e.push("lines", "invalid", err.to_string()),
            }
        }
        let (Some(s), Some(signatory)) = (shipment, fields.signatory.clone()) else {
            return Err(e);
        };
        if !e.is_empty() {
            return Err(e);
        }
        let c = &facts.carrier_fields;
        let conveyance = match s.mode {
            TransportMode::Air => c.flight_number.clone(),
            _ => c.vessel_name.clone(),
        };
        let transport_document = match s.mode {
            TransportMode::Air => facts.number("AWB", version),
            _ => facts.number("BL", version),
        };
        let mut not_yet_known = vec![
            "the declarant's customs registration (e.g. EORI) number".to_string(),
            match direction {
                Direction::Export => "the customs offices of export and exit".to_string(),
                Direction::Import => "the customs office of import".to_string(),
            },
        ];
        if conveyance.is_none() {
            not_yet_known.push("the vessel or flight (carrier_fields)".into());
        }
        if direction == Direction::Import {
            if value_basis(direction, facts.incoterm).contains("plus freight") {
                not_yet_known.push("the freight and insurance costs to the place of entry".into());
            }
            not_yet_known.push("duties and taxes: calculated by customs from the declared value".into());
        }
        Ok(CustomsDeclaration {
            direction,
            number: facts.number(if direction == Direction::Export { "EXD" } else { "IMD" }, version),
            issue_date,
            declarant: party.clone(),
            exporter: facts.seller.clone(),
            importer: facts.buyer.clone(),
            procedure_code,
            invoice_reference: facts.number("INV", version),
            order_reference: facts.order_id.clone(),
            incoterm: facts.incoterm,
            named_place: facts.named_place.clone(),
            total_gross_kg: goods.iter().map(|g| g.gross_kg).sum::<Decimal>().normalize(),
            total_net_kg: goods.iter().map(|g| g.net_kg).sum::<Decimal>().normalize(),
            goods,
            total_value,
            transport: DeclaredTransport {
                mode: s.mode,
                conveyance,
                loading: s.origin.clone(),
                unloading: s.destination.clone(),
                containers: s.containers.clone(),
                transport_document,
            },
            valuation_method: "1".into(),
            customs_value_basis: value_basis(direction, facts.incoterm),
            not_yet_known,
            place_of_issue,
            signatory,
        })
    }

    /// Packages of all items, when every item states them.
    pub fn packages(&self) -> Option<u32> {
        self.goods.iter().map(|g| g.packages).sum()
    }

    pub fn summary(&self) -> DocumentSummary {
        let mut s = DocumentSummary::new(self.direction.kind(), &self.number);
        s.seller = Some(self.exporter.legal_name.clone());
        s.buyer = Some(self.importer.legal_name.clone());
        s.lines = self
            .goods
            .iter()
            .map(|g| SummaryLine {
                description: g.description.clone(),
                hs_code: Some(g.hs_code.clone()),
                quantity: Some(g.quantity),
                unit: Some(g.unit.clone()),
            })
            .collect();
        s.gross_kg = Some(self.total_gross_kg);
        s.net_kg = Some(self.total_net_kg);
        s.packages = self.packages();
        s.port_of_loading = Some(self.transport.loading.clone());
        s.port_of_discharge = Some(self.transport.unloading.clone());
        s.total = Some(self.total_value);
        s
    }

    pub fn view(&self) -> DocumentView {
        let mut notes = vec!["Draft for customs: complete and lodge through the customs system.".to_string()];
        notes.extend(self.not_yet_known.iter().map(|n| format!("Still needed: {n}")));
        DocumentView {
            title: self.direction.kind().title().into(),
            number: self.number.clone(),
            issue_date: self.issue_date,
            parties: vec![
                ("Declarant".into(), self.declarant.clone()),
                ("Exporter".into(), self.exporter.clone()),
                ("Importer".into(), self.importer.clone()),
            ],
            fields: vec![
                ("Procedure".into(), self.procedure_code.clone()),
                ("Invoice".into(), self.invoice_reference.clone()),
                ("Delivery terms".into(), format!("{} {}", self.incoterm.code(), self.named_place)),
                ("Mode of transport".into(), transport_mode_code(self.transport.mode).to_string()),
                ("Transport document".into(), self.transport.transport_document.clone()),
                ("Loading / unloading".into(), format!("{} / {}", self.transport.loading, self.transport.unloading)),
                ("Customs value basis".into(), self.customs_value_basis.clone()),
            ],
            table: ViewTable {
                columns: ["Item", "Description", "HS code", "Origin", "Quantity", "Net kg", "Gross kg", "Value"]
                    .map(String::from)
                    .to_vec(),
                numeric: vec![true, false, false, false, true, true, true, true],
                rows: self
                    .goods
                    .iter()
                    .map(|g| {
                        vec![
                            g.sequence.to_string(),
                            g.description.clone(),
                            g.hs_code.to_string(),
                            g.origin.to_string(),
                            format!("{} {}", g.quantity.normalize(), g.unit),
                            g.net_kg.to_string(),
                            g.gross_kg.to_string(),
                            g.statistical_value.to_string(),
                        ]
                    })
                    .collect(),
            },
            totals: vec![
                ("Net weight (kg)".into(), self.total_net_kg.to_string()),
                ("Gross weight (kg)".into(), self.total_gross_kg.to_string()),
                ("Total value".into(), self.total_value.to_string()),
            ],
            notes,
            signatory: Some(self.signatory.clone()),
            place_of_issue: Some(self.place_of_issue.clone()),
        }
    }
}

/// An import declaration an exported goods item was first imported under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportLink {
    /// The export declaration's goods item (1-based).
    pub goods_item: u32,
    /// The import declaration's reference (e.g. its MRN).
    pub import_declaration: String,
    /// The goods item on that import declaration, when known.
    pub import_goods_item: Option<u32>,
}

/// One claimed goods item with the imports it draws back duty on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawbackItem {
    pub export_item: DeclarationGoodsItem,
    pub imports: Vec<ImportLink>,
}

/// A duty drawback claim (draft): the exporter claims back import duty on goods it exports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawbackClaim {
    pub number: String,
    pub issue_date: time::Date,
    pub claimant: DocumentParty,
    /// The export declaration the goods left under.
    pub export_declaration: String,
    pub export_procedure_code: String,
    pub items: Vec<DrawbackItem>,
    pub not_yet_known: Vec<String>,
    pub place_of_issue: String,
    pub signatory: Signatory,
}

impl DrawbackClaim {
    /// The claim for the export of this version, linking its goods items to `imports`; only
    /// linked items are claimed. Unlike other documents it needs the import references,
    /// which the platform does not hold.
    pub fn build(
        facts: &TradeFacts,
        version: u32,
        issue_date: time::Date,
        imports: &[ImportLink],
    ) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        if imports.is_empty() {
            e.push(
                "import_references",
                "required",
                "link at least one exported goods item to the import declaration it came in under",
            );
        }
        for (i, link) in imports.iter().enumerate() {
            if link.goods_item == 0 || link.goods_item as usize > facts.lines.len() {
                e.push(
                    format!("import_references[{i}].goods_item"),
                    "out_of_range",
                    format!(
                        "goods item {} is not on the export declaration (1 to {})",
                        link.goods_item,
                        facts.lines.len()
                    ),
                );
            }
            let r = link.import_declaration.trim();
            if r.is_empty() || r.chars().count() > 35 {
                e.push(
                    format!("import_references[{i}].import_declaration"),
                    "invalid",
                    "give the import declaration's reference (its MRN), at most 35 characters",
                );
            }
        }
        let export = match CustomsDeclaration::build_as(Direction::Export, facts, version, issue_date) {
            Ok(x) => Some(x),
            Err(x) => {
                e.0.extend(x.0);
                None
            }
        };
        let Some(export) = export else { return Err(e) };
        if !e.is_empty() {
            return Err(e);
        }
        let items = export
            .goods
            .iter()
            .filter_map(|g| {
                let links: Vec<ImportLink> = imports
                    .iter()
                    .filter(|l| l.goods_item == g.sequence)
                    .map(|l| ImportLink { import_declaration: l.import_declaration.trim().to_string(), ..l.clone() })
                    .collect();
                (!links.is_empty()).then(|| DrawbackItem { export_item: g.clone(), imports: links })
            })
            .collect();
        Ok(DrawbackClaim {
            number: facts.number("DBK", version),
            issue_date,
            claimant: export.declarant,
            export_declaration: export.number,
            export_procedure_code: export.procedure_code,
            items,
            not_yet_known: vec![
                "the export declaration's MRN once customs accepts it".into(),
                "the duty paid on each import, which the amount claimed follows".into(),
                "the claimant's customs registration (e.g. EORI) number".into(),
            ],
            place_of_issue: export.place_of_issue,
            signatory: export.signatory,
        })
    }

    pub fn summary(&self) -> DocumentSummary {
        let mut s = DocumentSummary::new(DocumentKind::DrawbackClaim, &self.number);
        s.seller = Some(self.claimant.legal_name.clone());
        s.lines = self
            .items
            .iter()
            .map(|i| SummaryLine {
                description: i.export_item.description.clone(),
                hs_code: Some(i.export_item.hs_code.clone()),
                quantity: Some(i.export_item.quantity),
                unit: Some(i.export_item.unit.clone()),
            })
            .collect();
        s
    }

    pub fn view(&self) -> DocumentView {
        let mut notes = vec!["Draft for customs: complete and lodge through the customs system.".to_string()];
        notes.extend(self.not_yet_known.iter().map(|n| format!("Still needed: {n}")));
        DocumentView {
            title: DocumentKind::DrawbackClaim.title().into(),
            number: self.number.clone(),
            issue_date: self.issue_date,
            parties: vec![("Claimant".into(), self.claimant.clone())],
            fields: vec![
                ("Export declaration".into(), self.export_declaration.clone()),
                ("Export procedure".into(), self.export_procedure_code.clone()),
            ],
            table: ViewTable {
                columns: ["Export item", "Description", "HS code", "Quantity", "Import declarations"]
                    .map(String::from)
                    .to_vec(),
                numeric: vec![true, false, false, true, false],
                rows: self
                    .items
                    .iter()
                    .map(|i| {
                        let refs: Vec<String> = i
                            .imports
                            .iter()
                            .map(|l| match l.import_goods_item {
                                Some(n) => format!("{} item {n}", l.import_declaration),
                                None => l.import_declaration.clone(),
                            })
                            .collect();
                        vec![
                            i.export_item.sequence.to_string(),
                            i.export_item.description.clone(),
                            i.export_item.hs_code.to_string(),
                            format!("{} {}", i.export_item.quantity.normalize(), i.export_item.unit),
                            refs.join("; "),
                        ]
                    })
                    .collect(),
            },
            totals: Vec::new(),
            notes,
            signatory: Some(self.signatory.clone()),
            place_of_issue: Some(self.place_of_issue.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::sample_trade_facts;
    use proptest::prelude::*;
    use time::macros::date;

    fn day() -> time::Date {
        date!(2026 - 11 - 18)
    }

    #[test]
    fn export_and_import_from_the_sample() {
        let f = sample_trade_facts(0);
        let x = CustomsDeclaration::build(&f, 1, day()).expect("export");
        assert_eq!(x.number, "EXD-01JD8W4M6Q0S-1");
        assert_eq!(x.declarant.legal_name, "Saigon Spice Export JSC");
        assert_eq!(x.procedure_code, "1000");
        assert_eq!(x.invoice_reference, "INV-01JD8W4M6Q0S-1");
        assert_eq!(x.transport.transport_document, "BL-01JD8W4M6Q0S-1");
        // 9600 × 4.25 + 4536 × 7.10 = 40800 + 32205.60
        assert_eq!(x.total_value.amount(), "73005.60".parse::<Decimal>().expect("d"));
        assert_eq!(x.total_gross_kg, "14652".parse::<Decimal>().expect("d"));
        assert_eq!(x.packages(), Some(584));
        let m = CustomsDeclaration::build_as(Direction::Import, &f, 1, day()).expect("import");
        assert_eq!(m.declarant.legal_name, "Hanseatic Fine Foods GmbH");
        assert_eq!(m.procedure_code, "4000");
        assert!(m.customs_value_basis.contains("plus freight and insurance"), "FOB: {}", m.customs_value_basis);
        assert!(m.not_yet_known.iter().any(|n| n.contains("freight and insurance costs")));
        assert_eq!(m.summary().kind, DocumentKind::ImportDeclaration);
        assert_eq!(m.view().table.rows.len(), 2);
    }

    #[test]
    fn every_missing_field_is_named() {
        let mut f = sample_trade_facts(0);
        f.seller_fields.customs_procedure = None;
        f.seller_fields.signatory = None;
        f.seller_fields.place_of_issue = None;
        f.seller_fields.lines[0].net_kg = None;
        f.seller_fields.lines[1].gross_kg = None;
        f.shipment = None;
        let e = CustomsDeclaration::build(&f, 1, day()).expect_err("missing");
        let fields: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "seller_fields.customs_procedure",
                "seller_fields.signatory",
                "seller_fields.place_of_issue",
                "shipment",
                "seller_fields.lines[0].net_kg",
                "seller_fields.lines[1].gross_kg",
            ]
        );
        let mut f = sample_trade_facts(0);
        f.buyer_fields.customs_procedure = Some("40".into());
        let e = CustomsDeclaration::build_as(Direction::Import, &f, 1, day()).expect_err("bad code");
        assert_eq!(e.0[0].field, "buyer_fields.customs_procedure");
    }

    #[test]
    fn a_drawback_claim_links_exported_items_to_imports() {
        let f = sample_trade_facts(3);
        let links = [
            ImportLink { goods_item: 2, import_declaration: "25VN0001234567890A".into(), import_goods_item: Some(1) },
            ImportLink { goods_item: 2, import_declaration: "25VN0009876543210B".into(), import_goods_item: None },
        ];
        let c = DrawbackClaim::build(&f, 1, day(), &links).expect("claim");
        assert_eq!(c.export_declaration, "EXD-01JD8W4M6Q0S-1");
        assert_eq!(c.items.len(), 1, "only the linked item is claimed");
        assert_eq!(c.items[0].export_item.sequence, 2);
        assert_eq!(c.items[0].imports.len(), 2);
        assert!(c.view().table.rows[0][4].contains("25VN0001234567890A item 1"));
        let bad = [ImportLink { goods_item: 9, import_declaration: " ".into(), import_goods_item: None }];
        let mut g = f.clone();
        g.seller_fields.customs_procedure = None;
        let e = DrawbackClaim::build(&g, 1, day(), &bad).expect_err("bad");
        let fields: Vec<&str> = e.0.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "import_references[0].goods_item",
                "import_references[0].import_declaration",
                "seller_fields.customs_procedure"
            ]
        );
        let e = DrawbackClaim::build(&f, 1, day(), &[]).expect_err("none");
        assert_eq!(e.0[0].field, "import_references");
    }

    proptest! {
        #[test]
        fn totals_add_up(lines in 1usize..40) {
            let f = sample_trade_facts(lines);
            let x = CustomsDeclaration::build(&f, 1, day()).expect("export");
            prop_assert_eq!(x.goods.len(), lines);
            prop_assert_eq!(x.total_gross_kg, x.goods.iter().map(|g| g.gross_kg).sum::<Decimal>());
            prop_assert_eq!(x.total_net_kg, x.goods.iter().map(|g| g.net_kg).sum::<Decimal>());
            let sum: Decimal = f.lines.iter().map(|l| l.amount().expect("amount").amount()).sum();
            prop_assert_eq!(x.total_value.amount(), sum);
            prop_assert!(x.total_net_kg <= x.total_gross_kg);
        }
    }
}
