//! The vendor's answer to a proffered agreement (IEEE 7012 "MyTerms" style): accept it
//! as proffered, answer with the one alternative the vendor prefers, or decline.

use parley_protocol::{AgreementId, Decision, Purpose};

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
