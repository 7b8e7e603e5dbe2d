//! The four ways a client reaches feedd, as one client type: HTTP/1.1 and HTTP/2 with prior
//! knowledge (h2c) on a plain listener, HTTP/1.1 and HTTP/2 chosen by ALPN on a TLS listener.
//! The TLS daemon's certificate is issued in the test by a throwaway CA (`rcgen`) that only the
//! test client trusts. [`each_protocol`] runs one check over all four, so an HTTP rule is
//! asserted once and holds on every protocol.

// Shared by the topic files; not every topic uses every helper.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::{http1, http2};
use hyper::{Request, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, IsCa, KeyPair, SanType, SerialNumber,
};
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use tokio_rustls::TlsConnector;

use crate::running::{Daemon, Reply};
use crate::support::Site;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http1,
    /// HTTP/2 with prior knowledge on the plain listener.
    H2c,
    /// HTTP/1.1 over TLS, by ALPN.
    Https1,
    /// HTTP/2 over TLS, by ALPN.
    H2,
}

impl Protocol {
    pub const ALL: [Protocol; 4] = [
        Protocol::Http1,
        Protocol::H2c,
        Protocol::Https1,
        Protocol::H2,
    ];

    pub fn is_tls(self) -> bool {
        matches!(self, Protocol::Https1 | Protocol::H2)
    }

    pub fn version(self) -> Version {
        match self {
            Protocol::Http1 | Protocol::Https1 => Version::HTTP_11,
            Protocol::H2c | Protocol::H2 => Version::HTTP_2,
        }
    }
}

/// A certificate authority only the test client trusts.
pub struct TestCa {
    key: KeyPair,
    cert: Certificate,
}

/// A certificate for 127.0.0.1 and its key, as PEM, and the certificate as DER.
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    pub der: Vec<u8>,
}

impl TestCa {
    pub fn new() -> TestCa {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "feedd test CA");
        let cert = params.self_signed(&key).expect("CA certificate");
        TestCa { key, cert }
    }

    /// A server certificate for 127.0.0.1 named `name`, with serial number `serial`.
    pub fn issue(&self, name: &str, serial: u64) -> Issued {
        let key = KeyPair::generate().expect("server key");
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        params
            .subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        params.distinguished_name.push(DnType::CommonName, name);
        params.serial_number = Some(SerialNumber::from(serial));
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("server certificate");
        Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().to_vec(),
        }
    }

    fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(self.cert.der().to_vec()))
            .expect("CA as a root");
        roots
    }
}

impl Issued {
    /// Writes the pair where `[server] tls_cert` and `tls_key` of [`serve_tls`] point.
    pub fn install(&self, site: &Site) {
        std::fs::write(site.path().join("tls-cert.pem"), &self.cert_pem).expect("cert");
        std::fs::write(site.path().join("tls-key.pem"), &self.key_pem).expect("key");
    }
}

/// Gives `site` the TLS keys naming `tls-cert.pem` and `tls-key.pem` beside its config, with
/// `server` lines added under `[server]`, and installs `issued` there.
pub fn serve_tls(site: &Site, issued: &Issued, server: &str) {
    issued.install(site);
    let config = std::fs::read_to_string(site.config()).expect("config");
    let keys = "tls_cert = \"tls-cert.pem\"\ntls_key = \"tls-key.pem\"";
    std::fs::write(
        site.config(),
        format!("{config}\n[server]\n{keys}\n{server}\n"),
    )
    .expect("config");
}

/// Runs `check` over every protocol: against a daemon on `make_site()` for the plain two, and
/// against one on another `make_site()` with TLS for the others.
pub fn each_protocol(make_site: fn() -> Site, check: impl Fn(&Client)) {
    let ca = TestCa::new();
    let plain_site = make_site();
    let plain = Daemon::start(&plain_site.config());
    let tls_site = make_site();
    serve_tls(&tls_site, &ca.issue("feedd test", 1), "");
    let tls = Daemon::start(&tls_site.config());
    for protocol in Protocol::ALL {
        let addr = if protocol.is_tls() {
            tls.addr
        } else {
            plain.addr
        };
        eprintln!("checking over {protocol:?}");
        check(&Client::new(addr, protocol, &ca));
    }
}

/// Requests over one protocol, a fresh connection for each (see [`Client::connect`] for more
/// requests on one connection).
pub struct Client {
    pub addr: SocketAddr,
    pub protocol: Protocol,
    tls: Option<TlsConnector>,
}

