//! Document exchange pages: the inbox (what other companies sent), the outbox (what the
//! company sent, with each document's status), one exchange with its downloads and the
//! receiver's accept/reject forms or the sender's revoke buttons, and the "send documents"
//! form reached from an order's document centre. The send form carries an idempotency key
//! made when the page is drawn, so a form posted twice sends once.

use super::forms::FormData;
use super::page::{Chrome, Ctx, PageError, render, see_other};
use crate::AppState;
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tradewind_domain::exchange::Answer;
use tradewind_store::{ExchangeRecord, OrganizationFilter, SendDocuments};

/// One exchange in a list.
struct Summary {
    id: String,
    /// The other company's name.
    counterpart: String,
    created_at: String,
    note: String,
    /// (document title, status) per document.
    documents: Vec<(String, String)>,
}

fn title_of(kind: &str, version: u32, number: &str, format: &str) -> String {
    format!("{} v{version} · {number} · {format}", kind.replace('_', " "))
}

fn summary(e: ExchangeRecord, outbox: bool) -> Summary {
    Summary {
        counterpart: if outbox { e.receiver.legal_name } else { e.sender.legal_name },
        created_at: e.created_at.get(..16).unwrap_or(&e.created_at).replace('T', " "),
        note: e.note,
        documents: e
            .documents
            .iter()
            .map(|d| (title_of(&d.kind, d.version, &d.number, &d.format), d.status.clone()))
            .collect(),
        id: e.id,
    }
}

#[derive(Template)]
#[template(path = "exchange_inbox.html")]
struct InboxPage {
    page: Chrome,
    exchanges: Vec<Summary>,
}

#[derive(Template)]
#[template(path = "exchange_outbox.html")]
struct OutboxPage {
    page: Chrome,
    exchanges: Vec<Summary>,
}

/// `GET /exchanges/inbox`
pub async fn inbox(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let org = user.organization_id()?;
    let items = state.store.exchanges(org, false, "", 100).await?.items;
    let page = InboxPage {
        page: ctx.chrome("title.exchange_inbox", "documents"),
        exchanges: items.into_iter().map(|e| summary(e, false)).collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// `GET /exchanges/outbox`
pub async fn outbox(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let org = user.organization_id()?;
    let items = state.store.exchanges(org, true, "", 100).await?.items;
    let page = OutboxPage {
        page: ctx.chrome("title.exchange_outbox", "documents"),
        exchanges: items.into_iter().map(|e| summary(e, true)).collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// One document row of the exchange page.
struct DocumentRow {
    id: String,
    title: String,
    status: String,
    reason: String,
    /// Where this company downloads it, while it may.
    download: Option<String>,
    can_answer: bool,
    can_revoke: bool,
}

#[derive(Template)]
#[template(path = "exchange.html")]
struct ExchangePage {
    page: Chrome,
    id: String,
    is_sender: bool,
    sender: String,
    receiver: String,
    created_at: String,
    note: String,
    documents: Vec<DocumentRow>,
    /// A refused answer or revocation, said in words.
    error: Option<String>,
}

fn exchange_page(ctx: &Ctx, org: &str, e: ExchangeRecord, error: Option<String>) -> ExchangePage {
    let is_sender = e.sender.id == org;
    let documents = e
        .documents
        .iter()
        .map(|d| {
            let live = d.revoked_at.is_none();
            let download = match (is_sender, live) {
                (true, _) => Some(format!("/api/v1/orders/{}/documents/{}", d.order_id, d.document_id)),
                (false, true) => Some(format!("/api/v1/exchanges/{}/documents/{}", e.id, d.document_id)),
                (false, false) => None,
            };
            DocumentRow {
                id: d.document_id.clone(),
                title: title_of(&d.kind, d.version, &d.number, &d.format),
                status: d.status.clone(),
                reason: d.reason.clone().unwrap_or_default(),
                download,
                can_answer: !is_sender && d.status == "sent",
                can_revoke: is_sender && live,
            }
        })
        .collect();
    ExchangePage {
        page: ctx.chrome_at("title.exchange", "documents", &format!("/exchanges/{}", e.id)),
        is_sender,
        sender: e.sender.legal_name,
        receiver: e.receiver.legal_name,
        created_at: e.created_at.get(..16).unwrap_or(&e.created_at).replace('T', " "),
        note: e.note,
        documents,
        error,
        id: e.id,
    }
}

/// `GET /exchanges/{id}`
pub async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let org = user.organization_id()?.to_string();
    let e = state.store.exchange(&org, &id).await?;
    let mut page = exchange_page(&ctx, &org, e, None);
    page.page = ctx.chrome("title.exchange", "documents");
    Ok(render(StatusCode::OK, &page))
}

/// A refusal the person can correct is said on the page itself; others are error pages.
fn said_on_page(e: &ApiError) -> Option<(StatusCode, String)> {
    match e {
        ApiError::Invalid(_) | ApiError::Refused(_) | ApiError::Conflict { .. } => {
            let p = e.problem();
            Some((StatusCode::from_u16(p.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY), p.detail))
        }
        _ => None,
    }
}

/// `POST /exchanges/{id}/documents/{document_id}/{action}`: accept, reject or revoke.
pub async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, document_id, action)): Path<(String, String, String)>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let actor = user.actor();
    // Outsiders get not found before anything about their input is judged.
    state.store.exchange(&org, &id).await?;
    let reason = form.get("reason");
    let done: Result<ExchangeRecord, ApiError> = match action.as_str() {
        "accept" | "reject" => {
            let answer = if action == "accept" { Answer::accept(reason) } else { Answer::reject(reason) };
            match answer {
                Ok(a) => {
                    state.store.answer_exchanged_document(&actor, &org, &id, &document_id, a).await.map_err(Into::into)
                }
                Err(e) => Err(ApiError::field("reason", "required", e.to_string())),
            }
        }
        "revoke" => {
            state.store.revoke_exchanged_documents(&actor, &org, &id, Some(&document_id)).await.map_err(Into::into)
        }
        _ => return Err(PageError(ApiError::NotFound)),
    };
    match done {
        Ok(_) => {
            let notice = match action.as_str() {
                "accept" => "exchange_accepted",
                "reject" => "exchange_rejected",
                _ => "exchange_revoked",
            };
            Ok(see_other(&format!("/exchanges/{id}?notice={notice}")))
        }
        Err(e) => match said_on_page(&e) {
            Some((status, message)) => {
                let current = state.store.exchange(&org, &id).await?;
                Ok(render(status, &exchange_page(&ctx, &org, current, Some(message))))
            }
            None => Err(PageError(e)),
        },
    }
}

