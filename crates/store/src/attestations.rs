//! The registry of verifiable documents: batches a company signed, the fingerprint of each
//! document in them, and revocations. Verifiers anywhere ask it whether a document was issued
//! here and still stands; only the issuer revokes.

use crate::blobs::put_blob;
use crate::{Actor, Page, Result, Store, StoreError, new_id, now_text};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

/// One signature over a batch of documents.
#[derive(Debug, Clone)]
pub struct NewAttestationBatch {
    pub format: String,
    pub merkle_root: String,
    pub verification_method: String,
    pub signature: String,
}

/// A document of a batch, as wrapped and signed.
#[derive(Debug, Clone)]
pub struct NewVerifiableDocument {
    pub target_hash: String,
    pub trade_document_id: Option<String>,
    pub title: String,
    pub leaf_hashes: String,
    pub wrapped: Vec<u8>,
}

/// What the registry says of a document: public, since anyone holding the document may ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiableDocumentRecord {
    pub target_hash: String,
    pub batch_id: String,
    pub format: String,
    pub merkle_root: String,
    pub issuer_org: String,
    pub issuer_name: String,
    pub trade_document_id: Option<String>,
    pub title: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub revocation_reason: Option<String>,
}

const RECORD_SELECT: &str = "SELECT v.target_hash, v.batch_id, b.format, b.merkle_root, v.issuer_org, o.legal_name,
        v.trade_document_id, v.title, v.created_at, v.revoked_at, v.revoked_by, v.revocation_reason
     FROM verifiable_documents v JOIN attestation_batches b ON b.id = v.batch_id
     JOIN organizations o ON o.id = v.issuer_org";

fn record_from_row(r: &AnyRow) -> Result<VerifiableDocumentRecord> {
    Ok(VerifiableDocumentRecord {
        target_hash: r.try_get("target_hash")?,
        batch_id: r.try_get("batch_id")?,
        format: r.try_get("format")?,
        merkle_root: r.try_get("merkle_root")?,
        issuer_org: r.try_get("issuer_org")?,
        issuer_name: r.try_get("legal_name")?,
        trade_document_id: r.try_get("trade_document_id")?,
        title: r.try_get("title")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
        revoked_by: r.try_get("revoked_by")?,
        revocation_reason: r.try_get("revocation_reason")?,
    })
}

