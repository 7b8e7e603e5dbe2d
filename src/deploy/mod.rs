//! Deploy on change: after each rebuild (daemon) or `--once --deploy`, every changed document is
//! published to the `[deploy]` target, object storage (`object_store_target`) or a command
//! (`command_target`).
//!
//! Which objects to write and delete is `plan`'s pure decision, from the documents and the
//! manifest of what the target holds (`manifest`, kept in `state_dir`). The daemon hands each
//! build to [`Deployer::deploy`], which only replaces the latest job in a channel: serving and
//! rebuilding never wait for a store. A background task deploys the latest job, retries a failed
//! round with backoff (`websub::Retry`, `[deploy] attempts`), and moves on at once to a newer
//! build when one arrives, so a burst of edits coalesces. `status` is what `/healthz` shows.

mod command_target;
mod manifest;
mod object_store_target;
pub mod plan;
mod status;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::watch;

use crate::config::{Config, Deploy, DeployTarget};
use crate::feed::polling::Policy;
use crate::media::MediaFile;
use crate::render::Document;
use crate::websub::Retry;
use command_target::CommandTarget;
pub use object_store_target::ObjectStoreTarget;
use plan::{Manifest, Upload};
pub use status::DeployStatus;

/// Why a round did not bring the target in line with the build; it is retried.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("cannot set up the deploy target: {0}")]
    Setup(String),
    #[error("cannot upload {0}: {1}")]
    Upload(String, String),
    #[error("cannot delete {0}: {1}")]
    Delete(String, String),
    #[error("{0}")]
    Command(String),
    #[error("deploy manifest {}: {error}", path.display())]
    Manifest { path: PathBuf, error: String },
}

/// A build to publish, with the settings in force when it was made.
#[derive(Debug, Clone)]
pub struct Job {
    pub deploy: Deploy,
    pub documents: Vec<Document>,
    /// The media files the documents link to, uploaded beside them.
    pub media: Vec<MediaFile>,
    pub policy: Policy,
    /// The folder the documents were written to: where a command runs.
    pub folder: PathBuf,
    pub state_dir: PathBuf,
}

impl Job {
    /// The job for `documents` and `media` under `config`; `None` when `[deploy]` is not
    /// configured.
    pub fn new(
        config: &Config,
        documents: Vec<Document>,
        media: Vec<MediaFile>,
        folder: &Path,
    ) -> Option<Job> {
        Some(Job {
            deploy: config.deploy.clone()?,
            documents,
            media,
            policy: Policy::from_server(&config.server),
            folder: folder.to_path_buf(),
            state_dir: config.state_dir.clone(),
        })
    }

    fn retry(&self) -> Retry {
        Retry {
            attempts: self.deploy.attempts,
            ..Retry::DEFAULT
        }
    }
}

/// What a successful round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub uploaded: usize,
    pub deleted: usize,
    pub unchanged: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} uploaded, {} deleted, {} unchanged",
            self.uploaded, self.deleted, self.unchanged
        )
    }
}

enum Target {
    Store(ObjectStoreTarget),
    Command(CommandTarget),
}

/// A target opened for one configuration, with its manifest.
struct Session {
    deploy: Deploy,
    folder: PathBuf,
    target: Target,
    manifest_path: PathBuf,
    manifest: Manifest,
}

impl Session {
    fn open(job: &Job) -> Result<Session, DeployError> {
        let (target, key) = match &job.deploy.target {
            DeployTarget::S3(s3) => (
                Target::Store(ObjectStoreTarget::s3(s3, &job.deploy)?),
                job.deploy.describe(),
            ),
            DeployTarget::Command(command) => (
                Target::Command(CommandTarget {
                    command: command.clone(),
                    timeout: job.deploy.timeout,
                }),
                format!("{} in {}", job.deploy.describe(), job.folder.display()),
            ),
        };
        let manifest_path = manifest::path(&job.state_dir, &key);
        Ok(Session {
            manifest: manifest::load(&manifest_path)?,
            deploy: job.deploy.clone(),
            folder: job.folder.clone(),
            target,
            manifest_path,
        })
    }

    fn serves(&self, job: &Job) -> bool {
        self.deploy == job.deploy && self.folder == job.folder
    }

    /// One attempt at bringing the target in line with `uploads`. The manifest is saved even
    /// when the round fails, so what reached the target is not sent again.
    async fn round(
        &mut self,
        uploads: &[Upload],
        status: &DeployStatus,
    ) -> Result<Report, DeployError> {
        let plan = plan::plan(uploads, &self.manifest);
        status.set_pending(plan.pending());
        if plan.is_empty() {
            return Ok(Report {
                unchanged: plan.unchanged,
                ..Report::default()
            });
        }
        let applied = match &self.target {
            Target::Store(store) => store.apply(uploads, &plan, &mut self.manifest).await,
            Target::Command(command) => {
                (command.apply(&self.folder, uploads, &plan, &mut self.manifest)).await
            }
        };
        let saved = manifest::save(&self.manifest_path, &self.manifest);
        applied.and(saved)?;
        Ok(Report {
            uploaded: plan.put.len(),
            deleted: plan.delete.len(),
            unchanged: plan.unchanged,
        })
    }
}

