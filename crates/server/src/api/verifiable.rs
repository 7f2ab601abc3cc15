//! Verifiable documents: an issued trade document (or a company's own JSON documents, many
//! under one signature) wrapped as OpenAttestation v2 or signed as a W3C verifiable
//! credential; the public verifier, the registry's revocation status (OCSP-responder style,
//! so OpenAttestation verifiers can ask it too), selective disclosure, and each company's
//! DID document.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::problem::{ApiError, Json, Path};
use crate::verification::{self, IssuerDirectory, RegistryStatus, ResolvedDid, Verification};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tradewind_attestation::json::{JsonLimits, parse_strict};
use tradewind_attestation::keys::CompanyKeys;
use tradewind_attestation::{oa, vc};
use tradewind_store::{
    NewAttestationBatch, NewVerifiableDocument, Organization, StoreError, StoredCompanyKeys, TradeDocumentRecord,
    VerifiableDocumentRecord,
};

/// Documents one batch request may wrap under one signature.
pub const MAX_BATCH: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub enum VerifiableFormat {
    #[default]
    #[serde(rename = "openattestation-v2", alias = "openattestation", alias = "oa")]
    OpenAttestation,
    #[serde(rename = "w3c-vc-2.0", alias = "w3c-vc", alias = "vc")]
    W3cCredential,
}

impl VerifiableFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifiableFormat::OpenAttestation => "openattestation-v2",
            VerifiableFormat::W3cCredential => "w3c-vc-2.0",
        }
    }
}

/// The company's keys, created the first time it signs.
pub(crate) async fn company_keys(state: &AppState, organization_id: &str) -> Result<CompanyKeys, ApiError> {
    let stored = state
        .store
        .company_keys_or_create(organization_id, || {
            let keys = CompanyKeys::generate();
            StoredCompanyKeys {
                ed25519_secret: keys.ed25519_secret_hex(),
                secp256k1_secret: keys.secp256k1_secret_hex(),
                ed25519_public: keys.ed25519_public_multibase(),
                ethereum_address: keys.ethereum_address(),
            }
        })
        .await?;
    CompanyKeys::from_secret_hex(&stored.ed25519_secret, &stored.secp256k1_secret)
        .map_err(|e| ApiError::Internal(format!("company keys of {organization_id}: {e}")))
}

fn public_url(state: &AppState) -> String {
    state.settings.public_url.trim_end_matches('/').to_string()
}

/// Where the registry answers revocation questions (OpenAttestation's OCSP_RESPONDER location).
pub(crate) fn status_location(state: &AppState) -> String {
    format!("{}/api/v1/verifiable/status", public_url(state))
}

/// The public page of one verifiable document, which the QR code on its PDF leads to.
pub(crate) fn verify_page_url(state: &AppState, fingerprint: &str) -> String {
    format!("{}/verify/{fingerprint}", public_url(state))
}

/// The issuer block OpenAttestation verifiers read: a DNS-DID identity whose key is the
/// company's did:web, and this node's registry as the revocation responder.
fn oa_issuer(state: &AppState, org: &Organization) -> Value {
    let did = verification::company_did(&state.settings.public_url, &org.id);
    let host = state.settings.public_url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
    json!({
        "id": did,
        "name": org.legal_name,
        "revocation": { "type": "OCSP_RESPONDER", "location": status_location(state) },
        "identityProof": { "type": "DNS-DID", "key": format!("{did}#controller"), "location": host }
    })
}

/// The content of a verifiable trade document: what it is, what it states (its summary,
/// field by field, so that a holder can hide some), and the issued file itself as an
/// attachment (which a holder hides whole).
fn trade_document_content(record: &TradeDocumentRecord, content: &[u8], summary: Option<&Value>) -> Value {
    let mut doc = json!({
        "document": {
            "kind": record.kind,
            "number": record.number,
            "version": record.version,
            "orderId": record.order_id,
            "format": record.format,
            "mediaType": record.media_type,
            "sha256": record.sha256,
            "issuedAt": record.issued_at,
        },
        "attachments": [{
            "filename": format!("{}.{}", record.number, extension(&record.media_type)),
            "type": record.media_type,
            "data": base64::engine::general_purpose::STANDARD.encode(content),
        }]
    });
    if let (Some(summary), Some(map)) = (summary, doc.as_object_mut()) {
        map.insert("summary".into(), without_empty(summary));
    }
    doc
}

