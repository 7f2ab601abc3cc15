//! The commercial invoice and the credit note as data: what they say, built from an order
//! and its two parties, their VAT treatment, document-level allowances and charges, and
//! their totals (EN 16931 BT-106 … BT-115).
//!
//! # VAT in cross-border invoices
//! One VAT treatment applies to the whole invoice, chosen from the two parties by
//! [`VatTreatment::for_parties`]:
//! - neither VAT id recorded for the seller → category `O`, outside the scope of VAT (the
//!   rules then forbid showing any VAT id, so none is written);
//! - same country → `S`, the country's standard rate from [`standard_vat_rate`];
//! - both in the EU, different member states, both with VAT ids → `K` intra-community
//!   supply for goods (Art. 138 of Directive 2006/112/EC: the goods leave the seller's
//!   state) or `AE` reverse charge for services (Art. 196); [`SupplyKind`] chooses;
//! - both in the EU, buyer without a VAT id → `S` at the seller's rate (a distance sale;
//!   the One-Stop-Shop destination rates are not modelled);
//! - otherwise the buyer is outside the seller's VAT area → `G`, zero-rated export.
//!
//! `Z` (zero rated) and `E` (exempt, with its reason) can be set explicitly.
//!
//! Amounts follow the platform's money rule: each line and the VAT amount are rounded
//! half-to-even to the currency's minor unit, and totals are sums of rounded amounts.

use super::DocumentParty;
use crate::codes::{CountryCode, CurrencyCode};
use crate::deal::order::{OrderLine, OrderTerms, round_to_minor_unit};
use crate::incoterm::Incoterm;
use crate::money::{Money, MoneyError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Why an invoice's lines carry no VAT (EN 16931 BT-120) when the seller has no VAT
/// registration recorded.
pub const VAT_EXEMPTION_REASON: &str = "Not subject to VAT: cross-border sale invoiced without VAT registration";

/// Standard VAT/GST rates in percent, for category `S`.
///
/// Sources (checked 2025): European Commission, "VAT rates applied in the Member States of
/// the European Union", situation at 1 January 2025 (taxation-customs.ec.europa.eu);
/// HMRC "VAT rates" (GB); IRAS "Current GST rates" (SG, 9 % since 1 January 2024);
/// Vietnam Law on VAT No. 48/2024/QH15 art. 9 (VN 10 %; a temporary 8 % applies to some
/// goods under National Assembly resolutions, give the rate explicitly then). Countries
/// whose rate changed recently (FI, EE, SK, RO) are left out on purpose: a stale rate
/// would be worse than asking for one.
pub const STANDARD_VAT_RATES: &[(&str, u32)] = &[
    ("AT", 20),
    ("BE", 21),
    ("DE", 19),
    ("DK", 25),
    ("ES", 21),
    ("FR", 20),
    ("GB", 20),
    ("IE", 23),
    ("IT", 22),
    ("NL", 21),
    ("PL", 23),
    ("SE", 25),
    ("SG", 9),
    ("VN", 10),
];

/// The EU member states (one VAT area for intra-community supplies). Greece's VAT ids use
/// the prefix `EL`, its country code is `GR`.
const EU_MEMBER_STATES: [&str; 27] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT",
    "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

/// Whether `country` is an EU member state.
pub fn is_eu_member(country: CountryCode) -> bool {
    EU_MEMBER_STATES.contains(&country.as_str())
}

/// The standard VAT/GST rate of `country` in percent, when the table knows it.
pub fn standard_vat_rate(country: CountryCode) -> Option<Decimal> {
    STANDARD_VAT_RATES.iter().find(|(c, _)| *c == country.as_str()).map(|(_, r)| Decimal::from(*r))
}

/// EN 16931 VAT category (BT-151/BT-118, UNTDID 5305 as restricted by EN 16931).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatCategory {
    /// `S`: standard rated.
    StandardRate,
    /// `Z`: zero rated goods.
    ZeroRated,
    /// `E`: exempt from VAT.
    Exempt,
    /// `AE`: VAT reverse charge, the buyer accounts for the VAT.
    ReverseCharge,
    /// `K`: VAT exempt intra-community supply of goods.
    IntraCommunitySupply,
    /// `G`: free export item, VAT not charged.
    Export,
    /// `O`: services outside the scope of tax.
    OutsideScope,
}

