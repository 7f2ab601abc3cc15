//! Delivers outgoing webhooks: turns the `webhook` rows of the delivery outbox into
//! deliveries, claims the due ones, POSTs each, signed as `tradewind_domain::webhook`
//! documents, and records the outcome (delivered, retried later on the domain's
//! [`RetrySchedule`], or failed after the last attempt).
//!
//! [`WebhookWorker`] runs this in the background of the server: it wakes every
//! [`WebhookSettings::poll_every`] and when kicked, and stops on shutdown after the attempts
//! in flight have finished. [`WebhookSender::deliver_once`] is one pass, for the CLI. Several
//! server processes on one PostgreSQL database may run workers: claims are leases taken
//! under a guard, so each attempt is made by one of them. Delivery is at least once
//! (a worker that dies mid-send leaves its lease to run out and the delivery is sent again),
//! which is why the delivery id travels in a header for receivers to drop duplicates.
//! E-mail rows of the outbox are not handled here.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tradewind_domain::webhook::{DeliveryStatus, ID_HEADER, RetrySchedule, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use tradewind_store::{AttemptResult, DueDelivery, Store, StoreError};

/// How webhooks are sent.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The first retry's wait; later ones are multiples of it (see [`RetrySchedule`]).
    pub retry_base: Duration,
    /// How often the worker looks for work without being kicked.
    pub poll_every: Duration,
    /// How long one attempt may take, connection included.
    pub timeout: Duration,
    /// Run the background worker (off for a process that should not send).
    pub enabled: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            retry_base: RetrySchedule::default().base,
            poll_every: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            enabled: true,
        }
    }
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    /// Deliveries made from outbox rows.
    pub queued: usize,
    pub delivered: usize,
    /// Failed attempts that will be retried.
    pub retrying: usize,
    /// Deliveries given up after their last attempt.
    pub failed: usize,
}

/// Sends deliveries: the HTTP client and the retry rules.
#[derive(Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    schedule: RetrySchedule,
    timeout: Duration,
}

/// Deliveries claimed at once, and so sent concurrently.
const BATCH: usize = 20;

impl WebhookSender {
    pub fn new(settings: &WebhookSettings) -> Result<WebhookSender, String> {
        let client = reqwest::Client::builder()
            // A redirect would turn the POST into something else, or send it somewhere the
            // company did not subscribe: a 3xx counts as a failed attempt.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent(concat!("tradewind-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("webhook HTTP client: {e}"))?;
        Ok(WebhookSender { client, schedule: RetrySchedule::new(settings.retry_base), timeout: settings.timeout })
    }

    /// Makes deliveries from the outbox and sends everything due, batch after batch, until
    /// nothing is due or `stop` is set.
    pub async fn deliver_once(
        &self,
        store: &Store,
        stop: Option<&watch::Receiver<bool>>,
    ) -> Result<PassReport, StoreError> {
        let mut report = PassReport::default();
        let lease = self.timeout * 2 + Duration::from_secs(30);
        loop {
            if stop.is_some_and(|s| *s.borrow()) {
                return Ok(report);
            }
            report.queued += store.fan_out_webhooks(200).await?;
            let due = store.claim_due_webhook_deliveries(lease, BATCH).await?;
            if due.is_empty() {
                return Ok(report);
            }
            let mut sends = JoinSet::new();
            for d in due {
                let me = self.clone();
                sends.spawn(async move {
                    let result = me.attempt(&d).await;
                    (d, result)
                });
            }
            while let Some(done) = sends.join_next().await {
                let Ok((d, result)) = done else { continue };
                match result.status {
                    DeliveryStatus::Delivered => report.delivered += 1,
                    DeliveryStatus::Pending => report.retrying += 1,
                    DeliveryStatus::Failed => report.failed += 1,
                }
                if !store.finish_webhook_attempt(&d, &result).await? {
                    tracing::warn!(delivery = %d.id, "webhook delivery: lease lost, outcome dropped");
                }
            }
        }
    }

    /// One signed POST and what it came to. Logs ids and the status, never the secret.
    async fn attempt(&self, d: &DueDelivery) -> AttemptResult {
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let signature = sign(&d.secret, &d.id, timestamp, d.payload.as_bytes());
        let sent = self
            .client
            .post(&d.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(ID_HEADER, &d.id)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(d.payload.clone())
            .send()
            .await;
        let (ok, http_status, error) = match sent {
            Ok(res) if res.status().is_success() => (true, Some(res.status().as_u16()), None),
            Ok(res) => {
                let s = res.status();
                let why = if s.is_redirection() {
                    format!("HTTP {s}: redirects are not followed; subscribe the final URL")
                } else {
                    format!("HTTP {s}")
                };
                (false, Some(s.as_u16()), Some(why))
            }
            Err(e) => (false, None, Some(describe(&e, self.timeout))),
        };
        let (status, retry_in) = DeliveryStatus::after_attempt(d.attempt, ok, &self.schedule);
        tracing::info!(delivery = %d.id, endpoint = %d.endpoint_id, attempt = d.attempt,
            http_status = ?http_status, outcome = status.label(), "webhook attempt");
        AttemptResult { status, retry_in, http_status, error }
    }
}

/// A send error in words, without the URL (which may carry a token in its query).
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", timeout.as_secs_f32());
    }
    let mut text = if e.is_connect() { "could not connect".to_string() } else { "request failed".to_string() };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The background worker and the handle to wake or stop it.
#[derive(Clone)]
pub struct WebhookWorker {
    wake: Arc<Notify>,
    stop: Arc<watch::Sender<bool>>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl WebhookWorker {
    /// Starts the worker (unless `settings.enabled` is false).
    pub fn spawn(store: Store, settings: &WebhookSettings) -> Result<WebhookWorker, String> {
        let sender = WebhookSender::new(settings)?;
        let wake = Arc::new(Notify::new());
        let (stop, mut stopped) = watch::channel(false);
        let task = if settings.enabled {
            let wake = wake.clone();
            let poll_every = settings.poll_every;
            Some(tokio::spawn(async move {
                loop {
                    if let Err(e) = sender.deliver_once(&store, Some(&stopped)).await {
                        tracing::warn!(error = %e, "webhook worker: will retry");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(poll_every) => {}
                        _ = wake.notified() => {}
                        _ = stopped.changed() => {}
                    }
                    if *stopped.borrow() {
                        return;
                    }
                }
            }))
        } else {
            None
        };
        Ok(WebhookWorker { wake, stop: Arc::new(stop), task: Arc::new(Mutex::new(task)) })
    }

    /// Looks for work now rather than at the next tick.
    pub fn kick(&self) {
        self.wake.notify_one();
    }

    /// Stops the worker and waits for the attempts in flight (each bounded by the timeout).
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}
