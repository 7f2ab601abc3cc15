//! Customs pages of the single window: each party's desk (a trader's or broker's own
//! declarations, an officer's economy, an agency's pending queue, the inspection service's
//! red lane), the lodging form, one declaration with the actions the viewer's role allows,
//! the landed-cost calculator, cargo manifests with their reconciliation, and time-release
//! figures.
//!
//! Every step goes through the same server functions as `/api/v1/customs`: the pipeline
//! (`prepare_declaration`, `new_declaration`), the domain's transitions (`apply_event`) and
//! the API's visibility rule (`visible_declaration`), so a page can do nothing the API would
//! refuse. Lodging and paying duty carry an idempotency key made when the page is drawn.

use super::forms::{Field, FormData, SummaryItem};
use super::i18n::Tr;
use super::page::{CSRF_FIELD, Chrome, Ctx, PageError, render, see_other};
use crate::AppState;
use crate::api::customs::{self as api, ActionBody, DraftQuery, ManifestBody, visible_declaration};
use crate::auth::CurrentUser;
use crate::customs::{CustomsParty, apply_event, fx_rates, new_declaration, prepare_declaration};
use crate::problem::{self, ApiError};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::str::FromStr;
use tradewind_domain::customs::clearance::{Actor as ClearanceActor, ClearanceState};
use tradewind_domain::customs::landed_cost::{LandedCost, Shipment, ShipmentLine, landed_cost as cost_of};
use tradewind_domain::customs::reconciliation::{ManifestEntry, Reconciliation};
use tradewind_domain::customs::submission::{ClaimedPreference, DeclarationInput, DeclaredItem};
use tradewind_domain::customs::time_release::{Figures, TimeReleaseReport};
use tradewind_domain::documents::declaration::Direction;
use tradewind_domain::organization::TradeRole;
use tradewind_domain::{CountryCode, CurrencyCode, HsCode, Incoterm, Money};
use tradewind_store::{DeclarationFilter, DeclarationRecord, StoreError};

/// Goods rows the lodging form and the calculator offer.
const ITEM_ROWS: usize = 3;
/// Declarations a desk lists.
const LIST_SIZE: usize = 100;
/// The status words a declaration can have, in the order of its life.
const STATUS_WORDS: [&str; 10] = [
    "awaiting_document_check",
    "awaiting_inspection",
    "inspection_booked",
    "awaiting_reassessment",
    "awaiting_payment",
    "awaiting_agency_approvals",
    "released",
    "refused",
    "rejected",
    "cancelled",
];
const FINAL_WORDS: [&str; 4] = ["released", "refused", "rejected", "cancelled"];

// ---------------------------------------------------------------- shared

/// Form values by input id.
#[derive(Debug, Default, Clone)]
struct Values(HashMap<String, String>);

impl Values {
    fn get(&self, id: &str) -> &str {
        self.0.get(id).map(String::as_str).unwrap_or("")
    }

    fn set(&mut self, id: impl Into<String>, value: impl Into<String>) {
        self.0.insert(id.into(), value.into());
    }

    fn trimmed(&self, id: &str) -> &str {
        self.get(id).trim()
    }

    fn from_form(form: &FormData, ids: &[String]) -> Values {
        Values(ids.iter().map(|id| (id.clone(), form.get(id).to_string())).collect())
    }
}

/// Problems with a form, by input id (`None`: about the form as a whole).
#[derive(Debug, Default)]
struct Problems(Vec<(Option<String>, String)>);

impl Problems {
    fn add(&mut self, id: &str, message: impl Into<String>) {
        if !self.0.iter().any(|(k, _)| k.as_deref() == Some(id)) {
            self.0.push((Some(id.to_string()), message.into()));
        }
    }

    fn general(&mut self, message: impl Into<String>) {
        self.0.push((None, message.into()));
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn of(&self, id: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| k.as_deref() == Some(id)).map(|(_, m)| m.clone())
    }

    fn summary(&self, fields: &[&Field]) -> Vec<SummaryItem> {
        self.0
            .iter()
            .map(|(id, message)| match id {
                Some(id) => {
                    let label = fields.iter().find(|f| &f.id == id).map(|f| f.label.clone()).unwrap_or_default();
                    let text = if label.is_empty() { message.clone() } else { format!("{label}: {message}") };
                    SummaryItem { href: Some(format!("#{id}")), text }
                }
                None => SummaryItem { href: None, text: message.clone() },
            })
            .collect()
    }
}

/// An input of a customs form, labelled by its `customs.field.<name>` text.
fn input(tr: Tr, id: &str, name: &str, kind: &'static str, values: &Values, problems: &Problems) -> Field {
    let mut f = Field::new(tr, id, kind).value(values.get(id)).optional();
    f.label = tr.t(&format!("customs.field.{name}")).to_string();
    f.error = problems.of(id);
    f
}

fn select(mut f: Field, options: Vec<(String, String)>) -> Field {
    f.required = true;
    f.options(options)
}

fn decimal(values: &Values, id: &str, problems: &mut Problems, tr: Tr) -> Option<Decimal> {
    let raw = values.trimmed(id);
    if raw.is_empty() {
        return None;
    }
    match Decimal::from_str(raw) {
        Ok(d) => Some(d),
        Err(_) => {
            problems.add(id, tr.t("customs.err.number"));
            None
        }
    }
}

fn required_decimal(values: &Values, id: &str, problems: &mut Problems, tr: Tr) -> Option<Decimal> {
    if values.trimmed(id).is_empty() {
        problems.add(id, tr.t("err.required"));
        return None;
    }
    decimal(values, id, problems, tr)
}

/// An amount with its currency; `None` when the amount is left empty.
fn money(values: &Values, prefix: &str, problems: &mut Problems, tr: Tr) -> Option<Money> {
    let (amount_id, currency_id) = (format!("{prefix}_amount"), format!("{prefix}_currency"));
    let amount = decimal(values, &amount_id, problems, tr)?;
    let currency = match CurrencyCode::from_str(&values.trimmed(&currency_id).to_ascii_uppercase()) {
        Ok(c) => c,
        Err(_) => {
            problems.add(&currency_id, tr.t("customs.err.currency"));
            return None;
        }
    };
    match Money::new(amount, currency) {
        Ok(m) => Some(m),
        Err(e) => {
            problems.add(&amount_id, e.to_string());
            None
        }
    }
}

fn country(values: &Values, id: &str, problems: &mut Problems, tr: Tr) -> Option<CountryCode> {
    match CountryCode::from_str(&values.trimmed(id).to_ascii_uppercase()) {
        Ok(c) => Some(c),
        Err(_) => {
            problems.add(id, tr.t("customs.err.country"));
            None
        }
    }
}

fn hs_code(values: &Values, id: &str, problems: &mut Problems, tr: Tr) -> Option<HsCode> {
    match HsCode::from_str(values.trimmed(id)) {
        Ok(h) => Some(h),
        Err(_) => {
            problems.add(id, tr.t("customs.err.hs"));
            None
        }
    }
}

fn incoterm(values: &Values, problems: &mut Problems, tr: Tr) -> Option<Incoterm> {
    match Incoterm::from_str(values.trimmed("incoterm")) {
        Ok(i) => Some(i),
        Err(_) => {
            problems.add("incoterm", tr.t("customs.err.incoterm"));
            None
        }
    }
}

fn incoterm_options() -> Vec<(String, String)> {
    Incoterm::ALL.iter().map(|i| (i.code().to_string(), i.code().to_string())).collect()
}

/// The economies whose tariff this node holds, as select options.
fn economy_options(state: &AppState) -> Vec<(String, String)> {
    state
        .customs
        .schedules()
        .iter()
        .map(|s| (s.economy().as_str().to_string(), format!("{} · {}", s.economy().as_str(), s.name())))
        .collect()
}

