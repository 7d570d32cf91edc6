//! Refusals as RFC 9457 problem documents (`application/problem+json`), one stable
//! `type` URI per kind of failure, so clients can act on the kind and people can read the
//! `detail`. Bad input is always a 4xx; a 5xx means the vendor's own side failed.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use parley_protocol::VerifyError;
use serde::Serialize;

use crate::consent::ConsentRefusal;

/// The prefix of every problem `type`.
pub const TYPE_PREFIX: &str = "urn:parley:problem:";

macro_rules! problem_kinds {
    ($($(#[$doc:meta])* $name:ident => ($slug:literal, $status:expr, $title:literal)),* $(,)?) => {
        /// Every kind of refusal.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum ProblemKind { $($(#[$doc])* $name,)* }

        impl ProblemKind {
            /// Every kind, for documentation and tests.
            pub const ALL: &'static [ProblemKind] = &[$(ProblemKind::$name,)*];
            /// The last segment of the `type` URI.
            pub fn slug(&self) -> &'static str { match self { $(Self::$name => $slug,)* } }
            /// The HTTP status.
            pub fn status(&self) -> StatusCode { match self { $(Self::$name => $status,)* } }
            /// A short, fixed summary.
            pub fn title(&self) -> &'static str { match self { $(Self::$name => $title,)* } }
            /// The `type` URI, e.g. `urn:parley:problem:bad-proof`.
            pub fn type_uri(&self) -> String { format!("{TYPE_PREFIX}{}", self.slug()) }
        }
    };
}

problem_kinds! {
    /// The body is larger than the endpoint accepts.
    TooLarge => ("too-large", StatusCode::PAYLOAD_TOO_LARGE, "Message too large"),
    /// The body is not `application/json`.
    UnsupportedMediaType => ("unsupported-media-type", StatusCode::UNSUPPORTED_MEDIA_TYPE, "Send application/json"),
    /// Not JSON, or JSON outside the I-JSON data model.
    MalformedJson => ("malformed-json", StatusCode::BAD_REQUEST, "Malformed JSON"),
    /// A `type` this endpoint does not take.
    UnknownType => ("unknown-type", StatusCode::BAD_REQUEST, "Unknown message type"),
    /// A field is missing, malformed or breaks a rule.
    InvalidMessage => ("invalid-message", StatusCode::UNPROCESSABLE_ENTITY, "Invalid message"),
    /// `to` is not this vendor.
    WrongRecipient => ("wrong-recipient", StatusCode::MISDIRECTED_REQUEST, "Wrong recipient"),
    /// `expires` has passed.
    Expired => ("expired", StatusCode::BAD_REQUEST, "Message expired"),
    /// `created` is in the future, beyond clock skew; or an inbox query is not fresh.
    NotYetValid => ("not-yet-valid", StatusCode::BAD_REQUEST, "Message time out of range"),
    /// The proof is missing, malformed, not by the sender, or does not verify.
    BadProof => ("bad-proof", StatusCode::UNAUTHORIZED, "Bad proof"),
    /// The id was already used for another message.
    ReplayedId => ("replayed-id", StatusCode::CONFLICT, "Message id already used"),
    /// No consent with that id from this sender.
    NoConsent => ("no-consent", StatusCode::FORBIDDEN, "No consent"),
    /// The consent was revoked.
    ConsentRevoked => ("consent-revoked", StatusCode::FORBIDDEN, "Consent revoked"),
    /// The consent was not agreed (refused, or an alternative is pending).
    ConsentNotAgreed => ("consent-not-agreed", StatusCode::FORBIDDEN, "Consent not agreed"),
    /// The consent does not cover what the message carries or why it is sent.
    ConsentScope => ("consent-scope", StatusCode::FORBIDDEN, "Outside the consent"),
    /// A warranty claim or return cites a purchase this vendor cannot verify: not its
    /// signed order, or not sent to this person.
    UnverifiedPurchase => ("unverified-purchase", StatusCode::UNPROCESSABLE_ENTITY, "Purchase not verified"),
    /// The request took too long (a slow client, most likely).
    Timeout => ("timeout", StatusCode::REQUEST_TIMEOUT, "Request timed out"),
    /// No such resource.
    NotFound => ("not-found", StatusCode::NOT_FOUND, "Not found"),
    /// The method is not allowed on this resource.
    MethodNotAllowed => ("method-not-allowed", StatusCode::METHOD_NOT_ALLOWED, "Method not allowed"),
    /// The vendor's side failed; the message was not stored. Retry later.
    Unavailable => ("unavailable", StatusCode::SERVICE_UNAVAILABLE, "Temporarily unavailable"),
    /// The console needs a signed-in member of staff (or an API token).
    SignInRequired => ("not-signed-in", StatusCode::UNAUTHORIZED, "Sign in first"),
    /// The member of staff's role may not do this.
    Forbidden => ("forbidden", StatusCode::FORBIDDEN, "Not allowed for this role"),
    /// A change without the session's CSRF token.
    Csrf => ("csrf", StatusCode::FORBIDDEN, "Missing or wrong CSRF token"),
    /// A console request with a value that breaks a rule.
    InvalidRequest => ("invalid-request", StatusCode::UNPROCESSABLE_ENTITY, "Invalid request"),
}

/// One refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// What exactly, for a person.
    pub detail: String,
}

#[derive(Serialize)]
struct ProblemDocument<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
}

