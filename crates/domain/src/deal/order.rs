//! A B2B purchase order: its terms (lines, Incoterm with named place, payment terms,
//! delivery window, the two parties), the validation of an order form, the totals, the life
//! cycle as a state machine, and amendments that bind only once both parties accept them.
//!
//! Money rule: a line's amount is quantity × unit price, computed exactly and rounded
//! half-to-even to the currency's minor unit (ISO 4217: 0 decimals for JPY, 3 for KWD); the
//! order total is the sum of the rounded line amounts, so the printed lines add up to it.

use super::{Party, PartyId};
use crate::codes::{CurrencyCode, HsCode, Locode};
use crate::incoterm::Incoterm;
use crate::marketplace::{PaymentTerms, UnitOfMeasure};
use crate::money::{Money, MoneyError};
use crate::validation::{CodedError, ValidationErrors, iso_date, required_positive, required_text};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Most lines one order may hold.
pub const MAX_LINES: usize = 500;
/// Most decimal places a quantity may carry (grams of a tonne, and then some).
pub const MAX_QUANTITY_DECIMALS: u32 = 6;

/// One line of an order: what, how much, at what price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub description: String,
    pub hs_code: HsCode,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    pub unit: UnitOfMeasure,
    pub unit_price: Money,
}

impl OrderLine {
    /// Quantity × unit price, rounded half-to-even to the currency's minor unit.
    pub fn amount(&self) -> Result<Money, MoneyError> {
        let currency = self.unit_price.currency();
        let exact = self.quantity.checked_mul(self.unit_price.amount()).ok_or(MoneyError::Overflow)?;
        Money::new(round_to_minor_unit(exact, currency), currency)
    }
}

/// Rounds half-to-even to the currency's minor unit (banker's rounding: 0.125 USD → 0.12,
/// 0.135 USD → 0.14), the rule every amount in the deal follows.
pub fn round_to_minor_unit(amount: Decimal, currency: CurrencyCode) -> Decimal {
    let scale = u32::from(currency.minor_units().unwrap_or(0));
    amount.round_dp_with_strategy(scale, RoundingStrategy::MidpointNearestEven)
}

/// When the goods are due: the buyer expects them no earlier than `earliest` and no later
/// than `latest` (at the Incoterms delivery point).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryWindow {
    pub earliest: time::Date,
    pub latest: time::Date,
}

/// What the buyer and the seller agree to. Amendments replace the whole set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTerms {
    pub seller: PartyId,
    pub buyer: PartyId,
    pub currency: CurrencyCode,
    pub lines: Vec<OrderLine>,
    pub incoterm: Incoterm,
    /// The Incoterms named place, as a UN/LOCODE.
    pub named_place: Locode,
    pub payment_terms: PaymentTerms,
    pub delivery: DeliveryWindow,
}

impl OrderTerms {
    /// The sum of the line amounts. Fails only on lines in another currency or an amount
    /// too large to hold, both of which [`OrderForm::validate`] refuses.
    pub fn total(&self) -> Result<Money, MoneyError> {
        let mut total = Money::new(Decimal::ZERO, self.currency)?;
        for line in &self.lines {
            total = total.checked_add(&line.amount()?)?;
        }
        Ok(total)
    }

    /// Which side `party` is on in this order, if either.
    pub fn side_of(&self, party: &PartyId) -> Option<Party> {
        if *party == self.buyer {
            Some(Party::Buyer)
        } else if *party == self.seller {
            Some(Party::Seller)
        } else {
            None
        }
    }
}

/// An order line as typed. `currency` may be left out; when given it must be the order's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OrderLineForm {
    pub description: String,
    pub hs_code: String,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub quantity: Option<Decimal>,
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub unit_price: Option<Decimal>,
    pub currency: Option<String>,
}

/// A purchase order as typed: codes and dates as text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OrderForm {
    pub seller: String,
    pub buyer: String,
    pub currency: String,
    pub lines: Vec<OrderLineForm>,
    pub incoterm: String,
    pub named_place: String,
    pub payment_terms: String,
    /// `YYYY-MM-DD`.
    pub delivery_earliest: String,
    /// `YYYY-MM-DD`.
    pub delivery_latest: String,
}