/// OpenAttestation cannot hide the only child of an object cleanly and treats empty values
/// as leaves; leaving out nulls and empty containers keeps every field hideable.
fn without_empty(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter().filter(|(_, v)| !is_empty(v)).map(|(k, v)| (k.replace('.', "_"), without_empty(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().filter(|v| !is_empty(v)).map(without_empty).collect()),
        other => other.clone(),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn extension(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => "pdf",
        "application/json" => "json",
        _ => "xml",
    }
}

/// One document to sign: where it came from, its title, and its content.
pub(crate) struct Unsigned {
    pub trade_document_id: Option<String>,
    pub title: String,
    pub content: Value,
}

/// A signed document as answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedDocument {
    pub fingerprint: String,
    pub format: String,
    pub title: String,
    /// The public page where anyone checks it.
    pub verify_url: String,
    #[schema(value_type = Object)]
    pub document: Value,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedBatch {
    pub batch_id: String,
    pub format: String,
    /// OpenAttestation merkle root over the batch (a credential's own fingerprint when one).
    pub merkle_root: String,
    pub documents: Vec<SignedDocument>,
}

/// Signs `documents` as one batch for `org` and records it in the registry.
pub(crate) async fn sign_batch(
    state: &AppState,
    user: &CurrentUser,
    org: &Organization,
    format: VerifiableFormat,
    documents: Vec<Unsigned>,
) -> Result<SignedBatch, ApiError> {
    if documents.is_empty() {
        return Err(ApiError::BadRequest("give at least one document to sign".into()));
    }
    let keys = company_keys(state, &org.id).await?;
    let did = verification::company_did(&state.settings.public_url, &org.id);
    let (merkle_root, method, signature, signed) = match format {
        VerifiableFormat::OpenAttestation => {
            let issuer = oa_issuer(state, org);
            let raw: Vec<Value> = documents
                .iter()
                .map(|d| {
                    let mut content = d.content.clone();
                    if let Some(map) = content.as_object_mut() {
                        map.entry("issuers").or_insert_with(|| json!([issuer.clone()]));
                        map.entry("$template").or_insert_with(|| {
                            json!({ "name": "TRADEWIND_DOCUMENT", "type": "EMBEDDED_RENDERER",
                                    "url": format!("{}/verify", public_url(state)) })
                        });
                    }
                    content
                })
                .collect();
            let method = format!("{did}#controller");
            let (wrapped, signature) = tokio::task::spawn_blocking({
                let keys = keys.clone();
                let method = method.clone();
                move || -> Result<(Vec<Value>, String), String> {
                    let mut wrapped = oa::wrap_documents(&raw).map_err(|e| e.to_string())?;
                    let created = tradewind_store::now_text();
                    // One signature over the merkle root covers the whole batch.
                    oa::sign_did_batch(&mut wrapped, &keys, &method, &created).map_err(|e| e.to_string())?;
                    let signature = wrapped
                        .first()
                        .and_then(|w| w.pointer("/proof/0/signature"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    Ok((wrapped, signature))
                }
            })
            .await
            .map_err(|e| ApiError::Internal(format!("wrapping task: {e}")))?
            .map_err(ApiError::BadRequest)?;
            let root = wrapped
                .first()
                .and_then(|w| w.pointer("/signature/merkleRoot"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let signed: Vec<(Value, String, Vec<[u8; 32]>)> = wrapped
                .into_iter()
                .map(|w| {
                    let target =
                        w.pointer("/signature/targetHash").and_then(Value::as_str).unwrap_or_default().to_string();
                    let leaves = w.get("data").map(oa::leaf_hashes).transpose().ok().flatten().unwrap_or_default();
                    (w, target, leaves)
                })
                .collect();
            (root, method, signature, signed)
        }
        VerifiableFormat::W3cCredential => {
            let method = format!("{did}#ed25519");
            let created = tradewind_store::now_text();
            let mut signed = Vec::new();
            for d in &documents {
                let credential = json!({
                    "@context": ["https://www.w3.org/ns/credentials/v2"],
                    "type": ["VerifiableCredential", "TradeDocumentCredential"],
                    "issuer": { "id": did, "name": org.legal_name },
                    "validFrom": created,
                    "credentialSubject": d.content,
                    "credentialStatus": { "id": status_location(state), "type": "TradewindRegistryStatus" }
                });
                let vc = vc::issue_credential(credential, &keys, &method, &created)
                    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
                let fingerprint = vc::fingerprint(&vc).map_err(|e| ApiError::Internal(e.to_string()))?;
                signed.push((vc, fingerprint, Vec::new()));
            }
            let root = signed.first().map(|s| s.1.clone()).unwrap_or_default();
            let signature = signed
                .first()
                .and_then(|s| s.0.pointer("/proof/proofValue"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            (root, method, signature, signed)
        }
    };
    let mut to_store = Vec::with_capacity(signed.len());
    let mut answered = Vec::with_capacity(signed.len());
    for ((doc, fingerprint, leaves), unsigned) in signed.into_iter().zip(documents) {
        let bytes = serde_json::to_vec(&doc).map_err(|e| ApiError::Internal(e.to_string()))?;
        to_store.push(NewVerifiableDocument {
            target_hash: fingerprint.clone(),
            trade_document_id: unsigned.trade_document_id,
            title: unsigned.title.clone(),
            leaf_hashes: leaves.iter().map(hex::encode).collect(),
            wrapped: bytes,
        });
        answered.push(SignedDocument {
            verify_url: verify_page_url(state, &fingerprint),
            fingerprint,
            format: format.as_str().into(),
            title: unsigned.title,
            document: doc,
        });
    }
    let batch = NewAttestationBatch {
        format: format.as_str().into(),
        merkle_root: merkle_root.clone(),
        verification_method: method,
        signature,
    };
    let batch_id = state.store.record_attestation_batch(&user.actor(), &org.id, batch, to_store).await?;
    Ok(SignedBatch { batch_id, format: format.as_str().into(), merkle_root, documents: answered })
}

/// The summary an issued version states: its own, or that of the rendition issued with it.
async fn summary_of(state: &AppState, org: &str, record: &TradeDocumentRecord) -> Result<Option<Value>, ApiError> {
    if record.summary.is_some() {
        return Ok(record.summary.clone());
    }
    let siblings = state.store.order_documents(org, &record.order_id).await?;
    Ok(siblings
        .into_iter()
        .find(|d| d.version == record.version && d.number == record.number && d.summary.is_some())
        .and_then(|d| d.summary))
}

/// Makes one issued trade document verifiable (only its issuer may).
pub(crate) async fn make_trade_document_verifiable(
    state: &AppState,
    user: &CurrentUser,
    order_id: &str,
    document_id: &str,
    format: VerifiableFormat,
) -> Result<SignedDocument, ApiError> {
    let org_id = user.organization_id()?.to_string();
    let (record, content) = state.store.trade_document(&org_id, order_id, document_id).await?;
    if record.issued_by != org_id {
        return Err(ApiError::Refused("only the company that issued a document can make it verifiable".into()));
    }
    let summary = summary_of(state, &org_id, &record).await?;
    let org = state.store.get_organization(&org_id).await?;
    let title = format!("{} {} (version {})", kind_title(&record.kind), record.number, record.version);
    let unsigned = Unsigned {
        trade_document_id: Some(record.id.clone()),
        title,
        content: trade_document_content(&record, &content, summary.as_ref()),
    };
    let mut batch = sign_batch(state, user, &org, format, vec![unsigned]).await?;
    batch.documents.pop().ok_or_else(|| ApiError::Internal("the batch came back empty".into()))
}

fn kind_title(kind: &str) -> String {
    let base = kind.trim_end_matches("_pdf").trim_end_matches("_cii").trim_end_matches("_json");
    base.parse::<tradewind_domain::documents::DocumentKind>()
        .map(|k| k.title().to_string())
        .unwrap_or_else(|_| base.replace('_', " "))
}

#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct MakeVerifiable {
    #[serde(default)]
    pub format: VerifiableFormat,
}

/// The issuer makes an issued version verifiable: OpenAttestation v2 (default) or a W3C
/// verifiable credential, signed with the company's key and registered here.
#[utoipa::path(post, path = "/api/v1/orders/{id}/documents/{document_id}/verifiable", tag = "verifiable",
    params(("id" = String, Path), ("document_id" = String, Path)), request_body = MakeVerifiable,
    responses((status = 201, body = SignedDocument), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem)))]
pub async fn make_verifiable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, document_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<SignedDocument>), ApiError> {
    let format = if body.iter().all(u8::is_ascii_whitespace) {
        VerifiableFormat::default()
    } else {
        serde_json::from_slice::<MakeVerifiable>(&body)
            .map_err(|e| {
                ApiError::BadRequest(format!("expected {{\"format\": \"openattestation-v2\" | \"w3c-vc-2.0\"}}: {e}"))
            })?
            .format
    };
    let signed = make_trade_document_verifiable(&state, &user, &id, &document_id, format).await?;
    Ok((StatusCode::CREATED, Json(signed)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BatchRequest {
    #[serde(default)]
    pub format: VerifiableFormat,
    /// The company's own documents, each a JSON object; an `issuers` block is added when
    /// absent. One signature covers them all.
    #[schema(value_type = Vec<Object>)]
    pub documents: Vec<Value>,
}

/// Wraps and signs many documents under one signature (OpenAttestation batches share one
/// merkle root).
#[utoipa::path(post, path = "/api/v1/verifiable/batch", tag = "verifiable", request_body = BatchRequest,
    responses((status = 201, body = SignedBatch), (status = 400, body = crate::problem::Problem),
        (status = 413, body = crate::problem::Problem)))]
pub async fn batch(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<(StatusCode, Json<SignedBatch>), ApiError> {
    let org_id = user.organization_id()?.to_string();
    let value = strict(&body)?;
    let request: BatchRequest = serde_json::from_value(value)
        .map_err(|e| ApiError::BadRequest(format!("expected {{\"documents\": [{{…}}, …]}}: {e}")))?;
    if request.documents.len() > MAX_BATCH {
        return Err(ApiError::PayloadTooLarge(format!(
            "{} documents in one batch; send at most {MAX_BATCH} per request",
            request.documents.len()
        )));
    }
    if let Some(i) = request.documents.iter().position(|d| !d.is_object()) {
        return Err(ApiError::BadRequest(format!("documents[{i}] is not a JSON object")));
    }
    let org = state.store.get_organization(&org_id).await?;
    let unsigned = request
        .documents
        .into_iter()
        .enumerate()
        .map(|(i, content)| Unsigned {
            trade_document_id: None,
            title: content
                .get("title")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("Document {} of a batch", i + 1)),
            content,
        })
        .collect();
    let batch = sign_batch(&state, &user, &org, request.format, unsigned).await?;
    Ok((StatusCode::CREATED, Json(batch)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Only the verifiable versions of this issued document.
    pub document_id: Option<String>,
    pub limit: Option<usize>,
}

/// The documents the company made verifiable, newest first.
#[utoipa::path(get, path = "/api/v1/verifiable", tag = "verifiable", params(ListQuery),
    responses((status = 200, body = Object)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let org = user.organization_id()?.to_string();
    let page =
        state.store.verifiable_documents(&org, q.document_id.as_deref(), q.limit.unwrap_or(50).clamp(1, 500)).await?;
    Ok(Json(json!({ "items": page.items, "next_cursor": page.next_cursor })))
}

/// The signed document itself, for its issuer and the parties to its order.
#[utoipa::path(get, path = "/api/v1/verifiable/{fingerprint}", tag = "verifiable",
    params(("fingerprint" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(fingerprint): Path<String>,
) -> Result<Response, ApiError> {
    let org = user.organization_id()?.to_string();
    let (record, content) = state.store.wrapped_document(&org, &fingerprint).await?;
    let mut res = content.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let ext = if record.format == "w3c-vc-2.0" { "vc.json" } else { "tt" };
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}.{ext}\"", &fingerprint[..fingerprint.len().min(16)]))
    {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Revocation {
    /// Why the document no longer stands; verifiers are shown it.
    pub reason: String,
}

/// The issuer revokes a verifiable document; verifiers see when, by whom and why.
#[utoipa::path(post, path = "/api/v1/verifiable/{fingerprint}/revoke", tag = "verifiable",
    params(("fingerprint" = String, Path)), request_body = Revocation,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(fingerprint): Path<String>,
    Json(body): Json<Revocation>,
) -> Result<Json<VerifiableDocumentRecord>, ApiError> {
    let org = user.organization_id()?.to_string();
    revoke_for(&state, &user, &org, &fingerprint, &body.reason).await.map(Json)
}

pub(crate) async fn revoke_for(
    state: &AppState,
    user: &CurrentUser,
    org: &str,
    fingerprint: &str,
    reason: &str,
) -> Result<VerifiableDocumentRecord, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ApiError::Invalid(tradewind_domain::validation::ValidationErrors::single(
            "reason",
            "required",
            "say why the document is revoked: verifiers are shown it",
        )));
    }
    let by = format!("{} ({})", user.user.name, state.store.get_organization(org).await?.legal_name);
    Ok(state.store.revoke_verifiable_document(&user.actor(), org, fingerprint, &by, reason).await?)
}

/// The registry's answer for one fingerprint, public. Shaped like the OCSP responder that
/// OpenAttestation verifiers call (`GET {location}/{hash}` → `certificateStatus`, and
/// `reasonCode` when revoked), with the registry's own details beside it.
#[utoipa::path(get, path = "/api/v1/verifiable/status/{hash}", tag = "verifiable",
    params(("hash" = String, Path)), responses((status = 200, body = Object)))]
