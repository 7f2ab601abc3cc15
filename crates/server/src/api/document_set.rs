//! An order's whole document set: the facts every document is built from (entered once),
//! the fields each company adds itself, a preview of any kind (JSON and PDF) that names every
//! missing field at once, issuing (every machine-readable rendition plus a PDF, versioned and
//! content-addressed), the cross-document consistency check, and requests to a chamber,
//! insurer or bank to issue what only they may.

use super::documents::{document_party, payment_note};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::problem::{ApiError, Json, Path};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tradewind_documents::{GenerateError, Generated};
use tradewind_domain::documents::{
    DocumentKind, DocumentSummary, DocumentView, Inconsistency, Issuer, PartyFields, ShipmentFacts, TradeFacts,
    consistency,
};
use tradewind_domain::validation::ValidationErrors;
use tradewind_report::{Attachment, Fonts, ReportError};
use tradewind_store::{
    DocumentDraft, DocumentRequestRecord, DocumentRole, DocumentSources, StoreError, TradeDocumentRecord,
};

pub(crate) fn parse_kind(kind: &str) -> Result<DocumentKind, ApiError> {
    kind.parse::<DocumentKind>()
        .map_err(|e| ApiError::Invalid(ValidationErrors::single("kind", "unknown", e.to_string())))
}

fn date_of(stamp: &str) -> Option<time::Date> {
    stamp.get(..10).and_then(|d| time::Date::parse(d, &time::format_description::well_known::Iso8601::DATE).ok())
}

/// The facts of an order's set as `kind` would be built by its issuer. For a kind a third
/// party issues, the named issuer is the caller when it holds a request, else the issuer of
/// the latest request.
pub(crate) async fn trade_facts(
    state: &AppState,
    org: &str,
    kind: DocumentKind,
    role: &DocumentRole,
    sources: &DocumentSources,
) -> Result<TradeFacts, ApiError> {
    let terms = &sources.order.order.terms;
    let seller_org = state.store.get_organization(terms.seller.as_str()).await?;
    let buyer_org = state.store.get_organization(terms.buyer.as_str()).await?;
    let fields_of = |id: &str| sources.fields.get(id).cloned().unwrap_or_default();
    let mut shipment = None;
    let mut carrier_fields = PartyFields::default();
    if let Some(s) = sources.shipments.last() {
        let carrier = state.store.get_organization(&s.carrier_org).await?;
        carrier_fields = fields_of(&s.carrier_org);
        shipment = Some(ShipmentFacts {
            shipment_id: s.id.clone(),
            carrier: document_party(&carrier),
            scac: s.carrier_scac.parse().map_err(|e| ApiError::Internal(format!("stored SCAC: {e}")))?,
            mode: s.booking.rate_card.mode,
            origin: s.booking.rate_card.origin.clone(),
            destination: s.booking.rate_card.destination.clone(),
            packages: s.booking.packages.clone(),
            containers: s.containers.clone(),
            booked_on: date_of(&s.created_at).unwrap_or_else(|| time::OffsetDateTime::now_utc().date()),
        });
    }
    let named_org = match role {
        DocumentRole::NamedIssuer { .. } => Some(org.to_string()),
        _ => sources
            .requests
            .iter()
            .rev()
            .find(|r| r.kind == kind && r.status != "rejected")
            .map(|r| r.issuer_org.clone()),
    };
    let (named_issuer, named_fields) = match &named_org {
        Some(id) => (Some(document_party(&state.store.get_organization(id).await?)), fields_of(id)),
        None => (None, PartyFields::default()),
    };
    let with_vat = |mut p: tradewind_domain::documents::DocumentParty, id: &str| {
        p.vat_id = fields_of(id).vat_id;
        p
    };
    Ok(TradeFacts {
        order_id: sources.order.id.clone(),
        order_date: date_of(&sources.order.created_at).unwrap_or_else(|| time::OffsetDateTime::now_utc().date()),
        seller: with_vat(document_party(&seller_org), terms.seller.as_str()),
        buyer: with_vat(document_party(&buyer_org), terms.buyer.as_str()),
        currency: terms.currency,
        lines: terms.lines.clone(),
        incoterm: terms.incoterm,
        named_place: terms.named_place.clone(),
        payment_note: payment_note(terms.payment_terms).to_string(),
        shipment,
        seller_fields: fields_of(terms.seller.as_str()),
        buyer_fields: fields_of(terms.buyer.as_str()),
        carrier_fields,
        named_issuer,
        named_fields,
    })
}

