//! `tradewind client`: the deal from a terminal, as an HTTP client of a running tradewind
//! server (any deployment, never its database). Log in once for an API token, then place and
//! accept orders, pay into escrow (and, against the sandbox, make the bank transfer), ship,
//! confirm delivery, release, give the payout account; operators run and download payouts
//! and read the reconciliation. Output is aligned text, or the server's JSON with `--json`.

mod api;
#[path = "client_customs.rs"]
mod customs;
#[path = "client_exchange.rs"]
mod exchange;
mod print;
#[path = "client_title.rs"]
mod title;

use anyhow::{Result, anyhow, bail};
use api::{Api, Call};
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct ClientArgs {
    /// The tradewind server's address
    #[arg(long, env = "TRADEWIND_SERVER", default_value = "http://127.0.0.1:8080", global = true)]
    server: String,
    /// API token (from `tradewind client login`)
    #[arg(long, env = "TRADEWIND_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
    /// Print the server's JSON instead of text
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: ClientCommand,
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Log in and create an API token (the password comes from TRADEWIND_PASSWORD); the token
    /// is printed once, as an export line.
    Login {
        #[arg(long)]
        email: String,
        /// What the token is for, as listed among your tokens
        #[arg(long, default_value = "tradewind command line")]
        name: String,
    },
    /// Purchase orders: place, accept, pay, ship, deliver, release.
    Orders {
        #[command(subcommand)]
        command: OrdersCommand,
    },
    /// Quotes on your requests for quotation.
    Quotes {
        #[command(subcommand)]
        command: QuotesCommand,
    },
    /// The bank account your company is paid out to.
    BankAccount {
        #[command(subcommand)]
        command: BankAccountCommand,
    },
    /// Operator: pay sellers out in ISO 20022 pain.001 files.
    Payouts {
        #[command(subcommand)]
        command: PayoutsCommand,
    },
    /// Operator: the ledger's escrow fundings against the payment provider's statement.
    Reconciliation,
    /// Send documents to a company or authority; inbox, outbox, answers, revocation.
    Exchange {
        #[command(subcommand)]
        command: exchange::ExchangeCommand,
    },
    /// Transferable records: e-B/L, warehouse receipts, promissory notes.
    Record {
        #[command(subcommand)]
        command: title::RecordCommand,
    },
    /// An order's trade documents.
    Doc {
        #[command(subcommand)]
        command: DocCommand,
    },
    /// The customs single window: declarations, inspections, duty, agencies, manifests,
    /// drawback, certificates of origin.
    Customs {
        #[command(subcommand)]
        command: customs::CustomsCommand,
    },
}

#[derive(Subcommand)]
enum DocCommand {
    /// Upload an invoice from another system (UBL 2.1 or CII D16B XML) to an order; the
    /// server checks it against the EN 16931 calculation rules and keeps it with the order.
    Import {
        file: PathBuf,
        /// The order the invoice belongs to
        #[arg(long)]
        order: String,
    },
}

#[derive(Subcommand)]
enum QuotesCommand {
    /// Accept a quote on your RFQ (the others are declined); then `orders from-quote`.
    Accept { id: String },
}

