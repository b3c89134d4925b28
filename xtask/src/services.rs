//! Checks that the services the tests need are up, and says how to start them when not.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

struct Service {
    name: &'static str,
    address_var: &'static str,
    default_address: &'static str,
    how_to_start: &'static str,
}

const SERVICES: &[Service] = &[
    Service {
        name: "PostgreSQL",
        address_var: "HEXASPIN_TEST_PG_ADDR",
        default_address: "127.0.0.1:5432",
        how_to_start: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    },
    Service {
        name: "Redis",
        address_var: "HEXASPIN_TEST_REDIS_ADDR",
        default_address: "127.0.0.1:6379",
        how_to_start: "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
    },
];

/// Fails, naming every unreachable service, unless all are reachable.
pub fn require_all() -> Result<(), String> {
    let mut missing = Vec::new();
    for service in SERVICES {
        let address = std::env::var(service.address_var).unwrap_or_else(|_| service.default_address.into());
        if reachable(&address) {
            println!("xtask: {} is reachable at {address}", service.name);
        } else {
            missing.push(format!(
                "{} is not reachable at {address} (set {} to change it); start it with: {}",
                service.name, service.address_var, service.how_to_start
            ));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing.join("\n"))
    }
}

fn reachable(address: &str) -> bool {
    let addresses: Vec<SocketAddr> = address
        .to_socket_addrs()
        .map(Iterator::collect)
        .unwrap_or_default();
    addresses
        .iter()
        .any(|a| TcpStream::connect_timeout(a, Duration::from_secs(2)).is_ok())
}

/// The Prometheus project's own Python client, whose text-format parser the metrics tests use as
/// an independent check of the exposition. Pinned; installed for the user when missing.
const PROMETHEUS_CLIENT: &str = "prometheus_client==0.26.0";

/// Makes sure `python3` can import `prometheus_client`, installing it with pip when it cannot.
pub fn require_prometheus_parser() -> Result<(), String> {
    let importable = || {
        std::process::Command::new("python3")
            .args(["-c", "import prometheus_client.parser"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if importable() {
        return Ok(());
    }
    println!("xtask: installing {PROMETHEUS_CLIENT} (the metrics tests parse the exposition with it)");
    let pip = |extra: &[&str]| {
        std::process::Command::new("python3")
            .args(["-m", "pip", "install", "--quiet"])
            .args(extra)
            .arg(PROMETHEUS_CLIENT)
            .status()
            .map_err(|e| format!("python3 is required for the metrics tests: {e}"))
    };
    // `--user` outside a virtualenv; inside one pip refuses it, and a plain install is right.
    let installed = pip(&["--user"])?.success() || pip(&[])?.success();
    if installed && importable() {
        Ok(())
    } else {
        Err(format!(
            "could not install {PROMETHEUS_CLIENT}: run `python3 -m pip install {PROMETHEUS_CLIENT}`"
        ))
    }
}
