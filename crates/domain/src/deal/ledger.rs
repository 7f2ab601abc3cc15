//! The double-entry ledger that every movement of deal money goes through: accounts,
//! journal entries that must balance to zero in each currency, balances derived from the
//! postings, accounts that may never go below zero, and the escrow operations (fund,
//! release minus the platform fee, refund, dispute split, payout) as functions that build
//! balanced entries.
//!
//! Sign rule: a posting's amount is positive for a debit and negative for a credit, so
//! every entry, and the whole ledger, sums to zero per currency. [`Ledger::balance`] reports
//! an account on its normal side: what the provider holds for the platform (a debit
//! account), what escrow, the payables and the fee revenue hold (credit accounts).

use super::{OrderId, PartyId};
use crate::codes::CurrencyCode;
use crate::money::{Money, MoneyError};
use crate::validation::CodedError;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// An account in the platform's books.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Account {
    /// Money the payment provider holds for the platform: buyers' payments arrive here,
    /// payouts and refund transfers leave from here (an asset).
    ProviderClearing,
    /// A buyer's money held for one order until it is released or refunded.
    Escrow { order: OrderId },
    /// What the platform owes a seller, waiting for the payout file.
    SellerPayable { seller: PartyId },
    /// What the platform owes a buyer back, waiting for the refund transfer.
    RefundsPayable { buyer: PartyId },
    /// Fees the platform earned on released money (revenue).
    PlatformFees,
    /// Duty and taxes collected for an economy's customs, net of drawback refunded; never
    /// negative, so no more is refunded than was collected.
    CustomsRevenue { economy: String },
    /// Drawback a customs owes a claimant, waiting for the refund transfer.
    DrawbackPayable { claimant: PartyId },
}

/// Which side of the books an account normally sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Debit,
    Credit,
}

impl Account {
    pub fn normal_side(&self) -> Side {
        match self {
            Account::ProviderClearing => Side::Debit,
            _ => Side::Credit,
        }
    }

    /// Escrow and the payables may never go below zero: the platform never releases,
    /// refunds or pays out money it does not hold for that order or party.
    pub fn may_go_negative(&self) -> bool {
        matches!(self, Account::ProviderClearing | Account::PlatformFees)
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::ProviderClearing => f.write_str("provider clearing"),
            Account::Escrow { order } => write!(f, "escrow for order {order}"),
            Account::SellerPayable { seller } => write!(f, "payable to seller {seller}"),
            Account::RefundsPayable { buyer } => write!(f, "refund payable to buyer {buyer}"),
            Account::PlatformFees => f.write_str("platform fees"),
            Account::CustomsRevenue { economy } => write!(f, "customs revenue of {economy}"),
            Account::DrawbackPayable { claimant } => write!(f, "drawback payable to {claimant}"),
        }
    }
}

/// One line of a journal entry: a debit or a credit of a positive amount to one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Posting {
    pub account: Account,
    pub side: Side,
    pub amount: Money,
}

impl Posting {
    pub fn debit(account: Account, amount: Money) -> Posting {
        Posting { account, side: Side::Debit, amount }
    }
    pub fn credit(account: Account, amount: Money) -> Posting {
        Posting { account, side: Side::Credit, amount }
    }
    /// Positive for a debit, negative for a credit.
    pub fn signed_amount(&self) -> Decimal {
        match self.side {
            Side::Debit => self.amount.amount(),
            Side::Credit => -self.amount.amount(),
        }
    }
}

fn minus(a: Money, b: Money) -> Result<Money, LedgerError> {
    if a.currency() != b.currency() {
        return Err(LedgerError::CurrencyMismatch(a.currency(), b.currency()));
    }
    let d = a.amount().checked_sub(b.amount()).ok_or(LedgerError::Overflow)?;
    Ok(Money::new(d, a.currency())?)
}

