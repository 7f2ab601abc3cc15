//! Keeps the search index in step with the database and answers `/api/v1/search`.
//!
//! Every change to a product, lead or company writes a row to the store's `search_outbox`
//! in the same transaction. The indexer turns outbox rows into index documents, commits the
//! index, and only then deletes the rows, so a crash in between replays the change instead
//! of losing it. Searches first catch up with the outbox, so a company finds what it has
//! just posted.

use crate::AppState;
use crate::problem::{ApiError, Json, Query};
use axum::extract::State;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::{Mutex, Notify};
use tradewind_domain::marketplace::{FxRates, LeadSide};
use tradewind_domain::organization::VerificationStatus;
use tradewind_domain::{CurrencyCode, Money};
use tradewind_search::{DocKind, SearchDoc, SearchIndex, SearchQuery, SortBy};
use tradewind_store::{Store, StoreError};

/// The index and its indexer.
#[derive(Clone)]
pub struct SearchService {
    pub index: SearchIndex,
    wake: Arc<Notify>,
    /// One catch-up at a time, so outbox rows are applied in order.
    applying: Arc<Mutex<()>>,
}

impl SearchService {
    pub fn new(index: SearchIndex) -> SearchService {
        SearchService { index, wake: Arc::new(Notify::new()), applying: Arc::new(Mutex::new(())) }
    }

