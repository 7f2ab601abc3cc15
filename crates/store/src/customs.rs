//! The customs single window in the store: declarations with their clearance state (the
//! domain's `ClearanceState`, kept as JSON beside the columns screens filter on), the events
//! of each declaration's life, the agencies' approval queue, certificates of origin, cargo
//! manifests, duty drawback with the quantities already claimed, the customs ledger, and
//! tariff schedules imported over the built-in ones.
//!
//! The rules live in the domain and are applied by the server before a write; the store
//! keeps every write atomic and ordered: a submission (declaration, events, agency tasks,
//! idempotency key, audit entry) is one transaction, and a change names the version it read,
//! so two officers acting at once cannot both win.

use crate::audit::AuditedTx;
use crate::orders::{Caller, earlier_answer, keep_answer};
use crate::{Actor, Page, Result, Store, StoreError, corrupt, from_json, json_text, new_id, now_text};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use tradewind_domain::Money;
use tradewind_domain::deal::ledger::{JournalEntry, Ledger};

/// A declaration as the server prepared it, ready to store.
#[derive(Debug, Clone)]
pub struct NewDeclaration {
    pub number: String,
    pub economy: String,
    pub direction: String,
    pub declarant_org: String,
    pub broker_org: Option<String>,
    pub order_id: Option<String>,
    pub transport_document: Option<String>,
    pub status: String,
    pub lane: String,
    pub duty: Money,
    /// The declaration as submitted (JSON text, like the three below: serialised once, by
    /// whoever prepared the declaration, and stored as it is).
    pub body: String,
    /// The landed cost the engine computed.
    pub assessment: String,
    /// The risk selection with every rule that fired.
    pub selection: String,
    /// The domain's clearance state.
    pub state: String,
    /// Agencies whose approval release waits for.
    pub agencies: Vec<String>,
    /// Events to record at submission, in order: (step, details).
    pub events: Vec<(String, Value)>,
}

/// A stored declaration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeclarationRecord {
    pub id: String,
    pub number: String,
    pub economy: String,
    pub direction: String,
    pub declarant_org: String,
    pub declarant_name: String,
    pub broker_org: Option<String>,
    pub order_id: Option<String>,
    pub transport_document: Option<String>,
    pub status: String,
    pub lane: String,
    pub duty: Money,
    pub body: Value,
    pub assessment: Value,
    pub selection: Value,
    pub state: Value,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Agencies and where each stands: (agency, decision or None while pending).
    #[serde(default)]
    pub agencies: Vec<AgencyTask>,
    /// True when this is the stored answer to an earlier submission with the same key.
    #[serde(default)]
    pub replayed: bool,
}

/// One agency's approval of a declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyTask {
    pub agency: String,
    /// `approved` or `refused` once decided.
    pub decision: Option<String>,
    pub note: Option<String>,
    pub decided_at: Option<String>,
}

/// One step of a declaration's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomsEvent {
    pub seq: i64,
    pub at: String,
    pub step: String,
    pub actor_org: Option<String>,
    pub actor_user: Option<String>,
    pub details: Value,
}

/// A change to a declaration, prepared by the server from the domain's transition.
#[derive(Debug, Clone)]
pub struct DeclarationChange {
    pub expected_version: i64,
    pub status: String,
    pub lane: String,
    pub duty: Money,
    pub state: Value,
    /// Replaces the stored body, assessment and selection, as JSON text (an amendment).
    pub body: Option<(String, String, String)>,
    pub step: String,
    pub details: Value,
    /// An agency's decision: (agency, approved, note).
    pub agency_decision: Option<(String, bool, String)>,
    /// Agencies required after an amendment (replaces the pending set).
    pub agencies: Option<Vec<String>>,
    /// A journal entry posted with the change (duty paid).
    pub ledger: Option<(String, JournalEntry)>,
}

/// Which declarations a list shows.
#[derive(Debug, Clone, Default)]
pub struct DeclarationFilter<'a> {
    pub economy: Option<&'a str>,
    /// Declarations this company declared or lodged as broker.
    pub company: Option<&'a str>,
    pub status: Option<&'a str>,
    pub lane: Option<&'a str>,
    /// Declarations waiting for this agency's decision.
    pub pending_agency: Option<&'a str>,
}

/// A trader's record with customs, for risk selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraderHistory {
    pub prior_declarations: u32,
    /// 0-100: the share of the trader's inspected declarations found compliant (100 with none).
    pub compliance: u8,
}

/// A certificate of origin as requested and decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OriginCertificateRecord {
    pub id: String,
    pub number: String,
    pub exporter_org: String,
    pub authority_org: String,
    pub agreement: String,
    pub product: String,
    pub product_hs: String,
    pub origin: String,
    pub determination: Value,
    /// `requested`, `approved` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub requested_at: String,
    pub decided_at: Option<String>,
}

/// A cargo manifest as the carrier submitted it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestRecord {
    pub id: String,
    pub economy: String,
    pub carrier_org: String,
    pub conveyance: String,
    pub arrival_at: String,
    pub entries: Value,
    pub submitted_at: String,
}

/// An imported goods item's drawback balance: what was imported and claimed so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrawbackUsage {
    pub declaration_id: String,
    pub item: u32,
    pub claimed_quantity: Decimal,
    pub refunded: Decimal,
}

/// A stored drawback claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrawbackClaimRecord {
    pub id: String,
    pub claimant_org: String,
    pub economy: String,
    pub lines: Value,
    pub refund: Money,
    pub created_at: String,
    #[serde(default)]
    pub replayed: bool,
}

/// A stored customs journal entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomsLedgerEntry {
    pub id: String,
    pub declaration_id: Option<String>,
    pub drawback_id: Option<String>,
    pub kind: String,
    pub memo: String,
    pub postings: Value,
    pub created_at: String,
}

const DECLARATION_SELECT: &str =
    "SELECT d.id AS id, d.number AS number, d.economy AS economy, d.direction AS direction,
        d.declarant_org AS declarant_org, o.legal_name AS declarant_name, d.broker_org AS broker_org,
        d.order_id AS order_id, d.transport_document AS transport_document, d.status AS status, d.lane AS lane,
        d.duty_amount AS duty_amount, d.duty_currency AS duty_currency, d.body AS body, d.assessment AS assessment,
        d.selection AS selection, d.state AS state, d.version AS version, d.created_at AS created_at,
        d.updated_at AS updated_at
     FROM customs_declarations d JOIN organizations o ON o.id = d.declarant_org";

fn money_from(amount: &str, currency: &str) -> Result<Money> {
    let amount: Decimal = amount.parse().map_err(|e| corrupt("customs amount", e))?;
    let currency = currency.parse().map_err(|e| corrupt("customs currency", e))?;
    Money::new(amount, currency).map_err(|e| corrupt("customs amount", e))
}

