//! Document exchange between parties: a company sends issued documents (rows of
//! `trade_documents`) to another verified company or authority on the platform. Each
//! document sent is an explicit access grant to the receiver (`exchange_grants`), answered
//! once per document (accepted, or rejected with a reason) and revocable by the sender, after
//! which the receiver loses access at once. The rules of a grant's life are the domain's
//! `exchange::GrantState`.
//!
//! What a company may send: a document it can read, that is one it issued, one of an order
//! it is the buyer or seller of (the set is addressed to both parties), or one it holds a
//! live grant for (forwarding what was sent to it). Anything else reads as unknown.
//!
//! Every send is one audited transaction (exchange, grants, notification, audit entry, and
//! the idempotency key with its answer, so a retried send creates one exchange); every
//! answer, revocation and read of a document's content through a grant is audited too.

use crate::audit::AuditedTx;
use crate::marketplace::notify_in_tx;
use crate::orders::{Caller, earlier_answer, keep_answer};
use crate::{Actor, Page, Result, Store, StoreError, corrupt, from_json, new_id, now_text};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use tradewind_domain::deal::order::OrderTerms;
use tradewind_domain::exchange::{
    Answer, ExchangeError, GrantEvent, GrantState, MAX_DOCUMENTS_PER_SEND, MAX_REASON_CHARS,
};

/// One document of an exchange as both sides see it: what was sent and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangedDocument {
    pub document_id: String,
    pub order_id: String,
    pub kind: String,
    pub version: u32,
    pub number: String,
    pub format: String,
    pub media_type: String,
    pub sha256: String,
    pub issued_by: String,
    /// `sent`, `accepted`, `rejected` or `revoked`.
    pub status: String,
    /// `accepted` or `rejected` once answered (kept after a revocation).
    pub answer: Option<String>,
    /// The note of an accept or the reason of a rejection.
    pub reason: Option<String>,
    pub answered_at: Option<String>,
    /// When the receiver first downloaded it.
    pub first_read_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl ExchangedDocument {
    /// The grant's state, rebuilt from its stored columns.
    pub fn state(&self) -> Result<GrantState> {
        let answer = self
            .answer
            .as_deref()
            .map(|a| Answer::from_stored(a, self.reason.as_deref()))
            .transpose()
            .map_err(|e| corrupt("exchange answer", e))?;
        Ok(match (answer, &self.revoked_at) {
            (answer, Some(_)) => GrantState::Revoked { answer },
            (Some(a), None) => GrantState::Answered(a),
            (None, None) => GrantState::Open,
        })
    }
}

/// A company in an exchange, by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeParty {
    pub id: String,
    pub legal_name: String,
}

/// A set of documents sent from one company to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeRecord {
    pub id: String,
    pub sender: ExchangeParty,
    pub receiver: ExchangeParty,
    pub note: String,
    pub created_at: String,
    pub documents: Vec<ExchangedDocument>,
    /// True when this is the stored answer to an earlier send with the same key.
    #[serde(default)]
    pub replayed: bool,
}

/// A send as asked.
#[derive(Debug, Clone)]
pub struct SendDocuments<'a> {
    pub receiver: &'a str,
    pub documents: &'a [String],
    pub note: &'a str,
    pub idempotency_key: &'a str,
}

const EXCHANGE_SELECT: &str = "SELECT e.id AS id, e.note AS note, e.created_at AS created_at,
        e.sender_org AS sender_org, s.legal_name AS sender_name,
        e.receiver_org AS receiver_org, r.legal_name AS receiver_name
     FROM document_exchanges e
     JOIN organizations s ON s.id = e.sender_org
     JOIN organizations r ON r.id = e.receiver_org";