fn generate_error(e: GenerateError) -> ApiError {
    match e {
        GenerateError::Missing(errors) => ApiError::Invalid(errors),
        GenerateError::Unsupported(kind) => ApiError::Refused(format!(
            "a {} is issued through its own endpoint (POST /api/v1/orders/{{id}}/documents/{})",
            kind.title().to_lowercase(),
            kind.as_str().replace('_', "-")
        )),
        GenerateError::Write(e) => ApiError::Internal(e.to_string()),
    }
}

/// One rendition as the preview shows it: text content for XML and JSON.
#[derive(Serialize)]
pub struct RenditionPreview {
    pub format: String,
    pub media_type: String,
    pub content: String,
}

/// A preview of a document that is not issued yet.
#[derive(Serialize)]
pub struct DocumentPreview {
    pub kind: DocumentKind,
    pub number: String,
    pub view: DocumentView,
    pub summary: DocumentSummary,
    pub renditions: Vec<RenditionPreview>,
}

/// The next version number of `kind` for the order, as the caller may see it.
async fn next_version(state: &AppState, org: &str, id: &str, kind: DocumentKind) -> Result<u32, ApiError> {
    Ok(state.store.latest_document(org, id, kind.as_str()).await?.map(|d| d.version + 1).unwrap_or(1))
}

async fn generate_for(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    kind: DocumentKind,
) -> Result<(DocumentRole, Vec<Generated>), ApiError> {
    let org = user.organization_id()?.to_string();
    let (role, sources) = state.store.document_sources(&org, id).await?;
    let facts = trade_facts(state, &org, kind, &role, &sources).await?;
    let version = next_version(state, &org, id, kind).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let generated = tradewind_documents::set::generate(kind, &facts, version, today).map_err(generate_error)?;
    Ok((role, generated))
}

/// A preview of `kind` from the order's current facts: the view, the summary and every
/// rendition; 422 names every missing field at once.
#[utoipa::path(get, path = "/api/v1/orders/{id}/document-set/{kind}/preview", tag = "documents",
    params(("id" = String, Path), ("kind" = String, Path)),
    responses((status = 200, body = Object), (status = 422, body = crate::problem::Problem),
        (status = 404, body = crate::problem::Problem)))]