impl Client {
    pub fn new(addr: SocketAddr, protocol: Protocol, ca: &TestCa) -> Client {
        let tls = protocol.is_tls().then(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_root_certificates(ca.roots())
                .with_no_client_auth();
            // Every handshake a full one, so each sees the certificate in force.
            config.resumption = rustls::client::Resumption::disabled();
            let alpn: &[u8] = if protocol == Protocol::H2 {
                b"h2"
            } else {
                b"http/1.1"
            };
            config.alpn_protocols = vec![alpn.to_vec()];
            TlsConnector::from(Arc::new(config))
        });
        Client {
            addr,
            protocol,
            tls,
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[])
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.connect().send(method, path, headers)
    }

    /// A connection: TCP, the TLS handshake when the protocol has one, then HTTP's.
    pub fn connect(&self) -> Connection {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (sender, peer_certificate) = runtime.block_on(self.handshake());
        Connection {
            runtime,
            sender,
            peer_certificate,
            client: self.protocol,
            authority: self.addr.to_string(),
        }
    }

    async fn handshake(&self) -> (Sender, Option<Vec<u8>>) {
        let tcp = TcpStream::connect(self.addr).await.expect("connect");
        let Some(connector) = &self.tls else {
            return (http_handshake(self.protocol, tcp).await, None);
        };
        let name = ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
        let stream = connector.connect(name, tcp).await.expect("TLS handshake");
        let session = stream.get_ref().1;
        let wanted: &[u8] = if self.protocol == Protocol::H2 {
            b"h2"
        } else {
            b"http/1.1"
        };
        assert_eq!(session.alpn_protocol(), Some(wanted), "ALPN");
        let certificate = session
            .peer_certificates()
            .and_then(|chain| chain.first())
            .map(|cert| cert.to_vec());
        (http_handshake(self.protocol, stream).await, certificate)
    }
}

enum Sender {
    Http1(http1::SendRequest<Empty<Bytes>>),
    Http2(http2::SendRequest<Empty<Bytes>>),
}

async fn http_handshake<S>(protocol: Protocol, stream: S) -> Sender
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(stream);
    if protocol.version() == Version::HTTP_2 {
        let (sender, connection) = http2::handshake(TokioExecutor::new(), io)
            .await
            .expect("HTTP/2 handshake");
        tokio::spawn(connection);
        Sender::Http2(sender)
    } else {
        let (sender, connection) = http1::handshake(io).await.expect("HTTP/1.1 handshake");
        tokio::spawn(connection);
        Sender::Http1(sender)
    }
}

/// One open connection; requests on it are sent one after another.
pub struct Connection {
    runtime: Runtime,
    sender: Sender,
    /// The server's certificate, on TLS.
    pub peer_certificate: Option<Vec<u8>>,
    client: Protocol,
    authority: String,
}

impl Connection {
    /// Lets the connection read what the server sent for `pause` (a GOAWAY, say) while no
    /// request is under way.
    pub fn idle(&mut self, pause: std::time::Duration) {
        self.runtime
            .block_on(async { tokio::time::sleep(pause).await });
    }

    pub fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        let result = self.try_send(method, path, headers);
        result.unwrap_or_else(|e| panic!("{method} {path} over {:?}: {e}", self.client))
    }

    /// The reply, or why there is none (the server closed the connection, say).
    pub fn try_send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Reply, hyper::Error> {
        let scheme = if self.client.is_tls() {
            "https"
        } else {
            "http"
        };
        let mut builder = Request::builder().method(method);
        builder = match self.sender {
            // HTTP/2 carries the authority in the URI (`:authority`), HTTP/1.1 in `Host`.
            Sender::Http2(_) => builder.uri(format!("{scheme}://{}{path}", self.authority)),
            Sender::Http1(_) => builder.uri(path).header("Host", &self.authority),
        };
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder.body(Empty::new()).expect("request");
        let protocol = self.client;
        let sender = &mut self.sender;
        self.runtime.block_on(async move {
            let response = match sender {
                Sender::Http1(s) => s.send_request(request).await?,
                Sender::Http2(s) => s.send_request(request).await?,
            };
            assert_eq!(response.version(), protocol.version(), "{protocol:?}");
            let (parts, body) = response.into_parts();
            let body = body.collect().await?.to_bytes().to_vec();
            let headers = parts
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
                .collect();
            Ok(Reply {
                status: parts.status.as_u16(),
                headers,
                body,
            })
        })
    }
}
