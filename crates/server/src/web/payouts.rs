//! The operator's payouts page: run payouts (one ISO 20022 pain.001 file per currency for
//! the platform's bank), see every file with its total and download it, see sellers still
//! waiting for a bank account, and the reconciliation of the ledger with the provider.

use super::forms::FormData;
use super::page::{Chrome, Ctx, PageError, render, see_other};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Template)]
#[template(path = "payouts.html")]
struct PayoutsPage {
    page: Chrome,
    /// (message id, currency total, transfers, created, download path)
    files: Vec<(String, String, i64, String, String)>,
    /// A fresh idempotency key for the run form.
    idempotency_key: String,
    clean: bool,
    matched: usize,
    unmatched: Vec<String>,
}

/// `GET /operator/payouts`
pub async fn show(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    ctx.signed_in()?.require_operator()?;
    let files = state
        .store
        .payout_files()
        .await?
        .into_iter()
        .map(|f| {
            let path = format!("/api/v1/operator/payouts/{}/pain001", f.id);
            (f.message_id, f.total.to_string(), f.item_count, super::company::day(&f.created_at), path)
        })
        .collect();
    let report = crate::api::payments::reconcile_with_provider(&state).await?;
    let mut unmatched: Vec<String> = report
        .only_at_provider
        .iter()
        .map(|t| format!("{} {}: at the bank, not on the ledger", t.reference, t.amount))
        .collect();
    unmatched.extend(
        report.only_in_ledger.iter().map(|f| format!("{} {}: on the ledger, not at the bank", f.reference, f.amount)),
    );
    unmatched.extend(
        report
            .amounts_differ
            .iter()
            .map(|(f, t)| format!("{}: {} on the ledger, {} at the bank", f.reference, f.amount, t.amount)),
    );
    let page = PayoutsPage {
        page: ctx.chrome("title.payouts", "payouts"),
        files,
        idempotency_key: tradewind_store::new_id(),
        clean: report.is_clean(),
        matched: report.matched.len(),
        unmatched,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /operator/payouts`: runs payouts once per form (its idempotency key).
pub async fn run(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    user.require_operator()?;
    let key = form.get("idempotency_key").trim().to_string();
    if key.is_empty() {
        return Err(crate::problem::ApiError::BadRequest("the form carries no idempotency key".into()).into());
    }
    let platform = state.payments.platform_account().clone();
    state.store.run_payouts(&user.actor(), &key, &platform, time::OffsetDateTime::now_utc()).await?;
    Ok(see_other("/operator/payouts?notice=payouts_run"))
}
