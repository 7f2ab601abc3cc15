//! The marketplace pages: search with filters and facet counts, product listings, trade
//! leads and buy requests (RFQs) with the explained supplier matches, quotes compared in one
//! currency and accepted, and the company's notifications.
//!
//! Like the other pages they only add HTML, form parsing and translation: listing, posting,
//! matching, quoting and comparing go through the same store methods and API helpers as
//! `/api/v1`, so the two cannot disagree.

use super::account::countries;
use super::company::{Badge, day};
use super::forms::{Choice, Field, FormData, FormErrors, SummaryItem};
use super::i18n::Tr;
use super::inquiries::{Filled, ListingActions};
use super::page::{Chrome, Ctx, PageError, render, see_other};
use crate::AppState;
use crate::api::marketplace::{self as api, ComparedQuote};
use crate::auth::CurrentUser;
use crate::problem::ApiError;
use crate::search::{SearchParams, build_query};
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;
use tradewind_domain::marketplace::hs_suggestion::HsSuggestion;
use tradewind_domain::marketplace::{
    KNOWN_CERTIFICATIONS, LeadForm, LeadSide, PriceTier, ProductForm, QuoteForm, UnitOfMeasure,
};
use tradewind_domain::organization::VerificationStatus;
use tradewind_domain::{CurrencyCode, Incoterm, ValidationErrors};
use tradewind_search::{DocKind, SearchResults};
use tradewind_store::{Lead, ListingKind, Product, QuoteStatus};

/// Results per search page.
const PAGE_SIZE: usize = 20;
/// Price tiers the listing form offers.
const TIERS: usize = 3;
/// The payment terms a quote may offer, as `QuoteForm` spells them.
const PAYMENT_TERMS: [&str; 4] = ["escrow", "advance_transfer", "open_account", "letter_of_credit"];

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// The verified badge, or the label that marks an unverified company.
fn company_badge(tr: Tr, verified: bool) -> Badge {
    if verified {
        Badge { kind: "verified", label: tr.t("status.verified").to_string() }
    } else {
        Badge { kind: "unverified", label: tr.t("market.unverified").to_string() }
    }
}

/// A decimal as people write it, without trailing zeros.
fn number(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A price in its currency's minor units ("USD 6.40"), as `Money` prints it.
fn price(amount: Decimal, currency: CurrencyCode) -> String {
    tradewind_domain::Money::new(amount, currency)
        .map(|m| m.to_string())
        .unwrap_or_else(|_| format!("{currency} {amount}"))
}

fn unit_label(tr: Tr, unit: UnitOfMeasure) -> String {
    format!("{} ({})", tr.lookup(&format!("unit.{}", unit.code())).unwrap_or(unit.name()), unit.code())
}

fn units(tr: Tr) -> Vec<(String, String)> {
    let mut all = vec![(String::new(), tr.t("market.choose_unit").to_string())];
    all.extend(UnitOfMeasure::ALL.iter().map(|u| (u.code().to_string(), unit_label(tr, *u))));
    all
}

fn currencies(first: &str) -> Vec<(String, String)> {
    let mut all = vec![(String::new(), first.to_string())];
    all.extend(CurrencyCode::all().into_iter().map(|c| (c.as_str().to_string(), format!("{} — {}", c, c.name()))));
    all
}

fn incoterms(first: &str) -> Vec<(String, String)> {
    let mut all = vec![(String::new(), first.to_string())];
    all.extend(Incoterm::ALL.iter().map(|i| (i.code().to_string(), i.rule().name.to_string())));
    all
}

fn payment_label(tr: Tr, code: &str) -> String {
    tr.lookup(&format!("payment.{code}")).unwrap_or(code).to_string()
}

/// Reads an optional decimal input; a value that is not a number is an error on `input`.
fn decimal_input(e: &mut ValidationErrors, form: &FormData, input: &str) -> Option<Decimal> {
    let text = form.get(input).trim().replace(',', "");
    if text.is_empty() {
        return None;
    }
    match Decimal::from_str(&text) {
        Ok(d) => Some(d),
        Err(_) => {
            e.push(input, "not_a_number", format!("'{text}' is not a number"));
            None
        }
    }
}

/// Reads an optional whole number input.
fn whole_input(e: &mut ValidationErrors, form: &FormData, input: &str) -> Option<u32> {
    let text = form.get(input).trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            e.push(input, "not_a_whole_number", format!("'{text}' is not a whole number"));
            None
        }
    }
}

/// Adds the validator's errors to the inputs that could not be read, skipping inputs
/// already reported (a number that could not be read is not also "required").
fn merge_unread(unread: &mut ValidationErrors, validated: ValidationErrors) {
    let seen: Vec<String> = unread.0.iter().map(|f| f.field.clone()).collect();
    unread.0.extend(validated.0.into_iter().filter(|f| !seen.contains(&f.field)));
}

fn optional_text(form: &FormData, input: &str) -> Option<String> {
    let v = form.get(input).trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// Translates validation errors, putting each on the input named by `input_of(field)`.
fn errors_on_inputs(tr: Tr, e: &ApiError, input_of: impl Fn(&str) -> String) -> Option<FormErrors> {
    match e {
        ApiError::Invalid(_) | ApiError::Conflict { .. } => {}
        _ => return None,
    }
    let mut out = FormErrors::default();
    for fe in e.problem().errors {
        let input = input_of(&fe.field);
        out.add(&input, tr.error(&input, fe.code, &fe.message));
    }
    Some(out)
}

/// `price_tiers[1].unit_price` is the input `tier2_price`; other paths keep their name.
fn product_input(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("price_tiers[")
        && let Some((n, part)) = rest.split_once("].")
        && let Ok(i) = n.parse::<usize>()
    {
        let suffix = match part {
            "min_quantity" => "min",
            "max_quantity" => "max",
            _ => "price",
        };
        return format!("tier{}_{suffix}", (i + 1).min(TIERS));
    }
    if field.starts_with("certifications") {
        return "other_certifications".into();
    }
    super::forms::input_name(field)
}

/// The lead form's country input has its own name, so its label says what it means.
fn lead_input(field: &str) -> String {
    match field {
        "country" => "lead_country".into(),
        other => super::forms::input_name(other),
    }
}

// ---------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------

/// One result as the page lists it.
struct HitView {
    href: Option<String>,
    title: String,
    kind: String,
    badge: Badge,
    meta: String,
}

struct FacetLink {
    href: String,
    label: String,
    count: u64,
    current: bool,
}

struct FacetGroup {
    title: String,
    links: Vec<FacetLink>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    page: Chrome,
    summary: Vec<SummaryItem>,
    query: Field,
    filters: Vec<Field>,
    verified: bool,
    /// Whether the filters start unfolded: when one is set or wrong.
    filters_open: bool,
    range: String,
    hits: Vec<HitView>,
    facets: Vec<FacetGroup>,
    previous: Option<String>,
    next: Option<String>,
}

/// The filters the search form sends, in order.
const FILTERS: [&str; 12] = [
    "kind",
    "side",
    "country",
    "hs",
    "certification",
    "incoterm",
    "price_min",
    "price_max",
    "currency",
    "moq_max",
    "sort",
    "verified",
];

/// The search address with `changes` applied (an empty value removes the filter); paging
/// starts again unless an offset is given.
fn search_href(form: &FormData, changes: &[(&str, String)]) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for name in std::iter::once("q").chain(FILTERS) {
        let value = changes
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| form.get(name).to_string());
        if !value.trim().is_empty() {
            pairs.push((name.to_string(), value));
        }
    }
    if let Some((_, offset)) = changes.iter().find(|(k, _)| *k == "offset") {
        pairs.push(("offset".into(), offset.clone()));
    }
    match serde_urlencoded::to_string(&pairs) {
        Ok(q) if !q.is_empty() => format!("/search?{q}"),
        _ => "/search".into(),
    }
}

