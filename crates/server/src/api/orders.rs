//! The deal, first slice: purchase orders from an accepted quote or placed directly, their
//! life cycle, and the escrow money moves (fund, release) on the double-entry ledger.
//!
//! Who may do what: the buyer and the seller each accept a draft; the seller starts
//! production and ships; the buyer confirms delivery, funds escrow and releases it; either
//! side cancels while the state machine allows it. Another company's order answers 404.

use crate::AppState;
use crate::api::{PageBody, PageParams};
use crate::auth::CurrentUser;
use crate::problem::{ApiError, Json, Path, Query};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tradewind_domain::deal::Party;
use tradewind_domain::deal::ledger::{Account, FeeRate};
use tradewind_domain::deal::order::{OrderEvent, OrderForm};
use tradewind_domain::organization::VerificationStatus;
use tradewind_domain::{CurrencyCode, Money, ValidationErrors};
use tradewind_store::{LedgerEntryRecord, MoneyMove, OrderRecord, StoreError};

/// The platform's fee on released escrow, in basis points (2.00%). Fixed in this slice.
pub const PLATFORM_FEE_BASIS_POINTS: u32 = 200;

/// The header every money-moving request carries.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// The events this endpoint takes, and which side may send each.
pub(crate) const EVENTS: &[(&str, &[Party])] = &[
    ("accept", &[Party::Buyer, Party::Seller]),
    ("start_production", &[Party::Seller]),
    ("ship", &[Party::Seller]),
    ("confirm_delivery", &[Party::Buyer]),
    ("cancel", &[Party::Buyer, Party::Seller]),
];

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// An order as a party sees it: the stored order, its total, the caller's side, and the
/// events the status allows now.
#[derive(Serialize)]
pub struct OrderView {
    #[serde(flatten)]
    pub order: OrderRecord,
    pub total: Money,
    /// `buyer` or `seller`: the caller's side.
    pub your_side: Party,
    /// The life-cycle events the current status allows (to either side).
    pub allowed_events: Vec<&'static str>,
}

pub(crate) fn view(order: OrderRecord, org: &str) -> Result<OrderView, ApiError> {
    let total = order.order.terms.total().map_err(|e| ApiError::Internal(format!("order total: {e}")))?;
    let your_side = org.parse().ok().and_then(|p| order.order.terms.side_of(&p)).ok_or(ApiError::NotFound)?;
    let allowed_events = order.order.status.allowed().to_vec();
    Ok(OrderView { order, total, your_side, allowed_events })
}

/// The buyer turns the quote it accepted into a draft order: one line with the request's
/// HS code, quantity and unit at the quote's price, on the quote's Incoterm, named place and
/// payment terms. Both sides then accept it.
#[utoipa::path(post, path = "/api/v1/quotes/{id}/order", tag = "orders", params(("id" = String, Path)),
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn order_from_quote(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.organization_id()?.to_string();
    let order = state.store.create_order_from_quote(&user.actor(), &org, &id, today()).await?;
    Ok((StatusCode::CREATED, Json(view(order, &org)?)))
}

/// A direct purchase order by the caller's company as the buyer, to a verified seller.
/// The body is an order form (`seller`, `currency`, `lines`, `incoterm`, `named_place`,
/// `payment_terms`, `delivery_earliest`, `delivery_latest`); `buyer` may be left out.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = Object,
    responses((status = 201, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn create_order(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(mut form): Json<OrderForm>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.organization_id()?.to_string();
    let mut e = ValidationErrors::new();
    if !form.buyer.trim().is_empty() && form.buyer.trim() != org {
        e.push("buyer", "not_your_company", "you place purchase orders as your own company; leave buyer out");
    }
    form.buyer = org.clone();
    let terms = form.validate(today());
    if let Err(v) = &terms {
        e.0.extend(v.0.iter().cloned());
    }
    if let Ok(t) = &terms {
        for (i, line) in t.lines.iter().enumerate() {
            crate::api::marketplace::check_hs_exists(
                &state.store,
                &mut e,
                &format!("lines[{i}].hs_code"),
                Some(&line.hs_code),
            )
            .await?;
        }
        let seller_ok = match state.store.get_organization(t.seller.as_str()).await {
            Ok(o) => o.verification == VerificationStatus::Verified,
            Err(StoreError::NotFound) => false,
            Err(other) => return Err(other.into()),
        };
        if !seller_ok {
            e.push("seller", "unknown_seller", "no verified company has this id");
        }
    }
    let terms = match terms {
        Ok(t) if e.is_empty() => t,
        _ => return Err(ApiError::Invalid(e)),
    };
    let order = state.store.create_order(&user.actor(), &terms).await?;
    Ok((StatusCode::CREATED, Json(view(order, &org)?)))
}

/// The orders the caller's company buys or sells, oldest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(PageParams),
    responses((status = 200, body = Object)))]
