//! The logged-in user's company: its profile and verification status, evidence documents,
//! products, users and invitations.

use super::forms::{Field, FormData, FormErrors, SummaryItem};
use super::i18n::Tr;
use super::page::{CSRF_FIELD, Chrome, Ctx, PageError, render, see_other};
use crate::AppState;
use crate::api::organizations::create_invitation;
use crate::auth::CurrentUser;
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use tradewind_domain::organization::{MemberRole, VerificationEvent, VerificationStatus, check_evidence};
use tradewind_store::{Evidence, Invitation, Organization, Product, User};

/// The verification badge shown next to a company's name.
pub struct Badge {
    /// `verified`, `pending` or `rejected`: the CSS modifier.
    pub kind: &'static str,
    pub label: String,
}

impl Badge {
    pub fn of(tr: Tr, status: &VerificationStatus) -> Badge {
        let kind = status.label();
        Badge { kind, label: tr.t(&format!("status.{kind}")).to_string() }
    }
}

/// A company as its profile page and the operator's queue show it.
pub struct CompanyView {
    pub id: String,
    pub legal_name: String,
    pub badge: Badge,
    pub rejection_reason: Option<String>,
    pub country: String,
    pub registration_number: String,
    pub lei: Option<String>,
    pub address: String,
    pub contact: String,
    pub roles: String,
    pub registered_on: String,
}

impl CompanyView {
    pub fn of(tr: Tr, o: &Organization) -> CompanyView {
        let rejection_reason = match &o.verification {
            VerificationStatus::Rejected { reason } => Some(reason.clone()),
            _ => None,
        };
        let address = [o.address.street.as_str(), o.address.postal_code.as_str(), o.address.city.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        let contact = [o.contact.name.as_str(), o.contact.email.as_str(), o.contact.phone.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        let roles = o.roles.iter().map(|r| tr.t(&format!("role.{}", r.as_str())).to_string()).collect::<Vec<_>>();
        CompanyView {
            id: o.id.clone(),
            legal_name: o.legal_name.clone(),
            badge: Badge::of(tr, &o.verification),
            rejection_reason,
            country: format!("{} ({})", o.country.name(), o.country),
            registration_number: o.registration_number.clone(),
            lei: o.lei.as_ref().map(|l| l.to_string()),
            address,
            contact,
            roles: roles.join(tr.t("list.separator")),
            registered_on: day(&o.created_at),
        }
    }
}

/// The date part of a stored RFC 3339 time.
pub fn day(stored: &str) -> String {
    stored.get(..10).unwrap_or(stored).to_string()
}

/// An evidence document with its download link (the API route, which accepts the cookie).
pub struct EvidenceView {
    pub href: String,
    pub filename: String,
    pub kind: &'static str,
    pub size: String,
    pub uploaded_on: String,
}

impl EvidenceView {
    pub fn of(e: &Evidence) -> EvidenceView {
        let kind = match e.content_type.as_str() {
            "application/pdf" => "PDF",
            "image/png" => "PNG",
            "image/jpeg" => "JPEG",
            _ => "",
        };
        EvidenceView {
            href: format!("/api/v1/organizations/{}/evidence/{}", e.organization_id, e.id),
            filename: e.filename.clone(),
            kind,
            size: size_text(e.size),
            uploaded_on: day(&e.created_at),
        }
    }
}

/// A file size a person reads at a glance.
fn size_text(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / 1024.0 / 1024.0),
    }
}

pub struct ProductView {
    pub title: String,
    pub description: String,
    pub hs_code: String,
    pub origin_country: String,
}