    /// Runs the indexer in the background: it wakes on [`kick`] and every few seconds.
    pub fn spawn_indexer(&self, store: Store) {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), me.wake.notified()).await;
                if let Err(e) = me.catch_up(&store).await {
                    tracing::warn!(error = %e, "search indexer: will retry");
                }
            }
        });
    }

    /// Applies every pending outbox row to the index.
    pub async fn catch_up(&self, store: &Store) -> Result<(), ApiError> {
        let _one = self.applying.lock().await;
        loop {
            let pending = store.pending_search_changes(500).await?;
            let Some(last) = pending.last().map(|e| e.seq) else { return Ok(()) };
            let fx = store.fx_rates().await?;
            let mut upserts = Vec::new();
            let mut deletes = Vec::new();
            for entry in &pending {
                match entry.entity_kind.as_str() {
                    "organization" => {
                        // A badge or name change touches every document of the company.
                        upserts.extend(company_docs(store, &entry.entity_id, fx.as_ref()).await?);
                    }
                    kind => match doc_for(store, kind, &entry.entity_id, fx.as_ref()).await? {
                        Some(d) => upserts.push(d),
                        None => deletes.push(entry.entity_id.clone()),
                    },
                }
            }
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || -> Result<(), tradewind_search::SearchError> {
                if !deletes.is_empty() {
                    index.delete(&deletes)?;
                }
                if !upserts.is_empty() {
                    index.upsert(&upserts)?;
                }
                Ok(())
            })
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
            store.ack_search_changes(last).await?;
        }
    }

    /// Rebuilds the index from the database.
    pub async fn reindex(&self, store: &Store) -> Result<u64, ApiError> {
        let _one = self.applying.lock().await;
        let fx = store.fx_rates().await?;
        let mut docs = Vec::new();
        for id in store.all_organization_ids().await? {
            docs.extend(doc_for(store, "company", &id, fx.as_ref()).await?);
        }
        for id in store.all_product_ids().await? {
            docs.extend(doc_for(store, "product", &id, fx.as_ref()).await?);
        }
        for id in store.all_lead_ids().await? {
            docs.extend(doc_for(store, "lead", &id, fx.as_ref()).await?);
        }
        let pending = store.pending_search_changes(1_000_000).await?;
        let index = self.index.clone();
        let n = tokio::task::spawn_blocking(move || -> Result<u64, tradewind_search::SearchError> {
            index.clear()?;
            index.load(docs)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
        if let Some(last) = pending.last() {
            store.ack_search_changes(last.seq).await?;
        }
        Ok(n)
    }
}

/// Wakes the indexer after a write.
pub fn kick(state: &AppState) {
    state.search.wake.notify_one();
}

fn usd_micros(fx: Option<&FxRates>, m: Money) -> Option<u64> {
    let usd: CurrencyCode = "USD".parse().ok()?;
    let amount = if m.currency() == usd { m.amount() } else { fx?.convert(&m, usd)?.amount.amount() };
    (amount * Decimal::from(1_000_000)).trunc().to_u64()
}

fn unix(created_at: &str) -> i64 {
    time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .unwrap_or(0)
}

async fn company_docs(store: &Store, org_id: &str, fx: Option<&FxRates>) -> Result<Vec<SearchDoc>, ApiError> {
    let mut docs: Vec<SearchDoc> = doc_for(store, "company", org_id, fx).await?.into_iter().collect();
    for p in store.list_products(org_id).await? {
        docs.extend(doc_for(store, "product", &p.id, fx).await?);
    }
    for l in store.list_leads(org_id).await? {
        docs.extend(doc_for(store, "lead", &l.id, fx).await?);
    }
    Ok(docs)
}

/// The index document for one entity, or `None` when it is gone or hidden.
async fn doc_for(store: &Store, kind: &str, id: &str, fx: Option<&FxRates>) -> Result<Option<SearchDoc>, ApiError> {
    match kind {
        "company" => {
            let Some(o) = found(store.get_organization(id).await)? else { return Ok(None) };
            Ok(Some(SearchDoc {
                kind: DocKind::Company,
                id: o.id.clone(),
                organization_id: o.id.clone(),
                title: o.legal_name.clone(),
                body: format!(
                    "{} {}",
                    o.address.city,
                    o.roles.iter().map(|r| r.as_str().replace('_', " ")).collect::<Vec<_>>().join(" ")
                ),
                country: o.country.to_string(),
                hs_code: None,
                verified: o.verification == VerificationStatus::Verified,
                certifications: vec![],
                incoterm: None,
                lead_side: None,
                price_usd_micros: None,
                moq: None,
                created_at: unix(&o.created_at),
                expires_at: None,
            }))
        }
        "product" => {
            let Some(p) = found(store.get_product(id).await)? else { return Ok(None) };
            if p.hidden {
                return Ok(None);
            }
            let (verified, _) = store.organization_badge(&p.organization_id).await?;
            let l = &p.listing;
            let lowest = l.price_tiers.iter().map(|t| t.unit_price).min();
            Ok(Some(SearchDoc {
                kind: DocKind::Product,
                id: p.id.clone(),
                organization_id: p.organization_id.clone(),
                title: l.title.clone(),
                body: l.description.clone(),
                country: l.origin_country.to_string(),
                hs_code: Some(l.hs_code.to_string()),
                verified,
                certifications: l.certifications.clone(),
                incoterm: None,
                lead_side: None,
                price_usd_micros: lowest.and_then(|a| Money::new(a, l.currency).ok()).and_then(|m| usd_micros(fx, m)),
                moq: l.moq.trunc().to_u64(),
                created_at: unix(&p.created_at),
                expires_at: None,
            }))
        }
        "lead" => {
            let Some(ld) = found(store.get_lead(id).await)? else { return Ok(None) };
            if ld.hidden {
                return Ok(None);
            }
            let (verified, _) = store.organization_badge(&ld.organization_id).await?;
            let l = &ld.lead;
            let expires = l.expires_on.next_day().map(|d| d.midnight().assume_utc().unix_timestamp());
            Ok(Some(SearchDoc {
                kind: DocKind::Lead,
                id: ld.id.clone(),
                organization_id: ld.organization_id.clone(),
                title: l.title.clone(),
                body: l.description.clone(),
                country: l.country.to_string(),
                hs_code: l.hs_code.as_ref().map(|h| h.to_string()),
                verified,
                certifications: vec![],
                incoterm: l.incoterm.map(|i| i.code().to_string()),
                lead_side: Some(match l.side {
                    LeadSide::Sell => tradewind_search::LeadSide::Sell,
                    LeadSide::Buy => tradewind_search::LeadSide::Buy,
                }),
                price_usd_micros: l.target_price.and_then(|m| usd_micros(fx, m)),
                moq: None,
                created_at: unix(&ld.created_at),
                expires_at: expires,
            }))
        }
        _ => Ok(None),
    }
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct SearchParams {
    /// Words to find; typos are tolerated; Chinese, Japanese and Korean work.
    #[serde(default)]
    pub q: String,
    /// product, lead or company (comma-separated); all when absent.
    pub kind: Option<String>,
    /// ISO 3166-1 alpha-2 codes, comma-separated.
    pub country: Option<String>,
    /// HS chapter, heading or subheading prefix.
    pub hs: Option<String>,
    #[serde(default)]
    pub verified: bool,
    pub certification: Option<String>,
    /// Price bounds in `currency` (default USD).
    #[param(value_type = Option<String>)]
    pub price_min: Option<Decimal>,
    #[param(value_type = Option<String>)]
    pub price_max: Option<Decimal>,
    pub currency: Option<String>,
    pub moq_max: Option<u64>,
    pub incoterm: Option<String>,
    /// sell or buy (leads only).
    pub side: Option<String>,
    /// relevance (default), price_asc, price_desc or recent.
    pub sort: Option<String>,
    pub offset: Option<usize>,
    pub limit: Option<usize>,
}

/// Search products, trade leads and companies, with filters and facet counts.
#[utoipa::path(get, path = "/api/v1/search", tag = "marketplace", params(SearchParams),
    responses((status = 200, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn search(
    State(state): State<AppState>,
    _user: crate::auth::CurrentUser,
    Query(p): Query<SearchParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let q = build_query(&state, &p).await?;
    state.search.catch_up(&state.store).await?;
    let index = state.search.index.clone();
    let res = tokio::task::spawn_blocking(move || index.search(&q))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| match e {
            tradewind_search::SearchError::InvalidQuery { field, message } => {
                ApiError::field(field, "invalid_search_query", message)
            }
            other => ApiError::Internal(other.to_string()),
        })?;
    Ok(Json(json!(res)))
}

pub async fn build_query(state: &AppState, p: &SearchParams) -> Result<SearchQuery, ApiError> {
    let mut e = tradewind_domain::ValidationErrors::new();
    let kinds = split(&p.kind)
        .filter_map(|k| match k.as_str() {
            "product" => Some(DocKind::Product),
            "lead" => Some(DocKind::Lead),
            "company" => Some(DocKind::Company),
            other => {
                e.push("kind", "unknown_kind", format!("'{other}' is not a kind; use product, lead or company"));
                None
            }
        })
        .collect();
    let countries = split(&p.country)
        .filter_map(|c| e.check("country", c.parse::<tradewind_domain::CountryCode>()).map(|c| c.to_string()))
        .collect();
    let hs_prefix =
        p.hs.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|h| e.check("hs", h.parse::<tradewind_domain::HsCode>()).map(|c| c.to_string()));
    let incoterm = p
        .incoterm
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|i| e.check("incoterm", i.parse::<tradewind_domain::Incoterm>()).map(|c| c.code().to_string()));
    let lead_side = match p.side.as_deref() {
        None | Some("") => None,
        Some("sell") => Some(tradewind_search::LeadSide::Sell),
        Some("buy") => Some(tradewind_search::LeadSide::Buy),
        Some(other) => {
            e.push("side", "unknown_side", format!("'{other}' is not a side; use sell or buy"));
            None
        }
    };
    let sort = match p.sort.as_deref().unwrap_or("relevance") {
        "relevance" => SortBy::Relevance,
        "price_asc" => SortBy::PriceAsc,
        "price_desc" => SortBy::PriceDesc,
        "recent" => SortBy::Recent,
        other => {
            e.push(
                "sort",
                "unknown_sort",
                format!("'{other}' is not a sort; use relevance, price_asc, price_desc or recent"),
            );
            SortBy::Relevance
        }
    };
    let limit = p.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        e.push("limit", "out_of_range", "limit must be between 1 and 100");
    }
    if p.q.chars().count() > 1000 || p.q.chars().any(char::is_control) {
        e.push("q", "invalid_search_query", "q must be at most 1,000 characters, without control characters");
    }
    let currency = match &p.currency {
        Some(c) => e.check("currency", c.parse::<CurrencyCode>()),
        None => "USD".parse().ok(),
    };
    let fx = state.store.fx_rates().await?;
    let mut bound = |field: &'static str, v: Option<Decimal>| -> Option<u64> {
        let (v, c) = (v?, currency?);
        if v < Decimal::ZERO {
            e.push(field, "negative", format!("{field} must not be negative"));
            return None;
        }
        let m = Money::new(v.round_dp(u32::from(c.minor_units().unwrap_or(0))), c).ok()?;
        let micros = usd_micros(fx.as_ref(), m);
        if micros.is_none() {
            e.push("currency", "no_rate", format!("there is no exchange rate for {c}"));
        }
        micros
    };
    let price_min = bound("price_min", p.price_min);
    let price_max = bound("price_max", p.price_max);
    if !e.is_empty() {
        return Err(ApiError::Invalid(e));
    }
    Ok(SearchQuery {
        text: p.q.clone(),
        kinds,
        countries,
        hs_prefix,
        verified_only: p.verified,
        certification: p
            .certification
            .clone()
            .filter(|c| !c.trim().is_empty())
            .map(|c| tradewind_domain::marketplace::normalise_certification(&c)),
        price_usd_micros_min: price_min,
        price_usd_micros_max: price_max,
        moq_max: p.moq_max,
        incoterm,
        lead_side,
        sort,
        offset: p.offset.unwrap_or(0).min(10_000),
        limit,
        now: time::OffsetDateTime::now_utc().unix_timestamp(),
    })
}

fn split(v: &Option<String>) -> impl Iterator<Item = String> + '_ {
    v.iter().flat_map(|s| s.split(',')).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// `Ok(None)` for a missing entity, so a deletion becomes an index delete.
fn found<T>(r: Result<T, StoreError>) -> Result<Option<T>, ApiError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(ApiError::from(e)),
    }
}
