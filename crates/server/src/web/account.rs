//! Signing up a company with its first admin, logging in and out, and accepting an
//! invitation to join a company.

use super::forms::{Choice, Field, FormData, FormErrors, SummaryItem};
use super::i18n::Tr;
use super::page::{Chrome, Ctx, PageError, render, see_other};
use crate::AppState;
use crate::api::ClientAddr;
use crate::api::accounts::{self, AddressIn, AdminIn, ContactIn, RegistrationIn};
use crate::auth::{self, SESSION_COOKIE};
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;
use std::net::SocketAddr;
use tradewind_domain::CountryCode;
use tradewind_domain::organization::TradeRole;

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    page: Chrome,
    summary: Vec<SummaryItem>,
    company: Vec<Field>,
    address: Vec<Field>,
    contact: Vec<Field>,
    roles: Vec<Choice>,
    roles_error: Option<String>,
    admin: Vec<Field>,
}

impl SignupPage {
    fn new(page: Chrome, form: &FormData, errors: &FormErrors) -> SignupPage {
        let tr = page.tr;
        let text = |id: &str, kind| Field::new(tr, id, kind).value(form.get(id));
        let mut company = vec![
            text("legal_name", "text").autocomplete("organization"),
            Field::new(tr, "country", "select")
                .value(form.get("country"))
                .autocomplete("country")
                .options(countries(tr)),
            text("registration_number", "text").max(64).hint(tr.t("hint.registration_number")),
            text("lei", "text").optional().max(20).hint(tr.t("hint.lei")),
        ];
        let mut address = vec![
            text("address_street", "text").autocomplete("street-address"),
            text("address_city", "text").max(100).autocomplete("address-level2"),
            text("address_postal_code", "text").optional().max(20).autocomplete("postal-code"),
        ];
        let mut contact = vec![
            text("contact_name", "text").max(100).autocomplete("name"),
            text("contact_email", "email").max(254).autocomplete("email"),
            text("contact_phone", "tel").optional().max(40).autocomplete("tel"),
        ];
        let mut admin = vec![
            text("admin_name", "text").max(100).autocomplete("name"),
            text("admin_email", "email").max(254).autocomplete("username"),
            Field::new(tr, "admin_password", "password")
                .max(128)
                .autocomplete("new-password")
                .hint(tr.t("hint.password")),
        ];
        for group in [&mut company, &mut address, &mut contact, &mut admin] {
            errors.attach(group);
        }
        let ticked = form.all("roles");
        let roles = TradeRole::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str().to_string(),
                label: tr.t(&format!("role.{}", r.as_str())).to_string(),
                selected: ticked.iter().any(|t| t == r.as_str()),
            })
            .collect();
        SignupPage {
            summary: errors.summary(tr, |input| input.to_string()),
            company,
            address,
            contact,
            roles,
            roles_error: errors.get("roles").map(str::to_string),
            admin,
            page,
        }
    }
}

/// Every country, by name, for the select; the first entry asks to choose.
pub(super) fn countries(tr: Tr) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = CountryCode::all()
        .into_iter()
        .map(|c| (c.as_str().to_string(), format!("{} ({})", c.name(), c.as_str())))
        .collect();
    all.sort_by(|a, b| a.1.cmp(&b.1));
    all.insert(0, (String::new(), tr.t("signup.choose_country").to_string()));
    all
}

/// `GET /signup`
pub async fn signup_form(ctx: Ctx) -> Response {
    render(
        StatusCode::OK,
        &SignupPage::new(ctx.chrome("title.signup", "signup"), &FormData::default(), &FormErrors::default()),
    )
}

fn registration_of(form: &FormData) -> RegistrationIn {
    let lei = form.get("lei").trim();
    RegistrationIn {
        legal_name: form.get("legal_name").into(),
        country: form.get("country").into(),
        registration_number: form.get("registration_number").into(),
        address: AddressIn {
            street: form.get("address_street").into(),
            city: form.get("address_city").into(),
            postal_code: form.get("address_postal_code").into(),
        },
        contact: ContactIn {
            name: form.get("contact_name").into(),
            email: form.get("contact_email").into(),
            phone: form.get("contact_phone").into(),
        },
        lei: (!lei.is_empty()).then(|| lei.to_string()),
        roles: form.all("roles"),
        admin: AdminIn {
            name: form.get("admin_name").into(),
            email: form.get("admin_email").into(),
            password: form.get("admin_password").into(),
        },
    }
}

