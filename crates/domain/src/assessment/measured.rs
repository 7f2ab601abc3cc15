//! The measured score: what a company actually does on tradewind, beside what it says.
//!
//! [`PlatformActivity`] is a plain set of counts. The store fills it from what tradewind
//! records today (registration, verification, evidence, products); the counts about trades
//! (`trades`, `trades_with_*`) stay 0 until the features that record trades (orders,
//! invoices, documents, declarations, cross-border exchange) exist and add their counts in
//! `Store::platform_activity`. That method is the one seam: nothing here changes when they
//! do.

use super::questionnaire::{Questionnaire, Text};
use super::scoring::{BandResult, score_of_share};
use serde::{Deserialize, Serialize};

/// Counts of what a company has done on tradewind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformActivity {
    /// It completed e-registration.
    pub registered: bool,
    /// The operator verified it.
    pub verified: bool,
    /// Evidence files it uploaded electronically.
    pub evidence_files: u64,
    /// Products it lists, and how many of them carry an HS code.
    pub products: u64,
    pub products_with_hs_code: u64,
    /// Trades it took part in on tradewind, and how many of them used each electronic means.
    pub trades: u64,
    pub trades_with_e_invoice: u64,
    pub trades_with_verifiable_documents: u64,
    pub trades_with_e_certificate_of_origin: u64,
    pub trades_with_e_declaration: u64,
    pub trades_with_cross_border_exchange: u64,
}

/// What the measured score looks at. The questionnaire file gives each its name and weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// 1 when verified, ½ when registered and waiting for review.
    VerifiedRegistration,
    /// 1 when at least one evidence file was uploaded.
    ElectronicEvidence,
    /// The share of listed products with an HS code.
    ClassifiedProducts,
    /// The share of trades with an electronic invoice.
    EInvoices,
    VerifiableDocuments,
    ECertificatesOfOrigin,
    EDeclarations,
    CrossBorderExchange,
}

impl Indicator {
    pub const ALL: [Indicator; 8] = [
        Indicator::VerifiedRegistration,
        Indicator::ElectronicEvidence,
        Indicator::ClassifiedProducts,
        Indicator::EInvoices,
        Indicator::VerifiableDocuments,
        Indicator::ECertificatesOfOrigin,
        Indicator::EDeclarations,
        Indicator::CrossBorderExchange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::VerifiedRegistration => "verified_registration",
            Indicator::ElectronicEvidence => "electronic_evidence",
            Indicator::ClassifiedProducts => "classified_products",
            Indicator::EInvoices => "e_invoices",
            Indicator::VerifiableDocuments => "verifiable_documents",
            Indicator::ECertificatesOfOrigin => "e_certificates_of_origin",
            Indicator::EDeclarations => "e_declarations",
            Indicator::CrossBorderExchange => "cross_border_exchange",
        }
    }

    /// The indicator's value from 0 to 1, or `None` when it cannot be measured (a share of
    /// trades when there are none).
    pub fn value(self, a: &PlatformActivity) -> Option<f64> {
        let share = |part: u64, whole: u64| (whole > 0).then(|| (part.min(whole)) as f64 / whole as f64);
        match self {
            Indicator::VerifiedRegistration => Some(match (a.registered, a.verified) {
                (_, true) => 1.0,
                (true, false) => 0.5,
                (false, false) => 0.0,
            }),
            Indicator::ElectronicEvidence => Some(if a.evidence_files > 0 { 1.0 } else { 0.0 }),
            Indicator::ClassifiedProducts => Some(share(a.products_with_hs_code, a.products).unwrap_or(0.0)),
            Indicator::EInvoices => share(a.trades_with_e_invoice, a.trades),
            Indicator::VerifiableDocuments => share(a.trades_with_verifiable_documents, a.trades),
            Indicator::ECertificatesOfOrigin => share(a.trades_with_e_certificate_of_origin, a.trades),
            Indicator::EDeclarations => share(a.trades_with_e_declaration, a.trades),
            Indicator::CrossBorderExchange => share(a.trades_with_cross_border_exchange, a.trades),
        }
    }
}