pub async fn list_orders(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<PageParams>,
) -> Result<Json<PageBody<OrderView>>, ApiError> {
    let org = user.organization_id()?.to_string();
    let page = state.store.list_orders(&org, &p.after()?, p.limit()?).await?;
    let items = page.items.into_iter().map(|o| view(o, &org)).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(PageBody::from(tradewind_store::Page { items, next_cursor: page.next_cursor })))
}

/// One order, for its buyer and its seller.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn get_order(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    let org = user.organization_id()?.to_string();
    let order = state.store.get_order(&org, &id).await?;
    Ok(Json(view(order, &org)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct EventBody {
    /// `accept`, `start_production`, `ship`, `confirm_delivery` or `cancel`.
    pub event: String,
}

fn event_names() -> String {
    EVENTS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

/// Moves an order along its life cycle. Each side may send only its own events; an event
/// the status does not allow is refused (409) naming the events it does allow.
#[utoipa::path(post, path = "/api/v1/orders/{id}/events", tag = "orders", params(("id" = String, Path)),
    request_body = EventBody,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn order_event(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<EventBody>,
) -> Result<Json<OrderView>, ApiError> {
    let org = user.organization_id()?.to_string();
    let order = send_event(&state, &user, &org, &id, &body.event).await?;
    Ok(Json(view(order, &org)?))
}

/// Sends one life-cycle event as the caller's side (the web pages' buttons use it too).
pub(crate) async fn send_event(
    state: &AppState,
    user: &CurrentUser,
    org: &str,
    id: &str,
    event: &str,
) -> Result<OrderRecord, ApiError> {
    let order = state.store.get_order(org, id).await?;
    let side = view(order, org)?.your_side;
    let name = event.trim();
    let Some((_, sides)) = EVENTS.iter().find(|(n, _)| *n == name) else {
        let hint = match name {
            "fund" => "fund moves money: pay through the provider with POST /api/v1/orders/{id}/payments and an Idempotency-Key".to_string(),
            "release" | "refund" => {
                format!("{name} moves money: POST /api/v1/orders/{{id}}/{name} with an Idempotency-Key")
            }
            "open_dispute" => "open a dispute with POST /api/v1/orders/{id}/disputes".to_string(),
            _ => format!("'{name}' is not an order event here; use one of {}", event_names()),
        };
        return Err(ApiError::field("event", "unknown_event", hint));
    };
    if !sides.contains(&side) {
        let yours: Vec<&str> = EVENTS.iter().filter(|(_, s)| s.contains(&side)).map(|(n, _)| *n).collect();
        return Err(ApiError::field(
            "event",
            "not_your_event",
            format!("{name} is the {}'s to send; as the {side} you may send {}", side.counterparty(), yours.join(", ")),
        ));
    }
    let event = match name {
        "accept" => OrderEvent::Accept { party: side },
        "start_production" => OrderEvent::StartProduction,
        "ship" => OrderEvent::Ship,
        "confirm_delivery" => OrderEvent::ConfirmDelivery,
        _ => OrderEvent::Cancel,
    };
    Ok(state.store.apply_order_event(&user.actor(), org, id, event).await?)
}

/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(v) = headers.get(IDEMPOTENCY_HEADER) else {
        return Err(ApiError::field(
            IDEMPOTENCY_HEADER,
            "required",
            "send an Idempotency-Key header (for example a UUID) so that a retried request never moves money twice",
        ));
    };
    match v.to_str() {
        Ok(s) if !s.is_empty() && s.len() <= 255 && s.bytes().all(|b| b.is_ascii_graphic()) => Ok(s.to_string()),
        _ => Err(ApiError::field(
            IDEMPOTENCY_HEADER,
            "invalid_value",
            "an Idempotency-Key is 1 to 255 visible ASCII characters",
        )),
    }
}

/// What a fund or release answers: the order after the move and the entry posted.
#[derive(Serialize)]
pub struct MoneyMoveView {
    pub order: OrderView,
    pub entry: LedgerEntryRecord,
    /// True when this is the stored answer to an earlier request with the same key.
    pub replayed: bool,
}

pub(crate) fn money_move_response(m: MoneyMove, org: &str) -> Result<Response, ApiError> {
    let replayed = m.replayed;
    let body = MoneyMoveView { order: view(m.order, org)?, entry: m.entry, replayed };
    let mut res = Json(body).into_response();
    if replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// The buyer releases escrow after confirming delivery: the seller is owed the amount
/// minus the platform fee and the order completes. Needs an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/orders/{id}/release", tag = "orders", params(("id" = String, Path),
        ("Idempotency-Key" = String, Header, description = "A new key per release; repeat it to retry")),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn release(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let org = user.organization_id()?.to_string();
    let key = idempotency_key(&headers)?;
    let fee = FeeRate::from_basis_points(PLATFORM_FEE_BASIS_POINTS).map_err(|e| ApiError::Internal(e.to_string()))?;
    let m = state.store.release_order(&user.actor(), &org, &id, &key, fee).await?;
    money_move_response(m, &org)
}

/// One account's balance on its normal side.
#[derive(Serialize)]
pub struct AccountBalance {
    pub account: Account,
    pub currency: CurrencyCode,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
}

/// The sum of every posting in one currency.
#[derive(Serialize)]
pub struct CurrencySum {
    pub currency: CurrencyCode,
    #[serde(with = "rust_decimal::serde::str")]
    pub sum: Decimal,
}

/// An order's ledger: every journal entry and the balances replayed from them.
#[derive(Serialize)]
pub struct OrderLedgerView {
    pub order_id: String,
    pub balances: Vec<AccountBalance>,
    /// Debit-positive sum of every posting per currency: zero when the books balance.
    pub trial_balance: Vec<CurrencySum>,
    pub entries: Vec<LedgerEntryRecord>,
}

/// Balances per account for one order, derived from its stored journal entries.
#[utoipa::path(get, path = "/api/v1/orders/{id}/ledger", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn ledger(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<OrderLedgerView>, ApiError> {
    let org = user.organization_id()?.to_string();
    let l = state.store.order_ledger(&org, &id).await?;
    let balances = l
        .ledger
        .balances()
        .into_iter()
        .map(|(account, currency, balance)| AccountBalance { account, currency, balance })
        .collect();
    let trial_balance =
        l.ledger.trial_balance().into_iter().map(|(currency, sum)| CurrencySum { currency, sum }).collect();
    Ok(Json(OrderLedgerView { order_id: l.order.id, balances, trial_balance, entries: l.entries }))
}

/// New terms for an order, as either party: on a draft this revises it (the other side
/// accepts again); on an agreed, funded or in-production order it proposes an amendment
/// that binds when the other side accepts it. The body is an order form; `buyer` and
/// `seller` may be left out (they cannot change, nor can the currency, and a funded order's
/// total stays the same).
#[utoipa::path(post, path = "/api/v1/orders/{id}/amendments", tag = "orders", params(("id" = String, Path)),
    request_body = Object,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn propose_amendment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(mut form): Json<OrderForm>,
) -> Result<Json<OrderView>, ApiError> {
    let org = user.organization_id()?.to_string();
    let current = state.store.get_order(&org, &id).await?;
    if form.buyer.trim().is_empty() {
        form.buyer = current.order.terms.buyer.to_string();
    }
    if form.seller.trim().is_empty() {
        form.seller = current.order.terms.seller.to_string();
    }
    let mut e = ValidationErrors::new();
    let terms = match form.validate(today()) {
        Ok(t) => t,
        Err(v) => return Err(ApiError::Invalid(v)),
    };
    for (i, line) in terms.lines.iter().enumerate() {
        crate::api::marketplace::check_hs_exists(
            &state.store,
            &mut e,
            &format!("lines[{i}].hs_code"),
            Some(&line.hs_code),
        )
        .await?;
    }
    if !e.is_empty() {
        return Err(ApiError::Invalid(e));
    }
    let order = state.store.propose_terms(&user.actor(), &org, &id, terms).await?;
    Ok(Json(view(order, &org)?))
}

/// Accepts the pending amendment `version`; when both sides have, its terms bind.
#[utoipa::path(post, path = "/api/v1/orders/{id}/amendments/{version}/accept", tag = "orders",
    params(("id" = String, Path), ("version" = u32, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem)))]
pub async fn accept_amendment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, version)): Path<(String, u32)>,
) -> Result<Json<OrderView>, ApiError> {
    let org = user.organization_id()?.to_string();
    let order = state
        .store
        .answer_amendment(&user.actor(), &org, &id, version, tradewind_store::AmendmentAnswer::Accept)
        .await?;
    Ok(Json(view(order, &org)?))
}

/// Rejects (or, for its proposer, withdraws) the pending amendment `version`.
#[utoipa::path(post, path = "/api/v1/orders/{id}/amendments/{version}/reject", tag = "orders",
    params(("id" = String, Path), ("version" = u32, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem)))]
pub async fn reject_amendment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, version)): Path<(String, u32)>,
) -> Result<Json<OrderView>, ApiError> {
    let org = user.organization_id()?.to_string();
    let order = state
        .store
        .answer_amendment(&user.actor(), &org, &id, version, tradewind_store::AmendmentAnswer::Reject)
        .await?;
    Ok(Json(view(order, &org)?))
}