fn lane_kind(lane: &str) -> &'static str {
    match lane {
        "green" => "verified",
        "red" => "rejected",
        _ => "pending",
    }
}

fn status_label(tr: Tr, word: &str) -> String {
    tr.lookup(&format!("customs.status.{word}")).unwrap_or(word).to_string()
}

fn lane_label(tr: Tr, lane: &str) -> String {
    tr.lookup(&format!("customs.lane.{lane}")).unwrap_or(lane).to_string()
}

fn minute(stored: &str) -> String {
    stored.get(..16).unwrap_or(stored).replace('T', " ")
}

/// A refusal the person can act on is said on the page; anything else is an error page.
fn in_words(e: &ApiError) -> Option<(StatusCode, String)> {
    match e {
        ApiError::Invalid(_) | ApiError::Refused(_) | ApiError::Conflict { .. } | ApiError::BadRequest(_) => {
            let p = e.problem();
            let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            // Said apart from any input, so the message itself (which names the field) is kept.
            let details: Vec<String> = p.errors.iter().map(|fe| fe.message.clone()).collect();
            let text = if details.is_empty() { p.detail } else { details.join("; ") };
            Some((status, text))
        }
        _ => None,
    }
}

fn idempotency_key_of(form: &FormData) -> Result<String, PageError> {
    let key = form.get("idempotency_key").trim().to_string();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest("the form carries no valid idempotency key".into()).into());
    }
    Ok(key)
}

async fn party_of(state: &AppState, user: &CurrentUser) -> Result<CustomsParty, PageError> {
    Ok(CustomsParty::of(&state.store, user.organization_id()?).await?)
}

// ---------------------------------------------------------------- the desk

/// What a party works on at customs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Desk {
    Officer,
    Inspection,
    Agency(String),
    Trader,
}

impl Desk {
    fn of(me: &CustomsParty) -> Desk {
        let economy = me.country.as_str();
        if me.is_officer_of(economy) {
            Desk::Officer
        } else if me.is_inspector_of(economy) {
            Desk::Inspection
        } else if let Some(a) = me.agency_of(economy) {
            Desk::Agency(a.to_string())
        } else {
            Desk::Trader
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Desk::Officer => "officer",
            Desk::Inspection => "inspection",
            Desk::Agency(_) => "agency",
            Desk::Trader => "trader",
        }
    }
}

struct DeclarationRow {
    href: String,
    id: String,
    number: String,
    economy: String,
    direction: String,
    declarant: String,
    lane: String,
    lane_kind: &'static str,
    status: String,
    duty: String,
    created: String,
}

struct CertificateRow {
    number: String,
    agreement: String,
    product: String,
    status: String,
    valid_until: String,
}

#[derive(Template)]
#[template(path = "customs.html")]
struct IndexPage {
    page: Chrome,
    desk: &'static str,
    economy: String,
    agency: String,
    rows: Vec<DeclarationRow>,
    lane: String,
    status: String,
    lanes: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    certificates: Vec<CertificateRow>,
}

#[derive(Deserialize)]
pub struct IndexQuery {
    #[serde(default)]
    lane: String,
    #[serde(default)]
    status: String,
}

fn row_of(tr: Tr, d: DeclarationRecord) -> DeclarationRow {
    DeclarationRow {
        href: format!("/customs/declarations/{}", d.id),
        number: d.number,
        economy: d.economy,
        direction: tr.lookup(&format!("customs.direction.{}", d.direction)).unwrap_or(&d.direction).to_string(),
        declarant: d.declarant_name,
        lane: lane_label(tr, &d.lane),
        lane_kind: lane_kind(&d.lane),
        status: status_label(tr, &d.status),
        duty: d.duty.to_string(),
        created: minute(&d.created_at),
        id: d.id,
    }
}

