//! `parley-vendor`: what a vendor runs. A thin shell over the `parley-vendor` library:
//! `init` a data folder, `serve` the endpoint, work from a terminal (`messages`,
//! `reply`, `offer`, `nps`), and manage staff, tokens and webhooks ([`admin`]).
//! Errors: one line on stderr, exit 1 refused, 2 usage.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use parley_protocol::{AgreementId, MessageType, Money};
use parley_vendor::console::OrderUpdate;
use parley_vendor::store::access::Reader;
use parley_vendor::store::orders::{cited_purchase, purchase_in_words};
use parley_vendor::{config::BASELINE_AGREEMENTS, console, Error, Store, Vendor};

mod admin;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Parley vendor endpoint: receive signed, consented messages; answer; forget on request.
#[derive(Parser)]
#[command(name = "parley-vendor", version, about)]
struct Cli {
    /// The vendor's data folder (key, configuration, SQLite store).
    #[arg(long, global = true, env = "PARLEY_VENDOR_DATA", default_value = "parley-vendor-data")]
    data: PathBuf,
    /// The store: `postgres://…` for PostgreSQL; SQLite in the data folder when absent.
    #[arg(long, global = true, env = "PARLEY_VENDOR_DATABASE_URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the vendor's signing key and configuration (refuses to overwrite).
    Init {
        /// The vendor's name, shown to people.
        #[arg(long)]
        name: String,
        /// Agreements accepted, in order of preference [default: SD-BASE,SD-BASE-DP].
        #[arg(long, value_delimiter = ',')]
        agreements: Vec<String>,
    },
    /// Serve the HTTP endpoint.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The URL people reach this endpoint at [default: http://LISTEN].
        #[arg(long)]
        public_url: Option<String>,
    },
    /// List received messages, newest first.
    Messages {
        /// Only this type (Feedback, SupportRequest, Intent, ConsentGrant, …).
        #[arg(long = "type")]
        kind: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Reply to a support request, feedback or intent.
    Reply {
        /// The message's id (with or without urn:uuid:).
        message_id: String,
        /// The reply.
        #[arg(long)]
        text: String,
    },
    /// Make an offer answering an intent.
    Offer {
        /// The intent's id.
        intent_id: String,
        /// Price, e.g. 289.00.
        #[arg(long)]
        price: String,
        /// ISO 4217 currency, e.g. EUR.
        #[arg(long)]
        currency: String,
        /// What is offered.
        #[arg(long)]
        text: String,
        /// Valid until (YYYY-MM-DD).
        #[arg(long)]
        valid_until: Option<String>,
    },
    /// Send a signed order update for an offer the person accepted (the first makes the
    /// order); prints the update's id.
    Order {
        /// The offer's id (as `offer` printed it, or from `offers`).
        offer_id: String,
        /// confirmed, shipped, delivered, cancelled or refunded.
        #[arg(long)]
        status: String,
        /// Where to follow the parcel (https://…).
        #[arg(long)]
        tracking: Option<String>,
        /// The serial number of what was delivered.
        #[arg(long)]
        serial: Option<String>,
        /// The warranty's last day (YYYY-MM-DD).
        #[arg(long)]
        warranty_until: Option<String>,
        /// The product's model, for the order's line (first update only).
        #[arg(long)]
        model: Option<String>,
    },
    /// Offers made, newest first, with their state: sent, pulled, accepted or ordered.
    Offers {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Net Promoter Score over the feedback held.
    Nps {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The console's staff accounts.
    #[command(subcommand)]
    Staff(admin::StaffCommand),
    /// API tokens, for programs using the console's JSON API.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Webhook endpoints: events signed and delivered to the tools the team runs.
    #[command(subcommand)]
    Webhook(admin::WebhookCommand),
}

/// Why a command failed: its exit code and one line for stderr.
struct Failure(u8, String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Self(1, e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs on stderr: lines for people, or one JSON object per line for a log shipper
    // (`PARLEY_LOG_FORMAT=json`); colours only on a terminal.
    let filter =
        || tracing_subscriber::EnvFilter::try_from_env("PARLEY_LOG").unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter()).with_writer(std::io::stderr);
    if std::env::var("PARLEY_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().with_current_span(false).init();
    } else {
        use std::io::IsTerminal;
        logs.with_ansi(std::io::stderr().is_terminal()).init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("parley-vendor: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, message)) => {
            eprintln!("parley-vendor: {}", message.replace('\n', " "));
            ExitCode::from(code)
        }
    }
}

async fn store(cli: &Cli, vendor: &Vendor) -> Result<Store, Failure> {
    let url = cli.database_url.clone().unwrap_or_else(|| vendor.default_database_url());
    Ok(Store::connect(&url).await?)
}

pub(crate) fn print_json(v: &impl serde::Serialize) -> Result<(), Failure> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

async fn run(cli: Cli) -> Result<(), Failure> {
    if let Command::Init { name, agreements } = &cli.command {
        let agreements = if agreements.is_empty() {
            BASELINE_AGREEMENTS.to_vec()
        } else {
            agreements.iter().map(|a| a.trim().parse::<AgreementId>()).collect::<Result<_, _>>()?
        };
        let vendor = Vendor::init(&cli.data, name, agreements)?;
        println!("{}", vendor.config.did);
        eprintln!("Created vendor {:?} in {}", vendor.config.name, cli.data.display());
        return Ok(());
    }
    let vendor = Vendor::load(&cli.data)?;
    let store = store(&cli, &vendor).await?;
    let outcome = run_with_store(cli.command, vendor, &store).await;
    // Closed before exit, never just dropped: connections left to close on sqlx's
    // worker threads race the process's own teardown.
    store.close().await;
    outcome
}

async fn run_with_store(command: Command, vendor: Vendor, store: &Store) -> Result<(), Failure> {
    match command {
        Command::Init { .. } => Ok(()),
        Command::Serve { listen, public_url } => {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| Failure(1, format!("cannot listen on {listen}: {e}")))?;
            let bound = listener.local_addr()?;
            let public = public_url.unwrap_or_else(|| format!("http://{bound}"));
            let name = vendor.config.name.clone();
            let endpoint = parley_vendor::endpoint(vendor, store.clone(), &public)?;
            // The first line on stdout is the address, for scripts that asked for port 0.
            println!("http://{bound}");
            tracing::info!(%bound, %public, vendor = %name, "parley-vendor listening");
            parley_vendor::serve(listener, endpoint, shutdown_signal()).await?;
            Ok(())
        }
        Command::Messages { kind, limit, json } => {
            let kind = kind.map(|k| k.parse::<MessageType>()).transpose()?;
            let messages = store.messages(kind, limit).await?;
            // The operator reads what this prints: each person sees it in their access log.
            let reads: Vec<(String, String)> =
                messages.iter().map(|m| (m.id.clone(), m.sender.clone())).collect();
            store.log_reads(&Reader::operator(), &reads).await?;
            if json {
                return print_json(&messages);
            }
            for m in messages {
                let score = m.score.map(|s| format!(" score {s}")).unwrap_or_default();
                let text = ["text", "what", "subject"]
                    .iter()
                    .find_map(|f| m.document["body"].get(*f).and_then(|v| v.as_str()))
                    .unwrap_or("");
                let purchase = cited_purchase(&m.document, &vendor.config.did)
                    .map(|c| format!("  [{}]", purchase_in_words(&c)))
                    .unwrap_or_default();
                println!("{}  {}  {:<16}{score}  {text}{purchase}", m.received, m.id, m.kind);
            }
            Ok(())
        }
        Command::Reply { message_id, text } => {
            let doc = console::reply(store, &vendor.key, &message_id, &text).await?;
            println!("{}", doc["id"].as_str().unwrap_or(""));
            Ok(())
        }
        Command::Offer { intent_id, price, currency, text, valid_until } => {
            let price = Money { amount: price, currency: currency.to_ascii_uppercase() };
            let doc = console::offer(store, &vendor.key, &intent_id, price, &text, valid_until).await?;
            println!("{}", doc["id"].as_str().unwrap_or(""));
            Ok(())
        }
        Command::Order { offer_id, status, tracking, serial, warranty_until, model } => {
            let status =
                status.parse().map_err(|e: parley_protocol::Invalid| Error::Invalid(e.to_string()))?;
            let update = OrderUpdate { tracking, serial, warranty_until, model };
            let doc = console::order_as(store, &vendor.key, &offer_id, status, update, None).await?;
            println!("{}", doc["id"].as_str().unwrap_or(""));
            eprintln!(
                "Order {} is {}",
                doc["body"]["order"].as_str().unwrap_or(""),
                doc["body"]["status"].as_str().unwrap_or("")
            );
            Ok(())
        }
        Command::Offers { limit, json } => {
            let offers = store.offers(limit).await?;
            if json {
                return print_json(&offers);
            }
            for o in offers {
                let order = match (&o.order, o.order_status) {
                    (Some(id), Some(s)) => format!("  order {id} {}", s.as_str()),
                    _ => String::new(),
                };
                let price = format!(
                    "{} {}",
                    o.price["amount"].as_str().unwrap_or(""),
                    o.price["currency"].as_str().unwrap_or("")
                );
                println!("{}  {}  {:<8}  {price}  {}{order}", o.created, o.id, o.state, o.text);
            }
            Ok(())
        }
        Command::Staff(command) => admin::staff(command, store).await,
        Command::Token(command) => admin::token(command, store).await,
        Command::Webhook(command) => admin::webhook(command, store).await,
        Command::Nps { json } => {
            let nps = store.nps().await?;
            if json {
                return print_json(&nps);
            }
            match nps.score {
                Some(s) => println!(
                    "NPS {s:+.1}  ({} promoters, {} passives, {} detractors, {} responses)",
                    nps.promoters, nps.passives, nps.detractors, nps.count
                ),
                None => println!("NPS: no feedback yet"),
            }
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
