//! The outbound HTTP allow-list of one job kind, and the address rules behind it.
//!
//! An entry names an origin: `https://api.example.com`, `http://10.0.0.5:8080`; a bare host means
//! `https` on 443 (`api.example.com`), a bare `host:port` means `https` on that port. A request
//! matches an entry when scheme, host (case-insensitive) and port are all equal. URLs with user
//! info (`https://user:pass@host/`) are refused whatever the list says: credentials belong in
//! headers, not in a URL that ends up in logs.
//!
//! A host name can point anywhere, including at the worker's own network, so a listed *name*
//! whose addresses include a loopback, private, link-local (cloud metadata at 169.254.169.254),
//! shared (100.64/10) or unspecified address is refused, unless the kind sets
//! `allow_private_networks`. An entry that names an IP literal allows exactly that address: the
//! operator said so explicitly.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hexaspin_core::net::embedded_ipv4;

/// One allowed origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigin {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// Lower-case host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// Port, explicit or the scheme's.
    pub port: u16,
}

impl AllowedOrigin {
    /// Whether the entry names an IP address rather than a host name.
    pub fn names_an_address(&self) -> bool {
        self.host.parse::<IpAddr>().is_ok()
    }

    /// `scheme://host:port`, for messages.
    pub fn display(&self) -> String {
        if self.host.contains(':') {
            format!("{}://[{}]:{}", self.scheme, self.host, self.port)
        } else {
            format!("{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

/// A kind's allow-list, parsed once when the kind is loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    origins: Vec<AllowedOrigin>,
    /// Lets listed host names resolve to internal addresses.
    pub allow_private_networks: bool,
}

/// Why a URL was not allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not an `http`/`https` URL with a host.
    NotHttp,
    /// The URL carries user info.
    UserInfo,
    /// No entry matches the origin.
    NotListed,
    /// The listed name resolves to an internal address.
    InternalAddress(IpAddr),
    /// The name does not resolve.
    Unresolvable,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotHttp => f.write_str("not an http(s) URL"),
            Self::UserInfo => f.write_str("URLs with credentials are refused"),
            Self::NotListed => f.write_str("not in the kind's allowed_hosts"),
            Self::InternalAddress(ip) => write!(
                f,
                "resolves to the internal address {ip} (set allow_private_networks to allow)"
            ),
            Self::Unresolvable => f.write_str("the host name does not resolve"),
        }
    }
}