impl OrderLineForm {
    fn validate(&self, e: &mut ValidationErrors, i: usize, currency: Option<CurrencyCode>) -> Option<OrderLine> {
        let f = format!("lines[{i}]");
        let description = required_text(e, &format!("{f}.description"), &self.description, 500);
        let hs_code = e.check(&format!("{f}.hs_code"), self.hs_code.parse::<HsCode>());
        let quantity = required_positive(e, &format!("{f}.quantity"), self.quantity);
        if let Some(q) = quantity
            && q.normalize().scale() > MAX_QUANTITY_DECIMALS
        {
            e.push(
                format!("{f}.quantity"),
                "too_precise",
                format!("a quantity has at most {MAX_QUANTITY_DECIMALS} decimal places"),
            );
        }
        let unit = e.check(&format!("{f}.unit"), self.unit.parse::<UnitOfMeasure>());
        let line_currency = match self.currency.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None => currency,
            Some(c) => match (e.check(&format!("{f}.currency"), c.parse::<CurrencyCode>()), currency) {
                (Some(lc), Some(oc)) if lc != oc => {
                    e.push(
                        format!("{f}.currency"),
                        "mixed_currencies",
                        format!("this line is in {lc} but the order is in {oc}: every line must be in {oc}"),
                    );
                    None
                }
                (lc, _) => lc,
            },
        };
        let price = required_positive(e, &format!("{f}.unit_price"), self.unit_price);
        let unit_price = match (price, line_currency) {
            (Some(p), Some(c)) => match Money::new(p, c) {
                Ok(m) => Some(m),
                Err(err) => {
                    e.push(format!("{f}.unit_price"), "too_precise", err.to_string());
                    None
                }
            },
            _ => None,
        };
        match (description, hs_code, quantity, unit, unit_price) {
            (Some(description), Some(hs_code), Some(quantity), Some(unit), Some(unit_price)) => {
                Some(OrderLine { description, hs_code, quantity: quantity.normalize(), unit, unit_price })
            }
            _ => None,
        }
    }
}

impl OrderForm {
    /// Validates against `today`: the delivery window may not have started in the past.
    pub fn validate(&self, today: time::Date) -> Result<OrderTerms, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let seller = e.check("seller", self.seller.parse::<PartyId>());
        let buyer = e.check("buyer", self.buyer.parse::<PartyId>());
        if let (Some(s), Some(b)) = (&seller, &buyer)
            && s == b
        {
            e.push("buyer", "same_party", "the buyer and the seller must be different organisations");
        }
        let currency = e.check("currency", self.currency.parse::<CurrencyCode>());
        if currency.is_some_and(|c| c.minor_units().is_none()) {
            e.push("currency", "not_payable", format!("{} has no minor unit and cannot be paid", self.currency.trim()));
        }
        if self.lines.is_empty() {
            e.push("lines", "required", "give at least one order line");
        } else if self.lines.len() > MAX_LINES {
            e.push("lines", "too_many", format!("an order holds at most {MAX_LINES} lines"));
        }
        let lines: Vec<Option<OrderLine>> =
            self.lines.iter().take(MAX_LINES).enumerate().map(|(i, l)| l.validate(&mut e, i, currency)).collect();
        let incoterm = e.check("incoterm", self.incoterm.parse::<Incoterm>());
        let named_place = e.check("named_place", self.named_place.parse::<Locode>());
        let payment_terms = match self.payment_terms.parse::<PaymentTerms>() {
            Ok(p) => Some(p),
            Err(m) => {
                e.push("payment_terms", "unknown_payment_terms", m);
                None
            }
        };
        let earliest = iso_date(&mut e, "delivery_earliest", &self.delivery_earliest);
        let latest = iso_date(&mut e, "delivery_latest", &self.delivery_latest);
        if let Some(d) = earliest
            && d < today
        {
            e.push("delivery_earliest", "in_the_past", format!("{d} is in the past"));
        }
        if let (Some(a), Some(b)) = (earliest, latest)
            && b < a
        {
            e.push("delivery_latest", "before_earliest", format!("the window ends ({b}) before it starts ({a})"));
        }
        let lines: Option<Vec<OrderLine>> = lines.into_iter().collect();
        match (seller, buyer, currency, lines, incoterm, named_place, payment_terms, earliest, latest) {
            (
                Some(seller),
                Some(buyer),
                Some(currency),
                Some(lines),
                Some(incoterm),
                Some(named_place),
                Some(payment_terms),
                Some(earliest),
                Some(latest),
            ) if e.is_empty() => {
                let terms = OrderTerms {
                    seller,
                    buyer,
                    currency,
                    lines,
                    incoterm,
                    named_place,
                    payment_terms,
                    delivery: DeliveryWindow { earliest, latest },
                };
                match terms.total() {
                    Ok(_) => Ok(terms),
                    Err(err) => Err(ValidationErrors::single("lines", "total_too_large", err.to_string())),
                }
            }
            _ => Err(e),
        }
    }
}

/// Where an order stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OrderStatus {
    /// Being negotiated; binds nobody until both sides accept.
    Draft {
        buyer_accepted: bool,
        seller_accepted: bool,
    },
    /// Both sides accepted: a binding order, waiting for the buyer's money.
    Agreed,
    /// The buyer's money is in escrow (or paid in advance, per the payment terms).
    Funded,
    InProduction,
    Shipped,
    /// The goods arrived (the buyer's confirmation or the carrier's proof of delivery); the
    /// buyer may still dispute until the money is released.
    Delivered,
    /// The seller was paid: a closed order.
    Completed,
    /// Called off before funding, or after funding with the buyer's money refunded.
    Cancelled {
        refunded: bool,
    },
    /// An operator must decide; `during` is where the order stood when the dispute opened.
    Disputed {
        during: DisputedStage,
    },
}

