//! Cargo manifest against declarations: every consignment the carrier reported should be
//! declared, every declaration should cover cargo that arrived, and packages and gross weight
//! should agree. Several declarations may cover one transport document (split consignments),
//! so declared figures are summed per document before comparing.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One line of the carrier's cargo manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Bill of lading or air waybill number.
    pub transport_document: String,
    pub packages: u32,
    pub gross_kg: Decimal,
    pub description: String,
}

/// What one declaration says about the consignment it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredConsignment {
    pub declaration_number: String,
    pub transport_document: String,
    /// Not every declaration states the package count.
    pub packages: Option<u32>,
    pub gross_kg: Decimal,
}

/// A transport document found on both sides, with the totals compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedConsignment {
    pub transport_document: String,
    pub declarations: Vec<String>,
    pub manifest_packages: u32,
    /// The declared packages summed; `None` when any declaration leaves them out.
    pub declared_packages: Option<u32>,
    pub manifest_gross_kg: Decimal,
    pub declared_gross_kg: Decimal,
}

/// The figure that disagrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReconciledField {
    Packages,
    GrossKg,
}

/// A disagreement between the manifest and the declarations on one transport document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discrepancy {
    pub transport_document: String,
    pub field: ReconciledField,
    pub manifest: Decimal,
    pub declared: Decimal,
}

/// The outcome of one reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub matched: Vec<MatchedConsignment>,
    pub declared_not_manifested: Vec<DeclaredConsignment>,
    pub manifested_not_declared: Vec<ManifestEntry>,
    pub discrepancies: Vec<Discrepancy>,
}

/// Transport document numbers are compared without surrounding space or case, since they are
/// typed by hand on either side.
fn key(document: &str) -> String {
    document.trim().to_ascii_uppercase()
}

