//! Cross-border B2C retail: consumer accounts, sellers' stores with their offers and
//! shipping options, carts, checkout and consumer orders.
//!
//! Checkout is one audited transaction: the cart is read, split into one order per seller
//! (see `tradewind_domain::retail`), each order priced with the chosen shipping option,
//! stock taken with a conditional update (never below zero), the cart emptied and the
//! Idempotency-Key kept with the checkout id, so a retry with the same key returns the
//! same orders and takes no stock.

use crate::marketplace::notify_in_tx;
use crate::organizations::email_conflict;
use crate::{
    Actor, NewUser, Organization, Result, Store, StoreError, User, corrupt, from_json, is_unique_violation, json_text,
    new_id, now_text,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;
use std::str::FromStr;
use tradewind_domain::retail::order::{
    Circumstances, ConsumerOrderEvent, ConsumerOrderStatus, PaymentDue, PaymentState, RetailParty, returns_deadline,
};
use tradewind_domain::retail::pricing::{
    DutiesAndTaxes, FullPrice, LandedCostRequest, PricedLine, full_price, goods_total, line_total, ships_to,
};
use tradewind_domain::retail::{OfferTerms, SellerIdentity, ShipTo, ShippingTerms, StoreTerms};
use tradewind_domain::{CountryCode, CurrencyCode, Money};

/// A consumer's profile: a user with no company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consumer {
    pub user_id: String,
    /// Country of residence: shipping options and prices are shown for it.
    pub country: CountryCode,
    pub created_at: String,
}

/// A seller's consumer-facing store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetailStore {
    pub id: String,
    pub organization_id: String,
    #[serde(flatten)]
    pub terms: StoreTerms,
    /// Who the consumer buys from.
    pub seller_identity: SellerIdentity,
    pub created_at: String,
}

/// A product sold to consumers at a retail unit price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetailOffer {
    pub id: String,
    pub store_id: String,
    pub organization_id: String,
    pub product_id: String,
    pub title: String,
    pub description: String,
    pub hs_code: tradewind_domain::HsCode,
    pub origin_country: CountryCode,
    pub unit_price: Money,
    pub stock: i64,
    /// False when the seller withdrew the offer or the operator hid the product.
    pub available: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShippingOption {
    pub id: String,
    pub store_id: String,
    #[serde(flatten)]
    pub terms: ShippingTerms,
    pub created_at: String,
}

/// One cart line with its offer as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CartItem {
    pub offer: RetailOffer,
    pub quantity: u32,
}

/// The shipping a consumer chose for one order, as agreed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChosenShipping {
    pub option_id: String,
    pub name: String,
    pub price: Money,
    pub delivery_days: u32,
    /// The latest expected delivery date: placed date + delivery days.
    #[serde(with = "tradewind_domain::retail::iso_day")]
    pub estimated_delivery_by: time::Date,
}

/// A consumer order, as its consumer and its seller see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsumerOrder {
    pub id: String,
    pub consumer_id: String,
    pub seller_id: String,
    pub store_id: String,
    /// Orders made by one checkout share it.
    pub checkout_id: String,
    pub status: ConsumerOrderStatus,
    pub lines: Vec<PricedLine>,
    pub shipping: ChosenShipping,
    pub ship_to: ShipTo,
    pub price: FullPrice,
    /// The payment seam: "awaiting_payment" for the total until the payment work lands.
    pub payment: PaymentDue,
    pub seller_identity: SellerIdentity,
    pub returns_window_days: u32,
    pub returns_address: String,
    #[serde(with = "tradewind_domain::retail::iso_day")]
    pub placed_on: time::Date,
    #[serde(with = "tradewind_domain::retail::iso_day::option")]
    pub delivered_on: Option<time::Date>,
    pub created_at: String,
    pub updated_at: String,
}

impl ConsumerOrder {
    /// The last day a return may be requested; known once the goods are delivered.
    pub fn returns_deadline(&self) -> Option<time::Date> {
        self.delivered_on.map(|d| returns_deadline(d, self.returns_window_days))
    }
    /// The deadline if the goods arrive on the latest expected day.
    pub fn expected_returns_deadline(&self) -> time::Date {
        returns_deadline(self.shipping.estimated_delivery_by, self.returns_window_days)
    }
}

/// Who reads or moves a consumer order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetailViewer<'a> {
    Consumer(&'a str),
    Seller(&'a str),
}

/// What a checkout asks for.
#[derive(Debug, Clone)]
pub struct CheckoutRequest<'a> {
    pub consumer_id: &'a str,
    pub country: CountryCode,
    pub idempotency_key: &'a str,
    /// The chosen shipping option per store in the cart.
    pub shipping: &'a BTreeMap<String, String>,
    pub ship_to: &'a ShipTo,
    pub today: time::Date,
}

