//! Inquiries between two companies about a listing, with attachments; blocking a company;
//! reporting a listing; the operator's decision on reports.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::problem::{ApiError, Json, Path};
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use tradewind_domain::ValidationErrors;
use tradewind_domain::organization::check_evidence;
use tradewind_store::{Inquiry, ListingKind, ListingReport, NewAttachment};

/// A message's text, trimmed: required, at most 5000 characters (errors on `body`).
pub(crate) fn message_text(e: &mut ValidationErrors, body: &str) -> Option<String> {
    let t = body.trim();
    if t.is_empty() {
        e.push("body", "required", "write a message");
        None
    } else if t.chars().count() > 5000 {
        e.push("body", "too_long", "a message is at most 5000 characters");
        None
    } else {
        Some(t.to_string())
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct InquiryIn {
    /// product or lead
    pub subject_kind: String,
    pub subject_id: String,
    pub body: String,
}

/// Ask the company behind a listing a question. Limited per company per day.
#[utoipa::path(post, path = "/api/v1/inquiries", tag = "marketplace", request_body = InquiryIn,
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 429, body = crate::problem::Problem)))]
pub async fn open(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(b): Json<InquiryIn>,
) -> Result<impl IntoResponse, ApiError> {
    let inquiry = open_inquiry(&state, &user, &b.subject_kind, &b.subject_id, &b.body).await?;
    Ok((StatusCode::CREATED, Json(inquiry)))
}

/// Opens an inquiry after the checks `POST /api/v1/inquiries` makes (the page uses it too):
/// the listing kind, the message, then the company's daily limit.
pub(crate) async fn open_inquiry(
    state: &AppState,
    user: &CurrentUser,
    subject_kind: &str,
    subject_id: &str,
    body: &str,
) -> Result<Inquiry, ApiError> {
    let org = user.organization_id()?.to_string();
    let mut e = ValidationErrors::new();
    let kind = ListingKind::parse(subject_kind.trim());
    if kind.is_none() {
        e.push("subject_kind", "unknown_kind", "ask about a product or a lead");
    }
    let body = message_text(&mut e, body);
    let (Some(kind), Some(body)) = (kind, body) else { return Err(ApiError::Invalid(e)) };
    let since = tradewind_store::format_time(time::OffsetDateTime::now_utc() - time::Duration::days(1));
    if state.store.count_inquiries_since(&org, &since).await? >= state.settings.inquiries_per_day {
        return Err(ApiError::TooManyRequests { retry_after_secs: 3600 });
    }
    Ok(state.store.open_inquiry(&user.actor(), &org, kind, subject_id.trim(), &body).await?)
}

/// An uploaded file's name as it is kept: at most 200 characters, `fallback` when the
/// client sent none.
pub(crate) fn attachment_name(sent: Option<&str>, fallback: &str) -> String {
    sent.unwrap_or(fallback).chars().take(200).collect()
}

/// A file to attach, once its content is a PDF, PNG or JPEG of at most 10 MiB that matches
/// the declared type (errors on `file`).
pub(crate) fn checked_attachment<'a>(
    filename: &'a str,
    declared: &str,
    content: &'a [u8],
) -> Result<NewAttachment<'a>, ValidationErrors> {
    let kind = check_evidence(declared, content)?;
    Ok(NewAttachment { filename, content_type: kind.mime(), content })
}

/// The inquiries the caller's company takes part in.
#[utoipa::path(get, path = "/api/v1/inquiries", tag = "marketplace", responses((status = 200, body = Object)))]
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json!({"items": state.store.list_inquiries(user.organization_id()?).await?})))
}

/// One inquiry thread (its two companies only).
#[utoipa::path(get, path = "/api/v1/inquiries/{id}", tag = "marketplace", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn thread(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let org = user.organization_id()?;
    let inq = state.store.get_inquiry(&id).await?;
    if inq.from_org != org && inq.to_org != org {
        return Err(ApiError::NotFound);
    }
    let messages = state.store.list_messages(&id).await?;
    Ok(Json(json!({"inquiry": inq, "messages": messages})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MessageIn {
    pub body: String,
}

/// Reply in a thread.
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/messages", tag = "marketplace", params(("id" = String, Path)), request_body = MessageIn,
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn reply(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(b): Json<MessageIn>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.organization_id()?.to_string();
    let mut e = ValidationErrors::new();
    let Some(body) = message_text(&mut e, &b.body) else { return Err(ApiError::Invalid(e)) };
    let m = state.store.post_message(&user.actor(), &org, &id, &body, None).await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// Reply with a file (multipart: `body` and `file`; PDF, PNG or JPEG up to 10 MiB).
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/attachments", tag = "marketplace", params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "fields `body` and `file`"),
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn reply_with_file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.organization_id()?.to_string();
    let mut multipart = multipart?;
    let (mut text, mut file) = (String::new(), None);
    while let Some(field) = multipart.next_field().await? {
        match field.name() {
            Some("body") => text = field.text().await?,
            Some("file") => {
                let name = attachment_name(field.file_name(), "attachment");
                let declared = field.content_type().unwrap_or("application/octet-stream").to_string();
                file = Some((name, declared, field.bytes().await?.to_vec()));
            }
            _ => {}
        }
    }
    let mut e = ValidationErrors::new();
    let body = message_text(&mut e, &text);
    let Some((name, declared, bytes)) = file else {
        e.push("file", "required", "attach the file in a field named 'file'");
        return Err(ApiError::Invalid(e));
    };
    let attachment = checked_attachment(&name, &declared, &bytes)?;
    let Some(body) = body.filter(|_| e.is_empty()) else { return Err(ApiError::Invalid(e)) };
    let m = state.store.post_message(&user.actor(), &org, &id, &body, Some(&attachment)).await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// Download an attachment (the thread's two companies only).
#[utoipa::path(get, path = "/api/v1/inquiries/{id}/messages/{message_id}/attachment", tag = "marketplace",
    params(("id" = String, Path), ("message_id" = String, Path)),
    responses((status = 200, description = "the file"), (status = 404, body = crate::problem::Problem)))]
pub async fn attachment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, message_id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.organization_id()?;
    let (a, bytes) = state.store.get_attachment(org, &id, &message_id).await?;
    let disposition = format!("attachment; filename=\"{}\"", a.filename.replace(['"', '\\', '\r', '\n'], "_"));
    Ok(([(header::CONTENT_TYPE, a.content_type), (header::CONTENT_DISPOSITION, disposition)], bytes))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BlockIn {
    pub organization_id: String,
}

/// Block a company: it can no longer send the caller's company inquiries or messages.
#[utoipa::path(post, path = "/api/v1/blocks", tag = "marketplace", request_body = BlockIn,
    responses((status = 204), (status = 404, body = crate::problem::Problem)))]
