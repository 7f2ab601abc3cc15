//! An order's trade documents, first slice: the seller issues the commercial invoice as
//! UBL 2.1 (EN 16931; Peppol BIS Billing 3.0 when both parties have an LEI) and as
//! UN/CEFACT CII D16B, generated from
//! the order and the parties' registered details; both parties list and download every
//! issued version.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::problem::{ApiError, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tradewind_domain::Money;
use tradewind_domain::deal::ledger::Account;
use tradewind_domain::documents::{CommercialInvoice, CreditNote, DocumentParty, InvoiceOptions};
use tradewind_domain::marketplace::PaymentTerms;
use tradewind_report::{EmbeddedInvoice, Fonts, ReportError};
use tradewind_store::{DocumentDraft, Organization, StoreError, TradeDocumentRecord};

pub(crate) fn document_party(o: &Organization) -> DocumentParty {
    DocumentParty {
        legal_name: o.legal_name.clone(),
        registration_number: o.registration_number.clone(),
        street: o.address.street.clone(),
        city: o.address.city.clone(),
        postal_code: o.address.postal_code.clone(),
        country: o.country,
        lei: o.lei.clone(),
        email: o.contact.email.clone(),
        vat_id: None,
    }
}

pub(crate) fn payment_note(terms: PaymentTerms) -> &'static str {
    match terms {
        PaymentTerms::Escrow => "Paid into escrow on tradewind; released to the seller after delivery",
        PaymentTerms::AdvanceTransfer => "Payment by bank transfer in advance of shipment",
        PaymentTerms::OpenAccount => "Payment on open account as agreed in the order",
        PaymentTerms::LetterOfCredit => "Payment under a documentary letter of credit",
    }
}

/// An issued commercial invoice: the UBL version (its fields at the top level) and the
/// same invoice in CII syntax.
#[derive(serde::Serialize)]
pub struct IssuedInvoice {
    #[serde(flatten)]
    pub ubl: TradeDocumentRecord,
    pub cii: TradeDocumentRecord,
    /// The PDF with the UBL invoice attached; absent when the server has no font.
    pub pdf: Option<TradeDocumentRecord>,
}

