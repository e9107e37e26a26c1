//! Sending e-mail over SMTP (lettre, rustls with ring).
//!
//! The outbox worker (`app::outbox`) calls [`Mailer::send`] and retries later as long as the
//! error is not [permanent](SendError::is_permanent). Error texts are meant for the grant
//! officers (the outbox's `last_error`), so they are in Norwegian.

use std::time::Duration;

use lettre::address::AddressError;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

/// Timeout for the TCP connection (lettre's async transport applies it to connecting only).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Timeout for a whole delivery, connection included: without it a server that accepts
/// and then stays silent would hold the worker forever.
const SEND_TIMEOUT: Duration = Duration::from_secs(120);

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OutgoingMail {
    /// `"Name <addr>"` or `"addr"`.
    pub to: String,
    pub subject: String,
    /// Plain text body.
    pub text: String,
    /// Stored apart from the message JSON, hence optional there.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The left part of the Message-ID, stable per outbox message, so that a message sent
    /// again after a crash mid-send can be recognised as the same; random when `None`.
    #[serde(default)]
    pub message_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Attachment {
    pub filename: String,
    /// A MIME type such as `application/pdf`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// `--smtp-url` or `--mail-from` is unusable; reported once at startup.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error(
        "Ugyldig --smtp-url «{url}»: {reason}. Eksempler: smtp://127.0.0.1:25, \
         smtps://bruker:passord@smtp.example.no, smtp://smtp.example.no:587?tls=required"
    )]
    Url { url: String, reason: String },
    #[error(
        "Ugyldig --mail-from «{from}»: {reason}. Eksempel: \"Statsforvalteren <post@example.no>\""
    )]
    From { from: String, reason: String },
}

/// Why a message was not delivered, with a short text for the outbox's `last_error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Sending this message again will fail again: bad address, refused with 5xx.
    #[error("{0}")]
    Permanent(String),
    /// Worth retrying: no connection, timeout, 4xx, server misconfiguration.
    #[error("{0}")]
    Transient(String),
}

impl SendError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Permanent(_))
    }

    pub fn message(&self) -> &str {
        match self {
            SendError::Permanent(m) | SendError::Transient(m) => m,
        }
    }
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    send_timeout: Duration,
    /// Right-hand side of Message-IDs: the sender's domain rather than the (container's)
    /// host name.
    id_domain: String,
}

impl Mailer {
    /// Checks the URL and the sender address. Does not connect: the SMTP server may well be
    /// down at startup, which the outbox handles.
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer, MailConfigError> {
        let url_error = |reason: String| MailConfigError::Url {
            url: redact_password(smtp_url),
            reason,
        };
        // lettre's own message for a wrong scheme is vague; say what is expected.
        if !(smtp_url.starts_with("smtp://") || smtp_url.starts_with("smtps://")) {
            return Err(url_error("må begynne med smtp:// eller smtps://".into()));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| url_error(e.to_string()))?
            .timeout(Some(CONNECT_TIMEOUT))
            .build();

        let from_error = |reason: String| MailConfigError::From {
            from: from.to_owned(),
            reason,
        };
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|e: AddressError| from_error(e.to_string()))?;
        let id_domain = from.email.domain().to_owned();

