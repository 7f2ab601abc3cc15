//! The JSON API under `/api/v1`, documented by the OpenAPI document built from these
//! handlers' annotations.

pub mod accounts;
pub mod assessments;
pub mod customs;
pub mod disputes;
pub mod document_set;
pub mod documents;
pub mod exchange;
pub mod inquiries;
pub mod logistics;
pub mod marketplace;
pub mod operator;
pub mod orders;
pub mod organizations;
pub mod payments;
pub mod reference;
pub mod retail;
pub mod title;
pub mod verifiable;
pub mod webhooks;

use crate::AppState;
use crate::problem::ApiError;
use axum::extract::FromRequestParts;
use axum::extract::connect_info::ConnectInfo;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "tradewind API", description = "A single window for cross-border trade."),
    components(schemas(crate::problem::Problem)),
    tags(
        (name = "accounts", description = "Sign-up, login, sessions, API tokens, invitations"),
        (name = "assessments", description = "Paperless-trade readiness: questionnaire, answers, score, action plan, report"),
        (name = "organizations", description = "E-registration, company profile, evidence, audit trail"),
        (name = "operator", description = "The platform operator's verification queue"),
        (name = "reference", description = "Countries, currencies, Incoterms, UN/LOCODE, HS"),
        (name = "marketplace", description = "Products, trade leads and RFQs, quotes, matching, search"),
        (name = "orders", description = "Purchase orders, their life cycle, escrow funding and release on the ledger"),
        (name = "payments", description = "Payments into escrow through the payment provider, its callbacks, reconciliation, bank accounts, payouts (pain.001), auto-release"),
        (name = "logistics", description = "Carriers and SCACs, rate cards, freight quotes, shipments, DCSA tracking events, signed carrier webhooks, proof of delivery"),
        (name = "documents", description = "Trade documents generated from an order: the commercial invoice as UBL 2.1 (EN 16931, Peppol BIS Billing 3.0), immutable versions by SHA-256"),
        (name = "verifiable", description = "Verifiable documents: OpenAttestation v2 and W3C verifiable credentials signed with the company's key, the public verifier, revocation, selective disclosure, DID documents"),
        (name = "exchange", description = "Document exchange between parties: send issued documents to a company or authority, inbox and outbox, accept or reject per document, revocable access grants"),
        (name = "webhooks", description = "Outgoing webhooks: subscriptions, signing secrets, deliveries and redelivery"),
        (name = "transferable-records", description = "Transferable records (e-B/L, warehouse receipt, promissory note): one holder at a time, a signed chain of title, transfer, endorsement, surrender"),
        (name = "customs", description = "Customs single window: tariff schedules and landed cost, rules of origin and certificates of origin, declarations through risk lanes, inspection, assessment, duty payment, agencies' approvals and release; manifests, drawback, time-release figures"),
        (name = "retail", description = "Cross-border B2C: consumers, stores, cart with full prices, checkout, consumer orders and returns")
    )
)]
struct ApiDoc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::create_token, accounts::list_tokens))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(accounts::accept_invitation))
        .routes(routes!(organizations::my_organization))
        .routes(routes!(organizations::list_organizations))
        .routes(routes!(organizations::get_organization))
        .routes(routes!(organizations::upload_evidence, organizations::list_evidence))
        .routes(routes!(organizations::download_evidence))
        .routes(routes!(organizations::resubmit))
        .routes(routes!(organizations::list_users))
        .routes(routes!(organizations::invite, organizations::list_invitations))
        .routes(routes!(organizations::audit_trail))
        .routes(routes!(organizations::list_products))
        .routes(routes!(operator::queue))
        .routes(routes!(operator::get_organization))
        .routes(routes!(operator::verify))
        .routes(routes!(operator::reject))
        .routes(routes!(verifiable::make_verifiable))
        .routes(routes!(verifiable::batch))
        .routes(routes!(verifiable::list))
        .routes(routes!(verifiable::download))
        .routes(routes!(verifiable::revoke))
        .routes(routes!(verifiable::status))
        .routes(routes!(verifiable::verify))
        .routes(routes!(verifiable::hide))
        .routes(routes!(verifiable::did_document))
        .routes(routes!(verifiable::identity))
        .routes(routes!(reference::countries))
        .routes(routes!(reference::currencies))
        .routes(routes!(reference::incoterms))
        .routes(routes!(reference::locodes))
        .routes(routes!(reference::hs))
        .routes(routes!(reference::hs_code))
        .routes(routes!(assessments::questionnaire))
        .routes(routes!(assessments::create, assessments::list))
        .routes(routes!(assessments::history))
        .routes(routes!(assessments::get))
        .routes(routes!(assessments::save_answers))
        .routes(routes!(assessments::upload_evidence))
        .routes(routes!(assessments::download_evidence))
        .routes(routes!(assessments::submit))
        .routes(routes!(assessments::report))
        .routes(routes!(marketplace::suggest_hs))
        .routes(routes!(marketplace::fx))
        .routes(routes!(marketplace::create_product))
        .routes(routes!(marketplace::get_product))
        .routes(routes!(marketplace::add_product_attachment))
        .routes(routes!(marketplace::product_attachment))
        .routes(routes!(marketplace::create_lead))
        .routes(routes!(marketplace::get_lead))
        .routes(routes!(marketplace::my_leads))
        .routes(routes!(marketplace::rfq_matches))
        .routes(routes!(marketplace::rfqs_for_me))
        .routes(routes!(marketplace::create_quote, marketplace::list_quotes))
        .routes(routes!(marketplace::accept_quote))
        .routes(routes!(marketplace::notifications))
        .routes(routes!(crate::search::search))
        .routes(routes!(inquiries::open, inquiries::list))
        .routes(routes!(inquiries::thread))
        .routes(routes!(inquiries::reply))
        .routes(routes!(inquiries::reply_with_file))
        .routes(routes!(inquiries::attachment))
        .routes(routes!(inquiries::block, inquiries::blocks))
        .routes(routes!(inquiries::unblock))
        .routes(routes!(inquiries::report))
        .routes(routes!(inquiries::open_reports))
        .routes(routes!(inquiries::decide))
        .routes(routes!(orders::order_from_quote))
        .routes(routes!(orders::create_order, orders::list_orders))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::order_event))
        .routes(routes!(payments::pay, payments::order_payments))
        .routes(routes!(payments::callback))
        .routes(routes!(payments::sandbox_transfer))
        .routes(routes!(payments::sandbox_return))
        .routes(routes!(payments::reconciliation))
        .routes(routes!(payments::set_bank_account, payments::bank_account))
        .routes(routes!(payments::run_payouts, payments::payout_files))
        .routes(routes!(payments::payout_document))
        .routes(routes!(payments::auto_release))
        .routes(routes!(orders::release))
        .routes(routes!(orders::ledger))
        .routes(routes!(orders::propose_amendment))
        .routes(routes!(orders::accept_amendment))
        .routes(routes!(orders::reject_amendment))
        .routes(routes!(disputes::refund))
        .routes(routes!(disputes::open, disputes::get))
        .routes(routes!(disputes::evidence))
        .routes(routes!(disputes::withdraw))
        .routes(routes!(documents::issue_commercial_invoice))
        .routes(routes!(documents::issue_credit_note))
        .routes(routes!(documents::list))
        .routes(routes!(documents::download))
        .routes(routes!(document_set::overview))
        .routes(routes!(document_set::consistency_check))
        .routes(routes!(document_set::get_fields, document_set::put_fields))
        .routes(routes!(document_set::preview))
        .routes(routes!(document_set::preview_pdf))
        .routes(routes!(document_set::issue))
        .routes(routes!(document_set::request))
        .routes(routes!(document_set::requests))
        .routes(routes!(document_set::reject))
        .routes(routes!(document_set::validate))
        .routes(routes!(document_set::import))
        .routes(routes!(customs::tariffs, customs::import_tariff))
        .routes(routes!(customs::tariff))
        .routes(routes!(customs::landed_cost_of))
        .routes(routes!(customs::determine_origin))
        .routes(routes!(customs::request_certificate, customs::certificates))
        .routes(routes!(customs::decide_certificate))
        .routes(routes!(customs::lodge, customs::declarations))
        .routes(routes!(customs::declaration, customs::amend))
        .routes(routes!(customs::act))
        .routes(routes!(customs::add_photo))
        .routes(routes!(customs::draft_from_order))
        .routes(routes!(customs::photo))
        .routes(routes!(customs::mandate_broker))
        .routes(routes!(customs::get_risk_profile, customs::put_risk_profile))
        .routes(routes!(customs::submit_manifest, customs::manifests))
        .routes(routes!(customs::claim_drawback, customs::drawback_claims))
        .routes(routes!(customs::time_release_report))
        .routes(routes!(customs::register_agency))
        .routes(routes!(exchange::send))
        .routes(routes!(exchange::outbox))
        .routes(routes!(exchange::inbox))
        .routes(routes!(exchange::sendable))
        .routes(routes!(exchange::get))
        .routes(routes!(exchange::download))
        .routes(routes!(exchange::accept))
        .routes(routes!(exchange::reject))
        .routes(routes!(exchange::revoke_document))
        .routes(routes!(exchange::revoke))
        .routes(routes!(disputes::operator_get))
        .routes(routes!(disputes::decide))
        .routes(routes!(webhooks::subscribe, webhooks::list))
        .routes(routes!(webhooks::delete))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(retail::sign_up))
        .routes(routes!(retail::me))
        .routes(routes!(retail::open_store, retail::list_stores))
        .routes(routes!(retail::get_store))
        .routes(routes!(retail::add_offer))
        .routes(routes!(retail::update_offer, retail::withdraw_offer))
        .routes(routes!(retail::add_shipping_option))
        .routes(routes!(retail::get_cart))
        .routes(routes!(retail::add_to_cart))
        .routes(routes!(retail::set_cart_line, retail::remove_cart_line))
        .routes(routes!(retail::checkout))
        .routes(routes!(retail::list_consumer_orders))
        .routes(routes!(retail::get_consumer_order))
        .routes(routes!(retail::consumer_order_event))
        .routes(routes!(logistics::register_carrier, logistics::my_carrier))
        .routes(routes!(logistics::rotate_carrier_webhook_secret))
        .routes(routes!(logistics::publish_rate_card, logistics::list_rate_cards))
        .routes(routes!(logistics::update_rate_card))
        .routes(routes!(logistics::shipping_quotes))
        .routes(routes!(logistics::book_shipment, logistics::order_shipments))
        .routes(routes!(logistics::list_shipments))
        .routes(routes!(logistics::get_shipment))
        .routes(routes!(logistics::confirm_shipment))
        .routes(routes!(logistics::cancel_shipment))
        .routes(routes!(logistics::post_events))
        .routes(routes!(logistics::proof_of_delivery))
        .routes(routes!(logistics::carrier_webhook))
        .routes(routes!(title::create, title::list))
        .routes(routes!(title::get))
        .routes(routes!(title::action))
        .routes(routes!(title::verification))
        .routes(routes!(title::reassign))
}