pub async fn preview(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Json<DocumentPreview>, ApiError> {
    let kind = parse_kind(&kind)?;
    let (_, generated) = generate_for(&state, &user, &id, kind).await?;
    let first = generated.first().ok_or_else(|| ApiError::Internal("no rendition".into()))?;
    Ok(Json(DocumentPreview {
        kind,
        number: first.number.clone(),
        view: first.view.clone(),
        summary: first.summary.clone(),
        renditions: generated
            .iter()
            .map(|g| RenditionPreview {
                format: g.format.clone(),
                media_type: g.media_type.clone(),
                content: String::from_utf8_lossy(&g.content).into_owned(),
            })
            .collect(),
    }))
}

async fn render_pdf(generated: &[Generated], verify_url: Option<String>) -> Result<Option<Vec<u8>>, ApiError> {
    let Some(first) = generated.first() else { return Ok(None) };
    let view = first.view.clone();
    let files: Vec<(String, String, Vec<u8>)> = generated
        .iter()
        .map(|g| {
            let ext = if g.media_type.ends_with("json") { "json" } else { "xml" };
            let mime = if ext == "json" { "application/json" } else { "text/xml" };
            (format!("{}.{}.{ext}", g.number, g.format.replace('/', "-")), mime.to_string(), g.content.clone())
        })
        .collect();
    let rendered = tokio::task::spawn_blocking(move || {
        let fonts = Fonts::system()?;
        let attachments: Vec<Attachment<'_>> =
            files.iter().map(|(n, m, c)| Attachment { name: n, mime_type: m, content: c }).collect();
        tradewind_report::verifiable_document_pdf(&view, &attachments, &fonts, verify_url.as_deref())
    })
    .await
    .map_err(|e| ApiError::Internal(format!("document PDF task: {e}")))?;
    match rendered {
        Ok(bytes) => Ok(Some(bytes)),
        Err(ReportError::MissingFont { .. }) => {
            tracing::warn!("no font for document PDFs; the machine-readable renditions are issued without one");
            Ok(None)
        }
        Err(e) => Err(ApiError::Internal(e.to_string())),
    }
}

fn pdf_response(bytes: Vec<u8>, name: &str, inline: bool) -> Response {
    let mut res = bytes.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    let disposition = format!("{}; filename=\"{name}.pdf\"", if inline { "inline" } else { "attachment" });
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// The preview as a PDF (not issued, not stored).
#[utoipa::path(get, path = "/api/v1/orders/{id}/document-set/{kind}/preview.pdf", tag = "documents",
    params(("id" = String, Path), ("kind" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 422, body = crate::problem::Problem), (status = 503, body = crate::problem::Problem)))]
pub async fn preview_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let kind = parse_kind(&kind)?;
    let (_, generated) = generate_for(&state, &user, &id, kind).await?;
    let bytes = render_pdf(&generated, None).await?.ok_or_else(|| {
        ApiError::Unavailable("no font for PDFs is installed: apt-get install fonts-dejavu-core".into())
    })?;
    let number = generated.first().map(|g| format!("{}-preview", g.number)).unwrap_or_default();
    Ok(pdf_response(bytes, &number, true))
}

/// What issuing answers: every rendition issued (or the unchanged latest) and the PDF.
#[derive(Serialize)]
pub struct IssuedDocument {
    pub kind: DocumentKind,
    pub renditions: Vec<TradeDocumentRecord>,
    pub pdf: Option<TradeDocumentRecord>,
    /// Inconsistencies across the set after this issue, if any.
    pub inconsistencies: Vec<Inconsistency>,
}

/// The rendition's stored kind: the document kind for the first, `kind_<format tail>` for
/// the others (e.g. `bill_of_lading_ubl`).
fn rendition_kind(kind: DocumentKind, index: usize, g: &Generated) -> String {
    if index == 0 {
        return kind.as_str().to_string();
    }
    let tail: String = g
        .format
        .split(['/', '-', '.'])
        .next()
        .unwrap_or("alt")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    format!("{}_{tail}", kind.as_str())
}

/// The issuer issues `kind` for the order: every rendition as the next version when the
/// facts changed since the last one (otherwise the last one again), and a PDF with the
/// renditions attached.
#[utoipa::path(post, path = "/api/v1/orders/{id}/document-set/{kind}", tag = "documents",
    params(("id" = String, Path), ("kind" = String, Path)),
    responses((status = 201, description = "a new version", body = Object),
        (status = 200, description = "nothing changed: the latest version", body = Object),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem),
        (status = 404, body = crate::problem::Problem)))]
