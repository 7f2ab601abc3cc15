//! How `tradewind client` shows the server's answers to a person: aligned key/value lines,
//! amounts with their currency, order statuses in words. `--json` bypasses all of this.

use serde_json::Value;
use std::fmt::Write;

/// `key  value` lines with the values aligned.
pub fn fields(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    let mut s = String::new();
    for (k, v) in rows {
        let _ = writeln!(s, "{k:<width$}  {v}");
    }
    s
}

/// A JSON string, or the JSON text of anything else; empty for null.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `{"amount": "425", "currency": "USD"}` as `425.00 USD`: written to the currency's
/// minor unit, as a bank statement would.
pub fn money(v: &Value) -> String {
    match (v["amount"].as_str(), v["currency"].as_str()) {
        (Some(a), Some(c)) => format!("{} {c}", amount(a, c)),
        _ => text(v),
    }
}

/// An amount in text, padded to `currency`'s minor unit (never rounded).
pub fn amount(a: &str, currency: &str) -> String {
    let units = currency.parse::<tradewind_domain::CurrencyCode>().ok().and_then(|c| c.minor_units());
    match (a.parse::<rust_decimal::Decimal>(), units) {
        (Ok(mut d), Some(units)) if d.scale() < u32::from(units) => {
            d.rescale(u32::from(units));
            d.to_string()
        }
        _ => a.to_string(),
    }
}

/// A date the server sent as `YYYY-MM-DD` or as `[year, day of the year]`.
pub fn date(v: &Value) -> String {
    if let Some(s) = v.as_str() {
        return s.to_string();
    }
    if let Some([y, d]) = v.as_array().map(Vec::as_slice)
        && let (Some(y), Some(d)) = (y.as_i64(), d.as_u64())
        && let (Ok(y), Ok(d)) = (i32::try_from(y), u16::try_from(d))
        && let Ok(date) = time::Date::from_ordinal_date(y, d)
    {
        return date.to_string();
    }
    text(v)
}

/// An order status in words: `draft (buyer accepted, seller not yet)`.
pub fn status(s: &Value) -> String {
    let name = s["status"].as_str().unwrap_or("unknown");
    let accepted = |v: &Value| if v.as_bool() == Some(true) { "accepted" } else { "not yet" };
    match name {
        "draft" => {
            format!("draft (buyer {}, seller {})", accepted(&s["buyer_accepted"]), accepted(&s["seller_accepted"]))
        }
        "cancelled" if s["refunded"].as_bool() == Some(true) => "cancelled, buyer refunded".into(),
        "disputed" => format!("disputed (while {})", text(&s["during"]).replace('_', " ")),
        other => other.replace('_', " "),
    }
}

/// A life-cycle event as the command that sends it (`start_production` → `start-production`).
pub fn command_word(event: &str) -> String {
    event.replace('_', "-")
}

/// A ledger account: its kind, and the order or company it belongs to.
pub fn account(a: &Value) -> String {
    let kind = a["kind"].as_str().unwrap_or("account").replace('_', " ");
    let owner = a.as_object().and_then(|o| o.iter().find(|(k, _)| *k != "kind").map(|(_, v)| text(v)));
    match owner {
        Some(o) => format!("{kind} ({o})"),
        None => kind,
    }
}

