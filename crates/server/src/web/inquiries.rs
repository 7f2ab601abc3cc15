//! Inquiries and platform governance in the browser: asking a company about its listing,
//! the company's threads and replies with a file, reporting a listing, blocking a company,
//! and the operator's review of reported listings.
//!
//! The forms go through the same helpers as `/api/v1/inquiries`, `/api/v1/reports`,
//! `/api/v1/blocks` and `/api/v1/operator/reports` (message and reason checks, file checks,
//! the daily inquiry limit), so the page and the API accept and refuse the same things.

use super::forms::{Field, FormData, FormErrors, SummaryItem};
use super::i18n::Tr;
use super::marketplace::listing_page_again;
use super::page::{CSRF_FIELD, Chrome, Ctx, PageError, render, see_other};
use crate::AppState;
use crate::api::inquiries as api;
use crate::auth::CurrentUser;
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use tradewind_domain::ValidationErrors;
use tradewind_store::{Inquiry, ListingKind, NewAttachment};

/// The longest message, as the API takes it.
const MESSAGE_MAX: usize = 5000;
/// The longest report reason, as the API takes it.
const REASON_MAX: usize = 1000;
/// The longest decision note the form offers.
const NOTE_MAX: usize = 1000;

/// The address of a listing's page.
fn listing_href(kind: &str, id: &str) -> String {
    match kind {
        "lead" => format!("/leads/{id}"),
        _ => format!("/products/{id}"),
    }
}

/// A stored RFC 3339 time as people read it: `2026-11-26 04:39 UTC`.
fn when(stored: &str) -> String {
    match stored.get(..16) {
        Some(minutes) => format!("{} UTC", minutes.replace('T', " ")),
        None => stored.to_string(),
    }
}

/// Translates the validation errors of `e`, putting each on the input `rename` names for
/// its field (other fields keep their name); `None` when `e` is not about the form's fields.
fn form_errors(tr: Tr, e: &ApiError, rename: &[(&str, &str)]) -> Option<FormErrors> {
    if !matches!(e, ApiError::Invalid(_)) {
        return None;
    }
    let mut out = FormErrors::default();
    for fe in e.problem().errors {
        let field = super::forms::input_name(&fe.field);
        let input = rename.iter().find(|(from, _)| *from == field).map(|(_, to)| to.to_string()).unwrap_or(field);
        out.add(&input, tr.error(&input, fe.code, &fe.message));
    }
    Some(out)
}

/// The names of companies, fetched once each.
#[derive(Default)]
struct Names(HashMap<String, String>);

impl Names {
    async fn of(&mut self, state: &AppState, org: &str) -> Result<String, ApiError> {
        if let Some(name) = self.0.get(org) {
            return Ok(name.clone());
        }
        let name = state.store.get_organization(org).await?.legal_name;
        self.0.insert(org.to_string(), name.clone());
        Ok(name)
    }
}

// ---------------------------------------------------------------------------------------
// On a listing's page: ask, report, block
// ---------------------------------------------------------------------------------------

/// What the listing's forms held when one of them came back with a problem.
#[derive(Default)]
pub struct Filled {
    pub message: String,
    pub reason: String,
    pub errors: FormErrors,
}

/// The forms under another company's product or lead.
pub struct ListingActions {
    /// `product` or `lead`.
    pub kind: &'static str,
    pub id: String,
    pub owner_id: String,
    pub owner_name: String,
    pub summary: Vec<SummaryItem>,
    /// The question form, unless the owner has blocked the viewer's company.
    pub ask: Option<Field>,
    pub report: Field,
    /// Whether the owner has blocked the viewer's company.
    pub they_blocked: bool,
    /// Whether the viewer's company has blocked the owner.
    pub we_blocked: bool,
    /// Only administrators block companies.
    pub can_block: bool,
}

