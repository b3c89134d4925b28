//! Which client a request comes from, as the deployment's `client_ip_*` settings say to read it
//! (rate limits on failed key checks, sign-ins and sign-ups count per client).

use hexaspin_config::client_address::ClientAddressSource;
use hexaspin_core::attempts::ClientNetwork;

use crate::Request;

/// The network the limits count `request`'s client in, under `source`.
pub(crate) fn client_network(source: &ClientAddressSource, request: &Request) -> ClientNetwork {
    source.network(|name| {
        request
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    })
}
