//! The type-specific `body` of each v1 message, the consent vocabulary, and the
//! validation rules a body must meet beyond its JSON shape.
//!
//! Bodies deny unknown members: a field the person did not consent to share must not
//! ride along unnoticed, and a vendor must not guess at fields it does not know.

use serde::{Deserialize, Serialize};

use crate::ids::{ConsentId, MessageId, Timestamp};

/// Longest free text (characters) in any body field.
pub const MAX_TEXT: usize = 8_000;
/// Longest short field (names, subjects, models, serials).
pub const MAX_SHORT: usize = 200;
/// Most items in any list (constraints, suggestions, categories).
pub const MAX_ITEMS: usize = 32;

/// A body value that breaks a rule, named by its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    /// The field, as a JSON path below the message (`body.score`).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Invalid {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }
}

/// Why a person consents: the v1 purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// Help with what I own.
    Service,
    /// Answer my intent with offers.
    Quote,
    /// Learn from my feedback.
    Improvement,
}

impl Purpose {
    /// Every purpose.
    pub const ALL: [Purpose; 3] = [Self::Service, Self::Quote, Self::Improvement];

    /// The wire form, e.g. `service`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Quote => "quote",
            Self::Improvement => "improvement",
        }
    }
}

/// What kind of data may travel under a consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// What I want to buy.
    Intent,
    /// My opinion and score.
    Feedback,
    /// A request for help.
    Support,
    /// Details of the owned product a message is about.
    Product,
    /// A way to reach me that I chose to add.
    Contact,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 5] =
        [Self::Intent, Self::Feedback, Self::Support, Self::Product, Self::Contact];

    /// The wire form, e.g. `feedback`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Intent => "intent",
            Self::Feedback => "feedback",
            Self::Support => "support",
            Self::Product => "product",
            Self::Contact => "contact",
        }
    }
}

/// Parses the wire form of a vocabulary term, naming the valid ones when it is not one.
macro_rules! vocabulary_from_str {
    ($($name:ident: $field:literal),*) => {$(
        impl std::str::FromStr for $name {
            type Err = Invalid;
            fn from_str(s: &str) -> Result<Self, Invalid> {
                Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| {
                    let valid: Vec<&str> = Self::ALL.iter().map(|x| x.as_str()).collect();
                    Invalid::new($field, format!("{s:?} is not one of {}", valid.join(", ")))
                })
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    )*};
}
vocabulary_from_str!(Purpose: "purpose", Category: "categories");

/// A standard-form privacy agreement from the IEEE 7012 (MyTerms) roster, by the
/// identifiers the W3C Data Privacy Vocabulary's `p7012` extension publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AgreementId {
    /// Service delivery only: no analytics, tracking, profiling or third-party sharing.
    #[serde(rename = "SD-BASE")]
    SdBase,
    /// Service delivery plus data portability.
    #[serde(rename = "SD-BASE-DP")]
    SdBaseDp,
    /// A contribution of intent (intentcasting).
    #[serde(rename = "PDC-INTENT")]
    PdcIntent,
    /// A personal data contribution for AI training.
    #[serde(rename = "PDC-AI")]
    PdcAi,
    /// A personal data contribution for the common good.
    #[serde(rename = "PDC-GOOD")]
    PdcGood,
}

impl AgreementId {
    /// Every agreement on the roster.
    pub const ALL: [AgreementId; 5] =
        [Self::SdBase, Self::SdBaseDp, Self::PdcIntent, Self::PdcAi, Self::PdcGood];

    /// Whether data shared for `purpose` fits this agreement: the service-delivery
    /// agreements cover help and feedback; `PDC-INTENT` covers intentcasting;
    /// `PDC-AI` and `PDC-GOOD` are contributions for improvement.
    pub fn fits(&self, purpose: Purpose) -> bool {
        match self {
            Self::SdBase | Self::SdBaseDp => matches!(purpose, Purpose::Service | Purpose::Improvement),
            Self::PdcIntent => purpose == Purpose::Quote,
            Self::PdcAi | Self::PdcGood => purpose == Purpose::Improvement,
        }
    }

    /// The roster identifier, e.g. `SD-BASE`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::SdBase => "SD-BASE",
            Self::SdBaseDp => "SD-BASE-DP",
            Self::PdcIntent => "PDC-INTENT",
            Self::PdcAi => "PDC-AI",
            Self::PdcGood => "PDC-GOOD",
        }
    }
}

