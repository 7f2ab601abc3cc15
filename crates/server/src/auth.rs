//! Who is asking: password hashing, secrets, browser sessions with CSRF tokens, API
//! tokens, and the login rate limit.

use crate::AppState;
use crate::problem::ApiError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use axum::extract::FromRequestParts;
use axum::http::{Method, request::Parts};
use axum_extra::extract::cookie::CookieJar;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tradewind_store::{Actor, User};

pub const SESSION_COOKIE: &str = "tw_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const SESSION_HOURS: i64 = 12;

/// Hashes a password with argon2id (off the async threads: it is slow on purpose).
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::Internal(e.to_string()))
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false)
}

/// A random secret, URL-safe, with a prefix saying what it is.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Secrets are stored only as this hash.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time comparison for tokens.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How the caller proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    Session { csrf_token: String },
    Bearer,
}

/// The logged-in user. Extracting it answers 401 when nobody is logged in, and 403 when a
/// cookie-authenticated API call changes state without the session's CSRF token.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub credential: Credential,
    /// A consumer account (no company): company endpoints refuse it with a clear problem.
    pub is_consumer: bool,
}

/// What a consumer calling a company endpoint is told.
pub const CONSUMER_ON_COMPANY_ENDPOINT: &str = "this is for company accounts and you are signed in as a consumer: \
     consumers shop through /api/v1/stores, /api/v1/cart, /api/v1/checkout and /api/v1/consumer-orders";

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor::user(&self.user.id, self.user.organization_id.as_deref())
    }
    /// The user's company, or 404 for accounts without one (operators).
    pub fn organization_id(&self) -> Result<&str, ApiError> {
        if self.is_consumer {
            return Err(ApiError::Refused(CONSUMER_ON_COMPANY_ENDPOINT.into()));
        }
        self.user.organization_id.as_deref().ok_or(ApiError::NotFound)
    }
    pub fn require_admin(&self) -> Result<&str, ApiError> {
        let org = self.organization_id()?;
        if self.user.is_admin_of(org) { Ok(org) } else { Err(ApiError::Forbidden) }
    }
    /// Operator-only resources are invisible to everyone else.
    pub fn require_operator(&self) -> Result<(), ApiError> {
        if self.user.is_operator { Ok(()) } else { Err(ApiError::NotFound) }
    }
    pub fn csrf_token(&self) -> &str {
        match &self.credential {
            Credential::Session { csrf_token } => csrf_token,
            Credential::Bearer => "",
        }
    }
    /// For HTML form posts, whose token comes in the form body.
    pub fn check_form_csrf(&self, token: &str) -> Result<(), ApiError> {
        match &self.credential {
            Credential::Session { csrf_token } if same_secret(csrf_token, token) => Ok(()),
            Credential::Bearer => Ok(()),
            _ => Err(ApiError::CsrfMismatch),
        }
    }
}

pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<CurrentUser>, ApiError> {
    if let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let value = h.to_str().map_err(|_| ApiError::Unauthenticated)?;
        let token = value.strip_prefix("Bearer ").ok_or(ApiError::Unauthenticated)?.trim();
        let user = state.store.find_token_user(&secret_hash(token)).await?.ok_or(ApiError::Unauthenticated)?;
        let is_consumer = is_consumer(state, &user).await?;
        return Ok(Some(CurrentUser { user, credential: Credential::Bearer, is_consumer }));
    }
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(cookie) = jar.get(SESSION_COOKIE) else { return Ok(None) };
    match state.store.find_session(&secret_hash(cookie.value())).await? {
        Some((user, csrf_token)) => {
            let is_consumer = is_consumer(state, &user).await?;
            Ok(Some(CurrentUser { user, credential: Credential::Session { csrf_token }, is_consumer }))
        }
        None => Ok(None),
    }
}

/// Only accounts without a company can be consumers, so company users cost no lookup.
async fn is_consumer(state: &AppState, user: &User) -> Result<bool, ApiError> {
    if user.organization_id.is_some() || user.is_operator {
        return Ok(false);
    }
    Ok(state.store.consumer(&user.id).await?.is_some())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = authenticate(parts, state).await?.ok_or(ApiError::Unauthenticated)?;
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if unsafe_method
            && parts.uri.path().starts_with("/api/")
            && let Credential::Session { csrf_token } = &user.credential
        {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !same_secret(csrf_token, sent) {
                return Err(ApiError::CsrfMismatch);
            }
        }
        Ok(user)
    }
}

/// The logged-in user if any; never rejects.
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(MaybeUser(authenticate(parts, state).await.ok().flatten()))
    }
}

/// Counts failed logins per key (e-mail, and client address) in a sliding window.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    /// Seconds to wait if `key` has had `max` failures within the window.
    pub fn check(&self, key: &str, max: usize) -> Result<(), ApiError> {
        let mut map = self.failures.lock().map_err(|_| ApiError::Internal("limiter poisoned".into()))?;
        let now = Instant::now();
        let list = map.entry(key.to_string()).or_default();
        list.retain(|t| now.duration_since(*t) < Self::WINDOW);
        if list.len() >= max {
            let oldest = list.first().copied().unwrap_or(now);
            let wait = Self::WINDOW.saturating_sub(now.duration_since(oldest)).as_secs().max(1);
            return Err(ApiError::TooManyRequests { retry_after_secs: wait });
        }
        Ok(())
    }

    pub fn fail(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.entry(key.to_string()).or_default().push(Instant::now());
            // Keep memory bounded under a spray of random keys.
            if map.len() > 100_000 {
                let now = Instant::now();
                map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < Self::WINDOW));
            }
        }
    }

    pub fn succeed(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_blocks_after_max_failures_and_resets_on_success() {
        let l = LoginLimiter::default();
        for _ in 0..3 {
            assert!(l.check("a", 3).is_ok());
            l.fail("a");
        }
        assert!(matches!(l.check("a", 3), Err(ApiError::TooManyRequests { .. })));
        assert!(l.check("b", 3).is_ok());
        l.succeed("a");
        assert!(l.check("a", 3).is_ok());
    }

    #[tokio::test]
    async fn argon2id_round_trip() {
        let h = hash_password("correct horse battery".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), h.clone()).await);
        assert!(!verify_password("wrong".into(), h).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret("tw_");
        assert!(a.starts_with("tw_") && a.len() > 40);
        assert_ne!(a, new_secret("tw_"));
        assert_eq!(secret_hash(&a).len(), 64);
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd"));
    }
}
