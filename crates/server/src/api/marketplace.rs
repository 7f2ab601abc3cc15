//! Before the deal: product listings, trade leads and RFQs, quotes and their comparison,
//! explained buyer-seller matching, notifications, HS code suggestions.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::problem::{ApiError, Json, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use tradewind_domain::marketplace::hs_suggestion;
use tradewind_domain::marketplace::matching::{self, Factor, RfqProfile, SupplierOffer, Weights};
use tradewind_domain::marketplace::{FxRates, LeadForm, LeadSide, ProductForm, QuoteForm, unit_price_for};
use tradewind_domain::{CurrencyCode, HsCode, Money, ValidationErrors};
use tradewind_store::{Lead, Product, QuoteRecord, Store};

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Refuses HS codes that are well-formed but not in the loaded nomenclature.
pub(crate) async fn check_hs_exists(
    store: &Store,
    e: &mut ValidationErrors,
    field: &str,
    code: Option<&HsCode>,
) -> Result<(), ApiError> {
    if let Some(c) = code
        && store.get_hs(c.as_str()).await?.is_none()
    {
        e.push(
            field,
            "unknown_hs_code",
            format!("{c} is not in the HS 2022 nomenclature; find the right code with /api/v1/reference/hs"),
        );
    }
    Ok(())
}

/// A product listing with its company's badge.
#[derive(Serialize)]
pub struct ProductView {
    #[serde(flatten)]
    pub product: Product,
    pub company_verified: bool,
    /// Images and documents, downloadable at `/api/v1/products/{id}/attachments/{attachment_id}`.
    pub attachments: Vec<tradewind_store::ProductAttachment>,
}

/// List a product (any member of a company).
#[utoipa::path(post, path = "/api/v1/products", tag = "marketplace", request_body = Object,
    responses((status = 201, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn create_product(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(form): Json<ProductForm>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.organization_id()?.to_string();
    let listing = form.validate();
    let mut e = listing.as_ref().err().cloned().unwrap_or_default();
    if let Ok(l) = &listing {
        check_hs_exists(&state.store, &mut e, "hs_code", Some(&l.hs_code)).await?;
    }
    let listing = match listing {
        Ok(l) if e.is_empty() => l,
        _ => return Err(ApiError::Invalid(e)),
    };
    let product = state.store.create_product(&user.actor(), &org, &listing).await?;
    crate::search::kick(&state);
    let (verified, _) = state.store.organization_badge(&org).await?;
    Ok((StatusCode::CREATED, Json(ProductView { product, company_verified: verified, attachments: vec![] })))
}

/// Whether `user` may see a listing: visible listings to everyone logged in, hidden ones to
/// their owner and the operator only.
pub(crate) fn can_see(user: &CurrentUser, owner: &str, hidden: bool) -> bool {
    !hidden || user.user.is_operator || user.user.organization_id.as_deref() == Some(owner)
}

/// A product listing.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "marketplace", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn get_product(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ProductView>, ApiError> {
    let product = state.store.get_product(&id).await?;
    if !can_see(&user, &product.organization_id, product.hidden) {
        return Err(ApiError::NotFound);
    }
    let (verified, _) = state.store.organization_badge(&product.organization_id).await?;
    let attachments = state.store.list_product_attachments(&product.id).await?;
    Ok(Json(ProductView { product, company_verified: verified, attachments }))
}

/// Attach an image or document to one of the caller's listings (multipart `file`: PNG, JPEG
/// or PDF, at most 10 MiB; at most 10 files a listing).
#[utoipa::path(post, path = "/api/v1/products/{id}/attachments", tag = "marketplace", params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "a field named `file`"),
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn add_product_attachment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.organization_id()?.to_string();
    let (filename, declared, bytes) = super::organizations::read_upload(multipart?).await?;
    let kind = tradewind_domain::organization::check_evidence(&declared, &bytes)?;
    let a = state.store.add_product_attachment(&user.actor(), &org, &id, &filename, kind.mime(), &bytes).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Download a listing's attachment (whoever may see the listing).
#[utoipa::path(get, path = "/api/v1/products/{id}/attachments/{attachment_id}", tag = "marketplace",
    params(("id" = String, Path), ("attachment_id" = String, Path)),
    responses((status = 200, description = "the file"), (status = 404, body = crate::problem::Problem)))]
