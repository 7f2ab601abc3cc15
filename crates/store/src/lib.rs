//! Persistence for tradewind on embedded SQLite (the default) or PostgreSQL.
//!
//! [`Store`] is the one door to the database. It speaks portable SQL through sqlx's `Any`
//! driver, so both backends run the same queries; each backend owns its migrations
//! (`migrations/sqlite`, `migrations/postgres`). Every write that changes state runs in one
//! transaction together with its audit entry ([`audit`]), so an action and its record are
//! written together or not at all.

mod assessments;
mod attestations;
pub mod audit;
mod blobs;
mod customs;
mod exchange;
mod inquiries;
mod keys;
mod logistics;
mod marketplace;
mod model;
mod orders;
mod organizations;
pub mod reference;
mod retail;
mod title;
mod users;
mod webhooks;

pub use assessments::{AnswerEvidence, Assessment, AssessmentOwner, EvidenceFile, NewAssessment};
pub use attestations::{NewAttestationBatch, NewVerifiableDocument, VerifiableDocumentRecord};
pub use customs::*;
pub use exchange::{ExchangeParty, ExchangeRecord, ExchangedDocument, SendDocuments};
pub use inquiries::*;
pub use keys::StoredCompanyKeys;
pub use logistics::*;
pub use marketplace::*;
pub use model::*;
pub use orders::*;
pub use organizations::OrganizationFilter;
pub use retail::*;
pub use title::*;
pub use webhooks::*;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; `field` names the input that collided.
    #[error("{message}")]
    Conflict { field: &'static str, message: String },
    /// The stored state does not allow the change (for example a state-machine transition).
    #[error("{0}")]
    Refused(String),
    /// One input is unacceptable given the stored state (for example a refund above what
    /// escrow holds); `field` names it and `code` says why.
    #[error("{message}")]
    InvalidField { field: &'static str, code: &'static str, message: String },
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The database, migrated and ready.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// This process's audited writers, queued in order: every such write waits for the audit
    /// chain head anyway, and waiting here holds no connection and wakes at once, where
    /// waiting in the database holds a pooled connection (and on SQLite sleeps and polls).
    writers: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Reference data every lodgement and quote reads, kept for [`REFERENCE_TTL`].
    reference: ReferenceCache,
}

/// How long this process trusts reference data (exchange rates, risk profiles) it read:
/// changes made through this `Store` are seen at once, changes made by another process
/// (`tradewind import fx`, another node) within this time.
pub const REFERENCE_TTL: Duration = Duration::from_secs(2);

/// A value read at an instant.
type Kept<T> = (std::time::Instant, T);
type Shared<T> = std::sync::Arc<std::sync::Mutex<T>>;

#[derive(Clone, Debug, Default)]
struct ReferenceCache {
    fx: Shared<Option<Kept<Option<tradewind_domain::marketplace::FxRates>>>>,
    /// Each economy's stored risk profile (None: the built-in one applies).
    risk: Shared<std::collections::HashMap<String, Kept<Option<String>>>>,
}

impl ReferenceCache {
    fn fresh<T: Clone>(entry: Option<&(std::time::Instant, T)>) -> Option<T> {
        entry.filter(|(at, _)| at.elapsed() < REFERENCE_TTL).map(|(_, v)| v.clone())
    }

    fn fx(&self) -> Option<Option<tradewind_domain::marketplace::FxRates>> {
        self.fx.lock().ok().and_then(|c| Self::fresh(c.as_ref()))
    }

    fn keep_fx(&self, rates: Option<tradewind_domain::marketplace::FxRates>) {
        if let Ok(mut c) = self.fx.lock() {
            *c = Some((std::time::Instant::now(), rates));
        }
    }

    fn forget_fx(&self) {
        if let Ok(mut c) = self.fx.lock() {
            *c = None;
        }
    }

    fn risk(&self, economy: &str) -> Option<Option<String>> {
        self.risk.lock().ok().and_then(|c| Self::fresh(c.get(economy)))
    }

    fn keep_risk(&self, economy: &str, body: Option<String>) {
        if let Ok(mut c) = self.risk.lock() {
            c.insert(economy.to_string(), (std::time::Instant::now(), body));
        }
    }