#[derive(Subcommand)]
enum OrdersCommand {
    /// The orders your company buys or sells.
    List,
    /// One order with its lines and the steps it allows next.
    Show { id: String },
    /// Place a purchase order with a verified seller, your company buying.
    Create(OrderTermsArgs),
    /// Turn the quote you accepted into a draft order.
    FromQuote { quote_id: String },
    /// Accept the draft as your side (both sides must).
    Accept { id: String },
    /// Seller: production has started.
    StartProduction { id: String },
    /// Seller: the goods are shipped.
    Ship { id: String },
    /// Buyer: the goods arrived.
    ConfirmDelivery { id: String },
    /// Call the order off, while its status allows.
    Cancel { id: String },
    /// Buyer: start paying the total into escrow; prints the payment instructions.
    Pay {
        id: String,
        /// Idempotency key; repeat the one printed to retry safely [default: a new one]
        #[arg(long)]
        key: Option<String>,
    },
    /// Sandbox: make the bank transfer for the waiting payment at the simulated bank and
    /// wait until the order is funded.
    Transfer {
        id: String,
        /// Seconds to wait for the bank's confirmation
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
    /// Buyer: release escrow to the seller (minus the platform fee) after delivery.
    Release {
        id: String,
        /// Idempotency key; repeat the one printed to retry safely [default: a new one]
        #[arg(long)]
        key: Option<String>,
    },
    /// The order's escrow ledger: balances and entries.
    Ledger { id: String },
    /// The order's payments into escrow, oldest first.
    Payments { id: String },
    /// New terms: on a draft a revision (the other side accepts again), later an amendment
    /// that binds when the other side accepts it. Options left out keep the current terms.
    Amend(AmendArgs),
    /// Accept the other side's pending amendment (its version, from `orders show`).
    AcceptAmendment { id: String, version: u32 },
    /// Reject the other side's pending amendment, or withdraw your own.
    RejectAmendment { id: String, version: u32 },
    /// Open a dispute while escrow holds the money; the operator decides it.
    Dispute {
        id: String,
        #[arg(long)]
        reason: String,
    },
}

/// An order's terms as typed.
#[derive(Args)]
struct OrderTermsArgs {
    /// The seller's company id
    #[arg(long)]
    seller: String,
    /// ISO 4217 currency of the prices
    #[arg(long)]
    currency: String,
    /// A line as "description|hs code|quantity|unit|unit price" (repeat for more lines)
    #[arg(long = "line", required = true)]
    lines: Vec<String>,
    /// Incoterms 2020 rule, e.g. FOB
    #[arg(long)]
    incoterm: String,
    /// The Incoterms named place as a UN/LOCODE, e.g. VNSGN
    #[arg(long)]
    place: String,
    /// Payment terms
    #[arg(long, default_value = "escrow")]
    payment: String,
    /// Earliest delivery date, YYYY-MM-DD
    #[arg(long)]
    deliver_from: String,
    /// Latest delivery date, YYYY-MM-DD
    #[arg(long)]
    deliver_to: String,
}

/// What an amendment changes; the rest stays as agreed.
#[derive(Args)]
struct AmendArgs {
    id: String,
    /// Replaces all lines: "description|hs code|quantity|unit|unit price" (repeat for more)
    #[arg(long = "line")]
    lines: Vec<String>,
    #[arg(long)]
    incoterm: Option<String>,
    #[arg(long)]
    place: Option<String>,
    #[arg(long)]
    payment: Option<String>,
    #[arg(long)]
    deliver_from: Option<String>,
    #[arg(long)]
    deliver_to: Option<String>,
}

#[derive(Subcommand)]
enum BankAccountCommand {
    /// Set the account your company is paid to (company admins).
    Set {
        #[arg(long)]
        holder: String,
        #[arg(long)]
        iban: String,
        #[arg(long)]
        bic: Option<String>,
    },
    /// The account your company is paid to.
    Show,
}

#[derive(Subcommand)]
enum PayoutsCommand {
    /// Pay out everything owed to sellers with a bank account: one pain.001 file per currency.
    Run {
        /// Idempotency key; repeat the one printed to retry safely [default: a new one]
        #[arg(long)]
        key: Option<String>,
    },
    /// Payout files, newest first.
    List,
    /// A payout file as the pain.001 XML for the bank.
    Download {
        id: String,
        /// Write to this file [default: standard output]
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// Runs one `tradewind client` command.
pub async fn run(args: ClientArgs) -> Result<()> {
    let api = Api::new(&args.server, args.token)?;
    let out = Out { json: args.json };
    match args.command {
        ClientCommand::Login { email, name } => login(&api, &out, &email, &name).await,
        ClientCommand::Orders { command } => orders(&api, &out, command).await,
        ClientCommand::Quotes { command: QuotesCommand::Accept { id } } => {
            let q = api.post(&format!("/api/v1/quotes/{}/accept", seg(&id)?), &json!({})).await?;
            out.show(&q, |q| {
                format!("{}Next: tradewind client orders from-quote {}\n", print::object(q), print::text(&q["id"]))
            })
        }
        ClientCommand::BankAccount { command } => bank_account(&api, &out, command).await,
        ClientCommand::Payouts { command } => payouts(&api, &out, command).await,
        ClientCommand::Record { command } => title::run(&api, &out, command).await,
        ClientCommand::Reconciliation => {
            let r = api.get("/api/v1/operator/reconciliation").await?;
            out.show(&r, reconciliation_text)
        }
        ClientCommand::Exchange { command } => exchange::run(&api, &out, command).await,
        ClientCommand::Customs { command } => customs::run(&api, &out, command).await,
        ClientCommand::Doc { command: DocCommand::Import { file, order } } => {
            if !upload_invoice(&api, &out, &order, &file).await? {
                bail!("the server found the invoice invalid");
            }
            Ok(())
        }
    }
}

/// `tradewind doc import`: the same upload as `tradewind client doc import`; false when the
/// server found the invoice invalid.
pub async fn import_invoice(
    server: &str,
    token: Option<String>,
    json: bool,
    order: &str,
    file: &std::path::Path,
) -> Result<bool> {
    let api = Api::new(server, token)?;
    upload_invoice(&api, &Out { json }, order, file).await
}

/// Uploads the invoice file to the order as it is and prints the server's validation report
/// and the record it keeps; true when the invoice is valid.
async fn upload_invoice(api: &Api, out: &Out, order: &str, file: &std::path::Path) -> Result<bool> {
    let path = format!("/api/v1/orders/{}/document-set/import", seg(order)?);
    let opened = std::fs::File::open(file).map_err(|e| anyhow!("opening {}: {e}", file.display()))?;
    // Stop at the server's limit here rather than send megabytes it will refuse.
    let bytes = tradewind_documents::import::read_limited(opened).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    let answer = api.post_bytes(&path, "application/xml", bytes).await?;
    // The report may come whole or under a key; the record under another.
    let report = ["report", "validation"].iter().map(|k| &answer[*k]).find(|v| v.is_object()).unwrap_or(&answer);
    let valid = report["valid"].as_bool() != Some(false);
    out.show(&answer, |a| {
        let mut s = crate::doc::report_text(&file.display().to_string(), report);
        if let Some(record) = ["document", "record", "stored"].iter().map(|k| &a[*k]).find(|v| v.is_object()) {
            s.push_str(&format!("Stored with order {order}:\n{}", print::object(record)));
        }
        s
    })?;
    Ok(valid)
}

/// Text or JSON, as asked.
struct Out {
    json: bool,
}

impl Out {
    fn show(&self, v: &Value, text: impl FnOnce(&Value) -> String) -> Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(v)?);
        } else {
            print!("{}", text(v));
        }
        Ok(())
    }
}

