//! The title registry: transferable records and their chain of title in the platform's
//! database. [`TitleRegistry`] is the seam where a public-ledger registry could stand in
//! later; [`Store`] implements it with SQL.
//!
//! Each step is decided by the domain (`TitleState::apply`), hash-linked to the one before,
//! signed by the acting company, and written in one audited transaction together with the
//! record's new state. The record's `version` counts its steps; the update is conditional on
//! the version and holder the actor read (`WHERE id AND version AND holder_org`), so of two
//! concurrent transfers exactly one changes anything and the other is told why.

use crate::marketplace::notify_in_tx;
use crate::{Actor, Result, Store, StoreError, new_id, now_text};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::future::Future;
use tradewind_domain::title::{
    GENESIS_HASH, RecordKind, TitleAction, TitleActor, TitleError, TitleState, TitleStatus, TitleStep, step_hash,
};

/// A transferable record as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferableRecord {
    pub id: String,
    pub kind: RecordKind,
    pub number: String,
    pub description: String,
    #[serde(flatten)]
    pub state: TitleState,
    /// The order and issued bill of lading an e-B/L was issued from.
    pub order_id: Option<String>,
    pub document_id: Option<String>,
    pub document_sha256: Option<String>,
    /// How many steps the chain has; send it back as `expected_version` to act.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// One stored step of a chain of title: the step, its hash and the actor's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTitleStep {
    #[serde(flatten)]
    pub step: TitleStep,
    pub hash: String,
    /// The acting company's Ed25519 public key (Multikey `z6Mk…`) at signing time; none for
    /// an operator decision.
    pub signer_public_key: Option<String>,
    /// Ed25519 signature over the step's canonical bytes, hex.
    pub signature: Option<String>,
}

/// A record as one company may see it: everything for the issuer, holder and beneficiary;
/// for a past holder, the record as it stood when it passed it on, and the chain up to then.
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    #[serde(flatten)]
    pub record: TransferableRecord,
    pub chain: Vec<StoredTitleStep>,
    /// True when the viewer is a past holder and sees the record only up to its exit.
    pub up_to_exit: bool,
}

/// A record about to be issued.
#[derive(Debug, Clone)]
pub struct NewTransferableRecord {
    pub kind: RecordKind,
    pub number: String,
    pub description: String,
    pub issuer: String,
    pub holder: String,
    pub beneficiary: String,
    pub order_id: Option<String>,
    pub document_id: Option<String>,
    pub document_sha256: Option<String>,
}

/// Signs a step for the acting company; the server holds the keys.
pub trait StepSigner: Send + Sync {
    /// The public key that checks the signature (Multikey `z6Mk…`).
    fn public_key(&self) -> String;
    /// The signature over `bytes`, hex.
    fn sign(&self, bytes: &[u8]) -> String;
}

/// Who reads a record.
#[derive(Debug, Clone, Copy)]
pub enum TitleViewer<'a> {
    Company(&'a str),
    Operator,
}

/// Where transferable records and their chain of title are kept. The platform's database
/// is one registry; a public ledger could be another.
pub trait TitleRegistry {
    /// Issues a record: its first step (`issue`), signed by the issuer.
    fn issue_record(
        &self,
        actor: &Actor,
        new: NewTransferableRecord,
        signer: &dyn StepSigner,
    ) -> impl Future<Output = Result<TransferableRecord>> + Send;

    /// One step on a record, if the record is still at `expected_version` and the domain
    /// allows it. `signer` is the acting company's; `None` for the operator.
    fn act_on_record(
        &self,
        actor: &Actor,
        who: &TitleActor,
        id: &str,
        expected_version: i64,
        action: &TitleAction,
        signer: Option<&dyn StepSigner>,
    ) -> impl Future<Output = Result<TransferableRecord>> + Send;

