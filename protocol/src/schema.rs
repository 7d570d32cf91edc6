//! JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses them) of every v1 message, written
//! beside the rules they state so the two change together.
//!
//! A schema here is as strict as [`Message::from_value`](crate::Message::from_value) where
//! JSON Schema can say it: every member, its type, length, pattern, range and which
//! members a type needs. What it cannot say is listed in [`UNSTATED_RULES`]; a received
//! message that passes its schema is refused only for one of those, or for reasons that
//! are not about its shape (its proof, its consent, its time, its recipient).

use serde_json::{json, Map, Value};

use crate::access::MAX_ACCESS_ENTRIES;
use crate::body::{AgreementId, Category, OrderStatus, Purpose, SupportKind, MAX_ITEMS, MAX_SHORT, MAX_TEXT};
use crate::context::{CREDENTIALS_V2, DATA_INTEGRITY_V2};
use crate::message::{Direction, MessageType};
use crate::proof::{CRYPTOSUITE, PROOF_TYPE};

/// Rules of a valid message that its schema does not state, as the refusal's detail
/// names them (`field: reason`).
pub const UNSTATED_RULES: &[&str] = &[
    "expires: must be later than created",
    "to: sender and recipient are the same DID",
    "from/to: the did:key holds a valid Ed25519 public key",
    "dates: YYYY-MM-DD and RFC 3339 date-times name days that exist",
    "integers are written without a fraction (5, not 5.0)",
    "body.head: an AccessLog with entries has a head, not behind its last entry",
];

/// Where the schemas live in an OpenAPI document.
const REF: &str = "#/components/schemas/";

fn r(name: &str) -> Value {
    json!({ "$ref": format!("{REF}{name}") })
}

/// Text of at most `max` characters (code points) with at least one that is not white
/// space: every text member the protocol has, when present.
fn text(max: usize) -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": max, "pattern": "\\S" })
}

fn list_of_text(max_each: usize) -> Value {
    json!({ "type": "array", "maxItems": MAX_ITEMS, "items": text(max_each) })
}

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|x| name(*x)).collect()
}

/// An object with exactly these members, `required` among them. The others are
/// optional and, as the code reads them, `null` when absent — but for `defaulted` ones
/// (lists and the support kind), which have a default instead and refuse `null`.
fn object_with(mut properties: Value, required: &[&str], defaulted: &[&str]) -> Value {
    if let Some(members) = properties.as_object_mut() {
        for (name, schema) in members.iter_mut() {
            if !required.contains(&name.as_str()) && !defaulted.contains(&name.as_str()) {
                *schema = nullable(schema.take());
            }
        }
    }
    json!({ "type": "object", "additionalProperties": false, "properties": properties, "required": required })
}

fn object(properties: Value, required: &[&str]) -> Value {
    object_with(properties, required, &[])
}

