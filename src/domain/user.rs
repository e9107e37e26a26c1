//! Users, roles and what each role may do.

use super::refusal::Refusal;
use serde::{Deserialize, Serialize};

use super::validation::{FieldErrors, optional_text, required_text};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Users, organisations and the register.
    Admin,
    /// Rounds, applications and allocation.
    Saksbehandler,
    /// Approves decisions (four eyes); may also be saksbehandler.
    Godkjenner,
    /// Bound to one organisation (a municipality or an IKS): its own applications only.
    Kommune,
    /// Reads everything an officer reads, changes nothing.
    Lesetilgang,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Saksbehandler,
        Role::Godkjenner,
        Role::Kommune,
        Role::Lesetilgang,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Saksbehandler => "saksbehandler",
            Role::Godkjenner => "godkjenner",
            Role::Kommune => "kommune",
            Role::Lesetilgang => "lesetilgang",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Saksbehandler => "Saksbehandler",
            Role::Godkjenner => "Godkjenner",
            Role::Kommune => "Kommune (søker)",
            Role::Lesetilgang => "Lesetilgang",
        }
    }
}

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// The organisation of a `kommune` user.
    pub organisation_id: Option<i64>,
    /// A new user with a one-time password must choose their own before anything else.
    pub must_change_password: bool,
}

/// Roles that see every round and application (officers and readers).
pub const OFFICE_ROLES: &[Role] = &[
    Role::Admin,
    Role::Saksbehandler,
    Role::Godkjenner,
    Role::Lesetilgang,
];

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }

    /// Sees every round and application; otherwise only its own organisation's.
    pub fn sees_everything(&self) -> bool {
        self.has_any(OFFICE_ROLES)
    }

    /// The organisation whose cases this user is limited to, if any.
    pub fn limited_to_organisation(&self) -> Option<i64> {
        if self.sees_everything() {
            None
        } else {
            // A kommune user without an organisation sees nothing: -1 matches no row.
            Some(self.organisation_id.unwrap_or(-1))
        }
    }

    pub fn may_see_organisation(&self, organisation_id: i64) -> bool {
        self.limited_to_organisation()
            .is_none_or(|own| own == organisation_id)
    }

    pub fn role_labels(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Principal {
    /// Officers' work that needs the saksbehandler role: `what` completes «Bare
    /// saksbehandlere kan …».
    pub fn check_saksbehandler(&self, what: &'static str) -> Result<(), Refusal> {
        if self.has(Role::Saksbehandler) {
            Ok(())
        } else {
            Err(Refusal::OfficersOnly { what })
        }
    }
}

/// A username or e-mail address belongs to one user.
pub fn check_login_free(username: &str, taken: bool) -> Result<(), Refusal> {
    if taken {
        Err(Refusal::LoginTaken {
            username: username.to_string(),
        })
    } else {
        Ok(())
    }
}

/// An administrator may deactivate anyone but themselves (so that someone can always
/// administer).
pub fn check_activation(
    actor_user_id: Option<i64>,
    target: i64,
    active: bool,
) -> Result<(), Refusal> {
    if !active && actor_user_id == Some(target) {
        Err(Refusal::OwnDeactivation)
    } else {
        Ok(())
    }
}

/// Passwords of 12 characters or more that guessers try first (compared in lower case).
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "qwertyuiop12",
    "qwertyuiopå1",
    "passord12345",
    "passord123456",
    "password1234",
    "password12345",
    "passw0rd1234",
    "sommer2024!!",
    "sommer2025!!",
    "sommer2026!!",
    "vinter2025!!",
    "vinter2026!!",
    "høst2026!!!!",
    "velkommen123",
    "velkommen1234",
    "trondheim123",
    "trondheim1234",
    "norge1234567",
    "abcdefghijkl",
    "abc123abc123",
    "iloveyou1234",
    "administrator",
    "statsforvalteren",
    "tilskudd1234",
];

/// Passwords: long enough to resist guessing, not common, not the username.
pub fn check_new_password(username: &str, password: &str) -> Result<(), String> {
    const MIN: usize = 12;
    if password.chars().count() < MIN {
        return Err(format!("Passordet må ha minst {MIN} tegn."));
    }
    let folded = password.trim().to_lowercase();
    let one_character = folded.chars().all(|c| folded.starts_with(c));
    if one_character || COMMON_PASSWORDS.contains(&folded.as_str()) {
        return Err(
            "Passordet er for vanlig og lett å gjette. Velg et annet, gjerne flere ord.".into(),
        );
    }
    if password.chars().count() > 256 {
        return Err("Passordet kan ha høyst 256 tegn.".into());
    }
    if password.trim().eq_ignore_ascii_case(username.trim()) {
        return Err("Passordet kan ikke være det samme som brukernavnet.".into());
    }
    Ok(())
}