/// An id as one path segment: no slashes, query or fragment smuggled into the URL.
fn seg(id: &str) -> Result<&str> {
    let id = id.trim();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        bail!("'{id}' is not an id (letters, digits, '-', '_' and '.' only)");
    }
    Ok(id)
}

/// A new idempotency key: a retry repeats it with `--key`.
fn new_key(what: &str) -> String {
    format!("cli-{what}-{}", uuid::Uuid::new_v4())
}

async fn login(api: &Api, out: &Out, email: &str, name: &str) -> Result<()> {
    let password = std::env::var("TRADEWIND_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| anyhow!("set TRADEWIND_PASSWORD to your password (it is read from the environment only)"))?;
    let res = api
        .send(
            Method::POST,
            "/api/v1/auth/login",
            Call { anonymous: true, ..Call::body(&json!({"email": email, "password": password})) },
        )
        .await?;
    // The session cookie authorises creating the token; the CSRF token must come with it.
    let cookie = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|c| c.starts_with("tw_session="))
        .map(str::to_string)
        .ok_or_else(|| anyhow!("the server logged you in but set no session cookie"))?;
    let session: Value = res.json().await.map_err(|e| anyhow!("the login answer is not JSON: {e}"))?;
    let csrf = print::text(&session["csrf_token"]);
    let session_headers = vec![("cookie", cookie), ("x-csrf-token", csrf)];
    let body = json!({"name": name});
    let token = api
        .json(
            Method::POST,
            "/api/v1/tokens",
            Call { body: Some(&body), headers: session_headers.clone(), anonymous: true },
        )
        .await?;
    // The session was only the way to the token: end it.
    let _ = api
        .send(Method::POST, "/api/v1/auth/logout", Call { body: None, headers: session_headers, anonymous: true })
        .await;
    let user = &session["user"];
    out.show(&token, |t| {
        let who = match user["organization_id"].as_str() {
            Some(org) => format!("{} of company {org}", print::text(&user["email"])),
            None if user["is_operator"].as_bool() == Some(true) => {
                format!("{} (operator)", print::text(&user["email"]))
            }
            None => print::text(&user["email"]),
        };
        format!(
            "Logged in as {who}.\nAPI token '{}' created ({}); it is shown only now, keep it secret:\n\
             export TRADEWIND_TOKEN={}\n",
            print::text(&t["name"]),
            print::text(&t["id"]),
            print::text(&t["token"])
        )
    })
}

