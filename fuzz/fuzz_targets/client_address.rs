//! The client a request is counted as behind a proxy, from any header values: always an IPv4
//! address, an IPv6 /64 or "unknown", never a client-chosen string.
#![no_main]

use hexaspin_config::client_address::ClientAddressSource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, String, Vec<String>)| {
    let (hops, peer, forwarded) = input;
    let source = ClientAddressSource::Header {
        name: "x-forwarded-for".into(),
        trusted_hops: usize::from(hops % 4) + 1,
    };
    let headers = |name: &str| match name {
        "x-forwarded-for" => forwarded.iter().map(String::as_str).collect(),
        "spin-client-addr" => vec![peer.as_str()],
        _ => Vec::new(),
    };
    let network = source.network(headers);
    let name = network.as_str();
    let well_formed = name == "unknown"
        || name.parse::<std::net::Ipv4Addr>().is_ok()
        || name
            .strip_suffix("/64")
            .is_some_and(|prefix| prefix.parse::<std::net::Ipv6Addr>().is_ok());
    assert!(well_formed, "{name}");
    // The network is the address's, never another one.
    match source.ip(headers) {
        Some(std::net::IpAddr::V4(v4)) => assert_eq!(name, v4.to_string()),
        Some(_) => assert!(name.ends_with("/64") || name.parse::<std::net::Ipv4Addr>().is_ok()),
        None => assert_eq!(name, "unknown"),
    }
});