pub async fn status(
    State(state): State<AppState>,
    axum::extract::Path(hash): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    let asked = hash.clone();
    let hash = hash.trim_start_matches("0x").to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::BadRequest("a fingerprint is 64 hexadecimal characters".into()));
    }
    let record = state.store.verifiable_document(&hash).await?;
    Ok(Json(match record {
        None => json!({ "revoked": false, "documentHash": asked, "certificateStatus": "good", "known": false }),
        Some(r) if r.revoked_at.is_some() => json!({
            // 0 = unspecified: OpenAttestation's codes are X.509's CRL reasons.
            "revoked": true, "documentHash": asked, "certificateStatus": "revoked", "reasonCode": 0, "known": true,
            "revokedAt": r.revoked_at, "revokedBy": r.revoked_by, "reason": r.revocation_reason,
            "issuer": r.issuer_name, "title": r.title, "issuedAt": r.created_at,
        }),
        Some(r) => json!({
            "revoked": false, "documentHash": asked, "certificateStatus": "good", "known": true,
            "issuer": r.issuer_name, "title": r.title, "issuedAt": r.created_at,
        }),
    }))
}

fn strict(body: &[u8]) -> Result<Value, ApiError> {
    parse_strict(body, JsonLimits::default()).map_err(|e| match e.kind {
        tradewind_attestation::json::JsonErrorKind::TooLarge => ApiError::PayloadTooLarge(e.to_string()),
        _ => ApiError::BadRequest(e.to_string()),
    })
}