async fn orders(api: &Api, out: &Out, command: OrdersCommand) -> Result<()> {
    match command {
        OrdersCommand::List => {
            let mut items = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let path = match &cursor {
                    Some(c) => format!("/api/v1/orders?limit=200&cursor={}", seg(c)?),
                    None => "/api/v1/orders?limit=200".to_string(),
                };
                let page = api.get(&path).await?;
                items.extend(page["items"].as_array().cloned().unwrap_or_default());
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_string()),
                    None => break,
                }
            }
            out.show(&Value::Array(items), |v| print::order_table(v.as_array().map(Vec::as_slice).unwrap_or_default()))
        }
        OrdersCommand::Show { id } => {
            let o = api.get(&format!("/api/v1/orders/{}", seg(&id)?)).await?;
            out.show(&o, print::order)
        }
        OrdersCommand::Create(t) => {
            let lines = t.lines.iter().map(|l| order_line(l)).collect::<Result<Vec<_>>>()?;
            let body = json!({
                "seller": t.seller, "currency": t.currency, "lines": lines, "incoterm": t.incoterm,
                "named_place": t.place, "payment_terms": t.payment,
                "delivery_earliest": t.deliver_from, "delivery_latest": t.deliver_to,
            });
            let o = api.post("/api/v1/orders", &body).await?;
            out.show(&o, |o| format!("Purchase order placed; both sides accept it next.\n{}", print::order(o)))
        }
        OrdersCommand::FromQuote { quote_id } => {
            let o = api.post(&format!("/api/v1/quotes/{}/order", seg(&quote_id)?), &json!({})).await?;
            out.show(&o, |o| {
                format!("Draft order from quote {quote_id}; both sides accept it next.\n{}", print::order(o))
            })
        }
        OrdersCommand::Accept { id } => event(api, out, &id, "accept").await,
        OrdersCommand::StartProduction { id } => event(api, out, &id, "start_production").await,
        OrdersCommand::Ship { id } => event(api, out, &id, "ship").await,
        OrdersCommand::ConfirmDelivery { id } => event(api, out, &id, "confirm_delivery").await,
        OrdersCommand::Cancel { id } => event(api, out, &id, "cancel").await,
        OrdersCommand::Pay { id, key } => {
            let key = key.unwrap_or_else(|| new_key("pay"));
            let path = format!("/api/v1/orders/{}/payments", seg(&id)?);
            let p = api.json(Method::POST, &path, Call::body(&json!({})).with_key(&key)).await?;
            out.show(&p, |p| {
                let replay = if p["replayed"].as_bool() == Some(true) {
                    " (the answer to the earlier request with this key)"
                } else {
                    ""
                };
                format!(
                    "Pay the escrow account by bank transfer, quoting the reference exactly{replay}:\n{}\
                     To retry safely: tradewind client orders pay {id} --key {key}\n",
                    print::payment(p, Some(&key))
                )
            })
        }
        OrdersCommand::Transfer { id, timeout } => transfer(api, out, &id, Duration::from_secs(timeout)).await,
        OrdersCommand::Release { id, key } => {
            let key = key.unwrap_or_else(|| new_key("release"));
            let path = format!("/api/v1/orders/{}/release", seg(&id)?);
            let m = api.json(Method::POST, &path, Call::body(&json!({})).with_key(&key)).await?;
            out.show(&m, |m| {
                format!(
                    "Escrow released{}: order {} is {}.\n{}Idempotency-Key  {key}\n",
                    if m["replayed"].as_bool() == Some(true) { " (earlier, with this key)" } else { "" },
                    print::text(&m["order"]["id"]),
                    print::status(&m["order"]["status"]),
                    print::postings(&m["entry"])
                )
            })
        }
        OrdersCommand::Ledger { id } => {
            let l = api.get(&format!("/api/v1/orders/{}/ledger", seg(&id)?)).await?;
            out.show(&l, print::ledger)
        }
        OrdersCommand::Payments { id } => {
            let ps = api.get(&format!("/api/v1/orders/{}/payments", seg(&id)?)).await?;
            out.show(&ps, |ps| {
                let list = ps.as_array().map(Vec::as_slice).unwrap_or_default();
                if list.is_empty() {
                    return format!("no payments on order {id}\n");
                }
                list.iter().map(|p| print::payment(p, None)).collect::<Vec<_>>().join("\n")
            })
        }
        OrdersCommand::Amend(a) => amend(api, out, a).await,
        OrdersCommand::AcceptAmendment { id, version } => {
            let path = format!("/api/v1/orders/{}/amendments/{version}/accept", seg(&id)?);
            let o = api.post(&path, &json!({})).await?;
            out.show(&o, |o| format!("Amendment {version} accepted.\n{}", print::order(o)))
        }
        OrdersCommand::RejectAmendment { id, version } => {
            let path = format!("/api/v1/orders/{}/amendments/{version}/reject", seg(&id)?);
            let o = api.post(&path, &json!({})).await?;
            out.show(&o, |o| format!("Amendment {version} rejected.\n{}", print::order(o)))
        }
        OrdersCommand::Dispute { id, reason } => {
            let d = api.post(&format!("/api/v1/orders/{}/disputes", seg(&id)?), &json!({"reason": reason})).await?;
            out.show(&d, |d| format!("Dispute opened; the operator decides it.\n{}", print::object(d)))
        }
    }
}

