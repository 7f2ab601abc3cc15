//! What every page shares: the request context ([`Ctx`]), the page frame ([`Chrome`]),
//! rendering, redirects, page-shaped errors ([`PageError`]) and the layer that picks the
//! language and adds security headers.

use super::i18n::{self, LANG_COOKIE, Lang, Tr};
use crate::AppState;
use crate::auth::{self, CurrentUser};
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use std::convert::Infallible;

/// The name of the hidden CSRF field in every form that changes something.
pub const CSRF_FIELD: &str = "csrf_token";

/// Who is asking, in which language, for which page.
pub struct Ctx {
    pub lang: Lang,
    pub user: Option<CurrentUser>,
    /// Path and query of this request, for the language switcher.
    here: String,
    is_get: bool,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let lang =
            parts.extensions.get::<Lang>().copied().unwrap_or_else(|| language_of(&parts.headers, parts.uri.query()));
        // A broken or expired session reads as "not logged in": pages then offer the login.
        let user = auth::authenticate(parts, state).await.ok().flatten();
        let here = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        Ok(Ctx { lang, user, here, is_get: parts.method == axum::http::Method::GET })
    }
}

impl Ctx {
    pub fn tr(&self) -> Tr {
        Tr::new(self.lang)
    }

    /// The logged-in user, or a redirect to the login page.
    pub fn signed_in(&self) -> Result<&CurrentUser, PageError> {
        self.user.as_ref().ok_or(PageError(ApiError::Unauthenticated))
    }

    /// The logged-in user, after checking the form's CSRF token against the session's.
    pub fn signed_in_with(&self, csrf_token: &str) -> Result<&CurrentUser, PageError> {
        let user = self.signed_in()?;
        user.check_form_csrf(csrf_token)?;
        Ok(user)
    }

    /// The frame of a page answering a GET: the switcher links back to this very URL.
    pub fn chrome(&self, title_key: &str, section: &'static str) -> Chrome {
        let notice = if self.is_get { notice_of(&self.here, self.tr()) } else { None };
        self.frame(title_key, section, &self.here.clone(), notice)
    }

    /// The frame of a page re-rendered for a POST: the switcher links to the page's GET
    /// address `path` instead of the form's target.
    pub fn chrome_at(&self, title_key: &str, section: &'static str, path: &str) -> Chrome {
        self.frame(title_key, section, path, None)
    }

    fn frame(&self, title_key: &str, section: &'static str, path: &str, notice: Option<&'static str>) -> Chrome {
        let tr = self.tr();
        Chrome {
            tr,
            title: tr.t(title_key).to_string(),
            section,
            user: self.user.as_ref().map(NavUser::from),
            csrf_token: self.user.as_ref().map(|u| u.csrf_token().to_string()).unwrap_or_default(),
            switch: LangSwitch::new(self.lang.other(), path),
            notice,
        }
    }
}

fn language_of(headers: &HeaderMap, query: Option<&str>) -> Lang {
    let jar = CookieJar::from_headers(headers);
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    i18n::negotiate(i18n::query_lang(query).map(Lang::code), jar.get(LANG_COOKIE).map(|c| c.value()), accept)
}

/// A short confirmation after a redirect: `?notice=<name>` naming a `notice.<name>` text.
/// Only names in the catalogue are shown, so a link cannot put words on the page.
fn notice_of(here: &str, tr: Tr) -> Option<&'static str> {
    let query = here.split_once('?')?.1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    let (_, name) = pairs.iter().find(|(k, _)| k == "notice")?;
    if name.chars().all(|c| c.is_ascii_lowercase() || c == '_') { tr.lookup(&format!("notice.{name}")) } else { None }
}

/// The parts of the page around its content: header, navigation, language switcher.
pub struct Chrome {
    pub tr: Tr,
    pub title: String,
    /// Which navigation entry is the current page (`aria-current`).
    pub section: &'static str,
    pub user: Option<NavUser>,
    /// For the logout form in the header.
    pub csrf_token: String,
    pub switch: LangSwitch,
    pub notice: Option<&'static str>,
}

impl Chrome {
    /// The frame of an error page, which knows nothing about the visitor.
    pub fn bare(lang: Lang, title: &str) -> Chrome {
        let tr = Tr::new(lang);
        Chrome {
            tr,
            title: tr.t(title).to_string(),
            section: "",
            user: None,
            csrf_token: String::new(),
            switch: LangSwitch::new(lang.other(), "/"),
            notice: None,
        }
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.tr.t(key)
    }
}

/// What the header shows about the logged-in user.
pub struct NavUser {
    pub name: String,
    pub is_operator: bool,
    pub has_company: bool,
}

impl From<&CurrentUser> for NavUser {
    fn from(u: &CurrentUser) -> Self {
        NavUser {
            name: u.user.name.clone(),
            is_operator: u.user.is_operator,
            has_company: u.user.organization_id.is_some(),
        }
    }
}