impl ListingActions {
    /// The forms for `user` under a listing of `owner_id`; `None` for the owner's own
    /// listings and for accounts without a company (operators).
    #[allow(clippy::too_many_arguments)]
    pub async fn load(
        state: &AppState,
        tr: Tr,
        user: &CurrentUser,
        kind: ListingKind,
        id: &str,
        owner_id: &str,
        owner_name: &str,
        filled: &Filled,
    ) -> Result<Option<ListingActions>, PageError> {
        let Some(me) = user.user.organization_id.as_deref() else { return Ok(None) };
        if me == owner_id {
            return Ok(None);
        }
        let they_blocked = state.store.is_blocked(owner_id, me).await?;
        let we_blocked = state.store.is_blocked(me, owner_id).await?;
        let mut ask = Field::new(tr, "message", "textarea")
            .max(MESSAGE_MAX)
            .value(&filled.message)
            .hint(tr.t("hint.message_ask"));
        ask.label = tr.t("listing.ask_label").to_string();
        let mut report = Field::new(tr, "report_reason", "textarea")
            .max(REASON_MAX)
            .value(&filled.reason)
            .hint(tr.t("hint.report_reason"));
        filled.errors.attach(std::slice::from_mut(&mut ask));
        filled.errors.attach(std::slice::from_mut(&mut report));
        Ok(Some(ListingActions {
            kind: kind.as_str(),
            id: id.to_string(),
            owner_id: owner_id.to_string(),
            owner_name: owner_name.to_string(),
            summary: filled.errors.summary(tr, |input| input.to_string()),
            ask: (!they_blocked).then_some(ask),
            report,
            they_blocked,
            we_blocked,
            can_block: user.user.is_admin_of(me) && !we_blocked,
        }))
    }
}

/// The listing a question or report form names, as its hidden fields say.
fn listing_of(form: &FormData) -> Result<(ListingKind, String), PageError> {
    let kind = ListingKind::parse(form.get("subject_kind").trim())
        .ok_or_else(|| ApiError::BadRequest("the form names no listing".into()))?;
    Ok((kind, form.get("subject_id").trim().to_string()))
}

/// The listing's page again with `errors` on its forms: field errors, the daily limit or
/// a refusal; any other failure is an error page.
async fn listing_problem(
    state: &AppState,
    ctx: &Ctx,
    form: &FormData,
    e: ApiError,
    input: &str,
) -> Result<Response, PageError> {
    let tr = ctx.tr();
    let (kind, id) = listing_of(form)?;
    let (status, errors) = match &e {
        ApiError::TooManyRequests { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            FormErrors::general(
                tr.fill("inquiry.limit_reached", &[("n", &state.settings.inquiries_per_day.to_string())]),
            ),
        ),
        ApiError::Refused(_) => (StatusCode::CONFLICT, FormErrors::general(tr.t("inquiry.refused").to_string())),
        _ => match form_errors(tr, &e, &[("body", "message"), ("reason", "report_reason"), ("subject_kind", input)]) {
            Some(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
            None => return Err(e.into()),
        },
    };
    let filled =
        Filled { message: form.get("message").to_string(), reason: form.get("report_reason").to_string(), errors };
    let page = listing_page_again(state, ctx, kind, &id, &filled, status).await?;
    Ok(if status == StatusCode::TOO_MANY_REQUESTS {
        ([(header::RETRY_AFTER, "3600")], page).into_response()
    } else {
        page
    })
}

/// `POST /inquiries`: asks the company behind a listing a question and opens the thread.
pub async fn ask(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    user.organization_id()?;
    match api::open_inquiry(&state, user, form.get("subject_kind"), form.get("subject_id"), form.get("message")).await {
        Ok(inquiry) => Ok(see_other(&format!("/inquiries/{}?notice=inquiry_sent", inquiry.id))),
        Err(e) => listing_problem(&state, &ctx, &form, e, "message").await,
    }
}

/// `POST /reports`: reports a listing to the platform operator.
pub async fn report(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    user.organization_id()?;
    match api::report_listing(&state, user, form.get("subject_kind"), form.get("subject_id"), form.get("report_reason"))
        .await
    {
        Ok(r) => Ok(see_other(&format!("{}?notice=report_filed", listing_href(&r.entity_kind, &r.entity_id)))),
        Err(e) => listing_problem(&state, &ctx, &form, e, "report_reason").await,
    }
}

// ---------------------------------------------------------------------------------------
// The company's threads
// ---------------------------------------------------------------------------------------

struct ThreadRow {
    href: String,
    title: String,
    listing_href: String,
    kind: String,
    other: String,
    /// "You asked" or "Asked you".
    direction: String,
    last: String,
}

#[derive(Template)]
#[template(path = "inquiries.html")]
struct InquiriesPage {
    page: Chrome,
    rows: Vec<ThreadRow>,
}

/// `GET /inquiries`: the company's threads, asked and received, latest activity first.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let org = user.organization_id()?;
    let tr = ctx.tr();
    let mut names = Names::default();
    let mut rows = Vec::new();
    for inq in state.store.list_inquiries(org).await? {
        let asked = inq.from_org == org;
        let other = if asked { &inq.to_org } else { &inq.from_org };
        rows.push(ThreadRow {
            href: format!("/inquiries/{}", inq.id),
            listing_href: listing_href(&inq.subject_kind, &inq.subject_id),
            kind: tr.t(&format!("kind.{}", inq.subject_kind)).to_string(),
            other: names.of(&state, other).await?,
            direction: tr.t(if asked { "inquiries.you_asked" } else { "inquiries.asked_you" }).to_string(),
            last: when(&inq.last_message_at),
            title: inq.title,
        });
    }
    let page = InquiriesPage { rows, page: ctx.chrome("title.inquiries", "inquiries") };
    Ok(render(StatusCode::OK, &page))
}

