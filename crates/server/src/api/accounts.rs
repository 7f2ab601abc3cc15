//! Sign-up with company registration, login and logout, API tokens, invitations.

use super::ClientAddr;
use crate::AppState;
use crate::auth::{self, CurrentUser, SESSION_COOKIE, SESSION_HOURS};
use crate::problem::{ApiError, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tradewind_domain::ValidationErrors;
use tradewind_domain::organization::{RegistrationForm, validate_email, validate_password};
use tradewind_store::{NewUser, Organization, User};

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct AddressIn {
    pub street: String,
    pub city: String,
    pub postal_code: String,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct ContactIn {
    pub name: String,
    pub email: String,
    pub phone: String,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct AdminIn {
    pub name: String,
    pub email: String,
    pub password: String,
}

/// A company's e-registration and its first user, who becomes its admin.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationIn {
    pub legal_name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub registration_number: String,
    #[serde(default)]
    pub address: AddressIn,
    #[serde(default)]
    pub contact: ContactIn,
    /// ISO 17442 Legal Entity Identifier (optional; check digits are validated).
    #[serde(default)]
    pub lei: Option<String>,
    /// exporter, importer, carrier_or_forwarder, customs_broker, bank, insurer,
    /// customs_authority, other_government_agency.
    pub roles: Vec<String>,
    #[serde(default)]
    pub admin: AdminIn,
}

#[derive(Serialize)]
pub struct Registered {
    pub organization: Organization,
    pub user: User,
}

/// Validates a registration and creates the company and its admin in one transaction.
pub async fn register_company(state: &AppState, r: RegistrationIn) -> Result<Registered, ApiError> {
    let form = RegistrationForm {
        legal_name: r.legal_name,
        country: r.country,
        registration_number: r.registration_number,
        street: r.address.street,
        city: r.address.city,
        postal_code: r.address.postal_code,
        contact_name: r.contact.name,
        contact_email: r.contact.email,
        contact_phone: r.contact.phone,
        lei: r.lei.unwrap_or_default(),
        roles: r.roles,
    };
    let mut errors = match form.validate() {
        Ok(_) => ValidationErrors::new(),
        Err(e) => e,
    };
    let admin_name = tradewind_domain::validation::required_text(&mut errors, "admin.name", &r.admin.name, 100);
    let admin_email = validate_email(&mut errors, "admin.email", &r.admin.email);
    validate_password(&mut errors, "admin.password", &r.admin.password);
    let reg = form.validate();
    match (reg, admin_name, admin_email) {
        (Ok(reg), Some(name), Some(email)) if errors.is_empty() => {
            let password_hash = auth::hash_password(r.admin.password).await?;
            let (organization, user) =
                state.store.register_organization(&reg, &NewUser { email, name, password_hash }).await?;
            tracing::info!(organization_id = %organization.id, "company registered");
            Ok(Registered { organization, user })
        }
        _ => Err(ApiError::Invalid(errors)),
    }
}

/// Register a company (e-registration). No login needed: this is sign-up.
#[utoipa::path(post, path = "/api/v1/registrations", tag = "accounts", request_body = RegistrationIn,
    responses((status = 201, description = "The organisation (pending verification) and its admin user", body = Object),
              (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn register(
    State(state): State<AppState>,
    Json(r): Json<RegistrationIn>,
) -> Result<impl IntoResponse, ApiError> {
    let out = register_company(&state, r).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginIn {
    pub email: String,
    pub password: String,
}

#[derive(Serialize)]
pub struct LoggedIn {
    pub user: User,
    /// Send as the `X-CSRF-Token` header on state-changing API calls made with the cookie.
    pub csrf_token: String,
}

/// Checks a password, with the rate limit, and opens a session. Returns the cookie value
/// and the session's CSRF token.
pub async fn open_session(
    state: &AppState,
    client: Option<std::net::SocketAddr>,
    email: &str,
    password: &str,
) -> Result<(User, String, String), ApiError> {
    let email = email.trim().to_ascii_lowercase();
    let client_key = client.map(|c| format!("ip:{}", c.ip()));
    let email_key = format!("email:{email}");
    state.login_limiter.check(&email_key, state.settings.login_attempts_per_email)?;
    if let Some(k) = &client_key {
        state.login_limiter.check(k, state.settings.login_attempts_per_client)?;
    }
    let found = state.store.find_login(&email).await?;
    let hash = found.as_ref().map(|(_, h)| h.clone()).unwrap_or_else(|| state.dummy_hash.as_ref().clone());
    let ok = auth::verify_password(password.to_string(), hash).await;
    match found {
        Some((user, _)) if ok => {
            state.login_limiter.succeed(&email_key);
            let session = auth::new_secret("");
            let csrf = auth::new_secret("");
            let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(SESSION_HOURS);
            state
                .store
                .create_session(&user, &auth::secret_hash(&session), &csrf, &tradewind_store::format_time(expires))
                .await?;
            Ok((user, session, csrf))
        }
        _ => {
            state.login_limiter.fail(&email_key);
            if let Some(k) = &client_key {
                state.login_limiter.fail(k);
            }
            Err(ApiError::field("password", "wrong_credentials", "the e-mail or password is wrong"))
        }
    }
}

pub fn session_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies)
        .path("/")
        .max_age(time::Duration::hours(SESSION_HOURS))
        .build()
}

/// Log in with e-mail and password: sets the session cookie and returns the CSRF token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginIn,
    responses((status = 200, body = Object), (status = 422, body = crate::problem::Problem), (status = 429, body = crate::problem::Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    jar: CookieJar,
    Json(body): Json<LoginIn>,
) -> Result<impl IntoResponse, ApiError> {
    let (user, session, csrf_token) = open_session(&state, client, &body.email, &body.password).await?;
    Ok((jar.add(session_cookie(&state, session)), Json(LoggedIn { user, csrf_token })))
}

/// End the browser session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts", responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    _user: CurrentUser,
    jar: CookieJar,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        state.store.delete_session(&auth::secret_hash(c.value())).await?;
    }
    Ok((jar.remove(Cookie::build(SESSION_COOKIE).path("/").build()), StatusCode::NO_CONTENT))
}

/// Who am I.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = Object), (status = 401, body = crate::problem::Problem)))]
pub async fn me(user: CurrentUser) -> Json<serde_json::Value> {
    Json(json!({"user": user.user, "csrf_token": user.csrf_token()}))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenIn {
    /// What the token is for, for example "ERP export job".
    pub name: String,
}

/// Create an API token for programs. The token is shown once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = TokenIn,
    responses((status = 201, body = Object), (status = 401, body = crate::problem::Problem)))]
pub async fn create_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<TokenIn>,
) -> Result<impl IntoResponse, ApiError> {
    let mut e = ValidationErrors::new();
    let name = tradewind_domain::validation::required_text(&mut e, "name", &body.name, 100);
    let name = e.into_result(name)?.unwrap_or_default();
    let token = auth::new_secret("tw_");
    let t = state.store.create_api_token(&user.user, &name, &auth::secret_hash(&token)).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": t.id, "name": t.name, "created_at": t.created_at, "token": token}))))
}

