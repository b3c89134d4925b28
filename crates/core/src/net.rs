//! Addresses as the limits and the sandbox must judge them: an IPv6 address that stands for an
//! IPv4 address is that IPv4 address, whichever of the standard forms carries it.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The IPv4 address an IPv6 address stands for, where it stands for one: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`, RFC 2765), IPv4-compatible
/// (`::a.b.c.d`, deprecated; `::` and `::1` are IPv6's own), NAT64's well-known prefix
/// (`64:ff9b::/96`, RFC 6052) and 6to4 (`2002:AABB:CCDD::/48`, RFC 3056).
pub fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let [a, b] = s[6].to_be_bytes();
    let [c, d] = s[7].to_be_bytes();
    let low = Ipv4Addr::new(a, b, c, d);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0xffff, 0, _, _] | [0x64, 0xff9b, 0, 0, 0, 0, _, _] => {
            Some(low)
        }
        [0, 0, 0, 0, 0, 0, _, _] if !(ip.is_unspecified() || ip.is_loopback()) => Some(low),
        [0x2002, high, next, ..] => {
            let [a, b] = high.to_be_bytes();
            let [c, d] = next.to_be_bytes();
            Some(Ipv4Addr::new(a, b, c, d))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4_of(text: &str) -> Option<String> {
        embedded_ipv4(text.parse().unwrap()).map(|v4| v4.to_string())
    }

    #[test]
    fn every_form_that_carries_an_ipv4_address_gives_it_back() {
        for form in [
            "::ffff:203.0.113.7",
            "::ffff:0:203.0.113.7",
            "::203.0.113.7",
            "64:ff9b::203.0.113.7",
            "2002:cb00:7107::1",
            "2002:cb00:7107:ffff:1:2:3:4",
        ] {
            assert_eq!(v4_of(form).as_deref(), Some("203.0.113.7"), "{form}");
        }
        for plain in ["::", "::1", "2001:db8::1", "fe80::1", "64:ff9b:1::1"] {
            assert_eq!(v4_of(plain), None, "{plain}");
        }
    }
}
