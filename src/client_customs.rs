//! `tradewind client customs …`: the customs single window from a terminal. Traders and
//! brokers lodge declarations, pay duty and claim drawback; customs officers check documents,
//! reassess and reject; the inspection service books and records inspections with photos;
//! agencies decide; carriers submit manifests; authorities decide certificates of origin.
//! Lodging, paying and claiming send an idempotency key, printed so a retry repeats it.

use super::api::{Api, Call};
use super::{Out, new_key, print, seg};
use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use reqwest::Method;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum CustomsCommand {
    /// Lodge a declaration (JSON, see docs/examples/customs/declaration.json).
    Lodge {
        file: PathBuf,
        /// Idempotency key; repeat the one printed to retry safely [default: a new one]
        #[arg(long)]
        key: Option<String>,
    },
    /// Declarations you work on: your own, your economy's (officer), the red lane
    /// (inspection service) or those awaiting your agency.
    List {
        /// Only this status, e.g. awaiting_payment
        #[arg(long)]
        status: Option<String>,
        /// Only this lane: green, yellow or red
        #[arg(long)]
        lane: Option<String>,
    },
    /// One declaration with its events and next steps.
    Show { id: String },
    /// Amend a declaration before assessment (the same JSON as lodging).
    Amend { id: String, file: PathBuf },
    /// Officer: the documents of a yellow-lane declaration are in order.
    AcceptDocuments { id: String },
    /// Inspection service: book the physical inspection of a red-lane declaration.
    BookInspection {
        id: String,
        /// When, RFC 3339, e.g. 2026-11-27T09:00:00Z
        #[arg(long)]
        slot: String,
    },
    /// Inspection service: record the inspection's outcome.
    RecordInspection {
        id: String,
        /// The goods match the declaration
        #[arg(long, conflicts_with = "not_compliant", required_unless_present = "not_compliant")]
        compliant: bool,
        /// The goods do not match; customs reassesses or rejects
        #[arg(long)]
        not_compliant: bool,
        #[arg(long)]
        findings: String,
        /// A photo's SHA-256 from `customs photo` (repeat for more)
        #[arg(long = "photo")]
        photos: Vec<String>,
    },
    /// Inspection service: upload a photo of the goods (JPEG, PNG or WebP).
    Photo { id: String, file: PathBuf },
    /// Officer: a new duty with the reason.
    Reassess {
        id: String,
        /// The duty as "AMOUNT CURRENCY", e.g. "123.45 EUR"
        #[arg(long)]
        duty: String,
        #[arg(long)]
        reason: String,
    },
    /// Officer: reject the declaration.
    Reject {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Declarant: pay the assessed duty and taxes.
    Pay {
        id: String,
        /// Idempotency key; repeat the one printed to retry safely [default: a new one]
        #[arg(long)]
        key: Option<String>,
    },
    /// Agency: approve or refuse the goods.
    Decide {
        id: String,
        #[arg(long, conflicts_with = "refuse", required_unless_present = "refuse")]
        approve: bool,
        #[arg(long)]
        refuse: bool,
        /// Why (required when refusing)
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Declarant: withdraw the declaration.
    Cancel {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// A declaration drafted from an order's documents, printed as JSON to complete and lodge.
    Draft {
        order: String,
        /// import (the buyer declares) or export (the seller declares)
        #[arg(long)]
        direction: String,
    },
    /// Carrier: submit a cargo manifest (JSON, see docs/examples/customs/manifest.json).
    Manifest { file: PathBuf },
    /// Manifests, each reconciled with the declarations lodged for its transport documents.
    Manifests,
    /// Claim back duty on re-exported goods (JSON, see docs/examples/customs/drawback.json).
    Drawback {
        file: PathBuf,
        /// Idempotency key; repeat the one printed to retry safely [default: a new one]
        #[arg(long)]
        key: Option<String>,
    },
    /// Your drawback claims.
    Drawbacks,
    /// Officer: time from lodgement to release per lane, agency and step.
    TimeRelease,
    /// Officer: your economy's risk profile.
    RiskProfile,
    /// Certificates of origin: request, decide, list.
    Certificate {
        #[command(subcommand)]
        command: CertificateCommand,
    },
    /// Certificates of origin you asked for or decide.
    Certificates,
    /// Declarant's admin: let a verified customs broker lodge in your company's name.
    Mandate { broker: String },
    /// Operator: register a verified government agency by its code (quarantine, inspection, …).
    Agency {
        org: String,
        #[arg(long)]
        code: String,
    },
}

#[derive(Subcommand)]
pub enum CertificateCommand {
    /// Apply for a certificate of origin for a bill of materials (JSON).
    Request {
        bom: PathBuf,
        /// The issuing authority's company id
        #[arg(long)]
        authority: String,
        /// The agreement, e.g. EUSFTA
        #[arg(long)]
        agreement: String,
    },
    /// Authority: approve or reject a requested certificate.
    Decide {
        id: String,
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        approve: bool,
        #[arg(long)]
        reject: bool,
        #[arg(long, default_value = "")]
        reason: String,
        /// Days an approved certificate is valid
        #[arg(long)]
        valid_days: Option<u32>,
    },
}

const BASE: &str = "/api/v1/customs";

pub async fn run(api: &Api, out: &Out, command: CustomsCommand) -> Result<()> {
    match command {
        CustomsCommand::Lodge { file, key } => {
            let body = read_json(&file)?;
            let key = key.unwrap_or_else(|| new_key("declaration"));
            let (d, replayed) = keyed(api, &format!("{BASE}/declarations"), &body, &key).await?;
            out.show(&d, |d| {
                let head = if replayed {
                    "Lodged earlier with this key: this is the earlier answer, no new declaration.\n".to_string()
                } else {
                    "Declaration lodged.\n".to_string()
                };
                format!(
                    "{head}{}Idempotency-Key  {key}\nTo retry safely: tradewind client customs lodge {} --key {key}\n",
                    declaration_text(d),
                    file.display()
                )
            })
        }
        CustomsCommand::List { status, lane } => {
            let mut items = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut query = vec!["limit=200".to_string()];
                if let Some(s) = &status {
                    query.push(format!("status={}", seg(s)?));
                }
                if let Some(l) = &lane {
                    query.push(format!("lane={}", seg(l)?));
                }
                if let Some(c) = &cursor {
                    query.push(format!("cursor={}", seg(c)?));
                }
                let page = api.get(&format!("{BASE}/declarations?{}", query.join("&"))).await?;
                items.extend(page["items"].as_array().cloned().unwrap_or_default());
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_string()),
                    None => break,
                }
            }
            out.show(&Value::Array(items), |v| declaration_table(v.as_array().map(Vec::as_slice).unwrap_or_default()))
        }
        CustomsCommand::Show { id } => {
            let v = api.get(&format!("{BASE}/declarations/{}", seg(&id)?)).await?;
            out.show(&v, show_text)
        }
        CustomsCommand::Amend { id, file } => {
            let body = read_json(&file)?;
            let path = format!("{BASE}/declarations/{}", seg(&id)?);
            let d = api.json(Method::PUT, &path, Call::body(&body)).await?;
            out.show(&d, |d| format!("Declaration amended; it went through selection again.\n{}", declaration_text(d)))
        }
        CustomsCommand::AcceptDocuments { id } => {
            act(api, out, &id, json!({"action": "accept_documents"}), "Documents accepted.").await
        }
        CustomsCommand::BookInspection { id, slot } => {
            act(api, out, &id, json!({"action": "book_inspection", "slot": slot}), "Inspection booked.").await
        }
        CustomsCommand::RecordInspection { id, compliant, not_compliant: _, findings, photos } => {
            let body = json!({"action": "record_inspection", "compliant": compliant, "findings": findings,
                "photos": photos});
            let what = if compliant {
                "Inspection recorded: the goods match the declaration."
            } else {
                "Inspection recorded: the goods do not match; customs reassesses or rejects."
            };
            act(api, out, &id, body, what).await
        }
        CustomsCommand::Photo { id, file } => {
            let (content_type, body) = multipart_photo(&file)?;
            let path = format!("{BASE}/declarations/{}/photos", seg(&id)?);
            let p = api.post_bytes(&path, &content_type, body).await?;
            out.show(&p, |p| {
                format!(
                    "Photo added: {}\nRecord it with: tradewind client customs record-inspection {id} … --photo {}\n",
                    print::text(&p["sha256"]),
                    print::text(&p["sha256"])
                )
            })
        }
        CustomsCommand::Reassess { id, duty, reason } => {
            let duty = money_arg(&duty)?;
            let body = json!({"action": "reassess", "duty": duty, "reason": reason});
            act(api, out, &id, body, "Duty reassessed.").await
        }
        CustomsCommand::Reject { id, reason } => {
            act(api, out, &id, json!({"action": "reject", "reason": reason}), "Declaration rejected.").await
        }
        CustomsCommand::Pay { id, key } => {
            let key = key.unwrap_or_else(|| new_key("duty"));
            let path = format!("{BASE}/declarations/{}/actions", seg(&id)?);
            let (d, replayed) = keyed(api, &path, &json!({"action": "pay_duty"}), &key).await?;
            out.show(&d, |d| {
                let head = if replayed { "Duty paid earlier; nothing paid again." } else { "Duty paid." };
                format!(
                    "{head}\n{}Idempotency-Key  {key}\nTo retry safely: tradewind client customs pay {id} --key {key}\n",
                    declaration_text(d)
                )
            })
        }
        CustomsCommand::Decide { id, approve, refuse: _, note } => {
            let body = json!({"action": "decide", "approved": approve, "note": note});
            act(api, out, &id, body, if approve { "Approved." } else { "Refused." }).await
        }
        CustomsCommand::Cancel { id, reason } => {
            act(api, out, &id, json!({"action": "cancel", "reason": reason}), "Declaration cancelled.").await
        }
        CustomsCommand::Draft { order, direction } => {
            if !matches!(direction.as_str(), "import" | "export") {
                bail!("--direction is import or export, not '{direction}'");
            }
            let path = format!("/api/v1/orders/{}/customs-declaration?direction={direction}", seg(&order)?);
            let v = api.get(&path).await?;
            if out.json {
                return out.show(&v, |_| String::new());
            }
            println!("{}", serde_json::to_string_pretty(&v["declaration"])?);
            eprintln!("To complete before lodging with `tradewind client customs lodge FILE`:");
            for t in v["to_complete"].as_array().map(Vec::as_slice).unwrap_or_default() {
                eprintln!("  - {}", print::text(t));
            }
            Ok(())
        }
        CustomsCommand::Manifest { file } => {
            let body = read_json(&file)?;
            let m = api.post(&format!("{BASE}/manifests"), &body).await?;
            out.show(&m, |m| {
                let entries = m["entries"].as_array().map(Vec::len).unwrap_or(0);
                format!(
                    "Manifest submitted.\n{}",
                    print::fields(&[
                        ("Manifest", print::text(&m["id"])),
                        ("Economy", print::text(&m["economy"])),
                        ("Conveyance", print::text(&m["conveyance"])),
                        ("Arrival", print::text(&m["arrival_at"])),
                        ("Consignments", entries.to_string()),
                    ])
                )
            })
        }
        CustomsCommand::Manifests => {
            let v = api.get(&format!("{BASE}/manifests")).await?;
            out.show(&v, manifests_text)
        }
        CustomsCommand::Drawback { file, key } => {
            let body = read_json(&file)?;
            let key = key.unwrap_or_else(|| new_key("drawback"));
            let (c, replayed) = keyed(api, &format!("{BASE}/drawback"), &body, &key).await?;
            out.show(&c, |c| {
                let head = if replayed { "Claimed earlier with this key; nothing claimed again." } else { "Drawback claimed." };
                format!(
                    "{head}\n{}Idempotency-Key  {key}\nTo retry safely: tradewind client customs drawback {} --key {key}\n",
                    drawback_text(c),
                    file.display()
                )
            })
        }
        CustomsCommand::Drawbacks => {
            let v = api.get(&format!("{BASE}/drawback")).await?;
            out.show(&v, |v| {
                let items = v["items"].as_array().map(Vec::as_slice).unwrap_or_default();
                if items.is_empty() {
                    return "No drawback claims.\n".into();
                }
                let rows: Vec<[String; 4]> = items
                    .iter()
                    .map(|c| {
                        [
                            print::text(&c["id"]),
                            print::text(&c["economy"]),
                            print::money(&c["refund"]),
                            print::text(&c["created_at"]),
                        ]
                    })
                    .collect();
                print::table(&["CLAIM", "ECONOMY", "REFUND", "CLAIMED AT"], &rows)
            })
        }
        CustomsCommand::TimeRelease => {
            let v = api.get(&format!("{BASE}/time-release")).await?;
            out.show(&v, time_release_text)
        }
        CustomsCommand::RiskProfile => {
            let v = api.get(&format!("{BASE}/risk-profile")).await?;
            out.show(&v, risk_profile_text)
        }
        CustomsCommand::Certificate { command } => certificate(api, out, command).await,
        CustomsCommand::Certificates => {
            let v = api.get(&format!("{BASE}/origin/certificates")).await?;
            out.show(&v, |v| {
                let items = v["items"].as_array().map(Vec::as_slice).unwrap_or_default();
                if items.is_empty() {
                    return "No certificates of origin.\n".into();
                }
                let rows: Vec<[String; 6]> = items
                    .iter()
                    .map(|c| {
                        [
                            print::text(&c["id"]),
                            print::text(&c["number"]),
                            print::text(&c["agreement"]),
                            print::text(&c["status"]),
                            format!("{} ({})", print::text(&c["product"]), print::text(&c["product_hs"])),
                            print::text(&c["valid_until"]),
                        ]
                    })
                    .collect();
                print::table(&["CERTIFICATE", "NUMBER", "AGREEMENT", "STATUS", "PRODUCT", "VALID UNTIL"], &rows)
            })
        }
        CustomsCommand::Mandate { broker } => {
            api.send(Method::POST, &format!("{BASE}/brokers"), Call::body(&json!({"broker": broker}))).await?;
            let answer = json!({"broker": broker, "mandated": true});
            out.show(&answer, |_| format!("Broker {broker} may now lodge declarations in your company's name.\n"))
        }
        CustomsCommand::Agency { org, code } => {
            let path = format!("/api/v1/operator/customs-agencies/{}", seg(&org)?);
            api.send(Method::PUT, &path, Call::body(&json!({"agency": code}))).await?;
            let answer = json!({"organization": org, "agency": code});
            out.show(&answer, |_| format!("Company {org} is registered as the {code} agency of its economy.\n"))
        }
    }
}

