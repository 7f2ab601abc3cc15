//! The importer refuses hostile or wrong input quickly and says why: oversized uploads,
//! malformed XML (with line and column), any DTD (billion laughs, XXE), other document
//! types (a UBL Order, an OpenAttestation JSON, a PDF), deep nesting, other encodings.

mod invoice_support;

use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tradewind_documents::import::{ImportError, MAX_BYTES, MAX_DEPTH, import_invoice, read_limited, validate_invoice};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/import_fixtures").join(name);
    std::fs::read(&path).expect("fixture")
}

#[test]
fn a_50_mb_upload_is_refused_quickly_without_reading_it_all() {
    // From a stream: reading stops one byte past the limit.
    struct Counting<R> {
        inner: R,
        read: usize,
    }
    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read += n;
            Ok(n)
        }
    }
    let mut upload = Counting { inner: std::io::repeat(b'<').take(50_000_000), read: 0 };
    let started = Instant::now();
    let refused = read_limited(&mut upload);
    assert_eq!(refused, Err(ImportError::TooLarge { limit: MAX_BYTES }));
    assert!(upload.read <= MAX_BYTES + 1, "read {} bytes", upload.read);
    // From bytes already in memory: refused by length, before any parsing.
    let big = vec![b' '; 50_000_000];
    let started_bytes = Instant::now();
    assert_eq!(import_invoice(&big), Err(ImportError::TooLarge { limit: MAX_BYTES }));
    assert!(started_bytes.elapsed() < Duration::from_millis(50), "{:?}", started_bytes.elapsed());
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    let msg = ImportError::TooLarge { limit: MAX_BYTES }.to_string();
    assert!(msg.contains("10 MiB"), "{msg}");
    // Just under the limit is read (and then judged on content).
    let ok = read_limited(std::io::repeat(b' ').take(1000)).expect("small");
    assert_eq!(ok.len(), 1000);
}

#[test]
fn malformed_xml_is_refused_with_its_line_and_column() {
    let xml = "<?xml version=\"1.0\"?>\n<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">\n  <ID>1</Id>\n</Invoice>";
    match import_invoice(xml.as_bytes()) {
        Err(ImportError::Malformed { line, column, message }) => {
            assert_eq!(line, 3, "{message}");
            assert!(column >= 3, "{column}: {message}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    let unclosed = "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">\n<ID>1</ID>\n";
    let err = import_invoice(unclosed.as_bytes()).expect_err("unclosed");
    assert!(matches!(err, ImportError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("line"), "{err}");
    // An undefined entity (no DTD can define one) is refused, not left as text.
    let entity = "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"><ID>&xxe;</ID></Invoice>";
    let err = import_invoice(entity.as_bytes()).expect_err("entity");
    assert!(err.to_string().contains("&xxe;"), "{err}");
}

#[test]
fn any_doctype_is_refused_which_stops_billion_laughs_and_xxe() {
    for name in ["billion-laughs.xml", "xxe.xml"] {
        let started = Instant::now();
        let err = import_invoice(&fixture(name)).expect_err(name);
        assert!(matches!(err, ImportError::Doctype { line: 2, column: 1 }), "{name}: {err:?}");
        assert!(err.to_string().contains("remove the DOCTYPE"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(1), "{name} took {:?}", started.elapsed());
        let report = validate_invoice(&fixture(name));
        assert!(!report.valid && report.findings[0].rule == "IMPORT", "{report:?}");
        assert!(!report.findings[0].message.contains("root:"), "no file content leaks");
    }
}

#[test]
fn other_documents_are_refused_naming_what_they_are() {
    let err = import_invoice(&fixture("ubl-order.xml")).expect_err("order");
    assert_eq!(err, ImportError::NotAnInvoice("a UBL Order".into()), "{err}");
    assert!(err.to_string().contains("this is a UBL Order, not an invoice"), "{err}");
    if let Some(root) = invoice_support::standards() {
        let dir = root.join("openattestation/v2/valid");
        let first = std::fs::read_dir(&dir)
            .expect("oa dir")
            .map(|e| e.expect("e").path())
            .find(|p| p.extension().is_some_and(|x| x == "json"));
        let oa = std::fs::read(first.expect("an OpenAttestation file")).expect("read");
        let err = import_invoice(&oa).expect_err("oa");
        assert_eq!(err, ImportError::NotAnInvoice("an OpenAttestation document (JSON)".into()), "{err}");
    }
    let err = import_invoice(b"%PDF-1.7\n...").expect_err("pdf");
    assert!(err.to_string().contains("a PDF"), "{err}");
    let err = import_invoice(b"<html><body/></html>").expect_err("html");
    assert!(err.to_string().contains("<html>"), "{err}");
    assert_eq!(import_invoice(b"  \n"), Err(ImportError::Empty));
}

#[test]
fn deep_nesting_other_encodings_and_non_utf8_are_refused() {
    let deep = format!(
        "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">{}{}</Invoice>",
        "<a>".repeat(MAX_DEPTH + 10),
        "</a>".repeat(MAX_DEPTH + 10)
    );
    let err = import_invoice(deep.as_bytes()).expect_err("deep");
    assert!(matches!(err, ImportError::TooDeep { limit: MAX_DEPTH, line: 1, .. }), "{err:?}");
    let latin = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Invoice/>";
    assert_eq!(import_invoice(latin), Err(ImportError::Encoding("ISO-8859-1".into())));
    let bad = b"<Invoice>\xff</Invoice>";
    assert_eq!(import_invoice(bad), Err(ImportError::NotUtf8 { offset: 9 }));
}