        Ok(Mailer {
            transport,
            from,
            send_timeout: SEND_TIMEOUT,
            id_domain,
        })
    }

    /// Replaces the time limit for one delivery (default two minutes).
    pub fn with_send_timeout(mut self, timeout: Duration) -> Mailer {
        self.send_timeout = timeout;
        self
    }

    /// The sender as parsed, e.g. for logging at startup.
    pub fn sender(&self) -> &Mailbox {
        &self.from
    }

    /// Delivers one message to the SMTP server (a new connection each time).
    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let message = self.build(mail)?;
        match tokio::time::timeout(self.send_timeout, self.transport.send(message)).await {
            Ok(Ok(_response)) => Ok(()),
            Ok(Err(e)) => Err(classify(&e)),
            Err(_elapsed) => Err(SendError::Transient(format!(
                "Tidsavbrudd: e-posttjeneren svarte ikke innen {} s",
                self.send_timeout.as_secs()
            ))),
        }
    }

    fn build(&self, mail: &OutgoingMail) -> Result<Message, SendError> {
        let to: Mailbox = mail.to.trim().parse().map_err(|e| {
            SendError::Permanent(format!("Ugyldig mottakeradresse «{}»: {e}", mail.to))
        })?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            // A line break in a header would end it; subjects come from user input.
            .subject(mail.subject.replace(['\r', '\n'], " "))
            .message_id(Some(match &mail.message_key {
                Some(key) => format!("<{key}@{}>", self.id_domain),
                None => self.message_id()?,
            }));

        // `plain` picks quoted-printable/base64 for non-ASCII text, so the message is 7-bit
        // and needs no 8BITMIME from the relay.
        let text = SinglePart::plain(mail.text.clone());
        let result = if mail.attachments.is_empty() {
            builder.singlepart(text)
        } else {
            let mut multipart = MultiPart::mixed().singlepart(text);
            for a in &mail.attachments {
                let content_type = ContentType::parse(&a.content_type).map_err(|e| {
                    SendError::Permanent(format!(
                        "Ugyldig innholdstype «{}» for vedlegget «{}»: {e}",
                        a.content_type, a.filename
                    ))
                })?;
                multipart = multipart.singlepart(
                    LettreAttachment::new(a.filename.clone()).body(a.bytes.clone(), content_type),
                );
            }
            builder.multipart(multipart)
        };
        result.map_err(|e| SendError::Permanent(format!("Kunne ikke lage e-posten: {e}")))
    }

    fn message_id(&self) -> Result<String, SendError> {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(|e| {
            SendError::Transient(format!("Kunne ikke lage Message-ID (tilfeldige tall): {e}"))
        })?;
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        Ok(format!("<{hex}@{}>", self.id_domain))
    }
}

/// Sorts a lettre error into retry or give up, with a Norwegian text.
fn classify(e: &SmtpError) -> SendError {
    // The server's own text (lettre keeps it as the source); the code is added by us.
    let detail = std::error::Error::source(e)
        .map(ToString::to_string)
        .unwrap_or_else(|| e.to_string());
    if let Some(code) = e.status() {
        let text = format!("{code} {detail}");
        // Authentication refused is a configuration problem, not this message's: keep it
        // in the queue until the operator fixes the credentials.
        let auth = matches!(u16::from(code), 530 | 534 | 535 | 538);
        return if e.is_permanent() && !auth {
            SendError::Permanent(format!("E-posttjeneren avviste e-posten: {text}"))
        } else if auth {
            SendError::Transient(format!("E-posttjeneren avviste innloggingen: {text}"))
        } else {
            SendError::Transient(format!(
                "E-posttjeneren svarte med midlertidig feil: {text}"
            ))
        };
    }
    let text = if e.is_timeout() {
        format!("Tidsavbrudd mot e-posttjeneren: {detail}")
    } else if e.is_tls() {
        format!("TLS-feil mot e-posttjeneren: {detail}")
    } else if e.is_response() {
        format!("Uforståelig svar fra e-posttjeneren: {detail}")
    } else if e.is_client() {
        // E.g. no common AUTH mechanism, STARTTLS required but not offered: configuration.
        format!("Feil i oppsettet mot e-posttjeneren: {detail}")
    } else {
        format!("Kunne ikke koble til e-posttjeneren: {detail}")
    };
    SendError::Transient(text)
}

/// `smtps://user:secret@host` → `smtps://user:***@host`, for error messages and logs.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_password("smtps://ola:hemmelig@smtp.example.no:465/?x=1"),
            "smtps://ola:***@smtp.example.no:465/?x=1"
        );
        assert_eq!(
            redact_password("smtp://127.0.0.1:2525"),
            "smtp://127.0.0.1:2525"
        );
    }

    #[test]
    fn attachments_may_be_missing_in_json() {
        let mail: OutgoingMail =
            serde_json::from_str(r#"{"to":"a@b.no","subject":"Søknad","text":"Hei"}"#).unwrap();
        assert!(mail.attachments.is_empty());
        assert_eq!(mail.subject, "Søknad");
    }

    #[test]
    fn bad_content_type_and_address_are_permanent() {
        let mailer = Mailer::new("smtp://127.0.0.1:1", "Avsender <post@example.no>").unwrap();
        let mut mail = OutgoingMail {
            to: "ola@example.no".into(),
            subject: "Hei".into(),
            text: "Hei".into(),
            attachments: vec![Attachment {
                filename: "a.pdf".into(),
                content_type: "not a type".into(),
                bytes: vec![1],
            }],
            message_key: None,
        };
        assert!(mailer.build(&mail).unwrap_err().is_permanent());
        mail.attachments.clear();
        mail.to = "Ola <ola@>".into();
        assert!(mailer.build(&mail).unwrap_err().is_permanent());
    }
}
