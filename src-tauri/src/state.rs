//! What the app holds while it runs: where the vault is, the open vault while unlocked,
//! the person's settings, and the background sync's status. No business rules: those
//! are `parley-agent`'s.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use parley_agent::{Agent, KdfParams, Vault};
use serde::{Deserialize, Serialize};

use crate::commands::args::BackupPick;
use crate::error::CommandError;

/// The person's preferences; kept in `parley-desktop.json` beside the vault folder
/// (nothing secret, and readable while the vault is locked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Lock after this many idle minutes (0: never).
    pub auto_lock_minutes: u32,
    /// Sync with vendors every this many minutes while unlocked (0: only on demand).
    pub sync_minutes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self { auto_lock_minutes: 10, sync_minutes: 5 }
    }
}

/// Where background delivery stands, for the status line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// `idle`, `syncing`, or `failed`.
    pub state: String,
    /// When the last sync ended (RFC 3339).
    pub last_sync: Option<String>,
    /// Messages waiting in the outbox.
    pub queued: u32,
    /// What went wrong last time, per vendor.
    pub problems: Vec<String>,
}

/// The app's state, shared by every command.
pub struct AppState {
    pub(crate) vault_dir: PathBuf,
    pub(crate) kdf: KdfParams,
    agent: Mutex<Option<Arc<Agent>>>,
    last_activity: Mutex<Instant>,
    pub(crate) settings: Mutex<Settings>,
    pub(crate) sync: Mutex<SyncStatus>,
    pub(crate) picked: PickedFiles,
    app: std::sync::OnceLock<tauri::AppHandle>,
}

/// The backup files the person chose in the system's file dialog, held here and never
/// taken from the page: script injected into the webview must not be able to make the
/// app write a backup over any file the person owns, or restore a vault from one it
/// planted. A choice is used once.
#[derive(Default)]
pub(crate) struct PickedFiles {
    export: Mutex<Option<PathBuf>>,
    import: Mutex<Option<PathBuf>>,
}

impl PickedFiles {
    fn slot(&self, purpose: BackupPick) -> &Mutex<Option<PathBuf>> {
        match purpose {
            BackupPick::Export => &self.export,
            BackupPick::Import => &self.import,
        }
    }

    /// Remembers what the dialog returned for `purpose`.
    pub(crate) fn remember(&self, purpose: BackupPick, path: PathBuf) {
        if let Ok(mut slot) = self.slot(purpose).lock() {
            *slot = Some(path);
        }
    }

    /// The file chosen for `purpose`, once.
    pub(crate) fn take(&self, purpose: BackupPick) -> Result<PathBuf, CommandError> {
        let what = match purpose {
            BackupPick::Export => "where to save the backup",
            BackupPick::Import => "the backup to restore",
        };
        self.slot(purpose)
            .lock()
            .ok()
            .and_then(|mut slot| slot.take())
            .ok_or_else(|| CommandError::other(format!("choose {what} in the file dialog first")))
    }
}

impl AppState {
    pub fn new(vault_dir: PathBuf, kdf: KdfParams) -> Self {
        let settings = std::fs::read(settings_path(&vault_dir))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Self {
            vault_dir,
            kdf,
            agent: Mutex::new(None),
            last_activity: Mutex::new(Instant::now()),
            settings: Mutex::new(settings),
            sync: Mutex::new(SyncStatus { state: "idle".into(), ..Default::default() }),
            picked: PickedFiles::default(),
            app: std::sync::OnceLock::new(),
        }
    }

    pub(crate) fn set_app(&self, app: tauri::AppHandle) {
        let _ = self.app.set(app);
    }

    pub(crate) fn app(&self) -> Option<&tauri::AppHandle> {
        self.app.get()
    }

    /// Tells the UI something happened (`vault-locked`, `sync-status`, `backup-progress`).
    pub(crate) fn emit(&self, event: &str, payload: serde_json::Value) {
        use tauri::Emitter;
        if let Some(app) = self.app.get() {
            let _ = app.emit(event, payload);
        }
    }

    pub(crate) fn sync_status(&self) -> SyncStatus {
        self.sync.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub(crate) fn set_sync_status(&self, status: SyncStatus) {
        if let Ok(mut s) = self.sync.lock() {
            *s = status.clone();
        }
        self.emit("sync-status", serde_json::to_value(status).unwrap_or_default());
    }

    /// The person's agent over the open vault, or `locked`.
    pub(crate) fn agent(&self) -> Result<Arc<Agent>, CommandError> {
        self.agent.lock().map_err(|_| CommandError::locked())?.clone().ok_or_else(CommandError::locked)
    }

    pub(crate) fn is_unlocked(&self) -> bool {
        self.agent.lock().map(|v| v.is_some()).unwrap_or(false)
    }

    /// Opens the app on `vault` (an agent over it), closing the one open before.
    pub(crate) async fn unlock(&self, vault: Vault) -> Result<(), CommandError> {
        let agent = Agent::new(vault)?;
        self.replace(Some(Arc::new(agent))).await;
        Ok(())
    }

    /// Closes the open vault, if any: the app is locked.
    pub(crate) async fn lock(&self) {
        self.replace(None).await;
    }

    /// Puts `agent` (or nothing: locked) in place of the open one, and closes that one's
    /// vault before returning: a vault only dropped would finish closing its connections
    /// in the background, racing an import that replaces its files or the app's exit.
    async fn replace(&self, agent: Option<Arc<Agent>>) {
        let previous = match self.agent.lock() {
            Ok(mut v) => std::mem::replace(&mut *v, agent),
            Err(_) => None,
        };
        if let Some(previous) = previous {
            // Commands still holding it fail with "closed" rather than outlive the lock.
            Vault::clone(previous.vault()).close().await;
        }
        self.touch();
    }

    /// A person did something: the idle clock starts again.
    pub(crate) fn touch(&self) {
        if let Ok(mut t) = self.last_activity.lock() {
            *t = Instant::now();
        }
    }

    pub(crate) fn idle_minutes(&self) -> u64 {
        self.last_activity.lock().map(|t| t.elapsed().as_secs() / 60).unwrap_or(0)
    }

    pub(crate) fn settings(&self) -> Settings {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub(crate) fn save_settings(&self, settings: Settings) -> Result<(), CommandError> {
        let path = settings_path(&self.vault_dir);
        std::fs::create_dir_all(path.parent().unwrap_or(&self.vault_dir))
            .and_then(|_| std::fs::write(&path, serde_json::to_vec_pretty(&settings).unwrap_or_default()))
            .map_err(|e| CommandError::other(format!("{}: {e}", path.display())))?;
        if let Ok(mut s) = self.settings.lock() {
            *s = settings;
        }
        Ok(())
    }
}

fn settings_path(vault_dir: &std::path::Path) -> PathBuf {
    vault_dir.parent().unwrap_or(vault_dir).join("parley-desktop.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_file_is_only_one_the_dialog_returned_and_only_once() {
        let picked = PickedFiles::default();
        assert!(picked.take(BackupPick::Export).is_err(), "nothing chosen: nothing to write to");
        picked.remember(BackupPick::Export, PathBuf::from("/home/ana/b.pbk"));
        assert!(picked.take(BackupPick::Import).is_err(), "a file chosen to save to is not one to restore");
        assert_eq!(picked.take(BackupPick::Export).unwrap(), PathBuf::from("/home/ana/b.pbk"));
        assert!(picked.take(BackupPick::Export).is_err(), "a choice is used once");
    }
}