/// This node as an issuer directory: its own companies' DIDs and its own registry. It does
/// not fetch other hosts (a public endpoint must not be made to call arbitrary addresses);
/// `tradewind verify` does.
pub(crate) struct NodeDirectory<'a> {
    pub state: &'a AppState,
}

impl IssuerDirectory for NodeDirectory<'_> {
    async fn resolve_did(&self, did: &str) -> Result<ResolvedDid, String> {
        let Some(org_id) = verification::own_company_of(&self.state.settings.public_url, did) else {
            return Err(format!(
                "{did} is published by another node; this page checks only this node's companies — \
                 check it with `tradewind verify FILE`, which fetches it"
            ));
        };
        let org = match self.state.store.get_organization(&org_id).await {
            Ok(o) => o,
            Err(StoreError::NotFound) => return Err(format!("no company {org_id} is registered on this node")),
            Err(e) => return Err(e.to_string()),
        };
        let keys = self.state.store.company_keys(&org_id).await.map_err(|e| e.to_string())?;
        let Some(keys) = keys else { return Err(format!("{} has not signed anything on this node", org.legal_name)) };
        Ok(ResolvedDid {
            document: oa::did_web_document(did, &keys.ethereum_address, &keys.ed25519_public),
            registered_name: Some(org.legal_name.clone()),
            registration_verified: Some(
                org.verification == tradewind_domain::organization::VerificationStatus::Verified,
            ),
        })
    }

    async fn status(&self, location: &str, fingerprint: &str) -> Result<RegistryStatus, String> {
        if location.trim_end_matches('/') != status_location(self.state) {
            return Err(format!(
                "it is kept by another node ({location}); check it with `tradewind verify FILE`, which asks it"
            ));
        }
        let record = self.state.store.verifiable_document(fingerprint).await.map_err(|e| e.to_string())?;
        Ok(match record {
            None => RegistryStatus::default(),
            Some(r) => RegistryStatus {
                known: true,
                revoked_at: r.revoked_at,
                revoked_by: r.revoked_by,
                reason: r.revocation_reason,
            },
        })
    }

    async fn original_leaves(&self, fingerprint: &str) -> Option<Vec<[u8; 32]>> {
        let hex_text = self.state.store.verifiable_leaf_hashes(fingerprint).await.ok()??;
        leaves_from_hex(&hex_text)
    }
}

