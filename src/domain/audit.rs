//! Audit events (hendelseslogg): who changed what, when, from which value to which.

use serde::Serialize;

/// Who does something: a logged-in user, or the system itself (sample data, CLI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn user(user_id: i64, username: &str) -> Self {
        Actor {
            user_id: Some(user_id),
            name: username.to_string(),
        }
    }

    pub fn system(what: &str) -> Self {
        Actor {
            user_id: None,
            name: what.to_string(),
        }
    }
}

impl From<&super::user::Principal> for Actor {
    fn from(p: &super::user::Principal) -> Self {
        Actor::user(p.user_id, &p.username)
    }
}

/// A change about to be recorded; the store adds the time and writes it in the same
/// transaction as the change itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct NewAuditEvent {
    pub actor: Actor,
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
    pub fn new(actor: &Actor, action: &'static str, summary: impl Into<String>) -> Self {
        NewAuditEvent {
            actor: actor.clone(),
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
        "application.proposal_set" => "Forslag til beløp endret",
        "application.withdrawn" => "Søknad trukket",
        "round.opened" => "Runde kunngjort",
        "round.closed" => "Runde lukket for søknader",
        "round.reopened" => "Runde åpnet igjen",
        "round.decided_historical" => "Runde registrert som vedtatt (publisert vedtak)",
        "assessment.conflict_lifted" => "Inhabilitet opphevet",
        "statistics.imported" => "Statistikk importert",
        "statistics.changed" => "Statistikktall erstattet ved import",
        "organisation.created" => "Søker opprettet",
        "sample.loaded" => "Eksempeldata lastet",
        "application.updated" => "Søknad endret",
        "application.submitted" => "Søknad sendt inn",
        "application.status_changed" => "Status endret",
        "user.created" => "Bruker opprettet",
        "user.updated" => "Bruker endret",
        "user.deactivated" => "Bruker deaktivert",
        "user.activated" => "Bruker aktivert",
        "user.password_changed" => "Passord endret",
        "login.succeeded" => "Innlogging",
        "login.failed" => "Mislykket innlogging",
        "login.throttled" => "Innlogging sperret",
        "logout" => "Utlogging",
        "token.created" => "API-nøkkel opprettet",
        "token.revoked" => "API-nøkkel trukket tilbake",
        "scenario.created" => "Fordelingsalternativ beregnet",
        "scenario.recomputed" => "Fordelingsalternativ beregnet på nytt",
        "scenario.deleted" => "Fordelingsalternativ slettet",
        "statistics.snapshot_created" => "Øyeblikksbilde av statistikken lagret",
        "decision.proposed" => "Vedtak foreslått",
        "decision.approved" => "Vedtak godkjent",
        "decision.returned" => "Vedtak sendt tilbake",
        "decision.refused_conflict" => "Avvist: inhabil",
        "assessment.criterion_added" => "Vurderingskriterium lagt til",
        "assessment.criterion_updated" => "Vurderingskriterium endret",
        "assessment.criterion_deleted" => "Vurderingskriterium slettet",
        "assessment.impartiality_declared" => "Habilitet erklært",
        "assessment.saved" => "Vurdering lagret",
        _ => "Endring",
    }
}
