//! The order pages: the company's orders, one order with its terms, lines, status and
//! escrow balances, and the buttons that move it along (the life-cycle events, paying into
//! escrow and releasing it).
//!
//! Every action goes through the same store calls and API helpers as `/api/v1/orders`.
//! The money moves carry an idempotency key made when the page is drawn, in a hidden field:
//! a form submitted twice posts once.

use super::company::day;
use super::forms::FormData;
use super::i18n::Tr;
use super::page::{Chrome, Ctx, PageError, render, see_other};
use crate::AppState;
use crate::api::orders::{self as api, PLATFORM_FEE_BASIS_POINTS};
use crate::auth::CurrentUser;
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rust_decimal::Decimal;
use tradewind_domain::deal::Party;
use tradewind_domain::deal::ledger::{Account, FeeRate};
use tradewind_domain::deal::order::OrderStatus;
use tradewind_domain::deal::payment::PaymentStatus;
use tradewind_domain::{CurrencyCode, Money};
use tradewind_store::{OrderRecord, PaymentRecord, StoreError};

/// Orders per list page (the list shows them all, a page at a time from the store).
const PAGE_SIZE: usize = 100;

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// The status's name, as the catalogue's `order_status.*` keys spell it.
fn status_kind(s: &OrderStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.get("status").and_then(|n| n.as_str()).map(str::to_string))
        .unwrap_or_else(|| "draft".into())
}

fn status_label(tr: Tr, s: &OrderStatus) -> String {
    let kind = status_kind(s);
    let mut label = tr.lookup(&format!("order_status.{kind}")).unwrap_or(&kind).to_string();
    if let OrderStatus::Draft { buyer_accepted, seller_accepted } = s {
        let mut who = Vec::new();
        if *buyer_accepted {
            who.push(tr.t("order.buyer"));
        }
        if *seller_accepted {
            who.push(tr.t("order.seller"));
        }
        if !who.is_empty() {
            label =
                format!("{label} — {}", tr.fill("order.accepted_by", &[("who", &who.join(tr.t("list.separator")))]));
        }
    }
    label
}

async fn company_name(state: &AppState, id: &str) -> Result<String, ApiError> {
    match state.store.get_organization(id).await {
        Ok(o) => Ok(o.legal_name),
        Err(StoreError::NotFound) => Ok(id.to_string()),
        Err(e) => Err(e.into()),
    }
}

/// The order made from `quote_id` for `buyer`, if any.
pub(super) async fn order_of_quote(state: &AppState, buyer: &str, quote_id: &str) -> Result<Option<String>, ApiError> {
    let mut after = String::new();
    loop {
        let page = state.store.list_orders(buyer, &after, PAGE_SIZE).await?;
        if let Some(o) = page.items.iter().find(|o| o.quote_id.as_deref() == Some(quote_id)) {
            return Ok(Some(o.id.clone()));
        }
        match page.next_cursor {
            Some(c) => after = c,
            None => return Ok(None),
        }
    }
}

struct OrderRow {
    href: String,
    id: String,
    side: String,
    counterparty: String,
    status_kind: String,
    status: String,
    total: String,
    created: String,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    page: Chrome,
    rows: Vec<OrderRow>,
}

/// `GET /orders`: the orders the company buys or sells.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let org = user.organization_id()?.to_string();
    let tr = ctx.tr();
    let mut rows = Vec::new();
    let mut after = String::new();
    loop {
        let page = state.store.list_orders(&org, &after, PAGE_SIZE).await?;
        for o in page.items {
            let v = api::view(o, &org)?;
            let other = match v.your_side {
                Party::Buyer => v.order.order.terms.seller.to_string(),
                Party::Seller => v.order.order.terms.buyer.to_string(),
            };
            rows.push(OrderRow {
                href: format!("/orders/{}", v.order.id),
                id: v.order.id.clone(),
                side: tr.t(&format!("order.{}", v.your_side)).to_string(),
                counterparty: company_name(&state, &other).await?,
                status_kind: status_kind(&v.order.order.status),
                status: status_label(tr, &v.order.order.status),
                total: v.total.to_string(),
                created: day(&v.order.created_at),
            });
        }
        match page.next_cursor {
            Some(c) => after = c,
            None => break,
        }
    }
    rows.reverse();
    let page = OrdersPage { page: ctx.chrome("title.orders", "orders"), rows };
    Ok(render(StatusCode::OK, &page))
}

struct LineView {
    description: String,
    hs_code: String,
    quantity: String,
    unit_price: String,
    amount: String,
}

struct EventButton {
    event: &'static str,
    label: String,
}

struct PaymentView {
    reference: String,
    amount: String,
    status_kind: String,
    status: String,
    account_name: String,
    iban: String,
    bic: String,
    /// The buyer may make the transfer at the simulated bank from this page.
    can_transfer: bool,
}

