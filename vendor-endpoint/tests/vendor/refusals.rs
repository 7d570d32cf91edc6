//! Every refusal kind, with its status and problem `type`, over real HTTP; and idempotent
//! redelivery.

use std::io::Write;
use std::time::Duration;

use parley_protocol::proof::{add_proof, ProofOptions};
use parley_protocol::{AgreementId, Category, Did, Purpose, SecretKey, Timestamp};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::common::{assert_problem, Db, Person, TestVendor};

crate::on_both_stores!(
    every_refusal_kind_has_its_problem_type,
    redelivery_is_idempotent,
    unavailable_store_is_503_not_lost,
    no_mangled_input_gets_a_5xx
);

/// Re-signs an edited document with `key`, as a sender who means it would.
fn resign(doc: &Value, key: &SecretKey) -> Vec<u8> {
    let mut unsigned = doc.clone();
    unsigned.as_object_mut().unwrap().remove("proof");
    let did = Did::from_public_key(&key.to_public());
    serde_json::to_vec(
        &add_proof(&unsigned, key, &ProofOptions::for_did(&did, OffsetDateTime::now_utc())).unwrap(),
    )
    .unwrap()
}

async fn every_refusal_kind_has_its_problem_type(db: Db) {
    let v = TestVendor::start(db).await;
    let p = Person::new(&v);
    let consent = p.agreed(&v, AgreementId::SdBase, Purpose::Improvement, &[Category::Feedback]).await;
    let good = p.feedback(consent, 8, "fine");
    let doc = good.document().clone();
    let post = |bytes: Vec<u8>| v.post_raw("/parley/v1/messages", bytes);
    let edited = |f: &dyn Fn(&mut Value)| {
        let mut d = doc.clone();
        f(&mut d);
        d
    };

    assert_problem(&post(vec![b' '; 70_000]).await, 413, "too-large");
    let resp =
        reqwest::Client::new().post(format!("{}/parley/v1/messages", v.url)).body("{}").send().await.unwrap();
    assert_eq!(resp.status(), 415);
    assert_eq!(resp.json::<Value>().await.unwrap()["type"], "urn:parley:problem:unsupported-media-type");
    assert_problem(&post(b"{\"type\": \"Feedback\",".to_vec()).await, 400, "malformed-json");
    assert_problem(&post(b"[1, 2, 3".to_vec()).await, 400, "malformed-json");
    assert_problem(&post(br#"{"a":1,"a":2}"#.to_vec()).await, 400, "malformed-json");
    assert_problem(
        &post(resign(&edited(&|d| d["type"] = json!("Complaint")), &p.key)).await,
        400,
        "unknown-type",
    );
    assert_problem(
        &post(resign(&edited(&|d| d["body"]["score"] = json!(11)), &p.key)).await,
        422,
        "invalid-message",
    );
    assert_problem(
        &post(resign(&edited(&|d| d["id"] = json!("not-a-urn")), &p.key)).await,
        422,
        "invalid-message",
    );
    let stranger = Did::from_public_key(&SecretKey::generate().to_public()).to_string();
    assert_problem(
        &post(resign(&edited(&|d| d["to"] = json!(stranger)), &p.key)).await,
        421,
        "wrong-recipient",
    );
    let hours = |h: i64| Timestamp::from(OffsetDateTime::now_utc() + time::Duration::hours(h)).to_string();
    let expired = edited(&|d| {
        d["created"] = json!(hours(-3));
        d["expires"] = json!(hours(-2));
    });
    assert_problem(&post(resign(&expired, &p.key)).await, 400, "expired");
    assert_problem(
        &post(resign(&edited(&|d| d["created"] = json!(hours(2))), &p.key)).await,
        400,
        "not-yet-valid",
    );
    assert_problem(
        &post(serde_json::to_vec(&edited(&|d| d["body"]["score"] = json!(10))).unwrap()).await,
        401,
        "bad-proof",
    );
    assert_problem(&post(resign(&doc, &SecretKey::generate())).await, 401, "bad-proof");

    // Consent refusals.
    let other = Person::new(&v);
    assert_problem(&v.post(&other.feedback(consent, 5, "not mine")).await, 403, "no-consent");
    assert_problem(
        &v.post(&p.feedback(parley_protocol::ConsentId::new(), 5, "none")).await,
        403,
        "no-consent",
    );
    assert_problem(
        &v.post(&p.support(consent, "feedback consent, support message")).await,
        403,
        "consent-scope",
    );
    let quote =
        p.agreed(&v, AgreementId::PdcIntent, Purpose::Quote, &[Category::Intent, Category::Feedback]).await;
    assert_problem(&v.post(&p.feedback(quote, 5, "wrong purpose")).await, 403, "consent-scope");
    let refused = p.grant(AgreementId::PdcAi, Purpose::Improvement, &[Category::Feedback]);
    let (status, answer) = v.post(&refused).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["answer"]["body"]["decision"], "alternative",
        "PDC-AI is not accepted: the one alternative is offered"
    );
    assert_problem(&v.post(&p.feedback(refused.id.into(), 5, "pending")).await, 403, "consent-not-agreed");

    // Replay: the same id with other content.
    let (status, _) = v.post(&good).await;
    assert_eq!(status, 200);
    let mut reused = p.feedback(consent, 2, "different").into_inner();
    reused.id = good.id;
    assert_problem(&v.post(&p.sign(reused)).await, 409, "replayed-id");

    let revoke =
        p.sign(p.message(parley_protocol::Body::ConsentRevocation(Default::default()), Some(consent)));
    assert_eq!(v.post(&revoke).await.0, 200);
    assert_problem(&v.post(&p.feedback(consent, 5, "after revocation")).await, 403, "consent-revoked");

    // Routing.
    let resp = reqwest::get(format!("{}/nowhere", v.url)).await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.json::<Value>().await.unwrap()["type"], "urn:parley:problem:not-found");
    let resp = reqwest::get(format!("{}/parley/v1/messages", v.url)).await.unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.json::<Value>().await.unwrap()["type"], "urn:parley:problem:method-not-allowed");
}

