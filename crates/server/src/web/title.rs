//! The holder's view of transferable records: the list of records a company holds, is
//! beneficiary of, issued or held before (with what a carrier can still issue as an e-B/L),
//! and one record with its chain of title, the verification of that chain, and the forms
//! for whatever the company may do next (transfer, nominate, endorse, surrender, return,
//! accept or reject a surrender). Every form carries the version the page showed, so a
//! stale page is refused instead of acting on a record that moved.

use super::forms::FormData;
use super::page::{Chrome, Ctx, PageError, render, see_other};
use crate::AppState;
use crate::api::title::{self as api, ActionIn, IssueIn};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use tradewind_domain::title::{RecordKind, TitleStatus};
use tradewind_store::{OrganizationFilter, TitleRegistry};

/// One row of the list.
struct RecordRow {
    id: String,
    kind: String,
    number: String,
    status: String,
    holder: String,
    /// "holder", "beneficiary", "issuer" or "past holder".
    role: String,
}

#[derive(Template)]
#[template(path = "records.html")]
struct RecordsPage {
    page: Chrome,
    rows: Vec<RecordRow>,
    /// (order id, B/L number and version) a carrier can still issue as an e-B/L.
    bills: Vec<(String, String)>,
    /// (company id, name) of verified companies, for naming a holder.
    companies: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
}

async fn verified_companies(state: &AppState, except: &str) -> Result<Vec<(String, String)>, PageError> {
    let page = state.store.list_organizations(OrganizationFilter::Verification("verified"), "", 200).await?;
    Ok(page.items.into_iter().filter(|o| o.id != except).map(|o| (o.id, o.legal_name)).collect())
}

async fn name_of(state: &AppState, id: &str) -> String {
    state.store.get_organization(id).await.map(|o| o.legal_name).unwrap_or_else(|_| id.to_string())
}

fn status_text(status: &TitleStatus) -> String {
    status.label().replace('_', " ")
}

/// `GET /records`
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let org = user.organization_id()?.to_string();
    let mut rows = Vec::new();
    for r in state.store.records_of(&org).await? {
        let s = &r.state;
        let role = if s.holder == org {
            "holder"
        } else if s.beneficiary == org {
            "beneficiary"
        } else if s.issuer == org {
            "issuer"
        } else {
            "past holder"
        };
        rows.push(RecordRow {
            kind: r.kind.title().to_string(),
            number: r.number.clone(),
            status: status_text(&s.status),
            holder: name_of(&state, &s.holder).await,
            role: role.to_string(),
            id: r.id,
        });
    }
    let bills = state
        .store
        .bills_of_lading_without_record(&org)
        .await?
        .into_iter()
        .map(|(order, number, version)| (order, format!("{number} (v{version})")))
        .collect();
    let page = RecordsPage {
        page: ctx.chrome("title.records", "records"),
        rows,
        bills,
        companies: verified_companies(&state, &org).await?,
        kinds: [RecordKind::WarehouseReceipt, RecordKind::PromissoryNote]
            .into_iter()
            .map(|k| (k.as_str().to_string(), k.title().to_string()))
            .collect(),
    };
    Ok(render(axum::http::StatusCode::OK, &page))
}

fn opt(form: &FormData, name: &str) -> Option<String> {
    let v = form.get(name).trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// `POST /records`: issue an e-B/L from an order's bill of lading, or a warehouse receipt
/// or promissory note naming its holder.
pub async fn issue(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let body = IssueIn {
        kind: form.get("kind").to_string(),
        order_id: opt(&form, "order_id"),
        holder: opt(&form, "holder"),
        beneficiary: opt(&form, "beneficiary"),
        number: opt(&form, "number"),
        description: opt(&form, "description"),
    };
    let r = api::issue(&state, user, &body).await?;
    Ok(see_other(&format!("/records/{}?notice=record_issued", r.id)))
}

/// One step of the chain as the page shows it.
struct StepRow {
    seq: i64,
    action: String,
    from: String,
    to: String,
    beneficiary: String,
    by: String,
    at: String,
    reason: String,
    signed: bool,
    ok: bool,
    problem: String,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    page: Chrome,
    id: String,
    kind: String,
    number: String,
    description: String,
    status: String,
    issuer: String,
    holder: String,
    beneficiary: String,
    nominee: String,
    version: i64,
    up_to_exit: bool,
    steps: Vec<StepRow>,
    chain_valid: bool,
    chain_fault: String,
    can_transfer: bool,
    can_nominate: bool,
    can_endorse: bool,
    can_surrender: bool,
    can_decide: bool,
    companies: Vec<(String, String)>,
}

/// `GET /records/{id}`
pub async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let org = user.organization_id()?.to_string();
    let out = api::view(&state, user, &id).await?;
    let check = api::verify_chain(&state, &out).await?;
    let name = |id: &str| out.parties.get(id).cloned().unwrap_or_else(|| id.to_string());
    let r = &out.view.record;
    let s = &r.state;
    let live = !out.view.up_to_exit;
    let active = matches!(s.status, TitleStatus::Active { .. });
    let steps = out
        .view
        .chain
        .iter()
        .zip(check.steps.iter())
        .map(|(st, c)| StepRow {
            seq: st.step.seq,
            action: st.step.action.replace('_', " "),
            from: st.step.from_holder.as_deref().map(&name).unwrap_or_default(),
            to: name(&st.step.to_holder),
            beneficiary: name(&st.step.beneficiary),
            by: st.step.actor_org.as_deref().map(&name).unwrap_or_else(|| "platform operator".into()),
            at: st.step.at.get(..19).unwrap_or(&st.step.at).replace('T', " "),
            reason: st.step.reason.clone().unwrap_or_default(),
            signed: st.signature.is_some(),
            ok: c.ok,
            problem: c.problem.clone().unwrap_or_default(),
        })
        .collect();
    let page = RecordPage {
        page: ctx.chrome("title.record", "records"),
        kind: r.kind.title().to_string(),
        number: r.number.clone(),
        description: r.description.clone(),
        status: status_text(&s.status),
        issuer: name(&s.issuer),
        holder: name(&s.holder),
        beneficiary: name(&s.beneficiary),
        nominee: s.nominee().map(&name).unwrap_or_default(),
        version: r.version,
        up_to_exit: out.view.up_to_exit,
        steps,
        chain_valid: check.valid,
        chain_fault: check.link_fault.clone().unwrap_or_default(),
        can_transfer: live && active && s.holder == org,
        can_nominate: live && active && s.beneficiary == org,
        can_endorse: live && active && s.holder == org && s.nominee().is_some(),
        can_surrender: live && active && s.holder == org && s.beneficiary == org && s.issuer != org,
        can_decide: live && matches!(s.status, TitleStatus::SurrenderPending { .. }) && s.issuer == org,
        companies: verified_companies(&state, &org).await?,
        id,
    };
    Ok(render(axum::http::StatusCode::OK, &page))
}

/// `POST /records/{id}/{action}`
pub async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, action)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let body = ActionIn {
        expected_version: form.get("expected_version").trim().parse().map_err(|_| {
            crate::problem::ApiError::field("expected_version", "invalid", "reload the page and try again")
        })?,
        to: opt(&form, "to"),
        nominee: opt(&form, "nominee"),
        reason: opt(&form, "reason"),
    };
    api::act(&state, user, &id, &action, &body).await?;
    Ok(see_other(&format!("/records/{id}?notice=record_step")))
}
