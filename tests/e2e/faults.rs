//! Storage faults under load: the vendor's disk fills up (a file-size limit set on the
//! running process, the unprivileged way to make its writes fail with "file too large"),
//! and its PostgreSQL server stops and starts again. Meanwhile it answers `503` problem
//! documents, it loses nothing it acknowledged, and it recovers by itself — the same
//! process, not restarted — once space (or the database) is back.

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parley_agent::exchange::SyncOptions;
use parley_agent::outbox::OutboxFilter;
use parley_agent::records::feedback::FeedbackFields;
use parley_agent::Agent;
use parley_protocol::{Category, Purpose};

use crate::common::{Db, Vendor};
use crate::crash::held_exactly_once;
use crate::in_process::{agreed, person};

const AGENTS: usize = 3;
const EACH: usize = 20;

async fn agents_of(url: &str) -> (Vec<tempfile::TempDir>, Vec<Arc<Agent>>) {
    let (mut dirs, mut agents) = (Vec::new(), Vec::new());
    for _ in 0..AGENTS {
        let (dir, agent) = person().await;
        agent.discover_vendor(url, None).await.unwrap();
        agreed(&agent, "Acme", Purpose::Improvement, vec![Category::Feedback]).await;
        dirs.push(dir);
        agents.push(Arc::new(agent));
    }
    (dirs, agents)
}

/// Each agent writes and sends its feedback: delivered, or queued when the vendor
/// answers 503. Returns the 503 answers seen (as the outbox records them).
async fn send_some(agents: &[Arc<Agent>], tag: &str) -> usize {
    let mut unavailable = 0;
    for (n, agent) in agents.iter().enumerate() {
        for i in 0..EACH {
            let text = format!("{tag}: agent {n}, note {i}");
            let fields = FeedbackFields {
                vendor: Some("Acme".into()),
                score: Some(6),
                text: Some(text),
                ..Default::default()
            };
            let f = agent.vault().feedback().add(fields).await.unwrap();
            let sent = agent.send_feedback(&f.id, None).await.unwrap();
            let said = sent.messages[0].last_error.clone().unwrap_or_default();
            unavailable += usize::from(said.contains("503"));
        }
    }
    unavailable
}

/// Syncs every agent until nothing waits, bounded in time.
async fn drain(agents: &[Arc<Agent>]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    for agent in agents {
        loop {
            let _ = agent.sync(&SyncOptions { vendor: None, now: true, skip_inbox: true }).await;
            if agent.vault().outbox(OutboxFilter::Waiting).await.unwrap().is_empty() {
                break;
            }
            assert!(Instant::now() < deadline, "the outbox did not drain after the fault ended");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Sets the soft file-size limit of a running process (the hard one stays unlimited, so
/// the limit can be raised again without privileges).
fn prlimit_fsize(pid: u32, bytes: &str) {
    let out =
        Command::new("prlimit").args(["--pid", &pid.to_string(), &format!("--fsize={bytes}:")]).output();
    let out = out.expect("run prlimit (util-linux)");
    assert!(out.status.success(), "prlimit: {}", String::from_utf8_lossy(&out.stderr));
}

fn size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_loses_nothing_and_recovers_by_itself() {
    let mut vendor = Vendor::start_on("Acme", "SD-BASE", Db::Sqlite);
    vendor.full_disk_possible = true;
    vendor.restart();
    let (_dirs, agents) = agents_of(&vendor.url).await;
    let pid = vendor.pid().unwrap();

    // The disk is full: no file of the vendor's may grow beyond what it is now.
    let (db, wal) = (vendor.data.join("vendor.db"), vendor.data.join("vendor.db-wal"));
    let full = size(&db).max(size(&wal)).max(4096);
    prlimit_fsize(pid, &full.to_string());
    let unavailable = send_some(&agents, "disk full").await;
    assert!(unavailable > 0, "a full disk is answered with 503 (the messages wait in the outboxes)");
    assert!(vendor.running(), "a full disk does not stop the vendor");

    // Space again: the same process takes the messages that waited, once each.
    prlimit_fsize(pid, "unlimited");
    drain(&agents).await;
    assert!(vendor.running(), "it recovered without a restart");
    assert_eq!(vendor.pid(), Some(pid));
    let (sent, retried) =
        held_exactly_once(Arc::new(Mutex::new(vendor)), &agents, &BTreeSet::new(), AGENTS * EACH, false)
            .await;
    assert!(retried >= unavailable.min(1), "what was refused with 503 was sent again");
    eprintln!("disk full: {unavailable} answered 503, then {sent} held once each");
}