fn search_filters(tr: Tr, form: &FormData) -> Vec<Field> {
    let filter = |id: &str, label: &str| {
        let mut f = Field::new(tr, id, "text").optional().value(form.get(id));
        f.label = tr.t(label).to_string();
        f
    };
    let any = tr.t("search.any");
    let mut countries = countries(tr);
    if let Some(first) = countries.first_mut() {
        first.1 = any.to_string();
    }
    let mut certifications = vec![(String::new(), any.to_string())];
    certifications.extend(KNOWN_CERTIFICATIONS.iter().map(|c| (c.to_string(), c.to_string())));
    let mut currency = filter("currency", "search.currency");
    currency.kind = "select";
    let currency = currency.options(currencies(tr.t("search.currency_default")));
    let select = |id: &str, label: &str, options: Vec<(String, String)>| {
        let mut f = filter(id, label);
        f.kind = "select";
        f.options(options)
    };
    vec![
        select(
            "kind",
            "search.kind",
            vec![
                (String::new(), any.to_string()),
                ("product".into(), tr.t("kind.product").to_string()),
                ("lead".into(), tr.t("kind.lead").to_string()),
                ("company".into(), tr.t("kind.company").to_string()),
            ],
        ),
        select(
            "side",
            "search.side",
            vec![
                (String::new(), any.to_string()),
                ("buy".into(), tr.t("side.buy").to_string()),
                ("sell".into(), tr.t("side.sell").to_string()),
            ],
        ),
        select("country", "search.country", countries),
        filter("hs", "search.hs").max(6).hint(tr.t("search.hs_hint")),
        select("certification", "search.certification", certifications),
        select("incoterm", "search.incoterm", incoterms(any)),
        filter("price_min", "search.price_min").max(20),
        filter("price_max", "search.price_max").max(20),
        currency,
        filter("moq_max", "search.moq_max").max(20),
        select(
            "sort",
            "search.sort",
            vec![
                ("relevance".into(), tr.t("sort.relevance").to_string()),
                ("price_asc".into(), tr.t("sort.price_asc").to_string()),
                ("price_desc".into(), tr.t("sort.price_desc").to_string()),
                ("recent".into(), tr.t("sort.recent").to_string()),
            ],
        ),
    ]
}

/// `GET /search`: the search form, the results with their badges, and facet counts that
/// narrow the search when followed.
pub async fn search(State(state): State<AppState>, ctx: Ctx, RawQuery(raw): RawQuery) -> Result<Response, PageError> {
    ctx.signed_in()?;
    let tr = ctx.tr();
    let form = FormData::parse(raw.unwrap_or_default().as_bytes()).unwrap_or_default();
    let mut e = ValidationErrors::new();
    let price_min = decimal_input(&mut e, &form, "price_min");
    let price_max = decimal_input(&mut e, &form, "price_max");
    let moq_max = match form.get("moq_max").trim() {
        "" => None,
        t => match t.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                e.push("moq_max", "not_a_whole_number", format!("'{t}' is not a whole number"));
                None
            }
        },
    };
    let offset = form.get("offset").trim().parse::<usize>().unwrap_or(0).min(10_000);
    let params = SearchParams {
        q: form.get("q").trim().to_string(),
        kind: optional_text(&form, "kind"),
        country: optional_text(&form, "country"),
        hs: optional_text(&form, "hs"),
        verified: form.get("verified") == "true",
        certification: optional_text(&form, "certification"),
        price_min,
        price_max,
        currency: optional_text(&form, "currency"),
        moq_max,
        incoterm: optional_text(&form, "incoterm"),
        side: optional_text(&form, "side"),
        sort: optional_text(&form, "sort"),
        offset: Some(offset),
        limit: Some(PAGE_SIZE),
    };
    let outcome = if e.is_empty() { run_search(&state, &params).await } else { Err(ApiError::Invalid(e)) };
    let (results, errors) = match outcome {
        Ok(r) => (r, FormErrors::default()),
        Err(err) => match errors_on_inputs(tr, &err, super::forms::input_name) {
            Some(errors) => (SearchResults::default(), errors),
            None => return Err(err.into()),
        },
    };
    let mut query = Field::new(tr, "q", "search").optional().value(form.get("q")).max(1000);
    query.label = tr.t("search.query").to_string();
    let mut filters = search_filters(tr, &form);
    errors.attach(&mut filters);
    errors.attach(std::slice::from_mut(&mut query));

    let mut badges: HashMap<String, bool> = HashMap::new();
    let mut hits = Vec::new();
    for h in &results.hits {
        if !badges.contains_key(&h.organization_id) {
            let verified = state.store.organization_badge(&h.organization_id).await.map(|b| b.0).unwrap_or(false);
            badges.insert(h.organization_id.clone(), verified);
        }
        let verified = badges.get(&h.organization_id).copied().unwrap_or(false);
        let (href, meta) = match h.kind {
            DocKind::Product => match state.store.get_product(&h.id).await {
                Ok(p) => (Some(format!("/products/{}", p.id)), product_meta(tr, &p)),
                Err(_) => continue,
            },
            DocKind::Lead => match state.store.get_lead(&h.id).await {
                Ok(l) => (Some(format!("/leads/{}", l.id)), lead_meta(tr, &l)),
                Err(_) => continue,
            },
            DocKind::Company => (None, String::new()),
        };
        hits.push(HitView {
            href,
            title: h.title.clone(),
            kind: tr.t(&format!("kind.{}", h.kind.as_str())).to_string(),
            badge: company_badge(tr, verified),
            meta,
        });
    }
    let facets = facet_groups(tr, &form, &results);
    let shown = results.hits.len();
    let range = if results.total == 0 {
        String::new()
    } else {
        tr.fill(
            "search.range",
            &[
                ("from", &(offset + 1).to_string()),
                ("to", &(offset + shown).to_string()),
                ("total", &results.total.to_string()),
            ],
        )
    };
    let previous =
        (offset > 0).then(|| search_href(&form, &[("offset", offset.saturating_sub(PAGE_SIZE).to_string())]));
    let next = ((offset + shown) < results.total as usize)
        .then(|| search_href(&form, &[("offset", (offset + PAGE_SIZE).to_string())]));
    let status = if errors.summary(tr, |i| i.to_string()).is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SearchPage {
        summary: errors.summary(tr, |i| i.to_string()),
        query,
        filters,
        verified: form.get("verified") == "true",
        filters_open: FILTERS.iter().any(|f| *f != "sort" && !form.get(f).trim().is_empty()),
        range,
        hits,
        facets,
        previous,
        next,
        page: ctx.chrome("title.search", "search"),
    };
    Ok(render(status, &page))
}

