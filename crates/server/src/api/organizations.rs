//! A company's own profile, evidence, users, invitations and audit trail; other companies'
//! public profiles.

use super::{PageBody, PageParams};
use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::problem::{ApiError, Json, Path, Query};
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tradewind_domain::ValidationErrors;
use tradewind_domain::organization::{MemberRole, TradeRole, VerificationEvent, check_evidence, validate_email};
use tradewind_store::{Evidence, Organization, OrganizationFilter};

/// What any logged-in user may see of a verified company.
#[derive(Serialize)]
pub struct PublicProfile {
    pub id: String,
    pub legal_name: String,
    pub country: String,
    pub city: String,
    pub roles: Vec<TradeRole>,
    pub lei: Option<String>,
    /// The verified badge.
    pub verified: bool,
}

impl From<&Organization> for PublicProfile {
    fn from(o: &Organization) -> Self {
        PublicProfile {
            id: o.id.clone(),
            legal_name: o.legal_name.clone(),
            country: o.country.to_string(),
            city: o.address.city.clone(),
            roles: o.roles.clone(),
            lei: o.lei.as_ref().map(|l| l.to_string()),
            verified: o.verification == tradewind_domain::organization::VerificationStatus::Verified,
        }
    }
}

/// Reads an organisation the caller may see in full (its own, or any for the operator);
/// anything else is 404 so that existence does not leak.
pub async fn own_or_operator(state: &AppState, user: &CurrentUser, id: &str) -> Result<Organization, ApiError> {
    if user.user.is_operator || user.user.organization_id.as_deref() == Some(id) {
        Ok(state.store.get_organization(id).await?)
    } else {
        Err(ApiError::NotFound)
    }
}

/// The caller's own company, in full.
#[utoipa::path(get, path = "/api/v1/organizations/me", tag = "organizations",
    responses((status = 200, body = Object), (status = 401, body = crate::problem::Problem)))]
pub async fn my_organization(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Organization>, ApiError> {
    Ok(Json(state.store.get_organization(user.organization_id()?).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DirectoryQuery {
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

/// Directory of verified companies (public profiles).
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", params(DirectoryQuery),
    responses((status = 200, body = Object), (status = 401, body = crate::problem::Problem)))]
pub async fn list_organizations(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(q): Query<DirectoryQuery>,
) -> Result<Json<PageBody<PublicProfile>>, ApiError> {
    let p = PageParams { cursor: q.cursor, limit: q.limit };
    let page =
        state.store.list_organizations(OrganizationFilter::Verification("verified"), &p.after()?, p.limit()?).await?;
    let body: PageBody<Organization> = page.into();
    Ok(Json(PageBody { items: body.items.iter().map(PublicProfile::from).collect(), next_cursor: body.next_cursor }))
}

/// A company: in full for its members and the operator, as a public profile for others
/// once it is verified, and 404 otherwise.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn get_organization(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if let Ok(org) = own_or_operator(&state, &user, &id).await {
        return Ok(Json(json!(org)));
    }
    let org = state.store.get_organization(&id).await?;
    let profile = PublicProfile::from(&org);
    if profile.verified { Ok(Json(json!(profile))) } else { Err(ApiError::NotFound) }
}

/// Reads the `file` part of a multipart upload: name, declared type and bytes.
pub async fn read_upload(mut multipart: Multipart) -> Result<(String, String, Vec<u8>), ApiError> {
    while let Some(field) = multipart.next_field().await? {
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.file_name().unwrap_or("evidence").chars().take(200).collect::<String>();
        let declared = field.content_type().unwrap_or("application/octet-stream").to_string();
        let bytes = field.bytes().await?;
        return Ok((filename, declared, bytes.to_vec()));
    }
    Err(ApiError::field("file", "required", "attach the evidence file in a multipart field named 'file'"))
}

/// Upload an evidence document (PDF, PNG or JPEG, at most 10 MiB) for verification.
#[utoipa::path(post, path = "/api/v1/organizations/me/evidence", tag = "organizations",
    request_body(content_type = "multipart/form-data", description = "a field named `file`"),
    responses((status = 201, body = Object), (status = 413, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn upload_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.require_admin()?.to_string();
    let multipart = multipart?;
    let (filename, declared, bytes) = read_upload(multipart).await?;
    let kind = check_evidence(&declared, &bytes)?;
    let ev = state.store.add_evidence(&org, &user.actor(), &filename, kind.mime(), &bytes).await?;
    Ok((StatusCode::CREATED, Json(ev)))
}

/// The caller's company's evidence documents.
#[utoipa::path(get, path = "/api/v1/organizations/me/evidence", tag = "organizations", responses((status = 200, body = Object)))]
pub async fn list_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<serde_json::Value>, ApiError> {
    let items: Vec<Evidence> = state.store.list_evidence(user.organization_id()?).await?;
    Ok(Json(json!({"items": items})))
}

/// Download an evidence document (its company and the operator only).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/evidence/{evidence_id}", tag = "organizations",
    params(("id" = String, Path), ("evidence_id" = String, Path)),
    responses((status = 200, description = "the file"), (status = 404, body = crate::problem::Problem)))]
