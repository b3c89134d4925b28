//! The client address behind a proxy, from any header values: always an IP address or
//! "unknown", never a client-chosen string.
#![no_main]

use hexaspin_config::client_address::ClientAddressSource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, String, Vec<String>)| {
    let (hops, peer, forwarded) = input;
    let source = ClientAddressSource::Header {
        name: "x-forwarded-for".into(),
        trusted_hops: usize::from(hops % 4) + 1,
    };
    let address = source.address(|name| match name {
        "x-forwarded-for" => forwarded.iter().map(String::as_str).collect(),
        "spin-client-addr" => vec![peer.as_str()],
        _ => Vec::new(),
    });
    assert!(
        address == "unknown" || address.parse::<std::net::IpAddr>().is_ok(),
        "{address}"
    );
});
