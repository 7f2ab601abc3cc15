//! The HTTP edge of tradewind: the JSON API under `/api/v1`, the server-rendered web UI,
//! health endpoints and the OpenAPI document, all on one axum [`Router`].
//!
//! It owns authentication ([`auth`]), the single mapping from errors to RFC 7807 problem
//! responses ([`problem`]), and start-up chores (built-in reference data, demo data in
//! [`demo`]). Business rules live in `tradewind-domain`; persistence in `tradewind-store`.

pub mod api;
pub mod auth;
pub mod customs;
pub mod demo;
pub mod payments;
pub mod problem;
pub mod search;
pub mod verification;
pub mod web;
pub mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tradewind_domain::assessment::Questionnaire;
use tradewind_store::{Actor, Store};

/// Largest request body: an evidence file plus multipart overhead.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024 + 64 * 1024;

/// Settings the server needs at run time.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Mark cookies `Secure` (set when served over HTTPS, typically behind a proxy).
    pub secure_cookies: bool,
    /// Failed logins allowed per e-mail address within 15 minutes.
    pub login_attempts_per_email: usize,
    /// Failed logins allowed per client address within 15 minutes.
    pub login_attempts_per_client: usize,
    /// The assessment questionnaire (the built-in one unless the operator gave a file).
    pub questionnaire: Arc<Questionnaire>,
    /// Inquiries one company may open per 24 hours (abuse control).
    pub inquiries_per_day: i64,
    /// The address this server is reached at, for callbacks to itself (the simulated bank).
    pub public_url: String,
    /// The built-in payment provider's settings.
    pub simulated_bank: payments::SimulatedBankSettings,
    /// Days after shipping or delivery without a dispute after which escrow releases itself.
    pub auto_release_days: u32,
    /// How often the auto-release sweep runs.
    pub auto_release_every: std::time::Duration,
    /// Outgoing webhooks: retry base delay, polling, timeout.
    pub webhooks: webhooks::WebhookSettings,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            secure_cookies: false,
            login_attempts_per_email: 5,
            login_attempts_per_client: 50,
            inquiries_per_day: 20,
            questionnaire: Arc::new(Questionnaire::builtin()),
            public_url: "http://127.0.0.1:8080".into(),
            simulated_bank: payments::SimulatedBankSettings::default(),
            auto_release_days: 14,
            auto_release_every: std::time::Duration::from_secs(3600),
            webhooks: webhooks::WebhookSettings::default(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<ServerSettings>,
    pub login_limiter: Arc<auth::LoginLimiter>,
    /// A real argon2 hash to verify against when an e-mail is unknown, so that a wrong
    /// e-mail and a wrong password take the same time.
    pub dummy_hash: Arc<String>,
    /// The search index, fed from the store's outbox.
    pub search: search::SearchService,
    /// Where buyers' payments into escrow go.
    pub payments: Arc<dyn payments::PaymentProvider>,
    /// The outgoing webhook worker, stopped when [`serve`] returns.
    pub webhooks: webhooks::WebhookWorker,
    /// Tariff schedules, rules of origin and agency requirements.
    pub customs: Arc<customs::CustomsService>,
    /// Declarations lodged over HTTP, committed in groups.
    pub lodgements: customs::LodgementQueue,
}

impl AppState {
    /// State with an in-memory search index (tests, and deployments that rebuild it at start).
    pub async fn new(store: Store, settings: ServerSettings) -> Result<AppState, problem::ApiError> {
        let index =
            tradewind_search::SearchIndex::in_memory().map_err(|e| problem::ApiError::Internal(e.to_string()))?;
        Self::with_index(store, settings, index).await
    }

    /// State with the given search index; starts its indexer and replays the outbox.
    pub async fn with_index(
        store: Store,
        settings: ServerSettings,
        index: tradewind_search::SearchIndex,
    ) -> Result<AppState, problem::ApiError> {
        let dummy_hash = auth::hash_password(auth::new_secret("")).await?;
        let search = search::SearchService::new(index);
        if search.index.doc_count() == 0 {
            // A new or lost index: fill it from the database, the source of truth.
            search.reindex(&store).await?;
        }
        search.spawn_indexer(store.clone());
        let payments: Arc<dyn payments::PaymentProvider> = Arc::new(payments::SimulatedBank::new(
            settings.simulated_bank.clone(),
            store.clone(),
            &settings.public_url,
        ));
        spawn_auto_release(store.clone(), settings.auto_release_days, settings.auto_release_every);
        let webhooks =
            webhooks::WebhookWorker::spawn(store.clone(), &settings.webhooks).map_err(problem::ApiError::Internal)?;
        let customs = Arc::new(customs::CustomsService::load(&store).await?);
        let lodgements = customs::LodgementQueue::spawn(store.clone());
        Ok(AppState {
            customs,
            lodgements,
            payments,
            store,
            settings: Arc::new(settings),
            login_limiter: Arc::new(auth::LoginLimiter::default()),
            dummy_hash: Arc::new(dummy_hash),
            search,
            webhooks,
        })
    }
}

/// Releases escrow on orders that waited the auto-release period, every `every`.
fn spawn_auto_release(store: Store, days: u32, every: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let Ok(fee) =
                tradewind_domain::deal::ledger::FeeRate::from_basis_points(api::orders::PLATFORM_FEE_BASIS_POINTS)
            else {
                return;
            };
            match store.auto_release_due(time::OffsetDateTime::now_utc(), days, fee).await {
                Ok(ids) if !ids.is_empty() => tracing::info!(count = ids.len(), "escrow auto-released"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "auto-release sweep failed"),
            }
        }
    });
}

/// Loads the built-in HS and UN/LOCODE subsets, and demonstration exchange rates, into an
/// empty database.
pub async fn ensure_reference_data(store: &Store) -> Result<(), String> {
    use tradewind_domain::reference::*;
    if store.fx_rates().await.map_err(|e| e.to_string())?.is_none() {
        let fx = tradewind_domain::marketplace::FxRates::parse_ecb_csv(
            tradewind_domain::marketplace::DEMO_FX_CSV,
            "tradewind demo rates (approximate; import ECB reference rates with `tradewind import fx`)",
        )?;
        store.import_fx(&Actor::system(), &fx).await.map_err(|e| e.to_string())?;
    }
    if store.count_hs().await.map_err(|e| e.to_string())? == 0 {
        let hs = parse_hs_csv(BUILTIN_HS_CSV.as_bytes()).map_err(|e| e.to_string())?;
        store.import_hs(&Actor::system(), &hs, "built-in subset").await.map_err(|e| e.to_string())?;
    }
    if store.count_locodes().await.map_err(|e| e.to_string())? == 0 {
        let lo = parse_unlocode_csv(BUILTIN_LOCODE_CSV.as_bytes()).map_err(|e| e.to_string())?;
        store.import_locodes(&Actor::system(), &lo, "built-in subset").await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let (api_router, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    Router::new()
        .merge(api_router)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .merge(web::router())
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(api::readyz))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            // Only the method, path and request id: never headers, cookies or queries
            // that may carry secrets.
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests and stops the
/// webhook worker.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let webhooks = state.webhooks.clone();
    let served = axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    webhooks.stop().await;
    served
}
