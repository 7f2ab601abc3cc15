//! Appending to and reading the hash-chained audit trail.

use crate::{Actor, Page, Result, Store, StoreError, now_text};
use sqlx::{Any, Row, Transaction};
use tradewind_domain::audit::{AuditEntry, AuditRecord, ChainReport, chain, verify_chain};

/// A write transaction that has claimed the next audit sequence number. Claiming first
/// makes the transaction's first statement a write, so concurrent writers queue on it
/// instead of failing later, and the chain stays linear.
pub struct AuditedTx {
    pub(crate) tx: Transaction<'static, Any>,
    seq: i64,
    prev_hash: String,
    backend: crate::Backend,
    /// This process's turn to write, given back when the transaction ends (declared after
    /// `tx`, so it is released after the commit or rollback).
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl Store {
    pub(crate) async fn begin_audited(&self) -> Result<AuditedTx> {
        // Queue in the process first; the audit head's row lock still orders writers across
        // processes (several servers on one PostgreSQL database).
        let turn = self.writers.clone().lock_owned().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *tx)
            .await?;
        Ok(AuditedTx {
            seq: row.try_get("seq")?,
            prev_hash: row.try_get("hash")?,
            backend: self.backend,
            tx,
            _turn: turn,
        })
    }

    /// A company's own audit entries, oldest first, `limit` at a time after `after_seq`.
    pub async fn list_audit(&self, organization_id: &str, after_seq: i64, limit: usize) -> Result<Page<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor_user_id, organization_id, action, subject, details, prev_hash, hash
             FROM audit_entries WHERE organization_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(organization_id)
        .bind(after_seq)
        .bind(limit as i64 + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(entry_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, limit, |e| e.seq.to_string()))
    }

    /// Recomputes the whole chain and names the first broken entry.
    pub async fn verify_audit(&self) -> Result<ChainReport> {
        let rows = sqlx::query(
            "SELECT seq, at, actor_user_id, organization_id, action, subject, details, prev_hash, hash
             FROM audit_entries ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        let entries = rows.iter().map(entry_from_row).collect::<Result<Vec<_>>>()?;
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?;
        let head_seq: i64 = head.try_get("seq")?;
        let head_hash: String = head.try_get("hash")?;
        Ok(verify_chain(&entries, Some((head_seq, &head_hash))))
    }
}

fn entry_from_row(r: &sqlx::any::AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.try_get("seq")?,
        record: AuditRecord {
            at: r.try_get("at")?,
            actor_user_id: r.try_get("actor_user_id")?,
            organization_id: r.try_get("organization_id")?,
            action: r.try_get("action")?,
            subject: r.try_get("subject")?,
            details: r.try_get("details")?,
        },
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

impl AuditedTx {
    /// Records one more audit entry in this transaction and claims the next sequence
    /// number, so one commit can carry many audited changes (bulk submissions).
    pub async fn append(
        &mut self,
        actor: &Actor,
        organization_id: Option<&str>,
        action: &str,
        subject: &str,
        details: serde_json::Value,
    ) -> Result<i64> {
        let hash = self.insert_entry(actor, organization_id, action, subject, details).await?;
        let row = sqlx::query("UPDATE audit_head SET seq = seq + 1, hash = $1 WHERE id = 1 RETURNING seq")
            .bind(&hash)
            .fetch_one(&mut *self.tx)
            .await?;
        let seq = self.seq;
        self.seq = row.try_get("seq")?;
        self.prev_hash = hash;
        Ok(seq)
    }

    /// Records many audit entries in this transaction, chained in order, with one statement
    /// per thousand entries; the transaction's own entry (written by `commit`) follows them.
    pub async fn append_many(
        &mut self,
        entries: &[(Actor, Option<String>, String, String, serde_json::Value)],
    ) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let at = now_text();
        let mut chained = Vec::with_capacity(entries.len());
        let mut prev = self.prev_hash.clone();
        for (seq, (actor, org, action, subject, details)) in (self.seq..).zip(entries) {
            let record = AuditRecord {
                at: at.clone(),
                actor_user_id: actor.user_id.clone(),
                organization_id: org.clone(),
                action: action.clone(),
                subject: subject.clone(),
                details: serde_json::to_string(details).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            };
            let entry = chain(seq, &prev, record);
            prev = entry.hash.clone();
            chained.push(entry);
        }
        let mut rows = crate::JsonRows::new();
        for e in &chained {
            rows.row()
                .int(e.seq)
                .text(&e.record.at)
                .opt_text(e.record.actor_user_id.as_deref())
                .opt_text(e.record.organization_id.as_deref())
                .text(&e.record.action)
                .text(&e.record.subject)
                .text(&e.record.details)
                .text(&e.prev_hash)
                .text(&e.hash);
        }
        crate::insert_json_text(
            &mut self.tx,
            self.backend,
            "audit_entries",
            &[
                ("seq", true),
                ("at", false),
                ("actor_user_id", false),
                ("organization_id", false),
                ("action", false),
                ("subject", false),
                ("details", false),
                ("prev_hash", false),
                ("hash", false),
            ],
            rows,
        )
        .await?;
        let row = sqlx::query("UPDATE audit_head SET seq = seq + $1, hash = $2 WHERE id = 1 RETURNING seq")
            .bind(entries.len() as i64)
            .bind(&prev)
            .fetch_one(&mut *self.tx)
            .await?;
        self.seq = row.try_get("seq")?;
        self.prev_hash = prev;
        Ok(())
    }

    async fn insert_entry(
        &mut self,
        actor: &Actor,
        organization_id: Option<&str>,
        action: &str,
        subject: &str,
        details: serde_json::Value,
    ) -> Result<String> {
        let record = AuditRecord {
            at: now_text(),
            actor_user_id: actor.user_id.clone(),
            organization_id: organization_id.map(str::to_string),
            action: action.to_string(),
            subject: subject.to_string(),
            details: serde_json::to_string(&details).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        };
        let entry = chain(self.seq, &self.prev_hash, record);
        sqlx::query(
            "INSERT INTO audit_entries (seq, at, actor_user_id, organization_id, action, subject, details, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(entry.seq)
        .bind(&entry.record.at)
        .bind(&entry.record.actor_user_id)
        .bind(&entry.record.organization_id)
        .bind(&entry.record.action)
        .bind(&entry.record.subject)
        .bind(&entry.record.details)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *self.tx)
        .await?;
        Ok(entry.hash)
    }

    /// Records the action and commits it together with everything else in the transaction.
    pub async fn commit(
        mut self,
        actor: &Actor,
        organization_id: Option<&str>,
        action: &str,
        subject: &str,
        details: serde_json::Value,
    ) -> Result<i64> {
        let hash = self.insert_entry(actor, organization_id, action, subject, details).await?;
        let seq = self.seq;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&hash).execute(&mut *self.tx).await?;
        self.tx.commit().await?;
        Ok(seq)
    }
}
