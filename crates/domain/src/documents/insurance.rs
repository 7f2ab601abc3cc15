//! The insurance certificate: the insurer certifies that the goods of one shipment are
//! insured under an open cargo policy, for how much, against which risks and where claims are
//! paid. Under CIF and CIP the seller must insure the goods for the buyer (Incoterms 2020,
//! A5), so the seller is the assured; under every other rule the buyer insures its own risk.

use super::{
    DocumentKind, DocumentParty, DocumentSummary, DocumentView, Signatory, SummaryLine, TradeFacts, ViewTable,
};
use crate::codes::{CurrencyCode, Locode};
use crate::incoterm::Incoterm;
use crate::logistics::TransportMode;
use crate::money::Money;
use crate::validation::ValidationErrors;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Insured value as a percentage of the invoice when the insurer states none: the invoice
/// value plus 10 %, the minimum Incoterms 2020 require of CIF and CIP.
pub const DEFAULT_INSURED_PERCENT: u32 = 110;

/// One line of the goods insured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsuredGoods {
    pub description: String,
    pub hs_code: crate::codes::HsCode,
    pub quantity: Decimal,
    pub unit: crate::marketplace::UnitOfMeasure,
}

/// Who the insurance is taken out by, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssuredRole {
    /// CIF/CIP: the seller insures for the buyer's benefit.
    Seller,
    /// Any other rule: the buyer insures its own risk.
    Buyer,
}

/// An insurance certificate for an order's shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsuranceCertificate {
    pub number: String,
    pub issue_date: time::Date,
    pub insurer: DocumentParty,
    pub assured: DocumentParty,
    pub assured_role: AssuredRole,
    /// Whose interest is covered: the buyer in every case.
    pub beneficiary: DocumentParty,
    pub incoterm: Incoterm,
    pub policy_number: String,
    pub cover: String,
    pub invoice_number: String,
    pub invoice_total: Money,
    pub insured_percent: Decimal,
    pub insured_value: Money,
    pub mode: TransportMode,
    /// The vessel and voyage when known, else the mode and carrier.
    pub conveyance: String,
    pub voyage_from: Locode,
    pub voyage_to: Locode,
    pub goods: Vec<InsuredGoods>,
    pub marks_and_numbers: Option<String>,
    /// Claims are paid where the goods arrive, so the consignee can claim locally.
    pub claims_payable_at: Locode,
    pub signatory: Signatory,
    pub place_of_issue: Option<String>,
}

/// Who is the assured under `incoterm`.
pub fn assured_role(incoterm: Incoterm) -> AssuredRole {
    match incoterm {
        Incoterm::Cif | Incoterm::Cip => AssuredRole::Seller,
        _ => AssuredRole::Buyer,
    }
}

/// `invoice_total` × `percent` / 100, rounded up to the currency's minor unit so the cover
/// never falls short of the percentage.
pub fn insured_value(invoice_total: Money, percent: Decimal) -> Option<Money> {
    let currency: CurrencyCode = invoice_total.currency();
    let scale = u32::from(currency.minor_units().unwrap_or(0));
    let raw = invoice_total.amount().checked_mul(percent)?.checked_div(Decimal::ONE_HUNDRED)?;
    Money::new(raw.round_dp_with_strategy(scale, RoundingStrategy::AwayFromZero), currency).ok()
}

/// The order's invoice value: the sum of its line amounts.
pub(super) fn invoice_total(facts: &TradeFacts, errors: &mut ValidationErrors) -> Option<Money> {
    let mut sum = Money::from_minor_units(0, facts.currency);
    for (i, line) in facts.lines.iter().enumerate() {
        match line.amount().and_then(|a| sum.checked_add(&a)) {
            Ok(s) => sum = s,
            Err(e) => {
                errors.push(format!("lines[{i}].unit_price"), "amount", e.to_string());
                return None;
            }
        }
    }
    if facts.lines.is_empty() {
        errors.push("lines", "missing", "the order has no goods");
        return None;
    }
    Some(sum)
}

/// The vessel and voyage when the carrier gave them, else the flight, else mode and carrier.
pub(super) fn conveyance(facts: &TradeFacts, mode: TransportMode, carrier: &str) -> String {
    let c = &facts.carrier_fields;
    match (&c.vessel_name, &c.voyage_number, &c.flight_number) {
        (Some(vessel), Some(voyage), _) => format!("{vessel} voyage {voyage}"),
        (Some(vessel), None, _) => vessel.clone(),
        (None, _, Some(flight)) => format!("Flight {flight}"),
        _ => format!("By {mode} with {carrier}"),
    }
}

