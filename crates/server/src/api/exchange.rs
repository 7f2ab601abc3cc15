//! Document exchange between parties: a company sends issued documents to another verified
//! company or authority (a buyer, a bank, an insurer, a customs authority); the receiver
//! finds them in its inbox, downloads exactly those documents, and answers each one:
//! accepted, or rejected with a reason (a business-level receipt). The sender follows each
//! document's status in its outbox and may revoke access at any time.
//!
//! A send is a document submission and needs an `Idempotency-Key`: a retry with the same
//! key answers the first exchange (200 with `idempotent-replayed: true`). Exchanges of
//! other companies answer 404.

use crate::AppState;
use crate::api::orders::{IDEMPOTENCY_HEADER, idempotency_key};
use crate::api::{PageBody, PageParams};
use crate::auth::CurrentUser;
use crate::problem::{ApiError, Json, Path, Query};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tradewind_domain::exchange::{Answer, ExchangeError};
use tradewind_store::{ExchangeRecord, SendDocuments, TradeDocumentRecord};

/// What a send carries.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    /// The receiving company's id (a verified company or authority).
    pub receiver: String,
    /// Ids of issued documents (each rendition is its own document).
    pub documents: Vec<String>,
    /// A covering note to the receiver.
    #[serde(default)]
    pub note: String,
}

/// An answer's optional note (accept) or required reason (reject).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    #[serde(default)]
    pub reason: String,
}

/// The key of a send: required, as for money moves, so a retried send creates one exchange.
fn send_key(headers: &HeaderMap) -> Result<String, ApiError> {
    if !headers.contains_key(IDEMPOTENCY_HEADER) {
        return Err(ApiError::field(
            IDEMPOTENCY_HEADER,
            "required",
            "send an Idempotency-Key header (for example a UUID) so that a retried send creates one exchange",
        ));
    }
    idempotency_key(headers)
}

fn answer_error(e: ExchangeError) -> ApiError {
    match e {
        ExchangeError::BlankReason | ExchangeError::ReasonTooLong => {
            ApiError::field("reason", "required", e.to_string())
        }
        other => ApiError::Refused(other.to_string()),
    }
}

/// Sends documents to another company or authority: one access grant per document, the
/// receiver notified. Refused, with nothing written, for an unknown or unverified receiver,
/// oneself, an empty set, or a document the sender cannot read.
#[utoipa::path(post, path = "/api/v1/exchanges", tag = "exchange", request_body = SendBody,
    params(("Idempotency-Key" = String, Header, description = "A new key per send; repeat it to retry")),
    responses((status = 201, description = "sent", body = Object),
        (status = 200, description = "a retry: the first exchange", body = Object),
        (status = 422, body = crate::problem::Problem)))]
pub async fn send(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Json(body): Json<SendBody>,
) -> Result<Response, ApiError> {
    let org = user.organization_id()?.to_string();
    let key = send_key(&headers)?;
    let sent = state
        .store
        .send_documents(
            &user.actor(),
            &org,
            &SendDocuments {
                receiver: &body.receiver,
                documents: &body.documents,
                note: &body.note,
                idempotency_key: &key,
            },
        )
        .await?;
    let status = if sent.replayed { StatusCode::OK } else { StatusCode::CREATED };
    let replayed = sent.replayed;
    let mut res = (status, Json(sent)).into_response();
    if replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// The exchanges the caller's company sent, newest first, with each document's status.
#[utoipa::path(get, path = "/api/v1/exchanges/outbox", tag = "exchange", params(PageParams),
    responses((status = 200, body = Object)))]
pub async fn outbox(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<PageParams>,
) -> Result<Json<PageBody<ExchangeRecord>>, ApiError> {
    let org = user.organization_id()?;
    Ok(Json(state.store.exchanges(org, true, &p.after()?, p.limit()?).await?.into()))
}

/// The exchanges sent to the caller's company, newest first.
#[utoipa::path(get, path = "/api/v1/exchanges/inbox", tag = "exchange", params(PageParams),
    responses((status = 200, body = Object)))]
pub async fn inbox(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<PageParams>,
) -> Result<Json<PageBody<ExchangeRecord>>, ApiError> {
    let org = user.organization_id()?;
    Ok(Json(state.store.exchanges(org, false, &p.after()?, p.limit()?).await?.into()))
}

/// One exchange, for its sender or receiver.
#[utoipa::path(get, path = "/api/v1/exchanges/{id}", tag = "exchange", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ExchangeRecord>, ApiError> {
    let org = user.organization_id()?;
    Ok(Json(state.store.exchange(org, &id).await?))
}