impl std::str::FromStr for AgreementId {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|a| a.as_str() == s).ok_or_else(|| {
            Invalid::new(
                "agreement",
                format!("{s:?} is not on the roster (SD-BASE, SD-BASE-DP, PDC-INTENT, PDC-AI, PDC-GOOD)"),
            )
        })
    }
}

/// An amount of money: a decimal string (never a float) and an ISO 4217 code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Decimal amount, e.g. `"299.00"`.
    pub amount: String,
    /// Three upper-case letters, e.g. `EUR`.
    pub currency: String,
}

/// Details of an owned product, sent only under a consent naming [`Category::Product`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductDetails {
    /// Product name.
    pub name: String,
    /// Model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Purchase date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchased: Option<String>,
    /// Purchase price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    /// Warranty end, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warranty_until: Option<String>,
}

/// `ConsentGrant`: the person proffers a roster agreement for a purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsentGrant {
    /// The proffered agreement.
    pub agreement: AgreementId,
    /// Why data is shared.
    pub purpose: Purpose,
    /// What may be shared.
    pub categories: Vec<Category>,
    /// Days the vendor may keep what it receives.
    pub retention_days: u32,
    /// Terms in the person's own words, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
}

/// `ConsentRevocation`: the consent named in the envelope ends; its data must go.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRevocation {
    /// Why, if the person says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `Intent`: what the person wants to buy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Intent {
    /// What is wanted.
    pub what: String,
    /// Most the person will pay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Money>,
    /// Wanted by this date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Conditions an offer must meet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<String>,
    /// A way to reach the person (category `contact`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// What a piece of feedback is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedbackSubject {
    /// A product the person owns.
    Product,
    /// The vendor itself.
    Vendor,
}

/// `Feedback`: a 0–10 recommend score (NPS scale), text and suggestions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Feedback {
    /// Product or vendor.
    pub about: FeedbackSubject,
    /// How likely the person is to recommend, 0–10.
    pub score: u8,
    /// What they think.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// What they suggest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<String>,
    /// The product, when the consent covers `product`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductDetails>,
    /// A way to reach the person (category `contact`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// What a support request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum SupportKind {
    /// Help, a question, a problem.
    #[default]
    Question,
    /// A repair or replacement under warranty; cites the proof of purchase.
    WarrantyClaim,
    /// Sending it back for a refund; cites the proof of purchase.
    ReturnRequest,
}

impl SupportKind {
    /// Every kind.
    pub const ALL: [SupportKind; 3] = [Self::Question, Self::WarrantyClaim, Self::ReturnRequest];

    /// The wire form, e.g. `warranty-claim`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Question => "question",
            Self::WarrantyClaim => "warranty-claim",
            Self::ReturnRequest => "return-request",
        }
    }

    /// Whether it must cite a proof of purchase.
    pub fn cites_purchase(&self) -> bool {
        !matches!(self, Self::Question)
    }
}

/// Where an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// The vendor took the order.
    Confirmed,
    /// On its way.
    Shipped,
    /// With the person: from now on they own it.
    Delivered,
    /// Called off before delivery.
    Cancelled,
    /// Paid back (after a return).
    Refunded,
}

impl OrderStatus {
    /// Every status.
    pub const ALL: [OrderStatus; 5] =
        [Self::Confirmed, Self::Shipped, Self::Delivered, Self::Cancelled, Self::Refunded];

    /// The wire form, e.g. `shipped`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }

    /// Whether an order now `self` may move on to `next`: forward through confirmed,
    /// shipped and delivered; cancelled only before delivery; refunded only after it;
    /// nothing after cancelled or refunded.
    pub fn may_become(&self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        match (self, next) {
            (Cancelled | Refunded, _) => false,
            (Delivered, Refunded) => true,
            (Delivered, _) => false,
            (_, Cancelled) => true,
            (_, Refunded) => false,
            (a, b) => b > *a,
        }
    }
}
vocabulary_from_str!(SupportKind: "kind", OrderStatus: "status");

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    /// What.
    pub what: String,
    /// Its model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// How many, from 1.
    pub quantity: u32,
    /// The price of one.
    pub price: Money,
}