fn declaration_from_row(r: &AnyRow) -> Result<DeclarationRecord> {
    let json = |col: &str| -> Result<Value> { from_json(col, &r.try_get::<String, _>(col)?) };
    Ok(DeclarationRecord {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        economy: r.try_get("economy")?,
        direction: r.try_get("direction")?,
        declarant_org: r.try_get("declarant_org")?,
        declarant_name: r.try_get("declarant_name")?,
        broker_org: r.try_get("broker_org")?,
        order_id: r.try_get("order_id")?,
        transport_document: r.try_get("transport_document")?,
        status: r.try_get("status")?,
        lane: r.try_get("lane")?,
        duty: money_from(&r.try_get::<String, _>("duty_amount")?, &r.try_get::<String, _>("duty_currency")?)?,
        body: json("body")?,
        assessment: json("assessment")?,
        selection: json("selection")?,
        state: json("state")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        agencies: Vec::new(),
        replayed: false,
    })
}

async fn agency_tasks(conn: &mut sqlx::AnyConnection, declaration_id: &str) -> Result<Vec<AgencyTask>> {
    let rows = sqlx::query(
        "SELECT agency, decision, note, decided_at FROM customs_agency_tasks WHERE declaration_id = $1 ORDER BY agency",
    )
    .bind(declaration_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AgencyTask {
                agency: r.try_get("agency")?,
                decision: r.try_get("decision")?,
                note: r.try_get("note")?,
                decided_at: r.try_get("decided_at")?,
            })
        })
        .collect()
}

