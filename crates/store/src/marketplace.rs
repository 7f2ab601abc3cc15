//! Product listings, trade leads, quotes, exchange rates, the search outbox and match
//! notifications.

use crate::{Actor, Result, Store, StoreError, corrupt, json_text, new_id, now_text};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::str::FromStr;
use tradewind_domain::marketplace::{FxRates, LeadSide, PriceTier, ProductListing, Quote, TradeLead};
use tradewind_domain::organization::VerificationStatus;
use tradewind_domain::{CurrencyCode, Money};

/// A stored product listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: String,
    pub organization_id: String,
    #[serde(flatten)]
    pub listing: ProductListing,
    /// Hidden by the platform operator after a report.
    pub hidden: bool,
    pub created_at: String,
}

/// A stored trade lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lead {
    pub id: String,
    pub organization_id: String,
    #[serde(flatten)]
    pub lead: TradeLead,
    pub hidden: bool,
    pub created_at: String,
}

/// Where a quote stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    Submitted,
    Accepted,
    /// Another quote on the same request was accepted.
    Declined,
}

impl QuoteStatus {
    fn as_str(self) -> &'static str {
        match self {
            QuoteStatus::Submitted => "submitted",
            QuoteStatus::Accepted => "accepted",
            QuoteStatus::Declined => "declined",
        }
    }
}

/// A stored quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuoteRecord {
    pub id: String,
    pub lead_id: String,
    /// The quoting seller.
    pub organization_id: String,
    #[serde(flatten)]
    pub quote: Quote,
    pub status: QuoteStatus,
    pub created_at: String,
}

/// A notification for a company (in-app; e-mail and webhook copies go to the delivery outbox).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    pub id: String,
    pub organization_id: String,
    pub kind: String,
    pub subject: String,
    pub body: serde_json::Value,
    pub created_at: String,
    pub read_at: Option<String>,
}

/// A change the search index has yet to take in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub seq: i64,
    pub entity_kind: String,
    pub entity_id: String,
}

fn dec(r: &AnyRow, col: &str) -> Result<Decimal> {
    let s: String = r.try_get(col)?;
    Decimal::from_str(&s).map_err(|e| corrupt(col, e))
}

fn parse<T: FromStr>(col: &str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>().map_err(|e| corrupt(col, e))
}

fn date(col: &str, s: &str) -> Result<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt).map_err(|e| corrupt(col, e))
}

