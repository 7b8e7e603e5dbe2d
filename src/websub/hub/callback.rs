//! Where the hub may send requests. A callback is an absolute `http` or `https` URL, and unless
//! `allow_private_callbacks` is set, every address its host stands for must be a public one:
//! a hub that fetched any URL it was handed would let anyone on the internet reach services
//! behind the firewall (an admin page on 127.0.0.1, a metadata service on 169.254.169.254).
//!
//! A host name is checked each time it is resolved: when the request comes in, and again by the
//! resolver the outgoing client connects through ([`CheckedResolver`]), so a name that resolves
//! to a public address at subscription time and to a private one later (DNS rebinding) is
//! refused at the moment it would be used. Address literals never reach a resolver, so the
//! client checks them itself ([`Policy::check_literal`]).

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::client::legacy::connect::dns::Name;
use url::{Host, Url};

/// How long a name may take to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest callback accepted; real ones are far shorter.
const MAX_CALLBACK_BYTES: usize = 2048;

/// Why a callback is refused; each message says what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("hub.callback is not an absolute URL: {0}")]
    NotAUrl(String),
    #[error("hub.callback must be an http or https URL, not `{0}:`")]
    Scheme(String),
    #[error("hub.callback is longer than {MAX_CALLBACK_BYTES} bytes")]
    TooLong,
    #[error(
        "hub.callback `{host}` stands for {address}, which is not a public address; \
         this hub only calls back to public addresses"
    )]
    Private { host: String, address: IpAddr },
    #[error("hub.callback host `{host}` does not resolve: {reason}")]
    Unresolved { host: String, reason: String },
}

/// Parses `raw` as a callback URL: absolute, `http` or `https`, with a host, and short.
pub fn parse(raw: &str) -> Result<Url, CallbackError> {
    if raw.len() > MAX_CALLBACK_BYTES {
        return Err(CallbackError::TooLong);
    }
    let url = Url::parse(raw).map_err(|e| CallbackError::NotAUrl(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CallbackError::Scheme(url.scheme().to_owned()));
    }
    if url.host().is_none() {
        return Err(CallbackError::NotAUrl("it has no host".into()));
    }
    Ok(url)
}

/// The address rule, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub allow_private: bool,
}

impl Policy {
    /// Refuses `url` when its host is an address literal that is not public. Names pass; they
    /// are checked when resolved.
    pub fn check_literal(self, url: &Url) -> Result<(), CallbackError> {
        let address = match url.host() {
            Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
            _ => return Ok(()),
        };
        self.check(url.host_str().unwrap_or_default(), address)
    }

    /// Resolves `url`'s host and checks every address it stands for (a literal is checked as
    /// it is). With private callbacks allowed, a name is not resolved here.
    pub async fn check_url(self, url: &Url) -> Result<(), CallbackError> {
        self.check_literal(url)?;
        match url.host() {
            Some(Host::Domain(name)) if !self.allow_private => self.resolve(name).await.map(drop),
            _ => Ok(()),
        }
    }

    /// Every address `host` resolves to, each checked; the first refused one is the error.
    pub async fn resolve(self, host: &str) -> Result<Vec<SocketAddr>, CallbackError> {
        let unresolved = |reason: String| CallbackError::Unresolved {
            host: host.to_owned(),
            reason,
        };
        let lookup = tokio::net::lookup_host((host, 0));
        let addresses: Vec<SocketAddr> = tokio::time::timeout(RESOLVE_TIMEOUT, lookup)
            .await
            .map_err(|_| unresolved(format!("no answer in {RESOLVE_TIMEOUT:?}")))?
            .map_err(|e| unresolved(e.to_string()))?
            .collect();
        if addresses.is_empty() {
            return Err(unresolved("no addresses".into()));
        }
        for address in &addresses {
            self.check(host, address.ip())?;
        }
        Ok(addresses)
    }

    fn check(self, host: &str, address: IpAddr) -> Result<(), CallbackError> {
        if self.allow_private || is_public(address) {
            Ok(())
        } else {
            Err(CallbackError::Private {
                host: host.to_owned(),
                address,
            })
        }
    }
}

/// Whether `address` is reachable on the public internet: not loopback, private, shared
/// (carrier-grade NAT), link-local, unspecified, multicast, broadcast, documentation,
/// benchmarking or reserved, nor an IPv6 form that embeds such an IPv4 address.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    let special = a == 0                                  // "this network" (0.0.0.0/8)
        || v4.is_loopback()                               // 127/8
        || v4.is_private()                                // 10/8, 172.16/12, 192.168/16
        || (a == 100 && (64..128).contains(&b))           // 100.64/10, shared address space
        || v4.is_link_local()                             // 169.254/16
        || (a == 192 && b == 0 && c == 0)                 // 192.0.0/24, IETF protocol assignments
        || v4.is_documentation()                          // 192.0.2/24, 198.51.100/24, 203.0.113/24
        || (a == 198 && (18..20).contains(&b))            // 198.18/15, benchmarking
        || v4.is_multicast()                              // 224/4
        || a >= 240; // 240/4 reserved, and the broadcast address
    !special
}

