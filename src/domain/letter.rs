//! Grant and rejection letters (tilskuddsbrev, avslagsbrev): a per-round text with fields,
//! filled in for each application. Issuing a letter freezes the filled-in [`Letter`];
//! a later change of the round's text does not touch it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::date::format_date;
use super::followup::{APPEAL_WEEKS, FollowupTerms};
use super::money::Kroner;
use super::validation::FieldErrors;
use super::words::kroner_in_words;

/// A letter ready to print: every text already filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Letter {
    /// Document title (PDF metadata and the page heading), e.g. "Tilskuddsbrev".
    pub title: String,
    /// Sender lines of the letterhead: "Statsforvalteren i Trøndelag", address lines.
    pub sender: Vec<String>,
    /// Recipient address block lines: "Frosta kommune", "Att.: Kari Nordmann", …
    pub recipient: Vec<String>,
    pub date: NaiveDate,
    /// Our reference, e.g. "2019/1234 – søknad 36".
    pub reference: String,
    /// The subject line (bold).
    pub subject: String,
    pub body: Vec<LetterBlock>,
    /// Closing and signature lines: "Med hilsen", "", "Kari Saksbehandler".
    pub signature: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "content", rename_all = "snake_case")]
pub enum LetterBlock {
    /// A section heading (bold).
    Heading(String),
    /// A paragraph; may contain '\n' for hard line breaks.
    Paragraph(String),
    /// A two-column list of facts: ("Tilskudd", "350 000 kr").
    Facts(Vec<(String, String)>),
}

impl Letter {
    /// Every text of the letter in reading order, for search and tests.
    pub fn plain_text(&self) -> String {
        let mut out = Vec::new();
        out.extend(self.sender.iter().cloned());
        out.extend(self.recipient.iter().cloned());
        out.push(format_date(self.date));
        out.push(self.reference.clone());
        out.push(self.subject.clone());
        for block in &self.body {
            match block {
                LetterBlock::Heading(t) | LetterBlock::Paragraph(t) => out.push(t.clone()),
                LetterBlock::Facts(facts) => {
                    out.extend(facts.iter().map(|(k, v)| format!("{k}: {v}")))
                }
            }
        }
        out.extend(self.signature.iter().cloned());
        out.join("\n")
    }
}

/// A grant (the amount is above zero) or a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LetterKind {
    Grant,
    Rejection,
}

impl LetterKind {
    pub fn for_amount(granted: Kroner) -> Self {
        if granted.is_zero() {
            LetterKind::Rejection
        } else {
            LetterKind::Grant
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LetterKind::Grant => "grant",
            LetterKind::Rejection => "rejection",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [LetterKind::Grant, LetterKind::Rejection]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            LetterKind::Grant => "Tilskuddsbrev",
            LetterKind::Rejection => "Avslagsbrev",
        }
    }

    pub fn default_template(self) -> &'static str {
        match self {
            LetterKind::Grant => DEFAULT_GRANT_TEMPLATE,
            LetterKind::Rejection => DEFAULT_REJECTION_TEMPLATE,
        }
    }
}

/// The grant letter's default text. `## ` starts a heading, a blank line a new paragraph,
/// `{fakta}` alone on a line the table of key facts; a paragraph whose fields are all
/// empty is left out (the appeal paragraph where the round allows no appeal).
pub const DEFAULT_GRANT_TEMPLATE: &str = "\
Vi viser til søknaden fra {mottaker} om tilskudd fra ordningen «{ordning}» ({runde}). \
Statsforvalteren har behandlet søknaden, og {mottaker} får et tilskudd på {beløp} ({beløp_i_ord}).

{fakta}

## Formål
Tilskuddet skal brukes til {formål}.

{merknad}

## Vilkår
{vilkår}

Tilskuddet må aksepteres innen {aksept_frist}. Dersom tilskuddet ikke aksepteres innen fristen, kan vedtaket bli trukket tilbake.

## Utbetaling
{utbetalingsplan}.

## Rapportering
Mottakeren skal sende sluttrapport med prosjektregnskap innen {rapportfrist}. Regnskapet skal bekreftes av regnskapsfører, og av revisor når tilskuddet er {revisorgrense} eller mer. \
Mottakeren får en påminnelse 60 dager før fristen.

## Kontroll
{kontroll}

## Tilbakebetaling
{tilbakebetaling}

## Klagerett
{klageadgang}";

/// The rejection letter's default text.
pub const DEFAULT_REJECTION_TEMPLATE: &str = "\
Vi viser til søknaden fra {mottaker} om tilskudd fra ordningen «{ordning}» ({runde}). \
Statsforvalteren har behandlet søknaden og har kommet til at den ikke kan innvilges.

## Begrunnelse
{begrunnelse}

{merknad}

