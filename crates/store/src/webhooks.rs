//! Outgoing webhooks in the store: the endpoints a company subscribes (with their signing
//! secrets), and the deliveries made from the `webhook` rows of `delivery_outbox`.
//!
//! A delivery is made per outbox row and matching endpoint by [`Store::fan_out_webhooks`],
//! which hands each row over once (the row's `delivered_at` records the hand-over). A
//! worker then [`claim`](Store::claim_due_webhook_deliveries)s due deliveries with a lease
//! taken under an `UPDATE … WHERE` guard, so that two server processes never send the same
//! delivery at once, and [`records`](Store::finish_webhook_attempt) each attempt's outcome.
//! Changes a company makes (subscribe, delete, rotate, redeliver) are audited; the
//! worker's bookkeeping is not, as with the search outbox: it is machinery, and auditing
//! every attempt would queue every send behind the audit head.

use crate::{Actor, Page, Result, Store, StoreError, format_time, new_id, now_text};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::time::Duration;
use tradewind_domain::webhook::{DeliveryStatus, EventFilter, WebhookUrl};

/// The most endpoints one company may subscribe, which bounds the work per event.
pub const MAX_WEBHOOK_ENDPOINTS: i64 = 10;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("webhook {what}: {e}"))
}

/// A subscribed endpoint, as its company sees it (never with the secret).
#[derive(Debug, Clone, Serialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub organization_id: String,
    pub url: String,
    /// The notification kinds sent; empty for every kind.
    pub event_kinds: Vec<String>,
    pub created_at: String,
    pub secret_rotated_at: Option<String>,
}

/// One event on its way to one endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookDelivery {
    /// Also the `Tradewind-Webhook-Id` header and the body's `id`.
    pub id: String,
    pub endpoint_id: String,
    pub kind: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// When a pending delivery is tried next.
    pub next_attempt_at: Option<String>,
    /// The HTTP status of the last answer, if there was one.
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub delivered_at: Option<String>,
}

/// A delivery a worker has claimed: what to send where, and the lease proving the claim.
#[derive(Clone)]
pub struct DueDelivery {
    pub id: String,
    pub endpoint_id: String,
    pub url: String,
    pub secret: String,
    /// The JSON body, byte for byte as signed.
    pub payload: String,
    /// This attempt's number, 1 for the first.
    pub attempt: u32,
    lease_token: String,
}

// The secret stays out of logs and panics.
impl std::fmt::Debug for DueDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DueDelivery")
            .field("id", &self.id)
            .field("endpoint_id", &self.endpoint_id)
            .field("url", &self.url)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    pub status: DeliveryStatus,
    /// When a delivery left pending is tried next.
    pub retry_in: Option<Duration>,
    pub http_status: Option<u16>,
    pub error: Option<String>,
}

const ENDPOINT_COLUMNS: &str = "id, organization_id, url, event_kinds, created_at, secret_rotated_at";
const DELIVERY_COLUMNS: &str = "id, endpoint_id, kind, status, attempts, next_attempt_at, last_status, last_error, created_at, updated_at, delivered_at";

fn endpoint_from_row(r: &AnyRow) -> Result<WebhookEndpoint> {
    let kinds: String = r.try_get("event_kinds")?;
    Ok(WebhookEndpoint {
        id: r.try_get("id")?,
        organization_id: r.try_get("organization_id")?,
        url: r.try_get("url")?,
        event_kinds: serde_json::from_str(&kinds).map_err(|e| corrupt("event_kinds", e))?,
        created_at: r.try_get("created_at")?,
        secret_rotated_at: r.try_get("secret_rotated_at")?,
    })
}

fn delivery_from_row(r: &AnyRow) -> Result<WebhookDelivery> {
    let status: String = r.try_get("status")?;
    Ok(WebhookDelivery {
        id: r.try_get("id")?,
        endpoint_id: r.try_get("endpoint_id")?,
        kind: r.try_get("kind")?,
        status: DeliveryStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_status: r.try_get("last_status")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        delivered_at: r.try_get("delivered_at")?,
    })
}

