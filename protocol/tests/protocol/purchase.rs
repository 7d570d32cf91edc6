//! `Order`, the proof of purchase and the claims that cite it, against vectors of their
//! own (`tests/vectors/purchase/`): a vendor's signed offer, the person's signed
//! acceptance and three signed order updates made from fixed keys, ids and times, kept
//! as one bundle in its RFC 8785 form; a warranty claim citing it; and a bundle whose
//! updates go backwards, which must be refused.
//!
//! `PARLEY_WRITE_VECTORS=1 cargo test -p parley-protocol --test protocol purchase`
//! writes the files afresh; otherwise they must equal what this code makes, byte for byte.

use parley_protocol::time::macros::datetime;
use parley_protocol::time::OffsetDateTime;
use parley_protocol::{
    check_claim, digest_of, verify, Body, Did, LineItem, Message, MessageType, Money, Offer, OfferAcceptance,
    Order, OrderStatus, PurchaseBundle, PurchaseProof, SecretKey, SupportKind, SupportRequest, Timestamp,
    VerifyPolicy,
};
use serde_json::{json, Value};

use crate::{check_vectors, vector};

const WHEN: OffsetDateTime = datetime!(2026-12-03 10:00:00 UTC);
const INTENT: &str = "urn:uuid:1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b";
const QUOTE: &str = "urn:uuid:3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f";
const SERVICE: &str = "urn:uuid:4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a";

fn person() -> SecretKey {
    SecretKey::from_seed(&[0x11; 32])
}

fn vendor() -> SecretKey {
    SecretKey::from_seed(&[0x22; 32])
}

fn did(key: &SecretKey) -> Did {
    Did::from_public_key(&key.to_public())
}

fn at(minutes: i64) -> Timestamp {
    Timestamp::from(WHEN + parley_protocol::time::Duration::minutes(minutes))
}

fn price() -> Money {
    Money { amount: "79.90".into(), currency: "EUR".into() }
}

fn offer() -> Value {
    let body = Offer {
        intent: INTENT.parse().unwrap(),
        price: price(),
        text: "Kettle K2".into(),
        valid_until: None,
    };
    let mut m = Message::new(did(&vendor()), did(&person()), Body::Offer(body));
    m.id = "urn:uuid:5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b".parse().unwrap();
    m.created = at(0);
    m.thread = Some(INTENT.parse().unwrap());
    m.in_reply_to = m.thread;
    m.consent = Some(QUOTE.parse().unwrap());
    m.sign(&vendor()).unwrap().document().clone()
}

fn acceptance() -> Value {
    let body = OfferAcceptance { offer: offer()["id"].as_str().unwrap().parse().unwrap() };
    let mut m = Message::new(did(&person()), did(&vendor()), Body::OfferAcceptance(body));
    m.id = "urn:uuid:6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c".parse().unwrap();
    m.created = at(10);
    m.thread = Some(INTENT.parse().unwrap());
    m.consent = Some(QUOTE.parse().unwrap());
    m.sign(&person()).unwrap().document().clone()
}

fn update(n: u8, status: OrderStatus, minutes: i64) -> Value {
    let delivered = status == OrderStatus::Delivered;
    let body = Order {
        order: "A-1F2E3D4C".into(),
        offer: offer()["id"].as_str().unwrap().parse().unwrap(),
        status,
        tracking: (status != OrderStatus::Confirmed).then(|| "https://track.example/1Z999".into()),
        serial: delivered.then(|| "SN-K2-0042".into()),
        warranty_until: delivered.then(|| "2028-12-03".into()),
        items: vec![LineItem {
            what: "Kettle K2".into(),
            model: Some("K2".into()),
            quantity: 1,
            price: price(),
        }],
    };
    let mut m = Message::new(did(&vendor()), did(&person()), Body::Order(body));
    m.id = format!("urn:uuid:7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c{n:02x}").parse().unwrap();
    m.created = at(minutes);
    m.thread = Some(INTENT.parse().unwrap());
    m.in_reply_to = acceptance()["id"].as_str().unwrap().parse().ok();
    m.consent = Some(QUOTE.parse().unwrap());
    m.sign(&vendor()).unwrap().document().clone()
}

fn updates() -> Vec<Value> {
    vec![
        update(1, OrderStatus::Confirmed, 20),
        update(2, OrderStatus::Shipped, 60),
        update(3, OrderStatus::Delivered, 24 * 60),
    ]
}

fn bundle() -> PurchaseBundle {
    PurchaseBundle::new(offer(), acceptance(), updates())
}

fn claim() -> Value {
    let checked = bundle().check().unwrap();
    let body = SupportRequest {
        kind: SupportKind::WarrantyClaim,
        subject: "It stopped heating".into(),
        text: "After three weeks it no longer heats.".into(),
        product: None,
        purchase: Some(PurchaseProof {
            order: "A-1F2E3D4C".into(),
            signed_order: updates()[2].clone(),
            digests: checked.digests,
        }),
        contact: None,
    };
    let mut m = Message::new(did(&person()), did(&vendor()), Body::SupportRequest(body));
    m.id = "urn:uuid:8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e".parse().unwrap();
    m.created = at(30 * 24 * 60);
    m.consent = Some(SERVICE.parse().unwrap());
    m.sign(&person()).unwrap().document().clone()
}

/// Every vector file and what it must hold.
fn files() -> Vec<(&'static str, String)> {
    let mut backwards = updates();
    backwards.swap(1, 2);
    vec![
        ("bundle.json", bundle().to_canonical()),
        ("claim.json", serde_json::to_string_pretty(&claim()).unwrap() + "\n"),
        ("fail_backwards.json", PurchaseBundle::new(offer(), acceptance(), backwards).to_canonical()),
    ]
}