/// `GET /customs?lane=&status=`: the viewer's desk.
pub async fn index(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<IndexQuery>,
) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let me = party_of(&state, user).await?;
    let tr = ctx.tr();
    let desk = Desk::of(&me);
    let economy = me.country.as_str().to_string();
    let lane = Some(q.lane.trim()).filter(|l| ["green", "yellow", "red"].contains(l));
    let status = Some(q.status.trim()).filter(|s| STATUS_WORDS.contains(s));
    // The same scopes as the API's list: nobody sees beyond its own desk.
    let mut filter = DeclarationFilter { status, lane, ..Default::default() };
    match &desk {
        Desk::Officer => filter.economy = Some(&economy),
        Desk::Inspection => {
            filter.economy = Some(&economy);
            filter.lane = Some("red");
        }
        Desk::Agency(a) => {
            filter.economy = Some(&economy);
            filter.pending_agency = Some(a);
        }
        Desk::Trader => filter.company = Some(&me.org),
    }
    let rows = state.store.customs_declarations(&filter, "", LIST_SIZE).await?.items;
    let certificates = if desk == Desk::Trader {
        state
            .store
            .origin_certificates(&me.org)
            .await?
            .into_iter()
            .map(|c| CertificateRow {
                number: c.number,
                agreement: c.agreement,
                product: format!("{} ({})", c.product, c.product_hs),
                status: c.status,
                valid_until: c.valid_until.unwrap_or_default(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = IndexPage {
        page: ctx.chrome("title.customs", "customs"),
        desk: desk.name(),
        agency: match &desk {
            Desk::Agency(a) => a.clone(),
            _ => String::new(),
        },
        economy,
        rows: rows.into_iter().map(|d| row_of(tr, d)).collect(),
        lane: lane.unwrap_or("").to_string(),
        status: status.unwrap_or("").to_string(),
        lanes: ["green", "yellow", "red"].iter().map(|l| (l.to_string(), lane_label(tr, l))).collect(),
        statuses: STATUS_WORDS.iter().map(|s| (s.to_string(), status_label(tr, s))).collect(),
        certificates,
    };
    Ok(render(StatusCode::OK, &page))
}

// ---------------------------------------------------------------- lodging

const HEAD_INPUTS: [&str; 10] = [
    "direction",
    "economy",
    "number",
    "incoterm",
    "freight_amount",
    "freight_currency",
    "insurance_amount",
    "insurance_currency",
    "transport_document",
    "declarant",
];
const ITEM_INPUTS: [&str; 11] = [
    "description",
    "hs_code",
    "origin",
    "value_amount",
    "value_currency",
    "quantity",
    "unit",
    "gross_kg",
    "packages",
    "agreement",
    "certificate_number",
];

fn item_id(row: usize, name: &str) -> String {
    format!("item{row}_{name}")
}

fn lodge_ids() -> Vec<String> {
    let mut ids: Vec<String> = HEAD_INPUTS.iter().map(|s| s.to_string()).collect();
    ids.extend(["order_id".to_string()]);
    for row in 0..ITEM_ROWS {
        ids.extend(ITEM_INPUTS.iter().map(|n| item_id(row, n)));
    }
    ids
}

/// One goods row of a form.
struct ItemRow {
    n: usize,
    fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "customs_lodge.html")]
struct LodgePage {
    page: Chrome,
    summary: Vec<SummaryItem>,
    head: Vec<Field>,
    rows: Vec<ItemRow>,
    order_id: String,
    idempotency_key: String,
    to_complete: Vec<String>,
}

fn lodge_page(ctx: &Ctx, state: &AppState, me: &CustomsParty, values: &Values, problems: &Problems) -> LodgePage {
    let tr = ctx.tr();
    let f = |id: &str, kind: &'static str| input(tr, id, id, kind, values, problems);
    let directions = ["import", "export"]
        .iter()
        .map(|d| (d.to_string(), tr.t(&format!("customs.direction.{d}")).to_string()))
        .collect();
    let mut head = vec![
        select(f("direction", "select"), directions),
        select(f("economy", "select"), economy_options(state)),
        f("number", "text"),
        select(f("incoterm", "select"), incoterm_options()),
        f("freight_amount", "text"),
        f("freight_currency", "text"),
        f("insurance_amount", "text"),
        f("insurance_currency", "text"),
        f("transport_document", "text"),
    ];
    head[2].required = true;
    if me.roles.contains(&TradeRole::CustomsBroker) {
        head.push(f("declarant", "text").hint(tr.t("customs.hint.declarant")));
    }
    let rows: Vec<ItemRow> = (0..ITEM_ROWS)
        .map(|row| ItemRow {
            n: row + 1,
            fields: ITEM_INPUTS
                .iter()
                .map(|name| input(tr, &item_id(row, name), name, "text", values, problems))
                .collect(),
        })
        .collect();
    let all: Vec<&Field> = head.iter().chain(rows.iter().flat_map(|r| r.fields.iter())).collect();
    LodgePage {
        page: ctx.chrome_at("title.customs_lodge", "customs", "/customs/declarations/new"),
        summary: problems.summary(&all),
        order_id: values.get("order_id").to_string(),
        head,
        rows,
        idempotency_key: tradewind_store::new_id(),
        to_complete: Vec::new(),
    }
}

/// Reads the lodging form into a declaration; also says which form row each goods item
/// came from (rows left empty are skipped).
fn read_declaration(values: &Values, tr: Tr, problems: &mut Problems) -> Option<(DeclarationInput, Vec<usize>)> {
    let direction = match values.trimmed("direction") {
        "import" => Some(Direction::Import),
        "export" => Some(Direction::Export),
        _ => {
            problems.add("direction", tr.t("customs.err.direction"));
            None
        }
    };
    let economy = country(values, "economy", problems, tr);
    if values.trimmed("number").is_empty() {
        problems.add("number", tr.t("err.required"));
    }
    let incoterm = incoterm(values, problems, tr);
    let freight = money(values, "freight", problems, tr);
    let insurance = money(values, "insurance", problems, tr);
    let mut items = Vec::new();
    let mut rows = Vec::new();
    for row in 0..ITEM_ROWS {
        let id = |n: &str| item_id(row, n);
        let used =
            ["description", "hs_code", "value_amount", "quantity"].iter().any(|n| !values.trimmed(&id(n)).is_empty());
        if !used {
            continue;
        }
        if values.trimmed(&id("description")).is_empty() {
            problems.add(&id("description"), tr.t("err.required"));
        }
        let hs = hs_code(values, &id("hs_code"), problems, tr);
        let origin = country(values, &id("origin"), problems, tr);
        let value = money(values, &format!("item{row}_value"), problems, tr);
        if value.is_none() && values.trimmed(&id("value_amount")).is_empty() {
            problems.add(&id("value_amount"), tr.t("err.required"));
        }
        let quantity = required_decimal(values, &id("quantity"), problems, tr);
        let gross_kg = required_decimal(values, &id("gross_kg"), problems, tr);
        let packages = match values.trimmed(&id("packages")) {
            "" => None,
            p => match p.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.add(&id("packages"), tr.t("customs.err.count"));
                    None
                }
            },
        };
        let (agreement, certificate) = (values.trimmed(&id("agreement")), values.trimmed(&id("certificate_number")));
        let preference = match (agreement.is_empty(), certificate.is_empty()) {
            (true, true) => None,
            (false, false) => Some(ClaimedPreference {
                agreement: agreement.to_ascii_uppercase(),
                certificate_number: certificate.to_string(),
            }),
            (true, false) => {
                problems.add(&id("agreement"), tr.t("customs.err.preference"));
                None
            }
            (false, true) => {
                problems.add(&id("certificate_number"), tr.t("customs.err.preference"));
                None
            }
        };
        let unit = values.trimmed(&id("unit")).to_ascii_uppercase();
        if let (Some(hs_code), Some(origin), Some(value), Some(quantity), Some(gross_kg)) =
            (hs, origin, value, quantity, gross_kg)
        {
            items.push(DeclaredItem {
                description: values.trimmed(&id("description")).to_string(),
                hs_code,
                origin,
                value,
                quantity,
                unit,
                gross_kg,
                packages,
                preference,
            });
            rows.push(row);
        }
    }
    if items.is_empty() && problems.is_empty() {
        problems.add(&item_id(0, "description"), tr.t("customs.err.no_items"));
    }
    let declarant = Some(values.trimmed("declarant")).filter(|d| !d.is_empty()).map(str::to_string);
    let transport_document = Some(values.trimmed("transport_document")).filter(|d| !d.is_empty()).map(str::to_string);
    let order_id = Some(values.trimmed("order_id")).filter(|d| !d.is_empty()).map(str::to_string);
    match (direction, economy, incoterm) {
        (Some(direction), Some(economy), Some(incoterm)) if problems.is_empty() => Some((
            DeclarationInput {
                direction,
                economy,
                number: values.trimmed("number").to_string(),
                declarant,
                incoterm,
                freight,
                insurance,
                transport_document,
                order_id,
                date: None,
                items,
            },
            rows,
        )),
        _ => None,
    }
}

/// The input a validation error's field path points at: `items[1].hs_code` is the HS
/// input of the form row the second goods item came from.
fn input_of(path: &str, rows: &[usize]) -> Option<String> {
    if let Some(rest) = path.strip_prefix("items[") {
        let (index, field) = rest.split_once(']')?;
        let row = *rows.get(index.parse::<usize>().ok()?)?;
        let name = match field.trim_start_matches('.') {
            "" => "description",
            "value" => "value_amount",
            "preference" => "agreement",
            f if ITEM_INPUTS.contains(&f) => f,
            _ => "description",
        };
        return Some(item_id(row, name));
    }
    match path {
        "freight" => Some("freight_amount".into()),
        "insurance" => Some("insurance_amount".into()),
        p if HEAD_INPUTS.contains(&p) => Some(p.to_string()),
        _ => None,
    }
}

fn values_of(input: &DeclarationInput) -> Values {
    let mut v = Values::default();
    let direction = match input.direction {
        Direction::Import => "import",
        Direction::Export => "export",
    };
    v.set("direction", direction);
    v.set("economy", input.economy.as_str());
    v.set("number", &input.number);
    v.set("incoterm", input.incoterm.code());
    for (prefix, m) in [("freight", input.freight), ("insurance", input.insurance)] {
        if let Some(m) = m {
            v.set(format!("{prefix}_amount"), m.amount().to_string());
            v.set(format!("{prefix}_currency"), m.currency().as_str());
        }
    }
    v.set("transport_document", input.transport_document.clone().unwrap_or_default());
    v.set("order_id", input.order_id.clone().unwrap_or_default());
    for (row, item) in input.items.iter().take(ITEM_ROWS).enumerate() {
        let id = |n: &str| item_id(row, n);
        v.set(id("description"), &item.description);
        v.set(id("hs_code"), item.hs_code.as_str());
        v.set(id("origin"), item.origin.as_str());
        v.set(id("value_amount"), item.value.amount().to_string());
        v.set(id("value_currency"), item.value.currency().as_str());
        v.set(id("quantity"), item.quantity.to_string());
        v.set(id("unit"), &item.unit);
        v.set(id("gross_kg"), item.gross_kg.to_string());
        v.set(id("packages"), item.packages.map(|p| p.to_string()).unwrap_or_default());
    }
    v
}

#[derive(Deserialize)]
pub struct LodgeQuery {
    #[serde(default)]
    order: String,
    #[serde(default)]
    direction: String,
}