async fn run_search(state: &AppState, params: &SearchParams) -> Result<SearchResults, ApiError> {
    let q = build_query(state, params).await?;
    state.search.catch_up(&state.store).await?;
    let index = state.search.index.clone();
    tokio::task::spawn_blocking(move || index.search(&q)).await.map_err(|e| ApiError::Internal(e.to_string()))?.map_err(
        |e| match e {
            tradewind_search::SearchError::InvalidQuery { field, message } => {
                ApiError::field(field, "invalid_search_query", message)
            }
            other => ApiError::Internal(other.to_string()),
        },
    )
}

fn product_meta(tr: Tr, p: &Product) -> String {
    let l = &p.listing;
    let lowest = l.price_tiers.iter().map(|t| t.unit_price).min();
    let mut parts = vec![format!("HS {}", l.hs_code), l.origin_country.to_string()];
    if let Some(lowest_price) = lowest {
        parts.push(
            tr.fill("product.from_price", &[("price", &price(lowest_price, l.currency)), ("unit", l.unit.code())]),
        );
    }
    parts.join(" · ")
}

fn lead_meta(tr: Tr, l: &Lead) -> String {
    let d = &l.lead;
    let mut parts = vec![tr.t(&format!("side.{}", d.side.as_str())).to_string()];
    if let Some(hs) = &d.hs_code {
        parts.push(format!("HS {hs}"));
    }
    parts.push(format!("{} {}", number(d.quantity), d.unit.code()));
    parts.push(d.country.to_string());
    parts.push(tr.fill("lead.expires", &[("date", &d.expires_on.to_string())]));
    parts.join(" · ")
}

fn facet_groups(tr: Tr, form: &FormData, r: &SearchResults) -> Vec<FacetGroup> {
    let group =
        |title: &str, param: &'static str, values: &[(String, u64)], label: &dyn Fn(&str) -> String| FacetGroup {
            title: tr.t(title).to_string(),
            links: values
                .iter()
                .map(|(v, n)| FacetLink {
                    href: search_href(form, &[(param, v.clone())]),
                    label: label(v),
                    count: *n,
                    current: form.get(param) == v,
                })
                .collect(),
        };
    let plain = |v: &str| v.to_string();
    let country = |v: &str| {
        v.parse::<tradewind_domain::CountryCode>().map(|c| format!("{} ({v})", c.name())).unwrap_or_else(|_| v.into())
    };
    let verified = |v: &str| {
        if v == "true" { tr.t("facet.verified_only").to_string() } else { tr.t("facet.unverified").to_string() }
    };
    let verified_values: Vec<(String, u64)> = r.facets.verified.iter().filter(|(v, _)| v == "true").cloned().collect();
    vec![
        group("search.country", "country", &r.facets.country, &country),
        group("facet.hs_chapter", "hs", &r.facets.hs_chapter, &plain),
        group("facet.hs_heading", "hs", &r.facets.hs_heading, &plain),
        group("search.certification", "certification", &r.facets.certification, &plain),
        group("search.incoterm", "incoterm", &r.facets.incoterm, &plain),
        group("facet.verified", "verified", &verified_values, &verified),
    ]
    .into_iter()
    .filter(|g| !g.links.is_empty())
    .collect()
}

// ---------------------------------------------------------------------------------------
// Products
// ---------------------------------------------------------------------------------------

struct TierGroup {
    legend: String,
    fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "product_form.html")]
struct ProductFormPage {
    page: Chrome,
    summary: Vec<SummaryItem>,
    goods: Vec<Field>,
    hs: Vec<Field>,
    suggested: bool,
    suggestions: Vec<HsSuggestion>,
    supply: Vec<Field>,
    pricing: Vec<Field>,
    tiers: Vec<TierGroup>,
    tiers_error: Option<String>,
    certifications: Vec<Choice>,
    other_certifications: Vec<Field>,
}

