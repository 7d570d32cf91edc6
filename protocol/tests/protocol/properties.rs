//! Property tests: canonical form is a fixed point, parsing it loses nothing, and any
//! JSON object signs and verifies.

use parley_protocol::jcs::{canonicalize, canonicalize_bytes, parse};
use parley_protocol::proof::{add_proof, verify_proof, ProofOptions};
use parley_protocol::{Did, SecretKey, Timestamp};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn canonical_form_is_idempotent(value in arb_json()) {
        let once = canonicalize(&value);
        let twice = canonicalize_bytes(once.as_bytes()).unwrap();
        prop_assert_eq!(once.as_bytes(), &twice[..]);
    }

    #[test]
    fn canonical_form_parses_back_to_the_same_value(value in arb_json()) {
        let canonical = canonicalize(&value);
        let back = parse(canonical.as_bytes()).unwrap();
        // Integers beyond 2^53 become doubles; compare through the canonical form instead.
        prop_assert_eq!(canonicalize(&back), canonical);
    }

    #[test]
    fn any_object_signs_and_verifies(members in prop::collection::btree_map(any::<String>(), arb_json(), 0..6)) {
        let key = SecretKey::generate();
        let did = Did::from_public_key(&key.to_public());
        let mut doc: Map<String, Value> = members.into_iter().collect();
        doc.remove("proof");
        let doc = Value::Object(doc);
        let signed = add_proof(&doc, &key, &ProofOptions::for_did(&did, Timestamp::now().get())).unwrap();
        prop_assert!(verify_proof(&signed, None).is_ok());
        // And it survives a trip through the wire format.
        let wire = serde_json::to_vec_pretty(&signed).unwrap();
        prop_assert!(verify_proof(&parse(&wire).unwrap(), None).is_ok());
    }
}