async fn declaration_in(conn: &mut sqlx::AnyConnection, id: &str) -> Result<DeclarationRecord> {
    let row = sqlx::query(&format!("{DECLARATION_SELECT} WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut d = declaration_from_row(&row)?;
    d.agencies = agency_tasks(conn, id).await?;
    Ok(d)
}

async fn next_event_seq(tx: &mut AuditedTx, declaration_id: &str) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM customs_events WHERE declaration_id = $1")
        .bind(declaration_id)
        .fetch_one(&mut *tx.tx)
        .await?;
    Ok(row.try_get::<i64, _>("seq")? + 1)
}

async fn insert_event(
    tx: &mut AuditedTx,
    declaration_id: &str,
    seq: i64,
    step: &str,
    actor: &Actor,
    details: &Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO customs_events (declaration_id, seq, at, step, actor_org, actor_user, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(declaration_id)
    .bind(seq)
    .bind(now_text())
    .bind(step)
    .bind(&actor.organization_id)
    .bind(&actor.user_id)
    .bind(json_text(details)?)
    .execute(&mut *tx.tx)
    .await?;
    Ok(())
}

/// Adds to a declarant's record: `declarations` lodged, inspections and compliant ones.
async fn count_trader(tx: &mut AuditedTx, org: &str, declarations: i64, inspected: i64, compliant: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO customs_traders (organization_id, declarations, inspected, compliant) VALUES ($1, $2, $3, $4)
         ON CONFLICT (organization_id) DO UPDATE SET declarations = customs_traders.declarations + excluded.declarations,
            inspected = customs_traders.inspected + excluded.inspected,
            compliant = customs_traders.compliant + excluded.compliant",
    )
    .bind(org)
    .bind(declarations)
    .bind(inspected)
    .bind(compliant)
    .execute(&mut *tx.tx)
    .await?;
    Ok(())
}

/// Inserts a declaration with its events and agency tasks in the caller's transaction.
/// Writes declarations with their events, agency tasks and traders' counts in the caller's
/// transaction: each small table in one statement whose rows travel as one JSON parameter,
/// the declarations as [`insert_declaration_rows`] says.
async fn insert_rows(
    tx: &mut AuditedTx,
    backend: crate::Backend,
    rows: &[(&String, &NewDeclaration, &Actor)],
    now: &str,
) -> Result<()> {
    let inserted = insert_declaration_rows(tx, backend, rows, now).await;
    match inserted {
        Err(StoreError::Database(e)) if crate::is_unique_violation(&e) => {
            let message = match rows {
                [(_, d, _)] => {
                    format!("a declaration numbered {} was already lodged; give this one its own number", d.number)
                }
                _ => "a declaration in this batch was already lodged under its number".into(),
            };
            return Err(StoreError::Conflict { field: "number", message });
        }
        other => other?,
    }
    let mut events: Vec<(&String, i64, &str, &Actor, String)> = Vec::new();
    let mut tasks: Vec<(&String, &str, &str)> = Vec::new();
    for (id, d, actor) in rows {
        for (seq, (step, details)) in d.events.iter().enumerate() {
            events.push((id, seq as i64 + 1, step.as_str(), actor, json_text(details)?));
        }
        for agency in &d.agencies {
            tasks.push((id, agency.as_str(), d.economy.as_str()));
        }
    }
    let mut event_rows = crate::JsonRows::new();
    for (id, seq, step, actor, details) in &events {
        event_rows
            .row()
            .text(id)
            .int(*seq)
            .text(now)
            .text(step)
            .opt_text(actor.organization_id.as_deref())
            .opt_text(actor.user_id.as_deref())
            .text(details);
    }
    crate::insert_json_text(
        &mut tx.tx,
        backend,
        "customs_events",
        &[
            ("declaration_id", false),
            ("seq", true),
            ("at", false),
            ("step", false),
            ("actor_org", false),
            ("actor_user", false),
            ("details", false),
        ],
        event_rows,
    )
    .await?;
    let mut task_rows = crate::JsonRows::new();
    for (id, agency, economy) in &tasks {
        task_rows.row().text(id).text(agency).text(economy);
    }
    crate::insert_json_text(
        &mut tx.tx,
        backend,
        "customs_agency_tasks",
        &[("declaration_id", false), ("agency", false), ("economy", false)],
        task_rows,
    )
    .await?;
    let mut per_trader: Vec<(&str, i64)> = Vec::new();
    for (_, d, _) in rows {
        match per_trader.iter_mut().find(|(o, _)| *o == d.declarant_org) {
            Some((_, n)) => *n += 1,
            None => per_trader.push((&d.declarant_org, 1)),
        }
    }
    for (org, n) in &per_trader {
        count_trader(tx, org, *n, 0, 0).await?;
    }
    Ok(())
}

const DECLARATION_COLUMNS: [&str; 19] = [
    "id",
    "number",
    "economy",
    "direction",
    "declarant_org",
    "broker_org",
    "order_id",
    "transport_document",
    "status",
    "lane",
    "duty_amount",
    "duty_currency",
    "body",
    "assessment",
    "selection",
    "state",
    "version",
    "created_at",
    "updated_at",
];

/// SQLite rows per multi-row `INSERT … VALUES` of declarations (152 parameters): sqlx's
/// SQLite driver looks up each parameter's name among all of them, so the cost per row grows
/// with the statement; 8 and 32 rows measured the same, 400 rows several times slower.
const SQLITE_DECLARATIONS_PER_INSERT: usize = 8;

/// Inserts the declarations' own rows. PostgreSQL gets them as one JSON parameter; SQLite
/// as bound parameters in chunks, because its JSON functions would convert each 5 KB
/// document to their binary form and back (measured: about half the store's time).
async fn insert_declaration_rows(
    tx: &mut AuditedTx,
    backend: crate::Backend,
    rows: &[(&String, &NewDeclaration, &Actor)],
    now: &str,
) -> Result<()> {
    match backend {
        crate::Backend::Postgres => {
            let mut json_rows = crate::JsonRows::new();
            for (id, d, _) in rows {
                json_rows
                    .row()
                    .text(id)
                    .text(&d.number)
                    .text(&d.economy)
                    .text(&d.direction)
                    .text(&d.declarant_org)
                    .opt_text(d.broker_org.as_deref())
                    .opt_text(d.order_id.as_deref())
                    .opt_text(d.transport_document.as_deref())
                    .text(&d.status)
                    .text(&d.lane)
                    .text(&d.duty.amount().to_string())
                    .text(d.duty.currency().as_str())
                    .text(&d.body)
                    .text(&d.assessment)
                    .text(&d.selection)
                    .text(&d.state)
                    .int(1)
                    .text(now)
                    .text(now);
            }
            let columns: Vec<(&str, bool)> = DECLARATION_COLUMNS.iter().map(|c| (*c, *c == "version")).collect();
            crate::insert_json_text(&mut tx.tx, backend, "customs_declarations", &columns, json_rows).await
        }
        crate::Backend::Sqlite => {
            for chunk in rows.chunks(SQLITE_DECLARATIONS_PER_INSERT) {
                let width = DECLARATION_COLUMNS.len();
                let tuples: Vec<String> = (0..chunk.len())
                    .map(|r| {
                        let marks: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
                        format!("({})", marks.join(", "))
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO customs_declarations ({}) VALUES {}",
                    DECLARATION_COLUMNS.join(", "),
                    tuples.join(", ")
                );
                let mut query = sqlx::query(&sql);
                for (id, d, _) in chunk {
                    query = query
                        .bind(id.as_str())
                        .bind(d.number.as_str())
                        .bind(d.economy.as_str())
                        .bind(d.direction.as_str())
                        .bind(d.declarant_org.as_str())
                        .bind(d.broker_org.as_deref())
                        .bind(d.order_id.as_deref())
                        .bind(d.transport_document.as_deref())
                        .bind(d.status.as_str())
                        .bind(d.lane.as_str())
                        .bind(d.duty.amount().to_string())
                        .bind(d.duty.currency().as_str())
                        .bind(d.body.as_str())
                        .bind(d.assessment.as_str())
                        .bind(d.selection.as_str())
                        .bind(d.state.as_str())
                        .bind(1_i64)
                        .bind(now)
                        .bind(now);
                }
                query.execute(&mut *tx.tx).await?;
            }
            Ok(())
        }
    }
}

fn lodged_audit(actor: &Actor, id: &str, d: &NewDeclaration) -> (Actor, Option<String>, String, String, Value) {
    (
        actor.clone(),
        Some(d.declarant_org.clone()),
        "customs.lodged".to_string(),
        format!("declaration:{id}"),
        json!({"number": d.number, "economy": d.economy, "lane": d.lane, "status": d.status, "duty": d.duty,
               "broker": d.broker_org}),
    )
}

/// One declaration of a group commit: who lodged it, under which key, as what request.
#[derive(Debug, Clone)]
pub struct KeyedDeclaration {
    pub actor: Actor,
    pub submitter_org: String,
    pub idempotency_key: String,
    pub request_digest: String,
    pub declaration: NewDeclaration,
}

fn ledger_from(entries: &[CustomsLedgerEntry]) -> Result<Ledger> {
    let journal = entries
        .iter()
        .map(|e| {
            let stored: Vec<crate::StoredPosting> =
                serde_json::from_value(e.postings.clone()).map_err(|x| corrupt("customs postings", x))?;
            let postings = stored
                .into_iter()
                .map(|p| tradewind_domain::deal::ledger::Posting { account: p.account, side: p.side, amount: p.amount })
                .collect();
            JournalEntry::new(e.memo.clone(), postings).map_err(|x| corrupt("customs entry", x))
        })
        .collect::<Result<Vec<_>>>()?;
    Ledger::replay(journal).map_err(|e| corrupt("customs ledger", e))
}

fn ledger_entry_from_row(r: &AnyRow) -> Result<CustomsLedgerEntry> {
    Ok(CustomsLedgerEntry {
        id: r.try_get("id")?,
        declaration_id: r.try_get("declaration_id")?,
        drawback_id: r.try_get("drawback_id")?,
        kind: r.try_get("kind")?,
        memo: r.try_get("memo")?,
        postings: from_json("customs postings", &r.try_get::<String, _>("postings")?)?,
        created_at: r.try_get("created_at")?,
    })
}

async fn ledger_entries_in(conn: &mut sqlx::AnyConnection) -> Result<Vec<CustomsLedgerEntry>> {
    let rows = sqlx::query(
        "SELECT id, declaration_id, drawback_id, kind, memo, postings, created_at FROM customs_ledger_entries ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(ledger_entry_from_row).collect()
}

/// Posts a journal entry to the customs ledger after replaying it, so no account that may
/// not go negative does.
async fn post_customs_entry(
    tx: &mut AuditedTx,
    declaration_id: Option<&str>,
    drawback_id: Option<&str>,
    kind: &str,
    entry: &JournalEntry,
) -> Result<String> {
    let existing = ledger_entries_in(&mut tx.tx).await?;
    let mut ledger = ledger_from(&existing)?;
    ledger.post(entry.clone()).map_err(|e| StoreError::Refused(e.to_string()))?;
    let id = new_id();
    let inserted = sqlx::query(
        "INSERT INTO customs_ledger_entries (id, declaration_id, drawback_id, kind, memo, postings, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(declaration_id)
    .bind(drawback_id)
    .bind(kind)
    .bind(entry.memo())
    .bind(json_text(
        &entry
            .postings()
            .iter()
            .map(|p| crate::StoredPosting { account: p.account.clone(), side: p.side, amount: p.amount })
            .collect::<Vec<_>>(),
    )?)
    .bind(now_text())
    .execute(&mut *tx.tx)
    .await;
    match inserted {
        Err(e) if crate::is_unique_violation(&e) => {
            Err(StoreError::Refused("the duty on this declaration is already paid".into()))
        }
        Err(e) => Err(e.into()),
        Ok(_) => Ok(id),
    }
}

impl Store {
    /// Lodges a declaration: the declaration, its first events, the agencies' tasks, the
    /// idempotency key with its answer and an audit entry in one transaction. A retry with
    /// the same key answers the first declaration; the same key with another body is refused.
    pub async fn submit_declaration(
        &self,
        actor: &Actor,
        submitter_org: &str,
        idempotency_key: &str,
        request_digest: &str,
        declaration: &NewDeclaration,
    ) -> Result<DeclarationRecord> {
        let request = format!("lodge customs declaration {request_digest}");
        let mut tx = self.begin_audited().await?;
        if let Some(mut answer) =
            earlier_answer::<DeclarationRecord>(&mut tx, Caller::Company(submitter_org), idempotency_key, &request)
                .await?
        {
            answer.replayed = true;
            return Ok(answer);
        }
        let id = new_id();
        insert_rows(&mut tx, self.backend, &[(&id, declaration, actor)], &now_text()).await?;
        let answer = declaration_in(&mut tx.tx, &id).await?;
        keep_answer(&mut tx, Caller::Company(submitter_org), idempotency_key, &request, &answer).await?;
        tx.commit(
            actor,
            Some(&declaration.declarant_org),
            "customs.lodged",
            &format!("declaration:{id}"),
            json!({"number": declaration.number, "economy": declaration.economy, "lane": declaration.lane,
                   "status": declaration.status, "duty": declaration.duty, "broker": declaration.broker_org}),
        )
        .await?;
        Ok(answer)
    }

    /// Lodges many declarations in one transaction, each with its own audit entry: the
    /// path for bulk submission, where one commit (one fsync) carries a whole batch and each
    /// table gets one statement.
    pub async fn submit_declarations_batch(&self, actor: &Actor, declarations: &[NewDeclaration]) -> Result<usize> {
        if declarations.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_audited().await?;
        let now = now_text();
        let ids: Vec<String> = declarations.iter().map(|_| new_id()).collect();
        let rows: Vec<(&String, &NewDeclaration, &Actor)> =
            ids.iter().zip(declarations).map(|(id, d)| (id, d, actor)).collect();
        insert_rows(&mut tx, self.backend, &rows, &now).await?;
        let audit: Vec<_> = rows.iter().map(|(id, d, actor)| lodged_audit(actor, id, d)).collect();
        let (last, rest) = audit.split_last().ok_or_else(|| corrupt("batch", "empty"))?;
        tx.append_many(rest).await?;
        tx.commit(&last.0, last.1.as_deref(), &last.2, &last.3, last.4.clone()).await?;
        Ok(declarations.len())
    }

    /// Lodges declarations from many requests at once (a group commit): each keeps its own
    /// idempotency key and answer and its own audit entry, and one commit carries them all.
    /// Answers come back in order: an earlier answer for a repeated key, a conflict for a
    /// number already lodged (or lodged twice in the group), else the new declaration. An
    /// error of the whole transaction is returned as such, and nothing is written.
    pub async fn submit_declarations_keyed(
        &self,
        items: &[KeyedDeclaration],
    ) -> Result<Vec<Result<DeclarationRecord>>> {
        let mut answers: Vec<Option<Result<DeclarationRecord>>> = (0..items.len()).map(|_| None).collect();
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_audited().await?;
        let now = now_text();
        let mut numbers: Vec<&str> = Vec::new();
        let mut keys: Vec<(&str, &str)> = Vec::new();
        // Index in `items` of each key's first request, and (repeat, index into keys).
        let mut firsts: Vec<usize> = Vec::new();
        let mut repeats: Vec<(usize, usize)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let request = format!("lodge customs declaration {}", item.request_digest);
            let key = (item.submitter_org.as_str(), item.idempotency_key.as_str());
            if let Some(first) = keys.iter().position(|k| *k == key) {
                // The same key twice in one group: a retry that overtook its first attempt.
                // It gets the first one's answer once that is known (below).
                repeats.push((i, first));
                answers[i] = Some(Err(corrupt("group commit", "repeat not answered")));
                continue;
            }
            keys.push(key);
            firsts.push(i);
            match earlier_answer::<DeclarationRecord>(
                &mut tx,
                Caller::Company(&item.submitter_org),
                &item.idempotency_key,
                &request,
            )
            .await
            {
                Ok(Some(mut earlier)) => {
                    earlier.replayed = true;
                    answers[i] = Some(Ok(earlier));
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    answers[i] = Some(Err(e));
                    continue;
                }
            }
            let number = item.declaration.number.as_str();
            let taken = sqlx::query("SELECT 1 AS one FROM customs_declarations WHERE number = $1")
                .bind(number)
                .fetch_optional(&mut *tx.tx)
                .await?
                .is_some();
            if taken || numbers.contains(&number) {
                answers[i] = Some(Err(StoreError::Conflict {
                    field: "number",
                    message: format!(
                        "a declaration numbered {number} was already lodged; give this one its own number"
                    ),
                }));
                continue;
            }
            numbers.push(number);
        }
        let fresh: Vec<usize> = (0..items.len()).filter(|i| answers[*i].is_none()).collect();
        let ids: Vec<String> = fresh.iter().map(|_| new_id()).collect();
        let rows: Vec<(&String, &NewDeclaration, &Actor)> =
            ids.iter().zip(&fresh).map(|(id, i)| (id, &items[*i].declaration, &items[*i].actor)).collect();
        insert_rows(&mut tx, self.backend, &rows, &now).await?;
        let mut names: Vec<(String, String)> = Vec::new();
        let mut kept = crate::JsonRows::new();
        let mut audit = Vec::new();
        for (id, i) in ids.iter().zip(&fresh) {
            let item = &items[*i];
            let d = &item.declaration;
            let name = match names.iter().find(|(o, _)| *o == d.declarant_org) {
                Some((_, n)) => n.clone(),
                None => {
                    let row = sqlx::query("SELECT legal_name FROM organizations WHERE id = $1")
                        .bind(&d.declarant_org)
                        .fetch_one(&mut *tx.tx)
                        .await?;
                    let n: String = row.try_get("legal_name")?;
                    names.push((d.declarant_org.clone(), n.clone()));
                    n
                }
            };
            let record = DeclarationRecord {
                id: id.clone(),
                number: d.number.clone(),
                economy: d.economy.clone(),
                direction: d.direction.clone(),
                declarant_org: d.declarant_org.clone(),
                declarant_name: name,
                broker_org: d.broker_org.clone(),
                order_id: d.order_id.clone(),
                transport_document: d.transport_document.clone(),
                status: d.status.clone(),
                lane: d.lane.clone(),
                duty: d.duty,
                body: from_json("declaration body", &d.body)?,
                assessment: from_json("declaration assessment", &d.assessment)?,
                selection: from_json("declaration selection", &d.selection)?,
                state: from_json("declaration state", &d.state)?,
                version: 1,
                created_at: now.clone(),
                updated_at: now.clone(),
                agencies: d
                    .agencies
                    .iter()
                    .map(|a| AgencyTask { agency: a.clone(), decision: None, note: None, decided_at: None })
                    .collect(),
                replayed: false,
            };
            let request = format!("lodge customs declaration {}", item.request_digest);
            kept.row()
                .text(&item.submitter_org)
                .text(&item.idempotency_key)
                .text(&request)
                .text(&json_text(&record)?)
                .text(&now);
            audit.push(lodged_audit(&item.actor, id, d));
            answers[*i] = Some(Ok(record));
        }
        crate::insert_json_text(
            &mut tx.tx,
            self.backend,
            "idempotency_keys",
            &[
                ("organization_id", false),
                ("idem_key", false),
                ("request", false),
                ("response", false),
                ("created_at", false),
            ],
            kept,
        )
        .await?;
        match audit.split_last() {
            Some((last, rest)) => {
                tx.append_many(rest).await?;
                tx.commit(&last.0, last.1.as_deref(), &last.2, &last.3, last.4.clone()).await?;
            }
            // Nothing new: the transaction only read (replays and refusals); its audit
            // sequence number is given back by not committing.
            None => drop(tx),
        }
        for (repeat, key_index) in repeats {
            let first = firsts[key_index];
            let same_request = items[first].request_digest == items[repeat].request_digest;
            answers[repeat] = Some(match (&answers[first], same_request) {
                (Some(Ok(record)), true) => Ok(DeclarationRecord { replayed: true, ..record.clone() }),
                (_, false) => Err(StoreError::Conflict {
                    field: "Idempotency-Key",
                    message: "this key was already used for a different request; use a new key for a new declaration"
                        .into(),
                }),
                (_, true) => Err(StoreError::Refused(
                    "the first request with this key was refused; read its answer and correct the declaration".into(),
                )),
            });
        }
        Ok(answers.into_iter().map(|a| a.unwrap_or_else(|| Err(corrupt("group commit", "unanswered")))).collect())
    }

    /// One declaration with its agencies' tasks (access is the caller's to check).
    pub async fn customs_declaration(&self, id: &str) -> Result<DeclarationRecord> {
        let mut conn = self.pool.acquire().await?;
        declaration_in(&mut conn, id).await
    }

    /// A declaration by its number within an economy.
    pub async fn customs_declaration_by_number(&self, number: &str) -> Result<DeclarationRecord> {
        let row = sqlx::query("SELECT id FROM customs_declarations WHERE number = $1")
            .bind(number)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.customs_declaration(&row.try_get::<String, _>("id")?).await
    }

    /// Declarations matching the filter, newest first.
    pub async fn customs_declarations(
        &self,
        filter: &DeclarationFilter<'_>,
        after: &str,
        limit: usize,
    ) -> Result<Page<DeclarationRecord>> {
        let mut sql = format!("{DECLARATION_SELECT} WHERE ($1 = '' OR d.id < $1)");
        let mut binds: Vec<String> = vec![after.to_string()];
        let mut push = |sql: &mut String, clause: &str, value: &str| {
            binds.push(value.to_string());
            sql.push_str(&clause.replace("{}", &format!("${}", binds.len())));
        };
        if let Some(e) = filter.economy {
            push(&mut sql, " AND d.economy = {}", e);
        }
        if let Some(c) = filter.company {
            push(&mut sql, " AND (d.declarant_org = {} OR d.broker_org = {})", c);
        }
        if let Some(s) = filter.status {
            push(&mut sql, " AND d.status = {}", s);
        }
        if let Some(l) = filter.lane {
            push(&mut sql, " AND d.lane = {}", l);
        }
        if let Some(a) = filter.pending_agency {
            push(
                &mut sql,
                " AND EXISTS (SELECT 1 FROM customs_agency_tasks t WHERE t.declaration_id = d.id AND t.agency = {}
                   AND t.decision IS NULL)",
                a,
            );
        }
        sql.push_str(&format!(" ORDER BY d.id DESC LIMIT {}", limit + 1));
        let mut q = sqlx::query(&sql);
        for b in &binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut conn = self.pool.acquire().await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut d = declaration_from_row(r)?;
            d.agencies = agency_tasks(&mut conn, &d.id).await?;
            items.push(d);
        }
        Ok(Page::from_rows(items, limit, |d| d.id.clone()))
    }

    /// Applies a change the server derived from the domain's transition, if the
    /// declaration is still at the version the change was computed from.
    pub async fn change_declaration(
        &self,
        actor: &Actor,
        id: &str,
        change: &DeclarationChange,
    ) -> Result<DeclarationRecord> {
        let mut tx = self.begin_audited().await?;
        let current = declaration_in(&mut tx.tx, id).await?;
        if current.version != change.expected_version {
            return Err(StoreError::Refused(format!(
                "the declaration changed since you read it (now at version {}, you read {}); reload and try again",
                current.version, change.expected_version
            )));
        }
        let now = now_text();
        sqlx::query(
            "UPDATE customs_declarations SET status = $1, lane = $2, duty_amount = $3, duty_currency = $4, state = $5,
                version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8",
        )
        .bind(&change.status)
        .bind(&change.lane)
        .bind(change.duty.amount().to_string())
        .bind(change.duty.currency().as_str())
        .bind(json_text(&change.state)?)
        .bind(&now)
        .bind(id)
        .bind(change.expected_version)
        .execute(&mut *tx.tx)
        .await?;
        if let Some((body, assessment, selection)) = &change.body {
            sqlx::query("UPDATE customs_declarations SET body = $1, assessment = $2, selection = $3 WHERE id = $4")
                .bind(body)
                .bind(assessment)
                .bind(selection)
                .bind(id)
                .execute(&mut *tx.tx)
                .await?;
        }
        if let Some(agencies) = &change.agencies {
            sqlx::query("DELETE FROM customs_agency_tasks WHERE declaration_id = $1 AND decision IS NULL")
                .bind(id)
                .execute(&mut *tx.tx)
                .await?;
            for agency in agencies {
                sqlx::query(
                    "INSERT INTO customs_agency_tasks (declaration_id, agency, economy) VALUES ($1, $2, $3)
                     ON CONFLICT (declaration_id, agency) DO NOTHING",
                )
                .bind(id)
                .bind(agency)
                .bind(&current.economy)
                .execute(&mut *tx.tx)
                .await?;
            }
        }
        if let Some((agency, approved, note)) = &change.agency_decision {
            let done = sqlx::query(
                "UPDATE customs_agency_tasks SET decision = $1, note = $2, decided_by = $3, decided_at = $4
                 WHERE declaration_id = $5 AND agency = $6 AND decision IS NULL",
            )
            .bind(if *approved { "approved" } else { "refused" })
            .bind(note)
            .bind(&actor.user_id)
            .bind(&now)
            .bind(id)
            .bind(agency)
            .execute(&mut *tx.tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Refused(format!("{agency} has already decided on this declaration")));
            }
        }
        let mut details = change.details.clone();
        if let Some((kind, entry)) = &change.ledger {
            let entry_id = post_customs_entry(&mut tx, Some(id), None, kind, entry).await?;
            if let Value::Object(m) = &mut details {
                m.insert("ledger_entry".into(), Value::String(entry_id));
            }
        }
        if change.step == "inspection_recorded" {
            let compliant = details.get("compliant").and_then(Value::as_bool) == Some(true);
            count_trader(&mut tx, &current.declarant_org, 0, 1, i64::from(compliant)).await?;
        }
        let seq = next_event_seq(&mut tx, id).await?;
        insert_event(&mut tx, id, seq, &change.step, actor, &details).await?;
        let answer = declaration_in(&mut tx.tx, id).await?;
        tx.commit(
            actor,
            Some(&current.declarant_org),
            &format!("customs.{}", change.step),
            &format!("declaration:{id}"),
            json!({"status": change.status, "lane": change.lane, "details": details}),
        )
        .await?;
        Ok(answer)
    }

    /// A declaration's events, oldest first.
    pub async fn customs_events(&self, id: &str) -> Result<Vec<CustomsEvent>> {
        let rows = sqlx::query(
            "SELECT seq, at, step, actor_org, actor_user, details FROM customs_events WHERE declaration_id = $1
             ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CustomsEvent {
                    seq: r.try_get("seq")?,
                    at: r.try_get("at")?,
                    step: r.try_get("step")?,
                    actor_org: r.try_get("actor_org")?,
                    actor_user: r.try_get("actor_user")?,
                    details: from_json("customs event", &r.try_get::<String, _>("details")?)?,
                })
            })
            .collect()
    }

    /// Every event of an economy's declarations with the declaration's lane, oldest first:
    /// the raw material of the time-release figures.
    pub async fn customs_milestones(&self, economy: &str) -> Result<Vec<(String, String, CustomsEvent)>> {
        let rows = sqlx::query(
            "SELECT e.declaration_id AS declaration_id, d.lane AS lane, e.seq AS seq, e.at AS at, e.step AS step,
                e.actor_org AS actor_org, e.actor_user AS actor_user, e.details AS details
             FROM customs_events e JOIN customs_declarations d ON d.id = e.declaration_id
             WHERE d.economy = $1 ORDER BY e.declaration_id, e.seq",
        )
        .bind(economy)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("declaration_id")?,
                    r.try_get("lane")?,
                    CustomsEvent {
                        seq: r.try_get("seq")?,
                        at: r.try_get("at")?,
                        step: r.try_get("step")?,
                        actor_org: r.try_get("actor_org")?,
                        actor_user: r.try_get("actor_user")?,
                        details: from_json("customs event", &r.try_get::<String, _>("details")?)?,
                    },
                ))
            })
            .collect()
    }

    /// How many declarations a company lodged before, and how many of its inspections
    /// found the goods as declared.
    pub async fn trader_history(&self, org: &str) -> Result<TraderHistory> {
        let row =
            sqlx::query("SELECT declarations, inspected, compliant FROM customs_traders WHERE organization_id = $1")
                .bind(org)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else { return Ok(TraderHistory { prior_declarations: 0, compliance: 100 }) };
        let declarations: i64 = row.try_get("declarations")?;
        let inspected: i64 = row.try_get("inspected")?;
        let compliant: i64 = row.try_get("compliant")?;
        let compliance = (compliant * 100).checked_div(inspected).map_or(100, |c| c.clamp(0, 100) as u8);
        Ok(TraderHistory { prior_declarations: u32::try_from(declarations).unwrap_or(u32::MAX), compliance })
    }

    /// The customs ledger's entries, oldest first, and the balances they add up to.
    pub async fn customs_ledger(&self) -> Result<(Vec<CustomsLedgerEntry>, Ledger)> {
        let mut conn = self.pool.acquire().await?;
        let entries = ledger_entries_in(&mut conn).await?;
        let ledger = ledger_from(&entries)?;
        Ok((entries, ledger))
    }

    /// Registers which agency an organisation is (quarantine, health, standards, …).
    pub async fn set_customs_agency(&self, actor: &Actor, org: &str, agency: &str) -> Result<()> {
        let mut tx = self.begin_audited().await?;
        sqlx::query(
            "INSERT INTO customs_agencies (organization_id, agency) VALUES ($1, $2)
             ON CONFLICT (organization_id) DO UPDATE SET agency = excluded.agency",
        )
        .bind(org)
        .bind(agency)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(
            actor,
            Some(org),
            "customs.agency_registered",
            &format!("organization:{org}"),
            json!({"agency": agency}),
        )
        .await?;
        Ok(())
    }

    /// The agency an organisation is registered as, if any.
    pub async fn customs_agency_of(&self, org: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT agency FROM customs_agencies WHERE organization_id = $1")
            .bind(org)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<String, _>("agency")).transpose()?)
    }

    /// Stores a tariff schedule that replaces the built-in one for its economy.
    pub async fn import_tariff_schedule(&self, actor: &Actor, economy: &str, edition: &str, body: &str) -> Result<()> {
        let mut tx = self.begin_audited().await?;
        sqlx::query(
            "INSERT INTO tariff_schedules (economy, edition, body, imported_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (economy) DO UPDATE SET edition = excluded.edition, body = excluded.body,
                imported_at = excluded.imported_at",
        )
        .bind(economy)
        .bind(edition)
        .bind(body)
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(actor, None, "customs.tariff_imported", &format!("tariff:{economy}"), json!({"edition": edition}))
            .await?;
        Ok(())
    }

    /// Tariff schedules imported over the built-in ones: (economy, body).
    pub async fn imported_tariff_schedules(&self) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT economy, body FROM tariff_schedules ORDER BY economy").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get("economy")?, r.try_get("body")?))).collect()
    }

    /// An exporter asks an issuing authority for a certificate of origin, with the
    /// origin determination that makes the goods eligible.
    #[allow(clippy::too_many_arguments)]
    pub async fn request_origin_certificate(
        &self,
        actor: &Actor,
        exporter: &str,
        authority: &str,
        agreement: &str,
        product: &str,
        product_hs: &str,
        origin: &str,
        determination: &Value,
    ) -> Result<OriginCertificateRecord> {
        let mut tx = self.begin_audited().await?;
        let id = new_id();
        let number = format!("CO-{}-{}", origin, &id[id.len().saturating_sub(10)..].to_uppercase());
        let now = now_text();
        sqlx::query(
            "INSERT INTO origin_certificates (id, number, exporter_org, authority_org, agreement, product, product_hs,
                origin, determination, status, requested_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'requested', $10)",
        )
        .bind(&id)
        .bind(&number)
        .bind(exporter)
        .bind(authority)
        .bind(agreement)
        .bind(product)
        .bind(product_hs)
        .bind(origin)
        .bind(json_text(determination)?)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        crate::marketplace::notify_in_tx(
            &mut tx,
            authority,
            "origin_certificate_requested",
            &format!("A certificate of origin under {agreement} is waiting for your decision"),
            json!({"certificate": id}),
        )
        .await?;
        let record = origin_certificate_in(&mut tx.tx, &id).await?;
        tx.commit(
            actor,
            Some(exporter),
            "customs.origin_certificate_requested",
            &format!("origin_certificate:{id}"),
            json!({"authority": authority, "agreement": agreement, "product_hs": product_hs}),
        )
        .await?;
        Ok(record)
    }

    /// The authority approves (valid from `valid_from` to `valid_until`) or rejects with a
    /// reason a requested certificate; decided once.
    pub async fn decide_origin_certificate(
        &self,
        actor: &Actor,
        authority: &str,
        id: &str,
        approve: Option<(&str, &str)>,
        reason: &str,
    ) -> Result<OriginCertificateRecord> {
        let mut tx = self.begin_audited().await?;
        let current = origin_certificate_in(&mut tx.tx, id).await?;
        if current.authority_org != authority {
            return Err(StoreError::NotFound);
        }
        if current.status != "requested" {
            return Err(StoreError::Refused(format!("this certificate was already {}", current.status)));
        }
        let (status, from, until) = match approve {
            Some((f, u)) => ("approved", Some(f), Some(u)),
            None => ("rejected", None, None),
        };
        sqlx::query(
            "UPDATE origin_certificates SET status = $1, reason = $2, valid_from = $3, valid_until = $4, decided_at = $5
             WHERE id = $6",
        )
        .bind(status)
        .bind(reason)
        .bind(from)
        .bind(until)
        .bind(now_text())
        .bind(id)
        .execute(&mut *tx.tx)
        .await?;
        crate::marketplace::notify_in_tx(
            &mut tx,
            &current.exporter_org,
            "origin_certificate_decided",
            &format!("Certificate of origin {} was {status}", current.number),
            json!({"certificate": id, "status": status}),
        )
        .await?;
        let record = origin_certificate_in(&mut tx.tx, id).await?;
        tx.commit(
            actor,
            Some(authority),
            &format!("customs.origin_certificate_{status}"),
            &format!("origin_certificate:{id}"),
            json!({"reason": reason, "valid_until": until}),
        )
        .await?;
        Ok(record)
    }

    /// A certificate by id.
    pub async fn origin_certificate(&self, id: &str) -> Result<OriginCertificateRecord> {
        let mut conn = self.pool.acquire().await?;
        origin_certificate_in(&mut conn, id).await
    }

    /// A certificate by its number (what a declaration quotes as proof of origin).
    pub async fn origin_certificate_by_number(&self, number: &str) -> Result<OriginCertificateRecord> {
        let row = sqlx::query("SELECT id FROM origin_certificates WHERE number = $1")
            .bind(number)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.origin_certificate(&row.try_get::<String, _>("id")?).await
    }

    /// Certificates an exporter asked for or an authority decides, newest first.
    pub async fn origin_certificates(&self, org: &str) -> Result<Vec<OriginCertificateRecord>> {
        let rows = sqlx::query(
            "SELECT id FROM origin_certificates WHERE exporter_org = $1 OR authority_org = $1 ORDER BY id DESC LIMIT 200",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?;
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(origin_certificate_in(&mut conn, &r.try_get::<String, _>("id")?).await?);
        }
        Ok(out)
    }

    /// A carrier's cargo manifest for one arrival.
    pub async fn submit_manifest(
        &self,
        actor: &Actor,
        carrier: &str,
        economy: &str,
        conveyance: &str,
        arrival_at: &str,
        entries: &Value,
    ) -> Result<ManifestRecord> {
        let mut tx = self.begin_audited().await?;
        let id = new_id();
        let now = now_text();
        sqlx::query(
            "INSERT INTO cargo_manifests (id, economy, carrier_org, conveyance, arrival_at, entries, submitted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(economy)
        .bind(carrier)
        .bind(conveyance)
        .bind(arrival_at)
        .bind(json_text(entries)?)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(
            actor,
            Some(carrier),
            "customs.manifest_submitted",
            &format!("manifest:{id}"),
            json!({"economy": economy, "conveyance": conveyance}),
        )
        .await?;
        Ok(ManifestRecord {
            id,
            economy: economy.into(),
            carrier_org: carrier.into(),
            conveyance: conveyance.into(),
            arrival_at: arrival_at.into(),
            entries: entries.clone(),
            submitted_at: now,
        })
    }

    /// Manifests submitted to an economy (`carrier`: only that carrier's), newest first.
    pub async fn manifests(&self, economy: Option<&str>, carrier: Option<&str>) -> Result<Vec<ManifestRecord>> {
        let rows = sqlx::query(
            "SELECT id, economy, carrier_org, conveyance, arrival_at, entries, submitted_at FROM cargo_manifests
             WHERE ($1 = '' OR economy = $1) AND ($2 = '' OR carrier_org = $2) ORDER BY id DESC LIMIT 200",
        )
        .bind(economy.unwrap_or(""))
        .bind(carrier.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ManifestRecord {
                    id: r.try_get("id")?,
                    economy: r.try_get("economy")?,
                    carrier_org: r.try_get("carrier_org")?,
                    conveyance: r.try_get("conveyance")?,
                    arrival_at: r.try_get("arrival_at")?,
                    entries: from_json("manifest entries", &r.try_get::<String, _>("entries")?)?,
                    submitted_at: r.try_get("submitted_at")?,
                })
            })
            .collect()
    }

    /// What has been claimed back so far on the goods items of these import declarations.
    pub async fn drawback_usage(&self, declaration_ids: &[String]) -> Result<Vec<DrawbackUsage>> {
        let mut conn = self.pool.acquire().await?;
        drawback_usage_in(&mut conn, declaration_ids).await
    }

    /// Records a drawback claim: `assess` gets the current usage of the import lines (read
    /// in this transaction, so two claims cannot both spend the same quantity) and returns
    /// the claim's lines, the new usage per line, the refund and its journal entry, or a
    /// refusal. All of it is one transaction with the idempotency key.
    #[allow(clippy::too_many_arguments)]
    pub async fn claim_drawback<F>(
        &self,
        actor: &Actor,
        claimant: &str,
        economy: &str,
        idempotency_key: &str,
        request_digest: &str,
        import_declarations: &[String],
        assess: F,
    ) -> Result<DrawbackClaimRecord>
    where
        F: FnOnce(&[DrawbackUsage]) -> Result<(Value, Vec<DrawbackUsage>, Money, JournalEntry)>,
    {
        let request = format!("claim drawback {request_digest}");
        let mut tx = self.begin_audited().await?;
        if let Some(mut answer) =
            earlier_answer::<DrawbackClaimRecord>(&mut tx, Caller::Company(claimant), idempotency_key, &request).await?
        {
            answer.replayed = true;
            return Ok(answer);
        }
        let usage = drawback_usage_in(&mut tx.tx, import_declarations).await?;
        let (lines, new_usage, refund, entry) = assess(&usage)?;
        let id = new_id();
        let now = now_text();
        sqlx::query(
            "INSERT INTO drawback_claims (id, claimant_org, economy, lines, refund_amount, refund_currency, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(claimant)
        .bind(economy)
        .bind(json_text(&lines)?)
        .bind(refund.amount().to_string())
        .bind(refund.currency().as_str())
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        for u in &new_usage {
            sqlx::query(
                "INSERT INTO drawback_usage (declaration_id, item, claimed_quantity, refunded_amount) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (declaration_id, item) DO UPDATE SET claimed_quantity = excluded.claimed_quantity,
                    refunded_amount = excluded.refunded_amount",
            )
            .bind(&u.declaration_id)
            .bind(i64::from(u.item))
            .bind(u.claimed_quantity.to_string())
            .bind(u.refunded.to_string())
            .execute(&mut *tx.tx)
            .await?;
        }
        post_customs_entry(&mut tx, None, Some(&id), "drawback", &entry).await?;
        let answer = DrawbackClaimRecord {
            id: id.clone(),
            claimant_org: claimant.into(),
            economy: economy.into(),
            lines,
            refund,
            created_at: now,
            replayed: false,
        };
        keep_answer(&mut tx, Caller::Company(claimant), idempotency_key, &request, &answer).await?;
        tx.commit(
            actor,
            Some(claimant),
            "customs.drawback_claimed",
            &format!("drawback:{id}"),
            json!({"refund": refund}),
        )
        .await?;
        Ok(answer)
    }

    /// A company's drawback claims, newest first.
    pub async fn drawback_claims(&self, claimant: &str) -> Result<Vec<DrawbackClaimRecord>> {
        let rows = sqlx::query(
            "SELECT id, claimant_org, economy, lines, refund_amount, refund_currency, created_at FROM drawback_claims
             WHERE claimant_org = $1 ORDER BY id DESC LIMIT 200",
        )
        .bind(claimant)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DrawbackClaimRecord {
                    id: r.try_get("id")?,
                    claimant_org: r.try_get("claimant_org")?,
                    economy: r.try_get("economy")?,
                    lines: from_json("drawback lines", &r.try_get::<String, _>("lines")?)?,
                    refund: money_from(
                        &r.try_get::<String, _>("refund_amount")?,
                        &r.try_get::<String, _>("refund_currency")?,
                    )?,
                    created_at: r.try_get("created_at")?,
                    replayed: false,
                })
            })
            .collect()
    }
}

