//! The server-rendered web UI.

use crate::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};

pub fn router() -> Router<AppState> {
    Router::new()
}

pub fn not_found_page() -> impl IntoResponse {
    (StatusCode::NOT_FOUND, Html("<!doctype html><title>Not found</title><h1>Not found</h1>"))
}