/// `Order`: the vendor's signed update on the order an accepted offer became, on the
/// pairwise channel, in the intent's thread and in reply to the person's acceptance.
/// Each update repeats the order's id and lines, so the latest one says it all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Order {
    /// The vendor's own order id, the same in every update.
    pub order: String,
    /// The accepted offer.
    pub offer: MessageId,
    /// Where it is now.
    pub status: OrderStatus,
    /// Where to follow the parcel (`https:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<String>,
    /// The serial number of what was delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// The warranty's last day, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warranty_until: Option<String>,
    /// What was bought.
    pub items: Vec<LineItem>,
}

/// What a warranty claim or return request cites: the vendor's own signed order update
/// (verbatim, proof included — the vendor checks its own signature and that it was sent
/// to this pairwise DID, whether or not it still stores it) and the digests of every
/// message in the person's proof of purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PurchaseProof {
    /// The vendor's order id.
    pub order: String,
    /// The latest signed `Order` update, as the vendor signed it.
    pub signed_order: serde_json::Value,
    /// `sha256:` digests of the bundle's messages (offer, acceptance, order updates).
    pub digests: Vec<String>,
}

/// `SupportRequest`: help with something the person owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SupportRequest {
    /// A question (absent), a warranty claim or a return request.
    #[serde(default, skip_serializing_if = "is_question")]
    pub kind: SupportKind,
    /// One line.
    pub subject: String,
    /// The problem.
    pub text: String,
    /// The product, when the consent covers `product`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductDetails>,
    /// For a warranty claim or return: the proof of purchase (category `product`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase: Option<PurchaseProof>,
    /// A way to reach the person (category `contact`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

fn is_question(kind: &SupportKind) -> bool {
    *kind == SupportKind::Question
}

/// `InboxQuery`: "what has been sent to me since…".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Only messages the vendor stored after this time; everything when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
}

/// `OfferAcceptance`: the person takes an offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferAcceptance {
    /// The accepted `Offer`'s id.
    pub offer: MessageId,
}

/// `IntentWithdrawal`: the person no longer wants offers for an intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentWithdrawal {
    /// The withdrawn `Intent`'s id.
    pub intent: MessageId,
}

/// Outcome a vendor records in a [`Receipt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptStatus {
    /// Stored durably.
    Accepted,
}

/// `Receipt`: the vendor's signed acknowledgement of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The acknowledged message.
    pub message: MessageId,
    /// `sha256:` and the lowercase hex SHA-256 of the message's canonical form.
    pub digest: String,
    /// What happened to it.
    pub status: ReceiptStatus,
}

/// The vendor's answer to a proffered agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Agreed as proffered.
    Accepted,
    /// Not this agreement, but the one named instead.
    Alternative,
    /// Declined.
    Refused,
}

impl Decision {
    /// The state a consent is in once the vendor has answered so — `agreed`,
    /// `alternative` or `refused` — as both sides store it.
    pub fn consent_state(&self) -> &'static str {
        match self {
            Self::Accepted => "agreed",
            Self::Alternative => "alternative",
            Self::Refused => "refused",
        }
    }
}

/// `ConsentAgreement`: the vendor's signed answer to a `ConsentGrant`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsentAgreement {
    /// The grant answered.
    pub grant: ConsentId,
    /// Accepted, alternative, or refused.
    pub decision: Decision,
    /// The agreement accepted, or the alternative offered; absent when refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AgreementId>,
    /// Why, for an alternative or a refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `DeletionReceipt`: the vendor deleted everything held under a consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeletionReceipt {
    /// The revoked consent.
    pub consent: ConsentId,
    /// Ids of the messages deleted.
    pub deleted: Vec<MessageId>,
    /// When the deletion was committed.
    pub completed: Timestamp,
}

/// `Offer`: a vendor's answer to an intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Offer {
    /// The intent answered.
    pub intent: MessageId,
    /// The price.
    pub price: Money,
    /// What is offered.
    pub text: String,
    /// Valid until this date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
}

/// `Reply`: a vendor's answer to a support request or feedback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// The answer.
    pub text: String,
}

// ---- validation helpers -------------------------------------------------------------

