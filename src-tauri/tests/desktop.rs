//! The real desktop app, driven through WebDriver: `tauri-driver` in front of the
//! distribution's `WebKitWebDriver`, the built `parley-desktop` under an X display
//! (the test command runs the suite under Xvfb). It creates a vault, adds a product and
//! sees it listed (a screenshot is written to `target/screenshots/desktop-products.png`),
//! then walks the loop with a real `parley-vendor` on a loopback port: add the vendor by
//! URL, send feedback without a consent (the app asks for it in a sentence, "Allow and
//! send" proffers it and sends once the vendor agreed), receive the vendor's reply —
//! counted in the Inbox, told in a desktop notification naming what it answers (seen on
//! a private D-Bus session bus, which the test command provides), shown under the
//! feedback and in the Inbox — then intent to ownership, and a backup to a file picked
//! in the native dialog.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Driver(Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return p.into();
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let installed = home.join("bin/tauri-driver");
    assert!(
        installed.exists(),
        "tauri-driver is missing: scripts/test.sh installs it (cargo install tauri-driver)"
    );
    installed
}

/// Watches the session bus for desktop notifications (`Notify` calls to the
/// notification service), whether or not a notification server runs: the app's side of
/// that boundary is what is under test.
struct Notifications {
    _monitor: Driver,
    _server: Driver,
    seen: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Notifications {
    fn watch() -> Self {
        use std::io::BufRead;
        assert!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "the desktop test needs a D-Bus session bus: run it under dbus-run-session (scripts/test.sh does)"
        );
        let mut child = Command::new("dbus-monitor")
            .args([
                "--session",
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-monitor");
        let out = child.stdout.take().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = seen.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&line);
            }
        });
        // A real notification server (its popups are X windows under Xvfb), so that a
        // notification can be clicked.
        let server = "/usr/lib/notification-daemon/notification-daemon";
        assert!(
            std::path::Path::new(server).exists(),
            "{server} is missing: scripts/test.sh installs it (apt package notification-daemon)"
        );
        let server =
            Command::new(server).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start it");
        Self { _monitor: Driver(child), _server: Driver(server), seen }
    }

    /// Waits (at most 15 s) for a notification whose text contains `wanted`.
    fn wait_for(&self, wanted: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.seen.lock().unwrap().contains(wanted) {
            assert!(
                Instant::now() < deadline,
                "no notification with {wanted:?}; the bus saw: {:?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Session {
    http: reqwest::Client,
    base: String,
}

impl Session {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let answer: Value =
            req.send().await.expect("WebDriver request").json().await.expect("WebDriver JSON");
        answer["value"].clone()
    }

    /// Waits (at most 20 s) for an element matching a CSS selector.
    async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self
                .send(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css})))
                .await;
            // W3C WebDriver names a found element by this key; an error has `error` instead.
            if let Some(id) = v["element-6066-11e4-a52e-4f735466cecf"].as_str() {
                return id.to_owned();
            }
            assert!(Instant::now() < deadline, "no element {css} appeared: {v}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Chooses the option at `index` of a `<select>`, as a person picking from it would,
    /// once the screen has loaded that many options (at most 20 s).
    async fn choose(&self, css: &str, index: usize) {
        let script = "const s = document.querySelector(arguments[0]); \
                      if (!s || s.options.length <= arguments[1]) return false; \
                      s.selectedIndex = arguments[1]; \
                      s.dispatchEvent(new Event('change', { bubbles: true })); return true;";
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let done = self
                .send(
                    reqwest::Method::POST,
                    "/execute/sync",
                    Some(json!({"script": script, "args": [css, index]})),
                )
                .await;
            if done == json!(true) {
                return;
            }
            assert!(Instant::now() < deadline, "{css} never had an option {index}: {done}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Sets an input's value as the browser does when a person picks it (a date input
    /// takes no typed keys through WebDriver), then tells the page it changed.
    async fn set_value(&self, css: &str, value: &str) {
        self.find(css).await;
        let script = "const i = document.querySelector(arguments[0]); i.value = arguments[1]; \
                      i.dispatchEvent(new Event('input', { bubbles: true })); \
                      i.dispatchEvent(new Event('change', { bubbles: true }));";
        self.send(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": [css, value]})),
        )
        .await;
    }

    /// Calls a Rust command from the page, as any script running in it could; returns
    /// `{"ok": value}` or `{"err": {code, message}}`.
    async fn invoke(&self, command: &str, args: Value) -> Value {
        let script = "const [cmd, args, done] = arguments; \
                      window.__TAURI_INTERNALS__.invoke(cmd, args).then(v => done({ok: v ?? null}), e => done({err: e}));";
        self.send(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": [command, args]})),
        )
        .await
    }

    /// Writes the window as it is to `target/screenshots/NAME.png`.
    async fn screenshot(&self, name: &str) {
        let shot = self.send(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            shot.as_str().unwrap_or_default(),
        )
        .expect("screenshot is base64");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join(format!("{name}.png")), &png).unwrap();
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.send(reqwest::Method::POST, &format!("/element/{el}/click"), Some(json!({}))).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.send(reqwest::Method::POST, &format!("/element/{el}/value"), Some(json!({"text": text}))).await;
    }

    /// Waits (at most 15 s) until the input matching `css` holds exactly `wanted`.
    async fn wait_value(&self, css: &str, wanted: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let id = self.find(css).await;
            let value = self.send(reqwest::Method::GET, &format!("/element/{id}/property/value"), None).await;
            if value == wanted {
                return;
            }
            assert!(Instant::now() < deadline, "{css} holds {value}, not {wanted:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits (at most 20 s) until the element's text contains `wanted`.
    async fn wait_text(&self, css: &str, wanted: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let el = self.find(css).await;
            let text = self.send(reqwest::Method::GET, &format!("/element/{el}/text"), None).await;
            let text = text.as_str().unwrap_or_default().to_owned();
            if text.contains(wanted) {
                return text;
            }
            assert!(Instant::now() < deadline, "{css} never showed {wanted:?}; it shows {text:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_app_creates_a_vault_lists_a_product_and_deals_with_a_vendor() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "the desktop test needs an X display: run it under xvfb-run (scripts/test.sh does)"
    );
    let notifications = Notifications::watch();
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault");
    let (port, native) = (free_port(), free_port());
    let _driver = Driver(
        Command::new(tauri_driver())
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .env("PARLEY_VAULT", &vault)
            .env("PARLEY_INSECURE_KDF", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tauri-driver"),
    );
    let http = reqwest::Client::new();
    let root = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while http.get(format!("{root}/status")).send().await.is_err() {
        assert!(Instant::now() < deadline, "tauri-driver did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let app = env!("CARGO_BIN_EXE_parley-desktop");
    let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "wry", "tauri:options": {"application": app}}}});
    let created: Value =
        http.post(format!("{root}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
    let id =
        created["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}")).to_owned();
    let s = Session { http, base: format!("{root}/session/{id}") };

    // The window is Parley's.
    let title = s.send(reqwest::Method::GET, "/title", None).await;
    assert_eq!(title, "Parley");

    // Create a vault: the real one, on disk, encrypted.
    s.type_into("[data-testid=passphrase]", "correct horse battery staple").await;
    s.type_into("[data-testid=passphrase-again]", "correct horse battery staple").await;
    s.click("[data-testid=create-form] button[type=submit]").await;
    s.find("[data-testid=nav-products]").await;
    assert!(vault.join("vault.key").exists() && vault.join("vault.db").exists(), "the vault is on disk");

    // Add a product and see it listed.
    s.click("[data-testid=add-product]").await;
    s.type_into("[data-testid=product-name]", "Kettle K2").await;
    s.click("[data-testid=save-product]").await;
    s.wait_text("[data-testid=product-list]", "Kettle K2").await;
    s.wait_text("[data-testid=product-detail]", "No warranty date").await;

    s.screenshot("desktop-products").await;

    // The product is in the encrypted vault, not in plain text on disk.
    let db = std::fs::read(vault.join("vault.db")).unwrap();
    assert!(!db.windows(9).any(|w| w == b"Kettle K2"), "no plaintext in the vault file");

    // The loop with a real vendor, from the app alone.
    let vendor = Vendor::start(dir.path());
    s.click("[data-testid=nav-vendors]").await;
    s.type_into("[data-testid=vendor-url]", &vendor.url).await;
    s.click("[data-testid=add-vendor]").await;
    let fingerprint = s.wait_text("[data-testid=fingerprint]", " ").await;
    assert_eq!(fingerprint.len(), 39, "the pinned key's fingerprint is shown: {fingerprint:?}");

    // Feedback with no consent yet: the app asks for one in a sentence, proffers it when
    // allowed and sends once the vendor agreed.
    s.click("[data-testid=nav-feedback]").await;
    s.choose("[data-testid=feedback-about]", 2).await; // the vendor (after the placeholder and the product)
    s.click("[data-testid=score-9]").await;
    s.type_into("[data-testid=feedback-text]", "Quiet, boils fast").await;
    s.click("[data-testid=save-feedback]").await;
    let asked = s.wait_text("[data-testid=consent-sheet]", "receive my feedback, for 1 year?").await;
    assert!(!asked.contains("parley "), "no command to type: {asked}");
    s.screenshot("desktop-consent-sheet").await;
    s.click("[data-testid=allow-and-send]").await;
    s.wait_text("[data-testid=sent]", "receipt verified").await;
    let held = vendor.cli(&["messages", "--type", "Feedback"]);
    assert!(held.contains("Quiet, boils fast"), "the vendor holds the feedback: {held}");

    // The vendor replies: the Inbox counts it, the desktop says who replied about what,
    // and the reply shows under the feedback it answers and in the Inbox.
    let id = held.split_whitespace().nth(1).expect("the message id").to_owned();
    vendor.cli(&["reply", &id, "--text", "Thank you, we read every message"]);
    s.click("[data-testid=nav-products]").await;
    s.click("[data-testid=sync-now]").await;
    s.wait_text("[data-testid=unread-count]", "1").await;
    notifications.wait_for("replied about your feedback");
    // Clicking the notification (the server's popup, as a person would) opens the reply.
    click_notification();
    let opened = s.wait_text("[data-testid=inbox-message].focused", "Thank you, we read every message").await;
    assert!(opened.contains("replied about your feedback"), "the Inbox says what it answers: {opened}");
    s.screenshot("desktop-inbox").await;
    s.click("[data-testid=nav-feedback]").await;
    s.wait_text("[data-testid=feedback-reply]", "Thank you, we read every message").await;

    // From intent to ownership: an intent (its consent asked and given on the way), an
    // offer accepted in the app's dialog, the order delivered; the product appears with
    // its proof of purchase, and the desktop is told.
    s.click("[data-testid=nav-intents]").await;
    s.type_into("[data-testid=intent-form] input", "Espresso machine").await;
    s.click("[data-testid=intent-form] button[type=submit]").await;
    s.click("[data-testid=intent-detail] input[type=checkbox]").await;
    s.click("[data-testid=intent-preview]").await;
    s.wait_text("[data-testid=consent-sheet]", "receive what I want to buy, for 1 year?").await;
    s.click("[data-testid=allow-and-send]").await;
    s.wait_text("[data-testid=sent]", "receipt verified").await;
    let intent = vendor.cli(&["messages", "--type", "Intent"]);
    let intent = intent.split_whitespace().nth(1).expect("the intent's id").to_owned();
    let offer =
        vendor.cli(&["offer", &intent, "--price", "249.00", "--currency", "EUR", "--text", "Espresso EM-3"]);
    s.click("[data-testid=sync-now]").await;
    s.click("[data-testid=accept-offer]").await;
    s.wait_text("[data-testid=dialog]", "its updates (shipped, delivered) arrive in your Inbox").await;
    s.click("[data-testid=dialog-confirm]").await;
    s.wait_text("[data-testid=intent-detail]", "The vendor knows you accepted").await;
    for status in ["confirmed", "shipped"] {
        vendor.cli(&["order", offer.trim(), "--status", status]);
    }
    vendor.cli(&[
        "order",
        offer.trim(),
        "--status",
        "delivered",
        "--serial",
        "EM3-0042",
        "--warranty-until",
        "2028-12-03",
    ]);
    s.click("[data-testid=sync-now]").await;
    notifications.wait_for("Espresso EM-3 was delivered");
    s.wait_text("[data-testid=order-progress]", "Delivered").await;
    let scroll = "document.querySelector('[data-testid=order-progress]').scrollIntoView({block: 'center'});";
    s.send(reqwest::Method::POST, "/execute/sync", Some(json!({"script": scroll, "args": []}))).await;
    s.screenshot("desktop-order").await;
    s.click("[data-testid=nav-products]").await;
    s.wait_text("[data-testid=product-list]", "Espresso EM-3").await;
    s.wait_text("[data-testid=product-list]", "Proof of purchase").await;
    s.click("[data-testid=proof-badge]").await;
    s.wait_text("[data-testid=proof-of-purchase]", "signed order updates").await;
    s.screenshot("desktop-proof").await;

    // A backup to a file chosen in the system's own save dialog, typed into as a
    // person would (xdotool), then written with progress: encrypted, no plain text.
    let backup = dir.path().join("chosen.pbk");
    s.click("[data-testid=nav-settings]").await;
    // Script in the page cannot choose where a backup is written: only the file the
    // person picked in the dialog, held in Rust, is ever used.
    let injected = dir.path().join("injected.pbk");
    let asked = json!({"backup": {"passphrase": "another long passphrase", "path": injected}});
    let answer = s.invoke("vault_export", asked).await;
    assert!(answer["ok"].is_null() && answer["err"].to_string().contains("path"), "refused: {answer}");
    let answer = s.invoke("vault_export", json!({"backup": {"passphrase": "another long passphrase"}})).await;
    let said = answer["err"]["message"].as_str().unwrap_or_default();
    assert!(said.contains("file dialog"), "nothing chosen in the dialog yet: {answer}");
    assert!(!injected.exists(), "no file was written where the page asked");
    s.click("[data-testid=pick-export]").await;
    answer_file_dialog("Save the backup as", &backup);
    s.wait_value("[data-testid=backup-path]", &backup.display().to_string()).await;
    s.type_into("[data-testid=backup-passphrase]", "another long passphrase").await;
    s.type_into("[data-testid=backup-passphrase-again]", "another long passphrase").await;
    s.click("[data-testid=export-backup]").await;
    s.wait_text("[data-testid=notice]", "Backup written").await;
    let written = std::fs::read(&backup).expect("the backup is where the dialog said");
    assert!(written.len() > 1024, "a whole backup: {} bytes", written.len());
    assert!(!written.windows(9).any(|w| w == b"Kettle K2"), "no plaintext in the backup");

    // A warranty ending within 30 days is told on the desktop within a background tick.
    let in_ten_days =
        parley_protocol::time::OffsetDateTime::now_utc().date() + Duration::from_secs(10 * 86400);
    s.click("[data-testid=nav-products]").await;
    s.click("[data-testid=add-product]").await;
    s.type_into("[data-testid=product-name]", "Toaster T1").await;
    s.set_value("[data-testid=product-warranty]", &in_ten_days.to_string()).await;
    s.click("[data-testid=save-product]").await;
    s.wait_text("[data-testid=product-list]", "Toaster T1").await;
    notifications.wait_for("Toaster T1: 10 day(s) left");
    s.send(reqwest::Method::DELETE, "", None).await;
}

/// Clicks the notification server's popup (the only one on screen), as a person would.
fn click_notification() {
    let out = Command::new("timeout")
        .args(["10", "xdotool", "search", "--sync", "--onlyvisible", "--class", "notification"])
        .output()
        .expect("run xdotool");
    let window = String::from_utf8_lossy(&out.stdout).lines().next().map(str::to_owned);
    let window = window.unwrap_or_else(|| panic!("no notification popup appeared: {out:?}"));
    let click = Command::new("timeout")
        .args(["10", "xdotool", "mousemove", "--window", &window, "20", "20", "click", "1"])
        .status()
        .expect("run xdotool");
    assert!(click.success(), "clicking the notification failed");
}

/// Waits for the native file dialog titled `title`, types `path` into its name field
/// and presses Return. Bounded: each xdotool call is given ten seconds.
fn answer_file_dialog(title: &str, path: &std::path::Path) {
    let xdotool = |args: &[&str]| {
        let out = Command::new("timeout").arg("10").arg("xdotool").args(args).output().expect("run xdotool");
        assert!(out.status.success(), "xdotool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    // Without a window manager nothing gives the new window the keyboard: focus it.
    xdotool(&["search", "--sync", "--name", title, "windowfocus", "--sync"]);
    // GTK fills the name field once the window is shown; typing before that is lost.
    std::thread::sleep(Duration::from_millis(500));
    xdotool(&["key", "ctrl+a"]);
    xdotool(&["type", "--delay", "5", &path.display().to_string()]);
    xdotool(&["key", "Return"]);
}

/// A `parley-vendor` on a loopback port, from the workspace's build.
struct Vendor {
    data: PathBuf,
    url: String,
    _server: Driver,
}

impl Vendor {
    fn bin() -> PathBuf {
        let exe = std::env::current_exe().unwrap();
        let bin = exe.parent().and_then(|d| d.parent()).unwrap().join("parley-vendor");
        assert!(bin.exists(), "{} is missing: run the tests with `cargo test --workspace`", bin.display());
        bin
    }

    fn start(dir: &std::path::Path) -> Self {
        use std::io::BufRead;
        let data = dir.join("vendor");
        let init = Command::new(Self::bin())
            .arg("--data")
            .arg(&data)
            .args(["init", "--name", "Acme", "--agreements", "SD-BASE,SD-BASE-DP,PDC-INTENT"])
            .output()
            .unwrap();
        assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
        let mut child = Command::new(Self::bin())
            .arg("--data")
            .arg(&data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("PARLEY_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut url = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut url).unwrap();
        Vendor { data, url: url.trim().to_owned(), _server: Driver(child) }
    }

    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(Self::bin()).arg("--data").arg(&self.data).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
