//! The home page: what tradewind is, where to start, and the verified companies.

use super::company::Badge;
use super::page::{Chrome, Ctx, PageError, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use tradewind_store::OrganizationFilter;

/// How many verified companies the home page lists.
const DIRECTORY_SIZE: usize = 20;

/// A verified company in the directory.
pub struct ListedCompany {
    pub legal_name: String,
    pub badge: Badge,
    pub place: String,
    pub roles: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: Chrome,
    /// Shown to logged-in visitors only, like the API's directory.
    directory: Vec<ListedCompany>,
}

/// `GET /`
pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let tr = ctx.tr();
    let directory = match &ctx.user {
        Some(_) => state
            .store
            .list_organizations(OrganizationFilter::Verification("verified"), "", DIRECTORY_SIZE)
            .await?
            .items
            .iter()
            .map(|o| ListedCompany {
                legal_name: o.legal_name.clone(),
                badge: Badge::of(tr, &o.verification),
                place: format!("{}, {}", o.address.city, o.country.name()),
                roles: o
                    .roles
                    .iter()
                    .map(|r| tr.t(&format!("role.{}", r.as_str())).to_string())
                    .collect::<Vec<_>>()
                    .join(tr.t("list.separator")),
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(render(StatusCode::OK, &HomePage { page: ctx.chrome("title.home", "home"), directory }))
}
