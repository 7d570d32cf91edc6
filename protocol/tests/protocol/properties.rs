//! Property tests: canonical form is a fixed point, parsing it loses nothing, any JSON
//! object signs and verifies, and `verify` refuses arbitrary or altered input with a
//! typed error rather than a panic (the seed of a fuzzing suite).

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

/// One signed feedback message from a person to a vendor, and the vendor's policy.
fn signed_feedback() -> (String, parley_protocol::VerifyPolicy) {
    use parley_protocol::{Body, ConsentId, Feedback, FeedbackSubject, Message, VerifyPolicy};
    let (person, vendor) = (SecretKey::generate(), SecretKey::generate());
    let vendor_did = Did::from_public_key(&vendor.to_public());
    let body = Body::Feedback(Feedback {
        about: FeedbackSubject::Vendor,
        score: 9,
        text: Some("Fixed in a day".into()),
        suggestions: vec![],
        product: None,
        contact: None,
    });
    let mut m = Message::new(Did::from_public_key(&person.to_public()), vendor_did.clone(), body);
    m.consent = Some(ConsentId::new());
    let signed = m.sign(&person).unwrap();
    let policy = VerifyPolicy::for_vendor(vendor_did, parley_protocol::time::OffsetDateTime::now_utc());
    (signed.canonical().to_owned(), policy)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// What a vendor receives is whatever anyone sends: any bytes get a typed refusal,
    /// never a panic.
    #[test]
    fn verify_refuses_arbitrary_bytes_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let (_, policy) = signed_feedback();
        prop_assert!(parley_protocol::verify(&bytes, &policy).is_err());
    }

    /// Any one byte of a signed message changed: refused, or (when the change is one
    /// JSON does not see, such as a space) the very same message and digest.
    #[test]
    fn a_message_with_one_byte_changed_is_refused_or_unchanged(at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let (canonical, policy) = signed_feedback();
        let mut bytes = canonical.clone().into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        if let Ok(verified) = parley_protocol::verify(&bytes, &policy) {
            prop_assert_eq!(verified.canonical(), canonical.as_str());
        }
    }

    /// Any member of a signed message, or of its body or proof, replaced by any JSON:
    /// refused with a typed error, never a panic, unless the value did not change.
    #[test]
    fn a_message_with_any_member_replaced_is_refused(
        place in 0usize..3, at in any::<prop::sample::Index>(), value in arb_json(),
    ) {
        let (canonical, policy) = signed_feedback();
        let mut doc: Value = serde_json::from_str(&canonical).unwrap();
        let target = match place {
            0 => &mut doc,
            1 => &mut doc["body"],
            _ => &mut doc["proof"],
        };
        let members = target.as_object_mut().unwrap();
        let name = members.keys().nth(at.index(members.len())).unwrap().clone();
        prop_assume!(members[&name] != value);
        members.insert(name, value);
        prop_assert!(parley_protocol::verify(doc.to_string().as_bytes(), &policy).is_err());
    }
}