/// The stages in which money is held and a dispute may be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputedStage {
    Funded,
    InProduction,
    Shipped,
    Delivered,
}

impl DisputedStage {
    fn status(self) -> OrderStatus {
        match self {
            DisputedStage::Funded => OrderStatus::Funded,
            DisputedStage::InProduction => OrderStatus::InProduction,
            DisputedStage::Shipped => OrderStatus::Shipped,
            DisputedStage::Delivered => OrderStatus::Delivered,
        }
    }
}

/// The operator's decision on a dispute. How the money is split is the ledger's business
/// ([`super::ledger::split_dispute`]); here it only decides where the order goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeResolution {
    /// The parties settled or the complaint was unfounded: carry on where the order was.
    Withdrawn,
    /// The seller is paid in full: the order completes.
    ReleaseToSeller,
    /// The buyer gets every cent back: the order is cancelled.
    RefundToBuyer,
    /// Part to each side: the order completes.
    Split,
}

/// What happens to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    /// One side accepts the draft.
    Accept {
        party: Party,
    },
    /// The payment provider confirmed the buyer's money.
    Fund,
    StartProduction,
    Ship,
    /// The buyer confirms receipt, or the carrier reports proof of delivery.
    ConfirmDelivery,
    /// The buyer accepts the goods and the escrow is released to the seller.
    Release,
    /// The auto-release period passed without a dispute (the caller keeps the clock).
    AutoRelease,
    OpenDispute {
        by: Party,
    },
    ResolveDispute {
        resolution: DisputeResolution,
    },
    /// Called off before funding.
    Cancel,
    /// Called off after funding, before shipping, with the buyer's money refunded in full.
    RefundInFull,
}

impl OrderEvent {
    pub fn name(&self) -> &'static str {
        match self {
            OrderEvent::Accept { .. } => "accept",
            OrderEvent::Fund => "fund",
            OrderEvent::StartProduction => "start_production",
            OrderEvent::Ship => "ship",
            OrderEvent::ConfirmDelivery => "confirm_delivery",
            OrderEvent::Release => "release",
            OrderEvent::AutoRelease => "auto_release",
            OrderEvent::OpenDispute { .. } => "open_dispute",
            OrderEvent::ResolveDispute { .. } => "resolve_dispute",
            OrderEvent::Cancel => "cancel",
            OrderEvent::RefundInFull => "refund_in_full",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {event} an order that is {from}; allowed now: {allowed}")]
pub struct OrderTransitionError {
    pub from: &'static str,
    pub event: String,
    pub allowed: String,
}

impl CodedError for OrderTransitionError {
    fn code(&self) -> &'static str {
        "invalid_order_transition"
    }
}

impl OrderStatus {
    pub fn label(&self) -> &'static str {
        match self {
            OrderStatus::Draft { .. } => "draft",
            OrderStatus::Agreed => "agreed",
            OrderStatus::Funded => "funded",
            OrderStatus::InProduction => "in_production",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled { .. } => "cancelled",
            OrderStatus::Disputed { .. } => "disputed",
        }
    }

