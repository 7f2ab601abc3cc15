//! Orders and their escrow ledger: a purchase order created from an accepted quote or
//! directly, its life cycle moved by the domain state machine, and the money moves (fund,
//! release here; refunds and dispute decisions in `disputes`) recorded as balanced journal
//! entries in the same audited transaction as the status change. Money-moving calls take
//! an idempotency key: a retry with the same key gets the first answer back and posts
//! nothing.

use crate::marketplace::{QuoteStatus, notify_in_tx};
use crate::{
    Actor, Page, Result, Store, StoreError, corrupt, from_json, is_unique_violation, json_text, new_id, now_text,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use tradewind_domain::Money;
use tradewind_domain::deal::fx::FxLock;
use tradewind_domain::deal::ledger::{self, Account, FeeRate, JournalEntry, Ledger, Posting, Side};
use tradewind_domain::deal::order::{DeliveryWindow, Order, OrderEvent, OrderLine, OrderTerms};
use tradewind_domain::deal::{OrderId, Party, PartyId};

mod amendments;
mod disputes;
mod document_set;
mod documents;
mod ledger_check;
mod payments;
mod payouts;
pub use amendments::AmendmentAnswer;
pub use disputes::{DisputeDecision, DisputeRecord, EvidenceRecord};
pub use document_set::{DocumentRequestRecord, DocumentRole, DocumentSources};
pub use documents::{DocumentDraft, TradeDocumentRecord};
pub use ledger_check::{LedgerCheckReport, LedgerFault};
pub use payments::*;
pub use payouts::*;

/// Who moves money or reads a dispute: one of the order's two companies, or the platform
/// operator (who has no company and sees every order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    Company(&'a str),
    Operator,
}

/// Days between the earliest and the latest delivery date of an order made from a quote
/// whose request names no later "needed by" date.
pub const QUOTE_DELIVERY_WINDOW_DAYS: i64 = 30;

/// A stored order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub id: String,
    pub quote_id: Option<String>,
    #[serde(flatten)]
    pub order: Order,
    /// The order total in each party's national currency at the rates of the moment both
    /// sides agreed (absent before agreement, or when no rate table quotes them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fx_lock: Option<FxLock>,
    pub created_at: String,
    pub updated_at: String,
}

impl OrderRecord {
    /// The order id as the domain ledger names it.
    pub fn order_id(&self) -> Result<OrderId> {
        self.id.parse().map_err(|e| corrupt("order id", e))
    }
}

/// One posting as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPosting {
    pub account: Account,
    pub side: Side,
    pub amount: Money,
}

/// A stored journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntryRecord {
    pub id: String,
    pub order_id: String,
    /// `fund`, `release`, `refund` or `dispute_decision`.
    pub kind: String,
    pub memo: String,
    pub postings: Vec<StoredPosting>,
    pub created_at: String,
}

impl LedgerEntryRecord {
    /// The entry as the domain ledger takes it; refuses an unbalanced stored entry.
    pub fn journal_entry(&self) -> Result<JournalEntry> {
        let postings = self
            .postings
            .iter()
            .map(|p| match p.side {
                Side::Debit => Posting::debit(p.account.clone(), p.amount),
                Side::Credit => Posting::credit(p.account.clone(), p.amount),
            })
            .collect();
        JournalEntry::new(self.memo.clone(), postings).map_err(|e| corrupt(&format!("ledger entry {}", self.id), e))
    }
}

/// The answer to a fund or release: the order after the move and the entry posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyMove {
    pub order: OrderRecord,
    pub entry: LedgerEntryRecord,
    /// True when this is the stored answer to an earlier request with the same key.
    #[serde(default)]
    pub replayed: bool,
}

/// An order's journal entries and the balances they add up to.
#[derive(Debug, Clone)]
pub struct OrderLedger {
    pub order: OrderRecord,
    pub entries: Vec<LedgerEntryRecord>,
    pub ledger: Ledger,
}

const ORDER_COLUMNS: &str = "id, quote_id, terms, state, version, fx_lock, pending_amendment, created_at, updated_at";

