//! Field-level validation errors, collected so a person sees every problem at once.

use serde::Serialize;

/// One thing wrong with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Path of the field in the request, for example `address.country`.
    pub field: String,
    /// Stable machine-readable code, for example `invalid_lei_check_digits`.
    pub code: &'static str,
    /// What was wrong, in words a person can act on.
    pub message: String,
}

/// Every field error found in one input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{} field(s) are invalid", .0.len())]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), code, message: message.into() });
    }

    pub fn single(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.push(field, code, message);
        e
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Turns a collection into a result: `Ok(value)` when nothing was wrong.
    pub fn into_result<T>(self, value: T) -> Result<T, Self> {
        if self.0.is_empty() { Ok(value) } else { Err(self) }
    }

    /// Runs a parse and records its error under `field`, returning the value when it parsed.
    pub fn check<T, E: CodedError>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(field, e.code(), e.to_string());
                None
            }
        }
    }
}

/// An error with a stable code, so the edge can name it in a problem response.
pub trait CodedError: std::fmt::Display {
    fn code(&self) -> &'static str;
}

/// Requires a trimmed, non-empty text of at most `max` characters.
pub fn required_text(errors: &mut ValidationErrors, field: &str, value: &str, max: usize) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        errors.push(field, "required", format!("{field} is required"));
        None
    } else if v.chars().count() > max {
        errors.push(field, "too_long", format!("{field} must be at most {max} characters"));
        None
    } else {
        Some(v.to_string())
    }
}

/// Requires a number above zero.
pub fn required_positive(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<rust_decimal::Decimal>,
) -> Option<rust_decimal::Decimal> {
    match value {
        None => {
            errors.push(field, "required", format!("{field} is required"));
            None
        }
        Some(d) if d <= rust_decimal::Decimal::ZERO => {
            errors.push(field, "not_positive", format!("{field} must be above zero"));
            None
        }
        Some(d) => Some(d),
    }
}

/// Parses an ISO 8601 calendar date (`YYYY-MM-DD`).
pub fn iso_date(errors: &mut ValidationErrors, field: &str, value: &str) -> Option<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(value.trim(), &fmt) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(field, "invalid_date", format!("'{value}' is not a date; write it as YYYY-MM-DD"));
            None
        }
    }
}
