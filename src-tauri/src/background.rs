//! Work done while the app runs, without being asked: sync with vendors on the
//! person's interval, lock the vault after the idle delay, and notify the desktop of
//! new offers and replies and of warranties ending within 30 days.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use parley_agent::exchange::{SyncOptions, SyncReport};
use parley_agent::ids::ProductId;
use parley_protocol::MessageType;
use tauri::Manager;
use tauri_plugin_notification::NotificationExt;

use crate::error::CommandError;
use crate::state::{AppState, Settings};

/// How often the background loop looks at the clock.
const TICK: Duration = Duration::from_secs(5);

/// One sync: deliver what is due (all of it with `now`), pull inboxes, update the
/// status the UI shows, notify what arrived.
pub async fn sync(s: &AppState, now: bool) -> Result<SyncReport, CommandError> {
    let agent = s.agent()?;
    let mut status = s.sync_status();
    status.state = "syncing".into();
    s.set_sync_status(status.clone());
    let result = agent.sync(&SyncOptions { vendor: None, now, skip_inbox: false }).await;
    status.last_sync = Some(parley_protocol::Timestamp::now().to_string());
    match &result {
        Ok(report) => {
            status.queued = report.queued as u32;
            status.problems = report.problems.iter().map(|p| format!("{}: {}", p.vendor, p.error)).collect();
            status.state = if report.problems.is_empty() { "idle" } else { "failed" }.into();
            for p in &report.owned {
                let vendor = p.vendor.as_deref().unwrap_or("The vendor");
                notify(
                    s,
                    &format!("{} was delivered", p.name),
                    &format!("{vendor} delivered it: it is in your products, with its proof of purchase"),
                );
            }
            if report.received > 0 {
                tell_arrivals(s, &agent, report.received).await;
            }
        }
        Err(e) => {
            status.state = "failed".into();
            status.problems = vec![e.to_string()];
        }
    }
    s.set_sync_status(status);
    Ok(result?)
}

/// Tells who answered what: a desktop notification per arrival (a delivered order is
/// told as the product it added), and an `arrived` event the app shows as a notice
/// that opens the message.
async fn tell_arrivals(s: &AppState, agent: &parley_agent::Agent, received: usize) {
    let Ok(unread) = agent.vault().unread().await else { return };
    let arrived: Vec<_> = unread.into_iter().take(received).collect();
    let told: Vec<_> = arrived
        .iter()
        .filter(|m| !(m.message_type == MessageType::Order && m.body["status"] == "delivered"))
        .cloned()
        .collect();
    for a in crate::news::notifications(&told) {
        notify_opening(s, a);
    }
    let all = crate::news::notifications(&arrived);
    s.emit("arrived", serde_json::to_value(all).unwrap_or_default());
}

/// A notification that opens the message it announces when clicked: the window comes to
/// the front and the app shows it (`open-message`).
#[cfg(all(unix, not(target_os = "macos")))]
fn notify_opening(s: &AppState, arrival: crate::news::Arrival) {
    use tauri::{Emitter, Manager};
    let Some(app) = s.app().cloned() else { return };
    // The wait for a click blocks until the notification is acted on or closed (the
    // server's expiry closes it): a thread of its own, a few at most per sync.
    std::thread::spawn(move || {
        let shown = notify_rust::Notification::new()
            .appname("Parley")
            .summary(&arrival.title)
            .body(&arrival.body)
            .action("default", "Open")
            .show();
        if let Ok(handle) = shown {
            handle.wait_for_action(|action| {
                if action == "default" {
                    if let Some(window) = app.get_webview_window("main") {
                        let _ = window.unminimize();
                        let _ = window.set_focus();
                    }
                    let _ = app.emit("open-message", &arrival.id);
                }
            });
        }
    });
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn notify_opening(s: &AppState, arrival: crate::news::Arrival) {
    notify(s, &arrival.title, &arrival.body);
}

fn notify(s: &AppState, title: &str, body: &str) {
    if let Some(app) = s.app() {
        let _ = app.notification().builder().title(title).body(body).show();
    }
}

/// Warranties ending within 30 days, each told once per run of the app.
async fn warranties(s: &AppState, told: &mut HashSet<ProductId>) -> Result<(), CommandError> {
    let agent = s.agent()?;
    let today = parley_agent::clock::today();
    for p in agent.vault().products().warranties_ending(&today).await? {
        if told.insert(p.id.clone()) {
            let days = p.warranty(&today).days_left.unwrap_or(0);
            notify(s, "Warranty ending soon", &format!("{}: {days} day(s) left", p.name));
        }
    }
    Ok(())
}

/// Whether the vault should lock now, after `idle_minutes` whole minutes without a command.
fn should_lock(settings: &Settings, idle_minutes: u64) -> bool {
    settings.auto_lock_minutes > 0 && idle_minutes >= settings.auto_lock_minutes as u64
}

/// Whether a background sync is due, `since` the last one (none yet: due at once).
fn sync_due(settings: &Settings, since: Option<Duration>) -> bool {
    settings.sync_minutes > 0
        && since.is_none_or(|d| d >= Duration::from_secs(settings.sync_minutes as u64 * 60))
}

/// Runs for as long as the app does.
pub fn start(app: &tauri::AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut last_sync: Option<Instant> = None;
        let mut told = HashSet::new();
        loop {
            tokio::time::sleep(TICK).await;
            let s = app.state::<AppState>();
            if !s.is_unlocked() {
                last_sync = None;
                continue;
            }
            let settings = s.settings();
            if should_lock(&settings, s.idle_minutes()) {
                s.lock().await;
                s.emit("vault-locked", serde_json::json!({"reason": "idle"}));
                continue;
            }
            if sync_due(&settings, last_sync.map(|t| t.elapsed())) {
                last_sync = Some(Instant::now());
                let _ = sync(&s, false).await;
            }
            // An indexed query, cheap enough for every tick: a product added or edited
            // with a warranty ending soon is told about within one tick.
            let _ = warranties(&s, &mut told).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_idle_delay_unless_disabled() {
        let ten = Settings { auto_lock_minutes: 10, sync_minutes: 5 };
        assert!(!should_lock(&ten, 9));
        assert!(should_lock(&ten, 10));
        assert!(!should_lock(&Settings { auto_lock_minutes: 0, ..ten }, 600), "0 means never");
    }

    #[test]
    fn syncs_at_once_then_on_the_interval_unless_disabled() {
        let five = Settings { auto_lock_minutes: 10, sync_minutes: 5 };
        assert!(sync_due(&five, None), "the first sync is right after unlocking");
        assert!(!sync_due(&five, Some(Duration::from_secs(299))));
        assert!(sync_due(&five, Some(Duration::from_secs(300))));
        assert!(!sync_due(&Settings { sync_minutes: 0, ..five }, None), "0 means only on demand");
    }
}