/// Postings that move money together: all of them or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JournalEntry {
    memo: String,
    postings: Vec<Posting>,
}

impl JournalEntry {
    /// Builds an entry, refusing one with fewer than two postings, a posting that is not
    /// above zero, or postings whose debits and credits differ in any currency.
    pub fn new(memo: impl Into<String>, postings: Vec<Posting>) -> Result<JournalEntry, LedgerError> {
        if postings.len() < 2 {
            return Err(LedgerError::TooFewPostings);
        }
        let mut sums: Vec<(CurrencyCode, Decimal)> = Vec::new();
        for p in &postings {
            if p.amount.amount() <= Decimal::ZERO {
                return Err(LedgerError::PostingNotPositive(p.account.clone()));
            }
            let c = p.amount.currency();
            match sums.iter_mut().find(|(k, _)| *k == c) {
                Some((_, s)) => *s = s.checked_add(p.signed_amount()).ok_or(LedgerError::Overflow)?,
                None => sums.push((c, p.signed_amount())),
            }
        }
        if let Some((currency, off_by)) = sums.into_iter().find(|(_, s)| !s.is_zero()) {
            return Err(LedgerError::Unbalanced { currency, off_by });
        }
        Ok(JournalEntry { memo: memo.into(), postings })
    }
    pub fn memo(&self) -> &str {
        &self.memo
    }
    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }
}

/// Why an entry or an operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("a journal entry needs at least two postings")]
    TooFewPostings,
    #[error("a posting to {0} is zero or negative: post a positive debit or credit")]
    PostingNotPositive(Account),
    #[error("the postings do not balance: {currency} is off by {off_by}")]
    Unbalanced { currency: CurrencyCode, off_by: Decimal },
    #[error("{account} would go to {balance} {currency}; it may never go below zero")]
    WouldGoNegative { account: Account, currency: CurrencyCode, balance: Decimal },
    #[error("an amount moved must be above zero, not {0}")]
    NotPositive(Money),
    #[error("the buyer's share ({to_buyer}) is more than the escrowed amount ({escrowed})")]
    ShareAboveEscrow { escrowed: Money, to_buyer: Money },
    #[error("{0} and {1} cannot be combined in one operation")]
    CurrencyMismatch(CurrencyCode, CurrencyCode),
    #[error("a fee rate is 0 to 10000 basis points (0% to 100%), not {0}")]
    FeeRateOutOfRange(u32),
    #[error("amount is too large")]
    Overflow,
}

impl CodedError for LedgerError {
    fn code(&self) -> &'static str {
        match self {
            LedgerError::TooFewPostings => "too_few_postings",
            LedgerError::PostingNotPositive(_) => "posting_not_positive",
            LedgerError::Unbalanced { .. } => "unbalanced_entry",
            LedgerError::WouldGoNegative { .. } => "insufficient_funds",
            LedgerError::NotPositive(_) => "not_positive",
            LedgerError::ShareAboveEscrow { .. } => "share_above_escrow",
            LedgerError::CurrencyMismatch(..) => "currency_mismatch",
            LedgerError::FeeRateOutOfRange(_) => "fee_rate_out_of_range",
            LedgerError::Overflow => "amount_too_large",
        }
    }
}

impl From<MoneyError> for LedgerError {
    fn from(e: MoneyError) -> Self {
        match e {
            MoneyError::CurrencyMismatch(a, b) => LedgerError::CurrencyMismatch(a, b),
            MoneyError::TooPrecise { .. } | MoneyError::Overflow => LedgerError::Overflow,
        }
    }
}

