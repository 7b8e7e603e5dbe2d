//! The manifest of what a target holds, kept in `state_dir` between rounds and runs: one JSON
//! object of path → fingerprint per target, named after the target, so two buckets (or a bucket
//! and a command) keep separate lists. Written atomically after every round, including a round
//! that failed half-way, so what did reach the target is not sent again.

use std::path::{Path, PathBuf};

use super::DeployError;
use super::plan::Manifest;

/// Where the manifest of the target described by `key` lives.
pub fn path(state_dir: &Path, key: &str) -> PathBuf {
    let hash = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
    state_dir.join(format!("deploy-{hash:016x}.json"))
}

/// The manifest at `path`; empty when there is none yet (the first round uploads everything).
pub fn load(path: &Path) -> Result<Manifest, DeployError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Manifest::new()),
        Err(error) => {
            return Err(DeployError::Manifest {
                path: path.to_path_buf(),
                error: error.to_string(),
            });
        }
    };
    serde_json::from_str(&text).map_err(|error| DeployError::Manifest {
        path: path.to_path_buf(),
        error: format!("{error}; delete it to upload everything again"),
    })
}

pub fn save(path: &Path, manifest: &Manifest) -> Result<(), DeployError> {
    let mut text = serde_json::to_string_pretty(manifest).unwrap_or_default();
    text.push('\n');
    crate::atomic_file::write(path, text.as_bytes()).map_err(|error| DeployError::Manifest {
        path: path.to_path_buf(),
        error: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_manifest_loads_back_and_a_missing_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let at = path(&dir.path().join("state"), "s3://bucket/");
        assert_ne!(at, path(dir.path(), "s3://other/"));
        assert_eq!(load(&at).unwrap(), Manifest::new());
        let manifest: Manifest = [("rss.xml".to_owned(), "ab".to_owned())].into();
        save(&at, &manifest).unwrap();
        assert_eq!(load(&at).unwrap(), manifest);
        std::fs::write(&at, "{").unwrap();
        let err = load(&at).unwrap_err().to_string();
        assert!(err.contains("delete it"), "{err}");
    }
}