    /// The events this status accepts, by name.
    pub fn allowed(&self) -> &'static [&'static str] {
        match self {
            OrderStatus::Draft { .. } => &["accept", "cancel"],
            OrderStatus::Agreed => &["fund", "cancel"],
            OrderStatus::Funded => &["start_production", "ship", "open_dispute", "refund_in_full"],
            OrderStatus::InProduction => &["ship", "open_dispute", "refund_in_full"],
            OrderStatus::Shipped => &["confirm_delivery", "auto_release", "open_dispute"],
            OrderStatus::Delivered => &["release", "auto_release", "open_dispute"],
            OrderStatus::Disputed { .. } => &["resolve_dispute"],
            OrderStatus::Completed | OrderStatus::Cancelled { .. } => &[],
        }
    }

    /// Whether the order binds both sides (agreed and after, until it closes).
    pub fn is_binding(&self) -> bool {
        !matches!(self, OrderStatus::Draft { .. } | OrderStatus::Completed | OrderStatus::Cancelled { .. })
    }

    /// Whether escrow holds the buyer's money in this status.
    pub fn holds_funds(&self) -> bool {
        matches!(
            self,
            OrderStatus::Funded
                | OrderStatus::InProduction
                | OrderStatus::Shipped
                | OrderStatus::Delivered
                | OrderStatus::Disputed { .. }
        )
    }

    fn refuse(&self, event: impl Into<String>) -> OrderTransitionError {
        let allowed = self.allowed();
        OrderTransitionError {
            from: self.label(),
            event: event.into(),
            allowed: if allowed.is_empty() { "nothing (the order is closed)".into() } else { allowed.join(", ") },
        }
    }

    pub fn apply(self, event: OrderEvent) -> Result<OrderStatus, OrderTransitionError> {
        use OrderEvent as E;
        use OrderStatus as S;
        match (&self, &event) {
            (S::Draft { buyer_accepted, seller_accepted }, E::Accept { party }) => {
                let (b, s) = (*buyer_accepted, *seller_accepted);
                let already = match party {
                    Party::Buyer => b,
                    Party::Seller => s,
                };
                if already {
                    return Err(OrderTransitionError {
                        from: self.label(),
                        event: format!("accept again as the {party}"),
                        allowed: format!("waiting for the {} to accept", party.counterparty()),
                    });
                }
                let (b, s) = match party {
                    Party::Buyer => (true, s),
                    Party::Seller => (b, true),
                };
                Ok(if b && s { S::Agreed } else { S::Draft { buyer_accepted: b, seller_accepted: s } })
            }
            (S::Draft { .. } | S::Agreed, E::Cancel) => Ok(S::Cancelled { refunded: false }),
            (S::Agreed, E::Fund) => Ok(S::Funded),
            (S::Funded, E::StartProduction) => Ok(S::InProduction),
            (S::Funded | S::InProduction, E::Ship) => Ok(S::Shipped),
            (S::Funded | S::InProduction, E::RefundInFull) => Ok(S::Cancelled { refunded: true }),
            (S::Shipped, E::ConfirmDelivery) => Ok(S::Delivered),
            (S::Delivered, E::Release) | (S::Shipped | S::Delivered, E::AutoRelease) => Ok(S::Completed),
            (S::Funded | S::InProduction | S::Shipped | S::Delivered, E::OpenDispute { .. }) => {
                let during = match self {
                    S::Funded => DisputedStage::Funded,
                    S::InProduction => DisputedStage::InProduction,
                    S::Shipped => DisputedStage::Shipped,
                    _ => DisputedStage::Delivered,
                };
                Ok(S::Disputed { during })
            }
            (S::Disputed { during }, E::ResolveDispute { resolution }) => Ok(match resolution {
                DisputeResolution::Withdrawn => during.status(),
                DisputeResolution::ReleaseToSeller | DisputeResolution::Split => S::Completed,
                DisputeResolution::RefundToBuyer => S::Cancelled { refunded: true },
            }),
            _ => Err(self.refuse(event.name())),
        }
    }
}

/// A proposed change to agreed terms. It binds only when both sides have accepted it; the
/// side that proposes it accepts it by proposing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amendment {
    /// The order's version once this amendment binds (the current version + 1).
    pub version: u32,
    pub terms: OrderTerms,
    pub proposed_by: Party,
    pub buyer_accepted: bool,
    pub seller_accepted: bool,
}

/// Why an amendment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmendmentError {
    #[error("an order that is {0} cannot be amended (amend an agreed order before it ships; revise a draft instead)")]
    NotAmendable(&'static str),
    #[error("a draft is revised, not amended: nothing binds until both sides accept it")]
    DraftNotAmendable,
    #[error("only a draft can be revised; this order is {0}")]
    NotADraft(&'static str),
    #[error("amendment version {0} is still waiting for an answer; accept or reject it first")]
    AlreadyPending(u32),
    #[error("there is no amendment version {0} waiting")]
    NoSuchAmendment(u32),
    #[error("the {0} has already accepted amendment version {1}")]
    AlreadyAccepted(Party, u32),
    #[error("an amendment may not change the {0}")]
    ChangesParties(&'static str),
    #[error("the order is funded: an amendment may not change the total ({funded} funded, {proposed} proposed)")]
    ChangesFundedTotal { funded: Money, proposed: Money },
    #[error("the amended terms are invalid: {0}")]
    InvalidTerms(MoneyError),
}

impl CodedError for AmendmentError {
    fn code(&self) -> &'static str {
        match self {
            AmendmentError::NotAmendable(_) => "order_not_amendable",
            AmendmentError::DraftNotAmendable => "draft_not_amendable",
            AmendmentError::NotADraft(_) => "not_a_draft",
            AmendmentError::AlreadyPending(_) => "amendment_pending",
            AmendmentError::NoSuchAmendment(_) => "no_such_amendment",
            AmendmentError::AlreadyAccepted(..) => "amendment_already_accepted",
            AmendmentError::ChangesParties(_) => "amendment_changes_parties",
            AmendmentError::ChangesFundedTotal { .. } => "amendment_changes_funded_total",
            AmendmentError::InvalidTerms(_) => "invalid_terms",
        }
    }
}

/// An order: its binding terms and version, its status, and an amendment waiting for an
/// answer, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub terms: OrderTerms,
    /// 1 for the first draft; each revision of the draft and each binding amendment adds 1.
    pub version: u32,
    pub status: OrderStatus,
    pub pending_amendment: Option<Amendment>,
}

impl Order {
    /// A new draft, accepted by nobody yet.
    pub fn draft(terms: OrderTerms) -> Order {
        Order {
            terms,
            version: 1,
            status: OrderStatus::Draft { buyer_accepted: false, seller_accepted: false },
            pending_amendment: None,
        }
    }

