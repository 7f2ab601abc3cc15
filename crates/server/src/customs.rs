//! The customs single window's rules as the server holds them: the tariff schedule of each
//! economy (built in, replaced by an imported file), the rules of origin, the agencies'
//! requirements, and each economy's risk profile (stored by its customs, built-in until
//! then). The clearance pipeline (`prepare`) and the transitions are the domain's; this
//! module gathers what they need from the store and turns a transition into a store change.

use crate::problem::ApiError;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tradewind_domain::customs::agencies::AgencyRules;
use tradewind_domain::customs::clearance::{Actor as ClearanceActor, ClearanceEvent, ClearanceState, ClearanceStatus};
use tradewind_domain::customs::origin::OriginRulebook;
use tradewind_domain::customs::risk::RiskProfile;
use tradewind_domain::customs::submission::{
    CertificateOnFile, CustomsRules, DeclarationInput, PreparedDeclaration, TraderStanding, prepare,
};
use tradewind_domain::customs::tariff::{ProofOfOrigin, TariffSchedule, builtin_schedules};
use tradewind_domain::deal::ledger::pay_duty;
use tradewind_domain::marketplace::FxRates;
use tradewind_domain::organization::TradeRole;
use tradewind_domain::{CountryCode, ValidationErrors};
use tradewind_store::{
    Actor, DeclarationChange, DeclarationRecord, KeyedDeclaration, NewDeclaration, Store, StoreError,
};

/// The rules of every economy this node serves.
#[derive(Debug)]
pub struct CustomsService {
    schedules: RwLock<HashMap<CountryCode, Arc<TariffSchedule>>>,
    pub origin: OriginRulebook,
    pub agencies: AgencyRules,
}

impl CustomsService {
    /// The built-in schedules with any imported over them.
    pub async fn load(store: &Store) -> Result<CustomsService, ApiError> {
        let mut schedules: HashMap<CountryCode, Arc<TariffSchedule>> =
            builtin_schedules().into_iter().map(|s| (s.economy(), Arc::new(s))).collect();
        for (economy, body) in store.imported_tariff_schedules().await? {
            match TariffSchedule::parse_toml(&body) {
                Ok(s) => {
                    schedules.insert(s.economy(), Arc::new(s));
                }
                Err(e) => {
                    tracing::warn!(%economy, error = %e, "stored tariff schedule no longer parses; built-in kept")
                }
            }
        }
        Ok(CustomsService {
            schedules: RwLock::new(schedules),
            origin: OriginRulebook::builtin().map_err(|e| ApiError::Internal(e.to_string()))?,
            agencies: AgencyRules::default_rules(),
        })
    }

    pub fn schedule(&self, economy: CountryCode) -> Option<Arc<TariffSchedule>> {
        self.schedules.read().ok().and_then(|s| s.get(&economy).cloned())
    }

    /// Every schedule, by economy.
    pub fn schedules(&self) -> Vec<Arc<TariffSchedule>> {
        let mut all: Vec<_> = self.schedules.read().map(|s| s.values().cloned().collect()).unwrap_or_default();
        all.sort_by_key(|s| s.economy().as_str().to_string());
        all
    }

    /// Checks, stores and starts using a schedule file.
    pub async fn import_schedule(
        &self,
        store: &Store,
        actor: &Actor,
        body: &str,
    ) -> Result<Arc<TariffSchedule>, ApiError> {
        let schedule = TariffSchedule::parse_toml(body)
            .map_err(|e| ApiError::Invalid(ValidationErrors::single("file", "tariff", e.to_string())))?;
        store.import_tariff_schedule(actor, schedule.economy().as_str(), schedule.edition(), body).await?;
        let schedule = Arc::new(schedule);
        if let Ok(mut s) = self.schedules.write() {
            s.insert(schedule.economy(), schedule.clone());
        }
        Ok(schedule)
    }
}

/// An economy's risk profile: the one its customs stored, or the built-in one.
pub async fn risk_profile(store: &Store, economy: &str) -> Result<RiskProfile, ApiError> {
    match store.risk_profile(economy).await? {
        Some(body) => {
            RiskProfile::parse_toml(&body).map_err(|e| ApiError::Internal(format!("stored risk profile: {e}")))
        }
        None => Ok(RiskProfile::default_profile()),
    }
}

/// Exchange rates for customs valuation: the platform's rates (the last imported).
pub async fn fx_rates(store: &Store) -> Result<FxRates, ApiError> {
    store.fx_rates().await?.ok_or_else(|| {
        ApiError::Unavailable("no exchange rates are loaded: import them with `tradewind import fx` first".into())
    })
}

