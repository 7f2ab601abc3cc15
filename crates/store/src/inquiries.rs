//! Inquiries: a message thread between the company asking about a listing and the company
//! that posted it, visible to those two only; blocking; reports of listings and the
//! operator's decision on them.

use crate::audit::AuditedTx;
use crate::blobs::put_blob;
use crate::{Actor, Result, Store, StoreError, new_id, now_text};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

/// What an inquiry or report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingKind {
    Product,
    Lead,
}

impl ListingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ListingKind::Product => "product",
            ListingKind::Lead => "lead",
        }
    }
    pub fn parse(s: &str) -> Option<ListingKind> {
        match s {
            "product" => Some(ListingKind::Product),
            "lead" => Some(ListingKind::Lead),
            _ => None,
        }
    }
    fn table(self) -> &'static str {
        match self {
            ListingKind::Product => "products",
            ListingKind::Lead => "trade_leads",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inquiry {
    pub id: String,
    pub from_org: String,
    pub to_org: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub title: String,
    pub created_at: String,
    pub last_message_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InquiryMessage {
    pub id: String,
    pub inquiry_id: String,
    pub from_org: String,
    pub author_user_id: String,
    pub body: String,
    pub attachment: Option<Attachment>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
}

/// A file to attach, already checked by the caller.
pub struct NewAttachment<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListingReport {
    pub id: String,
    pub reporter_org: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub reason: String,
    pub status: String,
    pub decision_note: Option<String>,
    pub created_at: String,
}

fn inquiry_from_row(r: &AnyRow) -> Result<Inquiry> {
    Ok(Inquiry {
        id: r.try_get("id")?,
        from_org: r.try_get("from_org")?,
        to_org: r.try_get("to_org")?,
        subject_kind: r.try_get("subject_kind")?,
        subject_id: r.try_get("subject_id")?,
        title: r.try_get("title")?,
        created_at: r.try_get("created_at")?,
        last_message_at: r.try_get("last_message_at")?,
    })
}

fn message_from_row(r: &AnyRow) -> Result<InquiryMessage> {
    let sha: Option<String> = r.try_get("attachment_sha256")?;
    let attachment = match sha {
        Some(sha256) => Some(Attachment {
            sha256,
            filename: r.try_get::<Option<String>, _>("attachment_name")?.unwrap_or_default(),
            content_type: r.try_get::<Option<String>, _>("attachment_type")?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(InquiryMessage {
        id: r.try_get("id")?,
        inquiry_id: r.try_get("inquiry_id")?,
        from_org: r.try_get("from_org")?,
        author_user_id: r.try_get("author_user_id")?,
        body: r.try_get("body")?,
        attachment,
        created_at: r.try_get("created_at")?,
    })
}

fn report_from_row(r: &AnyRow) -> Result<ListingReport> {
    Ok(ListingReport {
        id: r.try_get("id")?,
        reporter_org: r.try_get("reporter_org")?,
        entity_kind: r.try_get("entity_kind")?,
        entity_id: r.try_get("entity_id")?,
        reason: r.try_get("reason")?,
        status: r.try_get("status")?,
        decision_note: r.try_get("decision_note")?,
        created_at: r.try_get("created_at")?,
    })
}

const INQUIRY_COLUMNS: &str = "id, from_org, to_org, subject_kind, subject_id, title, created_at, last_message_at";
const MESSAGE_COLUMNS: &str =
    "id, inquiry_id, from_org, author_user_id, body, attachment_sha256, attachment_name, attachment_type, created_at";

async fn insert_message(
    tx: &mut AuditedTx,
    inquiry_id: &str,
    from_org: &str,
    author: &str,
    body: &str,
    attachment: Option<&NewAttachment<'_>>,
    now: &str,
) -> Result<String> {
    let sha = match attachment {
        Some(a) => Some(put_blob(tx, a.content_type, a.content, now).await?),
        None => None,
    };
    let id = new_id();
    sqlx::query(&format!(
        "INSERT INTO inquiry_messages ({MESSAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&id)
    .bind(inquiry_id)
    .bind(from_org)
    .bind(author)
    .bind(body)
    .bind(sha)
    .bind(attachment.map(|a| a.filename.to_string()))
    .bind(attachment.map(|a| a.content_type.to_string()))
    .bind(now)
    .execute(&mut *tx.tx)
    .await?;
    sqlx::query("UPDATE inquiries SET last_message_at = $1 WHERE id = $2")
        .bind(now)
        .bind(inquiry_id)
        .execute(&mut *tx.tx)
        .await?;
    Ok(id)
}

impl Store {
    /// The owner and title of a visible listing.
    pub async fn listing_owner(&self, kind: ListingKind, id: &str) -> Result<(String, String, bool)> {
        let row = sqlx::query(&format!("SELECT organization_id, title, hidden FROM {} WHERE id = $1", kind.table()))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((row.try_get("organization_id")?, row.try_get("title")?, row.try_get::<i64, _>("hidden")? != 0))
    }

    /// Inquiries a company sent since `since` (RFC 3339), for its rate limit.
    pub async fn count_inquiries_since(&self, from_org: &str, since: &str) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM inquiries WHERE from_org = $1 AND created_at >= $2")
            .bind(from_org)
            .bind(since)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    pub async fn is_blocked(&self, by_org: &str, org: &str) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 AS x FROM company_blocks WHERE organization_id = $1 AND blocked_org = $2")
            .bind(by_org)
            .bind(org)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    /// Opens an inquiry about a listing with its first message, and tells the owner.
    pub async fn open_inquiry(
        &self,
        actor: &Actor,
        from_org: &str,
        kind: ListingKind,
        subject_id: &str,
        body: &str,
    ) -> Result<Inquiry> {
        let (to_org, title, hidden) = self.listing_owner(kind, subject_id).await?;
        if hidden {
            return Err(StoreError::NotFound);
        }
        if to_org == from_org {
            return Err(StoreError::Refused("this is your own listing".into()));
        }
        if self.is_blocked(&to_org, from_org).await? {
            return Err(StoreError::Refused("this company does not accept inquiries from your company".into()));
        }
        let mut tx = self.begin_audited().await?;
        let id = new_id();
        let now = now_text();
        sqlx::query(&format!("INSERT INTO inquiries ({INQUIRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"))
            .bind(&id)
            .bind(from_org)
            .bind(&to_org)
            .bind(kind.as_str())
            .bind(subject_id)
            .bind(&title)
            .bind(&now)
            .execute(&mut *tx.tx)
            .await?;
        let author = actor.user_id.clone().unwrap_or_default();
        insert_message(&mut tx, &id, from_org, &author, body, None, &now).await?;
        crate::marketplace::notify_in_tx(
            &mut tx,
            &to_org,
            "inquiry_received",
            &format!("New inquiry about {title}"),
            json!({"inquiry_id": id}),
        )
        .await?;
        tx.commit(
            actor,
            Some(from_org),
            "inquiry.opened",
            &format!("inquiry:{id}"),
            json!({"to": to_org, "subject": format!("{}:{subject_id}", kind.as_str())}),
        )
        .await?;
        self.get_inquiry(&id).await
    }

    pub async fn get_inquiry(&self, id: &str) -> Result<Inquiry> {
        let row = sqlx::query(&format!("SELECT {INQUIRY_COLUMNS} FROM inquiries WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        inquiry_from_row(&row)
    }

    /// Inquiries a company takes part in, most recent activity first.
    pub async fn list_inquiries(&self, org: &str) -> Result<Vec<Inquiry>> {
        let rows = sqlx::query(&format!(
            "SELECT {INQUIRY_COLUMNS} FROM inquiries WHERE from_org = $1 OR to_org = $1 ORDER BY last_message_at DESC LIMIT 200"
        ))
        .bind(org)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(inquiry_from_row).collect()
    }

    pub async fn list_messages(&self, inquiry_id: &str) -> Result<Vec<InquiryMessage>> {
        let rows =
            sqlx::query(&format!("SELECT {MESSAGE_COLUMNS} FROM inquiry_messages WHERE inquiry_id = $1 ORDER BY id"))
                .bind(inquiry_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(message_from_row).collect()
    }

    /// Adds a message (and optional attachment) to a thread the company takes part in.
    pub async fn post_message(
        &self,
        actor: &Actor,
        org: &str,
        inquiry_id: &str,
        body: &str,
        attachment: Option<&NewAttachment<'_>>,
    ) -> Result<InquiryMessage> {
        let inq = self.get_inquiry(inquiry_id).await?;
        if inq.from_org != org && inq.to_org != org {
            return Err(StoreError::NotFound);
        }
        let other = if inq.from_org == org { &inq.to_org } else { &inq.from_org };
        if self.is_blocked(other, org).await? {
            return Err(StoreError::Refused("this company does not accept messages from your company".into()));
        }
        let mut tx = self.begin_audited().await?;
        let now = now_text();
        let author = actor.user_id.clone().unwrap_or_default();
        let id = insert_message(&mut tx, inquiry_id, org, &author, body, attachment, &now).await?;
        crate::marketplace::notify_in_tx(
            &mut tx,
            other,
            "inquiry_message",
            &format!("New message about {}", inq.title),
            json!({"inquiry_id": inquiry_id}),
        )
        .await?;
        tx.commit(
            actor,
            Some(org),
            "inquiry.message_posted",
            &format!("inquiry:{inquiry_id}"),
            json!({"message_id": id, "attachment": attachment.map(|a| a.filename)}),
        )
        .await?;
        let row = sqlx::query(&format!("SELECT {MESSAGE_COLUMNS} FROM inquiry_messages WHERE id = $1"))
            .bind(&id)
            .fetch_one(&self.pool)
            .await?;
        message_from_row(&row)
    }

    /// A message's attachment, for the two parties only.
    pub async fn get_attachment(&self, org: &str, inquiry_id: &str, message_id: &str) -> Result<(Attachment, Vec<u8>)> {
        let inq = self.get_inquiry(inquiry_id).await?;
        if inq.from_org != org && inq.to_org != org {
            return Err(StoreError::NotFound);
        }
        let row = sqlx::query(
            "SELECT m.id AS id, m.inquiry_id AS inquiry_id, m.from_org AS from_org, m.author_user_id AS author_user_id,
                    m.body AS body, m.attachment_sha256 AS attachment_sha256, m.attachment_name AS attachment_name,
                    m.attachment_type AS attachment_type, m.created_at AS created_at, b.content AS content
             FROM inquiry_messages m JOIN blobs b ON b.sha256 = m.attachment_sha256 WHERE m.id = $1 AND m.inquiry_id = $2",
        )
        .bind(message_id)
        .bind(inquiry_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let msg = message_from_row(&row)?;
        let a = msg.attachment.ok_or(StoreError::NotFound)?;
        Ok((a, row.try_get("content")?))
    }

    /// Blocks a company: no more inquiries or messages from it.
    pub async fn block(&self, actor: &Actor, org: &str, blocked: &str) -> Result<()> {
        self.get_organization(blocked).await?;
        if org == blocked {
            return Err(StoreError::Refused("a company cannot block itself".into()));
        }
        let mut tx = self.begin_audited().await?;
        sqlx::query("INSERT INTO company_blocks (organization_id, blocked_org, created_at) VALUES ($1, $2, $3) ON CONFLICT (organization_id, blocked_org) DO NOTHING")
            .bind(org)
            .bind(blocked)
            .bind(now_text())
            .execute(&mut *tx.tx)
            .await?;
        tx.commit(actor, Some(org), "company.blocked", &format!("organization:{blocked}"), json!({})).await?;
        Ok(())
    }

    pub async fn unblock(&self, actor: &Actor, org: &str, blocked: &str) -> Result<()> {
        let mut tx = self.begin_audited().await?;
        sqlx::query("DELETE FROM company_blocks WHERE organization_id = $1 AND blocked_org = $2")
            .bind(org)
            .bind(blocked)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit(actor, Some(org), "company.unblocked", &format!("organization:{blocked}"), json!({})).await?;
        Ok(())
    }

    pub async fn list_blocks(&self, org: &str) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT blocked_org FROM company_blocks WHERE organization_id = $1 ORDER BY blocked_org")
                .bind(org)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|r| Ok(r.try_get("blocked_org")?)).collect()
    }

    /// A company reports a listing to the platform operator.
    pub async fn report_listing(
        &self,
        actor: &Actor,
        org: &str,
        kind: ListingKind,
        id: &str,
        reason: &str,
    ) -> Result<ListingReport> {
        let (_, _, hidden) = self.listing_owner(kind, id).await?;
        if hidden {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin_audited().await?;
        let rid = new_id();
        sqlx::query("INSERT INTO listing_reports (id, reporter_org, entity_kind, entity_id, reason, status, decided_by, decision_note, created_at, decided_at) VALUES ($1, $2, $3, $4, $5, 'open', NULL, NULL, $6, NULL)")
            .bind(&rid)
            .bind(org)
            .bind(kind.as_str())
            .bind(id)
            .bind(reason)
            .bind(now_text())
            .execute(&mut *tx.tx)
            .await?;
        tx.commit(actor, Some(org), "listing.reported", &format!("{}:{id}", kind.as_str()), json!({"report_id": rid}))
            .await?;
        self.get_report(&rid).await
    }

    pub async fn get_report(&self, id: &str) -> Result<ListingReport> {
        let row = sqlx::query("SELECT id, reporter_org, entity_kind, entity_id, reason, status, decision_note, created_at FROM listing_reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        report_from_row(&row)
    }

    pub async fn open_reports(&self) -> Result<Vec<ListingReport>> {
        let rows = sqlx::query("SELECT id, reporter_org, entity_kind, entity_id, reason, status, decision_note, created_at FROM listing_reports WHERE status = 'open' ORDER BY id LIMIT 500")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(report_from_row).collect()
    }

    /// The operator's decision: hide the listing (it leaves search and matching, its owner
    /// is told) or dismiss the report.
    pub async fn decide_report(&self, actor: &Actor, report_id: &str, hide: bool, note: &str) -> Result<ListingReport> {
        let report = self.get_report(report_id).await?;
        if report.status != "open" {
            return Err(StoreError::Refused(format!("this report was already {}", report.status)));
        }
        let kind = ListingKind::parse(&report.entity_kind).ok_or_else(|| StoreError::Corrupt("report kind".into()))?;
        let (owner, title, _) = self.listing_owner(kind, &report.entity_id).await?;
        let mut tx = self.begin_audited().await?;
        let status = if hide { "hidden" } else { "dismissed" };
        sqlx::query("UPDATE listing_reports SET status = $1, decided_by = $2, decision_note = $3, decided_at = $4 WHERE id = $5")
            .bind(status)
            .bind(actor.user_id.clone().unwrap_or_default())
            .bind(note)
            .bind(now_text())
            .bind(report_id)
            .execute(&mut *tx.tx)
            .await?;
        if hide {
            sqlx::query(&format!("UPDATE {} SET hidden = 1 WHERE id = $1", kind.table()))
                .bind(&report.entity_id)
                .execute(&mut *tx.tx)
                .await?;
            crate::marketplace::queue_in(&mut tx, kind.as_str(), &report.entity_id).await?;
            crate::marketplace::notify_in_tx(
                &mut tx,
                &owner,
                "listing_hidden",
                &format!("The platform operator hid your listing {title}"),
                json!({"kind": kind.as_str(), "id": report.entity_id, "note": note}),
            )
            .await?;
        }
        tx.commit(
            actor,
            Some(&owner),
            if hide { "listing.hidden" } else { "listing.report_dismissed" },
            &format!("{}:{}", kind.as_str(), report.entity_id),
            json!({"report_id": report_id, "note": note}),
        )
        .await?;
        self.get_report(report_id).await
    }
}