    /// Moves the order along its life cycle. A pending amendment is dropped when the order
    /// closes.
    pub fn apply(self, event: OrderEvent) -> Result<Order, OrderTransitionError> {
        let status = self.status.apply(event)?;
        let pending_amendment = if status.is_binding() { self.pending_amendment } else { None };
        Ok(Order { status, pending_amendment, ..self })
    }

    /// Replaces a draft's terms. Earlier acceptances lapse; the reviser accepts the new
    /// version by revising it.
    pub fn revise_draft(self, by: Party, terms: OrderTerms) -> Result<Order, AmendmentError> {
        if !matches!(self.status, OrderStatus::Draft { .. }) {
            return Err(AmendmentError::NotADraft(self.status.label()));
        }
        check_same_parties(&self.terms, &terms)?;
        terms.total().map_err(AmendmentError::InvalidTerms)?;
        Ok(Order {
            terms,
            version: self.version + 1,
            status: OrderStatus::Draft { buyer_accepted: by == Party::Buyer, seller_accepted: by == Party::Seller },
            pending_amendment: None,
        })
    }

    /// Proposes new terms for a binding order that has not shipped yet. After funding, the
    /// total must stay the same (a change of price goes through a refund or a new order).
    pub fn propose_amendment(self, by: Party, terms: OrderTerms) -> Result<Order, AmendmentError> {
        match self.status {
            OrderStatus::Draft { .. } => return Err(AmendmentError::DraftNotAmendable),
            OrderStatus::Agreed | OrderStatus::Funded | OrderStatus::InProduction => {}
            ref other => return Err(AmendmentError::NotAmendable(other.label())),
        }
        if let Some(p) = &self.pending_amendment {
            return Err(AmendmentError::AlreadyPending(p.version));
        }
        check_same_parties(&self.terms, &terms)?;
        let proposed = terms.total().map_err(AmendmentError::InvalidTerms)?;
        if self.status.holds_funds() {
            let funded = self.terms.total().map_err(AmendmentError::InvalidTerms)?;
            if funded != proposed {
                return Err(AmendmentError::ChangesFundedTotal { funded, proposed });
            }
        }
        let amendment = Amendment {
            version: self.version + 1,
            terms,
            proposed_by: by,
            buyer_accepted: by == Party::Buyer,
            seller_accepted: by == Party::Seller,
        };
        Ok(Order { pending_amendment: Some(amendment), ..self })
    }

    /// Records one side's acceptance of the pending amendment `version`; once both sides
    /// have accepted, its terms replace the order's and the version moves on.
    pub fn accept_amendment(self, by: Party, version: u32) -> Result<Order, AmendmentError> {
        let Some(mut a) = self.pending_amendment.clone().filter(|a| a.version == version) else {
            return Err(AmendmentError::NoSuchAmendment(version));
        };
        let flag = match by {
            Party::Buyer => &mut a.buyer_accepted,
            Party::Seller => &mut a.seller_accepted,
        };
        if *flag {
            return Err(AmendmentError::AlreadyAccepted(by, version));
        }
        *flag = true;
        if a.buyer_accepted && a.seller_accepted {
            Ok(Order { terms: a.terms, version: a.version, pending_amendment: None, ..self })
        } else {
            Ok(Order { pending_amendment: Some(a), ..self })
        }
    }

    /// Either side turns the pending amendment down (or its proposer withdraws it); the
    /// order keeps its terms.
    pub fn reject_amendment(self, version: u32) -> Result<Order, AmendmentError> {
        match &self.pending_amendment {
            Some(a) if a.version == version => Ok(Order { pending_amendment: None, ..self }),
            _ => Err(AmendmentError::NoSuchAmendment(version)),
        }
    }
}