pub(crate) fn leaves_from_hex(text: &str) -> Option<Vec<[u8; 32]>> {
    let bytes = hex::decode(text).ok()?;
    bytes.chunks(32).map(|c| c.try_into().ok()).collect()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct VerifyQuery {
    /// Check integrity alone (for documents whose issuers live on a blockchain).
    #[serde(default)]
    pub integrity_only: bool,
}

/// Anyone checks a document: the body is the document itself (OpenAttestation v2 or a W3C
/// verifiable credential). No login.
#[utoipa::path(post, path = "/api/v1/verify", tag = "verifiable", params(VerifyQuery),
    request_body(content = Object, description = "the document as issued"),
    responses((status = 200, body = Verification), (status = 400, body = crate::problem::Problem),
        (status = 413, body = crate::problem::Problem)))]
pub async fn verify(
    State(state): State<AppState>,
    Query(q): Query<VerifyQuery>,
    body: Bytes,
) -> Result<Json<Verification>, ApiError> {
    let doc = strict(&body)?;
    verify_value(&state, &doc, q.integrity_only).await.map(Json)
}

pub(crate) async fn verify_value(
    state: &AppState,
    doc: &Value,
    integrity_only: bool,
) -> Result<Verification, ApiError> {
    verification::verify(doc, &NodeDirectory { state }, integrity_only).await.map_err(ApiError::BadRequest)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct HideRequest {
    #[schema(value_type = Object)]
    pub document: Value,
    /// Dotted paths of the fields to hide, e.g. `summary.total` or `attachments`.
    pub fields: Vec<String>,
}

/// The holder hides fields of an OpenAttestation document; it still verifies and the hidden
/// values cannot be recovered. Nothing is stored. No login.
#[utoipa::path(post, path = "/api/v1/verify/hide", tag = "verifiable", request_body = HideRequest,
    responses((status = 200, body = Object), (status = 400, body = crate::problem::Problem)))]
