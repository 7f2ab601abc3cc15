//! The ledger check: replays every journal entry in the database, oldest first, and names
//! every fault it finds: a currency whose postings do not sum to zero (the trial balance),
//! an entry that does not balance or cannot be read, an account that may never go below
//! zero (escrow, the payables) going below zero, an order whose status disagrees with its
//! entries (funded without a fund entry, completed with money still in escrow, funded
//! twice, a fund of another amount than the order's total), and a settled payment without
//! its fund entry. Read-only: it is what an operator runs after a crash or a restore.

use super::*;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};
use tradewind_domain::CurrencyCode;
use tradewind_domain::deal::order::OrderStatus;

/// One thing the ledger check found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum LedgerFault {
    /// The debits and credits of all entries differ in this currency.
    TrialBalanceNotZero { currency: String, off_by: Decimal },
    /// A stored entry is not a balanced journal entry (or cannot be read at all).
    EntryUnbalanced { entry_id: String, order_id: String, reason: String },
    /// An account that may never go below zero did, after this entry.
    NegativeBalance { account: String, currency: String, balance: Decimal, after_entry: String },
    /// The order's status and its entries tell different stories.
    StatusDisagrees { order_id: String, status: String, reason: String },
    /// A payment and the ledger disagree (settled without its fund entry, or the other way).
    PaymentDisagrees { payment_id: String, order_id: String, reason: String },
}

impl std::fmt::Display for LedgerFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LedgerFault::TrialBalanceNotZero { currency, off_by } => {
                write!(f, "trial balance in {currency} is off by {off_by} (debits minus credits)")
            }
            LedgerFault::EntryUnbalanced { entry_id, order_id, reason } => {
                write!(f, "entry {entry_id} (order {order_id}) is not a balanced entry: {reason}")
            }
            LedgerFault::NegativeBalance { account, currency, balance, after_entry } => {
                write!(
                    f,
                    "{account} went to {balance} {currency} after entry {after_entry}; it may never go below zero"
                )
            }
            LedgerFault::StatusDisagrees { order_id, status, reason } => {
                write!(f, "order {order_id} is {status} but {reason}")
            }
            LedgerFault::PaymentDisagrees { payment_id, order_id, reason } => {
                write!(f, "payment {payment_id} (order {order_id}) {reason}")
            }
        }
    }
}

/// What the ledger check saw and found.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerCheckReport {
    pub entries_checked: usize,
    pub orders_checked: usize,
    pub payments_checked: usize,
    /// Debits minus credits per currency over every entry: zero in sound books.
    pub trial_balance: Vec<(String, Decimal)>,
    /// Entries per kind (`fund`, `release`, `refund`, `dispute_decision`, `payout`).
    pub entries_by_kind: BTreeMap<String, usize>,
    pub faults: Vec<LedgerFault>,
}

impl LedgerCheckReport {
    pub fn is_sound(&self) -> bool {
        self.faults.is_empty()
    }
}

/// What one order's entries add up to, for comparing with its status.
#[derive(Default)]
struct OrderBooks {
    kinds: HashMap<String, usize>,
    fund_amount: Option<Money>,
    /// Escrow for this order on its normal (credit) side, per currency.
    escrow: HashMap<CurrencyCode, Decimal>,
}

/// Where money must be, given the status: nothing posted yet, held in escrow, or gone out
/// of escrow again.
enum Expect {
    NothingPosted,
    Held,
    Settled,
}

fn expectation(status: &OrderStatus) -> Expect {
    match status {
        OrderStatus::Draft { .. } | OrderStatus::Agreed | OrderStatus::Cancelled { refunded: false } => {
            Expect::NothingPosted
        }
        OrderStatus::Funded
        | OrderStatus::InProduction
        | OrderStatus::Shipped
        | OrderStatus::Delivered
        | OrderStatus::Disputed { .. } => Expect::Held,
        OrderStatus::Completed | OrderStatus::Cancelled { refunded: true } => Expect::Settled,
    }
}

