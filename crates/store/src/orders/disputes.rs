//! Refunds, disputes with text evidence from both sides, and the operator's decision. Each
//! money move follows fund/release: idempotency key, journal entry, status change,
//! notification and audit record in one audited transaction.

use super::*;
use rust_decimal::Decimal;
use tradewind_domain::deal::order::{DisputeResolution, OrderStatus};

/// The operator's decision on a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeDecision {
    ReleaseToSeller,
    RefundToBuyer,
    Split,
    /// The side that opened it withdrew it before the operator decided; no money moved.
    Withdrawn,
}

impl DisputeDecision {
    pub fn name(self) -> &'static str {
        match self {
            DisputeDecision::ReleaseToSeller => "release_to_seller",
            DisputeDecision::RefundToBuyer => "refund_to_buyer",
            DisputeDecision::Split => "split",
            DisputeDecision::Withdrawn => "withdrawn",
        }
    }
}

/// One side's statement in a dispute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRecord {
    pub id: String,
    pub party: Party,
    pub statement: String,
    pub created_at: String,
}

/// An order's dispute, its evidence oldest first, and the decision once made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeRecord {
    pub id: String,
    pub order_id: String,
    pub opened_by: Party,
    pub reason: String,
    pub decision: Option<DisputeDecision>,
    pub buyer_share: Option<Money>,
    pub decided_at: Option<String>,
    pub created_at: String,
    pub evidence: Vec<EvidenceRecord>,
}

fn party_text(s: &str) -> Result<Party> {
    match s {
        "buyer" => Ok(Party::Buyer),
        "seller" => Ok(Party::Seller),
        other => Err(corrupt("party", other)),
    }
}

fn other_side(o: &OrderRecord, party: Party) -> String {
    match party {
        Party::Buyer => o.order.terms.seller.to_string(),
        Party::Seller => o.order.terms.buyer.to_string(),
    }
}

async fn dispute_in(tx: &mut crate::audit::AuditedTx, order_id: &str) -> Result<Option<(String, bool)>> {
    let row = sqlx::query("SELECT id, decision FROM disputes WHERE order_id = $1")
        .bind(order_id)
        .fetch_optional(&mut *tx.tx)
        .await?;
    row.map(|r| {
        let decision: Option<String> = r.try_get("decision")?;
        Ok((r.try_get("id")?, decision.is_some()))
    })
    .transpose()
}