/// The receiver downloads one document of an exchange while its grant is live; the read
/// is audited. Its ETag is the SHA-256 of the body.
#[utoipa::path(get, path = "/api/v1/exchanges/{id}/documents/{document_id}", tag = "exchange",
    params(("id" = String, Path), ("document_id" = String, Path)),
    responses((status = 200, body = String), (status = 404, body = crate::problem::Problem)))]
pub async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, document_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let org = user.organization_id()?.to_string();
    let (record, content) = state.store.read_exchanged_document(&user.actor(), &org, &id, &document_id).await?;
    Ok(document_response(&record, content))
}

/// A stored document as a download: its media type, ETag and file name.
pub(crate) fn document_response(record: &TradeDocumentRecord, content: Vec<u8>) -> Response {
    let extension = match record.media_type.as_str() {
        "application/pdf" => "pdf",
        "application/json" => "json",
        _ => "xml",
    };
    let mut res = content.into_response();
    let headers = res.headers_mut();
    let media_type =
        if extension == "pdf" { record.media_type.clone() } else { format!("{}; charset=utf-8", record.media_type) };
    if let Ok(v) = HeaderValue::from_str(&media_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", record.sha256)) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}.{extension}\"", record.number)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

async fn answer(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    document_id: &str,
    answer: Result<Answer, ExchangeError>,
) -> Result<Json<ExchangeRecord>, ApiError> {
    let org = user.organization_id()?.to_string();
    // An outsider learns nothing, not even that its reason was blank.
    state.store.exchange(&org, id).await?;
    let answer = answer.map_err(answer_error)?;
    Ok(Json(state.store.answer_exchanged_document(&user.actor(), &org, id, document_id, answer).await?))
}

/// The receiver accepts one document (an optional note in `reason`), once.
#[utoipa::path(post, path = "/api/v1/exchanges/{id}/documents/{document_id}/accept", tag = "exchange",
    params(("id" = String, Path), ("document_id" = String, Path)), request_body = AnswerBody,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem)))]
pub async fn accept(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, document_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<ExchangeRecord>, ApiError> {
    // The note is optional, and so is the body.
    let reason = if body.iter().all(u8::is_ascii_whitespace) {
        String::new()
    } else {
        serde_json::from_slice::<AnswerBody>(&body)
            .map_err(|e| ApiError::BadRequest(format!("the body is not an answer ({{\"reason\": \"…\"}}): {e}")))?
            .reason
    };
    answer(&state, &user, &id, &document_id, Answer::accept(&reason)).await
}

/// The receiver rejects one document with a reason the sender can act on, once.
#[utoipa::path(post, path = "/api/v1/exchanges/{id}/documents/{document_id}/reject", tag = "exchange",
    params(("id" = String, Path), ("document_id" = String, Path)), request_body = AnswerBody,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn reject(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, document_id)): Path<(String, String)>,
    Json(body): Json<AnswerBody>,
) -> Result<Json<ExchangeRecord>, ApiError> {
    answer(&state, &user, &id, &document_id, Answer::reject(&body.reason)).await
}

/// The sender revokes the receiver's access to one document; the receiver loses it at once.
#[utoipa::path(post, path = "/api/v1/exchanges/{id}/documents/{document_id}/revoke", tag = "exchange",
    params(("id" = String, Path), ("document_id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem)))]
pub async fn revoke_document(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, document_id)): Path<(String, String)>,
) -> Result<Json<ExchangeRecord>, ApiError> {
    let org = user.organization_id()?.to_string();
    Ok(Json(state.store.revoke_exchanged_documents(&user.actor(), &org, &id, Some(&document_id)).await?))
}

/// The sender revokes every live grant of an exchange.
#[utoipa::path(post, path = "/api/v1/exchanges/{id}/revoke", tag = "exchange", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ExchangeRecord>, ApiError> {
    let org = user.organization_id()?.to_string();
    Ok(Json(state.store.revoke_exchanged_documents(&user.actor(), &org, &id, None).await?))
}

/// The issued documents the caller's company may send: its own, those of orders it is a
/// party to, and those sent to it.
#[utoipa::path(get, path = "/api/v1/exchanges/sendable", tag = "exchange",
    responses((status = 200, body = Object)))]
pub async fn sendable(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<TradeDocumentRecord>>, ApiError> {
    let org = user.organization_id()?;
    Ok(Json(state.store.sendable_documents(org).await?))
}
