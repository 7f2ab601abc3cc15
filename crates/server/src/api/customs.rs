//! The customs single window's API: tariff schedules and landed cost, rules of origin and
//! certificates of origin, declarations from lodgement through risk lanes, inspection,
//! assessment, duty payment, agencies' approvals and release; cargo manifests reconciled
//! with declarations; duty drawback; time-release figures; risk profiles.
//!
//! Who sees a declaration: its declarant and the broker that lodged it, the customs
//! authority of its economy, the inspection service of that economy (red lane) and each
//! agency whose approval it needs. Anyone else gets 404. Lodging a declaration, paying
//! duty and claiming drawback need an `Idempotency-Key`.

use crate::AppState;
use crate::api::orders::{IDEMPOTENCY_HEADER, idempotency_key};
use crate::api::{PageBody, PageParams};
use crate::auth::CurrentUser;
use crate::customs::{CustomsParty, apply_event, fx_rates, new_declaration, prepare_declaration};
use crate::problem::{ApiError, Json, Path, Query};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tradewind_domain::customs::clearance::{Actor as ClearanceActor, ClearanceEvent, ClearanceState};
use tradewind_domain::customs::drawback::{DrawbackLine, DrawbackRequest, ImportBalance, assess_drawback};
use tradewind_domain::customs::landed_cost::{Shipment, landed_cost};
use tradewind_domain::customs::origin::{BillOfMaterials, decide};
use tradewind_domain::customs::reconciliation::{DeclaredConsignment, ManifestEntry, reconcile};
use tradewind_domain::customs::risk::RiskProfile;
use tradewind_domain::customs::submission::DeclarationInput;
use tradewind_domain::customs::time_release::{Milestone, Step, time_release};
use tradewind_domain::deal::ledger::refund_drawback;
use tradewind_domain::organization::TradeRole;
use tradewind_domain::{CountryCode, HsCode, Money, ValidationErrors};
use tradewind_store::{DeclarationFilter, DeclarationRecord, DrawbackUsage, StoreError};

fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid(ValidationErrors::single(field, code, message))
}

fn replayable(status: StatusCode, replayed: bool, body: impl Serialize) -> Response {
    let mut res = (if replayed { StatusCode::OK } else { status }, Json(body)).into_response();
    if replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

fn required_key(headers: &HeaderMap, what: &str) -> Result<String, ApiError> {
    if !headers.contains_key(IDEMPOTENCY_HEADER) {
        return Err(ApiError::field(
            IDEMPOTENCY_HEADER,
            "required",
            format!("send an Idempotency-Key header (for example a UUID) so that a retried {what} happens once"),
        ));
    }
    idempotency_key(headers)
}

async fn party(state: &AppState, user: &CurrentUser) -> Result<CustomsParty, ApiError> {
    CustomsParty::of(&state.store, user.organization_id()?).await
}

fn economy_param(raw: &str) -> Result<CountryCode, ApiError> {
    raw.trim().to_ascii_uppercase().parse().map_err(|_| {
        invalid(
            "economy",
            "unknown",
            format!("{raw} is not an ISO 3166-1 alpha-2 country code (for example AU, DE, SG)"),
        )
    })
}

// ---------------------------------------------------------------- tariffs and landed cost

/// One economy's schedule, summarised.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScheduleSummary {
    pub economy: String,
    pub name: String,
    pub currency: String,
    pub valuation: String,
    pub edition: String,
    pub source: String,
    pub lines: usize,
    pub agreements: Vec<String>,
}

/// The tariff schedules this node applies.
#[utoipa::path(get, path = "/api/v1/customs/tariffs", tag = "customs", responses((status = 200, body = Object)))]
pub async fn tariffs(State(state): State<AppState>, _user: CurrentUser) -> Json<Vec<ScheduleSummary>> {
    Json(
        state
            .customs
            .schedules()
            .iter()
            .map(|s| ScheduleSummary {
                economy: s.economy().as_str().into(),
                name: s.name().into(),
                currency: s.currency().as_str().into(),
                valuation: format!("{:?}", s.valuation()).to_ascii_uppercase(),
                edition: s.edition().into(),
                source: s.source().into(),
                lines: s.lines().len(),
                agreements: s.agreements().iter().map(|a| a.code.clone()).collect(),
            })
            .collect(),
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TariffQuery {
    /// A subheading to look up (returns that line only).
    pub hs: Option<String>,
    /// The date the line must be valid on (today when absent).
    pub date: Option<String>,
}

fn date_param(raw: Option<&str>) -> Result<time::Date, ApiError> {
    match raw {
        None => Ok(time::OffsetDateTime::now_utc().date()),
        Some(d) => time::Date::parse(d, &time::format_description::well_known::Iso8601::DATE)
            .map_err(|_| invalid("date", "invalid", "give the date as YYYY-MM-DD")),
    }
}

/// One economy's full schedule, or one line of it (`?hs=610910&date=2026-11-26`).
#[utoipa::path(get, path = "/api/v1/customs/tariffs/{economy}", tag = "customs", params(TariffQuery),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn tariff(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(economy): Path<String>,
    Query(q): Query<TariffQuery>,
) -> Result<Json<Value>, ApiError> {
    let economy = economy_param(&economy)?;
    let schedule = state.customs.schedule(economy).ok_or(ApiError::NotFound)?;
    let internal = |e: serde_json::Error| ApiError::Internal(e.to_string());
    match q.hs {
        None => Ok(Json(serde_json::to_value(&*schedule).map_err(internal)?)),
        Some(hs) => {
            let hs: HsCode =
                hs.parse().map_err(|e| invalid("hs", "invalid", format!("{hs} is not an HS code: {e}")))?;
            let line = schedule
                .line(&hs, date_param(q.date.as_deref())?)
                .map_err(|e| invalid("hs", "tariff", e.to_string()))?;
            Ok(Json(serde_json::to_value(line).map_err(internal)?))
        }
    }
}

/// Imports a tariff schedule file (operator), replacing the economy's schedule.
#[utoipa::path(post, path = "/api/v1/customs/tariffs", tag = "customs", request_body(content = String, content_type = "text/plain"),
    responses((status = 201, body = ScheduleSummary), (status = 422, body = crate::problem::Problem)))]
