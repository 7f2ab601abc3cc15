//! The platform operator's verification queue. Invisible (404) to everyone else.

use super::{PageBody, PageParams};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::problem::{ApiError, Json, Path, Query};
use axum::extract::State;
use serde::Deserialize;
use serde_json::json;
use tradewind_domain::organization::VerificationEvent;
use tradewind_store::{Organization, OrganizationFilter};

/// Companies waiting for review, oldest first.
#[utoipa::path(get, path = "/api/v1/operator/verification-queue", tag = "operator", params(PageParams),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn queue(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<PageParams>,
) -> Result<Json<PageBody<Organization>>, ApiError> {
    user.require_operator()?;
    Ok(Json(
        state
            .store
            .list_organizations(OrganizationFilter::Verification("pending"), &p.after()?, p.limit()?)
            .await?
            .into(),
    ))
}

/// A company with its evidence, for review.
#[utoipa::path(get, path = "/api/v1/operator/organizations/{id}", tag = "operator", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn get_organization(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    user.require_operator()?;
    let org = state.store.get_organization(&id).await?;
    let evidence = state.store.list_evidence(&id).await?;
    Ok(Json(json!({"organization": org, "evidence": evidence})))
}

/// Mark a company verified.
#[utoipa::path(post, path = "/api/v1/operator/organizations/{id}/verify", tag = "operator", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn verify(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Organization>, ApiError> {
    user.require_operator()?;
    Ok(Json(state.store.change_verification(&id, VerificationEvent::Verify, &user.actor()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RejectIn {
    /// Why, in words the company can act on.
    pub reason: String,
}

/// Reject a company's registration with a reason.
#[utoipa::path(post, path = "/api/v1/operator/organizations/{id}/reject", tag = "operator", params(("id" = String, Path)),
    request_body = RejectIn,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn reject(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<RejectIn>,
) -> Result<Json<Organization>, ApiError> {
    user.require_operator()?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::field("reason", "required", "give the company a reason it can act on"));
    }
    if body.reason.chars().count() > 1000 {
        return Err(ApiError::field("reason", "too_long", "reason must be at most 1000 characters"));
    }
    Ok(Json(
        state.store.change_verification(&id, VerificationEvent::Reject { reason: body.reason }, &user.actor()).await?,
    ))
}