fn order_from_row(r: &AnyRow) -> Result<OrderRecord> {
    let terms: String = r.try_get("terms")?;
    let state: String = r.try_get("state")?;
    let version: i64 = r.try_get("version")?;
    let fx_lock: Option<String> = r.try_get("fx_lock")?;
    let pending: Option<String> = r.try_get("pending_amendment")?;
    Ok(OrderRecord {
        id: r.try_get("id")?,
        quote_id: r.try_get("quote_id")?,
        order: Order {
            terms: from_json("order terms", &terms)?,
            version: u32::try_from(version).map_err(|e| corrupt("order version", e))?,
            status: from_json("order status", &state)?,
            pending_amendment: pending.map(|p| from_json("pending amendment", &p)).transpose()?,
        },
        fx_lock: fx_lock.map(|l| from_json("fx lock", &l)).transpose()?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const ENTRY_COLUMNS: &str = "id, order_id, kind, memo, postings, created_at";

fn entry_from_row(r: &AnyRow) -> Result<LedgerEntryRecord> {
    let postings: String = r.try_get("postings")?;
    Ok(LedgerEntryRecord {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        kind: r.try_get("kind")?,
        memo: r.try_get("memo")?,
        postings: from_json("postings", &postings)?,
        created_at: r.try_get("created_at")?,
    })
}

/// The side `organization_id` is on, or not found: an order is invisible to everyone else.
fn side(o: &OrderRecord, organization_id: &str) -> Result<Party> {
    let party: PartyId = organization_id.parse().map_err(|_| StoreError::NotFound)?;
    o.order.terms.side_of(&party).ok_or(StoreError::NotFound)
}

/// The order's terms from an accepted quote and its request: one line with the request's
/// HS code, quantity and unit at the quote's unit price, on the quote's Incoterm, named
/// place and payment terms. Delivery starts the quote's lead time after `today` and ends
/// on the request's "needed by" date, or [`QUOTE_DELIVERY_WINDOW_DAYS`] later when that
/// date is missing or earlier.
fn terms_from_quote(
    buyer: &str,
    quote: &crate::QuoteRecord,
    lead: &crate::Lead,
    today: time::Date,
) -> Result<OrderTerms> {
    let hs_code = lead.lead.hs_code.clone().ok_or_else(|| {
        StoreError::Refused("the request names no HS code; place a purchase order with POST /api/v1/orders".into())
    })?;
    let earliest = today + time::Duration::days(i64::from(quote.quote.lead_time_days));
    let latest = match lead.lead.needed_by {
        Some(d) if d >= earliest => d,
        _ => earliest + time::Duration::days(QUOTE_DELIVERY_WINDOW_DAYS),
    };
    let terms = OrderTerms {
        seller: quote.organization_id.parse().map_err(|e| corrupt("seller id", e))?,
        buyer: buyer.parse().map_err(|e| corrupt("buyer id", e))?,
        currency: quote.quote.unit_price.currency(),
        lines: vec![OrderLine {
            description: lead.lead.title.clone(),
            hs_code,
            quantity: lead.lead.quantity,
            unit: lead.lead.unit,
            unit_price: quote.quote.unit_price,
        }],
        incoterm: quote.quote.incoterm,
        named_place: quote.quote.named_place.clone(),
        payment_terms: quote.quote.payment_terms,
        delivery: DeliveryWindow { earliest, latest },
    };
    terms.total().map_err(|e| StoreError::Refused(format!("the order total cannot be computed: {e}")))?;
    Ok(terms)
}

impl Store {
    /// Inserts a draft order and tells the seller.
    async fn insert_order(
        tx: &mut crate::audit::AuditedTx,
        terms: &OrderTerms,
        quote_id: Option<&str>,
    ) -> Result<String> {
        let id = new_id();
        let order = Order::draft(terms.clone());
        let now = now_text();
        let res = sqlx::query(
            "INSERT INTO orders (id, buyer_org, seller_org, quote_id, terms, status, state, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(terms.buyer.as_str())
        .bind(terms.seller.as_str())
        .bind(quote_id)
        .bind(json_text(&order.terms)?)
        .bind(order.status.label())
        .bind(json_text(&order.status)?)
        .bind(i64::from(order.version))
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await;
        match res {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Refused("an order was already made from this quote".into()));
            }
            other => other?,
        };
        notify_in_tx(
            tx,
            terms.seller.as_str(),
            "order_placed",
            "A buyer placed an order with you",
            json!({"order_id": id, "quote_id": quote_id}),
        )
        .await?;
        Ok(id)
    }

    /// A direct purchase order: a draft neither side has accepted yet.
    pub async fn create_order(&self, actor: &Actor, terms: &OrderTerms) -> Result<OrderRecord> {
        let mut tx = self.begin_audited().await?;
        let total = terms.total().map_err(|e| StoreError::Refused(e.to_string()))?;
        let id = Self::insert_order(&mut tx, terms, None).await?;
        tx.commit(
            actor,
            Some(terms.buyer.as_str()),
            "order.created",
            &format!("order:{id}"),
            json!({"seller": terms.seller, "total": total}),
        )
        .await?;
        self.get_order(terms.buyer.as_str(), &id).await
    }

    /// A draft order from the quote the buyer accepted.
    pub async fn create_order_from_quote(
        &self,
        actor: &Actor,
        buyer: &str,
        quote_id: &str,
        today: time::Date,
    ) -> Result<OrderRecord> {
        let mut tx = self.begin_audited().await?;
        let (quote, lead) = crate::marketplace::quote_and_lead_in(&mut tx, quote_id).await?;
        if lead.organization_id != buyer {
            return Err(StoreError::NotFound);
        }
        if quote.status != QuoteStatus::Accepted {
            return Err(StoreError::Refused("accept the quote first (POST /api/v1/quotes/{id}/accept)".into()));
        }
        let terms = terms_from_quote(buyer, &quote, &lead, today)?;
        let total = terms.total().map_err(|e| StoreError::Refused(e.to_string()))?;
        let id = Self::insert_order(&mut tx, &terms, Some(quote_id)).await?;
        tx.commit(
            actor,
            Some(buyer),
            "order.created",
            &format!("order:{id}"),
            json!({"seller": terms.seller, "quote_id": quote_id, "total": total}),
        )
        .await?;
        self.get_order(buyer, &id).await
    }

    /// An order, for one of its two parties only.
    pub async fn get_order(&self, organization_id: &str, id: &str) -> Result<OrderRecord> {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1 AND (buyer_org = $2 OR seller_org = $2)"
        ))
        .bind(id)
        .bind(organization_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        order_from_row(&row)
    }

    /// A company's orders as buyer or seller, oldest first, `limit` at a time after `after`.
    pub async fn list_orders(&self, organization_id: &str, after: &str, limit: usize) -> Result<Page<OrderRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE (buyer_org = $1 OR seller_org = $1) AND id > $2
             ORDER BY id LIMIT $3"
        ))
        .bind(organization_id)
        .bind(after)
        .bind(limit as i64 + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(order_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, limit, |o| o.id.clone()))
    }

    pub(crate) async fn order_in(
        tx: &mut crate::audit::AuditedTx,
        organization_id: &str,
        id: &str,
    ) -> Result<OrderRecord> {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1 AND (buyer_org = $2 OR seller_org = $2)"
        ))
        .bind(id)
        .bind(organization_id)
        .fetch_optional(&mut *tx.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        order_from_row(&row)
    }

    pub(crate) async fn save_status(tx: &mut crate::audit::AuditedTx, o: &OrderRecord) -> Result<()> {
        // A closing order drops its pending amendment, so that is saved with the status.
        sqlx::query("UPDATE orders SET status = $1, state = $2, pending_amendment = $3, updated_at = $4 WHERE id = $5")
            .bind(o.order.status.label())
            .bind(json_text(&o.order.status)?)
            .bind(o.order.pending_amendment.as_ref().map(json_text).transpose()?)
            .bind(&o.updated_at)
            .bind(&o.id)
            .execute(&mut *tx.tx)
            .await?;
        Ok(())
    }

    /// Saves everything an amendment or a revision changes: terms, version, status and the
    /// pending amendment.
    pub(crate) async fn save_terms(tx: &mut crate::audit::AuditedTx, o: &OrderRecord) -> Result<()> {
        sqlx::query("UPDATE orders SET terms = $1, version = $2, state = $3, status = $4, pending_amendment = $5, updated_at = $6 WHERE id = $7")
            .bind(json_text(&o.order.terms)?)
            .bind(i64::from(o.order.version))
            .bind(json_text(&o.order.status)?)
            .bind(o.order.status.label())
            .bind(o.order.pending_amendment.as_ref().map(json_text).transpose()?)
            .bind(&o.updated_at)
            .bind(&o.id)
            .execute(&mut *tx.tx)
            .await?;
        Ok(())
    }

    /// The order total in each party's national currency at `rates`, saved on the order.
    async fn lock_rates(
        tx: &mut crate::audit::AuditedTx,
        o: &mut OrderRecord,
        rates: &tradewind_domain::marketplace::FxRates,
    ) -> Result<()> {
        let total = o.order.terms.total().map_err(|e| corrupt("order total", e))?;
        let mut targets = Vec::new();
        for party in [&o.order.terms.buyer, &o.order.terms.seller] {
            let country: Option<String> = sqlx::query("SELECT country FROM organizations WHERE id = $1")
                .bind(party.as_str())
                .fetch_optional(&mut *tx.tx)
                .await?
                .map(|r| r.try_get("country"))
                .transpose()?;
            if let Some(c) =
                country.and_then(|c| c.parse().ok()).and_then(|c| tradewind_domain::CurrencyCode::of_country(&c))
            {
                targets.push(c);
            }
        }
        let lock = tradewind_domain::deal::fx::lock(rates, &total, &targets, &now_text());
        sqlx::query("UPDATE orders SET fx_lock = $1 WHERE id = $2")
            .bind(json_text(&lock)?)
            .bind(&o.id)
            .execute(&mut *tx.tx)
            .await?;
        o.fx_lock = Some(lock);
        Ok(())
    }

    /// Moves an order along its life cycle. An event the status does not allow is refused
    /// naming the events it does allow. `event` for an acceptance must be the caller's own.
    pub async fn apply_order_event(
        &self,
        actor: &Actor,
        organization_id: &str,
        id: &str,
        event: OrderEvent,
    ) -> Result<OrderRecord> {
        // The rate table as it stands when both sides agree; read before the write begins.
        let rates = if matches!(event, OrderEvent::Accept { .. }) { self.fx_rates().await? } else { None };
        let mut tx = self.begin_audited().await?;
        let current = Self::order_in(&mut tx, organization_id, id).await?;
        let party = side(&current, organization_id)?;
        if let OrderEvent::Accept { party: p } = &event
            && *p != party
        {
            return Err(StoreError::Refused(format!("only the {p} can accept as the {p}")));
        }
        if matches!(event, OrderEvent::Fund | OrderEvent::Release) {
            return Err(StoreError::Refused(format!(
                "{} moves money: pay through the payment provider, or release escrow",
                event.name()
            )));
        }
        let name = event.name();
        let from = current.order.status.label();
        let order = current.order.clone().apply(event).map_err(|e| StoreError::Refused(e.to_string()))?;
        let mut next = OrderRecord { order, updated_at: now_text(), ..current };
        Self::save_status(&mut tx, &next).await?;
        if from != "agreed"
            && next.order.status.label() == "agreed"
            && let Some(rates) = &rates
        {
            Self::lock_rates(&mut tx, &mut next, rates).await?;
        }
        let other = match party {
            Party::Buyer => next.order.terms.seller.clone(),
            Party::Seller => next.order.terms.buyer.clone(),
        };
        // The milestones have their own kinds (for webhook filters); agreement reaches both.
        let to = next.order.status.label();
        let kind = match to {
            "agreed" if from != "agreed" => "order_agreed",
            "shipped" if from != "shipped" => "order_shipped",
            "delivered" if from != "delivered" => "order_delivered",
            _ => "order_updated",
        };
        let body = json!({"order_id": id, "event": name, "status": to});
        let subject = format!("The {party} did {name} on an order; it is now {to}");
        notify_in_tx(&mut tx, other.as_str(), kind, &subject, body.clone()).await?;
        if kind == "order_agreed" {
            notify_in_tx(&mut tx, organization_id, kind, "Both sides accepted the order; it binds now", body).await?;
        }
        tx.commit(
            actor,
            Some(organization_id),
            &format!("order.{name}"),
            &format!("order:{id}"),
            json!({"from": from, "to": next.order.status.label(), "party": party}),
        )
        .await?;
        Ok(next)
    }

    /// The buyer releases escrow after delivery: the seller is owed the escrowed amount
    /// minus the platform fee at `fee`, the platform earns the fee, and the order completes.
    pub async fn release_order(
        &self,
        actor: &Actor,
        buyer: &str,
        id: &str,
        idempotency_key: &str,
        fee: FeeRate,
    ) -> Result<MoneyMove> {
        // Writers queue on the audit head first, so two requests with the same key run one
        // after the other and the second finds the first one's answer.
        let mut tx = self.begin_audited().await?;
        let request = format!("release order {id}");
        if let Some(mut answer) =
            earlier_answer::<MoneyMove>(&mut tx, Caller::Company(buyer), idempotency_key, &request).await?
        {
            answer.replayed = true;
            return Ok(answer);
        }
        let current = Self::order_in(&mut tx, buyer, id).await?;
        if side(&current, buyer)? != Party::Buyer {
            return Err(StoreError::Refused("only the buyer can release this order".into()));
        }
        let from = current.order.status.label();
        let (order, entry) = Self::post_with_event(&mut tx, current, OrderEvent::Release, "release", |l, o, oid| {
            let escrowed = l.escrowed(oid, o.order.terms.currency)?;
            ledger::release(oid, &o.order.terms.seller, escrowed, fee)
        })
        .await?;
        let answer = MoneyMove { order, entry, replayed: false };
        keep_answer(&mut tx, Caller::Company(buyer), idempotency_key, &request, &answer).await?;
        notify_in_tx(
            &mut tx,
            answer.order.order.terms.seller.as_str(),
            "order_updated",
            &format!("The buyer released escrow on an order; it is now {}", answer.order.order.status.label()),
            json!({"order_id": id, "event": "release", "status": answer.order.order.status.label()}),
        )
        .await?;
        let amounts = posting_details(&answer.entry);
        tx.commit(
            actor,
            Some(buyer),
            "order.release",
            &format!("order:{id}"),
            json!({"from": from, "to": answer.order.order.status.label(), "entry": answer.entry.id, "postings": amounts}),
        )
        .await?;
        Ok(answer)
    }

    /// Applies a money-moving event to an order and posts its journal entry, built by
    /// `journal` from the order's ledger so far, in the caller's transaction: the status
    /// and the entry change together or not at all.
    pub(crate) async fn post_with_event(
        tx: &mut crate::audit::AuditedTx,
        current: OrderRecord,
        event: OrderEvent,
        kind: &str,
        journal: impl FnOnce(&Ledger, &OrderRecord, &OrderId) -> std::result::Result<JournalEntry, ledger::LedgerError>,
    ) -> Result<(OrderRecord, LedgerEntryRecord)> {
        let order_id = current.order_id()?;
        let entries = Self::entries_in(tx, &current.id).await?;
        let mut ledger = replay(&entries)?;
        let order = current.order.clone().apply(event).map_err(|e| StoreError::Refused(e.to_string()))?;
        let journal = journal(&ledger, &current, &order_id).map_err(|e| StoreError::Refused(e.to_string()))?;
        ledger.post(journal.clone()).map_err(|e| StoreError::Refused(e.to_string()))?;
        let entry = insert_entry(tx, &current.id, kind, &journal).await?;
        let next = OrderRecord { order, updated_at: entry.created_at.clone(), ..current };
        Self::save_status(tx, &next).await?;
        Ok((next, entry))
    }

    async fn entries_in(tx: &mut crate::audit::AuditedTx, order_id: &str) -> Result<Vec<LedgerEntryRecord>> {
        let rows = sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE order_id = $1 ORDER BY id"))
            .bind(order_id)
            .fetch_all(&mut *tx.tx)
            .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// An order's journal entries, oldest first, and the balances replayed from them, for
    /// one of its two parties only.
    pub async fn order_ledger(&self, organization_id: &str, id: &str) -> Result<OrderLedger> {
        let order = self.get_order(organization_id, id).await?;
        let rows = sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE order_id = $1 ORDER BY id"))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        let entries = rows.iter().map(entry_from_row).collect::<Result<Vec<_>>>()?;
        let ledger = replay(&entries)?;
        Ok(OrderLedger { order, entries, ledger })
    }
}