pub async fn import_tariff(
    State(state): State<AppState>,
    user: CurrentUser,
    body: String,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require_operator()?;
    let s = state.customs.import_schedule(&state.store, &user.actor(), &body).await?;
    Ok((StatusCode::CREATED, Json(json!({"economy": s.economy(), "edition": s.edition(), "lines": s.lines().len()}))))
}

/// Duty, excise, taxes and fees on a shipment into an economy, every step explained.
#[utoipa::path(post, path = "/api/v1/customs/landed-cost", tag = "customs", request_body = Object,
    responses((status = 200, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn landed_cost_of(
    State(state): State<AppState>,
    _user: CurrentUser,
    Json(shipment): Json<Shipment>,
) -> Result<Json<Value>, ApiError> {
    let schedule = state.customs.schedule(shipment.importing).ok_or_else(|| {
        invalid("importing", "no_tariff", format!("this node holds no tariff schedule for {}", shipment.importing))
    })?;
    let fx = fx_rates(&state.store).await?;
    let cost = landed_cost(&schedule, &shipment, &fx).map_err(|e| invalid("lines", "landed_cost", e.to_string()))?;
    Ok(Json(serde_json::to_value(cost).map_err(|e| ApiError::Internal(e.to_string()))?))
}

// ---------------------------------------------------------------- origin

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OriginBody {
    /// Agreement codes to decide under (all the node knows when empty).
    #[serde(default)]
    pub agreements: Vec<String>,
    #[schema(value_type = Object)]
    pub bill_of_materials: BillOfMaterials,
}

fn decisions(state: &AppState, body: &OriginBody) -> Result<Vec<Value>, ApiError> {
    body.bill_of_materials.validate().map_err(|e| invalid("bill_of_materials", "invalid", e.to_string()))?;
    let codes: Vec<String> = if body.agreements.is_empty() {
        state.customs.origin.agreements().iter().map(|a| a.code.clone()).collect()
    } else {
        body.agreements.clone()
    };
    let mut out = Vec::new();
    for code in &codes {
        let rules = state.customs.origin.agreement(code).ok_or_else(|| {
            invalid("agreements", "unknown", format!("{code} is not an agreement this node has rules of origin for"))
        })?;
        let d = decide(rules, &body.bill_of_materials)
            .map_err(|e| invalid("bill_of_materials", "invalid", e.to_string()))?;
        out.push(serde_json::to_value(d).map_err(|e| ApiError::Internal(e.to_string()))?);
    }
    Ok(out)
}

/// Decides preferential origin for a product's bill of materials under each agreement.
#[utoipa::path(post, path = "/api/v1/customs/origin/determinations", tag = "customs", request_body = OriginBody,
    responses((status = 200, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn determine_origin(
    State(state): State<AppState>,
    _user: CurrentUser,
    Json(body): Json<OriginBody>,
) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(decisions(&state, &body)?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateRequestBody {
    /// The issuing authority (a verified customs authority or chamber on the platform).
    pub authority: String,
    pub agreement: String,
    #[schema(value_type = Object)]
    pub bill_of_materials: BillOfMaterials,
}

/// Applies for an electronic certificate of origin: refused unless the bill of materials
/// meets the agreement's rule; the authority then approves or rejects.
#[utoipa::path(post, path = "/api/v1/customs/origin/certificates", tag = "customs", request_body = CertificateRequestBody,
    responses((status = 201, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn request_certificate(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<CertificateRequestBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let org = user.organization_id()?.to_string();
    let decided = decisions(
        &state,
        &OriginBody { agreements: vec![body.agreement.clone()], bill_of_materials: body.bill_of_materials.clone() },
    )?;
    let decision = decided.into_iter().next().ok_or_else(|| ApiError::Internal("no decision".into()))?;
    if decision.get("eligible").and_then(Value::as_bool) != Some(true) {
        return Err(ApiError::Invalid(ValidationErrors::single(
            "bill_of_materials",
            "not_originating",
            format!(
                "the goods do not qualify under {}: {}",
                body.agreement,
                decision
                    .get("reasoning")
                    .and_then(Value::as_array)
                    .and_then(|r| r.last())
                    .and_then(Value::as_str)
                    .unwrap_or("")
            ),
        )));
    }
    let authority = match CustomsParty::of(&state.store, body.authority.trim()).await {
        Ok(a) => a,
        Err(ApiError::NotFound) => return Err(invalid("authority", "unknown", "no organisation with this id")),
        Err(e) => return Err(e),
    };
    if !authority.verified || !authority.roles.contains(&TradeRole::CustomsAuthority) {
        return Err(invalid(
            "authority",
            "not_an_authority",
            "certificates of origin are issued by a verified customs authority; name one",
        ));
    }
    let bom = &body.bill_of_materials;
    let record = state
        .store
        .request_origin_certificate(
            &user.actor(),
            &org,
            &authority.org,
            &body.agreement,
            &bom.product,
            bom.product_hs.as_str(),
            bom.produced_in.as_str(),
            &decision,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(serde_json::to_value(record).map_err(|e| ApiError::Internal(e.to_string()))?)))
}

/// Certificates the caller asked for, or decides as an authority.
#[utoipa::path(get, path = "/api/v1/customs/origin/certificates", tag = "customs", responses((status = 200, body = Object)))]
pub async fn certificates(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Value>, ApiError> {
    let org = user.organization_id()?;
    let list = state.store.origin_certificates(org).await?;
    Ok(Json(json!({"items": list})))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateDecisionBody {
    /// `approve` or `reject`.
    pub decision: String,
    /// Days the certificate is valid from today (approval; default 365).
    #[serde(default)]
    pub valid_days: Option<u32>,
    #[serde(default)]
    pub reason: String,
}

/// The issuing authority approves or rejects a certificate of origin.
#[utoipa::path(post, path = "/api/v1/customs/origin/certificates/{id}/decision", tag = "customs",
    request_body = CertificateDecisionBody, responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn decide_certificate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<CertificateDecisionBody>,
) -> Result<Json<Value>, ApiError> {
    let me = party(&state, &user).await?;
    if !me.verified || !me.roles.contains(&TradeRole::CustomsAuthority) {
        return Err(ApiError::NotFound);
    }
    let today = time::OffsetDateTime::now_utc().date();
    let iso = |d: time::Date| d.to_string();
    let record = match body.decision.as_str() {
        "approve" => {
            let days = i64::from(body.valid_days.unwrap_or(365).clamp(1, 730));
            let until = today + time::Duration::days(days);
            state
                .store
                .decide_origin_certificate(
                    &user.actor(),
                    &me.org,
                    &id,
                    Some((&iso(today), &iso(until))),
                    body.reason.trim(),
                )
                .await?
        }
        "reject" => {
            if body.reason.trim().is_empty() {
                return Err(invalid("reason", "required", "say why the certificate is rejected"));
            }
            state.store.decide_origin_certificate(&user.actor(), &me.org, &id, None, body.reason.trim()).await?
        }
        _ => return Err(invalid("decision", "invalid", "the decision is approve or reject")),
    };
    Ok(Json(serde_json::to_value(record).map_err(|e| ApiError::Internal(e.to_string()))?))
}

// ---------------------------------------------------------------- declarations

fn digest(v: &impl Serialize) -> String {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_string(v).unwrap_or_default();
    hex::encode(&Sha256::digest(text.as_bytes())[..12])
}

/// Lodges an export or import declaration: validated, assessed, risk-selected into a lane,
/// with the agencies whose approval it needs. A broker names the `declarant` it acts for.
#[utoipa::path(post, path = "/api/v1/customs/declarations", tag = "customs", request_body = Object,
    params(("Idempotency-Key" = String, Header, description = "A new key per declaration; repeat it to retry")),
    responses((status = 201, body = Object), (status = 200, description = "a retry: the first answer", body = Object),
        (status = 422, body = crate::problem::Problem)))]
pub async fn lodge(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Json(input): Json<DeclarationInput>,
) -> Result<Response, ApiError> {
    let me = party(&state, &user).await?;
    let key = required_key(&headers, "declaration")?;
    let (declarant, broker) = match input.declarant.as_deref().map(str::trim) {
        None => (me.org.clone(), None),
        Some(d) if d == me.org => (me.org.clone(), None),
        Some(d) => {
            if !me.roles.contains(&TradeRole::CustomsBroker) || !state.store.has_broker_mandate(d, &me.org).await? {
                return Err(invalid(
                    "declarant",
                    "no_mandate",
                    "your company holds no mandate from this declarant: it grants one with POST /api/v1/customs/brokers",
                ));
            }
            (d.to_string(), Some(me.org.clone()))
        }
    };
    let prepared = prepare_declaration(&state.store, &state.customs, &declarant, &input).await?;
    let new = new_declaration(&input, &prepared, &declarant, broker.as_deref())?;
    let record = state
        .lodgements
        .lodge(tradewind_store::KeyedDeclaration {
            actor: user.actor(),
            submitter_org: me.org.clone(),
            idempotency_key: key,
            request_digest: digest(&input),
            declaration: new,
        })
        .await?;
    Ok(replayable(StatusCode::CREATED, record.replayed, record))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DeclarationQuery {
    pub status: Option<String>,
    pub lane: Option<String>,
    /// For a customs authority or agency: its economy is implied.
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

/// Declarations the caller works on: a trader's or broker's own; an officer's economy; an
/// agency's pending queue; the inspection service's red lane.
#[utoipa::path(get, path = "/api/v1/customs/declarations", tag = "customs", params(DeclarationQuery),
    responses((status = 200, body = Object)))]
pub async fn declarations(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<DeclarationQuery>,
) -> Result<Json<PageBody<DeclarationRecord>>, ApiError> {
    let me = party(&state, &user).await?;
    let limit = PageParams { cursor: None, limit: q.limit }.limit()?;
    let economy = me.country.as_str().to_string();
    let mut filter = DeclarationFilter { status: q.status.as_deref(), lane: q.lane.as_deref(), ..Default::default() };
    let agency = me.agency_of(&economy).map(str::to_string);
    if me.is_officer_of(&economy) {
        filter.economy = Some(&economy);
    } else if me.is_inspector_of(&economy) {
        filter.economy = Some(&economy);
        filter.lane = Some("red");
    } else if let Some(a) = agency.as_deref() {
        filter.economy = Some(&economy);
        filter.pending_agency = Some(a);
    } else {
        filter.company = Some(&me.org);
    }
    let page = state.store.customs_declarations(&filter, q.cursor.as_deref().unwrap_or(""), limit).await?;
    Ok(Json(page.into()))
}

/// A declaration the caller may see, and what it may do on it.
pub async fn visible_declaration(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<(DeclarationRecord, CustomsParty, ClearanceActor), ApiError> {
    let me = party(state, user).await?;
    let d = match state.store.customs_declaration(id).await {
        Ok(d) => d,
        Err(StoreError::NotFound) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let role = me.role_on(&d).ok_or(ApiError::NotFound)?;
    Ok((d, me, role))
}

/// One declaration with its events, the state's next steps and the caller's role on it.
#[utoipa::path(get, path = "/api/v1/customs/declarations/{id}", tag = "customs",
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn declaration(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (d, _, role) = visible_declaration(&state, &user, &id).await?;
    let events = state.store.customs_events(&d.id).await?;
    let clearance: ClearanceState =
        serde_json::from_value(d.state.clone()).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(json!({"declaration": d, "events": events, "next_steps": clearance.next_steps(), "your_role": role})))
}

/// What an actor does on a declaration.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionBody {
    /// Officer, yellow lane.
    AcceptDocuments,
    /// Inspection service, red lane: `slot` is RFC 3339.
    BookInspection { slot: String },
    /// Inspection service: the outcome, with photo blob ids from `POST /api/v1/evidence`-style uploads.
    RecordInspection {
        compliant: bool,
        findings: String,
        #[serde(default)]
        photos: Vec<String>,
    },
    /// Officer: a new duty with the reason.
    Reassess {
        #[schema(value_type = Object)]
        duty: Money,
        reason: String,
    },
    /// Officer.
    Reject { reason: String },
    /// Declarant: pays the assessed duty through the ledger (needs an Idempotency-Key).
    PayDuty,
    /// Agency: its decision.
    Decide {
        approved: bool,
        #[serde(default)]
        note: String,
    },
    /// Declarant.
    Cancel { reason: String },
}

/// The domain event an action stands for, who brings it about, the step's name in the
/// declaration's history and its details. Shared by the API and the pages.
pub fn event_of(
    body: ActionBody,
    d: &DeclarationRecord,
    me: &CustomsParty,
    role: &ClearanceActor,
) -> Result<(ClearanceEvent, ClearanceActor, &'static str, Value), ApiError> {
    let role = role.clone();
    Ok(match body {
        ActionBody::AcceptDocuments => (ClearanceEvent::DocumentsAccepted, role, "documents_accepted", json!({})),
        ActionBody::BookInspection { slot } => {
            let at =
                time::OffsetDateTime::parse(&slot, &time::format_description::well_known::Rfc3339).map_err(|_| {
                    invalid("slot", "invalid", "give the slot as an RFC 3339 time, e.g. 2026-11-27T09:00:00Z")
                })?;
            (
                ClearanceEvent::InspectionBooked { slot: at, inspector: me.legal_name.clone() },
                role,
                "inspection_booked",
                json!({"slot": slot, "inspector": me.legal_name}),
            )
        }
        ActionBody::RecordInspection { compliant, findings, photos } => (
            ClearanceEvent::InspectionRecorded { compliant, findings: findings.clone(), photos: photos.clone() },
            role,
            "inspection_recorded",
            json!({"compliant": compliant, "findings": findings, "photos": photos}),
        ),
        ActionBody::Reassess { duty, reason } => (
            ClearanceEvent::Reassessed { duty, reason: reason.clone() },
            role,
            "reassessed",
            json!({"duty": duty, "reason": reason, "was": d.duty}),
        ),
        ActionBody::Reject { reason } => {
            (ClearanceEvent::Rejected { reason: reason.clone() }, role, "rejected", json!({"reason": reason}))
        }
        ActionBody::PayDuty => {
            if role != ClearanceActor::Declarant {
                return Err(ApiError::Refused("only the declarant or its broker pays the duty".into()));
            }
            (
                ClearanceEvent::DutyPaid { ledger_entry: format!("duty:{}", d.number) },
                ClearanceActor::System,
                "duty_paid",
                json!({"amount": d.duty}),
            )
        }
        ActionBody::Decide { approved, note } => {
            let ClearanceActor::Agency(agency) = &role else {
                return Err(ApiError::Refused("only an agency whose approval is required decides here".into()));
            };
            (
                ClearanceEvent::AgencyDecision { agency: agency.clone(), approved, note: note.clone() },
                role.clone(),
                "agency_decided",
                json!({"agency": agency, "approved": approved, "note": note}),
            )
        }
        ActionBody::Cancel { reason } => {
            (ClearanceEvent::Cancelled { reason: reason.clone() }, role, "cancelled", json!({"reason": reason}))
        }
    })
}

/// Acts on a declaration: the domain's transition decides whether the caller may, and
/// the goods are released as soon as nothing is outstanding.
#[utoipa::path(post, path = "/api/v1/customs/declarations/{id}/actions", tag = "customs", request_body = ActionBody,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem)))]
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<ActionBody>,
) -> Result<Response, ApiError> {
    let (d, me, role) = visible_declaration(&state, &user, &id).await?;
    let actor = user.actor();
    if let ActionBody::PayDuty = &body {
        required_key(&headers, "payment")?;
        let current: ClearanceState =
            serde_json::from_value(d.state.clone()).map_err(|e| ApiError::Internal(e.to_string()))?;
        if role == ClearanceActor::Declarant && current.paid.is_some() {
            return Ok(replayable(StatusCode::OK, true, d));
        }
    }
    if let ActionBody::RecordInspection { photos, .. } = &body {
        for sha in photos {
            match state.store.inspection_photo(&d.id, sha).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    return Err(invalid(
                        "photos",
                        "unknown",
                        format!("no photo {sha} was uploaded for this declaration; upload it first"),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let (event, who, step, details) = event_of(body, &d, &me, &role)?;
    let done = apply_event(&state.store, &actor, &d, event, who, step, details).await?;
    Ok((StatusCode::OK, Json(done)).into_response())
}

/// Amends a declaration before assessment: the new content goes through the whole
/// pipeline again (validation, duty, risk selection, agencies).
#[utoipa::path(put, path = "/api/v1/customs/declarations/{id}", tag = "customs", request_body = Object,
    responses((status = 200, body = Object), (status = 409, body = crate::problem::Problem)))]
pub async fn amend(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(input): Json<DeclarationInput>,
) -> Result<Json<DeclarationRecord>, ApiError> {
    let (d, _, role) = visible_declaration(&state, &user, &id).await?;
    if role != ClearanceActor::Declarant {
        return Err(ApiError::Refused("only the declarant or its broker amends a declaration".into()));
    }
    if input.number.trim() != d.number || input.economy.as_str() != d.economy {
        return Err(invalid("number", "changed", "an amendment keeps the declaration's number and economy"));
    }
    let current: ClearanceState =
        serde_json::from_value(d.state.clone()).map_err(|e| ApiError::Internal(e.to_string()))?;
    current
        .apply(&ClearanceEvent::Amended { changes: "content replaced".into() }, ClearanceActor::Declarant)
        .map_err(|e| ApiError::Refused(e.to_string()))?;
    let prepared = prepare_declaration(&state.store, &state.customs, &d.declarant_org, &input).await?;
    let new = new_declaration(&input, &prepared, &d.declarant_org, d.broker_org.as_deref())?;
    let change = tradewind_store::DeclarationChange {
        expected_version: d.version,
        status: new.status.clone(),
        lane: new.lane.clone(),
        duty: new.duty,
        state: serde_json::from_str(&new.state).map_err(|e| ApiError::Internal(e.to_string()))?,
        body: Some((new.body.clone(), new.assessment.clone(), new.selection.clone())),
        step: "amended".into(),
        details: json!({"lane": new.lane, "duty": new.duty, "was": {"lane": d.lane, "duty": d.duty}}),
        agency_decision: None,
        agencies: Some(new.agencies.clone()),
        ledger: None,
    };
    Ok(Json(state.store.change_declaration(&user.actor(), &d.id, &change).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MandateBody {
    pub broker: String,
}

/// A declarant mandates a customs broker to lodge declarations in its name.
#[utoipa::path(post, path = "/api/v1/customs/brokers", tag = "customs", request_body = MandateBody,
    responses((status = 204), (status = 422, body = crate::problem::Problem)))]
pub async fn mandate_broker(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<MandateBody>,
) -> Result<StatusCode, ApiError> {
    let org = user.require_admin()?.to_string();
    let broker = match CustomsParty::of(&state.store, body.broker.trim()).await {
        Ok(b) => b,
        Err(ApiError::NotFound) => return Err(invalid("broker", "unknown", "no organisation with this id")),
        Err(e) => return Err(e),
    };
    if !broker.verified || !broker.roles.contains(&TradeRole::CustomsBroker) {
        return Err(invalid("broker", "not_a_broker", "name a verified customs broker"));
    }
    state.store.grant_broker_mandate(&user.actor(), &org, &broker.org).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- risk profile

/// The caller's economy's risk profile (customs authority).
#[utoipa::path(get, path = "/api/v1/customs/risk-profile", tag = "customs", responses((status = 200, body = Object)))]
pub async fn get_risk_profile(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Value>, ApiError> {
    let me = party(&state, &user).await?;
    let economy = me.country.as_str();
    if !me.is_officer_of(economy) {
        return Err(ApiError::NotFound);
    }
    let profile = crate::customs::risk_profile(&state.store, economy).await?;
    Ok(Json(serde_json::to_value(profile).map_err(|e| ApiError::Internal(e.to_string()))?))
}

/// Replaces the caller's economy's risk profile with a TOML file (customs authority).
#[utoipa::path(put, path = "/api/v1/customs/risk-profile", tag = "customs", request_body(content = String, content_type = "text/plain"),
    responses((status = 204), (status = 422, body = crate::problem::Problem)))]
pub async fn put_risk_profile(
    State(state): State<AppState>,
    user: CurrentUser,
    body: String,
) -> Result<StatusCode, ApiError> {
    let me = party(&state, &user).await?;
    let economy = me.country.as_str();
    if !me.is_officer_of(economy) {
        return Err(ApiError::NotFound);
    }
    RiskProfile::parse_toml(&body).map_err(|e| invalid("file", "risk_profile", e.to_string()))?;
    state.store.set_risk_profile(&user.actor(), &me.org, economy, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- manifests

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestBody {
    pub economy: String,
    /// Vessel and voyage, or flight.
    pub conveyance: String,
    /// RFC 3339 time of arrival.
    pub arrival_at: String,
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<ManifestEntry>,
}

/// A carrier submits its cargo manifest before arrival.
#[utoipa::path(post, path = "/api/v1/customs/manifests", tag = "customs", request_body = ManifestBody,
    responses((status = 201, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn submit_manifest(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ManifestBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let me = party(&state, &user).await?;
    if !me.roles.contains(&TradeRole::CarrierOrForwarder) {
        return Err(ApiError::Refused("cargo manifests are submitted by carriers".into()));
    }
    let economy = economy_param(&body.economy)?;
    time::OffsetDateTime::parse(&body.arrival_at, &time::format_description::well_known::Rfc3339)
        .map_err(|_| invalid("arrival_at", "invalid", "give the arrival as an RFC 3339 time"))?;
    if body.entries.is_empty() {
        return Err(invalid("entries", "required", "a manifest lists at least one consignment"));
    }
    if body.conveyance.trim().is_empty() {
        return Err(invalid("conveyance", "required", "name the vessel and voyage, or the flight"));
    }
    let entries = serde_json::to_value(&body.entries).map_err(|e| ApiError::Internal(e.to_string()))?;
    let m = state
        .store
        .submit_manifest(&user.actor(), &me.org, economy.as_str(), body.conveyance.trim(), &body.arrival_at, &entries)
        .await?;
    Ok((StatusCode::CREATED, Json(serde_json::to_value(m).map_err(|e| ApiError::Internal(e.to_string()))?)))
}

/// The manifests of the caller's economy (officer) or the caller's own (carrier), each
/// reconciled with the declarations lodged for its transport documents.
#[utoipa::path(get, path = "/api/v1/customs/manifests", tag = "customs", responses((status = 200, body = Object)))]
pub async fn manifests(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Value>, ApiError> {
    let me = party(&state, &user).await?;
    let economy = me.country.as_str().to_string();
    let list = if me.is_officer_of(&economy) {
        state.store.manifests(Some(&economy), None).await?
    } else {
        state.store.manifests(None, Some(&me.org)).await?
    };
    let mut out = Vec::new();
    for m in list {
        let entries: Vec<ManifestEntry> =
            serde_json::from_value(m.entries.clone()).map_err(|e| ApiError::Internal(e.to_string()))?;
        let declared = declared_consignments(&state, &m.economy).await?;
        let r = reconcile(&entries, &declared, Decimal::new(5, 0));
        out.push(json!({"manifest": m, "reconciliation": r}));
    }
    Ok(Json(json!({"items": out})))
}

async fn declared_consignments(state: &AppState, economy: &str) -> Result<Vec<DeclaredConsignment>, ApiError> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let filter = DeclarationFilter { economy: Some(economy), ..Default::default() };
        let page = state.store.customs_declarations(&filter, &cursor, 200).await?;
        for d in &page.items {
            if d.status == "cancelled" || d.direction != "import" {
                continue;
            }
            let Some(doc) = &d.transport_document else { continue };
            let input: DeclarationInput =
                serde_json::from_value(d.body.clone()).map_err(|e| ApiError::Internal(e.to_string()))?;
            let packages: Option<u32> = input.items.iter().map(|i| i.packages).sum();
            out.push(DeclaredConsignment {
                declaration_number: d.number.clone(),
                transport_document: doc.clone(),
                packages,
                gross_kg: input.items.iter().map(|i| i.gross_kg).sum(),
            });
        }
        match page.next_cursor {
            Some(c) => cursor = c,
            None => break,
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- drawback

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawbackBody {
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<DrawbackLine>,
}

/// Claims back import duty on goods re-exported: each line links an export declaration's
/// item to an import declaration's item with a quantity; nothing is claimed twice.
#[utoipa::path(post, path = "/api/v1/customs/drawback", tag = "customs", request_body = DrawbackBody,
    params(("Idempotency-Key" = String, Header, description = "A new key per claim; repeat it to retry")),
    responses((status = 201, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn claim_drawback(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Json(body): Json<DrawbackBody>,
) -> Result<Response, ApiError> {
    let me = party(&state, &user).await?;
    let key = required_key(&headers, "drawback claim")?;
    if body.lines.is_empty() {
        return Err(invalid("lines", "required", "claim at least one line"));
    }
    // Every import and export declaration named must be the claimant's own and released.
    let mut imports: Vec<DeclarationRecord> = Vec::new();
    let mut economy: Option<String> = None;
    for (i, line) in body.lines.iter().enumerate() {
        for (field, number, direction) in [
            ("import_declaration", &line.import_declaration, "import"),
            ("export_declaration", &line.export_declaration, "export"),
        ] {
            let d = match state.store.customs_declaration_by_number(number).await {
                Ok(d) if d.declarant_org == me.org => d,
                Ok(_) | Err(StoreError::NotFound) => {
                    return Err(invalid(
                        &format!("lines[{i}].{field}"),
                        "unknown",
                        format!("you lodged no declaration numbered {number}"),
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            if d.direction != direction || d.status != "released" {
                return Err(invalid(
                    &format!("lines[{i}].{field}"),
                    "not_released",
                    format!("declaration {number} must be a released {direction} declaration"),
                ));
            }
            if economy.get_or_insert_with(|| d.economy.clone()) != &d.economy {
                return Err(invalid("lines", "economies", "one claim covers declarations of one economy"));
            }
            if direction == "import" && !imports.iter().any(|x| x.id == d.id) {
                imports.push(d);
            }
        }
    }
    let economy = economy.unwrap_or_default();
    let import_ids: Vec<String> = imports.iter().map(|d| d.id.clone()).collect();
    let claimant: tradewind_domain::deal::PartyId =
        me.org.parse().map_err(|_| ApiError::Internal("company id".into()))?;
    let request = DrawbackRequest { lines: body.lines.clone() };
    let claim_ref = digest(&body.lines);
    let record = state
        .store
        .claim_drawback(&user.actor(), &me.org, &economy, &key, &claim_ref, &import_ids, |usage| {
            let balances = import_balances(&imports, usage)?;
            let assessed = assess_drawback(&balances, &request).map_err(|e| StoreError::InvalidField {
                field: "lines",
                code: "drawback",
                message: e.to_string(),
            })?;
            let entry = refund_drawback(&economy, &claimant, &claim_ref, assessed.total)
                .map_err(|e| StoreError::Refused(e.to_string()))?;
            let mut new_usage: Vec<DrawbackUsage> = Vec::new();
            for l in &assessed.lines {
                let id =
                    imports.iter().find(|d| d.number == l.import_declaration).map(|d| d.id.clone()).unwrap_or_default();
                let before = usage.iter().find(|u| u.declaration_id == id && u.item == l.import_item);
                let prior = new_usage.iter().position(|u| u.declaration_id == id && u.item == l.import_item);
                match prior {
                    Some(p) => {
                        new_usage[p].claimed_quantity += l.quantity;
                        new_usage[p].refunded += l.refund.amount();
                    }
                    None => new_usage.push(DrawbackUsage {
                        declaration_id: id,
                        item: l.import_item,
                        claimed_quantity: before.map_or(Decimal::ZERO, |b| b.claimed_quantity) + l.quantity,
                        refunded: before.map_or(Decimal::ZERO, |b| b.refunded) + l.refund.amount(),
                    }),
                }
            }
            let lines = serde_json::to_value(&assessed).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok((lines, new_usage, assessed.total, entry))
        })
        .await?;
    Ok(replayable(StatusCode::CREATED, record.replayed, record))
}

/// The balances of the import lines: quantities and duty paid per goods item, less what
/// earlier claims took.
fn import_balances(imports: &[DeclarationRecord], usage: &[DrawbackUsage]) -> Result<Vec<ImportBalance>, StoreError> {
    let mut out = Vec::new();
    for d in imports {
        let input: DeclarationInput =
            serde_json::from_value(d.body.clone()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let lines = d.assessment.get("lines").and_then(Value::as_array).cloned().unwrap_or_default();
        for (i, item) in input.items.iter().enumerate() {
            let seq = i as u32 + 1;
            let duty: Money = lines
                .get(i)
                .and_then(|l| l.get("duty"))
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or(Money::from_minor_units(0, d.duty.currency()));
            let used = usage.iter().find(|u| u.declaration_id == d.id && u.item == seq);
            out.push(ImportBalance {
                import_declaration: d.number.clone(),
                item: seq,
                hs: item.hs_code.clone(),
                unit: item.unit.clone(),
                imported_quantity: item.quantity,
                already_claimed: used.map_or(Decimal::ZERO, |u| u.claimed_quantity),
                duty_paid: duty,
            });
        }
    }
    Ok(out)
}

/// The caller's drawback claims.
#[utoipa::path(get, path = "/api/v1/customs/drawback", tag = "customs", responses((status = 200, body = Object)))]
pub async fn drawback_claims(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Value>, ApiError> {
    let org = user.organization_id()?;
    Ok(Json(json!({"items": state.store.drawback_claims(org).await?})))
}

// ---------------------------------------------------------------- time release

/// Maps a stored event step to the time-release study's milestone.
fn milestone_step(step: &str, details: &Value) -> Option<Step> {
    Some(match step {
        "lodged" => Step::Lodged,
        "selected" => Step::Selected,
        "documents_accepted" => Step::DocumentsChecked,
        "inspection_booked" => Step::InspectionBooked,
        "inspection_recorded" => Step::InspectionDone,
        "agency_decided" => Step::AgencyApproved(details.get("agency").and_then(Value::as_str)?.to_string()),
        "assessed" | "reassessed" => Step::Assessed,
        "duty_paid" => Step::DutyPaid,
        "released" => Step::Released,
        _ => return None,
    })
}

/// Time from lodgement to release per lane, per agency and per step (WCO Time Release
/// Study), for the caller's economy (customs authority).
#[utoipa::path(get, path = "/api/v1/customs/time-release", tag = "customs", responses((status = 200, body = Object)))]
pub async fn time_release_report(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Value>, ApiError> {
    let me = party(&state, &user).await?;
    let economy = me.country.as_str();
    if !me.is_officer_of(economy) {
        return Err(ApiError::NotFound);
    }
    Ok(Json(time_release_of(&state, economy).await?))
}

pub async fn time_release_of(state: &AppState, economy: &str) -> Result<Value, ApiError> {
    let mut milestones = Vec::new();
    for (declaration, lane, e) in state.store.customs_milestones(economy).await? {
        let Some(step) = milestone_step(&e.step, &e.details) else { continue };
        let Ok(lane) = lane.parse() else { continue };
        let Ok(at) = time::OffsetDateTime::parse(&e.at, &time::format_description::well_known::Rfc3339) else {
            continue;
        };
        milestones.push(Milestone { declaration, lane, step, at });
    }
    serde_json::to_value(time_release(&milestones)).map_err(|e| ApiError::Internal(e.to_string()))
}

// ---------------------------------------------------------------- agencies (operator)

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencyBody {
    /// The agency code: quarantine, health, standards, inspection, …
    pub agency: String,
}

/// Registers a verified government agency's code (operator).
#[utoipa::path(put, path = "/api/v1/operator/customs-agencies/{org}", tag = "customs", request_body = AgencyBody,
    responses((status = 204), (status = 422, body = crate::problem::Problem)))]
pub async fn register_agency(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org): Path<String>,
    Json(body): Json<AgencyBody>,
) -> Result<StatusCode, ApiError> {
    user.require_operator()?;
    let code = body.agency.trim().to_ascii_lowercase();
    if code.is_empty() || code.len() > 40 || !code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return Err(invalid("agency", "invalid", "an agency code is lower-case letters, e.g. quarantine"));
    }
    let o = state.store.get_organization(&org).await?;
    if !o.roles.contains(&TradeRole::OtherGovernmentAgency) {
        return Err(invalid("org", "not_an_agency", "the organisation must have the other-government-agency role"));
    }
    state.store.set_customs_agency(&user.actor(), &org, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- inspection photos

/// Largest inspection photo accepted.
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;

/// Reads one photo from a multipart body (field `file`): JPEG, PNG or WebP, checked by its
/// first bytes rather than the declared type.
pub async fn read_photo(mut multipart: axum::extract::Multipart) -> Result<(String, &'static str, Vec<u8>), ApiError> {
    while let Some(field) = multipart.next_field().await? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("photo").chars().take(200).collect::<String>();
        let bytes = field.bytes().await?.to_vec();
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err(ApiError::PayloadTooLarge(format!("a photo is at most {} MB", MAX_PHOTO_BYTES / 1024 / 1024)));
        }
        let kind = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            "image/jpeg"
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            "image/webp"
        } else {
            return Err(invalid("file", "not_a_photo", "attach a JPEG, PNG or WebP photo"));
        };
        return Ok((name, kind, bytes));
    }
    Err(invalid("file", "required", "attach the photo in a multipart field named 'file'"))
}

/// The inspection service adds a photo of the goods (multipart field `file`); the answer
/// names it by SHA-256 for the inspection record's `photos`.
#[utoipa::path(post, path = "/api/v1/customs/declarations/{id}/photos", tag = "customs",
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn add_photo(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    multipart: axum::extract::Multipart,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (d, _, role) = visible_declaration(&state, &user, &id).await?;
    if role != ClearanceActor::Inspector {
        return Err(ApiError::Refused("photos of the goods are added by the inspection service".into()));
    }
    let (name, kind, bytes) = read_photo(multipart).await?;
    let sha = state.store.add_inspection_photo(&user.actor(), &d.id, &name, kind, &bytes).await?;
    Ok((StatusCode::CREATED, Json(json!({"sha256": sha, "file_name": name, "content_type": kind}))))
}

/// One inspection photo, for anyone who may see the declaration.
#[utoipa::path(get, path = "/api/v1/customs/declarations/{id}/photos/{sha256}", tag = "customs",
    responses((status = 200, description = "the photo"), (status = 404, body = crate::problem::Problem)))]
pub async fn photo(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (d, _, _) = visible_declaration(&state, &user, &id).await?;
    let (_, kind, bytes) = state.store.inspection_photo(&d.id, &sha).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, kind)], bytes).into_response())
}

// ---------------------------------------------------------------- from an order's documents

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DraftQuery {
    /// `import` (the buyer declares into its economy) or `export` (the seller declares out of its own).
    pub direction: String,
}

/// A declaration drafted from an order's documents (the same facts as its commercial
/// invoice, packing list and transport document), ready for the declarant to complete
/// (freight and insurance, preferences) and lodge. 422 names every missing fact.
#[utoipa::path(get, path = "/api/v1/orders/{id}/customs-declaration", tag = "customs", params(DraftQuery),
    responses((status = 200, body = Object), (status = 422, body = crate::problem::Problem),
        (status = 404, body = crate::problem::Problem)))]
pub async fn draft_from_order(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<DraftQuery>,
) -> Result<Json<Value>, ApiError> {
    use tradewind_domain::documents::declaration::{CustomsDeclaration, Direction};
    let direction = match q.direction.as_str() {
        "import" => Direction::Import,
        "export" => Direction::Export,
        _ => return Err(invalid("direction", "invalid", "the direction is import or export")),
    };
    let org = user.organization_id()?.to_string();
    let (role, sources) = state.store.document_sources(&org, &id).await?;
    let facts = crate::api::document_set::trade_facts(&state, &org, direction.kind(), &role, &sources).await?;
    let declarant = match direction {
        Direction::Import => facts.buyer.clone(),
        Direction::Export => facts.seller.clone(),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let built = CustomsDeclaration::build_as(direction, &facts, 1, today).map_err(ApiError::Invalid)?;
    let draft = DeclarationInput {
        direction,
        economy: declarant.country,
        number: built.number.clone(),
        declarant: None,
        incoterm: built.incoterm,
        freight: None,
        insurance: None,
        transport_document: Some(built.transport.transport_document.clone()),
        order_id: Some(facts.order_id.clone()),
        date: None,
        items: built
            .goods
            .iter()
            .map(|g| tradewind_domain::customs::submission::DeclaredItem {
                description: g.description.clone(),
                hs_code: g.hs_code.clone(),
                origin: g.origin,
                value: g.statistical_value,
                quantity: g.quantity,
                unit: g.unit.clone(),
                gross_kg: g.gross_kg,
                packages: g.packages,
                preference: None,
            })
            .collect(),
    };
    let mut to_complete =
        vec!["freight and insurance, when the economy values goods CIF and the Incoterm excludes them"];
    if direction == Direction::Import {
        to_complete.push("a preference and its certificate of origin's number, to claim a preferential rate");
    }
    Ok(Json(json!({"declaration": draft, "to_complete": to_complete})))
}
