//! OpenAttestation v2 against the official fixtures, wrapping, tampering, obfuscation and
//! DID signatures.

mod common;

use common::{TestResult, as_js, invoice, manifest, oa_dir, read_json};
use proptest::prelude::*;
use serde_json::{Value, json};
use tradewind_attestation::keys::CompanyKeys;
use tradewind_attestation::oa::{self, OaError, WrapOptions};

#[test]
fn every_valid_fixture_verifies_and_every_tampered_one_fails() -> TestResult {
    let Some(dir) = oa_dir() else { return Ok(()) };
    let mut checked = 0;
    for (file, expect) in manifest(&dir)? {
        if expect == "raw" {
            continue;
        }
        let doc = read_json(&dir.join(&file))?;
        let report = oa::verify_integrity(&doc, None);
        match expect.as_str() {
            "valid" => assert!(report.intact, "{file}: {}", report.reason),
            "tampered" => assert!(!report.intact, "{file} passed"),
            other => return Err(format!("{file}: unknown expectation {other}").into()),
        }
        assert!(!report.reason.is_empty());
        checked += 1;
    }
    assert_eq!(checked, 26);
    Ok(())
}

#[test]
fn tampered_fixtures_say_what_was_changed() -> TestResult {
    let Some(dir) = oa_dir() else { return Ok(()) };
    let original = read_json(&dir.join("valid/oatest-verify-correctly-wrapped-document.json"))?;
    let leaves = oa::leaf_hashes(&original["data"])?;
    let check = |file: &str| -> Result<oa::IntegrityReport, Box<dyn std::error::Error>> {
        let doc = read_json(&dir.join("tampered").join(file))?;
        Ok(oa::verify_integrity(&doc, Some(&leaves)))
    };

    let altered = check("oatest-verify-documents-with-altered-data.json")?;
    assert_eq!(altered.changed_fields, vec!["key1"]);
    assert_eq!(altered.missing_original_fields, 1);
    assert!(altered.reason.contains("`key1` was changed"), "{}", altered.reason);

    let added = check("oatest-verify-documents-with-additional-data.json")?;
    assert_eq!(added.changed_fields, vec!["key2.key2-4"]);
    assert!(added.reason.contains("`key2.key2-4` was added"), "{}", added.reason);

    let missing = check("oatest-verify-documents-with-missing-data.json")?;
    assert!(missing.changed_fields.is_empty());
    assert_eq!(missing.missing_original_fields, 1);
    assert!(missing.reason.contains("1 field of the original document is missing"), "{}", missing.reason);

    let proofs = check("oatest-verify-documents-with-altered-proofs.json")?;
    assert!(proofs.reason.contains("another document or batch"), "{}", proofs.reason);
    let root = check("oatest-verify-documents-with-altered-merkleRoot.json")?;
    assert!(root.reason.contains("does not lead to the merkle root"), "{}", root.reason);
    let unsigned = check("oatest-verify-documents-without-signature.json")?;
    assert!(unsigned.reason.contains("never wrapped"), "{}", unsigned.reason);
    let odd = read_json(&dir.join("tampered/oaverify-documentMainnetInvalidWithOddLengthMerkleRoot.json"))?;
    assert!(oa::verify_integrity(&odd, None).reason.contains("63 characters"));
    Ok(())
}

#[test]
fn the_worked_example_of_the_notes_hashes_as_documented() -> TestResult {
    let Some(dir) = oa_dir() else { return Ok(()) };
    let doc = read_json(&dir.join("valid/oatest-verify-correctly-wrapped-document.json"))?;
    let leaves = oa::leaf_hashes(&doc["data"])?;
    assert_eq!(leaves.len(), 8);
    let hex: Vec<String> = leaves.iter().map(hex::encode).collect();
    assert!(hex.contains(&"1549a7b5fac4126fa0fbdea8c156930790691317e30400feb76c0f5cec06b396".to_string()));
    assert!(hex.contains(&"1cbeb0dc59c8e303b23bcfd5275211531348da401d971e120c0dded6fbc48c75".to_string()));
    assert_eq!(oa::target_hash(&doc)?, "3826fcc2b0122a3555051a29b09b8cf5a6a8c776abf5da4e966ab92dbdbd518c");
    Ok(())
}

