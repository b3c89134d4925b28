//! Which client a request comes from, as the deployment's `client_ip_*` settings say to read it
//! (rate limits on failed key checks, sign-ins and sign-ups count per client).

use hexaspin_config::client_address::ClientAddressSource;

use crate::Request;

/// The client's address of `request` under `source`.
pub(crate) fn client_address(source: &ClientAddressSource, request: &Request) -> String {
    source.address(|name| {
        request
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    })
}
