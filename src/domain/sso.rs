//! Who a person coming back from single sign-on is. Accounts are made by an admin; the
//! provider only vouches for who is at the keyboard. The first login binds the provider's
//! subject (its stable id for the person) to the account the admin made for that e-mail
//! address or national identity number; later logins go by the subject alone, so a changed
//! e-mail address at the provider does not move the person to another account.

use std::fmt;

/// How a provider's person is found among the accounts at their first login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// The `email` claim against the account's e-mail address (Entra ID, most providers).
    Email,
    /// The `pid` claim (fødselsnummer or d-nummer) against the number the admin entered
    /// (ID-porten, Ansattporten).
    NationalId,
}

impl Matching {
    pub fn parse(text: &str) -> Option<Matching> {
        match text.trim() {
            "email" | "e-post" => Some(Matching::Email),
            "pid" | "national_id" => Some(Matching::NationalId),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Matching::Email => "email",
            Matching::NationalId => "pid",
        }
    }
}

/// What the accounts say about a returning person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// An account is bound to this provider's subject.
    Bound { user_id: i64, active: bool },
    /// No account is bound to the subject, but one has the person's e-mail address or
    /// number; it may already be bound to another subject of the same provider.
    Candidate {
        user_id: i64,
        active: bool,
        bound_subject: Option<String>,
    },
    /// Nobody.
    Nobody,
}

/// Who logs in, and whether the subject is to be bound to the account now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub user_id: i64,
    pub bind: bool,
}

/// Why a returning person gets no session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoRefusal {
    /// No account for this person: an admin must make one first.
    Unknown {
        provider: String,
        matching: Matching,
    },
    /// The account is deactivated.
    Deactivated,
    /// The account with this e-mail or number is bound to another person at the provider.
    BoundToAnother { provider: String },
    /// The provider said nothing to match by (no `email` or `pid` claim).
    NothingToMatch {
        provider: String,
        matching: Matching,
    },
}

impl fmt::Display for SsoRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SsoRefusal::Unknown { provider, matching } => write!(
                f,
                "Du er logget inn hos {provider}, men har ingen bruker i tilskuddsløsningen{}. \
                 Be en administrator hos Statsforvalteren om å opprette en bruker til deg.",
                match matching {
                    Matching::Email => " med denne e-postadressen",
                    Matching::NationalId => " knyttet til fødselsnummeret ditt",
                }
            ),
            SsoRefusal::Deactivated => f.write_str(
                "Brukeren din er deaktivert. Kontakt en administrator hos Statsforvalteren.",
            ),
            SsoRefusal::BoundToAnother { provider } => write!(
                f,
                "Brukeren med denne identiteten er allerede knyttet til en annen person hos \
                 {provider}. Kontakt en administrator hos Statsforvalteren."
            ),
            SsoRefusal::NothingToMatch { provider, matching } => write!(
                f,
                "{provider} oppga ikke {} ved innloggingen, så vi kan ikke finne brukeren din. \
                 Kontakt en administrator hos Statsforvalteren.",
                match matching {
                    Matching::Email => "e-postadressen din",
                    Matching::NationalId => "fødselsnummeret ditt",
                }
            ),
        }
    }
}

/// The rule: a bound subject decides; otherwise the admin's account for the person, if it
/// is not bound to someone else; a deactivated account never logs in.
pub fn resolve(
    found: Found,
    subject: &str,
    provider: &str,
    matching: Matching,
) -> Result<Resolved, SsoRefusal> {
    match found {
        Found::Bound { active: false, .. } | Found::Candidate { active: false, .. } => {
            Err(SsoRefusal::Deactivated)
        }
        Found::Bound { user_id, .. } => Ok(Resolved {
            user_id,
            bind: false,
        }),
        Found::Candidate {
            bound_subject: Some(other),
            ..
        } if other != subject => Err(SsoRefusal::BoundToAnother {
            provider: provider.to_string(),
        }),
        Found::Candidate {
            user_id,
            bound_subject,
            ..
        } => Ok(Resolved {
            user_id,
            bind: bound_subject.is_none(),
        }),
        Found::Nobody => Err(SsoRefusal::Unknown {
            provider: provider.to_string(),
            matching,
        }),
    }
}