const GRANT_SELECT: &str = "SELECT g.exchange_id AS exchange_id, g.document_id AS document_id, d.order_id AS order_id,
        d.kind AS kind, d.version AS version, d.number AS number, d.format AS format, d.media_type AS media_type,
        d.sha256 AS sha256, d.issued_by AS issued_by, g.answer AS answer, g.reason AS reason,
        g.answered_at AS answered_at, g.first_read_at AS first_read_at, g.revoked_at AS revoked_at
     FROM exchange_grants g JOIN trade_documents d ON d.id = g.document_id";

fn grant_from_row(r: &AnyRow) -> Result<ExchangedDocument> {
    let version: i64 = r.try_get("version")?;
    let mut d = ExchangedDocument {
        document_id: r.try_get("document_id")?,
        order_id: r.try_get("order_id")?,
        kind: r.try_get("kind")?,
        version: u32::try_from(version).map_err(|e| corrupt("document version", e))?,
        number: r.try_get("number")?,
        format: r.try_get("format")?,
        media_type: r.try_get("media_type")?,
        sha256: r.try_get("sha256")?,
        issued_by: r.try_get("issued_by")?,
        status: String::new(),
        answer: r.try_get("answer")?,
        reason: r.try_get("reason")?,
        answered_at: r.try_get("answered_at")?,
        first_read_at: r.try_get("first_read_at")?,
        revoked_at: r.try_get("revoked_at")?,
    };
    d.status = d.state()?.label().to_string();
    Ok(d)
}

fn exchange_from_row(r: &AnyRow, documents: Vec<ExchangedDocument>) -> Result<ExchangeRecord> {
    Ok(ExchangeRecord {
        id: r.try_get("id")?,
        sender: ExchangeParty { id: r.try_get("sender_org")?, legal_name: r.try_get("sender_name")? },
        receiver: ExchangeParty { id: r.try_get("receiver_org")?, legal_name: r.try_get("receiver_name")? },
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
        documents,
        replayed: false,
    })
}

fn refused(e: ExchangeError) -> StoreError {
    match e {
        ExchangeError::BlankReason | ExchangeError::ReasonTooLong => {
            StoreError::InvalidField { field: "reason", code: "required", message: e.to_string() }
        }
        other => StoreError::Refused(other.to_string()),
    }
}

/// Whether `org` can read document `document_id` now: it issued it, is a party of its
/// order, or holds a live grant for it. Unknown and unreadable look the same.
async fn can_read(conn: &mut sqlx::AnyConnection, org: &str, document_id: &str) -> Result<bool> {
    let row = sqlx::query(
        "SELECT d.issued_by AS issued_by, o.terms AS terms FROM trade_documents d JOIN orders o ON o.id = d.order_id
         WHERE d.id = $1",
    )
    .bind(document_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(false) };
    let issued_by: String = row.try_get("issued_by")?;
    let terms: OrderTerms = from_json("order terms", &row.try_get::<String, _>("terms")?)?;
    if issued_by == org || terms.seller.as_str() == org || terms.buyer.as_str() == org {
        return Ok(true);
    }
    Ok(live_grant(conn, org, document_id).await?.is_some())
}

/// The exchange of `org`'s live grant for a document, if it holds one.
async fn live_grant(conn: &mut sqlx::AnyConnection, org: &str, document_id: &str) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT exchange_id FROM exchange_grants WHERE document_id = $1 AND receiver_org = $2 AND revoked_at IS NULL",
    )
    .bind(document_id)
    .bind(org)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get::<String, _>("exchange_id")).transpose()?)
}

async fn exchange_in(conn: &mut sqlx::AnyConnection, id: &str) -> Result<Option<ExchangeRecord>> {
    let Some(row) =
        sqlx::query(&format!("{EXCHANGE_SELECT} WHERE e.id = $1")).bind(id).fetch_optional(&mut *conn).await?
    else {
        return Ok(None);
    };
    let grants = sqlx::query(&format!("{GRANT_SELECT} WHERE g.exchange_id = $1 ORDER BY g.position"))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    let documents = grants.iter().map(grant_from_row).collect::<Result<Vec<_>>>()?;
    Ok(Some(exchange_from_row(&row, documents)?))
}

