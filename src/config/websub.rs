//! `[websub]`: which WebSub hubs the feeds name, and the settings of the hub feedd can be itself.
//!
//! Only the keys and their checks live here; announcing changes and running the hub is
//! `websub`'s job.

use serde::Deserialize;
use url::Url;

use super::defaults;

/// The validated `[websub]` section. With no hub named, feeds advertise none and nothing is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebSub {
    /// Outside hubs told of every change (`hub.mode=publish`), in the order given.
    pub hubs: Vec<Url>,
    /// feedd's own hub, when `hub = "builtin"`.
    pub builtin: Option<BuiltinHub>,
}

impl WebSub {
    /// Every hub a document advertises: the built-in one first (its URL below `base_url`), then
    /// the outside ones.
    pub fn advertised(&self, base_url: &Url) -> Vec<Url> {
        let builtin = self
            .builtin
            .as_ref()
            .and_then(|hub| base_url.join(&hub.path).ok());
        builtin
            .into_iter()
            .chain(self.hubs.iter().cloned())
            .collect()
    }

    /// Whether documents name any hub at all.
    pub fn is_on(&self) -> bool {
        self.builtin.is_some() || !self.hubs.is_empty()
    }
}

/// Settings of the built-in hub (WebSub §5–§7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinHub {
    /// The hub endpoint below `base_url` (and on the daemon's listener), without a leading `/`.
    pub path: String,
    /// Lease granted when a subscriber asks for none.
    pub lease_seconds: u64,
    /// Longest lease granted; longer requests are shortened to it.
    pub max_lease_seconds: u64,
    pub max_subscriptions_per_topic: usize,
    /// Subscriptions whose callbacks share one host, across all topics.
    pub max_subscriptions_per_host: usize,
    /// Whether callbacks may point at loopback, private, link-local or other non-public
    /// addresses. Off, so the hub cannot be used to reach services behind the firewall.
    pub allow_private_callbacks: bool,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebSub {
    hubs: Option<Vec<String>>,
    hub: Option<String>,
    hub_path: Option<String>,
    lease_seconds: Option<u64>,
    max_lease_seconds: Option<u64>,
    max_subscriptions_per_topic: Option<usize>,
    max_subscriptions_per_host: Option<usize>,
    allow_private_callbacks: Option<bool>,
}

impl RawWebSub {
    pub(super) fn validate(self) -> Result<WebSub, String> {
        let hubs = self
            .hubs
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|hub| check_hub_url(hub))
            .collect::<Result<Vec<_>, _>>()?;
        let builtin = match self.hub.as_deref() {
            None => None,
            Some("builtin") => Some(self.builtin_settings()?),
            Some(other) => {
                return Err(format!(
                    "`websub.hub = \"{other}\"`: the only value is \"builtin\" (feedd is the hub); \
                     name outside hubs in `websub.hubs = [\"https://…\"]`"
                ));
            }
        };
        Ok(WebSub { hubs, builtin })
    }

    fn builtin_settings(&self) -> Result<BuiltinHub, String> {
        use defaults::websub as d;
        let path = self.hub_path.as_deref().unwrap_or(d::HUB_PATH);
        let trimmed = path.trim_start_matches('/');
        if trimmed.is_empty() || trimmed.split('/').any(|s| matches!(s, "." | "..")) {
            return Err(format!(
                "`websub.hub_path = \"{path}\"` must be a path below `base_url`, e.g. \"websub\""
            ));
        }
        let hub = BuiltinHub {
            path: trimmed.to_owned(),
            lease_seconds: self.lease_seconds.unwrap_or(d::LEASE_SECONDS),
            max_lease_seconds: self.max_lease_seconds.unwrap_or(d::MAX_LEASE_SECONDS),
            max_subscriptions_per_topic: self
                .max_subscriptions_per_topic
                .unwrap_or(d::MAX_SUBSCRIPTIONS_PER_TOPIC),
            max_subscriptions_per_host: self
                .max_subscriptions_per_host
                .unwrap_or(d::MAX_SUBSCRIPTIONS_PER_HOST),
            allow_private_callbacks: self
                .allow_private_callbacks
                .unwrap_or(d::ALLOW_PRIVATE_CALLBACKS),
        };
        if hub.lease_seconds == 0 || hub.lease_seconds > hub.max_lease_seconds {
            return Err(format!(
                "`websub.lease_seconds = {}` must be at least 1 and at most \
                 `websub.max_lease_seconds` ({})",
                hub.lease_seconds, hub.max_lease_seconds
            ));
        }
        if hub.max_subscriptions_per_topic == 0 || hub.max_subscriptions_per_host == 0 {
            return Err(
                "`websub.max_subscriptions_per_topic` and `websub.max_subscriptions_per_host` \
                 must be at least 1"
                    .into(),
            );
        }
        Ok(hub)
    }
}

fn check_hub_url(hub: &str) -> Result<Url, String> {
    match Url::parse(hub) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(format!(
            "`websub.hubs` entry \"{hub}\" is not an absolute http(s) URL, \
             e.g. \"https://pubsubhubbub.appspot.com/\""
        )),
    }
}