struct AttachmentView {
    href: String,
    filename: String,
    kind: &'static str,
}

struct MessageView {
    id: String,
    company: String,
    mine: bool,
    when: String,
    /// For the `datetime` attribute.
    at: String,
    body: String,
    attachment: Option<AttachmentView>,
}

#[derive(Template)]
#[template(path = "inquiry.html")]
struct ThreadPage {
    page: Chrome,
    id: String,
    title: String,
    listing_href: String,
    kind: String,
    other: String,
    messages: Vec<MessageView>,
    summary: Vec<SummaryItem>,
    /// The reply form, unless the other company has blocked the viewer's.
    reply: Option<Vec<Field>>,
    they_blocked: bool,
    we_blocked: bool,
}

/// The thread, when the user's company takes part in it; not found otherwise (also for
/// operators, who have no company).
async fn thread_of(state: &AppState, user: &CurrentUser, id: &str) -> Result<(Inquiry, String), PageError> {
    let org = user.user.organization_id.as_deref().ok_or(ApiError::NotFound)?;
    let inq = state.store.get_inquiry(id).await?;
    if inq.from_org != org && inq.to_org != org {
        return Err(ApiError::NotFound.into());
    }
    Ok((inq, org.to_string()))
}

impl ThreadPage {
    async fn load(
        state: &AppState,
        page: Chrome,
        user: &CurrentUser,
        id: &str,
        message: &str,
        errors: &FormErrors,
    ) -> Result<ThreadPage, PageError> {
        let tr = page.tr;
        let (inq, org) = thread_of(state, user, id).await?;
        let other_id = if inq.from_org == org { &inq.to_org } else { &inq.from_org };
        let mut names = Names::default();
        let other = names.of(state, other_id).await?;
        let mut messages = Vec::new();
        for m in state.store.list_messages(&inq.id).await? {
            let attachment = m.attachment.as_ref().map(|a| AttachmentView {
                href: format!("/api/v1/inquiries/{}/messages/{}/attachment", inq.id, m.id),
                filename: a.filename.clone(),
                kind: match a.content_type.as_str() {
                    "application/pdf" => "PDF",
                    "image/png" => "PNG",
                    "image/jpeg" => "JPEG",
                    _ => "",
                },
            });
            messages.push(MessageView {
                company: names.of(state, &m.from_org).await?,
                mine: m.from_org == org,
                when: when(&m.created_at),
                at: m.created_at.clone(),
                attachment,
                body: m.body,
                id: m.id,
            });
        }
        let they_blocked = state.store.is_blocked(other_id, &org).await?;
        let we_blocked = state.store.is_blocked(&org, other_id).await?;
        let mut fields = vec![
            Field::new(tr, "message", "textarea").max(MESSAGE_MAX).value(message),
            Field::new(tr, "attachment", "file").optional().hint(tr.t("hint.attachment")),
        ];
        fields[0].label = tr.t("inquiry.reply_label").to_string();
        errors.attach(&mut fields);
        Ok(ThreadPage {
            id: inq.id.clone(),
            listing_href: listing_href(&inq.subject_kind, &inq.subject_id),
            kind: tr.t(&format!("kind.{}", inq.subject_kind)).to_string(),
            title: inq.title,
            other,
            messages,
            summary: errors.summary(tr, |input| input.to_string()),
            reply: (!they_blocked).then_some(fields),
            they_blocked,
            we_blocked,
            page,
        })
    }
}

