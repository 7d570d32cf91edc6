//! `parley`: the person's command line. A thin client of the `parley-agent` library:
//! it parses arguments, calls the library, prints, and maps errors to exit codes
//! (1 for a refused operation or failed check, 2 for usage and unusable input). The
//! library's errors say what happened; what to type next is added here.

/// `println!` that does not panic when stdout is closed (`parley outbox | head -1`):
/// once the reader has gone, what is left to print has nowhere to go.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod delivery;
mod output;
mod passphrase;
mod proto;
mod proto_tools;
mod records;
mod vault;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use clap::{Parser, Subcommand};
use parley_agent::{Agent, Error, KdfParams, Vault};

/// Parley: your data, your terms, signed.
#[derive(Parser)]
#[command(name = "parley", version, about)]
struct Cli {
    /// The vault folder [default: $PARLEY_VAULT, else the platform's data folder].
    #[arg(long, global = true)]
    vault: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new vault (asks for a passphrase, or reads PARLEY_PASSPHRASE).
    Init,
    /// Change the vault's passphrase (the new one from a prompt or PARLEY_NEW_PASSPHRASE).
    Passwd,
    /// Products you own, and their attached receipts and manuals.
    #[command(subcommand)]
    Product(records::ProductCommand),
    /// Vendors you deal with.
    #[command(subcommand)]
    Vendor(records::VendorCommand),
    /// What you want to buy.
    #[command(subcommand)]
    Intent(records::IntentCommand),
    /// What you think of a product or a vendor (0–10 score, text, suggestions).
    #[command(subcommand)]
    Feedback(records::FeedbackCommand),
    /// Requests for help with what you own.
    #[command(subcommand)]
    Support(records::SupportCommand),
    /// What you agree to share, with whom, for what, for how long.
    #[command(subcommand)]
    Consent(records::ConsentCommand),
    /// Deliver what waits in the outbox and pull offers and replies from vendors.
    Sync {
        /// Only this vendor (id, prefix or name).
        #[arg(long)]
        vendor: Option<String>,
        /// Retry every queued message now, whatever its backoff says.
        #[arg(long)]
        now: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Messages waiting to leave, and why (--all: everything sent, with receipts).
    Outbox {
        /// Everything, not only what waits.
        #[arg(long)]
        all: bool,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Offers and replies vendors sent you, by thread.
    Inbox {
        /// Only this vendor (id, prefix or name).
        #[arg(long)]
        vendor: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Full-text search across products, intents, feedback and support requests.
    Search {
        /// Words to look for (all must match, as word prefixes).
        #[arg(required = true)]
        words: Vec<String>,
        /// At most this many results.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The audit log: what was shared, with whom, under which consent.
    Audit {
        #[command(subcommand)]
        command: Option<vault::AuditCommand>,
        /// Only entries about this vendor (id, prefix or name).
        #[arg(long)]
        vendor: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write an encrypted backup of the whole vault to FILE.
    Export {
        /// The backup file to write.
        file: PathBuf,
    },
    /// Restore a vault from an encrypted backup.
    Import {
        /// The backup file.
        file: PathBuf,
        /// Replace an existing vault in the folder.
        #[arg(long)]
        force: bool,
    },
    /// Protocol tools: canonicalise, make keys, sign and verify Data Integrity proofs.
    #[command(subcommand)]
    Proto(proto::ProtoCommand),
}

/// What every vault command needs: where the vault is and how to seal new keys.
pub(crate) struct Context {
    vault_dir: PathBuf,
    /// What new keys are sealed with (cheap only for test suites: `PARLEY_INSECURE_KDF`).
    kdf: KdfParams,
    /// Every vault the command opened, closed by [`dispatch`] whatever the outcome
    /// (see [`Vault::close`] for why a dropped vault is not enough).
    opened: Mutex<Vec<Vault>>,
}

impl Context {
    pub(crate) async fn open(&self) -> Result<Vault, Failure> {
        let pass = passphrase::current()?;
        Ok(self.keep(Vault::open(&self.vault_dir, &pass).await?))
    }

    /// The vault, opened for dealing with vendors.
    pub(crate) async fn agent(&self) -> Result<Agent, Failure> {
        Ok(Agent::new(self.open().await?)?)
    }

    /// Registers `vault` to be closed before the process exits.
    pub(crate) fn keep(&self, vault: Vault) -> Vault {
        if let Ok(mut opened) = self.opened.lock() {
            opened.push(vault.clone());
        }
        vault
    }

    async fn close_all(&self) {
        let opened = self.opened.lock().map(|mut o| std::mem::take(&mut *o)).unwrap_or_default();
        for vault in opened {
            vault.close().await;
        }
    }
}

/// A failure with the exit code it should produce.
pub(crate) struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn refused(message: impl std::fmt::Display) -> Self {
        Self { code: 1, message: message.to_string() }
    }
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Self { code: 2, message: message.to_string() }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match hint(&e) {
            Some(hint) => Self::refused(format!("{e}: {hint}")),
            None => Self::refused(e),
        }
    }
}

/// What to type next, for the failures a command can get past.
fn hint(e: &Error) -> Option<String> {
    Some(match e {
        Error::NoVault(_) => "create one with `parley init`".into(),
        Error::VendorKeyChanged { vendor, .. } => key_changed_hint(vendor),
        Error::ConsentMissing { vendor, category, purposes } => format!(
            "grant one first (`parley consent grant --vendor {vendor:?} --purpose {} --categories {category} \
             --retention-days N`)",
            purposes.first().map(|p| p.as_str()).unwrap_or("service")
        ),
        _ => return None,
    })
}

/// What to do about a vendor whose key changed.
pub(crate) fn key_changed_hint(vendor: &str) -> String {
    format!(
        "compare the new key's fingerprint (`parley vendor show {vendor:?}`) with what the vendor publishes, then \
         `parley vendor trust {vendor:?} --accept-new-key --key FINGERPRINT`"
    )
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = dispatch(cli);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // One line, no backtrace: the message is for a person at a terminal.
            eprintln!("parley: {}", f.message.replace('\n', " "));
            ExitCode::from(f.code)
        }
    }
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    // The protocol tools need no vault (and so no data folder).
    if let Command::Proto(cmd) = cli.command {
        return proto::run(cmd);
    }
    let ctx = Context {
        vault_dir: match cli.vault {
            Some(d) => d,
            None => Vault::default_dir()?,
        },
        kdf: KdfParams::from_env()?,
        opened: Mutex::new(Vec::new()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::refused(format!("cannot start: {e}")))?;
    runtime.block_on(async {
        let outcome = run_vault_command(&ctx, cli.command).await;
        ctx.close_all().await;
        outcome
    })
}

async fn run_vault_command(ctx: &Context, command: Command) -> Result<(), Failure> {
    match command {
        Command::Init => vault::init(ctx).await,
        Command::Passwd => vault::passwd(ctx).await,
        Command::Product(cmd) => records::product(ctx, cmd).await,
        Command::Vendor(verb) => records::vendor(ctx, verb).await,
        Command::Intent(verb) => records::intent(ctx, verb).await,
        Command::Feedback(verb) => records::feedback(ctx, verb).await,
        Command::Support(verb) => records::support(ctx, verb).await,
        Command::Consent(verb) => records::consent(ctx, verb).await,
        Command::Sync { vendor, now, json } => delivery::sync(ctx, vendor, now, json).await,
        Command::Outbox { all, json } => delivery::outbox(ctx, all, json).await,
        Command::Inbox { vendor, json } => delivery::inbox(ctx, vendor, json).await,
        Command::Search { words, limit, json } => vault::search(ctx, &words, limit, json).await,
        Command::Audit { command, vendor, json } => vault::audit(ctx, command, vendor, json).await,
        Command::Export { file } => vault::export(ctx, &file).await,
        Command::Import { file, force } => vault::import(ctx, &file, force).await,
        Command::Proto(cmd) => proto::run(cmd),
    }
}