async fn drawback_usage_in(conn: &mut sqlx::AnyConnection, declaration_ids: &[String]) -> Result<Vec<DrawbackUsage>> {
    let mut out = Vec::new();
    for id in declaration_ids {
        let rows = sqlx::query(
            "SELECT declaration_id, item, claimed_quantity, refunded_amount FROM drawback_usage WHERE declaration_id = $1
             ORDER BY item",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        for r in &rows {
            let item: i64 = r.try_get("item")?;
            out.push(DrawbackUsage {
                declaration_id: r.try_get("declaration_id")?,
                item: u32::try_from(item).map_err(|e| corrupt("drawback item", e))?,
                claimed_quantity: r
                    .try_get::<String, _>("claimed_quantity")?
                    .parse()
                    .map_err(|e| corrupt("drawback quantity", e))?,
                refunded: r
                    .try_get::<String, _>("refunded_amount")?
                    .parse()
                    .map_err(|e| corrupt("drawback refund", e))?,
            });
        }
    }
    Ok(out)
}

async fn origin_certificate_in(conn: &mut sqlx::AnyConnection, id: &str) -> Result<OriginCertificateRecord> {
    let r = sqlx::query(
        "SELECT id, number, exporter_org, authority_org, agreement, product, product_hs, origin, determination, status,
            reason, valid_from, valid_until, requested_at, decided_at FROM origin_certificates WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(OriginCertificateRecord {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        exporter_org: r.try_get("exporter_org")?,
        authority_org: r.try_get("authority_org")?,
        agreement: r.try_get("agreement")?,
        product: r.try_get("product")?,
        product_hs: r.try_get("product_hs")?,
        origin: r.try_get("origin")?,
        determination: from_json("origin determination", &r.try_get::<String, _>("determination")?)?,
        status: r.try_get("status")?,
        reason: r.try_get("reason")?,
        valid_from: r.try_get("valid_from")?,
        valid_until: r.try_get("valid_until")?,
        requested_at: r.try_get("requested_at")?,
        decided_at: r.try_get("decided_at")?,
    })
}

impl Store {
    /// Sets an economy's risk profile (the file as the officer wrote it, already checked).
    pub async fn set_risk_profile(&self, actor: &Actor, authority: &str, economy: &str, body: &str) -> Result<()> {
        let mut tx = self.begin_audited().await?;
        sqlx::query(
            "INSERT INTO risk_profiles (economy, body, updated_by, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (economy) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by,
                updated_at = excluded.updated_at",
        )
        .bind(economy)
        .bind(body)
        .bind(&actor.user_id)
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(actor, Some(authority), "customs.risk_profile_set", &format!("risk_profile:{economy}"), json!({}))
            .await?;
        self.reference.forget_risk(economy);
        Ok(())
    }

    /// An economy's stored risk profile, if one was set (read at most every
    /// [`crate::REFERENCE_TTL`]).
    pub async fn risk_profile(&self, economy: &str) -> Result<Option<String>> {
        if let Some(body) = self.reference.risk(economy) {
            return Ok(body);
        }
        let body = self.read_risk_profile(economy).await?;
        self.reference.keep_risk(economy, body.clone());
        Ok(body)
    }

    async fn read_risk_profile(&self, economy: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT body FROM risk_profiles WHERE economy = $1")
            .bind(economy)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<String, _>("body")).transpose()?)
    }

    /// A declarant mandates a customs broker to lodge declarations in its name.
    pub async fn grant_broker_mandate(&self, actor: &Actor, declarant: &str, broker: &str) -> Result<()> {
        let mut tx = self.begin_audited().await?;
        sqlx::query(
            "INSERT INTO broker_mandates (declarant_org, broker_org, granted_at) VALUES ($1, $2, $3)
             ON CONFLICT (declarant_org, broker_org) DO NOTHING",
        )
        .bind(declarant)
        .bind(broker)
        .bind(now_text())
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(actor, Some(declarant), "customs.broker_mandated", &format!("organization:{broker}"), json!({}))
            .await?;
        Ok(())
    }

    /// Whether `broker` may lodge declarations for `declarant`.
    pub async fn has_broker_mandate(&self, declarant: &str, broker: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM broker_mandates WHERE declarant_org = $1 AND broker_org = $2")
            .bind(declarant)
            .bind(broker)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }
}