impl ProductFormPage {
    fn new(page: Chrome, form: &FormData, errors: &FormErrors, suggestions: Option<Vec<HsSuggestion>>) -> Self {
        let tr = page.tr;
        let text = |id: &str| Field::new(tr, id, "text").value(form.get(id));
        let mut goods = vec![text("title"), {
            let mut d = Field::new(tr, "description", "textarea").optional().value(form.get("description"));
            d.maxlength = 5000;
            d
        }];
        let mut hs = vec![text("hs_code").max(6).hint(tr.t("hint.hs_code"))];
        let origin = {
            let mut f = Field::new(tr, "origin_country", "select").value(form.get("origin_country"));
            f = f.options(countries(tr));
            f
        };
        let mut supply = vec![
            origin,
            Field::new(tr, "unit", "select").value(form.get("unit")).options(units(tr)),
            text("moq").max(20).hint(tr.t("hint.moq")),
            text("supply_capacity").max(20).hint(tr.t("hint.supply_capacity")),
            text("lead_time_days").max(3).hint(tr.t("hint.lead_time_days")),
        ];
        let mut pricing = vec![
            Field::new(tr, "currency", "select")
                .value(form.get("currency"))
                .options(currencies(tr.t("market.choose_currency"))),
        ];
        let mut tiers: Vec<TierGroup> = (1..=TIERS)
            .map(|n| {
                let field = |part: &str| {
                    let f = Field::new(tr, &format!("tier{n}_{part}"), "text")
                        .max(20)
                        .value(form.get(&format!("tier{n}_{part}")));
                    if n == 1 && part != "max" { f } else { f.optional() }
                };
                TierGroup {
                    legend: tr.fill("product.tier", &[("n", &n.to_string())]),
                    fields: vec![field("min"), field("max"), field("price")],
                }
            })
            .collect();
        let mut other = vec![text("other_certifications").optional().hint(tr.t("hint.other_certifications"))];
        for group in [&mut goods, &mut hs, &mut supply, &mut pricing, &mut other] {
            errors.attach(group);
        }
        for t in &mut tiers {
            errors.attach(&mut t.fields);
        }
        let ticked = form.all("certifications");
        let certifications = KNOWN_CERTIFICATIONS
            .iter()
            .map(|c| Choice { value: c.to_string(), label: c.to_string(), selected: ticked.iter().any(|t| t == c) })
            .collect();
        ProductFormPage {
            summary: errors.summary(tr, |i| i.to_string()),
            goods,
            hs,
            suggested: suggestions.is_some(),
            suggestions: suggestions.unwrap_or_default(),
            supply,
            pricing,
            tiers,
            tiers_error: errors.get("price_tiers").map(str::to_string),
            certifications,
            other_certifications: other,
            page,
        }
    }
}

/// `GET /products/new`
pub async fn new_product(ctx: Ctx) -> Result<Response, PageError> {
    ctx.signed_in()?.organization_id()?;
    let page = ProductFormPage::new(
        ctx.chrome("title.product_new", "product_new"),
        &FormData::default(),
        &FormErrors::default(),
        None,
    );
    Ok(render(StatusCode::OK, &page))
}

fn product_form_of(form: &FormData, e: &mut ValidationErrors) -> ProductForm {
    let mut price_tiers = Vec::new();
    for n in 1..=TIERS {
        let min = decimal_input(e, form, &format!("tier{n}_min"));
        let max = decimal_input(e, form, &format!("tier{n}_max"));
        let price = decimal_input(e, form, &format!("tier{n}_price"));
        match (min, price) {
            (Some(min_quantity), Some(unit_price)) => {
                price_tiers.push(PriceTier { min_quantity, max_quantity: max, unit_price })
            }
            (None, None) if max.is_none() => {}
            (None, _) => e.push(format!("tier{n}_min"), "required", "give the tier's minimum quantity"),
            (_, None) => e.push(format!("tier{n}_price"), "required", "give the tier's unit price"),
        }
    }
    let mut certifications = form.all("certifications");
    certifications.extend(
        form.get("other_certifications").split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_string),
    );
    ProductForm {
        title: form.get("title").to_string(),
        description: form.get("description").to_string(),
        hs_code: form.get("hs_code").trim().to_string(),
        origin_country: form.get("origin_country").to_string(),
        unit: form.get("unit").to_string(),
        moq: decimal_input(e, form, "moq"),
        supply_capacity: decimal_input(e, form, "supply_capacity"),
        currency: form.get("currency").to_string(),
        price_tiers,
        lead_time_days: whole_input(e, form, "lead_time_days"),
        certifications,
    }
}

/// Likely HS codes for the title and description, from the same suggester as the API.
async fn hs_suggestions(state: &AppState, form: &FormData) -> Result<Vec<HsSuggestion>, ApiError> {
    let text: String = format!("{} {}", form.get("title"), form.get("description")).trim().chars().take(500).collect();
    if text.is_empty() {
        return Ok(vec![]);
    }
    api::hs_suggestions(&state.store, &text).await
}

/// `POST /products/new`: lists the product, or re-renders the form with its errors or
/// with HS code suggestions (the "suggest" button).
pub async fn create_product(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let tr = ctx.tr();
    let chrome = || ctx.chrome_at("title.product_new", "product_new", "/products/new");
    if let Some(code) = optional_text(&form, "use_hs") {
        // A suggestion was picked: put it in the HS code input.
        let mut pairs: Vec<(String, String)> = Vec::new();
        for name in [
            "title",
            "description",
            "origin_country",
            "unit",
            "moq",
            "supply_capacity",
            "lead_time_days",
            "currency",
            "other_certifications",
        ] {
            pairs.push((name.into(), form.get(name).into()));
        }
        for n in 1..=TIERS {
            for part in ["min", "max", "price"] {
                let name = format!("tier{n}_{part}");
                pairs.push((name.clone(), form.get(&name).into()));
            }
        }
        for c in form.all("certifications") {
            pairs.push(("certifications".into(), c));
        }
        pairs.push(("hs_code".into(), code));
        let refilled = FormData::parse(serde_urlencoded::to_string(&pairs).unwrap_or_default().as_bytes())?;
        return Ok(render(StatusCode::OK, &ProductFormPage::new(chrome(), &refilled, &FormErrors::default(), None)));
    }
    if form.get("action") == "suggest" {
        return Ok(match hs_suggestions(&state, &form).await {
            Ok(s) => render(StatusCode::OK, &ProductFormPage::new(chrome(), &form, &FormErrors::default(), Some(s))),
            Err(err) => {
                let mut errors = FormErrors::default();
                let text = tr.t("err.suggest_needs_text").to_string();
                errors.add("title", text);
                if errors_on_inputs(tr, &err, |_| "title".into()).is_none() {
                    return Err(err.into());
                }
                render(StatusCode::UNPROCESSABLE_ENTITY, &ProductFormPage::new(chrome(), &form, &errors, None))
            }
        });
    }
    let mut e = ValidationErrors::new();
    let input = product_form_of(&form, &mut e);
    let listing = match input.validate() {
        Ok(l) if e.is_empty() => {
            api::check_hs_exists(&state.store, &mut e, "hs_code", Some(&l.hs_code)).await?;
            if e.is_empty() { Some(l) } else { None }
        }
        Ok(_) => None,
        Err(v) => {
            merge_unread(&mut e, v);
            None
        }
    };
    let Some(listing) = listing else {
        let errors = errors_on_inputs(tr, &ApiError::Invalid(e), product_input).unwrap_or_default();
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &ProductFormPage::new(chrome(), &form, &errors, None)));
    };
    let product = state.store.create_product(&user.actor(), &org, &listing).await?;
    crate::search::kick(&state);
    Ok(see_other(&format!("/products/{}?notice=product_listed", product.id)))
}