#[test]
fn vectors_are_what_this_code_makes() {
    check_vectors("purchase", files(), "orders or proofs of purchase");
}

#[test]
fn the_bundle_proves_one_purchase_offline() {
    let p = PurchaseBundle::verify(&vector("purchase/bundle.json")).unwrap();
    assert_eq!((&p.vendor, &p.person), (&did(&vendor()), &did(&person())));
    assert_eq!((p.order.order.as_str(), p.order.status), ("A-1F2E3D4C", OrderStatus::Delivered));
    assert_eq!(p.order.warranty_until.as_deref(), Some("2028-12-03"));
    assert_eq!(p.offer.price, price());
    assert_eq!(p.digests.len(), 5, "offer, acceptance and three updates");
    assert!(p.owned());
}

#[test]
fn a_bundle_with_any_byte_changed_is_refused() {
    let bytes = vector("purchase/bundle.json");
    for at in (0..bytes.len()).step_by(97) {
        let mut changed = bytes.clone();
        changed[at] = if changed[at] == b'a' { b'b' } else { b'a' };
        assert!(PurchaseBundle::verify(&changed).is_err(), "a change at byte {at} is refused");
    }
    let pretty = serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&bytes).unwrap()).unwrap();
    let err = PurchaseBundle::verify(&pretty).unwrap_err();
    assert!(err.to_string().contains("RFC 8785"), "{err}");
    let err = PurchaseBundle::verify(&vector("purchase/fail_backwards.json")).unwrap_err();
    assert!(err.to_string().contains("goes from delivered to shipped"), "{err}");
}

#[test]
fn a_bundle_of_someone_elses_acceptance_is_refused() {
    let stranger = SecretKey::from_seed(&[0x33; 32]);
    let mut m = Message::from_value(&acceptance()).unwrap();
    m.from = did(&stranger);
    let forged = m.sign(&stranger).unwrap().document().clone();
    let err = PurchaseBundle::new(offer(), forged, updates()).check().unwrap_err();
    assert!(err.to_string().contains("not between the offer's two parties"), "{err}");
    let err = PurchaseBundle::new(offer(), acceptance(), vec![]).check().unwrap_err();
    assert!(err.to_string().contains("no order update"), "{err}");
}

#[test]
fn the_claim_verifies_and_cites_the_vendors_own_order_to_its_sender() {
    let policy = VerifyPolicy::for_vendor(did(&vendor()), WHEN + parley_protocol::time::Duration::days(31));
    let claim = verify(&vector("purchase/claim.json"), &policy).unwrap();
    assert_eq!(claim.message_type(), MessageType::SupportRequest);
    let Body::SupportRequest(request) = &claim.body else { panic!("a support request") };
    assert_eq!(request.kind, SupportKind::WarrantyClaim);
    let proof = request.purchase.as_ref().unwrap();
    let order = check_claim(proof, &did(&vendor()), &claim.from).unwrap();
    assert_eq!(order.warranty_until.as_deref(), Some("2028-12-03"));
    assert!(proof.digests.contains(&digest_of(parley_protocol::jcs::canonicalize(&updates()[2]).as_bytes())));
    let someone = did(&SecretKey::from_seed(&[0x44; 32]));
    assert!(check_claim(proof, &did(&vendor()), &someone).unwrap_err().to_string().contains("someone else"));
    assert!(check_claim(proof, &someone, &claim.from)
        .unwrap_err()
        .to_string()
        .contains("not by this vendor"));
}

#[test]
fn order_statuses_only_move_forward() {
    use OrderStatus::*;
    let allowed = [
        (Confirmed, Shipped),
        (Confirmed, Delivered),
        (Shipped, Delivered),
        (Confirmed, Cancelled),
        (Shipped, Cancelled),
        (Delivered, Refunded),
    ];
    for a in OrderStatus::ALL {
        for b in OrderStatus::ALL {
            assert_eq!(a.may_become(b), allowed.contains(&(a, b)), "{} → {}", a.as_str(), b.as_str());
        }
    }
}

#[test]
fn order_and_claim_rules_are_kept() {
    let sign = |body: Body| Message::new(did(&vendor()), did(&person()), body).sign(&vendor());
    let Body::Order(good) = Message::from_value(&updates()[1]).unwrap().body else { panic!() };
    let mut plain = good.clone();
    plain.tracking = Some("http://track.example/1".into());
    assert!(sign(Body::Order(plain)).unwrap_err().to_string().contains("body.tracking"));
    let mut empty = good.clone();
    empty.items.clear();
    assert!(sign(Body::Order(empty)).unwrap_err().to_string().contains("body.items"));
    let mut none = good;
    none.items[0].quantity = 0;
    assert!(sign(Body::Order(none)).unwrap_err().to_string().contains("quantity"));

    let ask = |kind, purchase| {
        let body = SupportRequest {
            kind,
            subject: "s".into(),
            text: "t".into(),
            product: None,
            purchase,
            contact: None,
        };
        let mut m = Message::new(did(&person()), did(&vendor()), Body::SupportRequest(body));
        m.consent = Some(SERVICE.parse().unwrap());
        m.sign(&person())
    };
    assert!(ask(SupportKind::ReturnRequest, None)
        .unwrap_err()
        .to_string()
        .contains("cites the proof of purchase"));
    let proof =
        PurchaseProof { order: "A-1".into(), signed_order: json!({}), digests: vec![digest_of(b"x")] };
    assert!(ask(SupportKind::Question, Some(proof))
        .unwrap_err()
        .to_string()
        .contains("only a warranty claim"));
    let question = ask(SupportKind::Question, None).unwrap();
    assert!(question.document()["body"].get("kind").is_none(), "a plain question looks as before");
}
