//! The server-rendered web UI: plain HTML forms that post and redirect (Post/Redirect/Get),
//! usable without JavaScript, in English and Simplified Chinese.
//!
//! Pages reuse the API's building blocks (registration, sessions, invitations, evidence
//! checks) and the store; they only add HTML, form parsing and translation. Validation
//! errors re-render the form with each message next to its input; a visitor who is not
//! logged in is sent to the login page; other failures show an error page.

mod account;
mod assessment;
mod company;
mod customs;
mod documents;
mod exchange;
mod forms;
mod home;
pub mod i18n;
mod inquiries;
mod marketplace;
mod operator;
mod orders;
mod page;
mod payouts;
mod store;
mod title;
mod verify;

use crate::AppState;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};

/// The one stylesheet, hand-written, served from the binary.
const STYLESHEET: &str = include_str!("../../static/tradewind.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/signup", get(account::signup_form).post(account::signup))
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route("/invitations/accept", get(account::accept_form).post(account::accept))
        .route("/company", get(company::profile))
        .route("/company/evidence", post(company::upload_evidence))
        .route("/company/resubmit", post(company::resubmit))
        .route("/company/bank-account", post(company::set_bank_account))
        .route("/company/users", get(company::users))
        .route("/company/invitations", post(company::invite))
        .route("/operator/queue", get(operator::queue))
        .route("/operator/organizations/{id}/verify", post(operator::verify))
        .route("/operator/organizations/{id}/reject", post(operator::reject))
        .route("/assessments", get(assessment::list).post(assessment::start))
        .route("/assessments/{id}", get(assessment::show).post(assessment::save))
        .route("/assessments/{id}/evidence", post(assessment::upload))
        .route("/search", get(marketplace::search))
        .route("/products/new", get(marketplace::new_product).post(marketplace::create_product))
        .route("/products/{id}", get(marketplace::show_product))
        .route("/leads", post(marketplace::create_lead))
        .route("/leads/new", get(marketplace::new_lead))
        .route("/leads/{id}", get(marketplace::show_lead))
        .route("/leads/{id}/quotes", post(marketplace::send_quote))
        .route("/quotes/{id}/accept", post(marketplace::accept_quote))
        .route("/quotes/{id}/order", post(orders::create_from_quote))
        .route("/orders", get(orders::list))
        .route("/orders/{id}", get(orders::show))
        .route("/orders/{id}/events", post(orders::event))
        .route("/orders/{id}/fund", post(orders::fund))
        .route("/orders/{id}/bank-transfer", post(orders::bank_transfer))
        .route("/orders/{id}/dispute", post(orders::open_dispute))
        .route("/orders/{id}/invoice", post(orders::issue_invoice))
        .route("/documents", get(documents::inbox))
        .route("/orders/{id}/documents", get(documents::centre))
        .route("/orders/{id}/documents/fields", post(documents::save_fields))
        .route("/orders/{id}/documents/requests", post(documents::request))
        .route("/orders/{id}/documents/requests/{request_id}/reject", post(documents::reject))
        .route("/orders/{id}/documents/verifiable", post(verify::make))
        .route("/orders/{id}/documents/{kind}", get(documents::preview))
        .route("/orders/{id}/documents/{kind}/issue", post(documents::issue))
        .route("/exchanges", post(exchange::send))
        .route("/exchanges/new", get(exchange::new))
        .route("/exchanges/inbox", get(exchange::inbox))
        .route("/exchanges/outbox", get(exchange::outbox))
        .route("/exchanges/{id}", get(exchange::show))
        .route("/exchanges/{id}/documents/{document_id}/{action}", post(exchange::act))
        .route("/orders/{id}/dispute/evidence", post(orders::dispute_evidence))
        .route("/orders/{id}/dispute/withdraw", post(orders::withdraw_dispute))
        .route("/orders/{id}/release", post(orders::release))
        .route("/records", get(title::list).post(title::issue))
        .route("/records/{id}", get(title::show))
        .route("/records/{id}/{action}", post(title::act))
        .route("/notifications", get(marketplace::notifications))
        .route("/verify", get(verify::form).post(verify::check))
        .route("/verify/hide", post(verify::hide))
        .route("/verify/{fingerprint}", get(verify::record))
        .route("/verifiable/{fingerprint}/revoke", post(verify::revoke))
        .route("/inquiries", get(inquiries::list).post(inquiries::ask))
        .route("/inquiries/{id}", get(inquiries::show))
        .route("/inquiries/{id}/messages", post(inquiries::reply))
        .route("/reports", post(inquiries::report))
        .route("/company/blocks", get(inquiries::blocks).post(inquiries::block))
        .route("/company/blocks/{id}/unblock", post(inquiries::unblock))
        .route("/operator/reports", get(inquiries::reports))
        .route("/operator/payouts", get(payouts::show).post(payouts::run))
        .route("/operator/reports/{id}/decision", post(inquiries::decide))
        .route("/stores/{id}", get(store::front))
        .route("/cart", get(store::cart).post(store::add))
        .route("/checkout", post(store::checkout))
        .route("/checkout/{id}", get(store::confirmation))
        .route("/customs", get(customs::index))
        .route("/customs/declarations/new", get(customs::lodge_form).post(customs::lodge))
        .route("/customs/declarations/{id}", get(customs::show))
        .route("/customs/declarations/{id}/photos", post(customs::upload_photo))
        .route("/customs/declarations/{id}/photos/{sha256}", get(customs::photo))
        .route("/customs/declarations/{id}/{action}", post(customs::act))
        .route("/customs/landed-cost", get(customs::landed_cost_form).post(customs::landed_cost))
        .route("/customs/manifests", get(customs::manifests).post(customs::submit_manifest))
        .route("/customs/time-release", get(customs::time_release))
        .route("/assets/tradewind.css", get(stylesheet))
        .layer(middleware::from_fn(page::web_layer))
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLESHEET)
}

/// The page for an unknown address (in English; pages inside the UI redraw it in the
/// visitor's language).
pub fn not_found_page() -> impl IntoResponse {
    page::error_page(StatusCode::NOT_FOUND, page::Failure::NotFound, i18n::Lang::En)
}