/// `GET /inquiries/{id}`: the thread and the reply form.
pub async fn show(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let chrome = ctx.chrome("title.inquiry", "inquiries");
    let page = ThreadPage::load(&state, chrome, user, &id, "", &FormErrors::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// A chosen file: its name, declared type and content.
type Upload = (String, String, Vec<u8>);

/// A reply as the multipart form sends it.
struct ReplyForm {
    csrf_token: String,
    message: String,
    /// The file part, when a file was chosen: name, declared type, content; or why it
    /// could not be read.
    file: Option<Result<Upload, ApiError>>,
}

/// Reads the CSRF token, the message and the optional file. The form sends the token and
/// the message before the file, so both are known even when the file is too large.
async fn read_reply(mut multipart: Multipart) -> ReplyForm {
    let mut reply = ReplyForm { csrf_token: String::new(), message: String::new(), file: None };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                reply.file = Some(Err(e.into()));
                break;
            }
        };
        match field.name() {
            Some(CSRF_FIELD) => reply.csrf_token = field.text().await.unwrap_or_default(),
            Some("message") => reply.message = field.text().await.unwrap_or_default(),
            Some("attachment") => {
                let sent = field.file_name().map(str::to_string);
                let declared = field.content_type().unwrap_or("application/octet-stream").to_string();
                reply.file = match field.bytes().await {
                    // A form sent without choosing a file has an empty, nameless part.
                    Ok(bytes) if bytes.is_empty() && sent.as_deref().unwrap_or("").is_empty() => None,
                    Ok(bytes) => Some(Ok((
                        api::attachment_name(sent.as_deref().filter(|n| !n.is_empty()), "attachment"),
                        declared,
                        bytes.to_vec(),
                    ))),
                    Err(e) => Some(Err(e.into())),
                };
            }
            _ => {}
        }
    }
    reply
}

