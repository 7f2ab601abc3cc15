//! Paperless-trade assessments: the questionnaire, drafts and their answers with evidence,
//! submission with score, level, stage and action plan, history, and the PDF report.
//!
//! Who may assess what: any company user assesses their own company (`kind: company`); an
//! organisation registered as a customs authority or another government agency assesses
//! its own economy, and the platform operator any economy (`kind: economy`, named by its
//! ISO 3166 alpha-2 code). An assessment is visible to its organisation's users, or to the
//! operators when an operator took it; to anyone else it does not exist (404).

use super::{PageBody, PageParams};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::problem::{ApiError, Json, Path, Query};
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tradewind_domain::assessment::{AssessmentResult, Band, Kind, KindSection, Questionnaire, Status};
use tradewind_domain::organization::{TradeRole, check_evidence};
use tradewind_domain::{CountryCode, ValidationErrors};
use tradewind_report::{Fonts, ReportError, ReportInput};
use tradewind_store::{Assessment, AssessmentOwner, EvidenceFile, NewAssessment};

/// The questionnaire for one kind of assessment.
#[derive(Serialize)]
pub struct QuestionnaireBody<'a> {
    pub version: &'a str,
    pub kind: Kind,
    #[serde(flatten)]
    pub section: &'a KindSection,
    pub bands: &'a [Band],
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct KindQuery {
    /// economy or company
    pub kind: Option<String>,
}

fn parse_kind(field: &str, kind: Option<&str>) -> Result<Kind, ApiError> {
    let Some(k) = kind else {
        return Err(ApiError::field(field, "required", "say which assessment: kind=economy or kind=company"));
    };
    k.parse().map_err(|m: String| ApiError::field(field, "unknown_kind", m))
}