#[test]
fn removing_the_empty_parent_repairs_the_official_obfuscated_fixture() -> TestResult {
    let Some(dir) = oa_dir() else { return Ok(()) };
    let mut doc = read_json(&dir.join("tampered/oa-obfuscated-wrapped-empty-object-leaf.json"))?;
    assert!(!oa::verify_integrity(&doc, None).intact);
    if let Some(data) = doc["data"].as_object_mut() {
        data.remove("recipient");
    }
    assert!(oa::verify_integrity(&doc, None).intact);
    Ok(())
}

#[test]
fn every_raw_fixture_wraps_alone_and_in_batches() -> TestResult {
    let Some(dir) = oa_dir() else { return Ok(()) };
    let mut raws = Vec::new();
    for (file, expect) in manifest(&dir)? {
        if expect == "raw" {
            raws.push(read_json(&dir.join(file))?);
        }
    }
    raws.push(invoice(1));
    for raw in &raws {
        let wrapped = oa::wrap_documents(std::slice::from_ref(raw))?;
        let report = oa::verify_integrity(&wrapped[0], None);
        assert!(report.intact, "{}", report.reason);
        assert_eq!(report.target_hash, report.merkle_root);
        assert_eq!(as_js(&oa::unsalt(&wrapped[0]["data"])), as_js(raw));
    }
    for size in 1..=5 {
        let batch: Vec<Value> = raws.iter().cycle().take(size).cloned().collect();
        for threads in [1, 2] {
            let wrapped = oa::wrap_documents_with(&batch, WrapOptions { threads })?;
            assert_eq!(wrapped.len(), size);
            let roots: std::collections::BTreeSet<String> =
                wrapped.iter().map(oa::merkle_root).collect::<Result<_, _>>()?;
            assert_eq!(roots.len(), 1, "one merkle root per batch");
            for (w, raw) in wrapped.iter().zip(&batch) {
                assert!(oa::verify_integrity(w, None).intact);
                assert_eq!(as_js(&oa::unsalt(&w["data"])), as_js(raw), "input order is kept");
            }
        }
    }
    Ok(())
}

#[test]
fn a_proof_from_another_document_of_the_batch_is_refused() -> TestResult {
    let batch: Vec<Value> = (0..3).map(invoice).collect();
    let wrapped = oa::wrap_documents(&batch)?;
    let mut swapped = wrapped[0].clone();
    swapped["signature"]["proof"] = wrapped[1]["signature"]["proof"].clone();
    let report = oa::verify_integrity(&swapped, None);
    assert!(!report.intact);
    assert!(report.reason.contains("belongs to another document or batch"), "{}", report.reason);
    Ok(())
}

#[test]
fn bad_hashes_keys_and_shapes_are_explained() -> TestResult {
    let wrapped = oa::wrap_documents(&[json!({"a": 1, "b": {"c": "x"}})])?;
    let doc = &wrapped[0];
    let with = |f: &dyn Fn(&mut Value)| {
        let mut d = doc.clone();
        f(&mut d);
        oa::verify_integrity(&d, None)
    };
    let target = doc["signature"]["targetHash"].as_str().unwrap_or_default().to_string();
    let r = with(&|d| d["signature"]["targetHash"] = json!(format!("0x{target}")));
    assert!(!r.intact && r.reason.contains("starts with \"0x\""), "{}", r.reason);
    let r = with(&|d| d["signature"]["merkleRoot"] = json!(target.to_uppercase()));
    assert!(!r.intact && r.reason.contains("upper-case"), "{}", r.reason);
    let r = with(&|d| d["signature"]["targetHash"] = json!(&target[..62]));
    assert!(!r.intact && r.reason.contains("62 characters"), "{}", r.reason);
    let r = with(&|d| d["data"]["b"]["c.d"] = json!("x"));
    assert!(!r.intact && r.reason.contains("`b.c.d` has a \".\""), "{}", r.reason);
    let r = with(&|d| {
        if let Some(m) = d.as_object_mut() {
            m.remove("data");
        }
    });
    assert!(!r.intact && r.reason.contains("no `data` block"), "{}", r.reason);
    let r = with(&|d| d["privacy"] = json!({"obfuscatedData": ["nothex"]}));
    assert!(!r.intact && r.reason.contains("hidden fields"), "{}", r.reason);
    let r = oa::verify_integrity(&json!([1]), None);
    assert!(!r.intact);

    assert_eq!(
        oa::wrap_documents(&[json!({"a.b": 1})]).err(),
        Some(OaError::InBatch { index: 0, source: Box::new(OaError::KeyWithDot("a.b".into())) })
    );
    assert!(oa::wrap_documents(&[json!([1])]).is_err());
    Ok(())
}

