//! Parley's fuzz targets. Each takes any bytes, must not panic, and checks what must
//! hold of whatever it is given:
//!
//! - [`verify_bytes`]: `verify` on raw bytes, as a vendor and as a person; what verifies
//!   once verifies again from its canonical form, as the same message.
//! - [`verify_message`]: structured — a message built from the bytes is signed and must
//!   verify as itself; a byte of it changed must not verify as anything else.
//! - [`jcs`]: the RFC 8785 canonicaliser; its output parses, and is its own canonical form.
//! - [`vendor_request`]: the vendor's HTTP handling of a message route, content type and
//!   body from the bytes: never a 5xx, every refusal a problem document.
//!
//! `scripts/fuzz.sh` runs them under AFL++ (`cargo afl`); `tests/regressions.rs` replays
//! every input in `regressions/<target>/` (each one a crash the fuzzer once found) and
//! the seeds.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use parley_protocol::time::{Duration, OffsetDateTime};
use parley_protocol::*;
use serde_json::Value;

/// The targets, by the name of their folder under `regressions/` and their binary.
pub const TARGETS: [&str; 4] = ["verify_bytes", "verify_message", "jcs", "vendor_request"];

/// Runs target `name` on `data`.
pub fn run(name: &str, data: &[u8]) {
    match name {
        "verify_bytes" => verify_bytes(data),
        "verify_message" => verify_message(data),
        "jcs" => jcs(data),
        "vendor_request" => vendor_request(data),
        other => panic!("no fuzz target {other:?}"),
    }
}

/// The vendor's and the person's keys: fixed, so seeds address the fuzzed vendor.
fn vendor_key() -> SecretKey {
    SecretKey::from_seed(&[0x56; 32])
}

fn person_key() -> SecretKey {
    SecretKey::from_seed(&[0x50; 32])
}

fn did(key: &SecretKey) -> Did {
    Did::from_public_key(&key.to_public())
}

/// When the seeds were made; the fuzzed `verify` runs a day later, so nothing is in
/// the future and only messages with an `expires` can have expired.
fn seeded_at() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_796_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn policies(now: OffsetDateTime) -> [VerifyPolicy; 2] {
    [VerifyPolicy::for_vendor(did(&vendor_key()), now), VerifyPolicy::for_person(did(&person_key()), now)]
}

/// `verify` on any bytes.
pub fn verify_bytes(data: &[u8]) {
    for policy in policies(seeded_at() + Duration::days(1)) {
        if let Ok(m) = verify(data, &policy) {
            let again = verify(m.canonical().as_bytes(), &policy)
                .unwrap_or_else(|e| panic!("a verified message's canonical form verifies: {e}"));
            assert_eq!(again.get(), m.get(), "the canonical form is the same message");
            assert_eq!(again.digest(), m.digest(), "and has the same digest");
        }
    }
}

/// A message built from the bytes, signed, verified, then changed by one byte.
pub fn verify_message(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(m) = message(&mut u) else { return };
    let key = if m.message_type().direction() == Direction::ToVendor { person_key() } else { vendor_key() };
    let as_json = m.to_value();
    let signed = match m.clone().sign(&key) {
        Ok(signed) => signed,
        Err(e) => {
            // What cannot be signed for breaking a rule is refused when received, too.
            assert!(Message::from_value(&as_json).is_err(), "signing refused ({e}) what reading accepts");
            return;
        }
    };
    let policy = match m.message_type().direction() {
        Direction::ToVendor => VerifyPolicy::for_vendor(m.to.clone(), m.created.get()),
        Direction::ToPerson => VerifyPolicy::for_person(m.to.clone(), m.created.get()),
    };
    let received = verify(signed.canonical().as_bytes(), &policy)
        .unwrap_or_else(|e| panic!("a message just signed verifies: {e}\n{}", signed.canonical()));
    assert_eq!(received.get(), &m, "it arrives as it was sent");
    let mut bytes = signed.canonical().as_bytes().to_vec();
    let (Ok(at), Ok(to)) = (u.choose_index(bytes.len()), u8::arbitrary(&mut u)) else { return };
    if bytes[at] == to {
        return;
    }
    bytes[at] = to;
    if let Ok(changed) = verify(&bytes, &policy) {
        assert_eq!(changed.get(), &m, "a changed byte verifies only as the same message");
    }
}

