//! Issued trade documents of an order: immutable versions addressed by the SHA-256 of their
//! content. Issuing what the latest version already says issues nothing; anything else is
//! the next version, and earlier versions stay readable.

use super::document_set::{DocumentRole, document_role_on};
use super::*;
use crate::blobs::put_blob;
use sha2::{Digest, Sha256};

/// An issued document as listed (without its content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeDocumentRecord {
    pub id: String,
    pub order_id: String,
    pub kind: String,
    pub version: u32,
    pub number: String,
    pub format: String,
    pub media_type: String,
    pub sha256: String,
    pub issued_by: String,
    pub issued_at: String,
    /// False when the request issued nothing new because the latest version already says
    /// the same.
    #[serde(default)]
    pub new_version: bool,
    /// What this version states for the consistency check, when it carries that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<serde_json::Value>,
}

/// A document about to be issued, written for a given version number.
#[derive(Debug, Clone)]
pub struct DocumentDraft {
    pub number: String,
    pub format: String,
    pub media_type: String,
    pub content: Vec<u8>,
    /// What the version states for the set's consistency check (the domain
    /// `DocumentSummary`), for the rendition that carries it.
    pub summary: Option<serde_json::Value>,
}

const DOCUMENT_COLUMNS: &str =
    "id, order_id, kind, version, number, format, media_type, sha256, issued_by, issued_at, summary";

fn document_from_row(r: &AnyRow) -> Result<TradeDocumentRecord> {
    let version: i64 = r.try_get("version")?;
    Ok(TradeDocumentRecord {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        kind: r.try_get("kind")?,
        version: u32::try_from(version).map_err(|e| corrupt("document version", e))?,
        number: r.try_get("number")?,
        format: r.try_get("format")?,
        media_type: r.try_get("media_type")?,
        sha256: r.try_get("sha256")?,
        issued_by: r.try_get("issued_by")?,
        issued_at: r.try_get("issued_at")?,
        new_version: false,
        summary: r
            .try_get::<Option<String>, _>("summary")?
            .map(|t| from_json::<serde_json::Value>("document summary", &t))
            .transpose()?,
    })
}

fn sha256_hex(content: &[u8]) -> String {
    hex::encode(Sha256::digest(content))
}