impl Problem {
    /// A problem of `kind` with `detail`.
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self { kind, detail: detail.into() }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let doc = ProblemDocument {
            kind: self.kind.type_uri(),
            title: self.kind.title(),
            status: self.kind.status().as_u16(),
            detail: &self.detail,
        };
        let body = serde_json::to_string(&doc).unwrap_or_default();
        let mut response =
            (self.kind.status(), [(header::CONTENT_TYPE, "application/problem+json")], body).into_response();
        response.extensions_mut().insert(crate::metrics::Refusal(self.kind.slug()));
        response
    }
}

impl From<VerifyError> for Problem {
    fn from(e: VerifyError) -> Self {
        let kind = match &e {
            VerifyError::TooLarge { .. } => ProblemKind::TooLarge,
            VerifyError::Malformed(_) => ProblemKind::MalformedJson,
            VerifyError::UnknownType(_) => ProblemKind::UnknownType,
            VerifyError::Invalid(_) => ProblemKind::InvalidMessage,
            VerifyError::WrongRecipient { .. } => ProblemKind::WrongRecipient,
            VerifyError::Expired(_) => ProblemKind::Expired,
            VerifyError::NotYetValid(_) => ProblemKind::NotYetValid,
            VerifyError::BadProof(_) => ProblemKind::BadProof,
            _ => ProblemKind::InvalidMessage,
        };
        Self::new(kind, e.to_string())
    }
}

impl From<ConsentRefusal> for Problem {
    fn from(r: ConsentRefusal) -> Self {
        match r {
            ConsentRefusal::Missing(id) => {
                Self::new(ProblemKind::NoConsent, format!("no consent {id} from this sender"))
            }
            ConsentRefusal::Revoked(id) => {
                Self::new(ProblemKind::ConsentRevoked, format!("consent {id} was revoked"))
            }
            ConsentRefusal::NotAgreed(id, state) => {
                Self::new(ProblemKind::ConsentNotAgreed, format!("consent {id} is {state}, not agreed"))
            }
            ConsentRefusal::Category(id, c) => {
                Self::new(ProblemKind::ConsentScope, format!("consent {id} does not cover the category {c}"))
            }
            ConsentRefusal::Purpose(id, p) => Self::new(
                ProblemKind::ConsentScope,
                format!(
                    "consent {id} is for the purpose {}, which does not cover this message type",
                    p.as_str()
                ),
            ),
        }
    }
}

impl From<crate::error::Error> for Problem {
    fn from(e: crate::error::Error) -> Self {
        match e {
            crate::error::Error::Invalid(detail) => Self::new(ProblemKind::InvalidRequest, detail),
            crate::error::Error::NotFound { kind, id } => {
                Self::new(ProblemKind::NotFound, format!("no {kind} {id}"))
            }
            e => {
                // Logged for the operator; the client learns only that it may retry.
                tracing::error!(error = %e, "store failure");
                Self::new(
                    ProblemKind::Unavailable,
                    "the vendor's store did not answer: nothing was stored or changed; try again later",
                )
            }
        }
    }
}