## Klagerett
{klageadgang}";

/// The fields a letter text may use, with what each is.
pub const FIELDS: [(&str, &str); 20] = [
    ("mottaker", "søkerens navn"),
    ("kontaktperson", "kontaktperson i søknaden"),
    ("ordning", "tilskuddsordningen"),
    ("runde", "rundens navn"),
    ("år", "rundens år"),
    ("prosjekt", "prosjektets tittel"),
    ("beløp", "tilskuddet i tall"),
    ("beløp_i_ord", "tilskuddet i ord"),
    ("søkt_beløp", "beløpet det ble søkt om"),
    ("formål", "formålet (fra oppfølgingsvilkårene)"),
    ("vilkår", "vilkårene (fra oppfølgingsvilkårene)"),
    ("utbetalingsplan", "utbetalingsplanen"),
    ("aksept_frist", "fristen for å akseptere"),
    ("rapportfrist", "fristen for sluttrapport"),
    (
        "revisorgrense",
        "beløpet fra og med som revisor må bekrefte",
    ),
    ("begrunnelse", "begrunnelsen for avslaget"),
    ("merknad", "saksbehandlerens merknad til denne mottakeren"),
    (
        "kontroll",
        "statens kontrollrett (bevilgningsreglementet § 10, riksrevisjonsloven § 12)",
    ),
    (
        "tilbakebetaling",
        "avkorting og tilbakebetaling ved mislighold eller ubrukte midler",
    ),
    (
        "klageadgang",
        "klageretten og klagefristen (tom når runden ikke gir klagerett)",
    ),
];

/// Besides [`FIELDS`]: the key-facts table, alone on its line.
const FACTS_FIELD: &str = "fakta";

/// The state's right of control, as the law gives it.
pub const CONTROL_TEXT: &str = "Statsforvalteren kan kontrollere at tilskuddet brukes etter forutsetningene, \
jf. bevilgningsreglementet § 10 annet ledd, og Riksrevisjonen kan gjøre det samme, jf. riksrevisjonsloven § 12 tredje ledd. \
Mottakeren skal legge fram den dokumentasjonen som trengs for kontrollen.";

pub const REPAYMENT_TEXT: &str = "Dersom tilskuddet ikke brukes etter formålet eller vilkårene, eller mottakeren gir uriktige opplysninger, \
kan tilskuddet bli avkortet eller kreves tilbakebetalt. Midler som ikke er brukt, skal betales tilbake; \
Statsforvalteren sender krav med betalingsfrist når sluttrapporten er godkjent.";

/// Everything a letter is filled in from.
#[derive(Debug, Clone)]
pub struct LetterFacts<'a> {
    pub kind: LetterKind,
    pub sender: Vec<String>,
    pub applicant: &'a str,
    pub contact_person: Option<&'a str>,
    pub scheme: &'a str,
    pub round: &'a str,
    pub year: i32,
    pub project_title: Option<&'a str>,
    pub granted: Kroner,
    pub requested: Option<Kroner>,
    /// Why the application was rejected (the officer's reason, if any).
    pub reason: Option<&'a str>,
    /// The officer's note for this recipient.
    pub note: Option<&'a str>,
    pub terms: &'a FollowupTerms,
    pub date: NaiveDate,
    pub reference: String,
    pub signed_by: &'a str,
}

