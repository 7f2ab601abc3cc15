//! `tradewind client record …`: transferable records (e-B/L, warehouse receipt, promissory
//! note) from a terminal. Every action first reads the record's current version and sends
//! it as `expected_version`, or sends the `--version` given, so an action decided on an old
//! reading is refused by the server rather than applied to a record that moved.

use super::api::Api;
use super::{Out, print, seg};
use anyhow::Result;
use clap::Subcommand;
use serde_json::{Value, json};

#[derive(Subcommand)]
pub enum RecordCommand {
    /// The records your company holds, is beneficiary of, issued, or held before.
    List,
    /// One record with its chain of title and whether the chain verifies.
    Show { id: String },
    /// Holder: pass possession to another company.
    Transfer {
        id: String,
        /// The next holder's company id
        #[arg(long)]
        to: String,
        #[command(flatten)]
        version: VersionArg,
    },
    /// Beneficiary: name the next beneficiary (the holder then endorses).
    Nominate {
        id: String,
        /// The next beneficiary's company id
        #[arg(long)]
        nominee: String,
        #[command(flatten)]
        version: VersionArg,
    },
    /// Holder: endorse the pending nomination.
    Endorse {
        id: String,
        #[command(flatten)]
        version: VersionArg,
    },
    /// Holder and beneficiary: surrender to the issuer for delivery.
    Surrender {
        id: String,
        #[command(flatten)]
        version: VersionArg,
    },
    /// Issuer: accept the surrender (the record is accomplished).
    AcceptSurrender {
        id: String,
        #[command(flatten)]
        version: VersionArg,
    },
    /// Issuer: reject the surrender; the record goes back to who surrendered it.
    RejectSurrender {
        id: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        version: VersionArg,
    },
    /// Holder and beneficiary: give the record back to its issuer.
    Return {
        id: String,
        #[command(flatten)]
        version: VersionArg,
    },
}

#[derive(clap::Args)]
pub struct VersionArg {
    /// The version you decided on (from `record show`) [default: the current one]
    #[arg(long = "version")]
    expected: Option<i64>,
}

const BASE: &str = "/api/v1/transferable-records";

pub async fn run(api: &Api, out: &Out, command: RecordCommand) -> Result<()> {
    let (id, action, version, mut body) = match command {
        RecordCommand::List => {
            let l = api.get(BASE).await?;
            return out.show(&l, |l| list_text(l["items"].as_array().map(Vec::as_slice).unwrap_or_default()));
        }
        RecordCommand::Show { id } => {
            let r = api.get(&format!("{BASE}/{}", seg(&id)?)).await?;
            let v = api.get(&format!("{BASE}/{}/verification", seg(&id)?)).await?;
            return out.show(&json!({"record": r, "verification": v}), |both| {
                record_text(&both["record"], &both["verification"])
            });
        }
        RecordCommand::Transfer { id, to, version } => (id, "transfer", version, json!({"to": to})),
        RecordCommand::Nominate { id, nominee, version } => (id, "nominate", version, json!({"nominee": nominee})),
        RecordCommand::Endorse { id, version } => (id, "endorse", version, json!({})),
        RecordCommand::Surrender { id, version } => (id, "surrender", version, json!({})),
        RecordCommand::AcceptSurrender { id, version } => (id, "accept-surrender", version, json!({})),
        RecordCommand::RejectSurrender { id, reason, version } => {
            (id, "reject-surrender", version, json!({"reason": reason}))
        }
        RecordCommand::Return { id, version } => (id, "return", version, json!({})),
    };
    let id = seg(&id)?;
    let expected = match version.expected {
        Some(v) => v,
        None => api.get(&format!("{BASE}/{id}")).await?["version"].as_i64().unwrap_or(0),
    };
    body["expected_version"] = json!(expected);
    let r = api.post(&format!("{BASE}/{id}/{action}"), &body).await?;
    out.show(&r, summary)
}

fn summary(r: &Value) -> String {
    print::fields(&[
        ("record", print::text(&r["id"])),
        ("number", print::text(&r["number"])),
        ("status", print::text(&r["status"]).replace('_', " ")),
        ("holder", print::text(&r["holder"])),
        ("beneficiary", print::text(&r["beneficiary"])),
        ("version", print::text(&r["version"])),
    ])
}

fn list_text(items: &[Value]) -> String {
    if items.is_empty() {
        return "No transferable records.\n".into();
    }
    let rows: Vec<[String; 5]> = items
        .iter()
        .map(|r| {
            [
                print::text(&r["id"]),
                print::text(&r["kind"]).replace('_', " "),
                print::text(&r["number"]),
                print::text(&r["status"]).replace('_', " "),
                print::text(&r["holder"]),
            ]
        })
        .collect();
    print::table(&["RECORD", "KIND", "NUMBER", "STATUS", "HOLDER"], &rows)
}

fn record_text(r: &Value, v: &Value) -> String {
    let name = |id: &Value| {
        let id = print::text(id);
        r["parties"][&id].as_str().map(|n| format!("{n} ({id})")).unwrap_or(id)
    };
    let mut s = print::fields(&[
        ("record", print::text(&r["id"])),
        ("kind", print::text(&r["kind"]).replace('_', " ")),
        ("number", print::text(&r["number"])),
        ("status", print::text(&r["status"]).replace('_', " ")),
        ("issuer", name(&r["issuer"])),
        ("holder", name(&r["holder"])),
        ("beneficiary", name(&r["beneficiary"])),
        ("nominee", if r["nominee"].is_null() { String::new() } else { name(&r["nominee"]) }),
        ("version", print::text(&r["version"])),
    ]);
    if r["up_to_exit"] == json!(true) {
        s.push_str("You held this record before: shown as it stood when you passed it on.\n");
    }
    let checks = v["steps"].as_array().map(Vec::as_slice).unwrap_or_default();
    let rows: Vec<[String; 5]> = r["chain"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .zip(checks.iter().map(Some).chain(std::iter::repeat(None)))
        .map(|(st, c)| {
            let check = match c {
                Some(c) if c["ok"] == json!(true) => "ok".to_string(),
                Some(c) => format!("FAILS: {}", print::text(&c["problem"])),
                None => String::new(),
            };
            [
                print::text(&st["seq"]),
                print::text(&st["action"]).replace('_', " "),
                name(&st["to_holder"]),
                print::text(&st["at"]),
                check,
            ]
        })
        .collect();
    s.push('\n');
    s.push_str(&print::table(&["STEP", "ACTION", "HOLDER AFTER", "AT (UTC)", "SIGNATURE"], &rows));
    s.push_str(if v["valid"] == json!(true) {
        "\nThe chain of title verifies: every step links to the one before and is signed by the company that took it.\n"
    } else {
        "\nThe chain of title does NOT verify.\n"
    });
    if let Some(f) = v["link_fault"].as_str() {
        s.push_str(&format!("{f}\n"));
    }
    s
}