impl Store {
    /// Keeps a photo the inspection service took of a declaration's goods; returns the
    /// photo's SHA-256, which the inspection record names.
    pub async fn add_inspection_photo(
        &self,
        actor: &Actor,
        declaration_id: &str,
        file_name: &str,
        content_type: &str,
        content: &[u8],
    ) -> Result<String> {
        let mut tx = self.begin_audited().await?;
        let now = now_text();
        let sha = crate::blobs::put_blob(&mut tx, content_type, content, &now).await?;
        sqlx::query(
            "INSERT INTO inspection_photos (declaration_id, sha256, file_name, uploaded_by, uploaded_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (declaration_id, sha256) DO NOTHING",
        )
        .bind(declaration_id)
        .bind(&sha)
        .bind(file_name)
        .bind(&actor.user_id)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(
            actor,
            actor.organization_id.as_deref(),
            "customs.inspection_photo",
            &format!("declaration:{declaration_id}"),
            json!({"sha256": sha, "file_name": file_name, "size": content.len()}),
        )
        .await?;
        Ok(sha)
    }

    /// A declaration's inspection photo: (file name, content type, bytes).
    pub async fn inspection_photo(&self, declaration_id: &str, sha256: &str) -> Result<(String, String, Vec<u8>)> {
        let row = sqlx::query(
            "SELECT p.file_name AS file_name, b.content_type AS content_type, b.content AS content
             FROM inspection_photos p JOIN blobs b ON b.sha256 = p.sha256
             WHERE p.declaration_id = $1 AND p.sha256 = $2",
        )
        .bind(declaration_id)
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((row.try_get("file_name")?, row.try_get("content_type")?, row.try_get("content")?))
    }
}
