//! A vendor's integrations met from the outside: a helpdesk's webhook receiver written
//! with the `standardwebhooks` npm package (no Parley code) verifies every delivery of a
//! real vendor over loopback HTTP, while it is down and after; and the person's agent
//! sees, in its own audit, who at the vendor read what it sent.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parley_agent::exchange::SyncOptions;
use parley_agent::records::feedback::FeedbackFields;
use parley_protocol::{AgreementId, Category, Purpose};
use parley_vendor::store::webhooks::EventType;
use parley_vendor::webhooks::WebhookPolicy;
use serde_json::Value;

use crate::common::{Person, Vendor};
use crate::in_process::{agreed, kettle_support_request, person, Endpoint};
use crate::interop::interop_dir;

/// The Node receiver: what it printed, and the process while it runs.
struct Receiver {
    lines: Arc<Mutex<Vec<Value>>>,
    child: Child,
}

impl Receiver {
    /// Starts `webhook-receiver.mjs` on `port`, verifying with `secret`.
    fn start(port: u16, secret: &str, lines: Arc<Mutex<Vec<Value>>>) -> Self {
        let mut child = Command::new("node")
            .arg("webhook-receiver.mjs")
            .arg(port.to_string())
            .env("WEBHOOK_SECRET", secret)
            .current_dir(interop_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs");
        let out = BufReader::new(child.stdout.take().unwrap());
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                sink.lock().unwrap().push(serde_json::from_str(&line).expect("the receiver prints JSON"));
            }
        });
        let r = Self { lines, child };
        r.wait_for("the receiver to listen", |l| l.iter().any(|x| x["listening"].is_number()));
        r
    }

    /// Waits (at most 30 s) until what the receiver printed satisfies `done`.
    fn wait_for(&self, what: &str, done: impl Fn(&[Value]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done(&self.lines.lock().unwrap()) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}",
                self.lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The verified events received, by type.
    fn events(&self, kind: &str) -> Vec<Value> {
        let lines = self.lines.lock().unwrap();
        lines.iter().filter(|l| l["event"]["type"] == kind).cloned().collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on (yet).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Short waits, so that an hour's outage fits in a test.
fn quick() -> WebhookPolicy {
    WebhookPolicy {
        first_retry: parley_protocol::time::Duration::milliseconds(200),
        max_retry: parley_protocol::time::Duration::milliseconds(800),
        disable_after: parley_protocol::time::Duration::seconds(3),
        poll: Duration::from_millis(100),
        timeout: Duration::from_secs(2),
        ..WebhookPolicy::default()
    }
}

async fn wait_until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standard_webhooks_receiver_down_for_a_while_gets_every_event_once_and_verified() {
    let acme = Endpoint::start_with("Acme", vec![AgreementId::SdBase], quick()).await;
    let store = &acme.endpoint.store;
    let port = free_port();
    let events = [
        EventType::MessageReceived,
        EventType::ConsentAgreed,
        EventType::ConsentRevoked,
        EventType::ReplyPulled,
    ];
    let (hook, secret) =
        store.add_webhook("Zammad", &format!("http://127.0.0.1:{port}/hooks/parley"), &events).await.unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");

    // The receiver is down while the person consents, writes and is answered.
    let (_dir, agent) = person().await;
    agent.discover_vendor(&acme.url, None).await.unwrap();
    let consent = agreed(
        &agent,
        "Acme",
        Purpose::Service,
        vec![Category::Support, Category::Feedback, Category::Product],
    )
    .await;
    let request = kettle_support_request(&agent, "It leaks at the base").await;
    let support =
        agent.send_support(&request.id, None).await.unwrap().messages[0].id.to_message_id().to_string();
    let fields = FeedbackFields {
        vendor: Some("Acme".into()),
        score: Some(9),
        text: Some("Kind staff".into()),
        ..Default::default()
    };
    let feedback = agent.vault().feedback().add(fields).await.unwrap();
    let feedback =
        agent.send_feedback(&feedback.id, None).await.unwrap().messages[0].id.to_message_id().to_string();
    parley_vendor::console::reply(store, &acme.endpoint.key, &support, "Send it in").await.unwrap();
    assert_eq!(agent.sync(&SyncOptions::default()).await.unwrap().received, 1, "the reply is pulled");

    // The sender keeps trying while nothing listens.
    wait_until("deliveries to fail twice", || async {
        let d = store.deliveries(&hook.id, 100).await.unwrap();
        d.len() == 4 && d.iter().all(|d| d.state == "pending" && d.attempts >= 2 && d.last_error.is_some())
    })
    .await;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let receiver = Receiver::start(port, &secret, lines.clone());
    receiver.wait_for("the four events", |l| l.iter().filter(|x| x["verified"] == true).count() >= 4);

    let received = receiver.events("message.received");
    let mut ids: Vec<&str> =
        received.iter().map(|e| e["event"]["data"]["message"]["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut sent = vec![support.as_str(), feedback.as_str()];
    sent.sort();
    assert_eq!(ids, sent, "each message the person sent, once");
    assert_eq!(receiver.events("consent.agreed").len(), 1);
    assert_eq!(receiver.events("reply.pulled").len(), 1);

    // What the receiver got is the person's signed message, verbatim: `parley proto
    // verify` (like any Data Integrity verifier) accepts it.
    let tool = Person::new();
    for e in &received {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), e["event"]["data"]["message"].to_string()).unwrap();
        let out = tool.run(&["proto", "verify", file.path().to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    // Revocation: the receiver is told which messages were deleted, to delete its copies.
    agent.revoke_consent(&consent.id, None).await.unwrap();
    receiver.wait_for("consent.revoked", |l| l.iter().any(|x| x["event"]["type"] == "consent.revoked"));
    let revoked = &receiver.events("consent.revoked")[0]["event"]["data"];
    let deleted: Vec<&str> =
        revoked["deleted"].as_array().expect("deleted ids").iter().map(|d| d.as_str().unwrap()).collect();
    for id in [&support, &feedback] {
        assert!(deleted.contains(&id.as_str()), "{id} is named as deleted: {revoked}");
    }

    // Every request verified, every event exactly once by webhook-id, none sent again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lines = lines.lock().unwrap().clone();
    let requests: Vec<&Value> = lines.iter().filter(|l| l.get("listening").is_none()).collect();
    assert!(requests.iter().all(|l| l["verified"] == true), "every signature verifies: {requests:?}");
    assert!(requests.iter().all(|l| l["duplicate"] == false), "nothing is delivered twice: {requests:?}");
    let mut distinct: Vec<&str> = requests.iter().map(|l| l["id"].as_str().unwrap()).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 5, "four events and the revocation");
    let deliveries = store.deliveries(&hook.id, 100).await.unwrap();
    assert!(deliveries.iter().all(|d| d.state == "delivered"), "{deliveries:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_keeps_failing_is_disabled_and_the_admin_sees_why() {
    let acme = Endpoint::start_with("Acme", vec![AgreementId::SdBase], quick()).await;
    let store = &acme.endpoint.store;
    let dead = format!("http://127.0.0.1:{}/gone", free_port());
    let (hook, _) = store.add_webhook("Old CRM", &dead, &[EventType::ConsentAgreed]).await.unwrap();
    let (_dir, agent) = person().await;
    agent.discover_vendor(&acme.url, None).await.unwrap();
    agreed(&agent, "Acme", Purpose::Service, vec![Category::Support]).await;
    wait_until("the endpoint to be disabled", || async {
        store.webhook(&hook.id).await.unwrap().disabled.is_some()
    })
    .await;
    let h = store.webhook(&hook.id).await.unwrap();
    let reason = h.disabled_reason.expect("why it was disabled");
    assert!(reason.contains("failing since"), "{reason}");

    // The admin sees it in the console, with the last error.
    store
        .add_staff("admin@acme.example", parley_vendor::store::staff::Role::Admin, "a long enough password")
        .await
        .unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let signed_in = http
        .post(format!("{}/console/login", acme.url))
        .form(&[("email", "admin@acme.example"), ("password", "a long enough password")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let page = http
        .get(format!("{}/console/admin/integrations", acme.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Old CRM") && page.contains("data-testid=\"webhook-disabled\""), "{page}");
    assert!(page.contains("Disabled: failing since"), "{page}");
}

/// The whole way with the shipped binaries: a person's support request is read by a
/// member of staff in the console and delivered to a helpdesk's webhook; `parley sync`
/// then shows both reads in `parley audit access`, verified; and when the vendor edits
/// an entry in its store, the agent says the log no longer holds.
#[test]
fn the_person_sees_who_read_their_request_and_when_the_vendor_rewrites_it() {
    let acme = Vendor::start("Acme", "SD-BASE");
    let port = free_port();
    let added = acme.cli_ok(&[
        "webhook",
        "add",
        &format!("http://127.0.0.1:{port}/zammad"),
        "--events",
        "message.received",
        "--name",
        "Zammad",
        "--json",
    ]);
    let added: Value = serde_json::from_str(&added).unwrap();
    let secret = added["secret"].as_str().expect("the secret, shown once");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let receiver = Receiver::start(port, secret, lines);
    let staff = acme
        .command(&["staff", "add", "ana@acme.example", "--role", "agent"])
        .env("PARLEY_STAFF_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    assert!(staff.status.success(), "{}", String::from_utf8_lossy(&staff.stderr));

    let p = Person::new();
    p.add_vendor(&acme);
    p.grant("Acme", "service", "support,product");
    let product = p.add(&["product", "add", "--name", "Kettle", "--vendor", "Acme"]);
    let request =
        p.add(&["support", "add", "--product", &product, "--subject", "Leak", "--text", "It leaks"]);
    p.ok(&["support", "send", &request]);
    receiver.wait_for("the webhook delivery", |l| l.iter().any(|x| x["event"]["type"] == "message.received"));
    let message =
        receiver.events("message.received")[0]["event"]["data"]["message"]["id"].as_str().unwrap().to_owned();

    // Ana opens the case in the console.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let signed_in = http
            .post(format!("{}/console/login", acme.url))
            .form(&[("email", "ana@acme.example"), ("password", "a long enough password")])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), 303);
        let cookie =
            signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let page = http
            .get(format!("{}/console/cases/{message}", acme.url))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("It leaks"), "the case page shows the request");
    });

    p.ok(&["sync"]);
    let audit: Value = serde_json::from_str(&p.ok(&["audit", "access", "--json"])).unwrap();
    let log = &audit[0];
    assert_eq!(log["vendor"], "Acme");
    assert!(log["problem"].is_null() && log["checked"].is_string(), "{log}");
    let reads = log["reads"].as_array().unwrap();
    assert_eq!(reads.len(), 2, "{reads:?}");
    let via: Vec<&str> = reads.iter().map(|r| r["via"].as_str().unwrap()).collect();
    assert!(via.contains(&"webhook") && via.contains(&"console"), "{via:?}");
    let by_staff = reads.iter().find(|r| r["via"] == "console").unwrap();
    assert_eq!((by_staff["reader"].as_str(), by_staff["role"].as_str()), (Some("staff 1"), Some("agent")));
    assert!(!by_staff.to_string().contains("ana@"), "a pseudonym, never the email");
    let by_hook = reads.iter().find(|r| r["via"] == "webhook").unwrap();
    assert_eq!(by_hook["channel"], "Zammad");
    let text = p.ok(&["audit", "access"]);
    assert!(text.contains("the chain holds") && text.contains("in the console"), "{text}");

    // The vendor edits an entry in its store: the person's agent says so.
    rt.block_on(async {
        let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", acme.data.join("vendor.db").display()))
            .await
            .unwrap();
        let changed =
            sqlx::query("UPDATE access_log SET via = 'cli', reader = 'operator' WHERE via = 'console'")
                .execute(&db)
                .await
                .unwrap();
        assert_eq!(changed.rows_affected(), 1);
        db.close().await;
    });
    let synced = p.run(&["sync"]);
    let said =
        String::from_utf8_lossy(&synced.stderr).into_owned() + &String::from_utf8_lossy(&synced.stdout);
    assert!(said.contains("staff-access log"), "sync reports it: {said}");
    let audit = p.run(&["audit", "access"]);
    assert_eq!(audit.status.code(), Some(1), "a log that does not hold fails the command");
    let said = String::from_utf8_lossy(&audit.stdout).into_owned() + &String::from_utf8_lossy(&audit.stderr);
    assert!(
        said.contains("DOES NOT HOLD") && said.contains("in the console"),
        "the first copy is kept: {said}"
    );
}