pub async fn hide(body: Bytes) -> Result<Json<Value>, ApiError> {
    let value = strict(&body)?;
    let request: HideRequest = serde_json::from_value(value)
        .map_err(|e| ApiError::BadRequest(format!("expected {{\"document\": {{…}}, \"fields\": [\"…\"]}}: {e}")))?;
    hide_fields(&request.document, &request.fields).map(Json)
}

pub(crate) fn hide_fields(document: &Value, fields: &[String]) -> Result<Value, ApiError> {
    if verification::format_of(document).map_err(ApiError::BadRequest)? != "openattestation-v2" {
        return Err(ApiError::BadRequest(
            "only OpenAttestation documents can hide fields; a W3C credential with an eddsa-jcs-2022 proof cannot"
                .into(),
        ));
    }
    let fields: Vec<&str> = fields.iter().map(|f| f.trim()).filter(|f| !f.is_empty()).collect();
    if fields.is_empty() {
        return Err(ApiError::BadRequest("name at least one field to hide".into()));
    }
    oa::obfuscate(document, &fields).map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// The DID document a company's documents name (`did:web:{host}:companies:{id}`). Public.
#[utoipa::path(get, path = "/companies/{id}/did.json", tag = "verifiable", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn did_document(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let keys = state.store.company_keys(&id).await?.ok_or(ApiError::NotFound)?;
    let did = verification::company_did(&state.settings.public_url, &id);
    let doc = oa::did_web_document(&did, &keys.ethereum_address, &keys.ed25519_public);
    let mut res = Json(doc).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/did+json"));
    Ok(res)
}

/// The company's identity for verifiers: its DID, its keys, and the DNS TXT record it would
/// publish on its own domain for TradeTrust-style DNS-DID verification.
#[utoipa::path(get, path = "/api/v1/organizations/me/identity", tag = "verifiable",
    responses((status = 200, body = Object)))]
pub async fn identity(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Value>, ApiError> {
    let org = user.organization_id()?.to_string();
    let keys = company_keys(&state, &org).await?;
    let did = verification::company_did(&state.settings.public_url, &org);
    Ok(Json(json!({
        "did": did,
        "did_document_url": verification::did_web_url(&did).unwrap_or_default(),
        "ethereum_address": keys.ethereum_address(),
        "ed25519_public_key": keys.ed25519_public_multibase(),
        "dns_txt_record": oa::dns_txt_record(&format!("{did}#controller")),
    })))
}
