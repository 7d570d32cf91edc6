//! The vendor killed with SIGKILL again and again while several agents send, on SQLite
//! and on PostgreSQL: "acknowledged means durable" as a test. After the agents' outboxes
//! drain, the vendor holds every message exactly once, every receipt an agent holds
//! names a message the vendor holds, and nothing it refused is held.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parley_agent::exchange::SyncOptions;
use parley_agent::outbox::{OutboxFilter, OutboxItem, OutboxState};
use parley_agent::records::feedback::FeedbackFields;
use parley_agent::Agent;
use parley_protocol::{
    Body, Category, ConsentGrant, Did, Feedback, FeedbackSubject, Message, MessageType, Purpose, SecretKey,
};

use crate::common::{Db, Vendor};
use crate::in_process::{agreed, person};

pub(crate) const AGENTS: usize = 4;
pub(crate) const EACH: usize = 25;
const KILLS: usize = 6;

/// `n` people, each with the vendor at `url` found and a feedback consent it agreed to.
pub(crate) async fn people(url: &str, n: usize) -> (Vec<tempfile::TempDir>, Vec<Arc<Agent>>) {
    let (mut dirs, mut agents) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let (dir, agent) = person().await;
        agent.discover_vendor(url, None).await.unwrap();
        agreed(&agent, "Acme", Purpose::Improvement, vec![Category::Feedback]).await;
        dirs.push(dir);
        agents.push(Arc::new(agent));
    }
    (dirs, agents)
}