fn later(d: Duration) -> String {
    format_time(time::OffsetDateTime::now_utc() + d)
}

impl Store {
    /// Subscribes an endpoint for a company; the secret is the one to sign with.
    pub async fn create_webhook_endpoint(
        &self,
        actor: &Actor,
        organization_id: &str,
        url: &WebhookUrl,
        events: &EventFilter,
        secret: &str,
    ) -> Result<WebhookEndpoint> {
        let mut tx = self.begin_audited().await?;
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM webhook_endpoints WHERE organization_id = $1")
            .bind(organization_id)
            .fetch_one(&mut *tx.tx)
            .await?
            .try_get("n")?;
        if n >= MAX_WEBHOOK_ENDPOINTS {
            return Err(StoreError::Refused(format!(
                "a company may subscribe at most {MAX_WEBHOOK_ENDPOINTS} webhook endpoints; delete one first"
            )));
        }
        let endpoint = WebhookEndpoint {
            id: new_id(),
            organization_id: organization_id.to_string(),
            url: url.to_string(),
            event_kinds: events.kinds().to_vec(),
            created_at: now_text(),
            secret_rotated_at: None,
        };
        sqlx::query("INSERT INTO webhook_endpoints (id, organization_id, url, event_kinds, secret, created_at, secret_rotated_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)")
            .bind(&endpoint.id)
            .bind(organization_id)
            .bind(&endpoint.url)
            .bind(serde_json::to_string(&endpoint.event_kinds).map_err(|e| corrupt("event_kinds", e))?)
            .bind(secret)
            .bind(&endpoint.created_at)
            .execute(&mut *tx.tx)
            .await?;
        // The audit names the host and kinds, never the secret.
        tx.commit(
            actor,
            Some(organization_id),
            "webhook.subscribed",
            &format!("webhook:{}", endpoint.id),
            json!({"host": url.host(), "event_kinds": endpoint.event_kinds}),
        )
        .await?;
        Ok(endpoint)
    }