async fn certificate(api: &Api, out: &Out, command: CertificateCommand) -> Result<()> {
    match command {
        CertificateCommand::Request { bom, authority, agreement } => {
            let body = json!({"authority": authority, "agreement": agreement, "bill_of_materials": read_json(&bom)?});
            let c = api.post(&format!("{BASE}/origin/certificates"), &body).await?;
            out.show(&c, |c| {
                format!("Certificate of origin requested; the authority decides.\n{}", certificate_text(c))
            })
        }
        CertificateCommand::Decide { id, approve, reject: _, reason, valid_days } => {
            let body = json!({"decision": if approve { "approve" } else { "reject" }, "reason": reason,
                "valid_days": valid_days});
            let path = format!("{BASE}/origin/certificates/{}/decision", seg(&id)?);
            let c = api.post(&path, &body).await?;
            out.show(&c, certificate_text)
        }
    }
}

/// A declaration action; the answer is the declaration after it.
async fn act(api: &Api, out: &Out, id: &str, body: Value, what: &str) -> Result<()> {
    let d = api.post(&format!("{BASE}/declarations/{}/actions", seg(id)?), &body).await?;
    out.show(&d, |d| format!("{what}\n{}", declaration_text(d)))
}

/// A POST with an idempotency key; the answer and whether it replays an earlier one.
async fn keyed(api: &Api, path: &str, body: &Value, key: &str) -> Result<(Value, bool)> {
    let res = api.send(Method::POST, path, Call::body(body).with_key(key)).await?;
    let replayed = res.headers().get("idempotent-replayed").is_some_and(|v| v.as_bytes() == b"true");
    let v: Value = res.json().await.map_err(|e| anyhow!("the server's answer to {path} is not JSON: {e}"))?;
    let replayed = replayed || v["replayed"].as_bool() == Some(true);
    Ok((v, replayed))
}

