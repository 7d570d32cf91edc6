//! Three `parley-vendor serve` processes on one PostgreSQL database behind a round-robin
//! proxy, as behind a load balancer: one instance is killed with SIGKILL while four
//! agents send through the proxy. Every message is still held exactly once, every
//! receipt names a held message, and a message delivered again straight to any live
//! instance gets the very receipt its agent holds.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use parley_agent::outbox::{OutboxFilter, OutboxState};
use parley_protocol::MessageType;
use tokio::net::{TcpListener, TcpStream};

use crate::common::{Db, Vendor};
use crate::crash::{held_exactly_once, people, post_unconsented, send_all, wait_for, AGENTS, EACH};

/// Hands each new connection to the next backend in turn, skipping those that refuse.
fn round_robin(listener: TcpListener, backends: Vec<SocketAddr>) {
    let next = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (backends, next) = (backends.clone(), next.clone());
            tokio::spawn(async move {
                for _ in 0..backends.len() {
                    let to = backends[next.fetch_add(1, Ordering::SeqCst) % backends.len()];
                    if let Ok(mut up) = TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut socket, &mut up).await;
                        return;
                    }
                }
            });
        }
    });
}

fn addr(v: &Vendor) -> SocketAddr {
    v.url.trim_start_matches("http://").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_behind_a_round_robin_proxy_one_killed_lose_and_duplicate_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front = format!("http://{}", listener.local_addr().unwrap());
    let one = Vendor::start_on_behind("Acme", "SD-BASE", Db::Postgres, &front);
    let two = one.another_instance();
    let three = one.another_instance();
    round_robin(listener, vec![addr(&one), addr(&two), addr(&three)]);

    let (_dirs, agents) = people(&front, AGENTS).await;
    let vendor_did = agents[0].vault().vendors().get("Acme").await.unwrap().did.unwrap();

    let done = Arc::new(Mutex::new(false));
    let stray = tokio::spawn(post_unconsented(front.clone(), vendor_did, done.clone()));
    let senders: Vec<_> =
        agents.iter().enumerate().map(|(n, a)| tokio::spawn(send_all(a.clone(), n))).collect();
    // Instance two goes away mid-run, as a crashed machine would.
    let two = Arc::new(Mutex::new(two));
    wait_for(&agents, "a first message delivered", |m| m.state == OutboxState::Delivered).await;
    tokio::task::spawn_blocking({
        let two = two.clone();
        move || two.lock().unwrap().stop()
    })
    .await
    .unwrap();
    for s in senders {
        s.await.unwrap();
    }
    *done.lock().unwrap() = true;
    let refused = stray.await.unwrap();

    assert!(!refused.is_empty(), "the unconsented messages were answered with refusals");
    let one = Arc::new(Mutex::new(one));
    let (sent, retried) = held_exactly_once(one.clone(), &agents, &refused, AGENTS * EACH, false).await;
    eprintln!(
        "3 instances, one killed: {sent} messages held once each ({retried} retried), {} refused",
        refused.len()
    );

    // The same message again, straight to each live instance: the receipt its agent holds.
    let item = agents[0]
        .vault()
        .outbox(OutboxFilter::All)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.message_type == MessageType::Feedback)
        .unwrap();
    let client = reqwest::Client::new();
    let live: Vec<String> = vec![one.lock().unwrap().url.clone(), three.url.clone()];
    let mut receipts = BTreeSet::new();
    for url in live {
        let answer: serde_json::Value = client
            .post(format!("{url}/parley/v1/messages"))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&item.message).unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            Some(&answer["receipt"]),
            item.receipt.as_ref(),
            "{url} answers with the receipt the agent holds"
        );
        receipts.insert(answer["receipt"].to_string());
    }
    assert_eq!(receipts.len(), 1);
}
