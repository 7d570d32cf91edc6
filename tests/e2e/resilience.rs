//! Nothing is lost and nothing is delivered twice: a vendor that goes down and comes
//! back, an agent killed in the middle of a sync, a vendor restarted mid-flow.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::{Person, Vendor};

#[test]
fn vendor_down_queues_then_up_delivers_once() {
    let mut acme = Vendor::start("Acme", "SD-BASE");
    let me = Person::new();
    me.add_vendor(&acme);
    me.grant("Acme", "improvement", "feedback");
    acme.stop();

    let f = me.add(&["feedback", "add", "--vendor", "Acme", "--score", "9", "--text", "Quick fix"]);
    let out = me.ok(&["feedback", "send", &f]);
    assert!(out.starts_with("queued"), "an unreachable vendor keeps the message queued: {out}");
    let waiting = me.json(&["outbox"]);
    assert_eq!(waiting.as_array().unwrap().len(), 1);
    assert!(waiting[0]["lastError"].as_str().unwrap().contains("cannot reach"), "outbox says why: {waiting}");
    assert_eq!(waiting[0]["attempts"], 1);

    // Still down: sync fails, the message stays, its backoff grows.
    me.refused(&["sync", "--now"]);
    assert_eq!(me.json(&["outbox"])[0]["attempts"], 2);

    acme.restart();
    // Not due yet by its backoff: a plain sync leaves it; --now delivers it.
    me.ok(&["sync"]);
    assert_eq!(me.json(&["outbox"]).as_array().unwrap().len(), 1, "backoff is respected");
    me.ok(&["sync", "--now"]);
    assert!(me.json(&["outbox"]).as_array().unwrap().is_empty());
    me.ok(&["sync", "--now"]);
    assert_eq!(acme.messages(Some("Feedback")).len(), 1, "delivered exactly once");
}

#[test]
fn kill_9_during_sync_loses_nothing_and_duplicates_nothing() {
    let mut acme = Vendor::start("Acme", "SD-BASE");
    let me = Person::new();
    me.add_vendor(&acme);
    me.grant("Acme", "improvement", "feedback");
    acme.stop();
    const N: usize = 40;
    for i in 0..N {
        let f =
            me.add(&["feedback", "add", "--vendor", "Acme", "--score", "8", "--text", &format!("note {i}")]);
        me.ok(&["feedback", "send", &f]);
    }
    acme.restart();

    // Kill the agent at different moments of its sync, then let a last sync finish.
    let mut progress = Vec::new();
    for delay_ms in [20, 40, 60, 90, 130, 200] {
        let mut child = me.command(&["sync", "--now"]).spawn().expect("start parley sync");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        progress.push(acme.messages(Some("Feedback")).len());
    }
    eprintln!("feedback held by the vendor after each kill: {progress:?}");
    for _ in 0..3 {
        if me.run(&["sync", "--now"]).status.success() {
            break;
        }
    }

    let all = me.outbox_all();
    let feedback: Vec<_> = all.iter().filter(|m| m["type"] == "Feedback").collect();
    assert_eq!(feedback.len(), N);
    assert!(
        feedback.iter().all(|m| m["state"] == "delivered" && m["receipt"].is_object()),
        "every one delivered with its receipt"
    );

    let at_vendor = acme.messages(Some("Feedback"));
    let ids: BTreeSet<_> = at_vendor.iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(at_vendor.len(), N, "the vendor holds each message once");
    assert_eq!(ids.len(), N);
    me.ok(&["audit", "verify"]);
}

#[test]
fn vendor_restarted_mid_flow_keeps_the_conversation_going() {
    let mut acme = Vendor::start("Acme", "SD-BASE");
    let me = Person::new();
    me.add_vendor(&acme);
    me.grant("Acme", "service", "support,product");
    let product = me.add(&["product", "add", "--name", "Lamp", "--vendor", "Acme"]);
    let first =
        me.add(&["support", "add", "--product", &product, "--subject", "Flicker", "--text", "It flickers"]);
    me.ok(&["support", "send", &first]);

    acme.restart();
    let id = acme.messages(Some("SupportRequest"))[0]["id"].as_str().unwrap().to_owned();
    acme.cli_ok(&["reply", &id, "--text", "Try another bulb"]);
    let second =
        me.add(&["support", "add", "--product", &product, "--subject", "Switch", "--text", "Switch stuck"]);
    assert!(me.ok(&["support", "send", &second]).starts_with("delivered"));
    me.ok(&["sync"]);
    assert_eq!(me.json(&["inbox"])[0]["body"]["text"], "Try another bulb");
    assert_eq!(acme.messages(Some("SupportRequest")).len(), 2);
}
