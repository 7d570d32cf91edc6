//! What comes back must verify against the key pinned on first contact: a vendor whose
//! key changed is stopped until the person accepts the new key; a tampered receipt or
//! reply is rejected, not taken for a success.

use std::sync::{Arc, Mutex};

use crate::common::{Person, Proxy, Vendor};

#[test]
fn changed_vendor_key_stops_exchanges_until_accepted() {
    let mut acme = Vendor::start("Acme", "SD-BASE,SD-BASE-DP,PDC-INTENT");
    let me = Person::new();
    me.add_vendor(&acme);
    me.grant("Acme", "improvement", "feedback");
    let pinned = me.json(&["vendor", "show", "Acme"])["did"].clone();
    let new_did = acme.rekey();

    let f = me.add(&["feedback", "add", "--vendor", "Acme", "--score", "6", "--text", "Meh"]);
    let err = me.refused(&["feedback", "send", &f]);
    assert!(err.contains("now presents key") && err.contains("--accept-new-key"), "{err}");
    let err = me.refused(&["sync", "--now"]);
    assert!(err.contains("problem"), "{err}");
    assert!(acme.messages(Some("Feedback")).is_empty(), "nothing reaches a vendor whose key changed");
    let shown = me.json(&["vendor", "show", "Acme"]);
    assert_eq!(shown["did"], pinned, "the pinned key stays until the person decides");
    assert_eq!(shown["presentedDid"], new_did.as_str());

    let accepted = me.json(&["vendor", "trust", "Acme", "--accept-new-key"]);
    assert_eq!(accepted["did"], new_did.as_str());
    let waiting = me.json(&["outbox"]);
    assert!(waiting.as_array().unwrap().is_empty(), "what waited left once the key was accepted: {waiting}");
    assert_eq!(acme.messages(Some("Feedback")).len(), 1);
    assert!(me.ok(&["audit"]).contains("vendor.key-accepted"));
}

fn flip_receipt_digest(path: &str, body: Vec<u8>) -> Vec<u8> {
    if path != "/parley/v1/messages" {
        return body;
    }
    let mut v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if let Some(d) = v.pointer_mut("/receipt/body/digest") {
        let s = d.as_str().unwrap_or("").to_owned();
        let last = if s.ends_with('0') { '1' } else { '0' };
        *d = format!("{}{last}", &s[..s.len().saturating_sub(1)]).into();
    }
    serde_json::to_vec(&v).unwrap_or(body)
}

fn alter_reply_text(path: &str, body: Vec<u8>) -> Vec<u8> {
    if path != "/parley/v1/inbox" {
        return body;
    }
    String::from_utf8_lossy(&body).replace("Send it in", "Pay us 500 EUR").into_bytes()
}

/// A vendor behind a proxy that alters what the vendor answers.
fn tampered(tamper: fn(&str, Vec<u8>) -> Vec<u8>) -> (Vendor, Proxy) {
    let upstream = Arc::new(Mutex::new(String::new()));
    let proxy = Proxy::start(upstream.clone(), tamper);
    let vendor = Vendor::start_behind("Acme", "SD-BASE", &proxy.url);
    *upstream.lock().unwrap() = vendor.url.clone();
    (vendor, proxy)
}

#[test]
fn tampered_receipt_is_an_error_and_the_message_stays_queued() {
    let (acme, proxy) = tampered(flip_receipt_digest);
    let me = Person::new();
    me.ok(&["vendor", "add", "--url", &proxy.url]);
    // The grant's own receipt is tampered too: the consent is not taken as agreed.
    // Exits 0: the grant is queued.
    let consent = me.proffer("Acme", "improvement", "feedback");
    assert_eq!(consent["state"], "proffered", "an answer that does not verify is no answer: {consent}");
    let waiting = me.json(&["outbox"]);
    let reason = waiting[0]["lastError"].as_str().unwrap();
    assert!(reason.contains("does not verify") && reason.contains("receipt"), "{reason}");
    assert_eq!(acme.messages(Some("ConsentGrant")).len(), 1, "the vendor did get it");
    let err = me.refused(&["sync", "--now"]);
    assert!(err.contains("problem"), "{err}");
    assert!(me.outbox_all().iter().all(|m| m["state"] == "queued"), "never marked delivered");
}

#[test]
fn tampered_reply_is_rejected_and_not_stored() {
    let (acme, proxy) = tampered(alter_reply_text);
    let me = Person::new();
    me.ok(&["vendor", "add", "--url", &proxy.url]);
    me.grant("Acme", "service", "support");
    let product = me.add(&["product", "add", "--name", "Kettle", "--vendor", "Acme"]);
    let s = me.add(&["support", "add", "--product", &product, "--subject", "Leak", "--text", "Leaks"]);
    me.ok(&["support", "send", &s]);
    let id = acme.messages(Some("SupportRequest"))[0]["id"].as_str().unwrap().to_owned();
    acme.cli_ok(&["reply", &id, "--text", "Send it in for a free repair"]);

    let err = me.refused(&["sync"]);
    assert!(err.contains("does not verify"), "{err}");
    assert!(me.json(&["inbox"]).as_array().unwrap().is_empty(), "a reply that does not verify is not stored");
    assert!(!me.ok(&["audit"]).contains("Pay us"), "nor recorded as received");
}

#[test]
fn accepting_a_new_key_trusts_only_the_key_that_was_shown() {
    let mut acme = Vendor::start("Acme", "SD-BASE,SD-BASE-DP,PDC-INTENT");
    let me = Person::new();
    me.add_vendor(&acme);
    me.grant("Acme", "improvement", "feedback");
    let pinned = me.json(&["vendor", "show", "Acme"])["did"].clone();
    let shown_did = acme.rekey();
    me.refused(&["sync", "--now"]);
    let shown = me.json(&["vendor", "show", "Acme"]);
    assert_eq!(shown["presentedDid"], shown_did.as_str(), "the person is shown key B");
    let shown_fingerprint = shown["presentedFingerprint"].as_str().unwrap().to_owned();

    // Between showing and accepting, the vendor (or someone in its place) serves key C.
    let other_did = acme.rekey();
    let err = me.refused(&["vendor", "trust", "Acme", "--accept-new-key", "--key", &shown_fingerprint]);
    assert!(err.contains(&other_did), "the new key is named, not trusted: {err}");
    let now = me.json(&["vendor", "show", "Acme"]);
    assert_eq!(now["did"], pinned, "nothing was trusted");
    assert_eq!(now["presentedDid"], other_did.as_str(), "key C is what the person is shown now");

    // Naming a key other than the one shown is refused too.
    let err = me.refused(&["vendor", "trust", "Acme", "--accept-new-key", "--key", &shown_fingerprint]);
    assert!(err.contains("is not the key"), "{err}");
    let fingerprint = now["presentedFingerprint"].as_str().unwrap().to_owned();
    let accepted = me.json(&["vendor", "trust", "Acme", "--accept-new-key", "--key", &fingerprint]);
    assert_eq!(accepted["did"], other_did.as_str());
}
