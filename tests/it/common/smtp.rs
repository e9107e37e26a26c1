//! A small SMTP server for tests (tokio and std only).
//!
//! Speaks just enough SMTP for lettre over plain TCP: no STARTTLS, no AUTH. It keeps what it
//! receives across [`TestSmtp::stop`] and [`TestSmtp::restart`], so a test can take the
//! server away (connections refused) and bring it back on the same port, then count.

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// One message as the server got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// Envelope sender (`MAIL FROM`), without the angle brackets.
    pub from: String,
    /// Envelope recipients (`RCPT TO`), without the angle brackets.
    pub to: Vec<String>,
    /// The message as sent after `DATA`, dot-stuffing undone, CRLF line ends kept.
    pub data: String,
}

impl ReceivedMail {
    /// A header's raw value (unfolded), first occurrence, name case-insensitive.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim_start().to_owned());
            }
        }
        value
    }

    /// The Subject with RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) decoded.
    pub fn subject(&self) -> Option<String> {
        self.header("Subject").map(|s| decode_words(&s))
    }
}

#[derive(Default)]
struct Behaviour {
    temp_fail: bool,
    rejected: HashSet<String>,
}

struct Shared {
    messages: watch::Sender<Vec<ReceivedMail>>,
    behaviour: Mutex<Behaviour>,
}

pub struct TestSmtp {
    port: u16,
    shared: Arc<Shared>,
    server: Option<JoinHandle<()>>,
}

impl TestSmtp {
    /// Listens on 127.0.0.1 on a free port.
    pub async fn start() -> TestSmtp {
        TestSmtp::start_on(0).await
    }

    /// Listens on 127.0.0.1:`port` (0: a free one); panics if the port is taken.
    pub async fn start_on(port: u16) -> TestSmtp {
        let mut smtp = TestSmtp {
            port,
            shared: Arc::new(Shared {
                messages: watch::Sender::new(Vec::new()),
                behaviour: Mutex::new(Behaviour::default()),
            }),
            server: None,
        };
        smtp.listen();
        smtp
    }

    fn listen(&mut self) {
        let listener = bind(self.port)
            .unwrap_or_else(|e| panic!("test SMTP: cannot listen on port {}: {e}", self.port));
        self.port = listener.local_addr().expect("local address").port();
        self.server = Some(tokio::spawn(serve(listener, Arc::clone(&self.shared))));
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:PORT`, for `Mailer::new`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Closes the listener and every open connection: new connections are refused.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
    }

    /// Listens again on the same port, keeping the messages received so far.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.listen();
    }

    /// Everything received so far (across restarts), oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.shared.messages.borrow().clone()
    }

    /// Waits until at least `n` messages have arrived and returns them all; panics after
    /// `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let mut rx = self.shared.messages.subscribe();
        match tokio::time::timeout(timeout, rx.wait_for(|m| m.len() >= n)).await {
            Ok(Ok(messages)) => messages.clone(),
            _ => panic!(
                "test SMTP: expected {n} messages within {timeout:?}, got {}",
                self.messages().len()
            ),
        }
    }

    /// While on, `MAIL FROM` gets `451` (a temporary failure, the client should retry).
    pub fn fail_temporarily(&self, on: bool) {
        self.shared.behaviour.lock().unwrap().temp_fail = on;
    }

    /// `RCPT TO` for this address gets `550` from now on (a permanent failure).
    pub fn reject_recipient(&self, address: &str) {
        let mut behaviour = self.shared.behaviour.lock().unwrap();
        behaviour.rejected.insert(address.to_ascii_lowercase());
    }
}

impl Drop for TestSmtp {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.abort();
        }
    }
}

fn bind(port: u16) -> io::Result<TcpListener> {
    // SO_REUSEADDR, so a restart is not refused because of connections in TIME_WAIT.
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    socket.listen(64)
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    // Owned here so that aborting this task also drops (aborts) every connection.
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(session(stream, Arc::clone(&shared)));
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 localhost ESMTP test\r\n").await?;

    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line);
        let command = command.trim_end_matches(['\r', '\n']);
        let (verb, arg) = command.split_once(' ').unwrap_or((command, ""));
        let reply = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                (from, to) = (None, Vec::new());
                "250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8"
            }
            "HELO" => {
                (from, to) = (None, Vec::new());
                "250 localhost"
            }
            "MAIL" => match path(arg, "FROM:") {
                _ if from.is_some() => "503 5.5.1 Nested MAIL command",
                None => "501 5.5.4 Syntax: MAIL FROM:<address>",
                Some(_) if shared.behaviour.lock().unwrap().temp_fail => {
                    "451 4.3.0 Temporary failure (test)"
                }
                Some(address) => {
                    from = Some(address);
                    "250 2.1.0 OK"
                }
            },
            "RCPT" => match path(arg, "TO:") {
                _ if from.is_none() => "503 5.5.1 Need MAIL first",
                None => "501 5.5.4 Syntax: RCPT TO:<address>",
                Some(address)
                    if shared
                        .behaviour
                        .lock()
                        .unwrap()
                        .rejected
                        .contains(&address.to_ascii_lowercase()) =>
                {
                    "550 5.1.1 Mailbox unavailable"
                }
                Some(address) => {
                    to.push(address);
                    "250 2.1.5 OK"
                }
            },
            "DATA" if to.is_empty() => "503 5.5.1 Need RCPT first",
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(data) = read_data(&mut read).await? else {
                    return Ok(());
                };
                let mail = ReceivedMail {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    data,
                };
                shared.messages.send_modify(|m| m.push(mail));
                "250 2.0.0 OK queued"
            }
            "RSET" => {
                (from, to) = (None, Vec::new());
                "250 2.0.0 OK"
            }
            "NOOP" => "250 2.0.0 OK",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 Command not implemented",
        };
        write.write_all(reply.as_bytes()).await?;
        write.write_all(b"\r\n").await?;
    }
}

/// `FROM:<a@b> BODY=8BITMIME` → `a@b`; `None` if `arg` does not start with `prefix`.
fn path(arg: &str, prefix: &str) -> Option<String> {
    let head = arg.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    inner.split_once('>').map(|(address, _)| address.to_owned())
}

/// Reads message lines up to the lone `.`; `None` if the client went away first.
async fn read_data(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> io::Result<Option<String>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(String::from_utf8_lossy(&data).into_owned()));
        }
        // Dot-stuffing: a leading dot was doubled by the client.
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
    }
}

/// Decodes RFC 2047 encoded words; whitespace between two encoded words is dropped.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut previous_encoded = false;
    for (i, token) in value.split_whitespace().enumerate() {
        let decoded = decode_word(token);
        if i > 0 && !(previous_encoded && decoded.is_some()) {
            out.push(' ');
        }
        previous_encoded = decoded.is_some();
        out.push_str(decoded.as_deref().unwrap_or(token));
    }
    out
}

/// `=?charset?b|q?text?=` → text (UTF-8 or ASCII charsets only).
fn decode_word(token: &str) -> Option<String> {
    let inner = token.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut parts = inner.splitn(3, '?');
    let (_charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = match encoding {
        "b" | "B" => decode_base64(text)?,
        "q" | "Q" => decode_q(text)?,
        _ => return None,
    };
    String::from_utf8(bytes).ok()
}

fn decode_q(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            _ => out.push(b),
        }
    }
    Some(out)
}

/// Standard base64 with padding; whitespace ignored.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}
