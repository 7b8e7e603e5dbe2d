//! One publish notification to one hub: the form-encoded POST public hubs accept
//! (`hub.mode=publish&hub.url=<topic>`), over http or https, under a deadline.
//!
//! Which topics to send, when, and how often to try again is `notify`'s business; this only
//! makes one attempt and says how it went.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{CONTENT_TYPE, HeaderValue, USER_AGENT};
use hyper::{Method, Request, StatusCode};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use url::Url;

/// How long opening a connection (TCP, then TLS) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one whole attempt may take, from connecting to the end of the hub's answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// A hub's answer is not read past this: only its status matters.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

const FORM: &str = "application/x-www-form-urlencoded";
const AGENT: &str = concat!("feedd/", env!("CARGO_PKG_VERSION"), " (WebSub publisher)");

/// Why a hub did not take a notification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PingError {
    #[error("the hub answered {0}")]
    Status(StatusCode),
    #[error("no answer within {}s", REQUEST_TIMEOUT.as_secs())]
    Timeout,
    #[error("{0}")]
    Request(String),
}

/// The body of a publish notification for `topic`.
pub fn form_body(topic: &Url) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("hub.mode", "publish")
        .append_pair("hub.url", topic.as_str())
        .finish()
}

/// An HTTP client for hubs; cheap to clone (clones share the connection pool).
#[derive(Debug, Clone)]
pub struct PingClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl PingClient {
    /// A client that speaks http, and https with the Mozilla roots (webpki-roots), so a hub's
    /// certificate is checked the same on every machine whatever its CA store holds.
    pub fn new() -> PingClient {
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.set_nodelay(true);
        // `https_or_http` needs the inner connector to accept https URLs; TLS is done above it.
        http.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            // ring implements the safe default versions (TLS 1.2 and 1.3); this cannot fail.
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        PingClient { client }
    }

    /// Tells `hub` that `topic` changed; `Ok` when it answers 2xx.
    pub async fn ping(&self, hub: &Url, topic: &Url) -> Result<(), PingError> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(hub.as_str())
            .header(CONTENT_TYPE, HeaderValue::from_static(FORM))
            .header(USER_AGENT, HeaderValue::from_static(AGENT))
            .body(Full::new(Bytes::from(form_body(topic))))
            .map_err(|e| PingError::Request(e.to_string()))?;
        let attempt = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| PingError::Request(describe(&e)))?;
            let status = response.status();
            // Read (and drop) the answer, so the connection can be used again.
            let _ = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await;
            if status.is_success() {
                Ok(())
            } else {
                Err(PingError::Status(status))
            }
        };
        tokio::time::timeout(REQUEST_TIMEOUT, attempt)
            .await
            .unwrap_or(Err(PingError::Timeout))
    }
}

impl Default for PingClient {
    fn default() -> PingClient {
        PingClient::new()
    }
}

/// The error and its causes on one line: hyper's own message is only "client error (Connect)".
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_body_names_the_mode_and_the_topic_percent_encoded() {
        let topic = Url::parse("https://example.org/tags/c++ & rust/atom.xml?a=b").unwrap();
        assert_eq!(
            form_body(&topic),
            "hub.mode=publish&hub.url=https%3A%2F%2Fexample.org%2Ftags%2Fc%2B%2B%2520%26%2520rust%2Fatom.xml%3Fa%3Db"
        );
        let decoded: Vec<(String, String)> =
            url::form_urlencoded::parse(form_body(&topic).as_bytes())
                .into_owned()
                .collect();
        assert_eq!(
            decoded,
            [
                ("hub.mode".to_owned(), "publish".to_owned()),
                ("hub.url".to_owned(), topic.to_string()),
            ]
        );
    }

    /// No certificate a test could make is trusted by the Mozilla roots, so this only shows
    /// that https URLs go through TLS: a server that answers in plain text fails the handshake.
    #[tokio::test]
    async fn an_https_hub_is_reached_over_tls() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            if let Ok((mut stream, _)) = listener.accept().await {
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
            }
        });
        let hub = Url::parse(&format!("https://{addr}/")).unwrap();
        let topic = Url::parse("https://example.org/atom.xml").unwrap();
        let error = PingClient::new().ping(&hub, &topic).await.unwrap_err();
        let PingError::Request(message) = &error else {
            panic!("{error:?}");
        };
        assert!(
            message.contains("corrupt message"),
            "a TLS error: {message}"
        );
    }

    #[tokio::test]
    async fn a_hub_that_is_not_listening_is_a_request_error() {
        let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = unused.local_addr().unwrap();
        drop(unused);
        let hub = Url::parse(&format!("http://{addr}/")).unwrap();
        let topic = Url::parse("https://example.org/atom.xml").unwrap();
        let error = PingClient::new().ping(&hub, &topic).await.unwrap_err();
        assert!(matches!(error, PingError::Request(_)), "{error:?}");
    }
}