/// Journal entries in the order they were posted, and the balances they add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    entries: Vec<JournalEntry>,
    /// Debit-positive sums of the postings, kept so a post checks in constant time; always
    /// equal to summing `entries` again (see [`Ledger::replay`]).
    sums: HashMap<(Account, CurrencyCode), Decimal>,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Rebuilds a ledger from stored entries, checking each as it is posted.
    pub fn replay(entries: impl IntoIterator<Item = JournalEntry>) -> Result<Ledger, LedgerError> {
        let mut l = Ledger::new();
        for e in entries {
            l.post(e)?;
        }
        Ok(l)
    }

    /// Applies an entry, or refuses it and changes nothing when it would take an account
    /// that may not go negative below zero.
    pub fn post(&mut self, entry: JournalEntry) -> Result<(), LedgerError> {
        let mut after: Vec<((Account, CurrencyCode), Decimal)> = Vec::new();
        for p in &entry.postings {
            let key = (p.account.clone(), p.amount.currency());
            let current = match after.iter().find(|(k, _)| *k == key) {
                Some((_, v)) => *v,
                None => self.sums.get(&key).copied().unwrap_or(Decimal::ZERO),
            };
            let next = current.checked_add(p.signed_amount()).ok_or(LedgerError::Overflow)?;
            match after.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => *v = next,
                None => after.push((key, next)),
            }
        }
        for ((account, currency), sum) in &after {
            let balance = on_normal_side(account, *sum);
            if !account.may_go_negative() && balance < Decimal::ZERO {
                return Err(LedgerError::WouldGoNegative { account: account.clone(), currency: *currency, balance });
            }
        }
        self.sums.extend(after);
        self.entries.push(entry);
        Ok(())
    }

    /// The account's balance on its normal side: what escrow holds, what is owed, what
    /// the provider holds.
    pub fn balance(&self, account: &Account, currency: CurrencyCode) -> Decimal {
        let sum = self.sums.get(&(account.clone(), currency)).copied().unwrap_or(Decimal::ZERO);
        on_normal_side(account, sum)
    }

    /// What escrow holds for an order, as money.
    pub fn escrowed(&self, order: &OrderId, currency: CurrencyCode) -> Result<Money, LedgerError> {
        Ok(Money::new(self.balance(&Account::Escrow { order: order.clone() }, currency), currency)?)
    }

    /// Every account with postings, its currency and its normal-side balance, sorted.
    pub fn balances(&self) -> Vec<(Account, CurrencyCode, Decimal)> {
        let mut v: Vec<_> = self.sums.iter().map(|((a, c), s)| (a.clone(), *c, on_normal_side(a, *s))).collect();
        v.sort_by(|x, y| (&x.0, x.1.as_str()).cmp(&(&y.0, y.1.as_str())));
        v
    }

    /// The debit-positive sum of every posting per currency: zero in a sound ledger.
    pub fn trial_balance(&self) -> Vec<(CurrencyCode, Decimal)> {
        let mut totals: Vec<(CurrencyCode, Decimal)> = Vec::new();
        for ((_, c), s) in &self.sums {
            match totals.iter_mut().find(|(k, _)| k == c) {
                Some((_, t)) => *t += *s,
                None => totals.push((*c, *s)),
            }
        }
        totals.sort_by_key(|(c, _)| c.as_str());
        totals
    }

    pub fn entries(&self) -> &[JournalEntry] {
        &self.entries
    }
}

fn on_normal_side(account: &Account, debit_positive: Decimal) -> Decimal {
    match account.normal_side() {
        Side::Debit => debit_positive,
        Side::Credit => -debit_positive,
    }
}

/// The platform's fee on released money, in basis points (150 = 1.50%).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct FeeRate(u16);

impl FeeRate {
    pub const ZERO: FeeRate = FeeRate(0);

    pub fn from_basis_points(bp: u32) -> Result<FeeRate, LedgerError> {
        match u16::try_from(bp) {
            Ok(v) if v <= 10_000 => Ok(FeeRate(v)),
            _ => Err(LedgerError::FeeRateOutOfRange(bp)),
        }
    }
    pub fn basis_points(self) -> u32 {
        u32::from(self.0)
    }