impl Store {
    /// Records a signed batch and its documents in one transaction; returns the batch id.
    pub async fn record_attestation_batch(
        &self,
        actor: &Actor,
        organization_id: &str,
        batch: NewAttestationBatch,
        documents: Vec<NewVerifiableDocument>,
    ) -> Result<String> {
        let id = new_id();
        let now = now_text();
        let mut tx = self.begin_audited().await?;
        sqlx::query(
            "INSERT INTO attestation_batches (id, issuer_org, format, merkle_root, verification_method, signature,
                 documents, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(organization_id)
        .bind(&batch.format)
        .bind(&batch.merkle_root)
        .bind(&batch.verification_method)
        .bind(&batch.signature)
        .bind(documents.len() as i64)
        .bind(&actor.user_id)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        for doc in &documents {
            if let Some(trade_document_id) = &doc.trade_document_id {
                let issued_here = sqlx::query("SELECT id FROM trade_documents WHERE id = $1 AND issued_by = $2")
                    .bind(trade_document_id)
                    .bind(organization_id)
                    .fetch_optional(&mut *tx.tx)
                    .await?;
                if issued_here.is_none() {
                    return Err(StoreError::InvalidField {
                        field: "document_id",
                        code: "not_issuer",
                        message: format!("document {trade_document_id} was not issued by your company"),
                    });
                }
            }
            let blob = put_blob(&mut tx, "application/json", &doc.wrapped, &now).await?;
            let inserted = sqlx::query(
                "INSERT INTO verifiable_documents (target_hash, batch_id, issuer_org, trade_document_id, title,
                     leaf_hashes, blob_sha256, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (target_hash) DO NOTHING",
            )
            .bind(&doc.target_hash)
            .bind(&id)
            .bind(organization_id)
            .bind(&doc.trade_document_id)
            .bind(&doc.title)
            .bind(&doc.leaf_hashes)
            .bind(&blob)
            .bind(&now)
            .execute(&mut *tx.tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                return Err(StoreError::Conflict {
                    field: "documents",
                    message: format!("a document with fingerprint {} is already registered", doc.target_hash),
                });
            }
        }
        tx.commit(
            actor,
            Some(organization_id),
            "attestation.batch_signed",
            &format!("attestation_batch:{id}"),
            json!({ "format": batch.format, "merkle_root": batch.merkle_root, "documents": documents.len() }),
        )
        .await?;
        Ok(id)
    }

    /// The registry's answer for a fingerprint, to anyone.
    pub async fn verifiable_document(&self, target_hash: &str) -> Result<Option<VerifiableDocumentRecord>> {
        let row = sqlx::query(&format!("{RECORD_SELECT} WHERE v.target_hash = $1"))
            .bind(target_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// The issuer's leaf hashes of a registered document (hex, concatenated).
    pub async fn verifiable_leaf_hashes(&self, target_hash: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT leaf_hashes FROM verifiable_documents WHERE target_hash = $1")
            .bind(target_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get("leaf_hashes").map_err(StoreError::from)).transpose()
    }

    /// The documents a company made verifiable, newest first.
    pub async fn verifiable_documents(
        &self,
        organization_id: &str,
        trade_document_id: Option<&str>,
        limit: usize,
    ) -> Result<Page<VerifiableDocumentRecord>> {
        let rows = sqlx::query(&format!(
            "{RECORD_SELECT} WHERE v.issuer_org = $1 AND ($2 = '' OR v.trade_document_id = $2)
             ORDER BY v.created_at DESC, v.target_hash LIMIT $3"
        ))
        .bind(organization_id)
        .bind(trade_document_id.unwrap_or(""))
        .bind(limit as i64 + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(record_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, limit, |r| r.target_hash.clone()))
    }

    /// The verifiable versions of the given trade documents; the caller has already checked
    /// that the company may read those documents.
    pub async fn verifiable_for_documents(
        &self,
        trade_document_ids: &[String],
    ) -> Result<Vec<VerifiableDocumentRecord>> {
        let mut out = Vec::new();
        for id in trade_document_ids {
            let rows = sqlx::query(&format!("{RECORD_SELECT} WHERE v.trade_document_id = $1 ORDER BY v.created_at"))
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
            for r in &rows {
                out.push(record_from_row(r)?);
            }
        }
        Ok(out)
    }

    /// The wrapped document itself: for its issuer, or for a party to the order of the trade
    /// document it was made from.
    pub async fn wrapped_document(
        &self,
        organization_id: &str,
        target_hash: &str,
    ) -> Result<(VerifiableDocumentRecord, Vec<u8>)> {
        let record = self.verifiable_document(target_hash).await?.ok_or(StoreError::NotFound)?;
        if record.issuer_org != organization_id {
            let Some(trade_document_id) = &record.trade_document_id else { return Err(StoreError::NotFound) };
            let order = sqlx::query("SELECT order_id FROM trade_documents WHERE id = $1")
                .bind(trade_document_id)
                .fetch_one(&self.pool)
                .await?;
            let order_id: String = order.try_get("order_id")?;
            // Readable means the trade document itself is readable by this company.
            self.trade_document(organization_id, &order_id, trade_document_id).await?;
        }
        let row = sqlx::query(
            "SELECT b.content FROM verifiable_documents v JOIN blobs b ON b.sha256 = v.blob_sha256 WHERE v.target_hash = $1",
        )
        .bind(target_hash)
        .fetch_one(&self.pool)
        .await?;
        Ok((record, row.try_get("content")?))
    }

    /// The issuer withdraws a document; verifiers see when, by whom and why.
    pub async fn revoke_verifiable_document(
        &self,
        actor: &Actor,
        organization_id: &str,
        target_hash: &str,
        revoked_by: &str,
        reason: &str,
    ) -> Result<VerifiableDocumentRecord> {
        let mut tx = self.begin_audited().await?;
        let row = sqlx::query("SELECT issuer_org, revoked_at FROM verifiable_documents WHERE target_hash = $1")
            .bind(target_hash)
            .fetch_optional(&mut *tx.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let issuer: String = row.try_get("issuer_org")?;
        if issuer != organization_id {
            return Err(StoreError::NotFound);
        }
        let revoked_at: Option<String> = row.try_get("revoked_at")?;
        if let Some(at) = revoked_at {
            return Err(StoreError::Refused(format!("this document was already revoked at {at}")));
        }
        sqlx::query(
            "UPDATE verifiable_documents SET revoked_at = $1, revoked_by = $2, revocation_reason = $3
             WHERE target_hash = $4",
        )
        .bind(now_text())
        .bind(revoked_by)
        .bind(reason)
        .bind(target_hash)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(
            actor,
            Some(organization_id),
            "attestation.revoked",
            &format!("verifiable_document:{target_hash}"),
            json!({ "reason": reason }),
        )
        .await?;
        self.verifiable_document(target_hash).await?.ok_or(StoreError::NotFound)
    }
}
