//! The signing keys the node holds for each company, created on first use.

use crate::{Actor, Result, Store, now_text};
use serde_json::json;
use sqlx::Row;

/// A company's keys as stored: the secret halves as hex, the public halves as published.
/// `Debug` leaves the secrets out.
#[derive(Clone)]
pub struct StoredCompanyKeys {
    pub ed25519_secret: String,
    pub secp256k1_secret: String,
    /// Multikey `z6Mk…`.
    pub ed25519_public: String,
    /// EIP-55 `0x…`.
    pub ethereum_address: String,
}

impl std::fmt::Debug for StoredCompanyKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCompanyKeys")
            .field("ed25519_public", &self.ed25519_public)
            .field("ethereum_address", &self.ethereum_address)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// The company's keys, if it has any yet.
    pub async fn company_keys(&self, organization_id: &str) -> Result<Option<StoredCompanyKeys>> {
        let row = sqlx::query(
            "SELECT ed25519_secret, secp256k1_secret, ed25519_public, ethereum_address
             FROM company_keys WHERE organization_id = $1",
        )
        .bind(organization_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(StoredCompanyKeys {
                ed25519_secret: r.try_get("ed25519_secret")?,
                secp256k1_secret: r.try_get("secp256k1_secret")?,
                ed25519_public: r.try_get("ed25519_public")?,
                ethereum_address: r.try_get("ethereum_address")?,
            })
        })
        .transpose()
    }

    /// The company's keys, creating them with `generate` the first time. Two callers racing
    /// on a new company both get the one set that was stored first.
    pub async fn company_keys_or_create(
        &self,
        organization_id: &str,
        generate: impl FnOnce() -> StoredCompanyKeys,
    ) -> Result<StoredCompanyKeys> {
        if let Some(keys) = self.company_keys(organization_id).await? {
            return Ok(keys);
        }
        let keys = generate();
        let mut tx = self.begin_audited().await?;
        let inserted = sqlx::query(
            "INSERT INTO company_keys (organization_id, ed25519_secret, secp256k1_secret, ed25519_public,
                 ethereum_address, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (organization_id) DO NOTHING",
        )
        .bind(organization_id)
        .bind(&keys.ed25519_secret)
        .bind(&keys.secp256k1_secret)
        .bind(&keys.ed25519_public)
        .bind(&keys.ethereum_address)
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            drop(tx);
            return self.company_keys(organization_id).await?.ok_or(crate::StoreError::NotFound);
        }
        tx.commit(
            &Actor::system(),
            Some(organization_id),
            "company.keys_created",
            &format!("organization:{organization_id}"),
            json!({ "ed25519_public": keys.ed25519_public, "ethereum_address": keys.ethereum_address }),
        )
        .await?;
        Ok(keys)
    }
}