fn text(u: &mut Unstructured) -> arbitrary::Result<String> {
    String::arbitrary(u)
}

fn opt_text(u: &mut Unstructured) -> arbitrary::Result<Option<String>> {
    Option::<String>::arbitrary(u)
}

fn money(u: &mut Unstructured) -> arbitrary::Result<Money> {
    Ok(Money { amount: text(u)?, currency: text(u)? })
}

fn id(u: &mut Unstructured) -> arbitrary::Result<MessageId> {
    Ok(MessageId::from(uuid::Uuid::from_bytes(<[u8; 16]>::arbitrary(u)?)))
}

fn message(u: &mut Unstructured) -> arbitrary::Result<Message> {
    let product = |u: &mut Unstructured| -> arbitrary::Result<Option<ProductDetails>> {
        if bool::arbitrary(u)? {
            return Ok(None);
        }
        Ok(Some(ProductDetails {
            name: text(u)?,
            model: opt_text(u)?,
            serial: opt_text(u)?,
            purchased: opt_text(u)?,
            price: if bool::arbitrary(u)? { Some(money(u)?) } else { None },
            warranty_until: opt_text(u)?,
        }))
    };
    let body = match u.choose_index(9)? {
        0 => Body::ConsentGrant(ConsentGrant {
            agreement: *u.choose(&AgreementId::ALL)?,
            purpose: *u.choose(&Purpose::ALL)?,
            categories: (0..u.choose_index(4)?)
                .map(|_| u.choose(&Category::ALL).copied())
                .collect::<Result<_, _>>()?,
            retention_days: u32::arbitrary(u)? % 4000,
            terms: opt_text(u)?,
        }),
        1 => Body::Feedback(Feedback {
            about: if bool::arbitrary(u)? { FeedbackSubject::Product } else { FeedbackSubject::Vendor },
            score: u8::arbitrary(u)? % 12,
            text: opt_text(u)?,
            suggestions: Vec::<String>::arbitrary(u)?,
            product: product(u)?,
            contact: opt_text(u)?,
        }),
        2 => Body::SupportRequest(SupportRequest {
            kind: *u.choose(&SupportKind::ALL)?,
            subject: text(u)?,
            text: text(u)?,
            product: product(u)?,
            purchase: None,
            contact: opt_text(u)?,
        }),
        3 => Body::Intent(Intent {
            what: text(u)?,
            budget: if bool::arbitrary(u)? { Some(money(u)?) } else { None },
            by: opt_text(u)?,
            constraints: Vec::<String>::arbitrary(u)?,
            contact: opt_text(u)?,
        }),
        4 => Body::ConsentRevocation(ConsentRevocation { reason: opt_text(u)? }),
        5 => Body::OfferAcceptance(OfferAcceptance { offer: id(u)? }),
        6 => Body::Reply(Reply { text: text(u)? }),
        7 => {
            Body::Offer(Offer { intent: id(u)?, price: money(u)?, text: text(u)?, valid_until: opt_text(u)? })
        }
        _ => Body::Order(Order {
            order: text(u)?,
            offer: id(u)?,
            status: *u.choose(&OrderStatus::ALL)?,
            tracking: opt_text(u)?,
            serial: opt_text(u)?,
            warranty_until: opt_text(u)?,
            items: (0..u.choose_index(3)?)
                .map(|_| {
                    Ok(LineItem {
                        what: text(u)?,
                        model: opt_text(u)?,
                        quantity: u32::arbitrary(u)?,
                        price: money(u)?,
                    })
                })
                .collect::<arbitrary::Result<_>>()?,
        }),
    };
    let (from, to) = match body.message_type().direction() {
        Direction::ToVendor => (did(&person_key()), did(&vendor_key())),
        Direction::ToPerson => (did(&vendor_key()), did(&person_key())),
    };
    let mut m = Message::new(from, to, body);
    m.created = Timestamp::from(seeded_at() + Duration::seconds(i64::from(u16::arbitrary(u)?)));
    if bool::arbitrary(u)? {
        m.expires = Some(Timestamp::from(m.created.get() + Duration::seconds(i64::from(i16::arbitrary(u)?))));
    }
    m.thread = if bool::arbitrary(u)? { Some(id(u)?) } else { None };
    m.in_reply_to = if bool::arbitrary(u)? { Some(id(u)?) } else { None };
    m.consent = if bool::arbitrary(u)? { Some(id(u)?.into()) } else { None };
    Ok(m)
}