impl From<&Product> for ProductView {
    fn from(p: &Product) -> Self {
        ProductView {
            title: p.listing.title.clone(),
            description: p.listing.description.clone(),
            hs_code: p.listing.hs_code.to_string(),
            origin_country: p.listing.origin_country.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "company.html")]
struct CompanyPage {
    page: Chrome,
    company: CompanyView,
    is_admin: bool,
    evidence: Vec<EvidenceView>,
    products: Vec<ProductView>,
    upload: Field,
    summary: Vec<SummaryItem>,
    /// Where the company is paid: (holder, IBAN, BIC), if it gave an account.
    bank_account: Option<(String, String, String)>,
}

impl CompanyPage {
    async fn load(
        state: &AppState,
        page: Chrome,
        user: &CurrentUser,
        errors: &FormErrors,
    ) -> Result<CompanyPage, PageError> {
        let tr = page.tr;
        let org_id = user.organization_id()?;
        let org = state.store.get_organization(org_id).await?;
        let evidence = state.store.list_evidence(org_id).await?.iter().map(EvidenceView::of).collect();
        let products = state.store.list_products(org_id).await?.iter().map(ProductView::from).collect();
        let mut upload = Field::new(tr, "file", "file").hint(tr.t("hint.evidence"));
        errors.attach(std::slice::from_mut(&mut upload));
        let bank_account = state.store.bank_account(org_id).await?.map(|b| {
            let (iban, bic) = match &b.account {
                tradewind_domain::deal::pain001::BankAccount::Iban { iban, bic } => {
                    (iban.formatted(), bic.as_ref().map(|c| c.as_str().to_string()).unwrap_or_default())
                }
                tradewind_domain::deal::pain001::BankAccount::AccountNumber { number, bic } => {
                    (number.as_str().to_string(), bic.as_str().to_string())
                }
            };
            (b.holder_name, iban, bic)
        });
        Ok(CompanyPage {
            bank_account,
            company: CompanyView::of(tr, &org),
            is_admin: user.user.is_admin_of(org_id),
            evidence,
            products,
            upload,
            summary: errors.summary(tr, |input| input.to_string()),
            page,
        })
    }
}

/// `GET /company`: the company profile; operators, who have none, go to their queue.
pub async fn profile(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    if user.user.is_operator {
        return Ok(see_other("/operator/queue"));
    }
    let page = CompanyPage::load(&state, ctx.chrome("title.company", "company"), user, &FormErrors::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// `POST /company/bank-account`: an admin sets the account the company is paid to.
pub async fn set_bank_account(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.require_admin()?.to_string();
    let bic = form.get("bic");
    match crate::api::payments::bank_account_from(form.get("holder_name"), form.get("iban"), Some(bic)) {
        Ok((holder, account)) => {
            state.store.set_bank_account(&user.actor(), &org, &holder, &account).await?;
            Ok(see_other("/company?notice=bank_account_set#bank-account"))
        }
        Err(e) => {
            // The error summary at the top names each field and what is wrong with it.
            let errors = FormErrors::from_api(ctx.tr(), &e).ok_or(PageError(e))?;
            let page =
                CompanyPage::load(&state, ctx.chrome_at("title.company", "company", "/company"), user, &errors).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// An evidence upload as the form sends it.
struct EvidenceUpload {
    csrf_token: String,
    file: Result<(String, String, Vec<u8>), ApiError>,
}

/// Reads the CSRF token and the `file` part. The form puts the token first, so it is known
/// even when the file turns out too large to read.
async fn read_evidence_form(mut multipart: Multipart) -> EvidenceUpload {
    let mut upload = EvidenceUpload { csrf_token: String::new(), file: Err(no_file()) };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                upload.file = Err(e.into());
                break;
            }
        };
        match field.name() {
            Some(CSRF_FIELD) => upload.csrf_token = field.text().await.unwrap_or_default(),
            Some("file") => {
                let filename = field.file_name().unwrap_or("").chars().take(200).collect::<String>();
                let declared = field.content_type().unwrap_or("application/octet-stream").to_string();
                upload.file = match field.bytes().await {
                    // A form sent without choosing a file has an empty, nameless part.
                    Ok(bytes) if bytes.is_empty() && filename.is_empty() => Err(no_file()),
                    Ok(bytes) => {
                        Ok((if filename.is_empty() { "evidence".into() } else { filename }, declared, bytes.to_vec()))
                    }
                    Err(e) => Err(e.into()),
                };
            }
            _ => {}
        }
    }
    upload
}

fn no_file() -> ApiError {
    ApiError::field("file", "required", "choose a file to upload")
}

/// `POST /company/evidence` (admins): stores a PDF, PNG or JPEG after checking its content.
pub async fn upload_evidence(
    State(state): State<AppState>,
    ctx: Ctx,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let upload = read_evidence_form(multipart).await;
    let user = ctx.signed_in_with(&upload.csrf_token)?;
    let org = user.require_admin()?;
    let checked = upload.file.and_then(|(name, declared, bytes)| {
        let kind = check_evidence(&declared, &bytes)?;
        Ok((name, kind, bytes))
    });
    match checked {
        Ok((name, kind, bytes)) => {
            let ev = state.store.add_evidence(org, &user.actor(), &name, kind.mime(), &bytes).await?;
            tracing::info!(organization_id = %org, evidence_id = %ev.id, "evidence uploaded from the web");
            Ok(see_other("/company?notice=evidence_uploaded"))
        }
        Err(e) => {
            let errors = FormErrors::from_api(ctx.tr(), &e).ok_or(PageError(e))?;
            let page =
                CompanyPage::load(&state, ctx.chrome_at("title.company", "company", "/company"), user, &errors).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// `POST /company/resubmit` (admins): asks for another review after a rejection.
pub async fn resubmit(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.require_admin()?;
    state.store.change_verification(org, VerificationEvent::Resubmit, &user.actor()).await?;
    Ok(see_other("/company?notice=review_requested"))
}

/// The cookie that carries a new invitation's secret to the one page view that shows it.
const INVITE_FLASH_COOKIE: &str = "tw_new_invitation";
const USERS_PATH: &str = "/company/users";

pub struct UserView {
    pub name: String,
    pub email: String,
    pub role: String,
    pub is_you: bool,
}

pub struct InvitationView {
    pub email: String,
    pub role: String,
    /// `pending`, `accepted` or `expired`.
    pub state: &'static str,
    pub state_label: String,
    pub expires_on: String,
}

fn role_label(tr: Tr, role: Option<MemberRole>) -> String {
    role.map(|r| tr.t(&format!("member_role.{}", r.as_str())).to_string()).unwrap_or_default()
}

impl UserView {
    fn of(tr: Tr, u: &User, me: &str) -> UserView {
        UserView {
            name: u.name.clone(),
            email: u.email.clone(),
            role: role_label(tr, u.member_role),
            is_you: u.id == me,
        }
    }
}

impl InvitationView {
    fn of(tr: Tr, i: &Invitation, now: &str) -> InvitationView {
        let state = match &i.accepted_at {
            Some(_) => "accepted",
            None if i.expires_at.as_str() <= now => "expired",
            None => "pending",
        };
        let state_label = tr.t(&format!("invitation.{state}")).to_string();
        InvitationView {
            email: i.email.clone(),
            role: role_label(tr, Some(i.member_role)),
            state,
            state_label,
            expires_on: day(&i.expires_at),
        }
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    page: Chrome,
    company: String,
    company_badge: Badge,
    users: Vec<UserView>,
    is_admin: bool,
    invitations: Vec<InvitationView>,
    /// The link to send to a colleague, right after the invitation was made.
    new_link: Option<String>,
    summary: Vec<SummaryItem>,
    fields: Vec<Field>,
}

impl UsersPage {
    async fn load(
        state: &AppState,
        page: Chrome,
        user: &CurrentUser,
        form: &FormData,
        errors: &FormErrors,
    ) -> Result<UsersPage, PageError> {
        let tr = page.tr;
        let org_id = user.organization_id()?;
        let org = state.store.get_organization(org_id).await?;
        let is_admin = user.user.is_admin_of(org_id);
        let users = state.store.list_users(org_id).await?.iter().map(|u| UserView::of(tr, u, &user.user.id)).collect();
        let now = tradewind_store::now_text();
        let invitations = if is_admin {
            state.store.list_invitations(org_id).await?.iter().map(|i| InvitationView::of(tr, i, &now)).collect()
        } else {
            Vec::new()
        };
        let role = if form.get("role").is_empty() { "member" } else { form.get("role") };
        let roles = [MemberRole::Member, MemberRole::Admin].map(|r| (r.as_str().to_string(), role_label(tr, Some(r))));
        let mut fields = vec![
            Field::new(tr, "email", "email").value(form.get("email")).max(254),
            Field::new(tr, "role", "select").value(role).options(roles),
        ];
        errors.attach(&mut fields);
        Ok(UsersPage {
            company: org.legal_name.clone(),
            company_badge: Badge::of(tr, &org.verification),
            users,
            is_admin,
            invitations,
            new_link: None,
            summary: errors.summary(tr, |input| input.to_string()),
            fields,
            page,
        })
    }
}

/// The full address of an invitation link, from the address the admin is using.
fn invitation_link(state: &AppState, headers: &HeaderMap, token: &str) -> String {
    let path = format!("/invitations/accept?{}", serde_urlencoded::to_string([("token", token)]).unwrap_or_default());
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).filter(|h| !h.contains(['/', ' ', '"', '<']));
    match host {
        Some(host) => format!("{}://{host}{path}", if state.settings.secure_cookies { "https" } else { "http" }),
        None => path,
    }
}

/// `GET /company/users`: the company's users and, for admins, invitations.
pub async fn users(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    if user.user.is_operator {
        return Ok(see_other("/operator/queue"));
    }
    let mut page =
        UsersPage::load(&state, ctx.chrome("title.users", "users"), user, &FormData::default(), &FormErrors::default())
            .await?;
    let flash = jar.get(INVITE_FLASH_COOKIE).map(|c| c.value().to_string());
    if page.is_admin {
        page.new_link = flash.as_deref().map(|token| invitation_link(&state, &headers, token));
    }
    let jar = match flash {
        Some(_) => jar.remove(Cookie::build(INVITE_FLASH_COOKIE).path(USERS_PATH).build()),
        None => jar,
    };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /company/invitations` (admins): invites a colleague; the link is shown once on
/// the users page that follows.
pub async fn invite(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    match create_invitation(&state, user, form.get("email"), Some(form.get("role"))).await {
        Ok((invitation, token)) => {
            tracing::info!(invitation_id = %invitation.id, "invitation created from the web");
            let flash = Cookie::build((INVITE_FLASH_COOKIE, token))
                .path(USERS_PATH)
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(state.settings.secure_cookies)
                .max_age(time::Duration::minutes(5))
                .build();
            Ok((jar.add(flash), see_other("/company/users?notice=invitation_created")).into_response())
        }
        Err(e) => {
            let errors = FormErrors::from_api(ctx.tr(), &e).ok_or(PageError(e))?;
            let page = UsersPage::load(&state, ctx.chrome_at("title.users", "users", USERS_PATH), user, &form, &errors)
                .await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_at_a_glance() {
        assert_eq!(size_text(900), "900 B");
        assert_eq!(size_text(2048), "2.0 KiB");
        assert_eq!(size_text(3 * 1024 * 1024), "3.0 MiB");
    }

    #[test]
    fn days_come_from_stored_times() {
        assert_eq!(day("2025-11-26T03:28:00.000000Z"), "2025-11-26");
        assert_eq!(day("short"), "short");
    }
}