fn read_json(file: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(file).map_err(|e| anyhow!("reading {}: {e}", file.display()))?;
    serde_json::from_str(&text).map_err(|e| anyhow!("{} is not JSON: {e}", file.display()))
}

/// `"123.45 EUR"` as the API's money object, checked here so a typo is not sent.
fn money_arg(text: &str) -> Result<Value> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [amount, currency] = parts.as_slice() else {
        bail!("--duty '{text}': give the amount and the currency, e.g. \"123.45 EUR\"");
    };
    amount.parse::<rust_decimal::Decimal>().map_err(|_| anyhow!("--duty: '{amount}' is not an amount"))?;
    let currency = currency.to_ascii_uppercase();
    currency
        .parse::<tradewind_domain::CurrencyCode>()
        .map_err(|e| anyhow!("--duty: '{currency}' is not an ISO 4217 currency: {e}"))?;
    Ok(json!({"amount": amount, "currency": currency}))
}

/// A photo as a multipart body with one field `file`; the server checks what it is.
fn multipart_photo(file: &Path) -> Result<(String, Vec<u8>)> {
    let bytes = std::fs::read(file).map_err(|e| anyhow!("reading {}: {e}", file.display()))?;
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let kind = match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    };
    let name: String = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("photo")
        .chars()
        .filter(|c| !matches!(c, '"' | '\r' | '\n' | '\\'))
        .collect();
    let boundary = format!("tradewind-{}", uuid::Uuid::new_v4().simple());
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {kind}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Ok((format!("multipart/form-data; boundary={boundary}"), body))
}

