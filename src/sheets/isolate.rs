//! Runs the spreadsheet reader in a child process: the same binary, started as
//! `tilskudd internal-read-workbook -` (the format comes first on its input), with capped
//! memory and CPU time and a wall clock limit. One reader is started ahead of time and
//! waits for its file, so starting a process is not on an upload's path; each reads one
//! file only. A file that crashes the reader (calamine can abort the whole process on
//! a crafted .xls) or takes too long becomes a clear error for that upload alone.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};
use tokio::sync::Semaphore;

use super::detect::Format;
use super::{ReaderOutput, Workbook};
use crate::metrics::ReadOutcome;

/// How to start the reader, and how many may run at once.
#[derive(Debug, Clone)]
pub struct Isolation {
    pub executable: PathBuf,
    pub timeout: Duration,
    permits: Arc<Semaphore>,
    /// A reader started ahead of time, and the program it runs.
    spare: Arc<Mutex<Option<(PathBuf, Child)>>>,
}

impl Isolation {
    pub fn new(executable: PathBuf) -> Self {
        Isolation {
            executable,
            timeout: Duration::from_secs(30),
            // Two cores here; more readers at once would only queue on them.
            permits: Arc::new(Semaphore::new(2)),
            spare: Arc::default(),
        }
    }

    /// The running program itself, which knows the `internal-read-workbook` command.
    pub fn current_exe() -> Self {
        Isolation::new(std::env::current_exe().unwrap_or_else(|_| PathBuf::from("tilskudd")))
    }

    /// Reads the workbook in a child process. The error is a Norwegian sentence.
    pub async fn read(&self, bytes: &[u8], format: Format) -> Result<Workbook, String> {
        let (result, outcome) = self.read_in_child(bytes, format).await;
        crate::metrics::upload_read(format.as_str(), outcome);
        result
    }

    async fn read_in_child(
        &self,
        bytes: &[u8],
        format: Format,
    ) -> (Result<Workbook, String>, ReadOutcome) {
        let unreadable = "Regnearket kunne ikke leses: filen er skadet, eller den krever mer minne eller tid enn tillatt.";
        let Ok(_permit) = self.permits.acquire().await else {
            return (Err(unreadable.into()), ReadOutcome::Unavailable);
        };
        let mut child = match self.take_spare() {
            Some(child) => child,
            None => match self.start() {
                Ok(child) => child,
                Err(e) => {
                    tracing::error!(error = %e, exe = ?self.executable, "could not start the workbook reader");
                    return (
                        Err("Regnearket kunne ikke leses akkurat nå (intern feil). Prøv igjen senere.".into()),
                        ReadOutcome::Unavailable,
                    );
                }
            },
        };
        // The next one loads while this one reads.
        self.keep_spare();
        if let Some(mut stdin) = child.stdin.take() {
            // A child that dies early closes its end; the exit status says why.
            let _ = stdin.write_all(format.as_str().as_bytes()).await;
            let _ = stdin.write_all(b"\n").await;
            let _ = stdin.write_all(bytes).await;
        }
        let output = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(Ok(output)) => output,
            Ok(Err(_)) => return (Err(unreadable.into()), ReadOutcome::Crashed),
            Err(_) => {
                let message = format!(
                    "Regnearket tok for lang tid å lese (mer enn {} sekunder) og ble avbrutt.",
                    self.timeout.as_secs()
                );
                return (Err(message), ReadOutcome::Timeout);
            }
        };
        if !output.status.success() {
            tracing::warn!(status = ?output.status, "workbook reader ended abnormally");
            return (Err(unreadable.into()), ReadOutcome::Crashed);
        }
        match super::wire::decode(&output.stdout) {
            Ok(ReaderOutput::Workbook(workbook)) => (Ok(workbook), ReadOutcome::Read),
            Ok(ReaderOutput::Error(message)) => (Err(message), ReadOutcome::Refused),
            Err(_) => (Err(unreadable.into()), ReadOutcome::Crashed),
        }
    }
}

impl Isolation {
    fn start(&self) -> std::io::Result<Child> {
        let child = Command::new(&self.executable)
            .arg("internal-read-workbook")
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        widen_pipes(&child);
        Ok(child)
    }

    fn spare(&self) -> std::sync::MutexGuard<'_, Option<(PathBuf, Child)>> {
        self.spare.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The reader waiting for a file, if it is still there and runs this program.
    fn take_spare(&self) -> Option<Child> {
        let (executable, mut child) = self.spare().take()?;
        let waiting = matches!(child.try_wait(), Ok(None));
        (waiting && executable == self.executable).then_some(child)
    }

    /// Starts the next reader; if it cannot start, the next upload tries and says so.
    fn keep_spare(&self) {
        if let Ok(child) = self.start() {
            *self.spare() = Some((self.executable.clone(), child));
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A stand-in reader that notes its process id, swallows its input and fails.
    fn noting_reader(dir: &std::path::Path) -> (PathBuf, PathBuf) {
        let noted = dir.join("started");
        let script = dir.join("reader");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho $$ >> {}\ncat > /dev/null\nexit 3\n",
                noted.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        (script, noted)
    }

    /// The process ids noted once `count` readers have started (waiting up to 10 s).
    async fn started(noted: &std::path::Path, count: usize) -> Vec<u32> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let ids: Vec<u32> = std::fs::read_to_string(noted)
                .unwrap_or_default()
                .lines()
                .map(|l| l.parse().unwrap())
                .collect();
            if ids.len() >= count || std::time::Instant::now() > deadline {
                return ids;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test]
    async fn each_file_gets_a_fresh_reader_started_ahead_and_a_dead_one_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let (script, noted) = noting_reader(dir.path());
        let isolation = Isolation::new(script);

        assert!(isolation.read(b"x", Format::Xlsx).await.is_err());
        // The first read started its reader and the next one.
        let spare = isolation.take_spare().expect("a reader waits");
        let spare_id = spare.id().expect("running");
        let ids = started(&noted, 2).await;
        assert_eq!(ids.len(), 2, "{ids:?}");
        assert!(ids.contains(&spare_id), "{ids:?}");

        // A waiting reader that died is left, and a new one started.
        let mut dead = spare;
        dead.kill().await.unwrap();
        *isolation.spare() = Some((isolation.executable.clone(), dead));
        assert!(isolation.take_spare().is_none());
        assert!(isolation.read(b"x", Format::Xlsx).await.is_err());
        let ids = started(&noted, 4).await;
        assert_eq!(ids.len(), 4, "{ids:?}");
        assert_eq!(ids.iter().filter(|id| **id == spare_id).count(), 1);
    }
}