pub async fn block(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(b): Json<BlockIn>,
) -> Result<StatusCode, ApiError> {
    let org = user.require_admin()?.to_string();
    state.store.block(&user.actor(), &org, b.organization_id.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Companies the caller's company has blocked.
#[utoipa::path(get, path = "/api/v1/blocks", tag = "marketplace", responses((status = 200, body = Object)))]
pub async fn blocks(State(state): State<AppState>, user: CurrentUser) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json!({"items": state.store.list_blocks(user.organization_id()?).await?})))
}

/// Unblock a company.
#[utoipa::path(delete, path = "/api/v1/blocks/{organization_id}", tag = "marketplace", params(("organization_id" = String, Path)),
    responses((status = 204)))]
pub async fn unblock(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let org = user.require_admin()?.to_string();
    state.store.unblock(&user.actor(), &org, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReportIn {
    /// product or lead
    pub subject_kind: String,
    pub subject_id: String,
    pub reason: String,
}

/// Report a listing to the platform operator.
#[utoipa::path(post, path = "/api/v1/reports", tag = "marketplace", request_body = ReportIn,
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn report(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(b): Json<ReportIn>,
) -> Result<impl IntoResponse, ApiError> {
    let r = report_listing(&state, &user, &b.subject_kind, &b.subject_id, &b.reason).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Files a report after the checks `POST /api/v1/reports` makes (the page uses it too).
pub(crate) async fn report_listing(
    state: &AppState,
    user: &CurrentUser,
    subject_kind: &str,
    subject_id: &str,
    reason: &str,
) -> Result<ListingReport, ApiError> {
    let org = user.organization_id()?.to_string();
    let mut e = ValidationErrors::new();
    let kind = ListingKind::parse(subject_kind.trim());
    if kind.is_none() {
        e.push("subject_kind", "unknown_kind", "report a product or a lead");
    }
    let reason = tradewind_domain::validation::required_text(&mut e, "reason", reason, 1000);
    let (Some(kind), Some(reason)) = (kind, reason) else { return Err(ApiError::Invalid(e)) };
    Ok(state.store.report_listing(&user.actor(), &org, kind, subject_id.trim(), &reason).await?)
}

/// Open reports, for the operator.
#[utoipa::path(get, path = "/api/v1/operator/reports", tag = "operator", responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn open_reports(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<serde_json::Value>, ApiError> {
    user.require_operator()?;
    Ok(Json(json!({"items": state.store.open_reports().await?})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DecisionIn {
    /// hide or dismiss
    pub decision: String,
    #[serde(default)]
    pub note: String,
}

/// The operator hides the reported listing or dismisses the report.
#[utoipa::path(post, path = "/api/v1/operator/reports/{id}/decision", tag = "operator", params(("id" = String, Path)), request_body = DecisionIn,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(b): Json<DecisionIn>,
) -> Result<Json<tradewind_store::ListingReport>, ApiError> {
    Ok(Json(decide_report(&state, &user, &id, &b.decision, &b.note).await?))
}

/// The operator's decision on a report, as `POST /api/v1/operator/reports/{id}/decision`
/// takes it (the page uses it too): `hide` or `dismiss`, with a note.
pub(crate) async fn decide_report(
    state: &AppState,
    user: &CurrentUser,
    report_id: &str,
    decision: &str,
    note: &str,
) -> Result<ListingReport, ApiError> {
    user.require_operator()?;
    let hide = match decision {
        "hide" => true,
        "dismiss" => false,
        other => {
            return Err(ApiError::field(
                "decision",
                "unknown_decision",
                format!("'{other}' is not a decision; use hide or dismiss"),
            ));
        }
    };
    let r = state.store.decide_report(&user.actor(), report_id, hide, note.trim()).await?;
    crate::search::kick(state);
    Ok(r)
}
