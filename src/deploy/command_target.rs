//! The command target: `command = ["rsync", …]`, run in the output folder once per round with
//! the paths of the changed documents and media files appended as arguments (relative to the folder, `/`
//! separated), after the folder is written. The paths of documents that went away are passed in
//! `FEEDD_REMOVED`, one per line, for a command that deletes. A run that exits non-zero, cannot
//! start, or outlives the timeout (it is killed) fails the round, which is retried whole.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::Command;

use super::DeployError;
use super::plan::{Manifest, Plan, Upload};

/// What stderr a failed command's message quotes, at most.
const STDERR_TAIL: usize = 400;

#[derive(Debug, Clone)]
pub struct CommandTarget {
    pub command: Vec<String>,
    pub timeout: Duration,
}

impl CommandTarget {
    /// Runs the command over `plan` in `folder`; on success the manifest records every path.
    pub async fn apply(
        &self,
        folder: &Path,
        uploads: &[Upload],
        plan: &Plan,
        manifest: &mut Manifest,
    ) -> Result<(), DeployError> {
        let Some((program, args)) = self.command.split_first() else {
            return Ok(());
        };
        let changed = plan.put.iter().map(|&i| uploads[i].path.as_str());
        let mut child = Command::new(program)
            .args(args)
            .args(changed)
            .env("FEEDD_REMOVED", plan.delete.join("\n"))
            .current_dir(folder)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| DeployError::Command(format!("cannot run `{program}`: {error}")))?;
        let mut stderr = child.stderr.take();
        let run = async {
            let mut text = Vec::new();
            if let Some(stderr) = stderr.as_mut() {
                let _ = stderr.read_to_end(&mut text).await;
            }
            (child.wait().await, text)
        };
        let (status, text) = match tokio::time::timeout(self.timeout, run).await {
            Ok(done) => done,
            Err(_) => {
                return Err(DeployError::Command(format!(
                    "`{program}` did not finish within {}s (timeout_secs) and was killed",
                    self.timeout.as_secs()
                )));
            }
        };
        let status =
            status.map_err(|error| DeployError::Command(format!("`{program}` failed: {error}")))?;
        if !status.success() {
            let text = String::from_utf8_lossy(&text);
            let tail = tail(text.trim(), STDERR_TAIL);
            return Err(DeployError::Command(format!(
                "`{program}` exited with {status}: {tail}"
            )));
        }
        for &i in &plan.put {
            manifest.insert(uploads[i].path.clone(), uploads[i].fingerprint.clone());
        }
        for path in &plan.delete {
            manifest.remove(path);
        }
        Ok(())
    }
}

/// The last `max` bytes of `text`, cut at a character boundary.
fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(script: &str, timeout_ms: u64) -> CommandTarget {
        CommandTarget {
            command: vec!["sh".into(), "-c".into(), script.into(), "sh".into()],
            timeout: Duration::from_millis(timeout_ms),
        }
    }

    fn upload(path: &str) -> Upload {
        Upload {
            path: path.into(),
            body: super::super::plan::Body::Bytes(bytes::Bytes::new()),
            content_type: "text/plain".into(),
            cache_control: String::new(),
            fingerprint: "f".into(),
        }
    }

    #[tokio::test]
    async fn runs_with_the_changed_paths_and_the_removed_ones_in_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = [upload("rss.xml"), upload("tags/a/rss.xml")];
        let plan = Plan {
            put: vec![0, 1],
            delete: vec!["gone.xml".into(), "tags/b/rss.xml".into()],
            unchanged: 0,
        };
        let mut manifest: Manifest = [("gone.xml".into(), "x".into())].into();
        let script = "echo \"$@\" > args; printf '%s' \"$FEEDD_REMOVED\" > removed";
        (target(script, 5000).apply(dir.path(), &uploads, &plan, &mut manifest))
            .await
            .unwrap();
        let read = |name| std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(read("args"), "rss.xml tags/a/rss.xml\n");
        assert_eq!(read("removed"), "gone.xml\ntags/b/rss.xml");
        assert_eq!(
            manifest.keys().collect::<Vec<_>>(),
            ["rss.xml", "tags/a/rss.xml"]
        );
    }

    #[tokio::test]
    async fn a_failure_or_a_hang_is_an_error_and_records_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = [upload("rss.xml")];
        let plan = Plan {
            put: vec![0],
            ..Plan::default()
        };
        let mut manifest = Manifest::new();
        let failed = target("echo no route to host >&2; exit 3", 5000)
            .apply(dir.path(), &uploads, &plan, &mut manifest)
            .await
            .unwrap_err()
            .to_string();
        assert!(failed.contains("no route to host"), "{failed}");
        let hung = target("exec sleep 30", 200)
            .apply(dir.path(), &uploads, &plan, &mut manifest)
            .await
            .unwrap_err()
            .to_string();
        assert!(hung.contains("was killed"), "{hung}");
        assert!(manifest.is_empty());
    }

    #[test]
    fn tails_are_cut_at_character_boundaries() {
        assert_eq!(tail("héllo", 4), "llo");
        assert_eq!(tail("ab", 10), "ab");
    }
}