pub async fn issue(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let kind = parse_kind(&kind)?;
    let org = user.organization_id()?.to_string();
    let (role, sources) = state.store.document_sources(&org, &id).await?;
    if !role.issues(kind) {
        return Err(ApiError::Refused(match kind.issuer() {
            Issuer::Seller => format!("the seller issues the {}", kind.title().to_lowercase()),
            Issuer::Buyer => format!("the buyer issues the {}", kind.title().to_lowercase()),
            Issuer::Carrier => format!("the order's carrier issues the {}", kind.title().to_lowercase()),
            Issuer::Named => format!(
                "a {} is issued by the company a party asked (POST /api/v1/orders/{{id}}/document-requests)",
                kind.title().to_lowercase()
            ),
        }));
    }
    if !sources.order.order.status.is_binding() && sources.order.order.status.label() != "completed" {
        return Err(ApiError::Refused(format!(
            "the order is {}; documents are issued for an order both sides agreed",
            sources.order.order.status.label()
        )));
    }
    let facts = trade_facts(&state, &org, kind, &role, &sources).await?;
    let today = time::OffsetDateTime::now_utc().date();
    // Generate once up front: a missing field issues nothing, and the renditions name the
    // stored kinds.
    let stored_kinds: Vec<String> = tradewind_documents::set::generate(kind, &facts, 1, today)
        .map_err(generate_error)?
        .iter()
        .enumerate()
        .map(|(index, g)| rendition_kind(kind, index, g))
        .collect();
    let actor = user.actor();
    let mut renditions = Vec::new();
    let mut latest: Option<Vec<Generated>> = None;
    for (index, stored_kind) in stored_kinds.iter().enumerate() {
        let record = state
            .store
            .issue_document(&actor, &org, &id, stored_kind, today, |version, date| {
                let all = tradewind_documents::set::generate(kind, &facts, version, date)
                    .map_err(|e| StoreError::Refused(e.to_string()))?;
                let g = all.into_iter().nth(index).ok_or_else(|| StoreError::Refused("rendition vanished".into()))?;
                Ok(DocumentDraft {
                    number: g.number,
                    format: g.format,
                    media_type: g.media_type,
                    content: g.content,
                    summary: if index == 0 { serde_json::to_value(&g.summary).ok() } else { None },
                })
            })
            .await?;
        if index == 0 {
            let date = date_of(&record.issued_at).unwrap_or(today);
            latest =
                Some(tradewind_documents::set::generate(kind, &facts, record.version, date).map_err(generate_error)?);
        }
        renditions.push(record);
    }
    let first = renditions.first().cloned().ok_or_else(|| ApiError::Internal("no rendition".into()))?;
    let pdf_kind = format!("{}_pdf", kind.as_str());
    let pdf = match state.store.latest_document(&org, &id, &pdf_kind).await? {
        Some(p) if p.version == first.version => Some(p),
        _ => match render_pdf(
            latest.as_deref().unwrap_or_default(),
            // Each version is verifiable from the start; its PDF carries the QR code to it.
            Some(
                crate::api::verifiable::make_trade_document_verifiable(
                    &state,
                    &user,
                    &id,
                    &first.id,
                    crate::api::verifiable::VerifiableFormat::OpenAttestation,
                )
                .await?
                .verify_url,
            ),
        )
        .await?
        {
            Some(bytes) => Some(
                state
                    .store
                    .issue_document(&actor, &org, &id, &pdf_kind, today, |_, _| {
                        Ok(DocumentDraft {
                            number: first.number.clone(),
                            format: format!("pdf-a-3b/{}", kind.as_str()),
                            media_type: "application/pdf".into(),
                            content: bytes.clone(),
                            summary: None,
                        })
                    })
                    .await?,
            ),
            None => None,
        },
    };
    let inconsistencies = set_inconsistencies(&state, &org, &id).await?;
    let status = if first.new_version { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(IssuedDocument { kind, renditions, pdf, inconsistencies })).into_response())
}

/// The latest issued version's summary of each kind in the set.
async fn issued_summaries(state: &AppState, org: &str, id: &str) -> Result<Vec<DocumentSummary>, ApiError> {
    Ok(state
        .store
        .set_summaries(org, id)
        .await?
        .into_iter()
        .filter_map(|s| serde_json::from_value::<DocumentSummary>(s).ok())
        .collect())
}

