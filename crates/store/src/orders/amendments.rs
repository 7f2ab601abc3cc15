//! Changing an order's terms: a draft is revised (earlier acceptances lapse), a binding
//! order is amended (new terms bind only when the other side accepts too). Each change is
//! versioned by the domain and saved with its audit record in one transaction.

use super::*;
use tradewind_domain::deal::order::AmendmentError;

/// What a party does with the pending amendment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmendmentAnswer {
    Accept,
    Reject,
}

fn refused(e: AmendmentError) -> StoreError {
    StoreError::Refused(e.to_string())
}

impl Store {
    /// Proposes new terms: on a draft this revises it (the proposer accepts the new version,
    /// the other side must accept again); on an agreed order it is an amendment waiting for
    /// the other side.
    pub async fn propose_terms(
        &self,
        actor: &Actor,
        organization_id: &str,
        id: &str,
        terms: OrderTerms,
    ) -> Result<OrderRecord> {
        let mut tx = self.begin_audited().await?;
        let current = Self::order_in(&mut tx, organization_id, id).await?;
        let party = side(&current, organization_id)?;
        let is_draft = current.order.status.label() == "draft";
        let order = if is_draft {
            current.order.clone().revise_draft(party, terms)
        } else {
            current.order.clone().propose_amendment(party, terms)
        }
        .map_err(refused)?;
        let next = OrderRecord { order, updated_at: now_text(), ..current };
        Self::save_terms(&mut tx, &next).await?;
        let (kind, version) = if is_draft {
            ("order.revised", next.order.version)
        } else {
            ("order.amendment_proposed", next.order.pending_amendment.as_ref().map_or(0, |a| a.version))
        };
        notify_in_tx(
            &mut tx,
            other_side(&next, party).as_str(),
            "order_amendment",
            &format!("The {party} proposed version {version} of an order's terms; accept or reject it"),
            json!({"order_id": id, "version": version}),
        )
        .await?;
        tx.commit(
            actor,
            Some(organization_id),
            kind,
            &format!("order:{id}"),
            json!({"version": version, "party": party}),
        )
        .await?;
        Ok(next)
    }

    /// Accepts or rejects the pending amendment `version`. Accepting it as the second side
    /// makes its terms the order's.
    pub async fn answer_amendment(
        &self,
        actor: &Actor,
        organization_id: &str,
        id: &str,
        version: u32,
        answer: AmendmentAnswer,
    ) -> Result<OrderRecord> {
        let mut tx = self.begin_audited().await?;
        let current = Self::order_in(&mut tx, organization_id, id).await?;
        let party = side(&current, organization_id)?;
        let order = match answer {
            AmendmentAnswer::Accept => current.order.clone().accept_amendment(party, version),
            AmendmentAnswer::Reject => current.order.clone().reject_amendment(version),
        }
        .map_err(refused)?;
        let binds = order.version == version;
        let next = OrderRecord { order, updated_at: now_text(), ..current };
        Self::save_terms(&mut tx, &next).await?;
        let what = match (answer, binds) {
            (AmendmentAnswer::Reject, _) => "rejected",
            (AmendmentAnswer::Accept, true) => "accepted; the new terms bind",
            (AmendmentAnswer::Accept, false) => "accepted",
        };
        notify_in_tx(
            &mut tx,
            other_side(&next, party).as_str(),
            "order_amendment",
            &format!("The {party} {what} version {version} of an order's terms"),
            json!({"order_id": id, "version": version, "binds": binds}),
        )
        .await?;
        let action = match answer {
            AmendmentAnswer::Accept => "order.amendment_accepted",
            AmendmentAnswer::Reject => "order.amendment_rejected",
        };
        tx.commit(
            actor,
            Some(organization_id),
            action,
            &format!("order:{id}"),
            json!({"version": version, "party": party, "binds": binds}),
        )
        .await?;
        Ok(next)
    }
}

fn other_side(o: &OrderRecord, party: Party) -> PartyId {
    match party {
        Party::Buyer => o.order.terms.seller.clone(),
        Party::Seller => o.order.terms.buyer.clone(),
    }
}