/// The stored answer to an earlier request with this key, or none; a key first used for
/// another request is refused.
pub(crate) async fn earlier_answer<T: serde::de::DeserializeOwned>(
    tx: &mut crate::audit::AuditedTx,
    caller: Caller<'_>,
    key: &str,
    request: &str,
) -> Result<Option<T>> {
    let row = match caller {
        Caller::Company(org) => {
            sqlx::query("SELECT request, response FROM idempotency_keys WHERE organization_id = $1 AND idem_key = $2")
                .bind(org)
                .bind(key)
                .fetch_optional(&mut *tx.tx)
                .await?
        }
        Caller::Operator => {
            sqlx::query("SELECT request, response FROM operator_idempotency_keys WHERE idem_key = $1")
                .bind(key)
                .fetch_optional(&mut *tx.tx)
                .await?
        }
    };
    let Some(r) = row else { return Ok(None) };
    let was: String = r.try_get("request")?;
    if was != request {
        return Err(StoreError::Conflict {
            field: "Idempotency-Key",
            message: format!("this key was already used to {was}; use a new key for a new request"),
        });
    }
    let response: String = r.try_get("response")?;
    Ok(Some(from_json("idempotent response", &response)?))
}

/// Keeps a request's key and its answer, in the transaction that moved the money.
pub(crate) async fn keep_answer<T: Serialize>(
    tx: &mut crate::audit::AuditedTx,
    caller: Caller<'_>,
    key: &str,
    request: &str,
    answer: &T,
) -> Result<()> {
    let q = match caller {
        Caller::Company(org) => sqlx::query(
            "INSERT INTO idempotency_keys (organization_id, idem_key, request, response, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org),
        Caller::Operator => sqlx::query(
            "INSERT INTO operator_idempotency_keys (idem_key, request, response, created_at) VALUES ($1, $2, $3, $4)",
        ),
    };
    q.bind(key).bind(request).bind(json_text(answer)?).bind(now_text()).execute(&mut *tx.tx).await?;
    Ok(())
}

/// Stores a balanced journal entry for an order.
async fn insert_entry(
    tx: &mut crate::audit::AuditedTx,
    order_id: &str,
    kind: &str,
    journal: &JournalEntry,
) -> Result<LedgerEntryRecord> {
    let entry = LedgerEntryRecord {
        id: new_id(),
        order_id: order_id.to_string(),
        kind: kind.to_string(),
        memo: journal.memo().to_string(),
        postings: journal
            .postings()
            .iter()
            .map(|p| StoredPosting { account: p.account.clone(), side: p.side, amount: p.amount })
            .collect(),
        created_at: now_text(),
    };
    sqlx::query(&format!("INSERT INTO ledger_entries ({ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"))
        .bind(&entry.id)
        .bind(&entry.order_id)
        .bind(&entry.kind)
        .bind(&entry.memo)
        .bind(json_text(&entry.postings)?)
        .bind(&entry.created_at)
        .execute(&mut *tx.tx)
        .await?;
    Ok(entry)
}

/// The postings of an entry as audit details.
fn posting_details(entry: &LedgerEntryRecord) -> Vec<serde_json::Value> {
    entry.postings.iter().map(|p| json!({"account": p.account, "side": p.side, "amount": p.amount})).collect()
}

fn replay(entries: &[LedgerEntryRecord]) -> Result<Ledger> {
    let journal = entries.iter().map(LedgerEntryRecord::journal_entry).collect::<Result<Vec<_>>>()?;
    Ledger::replay(journal).map_err(|e| corrupt("ledger", e))
}
