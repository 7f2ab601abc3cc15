//! Transferable records (e-B/L, warehouse receipt, promissory note) under
//! `/api/v1/transferable-records`: issue, list, read with the chain of title, act (each
//! action carries the `expected_version` the actor read, so a replay by a former holder is
//! refused), verify the chain, and the operator's audited reassignment.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::problem::{ApiError, Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tradewind_attestation::keys::{CompanyKeys, ed25519_from_multibase, verify_ed25519};
use tradewind_domain::organization::VerificationStatus;
use tradewind_domain::title::{RecordKind, TitleAction, TitleActor, verify_links};
use tradewind_store::{
    DocumentRole, NewTransferableRecord, RecordView, StepSigner, StoredTitleStep, TitleRegistry, TitleViewer,
    TransferableRecord,
};

/// Signs steps with a company's Ed25519 key.
pub(crate) struct CompanySigner(CompanyKeys);

impl StepSigner for CompanySigner {
    fn public_key(&self) -> String {
        self.0.ed25519_public_multibase()
    }
    fn sign(&self, bytes: &[u8]) -> String {
        hex::encode(self.0.sign_ed25519(bytes))
    }
}

/// The company's signing keys, created on first use.
pub(crate) async fn signer_for(state: &AppState, org: &str) -> Result<CompanySigner, ApiError> {
    crate::api::verifiable::company_keys(state, org).await.map(CompanySigner)
}

/// A verified company named as a party, or a field error saying why it cannot be.
async fn verified_company(state: &AppState, field: &'static str, id: &str) -> Result<String, ApiError> {
    let id = id.trim();
    if id.is_empty() {
        return Err(ApiError::field(field, "required", "name the company (its id)"));
    }
    match state.store.get_organization(id).await {
        Ok(org) if org.verification == VerificationStatus::Verified => Ok(org.id),
        Ok(_) | Err(tradewind_store::StoreError::NotFound) => Err(ApiError::field(
            field,
            "unknown_company",
            "no verified company has this id: records pass only between verified companies",
        )),
        Err(e) => Err(e.into()),
    }
}

/// What issuing takes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct IssueIn {
    /// `electronic_bill_of_lading`, `warehouse_receipt` or `promissory_note`.
    pub kind: String,
    /// For an e-B/L: the order whose issued bill of lading it carries (the order's carrier
    /// issues it; the shipper becomes holder and beneficiary).
    pub order_id: Option<String>,
    /// For a warehouse receipt or promissory note: the first holder.
    pub holder: Option<String>,
    /// The first beneficiary; the holder when absent.
    pub beneficiary: Option<String>,
    pub number: Option<String>,
    pub description: Option<String>,
}

fn text_field(value: Option<&str>, field: &'static str, max: usize) -> Result<String, ApiError> {
    let v = value.map(str::trim).unwrap_or("");
    if v.is_empty() {
        return Err(ApiError::field(field, "required", format!("{field} is required")));
    }
    if v.chars().count() > max {
        return Err(ApiError::field(field, "too_long", format!("{field} must be at most {max} characters")));
    }
    Ok(v.to_string())
}

