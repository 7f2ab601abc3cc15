//! Who may work on an order's document set and what it is built from: the parties' own
//! fields, the order's shipments, and the requests a party sends to a third party (a
//! chamber, an insurer, a bank) to issue a document. A company that is neither party,
//! carrier nor holder of a request for the order gets not found, as if the order did not
//! exist.

use super::*;
use crate::ShipmentRecord;
use crate::logistics::{SHIPMENT_SELECT, shipment_from_row};
use std::collections::BTreeMap;
use tradewind_domain::documents::{DocumentKind, Issuer, PartyFields};
use tradewind_domain::logistics::ShipmentStatus;

/// A company's place in an order's document set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "role")]
pub enum DocumentRole {
    Seller,
    Buyer,
    /// Carries one of the order's shipments.
    Carrier,
    /// Was asked to issue these kinds.
    NamedIssuer {
        kinds: Vec<DocumentKind>,
    },
}

impl DocumentRole {
    /// Whether this role issues `kind` (a named issuer only what it was asked for).
    pub fn issues(&self, kind: DocumentKind) -> bool {
        match (self, kind.issuer()) {
            (DocumentRole::Seller, Issuer::Seller)
            | (DocumentRole::Buyer, Issuer::Buyer)
            | (DocumentRole::Carrier, Issuer::Carrier) => true,
            (DocumentRole::NamedIssuer { kinds }, Issuer::Named) => kinds.contains(&kind),
            _ => false,
        }
    }

    pub fn is_party(&self) -> bool {
        matches!(self, DocumentRole::Seller | DocumentRole::Buyer)
    }
}

/// A request to a third party to issue a document for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRequestRecord {
    pub id: String,
    pub order_id: String,
    pub kind: DocumentKind,
    pub applicant_org: String,
    pub issuer_org: String,
    /// `requested`, `issued` or `rejected`.
    pub status: String,
    pub note: String,
    pub reason: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

/// Everything an order's documents are built from, as stored.
#[derive(Debug, Clone)]
pub struct DocumentSources {
    pub order: OrderRecord,
    /// The order's shipments that were not cancelled, oldest first.
    pub shipments: Vec<ShipmentRecord>,
    /// Each company's own fields, by organization id.
    pub fields: BTreeMap<String, PartyFields>,
    /// Requests to third parties, oldest first.
    pub requests: Vec<DocumentRequestRecord>,
}

const REQUEST_COLUMNS: &str =
    "id, order_id, kind, applicant_org, issuer_org, status, note, reason, created_at, decided_at";

fn request_from_row(r: &AnyRow) -> Result<DocumentRequestRecord> {
    let kind: String = r.try_get("kind")?;
    Ok(DocumentRequestRecord {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        kind: kind.parse().map_err(|e| corrupt("document request kind", e))?,
        applicant_org: r.try_get("applicant_org")?,
        issuer_org: r.try_get("issuer_org")?,
        status: r.try_get("status")?,
        note: r.try_get("note")?,
        reason: r.try_get("reason")?,
        created_at: r.try_get("created_at")?,
        decided_at: r.try_get("decided_at")?,
    })
}

