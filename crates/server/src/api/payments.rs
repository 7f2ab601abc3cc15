//! Paying into escrow and paying sellers out: the buyer starts a payment through the
//! payment provider, the provider's signed callback settles it (funding the order), the
//! simulated bank's sandbox stands for the buyer's bank, the operator reconciles the
//! ledger with the provider, runs payouts as ISO 20022 pain.001 files and can run the
//! auto-release sweep; companies give the bank account they are paid to.

use crate::AppState;
use crate::api::orders::{PLATFORM_FEE_BASIS_POINTS, idempotency_key};
use crate::auth::CurrentUser;
use crate::payments::PaymentRequest;
use crate::problem::{ApiError, Json, Path};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tradewind_domain::deal::ledger::FeeRate;
use tradewind_domain::deal::pain001::{BankAccount, Bic, Iban};
use tradewind_domain::deal::payment::{self, PaymentReference, Reconciliation};
use tradewind_domain::{Money, ValidationErrors};
use tradewind_store::{BankAccountRecord, CallbackOutcome, NewPayment, PaymentRecord, PayoutFile, PayoutRun};

fn replayable<T: Serialize>(body: T, replayed: bool, created: StatusCode) -> Response {
    let status = if replayed { StatusCode::OK } else { created };
    let mut res = (status, Json(body)).into_response();
    if replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

/// The buyer starts paying the order total into escrow. The answer carries the provider's
/// instructions (for the simulated bank: the escrow account and the reference to quote);
/// the order is funded when the provider confirms. Needs an `Idempotency-Key`: a retry
/// answers as the first request did.
#[utoipa::path(post, path = "/api/v1/orders/{id}/payments", tag = "payments", params(("id" = String, Path),
        ("Idempotency-Key" = String, Header, description = "A new key per payment; repeat it to retry")),
    responses((status = 201, body = Object), (status = 200, description = "a replayed request", body = Object),
        (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem)))]
pub async fn pay(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let org = user.organization_id()?.to_string();
    let key = idempotency_key(&headers)?;
    let record = start_payment(&state, &user, &org, &id, &key).await?;
    let replayed = record.replayed;
    Ok(replayable(record, replayed, StatusCode::CREATED))
}

/// Asks the provider how the buyer pays the order and records the payment; the reference
/// is derived from the request so a retry asks the provider for the same one.
pub(crate) async fn start_payment(
    state: &AppState,
    user: &CurrentUser,
    org: &str,
    id: &str,
    key: &str,
) -> Result<PaymentRecord, ApiError> {
    let (_, amount) = state.store.payable_order(org, id).await?;
    let reference = PaymentReference::derived(&[id, org, key]);
    let request = PaymentRequest { order_id: id.to_string(), reference: reference.clone(), amount };
    let instruction = state.payments.instruct(&request).await?;
    let new = NewPayment { provider: state.payments.name().to_string(), reference, amount, instruction };
    Ok(state.store.record_payment(&user.actor(), org, id, key, new).await?)
}

/// An order's payments, oldest first.
#[utoipa::path(get, path = "/api/v1/orders/{id}/payments", tag = "payments", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn order_payments(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<PaymentRecord>>, ApiError> {
    let org = user.organization_id()?.to_string();
    Ok(Json(state.store.order_payments(&org, &id).await?))
}

/// What a callback did.
#[derive(Serialize)]
pub struct CallbackAnswer {
    pub outcome: CallbackOutcome,
}

/// The payment provider's callback. Authenticated by its signature and timestamp headers,
/// not by a session; each event id is applied once.
#[utoipa::path(post, path = "/api/v1/payments/callbacks/{provider}", tag = "payments",
    request_body(content = String, content_type = "application/json", description = "the provider's signed event"),
    params(("provider" = String, Path, description = "the provider's name, e.g. simulated-bank")),
    responses((status = 200, body = Object), (status = 401, body = crate::problem::Problem),
        (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem)))]
