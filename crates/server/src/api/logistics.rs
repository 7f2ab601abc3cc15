//! Logistics API: carriers register their SCAC (and get the secret their webhooks are
//! signed with) and publish rate cards; any signed-in user lists cards and gets freight
//! quotes by chargeable weight; a party of an order books a shipment, which its carrier
//! confirms (with ISO 6346 container numbers for sea), tracks with DCSA events by API or
//! signed webhook, and completes with proof of delivery, which delivers the order.
//!
//! Who may do what: registering a SCAC and rotating the webhook secret, a company admin of a
//! verified carrier; rate cards, confirmations, events and proof of delivery, any member of
//! the carrier; booking, a member of the order's buyer or seller. A shipment is visible to
//! its carrier and the order's two parties only; everyone else gets 404.
//!
//! Webhooks: `POST /api/v1/carrier-webhooks/{carrier_org_id}` with `X-Tradewind-Timestamp`
//! (Unix seconds) and `X-Tradewind-Signature: sha256=<hex HMAC-SHA256 of timestamp + "." +
//! body>` under the carrier's webhook secret. A timestamp more than five minutes from the
//! server's clock is refused, so a captured request cannot be replayed later; within that
//! window a repeated event id is accepted without a second effect.

use crate::AppState;
use crate::api::{PageBody, PageParams};
use crate::auth::{CurrentUser, new_secret};
use crate::problem::{ApiError, Json, Path, Problem, Query};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tradewind_domain::logistics::rates::{ChargeableWeight, PackageForm, RateCardForm, validate_packages};
use tradewind_domain::logistics::shipment::ProofOfDeliveryForm;
use tradewind_domain::logistics::tracking::{TrackingEventForm, validate_events};
use tradewind_domain::logistics::{ContainerNumber, LogisticsCodeError, Scac, TransportMode};
use tradewind_domain::validation::CodedError;
use tradewind_domain::{Locode, Money, ValidationErrors};
use tradewind_store::{
    Actor, CarrierRecord, Delivery, EventsRecorded, RateCardRecord, ShipmentRecord, ShipmentTimeline,
};

/// The header carrying the webhook's Unix timestamp (seconds).
pub const WEBHOOK_TIMESTAMP_HEADER: &str = "x-tradewind-timestamp";
/// The header carrying `sha256=<hex>`, the HMAC-SHA256 of `timestamp + "." + body`.
pub const WEBHOOK_SIGNATURE_HEADER: &str = "x-tradewind-signature";
/// How far a webhook's timestamp may be from the server's clock.
pub const WEBHOOK_TOLERANCE_SECS: i64 = 300;
/// Most rate cards one quote request prices.
const MAX_QUOTED_CARDS: usize = 200;

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CarrierBody {
    /// The Standard Carrier Alpha Code, 2 to 4 letters.
    pub scac: String,
}

/// A carrier registration with its webhook secret, shown this once.
#[derive(Serialize)]
pub struct CarrierWithSecret {
    #[serde(flatten)]
    pub carrier: CarrierRecord,
    /// Sign webhooks with this secret; it is not shown again (rotate it to get a new one).
    pub webhook_secret: String,
    pub webhook_path: String,
    /// How to sign, in words.
    pub signing: &'static str,
}

const SIGNING: &str = "send X-Tradewind-Timestamp (Unix seconds) and X-Tradewind-Signature: sha256=<hex of HMAC-SHA256(webhook_secret, timestamp + \".\" + body)>; timestamps more than 5 minutes off are refused";

fn with_secret(carrier: CarrierRecord, secret: String) -> CarrierWithSecret {
    let webhook_path = format!("/api/v1/carrier-webhooks/{}", carrier.organization_id);
    CarrierWithSecret { carrier, webhook_secret: secret, webhook_path, signing: SIGNING }
}