    /// The record and its chain as `viewer` may see them; `NotFound` for anyone else.
    fn record_view(&self, viewer: TitleViewer<'_>, id: &str) -> impl Future<Output = Result<RecordView>> + Send;

    /// The records a company holds, is beneficiary of, issued, or held before, newest first.
    fn records_of(&self, organization_id: &str) -> impl Future<Output = Result<Vec<TransferableRecord>>> + Send;
}

const RECORD_COLUMNS: &str = "id, kind, number, description, issuer_org, holder_org, beneficiary_org, nominee_org, \
     status, surrendered_by, order_id, document_id, document_sha256, version, created_at, updated_at";
const STEP_COLUMNS: &str = "record_id, seq, action, from_holder, to_holder, beneficiary, nominee, actor_org, \
     actor_user, reason, at, prev_hash, hash, signer_public_key, signature";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn record_from_row(r: &AnyRow) -> Result<TransferableRecord> {
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("status")?;
    let status = match status.as_str() {
        "active" => TitleStatus::Active { nominee: r.try_get("nominee_org")? },
        "surrender_pending" => TitleStatus::SurrenderPending {
            surrendered_by: r
                .try_get::<Option<String>, _>("surrendered_by")?
                .ok_or_else(|| corrupt("surrender without its holder", "surrendered_by"))?,
        },
        "accomplished" => TitleStatus::Accomplished,
        other => return Err(corrupt("record status", other)),
    };
    Ok(TransferableRecord {
        id: r.try_get("id")?,
        kind: kind.parse().map_err(|e| corrupt("record kind", e))?,
        number: r.try_get("number")?,
        description: r.try_get("description")?,
        state: TitleState {
            issuer: r.try_get("issuer_org")?,
            holder: r.try_get("holder_org")?,
            beneficiary: r.try_get("beneficiary_org")?,
            status,
        },
        order_id: r.try_get("order_id")?,
        document_id: r.try_get("document_id")?,
        document_sha256: r.try_get("document_sha256")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn step_from_row(r: &AnyRow) -> Result<StoredTitleStep> {
    Ok(StoredTitleStep {
        step: TitleStep {
            record_id: r.try_get("record_id")?,
            seq: r.try_get("seq")?,
            action: r.try_get("action")?,
            from_holder: r.try_get("from_holder")?,
            to_holder: r.try_get("to_holder")?,
            beneficiary: r.try_get("beneficiary")?,
            nominee: r.try_get("nominee")?,
            actor_org: r.try_get("actor_org")?,
            actor_user: r.try_get("actor_user")?,
            reason: r.try_get("reason")?,
            at: r.try_get("at")?,
            prev_hash: r.try_get("prev_hash")?,
        },
        hash: r.try_get("hash")?,
        signer_public_key: r.try_get("signer_public_key")?,
        signature: r.try_get("signature")?,
    })
}

/// A refusal by the domain, as the store reports it.
fn refused(e: TitleError) -> StoreError {
    match e {
        TitleError::ReasonRequired => {
            StoreError::InvalidField { field: "reason", code: "required", message: e.to_string() }
        }
        TitleError::CompanyRequired => {
            StoreError::InvalidField { field: "to", code: "required", message: e.to_string() }
        }
        other => StoreError::Refused(other.to_string()),
    }
}

/// Whether the action is one only the holder may take (a replay of it by a former holder
/// is answered "you no longer hold this record").
fn holders_action(action: &TitleAction) -> bool {
    matches!(
        action,
        TitleAction::TransferHoldership { .. }
            | TitleAction::Endorse
            | TitleAction::ReturnToIssuer
            | TitleAction::Surrender
    )
}

async fn insert_step(
    tx: &mut crate::audit::AuditedTx,
    step: &TitleStep,
    signer: Option<&dyn StepSigner>,
) -> Result<String> {
    let hash = step_hash(step);
    let (public, signature) = match signer {
        Some(s) => (Some(s.public_key()), Some(s.sign(&step.canonical_bytes()))),
        None => (None, None),
    };
    sqlx::query(&format!(
        "INSERT INTO title_steps ({STEP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    ))
    .bind(&step.record_id)
    .bind(step.seq)
    .bind(&step.action)
    .bind(&step.from_holder)
    .bind(&step.to_holder)
    .bind(&step.beneficiary)
    .bind(&step.nominee)
    .bind(&step.actor_org)
    .bind(&step.actor_user)
    .bind(&step.reason)
    .bind(&step.at)
    .bind(&step.prev_hash)
    .bind(&hash)
    .bind(public)
    .bind(signature)
    .execute(&mut *tx.tx)
    .await?;
    Ok(hash)
}

fn surrendered_by(state: &TitleState) -> Option<&str> {
    match &state.status {
        TitleStatus::SurrenderPending { surrendered_by } => Some(surrendered_by),
        _ => None,
    }
}

impl Store {
    /// Every step of a record's chain, oldest first, without access checks: for chain
    /// verification by a caller that already checked who asks.
    pub async fn title_chain(&self, id: &str) -> Result<Vec<StoredTitleStep>> {
        let rows = sqlx::query(&format!("SELECT {STEP_COLUMNS} FROM title_steps WHERE record_id = $1 ORDER BY seq"))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(step_from_row).collect()
    }

    /// The latest bills of lading a carrier issued for orders that have no e-B/L yet, as
    /// (order id, number, version): what it can still issue as transferable records.
    pub async fn bills_of_lading_without_record(&self, carrier_org: &str) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT d.order_id AS order_id, d.number AS number, d.version AS version FROM trade_documents d
             WHERE d.kind = 'bill_of_lading' AND d.issued_by = $1
               AND d.version = (SELECT MAX(x.version) FROM trade_documents x WHERE x.order_id = d.order_id AND x.kind = 'bill_of_lading')
               AND NOT EXISTS (SELECT 1 FROM transferable_records r
                               WHERE r.order_id = d.order_id AND r.kind = 'electronic_bill_of_lading')
             ORDER BY d.order_id DESC LIMIT 200",
        )
        .bind(carrier_org)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("order_id")?, r.try_get("number")?, r.try_get("version")?))).collect()
    }

    async fn record_row(&self, id: &str) -> Result<TransferableRecord> {
        let row = sqlx::query(&format!("SELECT {RECORD_COLUMNS} FROM transferable_records WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        record_from_row(&row)
    }
}

impl TitleRegistry for Store {
    async fn issue_record(
        &self,
        actor: &Actor,
        new: NewTransferableRecord,
        signer: &dyn StepSigner,
    ) -> Result<TransferableRecord> {
        let now = now_text();
        let state = TitleState::issued(&new.issuer, &new.holder, &new.beneficiary);
        let record = TransferableRecord {
            id: new_id(),
            kind: new.kind,
            number: new.number,
            description: new.description,
            state,
            order_id: new.order_id,
            document_id: new.document_id,
            document_sha256: new.document_sha256,
            version: 1,
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        let mut tx = self.begin_audited().await?;
        let inserted = sqlx::query(&format!(
            "INSERT INTO transferable_records ({RECORD_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, 'active', NULL, $8, $9, $10, 1, $11, $11)"
        ))
        .bind(&record.id)
        .bind(record.kind.as_str())
        .bind(&record.number)
        .bind(&record.description)
        .bind(&record.state.issuer)
        .bind(&record.state.holder)
        .bind(&record.state.beneficiary)
        .bind(&record.order_id)
        .bind(&record.document_id)
        .bind(&record.document_sha256)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await;
        match inserted {
            Err(e) if crate::is_unique_violation(&e) => {
                return Err(StoreError::Conflict {
                    field: "document_id",
                    message: "this bill of lading already has an electronic bill of lading".into(),
                });
            }
            other => {
                other?;
            }
        }
        let step = TitleStep {
            record_id: record.id.clone(),
            seq: 1,
            action: "issue".into(),
            from_holder: None,
            to_holder: record.state.holder.clone(),
            beneficiary: record.state.beneficiary.clone(),
            nominee: None,
            actor_org: Some(record.state.issuer.clone()),
            actor_user: actor.user_id.clone(),
            reason: None,
            at: now.clone(),
            prev_hash: GENESIS_HASH.into(),
        };
        let hash = insert_step(&mut tx, &step, Some(signer)).await?;
        if record.state.holder != record.state.issuer {
            notify_in_tx(
                &mut tx,
                &record.state.holder,
                "title_step",
                &format!("{} {} was issued to you", record.kind.title(), record.number),
                json!({"record": record.id, "action": "issue", "version": 1}),
            )
            .await?;
        }
        tx.commit(
            actor,
            Some(&record.state.issuer),
            "title.issued",
            &format!("transferable_record:{}", record.id),
            json!({"kind": record.kind.as_str(), "number": record.number, "holder": record.state.holder,
                "beneficiary": record.state.beneficiary, "document": record.document_id, "hash": hash}),
        )
        .await?;
        Ok(record)
    }

    async fn act_on_record(
        &self,
        actor: &Actor,
        who: &TitleActor,
        id: &str,
        expected_version: i64,
        action: &TitleAction,
        signer: Option<&dyn StepSigner>,
    ) -> Result<TransferableRecord> {
        let mut tx = self.begin_audited().await?;
        let row = sqlx::query(&format!("SELECT {RECORD_COLUMNS} FROM transferable_records WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let record = record_from_row(&row)?;
        let actor_org = match who {
            TitleActor::Company(org) => {
                let held_before =
                    sqlx::query("SELECT 1 AS one FROM title_steps WHERE record_id = $1 AND to_holder = $2")
                        .bind(id)
                        .bind(org)
                        .fetch_optional(&mut *tx.tx)
                        .await?
                        .is_some();
                let s = &record.state;
                if !(held_before || *org == s.issuer || *org == s.holder || *org == s.beneficiary) {
                    return Err(StoreError::NotFound);
                }
                Some(org.clone())
            }
            TitleActor::Operator => None,
        };
        if record.version != expected_version {
            if let Some(org) = &actor_org
                && *org != record.state.holder
                && holders_action(action)
            {
                return Err(StoreError::Refused("you no longer hold this record".into()));
            }
            return Err(StoreError::Refused(format!(
                "the record changed since you read it (it is at version {}, you sent {expected_version}): reload it and decide again",
                record.version
            )));
        }
        let next = record.state.apply(who, action).map_err(refused)?;
        let last_hash: String =
            sqlx::query("SELECT hash FROM title_steps WHERE record_id = $1 ORDER BY seq DESC LIMIT 1")
                .bind(id)
                .fetch_optional(&mut *tx.tx)
                .await?
                .map(|r| r.try_get("hash"))
                .transpose()?
                .unwrap_or_else(|| GENESIS_HASH.to_string());
        let now = now_text();
        let version = record.version + 1;
        let updated = sqlx::query(
            "UPDATE transferable_records SET holder_org = $1, beneficiary_org = $2, nominee_org = $3, status = $4,
                 surrendered_by = $5, version = $6, updated_at = $7
             WHERE id = $8 AND version = $9 AND holder_org = $10",
        )
        .bind(&next.holder)
        .bind(&next.beneficiary)
        .bind(next.nominee())
        .bind(next.status.label())
        .bind(surrendered_by(&next))
        .bind(version)
        .bind(&now)
        .bind(id)
        .bind(record.version)
        .bind(&record.state.holder)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if updated != 1 {
            // Another process moved it between our read and write: nothing is written.
            return Err(StoreError::Refused("you no longer hold this record".into()));
        }
        let step = TitleStep {
            record_id: id.to_string(),
            seq: version,
            action: action.name().to_string(),
            from_holder: Some(record.state.holder.clone()),
            to_holder: next.holder.clone(),
            beneficiary: next.beneficiary.clone(),
            nominee: next.nominee().map(str::to_string),
            actor_org: actor_org.clone(),
            actor_user: actor.user_id.clone(),
            reason: action.reason().map(|r| r.trim().to_string()),
            at: now.clone(),
            prev_hash: last_hash,
        };
        let hash = insert_step(&mut tx, &step, signer).await?;
        let mut told: Vec<&str> = Vec::new();
        let mut concerned =
            vec![next.holder.as_str(), next.beneficiary.as_str(), record.state.holder.as_str(), next.issuer.as_str()];
        concerned.extend(next.nominee());
        for org in concerned {
            if actor_org.as_deref() == Some(org) || told.contains(&org) {
                continue;
            }
            told.push(org);
            notify_in_tx(
                &mut tx,
                org,
                "title_step",
                &format!("{} {}: {}", record.kind.title(), record.number, action.name().replace('_', " ")),
                json!({"record": id, "action": action.name(), "version": version, "holder": next.holder}),
            )
            .await?;
        }
        let audit_org = actor_org.clone().unwrap_or_else(|| next.holder.clone());
        tx.commit(
            actor,
            Some(&audit_org),
            &format!("title.{}", action.name()),
            &format!("transferable_record:{id}"),
            json!({"version": version, "from_holder": record.state.holder, "to_holder": next.holder,
                "beneficiary": next.beneficiary, "nominee": next.nominee(), "reason": action.reason(),
                "by_operator": actor_org.is_none(), "hash": hash}),
        )
        .await?;
        Ok(TransferableRecord { state: next, version, updated_at: now, ..record })
    }

    async fn record_view(&self, viewer: TitleViewer<'_>, id: &str) -> Result<RecordView> {
        let record = self.record_row(id).await?;
        let chain = self.title_chain(id).await?;
        let org = match viewer {
            TitleViewer::Operator => return Ok(RecordView { record, chain, up_to_exit: false }),
            TitleViewer::Company(org) => org,
        };
        let s = &record.state;
        if org == s.issuer || org == s.holder || org == s.beneficiary {
            return Ok(RecordView { record, chain, up_to_exit: false });
        }
        // A past holder sees up to the last step that took the record from it.
        let exit = chain
            .iter()
            .rposition(|st| st.step.from_holder.as_deref() == Some(org) && st.step.to_holder != org)
            .filter(|_| chain.iter().any(|st| st.step.to_holder == org))
            .ok_or(StoreError::NotFound)?;
        let chain: Vec<StoredTitleStep> = chain.into_iter().take(exit + 1).collect();
        let last = chain.last().ok_or(StoreError::NotFound)?;
        let status = if last.step.action == "surrender" {
            TitleStatus::SurrenderPending { surrendered_by: org.to_string() }
        } else {
            TitleStatus::Active { nominee: last.step.nominee.clone() }
        };
        let as_then = TransferableRecord {
            state: TitleState {
                issuer: record.state.issuer.clone(),
                holder: last.step.to_holder.clone(),
                beneficiary: last.step.beneficiary.clone(),
                status,
            },
            version: last.step.seq,
            updated_at: last.step.at.clone(),
            ..record
        };
        Ok(RecordView { record: as_then, chain, up_to_exit: true })
    }

    async fn records_of(&self, organization_id: &str) -> Result<Vec<TransferableRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM transferable_records
             WHERE holder_org = $1 OR beneficiary_org = $1 OR issuer_org = $1
                OR id IN (SELECT record_id FROM title_steps WHERE to_holder = $1)
             ORDER BY id DESC LIMIT 500"
        ))
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let record = record_from_row(row)?;
            let s = &record.state;
            if organization_id == s.issuer || organization_id == s.holder || organization_id == s.beneficiary {
                out.push(record);
            } else {
                // A past holder sees the record as it stood when it passed it on.
                out.push(self.record_view(TitleViewer::Company(organization_id), &record.id).await?.record);
            }
        }
        Ok(out)
    }
}
