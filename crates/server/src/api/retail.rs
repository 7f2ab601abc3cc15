//! Cross-border B2C retail: consumer sign-up, sellers' stores (offers, shipping options),
//! the consumer's cart with full prices, checkout, and consumer orders with their returns
//! window.
//!
//! Who may do what:
//! - Anyone may sign up as a consumer (`POST /api/v1/consumers`) and browse stores
//!   (`GET /api/v1/stores`, `GET /api/v1/stores/{id}`, anonymous browsing allowed: a store
//!   front is public like a web shop; pass `?country=` to see shipping and full prices for
//!   a country; a signed-in consumer sees them for their country of residence).
//! - A verified company's admin opens its one store; the company's users list offers and
//!   shipping options, and see and move only their own store's consumer orders.
//! - Only consumers have a cart, check out and request returns; company endpoints refuse
//!   consumers (409, naming the consumer endpoints), and consumer endpoints refuse company
//!   users. Another consumer's order, or another seller's, answers 404.
//! - A cart with offers from several sellers is split at checkout into one order per
//!   seller, each with its own shipping choice (the rule is in `tradewind_domain::retail`).

use crate::AppState;
use crate::api::orders::idempotency_key;
use crate::auth::{self, CurrentUser, MaybeUser};
use crate::problem::{ApiError, Json, Path, Query};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tradewind_domain::organization::{VerificationStatus, validate_email, validate_password};
use tradewind_domain::retail::order::{ConsumerOrderEvent, RetailParty};
use tradewind_domain::retail::pricing::{
    DutiesAndTaxes, FullPrice, LandedCostRequest, NotYetAssessed, PricedLine, full_price, goods_total, line_total,
    ships_to,
};
use tradewind_domain::retail::{ConsumerForm, OfferForm, ShipToForm, ShippingOptionForm, StoreForm, cart_quantity};
use tradewind_domain::validation::required_text;
use tradewind_domain::{CountryCode, Money, ValidationErrors};
use tradewind_store::{
    CheckoutRequest, Consumer, ConsumerOrder, NewUser, RetailOffer, RetailStore, RetailViewer, ShippingOption, User,
};

