//! The object storage target: each document one object, uploaded with the headers the HTTP
//! server sends (`Content-Type`, `Cache-Control`), through the `object_store` crate. A media
//! file is uploaded the same way (never compressed), in parts read from disk as they go.
//!
//! One uncompressed object per document, at the document's own path: S3 serves an object's
//! bytes as stored whatever the request's `Accept-Encoding`, so an object stored compressed would
//! reach clients that cannot read it; CDNs compress text at the edge and cache one copy per
//! coding. A round uploads every changed document (a few at a time) and deletes the stale ones
//! only once every upload succeeded, so readers never meet a document that links to a page not
//! uploaded yet. Retrying a round is the caller's job: the client's own retries are off.

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, ClientOptions, ObjectStore, ObjectStoreExt, PutMultipartOptions,
    PutOptions, PutPayload, RetryConfig, WriteMultipart,
};
use tokio::io::AsyncReadExt;
use tokio::task::JoinSet;

use super::DeployError;
use super::plan::{Body, Manifest, Plan, Upload};
use crate::config::{Deploy, S3Target};

/// Uploads in flight at once: enough to hide a round trip, few enough to be polite.
const CONCURRENT_UPLOADS: usize = 8;
/// How much of a media file one read takes; `WriteMultipart` gathers them into parts (5 MiB).
const FILE_CHUNK: usize = 256 * 1024;
/// Parts of one media file in flight at once.
const PARTS_IN_FLIGHT: usize = 2;

/// A store and the key prefix documents go under.
#[derive(Debug, Clone)]
pub struct ObjectStoreTarget {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

impl ObjectStoreTarget {
    /// An S3 (or S3-compatible) bucket; credentials from the configured files, else from
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
    pub fn s3(s3: &S3Target, deploy: &Deploy) -> Result<ObjectStoreTarget, DeployError> {
        // reqwest is built without a crypto provider of its own (`rustls-no-provider`): its TLS
        // uses ring, like the rest of feedd, rather than compiling aws-lc as well. An error
        // only says one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let options = ClientOptions::new()
            .with_timeout(deploy.timeout)
            .with_connect_timeout(deploy.timeout.min(std::time::Duration::from_secs(10)));
        let retry = RetryConfig {
            max_retries: 0,
            ..RetryConfig::default()
        };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&s3.bucket)
            .with_region(&s3.region)
            .with_client_options(options)
            .with_retry(retry);
        if let Some(endpoint) = &s3.endpoint {
            let endpoint = endpoint.as_str().trim_end_matches('/');
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http:"));
        }
        for (name, value) in credentials(s3)? {
            builder = match name {
                "AWS_ACCESS_KEY_ID" => builder.with_access_key_id(value),
                "AWS_SECRET_ACCESS_KEY" => builder.with_secret_access_key(value),
                _ => builder.with_token(value),
            };
        }
        let store = builder
            .build()
            .map_err(|e| DeployError::Setup(e.to_string()))?;
        Ok(ObjectStoreTarget::new(Arc::new(store), &s3.prefix))
    }

    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> ObjectStoreTarget {
        ObjectStoreTarget {
            store,
            prefix: prefix.trim_matches('/').to_owned(),
        }
    }

    fn key(&self, path: &str) -> ObjectPath {
        match self.prefix.as_str() {
            "" => ObjectPath::from(path),
            prefix => ObjectPath::from(format!("{prefix}/{path}")),
        }
    }

    /// Uploads, then (when all went in) deletes; the manifest follows each success.
    pub async fn apply(
        &self,
        uploads: &[Upload],
        plan: &Plan,
        manifest: &mut Manifest,
    ) -> Result<(), DeployError> {
        let mut failure = None;
        let mut sends = JoinSet::new();
        let mut queue = plan.put.iter().map(|&i| uploads[i].clone());
        loop {
            while sends.len() < CONCURRENT_UPLOADS {
                let Some(upload) = queue.next() else { break };
                let (store, key) = (Arc::clone(&self.store), self.key(&upload.path));
                sends.spawn(async move {
                    let sent = put(store.as_ref(), &key, &upload).await;
                    (upload, sent)
                });
            }
            let Some(joined) = sends.join_next().await else {
                break;
            };
            match joined {
                Ok((upload, Ok(()))) => {
                    manifest.insert(upload.path, upload.fingerprint);
                }
                Ok((upload, Err(error))) => {
                    failure.get_or_insert(DeployError::Upload(upload.path, error));
                }
                Err(join) => {
                    failure.get_or_insert(DeployError::Setup(join.to_string()));
                }
            }
        }
        if let Some(failure) = failure {
            return Err(failure);
        }
        for path in &plan.delete {
            match self.store.delete(&self.key(path)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {
                    manifest.remove(path);
                }
                Err(error) => return Err(DeployError::Delete(path.clone(), error.to_string())),
            }
        }
        Ok(())
    }
}