/// Issues a record (shared by the API and the pages).
pub(crate) async fn issue(
    state: &AppState,
    user: &CurrentUser,
    body: &IssueIn,
) -> Result<TransferableRecord, ApiError> {
    let org = user.organization_id()?.to_string();
    let kind: RecordKind = body
        .kind
        .parse()
        .map_err(|e: tradewind_domain::title::TitleError| ApiError::field("kind", "unknown", e.to_string()))?;
    let me = state.store.get_organization(&org).await?;
    if me.verification != VerificationStatus::Verified {
        return Err(ApiError::Refused("only a verified company may issue a transferable record".into()));
    }
    let new = match kind {
        RecordKind::ElectronicBillOfLading => {
            let order_id = text_field(body.order_id.as_deref(), "order_id", 100)?;
            let (order, role) = state.store.document_role(&org, &order_id).await?;
            if role != DocumentRole::Carrier {
                return Err(ApiError::Refused("the order's carrier issues its electronic bill of lading".into()));
            }
            let bl = state.store.latest_document(&org, &order_id, "bill_of_lading").await?.ok_or_else(|| {
                ApiError::Refused(
                    "issue the bill of lading first (POST /api/v1/orders/{id}/document-set/bill_of_lading)".into(),
                )
            })?;
            let shipper = order.order.terms.seller.as_str().to_string();
            NewTransferableRecord {
                kind,
                number: bl.number.clone(),
                description: format!(
                    "Electronic bill of lading {} (version {}) for order {}",
                    bl.number, bl.version, order_id
                ),
                issuer: org.clone(),
                holder: shipper.clone(),
                beneficiary: shipper,
                order_id: Some(order_id),
                document_id: Some(bl.id),
                document_sha256: Some(bl.sha256),
            }
        }
        RecordKind::WarehouseReceipt | RecordKind::PromissoryNote => {
            let holder = verified_company(state, "holder", body.holder.as_deref().unwrap_or("")).await?;
            let beneficiary = match body.beneficiary.as_deref() {
                Some(b) if !b.trim().is_empty() => verified_company(state, "beneficiary", b).await?,
                _ => holder.clone(),
            };
            NewTransferableRecord {
                kind,
                number: text_field(body.number.as_deref(), "number", 100)?,
                description: text_field(body.description.as_deref(), "description", 2000)?,
                issuer: org.clone(),
                holder,
                beneficiary,
                order_id: None,
                document_id: None,
                document_sha256: None,
            }
        }
    };
    let signer = signer_for(state, &org).await?;
    Ok(state.store.issue_record(&user.actor(), new, &signer).await?)
}

/// Issue a transferable record. An e-B/L comes from the latest issued bill of lading of an
/// order the caller carries and names the shipper as holder and beneficiary; a warehouse
/// receipt or promissory note names its holder.
#[utoipa::path(post, path = "/api/v1/transferable-records", tag = "transferable-records", request_body = IssueIn,
    responses((status = 201, body = Object), (status = 409, body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<IssueIn>,
) -> Result<(StatusCode, Json<TransferableRecord>), ApiError> {
    Ok((StatusCode::CREATED, Json(issue(&state, &user, &body).await?)))
}

#[derive(Serialize)]
pub struct RecordList {
    pub items: Vec<TransferableRecord>,
}

/// The records the caller's company holds, is beneficiary of, issued, or held before.
#[utoipa::path(get, path = "/api/v1/transferable-records", tag = "transferable-records",
    responses((status = 200, body = Object)))]
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> Result<Json<RecordList>, ApiError> {
    let org = user.organization_id()?;
    Ok(Json(RecordList { items: state.store.records_of(org).await? }))
}

/// A record with its chain and the names of the companies in it.
#[derive(Serialize)]
pub struct RecordOut {
    #[serde(flatten)]
    pub view: RecordView,
    /// Company id → legal name, for every company the record names.
    pub parties: BTreeMap<String, String>,
}

pub(crate) async fn view(state: &AppState, user: &CurrentUser, id: &str) -> Result<RecordOut, ApiError> {
    let view = if user.user.is_operator {
        state.store.record_view(TitleViewer::Operator, id).await?
    } else {
        state.store.record_view(TitleViewer::Company(user.organization_id()?), id).await?
    };
    let mut parties = BTreeMap::new();
    let s = &view.record.state;
    let mut ids: Vec<&str> = vec![s.issuer.as_str(), s.holder.as_str(), s.beneficiary.as_str()];
    ids.extend(view.record.state.nominee());
    for st in &view.chain {
        ids.push(&st.step.to_holder);
        ids.push(&st.step.beneficiary);
        ids.extend(st.step.from_holder.as_deref());
        ids.extend(st.step.nominee.as_deref());
    }
    for id in ids {
        if !parties.contains_key(id) {
            let name = state.store.get_organization(id).await.map(|o| o.legal_name).unwrap_or_else(|_| id.to_string());
            parties.insert(id.to_string(), name);
        }
    }
    Ok(RecordOut { view, parties })
}

