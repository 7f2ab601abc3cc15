//! Paying sellers: the bank account a company is paid to, and payout runs. A run collects
//! what every order owes its seller after release or a dispute decision, writes one
//! ISO 20022 `pain.001.001.03` file per currency for the platform's bank, and posts a
//! payout entry per order in the same transaction, so an order's payable is paid out once.

use super::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use tradewind_domain::codes::CurrencyCode;
use tradewind_domain::deal::pain001::{self, BankAccount, ChargeBearer, Payout, PayoutBatch};

/// Where a company is paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccountRecord {
    pub organization_id: String,
    pub holder_name: String,
    pub account: BankAccount,
    pub updated_at: String,
}

/// The platform's own account, which payouts leave from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformAccount {
    pub name: String,
    pub account: BankAccount,
}

/// One payout file as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutFile {
    pub id: String,
    pub message_id: String,
    pub currency: CurrencyCode,
    pub total: Money,
    pub item_count: i64,
    pub created_at: String,
}

/// A seller owed money that cannot be paid until it gives a bank account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingPayout {
    pub seller: String,
    pub order_id: String,
    pub amount: Money,
}

/// What a payout run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutRun {
    pub files: Vec<PayoutFile>,
    pub waiting_for_bank_account: Vec<WaitingPayout>,
    #[serde(default)]
    pub replayed: bool,
}

const PAYOUT_COLUMNS: &str = "id, message_id, currency, total, item_count, created_at";

fn payout_from_row(r: &AnyRow) -> Result<PayoutFile> {
    let currency: String = r.try_get("currency")?;
    let total: String = r.try_get("total")?;
    Ok(PayoutFile {
        id: r.try_get("id")?,
        message_id: r.try_get("message_id")?,
        currency: currency.parse().map_err(|e| corrupt("payout currency", e))?,
        total: from_json("payout total", &total)?,
        item_count: r.try_get("item_count")?,
        created_at: r.try_get("created_at")?,
    })
}