#[test]
fn obfuscation_keeps_the_document_valid_and_drops_the_values() -> TestResult {
    let wrapped = oa::wrap_documents(&[invoice(7)])?;
    let doc = &wrapped[0];
    let leaves = oa::leaf_hashes(&doc["data"])?;
    let hidden = oa::obfuscate(doc, &["billableItems.0.unitPrice", "billTo", "issuers.0.identityProof.location"])?;
    let report = oa::verify_integrity(&hidden, Some(&leaves));
    assert!(report.intact, "{}", report.reason);
    assert!(report.reason.contains("hidden by the holder"));
    assert!(hidden["data"].get("billTo").is_none());
    assert!(hidden["data"]["billableItems"][0].get("unitPrice").is_none());
    let text = serde_json::to_string(&hidden)?;
    assert!(!text.contains("Importer BV 7") && !text.contains("jan@importer") && !text.contains(":number:450"));
    // Hiding again on top of hidden fields keeps it valid.
    let more = oa::obfuscate(&hidden, &["subtotal"])?;
    assert!(oa::verify_integrity(&more, None).intact);
    assert_eq!(oa::obfuscate(&more, &["subtotal"]).err(), Some(OaError::UnknownPath("subtotal".into())));
    Ok(())
}

#[test]
fn hiding_an_only_child_removes_the_emptied_parents() -> TestResult {
    let raw = json!({"recipient": {"name": "Ann"}, "deep": {"a": {"b": [ {"c": 1} ]}}, "keep": 1, "list": [1, 2, 3]});
    let doc = &oa::wrap_documents(&[raw])?[0];
    let hidden = oa::obfuscate(doc, &["recipient.name", "deep.a.b.0.c", "list.2", "list.1"])?;
    assert!(hidden["data"].get("recipient").is_none(), "empty parent removed");
    assert!(hidden["data"].get("deep").is_none(), "emptied chain removed up to data");
    assert_eq!(oa::unsalt(&hidden["data"]["list"]), json!([1]));
    assert!(oa::verify_integrity(&hidden, None).intact);
    // An element in the middle of a list cannot leave alone.
    assert_eq!(oa::obfuscate(doc, &["list.0"]).err(), Some(OaError::MiddleOfList("list.0".into())));
    // Hiding everything leaves an empty data object, still valid.
    let all = oa::obfuscate(doc, &["recipient", "deep", "keep", "list"])?;
    assert_eq!(all["data"], json!({}));
    assert!(oa::verify_integrity(&all, None).intact);
    Ok(())
}

#[test]
fn did_signature_of_the_official_fixture_recovers_its_issuer() -> TestResult {
    let Some(dir) = oa_dir() else { return Ok(()) };
    let doc = read_json(&dir.join("valid/oaverify-documentDidSigned.json"))?;
    let sigs = oa::did_signatures(&doc);
    assert_eq!(sigs.len(), 1);
    let issuer = &oa::issuer_identities(&doc)[0];
    let key = issuer.key.clone().ok_or("no key")?;
    assert_eq!(sigs[0].verification_method, key);
    // did:ethr:<address>#controller: the recovered signer must be that address.
    let address = key.trim_start_matches("did:ethr:").trim_end_matches("#controller");
    assert_eq!(sigs[0].recovered_address.as_deref(), Some(address));
    oa::check_did_signature(&doc, &key, address)?;
    let other = CompanyKeys::generate().ethereum_address();
    assert!(matches!(oa::check_did_signature(&doc, &key, &other), Err(oa::DidError::WrongSigner { .. })));

    // The OCSP fixture names a DID issuer and an OCSP responder but carries no signature.
    let ocsp = read_json(&dir.join("valid/oa-did-signed-ocsp-responder.json"))?;
    assert!(oa::did_signatures(&ocsp).is_empty());
    let issuer = &oa::issuer_identities(&ocsp)[0];
    assert_eq!(issuer.identity_type.as_deref(), Some("DNS-DID"));
    assert_eq!(issuer.revocation_type.as_deref(), Some("OCSP_RESPONDER"));
    assert_eq!(oa::check_did_signature(&ocsp, &key, address).err(), Some(oa::DidError::NotSigned));
    let hashes = oa::revocation_hashes(&ocsp)?;
    assert_eq!(hashes, vec![format!("0x{}", oa::merkle_root(&ocsp)?)]);
    Ok(())
}