/// The canonicaliser on any bytes.
pub fn jcs(data: &[u8]) {
    let Ok(value) = jcs::parse(data) else {
        assert!(jcs::canonicalize_bytes(data).is_err(), "canonicalize_bytes accepts what parse refuses");
        return;
    };
    let canonical = jcs::canonicalize(&value);
    assert_eq!(
        jcs::canonicalize_bytes(data).ok().as_deref(),
        Some(canonical.as_bytes()),
        "canonicalize_bytes is parse then canonicalize"
    );
    let again = jcs::parse(canonical.as_bytes())
        .unwrap_or_else(|e| panic!("the canonical form parses: {e}\n{canonical}"));
    assert_eq!(jcs::canonicalize(&again), canonical, "the canonical form is its own canonical form");
    let plain: Value = serde_json::from_str(&canonical).expect("the canonical form is JSON");
    assert_eq!(jcs::canonicalize(&plain), canonical, "and reads the same with serde_json");
}

/// The content types the vendor request target picks from by its first byte.
const CONTENT_TYPES: [&str; 6] = [
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON ; q=1",
    "text/plain",
    "",
    "application/problem+json",
];

/// The routes the vendor request target picks from by its second byte.
const ROUTES: [&str; 3] = ["/parley/v1/messages", "/parley/v1/inbox", "/parley/v1/access-log"];

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    _dir: tempfile::TempDir,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let key = vendor_key();
        let vendor = parley_vendor::Vendor {
            config: parley_vendor::VendorConfig {
                name: "Fuzzed Kettles".into(),
                did: did(&key),
                agreements: vec![AgreementId::SdBase, AgreementId::PdcIntent],
                terms: None,
            },
            key,
            dir: dir.path().to_owned(),
        };
        let url = vendor.default_database_url();
        let router = runtime.block_on(async {
            let store = parley_vendor::Store::connect(&url).await.expect("the vendor's store opens");
            let endpoint = parley_vendor::endpoint(vendor, store, "http://127.0.0.1:9").expect("an endpoint");
            parley_vendor::routes::router(endpoint)
        });
        Harness { runtime, router, _dir: dir }
    })
}

/// One POST to a message route of a vendor: never a 5xx, every refusal a problem
/// document that says what was wrong, every acceptance JSON.
pub fn vendor_request(data: &[u8]) {
    use tower::ServiceExt;
    let (content_type, route, body) = match data {
        [c, r, body @ ..] => {
            (CONTENT_TYPES[*c as usize % CONTENT_TYPES.len()], ROUTES[*r as usize % ROUTES.len()], body)
        }
        _ => return,
    };
    let h = harness();
    let mut request = axum::http::Request::post(route);
    if !content_type.is_empty() {
        request = request.header("content-type", content_type);
    }
    let Ok(request) = request.body(axum::body::Body::from(body.to_vec())) else { return };
    let (status, headers, answer) = h.runtime.block_on(async {
        let response = h.router.clone().oneshot(request).await.expect("the router answers");
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 24).await.expect("the answer is readable");
        (parts.status, parts.headers, bytes)
    });
    assert!(status.as_u16() < 500, "{route} answered {status}: {}", String::from_utf8_lossy(&answer));
    let answer: Value = serde_json::from_slice(&answer).expect("every answer is JSON");
    if status.as_u16() >= 400 {
        assert_eq!(headers.get("content-type").map(|v| v.as_bytes()), Some(&b"application/problem+json"[..]));
        assert!(answer["detail"].as_str().is_some_and(|d| !d.is_empty()), "a refusal says why: {answer}");
    }
}

