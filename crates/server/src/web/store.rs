//! The consumer's shop pages: a seller's store front with the full delivered price for the
//! consumer's country, the cart per seller with its shipping choices and checkout form, and
//! the order confirmation (seller identity, total, returns window).
//!
//! The pages call the same store functions and API helpers as `/api/v1/stores`,
//! `/api/v1/cart` and `/api/v1/checkout`. The checkout form carries an idempotency key made
//! when the cart page is drawn, so a form submitted twice makes one set of orders.

use super::forms::FormData;
use super::page::{Ctx, PageError, render, see_other};
use crate::AppState;
use crate::api::retail::{self as api, CartView, ConsumerOrderView};
use crate::auth;
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::BTreeMap;
use tradewind_domain::retail::ShipToForm;
use tradewind_domain::retail::pricing::DutiesAndTaxesQuote;
use tradewind_store::{CheckoutRequest, RetailViewer};

struct OfferRow {
    id: String,
    title: String,
    unit_price: String,
    stock: i64,
    /// One text per shipping option that delivers to the viewer's country.
    delivered: Vec<String>,
}

#[derive(Template)]
#[template(path = "store_front.html")]
struct StoreFrontPage {
    page: super::page::Chrome,
    name: String,
    seller: String,
    returns: String,
    country: String,
    can_buy: bool,
    offers: Vec<OfferRow>,
}

fn duties_text(tr: super::i18n::Tr, d: &DutiesAndTaxesQuote) -> String {
    match d {
        DutiesAndTaxesQuote::NotIncluded { .. } => tr.t("shop.duties_not_included").to_string(),
        DutiesAndTaxesQuote::Included { amount, basis } => {
            tr.fill("shop.duties_included", &[("amount", &amount.to_string()), ("basis", basis)])
        }
    }
}

