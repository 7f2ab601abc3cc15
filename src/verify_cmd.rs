//! `tradewind verify FILE` and `tradewind disclose FILE --hide FIELD`: check a verifiable
//! document from anywhere, and hide fields of one before passing it on. The checks are the
//! server's ([`tradewind_server::verification`]); here the issuer's DID document and its
//! revocation registry are fetched over the network.

use anyhow::{Context, Result};
use clap::Args;
use serde_json::Value;
use std::path::PathBuf;
use tradewind_attestation::json::{JsonLimits, parse_strict};
use tradewind_server::verification::{self, IssuerDirectory, RegistryStatus, ResolvedDid, Verification};

#[derive(Args)]
pub struct VerifyArgs {
    /// The document: an OpenAttestation v2 file (.tt, .json) or a W3C verifiable credential.
    pub file: PathBuf,
    /// Check integrity alone (for OpenAttestation documents whose issuers live on a blockchain).
    #[arg(long)]
    pub integrity_only: bool,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct DiscloseArgs {
    /// The OpenAttestation document to share.
    pub file: PathBuf,
    /// A field to hide, as a dotted path (`summary.total`, `attachments`); repeat for more.
    #[arg(long = "hide", required = true)]
    pub hide: Vec<String>,
    /// Where to write the result [default: standard output]
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Fetches DID documents and registry answers over HTTP(S).
struct NetworkDirectory {
    http: reqwest::Client,
}

impl IssuerDirectory for NetworkDirectory {
    async fn resolve_did(&self, did: &str) -> Result<ResolvedDid, String> {
        let url = verification::did_web_url(did)?;
        let response = self.http.get(&url).send().await.map_err(|e| format!("{url} did not answer ({e})"))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let document: Value = response.json().await.map_err(|e| format!("{url} is not a DID document ({e})"))?;
        Ok(ResolvedDid { document, registered_name: None, registration_verified: None })
    }

    async fn status(&self, location: &str, fingerprint: &str) -> Result<RegistryStatus, String> {
        let url = format!("{}/0x{fingerprint}", location.trim_end_matches('/'));
        let response = self.http.get(&url).send().await.map_err(|e| format!("{url} did not answer ({e})"))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let body: Value = response.json().await.map_err(|e| format!("{url} did not answer JSON ({e})"))?;
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        let revoked = text("certificateStatus").as_deref() == Some("revoked");
        Ok(RegistryStatus {
            // A plain OCSP responder says nothing of what it knows: take "good" at its word.
            known: body.get("known").and_then(Value::as_bool).unwrap_or(true),
            revoked_at: text("revokedAt").or_else(|| revoked.then(|| "an unstated time".to_string())),
            revoked_by: text("revokedBy"),
            reason: text("reason"),
        })
    }

    async fn original_leaves(&self, _fingerprint: &str) -> Option<Vec<[u8; 32]>> {
        None
    }
}

fn read_document(file: &PathBuf) -> Result<Value> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    parse_strict(&bytes, JsonLimits::default()).with_context(|| format!("{} is not a document", file.display()))
}

fn mark(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

fn print(v: &Verification) {
    println!("{}: {}", mark(v.intact.ok), v.intact.reason);
    for f in &v.intact.changed_fields {
        println!("      changed: {f}");
    }
    if let Some(i) = &v.issuer {
        println!("{}: {}", mark(i.ok), i.reason);
    }
    if let Some(s) = &v.status {
        println!("{}: {}", mark(s.ok), s.reason);
    }
    println!("{}", if v.verified { "verified" } else { "NOT verified" });
}

/// Exits 0 only when every check asked for passed.
pub async fn verify(args: VerifyArgs) -> Result<i32> {
    let doc = read_document(&args.file)?;
    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(15)).build()?;
    let answer = verification::verify(&doc, &NetworkDirectory { http }, args.integrity_only)
        .await
        .map_err(anyhow::Error::msg)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        print(&answer);
    }
    Ok(if answer.verified { 0 } else { 1 })
}

pub fn disclose(args: DiscloseArgs) -> Result<()> {
    let doc = read_document(&args.file)?;
    let paths: Vec<&str> = args.hide.iter().map(String::as_str).collect();
    let hidden = tradewind_attestation::oa::obfuscate(&doc, &paths)?;
    let text = serde_json::to_string_pretty(&hidden)?;
    match args.out {
        Some(out) => std::fs::write(&out, text).with_context(|| format!("cannot write {}", out.display()))?,
        None => println!("{text}"),
    }
    Ok(())
}
