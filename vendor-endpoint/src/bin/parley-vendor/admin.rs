//! The administrator's commands: staff accounts, API tokens and webhook endpoints. Each
//! secret (a staff password, a token, a webhook's signing secret) is typed or shown
//! once here and stored only as the store keeps it.

use clap::Subcommand;
use parley_vendor::store::webhooks::EventType;
use parley_vendor::Store;

use crate::{print_json, Failure};

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Add a member of staff (password from PARLEY_STAFF_PASSWORD, else asked twice).
    Add {
        /// Their email, which they sign in with.
        email: String,
        /// admin (also staff, rules, agreements), agent (answers and works cases) or viewer (reads).
        #[arg(long)]
        role: String,
    },
    /// List staff.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable an account (its sessions end; it can no longer sign in).
    Disable {
        /// The account's email.
        email: String,
    },
    /// Set a new password (PARLEY_STAFF_PASSWORD, else asked twice); sessions end.
    Passwd {
        /// The account's email.
        email: String,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make a token; it is printed once, and only its hash is kept.
    Add {
        /// What it is for ("zammad macros").
        name: String,
        /// agent (answers and works cases) or viewer (reads).
        #[arg(long)]
        role: String,
    },
    /// List tokens (never their secrets).
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: refused from now on, on every instance.
    Revoke {
        /// The token's name.
        name: String,
    },
}

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint; prints its id and signing secret (whsec_…), shown this once.
    Add {
        /// Where deliveries go: https://…, or http:// to this machine only.
        url: String,
        /// What it receives: message.received, alert.raised, case.updated, consent.agreed,
        /// consent.revoked, reply.pulled (comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        events: Vec<String>,
        /// A name people see when it reads their messages ("Zammad"); the URL's host by default.
        #[arg(long)]
        name: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List endpoints, with why any is disabled.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove an endpoint and its queue.
    Remove {
        /// The endpoint's id.
        id: String,
    },
    /// Enable an endpoint again (after it was disabled for failing): what is pending is sent.
    Enable {
        /// The endpoint's id.
        id: String,
    },
    /// An endpoint's deliveries, newest first.
    Deliveries {
        /// The endpoint's id.
        id: String,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send a delivery again, with the same webhook-id.
    Replay {
        /// The endpoint's id.
        id: String,
        /// The delivery's id (msg_…).
        delivery: String,
    },
}

/// A new password: `PARLEY_STAFF_PASSWORD` when set (scripts, tests), else typed twice
/// without echo.
fn new_password() -> Result<zeroize::Zeroizing<String>, Failure> {
    if let Ok(p) = std::env::var("PARLEY_STAFF_PASSWORD") {
        return Ok(zeroize::Zeroizing::new(p));
    }
    let first = zeroize::Zeroizing::new(rpassword::prompt_password("New password: ")?);
    let again = zeroize::Zeroizing::new(rpassword::prompt_password("Again: ")?);
    if *first != *again {
        return Err(Failure(1, "the two passwords differ: nothing was changed".into()));
    }
    Ok(first)
}

pub async fn staff(command: StaffCommand, store: &Store) -> Result<(), Failure> {
    match command {
        StaffCommand::Add { email, role } => {
            let member = store.add_staff(&email, role.parse()?, &new_password()?).await?;
            println!("{}", member.id);
            eprintln!("Added {} ({}): they sign in at /console/", member.email, member.role);
        }
        StaffCommand::List { json } => {
            let staff = store.staff().await?;
            if json {
                return print_json(&staff);
            }
            for m in staff {
                let state = m.disabled.map(|d| format!("disabled {d}")).unwrap_or_else(|| "active".into());
                println!("{:<32}  {:<6}  staff {:<3}  {state}", m.email, m.role, m.number);
            }
        }
        StaffCommand::Disable { email } => {
            let member = store.disable_staff(&email).await?;
            eprintln!("Disabled {}; their sessions ended", member.email);
        }
        StaffCommand::Passwd { email } => {
            store.set_staff_password(&email, &new_password()?).await?;
            eprintln!("Password changed; the account's sessions ended");
        }
    }
    Ok(())
}

pub async fn token(command: TokenCommand, store: &Store) -> Result<(), Failure> {
    match command {
        TokenCommand::Add { name, role } => {
            let (token, secret) = store.add_token(&name, role.parse()?).await?;
            println!("{secret}");
            eprintln!(
                "Made token {:?} ({}): send it as Authorization: Bearer …; it is not shown again",
                token.name, token.role
            );
        }
        TokenCommand::List { json } => {
            let tokens = store.tokens().await?;
            if json {
                return print_json(&tokens);
            }
            for t in tokens {
                let state = match (&t.revoked, &t.last_used) {
                    (Some(r), _) => format!("revoked {r}"),
                    (None, Some(u)) => format!("last used {u}"),
                    (None, None) => "never used".into(),
                };
                println!("{:<32}  {:<6}  token {:<3}  {state}", t.name, t.role, t.number);
            }
        }
        TokenCommand::Revoke { name } => {
            let token = store.revoke_token(&name).await?;
            eprintln!("Revoked token {:?}", token.name);
        }
    }
    Ok(())
}

pub async fn webhook(command: WebhookCommand, store: &Store) -> Result<(), Failure> {
    match command {
        WebhookCommand::Add { url, events, name, json } => {
            let events = events.iter().map(|e| e.parse::<EventType>()).collect::<Result<Vec<_>, _>>()?;
            let name = match name {
                Some(n) => n,
                None => reqwest::Url::parse(&url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .unwrap_or_else(|| url.clone()),
            };
            let (hook, secret) = store.add_webhook(&name, &url, &events).await?;
            if json {
                let mut v = serde_json::to_value(&hook)?;
                v["secret"] = secret.into();
                return print_json(&v);
            }
            println!("{}  {secret}", hook.id);
            eprintln!("Added webhook {} ({}); the secret is not shown again", hook.number, hook.name);
        }
        WebhookCommand::List { json } => {
            let hooks = store.webhooks().await?;
            if json {
                return print_json(&hooks);
            }
            for h in hooks {
                let events: Vec<&str> = h.events.iter().map(EventType::as_str).collect();
                let state = match (&h.disabled, &h.failing_since) {
                    (Some(_), _) => {
                        format!("DISABLED: {}", h.disabled_reason.as_deref().unwrap_or("by an admin"))
                    }
                    (None, Some(since)) => {
                        format!("failing since {since}: {}", h.last_error.as_deref().unwrap_or(""))
                    }
                    (None, None) => "ok".into(),
                };
                println!("{}  {}  {}  [{}]  {state}", h.id, h.name, h.url, events.join(","));
            }
        }
        WebhookCommand::Remove { id } => {
            let hook = store.remove_webhook(&id).await?;
            eprintln!("Removed webhook {} ({}) and its queue", hook.number, hook.name);
        }
        WebhookCommand::Enable { id } => {
            let hook = store.enable_webhook(&id).await?;
            eprintln!("Enabled webhook {} ({}): what is pending goes now", hook.number, hook.name);
        }
        WebhookCommand::Deliveries { id, limit, json } => {
            let deliveries = store.deliveries(&id, limit).await?;
            if json {
                return print_json(&deliveries);
            }
            for d in deliveries {
                let detail = match d.state.as_str() {
                    "delivered" => format!("delivered {}", d.delivered.as_deref().unwrap_or("")),
                    "pending" => format!(
                        "pending, attempt {} at {}{}",
                        d.attempts + 1,
                        d.next_attempt.as_deref().unwrap_or("?"),
                        d.last_error.as_deref().map(|e| format!(" (last: {e})")).unwrap_or_default()
                    ),
                    "failed" => format!("gave up: {}", d.last_error.as_deref().unwrap_or("")),
                    other => other.to_owned(),
                };
                println!("{}  {}  {:<16}  {detail}", d.created, d.id, d.event);
            }
        }
        WebhookCommand::Replay { id, delivery } => {
            let d = store.replay_delivery(&id, &delivery).await?;
            eprintln!("Delivery {} is due again, with the same webhook-id", d.id);
        }
    }
    Ok(())
}