/// The orders a checkout made, and whether this is the replay of an earlier request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckoutResult {
    pub checkout_id: String,
    pub orders: Vec<ConsumerOrder>,
    pub replayed: bool,
}

fn parse<T: FromStr>(what: &str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>().map_err(|e| corrupt(what, e))
}

fn money(r: &AnyRow, amount_col: &str, currency_col: &str) -> Result<Money> {
    let amount: String = r.try_get(amount_col)?;
    let currency: String = r.try_get(currency_col)?;
    let currency: CurrencyCode = parse(currency_col, &currency)?;
    Money::new(parse::<Decimal>(amount_col, &amount)?, currency).map_err(|e| corrupt(amount_col, e))
}

fn date_text(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn date(what: &str, s: &str) -> Result<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt).map_err(|e| corrupt(what, e))
}

fn count_u32(what: &str, v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|e| corrupt(what, e))
}

const STORE_COLUMNS: &str = "id, organization_id, display_name, currency, returns_window_days, returns_address, \
     seller_identity, created_at";

fn store_from_row(r: &AnyRow) -> Result<RetailStore> {
    let identity: SellerIdentity = from_json("seller identity", &r.try_get::<String, _>("seller_identity")?)?;
    let currency: String = r.try_get("currency")?;
    Ok(RetailStore {
        id: r.try_get("id")?,
        organization_id: r.try_get("organization_id")?,
        terms: StoreTerms {
            display_name: r.try_get("display_name")?,
            currency: parse("currency", &currency)?,
            returns_window_days: count_u32("returns window", r.try_get("returns_window_days")?)?,
            returns_address: r.try_get("returns_address")?,
            contact_email: identity.contact_email.clone(),
            contact_phone: identity.contact_phone.clone(),
        },
        seller_identity: identity,
        created_at: r.try_get("created_at")?,
    })
}

const OFFER_SELECT: &str = "SELECT o.id, o.store_id, s.organization_id, o.product_id, p.title, p.description, \
     p.hs_code, p.origin_country, o.unit_price, o.currency, o.stock, o.active, p.hidden, o.created_at \
     FROM retail_offers o JOIN retail_stores s ON s.id = o.store_id JOIN products p ON p.id = o.product_id";