    fn forget_risk(&self, economy: &str) {
        if let Ok(mut c) = self.risk.lock() {
            c.remove(economy);
        }
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path/to/file.db` or `postgres://…`), creating the SQLite
    /// file if it is missing, and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" })
            }
            _ => url.to_string(),
        };
        let opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let pool = match backend {
            Backend::Sqlite => {
                // An embedded file cannot drop a connection the way a server can, so a pooled
                // connection is not pinged before each use (a round trip to its worker thread
                // on every query: measured as a visible share of a lodgement's time).
                opts.max_connections(8)
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers go on while one writer writes; the busy
                            // timeout makes a second writer wait instead of failing.
                            conn.execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => opts.max_connections(16).connect(&url).await?,
        };
        let store = Store { pool, backend, writers: Default::default(), reference: Default::default() };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Direct pool access for maintenance commands and tests (for example tampering tests).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// A URL with any password replaced, safe to log.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***@{}", &url[..s], &url[at + 1..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The rows of a bulk insert written straight into the JSON text [`insert_json_text`] sends,
/// without building a `serde_json::Value` per cell first. Columns that hold JSON text travel
/// as strings too: both databases take an escaped string faster than a nested document,
/// which they would parse and print again (measured).
pub(crate) struct JsonRows {
    text: Vec<u8>,
    rows: usize,
    cells: usize,
    broken: Option<String>,
}

impl JsonRows {
    pub(crate) fn new() -> JsonRows {
        JsonRows { text: vec![b'['], rows: 0, cells: 0, broken: None }
    }

    /// Starts the next row.
    pub(crate) fn row(&mut self) -> &mut JsonRows {
        if self.rows > 0 {
            self.text.extend_from_slice(b"],");
        }
        self.text.push(b'[');
        self.rows += 1;
        self.cells = 0;
        self
    }

    fn next_cell(&mut self) {
        if self.cells > 0 {
            self.text.push(b',');
        }
        self.cells += 1;
    }

    pub(crate) fn text(&mut self, value: &str) -> &mut JsonRows {
        self.next_cell();
        if let Err(e) = serde_json::to_writer(&mut self.text, value) {
            self.broken.get_or_insert(e.to_string());
        }
        self
    }

    pub(crate) fn opt_text(&mut self, value: Option<&str>) -> &mut JsonRows {
        match value {
            Some(v) => self.text(v),
            None => {
                self.next_cell();
                self.text.extend_from_slice(b"null");
                self
            }
        }
    }

    pub(crate) fn int(&mut self, value: i64) -> &mut JsonRows {
        self.next_cell();
        self.text.extend_from_slice(value.to_string().as_bytes());
        self
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub(crate) fn finish(mut self) -> Result<String> {
        if let Some(e) = self.broken {
            return Err(corrupt("bulk rows", e));
        }
        if self.rows > 0 {
            self.text.push(b']');
        }
        self.text.push(b']');
        String::from_utf8(self.text).map_err(|e| corrupt("bulk rows", e))
    }
}

/// Inserts the rows of a [`JsonRows`] (each in `columns` order) into `table` with one statement
/// and one bound parameter, a JSON array the database unpacks (`json_each` on SQLite,
/// `jsonb_array_elements` on PostgreSQL): sqlx's SQLite driver slows sharply with many bound
/// parameters. A column is `(name, is_integer)`.
pub(crate) async fn insert_json_text(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[(&str, bool)],
    rows: JsonRows,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = bulk_insert_sql(backend, table, columns);
    sqlx::query(&sql).bind(rows.finish()?).execute(&mut *conn).await?;
    Ok(())
}

fn bulk_insert_sql(backend: Backend, table: &str, columns: &[(&str, bool)]) -> String {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let picks: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, integer))| match (backend, integer) {
            (Backend::Sqlite, _) => format!("json_extract(value, '$[{i}]')"),
            (Backend::Postgres, true) => format!("(x->>{i})::bigint"),
            (Backend::Postgres, false) => format!("x->>{i}"),
        })
        .collect();
    let from = match backend {
        Backend::Sqlite => "json_each($1)",
        Backend::Postgres => "jsonb_array_elements(CAST($1 AS jsonb)) AS x",
    };
    format!("INSERT INTO {table} ({}) SELECT {} FROM {from}", names.join(", "), picks.join(", "))
}

/// A stored value that does not read back as its type: the database was changed outside
/// tradewind (or by a newer version).
pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// A value as the JSON text a TEXT column keeps.
pub(crate) fn json_text<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| corrupt("json", e))
}

/// A JSON TEXT column read back as its type.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| corrupt(what, e))
}

/// Now, as stored: RFC 3339 UTC with fixed microsecond precision so that text order is
/// time order on both backends.
pub fn now_text() -> String {
    format_time(time::OffsetDateTime::now_utc())
}

pub fn format_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// A new time-ordered id, so id order is creation order (cursor pagination relies on it).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// True when a database error is a uniqueness violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation()
                || d.code().is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
                || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn times_sort_as_text() {
        let a = format_time(time::macros::datetime!(2026-01-02 03:04:05.000001 UTC));
        let b = format_time(time::macros::datetime!(2026-01-02 03:04:05.1 UTC));
        assert_eq!(a, "2026-01-02T03:04:05.000001Z");
        assert!(a < b);
    }

    #[test]
    fn bulk_rows_are_the_json_they_stand_for() -> Result<()> {
        let mut rows = JsonRows::new();
        rows.row().text("a \"quoted\" \\ line\nwith\ttabs and \u{1} control").opt_text(None).int(-7);
        rows.row().text(r#"{"items": [1, "two"]}"#);
        let parsed: serde_json::Value = serde_json::from_str(&rows.finish()?).map_err(|e| corrupt("test", e))?;
        assert_eq!(
            parsed,
            serde_json::json!([
                ["a \"quoted\" \\ line\nwith\ttabs and \u{1} control", null, -7],
                [r#"{"items": [1, "two"]}"#]
            ])
        );
        assert_eq!(JsonRows::new().finish()?, "[]");
        Ok(())
    }
}