fn is_public_v6(v6: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(v6) {
        return is_public_v4(v4);
    }
    let first = v6.segments()[0];
    let special = v6.is_unspecified()
        || v6.is_loopback()
        || v6.is_multicast()                              // ff00::/8
        || (first & 0xfe00) == 0xfc00                     // fc00::/7, unique local
        || (first & 0xffc0) == 0xfe80                     // fe80::/10, link-local
        || (first & 0xffc0) == 0xfec0                     // fec0::/10, old site-local
        || (first == 0x2001 && v6.segments()[1] < 0x0200) // 2001::/23, Teredo and IETF special
        || (first == 0x2001 && v6.segments()[1] == 0x0db8) // 2001:db8::/32, documentation
        || (first & 0xfff0) == 0x3ff0                     // 3fff::/20, documentation
        || first == 0x0100                                // 100::/64 discard (and its /16)
        || first == 0; // ::/16 besides the forms above: reserved
    !special
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::/96`) or 6to4
/// (`2002::/16`) address, which reach that IPv4 address.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let from = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(from(hi, lo)),
        [0x2002, hi, lo, ..] => Some(from(hi, lo)),
        _ => None,
    }
}

/// The resolver the outgoing client connects through: it answers only with addresses the
/// policy allows, so no request can reach a refused address whatever a name resolves to now.
#[derive(Debug, Clone, Copy)]
pub struct CheckedResolver(pub Policy);

type Resolving =
    Pin<Box<dyn Future<Output = Result<std::vec::IntoIter<SocketAddr>, CallbackError>> + Send>>;

impl tower_service::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = CallbackError;
    type Future = Resolving;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), CallbackError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Resolving {
        let policy = self.0;
        Box::pin(async move {
            let addresses = policy.resolve(name.as_str()).await?;
            Ok(addresses.into_iter())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for refused in [
            "127.0.0.1",
            "127.9.9.9",
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
            "::127.0.0.1",
        ] {
            let address: IpAddr = refused.parse().unwrap();
            assert!(!is_public(address), "{refused} counted as public");
        }
        for allowed in [
            "1.1.1.1",
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "2a00:1450:4001:80b::200e",
        ] {
            let address: IpAddr = allowed.parse().unwrap();
            assert!(is_public(address), "{allowed} refused");
        }
    }

    #[test]
    fn callbacks_must_be_absolute_http_urls() {
        assert!(parse("https://reader.example/cb?id=1").is_ok());
        assert!(parse("http://[2001:4860::1]:8080/cb").is_ok());
        assert_eq!(
            parse("ftp://reader.example/"),
            Err(CallbackError::Scheme("ftp".into()))
        );
        assert!(matches!(parse("/cb"), Err(CallbackError::NotAUrl(_))));
        assert!(matches!(parse("mailto:a@b"), Err(CallbackError::Scheme(_))));
        let long = format!("https://reader.example/{}", "a".repeat(3000));
        assert_eq!(parse(&long), Err(CallbackError::TooLong));
    }

    #[test]
    fn literals_are_checked_unless_private_callbacks_are_allowed() {
        let strict = Policy {
            allow_private: false,
        };
        let open = Policy {
            allow_private: true,
        };
        for private in [
            "http://127.0.0.1:8080/cb",
            "http://[::1]/cb",
            "http://169.254.169.254/latest/meta-data",
            "http://[::ffff:192.168.0.1]/",
        ] {
            let url = parse(private).unwrap();
            assert!(
                matches!(
                    strict.check_literal(&url),
                    Err(CallbackError::Private { .. })
                ),
                "{private}"
            );
            assert_eq!(open.check_literal(&url), Ok(()), "{private}");
        }
        let named = parse("http://localhost/cb").unwrap();
        assert_eq!(strict.check_literal(&named), Ok(()), "names wait for DNS");
    }

    #[tokio::test]
    async fn a_name_for_a_private_address_is_refused_when_resolved() {
        let strict = Policy {
            allow_private: false,
        };
        let url = parse("http://localhost:9/cb").unwrap();
        let refused = strict.check_url(&url).await;
        assert!(
            matches!(
                refused,
                Err(CallbackError::Private { .. } | CallbackError::Unresolved { .. })
            ),
            "{refused:?}"
        );
        let open = Policy {
            allow_private: true,
        };
        assert_eq!(open.check_url(&url).await, Ok(()));
    }
}
