//! Organisations, their evidence documents, products and verification.

use crate::{
    Actor, Evidence, NewUser, Organization, Page, Result, Store, StoreError, User, corrupt, is_unique_violation,
    new_id, now_text,
};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use tradewind_domain::organization::{
    Address, CompanyRegistration, Contact, MemberRole, TradeRole, VerificationEvent, VerificationStatus,
};

const ORG_COLUMNS: &str = "id, legal_name, country, registration_number, street, city, postal_code, contact_name, \
     contact_email, contact_phone, lei, roles, verification_status, rejection_reason, created_at, updated_at";

pub(crate) fn org_from_row(r: &AnyRow) -> Result<Organization> {
    let country: String = r.try_get("country")?;
    let country = country.parse().map_err(|e| corrupt("country", e))?;
    let lei: Option<String> = r.try_get("lei")?;
    let roles: String = r.try_get("roles")?;
    let status: String = r.try_get("verification_status")?;
    let verification = match status.as_str() {
        "pending" => VerificationStatus::Pending,
        "verified" => VerificationStatus::Verified,
        "rejected" => VerificationStatus::Rejected {
            reason: r.try_get::<Option<String>, _>("rejection_reason")?.unwrap_or_default(),
        },
        other => return Err(corrupt("verification_status", other)),
    };
    Ok(Organization {
        id: r.try_get("id")?,
        legal_name: r.try_get("legal_name")?,
        country,
        registration_number: r.try_get("registration_number")?,
        address: Address {
            street: r.try_get("street")?,
            city: r.try_get("city")?,
            postal_code: r.try_get("postal_code")?,
            country,
        },
        contact: Contact {
            name: r.try_get("contact_name")?,
            email: r.try_get("contact_email")?,
            phone: r.try_get("contact_phone")?,
        },
        lei: lei.map(|l| l.parse().map_err(|e| corrupt("lei", e))).transpose()?,
        roles: roles
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<TradeRole>().map_err(|e| corrupt("roles", e)))
            .collect::<Result<_>>()?,
        verification,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn roles_text(roles: &[TradeRole]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

/// Which organisations a list should hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganizationFilter {
    All,
    Verification(&'static str),
}

impl Store {
    /// E-registration: creates the organisation and its first user, who becomes its admin.
    pub async fn register_organization(
        &self,
        reg: &CompanyRegistration,
        admin: &NewUser,
    ) -> Result<(Organization, User)> {
        let mut tx = self.begin_audited().await?;
        let taken = sqlx::query("SELECT id FROM organizations WHERE country = $1 AND registration_number = $2")
            .bind(reg.country.as_str())
            .bind(&reg.registration_number)
            .fetch_optional(&mut *tx.tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict {
                field: "registration_number",
                message: format!(
                    "a company with registration number {} in {} is already registered; ask its admin to invite you",
                    reg.registration_number, reg.country
                ),
            });
        }
        let email_taken =
            sqlx::query("SELECT id FROM users WHERE email = $1").bind(&admin.email).fetch_optional(&mut *tx.tx).await?;
        if email_taken.is_some() {
            return Err(email_conflict("admin.email", &admin.email));
        }
        let now = now_text();
        let org_id = new_id();
        sqlx::query(&format!(
            "INSERT INTO organizations ({ORG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', NULL, $13, $13)"
        ))
        .bind(&org_id)
        .bind(&reg.legal_name)
        .bind(reg.country.as_str())
        .bind(&reg.registration_number)
        .bind(&reg.address.street)
        .bind(&reg.address.city)
        .bind(&reg.address.postal_code)
        .bind(&reg.contact.name)
        .bind(&reg.contact.email)
        .bind(&reg.contact.phone)
        .bind(reg.lei.as_ref().map(|l| l.as_str().to_string()))
        .bind(roles_text(&reg.roles))
        .bind(&now)
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict { field: "registration_number", message: "this registration number is already registered".into() }
            } else {
                e.into()
            }
        })?;
        let user_id = new_id();
        sqlx::query(
            "INSERT INTO users (id, organization_id, email, name, password_hash, member_role, is_operator, created_at)
             VALUES ($1, $2, $3, $4, $5, 'admin', 0, $6)",
        )
        .bind(&user_id)
        .bind(&org_id)
        .bind(&admin.email)
        .bind(&admin.name)
        .bind(&admin.password_hash)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { email_conflict("admin.email", &admin.email) } else { e.into() })?;
        crate::marketplace::queue_in(&mut tx, "organization", &org_id).await?;
        let actor = Actor::user(&user_id, Some(&org_id));
        tx.commit(
            &actor,
            Some(&org_id),
            "organization.registered",
            &format!("organization:{org_id}"),
            json!({"legal_name": reg.legal_name, "country": reg.country, "registration_number": reg.registration_number,
                   "roles": reg.roles, "admin_user_id": user_id}),
        )
        .await?;
        let org = self.get_organization(&org_id).await?;
        let user = self.get_user(&user_id).await?;
        Ok((org, user))
    }

    pub async fn get_organization(&self, id: &str) -> Result<Organization> {
        let row = sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        org_from_row(&row)
    }

    /// Organisations in registration order, `limit` at a time after the id `after`.
    pub async fn list_organizations(
        &self,
        filter: OrganizationFilter,
        after: &str,
        limit: usize,
    ) -> Result<Page<Organization>> {
        let status = match filter {
            OrganizationFilter::All => "%",
            OrganizationFilter::Verification(s) => s,
        };
        let rows = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM organizations WHERE verification_status LIKE $1 AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(status)
        .bind(after)
        .bind(limit as i64 + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(org_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, limit, |o| o.id.clone()))
    }

    /// Applies a verification event (operator's verify or reject, company's resubmit).
    pub async fn change_verification(&self, id: &str, event: VerificationEvent, actor: &Actor) -> Result<Organization> {
        let mut tx = self.begin_audited().await?;
        let row = sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let org = org_from_row(&row)?;
        let action = match &event {
            VerificationEvent::Verify => "organization.verified",
            VerificationEvent::Reject { .. } => "organization.rejected",
            VerificationEvent::Resubmit => "organization.resubmitted",
        };
        let next = org.verification.clone().apply(event).map_err(|e| StoreError::Refused(e.to_string()))?;
        let reason = match &next {
            VerificationStatus::Rejected { reason } => Some(reason.clone()),
            _ => None,
        };
        sqlx::query(
            "UPDATE organizations SET verification_status = $1, rejection_reason = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(next.label())
        .bind(&reason)
        .bind(now_text())
        .bind(id)
        .execute(&mut *tx.tx)
        .await?;
        crate::marketplace::queue_in(&mut tx, "organization", id).await?;
        tx.commit(
            actor,
            Some(id),
            action,
            &format!("organization:{id}"),
            json!({"from": org.verification.label(), "to": next.label(), "reason": reason}),
        )
        .await?;
        self.get_organization(id).await
    }

    /// Stores an evidence file content-addressed (one copy per distinct content) and links
    /// it to the organisation.
    pub async fn add_evidence(
        &self,
        organization_id: &str,
        uploaded_by: &Actor,
        filename: &str,
        content_type: &str,
        content: &[u8],
    ) -> Result<Evidence> {
        let mut tx = self.begin_audited().await?;
        let now = now_text();
        let sha = crate::blobs::put_blob(&mut tx, content_type, content, &now).await?;
        let id = new_id();
        let user = uploaded_by.user_id.clone().unwrap_or_default();
        sqlx::query(
            "INSERT INTO evidence (id, organization_id, sha256, filename, content_type, size, uploaded_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(organization_id)
        .bind(&sha)
        .bind(filename)
        .bind(content_type)
        .bind(content.len() as i64)
        .bind(&user)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(
            uploaded_by,
            Some(organization_id),
            "evidence.uploaded",
            &format!("evidence:{id}"),
            json!({"sha256": sha, "filename": filename, "content_type": content_type, "size": content.len()}),
        )
        .await?;
        Ok(Evidence {
            id,
            organization_id: organization_id.to_string(),
            sha256: sha,
            filename: filename.to_string(),
            content_type: content_type.to_string(),
            size: content.len() as i64,
            uploaded_by: user,
            created_at: now,
        })
    }

    pub async fn list_evidence(&self, organization_id: &str) -> Result<Vec<Evidence>> {
        let rows = sqlx::query(
            "SELECT id, organization_id, sha256, filename, content_type, size, uploaded_by, created_at
             FROM evidence WHERE organization_id = $1 ORDER BY id",
        )
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(evidence_from_row).collect()
    }

    /// An evidence file and its content, only if it belongs to `organization_id`.
    pub async fn get_evidence(&self, organization_id: &str, evidence_id: &str) -> Result<(Evidence, Vec<u8>)> {
        let row = sqlx::query(
            "SELECT e.id, e.organization_id, e.sha256, e.filename, e.content_type, e.size, e.uploaded_by, e.created_at, b.content
             FROM evidence e JOIN blobs b ON b.sha256 = e.sha256 WHERE e.organization_id = $1 AND e.id = $2",
        )
        .bind(organization_id)
        .bind(evidence_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((evidence_from_row(&row)?, row.try_get("content")?))
    }

    pub async fn count_organizations(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM organizations").fetch_one(&self.pool).await?.try_get("n")?)
    }
}

pub(crate) fn email_conflict(field: &'static str, email: &str) -> StoreError {
    StoreError::Conflict { field, message: format!("{email} already has an account; log in instead") }
}

fn evidence_from_row(r: &AnyRow) -> Result<Evidence> {
    Ok(Evidence {
        id: r.try_get("id")?,
        organization_id: r.try_get("organization_id")?,
        sha256: r.try_get("sha256")?,
        filename: r.try_get("filename")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        uploaded_by: r.try_get("uploaded_by")?,
        created_at: r.try_get("created_at")?,
    })
}

pub(crate) fn member_role(s: Option<String>) -> Result<Option<MemberRole>> {
    s.map(|s| s.parse::<MemberRole>().map_err(|e| corrupt("member_role", e))).transpose()
}
