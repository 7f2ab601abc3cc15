//! Payments into escrow: the buyer starts a payment (the provider's instructions are kept
//! with it), the provider's verified callback settles it, and settlement posts the fund
//! entry and moves the order to funded in the same audited transaction. Every callback is
//! kept once per event id, so a replay changes nothing. Also: the fundings the ledger
//! knows (for reconciliation) and the sweep that releases escrow after the auto-release
//! period.

use super::*;
use tradewind_domain::deal::payment::{self, LedgerFunding, PaymentReference, PaymentStatus, ProviderEvent};

/// A payment as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub id: String,
    pub order_id: String,
    pub provider: String,
    pub reference: PaymentReference,
    pub amount: Money,
    #[serde(flatten)]
    pub status: PaymentStatus,
    /// What the buyer must do, as the provider said (for a bank transfer: the account to
    /// pay, the amount and the reference to quote).
    pub instruction: serde_json::Value,
    /// The fund entry the settlement posted.
    pub entry_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// True when this is the stored answer to an earlier request with the same key.
    #[serde(default)]
    pub replayed: bool,
}

/// A payment about to be recorded: the provider already gave its instructions.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub provider: String,
    pub reference: PaymentReference,
    pub amount: Money,
    pub instruction: serde_json::Value,
}

/// What a provider's callback did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackOutcome {
    /// The payment settled and the order is funded.
    Settled,
    /// The provider reported the transfer failed; the buyer may pay again.
    Failed,
    /// The same event id was received before; nothing changed.
    AlreadyProcessed,
    /// No payment has this reference.
    UnknownPayment,
    /// Money arrived with a different amount; nothing was posted.
    AmountDiffers,
    /// The payment was already settled or failed, or the order can no longer be funded;
    /// nothing was posted.
    NotOpen,
}

impl CallbackOutcome {
    fn name(self) -> &'static str {
        match self {
            CallbackOutcome::Settled => "settled",
            CallbackOutcome::Failed => "failed",
            CallbackOutcome::AlreadyProcessed => "already_processed",
            CallbackOutcome::UnknownPayment => "unknown_payment",
            CallbackOutcome::AmountDiffers => "amount_differs",
            CallbackOutcome::NotOpen => "not_open",
        }
    }
    fn parse(s: &str) -> CallbackOutcome {
        match s {
            "settled" => CallbackOutcome::Settled,
            "failed" => CallbackOutcome::Failed,
            "unknown_payment" => CallbackOutcome::UnknownPayment,
            "amount_differs" => CallbackOutcome::AmountDiffers,
            _ => CallbackOutcome::NotOpen,
        }
    }
}

const PAYMENT_COLUMNS: &str =
    "id, order_id, provider, reference, amount, state, instruction, entry_id, created_at, updated_at";