/// A carrier company (role `carrier_or_forwarder`, verified) registers its SCAC. The answer
/// holds the webhook secret, once.
#[utoipa::path(post, path = "/api/v1/carrier", tag = "logistics", request_body = CarrierBody,
    responses((status = 201, body = Object), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register_carrier(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<CarrierBody>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.require_admin()?.to_string();
    let scac: Scac =
        body.scac.parse().map_err(|e: LogisticsCodeError| ApiError::field("scac", e.code(), e.to_string()))?;
    let secret = new_secret("whsec_");
    let carrier = state.store.register_carrier(&user.actor(), &org, &scac, &secret).await?;
    Ok((StatusCode::CREATED, Json(with_secret(carrier, secret))))
}

/// The caller's carrier registration (never the secret).
#[utoipa::path(get, path = "/api/v1/carrier", tag = "logistics",
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn my_carrier(State(state): State<AppState>, user: CurrentUser) -> Result<Json<CarrierRecord>, ApiError> {
    let org = user.organization_id()?;
    Ok(Json(state.store.carrier(org).await?))
}

/// A new webhook secret; the old one stops working at once.
#[utoipa::path(post, path = "/api/v1/carrier/webhook-secret", tag = "logistics",
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn rotate_carrier_webhook_secret(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<CarrierWithSecret>, ApiError> {
    let org = user.require_admin()?.to_string();
    let secret = new_secret("whsec_");
    let carrier = state.store.rotate_carrier_webhook_secret(&user.actor(), &org, &secret).await?;
    Ok(Json(with_secret(carrier, secret)))
}

/// A registered carrier publishes a rate card for a lane (UN/LOCODE to UN/LOCODE) and mode:
/// `currency`, `price_per_kg`, optional `weight_breaks` [{`min_kg`, `price_per_kg`}],
/// `minimum_charge`, `transit_days`.
#[utoipa::path(post, path = "/api/v1/rate-cards", tag = "logistics", request_body = Object,
    responses((status = 201, body = Object), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn publish_rate_card(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(form): Json<RateCardForm>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.organization_id()?.to_string();
    let card = form.validate()?;
    let rec = state.store.publish_rate_card(&user.actor(), &org, &card).await?;
    Ok((StatusCode::CREATED, Json(rec)))
}

/// The carrier replaces one of its cards; shipments already booked keep their price.
#[utoipa::path(put, path = "/api/v1/rate-cards/{id}", tag = "logistics", params(("id" = String, Path)),
    request_body = Object,
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_rate_card(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(form): Json<RateCardForm>,
) -> Result<Json<RateCardRecord>, ApiError> {
    let org = user.organization_id()?.to_string();
    let card = form.validate()?;
    Ok(Json(state.store.update_rate_card(&user.actor(), &org, &id, &card).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct RateCardParams {
    /// Origin UN/LOCODE.
    pub origin: Option<String>,
    /// Destination UN/LOCODE.
    pub destination: Option<String>,
    /// `sea`, `air`, `road`, `rail` or `parcel`.
    pub mode: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<usize>,
}

fn opt_parse<T, E: tradewind_domain::validation::CodedError>(
    e: &mut ValidationErrors,
    field: &str,
    v: &Option<String>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<T> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => e.check(field, parse(s)),
        None => None,
    }
}

/// Rate cards, filtered by lane and mode, oldest first. Open to every signed-in user.
#[utoipa::path(get, path = "/api/v1/rate-cards", tag = "logistics", params(RateCardParams),
    responses((status = 200, body = Object), (status = 422, body = Problem)))]
pub async fn list_rate_cards(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(p): Query<RateCardParams>,
) -> Result<Json<PageBody<RateCardRecord>>, ApiError> {
    let mut e = ValidationErrors::new();
    let origin = opt_parse(&mut e, "origin", &p.origin, str::parse::<Locode>);
    let destination = opt_parse(&mut e, "destination", &p.destination, str::parse::<Locode>);
    let mode = opt_parse(&mut e, "mode", &p.mode, str::parse::<TransportMode>);
    e.into_result(())?;
    let page = PageParams { cursor: p.cursor, limit: p.limit };
    let cards =
        state.store.list_rate_cards(origin.as_ref(), destination.as_ref(), mode, &page.after()?, page.limit()?).await?;
    Ok(Json(PageBody::from(cards)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QuoteRequest {
    pub origin: String,
    pub destination: String,
    pub mode: String,
    /// [{`gross_kg`, `length_cm`, `width_cm`, `height_cm`, `pieces`}]
    pub packages: Vec<PackageForm>,
}

/// One carrier's price for the packages.
#[derive(Serialize)]
pub struct ShippingQuote {
    pub rate_card_id: String,
    pub carrier_org: String,
    pub carrier_scac: String,
    pub carrier_name: String,
    pub weight: ChargeableWeight,
    pub rate_per_kg: Decimal,
    pub freight: Money,
    pub minimum_applied: bool,
    pub transit_days: u32,
}

#[derive(Serialize)]
pub struct QuotesView {
    pub quotes: Vec<ShippingQuote>,
}

/// Freight quotes from every rate card on the lane and mode for these packages, with the
/// chargeable weight each is priced on (volumetric for air and parcel, the revenue ton for
/// sea), cheapest first within a currency.
#[utoipa::path(post, path = "/api/v1/shipping-quotes", tag = "logistics", request_body = Object,
    responses((status = 200, body = Object), (status = 422, body = Problem)))]
pub async fn shipping_quotes(
    State(state): State<AppState>,
    _user: CurrentUser,
    Json(req): Json<QuoteRequest>,
) -> Result<Json<QuotesView>, ApiError> {
    let mut e = ValidationErrors::new();
    let origin = e.check("origin", req.origin.parse::<Locode>());
    let destination = e.check("destination", req.destination.parse::<Locode>());
    let mode = e.check("mode", req.mode.parse::<TransportMode>());
    let packages = validate_packages(&mut e, "packages", &req.packages);
    let (Some(origin), Some(destination), Some(mode), Some(packages)) = (origin, destination, mode, packages) else {
        return Err(ApiError::Invalid(e));
    };
    let cards =
        state.store.list_rate_cards(Some(&origin), Some(&destination), Some(mode), "", MAX_QUOTED_CARDS).await?;
    let mut quotes = Vec::new();
    for c in cards.items {
        // A card that cannot price these packages (an amount too large to hold) is left out.
        let Ok(q) = c.card.quote(&packages) else { continue };
        quotes.push(ShippingQuote {
            rate_card_id: c.id,
            carrier_org: c.carrier_org,
            carrier_scac: c.carrier_scac,
            carrier_name: c.carrier_name,
            weight: q.weight,
            rate_per_kg: q.rate_per_kg,
            freight: q.freight,
            minimum_applied: q.minimum_applied,
            transit_days: q.transit_days,
        });
    }
    quotes.sort_by(|a, b| {
        (a.freight.currency().as_str(), a.freight.amount(), a.transit_days).cmp(&(
            b.freight.currency().as_str(),
            b.freight.amount(),
            b.transit_days,
        ))
    });
    Ok(Json(QuotesView { quotes }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BookingRequest {
    pub rate_card_id: String,
    pub packages: Vec<PackageForm>,
}

/// The buyer or the seller of an agreed (or funded) order books transport on a rate card;
/// the shipment is `requested` until the carrier confirms.
#[utoipa::path(post, path = "/api/v1/orders/{id}/shipments", tag = "logistics", params(("id" = String, Path)),
    request_body = Object,
    responses((status = 201, body = Object), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn book_shipment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(req): Json<BookingRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let org = user.organization_id()?.to_string();
    let mut e = ValidationErrors::new();
    if req.rate_card_id.trim().is_empty() {
        e.push("rate_card_id", "required", "choose a rate card (POST /api/v1/shipping-quotes lists them)");
    }
    let packages = validate_packages(&mut e, "packages", &req.packages);
    let Some(packages) = packages.filter(|_| e.is_empty()) else { return Err(ApiError::Invalid(e)) };
    let s = state.store.book_shipment(&user.actor(), &org, &id, req.rate_card_id.trim(), &packages).await?;
    Ok((StatusCode::CREATED, Json(s)))
}

#[derive(Serialize)]
pub struct TimelinesView {
    pub shipments: Vec<ShipmentTimeline>,
}

/// An order's shipments with their tracking events in time order and the ETA at the
/// destination. Both parties see every shipment, a carrier the ones it carries.
#[utoipa::path(get, path = "/api/v1/orders/{id}/shipments", tag = "logistics", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn order_shipments(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<TimelinesView>, ApiError> {
    let org = user.organization_id()?;
    Ok(Json(TimelinesView { shipments: state.store.order_shipments(org, &id).await? }))
}

/// The shipments the caller's company carries, ships or receives, oldest first.
#[utoipa::path(get, path = "/api/v1/shipments", tag = "logistics", params(PageParams),
    responses((status = 200, body = Object)))]
pub async fn list_shipments(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<PageParams>,
) -> Result<Json<PageBody<ShipmentRecord>>, ApiError> {
    let org = user.organization_id()?;
    Ok(Json(PageBody::from(state.store.list_shipments(org, &p.after()?, p.limit()?).await?)))
}

/// One shipment, for its carrier and the order's two parties.
#[utoipa::path(get, path = "/api/v1/shipments/{id}", tag = "logistics", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn get_shipment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ShipmentRecord>, ApiError> {
    let org = user.organization_id()?;
    Ok(Json(state.store.get_shipment(org, &id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmRequest {
    /// ISO 6346 container numbers; required for sea.
    pub containers: Vec<String>,
}

/// The carrier confirms a booking, with the container numbers for sea (each checked against
/// its ISO 6346 check digit).
#[utoipa::path(post, path = "/api/v1/shipments/{id}/confirm", tag = "logistics", params(("id" = String, Path)),
    request_body = Object,
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn confirm_shipment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(req): Json<ConfirmRequest>,
) -> Result<Json<ShipmentRecord>, ApiError> {
    let org = user.organization_id()?.to_string();
    let mut e = ValidationErrors::new();
    if req.containers.len() > 500 {
        e.push("containers", "too_many", "at most 500 containers per shipment");
    }
    let mut containers: Vec<ContainerNumber> = Vec::new();
    for (i, c) in req.containers.iter().take(500).enumerate() {
        if let Some(c) = e.check(&format!("containers[{i}]"), c.parse::<ContainerNumber>()) {
            if containers.contains(&c) {
                e.push(format!("containers[{i}]"), "duplicate", format!("{c} is listed twice"));
            }
            containers.push(c);
        }
    }
    e.into_result(())?;
    Ok(Json(state.store.confirm_shipment(&user.actor(), &org, &id, &containers).await?))
}

/// The carrier or either party of the order calls off a booking that is requested or
/// confirmed (not once the goods have left).
#[utoipa::path(post, path = "/api/v1/shipments/{id}/cancel", tag = "logistics", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel_shipment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ShipmentRecord>, ApiError> {
    let org = user.organization_id()?.to_string();
    Ok(Json(state.store.cancel_shipment(&user.actor(), &org, &id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EventsRequest {
    /// DCSA Track and Trace events (`eventID`, `eventType`, `eventClassifierCode`,
    /// `eventDateTime`, the type's code, optional `equipmentReference`, `UNLocationCode`,
    /// `description`).
    pub events: Vec<TrackingEventForm>,
}

/// The shipment's carrier reports tracking events. An event id already recorded is accepted
/// again with no second effect (listed under `duplicates`).
#[utoipa::path(post, path = "/api/v1/shipments/{id}/events", tag = "logistics", params(("id" = String, Path)),
    request_body = Object,
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn post_events(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(req): Json<EventsRequest>,
) -> Result<Json<EventsRecorded>, ApiError> {
    let org = user.organization_id()?.to_string();
    let events = validate_events(&req.events, now())?;
    Ok(Json(state.store.record_tracking_events(&user.actor(), &org, &id, &events, "api").await?))
}

/// The carrier's proof of delivery (`signatory`, `delivered_at` RFC 3339, optional `note`):
/// the shipment is delivered and the order with it, after which the buyer may release escrow.
#[utoipa::path(post, path = "/api/v1/shipments/{id}/proof-of-delivery", tag = "logistics",
    params(("id" = String, Path)), request_body = Object,
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn proof_of_delivery(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(form): Json<ProofOfDeliveryForm>,
) -> Result<Json<Delivery>, ApiError> {
    let org = user.organization_id()?.to_string();
    let pod = form.validate(now())?;
    Ok(Json(state.store.deliver_shipment(&user.actor(), &org, &id, &pod).await?))
}

/// Why a webhook delivery was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookRefusal {
    MissingHeaders,
    BadTimestamp,
    BadSignature,
    Stale,
}

impl WebhookRefusal {
    fn detail(&self) -> &'static str {
        match self {
            WebhookRefusal::MissingHeaders => "send X-Tradewind-Timestamp and X-Tradewind-Signature with every webhook",
            WebhookRefusal::BadTimestamp => "X-Tradewind-Timestamp must be the Unix time in seconds",
            WebhookRefusal::BadSignature => {
                "the signature does not match: sign timestamp + \".\" + body with HMAC-SHA256 under the carrier's current webhook secret and send sha256=<hex>"
            }
            WebhookRefusal::Stale => {
                "the timestamp is more than 5 minutes from the server's clock: a delayed or replayed delivery is refused; sign it again with the current time"
            }
        }
    }

    fn into_response(self) -> Response {
        let p = Problem {
            kind: "https://tradewind.dev/problems/webhook-signature".into(),
            title: "Webhook not accepted".into(),
            status: 401,
            detail: self.detail().into(),
            errors: vec![],
        };
        let mut res = (StatusCode::UNAUTHORIZED, axum::Json(p)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        res
    }
}

/// The hex HMAC-SHA256 of `timestamp + "." + body` under `secret`, as senders compute it.
pub fn webhook_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a webhook's signature (in constant time), then its freshness against `now_unix`.
pub fn check_webhook(
    secret: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now_unix: i64,
) -> Result<(), WebhookRefusal> {
    let ts: i64 = timestamp.trim().parse().map_err(|_| WebhookRefusal::BadTimestamp)?;
    let sig = signature.trim();
    let sig = hex::decode(sig.strip_prefix("sha256=").unwrap_or(sig)).map_err(|_| WebhookRefusal::BadSignature)?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).map_err(|_| WebhookRefusal::BadSignature)?;
    mac.update(timestamp.trim().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&sig).map_err(|_| WebhookRefusal::BadSignature)?;
    if (now_unix - ts).abs() > WEBHOOK_TOLERANCE_SECS {
        return Err(WebhookRefusal::Stale);
    }
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WebhookBody {
    /// The shipment the events belong to.
    #[serde(rename = "shipmentID")]
    pub shipment_id: String,
    pub events: Vec<TrackingEventForm>,
}

/// A carrier's signed webhook with tracking events for one of its shipments: body
/// `{"shipmentID": …, "events": [DCSA events]}`, headers `X-Tradewind-Timestamp` and
/// `X-Tradewind-Signature` (see the module documentation). No session or token: the
/// signature is the credential.
#[utoipa::path(post, path = "/api/v1/carrier-webhooks/{carrier_org_id}", tag = "logistics",
    params(("carrier_org_id" = String, Path),
        ("X-Tradewind-Timestamp" = String, Header, description = "Unix seconds"),
        ("X-Tradewind-Signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of timestamp.body>")),
    request_body = Object,
    responses((status = 200, body = Object), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn carrier_webhook(
    State(state): State<AppState>,
    Path(carrier_org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (Some(timestamp), Some(signature)) = (header(WEBHOOK_TIMESTAMP_HEADER), header(WEBHOOK_SIGNATURE_HEADER))
    else {
        return Ok(WebhookRefusal::MissingHeaders.into_response());
    };
    // An unknown carrier is answered like a wrong signature, so ids cannot be probed.
    let Some(secret) = state.store.carrier_webhook_secret(&carrier_org).await? else {
        return Ok(WebhookRefusal::BadSignature.into_response());
    };
    if let Err(r) = check_webhook(&secret, &timestamp, &signature, &body, now().unix_timestamp()) {
        return Ok(r.into_response());
    }
    let req: WebhookBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not a webhook event batch: {e}")))?;
    if req.shipment_id.trim().is_empty() {
        return Err(ApiError::field("shipmentID", "required", "name the shipment the events belong to"));
    }
    let events = validate_events(&req.events, now())?;
    let actor = Actor { user_id: None, organization_id: Some(carrier_org.clone()) };
    let recorded =
        state.store.record_tracking_events(&actor, &carrier_org, req.shipment_id.trim(), &events, "webhook").await?;
    Ok(Json(recorded).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_before_freshness() {
        let body = br#"{"shipmentID":"s1","events":[]}"#;
        let ts = "1767225600";
        let sig = format!("sha256={}", webhook_signature("whsec_a", ts, body));
        let now = 1_767_225_600;
        assert_eq!(check_webhook("whsec_a", ts, &sig, body, now + 299), Ok(()));
        assert_eq!(check_webhook("whsec_a", ts, &sig, body, now + 301), Err(WebhookRefusal::Stale));
        assert_eq!(check_webhook("whsec_a", ts, &sig, body, now - 301), Err(WebhookRefusal::Stale));
        assert_eq!(check_webhook("whsec_b", ts, &sig, body, now), Err(WebhookRefusal::BadSignature));
        assert_eq!(check_webhook("whsec_a", ts, &sig, b"{}", now), Err(WebhookRefusal::BadSignature));
        // The timestamp is signed: moving it forward breaks the signature.
        assert_eq!(check_webhook("whsec_a", "1767225900", &sig, body, now + 300), Err(WebhookRefusal::BadSignature));
        assert_eq!(check_webhook("whsec_a", "soon", &sig, body, now), Err(WebhookRefusal::BadTimestamp));
        assert_eq!(check_webhook("whsec_a", ts, "sha256=zz", body, now), Err(WebhookRefusal::BadSignature));
    }
}