impl VatCategory {
    /// The UNTDID 5305 code the invoice carries.
    pub fn code(self) -> &'static str {
        match self {
            VatCategory::StandardRate => "S",
            VatCategory::ZeroRated => "Z",
            VatCategory::Exempt => "E",
            VatCategory::ReverseCharge => "AE",
            VatCategory::IntraCommunitySupply => "K",
            VatCategory::Export => "G",
            VatCategory::OutsideScope => "O",
        }
    }

    pub fn from_code(code: &str) -> Option<VatCategory> {
        Some(match code.trim() {
            "S" => VatCategory::StandardRate,
            "Z" => VatCategory::ZeroRated,
            "E" => VatCategory::Exempt,
            "AE" => VatCategory::ReverseCharge,
            "K" => VatCategory::IntraCommunitySupply,
            "G" => VatCategory::Export,
            "O" => VatCategory::OutsideScope,
            _ => return None,
        })
    }

    /// The VATEX exemption reason code (BT-121) the rules expect, where one is fixed.
    pub fn exemption_reason_code(self) -> Option<&'static str> {
        match self {
            VatCategory::ReverseCharge => Some("VATEX-EU-AE"),
            VatCategory::IntraCommunitySupply => Some("VATEX-EU-IC"),
            VatCategory::Export => Some("VATEX-EU-G"),
            VatCategory::OutsideScope => Some("VATEX-EU-O"),
            VatCategory::StandardRate | VatCategory::ZeroRated | VatCategory::Exempt => None,
        }
    }

    /// Whether the category carries a rate (BT-119); `O` must not (BR-O-05).
    pub fn has_rate(self) -> bool {
        self != VatCategory::OutsideScope
    }
}

/// Whether an intra-EU sale between two VAT-registered parties is of goods (category `K`)
/// or of services (category `AE`, reverse charge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplyKind {
    /// Goods shipped to another member state: intra-community supply, `K`.
    #[default]
    Goods,
    /// Services to a business in another member state: reverse charge, `AE`.
    Services,
}

/// The VAT an invoice applies to all its lines, allowances and charges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatTreatment {
    pub category: VatCategory,
    /// Percent (BT-119/BT-152); zero for every category but `S`, unused for `O`.
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    /// Why no VAT is charged, in words (BT-120); `None` for `S` and `Z`.
    pub exemption_reason: Option<String>,
}

impl Default for VatTreatment {
    fn default() -> Self {
        VatTreatment::outside_scope()
    }
}

impl VatTreatment {
    /// Category `O`: no VAT registration, no VAT.
    pub fn outside_scope() -> VatTreatment {
        VatTreatment {
            category: VatCategory::OutsideScope,
            rate: Decimal::ZERO,
            exemption_reason: Some(VAT_EXEMPTION_REASON.into()),
        }
    }

    /// Category `S` at `rate` percent.
    pub fn standard(rate: Decimal) -> Result<VatTreatment, InvoiceError> {
        if rate <= Decimal::ZERO || rate >= Decimal::ONE_HUNDRED {
            return Err(InvoiceError::VatRate(rate));
        }
        Ok(VatTreatment { category: VatCategory::StandardRate, rate, exemption_reason: None })
    }

    /// Category `Z`: zero-rated goods.
    pub fn zero_rated() -> VatTreatment {
        VatTreatment { category: VatCategory::ZeroRated, rate: Decimal::ZERO, exemption_reason: None }
    }

    /// Category `E` with the legal reason for the exemption.
    pub fn exempt(reason: impl Into<String>) -> VatTreatment {
        VatTreatment { category: VatCategory::Exempt, rate: Decimal::ZERO, exemption_reason: Some(reason.into()) }
    }

    fn zero(category: VatCategory, reason: &str) -> VatTreatment {
        VatTreatment { category, rate: Decimal::ZERO, exemption_reason: Some(reason.into()) }
    }

    /// Category `G`: export outside the seller's VAT area, zero rated.
    pub fn export() -> VatTreatment {
        VatTreatment::zero(VatCategory::Export, "Export outside the VAT area, zero rated")
    }

    /// Category `AE`: the buyer accounts for the VAT.
    pub fn reverse_charge() -> VatTreatment {
        VatTreatment::zero(VatCategory::ReverseCharge, "Reverse charge: VAT to be accounted for by the buyer")
    }

