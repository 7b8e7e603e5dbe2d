//! The one-line summary of the daemon's state that the service manager shows
//! (`systemctl status`: "Status: 10 posts, 3 documents; last rebuild 04:12:08 (3 changed)").
//!
//! The event loop records what happened; this module words it and tells whether the line changed
//! since it was last sent. Sending it is `systemd`'s job.

use std::fmt;

use chrono::{DateTime, Local};

use crate::wording::count;

pub struct Status {
    posts: usize,
    documents: usize,
    problems: usize,
    /// When the documents last changed, and how many of them did (`None` for the first build).
    rebuilt: DateTime<Local>,
    changed: Option<usize>,
    /// Why the config file on disk is not the one in force.
    config_error: Option<String>,
    /// Why the TLS certificate and key on disk are not the ones in force.
    tls_error: Option<String>,
    /// What could not be written to disk (output folder, lock file), shown after the counts.
    disk_errors: Vec<String>,
    sent: Option<String>,
}

impl Status {
    pub fn new(posts: usize, documents: usize, problems: usize, at: DateTime<Local>) -> Status {
        Status {
            posts,
            documents,
            problems,
            rebuilt: at,
            changed: None,
            config_error: None,
            tls_error: None,
            disk_errors: Vec::new(),
            sent: None,
        }
    }

    /// A new build was published.
    pub fn rebuilt(
        &mut self,
        posts: usize,
        documents: usize,
        problems: usize,
        changed: usize,
        at: DateTime<Local>,
    ) {
        *self = Status {
            posts,
            documents,
            problems,
            rebuilt: at,
            changed: Some(changed),
            config_error: self.config_error.take(),
            tls_error: self.tls_error.take(),
            disk_errors: std::mem::take(&mut self.disk_errors),
            sent: self.sent.take(),
        };
    }

    /// The outcome of reading the config file again: `Err` keeps the previous config in force.
    pub fn config_read(&mut self, outcome: Result<(), String>) {
        self.config_error = outcome.err();
    }

    /// The outcome of reading the TLS certificate and key again: `Err` keeps the previous pair.
    pub fn tls_read(&mut self, outcome: Result<(), String>) {
        self.tls_error = outcome.err();
    }

    /// The outcome of writing the last build to disk: each failure, or none.
    pub fn disk_written(&mut self, errors: &[crate::diagnostic::Diagnostic]) {
        self.disk_errors = errors.iter().map(ToString::to_string).collect();
    }

    /// The current line, marked as sent; `None` when it is the line sent last.
    pub fn take_update(&mut self) -> Option<String> {
        let line = self.to_string();
        if self.sent.as_deref() == Some(line.as_str()) {
            return None;
        }
        self.sent = Some(line.clone());
        Some(line)
    }

    /// The current line, marked as sent, whether or not it changed.
    pub fn take_line(&mut self) -> String {
        let line = self.to_string();
        self.sent = Some(line.clone());
        line
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(err) = &self.config_error {
            write!(f, "config not reloaded, previous one in force: {err}; ")?;
        }
        if let Some(err) = &self.tls_error {
            write!(
                f,
                "TLS certificate not reloaded, previous one in force: {err}; "
            )?;
        }
        write!(
            f,
            "{}, {}; last rebuild {}",
            count(self.posts, "post"),
            count(self.documents, "document"),
            self.rebuilt.format("%H:%M:%S"),
        )?;
        if let Some(changed) = self.changed {
            write!(f, " ({changed} changed)")?;
        }
        if self.problems > 0 {
            write!(f, "; {} (see /healthz)", count(self.problems, "problem"))?;
        }
        for error in &self.disk_errors {
            write!(f, "; {error}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Local> {
        Local.with_ymd_and_hms(2024, 5, 1, h, m, s).unwrap()
    }

    #[test]
    fn words_counts_rebuild_time_and_changes() {
        let mut status = Status::new(1, 3, 0, at(4, 0, 0));
        assert_eq!(
            status.to_string(),
            "1 post, 3 documents; last rebuild 04:00:00"
        );
        status.rebuilt(10, 1, 2, 3, at(4, 12, 8));
        assert_eq!(
            status.to_string(),
            "10 posts, 1 document; last rebuild 04:12:08 (3 changed); 2 problems (see /healthz)"
        );
    }

    #[test]
    fn a_config_error_leads_until_a_good_reload() {
        let mut status = Status::new(10, 3, 0, at(4, 0, 0));
        status.config_read(Err("config.toml:2: expected `=`".into()));
        status.rebuilt(11, 3, 0, 1, at(4, 1, 0));
        assert_eq!(
            status.to_string(),
            "config not reloaded, previous one in force: config.toml:2: expected `=`; \
             11 posts, 3 documents; last rebuild 04:01:00 (1 changed)"
        );
        status.config_read(Ok(()));
        assert!(!status.to_string().contains("config"));
    }

    #[test]
    fn a_refused_certificate_is_named_until_a_reload_works() {
        let mut status = Status::new(10, 3, 0, at(4, 0, 0));
        status.tls_read(Err("key.pem: no PEM PRIVATE KEY in it".into()));
        status.rebuilt(10, 3, 0, 0, at(4, 1, 0));
        assert!(
            status
                .to_string()
                .starts_with("TLS certificate not reloaded, previous one in force: key.pem:"),
            "{status}"
        );
        status.tls_read(Ok(()));
        assert!(!status.to_string().contains("TLS"));
    }

    #[test]
    fn disk_errors_follow_the_counts_until_writing_works() {
        let mut status = Status::new(10, 3, 0, at(4, 0, 0));
        let failure = crate::diagnostic::Diagnostic::for_file(
            "public",
            "output folder not updated: read-only",
        );
        status.disk_written(&[failure]);
        status.rebuilt(11, 3, 1, 1, at(4, 1, 0));
        assert_eq!(
            status.to_string(),
            "11 posts, 3 documents; last rebuild 04:01:00 (1 changed); 1 problem (see /healthz); \
             public: output folder not updated: read-only"
        );
        status.disk_written(&[]);
        assert!(!status.to_string().contains("public"));
    }

    #[test]
    fn an_unchanged_line_is_not_sent_twice() {
        let mut status = Status::new(10, 3, 0, at(4, 0, 0));
        assert!(status.take_update().is_some());
        assert_eq!(status.take_update(), None);
        status.config_read(Err("bad".into()));
        assert!(status.take_update().is_some_and(|l| l.contains("bad")));
        assert_eq!(status.take_update(), None);
        assert_eq!(status.take_line(), status.to_string(), "sent regardless");
    }
}
