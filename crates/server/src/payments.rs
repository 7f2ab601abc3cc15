//! The payment provider interface and the built-in simulated bank.
//!
//! # Plugging in a provider
//! A provider implements [`PaymentProvider`]:
//! - [`PaymentProvider::instruct`] tells the buyer how to pay a [`PaymentRequest`] (for a
//!   bank transfer: the account, the amount and the reference to quote; for a card or
//!   wallet provider: the checkout URL it created). It is called before the payment is
//!   recorded and must be safe to call twice with the same reference, because a retried
//!   request asks again.
//! - The provider later calls `POST /api/v1/payments/callbacks/{provider}`;
//!   [`PaymentProvider::verify_callback`] checks the signature and freshness and reads the
//!   event (reference, settled amount or failure, event id). The platform applies each event
//!   id once: settlement funds the order's escrow in the same transaction.
//! - [`PaymentProvider::statement`] lists the money the provider received, which the
//!   operator's reconciliation report compares with the ledger.
//!
//! # The simulated bank
//! [`SimulatedBank`] plays a bank that receives transfers into the platform's escrow
//! account. `POST /api/v1/sandbox/bank-transfers` stands for the buyer making the transfer
//! at its bank; the bank books it and, after a delay, calls the platform back over HTTP
//! with a signed callback (retrying if the platform does not answer), as a real bank's
//! notification service would.

use crate::problem::ApiError;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tradewind_domain::Money;
use tradewind_domain::deal::pain001::{BankAccount, Bic, Iban};
use tradewind_domain::deal::payment::{
    self, PaymentReference, ProviderEvent, ProviderOutcome, ProviderTransaction, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use tradewind_store::{PlatformAccount, Store};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the platform asks a provider to collect.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentRequest {
    pub order_id: String,
    pub reference: PaymentReference,
    pub amount: Money,
}

/// Why a provider could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("{0}")]
    Callback(#[from] payment::CallbackError),
    #[error("the callback body is not a payment event: {0}")]
    Body(String),
    #[error("the payment provider is not reachable: {0}")]
    Unavailable(String),
}

impl From<ProviderError> for ApiError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::Callback(c) => ApiError::BadSignature(c.to_string()),
            ProviderError::Body(m) => ApiError::BadRequest(m),
            ProviderError::Unavailable(m) => ApiError::Unavailable(m),
        }
    }
}

/// A payment provider as the platform uses it (see the module documentation).
pub trait PaymentProvider: Send + Sync {
    /// The name in callback URLs and stored payments.
    fn name(&self) -> &'static str;
    fn instruct<'a>(&'a self, request: &'a PaymentRequest) -> BoxFuture<'a, Result<serde_json::Value, ProviderError>>;
    fn verify_callback(&self, headers: &HeaderMap, body: &[u8], now_unix: i64) -> Result<ProviderEvent, ProviderError>;
    fn statement(&self) -> BoxFuture<'_, Result<Vec<ProviderTransaction>, ProviderError>>;
    /// The account payouts leave from.
    fn platform_account(&self) -> &PlatformAccount;
    /// The simulated bank, when this provider is one (enables the sandbox endpoint).
    fn as_simulated_bank(&self) -> Option<&SimulatedBank> {
        None
    }
}

/// How far a callback's timestamp may be from now.
pub const CALLBACK_TOLERANCE_SECS: i64 = 300;

/// Settings of the built-in simulated bank.
#[derive(Clone)]
pub struct SimulatedBankSettings {
    /// Shared with the platform for callback signatures. Never logged.
    pub secret: String,
    /// How long the bank takes to confirm a transfer.
    pub confirmation_delay: Duration,
    /// The platform's escrow account the buyers pay into (and payouts leave from).
    pub escrow_account: PlatformAccount,
}

impl std::fmt::Debug for SimulatedBankSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedBankSettings")
            .field("secret", &"<redacted>")
            .field("confirmation_delay", &self.confirmation_delay)
            .field("escrow_account", &self.escrow_account)
            .finish()
    }
}

impl Default for SimulatedBankSettings {
    fn default() -> Self {
        SimulatedBankSettings {
            secret: crate::auth::new_secret("simbank_"),
            confirmation_delay: Duration::from_millis(200),
            escrow_account: demo_escrow_account(),
        }
    }
}

/// The simulated escrow account: the published example IBAN of a German bank.
pub fn demo_escrow_account() -> PlatformAccount {
    PlatformAccount {
        name: "tradewind escrow (simulated bank)".into(),
        account: BankAccount::Iban {
            iban: "DE89370400440532013000".parse::<Iban>().expect("the example IBAN has valid check digits"),
            bic: Some("COBADEFFXXX".parse::<Bic>().expect("a well-formed BIC")),
        },
    }
}

