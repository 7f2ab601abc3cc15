//! Logistics in the store: carriers with their SCAC and webhook secret, rate cards, shipments
//! booked for orders with the carrier's confirmation, tracking events (recorded once per
//! carrier event id, so a replay has no second effect) and proof of delivery, which also
//! moves the order to delivered. Every write is one audited transaction that notifies the
//! other parties in-app.

use crate::marketplace::notify_in_tx;
use crate::{
    Actor, OrderRecord, Page, Result, Store, StoreError, corrupt, format_time, from_json, is_unique_violation,
    json_text, new_id, now_text,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use tradewind_domain::Locode;
use tradewind_domain::deal::order::{OrderEvent, OrderStatus};
use tradewind_domain::logistics::rates::{FreightQuote, Package, RateCard};
use tradewind_domain::logistics::{
    ContainerNumber, Eta, ProofOfDelivery, Scac, ShipmentEvent, ShipmentStatus, TrackingEvent, TransportMode, eta,
};
use tradewind_domain::organization::{TradeRole, VerificationStatus};

/// A carrier's registration as others may see it (never the webhook secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierRecord {
    pub organization_id: String,
    pub scac: Scac,
    pub created_at: String,
    pub updated_at: String,
}

/// A published rate card with its carrier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateCardRecord {
    pub id: String,
    pub carrier_org: String,
    pub carrier_scac: String,
    pub carrier_name: String,
    #[serde(flatten)]
    pub card: RateCard,
    pub created_at: String,
    pub updated_at: String,
}

/// What was booked: the card, the packages and the price as they were at booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub rate_card: RateCard,
    pub packages: Vec<Package>,
    pub quote: FreightQuote,
}

/// A stored shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentRecord {
    pub id: String,
    pub order_id: String,
    pub carrier_org: String,
    pub carrier_scac: String,
    pub rate_card_id: String,
    pub booked_by: String,
    pub buyer_org: String,
    pub seller_org: String,
    pub booking: Booking,
    pub status: ShipmentStatus,
    pub containers: Vec<ContainerNumber>,
    pub proof_of_delivery: Option<ProofOfDelivery>,
    pub created_at: String,
    pub updated_at: String,
}

/// A tracking event as recorded: the carrier's event, how it came (`api` or `webhook`) and
/// when it was received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingEventRecord {
    pub id: String,
    pub shipment_id: String,
    #[serde(flatten)]
    pub event: TrackingEvent,
    pub source: String,
    pub received_at: String,
}

/// A shipment with its events in time order and the ETA at its destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentTimeline {
    #[serde(flatten)]
    pub shipment: ShipmentRecord,
    pub events: Vec<TrackingEventRecord>,
    pub eta: Option<Eta>,
}

/// The answer to a batch of tracking events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsRecorded {
    pub shipment: ShipmentRecord,
    /// Event ids recorded now.
    pub recorded: Vec<String>,
    /// Event ids already recorded before: accepted again, with no second effect.
    pub duplicates: Vec<String>,
    /// The order's status after the batch (an ACTual departure ships a funded order).
    pub order_status: String,
}

/// The answer to a proof of delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub shipment: ShipmentRecord,
    /// The order's status afterwards: `delivered` when its state machine allowed it.
    pub order_status: String,
    /// Why the order did not move, when it did not.
    pub order_note: Option<String>,
}

const CARD_SELECT: &str = "SELECT r.id, r.carrier_org, r.card, r.created_at, r.updated_at, c.scac, o.legal_name
     FROM rate_cards r JOIN carriers c ON c.organization_id = r.carrier_org
     JOIN organizations o ON o.id = r.carrier_org";

