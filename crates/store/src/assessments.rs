//! Paperless-trade assessments: drafts, answers with their evidence, submission with the
//! scored result, history; and the platform activity behind a company's measured score.

use crate::{Actor, Page, Result, Store, StoreError, blobs::put_blob, new_id, now_text};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;
use tradewind_domain::assessment::{Answers, AssessmentResult, Kind, PlatformActivity, Status};

/// One assessment as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub id: String,
    pub kind: Kind,
    /// The organisation that took it; `None` when the platform operator did.
    pub organization_id: Option<String>,
    /// For an economy assessment, the economy's ISO 3166 alpha-2 code.
    pub economy: Option<String>,
    pub questionnaire_version: String,
    pub status: Status,
    pub answers: Answers,
    /// Set on submission.
    pub result: Option<AssessmentResult>,
    pub evidence: Vec<AnswerEvidence>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub submitted_at: Option<String>,
}

/// Evidence behind one answer: a link, an uploaded file, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerEvidence {
    pub question_id: String,
    pub link: Option<String>,
    /// SHA-256 of the uploaded file: its address in the blob store.
    pub sha256: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<i64>,
    pub updated_at: String,
}

/// A new draft: who it is about and who owns it.
#[derive(Debug, Clone)]
pub struct NewAssessment {
    pub kind: Kind,
    pub organization_id: Option<String>,
    pub economy: Option<String>,
    pub questionnaire_version: String,
}

/// Whose assessments a list shows: an organisation's, or the operators' own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssessmentOwner<'a> {
    Organization(&'a str),
    Operators,
}

/// A file uploaded as evidence for an answer.
#[derive(Debug, Clone)]
pub struct EvidenceFile<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
}

const COLUMNS: &str = "id, kind, organization_id, economy, questionnaire_version, status, answers, result, \
     created_by, created_at, updated_at, submitted_at";

const EVIDENCE_COLUMNS: &str = "question_id, link, sha256, filename, content_type, size, updated_at";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("assessment {what}: {e}"))
}

fn assessment_from_row(r: &AnyRow) -> Result<Assessment> {
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("status")?;
    let answers: String = r.try_get("answers")?;
    let result: Option<String> = r.try_get("result")?;
    Ok(Assessment {
        id: r.try_get("id")?,
        kind: kind.parse().map_err(|e| corrupt("kind", e))?,
        organization_id: r.try_get("organization_id")?,
        economy: r.try_get("economy")?,
        questionnaire_version: r.try_get("questionnaire_version")?,
        status: status.parse().map_err(|e| corrupt("status", e))?,
        answers: serde_json::from_str(&answers).map_err(|e| corrupt("answers", e))?,
        result: result.map(|t| serde_json::from_str(&t).map_err(|e| corrupt("result", e))).transpose()?,
        evidence: Vec::new(),
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        submitted_at: r.try_get("submitted_at")?,
    })
}

