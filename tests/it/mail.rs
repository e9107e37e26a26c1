//! The mailer against the test SMTP server.

use std::time::Duration;

use crate::common::smtp::{TestSmtp, decode_base64};
use tilskudd::mail::{Attachment, MailConfigError, Mailer, OutgoingMail};

const FROM: &str = "Statsforvalteren i Trøndelag <post@statsforvalteren.no>";
const WAIT: Duration = Duration::from_secs(10);

fn mail(to: &str) -> OutgoingMail {
    OutgoingMail {
        to: to.into(),
        subject: "Vedtak om tilskudd til Ørland idrettslag – æøå ÆØÅ".into(),
        text:
            "Hei!\n\nVedlagt er vedtaket for søknaden.\n.\nMed vennlig hilsen\nStatsforvalteren\n"
                .into(),
        attachments: Vec::new(),
        message_key: None,
    }
}

#[tokio::test]
async fn delivers_norwegian_text_and_a_pdf() {
    let smtp = TestSmtp::start().await;
    let mailer = Mailer::new(&smtp.url(), FROM).unwrap();
    let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n".to_vec();
    let mut message = mail("Kari Nordmann <kari@example.no>");
    message.attachments.push(Attachment {
        filename: "vedtak-2026-17.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: pdf.clone(),
    });
    message.attachments.push(Attachment {
        filename: "Søknad fra Åfjord.txt".into(),
        content_type: "text/plain; charset=utf-8".into(),
        bytes: "æøå".as_bytes().to_vec(),
    });

    mailer.send(&message).await.unwrap();

    let got = smtp.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    let got = &got[0];
    assert_eq!(got.from, "post@statsforvalteren.no");
    assert_eq!(got.to, ["kari@example.no"]);
    // 7-bit on the wire: headers as encoded words, bodies quoted-printable or base64.
    assert!(got.data.is_ascii(), "{}", got.data);
    assert!(got.header("Subject").unwrap().contains("=?utf-8?b?"));
    assert_eq!(got.subject().unwrap(), message.subject);
    assert!(
        got.header("From")
            .unwrap()
            .contains("<post@statsforvalteren.no>")
    );
    assert!(got.header("To").unwrap().contains("<kari@example.no>"));
    assert!(got.header("Date").is_some());
    let id = got.header("Message-ID").unwrap();
    assert!(
        id.starts_with('<') && id.ends_with("@statsforvalteren.no>"),
        "{id}"
    );
    assert!(
        got.header("Content-Type")
            .unwrap()
            .starts_with("multipart/mixed")
    );

    let lower = got.data.to_ascii_lowercase();
    assert!(
        lower.contains("content-type: text/plain; charset=utf-8"),
        "{}",
        got.data
    );
    assert!(
        got.data.contains("Content-Type: application/pdf"),
        "{}",
        got.data
    );
    assert!(
        got.data
            .contains("Content-Disposition: attachment; filename=\"vedtak-2026-17.pdf\""),
        "{}",
        got.data
    );

    // Non-ASCII file names as RFC 2231 parameters.
    assert!(
        got.data
            .contains("filename*0*=utf-8''S%C3%B8knad%20fra%20%C3%85fjord.txt"),
        "{}",
        got.data
    );
    // The text survived dot-stuffing: the lone "." line is still there.
    assert!(got.data.contains("\r\n.\r\nMed vennlig hilsen"));

    // The PDF part's base64 body decodes to the same bytes.
    let pdf_part = got
        .data
        .split("Content-Type: application/pdf")
        .nth(1)
        .unwrap();
    let body = pdf_part.split("\r\n\r\n").nth(1).unwrap();
    let body = body.split("\r\n--").next().unwrap();
    assert_eq!(decode_base64(body).unwrap(), pdf);
}

#[tokio::test]
async fn stopped_server_is_transient_and_restart_delivers_once() {
    let mut smtp = TestSmtp::start().await;
    let mailer = Mailer::new(&smtp.url(), FROM).unwrap();
    smtp.stop().await;

    let err = mailer.send(&mail("kari@example.no")).await.unwrap_err();
    assert!(!err.is_permanent(), "{err:?}");
    assert!(
        err.message()
            .starts_with("Kunne ikke koble til e-posttjeneren"),
        "{err}"
    );

    smtp.restart().await;
    mailer.send(&mail("kari@example.no")).await.unwrap();
    assert_eq!(smtp.wait_for(1, WAIT).await.len(), 1);
    // Another message on a fresh connection after the restart, and nothing more.
    mailer.send(&mail("ola@example.no")).await.unwrap();
    let got = smtp.wait_for(2, WAIT).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].to, ["ola@example.no"]);
}