    /// Category `K`: exempt intra-community supply of goods.
    pub fn intra_community_supply() -> VatTreatment {
        VatTreatment::zero(VatCategory::IntraCommunitySupply, "Intra-community supply of goods, exempt from VAT")
    }

    /// The treatment the two parties' countries and VAT ids call for (see the module
    /// documentation for the rule).
    pub fn for_parties(
        seller: &DocumentParty,
        buyer: &DocumentParty,
        supply: SupplyKind,
    ) -> Result<VatTreatment, InvoiceError> {
        let has = |p: &DocumentParty| p.vat_id.as_deref().is_some_and(|v| !v.trim().is_empty());
        if !has(seller) {
            return Ok(VatTreatment::outside_scope());
        }
        let standard = |country: CountryCode| {
            standard_vat_rate(country).ok_or(InvoiceError::NoStandardRate(country)).and_then(VatTreatment::standard)
        };
        if seller.country == buyer.country {
            return standard(seller.country);
        }
        if is_eu_member(seller.country) && is_eu_member(buyer.country) {
            if !has(buyer) {
                return standard(seller.country);
            }
            return Ok(match supply {
                SupplyKind::Goods => VatTreatment::intra_community_supply(),
                SupplyKind::Services => VatTreatment::reverse_charge(),
            });
        }
        Ok(VatTreatment::export())
    }

    /// The VAT on `taxable`, rounded to the currency's minor unit.
    pub fn tax_on(&self, taxable: Money) -> Result<Money, InvoiceError> {
        let currency = taxable.currency();
        let raw = taxable.amount().checked_mul(self.rate).ok_or(MoneyError::Overflow)? / Decimal::ONE_HUNDRED;
        Ok(Money::new(round_to_minor_unit(raw, currency), currency)?)
    }
}

/// Whether a document-level amount reduces (allowance, BG-20) or adds to (charge, BG-21)
/// the invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowanceOrCharge {
    Allowance,
    Charge,
}

/// A document-level allowance or charge. It takes the invoice's VAT treatment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowanceCharge {
    pub kind: AllowanceOrCharge,
    /// Positive; the kind says which way it counts.
    pub amount: Money,
    /// In words (BT-97/BT-104).
    pub reason: String,
    /// UNTDID 5189 for allowances, UNTDID 7161 for charges (BT-98/BT-105), when a code fits.
    pub reason_code: Option<String>,
}

impl AllowanceCharge {
    /// Sea or air freight the seller pays under a C or D Incoterm (UNTDID 7161 `FC`).
    pub fn freight(amount: Money) -> AllowanceCharge {
        AllowanceCharge {
            kind: AllowanceOrCharge::Charge,
            amount,
            reason: "Freight".into(),
            reason_code: Some("FC".into()),
        }
    }

    /// Cargo insurance the seller buys under CIF or CIP. The UNTDID 7161 subset EN 16931
    /// accepts has no insurance code, so only the reason is given.
    pub fn insurance(amount: Money) -> AllowanceCharge {
        AllowanceCharge { kind: AllowanceOrCharge::Charge, amount, reason: "Insurance".into(), reason_code: None }
    }

    /// A discount on the whole invoice (UNTDID 5189 `95`).
    pub fn discount(amount: Money) -> AllowanceCharge {
        AllowanceCharge {
            kind: AllowanceOrCharge::Allowance,
            amount,
            reason: "Discount".into(),
            reason_code: Some("95".into()),
        }
    }

    /// The amount with its sign in the invoice total.
    fn signed(&self) -> Decimal {
        match self.kind {
            AllowanceOrCharge::Allowance => -self.amount.amount(),
            AllowanceOrCharge::Charge => self.amount.amount(),
        }
    }
}

/// The VAT breakdown of one category and rate (BG-23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VatSubtotal {
    pub treatment: VatTreatment,
    /// BT-116.
    pub taxable: Money,
    /// BT-117.
    pub tax: Money,
}

/// The document totals (BG-22) and the VAT breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceTotals {
    /// BT-106: sum of the line net amounts.
    pub line_total: Money,
    /// BT-107: sum of the document-level allowances.
    pub allowance_total: Money,
    /// BT-108: sum of the document-level charges.
    pub charge_total: Money,
    /// BT-109 = BT-106 − BT-107 + BT-108.
    pub tax_exclusive: Money,
    /// BG-23; one entry, as one treatment applies to the invoice.
    pub vat_breakdown: Vec<VatSubtotal>,
    /// BT-110.
    pub vat_total: Money,
    /// BT-112 = BT-109 + BT-110.
    pub tax_inclusive: Money,
    /// BT-115 (nothing prepaid, no rounding amount).
    pub payable: Money,
}