pub async fn callback(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CallbackAnswer>, ApiError> {
    if provider != state.payments.name() {
        return Err(ApiError::NotFound);
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let event = state.payments.verify_callback(&headers, &body, now)?;
    let outcome = state.store.apply_provider_event(&provider, &event).await?;
    match outcome {
        CallbackOutcome::Settled | CallbackOutcome::Failed | CallbackOutcome::AlreadyProcessed => {
            Ok(Json(CallbackAnswer { outcome }))
        }
        CallbackOutcome::UnknownPayment => Err(ApiError::field(
            "reference",
            "unknown_payment",
            format!(
                "no payment has reference {}; the event was kept for the operator's reconciliation",
                event.reference
            ),
        )),
        CallbackOutcome::AmountDiffers => Err(ApiError::field(
            "amount",
            "amount_differs",
            format!(
                "the amount does not match payment {}; nothing was posted and the operator must settle the difference",
                event.reference
            ),
        )),
        CallbackOutcome::NotOpen => Err(ApiError::Refused(format!(
            "payment {} is already settled or failed, or its order can no longer be funded; nothing was posted",
            event.reference
        ))),
    }
}

/// A transfer made at the simulated bank.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct BankTransferForm {
    /// The RF reference from the payment instructions.
    pub reference: String,
    #[schema(value_type = Object)]
    pub amount: Money,
}

/// A transfer the simulated bank returns.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct BankReturnForm {
    pub reference: String,
    pub reason: String,
}

fn reference_field(s: &str) -> Result<PaymentReference, ApiError> {
    s.parse::<PaymentReference>().map_err(|e| ApiError::field("reference", "invalid_reference", e.to_string()))
}

/// Sandbox: the caller makes a bank transfer into the escrow account at the simulated bank,
/// which confirms it to the platform by signed callback shortly after. Exists only while
/// the simulated bank is the payment provider.
#[utoipa::path(post, path = "/api/v1/sandbox/bank-transfers", tag = "payments", request_body = BankTransferForm,
    responses((status = 202, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem)))]
pub async fn sandbox_transfer(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(form): Json<BankTransferForm>,
) -> Result<Response, ApiError> {
    let bank = state.payments.as_simulated_bank().ok_or(ApiError::NotFound)?;
    let payer = user.organization_id()?.to_string();
    let reference = reference_field(&form.reference)?;
    if form.amount.amount() <= rust_decimal::Decimal::ZERO {
        return Err(ApiError::field("amount", "not_positive", "a transfer moves a positive amount"));
    }
    let id = bank.receive_transfer(&reference, form.amount, &payer).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"transfer_id": id, "status": "received", "reference": reference})))
        .into_response())
}

/// Sandbox: the simulated bank returns a transfer (the payment fails).
#[utoipa::path(post, path = "/api/v1/sandbox/bank-returns", tag = "payments", request_body = BankReturnForm,
    responses((status = 202, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem)))]
pub async fn sandbox_return(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(form): Json<BankReturnForm>,
) -> Result<Response, ApiError> {
    let bank = state.payments.as_simulated_bank().ok_or(ApiError::NotFound)?;
    user.organization_id()?;
    let reference = reference_field(&form.reference)?;
    let mut errors = ValidationErrors::default();
    let Some(reason) = tradewind_domain::validation::required_text(&mut errors, "reason", &form.reason, 500) else {
        return Err(ApiError::Invalid(errors));
    };
    bank.return_transfer(&reference, &reason);
    Ok((StatusCode::ACCEPTED, Json(json!({"status": "returning", "reference": reference}))).into_response())
}

/// The ledger against the provider's statement.
#[derive(Serialize)]
pub struct ReconciliationView {
    pub provider: &'static str,
    /// True when every funding has its money and every transfer its funding.
    pub clean: bool,
    pub report: Reconciliation,
    /// Callbacks that posted nothing, for the operator to look into.
    pub unapplied_events: Vec<serde_json::Value>,
}

/// The operator's reconciliation report: fundings on the ledger against money the
/// provider received.
#[utoipa::path(get, path = "/api/v1/operator/reconciliation", tag = "payments",
    responses((status = 200, body = Object), (status = 401, body = crate::problem::Problem),
        (status = 403, body = crate::problem::Problem)))]
pub async fn reconciliation(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ReconciliationView>, ApiError> {
    user.require_operator()?;
    let provider = state.payments.name();
    let report = reconcile_with_provider(&state).await?;
    let unapplied_events = state.store.unapplied_provider_events(provider).await?;
    Ok(Json(ReconciliationView { provider, clean: report.is_clean(), report, unapplied_events }))
}

/// The ledger's fundings paired with the payment provider's statement.
pub(crate) async fn reconcile_with_provider(state: &AppState) -> Result<Reconciliation, ApiError> {
    let ledger = state.store.ledger_fundings(state.payments.name()).await?;
    let statement = state.payments.statement().await?;
    Ok(payment::reconcile(&ledger, &statement))
}

/// The account a company is paid to.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct BankAccountForm {
    pub holder_name: String,
    pub iban: String,
    pub bic: Option<String>,
}

