//! `parley init`, `passwd`, `search`, `audit`, `export`, `import`: the vault as a whole.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use parley_agent::{backup, KdfParams, Vault};

use super::{output, passphrase, Context, Failure};

#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// Per vendor and consent: every message that left or waits to leave, with its digest.
    Shared {
        /// Only this vendor (id, prefix or name).
        #[arg(long)]
        vendor: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Who at each vendor read your messages, from the staff-access logs vendors keep
    /// (fetched and checked at every sync): exit 1 when a vendor's log did not hold.
    Access {
        /// Only this vendor (id, prefix or name).
        #[arg(long)]
        vendor: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check the hash chain: exit 0 when intact, 1 when any entry was edited, removed or reordered.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) async fn init(ctx: &Context) -> Result<(), Failure> {
    let pass = passphrase::new_passphrase()?;
    let vault = ctx.keep(Vault::create(&ctx.vault_dir, &pass, ctx.kdf()).await?);
    eprintln!("Created a vault at {}", vault.dir().display());
    Ok(())
}

pub(crate) async fn passwd(ctx: &Context) -> Result<(), Failure> {
    let old = passphrase::current()?;
    let vault = ctx.keep(Vault::open(&ctx.vault_dir, &old).await?);
    let new = passphrase::new_passphrase_for_change()?;
    vault.change_passphrase(&old, &new, ctx.kdf()).await?;
    eprintln!("Passphrase changed.");
    Ok(())
}

pub(crate) async fn search(ctx: &Context, words: &[String], limit: u32, json: bool) -> Result<(), Failure> {
    let vault = ctx.open().await?;
    let hits = vault.search(&words.join(" "), limit).await?;
    if json {
        return output::json(&hits);
    }
    if hits.is_empty() {
        eprintln!("(no matches)");
    }
    for h in hits {
        say!("{:<8}  {}  {}  {}", h.kind, h.id.short(), h.title, h.snippet);
    }
    Ok(())
}

pub(crate) async fn audit(
    ctx: &Context,
    cmd: Option<AuditCommand>,
    vendor: Option<String>,
    json: bool,
) -> Result<(), Failure> {
    let vault = ctx.open().await?;
    match cmd {
        Some(AuditCommand::Verify { json }) => {
            let report = vault.verify_audit_log().await?;
            if json {
                output::json(&report)?;
            } else if report.is_intact() {
                say!("audit log intact: {} entries", report.entries);
            }
            if report.is_intact() {
                Ok(())
            } else {
                Err(Failure::refused(format!("audit log is NOT intact: {}", report.problems.join("; "))))
            }
        }
        Some(AuditCommand::Shared { vendor, json }) => super::delivery::shared(&vault, vendor, json).await,
        Some(AuditCommand::Access { vendor, json }) => super::delivery::access(&vault, vendor, json).await,
        None => {
            let entries = vault.audit_log(vendor.as_deref()).await?;
            if json {
                return output::json(&entries);
            }
            for e in entries {
                say!("{:>5}  {}  {:<18} {}", e.seq, e.at, e.action, e.summary);
            }
            Ok(())
        }
    }
}

/// Draws progress on stderr when it is a terminal; stays silent otherwise.
fn progress_printer(label: &'static str) -> impl FnMut(u64, u64) {
    let tty = std::io::stderr().is_terminal();
    let mut last = u64::MAX;
    move |done, total| {
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        if tty && pct != last {
            last = pct;
            eprint!("\r{label} {pct:>3}%  ({} of {} KiB)", done / 1024, total / 1024);
            if done >= total {
                eprintln!();
            }
        }
    }
}

pub(crate) async fn export(ctx: &Context, file: &Path) -> Result<(), Failure> {
    let pass = passphrase::current()?;
    let vault = ctx.keep(Vault::open(&ctx.vault_dir, &pass).await?);
    let mut progress = progress_printer("exporting");
    vault.export(file, &pass, ctx.kdf(), &mut progress).await?;
    eprintln!("Backup written to {} (it opens with this vault's passphrase)", file.display());
    Ok(())
}

pub(crate) async fn import(ctx: &Context, file: &PathBuf, force: bool) -> Result<(), Failure> {
    let pass = passphrase::current()?;
    let mut progress = progress_printer("importing");
    let vault = ctx.keep(backup::import(&ctx.vault_dir, file, &pass, force, &mut progress).await?);
    eprintln!("Vault restored at {}", vault.dir().display());
    Ok(())
}

impl Context {
    pub(crate) fn kdf(&self) -> KdfParams {
        self.kdf
    }
}