/// `description|hs code|quantity|unit|unit price` as an order line form.
fn order_line(text: &str) -> Result<Value> {
    let parts: Vec<&str> = text.split('|').map(str::trim).collect();
    let [description, hs_code, quantity, unit, unit_price] = parts.as_slice() else {
        bail!("--line '{text}': give description|hs code|quantity|unit|unit price (5 parts, {} given)", parts.len());
    };
    Ok(json!({"description": description, "hs_code": hs_code, "quantity": quantity, "unit": unit,
        "unit_price": unit_price}))
}

/// Proposes the current terms with the given changes (an amendment replaces all terms).
async fn amend(api: &Api, out: &Out, a: AmendArgs) -> Result<()> {
    let id = seg(&a.id)?;
    let current = api.get(&format!("/api/v1/orders/{id}")).await?;
    let t = &current["terms"];
    let lines = if a.lines.is_empty() {
        t["lines"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|l| {
                json!({"description": l["description"], "hs_code": l["hs_code"], "quantity": l["quantity"],
                    "unit": l["unit"], "unit_price": l["unit_price"]["amount"], "currency": l["unit_price"]["currency"]})
            })
            .collect()
    } else {
        a.lines.iter().map(|l| order_line(l)).collect::<Result<Vec<_>>>()?
    };
    let or = |given: Option<String>, v: &Value| given.unwrap_or_else(|| print::text(v));
    let body = json!({
        "currency": t["currency"], "lines": lines,
        "incoterm": or(a.incoterm, &t["incoterm"]), "named_place": or(a.place, &t["named_place"]),
        "payment_terms": or(a.payment, &t["payment_terms"]),
        "delivery_earliest": a.deliver_from.unwrap_or_else(|| print::date(&t["delivery"]["earliest"])),
        "delivery_latest": a.deliver_to.unwrap_or_else(|| print::date(&t["delivery"]["latest"])),
    });
    let o = api.post(&format!("/api/v1/orders/{id}/amendments"), &body).await?;
    out.show(&o, |o| {
        let what = if o["pending_amendment"].is_null() {
            "Draft revised; the other side accepts it again."
        } else {
            "Amendment proposed; it binds when the other side accepts it."
        };
        format!("{what}\n{}", print::order(o))
    })
}