/// What an invoice for an order carries beyond the order itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceOptions {
    /// For intra-EU sales between VAT-registered parties: `K` for goods, `AE` for services.
    pub supply: SupplyKind,
    /// Overrides the treatment [`VatTreatment::for_parties`] would choose (e.g. `Z`, `E`,
    /// or `S` at a reduced rate).
    pub vat: Option<VatTreatment>,
    /// Freight the seller pays and invoices (C and D Incoterms only).
    pub freight: Option<Money>,
    /// Insurance the seller buys and invoices (CIF and CIP only).
    pub insurance: Option<Money>,
    /// A discount on the whole invoice.
    pub discount: Option<Money>,
    /// When the goods were delivered (BT-72); an intra-community supply needs it.
    pub delivery_date: Option<time::Date>,
}

/// The seller's commercial invoice for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommercialInvoice {
    /// Unique per seller; the platform numbers it from the order and the version.
    pub number: String,
    pub issue_date: time::Date,
    pub due_date: Option<time::Date>,
    pub currency: CurrencyCode,
    /// The buyer's order this invoice bills.
    pub order_reference: String,
    pub seller: DocumentParty,
    pub buyer: DocumentParty,
    pub lines: Vec<OrderLine>,
    /// Incoterm 2020 and named place, e.g. "FOB VNSGN".
    pub delivery_terms: String,
    pub delivery_country: Option<CountryCode>,
    pub payment_note: String,
    /// The VAT on every line, allowance and charge; `O` unless chosen otherwise.
    #[serde(default)]
    pub vat: VatTreatment,
    /// Document-level allowances and charges (BG-20/BG-21).
    #[serde(default)]
    pub allowances_charges: Vec<AllowanceCharge>,
    /// When the goods were delivered (BT-72), when known.
    #[serde(default)]
    pub delivery_date: Option<time::Date>,
}

/// Why an invoice cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("an invoice needs at least one line")]
    NoLines,
    #[error("{0}")]
    Amount(#[from] MoneyError),
    #[error(
        "{0} has more than two decimals; EN 16931 invoices carry amounts with at most two, so this order cannot be invoiced in it yet"
    )]
    TooManyDecimals(CurrencyCode),
    #[error("no standard VAT rate is on record for {0}; give the rate explicitly")]
    NoStandardRate(CountryCode),
    #[error("a VAT rate of {0} % is not a standard rate; give a percentage above 0 and below 100")]
    VatRate(Decimal),
    #[error("{what} is not the seller's cost under {incoterm}; only {allowed} include it")]
    NotInIncoterm { what: &'static str, incoterm: &'static str, allowed: &'static str },
    #[error("the {0} must be a positive amount in the invoice currency")]
    AllowanceChargeAmount(String),
    #[error(
        "the allowances ({allowances}) exceed the lines and charges ({lines}); the invoice total cannot be negative"
    )]
    AllowancesExceedTotal { allowances: Money, lines: Money },
    #[error(
        "an intra-community supply (VAT category K) needs the delivery date (BT-72) and a buyer VAT id; record when the goods were delivered"
    )]
    IntraCommunityNeedsDelivery,
}

impl CommercialInvoice {
    /// The invoice for `terms` from the seller to the buyer, dated `issue_date`, outside the
    /// scope of VAT and without allowances or charges (see [`Self::for_order_with`]).
    pub fn for_order(
        order_id: &str,
        version: u32,
        terms: &OrderTerms,
        seller: DocumentParty,
        buyer: DocumentParty,
        issue_date: time::Date,
        payment_note: String,
    ) -> Result<CommercialInvoice, InvoiceError> {
        if terms.lines.is_empty() {
            return Err(InvoiceError::NoLines);
        }
        if terms.currency.minor_units().unwrap_or(0) > 2 {
            return Err(InvoiceError::TooManyDecimals(terms.currency));
        }
        let short: String = order_id.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
        Ok(CommercialInvoice {
            number: format!("INV-{}-{version}", short.to_ascii_uppercase()),
            issue_date,
            due_date: None,
            currency: terms.currency,
            order_reference: order_id.to_string(),
            seller,
            buyer,
            lines: terms.lines.clone(),
            delivery_terms: format!("{} {}", terms.incoterm.code(), terms.named_place),
            delivery_country: terms.named_place.as_str().get(..2).and_then(|c| c.parse().ok()),
            payment_note,
            vat: VatTreatment::outside_scope(),
            allowances_charges: Vec::new(),
            delivery_date: None,
        })
    }

