//! The public verifier (no login): anyone drops a document and gets three answers; the page
//! of one registered document, which the QR code on its PDF leads to; hiding fields before
//! sharing. And, for signed-in issuers, making an issued document verifiable and revoking it.

use super::forms::FormData;
use super::page::{Chrome, Ctx, PageError, render, see_other};
use crate::AppState;
use crate::api::verifiable::{self, VerifiableFormat};
use crate::problem::ApiError;
use crate::verification::Verification;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use base64::Engine;
use tradewind_store::VerifiableDocumentRecord;

/// The most a dropped file may weigh.
const MAX_FILE: usize = 16 * 1024 * 1024;

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    page: Chrome,
    /// The registry's record when the page is about one document.
    record: Option<VerifiableDocumentRecord>,
    result: Option<Verification>,
    /// The problem with the dropped file, when it could not be read.
    error: Option<String>,
    /// The dropped document, so that the holder can hide fields of it next.
    document: String,
    /// Dotted paths of the document's visible fields, for the hide form.
    fields: Vec<String>,
    /// The fields just hidden, when the page shows the result of hiding.
    hidden: Vec<String>,
    /// The document with those fields hidden, as a `data:` link to save it.
    download: Option<String>,
}

impl VerifyPage {
    fn empty(page: Chrome) -> VerifyPage {
        VerifyPage {
            page,
            record: None,
            result: None,
            error: None,
            document: String::new(),
            fields: vec![],
            hidden: vec![],
            download: None,
        }
    }
}