/// What an organisation is to customs.
#[derive(Debug, Clone)]
pub struct CustomsParty {
    pub org: String,
    pub legal_name: String,
    pub country: CountryCode,
    pub roles: Vec<TradeRole>,
    /// The agency it is registered as (quarantine, health, standards, inspection …).
    pub agency: Option<String>,
    pub verified: bool,
}

impl CustomsParty {
    pub async fn of(store: &Store, org: &str) -> Result<CustomsParty, ApiError> {
        let o = store.get_organization(org).await?;
        let agency = store.customs_agency_of(org).await?;
        Ok(CustomsParty {
            org: o.id.clone(),
            legal_name: o.legal_name.clone(),
            country: o.country,
            roles: o.roles.clone(),
            agency,
            verified: matches!(o.verification, tradewind_domain::organization::VerificationStatus::Verified),
        })
    }

    /// A verified customs authority of `economy`.
    pub fn is_officer_of(&self, economy: &str) -> bool {
        self.verified && self.roles.contains(&TradeRole::CustomsAuthority) && self.country.as_str() == economy
    }

    /// A verified government agency of `economy`, by its agency code.
    pub fn agency_of(&self, economy: &str) -> Option<&str> {
        if self.verified && self.roles.contains(&TradeRole::OtherGovernmentAgency) && self.country.as_str() == economy {
            self.agency.as_deref()
        } else {
            None
        }
    }

    /// The inspection service of `economy`: an agency registered as `inspection`.
    pub fn is_inspector_of(&self, economy: &str) -> bool {
        self.agency_of(economy) == Some("inspection")
    }

    /// How this party may act on a declaration, or `None` when it may not even see it.
    pub fn role_on(&self, d: &DeclarationRecord) -> Option<ClearanceActor> {
        if d.declarant_org == self.org || d.broker_org.as_deref() == Some(self.org.as_str()) {
            return Some(ClearanceActor::Declarant);
        }
        if self.is_officer_of(&d.economy) {
            return Some(ClearanceActor::Officer);
        }
        if self.is_inspector_of(&d.economy) && d.lane == "red" {
            return Some(ClearanceActor::Inspector);
        }
        if let Some(agency) = self.agency_of(&d.economy)
            && d.agencies.iter().any(|t| t.agency == agency)
        {
            return Some(ClearanceActor::Agency(agency.to_string()));
        }
        None
    }
}

/// The stored status word of a clearance state (`awaiting_inspection`, `released`, …).
pub fn status_word(state: &ClearanceState) -> String {
    state.status.name().replace(' ', "_")
}

fn lane_word(state: &ClearanceState) -> String {
    state.lane.map(|l| l.as_str().to_string()).unwrap_or_else(|| "none".into())
}