/// `GET /stores/{id}`: a store front; a signed-in consumer sees delivered prices for their
/// country, anyone else the offers and the shipping destinations.
pub async fn front(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, PageError> {
    let tr = ctx.tr();
    let store = state.store.get_store(&id).await?;
    let consumer = match &ctx.user {
        Some(u) if u.is_consumer => state.store.consumer(&u.user.id).await?,
        _ => None,
    };
    let country = consumer.as_ref().map(|c| c.country);
    let options = state.store.shipping_options(&id).await?;
    let mut offers = Vec::new();
    let assessor = api::duties_and_taxes(&state).await?;
    for o in state.store.store_offers(&id, false).await? {
        let mut delivered = Vec::new();
        if let Some(c) = country {
            // The same full price as the API and the checkout: delivered duty paid.
            let line = api::priced_line(&o, 1)?;
            for opt in options.iter().filter(|s| s.terms.destinations.contains(&c)) {
                let priced = api::price_with(
                    assessor.as_ref(),
                    std::slice::from_ref(&line),
                    line.line_total,
                    opt,
                    c,
                    store.seller_identity.country,
                )?;
                delivered.push(format!(
                    "{} {}",
                    tr.fill(
                        "shop.delivered_price",
                        &[
                            ("total", &priced.price.total.to_string()),
                            ("option", &opt.terms.name),
                            ("days", &opt.terms.delivery_days.to_string()),
                        ],
                    ),
                    duties_text(tr, &priced.price.duties_and_taxes)
                ));
            }
        }
        offers.push(OfferRow {
            id: o.id.clone(),
            title: o.title.clone(),
            unit_price: o.unit_price.to_string(),
            stock: o.stock,
            delivered,
        });
    }
    let idn = &store.seller_identity;
    let page = StoreFrontPage {
        page: ctx.chrome("title.store", "store"),
        name: store.terms.display_name.clone(),
        seller: tr.fill(
            "shop.sold_by",
            &[("legal_name", &idn.legal_name), ("registration", &idn.registration_number), ("address", &idn.address)],
        ),
        returns: tr.fill("shop.returns", &[("days", &store.terms.returns_window_days.to_string())]),
        country: country.map(|c| tr.fill("shop.prices_for", &[("country", c.name())])).unwrap_or_default(),
        can_buy: consumer.is_some(),
        offers,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /cart`: adds units of an offer to the consumer's cart.
pub async fn add(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let consumer = api::consumer_of(&state, user).await?;
    let quantity = form.get("quantity").trim().parse::<i64>().ok();
    let mut e = tradewind_domain::ValidationErrors::new();
    let quantity = tradewind_domain::retail::cart_quantity(&mut e, "quantity", quantity);
    let quantity = e.into_result(quantity)?.ok_or(ApiError::NotFound)?;
    state.store.put_in_cart(&user.actor(), &consumer.user_id, form.get("offer_id"), quantity, true).await?;
    Ok(see_other("/cart?notice=added_to_cart"))
}

struct ShippingChoice {
    field: String,
    option_id: String,
    label: String,
}

struct BasketView {
    store_id: String,
    name: String,
    seller: String,
    lines: Vec<(String, u32, String)>,
    goods: String,
    choices: Vec<ShippingChoice>,
    problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "cart.html")]
struct CartPage {
    page: super::page::Chrome,
    baskets: Vec<BasketView>,
    ready: bool,
    error: String,
    idempotency_key: String,
    country: String,
}

fn cart_page(ctx: &Ctx, cart: CartView, error: String, path: Option<&str>) -> CartPage {
    let tr = ctx.tr();
    let baskets = cart
        .sellers
        .into_iter()
        .map(|s| BasketView {
            store_id: s.store_id.clone(),
            name: s.store_name.clone(),
            seller: tr.fill(
                "shop.sold_by",
                &[
                    ("legal_name", &s.seller_identity.legal_name),
                    ("registration", &s.seller_identity.registration_number),
                    ("address", &s.seller_identity.address),
                ],
            ),
            lines: s.lines.iter().map(|l| (l.title.clone(), l.quantity, l.line_total.to_string())).collect(),
            goods: s.goods_total.map(|g| g.to_string()).unwrap_or_default(),
            choices: s
                .shipping_options
                .iter()
                .map(|o| ShippingChoice {
                    field: format!("shipping.{}", s.store_id),
                    option_id: o.option_id.clone(),
                    label: format!(
                        "{} — {} ({})",
                        tr.fill(
                            "shop.delivered_price",
                            &[
                                ("total", &o.price.total.to_string()),
                                ("option", &o.name),
                                ("days", &o.delivery_days.to_string())
                            ]
                        ),
                        tr.fill(
                            "shop.goods_and_shipping",
                            &[("goods", &o.price.goods.to_string()), ("shipping", &o.price.shipping.to_string())]
                        ),
                        duties_text(tr, &o.price.duties_and_taxes)
                    ),
                })
                .collect(),
            problems: s.problems.clone(),
        })
        .collect();
    let page = match path {
        Some(p) => ctx.chrome_at("title.cart", "cart", p),
        None => ctx.chrome("title.cart", "cart"),
    };
    CartPage {
        page,
        baskets,
        ready: cart.ready_to_check_out,
        error,
        idempotency_key: auth::new_secret("co_"),
        country: tr.fill("shop.prices_for", &[("country", cart.country.name())]),
    }
}

/// `GET /cart`: the cart per seller with the full price of each shipping option, and the
/// checkout form.
pub async fn cart(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let consumer = api::consumer_of(&state, user).await?;
    let view = api::cart_view(&state, &consumer).await?;
    Ok(render(StatusCode::OK, &cart_page(&ctx, view, String::new(), None)))
}

/// `POST /checkout`: places one order per seller; a refusal redraws the cart with the reason.
pub async fn checkout(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let consumer = api::consumer_of(&state, user).await?;
    let key = form.get("idempotency_key").to_string();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest("the form carries no valid idempotency key".into()).into());
    }
    let view = api::cart_view(&state, &consumer).await?;
    // The stores as the page listed them, so a resubmitted form (its cart now empty) is
    // the same request and gets its first answer back.
    let mut shipping = BTreeMap::new();
    for store_id in form.all("store") {
        let chosen = form.get(&format!("shipping.{store_id}"));
        if !chosen.is_empty() {
            shipping.insert(store_id, chosen.to_string());
        }
    }
    let ship_to = ShipToForm {
        name: form.get("ship_to.name").into(),
        street: form.get("ship_to.street").into(),
        city: form.get("ship_to.city").into(),
        postal_code: form.get("ship_to.postal_code").into(),
    };
    let attempt = async {
        let ship_to = ship_to.validate(consumer.country)?;
        let req = CheckoutRequest {
            consumer_id: &consumer.user_id,
            country: consumer.country,
            idempotency_key: &key,
            shipping: &shipping,
            ship_to: &ship_to,
            today: time::OffsetDateTime::now_utc().date(),
        };
        Ok::<_, ApiError>(
            state.store.checkout(&user.actor(), &req, api::duties_and_taxes(&state).await?.as_ref()).await?,
        )
    };
    match attempt.await {
        Ok(done) => Ok(see_other(&format!("/checkout/{}", done.checkout_id))),
        Err(e @ (ApiError::Invalid(_) | ApiError::Refused(_) | ApiError::Conflict { .. })) => {
            let detail = e.problem().detail;
            let page = cart_page(&ctx, view, detail, Some("/cart"));
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "confirmation.html")]
struct ConfirmationPage {
    page: super::page::Chrome,
    orders: Vec<ConsumerOrderView>,
}

/// `GET /checkout/{id}`: the confirmation of one checkout: per seller, the lines, the
/// total, the seller's identity and the returns terms.
pub async fn confirmation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let consumer = api::consumer_of(&state, user).await?;
    let orders: Vec<ConsumerOrderView> = state
        .store
        .consumer_orders(RetailViewer::Consumer(&consumer.user_id))
        .await?
        .into_iter()
        .filter(|o| o.checkout_id == id)
        .map(|o| api::order_view(o, tradewind_domain::retail::order::RetailParty::Consumer))
        .collect();
    if orders.is_empty() {
        return Err(ApiError::NotFound.into());
    }
    Ok(render(StatusCode::OK, &ConfirmationPage { page: ctx.chrome("title.confirmation", "cart"), orders }))
}
