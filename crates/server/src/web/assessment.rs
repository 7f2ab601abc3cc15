//! The paperless-trade assessment in the browser: start one, answer the questionnaire
//! (saving drafts, adding evidence), submit, and read the report with its charts, the
//! measured score beside the self-assessed one, the action plan and the history.

use super::forms::{FormData, SummaryItem};
use super::i18n::Tr;
use super::page::{CSRF_FIELD, Chrome, Ctx, PageError, render, see_other};
use crate::AppState;
use crate::api::assessments::{self as api, HistoryPoint};
use crate::auth::CurrentUser;
use crate::problem::ApiError;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::BTreeMap;
use tradewind_domain::assessment::{AssessmentResult, Coverage, FeatureStatus, Status};
use tradewind_domain::organization::TradeRole;
use tradewind_report::ReportInput;
use tradewind_store::Assessment;

/// One line of the assessments list.
pub struct Row {
    pub href: String,
    pub kind: String,
    pub subject: String,
    pub status: String,
    pub is_draft: bool,
    pub score: String,
    pub level: String,
    pub date: String,
}

#[derive(Template)]
#[template(path = "assessments.html")]
struct ListPage {
    page: Chrome,
    rows: Vec<Row>,
    /// Which kinds the user may start.
    can_company: bool,
    can_economy: bool,
    /// The operator names the economy; a government organisation assesses its own.
    choose_economy: bool,
    countries: Vec<(String, String)>,
    own_economy: String,
    summary: Vec<SummaryItem>,
}

fn may_assess_economy(user: &CurrentUser, roles: &[TradeRole]) -> bool {
    user.user.is_operator
        || roles.iter().any(|r| matches!(r, TradeRole::CustomsAuthority | TradeRole::OtherGovernmentAgency))
}

impl ListPage {
    async fn load(
        state: &AppState,
        page: Chrome,
        user: &CurrentUser,
        errors: Vec<SummaryItem>,
    ) -> Result<ListPage, PageError> {
        let tr = page.tr;
        let org = match &user.user.organization_id {
            Some(id) => Some(state.store.get_organization(id).await?),
            None => None,
        };
        let roles = org.as_ref().map(|o| o.roles.clone()).unwrap_or_default();
        let owner = api::owner(user)?;
        let items = state.store.list_assessments(owner, None, "", 100).await?.items;
        let mut rows = Vec::new();
        for a in &items {
            rows.push(Row {
                href: format!("/assessments/{}", a.id),
                kind: tr.t(&format!("assessment.kind.{}", a.kind)).to_string(),
                subject: api::subject_of(state, a).await?,
                status: tr.t(&format!("assessment.status.{}", a.status.as_str())).to_string(),
                is_draft: a.status == Status::Draft,
                score: a.result.as_ref().map(|r| r.score.to_string()).unwrap_or_default(),
                level: a.result.as_ref().map(|r| r.band.level.get(lang(tr)).to_string()).unwrap_or_default(),
                date: super::company::day(a.submitted_at.as_deref().unwrap_or(&a.updated_at)),
            });
        }
        Ok(ListPage {
            rows,
            can_company: org.is_some(),
            can_economy: may_assess_economy(user, &roles),
            choose_economy: user.user.is_operator,
            countries: super::account::countries(tr),
            own_economy: org.map(|o| format!("{} ({})", o.country.name(), o.country)).unwrap_or_default(),
            summary: errors,
            page,
        })
    }
}

fn lang(tr: Tr) -> &'static str {
    tr.lang.code()
}

/// `GET /assessments`: the user's assessments and the form to start one.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let page = ListPage::load(&state, ctx.chrome("title.assessments", "assessments"), user, Vec::new()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// Turns API validation errors into summary lines in the page's language.
fn summary_of(tr: Tr, e: &ApiError, anchor: impl Fn(&str) -> String) -> Option<Vec<SummaryItem>> {
    match e {
        ApiError::Invalid(_) | ApiError::Conflict { .. } => {}
        _ => return None,
    }
    Some(
        e.problem()
            .errors
            .into_iter()
            .map(|fe| SummaryItem {
                href: Some(format!("#{}", anchor(&fe.field))),
                text: tr.error(&fe.field, fe.code, &fe.message),
            })
            .collect(),
    )
}