/// A payout account from a form: holder name, IBAN (check digits verified) and optional BIC,
/// every problem named by field.
pub(crate) fn bank_account_from(
    holder: &str,
    iban: &str,
    bic: Option<&str>,
) -> Result<(String, BankAccount), ApiError> {
    let mut errors = ValidationErrors::default();
    let holder = tradewind_domain::validation::required_text(&mut errors, "holder_name", holder, 70);
    let iban = iban.parse::<Iban>().map_err(|e| errors.push("iban", "invalid_iban", e.to_string())).ok();
    let bic = match bic.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(b) => b.parse::<Bic>().map(Some).map_err(|e| errors.push("bic", "invalid_bic", e.to_string())).ok(),
    };
    let (Some(holder), Some(iban), Some(bic)) = (holder, iban, bic) else {
        return Err(ApiError::Invalid(errors));
    };
    Ok((holder, BankAccount::Iban { iban, bic }))
}

/// Sets the account the caller's company is paid to (company admins).
#[utoipa::path(put, path = "/api/v1/organization/bank-account", tag = "payments", request_body = BankAccountForm,
    responses((status = 200, body = Object), (status = 403, body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem)))]
pub async fn set_bank_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(form): Json<BankAccountForm>,
) -> Result<Json<BankAccountRecord>, ApiError> {
    let org = user.require_admin()?.to_string();
    let (holder, account) = bank_account_from(&form.holder_name, &form.iban, form.bic.as_deref())?;
    Ok(Json(state.store.set_bank_account(&user.actor(), &org, &holder, &account).await?))
}

/// The account the caller's company is paid to.
#[utoipa::path(get, path = "/api/v1/organization/bank-account", tag = "payments",
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn bank_account(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<BankAccountRecord>, ApiError> {
    let org = user.organization_id()?.to_string();
    Ok(Json(state.store.bank_account(&org).await?.ok_or(ApiError::NotFound)?))
}

/// Runs payouts (operator): everything owed to sellers with a bank account goes into one
/// pain.001 file per currency. Needs an `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/operator/payouts", tag = "payments",
    params(("Idempotency-Key" = String, Header, description = "A new key per run; repeat it to retry")),
    responses((status = 201, body = Object), (status = 200, description = "a replayed request", body = Object),
        (status = 403, body = crate::problem::Problem)))]
pub async fn run_payouts(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    user.require_operator()?;
    let key = idempotency_key(&headers)?;
    let platform = state.payments.platform_account().clone();
    let run: PayoutRun =
        state.store.run_payouts(&user.actor(), &key, &platform, time::OffsetDateTime::now_utc()).await?;
    let replayed = run.replayed;
    Ok(replayable(run, replayed, StatusCode::CREATED))
}

/// Payout files, newest first (operator).
#[utoipa::path(get, path = "/api/v1/operator/payouts", tag = "payments",
    responses((status = 200, body = Object), (status = 403, body = crate::problem::Problem)))]
pub async fn payout_files(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Vec<PayoutFile>>, ApiError> {
    user.require_operator()?;
    Ok(Json(state.store.payout_files().await?))
}

/// A payout file as the ISO 20022 `pain.001.001.03` document for the bank (operator).
#[utoipa::path(get, path = "/api/v1/operator/payouts/{id}/pain001", tag = "payments", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/xml", body = String),
        (status = 404, body = crate::problem::Problem)))]
pub async fn payout_document(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    user.require_operator()?;
    let (file, document) = state.store.payout_document(&id).await?;
    let disposition = format!("attachment; filename=\"{}.xml\"", file.message_id);
    let mut res = document.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// Runs the auto-release sweep now (operator): escrow on orders shipped or delivered longer
/// than the auto-release period ago goes to the seller.
#[utoipa::path(post, path = "/api/v1/operator/auto-release", tag = "payments",
    responses((status = 200, body = Object), (status = 403, body = crate::problem::Problem)))]
pub async fn auto_release(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<serde_json::Value>, ApiError> {
    user.require_operator()?;
    let fee = FeeRate::from_basis_points(PLATFORM_FEE_BASIS_POINTS).map_err(|e| ApiError::Internal(e.to_string()))?;
    let days = state.settings.auto_release_days;
    let released = state.store.auto_release_due(time::OffsetDateTime::now_utc(), days, fee).await?;
    Ok(Json(json!({"released": released, "period_days": days})))
}
