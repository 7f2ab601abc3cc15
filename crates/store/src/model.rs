//! What the store hands back: domain types plus the bookkeeping the database adds.

use serde::Serialize;
use tradewind_domain::organization::{Address, Contact, MemberRole, TradeRole, VerificationStatus};
use tradewind_domain::{CountryCode, Lei};

/// Who did something, for the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<String>,
    pub organization_id: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Actor::default()
    }
    pub fn user(user_id: &str, organization_id: Option<&str>) -> Self {
        Actor { user_id: Some(user_id.to_string()), organization_id: organization_id.map(str::to_string) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: String,
    pub legal_name: String,
    pub country: CountryCode,
    pub registration_number: String,
    pub address: Address,
    pub contact: Contact,
    pub lei: Option<Lei>,
    pub roles: Vec<TradeRole>,
    pub verification: VerificationStatus,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub organization_id: Option<String>,
    pub email: String,
    pub name: String,
    pub member_role: Option<MemberRole>,
    /// Platform operators review registrations; they belong to no company.
    pub is_operator: bool,
    pub created_at: String,
}

impl User {
    pub fn is_admin_of(&self, organization_id: &str) -> bool {
        self.organization_id.as_deref() == Some(organization_id) && self.member_role == Some(MemberRole::Admin)
    }
}

/// A new user's credentials; the password is already hashed by the caller.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub id: String,
    pub organization_id: String,
    pub email: String,
    pub member_role: MemberRole,
    pub invited_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub accepted_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub id: String,
    pub organization_id: String,
    /// SHA-256 of the content, hex: the file's address in the blob store.
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: String,
    pub created_at: String,
}

/// One page of a list and the cursor for the next, if there is more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only says there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: usize, cursor_of: impl Fn(&T) -> String) -> Page<T> {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more { rows.last().map(cursor_of) } else { None };
        Page { items: rows, next_cursor }
    }
}