impl Store {
    pub(super) async fn any_order_in(tx: &mut crate::audit::AuditedTx, id: &str) -> Result<OrderRecord> {
        let row = sqlx::query(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        order_from_row(&row)
    }

    /// Gives escrow back to the buyer: `amount`, or all of it when `None`. The seller or the
    /// operator only, while the order holds funds and is not in dispute. A full refund
    /// before shipping cancels the order (`RefundInFull`); after shipping only part of the
    /// escrow may be refunded (the rest goes through release or a dispute). More than
    /// escrow holds is refused on `amount` and writes nothing.
    pub async fn refund_order(
        &self,
        actor: &Actor,
        caller: Caller<'_>,
        id: &str,
        key: &str,
        amount: Option<Decimal>,
    ) -> Result<MoneyMove> {
        let mut tx = self.begin_audited().await?;
        let request = match amount {
            Some(a) => format!("refund {a} of order {id}"),
            None => format!("refund all of order {id}"),
        };
        if let Some(mut answer) = earlier_answer::<MoneyMove>(&mut tx, caller, key, &request).await? {
            answer.replayed = true;
            return Ok(answer);
        }
        let current = match caller {
            Caller::Company(org) => {
                let o = Self::order_in(&mut tx, org, id).await?;
                if side(&o, org)? != Party::Seller {
                    return Err(StoreError::Refused("only the seller or the platform operator can refund".into()));
                }
                o
            }
            Caller::Operator => Self::any_order_in(&mut tx, id).await?,
        };
        let status = &current.order.status;
        if matches!(status, OrderStatus::Disputed { .. }) {
            return Err(StoreError::Refused("the order is in dispute: the operator's decision moves its money".into()));
        }
        if !status.holds_funds() {
            return Err(StoreError::Refused(format!("nothing to refund: the order is {}", status.label())));
        }
        let order_id = current.order_id()?;
        let currency = current.order.terms.currency;
        let mut ledger = replay(&Self::entries_in(&mut tx, id).await?)?;
        let escrowed = ledger.escrowed(&order_id, currency).map_err(|e| corrupt("escrow", e))?;
        let amount = match amount {
            None => escrowed,
            Some(a) => Money::new(a, currency).map_err(|e| StoreError::InvalidField {
                field: "amount",
                code: "invalid_amount",
                message: e.to_string(),
            })?,
        };
        if amount.amount() <= Decimal::ZERO {
            return Err(StoreError::InvalidField {
                field: "amount",
                code: "not_positive",
                message: "a refund is above zero".into(),
            });
        }
        if amount.amount() > escrowed.amount() {
            return Err(StoreError::InvalidField {
                field: "amount",
                code: "more_than_escrowed",
                message: format!("escrow holds {escrowed} for this order; refund at most that"),
            });
        }
        let full = amount == escrowed;
        let from = status.label();
        let order = if full {
            if matches!(status, OrderStatus::Shipped | OrderStatus::Delivered) {
                return Err(StoreError::Refused(format!(
                    "the order is {from}: refund part of the escrow, or open a dispute for the operator to decide"
                )));
            }
            current.order.clone().apply(OrderEvent::RefundInFull).map_err(|e| StoreError::Refused(e.to_string()))?
        } else {
            current.order.clone()
        };
        let journal = ledger::refund(&order_id, &current.order.terms.buyer, amount)
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        ledger.post(journal.clone()).map_err(|e| StoreError::Refused(e.to_string()))?;
        let entry = insert_entry(&mut tx, id, "refund", &journal).await?;
        let next = OrderRecord { order, updated_at: entry.created_at.clone(), ..current };
        Self::save_status(&mut tx, &next).await?;
        let answer = MoneyMove { order: next, entry, replayed: false };
        keep_answer(&mut tx, caller, key, &request, &answer).await?;
        let to = answer.order.order.status.label();
        let by = if caller == Caller::Operator { "The platform operator" } else { "The seller" };
        let mut tell = vec![answer.order.order.terms.buyer.to_string()];
        if caller == Caller::Operator {
            tell.push(answer.order.order.terms.seller.to_string());
        }
        for org in &tell {
            notify_in_tx(
                &mut tx,
                org,
                "order_updated",
                &format!("{by} refunded {amount} of an order; it is now {to}"),
                json!({"order_id": id, "event": "refund", "amount": amount, "status": to}),
            )
            .await?;
        }
        let seller = answer.order.order.terms.seller.to_string();
        tx.commit(
            actor,
            Some(&seller),
            "order.refund",
            &format!("order:{id}"),
            json!({"from": from, "to": to, "entry": answer.entry.id, "postings": posting_details(&answer.entry)}),
        )
        .await?;
        Ok(answer)
    }

    /// Either party opens a dispute while escrow holds its money; the order waits for the
    /// operator's decision.
    pub async fn open_dispute(
        &self,
        actor: &Actor,
        organization_id: &str,
        id: &str,
        reason: &str,
    ) -> Result<DisputeRecord> {
        let mut tx = self.begin_audited().await?;
        let current = Self::order_in(&mut tx, organization_id, id).await?;
        let party = side(&current, organization_id)?;
        let from = current.order.status.label();
        let order = current
            .order
            .clone()
            .apply(OrderEvent::OpenDispute { by: party })
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        let next = OrderRecord { order, updated_at: now_text(), ..current };
        Self::save_status(&mut tx, &next).await?;
        let dispute_id = new_id();
        sqlx::query(
            "INSERT INTO disputes (id, order_id, opened_by, opened_by_party, reason, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&dispute_id)
        .bind(id)
        .bind(organization_id)
        .bind(party.to_string())
        .bind(reason)
        .bind(&next.updated_at)
        .execute(&mut *tx.tx)
        .await?;
        notify_in_tx(
            &mut tx,
            &other_side(&next, party),
            "dispute_opened",
            &format!("The {party} opened a dispute on an order"),
            json!({"order_id": id, "event": "open_dispute", "status": next.order.status.label()}),
        )
        .await?;
        tx.commit(
            actor,
            Some(organization_id),
            "order.open_dispute",
            &format!("order:{id}"),
            json!({"from": from, "to": next.order.status.label(), "party": party, "dispute": dispute_id}),
        )
        .await?;
        self.dispute(Caller::Company(organization_id), id).await
    }

    /// The side that opened the dispute withdraws it before the operator decides: the order
    /// returns to where it was (funded, in production, shipped or delivered) and no money
    /// moves. An order has one dispute; a withdrawn one stays on record.
    pub async fn withdraw_dispute(&self, actor: &Actor, organization_id: &str, id: &str) -> Result<DisputeRecord> {
        let mut tx = self.begin_audited().await?;
        let current = Self::order_in(&mut tx, organization_id, id).await?;
        let party = side(&current, organization_id)?;
        let row = sqlx::query("SELECT id, opened_by_party, decision FROM disputes WHERE order_id = $1")
            .bind(id)
            .fetch_optional(&mut *tx.tx)
            .await?
            .ok_or_else(|| StoreError::Refused("the order has no dispute to withdraw".into()))?;
        let dispute_id: String = row.try_get("id")?;
        let opened_by: String = row.try_get("opened_by_party")?;
        let decision: Option<String> = row.try_get("decision")?;
        if let Some(d) = decision {
            return Err(StoreError::Refused(format!("the dispute is closed ({d}); it cannot be withdrawn")));
        }
        if party_text(&opened_by)? != party {
            return Err(StoreError::Refused(format!("only the {opened_by}, who opened the dispute, can withdraw it")));
        }
        let from = current.order.status.label();
        let order = current
            .order
            .clone()
            .apply(OrderEvent::ResolveDispute { resolution: DisputeResolution::Withdrawn })
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        let next = OrderRecord { order, updated_at: now_text(), ..current };
        Self::save_status(&mut tx, &next).await?;
        sqlx::query("UPDATE disputes SET decision = $1, decided_at = $2 WHERE id = $3")
            .bind(DisputeDecision::Withdrawn.name())
            .bind(&next.updated_at)
            .bind(&dispute_id)
            .execute(&mut *tx.tx)
            .await?;
        notify_in_tx(
            &mut tx,
            &other_side(&next, party),
            "order_updated",
            &format!("The {party} withdrew its dispute; the order is {} again", next.order.status.label()),
            json!({"order_id": id, "event": "withdraw_dispute", "status": next.order.status.label()}),
        )
        .await?;
        tx.commit(
            actor,
            Some(organization_id),
            "order.withdraw_dispute",
            &format!("order:{id}"),
            json!({"from": from, "to": next.order.status.label(), "dispute": dispute_id}),
        )
        .await?;
        self.dispute(Caller::Company(organization_id), id).await
    }

    /// A party's text statement in the open dispute.
    pub async fn add_dispute_evidence(
        &self,
        actor: &Actor,
        organization_id: &str,
        id: &str,
        statement: &str,
    ) -> Result<DisputeRecord> {
        let mut tx = self.begin_audited().await?;
        let current = Self::order_in(&mut tx, organization_id, id).await?;
        let party = side(&current, organization_id)?;
        let Some((dispute_id, decided)) = dispute_in(&mut tx, id).await? else {
            return Err(StoreError::Refused(
                "the order has no dispute: open one first (POST /api/v1/orders/{id}/disputes)".into(),
            ));
        };
        if decided {
            return Err(StoreError::Refused("the dispute was decided; it takes no more evidence".into()));
        }
        let evidence_id = new_id();
        sqlx::query(
            "INSERT INTO dispute_evidence (id, dispute_id, organization_id, party, statement, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&evidence_id)
        .bind(&dispute_id)
        .bind(organization_id)
        .bind(party.to_string())
        .bind(statement)
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await?;
        notify_in_tx(
            &mut tx,
            &other_side(&current, party),
            "order_updated",
            &format!("The {party} added evidence to a dispute"),
            json!({"order_id": id, "event": "dispute_evidence"}),
        )
        .await?;
        tx.commit(
            actor,
            Some(organization_id),
            "order.dispute_evidence",
            &format!("order:{id}"),
            json!({"party": party, "dispute": dispute_id, "evidence": evidence_id}),
        )
        .await?;
        self.dispute(Caller::Company(organization_id), id).await
    }

    /// An order's dispute with its evidence, for the two parties and the operator.
    pub async fn dispute(&self, caller: Caller<'_>, id: &str) -> Result<DisputeRecord> {
        if let Caller::Company(org) = caller {
            self.get_order(org, id).await?;
        }
        let r = sqlx::query(
            "SELECT id, order_id, opened_by_party, reason, decision, buyer_share, decided_at, created_at
             FROM disputes WHERE order_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let dispute_id: String = r.try_get("id")?;
        let decision: Option<String> = r.try_get("decision")?;
        let buyer_share: Option<String> = r.try_get("buyer_share")?;
        let opened_by: String = r.try_get("opened_by_party")?;
        let rows = sqlx::query(
            "SELECT id, party, statement, created_at FROM dispute_evidence WHERE dispute_id = $1 ORDER BY id",
        )
        .bind(&dispute_id)
        .fetch_all(&self.pool)
        .await?;
        let evidence = rows
            .iter()
            .map(|e| {
                let party: String = e.try_get("party")?;
                Ok(EvidenceRecord {
                    id: e.try_get("id")?,
                    party: party_text(&party)?,
                    statement: e.try_get("statement")?,
                    created_at: e.try_get("created_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(DisputeRecord {
            id: dispute_id,
            order_id: r.try_get("order_id")?,
            opened_by: party_text(&opened_by)?,
            reason: r.try_get("reason")?,
            decision: decision.map(|d| from_json("decision", &format!("\"{d}\""))).transpose()?,
            buyer_share: buyer_share.map(|b| from_json("buyer share", &b)).transpose()?,
            decided_at: r.try_get("decided_at")?,
            created_at: r.try_get("created_at")?,
            evidence,
        })
    }

    /// The operator decides a dispute: escrow is split by [`ledger::split_dispute`]
    /// (all to the seller, all to the buyer, or `buyer_share` to the buyer), the seller
    /// pays the fee on its share only, and the order completes or is cancelled refunded.
    pub async fn decide_dispute(
        &self,
        actor: &Actor,
        id: &str,
        key: &str,
        decision: DisputeDecision,
        buyer_share: Option<Decimal>,
        fee: FeeRate,
    ) -> Result<MoneyMove> {
        let mut tx = self.begin_audited().await?;
        let request = match buyer_share {
            Some(s) => format!("decide the dispute on order {id}: {} with {s} to the buyer", decision.name()),
            None => format!("decide the dispute on order {id}: {}", decision.name()),
        };
        if let Some(mut answer) = earlier_answer::<MoneyMove>(&mut tx, Caller::Operator, key, &request).await? {
            answer.replayed = true;
            return Ok(answer);
        }
        let current = Self::any_order_in(&mut tx, id).await?;
        let Some((dispute_id, _)) = dispute_in(&mut tx, id).await? else {
            return Err(StoreError::Refused(format!("the order is {}, not in dispute", current.order.status.label())));
        };
        if !matches!(current.order.status, OrderStatus::Disputed { .. }) {
            return Err(StoreError::Refused(format!("the order is {}, not in dispute", current.order.status.label())));
        }
        let order_id = current.order_id()?;
        let currency = current.order.terms.currency;
        let mut ledger = replay(&Self::entries_in(&mut tx, id).await?)?;
        let escrowed = ledger.escrowed(&order_id, currency).map_err(|e| corrupt("escrow", e))?;
        let invalid = |code, message: String| StoreError::InvalidField { field: "buyer_share", code, message };
        let (to_buyer, resolution) = match (decision, buyer_share) {
            (DisputeDecision::Withdrawn, _) => {
                return Err(StoreError::InvalidField {
                    field: "decision",
                    code: "not_a_decision",
                    message: "only the side that opened a dispute withdraws it; decide release_to_seller, \
                              refund_to_buyer or split"
                        .into(),
                });
            }
            (DisputeDecision::Split, None) => {
                return Err(invalid("required", "a split names the buyer's share".into()));
            }
            (DisputeDecision::Split, Some(s)) => {
                let share = Money::new(s, currency).map_err(|e| invalid("invalid_amount", e.to_string()))?;
                if share.amount() <= Decimal::ZERO || share.amount() >= escrowed.amount() {
                    return Err(invalid(
                        "out_of_range",
                        format!(
                            "a split gives the buyer more than zero and less than the {escrowed} in escrow; \
                             otherwise decide release_to_seller or refund_to_buyer"
                        ),
                    ));
                }
                (share, DisputeResolution::Split)
            }
            (_, Some(_)) => {
                return Err(invalid("not_for_this_decision", "only a split takes a buyer's share".into()));
            }
            (DisputeDecision::ReleaseToSeller, None) => (
                Money::new(Decimal::ZERO, currency).map_err(|e| corrupt("zero", e))?,
                DisputeResolution::ReleaseToSeller,
            ),
            (DisputeDecision::RefundToBuyer, None) => (escrowed, DisputeResolution::RefundToBuyer),
        };
        let from = current.order.status.label();
        let order = current
            .order
            .clone()
            .apply(OrderEvent::ResolveDispute { resolution })
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        let terms = &current.order.terms;
        let journal = ledger::split_dispute(&order_id, &terms.buyer, &terms.seller, escrowed, to_buyer, fee)
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        ledger.post(journal.clone()).map_err(|e| StoreError::Refused(e.to_string()))?;
        let entry = insert_entry(&mut tx, id, "dispute_decision", &journal).await?;
        let next = OrderRecord { order, updated_at: entry.created_at.clone(), ..current };
        Self::save_status(&mut tx, &next).await?;
        sqlx::query("UPDATE disputes SET decision = $1, buyer_share = $2, decided_at = $3 WHERE id = $4")
            .bind(decision.name())
            .bind(json_text(&to_buyer)?)
            .bind(&entry.created_at)
            .bind(&dispute_id)
            .execute(&mut *tx.tx)
            .await?;
        let answer = MoneyMove { order: next, entry, replayed: false };
        keep_answer(&mut tx, Caller::Operator, key, &request, &answer).await?;
        let to = answer.order.order.status.label();
        for org in [answer.order.order.terms.buyer.to_string(), answer.order.order.terms.seller.to_string()] {
            notify_in_tx(
                &mut tx,
                &org,
                "order_updated",
                &format!("The platform operator decided the dispute ({}); the order is now {to}", decision.name()),
                json!({"order_id": id, "event": "resolve_dispute", "decision": decision, "status": to}),
            )
            .await?;
        }
        let buyer = answer.order.order.terms.buyer.to_string();
        tx.commit(
            actor,
            Some(&buyer),
            "order.resolve_dispute",
            &format!("order:{id}"),
            json!({"from": from, "to": to, "decision": decision, "to_buyer": to_buyer, "entry": answer.entry.id,
                "postings": posting_details(&answer.entry)}),
        )
        .await?;
        Ok(answer)
    }
}