/// `/readyz`: ready when the database answers.
pub async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    if state.store.ping().await {
        (axum::http::StatusCode::OK, "ready")
    } else {
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

/// Unknown paths: a problem response for the API, a page for people.
pub async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        ApiError::NotFound.into_response()
    } else {
        crate::web::not_found_page().into_response()
    }
}

/// `?cursor=…&limit=…` on every list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<usize>,
}

impl PageParams {
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.limit {
            None => Ok(50),
            Some(n) if (1..=200).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::field("limit", "out_of_range", "limit must be between 1 and 200")),
        }
    }
    /// The decoded cursor, or "" for the first page.
    pub fn after(&self) -> Result<String, ApiError> {
        match &self.cursor {
            None => Ok(String::new()),
            Some(c) => base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| ApiError::field("cursor", "invalid_cursor", "the cursor is not one this API gave out")),
        }
    }
}

/// A page of results as the API sends it.
#[derive(Debug, Serialize)]
pub struct PageBody<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> From<tradewind_store::Page<T>> for PageBody<T> {
    fn from(p: tradewind_store::Page<T>) -> Self {
        PageBody {
            items: p.items,
            next_cursor: p.next_cursor.map(|c| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(c)),
        }
    }
}

/// The client's address, for rate limits; absent when the server runs without it.
pub struct ClientAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)))
    }
}
