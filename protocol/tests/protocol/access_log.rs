//! `AccessLogQuery`, `AccessLog` and the access chain, against vectors of their own
//! (`tests/vectors/access-log/`): signed messages made from fixed keys, ids and times,
//! the exact bytes an entry's hash covers, and chains that must be refused.
//!
//! `PARLEY_WRITE_VECTORS=1 cargo test -p parley-protocol --test protocol access_log`
//! writes the files afresh; otherwise they must equal what this code makes, byte for byte.

use parley_protocol::time::macros::datetime;
use parley_protocol::time::OffsetDateTime;
use parley_protocol::{
    digest_of, jcs, verify, verify_chain, AccessEntry, AccessLog, AccessLogQuery, AccessVia, Body,
    ChainError, ChainHead, Did, Message, MessageType, SecretKey, Timestamp, VerifyPolicy, MAX_ACCESS_ENTRIES,
};
use serde_json::{json, Value};

use crate::{check_vectors, vector};

const WHEN: OffsetDateTime = datetime!(2026-12-03 10:00:00 UTC);

fn person() -> SecretKey {
    SecretKey::from_seed(&[0x11; 32])
}

fn vendor() -> SecretKey {
    SecretKey::from_seed(&[0x22; 32])
}

fn did(key: &SecretKey) -> Did {
    Did::from_public_key(&key.to_public())
}

fn at(t: &str) -> Timestamp {
    t.parse().unwrap()
}

fn entry(
    seq: u64,
    t: &str,
    message: &str,
    reader: &str,
    role: &str,
    via: AccessVia,
    channel: Option<&str>,
) -> AccessEntry {
    AccessEntry {
        seq,
        at: at(t),
        message: message.parse().unwrap(),
        reader: reader.into(),
        role: role.into(),
        via,
        channel: channel.map(Into::into),
        prev: None,
        hash: String::new(),
    }
}

/// Seals `entries` into a chain from its start.
fn chained(entries: Vec<AccessEntry>) -> Vec<AccessEntry> {
    let mut prev: Option<String> = None;
    entries
        .into_iter()
        .map(|mut e| {
            e.prev = prev.take();
            let e = e.sealed();
            prev = Some(e.hash.clone());
            e
        })
        .collect()
}

const SUPPORT: &str = "urn:uuid:6f0c1e2a-3b4d-4e5f-8a7b-9c0d1e2f3a4b";
const FEEDBACK: &str = "urn:uuid:0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d";

fn entries() -> Vec<AccessEntry> {
    chained(vec![
        entry(1, "2026-12-03T09:00:00Z", SUPPORT, "staff 3", "agent", AccessVia::Console, None),
        entry(
            2,
            "2026-12-03T09:00:01Z",
            SUPPORT,
            "webhook 1",
            "integration",
            AccessVia::Webhook,
            Some("Zammad"),
        ),
        entry(
            3,
            "2026-12-03T09:30:00Z",
            FEEDBACK,
            "token 2",
            "agent",
            AccessVia::Api,
            Some("helpdesk macros"),
        ),
    ])
}

fn head(entries: &[AccessEntry]) -> Option<ChainHead> {
    entries.last().map(|e| ChainHead { seq: e.seq, hash: e.hash.clone() })
}

fn query() -> Message {
    let mut m =
        Message::new(did(&person()), did(&vendor()), Body::AccessLogQuery(AccessLogQuery { after: None }));
    m.id = "urn:uuid:7d3f5a2e-1c4b-4d6e-9f8a-0b1c2d3e4f5a".parse().unwrap();
    m.created = Timestamp::from(WHEN);
    m
}

fn answer() -> Message {
    let entries = entries();
    let mut m = Message::new(
        did(&vendor()),
        did(&person()),
        Body::AccessLog(AccessLog { head: head(&entries), entries }),
    );
    m.id = "urn:uuid:2b4d6f8a-0c1e-4a3b-8d5f-7a9b1c3d5e7f".parse().unwrap();
    m.created = Timestamp::from(WHEN);
    m.in_reply_to = Some(query().id);
    m
}

/// Entry 2 edited in the vendor's store, its hash left as it was.
fn altered() -> Value {
    let mut chain = entries();
    chain[1].reader = "nobody".into();
    json!({ "entries": chain, "head": head(&chain) })
}

/// Entry 2 edited and sealed afresh: entry 3 no longer follows it.
fn rewritten() -> Value {
    let mut chain = entries();
    chain[1].channel = Some("an internal tool".into());
    chain[1] = chain[1].clone().sealed();
    json!({ "entries": chain, "head": head(&entries()) })
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}