/// One attempt at `job`, opening (or reopening, after a reload) the target first.
async fn attempt(
    session: &mut Option<Session>,
    job: &Job,
    uploads: &[Upload],
    status: &DeployStatus,
) -> Result<Report, DeployError> {
    if !session.as_ref().is_some_and(|s| s.serves(job)) {
        *session = None;
        *session = Some(Session::open(job)?);
    }
    match session.as_mut() {
        Some(session) => session.round(uploads, status).await,
        None => Err(DeployError::Setup("no target".into())),
    }
}

/// The sending end the daemon keeps; the background task stops when it is dropped.
#[derive(Debug)]
pub struct Deployer {
    sender: watch::Sender<Option<Arc<Job>>>,
    status: DeployStatus,
}

impl Deployer {
    /// Starts the background task on the current tokio runtime.
    pub fn spawn(status: DeployStatus) -> Deployer {
        let (sender, receiver) = watch::channel(None);
        tokio::spawn(run(receiver, status.clone()));
        Deployer { sender, status }
    }

    /// Replaces the build to publish with `documents` and `media` and returns at once; does
    /// nothing but clear the status when `[deploy]` is not configured.
    pub fn deploy(&self, config: &Config, documents: &[Document], media: &[MediaFile]) {
        self.status
            .set_target(config.deploy.as_ref().map(Deploy::describe));
        // Checked first: a site without `[deploy]` does not even copy the document list.
        if config.deploy.is_none() {
            return;
        }
        let (documents, media) = (documents.to_vec(), media.to_vec());
        if let Some(job) = Job::new(config, documents, media, &config.output_dir) {
            self.sender.send_replace(Some(Arc::new(job)));
        }
    }

    pub fn status(&self) -> &DeployStatus {
        &self.status
    }
}

/// The background task: deploys the latest job, with retries; a newer job cuts a backoff short.
async fn run(mut receiver: watch::Receiver<Option<Arc<Job>>>, status: DeployStatus) {
    let mut session = None;
    let mut next = None;
    loop {
        let job = match next.take() {
            Some(job) => job,
            None => match receiver.changed().await {
                Ok(()) => match receiver.borrow_and_update().clone() {
                    Some(job) => job,
                    None => continue,
                },
                Err(_) => return,
            },
        };
        let uploads = plan::uploads(&job.documents, &job.media, job.policy);
        let target = job.deploy.describe();
        let mut attempts = 1;
        loop {
            let error = match attempt(&mut session, &job, &uploads, &status).await {
                Ok(report) => {
                    succeeded(&status, &target, report, attempts);
                    break;
                }
                Err(error) => error,
            };
            failed(&status, &target, &error, attempts);
            let Some(delay) = job.retry().delay_after(attempts) else {
                tracing::error!("deploy to {target}: giving up until the next change: {error}");
                break;
            };
            attempts += 1;
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                changed = receiver.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    next = receiver.borrow_and_update().clone();
                    break;
                }
            }
        }
    }
}

fn succeeded(status: &DeployStatus, target: &str, report: Report, attempts: u32) {
    status.succeeded(Utc::now());
    if report.uploaded + report.deleted > 0 || attempts > 1 {
        tracing::info!("deployed to {target}: {report}");
    } else {
        tracing::debug!("deploy to {target}: nothing changed");
    }
}

fn failed(status: &DeployStatus, target: &str, error: &DeployError, attempts: u32) {
    status.failed(error.to_string(), Utc::now());
    if attempts == 1 {
        tracing::warn!("deploy to {target} failed, retrying: {error}");
    } else {
        tracing::debug!("deploy to {target}: attempt {attempts} failed: {error}");
    }
}

/// `--once --deploy`: deploys `job` to the end on a runtime of its own, with every retry; the
/// last error when every attempt failed.
pub fn deploy_once(job: &Job) -> Result<Report, DeployError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DeployError::Setup(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let status = DeployStatus::default();
        let uploads = plan::uploads(&job.documents, &job.media, job.policy);
        let mut session = None;
        let mut attempts = 1;
        loop {
            let error = match attempt(&mut session, job, &uploads, &status).await {
                Ok(report) => return Ok(report),
                Err(error) => error,
            };
            let Some(delay) = job.retry().delay_after(attempts) else {
                return Err(error);
            };
            tracing::warn!("deploy attempt {attempts} failed, retrying in {delay:?}: {error}");
            attempts += 1;
            tokio::time::sleep(delay).await;
        }
    })
}
