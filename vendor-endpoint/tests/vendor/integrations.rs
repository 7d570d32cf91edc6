//! API tokens, the staff-access log a person reads with a signed `AccessLogQuery`, and
//! the webhook queue as the store keeps it (the deliveries themselves, to a receiver
//! written with the `standardwebhooks` package, are in the end-to-end tests).

use parley_protocol::{verify, verify_chain, AccessLogQuery, AccessVia, Body, VerifyPolicy};
use parley_vendor::store::staff::Role;
use parley_vendor::store::webhooks::EventType;
use serde_json::{json, Value};

use crate::common::{Db, Person, TestVendor};
use crate::console::{client, person, staff, Console};

crate::on_both_stores!(
    tokens_act_with_their_role_until_revoked,
    a_person_reads_who_read_their_messages,
    events_are_queued_with_what_caused_them_and_purged_with_the_data
);

/// A request with a bearer token.
async fn bearer(
    v: &TestVendor,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = client()
        .request(method, format!("{}{path}", v.url))
        .header("authorization", format!("Bearer {token}"));
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Asks the vendor for the person's access log; the verified answer's body.
async fn access_log(v: &TestVendor, p: &Person, after: Option<u64>) -> parley_protocol::AccessLog {
    let query = p.sign(p.message(Body::AccessLogQuery(AccessLogQuery { after }), None));
    let (status, answer) = v.post_raw("/parley/v1/access-log", query.canonical().as_bytes().to_vec()).await;
    assert_eq!(status, 200, "{answer}");
    let raw = serde_json::to_vec(&answer).unwrap();
    let signed =
        verify(&raw, &VerifyPolicy::for_person(p.did(), parley_protocol::time::OffsetDateTime::now_utc()))
            .expect("the answer verifies against the vendor's key");
    assert_eq!(signed.from, v.did, "signed by the vendor");
    assert_eq!(signed.in_reply_to, Some(query.id), "in reply to the query");
    match signed.get().body.clone() {
        Body::AccessLog(log) => log,
        other => panic!("an AccessLog, not {:?}", other.message_type()),
    }
}

async fn tokens_act_with_their_role_until_revoked(db: Db) {
    let v = TestVendor::start(db).await;
    let (p, service, _) = person(&v).await;
    let support = p.support(service, "The lid leaks");
    assert_eq!(v.post(&support).await.0, 200);
    let case = support.id.to_string();
    let (_, viewer) = v.store().add_token("dashboard screen", Role::Viewer).await.unwrap();
    let (agent_token, agent) = v.store().add_token("zammad macros", Role::Agent).await.unwrap();
    assert!(agent.starts_with("pvt_") && agent.len() > 40);
    assert!(v.store().add_token("root", Role::Admin).await.unwrap_err().to_string().contains("role"));
    assert!(
        v.store().add_token("zammad macros", Role::Viewer).await.unwrap_err().to_string().contains("already"),
        "names are unique"
    );

    use reqwest::Method;
    let reply = json!({"text": "A new lid is on its way."});
    let path = format!("/console/api/cases/{case}/reply");
    let (status, answer) = bearer(&v, &viewer, Method::POST, &path, Some(reply.clone())).await;
    assert_eq!((status, answer["type"].as_str()), (403, Some("urn:parley:problem:forbidden")), "{answer}");
    assert!(answer["detail"].as_str().unwrap().contains("dashboard screen"), "names the token: {answer}");
    let (status, me) = bearer(&v, &viewer, Method::GET, "/console/api/me", None).await;
    assert_eq!(
        (status, me["role"].as_str(), me["token"].as_str()),
        (200, Some("viewer"), Some("dashboard screen"))
    );

    // No CSRF token: a bearer token is not something a browser sends by itself.
    let (status, sent) = bearer(&v, &agent, Method::POST, &path, Some(reply)).await;
    assert_eq!(status, 200, "{sent}");
    let (status, detail) = bearer(&v, &agent, Method::GET, &format!("/console/api/cases/{case}"), None).await;
    assert_eq!(status, 200);
    let answer = detail["thread"].as_array().unwrap().iter().find(|t| t["from"] == "vendor").unwrap();
    assert_eq!(answer["author"], "token zammad macros", "the case shows who answered");
    assert!(v
        .store()
        .tokens()
        .await
        .unwrap()
        .iter()
        .any(|t| t.name == "zammad macros" && t.last_used.is_some()));
    for admin_only in ["/console/api/staff", "/console/api/webhooks", "/console/api/tokens"] {
        assert_eq!(bearer(&v, &agent, Method::GET, admin_only, None).await.0, 403, "{admin_only}");
    }

    v.store().revoke_token("zammad macros").await.unwrap();
    let (status, refused) = bearer(&v, &agent, Method::GET, "/console/api/cases", None).await;
    assert_eq!(
        (status, refused["type"].as_str()),
        (401, Some("urn:parley:problem:not-signed-in")),
        "{refused}"
    );
    let (status, _) = bearer(&v, "pvt_made-up", Method::GET, "/console/api/cases", None).await;
    assert_eq!(status, 401);
    let r = client()
        .get(format!("{}/console/api/cases", v.url))
        .header("authorization", format!("Basic {agent}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401, "only bearer tokens");

    // Never in plain text: not in the table, not anywhere in the database file.
    let rows = v.store().tokens().await.unwrap();
    assert!(rows.iter().all(|t| t.id != agent_token.id || t.revoked.is_some()));
    if let Db::Sqlite = db {
        for file in ["vendor.db", "vendor.db-wal"] {
            let bytes = std::fs::read(v.dir().join(file)).unwrap_or_default();
            for secret in [&agent, &viewer] {
                let needle = &secret.as_bytes()[4..];
                assert!(!bytes.windows(needle.len()).any(|w| w == needle), "no token in {file}");
            }
        }
    } else {
        use sqlx::{Connection, Row};
        let mut conn = sqlx::PgConnection::connect(&v.database_url).await.unwrap();
        for row in sqlx::query("SELECT id, name, role, hash, created FROM api_tokens")
            .fetch_all(&mut conn)
            .await
            .unwrap()
        {
            for column in 0..5 {
                let value: String = row.get(column);
                assert!(
                    !value.contains(&agent[4..]) && !value.contains(&viewer[4..]),
                    "column {column}: {value}"
                );
            }
        }
    }
}

async fn a_person_reads_who_read_their_messages(db: Db) {
    let v = TestVendor::start(db).await;
    staff(&v, "ana@acme.example", Role::Agent).await;
    let (p, service, _) = person(&v).await;
    let support = p.support(service, "The lid leaks");
    assert_eq!(v.post(&support).await.0, 200);
    let case = support.id.to_string();
    let empty = access_log(&v, &p, None).await;
    assert!(empty.entries.is_empty() && empty.head.is_none(), "nobody has read anything yet");

    let c = Console::sign_in(&v, "ana@acme.example").await;
    assert_eq!(c.page(&format!("/console/cases/{case}")).await.0, 200);
    let (_, token) = v.store().add_token("helpdesk", Role::Viewer).await.unwrap();
    assert_eq!(
        bearer(&v, &token, reqwest::Method::GET, &format!("/console/api/cases/{case}"), None).await.0,
        200
    );
    // Listing cases shows one-line titles, not the messages: not a read.
    assert_eq!(c.get("/console/api/cases").await.0, 200);

    let log = access_log(&v, &p, None).await;
    assert_eq!(log.entries.len(), 2, "{log:?}");
    verify_chain(&log.entries, None, log.head.as_ref()).expect("the chain holds");
    let (first, second) = (&log.entries[0], &log.entries[1]);
    assert_eq!((first.via, first.role.as_str(), first.message), (AccessVia::Console, "agent", support.id));
    assert!(first.reader.starts_with("staff ") && !first.reader.contains('@'), "a pseudonym, not an email");
    assert_eq!(
        (second.via, second.channel.as_deref(), second.reader.as_str()),
        (AccessVia::Api, Some("helpdesk"), "token 1")
    );

    // Another person sees none of it; a continuation starts after what is held.
    let stranger = Person::new(&v);
    assert!(access_log(&v, &stranger, None).await.entries.is_empty());
    let rest = access_log(&v, &p, Some(1)).await;
    assert_eq!(rest.entries.len(), 1);
    verify_chain(&rest.entries, Some((1, &first.hash)), rest.head.as_ref()).unwrap();

    // Queries are fresh and answered once, like inbox queries.
    let query = p.sign(p.message(Body::AccessLogQuery(AccessLogQuery::default()), None));
    assert_eq!(v.post_raw("/parley/v1/access-log", query.canonical().as_bytes().to_vec()).await.0, 200);
    let (status, again) = v.post_raw("/parley/v1/access-log", query.canonical().as_bytes().to_vec()).await;
    assert_eq!((status, again["type"].as_str()), (409, Some("urn:parley:problem:replayed-id")));
    let (status, wrong) = v.post_raw("/parley/v1/messages", query.canonical().as_bytes().to_vec()).await;
    assert_eq!(status, 400, "{wrong}");
    assert!(wrong["detail"].as_str().unwrap().contains("/parley/v1/access-log"));

    // The entries outlive the messages: bare facts, no content.
    let revoke = p.sign(p.message(Body::ConsentRevocation(Default::default()), Some(service)));
    assert_eq!(v.post(&revoke).await.0, 200);
    let after = access_log(&v, &p, None).await;
    assert_eq!(after.entries, log.entries, "who read which message, and when, stays");
    let descriptor: Value =
        client().get(format!("{}/.well-known/parley", v.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(descriptor["endpoints"]["accessLog"], format!("{}/parley/v1/access-log", v.url));
}

async fn events_are_queued_with_what_caused_them_and_purged_with_the_data(db: Db) {
    let v = TestVendor::start(db).await;
    staff(&v, "ana@acme.example", Role::Agent).await;
    // Nothing listens here; the sender's attempts fail and the queue keeps everything.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let (hook, secret) =
        v.store().add_webhook("Zammad", &format!("http://{dead}/hook"), &EventType::ALL).await.unwrap();
    assert!(secret.starts_with("whsec_"));
    for (url, says) in [
        ("http://helpdesk.example/hook", "only to this machine"),
        ("ftp://127.0.0.1/hook", "not http"),
        ("https://user:pw@helpdesk.example/hook", "credentials"),
    ] {
        let e = v.store().add_webhook("x", url, &[EventType::MessageReceived]).await.unwrap_err();
        assert!(e.to_string().contains(says), "{url}: {e}");
    }

    let (p, service, _) = person(&v).await;
    let feedback = p.feedback(service, 2, "The lid cracked");
    assert_eq!(v.post(&feedback).await.0, 200);
    let c = Console::sign_in(&v, "ana@acme.example").await;
    let (status, _) = c
        .send(
            reqwest::Method::PATCH,
            &format!("/console/api/cases/{}", feedback.id),
            json!({"priority": "high"}),
            true,
        )
        .await;
    assert_eq!(status, 200);
    let events = |d: &[parley_vendor::store::webhooks::Delivery]| {
        let mut e: Vec<String> = d.iter().map(|d| d.event.clone()).collect();
        e.sort();
        e
    };
    let queued = v.store().deliveries(&hook.id, 100).await.unwrap();
    assert_eq!(
        events(&queued),
        ["alert.raised", "case.updated", "consent.agreed", "consent.agreed", "message.received"],
        "two consents (service and quote), the feedback, its alert, the change"
    );
    assert!(queued.iter().all(|d| d.id.starts_with("msg_") && d.state == "pending"));

    let revoke = p.sign(p.message(Body::ConsentRevocation(Default::default()), Some(service)));
    assert_eq!(v.post(&revoke).await.0, 200);
    let after = v.store().deliveries(&hook.id, 100).await.unwrap();
    for d in &after {
        match d.event.as_str() {
            "message.received" | "alert.raised" => {
                assert_eq!(
                    (d.state.as_str(), d.has_payload),
                    ("purged", false),
                    "{d:?}: never sent, not kept"
                )
            }
            _ => assert!(d.has_payload, "{d:?}"),
        }
    }
    assert!(after.iter().any(|d| d.event == "consent.revoked"), "the revocation itself is announced");
    if let Db::Sqlite = db {
        for file in ["vendor.db", "vendor.db-wal"] {
            let bytes = std::fs::read(v.dir().join(file)).unwrap_or_default();
            let needle = b"The lid cracked";
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "no copy in {file}");
        }
    }
    let replay = v
        .store()
        .replay_delivery(&hook.id, &after.iter().find(|d| d.event == "message.received").unwrap().id)
        .await;
    assert!(replay.unwrap_err().to_string().contains("deleted"), "a purged delivery cannot be sent again");
}