/// `GET /verify`
pub async fn form(State(_state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    Ok(render(axum::http::StatusCode::OK, &VerifyPage::empty(ctx.chrome("title.verify", "verify"))))
}

/// `GET /verify/{fingerprint}`: what the registry says of one document.
pub async fn record(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(fingerprint): Path<String>,
) -> Result<Response, PageError> {
    let record = state.store.verifiable_document(&fingerprint.to_ascii_lowercase()).await?;
    if record.is_none() {
        return Err(PageError(ApiError::NotFound));
    }
    Ok(render(
        axum::http::StatusCode::OK,
        &VerifyPage { record, ..VerifyPage::empty(ctx.chrome("title.verify", "verify")) },
    ))
}

/// What a verify or hide form sent.
#[derive(Default)]
struct Dropped {
    document: Option<Vec<u8>>,
    integrity_only: bool,
    fields: String,
}

async fn read_dropped(mut multipart: Multipart) -> Result<Dropped, ApiError> {
    let mut out = Dropped::default();
    while let Some(field) = multipart.next_field().await.map_err(|e| ApiError::BadRequest(e.to_string()))? {
        match field.name() {
            Some("file") => {
                let bytes = field.bytes().await.map_err(|e| ApiError::BadRequest(e.to_string()))?;
                if bytes.len() > MAX_FILE {
                    return Err(ApiError::PayloadTooLarge("the file is larger than 16 MiB".into()));
                }
                if !bytes.is_empty() {
                    out.document = Some(bytes.to_vec());
                }
            }
            Some("document") => {
                let text = field.text().await.map_err(|e| ApiError::BadRequest(e.to_string()))?;
                if !text.trim().is_empty() && out.document.is_none() {
                    out.document = Some(text.into_bytes());
                }
            }
            Some("integrity_only") => out.integrity_only = true,
            Some("fields") => out.fields = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    Ok(out)
}

/// Dotted paths of a wrapped document's visible fields (unsalted view), for the hide form.
fn visible_fields(doc: &serde_json::Value) -> Vec<String> {
    fn walk(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) if !m.is_empty() => {
                for (k, v) in m {
                    let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&p, v, out);
                }
            }
            serde_json::Value::Array(a) if !a.is_empty() => {
                for (i, v) in a.iter().enumerate() {
                    walk(&format!("{prefix}.{i}"), v, out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }
    let mut out = Vec::new();
    if let Some(data) = doc.get("data") {
        walk("", data, &mut out);
    }
    out.retain(|p| !p.starts_with("issuers") && !p.starts_with("$template"));
    out
}

/// `POST /verify`: checks the dropped document.
pub async fn check(State(state): State<AppState>, ctx: Ctx, multipart: Multipart) -> Result<Response, PageError> {
    let page = ctx.chrome_at("title.verify", "verify", "/verify");
    let dropped = read_dropped(multipart).await?;
    let mut view = VerifyPage::empty(page);
    let Some(bytes) = dropped.document else {
        view.error = Some("Choose the document file (or paste it) before checking.".into());
        return Ok(render(axum::http::StatusCode::OK, &view));
    };
    let doc = match tradewind_attestation::json::parse_strict(&bytes, Default::default()) {
        Ok(doc) => doc,
        Err(e) => {
            view.error = Some(format!("The file cannot be read as a document: {e}"));
            return Ok(render(axum::http::StatusCode::OK, &view));
        }
    };
    match verifiable::verify_value(&state, &doc, dropped.integrity_only).await {
        Ok(result) => {
            if let Some(fp) = &result.fingerprint {
                view.record = state.store.verifiable_document(fp).await?;
            }
            view.fields = visible_fields(&doc);
            view.document = String::from_utf8_lossy(&bytes).into_owned();
            view.result = Some(result);
        }
        Err(e) => view.error = Some(e.to_string()),
    }
    Ok(render(axum::http::StatusCode::OK, &view))
}

/// `POST /verify/hide`: the holder hides fields; the page shows that the result still
/// verifies and offers it for download. Nothing is stored.
pub async fn hide(State(state): State<AppState>, ctx: Ctx, multipart: Multipart) -> Result<Response, PageError> {
    let page = ctx.chrome_at("title.verify", "verify", "/verify");
    let dropped = read_dropped(multipart).await?;
    let mut view = VerifyPage::empty(page);
    let Some(bytes) = dropped.document else {
        view.error = Some("Choose the document to hide fields of.".into());
        return Ok(render(axum::http::StatusCode::OK, &view));
    };
    let fields: Vec<String> =
        dropped.fields.split(['\n', ',']).map(|f| f.trim().to_string()).filter(|f| !f.is_empty()).collect();
    let hidden = tradewind_attestation::json::parse_strict(&bytes, Default::default())
        .map_err(|e| ApiError::BadRequest(format!("the file cannot be read as a document: {e}")))
        .and_then(|doc| verifiable::hide_fields(&doc, &fields));
    match hidden {
        Ok(doc) => {
            let text = serde_json::to_string_pretty(&doc).map_err(|e| ApiError::Internal(e.to_string()))?;
            let result = verifiable::verify_value(&state, &doc, dropped.integrity_only).await?;
            if let Some(fp) = &result.fingerprint {
                view.record = state.store.verifiable_document(fp).await?;
            }
            view.fields = visible_fields(&doc);
            view.download = Some(format!(
                "data:application/json;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
            ));
            view.document = text;
            view.hidden = fields;
            view.result = Some(result);
        }
        Err(e) => view.error = Some(e.to_string()),
    }
    Ok(render(axum::http::StatusCode::OK, &view))
}

/// `POST /orders/{id}/documents/verifiable`
pub async fn make(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let document_id = form.get("document_id").trim().to_string();
    let format = if form.get("format") == "w3c-vc-2.0" {
        VerifiableFormat::W3cCredential
    } else {
        VerifiableFormat::OpenAttestation
    };
    verifiable::make_trade_document_verifiable(&state, user, &id, &document_id, format).await?;
    Ok(see_other(&format!("/orders/{id}/documents?notice=document_verifiable#verifiable")))
}

/// `POST /verifiable/{fingerprint}/revoke`
pub async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(fingerprint): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let org = user.organization_id()?.to_string();
    let record = verifiable::revoke_for(&state, user, &org, &fingerprint, form.get("reason")).await?;
    let back = form.get("back");
    Ok(see_other(&if back.starts_with("/orders/") && record.trade_document_id.is_some() {
        back.replacen('#', "?notice=document_revoked#", 1)
    } else {
        format!("/verify/{}?notice=document_revoked", record.target_hash)
    }))
}
