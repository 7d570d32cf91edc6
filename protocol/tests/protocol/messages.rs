//! v1 messages: sign → verify round trips and one test per refusal kind.

use parley_protocol::time::{Duration, OffsetDateTime};
use parley_protocol::{
    verify, verify_descriptor, AgreementId, Body, Category, ConsentGrant, ConsentId, Did, Endpoints,
    Feedback, FeedbackSubject, InboxQuery, Intent, Message, MessageType, Money, Purpose, Reply, SecretKey,
    Timestamp, VendorDescriptor, VerifyError, VerifyPolicy, PROTOCOL_V1,
};
use serde_json::{json, Value};

struct Parties {
    person: SecretKey,
    vendor: SecretKey,
}

impl Parties {
    fn new() -> Self {
        Self { person: SecretKey::generate(), vendor: SecretKey::generate() }
    }
    fn person_did(&self) -> Did {
        Did::from_public_key(&self.person.to_public())
    }
    fn vendor_did(&self) -> Did {
        Did::from_public_key(&self.vendor.to_public())
    }
    fn feedback(&self, score: u8) -> Message {
        let mut m = Message::new(
            self.person_did(),
            self.vendor_did(),
            Body::Feedback(Feedback {
                about: FeedbackSubject::Vendor,
                score,
                text: Some("Fixed in a day".into()),
                suggestions: vec!["Open on Saturdays".into()],
                product: None,
                contact: None,
            }),
        );
        m.consent = Some(ConsentId::new());
        m
    }
    fn policy(&self) -> VerifyPolicy {
        VerifyPolicy::for_vendor(self.vendor_did(), OffsetDateTime::now_utc())
    }
}

fn resign(doc: &Value, key: &SecretKey) -> Vec<u8> {
    let mut unsigned = doc.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let did = Did::from_public_key(&key.to_public());
    let options = parley_protocol::proof::ProofOptions::for_did(&did, OffsetDateTime::now_utc());
    serde_json::to_vec(&parley_protocol::proof::add_proof(&unsigned, key, &options).unwrap()).unwrap()
}

#[test]
fn signed_messages_verify_and_keep_their_digest() {
    let p = Parties::new();
    let signed = p.feedback(9).sign(&p.person).unwrap();
    let received = verify(signed.canonical().as_bytes(), &p.policy()).unwrap();
    assert_eq!(received.get(), signed.get());
    assert_eq!(received.digest(), signed.digest());
    assert_eq!(received.signer(), &p.person_did());
    assert_eq!(received.categories(), vec![Category::Feedback]);
    // Pretty-printed bytes carry the same message: the digest is of the canonical form.
    let pretty = serde_json::to_vec_pretty(signed.document()).unwrap();
    assert_eq!(verify(&pretty, &p.policy()).unwrap().digest(), signed.digest());
}

#[test]
fn every_v1_type_round_trips() {
    let p = Parties::new();
    let to_vendor = |body: Body| {
        let mut m = Message::new(p.person_did(), p.vendor_did(), body);
        m.consent = Some(ConsentId::new());
        m
    };
    let grant = Message::new(
        p.person_did(),
        p.vendor_did(),
        Body::ConsentGrant(ConsentGrant {
            agreement: AgreementId::SdBase,
            purpose: Purpose::Improvement,
            categories: vec![Category::Feedback, Category::Product],
            retention_days: 365,
            terms: None,
        }),
    );
    let intent = to_vendor(Body::Intent(Intent {
        what: "A kettle that boils 1.7 l".into(),
        budget: Some(Money { amount: "80.00".into(), currency: "EUR".into() }),
        by: Some("2027-01-31".into()),
        constraints: vec!["no plastic inside".into()],
        contact: None,
    }));
    let query = Message::new(p.person_did(), p.vendor_did(), Body::InboxQuery(InboxQuery { since: None }));
    for m in [grant, intent, query, p.feedback(0)] {
        let kind = m.message_type();
        let signed = m.sign(&p.person).unwrap();
        let back =
            verify(signed.canonical().as_bytes(), &p.policy()).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(back.get(), signed.get(), "{kind} survives the wire");
    }
    let mut reply =
        Message::new(p.vendor_did(), p.person_did(), Body::Reply(Reply { text: "Sorry!".into() }));
    reply.in_reply_to = Some(parley_protocol::MessageId::new());
    let signed = reply.sign(&p.vendor).unwrap();
    let policy = VerifyPolicy::for_person(p.person_did(), OffsetDateTime::now_utc());
    assert_eq!(verify(signed.canonical().as_bytes(), &policy).unwrap().message_type(), MessageType::Reply);
}