impl LetterFacts<'_> {
    fn value(&self, field: &str) -> Option<String> {
        let or_dash = |d: Option<NaiveDate>, missing: &str| {
            d.map_or_else(|| missing.to_string(), format_date)
        };
        Some(match field {
            "mottaker" => self.applicant.to_string(),
            "kontaktperson" => self.contact_person.unwrap_or_default().to_string(),
            "ordning" => self.scheme.to_string(),
            "runde" => self.round.to_string(),
            "år" => self.year.to_string(),
            "prosjekt" => self.project_title.unwrap_or("prosjektet").to_string(),
            "beløp" => self.granted.to_string(),
            "beløp_i_ord" => kroner_in_words(self.granted.ore()),
            "søkt_beløp" => self
                .requested
                .map_or_else(|| "ikke oppgitt".to_string(), |r| r.to_string()),
            "formål" => self
                .terms
                .purpose
                .clone()
                .unwrap_or_else(|| "tiltaket som er beskrevet i søknaden".to_string()),
            "vilkår" => self.terms.conditions.clone().unwrap_or_else(|| {
                "Tilskuddet skal brukes i samsvar med søknaden og dette brevet.".to_string()
            }),
            "utbetalingsplan" => self.terms.payment_plan.label().to_string(),
            "aksept_frist" => or_dash(
                self.terms.acceptance_deadline,
                "fristen Statsforvalteren setter",
            ),
            "rapportfrist" => or_dash(
                self.terms.report_deadline,
                "fristen Statsforvalteren setter",
            ),
            "revisorgrense" => self.terms.auditor_threshold.to_string(),
            "begrunnelse" => self.reason.map(str::to_string).unwrap_or_else(|| {
                "Søknaden nådde ikke opp i prioriteringen innenfor den rammen som var til fordeling.".to_string()
            }),
            "merknad" => self.note.unwrap_or_default().to_string(),
            "kontroll" => CONTROL_TEXT.to_string(),
            "tilbakebetaling" => REPAYMENT_TEXT.to_string(),
            "klageadgang" => {
                if self.terms.appeal_allowed {
                    format!(
                        "Vedtaket kan påklages, jf. forvaltningsloven §§ 28 og 29. Klagefristen er {APPEAL_WEEKS} uker fra \
                         brevet er mottatt. Klagen sendes til Statsforvalteren, som sender den videre til klageinstansen \
                         dersom vedtaket ikke endres. Parten har rett til å se dokumentene i saken, jf. forvaltningsloven §§ 18 og 19."
                    )
                } else {
                    String::new()
                }
            }
            _ => return None,
        })
    }

    fn facts(&self) -> Vec<(String, String)> {
        let mut facts = vec![("Mottaker".to_string(), self.applicant.to_string())];
        if let Some(title) = self.project_title {
            facts.push(("Prosjekt".into(), title.to_string()));
        }
        facts.push(("Tilskudd".into(), self.granted.to_string()));
        if let Some(requested) = self.requested {
            facts.push(("Søkt om".into(), requested.to_string()));
        }
        facts.push((
            "Utbetaling".into(),
            self.terms.payment_plan.label().to_string(),
        ));
        if let Some(d) = self.terms.acceptance_deadline {
            facts.push(("Frist for aksept".into(), format_date(d)));
        }
        if let Some(d) = self.terms.report_deadline {
            facts.push(("Frist for sluttrapport".into(), format_date(d)));
        }
        facts
    }
}

/// Checks a letter text: every `{field}` must be one of [`FIELDS`] (or `{fakta}`), and
/// braces must pair. The message names the first unknown field and lists the known ones.
pub fn check_template(field: &str, text: &str) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    if text.trim().is_empty() {
        errors.add(field, "Brevteksten kan ikke være tom.");
    }
    if text.chars().count() > 50_000 {
        errors.add(field, "Brevteksten kan ha høyst 50 000 tegn.");
    }
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            errors.add(field, "Brevteksten har en «{» uten «}».");
            break;
        };
        let name = &after[..close];
        if name != FACTS_FIELD && !FIELDS.iter().any(|(f, _)| *f == name) {
            let known: Vec<String> = FIELDS.iter().map(|(f, _)| format!("{{{f}}}")).collect();
            errors.add(
                field,
                format!(
                    "Feltet «{{{name}}}» finnes ikke. Disse kan brukes: {}, og {{fakta}} alene på en linje.",
                    known.join(", ")
                ),
            );
            break;
        }
        rest = &after[close + 1..];
    }
    errors.into_result(|| ())
}

/// Fills the text in for one recipient.
pub fn compose(template: &str, facts: &LetterFacts) -> Letter {
    let mut body = Vec::new();
    for chunk in template.replace("\r\n", "\n").split("\n\n") {
        let chunk = chunk.trim();
        if chunk.is_empty() {
            continue;
        }
        if chunk == format!("{{{FACTS_FIELD}}}") {
            body.push(LetterBlock::Facts(facts.facts()));
            continue;
        }
        // A heading with lines under it in its chunk that all came out empty (an
        // empty note) goes with them; a heading alone in its chunk heads the next one.
        let mut paragraph = Vec::new();
        let mut heading_at: Option<(usize, bool)> = None;
        for line in chunk.lines() {
            if let Some(heading) = line.strip_prefix("## ") {
                flush(&mut body, &mut paragraph);
                drop_empty_heading(&mut body, heading_at.take());
                heading_at = Some((body.len(), false));
                body.push(LetterBlock::Heading(fill(heading.trim(), facts)));
            } else {
                if let Some((_, lines_under)) = heading_at.as_mut() {
                    *lines_under = true;
                }
                paragraph.push(fill(line.trim(), facts));
            }
        }
        flush(&mut body, &mut paragraph);
        drop_empty_heading(&mut body, heading_at);
    }
    let mut recipient = vec![facts.applicant.to_string()];
    if let Some(contact) = facts.contact_person.filter(|c| !c.trim().is_empty()) {
        recipient.push(format!("Att.: {contact}"));
    }
    Letter {
        title: facts.kind.label().to_string(),
        sender: facts.sender.clone(),
        recipient,
        date: facts.date,
        reference: facts.reference.clone(),
        subject: match facts.kind {
            LetterKind::Grant => format!(
                "Tilskudd fra «{}» {} – {}",
                facts.scheme, facts.year, facts.applicant
            ),
            LetterKind::Rejection => format!(
                "Avslag på søknad om tilskudd fra «{}» {} – {}",
                facts.scheme, facts.year, facts.applicant
            ),
        },
        body,
        signature: vec![
            "Med hilsen".to_string(),
            String::new(),
            facts.signed_by.to_string(),
            facts.sender.first().cloned().unwrap_or_default(),
            String::new(),
            "Dokumentet er elektronisk godkjent.".to_string(),
        ],
    }
}