    /// The invoice for an order with its VAT treatment chosen from the parties (or given in
    /// `options`) and the freight, insurance and discount the options name. Freight is
    /// accepted only under C and D Incoterms and insurance only under CIF and CIP, the
    /// terms under which the seller pays them.
    #[allow(clippy::too_many_arguments)]
    pub fn for_order_with(
        order_id: &str,
        version: u32,
        terms: &OrderTerms,
        seller: DocumentParty,
        buyer: DocumentParty,
        issue_date: time::Date,
        payment_note: String,
        options: &InvoiceOptions,
    ) -> Result<CommercialInvoice, InvoiceError> {
        let mut inv = CommercialInvoice::for_order(order_id, version, terms, seller, buyer, issue_date, payment_note)?;
        inv.vat = match &options.vat {
            Some(v) => v.clone(),
            None => VatTreatment::for_parties(&inv.seller, &inv.buyer, options.supply)?,
        };
        inv.delivery_date = options.delivery_date;
        use Incoterm::*;
        if let Some(freight) = options.freight {
            if !matches!(terms.incoterm, Cfr | Cif | Cpt | Cip | Dap | Dpu | Ddp) {
                return Err(InvoiceError::NotInIncoterm {
                    what: "freight",
                    incoterm: terms.incoterm.code(),
                    allowed: "CFR, CIF, CPT, CIP, DAP, DPU and DDP",
                });
            }
            inv.allowances_charges.push(AllowanceCharge::freight(freight));
        }
        if let Some(insurance) = options.insurance {
            if !matches!(terms.incoterm, Cif | Cip) {
                return Err(InvoiceError::NotInIncoterm {
                    what: "insurance",
                    incoterm: terms.incoterm.code(),
                    allowed: "CIF and CIP",
                });
            }
            inv.allowances_charges.push(AllowanceCharge::insurance(insurance));
        }
        if let Some(discount) = options.discount {
            inv.allowances_charges.push(AllowanceCharge::discount(discount));
        }
        inv.check()?;
        Ok(inv)
    }

    /// Checks what the writers rely on: allowance and charge amounts, a non-negative total
    /// and what an intra-community supply needs.
    pub fn check(&self) -> Result<(), InvoiceError> {
        for ac in &self.allowances_charges {
            if ac.amount.currency() != self.currency || ac.amount.amount() <= Decimal::ZERO {
                return Err(InvoiceError::AllowanceChargeAmount(ac.reason.to_lowercase()));
            }
        }
        if self.vat.category == VatCategory::IntraCommunitySupply
            && (self.delivery_date.is_none() || self.buyer.vat_id.is_none())
        {
            return Err(InvoiceError::IntraCommunityNeedsDelivery);
        }
        let totals = self.totals()?;
        if totals.tax_exclusive.amount() < Decimal::ZERO {
            return Err(InvoiceError::AllowancesExceedTotal {
                allowances: totals.allowance_total,
                lines: totals.line_total.checked_add(&totals.charge_total)?,
            });
        }
        Ok(())
    }

    /// Each line's net amount, rounded to the currency's minor unit.
    pub fn line_amounts(&self) -> Result<Vec<Money>, InvoiceError> {
        self.lines
            .iter()
            .map(|l| {
                let raw = l.quantity.checked_mul(l.unit_price.amount()).ok_or(MoneyError::Overflow)?;
                Ok(Money::new(round_to_minor_unit(raw, self.currency), self.currency)?)
            })
            .collect()
    }

    /// The sum of the line amounts (BT-106: no charges, allowances or VAT).
    pub fn total(&self) -> Result<Money, InvoiceError> {
        let mut sum = Money::from_minor_units(0, self.currency);
        for a in self.line_amounts()? {
            sum = sum.checked_add(&a)?;
        }
        Ok(sum)
    }

