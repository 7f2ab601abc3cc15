//! `tradewind customs`: customs arithmetic from a terminal, without a server or a database.
//! A tariff line or schedule from the built-in tariff files (or a file given), the landed
//! cost of a shipment with every step explained, and preferential origin decisions for a
//! bill of materials with their reasoning. `tradewind import tariff` also reads tariff files
//! through [`read_tariff_file`], so a broken file is refused the same way everywhere.

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use tradewind_domain::customs::landed_cost::{LandedCost, Shipment, dotted, grouped, landed_cost, measure_text};
use tradewind_domain::customs::origin::{BillOfMaterials, OriginDecision, OriginRulebook, decide};
use tradewind_domain::customs::tariff::{TariffFileError, TariffLine, TariffSchedule, builtin_schedules};
use tradewind_domain::marketplace::{DEMO_FX_CSV, FxRates};
use tradewind_domain::{CountryCode, HsCode, Money};

#[derive(Args)]
pub struct CustomsArgs {
    #[command(subcommand)]
    command: CustomsCommand,
}

#[derive(Subcommand)]
enum CustomsCommand {
    /// An economy's tariff: one line with its MFN and preferential rates and their sources
    /// (`--hs`), or the schedule's summary and lines.
    Tariff {
        /// The importing economy, ISO 3166-1 alpha-2 (AU, DE, GB, JP, SG, US are built in)
        economy: String,
        /// A 6-digit HS subheading to look up
        #[arg(long)]
        hs: Option<String>,
        /// The date the line must be in force on, YYYY-MM-DD [default: today]
        #[arg(long)]
        date: Option<String>,
        /// A tradewind-tariff/1 TOML file instead of the built-in schedule
        #[arg(long)]
        file: Option<PathBuf>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Duty, excise, import tax and fees on a shipment (JSON of the domain's `Shipment`, see
    /// docs/examples/customs/shipment.json), each step explained; exits non-zero on a refusal.
    LandedCost {
        file: PathBuf,
        /// Exchange rates, the European Central Bank's CSV (a Date header) or XML
        /// [default: the built-in demonstration rates]
        #[arg(long)]
        fx: Option<PathBuf>,
        /// A tradewind-tariff/1 TOML file instead of the built-in schedule of the importing economy
        #[arg(long)]
        tariff: Option<PathBuf>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Preferential origin of a product (JSON bill of materials, see
    /// docs/examples/customs/bom.json) under each agreement, with the reasoning.
    Origin {
        bom: PathBuf,
        /// An agreement code, e.g. EUSFTA (repeat for more) [default: every agreement the
        /// producing country is a member of]
        #[arg(long = "agreement")]
        agreements: Vec<String>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `tradewind customs` command.
pub fn run(args: CustomsArgs) -> Result<()> {
    match args.command {
        CustomsCommand::Tariff { economy, hs, date, file, json } => {
            tariff(&economy, hs.as_deref(), date.as_deref(), file.as_deref(), json)
        }
        CustomsCommand::LandedCost { file, fx, tariff, json } => {
            print!("{}", landed_cost_of(&file, fx.as_deref(), tariff.as_deref(), json)?);
            Ok(())
        }
        CustomsCommand::Origin { bom, agreements, json } => {
            print!("{}", origin(&bom, &agreements, json)?);
            Ok(())
        }
    }
}

/// Reads and validates a tariff file; a refusal lists every problem, one field a line.
pub fn read_tariff_file(path: &Path) -> Result<(TariffSchedule, String)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    match TariffSchedule::parse_toml(&text) {
        Ok(s) => Ok((s, text)),
        Err(TariffFileError::Invalid(errors)) => {
            let lines: Vec<String> = errors.0.iter().map(|e| format!("  {}: {}", e.field, e.message)).collect();
            bail!(
                "{}: the tariff file has {} problem(s); fix them and try again:\n{}",
                path.display(),
                lines.len(),
                lines.join("\n")
            )
        }
        Err(e @ TariffFileError::Syntax(_)) => bail!("{}: {e}", path.display()),
    }
}

fn economy_code(raw: &str) -> Result<CountryCode> {
    raw.trim()
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| anyhow!("{raw} is not an ISO 3166-1 alpha-2 country code (for example AU, DE, SG)"))
}

/// The schedule from `file`, else the built-in one of `economy`.
fn schedule_for(economy: CountryCode, file: Option<&Path>) -> Result<TariffSchedule> {
    if let Some(f) = file {
        let (s, _) = read_tariff_file(f)?;
        if s.economy() != economy {
            bail!("{} is the tariff of {}, not of {economy}", f.display(), s.economy());
        }
        return Ok(s);
    }
    builtin_schedules().into_iter().find(|s| s.economy() == economy).ok_or_else(|| {
        let known: Vec<String> = builtin_schedules().iter().map(|s| s.economy().to_string()).collect();
        anyhow!("there is no built-in tariff for {economy} (built in: {}); give one with --file", known.join(", "))
    })
}

fn date_arg(raw: Option<&str>) -> Result<time::Date> {
    match raw {
        None => Ok(time::OffsetDateTime::now_utc().date()),
        Some(d) => time::Date::parse(d, &time::format_description::well_known::Iso8601::DATE)
            .map_err(|_| anyhow!("--date {d}: give the date as YYYY-MM-DD")),
    }
}

fn tariff(economy: &str, hs: Option<&str>, date: Option<&str>, file: Option<&Path>, json: bool) -> Result<()> {
    let schedule = schedule_for(economy_code(economy)?, file)?;
    let Some(hs) = hs else {
        if json {
            println!("{}", serde_json::to_string_pretty(&schedule)?);
        } else {
            print!("{}", schedule_text(&schedule));
        }
        return Ok(());
    };
    let code: HsCode = hs.trim().parse().map_err(|e| anyhow!("--hs {hs} is not an HS code: {e}"))?;
    let on = date_arg(date)?;
    let line = schedule.line(&code, on).map_err(|e| anyhow!("{e}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(line)?);
    } else {
        print!("{}", line_text(&schedule, line, &code, on));
    }
    Ok(())
}

fn period(line: &TariffLine) -> String {
    match (line.valid_from, line.valid_to) {
        (None, None) => "always".into(),
        (Some(f), None) => format!("from {f}"),
        (None, Some(t)) => format!("until {t}"),
        (Some(f), Some(t)) => format!("{f} to {t}"),
    }
}

fn line_text(schedule: &TariffSchedule, line: &TariffLine, asked: &HsCode, on: time::Date) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} ({}), tariff line in force on {on}", schedule.name(), schedule.economy());
    let hs = if line.hs == *asked {
        dotted(&line.hs)
    } else {
        format!("{} (heading line for {})", dotted(&line.hs), dotted(asked))
    };
    let rows = [
        ("HS", hs),
        ("Description", line.description.clone()),
        ("Unit", line.unit.clone().unwrap_or_else(|| "(none)".into())),
        ("In force", period(line)),
        ("MFN", format!("{}  ({})", measure_text(&line.mfn), line.source)),
    ];
    s.push_str(&fields(&rows));
    if line.preferences.is_empty() {
        let _ = writeln!(s, "Preferential rates: none");
    } else {
        let _ = writeln!(s, "Preferential rates:");
        for p in &line.preferences {
            let partners = schedule
                .agreement(&p.agreement)
                .map(|a| a.partners.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            let _ =
                writeln!(s, "  {:<8} {:<8} goods of {partners}  ({})", p.agreement, measure_text(&p.measure), p.source);
        }
    }
    if let Some(x) = &line.excise {
        let _ = writeln!(s, "Excise: {} {}  ({})", x.name, measure_text(&x.measure), x.source);
    }
    s
}

fn schedule_text(schedule: &TariffSchedule) -> String {
    let tax = match schedule.tax() {
        Some(t) => format!("{} {}% ({})", t.name, t.percent.normalize(), t.source),
        None => "none".into(),
    };
    let dm = schedule.de_minimis();
    let de_minimis = match (dm.duty, dm.tax) {
        (None, None) => "none".to_string(),
        (d, t) => {
            let cur = schedule.currency();
            let part = |what: &str, v: Option<rust_decimal::Decimal>| v.map(|v| format!("{what} up to {cur} {v}"));
            [part("no duty", d), part("no tax", t)].into_iter().flatten().collect::<Vec<_>>().join(", ")
        }
    };
    let agreements: Vec<String> = schedule
        .agreements()
        .iter()
        .map(|a| format!("{} ({})", a.code, a.partners.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")))
        .collect();
    let mut s = fields(&[
        ("Economy", format!("{} ({})", schedule.name(), schedule.economy())),
        ("Currency", schedule.currency().to_string()),
        ("Valuation", format!("{:?}", schedule.valuation()).to_ascii_uppercase()),
        ("Edition", schedule.edition().to_string()),
        ("Source", schedule.source().to_string()),
        ("Import tax", tax),
        ("De minimis", de_minimis),
        ("Agreements", if agreements.is_empty() { "none".into() } else { agreements.join(", ") }),
        ("Lines", schedule.lines().len().to_string()),
    ]);
    for f in schedule.fees() {
        let _ = writeln!(s, "Fee: {} {}  ({})", f.name, measure_text(&f.measure), f.source);
    }
    s.push('\n');
    let rows: Vec<[String; 4]> = schedule
        .lines()
        .iter()
        .map(|l| {
            let prefs: Vec<&str> = l.preferences.iter().map(|p| p.agreement.as_str()).collect();
            [dotted(&l.hs), measure_text(&l.mfn), prefs.join(" "), l.description.clone()]
        })
        .collect();
    s.push_str(&table(&["HS", "MFN", "PREFERENCES", "DESCRIPTION"], &rows));
    s
}

/// Exchange rates from an ECB CSV or XML file, or the built-in demonstration rates.
fn fx_rates(file: Option<&Path>) -> Result<FxRates> {
    let Some(path) = file else {
        return FxRates::parse_ecb_csv(DEMO_FX_CSV, "tradewind demo rates (approximate)")
            .map_err(|e| anyhow!("the built-in rates: {e}"));
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let source = format!("ECB reference rates ({})", path.display());
    if text.trim_start().starts_with('<') {
        tradewind_domain::deal::fx::parse_ecb_xml(&text, &source).map_err(|e| anyhow!("{}: {e}", path.display()))
    } else {
        FxRates::parse_ecb_csv(&text, &source).map_err(|e| anyhow!("{}: {e}", path.display()))
    }
}

/// The landed cost as printed (text or JSON); a refusal as the error.
fn landed_cost_of(file: &Path, fx: Option<&Path>, tariff: Option<&Path>, json: bool) -> Result<String> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let shipment: Shipment = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}: not a shipment (see docs/examples/customs/shipment.json): {e}", file.display()))?;
    let schedule = schedule_for(shipment.importing, tariff)?;
    let rates = fx_rates(fx)?;
    let cost = landed_cost(&schedule, &shipment, &rates).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    if json {
        return Ok(format!("{}\n", serde_json::to_string_pretty(&cost)?));
    }
    Ok(landed_cost_text(&shipment, &cost))
}

fn money_text(m: &Money) -> String {
    format!("{} {}", m.currency(), grouped(m))
}

fn landed_cost_text(shipment: &Shipment, cost: &LandedCost) -> String {
    let mut s = format!(
        "Landed cost of {} line(s) into {} on {} ({}), in {}\n\nLines:\n",
        shipment.lines.len(),
        shipment.importing,
        shipment.date,
        shipment.incoterm.code(),
        cost.currency
    );
    for (i, l) in cost.lines.iter().enumerate() {
        let _ = writeln!(s, "  {}. {}", i + 1, l.explanation);
    }
    s.push_str("\nSteps:\n");
    let label_width = cost.explanation.iter().map(|c| c.label.chars().count()).max().unwrap_or(0);
    let amounts: Vec<String> = cost.explanation.iter().map(|c| money_text(&c.amount)).collect();
    let amount_width = amounts.iter().map(|a| a.chars().count()).max().unwrap_or(0);
    for (step, amount) in cost.explanation.iter().zip(&amounts) {
        let _ = writeln!(s, "  {:<label_width$}  {amount:>amount_width$}  {}", step.label, step.basis);
    }
    let _ = writeln!(s, "\nTotal duties and taxes: {}", money_text(&cost.total_duties_and_taxes));
    s
}

/// Origin decisions as printed (text or JSON).
fn origin(file: &Path, agreements: &[String], json: bool) -> Result<String> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let bom: BillOfMaterials = serde_json::from_str(&text).map_err(|e| {
        anyhow!("{}: not a bill of materials (see docs/examples/customs/bom.json): {e}", file.display())
    })?;
    bom.validate().map_err(|e| anyhow!("{}: {e}", file.display()))?;
    let book = OriginRulebook::builtin().map_err(|e| anyhow!("the built-in rules of origin: {e}"))?;
    let chosen: Vec<&tradewind_domain::customs::origin::AgreementRules> = if agreements.is_empty() {
        book.agreements().iter().filter(|a| a.is_member(&bom.produced_in)).collect()
    } else {
        let mut out = Vec::new();
        for code in agreements {
            let code = code.trim().to_ascii_uppercase();
            let known: Vec<&str> = book.agreements().iter().map(|a| a.code.as_str()).collect();
            out.push(book.agreement(&code).ok_or_else(|| {
                anyhow!("{code} is not an agreement with rules of origin here (known: {})", known.join(", "))
            })?);
        }
        out
    };
    if chosen.is_empty() {
        bail!("{} is a member of no agreement with rules of origin here; name one with --agreement", bom.produced_in);
    }
    let decisions: Vec<OriginDecision> =
        chosen.iter().map(|rules| decide(rules, &bom)).collect::<Result<_, _>>().map_err(|e| anyhow!("{e}"))?;
    if json {
        return Ok(format!("{}\n", serde_json::to_string_pretty(&decisions)?));
    }
    let mut s = format!(
        "Origin of {} (HS {}) produced in {}, ex-works {}\n",
        bom.product,
        dotted(&bom.product_hs),
        bom.produced_in,
        money_text(&bom.ex_works_price)
    );
    for d in &decisions {
        let verdict = if d.eligible { "originating" } else { "NOT originating" };
        let _ = writeln!(s, "\n{}: {verdict}", d.agreement);
        let _ = writeln!(s, "  rule    {}", d.rule_text);
        if let Some(m) = &d.met_by {
            let _ = writeln!(s, "  met by  {m}");
        }
        if let Some(r) = d.rvc_percent {
            let _ = writeln!(s, "  RVC     {r}%");
        }
        for r in &d.reasoning {
            let _ = writeln!(s, "  - {r}");
        }
    }
    Ok(s)
}

/// `key  value` lines with the values aligned.
fn fields(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    rows.iter().map(|(k, v)| format!("{k:<width$}  {v}\n")).collect()
}

/// Columns padded to their widest cell.
fn table<const N: usize>(head: &[&str; N], rows: &[[String; N]]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/customs").join(name)
    }

    #[test]
    fn every_built_in_tariff_prints_its_summary() {
        for s in builtin_schedules() {
            let text = schedule_text(&s);
            assert!(text.contains(&format!("({})", s.economy())), "{text}");
            assert!(text.lines().count() > s.lines().len(), "one row a line: {text}");
        }
    }

    #[test]
    fn a_shipment_in_an_unknown_currency_is_refused() {
        let mut shipment: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(example("shipment.json")).expect("example")).expect("json");
        shipment["lines"][0]["value"]["currency"] = "XOF".into();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.json");
        std::fs::write(&path, shipment.to_string()).expect("write");
        let e = landed_cost_of(&path, None, None, false).expect_err("no XOF rate");
        assert!(e.to_string().contains("no exchange rate from XOF to EUR"), "{e}");
    }

    #[test]
    fn an_unknown_agreement_is_named() {
        let e = origin(&example("bom.json"), &["NOPE".into()], false).expect_err("unknown agreement");
        assert!(e.to_string().contains("NOPE is not an agreement"), "{e}");
    }
}
