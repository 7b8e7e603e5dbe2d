//! A real S3-compatible server for the deploy tests, on a free 127.0.0.1 port: moto's (from
//! `target/py`), or Garage when `FEEDD_GARAGE` names its binary, as `scripts/test-garage` does.
//! It starts with an empty bucket a known key may write, and lists what a deploy left in it as a
//! reader's cache would see each object.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{Attribute, ObjectStore, ObjectStoreExt};

use crate::support::{free_addr, python, stderr};

pub const BUCKET: &str = "feeds";
pub const PREFIX: &str = "blog";
/// A key in the form Garage imports (moto takes any).
pub const ACCESS_KEY_ID: &str = "GK0123456789abcdef01234567";
pub const SECRET_ACCESS_KEY: &str =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// An S3 server on a free 127.0.0.1 port with an empty bucket [`BUCKET`] that the key above may
/// write, killed on drop.
pub struct S3Server {
    child: Child,
    addr: SocketAddr,
    /// Garage's configuration, metadata and data.
    _state: Option<tempfile::TempDir>,
}

impl S3Server {
    pub fn start() -> S3Server {
        match std::env::var_os("FEEDD_GARAGE") {
            Some(garage) => S3Server::garage(Path::new(&garage)),
            None => S3Server::moto(),
        }
    }

    fn moto() -> S3Server {
        let addr = free_addr();
        let child = Command::new(python())
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p"])
            .arg(addr.port().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto: {e}; run scripts/install-deps"));
        let server = S3Server {
            child,
            addr,
            _state: None,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.http("PUT", &format!("/{BUCKET}")) != Some(200) {
            assert!(Instant::now() < deadline, "moto did not start on {addr}");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// A one-node Garage cluster: started, given a layout, the bucket and the key.
    fn garage(binary: &Path) -> S3Server {
        let state = tempfile::tempdir().expect("a folder for Garage");
        let (addr, rpc) = (free_addr(), free_addr());
        let config = state.path().join("garage.toml");
        let dir = state.path().display();
        let toml = format!(
            "metadata_dir = \"{dir}/meta\"\ndata_dir = \"{dir}/data\"\ndb_engine = \"lmdb\"\n\
             replication_factor = 1\nrpc_bind_addr = \"{rpc}\"\nrpc_public_addr = \"{rpc}\"\n\
             rpc_secret = \"{SECRET_ACCESS_KEY}\"\n[s3_api]\ns3_region = \"us-east-1\"\n\
             api_bind_addr = \"{addr}\"\nroot_domain = \".s3.localhost\"\n"
        );
        std::fs::write(&config, toml).expect("Garage's config");
        let garage = |args: &[&str]| {
            Command::new(binary)
                .arg("-c")
                .arg(&config)
                .args(args)
                .output()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()))
        };
        let child = Command::new(binary)
            .arg("-c")
            .arg(&config)
            .arg("server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let server = S3Server {
            child,
            addr,
            _state: Some(state),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let node = loop {
            let id = garage(&["node", "id", "-q"]);
            if id.status.success() {
                break String::from_utf8_lossy(&id.stdout).trim().to_owned();
            }
            assert!(Instant::now() < deadline, "Garage did not start on {addr}");
            std::thread::sleep(Duration::from_millis(100));
        };
        let node = node.split('@').next().unwrap_or_default();
        for step in [
            &["layout", "assign", "-z", "dc1", "-c", "1G", node][..],
            &["layout", "apply", "--version", "1"],
            &["bucket", "create", BUCKET],
            &[
                "key",
                "import",
                "--yes",
                "-n",
                "feedd",
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
            ],
            &[
                "bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", "feedd",
            ],
        ] {
            let output = garage(step);
            assert!(
                output.status.success(),
                "garage {step:?}: {}",
                stderr(&output)
            );
        }
        server
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// One bare request; the status code, `None` while nothing listens.
    fn http(&self, method: &str, path: &str) -> Option<u16> {
        let mut stream = TcpStream::connect(self.addr).ok()?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply).ok()?;
        reply.split(' ').nth(1)?.parse().ok()
    }

    /// Every object under the prefix: key below it → what S3 says of it.
    pub fn objects(&self) -> BTreeMap<String, Object> {
        // As feedd does: reqwest has no crypto provider of its own here (see Cargo.toml).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store = AmazonS3Builder::new()
            .with_bucket_name(BUCKET)
            .with_region("us-east-1")
            .with_endpoint(self.endpoint())
            .with_allow_http(true)
            .with_access_key_id(ACCESS_KEY_ID)
            .with_secret_access_key(SECRET_ACCESS_KEY)
            .build()
            .expect("an S3 client");
        let store: Arc<dyn ObjectStore> = Arc::new(store);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(list(store))
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An object as a reader's cache would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub body: Vec<u8>,
    pub e_tag: Option<String>,
    pub last_modified: chrono::DateTime<chrono::Utc>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_encoding: Option<String>,
}

async fn list(store: Arc<dyn ObjectStore>) -> BTreeMap<String, Object> {
    use futures_util::TryStreamExt;
    let metas: Vec<_> = (store.list(Some(&ObjectPath::from(PREFIX))))
        .try_collect()
        .await
        .expect("list the bucket");
    let mut objects = BTreeMap::new();
    for meta in metas {
        let got = store.get(&meta.location).await.expect("get an object");
        let attribute = |a| got.attributes.get(&a).map(|v| v.to_string());
        let (content_type, cache_control, content_encoding) = (
            attribute(Attribute::ContentType),
            attribute(Attribute::CacheControl),
            attribute(Attribute::ContentEncoding),
        );
        let key = meta
            .location
            .as_ref()
            .trim_start_matches("blog/")
            .to_owned();
        let object = Object {
            e_tag: meta.e_tag,
            last_modified: meta.last_modified,
            content_type,
            cache_control,
            content_encoding,
            body: got.bytes().await.expect("an object's body").to_vec(),
        };
        objects.insert(key, object);
    }
    objects
}