    /// The fee on `amount`, rounded half-to-even to the currency's minor unit.
    pub fn fee_on(self, amount: Money) -> Result<Money, LedgerError> {
        let exact = amount.amount().checked_mul(Decimal::new(i64::from(self.0), 4)).ok_or(LedgerError::Overflow)?;
        let scale = u32::from(amount.currency().minor_units().unwrap_or(0));
        Ok(Money::new(exact.round_dp_with_strategy(scale, RoundingStrategy::MidpointNearestEven), amount.currency())?)
    }
}

impl TryFrom<u32> for FeeRate {
    type Error = LedgerError;
    fn try_from(bp: u32) -> Result<FeeRate, LedgerError> {
        FeeRate::from_basis_points(bp)
    }
}

impl From<FeeRate> for u32 {
    fn from(r: FeeRate) -> u32 {
        r.basis_points()
    }
}

fn positive(m: Money) -> Result<Money, LedgerError> {
    if m.amount() > Decimal::ZERO { Ok(m) } else { Err(LedgerError::NotPositive(m)) }
}

/// A declarant paid the duty and taxes assessed on a declaration through the provider.
pub fn pay_duty(economy: &str, declaration: &str, amount: Money) -> Result<JournalEntry, LedgerError> {
    let amount = positive(amount)?;
    JournalEntry::new(
        format!("duty and taxes on declaration {declaration}"),
        vec![
            Posting::debit(Account::ProviderClearing, amount),
            Posting::credit(Account::CustomsRevenue { economy: economy.to_string() }, amount),
        ],
    )
}

/// Duty refunded on re-exported goods: owed to the claimant out of what customs collected.
pub fn refund_drawback(
    economy: &str,
    claimant: &PartyId,
    claim: &str,
    amount: Money,
) -> Result<JournalEntry, LedgerError> {
    let amount = positive(amount)?;
    JournalEntry::new(
        format!("duty drawback claim {claim}"),
        vec![
            Posting::debit(Account::CustomsRevenue { economy: economy.to_string() }, amount),
            Posting::credit(Account::DrawbackPayable { claimant: claimant.clone() }, amount),
        ],
    )
}

/// The provider confirmed the buyer's payment for an order: it goes into escrow.
pub fn fund(order: &OrderId, amount: Money) -> Result<JournalEntry, LedgerError> {
    let amount = positive(amount)?;
    JournalEntry::new(
        format!("fund order {order}"),
        vec![
            Posting::debit(Account::ProviderClearing, amount),
            Posting::credit(Account::Escrow { order: order.clone() }, amount),
        ],
    )
}

/// Releases `amount` from escrow to the seller, keeping the platform's fee on it.
pub fn release(order: &OrderId, seller: &PartyId, amount: Money, fee: FeeRate) -> Result<JournalEntry, LedgerError> {
    let amount = positive(amount)?;
    let fee_amount = fee.fee_on(amount)?;
    let to_seller = minus(amount, fee_amount)?;
    let mut postings = vec![Posting::debit(Account::Escrow { order: order.clone() }, amount)];
    push_credit(&mut postings, Account::SellerPayable { seller: seller.clone() }, to_seller);
    push_credit(&mut postings, Account::PlatformFees, fee_amount);
    JournalEntry::new(format!("release order {order} to seller {seller}"), postings)
}

/// Gives `amount` of the escrow back to the buyer (a partial or a full refund).
pub fn refund(order: &OrderId, buyer: &PartyId, amount: Money) -> Result<JournalEntry, LedgerError> {
    let amount = positive(amount)?;
    JournalEntry::new(
        format!("refund order {order} to buyer {buyer}"),
        vec![
            Posting::debit(Account::Escrow { order: order.clone() }, amount),
            Posting::credit(Account::RefundsPayable { buyer: buyer.clone() }, amount),
        ],
    )
}

