//! The full loop for feedback, support (with a reply reaching the person) and an intent
//! cast to three vendors.

use std::process::Stdio;

use crate::common::{doc, Person, Vendor};

#[test]
fn feedback_is_previewed_sent_under_consent_and_receipted() {
    let acme = Vendor::start("Acme", "SD-BASE,SD-BASE-DP");
    let me = Person::new();
    let err = me.refused(&["vendor", "add", "--url", "http://acme.example"]);
    assert!(err.contains("loopback") && err.contains("https://"), "plain http only to this machine: {err}");
    let added = me.ok(&["vendor", "add", "--url", &acme.url]);
    assert!(!added.trim().is_empty(), "vendor add prints the new vendor's id");
    let shown = me.json(&["vendor", "show", "Acme"]);
    assert!(shown["fingerprint"].as_str().is_some_and(|f| f.len() == 39), "a fingerprint is shown: {shown}");

    let product =
        me.add(&["product", "add", "--name", "Kettle K2", "--vendor", "Acme", "--serial", "SN-778"]);
    let feedback = me.add(&["feedback", "add", "--product", &product, "--score", "3", "--text", "It leaks"]);

    // No consent yet: refused locally, and the message says which consent is missing.
    let err = me.refused(&["feedback", "send", &feedback]);
    assert!(err.contains("no agreed consent with Acme") && err.contains("feedback"), "{err}");
    assert!(acme.messages(Some("Feedback")).is_empty(), "nothing left the vault");

    // A consent for feedback only: the product's details are not part of what leaves.
    me.grant("Acme", "improvement", "feedback");
    let preview: serde_json::Value =
        serde_json::from_str(&me.ok(&["feedback", "send", &feedback, "--preview"])).unwrap();
    assert_eq!(preview["body"]["score"], 3);
    assert!(
        preview["body"].get("product").is_none(),
        "the consent does not cover product details: {preview}"
    );
    assert!(acme.messages(Some("Feedback")).is_empty(), "a preview sends nothing");

    let sent = me.json(&["feedback", "send", &feedback]);
    let item = &sent["messages"][0];
    assert_eq!(item["state"], "delivered", "{sent}");
    assert_eq!(
        item["receipt"]["body"]["digest"], item["digest"],
        "the receipt names the digest of what was sent"
    );

    let received = acme.messages(Some("Feedback"));
    assert_eq!(received.len(), 1);
    assert_eq!(doc(&received[0], "/body/text"), "It leaks");
    assert_eq!(
        received[0]["document"], item["message"],
        "the vendor holds exactly the signed message that left"
    );

    // Sent once: sending again is refused.
    me.refused(&["feedback", "send", &feedback]);
    assert_eq!(me.json(&["feedback", "show", &feedback])["state"], "sent");

    // The audit log has it, per vendor and consent, and the chain holds.
    let shared = me.json(&["audit", "shared", "--vendor", "Acme"]);
    let under = &shared[0]["consents"][0]["messages"];
    assert!(
        under.as_array().unwrap().iter().any(|m| m["type"] == "Feedback" && m["state"] == "delivered"),
        "{shared}"
    );
    let log = me.ok(&["audit"]);
    for action in ["vendor.added", "consent.agreed", "message.queued", "message.delivered"] {
        assert!(log.contains(action), "audit log lists {action}:\n{log}");
    }
    me.ok(&["audit", "verify"]);
}

#[test]
fn support_request_gets_a_reply_in_its_thread() {
    let acme = Vendor::start("Acme", "SD-BASE");
    let me = Person::new();
    me.add_vendor(&acme);
    me.grant("Acme", "service", "support,product");
    let product =
        me.add(&["product", "add", "--name", "Kettle K2", "--vendor", "Acme", "--serial", "SN-778"]);
    let request = me.add(&[
        "support",
        "add",
        "--product",
        &product,
        "--subject",
        "Leak",
        "--text",
        "Water under the base",
    ]);
    let preview: serde_json::Value =
        serde_json::from_str(&me.ok(&["support", "send", &request, "--preview"])).unwrap();
    assert_eq!(preview["body"]["product"]["serial"], "SN-778", "the consent covers product details");
    me.ok(&["support", "send", &request]);

    let received = acme.messages(Some("SupportRequest"));
    assert_eq!(received.len(), 1);
    let id = received[0]["id"].as_str().unwrap().to_owned();
    acme.cli_ok(&["reply", &id, "--text", "Bring it in; the repair is free under warranty"]);

    me.ok(&["sync"]);
    let inbox = me.json(&["inbox"]);
    let reply = &inbox[0];
    assert_eq!(reply["type"], "Reply");
    assert_eq!(reply["body"]["text"], "Bring it in; the repair is free under warranty");
    assert_eq!(
        format!("urn:uuid:{}", reply["thread"].as_str().unwrap()),
        id,
        "the reply is in the request's thread"
    );
    assert_eq!(me.json(&["support", "show", &request])["state"], "answered");
    assert!(me.ok(&["audit"]).contains("message.received"));

    // Pulling again stores nothing twice.
    me.ok(&["sync"]);
    assert_eq!(me.json(&["inbox"]).as_array().unwrap().len(), 1);
}