/// A record and its chain of title: the issuer, holder and beneficiary see all of it; a
/// past holder sees it as it stood when it passed it on; anyone else gets 404.
#[utoipa::path(get, path = "/api/v1/transferable-records/{id}", tag = "transferable-records",
    params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<RecordOut>, ApiError> {
    Ok(Json(view(&state, &user, &id).await?))
}

/// An action on a record.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ActionIn {
    /// The record's `version` as the actor last read it.
    pub expected_version: i64,
    /// `transfer`: the next holder.
    pub to: Option<String>,
    /// `nominate`: the next beneficiary.
    pub nominee: Option<String>,
    /// `reject-surrender`: why.
    pub reason: Option<String>,
}

/// The action a path segment names, with the companies it names checked.
pub(crate) async fn parse_action(state: &AppState, action: &str, body: &ActionIn) -> Result<TitleAction, ApiError> {
    Ok(match action {
        "transfer" => TitleAction::TransferHoldership {
            to: verified_company(state, "to", body.to.as_deref().unwrap_or("")).await?,
        },
        "nominate" => TitleAction::Nominate {
            nominee: verified_company(state, "nominee", body.nominee.as_deref().unwrap_or("")).await?,
        },
        "endorse" => TitleAction::Endorse,
        "return" => TitleAction::ReturnToIssuer,
        "surrender" => TitleAction::Surrender,
        "accept-surrender" => TitleAction::AcceptSurrender,
        "reject-surrender" => {
            TitleAction::RejectSurrender { reason: text_field(body.reason.as_deref(), "reason", 1000)? }
        }
        _ => return Err(ApiError::NotFound),
    })
}

/// Acts on a record as the caller's company (shared by the API and the pages).
pub(crate) async fn act(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    action: &str,
    body: &ActionIn,
) -> Result<TransferableRecord, ApiError> {
    let org = user.organization_id()?.to_string();
    // Anyone who may not see the record learns nothing about it, not even a field error.
    state.store.record_view(TitleViewer::Company(&org), id).await?;
    let action = parse_action(state, action, body).await?;
    let signer = signer_for(state, &org).await?;
    Ok(state
        .store
        .act_on_record(&user.actor(), &TitleActor::Company(org), id, body.expected_version, &action, Some(&signer))
        .await?)
}

/// Act on a record: `transfer` (holder, `to`), `nominate` (beneficiary, `nominee`),
/// `endorse` (holder), `return` (holder and beneficiary, to the issuer), `surrender`
/// (holder and beneficiary, for delivery), `accept-surrender` and `reject-surrender`
/// (issuer, `reason`). A stale `expected_version` is refused (409): a former holder is told
/// "you no longer hold this record".
#[utoipa::path(post, path = "/api/v1/transferable-records/{id}/{action}", tag = "transferable-records",
    params(("id" = String, Path), ("action" = String, Path)), request_body = ActionIn,
    responses((status = 200, body = Object), (status = 409, body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
pub async fn action(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, action)): Path<(String, String)>,
    Json(body): Json<ActionIn>,
) -> Result<Json<TransferableRecord>, ApiError> {
    Ok(Json(act(&state, &user, &id, &action, &body).await?))
}

