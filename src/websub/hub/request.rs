//! A subscription request as a subscriber sends it (WebSub §5.1): a form-encoded body with
//! `hub.mode`, `hub.callback`, `hub.topic` and, when subscribing, `hub.lease_seconds` and
//! `hub.secret`. Parsing is pure; whether the topic is one of feedd's and whether the callback
//! may be called are `endpoint`'s and `callback`'s questions.
//!
//! Parameters the hub does not know are ignored (websub.rocks hub test 102); a known one given
//! twice is an error, since there is no telling which one the subscriber meant.

use url::Url;

use super::callback::{self, CallbackError};
use crate::config::BuiltinHub;

/// The media type of a subscription request's body.
pub const FORM: &str = "application/x-www-form-urlencoded";
/// WebSub §5.1: `hub.secret` "MUST be less than 200 bytes in length".
pub const MAX_SECRET_BYTES: usize = 199;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Subscribe,
    Unsubscribe,
}

impl Mode {
    /// As `hub.mode` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Subscribe => "subscribe",
            Mode::Unsubscribe => "unsubscribe",
        }
    }
}

/// A well-formed request; its topic is not checked yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRequest {
    pub mode: Mode,
    pub callback: Url,
    /// As sent; `endpoint` matches it against feedd's documents.
    pub topic: String,
    pub lease_seconds: Option<u64>,
    pub secret: Option<String>,
}

/// Why a request is malformed; each message names the parameter and what it must be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("missing {0}")]
    Missing(&'static str),
    #[error("{0} is given more than once")]
    Repeated(&'static str),
    #[error(
        "hub.mode = \"{0}\": this hub accepts \"subscribe\" and \"unsubscribe\" \
         (feedd publishes its own feeds, so \"publish\" is not needed)"
    )]
    Mode(String),
    #[error(transparent)]
    Callback(#[from] CallbackError),
    #[error("hub.lease_seconds = \"{0}\" is not a whole number of seconds")]
    Lease(String),
    #[error("hub.secret must be shorter than 200 bytes and not empty (WebSub §5.1)")]
    Secret,
}

const KNOWN: [&str; 5] = [
    "hub.mode",
    "hub.callback",
    "hub.topic",
    "hub.lease_seconds",
    "hub.secret",
];

/// Parses a form-encoded request body.
pub fn parse(body: &[u8]) -> Result<SubscriptionRequest, RequestError> {
    let mut values: [Option<String>; KNOWN.len()] = Default::default();
    for (name, value) in url::form_urlencoded::parse(body) {
        let Some(at) = KNOWN.iter().position(|known| *known == name) else {
            continue;
        };
        if values[at].replace(value.into_owned()).is_some() {
            return Err(RequestError::Repeated(KNOWN[at]));
        }
    }
    let [mode, callback, topic, lease, secret] = values;
    let mode = match mode.as_deref() {
        None => return Err(RequestError::Missing("hub.mode")),
        Some("subscribe") => Mode::Subscribe,
        Some("unsubscribe") => Mode::Unsubscribe,
        Some(other) => return Err(RequestError::Mode(other.to_owned())),
    };
    let callback = callback::parse(&callback.ok_or(RequestError::Missing("hub.callback"))?)?;
    let topic = topic.ok_or(RequestError::Missing("hub.topic"))?;
    let lease_seconds = lease
        .map(|raw| {
            raw.trim()
                .parse::<u64>()
                .map_err(|_| RequestError::Lease(raw))
        })
        .transpose()?;
    if secret
        .as_ref()
        .is_some_and(|s| s.is_empty() || s.len() > MAX_SECRET_BYTES)
    {
        return Err(RequestError::Secret);
    }
    Ok(SubscriptionRequest {
        mode,
        callback,
        topic,
        lease_seconds,
        secret,
    })
}

/// Whether a `Content-Type` value names a form body (parameters such as `charset` aside).
pub fn is_form(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(FORM))
}

