//! `tradewind doc`: a facts file becomes the document set on disk (a UBL packing list that
//! passes the official schema), missing data and a set that disagrees are named, a document
//! renders as a PDF, and invoices are validated or refused, all without a server.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn doc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tradewind"))
        .arg("doc")
        .args(args)
        .env_remove("TRADEWIND_SERVER")
        .env_remove("TRADEWIND_TOKEN")
        .output()
        .expect("run")
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

/// The official standards, beside the repository; `None` (with the reason printed) when absent.
fn standards(sub: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/standards").join(sub);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} is absent", p.display());
        None
    }
}

/// The sample facts as `doc sample-facts` prints them, changed by `edit`, written to `dir`.
fn facts_file(dir: &Path, name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let out = doc(&["sample-facts"]);
    assert!(out.status.success(), "{}", text(&out));
    let mut facts: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sample facts are JSON");
    edit(&mut facts);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(&facts).expect("json")).expect("write facts");
    path.display().to_string()
}

#[test]
fn the_sample_facts_become_the_whole_set_and_it_agrees() {
    let dir = tempfile::tempdir().expect("tempdir");
    let facts = facts_file(dir.path(), "facts.json", |f| {
        // Dates read as a person writes them.
        assert_eq!(f["order_date"], "2026-11-02");
    });
    let out_dir = dir.path().join("set");
    let out = doc(&[
        "generate",
        "--facts",
        &facts,
        "--kind",
        "all",
        "--date",
        "2026-11-26",
        "--out",
        &out_dir.display().to_string(),
    ]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    for name in [
        "INV-01JD8W4M6Q0S-1.ubl-2.1-invoice.xml",
        "INV-01JD8W4M6Q0S-1.cii-d16b-invoice.xml",
        "PI-01JD8W4M6Q0S-1.ubl-2.1-invoice-proforma.xml",
        "PL-01JD8W4M6Q0S-1.ubl-2.1-packing-list.xml",
        "CO-01JD8W4M6Q0S-1.ubl-2.1-certificate-of-origin.xml",
        "BL-01JD8W4M6Q0S-1.dcsa-ebl-3.0-transport-document.json",
        "BL-01JD8W4M6Q0S-1.ubl-2.1-bill-of-lading.xml",
    ] {
        let path = out_dir.join(name);
        assert!(path.is_file(), "{name} not written:\n{said}");
        assert!(said.contains(name), "{name} not listed:\n{said}");
    }
    // A sea shipment has no air waybill, and the sample links no imports for a drawback.
    assert!(said.contains("air_waybill: cannot be generated from the facts"), "{said}");
    assert!(said.contains("shipment.mode:"), "{said}");
    assert!(said.contains("Consistency: the 12 documents agree."), "{said}");

    let Some(xsd) = standards("ubl-2.1/xsd/maindoc/UBL-PackingList-2.1.xsd") else { return };
    let packing_list = out_dir.join("PL-01JD8W4M6Q0S-1.ubl-2.1-packing-list.xml");
    match Command::new("xmllint").arg("--noout").arg("--schema").arg(&xsd).arg(&packing_list).output() {
        Ok(o) => assert!(o.status.success(), "the packing list fails UBL 2.1:\n{}", text(&o)),
        Err(e) => eprintln!("skipping the schema check: xmllint (libxml2-utils) cannot run: {e}"),
    }
}

#[test]
fn a_missing_weight_is_named_by_its_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let facts = facts_file(dir.path(), "no-weight.json", |f| {
        f["seller_fields"]["lines"][0].as_object_mut().expect("line fields").remove("gross_kg");
    });
    let out_dir = dir.path().join("out");
    let out = doc(&["generate", "--facts", &facts, "--kind", "packing_list", "--out", &out_dir.display().to_string()]);
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("seller_fields.lines[0].gross_kg"), "{said}");
    assert!(!out_dir.join("PL-01JD8W4M6Q0S-1.ubl-2.1-packing-list.xml").exists(), "nothing half-made is written");

    // An unknown kind is refused with the list of kinds.
    let out = doc(&["generate", "--facts", &facts, "--kind", "invoice"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("unknown document kind `invoice`"), "{}", text(&out));
}

#[test]
fn a_carrier_weight_that_disagrees_fails_a_strict_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let facts = facts_file(dir.path(), "heavier.json", |f| {
        f["carrier_fields"]["verified_gross_kg"] = "14700".into();
    });
    let out_dir = dir.path().join("set").display().to_string();
    let lenient = doc(&["generate", "--facts", &facts, "--kind", "all", "--out", &out_dir]);
    assert!(lenient.status.success(), "without --strict the set is still written: {}", text(&lenient));
    let strict = doc(&["generate", "--facts", &facts, "--kind", "all", "--strict", "--out", &out_dir]);
    let said = text(&strict);
    assert!(!strict.status.success(), "{said}");
    assert!(said.contains("gross weight"), "{said}");
    assert!(said.contains("14700") && said.contains("14652"), "both weights are shown: {said}");
}