/// Waits (at most 30 s) until some agent's outbox holds a feedback that is `what` says.
pub(crate) async fn wait_for(agents: &[Arc<Agent>], what: &str, found: impl Fn(&OutboxItem) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        for agent in agents {
            let items = agent.vault().outbox(OutboxFilter::All).await.unwrap();
            if items.iter().any(|m| m.message_type == MessageType::Feedback && found(m)) {
                return;
            }
        }
        assert!(Instant::now() < deadline, "never saw {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How long an agent waits between two notes. Unpaced, four agents sent their hundred
/// notes in less time than the first kill took to land once a faster protocol came in,
/// and no kill met a message in flight: spread over about a second, the sending
/// overlaps the kills (which run for ~2 s) whatever the machine's speed.
const BETWEEN_NOTES: Duration = Duration::from_millis(40);

/// One agent's work: write and send its feedback (queued when the vendor is down), then
/// sync until nothing waits, bounded in time.
pub(crate) async fn send_all(agent: Arc<Agent>, n: usize) {
    for i in 0..EACH {
        let text = format!("agent {n}, note {i}");
        let fields = FeedbackFields {
            vendor: Some("Acme".into()),
            score: Some(7),
            text: Some(text),
            ..Default::default()
        };
        let f = agent.vault().feedback().add(fields).await.unwrap();
        // Down or up, the message is signed and queued first; a failure here is a bug.
        agent.send_feedback(&f.id, None).await.unwrap();
        tokio::time::sleep(BETWEEN_NOTES).await;
    }
    drain(&agent, Duration::from_secs(120), &format!("agent {n}")).await;
}

/// Syncs `agent` until nothing waits in its outbox, for at most `within`.
pub(crate) async fn drain(agent: &Agent, within: Duration, who: &str) {
    let deadline = Instant::now() + within;
    loop {
        let _ = agent.sync(&SyncOptions { vendor: None, now: true, skip_inbox: true }).await;
        if agent.vault().outbox(OutboxFilter::Waiting).await.unwrap().is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "{who}: the outbox did not drain");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Messages the vendor must refuse (a consent it never agreed to), posted while it is
/// killed and restarted; returns the ids it answered with a refusal.
pub(crate) async fn post_unconsented(vendor: String, to: Did, until: Arc<Mutex<bool>>) -> BTreeSet<String> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let key = SecretKey::generate();
    let me = Did::from_public_key(&key.to_public());
    let never_agreed = Message::new(
        me.clone(),
        to.clone(),
        Body::ConsentGrant(ConsentGrant {
            agreement: parley_protocol::AgreementId::SdBase,
            purpose: Purpose::Improvement,
            categories: vec![Category::Feedback],
            retention_days: 30,
            terms: None,
        }),
    )
    .sign(&key)
    .unwrap();
    let mut refused = BTreeSet::new();
    while !*until.lock().unwrap() {
        let mut m = Message::new(
            me.clone(),
            to.clone(),
            Body::Feedback(Feedback {
                about: FeedbackSubject::Vendor,
                score: 0,
                text: Some("not consented".into()),
                suggestions: vec![],
                product: None,
                contact: None,
            }),
        );
        m.consent = Some(never_agreed.id.clone().into());
        let signed = m.sign(&key).unwrap();
        let sent = client
            .post(format!("{vendor}/parley/v1/messages"))
            .header("content-type", "application/json")
            .body(signed.canonical().to_owned())
            .send()
            .await;
        if let Ok(r) = sent {
            if r.status().is_client_error() {
                refused.insert(signed.id.to_string());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    refused
}

async fn vendor_killed_under_load(db: Db) {
    let vendor = Vendor::start_on("Acme", "SD-BASE", db);
    let url = vendor.url.clone();
    let (_dirs, agents) = people(&url, AGENTS).await;
    let vendor_did: Did = agents[0].vault().vendors().get("Acme").await.unwrap().did.unwrap();

    let vendor = Arc::new(Mutex::new(vendor));
    let done = Arc::new(Mutex::new(false));
    let stray = tokio::spawn(post_unconsented(url.clone(), vendor_did, done.clone()));
    let senders: Vec<_> =
        agents.iter().enumerate().map(|(n, a)| tokio::spawn(send_all(a.clone(), n))).collect();

    // SIGKILL at varied moments from the first delivery on, each time restarted on the
    // same port and store.
    wait_for(&agents, "a first message delivered", |m| m.state == OutboxState::Delivered).await;
    let killer = {
        let vendor = vendor.clone();
        tokio::task::spawn_blocking(move || {
            for k in 0..KILLS {
                vendor.lock().unwrap().restart();
                std::thread::sleep(Duration::from_millis(150 + 70 * k as u64));
            }
        })
    };
    killer.await.unwrap();
    for s in senders {
        s.await.unwrap();
    }
    *done.lock().unwrap() = true;
    let refused = stray.await.unwrap();

    assert!(!refused.is_empty(), "the unconsented messages were answered with refusals");
    let (sent, retried) = held_exactly_once(vendor, &agents, &refused, AGENTS * EACH, true).await;
    eprintln!(
        "{db:?}: {sent} messages held once each through {KILLS} kills ({retried} needed more than one attempt); \
         {} refused, none held",
        refused.len()
    );
}

/// What the vendor holds after the agents' outboxes drained: every message each agent
/// sent once, each receipt naming a held message, nothing else (none of `refused`).
/// Returns how many were sent, and how many of them needed more than one attempt.
pub(crate) async fn held_exactly_once(
    vendor: Arc<Mutex<Vendor>>,
    agents: &[Arc<Agent>],
    refused: &BTreeSet<String>,
    expected: usize,
    must_retry: bool,
) -> (usize, usize) {
    let held = tokio::task::spawn_blocking({
        let vendor = vendor.clone();
        move || vendor.lock().unwrap().messages(Some("Feedback"))
    })
    .await
    .unwrap();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for m in &held {
        *count.entry(m["id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert!(count.values().all(|&n| n == 1), "a message held twice: {count:?}");

    // Every message each agent sent: delivered, with a receipt naming a held message.
    let mut sent = BTreeSet::new();
    let mut retried = 0;
    for agent in agents {
        for item in agent.vault().outbox(OutboxFilter::All).await.unwrap() {
            if item.message_type != MessageType::Feedback {
                continue;
            }
            let id = item.id.to_message_id().to_string();
            assert_eq!(item.state, OutboxState::Delivered, "{id}: {:?}", item.last_error);
            let receipt = item.receipt.as_ref().expect("a delivered message keeps its receipt");
            assert_eq!(
                receipt["body"]["message"],
                id.as_str(),
                "the receipt names the message it acknowledges"
            );
            assert!(count.contains_key(&id), "{id} was acknowledged but the vendor does not hold it");
            // `attempts` counts the failed ones: one failure and the delivery make two.
            retried += usize::from(item.attempts > 0);
            sent.insert(id);
        }
    }
    assert_eq!(sent.len(), expected, "every message the agents wrote was sent");
    let unconsented: Vec<_> = count.keys().filter(|id| !sent.contains(*id)).collect();
    assert!(unconsented.is_empty(), "held without having been acknowledged to an agent: {unconsented:?}");
    assert!(!must_retry || retried > 0, "the kills fell while messages were being sent");
    assert!(refused.iter().all(|id| !count.contains_key(id)), "a refused message is held");
    (sent.len(), retried)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn vendor_killed_under_load_on_sqlite_loses_and_duplicates_nothing() {
    vendor_killed_under_load(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn vendor_killed_under_load_on_postgres_loses_and_duplicates_nothing() {
    vendor_killed_under_load(Db::Postgres).await;
}