/// Marks a grant read (the first time) in the caller's transaction.
async fn mark_read(tx: &mut AuditedTx, exchange_id: &str, document_id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE exchange_grants SET first_read_at = $1 WHERE exchange_id = $2 AND document_id = $3 AND first_read_at IS NULL",
    )
    .bind(now_text())
    .bind(exchange_id)
    .bind(document_id)
    .execute(&mut *tx.tx)
    .await?;
    Ok(())
}

const DOCUMENT_SELECT: &str = "SELECT d.id AS id, d.order_id AS order_id, d.kind AS kind, d.version AS version,
        d.number AS number, d.format AS format, d.media_type AS media_type, d.sha256 AS sha256,
        d.issued_by AS issued_by, d.issued_at AS issued_at
     FROM trade_documents d";

async fn document_bytes(
    conn: &mut sqlx::AnyConnection,
    document_id: &str,
) -> Result<(crate::TradeDocumentRecord, Vec<u8>)> {
    let row = sqlx::query(
        "SELECT b.content AS content FROM trade_documents d JOIN blobs b ON b.sha256 = d.sha256 WHERE d.id = $1",
    )
    .bind(document_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok((document_record(conn, document_id).await?, row.try_get("content")?))
}

async fn document_record(conn: &mut sqlx::AnyConnection, document_id: &str) -> Result<crate::TradeDocumentRecord> {
    let row = sqlx::query(&format!("{DOCUMENT_SELECT} WHERE d.id = $1"))
        .bind(document_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let version: i64 = row.try_get("version")?;
    Ok(crate::TradeDocumentRecord {
        id: row.try_get("id")?,
        order_id: row.try_get("order_id")?,
        kind: row.try_get("kind")?,
        version: u32::try_from(version).map_err(|e| corrupt("document version", e))?,
        number: row.try_get("number")?,
        format: row.try_get("format")?,
        media_type: row.try_get("media_type")?,
        sha256: row.try_get("sha256")?,
        issued_by: row.try_get("issued_by")?,
        issued_at: row.try_get("issued_at")?,
        new_version: false,
        summary: None,
    })
}

impl Store {
    /// Sends documents to a verified company or authority: one exchange with one grant per
    /// document, the receiver notified (`documents_received`), all in one audited
    /// transaction. A retry with the same idempotency key answers the first exchange.
    pub async fn send_documents(
        &self,
        actor: &Actor,
        sender: &str,
        send: &SendDocuments<'_>,
    ) -> Result<ExchangeRecord> {
        let receiver = send.receiver.trim();
        let mut documents: Vec<&str> = Vec::new();
        for d in send.documents.iter().map(|d| d.trim()) {
            if !documents.contains(&d) {
                documents.push(d);
            }
        }
        let note = send.note.trim();
        if documents.is_empty() {
            return Err(StoreError::InvalidField {
                field: "documents",
                code: "required",
                message: "name at least one issued document to send".into(),
            });
        }
        if documents.len() > MAX_DOCUMENTS_PER_SEND {
            return Err(StoreError::InvalidField {
                field: "documents",
                code: "too_many",
                message: format!("send at most {MAX_DOCUMENTS_PER_SEND} documents at once"),
            });
        }
        if note.chars().count() > MAX_REASON_CHARS {
            return Err(StoreError::InvalidField {
                field: "note",
                code: "too_long",
                message: format!("the note is longer than {MAX_REASON_CHARS} characters"),
            });
        }
        if receiver == sender {
            return Err(StoreError::InvalidField {
                field: "receiver",
                code: "self",
                message: "a company cannot send documents to itself; name the company or authority to send to".into(),
            });
        }
        // The request as the key remembers it: the same key with another set, receiver or
        // note is refused rather than answered with the first exchange.
        let mut listed: Vec<&str> = documents.clone();
        listed.sort_unstable();
        let note_digest = {
            use sha2::{Digest, Sha256};
            hex::encode(&Sha256::digest(note.as_bytes())[..6])
        };
        let request = format!("send documents {} to {receiver} (note {note_digest})", listed.join(","));
        let mut tx = self.begin_audited().await?;
        if let Some(mut answer) =
            earlier_answer::<ExchangeRecord>(&mut tx, Caller::Company(sender), send.idempotency_key, &request).await?
        {
            answer.replayed = true;
            return Ok(answer);
        }
        let status = sqlx::query("SELECT verification_status FROM organizations WHERE id = $1")
            .bind(receiver)
            .fetch_optional(&mut *tx.tx)
            .await?
            .map(|r| r.try_get::<String, _>("verification_status"))
            .transpose()?;
        if status.as_deref() != Some("verified") {
            return Err(StoreError::InvalidField {
                field: "receiver",
                code: "unknown",
                message: "no verified company or authority with this id is on the platform".into(),
            });
        }
        for d in &documents {
            if !can_read(&mut tx.tx, sender, d).await? {
                return Err(StoreError::InvalidField {
                    field: "documents",
                    code: "not_yours",
                    message: format!(
                        "document {d} is not one your company issued, is a party to, or was sent; only those can be sent"
                    ),
                });
            }
            if let Some(earlier) = live_grant(&mut tx.tx, receiver, d).await? {
                return Err(StoreError::InvalidField {
                    field: "documents",
                    code: "already_sent",
                    message: format!(
                        "document {d} was already sent to this company (exchange {earlier}); revoke that first to send it again"
                    ),
                });
            }
        }
        let id = new_id();
        let now = now_text();
        sqlx::query(
            "INSERT INTO document_exchanges (id, sender_org, receiver_org, note, sent_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(sender)
        .bind(receiver)
        .bind(note)
        .bind(&actor.user_id)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        for (position, d) in documents.iter().enumerate() {
            sqlx::query(
                "INSERT INTO exchange_grants (exchange_id, document_id, receiver_org, position) VALUES ($1, $2, $3, $4)",
            )
            .bind(&id)
            .bind(*d)
            .bind(receiver)
            .bind(position as i64)
            .execute(&mut *tx.tx)
            .await?;
        }
        let answer = exchange_in(&mut tx.tx, &id).await?.ok_or_else(|| corrupt("exchange", "missing after insert"))?;
        keep_answer(&mut tx, Caller::Company(sender), send.idempotency_key, &request, &answer).await?;
        notify_in_tx(
            &mut tx,
            receiver,
            "documents_received",
            &format!("{} sent you {} document(s)", answer.sender.legal_name, documents.len()),
            json!({"exchange": id, "sender": sender, "documents": documents}),
        )
        .await?;
        tx.commit(
            actor,
            Some(sender),
            "exchange.sent",
            &format!("exchange:{id}"),
            json!({"receiver": receiver, "grants": documents}),
        )
        .await?;
        Ok(answer)
    }

    /// One exchange, for its sender or its receiver (not found for anyone else).
    pub async fn exchange(&self, org: &str, id: &str) -> Result<ExchangeRecord> {
        let mut conn = self.pool.acquire().await?;
        match exchange_in(&mut conn, id).await? {
            Some(e) if e.sender.id == org || e.receiver.id == org => Ok(e),
            _ => Err(StoreError::NotFound),
        }
    }

    /// The exchanges a company sent (`outbox`) or received (inbox), newest first.
    pub async fn exchanges(&self, org: &str, outbox: bool, after: &str, limit: usize) -> Result<Page<ExchangeRecord>> {
        let column = if outbox { "e.sender_org" } else { "e.receiver_org" };
        // Newest first: the cursor is the last id seen, and ids are time-ordered.
        let rows = sqlx::query(&format!(
            "{EXCHANGE_SELECT} WHERE {column} = $1 AND ($2 = '' OR e.id < $2) ORDER BY e.id DESC LIMIT $3"
        ))
        .bind(org)
        .bind(after)
        .bind(limit as i64 + 1)
        .fetch_all(&self.pool)
        .await?;
        let mut conn = self.pool.acquire().await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            let grants = sqlx::query(&format!("{GRANT_SELECT} WHERE g.exchange_id = $1 ORDER BY g.position"))
                .bind(&id)
                .fetch_all(&mut *conn)
                .await?;
            items.push(exchange_from_row(r, grants.iter().map(grant_from_row).collect::<Result<Vec<_>>>()?)?);
        }
        Ok(Page::from_rows(items, limit, |e| e.id.clone()))
    }

    /// The receiver answers one document of an exchange, once; the sender is notified
    /// (`document_answered`).
    pub async fn answer_exchanged_document(
        &self,
        actor: &Actor,
        org: &str,
        exchange_id: &str,
        document_id: &str,
        answer: Answer,
    ) -> Result<ExchangeRecord> {
        let mut tx = self.begin_audited().await?;
        let exchange = exchange_in(&mut tx.tx, exchange_id).await?.ok_or(StoreError::NotFound)?;
        if exchange.receiver.id != org {
            return Err(StoreError::NotFound);
        }
        let doc = exchange.documents.iter().find(|d| d.document_id == document_id).ok_or(StoreError::NotFound)?;
        let next = doc.state()?.apply(GrantEvent::Answer(answer.clone())).map_err(refused)?;
        let now = now_text();
        sqlx::query("UPDATE exchange_grants SET answer = $1, reason = $2, answered_at = $3 WHERE exchange_id = $4 AND document_id = $5")
            .bind(answer.label())
            .bind(answer.text())
            .bind(&now)
            .bind(exchange_id)
            .bind(document_id)
            .execute(&mut *tx.tx)
            .await?;
        let title = format!("{} {}", doc.kind.replace('_', " "), doc.number);
        notify_in_tx(
            &mut tx,
            &exchange.sender.id,
            "document_answered",
            &format!("{} {} {title}", exchange.receiver.legal_name, next.label()),
            json!({"exchange": exchange_id, "document": document_id, "answer": answer.label(), "reason": answer.text()}),
        )
        .await?;
        let updated = exchange_in(&mut tx.tx, exchange_id).await?.ok_or(StoreError::NotFound)?;
        tx.commit(
            actor,
            Some(org),
            &format!("exchange.document_{}", answer.label()),
            &format!("exchange:{exchange_id}"),
            json!({"document": document_id, "sender": exchange.sender.id, "reason": answer.text()}),
        )
        .await?;
        Ok(updated)
    }

    /// The sender revokes the receiver's access to one document of an exchange, or to all
    /// of them still live when `document_id` is none. The receiver loses access at once.
    pub async fn revoke_exchanged_documents(
        &self,
        actor: &Actor,
        org: &str,
        exchange_id: &str,
        document_id: Option<&str>,
    ) -> Result<ExchangeRecord> {
        let mut tx = self.begin_audited().await?;
        let exchange = exchange_in(&mut tx.tx, exchange_id).await?.ok_or(StoreError::NotFound)?;
        if exchange.sender.id != org {
            return Err(StoreError::NotFound);
        }
        let targets: Vec<&ExchangedDocument> = match document_id {
            Some(d) => {
                let doc = exchange.documents.iter().find(|x| x.document_id == d).ok_or(StoreError::NotFound)?;
                doc.state()?.apply(GrantEvent::Revoke).map_err(refused)?;
                vec![doc]
            }
            None => {
                let live: Vec<&ExchangedDocument> =
                    exchange.documents.iter().filter(|d| d.revoked_at.is_none()).collect();
                if live.is_empty() {
                    return Err(refused(ExchangeError::AlreadyRevoked));
                }
                live
            }
        };
        let now = now_text();
        for d in &targets {
            sqlx::query(
                "UPDATE exchange_grants SET revoked_at = $1 WHERE exchange_id = $2 AND document_id = $3 AND revoked_at IS NULL",
            )
            .bind(&now)
            .bind(exchange_id)
            .bind(&d.document_id)
            .execute(&mut *tx.tx)
            .await?;
        }
        let revoked: Vec<&str> = targets.iter().map(|d| d.document_id.as_str()).collect();
        let updated = exchange_in(&mut tx.tx, exchange_id).await?.ok_or(StoreError::NotFound)?;
        tx.commit(
            actor,
            Some(org),
            "exchange.revoked",
            &format!("exchange:{exchange_id}"),
            json!({"receiver": exchange.receiver.id, "revoked": revoked}),
        )
        .await?;
        Ok(updated)
    }

    /// The receiver reads one document of an exchange through its live grant: the bytes,
    /// with the read audited and the grant marked read.
    pub async fn read_exchanged_document(
        &self,
        actor: &Actor,
        org: &str,
        exchange_id: &str,
        document_id: &str,
    ) -> Result<(crate::TradeDocumentRecord, Vec<u8>)> {
        let mut tx = self.begin_audited().await?;
        let live = sqlx::query(
            "SELECT document_id FROM exchange_grants
             WHERE exchange_id = $1 AND document_id = $2 AND receiver_org = $3 AND revoked_at IS NULL",
        )
        .bind(exchange_id)
        .bind(document_id)
        .bind(org)
        .fetch_optional(&mut *tx.tx)
        .await?;
        if live.is_none() {
            return Err(StoreError::NotFound);
        }
        let found = document_bytes(&mut tx.tx, document_id).await?;
        mark_read(&mut tx, exchange_id, document_id).await?;
        tx.commit(
            actor,
            Some(org),
            "exchange.document_read",
            &format!("exchange:{exchange_id}"),
            json!({"document": document_id, "sha256": found.0.sha256}),
        )
        .await?;
        Ok(found)
    }

    /// A document of order `order_id` read through a live grant rather than a role in the
    /// order (the order's own download path honours grants through this): the bytes, with
    /// the read audited. Not found without a live grant.
    pub async fn granted_document(
        &self,
        actor: &Actor,
        org: &str,
        order_id: &str,
        document_id: &str,
    ) -> Result<(crate::TradeDocumentRecord, Vec<u8>)> {
        let exchange_id = {
            let mut conn = self.pool.acquire().await?;
            live_grant(&mut conn, org, document_id).await?.ok_or(StoreError::NotFound)?
        };
        let found = self.read_exchanged_document(actor, org, &exchange_id, document_id).await?;
        if found.0.order_id != order_id {
            return Err(StoreError::NotFound);
        }
        Ok(found)
    }

    /// The issued documents a company may send: those it issued or of orders it is a
    /// party to (newest first, at most 500), then those it holds a live grant for.
    pub async fn sendable_documents(&self, org: &str) -> Result<Vec<crate::TradeDocumentRecord>> {
        let rows = sqlx::query(
            "SELECT d.id AS id FROM trade_documents d JOIN orders o ON o.id = d.order_id
             WHERE d.issued_by = $1 OR o.terms LIKE $2
             UNION SELECT document_id AS id FROM exchange_grants WHERE receiver_org = $1 AND revoked_at IS NULL
             ORDER BY id DESC LIMIT 500",
        )
        .bind(org)
        .bind(format!("%{org}%"))
        .fetch_all(&self.pool)
        .await?;
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::new();
        for r in &rows {
            let id: String = r.try_get("id")?;
            // The LIKE above only narrows the search; the party check is exact.
            if can_read(&mut conn, org, &id).await? {
                out.push(document_record(&mut conn, &id).await?);
            }
        }
        Ok(out)
    }
}
