//! The document centre of an order: every kind of the set with who issues it, its issued
//! versions with their downloads, what the facts still lack, the inconsistencies across the
//! set, the fields the company adds itself, requests to a chamber, insurer or bank, and a
//! preview of each document before it is issued (its view, the PDF and the machine-readable
//! renditions).

use super::forms::FormData;
use super::page::{Chrome, Ctx, PageError, render, see_other};
use crate::AppState;
use crate::api::document_set::{self, DocumentSet};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use tradewind_domain::documents::{DocumentKind, DocumentView, Issuer, LineFields, PartyFields, Signatory};
use tradewind_domain::validation::ValidationErrors;
use tradewind_store::DocumentRole;

/// One row of the centre's table.
struct Row {
    kind: String,
    title: String,
    issuer: String,
    yours: bool,
    /// "v2 · BL-…" when issued.
    latest: Option<String>,
    /// (label, download path) of the latest version's renditions and PDF.
    downloads: Vec<(String, String)>,
    missing: Vec<String>,
}

struct LineInput {
    index: usize,
    description: String,
    fields: LineFields,
}

#[derive(Template)]
#[template(path = "documents.html")]
struct CentrePage {
    page: Chrome,
    id: String,
    role: String,
    is_seller: bool,
    is_carrier: bool,
    is_party: bool,
    rows: Vec<Row>,
    inconsistencies: Vec<String>,
    /// (kind, issuer, status, reason, request id, is the issuer me)
    requests: Vec<(String, String, String, String, String, bool)>,
    fields: PartyFields,
    lines: Vec<LineInput>,
    /// (document id, label) of the issued versions this company may make verifiable.
    verifiable_sources: Vec<(String, String)>,
    /// The verifiable versions of this order's documents.
    verifiable: Vec<tradewind_store::VerifiableDocumentRecord>,
    org: String,
}

fn issuer_label(i: Issuer) -> &'static str {
    match i {
        Issuer::Seller => "seller",
        Issuer::Buyer => "buyer",
        Issuer::Carrier => "carrier",
        Issuer::Named => "chamber, insurer or bank on request",
    }
}

/// `GET /orders/{id}/documents`
pub async fn centre(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let org = user.organization_id()?.to_string();
    let set: DocumentSet = document_set::document_set(&state, user, &id).await?;
    let (_, sources) = state.store.document_sources(&org, &id).await?;
    let issued = state.store.order_documents(&org, &id).await?;
    let rows = set
        .documents
        .iter()
        .map(|e| {
            let kind = e.kind.as_str();
            let latest_version = e.latest.as_ref().map(|d| d.version);
            let downloads = issued
                .iter()
                .filter(|d| {
                    Some(d.version) == latest_version && (d.kind == kind || d.kind.starts_with(&format!("{kind}_")))
                })
                .map(|d| (d.format.clone(), format!("/api/v1/orders/{id}/documents/{}", d.id)))
                .collect();
            Row {
                kind: kind.to_string(),
                title: e.title.to_string(),
                issuer: issuer_label(e.issuer).to_string(),
                yours: e.yours,
                latest: e.latest.as_ref().map(|d| format!("v{} · {}", d.version, d.number)),
                downloads,
                missing: e.missing.iter().map(|f| format!("{}: {}", f.field, f.message)).collect(),
            }
        })
        .collect();
    let fields = sources.fields.get(&org).cloned().unwrap_or_default();
    let lines = sources
        .order
        .order
        .terms
        .lines
        .iter()
        .enumerate()
        .map(|(index, l)| LineInput {
            index,
            description: l.description.clone(),
            fields: fields.lines.get(index).cloned().unwrap_or_default(),
        })
        .collect();
    let requests = set
        .requests
        .iter()
        .map(|r| {
            (
                r.kind.title().to_string(),
                r.issuer_org.clone(),
                r.status.clone(),
                r.reason.clone().unwrap_or_default(),
                r.id.clone(),
                r.issuer_org == org && r.status == "requested",
            )
        })
        .collect();
    let role = match &set.role {
        DocumentRole::Seller => "seller",
        DocumentRole::Buyer => "buyer",
        DocumentRole::Carrier => "carrier",
        DocumentRole::NamedIssuer { .. } => "issuer on request",
    };
    let verifiable_sources = issued
        .iter()
        .filter(|d| d.issued_by == org && d.media_type != "application/pdf")
        .map(|d| (d.id.clone(), format!("{} v{} · {} ({})", d.kind.replace('_', " "), d.version, d.number, d.format)))
        .collect();
    let verifiable =
        state.store.verifiable_for_documents(&issued.iter().map(|d| d.id.clone()).collect::<Vec<_>>()).await?;
    let page = CentrePage {
        page: ctx.chrome("title.documents", "orders"),
        verifiable_sources,
        verifiable,
        org: org.clone(),
        role: role.to_string(),
        is_seller: set.role == DocumentRole::Seller,
        is_carrier: set.role == DocumentRole::Carrier,
        is_party: set.role.is_party(),
        id,
        rows,
        inconsistencies: set.inconsistencies.iter().map(|i| i.message.clone()).collect(),
        requests,
        fields,
        lines,
    };
    Ok(render(axum::http::StatusCode::OK, &page))
}