    /// A company's endpoints, oldest first.
    pub async fn webhook_endpoints(&self, organization_id: &str) -> Result<Vec<WebhookEndpoint>> {
        let rows = sqlx::query(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 ORDER BY id"
        ))
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(endpoint_from_row).collect()
    }

    /// One of the company's endpoints; another company's is not found.
    pub async fn webhook_endpoint(&self, organization_id: &str, id: &str) -> Result<WebhookEndpoint> {
        let row = sqlx::query(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND organization_id = $2"
        ))
        .bind(id)
        .bind(organization_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        endpoint_from_row(&row)
    }

    /// Removes an endpoint and its deliveries, sent or not.
    pub async fn delete_webhook_endpoint(&self, actor: &Actor, organization_id: &str, id: &str) -> Result<()> {
        let mut tx = self.begin_audited().await?;
        sqlx::query(
            "DELETE FROM webhook_deliveries WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE id = $1 AND organization_id = $2)",
        )
        .bind(id)
        .bind(organization_id)
        .execute(&mut *tx.tx)
        .await?;
        let gone = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND organization_id = $2")
            .bind(id)
            .bind(organization_id)
            .execute(&mut *tx.tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit(actor, Some(organization_id), "webhook.deleted", &format!("webhook:{id}"), json!({})).await?;
        Ok(())
    }

    /// Replaces an endpoint's signing secret; deliveries still pending are signed with the
    /// new one from their next attempt.
    pub async fn rotate_webhook_secret(
        &self,
        actor: &Actor,
        organization_id: &str,
        id: &str,
        secret: &str,
    ) -> Result<WebhookEndpoint> {
        let mut tx = self.begin_audited().await?;
        let changed = sqlx::query(
            "UPDATE webhook_endpoints SET secret = $1, secret_rotated_at = $2 WHERE id = $3 AND organization_id = $4",
        )
        .bind(secret)
        .bind(now_text())
        .bind(id)
        .bind(organization_id)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        let row = sqlx::query(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *tx.tx)
            .await?;
        let endpoint = endpoint_from_row(&row)?;
        tx.commit(actor, Some(organization_id), "webhook.secret_rotated", &format!("webhook:{id}"), json!({})).await?;
        Ok(endpoint)
    }

    /// An endpoint's deliveries, newest first, `limit` at a time before the cursor `before`
    /// ("" for the first page).
    pub async fn webhook_deliveries(
        &self,
        organization_id: &str,
        endpoint_id: &str,
        before: &str,
        limit: usize,
    ) -> Result<Page<WebhookDelivery>> {
        self.webhook_endpoint(organization_id, endpoint_id).await?;
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3"
        ))
        .bind(endpoint_id)
        .bind(before)
        .bind(limit as i64 + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(delivery_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, limit, |d| d.id.clone()))
    }

    /// Sends a failed delivery again, once, as soon as a worker runs. Only a failed one:
    /// a pending one is already on its way and a delivered one was answered.
    pub async fn redeliver_webhook(
        &self,
        actor: &Actor,
        organization_id: &str,
        endpoint_id: &str,
        delivery_id: &str,
    ) -> Result<WebhookDelivery> {
        let mut tx = self.begin_audited().await?;
        let row = sqlx::query(
            "SELECT d.status AS status FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
             WHERE d.id = $1 AND d.endpoint_id = $2 AND e.organization_id = $3",
        )
        .bind(delivery_id)
        .bind(endpoint_id)
        .bind(organization_id)
        .fetch_optional(&mut *tx.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let status: String = row.try_get("status")?;
        if status != DeliveryStatus::Failed.label() {
            return Err(StoreError::Refused(format!("only a failed delivery can be sent again; this one is {status}")));
        }
        let now = now_text();
        sqlx::query("UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, lease_until = NULL, lease_token = NULL, updated_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(delivery_id)
            .execute(&mut *tx.tx)
            .await?;
        let row = sqlx::query(&format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"))
            .bind(delivery_id)
            .fetch_one(&mut *tx.tx)
            .await?;
        let delivery = delivery_from_row(&row)?;
        tx.commit(
            actor,
            Some(organization_id),
            "webhook.redelivery_requested",
            &format!("webhook_delivery:{delivery_id}"),
            json!({"endpoint_id": endpoint_id}),
        )
        .await?;
        Ok(delivery)
    }

    /// Hands up to `limit` waiting `webhook` outbox rows to deliveries: one per endpoint of
    /// the company that existed when the event happened and wants its kind. Each row is
    /// handed over once, in its own transaction, even with several servers running; a row
    /// nobody subscribed to is simply marked. Returns the deliveries made.
    pub async fn fan_out_webhooks(&self, limit: usize) -> Result<usize> {
        let rows = sqlx::query(
            "SELECT id, organization_id, payload, created_at FROM delivery_outbox
             WHERE channel = 'webhook' AND delivered_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut made = 0;
        for r in &rows {
            let outbox_id: String = r.try_get("id")?;
            let org: String = r.try_get("organization_id")?;
            let payload: String = r.try_get("payload")?;
            let created_at: String = r.try_get("created_at")?;
            let event: serde_json::Value = serde_json::from_str(&payload).map_err(|e| corrupt("outbox payload", e))?;
            let kind = event["kind"].as_str().unwrap_or_default().to_string();
            let now = now_text();
            let mut tx = self.pool.begin().await?;
            // The guard: whoever marks the row first makes its deliveries.
            let taken =
                sqlx::query("UPDATE delivery_outbox SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL")
                    .bind(&now)
                    .bind(&outbox_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if taken == 0 {
                tx.rollback().await?;
                continue;
            }
            let endpoints = sqlx::query(&format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 AND created_at <= $2 ORDER BY id"
            ))
            .bind(&org)
            .bind(&created_at)
            .fetch_all(&mut *tx)
            .await?;
            for e in endpoints.iter().map(endpoint_from_row) {
                let e = e?;
                let wanted = EventFilter::parse(&e.event_kinds).map(|f| f.matches(&kind)).unwrap_or(true);
                if !wanted {
                    continue;
                }
                let id = new_id();
                let body = json!({
                    "id": id,
                    "kind": kind,
                    "subject": event["subject"],
                    "body": event["body"],
                    "organization_id": org,
                    "created_at": created_at,
                });
                sqlx::query(
                    "INSERT INTO webhook_deliveries (id, endpoint_id, organization_id, outbox_id, kind, payload, status, attempts, next_attempt_at, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $7)
                     ON CONFLICT (outbox_id, endpoint_id) DO NOTHING",
                )
                .bind(&id)
                .bind(&e.id)
                .bind(&org)
                .bind(&outbox_id)
                .bind(&kind)
                .bind(body.to_string())
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                made += 1;
            }
            tx.commit().await?;
        }
        Ok(made)
    }

    /// Claims up to `limit` pending deliveries that are due, for `lease` (longer than one
    /// attempt takes). A claim is an `UPDATE` guarded by the same conditions, so of two
    /// workers only one gets each delivery; one whose worker died is claimable again once
    /// its lease has run out. Counts the attempt.
    pub async fn claim_due_webhook_deliveries(&self, lease: Duration, limit: usize) -> Result<Vec<DueDelivery>> {
        let now = now_text();
        let candidates = sqlx::query(
            "SELECT id FROM webhook_deliveries
             WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
             ORDER BY next_attempt_at LIMIT $2",
        )
        .bind(&now)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::new();
        for c in &candidates {
            let id: String = c.try_get("id")?;
            let token = new_id();
            let won = sqlx::query(
                "UPDATE webhook_deliveries SET lease_until = $1, lease_token = $2, attempts = attempts + 1
                 WHERE id = $3 AND status = 'pending' AND next_attempt_at <= $4 AND (lease_until IS NULL OR lease_until <= $4)",
            )
            .bind(later(lease))
            .bind(&token)
            .bind(&id)
            .bind(&now)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if won == 0 {
                continue;
            }
            let row = sqlx::query(
                "SELECT d.id AS id, d.endpoint_id AS endpoint_id, d.payload AS payload, d.attempts AS attempts,
                        e.url AS url, e.secret AS secret
                 FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                 WHERE d.id = $1 AND d.lease_token = $2",
            )
            .bind(&id)
            .bind(&token)
            .fetch_optional(&self.pool)
            .await?;
            // Gone in between (its endpoint was deleted): nothing to send.
            let Some(row) = row else { continue };
            let attempts: i64 = row.try_get("attempts")?;
            claimed.push(DueDelivery {
                id,
                endpoint_id: row.try_get("endpoint_id")?,
                url: row.try_get("url")?,
                secret: row.try_get("secret")?,
                payload: row.try_get("payload")?,
                attempt: u32::try_from(attempts).map_err(|e| corrupt("attempts", e))?,
                lease_token: token,
            });
        }
        Ok(claimed)
    }

    /// Records an attempt's outcome and releases the lease. Returns false when the lease
    /// was lost (it ran out and another worker took the delivery, or the endpoint was
    /// deleted); the other worker's outcome then stands.
    pub async fn finish_webhook_attempt(&self, delivery: &DueDelivery, result: &AttemptResult) -> Result<bool> {
        let now = now_text();
        let next = match result.status {
            DeliveryStatus::Pending => Some(later(result.retry_in.unwrap_or_default())),
            _ => None,
        };
        let delivered_at = (result.status == DeliveryStatus::Delivered).then(|| now.clone());
        // Keep stored error texts short; receivers' error pages can be large.
        let error = result.error.as_ref().map(|e| e.chars().take(500).collect::<String>());
        let changed = sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, last_status = $3, last_error = $4,
                    delivered_at = $5, updated_at = $6, lease_until = NULL, lease_token = NULL
             WHERE id = $7 AND lease_token = $8",
        )
        .bind(result.status.label())
        .bind(next)
        .bind(result.http_status.map(i64::from))
        .bind(error)
        .bind(delivered_at)
        .bind(&now)
        .bind(&delivery.id)
        .bind(&delivery.lease_token)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }
}