async fn set_inconsistencies(state: &AppState, org: &str, id: &str) -> Result<Vec<Inconsistency>, ApiError> {
    Ok(consistency::check(&issued_summaries(state, org, id).await?))
}

/// The state of one kind in the set, for the caller.
#[derive(Serialize)]
pub struct SetEntry {
    pub kind: DocumentKind,
    pub title: &'static str,
    pub issuer: Issuer,
    /// Whether the caller issues this kind.
    pub yours: bool,
    /// The latest issued version of its first rendition, if any.
    pub latest: Option<TradeDocumentRecord>,
    /// What the facts lack for it now (empty when it can be issued).
    pub missing: Vec<tradewind_domain::validation::FieldError>,
}

/// The whole set and its cross-document check.
#[derive(Serialize)]
pub struct DocumentSet {
    pub role: DocumentRole,
    pub documents: Vec<SetEntry>,
    /// Inconsistencies across the issued documents and the drafts of those not issued yet.
    pub inconsistencies: Vec<Inconsistency>,
    pub requests: Vec<DocumentRequestRecord>,
}

pub(crate) async fn document_set(state: &AppState, user: &CurrentUser, id: &str) -> Result<DocumentSet, ApiError> {
    let org = user.organization_id()?.to_string();
    let (role, sources) = state.store.document_sources(&org, id).await?;
    let issued = state.store.order_documents(&org, id).await?;
    let mut summaries = issued_summaries(state, &org, id).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let mut documents = Vec::new();
    // The facts differ by kind only in the named third-party issuer.
    let shared = trade_facts(state, &org, DocumentKind::CommercialInvoice, &role, &sources).await?;
    for kind in DocumentKind::ALL {
        let yours = role.issues(kind);
        let latest = issued.iter().rev().find(|d| d.kind == kind.as_str()).cloned();
        if !role.is_party() && !yours {
            continue;
        }
        let named;
        let facts = if kind.issuer() == Issuer::Named {
            named = trade_facts(state, &org, kind, &role, &sources).await?;
            &named
        } else {
            &shared
        };
        let mut missing = Vec::new();
        match tradewind_documents::set::generate(kind, facts, 1, today) {
            Ok(g) => {
                if latest.is_none() {
                    summaries.extend(g.first().map(|g| g.summary.clone()));
                }
            }
            Err(GenerateError::Missing(e)) => missing = e.0,
            Err(_) => {}
        }
        documents.push(SetEntry { kind, title: kind.title(), issuer: kind.issuer(), yours, latest, missing });
    }
    let requests = if role.is_party() {
        sources.requests.clone()
    } else {
        sources.requests.iter().filter(|r| r.issuer_org == org).cloned().collect()
    };
    Ok(DocumentSet { role, documents, inconsistencies: consistency::check(&summaries), requests })
}

/// Every kind of the set with who issues it, its latest version and what it still lacks,
/// and the inconsistencies across the set (issued versions and drafts).
#[utoipa::path(get, path = "/api/v1/orders/{id}/document-set", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn overview(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<DocumentSet>, ApiError> {
    Ok(Json(document_set(&state, &user, &id).await?))
}

/// The inconsistencies across the set alone.
#[utoipa::path(get, path = "/api/v1/orders/{id}/document-set/consistency", tag = "documents",
    params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn consistency_check(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Inconsistency>>, ApiError> {
    Ok(Json(document_set(&state, &user, &id).await?.inconsistencies))
}

/// The fields the caller's company adds to this order's documents.
#[utoipa::path(get, path = "/api/v1/orders/{id}/document-set/fields", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn get_fields(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<PartyFields>, ApiError> {
    let org = user.organization_id()?.to_string();
    let (_, sources) = state.store.document_sources(&org, &id).await?;
    Ok(Json(sources.fields.get(&org).cloned().unwrap_or_default()))
}