impl Store {
    /// Replays every order's journal entries and checks them against each other, the
    /// orders' statuses and the payments (see the module documentation). Reads in one
    /// snapshot-free pass: run it on a quiet database for an exact answer, since entries
    /// posted while it reads may be seen without their order's new status.
    pub async fn check_ledger(&self) -> Result<LedgerCheckReport> {
        let mut faults = Vec::new();
        let rows = sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        let mut sums: HashMap<(Account, CurrencyCode), Decimal> = HashMap::new();
        let mut books: HashMap<String, OrderBooks> = HashMap::new();
        let mut entries_by_kind: BTreeMap<String, usize> = BTreeMap::new();
        let mut fund_entries: HashMap<String, String> = HashMap::new();
        let mut already_negative: HashSet<(Account, CurrencyCode)> = HashSet::new();
        for row in &rows {
            let id: String = row.try_get("id")?;
            let order_id: String = row.try_get("order_id")?;
            let entry = match entry_from_row(row) {
                Ok(e) => e,
                Err(e) => {
                    faults.push(LedgerFault::EntryUnbalanced { entry_id: id, order_id, reason: e.to_string() });
                    continue;
                }
            };
            if let Err(e) = entry.journal_entry() {
                faults.push(LedgerFault::EntryUnbalanced {
                    entry_id: id.clone(),
                    order_id: order_id.clone(),
                    reason: e.to_string(),
                });
            }
            *entries_by_kind.entry(entry.kind.clone()).or_default() += 1;
            let b = books.entry(order_id.clone()).or_default();
            *b.kinds.entry(entry.kind.clone()).or_default() += 1;
            if entry.kind == "fund" {
                fund_entries.insert(id.clone(), order_id.clone());
            }
            // Even an unbalanced entry is added up, so the trial balance shows what it did.
            for p in &entry.postings {
                let signed = match p.side {
                    Side::Debit => p.amount.amount(),
                    Side::Credit => -p.amount.amount(),
                };
                let currency = p.amount.currency();
                let key = (p.account.clone(), currency);
                let sum = sums.entry(key.clone()).or_default();
                *sum += signed;
                let balance = match p.account.normal_side() {
                    Side::Debit => *sum,
                    Side::Credit => -*sum,
                };
                if let Account::Escrow { order } = &p.account
                    && order.as_str() == order_id
                {
                    *b.escrow.entry(currency).or_default() -= signed;
                    if entry.kind == "fund" && p.side == Side::Credit {
                        b.fund_amount = Some(p.amount);
                    }
                }
                if !p.account.may_go_negative() && balance < Decimal::ZERO && already_negative.insert(key) {
                    faults.push(LedgerFault::NegativeBalance {
                        account: p.account.to_string(),
                        currency: currency.to_string(),
                        balance,
                        after_entry: id.clone(),
                    });
                }
            }
        }
        let mut trial: BTreeMap<String, Decimal> = BTreeMap::new();
        for ((_, currency), sum) in &sums {
            *trial.entry(currency.to_string()).or_default() += *sum;
        }
        for (currency, off_by) in &trial {
            if !off_by.is_zero() {
                faults.push(LedgerFault::TrialBalanceNotZero { currency: currency.clone(), off_by: *off_by });
            }
        }

        let orders =
            sqlx::query(&format!("SELECT {ORDER_COLUMNS} FROM orders ORDER BY id")).fetch_all(&self.pool).await?;
        let mut known_orders = HashSet::new();
        for row in &orders {
            let id: String = row.try_get("id")?;
            known_orders.insert(id.clone());
            let order = match order_from_row(row) {
                Ok(o) => o,
                Err(e) => {
                    faults.push(LedgerFault::StatusDisagrees {
                        order_id: id,
                        status: "unreadable".into(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            let status = order.order.status.label().to_string();
            let mut disagree = |reason: String| {
                faults.push(LedgerFault::StatusDisagrees { order_id: id.clone(), status: status.clone(), reason });
            };
            let empty = OrderBooks::default();
            let b = books.get(&id).unwrap_or(&empty);
            let count = |kind: &str| b.kinds.get(kind).copied().unwrap_or(0);
            let currency = order.order.terms.currency;
            let escrowed = b.escrow.get(&currency).copied().unwrap_or(Decimal::ZERO);
            if count("fund") > 1 {
                disagree(format!("it has {} fund entries", count("fund")));
            }
            if count("release") > 1 {
                disagree(format!("it has {} release entries", count("release")));
            }
            match expectation(&order.order.status) {
                Expect::NothingPosted => {
                    let n: usize = b.kinds.values().sum();
                    if n > 0 {
                        disagree(format!("it has {n} journal entries, where an unfunded order has none"));
                    }
                }
                Expect::Held => {
                    if count("fund") == 0 {
                        disagree("it has no fund entry".into());
                    }
                    if count("release") > 0 || count("dispute_decision") > 0 {
                        disagree("its escrow was already released or decided".into());
                    }
                    if escrowed <= Decimal::ZERO {
                        disagree(format!("its escrow holds {escrowed} {currency}"));
                    }
                }
                Expect::Settled => {
                    if count("fund") == 0 {
                        disagree("it has no fund entry".into());
                    }
                    if !escrowed.is_zero() {
                        disagree(format!("its escrow still holds {escrowed} {currency}"));
                    }
                }
            }
            if let (Some(funded), Ok(total)) = (b.fund_amount, order.order.terms.total())
                && funded != total
            {
                disagree(format!("its fund entry moved {funded} for a total of {total}"));
            }
        }
        for (order_id, _) in books.iter().filter(|(id, _)| !known_orders.contains(*id)) {
            faults.push(LedgerFault::StatusDisagrees {
                order_id: order_id.clone(),
                status: "missing".into(),
                reason: "journal entries name it".into(),
            });
        }

        let payments = sqlx::query("SELECT id, order_id, status, entry_id FROM payments ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let mut paid_entries: HashSet<String> = HashSet::new();
        for row in &payments {
            let id: String = row.try_get("id")?;
            let order_id: String = row.try_get("order_id")?;
            let status: String = row.try_get("status")?;
            let entry_id: Option<String> = row.try_get("entry_id")?;
            let mut disagree = |reason: String| {
                faults.push(LedgerFault::PaymentDisagrees {
                    payment_id: id.clone(),
                    order_id: order_id.clone(),
                    reason,
                });
            };
            match (status.as_str(), &entry_id) {
                ("settled", None) => disagree("is settled without a fund entry".into()),
                ("settled", Some(e)) => match fund_entries.get(e) {
                    Some(o) if *o == order_id => {
                        if !paid_entries.insert(e.clone()) {
                            disagree(format!("shares fund entry {e} with another payment"));
                        }
                    }
                    Some(o) => disagree(format!("points at fund entry {e} of order {o}")),
                    None => disagree(format!("points at {e}, which is not a fund entry")),
                },
                (other, Some(e)) => disagree(format!("is {other} but points at entry {e}")),
                (_, None) => {}
            }
        }
        if !payments.is_empty() {
            // Once payments exist, money only enters escrow through a settled payment.
            for (entry_id, order_id) in &fund_entries {
                if !paid_entries.contains(entry_id) {
                    faults.push(LedgerFault::StatusDisagrees {
                        order_id: order_id.clone(),
                        status: "funded".into(),
                        reason: format!("fund entry {entry_id} has no settled payment"),
                    });
                }
            }
        }
        Ok(LedgerCheckReport {
            entries_checked: rows.len(),
            orders_checked: orders.len(),
            payments_checked: payments.len(),
            trial_balance: trial.into_iter().collect(),
            entries_by_kind,
            faults,
        })
    }
}