/// `POST /signup`: registers the company and logs its admin in.
pub async fn signup(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(client): ClientAddr,
    jar: CookieJar,
    form: FormData,
) -> Result<Response, PageError> {
    match accounts::register_company(&state, registration_of(&form)).await {
        Ok(registered) => {
            let email = registered.user.email;
            log_in(&state, client, jar, &email, form.get("admin_password"), "/company?notice=registered").await
        }
        Err(e) => {
            let errors = FormErrors::from_api(ctx.tr(), &e).ok_or(PageError(e))?;
            let page = SignupPage::new(ctx.chrome_at("title.signup", "signup", "/signup"), &form, &errors);
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// Opens a session for a user who just proved the password, and goes to `to`.
async fn log_in(
    state: &AppState,
    client: Option<SocketAddr>,
    jar: CookieJar,
    email: &str,
    password: &str,
    to: &str,
) -> Result<Response, PageError> {
    let (_, session, _) = accounts::open_session(state, client, email, password).await?;
    Ok((jar.add(accounts::session_cookie(state, session)), see_other(to)).into_response())
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Chrome,
    summary: Vec<SummaryItem>,
    fields: Vec<Field>,
}

impl LoginPage {
    fn new(page: Chrome, email: &str, errors: &FormErrors) -> LoginPage {
        let tr = page.tr;
        let mut fields = vec![
            Field::new(tr, "email", "email").value(email).max(254).autocomplete("username"),
            Field::new(tr, "password", "password").max(128).autocomplete("current-password"),
        ];
        errors.attach(&mut fields);
        LoginPage { summary: errors.summary(tr, |input| input.to_string()), fields, page }
    }
}

/// `GET /login`
pub async fn login_form(ctx: Ctx) -> Response {
    render(StatusCode::OK, &LoginPage::new(ctx.chrome("title.login", "login"), "", &FormErrors::default()))
}

/// `POST /login`
pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(client): ClientAddr,
    jar: CookieJar,
    form: FormData,
) -> Result<Response, PageError> {
    let (email, password) = (form.get("email"), form.get("password"));
    match accounts::open_session(&state, client, email, password).await {
        Ok((user, session, _)) => {
            let to = if user.is_operator { "/operator/queue" } else { "/company" };
            Ok((jar.add(accounts::session_cookie(&state, session)), see_other(to)).into_response())
        }
        Err(e) => {
            let tr = ctx.tr();
            let (status, errors) = match &e {
                ApiError::TooManyRequests { retry_after_secs } => {
                    let minutes = retry_after_secs.div_ceil(60).to_string();
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        FormErrors::general(tr.fill("login.too_many", &[("minutes", &minutes)])),
                    )
                }
                _ => (StatusCode::UNPROCESSABLE_ENTITY, FormErrors::from_api(tr, &e).ok_or(PageError(e))?),
            };
            Ok(render(status, &LoginPage::new(ctx.chrome_at("title.login", "login", "/login"), email, &errors)))
        }
    }
}

/// `POST /logout`: ends the session (the form carries the session's CSRF token).
pub async fn logout(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    form: FormData,
) -> Result<Response, PageError> {
    if ctx.user.is_none() {
        return Ok(see_other("/"));
    }
    ctx.signed_in_with(form.csrf_token())?;
    if let Some(c) = jar.get(SESSION_COOKIE) {
        state.store.delete_session(&auth::secret_hash(c.value())).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/").build());
    Ok((jar, see_other("/?notice=signed_out")).into_response())
}

#[derive(Template)]
#[template(path = "accept.html")]
struct AcceptPage {
    page: Chrome,
    summary: Vec<SummaryItem>,
    /// `None` when the link is wrong, expired or used.
    invitation: Option<InvitationView>,
    token: String,
    fields: Vec<Field>,
}

struct InvitationView {
    /// "You are invited to join …", naming the company.
    intro: String,
    email: String,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

impl AcceptPage {
    /// Looks the invitation up by its link's token; an unknown token shows the page without
    /// a form.
    async fn load(state: &AppState, page: Chrome, token: &str, name: &str, errors: &FormErrors) -> AcceptPage {
        let tr = page.tr;
        let invitation = match state.store.find_open_invitation(&auth::secret_hash(token.trim())).await {
            Ok(inv) => state.store.get_organization(&inv.organization_id).await.ok().map(|org| InvitationView {
                intro: tr.fill("accept.intro", &[("company", &org.legal_name)]),
                email: inv.email,
            }),
            Err(_) => None,
        };
        let mut fields = vec![
            Field::new(tr, "name", "text").value(name).max(100).autocomplete("name"),
            Field::new(tr, "password", "password").max(128).autocomplete("new-password").hint(tr.t("hint.password")),
        ];
        errors.attach(&mut fields);
        AcceptPage {
            summary: errors.summary(tr, |input| input.to_string()),
            invitation,
            token: token.to_string(),
            fields,
            page,
        }
    }

    fn status(&self) -> StatusCode {
        if self.invitation.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND }
    }
}

/// `GET /invitations/accept?token=…`
pub async fn accept_form(State(state): State<AppState>, ctx: Ctx, Query(q): Query<TokenQuery>) -> Response {
    let page = AcceptPage::load(&state, ctx.chrome("title.accept", ""), &q.token, "", &FormErrors::default()).await;
    render(page.status(), &page)
}

/// `POST /invitations/accept`: creates the invited user and logs them in.
pub async fn accept(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(client): ClientAddr,
    jar: CookieJar,
    form: FormData,
) -> Result<Response, PageError> {
    let (token, name, password) = (form.get("token"), form.get("name"), form.get("password"));
    match accounts::accept(&state, token, name, password).await {
        Ok(user) => log_in(&state, client, jar, &user.email, password, "/company?notice=welcome").await,
        Err(e) => {
            let errors = FormErrors::from_api(ctx.tr(), &e).ok_or(PageError(e))?;
            let here =
                format!("/invitations/accept?{}", serde_urlencoded::to_string([("token", token)]).unwrap_or_default());
            let page = AcceptPage::load(&state, ctx.chrome_at("title.accept", "", &here), token, name, &errors).await;
            let status = if page.invitation.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { page.status() };
            Ok(render(status, &page))
        }
    }
}
