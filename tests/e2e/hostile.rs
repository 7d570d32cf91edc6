//! A hostile vendor: its answers carry valid signatures by its own pinned key, but do not
//! fit the question. Each is refused, reported, and changes nothing in the vault.

use std::sync::{Arc, Mutex};

use parley_protocol::{AgreementId, Body, ConsentAgreement, Decision};

use crate::common::{forged_answer, vendor_key, Forge, Person, Proxy, Vendor};

/// A real vendor behind a proxy that may replace its answers with forged ones, signed by
/// the vendor's own key. `forge` gets the key, the request and the vendor's answer.
fn hostile(
    agreements: &str,
    forge: fn(&parley_protocol::SecretKey, &[u8], Vec<u8>) -> Vec<u8>,
) -> (Vendor, Proxy) {
    let upstream = Arc::new(Mutex::new(String::new()));
    let key: Arc<Mutex<Option<parley_protocol::SecretKey>>> = Arc::new(Mutex::new(None));
    let held = key.clone();
    let f: Forge = Arc::new(move |path: &str, request: &[u8], answer: Vec<u8>| {
        match (path, held.lock().unwrap().as_ref()) {
            ("/parley/v1/messages", Some(k)) => forge(k, request, answer),
            _ => answer,
        }
    });
    let proxy = Proxy::forging(upstream.clone(), f);
    let vendor = Vendor::start_behind("Acme", agreements, &proxy.url);
    *key.lock().unwrap() = Some(vendor_key(&vendor));
    *upstream.lock().unwrap() = vendor.url.clone();
    (vendor, proxy)
}

fn type_of(request: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(request).unwrap_or_default()["type"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// Answers a revocation with "agreed", as if the consent were granted again.
fn agree_to_revocation(key: &parley_protocol::SecretKey, request: &[u8], answer: Vec<u8>) -> Vec<u8> {
    if type_of(request) != "ConsentRevocation" {
        return answer;
    }
    forged_answer(key, request, answer, |asked| {
        Body::ConsentAgreement(ConsentAgreement {
            grant: asked.consent.expect("a revocation names its consent"),
            decision: Decision::Accepted,
            agreement: Some(AgreementId::SdBase),
            reason: None,
        })
    })
}

#[test]
fn vendor_cannot_undo_a_revocation_by_answering_it_with_an_agreement() {
    let (acme, proxy) = hostile("SD-BASE", agree_to_revocation);
    let me = Person::new();
    me.ok(&["vendor", "add", "--url", &proxy.url]);
    let consent = me.grant("Acme", "improvement", "feedback");

    let out = me.command(&["consent", "revoke", &consent]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("does not answer a ConsentRevocation"), "the misfit is reported: {said}");
    let shown = me.json(&["consent", "show", &consent]);
    assert_eq!(shown["state"], "revoked", "the person's revocation stands: {shown}");
    assert!(shown["deletionReceipt"].is_null(), "no deletion receipt came");
    let waiting = me.json(&["outbox"]);
    assert_eq!(waiting[0]["type"], "ConsentRevocation", "the revocation waits for a true answer: {waiting}");

    // Nothing is sent under the consent the vendor tried to revive.
    let f = me.add(&["feedback", "add", "--vendor", "Acme", "--score", "1", "--text", "Never again"]);
    let err = me.refused(&["feedback", "send", &f]);
    assert!(err.contains("no agreed consent"), "{err}");
    assert!(acme.messages(Some("Feedback")).is_empty(), "the vendor got nothing more");
    let err = me.refused(&["sync", "--now"]);
    assert!(err.contains("does not answer a ConsentRevocation"), "reported again on every sync: {err}");
}

/// Answers a grant of SD-BASE with "accepted PDC-AI": terms the person never proffered.
fn accept_other_terms(key: &parley_protocol::SecretKey, request: &[u8], answer: Vec<u8>) -> Vec<u8> {
    if type_of(request) != "ConsentGrant" {
        return answer;
    }
    forged_answer(key, request, answer, |asked| {
        Body::ConsentAgreement(ConsentAgreement {
            grant: asked.id.into(),
            decision: Decision::Accepted,
            agreement: Some(AgreementId::PdcAi),
            reason: None,
        })
    })
}

#[test]
fn vendor_cannot_accept_an_agreement_the_person_did_not_proffer() {
    let (_acme, proxy) = hostile("SD-BASE", accept_other_terms);
    let me = Person::new();
    me.ok(&["vendor", "add", "--url", &proxy.url]);
    let consent = me.proffer("Acme", "improvement", "feedback");
    assert_eq!(consent["state"], "proffered", "an acceptance of other terms is no acceptance: {consent}");
    let reason = me.json(&["outbox"])[0]["lastError"].as_str().unwrap_or("").to_owned();
    assert!(reason.contains("accepted PDC-AI") && reason.contains("proffered SD-BASE"), "{reason}");
}

/// Answers a grant with a deletion receipt, and names another consent.
fn delete_instead_of_agreeing(key: &parley_protocol::SecretKey, request: &[u8], answer: Vec<u8>) -> Vec<u8> {
    if type_of(request) != "ConsentGrant" {
        return answer;
    }
    forged_answer(key, request, answer, |_| {
        Body::DeletionReceipt(parley_protocol::DeletionReceipt {
            consent: parley_protocol::MessageId::new().into(),
            deleted: vec![],
            completed: parley_protocol::Timestamp::now(),
        })
    })
}

#[test]
fn vendor_cannot_answer_a_grant_with_a_deletion_receipt() {
    let (_acme, proxy) = hostile("SD-BASE", delete_instead_of_agreeing);
    let me = Person::new();
    me.ok(&["vendor", "add", "--url", &proxy.url]);
    let consent = me.proffer("Acme", "improvement", "feedback");
    assert_eq!(consent["state"], "proffered", "{consent}");
    assert!(consent["deletionReceipt"].is_null());
    let reason = me.json(&["outbox"])[0]["lastError"].as_str().unwrap_or("").to_owned();
    assert!(reason.contains("DeletionReceipt does not answer a ConsentGrant"), "{reason}");
}

#[test]
fn descriptor_cannot_send_messages_to_another_host() {
    // A vendor whose descriptor names endpoints on another origin than its own address.
    let elsewhere = Vendor::start_behind("Acme", "SD-BASE", "http://127.0.0.1:9");
    let me = Person::new();
    let err = me.refused(&["vendor", "add", "--url", &elsewhere.url]);
    assert!(err.contains("is not on") && err.contains("127.0.0.1:9"), "{err}");
    assert!(me.json(&["vendor", "list"]).as_array().unwrap().is_empty(), "nothing was added");
}