async fn event(api: &Api, out: &Out, id: &str, name: &str) -> Result<()> {
    let o = api.post(&format!("/api/v1/orders/{}/events", seg(id)?), &json!({"event": name})).await?;
    out.show(&o, |o| format!("{} sent.\n{}", print::command_word(name), print::order(o)))
}

/// Sandbox: pays the waiting payment at the simulated bank, then waits for the bank's
/// confirmation to fund the order.
async fn transfer(api: &Api, out: &Out, id: &str, timeout: Duration) -> Result<()> {
    let id = seg(id)?;
    let payments = api.get(&format!("/api/v1/orders/{id}/payments")).await?;
    let Some(p) = payments.as_array().and_then(|ps| ps.iter().rev().find(|p| p["status"] == "initiated")).cloned()
    else {
        bail!("no payment is waiting on order {id}; start one with `tradewind client orders pay {id}`");
    };
    let reference = print::text(&p["reference"]);
    let t = api
        .json(
            Method::POST,
            "/api/v1/sandbox/bank-transfers",
            Call::body(&json!({"reference": reference,
        "amount": p["amount"]})),
        )
        .await?;
    let started = Instant::now();
    loop {
        let o = api.get(&format!("/api/v1/orders/{id}")).await?;
        let status = o["status"]["status"].as_str().unwrap_or("");
        if !matches!(status, "draft" | "agreed") {
            let answer = json!({"transfer": t, "order": o});
            return out.show(&answer, |_| {
                format!(
                    "Transferred {} with reference {reference} at the simulated bank.\nThe bank confirmed: order {id} is {}.\n",
                    print::money(&p["amount"]),
                    print::status(&o["status"])
                )
            });
        }
        let now = api.get(&format!("/api/v1/orders/{id}/payments")).await?;
        if let Some(failed) =
            now.as_array().and_then(|ps| ps.iter().find(|x| x["id"] == p["id"] && x["status"] == "failed"))
        {
            bail!("the bank returned the transfer: {}", print::text(&failed["reason"]));
        }
        if started.elapsed() >= timeout {
            bail!(
                "the bank has not confirmed the transfer after {} s; check later with `tradewind client orders show {id}`",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn bank_account(api: &Api, out: &Out, command: BankAccountCommand) -> Result<()> {
    let a = match command {
        BankAccountCommand::Set { holder, iban, bic } => {
            let body = json!({"holder_name": holder, "iban": iban, "bic": bic});
            api.json(Method::PUT, "/api/v1/organization/bank-account", Call::body(&body)).await?
        }
        BankAccountCommand::Show => match api.get_optional("/api/v1/organization/bank-account").await? {
            Some(a) => a,
            None => bail!(
                "your company has not given a bank account yet; payouts wait until it does: \
                 tradewind client bank-account set --holder NAME --iban IBAN [--bic BIC]"
            ),
        },
    };
    out.show(&a, print::bank_account)
}

async fn payouts(api: &Api, out: &Out, command: PayoutsCommand) -> Result<()> {
    match command {
        PayoutsCommand::Run { key } => {
            let key = key.unwrap_or_else(|| new_key("payouts"));
            let run = api.json(Method::POST, "/api/v1/operator/payouts", Call::body(&json!({})).with_key(&key)).await?;
            out.show(&run, |r| {
                let files = r["files"].as_array().map(Vec::as_slice).unwrap_or_default();
                let mut s = String::new();
                if r["replayed"].as_bool() == Some(true) {
                    s.push_str("(the answer to the earlier run with this key)\n");
                }
                s.push_str(&format!("{} payout file(s) written:\n", files.len()));
                s.push_str(&print::payout_files(files));
                let waiting = r["waiting_for_bank_account"].as_array().map(Vec::as_slice).unwrap_or_default();
                if !waiting.is_empty() {
                    s.push_str("Waiting for the seller's bank account:\n");
                    for w in waiting {
                        s.push_str(&format!(
                            "  {}  order {}  {}\n",
                            print::text(&w["seller"]),
                            print::text(&w["order_id"]),
                            print::money(&w["amount"])
                        ));
                    }
                }
                s.push_str(&format!("Idempotency-Key  {key}\n"));
                s
            })
        }
        PayoutsCommand::List => {
            let files = api.get("/api/v1/operator/payouts").await?;
            out.show(&files, |f| print::payout_files(f.as_array().map(Vec::as_slice).unwrap_or_default()))
        }
        PayoutsCommand::Download { id, output } => {
            let path = format!("/api/v1/operator/payouts/{}/pain001", seg(&id)?);
            let xml = api
                .send(Method::GET, &path, Call::default())
                .await?
                .text()
                .await
                .map_err(|e| anyhow!("reading the payout file: {e}"))?;
            match output {
                Some(file) => {
                    std::fs::write(&file, &xml).map_err(|e| anyhow!("writing {}: {e}", file.display()))?;
                    eprintln!("pain.001 payout file {id} written to {}", file.display());
                }
                None => print!("{xml}"),
            }
            Ok(())
        }
    }
}

fn reconciliation_text(r: &Value) -> String {
    let report = &r["report"];
    let count = |k: &str| report[k].as_array().map(Vec::len).unwrap_or(0);
    let unapplied = r["unapplied_events"].as_array().map(Vec::len).unwrap_or(0);
    let mut s = print::fields(&[
        ("Provider", print::text(&r["provider"])),
        ("Clean", if r["clean"].as_bool() == Some(true) { "yes".into() } else { "NO".into() }),
        ("Matched", count("matched").to_string()),
        ("Only at the provider", count("only_at_provider").to_string()),
        ("Only in the ledger", count("only_in_ledger").to_string()),
        ("Amounts differ", count("amounts_differ").to_string()),
        ("Unapplied callbacks", unapplied.to_string()),
    ]);
    for (k, label) in [("only_at_provider", "at the provider only"), ("only_in_ledger", "in the ledger only")] {
        for item in report[k].as_array().map(Vec::as_slice).unwrap_or_default() {
            s.push_str(&format!("  {label}: {} {}\n", print::text(&item["reference"]), print::money(&item["amount"])));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_line_has_five_parts() {
        let l = order_line("Black pepper, 500 g/l | 090411 | 100 | KGM | 4.25").expect("line");
        assert_eq!(l["description"], "Black pepper, 500 g/l");
        assert_eq!(l["unit_price"], "4.25");
        let e = order_line("pepper|090411|100|KGM").expect_err("four parts");
        assert!(e.to_string().contains("5 parts, 4 given"), "{e}");
    }

    #[test]
    fn an_id_cannot_reach_another_path() {
        assert!(seg("0193a-b_c.d").is_ok());
        for bad in ["", "../operator", "a/b", "a?x=1", "a#b"] {
            assert!(seg(bad).is_err(), "{bad}");
        }
    }
}