#[test]
fn intent_cast_to_three_vendors_gathers_offers_and_one_is_accepted() {
    let vendors: Vec<Vendor> =
        ["Alpha", "Beta", "Gamma"].iter().map(|n| Vendor::start(n, "SD-BASE,PDC-INTENT")).collect();
    let me = Person::new();
    for v in &vendors {
        me.add_vendor(v);
        me.grant(&v.name, "quote", "intent");
    }
    let intent = me.add(&[
        "intent",
        "add",
        "--what",
        "Espresso machine, dual boiler",
        "--budget",
        "900",
        "--currency",
        "EUR",
        "--by",
        "2027-01-31",
        "--constraint",
        "delivered",
    ]);
    let previews = me.json(&["intent", "send", &intent, "--vendors", "Alpha,Beta,Gamma", "--preview"]);
    let froms: Vec<&str> =
        previews.as_array().unwrap().iter().map(|p| p["message"]["from"].as_str().unwrap()).collect();
    assert_eq!(froms.len(), 3);
    assert!(
        froms[0] != froms[1] && froms[1] != froms[2] && froms[0] != froms[2],
        "one pairwise identity per vendor"
    );

    let sent = me.json(&["intent", "send", &intent, "--vendors", "Alpha,Beta,Gamma"]);
    assert!(sent["messages"].as_array().unwrap().iter().all(|m| m["state"] == "delivered"), "{sent}");

    // Alpha and Beta answer with offers; Gamma stays silent.
    for (v, price) in vendors.iter().zip(["849.00", "799.00"]) {
        let got = v.messages(Some("Intent"));
        assert_eq!(got.len(), 1, "{} received the intent", v.name);
        assert_eq!(doc(&got[0], "/body/what"), "Espresso machine, dual boiler");
        let id = got[0]["id"].as_str().unwrap();
        v.cli_ok(&[
            "offer",
            id,
            "--price",
            price,
            "--currency",
            "EUR",
            "--text",
            "In stock",
            "--valid-until",
            "2027-01-15",
        ]);
    }
    me.ok(&["sync"]);
    let offers = me.json(&["intent", "offers", &intent]);
    let offers = offers.as_array().unwrap();
    assert_eq!(offers.len(), 2, "two offers gathered: {offers:?}");
    assert_eq!(me.json(&["intent", "show", &intent])["state"], "offers");

    let beta = offers.iter().find(|o| o["vendor"] == "Beta").expect("Beta's offer");
    assert_eq!(beta["body"]["price"]["amount"], "799.00");
    let accepted = me.json(&["intent", "accept", beta["id"].as_str().unwrap()]);
    assert_eq!(accepted["messages"][0]["state"], "delivered");
    assert_eq!(me.json(&["intent", "show", &intent])["state"], "accepted");

    let told = vendors[1].messages(Some("OfferAcceptance"));
    assert_eq!(told.len(), 1, "Beta is told its offer was accepted");
    assert_eq!(format!("urn:uuid:{}", beta["id"].as_str().unwrap()), doc(&told[0], "/body/offer"));
    assert!(vendors[0].messages(Some("OfferAcceptance")).is_empty(), "Alpha is not told anything");
    me.refused(&["intent", "accept", offers[0]["id"].as_str().unwrap()]);
}

#[test]
fn withdrawing_an_intent_tells_every_vendor_that_received_it() {
    let a = Vendor::start("Alpha", "PDC-INTENT");
    let b = Vendor::start("Beta", "PDC-INTENT");
    let me = Person::new();
    for v in [&a, &b] {
        me.add_vendor(v);
        me.grant(&v.name, "quote", "intent");
    }
    let intent = me.add(&["intent", "add", "--what", "Bicycle"]);
    me.ok(&["intent", "send", &intent, "--vendors", "Alpha,Beta"]);
    me.ok(&["intent", "withdraw", &intent]);
    assert_eq!(me.json(&["intent", "show", &intent])["state"], "withdrawn");
    for v in [&a, &b] {
        assert_eq!(v.messages(Some("IntentWithdrawal")).len(), 1, "{} is told", v.name);
    }
}

#[test]
fn one_draft_sent_twice_at_once_leaves_once() {
    let acme = Vendor::start("Acme", "SD-BASE");
    let me = Person::new();
    me.add_vendor(&acme);
    me.grant("Acme", "improvement", "feedback");
    let drafts: Vec<String> = (0..10)
        .map(|i| me.add(&["feedback", "add", "--vendor", "Acme", "--score", "7", "--text", &format!("n{i}")]))
        .collect();
    // Two windows, or a double click: both sends of a draft start together.
    for f in &drafts {
        let a = me
            .command(&["feedback", "send", f])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let b = me
            .command(&["feedback", "send", f])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert!(a.status.success() || b.status.success(), "one of the two sends goes through");
        if !(a.status.success() && b.status.success()) {
            let refused = if a.status.success() { &b } else { &a };
            let err = String::from_utf8_lossy(&refused.stderr);
            assert!(err.contains("no longer draft") || err.contains("already sent"), "{err}");
        }
    }
    assert_eq!(acme.messages(Some("Feedback")).len(), 10, "ten drafts leave as ten messages, not more");
    let signed = me.outbox_all().iter().filter(|m| m["type"] == "Feedback").count();
    assert_eq!(signed, 10, "and only ten were ever signed and queued");
}