/// The operator's decision on a dispute: of `escrowed`, `to_buyer` goes back to the buyer
/// and the rest to the seller, who pays the platform's fee on that rest only.
pub fn split_dispute(
    order: &OrderId,
    buyer: &PartyId,
    seller: &PartyId,
    escrowed: Money,
    to_buyer: Money,
    fee: FeeRate,
) -> Result<JournalEntry, LedgerError> {
    let escrowed = positive(escrowed)?;
    if to_buyer.currency() != escrowed.currency() {
        return Err(LedgerError::CurrencyMismatch(escrowed.currency(), to_buyer.currency()));
    }
    if to_buyer.amount() < Decimal::ZERO {
        return Err(LedgerError::NotPositive(to_buyer));
    }
    if to_buyer.amount() > escrowed.amount() {
        return Err(LedgerError::ShareAboveEscrow { escrowed, to_buyer });
    }
    let to_seller = minus(escrowed, to_buyer)?;
    let fee_amount = fee.fee_on(to_seller)?;
    let mut postings = vec![Posting::debit(Account::Escrow { order: order.clone() }, escrowed)];
    push_credit(&mut postings, Account::RefundsPayable { buyer: buyer.clone() }, to_buyer);
    push_credit(&mut postings, Account::SellerPayable { seller: seller.clone() }, minus(to_seller, fee_amount)?);
    push_credit(&mut postings, Account::PlatformFees, fee_amount);
    JournalEntry::new(format!("dispute on order {order}: split between buyer {buyer} and seller {seller}"), postings)
}

/// The bank executed a payout to the seller (a line of the pain.001 file).
pub fn pay_out(seller: &PartyId, amount: Money) -> Result<JournalEntry, LedgerError> {
    let amount = positive(amount)?;
    JournalEntry::new(
        format!("payout to seller {seller}"),
        vec![
            Posting::debit(Account::SellerPayable { seller: seller.clone() }, amount),
            Posting::credit(Account::ProviderClearing, amount),
        ],
    )
}

/// The provider sent a refund back to the buyer.
pub fn pay_refund(buyer: &PartyId, amount: Money) -> Result<JournalEntry, LedgerError> {
    let amount = positive(amount)?;
    JournalEntry::new(
        format!("refund transfer to buyer {buyer}"),
        vec![
            Posting::debit(Account::RefundsPayable { buyer: buyer.clone() }, amount),
            Posting::credit(Account::ProviderClearing, amount),
        ],
    )
}

