//! The OpenAPI document against the running endpoint: complete (every operation lists the
//! statuses every route can answer, every reference resolves), every documented
//! operation probed anonymously and as an admin with bodies of every kind of wrong, and
//! the message schemas against the endpoint's own checks: a message is refused for its
//! shape exactly when the document's schema refuses it. (Every other test of this suite
//! checks each answer it gets against the document too: see `common::answers_match_the_contract`.)

use parley_protocol::proof::{add_proof, ProofOptions};
use parley_protocol::time::OffsetDateTime;
use parley_protocol::{
    AccessLogQuery, AgreementId, Body, Category, ConsentGrant, ConsentRevocation, Feedback, FeedbackSubject,
    InboxQuery, Intent, IntentWithdrawal, Message, MessageId, Money, OfferAcceptance, ProductDetails,
    Purpose, SupportRequest, MAX_SHORT,
};
use parley_vendor::store::staff::Role;
use serde_json::{json, Value};

use crate::common::{Db, Person, TestVendor};
use crate::console::{client, staff, Console};

/// A validator for the schema `schema` of the served document `doc`.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    root["components"] = doc["components"].clone();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("the schema compiles: {e}"))
}

async fn served(v: &TestVendor) -> Value {
    client().get(format!("{}/parley/v1/openapi.json", v.url)).send().await.unwrap().json().await.unwrap()
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), op.clone()));
        }
    }
    out
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| match (k.as_str(), v) {
            ("$ref", Value::String(r)) => out.push(r.clone()),
            _ => refs(v, out),
        }),
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_lists_what_every_route_can_answer() {
    let v = TestVendor::start(Db::Sqlite).await;
    let doc = served(&v).await;
    assert_eq!(&doc, parley_vendor::contract::document(), "the endpoint serves the document");
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 100, "the schemas are referenced: {}", all.len());
    for r in all {
        let pointer = r.strip_prefix('#').expect("local references only");
        assert!(doc.pointer(pointer).is_some(), "{r} resolves");
    }
    for (method, path, op) in operations(&doc) {
        let responses = &op["responses"];
        for status in ["408", "503"] {
            assert!(responses[status].is_object(), "{method} {path} lists {status}");
        }
        if op.get("requestBody").is_some() {
            for status in ["400", "413", "415"] {
                assert!(responses[status].is_object(), "{method} {path} lists {status}");
            }
        }
        for (status, response) in responses.as_object().unwrap() {
            if status.as_str() >= "400" {
                let content = &response["content"];
                assert!(
                    content["application/problem+json"]["schema"]["$ref"] == "#/components/schemas/Problem"
                        || content.get("text/html").is_some(),
                    "{method} {path} {status} is a problem document: {response}"
                );
            }
        }
    }
    let messages = &doc["paths"]["/parley/v1/messages"]["post"];
    let taken = &messages["requestBody"]["content"]["application/json"]["schema"]["oneOf"];
    assert_eq!(taken.as_array().map(Vec::len), Some(7), "the seven person→vendor messages: {taken}");
    assert_eq!(
        doc["paths"]["/parley/v1/inbox"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/InboxQuery"
    );
    let inbox_400 =
        doc["paths"]["/parley/v1/inbox"]["post"]["responses"]["400"]["description"].as_str().unwrap();
    assert!(inbox_400.contains("malformed-json"), "{inbox_400}");
}