pub async fn download_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, evidence_id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    own_or_operator(&state, &user, &id).await?;
    let (ev, bytes) = state.store.get_evidence(&id, &evidence_id).await?;
    let disposition = format!("attachment; filename=\"{}\"", ev.filename.replace(['"', '\\', '\r', '\n'], "_"));
    Ok((
        [
            (header::CONTENT_TYPE, ev.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::HeaderName::from_static("x-content-sha256"), ev.sha256.clone()),
        ],
        bytes,
    ))
}

/// Ask for another review after a rejection (upload new evidence first).
#[utoipa::path(post, path = "/api/v1/organizations/me/resubmit", tag = "organizations",
    responses((status = 200, body = Object), (status = 409, body = crate::problem::Problem)))]
pub async fn resubmit(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Organization>, ApiError> {
    let org = user.require_admin()?;
    Ok(Json(state.store.change_verification(org, VerificationEvent::Resubmit, &user.actor()).await?))
}

/// The caller's company's users.
#[utoipa::path(get, path = "/api/v1/organizations/me/users", tag = "organizations", responses((status = 200, body = Object)))]
pub async fn list_users(State(state): State<AppState>, user: CurrentUser) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json!({"items": state.store.list_users(user.organization_id()?).await?})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct InviteIn {
    pub email: String,
    /// admin or member (default member).
    #[serde(default)]
    pub role: Option<String>,
}

/// How long an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 7;

/// Creates an invitation and returns it with the secret for the link (shown once).
pub async fn create_invitation(
    state: &AppState,
    user: &CurrentUser,
    email: &str,
    role: Option<&str>,
) -> Result<(tradewind_store::Invitation, String), ApiError> {
    let org = user.require_admin()?.to_string();
    let mut e = ValidationErrors::new();
    let email = validate_email(&mut e, "email", email);
    let role = match role.unwrap_or("member").parse::<MemberRole>() {
        Ok(r) => Some(r),
        Err(m) => {
            e.push("role", "unknown_role", m);
            None
        }
    };
    let (email, role) = match (email, role) {
        (Some(a), Some(b)) if e.is_empty() => (a, b),
        _ => return Err(ApiError::Invalid(e)),
    };
    let token = auth::new_secret("inv_");
    let expires = time::OffsetDateTime::now_utc() + time::Duration::days(INVITATION_DAYS);
    let inv = state
        .store
        .create_invitation(
            &user.actor(),
            &org,
            &email,
            role,
            &auth::secret_hash(&token),
            &tradewind_store::format_time(expires),
        )
        .await?;
    Ok((inv, token))
}

/// Invite a colleague (admins only). Returns the link to send them.
#[utoipa::path(post, path = "/api/v1/organizations/me/invitations", tag = "organizations", request_body = InviteIn,
    responses((status = 201, body = Object), (status = 403, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn invite(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<InviteIn>,
) -> Result<impl IntoResponse, ApiError> {
    let (inv, token) = create_invitation(&state, &user, &body.email, body.role.as_deref()).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"invitation": inv, "token": token, "accept_path": format!("/invitations/accept?token={token}")})),
    ))
}

/// The caller's company's invitations.
#[utoipa::path(get, path = "/api/v1/organizations/me/invitations", tag = "organizations", responses((status = 200, body = Object)))]
pub async fn list_invitations(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<serde_json::Value>, ApiError> {
    let org = user.require_admin()?;
    Ok(Json(json!({"items": state.store.list_invitations(org).await?})))
}

/// The caller's company's audit entries, oldest first.
#[utoipa::path(get, path = "/api/v1/organizations/me/audit", tag = "organizations", params(PageParams),
    responses((status = 200, body = Object), (status = 401, body = crate::problem::Problem)))]
pub async fn audit_trail(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<PageParams>,
) -> Result<Json<PageBody<tradewind_domain::audit::AuditEntry>>, ApiError> {
    let org = user.organization_id()?;
    let after = p.after()?;
    let after: i64 = if after.is_empty() {
        0
    } else {
        after
            .parse()
            .map_err(|_| ApiError::field("cursor", "invalid_cursor", "the cursor is not one this API gave out"))?
    };
    Ok(Json(state.store.list_audit(org, after, p.limit()?).await?.into()))
}

/// A company's products (visible where the company is).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/products", tag = "organizations", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn list_products(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let visible = match own_or_operator(&state, &user, &id).await {
        Ok(_) => true,
        Err(_) => PublicProfile::from(&state.store.get_organization(&id).await?).verified,
    };
    if !visible {
        return Err(ApiError::NotFound);
    }
    Ok(Json(json!({"items": state.store.list_products(&id).await?})))
}
