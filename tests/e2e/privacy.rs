//! Two vendors comparing what they received from the same person find nothing in
//! common: no identifier, no key, no signature, no id.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{Person, Vendor};

/// Every string in a JSON value, and every `did:key` / `urn:uuid` / multibase token
/// inside those strings.
fn tokens(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
            for part in s.split(['#', ' ']) {
                out.insert(part.to_owned());
            }
        }
        Value::Array(a) => a.iter().for_each(|x| tokens(x, out)),
        Value::Object(o) => o.values().for_each(|x| tokens(x, out)),
        _ => {}
    }
}

fn identifiers(vendor: &Vendor) -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for m in vendor.messages(None) {
        let mut t = BTreeSet::new();
        tokens(&m["document"], &mut t);
        // Keep what identifies: DIDs, keys, ids, signatures; not shared vocabulary
        // (types, cryptosuite, agreement names) or the vendor's own DID.
        all.extend(t.into_iter().filter(|s| {
            (s.starts_with("did:key:") || s.starts_with("urn:uuid:") || s.starts_with('z') && s.len() > 40)
                && !s.contains(doc_to(&m))
        }));
    }
    all
}

fn doc_to(m: &Value) -> &str {
    let to = m["document"]["to"].as_str().unwrap_or("");
    to.strip_prefix("did:key:").unwrap_or(to)
}

#[test]
fn two_vendors_find_nothing_in_common_about_the_same_person() {
    let a = Vendor::start("Alpha", "SD-BASE,PDC-INTENT");
    let b = Vendor::start("Beta", "SD-BASE,PDC-INTENT");
    let me = Person::new();
    for v in [&a, &b] {
        me.add_vendor(v);
        me.grant(&v.name, "improvement", "feedback");
        me.grant(&v.name, "quote", "intent");
    }
    for (v, text) in [(&a, "Friendly staff"), (&b, "Slow delivery")] {
        let f = me.add(&["feedback", "add", "--vendor", &v.name, "--score", "7", "--text", text]);
        me.ok(&["feedback", "send", &f]);
    }
    let intent = me.add(&["intent", "add", "--what", "Winter tyres"]);
    me.ok(&["intent", "send", &intent, "--vendors", "Alpha,Beta"]);

    let (seen_by_a, seen_by_b) = (identifiers(&a), identifiers(&b));
    assert!(seen_by_a.len() >= 8 && seen_by_b.len() >= 8, "each vendor holds identifiers to compare");
    let common: Vec<_> = seen_by_a.intersection(&seen_by_b).collect();
    assert!(common.is_empty(), "identifiers both vendors hold: {common:?}");

    let senders = |v: &Vendor| -> BTreeSet<String> {
        v.messages(None).iter().map(|m| m["sender"].as_str().unwrap_or("").to_owned()).collect()
    };
    assert_eq!(senders(&a).len(), 1, "one stable identity with each vendor");
    assert_ne!(senders(&a), senders(&b), "but not the same one");
}