#[test]
fn our_did_signatures_check_against_our_did_document() -> TestResult {
    let keys = CompanyKeys::generate();
    let did = "did:web:trade.example.com:companies:acme";
    let method = format!("{did}#controller");
    let mut batch = oa::wrap_documents(&[invoice(1), invoice(2), invoice(3)])?;
    oa::sign_did_batch(&mut batch, &keys, &method, "2025-01-01T00:00:00Z")?;
    let did_doc = oa::did_web_document(did, &keys.ethereum_address(), &keys.ed25519_public_multibase());
    let address = oa::address_in_did_document(&did_doc, &method).ok_or("no address")?;
    for doc in &batch {
        oa::check_did_signature(doc, &method, &address)?;
        assert!(oa::verify_integrity(doc, None).intact, "the proof list is outside integrity");
    }
    // One signature for the batch: the same proof entry on every document.
    assert_eq!(batch[0]["proof"], batch[2]["proof"]);
    assert_eq!(
        oa::address_in_did_document(
            &json!({"verificationMethod": [{"id": "did:x#controller", "blockchainAccountId": "0xAbC@eip155:1"}]}),
            "did:x#controller"
        ),
        Some("0xAbC".into())
    );
    assert_eq!(oa::dns_txt_record(&method), format!("openatts a=dns-did; p={method}; v=1.0;"));

    let single = oa::sign_did(
        &oa::wrap_documents(&[invoice(4)])?[0],
        &keys,
        &format!("did:ethr:{}#controller", keys.ethereum_address()),
    )?;
    assert_eq!(single["proof"][0]["type"], "OpenAttestationSignature2018");
    assert!(oa::sign_did(&single, &keys, "did:ethr:0x0000000000000000000000000000000000000001#controller").is_err());
    let resp = serde_json::to_value(oa::OcspResponse::revoked("0xab", oa::OcspReasonCode::KeyCompromise))?;
    assert_eq!(resp, json!({"revoked": true, "documentHash": "0xab", "reasonCode": 1}));
    assert_eq!(
        serde_json::to_value(oa::OcspResponse::valid("0xab"))?,
        json!({"revoked": false, "documentHash": "0xab"})
    );
    Ok(())
}

/// Every leaf path of a document's `data`, as flatten names them.
fn leaf_paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    let join = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}.{k}") };
    match v {
        Value::Object(m) if !m.is_empty() => m.iter().for_each(|(k, c)| leaf_paths(c, &join(k), out)),
        Value::Array(a) if !a.is_empty() => {
            a.iter().enumerate().for_each(|(i, c)| leaf_paths(c, &join(&i.to_string()), out))
        }
        _ => out.push(prefix.to_string()),
    }
}

