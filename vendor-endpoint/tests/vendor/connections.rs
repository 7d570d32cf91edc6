//! Connections a slow or hostile client opens: cut off when the request head stalls,
//! bounded in number, and never holding up shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use parley_protocol::AgreementId;
use parley_vendor::Limits;

/// A vendor served in-process with `limits`; returns its address.
async fn serve_with(limits: Limits) -> (SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let vendor = parley_vendor::Vendor::init(dir.path(), "Slow", vec![AgreementId::SdBase]).unwrap();
    let store = parley_vendor::Store::connect(&vendor.default_database_url()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut endpoint = parley_vendor::endpoint(vendor, store, &format!("http://{addr}")).unwrap();
    std::sync::Arc::get_mut(&mut endpoint).unwrap().limits = limits;
    tokio::spawn(parley_vendor::serve(listener, endpoint, std::future::pending()));
    (addr, dir)
}

/// Opens a connection and sends half a request head, then stalls.
fn stall(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"POST /parley/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Ty").unwrap();
    s
}

/// Waits (at most `bound`) for the server to close `s`; how long it took.
fn closed_within(mut s: TcpStream, bound: Duration) -> Option<Duration> {
    let start = Instant::now();
    s.set_read_timeout(Some(bound)).unwrap();
    let mut buf = Vec::new();
    match s.read_to_end(&mut buf) {
        Ok(_) => Some(start.elapsed()),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Some(start.elapsed()),
        Err(_) => None,
    }
}

fn healthz(addr: SocketAddr, timeout: Duration) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr, timeout).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_stalled_inside_its_request_head_is_cut_off() {
    let limits = Limits { header_read_timeout: Duration::from_millis(800), ..Limits::default() };
    let (addr, _dir) = serve_with(limits).await;
    let closed = tokio::task::spawn_blocking(move || closed_within(stall(addr), Duration::from_secs(20)))
        .await
        .unwrap();
    assert!(closed.is_some(), "a stalled request head must not hold its connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_wait_for_a_free_slot() {
    let limits =
        Limits { header_read_timeout: Duration::from_secs(2), max_connections: 2, ..Limits::default() };
    let (addr, _dir) = serve_with(limits).await;
    let outcome = tokio::task::spawn_blocking(move || {
        let held = [stall(addr), stall(addr)];
        // Both slots are taken until the stalled heads time out (2 s from now).
        let while_full = healthz(addr, Duration::from_millis(500));
        let later = healthz(addr, Duration::from_secs(15));
        drop(held);
        (while_full, later)
    })
    .await
    .unwrap();
    assert!(outcome.0.is_none(), "a third connection is not served while two are open: {:?}", outcome.0);
    assert!(outcome.1.is_some_and(|r| r.starts_with("HTTP/1.1 200")), "served once a slot is free");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_the_server_in_bounded_time_while_a_client_stalls() {
    let dir = tempfile::tempdir().unwrap();
    let vendor = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_parley-vendor"));
        c.arg("--data").arg(dir.path()).env_remove("PARLEY_VENDOR_DATABASE_URL").env("PARLEY_LOG", "warn");
        c
    };
    assert!(vendor().args(["init", "--name", "Acme"]).status().unwrap().success());
    let mut child =
        vendor().args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr: SocketAddr = line.trim().trim_start_matches("http://").parse().unwrap();
    let _stalled = stall(addr);
    let _idle = TcpStream::connect(addr).unwrap();
    std::thread::sleep(Duration::from_millis(200));

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let status = status.expect("parley-vendor must exit after SIGTERM, whatever its clients do");
    assert!(status.success(), "a clean exit: {status}");
}