fn evidence_from_row(r: &AnyRow) -> Result<AnswerEvidence> {
    Ok(AnswerEvidence {
        question_id: r.try_get("question_id")?,
        link: r.try_get("link")?,
        sha256: r.try_get("sha256")?,
        filename: r.try_get("filename")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn to_json(what: &str, value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| corrupt(what, e))
}

fn audit_org(a: &Assessment) -> Option<&str> {
    a.organization_id.as_deref()
}

impl Store {
    /// Starts a draft with no answers.
    pub async fn create_assessment(&self, actor: &Actor, new: &NewAssessment) -> Result<Assessment> {
        let mut tx = self.begin_audited().await?;
        let id = new_id();
        let now = now_text();
        let created_by = actor.user_id.clone().unwrap_or_default();
        sqlx::query(&format!(
            "INSERT INTO assessments ({COLUMNS}, score) VALUES ($1, $2, $3, $4, $5, 'draft', '{{}}', NULL, $6, $7, $7, NULL, NULL)"
        ))
        .bind(&id)
        .bind(new.kind.as_str())
        .bind(&new.organization_id)
        .bind(&new.economy)
        .bind(&new.questionnaire_version)
        .bind(&created_by)
        .bind(&now)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(
            actor,
            new.organization_id.as_deref(),
            "assessment.created",
            &format!("assessment:{id}"),
            json!({"kind": new.kind, "economy": new.economy, "questionnaire_version": new.questionnaire_version}),
        )
        .await?;
        self.get_assessment(&id).await
    }

    /// An assessment with its evidence. Callers check that the reader may see it.
    pub async fn get_assessment(&self, id: &str) -> Result<Assessment> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM assessments WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut a = assessment_from_row(&row)?;
        let rows = sqlx::query(&format!(
            "SELECT {EVIDENCE_COLUMNS} FROM assessment_evidence WHERE assessment_id = $1 ORDER BY question_id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        a.evidence = rows.iter().map(evidence_from_row).collect::<Result<_>>()?;
        Ok(a)
    }

    /// An owner's assessments, newest first, `limit` at a time before the id `before`
    /// ("" for the first page). Evidence is not loaded.
    pub async fn list_assessments(
        &self,
        owner: AssessmentOwner<'_>,
        kind: Option<Kind>,
        before: &str,
        limit: usize,
    ) -> Result<Page<Assessment>> {
        let (owner_clause, owner_value) = match owner {
            AssessmentOwner::Organization(org) => ("organization_id = $1", org),
            AssessmentOwner::Operators => ("organization_id IS NULL AND $1 = ''", ""),
        };
        let before = if before.is_empty() { "~" } else { before };
        let kind = kind.map(Kind::as_str).unwrap_or("%");
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM assessments WHERE {owner_clause} AND kind LIKE $2 AND id < $3 ORDER BY id DESC LIMIT $4"
        ))
        .bind(owner_value)
        .bind(kind)
        .bind(before)
        .bind(limit as i64 + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(assessment_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, limit, |a| a.id.clone()))
    }

    /// Loads a draft for change inside `tx`, refusing a submitted one.
    async fn draft_in(&self, tx: &mut crate::audit::AuditedTx, id: &str) -> Result<Assessment> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM assessments WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let a = assessment_from_row(&row)?;
        if a.status != Status::Draft {
            return Err(StoreError::Refused(
                "this assessment was submitted and can no longer change; start a new one to retake it".into(),
            ));
        }
        Ok(a)
    }

    /// Saves answers into a draft: `set` adds or replaces answers, `clear` removes them.
    /// The caller has checked them against the questionnaire.
    pub async fn save_answers(
        &self,
        actor: &Actor,
        id: &str,
        set: &BTreeMap<String, u32>,
        clear: &[String],
    ) -> Result<Assessment> {
        let mut tx = self.begin_audited().await?;
        let mut a = self.draft_in(&mut tx, id).await?;
        for q in clear {
            a.answers.0.remove(q);
        }
        a.answers.0.extend(set.iter().map(|(k, v)| (k.clone(), *v)));
        sqlx::query("UPDATE assessments SET answers = $1, updated_at = $2 WHERE id = $3")
            .bind(to_json("answers", &a.answers)?)
            .bind(now_text())
            .bind(id)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit(
            actor,
            audit_org(&a),
            "assessment.answers_saved",
            &format!("assessment:{id}"),
            json!({"set": set, "cleared": clear}),
        )
        .await?;
        self.get_assessment(id).await
    }

    /// Sets the evidence behind one answer of a draft: a link, a file, or both. A part not
    /// given keeps its earlier value.
    pub async fn set_answer_evidence(
        &self,
        actor: &Actor,
        id: &str,
        question_id: &str,
        link: Option<&str>,
        file: Option<EvidenceFile<'_>>,
    ) -> Result<AnswerEvidence> {
        let mut tx = self.begin_audited().await?;
        let a = self.draft_in(&mut tx, id).await?;
        let now = now_text();
        let sha = match &file {
            Some(f) => Some(put_blob(&mut tx, f.content_type, f.content, &now).await?),
            None => None,
        };
        let user = actor.user_id.clone().unwrap_or_default();
        let existing =
            sqlx::query("SELECT question_id FROM assessment_evidence WHERE assessment_id = $1 AND question_id = $2")
                .bind(id)
                .bind(question_id)
                .fetch_optional(&mut *tx.tx)
                .await?;
        if existing.is_none() {
            sqlx::query(
                "INSERT INTO assessment_evidence (assessment_id, question_id, link, sha256, filename, content_type, size, updated_by, updated_at)
                 VALUES ($1, $2, NULL, NULL, NULL, NULL, NULL, $3, $4)",
            )
            .bind(id)
            .bind(question_id)
            .bind(&user)
            .bind(&now)
            .execute(&mut *tx.tx)
            .await?;
        }
        if let Some(link) = link {
            sqlx::query("UPDATE assessment_evidence SET link = $1 WHERE assessment_id = $2 AND question_id = $3")
                .bind(link)
                .bind(id)
                .bind(question_id)
                .execute(&mut *tx.tx)
                .await?;
        }
        if let (Some(f), Some(sha)) = (&file, &sha) {
            sqlx::query(
                "UPDATE assessment_evidence SET sha256 = $1, filename = $2, content_type = $3, size = $4
                 WHERE assessment_id = $5 AND question_id = $6",
            )
            .bind(sha)
            .bind(f.filename)
            .bind(f.content_type)
            .bind(f.content.len() as i64)
            .bind(id)
            .bind(question_id)
            .execute(&mut *tx.tx)
            .await?;
        }
        sqlx::query(
            "UPDATE assessment_evidence SET updated_by = $1, updated_at = $2 WHERE assessment_id = $3 AND question_id = $4",
        )
        .bind(&user)
        .bind(&now)
        .bind(id)
        .bind(question_id)
        .execute(&mut *tx.tx)
        .await?;
        sqlx::query("UPDATE assessments SET updated_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(id)
            .execute(&mut *tx.tx)
            .await?;
        tx.commit(
            actor,
            audit_org(&a),
            "assessment.evidence_set",
            &format!("assessment:{id}"),
            json!({"question": question_id, "link": link, "sha256": sha, "filename": file.as_ref().map(|f| f.filename)}),
        )
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {EVIDENCE_COLUMNS} FROM assessment_evidence WHERE assessment_id = $1 AND question_id = $2"
        ))
        .bind(id)
        .bind(question_id)
        .fetch_one(&self.pool)
        .await?;
        evidence_from_row(&row)
    }

    /// The file uploaded as evidence for an answer, with its content.
    pub async fn get_answer_evidence_file(&self, id: &str, question_id: &str) -> Result<(AnswerEvidence, Vec<u8>)> {
        let row = sqlx::query(
            "SELECT e.question_id, e.link, e.sha256, e.filename, e.content_type, e.size, e.updated_at, b.content
             FROM assessment_evidence e JOIN blobs b ON b.sha256 = e.sha256
             WHERE e.assessment_id = $1 AND e.question_id = $2",
        )
        .bind(id)
        .bind(question_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((evidence_from_row(&row)?, row.try_get("content")?))
    }

    /// Submits a draft with its scored result; it cannot change afterwards.
    pub async fn submit_assessment(&self, actor: &Actor, id: &str, result: &AssessmentResult) -> Result<Assessment> {
        let mut tx = self.begin_audited().await?;
        let a = self.draft_in(&mut tx, id).await?;
        let now = now_text();
        sqlx::query(
            "UPDATE assessments SET status = 'submitted', result = $1, score = $2, questionnaire_version = $3,
             submitted_at = $4, updated_at = $4 WHERE id = $5",
        )
        .bind(to_json("result", result)?)
        .bind(i64::from(result.score))
        .bind(&result.questionnaire_version)
        .bind(&now)
        .bind(id)
        .execute(&mut *tx.tx)
        .await?;
        tx.commit(
            actor,
            audit_org(&a),
            "assessment.submitted",
            &format!("assessment:{id}"),
            json!({"kind": a.kind, "economy": a.economy, "score": result.score,
                   "measured_score": result.measured.as_ref().map(|m| m.score),
                   "questionnaire_version": result.questionnaire_version}),
        )
        .await?;
        self.get_assessment(id).await
    }

    /// What a company does on tradewind, for its measured score.
    ///
    /// The seam for later features: today tradewind records registration, verification,
    /// evidence and products, so the trade counts stay 0. A feature that records trades
    /// (orders, invoices, documents, declarations, cross-border exchange) fills `trades`
    /// and its `trades_with_*` count here, with a query over its own tables.
    pub async fn platform_activity(&self, organization_id: &str) -> Result<PlatformActivity> {
        let org = self.get_organization(organization_id).await?;
        let count = |sql: &'static str| async move {
            let n: i64 = sqlx::query(sql).bind(organization_id).fetch_one(&self.pool).await?.try_get("n")?;
            Ok::<u64, StoreError>(n.max(0) as u64)
        };
        Ok(PlatformActivity {
            registered: true,
            verified: org.verification == tradewind_domain::organization::VerificationStatus::Verified,
            evidence_files: count("SELECT COUNT(*) AS n FROM evidence WHERE organization_id = $1").await?,
            products: count("SELECT COUNT(*) AS n FROM products WHERE organization_id = $1").await?,
            products_with_hs_code: count(
                "SELECT COUNT(*) AS n FROM products WHERE organization_id = $1 AND hs_code IS NOT NULL AND hs_code <> ''",
            )
            .await?,
            ..PlatformActivity::default()
        })
    }
}
