//! Storage faults under load: the vendor's disk fills up (a file-size limit set on the
//! running process, the unprivileged way to make its writes fail with "file too large"),
//! and its PostgreSQL server stops and starts again. Meanwhile it answers `503` problem
//! documents, it loses nothing it acknowledged, and it recovers by itself — the same
//! process, not restarted — once space (or the database) is back.

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use parley_agent::outbox::OutboxState;
use parley_agent::records::feedback::FeedbackFields;
use parley_agent::Agent;

use crate::common::{Db, Vendor};
use crate::crash::{drain as drain_one, held_exactly_once, people, wait_for};

const AGENTS: usize = 3;
const EACH: usize = 20;

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
    for agent in agents {
        drain_one(agent, Duration::from_secs(60), "after the fault ended").await;
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
    let (_dirs, agents) = people(&vendor.url, AGENTS).await;
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

/// A PostgreSQL server of the test's own (the distribution's binaries, a cluster in a
/// temporary folder, a free loopback port), so that it can be stopped and started
/// without disturbing other tests. As root, it runs as the `postgres` user.
struct PgCluster {
    server: PgServer,
    _dir: tempfile::TempDir,
}

/// How to reach and control a [`PgCluster`]'s server, from any thread.
#[derive(Clone)]
struct PgServer {
    bin: std::path::PathBuf,
    data: std::path::PathBuf,
    port: u16,
}

impl PgCluster {
    fn start() -> Self {
        let versions = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's binaries (scripts/test.sh installs them)");
        let mut versions: Vec<_> = versions.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        versions.sort_by_key(|p| p.file_name().and_then(|n| n.to_str()).and_then(|n| n.parse::<u32>().ok()));
        let bin = versions.pop().expect("a PostgreSQL version").join("bin");
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            let out = Command::new("chown").args(["-R", "postgres"]).arg(dir.path()).output().unwrap();
            assert!(out.status.success(), "chown: {}", String::from_utf8_lossy(&out.stderr));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = PgServer { bin, data: dir.path().join("data"), port };
        let data = server.data.to_str().unwrap().to_owned();
        server.as_owner("initdb", &["-D", &data, "-A", "trust", "-U", "parley", "--no-sync", "-E", "UTF8"]);
        server.up();
        Self { server, _dir: dir }
    }
}

impl PgServer {
    fn as_owner(&self, program: &str, args: &[&str]) -> std::process::Output {
        let path = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        let out = cmd.args(args).output().unwrap_or_else(|e| panic!("run {program}: {e}"));
        assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    }

    fn url(&self) -> String {
        format!("postgres://parley@127.0.0.1:{}/postgres", self.port)
    }

    fn up(&self) {
        let data = self.data.to_str().unwrap();
        let socket_dir = self.data.parent().unwrap().to_str().unwrap().to_owned();
        let options = format!("-p {} -c listen_addresses=127.0.0.1 -k {socket_dir} -c fsync=off", self.port);
        let log = format!("{socket_dir}/server.log");
        self.as_owner("pg_ctl", &["-D", data, "-l", &log, "-o", &options, "-w", "-t", "30", "start"]);
    }

    /// Stops the server at once, as a crash would (no shutdown checkpoint).
    fn crash(&self) {
        self.as_owner("pg_ctl", &["-D", self.data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]);
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.server.data.to_str().unwrap().to_owned();
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.server.bin.join("pg_ctl"));
            c
        } else {
            Command::new(self.server.bin.join("pg_ctl"))
        };
        let _ = cmd.args(["-D", &data, "-m", "immediate", "stop"]).output();
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_stopped_and_started_under_load_loses_nothing_and_recovers_by_itself() {
    use crate::crash::{send_all, AGENTS as SENDERS, EACH as PER_SENDER};
    let cluster = PgCluster::start();
    let server = cluster.server.clone();
    let mut vendor = Vendor::start_on_database("Acme", "SD-BASE", &server.url());
    let pid = vendor.pid().unwrap();
    let health = format!("{}/healthz", vendor.url);
    let (_dirs, agents) = people(&vendor.url, SENDERS).await;
    let senders: Vec<_> =
        agents.iter().enumerate().map(|(n, a)| tokio::spawn(send_all(a.clone(), n))).collect();

    // The database goes away under load — once the first message is in, so that the
    // rest meet the outage — and comes back once a send has failed meanwhile.
    wait_for(&agents, "a first message delivered", |m| m.state == OutboxState::Delivered).await;
    tokio::task::spawn_blocking({
        let server = server.clone();
        move || server.crash()
    })
    .await
    .unwrap();
    wait_for(&agents, "a send failed while the database was down", |m| {
        m.state == OutboxState::Queued && m.attempts >= 1
    })
    .await;
    let down = reqwest::get(&health).await.unwrap();
    assert_eq!(down.status(), 503, "the health check says the store is gone");
    let problem: serde_json::Value = down.json().await.unwrap();
    assert_eq!(problem["type"], "urn:parley:problem:unavailable");
    tokio::task::spawn_blocking(move || server.up()).await.unwrap();
    for s in senders {
        s.await.unwrap();
    }
    assert_eq!(reqwest::get(&health).await.unwrap().status(), 200, "healthy again");
    assert!(vendor.running(), "the vendor recovered without a restart");
    assert_eq!(vendor.pid(), Some(pid));
    let (sent, retried) = held_exactly_once(
        Arc::new(Mutex::new(vendor)),
        &agents,
        &BTreeSet::new(),
        SENDERS * PER_SENDER,
        true,
    )
    .await;
    eprintln!("PostgreSQL stopped and started: {sent} held once each, {retried} sent again");
}
