//! The JSON Schemas of `parley_protocol::schema` against the code's own checks: every
//! valid message passes its schema, and a systematic corpus of broken ones (each member
//! removed, replaced by values of every kind, joined by an unknown one) is refused by
//! the schema exactly when `Message::from_value` refuses it, but for the rules the
//! schema says it cannot state.

use parley_protocol::schema::{message_schema_name, schemas};
use parley_protocol::time::{Duration, OffsetDateTime};
use parley_protocol::*;
use serde_json::{json, Value};

pub fn validator(kind: MessageType) -> jsonschema::Validator {
    let root = json!({
        "$ref": format!("#/components/schemas/{}", message_schema_name(kind)),
        "components": { "schemas": schemas() },
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("the {kind} schema compiles: {e}"))
}

fn did(key: &SecretKey) -> Did {
    Did::from_public_key(&key.to_public())
}

fn money(amount: &str) -> Money {
    Money { amount: amount.into(), currency: "EUR".into() }
}

fn product() -> ProductDetails {
    ProductDetails {
        name: "Kettle K2".into(),
        model: Some("K2".into()),
        serial: Some("SN-1".into()),
        purchased: Some("2026-01-05".into()),
        price: Some(money("49.90")),
        warranty_until: Some("2028-01-05".into()),
    }
}

/// One signed message of every type, every optional member filled in.
pub fn samples() -> Vec<Value> {
    let (person, vendor) = (SecretKey::generate(), SecretKey::generate());
    let order = Order {
        order: "A-1".into(),
        offer: MessageId::new(),
        status: OrderStatus::Delivered,
        tracking: Some("https://parcels.example/A-1".into()),
        serial: Some("SN-1".into()),
        warranty_until: Some("2028-01-05".into()),
        items: vec![LineItem {
            what: "Kettle".into(),
            model: Some("K2".into()),
            quantity: 1,
            price: money("49.90"),
        }],
    };
    let signed_order = Message::new(did(&vendor), did(&person), Body::Order(order.clone()))
        .sign(&vendor)
        .unwrap()
        .document()
        .clone();
    let to_vendor = vec![
        Body::ConsentGrant(ConsentGrant {
            agreement: AgreementId::SdBase,
            purpose: Purpose::Service,
            categories: vec![Category::Support, Category::Product],
            retention_days: 365,
            terms: Some("Only for repairs".into()),
        }),
        Body::ConsentRevocation(ConsentRevocation { reason: Some("Moved".into()) }),
        Body::Intent(Intent {
            what: "A kettle".into(),
            budget: Some(money("60")),
            by: Some("2026-12-24".into()),
            constraints: vec!["Steel".into()],
            contact: Some("me@example.org".into()),
        }),
        Body::Feedback(Feedback {
            about: FeedbackSubject::Product,
            score: 9,
            text: Some("Quick".into()),
            suggestions: vec!["Blue".into()],
            product: Some(product()),
            contact: Some("me@example.org".into()),
        }),
        Body::SupportRequest(SupportRequest {
            kind: SupportKind::WarrantyClaim,
            subject: "Leaks".into(),
            text: "It leaks".into(),
            product: Some(product()),
            purchase: Some(PurchaseProof {
                order: "A-1".into(),
                signed_order,
                digests: vec![format!("sha256:{}", "ab".repeat(32))],
            }),
            contact: Some("me@example.org".into()),
        }),
        Body::InboxQuery(InboxQuery { since: Some(Timestamp::now()) }),
        Body::OfferAcceptance(OfferAcceptance { offer: MessageId::new() }),
        Body::IntentWithdrawal(IntentWithdrawal { intent: MessageId::new() }),
        Body::AccessLogQuery(AccessLogQuery { after: Some(3) }),
    ];
    let to_person = vec![
        Body::Receipt(Receipt {
            message: MessageId::new(),
            digest: format!("sha256:{}", "0f".repeat(32)),
            status: ReceiptStatus::Accepted,
        }),
        Body::ConsentAgreement(ConsentAgreement {
            grant: ConsentId::new(),
            decision: Decision::Alternative,
            agreement: Some(AgreementId::SdBase),
            reason: Some("Not for AI".into()),
        }),
        Body::DeletionReceipt(DeletionReceipt {
            consent: ConsentId::new(),
            deleted: vec![MessageId::new()],
            completed: Timestamp::now(),
        }),
        Body::Offer(Offer {
            intent: MessageId::new(),
            price: money("55.00"),
            text: "The K2".into(),
            valid_until: Some("2026-12-31".into()),
        }),
        Body::Reply(Reply { text: "Sorry to hear".into() }),
        Body::Order(order),
    ];
    let mut out = Vec::new();
    for (body, key, other) in to_vendor
        .into_iter()
        .map(|b| (b, &person, &vendor))
        .chain(to_person.into_iter().map(|b| (b, &vendor, &person)))
    {
        let mut m = Message::new(did(key), did(other), body);
        m.expires = Some(Timestamp::from(OffsetDateTime::now_utc() + Duration::days(30)));
        m.thread = Some(MessageId::new());
        m.in_reply_to = Some(MessageId::new());
        m.consent = Some(ConsentId::new());
        out.push(m.sign(key).unwrap().document().clone());
    }
    out
}

fn kind_of(doc: &Value) -> MessageType {
    doc["type"].as_str().unwrap().parse().unwrap()
}

#[test]
fn every_valid_message_and_vector_passes_its_schema() {
    let mut docs = samples();
    for name in ["purchase/claim.json", "access-log/answer.json", "access-log/query.json"] {
        docs.push(serde_json::from_slice(&crate::vector(name)).unwrap());
    }
    let bundle: Value = serde_json::from_slice(&crate::vector("purchase/bundle.json")).unwrap();
    docs.push(bundle["offer"].clone());
    docs.push(bundle["acceptance"].clone());
    docs.extend(bundle["orders"].as_array().unwrap().iter().cloned());
    let mut seen = std::collections::BTreeSet::new();
    for doc in &docs {
        let kind = kind_of(doc);
        seen.insert(kind);
        let v = validator(kind);
        let errors: Vec<String> =
            v.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "a valid {kind} fails its schema: {errors:?}\n{doc:#}");
    }
    assert_eq!(seen.len(), MessageType::ALL.len(), "a sample of every type");
}