pub(crate) fn text(field: &str, value: &str, max: usize, required: bool) -> Result<(), Invalid> {
    if required && value.trim().is_empty() {
        return Err(Invalid::new(field, "must not be empty"));
    }
    let n = value.chars().count();
    if n > max {
        return Err(Invalid::new(field, format!("is {n} characters long, at most {max} allowed")));
    }
    Ok(())
}

pub(crate) fn opt_text(field: &str, value: &Option<String>, max: usize) -> Result<(), Invalid> {
    value.as_deref().map_or(Ok(()), |v| text(field, v, max, true))
}

pub(crate) fn list(field: &str, items: &[String], max_each: usize) -> Result<(), Invalid> {
    if items.len() > MAX_ITEMS {
        return Err(Invalid::new(field, format!("has {} items, at most {MAX_ITEMS} allowed", items.len())));
    }
    items.iter().enumerate().try_for_each(|(i, s)| text(&format!("{field}[{i}]"), s, max_each, true))
}

/// Checks a `YYYY-MM-DD` calendar date.
pub fn date(field: &str, value: &str) -> Result<(), Invalid> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, &format)
        .map(|_| ())
        .map_err(|_| Invalid::new(field, format!("{value:?} is not a date (YYYY-MM-DD)")))
}

fn opt_date(field: &str, value: &Option<String>) -> Result<(), Invalid> {
    value.as_deref().map_or(Ok(()), |v| date(field, v))
}

