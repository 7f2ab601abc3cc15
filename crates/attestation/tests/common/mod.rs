//! Shared by the attestation tests: where `../shared` is, and reading its JSON.
#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `<workspace>/../shared`, or None (with the reason printed) when it is absent.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if dir.join("standards/openattestation/v2/MANIFEST.json").is_file() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent (the shared standards folder beside the workspace)", dir.display());
        None
    }
}

pub fn oa_dir() -> Option<PathBuf> {
    shared_dir().map(|d| d.join("standards/openattestation/v2"))
}

pub fn read_json(path: &std::path::Path) -> Result<Value, Box<dyn std::error::Error>> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

/// (file, expect) pairs of the OpenAttestation fixtures' MANIFEST.json.
pub fn manifest(dir: &std::path::Path) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    let m = read_json(&dir.join("MANIFEST.json"))?;
    let entries = m.as_array().ok_or("MANIFEST.json is not a list")?;
    Ok(entries
        .iter()
        .filter_map(|e| Some((e.get("file")?.as_str()?.to_string(), e.get("expect")?.as_str()?.to_string())))
        .collect())
}

/// The invoice-like raw document of the peers' benchmark (`bench-peers/oa/invoice_doc.js`).
pub fn invoice(i: usize) -> Value {
    serde_json::json!({
        "$template": {"name": "INVOICE", "type": "EMBEDDED_RENDERER", "url": "https://renderer.example.com"},
        "issuers": [{
            "name": "Acme Exports Pte Ltd",
            "documentStore": "0x9178F546D3FF57D7A6352bD61B80cCCD46199C2d",
            "identityProof": {"type": "DNS-TXT", "location": "acme-exports.example.com"}
        }],
        "id": format!("INV-2024-{i:08}"),
        "date": "2024-03-15",
        "billTo": {"company": {"name": format!("Importer BV {i}"), "countryCode": "NL"}, "email": "jan@importer.example.nl"},
        "billableItems": [
            {"hsCode": "847130", "description": "Laptop computers 14in", "quantity": 120, "unitPrice": 450.0, "amount": 54000.0},
            {"hsCode": "852852", "description": "LCD monitors 27in", "quantity": 80, "unitPrice": 180.5, "amount": 14440.0}
        ],
        "subtotal": 72115.0,
        "tax": 0,
        "paid": false,
        "note": null,
        "attachments": [],
        "extra": {}
    })
}

/// `v` with every number as JavaScript holds it (a double), for comparing what went in with
/// what unsalting gives back (`450.0` comes back as `450`).
pub fn as_js(v: &Value) -> Value {
    match v {
        Value::Number(n) => n.as_f64().map_or(Value::Null, Value::from),
        Value::Array(a) => Value::Array(a.iter().map(as_js).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), as_js(v))).collect()),
        other => other.clone(),
    }
}