fn words(v: &Value) -> String {
    print::text(v).replace('_', " ")
}

/// One declaration: who, where it stands, what is owed, which agencies decide.
fn declaration_text(d: &Value) -> String {
    let declarant = format!("{} ({})", print::text(&d["declarant_name"]), print::text(&d["declarant_org"]));
    let mut rows = vec![
        ("Declaration", print::text(&d["id"])),
        ("Number", print::text(&d["number"])),
        ("Direction", print::text(&d["direction"])),
        ("Economy", print::text(&d["economy"])),
        ("Declarant", declarant),
    ];
    if let Some(b) = d["broker_org"].as_str() {
        rows.push(("Broker", b.to_string()));
    }
    if let Some(t) = d["transport_document"].as_str() {
        rows.push(("Transport doc", t.to_string()));
    }
    rows.push(("Status", words(&d["status"])));
    rows.push(("Lane", print::text(&d["lane"])));
    rows.push(("Duty and taxes", print::money(&d["duty"])));
    let agencies: Vec<String> = d["agencies"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|a| {
            let decision = a["decision"].as_str().unwrap_or("pending");
            format!("{} {decision}", print::text(&a["agency"]))
        })
        .collect();
    if !agencies.is_empty() {
        rows.push(("Agencies", agencies.join(", ")));
    }
    rows.push(("Version", print::text(&d["version"])));
    rows.push(("Lodged", print::text(&d["created_at"])));
    let mut s = print::fields(&rows);
    let fired = d["selection"]["fired"].as_array().map(Vec::as_slice).unwrap_or_default();
    for f in fired {
        let item = f["item"].as_u64().map(|i| format!(" (item {i})")).unwrap_or_default();
        let _ = writeln!(
            s,
            "  risk rule {}{item}: {} → {}",
            print::text(&f["id"]),
            print::text(&f["description"]),
            print::text(&f["lane"])
        );
    }
    if let Some(lane) = d["selection"]["sampled"].as_str() {
        let _ = writeln!(s, "  sampled at random for the {lane} lane");
    }
    s
}