/// `POST /inquiries/{id}/messages` (multipart): replies, with a PDF, PNG or JPEG if chosen.
pub async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let mut form = read_reply(multipart).await;
    let user = ctx.signed_in_with(&form.csrf_token)?;
    thread_of(&state, user, &id).await?;
    let tr = ctx.tr();
    let org = user.organization_id()?;
    let mut e = ValidationErrors::new();
    let body = api::message_text(&mut e, &form.message);
    let file = match form.file.take() {
        None => None,
        Some(Ok(file)) => Some(file),
        // A file over the limit: said next to the file input, with the message kept.
        Some(Err(ApiError::Invalid(v))) => {
            e.0.extend(v.0);
            None
        }
        Some(Err(other)) => return Err(other.into()),
    };
    let attachment: Option<NewAttachment<'_>> = match &file {
        Some((name, declared, bytes)) => match api::checked_attachment(name, declared, bytes) {
            Ok(a) => Some(a),
            Err(v) => {
                e.0.extend(v.0);
                None
            }
        },
        None => None,
    };
    let outcome = match body {
        Some(body) if e.is_empty() => {
            match state.store.post_message(&user.actor(), org, &id, &body, attachment.as_ref()).await {
                Ok(_) => Ok(()),
                Err(tradewind_store::StoreError::Refused(_)) => {
                    Err((StatusCode::CONFLICT, FormErrors::general(tr.t("inquiry.refused").to_string())))
                }
                Err(other) => return Err(other.into()),
            }
        }
        _ => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            form_errors(tr, &ApiError::Invalid(e), &[("body", "message"), ("file", "attachment")]).unwrap_or_default(),
        )),
    };
    match outcome {
        Ok(()) => Ok(see_other(&format!("/inquiries/{id}?notice=message_sent"))),
        Err((status, errors)) => {
            let chrome = ctx.chrome_at("title.inquiry", "inquiries", &format!("/inquiries/{id}"));
            let page = ThreadPage::load(&state, chrome, user, &id, &form.message, &errors).await?;
            Ok(render(status, &page))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Blocked companies
// ---------------------------------------------------------------------------------------

struct BlockedView {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "blocks.html")]
struct BlocksPage {
    page: Chrome,
    blocked: Vec<BlockedView>,
    is_admin: bool,
}

/// `GET /company/blocks`: the companies this one has blocked; admins may unblock them.
pub async fn blocks(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let org = user.organization_id()?;
    let mut blocked = Vec::new();
    for id in state.store.list_blocks(org).await? {
        let name = state.store.get_organization(&id).await.map(|o| o.legal_name).unwrap_or_else(|_| id.clone());
        blocked.push(BlockedView { id, name });
    }
    let page = BlocksPage { blocked, is_admin: user.user.is_admin_of(org), page: ctx.chrome("title.blocks", "blocks") };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /company/blocks` (admins): blocks a company's inquiries and messages.
pub async fn block(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.require_admin()?;
    state.store.block(&user.actor(), org, form.get("organization_id").trim()).await?;
    Ok(see_other("/company/blocks?notice=company_blocked"))
}

/// `POST /company/blocks/{id}/unblock` (admins)
pub async fn unblock(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.require_admin()?;
    state.store.unblock(&user.actor(), org, &id).await?;
    Ok(see_other("/company/blocks?notice=company_unblocked"))
}

// ---------------------------------------------------------------------------------------
// The operator's reports
// ---------------------------------------------------------------------------------------

struct ReportView {
    id: String,
    kind: String,
    title: String,
    href: String,
    owner: String,
    reporter: String,
    reason: String,
    filed: String,
    note: Field,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    page: Chrome,
    reports: Vec<ReportView>,
}

/// `GET /operator/reports` (operators): open reports, oldest first, each with the hide and
/// dismiss form.
pub async fn reports(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    user.require_operator()?;
    let tr = ctx.tr();
    let mut names = Names::default();
    let mut reports = Vec::new();
    for r in state.store.open_reports().await? {
        let Some(kind) = ListingKind::parse(&r.entity_kind) else { continue };
        let (owner, title, _) = state.store.listing_owner(kind, &r.entity_id).await?;
        let mut note = Field::new(tr, "note", "textarea").optional().max(NOTE_MAX).hint(tr.t("hint.decision_note"));
        note.id = format!("note-{}", r.id);
        reports.push(ReportView {
            kind: tr.t(&format!("kind.{}", kind.as_str())).to_string(),
            href: listing_href(kind.as_str(), &r.entity_id),
            title,
            owner: names.of(&state, &owner).await?,
            reporter: names.of(&state, &r.reporter_org).await?,
            filed: when(&r.created_at),
            reason: r.reason,
            note,
            id: r.id,
        });
    }
    let page = ReportsPage { reports, page: ctx.chrome("title.reports", "reports") };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /operator/reports/{id}/decision` (operators): hides the listing or dismisses the
/// report, with a note.
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    user.require_operator()?;
    let user = ctx.signed_in_with(form.csrf_token())?;
    let decided = api::decide_report(&state, user, &id, form.get("decision"), form.get("note")).await?;
    let notice = if decided.status == "hidden" { "listing_hidden" } else { "report_dismissed" };
    Ok(see_other(&format!("/operator/reports?notice={notice}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    #[test]
    fn times_read_to_the_minute() {
        assert_eq!(when("2026-11-26T04:39:51.123456Z"), "2026-11-26 04:39 UTC");
        assert_eq!(when("soon"), "soon");
    }

    #[test]
    fn listings_link_to_their_pages() {
        assert_eq!(listing_href("product", "p1"), "/products/p1");
        assert_eq!(listing_href("lead", "l1"), "/leads/l1");
    }

    #[test]
    fn api_errors_land_on_the_page_inputs() {
        let tr = Tr::new(Lang::En);
        let mut v = ValidationErrors::new();
        api::message_text(&mut v, "   ");
        v.push("file", "unsupported_type", "no");
        let e = form_errors(tr, &ApiError::Invalid(v), &[("body", "message"), ("file", "attachment")])
            .expect("field errors");
        assert_eq!(e.get("message"), Some(tr.t("err.message.required")));
        assert_eq!(e.get("attachment"), Some(tr.t("err.unsupported_type")));
        assert!(form_errors(tr, &ApiError::NotFound, &[]).is_none());
        let too_long = "x".repeat(MESSAGE_MAX + 1);
        let mut v = ValidationErrors::new();
        assert!(api::message_text(&mut v, &too_long).is_none());
        let e = form_errors(tr, &ApiError::Invalid(v), &[("body", "message")]).expect("field errors");
        assert_eq!(e.get("message"), Some(tr.t("err.message.too_long")));
    }
}