fn opt(form: &FormData, name: &str) -> Option<String> {
    let v = form.get(name).trim();
    (!v.is_empty()).then(|| v.to_string())
}

fn parsed<T: std::str::FromStr>(e: &mut ValidationErrors, form: &FormData, name: &str, what: &str) -> Option<T> {
    let v = opt(form, name)?;
    match v.parse::<T>() {
        Ok(x) => Some(x),
        Err(_) => {
            e.push(name, "invalid", format!("{name} must be {what}"));
            None
        }
    }
}

fn date(e: &mut ValidationErrors, form: &FormData, name: &str) -> Option<time::Date> {
    let v = opt(form, name)?;
    tradewind_domain::validation::iso_date(e, name, &v)
}

/// `POST /orders/{id}/documents/fields`: the company's own fields, from the form.
pub async fn save_fields(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let (_, sources) = state.store.document_sources(&org, &id).await?;
    let mut e = ValidationErrors::new();
    let mut fields = sources.fields.get(&org).cloned().unwrap_or_default();
    fields.vat_id = opt(&form, "vat_id");
    fields.marks_and_numbers = opt(&form, "marks_and_numbers");
    fields.place_of_issue = opt(&form, "place_of_issue");
    fields.signatory = match (opt(&form, "signatory_name"), opt(&form, "signatory_title")) {
        (Some(name), Some(title)) => Some(Signatory { name, title }),
        (None, None) => None,
        _ => {
            e.push("signatory_title", "required", "give both the signatory's name and title");
            None
        }
    };
    if form.get("section") == "seller" {
        fields.customs_procedure = opt(&form, "customs_procedure");
        let n = sources.order.order.terms.lines.len();
        fields.lines = (0..n)
            .map(|i| LineFields {
                packages: parsed(&mut e, &form, &format!("line{i}_packages"), "a whole number"),
                package_type: opt(&form, &format!("line{i}_package_type")).map(|t| t.to_uppercase()),
                net_kg: parsed(&mut e, &form, &format!("line{i}_net_kg"), "a weight in kg"),
                gross_kg: parsed(&mut e, &form, &format!("line{i}_gross_kg"), "a weight in kg"),
                origin_country: parsed(&mut e, &form, &format!("line{i}_origin_country"), "an ISO 3166 country code"),
                origin_criterion: opt(&form, &format!("line{i}_origin_criterion")),
            })
            .collect();
    }
    if form.get("section") == "carrier" {
        fields.vessel_name = opt(&form, "vessel_name");
        fields.voyage_number = opt(&form, "voyage_number");
        fields.flight_number = opt(&form, "flight_number");
        fields.shipped_on_board = date(&mut e, &form, "shipped_on_board");
        fields.planned_arrival = date(&mut e, &form, "planned_arrival");
        fields.verified_gross_kg = parsed(&mut e, &form, "verified_gross_kg", "a weight in kg");
        fields.seal_numbers = form
            .get("seal_numbers")
            .split([',', ' ', '\n'])
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_string())
            .collect();
    }
    if form.get("section") == "named" {
        fields.policy_number = opt(&form, "policy_number");
        fields.cover = opt(&form, "cover");
        fields.guarantee_reference = opt(&form, "guarantee_reference");
    }
    e.into_result(())?;
    fields.validate()?;
    state.store.put_document_fields(&user.actor(), &org, &id, &fields).await?;
    Ok(see_other(&format!("/orders/{id}/documents?notice=document_fields_saved")))
}