/// The lease granted for a request of `requested` seconds: the configured default when none
/// is asked for, else the request kept within `[1, max_lease_seconds]`.
pub fn granted_lease(requested: Option<u64>, settings: &BuiltinHub) -> u64 {
    requested
        .unwrap_or(settings.lease_seconds)
        .clamp(1, settings.max_lease_seconds.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> BuiltinHub {
        BuiltinHub {
            path: "websub".into(),
            lease_seconds: 3600,
            max_lease_seconds: 86_400,
            max_subscriptions_per_topic: 10,
            max_subscriptions_per_host: 10,
            allow_private_callbacks: false,
        }
    }

    #[test]
    fn a_typical_request_parses_and_unknown_parameters_are_ignored() {
        let body = b"hub.mode=subscribe&hub.topic=https%3A%2F%2Fexample.org%2Fatom.xml\
&hub.callback=https%3A%2F%2Freader.example%2Fcb%3Fid%3D7&hub.lease_seconds=600\
&hub.secret=s%C3%A9cret&foo=bar&hub.extra=1";
        let request = parse(body).unwrap();
        assert_eq!(request.mode, Mode::Subscribe);
        assert_eq!(request.topic, "https://example.org/atom.xml");
        assert_eq!(request.callback.as_str(), "https://reader.example/cb?id=7");
        assert_eq!(request.lease_seconds, Some(600));
        assert_eq!(request.secret.as_deref(), Some("sécret"));
        let minimal =
            parse(b"hub.mode=unsubscribe&hub.topic=t&hub.callback=http%3A%2F%2Freader.example%2F")
                .unwrap();
        assert_eq!(
            (minimal.mode, minimal.lease_seconds, minimal.secret),
            (Mode::Unsubscribe, None, None)
        );
    }

    #[test]
    fn malformed_requests_name_what_is_wrong() {
        let cb = "hub.callback=https%3A%2F%2Freader.example%2F";
        let cases: Vec<(String, RequestError)> = vec![
            (
                format!("hub.topic=t&{cb}"),
                RequestError::Missing("hub.mode"),
            ),
            (
                "hub.mode=subscribe&hub.topic=t".into(),
                RequestError::Missing("hub.callback"),
            ),
            (
                format!("hub.mode=subscribe&{cb}"),
                RequestError::Missing("hub.topic"),
            ),
            (
                format!("hub.mode=publish&hub.topic=t&{cb}"),
                RequestError::Mode("publish".into()),
            ),
            (
                format!("hub.mode=subscribe&hub.topic=t&hub.topic=u&{cb}"),
                RequestError::Repeated("hub.topic"),
            ),
            (
                format!("hub.mode=subscribe&hub.topic=t&{cb}&hub.lease_seconds=-5"),
                RequestError::Lease("-5".into()),
            ),
            (
                format!("hub.mode=subscribe&hub.topic=t&{cb}&hub.secret="),
                RequestError::Secret,
            ),
            (
                format!(
                    "hub.mode=subscribe&hub.topic=t&{cb}&hub.secret={}",
                    "x".repeat(200)
                ),
                RequestError::Secret,
            ),
            (
                "hub.mode=subscribe&hub.topic=t&hub.callback=gopher%3A%2F%2Fx%2F".into(),
                RequestError::Callback(CallbackError::Scheme("gopher".into())),
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(parse(body.as_bytes()), Err(expected), "{body}");
        }
        let longest = format!(
            "hub.mode=subscribe&hub.topic=t&{cb}&hub.secret={}",
            "x".repeat(199)
        );
        assert!(parse(longest.as_bytes()).is_ok(), "199 bytes is allowed");
    }

    #[test]
    fn leases_are_the_default_or_the_request_within_bounds() {
        let settings = settings();
        assert_eq!(granted_lease(None, &settings), 3600);
        assert_eq!(granted_lease(Some(2), &settings), 2);
        assert_eq!(granted_lease(Some(0), &settings), 1);
        assert_eq!(granted_lease(Some(10_000_000), &settings), 86_400);
    }

    #[test]
    fn form_content_types_are_recognised_with_parameters() {
        assert!(is_form("application/x-www-form-urlencoded"));
        assert!(is_form("Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
        assert!(!is_form("application/json"));
        assert!(!is_form("multipart/form-data; boundary=x"));
    }
}