/// One order in full.
pub fn order(o: &Value) -> String {
    let t = &o["terms"];
    let next: Vec<String> = o["allowed_events"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(command_word).collect())
        .unwrap_or_default();
    let mut rows = vec![
        ("Order", text(&o["id"])),
        ("Status", status(&o["status"])),
        ("Your side", text(&o["your_side"])),
        ("Buyer", text(&t["buyer"])),
        ("Seller", text(&t["seller"])),
        ("Total", money(&o["total"])),
        (
            "Terms",
            format!("{} {}, payment {}", text(&t["incoterm"]), text(&t["named_place"]), text(&t["payment_terms"])),
        ),
        ("Delivery", format!("{} to {}", date(&t["delivery"]["earliest"]), date(&t["delivery"]["latest"]))),
        ("Version", text(&o["version"])),
    ];
    if let Some(q) = o["quote_id"].as_str() {
        rows.push(("From quote", q.to_string()));
    }
    if !o["pending_amendment"].is_null() {
        let a = &o["pending_amendment"];
        rows.push((
            "Amendment",
            format!("version {} proposed by the {}", text(&a["version"]), text(&a["proposed_by"])),
        ));
    }
    rows.push(("Next", if next.is_empty() { "nothing (closed)".into() } else { next.join(", ") }));
    let mut s = fields(&rows);
    let _ = writeln!(s, "Lines:");
    for (i, l) in t["lines"].as_array().map(Vec::as_slice).unwrap_or_default().iter().enumerate() {
        let _ = writeln!(
            s,
            "  {}. {}  HS {}  {} {} × {}",
            i + 1,
            text(&l["description"]),
            text(&l["hs_code"]),
            text(&l["quantity"]),
            text(&l["unit"]),
            money(&l["unit_price"])
        );
    }
    s
}

/// Orders one a line: id, status, side, total, counterparty.
pub fn order_table(items: &[Value]) -> String {
    if items.is_empty() {
        return "no orders\n".into();
    }
    let rows: Vec<[String; 5]> = items
        .iter()
        .map(|o| {
            let other = if o["your_side"] == "buyer" { &o["terms"]["seller"] } else { &o["terms"]["buyer"] };
            [text(&o["id"]), status(&o["status"]), text(&o["your_side"]), money(&o["total"]), text(other)]
        })
        .collect();
    table(&["ORDER", "STATUS", "SIDE", "TOTAL", "COUNTERPARTY"], &rows)
}

