//! HTML forms: reading posted fields, describing inputs for the templates, and showing
//! validation errors next to the inputs and in a summary at the top.

use super::i18n::Tr;
use super::page::PageError;
use crate::problem::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};

/// The fields of an `application/x-www-form-urlencoded` body, in order; a name may repeat
/// (checkboxes).
#[derive(Debug, Default)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> Result<FormData, ApiError> {
        serde_urlencoded::from_bytes(body)
            .map(FormData)
            .map_err(|_| ApiError::BadRequest("the form could not be read".into()))
    }

    /// The first value of `name`, or "" when the form did not send it.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    pub fn csrf_token(&self) -> &str {
        self.get(super::page::CSRF_FIELD)
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = PageError;
    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge("the form could not be read".into()))?;
        Ok(FormData::parse(&body)?)
    }
}

/// One choice of a select, or one checkbox of a group.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One labelled input as the `partials/field.html` template draws it.
#[derive(Debug, Clone)]
pub struct Field {
    /// The input's `id`.
    pub id: String,
    /// The input's `name` in the form (usually the same as the id).
    pub name: String,
    pub label: String,
    /// `text`, `email`, `password`, `tel`, `select` or `textarea`.
    pub kind: &'static str,
    pub value: String,
    pub required: bool,
    pub autocomplete: &'static str,
    pub maxlength: usize,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub options: Vec<Choice>,
}

impl Field {
    /// An input named `id`, labelled by the `field.<id>` text.
    pub fn new(tr: Tr, id: &str, kind: &'static str) -> Field {
        Field {
            id: id.to_string(),
            name: id.to_string(),
            label: tr.field_label(id).unwrap_or(id).to_string(),
            kind,
            value: String::new(),
            required: true,
            autocomplete: "off",
            maxlength: 200,
            hint: None,
            error: None,
            options: Vec::new(),
        }
    }

    pub fn value(mut self, value: &str) -> Field {
        // A password is never sent back to the browser.
        if self.kind != "password" {
            self.value = value.to_string();
        }
        self
    }

    pub fn optional(mut self) -> Field {
        self.required = false;
        self
    }

    pub fn autocomplete(mut self, token: &'static str) -> Field {
        self.autocomplete = token;
        self
    }

    pub fn max(mut self, n: usize) -> Field {
        self.maxlength = n;
        self
    }

    pub fn hint(mut self, text: &str) -> Field {
        self.hint = Some(text.to_string());
        self
    }

    /// Choices of a select; the one equal to the field's value is selected.
    pub fn options(mut self, options: impl IntoIterator<Item = (String, String)>) -> Field {
        let current = self.value.clone();
        self.options =
            options.into_iter().map(|(value, label)| Choice { selected: value == current, value, label }).collect();
        self
    }

    /// The ids of the hint and the error, for `aria-describedby`.
    pub fn described_by(&self) -> String {
        let hint = self.hint.as_ref().map(|_| format!("{}-hint", self.id));
        let error = self.error.as_ref().map(|_| format!("{}-error", self.id));
        [hint, error].into_iter().flatten().collect::<Vec<_>>().join(" ")
    }
}

/// One line of the error summary: a link to the input when there is one.
#[derive(Debug, Clone)]
pub struct SummaryItem {
    pub href: Option<String>,
    pub text: String,
}

/// A form's errors, translated, keyed by the name of the input they belong to.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    items: Vec<(String, String)>,
    general: Vec<String>,
}

impl FormErrors {
    /// The field errors in `e`, or `None` when `e` is not about the form's fields.
    pub fn from_api(tr: Tr, e: &ApiError) -> Option<FormErrors> {
        match e {
            ApiError::Invalid(_) | ApiError::Conflict { .. } => {}
            _ => return None,
        }
        let mut out = FormErrors::default();
        for fe in e.problem().errors {
            let input = input_name(&fe.field);
            let message = tr.error(&input, fe.code, &fe.message);
            out.add(&input, message);
        }
        Some(out)
    }

    /// A message about the form as a whole, shown only in the summary.
    pub fn general(message: String) -> FormErrors {
        FormErrors { items: Vec::new(), general: vec![message] }
    }

    pub fn add(&mut self, input: &str, message: String) {
        // One message per input is enough to act on.
        if self.get(input).is_none() {
            self.items.push((input.to_string(), message));
        }
    }

    pub fn get(&self, input: &str) -> Option<&str> {
        self.items.iter().find(|(k, _)| k == input).map(|(_, m)| m.as_str())
    }

    /// Puts each error on its field.
    pub fn attach(&self, fields: &mut [Field]) {
        for f in fields {
            f.error = self.get(&f.name).map(str::to_string);
        }
    }

    /// The summary at the top of the form, in the order of the errors; `anchor` gives the
    /// id to link to for an input (usually the input's own name).
    pub fn summary(&self, tr: Tr, anchor: impl Fn(&str) -> String) -> Vec<SummaryItem> {
        let general = self.general.iter().map(|m| SummaryItem { href: None, text: m.clone() });
        let fields = self.items.iter().map(|(input, message)| {
            let text = match tr.field_label(input) {
                Some(label) => tr.fill("form.summary_item", &[("label", label), ("message", message)]),
                None => message.clone(),
            };
            SummaryItem { href: Some(format!("#{}", anchor(input))), text }
        });
        general.chain(fields).collect()
    }
}

/// The input a validation error's field path belongs to: `address.city` is the input
/// `address_city`, `roles[2]` is the group `roles`.
pub fn input_name(field: &str) -> String {
    let base = field.split('[').next().unwrap_or(field);
    base.replace('.', "_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;
    use tradewind_domain::ValidationErrors;

    #[test]
    fn repeated_names_are_all_kept() {
        let f = FormData::parse(b"roles=exporter&roles=bank&legal_name=A%26B+Ltd").expect("parse");
        assert_eq!(f.all("roles"), vec!["exporter", "bank"]);
        assert_eq!(f.get("legal_name"), "A&B Ltd");
        assert_eq!(f.get("missing"), "");
    }

    #[test]
    fn field_paths_become_input_names() {
        assert_eq!(input_name("address.street"), "address_street");
        assert_eq!(input_name("roles[3]"), "roles");
        assert_eq!(input_name("lei"), "lei");
    }

    #[test]
    fn errors_land_on_their_fields_and_in_the_summary() {
        let tr = Tr::new(Lang::En);
        let mut v = ValidationErrors::new();
        v.push("contact.email", "invalid_email", "'x' is not an e-mail address");
        v.push("roles", "required", "choose a role");
        let e = FormErrors::from_api(tr, &ApiError::Invalid(v)).expect("field errors");
        let mut fields = vec![Field::new(tr, "contact_email", "email"), Field::new(tr, "legal_name", "text")];
        e.attach(&mut fields);
        assert!(fields[0].error.is_some());
        assert_eq!(fields[0].described_by(), "contact_email-error");
        assert!(fields[1].error.is_none());
        let summary = e.summary(tr, |i| i.to_string());
        assert_eq!(summary.len(), 2);
        assert_eq!(summary[0].href.as_deref(), Some("#contact_email"));
        assert!(summary[0].text.starts_with(tr.t("field.contact_email")));
        assert!(FormErrors::from_api(tr, &ApiError::NotFound).is_none());
    }

    #[test]
    fn passwords_are_never_echoed() {
        let f = Field::new(Tr::new(Lang::En), "password", "password").value("hunter2hunter2");
        assert_eq!(f.value, "");
    }
}