/// `POST /assessments`: starts a draft and opens it.
pub async fn start(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let economy = Some(form.get("economy")).filter(|e| !e.is_empty());
    match api::start(&state, user, form.get("kind"), economy).await {
        Ok(a) => Ok(see_other(&format!("/assessments/{}", a.id))),
        Err(e) => {
            let summary = summary_of(ctx.tr(), &e, |f| f.to_string()).ok_or(PageError(e))?;
            let page = ListPage::load(
                &state,
                ctx.chrome_at("title.assessments", "assessments", "/assessments"),
                user,
                summary,
            )
            .await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// One answer level as a radio button.
pub struct LevelView {
    pub value: u32,
    pub label: String,
    pub checked: bool,
}

pub struct QuestionView {
    /// Safe for HTML ids: the question id with dots as dashes.
    pub anchor: String,
    pub id: String,
    pub text: String,
    pub help: String,
    pub levels: Vec<LevelView>,
    pub link: String,
    pub file: Option<(String, String)>,
    pub error: Option<String>,
}

pub struct DimensionView {
    pub name: String,
    pub weight: u32,
    pub questions: Vec<QuestionView>,
}

#[derive(Template)]
#[template(path = "assessment_form.html")]
struct FormPage {
    page: Chrome,
    id: String,
    title: String,
    subject: String,
    intro: String,
    dimensions: Vec<DimensionView>,
    answered: usize,
    questions: usize,
    preview_score: u32,
    preview_level: String,
    summary: Vec<SummaryItem>,
}

fn anchor(question: &str) -> String {
    format!("q-{}", question.replace('.', "-"))
}

/// The anchor of a field error (`answers.<id>` or `links.<id>`).
fn field_anchor(field: &str) -> String {
    let question = field.split_once('.').map(|(_, q)| q).unwrap_or(field);
    anchor(question)
}

impl FormPage {
    /// The questionnaire filled with the stored answers, or with what the form sent when
    /// it is redrawn with errors.
    async fn load(
        state: &AppState,
        page: Chrome,
        a: &Assessment,
        sent: Option<&FormData>,
        errors: Option<&ApiError>,
    ) -> Result<FormPage, PageError> {
        let tr = page.tr;
        let l = lang(tr);
        let q = &state.settings.questionnaire;
        let section = q.section(a.kind);
        let field_errors: BTreeMap<String, String> = errors
            .map(|e| {
                e.problem()
                    .errors
                    .into_iter()
                    .map(|fe| (field_anchor(&fe.field), tr.error(&fe.field, fe.code, &fe.message)))
                    .collect()
            })
            .unwrap_or_default();
        let dimensions = section
            .dimensions
            .iter()
            .map(|d| DimensionView {
                name: d.name.get(l).to_string(),
                weight: d.weight,
                questions: d
                    .questions
                    .iter()
                    .map(|question| {
                        let chosen = match sent {
                            Some(f) => f.get(&format!("q.{}", question.id)).parse().ok(),
                            None => a.answers.get(&question.id),
                        };
                        let evidence = a.evidence.iter().find(|e| e.question_id == question.id);
                        let link = match sent {
                            Some(f) => f.get(&format!("link.{}", question.id)).to_string(),
                            None => evidence.and_then(|e| e.link.clone()).unwrap_or_default(),
                        };
                        QuestionView {
                            anchor: anchor(&question.id),
                            id: question.id.clone(),
                            text: question.text.get(l).to_string(),
                            help: question.help.as_ref().map(|h| h.get(l).to_string()).unwrap_or_default(),
                            levels: question
                                .levels
                                .iter()
                                .enumerate()
                                .map(|(i, label)| LevelView {
                                    value: i as u32,
                                    label: label.get(l).to_string(),
                                    checked: chosen == Some(i as u32),
                                })
                                .collect(),
                            link,
                            file: evidence.and_then(|e| {
                                e.filename
                                    .clone()
                                    .map(|f| (format!("/api/v1/assessments/{}/evidence/{}", a.id, question.id), f))
                            }),
                            error: field_errors.get(&anchor(&question.id)).cloned(),
                        }
                    })
                    .collect(),
            })
            .collect();
        let preview = q.score(a.kind, &a.answers);
        // Each error names its question, and links to it.
        let summary = errors
            .map(|e| {
                e.problem()
                    .errors
                    .into_iter()
                    .map(|fe| {
                        let question = fe.field.split_once('.').map(|(_, id)| id).unwrap_or(&fe.field);
                        let message = tr.error(&fe.field, fe.code, &fe.message);
                        let text = match q.question(a.kind, question) {
                            Some((_, qq)) => {
                                tr.fill("form.summary_item", &[("label", qq.text.get(l)), ("message", &message)])
                            }
                            None => message,
                        };
                        SummaryItem { href: Some(format!("#{}", field_anchor(&fe.field))), text }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(FormPage {
            id: a.id.clone(),
            title: section.title.get(l).to_string(),
            subject: api::subject_of(state, a).await?,
            intro: section.intro.get(l).to_string(),
            dimensions,
            answered: preview.answered,
            questions: preview.questions,
            preview_score: preview.score,
            preview_level: preview.band.level.get(l).to_string(),
            summary,
            page,
        })
    }
}

/// A gap in the action plan as the report page shows it.
pub struct ActionView {
    pub step: String,
    pub dimension: String,
    pub current: String,
    pub next: String,
    pub gain: String,
    pub feature: Option<String>,
    pub feature_href: Option<String>,
    pub planned: bool,
}

pub struct IndicatorView {
    pub name: String,
    pub weight: u32,
    pub value: Option<u32>,
}

pub struct MeasuredView {
    pub score: u32,
    pub level: String,
    pub stage: String,
    pub registration_only: bool,
    pub trades: u64,
    pub indicators: Vec<IndicatorView>,
}

pub struct AnswerView {
    pub dimension: String,
    pub question: String,
    pub answer: String,
    pub link: Option<String>,
    pub file: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "assessment_report.html")]
struct ReportPage {
    page: Chrome,
    title: String,
    subject: String,
    date: String,
    version: String,
    score: u32,
    level: String,
    stage: String,
    summary_text: String,
    staircase_svg: String,
    bars_svg: String,
    history_svg: Option<String>,
    history: Vec<HistoryPoint>,
    measured: Option<MeasuredView>,
    actions: Vec<ActionView>,
    answers: Vec<AnswerView>,
    pdf_href: String,
}

impl ReportPage {
    async fn load(
        state: &AppState,
        page: Chrome,
        user: &CurrentUser,
        a: &Assessment,
        r: &AssessmentResult,
    ) -> Result<ReportPage, PageError> {
        let tr = page.tr;
        let l = lang(tr);
        let q = &state.settings.questionnaire;
        let history = api::history_of(state, user, a.kind, a.economy.as_deref()).await?;
        let input = ReportInput {
            lang: l.to_string(),
            subject: api::subject_of(state, a).await?,
            kind_title: q.section(a.kind).title.get(l).to_string(),
            date: super::company::day(a.submitted_at.as_deref().unwrap_or_default()),
            result: r.clone(),
            bands: q.bands.clone(),
            history: history.iter().map(|p| (super::company::day(&p.submitted_at), p.score)).collect(),
        };
        let measured = r.measured.as_ref().map(|m| MeasuredView {
            score: m.score,
            level: m.band.level.get(l).to_string(),
            stage: m.band.stage.get(l).to_string(),
            registration_only: m.coverage == Coverage::RegistrationOnly,
            trades: m.trades,
            indicators: m
                .indicators
                .iter()
                .map(|i| IndicatorView { name: i.name.get(l).to_string(), weight: i.weight, value: i.percent })
                .collect(),
        });
        let actions = r
            .action_plan
            .iter()
            .map(|item| ActionView {
                step: item.step.get(l).to_string(),
                dimension: item.dimension.get(l).to_string(),
                current: item.current.get(l).to_string(),
                next: item.next.get(l).to_string(),
                gain: format!("{:.1}", item.gain),
                feature: item.feature.as_ref().map(|f| f.name.get(l).to_string()),
                feature_href: item
                    .feature
                    .as_ref()
                    .and_then(|f| f.path.clone())
                    .filter(|_| item.feature.as_ref().is_some_and(|f| f.status == FeatureStatus::Available)),
                planned: item.feature.as_ref().is_some_and(|f| f.status == FeatureStatus::Planned),
            })
            .collect();
        let answers = q
            .questions(a.kind)
            .map(|(d, question)| {
                let level = a.answers.get(&question.id).and_then(|v| question.levels.get(v as usize));
                let evidence = a.evidence.iter().find(|e| e.question_id == question.id);
                AnswerView {
                    dimension: d.name.get(l).to_string(),
                    question: question.text.get(l).to_string(),
                    answer: level.map(|t| t.get(l).to_string()).unwrap_or_default(),
                    link: evidence.and_then(|e| e.link.clone()),
                    file: evidence.and_then(|e| {
                        e.filename
                            .clone()
                            .map(|f| (format!("/api/v1/assessments/{}/evidence/{}", a.id, question.id), f))
                    }),
                }
            })
            .collect();
        Ok(ReportPage {
            title: input.kind_title.clone(),
            subject: input.subject.clone(),
            date: input.date.clone(),
            version: r.questionnaire_version.clone(),
            score: r.score,
            level: r.band.level.get(l).to_string(),
            stage: r.band.stage.get(l).to_string(),
            summary_text: r.band.summary.get(l).to_string(),
            staircase_svg: input.staircase().to_svg(),
            bars_svg: input.dimension_bars().to_svg(),
            history_svg: input.history_chart().map(|d| d.to_svg()),
            history,
            measured,
            actions,
            answers,
            pdf_href: format!("/api/v1/assessments/{}/report.pdf?lang={l}", a.id),
            page,
        })
    }
}

/// `GET /assessments/{id}`: the questionnaire while it is a draft, the report once submitted.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, PageError> {
    let user = ctx.signed_in()?;
    let a = api::load(&state, user, &id).await?;
    match &a.result {
        Some(r) => {
            let page =
                ReportPage::load(&state, ctx.chrome("title.assessment_report", "assessments"), user, &a, r).await?;
            Ok(render(StatusCode::OK, &page))
        }
        None => {
            let page =
                FormPage::load(&state, ctx.chrome("title.assessment_form", "assessments"), &a, None, None).await?;
            Ok(render(StatusCode::OK, &page))
        }
    }
}

/// `POST /assessments/{id}`: saves the answers and links; with `action=submit` also submits.
pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user = ctx.signed_in_with(form.csrf_token())?;
    let a = api::load(&state, user, &id).await?;
    let q = &state.settings.questionnaire;
    let here = format!("/assessments/{id}");
    let mut answers = BTreeMap::new();
    let mut links = BTreeMap::new();
    for (_, question) in q.questions(a.kind) {
        let value = form.get(&format!("q.{}", question.id));
        if !value.is_empty() {
            // A value that is not a number is out of range for every scale.
            answers.insert(question.id.clone(), Some(value.parse::<u32>().unwrap_or(u32::MAX)));
        }
        let link = form.get(&format!("link.{}", question.id)).trim();
        let stored =
            a.evidence.iter().find(|e| e.question_id == question.id).and_then(|e| e.link.as_deref()).unwrap_or("");
        if !link.is_empty() && link != stored {
            links.insert(question.id.clone(), link.to_string());
        }
    }
    let saved = api::save(&state, user, &a, &answers, &links).await;
    let outcome = match saved {
        Ok(saved) if form.get("action") == "submit" => api::submit_draft(&state, user, &saved).await.map(|_| true),
        Ok(_) => Ok(false),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(true) => Ok(see_other(&format!("{here}?notice=assessment_submitted"))),
        Ok(false) => Ok(see_other(&format!("{here}?notice=assessment_saved"))),
        Err(e) => {
            if !matches!(e, ApiError::Invalid(_)) {
                return Err(PageError(e));
            }
            let a = state.store.get_assessment(&id).await?;
            let page = FormPage::load(
                &state,
                ctx.chrome_at("title.assessment_form", "assessments", &here),
                &a,
                Some(&form),
                Some(&e),
            )
            .await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// `POST /assessments/{id}/evidence`: an evidence file for one answer (multipart).
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<String>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    // The form puts the token first; read it before the file.
    let mut csrf = String::new();
    let mut question = String::new();
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(ApiError::from)? {
        match field.name() {
            Some(CSRF_FIELD) => csrf = field.text().await.unwrap_or_default(),
            Some("question") => question = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("evidence").chars().take(200).collect::<String>();
                let declared = field.content_type().unwrap_or("application/octet-stream").to_string();
                let bytes = field.bytes().await.map_err(ApiError::from)?;
                if !bytes.is_empty() {
                    file = Some((name, declared, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    let user = ctx.signed_in_with(&csrf)?;
    let a = api::load(&state, user, &id).await?;
    let here = format!("/assessments/{id}");
    let result = match file {
        Some(file) => api::attach_file(&state, user, &a, question.trim(), file).await.map(|_| ()),
        None => Err(ApiError::field("file", "required", "choose a file to upload")),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("{here}?notice=assessment_evidence"))),
        Err(e @ ApiError::Invalid(_)) => {
            let page = FormPage::load(
                &state,
                ctx.chrome_at("title.assessment_form", "assessments", &here),
                &a,
                None,
                Some(&e),
            )
            .await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(PageError(e)),
    }
}
