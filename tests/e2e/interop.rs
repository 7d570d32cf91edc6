//! Interop with the reference Data Integrity stack: Digital Bazaar's `jsonld-signatures`
//! with `@digitalbazaar/eddsa-jcs-2022-cryptosuite`, used the documented way by Node from
//! `interop/` (whose packages `./scripts/test.sh` installs). What it signs — with the
//! `@context` it adds — a Parley vendor accepts; what Parley signs, it verifies.

use std::io::Write;
use std::process::{Command, Stdio};

use parley_protocol::{digest_of, jcs, MessageId, Timestamp};
use serde_json::{json, Value};

use crate::common::{Person, Vendor};

pub(crate) fn interop_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop");
    assert!(
        dir.join("node_modules/jsonld-signatures").exists(),
        "interop/node_modules is missing: ./scripts/test.sh installs it (npm install in interop/)"
    );
    dir
}

/// Runs `node interop/di.mjs ARGS` with `document` on stdin; its JSON output.
fn di(args: &[&str], document: &Value) -> Value {
    let mut child = Command::new("node")
        .arg("di.mjs")
        .args(args)
        .current_dir(interop_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    child.stdin.take().unwrap().write_all(document.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "di.mjs {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("di.mjs prints JSON")
}

fn verified_by_reference(document: &Value) -> bool {
    let out = di(&["verify"], document);
    assert_eq!(out["verified"], true, "the reference library refuses it: {out} — {document}");
    true
}

fn vendor_did(v: &Vendor) -> String {
    let config: Value = serde_json::from_slice(&std::fs::read(v.data.join("vendor.json")).unwrap()).unwrap();
    config["did"].as_str().unwrap().to_owned()
}

fn post(v: &Vendor, document: &Value) -> (u16, Value) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new()
            .post(format!("{}/parley/v1/messages", v.url))
            .header("content-type", "application/json")
            .body(document.to_string())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    })
}

#[test]
fn vendor_accepts_messages_signed_by_the_reference_library() {
    let acme = Vendor::start("Acme", "SD-BASE");
    let me = Person::new();
    let key: Value = serde_json::from_str(&me.ok(&["proto", "keygen"])).unwrap();
    let (did, public, secret) = (
        key["did"].as_str().unwrap(),
        key["publicKeyMultibase"].as_str().unwrap(),
        key["secretKeyMultibase"].as_str().unwrap(),
    );
    let to = vendor_did(&acme);
    let grant_id = MessageId::new().to_string();
    let grant = json!({
        "type": "ConsentGrant", "id": grant_id, "from": did, "to": to, "created": Timestamp::now().to_string(),
        "body": {"agreement": "SD-BASE", "purpose": "improvement", "categories": ["feedback"], "retentionDays": 30},
    });
    let signed = di(&["sign", public, secret], &grant);
    assert_eq!(
        signed["@context"],
        json!(["https://w3id.org/security/data-integrity/v2"]),
        "as the library signs"
    );
    let (status, answer) = post(&acme, &signed);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["answer"]["body"]["decision"], "accepted", "{answer}");
    let canonical = jcs::canonicalize(&signed);
    assert_eq!(
        answer["receipt"]["body"]["digest"],
        digest_of(canonical.as_bytes()),
        "receipted byte for byte"
    );
    // The vendor's signed answers verify in the reference library.
    assert!(verified_by_reference(&answer["receipt"]));
    assert!(verified_by_reference(&answer["answer"]));

    let feedback = json!({
        "type": "Feedback", "id": MessageId::new().to_string(), "from": did, "to": to,
        "created": Timestamp::now().to_string(), "consent": grant_id,
        "body": {"about": "vendor", "score": 10, "text": "Signed elsewhere, read here"},
    });
    let (status, answer) = post(&acme, &di(&["sign", public, secret], &feedback));
    assert_eq!(status, 200, "{answer}");
    let held = acme.messages(Some("Feedback"));
    assert_eq!(held.len(), 1);
    assert_eq!(
        held[0]["document"]["@context"][0], "https://w3id.org/security/data-integrity/v2",
        "kept as signed"
    );
}

#[test]
fn the_reference_library_verifies_what_parley_signs() {
    let acme = Vendor::start("Acme", "SD-BASE");
    let me = Person::new();
    me.add_vendor(&acme);
    me.grant("Acme", "improvement", "feedback");
    let f = me.add(&["feedback", "add", "--vendor", "Acme", "--score", "8", "--text", "Good"]);
    me.ok(&["feedback", "send", &f]);
    let sent = me.outbox_all().into_iter().find(|m| m["type"] == "Feedback").expect("the feedback left");
    assert!(verified_by_reference(&sent["message"]), "the person's message");
    assert!(verified_by_reference(&sent["receipt"]), "the vendor's receipt");
    let mut altered = sent["message"].clone();
    altered["body"]["score"] = json!(10);
    assert_eq!(di(&["verify"], &altered)["verified"], false, "and it is a real check");
}