async fn put(store: &dyn ObjectStore, key: &ObjectPath, upload: &Upload) -> Result<(), String> {
    let mut attributes = Attributes::new();
    attributes.insert(Attribute::ContentType, upload.content_type.clone().into());
    attributes.insert(Attribute::CacheControl, upload.cache_control.clone().into());
    let bytes = match &upload.body {
        Body::Bytes(bytes) => bytes.clone(),
        Body::File(file) => return put_file(store, key, file, attributes).await,
    };
    let options = PutOptions::from(attributes);
    store
        .put_opts(key, PutPayload::from_bytes(bytes), options)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Uploads a media file in parts, read as they are sent, so an episode is never whole in memory.
async fn put_file(
    store: &dyn ObjectStore,
    key: &ObjectPath,
    file: &std::path::Path,
    attributes: Attributes,
) -> Result<(), String> {
    let read_error = |e: std::io::Error| format!("cannot read {}: {e}", file.display());
    let mut input = tokio::fs::File::open(file).await.map_err(read_error)?;
    let options = PutMultipartOptions {
        attributes,
        ..PutMultipartOptions::default()
    };
    let upload = (store.put_multipart_opts(key, options).await).map_err(|e| e.to_string())?;
    let mut writer = WriteMultipart::new(upload);
    let mut chunk = vec![0; FILE_CHUNK];
    loop {
        let read = match input.read(&mut chunk).await {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) => {
                let _ = writer.abort().await;
                return Err(read_error(error));
            }
        };
        if let Err(error) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
            return Err(error.to_string());
        }
        writer.write(&chunk[..read]);
    }
    writer.finish().await.map(drop).map_err(|e| e.to_string())
}

/// The access key pair (and session token) read from the configured files, else from the
/// environment; empty when neither has them (the client then tries instance credentials).
fn credentials(s3: &S3Target) -> Result<Vec<(&'static str, String)>, DeployError> {
    let mut found = Vec::new();
    match (&s3.access_key_id_file, &s3.secret_access_key_file) {
        (Some(id), Some(secret)) => {
            for (name, path) in [("AWS_ACCESS_KEY_ID", id), ("AWS_SECRET_ACCESS_KEY", secret)] {
                let value = std::fs::read_to_string(path).map_err(|error| {
                    DeployError::Setup(format!("cannot read {}: {error}", path.display()))
                })?;
                found.push((name, value.trim().to_owned()));
            }
        }
        _ => {
            for name in [
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
            ] {
                if let Some(value) = std::env::var(name).ok().filter(|v| !v.is_empty()) {
                    found.push((name, value));
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use object_store::memory::InMemory;

    use super::*;
    use crate::deploy::plan::{plan, uploads};
    use crate::feed::polling::Policy;
    use crate::format::Format;
    use crate::render::{Document, Lifetime};

    fn document(path: &str, body: &str) -> Document {
        Document::for_test(path, Format::Atom, body, Lifetime::Current)
    }

    #[tokio::test]
    async fn uploads_with_headers_then_deletes_what_went_away() {
        let store = Arc::new(InMemory::new());
        let target = ObjectStoreTarget::new(store.clone(), "/blog/");
        let policy = Policy {
            max_age: 60,
            archive_max_age: 600,
        };
        let mut manifest = Manifest::new();
        let first = uploads(
            &[document("atom.xml", "1"), document("tags/x/atom.xml", "1")],
            &[],
            policy,
        );
        target
            .apply(&first, &plan(&first, &manifest), &mut manifest)
            .await
            .unwrap();
        let got = store.get(&ObjectPath::from("blog/atom.xml")).await.unwrap();
        assert_eq!(
            got.attributes
                .get(&Attribute::ContentType)
                .map(|v| v.as_ref()),
            Some("application/atom+xml; charset=utf-8")
        );
        assert_eq!(
            got.attributes
                .get(&Attribute::CacheControl)
                .map(|v| v.as_ref()),
            Some("public, max-age=60")
        );
        let second = uploads(&[document("atom.xml", "2")], &[], policy);
        target
            .apply(&second, &plan(&second, &manifest), &mut manifest)
            .await
            .unwrap();
        assert!(
            store
                .head(&ObjectPath::from("blog/tags/x/atom.xml"))
                .await
                .is_err()
        );
        let body = store
            .get(&ObjectPath::from("blog/atom.xml"))
            .await
            .unwrap()
            .bytes()
            .await;
        assert_eq!(body.unwrap(), Bytes::from_static(b"2"));
        assert_eq!(manifest.keys().collect::<Vec<_>>(), ["atom.xml"]);
    }

    #[tokio::test]
    async fn a_media_file_is_uploaded_in_parts_with_its_type_and_no_coding() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("one.mp3");
        // Over one part (5 MiB), so it goes up in several.
        let bytes: Vec<u8> = (0..6_000_000u32).map(|i| (i % 249) as u8).collect();
        std::fs::write(&source, &bytes).unwrap();
        let (length, modified) = crate::output::stamp(&source).unwrap();
        let file = crate::media::MediaFile {
            path: "episodes/one.mp3".into(),
            source,
            mime: "audio/mpeg".into(),
            length,
            modified,
        };
        let store = Arc::new(InMemory::new());
        let target = ObjectStoreTarget::new(store.clone(), "");
        let policy = Policy {
            max_age: 60,
            archive_max_age: 600,
        };
        let mut manifest = Manifest::new();
        let wanted = uploads(&[document("atom.xml", "1")], &[file], policy);
        target
            .apply(&wanted, &plan(&wanted, &manifest), &mut manifest)
            .await
            .unwrap();
        let got = store
            .get(&ObjectPath::from("episodes/one.mp3"))
            .await
            .unwrap();
        let attribute = |name| got.attributes.get(&name).map(|v| v.to_string());
        assert_eq!(
            attribute(Attribute::ContentType).as_deref(),
            Some("audio/mpeg")
        );
        assert_eq!(attribute(Attribute::ContentEncoding), None);
        assert_eq!(
            attribute(Attribute::CacheControl).as_deref(),
            Some("public, max-age=60")
        );
        assert!(got.bytes().await.unwrap() == bytes);
        assert_eq!(manifest.len(), 2);
    }
}