fn raw_doc() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[ -~\\n\"\\\\é中]{0,10}".prop_map(Value::String),
    ];
    let tree = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop::collection::btree_map("[a-z]{1,5}", tree, 1..6).prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn set_path(v: &mut Value, path: &str, new: Value) {
    let mut cur = v;
    for seg in path.split('.') {
        cur = match cur {
            Value::Array(a) => match seg.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(c) => c,
                None => return,
            },
            other => &mut other[seg],
        };
    }
    *cur = new;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn changing_adding_or_removing_any_field_breaks_integrity(raw in raw_doc(), pick in any::<prop::sample::Index>(), what in 0u8..4) {
        let wrapped = oa::wrap_documents(&[raw]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let doc = &wrapped[0];
        prop_assert!(oa::verify_integrity(doc, None).intact);
        let mut paths = Vec::new();
        leaf_paths(&doc["data"], "", &mut paths);
        let path = pick.get(&paths).clone();
        let mut bad = doc.clone();
        match what {
            0 => set_path(&mut bad["data"], &path, json!("changed")),
            1 => { bad["data"]["zzextra"] = json!("added"); }
            2 => set_path(&mut bad["data"], &path, json!({})),
            _ => {
                // Remove the leaf from its parent object or list.
                let (parent, last) = path.rsplit_once('.').map_or(("", path.as_str()), |(p, l)| (p, l));
                let mut cur = &mut bad["data"];
                for seg in parent.split('.').filter(|s| !s.is_empty()) {
                    cur = match cur { Value::Array(a) => &mut a[seg.parse::<usize>().unwrap_or(0)], other => &mut other[seg] };
                }
                match cur {
                    Value::Object(m) => { m.remove(last); }
                    Value::Array(a) => { a.remove(last.parse::<usize>().unwrap_or(0)); }
                    _ => {}
                }
            }
        }
        prop_assume!(bad != *doc);
        prop_assert!(!oa::verify_integrity(&bad, None).intact, "{} on {}", what, path);
    }

    #[test]
    fn obfuscating_any_subset_keeps_integrity_and_hides_the_values(raw in raw_doc(), picks in prop::collection::vec(any::<prop::sample::Index>(), 1..4)) {
        let wrapped = oa::wrap_documents(&[raw]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let doc = &wrapped[0];
        let mut paths = Vec::new();
        leaf_paths(&doc["data"], "", &mut paths);
        // Only the end of each list can be hidden alone: pick paths that do not run into that.
        let chosen: Vec<String> = picks.iter().map(|p| p.get(&paths).clone()).collect();
        let refs: Vec<&str> = chosen.iter().map(String::as_str).collect();
        match oa::obfuscate(doc, &refs) {
            Ok(hidden) => {
                let report = oa::verify_integrity(&hidden, None);
                prop_assert!(report.intact, "{}", report.reason);
                let text = serde_json::to_string(&hidden).map_err(|e| TestCaseError::fail(e.to_string()))?;
                for p in &chosen {
                    let mut cur = &doc["data"];
                    for seg in p.split('.') { cur = match cur { Value::Array(a) => &a[seg.parse::<usize>().unwrap_or(0)], o => &o[seg] }; }
                    if let Value::String(salted) = cur {
                        let written = serde_json::to_string(salted).map_err(|e| TestCaseError::fail(e.to_string()))?;
                        prop_assert!(!text.contains(&written), "{} still in the text", p);
                    }
                }
            }
            Err(OaError::MiddleOfList(_)) => {}
            Err(e) => return Err(TestCaseError::fail(e.to_string())),
        }
    }
}

#[test]
fn verifying_from_text_answers_as_verifying_the_parsed_document() -> TestResult {
    let Some(dir) = oa_dir() else { return Ok(()) };
    for (file, expect) in manifest(&dir)? {
        if expect == "raw" {
            continue;
        }
        let text = std::fs::read(dir.join(&file))?;
        let doc: Value = serde_json::from_slice(&text)?;
        assert_eq!(oa::verify_integrity_json(&text, None), oa::verify_integrity(&doc, None), "{file}");
    }
    let keys = CompanyKeys::generate();
    let mut batch = oa::wrap_documents_json(
        &[invoice(1), json!({"e": {}, "l": [], "s": "a\"\\\n\u{1}é", "n": [1.5, -0.0, 1e21]})],
        WrapOptions { threads: 1 },
    )?;
    batch.sign_did(&keys, &format!("did:ethr:{}#controller", keys.ethereum_address()), "2025-01-01T00:00:00Z")?;
    for text in &batch.documents {
        let doc: Value = serde_json::from_str(text)?;
        assert!(oa::verify_integrity_json(text.as_bytes(), None).intact);
        oa::check_did_signature(
            &doc,
            &format!("did:ethr:{}#controller", keys.ethereum_address()),
            &keys.ethereum_address(),
        )?;
        assert_eq!(oa::merkle_root(&doc)?, batch.merkle_root);
    }
    // A repeated key is refused, whichever copy would win elsewhere.
    let text = &batch.documents[0];
    let repeated = text.replacen("\"data\":{", "\"data\":{\"date\":\"x\",", 1);
    let report = oa::verify_integrity_json(repeated.as_bytes(), None);
    assert!(!report.intact && report.reason.contains("appears twice"), "{}", report.reason);
    Ok(())
}

#[test]
fn wrapping_from_an_iterator_keeps_the_order_and_one_root() -> TestResult {
    for threads in [1, 2] {
        let batch = oa::wrap_documents_from((0..300).map(invoice), 300, WrapOptions { threads })?;
        assert_eq!(batch.documents.len(), 300);
        for (i, text) in batch.documents.iter().enumerate() {
            let doc: Value = serde_json::from_str(text)?;
            assert_eq!(as_js(&oa::unsalt(&doc["data"])), as_js(&invoice(i)));
            assert_eq!(oa::merkle_root(&doc)?, batch.merkle_root);
            assert!(oa::verify_integrity_json(text.as_bytes(), None).intact);
        }
    }
    assert!(oa::wrap_documents_from(std::iter::empty(), 0, WrapOptions::default())?.documents.is_empty());
    Ok(())
}
