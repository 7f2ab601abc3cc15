//! The platform operator's verification queue: review pending companies and their
//! evidence, then verify or reject them. Everyone else gets the not-found page.

use super::company::{CompanyView, EvidenceView};
use super::forms::{Field, FormData, FormErrors, SummaryItem};
use super::page::{Chrome, Ctx, PageError, render, see_other};
use crate::AppState;
use crate::api::{PageBody, PageParams};
use crate::auth::CurrentUser;
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tradewind_domain::organization::VerificationEvent;
use tradewind_store::{Organization, OrganizationFilter};

const QUEUE_PATH: &str = "/operator/queue";
const MAX_REASON_CHARS: usize = 1000;

/// One company waiting for review, with its evidence and the reject form's reason field.
pub struct QueueEntry {
    pub company: CompanyView,
    pub evidence: Vec<EvidenceView>,
    pub reason: Field,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    page: Chrome,
    entries: Vec<QueueEntry>,
    summary: Vec<SummaryItem>,
    /// Link to the next page of the queue, when there is one.
    next: Option<String>,
}

/// A rejection that did not go through: which company, what was typed, what was wrong.
struct RejectAttempt<'a> {
    organization_id: &'a str,
    reason: &'a str,
    errors: FormErrors,
}

impl QueuePage {
    async fn load(
        state: &AppState,
        page: Chrome,
        params: &PageParams,
        attempt: Option<&RejectAttempt<'_>>,
    ) -> Result<QueuePage, PageError> {
        let tr = page.tr;
        let listed = state
            .store
            .list_organizations(OrganizationFilter::Verification("pending"), &params.after()?, params.limit()?)
            .await?;
        let listed: PageBody<Organization> = listed.into();
        let mut entries = Vec::with_capacity(listed.items.len());
        let mut summary = Vec::new();
        for org in &listed.items {
            let evidence = state.store.list_evidence(&org.id).await?.iter().map(EvidenceView::of).collect();
            let mut reason = Field::new(tr, "reason", "textarea").max(MAX_REASON_CHARS).hint(tr.t("hint.reason"));
            reason.id = format!("reason-{}", org.id);
            if let Some(a) = attempt.filter(|a| a.organization_id == org.id) {
                reason.value = a.reason.to_string();
                reason.error = a.errors.get("reason").map(str::to_string);
                summary = a.errors.summary(tr, |_| reason.id.clone());
            }
            entries.push(QueueEntry { company: CompanyView::of(tr, org), evidence, reason });
        }
        let next = listed
            .next_cursor
            .map(|c| format!("{QUEUE_PATH}?{}", serde_urlencoded::to_string([("cursor", c)]).unwrap_or_default()));
        Ok(QueuePage { page, entries, summary, next })
    }
}

fn operator(ctx: &Ctx) -> Result<&CurrentUser, PageError> {
    let user = ctx.signed_in()?;
    user.require_operator()?;
    Ok(user)
}

/// `GET /operator/queue`: companies waiting for review, oldest first.
pub async fn queue(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<PageParams>,
) -> Result<Response, PageError> {
    operator(&ctx)?;
    let page = QueuePage::load(&state, ctx.chrome("title.queue", "queue"), &params, None).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /operator/organizations/{id}/verify`
pub async fn verify(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    operator(&ctx)?;
    let user = ctx.signed_in_with(form.csrf_token())?;
    state.store.change_verification(&id, VerificationEvent::Verify, &user.actor()).await?;
    Ok(see_other("/operator/queue?notice=verified"))
}

/// `POST /operator/organizations/{id}/reject`: needs a reason the company can act on.
pub async fn reject(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    operator(&ctx)?;
    let user = ctx.signed_in_with(form.csrf_token())?;
    let reason = form.get("reason");
    let problem = if reason.trim().is_empty() {
        Some(ApiError::field("reason", "required", "give the company a reason it can act on"))
    } else if reason.chars().count() > MAX_REASON_CHARS {
        Some(ApiError::field("reason", "too_long", "the reason is too long"))
    } else {
        None
    };
    let Some(problem) = problem else {
        let event = VerificationEvent::Reject { reason: reason.trim().to_string() };
        state.store.change_verification(&id, event, &user.actor()).await?;
        return Ok(see_other("/operator/queue?notice=rejected"));
    };
    let errors = FormErrors::from_api(ctx.tr(), &problem).unwrap_or_default();
    let attempt = RejectAttempt { organization_id: &id, reason, errors };
    let page = QueuePage::load(
        &state,
        ctx.chrome_at("title.queue", "queue", QUEUE_PATH),
        &PageParams::default(),
        Some(&attempt),
    )
    .await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}