/// Reconciles a manifest with the declarations lodged against it. Package counts are compared
/// only when every declaration on the document states them; gross weights may differ by
/// `weight_tolerance_percent` of the manifest weight (a negative tolerance counts as zero).
/// A document listed twice on the manifest is summed too. Output follows manifest order, then
/// declaration order.
pub fn reconcile(
    manifest: &[ManifestEntry],
    declared: &[DeclaredConsignment],
    weight_tolerance_percent: Decimal,
) -> Reconciliation {
    let tolerance = weight_tolerance_percent.max(Decimal::ZERO);
    let mut out = Reconciliation::default();
    let mut seen: Vec<String> = Vec::new();
    for entry in manifest {
        let k = key(&entry.transport_document);
        if seen.contains(&k) {
            continue;
        }
        seen.push(k.clone());
        let lines: Vec<&ManifestEntry> = manifest.iter().filter(|m| key(&m.transport_document) == k).collect();
        let decls: Vec<&DeclaredConsignment> = declared.iter().filter(|d| key(&d.transport_document) == k).collect();
        if decls.is_empty() {
            out.manifested_not_declared.extend(lines.into_iter().cloned());
            continue;
        }
        let manifest_packages = lines.iter().fold(0u32, |a, m| a.saturating_add(m.packages));
        let manifest_gross_kg = lines.iter().fold(Decimal::ZERO, |a, m| a.saturating_add(m.gross_kg));
        let declared_packages = decls.iter().try_fold(0u32, |a, d| d.packages.map(|p| a.saturating_add(p)));
        let declared_gross_kg = decls.iter().fold(Decimal::ZERO, |a, d| a.saturating_add(d.gross_kg));
        if let Some(p) = declared_packages
            && p != manifest_packages
        {
            out.discrepancies.push(Discrepancy {
                transport_document: k.clone(),
                field: ReconciledField::Packages,
                manifest: Decimal::from(manifest_packages),
                declared: Decimal::from(p),
            });
        }
        let allowed = manifest_gross_kg.abs().saturating_mul(tolerance) / Decimal::ONE_HUNDRED;
        if declared_gross_kg.saturating_sub(manifest_gross_kg).abs() > allowed {
            out.discrepancies.push(Discrepancy {
                transport_document: k.clone(),
                field: ReconciledField::GrossKg,
                manifest: manifest_gross_kg,
                declared: declared_gross_kg,
            });
        }
        out.matched.push(MatchedConsignment {
            transport_document: k,
            declarations: decls.iter().map(|d| d.declaration_number.clone()).collect(),
            manifest_packages,
            declared_packages,
            manifest_gross_kg,
            declared_gross_kg,
        });
    }
    out.declared_not_manifested =
        declared.iter().filter(|d| !seen.contains(&key(&d.transport_document))).cloned().collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn entry(doc: &str, packages: u32, kg: &str) -> ManifestEntry {
        ManifestEntry { transport_document: doc.into(), packages, gross_kg: d(kg), description: "general cargo".into() }
    }

    fn decl(number: &str, doc: &str, packages: Option<u32>, kg: &str) -> DeclaredConsignment {
        DeclaredConsignment {
            declaration_number: number.into(),
            transport_document: doc.into(),
            packages,
            gross_kg: d(kg),
        }
    }

    #[test]
    fn split_consignments_are_summed_and_compared() {
        let manifest = vec![entry("MAEU123", 100, "2000"), entry("MAEU456", 10, "500"), entry("MAEU789", 5, "50")];
        let declared = vec![
            // MAEU123 split over two declarations: 60 + 40 = 100 packages, 1190 + 800 = 1990 kg.
            decl("D1", "maeu123 ", Some(60), "1190"),
            decl("D2", "MAEU123", Some(40), "800"),
            // MAEU456: 9 packages declared against 10; 530 kg against 500 is 6 % over.
            decl("D3", "MAEU456", Some(9), "530"),
            decl("D4", "MSCU000", Some(1), "10"),
        ];
        let r = reconcile(&manifest, &declared, d("2"));
        assert_eq!(r.matched.len(), 2);
        assert_eq!(r.matched[0].declarations, vec!["D1".to_string(), "D2".into()]);
        assert_eq!(r.matched[0].declared_packages, Some(100));
        assert_eq!(r.matched[0].declared_gross_kg, d("1990"));
        // |1990 − 2000| = 10 kg, within 2 % of 2000 = 40 kg: no discrepancy for MAEU123.
        assert_eq!(
            r.discrepancies,
            vec![
                Discrepancy {
                    transport_document: "MAEU456".into(),
                    field: ReconciledField::Packages,
                    manifest: d("10"),
                    declared: d("9"),
                },
                // |530 − 500| = 30 kg > 2 % of 500 = 10 kg.
                Discrepancy {
                    transport_document: "MAEU456".into(),
                    field: ReconciledField::GrossKg,
                    manifest: d("500"),
                    declared: d("530"),
                },
            ]
        );
        assert_eq!(r.manifested_not_declared, vec![entry("MAEU789", 5, "50")]);
        assert_eq!(r.declared_not_manifested, vec![decl("D4", "MSCU000", Some(1), "10")]);
    }

    #[test]
    fn packages_are_compared_only_when_every_declaration_states_them() {
        let manifest = vec![entry("B1", 100, "1000")];
        let declared = vec![decl("D1", "B1", Some(10), "500"), decl("D2", "B1", None, "500")];
        let r = reconcile(&manifest, &declared, d("0"));
        assert_eq!(r.matched[0].declared_packages, None);
        assert!(r.discrepancies.is_empty());
    }

    #[test]
    fn the_weight_tolerance_is_inclusive_and_never_negative() {
        let manifest = vec![entry("B1", 1, "1000")];
        // 1050 is exactly 5 % over 1000: allowed at 5 %, not at 4.99 %.
        assert!(reconcile(&manifest, &[decl("D", "B1", Some(1), "1050")], d("5")).discrepancies.is_empty());
        assert_eq!(reconcile(&manifest, &[decl("D", "B1", Some(1), "1050")], d("4.99")).discrepancies.len(), 1);
        assert_eq!(reconcile(&manifest, &[decl("D", "B1", Some(1), "1000.1")], d("-5")).discrepancies.len(), 1);
    }

    #[test]
    fn a_document_listed_twice_on_the_manifest_is_summed() {
        let manifest = vec![entry("B1", 3, "30"), entry("B1", 2, "20")];
        let r = reconcile(&manifest, &[decl("D", "B1", Some(5), "50")], d("0"));
        assert_eq!(r.matched.len(), 1);
        assert_eq!((r.matched[0].manifest_packages, r.matched[0].manifest_gross_kg), (5, d("50")));
        assert!(r.discrepancies.is_empty());
    }

    proptest! {
        #[test]
        fn every_document_lands_in_exactly_one_place(
            m in proptest::collection::vec((0u8..6, 1u32..50), 0..8),
            ds in proptest::collection::vec((0u8..6, 1u32..50), 0..8),
        ) {
            let manifest: Vec<ManifestEntry> =
                m.iter().map(|(doc, p)| entry(&format!("B{doc}"), *p, &p.to_string())).collect();
            let declared: Vec<DeclaredConsignment> =
                ds.iter().enumerate().map(|(n, (doc, p))| decl(&format!("D{n}"), &format!("B{doc}"), Some(*p), "1")).collect();
            let r = reconcile(&manifest, &declared, d("1"));
            let matched_decls: usize = r.matched.iter().map(|x| x.declarations.len()).sum();
            prop_assert_eq!(matched_decls + r.declared_not_manifested.len(), declared.len());
            let matched_docs: Vec<&str> = r.matched.iter().map(|x| x.transport_document.as_str()).collect();
            for e in &r.manifested_not_declared {
                prop_assert!(!matched_docs.contains(&e.transport_document.as_str()));
            }
            for x in &r.discrepancies {
                prop_assert!(matched_docs.contains(&x.transport_document.as_str()));
                prop_assert_ne!(x.manifest, x.declared);
            }
        }
    }
}
