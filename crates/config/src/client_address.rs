//! Which client a request comes from, for per-client limits (failed key verifications).
//!
//! By default the peer address Spin reports (`spin-client-addr: ip:port`). Behind a proxy or an
//! ingress every request has the proxy's address, so the operator can name a header the proxy
//! sets (`client_ip_header`, e.g. `x-forwarded-for`) and how many proxies of theirs append to it
//! (`client_ip_trusted_hops`, default 1). The address is taken that many entries from the right:
//! entries further left were written by the client and can be forged. A header that is missing,
//! too short or not an IP address falls back to the peer address, never to a client-chosen value.

use std::net::{IpAddr, SocketAddr};

use hexaspin_core::attempts::ClientNetwork;

use crate::settings::{ConfigError, ConfigSource, number};

/// The header Spin puts the peer's `ip:port` in.
pub const PEER_ADDRESS_HEADER: &str = "spin-client-addr";

/// Where a request's client address is read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ClientAddressSource {
    /// The connection's peer (the default).
    #[default]
    Peer,
    /// A header written by the operator's proxies, `trusted_hops` entries from the right.
    Header {
        /// Lower-case header name.
        name: String,
        /// How many proxies of the operator's append to it (≥ 1).
        trusted_hops: usize,
    },
}

impl ClientAddressSource {
    /// Reads `client_ip_header` (unset: the peer) and `client_ip_trusted_hops` (1).
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        let Some(name) = source.get("client_ip_header")? else {
            return Ok(Self::Peer);
        };
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(ConfigError::Invalid {
                name: "client_ip_header",
                reason: "must be a header name such as x-forwarded-for".into(),
            });
        }
        let trusted_hops = number(source, "client_ip_trusted_hops", Some(1usize))?.unwrap_or(1);
        Ok(Self::Header { name, trusted_hops })
    }

    /// The network the client is counted in by the limits (its IPv4 address or IPv6 /64);
    /// `header_values(name)` gives every value of a header in the order received.
    pub fn network<'h>(&self, header_values: impl Fn(&str) -> Vec<&'h str>) -> ClientNetwork {
        ClientNetwork::of(self.ip(header_values))
    }

    /// The client's IP address, if one can be read.
    pub fn ip<'h>(&self, header_values: impl Fn(&str) -> Vec<&'h str>) -> Option<IpAddr> {
        let from_header = match self {
            Self::Peer => None,
            Self::Header { name, trusted_hops } => {
                let values = header_values(name);
                let entries: Vec<&str> = values.iter().flat_map(|v| v.split(',')).map(str::trim).collect();
                entries
                    .len()
                    .checked_sub(*trusted_hops)
                    .and_then(|at| entries.get(at))
                    .and_then(|entry| parse_ip(entry))
            }
        };
        from_header.or_else(|| {
            header_values(PEER_ADDRESS_HEADER)
                .first()
                .and_then(|peer| parse_ip(peer))
        })
    }
}

/// An IP from `1.2.3.4`, `1.2.3.4:5`, `::1`, `[::1]:5` or `[::1]`.
fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.parse::<IpAddr>()
        .or_else(|_| text.parse::<SocketAddr>().map(|s| s.ip()))
        .or_else(|_| text.trim_matches(['[', ']']).parse::<IpAddr>())
        .ok()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    use crate::test_source::Map;

    fn headers(pairs: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Vec<&'static str> {
        let pairs = pairs.to_vec();
        move |name| {
            pairs
                .iter()
                .filter(|(n, _)| *n == name)
                .map(|(_, v)| *v)
                .collect()
        }
    }

    impl ClientAddressSource {
        fn address_for_test<'h>(&self, header_values: impl Fn(&str) -> Vec<&'h str>) -> String {
            self.ip(header_values)
                .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
        }
    }

    fn forwarded(hops: usize) -> ClientAddressSource {
        ClientAddressSource::Header {
            name: "x-forwarded-for".into(),
            trusted_hops: hops,
        }
    }

    #[test]
    fn by_default_the_peer_address_counts_and_a_forwarded_header_is_ignored() {
        let request = headers(&[
            ("spin-client-addr", "10.1.2.3:51234"),
            ("x-forwarded-for", "6.6.6.6"),
        ]);
        assert_eq!(ClientAddressSource::Peer.address_for_test(&request), "10.1.2.3");
        let v6 = headers(&[("spin-client-addr", "[::1]:4000")]);
        assert_eq!(ClientAddressSource::Peer.address_for_test(&v6), "::1");
    }

    #[test]
    fn behind_a_proxy_the_entry_it_appended_counts_not_what_the_client_wrote() {
        // The client forged the first entry; the ingress appended the address it saw.
        let request = headers(&[
            ("spin-client-addr", "10.0.0.7:80"),
            ("x-forwarded-for", "1.1.1.1, 203.0.113.9"),
        ]);
        assert_eq!(forwarded(1).address_for_test(&request), "203.0.113.9");
        assert_eq!(forwarded(2).address_for_test(&request), "1.1.1.1");
        let split_over_lines = headers(&[("x-forwarded-for", "1.1.1.1"), ("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(forwarded(1).address_for_test(&split_over_lines), "203.0.113.9");
    }

    #[test]
    fn a_missing_short_or_malformed_header_falls_back_to_the_peer() {
        for request in [
            headers(&[("spin-client-addr", "10.0.0.7:80")]),
            headers(&[
                ("spin-client-addr", "10.0.0.7:80"),
                ("x-forwarded-for", "not-an-ip"),
            ]),
        ] {
            assert_eq!(forwarded(1).address_for_test(&request), "10.0.0.7");
        }
        let short = headers(&[
            ("spin-client-addr", "10.0.0.7:80"),
            ("x-forwarded-for", "1.1.1.1"),
        ]);
        assert_eq!(forwarded(2).address_for_test(&short), "10.0.0.7");
        assert_eq!(forwarded(1).address_for_test(headers(&[])), "unknown");
    }

    #[test]
    fn the_header_is_configured_by_name_with_one_trusted_hop_by_default() {
        let configured = Map(HashMap::from([("client_ip_header", "X-Forwarded-For")]));
        assert_eq!(ClientAddressSource::load(&configured).unwrap(), forwarded(1));
        assert_eq!(
            ClientAddressSource::load(&Map(HashMap::new())).unwrap(),
            ClientAddressSource::Peer
        );
        let bad = Map(HashMap::from([("client_ip_header", "x forwarded: for")]));
        assert!(ClientAddressSource::load(&bad).is_err());
        let zero_hops = Map(HashMap::from([
            ("client_ip_header", "x-forwarded-for"),
            ("client_ip_trusted_hops", "0"),
        ]));
        assert!(ClientAddressSource::load(&zero_hops).is_err());
    }
}