pub(crate) fn date_text(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

const PRODUCT_COLUMNS: &str = "id, organization_id, title, description, hs_code, origin_country, unit, moq, \
     supply_capacity, currency, price_tiers, lead_time_days, certifications, hidden, created_at";

fn product_from_row(r: &AnyRow) -> Result<Product> {
    let tiers: String = r.try_get("price_tiers")?;
    let certs: String = r.try_get("certifications")?;
    let hs: String = r.try_get("hs_code")?;
    let origin: String = r.try_get("origin_country")?;
    let unit: String = r.try_get("unit")?;
    let currency: String = r.try_get("currency")?;
    Ok(Product {
        id: r.try_get("id")?,
        organization_id: r.try_get("organization_id")?,
        listing: ProductListing {
            title: r.try_get("title")?,
            description: r.try_get("description")?,
            hs_code: parse("hs_code", &hs)?,
            origin_country: parse("origin_country", &origin)?,
            unit: parse("unit", &unit)?,
            moq: dec(r, "moq")?,
            supply_capacity: dec(r, "supply_capacity")?,
            currency: parse("currency", &currency)?,
            price_tiers: serde_json::from_str::<Vec<PriceTier>>(&tiers).map_err(|e| corrupt("price_tiers", e))?,
            lead_time_days: u32::try_from(r.try_get::<i64, _>("lead_time_days")?).unwrap_or(0),
            certifications: serde_json::from_str(&certs).map_err(|e| corrupt("certifications", e))?,
        },
        hidden: r.try_get::<i64, _>("hidden")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

pub(crate) const LEAD_COLUMNS: &str = "id, organization_id, side, title, description, hs_code, quantity, unit, target_price, \
     currency, country, port, incoterm, needed_by, expires_on, hidden, created_at";

pub(crate) fn lead_from_row(r: &AnyRow) -> Result<Lead> {
    let side: String = r.try_get("side")?;
    let hs: Option<String> = r.try_get("hs_code")?;
    let unit: String = r.try_get("unit")?;
    let target: Option<String> = r.try_get("target_price")?;
    let currency: Option<String> = r.try_get("currency")?;
    let country: String = r.try_get("country")?;
    let port: Option<String> = r.try_get("port")?;
    let incoterm: Option<String> = r.try_get("incoterm")?;
    let needed_by: Option<String> = r.try_get("needed_by")?;
    let expires_on: String = r.try_get("expires_on")?;
    let target_price = match (target, currency) {
        (Some(t), Some(c)) => {
            let amount = Decimal::from_str(&t).map_err(|e| corrupt("target_price", e))?;
            Some(Money::new(amount, parse::<CurrencyCode>("currency", &c)?).map_err(|e| corrupt("target_price", e))?)
        }
        _ => None,
    };
    Ok(Lead {
        id: r.try_get("id")?,
        organization_id: r.try_get("organization_id")?,
        lead: TradeLead {
            side: parse::<LeadSide>("side", &side)?,
            title: r.try_get("title")?,
            description: r.try_get("description")?,
            hs_code: hs.map(|h| parse("hs_code", &h)).transpose()?,
            quantity: dec(r, "quantity")?,
            unit: parse("unit", &unit)?,
            target_price,
            country: parse("country", &country)?,
            port: port.map(|p| parse("port", &p)).transpose()?,
            incoterm: incoterm.map(|i| parse("incoterm", &i)).transpose()?,
            needed_by: needed_by.map(|d| date("needed_by", &d)).transpose()?,
            expires_on: date("expires_on", &expires_on)?,
        },
        hidden: r.try_get::<i64, _>("hidden")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

pub(crate) const QUOTE_COLUMNS: &str = "id, lead_id, organization_id, unit_price, currency, incoterm, named_place, valid_until, \
     lead_time_days, payment_terms, status, created_at";

pub(crate) fn quote_from_row(r: &AnyRow) -> Result<QuoteRecord> {
    let currency: String = r.try_get("currency")?;
    let incoterm: String = r.try_get("incoterm")?;
    let place: String = r.try_get("named_place")?;
    let valid: String = r.try_get("valid_until")?;
    let terms: String = r.try_get("payment_terms")?;
    let status: String = r.try_get("status")?;
    let unit_price =
        Money::new(dec(r, "unit_price")?, parse("currency", &currency)?).map_err(|e| corrupt("unit_price", e))?;
    Ok(QuoteRecord {
        id: r.try_get("id")?,
        lead_id: r.try_get("lead_id")?,
        organization_id: r.try_get("organization_id")?,
        quote: Quote {
            unit_price,
            incoterm: parse("incoterm", &incoterm)?,
            named_place: parse("named_place", &place)?,
            valid_until: date("valid_until", &valid)?,
            lead_time_days: u32::try_from(r.try_get::<i64, _>("lead_time_days")?).unwrap_or(0),
            payment_terms: parse("payment_terms", &terms)?,
        },
        status: match status.as_str() {
            "submitted" => QuoteStatus::Submitted,
            "accepted" => QuoteStatus::Accepted,
            "declined" => QuoteStatus::Declined,
            other => return Err(corrupt("status", other)),
        },
        created_at: r.try_get("created_at")?,
    })
}

/// Notifies a company inside a write transaction.
pub(crate) async fn notify_in_tx(
    tx: &mut crate::audit::AuditedTx,
    organization_id: &str,
    kind: &str,
    subject: &str,
    body: serde_json::Value,
) -> Result<()> {
    Store::notify_in(tx, organization_id, kind, subject, body).await
}

/// A quote and the request it answers, read inside a write transaction.
pub(crate) async fn quote_and_lead_in(tx: &mut crate::audit::AuditedTx, quote_id: &str) -> Result<(QuoteRecord, Lead)> {
    let row = sqlx::query(&format!("SELECT {QUOTE_COLUMNS} FROM quotes WHERE id = $1"))
        .bind(quote_id)
        .fetch_optional(&mut *tx.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let quote = quote_from_row(&row)?;
    let lead_row = sqlx::query(&format!("SELECT {LEAD_COLUMNS} FROM trade_leads WHERE id = $1"))
        .bind(&quote.lead_id)
        .fetch_one(&mut *tx.tx)
        .await?;
    Ok((quote, lead_from_row(&lead_row)?))
}

/// Queues an entity for the search index inside a write transaction.
pub(crate) async fn queue_in(tx: &mut crate::audit::AuditedTx, kind: &str, id: &str) -> Result<()> {
    Store::outbox(tx, kind, id).await
}

impl Store {
    async fn outbox(tx: &mut crate::audit::AuditedTx, kind: &str, id: &str) -> Result<()> {
        sqlx::query("INSERT INTO search_outbox (entity_kind, entity_id, created_at) VALUES ($1, $2, $3)")
            .bind(kind)
            .bind(id)
            .bind(now_text())
            .execute(&mut *tx.tx)
            .await?;
        Ok(())
    }

    /// Lists a product in a company's catalogue (and queues it for the search index).
    pub async fn create_product(&self, actor: &Actor, organization_id: &str, p: &ProductListing) -> Result<Product> {
        let mut tx = self.begin_audited().await?;
        let id = new_id();
        let now = now_text();
        sqlx::query(&format!(
            "INSERT INTO products ({PRODUCT_COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $14)"
        ))
        .bind(&id)
        .bind(organization_id)
        .bind(&p.title)
        .bind(&p.description)
        .bind(p.hs_code.as_str())
        .bind(p.origin_country.as_str())
        .bind(p.unit.code())
        .bind(p.moq.to_string())
        .bind(p.supply_capacity.to_string())
        .bind(p.currency.as_str())
        .bind(json_text(&p.price_tiers)?)
        .bind(i64::from(p.lead_time_days))
        .bind(json_text(&p.certifications)?)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        Self::outbox(&mut tx, "product", &id).await?;
        tx.commit(
            actor,
            Some(organization_id),
            "product.created",
            &format!("product:{id}"),
            json!({"title": p.title, "hs_code": p.hs_code}),
        )
        .await?;
        self.get_product(&id).await
    }

    pub async fn get_product(&self, id: &str) -> Result<Product> {
        let row = sqlx::query(&format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        product_from_row(&row)
    }

    pub async fn list_products(&self, organization_id: &str) -> Result<Vec<Product>> {
        let rows =
            sqlx::query(&format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE organization_id = $1 ORDER BY id"))
                .bind(organization_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(product_from_row).collect()
    }

    /// Visible products whose HS code starts with `prefix`, for matching candidates.
    pub async fn products_with_hs_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<Product>> {
        let rows = sqlx::query(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE hs_code LIKE $1 AND hidden = 0 ORDER BY id LIMIT $2"
        ))
        .bind(format!("{}%", prefix.replace(['%', '_'], "")))
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(product_from_row).collect()
    }

    /// Posts a trade lead.
    pub async fn create_lead(&self, actor: &Actor, organization_id: &str, l: &TradeLead) -> Result<Lead> {
        let mut tx = self.begin_audited().await?;
        let id = new_id();
        sqlx::query(&format!(
            "INSERT INTO trade_leads ({LEAD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0, $16)"
        ))
        .bind(&id)
        .bind(organization_id)
        .bind(l.side.as_str())
        .bind(&l.title)
        .bind(&l.description)
        .bind(l.hs_code.as_ref().map(|h| h.as_str().to_string()))
        .bind(l.quantity.to_string())
        .bind(l.unit.code())
        .bind(l.target_price.map(|m| m.amount().to_string()))
        .bind(l.target_price.map(|m| m.currency().as_str().to_string()))
        .bind(l.country.as_str())
        .bind(l.port.as_ref().map(|p| p.as_str().to_string()))
        .bind(l.incoterm.map(|i| i.code().to_string()))
        .bind(l.needed_by.map(date_text))
        .bind(date_text(l.expires_on))
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await?;
        Self::outbox(&mut tx, "lead", &id).await?;
        tx.commit(
            actor,
            Some(organization_id),
            "lead.posted",
            &format!("lead:{id}"),
            json!({"side": l.side, "title": l.title, "hs_code": l.hs_code}),
        )
        .await?;
        self.get_lead(&id).await
    }

    pub async fn get_lead(&self, id: &str) -> Result<Lead> {
        let row = sqlx::query(&format!("SELECT {LEAD_COLUMNS} FROM trade_leads WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        lead_from_row(&row)
    }

    pub async fn list_leads(&self, organization_id: &str) -> Result<Vec<Lead>> {
        let rows =
            sqlx::query(&format!("SELECT {LEAD_COLUMNS} FROM trade_leads WHERE organization_id = $1 ORDER BY id"))
                .bind(organization_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(lead_from_row).collect()
    }

    /// Open (not expired, not hidden) buy requests from other companies, newest first.
    pub async fn open_rfqs(&self, today: time::Date, except_org: &str, limit: usize) -> Result<Vec<Lead>> {
        let rows = sqlx::query(&format!(
            "SELECT {LEAD_COLUMNS} FROM trade_leads WHERE side = 'buy' AND hidden = 0 AND expires_on >= $1
             AND organization_id <> $2 ORDER BY id DESC LIMIT $3"
        ))
        .bind(date_text(today))
        .bind(except_org)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(lead_from_row).collect()
    }

    /// A seller's quote on a buy request.
    pub async fn create_quote(&self, actor: &Actor, seller: &str, lead_id: &str, q: &Quote) -> Result<QuoteRecord> {
        let mut tx = self.begin_audited().await?;
        let row = sqlx::query(&format!("SELECT {LEAD_COLUMNS} FROM trade_leads WHERE id = $1"))
            .bind(lead_id)
            .fetch_optional(&mut *tx.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let lead = lead_from_row(&row)?;
        if lead.organization_id == seller {
            return Err(StoreError::Refused("you cannot quote on your own request".into()));
        }
        if lead.lead.side != LeadSide::Buy {
            return Err(StoreError::Refused("quotes answer buy requests; this lead is a sell offer".into()));
        }
        let today = time::OffsetDateTime::now_utc().date();
        if lead.lead.expires_on < today {
            return Err(StoreError::Refused(format!("this request expired on {}", lead.lead.expires_on)));
        }
        let accepted = sqlx::query("SELECT id FROM quotes WHERE lead_id = $1 AND status = 'accepted'")
            .bind(lead_id)
            .fetch_optional(&mut *tx.tx)
            .await?;
        if accepted.is_some() {
            return Err(StoreError::Refused("the buyer has already accepted a quote on this request".into()));
        }
        let id = new_id();
        sqlx::query(&format!(
            "INSERT INTO quotes ({QUOTE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'submitted', $11)"
        ))
        .bind(&id)
        .bind(lead_id)
        .bind(seller)
        .bind(q.unit_price.amount().to_string())
        .bind(q.unit_price.currency().as_str())
        .bind(q.incoterm.code())
        .bind(q.named_place.as_str())
        .bind(date_text(q.valid_until))
        .bind(i64::from(q.lead_time_days))
        .bind(json_text(&q.payment_terms)?.trim_matches('"').to_string())
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await?;
        Self::notify_in(
            &mut tx,
            &lead.organization_id,
            "quote_received",
            &format!("New quote on {}", lead.lead.title),
            json!({"lead_id": lead_id, "quote_id": id}),
        )
        .await?;
        tx.commit(
            actor,
            Some(seller),
            "quote.submitted",
            &format!("quote:{id}"),
            json!({"lead_id": lead_id, "unit_price": q.unit_price, "incoterm": q.incoterm}),
        )
        .await?;
        self.get_quote(&id).await
    }

    pub async fn get_quote(&self, id: &str) -> Result<QuoteRecord> {
        let row = sqlx::query(&format!("SELECT {QUOTE_COLUMNS} FROM quotes WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        quote_from_row(&row)
    }

    pub async fn list_quotes(&self, lead_id: &str) -> Result<Vec<QuoteRecord>> {
        let rows = sqlx::query(&format!("SELECT {QUOTE_COLUMNS} FROM quotes WHERE lead_id = $1 ORDER BY id"))
            .bind(lead_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(quote_from_row).collect()
    }

    pub async fn quotes_by_seller(&self, seller: &str) -> Result<Vec<QuoteRecord>> {
        let rows = sqlx::query(&format!("SELECT {QUOTE_COLUMNS} FROM quotes WHERE organization_id = $1 ORDER BY id"))
            .bind(seller)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(quote_from_row).collect()
    }

    /// The buyer accepts one quote; the others on the request are declined. Accepting the
    /// same quote again returns it unchanged.
    pub async fn accept_quote(&self, actor: &Actor, buyer: &str, quote_id: &str) -> Result<QuoteRecord> {
        let mut tx = self.begin_audited().await?;
        let (quote, lead) = crate::marketplace::quote_and_lead_in(&mut tx, quote_id).await?;
        if lead.organization_id != buyer {
            return Err(StoreError::NotFound);
        }
        match quote.status {
            QuoteStatus::Accepted => return Ok(quote),
            QuoteStatus::Declined => {
                return Err(StoreError::Refused("another quote on this request was accepted already".into()));
            }
            QuoteStatus::Submitted => {}
        }
        let today = time::OffsetDateTime::now_utc().date();
        if quote.quote.valid_until < today {
            return Err(StoreError::Refused(format!("this quote expired on {}", quote.quote.valid_until)));
        }
        sqlx::query("UPDATE quotes SET status = $1 WHERE id = $2")
            .bind(QuoteStatus::Accepted.as_str())
            .bind(quote_id)
            .execute(&mut *tx.tx)
            .await?;
        sqlx::query("UPDATE quotes SET status = $1 WHERE lead_id = $2 AND id <> $3")
            .bind(QuoteStatus::Declined.as_str())
            .bind(&quote.lead_id)
            .bind(quote_id)
            .execute(&mut *tx.tx)
            .await?;
        Self::notify_in(
            &mut tx,
            &quote.organization_id,
            "quote_accepted",
            &format!("Your quote on {} was accepted", lead.lead.title),
            json!({"lead_id": lead.id, "quote_id": quote_id}),
        )
        .await?;
        tx.commit(
            actor,
            Some(buyer),
            "quote.accepted",
            &format!("quote:{quote_id}"),
            json!({"lead_id": quote.lead_id, "seller": quote.organization_id}),
        )
        .await?;
        // The seller's audit trail shows it too.
        let mut tx = self.begin_audited().await?;
        Self::outbox(&mut tx, "lead", &quote.lead_id).await?;
        tx.commit(
            actor,
            Some(&quote.organization_id),
            "quote.accepted_by_buyer",
            &format!("quote:{quote_id}"),
            json!({"lead_id": quote.lead_id}),
        )
        .await?;
        self.get_quote(quote_id).await
    }

    /// Replaces the exchange-rate table.
    pub async fn import_fx(&self, actor: &Actor, rates: &FxRates) -> Result<usize> {
        let mut tx = self.begin_audited().await?;
        sqlx::query("DELETE FROM fx_rates").execute(&mut *tx.tx).await?;
        for (c, r) in &rates.rates {
            sqlx::query("INSERT INTO fx_rates (currency, per_base, base, as_of, source) VALUES ($1, $2, $3, $4, $5)")
                .bind(c.as_str())
                .bind(r.to_string())
                .bind(rates.base.as_str())
                .bind(&rates.as_of)
                .bind(&rates.source)
                .execute(&mut *tx.tx)
                .await?;
        }
        tx.commit(
            actor,
            None,
            "reference.fx_imported",
            "reference:fx",
            json!({"rows": rates.rates.len(), "as_of": rates.as_of, "source": rates.source}),
        )
        .await?;
        self.reference.forget_fx();
        Ok(rates.rates.len())
    }

    /// The exchange-rate table, if one was loaded (read at most every [`crate::REFERENCE_TTL`]).
    pub async fn fx_rates(&self) -> Result<Option<FxRates>> {
        if let Some(rates) = self.reference.fx() {
            return Ok(rates);
        }
        let rates = self.read_fx_rates().await?;
        self.reference.keep_fx(rates.clone());
        Ok(rates)
    }

    async fn read_fx_rates(&self) -> Result<Option<FxRates>> {
        let rows = sqlx::query("SELECT currency, per_base, base, as_of, source FROM fx_rates ORDER BY currency")
            .fetch_all(&self.pool)
            .await?;
        let Some(first) = rows.first() else { return Ok(None) };
        let base: String = first.try_get("base")?;
        let mut rates = Vec::new();
        for r in &rows {
            let c: String = r.try_get("currency")?;
            rates.push((parse::<CurrencyCode>("currency", &c)?, dec(r, "per_base")?));
        }
        Ok(Some(FxRates {
            base: parse("base", &base)?,
            rates,
            as_of: first.try_get("as_of")?,
            source: first.try_get("source")?,
        }))
    }

    async fn notify_in(
        tx: &mut crate::audit::AuditedTx,
        organization_id: &str,
        kind: &str,
        subject: &str,
        body: serde_json::Value,
    ) -> Result<()> {
        let now = now_text();
        let body_text = json_text(&body)?;
        sqlx::query("INSERT INTO notifications (id, organization_id, kind, subject, body, created_at, read_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)")
            .bind(new_id())
            .bind(organization_id)
            .bind(kind)
            .bind(subject)
            .bind(&body_text)
            .bind(&now)
            .execute(&mut *tx.tx)
            .await?;
        for channel in ["email", "webhook"] {
            sqlx::query("INSERT INTO delivery_outbox (id, organization_id, channel, payload, created_at, delivered_at) VALUES ($1, $2, $3, $4, $5, NULL)")
                .bind(new_id())
                .bind(organization_id)
                .bind(channel)
                .bind(json_text(&json!({"kind": kind, "subject": subject, "body": body}))?)
                .bind(&now)
                .execute(&mut *tx.tx)
                .await?;
        }
        Ok(())
    }

    /// Notifies companies (in-app plus e-mail and webhook outbox) in one transaction.
    pub async fn notify(&self, actor: &Actor, items: &[(String, String, String, serde_json::Value)]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_audited().await?;
        for (org, kind, subject, body) in items {
            Self::notify_in(&mut tx, org, kind, subject, body.clone()).await?;
        }
        tx.commit(
            actor,
            actor.organization_id.as_deref(),
            "notifications.sent",
            "notifications",
            json!({"count": items.len(), "kind": items[0].1}),
        )
        .await?;
        Ok(())
    }

    pub async fn list_notifications(&self, organization_id: &str, limit: usize) -> Result<Vec<Notification>> {
        let rows = sqlx::query("SELECT id, organization_id, kind, subject, body, created_at, read_at FROM notifications WHERE organization_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(organization_id)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let body: String = r.try_get("body")?;
                Ok(Notification {
                    id: r.try_get("id")?,
                    organization_id: r.try_get("organization_id")?,
                    kind: r.try_get("kind")?,
                    subject: r.try_get("subject")?,
                    body: serde_json::from_str(&body).map_err(|e| corrupt("body", e))?,
                    created_at: r.try_get("created_at")?,
                    read_at: r.try_get("read_at")?,
                })
            })
            .collect()
    }

    pub async fn count_delivery_outbox(&self, organization_id: &str) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM delivery_outbox WHERE organization_id = $1 AND delivered_at IS NULL")
            .bind(organization_id)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// What a supplier has done before, for matching: the destination countries of buy
    /// requests it won, the Incoterms it quoted under, and how many requests it answered
    /// out of those it was matched to.
    pub async fn supplier_history(&self, organization_id: &str) -> Result<SupplierHistory> {
        let won = sqlx::query("SELECT DISTINCT l.country AS country FROM quotes q JOIN trade_leads l ON l.id = q.lead_id WHERE q.organization_id = $1 AND q.status = 'accepted'")
            .bind(organization_id)
            .fetch_all(&self.pool)
            .await?;
        let incoterms = sqlx::query("SELECT DISTINCT incoterm FROM quotes WHERE organization_id = $1")
            .bind(organization_id)
            .fetch_all(&self.pool)
            .await?;
        let answered: i64 = sqlx::query("SELECT COUNT(DISTINCT lead_id) AS n FROM quotes WHERE organization_id = $1")
            .bind(organization_id)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let matched: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM notifications WHERE organization_id = $1 AND kind = 'rfq_match'")
                .bind(organization_id)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
        Ok(SupplierHistory {
            export_countries: won.iter().filter_map(|r| r.try_get::<String, _>("country").ok()).collect(),
            incoterms: incoterms
                .iter()
                .filter_map(|r| r.try_get::<String, _>("incoterm").ok())
                .filter_map(|s| s.parse().ok())
                .collect(),
            response_rate: if matched > 0 { Some((answered as f64 / matched as f64).min(1.0)) } else { None },
        })
    }

    /// Whether a company is verified, with its country.
    pub async fn organization_badge(&self, id: &str) -> Result<(bool, String)> {
        let org = self.get_organization(id).await?;
        Ok((org.verification == VerificationStatus::Verified, org.country.to_string()))
    }

    /// Every organisation id, for a reindex.
    pub async fn all_organization_ids(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM organizations ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    pub async fn all_product_ids(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM products ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    pub async fn all_lead_ids(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM trade_leads ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// The oldest changes the search index has not taken in yet.
    pub async fn pending_search_changes(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        let rows = sqlx::query("SELECT seq, entity_kind, entity_id FROM search_outbox ORDER BY seq LIMIT $1")
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxEntry {
                    seq: r.try_get("seq")?,
                    entity_kind: r.try_get("entity_kind")?,
                    entity_id: r.try_get("entity_id")?,
                })
            })
            .collect()
    }

    /// Forgets outbox entries up to `seq` once the index has committed them.
    pub async fn ack_search_changes(&self, up_to_seq: i64) -> Result<()> {
        sqlx::query("DELETE FROM search_outbox WHERE seq <= $1").bind(up_to_seq).execute(&self.pool).await?;
        Ok(())
    }

    /// Queues an organisation for reindexing (its badge or name changed).
    pub async fn queue_search_change(&self, kind: &str, id: &str) -> Result<()> {
        sqlx::query("INSERT INTO search_outbox (entity_kind, entity_id, created_at) VALUES ($1, $2, $3)")
            .bind(kind)
            .bind(id)
            .bind(now_text())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// A supplier's track record on the platform.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SupplierHistory {
    pub export_countries: Vec<String>,
    pub incoterms: Vec<tradewind_domain::Incoterm>,
    pub response_rate: Option<f64>,
}

/// A file attached to a product listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductAttachment {
    pub id: String,
    pub product_id: String,
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: String,
}

fn attachment_from_row(r: &AnyRow) -> Result<ProductAttachment> {
    Ok(ProductAttachment {
        id: r.try_get("id")?,
        product_id: r.try_get("product_id")?,
        sha256: r.try_get("sha256")?,
        filename: r.try_get("filename")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Most files one listing may carry.
pub const MAX_PRODUCT_ATTACHMENTS: i64 = 10;

impl Store {
    /// Attaches an image or document (checked by the caller) to a company's own product.
    pub async fn add_product_attachment(
        &self,
        actor: &Actor,
        organization_id: &str,
        product_id: &str,
        filename: &str,
        content_type: &str,
        content: &[u8],
    ) -> Result<ProductAttachment> {
        let product = self.get_product(product_id).await?;
        if product.organization_id != organization_id {
            return Err(StoreError::NotFound);
        }
        let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM product_attachments WHERE product_id = $1")
            .bind(product_id)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        if count >= MAX_PRODUCT_ATTACHMENTS {
            return Err(StoreError::Refused(format!("a listing carries at most {MAX_PRODUCT_ATTACHMENTS} files")));
        }
        let mut tx = self.begin_audited().await?;
        let now = now_text();
        let sha = crate::blobs::put_blob(&mut tx, content_type, content, &now).await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO product_attachments (id, product_id, sha256, filename, content_type, size, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(product_id)
        .bind(&sha)
        .bind(filename)
        .bind(content_type)
        .bind(content.len() as i64)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(
            actor,
            Some(organization_id),
            "product.attachment_added",
            &format!("product:{product_id}"),
            json!({"attachment_id": id, "sha256": sha, "filename": filename}),
        )
        .await?;
        Ok(ProductAttachment {
            id,
            product_id: product_id.into(),
            sha256: sha,
            filename: filename.into(),
            content_type: content_type.into(),
            size: content.len() as i64,
            created_at: now,
        })
    }

    pub async fn list_product_attachments(&self, product_id: &str) -> Result<Vec<ProductAttachment>> {
        let rows = sqlx::query(
            "SELECT id, product_id, sha256, filename, content_type, size, created_at FROM product_attachments
             WHERE product_id = $1 ORDER BY id",
        )
        .bind(product_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(attachment_from_row).collect()
    }

    /// One attachment and its bytes.
    pub async fn get_product_attachment(&self, product_id: &str, id: &str) -> Result<(ProductAttachment, Vec<u8>)> {
        let row = sqlx::query(
            "SELECT a.id AS id, a.product_id AS product_id, a.sha256 AS sha256, a.filename AS filename,
                    a.content_type AS content_type, a.size AS size, a.created_at AS created_at, b.content AS content
             FROM product_attachments a JOIN blobs b ON b.sha256 = a.sha256 WHERE a.product_id = $1 AND a.id = $2",
        )
        .bind(product_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((attachment_from_row(&row)?, row.try_get("content")?))
    }
}