fn push_credit(postings: &mut Vec<Posting>, account: Account, amount: Money) {
    if !amount.amount().is_zero() {
        postings.push(Posting::credit(account, amount));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn cur(c: &str) -> CurrencyCode {
        c.parse().expect("currency")
    }
    fn usd(s: &str) -> Money {
        Money::new(Decimal::from_str(s).expect("decimal"), cur("USD")).expect("money")
    }
    fn order(n: usize) -> OrderId {
        format!("ord-{n}").parse().expect("id")
    }
    fn seller(n: usize) -> PartyId {
        format!("seller-{n}").parse().expect("id")
    }
    fn buyer(n: usize) -> PartyId {
        format!("buyer-{n}").parse().expect("id")
    }
    fn escrow(n: usize) -> Account {
        Account::Escrow { order: order(n) }
    }

    #[test]
    fn unbalanced_and_degenerate_entries_are_refused() {
        let e = JournalEntry::new(
            "bad",
            vec![Posting::debit(Account::ProviderClearing, usd("10")), Posting::credit(escrow(1), usd("9.99"))],
        );
        assert_eq!(e, Err(LedgerError::Unbalanced { currency: cur("USD"), off_by: Decimal::new(1, 2) }));
        let eur = Money::new(Decimal::from(10), cur("EUR")).expect("eur");
        let e = JournalEntry::new(
            "two currencies",
            vec![Posting::debit(Account::ProviderClearing, usd("10")), Posting::credit(escrow(1), eur)],
        );
        assert!(matches!(e, Err(LedgerError::Unbalanced { .. })));
        assert_eq!(
            JournalEntry::new("one", vec![Posting::debit(Account::ProviderClearing, usd("1"))]),
            Err(LedgerError::TooFewPostings)
        );
        assert_eq!(fund(&order(1), usd("0")).map(|_| ()), Err(LedgerError::NotPositive(usd("0"))));
    }

    #[test]
    fn fund_release_and_pay_out() {
        let mut l = Ledger::new();
        l.post(fund(&order(1), usd("1000.00")).expect("fund")).expect("post");
        assert_eq!(l.escrowed(&order(1), cur("USD")), Ok(usd("1000")));
        // 2.5% of 1000.00 = 25.00.
        let fee = FeeRate::from_basis_points(250).expect("rate");
        l.post(release(&order(1), &seller(1), usd("1000.00"), fee).expect("release")).expect("post");
        assert_eq!(l.balance(&escrow(1), cur("USD")), Decimal::ZERO);
        assert_eq!(l.balance(&Account::SellerPayable { seller: seller(1) }, cur("USD")), Decimal::from(975));
        assert_eq!(l.balance(&Account::PlatformFees, cur("USD")), Decimal::from(25));
        l.post(pay_out(&seller(1), usd("975")).expect("payout")).expect("post");
        assert_eq!(l.balance(&Account::ProviderClearing, cur("USD")), Decimal::from(25));
        assert_eq!(l.trial_balance(), vec![(cur("USD"), Decimal::ZERO)]);
        let err = l.post(pay_out(&seller(1), usd("0.01")).expect("payout")).expect_err("nothing owed");
        assert_eq!(err.code(), "insufficient_funds");
        assert_eq!(err.to_string(), "payable to seller seller-1 would go to -0.01 USD; it may never go below zero");
    }

    #[test]
    fn fees_round_half_to_even_in_the_minor_unit() {
        let r = FeeRate::from_basis_points(150).expect("rate");
        // 1.5% of 0.30 = 0.0045 → 0.00; of 0.70 = 0.0105 → 0.01; of 1.00 = 0.015 → 0.02.
        assert_eq!(r.fee_on(usd("0.30")), Ok(usd("0")));
        assert_eq!(r.fee_on(usd("0.70")), Ok(usd("0.01")));
        assert_eq!(r.fee_on(usd("1.00")), Ok(usd("0.02")));
        assert_eq!(r.fee_on(usd("2.50")).map(|m| m.to_string()), Ok("USD 0.04".into()), "0.0375 → 0.04");
        let jpy = Money::new(Decimal::from(100), cur("JPY")).expect("jpy");
        assert_eq!(r.fee_on(jpy).map(|m| m.to_string()), Ok("JPY 2".into()), "1.5 → 2");
        let kwd = Money::new(Decimal::from_str("0.100").expect("d"), cur("KWD")).expect("kwd");
        assert_eq!(r.fee_on(kwd).map(|m| m.to_string()), Ok("KWD 0.002".into()), "0.0015 → 0.002");
        assert_eq!(FeeRate::from_basis_points(10_001), Err(LedgerError::FeeRateOutOfRange(10_001)));
        // No fee: the release has two postings, not a zero third.
        let e = release(&order(1), &seller(1), usd("0.30"), r).expect("release");
        assert_eq!(e.postings().len(), 2);
    }

    #[test]
    fn refunds_and_dispute_splits() {
        let mut l = Ledger::new();
        l.post(fund(&order(1), usd("500")).expect("fund")).expect("post");
        l.post(refund(&order(1), &buyer(1), usd("100")).expect("refund")).expect("partial refund");
        let too_much = refund(&order(1), &buyer(1), usd("400.01")).expect("entry");
        let before = l.clone();
        assert!(matches!(l.post(too_much), Err(LedgerError::WouldGoNegative { .. })));
        assert_eq!(l, before, "a refused entry changes nothing");
        let held = l.escrowed(&order(1), cur("USD")).expect("held");
        let fee = FeeRate::from_basis_points(300).expect("rate");
        let e = split_dispute(&order(1), &buyer(1), &seller(1), held, usd("150"), fee).expect("split");
        l.post(e).expect("post");
        assert_eq!(l.balance(&escrow(1), cur("USD")), Decimal::ZERO);
        assert_eq!(l.balance(&Account::RefundsPayable { buyer: buyer(1) }, cur("USD")), Decimal::from(250));
        // The seller's 250 less 3% (7.50).
        assert_eq!(l.balance(&Account::SellerPayable { seller: seller(1) }, cur("USD")), Decimal::new(24250, 2));
        assert_eq!(l.balance(&Account::PlatformFees, cur("USD")), Decimal::new(750, 2));
        let err = split_dispute(&order(1), &buyer(1), &seller(1), usd("10"), usd("11"), fee).expect_err("share");
        assert_eq!(err.code(), "share_above_escrow");
        // All to the buyer: no seller or fee posting.
        let e = split_dispute(&order(2), &buyer(1), &seller(1), usd("10"), usd("10"), fee).expect("all to buyer");
        assert_eq!(e.postings().len(), 2);
        assert_eq!(Ledger::replay(l.entries().to_vec()).as_ref().map(Ledger::balances), Ok(l.balances()));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Fund {
            order: usize,
            units: i64,
        },
        Refund {
            order: usize,
            units: i64,
        },
        Release {
            order: usize,
            units: i64,
            bp: u32,
        },
        /// Split whatever escrow holds, `permille` of it to the buyer.
        SplitHeld {
            order: usize,
            permille: i64,
            bp: u32,
        },
        /// Split a claimed amount, which may be more than escrow holds.
        SplitClaimed {
            order: usize,
            units: i64,
            to_buyer: i64,
            bp: u32,
        },
        PayOut {
            seller: usize,
            units: i64,
        },
        PayRefund {
            buyer: usize,
            units: i64,
        },
    }

    fn any_op() -> impl Strategy<Value = Op> {
        let o = 0usize..3;
        let u = -5i64..200_000;
        let bp = 0u32..10_500;
        prop_oneof![
            3 => (o.clone(), u.clone()).prop_map(|(order, units)| Op::Fund { order, units }),
            2 => (o.clone(), u.clone()).prop_map(|(order, units)| Op::Refund { order, units }),
            2 => (o.clone(), u.clone(), bp.clone()).prop_map(|(order, units, bp)| Op::Release { order, units, bp }),
            1 => (o.clone(), 0i64..=1000, bp.clone()).prop_map(|(order, permille, bp)| Op::SplitHeld { order, permille, bp }),
            1 => (o.clone(), u.clone(), u.clone(), bp).prop_map(|(order, units, to_buyer, bp)| Op::SplitClaimed { order, units, to_buyer, bp }),
            1 => (0usize..3, u.clone()).prop_map(|(seller, units)| Op::PayOut { seller, units }),
            1 => (0usize..3, u).prop_map(|(buyer, units)| Op::PayRefund { buyer, units }),
        ]
    }

    /// Order n is bought by buyer n from seller n, in one of three currencies with 2, 0
    /// and 3 decimals.
    fn currency_of(order: usize) -> CurrencyCode {
        cur(["USD", "JPY", "KWD"][order % 3])
    }

    fn build(l: &Ledger, op: &Op) -> Result<(JournalEntry, usize, Decimal), LedgerError> {
        let m = |n: usize, units: i64| Money::from_minor_units(units, currency_of(n));
        let rate = FeeRate::from_basis_points;
        Ok(match *op {
            Op::Fund { order: n, units } => (fund(&order(n), m(n, units))?, n, m(n, units).amount()),
            Op::Refund { order: n, units } => (refund(&order(n), &buyer(n), m(n, units))?, n, -m(n, units).amount()),
            Op::Release { order: n, units, bp } => {
                (release(&order(n), &seller(n), m(n, units), rate(bp)?)?, n, -m(n, units).amount())
            }
            Op::SplitHeld { order: n, permille, bp } => {
                let held = l.escrowed(&order(n), currency_of(n))?;
                let share = Money::from_minor_units(held.minor_units().unwrap_or(0) * permille / 1000, currency_of(n));
                (split_dispute(&order(n), &buyer(n), &seller(n), held, share, rate(bp)?)?, n, -held.amount())
            }
            Op::SplitClaimed { order: n, units, to_buyer, bp } => (
                split_dispute(&order(n), &buyer(n), &seller(n), m(n, units), m(n, to_buyer), rate(bp)?)?,
                n,
                -m(n, units).amount(),
            ),
            Op::PayOut { seller: n, units } => (pay_out(&seller(n), m(n, units))?, n, Decimal::ZERO),
            Op::PayRefund { buyer: n, units } => (pay_refund(&buyer(n), m(n, units))?, n, Decimal::ZERO),
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn any_sequence_of_operations_keeps_the_books_sound(ops in prop::collection::vec(any_op(), 1..60)) {
            let mut l = Ledger::new();
            // What escrow should hold per order, from the operations that went through.
            let mut expected = [Decimal::ZERO; 3];
            for op in &ops {
                let Ok((entry, n, escrow_change)) = build(&l, op) else { continue };
                let mut per_currency: HashMap<CurrencyCode, Decimal> = HashMap::new();
                for p in entry.postings() {
                    prop_assert!(p.amount.amount() > Decimal::ZERO);
                    *per_currency.entry(p.amount.currency()).or_default() += p.signed_amount();
                }
                prop_assert!(per_currency.values().all(|s| s.is_zero()), "unbalanced entry {entry:?}");
                let before = l.clone();
                match l.post(entry) {
                    Ok(()) => expected[n] += escrow_change,
                    Err(e) => {
                        prop_assert!(matches!(e, LedgerError::WouldGoNegative { .. }), "{e}");
                        prop_assert_eq!(&l, &before, "a refused entry must change nothing");
                    }
                }
                for (c, total) in l.trial_balance() {
                    prop_assert!(total.is_zero(), "{c} sums to {total}");
                }
                for (a, c, b) in l.balances() {
                    prop_assert!(a.may_go_negative() || b >= Decimal::ZERO, "{a} is {b} {c}");
                }
            }
            for (n, want) in expected.iter().enumerate() {
                prop_assert_eq!(l.balance(&escrow(n), currency_of(n)), *want);
            }
            let again = Ledger::replay(l.entries().to_vec()).expect("replay");
            prop_assert_eq!(again.balances(), l.balances());
        }

        #[test]
        fn a_release_splits_the_amount_exactly(units in 1i64..1_000_000_000, bp in 0u32..=10_000, c in 0usize..3) {
            let amount = Money::from_minor_units(units, currency_of(c));
            let rate = FeeRate::from_basis_points(bp).expect("rate");
            let fee = rate.fee_on(amount).expect("fee");
            prop_assert!(fee.amount() >= Decimal::ZERO && fee.amount() <= amount.amount());
            let exact = amount.amount() * Decimal::from(bp) / Decimal::from(10_000);
            let half_unit = Decimal::new(5, u32::from(currency_of(c).minor_units().unwrap_or(0)) + 1);
            prop_assert!((fee.amount() - exact).abs() <= half_unit);
            let e = release(&order(0), &seller(0), amount, rate).expect("release");
            let credited: Decimal = e.postings().iter().filter(|p| p.side == Side::Credit).map(|p| p.amount.amount()).sum();
            prop_assert_eq!(credited, amount.amount());
        }
    }
}
