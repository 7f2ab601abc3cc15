//! Webhook subscriptions for company admins: register an endpoint (the signing secret is
//! shown once), list and delete endpoints, rotate the secret, see recent deliveries and send
//! a failed one again. Another company's endpoint answers 404. How deliveries are signed is
//! documented in `tradewind_domain::webhook`; how they are sent, in `crate::webhooks`.

use crate::AppState;
use crate::api::{PageBody, PageParams};
use crate::auth::{self, CurrentUser};
use crate::problem::{ApiError, Json, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tradewind_domain::ValidationErrors;
use tradewind_domain::webhook::{EventFilter, SECRET_PREFIX, WebhookUrl};
use tradewind_store::{WebhookDelivery, WebhookEndpoint};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SubscribeBody {
    /// Where to POST deliveries: `http` or `https`, with a host, without user name or password.
    pub url: String,
    /// Notification kinds to receive (for example `order_placed`, `order_updated`,
    /// `rfq_match`, `inquiry_received`); left out or empty, every kind.
    #[serde(default)]
    pub event_kinds: Vec<String>,
}

/// An endpoint with its signing secret: only in the answer that created or rotated it.
#[derive(Serialize)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`: keep it; it is not shown again. The HMAC key for the signature header.
    pub secret: String,
}

/// Subscribe an endpoint to the company's notifications (admins only). The answer holds the
/// signing secret, shown this once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = SubscribeBody,
    responses((status = 201, body = Object), (status = 403, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn subscribe(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<SubscribeBody>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.require_admin()?.to_string();
    let mut errors = ValidationErrors::new();
    let url = errors.check("url", body.url.parse::<WebhookUrl>());
    let events = errors.check("event_kinds", EventFilter::parse(&body.event_kinds));
    let (Some(url), Some(events)) = (url, events) else { return Err(ApiError::Invalid(errors)) };
    let secret = auth::new_secret(SECRET_PREFIX);
    let endpoint = state.store.create_webhook_endpoint(&user.actor(), &org, &url, &events, &secret).await?;
    Ok((StatusCode::CREATED, Json(EndpointWithSecret { endpoint, secret })))
}

/// The company's endpoints, without their secrets (admins only).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Object), (status = 403, body = crate::problem::Problem)))]
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> Result<impl IntoResponse, ApiError> {
    let org = user.require_admin()?;
    Ok(Json(serde_json::json!({"items": state.store.webhook_endpoints(org).await?})))
}

/// Unsubscribe an endpoint; its deliveries, sent or pending, go with it (admins only).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::problem::Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let org = user.require_admin()?;
    state.store.delete_webhook_endpoint(&user.actor(), org, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the endpoint's signing secret; the new one is in the answer, shown this once, and
/// signs every attempt from now on, pending retries included (admins only).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<EndpointWithSecret>, ApiError> {
    let org = user.require_admin()?;
    let secret = auth::new_secret(SECRET_PREFIX);
    let endpoint = state.store.rotate_webhook_secret(&user.actor(), org, &id, &secret).await?;
    Ok(Json(EndpointWithSecret { endpoint, secret }))
}

/// The endpoint's deliveries, newest first: status (`pending`, `delivered`, `failed`),
/// attempts, the next attempt's time, the last HTTP status and error (admins only).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path), PageParams),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn deliveries(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(p): Query<PageParams>,
) -> Result<Json<PageBody<WebhookDelivery>>, ApiError> {
    let org = user.require_admin()?;
    Ok(Json(state.store.webhook_deliveries(org, &id, &p.after()?, p.limit()?).await?.into()))
}

/// Send a failed delivery once more, now, with the same id (admins only). If that attempt
/// fails too, the delivery shows as failed again. A pending or delivered one answers 409.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(("id" = String, Path), ("delivery_id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem)))]
pub async fn redeliver(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<Json<WebhookDelivery>, ApiError> {
    let org = user.require_admin()?;
    let d = state.store.redeliver_webhook(&user.actor(), org, &id, &delivery_id).await?;
    state.webhooks.kick();
    Ok(Json(d))
}