/// Replaces the fields the caller's company adds (marks, signatory, packing per line…);
/// every document issued afterwards reads them.
#[utoipa::path(put, path = "/api/v1/orders/{id}/document-set/fields", tag = "documents", params(("id" = String, Path)),
    request_body = Object,
    responses((status = 200, body = Object), (status = 422, body = crate::problem::Problem),
        (status = 404, body = crate::problem::Problem)))]
pub async fn put_fields(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(fields): Json<PartyFields>,
) -> Result<Json<PartyFields>, ApiError> {
    let org = user.organization_id()?.to_string();
    fields.validate()?;
    let (_, sources) = state.store.document_sources(&org, &id).await?;
    if fields.lines.len() > sources.order.order.terms.lines.len() {
        return Err(ApiError::Invalid(ValidationErrors::single(
            "lines",
            "too_many",
            format!(
                "the order has {} lines; give packing and origin for at most that many",
                sources.order.order.terms.lines.len()
            ),
        )));
    }
    Ok(Json(state.store.put_document_fields(&user.actor(), &org, &id, &fields).await?))
}

#[derive(Deserialize)]
pub struct DocumentRequestForm {
    pub kind: String,
    /// The company asked to issue: its organization id.
    pub issuer: String,
    #[serde(default)]
    pub note: String,
}

