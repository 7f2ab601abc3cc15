//! The one mapping from errors to HTTP: RFC 7807 problem+json with a field-level list.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tradewind_domain::{FieldError, ValidationErrors};
use tradewind_store::StoreError;

/// Every error an endpoint can answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Invalid(ValidationErrors),
    #[error("log in or send an API token (Authorization: Bearer …) to use this endpoint")]
    Unauthenticated,
    #[error("the request was not sent from a tradewind page: send the X-CSRF-Token header from the login response")]
    CsrfMismatch,
    #[error("only a company admin may do this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    Conflict { field: &'static str, message: String },
    #[error("{0}")]
    Refused(String),
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("internal error")]
    Internal(String),
    /// A signed request from another system (a payment provider's callback) whose
    /// signature or timestamp does not check.
    #[error("{0}")]
    BadSignature(String),
    /// The server lacks something it needs (for example a font for PDF reports); the
    /// message says what to install.
    #[error("{0}")]
    Unavailable(String),
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong, in words a person can act on.
    pub detail: String,
    /// One entry per invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldError>,
}

impl ApiError {
    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Invalid(ValidationErrors::single(field, code, message))
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation", "Some fields are invalid"),
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", "Not logged in"),
            ApiError::CsrfMismatch => (StatusCode::FORBIDDEN, "csrf", "Missing or wrong CSRF token"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::Conflict { .. } => (StatusCode::CONFLICT, "conflict", "Already exists"),
            ApiError::Refused(_) => (StatusCode::CONFLICT, "refused", "Not allowed in the current state"),
            ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many requests"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Malformed request"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too-large", "Request too large"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
            ApiError::BadSignature(_) => (StatusCode::UNAUTHORIZED, "bad-signature", "Signature refused"),
            ApiError::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Not available on this server")
            }
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, slug, title) = self.parts();
        let errors = match self {
            ApiError::Invalid(v) => v.0.clone(),
            ApiError::Conflict { field, message } => {
                vec![FieldError { field: (*field).to_string(), code: "already_exists", message: message.clone() }]
            }
            _ => vec![],
        };
        let detail = match self {
            ApiError::Invalid(v) => {
                v.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
            }
            // Internal detail goes to the log, never to the client.
            ApiError::Internal(_) => {
                "something went wrong on our side; try again, and quote the x-request-id header if it persists".into()
            }
            other => other.to_string(),
        };
        Problem {
            kind: format!("https://tradewind.dev/problems/{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
            errors,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = %e, "internal error");
        }
        let (status, ..) = self.parts();
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let ApiError::TooManyRequests { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict { field, message } => ApiError::Conflict { field, message },
            StoreError::Refused(m) => ApiError::Refused(m),
            StoreError::InvalidField { field, code, message } => ApiError::field(field, code, message),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        ApiError::Invalid(e)
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as J;
        match r {
            J::JsonDataError(e) => {
                // axum reports "…target type: path.to.field: what was wrong"; keep the path.
                let text = e.body_text();
                let tail = text.split_once("target type: ").map(|(_, t)| t).unwrap_or(&text).to_string();
                let (field, message) = match tail.split_once(": ") {
                    Some((f, m)) if !f.contains(' ') => (f.to_string(), m.to_string()),
                    _ => ("body".to_string(), tail.clone()),
                };
                let field = if field == "." { "body".into() } else { field };
                ApiError::Invalid(ValidationErrors::single(field, "invalid_value", message))
            }
            J::JsonSyntaxError(e) => ApiError::BadRequest(format!("the body is not valid JSON: {}", e.body_text())),
            J::MissingJsonContentType(_) => {
                ApiError::BadRequest("send the body as JSON with Content-Type: application/json".into())
            }
            J::BytesRejection(e) => ApiError::PayloadTooLarge(format!("the body could not be read: {}", e.body_text())),
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}

impl From<axum::extract::multipart::MultipartError> for ApiError {
    fn from(e: axum::extract::multipart::MultipartError) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::field("file", "too_large", "the file is larger than the 10 MiB limit")
        } else {
            ApiError::BadRequest(format!("the upload could not be read: {}", e.body_text()))
        }
    }
}

impl From<axum::extract::multipart::MultipartRejection> for ApiError {
    fn from(e: axum::extract::multipart::MultipartRejection) -> Self {
        ApiError::BadRequest(format!("send the file as multipart/form-data: {}", e.body_text()))
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::Invalid(ValidationErrors::single("query", "invalid_value", e.body_text()))
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(_: axum::extract::rejection::PathRejection) -> Self {
        ApiError::NotFound
    }
}

/// JSON body extractor whose rejections are problem responses.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query extractor whose rejections are problem responses.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// Path extractor whose rejections are problem responses.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);