/// What an admin typed into the user form or sent in the API body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UserInput {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// Required for the `kommune` role: an organisation id, a kommunenummer or a name.
    #[serde(default)]
    pub organisation: Option<String>,
    /// Fødselsnummer or d-nummer, for a first login through ID-porten (`--oidc-match
    /// pid`). Only its hash is kept; left out or empty on a change keeps the one stored.
    #[serde(default)]
    pub national_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFields {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    pub organisation: Option<String>,
    /// The hash of the national identity number given (see [`super::sso::national_id_hash`]).
    pub national_id_hash: Option<String>,
}

impl UserInput {
    pub fn validate(&self) -> Result<UserFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let username =
            required_text(&mut errors, "username", "Brukernavn", &self.username, 64).to_lowercase();
        if !username.is_empty()
            && (username.chars().count() < 3
                || !username
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c)))
        {
            errors.add(
                "username",
                "Brukernavn må ha 3–64 tegn: små bokstaver a–z, tall, punktum, bindestrek, understrek eller @.",
            );
        }
        let display_name = optional_text(
            &mut errors,
            "display_name",
            "Navn",
            self.display_name.as_deref(),
            200,
        )
        .unwrap_or_else(|| username.clone());
        let email = optional_text(&mut errors, "email", "E-post", self.email.as_deref(), 200);
        if let Some(email) = &email
            && !super::validation::looks_like_email(email)
        {
            errors.add("email", format!("«{email}» er ikke en e-postadresse."));
        }
        let mut roles = Vec::new();
        for text in &self.roles {
            match Role::parse(text) {
                Some(r) if !roles.contains(&r) => roles.push(r),
                Some(_) => {}
                None => errors.add(
                    "roles",
                    format!(
                        "«{text}» er ikke en rolle. Gyldige roller: {}.",
                        Role::ALL.map(Role::as_str).join(", ")
                    ),
                ),
            }
        }
        roles.sort();
        if roles.is_empty() && errors.for_field("roles").is_none() {
            errors.add("roles", "Velg minst én rolle.");
        }
        let organisation = optional_text(
            &mut errors,
            "organisation",
            "Organisasjon",
            self.organisation.as_deref(),
            200,
        );
        if roles.contains(&Role::Kommune) && organisation.is_none() {
            errors.add(
                "organisation",
                "En kommunebruker må høre til en organisasjon (kommune eller IKS).",
            );
        }
        if roles.contains(&Role::Kommune) && roles.len() > 1 {
            errors.add(
                "roles",
                "Rollen kommune kan ikke kombineres med andre roller.",
            );
        }
        let national_id_hash = match self.national_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => match super::sso::parse_national_id(text) {
                Ok(number) => Some(super::sso::national_id_hash(&number)),
                Err(message) => {
                    errors.add("national_id", message);
                    None
                }
            },
        };
        errors.into_result(|| UserFields {
            username,
            display_name,
            email,
            roles,
            organisation,
            national_id_hash,
        })
    }
}

/// How many failed logins, within [`THROTTLE_WINDOW_MINUTES`], lock a username or an address.
pub const MAX_FAILURES_PER_USERNAME: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// Whether a login attempt must be refused before the password is even checked.
pub fn login_throttled(failures_for_username: i64, failures_for_address: i64) -> bool {
    failures_for_username >= MAX_FAILURES_PER_USERNAME
        || failures_for_address >= MAX_FAILURES_PER_ADDRESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(roles: &[Role], org: Option<i64>) -> Principal {
        Principal {
            user_id: 1,
            username: "x".into(),
            display_name: "X".into(),
            roles: roles.to_vec(),
            organisation_id: org,
            must_change_password: false,
        }
    }

    #[test]
    fn kommune_users_see_only_their_organisation() {
        let k = principal(&[Role::Kommune], Some(7));
        assert!(k.may_see_organisation(7));
        assert!(!k.may_see_organisation(8));
        let orphan = principal(&[Role::Kommune], None);
        assert!(!orphan.may_see_organisation(7));
        let officer = principal(&[Role::Saksbehandler], None);
        assert!(officer.may_see_organisation(8));
    }

    #[test]
    fn user_input_rules() {
        let ok = UserInput {
            username: "Kari.Nordmann".into(),
            roles: vec!["saksbehandler".into(), "godkjenner".into()],
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(ok.username, "kari.nordmann");
        assert_eq!(ok.roles, vec![Role::Saksbehandler, Role::Godkjenner]);
        let errors = UserInput {
            username: "k".into(),
            roles: vec!["kommune".into(), "sjef".into()],
            email: Some("nei".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        for field in ["username", "roles", "email", "organisation"] {
            assert!(errors.for_field(field).is_some(), "{field}");
        }
    }

    #[test]
    fn password_policy() {
        assert!(check_new_password("kari", "kort").is_err());
        assert!(check_new_password("kari.nordmann", "kari.nordmann").is_err());
        assert!(check_new_password("kari", "et langt og godt passord").is_ok());
    }

    #[test]
    fn throttling_thresholds() {
        assert!(!login_throttled(4, 0));
        assert!(login_throttled(5, 0));
        assert!(login_throttled(0, 20));
    }
}