/// Values of every JSON kind and of the shapes the protocol's members take, valid and not.
fn replacements() -> Vec<Value> {
    let other = did(&SecretKey::generate()).to_string();
    let mut v = vec![
        json!(null),
        json!(true),
        json!(0),
        json!(1),
        json!(7),
        json!(-1),
        json!(11),
        json!(3651),
        json!(100001),
        json!(5.5),
        json!(""),
        json!(" "),
        json!("x"),
        json!("a".repeat(MAX_SHORT + 1)),
        json!("a".repeat(MAX_TEXT + 1)),
        json!("2026-12-01"),
        json!("2026-13-01"),
        json!("2026-02-30"),
        json!("2026-12-1"),
        json!("2026-12-01T10:00:00Z"),
        json!("2026-12-01T10:00:00+01:00"),
        json!("2026-12-01 10:00:00"),
        json!(MessageId::new().to_string()),
        json!(MessageId::new().to_string().to_uppercase()),
        json!("urn:uuid:not-a-uuid"),
        json!(other),
        json!("did:web:example.com"),
        json!(format!("{other}x")),
        json!({ "amount": "12.50", "currency": "EUR" }),
        json!({ "amount": "12.", "currency": "EUR" }),
        json!({ "amount": "12.50", "currency": "eur" }),
        json!({ "amount": 12.5, "currency": "EUR" }),
        json!({ "amount": "1", "currency": "EUR", "extra": 1 }),
        json!([]),
        json!(["x"]),
        json!([""]),
        json!(vec!["x"; MAX_ITEMS + 1]),
        json!(["intent", "intent"]),
        json!(["support", "contact"]),
        json!({}),
        json!({ "name": "K" }),
        json!({ "name": "" }),
        json!("https://parcels.example/1"),
        json!("http://parcels.example/1"),
        json!(format!("sha256:{}", "ab".repeat(32))),
        json!(format!("sha256:{}", "AB".repeat(32))),
        json!([format!("sha256:{}", "ab".repeat(32))]),
    ];
    for word in [
        "product",
        "vendor",
        "service",
        "quote",
        "improvement",
        "SD-BASE",
        "PDC-AI",
        "question",
        "warranty-claim",
        "return-request",
        "shipped",
        "delivered",
        "accepted",
        "alternative",
        "refused",
    ] {
        v.push(json!(word));
    }
    v.push(json!([{ "what": "Kettle", "quantity": 1, "price": { "amount": "1", "currency": "EUR" } }]));
    v.push(json!([{ "what": "Kettle", "quantity": 0, "price": { "amount": "1", "currency": "EUR" } }]));
    v
}