/// Each target's starting inputs: (target, file name, bytes).
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let (person, vendor) = (person_key(), vendor_key());
    let sign =
        |m: Message, key: &SecretKey| m.sign(key).map(|s| s.canonical().to_owned()).unwrap_or_default();
    let to_vendor = |body: Body, consent: Option<ConsentId>| {
        let mut m = Message::new(did(&person), did(&vendor), body);
        m.created = Timestamp::from(seeded_at());
        m.consent = consent;
        sign(m, &person)
    };
    let grant = {
        let mut m = Message::new(
            did(&person),
            did(&vendor),
            Body::ConsentGrant(ConsentGrant {
                agreement: AgreementId::SdBase,
                purpose: Purpose::Service,
                categories: vec![Category::Feedback, Category::Support, Category::Product],
                retention_days: 30,
                terms: None,
            }),
        );
        m.created = Timestamp::from(seeded_at());
        m
    };
    let consent: ConsentId = grant.id.into();
    let product = ProductDetails { name: "Kettle".into(), model: Some("K2".into()), ..Default::default() };
    let messages = [
        sign(grant, &person),
        to_vendor(
            Body::Feedback(Feedback {
                about: FeedbackSubject::Product,
                score: 4,
                text: Some("Leaks \u{1F4A7} \"badly\"".into()),
                suggestions: vec!["Seals".into()],
                product: Some(product.clone()),
                contact: None,
            }),
            Some(consent),
        ),
        to_vendor(
            Body::SupportRequest(SupportRequest {
                kind: SupportKind::Question,
                subject: "Leak".into(),
                text: "Since Monday".into(),
                product: Some(product),
                purchase: None,
                contact: Some("me@example.org".into()),
            }),
            Some(consent),
        ),
        to_vendor(Body::InboxQuery(InboxQuery { since: None }), None),
        to_vendor(Body::ConsentRevocation(ConsentRevocation { reason: None }), Some(consent)),
    ];
    let mut out = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        out.push(("verify_bytes", format!("message-{i}.json"), m.as_bytes().to_vec()));
        out.push(("jcs", format!("message-{i}.json"), m.as_bytes().to_vec()));
        // Content type 0 (application/json); route 0 (messages) but for the inbox query.
        let route = u8::from(m.contains("\"InboxQuery\""));
        out.push(("vendor_request", format!("message-{i}"), [&[0, route][..], m.as_bytes()].concat()));
    }
    for (name, json) in [
        ("numbers.json", &b"[1e21, 1e-7, -0, 0.1, 123456789012345678, 5e-324, 1.7976931348623157e308]"[..]),
        ("strings.json", br#"{"\u20ac":"\ud83d\ude00","a\u0000":"\u001f","\u00e9":1,"e\u0301":2}"#),
        ("nested.json", br#"{"b":[{"c":{}},[]],"a":null,"d":true}"#),
    ] {
        out.push(("jcs", name.to_owned(), json.to_vec()));
    }
    for (i, seed) in [&[0u8; 64][..], &[0xA5; 200], &(0..=255).collect::<Vec<u8>>()].iter().enumerate() {
        out.push(("verify_message", format!("bytes-{i}"), seed.to_vec()));
    }
    out
}