/// The caller's API tokens (without their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", responses((status = 200, body = Object)))]
pub async fn list_tokens(State(state): State<AppState>, user: CurrentUser) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(json!({"items": state.store.list_api_tokens(&user.user.id).await?})))
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::problem::Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.store.revoke_api_token(&user.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AcceptIn {
    /// The secret from the invitation link.
    pub token: String,
    pub name: String,
    pub password: String,
}

/// Accept an invitation: creates the invited user in the inviting company.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "accounts", request_body = AcceptIn,
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    Json(body): Json<AcceptIn>,
) -> Result<impl IntoResponse, ApiError> {
    let user = accept(&state, &body.token, &body.name, &body.password).await?;
    Ok((StatusCode::CREATED, Json(json!({"user": user}))))
}

pub async fn accept(state: &AppState, token: &str, name: &str, password: &str) -> Result<User, ApiError> {
    let mut e = ValidationErrors::new();
    let name = tradewind_domain::validation::required_text(&mut e, "name", name, 100);
    validate_password(&mut e, "password", password);
    let name = e.into_result(name)?.unwrap_or_default();
    let hash = auth::secret_hash(token.trim());
    // Look first so that a wrong link does not cost an argon2 hash.
    state.store.find_open_invitation(&hash).await.map_err(|_| {
        ApiError::field(
            "token",
            "invalid_invitation",
            "this invitation link is wrong, expired or already used; ask for a new one",
        )
    })?;
    let password_hash = auth::hash_password(password.to_string()).await?;
    Ok(state.store.accept_invitation(&hash, &name, &password_hash).await?)
}