/// A party asks a chamber or authority (certificate of origin), an insurer (insurance
/// certificate) or a bank (letter of indemnity) to issue a document for the order.
#[utoipa::path(post, path = "/api/v1/orders/{id}/document-requests", tag = "documents", params(("id" = String, Path)),
    request_body = Object,
    responses((status = 201, body = Object), (status = 409, body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
pub async fn request(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(form): Json<DocumentRequestForm>,
) -> Result<(StatusCode, Json<DocumentRequestRecord>), ApiError> {
    let org = user.organization_id()?.to_string();
    let kind = parse_kind(&form.kind)?;
    let r = state.store.request_document(&user.actor(), &org, &id, kind, form.issuer.trim(), &form.note).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Requests the caller's company sent or received, newest first.
#[utoipa::path(get, path = "/api/v1/document-requests", tag = "documents",
    responses((status = 200, body = Object)))]
pub async fn requests(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<DocumentRequestRecord>>, ApiError> {
    let org = user.organization_id()?.to_string();
    Ok(Json(state.store.document_requests(&org).await?))
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    pub reason: String,
}

/// The asked company rejects a request with a reason the applicant can act on.
#[utoipa::path(post, path = "/api/v1/document-requests/{request_id}/reject", tag = "documents",
    params(("request_id" = String, Path)), request_body = Object,
    responses((status = 200, body = Object), (status = 409, body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
pub async fn reject(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(request_id): Path<String>,
    Json(form): Json<RejectForm>,
) -> Result<Json<DocumentRequestRecord>, ApiError> {
    let org = user.organization_id()?.to_string();
    Ok(Json(state.store.reject_document_request(&user.actor(), &org, &request_id, &form.reason).await?))
}

/// Checks an invoice produced by another system without storing it: safety limits,
/// well-formed XML without DTD, a UBL 2.1 Invoice/CreditNote or CII D16B invoice, and the
/// EN 16931 calculation rules. The body is the XML file.
#[utoipa::path(post, path = "/api/v1/documents/validate", tag = "documents",
    request_body(content = String, content_type = "application/xml"),
    responses((status = 200, body = Object), (status = 413, body = crate::problem::Problem)))]
pub async fn validate(
    _user: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Json<tradewind_documents::import::ValidationReport>, ApiError> {
    Ok(Json(tradewind_documents::import::validate_invoice(&body)))
}

/// What an imported invoice states, for the set's consistency check.
fn imported_summary(inv: &tradewind_documents::import::ImportedInvoice) -> DocumentSummary {
    let mut s = DocumentSummary::new(DocumentKind::CommercialInvoice, inv.number.clone());
    s.seller = inv.seller.name.clone();
    s.buyer = inv.buyer.name.clone();
    s.lines = inv
        .lines
        .iter()
        .map(|l| tradewind_domain::documents::SummaryLine {
            description: l.description.clone().unwrap_or_default(),
            hs_code: l.hs_code.as_deref().and_then(|h| h.parse().ok()),
            quantity: l.quantity,
            unit: l.unit.clone(),
        })
        .collect();
    let currency = inv.currency.parse::<tradewind_domain::codes::CurrencyCode>().ok();
    s.total = match (inv.stated.line_total, currency) {
        (Some(t), Some(c)) => tradewind_domain::Money::new(t, c).ok(),
        _ => None,
    };
    s
}

/// An imported invoice with its check and the stored version.
#[derive(Serialize)]
pub struct ImportedDocument {
    pub report: tradewind_documents::import::ValidationReport,
    pub document: TradeDocumentRecord,
    pub inconsistencies: Vec<Inconsistency>,
}

/// A party uploads an invoice produced by another system (UBL 2.1 or CII D16B) and links it
/// to the order: it is checked like `/documents/validate`, refused with every finding when a
/// rule fails, otherwise stored as the order's `imported_invoice` (a new version per
/// different file) and compared with the rest of the set.
#[utoipa::path(post, path = "/api/v1/orders/{id}/document-set/import", tag = "documents", params(("id" = String, Path)),
    request_body(content = String, content_type = "application/xml"),
    responses((status = 201, body = Object), (status = 200, body = Object),
        (status = 422, body = crate::problem::Problem), (status = 413, body = crate::problem::Problem),
        (status = 404, body = crate::problem::Problem)))]
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let org = user.organization_id()?.to_string();
    let (role, sources) = state.store.document_sources(&org, &id).await?;
    if !role.is_party() {
        return Err(ApiError::NotFound);
    }
    let report = tradewind_documents::import::validate_invoice(&body);
    let invoice = match tradewind_documents::import::import_invoice(&body) {
        Ok(inv) if report.valid => inv,
        _ => {
            let mut errors = ValidationErrors::new();
            for f in report.findings.iter().filter(|f| f.severity == tradewind_documents::import::Severity::Fatal) {
                errors.push("file", "invalid_invoice", format!("{}: {}", f.rule, f.message));
            }
            if errors.is_empty() {
                errors.push("file", "invalid_invoice", "the invoice could not be read");
            }
            return Err(ApiError::Invalid(errors));
        }
    };
    if invoice.currency != sources.order.order.terms.currency.to_string() {
        return Err(ApiError::Invalid(ValidationErrors::single(
            "file",
            "currency_mismatch",
            format!(
                "the invoice is in {} but the order is in {}; upload the invoice for this order",
                invoice.currency, sources.order.order.terms.currency
            ),
        )));
    }
    let summary = imported_summary(&invoice);
    let syntax = match invoice.syntax {
        tradewind_documents::import::Syntax::Ubl => "ubl-2.1",
        tradewind_documents::import::Syntax::Cii => "cii-d16b",
    };
    let today = time::OffsetDateTime::now_utc().date();
    let content = body.to_vec();
    let record = state
        .store
        .issue_document(&user.actor(), &org, &id, "imported_invoice", today, |_, _| {
            Ok(DocumentDraft {
                number: invoice.number.clone(),
                format: format!("{syntax}-invoice/imported"),
                media_type: "application/xml".into(),
                content: content.clone(),
                summary: serde_json::to_value(&summary).ok(),
            })
        })
        .await?;
    let inconsistencies = set_inconsistencies(&state, &org, &id).await?;
    let status = if record.new_version { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(ImportedDocument { report, document: record, inconsistencies })).into_response())
}
