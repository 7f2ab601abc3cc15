//! The deal, second slice: refunds by the seller or the operator, disputes opened by
//! either party with text evidence from both sides, and the operator's decision. Money
//! moves need an `Idempotency-Key`, as fund and release do. Another company's order, and
//! the operator endpoints for non-operators, answer 404.

use crate::AppState;
use crate::api::orders::{PLATFORM_FEE_BASIS_POINTS, idempotency_key, money_move_response};
use crate::auth::CurrentUser;
use crate::problem::{ApiError, Json, Path};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use tradewind_domain::Money;
use tradewind_domain::deal::ledger::FeeRate;
use tradewind_store::{Caller, DisputeDecision, DisputeRecord, LedgerEntryRecord, MoneyMove, OrderRecord};

/// The longest reason or statement taken, in characters.
pub const MAX_STATEMENT_CHARS: usize = 4000;

fn decimal(field: &'static str, v: Option<&str>) -> Result<Option<Decimal>, ApiError> {
    match v.map(str::trim) {
        None => Ok(None),
        Some(s) => Decimal::from_str(s).map(Some).map_err(|_| {
            ApiError::field(field, "not_a_number", format!("'{s}' is not a decimal amount such as \"125.50\""))
        }),
    }
}

pub(crate) fn text(field: &'static str, v: &str) -> Result<String, ApiError> {
    let t = v.trim();
    if t.is_empty() {
        return Err(ApiError::field(field, "required", format!("{field} may not be empty")));
    }
    if t.chars().count() > MAX_STATEMENT_CHARS {
        return Err(ApiError::field(field, "too_long", format!("at most {MAX_STATEMENT_CHARS} characters")));
    }
    Ok(t.to_string())
}

/// A money move as the operator sees it: the order (no side of its own), its total and the
/// entry posted.
#[derive(Serialize)]
pub struct OperatorMoneyMoveView {
    pub order: OrderRecord,
    pub total: Money,
    pub entry: LedgerEntryRecord,
    pub replayed: bool,
}

fn operator_move_response(m: MoneyMove) -> Result<Response, ApiError> {
    let total = m.order.order.terms.total().map_err(|e| ApiError::Internal(format!("order total: {e}")))?;
    let replayed = m.replayed;
    let mut res = Json(OperatorMoneyMoveView { order: m.order, total, entry: m.entry, replayed }).into_response();
    if replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RefundBody {
    /// Decimal text in the order's currency; left out, all of the escrow.
    #[serde(default)]
    pub amount: Option<String>,
}

/// The seller (or the platform operator) gives escrow back to the buyer: `amount`, or all
/// of it. A full refund before shipping cancels the order; more than escrow holds is
/// refused on `amount`. Needs an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/orders/{id}/refund", tag = "orders", params(("id" = String, Path),
        ("Idempotency-Key" = String, Header, description = "A new key per refund; repeat it to retry")),
    request_body = RefundBody,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn refund(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<RefundBody>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let amount = decimal("amount", body.amount.as_deref())?;
    if user.user.is_operator {
        let m = state.store.refund_order(&user.actor(), Caller::Operator, &id, &key, amount).await?;
        return operator_move_response(m);
    }
    let org = user.organization_id()?.to_string();
    let m = state.store.refund_order(&user.actor(), Caller::Company(&org), &id, &key, amount).await?;
    money_move_response(m, &org)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct OpenBody {
    pub reason: String,
}

/// Either party opens a dispute while escrow holds the money; the operator decides it.
#[utoipa::path(post, path = "/api/v1/orders/{id}/disputes", tag = "orders", params(("id" = String, Path)),
    request_body = OpenBody,
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn open(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<OpenBody>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.organization_id()?.to_string();
    let reason = text("reason", &body.reason)?;
    let d = state.store.open_dispute(&user.actor(), &org, &id, &reason).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// The side that opened the dispute withdraws it before the operator decides; the order
/// returns to where it was and no money moves.
#[utoipa::path(post, path = "/api/v1/orders/{id}/disputes/withdraw", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<DisputeRecord>, ApiError> {
    let org = user.organization_id()?.to_string();
    Ok(Json(state.store.withdraw_dispute(&user.actor(), &org, &id).await?))
}

/// The order's dispute and every statement in it, for the two parties.
#[utoipa::path(get, path = "/api/v1/orders/{id}/disputes", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<DisputeRecord>, ApiError> {
    let org = user.organization_id()?.to_string();
    Ok(Json(state.store.dispute(Caller::Company(&org), &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct EvidenceBody {
    pub statement: String,
}

/// A party's text statement in the open dispute, visible to both parties and the operator.
#[utoipa::path(post, path = "/api/v1/orders/{id}/disputes/evidence", tag = "orders", params(("id" = String, Path)),
    request_body = EvidenceBody,
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<EvidenceBody>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.organization_id()?.to_string();
    let statement = text("statement", &body.statement)?;
    let d = state.store.add_dispute_evidence(&user.actor(), &org, &id, &statement).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// An order's dispute with its evidence, for the operator.
#[utoipa::path(get, path = "/api/v1/operator/orders/{id}/dispute", tag = "operator", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn operator_get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<DisputeRecord>, ApiError> {
    user.require_operator()?;
    Ok(Json(state.store.dispute(Caller::Operator, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct DecisionBody {
    /// `release_to_seller`, `refund_to_buyer` or `split`.
    pub decision: String,
    /// For `split` only: the buyer's share of the escrow, decimal text.
    #[serde(default)]
    pub buyer_share: Option<String>,
}

/// The operator decides a dispute: escrow goes to the seller (minus the platform fee), back
/// to the buyer, or is split with the fee on the seller's share only. Needs an
/// `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/operator/orders/{id}/dispute-decision", tag = "operator",
    params(("id" = String, Path),
        ("Idempotency-Key" = String, Header, description = "A new key per decision; repeat it to retry")),
    request_body = DecisionBody,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<DecisionBody>,
) -> Result<Response, ApiError> {
    user.require_operator()?;
    let key = idempotency_key(&headers)?;
    let decision = match body.decision.trim() {
        "release_to_seller" => DisputeDecision::ReleaseToSeller,
        "refund_to_buyer" => DisputeDecision::RefundToBuyer,
        "split" => DisputeDecision::Split,
        other => {
            return Err(ApiError::field(
                "decision",
                "unknown_decision",
                format!("'{other}' is not a decision; use release_to_seller, refund_to_buyer or split"),
            ));
        }
    };
    let share = decimal("buyer_share", body.buyer_share.as_deref())?;
    let fee = FeeRate::from_basis_points(PLATFORM_FEE_BASIS_POINTS).map_err(|e| ApiError::Internal(e.to_string()))?;
    let m = state.store.decide_dispute(&user.actor(), &id, &key, decision, share, fee).await?;
    operator_move_response(m)
}