fn bank_from_row(organization_id: &str, r: &AnyRow) -> Result<BankAccountRecord> {
    let account: String = r.try_get("account")?;
    Ok(BankAccountRecord {
        organization_id: organization_id.to_string(),
        holder_name: r.try_get("holder_name")?,
        account: from_json("bank account", &account)?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// What one order owes its seller.
struct Owed {
    order: OrderRecord,
    amount: Money,
}

impl Store {
    /// Sets the account a company is paid to (one per company; a new one replaces it).
    pub async fn set_bank_account(
        &self,
        actor: &Actor,
        organization_id: &str,
        holder_name: &str,
        account: &BankAccount,
    ) -> Result<BankAccountRecord> {
        let mut tx = self.begin_audited().await?;
        let now = now_text();
        let account_json = json_text(account)?;
        let updated = sqlx::query(
            "UPDATE bank_accounts SET holder_name = $1, account = $2, updated_at = $3 WHERE organization_id = $4",
        )
        .bind(holder_name)
        .bind(&account_json)
        .bind(&now)
        .bind(organization_id)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        if updated == 0 {
            sqlx::query(
                "INSERT INTO bank_accounts (organization_id, holder_name, account, updated_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(organization_id)
            .bind(holder_name)
            .bind(&account_json)
            .bind(&now)
            .execute(&mut *tx.tx)
            .await?;
        }
        // The audit trail names the change, not the full account number.
        tx.commit(
            actor,
            Some(organization_id),
            "bank_account.set",
            &format!("organization:{organization_id}"),
            json!({"holder_name": holder_name}),
        )
        .await?;
        Ok(BankAccountRecord {
            organization_id: organization_id.to_string(),
            holder_name: holder_name.to_string(),
            account: account.clone(),
            updated_at: now,
        })
    }

    /// The account a company is paid to, if it gave one.
    pub async fn bank_account(&self, organization_id: &str) -> Result<Option<BankAccountRecord>> {
        let row = sqlx::query("SELECT holder_name, account, updated_at FROM bank_accounts WHERE organization_id = $1")
            .bind(organization_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| bank_from_row(organization_id, &r)).transpose()
    }

    /// Pays out everything owed to sellers with a bank account: one pain.001 file per
    /// currency from `platform`, a payout entry per order. A retry with the same key gets
    /// the first answer; a run with nothing owed makes no file.
    pub async fn run_payouts(
        &self,
        actor: &Actor,
        key: &str,
        platform: &PlatformAccount,
        now: time::OffsetDateTime,
    ) -> Result<PayoutRun> {
        let mut tx = self.begin_audited().await?;
        let request = "run payouts".to_string();
        if let Some(mut answer) = earlier_answer::<PayoutRun>(&mut tx, Caller::Operator, key, &request).await? {
            answer.replayed = true;
            return Ok(answer);
        }
        let ids = sqlx::query(
            "SELECT DISTINCT order_id FROM ledger_entries WHERE kind IN ('release', 'dispute_decision')
             AND order_id NOT IN (SELECT order_id FROM ledger_entries WHERE kind = 'payout') ORDER BY order_id",
        )
        .fetch_all(&mut *tx.tx)
        .await?;
        // Keyed by currency code text: sellers grouped per currency, in a stable order.
        let mut owed: BTreeMap<(String, String), Vec<Owed>> = BTreeMap::new();
        let mut waiting = Vec::new();
        for r in ids {
            let id: String = r.try_get("order_id")?;
            let order = Self::any_order_in(&mut tx, &id).await?;
            let ledger = replay(&Self::entries_in(&mut tx, &id).await?)?;
            let currency = order.order.terms.currency;
            let seller = order.order.terms.seller.clone();
            let balance = ledger.balance(&Account::SellerPayable { seller: seller.clone() }, currency);
            if balance <= Decimal::ZERO {
                continue;
            }
            let amount = Money::new(balance, currency).map_err(|e| corrupt("seller payable", e))?;
            if Self::bank_account_in(&mut tx, seller.as_str()).await?.is_none() {
                waiting.push(WaitingPayout { seller: seller.to_string(), order_id: id, amount });
                continue;
            }
            owed.entry((currency.to_string(), seller.to_string())).or_default().push(Owed { order, amount });
        }
        let mut by_currency: BTreeMap<String, Vec<(String, Vec<Owed>)>> = BTreeMap::new();
        for ((currency, seller), items) in owed {
            by_currency.entry(currency).or_default().push((seller, items));
        }
        let mut files = Vec::new();
        for (currency, sellers) in by_currency {
            let currency: CurrencyCode = currency.parse().map_err(|e| corrupt("currency", e))?;
            let file_id = new_id();
            let message_id = format!("TW-PAYOUT-{}", &file_id.replace('-', "")[..20].to_ascii_uppercase());
            let mut payouts = Vec::new();
            let mut entries = 0i64;
            for (seller, items) in sellers {
                let bank = Self::bank_account_in(&mut tx, &seller).await?.ok_or(StoreError::NotFound)?;
                let country: Option<String> = sqlx::query("SELECT country FROM organizations WHERE id = $1")
                    .bind(&seller)
                    .fetch_optional(&mut *tx.tx)
                    .await?
                    .map(|r| r.try_get("country"))
                    .transpose()?;
                let mut sum = Money::from_minor_units(0, currency);
                let mut orders = Vec::new();
                for item in items {
                    let seller_id = item.order.order.terms.seller.clone();
                    let journal =
                        ledger::pay_out(&seller_id, item.amount).map_err(|e| StoreError::Refused(e.to_string()))?;
                    insert_entry(&mut tx, &item.order.id, "payout", &journal).await?;
                    sum = sum.checked_add(&item.amount).map_err(|e| corrupt("payout sum", e))?;
                    orders.push(item.order.id.clone());
                    entries += 1;
                }
                let remittance: String = format!("tradewind orders {}", orders.join(" ")).chars().take(140).collect();
                payouts.push(Payout {
                    end_to_end_id: format!("TW-{}", &new_id().replace('-', "")[..24].to_ascii_uppercase()),
                    creditor_name: bank.holder_name.clone(),
                    creditor_country: country.and_then(|c| c.parse().ok()),
                    account: bank.account.clone(),
                    amount: sum,
                    remittance: Some(remittance),
                });
                notify_in_tx(
                    &mut tx,
                    &seller,
                    "payout_sent",
                    &format!("A payout of {sum} is on its way to your bank account"),
                    json!({"orders": orders, "amount": sum, "message_id": message_id}),
                )
                .await?;
            }
            let batch = PayoutBatch {
                message_id: message_id.clone(),
                created_at: now,
                requested_execution_date: now.date(),
                debtor_name: platform.name.clone(),
                debtor_account: platform.account.clone(),
                charge_bearer: ChargeBearer::Shared,
                payouts,
            };
            let total = batch.control_sum().ok_or_else(|| corrupt("payout", "mixed currencies"))?;
            let document =
                pain001::credit_transfer_initiation(&batch).map_err(|e| StoreError::Refused(e.to_string()))?;
            let file = PayoutFile {
                id: file_id,
                message_id,
                currency,
                total,
                item_count: i64::try_from(batch.payouts.len()).unwrap_or(i64::MAX),
                created_at: now_text(),
            };
            sqlx::query(&format!(
                "INSERT INTO payouts ({PAYOUT_COLUMNS}, document) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            ))
            .bind(&file.id)
            .bind(&file.message_id)
            .bind(file.currency.to_string())
            .bind(json_text(&file.total)?)
            .bind(file.item_count)
            .bind(&file.created_at)
            .bind(&document)
            .execute(&mut *tx.tx)
            .await?;
            tracing::info!(file = %file.id, entries, "payout file written");
            files.push(file);
        }
        let run = PayoutRun { files, waiting_for_bank_account: waiting, replayed: false };
        keep_answer(&mut tx, Caller::Operator, key, &request, &run).await?;
        tx.commit(
            actor,
            None,
            "payouts.run",
            "payouts",
            json!({"files": run.files.iter().map(|f| json!({"id": f.id, "total": f.total, "items": f.item_count})).collect::<Vec<_>>(),
                   "waiting": run.waiting_for_bank_account.len()}),
        )
        .await?;
        Ok(run)
    }

    async fn bank_account_in(
        tx: &mut crate::audit::AuditedTx,
        organization_id: &str,
    ) -> Result<Option<BankAccountRecord>> {
        let row = sqlx::query("SELECT holder_name, account, updated_at FROM bank_accounts WHERE organization_id = $1")
            .bind(organization_id)
            .fetch_optional(&mut *tx.tx)
            .await?;
        row.map(|r| bank_from_row(organization_id, &r)).transpose()
    }

    /// Payout files, newest first.
    pub async fn payout_files(&self) -> Result<Vec<PayoutFile>> {
        let rows = sqlx::query(&format!("SELECT {PAYOUT_COLUMNS} FROM payouts ORDER BY created_at DESC, id DESC"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(payout_from_row).collect()
    }

    /// A payout file's pain.001 document.
    pub async fn payout_document(&self, id: &str) -> Result<(PayoutFile, String)> {
        let row = sqlx::query(&format!("SELECT {PAYOUT_COLUMNS}, document FROM payouts WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((payout_from_row(&row)?, row.try_get("document")?))
    }
}
