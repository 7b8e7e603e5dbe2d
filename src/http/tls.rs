//! TLS for the HTTP server: the certificate chain and key read from the files `[server] tls_cert`
//! and `tls_key` name, the rustls configuration (ring, ALPN `h2` and `http/1.1`), and the
//! handshake. The certificate in force sits behind an [`ArcSwap`] that the server's resolver
//! reads at each handshake, so [`Tls::reload`] (the daemon's SIGHUP) changes what new clients
//! see without touching open connections, and a reload that fails keeps the old pair.
//!
//! Admission, limits and HTTP itself are `connection`'s; this module only turns a socket into an
//! encrypted one.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use rustls::crypto::ring;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::config::TlsFiles;

/// The protocols offered in ALPN, preferred first.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Why a certificate and key cannot be used. Each message names the file and what to fix.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    // `error`, not `source`: the message includes it, and a source would be printed twice.
    #[error("cannot read the TLS {what} {}: {error} (`[server] tls_{what}`)", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        error: io::Error,
    },
    #[error(
        "{}: no PEM {label} in it ({reason}); `[server] tls_{what}` must name a PEM file with a \
         `-----BEGIN {label}-----` block",
        path.display()
    )]
    NotPem {
        what: &'static str,
        label: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error(
        "{}: unsupported private key ({error}); use an ECDSA (P-256, P-384), Ed25519 or RSA key",
        path.display()
    )]
    UnsupportedKey { path: PathBuf, error: rustls::Error },
    #[error(
        "{}: the private key does not belong to the certificate in {} ({error}); \
         `[server] tls_key` and `tls_cert` must be a pair",
        key.display(),
        cert.display()
    )]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        error: rustls::Error,
    },
    #[error("cannot set up TLS: {0}")]
    Setup(rustls::Error),
}

/// The server's TLS: what new handshakes use. Cloning shares it, so the daemon's reload and the
/// server's connections see one certificate.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
    current: Arc<Current>,
}

/// The certificate in force, read by rustls at each handshake.
#[derive(Debug)]
struct Current(ArcSwap<CertifiedKey>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.load_full())
    }
}

impl Tls {
    /// Reads and checks the certificate chain and key `files` name.
    pub fn load(files: &TlsFiles) -> Result<Tls, TlsError> {
        let current = Arc::new(Current(ArcSwap::from(read_pair(files)?)));
        let provider = Arc::new(ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Setup)?
            .with_no_client_auth()
            .with_cert_resolver(current.clone());
        config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            current,
        })
    }

    /// Reads `files` again. Handshakes from now on use the new pair; connections already open
    /// keep theirs. On an error the pair in force stays.
    pub fn reload(&self, files: &TlsFiles) -> Result<(), TlsError> {
        self.current.0.store(read_pair(files)?);
        Ok(())
    }

    /// The TLS handshake on `stream`. The caller bounds how long it may take.
    pub(super) async fn accept<S>(&self, stream: S) -> io::Result<TlsStream<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        self.acceptor.accept(stream).await
    }
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

impl PartialEq for Tls {
    /// The same shared state, not the same certificate.
    fn eq(&self, other: &Tls) -> bool {
        Arc::ptr_eq(&self.current, &other.current)
    }
}

impl Eq for Tls {}

/// The chain and key of `files`, checked to belong together.
fn read_pair(files: &TlsFiles) -> Result<Arc<CertifiedKey>, TlsError> {
    let chain = read_chain(&files.cert)?;
    let key = read_key(&files.key)?;
    let signer =
        ring::sign::any_supported_type(&key).map_err(|error| TlsError::UnsupportedKey {
            path: files.key.clone(),
            error,
        })?;
    let pair = CertifiedKey::new(chain, signer);
    pair.keys_match().map_err(|error| TlsError::Mismatch {
        cert: files.cert.clone(),
        key: files.key.clone(),
        error,
    })?;
    Ok(Arc::new(pair))
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read("cert", path)?;
    let not_pem = |reason: String| TlsError::NotPem {
        what: "cert",
        label: "CERTIFICATE",
        path: path.to_path_buf(),
        reason,
    };
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| not_pem(e.to_string()))?;
    if chain.is_empty() {
        return Err(not_pem("no certificate found".into()));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read("key", path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| TlsError::NotPem {
        what: "key",
        label: "PRIVATE KEY",
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::Read {
        what,
        path: path.to_path_buf(),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate for `name` and its key, as PEM.
    fn pair(name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }

    fn files(dir: &Path, cert: &str, key: &str) -> TlsFiles {
        let files = TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&files.cert, cert).unwrap();
        std::fs::write(&files.key, key).unwrap();
        files
    }

    #[test]
    fn a_matching_pair_loads_and_offers_h2_then_http_1_1() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = pair("localhost");
        let tls = Tls::load(&files(dir.path(), &cert, &key)).unwrap();
        let offered: Vec<&[u8]> = tls
            .acceptor
            .config()
            .alpn_protocols
            .iter()
            .map(Vec::as_slice)
            .collect();
        assert_eq!(offered, ALPN);
    }

    #[test]
    fn each_unusable_file_is_named_with_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = pair("localhost");
        let (_, other_key) = pair("localhost");
        let message = |files: &TlsFiles| Tls::load(files).err().unwrap().to_string();

        let missing = TlsFiles {
            cert: dir.path().join("nope.pem"),
            key: dir.path().join("key.pem"),
        };
        let text = message(&missing);
        assert!(
            text.contains("cannot read the TLS cert") && text.contains("nope.pem"),
            "{text}"
        );

        let text = message(&files(dir.path(), "not a certificate", &key));
        assert!(text.contains("cert.pem: no PEM CERTIFICATE"), "{text}");

        let text = message(&files(dir.path(), &cert, &cert));
        assert!(text.contains("key.pem: no PEM PRIVATE KEY"), "{text}");

        let text = message(&files(dir.path(), &cert, &other_key));
        assert!(
            text.contains("key.pem: the private key does not belong to the certificate in"),
            "{text}"
        );
        assert!(text.contains("cert.pem"), "{text}");
    }

    #[test]
    fn a_failed_reload_keeps_the_pair_in_force() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = pair("a.example");
        let files = files(dir.path(), &cert, &key);
        let tls = Tls::load(&files).unwrap();
        let before = tls.current.0.load_full();
        std::fs::write(&files.key, "garbage").unwrap();
        assert!(tls.reload(&files).is_err());
        assert!(Arc::ptr_eq(&before, &tls.current.0.load_full()));
        let (cert, key) = pair("b.example");
        std::fs::write(&files.cert, cert).unwrap();
        std::fs::write(&files.key, key).unwrap();
        tls.reload(&files).unwrap();
        assert_ne!(before.cert, tls.current.0.load_full().cert);
    }
}