/// The duties-and-taxes assessor every price shown and charged follows: the customs
/// tariff schedules with the platform's exchange rates (delivered duty paid), or, with no
/// rates loaded, [`NotYetAssessed`], which says duties are not included and why.
pub async fn duties_and_taxes(state: &AppState) -> Result<Box<dyn DutiesAndTaxes>, ApiError> {
    Ok(match state.store.fx_rates().await? {
        Some(fx) => Box::new(tradewind_domain::customs::landed_cost::TariffAssessor {
            schedules: state.customs.schedules().iter().map(|s| (**s).clone()).collect(),
            fx,
            today,
        }),
        None => Box::new(NotYetAssessed),
    })
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// The caller's consumer profile, or a clear refusal for company and operator accounts.
pub(crate) async fn consumer_of(state: &AppState, user: &CurrentUser) -> Result<Consumer, ApiError> {
    let found = if user.is_consumer { state.store.consumer(&user.user.id).await? } else { None };
    found.ok_or_else(|| {
        ApiError::Refused(
            "this is for consumer accounts: sign up as a consumer with POST /api/v1/consumers; \
             companies sell through their store"
                .into(),
        )
    })
}

#[derive(Serialize)]
pub struct SignedUp {
    pub user: User,
    pub consumer: Consumer,
}

/// Sign up as a consumer: a person with a country of residence and no company. Log in
/// afterwards with `POST /api/v1/auth/login` like any account.
#[utoipa::path(post, path = "/api/v1/consumers", tag = "retail", request_body = Object,
    responses((status = 201, body = Object), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn sign_up(
    State(state): State<AppState>,
    Json(form): Json<ConsumerForm>,
) -> Result<impl IntoResponse, ApiError> {
    let mut e = ValidationErrors::new();
    let name = required_text(&mut e, "name", &form.name, 100);
    let email = validate_email(&mut e, "email", &form.email);
    validate_password(&mut e, "password", &form.password);
    let country = e.check("country", form.country.trim().to_ascii_uppercase().parse::<CountryCode>());
    let (Some(name), Some(email), Some(country)) = (name, email, country) else { return Err(ApiError::Invalid(e)) };
    if !e.is_empty() {
        return Err(ApiError::Invalid(e));
    }
    let password_hash = auth::hash_password(form.password).await?;
    let (user, consumer) = state.store.create_consumer(&NewUser { email, name, password_hash }, country).await?;
    tracing::info!(user_id = %user.id, "consumer signed up");
    Ok((StatusCode::CREATED, Json(SignedUp { user, consumer })))
}

/// The signed-in consumer's profile.
#[utoipa::path(get, path = "/api/v1/consumers/me", tag = "retail",
    responses((status = 200, body = Object), (status = 401, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn me(State(state): State<AppState>, user: CurrentUser) -> Result<Json<SignedUp>, ApiError> {
    let consumer = consumer_of(&state, &user).await?;
    Ok(Json(SignedUp { user: user.user, consumer }))
}

/// A verified company's admin opens its store: display name, currency, returns window
/// (at least 14 days from delivery, the consumer-protection floor), returns address and
/// customer-service contact. The legal identity shown to consumers (legal name,
/// registration number, country, address) is taken from the verified company record.
#[utoipa::path(post, path = "/api/v1/stores", tag = "retail", request_body = Object,
    responses((status = 201, body = Object), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn open_store(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(form): Json<StoreForm>,
) -> Result<impl IntoResponse, ApiError> {
    let org_id = user.require_admin()?.to_string();
    let org = state.store.get_organization(&org_id).await?;
    if org.verification != VerificationStatus::Verified {
        return Err(ApiError::Refused(
            "only a verified company can sell to consumers; wait for the operator's verification".into(),
        ));
    }
    let terms = form.validate()?;
    let store = state.store.open_store(&user.actor(), &org, &terms).await?;
    Ok((StatusCode::CREATED, Json(store)))
}

#[derive(Serialize)]
pub struct StoreList {
    pub items: Vec<RetailStore>,
}

/// Every store (public).
#[utoipa::path(get, path = "/api/v1/stores", tag = "retail", responses((status = 200, body = Object)))]
pub async fn list_stores(State(state): State<AppState>) -> Result<Json<StoreList>, ApiError> {
    Ok(Json(StoreList { items: state.store.list_stores().await? }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CountryParam {
    /// ISO 3166-1 alpha-2 country to price shipping for (a signed-in consumer's country of
    /// residence is used when left out).
    pub country: Option<String>,
}

/// One shipping option with the full price of a parcel.
#[derive(Serialize)]
pub struct PricedShipping {
    pub option_id: String,
    pub name: String,
    pub delivery_days: u32,
    #[serde(flatten)]
    pub price: FullPrice,
}

/// An offer on the store page, with full prices for one unit to the viewer's country.
#[derive(Serialize)]
pub struct OfferView {
    #[serde(flatten)]
    pub offer: RetailOffer,
    /// One unit delivered to `country` with each shipping option that goes there.
    pub delivered_prices: Vec<PricedShipping>,
}

#[derive(Serialize)]
pub struct StoreView {
    #[serde(flatten)]
    pub store: RetailStore,
    /// The country prices are shown for, if known.
    pub country: Option<CountryCode>,
    pub offers: Vec<OfferView>,
    pub shipping_options: Vec<ShippingOption>,
}

pub(crate) fn price_with(
    duties: &dyn DutiesAndTaxes,
    lines: &[PricedLine],
    goods: Money,
    option: &ShippingOption,
    country: CountryCode,
    seller_country: CountryCode,
) -> Result<PricedShipping, ApiError> {
    let duties = duties.assess(&LandedCostRequest {
        destination: country,
        seller_country,
        lines,
        goods,
        shipping: option.terms.price,
    });
    let price = full_price(goods, option.terms.price, duties).map_err(|e| ApiError::Refused(e.to_string()))?;
    Ok(PricedShipping {
        option_id: option.id.clone(),
        name: option.terms.name.clone(),
        delivery_days: option.terms.delivery_days,
        price,
    })
}

pub(crate) fn priced_line(offer: &RetailOffer, quantity: u32) -> Result<PricedLine, ApiError> {
    Ok(PricedLine {
        offer_id: offer.id.clone(),
        product_id: offer.product_id.clone(),
        title: offer.title.clone(),
        hs_code: offer.hs_code.clone(),
        origin_country: offer.origin_country,
        unit_price: offer.unit_price,
        quantity,
        line_total: line_total(offer.unit_price, quantity).map_err(|e| ApiError::Refused(e.to_string()))?,
    })
}

/// A store front (public): the seller's identity and returns terms, the available offers
/// and, for the viewer's country, each offer's full price with every shipping option that
/// delivers there (duties and taxes stated as not included until customs lands).
#[utoipa::path(get, path = "/api/v1/stores/{id}", tag = "retail", params(("id" = String, Path), CountryParam),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn get_store(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    Query(q): Query<CountryParam>,
) -> Result<Json<StoreView>, ApiError> {
    let store = state.store.get_store(&id).await?;
    let country = match (q.country.as_deref().map(str::trim).filter(|c| !c.is_empty()), &user) {
        (Some(c), _) => {
            let mut e = ValidationErrors::new();
            let c = e.check("country", c.to_ascii_uppercase().parse::<CountryCode>());
            Some(e.into_result(c)?.ok_or(ApiError::NotFound)?)
        }
        (None, Some(u)) if u.is_consumer => state.store.consumer(&u.user.id).await?.map(|c| c.country),
        _ => None,
    };
    let options = state.store.shipping_options(&id).await?;
    let mut offers = Vec::new();
    let assessor = duties_and_taxes(&state).await?;
    for offer in state.store.store_offers(&id, false).await? {
        let mut delivered_prices = Vec::new();
        if let Some(c) = country {
            let line = priced_line(&offer, 1)?;
            for o in options.iter().filter(|o| ships_to(&o.terms, c)) {
                delivered_prices.push(price_with(
                    assessor.as_ref(),
                    std::slice::from_ref(&line),
                    line.line_total,
                    o,
                    c,
                    store.seller_identity.country,
                )?);
            }
        }
        offers.push(OfferView { offer, delivered_prices });
    }
    Ok(Json(StoreView { store, country, offers, shipping_options: options }))
}

async fn own_store(state: &AppState, user: &CurrentUser, id: &str) -> Result<(String, RetailStore), ApiError> {
    let org = user.organization_id()?.to_string();
    let store = state.store.get_store(id).await?;
    if store.organization_id != org {
        return Err(ApiError::NotFound);
    }
    Ok((org, store))
}

/// The seller lists one of its marketplace products for consumers: `product_id`,
/// `unit_price` (in the store's currency, decimal text), `stock` (whole units).
#[utoipa::path(post, path = "/api/v1/stores/{id}/offers", tag = "retail", params(("id" = String, Path)), request_body = Object,
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn add_offer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(form): Json<OfferForm>,
) -> Result<impl IntoResponse, ApiError> {
    let (org, store) = own_store(&state, &user, &id).await?;
    let terms = form.validate(store.terms.currency)?;
    let offer = state.store.add_offer(&user.actor(), &org, &id, &terms).await?;
    Ok((StatusCode::CREATED, Json(offer)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OfferChange {
    #[serde(with = "rust_decimal::serde::str_option")]
    pub unit_price: Option<rust_decimal::Decimal>,
    pub currency: Option<String>,
    pub stock: Option<i64>,
}

/// The seller changes an offer's price and stock.
#[utoipa::path(put, path = "/api/v1/stores/{id}/offers/{offer_id}", tag = "retail",
    params(("id" = String, Path), ("offer_id" = String, Path)), request_body = Object,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn update_offer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, offer_id)): Path<(String, String)>,
    Json(change): Json<OfferChange>,
) -> Result<Json<RetailOffer>, ApiError> {
    let (org, store) = own_store(&state, &user, &id).await?;
    let offer = state.store.get_offer(&offer_id).await?;
    if offer.store_id != store.id {
        return Err(ApiError::NotFound);
    }
    let form = OfferForm {
        product_id: offer.product_id.clone(),
        unit_price: change.unit_price,
        currency: change.currency,
        stock: change.stock,
    };
    let terms = form.validate(store.terms.currency)?;
    Ok(Json(state.store.update_offer(&user.actor(), &org, &offer_id, terms.unit_price, terms.stock).await?))
}

/// The seller withdraws an offer: it leaves the store, and carts holding it cannot check
/// out until it is removed.
#[utoipa::path(delete, path = "/api/v1/stores/{id}/offers/{offer_id}", tag = "retail",
    params(("id" = String, Path), ("offer_id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::problem::Problem)))]
pub async fn withdraw_offer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, offer_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (org, store) = own_store(&state, &user, &id).await?;
    let offer = state.store.get_offer(&offer_id).await?;
    if offer.store_id != store.id {
        return Err(ApiError::NotFound);
    }
    state.store.withdraw_offer(&user.actor(), &org, &offer_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The seller adds a shipping option: `name`, `destinations` (country codes), `price` (in
/// the store's currency; 0 for free shipping), `delivery_days` (at most).
#[utoipa::path(post, path = "/api/v1/stores/{id}/shipping-options", tag = "retail", params(("id" = String, Path)), request_body = Object,
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn add_shipping_option(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(form): Json<ShippingOptionForm>,
) -> Result<impl IntoResponse, ApiError> {
    let (org, store) = own_store(&state, &user, &id).await?;
    let terms = form.validate(store.terms.currency)?;
    let option = state.store.add_shipping_option(&user.actor(), &org, &id, &terms).await?;
    Ok((StatusCode::CREATED, Json(option)))
}

/// A cart line as shown.
#[derive(Serialize)]
pub struct CartLineView {
    pub offer_id: String,
    pub title: String,
    pub unit_price: Money,
    pub quantity: u32,
    pub line_total: Money,
    /// False when the offer was withdrawn or hidden: remove it before checking out.
    pub available: bool,
    pub stock: i64,
}

/// The part of the cart one seller will deliver (one order at checkout).
#[derive(Serialize)]
pub struct SellerBasket {
    pub store_id: String,
    pub store_name: String,
    pub seller_identity: tradewind_domain::retail::SellerIdentity,
    pub returns_window_days: u32,
    pub lines: Vec<CartLineView>,
    pub goods_total: Option<Money>,
    /// The shipping options that deliver to the consumer's country, each with the FULL
    /// price: goods + shipping, and duties and taxes (stated "not_included" with the reason
    /// until the customs work lands).
    pub shipping_options: Vec<PricedShipping>,
    /// What stops this part of the cart from checking out, if anything.
    pub problems: Vec<String>,
}

#[derive(Serialize)]
pub struct CartView {
    pub country: CountryCode,
    /// One entry per seller: checkout makes one order per seller.
    pub sellers: Vec<SellerBasket>,
    pub ready_to_check_out: bool,
}

pub(crate) async fn cart_view(state: &AppState, consumer: &Consumer) -> Result<CartView, ApiError> {
    let items = state.store.cart(&consumer.user_id).await?;
    let mut by_store: BTreeMap<String, Vec<tradewind_store::CartItem>> = BTreeMap::new();
    for i in items {
        by_store.entry(i.offer.store_id.clone()).or_default().push(i);
    }
    let mut sellers = Vec::new();
    for (store_id, items) in by_store {
        let store = state.store.get_store(&store_id).await?;
        let mut problems = Vec::new();
        let mut priced = Vec::new();
        let mut lines = Vec::new();
        for i in &items {
            let line = priced_line(&i.offer, i.quantity)?;
            if !i.offer.available {
                problems.push(format!("'{}' is no longer offered: remove it from your cart", i.offer.title));
            } else if i64::from(i.quantity) > i.offer.stock {
                problems.push(format!("only {} of '{}' left: lower the quantity", i.offer.stock, i.offer.title));
            } else {
                priced.push(line.clone());
            }
            lines.push(CartLineView {
                offer_id: i.offer.id.clone(),
                title: i.offer.title.clone(),
                unit_price: i.offer.unit_price,
                quantity: i.quantity,
                line_total: line.line_total,
                available: i.offer.available,
                stock: i.offer.stock,
            });
        }
        let goods = goods_total(&priced).map_err(|e| ApiError::Refused(e.to_string()))?;
        let mut shipping_options = Vec::new();
        let assessor = duties_and_taxes(state).await?;
        if let Some(goods) = goods {
            for o in
                state.store.shipping_options(&store_id).await?.iter().filter(|o| ships_to(&o.terms, consumer.country))
            {
                shipping_options.push(price_with(
                    assessor.as_ref(),
                    &priced,
                    goods,
                    o,
                    consumer.country,
                    store.seller_identity.country,
                )?);
            }
        }
        if shipping_options.is_empty() && goods.is_some() {
            problems.push(format!("{} does not deliver to {}", store.terms.display_name, consumer.country.name()));
        }
        sellers.push(SellerBasket {
            store_id,
            store_name: store.terms.display_name.clone(),
            seller_identity: store.seller_identity.clone(),
            returns_window_days: store.terms.returns_window_days,
            lines,
            goods_total: goods,
            shipping_options,
            problems,
        });
    }
    let ready_to_check_out = !sellers.is_empty() && sellers.iter().all(|s| s.problems.is_empty());
    Ok(CartView { country: consumer.country, sellers, ready_to_check_out })
}

/// The consumer's cart, per seller, with the full price for each shipping option that
/// delivers to the consumer's country.
#[utoipa::path(get, path = "/api/v1/cart", tag = "retail",
    responses((status = 200, body = Object), (status = 401, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
pub async fn get_cart(State(state): State<AppState>, user: CurrentUser) -> Result<Json<CartView>, ApiError> {
    let consumer = consumer_of(&state, &user).await?;
    Ok(Json(cart_view(&state, &consumer).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct CartLineIn {
    pub offer_id: String,
    /// Whole units, above zero.
    pub quantity: Option<i64>,
}

/// Adds units of an offer to the cart (added to any already there).
#[utoipa::path(post, path = "/api/v1/cart/lines", tag = "retail", request_body = CartLineIn,
    responses((status = 200, body = Object), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn add_to_cart(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<CartLineIn>,
) -> Result<Json<CartView>, ApiError> {
    let consumer = consumer_of(&state, &user).await?;
    let mut e = ValidationErrors::new();
    let offer_id = required_text(&mut e, "offer_id", &body.offer_id, 64);
    let quantity = cart_quantity(&mut e, "quantity", body.quantity);
    let (Some(offer_id), Some(quantity)) = (offer_id, quantity) else { return Err(ApiError::Invalid(e)) };
    state.store.put_in_cart(&user.actor(), &consumer.user_id, &offer_id, quantity, true).await?;
    Ok(Json(cart_view(&state, &consumer).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct QuantityIn {
    pub quantity: Option<i64>,
}

/// Sets the quantity of a cart line.
#[utoipa::path(put, path = "/api/v1/cart/lines/{offer_id}", tag = "retail", params(("offer_id" = String, Path)), request_body = QuantityIn,
    responses((status = 200, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn set_cart_line(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(offer_id): Path<String>,
    Json(body): Json<QuantityIn>,
) -> Result<Json<CartView>, ApiError> {
    let consumer = consumer_of(&state, &user).await?;
    let mut e = ValidationErrors::new();
    let quantity = cart_quantity(&mut e, "quantity", body.quantity);
    let quantity = e.into_result(quantity)?.ok_or(ApiError::NotFound)?;
    state.store.put_in_cart(&user.actor(), &consumer.user_id, &offer_id, quantity, false).await?;
    Ok(Json(cart_view(&state, &consumer).await?))
}

/// Removes a line from the cart.
#[utoipa::path(delete, path = "/api/v1/cart/lines/{offer_id}", tag = "retail", params(("offer_id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn remove_cart_line(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(offer_id): Path<String>,
) -> Result<Json<CartView>, ApiError> {
    let consumer = consumer_of(&state, &user).await?;
    state.store.remove_from_cart(&user.actor(), &consumer.user_id, &offer_id).await?;
    Ok(Json(cart_view(&state, &consumer).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CheckoutIn {
    /// The chosen shipping option per store in the cart: `{ "<store id>": "<option id>" }`.
    pub shipping: BTreeMap<String, String>,
    pub ship_to: ShipToForm,
}

/// The returns terms an order confirmation states.
#[derive(Serialize)]
pub struct ReturnsTerms {
    pub window_days: u32,
    /// Always "delivery": the window runs from the day the goods are delivered.
    pub counted_from: &'static str,
    pub returns_address: String,
    /// The last day to request a return; set once the seller marks the order delivered.
    #[serde(with = "tradewind_domain::retail::iso_day::option")]
    pub deadline: Option<time::Date>,
    /// The last day to request a return if the goods arrive on the latest expected day.
    #[serde(with = "tradewind_domain::retail::iso_day")]
    pub deadline_if_delivered_by_estimate: time::Date,
    /// The terms in words, as the confirmation shows them.
    pub statement: String,
}

/// A consumer order as its consumer and seller see it: the order confirmation.
#[derive(Serialize)]
pub struct ConsumerOrderView {
    #[serde(flatten)]
    pub order: ConsumerOrder,
    /// What the consumer pays: goods + shipping (+ duties and taxes when included).
    pub total: Money,
    pub returns: ReturnsTerms,
    pub your_side: RetailParty,
    /// The events the status allows now (to either side).
    pub allowed_events: Vec<&'static str>,
}

pub(crate) fn order_view(order: ConsumerOrder, your_side: RetailParty) -> ConsumerOrderView {
    let deadline = order.returns_deadline();
    let expected = order.expected_returns_deadline();
    let id = &order.seller_identity;
    let when = match deadline {
        Some(d) => format!("by {d}"),
        None => format!(
            "counted from delivery (by {expected} if the goods arrive by the expected date {})",
            order.shipping.estimated_delivery_by
        ),
    };
    let statement = format!(
        "You may return the goods within {} days of delivery, {when}, to {}. Sold by {}, registration number {} ({}), {}; contact {}, {}.",
        order.returns_window_days,
        order.returns_address,
        id.legal_name,
        id.registration_number,
        id.country.name(),
        id.address,
        id.contact_email,
        id.contact_phone,
    );
    let returns = ReturnsTerms {
        window_days: order.returns_window_days,
        counted_from: "delivery",
        returns_address: order.returns_address.clone(),
        deadline,
        deadline_if_delivered_by_estimate: expected,
        statement,
    };
    let allowed_events = order.status.allowed().iter().map(|e| e.as_str()).collect();
    ConsumerOrderView { total: order.price.total, order, returns, your_side, allowed_events }
}

#[derive(Serialize)]
pub struct CheckoutView {
    pub checkout_id: String,
    /// One order per seller.
    pub orders: Vec<ConsumerOrderView>,
    /// True when this answers an earlier request with the same Idempotency-Key.
    pub replayed: bool,
}

/// Checks the cart out with an `Idempotency-Key`: one order per seller, each at its full
/// price with the chosen shipping, stock taken in the same transaction, the cart emptied.
/// Each order waits for payment ("awaiting_payment", the total). A retry with the same
/// key answers 200 with the same orders and takes no stock.
#[utoipa::path(post, path = "/api/v1/checkout", tag = "retail", request_body = Object,
    params(("Idempotency-Key" = String, Header, description = "A new key per checkout, for example a UUID")),
    responses((status = 201, body = Object), (status = 200, body = Object, description = "A replay"),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn checkout(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Json(body): Json<CheckoutIn>,
) -> Result<impl IntoResponse, ApiError> {
    let consumer = consumer_of(&state, &user).await?;
    let key = idempotency_key(&headers)?;
    let ship_to = body.ship_to.validate(consumer.country)?;
    let req = CheckoutRequest {
        consumer_id: &consumer.user_id,
        country: consumer.country,
        idempotency_key: &key,
        shipping: &body.shipping,
        ship_to: &ship_to,
        today: today(),
    };
    let done = state.store.checkout(&user.actor(), &req, duties_and_taxes(&state).await?.as_ref()).await?;
    let status = if done.replayed { StatusCode::OK } else { StatusCode::CREATED };
    let orders = done.orders.into_iter().map(|o| order_view(o, RetailParty::Consumer)).collect();
    Ok((status, Json(CheckoutView { checkout_id: done.checkout_id, orders, replayed: done.replayed })))
}

/// Who the caller is to consumer orders.
async fn viewer(state: &AppState, user: &CurrentUser) -> Result<(String, RetailParty), ApiError> {
    if user.is_consumer {
        Ok((consumer_of(state, user).await?.user_id, RetailParty::Consumer))
    } else {
        Ok((user.organization_id()?.to_string(), RetailParty::Seller))
    }
}

fn as_viewer(id: &str, side: RetailParty) -> RetailViewer<'_> {
    match side {
        RetailParty::Consumer => RetailViewer::Consumer(id),
        RetailParty::Seller => RetailViewer::Seller(id),
    }
}

#[derive(Serialize)]
pub struct ConsumerOrderList {
    pub items: Vec<ConsumerOrderView>,
}

/// A consumer's own orders, or a seller company's consumer orders, oldest first.
#[utoipa::path(get, path = "/api/v1/consumer-orders", tag = "retail", responses((status = 200, body = Object)))]
pub async fn list_consumer_orders(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ConsumerOrderList>, ApiError> {
    let (id, side) = viewer(&state, &user).await?;
    let items = state.store.consumer_orders(as_viewer(&id, side)).await?;
    Ok(Json(ConsumerOrderList { items: items.into_iter().map(|o| order_view(o, side)).collect() }))
}

/// One consumer order (its confirmation), for its consumer and its seller.
#[utoipa::path(get, path = "/api/v1/consumer-orders/{id}", tag = "retail", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn get_consumer_order(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(order_id): Path<String>,
) -> Result<Json<ConsumerOrderView>, ApiError> {
    let (id, side) = viewer(&state, &user).await?;
    let order = state.store.consumer_order(as_viewer(&id, side), &order_id).await?;
    Ok(Json(order_view(order, side)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ConsumerEventIn {
    /// ship, deliver, confirm_return (seller); request_return (consumer); complete (after
    /// the returns window) or cancel (before shipping), either side.
    pub event: String,
}

/// Moves a consumer order: the seller ships and marks delivered; the consumer requests a
/// return within the window (refused after it, naming the deadline); the seller confirms
/// the return arrived.
#[utoipa::path(post, path = "/api/v1/consumer-orders/{id}/events", tag = "retail", params(("id" = String, Path)),
    request_body = ConsumerEventIn,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn consumer_order_event(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(order_id): Path<String>,
    Json(body): Json<ConsumerEventIn>,
) -> Result<Json<ConsumerOrderView>, ApiError> {
    let (id, side) = viewer(&state, &user).await?;
    let Some(event) = ConsumerOrderEvent::parse(body.event.trim()) else {
        let names: Vec<&str> = ConsumerOrderEvent::ALL.iter().map(|e| e.as_str()).collect();
        return Err(ApiError::field(
            "event",
            "unknown_event",
            format!("'{}' is not a consumer order event; use one of {}", body.event.trim(), names.join(", ")),
        ));
    };
    let order =
        state.store.consumer_order_event(&user.actor(), as_viewer(&id, side), &order_id, event, today()).await?;
    Ok(Json(order_view(order, side)))
}