/// The built-in provider: a bank transfer confirmed by a signed callback.
pub struct SimulatedBank {
    settings: SimulatedBankSettings,
    store: Store,
    callback_url: String,
    http: reqwest::Client,
}

#[derive(Debug, Serialize, Deserialize)]
struct BankNotification {
    event_id: String,
    reference: PaymentReference,
    #[serde(flatten)]
    outcome: ProviderOutcome,
    booked_at: String,
}

impl SimulatedBank {
    /// A bank that calls `public_url`'s callback endpoint.
    pub fn new(settings: SimulatedBankSettings, store: Store, public_url: &str) -> SimulatedBank {
        let callback_url = format!("{}/api/v1/payments/callbacks/simulated-bank", public_url.trim_end_matches('/'));
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        SimulatedBank { settings, store, callback_url, http }
    }

    /// The buyer's transfer arrives at the bank: it is booked, and the platform is told
    /// after the confirmation delay. Returns the bank's transfer id.
    pub async fn receive_transfer(
        &self,
        reference: &PaymentReference,
        amount: Money,
        payer: &str,
    ) -> Result<String, ApiError> {
        let id = self.store.simulated_bank_book(reference.as_str(), &amount, payer).await?;
        let note = BankNotification {
            event_id: format!("simbank-{id}"),
            reference: reference.clone(),
            outcome: ProviderOutcome::Settled { amount },
            booked_at: tradewind_store::now_text(),
        };
        self.notify_later(id.clone(), note);
        Ok(id)
    }

    /// The bank returns a transfer it could not credit (for tests and demonstrations of a
    /// failed payment).
    pub fn return_transfer(&self, reference: &PaymentReference, reason: &str) {
        let note = BankNotification {
            event_id: format!("simbank-return-{}", tradewind_store::new_id()),
            reference: reference.clone(),
            outcome: ProviderOutcome::Failed { reason: reason.to_string() },
            booked_at: tradewind_store::now_text(),
        };
        self.notify_later(String::new(), note);
    }

    fn notify_later(&self, transfer_id: String, note: BankNotification) {
        let delay = self.settings.confirmation_delay;
        let secret = self.settings.secret.clone();
        let url = self.callback_url.clone();
        let http = self.http.clone();
        let store = self.store.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let Ok(body) = serde_json::to_vec(&note) else { return };
            // A bank retries its notification until the platform answers.
            for attempt in 0..6u32 {
                let ts = time::OffsetDateTime::now_utc().unix_timestamp();
                let sig = payment::sign(secret.as_bytes(), ts, &body);
                let sent = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header(TIMESTAMP_HEADER, ts.to_string())
                    .header(SIGNATURE_HEADER, sig)
                    .body(body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() || r.status().is_client_error() => {
                        if !transfer_id.is_empty() {
                            let _ = store.simulated_bank_notified(&transfer_id).await;
                        }
                        return;
                    }
                    Ok(r) => tracing::warn!(status = %r.status(), attempt, "simulated bank callback not accepted"),
                    Err(e) => tracing::warn!(error = %e, attempt, "simulated bank callback failed"),
                }
                tokio::time::sleep(delay * 2u32.pow(attempt)).await;
            }
        });
    }
}

impl PaymentProvider for SimulatedBank {
    fn name(&self) -> &'static str {
        "simulated-bank"
    }

    fn instruct<'a>(&'a self, request: &'a PaymentRequest) -> BoxFuture<'a, Result<serde_json::Value, ProviderError>> {
        Box::pin(async move {
            let account = &self.settings.escrow_account;
            Ok(json!({
                "method": "bank_transfer",
                "account_name": account.name,
                "account": account.account,
                "amount": request.amount,
                "reference": request.reference,
                "note": "quote the reference exactly; the order is funded when the bank confirms the transfer",
            }))
        })
    }

    fn verify_callback(&self, headers: &HeaderMap, body: &[u8], now_unix: i64) -> Result<ProviderEvent, ProviderError> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        payment::verify(
            self.settings.secret.as_bytes(),
            header(TIMESTAMP_HEADER),
            header(SIGNATURE_HEADER),
            body,
            now_unix,
            CALLBACK_TOLERANCE_SECS,
        )?;
        let note: BankNotification = serde_json::from_slice(body).map_err(|e| ProviderError::Body(e.to_string()))?;
        Ok(ProviderEvent { event_id: note.event_id, reference: note.reference, outcome: note.outcome })
    }

    fn statement(&self) -> BoxFuture<'_, Result<Vec<ProviderTransaction>, ProviderError>> {
        Box::pin(async move {
            self.store.simulated_bank_statement().await.map_err(|e| ProviderError::Unavailable(e.to_string()))
        })
    }

    fn platform_account(&self) -> &PlatformAccount {
        &self.settings.escrow_account
    }

    fn as_simulated_bank(&self) -> Option<&SimulatedBank> {
        Some(self)
    }
}