/// The link to the same page in the other language.
pub struct LangSwitch {
    pub href: String,
    pub label: &'static str,
    pub html_lang: &'static str,
}

impl LangSwitch {
    fn new(target: Lang, here: &str) -> LangSwitch {
        let (path, query) = here.split_once('?').unwrap_or((here, ""));
        let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        pairs.retain(|(k, _)| k != "lang" && k != "notice");
        pairs.push(("lang".into(), target.code().into()));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_else(|_| format!("lang={}", target.code()));
        LangSwitch { href: format!("{path}?{query}"), label: target.own_name(), html_lang: target.html_lang() }
    }
}

/// Renders a template with a status; a template that fails to render is a 500.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => PageError(ApiError::Internal(format!("template: {e}"))).into_response(),
    }
}

/// Post/Redirect/Get: "see other" to a page.
pub fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

/// What can stop a page: a redirect to the login page for visitors who are not logged in,
/// otherwise an error page in the visitor's language (drawn by [`web_layer`]).
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

/// Which error page to draw; set on an error response for [`web_layer`] to fill in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    NotFound,
    Forbidden,
    Csrf,
    Refused,
    TooMany,
    BadRequest,
    Internal,
}

impl Failure {
    fn of(e: &ApiError) -> Failure {
        match e {
            ApiError::NotFound => Failure::NotFound,
            ApiError::Forbidden => Failure::Forbidden,
            ApiError::CsrfMismatch => Failure::Csrf,
            ApiError::Refused(_) | ApiError::Conflict { .. } => Failure::Refused,
            ApiError::TooManyRequests { .. } => Failure::TooMany,
            ApiError::Internal(_) | ApiError::Unavailable(_) => Failure::Internal,
            _ => Failure::BadRequest,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Failure::NotFound => "not_found",
            Failure::Forbidden => "forbidden",
            Failure::Csrf => "csrf",
            Failure::Refused => "refused",
            Failure::TooMany => "too_many",
            Failure::BadRequest => "bad_request",
            Failure::Internal => "internal",
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let ApiError::Unauthenticated = self.0 {
            return see_other("/login");
        }
        if let ApiError::Internal(e) = &self.0 {
            tracing::error!(error = %e, "internal error on a page");
        }
        let failure = Failure::of(&self.0);
        let status = StatusCode::from_u16(self.0.problem().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        error_page(status, failure, Lang::En)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Chrome,
    message: String,
}

/// An error page; [`web_layer`] draws it again in the visitor's language.
pub fn error_page(status: StatusCode, failure: Failure, lang: Lang) -> Response {
    let page = ErrorPage {
        page: Chrome::bare(lang, &format!("failure.{}.title", failure.name())),
        message: Tr::new(lang).t(&format!("failure.{}.text", failure.name())).to_string(),
    };
    let mut res = match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, failure.name()).into_response(),
    };
    res.extensions_mut().insert(failure);
    res
}

/// Around every page: settles the language (and remembers a `?lang=` choice in a cookie),
/// draws error pages in that language, and adds the security headers.
pub async fn web_layer(mut req: Request, next: Next) -> Response {
    let lang = language_of(req.headers(), req.uri().query());
    let chosen = i18n::query_lang(req.uri().query());
    req.extensions_mut().insert(lang);
    let mut res = next.run(req).await;
    if let Some(failure) = res.extensions().get::<Failure>().copied() {
        let status = res.status();
        res = error_page(status, failure, lang);
    }
    if let Some(chosen) = chosen {
        let cookie = Cookie::build((LANG_COOKIE, chosen.code()))
            .path("/")
            .same_site(SameSite::Lax)
            .http_only(true)
            .max_age(time::Duration::days(365))
            .build();
        if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    let headers = res.headers_mut();
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        // Invitation links carry their secret in the query: never send it elsewhere.
        ("referrer-policy", "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(header::VARY, HeaderValue::from_static("Cookie, Accept-Language"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switcher_keeps_the_query_but_replaces_the_language() {
        let s = LangSwitch::new(Lang::Zh, "/invitations/accept?token=inv_abc&lang=en&notice=welcome");
        assert_eq!(s.href, "/invitations/accept?token=inv_abc&lang=zh");
        assert_eq!(LangSwitch::new(Lang::En, "/").href, "/?lang=en");
        assert_eq!(s.label, "简体中文");
    }

    #[test]
    fn only_catalogued_notices_are_shown() {
        let tr = Tr::new(Lang::En);
        assert!(notice_of("/company?notice=evidence_uploaded", tr).is_some());
        assert_eq!(notice_of("/company?notice=you_have_won", tr), None);
        assert_eq!(notice_of("/company?notice=../nav.login", tr), None);
        assert_eq!(notice_of("/company", tr), None);
    }
}