/// `GET /customs/declarations/new[?order=ID&direction=import]`: the lodging form, drafted
/// from an order's documents when one is named.
pub async fn lodge_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LodgeQuery>,
) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let me = party_of(&state, user).await?;
    let mut values = Values::default();
    values.set("direction", "import");
    values.set("economy", me.country.as_str());
    values.set("incoterm", "FOB");
    let mut problems = Problems::default();
    let mut to_complete = Vec::new();
    if !q.order.trim().is_empty() {
        let direction = if q.direction.trim().is_empty() { "import".to_string() } else { q.direction.trim().into() };
        let drafted = api::draft_from_order(
            State(state.clone()),
            user.clone(),
            problem::Path(q.order.trim().to_string()),
            problem::Query(DraftQuery { direction }),
        )
        .await;
        match drafted {
            Ok(problem::Json(v)) => {
                let input: DeclarationInput = serde_json::from_value(v["declaration"].clone())
                    .map_err(|e| ApiError::Internal(format!("drafted declaration: {e}")))?;
                values = values_of(&input);
                to_complete = v["to_complete"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default();
            }
            Err(e) => match in_words(&e) {
                Some((_, message)) => problems.general(message),
                None => return Err(PageError(e)),
            },
        }
    }
    let mut page = lodge_page(&ctx, &state, &me, &values, &problems);
    page.page = ctx.chrome("title.customs_lodge", "customs");
    page.to_complete = to_complete;
    Ok(render(StatusCode::OK, &page))
}

fn digest(input: &DeclarationInput) -> String {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_string(input).unwrap_or_default();
    hex::encode(&Sha256::digest(text.as_bytes())[..12])
}

/// `POST /customs/declarations/new`: lodges once per form (its idempotency key), then shows
/// the declaration with its lane.
pub async fn lodge(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let me = party_of(&state, user).await?;
    let tr = ctx.tr();
    let key = idempotency_key_of(&form)?;
    let values = Values::from_form(&form, &lodge_ids());
    let mut problems = Problems::default();
    let again = |problems: &Problems, status: StatusCode| {
        let mut page = lodge_page(&ctx, &state, &me, &values, problems);
        // The same key again: the corrected form still lodges once.
        page.idempotency_key = key.clone();
        Ok(render(status, &page))
    };
    let Some((input, rows)) = read_declaration(&values, tr, &mut problems) else {
        return again(&problems, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let (declarant, broker) = match input.declarant.as_deref() {
        None => (me.org.clone(), None),
        Some(d) if d == me.org => (me.org.clone(), None),
        Some(d) => {
            if !me.roles.contains(&TradeRole::CustomsBroker) || !state.store.has_broker_mandate(d, &me.org).await? {
                problems.add("declarant", tr.t("customs.err.no_mandate"));
                return again(&problems, StatusCode::UNPROCESSABLE_ENTITY);
            }
            (d.to_string(), Some(me.org.clone()))
        }
    };
    let lodged = async {
        let prepared = prepare_declaration(&state.store, &state.customs, &declarant, &input).await?;
        let new = new_declaration(&input, &prepared, &declarant, broker.as_deref())?;
        Ok::<_, ApiError>(state.store.submit_declaration(&user.actor(), &me.org, &key, &digest(&input), &new).await?)
    }
    .await;
    match lodged {
        Ok(record) => Ok(see_other(&format!("/customs/declarations/{}?notice=customs_lodged", record.id))),
        Err(ApiError::Invalid(errors)) => {
            for fe in &errors.0 {
                let message = tr.error(fe.field.rsplit('.').next().unwrap_or(&fe.field), fe.code, &fe.message);
                match input_of(&fe.field, &rows) {
                    Some(id) => problems.add(&id, message),
                    None => problems.general(message),
                }
            }
            again(&problems, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => match in_words(&e) {
            Some((status, message)) => {
                problems.general(message);
                again(&problems, status)
            }
            None => Err(PageError(e)),
        },
    }
}

// ---------------------------------------------------------------- one declaration

struct ItemView {
    n: usize,
    description: String,
    hs_code: String,
    origin: String,
    value: String,
    quantity: String,
    gross_kg: String,
    packages: String,
    preference: String,
}

struct EventView {
    seq: i64,
    at: String,
    /// The stored step word (`inspection_booked`) and its label.
    word: String,
    step: String,
    details: String,
}

/// What the viewer may do now, by role and status.
#[derive(Default)]
struct Can {
    accept: bool,
    reassess: bool,
    reject: bool,
    book: bool,
    inspect: bool,
    pay: bool,
    cancel: bool,
    decide: bool,
}

#[derive(Deserialize)]
struct StepLine {
    label: String,
    amount: Money,
    basis: String,
}

#[derive(Template)]
#[template(path = "customs_declaration.html")]
struct DeclarationPage {
    page: Chrome,
    id: String,
    number: String,
    economy: String,
    direction: String,
    declarant: String,
    broker: String,
    transport_document: String,
    incoterm: String,
    status_word: String,
    status: String,
    lane: String,
    lane_kind: &'static str,
    duty: String,
    duty_currency: String,
    role: &'static str,
    items: Vec<ItemView>,
    /// (label, amount, basis) per step of the assessment.
    explanation: Vec<(String, String, String)>,
    /// (rule, description, lane) per risk rule that fired.
    fired: Vec<(String, String, String)>,
    sampled: bool,
    /// (agency, decision, note, when).
    agencies: Vec<(String, String, String, String)>,
    events: Vec<EventView>,
    next_steps: Vec<String>,
    /// Photos the inspection record holds.
    photos: Vec<String>,
    /// Photos uploaded for the record being written.
    uploaded: Vec<String>,
    uploaded_query: String,
    can: Can,
    pay_key: String,
    error: Option<String>,
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn declaration_page(
    state: &AppState,
    ctx: &Ctx,
    d: DeclarationRecord,
    role: ClearanceActor,
    uploaded: Vec<String>,
    error: Option<String>,
) -> Result<DeclarationPage, PageError> {
    let tr = ctx.tr();
    let internal = |e: serde_json::Error| ApiError::Internal(e.to_string());
    let events = state.store.customs_events(&d.id).await?;
    let clearance: ClearanceState = serde_json::from_value(d.state.clone()).map_err(internal)?;
    let input: DeclarationInput = serde_json::from_value(d.body.clone()).map_err(internal)?;
    let explanation: Vec<StepLine> = match d.assessment.get("explanation") {
        Some(v) => serde_json::from_value(v.clone()).map_err(internal)?,
        None => Vec::new(),
    };
    let fired = d
        .selection
        .get("fired")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|f| {
                    let s = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                    (s("id"), s("description"), lane_label(tr, &s("lane")))
                })
                .collect()
        })
        .unwrap_or_default();
    let photos: Vec<String> = events
        .iter()
        .filter(|e| e.step == "inspection_recorded")
        .flat_map(|e| {
            e.details
                .get("photos")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.as_str().map(str::to_string))
        })
        .collect();
    let word = d.status.as_str();
    let open = !FINAL_WORDS.contains(&word);
    let role_name = match &role {
        ClearanceActor::Declarant => "declarant",
        ClearanceActor::Officer => "officer",
        ClearanceActor::Inspector => "inspector",
        ClearanceActor::Agency(_) => "agency",
        _ => "",
    };
    let can = match &role {
        ClearanceActor::Officer => Can {
            accept: word == "awaiting_document_check",
            reassess: ["awaiting_reassessment", "awaiting_payment"].contains(&word),
            reject: open && word != "awaiting_agency_approvals",
            ..Can::default()
        },
        ClearanceActor::Inspector => {
            Can { book: word == "awaiting_inspection", inspect: word == "inspection_booked", ..Can::default() }
        }
        ClearanceActor::Declarant => {
            Can { pay: word == "awaiting_payment", cancel: open && clearance.paid.is_none(), ..Can::default() }
        }
        ClearanceActor::Agency(a) => {
            Can { decide: open && d.agencies.iter().any(|t| &t.agency == a && t.decision.is_none()), ..Can::default() }
        }
        _ => Can::default(),
    };
    let uploaded_query = uploaded.join(",");
    Ok(DeclarationPage {
        page: ctx.chrome_at("title.customs_declaration", "customs", &format!("/customs/declarations/{}", d.id)),
        number: d.number.clone(),
        economy: d.economy.clone(),
        direction: tr.lookup(&format!("customs.direction.{}", d.direction)).unwrap_or(&d.direction).to_string(),
        declarant: d.declarant_name.clone(),
        broker: d.broker_org.clone().unwrap_or_default(),
        transport_document: d.transport_document.clone().unwrap_or_default(),
        incoterm: input.incoterm.code().to_string(),
        status_word: d.status.clone(),
        status: status_label(tr, &d.status),
        lane: lane_label(tr, &d.lane),
        lane_kind: lane_kind(&d.lane),
        duty: d.duty.to_string(),
        duty_currency: d.duty.currency().as_str().to_string(),
        role: role_name,
        items: input
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| ItemView {
                n: i + 1,
                description: it.description.clone(),
                hs_code: it.hs_code.as_str().to_string(),
                origin: it.origin.as_str().to_string(),
                value: it.value.to_string(),
                quantity: format!("{} {}", it.quantity, it.unit),
                gross_kg: it.gross_kg.to_string(),
                packages: it.packages.map(|p| p.to_string()).unwrap_or_default(),
                preference: it
                    .preference
                    .as_ref()
                    .map(|p| format!("{} · {}", p.agreement, p.certificate_number))
                    .unwrap_or_default(),
            })
            .collect(),
        explanation: explanation.into_iter().map(|s| (s.label, s.amount.to_string(), s.basis)).collect(),
        fired,
        sampled: d.selection.get("sampled").and_then(Value::as_bool).unwrap_or(false),
        agencies: d
            .agencies
            .iter()
            .map(|t| {
                let decision = match t.decision.as_deref() {
                    Some(dd) => tr.lookup(&format!("customs.decision.{dd}")).unwrap_or(dd).to_string(),
                    None => tr.t("customs.decision.pending").to_string(),
                };
                (
                    t.agency.clone(),
                    decision,
                    t.note.clone().unwrap_or_default(),
                    t.decided_at.as_deref().map(minute).unwrap_or_default(),
                )
            })
            .collect(),
        events: events
            .iter()
            .map(|e| EventView {
                seq: e.seq,
                at: minute(&e.at),
                word: e.step.clone(),
                step: tr.lookup(&format!("customs.step.{}", e.step)).unwrap_or(&e.step).to_string(),
                details: details_text(&e.details),
            })
            .collect(),
        next_steps: clearance.next_steps(),
        photos,
        uploaded,
        uploaded_query,
        can,
        pay_key: tradewind_store::new_id(),
        error,
        id: d.id,
    })
}