/// What the measured score rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// No trades on tradewind yet: only registration, evidence and products count.
    RegistrationOnly,
    /// Trades on tradewind are counted.
    Trades,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorResult {
    pub id: Indicator,
    pub name: Text,
    pub weight: u32,
    /// 0 to 100, or `None` when not measured.
    pub percent: Option<u32>,
}

/// A measured score on the same 11-100 scale as the self-assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredScore {
    pub score: u32,
    pub band: BandResult,
    pub coverage: Coverage,
    pub trades: u64,
    /// A plain sentence on what the score covers.
    pub note: String,
    pub indicators: Vec<IndicatorResult>,
}

/// What the note says when there are no trades.
pub const REGISTRATION_ONLY_NOTE: &str = "No trades on tradewind yet: the measured score covers registration only.";

impl Questionnaire {
    /// The measured score: each indicator's value times its weight; an indicator that
    /// cannot be measured earns nothing.
    pub fn measure(&self, activity: &PlatformActivity) -> MeasuredScore {
        let mut share = 0.0;
        let mut indicators = Vec::new();
        for def in &self.measured.indicators {
            let value = def.id.value(activity);
            share += f64::from(def.weight) / 100.0 * value.unwrap_or(0.0);
            indicators.push(IndicatorResult {
                id: def.id,
                name: def.name.clone(),
                weight: def.weight,
                percent: value.map(|v| (v * 100.0).round() as u32),
            });
        }
        let score = score_of_share(share);
        let (coverage, note) = if activity.trades == 0 {
            (Coverage::RegistrationOnly, REGISTRATION_ONLY_NOTE.to_string())
        } else {
            (Coverage::Trades, format!("Measured on {} trade(s) on tradewind.", activity.trades))
        };
        MeasuredScore { score, band: self.band_of(score), coverage, trades: activity.trades, note, indicators }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_trades_only_registration_counts_and_says_so() {
        let q = Questionnaire::builtin();
        let a = PlatformActivity {
            registered: true,
            verified: true,
            evidence_files: 1,
            products: 4,
            products_with_hs_code: 4,
            ..PlatformActivity::default()
        };
        let m = q.measure(&a);
        // 6 + 4 + 5 = 15 of 100: 11 + 89 × 0.15 = 24.35 → 24.
        assert_eq!(m.score, 24);
        assert_eq!(m.band.level.get("en"), "internal application");
        assert_eq!(m.coverage, Coverage::RegistrationOnly);
        assert_eq!(m.note, REGISTRATION_ONLY_NOTE);
        let invoices = m.indicators.iter().find(|i| i.id == Indicator::EInvoices).expect("invoices");
        assert_eq!(invoices.percent, None, "not measured, not zero");
    }

    #[test]
    fn a_pending_company_with_nothing_else_is_start_up() {
        let q = Questionnaire::builtin();
        let m = q.measure(&PlatformActivity { registered: true, ..PlatformActivity::default() });
        // 6 × ½ = 3 of 100: 11 + 2.67 → 14.
        assert_eq!(m.score, 14);
        assert_eq!(q.measure(&PlatformActivity::default()).score, 11);
    }

    #[test]
    fn trades_count_once_there_are_some() {
        let q = Questionnaire::builtin();
        let a = PlatformActivity {
            registered: true,
            verified: true,
            evidence_files: 2,
            products: 2,
            products_with_hs_code: 1,
            trades: 10,
            trades_with_e_invoice: 10,
            trades_with_verifiable_documents: 5,
            trades_with_e_certificate_of_origin: 0,
            trades_with_e_declaration: 10,
            // More than the trades is read as all of them.
            trades_with_cross_border_exchange: 12,
        };
        let m = q.measure(&a);
        // 6 + 4 + 2.5 + 20 + 10 + 0 + 15 + 15 = 72.5 → 11 + 64.5 = 75.5 → 76 (rounding half away from zero).
        assert_eq!(m.score, 76);
        assert_eq!(m.coverage, Coverage::Trades);
        assert!(m.note.contains("10 trade(s)"));
        let every = PlatformActivity {
            trades_with_e_certificate_of_origin: 10,
            products_with_hs_code: 2,
            trades_with_verifiable_documents: 10,
            ..a
        };
        assert_eq!(q.measure(&every).score, 100);
    }
}
