//! The vendor's consent rules, in one place: its answer to a proffered agreement (IEEE
//! 7012 "MyTerms" style: accept it as proffered, answer with the one alternative the
//! vendor prefers, or decline), and whether a stored consent covers a message. The
//! store applies them inside its transactions; [`crate::problem`] words the refusals.

use parley_protocol::{AgreementId, Category, Decision, Purpose};

use crate::store::ConsentRow;

/// Decides on `proffered` for `purpose`, given the agreements the vendor accepts in
/// order of preference.
pub fn decide(
    accepted: &[AgreementId],
    proffered: AgreementId,
    purpose: Purpose,
) -> (Decision, Option<AgreementId>) {
    if accepted.contains(&proffered) && proffered.fits(purpose) {
        return (Decision::Accepted, Some(proffered));
    }
    match accepted.iter().find(|a| a.fits(purpose)) {
        Some(alternative) => (Decision::Alternative, Some(*alternative)),
        None => (Decision::Refused, None),
    }
}

/// What the consent a message relies on must allow.
#[derive(Debug, Clone)]
pub struct ConsentNeed {
    /// The consent the message names.
    pub consent_id: String,
    /// The data categories it carries.
    pub categories: Vec<Category>,
    /// The purposes under which its type may be sent.
    pub purposes: &'static [Purpose],
}

/// Why a consent does not cover a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentRefusal {
    /// No consent with that id from this sender.
    Missing(String),
    /// The person revoked it.
    Revoked(String),
    /// It was refused, or an alternative was offered and not taken.
    NotAgreed(String, String),
    /// It does not name a category the message carries.
    Category(String, Category),
    /// Its purpose does not fit the message type.
    Purpose(String, Purpose),
}

/// Why `consent` does not cover a message from `sender` needing `need`, if it does not.
pub(crate) fn consent_refusal(
    consent: Option<&ConsentRow>,
    sender: &str,
    need: &ConsentNeed,
) -> Option<ConsentRefusal> {
    // Another person's consent is, to this sender, no consent at all.
    let Some(consent) = consent.filter(|c| c.person == sender) else {
        return Some(ConsentRefusal::Missing(need.consent_id.clone()));
    };
    match consent.state.as_str() {
        "revoked" => Some(ConsentRefusal::Revoked(consent.id.clone())),
        "agreed" => {
            if let Some(c) = need.categories.iter().find(|c| !consent.categories.contains(c)) {
                Some(ConsentRefusal::Category(consent.id.clone(), *c))
            } else if !need.purposes.contains(&consent.purpose) {
                Some(ConsentRefusal::Purpose(consent.id.clone(), consent.purpose))
            } else {
                None
            }
        }
        other => Some(ConsentRefusal::NotAgreed(consent.id.clone(), other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AgreementId::*;

    #[test]
    fn accepts_offers_one_alternative_or_refuses() {
        let baseline = [SdBase, SdBaseDp];
        assert_eq!(decide(&baseline, SdBaseDp, Purpose::Service), (Decision::Accepted, Some(SdBaseDp)));
        assert_eq!(decide(&baseline, PdcAi, Purpose::Improvement), (Decision::Alternative, Some(SdBase)));
        assert_eq!(
            decide(&baseline, PdcIntent, Purpose::Quote),
            (Decision::Refused, None),
            "no baseline fits quotes"
        );
        assert_eq!(
            decide(&[PdcIntent, SdBase], PdcIntent, Purpose::Quote),
            (Decision::Accepted, Some(PdcIntent))
        );
        // An agreement that does not fit the purpose is not accepted even when listed.
        assert_eq!(
            decide(&[SdBase, PdcIntent], SdBase, Purpose::Quote),
            (Decision::Alternative, Some(PdcIntent))
        );
    }
}