/// A national identity number as the admin types it or ID-porten sends it: 11 digits
/// (spaces allowed when typed), with valid control digits (fødselsnummer, d-nummer and
/// the synthetic numbers of test users alike use the same two control digits).
pub fn parse_national_id(text: &str) -> Result<String, &'static str> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 11 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("Fødselsnummeret må ha 11 sifre.");
    }
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    let control = |weights: &[u32]| {
        let sum: u32 = weights.iter().zip(&d).map(|(w, x)| w * x).sum();
        match 11 - sum % 11 {
            11 => Some(0),
            10 => None,
            k => Some(k),
        }
    };
    let k1 = control(&[3, 7, 6, 1, 8, 9, 4, 5, 2]);
    let k2 = control(&[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]);
    if k1 != Some(d[9]) || k2 != Some(d[10]) {
        return Err("Fødselsnummeret har feil kontrollsiffer.");
    }
    Ok(digits)
}

/// The stored form of a national identity number: only this hash is kept, to match
/// ID-porten's `pid` claim against.
pub fn national_id_hash(national_id: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("tilskudd-pid:{national_id}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "ID-porten";

    #[test]
    fn a_bound_subject_decides() {
        let found = Found::Bound {
            user_id: 7,
            active: true,
        };
        assert_eq!(
            resolve(found, "s", P, Matching::Email),
            Ok(Resolved {
                user_id: 7,
                bind: false
            })
        );
    }

    #[test]
    fn the_first_login_binds_the_admins_account() {
        let found = Found::Candidate {
            user_id: 3,
            active: true,
            bound_subject: None,
        };
        assert_eq!(
            resolve(found, "s", P, Matching::NationalId),
            Ok(Resolved {
                user_id: 3,
                bind: true
            })
        );
    }

    #[test]
    fn an_account_bound_to_another_subject_is_refused() {
        let found = Found::Candidate {
            user_id: 3,
            active: true,
            bound_subject: Some("other".into()),
        };
        assert!(matches!(
            resolve(found, "s", P, Matching::Email),
            Err(SsoRefusal::BoundToAnother { .. })
        ));
    }

    #[test]
    fn nobody_and_deactivated_are_refused() {
        assert!(matches!(
            resolve(Found::Nobody, "s", P, Matching::Email),
            Err(SsoRefusal::Unknown { .. })
        ));
        for found in [
            Found::Bound {
                user_id: 1,
                active: false,
            },
            Found::Candidate {
                user_id: 1,
                active: false,
                bound_subject: None,
            },
        ] {
            assert_eq!(
                resolve(found, "s", P, Matching::Email),
                Err(SsoRefusal::Deactivated)
            );
        }
    }

    #[test]
    fn national_ids_have_valid_control_digits() {
        // Synthetic numbers of the kind test identity providers use.
        assert_eq!(
            parse_national_id("010190 12345").map(|_| ()),
            Err("Fødselsnummeret har feil kontrollsiffer.")
        );
        assert!(parse_national_id("0101901234").is_err());
        assert!(parse_national_id("01019012345a").is_err());
        let valid = valid_example();
        assert_eq!(parse_national_id(&valid), Ok(valid.clone()));
    }

    /// A number with correct control digits, made by the same rule.
    fn valid_example() -> String {
        for tail in 100..999u32 {
            let candidate = format!("010190{tail:03}00");
            let base: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
            let k = |w: &[u32], d: &[u32]| {
                let s: u32 = w.iter().zip(d).map(|(a, b)| a * b).sum();
                match 11 - s % 11 {
                    11 => Some(0),
                    10 => None,
                    k => Some(k),
                }
            };
            let Some(k1) = k(&[3, 7, 6, 1, 8, 9, 4, 5, 2], &base[..9]) else {
                continue;
            };
            let mut with_k1 = base[..9].to_vec();
            with_k1.push(k1);
            let Some(k2) = k(&[5, 4, 3, 2, 7, 6, 5, 4, 3, 2], &with_k1) else {
                continue;
            };
            return format!("{}{k1}{k2}", &candidate[..9]);
        }
        unreachable!("some number has valid control digits")
    }
}