    /// The totals and VAT breakdown, as EN 16931 computes them (BR-CO-10 … BR-CO-17).
    pub fn totals(&self) -> Result<InvoiceTotals, InvoiceError> {
        let zero = Money::from_minor_units(0, self.currency);
        let line_total = self.total()?;
        let (mut allowance_total, mut charge_total) = (zero, zero);
        for ac in &self.allowances_charges {
            match ac.kind {
                AllowanceOrCharge::Allowance => allowance_total = allowance_total.checked_add(&ac.amount)?,
                AllowanceOrCharge::Charge => charge_total = charge_total.checked_add(&ac.amount)?,
            }
        }
        let net: Decimal = self.allowances_charges.iter().map(AllowanceCharge::signed).sum();
        let tax_exclusive = Money::new(line_total.amount() + net, self.currency)?;
        let vat_total = self.vat.tax_on(tax_exclusive)?;
        let tax_inclusive = tax_exclusive.checked_add(&vat_total)?;
        Ok(InvoiceTotals {
            line_total,
            allowance_total,
            charge_total,
            tax_exclusive,
            vat_breakdown: vec![VatSubtotal { treatment: self.vat.clone(), taxable: tax_exclusive, tax: vat_total }],
            vat_total,
            tax_inclusive,
            payable: tax_inclusive,
        })
    }

    /// The deliver-to country (BT-80): for an intra-community supply the buyer's member
    /// state, where the goods go by definition; otherwise the Incoterm place's country.
    pub fn ship_to_country(&self) -> Option<CountryCode> {
        if self.vat.category == VatCategory::IntraCommunitySupply {
            Some(self.buyer.country)
        } else {
            self.delivery_country
        }
    }

    /// Whether VAT ids may be shown: never on an invoice outside the scope of VAT (BR-O-02).
    pub fn shows_vat_ids(&self) -> bool {
        self.vat.category != VatCategory::OutsideScope
    }
}

/// A credit note: the seller credits the buyer part of an invoice (a refund), as an
/// invoice-shaped document whose lines say what is credited, referring to the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNote {
    /// Number, dates, parties and the credited lines.
    pub document: CommercialInvoice,
    /// The number of the invoice credited (BT-25).
    pub credits_invoice: String,
}