/// The seller issues the commercial invoice for a binding order: the next version when the
/// order or a party's details changed since the last one, otherwise the last one again.
#[utoipa::path(post, path = "/api/v1/orders/{id}/documents/commercial-invoice", tag = "documents",
    params(("id" = String, Path)),
    responses((status = 201, description = "a new version", body = Object),
        (status = 200, description = "nothing changed: the latest version", body = Object),
        (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn issue_commercial_invoice(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let org = user.organization_id()?.to_string();
    let order = state.store.get_order(&org, &id).await?;
    let terms = order.order.terms.clone();
    if terms.seller.as_str() != org {
        return Err(ApiError::Refused("the seller issues the commercial invoice".into()));
    }
    if !order.order.status.is_binding() && order.order.status.label() != "completed" {
        return Err(ApiError::Refused(format!(
            "the order is {}; a commercial invoice is issued for an order both sides agreed",
            order.order.status.label()
        )));
    }
    let (_, sources) = state.store.document_sources(&org, &id).await?;
    let fields_of = |org: &str| sources.fields.get(org).cloned().unwrap_or_default();
    let mut seller = document_party(&state.store.get_organization(terms.seller.as_str()).await?);
    seller.vat_id = fields_of(terms.seller.as_str()).vat_id;
    let mut buyer = document_party(&state.store.get_organization(terms.buyer.as_str()).await?);
    buyer.vat_id = fields_of(terms.buyer.as_str()).vat_id;
    // The date of supply for an intra-EU sale: when the goods were shipped on board.
    let shipped = sources.shipments.last().and_then(|s| fields_of(&s.carrier_org).shipped_on_board);
    let options = InvoiceOptions { delivery_date: shipped, ..InvoiceOptions::default() };
    let note = payment_note(terms.payment_terms).to_string();
    let today = time::OffsetDateTime::now_utc().date();
    let invoice_for = |version: u32, date: time::Date| {
        CommercialInvoice::for_order_with(
            &id,
            version,
            &terms,
            seller.clone(),
            buyer.clone(),
            date,
            note.clone(),
            &options,
        )
        .map_err(|e| StoreError::Refused(e.to_string()))
    };
    invoice_for(1, today)?;
    let actor = user.actor();
    let record = state
        .store
        .issue_document(&actor, &org, &id, "commercial_invoice", today, |version, date| {
            let inv = invoice_for(version, date)?;
            let content = tradewind_documents::ubl::invoice(&inv).map_err(|e| StoreError::Refused(e.to_string()))?;
            let profile = if tradewind_documents::ubl::is_peppol(&inv) { "peppol-bis-3" } else { "en16931" };
            let summary = serde_json::to_value(tradewind_documents::set::invoice_summary(&inv)).ok();
            Ok(DocumentDraft {
                number: inv.number,
                format: format!("ubl-2.1-invoice/{profile}"),
                media_type: "application/xml".into(),
                content: content.into_bytes(),
                summary,
            })
        })
        .await?;
    // The same invoice in UN/CEFACT CII syntax, versioned alongside.
    let cii = state
        .store
        .issue_document(&actor, &org, &id, "commercial_invoice_cii", today, |version, date| {
            let inv = invoice_for(version, date)?;
            let content = tradewind_documents::cii::invoice(&inv).map_err(|e| StoreError::Refused(e.to_string()))?;
            Ok(DocumentDraft {
                number: inv.number,
                format: "cii-d16b-invoice/en16931".into(),
                media_type: "application/xml".into(),
                content: content.into_bytes(),
                summary: None,
            })
        })
        .await?;
    // The PDF for people, with the UBL invoice attached, once per UBL version.
    let pdf = match state.store.latest_document(&org, &id, "commercial_invoice_pdf").await? {
        Some(p) if p.version == record.version => Some(p),
        _ => {
            let issued_on = record
                .issued_at
                .get(..10)
                .and_then(|d| time::Date::parse(d, &time::format_description::well_known::Iso8601::DATE).ok())
                .unwrap_or(today);
            let inv = invoice_for(record.version, issued_on)?;
            let xml = tradewind_documents::ubl::invoice(&inv).map_err(|e| ApiError::Internal(e.to_string()))?;
            // Each version is verifiable from the start; its PDF carries the QR code to it.
            let verify_url = crate::api::verifiable::make_trade_document_verifiable(
                &state,
                &user,
                &id,
                &record.id,
                crate::api::verifiable::VerifiableFormat::OpenAttestation,
            )
            .await?
            .verify_url;
            let rendered = tokio::task::spawn_blocking(move || {
                let fonts = Fonts::system()?;
                let name = format!("{}.xml", inv.number);
                let embedded = EmbeddedInvoice { name: &name, xml: &xml, verify_url: Some(&verify_url) };
                tradewind_report::invoice_pdf(&inv, &embedded, &fonts).map(|b| (inv.number, b))
            })
            .await
            .map_err(|e| ApiError::Internal(format!("invoice PDF task: {e}")))?;
            match rendered {
                Ok((number, bytes)) => Some(
                    state
                        .store
                        .issue_document(&actor, &org, &id, "commercial_invoice_pdf", today, |_, _| {
                            Ok(DocumentDraft {
                                number: number.clone(),
                                format: "pdf-a-3b/invoice".into(),
                                media_type: "application/pdf".into(),
                                content: bytes.clone(),
                                summary: None,
                            })
                        })
                        .await?,
                ),
                Err(ReportError::MissingFont { .. }) => {
                    tracing::warn!("no font for the invoice PDF; the XML invoices are issued without it");
                    None
                }
                Err(e) => return Err(ApiError::Internal(e.to_string())),
            }
        }
    };
    let status = if record.new_version { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(IssuedInvoice { ubl: record, cii, pdf })).into_response())
}

/// The seller issues the credit note for what was refunded to the buyer from escrow so far,
/// referring to the latest commercial invoice: UBL 2.1 CreditNote (EN 16931; Peppol when
/// both parties have an LEI). A new version when the refunded total changed.
#[utoipa::path(post, path = "/api/v1/orders/{id}/documents/credit-note", tag = "documents",
    params(("id" = String, Path)),
    responses((status = 201, description = "a new version", body = Object),
        (status = 200, description = "nothing changed: the latest version", body = Object),
        (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn issue_credit_note(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let org = user.organization_id()?.to_string();
    let order = state.store.get_order(&org, &id).await?;
    let terms = order.order.terms.clone();
    if terms.seller.as_str() != org {
        return Err(ApiError::Refused("the seller issues the credit note".into()));
    }
    let invoice =
        state.store.latest_document(&org, &id, "commercial_invoice").await?.ok_or_else(|| {
            ApiError::Refused("issue the commercial invoice first; a credit note refers to it".into())
        })?;
    let books = state.store.order_ledger(&org, &id).await?;
    let refunded = books.ledger.balance(&Account::RefundsPayable { buyer: terms.buyer.clone() }, terms.currency);
    if refunded <= rust_decimal::Decimal::ZERO {
        return Err(ApiError::Refused("nothing was refunded on this order; there is nothing to credit".into()));
    }
    let refunded = Money::new(refunded, terms.currency).map_err(|e| ApiError::Internal(e.to_string()))?;
    let seller = document_party(&state.store.get_organization(terms.seller.as_str()).await?);
    let buyer = document_party(&state.store.get_organization(terms.buyer.as_str()).await?);
    let today = time::OffsetDateTime::now_utc().date();
    let record = state
        .store
        .issue_document(&user.actor(), &org, &id, "credit_note", today, |version, date| {
            let invoice_data =
                CommercialInvoice::for_order(&id, version, &terms, seller.clone(), buyer.clone(), date, String::new())
                    .map_err(|e| StoreError::Refused(e.to_string()))?;
            let cn = CreditNote::for_refund(invoice_data, &invoice.number, refunded)
                .map_err(|e| StoreError::Refused(e.to_string()))?;
            let content = tradewind_documents::ubl::credit_note(&cn).map_err(|e| StoreError::Refused(e.to_string()))?;
            let profile = if tradewind_documents::ubl::is_peppol(&cn.document) { "peppol-bis-3" } else { "en16931" };
            Ok(DocumentDraft {
                number: cn.document.number,
                format: format!("ubl-2.1-credit-note/{profile}"),
                media_type: "application/xml".into(),
                content: content.into_bytes(),
                summary: None,
            })
        })
        .await?;
    let status = if record.new_version { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(record)).into_response())
}

/// Every issued version of the order's documents, for its two parties.
#[utoipa::path(get, path = "/api/v1/orders/{id}/documents", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<TradeDocumentRecord>>, ApiError> {
    let org = user.organization_id()?.to_string();
    Ok(Json(state.store.order_documents(&org, &id).await?))
}

/// One issued version in its machine-readable format; its ETag is the SHA-256 of the body.
#[utoipa::path(get, path = "/api/v1/orders/{id}/documents/{document_id}", tag = "documents",
    params(("id" = String, Path), ("document_id" = String, Path)),
    responses((status = 200, content_type = "application/xml", body = String),
        (status = 404, body = crate::problem::Problem)))]
pub async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, document_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let org = user.organization_id()?.to_string();
    // A company without a role in the order may still read a document sent to it.
    let (record, content) = match state.store.trade_document(&org, &id, &document_id).await {
        Err(StoreError::NotFound) => state.store.granted_document(&user.actor(), &org, &id, &document_id).await?,
        found => found?,
    };
    Ok(crate::api::exchange::document_response(&record, content))
}