struct TierView {
    quantity: String,
    price: String,
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    page: Chrome,
    title: String,
    description: String,
    company: String,
    badge: Badge,
    details: Vec<(String, String)>,
    tiers: Vec<TierView>,
    certifications: Vec<String>,
    /// Ask, report and block, for other companies' listings.
    actions: Option<ListingActions>,
}

/// `GET /products/{id}`
pub async fn show_product(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let page = product_page(&state, ctx.chrome("title.product", "product"), user, &id, &Filled::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// A listing's page again, after its question or report form was sent back with
/// `filled`'s errors.
pub(super) async fn listing_page_again(
    state: &AppState,
    ctx: &Ctx,
    kind: ListingKind,
    id: &str,
    filled: &Filled,
    status: StatusCode,
) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    Ok(match kind {
        ListingKind::Product => {
            let chrome = ctx.chrome_at("title.product", "product", &format!("/products/{id}"));
            render(status, &product_page(state, chrome, user, id, filled).await?)
        }
        ListingKind::Lead => {
            let chrome = ctx.chrome_at("title.lead", "lead", &format!("/leads/{id}"));
            render(status, &lead_page(state, chrome, user, id, None, filled).await?)
        }
    })
}

async fn product_page(
    state: &AppState,
    page: Chrome,
    user: &CurrentUser,
    id: &str,
    filled: &Filled,
) -> Result<ProductPage, PageError> {
    let tr = page.tr;
    let p = state.store.get_product(id).await?;
    if !api::can_see(user, &p.organization_id, p.hidden) {
        return Err(ApiError::NotFound.into());
    }
    let org = state.store.get_organization(&p.organization_id).await?;
    let actions =
        ListingActions::load(state, tr, user, ListingKind::Product, &p.id, &org.id, &org.legal_name, filled).await?;
    let l = &p.listing;
    let hs = match state.store.get_hs(l.hs_code.as_str()).await? {
        Some(row) => format!("{} — {}", l.hs_code, row.description),
        None => l.hs_code.to_string(),
    };
    let unit = unit_label(tr, l.unit);
    let details = vec![
        (tr.t("field.hs_code").to_string(), hs),
        (tr.t("field.origin_country").to_string(), format!("{} ({})", l.origin_country.name(), l.origin_country)),
        (tr.t("field.unit").to_string(), unit),
        (tr.t("field.moq").to_string(), format!("{} {}", number(l.moq), l.unit.code())),
        (tr.t("field.supply_capacity").to_string(), format!("{} {}", number(l.supply_capacity), l.unit.code())),
        (tr.t("field.lead_time_days").to_string(), tr.fill("product.days", &[("n", &l.lead_time_days.to_string())])),
        (tr.t("product.listed_on").to_string(), day(&p.created_at)),
    ];
    let tiers = l
        .price_tiers
        .iter()
        .map(|t| TierView {
            quantity: match t.max_quantity {
                Some(max) => format!("{} – {} {}", number(t.min_quantity), number(max), l.unit.code()),
                None => tr.fill("product.or_more", &[("n", &number(t.min_quantity)), ("unit", l.unit.code())]),
            },
            price: price(t.unit_price, l.currency),
        })
        .collect();
    Ok(ProductPage {
        title: l.title.clone(),
        description: l.description.clone(),
        company: org.legal_name.clone(),
        badge: company_badge(tr, org.verification == VerificationStatus::Verified),
        details,
        tiers,
        certifications: l.certifications.clone(),
        actions,
        page,
    })
}

// ---------------------------------------------------------------------------------------
// Leads
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "lead_form.html")]
struct LeadFormPage {
    page: Chrome,
    summary: Vec<SummaryItem>,
    sides: Vec<Choice>,
    side_error: Option<String>,
    goods: Vec<Field>,
    terms: Vec<Field>,
    delivery: Vec<Field>,
}

impl LeadFormPage {
    fn new(page: Chrome, form: &FormData, errors: &FormErrors) -> Self {
        let tr = page.tr;
        let text = |id: &str| Field::new(tr, id, "text").value(form.get(id));
        let side = form.get("side");
        let sides = ["buy", "sell"]
            .iter()
            .map(|s| Choice {
                value: s.to_string(),
                label: tr.t(&format!("side.{s}")).to_string(),
                selected: *s == side,
            })
            .collect();
        let mut goods = vec![
            text("title"),
            {
                let mut d = Field::new(tr, "description", "textarea").optional().value(form.get("description"));
                d.maxlength = 5000;
                d
            },
            text("hs_code").optional().max(6).hint(tr.t("hint.hs_code_lead")),
            text("quantity").max(20),
            Field::new(tr, "unit", "select").value(form.get("unit")).options(units(tr)),
        ];
        let mut terms = vec![
            text("target_price").optional().max(20).hint(tr.t("hint.target_price")),
            Field::new(tr, "currency", "select")
                .optional()
                .value(form.get("currency"))
                .options(currencies(tr.t("market.choose_currency"))),
            Field::new(tr, "incoterm", "select")
                .optional()
                .value(form.get("incoterm"))
                .options(incoterms(tr.t("market.no_incoterm"))),
        ];
        let mut delivery = vec![
            Field::new(tr, "lead_country", "select")
                .value(form.get("lead_country"))
                .options(countries(tr))
                .hint(tr.t("hint.lead_country")),
            text("port").optional().max(5).hint(tr.t("hint.port")),
            Field::new(tr, "needed_by", "date").optional().value(form.get("needed_by")),
            Field::new(tr, "expires_on", "date").value(form.get("expires_on")).hint(tr.t("hint.expires_on")),
        ];
        for group in [&mut goods, &mut terms, &mut delivery] {
            errors.attach(group);
        }
        LeadFormPage {
            summary: errors.summary(tr, |i| if i == "side" { "side-buy".into() } else { i.to_string() }),
            sides,
            side_error: errors.get("side").map(str::to_string),
            goods,
            terms,
            delivery,
            page,
        }
    }
}

/// `GET /leads/new?side=buy|sell`: post a buy request (the default) or a sell offer.
pub async fn new_lead(ctx: Ctx, RawQuery(raw): RawQuery) -> Result<Response, PageError> {
    ctx.signed_in()?.organization_id()?;
    let asked = FormData::parse(raw.unwrap_or_default().as_bytes()).unwrap_or_default();
    let side = if asked.get("side") == "sell" { "sell" } else { "buy" };
    let expires = today() + time::Duration::days(30);
    let defaults =
        serde_urlencoded::to_string([("side", side), ("expires_on", &expires.to_string())]).unwrap_or_default();
    let form = FormData::parse(defaults.as_bytes())?;
    let page = LeadFormPage::new(ctx.chrome("title.lead_new", "lead_new"), &form, &FormErrors::default());
    Ok(render(StatusCode::OK, &page))
}

