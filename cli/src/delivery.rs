//! The verbs that deal with vendors: consent grant/revoke, preview and send, sync,
//! outbox, inbox, offers, key trust, and the per-vendor view of what was shared. Each is
//! a thin call into `parley-agent`; this module only prints.

use clap::Args;
use parley_agent::exchange::{Preview, Sent, SyncOptions, SyncReport};
use parley_agent::outbox::{OutboxFilter, OutboxItem, OutboxState};
use parley_agent::{ErrorCode, Vault};

use super::{output, Context, Failure};

/// `… send ID`: preview or send one record.
#[derive(Args)]
pub(crate) struct SendArgs {
    /// Id or prefix of the record.
    pub id: String,
    /// The vendor to send it to, when the record does not say (id, prefix or name).
    #[arg(long)]
    pub vendor: Option<String>,
    /// Print the exact JSON that would leave, and send nothing.
    #[arg(long)]
    pub preview: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Prints what would leave: a header per vendor on stderr, the signed JSON on stdout.
pub(crate) fn print_previews(previews: &[Preview], json: bool) -> Result<(), Failure> {
    if json {
        return output::json(&previews);
    }
    for p in previews {
        let consent =
            p.consent_id.as_ref().map(|c| format!(" under consent {}", c.short())).unwrap_or_default();
        eprintln!("# to {}{consent} (id, created and proof are made afresh when sent)", p.vendor);
        output::json(&p.message)?;
    }
    Ok(())
}

fn describe(item: &OutboxItem) -> String {
    let what = format!("{} {} to {}", item.message_type, item.id.short(), item.vendor);
    match item.state {
        OutboxState::Delivered => format!("delivered {what} (receipt verified)"),
        OutboxState::Queued => format!(
            "queued {what}: {}; `parley sync` delivers it",
            item.last_error.as_deref().unwrap_or("not yet attempted")
        ),
        OutboxState::Rejected => format!("rejected {what}: {}", item.last_error.as_deref().unwrap_or("")),
        OutboxState::Cancelled => format!("cancelled {what}: {}", item.last_error.as_deref().unwrap_or("")),
    }
}

/// Prints what a send did; a message the vendor refused makes the command fail.
pub(crate) fn print_sent(sent: &Sent, json: bool) -> Result<(), Failure> {
    if json {
        output::json(sent)?;
    } else {
        for item in &sent.messages {
            say!("{}", describe(item));
        }
    }
    if let Some(m) = sent.messages.iter().find(|m| m.state == OutboxState::Rejected) {
        return Err(Failure::refused(describe(m)));
    }
    // Queued because the vendor is unreachable is fine (sync retries); queued because
    // its key changed or its answer did not verify is not.
    match sent.problems.iter().find(|p| p.needs_attention()) {
        Some(p) => Err(Failure::refused(problem(p))),
        None => Ok(()),
    }
}

/// A vendor's problem, with what to do about it when the person can do something.
fn problem(p: &parley_agent::exchange::SyncProblem) -> String {
    match p.code {
        ErrorCode::VendorKeyChanged => {
            format!("{}: {}: {}", p.vendor, p.error, super::key_changed_hint(&p.vendor))
        }
        _ => format!("{}: {}", p.vendor, p.error),
    }
}

/// `parley sync`.
pub(crate) async fn sync(
    ctx: &Context,
    vendor: Option<String>,
    now: bool,
    json: bool,
) -> Result<(), Failure> {
    let agent = ctx.agent().await?;
    let report = agent.sync(&SyncOptions { vendor, now, skip_inbox: false }).await?;
    print_report(&report, json)
}

fn print_report(report: &SyncReport, json: bool) -> Result<(), Failure> {
    if json {
        output::json(report)?;
    } else {
        for item in report.delivered.iter().chain(&report.rejected) {
            say!("{}", describe(item));
        }
        say!(
            "{} delivered, {} rejected, {} still queued, {} new in the inbox",
            report.delivered.len(),
            report.rejected.len(),
            report.queued,
            report.received
        );
        for p in &report.owned {
            say!(
                "{} from {} was delivered: it is in your products, with its proof of purchase (`parley product proof {}`)",
                p.name,
                p.vendor.as_deref().unwrap_or("the vendor"),
                p.id.short()
            );
        }
        if report.reads > 0 {
            say!("{} new read(s) of your messages at vendors: see `parley audit access`", report.reads);
        }
        for p in &report.problems {
            eprintln!("parley: {}", problem(p));
        }
    }
    if report.problems.is_empty() && report.rejected.is_empty() {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "sync finished with {} problem(s) and {} rejected message(s)",
            report.problems.len(),
            report.rejected.len()
        )))
    }
}