impl InsuranceCertificate {
    /// The certificate for `facts`' shipment, or every missing field named.
    pub fn build(facts: &TradeFacts, version: u32, issue_date: time::Date) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let shipment = facts.require_shipment(&mut errors);
        let named = &facts.named_fields;
        if facts.named_issuer.is_none() {
            errors.push("named_issuer", "missing", "name the insurer that issues the certificate");
        }
        if named.policy_number.is_none() {
            errors.push("named_fields.policy_number", "missing", "the insurer gives the open policy's number");
        }
        if named.cover.is_none() {
            errors.push(
                "named_fields.cover",
                "missing",
                "the insurer states the cover, e.g. Institute Cargo Clauses (A)",
            );
        }
        if named.signatory.is_none() {
            errors.push("named_fields.signatory", "missing", "the insurer names who signs the certificate");
        }
        let percent = named.insured_percent.unwrap_or(Decimal::from(DEFAULT_INSURED_PERCENT));
        if percent < Decimal::ONE_HUNDRED || percent > Decimal::from(200) {
            errors.push("named_fields.insured_percent", "out_of_range", "insured_percent must be between 100 and 200");
        }
        let total = invoice_total(facts, &mut errors);
        let value = total.and_then(|t| insured_value(t, percent));
        if total.is_some() && value.is_none() {
            errors.push("lines", "too_large", "the insured value is too large to compute");
        }
        let (
            Some(shipment),
            Some(insurer),
            Some(policy_number),
            Some(cover),
            Some(signatory),
            Some(total),
            Some(value),
            true,
        ) = (
            shipment,
            facts.named_issuer.clone(),
            named.policy_number.clone(),
            named.cover.clone(),
            named.signatory.clone(),
            total,
            value,
            errors.is_empty(),
        )
        else {
            return Err(errors);
        };
        let role = assured_role(facts.incoterm);
        Ok(InsuranceCertificate {
            number: facts.number("IC", version),
            issue_date,
            insurer,
            assured: match role {
                AssuredRole::Seller => facts.seller.clone(),
                AssuredRole::Buyer => facts.buyer.clone(),
            },
            assured_role: role,
            beneficiary: facts.buyer.clone(),
            incoterm: facts.incoterm,
            policy_number,
            cover,
            invoice_number: super::packing::invoice_reference(facts),
            invoice_total: total,
            insured_percent: percent,
            insured_value: value,
            mode: shipment.mode,
            conveyance: conveyance(facts, shipment.mode, &shipment.carrier.legal_name),
            voyage_from: shipment.origin.clone(),
            voyage_to: shipment.destination.clone(),
            goods: facts
                .lines
                .iter()
                .map(|l| InsuredGoods {
                    description: l.description.clone(),
                    hs_code: l.hs_code.clone(),
                    quantity: l.quantity,
                    unit: l.unit,
                })
                .collect(),
            marks_and_numbers: facts.seller_fields.marks_and_numbers.clone(),
            claims_payable_at: shipment.destination.clone(),
            signatory,
            place_of_issue: named.place_of_issue.clone(),
        })
    }

    pub fn summary(&self) -> DocumentSummary {
        DocumentSummary {
            // The seller appears only when it is the assured (CIF/CIP).
            seller: (self.assured_role == AssuredRole::Seller).then(|| self.assured.legal_name.clone()),
            buyer: Some(self.beneficiary.legal_name.clone()),
            lines: self
                .goods
                .iter()
                .map(|g| SummaryLine::goods(&g.description, &g.hs_code, g.quantity, g.unit.code()))
                .collect(),
            port_of_loading: Some(self.voyage_from.clone()),
            port_of_discharge: Some(self.voyage_to.clone()),
            total: Some(self.invoice_total),
            ..DocumentSummary::new(DocumentKind::InsuranceCertificate, &self.number)
        }
    }

    pub fn view(&self) -> DocumentView {
        let mut parties =
            vec![("Insurer".to_string(), self.insurer.clone()), ("Assured".to_string(), self.assured.clone())];
        if self.assured_role == AssuredRole::Seller {
            parties.push(("For the account of".to_string(), self.beneficiary.clone()));
        }
        DocumentView {
            title: DocumentKind::InsuranceCertificate.title().to_string(),
            number: self.number.clone(),
            issue_date: self.issue_date,
            parties,
            fields: vec![
                ("Policy".to_string(), self.policy_number.clone()),
                ("Cover".to_string(), self.cover.clone()),
                ("Conveyance".to_string(), self.conveyance.clone()),
                ("Voyage".to_string(), format!("From {} to {}", self.voyage_from.as_str(), self.voyage_to.as_str())),
                ("Invoice".to_string(), format!("{} ({})", self.invoice_number, self.invoice_total)),
                ("Delivery terms (Incoterms 2020)".to_string(), self.incoterm.code().to_string()),
                ("Marks and numbers".to_string(), self.marks_and_numbers.clone().unwrap_or_default()),
                ("Claims payable at".to_string(), self.claims_payable_at.as_str().to_string()),
            ],
            table: ViewTable::goods(
                self.goods.iter().map(|g| (g.description.as_str(), &g.hs_code, g.quantity, g.unit.code())),
            ),
            totals: vec![
                ("Invoice value".to_string(), self.invoice_total.to_string()),
                (
                    "Insured value".to_string(),
                    format!("{} ({} % of invoice)", self.insured_value, self.insured_percent.normalize()),
                ),
            ],
            notes: vec![format!(
                "Claims are payable at {} on presentation of this certificate with the original policy documents.",
                self.claims_payable_at.as_str()
            )],
            signatory: Some(self.signatory.clone()),
            place_of_issue: self.place_of_issue.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::sample_trade_facts;
    use proptest::prelude::*;
    use time::macros::date;

    const DAY: time::Date = date!(2026 - 11 - 19);

    fn usd(text: &str) -> Money {
        Money::new(text.parse().expect("amount"), "USD".parse().expect("usd")).expect("money")
    }

    #[test]
    fn built_from_the_sample() {
        let f = sample_trade_facts(0);
        let ic = InsuranceCertificate::build(&f, 1, DAY).expect("certificate");
        assert_eq!(ic.number, "IC-01JD8W4M6Q0S-1");
        // FOB: the buyer insures its own risk.
        assert_eq!(ic.assured_role, AssuredRole::Buyer);
        assert_eq!(ic.assured.legal_name, "Hanseatic Fine Foods GmbH");
        assert_eq!(ic.invoice_total, usd("73005.60"));
        // 73005.60 × 1.10 = 80306.16
        assert_eq!(ic.insured_value, usd("80306.16"));
        assert_eq!(ic.conveyance, "MEKONG STAR voyage 118W");
        assert_eq!(ic.claims_payable_at.as_str(), "DEHAM");
        assert_eq!(ic.summary().seller, None);
        let mut cif = f.clone();
        cif.incoterm = Incoterm::Cif;
        let ic = InsuranceCertificate::build(&cif, 1, DAY).expect("certificate");
        assert_eq!(ic.assured_role, AssuredRole::Seller);
        assert_eq!(ic.summary().seller.as_deref(), Some("Saigon Spice Export JSC"));
        assert_eq!(ic.view().parties.len(), 3);
    }

    #[test]
    fn names_every_missing_field() {
        let mut f = sample_trade_facts(0);
        f.shipment = None;
        f.named_issuer = None;
        f.named_fields.policy_number = None;
        f.named_fields.cover = None;
        f.named_fields.signatory = None;
        f.named_fields.insured_percent = Some(Decimal::from(90));
        let e = InsuranceCertificate::build(&f, 1, DAY).expect_err("missing");
        let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "shipment",
                "named_issuer",
                "named_fields.policy_number",
                "named_fields.cover",
                "named_fields.signatory",
                "named_fields.insured_percent",
            ]
        );
    }

    #[test]
    fn rounding_goes_up_to_the_minor_unit() {
        assert_eq!(insured_value(usd("0.01"), Decimal::from(110)), Some(usd("0.02")));
        let jpy: CurrencyCode = "JPY".parse().expect("jpy");
        let v = insured_value(Money::new(Decimal::from(1001), jpy).expect("jpy"), Decimal::from(110));
        assert_eq!(v.map(|m| m.amount()), Some(Decimal::from(1102)));
    }

    proptest! {
        #[test]
        fn the_insured_value_covers_the_invoice(cents in 0_i64..10_000_000_000, percent in 100_u32..=200, tenths in 0_u32..10) {
            let total = Money::from_minor_units(cents, "USD".parse().expect("usd"));
            let p = Decimal::from(percent) + Decimal::new(i64::from(tenths), 1);
            let p = p.min(Decimal::from(200));
            let v = insured_value(total, p).expect("value");
            prop_assert!(v.amount() >= total.amount());
            prop_assert!(v.amount() >= total.amount() * p / Decimal::ONE_HUNDRED);
            prop_assert!(v.amount() - total.amount() * p / Decimal::ONE_HUNDRED < Decimal::new(1, 2));
        }

        #[test]
        fn a_built_certificate_covers_its_invoice(qty in 1_i64..1_000_000, cents in 1_i64..100_000) {
            let mut f = sample_trade_facts(1);
            f.lines[0].quantity = Decimal::new(qty, 1);
            f.lines[0].unit_price = Money::new(Decimal::new(cents, 2), f.currency).expect("price");
            let ic = InsuranceCertificate::build(&f, 1, DAY).expect("certificate");
            prop_assert!(ic.insured_value.amount() >= ic.invoice_total.amount());
        }
    }
}