/// The role of `organization_id` in order `id`'s document set, read through `conn`.
pub(crate) async fn document_role_on(
    conn: &mut sqlx::AnyConnection,
    organization_id: &str,
    id: &str,
) -> Result<(OrderRecord, DocumentRole)> {
    let row = sqlx::query(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let order = order_from_row(&row)?;
    if order.order.terms.seller.as_str() == organization_id {
        return Ok((order, DocumentRole::Seller));
    }
    if order.order.terms.buyer.as_str() == organization_id {
        return Ok((order, DocumentRole::Buyer));
    }
    let carries = sqlx::query("SELECT id FROM shipments WHERE order_id = $1 AND carrier_org = $2 AND status <> $3")
        .bind(id)
        .bind(organization_id)
        .bind(ShipmentStatus::Cancelled.label())
        .fetch_optional(&mut *conn)
        .await?;
    if carries.is_some() {
        return Ok((order, DocumentRole::Carrier));
    }
    let rows = sqlx::query(&format!(
        "SELECT {REQUEST_COLUMNS} FROM document_requests WHERE order_id = $1 AND issuer_org = $2 AND status <> 'rejected' ORDER BY id"
    ))
    .bind(id)
    .bind(organization_id)
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Err(StoreError::NotFound);
    }
    let mut kinds = Vec::new();
    for r in &rows {
        let k = request_from_row(r)?.kind;
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    Ok((order, DocumentRole::NamedIssuer { kinds }))
}

impl Store {
    /// The role of a company in an order's document set (not found for everyone else).
    pub async fn document_role(&self, organization_id: &str, id: &str) -> Result<(OrderRecord, DocumentRole)> {
        let mut conn = self.pool.acquire().await?;
        document_role_on(&mut conn, organization_id, id).await
    }

    /// What the order's documents are built from, for a company with a role in the set.
    pub async fn document_sources(&self, organization_id: &str, id: &str) -> Result<(DocumentRole, DocumentSources)> {
        let (order, role) = self.document_role(organization_id, id).await?;
        let rows = sqlx::query(&format!("{SHIPMENT_SELECT} WHERE s.order_id = $1 AND s.status <> $2 ORDER BY s.id"))
            .bind(id)
            .bind(ShipmentStatus::Cancelled.label())
            .fetch_all(&self.pool)
            .await?;
        let shipments = rows.iter().map(shipment_from_row).collect::<Result<Vec<_>>>()?;
        let rows = sqlx::query("SELECT organization_id, fields FROM document_fields WHERE order_id = $1")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        let mut fields = BTreeMap::new();
        for r in &rows {
            let text: String = r.try_get("fields")?;
            fields.insert(r.try_get("organization_id")?, from_json::<PartyFields>("document fields", &text)?);
        }
        let rows =
            sqlx::query(&format!("SELECT {REQUEST_COLUMNS} FROM document_requests WHERE order_id = $1 ORDER BY id"))
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let requests = rows.iter().map(request_from_row).collect::<Result<Vec<_>>>()?;
        Ok((role, DocumentSources { order, shipments, fields, requests }))
    }

    /// Saves the fields a company adds to an order's documents (replacing its earlier ones).
    pub async fn put_document_fields(
        &self,
        actor: &Actor,
        organization_id: &str,
        id: &str,
        fields: &PartyFields,
    ) -> Result<PartyFields> {
        let mut tx = self.begin_audited().await?;
        document_role_on(&mut tx.tx, organization_id, id).await?;
        let now = now_text();
        let text = json_text(fields)?;
        let updated = sqlx::query(
            "UPDATE document_fields SET fields = $1, updated_at = $2 WHERE order_id = $3 AND organization_id = $4",
        )
        .bind(&text)
        .bind(&now)
        .bind(id)
        .bind(organization_id)
        .execute(&mut *tx.tx)
        .await?;
        if updated.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO document_fields (order_id, organization_id, fields, updated_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(organization_id)
            .bind(&text)
            .bind(&now)
            .execute(&mut *tx.tx)
            .await?;
        }
        tx.commit(actor, Some(organization_id), "document.fields_saved", &format!("order:{id}"), json!({})).await?;
        Ok(fields.clone())
    }

    /// A party asks `issuer_org` to issue `kind` for its order. The issuer is notified and
    /// may then read the order's document facts and issue, or reject with a reason.
    pub async fn request_document(
        &self,
        actor: &Actor,
        organization_id: &str,
        id: &str,
        kind: DocumentKind,
        issuer_org: &str,
        note: &str,
    ) -> Result<DocumentRequestRecord> {
        if kind.issuer() != Issuer::Named {
            return Err(StoreError::Refused(format!(
                "a {} is issued by the order's {}, not on request",
                kind.title().to_lowercase(),
                match kind.issuer() {
                    Issuer::Carrier => "carrier",
                    Issuer::Buyer => "buyer",
                    _ => "seller",
                }
            )));
        }
        let mut tx = self.begin_audited().await?;
        let (_, role) = document_role_on(&mut tx.tx, organization_id, id).await?;
        if !role.is_party() {
            return Err(StoreError::NotFound);
        }
        if issuer_org == organization_id {
            return Err(StoreError::Refused("a third party issues this document; name another company".into()));
        }
        let exists = sqlx::query("SELECT id FROM organizations WHERE id = $1")
            .bind(issuer_org)
            .fetch_optional(&mut *tx.tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::InvalidField {
                field: "issuer",
                code: "unknown",
                message: "no company with this id is registered on the platform".into(),
            });
        }
        let open = sqlx::query(
            "SELECT id FROM document_requests WHERE order_id = $1 AND kind = $2 AND issuer_org = $3 AND status = 'requested'",
        )
        .bind(id)
        .bind(kind.as_str())
        .bind(issuer_org)
        .fetch_optional(&mut *tx.tx)
        .await?;
        if open.is_some() {
            return Err(StoreError::Refused(format!(
                "this company already has an open request for the {}",
                kind.title().to_lowercase()
            )));
        }
        let r = DocumentRequestRecord {
            id: new_id(),
            order_id: id.to_string(),
            kind,
            applicant_org: organization_id.to_string(),
            issuer_org: issuer_org.to_string(),
            status: "requested".into(),
            note: note.trim().chars().take(1000).collect(),
            reason: None,
            created_at: now_text(),
            decided_at: None,
        };
        sqlx::query(&format!(
            "INSERT INTO document_requests ({REQUEST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&r.id)
        .bind(&r.order_id)
        .bind(r.kind.as_str())
        .bind(&r.applicant_org)
        .bind(&r.issuer_org)
        .bind(&r.status)
        .bind(&r.note)
        .bind(&r.reason)
        .bind(&r.created_at)
        .bind(&r.decided_at)
        .execute(&mut *tx.tx)
        .await?;
        notify_in_tx(
            &mut tx,
            issuer_org,
            "document_requested",
            &format!("You are asked to issue a {} for an order", kind.title().to_lowercase()),
            json!({"order_id": id, "request": r.id, "kind": kind}),
        )
        .await?;
        tx.commit(
            actor,
            Some(organization_id),
            "document.requested",
            &format!("order:{id}"),
            json!({"request": r.id, "kind": kind, "issuer": issuer_org}),
        )
        .await?;
        Ok(r)
    }

    /// Requests a company sent or received, newest first.
    pub async fn document_requests(&self, organization_id: &str) -> Result<Vec<DocumentRequestRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM document_requests WHERE issuer_org = $1 OR applicant_org = $1 ORDER BY id DESC LIMIT 200"
        ))
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(request_from_row).collect()
    }

    /// The issuer rejects an open request with a reason the applicant can act on.
    pub async fn reject_document_request(
        &self,
        actor: &Actor,
        organization_id: &str,
        request_id: &str,
        reason: &str,
    ) -> Result<DocumentRequestRecord> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(StoreError::InvalidField {
                field: "reason",
                code: "required",
                message: "say why the request is rejected (1 to 1000 characters), so the applicant can correct it"
                    .into(),
            });
        }
        let mut tx = self.begin_audited().await?;
        let row =
            sqlx::query(&format!("SELECT {REQUEST_COLUMNS} FROM document_requests WHERE id = $1 AND issuer_org = $2"))
                .bind(request_id)
                .bind(organization_id)
                .fetch_optional(&mut *tx.tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        let mut r = request_from_row(&row)?;
        if r.status != "requested" {
            return Err(StoreError::Refused(format!("the request is already {}", r.status)));
        }
        r.status = "rejected".into();
        r.reason = Some(reason.to_string());
        r.decided_at = Some(now_text());
        sqlx::query("UPDATE document_requests SET status = $1, reason = $2, decided_at = $3 WHERE id = $4")
            .bind(&r.status)
            .bind(&r.reason)
            .bind(&r.decided_at)
            .bind(&r.id)
            .execute(&mut *tx.tx)
            .await?;
        notify_in_tx(
            &mut tx,
            &r.applicant_org,
            "document_request_rejected",
            &format!("Your request for a {} was rejected: {reason}", r.kind.title().to_lowercase()),
            json!({"order_id": r.order_id, "request": r.id, "kind": r.kind}),
        )
        .await?;
        tx.commit(
            actor,
            Some(organization_id),
            "document.request_rejected",
            &format!("order:{}", r.order_id),
            json!({"request": r.id, "reason": reason}),
        )
        .await?;
        Ok(r)
    }
}