/// `POST /orders/{id}/documents/{kind}/issue`
pub async fn issue(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, kind)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let k = document_set::parse_kind(&kind)?;
    if k == DocumentKind::CommercialInvoice {
        crate::api::documents::issue_commercial_invoice(State(state), user.clone(), crate::problem::Path(id.clone()))
            .await?;
    } else {
        document_set::issue(State(state), user.clone(), crate::problem::Path((id.clone(), kind))).await?;
    }
    Ok(see_other(&format!("/orders/{id}/documents?notice=document_issued")))
}

/// `POST /orders/{id}/documents/requests`
pub async fn request(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let kind = document_set::parse_kind(form.get("kind"))?;
    state.store.request_document(&user.actor(), &org, &id, kind, form.get("issuer").trim(), form.get("note")).await?;
    Ok(see_other(&format!("/orders/{id}/documents?notice=document_requested")))
}

/// `POST /orders/{id}/documents/requests/{request_id}/reject`
pub async fn reject(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, request_id)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    state.store.reject_document_request(&user.actor(), &org, &request_id, form.get("reason")).await?;
    Ok(see_other(&format!("/orders/{id}/documents?notice=document_request_rejected")))
}

#[derive(Template)]
#[template(path = "document_preview.html")]
struct PreviewPage {
    page: Chrome,
    id: String,
    kind: String,
    yours: bool,
    view: DocumentView,
    /// (format, content)
    renditions: Vec<(String, String)>,
}

/// `GET /orders/{id}/documents/{kind}`: the preview of a document before it is issued.
pub async fn preview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let org = user.organization_id()?.to_string();
    let crate::problem::Json(p) =
        document_set::preview(State(state.clone()), user.clone(), crate::problem::Path((id.clone(), kind.clone())))
            .await?;
    let (_, role) = state.store.document_role(&org, &id).await?;
    let page = PreviewPage {
        page: ctx.chrome("title.document_preview", "orders"),
        yours: role.issues(p.kind),
        id,
        kind,
        view: p.view,
        renditions: p.renditions.into_iter().map(|r| (r.format, r.content)).collect(),
    };
    Ok(render(axum::http::StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "documents_inbox.html")]
struct InboxPage {
    page: Chrome,
    /// (order id, what, status) of the shipments the company carries or ships.
    shipments: Vec<(String, String, String)>,
    /// (order id, document title, direction, status, reason) of requests sent or received.
    requests: Vec<(String, String, String, String, String)>,
}

/// `GET /documents`: where a company finds the document sets it works on beyond its own
/// orders: the shipments it carries and the documents it was asked to issue.
pub async fn inbox(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let org = user.organization_id()?.to_string();
    let shipments = state
        .store
        .list_shipments(&org, "", 200)
        .await?
        .items
        .into_iter()
        .map(|s| {
            let lane = format!(
                "{} → {} ({})",
                s.booking.rate_card.origin, s.booking.rate_card.destination, s.booking.rate_card.mode
            );
            (s.order_id, lane, s.status.label().to_string())
        })
        .collect();
    let requests = state
        .store
        .document_requests(&org)
        .await?
        .into_iter()
        .map(|r| {
            let direction = if r.issuer_org == org { "received" } else { "sent" };
            (r.order_id, r.kind.title().to_string(), direction.to_string(), r.status, r.reason.unwrap_or_default())
        })
        .collect();
    let page = InboxPage { page: ctx.chrome("title.documents_inbox", "documents"), shipments, requests };
    Ok(render(axum::http::StatusCode::OK, &page))
}