pub async fn product_attachment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let product = state.store.get_product(&id).await?;
    if !can_see(&user, &product.organization_id, product.hidden) {
        return Err(ApiError::NotFound);
    }
    let (a, bytes) = state.store.get_product_attachment(&id, &attachment_id).await?;
    let disposition = format!("inline; filename=\"{}\"", a.filename.replace(['"', '\\', '\r', '\n'], "_"));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, a.content_type.clone()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (axum::http::header::HeaderName::from_static("x-content-sha256"), a.sha256.clone()),
        ],
        bytes,
    ))
}

/// A trade lead with its company's badge.
#[derive(Serialize)]
pub struct LeadView {
    #[serde(flatten)]
    pub lead: Lead,
    /// Leads from unverified companies are allowed, and labelled.
    pub company_verified: bool,
    pub expired: bool,
}

async fn lead_view(store: &Store, lead: Lead) -> Result<LeadView, ApiError> {
    let (verified, _) = store.organization_badge(&lead.organization_id).await?;
    let expired = lead.lead.expires_on < today();
    Ok(LeadView { lead, company_verified: verified, expired })
}

/// Post a trade lead: a sell offer or a buy request (RFQ). A buy request is matched at
/// once and the best suppliers are notified.
#[utoipa::path(post, path = "/api/v1/leads", tag = "marketplace", request_body = Object,
    responses((status = 201, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn create_lead(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(form): Json<LeadForm>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.organization_id()?.to_string();
    let lead = form.validate(today());
    let mut e = lead.as_ref().err().cloned().unwrap_or_default();
    if let Ok(l) = &lead {
        check_hs_exists(&state.store, &mut e, "hs_code", l.hs_code.as_ref()).await?;
    }
    let lead = match lead {
        Ok(l) if e.is_empty() => l,
        _ => return Err(ApiError::Invalid(e)),
    };
    let stored = state.store.create_lead(&user.actor(), &org, &lead).await?;
    crate::search::kick(&state);
    notify_matches(&state, &user, &stored).await?;
    Ok((StatusCode::CREATED, Json(lead_view(&state.store, stored).await?)))
}

/// Tells the best-matching suppliers about a new buy request (sell offers notify no one).
pub async fn notify_matches(state: &AppState, user: &CurrentUser, stored: &Lead) -> Result<(), ApiError> {
    if stored.lead.side == LeadSide::Buy {
        let matches = rank_suppliers(&state.store, stored, 10).await?;
        let items: Vec<_> = matches
            .iter()
            .map(|m| {
                (
                    m.organization_id.clone(),
                    "rfq_match".to_string(),
                    format!("A buy request matches your {}", m.product_title),
                    json!({"lead_id": stored.id, "product_id": m.product_id, "score": m.score}),
                )
            })
            .collect();
        state.store.notify(&user.actor(), &items).await?;
    }
    Ok(())
}

/// A trade lead.
#[utoipa::path(get, path = "/api/v1/leads/{id}", tag = "marketplace", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn get_lead(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<LeadView>, ApiError> {
    let lead = state.store.get_lead(&id).await?;
    if !can_see(&user, &lead.organization_id, lead.hidden) {
        return Err(ApiError::NotFound);
    }
    Ok(Json(lead_view(&state.store, lead).await?))
}

/// The caller's company's leads.
#[utoipa::path(get, path = "/api/v1/organizations/me/leads", tag = "marketplace", responses((status = 200, body = Object)))]
pub async fn my_leads(State(state): State<AppState>, user: CurrentUser) -> Result<Json<serde_json::Value>, ApiError> {
    let mut items = Vec::new();
    for l in state.store.list_leads(user.organization_id()?).await? {
        items.push(lead_view(&state.store, l).await?);
    }
    Ok(Json(json!({"items": items})))
}

/// One ranked supplier for a buy request, with the explanation.
#[derive(Serialize, Clone)]
pub struct SupplierMatch {
    pub organization_id: String,
    pub legal_name: String,
    pub verified: bool,
    pub product_id: String,
    pub product_title: String,
    pub score: f64,
    pub factors: Vec<Factor>,
}

/// Converts `amount` of `from` into `to`, if rates allow; the same currency is free.
fn convert(fx: Option<&FxRates>, amount: Decimal, from: CurrencyCode, to: CurrencyCode) -> Option<Decimal> {
    if from == to {
        return Some(amount);
    }
    let m = Money::new(amount.round_dp(u32::from(from.minor_units().unwrap_or(0))), from).ok()?;
    fx?.convert(&m, to).map(|c| c.amount.amount())
}

/// What matching needs of a buy request.
fn rfq_profile(lead: &Lead) -> RfqProfile {
    RfqProfile {
        hs_code: lead.lead.hs_code.clone(),
        text: format!("{} {}", lead.lead.title, lead.lead.description),
        quantity: lead.lead.quantity,
        target_unit_price: lead.lead.target_price.map(|m| m.amount()),
        incoterm: lead.lead.incoterm,
        destination: lead.lead.country,
    }
}

/// What matching needs of a listing, for one request: the tier price for the requested
/// quantity in the request's currency, and the supplier's track record.
fn supplier_offer(
    p: &Product,
    lead: &Lead,
    history: &tradewind_store::SupplierHistory,
    verified: bool,
    fx: Option<&FxRates>,
) -> SupplierOffer {
    let target_currency = lead.lead.target_price.map(|m| m.currency()).unwrap_or(p.listing.currency);
    let price = unit_price_for(&p.listing.price_tiers, lead.lead.quantity)
        .and_then(|x| convert(fx, x, p.listing.currency, target_currency));
    SupplierOffer {
        hs_code: p.listing.hs_code.clone(),
        text: format!("{} {}", p.listing.title, p.listing.description),
        moq: p.listing.moq,
        capacity: p.listing.supply_capacity,
        unit_price: price,
        incoterms: history.incoterms.clone(),
        exports_to_destination: history.export_countries.iter().any(|c| c == lead.lead.country.as_str()),
        verified,
        response_rate: history.response_rate,
    }
}

/// Most listings scored for one request: bounds the work per request.
pub const MATCH_CANDIDATES: usize = 300;

/// Ranks suppliers for a buy request: candidates share the HS chapter when the request has
/// a code, otherwise any listing; each supplier appears once, with its best product.
pub async fn rank_suppliers(store: &Store, lead: &Lead, limit: usize) -> Result<Vec<SupplierMatch>, ApiError> {
    // Closest codes first (subheading, then heading, then chapter), so that the bounded
    // candidate set keeps the listings that can score best on the heaviest factor.
    let code = lead.lead.hs_code.as_ref().map(|h| h.as_str().to_string()).unwrap_or_default();
    let prefixes: Vec<&str> = if code.is_empty() {
        vec![""]
    } else {
        [6, 4, 2].iter().filter(|n| **n <= code.len()).map(|n| &code[..*n]).collect()
    };
    let mut candidates: Vec<Product> = Vec::new();
    let mut seen_products = std::collections::HashSet::new();
    for prefix in prefixes {
        if candidates.len() >= MATCH_CANDIDATES {
            break;
        }
        for p in store.products_with_hs_prefix(prefix, MATCH_CANDIDATES).await? {
            if p.organization_id != lead.organization_id
                && candidates.len() < MATCH_CANDIDATES
                && seen_products.insert(p.id.clone())
            {
                candidates.push(p);
            }
        }
    }
    let fx = store.fx_rates().await?;
    let rfq = rfq_profile(lead);
    let mut histories = HashMap::new();
    let mut badges = HashMap::new();
    let mut offers = Vec::with_capacity(candidates.len());
    for p in candidates {
        if !histories.contains_key(&p.organization_id) {
            histories.insert(p.organization_id.clone(), store.supplier_history(&p.organization_id).await?);
            let org = store.get_organization(&p.organization_id).await?;
            let verified = org.verification == tradewind_domain::organization::VerificationStatus::Verified;
            badges.insert(p.organization_id.clone(), (org.legal_name, verified));
        }
        let (_, verified) = &badges[&p.organization_id];
        let offer = supplier_offer(&p, lead, &histories[&p.organization_id], *verified, fx.as_ref());
        offers.push((p, offer));
    }
    let ranked = matching::rank(&rfq, offers, &Weights::default());
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (p, s) in ranked {
        if !seen.insert(p.organization_id.clone()) {
            continue;
        }
        let (name, verified) = badges.get(&p.organization_id).cloned().unwrap_or_default();
        out.push(SupplierMatch {
            organization_id: p.organization_id.clone(),
            legal_name: name,
            verified,
            product_id: p.id.clone(),
            product_title: p.listing.title.clone(),
            score: s.score,
            factors: s.factors,
        });
        if out.len() == limit {
            break;
        }
    }
    Ok(out)
}

/// Ranked suppliers for one of the caller's buy requests, each with its explanation.
#[utoipa::path(get, path = "/api/v1/rfqs/{id}/matches", tag = "marketplace", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn rfq_matches(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let lead = state.store.get_lead(&id).await?;
    let owner = user.user.organization_id.as_deref() == Some(lead.organization_id.as_str());
    if !(owner || user.user.is_operator) || lead.lead.side != LeadSide::Buy {
        return Err(ApiError::NotFound);
    }
    if lead.lead.expires_on < today() {
        return Ok(Json(json!({"items": [], "note": "this request has expired and is no longer matched"})));
    }
    let items = rank_suppliers(&state.store, &lead, 20).await?;
    Ok(Json(json!({"items": items, "weights": Weights::default()})))
}