/// `POST /leads`: posts the lead; a buy request is matched and the best suppliers told.
pub async fn create_lead(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let tr = ctx.tr();
    let mut e = ValidationErrors::new();
    let input = LeadForm {
        side: form.get("side").to_string(),
        title: form.get("title").to_string(),
        description: form.get("description").to_string(),
        hs_code: optional_text(&form, "hs_code"),
        quantity: decimal_input(&mut e, &form, "quantity"),
        unit: form.get("unit").to_string(),
        target_price: decimal_input(&mut e, &form, "target_price"),
        currency: optional_text(&form, "currency"),
        country: form.get("lead_country").to_string(),
        port: optional_text(&form, "port").map(|p| p.to_ascii_uppercase().replace(' ', "")),
        incoterm: optional_text(&form, "incoterm"),
        needed_by: optional_text(&form, "needed_by"),
        expires_on: form.get("expires_on").to_string(),
    };
    let lead = match input.validate(today()) {
        Ok(l) if e.is_empty() => {
            api::check_hs_exists(&state.store, &mut e, "hs_code", l.hs_code.as_ref()).await?;
            if e.is_empty() { Some(l) } else { None }
        }
        Ok(_) => None,
        Err(v) => {
            merge_unread(&mut e, v);
            None
        }
    };
    let Some(lead) = lead else {
        let errors = errors_on_inputs(tr, &ApiError::Invalid(e), lead_input).unwrap_or_default();
        let page = LeadFormPage::new(ctx.chrome_at("title.lead_new", "lead_new", "/leads/new"), &form, &errors);
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    let stored = state.store.create_lead(&user.actor(), &org, &lead).await?;
    crate::search::kick(&state);
    api::notify_matches(&state, user, &stored).await?;
    Ok(see_other(&format!("/leads/{}?notice=lead_posted", stored.id)))
}

struct FactorRow {
    name: String,
    weight: String,
    fit: String,
    points: String,
    reason: String,
}

struct MatchView {
    company: String,
    badge: Badge,
    product_href: String,
    product_title: String,
    score: String,
    factors: Vec<FactorRow>,
}

struct QuoteRow {
    id: String,
    seller: String,
    badge: Badge,
    offered: String,
    converted: String,
    total: String,
    rate: String,
    terms: String,
    valid_until: String,
    lead_time: String,
    payment: String,
    status_kind: &'static str,
    status: String,
    can_accept: bool,
    /// For the buyer's accepted quote: no order yet, so offer to create one.
    can_order: bool,
    /// For the buyer's accepted quote: the order made from it.
    order_href: Option<String>,
}

struct Comparison {
    currency: Field,
    rates: String,
    rows: Vec<QuoteRow>,
}

#[derive(Template)]
#[template(path = "lead.html")]
struct LeadPage {
    page: Chrome,
    summary: Vec<SummaryItem>,
    id: String,
    title: String,
    description: String,
    kind: String,
    is_buy: bool,
    expired: bool,
    company: String,
    badge: Badge,
    details: Vec<(String, String)>,
    is_owner: bool,
    matches: Vec<MatchView>,
    matches_note: Option<String>,
    comparison: Option<Comparison>,
    quote_form: Option<Vec<Field>>,
    quote_closed: bool,
    my_quotes: Vec<QuoteRow>,
    /// Ask, report and block, for other companies' leads.
    actions: Option<ListingActions>,
}

fn quote_status(tr: Tr, s: QuoteStatus) -> (&'static str, String) {
    let kind = match s {
        QuoteStatus::Submitted => "submitted",
        QuoteStatus::Accepted => "accepted",
        QuoteStatus::Declined => "declined",
    };
    (kind, tr.t(&format!("quote_status.{kind}")).to_string())
}

fn quote_row(tr: Tr, c: &ComparedQuote, can_accept: bool) -> QuoteRow {
    let q = &c.quote.quote;
    let (status_kind, status) = quote_status(tr, c.quote.status);
    let target = c.converted_unit_price.map(|m| m.currency());
    let rate = match (c.rate, target) {
        (Some(_), Some(to)) if to == q.unit_price.currency() => tr.t("quotes.same_currency").to_string(),
        (Some(r), Some(to)) => tr.fill(
            "quotes.rate",
            &[("from", q.unit_price.currency().as_str()), ("rate", &number(r)), ("to", to.as_str())],
        ),
        _ => tr.t("quotes.no_rate").to_string(),
    };
    let none = tr.t("quotes.no_rate").to_string();
    QuoteRow {
        id: c.quote.id.clone(),
        seller: c.seller_name.clone(),
        badge: company_badge(tr, c.seller_verified),
        offered: q.unit_price.to_string(),
        converted: c.converted_unit_price.map(|m| m.to_string()).unwrap_or_else(|| none.clone()),
        total: c.converted_total.map(|m| m.to_string()).unwrap_or(none),
        rate,
        terms: format!("{} {}", q.incoterm.code(), q.named_place),
        valid_until: q.valid_until.to_string(),
        lead_time: tr.fill("product.days", &[("n", &q.lead_time_days.to_string())]),
        payment: payment_label(
            tr,
            serde_json::to_value(q.payment_terms)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .as_deref()
                .unwrap_or(""),
        ),
        status_kind,
        status,
        can_accept: can_accept && c.quote.status == QuoteStatus::Submitted,
        can_order: false,
        order_href: None,
    }
}

fn quote_fields(tr: Tr, form: &FormData, errors: &FormErrors) -> Vec<Field> {
    let text = |id: &str| Field::new(tr, id, "text").value(form.get(id));
    let mut payment = vec![(String::new(), tr.t("market.choose_payment").to_string())];
    payment.extend(PAYMENT_TERMS.iter().map(|p| (p.to_string(), payment_label(tr, p))));
    let mut fields = vec![
        text("unit_price").max(20),
        Field::new(tr, "currency", "select")
            .value(form.get("currency"))
            .options(currencies(tr.t("market.choose_currency"))),
        Field::new(tr, "incoterm", "select")
            .value(form.get("incoterm"))
            .options(incoterms(tr.t("market.choose_incoterm"))),
        text("named_place").max(5).hint(tr.t("hint.named_place")),
        Field::new(tr, "valid_until", "date").value(form.get("valid_until")),
        text("lead_time_days").max(3).hint(tr.t("hint.lead_time_days")),
        Field::new(tr, "payment_terms", "select").value(form.get("payment_terms")).options(payment),
    ];
    errors.attach(&mut fields);
    fields
}

impl LeadPage {
    /// The page of `lead` for `user`; `quote` and `errors` refill the quote form.
    async fn load(
        state: &AppState,
        page: Chrome,
        user: &CurrentUser,
        lead: Lead,
        compare_in: Option<&str>,
        quote: &FormData,
        errors: &FormErrors,
    ) -> Result<LeadPage, PageError> {
        let tr = page.tr;
        let org = state.store.get_organization(&lead.organization_id).await?;
        let d = &lead.lead;
        let is_buy = d.side == LeadSide::Buy;
        let expired = d.expires_on < today();
        let is_owner = user.user.organization_id.as_deref() == Some(lead.organization_id.as_str());
        let none = tr.t("company.none").to_string();
        let mut details = Vec::new();
        let hs = match &d.hs_code {
            Some(h) => match state.store.get_hs(h.as_str()).await? {
                Some(row) => format!("{h} — {}", row.description),
                None => h.to_string(),
            },
            None => none.clone(),
        };
        details.push((tr.t("field.hs_code").to_string(), hs));
        details
            .push((tr.t("field.quantity").to_string(), format!("{} {}", number(d.quantity), unit_label(tr, d.unit))));
        details.push((
            tr.t("field.target_price").to_string(),
            d.target_price.map(|m| m.to_string()).unwrap_or_else(|| none.clone()),
        ));
        details.push((
            tr.t(if is_buy { "lead.destination" } else { "lead.origin" }).to_string(),
            format!("{} ({})", d.country.name(), d.country),
        ));
        details.push((
            tr.t("field.port").to_string(),
            d.port.as_ref().map(|p| p.to_string()).unwrap_or_else(|| none.clone()),
        ));
        details.push((
            tr.t("field.incoterm").to_string(),
            d.incoterm.map(|i| i.rule().name.to_string()).unwrap_or_else(|| none.clone()),
        ));
        details.push((
            tr.t("field.needed_by").to_string(),
            d.needed_by.map(|x| x.to_string()).unwrap_or_else(|| none.clone()),
        ));
        details.push((tr.t("field.expires_on").to_string(), d.expires_on.to_string()));
        details.push((tr.t("lead.posted_on").to_string(), day(&lead.created_at)));

        let mut matches = Vec::new();
        let mut matches_note = None;
        let mut comparison = None;
        let mut quote_form = None;
        let mut quote_closed = false;
        let mut my_quotes = Vec::new();
        if is_buy {
            let quotes = api::visible_quotes(state, user, &lead).await?;
            let asked = compare_in.filter(|c| c.parse::<CurrencyCode>().is_ok());
            let currency = api::comparison_currency(&lead, asked)?;
            let any_accepted = quotes.iter().any(|q| q.status == QuoteStatus::Accepted);
            let compared = api::compare_quotes(state, &lead, quotes, currency).await?;
            if is_owner {
                if expired {
                    matches_note = Some(tr.t("lead.expired_no_matches").to_string());
                } else {
                    for m in api::rank_suppliers(&state.store, &lead, 20).await? {
                        matches.push(MatchView {
                            company: m.legal_name.clone(),
                            badge: company_badge(tr, m.verified),
                            product_href: format!("/products/{}", m.product_id),
                            product_title: m.product_title.clone(),
                            score: format!("{:.1}", m.score),
                            factors: m
                                .factors
                                .iter()
                                .map(|f| FactorRow {
                                    name: tr.lookup(&format!("factor.{}", f.name)).unwrap_or(f.name).to_string(),
                                    weight: format!("{:.0}", f.weight),
                                    fit: format!("{:.2}", f.fit),
                                    points: format!("{:.1}", f.points),
                                    reason: f.reason.clone(),
                                })
                                .collect(),
                        });
                    }
                    if matches.is_empty() {
                        matches_note = Some(tr.t("lead.no_matches").to_string());
                    }
                }
                let mut choices: Vec<CurrencyCode> = Vec::new();
                if let Some(fx) = &compared.rates {
                    choices.push(fx.base);
                    choices.extend(fx.rates.iter().map(|(c, _)| *c));
                }
                if !choices.contains(&currency) {
                    choices.push(currency);
                }
                choices.sort_by_key(|c| c.as_str());
                let mut select = Field::new(tr, "compare_currency", "select").value(currency.as_str());
                select.name = "currency".into();
                let select =
                    select.options(choices.iter().map(|c| (c.as_str().to_string(), format!("{} — {}", c, c.name()))));
                let rates = match &compared.rates {
                    Some(fx) => tr.fill(
                        "quotes.rates",
                        &[("date", &fx.as_of), ("source", &fx.source), ("base", fx.base.as_str())],
                    ),
                    None => tr.t("quotes.no_rates").to_string(),
                };
                let mut rows: Vec<QuoteRow> =
                    compared.items.iter().map(|c| quote_row(tr, c, !any_accepted && !expired)).collect();
                for (row, c) in rows.iter_mut().zip(&compared.items) {
                    if c.quote.status == QuoteStatus::Accepted {
                        match super::orders::order_of_quote(state, &lead.organization_id, &c.quote.id).await? {
                            Some(order) => row.order_href = Some(format!("/orders/{order}")),
                            None => row.can_order = true,
                        }
                    }
                }
                comparison = Some(Comparison { currency: select, rates, rows });
            } else {
                my_quotes = compared.items.iter().map(|c| quote_row(tr, c, false)).collect();
                if user.user.organization_id.is_some() {
                    if expired || any_accepted_on(state, &lead).await? {
                        quote_closed = true;
                    } else {
                        quote_form = Some(quote_fields(tr, quote, errors));
                    }
                }
            }
        }
        Ok(LeadPage {
            summary: errors.summary(tr, |i| i.to_string()),
            id: lead.id.clone(),
            title: d.title.clone(),
            description: d.description.clone(),
            kind: tr.t(&format!("side.{}", d.side.as_str())).to_string(),
            is_buy,
            expired,
            company: org.legal_name.clone(),
            badge: company_badge(tr, org.verification == VerificationStatus::Verified),
            details,
            is_owner,
            matches,
            matches_note,
            comparison,
            quote_form,
            quote_closed,
            my_quotes,
            actions: None,
            page,
        })
    }
}

/// Whether the buyer has accepted some quote (then no more quotes are taken).
async fn any_accepted_on(state: &AppState, lead: &Lead) -> Result<bool, ApiError> {
    Ok(state.store.list_quotes(&lead.id).await?.iter().any(|q| q.status == QuoteStatus::Accepted))
}

/// The lead, if `user` may see it.
async fn visible_lead(state: &AppState, user: &CurrentUser, id: &str) -> Result<Lead, PageError> {
    let lead = state.store.get_lead(id).await?;
    if !api::can_see(user, &lead.organization_id, lead.hidden) {
        return Err(ApiError::NotFound.into());
    }
    Ok(lead)
}

/// `GET /leads/{id}?currency=…`: the lead; for the buyer of a request, the explained
/// matches and the quotes compared in one currency; for other companies, the quote form.
pub async fn show_lead(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let asked = FormData::parse(raw.unwrap_or_default().as_bytes()).unwrap_or_default();
    let currency = optional_text(&asked, "currency");
    let chrome = ctx.chrome("title.lead", "lead");
    let page = lead_page(&state, chrome, user, &id, currency.as_deref(), &Filled::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// The lead's page with an empty quote form (its defaults taken from the request).
async fn lead_page(
    state: &AppState,
    chrome: Chrome,
    user: &CurrentUser,
    id: &str,
    currency: Option<&str>,
    filled: &Filled,
) -> Result<LeadPage, PageError> {
    let lead = visible_lead(state, user, id).await?;
    let valid_until = (today() + time::Duration::days(14)).to_string();
    let defaults = serde_urlencoded::to_string([
        ("valid_until", valid_until.as_str()),
        ("currency", lead.lead.target_price.map(|m| m.currency().as_str()).unwrap_or("")),
        ("incoterm", lead.lead.incoterm.map(|i| i.code()).unwrap_or("")),
        ("named_place", &lead.lead.port.as_ref().map(|p| p.to_string()).unwrap_or_default()),
    ])
    .unwrap_or_default();
    let quote = FormData::parse(defaults.as_bytes())?;
    let (lead_id, owner) = (lead.id.clone(), lead.organization_id.clone());
    let mut page = LeadPage::load(state, chrome, user, lead, currency, &quote, &FormErrors::default()).await?;
    let tr = page.page.tr;
    page.actions =
        ListingActions::load(state, tr, user, ListingKind::Lead, &lead_id, &owner, &page.company, filled).await?;
    Ok(page)
}

/// `POST /leads/{id}/quotes`: a seller answers a buy request.
pub async fn send_quote(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let tr = ctx.tr();
    let lead = visible_lead(&state, user, &id).await?;
    let mut e = ValidationErrors::new();
    let input = QuoteForm {
        unit_price: decimal_input(&mut e, &form, "unit_price"),
        currency: form.get("currency").to_string(),
        incoterm: form.get("incoterm").to_string(),
        named_place: form.get("named_place").trim().to_ascii_uppercase().replace(' ', ""),
        valid_until: form.get("valid_until").to_string(),
        lead_time_days: whole_input(&mut e, &form, "lead_time_days"),
        payment_terms: form.get("payment_terms").to_string(),
    };
    let quote = match input.validate(today()) {
        Ok(q) if e.is_empty() => Some(q),
        Ok(_) => None,
        Err(v) => {
            merge_unread(&mut e, v);
            None
        }
    };
    let Some(quote) = quote else {
        let errors = errors_on_inputs(tr, &ApiError::Invalid(e), super::forms::input_name).unwrap_or_default();
        let chrome = ctx.chrome_at("title.lead", "lead", &format!("/leads/{id}"));
        let owner = lead.organization_id.clone();
        let mut page = LeadPage::load(&state, chrome, user, lead, None, &form, &errors).await?;
        page.actions =
            ListingActions::load(&state, tr, user, ListingKind::Lead, &id, &owner, &page.company, &Filled::default())
                .await?;
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    state.store.create_quote(&user.actor(), &org, &id, &quote).await?;
    crate::search::kick(&state);
    Ok(see_other(&format!("/leads/{id}?notice=quote_sent")))
}

/// `POST /quotes/{id}/accept`: the buyer accepts a quote; the others are declined.
pub async fn accept_quote(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let q = state.store.accept_quote(&user.actor(), &org, &id).await?;
    crate::search::kick(&state);
    Ok(see_other(&format!("/leads/{}?notice=quote_accepted", q.lead_id)))
}

// ---------------------------------------------------------------------------------------
// Notifications
// ---------------------------------------------------------------------------------------

struct NotificationView {
    kind: String,
    subject: String,
    href: Option<String>,
    when: String,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    page: Chrome,
    items: Vec<NotificationView>,
}

/// `GET /notifications`: the company's notifications, newest first.
pub async fn notifications(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let tr = ctx.tr();
    let org = user.organization_id()?;
    let items = state
        .store
        .list_notifications(org, 100)
        .await?
        .into_iter()
        .map(|n| NotificationView {
            kind: tr.lookup(&format!("notification.{}", n.kind)).unwrap_or(&n.kind).to_string(),
            href: n
                .body
                .get("lead_id")
                .and_then(|v| v.as_str())
                .map(|id| format!("/leads/{id}"))
                .or_else(|| n.body.get("inquiry_id").and_then(|v| v.as_str()).map(|id| format!("/inquiries/{id}"))),
            subject: n.subject,
            when: n.created_at.get(..16).unwrap_or(&n.created_at).replace('T', " "),
        })
        .collect();
    let page = NotificationsPage { items, page: ctx.chrome("title.notifications", "notifications") };
    Ok(render(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_errors_land_on_their_inputs() {
        assert_eq!(product_input("price_tiers[0].min_quantity"), "tier1_min");
        assert_eq!(product_input("price_tiers[2].unit_price"), "tier3_price");
        assert_eq!(product_input("price_tiers[1].max_quantity"), "tier2_max");
        assert_eq!(product_input("price_tiers"), "price_tiers");
        assert_eq!(product_input("certifications[3]"), "other_certifications");
        assert_eq!(lead_input("country"), "lead_country");
        assert_eq!(lead_input("expires_on"), "expires_on");
    }

    #[test]
    fn facet_links_replace_the_filter_and_restart_paging() {
        let form = FormData::parse(b"q=coffee&country=VN&offset=40&lang=zh").expect("form");
        assert_eq!(search_href(&form, &[("country", "BR".into())]), "/search?q=coffee&country=BR");
        assert_eq!(search_href(&form, &[("offset", "20".into())]), "/search?q=coffee&country=VN&offset=20");
        assert_eq!(search_href(&FormData::default(), &[]), "/search");
    }
}