fn offer_from_row(r: &AnyRow) -> Result<RetailOffer> {
    let hs: String = r.try_get("hs_code")?;
    let origin: String = r.try_get("origin_country")?;
    Ok(RetailOffer {
        id: r.try_get("id")?,
        store_id: r.try_get("store_id")?,
        organization_id: r.try_get("organization_id")?,
        product_id: r.try_get("product_id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        hs_code: parse("hs_code", &hs)?,
        origin_country: parse("origin_country", &origin)?,
        unit_price: money(r, "unit_price", "currency")?,
        stock: r.try_get("stock")?,
        available: r.try_get::<i64, _>("active")? != 0 && r.try_get::<i64, _>("hidden")? == 0,
        created_at: r.try_get("created_at")?,
    })
}

const SHIPPING_COLUMNS: &str = "id, store_id, name, destinations, price, currency, delivery_days, created_at";

fn shipping_from_row(r: &AnyRow) -> Result<ShippingOption> {
    Ok(ShippingOption {
        id: r.try_get("id")?,
        store_id: r.try_get("store_id")?,
        terms: ShippingTerms {
            name: r.try_get("name")?,
            destinations: from_json("destinations", &r.try_get::<String, _>("destinations")?)?,
            price: money(r, "price", "currency")?,
            delivery_days: count_u32("delivery days", r.try_get("delivery_days")?)?,
        },
        created_at: r.try_get("created_at")?,
    })
}

const ORDER_COLUMNS: &str = "id, consumer_id, organization_id, store_id, checkout_id, status, lines, shipping, ship_to, \
     goods_total, shipping_total, duties_and_taxes, total, currency, payment, seller_identity, returns_window_days, \
     returns_address, placed_on, delivered_on, created_at, updated_at";

fn order_from_row(r: &AnyRow) -> Result<ConsumerOrder> {
    let status: String = r.try_get("status")?;
    let delivered: Option<String> = r.try_get("delivered_on")?;
    Ok(ConsumerOrder {
        id: r.try_get("id")?,
        consumer_id: r.try_get("consumer_id")?,
        seller_id: r.try_get("organization_id")?,
        store_id: r.try_get("store_id")?,
        checkout_id: r.try_get("checkout_id")?,
        status: ConsumerOrderStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        lines: from_json("lines", &r.try_get::<String, _>("lines")?)?,
        shipping: from_json("shipping", &r.try_get::<String, _>("shipping")?)?,
        ship_to: from_json("ship_to", &r.try_get::<String, _>("ship_to")?)?,
        price: FullPrice {
            goods: money(r, "goods_total", "currency")?,
            shipping: money(r, "shipping_total", "currency")?,
            duties_and_taxes: from_json("duties_and_taxes", &r.try_get::<String, _>("duties_and_taxes")?)?,
            total: money(r, "total", "currency")?,
        },
        payment: from_json("payment", &r.try_get::<String, _>("payment")?)?,
        seller_identity: from_json("seller identity", &r.try_get::<String, _>("seller_identity")?)?,
        returns_window_days: count_u32("returns window", r.try_get("returns_window_days")?)?,
        returns_address: r.try_get("returns_address")?,
        placed_on: date("placed_on", &r.try_get::<String, _>("placed_on")?)?,
        delivered_on: delivered.map(|d| date("delivered_on", &d)).transpose()?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

async fn cart_items(conn: &mut AnyConnection, consumer_id: &str) -> Result<Vec<CartItem>> {
    let rows = sqlx::query(&format!(
        "{OFFER_SELECT} JOIN cart_lines c ON c.offer_id = o.id AND c.consumer_id = $1 ORDER BY c.added_at, o.id"
    ))
    .bind(consumer_id)
    .fetch_all(&mut *conn)
    .await?;
    let quantities = sqlx::query("SELECT offer_id, quantity FROM cart_lines WHERE consumer_id = $1")
        .bind(consumer_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut qty = BTreeMap::new();
    for q in &quantities {
        qty.insert(q.try_get::<String, _>("offer_id")?, q.try_get::<i64, _>("quantity")?);
    }
    rows.iter()
        .map(|r| {
            let offer = offer_from_row(r)?;
            let quantity = count_u32("cart quantity", qty.get(&offer.id).copied().unwrap_or(0))?;
            Ok(CartItem { offer, quantity })
        })
        .collect()
}

impl Store {
    /// Signs a consumer up: a user with no company and a consumer profile, in one
    /// transaction.
    pub async fn create_consumer(&self, user: &NewUser, country: CountryCode) -> Result<(User, Consumer)> {
        let mut tx = self.begin_audited().await?;
        let id = new_id();
        let now = now_text();
        sqlx::query(
            "INSERT INTO users (id, organization_id, email, name, password_hash, member_role, is_operator, created_at)
             VALUES ($1, NULL, $2, $3, $4, NULL, 0, $5)",
        )
        .bind(&id)
        .bind(&user.email)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { email_conflict("email", &user.email) } else { e.into() })?;
        sqlx::query("INSERT INTO consumers (user_id, country, created_at) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(country.as_str())
            .bind(&now)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit(
            &Actor::user(&id, None),
            None,
            "consumer.signed_up",
            &format!("user:{id}"),
            json!({"country": country}),
        )
        .await?;
        let consumer = Consumer { user_id: id.clone(), country, created_at: now };
        Ok((self.get_user(&id).await?, consumer))
    }

    /// The consumer profile of a user, if the user is a consumer.
    pub async fn consumer(&self, user_id: &str) -> Result<Option<Consumer>> {
        let row = sqlx::query("SELECT user_id, country, created_at FROM consumers WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let country: String = r.try_get("country")?;
            Ok(Consumer {
                user_id: r.try_get("user_id")?,
                country: parse("country", &country)?,
                created_at: r.try_get("created_at")?,
            })
        })
        .transpose()
    }

    /// Opens the company's store; the legal identity comes from its company record.
    pub async fn open_store(&self, actor: &Actor, org: &Organization, terms: &StoreTerms) -> Result<RetailStore> {
        let mut tx = self.begin_audited().await?;
        let id = new_id();
        let now = now_text();
        let a = &org.address;
        let identity = SellerIdentity {
            legal_name: org.legal_name.clone(),
            registration_number: org.registration_number.clone(),
            country: org.country,
            address: [a.street.as_str(), a.city.as_str(), a.postal_code.as_str(), a.country.name()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
            contact_email: terms.contact_email.clone(),
            contact_phone: terms.contact_phone.clone(),
        };
        sqlx::query(&format!(
            "INSERT INTO retail_stores ({STORE_COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(&id)
        .bind(&org.id)
        .bind(&terms.display_name)
        .bind(terms.currency.as_str())
        .bind(i64::from(terms.returns_window_days))
        .bind(&terms.returns_address)
        .bind(json_text(&identity)?)
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict { field: "organization", message: "your company already has a store".into() }
            } else {
                e.into()
            }
        })?;
        tx.commit(
            actor,
            Some(&org.id),
            "retail.store_opened",
            &format!("retail_store:{id}"),
            json!({"display_name": terms.display_name, "returns_window_days": terms.returns_window_days}),
        )
        .await?;
        self.get_store(&id).await
    }

    pub async fn get_store(&self, id: &str) -> Result<RetailStore> {
        let row = sqlx::query(&format!("SELECT {STORE_COLUMNS} FROM retail_stores WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        store_from_row(&row)
    }

    /// Every store, oldest first.
    pub async fn list_stores(&self) -> Result<Vec<RetailStore>> {
        let rows = sqlx::query(&format!("SELECT {STORE_COLUMNS} FROM retail_stores ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(store_from_row).collect()
    }

    /// A store of `organization_id`, or not found for anyone else's.
    async fn own_store(conn: &mut AnyConnection, organization_id: &str, store_id: &str) -> Result<RetailStore> {
        let row =
            sqlx::query(&format!("SELECT {STORE_COLUMNS} FROM retail_stores WHERE id = $1 AND organization_id = $2"))
                .bind(store_id)
                .bind(organization_id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound)?;
        store_from_row(&row)
    }

    /// Lists one of the seller's own, visible products in its store.
    pub async fn add_offer(
        &self,
        actor: &Actor,
        organization_id: &str,
        store_id: &str,
        offer: &OfferTerms,
    ) -> Result<RetailOffer> {
        let mut tx = self.begin_audited().await?;
        let store = Self::own_store(&mut tx.tx, organization_id, store_id).await?;
        if offer.unit_price.currency() != store.terms.currency {
            return Err(StoreError::InvalidField {
                field: "currency",
                code: "currency_mismatch",
                message: format!("this store sells in {}", store.terms.currency),
            });
        }
        let product = sqlx::query("SELECT hidden FROM products WHERE id = $1 AND organization_id = $2")
            .bind(&offer.product_id)
            .bind(organization_id)
            .fetch_optional(&mut *tx.tx)
            .await?;
        match product {
            None => {
                return Err(StoreError::InvalidField {
                    field: "product_id",
                    code: "unknown_product",
                    message: "your company has no product with this id; list it in the marketplace first".into(),
                });
            }
            Some(r) if r.try_get::<i64, _>("hidden")? != 0 => {
                return Err(StoreError::InvalidField {
                    field: "product_id",
                    code: "product_hidden",
                    message: "the platform operator hid this product; it cannot be sold".into(),
                });
            }
            Some(_) => {}
        }
        let id = new_id();
        let now = now_text();
        sqlx::query(
            "INSERT INTO retail_offers (id, store_id, product_id, unit_price, currency, stock, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)",
        )
        .bind(&id)
        .bind(store_id)
        .bind(&offer.product_id)
        .bind(offer.unit_price.amount().to_string())
        .bind(offer.unit_price.currency().as_str())
        .bind(offer.stock)
        .bind(&now)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(
            actor,
            Some(organization_id),
            "retail.offer_listed",
            &format!("retail_offer:{id}"),
            json!({"product_id": offer.product_id, "unit_price": offer.unit_price, "stock": offer.stock}),
        )
        .await?;
        self.get_offer(&id).await
    }

    pub async fn get_offer(&self, id: &str) -> Result<RetailOffer> {
        let row = sqlx::query(&format!("{OFFER_SELECT} WHERE o.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        offer_from_row(&row)
    }

    /// A store's offers; unavailable ones (withdrawn, hidden) only when asked for.
    pub async fn store_offers(&self, store_id: &str, include_unavailable: bool) -> Result<Vec<RetailOffer>> {
        let rows = sqlx::query(&format!("{OFFER_SELECT} WHERE o.store_id = $1 ORDER BY o.id"))
            .bind(store_id)
            .fetch_all(&self.pool)
            .await?;
        let offers = rows.iter().map(offer_from_row).collect::<Result<Vec<_>>>()?;
        Ok(offers.into_iter().filter(|o| include_unavailable || o.available).collect())
    }

    /// The seller changes an offer's price and stock.
    pub async fn update_offer(
        &self,
        actor: &Actor,
        organization_id: &str,
        offer_id: &str,
        unit_price: Money,
        stock: i64,
    ) -> Result<RetailOffer> {
        let mut tx = self.begin_audited().await?;
        let offer = self.offer_of(&mut tx.tx, organization_id, offer_id).await?;
        if unit_price.currency() != offer.unit_price.currency() {
            return Err(StoreError::InvalidField {
                field: "currency",
                code: "currency_mismatch",
                message: format!("this store sells in {}", offer.unit_price.currency()),
            });
        }
        sqlx::query("UPDATE retail_offers SET unit_price = $1, stock = $2, updated_at = $3 WHERE id = $4")
            .bind(unit_price.amount().to_string())
            .bind(stock)
            .bind(now_text())
            .bind(offer_id)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit(
            actor,
            Some(organization_id),
            "retail.offer_updated",
            &format!("retail_offer:{offer_id}"),
            json!({"unit_price": unit_price, "stock": stock}),
        )
        .await?;
        self.get_offer(offer_id).await
    }

    /// The seller withdraws an offer: it leaves the store and every cart's checkout.
    pub async fn withdraw_offer(&self, actor: &Actor, organization_id: &str, offer_id: &str) -> Result<()> {
        let mut tx = self.begin_audited().await?;
        self.offer_of(&mut tx.tx, organization_id, offer_id).await?;
        sqlx::query("UPDATE retail_offers SET active = 0, updated_at = $1 WHERE id = $2")
            .bind(now_text())
            .bind(offer_id)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit(
            actor,
            Some(organization_id),
            "retail.offer_withdrawn",
            &format!("retail_offer:{offer_id}"),
            json!({}),
        )
        .await?;
        Ok(())
    }

    async fn offer_of(&self, conn: &mut AnyConnection, organization_id: &str, offer_id: &str) -> Result<RetailOffer> {
        let row = sqlx::query(&format!("{OFFER_SELECT} WHERE o.id = $1 AND s.organization_id = $2"))
            .bind(offer_id)
            .bind(organization_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
        offer_from_row(&row)
    }

    pub async fn add_shipping_option(
        &self,
        actor: &Actor,
        organization_id: &str,
        store_id: &str,
        terms: &ShippingTerms,
    ) -> Result<ShippingOption> {
        let mut tx = self.begin_audited().await?;
        let store = Self::own_store(&mut tx.tx, organization_id, store_id).await?;
        if terms.price.currency() != store.terms.currency {
            return Err(StoreError::InvalidField {
                field: "currency",
                code: "currency_mismatch",
                message: format!("this store sells in {}", store.terms.currency),
            });
        }
        let id = new_id();
        let now = now_text();
        sqlx::query(&format!(
            "INSERT INTO retail_shipping_options ({SHIPPING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&id)
        .bind(store_id)
        .bind(&terms.name)
        .bind(json_text(&terms.destinations)?)
        .bind(terms.price.amount().to_string())
        .bind(terms.price.currency().as_str())
        .bind(i64::from(terms.delivery_days))
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(
            actor,
            Some(organization_id),
            "retail.shipping_option_added",
            &format!("retail_shipping_option:{id}"),
            json!({"name": terms.name, "price": terms.price, "destinations": terms.destinations}),
        )
        .await?;
        Ok(ShippingOption { id, store_id: store_id.into(), terms: terms.clone(), created_at: now })
    }

    pub async fn shipping_options(&self, store_id: &str) -> Result<Vec<ShippingOption>> {
        let rows = sqlx::query(&format!(
            "SELECT {SHIPPING_COLUMNS} FROM retail_shipping_options WHERE store_id = $1 ORDER BY id"
        ))
        .bind(store_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(shipping_from_row).collect()
    }

    /// Puts `quantity` units of an available offer in the consumer's cart: added to what is
    /// there (`add`) or replacing it. Refuses more than the offer's stock.
    pub async fn put_in_cart(
        &self,
        actor: &Actor,
        consumer_id: &str,
        offer_id: &str,
        quantity: u32,
        add: bool,
    ) -> Result<()> {
        let mut tx = self.begin_audited().await?;
        let row =
            sqlx::query(&format!("{OFFER_SELECT} WHERE o.id = $1")).bind(offer_id).fetch_optional(&mut *tx.tx).await?;
        let offer = match row {
            Some(r) => offer_from_row(&r)?,
            None => {
                return Err(StoreError::InvalidField {
                    field: "offer_id",
                    code: "unknown_offer",
                    message: "no store offers this".into(),
                });
            }
        };
        if !offer.available {
            return Err(StoreError::InvalidField {
                field: "offer_id",
                code: "offer_unavailable",
                message: format!("'{}' is no longer offered", offer.title),
            });
        }
        let existing = sqlx::query("SELECT quantity FROM cart_lines WHERE consumer_id = $1 AND offer_id = $2")
            .bind(consumer_id)
            .bind(offer_id)
            .fetch_optional(&mut *tx.tx)
            .await?;
        let had: i64 = existing.as_ref().map(|r| r.try_get("quantity")).transpose()?.unwrap_or(0);
        let want = if add { had + i64::from(quantity) } else { i64::from(quantity) };
        if want > offer.stock {
            return Err(StoreError::InvalidField {
                field: "quantity",
                code: "not_enough_stock",
                message: format!("only {} of '{}' in stock; you asked for {want}", offer.stock, offer.title),
            });
        }
        if want > tradewind_domain::retail::MAX_QUANTITY {
            return Err(StoreError::InvalidField {
                field: "quantity",
                code: "out_of_range",
                message: format!("a cart line holds at most {} units", tradewind_domain::retail::MAX_QUANTITY),
            });
        }
        if existing.is_some() {
            sqlx::query("UPDATE cart_lines SET quantity = $1 WHERE consumer_id = $2 AND offer_id = $3")
                .bind(want)
                .bind(consumer_id)
                .bind(offer_id)
                .execute(&mut *tx.tx)
                .await?;
        } else {
            sqlx::query("INSERT INTO cart_lines (consumer_id, offer_id, quantity, added_at) VALUES ($1, $2, $3, $4)")
                .bind(consumer_id)
                .bind(offer_id)
                .bind(want)
                .bind(now_text())
                .execute(&mut *tx.tx)
                .await?;
        }
        tx.commit(
            actor,
            None,
            "retail.cart_changed",
            &format!("user:{consumer_id}"),
            json!({"offer_id": offer_id, "quantity": want}),
        )
        .await?;
        Ok(())
    }

    /// Takes an offer out of the consumer's cart; not found when it is not there.
    pub async fn remove_from_cart(&self, actor: &Actor, consumer_id: &str, offer_id: &str) -> Result<()> {
        let mut tx = self.begin_audited().await?;
        let res = sqlx::query("DELETE FROM cart_lines WHERE consumer_id = $1 AND offer_id = $2")
            .bind(consumer_id)
            .bind(offer_id)
            .execute(&mut *tx.tx)
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit(
            actor,
            None,
            "retail.cart_changed",
            &format!("user:{consumer_id}"),
            json!({"offer_id": offer_id, "quantity": 0}),
        )
        .await?;
        Ok(())
    }

    /// The consumer's cart lines with their offers as they are now.
    pub async fn cart(&self, consumer_id: &str) -> Result<Vec<CartItem>> {
        let mut conn = self.pool.acquire().await?;
        cart_items(&mut conn, consumer_id).await
    }

    /// Checks the cart out: one order per seller, see the module doc.
    pub async fn checkout(
        &self,
        actor: &Actor,
        req: &CheckoutRequest<'_>,
        duties: &dyn DutiesAndTaxes,
    ) -> Result<CheckoutResult> {
        // Writers queue on the audit head first, so two requests with the same key run one
        // after the other and the second finds the first one's orders.
        let mut tx = self.begin_audited().await?;
        let fingerprint = json_text(&json!({"shipping": req.shipping, "ship_to": req.ship_to}))?;
        let earlier =
            sqlx::query("SELECT request, checkout_id FROM checkout_keys WHERE consumer_id = $1 AND idem_key = $2")
                .bind(req.consumer_id)
                .bind(req.idempotency_key)
                .fetch_optional(&mut *tx.tx)
                .await?;
        if let Some(r) = earlier {
            let was: String = r.try_get("request")?;
            if was != fingerprint {
                return Err(StoreError::Conflict {
                    field: "Idempotency-Key",
                    message: "this key was already used for another checkout; use a new key for a new checkout".into(),
                });
            }
            let checkout_id: String = r.try_get("checkout_id")?;
            let rows =
                sqlx::query(&format!("SELECT {ORDER_COLUMNS} FROM consumer_orders WHERE checkout_id = $1 ORDER BY id"))
                    .bind(&checkout_id)
                    .fetch_all(&mut *tx.tx)
                    .await?;
            let orders = rows.iter().map(order_from_row).collect::<Result<Vec<_>>>()?;
            return Ok(CheckoutResult { checkout_id, orders, replayed: true });
        }
        let items = cart_items(&mut tx.tx, req.consumer_id).await?;
        if items.is_empty() {
            return Err(StoreError::Refused("your cart is empty: add an offer to it before checking out".into()));
        }
        if let Some(gone) = items.iter().find(|i| !i.offer.available) {
            return Err(StoreError::InvalidField {
                field: "cart",
                code: "offer_unavailable",
                message: format!(
                    "'{}' is no longer offered; remove it from your cart (DELETE /api/v1/cart/lines/{}) and check out again",
                    gone.offer.title, gone.offer.id
                ),
            });
        }
        let mut by_store: BTreeMap<String, Vec<&CartItem>> = BTreeMap::new();
        for i in &items {
            by_store.entry(i.offer.store_id.clone()).or_default().push(i);
        }
        if let Some(extra) = req.shipping.keys().find(|k| !by_store.contains_key(*k)) {
            return Err(StoreError::InvalidField {
                field: "shipping",
                code: "store_not_in_cart",
                message: format!(
                    "your cart holds nothing from store {extra}; choose shipping only for stores in your cart"
                ),
            });
        }
        let checkout_id = new_id();
        let now = now_text();
        let mut orders = Vec::new();
        for (store_id, lines) in &by_store {
            let store_row = sqlx::query(&format!("SELECT {STORE_COLUMNS} FROM retail_stores WHERE id = $1"))
                .bind(store_id)
                .fetch_one(&mut *tx.tx)
                .await?;
            let store = store_from_row(&store_row)?;
            let field = format!("shipping.{store_id}");
            let Some(option_id) = req.shipping.get(store_id) else {
                return Err(StoreError::InvalidField {
                    field: "shipping",
                    code: "shipping_not_chosen",
                    message: format!("choose a shipping option for {} (store {store_id})", store.terms.display_name),
                });
            };
            let option_row = sqlx::query(&format!(
                "SELECT {SHIPPING_COLUMNS} FROM retail_shipping_options WHERE id = $1 AND store_id = $2"
            ))
            .bind(option_id)
            .bind(store_id)
            .fetch_optional(&mut *tx.tx)
            .await?;
            let option = match option_row {
                Some(r) => shipping_from_row(&r)?,
                None => {
                    return Err(StoreError::InvalidField {
                        field: "shipping",
                        code: "unknown_shipping_option",
                        message: format!("{} has no shipping option {option_id} ({field})", store.terms.display_name),
                    });
                }
            };
            if !ships_to(&option.terms, req.country) {
                return Err(StoreError::InvalidField {
                    field: "shipping",
                    code: "does_not_ship_to_you",
                    message: format!("'{}' does not deliver to {}", option.terms.name, req.country.name()),
                });
            }
            let mut priced = Vec::new();
            for item in lines {
                let o = &item.offer;
                let taken = sqlx::query(
                    "UPDATE retail_offers SET stock = stock - $1, updated_at = $2 WHERE id = $3 AND stock >= $1",
                )
                .bind(i64::from(item.quantity))
                .bind(&now)
                .bind(&o.id)
                .execute(&mut *tx.tx)
                .await?;
                if taken.rows_affected() != 1 {
                    return Err(StoreError::InvalidField {
                        field: "cart",
                        code: "not_enough_stock",
                        message: format!(
                            "only {} of '{}' left; lower the quantity in your cart and check out again",
                            o.stock, o.title
                        ),
                    });
                }
                priced.push(PricedLine {
                    offer_id: o.id.clone(),
                    product_id: o.product_id.clone(),
                    title: o.title.clone(),
                    hs_code: o.hs_code.clone(),
                    origin_country: o.origin_country,
                    unit_price: o.unit_price,
                    quantity: item.quantity,
                    line_total: line_total(o.unit_price, item.quantity)
                        .map_err(|e| StoreError::Refused(e.to_string()))?,
                });
            }
            let goods = goods_total(&priced)
                .map_err(|e| StoreError::Refused(e.to_string()))?
                .ok_or_else(|| corrupt("basket", "no lines"))?;
            let quote = duties.assess(&LandedCostRequest {
                destination: req.country,
                seller_country: store.seller_identity.country,
                lines: &priced,
                goods,
                shipping: option.terms.price,
            });
            let price = full_price(goods, option.terms.price, quote).map_err(|e| StoreError::Refused(e.to_string()))?;
            let shipping = ChosenShipping {
                option_id: option.id.clone(),
                name: option.terms.name.clone(),
                price: option.terms.price,
                delivery_days: option.terms.delivery_days,
                estimated_delivery_by: req
                    .today
                    .saturating_add(time::Duration::days(i64::from(option.terms.delivery_days))),
            };
            let payment = PaymentDue { state: PaymentState::AwaitingPayment, amount: price.total };
            let id = new_id();
            sqlx::query(&format!(
                "INSERT INTO consumer_orders ({ORDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, NULL, $20, $21)"
            ))
            .bind(&id)
            .bind(req.consumer_id)
            .bind(&store.organization_id)
            .bind(store_id)
            .bind(&checkout_id)
            .bind(ConsumerOrderStatus::Placed.as_str())
            .bind(json_text(&priced)?)
            .bind(json_text(&shipping)?)
            .bind(json_text(req.ship_to)?)
            .bind(price.goods.amount().to_string())
            .bind(price.shipping.amount().to_string())
            .bind(json_text(&price.duties_and_taxes)?)
            .bind(price.total.amount().to_string())
            .bind(price.total.currency().as_str())
            .bind(json_text(&payment)?)
            .bind(json_text(&store.seller_identity)?)
            .bind(i64::from(store.terms.returns_window_days))
            .bind(&store.terms.returns_address)
            .bind(date_text(req.today))
            .bind(&now)
            .bind(&now)
            .execute(&mut *tx.tx)
            .await?;
            notify_in_tx(
                &mut tx,
                &store.organization_id,
                "consumer_order_placed",
                "A consumer placed an order in your store",
                json!({"consumer_order_id": id, "total": price.total}),
            )
            .await?;
            orders.push(ConsumerOrder {
                id,
                consumer_id: req.consumer_id.to_string(),
                seller_id: store.organization_id.clone(),
                store_id: store_id.clone(),
                checkout_id: checkout_id.clone(),
                status: ConsumerOrderStatus::Placed,
                lines: priced,
                shipping,
                ship_to: req.ship_to.clone(),
                price,
                payment,
                seller_identity: store.seller_identity.clone(),
                returns_window_days: store.terms.returns_window_days,
                returns_address: store.terms.returns_address.clone(),
                placed_on: req.today,
                delivered_on: None,
                created_at: now.clone(),
                updated_at: now.clone(),
            });
        }
        sqlx::query("DELETE FROM cart_lines WHERE consumer_id = $1").bind(req.consumer_id).execute(&mut *tx.tx).await?;
        sqlx::query(
            "INSERT INTO checkout_keys (consumer_id, idem_key, request, checkout_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(req.consumer_id)
        .bind(req.idempotency_key)
        .bind(&fingerprint)
        .bind(&checkout_id)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        let summary: Vec<_> =
            orders.iter().map(|o| json!({"order": o.id, "seller": o.seller_id, "total": o.price.total})).collect();
        tx.commit(actor, None, "retail.checkout", &format!("checkout:{checkout_id}"), json!({"orders": summary}))
            .await?;
        Ok(CheckoutResult { checkout_id, orders, replayed: false })
    }

    /// The consumer's own orders, or the seller's consumer orders, oldest first.
    pub async fn consumer_orders(&self, viewer: RetailViewer<'_>) -> Result<Vec<ConsumerOrder>> {
        let (col, id) = match viewer {
            RetailViewer::Consumer(c) => ("consumer_id", c),
            RetailViewer::Seller(s) => ("organization_id", s),
        };
        let rows = sqlx::query(&format!("SELECT {ORDER_COLUMNS} FROM consumer_orders WHERE {col} = $1 ORDER BY id"))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(order_from_row).collect()
    }

    /// One consumer order, for its consumer and its seller only.
    pub async fn consumer_order(&self, viewer: RetailViewer<'_>, id: &str) -> Result<ConsumerOrder> {
        let mut conn = self.pool.acquire().await?;
        Self::consumer_order_in(&mut conn, viewer, id).await
    }

    async fn consumer_order_in(conn: &mut AnyConnection, viewer: RetailViewer<'_>, id: &str) -> Result<ConsumerOrder> {
        let (col, who) = match viewer {
            RetailViewer::Consumer(c) => ("consumer_id", c),
            RetailViewer::Seller(s) => ("organization_id", s),
        };
        let row = sqlx::query(&format!("SELECT {ORDER_COLUMNS} FROM consumer_orders WHERE id = $1 AND {col} = $2"))
            .bind(id)
            .bind(who)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
        order_from_row(&row)
    }

    /// Moves a consumer order along its life cycle as the viewer's side. Delivery records
    /// the delivery date, from which the returns window runs. A cancellation puts the
    /// stock back.
    pub async fn consumer_order_event(
        &self,
        actor: &Actor,
        viewer: RetailViewer<'_>,
        id: &str,
        event: ConsumerOrderEvent,
        today: time::Date,
    ) -> Result<ConsumerOrder> {
        let mut tx = self.begin_audited().await?;
        let current = Self::consumer_order_in(&mut tx.tx, viewer, id).await?;
        let by = match viewer {
            RetailViewer::Consumer(_) => RetailParty::Consumer,
            RetailViewer::Seller(_) => RetailParty::Seller,
        };
        let circumstances = Circumstances {
            today,
            delivered_on: current.delivered_on,
            returns_window_days: current.returns_window_days,
        };
        let next = current.status.apply(event, by, circumstances).map_err(|e| StoreError::Refused(e.to_string()))?;
        let delivered_on = if event == ConsumerOrderEvent::Deliver { Some(today) } else { current.delivered_on };
        let now = now_text();
        sqlx::query("UPDATE consumer_orders SET status = $1, delivered_on = $2, updated_at = $3 WHERE id = $4")
            .bind(next.as_str())
            .bind(delivered_on.map(date_text))
            .bind(&now)
            .bind(id)
            .execute(&mut *tx.tx)
            .await?;
        if next == ConsumerOrderStatus::Cancelled {
            for l in &current.lines {
                sqlx::query("UPDATE retail_offers SET stock = stock + $1, updated_at = $2 WHERE id = $3")
                    .bind(i64::from(l.quantity))
                    .bind(&now)
                    .bind(&l.offer_id)
                    .execute(&mut *tx.tx)
                    .await?;
            }
        }
        if by == RetailParty::Consumer {
            notify_in_tx(
                &mut tx,
                &current.seller_id,
                "consumer_order_updated",
                &format!("A consumer did {} on an order; it is now {}", event.as_str(), next.as_str()),
                json!({"consumer_order_id": id, "event": event.as_str(), "status": next.as_str()}),
            )
            .await?;
        }
        tx.commit(
            actor,
            Some(&current.seller_id),
            &format!("retail.order_{}", event.as_str()),
            &format!("consumer_order:{id}"),
            json!({"from": current.status.as_str(), "to": next.as_str(), "by": by}),
        )
        .await?;
        Ok(ConsumerOrder { status: next, delivered_on, updated_at: now, ..current })
    }
}