impl AllowList {
    /// Parses `entries`; an entry that is not an origin is an error naming it.
    pub fn parse(entries: &[String], allow_private_networks: bool) -> Result<Self, String> {
        let origins = entries
            .iter()
            .map(|entry| {
                parse_entry(entry)
                    .ok_or_else(|| format!("allowed_hosts entry {entry:?} is not [http(s)://]host[:port]"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            origins,
            allow_private_networks,
        })
    }

    /// The entry `uri` matches, before any address check.
    pub fn matching(&self, uri: &http::Uri) -> Result<&AllowedOrigin, Refusal> {
        let authority = uri.authority().ok_or(Refusal::NotHttp)?;
        if authority.as_str().contains('@') {
            return Err(Refusal::UserInfo);
        }
        let scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => "https",
            Some(s) if s.eq_ignore_ascii_case("http") => "http",
            _ => return Err(Refusal::NotHttp),
        };
        let host = authority.host().trim_matches(['[', ']']).to_ascii_lowercase();
        let port = authority.port_u16().unwrap_or(default_port(scheme));
        self.origins
            .iter()
            .find(|o| o.scheme == scheme && o.host == host && o.port == port)
            .ok_or(Refusal::NotListed)
    }

    /// Whether the addresses `origin` resolves to must be checked: not for a listed IP literal
    /// (explicit) nor when the kind allows private networks.
    pub fn checks_addresses_of(&self, origin: &AllowedOrigin) -> bool {
        !origin.names_an_address() && !self.allow_private_networks
    }

    /// Checks the addresses a listed origin resolved to.
    pub fn check_addresses(&self, origin: &AllowedOrigin, addresses: &[IpAddr]) -> Result<(), Refusal> {
        if !self.checks_addresses_of(origin) {
            return Ok(());
        }
        if addresses.is_empty() {
            return Err(Refusal::Unresolvable);
        }
        match addresses.iter().find(|ip| is_internal(**ip)) {
            Some(ip) => Err(Refusal::InternalAddress(*ip)),
            None => Ok(()),
        }
    }
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "http" { 80 } else { 443 }
}

fn parse_entry(entry: &str) -> Option<AllowedOrigin> {
    let entry = entry.trim().to_ascii_lowercase();
    let (scheme, rest) = match entry.split_once("://") {
        Some(("http", rest)) => ("http", rest),
        Some(("https", rest)) => ("https", rest),
        Some(_) => return None,
        None => ("https", entry.as_str()),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
        return None;
    }
    let authority: http::uri::Authority = rest.parse().ok()?;
    let host = authority.host().trim_matches(['[', ']']).to_owned();
    if host.is_empty() {
        return None;
    }
    Some(AllowedOrigin {
        scheme,
        host,
        port: authority.port_u16().unwrap_or(default_port(scheme)),
    })
}

/// Loopback, private, link-local, shared, unspecified, broadcast or multicast: addresses a job
/// has no business reaching by name. IPv6 forms that carry an IPv4 address (mapped, the deprecated
/// compatible form, NAT64's well-known prefix, 6to4) are judged by the IPv4 address they reach;
/// forms whose IPv4 address cannot be judged (Teredo, local-use NAT64) are internal.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some(v4) => is_internal_v4(v4),
            None => is_internal_v6(v6),
        },
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || (a == 100 && (64..128).contains(&b)) // shared address space (RFC 6598), e.g. cloud metadata
        || a == 0
        || (a == 198 && (18..20).contains(&b)) // benchmarking (RFC 2544), used inside some clouds
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments (RFC 6890), e.g. 192.0.0.192
        || a >= 240 // reserved (RFC 1112)
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7 (e.g. fd00:ec2::254)
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated, still routed inside some sites)
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64 64:ff9b:1::/48 (RFC 8215)
        || (s[0] == 0x2001 && s[1] == 0) // Teredo 2001::/32: the IPv4 inside is obfuscated
        || (s[0] == 0x100 && s[1..4] == [0, 0, 0]) // discard-only 100::/64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> AllowList {
        AllowList::parse(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>(), false).unwrap()
    }

    fn check(list: &AllowList, url: &str) -> Result<String, Refusal> {
        list.matching(&url.parse().unwrap()).map(AllowedOrigin::display)
    }

    #[test]
    fn an_entry_names_scheme_host_and_port_and_a_bare_host_means_https_443() {
        let list = list(&[
            "api.example.com",
            "http://10.0.0.5:8080",
            "hooks.example.com:8443",
            "https://[::1]:9000/",
        ]);
        assert_eq!(
            check(&list, "https://API.example.com/x?y=1"),
            Ok("https://api.example.com:443".into())
        );
        assert_eq!(
            check(&list, "http://api.example.com/"),
            Err(Refusal::NotListed),
            "scheme differs"
        );
        assert_eq!(
            check(&list, "https://api.example.com:444/"),
            Err(Refusal::NotListed)
        );
        assert_eq!(
            check(&list, "http://10.0.0.5:8080/"),
            Ok("http://10.0.0.5:8080".into())
        );
        assert_eq!(check(&list, "https://10.0.0.5:8080/"), Err(Refusal::NotListed));
        assert_eq!(
            check(&list, "https://hooks.example.com:8443/"),
            Ok("https://hooks.example.com:8443".into())
        );
        assert_eq!(
            check(&list, "https://[::1]:9000/"),
            Ok("https://[::1]:9000".into())
        );
        assert_eq!(
            check(&list, "https://api.example.com.evil.net/"),
            Err(Refusal::NotListed)
        );
        assert_eq!(check(&list, "ftp://api.example.com/"), Err(Refusal::NotHttp));
    }

    #[test]
    fn a_url_with_credentials_is_refused_even_for_a_listed_host() {
        let list = list(&["api.example.com"]);
        assert_eq!(
            check(&list, "https://user:pass@api.example.com/"),
            Err(Refusal::UserInfo)
        );
    }

    #[test]
    fn malformed_entries_are_configuration_errors() {
        for bad in [
            "ftp://x",
            "https://",
            "https://a.com/path",
            "a.com?x",
            "user@a.com",
            "",
        ] {
            assert!(AllowList::parse(&[bad.to_owned()], false).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_listed_name_resolving_inside_is_refused_unless_allowed_and_a_listed_address_is_explicit() {
        let names = list(&["hooks.example.com", "http://127.0.0.1:8080"]);
        let by_name = names
            .matching(&"https://hooks.example.com/".parse().unwrap())
            .unwrap()
            .clone();
        let metadata: IpAddr = "169.254.169.254".parse().unwrap();
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        assert_eq!(names.check_addresses(&by_name, &[public]), Ok(()));
        assert_eq!(
            names.check_addresses(&by_name, &[public, metadata]),
            Err(Refusal::InternalAddress(metadata))
        );
        assert_eq!(names.check_addresses(&by_name, &[]), Err(Refusal::Unresolvable));
        let by_address = names
            .matching(&"http://127.0.0.1:8080/".parse().unwrap())
            .unwrap()
            .clone();
        assert_eq!(
            names.check_addresses(&by_address, &["127.0.0.1".parse().unwrap()]),
            Ok(())
        );
        let mut open = names.clone();
        open.allow_private_networks = true;
        assert_eq!(open.check_addresses(&by_name, &[metadata]), Ok(()));
    }

    #[test]
    fn internal_addresses_cover_loopback_private_link_local_shared_and_mapped_forms() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            // NAT64 of the metadata service and of a private address.
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::1",
            // 6to4 of loopback and of a private address.
            "2002:7f00:1::1",
            "2002:c0a8:101::",
            // IPv4-compatible.
            "::127.0.0.1",
            "::10.0.0.1",
            "fec0::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "100::1",
            // IPv4-translated, and IPv4 ranges that are not the Internet.
            "::ffff:0:127.0.0.1",
            "::ffff:0:169.254.169.254",
            "198.18.0.1",
            "240.0.0.1",
            "192.0.0.192",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "172.32.0.1",
            "100.128.0.1",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
            "::93.184.216.34",
        ] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }
}