fn payment_view(tr: &Tr, p: &PaymentRecord, is_buyer: bool, simulated: bool) -> PaymentView {
    let field = |path: &[&str]| {
        let mut v = &p.instruction;
        for k in path {
            v = &v[*k];
        }
        v.as_str().unwrap_or_default().to_string()
    };
    let status = p.status.label();
    PaymentView {
        reference: p.reference.to_string(),
        amount: p.amount.to_string(),
        status_kind: match status {
            "settled" => "verified",
            "failed" => "rejected",
            _ => "pending",
        }
        .to_string(),
        status: tr.t(&format!("payment.status.{status}")).to_string(),
        account_name: field(&["account_name"]),
        iban: field(&["account", "iban"]),
        bic: field(&["account", "bic"]),
        can_transfer: is_buyer && simulated && p.status == PaymentStatus::Initiated,
    }
}

struct ShipmentView {
    carrier: String,
    mode: String,
    status: String,
    containers: String,
    eta: String,
    /// When, what (DCSA event type and code), classifier, where.
    events: Vec<(String, String, String, String)>,
}

fn shipment_view(t: &tradewind_store::ShipmentTimeline) -> ShipmentView {
    let events = t
        .events
        .iter()
        .map(|e| {
            let v = serde_json::to_value(&e.event).unwrap_or_default();
            let kind = v["eventType"].as_str().unwrap_or_default().to_string();
            let code = ["transportEventTypeCode", "equipmentEventTypeCode", "shipmentEventTypeCode"]
                .iter()
                .find_map(|k| v[*k].as_str())
                .unwrap_or_default();
            (
                v["eventDateTime"].as_str().unwrap_or_default().replace('T', " ").trim_end_matches('Z').to_string(),
                format!("{kind} {code}"),
                v["eventClassifierCode"].as_str().unwrap_or_default().to_string(),
                v["UNLocationCode"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let eta = t
        .eta
        .as_ref()
        .and_then(|e| serde_json::to_value(e).ok())
        .map(|v| {
            format!(
                "{} ({})",
                v["at"].as_str().unwrap_or_default().replace('T', " ").trim_end_matches('Z'),
                v["classifier"].as_str().unwrap_or_default()
            )
        })
        .unwrap_or_default();
    let card = &t.shipment.booking.rate_card;
    ShipmentView {
        carrier: t.shipment.carrier_scac.clone(),
        mode: format!("{} {} → {}", card.mode.as_str(), card.origin, card.destination),
        status: t.shipment.status.label().to_string(),
        containers: t.shipment.containers.iter().map(|c| c.as_str().to_string()).collect::<Vec<_>>().join(", "),
        eta,
        events,
    }
}

struct DisputeView {
    opened_by: String,
    reason: String,
    /// Open, or how it ended.
    outcome: String,
    evidence: Vec<(String, String, String)>,
    can_add_evidence: bool,
    can_withdraw: bool,
}

fn dispute_view(tr: Tr, d: &tradewind_store::DisputeRecord, side: Party) -> DisputeView {
    let open = d.decision.is_none();
    let outcome = match d.decision {
        None => tr.t("dispute.open").to_string(),
        Some(decision) => tr.t(&format!("dispute.decision.{}", decision.name())).to_string(),
    };
    DisputeView {
        opened_by: tr.t(&format!("order.{}", d.opened_by)).to_string(),
        reason: d.reason.clone(),
        outcome,
        evidence: d
            .evidence
            .iter()
            .map(|e| (tr.t(&format!("order.{}", e.party)).to_string(), e.statement.clone(), day(&e.created_at)))
            .collect(),
        can_add_evidence: open,
        can_withdraw: open && d.opened_by == side,
    }
}

struct BalanceRow {
    label: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    page: Chrome,
    id: String,
    status_kind: String,
    status: String,
    your_side: String,
    buyer: String,
    seller: String,
    details: Vec<(String, String)>,
    lines: Vec<LineView>,
    total: String,
    events: Vec<EventButton>,
    can_fund: bool,
    can_release: bool,
    /// The latest payment and how to make it.
    payment: Option<PaymentView>,
    /// The order's dispute, if one was opened.
    dispute: Option<DisputeView>,
    /// Booked transport with its tracking timeline and ETA.
    shipments: Vec<ShipmentView>,
    /// Issued documents: (label, version, number, format, download path, SHA-256).
    documents: Vec<(String, u32, String, String, String, String)>,
    can_issue_invoice: bool,
    can_open_dispute: bool,
    /// A fresh idempotency key for the money forms on this page.
    idempotency_key: String,
    balances: Vec<BalanceRow>,
}

fn money(amount: Decimal, currency: CurrencyCode) -> String {
    Money::new(amount, currency).map(|m| m.to_string()).unwrap_or_else(|_| format!("{currency} {amount}"))
}

async fn order_page(state: &AppState, ctx: &Ctx, user: &CurrentUser, id: &str) -> Result<OrderPage, PageError> {
    let org = user.organization_id()?.to_string();
    let tr = ctx.tr();
    let order: OrderRecord = state.store.get_order(&org, id).await?;
    let payments = state.store.order_payments(&org, id).await?;
    let dispute = match state.store.dispute(tradewind_store::Caller::Company(&org), id).await {
        Ok(d) => Some(d),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(ApiError::from(e).into()),
    };
    let ledger = state.store.order_ledger(&org, id).await?;
    let v = api::view(order, &org)?;
    let terms = &v.order.order.terms;
    let currency = terms.currency;
    let side = v.your_side;
    let allowed = &v.allowed_events;
    let events = api::EVENTS
        .iter()
        .filter(|(name, sides)| sides.contains(&side) && allowed.contains(name))
        .map(|(name, _)| EventButton { event: name, label: tr.t(&format!("order.event.{name}")).to_string() })
        .collect();
    let is_buyer = side == Party::Buyer;
    let dispute = dispute.map(|d| dispute_view(tr, &d, side));
    let mut escrow = Decimal::ZERO;
    let mut payable = Decimal::ZERO;
    let mut fees = Decimal::ZERO;
    for (account, cur, balance) in ledger.ledger.balances() {
        if cur != currency {
            continue;
        }
        match account {
            Account::Escrow { .. } => escrow += balance,
            Account::SellerPayable { seller } if seller == terms.seller => payable += balance,
            Account::PlatformFees => fees += balance,
            _ => {}
        }
    }
    let balances = vec![
        BalanceRow { label: tr.t("order.escrow").to_string(), amount: money(escrow, currency) },
        BalanceRow { label: tr.t("order.seller_payable").to_string(), amount: money(payable, currency) },
        BalanceRow { label: tr.t("order.platform_fee").to_string(), amount: money(fees, currency) },
    ];
    let payment =
        serde_json::to_value(terms.payment_terms).ok().and_then(|p| p.as_str().map(str::to_string)).unwrap_or_default();
    let mut details = vec![
        (tr.t("order.terms").to_string(), format!("{} {}", terms.incoterm.code(), terms.named_place)),
        (
            tr.t("field.payment_terms").to_string(),
            tr.lookup(&format!("payment.{payment}")).unwrap_or(&payment).to_string(),
        ),
        (tr.t("order.delivery").to_string(), format!("{} – {}", terms.delivery.earliest, terms.delivery.latest)),
        (tr.t("order.created").to_string(), day(&v.order.created_at)),
    ];
    if let Some(lock) = &v.order.fx_lock
        && !lock.conversions.is_empty()
    {
        let amounts: Vec<String> =
            lock.conversions.iter().map(|c| format!("{} (× {})", c.amount, c.rate.normalize())).collect();
        details.push((
            tr.t("order.fx_lock").to_string(),
            format!("{} — {}, {}", amounts.join(" · "), lock.source, lock.as_of),
        ));
    }
    let lines = terms
        .lines
        .iter()
        .map(|l| LineView {
            description: l.description.clone(),
            hs_code: l.hs_code.to_string(),
            quantity: format!("{} {}", l.quantity.normalize(), l.unit.code()),
            unit_price: l.unit_price.to_string(),
            amount: l.amount().map(|m| m.to_string()).unwrap_or_default(),
        })
        .collect();
    Ok(OrderPage {
        page: ctx.chrome("title.order", "orders"),
        id: v.order.id.clone(),
        status_kind: status_kind(&v.order.order.status),
        status: status_label(tr, &v.order.order.status),
        your_side: tr.t(&format!("order.{side}")).to_string(),
        buyer: company_name(state, terms.buyer.as_str()).await?,
        seller: company_name(state, terms.seller.as_str()).await?,
        details,
        lines,
        total: v.total.to_string(),
        events,
        can_fund: is_buyer
            && allowed.contains(&"fund")
            && payments.iter().all(|p| matches!(p.status, PaymentStatus::Failed { .. })),
        payment: payments.last().map(|p| payment_view(&tr, p, is_buyer, state.payments.as_simulated_bank().is_some())),
        dispute,
        shipments: state.store.order_shipments(&org, id).await?.iter().map(shipment_view).collect(),
        documents: state
            .store
            .order_documents(&org, id)
            .await?
            .into_iter()
            .map(|d| {
                // Kinds without a catalogue label show the document's title and its format.
                let label = match tr.lookup(&format!("document.{}", d.kind)) {
                    Some(l) => l.to_string(),
                    None => {
                        let base = d.kind.parse::<tradewind_domain::documents::DocumentKind>().ok().or_else(|| {
                            d.kind
                                .rsplit_once('_')
                                .and_then(|(k, _)| k.parse::<tradewind_domain::documents::DocumentKind>().ok())
                        });
                        let title = base.map_or_else(|| d.kind.replace('_', " "), |k| k.title().to_string());
                        format!("{title} ({})", d.format)
                    }
                };
                let path = format!("/api/v1/orders/{id}/documents/{}", d.id);
                (label, d.version, d.number, d.format, path, d.sha256)
            })
            .collect(),
        can_issue_invoice: side == Party::Seller
            && (v.order.order.status.is_binding() || v.order.order.status.label() == "completed"),
        can_open_dispute: allowed.contains(&"open_dispute"),
        can_release: is_buyer && allowed.contains(&"release"),
        idempotency_key: tradewind_store::new_id(),
        balances,
    })
}

/// `GET /orders/{id}`: the order, for its two parties (everyone else: not found).
pub async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let page = order_page(&state, &ctx, user, &id).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /quotes/{id}/order`: the buyer turns its accepted quote into a draft order.
pub async fn create_from_quote(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let order = state.store.create_order_from_quote(&user.actor(), &org, &id, today()).await?;
    Ok(see_other(&format!("/orders/{}?notice=order_created", order.id)))
}

/// `POST /orders/{id}/events`: one life-cycle event, as the caller's side.
pub async fn event(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    api::send_event(&state, user, &org, &id, form.get("event")).await?;
    Ok(see_other(&format!("/orders/{id}?notice=order_updated")))
}

/// The form's idempotency key: 1 to 255 visible ASCII characters, as the header's.
fn form_key(form: &FormData) -> Result<String, ApiError> {
    let k = form.get("idempotency_key");
    if k.is_empty() || k.len() > 255 || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest("the form carries no valid idempotency key".into()));
    }
    Ok(k.to_string())
}

/// `POST /orders/{id}/fund`: the buyer starts paying the total into escrow and gets the
/// provider's instructions; a repeated key starts nothing more.
pub async fn fund(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let key = form_key(&form)?;
    crate::api::payments::start_payment(&state, user, &org, &id, &key).await?;
    Ok(see_other(&format!("/orders/{id}?notice=payment_started#payment")))
}

/// `POST /orders/{id}/bank-transfer`: the buyer makes the transfer at the simulated bank,
/// which confirms it to the platform shortly after (only while the simulated bank is the
/// payment provider).
pub async fn bank_transfer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let bank = state.payments.as_simulated_bank().ok_or(ApiError::NotFound)?;
    let payments = state.store.order_payments(&org, &id).await?;
    let open =
        payments.iter().rev().find(|p| p.status == PaymentStatus::Initiated).ok_or_else(|| {
            ApiError::Refused("there is no payment waiting for a transfer; pay into escrow first".into())
        })?;
    bank.receive_transfer(&open.reference, open.amount, &org).await?;
    Ok(see_other(&format!("/orders/{id}?notice=transfer_sent#payment")))
}

/// `POST /orders/{id}/dispute`: either party opens a dispute with its reason.
pub async fn open_dispute(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let reason = crate::api::disputes::text("reason", form.get("reason"))?;
    state.store.open_dispute(&user.actor(), &org, &id, &reason).await?;
    Ok(see_other(&format!("/orders/{id}?notice=dispute_opened#dispute")))
}

/// `POST /orders/{id}/dispute/evidence`: a party's statement in the open dispute.
pub async fn dispute_evidence(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let statement = crate::api::disputes::text("statement", form.get("statement"))?;
    state.store.add_dispute_evidence(&user.actor(), &org, &id, &statement).await?;
    Ok(see_other(&format!("/orders/{id}?notice=evidence_added#dispute")))
}

/// `POST /orders/{id}/dispute/withdraw`: the side that opened the dispute withdraws it.
pub async fn withdraw_dispute(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    state.store.withdraw_dispute(&user.actor(), &org, &id).await?;
    Ok(see_other(&format!("/orders/{id}?notice=dispute_withdrawn")))
}

/// `POST /orders/{id}/invoice`: the seller issues the commercial invoice (UBL and CII).
pub async fn issue_invoice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    crate::api::documents::issue_commercial_invoice(State(state), user.clone(), crate::problem::Path(id.clone()))
        .await?;
    Ok(see_other(&format!("/orders/{id}?notice=invoice_issued#documents")))
}

/// `POST /orders/{id}/release`: the buyer releases escrow to the seller, less the fee.
pub async fn release(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let key = form_key(&form)?;
    let fee = FeeRate::from_basis_points(PLATFORM_FEE_BASIS_POINTS).map_err(|e| ApiError::Internal(e.to_string()))?;
    state.store.release_order(&user.actor(), &org, &id, &key, fee).await?;
    Ok(see_other(&format!("/orders/{id}?notice=order_released")))
}