#[test]
fn a_document_renders_as_a_pdf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let facts = facts_file(dir.path(), "facts.json", |_| {});
    for kind in ["packing_list", "commercial_invoice"] {
        let pdf = dir.path().join(format!("{kind}.pdf"));
        let out = doc(&["render", "--facts", &facts, "--kind", kind, "--pdf", &pdf.display().to_string()]);
        let said = text(&out);
        if !out.status.success() && said.contains("no font") {
            eprintln!("skipping the PDF: no system font ({said})");
            return;
        }
        assert!(out.status.success(), "{said}");
        let bytes = std::fs::read(&pdf).expect("pdf written");
        assert!(bytes.starts_with(b"%PDF"), "{kind}");
        // The machine-readable rendition rides inside the PDF.
        let attached = if kind == "packing_list" { "PL-01JD8W4M6Q0S-1.ubl-2.1" } else { "INV-01JD8W4M6Q0S-1.ubl-2.1" };
        assert!(said.contains(attached), "{said}");
    }
}

#[test]
fn an_official_invoice_is_valid_and_a_hostile_one_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evil = dir.path().join("xxe.xml");
    std::fs::write(
        &evil,
        "<?xml version=\"1.0\"?>\n<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n\
         <Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"><ID>&xxe;</ID></Invoice>\n",
    )
    .expect("write");
    let out = doc(&["validate", &evil.display().to_string()]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("REFUSED") && said.contains("DOCTYPE"), "{said}");
    assert!(!said.contains("root:"), "no entity was expanded: {said}");

    let json = doc(&["validate", "--json", &evil.display().to_string()]);
    assert_eq!(json.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("report JSON");
    assert_eq!(report["valid"], false);
    assert_eq!(report["findings"][0]["rule"], "IMPORT");

    let big = dir.path().join("big.xml");
    std::fs::write(&big, vec![b' '; 10 * 1024 * 1024 + 1]).expect("write");
    let out = doc(&["validate", &big.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("larger than"), "{}", text(&out));

    let Some(examples) = standards("en16931/ubl/examples") else { return };
    let official = examples.join("ubl-tc434-example1.xml");
    let out = doc(&["validate", &official.display().to_string()]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("valid UBL 2.1 Invoice 12115118 in EUR"), "{said}");
    assert!(said.contains("No findings"), "{said}");
}

#[test]
fn a_tampered_total_is_invalid() {
    let Some(examples) = standards("en16931/ubl/examples") else { return };
    let original = std::fs::read_to_string(examples.join("ubl-tc434-example1.xml")).expect("example");
    let dir = tempfile::tempdir().expect("tempdir");
    let tampered = dir.path().join("tampered.xml");
    let changed = original.replacen(
        "<cbc:PayableAmount currencyID=\"EUR\">250.33</cbc:PayableAmount>",
        "<cbc:PayableAmount currencyID=\"EUR\">205.33</cbc:PayableAmount>",
        1,
    );
    assert_ne!(changed, original, "the example states its amount due as expected");
    std::fs::write(&tampered, changed).expect("write");
    let out = doc(&["validate", &tampered.display().to_string()]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("INVALID") && said.contains("FATAL"), "{said}");
}

#[test]
fn import_names_what_is_wrong_before_reaching_a_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("invoice.xml");
    std::fs::write(&file, "<Invoice/>").expect("write");
    let file = file.display().to_string();
    // Port 9 (discard) is never a tradewind server: every case must stop before connecting.
    let server = ["--server", "http://127.0.0.1:9"];

    let out = doc(&["import", &file]);
    assert_eq!(out.status.code(), Some(2), "--order is required: {}", text(&out));
    assert!(text(&out).contains("--order"), "{}", text(&out));

    let out = doc(&[&["import", &file, "--order", "../operator/payouts", "--token", "t"][..], &server[..]].concat());
    assert!(!out.status.success());
    assert!(text(&out).contains("is not an id"), "{}", text(&out));

    let out = doc(&["import", &file, "--order", "0193abc", "--server", "ftp://example.com", "--token", "t"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("http:// or https://"), "{}", text(&out));

    let out = doc(&[&["import", &file, "--order", "0193abc"][..], &server[..]].concat());
    assert!(!out.status.success());
    assert!(text(&out).contains("no API token"), "{}", text(&out));

    let missing = dir.path().join("missing.xml").display().to_string();
    let out = doc(&[&["import", &missing, "--order", "0193abc", "--token", "t"][..], &server[..]].concat());
    assert!(!out.status.success());
    assert!(text(&out).contains("missing.xml"), "{}", text(&out));

    // The same upload is a `tradewind client` command.
    let out = Command::new(env!("CARGO_BIN_EXE_tradewind"))
        .args(["client", "doc", "import", "--help"])
        .output()
        .expect("run");
    assert!(out.status.success() && text(&out).contains("--order"), "{}", text(&out));
}
