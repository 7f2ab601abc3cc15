//! Content-addressed file storage: one row per distinct content, keyed by its SHA-256.

use crate::Result;
use crate::audit::AuditedTx;

/// Stores `content` unless the same bytes are already stored; returns its SHA-256 (hex),
/// the address other tables refer to.
pub(crate) async fn put_blob(tx: &mut AuditedTx, content_type: &str, content: &[u8], now: &str) -> Result<String> {
    use sha2::{Digest, Sha256};
    let sha = hex::encode(Sha256::digest(content));
    let exists =
        sqlx::query("SELECT sha256 FROM blobs WHERE sha256 = $1").bind(&sha).fetch_optional(&mut *tx.tx).await?;
    if exists.is_none() {
        sqlx::query("INSERT INTO blobs (sha256, size, content_type, content, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&sha)
            .bind(content.len() as i64)
            .bind(content_type)
            .bind(content.to_vec())
            .bind(now)
            .execute(&mut *tx.tx)
            .await?;
    }
    Ok(sha)
}