/// Open buy requests that the caller's company could serve, best first, explained.
#[utoipa::path(get, path = "/api/v1/organizations/me/rfq-matches", tag = "marketplace", responses((status = 200, body = Object)))]
pub async fn rfqs_for_me(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<serde_json::Value>, ApiError> {
    let org = user.organization_id()?.to_string();
    let products: Vec<Product> = state.store.list_products(&org).await?.into_iter().filter(|p| !p.hidden).collect();
    let history = state.store.supplier_history(&org).await?;
    let (verified, _) = state.store.organization_badge(&org).await?;
    let fx = state.store.fx_rates().await?;
    let mut items = Vec::new();
    for lead in state.store.open_rfqs(today(), &org, 500).await? {
        let rfq = rfq_profile(&lead);
        let offers: Vec<_> =
            products.iter().map(|p| (p, supplier_offer(p, &lead, &history, verified, fx.as_ref()))).collect();
        if let Some((p, s)) = matching::rank(&rfq, offers, &Weights::default()).into_iter().next() {
            items.push(json!({"lead_id": lead.id, "title": lead.lead.title, "product_id": p.id, "score": s.score, "factors": s.factors}));
        }
    }
    items.sort_by(|a, b| b["score"].as_f64().unwrap_or(0.0).total_cmp(&a["score"].as_f64().unwrap_or(0.0)));
    items.truncate(50);
    Ok(Json(json!({"items": items})))
}

/// Answer a buy request with a quote.
#[utoipa::path(post, path = "/api/v1/rfqs/{id}/quotes", tag = "marketplace", params(("id" = String, Path)), request_body = Object,
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn create_quote(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(form): Json<QuoteForm>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.organization_id()?.to_string();
    let lead = state.store.get_lead(&id).await?;
    if !can_see(&user, &lead.organization_id, lead.hidden) {
        return Err(ApiError::NotFound);
    }
    let quote = form.validate(today())?;
    let q = state.store.create_quote(&user.actor(), &org, &id, &quote).await?;
    Ok((StatusCode::CREATED, Json(q)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CompareQuery {
    /// Currency to compare in (ISO 4217); defaults to the request's target currency or USD.
    pub currency: Option<String>,
}

/// A quote beside the others, converted to one currency.
#[derive(Serialize)]
pub struct ComparedQuote {
    #[serde(flatten)]
    pub quote: QuoteRecord,
    pub seller_name: String,
    pub seller_verified: bool,
    /// The unit price in the comparison currency, with the rate used.
    pub converted_unit_price: Option<Money>,
    pub converted_total: Option<Money>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub rate: Option<Decimal>,
}

/// The quotes on a buy request. The buyer sees all of them side by side in one currency;
/// a seller sees only its own.
#[utoipa::path(get, path = "/api/v1/rfqs/{id}/quotes", tag = "marketplace", params(("id" = String, Path), CompareQuery),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn list_quotes(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<CompareQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let lead = state.store.get_lead(&id).await?;
    let visible = visible_quotes(&state, &user, &lead).await?;
    let currency = comparison_currency(&lead, q.currency.as_deref())?;
    let c = compare_quotes(&state, &lead, visible, currency).await?;
    let rates = c.rates.map(|f| json!({"base": f.base, "as_of": f.as_of, "source": f.source}));
    Ok(Json(json!({"currency": c.currency, "quantity": c.quantity.to_string(), "rates": rates, "items": c.items})))
}

/// The quotes on a request that `user` may see: all of them for the buyer and the
/// operator, only its own for a seller; not found when the request is hidden from them.
pub async fn visible_quotes(state: &AppState, user: &CurrentUser, lead: &Lead) -> Result<Vec<QuoteRecord>, ApiError> {
    let me = user.user.organization_id.clone().unwrap_or_default();
    let is_buyer = lead.organization_id == me;
    let all = state.store.list_quotes(&lead.id).await?;
    if is_buyer || user.user.is_operator {
        return Ok(all);
    }
    let mine: Vec<_> = all.into_iter().filter(|x| x.organization_id == me).collect();
    if mine.is_empty() && !can_see(user, &lead.organization_id, lead.hidden) {
        return Err(ApiError::NotFound);
    }
    Ok(mine)
}

/// The currency to compare quotes in: the one asked for, else the request's target
/// currency, else USD.
pub fn comparison_currency(lead: &Lead, asked: Option<&str>) -> Result<CurrencyCode, ApiError> {
    match asked {
        Some(c) => c.parse().map_err(|e: tradewind_domain::codes::CodeError| {
            ApiError::field("currency", "unknown_currency", e.to_string())
        }),
        None => match lead.lead.target_price {
            Some(m) => Ok(m.currency()),
            None => "USD".parse().map_err(|e: tradewind_domain::codes::CodeError| ApiError::Internal(e.to_string())),
        },
    }
}

/// Quotes side by side in one currency, cheapest first, with the rate table used.
pub struct QuoteComparison {
    pub currency: CurrencyCode,
    /// The requested quantity, which the totals are for.
    pub quantity: Decimal,
    pub rates: Option<FxRates>,
    pub items: Vec<ComparedQuote>,
}

/// Converts each quote's unit price (and the total for the requested quantity) into
/// `currency` and sorts them cheapest first; quotes that cannot be converted go last.
pub async fn compare_quotes(
    state: &AppState,
    lead: &Lead,
    quotes: Vec<QuoteRecord>,
    currency: CurrencyCode,
) -> Result<QuoteComparison, ApiError> {
    let fx = state.store.fx_rates().await?;
    let mut items = Vec::new();
    for quote in quotes {
        let org = state.store.get_organization(&quote.organization_id).await?;
        let conv = if quote.quote.unit_price.currency() == currency {
            Some((quote.quote.unit_price, Decimal::ONE))
        } else {
            fx.as_ref().and_then(|f| f.convert(&quote.quote.unit_price, currency)).map(|c| (c.amount, c.rate))
        };
        let total = conv.and_then(|(m, _)| {
            let scale = u32::from(currency.minor_units().unwrap_or(0));
            Money::new((m.amount() * lead.lead.quantity).round_dp(scale), currency).ok()
        });
        items.push(ComparedQuote {
            seller_name: org.legal_name.clone(),
            seller_verified: org.verification == tradewind_domain::organization::VerificationStatus::Verified,
            converted_unit_price: conv.map(|c| c.0),
            converted_total: total,
            rate: conv.map(|c| c.1),
            quote,
        });
    }
    items.sort_by(|a, b| match (&a.converted_unit_price, &b.converted_unit_price) {
        (Some(x), Some(y)) => x.amount().cmp(&y.amount()),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    Ok(QuoteComparison { currency, quantity: lead.lead.quantity, rates: fx, items })
}

/// The buyer accepts a quote: the others are declined, and the seller is told. Accepting
/// the same quote again is harmless.
#[utoipa::path(post, path = "/api/v1/quotes/{id}/accept", tag = "marketplace", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn accept_quote(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<QuoteRecord>, ApiError> {
    let org = user.organization_id()?.to_string();
    let q = state.store.accept_quote(&user.actor(), &org, &id).await?;
    crate::search::kick(&state);
    Ok(Json(q))
}

/// The caller's company's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "marketplace", responses((status = 200, body = Object)))]
pub async fn notifications(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json!({"items": state.store.list_notifications(user.organization_id()?, 100).await?})))
}

/// The exchange rates used to compare prices.
#[utoipa::path(get, path = "/api/v1/reference/fx", tag = "reference", responses((status = 200, body = Object)))]
pub async fn fx(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let rates = state.store.fx_rates().await?;
    Ok(Json(json!(rates)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SuggestQuery {
    /// A product description in words.
    #[serde(default)]
    pub text: String,
}

/// Likely HS codes for a product description, best first: candidates share a word with it
/// in the loaded nomenclature; the domain ranks them.
pub(crate) async fn hs_suggestions(store: &Store, text: &str) -> Result<Vec<hs_suggestion::HsSuggestion>, ApiError> {
    let mut candidates: HashMap<String, tradewind_store::reference::HsRow> = HashMap::new();
    for w in hs_suggestion::search_words(text) {
        for h in store.search_hs(&w, "", 200).await?.items {
            candidates.insert(h.code.clone(), h);
        }
    }
    let entries = candidates.into_values().map(|h| (h.code, h.description, h.level == 6));
    Ok(hs_suggestion::rank(text, entries, 10))
}

/// Likely HS subheadings for a product description, best first, with why.
#[utoipa::path(get, path = "/api/v1/reference/hs/suggest", tag = "reference", params(SuggestQuery),
    responses((status = 200, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn suggest_hs(
    State(state): State<AppState>,
    Query(q): Query<SuggestQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let text = q.text.trim();
    if text.is_empty() {
        return Err(ApiError::field("text", "required", "describe the product in a few words"));
    }
    if text.chars().count() > 500 || text.chars().any(char::is_control) {
        return Err(ApiError::field(
            "text",
            "invalid",
            "text must be at most 500 characters, without control characters",
        ));
    }
    let items = hs_suggestions(&state.store, text).await?;
    Ok(Json(json!({"items": items})))
}