/// The questions, grouped by dimension, with their answer levels, and the pathway's bands.
#[utoipa::path(get, path = "/api/v1/assessments/questionnaire", tag = "assessments", params(KindQuery),
    responses((status = 200, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn questionnaire(
    State(state): State<AppState>,
    Query(q): Query<KindQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = parse_kind("kind", q.kind.as_deref())?;
    let qn = &state.settings.questionnaire;
    let body = QuestionnaireBody { version: &qn.version, kind, section: qn.section(kind), bands: &qn.bands };
    Ok(axum::Json(serde_json::to_value(&body).map_err(|e| ApiError::Internal(e.to_string()))?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateIn {
    /// economy or company.
    pub kind: String,
    /// For an economy: its ISO 3166 alpha-2 code (a government organisation's own by default).
    #[serde(default)]
    pub economy: Option<String>,
}

/// Starts a draft after checking who may assess what (see the module comment).
pub async fn start(
    state: &AppState,
    user: &CurrentUser,
    kind: &str,
    economy: Option<&str>,
) -> Result<Assessment, ApiError> {
    let kind = parse_kind("kind", Some(kind))?;
    let economy = economy.map(str::trim).filter(|e| !e.is_empty());
    let (organization_id, economy) = match kind {
        Kind::Company => {
            let Some(org) = user.user.organization_id.clone() else {
                return Err(ApiError::field(
                    "kind",
                    "not_allowed",
                    "the platform operator assesses economies, not companies",
                ));
            };
            (Some(org), None)
        }
        Kind::Economy if user.user.is_operator => {
            let Some(code) = economy else {
                return Err(ApiError::field(
                    "economy",
                    "required",
                    "name the economy by its ISO 3166 code, for example SG",
                ));
            };
            let country: CountryCode = code.parse().map_err(|e: tradewind_domain::codes::CodeError| {
                ApiError::field("economy", "unknown_country", e.to_string())
            })?;
            (None, Some(country.to_string()))
        }
        Kind::Economy => {
            let org = state.store.get_organization(user.organization_id()?).await?;
            let government =
                org.roles.iter().any(|r| matches!(r, TradeRole::CustomsAuthority | TradeRole::OtherGovernmentAgency));
            if !government {
                return Err(ApiError::field(
                    "kind",
                    "not_allowed",
                    "only a customs authority, another government agency or the platform operator assesses an economy; a company assesses itself (kind company)",
                ));
            }
            if let Some(code) = economy
                && !code.eq_ignore_ascii_case(org.country.as_str())
            {
                return Err(ApiError::field(
                    "economy",
                    "not_allowed",
                    format!("a government organisation assesses its own economy ({})", org.country),
                ));
            }
            (Some(org.id), Some(org.country.to_string()))
        }
    };
    let new = NewAssessment {
        kind,
        organization_id,
        economy,
        questionnaire_version: state.settings.questionnaire.version.clone(),
    };
    Ok(state.store.create_assessment(&user.actor(), &new).await?)
}

/// Start an assessment (a draft with no answers).
#[utoipa::path(post, path = "/api/v1/assessments", tag = "assessments", request_body = CreateIn,
    responses((status = 201, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<CreateIn>,
) -> Result<impl IntoResponse, ApiError> {
    let a = start(&state, &user, &body.kind, body.economy.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(AssessmentBody::of(&state.settings.questionnaire, a))))
}

/// An assessment as the API sends it: for a draft, with a preview of its score so far.
#[derive(Serialize)]
pub struct AssessmentBody {
    #[serde(flatten)]
    pub assessment: Assessment,
    /// A draft's score as the answers stand (unanswered questions count as nothing in place).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<AssessmentResult>,
}

impl AssessmentBody {
    pub fn of(q: &Questionnaire, assessment: Assessment) -> AssessmentBody {
        let preview = (assessment.status == Status::Draft).then(|| q.score(assessment.kind, &assessment.answers));
        AssessmentBody { assessment, preview }
    }
}

/// Whose assessments the caller sees.
pub fn owner(user: &CurrentUser) -> Result<AssessmentOwner<'_>, ApiError> {
    match (&user.user.organization_id, user.user.is_operator) {
        (Some(org), _) => Ok(AssessmentOwner::Organization(org)),
        (None, true) => Ok(AssessmentOwner::Operators),
        (None, false) => Err(ApiError::NotFound),
    }
}

/// An assessment the caller may see; anything else is 404.
pub async fn load(state: &AppState, user: &CurrentUser, id: &str) -> Result<Assessment, ApiError> {
    let a = state.store.get_assessment(id).await?;
    let visible = match owner(user)? {
        AssessmentOwner::Organization(org) => a.organization_id.as_deref() == Some(org),
        AssessmentOwner::Operators => a.organization_id.is_none(),
    };
    if visible { Ok(a) } else { Err(ApiError::NotFound) }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub kind: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

/// The caller's assessments (their organisation's, or the operators'), newest first.
#[utoipa::path(get, path = "/api/v1/assessments", tag = "assessments", params(ListQuery),
    responses((status = 200, body = Object), (status = 401, body = crate::problem::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<PageBody<Assessment>>, ApiError> {
    let kind = q.kind.as_deref().map(|k| parse_kind("kind", Some(k))).transpose()?;
    let p = PageParams { cursor: q.cursor, limit: q.limit };
    Ok(Json(state.store.list_assessments(owner(&user)?, kind, &p.after()?, p.limit()?).await?.into()))
}

/// One point of the history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryPoint {
    pub id: String,
    pub submitted_at: String,
    pub score: u32,
    pub level: tradewind_domain::assessment::Text,
    pub measured_score: Option<u32>,
}

/// Submitted assessments of the same kind and subject as `like` (or of `kind` for the
/// caller's company when `like` is `None`), oldest first.
pub async fn history_of(
    state: &AppState,
    user: &CurrentUser,
    kind: Kind,
    economy: Option<&str>,
) -> Result<Vec<HistoryPoint>, ApiError> {
    let mut points = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = state.store.list_assessments(owner(user)?, Some(kind), &cursor, 200).await?;
        for a in &page.items {
            if let (Some(r), Some(at)) = (&a.result, &a.submitted_at)
                && (economy.is_none() || a.economy.as_deref() == economy)
            {
                points.push(HistoryPoint {
                    id: a.id.clone(),
                    submitted_at: at.clone(),
                    score: r.score,
                    level: r.band.level.clone(),
                    measured_score: r.measured.as_ref().map(|m| m.score),
                });
            }
        }
        match page.next_cursor {
            Some(c) => cursor = c,
            None => break,
        }
    }
    points.sort_by(|a, b| a.submitted_at.cmp(&b.submitted_at));
    Ok(points)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct HistoryQuery {
    pub kind: Option<String>,
    /// For economy assessments: which economy (ISO 3166 alpha-2).
    pub economy: Option<String>,
}

/// Progress over time: the submitted assessments of one kind (and economy), oldest first.
#[utoipa::path(get, path = "/api/v1/assessments/history", tag = "assessments", params(HistoryQuery),
    responses((status = 200, body = Object), (status = 422, body = crate::problem::Problem)))]
pub async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let kind = parse_kind("kind", q.kind.as_deref())?;
    let economy = q.economy.map(|e| e.trim().to_ascii_uppercase());
    let items = history_of(&state, &user, kind, economy.as_deref()).await?;
    Ok(Json(serde_json::json!({"items": items})))
}

/// An assessment with its answers and evidence (and, for a draft, a preview score).
#[utoipa::path(get, path = "/api/v1/assessments/{id}", tag = "assessments", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<AssessmentBody>, ApiError> {
    let a = load(&state, &user, &id).await?;
    Ok(Json(AssessmentBody::of(&state.settings.questionnaire, a)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AnswersIn {
    /// Question id → level (0 = the scale's first level); `null` clears an answer.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Option<u32>>,
    /// Question id → a link to evidence for that answer (`""` keeps none).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub links: BTreeMap<String, String>,
}

/// The longest evidence link accepted.
const MAX_LINK: usize = 2000;

/// Checks and saves answers and evidence links into a draft.
pub async fn save(
    state: &AppState,
    user: &CurrentUser,
    a: &Assessment,
    answers: &BTreeMap<String, Option<u32>>,
    links: &BTreeMap<String, String>,
) -> Result<Assessment, ApiError> {
    let q = &state.settings.questionnaire;
    let set: BTreeMap<String, u32> = answers.iter().filter_map(|(k, v)| v.map(|v| (k.clone(), v))).collect();
    let clear: Vec<String> = answers.iter().filter(|(_, v)| v.is_none()).map(|(k, _)| k.clone()).collect();
    let mut errors = match q.check_answers(a.kind, &tradewind_domain::assessment::Answers(set.clone())) {
        Ok(()) => ValidationErrors::new(),
        Err(e) => e,
    };
    for id in clear.iter().filter(|id| q.question(a.kind, id).is_none()) {
        errors.push(
            format!("answers.{id}"),
            "unknown_question",
            format!("there is no question '{id}' in the {} questionnaire", a.kind),
        );
    }
    let mut checked_links = Vec::new();
    for (id, link) in links {
        let link = link.trim();
        let field = format!("links.{id}");
        if q.question(a.kind, id).is_none() {
            errors.push(
                field,
                "unknown_question",
                format!("there is no question '{id}' in the {} questionnaire", a.kind),
            );
        } else if link.is_empty() {
            continue;
        } else if !(link.starts_with("https://") || link.starts_with("http://"))
            || link.len() > MAX_LINK
            || link.chars().any(char::is_whitespace)
        {
            errors.push(field, "invalid_link", format!("the evidence for '{id}' must be a web address starting with https:// (at most {MAX_LINK} characters)"));
        } else {
            checked_links.push((id.clone(), link.to_string()));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    if a.status != Status::Draft {
        return Err(ApiError::Refused(
            "this assessment was submitted and can no longer change; start a new one to retake it".into(),
        ));
    }
    let actor = user.actor();
    for (id, link) in &checked_links {
        state.store.set_answer_evidence(&actor, &a.id, id, Some(link), None).await?;
    }
    Ok(state.store.save_answers(&actor, &a.id, &set, &clear).await?)
}

/// Save answers (and evidence links) into a draft; unchanged answers stay.
#[utoipa::path(patch, path = "/api/v1/assessments/{id}/answers", tag = "assessments", params(("id" = String, Path)),
    request_body = AnswersIn,
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn save_answers(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<AnswersIn>,
) -> Result<Json<AssessmentBody>, ApiError> {
    let a = load(&state, &user, &id).await?;
    let a = save(&state, &user, &a, &body.answers, &body.links).await?;
    Ok(Json(AssessmentBody::of(&state.settings.questionnaire, a)))
}

/// Stores an uploaded evidence file for one answer of a draft.
pub async fn attach_file(
    state: &AppState,
    user: &CurrentUser,
    a: &Assessment,
    question: &str,
    file: (String, String, Vec<u8>),
) -> Result<tradewind_store::AnswerEvidence, ApiError> {
    if state.settings.questionnaire.question(a.kind, question).is_none() {
        return Err(ApiError::field(
            "question",
            "unknown_question",
            format!("there is no question '{question}' in the {} questionnaire", a.kind),
        ));
    }
    let (filename, declared, bytes) = file;
    let kind = check_evidence(&declared, &bytes)?;
    let file = EvidenceFile { filename: &filename, content_type: kind.mime(), content: &bytes };
    Ok(state.store.set_answer_evidence(&user.actor(), &a.id, question, None, Some(file)).await?)
}

/// Reads the `question` and `file` parts of an evidence upload.
pub async fn read_evidence_upload(mut multipart: Multipart) -> Result<(String, (String, String, Vec<u8>)), ApiError> {
    let mut question = String::new();
    let mut file = None;
    while let Some(field) = multipart.next_field().await? {
        match field.name() {
            Some("question") => question = field.text().await?.trim().to_string(),
            Some("file") => {
                let filename = field.file_name().unwrap_or("evidence").chars().take(200).collect::<String>();
                let declared = field.content_type().unwrap_or("application/octet-stream").to_string();
                file = Some((filename, declared, field.bytes().await?.to_vec()));
            }
            _ => {}
        }
    }
    if question.is_empty() {
        return Err(ApiError::field(
            "question",
            "required",
            "name the question the evidence is for in a field 'question'",
        ));
    }
    let file = file.ok_or_else(|| {
        ApiError::field("file", "required", "attach the evidence file in a multipart field named 'file'")
    })?;
    Ok((question, file))
}

/// Upload an evidence file (PDF, PNG or JPEG) for one answer: multipart fields `question` and `file`.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/evidence", tag = "assessments", params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "fields `question` and `file`"),
    responses((status = 201, body = Object), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn upload_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let a = load(&state, &user, &id).await?;
    let (question, file) = read_evidence_upload(multipart?).await?;
    let ev = attach_file(&state, &user, &a, &question, file).await?;
    Ok((StatusCode::CREATED, Json(ev)))
}

/// Download the evidence file of one answer.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/evidence/{question_id}", tag = "assessments",
    params(("id" = String, Path), ("question_id" = String, Path)),
    responses((status = 200, description = "the file"), (status = 404, body = crate::problem::Problem)))]
pub async fn download_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, question_id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    load(&state, &user, &id).await?;
    let (ev, bytes) = state.store.get_answer_evidence_file(&id, &question_id).await?;
    let name = ev.filename.unwrap_or_else(|| "evidence".into()).replace(['"', '\\', '\r', '\n'], "_");
    Ok((
        [
            (header::CONTENT_TYPE, ev.content_type.unwrap_or_else(|| "application/octet-stream".into())),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    ))
}

/// Scores a complete draft (with the measured score for a company) and submits it.
pub async fn submit_draft(state: &AppState, user: &CurrentUser, a: &Assessment) -> Result<Assessment, ApiError> {
    let q = &state.settings.questionnaire;
    if a.status != Status::Draft {
        return Err(ApiError::Refused("this assessment is already submitted; start a new one to retake it".into()));
    }
    q.check_answers(a.kind, &a.answers)?;
    q.check_complete(a.kind, &a.answers)?;
    let mut result = q.score(a.kind, &a.answers);
    if let (Kind::Company, Some(org)) = (a.kind, &a.organization_id) {
        result.measured = Some(q.measure(&state.store.platform_activity(org).await?));
    }
    Ok(state.store.submit_assessment(&user.actor(), &a.id, &result).await?)
}

/// Submit a complete draft: scores it (score, level, stage, dimensions, action plan and,
/// for a company, the measured score) and freezes it.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/submit", tag = "assessments", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<AssessmentBody>, ApiError> {
    let a = load(&state, &user, &id).await?;
    let a = submit_draft(&state, &user, &a).await?;
    Ok(Json(AssessmentBody::of(&state.settings.questionnaire, a)))
}

/// Who an assessment is about, in words.
pub async fn subject_of(state: &AppState, a: &Assessment) -> Result<String, ApiError> {
    let economy = a.economy.as_deref().and_then(|c| c.parse::<CountryCode>().ok());
    Ok(match (a.kind, economy, &a.organization_id) {
        (Kind::Economy, Some(c), _) => format!("{} ({c})", c.name()),
        (_, _, Some(org)) => state.store.get_organization(org).await?.legal_name,
        _ => String::new(),
    })
}

/// The PDF of a submitted assessment, in `lang`.
pub async fn report_pdf(state: &AppState, user: &CurrentUser, a: &Assessment, lang: &str) -> Result<Vec<u8>, ApiError> {
    let Some(result) = &a.result else {
        return Err(ApiError::Refused("submit the assessment first; the report shows a submitted result".into()));
    };
    let q = &state.settings.questionnaire;
    let history = history_of(state, user, a.kind, a.economy.as_deref())
        .await?
        .into_iter()
        .filter(|p| p.submitted_at <= a.submitted_at.clone().unwrap_or_default())
        .map(|p| (p.submitted_at.get(..10).unwrap_or_default().to_string(), p.score))
        .collect();
    let input = ReportInput {
        lang: lang.to_string(),
        subject: subject_of(state, a).await?,
        kind_title: q.section(a.kind).title.get(lang).to_string(),
        date: a.submitted_at.as_deref().and_then(|t| t.get(..10)).unwrap_or_default().to_string(),
        result: result.clone(),
        bands: q.bands.clone(),
        history,
    };
    let pdf = tokio::task::spawn_blocking(move || {
        let fonts = Fonts::system()?;
        tradewind_report::render_pdf(&input, &fonts)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("report task: {e}")))?;
    pdf.map_err(|e| match e {
        ReportError::MissingFont { .. } => {
            tracing::error!(error = %e, "cannot draw the assessment report");
            ApiError::Unavailable(e.to_string())
        }
        other => ApiError::Internal(other.to_string()),
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LangQuery {
    /// en (default) or zh
    pub lang: Option<String>,
}

/// The report language: `zh` or English.
pub fn report_lang(lang: Option<&str>) -> &'static str {
    if lang == Some("zh") { "zh" } else { "en" }
}

/// The report of a submitted assessment as a PDF, with the pathway staircase and the
/// per-dimension chart.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/report.pdf", tag = "assessments",
    params(("id" = String, Path), LangQuery),
    responses((status = 200, description = "application/pdf"), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 503, body = crate::problem::Problem)))]
pub async fn report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let a = load(&state, &user, &id).await?;
    let pdf = report_pdf(&state, &user, &a, report_lang(q.lang.as_deref())).await?;
    let name =
        format!("tradewind-assessment-{}.pdf", a.submitted_at.as_deref().and_then(|t| t.get(..10)).unwrap_or("draft"));
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        pdf,
    ))
}
