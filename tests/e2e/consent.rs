//! Consent on the person's terms: an alternative the person may take, and revocation
//! that makes the vendor delete what it holds and sign a receipt that verifies.

use crate::common::{Person, Vendor};

#[test]
fn revoked_consent_deletes_the_vendors_data_and_returns_a_verifiable_receipt() {
    let acme = Vendor::start("Acme", "SD-BASE");
    let me = Person::new();
    me.add_vendor(&acme);
    let consent = me.grant("Acme", "improvement", "feedback");
    let f = me.add(&["feedback", "add", "--vendor", "Acme", "--score", "2", "--text", "Rude on the phone"]);
    me.ok(&["feedback", "send", &f]);
    let held = acme.messages(Some("Feedback"));
    assert_eq!(held.len(), 1);
    let message_id = held[0]["id"].as_str().unwrap().to_owned();

    let revoked = me.json(&["consent", "revoke", &consent, "--reason", "I changed my mind"]);
    assert_eq!(revoked["state"], "revoked");
    let receipt = &revoked["deletionReceipt"];
    assert_eq!(receipt["type"], "DeletionReceipt", "{revoked}");
    let deleted: Vec<&str> =
        receipt["body"]["deleted"].as_array().unwrap().iter().filter_map(|d| d.as_str()).collect();
    assert!(deleted.contains(&message_id.as_str()), "the receipt names the deleted feedback: {deleted:?}");
    assert!(acme.messages(Some("Feedback")).is_empty(), "the vendor's store no longer holds it");

    // The receipt verifies with any Data Integrity verifier: here `parley proto verify`,
    // and its signer is the vendor's pinned key.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), receipt.to_string()).unwrap();
    let method = me.ok(&["proto", "verify", file.path().to_str().unwrap()]);
    let vendor_did = me.json(&["vendor", "show", "Acme"])["did"].as_str().unwrap().to_owned();
    assert!(method.trim().starts_with(&vendor_did), "signed by {vendor_did}: {method}");

    // Nothing more is sent under it.
    let g = me.add(&["feedback", "add", "--vendor", "Acme", "--score", "5", "--text", "Later"]);
    me.refused(&["feedback", "send", &g]);
    assert!(me.ok(&["audit"]).contains("consent.deletion-receipt"));
    me.ok(&["audit", "verify"]);
}

#[test]
fn vendor_offers_an_alternative_the_person_can_take() {
    let acme = Vendor::start("Acme", "SD-BASE-DP");
    let me = Person::new();
    me.add_vendor(&acme);
    let out = me.proffer("Acme", "service", "support");
    assert_eq!(out["state"], "alternative", "{out}");
    assert_eq!(out["alternative"], "SD-BASE-DP");
    let taken = me.json(&["consent", "accept-alternative", out["id"].as_str().unwrap()]);
    assert_eq!(taken["state"], "agreed");
    assert_eq!(taken["agreement"], "SD-BASE-DP");
    assert_eq!(me.json(&["consent", "show", out["id"].as_str().unwrap()])["state"], "refused");
}

#[test]
fn revoking_a_consent_that_never_left_cancels_it_without_telling_the_vendor() {
    let mut acme = Vendor::start("Acme", "SD-BASE");
    let me = Person::new();
    me.add_vendor(&acme);
    acme.stop();
    let out = me.proffer("Acme", "improvement", "feedback");
    assert_eq!(out["state"], "proffered", "queued while the vendor is down: {out}");
    let revoked = me.json(&["consent", "revoke", out["id"].as_str().unwrap()]);
    assert_eq!(revoked["state"], "revoked");
    assert!(me.json(&["outbox"]).as_array().unwrap().is_empty(), "nothing waits: the grant is cancelled");

    acme.restart();
    me.ok(&["sync", "--now"]);
    assert!(acme.messages(None).is_empty(), "the vendor never hears of a consent withdrawn before it left");
}

#[test]
fn revocation_the_vendor_refuses_stays_pending_and_is_reported() {
    let mut acme = Vendor::start("Acme", "SD-BASE");
    let me = Person::new();
    me.add_vendor(&acme);
    let consent = me.grant("Acme", "improvement", "feedback");
    // The vendor loses its store (same key): it no longer knows the consent, and
    // refuses the revocation with a 4xx problem.
    acme.stop();
    for f in ["vendor.db", "vendor.db-wal", "vendor.db-shm"] {
        let _ = std::fs::remove_file(acme.data.join(f));
    }
    acme.restart();

    let out = me.command(&["consent", "revoke", &consent]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no-consent"), "the refusal is reported: {said}");
    let shown = me.json(&["consent", "show", &consent]);
    assert_eq!(shown["state"], "revoked", "nothing more is sent under it");
    assert!(shown["deletionReceipt"].is_null());
    let waiting = me.json(&["outbox"]);
    assert_eq!(waiting[0]["type"], "ConsentRevocation", "it waits for a deletion receipt: {waiting}");
    let err = me.refused(&["sync", "--now"]);
    assert!(err.contains("no-consent"), "and is reported on every sync: {err}");
}