impl CreditNote {
    /// The credit note for `refunded` against the invoice `invoice_number`, from the
    /// order's invoice data `document` (for this version and date): one line, classified
    /// like the order's first line, for the refunded amount (net; the invoice's VAT
    /// treatment applies on top), without the invoice's allowances and charges.
    pub fn for_refund(
        mut document: CommercialInvoice,
        invoice_number: &str,
        refunded: Money,
    ) -> Result<CreditNote, InvoiceError> {
        let order_id = document.order_reference.clone();
        document.payment_note = format!("Refunded from escrow on tradewind against invoice {invoice_number}");
        let first = document.lines.first().cloned().ok_or(InvoiceError::NoLines)?;
        document.number = document.number.replacen("INV-", "CN-", 1);
        document.allowances_charges.clear();
        document.lines = vec![OrderLine {
            description: format!("Refund on order {order_id}: {}", first.description),
            quantity: rust_decimal::Decimal::ONE,
            unit_price: refunded,
            ..first
        }];
        Ok(CreditNote { document, credits_invoice: invoice_number.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deal::PartyId;
    use crate::deal::order::DeliveryWindow;
    use rust_decimal::Decimal;

    fn party(name: &str, country: &str) -> DocumentParty {
        DocumentParty {
            legal_name: name.into(),
            registration_number: "R1".into(),
            street: "1 Quay".into(),
            city: "Port".into(),
            postal_code: "100".into(),
            country: country.parse().expect("country"),
            lei: None,
            email: "a@b.example".into(),
            vat_id: None,
        }
    }

    fn terms(currency: &str) -> OrderTerms {
        let c: CurrencyCode = currency.parse().expect("currency");
        let line = |q: i64, p: &str| OrderLine {
            description: "Black pepper".into(),
            hs_code: "090411".parse().expect("hs"),
            quantity: Decimal::from(q),
            unit: "KGM".parse().expect("unit"),
            unit_price: Money::new(p.parse().expect("price"), c).expect("money"),
        };
        OrderTerms {
            seller: "s".parse::<PartyId>().expect("seller"),
            buyer: "b".parse::<PartyId>().expect("buyer"),
            currency: c,
            lines: vec![line(100, "4.25"), line(3, "0.33")],
            incoterm: "FOB".parse().expect("incoterm"),
            named_place: "VNSGN".parse().expect("locode"),
            payment_terms: serde_json::from_str("\"escrow\"").expect("terms"),
            delivery: DeliveryWindow {
                earliest: time::macros::date!(2026 - 12 - 01),
                latest: time::macros::date!(2026 - 12 - 31),
            },
        }
    }

    #[test]
    fn an_invoice_follows_its_order() {
        let day = time::macros::date!(2026 - 11 - 26);
        let inv = CommercialInvoice::for_order(
            "0190-abcd",
            2,
            &terms("USD"),
            party("S", "VN"),
            party("B", "DE"),
            day,
            "escrow".into(),
        )
        .expect("invoice");
        assert_eq!(inv.number, "INV-0190ABCD-2");
        assert_eq!(inv.delivery_terms, "FOB VNSGN");
        assert_eq!(inv.delivery_country.map(|c| c.to_string()), Some("VN".into()));
        assert_eq!(inv.total().expect("total"), Money::new("425.99".parse().expect("d"), inv.currency).expect("m"));
        let kwd =
            CommercialInvoice::for_order("o", 1, &terms("KWD"), party("S", "VN"), party("B", "DE"), day, "x".into());
        assert!(matches!(kwd, Err(InvoiceError::TooManyDecimals(_))));
    }

    fn with_vat(name: &str, country: &str, vat: Option<&str>) -> DocumentParty {
        DocumentParty { vat_id: vat.map(str::to_string), ..party(name, country) }
    }

    #[test]
    fn the_vat_treatment_follows_the_parties() {
        let goods = SupplyKind::Goods;
        let cat = |s: &DocumentParty, b: &DocumentParty, k| VatTreatment::for_parties(s, b, k).expect("vat").category;
        let de = with_vat("S", "DE", Some("DE123456789"));
        let fr = with_vat("B", "FR", Some("FR12345678901"));
        let vn = with_vat("B", "VN", Some("VN0101234567"));
        assert_eq!(cat(&party("S", "DE"), &fr, goods), VatCategory::OutsideScope, "no seller VAT id: O");
        assert_eq!(cat(&de, &fr, goods), VatCategory::IntraCommunitySupply);
        assert_eq!(cat(&de, &fr, SupplyKind::Services), VatCategory::ReverseCharge);
        assert_eq!(cat(&de, &party("B", "FR"), goods), VatCategory::StandardRate, "B2C distance sale");
        assert_eq!(cat(&de, &vn, goods), VatCategory::Export);
        assert_eq!(cat(&vn, &de, goods), VatCategory::Export);
        let domestic = VatTreatment::for_parties(&de, &with_vat("B", "DE", None), goods).expect("vat");
        assert_eq!((domestic.category, domestic.rate), (VatCategory::StandardRate, Decimal::from(19)));
        let sg = VatTreatment::for_parties(&with_vat("S", "SG", Some("M90312345A")), &party("B", "SG"), goods);
        assert_eq!(sg.expect("vat").rate, Decimal::from(9));
        let br = VatTreatment::for_parties(&with_vat("S", "BR", Some("BR1")), &party("B", "BR"), goods);
        assert!(matches!(br, Err(InvoiceError::NoStandardRate(_))), "{br:?}");
        assert_eq!(VatCategory::Export.exemption_reason_code(), Some("VATEX-EU-G"));
        for c in ["S", "Z", "E", "AE", "K", "G", "O"] {
            assert_eq!(VatCategory::from_code(c).map(VatCategory::code), Some(c));
        }
    }

    #[test]
    fn charges_follow_the_incoterm_and_count_in_the_totals() {
        let day = time::macros::date!(2026 - 11 - 26);
        let usd = |s: &str| Money::new(s.parse().expect("d"), "USD".parse().expect("usd")).expect("m");
        let mut t = terms("USD");
        let options = InvoiceOptions {
            freight: Some(usd("120.00")),
            insurance: Some(usd("4.50")),
            discount: Some(usd("25.99")),
            vat: Some(VatTreatment::standard(Decimal::from(19)).expect("rate")),
            ..InvoiceOptions::default()
        };
        let fob = CommercialInvoice::for_order_with(
            "o",
            1,
            &t,
            party("S", "DE"),
            party("B", "DE"),
            day,
            "x".into(),
            &options,
        );
        assert!(matches!(fob, Err(InvoiceError::NotInIncoterm { what: "freight", .. })), "{fob:?}");
        t.incoterm = "CIF".parse().expect("cif");
        let inv = CommercialInvoice::for_order_with(
            "o",
            1,
            &t,
            party("S", "DE"),
            party("B", "DE"),
            day,
            "x".into(),
            &options,
        )
        .expect("invoice");
        let totals = inv.totals().expect("totals");
        // 425.99 lines − 25.99 discount + 124.50 charges = 524.50; 19 % VAT = 99.655 → 99.66.
        assert_eq!(totals.line_total, usd("425.99"));
        assert_eq!(totals.allowance_total, usd("25.99"));
        assert_eq!(totals.charge_total, usd("124.50"));
        assert_eq!(totals.tax_exclusive, usd("524.50"));
        assert_eq!(totals.vat_total, usd("99.66"));
        assert_eq!(totals.payable, usd("624.16"));
        let too_much = InvoiceOptions { discount: Some(usd("1000")), ..InvoiceOptions::default() };
        let r = CommercialInvoice::for_order_with(
            "o",
            1,
            &t,
            party("S", "DE"),
            party("B", "DE"),
            day,
            "x".into(),
            &too_much,
        );
        assert!(matches!(r, Err(InvoiceError::AllowancesExceedTotal { .. })), "{r:?}");
        // Intra-community supply needs the delivery date.
        let k = CommercialInvoice::for_order_with(
            "o",
            1,
            &t,
            with_vat("S", "DE", Some("DE1")),
            with_vat("B", "FR", Some("FR1")),
            day,
            "x".into(),
            &InvoiceOptions::default(),
        );
        assert_eq!(k, Err(InvoiceError::IntraCommunityNeedsDelivery));
    }

    proptest::proptest! {
        /// BT-109 = BT-106 − BT-107 + BT-108, BT-112 = BT-109 + BT-110 and the VAT is the
        /// rate applied to BT-109 within half a minor unit, for any lines and charges.
        #[test]
        fn totals_add_up(
            lines in proptest::collection::vec((1i64..100_000, 1i64..1_000_000), 1..12),
            charge in 0i64..100_000,
            discount in 0i64..10_000,
            rate in proptest::sample::select(vec![0u32, 7, 9, 10, 19, 20, 21, 25]),
        ) {
            let mut t = terms("EUR");
            t.incoterm = "CIP".parse().expect("cip");
            let eur: CurrencyCode = "EUR".parse().expect("eur");
            t.lines = lines.iter().map(|(q, p)| OrderLine {
                quantity: Decimal::new(*q, 2),
                unit_price: Money::from_minor_units(*p, eur),
                ..t.lines[0].clone()
            }).collect();
            let options = InvoiceOptions {
                insurance: (charge > 0).then(|| Money::from_minor_units(charge, eur)),
                discount: (discount > 0).then(|| Money::from_minor_units(discount, eur)),
                vat: Some(if rate == 0 { VatTreatment::zero_rated() } else {
                    VatTreatment::standard(Decimal::from(rate)).expect("rate")
                }),
                ..InvoiceOptions::default()
            };
            let day = time::macros::date!(2026 - 11 - 26);
            let inv = CommercialInvoice::for_order_with("o", 1, &t, party("S", "DE"), party("B", "DE"), day, "x".into(), &options);
            let inv = match inv {
                Ok(inv) => inv,
                Err(InvoiceError::AllowancesExceedTotal { .. }) => return Ok(()),
                Err(e) => return Err(proptest::test_runner::TestCaseError::fail(e.to_string())),
            };
            let tt = inv.totals().expect("totals");
            proptest::prop_assert_eq!(tt.tax_exclusive.amount(), tt.line_total.amount() - tt.allowance_total.amount() + tt.charge_total.amount());
            proptest::prop_assert_eq!(tt.tax_inclusive.amount(), tt.tax_exclusive.amount() + tt.vat_total.amount());
            let exact = tt.tax_exclusive.amount() * Decimal::from(rate) / Decimal::ONE_HUNDRED;
            proptest::prop_assert!((tt.vat_total.amount() - exact).abs() <= Decimal::new(5, 3));
        }
    }
}