/// A document the send form offers.
struct Offer {
    id: String,
    title: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "exchange_send.html")]
struct SendPage {
    page: Chrome,
    /// The order the form was opened from, if any.
    order: String,
    /// (id, "name (country) · roles") of verified companies and authorities.
    receivers: Vec<(String, String)>,
    receiver: String,
    documents: Vec<Offer>,
    note: String,
    idempotency_key: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct SendQuery {
    #[serde(default)]
    order: String,
}

async fn send_page(
    state: &AppState,
    ctx: &Ctx,
    org: &str,
    order: &str,
    chosen: (&str, &[String], &str),
    error: Option<String>,
) -> Result<SendPage, PageError> {
    let receivers = state
        .store
        .list_organizations(OrganizationFilter::Verification("verified"), "", 500)
        .await?
        .items
        .into_iter()
        .filter(|o| o.id != org)
        .map(|o| {
            let roles = o.roles.iter().map(|r| r.as_str().replace('_', " ")).collect::<Vec<_>>().join(", ");
            (o.id, format!("{} ({}) · {roles}", o.legal_name, o.country.as_str()))
        })
        .collect();
    let documents = state
        .store
        .sendable_documents(org)
        .await?
        .into_iter()
        .filter(|d| order.is_empty() || d.order_id == order)
        .map(|d| Offer {
            checked: chosen.1.contains(&d.id),
            title: title_of(&d.kind, d.version, &d.number, &d.format),
            id: d.id,
        })
        .collect();
    Ok(SendPage {
        page: ctx.chrome_at("title.exchange_send", "documents", "/exchanges/new"),
        order: order.to_string(),
        receivers,
        receiver: chosen.0.to_string(),
        documents,
        note: chosen.2.to_string(),
        idempotency_key: tradewind_store::new_id(),
        error,
    })
}

/// `GET /exchanges/new?order=…`: the send form, listing what the company may send (of one
/// order when opened from its document centre).
pub async fn new(State(state): State<AppState>, ctx: Ctx, Query(q): Query<SendQuery>) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let org = user.organization_id()?.to_string();
    let mut page = send_page(&state, &ctx, &org, q.order.trim(), ("", &[], ""), None).await?;
    page.page = ctx.chrome("title.exchange_send", "documents");
    Ok(render(StatusCode::OK, &page))
}

/// `POST /exchanges`: sends once per form (its idempotency key), then shows the exchange.
pub async fn send(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let key = form.get("idempotency_key").trim().to_string();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest("the form carries no valid idempotency key".into()).into());
    }
    let receiver = form.get("receiver").trim().to_string();
    let documents = form.all("documents");
    let note = form.get("note").to_string();
    let sent = state
        .store
        .send_documents(
            &user.actor(),
            &org,
            &SendDocuments { receiver: &receiver, documents: &documents, note: &note, idempotency_key: &key },
        )
        .await
        .map_err(ApiError::from);
    match sent {
        Ok(e) => Ok(see_other(&format!("/exchanges/{}?notice=exchange_sent", e.id))),
        Err(e) => match said_on_page(&e) {
            Some((status, message)) => {
                let order = form.get("order").trim().to_string();
                let page = send_page(&state, &ctx, &org, &order, (&receiver, &documents, &note), Some(message)).await?;
                Ok(render(status, &page))
            }
            None => Err(PageError(e)),
        },
    }
}