impl Money {
    /// Checks the amount is a non-negative decimal with at most 4 decimals and the
    /// currency three upper-case letters.
    pub fn validate(&self, field: &str) -> Result<(), Invalid> {
        let (whole, frac) = self.amount.split_once('.').unwrap_or((&self.amount, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let ok = !whole.is_empty()
            && whole.len() <= 15
            && digits(whole)
            && digits(frac)
            && frac.len() <= 4
            && !self.amount.ends_with('.');
        if !ok {
            return Err(Invalid::new(
                format!("{field}.amount"),
                format!("{:?} is not a decimal amount like 299 or 299.00", self.amount),
            ));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Invalid::new(
                format!("{field}.currency"),
                format!("{:?} is not an ISO 4217 code like EUR", self.currency),
            ));
        }
        Ok(())
    }
}

impl ProductDetails {
    fn validate(&self, field: &str) -> Result<(), Invalid> {
        text(&format!("{field}.name"), &self.name, MAX_SHORT, true)?;
        opt_text(&format!("{field}.model"), &self.model, MAX_SHORT)?;
        opt_text(&format!("{field}.serial"), &self.serial, MAX_SHORT)?;
        opt_date(&format!("{field}.purchased"), &self.purchased)?;
        opt_date(&format!("{field}.warrantyUntil"), &self.warranty_until)?;
        self.price.as_ref().map_or(Ok(()), |p| p.validate(&format!("{field}.price")))
    }
}

fn opt_product(p: &Option<ProductDetails>) -> Result<(), Invalid> {
    p.as_ref().map_or(Ok(()), |p| p.validate("body.product"))
}

impl ConsentGrant {
    pub(crate) fn validate(&self) -> Result<(), Invalid> {
        if self.categories.is_empty() {
            return Err(Invalid::new("body.categories", "must name at least one category"));
        }
        let mut seen = self.categories.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.categories.len() {
            return Err(Invalid::new("body.categories", "names a category twice"));
        }
        if !(1..=3650).contains(&self.retention_days) {
            return Err(Invalid::new("body.retentionDays", "must be between 1 and 3650 days"));
        }
        opt_text("body.terms", &self.terms, MAX_TEXT)
    }
}

impl Intent {
    pub(crate) fn validate(&self) -> Result<(), Invalid> {
        text("body.what", &self.what, MAX_TEXT, true)?;
        self.budget.as_ref().map_or(Ok(()), |b| b.validate("body.budget"))?;
        opt_date("body.by", &self.by)?;
        list("body.constraints", &self.constraints, MAX_TEXT)?;
        opt_text("body.contact", &self.contact, MAX_SHORT)
    }
}

impl Feedback {
    pub(crate) fn validate(&self) -> Result<(), Invalid> {
        if self.score > 10 {
            return Err(Invalid::new("body.score", format!("{} is not between 0 and 10", self.score)));
        }
        opt_text("body.text", &self.text, MAX_TEXT)?;
        list("body.suggestions", &self.suggestions, MAX_TEXT)?;
        opt_product(&self.product)?;
        opt_text("body.contact", &self.contact, MAX_SHORT)
    }
}

impl SupportRequest {
    pub(crate) fn validate(&self) -> Result<(), Invalid> {
        text("body.subject", &self.subject, MAX_SHORT, true)?;
        text("body.text", &self.text, MAX_TEXT, true)?;
        opt_product(&self.product)?;
        match (&self.purchase, self.kind.cites_purchase()) {
            (None, true) => {
                return Err(Invalid::new(
                    "body.purchase",
                    format!("a {} cites the proof of purchase", self.kind.as_str()),
                ))
            }
            (Some(_), false) => {
                return Err(Invalid::new("body.purchase", "only a warranty claim or return cites a purchase"))
            }
            (Some(p), true) => p.validate()?,
            (None, false) => {}
        }
        opt_text("body.contact", &self.contact, MAX_SHORT)
    }
}

impl PurchaseProof {
    fn validate(&self) -> Result<(), Invalid> {
        text("body.purchase.order", &self.order, MAX_SHORT, true)?;
        if !self.signed_order.is_object() {
            return Err(Invalid::new("body.purchase.signedOrder", "must be the signed Order update"));
        }
        if self.digests.is_empty() || self.digests.len() > MAX_ITEMS {
            return Err(Invalid::new("body.purchase.digests", format!("must list 1 to {MAX_ITEMS} digests")));
        }
        for (i, d) in self.digests.iter().enumerate() {
            if !is_digest(d) {
                return Err(Invalid::new(
                    format!("body.purchase.digests[{i}]"),
                    "must be sha256: followed by 64 lowercase hex digits",
                ));
            }
        }
        Ok(())
    }
}

/// Whether `s` is `sha256:` and 64 lowercase hex digits: how digests and hashes are written.
pub(crate) fn is_digest(s: &str) -> bool {
    let hex = s.strip_prefix("sha256:").unwrap_or("");
    hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Order {
    pub(crate) fn validate(&self) -> Result<(), Invalid> {
        text("body.order", &self.order, MAX_SHORT, true)?;
        if let Some(url) = &self.tracking {
            text("body.tracking", url, 2000, true)?;
            if !url.starts_with("https://") {
                return Err(Invalid::new("body.tracking", "must be an https:// URL"));
            }
        }
        opt_text("body.serial", &self.serial, MAX_SHORT)?;
        opt_date("body.warrantyUntil", &self.warranty_until)?;
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            return Err(Invalid::new("body.items", format!("must list 1 to {MAX_ITEMS} lines")));
        }
        for (i, item) in self.items.iter().enumerate() {
            text(&format!("body.items[{i}].what"), &item.what, MAX_SHORT, true)?;
            opt_text(&format!("body.items[{i}].model"), &item.model, MAX_SHORT)?;
            if !(1..=100_000).contains(&item.quantity) {
                return Err(Invalid::new(
                    format!("body.items[{i}].quantity"),
                    "must be between 1 and 100000",
                ));
            }
            item.price.validate(&format!("body.items[{i}].price"))?;
        }
        Ok(())
    }
}

impl Receipt {
    pub(crate) fn validate(&self) -> Result<(), Invalid> {
        if !is_digest(&self.digest) {
            return Err(Invalid::new("body.digest", "must be sha256: followed by 64 lowercase hex digits"));
        }
        Ok(())
    }
}

impl ConsentAgreement {
    pub(crate) fn validate(&self) -> Result<(), Invalid> {
        match (self.decision, self.agreement) {
            (Decision::Refused, Some(_)) => {
                Err(Invalid::new("body.agreement", "a refusal names no agreement"))
            }
            (Decision::Accepted | Decision::Alternative, None) => {
                Err(Invalid::new("body.agreement", "an acceptance or alternative names its agreement"))
            }
            _ => opt_text("body.reason", &self.reason, MAX_TEXT),
        }
    }
}

impl Offer {
    pub(crate) fn validate(&self) -> Result<(), Invalid> {
        self.price.validate("body.price")?;
        text("body.text", &self.text, MAX_TEXT, true)?;
        opt_date("body.validUntil", &self.valid_until)
    }
}