/// `customs show`: the declaration, its assessment, its events and what happens next.
fn show_text(v: &Value) -> String {
    let d = &v["declaration"];
    let mut s = declaration_text(d);
    let _ = writeln!(s, "Your role: {}", role_text(&v["your_role"]));
    let steps = d["assessment"]["explanation"].as_array().map(Vec::as_slice).unwrap_or_default();
    if !steps.is_empty() {
        let _ = writeln!(s, "\nAssessment:");
        let rows: Vec<[String; 3]> = steps
            .iter()
            .map(|c| [print::text(&c["label"]), print::money(&c["amount"]), print::text(&c["basis"])])
            .collect();
        for line in print::table(&["STEP", "AMOUNT", "BASIS"], &rows).lines() {
            let _ = writeln!(s, "  {line}");
        }
    }
    let events = v["events"].as_array().map(Vec::as_slice).unwrap_or_default();
    let _ = writeln!(s, "\nEvents:");
    let rows: Vec<[String; 4]> = events
        .iter()
        .map(|e| {
            [
                print::text(&e["seq"]),
                print::text(&e["at"]),
                words(&e["step"]),
                e["actor_org"].as_str().unwrap_or("customs system").to_string(),
            ]
        })
        .collect();
    for line in print::table(&["SEQ", "AT (UTC)", "STEP", "BY"], &rows).lines() {
        let _ = writeln!(s, "  {line}");
    }
    let next = v["next_steps"].as_array().map(Vec::as_slice).unwrap_or_default();
    if next.is_empty() {
        let _ = writeln!(s, "\nNext: nothing (closed)");
    } else {
        let _ = writeln!(s, "\nNext:");
        for n in next {
            let _ = writeln!(s, "  - {}", print::text(n));
        }
    }
    s
}