#[derive(Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    photos: String,
}

/// Photos named in a query, kept only when they are this declaration's.
async fn uploaded_photos(state: &AppState, declaration: &str, listed: &str) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for sha in listed.split(',').map(str::trim).filter(|s| is_sha256(s)) {
        match state.store.inspection_photo(declaration, sha).await {
            Ok(_) if !out.iter().any(|p: &String| p == sha) => out.push(sha.to_string()),
            Ok(_) | Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// `GET /customs/declarations/{id}`: the declaration, its history and the viewer's actions.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let (d, _, role) = visible_declaration(&state, user, &id).await?;
    let uploaded = uploaded_photos(&state, &d.id, &q.photos).await?;
    let mut page = declaration_page(&state, &ctx, d, role, uploaded, None).await?;
    page.page = ctx.chrome("title.customs_declaration", "customs");
    Ok(render(StatusCode::OK, &page))
}

/// `datetime-local` gives `2026-11-27T09:00`; the slot is taken as UTC.
fn slot_of(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339).is_ok() {
        return Some(raw.to_string());
    }
    let with_seconds = if raw.len() == 16 { format!("{raw}:00") } else { raw.to_string() };
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let local = time::PrimitiveDateTime::parse(&with_seconds, format).ok()?;
    local.assume_utc().format(&time::format_description::well_known::Rfc3339).ok()
}

/// The API's action for a posted form.
fn action_of(action: &str, form: &FormData, tr: Tr) -> Result<ActionBody, ApiError> {
    let reason = form.get("reason").trim().to_string();
    let needs_reason = || {
        if reason.is_empty() {
            Err(ApiError::field("reason", "required", tr.t("customs.err.reason")))
        } else {
            Ok(reason.clone())
        }
    };
    Ok(match action {
        "accept_documents" => ActionBody::AcceptDocuments,
        "book_inspection" => ActionBody::BookInspection {
            slot: slot_of(form.get("slot"))
                .ok_or_else(|| ApiError::field("slot", "invalid", tr.t("customs.err.slot")))?,
        },
        "record_inspection" => ActionBody::RecordInspection {
            compliant: match form.get("compliant") {
                "yes" => true,
                "no" => false,
                _ => return Err(ApiError::field("compliant", "required", tr.t("customs.err.compliant"))),
            },
            findings: form.get("findings").trim().to_string(),
            photos: form.all("photos").into_iter().filter(|p| is_sha256(p)).collect(),
        },
        "reassess" => {
            let amount = Decimal::from_str(form.get("duty_amount").trim())
                .map_err(|_| ApiError::field("duty_amount", "invalid", tr.t("customs.err.number")))?;
            let currency = CurrencyCode::from_str(&form.get("duty_currency").trim().to_ascii_uppercase())
                .map_err(|_| ApiError::field("duty_currency", "invalid", tr.t("customs.err.currency")))?;
            let duty =
                Money::new(amount, currency).map_err(|e| ApiError::field("duty_amount", "invalid", e.to_string()))?;
            ActionBody::Reassess { duty, reason: needs_reason()? }
        }
        "reject" => ActionBody::Reject { reason: needs_reason()? },
        "pay_duty" => ActionBody::PayDuty,
        "decide" => {
            ActionBody::Decide { approved: form.get("approved") == "true", note: form.get("note").trim().to_string() }
        }
        "cancel" => ActionBody::Cancel { reason: needs_reason()? },
        _ => return Err(ApiError::NotFound),
    })
}

/// `POST /customs/declarations/{id}/{action}`: one step by the viewer, then back to the
/// declaration; a refusal is said on it in words.
pub async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, action)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let tr = ctx.tr();
    // Outsiders get not found before anything about their input is judged.
    let (d, me, role) = visible_declaration(&state, user, &id).await?;
    let here = format!("/customs/declarations/{}", d.id);
    let paying = action == "pay_duty";
    if paying {
        idempotency_key_of(&form)?;
        let current: ClearanceState =
            serde_json::from_value(d.state.clone()).map_err(|e| ApiError::Internal(e.to_string()))?;
        // The same form posted twice pays once: the second finds the duty paid.
        if current.paid.is_some() && role == ClearanceActor::Declarant {
            return Ok(see_other(&format!("{here}?notice=customs_paid")));
        }
    }
    // An inspection record names only photos uploaded for this declaration.
    let kept = uploaded_photos(&state, &d.id, &form.all("photos").join(",")).await?;
    let body = action_of(&action, &form, tr).map(|body| match body {
        ActionBody::RecordInspection { compliant, findings, .. } => {
            ActionBody::RecordInspection { compliant, findings, photos: kept.clone() }
        }
        other => other,
    });
    let done = match body.and_then(|body| crate::api::customs::event_of(body, &d, &me, &role)) {
        Ok((event, who, step, details)) => {
            apply_event(&state.store, &user.actor(), &d, event, who, step, details).await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => {
            let notice = if paying { "customs_paid" } else { "customs_done" };
            Ok(see_other(&format!("{here}?notice={notice}")))
        }
        Err(ApiError::NotFound) => Err(PageError(ApiError::NotFound)),
        Err(e) => match in_words(&e) {
            Some((status, message)) => {
                let current = state.store.customs_declaration(&d.id).await?;
                let page = declaration_page(&state, &ctx, current, role, kept, Some(message)).await?;
                Ok(render(status, &page))
            }
            None => Err(PageError(e)),
        },
    }
}