/// Every vector file and what it must hold.
fn files() -> Vec<(&'static str, String)> {
    let e1 = {
        let mut v = serde_json::to_value(&entries()[0]).unwrap();
        v.as_object_mut().unwrap().remove("hash");
        jcs::canonicalize(&v)
    };
    vec![
        (
            "keys.json",
            pretty(&json!({
                "person": { "seed": hex(&[0x11; 32]), "did": did(&person()).to_string() },
                "vendor": { "seed": hex(&[0x22; 32]), "did": did(&vendor()).to_string() },
            })),
        ),
        ("query.json", pretty(query().sign(&person()).unwrap().document())),
        ("answer.json", pretty(answer().sign(&vendor()).unwrap().document())),
        ("entry-1.canonical.txt", e1),
        ("fail_altered.json", pretty(&altered())),
        ("fail_rewritten.json", pretty(&rewritten())),
    ]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn vectors_are_what_this_code_makes() {
    check_vectors("access-log", files(), "the access log");
}

#[test]
fn the_signed_query_and_answer_verify() {
    let query =
        verify(&vector("access-log/query.json"), &VerifyPolicy::for_vendor(did(&vendor()), WHEN)).unwrap();
    assert_eq!(query.message_type(), MessageType::AccessLogQuery);
    assert!(query.consent.is_none(), "a query needs no consent: it asks about the asker's own messages");
    let answer =
        verify(&vector("access-log/answer.json"), &VerifyPolicy::for_person(did(&person()), WHEN)).unwrap();
    assert_eq!(answer.in_reply_to, Some(query.id));
    let Body::AccessLog(log) = &answer.body else { panic!("an AccessLog") };
    assert_eq!(log.entries.len(), 3);
    verify_chain(&log.entries, None, log.head.as_ref()).unwrap();
    assert_eq!(log.entries[1].channel.as_deref(), Some("Zammad"));
}

#[test]
fn an_entry_hash_covers_its_canonical_form() {
    let canonical = vector("access-log/entry-1.canonical.txt");
    assert_eq!(entries()[0].hash, digest_of(&canonical));
    let text = String::from_utf8(canonical).unwrap();
    assert!(text.starts_with(r#"{"at":"2026-12-03T09:00:00Z","message":""#), "{text}");
    assert!(!text.contains("\"prev\""), "the first entry names no previous one");
    assert_eq!(entries()[1].prev.as_deref(), Some(entries()[0].hash.as_str()));
}

#[test]
fn an_edited_entry_is_found() {
    let log: AccessLog = serde_json::from_slice(&vector("access-log/fail_altered.json")).unwrap();
    assert_eq!(verify_chain(&log.entries, None, log.head.as_ref()), Err(ChainError::Altered { seq: 2 }));
    let log: AccessLog = serde_json::from_slice(&vector("access-log/fail_rewritten.json")).unwrap();
    assert_eq!(verify_chain(&log.entries, None, log.head.as_ref()), Err(ChainError::Broken { seq: 3 }));
}

#[test]
fn a_continuation_must_follow_what_is_held() {
    let chain = entries();
    let held = (2, chain[1].hash.as_str());
    verify_chain(&chain[2..], Some(held), head(&chain).as_ref()).unwrap();
    // The vendor answers from the wrong place, or drops what was already received.
    assert_eq!(
        verify_chain(&chain[1..], Some(held), head(&chain).as_ref()),
        Err(ChainError::OutOfOrder { expected: 3, found: 2 })
    );
    let other = chained(vec![
        entry(1, "2026-12-03T09:00:00Z", SUPPORT, "staff 4", "agent", AccessVia::Console, None),
        entry(2, "2026-12-03T09:10:00Z", SUPPORT, "staff 4", "agent", AccessVia::Console, None),
        entry(3, "2026-12-03T09:20:00Z", SUPPORT, "staff 4", "agent", AccessVia::Console, None),
    ]);
    assert_eq!(
        verify_chain(&other[2..], Some(held), head(&other).as_ref()),
        Err(ChainError::Broken { seq: 3 })
    );
    let shorter = ChainHead { seq: 1, hash: chain[0].hash.clone() };
    assert_eq!(
        verify_chain(&[], Some(held), Some(&shorter)),
        Err(ChainError::Shortened { held: 2, head: 1 })
    );
    assert_eq!(
        verify_chain(&[], Some(held), None),
        Err(ChainError::Shortened { held: 2, head: 0 }),
        "a chain emptied under the asker was cut"
    );
    let forged = ChainHead { seq: 2, hash: chain[0].hash.clone() };
    assert_eq!(verify_chain(&[], Some(held), Some(&forged)), Err(ChainError::Head { seq: 2 }));
}

#[test]
fn an_answer_breaking_the_rules_is_not_signed() {
    let sign =
        |log: AccessLog| Message::new(did(&vendor()), did(&person()), Body::AccessLog(log)).sign(&vendor());
    let chain = entries();
    let behind =
        AccessLog { entries: chain.clone(), head: Some(ChainHead { seq: 2, hash: chain[1].hash.clone() }) };
    assert!(sign(behind).unwrap_err().to_string().contains("body.head"));
    let headless = AccessLog { entries: chain.clone(), head: None };
    assert!(sign(headless).unwrap_err().to_string().contains("body.head"));
    let many = AccessLog { entries: vec![chain[0].clone(); MAX_ACCESS_ENTRIES + 1], head: head(&chain) };
    assert!(sign(many).unwrap_err().to_string().contains("body.entries"));
    let mut nameless = chain[0].clone();
    nameless.reader = String::new();
    let blank = AccessLog { entries: vec![nameless], head: head(&chain) };
    assert!(sign(blank).unwrap_err().to_string().contains("reader"));
    assert!(sign(AccessLog { entries: vec![], head: None }).is_ok(), "an empty chain is an answer too");
}
