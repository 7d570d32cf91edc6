//! `parley product|vendor|intent|feedback|support|consent …`: add, list, show, edit,
//! delete — each a thin call into `parley-agent`'s record stores.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use parley_agent::outbox::OutboxState;
use parley_agent::records::consents::{ConsentFields, ConsentState};
use parley_agent::records::feedback::FeedbackFields;
use parley_agent::records::intents::{IntentFields, IntentState};
use parley_agent::records::products::ProductFields;
use parley_agent::records::support::{SupportFields, SupportState};
use parley_agent::records::vendors::VendorFields;
use parley_agent::records::{Money, Page};
use parley_protocol::{AgreementId, Category, Purpose};

use super::delivery::{self, SendArgs};
use super::{output, Context, Failure};

/// The verbs every record kind has; `F` holds the kind's fields.
#[derive(Subcommand)]
pub(crate) enum Verb<F: Args> {
    /// Add one; prints its id (the whole record with --json).
    Add {
        #[command(flatten)]
        fields: F,
        /// Print the whole record as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List them.
    List {
        /// Print as a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Show one (by id, or a unique prefix of at least 4 characters).
    Show {
        /// Id or prefix.
        id: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change the given fields (an empty value clears an optional field).
    Edit {
        /// Id or prefix.
        id: String,
        #[command(flatten)]
        fields: F,
        /// Print the whole record as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete one.
    Delete {
        /// Id or prefix.
        id: String,
    },
}

fn money(amount: Option<String>, currency: Option<String>, field: &str) -> Result<Option<Money>, Failure> {
    match (amount, currency) {
        (None, None) => Ok(None),
        (Some(a), _) if a.is_empty() => Ok(Some(Money { amount: String::new(), currency: String::new() })),
        (Some(amount), Some(currency)) => Ok(Some(Money { amount, currency: currency.to_ascii_uppercase() })),
        _ => Err(Failure::refused(format!("{field}: give both an amount and a --currency"))),
    }
}

// ---- products ----------------------------------------------------------------------

#[derive(Args, Default)]
pub(crate) struct ProductArgs {
    /// Product name.
    #[arg(long)]
    name: Option<String>,
    /// Who sold or made it.
    #[arg(long)]
    vendor: Option<String>,
    /// Model.
    #[arg(long)]
    model: Option<String>,
    /// Serial number.
    #[arg(long)]
    serial: Option<String>,
    /// Purchase date (YYYY-MM-DD).
    #[arg(long)]
    purchased: Option<String>,
    /// Purchase price, e.g. 79.90 (with --currency).
    #[arg(long)]
    price: Option<String>,
    /// Currency of --price (ISO 4217, e.g. EUR).
    #[arg(long)]
    currency: Option<String>,
    /// Warranty end (YYYY-MM-DD).
    #[arg(long)]
    warranty_until: Option<String>,
    /// Notes.
    #[arg(long)]
    notes: Option<String>,
}

impl ProductArgs {
    fn into_fields(self) -> Result<ProductFields, Failure> {
        Ok(ProductFields {
            price: money(self.price, self.currency, "price")?,
            name: self.name,
            vendor: self.vendor,
            model: self.model,
            serial: self.serial,
            purchased: self.purchased,
            warranty_until: self.warranty_until,
            notes: self.notes,
        })
    }
}

#[derive(Subcommand)]
pub(crate) enum ProductCommand {
    #[command(flatten)]
    Verb(Verb<ProductArgs>),
    /// Attach a file (receipt, manual) to a product; it is stored inside the vault.
    Attach {
        /// Product id or prefix.
        product: String,
        /// The file.
        file: PathBuf,
        /// Media type; guessed from the extension when absent.
        #[arg(long)]
        media_type: Option<String>,
    },
    /// List a product's attachments.
    Attachments {
        /// Product id or prefix.
        product: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write an attachment's content to a file (or stdout with `-`).
    Open {
        /// Attachment id or prefix.
        attachment: String,
        /// Where to write it.
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Remove an attachment.
    Detach {
        /// Attachment id or prefix.
        attachment: String,
    },
    /// Write the product's proof of purchase — the vendor's signed offer, your signed
    /// acceptance and the signed order updates — to a file (stdout without -o); anyone
    /// checks it offline with `parley proto verify-bundle`.
    Proof {
        /// Product id or prefix.
        product: String,
        /// Where to write it.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

fn guess_media_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("txt") => "text/plain",
        Some("html" | "htm") => "text/html",
        _ => "application/octet-stream",
    }
}

pub(crate) async fn product(ctx: &Context, cmd: ProductCommand) -> Result<(), Failure> {
    let vault = ctx.open().await?;
    let products = vault.products();
    match cmd {
        ProductCommand::Verb(Verb::Add { fields, json }) => {
            output::added(&products.add(fields.into_fields()?).await?, json)
        }
        ProductCommand::Verb(Verb::List { json }) => {
            output::list(&products.list(Page::first(0)).await?, &["name", "vendor", "warrantyUntil"], json)
        }
        ProductCommand::Verb(Verb::Show { id, json }) => output::record(&products.get(&id).await?, json),
        ProductCommand::Verb(Verb::Edit { id, fields, json }) => {
            output::record(&products.update(&id, fields.into_fields()?).await?, json)
        }
        ProductCommand::Verb(Verb::Delete { id }) => deleted("product", &products.delete(&id).await?.id),
        ProductCommand::Attach { product, file, media_type } => {
            let content = std::fs::read(&file)
                .map_err(|e| Failure::refused(format!("cannot read {}: {e}", file.display())))?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let media = media_type.unwrap_or_else(|| guess_media_type(&file).to_owned());
            output::added(&products.attach(&product, &name, &media, &content).await?, false)
        }
        ProductCommand::Proof { product, output: out } => {
            let proof = products.proof(&product).await?;
            match out {
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(proof.as_bytes()).map_err(Failure::refused)
                }
                Some(path) => std::fs::write(&path, proof)
                    .map_err(|e| Failure::refused(format!("cannot write {}: {e}", path.display()))),
            }
        }
        ProductCommand::Attachments { product, json } => {
            output::list(&products.attachments(&product).await?, &["name", "mediaType", "size"], json)
        }
        ProductCommand::Open { attachment, output: out } => {
            let (_, content) = products.attachment_content(&attachment).await?;
            if out.as_os_str() == "-" {
                use std::io::Write;
                std::io::stdout().write_all(&content).map_err(Failure::refused)
            } else {
                std::fs::write(&out, content)
                    .map_err(|e| Failure::refused(format!("cannot write {}: {e}", out.display())))
            }
        }
        ProductCommand::Detach { attachment } => {
            deleted("attachment", &products.detach(&attachment).await?.id)
        }
    }
}

fn deleted(kind: &str, id: &impl std::fmt::Display) -> Result<(), Failure> {
    eprintln!("Deleted {kind} {id}");
    Ok(())
}

// ---- vendors -----------------------------------------------------------------------

#[derive(Args, Default)]
pub(crate) struct VendorArgs {
    /// Vendor name (unique in the vault).
    #[arg(long)]
    name: Option<String>,
    /// The vendor's Parley endpoint URL.
    #[arg(long)]
    url: Option<String>,
    /// The vendor's DID, if known (pins it without contacting the vendor).
    #[arg(long)]
    did: Option<String>,
    /// Add without fetching the descriptor now (add only); the key is pinned at the
    /// first exchange.
    #[arg(long)]
    offline: bool,
}

#[derive(Subcommand)]
pub(crate) enum VendorCommand {
    #[command(flatten)]
    Verb(Verb<VendorArgs>),
    /// Decide about a vendor whose key changed.
    Trust {
        /// The vendor (id, prefix or name).
        vendor: String,
        /// Accept the new key the vendor presented (check its fingerprint with the vendor first).
        #[arg(long, required = true)]
        accept_new_key: bool,
        /// The fingerprint (or DID) you checked: refused if it is not the key presented.
        #[arg(long)]
        key: Option<String>,
        /// Print the vendor as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) async fn vendor(ctx: &Context, command: VendorCommand) -> Result<(), Failure> {
    let agent = ctx.agent().await?;
    let vault = agent.vault();
    let vendors = vault.vendors();
    let fields = |a: VendorArgs| VendorFields { name: a.name, url: a.url, did: a.did };
    let verb = match command {
        VendorCommand::Verb(verb) => verb,
        VendorCommand::Trust { vendor, accept_new_key: _, key, json } => {
            let (v, report) = agent.trust_vendor_key(&vendor, key.as_deref()).await?;
            eprintln!(
                "Accepted the new key of {}: fingerprint {}",
                v.name,
                v.fingerprint.as_deref().unwrap_or("?")
            );
            output::record(&v, json)?;
            for item in &report.delivered {
                eprintln!("delivered {} {} to {}", item.message_type, item.id.short(), item.vendor);
            }
            return match report.problems.first() {
                Some(p) => {
                    Err(Failure::refused(format!("the key is accepted, but {}: {}", p.vendor, p.error)))
                }
                None => Ok(()),
            };
        }
    };
    match verb {
        Verb::Add { fields: a, json } if a.url.is_some() && a.did.is_none() && !a.offline => {
            let url = a.url.clone().unwrap_or_default();
            let v = agent.discover_vendor(&url, a.name).await?;
            eprintln!(
                "Added {} and pinned its key: fingerprint {} (compare it with what the vendor publishes)",
                v.name,
                v.fingerprint.as_deref().unwrap_or("?")
            );
            output::added(&v, json)
        }
        Verb::Add { fields: a, json } => output::added(&vendors.add(fields(a)).await?, json),
        Verb::List { json } => output::list(&vendors.list().await?, &["name", "url"], json),
        Verb::Show { id, json } => {
            let vendor = vendors.get(&id).await?;
            let mut shown = serde_json::to_value(&vendor).map_err(Failure::refused)?;
            // The person's own pairwise DID with this vendor, once the vendor's is known.
            if let Some(did) = vault.my_did_with(vendor.id.as_str()).await? {
                shown["myDid"] = did.to_string().into();
            }
            output::record(&shown, json)
        }
        Verb::Edit { id, fields: a, json } => output::record(&vendors.update(&id, fields(a)).await?, json),
        Verb::Delete { id } => deleted("vendor", &vendors.delete(&id).await?.id),
    }
}

// ---- intents -----------------------------------------------------------------------

#[derive(Args, Default)]
pub(crate) struct IntentArgs {
    /// What you want.
    #[arg(long)]
    what: Option<String>,
    /// Most you will pay (with --currency).
    #[arg(long)]
    budget: Option<String>,
    /// Currency of --budget (ISO 4217).
    #[arg(long)]
    currency: Option<String>,
    /// Wanted by (YYYY-MM-DD).
    #[arg(long)]
    by: Option<String>,
    /// A condition an offer must meet (repeatable).
    #[arg(long = "constraint")]
    constraints: Vec<String>,
    /// A product you already added for it (id or prefix; "" unlinks): the order it leads
    /// to completes that product instead of adding another. Never sent.
    #[arg(long)]
    product: Option<String>,
    /// New state (edit only): draft, sent, offers, accepted, withdrawn, expired.
    #[arg(long)]
    state: Option<String>,
}

impl IntentArgs {
    fn into_fields(self) -> Result<IntentFields, Failure> {
        Ok(IntentFields {
            budget: money(self.budget, self.currency, "budget")?,
            what: self.what,
            by: self.by,
            constraints: (!self.constraints.is_empty()).then_some(self.constraints),
            product: self.product,
            state: self.state.map(|s| s.parse::<IntentState>()).transpose()?,
        })
    }
}

#[derive(Subcommand)]
pub(crate) enum IntentCommand {
    #[command(flatten)]
    Verb(Verb<IntentArgs>),
    /// Cast the intent to vendors, each copy signed by your identity with that vendor.
    Send {
        /// Intent id or prefix.
        id: String,
        /// The vendors, comma-separated (ids, prefixes or names).
        #[arg(long, value_delimiter = ',', required = true)]
        vendors: Vec<String>,
        /// Print the exact JSON each vendor would receive, and send nothing.
        #[arg(long)]
        preview: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The offers vendors made for the intent.
    Offers {
        /// Intent id or prefix.
        id: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Accept one offer (tells that vendor).
    Accept {
        /// Offer id or prefix (from `parley intent offers`).
        offer: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Withdraw the intent (tells every vendor that received it).
    Withdraw {
        /// Intent id or prefix.
        id: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) async fn intent(ctx: &Context, command: IntentCommand) -> Result<(), Failure> {
    let agent = ctx.agent().await?;
    let intents = agent.vault().intents();
    let verb = match command {
        IntentCommand::Verb(verb) => verb,
        IntentCommand::Send { id, vendors, preview, json } => {
            return if preview {
                delivery::print_previews(&agent.preview_intent(&id, &vendors).await?, json)
            } else {
                delivery::print_sent(&agent.send_intent(&id, &vendors).await?, json)
            };
        }
        IntentCommand::Offers { id, json } => return delivery::offers(agent.vault(), &id, json).await,
        IntentCommand::Accept { offer, json } => {
            return delivery::print_sent(&agent.accept_offer(&offer).await?, json)
        }
        IntentCommand::Withdraw { id, json } => {
            return delivery::print_sent(&agent.withdraw_intent(&id).await?, json)
        }
    };
    match verb {
        Verb::Add { fields, json } => output::added(&intents.add(fields.into_fields()?).await?, json),
        Verb::List { json } => output::list(&intents.list().await?, &["state", "what", "budget", "by"], json),
        Verb::Show { id, json } => output::record(&intents.get(&id).await?, json),
        Verb::Edit { id, fields, json } => {
            output::record(&intents.update(&id, fields.into_fields()?).await?, json)
        }
        Verb::Delete { id } => deleted("intent", &intents.delete(&id).await?.id),
    }
}

// ---- feedback ----------------------------------------------------------------------

#[derive(Args, Default)]
pub(crate) struct FeedbackArgs {
    /// The product it is about (id or prefix).
    #[arg(long)]
    product: Option<String>,
    /// The vendor it is about (id, prefix or name).
    #[arg(long)]
    vendor: Option<String>,
    /// How likely you are to recommend it, 0–10.
    #[arg(long, allow_negative_numbers = true)]
    score: Option<i64>,
    /// What you think.
    #[arg(long)]
    text: Option<String>,
    /// A suggestion (repeatable).
    #[arg(long = "suggestion")]
    suggestions: Vec<String>,
}

#[derive(Subcommand)]
pub(crate) enum FeedbackCommand {
    #[command(flatten)]
    Verb(Verb<FeedbackArgs>),
    /// Send it to the vendor (or print what would leave, with --preview).
    Send(SendArgs),
}

pub(crate) async fn feedback(ctx: &Context, command: FeedbackCommand) -> Result<(), Failure> {
    let agent = ctx.agent().await?;
    let verb = match command {
        FeedbackCommand::Verb(verb) => verb,
        FeedbackCommand::Send(a) => {
            let vendor = a.vendor.as_deref();
            return if a.preview {
                delivery::print_previews(&agent.preview_feedback(&a.id, vendor).await?, a.json)
            } else {
                delivery::print_sent(&agent.send_feedback(&a.id, vendor).await?, a.json)
            };
        }
    };
    let store = agent.vault().feedback();
    let fields = |a: FeedbackArgs| FeedbackFields {
        product: a.product,
        vendor: a.vendor,
        score: a.score,
        text: a.text,
        suggestions: (!a.suggestions.is_empty()).then_some(a.suggestions),
    };
    match verb {
        Verb::Add { fields: a, json } => output::added(&store.add(fields(a)).await?, json),
        Verb::List { json } => output::list(&store.list().await?, &["state", "score", "text"], json),
        Verb::Show { id, json } => output::record(&store.get(&id).await?, json),
        Verb::Edit { id, fields: a, json } => output::record(&store.update(&id, fields(a)).await?, json),
        Verb::Delete { id } => deleted("feedback", &store.delete(&id).await?.id),
    }
}

// ---- support -----------------------------------------------------------------------

#[derive(Args, Default)]
pub(crate) struct SupportArgs {
    /// The product it is about (id or prefix).
    #[arg(long)]
    product: Option<String>,
    /// question (the default), warranty-claim or return-request; a claim or return cites
    /// the product's proof of purchase.
    #[arg(long)]
    kind: Option<String>,
    /// One line.
    #[arg(long)]
    subject: Option<String>,
    /// The problem.
    #[arg(long)]
    text: Option<String>,
    /// New state (edit only): draft, sent, answered, closed.
    #[arg(long)]
    state: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum SupportCommand {
    #[command(flatten)]
    Verb(Verb<SupportArgs>),
    /// Send it to the product's vendor (or print what would leave, with --preview).
    Send(SendArgs),
}

pub(crate) async fn support(ctx: &Context, command: SupportCommand) -> Result<(), Failure> {
    let agent = ctx.agent().await?;
    let verb = match command {
        SupportCommand::Verb(verb) => verb,
        SupportCommand::Send(a) => {
            let vendor = a.vendor.as_deref();
            return if a.preview {
                delivery::print_previews(&agent.preview_support(&a.id, vendor).await?, a.json)
            } else {
                delivery::print_sent(&agent.send_support(&a.id, vendor).await?, a.json)
            };
        }
    };
    let store = agent.vault().support();
    let fields = |a: SupportArgs| -> Result<SupportFields, Failure> {
        Ok(SupportFields {
            product: a.product,
            kind: a
                .kind
                .map(|k| k.parse::<parley_protocol::SupportKind>())
                .transpose()
                .map_err(Failure::usage)?,
            subject: a.subject,
            text: a.text,
            state: a.state.map(|s| s.parse::<SupportState>()).transpose()?,
        })
    };
    match verb {
        Verb::Add { fields: a, json } => output::added(&store.add(fields(a)?).await?, json),
        Verb::List { json } => output::list(&store.list().await?, &["state", "subject"], json),
        Verb::Show { id, json } => output::record(&store.get(&id).await?, json),
        Verb::Edit { id, fields: a, json } => output::record(&store.update(&id, fields(a)?).await?, json),
        Verb::Delete { id } => deleted("support request", &store.delete(&id).await?.id),
    }
}

// ---- consents ----------------------------------------------------------------------

#[derive(Args, Default)]
pub(crate) struct ConsentArgs {
    /// The vendor (id, prefix or name).
    #[arg(long)]
    vendor: Option<String>,
    /// Why: service, quote or improvement.
    #[arg(long)]
    purpose: Option<String>,
    /// What may be shared, comma-separated: intent, feedback, support, product, contact.
    #[arg(long, value_delimiter = ',')]
    categories: Vec<String>,
    /// How many days the vendor may keep it.
    #[arg(long, allow_negative_numbers = true)]
    retention_days: Option<i64>,
    /// Standard agreement: SD-BASE (default), SD-BASE-DP, PDC-INTENT, PDC-AI, PDC-GOOD.
    #[arg(long)]
    agreement: Option<String>,
    /// Your own terms, in words.
    #[arg(long)]
    terms: Option<String>,
    /// New state (edit only).
    #[arg(long)]
    state: Option<String>,
}

impl ConsentArgs {
    fn into_fields(self) -> Result<ConsentFields, Failure> {
        Ok(ConsentFields {
            vendor: self.vendor,
            agreement: self
                .agreement
                .map(|a| a.parse::<AgreementId>())
                .transpose()
                .map_err(Failure::refused)?,
            purpose: self
                .purpose
                .map(|p| p.trim().to_ascii_lowercase().parse::<Purpose>())
                .transpose()
                .map_err(Failure::refused)?,
            categories: if self.categories.is_empty() {
                None
            } else {
                Some(
                    self.categories
                        .iter()
                        .map(|c| c.trim().to_ascii_lowercase().parse::<Category>())
                        .collect::<Result<_, _>>()
                        .map_err(Failure::refused)?,
                )
            },
            retention_days: self.retention_days,
            terms: self.terms,
            state: self.state.map(|s| s.parse::<ConsentState>()).transpose()?,
        })
    }
}

#[derive(Subcommand)]
pub(crate) enum ConsentCommand {
    #[command(flatten)]
    Verb(Verb<ConsentArgs>),
    /// Proffer a consent to a vendor now and keep its signed answer (agreed, an
    /// alternative, or refused).
    Grant {
        #[command(flatten)]
        fields: ConsentArgs,
        /// Print the consent as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Proffer a draft consent written with `consent add`.
    Proffer {
        /// Consent id or prefix.
        id: String,
        /// Print the JSON that would leave, and send nothing.
        #[arg(long)]
        preview: bool,
    },
    /// Take the alternative agreement the vendor offered (proffers it as a new consent).
    AcceptAlternative {
        /// Consent id or prefix.
        id: String,
        /// Print the new consent as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a consent: the vendor deletes what it holds under it and signs a receipt.
    Revoke {
        /// Consent id or prefix.
        id: String,
        /// Why, in your words (sent to the vendor).
        #[arg(long)]
        reason: Option<String>,
        /// Print the consent as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn print_consent_outcome(
    consent: &parley_agent::records::consents::Consent,
    sent: &parley_agent::exchange::Sent,
    json: bool,
) -> Result<(), Failure> {
    for item in &sent.messages {
        if item.state == OutboxState::Queued {
            eprintln!(
                "parley: not delivered yet ({}); `parley sync` delivers it",
                item.last_error.as_deref().unwrap_or("")
            );
        }
    }
    if json {
        return output::json(consent);
    }
    let reason = consent.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
    let alternative = consent.alternative.map(|a| {
        format!(
            " ({} offered instead: `parley consent accept-alternative {}`)",
            a.as_str(),
            consent.id.short()
        )
    });
    say!("{}", consent.id);
    eprintln!(
        "consent {} is {}{reason}{}",
        consent.id.short(),
        consent.state,
        if consent.state == ConsentState::Alternative {
            alternative.unwrap_or_default()
        } else {
            String::new()
        }
    );
    match sent.messages.iter().find(|m| m.state == OutboxState::Rejected) {
        Some(m) => Err(Failure::refused(format!(
            "{} refused it: {}",
            m.vendor,
            m.last_error.as_deref().unwrap_or("")
        ))),
        None => Ok(()),
    }
}

pub(crate) async fn consent(ctx: &Context, command: ConsentCommand) -> Result<(), Failure> {
    let agent = ctx.agent().await?;
    let verb = match command {
        ConsentCommand::Verb(verb) => verb,
        ConsentCommand::Grant { fields, json } => {
            let (consent, sent) = agent.grant_consent(fields.into_fields()?).await?;
            return print_consent_outcome(&consent, &sent, json);
        }
        ConsentCommand::Proffer { id, preview } => {
            if preview {
                return delivery::print_previews(&agent.preview_consent(&id).await?, false);
            }
            let sent = agent.proffer_consent(&id).await?;
            return print_consent_outcome(&agent.vault().consents().get(&id).await?, &sent, false);
        }
        ConsentCommand::AcceptAlternative { id, json } => {
            let (consent, sent) = agent.accept_alternative(&id).await?;
            return print_consent_outcome(&consent, &sent, json);
        }
        ConsentCommand::Revoke { id, reason, json } => {
            let (consent, sent) = agent.revoke_consent(&id, reason).await?;
            return print_consent_outcome(&consent, &sent, json);
        }
    };
    let store = agent.vault().consents();
    match verb {
        Verb::Add { fields, json } => output::added(&store.add(fields.into_fields()?).await?, json),
        Verb::List { json } => {
            output::list(&store.list(None).await?, &["state", "agreement", "purpose", "categories"], json)
        }
        Verb::Show { id, json } => output::record(&store.get(&id).await?, json),
        Verb::Edit { id, fields, json } => {
            output::record(&store.update(&id, fields.into_fields()?).await?, json)
        }
        Verb::Delete { id } => deleted("consent", &store.delete(&id).await?.id),
    }
}