#[tokio::test]
async fn start_on_a_given_port_after_the_first_server_is_gone() {
    let mut smtp = TestSmtp::start().await;
    let port = smtp.port();
    smtp.stop().await;
    drop(smtp);

    let smtp = TestSmtp::start_on(port).await;
    assert_eq!(smtp.url(), format!("smtp://127.0.0.1:{port}"));
    let mailer = Mailer::new(&smtp.url(), FROM).unwrap();
    mailer.send(&mail("kari@example.no")).await.unwrap();
    assert_eq!(smtp.wait_for(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn temporary_failure_is_transient() {
    let smtp = TestSmtp::start().await;
    let mailer = Mailer::new(&smtp.url(), FROM).unwrap();
    smtp.fail_temporarily(true);

    let err = mailer.send(&mail("kari@example.no")).await.unwrap_err();
    assert!(!err.is_permanent(), "{err:?}");
    assert!(err.message().contains("451"), "{err}");

    smtp.fail_temporarily(false);
    mailer.send(&mail("kari@example.no")).await.unwrap();
    assert_eq!(smtp.wait_for(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn silent_server_times_out_as_transient() {
    // Accepts connections and never says a word (not even the greeting).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let mailer = Mailer::new(&url, FROM)
        .unwrap()
        .with_send_timeout(Duration::from_millis(300));

    let err = mailer.send(&mail("kari@example.no")).await.unwrap_err();
    assert!(!err.is_permanent(), "{err:?}");
    assert!(err.message().starts_with("Tidsavbrudd"), "{err}");
    hold.abort();
}

#[tokio::test]
async fn rejected_recipient_is_permanent() {
    let smtp = TestSmtp::start().await;
    let mailer = Mailer::new(&smtp.url(), FROM).unwrap();
    smtp.reject_recipient("ukjent@example.no");

    let err = mailer
        .send(&mail("Ukjent <ukjent@example.no>"))
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "{err:?}");
    assert!(err.message().contains("550"), "{err}");
    assert!(smtp.messages().is_empty());

    // The connection and the server are fine for others.
    mailer.send(&mail("kari@example.no")).await.unwrap();
    assert_eq!(smtp.wait_for(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn invalid_recipient_is_permanent_without_connecting() {
    // Nothing listens on port 1: a connection attempt would give a transient error.
    let mailer = Mailer::new("smtp://127.0.0.1:1", FROM).unwrap();
    for to in [
        "",
        "kari",
        "kari@",
        "Kari <kari@example.no",
        "a@b.no\r\nBcc: x@y.no",
    ] {
        let err = mailer.send(&mail(to)).await.unwrap_err();
        assert!(err.is_permanent(), "{to:?}: {err:?}");
        assert!(
            err.message().starts_with("Ugyldig mottakeradresse"),
            "{err}"
        );
    }
}

#[test]
fn bad_configuration_is_reported() {
    let url_err = |url: &str| match Mailer::new(url, FROM) {
        Err(MailConfigError::Url { .. }) => {}
        Err(e) => panic!("{url}: wrong error {e}"),
        Ok(_) => panic!("{url}: accepted"),
    };
    url_err("");
    url_err("127.0.0.1:25");
    url_err("http://smtp.example.no");
    url_err("smtp://");
    url_err("smtp://smtp.example.no?tls=maybe");

    let err = Mailer::new("smtpx://ola:hemmelig@smtp.example.no", FROM)
        .err()
        .unwrap()
        .to_string();
    assert!(err.starts_with("Ugyldig --smtp-url"), "{err}");
    assert!(!err.contains("hemmelig"), "{err}");

    for from in ["", "post", "Statsforvalteren <post@>", "a@b.no, c@d.no"] {
        match Mailer::new("smtp://127.0.0.1:25", from) {
            Err(MailConfigError::From { .. }) => {}
            Err(e) => panic!("{from:?}: wrong error {e}"),
            Ok(_) => panic!("{from:?}: accepted"),
        }
    }
}

#[test]
fn tls_urls_are_accepted() {
    // Builds the rustls configuration (ring provider, platform verifier) without connecting.
    for url in [
        "smtps://smtp.example.no",
        "smtps://ola:hemmelig%40@smtp.example.no:465",
        "smtp://smtp.example.no:587?tls=required",
        "smtp://127.0.0.1:2525",
    ] {
        Mailer::new(url, FROM).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}
