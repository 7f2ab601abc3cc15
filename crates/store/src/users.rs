//! Users, invitations, browser sessions and API tokens. Secrets (session ids, tokens,
//! invitation links) are stored only as SHA-256 hashes.

use crate::organizations::{email_conflict, member_role};
use crate::{
    Actor, ApiToken, Invitation, NewUser, Result, Store, StoreError, User, is_unique_violation, new_id, now_text,
};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use tradewind_domain::organization::MemberRole;

const USER_COLUMNS: &str = "id, organization_id, email, name, member_role, is_operator, created_at";

fn user_from_row(r: &AnyRow) -> Result<User> {
    Ok(User {
        id: r.try_get("id")?,
        organization_id: r.try_get("organization_id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        member_role: member_role(r.try_get("member_role")?)?,
        is_operator: r.try_get::<i64, _>("is_operator")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

fn invitation_from_row(r: &AnyRow) -> Result<Invitation> {
    Ok(Invitation {
        id: r.try_get("id")?,
        organization_id: r.try_get("organization_id")?,
        email: r.try_get("email")?,
        member_role: member_role(Some(r.try_get("member_role")?))?.unwrap_or(MemberRole::Member),
        invited_by: r.try_get("invited_by")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        accepted_at: r.try_get("accepted_at")?,
    })
}

impl Store {
    pub async fn get_user(&self, id: &str) -> Result<User> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        user_from_row(&row)
    }

    /// The user with this e-mail and their password hash, for login.
    pub async fn find_login(&self, email: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"))
            .bind(email.trim().to_ascii_lowercase())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((user_from_row(&r)?, r.try_get("password_hash")?))).transpose()
    }

    pub async fn list_users(&self, organization_id: &str) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE organization_id = $1 ORDER BY id"))
            .bind(organization_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Creates a platform operator account (no company).
    pub async fn create_operator(&self, user: &NewUser) -> Result<User> {
        let mut tx = self.begin_audited().await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO users (id, organization_id, email, name, password_hash, member_role, is_operator, created_at)
             VALUES ($1, NULL, $2, $3, $4, NULL, 1, $5)",
        )
        .bind(&id)
        .bind(&user.email)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { email_conflict("email", &user.email) } else { e.into() })?;
        tx.commit(&Actor::system(), None, "operator.created", &format!("user:{id}"), json!({"email": user.email}))
            .await?;
        self.get_user(&id).await
    }

    pub async fn create_invitation(
        &self,
        actor: &Actor,
        organization_id: &str,
        email: &str,
        role: MemberRole,
        token_hash: &str,
        expires_at: &str,
    ) -> Result<Invitation> {
        let mut tx = self.begin_audited().await?;
        let taken =
            sqlx::query("SELECT id FROM users WHERE email = $1").bind(email).fetch_optional(&mut *tx.tx).await?;
        if taken.is_some() {
            return Err(StoreError::Conflict { field: "email", message: format!("{email} already has an account") });
        }
        let id = new_id();
        let invited_by = actor.user_id.clone().unwrap_or_default();
        sqlx::query(
            "INSERT INTO invitations (id, organization_id, email, member_role, token_hash, invited_by, created_at, expires_at, accepted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)",
        )
        .bind(&id)
        .bind(organization_id)
        .bind(email)
        .bind(role.as_str())
        .bind(token_hash)
        .bind(&invited_by)
        .bind(now_text())
        .bind(expires_at)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(
            actor,
            Some(organization_id),
            "user.invited",
            &format!("invitation:{id}"),
            json!({"email": email, "role": role}),
        )
        .await?;
        self.get_invitation(&id).await
    }

    async fn get_invitation(&self, id: &str) -> Result<Invitation> {
        let row = sqlx::query(
            "SELECT id, organization_id, email, member_role, invited_by, created_at, expires_at, accepted_at
             FROM invitations WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        invitation_from_row(&row)
    }

    /// An open (not accepted, not expired) invitation by its token hash.
    pub async fn find_open_invitation(&self, token_hash: &str) -> Result<Invitation> {
        let row = sqlx::query(
            "SELECT id, organization_id, email, member_role, invited_by, created_at, expires_at, accepted_at
             FROM invitations WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_text())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        invitation_from_row(&row)
    }

    pub async fn list_invitations(&self, organization_id: &str) -> Result<Vec<Invitation>> {
        let rows = sqlx::query(
            "SELECT id, organization_id, email, member_role, invited_by, created_at, expires_at, accepted_at
             FROM invitations WHERE organization_id = $1 ORDER BY id",
        )
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(invitation_from_row).collect()
    }

    /// Turns an invitation into a user of the inviting company, once.
    pub async fn accept_invitation(&self, token_hash: &str, name: &str, password_hash: &str) -> Result<User> {
        let mut tx = self.begin_audited().await?;
        let now = now_text();
        let row = sqlx::query(
            "SELECT id, organization_id, email, member_role, invited_by, created_at, expires_at, accepted_at
             FROM invitations WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(&now)
        .fetch_optional(&mut *tx.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let inv = invitation_from_row(&row)?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO users (id, organization_id, email, name, password_hash, member_role, is_operator, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
        )
        .bind(&id)
        .bind(&inv.organization_id)
        .bind(&inv.email)
        .bind(name)
        .bind(password_hash)
        .bind(inv.member_role.as_str())
        .bind(&now)
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { email_conflict("email", &inv.email) } else { e.into() })?;
        sqlx::query("UPDATE invitations SET accepted_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(&inv.id)
            .execute(&mut *tx.tx)
            .await?;
        let actor = Actor::user(&id, Some(&inv.organization_id));
        tx.commit(
            &actor,
            Some(&inv.organization_id),
            "user.joined",
            &format!("user:{id}"),
            json!({"invitation_id": inv.id}),
        )
        .await?;
        self.get_user(&id).await
    }

    pub async fn create_session(&self, user: &User, id_hash: &str, csrf_token: &str, expires_at: &str) -> Result<()> {
        let mut tx = self.begin_audited().await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash)
        .bind(&user.id)
        .bind(csrf_token)
        .bind(now_text())
        .bind(expires_at)
        .execute(&mut *tx.tx)
        .await?;
        let actor = Actor::user(&user.id, user.organization_id.as_deref());
        tx.commit(&actor, user.organization_id.as_deref(), "user.logged_in", &format!("user:{}", user.id), json!({}))
            .await?;
        Ok(())
    }

    /// The user and CSRF token of a live session.
    pub async fn find_session(&self, id_hash: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query("SELECT user_id, csrf_token FROM sessions WHERE id_hash = $1 AND expires_at > $2")
            .bind(id_hash)
            .bind(now_text())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => {
                let user = self.get_user(&r.try_get::<String, _>("user_id")?).await?;
                Ok(Some((user, r.try_get("csrf_token")?)))
            }
            None => Ok(None),
        }
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn create_api_token(&self, user: &User, name: &str, token_hash: &str) -> Result<ApiToken> {
        let mut tx = self.begin_audited().await?;
        let id = new_id();
        let now = now_text();
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, NULL)")
            .bind(&id)
            .bind(&user.id)
            .bind(name)
            .bind(token_hash)
            .bind(&now)
            .execute(&mut *tx.tx)
            .await?;
        let actor = Actor::user(&user.id, user.organization_id.as_deref());
        tx.commit(
            &actor,
            user.organization_id.as_deref(),
            "api_token.created",
            &format!("api_token:{id}"),
            json!({"name": name}),
        )
        .await?;
        Ok(ApiToken { id, user_id: user.id.clone(), name: name.into(), created_at: now, revoked_at: None })
    }

    pub async fn list_api_tokens(&self, user_id: &str) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, user_id, name, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes one of the user's own tokens. Revoking twice is not an error.
    pub async fn revoke_api_token(&self, user: &User, token_id: &str) -> Result<()> {
        let mut tx = self.begin_audited().await?;
        let found = sqlx::query("SELECT id FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(token_id)
            .bind(&user.id)
            .fetch_optional(&mut *tx.tx)
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now_text())
            .bind(token_id)
            .execute(&mut *tx.tx)
            .await?;
        let actor = Actor::user(&user.id, user.organization_id.as_deref());
        tx.commit(
            &actor,
            user.organization_id.as_deref(),
            "api_token.revoked",
            &format!("api_token:{token_id}"),
            json!({}),
        )
        .await?;
        Ok(())
    }

    /// The user a live (not revoked) API token belongs to.
    pub async fn find_token_user(&self, token_hash: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(self.get_user(&r.try_get::<String, _>("user_id")?).await?)),
            None => Ok(None),
        }
    }
}