/// `POST /customs/declarations/{id}/photos?photos=…` (multipart: the CSRF token, then
/// `file`): the inspection service adds a photo; the page comes back with it ticked for
/// the inspection record.
pub async fn upload_photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    // The form puts the token first; the photo is read after it.
    let mut csrf = String::new();
    if let Some(field) = multipart.next_field().await.map_err(ApiError::from)?
        && field.name() == Some(CSRF_FIELD)
    {
        csrf = field.text().await.unwrap_or_default();
    }
    let user = ctx.signed_in_with(&csrf)?;
    let tr = ctx.tr();
    let (d, _, role) = visible_declaration(&state, user, &id).await?;
    let mut uploaded = uploaded_photos(&state, &d.id, &q.photos).await?;
    let added = if role == ClearanceActor::Inspector {
        match api::read_photo(multipart).await {
            Ok((name, kind, bytes)) => state
                .store
                .add_inspection_photo(&user.actor(), &d.id, &name, kind, &bytes)
                .await
                .map_err(ApiError::from),
            Err(e) => Err(e),
        }
    } else {
        Err(ApiError::Refused(tr.t("customs.err.photos_by_inspection").to_string()))
    };
    match added {
        Ok(sha) => {
            if !uploaded.contains(&sha) {
                uploaded.push(sha);
            }
            Ok(see_other(&format!("/customs/declarations/{}?notice=customs_photo&photos={}", d.id, uploaded.join(","))))
        }
        Err(e) => match in_words(&e) {
            Some((status, message)) => {
                let page = declaration_page(&state, &ctx, d, role, uploaded, Some(message)).await?;
                Ok(render(status, &page))
            }
            None => Err(PageError(e)),
        },
    }
}

/// `GET /customs/declarations/{id}/photos/{sha256}`: one inspection photo, for anyone who
/// may see the declaration.
pub async fn photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let (d, _, _) = visible_declaration(&state, user, &id).await?;
    let (_, kind, bytes) = state.store.inspection_photo(&d.id, &sha).await?;
    Ok(([(header::CONTENT_TYPE, kind)], bytes).into_response())
}

// ---------------------------------------------------------------- landed cost

const SHIPMENT_INPUTS: [&str; 6] =
    ["importing", "date", "incoterm", "freight_amount", "freight_currency", "insurance_amount"];
const LINE_INPUTS: [&str; 7] =
    ["description", "hs_code", "origin", "value_amount", "value_currency", "quantity", "unit"];

fn line_id(row: usize, name: &str) -> String {
    format!("line{row}_{name}")
}

fn cost_ids() -> Vec<String> {
    let mut ids: Vec<String> = SHIPMENT_INPUTS.iter().map(|s| s.to_string()).collect();
    ids.push("insurance_currency".into());
    for row in 0..ITEM_ROWS {
        ids.extend(LINE_INPUTS.iter().map(|n| line_id(row, n)));
    }
    ids
}

/// A landed cost as the page shows it.
struct CostView {
    currency: String,
    customs_value: String,
    /// (HS, description, customs value, duty, excise, explanation).
    lines: Vec<(String, String, String, String, String, String)>,
    steps: Vec<(String, String, String)>,
    duty: String,
    excise: String,
    tax_name: String,
    tax: String,
    total: String,
}

impl From<LandedCost> for CostView {
    fn from(c: LandedCost) -> CostView {
        CostView {
            currency: c.currency.as_str().to_string(),
            customs_value: c.customs_value.to_string(),
            lines: c
                .lines
                .into_iter()
                .map(|l| {
                    (
                        l.hs.as_str().to_string(),
                        l.description,
                        l.customs_value.to_string(),
                        l.duty.to_string(),
                        l.excise.to_string(),
                        l.explanation,
                    )
                })
                .collect(),
            steps: c.explanation.into_iter().map(|s| (s.label, s.amount.to_string(), s.basis)).collect(),
            duty: c.duty.to_string(),
            excise: c.excise.to_string(),
            tax_name: c.tax_name.unwrap_or_default(),
            tax: c.tax.to_string(),
            total: c.total_duties_and_taxes.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "customs_landed_cost.html")]
struct CostPage {
    page: Chrome,
    summary: Vec<SummaryItem>,
    head: Vec<Field>,
    rows: Vec<ItemRow>,
    result: Option<CostView>,
}

fn cost_page(ctx: &Ctx, state: &AppState, values: &Values, problems: &Problems, result: Option<CostView>) -> CostPage {
    let tr = ctx.tr();
    let f = |id: &str, kind: &'static str| input(tr, id, id, kind, values, problems);
    let head = vec![
        select(f("importing", "select"), economy_options(state)),
        f("date", "date"),
        select(f("incoterm", "select"), incoterm_options()),
        f("freight_amount", "text"),
        f("freight_currency", "text"),
        f("insurance_amount", "text"),
        f("insurance_currency", "text"),
    ];
    let rows: Vec<ItemRow> = (0..ITEM_ROWS)
        .map(|row| ItemRow {
            n: row + 1,
            fields: LINE_INPUTS
                .iter()
                .map(|name| input(tr, &line_id(row, name), name, "text", values, problems))
                .collect(),
        })
        .collect();
    let all: Vec<&Field> = head.iter().chain(rows.iter().flat_map(|r| r.fields.iter())).collect();
    CostPage {
        page: ctx.chrome_at("title.customs_landed_cost", "customs", "/customs/landed-cost"),
        summary: problems.summary(&all),
        head,
        rows,
        result,
    }
}

/// `GET /customs/landed-cost`: the calculator.
pub async fn landed_cost_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let me = party_of(&state, user).await?;
    let mut values = Values::default();
    values.set("importing", me.country.as_str());
    values.set("date", time::OffsetDateTime::now_utc().date().to_string());
    values.set("incoterm", "FOB");
    let mut page = cost_page(&ctx, &state, &values, &Problems::default(), None);
    page.page = ctx.chrome("title.customs_landed_cost", "customs");
    Ok(render(StatusCode::OK, &page))
}

fn read_shipment(values: &Values, tr: Tr, problems: &mut Problems) -> Option<Shipment> {
    let importing = country(values, "importing", problems, tr);
    let date = time::Date::parse(values.trimmed("date"), &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| problems.add("date", tr.t("customs.err.date")))
        .ok();
    let incoterm = incoterm(values, problems, tr);
    let freight = money(values, "freight", problems, tr);
    let insurance = money(values, "insurance", problems, tr);
    let mut lines = Vec::new();
    for row in 0..ITEM_ROWS {
        let id = |n: &str| line_id(row, n);
        if ["description", "hs_code", "value_amount"].iter().all(|n| values.trimmed(&id(n)).is_empty()) {
            continue;
        }
        let hs = hs_code(values, &id("hs_code"), problems, tr);
        let origin = country(values, &id("origin"), problems, tr);
        let value = money(values, &format!("line{row}_value"), problems, tr);
        if value.is_none() && values.trimmed(&id("value_amount")).is_empty() {
            problems.add(&id("value_amount"), tr.t("err.required"));
        }
        let quantity = required_decimal(values, &id("quantity"), problems, tr);
        if let (Some(hs), Some(origin), Some(value), Some(quantity)) = (hs, origin, value, quantity) {
            lines.push(ShipmentLine {
                hs,
                description: values.trimmed(&id("description")).to_string(),
                origin,
                value,
                quantity,
                unit: values.trimmed(&id("unit")).to_ascii_uppercase(),
                preference: None,
            });
        }
    }
    if lines.is_empty() && problems.is_empty() {
        problems.add(&line_id(0, "hs_code"), tr.t("customs.err.no_items"));
    }
    match (importing, date, incoterm) {
        (Some(importing), Some(date), Some(incoterm)) if problems.is_empty() => {
            Some(Shipment { importing, date, incoterm, freight, insurance, lines })
        }
        _ => None,
    }
}

