//! Reference data endpoints. Reference data is public: it holds no one's private data.

use super::{PageBody, PageParams};
use crate::AppState;
use crate::problem::{ApiError, Json, Path, Query};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tradewind_domain::{CountryCode, CurrencyCode, Incoterm};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Country {
    pub code: String,
    pub alpha3: String,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Currency {
    pub code: String,
    pub name: String,
    /// Digits after the decimal point; null where the currency has none defined (metals).
    pub minor_units: Option<u16>,
}

/// ISO 3166-1 countries.
#[utoipa::path(get, path = "/api/v1/reference/countries", tag = "reference", responses((status = 200, body = Vec<Country>)))]
pub async fn countries() -> Json<Vec<Country>> {
    Json(
        CountryCode::all()
            .into_iter()
            .map(|c| Country { code: c.to_string(), alpha3: c.alpha3().into(), name: c.name().into() })
            .collect(),
    )
}

/// ISO 4217 currencies with their minor units.
#[utoipa::path(get, path = "/api/v1/reference/currencies", tag = "reference", responses((status = 200, body = Vec<Currency>)))]
pub async fn currencies() -> Json<Vec<Currency>> {
    Json(
        CurrencyCode::all()
            .into_iter()
            .map(|c| Currency { code: c.to_string(), name: c.name(), minor_units: c.minor_units() })
            .collect(),
    )
}

/// The eleven Incoterms 2020 rules.
#[utoipa::path(get, path = "/api/v1/reference/incoterms", tag = "reference", responses((status = 200, body = Vec<Object>)))]
pub async fn incoterms() -> Json<Vec<tradewind_domain::incoterm::IncotermRule>> {
    Json(Incoterm::ALL.into_iter().map(|i| i.rule()).collect())
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LocodeQuery {
    /// Code prefix (SGS) or part of the name (singa).
    #[serde(default)]
    pub q: String,
    /// ISO 3166-1 alpha-2 country to restrict to.
    pub country: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

/// UN/LOCODE locations by code or name.
#[utoipa::path(get, path = "/api/v1/reference/locodes", tag = "reference", params(LocodeQuery), responses((status = 200, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn locodes(
    State(state): State<AppState>,
    Query(q): Query<LocodeQuery>,
) -> Result<Json<PageBody<tradewind_store::reference::LocodeRow>>, ApiError> {
    let country = match &q.country {
        Some(c) => {
            Some(c.parse::<CountryCode>().map_err(|e| ApiError::field("country", "unknown_country", e.to_string()))?)
        }
        None => None,
    };
    let page = PageParams { cursor: q.cursor.clone(), limit: q.limit };
    let country_text = country.map(|c| c.to_string());
    let res = state.store.search_locodes(&q.q, country_text.as_deref(), &page.after()?, page.limit()?).await?;
    Ok(Json(res.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct HsQuery {
    /// A code prefix (`0901`, `09.01`) or words from the description (`coffee roasted`).
    #[serde(default)]
    pub q: String,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

/// HS 2022 codes by code prefix or by words.
#[utoipa::path(get, path = "/api/v1/reference/hs", tag = "reference", params(HsQuery), responses((status = 200, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn hs(
    State(state): State<AppState>,
    Query(q): Query<HsQuery>,
) -> Result<Json<PageBody<tradewind_store::reference::HsRow>>, ApiError> {
    if q.q.chars().count() > 200 {
        return Err(ApiError::field("q", "too_long", "q must be at most 200 characters"));
    }
    let page = PageParams { cursor: q.cursor.clone(), limit: q.limit };
    Ok(Json(state.store.search_hs(&q.q, &page.after()?, page.limit()?).await?.into()))
}

/// One HS code.
#[utoipa::path(get, path = "/api/v1/reference/hs/{code}", tag = "reference", params(("code" = String, Path, description = "2, 4 or 6 digits")), responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn hs_code(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<tradewind_store::reference::HsRow>, ApiError> {
    let code: tradewind_domain::HsCode = code
        .parse()
        .map_err(|e: tradewind_domain::codes::CodeError| ApiError::field("code", "invalid_hs_code", e.to_string()))?;
    Ok(Json(state.store.get_hs(code.as_str()).await?.ok_or(ApiError::NotFound)?))
}