fn check_same_parties(old: &OrderTerms, new: &OrderTerms) -> Result<(), AmendmentError> {
    if old.buyer != new.buyer {
        return Err(AmendmentError::ChangesParties("buyer"));
    }
    if old.seller != new.seller {
        return Err(AmendmentError::ChangesParties("seller"));
    }
    if old.currency != new.currency {
        return Err(AmendmentError::ChangesParties("currency"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    fn today() -> time::Date {
        time::macros::date!(2026 - 11 - 26)
    }

    fn line(qty: &str, price: &str) -> OrderLineForm {
        OrderLineForm {
            description: "Robusta green coffee, grade 1, 60 kg bags".into(),
            hs_code: "090111".into(),
            quantity: Some(d(qty)),
            unit: "KGM".into(),
            unit_price: Some(d(price)),
            currency: None,
        }
    }

    fn form() -> OrderForm {
        OrderForm {
            seller: "org-vn-coffee".into(),
            buyer: "org-de-hanse".into(),
            currency: "USD".into(),
            lines: vec![line("19200", "2.10"), line("12.5", "3.33")],
            incoterm: "CIF".into(),
            named_place: "DEHAM".into(),
            payment_terms: "escrow".into(),
            delivery_earliest: "2027-01-10".into(),
            delivery_latest: "2027-02-01".into(),
        }
    }

    fn codes(e: ValidationErrors) -> Vec<(String, &'static str)> {
        e.0.into_iter().map(|f| (f.field, f.code)).collect()
    }

    #[test]
    fn a_good_order_validates_and_totals_exactly() {
        let t = form().validate(today()).expect("valid");
        // 19200 × 2.10 = 40320.00; 12.5 × 3.33 = 41.625 → 41.62 (half to even).
        assert_eq!(t.lines[1].amount().map(|m| m.to_string()), Ok("USD 41.62".into()));
        assert_eq!(t.total().map(|m| m.to_string()), Ok("USD 40361.62".into()));
        assert_eq!(t.side_of(&"org-de-hanse".parse().expect("id")), Some(Party::Buyer));
        assert_eq!(t.side_of(&"org-other".parse().expect("id")), None);
    }

    #[test]
    fn rounding_follows_each_currency_minor_unit() {
        let jpy: CurrencyCode = "JPY".parse().expect("jpy");
        let kwd: CurrencyCode = "KWD".parse().expect("kwd");
        assert_eq!(round_to_minor_unit(d("102.5"), jpy), d("102"));
        assert_eq!(round_to_minor_unit(d("103.5"), jpy), d("104"));
        assert_eq!(round_to_minor_unit(d("1.2345"), kwd), d("1.234"));
        assert_eq!(round_to_minor_unit(d("1.2355"), kwd), d("1.236"));
        let mut f = form();
        f.currency = "JPY".into();
        f.lines = vec![line("2.5", "101")];
        let t = f.validate(today()).expect("valid");
        assert_eq!(t.total().map(|m| m.to_string()), Ok("JPY 252".into()), "252.5 rounds to even");
    }

    #[test]
    fn bad_lines_name_the_field() {
        let mut f = form();
        f.lines = vec![line("0", "2.10"), line("-3", "-1"), line("1", "2.105"), line("1.1234567", "0")];
        f.lines.push(OrderLineForm { currency: Some("EUR".into()), ..line("1", "1") });
        f.lines.push(OrderLineForm { currency: Some("usd".into()), ..line("1", "1") });
        let c = codes(f.validate(today()).expect_err("bad"));
        for want in [
            ("lines[0].quantity", "not_positive"),
            ("lines[1].quantity", "not_positive"),
            ("lines[1].unit_price", "not_positive"),
            ("lines[2].unit_price", "too_precise"),
            ("lines[3].quantity", "too_precise"),
            ("lines[3].unit_price", "not_positive"),
            ("lines[4].currency", "mixed_currencies"),
        ] {
            assert!(c.contains(&(want.0.into(), want.1)), "{want:?} in {c:?}");
        }
        assert!(!c.iter().any(|(f, _)| f.starts_with("lines[5]")), "same currency in other case: {c:?}");
    }

    #[test]
    fn bad_order_fields_name_the_field() {
        let mut f = form();
        f.buyer = f.seller.clone();
        f.currency = "XAU".into();
        f.lines = vec![];
        f.incoterm = "DAT".into();
        f.named_place = "XXABC".into();
        f.payment_terms = "barter".into();
        f.delivery_earliest = "2026-11-01".into();
        f.delivery_latest = "2026-10-01".into();
        let c = codes(f.validate(today()).expect_err("bad"));
        for want in [
            ("buyer", "same_party"),
            ("currency", "not_payable"),
            ("lines", "required"),
            ("incoterm", "unknown_incoterm"),
            ("named_place", "invalid_locode"),
            ("payment_terms", "unknown_payment_terms"),
            ("delivery_earliest", "in_the_past"),
            ("delivery_latest", "before_earliest"),
        ] {
            assert!(c.contains(&(want.0.into(), want.1)), "{want:?} in {c:?}");
        }
        let mut f = form();
        f.lines = vec![line("79228162514264337593543950", "100000")];
        let c = codes(f.validate(today()).expect_err("overflow"));
        assert_eq!(c, vec![("lines".into(), "total_too_large")]);
    }

    fn agreed() -> Order {
        let o = Order::draft(form().validate(today()).expect("valid"));
        let o = o.apply(OrderEvent::Accept { party: Party::Seller }).expect("seller");
        assert!(matches!(o.status, OrderStatus::Draft { buyer_accepted: false, seller_accepted: true }));
        o.apply(OrderEvent::Accept { party: Party::Buyer }).expect("buyer")
    }

    #[test]
    fn the_happy_path_runs_to_completion() {
        let mut o = agreed();
        assert_eq!(o.status, OrderStatus::Agreed);
        for e in [
            OrderEvent::Fund,
            OrderEvent::StartProduction,
            OrderEvent::Ship,
            OrderEvent::ConfirmDelivery,
            OrderEvent::Release,
        ] {
            o = o.apply(e).expect("step");
        }
        assert_eq!(o.status, OrderStatus::Completed);
        let err = o.apply(OrderEvent::Fund).expect_err("closed");
        assert_eq!(err.allowed, "nothing (the order is closed)");
    }

    #[test]
    fn invalid_transitions_name_the_allowed_events() {
        let o = agreed().apply(OrderEvent::Fund).and_then(|o| o.apply(OrderEvent::Ship)).expect("shipped");
        let delivered = o.apply(OrderEvent::ConfirmDelivery).expect("delivered");
        let err = delivered.clone().apply(OrderEvent::ConfirmDelivery).expect_err("twice");
        assert_eq!(
            err.to_string(),
            "cannot confirm_delivery an order that is delivered; allowed now: release, auto_release, open_dispute"
        );
        assert_eq!(err.code(), "invalid_order_transition");
        let cancelled = agreed().apply(OrderEvent::Cancel).expect("cancel");
        assert_eq!(cancelled.status, OrderStatus::Cancelled { refunded: false });
        let err = cancelled.apply(OrderEvent::Fund).expect_err("funding a cancelled order");
        assert_eq!(err.from, "cancelled");
        let funded = agreed().apply(OrderEvent::Fund).expect("funded");
        let err = funded.clone().apply(OrderEvent::Cancel).expect_err("cancel after funding");
        assert_eq!(err.allowed, "start_production, ship, open_dispute, refund_in_full");
        let refunded = funded.apply(OrderEvent::RefundInFull).expect("refund");
        assert_eq!(refunded.status, OrderStatus::Cancelled { refunded: true });
        let o = Order::draft(form().validate(today()).expect("valid"));
        let o = o.apply(OrderEvent::Accept { party: Party::Buyer }).expect("buyer");
        let err = o.apply(OrderEvent::Accept { party: Party::Buyer }).expect_err("twice");
        assert_eq!(err.allowed, "waiting for the seller to accept");
    }

    #[test]
    fn disputes_resume_complete_or_refund() {
        let shipped = agreed().apply(OrderEvent::Fund).and_then(|o| o.apply(OrderEvent::Ship)).expect("shipped");
        let disputed = shipped.apply(OrderEvent::OpenDispute { by: Party::Buyer }).expect("dispute");
        assert_eq!(disputed.status, OrderStatus::Disputed { during: DisputedStage::Shipped });
        assert!(disputed.clone().apply(OrderEvent::AutoRelease).is_err(), "no auto-release during a dispute");
        let resolve = |r| disputed.clone().apply(OrderEvent::ResolveDispute { resolution: r }).map(|o| o.status);
        assert_eq!(resolve(DisputeResolution::Withdrawn), Ok(OrderStatus::Shipped));
        assert_eq!(resolve(DisputeResolution::Split), Ok(OrderStatus::Completed));
        assert_eq!(resolve(DisputeResolution::ReleaseToSeller), Ok(OrderStatus::Completed));
        assert_eq!(resolve(DisputeResolution::RefundToBuyer), Ok(OrderStatus::Cancelled { refunded: true }));
        assert!(agreed().apply(OrderEvent::OpenDispute { by: Party::Seller }).is_err(), "nothing held yet");
    }

    fn amended_terms(o: &Order) -> OrderTerms {
        let mut t = o.terms.clone();
        t.delivery.latest = time::macros::date!(2027 - 02 - 15);
        t
    }

    #[test]
    fn an_amendment_binds_only_when_both_sides_accept() {
        let o = agreed();
        let new_terms = amended_terms(&o);
        let o = o.propose_amendment(Party::Seller, new_terms.clone()).expect("propose");
        assert_eq!(o.version, 1, "one side only: the order is unchanged");
        assert_ne!(o.terms, new_terms);
        assert_eq!(
            o.clone().accept_amendment(Party::Seller, 2).expect_err("own"),
            AmendmentError::AlreadyAccepted(Party::Seller, 2)
        );
        assert_eq!(o.clone().accept_amendment(Party::Buyer, 3).expect_err("stale"), AmendmentError::NoSuchAmendment(3));
        assert!(matches!(
            o.clone().propose_amendment(Party::Buyer, new_terms.clone()),
            Err(AmendmentError::AlreadyPending(2))
        ));
        let rejected = o.clone().reject_amendment(2).expect("reject");
        assert_eq!((rejected.version, rejected.pending_amendment.is_none()), (1, true));
        let o = o.accept_amendment(Party::Buyer, 2).expect("accept");
        assert_eq!((o.version, &o.terms, o.pending_amendment.is_none()), (2, &new_terms, true));
    }

    #[test]
    fn amendments_keep_parties_and_funded_totals() {
        let o = agreed();
        let mut t = o.terms.clone();
        t.buyer = "org-someone-else".parse().expect("id");
        assert_eq!(o.clone().propose_amendment(Party::Buyer, t), Err(AmendmentError::ChangesParties("buyer")));
        let funded = o.apply(OrderEvent::Fund).expect("fund");
        let mut t = funded.terms.clone();
        t.lines[0].quantity = d("20000");
        let err = funded.clone().propose_amendment(Party::Buyer, t).expect_err("total");
        assert_eq!(err.code(), "amendment_changes_funded_total");
        let ok = funded.clone().propose_amendment(Party::Buyer, amended_terms(&funded));
        assert!(ok.is_ok());
        let shipped = funded.apply(OrderEvent::Ship).expect("ship");
        let t = amended_terms(&shipped);
        assert_eq!(shipped.propose_amendment(Party::Buyer, t), Err(AmendmentError::NotAmendable("shipped")));
    }

    #[test]
    fn drafts_are_revised_and_acceptances_lapse() {
        let o = Order::draft(form().validate(today()).expect("valid"));
        let o = o.apply(OrderEvent::Accept { party: Party::Buyer }).expect("buyer");
        let t = amended_terms(&o);
        assert_eq!(o.clone().propose_amendment(Party::Seller, t.clone()), Err(AmendmentError::DraftNotAmendable));
        let o = o.revise_draft(Party::Seller, t).expect("revise");
        assert_eq!(o.version, 2);
        assert_eq!(o.status, OrderStatus::Draft { buyer_accepted: false, seller_accepted: true });
        let o = o.apply(OrderEvent::Accept { party: Party::Buyer }).expect("buyer again");
        assert_eq!(o.status, OrderStatus::Agreed);
        let t = o.terms.clone();
        assert_eq!(o.revise_draft(Party::Buyer, t), Err(AmendmentError::NotADraft("agreed")));
    }

    #[test]
    fn closing_an_order_drops_a_pending_amendment() {
        let o = agreed();
        let t = amended_terms(&o);
        let o = o.propose_amendment(Party::Buyer, t).expect("propose");
        let o = o.apply(OrderEvent::Cancel).expect("cancel");
        assert!(o.pending_amendment.is_none());
    }

    fn any_event() -> impl Strategy<Value = OrderEvent> {
        let party = prop_oneof![Just(Party::Buyer), Just(Party::Seller)];
        let resolution = prop_oneof![
            Just(DisputeResolution::Withdrawn),
            Just(DisputeResolution::ReleaseToSeller),
            Just(DisputeResolution::RefundToBuyer),
            Just(DisputeResolution::Split),
        ];
        prop_oneof![
            party.clone().prop_map(|party| OrderEvent::Accept { party }),
            Just(OrderEvent::Fund),
            Just(OrderEvent::StartProduction),
            Just(OrderEvent::Ship),
            Just(OrderEvent::ConfirmDelivery),
            Just(OrderEvent::Release),
            Just(OrderEvent::AutoRelease),
            party.prop_map(|by| OrderEvent::OpenDispute { by }),
            resolution.prop_map(|resolution| OrderEvent::ResolveDispute { resolution }),
            Just(OrderEvent::Cancel),
            Just(OrderEvent::RefundInFull),
        ]
    }

    proptest! {
        #[test]
        fn allowed_names_exactly_the_events_that_apply(events in prop::collection::vec(any_event(), 0..30)) {
            let mut s = OrderStatus::Draft { buyer_accepted: false, seller_accepted: false };
            let mut funded = false;
            for e in events {
                let name = e.name();
                let listed = s.allowed().contains(&name);
                match s.clone().apply(e) {
                    Ok(next) => {
                        prop_assert!(listed, "{name} applied from {} but is not listed", s.label());
                        funded |= next == OrderStatus::Funded;
                        // Money once held is never cancelled away without a refund.
                        if let OrderStatus::Cancelled { refunded } = next {
                            prop_assert_eq!(refunded, funded);
                        }
                        s = next;
                    }
                    Err(err) => {
                        // Only a repeated acceptance is listed yet refused.
                        prop_assert!(!listed || name == "accept", "{name} listed but refused from {}", s.label());
                        prop_assert_eq!(err.from, s.label());
                    }
                }
            }
        }

        #[test]
        fn the_total_is_the_sum_of_rounded_lines(
            lines in prop::collection::vec((1i64..1_000_000, 0u32..4, 1i64..10_000_000), 1..20),
            c in prop::sample::select(vec!["USD", "JPY", "KWD"]),
        ) {
            let currency: CurrencyCode = c.parse().expect("currency");
            let mut f = form();
            f.currency = c.into();
            f.lines = lines
                .iter()
                .map(|(q, qs, p)| {
                    let price = Money::from_minor_units(*p, currency).amount();
                    OrderLineForm { quantity: Some(Decimal::new(*q, *qs)), unit_price: Some(price), ..line("1", "1") }
                })
                .collect();
            let t = f.validate(today()).expect("valid");
            let total = t.total().expect("total");
            let exact: Decimal = t.lines.iter().map(|l| l.quantity * l.unit_price.amount()).sum();
            let scale = u32::from(currency.minor_units().unwrap_or(0));
            // Each line rounds by at most half a minor unit.
            let half = Decimal::new(5, scale + 1) * Decimal::from(t.lines.len());
            prop_assert!((total.amount() - exact).abs() <= half);
            prop_assert!(total.amount().scale() <= scale);
        }
    }
}
