//! Runs the spreadsheet reader in a child process: the same binary, started as
//! `tilskudd internal-read-workbook FORMAT`, with capped memory and CPU time and a wall
//! clock limit. A file that crashes the reader (calamine can abort the whole process on
//! a crafted .xls) or takes too long becomes a clear error for that upload alone.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use tokio::sync::Semaphore;

use super::detect::Format;
use super::{ReaderOutput, Workbook};

/// How to start the reader, and how many may run at once.
#[derive(Debug, Clone)]
pub struct Isolation {
    pub executable: PathBuf,
    pub timeout: Duration,
    permits: Arc<Semaphore>,
}

impl Isolation {
    pub fn new(executable: PathBuf) -> Self {
        Isolation {
            executable,
            timeout: Duration::from_secs(30),
            // Two cores here; more readers at once would only queue on them.
            permits: Arc::new(Semaphore::new(2)),
        }
    }

    /// The running program itself, which knows the `internal-read-workbook` command.
    pub fn current_exe() -> Self {
        Isolation::new(std::env::current_exe().unwrap_or_else(|_| PathBuf::from("tilskudd")))
    }

    /// Reads the workbook in a child process. The error is a Norwegian sentence.
    pub async fn read(&self, bytes: &[u8], format: Format) -> Result<Workbook, String> {
        let unreadable = "Regnearket kunne ikke leses: filen er skadet, eller den krever mer minne eller tid enn tillatt.";
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| unreadable.to_string())?;
        let mut child = Command::new(&self.executable)
            .arg("internal-read-workbook")
            .arg(format.as_str())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                tracing::error!(error = %e, exe = ?self.executable, "could not start the workbook reader");
                "Regnearket kunne ikke leses akkurat nå (intern feil). Prøv igjen senere.".to_string()
            })?;
        widen_pipes(&child);
        if let Some(mut stdin) = child.stdin.take() {
            // A child that dies early closes its end; the exit status says why.
            let _ = stdin.write_all(bytes).await;
        }
        let output = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(Ok(output)) => output,
            Ok(Err(_)) => return Err(unreadable.into()),
            Err(_) => {
                return Err(format!(
                    "Regnearket tok for lang tid å lese (mer enn {} sekunder) og ble avbrutt.",
                    self.timeout.as_secs()
                ));
            }
        };
        if !output.status.success() {
            tracing::warn!(status = ?output.status, "workbook reader ended abnormally");
            return Err(unreadable.into());
        }
        match super::wire::decode(&output.stdout) {
            Ok(ReaderOutput::Workbook(workbook)) => Ok(workbook),
            Ok(ReaderOutput::Error(message)) => Err(message),
            Err(_) => Err(unreadable.into()),
        }
    }
}

/// A workbook and its cells pass through the pipes in one piece when they fit, instead
/// of in 64 KB turns between the two processes. Best effort: the default still works.
fn widen_pipes(child: &tokio::process::Child) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        const PIPE_BYTES: libc::c_int = 1024 * 1024;
        let fds = [
            child.stdin.as_ref().map(|p| p.as_raw_fd()),
            child.stdout.as_ref().map(|p| p.as_raw_fd()),
        ];
        for fd in fds.into_iter().flatten() {
            // SAFETY: F_SETPIPE_SZ only resizes the pipe behind a descriptor we own.
            unsafe {
                libc::fcntl(fd, libc::F_SETPIPE_SZ, PIPE_BYTES);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = child;
}