/// What checking one step found.
#[derive(Debug, Serialize)]
pub struct StepCheck {
    pub seq: i64,
    pub action: String,
    /// The company that signed, or none for an operator decision.
    pub signed_by: Option<String>,
    pub ok: bool,
    /// Why the step does not check, in plain words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The answer of a chain verification.
#[derive(Debug, Serialize)]
pub struct ChainVerification {
    /// True when every hash links and every signature checks.
    pub valid: bool,
    pub steps: Vec<StepCheck>,
    /// The first fault in the hash links, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_fault: Option<String>,
}

async fn check_signature(state: &AppState, st: &StoredTitleStep) -> Result<Option<String>, ApiError> {
    let Some(org) = &st.step.actor_org else {
        return Ok(if st.signature.is_some() {
            Some("an operator decision carries a company signature it should not have".into())
        } else {
            None
        });
    };
    let (Some(public), Some(signature)) = (&st.signer_public_key, &st.signature) else {
        return Ok(Some("the step is not signed".into()));
    };
    let published = state.store.company_keys(org).await?.map(|k| k.ed25519_public);
    if published.as_deref() != Some(public.as_str()) {
        return Ok(Some("the signing key is not the acting company's key".into()));
    }
    let Ok(key) = ed25519_from_multibase(public) else {
        return Ok(Some("the signing key is not an Ed25519 key".into()));
    };
    let Ok(sig) = hex::decode(signature) else {
        return Ok(Some("the signature is not hexadecimal".into()));
    };
    Ok(verify_ed25519(&key, &st.step.canonical_bytes(), &sig)
        .err()
        .map(|_| "the signature does not match the step: the step was changed after it was signed".to_string()))
}

pub(crate) async fn verify_chain(state: &AppState, record: &RecordOut) -> Result<ChainVerification, ApiError> {
    let chain = &record.view.chain;
    let link_fault = verify_links(chain.iter().map(|s| (&s.step, s.hash.as_str()))).err().map(|f| f.to_string());
    let mut steps = Vec::with_capacity(chain.len());
    for st in chain {
        let problem = check_signature(state, st).await?;
        steps.push(StepCheck {
            seq: st.step.seq,
            action: st.step.action.clone(),
            signed_by: st.step.actor_org.clone(),
            ok: problem.is_none(),
            problem,
        });
    }
    // The record must stand where its last step left it.
    let r = &record.view.record;
    let link_fault = link_fault.or_else(|| match chain.last() {
        Some(last) if last.step.to_holder != r.state.holder || last.step.seq != r.version => Some(format!(
            "the record says {} holds it at version {}, but its chain ends with {} at step {}",
            r.state.holder, r.version, last.step.to_holder, last.step.seq
        )),
        None => Some("the record has no chain of title".into()),
        _ => None,
    });
    Ok(ChainVerification { valid: link_fault.is_none() && steps.iter().all(|s| s.ok), steps, link_fault })
}

/// Checks the chain of title as the caller may see it: each hash links to the one before,
/// each step is signed by the acting company's published key, and the record stands where
/// its last step left it.
#[utoipa::path(get, path = "/api/v1/transferable-records/{id}/verification", tag = "transferable-records",
    params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn verification(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ChainVerification>, ApiError> {
    let record = view(&state, &user, &id).await?;
    Ok(Json(verify_chain(&state, &record).await?))
}

/// The operator's decision after a lost key or a dispute.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReassignIn {
    pub expected_version: i64,
    pub holder: String,
    /// The new beneficiary; unchanged when absent.
    pub beneficiary: Option<String>,
    /// Why, recorded in the chain and the audit trail.
    pub reason: String,
}

/// The operator reassigns holder (and optionally beneficiary) with a mandatory reason.
#[utoipa::path(post, path = "/api/v1/operator/transferable-records/{id}/reassign", tag = "operator",
    params(("id" = String, Path)), request_body = ReassignIn,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn reassign(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<ReassignIn>,
) -> Result<Json<TransferableRecord>, ApiError> {
    user.require_operator()?;
    let reason = text_field(Some(&body.reason), "reason", 1000)?;
    let holder = verified_company(&state, "holder", &body.holder).await?;
    let beneficiary = match body.beneficiary.as_deref() {
        Some(b) if !b.trim().is_empty() => Some(verified_company(&state, "beneficiary", b).await?),
        _ => None,
    };
    let action = TitleAction::Reassign { holder, beneficiary, reason };
    Ok(Json(
        state
            .store
            .act_on_record(&user.actor(), &TitleActor::Operator, &id, body.expected_version, &action, None)
            .await?,
    ))
}