fn payment_from_row(r: &AnyRow) -> Result<PaymentRecord> {
    let reference: String = r.try_get("reference")?;
    let amount: String = r.try_get("amount")?;
    let state: String = r.try_get("state")?;
    let instruction: String = r.try_get("instruction")?;
    Ok(PaymentRecord {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        provider: r.try_get("provider")?,
        reference: reference.parse().map_err(|e| corrupt("payment reference", e))?,
        amount: from_json("payment amount", &amount)?,
        status: from_json("payment status", &state)?,
        instruction: from_json("payment instruction", &instruction)?,
        entry_id: r.try_get("entry_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        replayed: false,
    })
}

impl Store {
    /// The order a buyer is about to pay and the amount due, refused unless the order may
    /// be funded now (agreed, buyer's side). The provider is asked for instructions only
    /// after this check.
    pub async fn payable_order(&self, buyer: &str, id: &str) -> Result<(OrderRecord, Money)> {
        let order = self.get_order(buyer, id).await?;
        if side(&order, buyer)? != Party::Buyer {
            return Err(StoreError::Refused("only the buyer can pay this order".into()));
        }
        order.order.clone().apply(OrderEvent::Fund).map_err(|e| StoreError::Refused(e.to_string()))?;
        let total = order.order.terms.total().map_err(|e| corrupt("order total", e))?;
        Ok((order, total))
    }

    /// Records a payment the buyer started. A retry with the same key gets the first
    /// answer; a second payment while one is waiting or done is refused, naming it.
    pub async fn record_payment(
        &self,
        actor: &Actor,
        buyer: &str,
        id: &str,
        key: &str,
        new: NewPayment,
    ) -> Result<PaymentRecord> {
        let mut tx = self.begin_audited().await?;
        let request = format!("pay order {id}");
        if let Some(mut answer) =
            earlier_answer::<PaymentRecord>(&mut tx, Caller::Company(buyer), key, &request).await?
        {
            answer.replayed = true;
            return Ok(answer);
        }
        let order = Self::order_in(&mut tx, buyer, id).await?;
        if side(&order, buyer)? != Party::Buyer {
            return Err(StoreError::Refused("only the buyer can pay this order".into()));
        }
        order.order.clone().apply(OrderEvent::Fund).map_err(|e| StoreError::Refused(e.to_string()))?;
        let open = sqlx::query(
            "SELECT reference, status FROM payments WHERE order_id = $1 AND status IN ('initiated', 'settled')",
        )
        .bind(id)
        .fetch_optional(&mut *tx.tx)
        .await?;
        if let Some(r) = open {
            let reference: String = r.try_get("reference")?;
            let status: String = r.try_get("status")?;
            return Err(StoreError::Conflict {
                field: "order",
                message: format!(
                    "a payment with reference {reference} is already {status} for this order; pay with that reference"
                ),
            });
        }
        let now = now_text();
        let record = PaymentRecord {
            id: new_id(),
            order_id: id.to_string(),
            provider: new.provider,
            reference: new.reference,
            amount: new.amount,
            status: PaymentStatus::Initiated,
            instruction: new.instruction,
            entry_id: None,
            created_at: now.clone(),
            updated_at: now,
            replayed: false,
        };
        sqlx::query(&format!(
            "INSERT INTO payments (buyer_org, status, {PAYMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(buyer)
        .bind(record.status.label())
        .bind(&record.id)
        .bind(&record.order_id)
        .bind(&record.provider)
        .bind(record.reference.as_str())
        .bind(json_text(&record.amount)?)
        .bind(json_text(&record.status)?)
        .bind(json_text(&record.instruction)?)
        .bind(&record.entry_id)
        .bind(&record.created_at)
        .bind(&record.updated_at)
        .execute(&mut *tx.tx)
        .await?;
        keep_answer(&mut tx, Caller::Company(buyer), key, &request, &record).await?;
        tx.commit(
            actor,
            Some(buyer),
            "payment.initiated",
            &format!("order:{id}"),
            json!({"payment": record.id, "provider": record.provider, "reference": record.reference, "amount": record.amount}),
        )
        .await?;
        Ok(record)
    }

    /// An order's payments, newest last, for one of its two parties.
    pub async fn order_payments(&self, organization_id: &str, id: &str) -> Result<Vec<PaymentRecord>> {
        self.get_order(organization_id, id).await?;
        let rows =
            sqlx::query(&format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = $1 ORDER BY created_at, id"))
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(payment_from_row).collect()
    }

    /// A payment by the reference the provider knows it by (for the provider's side).
    pub async fn payment_by_reference(&self, provider: &str, reference: &PaymentReference) -> Result<PaymentRecord> {
        let row =
            sqlx::query(&format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE provider = $1 AND reference = $2"))
                .bind(provider)
                .bind(reference.as_str())
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
        payment_from_row(&row)
    }

    /// Applies a verified provider callback once. Settlement posts the fund entry and
    /// funds the order in the same transaction that keeps the event; every other outcome
    /// keeps the event (for reconciliation) and posts nothing.
    pub async fn apply_provider_event(&self, provider: &str, event: &ProviderEvent) -> Result<CallbackOutcome> {
        let mut tx = self.begin_audited().await?;
        let seen = sqlx::query("SELECT outcome FROM provider_events WHERE provider = $1 AND event_id = $2")
            .bind(provider)
            .bind(&event.event_id)
            .fetch_optional(&mut *tx.tx)
            .await?;
        if seen.is_some() {
            return Ok(CallbackOutcome::AlreadyProcessed);
        }
        let row =
            sqlx::query(&format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE provider = $1 AND reference = $2"))
                .bind(provider)
                .bind(event.reference.as_str())
                .fetch_optional(&mut *tx.tx)
                .await?;
        let outcome = match row {
            None => CallbackOutcome::UnknownPayment,
            Some(row) => Self::settle_in(&mut tx, payment_from_row(&row)?, event).await?,
        };
        sqlx::query(
            "INSERT INTO provider_events (provider, event_id, reference, payload, outcome, received_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(provider)
        .bind(&event.event_id)
        .bind(event.reference.as_str())
        .bind(json_text(event)?)
        .bind(outcome.name())
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(
            &Actor::system(),
            None,
            &format!("payment.callback.{}", outcome.name()),
            &format!("payment:{}", event.reference),
            json!({"provider": provider, "event_id": event.event_id, "outcome": event.outcome}),
        )
        .await?;
        Ok(outcome)
    }

    async fn settle_in(
        tx: &mut crate::audit::AuditedTx,
        payment: PaymentRecord,
        event: &ProviderEvent,
    ) -> Result<CallbackOutcome> {
        let next = match payment::settle(&payment.status, payment.amount, &event.outcome) {
            Ok(next) => next,
            Err(payment::SettlementError::AmountDiffers { .. }) => return Ok(CallbackOutcome::AmountDiffers),
            Err(payment::SettlementError::NotOpen(_)) => return Ok(CallbackOutcome::NotOpen),
        };
        let order = Self::any_order_in(tx, &payment.order_id).await?;
        let buyer = order.order.terms.buyer.clone();
        let seller = order.order.terms.seller.clone();
        let mut entry_id = None;
        if next == PaymentStatus::Settled {
            if order.order.clone().apply(OrderEvent::Fund).is_err() {
                // Money for an order that was cancelled meanwhile: the operator returns it.
                return Ok(CallbackOutcome::NotOpen);
            }
            let amount = payment.amount;
            let (funded, entry) =
                Self::post_with_event(tx, order, OrderEvent::Fund, "fund", |_, _, oid| ledger::fund(oid, amount))
                    .await?;
            entry_id = Some(entry.id.clone());
            for (org, who) in [(&seller, "The buyer's payment"), (&buyer, "Your payment")] {
                notify_in_tx(
                    tx,
                    org.as_str(),
                    "order_funded",
                    &format!("{who} arrived in escrow; the order is {}", funded.order.status.label()),
                    json!({"order_id": funded.id, "payment": payment.id, "reference": payment.reference, "amount": amount}),
                )
                .await?;
            }
        } else {
            notify_in_tx(
                tx,
                buyer.as_str(),
                "payment_failed",
                "Your payment into escrow failed; start a new payment",
                json!({"order_id": payment.order_id, "payment": payment.id, "reference": payment.reference}),
            )
            .await?;
        }
        sqlx::query("UPDATE payments SET status = $1, state = $2, entry_id = $3, updated_at = $4 WHERE id = $5")
            .bind(next.label())
            .bind(json_text(&next)?)
            .bind(&entry_id)
            .bind(now_text())
            .bind(&payment.id)
            .execute(&mut *tx.tx)
            .await?;
        Ok(if next == PaymentStatus::Settled { CallbackOutcome::Settled } else { CallbackOutcome::Failed })
    }

    /// Every funding the ledger posted through `provider`, for reconciliation.
    pub async fn ledger_fundings(&self, provider: &str) -> Result<Vec<LedgerFunding>> {
        let rows = sqlx::query(
            "SELECT p.reference AS reference, p.order_id AS order_id, p.amount AS amount FROM payments p
             JOIN ledger_entries e ON e.id = p.entry_id WHERE p.provider = $1 ORDER BY p.created_at, p.id",
        )
        .bind(provider)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let reference: String = r.try_get("reference")?;
                let order: String = r.try_get("order_id")?;
                let amount: String = r.try_get("amount")?;
                Ok(LedgerFunding {
                    reference: reference.parse().map_err(|e| corrupt("payment reference", e))?,
                    order: order.parse().map_err(|e| corrupt("order id", e))?,
                    amount: from_json("payment amount", &amount)?,
                })
            })
            .collect()
    }

    /// Callbacks that posted nothing (unknown reference, wrong amount, closed payment),
    /// newest first: what the operator must look into.
    pub async fn unapplied_provider_events(&self, provider: &str) -> Result<Vec<serde_json::Value>> {
        let rows = sqlx::query(
            "SELECT event_id, reference, outcome, payload, received_at FROM provider_events
             WHERE provider = $1 AND outcome NOT IN ('settled', 'failed') ORDER BY received_at DESC",
        )
        .bind(provider)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                let outcome: String = r.try_get("outcome")?;
                Ok(json!({
                    "event_id": r.try_get::<String, _>("event_id")?,
                    "reference": r.try_get::<String, _>("reference")?,
                    "outcome": CallbackOutcome::parse(&outcome),
                    "event": from_json::<serde_json::Value>("provider event", &payload)?,
                    "received_at": r.try_get::<String, _>("received_at")?,
                }))
            })
            .collect()
    }

    /// Releases escrow on every order that has waited `period_days` since it was shipped
    /// or delivered without the buyer confirming, charging `fee`; returns the orders
    /// released. Each order is its own transaction, so one refusal stops nothing else.
    pub async fn auto_release_due(
        &self,
        now: time::OffsetDateTime,
        period_days: u32,
        fee: FeeRate,
    ) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT id, updated_at FROM orders WHERE status IN ('shipped', 'delivered') ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        let mut released = Vec::new();
        for r in rows {
            let id: String = r.try_get("id")?;
            let since_text: String = r.try_get("updated_at")?;
            let since = time::OffsetDateTime::parse(&since_text, &time::format_description::well_known::Rfc3339)
                .map_err(|e| corrupt("order updated_at", e))?;
            if !payment::auto_release_due((now - since).whole_days(), period_days) {
                continue;
            }
            let mut tx = self.begin_audited().await?;
            let current = Self::any_order_in(&mut tx, &id).await?;
            if !matches!(current.order.status.label(), "shipped" | "delivered") || current.updated_at != since_text {
                continue; // moved meanwhile
            }
            let from = current.order.status.label();
            let (order, entry) =
                Self::post_with_event(&mut tx, current, OrderEvent::AutoRelease, "release", |l, o, oid| {
                    let escrowed = l.escrowed(oid, o.order.terms.currency)?;
                    ledger::release(oid, &o.order.terms.seller, escrowed, fee)
                })
                .await?;
            for org in [&order.order.terms.buyer, &order.order.terms.seller] {
                notify_in_tx(
                    &mut tx,
                    org.as_str(),
                    "order_auto_released",
                    &format!("Escrow was released after {period_days} days without a delivery dispute"),
                    json!({"order_id": id, "entry": entry.id}),
                )
                .await?;
            }
            let amounts = posting_details(&entry);
            tx.commit(
                &Actor::system(),
                None,
                "order.auto_release",
                &format!("order:{id}"),
                json!({"from": from, "to": order.order.status.label(), "entry": entry.id, "postings": amounts, "period_days": period_days}),
            )
            .await?;
            released.push(id);
        }
        Ok(released)
    }
}

/// The built-in simulated bank's own book, which stands in for a real bank's records: it
/// is the provider's side of reconciliation, so it is written outside the platform's
/// audited transactions, as a bank's would be.
impl Store {
    /// Books a transfer the bank received for `reference`.
    pub async fn simulated_bank_book(&self, reference: &str, amount: &Money, payer: &str) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO simulated_bank_transfers (id, reference, amount, payer, status, booked_at)
             VALUES ($1, $2, $3, $4, 'received', $5)",
        )
        .bind(&id)
        .bind(reference)
        .bind(json_text(amount)?)
        .bind(payer)
        .bind(now_text())
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// Marks a booked transfer as told to the platform.
    pub async fn simulated_bank_notified(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE simulated_bank_transfers SET status = 'notified' WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every transfer the simulated bank received, oldest first.
    pub async fn simulated_bank_statement(&self) -> Result<Vec<payment::ProviderTransaction>> {
        let rows =
            sqlx::query("SELECT reference, amount, booked_at FROM simulated_bank_transfers ORDER BY booked_at, id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let reference: String = r.try_get("reference")?;
                let amount: String = r.try_get("amount")?;
                Ok(payment::ProviderTransaction {
                    reference: reference.parse().map_err(|e| corrupt("bank reference", e))?,
                    amount: from_json("bank amount", &amount)?,
                    booked_at: r.try_get("booked_at")?,
                })
            })
            .collect()
    }
}