async fn redelivery_is_idempotent(db: Db) {
    let v = TestVendor::start(db).await;
    let p = Person::new(&v);
    let consent = p.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
    let m = p.support(consent, "the lid does not close");
    let first = v.post(&m).await;
    let again = v.post(&m).await;
    assert_eq!(first.0, 200);
    assert_eq!(again, first, "redelivery returns the original receipt, byte for byte");
    // The same message pretty-printed is the same message: same digest, same receipt.
    let pretty = serde_json::to_vec_pretty(m.document()).unwrap();
    assert_eq!(v.post_raw("/parley/v1/messages", pretty).await, first);
    let receipt = crate::common::vendor_signed(&v, &first.1["receipt"], &p.did());
    match &receipt.body {
        parley_protocol::Body::Receipt(r) => {
            assert_eq!(r.message, m.id);
            assert_eq!(r.digest, m.digest(), "the receipt names the digest of the canonical message");
        }
        other => panic!("expected a receipt, got {other:?}"),
    }
    assert_eq!(
        v.store().messages(None, 100).await.unwrap().iter().filter(|s| s.id == m.id.to_string()).count(),
        1
    );
}

async fn unavailable_store_is_503_not_lost(db: Db) {
    let v = TestVendor::start(db).await;
    let p = Person::new(&v);
    let consent = p.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
    v.store().close().await;
    let got = v.post(&p.support(consent, "while the database is down")).await;
    assert_problem(&got, 503, "unavailable");
}

/// The writer keeps its database connection between batches; one the server dropped
/// while it sat idle (a restart, a proxy's idle limit) must not cost the next person's
/// message a refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_while_idle_costs_no_message() {
    use sqlx::Connection;
    let v = TestVendor::start(Db::Postgres).await;
    let p = Person::new(&v);
    let consent = p.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let mut admin = sqlx::PgConnection::connect(&v.database_url).await.unwrap();
    let dropped: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(dropped.iter().any(|d| *d), "the vendor's connections were there to drop");
    admin.close().await.unwrap();
    let got = v.post(&p.support(consent, "after a quiet spell")).await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert!(got.1["receipt"].is_object(), "{}", got.1);
}

#[tokio::test]
async fn slow_clients_are_cut_off_with_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let vendor = parley_vendor::Vendor::init(dir.path(), "Slow", vec![AgreementId::SdBase]).unwrap();
    let store = parley_vendor::Store::connect(&vendor.default_database_url()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut endpoint = parley_vendor::endpoint(vendor, store, &format!("http://{addr}")).unwrap();
    std::sync::Arc::get_mut(&mut endpoint).unwrap().request_timeout = Duration::from_millis(500);
    tokio::spawn(parley_vendor::serve(listener, endpoint, std::future::pending()));

    let response = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        // Promise 100 bytes, send 10, then stall.
        write!(s, "POST /parley/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"type\":\"").unwrap();
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut s, &mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("urn:parley:problem:timeout"), "{response}");
}

/// Bytes flipped, cut, duplicated and replaced all over valid messages: every answer is a
/// 2xx or a 4xx problem document, and the server keeps serving.
async fn no_mangled_input_gets_a_5xx(db: Db) {
    let v = TestVendor::start(db).await;
    let p = Person::new(&v);
    let consent = p.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
    let base = p.support(consent, "base message with some text in it").canonical().as_bytes().to_vec();
    // A small deterministic generator: the same cases on every run.
    let mut state: u64 = 0x9e3779b97f4a7c15;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for round in 0..300 {
        let mut m = base.clone();
        match round % 5 {
            0 => {
                let i = next(m.len());
                m[i] ^= 1 << next(8);
            }
            1 => m.truncate(next(m.len())),
            2 => {
                let (a, b) = (next(m.len()), next(m.len()));
                let piece = m[a.min(b)..a.max(b)].to_vec();
                let at = next(m.len());
                m.splice(at..at, piece);
            }
            3 => {
                let i = next(m.len());
                m[i] = [b'"', b'{', b'}', b'[', b'\\', 0xff, b'0', b'e'][next(8)];
            }
            _ => m = (0..next(200)).map(|_| next(256) as u8).collect(),
        }
        let (status, body) = v.post_raw("/parley/v1/messages", m).await;
        assert!(status < 500, "round {round}: {status} {body}");
    }
    assert_eq!(reqwest::get(format!("{}/healthz", v.url)).await.unwrap().status(), 200, "still serving");
}