/// Columns padded to their widest cell.
pub fn table<const N: usize>(head: &[&str; N], rows: &[[String; N]]) -> String {
    let mut width = head.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(width).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut s = line(head.to_vec());
    for r in rows {
        s.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    s
}

/// Payment instructions: what to pay, where, with which reference.
pub fn payment(p: &Value, key: Option<&str>) -> String {
    let i = &p["instruction"];
    let mut rows = vec![
        ("Payment", text(&p["id"])),
        ("Order", text(&p["order_id"])),
        ("Status", text(&p["status"])),
        ("Amount", money(&p["amount"])),
    ];
    if !i["account_name"].is_null() {
        rows.push(("Pay to", text(&i["account_name"])));
    }
    let acct = &i["account"];
    if let Some(iban) = acct["iban"].as_str() {
        rows.push(("IBAN", iban.to_string()));
    } else if let Some(n) = acct["number"].as_str() {
        rows.push(("Account", n.to_string()));
    }
    if let Some(bic) = acct["bic"].as_str() {
        rows.push(("BIC", bic.to_string()));
    }
    rows.push(("Reference", text(&p["reference"])));
    if let Some(note) = i["note"].as_str() {
        rows.push(("Note", note.to_string()));
    }
    if let Some(reason) = p["reason"].as_str() {
        rows.push(("Reason", reason.to_string()));
    }
    if let Some(k) = key {
        rows.push(("Idempotency-Key", k.to_string()));
    }
    fields(&rows)
}

/// A ledger entry's postings, one a line.
pub fn postings(entry: &Value) -> String {
    let mut s = String::new();
    for p in entry["postings"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let _ = writeln!(s, "  {:<6}  {:>14}  {}", text(&p["side"]), money(&p["amount"]), account(&p["account"]));
    }
    s
}

/// An order's ledger: balances, then every entry with its postings.
pub fn ledger(l: &Value) -> String {
    let mut s = format!("Ledger of order {}\n", text(&l["order_id"]));
    let _ = writeln!(s, "Balances:");
    for b in l["balances"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let currency = text(&b["currency"]);
        let balance = amount(&text(&b["balance"]), &currency);
        let _ = writeln!(s, "  {balance:>14} {currency}  {}", account(&b["account"]));
    }
    let balanced = l["trial_balance"].as_array().is_some_and(|t| {
        t.iter().all(|c| {
            c["sum"].as_str().and_then(|x| x.parse::<rust_decimal::Decimal>().ok()).is_some_and(|d| d.is_zero())
        })
    });
    let _ = writeln!(s, "Books balance: {}", if balanced { "yes" } else { "NO" });
    let _ = writeln!(s, "Entries:");
    for e in l["entries"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let _ = writeln!(s, "  {}  {}  {}", text(&e["created_at"]), text(&e["kind"]), text(&e["memo"]));
        s.push_str(&postings(e));
    }
    s
}

/// A company's payout account.
pub fn bank_account(a: &Value) -> String {
    let acct = &a["account"];
    let mut rows = vec![("Company", text(&a["organization_id"])), ("Holder", text(&a["holder_name"]))];
    if let Some(iban) = acct["iban"].as_str() {
        rows.push(("IBAN", iban.to_string()));
    }
    if let Some(n) = acct["number"].as_str() {
        rows.push(("Account", n.to_string()));
    }
    rows.push(("BIC", acct["bic"].as_str().unwrap_or("(none)").to_string()));
    rows.push(("Updated", text(&a["updated_at"])));
    fields(&rows)
}

/// Payout files one a line.
pub fn payout_files(files: &[Value]) -> String {
    if files.is_empty() {
        return "no payout files\n".into();
    }
    let rows: Vec<[String; 5]> = files
        .iter()
        .map(|f| {
            [text(&f["id"]), text(&f["message_id"]), money(&f["total"]), text(&f["item_count"]), text(&f["created_at"])]
        })
        .collect();
    table(&["FILE", "MESSAGE ID", "TOTAL", "PAYMENTS", "CREATED"], &rows)
}

/// Any other answer: its plain fields as key/value lines (amounts and statuses in words).
pub fn object(v: &Value) -> String {
    let Some(o) = v.as_object() else { return format!("{}\n", text(v)) };
    let mut rows = Vec::new();
    for (k, val) in o {
        let shown = match val {
            Value::Object(m) if m.contains_key("amount") && m.contains_key("currency") => money(val),
            Value::Object(m) if m.contains_key("status") => status(val),
            Value::Object(_) | Value::Array(_) | Value::Null => continue,
            other => text(other),
        };
        rows.push((k.as_str(), shown));
    }
    fields(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_dates_and_statuses_read_as_words() {
        assert_eq!(money(&json!({"amount": "425.00", "currency": "USD"})), "425.00 USD");
        assert_eq!(money(&json!({"amount": "6.1", "currency": "USD"})), "6.10 USD");
        assert_eq!(money(&json!({"amount": "1500", "currency": "JPY"})), "1500 JPY");
        assert_eq!(money(&json!({"amount": "2.125", "currency": "USD"})), "2.125 USD", "never rounded");
        assert_eq!(date(&json!([2026, 335])), "2026-12-01");
        assert_eq!(date(&json!("2026-12-01")), "2026-12-01");
        assert_eq!(
            status(&json!({"status": "draft", "buyer_accepted": true, "seller_accepted": false})),
            "draft (buyer accepted, seller not yet)"
        );
        assert_eq!(status(&json!({"status": "in_production"})), "in production");
        assert_eq!(account(&json!({"kind": "seller_payable", "seller": "org-1"})), "seller payable (org-1)");
    }

    #[test]
    fn key_value_lines_and_tables_are_aligned() {
        assert_eq!(fields(&[("Id", "1".into()), ("Status", "funded".into())]), "Id      1\nStatus  funded\n");
        let t = table(&["A", "BB"], &[["long".into(), "x".into()]]);
        assert_eq!(t, "A     BB\nlong  x\n");
    }
}
