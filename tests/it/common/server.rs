//! The release-shaped server: the `tilskudd` binary started as a process on a free port,
//! spoken to over real TCP, its log lines collected, stopped with a signal. For what only
//! a running process shows: signals, log output, instances side by side.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

pub struct Server {
    child: Child,
    pub addr: String,
    lines: Arc<Mutex<Vec<String>>>,
}

/// An HTTP answer read off the wire.
#[derive(Debug)]
pub struct WireResponse {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl WireResponse {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }
}

impl Server {
    /// Starts `tilskudd serve` on the database with these extra arguments and variables;
    /// returns once it listens.
    pub async fn start(
        database_url: &str,
        pg_schema: Option<&str>,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tilskudd"));
        command
            .arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .env("DATABASE_URL", database_url)
            .env_remove("TILSKUDD_PG_SCHEMA")
            .env_remove("TILSKUDD_CONFIG")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        if let Some(schema) = pg_schema {
            command.env("TILSKUDD_PG_SCHEMA", schema);
        }
        let mut child = command.spawn().expect("start tilskudd serve");
        let lines = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().expect("stdout"))
                as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let lines = Arc::clone(&lines);
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    lines.lock().unwrap().push(line);
                }
            });
        }
        let mut server = Server {
            child,
            addr: String::new(),
            lines,
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(addr) = server.lines().iter().find_map(|l| {
                let start = l.find("http://127.0.0.1:")? + "http://".len();
                let rest = &l[start..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ':'))
                    .unwrap_or(rest.len());
                Some(rest[..end].to_string())
            }) {
                server.addr = addr;
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("tilskudd serve ended ({status}): {:#?}", server.lines());
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "tilskudd serve did not start: {:#?}",
                server.lines()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The lines it has written so far (standard output and error).
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    pub async fn connect(&self) -> std::io::Result<TcpStream> {
        TcpStream::connect(&self.addr).await
    }

    /// One request on a connection of its own.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<WireResponse> {
        let mut stream = self.connect().await?;
        stream
            .write_all(&request_head(method, path, headers, body.len()))
            .await?;
        stream.write_all(body).await?;
        read_response(&mut stream).await
    }

    /// Sends SIGTERM, as systemd and Kubernetes stop a service.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("running") as libc::pid_t;
        // SAFETY: a signal to our own child process.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }

    /// Waits for the process to end; answers its exit status.
    pub async fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| {
                panic!("tilskudd did not end within {limit:?}: {:#?}", self.lines())
            })
            .expect("wait for tilskudd")
    }
}

pub fn request_head(method: &str, path: &str, headers: &[(&str, &str)], length: usize) -> Vec<u8> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {length}\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Reads a whole answer off a `Connection: close` stream.
pub async fn read_response(stream: &mut TcpStream) -> std::io::Result<WireResponse> {
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await?;
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| {
            std::io::Error::other(format!(
                "no HTTP answer: {:?}",
                String::from_utf8_lossy(&bytes)
            ))
        })?;
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let body = &bytes[split + 4..];
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status: {head:?}")))?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    Ok(WireResponse {
        status,
        head,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let rest = &body[end + 2..];
        match size {
            Some(size) if size > 0 && rest.len() >= size => {
                out.extend_from_slice(&rest[..size]);
                body = rest[size..].strip_prefix(b"\r\n").unwrap_or(&rest[size..]);
            }
            _ => break,
        }
    }
    out
}