fn role_text(r: &Value) -> String {
    match r {
        Value::Object(o) => o.iter().map(|(k, v)| format!("{} ({})", k.replace('_', " "), print::text(v))).collect(),
        other => words(other),
    }
}

fn declaration_table(items: &[Value]) -> String {
    if items.is_empty() {
        return "No declarations.\n".into();
    }
    let rows: Vec<[String; 7]> = items
        .iter()
        .map(|d| {
            [
                print::text(&d["id"]),
                print::text(&d["number"]),
                print::text(&d["direction"]),
                print::text(&d["economy"]),
                words(&d["status"]),
                print::text(&d["lane"]),
                print::money(&d["duty"]),
            ]
        })
        .collect();
    print::table(&["DECLARATION", "NUMBER", "DIRECTION", "ECONOMY", "STATUS", "LANE", "DUTY AND TAXES"], &rows)
}

fn drawback_text(c: &Value) -> String {
    let mut s = print::fields(&[
        ("Claim", print::text(&c["id"])),
        ("Economy", print::text(&c["economy"])),
        ("Refund", print::money(&c["refund"])),
    ]);
    let lines = c["lines"]["lines"].as_array().map(Vec::as_slice).unwrap_or_default();
    let rows: Vec<[String; 4]> = lines
        .iter()
        .map(|l| {
            [
                format!("{} item {}", print::text(&l["export_declaration"]), print::text(&l["export_item"])),
                format!("{} item {}", print::text(&l["import_declaration"]), print::text(&l["import_item"])),
                print::text(&l["quantity"]),
                print::money(&l["refund"]),
            ]
        })
        .collect();
    if !rows.is_empty() {
        s.push_str(&print::table(&["EXPORTED", "IMPORTED", "QUANTITY", "REFUND"], &rows));
    }
    s
}

fn manifests_text(v: &Value) -> String {
    let items = v["items"].as_array().map(Vec::as_slice).unwrap_or_default();
    if items.is_empty() {
        return "No manifests.\n".into();
    }
    let mut s = String::new();
    for item in items {
        let m = &item["manifest"];
        let r = &item["reconciliation"];
        let count = |k: &str| r[k].as_array().map(Vec::len).unwrap_or(0);
        let _ = writeln!(
            s,
            "{}  {}  {}  arriving {}",
            print::text(&m["id"]),
            print::text(&m["economy"]),
            print::text(&m["conveyance"]),
            print::text(&m["arrival_at"])
        );
        let _ = writeln!(
            s,
            "  matched {}, declared but not manifested {}, manifested but not declared {}, discrepancies {}",
            count("matched"),
            count("declared_not_manifested"),
            count("manifested_not_declared"),
            count("discrepancies")
        );
        for x in r["matched"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let numbers: Vec<String> =
                x["declarations"].as_array().map(Vec::as_slice).unwrap_or_default().iter().map(print::text).collect();
            let _ = writeln!(s, "  matched {}: {}", print::text(&x["transport_document"]), numbers.join(", "));
        }
        for x in r["manifested_not_declared"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let _ = writeln!(
                s,
                "  not declared: {} ({})",
                print::text(&x["transport_document"]),
                print::text(&x["description"])
            );
        }
        for x in r["declared_not_manifested"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let _ = writeln!(
                s,
                "  not manifested: {} (declaration {})",
                print::text(&x["transport_document"]),
                print::text(&x["declaration_number"])
            );
        }
        for x in r["discrepancies"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let _ = writeln!(
                s,
                "  {} {}: manifest {}, declared {}",
                print::text(&x["transport_document"]),
                words(&x["field"]),
                print::text(&x["manifest"]),
                print::text(&x["declared"])
            );
        }
    }
    s
}

