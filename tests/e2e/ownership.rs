//! From intent to ownership with the shipped binaries over loopback HTTP: an intent to
//! two vendors, two offers, one accepted; that vendor's signed order updates (confirmed,
//! shipped, delivered) make the product appear in the vault with a proof of purchase
//! anyone can check offline; a warranty claim citing it is shown to the vendor as a
//! verified purchase; a return is answered with a reply and a refund.

use serde_json::Value;

use crate::common::{Person, Vendor};

/// The vendor's copy of the intent: its id.
fn intent_at(v: &Vendor) -> String {
    let got = v.messages(Some("Intent"));
    assert_eq!(got.len(), 1, "{} received the intent", v.name);
    got[0]["id"].as_str().unwrap().to_owned()
}

fn product_list(me: &Person) -> Vec<Value> {
    me.json(&["product", "list"]).as_array().cloned().unwrap_or_default()
}

#[test]
fn an_accepted_offer_becomes_an_owned_product_with_a_proof_of_purchase() {
    let acme = Vendor::start("Acme", "SD-BASE,PDC-INTENT");
    let brew = Vendor::start("Brew", "SD-BASE,PDC-INTENT");
    let me = Person::new();
    for v in [&acme, &brew] {
        me.add_vendor(v);
        me.grant(&v.name, "quote", "intent");
    }
    me.grant("Acme", "service", "support,product");
    // The person already noted the kettle they mean to buy, and links it to the intent.
    let planned = me.add(&["product", "add", "--name", "Kettle for the office", "--vendor", "Acme"]);
    let intent = me.add(&[
        "intent",
        "add",
        "--what",
        "Kettle, 1.7 l",
        "--budget",
        "100",
        "--currency",
        "EUR",
        "--product",
        &planned,
    ]);
    me.ok(&["intent", "send", &intent, "--vendors", "Acme,Brew"]);
    let acme_offer = acme.cli_ok(&[
        "offer",
        &intent_at(&acme),
        "--price",
        "79.90",
        "--currency",
        "EUR",
        "--text",
        "Kettle K2",
    ]);
    let acme_offer = acme_offer.trim().to_owned();
    let brew_offer = brew.cli_ok(&[
        "offer",
        &intent_at(&brew),
        "--price",
        "89.00",
        "--currency",
        "EUR",
        "--text",
        "Brew kettle",
    ]);
    let brew_offer = brew_offer.trim().to_owned();
    me.ok(&["sync"]);
    let offers = me.json(&["intent", "offers", &intent]);
    let acme_inbox = offers.as_array().unwrap().iter().find(|o| o["vendor"] == "Acme").unwrap();

    // Before acceptance there is no order to send, at either vendor.
    let refused = acme.cli(&["order", &acme_offer, "--status", "confirmed"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("was not accepted"), "{refused:?}");
    me.ok(&["intent", "accept", acme_inbox["id"].as_str().unwrap()]);
    let not_taken = brew.cli(&["order", &brew_offer, "--status", "confirmed"]);
    assert!(String::from_utf8_lossy(&not_taken.stderr).contains("was not accepted"), "{not_taken:?}");
    let listed: Value = serde_json::from_str(&acme.cli_ok(&["offers", "--json"])).unwrap();
    assert_eq!(listed[0]["state"], "accepted");

    acme.cli_ok(&["order", &acme_offer, "--status", "confirmed", "--model", "K2"]);
    acme.cli_ok(&["order", &acme_offer, "--status", "shipped", "--tracking", "https://track.example/1Z999"]);
    me.ok(&["sync"]);
    assert_eq!(product_list(&me)[0]["hasProof"], false, "nothing is owned before it is delivered");
    let backwards = acme.cli(&["order", &acme_offer, "--status", "confirmed"]);
    assert!(String::from_utf8_lossy(&backwards.stderr).contains("cannot become confirmed"), "{backwards:?}");
    acme.cli_ok(&[
        "order",
        &acme_offer,
        "--status",
        "delivered",
        "--serial",
        "SN-K2-0042",
        "--warranty-until",
        "2028-12-03",
    ]);
    let synced = me.ok(&["sync"]);
    assert!(
        synced.contains("Kettle for the office"),
        "sync tells of the delivered product: {synced} {}",
        me.ok(&["audit"])
    );

    let products = product_list(&me);
    assert_eq!(products.len(), 1, "{products:?}");
    let p = &products[0];
    assert_eq!(p["id"].as_str(), Some(planned.as_str()), "the linked product is completed, not doubled");
    assert_eq!(
        (p["name"].as_str(), p["model"].as_str(), p["vendor"].as_str()),
        (Some("Kettle for the office"), Some("K2"), Some("Acme"))
    );
    assert_eq!((p["serial"].as_str(), p["warrantyUntil"].as_str()), (Some("SN-K2-0042"), Some("2028-12-03")));
    assert_eq!(p["price"]["amount"], "79.90");
    assert_eq!((p["orderStatus"].as_str(), p["hasProof"].as_bool()), (Some("delivered"), Some(true)));
    let product = p["id"].as_str().unwrap().to_owned();
    let listed: Value = serde_json::from_str(&acme.cli_ok(&["offers", "--json"])).unwrap();
    assert_eq!(
        (listed[0]["state"].as_str(), listed[0]["orderStatus"].as_str()),
        (Some("ordered"), Some("delivered"))
    );

    // The proof of purchase checks offline, and not once a byte of it changed.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kettle.proof.json");
    me.ok(&["product", "proof", &product, "-o", file.to_str().unwrap()]);
    let verified = me.ok(&["proto", "verify-bundle", file.to_str().unwrap()]);
    assert!(verified.contains("valid proof of purchase") && verified.contains("delivered"), "{verified}");
    let bytes = std::fs::read(&file).unwrap();
    for at in [10, bytes.len() / 3, bytes.len() / 2, bytes.len() - 20] {
        let mut changed = bytes.clone();
        changed[at] = if changed[at] == b'1' { b'2' } else { b'1' };
        let bad = dir.path().join(format!("changed-{at}.json"));
        std::fs::write(&bad, &changed).unwrap();
        let out = me.run(&["proto", "verify-bundle", bad.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "a change at byte {at} is refused");
    }

    // A warranty claim cites it; the vendor sees a verified purchase.
    let claim = me.add(&[
        "support",
        "add",
        "--product",
        &product,
        "--kind",
        "warranty-claim",
        "--subject",
        "It stopped heating",
        "--text",
        "After three weeks it no longer heats.",
    ]);
    me.ok(&["support", "send", &claim]);
    let listing = acme.cli_ok(&["messages", "--type", "SupportRequest"]);
    assert!(
        listing.contains("verified purchase") && listing.contains("warranty until 2028-12-03"),
        "{listing}"
    );

    // A return: the vendor answers, and refunds.
    let back = me.add(&[
        "support",
        "add",
        "--product",
        &product,
        "--kind",
        "return-request",
        "--subject",
        "Returning it",
        "--text",
        "I would rather have my money back.",
    ]);
    me.ok(&["support", "send", &back]);
    let returns = acme.messages(Some("SupportRequest"));
    let ret = returns.iter().find(|m| m["document"]["body"]["kind"] == "return-request").unwrap();
    acme.cli_ok(&["reply", ret["id"].as_str().unwrap(), "--text", "Refunded; keep the box."]);
    acme.cli_ok(&["order", &acme_offer, "--status", "refunded"]);
    me.ok(&["sync"]);
    let p = &product_list(&me)[0];
    assert_eq!(p["orderStatus"], "refunded");
    let inbox = me.json(&["inbox"]);
    assert!(inbox.to_string().contains("Refunded; keep the box."), "{inbox}");
    assert_eq!(me.json(&["support", "show", &back])["state"], "answered");

    // A question needs no proof; a claim about a product without one is refused.
    let plain = me.add(&["product", "add", "--name", "Old toaster", "--vendor", "Acme"]);
    let err = me.refused(&[
        "support",
        "add",
        "--product",
        &plain,
        "--kind",
        "warranty-claim",
        "--subject",
        "x",
        "--text",
        "y",
    ]);
    assert!(err.contains("proof of purchase"), "{err}");
}