fn card_from_row(r: &AnyRow) -> Result<RateCardRecord> {
    let card: String = r.try_get("card")?;
    Ok(RateCardRecord {
        id: r.try_get("id")?,
        carrier_org: r.try_get("carrier_org")?,
        carrier_scac: r.try_get("scac")?,
        carrier_name: r.try_get("legal_name")?,
        card: from_json("rate card", &card)?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(crate) const SHIPMENT_SELECT: &str =
    "SELECT s.id, s.order_id, s.carrier_org, s.rate_card_id, s.booked_by, s.buyer_org,
     s.seller_org, s.booking, s.status, s.containers, s.proof_of_delivery, s.created_at, s.updated_at, c.scac
     FROM shipments s JOIN carriers c ON c.organization_id = s.carrier_org";

pub(crate) fn shipment_from_row(r: &AnyRow) -> Result<ShipmentRecord> {
    let booking: String = r.try_get("booking")?;
    let status: String = r.try_get("status")?;
    let containers: String = r.try_get("containers")?;
    let pod: Option<String> = r.try_get("proof_of_delivery")?;
    Ok(ShipmentRecord {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        carrier_org: r.try_get("carrier_org")?,
        carrier_scac: r.try_get("scac")?,
        rate_card_id: r.try_get("rate_card_id")?,
        booked_by: r.try_get("booked_by")?,
        buyer_org: r.try_get("buyer_org")?,
        seller_org: r.try_get("seller_org")?,
        booking: from_json("booking", &booking)?,
        status: ShipmentStatus::parse(&status).ok_or_else(|| corrupt("shipment status", &status))?,
        containers: from_json("containers", &containers)?,
        proof_of_delivery: pod.as_deref().map(|p| from_json("proof of delivery", p)).transpose()?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn event_from_row(r: &AnyRow) -> Result<TrackingEventRecord> {
    let event: String = r.try_get("event")?;
    Ok(TrackingEventRecord {
        id: r.try_get("id")?,
        shipment_id: r.try_get("shipment_id")?,
        event: from_json("tracking event", &event)?,
        source: r.try_get("source")?,
        received_at: r.try_get("received_at")?,
    })
}

/// A shipment for its carrier only, inside a write: anyone else gets not found.
async fn carriers_shipment_in(tx: &mut crate::audit::AuditedTx, carrier_org: &str, id: &str) -> Result<ShipmentRecord> {
    let row = sqlx::query(&format!("{SHIPMENT_SELECT} WHERE s.id = $1 AND s.carrier_org = $2"))
        .bind(id)
        .bind(carrier_org)
        .fetch_optional(&mut *tx.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    shipment_from_row(&row)
}

async fn save_shipment(tx: &mut crate::audit::AuditedTx, s: &ShipmentRecord) -> Result<()> {
    sqlx::query(
        "UPDATE shipments SET status = $1, containers = $2, proof_of_delivery = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(s.status.label())
    .bind(json_text(&s.containers)?)
    .bind(s.proof_of_delivery.as_ref().map(json_text).transpose()?)
    .bind(&s.updated_at)
    .bind(&s.id)
    .execute(&mut *tx.tx)
    .await?;
    Ok(())
}

fn refused(e: impl std::fmt::Display) -> StoreError {
    StoreError::Refused(e.to_string())
}

/// Tells both parties of the order.
async fn notify_parties(
    tx: &mut crate::audit::AuditedTx,
    s: &ShipmentRecord,
    kind: &str,
    subject: &str,
    body: serde_json::Value,
) -> Result<()> {
    for org in [&s.buyer_org, &s.seller_org] {
        notify_in_tx(tx, org, kind, subject, body.clone()).await?;
    }
    Ok(())
}

/// Moves the order as far towards `target` as its state machine allows (a funded order is
/// shipped first), inside the shipment's transaction. Returns the status afterwards and,
/// when the order could not reach the target, why.
async fn move_order(
    tx: &mut crate::audit::AuditedTx,
    s: &ShipmentRecord,
    deliver: bool,
) -> Result<(String, Option<String>)> {
    let mut order: OrderRecord = Store::order_in(tx, &s.buyer_org, &s.order_id).await?;
    let mut moved = false;
    if matches!(order.order.status, OrderStatus::Funded | OrderStatus::InProduction) {
        order.order = order.order.clone().apply(OrderEvent::Ship).map_err(refused)?;
        moved = true;
    }
    let mut note = None;
    if deliver {
        match order.order.clone().apply(OrderEvent::ConfirmDelivery) {
            Ok(o) => {
                order.order = o;
                moved = true;
            }
            Err(e) => note = Some(format!("the order stays {}: {e}", order.order.status.label())),
        }
    }
    if moved {
        order.updated_at = now_text();
        Store::save_status(tx, &order).await?;
    }
    Ok((order.order.status.label().to_string(), note))
}

impl Store {
    /// A carrier company registers its SCAC and the secret its webhooks are signed with.
    /// Only a verified company with the carrier or forwarder role may; a SCAC belongs to one
    /// company.
    pub async fn register_carrier(
        &self,
        actor: &Actor,
        organization_id: &str,
        scac: &Scac,
        webhook_secret: &str,
    ) -> Result<CarrierRecord> {
        let org = self.get_organization(organization_id).await?;
        if !org.roles.contains(&TradeRole::CarrierOrForwarder) {
            return Err(StoreError::Refused(
                "only a company with the carrier_or_forwarder role can register a SCAC".into(),
            ));
        }
        if org.verification != VerificationStatus::Verified {
            return Err(StoreError::Refused("your company must be verified before it registers as a carrier".into()));
        }
        let mut tx = self.begin_audited().await?;
        let existing = sqlx::query("SELECT scac FROM carriers WHERE organization_id = $1")
            .bind(organization_id)
            .fetch_optional(&mut *tx.tx)
            .await?;
        if let Some(r) = existing {
            let s: String = r.try_get("scac")?;
            return Err(StoreError::Conflict {
                field: "scac",
                message: format!("your company is already registered as carrier {s}"),
            });
        }
        let now = now_text();
        let res = sqlx::query(
            "INSERT INTO carriers (organization_id, scac, webhook_secret, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(organization_id)
        .bind(scac.as_str())
        .bind(webhook_secret)
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await;
        match res {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict {
                    field: "scac",
                    message: format!("SCAC {scac} is registered to another carrier"),
                });
            }
            other => other?,
        };
        tx.commit(
            actor,
            Some(organization_id),
            "carrier.registered",
            &format!("carrier:{organization_id}"),
            json!({"scac": scac}),
        )
        .await?;
        self.carrier(organization_id).await
    }

    /// A company's carrier registration, or not found.
    pub async fn carrier(&self, organization_id: &str) -> Result<CarrierRecord> {
        let r = sqlx::query(
            "SELECT organization_id, scac, created_at, updated_at FROM carriers WHERE organization_id = $1",
        )
        .bind(organization_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let scac: String = r.try_get("scac")?;
        Ok(CarrierRecord {
            organization_id: r.try_get("organization_id")?,
            scac: scac.parse().map_err(|e| corrupt("scac", e))?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }

    /// Replaces a carrier's webhook secret (the old one stops working at once).
    pub async fn rotate_carrier_webhook_secret(
        &self,
        actor: &Actor,
        organization_id: &str,
        webhook_secret: &str,
    ) -> Result<CarrierRecord> {
        let mut tx = self.begin_audited().await?;
        let res = sqlx::query("UPDATE carriers SET webhook_secret = $1, updated_at = $2 WHERE organization_id = $3")
            .bind(webhook_secret)
            .bind(now_text())
            .bind(organization_id)
            .execute(&mut *tx.tx)
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit(
            actor,
            Some(organization_id),
            "carrier.webhook_secret_rotated",
            &format!("carrier:{organization_id}"),
            json!({}),
        )
        .await?;
        self.carrier(organization_id).await
    }

    /// The secret a carrier's webhooks are signed with, for verification only.
    pub async fn carrier_webhook_secret(&self, organization_id: &str) -> Result<Option<String>> {
        let r = sqlx::query("SELECT webhook_secret FROM carriers WHERE organization_id = $1")
            .bind(organization_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match r {
            Some(r) => Some(r.try_get("webhook_secret")?),
            None => None,
        })
    }

    /// A registered carrier publishes a rate card.
    pub async fn publish_rate_card(&self, actor: &Actor, carrier_org: &str, card: &RateCard) -> Result<RateCardRecord> {
        if self.carrier_webhook_secret(carrier_org).await?.is_none() {
            return Err(StoreError::Refused("register your SCAC first (POST /api/v1/carrier)".into()));
        }
        let mut tx = self.begin_audited().await?;
        let id = new_id();
        let now = now_text();
        sqlx::query(
            "INSERT INTO rate_cards (id, carrier_org, origin, destination, mode, card, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(carrier_org)
        .bind(card.origin.as_str())
        .bind(card.destination.as_str())
        .bind(card.mode.as_str())
        .bind(json_text(card)?)
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(
            actor,
            Some(carrier_org),
            "rate_card.published",
            &format!("rate_card:{id}"),
            json!({"origin": card.origin, "destination": card.destination, "mode": card.mode, "price_per_kg": card.price_per_kg, "currency": card.currency}),
        )
        .await?;
        self.get_rate_card(&id).await
    }

    /// The carrier replaces one of its own cards; shipments already booked keep their price.
    pub async fn update_rate_card(
        &self,
        actor: &Actor,
        carrier_org: &str,
        id: &str,
        card: &RateCard,
    ) -> Result<RateCardRecord> {
        let mut tx = self.begin_audited().await?;
        let res = sqlx::query(
            "UPDATE rate_cards SET origin = $1, destination = $2, mode = $3, card = $4, updated_at = $5
             WHERE id = $6 AND carrier_org = $7",
        )
        .bind(card.origin.as_str())
        .bind(card.destination.as_str())
        .bind(card.mode.as_str())
        .bind(json_text(card)?)
        .bind(now_text())
        .bind(id)
        .bind(carrier_org)
        .execute(&mut *tx.tx)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit(
            actor,
            Some(carrier_org),
            "rate_card.updated",
            &format!("rate_card:{id}"),
            json!({"origin": card.origin, "destination": card.destination, "mode": card.mode, "price_per_kg": card.price_per_kg, "currency": card.currency}),
        )
        .await?;
        self.get_rate_card(id).await
    }

    /// One rate card (cards are public to signed-in users).
    pub async fn get_rate_card(&self, id: &str) -> Result<RateCardRecord> {
        let r = sqlx::query(&format!("{CARD_SELECT} WHERE r.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        card_from_row(&r)
    }

    /// Rate cards, oldest first, filtered by whichever of origin, destination and mode are
    /// given, `limit` at a time after `after`.
    pub async fn list_rate_cards(
        &self,
        origin: Option<&Locode>,
        destination: Option<&Locode>,
        mode: Option<TransportMode>,
        after: &str,
        limit: usize,
    ) -> Result<Page<RateCardRecord>> {
        let rows = sqlx::query(&format!(
            "{CARD_SELECT} WHERE ($1 = '' OR r.origin = $1) AND ($2 = '' OR r.destination = $2)
             AND ($3 = '' OR r.mode = $3) AND r.id > $4 ORDER BY r.id LIMIT $5"
        ))
        .bind(origin.map_or("", |l| l.as_str()))
        .bind(destination.map_or("", |l| l.as_str()))
        .bind(mode.map_or("", |m| m.as_str()))
        .bind(after)
        .bind(limit as i64 + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(card_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, limit, |c| c.id.clone()))
    }

    /// A party of an order books transport on a rate card: the shipment is `requested`
    /// until the carrier confirms. The order must be agreed and not yet shipped.
    pub async fn book_shipment(
        &self,
        actor: &Actor,
        organization_id: &str,
        order_id: &str,
        rate_card_id: &str,
        packages: &[Package],
    ) -> Result<ShipmentRecord> {
        let mut tx = self.begin_audited().await?;
        let order = Store::order_in(&mut tx, organization_id, order_id).await?;
        if !matches!(order.order.status, OrderStatus::Agreed | OrderStatus::Funded | OrderStatus::InProduction) {
            return Err(StoreError::Refused(format!(
                "transport is booked for an agreed order that has not shipped; this order is {}",
                order.order.status.label()
            )));
        }
        let row = sqlx::query(&format!("{CARD_SELECT} WHERE r.id = $1"))
            .bind(rate_card_id)
            .fetch_optional(&mut *tx.tx)
            .await?
            .ok_or(StoreError::InvalidField {
                field: "rate_card_id",
                code: "unknown_rate_card",
                message: "no rate card has this id; find one with POST /api/v1/shipping-quotes".into(),
            })?;
        let card = card_from_row(&row)?;
        let quote = card.card.quote(packages).map_err(|e| StoreError::InvalidField {
            field: "packages",
            code: "cannot_price",
            message: format!("these packages cannot be priced on this card: {e}"),
        })?;
        let s = ShipmentRecord {
            id: new_id(),
            order_id: order_id.to_string(),
            carrier_org: card.carrier_org.clone(),
            carrier_scac: card.carrier_scac.clone(),
            rate_card_id: card.id.clone(),
            booked_by: organization_id.to_string(),
            buyer_org: order.order.terms.buyer.to_string(),
            seller_org: order.order.terms.seller.to_string(),
            booking: Booking { rate_card: card.card.clone(), packages: packages.to_vec(), quote },
            status: ShipmentStatus::Requested,
            containers: vec![],
            proof_of_delivery: None,
            created_at: now_text(),
            updated_at: now_text(),
        };
        sqlx::query(
            "INSERT INTO shipments (id, order_id, carrier_org, booked_by, buyer_org, seller_org, rate_card_id, booking,
             status, containers, proof_of_delivery, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11, $12)",
        )
        .bind(&s.id)
        .bind(&s.order_id)
        .bind(&s.carrier_org)
        .bind(&s.booked_by)
        .bind(&s.buyer_org)
        .bind(&s.seller_org)
        .bind(&s.rate_card_id)
        .bind(json_text(&s.booking)?)
        .bind(s.status.label())
        .bind(json_text(&s.containers)?)
        .bind(&s.created_at)
        .bind(&s.updated_at)
        .execute(&mut *tx.tx)
        .await?;
        let body = json!({"shipment_id": s.id, "order_id": order_id, "freight": s.booking.quote.freight});
        notify_in_tx(
            &mut tx,
            &s.carrier_org,
            "shipment_requested",
            "A shipper booked transport with you: confirm it",
            body.clone(),
        )
        .await?;
        let counterparty = if organization_id == s.buyer_org { &s.seller_org } else { &s.buyer_org };
        notify_in_tx(
            &mut tx,
            counterparty,
            "shipment_booked",
            &format!("Transport was booked with carrier {} for an order", s.carrier_scac),
            body,
        )
        .await?;
        tx.commit(
            actor,
            Some(organization_id),
            "shipment.booked",
            &format!("shipment:{}", s.id),
            json!({"order_id": order_id, "carrier": s.carrier_org, "rate_card_id": s.rate_card_id,
                "chargeable_kg": s.booking.quote.weight.chargeable_kg, "freight": s.booking.quote.freight}),
        )
        .await?;
        Ok(s)
    }

    /// A shipment for its carrier and the two parties of its order only.
    pub async fn get_shipment(&self, organization_id: &str, id: &str) -> Result<ShipmentRecord> {
        let r = sqlx::query(&format!(
            "{SHIPMENT_SELECT} WHERE s.id = $1 AND (s.carrier_org = $2 OR s.buyer_org = $2 OR s.seller_org = $2)"
        ))
        .bind(id)
        .bind(organization_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        shipment_from_row(&r)
    }

    /// The shipments a company carries or ships or receives, oldest first.
    pub async fn list_shipments(
        &self,
        organization_id: &str,
        after: &str,
        limit: usize,
    ) -> Result<Page<ShipmentRecord>> {
        let rows = sqlx::query(&format!(
            "{SHIPMENT_SELECT} WHERE (s.carrier_org = $1 OR s.buyer_org = $1 OR s.seller_org = $1) AND s.id > $2
             ORDER BY s.id LIMIT $3"
        ))
        .bind(organization_id)
        .bind(after)
        .bind(limit as i64 + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(shipment_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, limit, |s| s.id.clone()))
    }

    /// The carrier confirms a booking, with the containers it assigned (required for sea).
    pub async fn confirm_shipment(
        &self,
        actor: &Actor,
        carrier_org: &str,
        id: &str,
        containers: &[ContainerNumber],
    ) -> Result<ShipmentRecord> {
        let mut tx = self.begin_audited().await?;
        let mut s = carriers_shipment_in(&mut tx, carrier_org, id).await?;
        if s.booking.rate_card.mode == TransportMode::Sea && containers.is_empty() {
            return Err(StoreError::InvalidField {
                field: "containers",
                code: "required",
                message: "a sea shipment is confirmed with the container numbers it travels in".into(),
            });
        }
        let from = s.status.label();
        s.status = s.status.apply(ShipmentEvent::Confirm).map_err(refused)?;
        s.containers = containers.to_vec();
        s.updated_at = now_text();
        save_shipment(&mut tx, &s).await?;
        notify_parties(
            &mut tx,
            &s,
            "shipment_confirmed",
            &format!("Carrier {} confirmed the shipment", s.carrier_scac),
            json!({"shipment_id": s.id, "order_id": s.order_id, "containers": s.containers}),
        )
        .await?;
        tx.commit(
            actor,
            Some(carrier_org),
            "shipment.confirmed",
            &format!("shipment:{id}"),
            json!({"from": from, "to": s.status.label(), "containers": s.containers}),
        )
        .await?;
        Ok(s)
    }

    /// The carrier or either party of the order calls off a booking that has not left yet;
    /// the others are told.
    pub async fn cancel_shipment(&self, actor: &Actor, organization_id: &str, id: &str) -> Result<ShipmentRecord> {
        let mut tx = self.begin_audited().await?;
        let row = sqlx::query(&format!(
            "{SHIPMENT_SELECT} WHERE s.id = $1 AND (s.carrier_org = $2 OR s.buyer_org = $2 OR s.seller_org = $2)"
        ))
        .bind(id)
        .bind(organization_id)
        .fetch_optional(&mut *tx.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut s = shipment_from_row(&row)?;
        let from = s.status.label();
        s.status = s.status.apply(ShipmentEvent::Cancel).map_err(refused)?;
        s.updated_at = now_text();
        save_shipment(&mut tx, &s).await?;
        for org in [&s.carrier_org, &s.buyer_org, &s.seller_org] {
            if org != organization_id {
                notify_in_tx(
                    &mut tx,
                    org,
                    "shipment_cancelled",
                    &format!("A shipment with carrier {} was cancelled", s.carrier_scac),
                    json!({"shipment_id": s.id, "order_id": s.order_id}),
                )
                .await?;
            }
        }
        tx.commit(
            actor,
            Some(organization_id),
            "shipment.cancelled",
            &format!("shipment:{id}"),
            json!({"from": from, "to": s.status.label()}),
        )
        .await?;
        Ok(s)
    }

    /// The carrier reports tracking events (`source` is `api` or `webhook`). An event id
    /// already recorded for the shipment is accepted again without a second effect. An
    /// ACTual departure or load puts the shipment in transit and ships a funded order.
    pub async fn record_tracking_events(
        &self,
        actor: &Actor,
        carrier_org: &str,
        id: &str,
        events: &[TrackingEvent],
        source: &str,
    ) -> Result<EventsRecorded> {
        let mut tx = self.begin_audited().await?;
        let mut s = carriers_shipment_in(&mut tx, carrier_org, id).await?;
        if !s.status.takes_tracking_events() {
            return Err(StoreError::Refused(format!(
                "tracking events are taken once the carrier confirmed the shipment, and never for a cancelled one; this shipment is {}",
                s.status.label()
            )));
        }
        let (mut recorded, mut duplicates, mut fresh) = (vec![], vec![], vec![]);
        let received_at = now_text();
        for e in events {
            let res = sqlx::query(
                "INSERT INTO tracking_events (id, shipment_id, event_id, event_at, event, source, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (shipment_id, event_id) DO NOTHING",
            )
            .bind(new_id())
            .bind(id)
            .bind(&e.event_id)
            .bind(format_time(e.event_datetime))
            .bind(json_text(e)?)
            .bind(source)
            .bind(&received_at)
            .execute(&mut *tx.tx)
            .await?;
            if res.rows_affected() == 0 {
                duplicates.push(e.event_id.clone());
            } else {
                recorded.push(e.event_id.clone());
                fresh.push(e);
            }
        }
        if fresh.is_empty() {
            // Nothing new: write nothing (the transaction is dropped, rolled back).
            let order = Store::order_in(&mut tx, &s.buyer_org, &s.order_id).await?;
            return Ok(EventsRecorded {
                shipment: s,
                recorded,
                duplicates,
                order_status: order.order.status.label().into(),
            });
        }
        let from = s.status.label();
        let order_status = if s.status == ShipmentStatus::Confirmed && fresh.iter().any(|e| e.starts_transit()) {
            s.status = s.status.apply(ShipmentEvent::Depart).map_err(refused)?;
            s.updated_at = now_text();
            save_shipment(&mut tx, &s).await?;
            move_order(&mut tx, &s, false).await?.0
        } else {
            Store::order_in(&mut tx, &s.buyer_org, &s.order_id).await?.order.status.label().to_string()
        };
        let summary = fresh.iter().map(|e| e.summary()).collect::<Vec<_>>().join(", ");
        notify_parties(
            &mut tx,
            &s,
            "shipment_tracking",
            &format!("Carrier {} reported: {summary}", s.carrier_scac),
            json!({"shipment_id": s.id, "order_id": s.order_id, "events": recorded, "status": s.status.label()}),
        )
        .await?;
        tx.commit(
            actor,
            Some(carrier_org),
            "shipment.tracking_events",
            &format!("shipment:{id}"),
            json!({"source": source, "events": recorded, "duplicates": duplicates, "from": from, "to": s.status.label(), "order_status": order_status}),
        )
        .await?;
        Ok(EventsRecorded { shipment: s, recorded, duplicates, order_status })
    }

    /// The carrier's proof of delivery: the shipment is delivered, and so is the order when
    /// its state machine allows (a funded order is shipped and delivered; a disputed or
    /// closed one stays as it is and the answer says why). The buyer may then release escrow.
    pub async fn deliver_shipment(
        &self,
        actor: &Actor,
        carrier_org: &str,
        id: &str,
        pod: &ProofOfDelivery,
    ) -> Result<Delivery> {
        let mut tx = self.begin_audited().await?;
        let mut s = carriers_shipment_in(&mut tx, carrier_org, id).await?;
        let from = s.status.label();
        s.status = s.status.apply(ShipmentEvent::Deliver).map_err(refused)?;
        s.proof_of_delivery = Some(pod.clone());
        s.updated_at = now_text();
        save_shipment(&mut tx, &s).await?;
        let (order_status, order_note) = move_order(&mut tx, &s, true).await?;
        notify_parties(
            &mut tx,
            &s,
            "shipment_delivered",
            &format!(
                "Carrier {} delivered the goods, signed for by {}; the order is {order_status}",
                s.carrier_scac, pod.signatory
            ),
            json!({"shipment_id": s.id, "order_id": s.order_id, "order_status": order_status}),
        )
        .await?;
        tx.commit(
            actor,
            Some(carrier_org),
            "shipment.delivered",
            &format!("shipment:{id}"),
            json!({"from": from, "to": s.status.label(), "signatory": pod.signatory, "delivered_at": format_time(pod.delivered_at), "order_status": order_status}),
        )
        .await?;
        Ok(Delivery { shipment: s, order_status, order_note })
    }

    /// An order's shipments with their timelines: both parties see all of them, a carrier
    /// sees the ones it carries, everyone else gets not found.
    pub async fn order_shipments(&self, organization_id: &str, order_id: &str) -> Result<Vec<ShipmentTimeline>> {
        let party = match self.get_order(organization_id, order_id).await {
            Ok(_) => true,
            Err(StoreError::NotFound) => false,
            Err(e) => return Err(e),
        };
        let rows = sqlx::query(&format!(
            "{SHIPMENT_SELECT} WHERE s.order_id = $1 AND ($2 = 1 OR s.carrier_org = $3) ORDER BY s.id"
        ))
        .bind(order_id)
        .bind(i64::from(party))
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await?;
        if !party && rows.is_empty() {
            return Err(StoreError::NotFound);
        }
        let mut out = Vec::new();
        for r in &rows {
            let shipment = shipment_from_row(r)?;
            let rows = sqlx::query(
                "SELECT id, shipment_id, event, source, received_at FROM tracking_events WHERE shipment_id = $1 ORDER BY id",
            )
            .bind(&shipment.id)
            .fetch_all(&self.pool)
            .await?;
            let mut events = rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()?;
            // Ids are time-ordered, so this is the order received, which the ETA rule needs.
            let as_received: Vec<TrackingEvent> = events.iter().map(|e| e.event.clone()).collect();
            let eta = eta(&as_received, &shipment.booking.rate_card.destination);
            events.sort_by(|a, b| a.event.event_datetime.cmp(&b.event.event_datetime).then_with(|| a.id.cmp(&b.id)));
            out.push(ShipmentTimeline { shipment, events, eta });
        }
        Ok(out)
    }
}