/// `parley outbox`.
pub(crate) async fn outbox(ctx: &Context, all: bool, json: bool) -> Result<(), Failure> {
    let vault = ctx.open().await?;
    let items = vault.outbox(if all { OutboxFilter::All } else { OutboxFilter::Waiting }).await?;
    if json {
        return output::json(&items);
    }
    if items.is_empty() {
        eprintln!("(nothing waiting)");
    }
    for item in &items {
        let retry = if item.state == OutboxState::Queued {
            format!(", attempt {} failed, next after {}", item.attempts, item.next_attempt)
        } else {
            String::new()
        };
        say!(
            "{}  {:<9}  {:<17}  {}{}  {}",
            item.id.short(),
            item.state,
            item.message_type,
            item.vendor,
            if item.attempts > 0 { retry } else { String::new() },
            item.last_error.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

/// `parley inbox`: by thread.
pub(crate) async fn inbox(ctx: &Context, vendor: Option<String>, json: bool) -> Result<(), Failure> {
    let vault = ctx.open().await?;
    let messages = vault.inbox(vendor.as_deref()).await?;
    if json {
        return output::json(&messages);
    }
    if messages.is_empty() {
        eprintln!("(inbox empty: `parley sync` pulls new offers and replies)");
    }
    let mut thread = None;
    for m in &messages {
        let t = m.thread.clone().unwrap_or_else(|| m.id.clone());
        if thread.as_ref() != Some(&t) {
            say!("thread {} with {}", t.short(), m.vendor);
            thread = Some(t);
        }
        let text = m.body["text"].as_str().unwrap_or("");
        let price = match (&m.body["price"]["amount"], &m.body["price"]["currency"]) {
            (serde_json::Value::String(a), serde_json::Value::String(c)) => format!("{a} {c}: "),
            _ => String::new(),
        };
        say!("  {}  {}  {:<5}  {price}{text}", m.id.short(), m.created, m.message_type);
    }
    Ok(())
}

/// `parley intent offers ID`.
pub(crate) async fn offers(vault: &Vault, intent: &str, json: bool) -> Result<(), Failure> {
    let offers = vault.offers(intent).await?;
    if json {
        return output::json(&offers);
    }
    if offers.is_empty() {
        eprintln!("(no offers yet: `parley sync` pulls them)");
    }
    for o in &offers {
        let price = format!(
            "{} {}",
            o.body["price"]["amount"].as_str().unwrap_or("?"),
            o.body["price"]["currency"].as_str().unwrap_or("")
        );
        let until = o.body["validUntil"].as_str().map(|u| format!(" (valid until {u})")).unwrap_or_default();
        say!(
            "{}  {:<8}  {}  {price}{until}  {}",
            o.id.short(),
            o.state,
            o.vendor,
            o.body["text"].as_str().unwrap_or("")
        );
    }
    Ok(())
}

/// `parley audit shared`: per vendor, per consent, what left.
pub(crate) async fn shared(vault: &Vault, vendor: Option<String>, json: bool) -> Result<(), Failure> {
    let report = vault.shared(vendor.as_deref()).await?;
    if json {
        return output::json(&report);
    }
    for v in &report {
        say!("{}", v.vendor);
        for c in &v.consents {
            let categories: Vec<&str> = c.consent.categories.iter().map(|k| k.as_str()).collect();
            say!(
                "  consent {}  {}  {}  {}  {} days  {}",
                c.consent.id.short(),
                c.consent.state,
                c.consent.agreement.as_str(),
                c.consent.purpose,
                c.consent.retention_days,
                categories.join(",")
            );
            for m in &c.messages {
                say!(
                    "    {}  {:<9}  {:<17}  {}  {}",
                    m.id.short(),
                    m.state,
                    m.message_type,
                    m.created,
                    m.digest
                );
            }
        }
        for m in &v.without_consent {
            say!("  {}  {:<9}  {:<17}  {}  {}", m.id.short(), m.state, m.message_type, m.created, m.digest);
        }
    }
    Ok(())
}

pub(crate) async fn access(vault: &Vault, vendor: Option<String>, json: bool) -> Result<(), Failure> {
    let logs = vault.access_log(vendor.as_deref()).await?;
    if json {
        output::json(&logs)?;
    } else {
        if logs.is_empty() {
            say!("No vendor keeps a staff-access log of your messages yet.");
        }
        for log in &logs {
            let state = match (&log.checked, &log.problem) {
                (None, _) => "not fetched yet: run `parley sync`".to_owned(),
                (Some(at), None) => format!("checked {at}, the chain holds"),
                (Some(at), Some(problem)) => format!("checked {at}, DOES NOT HOLD: {problem}"),
            };
            say!(
                "{}: {} read{}, {state}",
                log.vendor,
                log.reads.len(),
                if log.reads.len() == 1 { "" } else { "s" }
            );
            for r in &log.reads {
                say!("  {:>4}  {}  {}  (message {})", r.seq, r.at, r.summary, r.message.short());
            }
        }
    }
    let broken: Vec<String> =
        logs.iter().filter_map(|l| l.problem.as_ref().map(|p| format!("{}: {p}", l.vendor))).collect();
    if broken.is_empty() {
        Ok(())
    } else {
        Err(Failure::refused(format!("a staff-access log does not hold — {}", broken.join("; "))))
    }
}