/// `POST /customs/landed-cost`: the calculator with its result, every step explained.
pub async fn landed_cost(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    ctx.signed_in_with(form.csrf_token())?;
    let tr = ctx.tr();
    let values = Values::from_form(&form, &cost_ids());
    let mut problems = Problems::default();
    let mut result = None;
    if let Some(shipment) = read_shipment(&values, tr, &mut problems) {
        // The same engine and inputs as POST /api/v1/customs/landed-cost.
        match state.customs.schedule(shipment.importing) {
            None => problems.add("importing", tr.t("customs.err.no_tariff")),
            Some(schedule) => {
                let fx = fx_rates(&state.store).await?;
                match cost_of(&schedule, &shipment, &fx) {
                    Ok(c) => result = Some(CostView::from(c)),
                    Err(e) => problems.general(e.to_string()),
                }
            }
        }
    }
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render(status, &cost_page(&ctx, &state, &values, &problems, result)))
}

// ---------------------------------------------------------------- manifests

struct ManifestView {
    conveyance: String,
    economy: String,
    arrival: String,
    entries: Vec<String>,
    matched: Vec<String>,
    declared_not_manifested: Vec<String>,
    manifested_not_declared: Vec<String>,
    discrepancies: Vec<String>,
}

fn manifest_view(item: &Value) -> Result<ManifestView, ApiError> {
    let internal = |e: serde_json::Error| ApiError::Internal(e.to_string());
    let m = &item["manifest"];
    let entries: Vec<ManifestEntry> = serde_json::from_value(m["entries"].clone()).map_err(internal)?;
    let r: Reconciliation = serde_json::from_value(item["reconciliation"].clone()).map_err(internal)?;
    let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let entry = |e: &ManifestEntry| {
        format!("{} · {} pkg · {} kg · {}", e.transport_document, e.packages, e.gross_kg, e.description)
    };
    Ok(ManifestView {
        conveyance: s("conveyance"),
        economy: s("economy"),
        arrival: minute(&s("arrival_at")),
        entries: entries.iter().map(entry).collect(),
        matched: r
            .matched
            .iter()
            .map(|c| format!("{} ↔ {}", c.transport_document, c.declarations.join(", ")))
            .collect(),
        declared_not_manifested: r
            .declared_not_manifested
            .iter()
            .map(|c| format!("{} ({})", c.transport_document, c.declaration_number))
            .collect(),
        manifested_not_declared: r.manifested_not_declared.iter().map(entry).collect(),
        discrepancies: r
            .discrepancies
            .iter()
            .map(|x| {
                let field = serde_json::to_value(x.field).ok().and_then(|v| v.as_str().map(str::to_string));
                format!(
                    "{}: {} {} ≠ {}",
                    x.transport_document,
                    field.unwrap_or_default().replace('_', " "),
                    x.manifest,
                    x.declared
                )
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "customs_manifests.html")]
struct ManifestsPage {
    page: Chrome,
    is_officer: bool,
    is_carrier: bool,
    manifests: Vec<ManifestView>,
    summary: Vec<SummaryItem>,
    head: Vec<Field>,
    rows: Vec<ItemRow>,
}

const MANIFEST_ENTRY_INPUTS: [&str; 4] = ["transport_document", "packages", "gross_kg", "description"];

fn entry_id(row: usize, name: &str) -> String {
    format!("entry{row}_{name}")
}

async fn manifests_page(
    state: &AppState,
    ctx: &Ctx,
    user: &CurrentUser,
    values: &Values,
    problems: &Problems,
) -> Result<ManifestsPage, PageError> {
    let tr = ctx.tr();
    let me = party_of(state, user).await?;
    let problem::Json(listed) = api::manifests(State(state.clone()), user.clone()).await?;
    let manifests = listed["items"]
        .as_array()
        .map(|a| a.iter().map(manifest_view).collect::<Result<Vec<_>, _>>())
        .transpose()?
        .unwrap_or_default();
    let f = |id: &str, kind: &'static str| input(tr, id, id, kind, values, problems);
    let head = vec![
        select(f("economy", "select"), economy_options(state)),
        f("conveyance", "text"),
        f("arrival_at", "datetime-local"),
    ];
    let rows: Vec<ItemRow> = (0..ITEM_ROWS)
        .map(|row| ItemRow {
            n: row + 1,
            fields: MANIFEST_ENTRY_INPUTS
                .iter()
                .map(|name| input(tr, &entry_id(row, name), name, "text", values, problems))
                .collect(),
        })
        .collect();
    let all: Vec<&Field> = head.iter().chain(rows.iter().flat_map(|r| r.fields.iter())).collect();
    Ok(ManifestsPage {
        page: ctx.chrome_at("title.customs_manifests", "customs", "/customs/manifests"),
        is_officer: me.is_officer_of(me.country.as_str()),
        is_carrier: me.roles.contains(&TradeRole::CarrierOrForwarder),
        manifests,
        summary: problems.summary(&all),
        head,
        rows,
    })
}

/// `GET /customs/manifests`: an officer's economy's manifests reconciled with the
/// declarations; a carrier's own, and the form to submit one.
pub async fn manifests(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let mut values = Values::default();
    values.set("economy", party_of(&state, user).await?.country.as_str());
    let mut page = manifests_page(&state, &ctx, user, &values, &Problems::default()).await?;
    page.page = ctx.chrome("title.customs_manifests", "customs");
    Ok(render(StatusCode::OK, &page))
}

/// `POST /customs/manifests`: a carrier submits a cargo manifest.
pub async fn submit_manifest(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let tr = ctx.tr();
    let mut ids: Vec<String> = ["economy", "conveyance", "arrival_at"].iter().map(|s| s.to_string()).collect();
    for row in 0..ITEM_ROWS {
        ids.extend(MANIFEST_ENTRY_INPUTS.iter().map(|n| entry_id(row, n)));
    }
    let values = Values::from_form(&form, &ids);
    let mut problems = Problems::default();
    let arrival_at = slot_of(values.get("arrival_at"));
    if arrival_at.is_none() {
        problems.add("arrival_at", tr.t("customs.err.slot"));
    }
    let mut entries = Vec::new();
    for row in 0..ITEM_ROWS {
        let id = |n: &str| entry_id(row, n);
        if values.trimmed(&id("transport_document")).is_empty() {
            continue;
        }
        let packages = values.trimmed(&id("packages")).parse::<u32>();
        if packages.is_err() {
            problems.add(&id("packages"), tr.t("customs.err.count"));
        }
        let gross_kg = required_decimal(&values, &id("gross_kg"), &mut problems, tr);
        if let (Ok(packages), Some(gross_kg)) = (packages, gross_kg) {
            entries.push(ManifestEntry {
                transport_document: values.trimmed(&id("transport_document")).to_string(),
                packages,
                gross_kg,
                description: values.trimmed(&id("description")).to_string(),
            });
        }
    }
    if problems.is_empty() {
        let body = ManifestBody {
            economy: values.trimmed("economy").to_string(),
            conveyance: values.trimmed("conveyance").to_string(),
            arrival_at: arrival_at.unwrap_or_default(),
            entries,
        };
        match api::submit_manifest(State(state.clone()), user.clone(), problem::Json(body)).await {
            Ok(_) => return Ok(see_other("/customs/manifests?notice=customs_manifest")),
            Err(ApiError::Invalid(errors)) => {
                for fe in &errors.0 {
                    let message = tr.error(&fe.field, fe.code, &fe.message);
                    match fe.field.as_str() {
                        "entries" => problems.add(&entry_id(0, "transport_document"), message),
                        f @ ("economy" | "conveyance" | "arrival_at") => problems.add(f, message),
                        _ => problems.general(message),
                    }
                }
            }
            Err(e) => match in_words(&e) {
                Some((_, message)) => problems.general(message),
                None => return Err(PageError(e)),
            },
        }
    }
    let page = manifests_page(&state, &ctx, user, &values, &problems).await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

// ---------------------------------------------------------------- time release

#[derive(Template)]
#[template(path = "customs_time_release.html")]
struct TimeReleasePage {
    page: Chrome,
    economy: String,
    /// (caption key, rows): per lane, per agency, per step.
    tables: Vec<(&'static str, Vec<Figures>)>,
    overall: Option<Figures>,
}

/// `GET /customs/time-release`: lodgement to release per lane, agency and step (officer).
pub async fn time_release(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let me = party_of(&state, user).await?;
    let economy = me.country.as_str().to_string();
    if !me.is_officer_of(&economy) {
        return Err(PageError(ApiError::NotFound));
    }
    let report: TimeReleaseReport = serde_json::from_value(api::time_release_of(&state, &economy).await?)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let page = TimeReleasePage {
        page: ctx.chrome("title.customs_time_release", "customs"),
        economy,
        tables: vec![
            ("customs.per_lane", report.per_lane),
            ("customs.per_agency", report.per_agency),
            ("customs.per_step", report.per_step),
        ],
        overall: report.overall,
    };
    Ok(render(StatusCode::OK, &page))
}

/// An event's details as a person reads them, e.g. `lane: yellow; fired: Apparel: valuation
/// check` or `duty: EUR 450.00; reason: Freight not added to value`: money as currency and
/// amount, a rule or item by its description, empty values left out.
fn details_text(details: &Value) -> String {
    fn one(v: &Value) -> Option<String> {
        match v {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(if *b { "yes" } else { "no" }.to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Array(items) => {
                let parts: Vec<String> = items.iter().filter_map(one).collect();
                (!parts.is_empty()).then(|| parts.join(", "))
            }
            Value::Object(m) => {
                if let (Some(Value::String(a)), Some(Value::String(c))) = (m.get("amount"), m.get("currency")) {
                    return Some(format!("{c} {a}"));
                }
                if let Some(Value::String(d)) = m.get("description") {
                    return Some(d.clone());
                }
                let parts: Vec<String> =
                    m.iter().filter_map(|(k, v)| one(v).map(|t| format!("{}: {t}", k.replace('_', " ")))).collect();
                (!parts.is_empty()).then(|| parts.join("; "))
            }
        }
    }
    one(details).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn event_details_read_as_words() {
        let v = serde_json::json!({"duty": {"amount": "450.00", "currency": "EUR"}, "reason": "Freight not added",
            "fired": [{"id": "apparel", "description": "Apparel: valuation check", "lane": "yellow"}],
            "broker": null, "photos": []});
        assert_eq!(
            super::details_text(&v),
            "duty: EUR 450.00; fired: Apparel: valuation check; reason: Freight not added"
        );
        assert_eq!(super::details_text(&serde_json::json!({})), "");
        assert_eq!(super::details_text(&serde_json::json!({"compliant": true})), "compliant: yes");
    }

    use super::*;

    #[test]
    fn error_paths_point_at_the_row_the_item_came_from() {
        // Rows 0 and 2 were filled in; the second item is row 2.
        let rows = [0, 2];
        assert_eq!(input_of("items[1].hs_code", &rows).as_deref(), Some("item2_hs_code"));
        assert_eq!(input_of("items[0].value", &rows).as_deref(), Some("item0_value_amount"));
        assert_eq!(input_of("items[1].preference", &rows).as_deref(), Some("item2_agreement"));
        assert_eq!(input_of("items[1]", &rows).as_deref(), Some("item2_description"));
        assert_eq!(input_of("freight", &rows).as_deref(), Some("freight_amount"));
        assert_eq!(input_of("economy", &rows).as_deref(), Some("economy"));
        assert_eq!(input_of("items[5].hs_code", &rows), None);
        assert_eq!(input_of("items", &rows), None);
    }

    #[test]
    fn a_local_slot_is_read_as_utc() {
        assert_eq!(slot_of("2026-11-27T09:00").as_deref(), Some("2026-11-27T09:00:00Z"));
        assert_eq!(slot_of("2026-11-27T09:00:30").as_deref(), Some("2026-11-27T09:00:30Z"));
        assert_eq!(slot_of("2026-11-27T09:00:00+01:00").as_deref(), Some("2026-11-27T09:00:00+01:00"));
        assert_eq!(slot_of("tomorrow"), None);
    }

    #[test]
    fn empty_rows_are_skipped_and_filled_rows_are_read() {
        let tr = Tr::new(super::super::i18n::Lang::En);
        let mut v = Values::default();
        for (k, val) in [
            ("direction", "import"),
            ("economy", "de"),
            ("number", "IMP-1"),
            ("incoterm", "FOB"),
            ("freight_amount", "120.00"),
            ("freight_currency", "usd"),
            ("item1_description", "Wooden chairs"),
            ("item1_hs_code", "940360"),
            ("item1_origin", "VN"),
            ("item1_value_amount", "5000.00"),
            ("item1_value_currency", "USD"),
            ("item1_quantity", "50"),
            ("item1_unit", "h87"),
            ("item1_gross_kg", "800"),
            ("item1_packages", "10"),
        ] {
            v.set(k, val);
        }
        let mut problems = Problems::default();
        let (input, rows) = read_declaration(&v, tr, &mut problems).expect("a complete form");
        assert!(problems.is_empty());
        assert_eq!(rows, vec![1]);
        assert_eq!(input.items.len(), 1);
        assert_eq!(input.items[0].unit, "H87");
        assert_eq!(input.items[0].packages, Some(10));
        assert_eq!(input.freight.map(|m| m.currency().as_str()), Some("USD"));
        assert_eq!(values_of(&input).get("item0_hs_code"), "940360");
    }

    #[test]
    fn every_bad_input_is_named() {
        let tr = Tr::new(super::super::i18n::Lang::En);
        let mut v = Values::default();
        for (k, val) in [
            ("direction", "sideways"),
            ("economy", "XX1"),
            ("incoterm", "FOO"),
            ("freight_amount", "12,0.0"),
            ("item0_description", "Chairs"),
            ("item0_hs_code", "94AB"),
            ("item0_value_amount", "100"),
            ("item0_value_currency", "ZZZ"),
            ("item0_packages", "-1"),
            ("item0_agreement", "EVFTA"),
        ] {
            v.set(k, val);
        }
        let mut problems = Problems::default();
        assert!(read_declaration(&v, tr, &mut problems).is_none());
        for id in [
            "direction",
            "economy",
            "number",
            "incoterm",
            "freight_amount",
            "item0_hs_code",
            "item0_origin",
            "item0_value_currency",
            "item0_quantity",
            "item0_gross_kg",
            "item0_packages",
            "item0_certificate_number",
        ] {
            assert!(problems.of(id).is_some(), "no problem reported for {id}: {problems:?}");
        }
    }

    #[test]
    fn a_form_without_goods_says_so() {
        let tr = Tr::new(super::super::i18n::Lang::En);
        let mut v = Values::default();
        for (k, val) in [("direction", "import"), ("economy", "DE"), ("number", "N"), ("incoterm", "FOB")] {
            v.set(k, val);
        }
        let mut problems = Problems::default();
        assert!(read_declaration(&v, tr, &mut problems).is_none());
        assert_eq!(problems.of("item0_description").as_deref(), Some(tr.t("customs.err.no_items")));
    }
}