impl Store {
    /// The latest issued version of an order's document of `kind`, if any (parties only).
    pub async fn latest_document(
        &self,
        organization_id: &str,
        id: &str,
        kind: &str,
    ) -> Result<Option<TradeDocumentRecord>> {
        self.document_role(organization_id, id).await?;
        let row = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM trade_documents WHERE order_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1"
        ))
        .bind(id)
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(document_from_row).transpose()
    }

    /// Issues `draft(version, today)` as the next version of an order's document, unless
    /// the latest version's content is exactly what `draft(latest, its issue date)` writes
    /// now: then nothing changed and that version is the answer. Two issues at once cannot
    /// take one version number.
    pub async fn issue_document(
        &self,
        actor: &Actor,
        organization_id: &str,
        id: &str,
        kind: &str,
        today: time::Date,
        draft: impl Fn(u32, time::Date) -> Result<DocumentDraft>,
    ) -> Result<TradeDocumentRecord> {
        let mut tx = self.begin_audited().await?;
        let (order, role) = document_role_on(&mut tx.tx, organization_id, id).await?;
        let latest = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM trade_documents WHERE order_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1"
        ))
        .bind(id)
        .bind(kind)
        .fetch_optional(&mut *tx.tx)
        .await?;
        let mut next_version = 1;
        if let Some(row) = latest {
            let record = document_from_row(&row)?;
            let issued_on = record
                .issued_at
                .get(..10)
                .and_then(|d| time::Date::parse(d, &time::format_description::well_known::Iso8601::DATE).ok())
                .ok_or_else(|| corrupt("document issue date", &record.issued_at))?;
            if sha256_hex(&draft(record.version, issued_on)?.content) == record.sha256 {
                return Ok(record);
            }
            next_version = record.version + 1;
        }
        let d = draft(next_version, today)?;
        let record = TradeDocumentRecord {
            id: new_id(),
            order_id: id.to_string(),
            kind: kind.to_string(),
            version: next_version,
            number: d.number,
            format: d.format,
            media_type: d.media_type,
            sha256: sha256_hex(&d.content),
            issued_by: organization_id.to_string(),
            issued_at: now_text(),
            new_version: true,
            summary: d.summary,
        };
        put_blob(&mut tx, &record.media_type, &d.content, &record.issued_at).await?;
        sqlx::query(&format!(
            "INSERT INTO trade_documents ({DOCUMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(&record.id)
        .bind(&record.order_id)
        .bind(&record.kind)
        .bind(i64::from(record.version))
        .bind(&record.number)
        .bind(&record.format)
        .bind(&record.media_type)
        .bind(&record.sha256)
        .bind(&record.issued_by)
        .bind(&record.issued_at)
        .bind(record.summary.as_ref().map(json_text).transpose()?)
        .execute(&mut *tx.tx)
        .await?;
        // A named issuer answers the open requests for this kind by issuing it.
        if let DocumentRole::NamedIssuer { .. } = role {
            sqlx::query(
                "UPDATE document_requests SET status = 'issued', decided_at = $1
                 WHERE order_id = $2 AND issuer_org = $3 AND kind = $4 AND status = 'requested'",
            )
            .bind(&record.issued_at)
            .bind(id)
            .bind(organization_id)
            .bind(kind)
            .execute(&mut *tx.tx)
            .await?;
        }
        for party in [order.order.terms.seller.as_str(), order.order.terms.buyer.as_str()] {
            if party == organization_id {
                continue;
            }
            notify_in_tx(
                &mut tx,
                party,
                "document_issued",
                &format!("{} {} (version {}) was issued for an order", kind.replace('_', " "), record.number, record.version),
                json!({"order_id": id, "document": record.id, "kind": kind, "version": record.version, "sha256": record.sha256}),
            )
            .await?;
        }
        tx.commit(
            actor,
            Some(organization_id),
            "document.issued",
            &format!("order:{id}"),
            json!({"document": record.id, "kind": kind, "version": record.version, "sha256": record.sha256}),
        )
        .await?;
        Ok(record)
    }

    /// What the latest version of each kind in an order's set states for the consistency
    /// check, for any company with a role in the set: the check compares the whole set,
    /// as the documents travel together to everyone who acts on them.
    pub async fn set_summaries(&self, organization_id: &str, id: &str) -> Result<Vec<serde_json::Value>> {
        self.document_role(organization_id, id).await?;
        let rows = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM trade_documents WHERE order_id = $1 AND summary IS NOT NULL ORDER BY kind, version"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut latest: std::collections::BTreeMap<String, serde_json::Value> = std::collections::BTreeMap::new();
        for r in &rows {
            let d = document_from_row(r)?;
            if let Some(s) = d.summary {
                latest.insert(d.kind, s);
            }
        }
        Ok(latest.into_values().collect())
    }

    /// An order's issued documents, by kind and version (parties only).
    pub async fn order_documents(&self, organization_id: &str, id: &str) -> Result<Vec<TradeDocumentRecord>> {
        let (_, role) = self.document_role(organization_id, id).await?;
        let rows = sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM trade_documents WHERE order_id = $1 AND ($2 = 1 OR issued_by = $3)
             ORDER BY kind, version"
        ))
        .bind(id)
        .bind(i64::from(role.is_party()))
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_from_row).collect()
    }

    /// One issued document with its bytes (parties of its order only).
    pub async fn trade_document(
        &self,
        organization_id: &str,
        id: &str,
        document_id: &str,
    ) -> Result<(TradeDocumentRecord, Vec<u8>)> {
        let (_, role) = self.document_role(organization_id, id).await?;
        let row = sqlx::query(
            "SELECT d.id AS id, d.order_id AS order_id, d.kind AS kind, d.version AS version, d.number AS number,
                    d.format AS format, d.media_type AS media_type, d.sha256 AS sha256, d.issued_by AS issued_by,
                    d.issued_at AS issued_at, d.summary AS summary, b.content AS content
             FROM trade_documents d JOIN blobs b ON b.sha256 = d.sha256
             WHERE d.id = $1 AND d.order_id = $2 AND ($3 = 1 OR d.issued_by = $4)",
        )
        .bind(document_id)
        .bind(id)
        .bind(i64::from(role.is_party()))
        .bind(organization_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((document_from_row(&row)?, row.try_get("content")?))
    }
}