#[test]
fn each_refusal_has_its_kind() {
    let p = Parties::new();
    let good = p.feedback(7).sign(&p.person).unwrap();
    let doc = good.document().clone();
    let kind = |bytes: &[u8]| verify(bytes, &p.policy()).unwrap_err().kind();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut d = doc.clone();
        f(&mut d);
        serde_json::to_vec(&d).unwrap()
    };

    let mut small = p.policy();
    small.max_bytes = 100;
    assert!(matches!(verify(good.canonical().as_bytes(), &small), Err(VerifyError::TooLarge { .. })));
    assert_eq!(kind(b"{\"type\": "), "malformed-json");
    assert_eq!(kind(br#"{"a":1,"a":1}"#), "malformed-json");
    assert_eq!(kind(&with(&|d| d["type"] = json!("Complaint"))), "unknown-type");
    // A vendor does not take vendor→person types.
    assert_eq!(kind(&with(&|d| d["type"] = json!("Reply"))), "invalid-message", "Reply has a different body");

    // Invalid fields are named.
    let invalid = |f: &dyn Fn(&mut Value)| match verify(&with(f), &p.policy()) {
        Err(VerifyError::Invalid(i)) => i.field,
        other => panic!("expected invalid, got {other:?}"),
    };
    assert_eq!(invalid(&|d| d["body"]["score"] = json!(11)), "body.score");
    assert_eq!(invalid(&|d| d["body"]["score"] = json!(300)), "body.score");
    assert_eq!(invalid(&|d| d["id"] = json!("1234")), "id");
    assert_eq!(invalid(&|d| d["created"] = json!("yesterday")), "created");
    assert_eq!(invalid(&|d| d["body"]["tracking"] = json!("cookie")), "body.tracking");
    assert_eq!(
        invalid(&|d| {
            d.as_object_mut().unwrap().remove("consent");
        }),
        "consent"
    );
    assert_eq!(invalid(&|d| d["from"] = json!("did:web:example.com")), "from");

    let stranger = Did::from_public_key(&SecretKey::generate().to_public());
    assert_eq!(
        kind(&resign(&with(&|d| d["to"] = json!(stranger.to_string())).pipe(), &p.person)),
        "wrong-recipient"
    );

    let past = Timestamp::from(OffsetDateTime::now_utc() - Duration::hours(2));
    let earlier = Timestamp::from(OffsetDateTime::now_utc() - Duration::hours(3));
    let expired = with(&|d| {
        d["created"] = json!(earlier.to_string());
        d["expires"] = json!(past.to_string());
    });
    assert_eq!(kind(&resign(&expired.pipe(), &p.person)), "expired");
    let future = Timestamp::from(OffsetDateTime::now_utc() + Duration::hours(1));
    assert_eq!(
        kind(&resign(&with(&|d| d["created"] = json!(future.to_string())).pipe(), &p.person)),
        "not-yet-valid"
    );

    // Proof problems: tampered body, signed by someone else, stripped proof.
    assert_eq!(kind(&with(&|d| d["body"]["score"] = json!(10))), "bad-proof");
    assert_eq!(kind(&resign(&doc, &SecretKey::generate())), "bad-proof");
    assert_eq!(
        kind(&with(&|d| {
            d.as_object_mut().unwrap().remove("proof");
        })),
        "bad-proof"
    );
    assert_eq!(kind(&with(&|d| d["proof"]["created"] = json!("2020-01-01T00:00:00Z"))), "bad-proof");
}

trait Pipe {
    fn pipe(&self) -> Value;
}
impl Pipe for Vec<u8> {
    fn pipe(&self) -> Value {
        serde_json::from_slice(self).unwrap()
    }
}

#[test]
fn signing_refuses_invalid_messages_and_foreign_keys() {
    let p = Parties::new();
    assert!(p.feedback(11).sign(&p.person).is_err(), "score 11 is not on the 0–10 scale");
    assert!(p.feedback(5).sign(&p.vendor).is_err(), "a message is signed by its sender only");
}

#[test]
fn descriptors_are_self_signed() {
    let vendor = SecretKey::generate();
    let did = Did::from_public_key(&vendor.to_public());
    let descriptor = VendorDescriptor {
        protocol: PROTOCOL_V1.into(),
        name: "Acme Kettles".into(),
        did: did.clone(),
        endpoints: Endpoints {
            messages: "http://127.0.0.1:8080/parley/v1/messages".into(),
            inbox: "http://127.0.0.1:8080/parley/v1/inbox".into(),
            access_log: None,
        },
        accepts: vec![MessageType::ConsentGrant, MessageType::Feedback],
        agreements: vec![AgreementId::SdBase, AgreementId::SdBaseDp],
        terms: None,
        created: Timestamp::now(),
    };
    let signed = descriptor.clone().sign(&vendor).unwrap();
    let back = verify_descriptor(signed.canonical().as_bytes(), OffsetDateTime::now_utc()).unwrap();
    assert_eq!(back.get(), &descriptor);
    // Someone else's key over the same descriptor is refused.
    let forged = resign(signed.document(), &SecretKey::generate());
    assert_eq!(verify_descriptor(&forged, OffsetDateTime::now_utc()).unwrap_err().kind(), "bad-proof");
}

/// `doc` signed again by `key` with the given proof purpose and expiry.
fn resign_with(doc: &Value, key: &SecretKey, purpose: &str, expires: Option<OffsetDateTime>) -> Vec<u8> {
    let mut unsigned = doc.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let did = Did::from_public_key(&key.to_public());
    let mut options = parley_protocol::proof::ProofOptions::for_did(&did, OffsetDateTime::now_utc());
    options.proof_purpose = purpose.into();
    options.expires = expires;
    serde_json::to_vec(&parley_protocol::proof::add_proof(&unsigned, key, &options).unwrap()).unwrap()
}

#[test]
fn proof_past_its_expiry_is_refused() {
    let p = Parties::new();
    let signed = p.feedback(9).sign(&p.person).unwrap();
    let an_hour_ago = OffsetDateTime::now_utc() - Duration::hours(1);
    let stale = resign_with(signed.document(), &p.person, "assertionMethod", Some(an_hour_ago));
    assert_eq!(verify(&stale, &p.policy()).unwrap_err().kind(), "expired", "the proof's expires is enforced");
    let tomorrow = OffsetDateTime::now_utc() + Duration::days(1);
    let fresh = resign_with(signed.document(), &p.person, "assertionMethod", Some(tomorrow));
    assert!(verify(&fresh, &p.policy()).is_ok(), "an expiry still ahead is fine");
}

#[test]
fn descriptor_proof_must_be_an_unexpired_assertion() {
    let vendor = SecretKey::generate();
    let did = Did::from_public_key(&vendor.to_public());
    let descriptor = VendorDescriptor {
        protocol: PROTOCOL_V1.into(),
        name: "Acme Kettles".into(),
        did,
        endpoints: Endpoints {
            messages: "https://acme.example/parley/v1/messages".into(),
            inbox: "https://acme.example/parley/v1/inbox".into(),
            access_log: Some("https://acme.example/parley/v1/access-log".into()),
        },
        accepts: vec![MessageType::Feedback],
        agreements: vec![AgreementId::SdBase],
        terms: None,
        created: Timestamp::now(),
    };
    let signed = descriptor.sign(&vendor).unwrap();
    let now = OffsetDateTime::now_utc();
    let other_purpose = resign_with(signed.document(), &vendor, "authentication", None);
    let err = verify_descriptor(&other_purpose, now).unwrap_err();
    assert_eq!(err.kind(), "bad-proof", "{err}");
    let stale = resign_with(signed.document(), &vendor, "assertionMethod", Some(now - Duration::minutes(1)));
    assert_eq!(verify_descriptor(&stale, now).unwrap_err().kind(), "expired");
}

#[test]
fn a_data_integrity_context_is_accepted_and_covered_by_the_proof() {
    let p = Parties::new();
    let mut m = p.feedback(9);
    m.context = Some(parley_protocol::Context::data_integrity());
    let signed = m.sign(&p.person).unwrap();
    assert_eq!(signed.document()["@context"], json!(["https://w3id.org/security/data-integrity/v2"]));
    assert_eq!(
        signed.document()["proof"]["@context"],
        signed.document()["@context"],
        "per eddsa-jcs-2022 §3.3.5"
    );
    let received = verify(signed.canonical().as_bytes(), &p.policy()).unwrap();
    assert_eq!(received.context, signed.context, "kept as signed");

    // Changing the context after signing breaks the proof; the proof's context must lead.
    let mut doc = signed.document().clone();
    doc["@context"] = json!(["https://www.w3.org/ns/credentials/v2"]);
    assert_eq!(verify(&serde_json::to_vec(&doc).unwrap(), &p.policy()).unwrap_err().kind(), "bad-proof");
}

#[test]
fn contexts_parley_cannot_read_as_plain_json_are_refused() {
    let p = Parties::new();
    let signed = p.feedback(9).sign(&p.person).unwrap();
    for (context, why) in [
        (json!(["https://example.org/my-vocabulary"]), "an unknown vocabulary first"),
        (json!([{"@vocab": "https://example.org/"}]), "an inline context"),
        (json!([]), "an empty list"),
        (json!(42), "not a URL"),
    ] {
        let mut doc = signed.document().clone();
        doc.as_object_mut().unwrap().remove("proof");
        doc["@context"] = context;
        let again = resign(&doc, &p.person);
        let err = verify(&again, &p.policy()).unwrap_err();
        assert_eq!(err.kind(), "invalid-message", "{why}: {err}");
        assert!(err.to_string().contains("@context"), "{err}");
    }
}

#[test]
fn a_body_or_member_spelled_as_an_array_of_its_members_is_refused() {
    let p = Parties::new();
    let signed = p.feedback(9).sign(&p.person).unwrap();
    let mut doc = signed.document().clone();
    doc["body"] = json!(["vendor", 9]);
    let err = Message::from_value(&doc).unwrap_err().to_string();
    assert!(err.contains("body: must be a JSON object, not an array"), "{err}");
    let mut doc = signed.document().clone();
    doc["body"]["about"] = json!("product");
    doc["body"]["product"] = json!(["Kettle"]);
    let err = Message::from_value(&doc).unwrap_err().to_string();
    assert!(err.contains("body.product: must be a JSON object"), "{err}");
    doc["body"]["product"] = json!({ "name": "Kettle" });
    assert!(Message::from_value(&doc).is_ok());
}