/// A certificate of origin on file, by number, as the pipeline takes it.
pub async fn certificates_for(
    store: &Store,
    input: &DeclarationInput,
) -> Result<HashMap<String, CertificateOnFile>, ApiError> {
    let mut found = HashMap::new();
    for item in &input.items {
        let Some(p) = &item.preference else { continue };
        let number = p.certificate_number.trim().to_string();
        if found.contains_key(&number) {
            continue;
        }
        let record = match store.origin_certificate_by_number(&number).await {
            Ok(r) => r,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        let date = |s: &Option<String>| {
            s.as_deref().and_then(|d| time::Date::parse(d, &time::format_description::well_known::Iso8601::DATE).ok())
        };
        let (Some(from), Some(until)) = (date(&record.valid_from), date(&record.valid_until)) else {
            found.insert(
                number.clone(),
                CertificateOnFile {
                    agreement: record.agreement.clone(),
                    status_approved: false,
                    product_hs: record.product_hs.clone(),
                    proof: ProofOfOrigin {
                        certificate_number: number,
                        issued_on: time::Date::MIN,
                        valid_until: time::Date::MIN,
                        origin: record.origin.parse().map_err(|_| ApiError::Internal("certificate origin".into()))?,
                    },
                },
            );
            continue;
        };
        found.insert(
            number.clone(),
            CertificateOnFile {
                agreement: record.agreement.clone(),
                status_approved: record.status == "approved",
                product_hs: record.product_hs.clone(),
                proof: ProofOfOrigin {
                    certificate_number: number,
                    issued_on: from,
                    valid_until: until,
                    origin: record.origin.parse().map_err(|_| ApiError::Internal("certificate origin".into()))?,
                },
            },
        );
    }
    Ok(found)
}

/// Runs the pipeline on a declaration for `declarant`, reading what it needs from the store.
pub async fn prepare_declaration(
    store: &Store,
    customs: &CustomsService,
    declarant: &str,
    input: &DeclarationInput,
) -> Result<PreparedDeclaration, ApiError> {
    let schedule = customs.schedule(input.economy).ok_or_else(|| {
        ApiError::Invalid(ValidationErrors::single(
            "economy",
            "no_tariff",
            format!(
                "this node holds no tariff schedule for {}; import one with `tradewind import tariff FILE`",
                input.economy
            ),
        ))
    })?;
    let fx = fx_rates(store).await?;
    let risk = risk_profile(store, input.economy.as_str()).await?;
    let history = store.trader_history(declarant).await?;
    let certificates = certificates_for(store, input).await?;
    let rules = CustomsRules { schedule: &schedule, fx: &fx, risk: &risk, agencies: &customs.agencies };
    let standing = TraderStanding { compliance: history.compliance, prior_declarations: history.prior_declarations };
    let today = time::OffsetDateTime::now_utc().date();
    prepare(&rules, input, standing, &|n| certificates.get(n).cloned(), today).map_err(ApiError::Invalid)
}

/// The row a prepared declaration is stored as, with its first events.
pub fn new_declaration(
    input: &DeclarationInput,
    prepared: &PreparedDeclaration,
    declarant: &str,
    broker: Option<&str>,
) -> Result<NewDeclaration, ApiError> {
    let internal = |e: serde_json::Error| ApiError::Internal(e.to_string());
    let mut events = vec![
        ("lodged".to_string(), json!({"items": input.items.len(), "broker": broker})),
        (
            "selected".to_string(),
            json!({"lane": prepared.lane.as_str(), "fired": prepared.selection.fired, "sampled": prepared.selection.sampled,
                   "agencies": prepared.required.iter().map(|r| r.agency.clone()).collect::<Vec<_>>()}),
        ),
    ];
    if prepared.state.assessed_duty.is_some() {
        events.push(("assessed".into(), json!({"duty": prepared.duty, "automatic": true})));
    }
    let mut state = prepared.state.clone();
    if matches!(state.status, ClearanceStatus::AwaitingRelease) {
        let at = time::OffsetDateTime::now_utc();
        state = state
            .apply(&ClearanceEvent::Released { at }, ClearanceActor::System)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        events.push(("released".into(), json!({"automatic": true})));
    }
    Ok(NewDeclaration {
        number: input.number.trim().to_string(),
        economy: input.economy.as_str().to_string(),
        direction: serde_json::to_value(input.direction)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        declarant_org: declarant.to_string(),
        broker_org: broker.map(str::to_string),
        order_id: input.order_id.clone(),
        transport_document: input.transport_document.clone(),
        status: status_word(&state),
        lane: lane_word(&state),
        duty: prepared.duty,
        body: serde_json::to_string(input).map_err(internal)?,
        assessment: serde_json::to_string(&prepared.landed_cost).map_err(internal)?,
        selection: serde_json::to_string(&prepared.selection).map_err(internal)?,
        state: serde_json::to_string(&state).map_err(internal)?,
        agencies: prepared.required.iter().map(|r| r.agency.clone()).collect(),
        events,
    })
}

/// Applies one event to a stored declaration through the domain's transition and stores
/// the result; when nothing is left outstanding the system releases the goods at once.
pub async fn apply_event(
    store: &Store,
    actor: &Actor,
    declaration: &DeclarationRecord,
    event: ClearanceEvent,
    who: ClearanceActor,
    step: &str,
    details: Value,
) -> Result<DeclarationRecord, ApiError> {
    let state: ClearanceState = serde_json::from_value(declaration.state.clone())
        .map_err(|e| ApiError::Internal(format!("stored clearance state: {e}")))?;
    let next = state.apply(&event, who).map_err(|e| ApiError::Refused(e.to_string()))?;
    let mut change = change_to(declaration, &next, step, details)?;
    if let ClearanceEvent::DutyPaid { .. } = &event {
        let duty = state.assessed_duty.ok_or_else(|| ApiError::Refused("no duty is assessed yet".into()))?;
        let entry =
            pay_duty(&declaration.economy, &declaration.number, duty).map_err(|e| ApiError::Refused(e.to_string()))?;
        change.ledger = Some(("duty".into(), entry));
    }
    if let ClearanceEvent::AgencyDecision { agency, approved, note } = &event {
        change.agency_decision = Some((agency.clone(), *approved, note.clone()));
    }
    let stored = store.change_declaration(actor, &declaration.id, &change).await?;
    release_if_ready(store, &stored, next).await
}

fn change_to(
    declaration: &DeclarationRecord,
    next: &ClearanceState,
    step: &str,
    details: Value,
) -> Result<DeclarationChange, ApiError> {
    Ok(DeclarationChange {
        expected_version: declaration.version,
        status: status_word(next),
        lane: lane_word(next),
        duty: next.assessed_duty.or(next.declared_duty).unwrap_or(declaration.duty),
        state: serde_json::to_value(next).map_err(|e| ApiError::Internal(e.to_string()))?,
        body: None,
        step: step.to_string(),
        details,
        agency_decision: None,
        agencies: None,
        ledger: None,
    })
}

/// The system's release, once a transition left nothing outstanding.
async fn release_if_ready(
    store: &Store,
    stored: &DeclarationRecord,
    state: ClearanceState,
) -> Result<DeclarationRecord, ApiError> {
    if !matches!(state.status, ClearanceStatus::AwaitingRelease) {
        return Ok(stored.clone());
    }
    let at = time::OffsetDateTime::now_utc();
    let released = state
        .apply(&ClearanceEvent::Released { at }, ClearanceActor::System)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let change =
        change_to(stored, &released, "released", json!({"notified": release_recipients(store, stored).await?}))?;
    let done = store.change_declaration(&Actor::system(), &stored.id, &change).await?;
    let notices: Vec<_> = release_recipients(store, stored)
        .await?
        .into_iter()
        .map(|org| {
            (
                org,
                "customs_release".to_string(),
                format!("Customs of {} released declaration {}", stored.economy, stored.number),
                json!({"declaration": stored.id, "number": stored.number,
                       "transport_document": stored.transport_document}),
            )
        })
        .collect();
    store.notify(&Actor::system(), &notices).await?;
    Ok(done)
}

/// Who the release notice goes to: the declarant, its broker, and the carrier whose
/// manifest lists the transport document.
async fn release_recipients(store: &Store, d: &DeclarationRecord) -> Result<Vec<String>, ApiError> {
    let mut to = vec![d.declarant_org.clone()];
    if let Some(b) = &d.broker_org {
        to.push(b.clone());
    }
    if let Some(doc) = &d.transport_document {
        for m in store.manifests(Some(&d.economy), None).await? {
            let listed = m
                .entries
                .as_array()
                .is_some_and(|e| e.iter().any(|x| x.get("transport_document").and_then(Value::as_str) == Some(doc)));
            if listed && !to.contains(&m.carrier_org) {
                to.push(m.carrier_org.clone());
            }
        }
    }
    Ok(to)
}

/// One lodgement waiting for the writer, with where its answer goes.
type Waiting = (KeyedDeclaration, tokio::sync::oneshot::Sender<Result<DeclarationRecord, StoreError>>);

/// Lodgements over HTTP committed in groups: requests that arrive while a group is being
/// written wait and go together in the next transaction (one commit for many), each with
/// its own idempotency key, answer and audit entry. A lone request is written at once.
#[derive(Debug, Clone)]
pub struct LodgementQueue {
    sender: tokio::sync::mpsc::Sender<Waiting>,
}

/// The most declarations one group commit carries.
const MAX_GROUP: usize = 256;

impl LodgementQueue {
    /// Starts the writer; it ends when every queue handle is dropped.
    pub fn spawn(store: Store) -> LodgementQueue {
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Waiting>(4 * MAX_GROUP);
        tokio::spawn(async move {
            while let Some(first) = receiver.recv().await {
                let mut group = vec![first];
                while group.len() < MAX_GROUP {
                    match receiver.try_recv() {
                        Ok(next) => group.push(next),
                        Err(_) => break,
                    }
                }
                let (items, replies): (Vec<KeyedDeclaration>, Vec<_>) = group.into_iter().unzip();
                match store.submit_declarations_keyed(&items).await {
                    Ok(answers) => {
                        for (reply, answer) in replies.into_iter().zip(answers) {
                            let _ = reply.send(answer);
                        }
                    }
                    Err(e) => {
                        // The group failed as a whole: each is lodged alone, so one bad
                        // declaration cannot sink the others.
                        tracing::warn!(error = %e, size = items.len(), "group commit failed; lodging one by one");
                        for (item, reply) in items.iter().zip(replies) {
                            let answer = store
                                .submit_declaration(
                                    &item.actor,
                                    &item.submitter_org,
                                    &item.idempotency_key,
                                    &item.request_digest,
                                    &item.declaration,
                                )
                                .await;
                            let _ = reply.send(answer);
                        }
                    }
                }
            }
        });
        LodgementQueue { sender }
    }

    /// Lodges one declaration with the next group and waits for its answer.
    pub async fn lodge(&self, item: KeyedDeclaration) -> Result<DeclarationRecord, ApiError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.sender
            .send((item, reply))
            .await
            .map_err(|_| ApiError::Unavailable("the server is shutting down; retry with the same key".into()))?;
        let answer =
            answer.await.map_err(|_| ApiError::Internal("the lodgement writer stopped before answering".into()))?;
        Ok(answer?)
    }
}
