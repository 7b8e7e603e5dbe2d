//! `[deploy]`: where every changed document is published after a rebuild, besides being served
//! and written: S3-compatible object storage (`bucket = …`) or a command (`command = [...]`).
//!
//! Only the keys and their checks live here; uploading is `deploy`'s job. Secrets never sit in
//! `config.toml`: the S3 keys come from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` or from files
//! the config names.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::defaults;

/// The validated `[deploy]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deploy {
    pub target: DeployTarget,
    /// The longest one request (S3) or one run of the command may take.
    pub timeout: Duration,
    /// Attempts per round, the first included, before a round is given up until the next change.
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployTarget {
    S3(S3Target),
    /// The program and its first arguments; the changed paths are appended.
    Command(Vec<String>),
}

/// An S3 bucket, on AWS or any S3-compatible store (`endpoint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Target {
    pub bucket: String,
    pub region: String,
    /// `None` for AWS itself.
    pub endpoint: Option<Url>,
    /// Prepended to every key, without slashes at either end ("" for none).
    pub prefix: String,
    /// Files holding the access key id and the secret key (e.g. systemd credentials); without
    /// them the standard `AWS_*` environment variables are used.
    pub access_key_id_file: Option<PathBuf>,
    pub secret_access_key_file: Option<PathBuf>,
}

impl Deploy {
    /// Resolves the credential files against the config file's folder.
    pub(super) fn resolve(&mut self, base: &Path) {
        if let DeployTarget::S3(s3) = &mut self.target {
            for file in [&mut s3.access_key_id_file, &mut s3.secret_access_key_file] {
                if let Some(path) = file.as_mut() {
                    *path = base.join(&*path);
                }
            }
        }
    }

    /// Where the documents go, for logs and `/healthz`: `s3://bucket/prefix` or the program.
    pub fn describe(&self) -> String {
        match &self.target {
            DeployTarget::S3(s3) => {
                let host = s3.endpoint.as_ref().map(|e| format!(" at {e}"));
                format!(
                    "s3://{}/{}{}",
                    s3.bucket,
                    s3.prefix,
                    host.unwrap_or_default()
                )
            }
            DeployTarget::Command(command) => format!("command `{}`", command.join(" ")),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDeploy {
    bucket: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    prefix: Option<String>,
    access_key_id_file: Option<PathBuf>,
    secret_access_key_file: Option<PathBuf>,
    command: Option<Vec<String>>,
    timeout_secs: Option<u64>,
    attempts: Option<u32>,
}

impl RawDeploy {
    pub(super) fn validate(self) -> Result<Deploy, String> {
        use defaults::deploy as d;
        let timeout_secs = self.timeout_secs.unwrap_or(d::TIMEOUT_SECS);
        let attempts = self.attempts.unwrap_or(d::ATTEMPTS);
        if timeout_secs == 0 || attempts == 0 {
            return Err("`deploy.timeout_secs` and `deploy.attempts` must be at least 1".into());
        }
        let command = self.command.clone().filter(|c| !c.is_empty());
        let target = match (self.bucket.is_some(), command) {
            (true, Some(_)) => {
                return Err("`[deploy]` names both `bucket` and `command`; keep one".into());
            }
            (false, Some(command)) => DeployTarget::Command(command),
            (true, None) => DeployTarget::S3(self.s3()?),
            (false, None) => {
                return Err(
                    "`[deploy]` needs a target: `bucket = \"…\"` for S3-compatible \
                     object storage, or `command = [\"rsync\", …]`"
                        .into(),
                );
            }
        };
        Ok(Deploy {
            target,
            timeout: Duration::from_secs(timeout_secs),
            attempts,
        })
    }

    fn s3(self) -> Result<S3Target, String> {
        let bucket = self.bucket.unwrap_or_default();
        if bucket.is_empty() || bucket.contains('/') {
            return Err(format!(
                "`deploy.bucket = \"{bucket}\"` must be a bucket name, without slashes; \
                 put a folder in `deploy.prefix`"
            ));
        }
        let endpoint = self.endpoint.as_deref().map(check_endpoint).transpose()?;
        if self.access_key_id_file.is_some() != self.secret_access_key_file.is_some() {
            return Err(
                "`deploy.access_key_id_file` and `deploy.secret_access_key_file` go \
                 together; name both, or neither to use AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY"
                    .into(),
            );
        }
        Ok(S3Target {
            bucket,
            region: self
                .region
                .unwrap_or_else(|| defaults::deploy::REGION.into()),
            endpoint,
            prefix: self
                .prefix
                .unwrap_or_else(|| defaults::deploy::PREFIX.into())
                .trim_matches('/')
                .to_owned(),
            access_key_id_file: self.access_key_id_file,
            secret_access_key_file: self.secret_access_key_file,
        })
    }
}

fn check_endpoint(endpoint: &str) -> Result<Url, String> {
    match Url::parse(endpoint) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(format!(
            "`deploy.endpoint = \"{endpoint}\"` is not an absolute http(s) URL, \
             e.g. \"https://<account>.r2.cloudflarestorage.com\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Deploy, String> {
        toml::from_str::<RawDeploy>(text)
            .map_err(|e| e.to_string())?
            .validate()
    }

    #[test]
    fn a_bucket_is_an_s3_target_with_defaults() {
        let deploy = parse("bucket = \"feeds\"\nprefix = \"/blog/\"").unwrap();
        let DeployTarget::S3(s3) = &deploy.target else {
            panic!("{deploy:?}")
        };
        assert_eq!(s3.bucket, "feeds");
        assert_eq!(s3.prefix, "blog");
        assert_eq!(s3.region, defaults::deploy::REGION);
        assert_eq!(deploy.attempts, defaults::deploy::ATTEMPTS);
        assert_eq!(deploy.describe(), "s3://feeds/blog");
    }

    #[test]
    fn a_command_is_a_command_target() {
        let deploy = parse("command = [\"rsync\", \"-a\"]\ntimeout_secs = 5").unwrap();
        assert_eq!(
            deploy.target,
            DeployTarget::Command(vec!["rsync".into(), "-a".into()])
        );
        assert_eq!(deploy.timeout, Duration::from_secs(5));
    }

    #[test]
    fn refusals_say_what_to_write() {
        for (text, wanted) in [
            ("", "needs a target"),
            ("command = []", "needs a target"),
            ("bucket = \"b\"\ncommand = [\"x\"]", "keep one"),
            ("bucket = \"a/b\"", "without slashes"),
            (
                "bucket = \"b\"\nendpoint = \"localhost:9000\"",
                "absolute http(s)",
            ),
            ("bucket = \"b\"\naccess_key_id_file = \"k\"", "go together"),
            ("bucket = \"b\"\nattempts = 0", "at least 1"),
            ("bucket = \"b\"\naccess_key = \"secret\"", "unknown field"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(wanted), "{text:?}: {err}");
        }
    }
}
