//! The HS nomenclature and UN/LOCODE tables: bulk import and lookup.

use crate::{Actor, Page, Result, Store};
use serde_json::json;
use sqlx::Row;
use tradewind_domain::HsLevel;
use tradewind_domain::reference::{HsEntry, LocodeEntry};

/// Rows per INSERT statement in bulk imports: well under both backends' parameter limits.
const BATCH: usize = 200;

/// A stored HS code, as the API serves it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HsRow {
    pub code: String,
    pub section: String,
    pub description: String,
    pub parent: Option<String>,
    pub level: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LocodeRow {
    pub code: String,
    pub country: String,
    pub name: String,
    pub subdivision: String,
    pub function: String,
    pub is_port: bool,
    pub is_airport: bool,
}

impl Store {
    /// Loads (or updates) HS codes, all in one transaction.
    pub async fn import_hs(&self, actor: &Actor, entries: &[HsEntry], source: &str) -> Result<usize> {
        let mut tx = self.begin_audited().await?;
        for chunk in entries.chunks(BATCH) {
            let mut sql = String::from("INSERT INTO hs_codes (code, section, description, parent, level) VALUES ");
            for i in 0..chunk.len() {
                let b = i * 5;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5));
            }
            sql.push_str(
                " ON CONFLICT (code) DO UPDATE SET section = excluded.section, description = excluded.description, \
                 parent = excluded.parent, level = excluded.level",
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                let level: i64 = match e.code.level() {
                    HsLevel::Chapter => 2,
                    HsLevel::Heading => 4,
                    HsLevel::Subheading => 6,
                };
                q = q
                    .bind(e.code.as_str().to_string())
                    .bind(e.section.clone())
                    .bind(e.description.clone())
                    .bind(e.parent.as_ref().map(|p| p.as_str().to_string()))
                    .bind(level);
            }
            q.execute(&mut *tx.tx).await?;
        }
        tx.commit(
            actor,
            None,
            "reference.hs_imported",
            "reference:hs",
            json!({"rows": entries.len(), "source": source}),
        )
        .await?;
        Ok(entries.len())
    }

    pub async fn import_locodes(&self, actor: &Actor, entries: &[LocodeEntry], source: &str) -> Result<usize> {
        // A file may list a code twice (UNECE change records); the last one wins. One
        // statement may not name a row twice, so collapse first.
        let mut last: std::collections::BTreeMap<&str, &LocodeEntry> = std::collections::BTreeMap::new();
        for e in entries {
            last.insert(e.code.as_str(), e);
        }
        let entries: Vec<&LocodeEntry> = last.into_values().collect();
        let mut tx = self.begin_audited().await?;
        for chunk in entries.chunks(BATCH) {
            let mut sql = String::from(
                "INSERT INTO locodes (code, country, name, subdivision, function, is_port, is_airport) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 7;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7
                ));
            }
            sql.push_str(
                " ON CONFLICT (code) DO UPDATE SET country = excluded.country, name = excluded.name, \
                 subdivision = excluded.subdivision, function = excluded.function, is_port = excluded.is_port, \
                 is_airport = excluded.is_airport",
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(e.code.as_str().to_string())
                    .bind(e.country.as_str().to_string())
                    .bind(e.name.clone())
                    .bind(e.subdivision.clone())
                    .bind(e.function.clone())
                    .bind(i64::from(e.is_port))
                    .bind(i64::from(e.is_airport));
            }
            q.execute(&mut *tx.tx).await?;
        }
        tx.commit(
            actor,
            None,
            "reference.locode_imported",
            "reference:locode",
            json!({"rows": entries.len(), "source": source}),
        )
        .await?;
        Ok(entries.len())
    }

    pub async fn count_hs(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM hs_codes").fetch_one(&self.pool).await?.try_get("n")?)
    }

    pub async fn get_hs(&self, code: &str) -> Result<Option<HsRow>> {
        let row = sqlx::query("SELECT code, section, description, parent, level FROM hs_codes WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| hs_from_row(&r)).transpose()
    }

    /// Finds HS codes by code prefix (digits) or by every word of `q` in the description.
    pub async fn search_hs(&self, q: &str, after: &str, limit: usize) -> Result<Page<HsRow>> {
        let q = q.trim();
        let digits: String = q.chars().filter(|c| *c != '.' && *c != ' ').collect();
        let rows = if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            sqlx::query(
                "SELECT code, section, description, parent, level FROM hs_codes WHERE code LIKE $1 AND code > $2 ORDER BY code LIMIT $3",
            )
            .bind(format!("{digits}%"))
            .bind(after)
            .bind(limit as i64 + 1)
            .fetch_all(&self.pool)
            .await?
        } else {
            let words: Vec<String> = q
                .split_whitespace()
                .take(8)
                .map(|w| format!("%{}%", w.to_lowercase().replace(['%', '_'], "")))
                .collect();
            let mut sql =
                String::from("SELECT code, section, description, parent, level FROM hs_codes WHERE code > $1");
            for i in 0..words.len() {
                sql.push_str(&format!(" AND LOWER(description) LIKE ${}", i + 2));
            }
            sql.push_str(&format!(" ORDER BY code LIMIT ${}", words.len() + 2));
            let mut query = sqlx::query(&sql).bind(after);
            for w in &words {
                query = query.bind(w.clone());
            }
            query.bind(limit as i64 + 1).fetch_all(&self.pool).await?
        };
        let items = rows.iter().map(hs_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, limit, |h| h.code.clone()))
    }

    pub async fn count_locodes(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM locodes").fetch_one(&self.pool).await?.try_get("n")?)
    }

    pub async fn get_locode(&self, code: &str) -> Result<Option<LocodeRow>> {
        let row = sqlx::query(
            "SELECT code, country, name, subdivision, function, is_port, is_airport FROM locodes WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| locode_from_row(&r)).transpose()
    }

    /// UN/LOCODEs by code prefix or name, optionally in one country.
    pub async fn search_locodes(
        &self,
        q: &str,
        country: Option<&str>,
        after: &str,
        limit: usize,
    ) -> Result<Page<LocodeRow>> {
        let q = q.trim();
        let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
        let prefix = format!("{}%", q.to_ascii_uppercase().replace(['%', '_', ' '], ""));
        let rows = sqlx::query(
            "SELECT code, country, name, subdivision, function, is_port, is_airport FROM locodes
             WHERE (code LIKE $1 OR LOWER(name) LIKE $2) AND country LIKE $3 AND code > $4 ORDER BY code LIMIT $5",
        )
        .bind(prefix)
        .bind(pattern)
        .bind(country.unwrap_or("%").to_string())
        .bind(after)
        .bind(limit as i64 + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(locode_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, limit, |l| l.code.clone()))
    }
}

fn hs_from_row(r: &sqlx::any::AnyRow) -> Result<HsRow> {
    Ok(HsRow {
        code: r.try_get("code")?,
        section: r.try_get("section")?,
        description: r.try_get("description")?,
        parent: r.try_get("parent")?,
        level: r.try_get("level")?,
    })
}

fn locode_from_row(r: &sqlx::any::AnyRow) -> Result<LocodeRow> {
    Ok(LocodeRow {
        code: r.try_get("code")?,
        country: r.try_get("country")?,
        name: r.try_get("name")?,
        subdivision: r.try_get("subdivision")?,
        function: r.try_get("function")?,
        is_port: r.try_get::<i64, _>("is_port")? != 0,
        is_airport: r.try_get::<i64, _>("is_airport")? != 0,
    })
}