/// Every documented operation, anonymously and as a signed-in admin, with no body, a
/// body of the wrong type, too large, not JSON, and an empty object: none answers 405 or
/// "no such resource", and (checked when the vendor drops) every answer is listed.
#[tokio::test]
async fn every_operation_answers_only_what_it_lists() {
    let v = TestVendor::start(Db::Sqlite).await;
    staff(&v, "admin@acme.example", Role::Admin).await;
    let admin = Console::sign_in(&v, "admin@acme.example").await;
    let doc = served(&v).await;
    let http = client();
    let mut probes = 0;
    for (method, path, op) in operations(&doc) {
        let mut url = format!(
            "{}{}",
            v.url,
            path.replace("{id}", "nope").replace("{delivery}", "1").replace("{name}", "nope")
        );
        // Query parameters, each given a value of the wrong kind (a word where a number,
        // a date or a flag is wanted).
        let junk: Vec<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .map(|p| format!("{}=x%20y", p["name"].as_str().unwrap()))
            .collect();
        if !junk.is_empty() {
            url = format!("{url}?{}", junk.join("&"));
        }
        let method: reqwest::Method = method.to_uppercase().parse().unwrap();
        let json_body = op["requestBody"]["content"].get("application/json").is_some();
        let bodies: Vec<Option<(&str, Vec<u8>)>> = vec![
            None,
            Some(("text/plain", b"hello".to_vec())),
            Some(("application/json", vec![b' '; 70 * 1024])),
            Some(("application/json", b"{\"a\":".to_vec())),
            Some(("application/json", b"{}".to_vec())),
            Some(("application/x-www-form-urlencoded", b"email=x".to_vec())),
        ];
        for signed_in in [false, true] {
            // Signing out would end the probe's session; it is probed anonymously.
            if signed_in && path == "/console/logout" {
                continue;
            }
            for body in &bodies {
                let mut req = http.request(method.clone(), &url);
                if signed_in {
                    req = admin.authorise(req);
                }
                if let Some((content_type, bytes)) = body {
                    req = req.header("content-type", *content_type).body(bytes.clone());
                }
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                assert_ne!(status, 405, "{method} {path} is routed");
                assert!(!text.contains("no such resource"), "{method} {path} is routed: {text}");
                probes += 1;
                if json_body && signed_in && *body == Some(("text/plain", b"hello".to_vec())) && status != 404
                {
                    assert_eq!(status, 415, "{method} {path} refuses a body that is not JSON: {text}");
                }
            }
        }
    }
    assert!(probes > 300, "{probes} probes");
}

fn resign(doc: &Value, p: &Person) -> Vec<u8> {
    let mut unsigned = doc.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let options = ProofOptions::for_did(&p.did(), OffsetDateTime::now_utc());
    serde_json::to_vec(&add_proof(&unsigned, &p.key, &options).unwrap()).unwrap()
}

fn money() -> Money {
    Money { amount: "49.90".into(), currency: "EUR".into() }
}

/// A valid message of each type a route takes, with its optional members.
fn requests(p: &Person, consent: parley_protocol::ConsentId) -> Vec<(&'static str, Message)> {
    let product = ProductDetails { name: "Kettle".into(), model: Some("K2".into()), ..Default::default() };
    let bodies = vec![
        (
            "/parley/v1/messages",
            Body::ConsentGrant(ConsentGrant {
                agreement: AgreementId::SdBase,
                purpose: Purpose::Service,
                categories: vec![Category::Support, Category::Product],
                retention_days: 30,
                terms: Some("Repairs only".into()),
            }),
        ),
        ("/parley/v1/messages", Body::ConsentRevocation(ConsentRevocation { reason: Some("Moved".into()) })),
        (
            "/parley/v1/messages",
            Body::Intent(Intent {
                what: "A kettle".into(),
                budget: Some(money()),
                by: Some("2027-01-01".into()),
                constraints: vec!["Steel".into()],
                contact: None,
            }),
        ),
        (
            "/parley/v1/messages",
            Body::Feedback(Feedback {
                about: FeedbackSubject::Product,
                score: 3,
                text: Some("Leaks".into()),
                suggestions: vec!["Better seals".into()],
                product: Some(product.clone()),
                contact: None,
            }),
        ),
        (
            "/parley/v1/messages",
            Body::SupportRequest(SupportRequest {
                kind: Default::default(),
                subject: "Leak".into(),
                text: "It leaks".into(),
                product: Some(product),
                purchase: None,
                contact: Some("me@example.org".into()),
            }),
        ),
        ("/parley/v1/messages", Body::OfferAcceptance(OfferAcceptance { offer: MessageId::new() })),
        ("/parley/v1/messages", Body::IntentWithdrawal(IntentWithdrawal { intent: MessageId::new() })),
        ("/parley/v1/inbox", Body::InboxQuery(InboxQuery { since: None })),
        ("/parley/v1/access-log", Body::AccessLogQuery(AccessLogQuery { after: Some(0) })),
    ];
    bodies
        .into_iter()
        .map(|(route, body)| {
            let needs = Message::new(p.did(), p.vendor.clone(), body.clone()).requires_consent();
            (route, p.message(body, needs.then_some(consent)))
        })
        .collect()
}