/// Removes the heading at `index` when it had lines under it and nothing came after it.
fn drop_empty_heading(body: &mut Vec<LetterBlock>, heading: Option<(usize, bool)>) {
    if let Some((index, true)) = heading
        && index + 1 == body.len()
    {
        body.pop();
    }
}

fn flush(body: &mut Vec<LetterBlock>, paragraph: &mut Vec<String>) {
    let text = paragraph.join("\n");
    paragraph.clear();
    if !text.trim().is_empty() {
        body.push(LetterBlock::Paragraph(text.trim().to_string()));
    }
}

fn fill(text: &str, facts: &LetterFacts) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match facts.value(name) {
                    Some(value) => out.push_str(&value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(terms: &FollowupTerms, granted: i64) -> LetterFacts<'_> {
        LetterFacts {
            kind: LetterKind::for_amount(Kroner::from_whole(granted)),
            sender: vec!["Statsforvalteren i Trøndelag".into()],
            applicant: "Frosta kommune",
            contact_person: Some("Kari Nordmann"),
            scheme: "Styrking av habilitering og rehabilitering i kommunene",
            round: "Tilskudd 2019",
            year: 2019,
            project_title: Some("Koordinator i kommunen"),
            granted: Kroner::from_whole(granted),
            requested: Some(Kroner::from_whole(400_000)),
            reason: None,
            note: None,
            terms,
            date: NaiveDate::from_ymd_opt(2019, 6, 1).unwrap(),
            reference: "2019/7 – søknad 36".into(),
            signed_by: "Sara Saksbehandler",
        }
    }

    #[test]
    fn default_texts_use_known_fields() {
        check_template("grant", DEFAULT_GRANT_TEMPLATE).unwrap();
        check_template("rejection", DEFAULT_REJECTION_TEMPLATE).unwrap();
        let err = check_template("grant", "Hei {mottakar}").unwrap_err();
        assert!(err.to_string().contains("{mottakar}"), "{err}");
        assert!(check_template("grant", "Hei {mottaker").is_err());
    }

    #[test]
    fn grant_letter_names_amount_in_figures_and_words() {
        let terms = FollowupTerms::default();
        let letter = compose(DEFAULT_GRANT_TEMPLATE, &facts(&terms, 350_000));
        let text = letter.plain_text();
        assert!(text.contains("350\u{a0}000\u{a0}kr"), "{text}");
        assert!(text.contains("tre hundre og femti tusen kroner"), "{text}");
        assert!(text.contains("bevilgningsreglementet § 10"));
        assert!(text.contains("riksrevisjonsloven § 12"));
        assert!(text.contains("Klagefristen er 3 uker"));
        assert!(
            letter
                .body
                .iter()
                .any(|b| matches!(b, LetterBlock::Facts(_)))
        );
        assert_eq!(letter.recipient[1], "Att.: Kari Nordmann");
    }

    #[test]
    fn no_appeal_paragraph_where_the_round_allows_none() {
        let terms = FollowupTerms {
            appeal_allowed: false,
            ..FollowupTerms::default()
        };
        let text = compose(DEFAULT_GRANT_TEMPLATE, &facts(&terms, 1)).plain_text();
        assert!(!text.contains("påklages"), "{text}");
        assert!(
            !text.contains("Klagerett"),
            "the heading goes with it: {text}"
        );
    }

    #[test]
    fn rejection_gives_the_reason() {
        let terms = FollowupTerms::default();
        let mut f = facts(&terms, 0);
        f.reason = Some("Tiltaket ligger utenfor ordningens formål.");
        let letter = compose(DEFAULT_REJECTION_TEMPLATE, &f);
        assert_eq!(letter.title, "Avslagsbrev");
        assert!(letter.plain_text().contains("utenfor ordningens formål"));
    }

    #[test]
    fn empty_note_leaves_no_empty_paragraph() {
        let terms = FollowupTerms::default();
        let letter = compose("## Merknad\n{merknad}\n\nSlutt", &facts(&terms, 1));
        assert_eq!(letter.body, vec![LetterBlock::Paragraph("Slutt".into())]);
    }
}
