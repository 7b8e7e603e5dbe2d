//! The hub's outgoing HTTP client: hyper-util's pooled client over rustls (ring, Mozilla's
//! roots), connecting only through [`CheckedResolver`] so every request obeys the address
//! policy, with a deadline on connecting and on the whole exchange. Redirects are not followed:
//! a callback that redirects has not confirmed anything.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Request, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as Pool;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use url::Url;

use super::callback::{CallbackError, CheckedResolver, Policy};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const USER_AGENT: &str = concat!("feedd/", env!("CARGO_PKG_VERSION"), " (WebSub hub)");

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Refused(#[from] CallbackError),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Failed(String),
}

/// An answer: its status and up to the first `body_limit` bytes of its body (`None` past it).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Option<Bytes>,
}

#[derive(Clone, Debug)]
pub struct Client {
    pool: Pool<HttpsConnector<HttpConnector<CheckedResolver>>, Full<Bytes>>,
    policy: Policy,
    timeout: Duration,
}

impl Client {
    /// A client under `policy` whose every exchange ends within `timeout`.
    pub fn new(policy: Policy, timeout: Duration) -> Result<Client, rustls::Error> {
        let mut http = HttpConnector::new_with_resolver(CheckedResolver(policy));
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let pool = Pool::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(32)
            .build(https);
        Ok(Client {
            pool,
            policy,
            timeout,
        })
    }

    /// A request to `url` with `method` and no headers yet.
    pub fn request(url: &Url, method: hyper::Method, body: Bytes) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = method;
        *request.uri_mut() = uri(url);
        request.headers_mut().insert(
            hyper::header::USER_AGENT,
            hyper::header::HeaderValue::from_static(USER_AGENT),
        );
        request
    }

    /// Sends `request` (made for `url`) and reads at most `body_limit` bytes of the answer.
    pub async fn send(
        &self,
        url: &Url,
        request: Request<Full<Bytes>>,
        body_limit: usize,
    ) -> Result<Reply, SendError> {
        self.policy.check_literal(url)?;
        let exchange = async {
            let response = self.pool.request(request).await.map_err(describe)?;
            let status = response.status();
            let body = if body_limit == 0 {
                None
            } else {
                Limited::new(response.into_body(), body_limit)
                    .collect()
                    .await
                    .ok()
                    .map(|collected| collected.to_bytes())
            };
            Ok(Reply { status, body })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| SendError::Timeout(self.timeout))?
    }
}

/// `url` as hyper wants it. `Url` has already checked it, and the fragment, which HTTP never
/// sends, is dropped.
fn uri(url: &Url) -> Uri {
    let mut url = url.clone();
    url.set_fragment(None);
    url.as_str().parse().unwrap_or_default()
}

/// hyper-util's errors say "client error (Connect)" and keep the reason in their sources; the
/// log should say the reason (including a refused address).
fn describe(error: hyper_util::client::legacy::Error) -> SendError {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<CallbackError>() {
            return SendError::Refused(refused.clone());
        }
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    SendError::Failed(text)
}