fn replacements() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!(-1),
        json!(11),
        json!(5.5),
        json!(""),
        json!(" "),
        json!("a".repeat(MAX_SHORT + 1)),
        json!("2026-13-01"),
        json!("2026-12-01T10:00:00Z"),
        json!(MessageId::new().to_string()),
        json!("did:web:example.com"),
        json!({ "amount": "1.", "currency": "EUR" }),
        json!([]),
        json!([""]),
        json!({}),
        json!("service"),
        json!("Receipt"),
        json!("warranty-claim"),
    ]
}

fn members(doc: &Value, at: String, out: &mut Vec<String>) {
    if let Value::Object(m) = doc {
        for (k, v) in m {
            if at.is_empty() && k == "proof" {
                continue;
            }
            let p = format!("{at}/{k}");
            out.push(p.clone());
            members(v, p, out);
        }
    }
}

/// The endpoint refuses a message for its shape exactly when the document's schema for
/// that route refuses it, but for the rules the schemas say they do not state.
#[tokio::test]
async fn messages_are_refused_for_their_shape_exactly_when_the_schema_refuses_them() {
    let v = TestVendor::start(Db::Sqlite).await;
    let doc = served(&v).await;
    let p = Person::new(&v);
    let consent = p.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
    let mut checked = 0;
    let mut refused_for_shape = 0;
    for (route, message) in requests(&p, consent) {
        let op = &doc["paths"][route]["post"];
        let schema = validator(&doc, &op["requestBody"]["content"]["application/json"]["schema"]);
        let answer_schema = validator(&doc, &op["responses"]["200"]["content"]["application/json"]["schema"]);
        let valid = p.sign(message).document().clone();
        let mut cases = vec![("as it is".to_owned(), valid.clone())];
        let mut paths = Vec::new();
        members(&valid, String::new(), &mut paths);
        for path in &paths {
            let mut removed = valid.clone();
            let (parent, last) = path.rsplit_once('/').unwrap();
            removed.pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(last);
            cases.push((format!("{path} removed"), removed));
            for value in replacements() {
                let mut d = valid.clone();
                *d.pointer_mut(path).unwrap() = value.clone();
                cases.push((format!("{path} = {value}"), d));
            }
            if let Some(object) = valid.pointer(path).filter(|x| x.is_object()) {
                let mut d = valid.clone();
                let mut extended = object.clone();
                extended["extra"] = json!(1);
                *d.pointer_mut(path).unwrap() = extended;
                cases.push((format!("{path}/extra added"), d));
            }
        }
        for (what, doc) in cases {
            let (status, answer) = v.post_raw(route, resign(&doc, &p)).await;
            let kind =
                answer["type"].as_str().unwrap_or("").trim_start_matches("urn:parley:problem:").to_owned();
            let detail = answer["detail"].as_str().unwrap_or("");
            let for_shape = ["malformed-json", "unknown-type", "invalid-message"].contains(&kind.as_str());
            let unstated = ["expires: must be later than created", "sender and recipient are the same DID"]
                .iter()
                .any(|rule| detail.contains(rule));
            if unstated {
                continue;
            }
            assert_eq!(
                schema.is_valid(&doc),
                !for_shape,
                "{route} with {what}: the endpoint answered {status} {answer}"
            );
            if status == 200 {
                let errors: Vec<String> = answer_schema.iter_errors(&answer).map(|e| e.to_string()).collect();
                assert!(errors.is_empty(), "{route}: the answer fits the document: {errors:?}\n{answer:#}");
            }
            checked += 1;
            refused_for_shape += usize::from(for_shape);
        }
    }
    assert!(
        checked > 1_000 && refused_for_shape > checked / 2,
        "{checked} cases, {refused_for_shape} refused"
    );
}
