//! `tradewind client exchange`: document exchange between parties from a terminal. Send
//! issued documents to a company or authority (with an idempotency key, so a retried send
//! creates one exchange), read the inbox and outbox with each document's status, accept or
//! reject a received document with a reason, and revoke access to a sent one.

use super::api::{Api, Call};
use super::{Out, new_key, print, seg};
use anyhow::Result;
use clap::Subcommand;
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Subcommand)]
pub enum ExchangeCommand {
    /// Send issued documents to a verified company or authority.
    Send {
        /// The receiving company's id
        #[arg(long)]
        to: String,
        /// An issued document's id (repeat for more)
        #[arg(long = "document", required = true)]
        documents: Vec<String>,
        /// A covering note
        #[arg(long, default_value = "")]
        note: String,
        /// Idempotency key; repeat the one printed to retry safely [default: a new one]
        #[arg(long)]
        key: Option<String>,
    },
    /// Documents sent to your company, newest first.
    Inbox,
    /// Documents your company sent, with each receiver's answer.
    Outbox,
    /// Accept a document you received (an optional note).
    Accept {
        exchange: String,
        document: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Reject a document you received, saying why.
    Reject {
        exchange: String,
        document: String,
        #[arg(long)]
        reason: String,
    },
    /// Revoke the receiver's access to one document you sent, or to all of an exchange.
    Revoke {
        exchange: String,
        #[arg(long)]
        document: Option<String>,
    },
}

/// One exchange as text: who to whom, then each document with its status.
fn exchange_text(e: &Value) -> String {
    let mut s = format!(
        "Exchange {}  {} → {}  {}\n",
        print::text(&e["id"]),
        print::text(&e["sender"]["legal_name"]),
        print::text(&e["receiver"]["legal_name"]),
        print::date(&e["created_at"])
    );
    let rows: Vec<[String; 4]> = e["documents"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|d| {
            [
                print::text(&d["document_id"]),
                format!("{} v{} {}", print::text(&d["kind"]), print::text(&d["version"]), print::text(&d["number"])),
                print::text(&d["status"]),
                print::text(&d["reason"]),
            ]
        })
        .collect();
    s.push_str(&print::table(&["DOCUMENT", "WHAT", "STATUS", "REASON"], &rows));
    s
}

fn list_text(page: &Value) -> String {
    let items = page["items"].as_array().map(Vec::as_slice).unwrap_or_default();
    if items.is_empty() {
        return "nothing yet\n".into();
    }
    items.iter().map(exchange_text).collect::<Vec<_>>().join("\n")
}

/// Runs one `tradewind client exchange` command.
pub(super) async fn run(api: &Api, out: &Out, command: ExchangeCommand) -> Result<()> {
    match command {
        ExchangeCommand::Send { to, documents, note, key } => {
            let key = key.unwrap_or_else(|| new_key("send"));
            let body = json!({"receiver": to.trim(), "documents": documents, "note": note});
            let e = api.json(Method::POST, "/api/v1/exchanges", Call::body(&body).with_key(&key)).await?;
            out.show(&e, |e| {
                let replay = if e["replayed"].as_bool() == Some(true) { " (earlier, with this key)" } else { "" };
                format!("Sent{replay}.\n{}To retry safely: --key {key}\n", exchange_text(e))
            })
        }
        ExchangeCommand::Inbox => out.show(&api.get("/api/v1/exchanges/inbox?limit=200").await?, list_text),
        ExchangeCommand::Outbox => out.show(&api.get("/api/v1/exchanges/outbox?limit=200").await?, list_text),
        ExchangeCommand::Accept { exchange, document, note } => {
            let path = format!("/api/v1/exchanges/{}/documents/{}/accept", seg(&exchange)?, seg(&document)?);
            out.show(&api.post(&path, &json!({"reason": note})).await?, exchange_text)
        }
        ExchangeCommand::Reject { exchange, document, reason } => {
            let path = format!("/api/v1/exchanges/{}/documents/{}/reject", seg(&exchange)?, seg(&document)?);
            out.show(&api.post(&path, &json!({"reason": reason})).await?, exchange_text)
        }
        ExchangeCommand::Revoke { exchange, document } => {
            let path = match document {
                Some(d) => format!("/api/v1/exchanges/{}/documents/{}/revoke", seg(&exchange)?, seg(&d)?),
                None => format!("/api/v1/exchanges/{}/revoke", seg(&exchange)?),
            };
            out.show(&api.post(&path, &json!({})).await?, exchange_text)
        }
    }
}