/// Every member path below `doc` (JSON pointers), outside the proof and the vendor's
/// verbatim signed order, which `Message::from_value` does not read.
fn paths(doc: &Value, at: String, out: &mut Vec<String>) {
    if at == "/proof" || at.ends_with("/signedOrder") {
        return;
    }
    match doc {
        // The proof is `verify`'s to check, and a missing one a bad proof (401), not a shape.
        Value::Object(m) => {
            m.iter().filter(|(k, _)| at.is_empty() && *k != "proof" || !at.is_empty()).for_each(|(k, v)| {
                let p = format!("{at}/{k}");
                out.push(p.clone());
                paths(v, p, out);
            })
        }
        Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| {
            let p = format!("{at}/{i}");
            out.push(p.clone());
            paths(v, p, out);
        }),
        _ => {}
    }
}

/// The objects of `doc` (pointers), where an unknown member can be added.
fn objects(doc: &Value, at: &str, out: &mut Vec<String>) {
    if at == "/proof" || at.ends_with("/signedOrder") {
        return;
    }
    match doc {
        Value::Object(m) => {
            out.push(at.to_owned());
            m.iter().for_each(|(k, v)| objects(v, &format!("{at}/{k}"), out));
        }
        Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| objects(v, &format!("{at}/{i}"), out)),
        _ => {}
    }
}

fn without(doc: &Value, pointer: &str) -> Value {
    let mut d = doc.clone();
    let (parent, last) = pointer.rsplit_once('/').unwrap();
    match d.pointer_mut(parent).unwrap() {
        Value::Object(m) => {
            m.remove(last);
        }
        Value::Array(a) => {
            a.remove(last.parse::<usize>().unwrap());
        }
        _ => unreachable!(),
    }
    d
}

/// Whether a refusal is for a rule the schemas say they cannot state
/// (`schema::UNSTATED_RULES`).
fn unstated(error: &MessageError) -> bool {
    let text = error.to_string();
    ["expires: must be later than created", "sender and recipient are the same DID", "body.head: "]
        .iter()
        .any(|rule| text.contains(rule))
}

#[test]
fn the_schemas_refuse_exactly_what_the_code_refuses() {
    let values = replacements();
    let mut checked = 0;
    let mut refused = 0;
    for sample in samples() {
        let kind = kind_of(&sample);
        let v = validator(kind);
        let mut cases: Vec<(String, Value)> = Vec::new();
        let mut members = Vec::new();
        paths(&sample, String::new(), &mut members);
        for p in &members {
            cases.push((format!("{p} removed"), without(&sample, p)));
            for value in &values {
                let mut d = sample.clone();
                *d.pointer_mut(p).unwrap() = value.clone();
                cases.push((format!("{p} = {value}"), d));
            }
        }
        let mut holders = Vec::new();
        objects(&sample, "", &mut holders);
        for o in holders {
            let mut d = sample.clone();
            d.pointer_mut(&o).unwrap().as_object_mut().unwrap().insert("extra".into(), json!("x"));
            cases.push((format!("{o}/extra added"), d));
        }
        for (what, doc) in cases {
            let code = Message::from_value(&doc);
            // A message of another type is its own schema's business, not this one's.
            let retyped = doc.get("type").and_then(Value::as_str).and_then(|t| t.parse::<MessageType>().ok());
            if retyped.is_some_and(|t| t != kind) {
                continue;
            }
            if matches!(&code, Err(e) if unstated(e)) {
                continue;
            }
            let schema_ok = v.is_valid(&doc);
            assert_eq!(
                schema_ok,
                code.is_ok(),
                "{kind} with {what}: the schema says {}, the code says {:?}",
                if schema_ok { "valid" } else { "invalid" },
                code.as_ref().err().map(ToString::to_string)
            );
            checked += 1;
            refused += usize::from(!schema_ok);
        }
    }
    assert!(checked > 5_000 && refused > checked / 2, "{checked} cases, {refused} refused");
}
