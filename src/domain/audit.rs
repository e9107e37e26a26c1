//! Audit events (hendelseslogg): who changed what, when, from which value to which.

use serde::Serialize;

/// A change about to be recorded; the store adds the time and writes it in the same
/// transaction as the change itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAuditEvent {
    pub actor: String,
    /// A stable code, e.g. `round.created`, `application.allocation_set`.
    pub action: &'static str,
    pub round_id: Option<i64>,
    pub application_id: Option<i64>,
    pub field: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    /// A Norwegian sentence saying what happened.
    pub summary: String,
}

impl NewAuditEvent {
    pub fn new(actor: &str, action: &'static str, summary: impl Into<String>) -> Self {
        NewAuditEvent {
            actor: actor.to_string(),
            action,
            round_id: None,
            application_id: None,
            field: None,
            old_value: None,
            new_value: None,
            summary: summary.into(),
        }
    }

    pub fn round(mut self, id: i64) -> Self {
        self.round_id = Some(id);
        self
    }

    pub fn application(mut self, id: i64) -> Self {
        self.application_id = Some(id);
        self
    }

    pub fn change(
        mut self,
        field: &str,
        old: Option<impl ToString>,
        new: Option<impl ToString>,
    ) -> Self {
        self.field = Some(field.to_string());
        self.old_value = old.map(|v| v.to_string());
        self.new_value = new.map(|v| v.to_string());
        self
    }
}

/// Norwegian label for an action code, for the log page.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "round.created" => "Runde opprettet",
        "round.updated" => "Runde endret",
        "application.created" => "Søknad registrert",
        "application.allocation_set" => "Tildeling endret",
        "organisation.created" => "Søker opprettet",
        "sample.loaded" => "Eksempeldata lastet",
        _ => "Endring",
    }
}
