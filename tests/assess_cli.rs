//! `tradewind assess`: scores an answers file without a database or a server, prints the
//! result, writes the PDF report, and names what is wrong with a bad file.

use std::path::Path;
use std::process::{Command, Output};

fn assess(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tradewind"))
        .arg("assess")
        .args(args)
        .env_remove("TRADEWIND_QUESTIONNAIRE")
        .output()
        .expect("run")
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

const ECONOMY: &str = r#"
subject = "Kenya (KE)"
[answers]
"legal.e_transactions_law" = 3
"legal.e_signatures" = 2
"process_integration.single_window" = 3
"b2g_services.customs_clearance" = 3
"#;

fn write(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("write");
    path.display().to_string()
}

#[test]
fn an_economy_file_is_scored_and_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let answers = write(dir.path(), "ke.toml", ECONOMY);
    let pdf = dir.path().join("ke.pdf");
    let out = assess(&[&answers, "--kind", "economy", "--pdf", &pdf.display().to_string()]);
    let said = text(&out);
    if !out.status.success() && said.contains("fonts-dejavu-core") {
        println!("skipping the PDF: no system font ({said})");
        return;
    }
    assert!(out.status.success(), "{said}");
    // 4 of 22 questions answered: legal 20 × (3·1 + 3·⅔)/10 = 10, process 15 × 4/9 = 6.67,
    // B2G 20 × 4/14 = 5.71: 22.38 of 100 → 11 + 89 × 0.2238 = 30.9 → 31 (internal application).
    assert!(said.contains("Score: 31 of 100 · internal application (preliminary stage)"), "{said}");
    assert!(said.contains("18 unanswered"), "{said}");
    assert!(said.contains("Action plan (largest gain first):"), "{said}");
    assert!(said.contains("tradewind: Verifiable trade documents"), "{said}");
    let bytes = std::fs::read(&pdf).expect("pdf written");
    assert!(bytes.starts_with(b"%PDF-"));
    match Command::new("pdftotext").arg(&pdf).arg("-").output() {
        Ok(o) if o.status.success() => {
            let t = String::from_utf8_lossy(&o.stdout);
            assert!(t.contains("Kenya (KE)") && t.contains("Self-assessed 31"), "{t}");
        }
        _ => println!("pdftotext (poppler-utils) is not installed: checked the PDF header only"),
    }
}

#[test]
fn json_output_and_json_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let answers = write(dir.path(), "c.json", r#"{"kind": "company", "answers": {"b2g.registration": 1}}"#);
    let out = assess(&[&answers, "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(result["kind"], "company");
    assert_eq!(result["answered"], 1);
    assert!(result["score"].as_u64().is_some_and(|s| s > 11));
}

#[test]
fn unknown_questions_and_out_of_range_answers_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let answers = write(dir.path(), "bad.toml", "[answers]\n\"legal.teleportation\" = 1\n\"b2g.registration\" = 4\n");
    let out = assess(&[&answers, "--kind", "company"]);
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("there is no question 'legal.teleportation' in the company questionnaire"), "{said}");
    assert!(said.contains("the answer to 'b2g.registration' must be between 0 and 1"), "{said}");
}

#[test]
fn a_broken_questionnaire_file_is_refused_naming_the_band_and_the_weights() {
    let dir = tempfile::tempdir().expect("tempdir");
    let builtin = include_str!("../crates/domain/data/questionnaire.toml");
    let broken =
        builtin.replacen("min = 36\nmax = 50", "min = 30\nmax = 50", 1).replacen("weight = 10\n", "weight = 12\n", 1);
    let questionnaire = write(dir.path(), "q.toml", &broken);
    let answers = write(dir.path(), "ke.toml", ECONOMY);
    let out = assess(&[&answers, "--questionnaire", &questionnaire]);
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("band 3 (30-50) overlaps band 2 (21-35)"), "{said}");
    assert!(said.contains("economy dimension weights sum to 102; they must sum to 100"), "{said}");
    // The same file stops the server at start-up.
    let out = Command::new(env!("CARGO_BIN_EXE_tradewind"))
        .args(["serve", "--bind", "127.0.0.1:0", "--questionnaire", &questionnaire, "--data-dir"])
        .arg(dir.path().join("data"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(text(&out).contains("overlaps band 2"), "{}", text(&out));
}