fn nullable(schema: Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

fn not_null() -> Value {
    json!({ "not": { "type": "null" } })
}

/// The shared pieces: identifiers, times, money, product details, the proof.
fn shared() -> Vec<(&'static str, Value)> {
    let base58 = "[1-9A-HJ-NP-Za-km-z]";
    vec![
        (
            "Urn",
            json!({ "type": "string", "description": "urn:uuid: and a lowercase hyphenated UUID",
                "pattern": "^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" }),
        ),
        (
            "DidKey",
            // Every Ed25519 Multikey (0xed01 and 32 bytes) is 47 base58 digits, from
            // 6MkeTG… to 6MkwgaR…; that the 32 bytes are a point on the curve, no
            // pattern can say.
            json!({ "type": "string", "description": "A did:key of an Ed25519 public key (Multikey z6Mk…)",
                "pattern": format!("^did:key:z6Mk[e-km-w]{base58}{{43}}$") }),
        ),
        (
            "DateTime",
            json!({ "type": "string", "format": "date-time", "description": "RFC 3339",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$" }),
        ),
        ("Date", json!({ "type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" })),
        ("Digest", json!({ "type": "string", "pattern": "^sha256:[0-9a-f]{64}$" })),
        (
            "Money",
            object(
                json!({
                    "amount": { "type": "string", "description": "A decimal, never a float: 299 or 299.00",
                        "pattern": "^[0-9]{1,15}(\\.[0-9]{1,4})?$" },
                    "currency": { "type": "string", "description": "ISO 4217", "pattern": "^[A-Z]{3}$" },
                }),
                &["amount", "currency"],
            ),
        ),
        (
            "ProductDetails",
            object(
                json!({
                    "name": text(MAX_SHORT), "model": text(MAX_SHORT), "serial": text(MAX_SHORT),
                    "purchased": r("Date"), "price": r("Money"), "warrantyUntil": r("Date"),
                }),
                &["name"],
            ),
        ),
        (
            "Context",
            json!({ "description": "Optional JSON-LD @context: the Data Integrity or VC 2.0 context first",
                "oneOf": [
                    { "enum": [DATA_INTEGRITY_V2, CREDENTIALS_V2] },
                    { "type": "array", "minItems": 1, "maxItems": 8,
                      "prefixItems": [{ "enum": [DATA_INTEGRITY_V2, CREDENTIALS_V2] }],
                      "items": { "type": "string", "pattern": "^https://", "maxLength": 2000 } },
                ] }),
        ),
        (
            "Proof",
            json!({ "type": "object", "description": "A W3C Data Integrity proof, eddsa-jcs-2022, by the key of `from`",
                "properties": {
                    "type": { "const": PROOF_TYPE },
                    "cryptosuite": { "const": CRYPTOSUITE },
                    "verificationMethod": { "type": "string", "pattern": "^did:key:" },
                    "proofPurpose": { "type": "string" },
                    "created": r("DateTime"),
                    "expires": r("DateTime"),
                    "@context": r("Context"),
                    "proofValue": { "type": "string", "description": "base58btc multibase of the 64-byte signature",
                        "pattern": format!("^z{base58}{{86,88}}$") },
                },
                "required": ["type", "cryptosuite", "verificationMethod", "proofPurpose", "proofValue"] }),
        ),
    ]
}

/// The schema of one type's `body`.
fn body(kind: MessageType) -> Value {
    let categories = names(&Category::ALL, |c| c.as_str());
    match kind {
        MessageType::ConsentGrant => object(
            json!({
                "agreement": { "enum": names(&AgreementId::ALL, |a| a.as_str()) },
                "purpose": { "enum": names(&Purpose::ALL, |p| p.as_str()) },
                "categories": { "type": "array", "minItems": 1, "uniqueItems": true, "items": { "enum": categories } },
                "retentionDays": { "type": "integer", "minimum": 1, "maximum": 3650 },
                "terms": text(MAX_TEXT),
            }),
            &["agreement", "purpose", "categories", "retentionDays"],
        ),
        MessageType::ConsentRevocation => object(json!({ "reason": text(MAX_TEXT) }), &[]),
        MessageType::Intent => object_with(
            json!({
                "what": text(MAX_TEXT), "budget": r("Money"), "by": r("Date"),
                "constraints": list_of_text(MAX_TEXT), "contact": text(MAX_SHORT),
            }),
            &["what"],
            &["constraints"],
        ),
        MessageType::Feedback => object_with(
            json!({
                "about": { "enum": ["product", "vendor"] },
                "score": { "type": "integer", "minimum": 0, "maximum": 10, "description": "How likely to recommend (NPS scale)" },
                "text": text(MAX_TEXT), "suggestions": list_of_text(MAX_TEXT),
                "product": r("ProductDetails"), "contact": text(MAX_SHORT),
            }),
            &["about", "score"],
            &["suggestions"],
        ),
        MessageType::SupportRequest => {
            let citing: Vec<&str> =
                SupportKind::ALL.iter().filter(|k| k.cites_purchase()).map(|k| k.as_str()).collect();
            let mut schema = object_with(
                json!({
                    "kind": { "enum": names(&SupportKind::ALL, |k| k.as_str()), "description": "Absent for a question" },
                    "subject": text(MAX_SHORT), "text": text(MAX_TEXT), "product": r("ProductDetails"),
                    "purchase": object(
                        json!({
                            "order": text(MAX_SHORT),
                            "signedOrder": { "type": "object", "description": "The vendor's own signed Order update, verbatim" },
                            "digests": { "type": "array", "minItems": 1, "maxItems": MAX_ITEMS, "items": r("Digest") },
                        }),
                        &["order", "signedOrder", "digests"],
                    ),
                    "contact": text(MAX_SHORT),
                }),
                &["subject", "text"],
                &["kind"],
            );
            // A warranty claim or return cites its purchase; a question cites none.
            schema["if"] = json!({ "required": ["kind"], "properties": { "kind": { "enum": citing } } });
            schema["then"] = json!({ "required": ["purchase"], "properties": { "purchase": not_null() } });
            schema["else"] = json!({ "properties": { "purchase": { "type": "null" } } });
            schema
        }
        MessageType::InboxQuery => object(json!({ "since": r("DateTime") }), &[]),
        MessageType::OfferAcceptance => object(json!({ "offer": r("Urn") }), &["offer"]),
        MessageType::IntentWithdrawal => object(json!({ "intent": r("Urn") }), &["intent"]),
        MessageType::AccessLogQuery => object(
            json!({ "after": { "type": "integer", "minimum": 0, "maximum": 9007199254740991_u64 } }),
            &[],
        ),
        MessageType::Receipt => object(
            json!({ "message": r("Urn"), "digest": r("Digest"), "status": { "const": "accepted" } }),
            &["message", "digest", "status"],
        ),
        MessageType::ConsentAgreement => {
            let mut schema = object(
                json!({
                    "grant": r("Urn"),
                    "decision": { "enum": ["accepted", "alternative", "refused"] },
                    "agreement": { "enum": names(&AgreementId::ALL, |a| a.as_str()) },
                    "reason": text(MAX_TEXT),
                }),
                &["grant", "decision"],
            );
            schema["if"] = json!({ "properties": { "decision": { "const": "refused" } } });
            schema["then"] = json!({ "properties": { "agreement": { "type": "null" } } });
            schema["else"] = json!({ "required": ["agreement"], "properties": { "agreement": not_null() } });
            schema
        }
        MessageType::DeletionReceipt => object(
            json!({ "consent": r("Urn"), "deleted": { "type": "array", "items": r("Urn") }, "completed": r("DateTime") }),
            &["consent", "deleted", "completed"],
        ),
        MessageType::Offer => object(
            json!({ "intent": r("Urn"), "price": r("Money"), "text": text(MAX_TEXT), "validUntil": r("Date") }),
            &["intent", "price", "text"],
        ),
        MessageType::Reply => object(json!({ "text": text(MAX_TEXT) }), &["text"]),
        MessageType::Order => object(
            json!({
                "order": text(MAX_SHORT),
                "offer": r("Urn"),
                "status": { "enum": names(&OrderStatus::ALL, |s| s.as_str()) },
                "tracking": { "type": "string", "pattern": "^https://", "maxLength": 2000 },
                "serial": text(MAX_SHORT),
                "warrantyUntil": r("Date"),
                "items": { "type": "array", "minItems": 1, "maxItems": MAX_ITEMS, "items": object(
                    json!({
                        "what": text(MAX_SHORT), "model": text(MAX_SHORT),
                        "quantity": { "type": "integer", "minimum": 1, "maximum": 100000 },
                        "price": r("Money"),
                    }),
                    &["what", "quantity", "price"],
                ) },
            }),
            &["order", "offer", "status", "items"],
        ),
        MessageType::AccessLog => object(
            json!({
                "entries": { "type": "array", "maxItems": MAX_ACCESS_ENTRIES, "items": object(
                    json!({
                        "seq": { "type": "integer", "minimum": 1 }, "at": r("DateTime"), "message": r("Urn"),
                        "reader": text(MAX_SHORT), "role": text(MAX_SHORT),
                        "via": { "enum": ["console", "api", "webhook", "cli"] },
                        "channel": text(MAX_SHORT), "prev": r("Digest"), "hash": r("Digest"),
                    }),
                    &["seq", "at", "message", "reader", "role", "via", "hash"],
                ) },
                "head": object(json!({ "seq": { "type": "integer", "minimum": 1 }, "hash": r("Digest") }), &["seq", "hash"]),
            }),
            &["entries"],
        ),
    }
}

/// The schema of a whole signed message of type `kind`: its envelope, body and proof.
fn message(kind: MessageType) -> Value {
    let mut required = vec!["type", "id", "from", "to", "created", "body", "proof"];
    if kind.requires_consent() {
        required.push("consent");
    }
    let mut schema = object(
        json!({
            "@context": r("Context"),
            "type": { "const": kind.as_str() },
            "id": r("Urn"), "from": r("DidKey"), "to": r("DidKey"),
            "created": r("DateTime"), "expires": r("DateTime"),
            "thread": r("Urn"), "inReplyTo": r("Urn"), "consent": r("Urn"),
            "body": r(&body_name(kind)),
            "proof": r("Proof"),
        }),
        &required,
    );
    let to = match kind.direction() {
        Direction::ToVendor => "vendor",
        Direction::ToPerson => "person",
    };
    schema["description"] =
        json!(format!("A signed {kind} (to the {to}); expires, when present, after created"));
    schema
}

/// The name a message's schema has among [`schemas`].
pub fn message_schema_name(kind: MessageType) -> String {
    kind.as_str().to_owned()
}

fn body_name(kind: MessageType) -> String {
    format!("{kind}Body")
}

/// Every schema by name, `$ref`s pointing at `#/components/schemas/<name>`: one per
/// message type (named as the type), one per body (`<type>Body`), and the shared pieces.
pub fn schemas() -> Map<String, Value> {
    let mut out: Map<String, Value> = shared().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    for kind in MessageType::ALL {
        out.insert(body_name(*kind), body(*kind));
        out.insert(message_schema_name(*kind), message(*kind));
    }
    out
}