fn time_release_text(v: &Value) -> String {
    let rows_of = |k: &str| -> Vec<[String; 4]> {
        v[k].as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|f| {
                [
                    print::text(&f["label"]),
                    print::text(&f["declarations"]),
                    print::text(&f["mean_minutes"]),
                    print::text(&f["median_minutes"]),
                ]
            })
            .collect()
    };
    let mut s = String::new();
    match v["overall"].as_object() {
        Some(_) => {
            let o = &v["overall"];
            let _ = writeln!(
                s,
                "Lodgement to release: {} declarations, mean {} min, median {} min",
                print::text(&o["declarations"]),
                print::text(&o["mean_minutes"]),
                print::text(&o["median_minutes"])
            );
        }
        None => s.push_str("No declaration released yet.\n"),
    }
    for (k, title) in [("per_lane", "LANE"), ("per_agency", "AGENCY"), ("per_step", "STEP")] {
        let rows = rows_of(k);
        if !rows.is_empty() {
            s.push('\n');
            s.push_str(&print::table(&[title, "DECLARATIONS", "MEAN MIN", "MEDIAN MIN"], &rows));
        }
    }
    s
}

fn risk_profile_text(v: &Value) -> String {
    let mut s = format!(
        "Random sample: {} red and {} yellow per 10,000 (seed {})\n",
        print::text(&v["sampling"]["red_per_10000"]),
        print::text(&v["sampling"]["yellow_per_10000"]),
        print::text(&v["seed"])
    );
    let rows: Vec<[String; 3]> = v["rules"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|r| [print::text(&r["id"]), print::text(&r["lane"]), print::text(&r["description"])])
        .collect();
    s.push_str(&print::table(&["RULE", "LANE", "DESCRIPTION"], &rows));
    s
}

fn certificate_text(c: &Value) -> String {
    let mut rows = vec![
        ("Certificate", print::text(&c["id"])),
        ("Number", print::text(&c["number"])),
        ("Agreement", print::text(&c["agreement"])),
        ("Product", format!("{} (HS {})", print::text(&c["product"]), print::text(&c["product_hs"]))),
        ("Origin", print::text(&c["origin"])),
        ("Status", print::text(&c["status"])),
    ];
    if let (Some(f), Some(u)) = (c["valid_from"].as_str(), c["valid_until"].as_str()) {
        rows.push(("Valid", format!("{f} to {u}")));
    }
    if let Some(r) = c["reason"].as_str().filter(|r| !r.is_empty()) {
        rows.push(("Reason", r.to_string()));
    }
    print::fields(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duty_is_an_amount_and_a_currency() {
        assert_eq!(money_arg("123.45 eur").expect("money"), json!({"amount": "123.45", "currency": "EUR"}));
        assert!(money_arg("123.45").expect_err("no currency").to_string().contains("\"123.45 EUR\""));
        assert!(money_arg("12x EUR").expect_err("amount").to_string().contains("not an amount"));
        assert!(money_arg("1 XYZ").expect_err("currency").to_string().contains("ISO 4217"));
    }

    #[test]
    fn a_photo_travels_in_one_multipart_field() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("crate.png");
        std::fs::write(&path, b"\x89PNG\r\n\x1a\nrest").expect("write");
        let (kind, body) = multipart_photo(&path).expect("body");
        let boundary = kind.strip_prefix("multipart/form-data; boundary=").expect("boundary");
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(&format!("--{boundary}\r\n")), "{text}");
        assert!(text.contains("name=\"file\"; filename=\"crate.png\"\r\nContent-Type: image/png"), "{text}");
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")), "{text}");
    }

    #[test]
    fn a_declaration_reads_its_status_and_agencies_in_words() {
        let d = json!({"id": "d1", "number": "IMP-1", "direction": "import", "economy": "DE",
            "declarant_name": "Rhein Möbel", "declarant_org": "o1", "status": "awaiting_payment", "lane": "red",
            "duty": {"amount": "12.5", "currency": "EUR"}, "version": 3,
            "agencies": [{"agency": "quarantine", "decision": null}],
            "selection": {"fired": [{"id": "r1", "description": "furniture", "lane": "red", "item": 1}], "sampled": null}});
        let s = declaration_text(&d);
        assert!(s.contains("Status          awaiting payment\n"), "{s}");
        assert!(s.contains("Duty and taxes  12.50 EUR\n"), "{s}");
        assert!(s.contains("Agencies        quarantine pending\n"), "{s}");
        assert!(s.contains("risk rule r1 (item 1): furniture → red"), "{s}");
    }
}
