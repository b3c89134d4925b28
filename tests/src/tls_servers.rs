//! Stores of a test's own, speaking TLS with a private CA made for the test (rcgen):
//! `redis-server --tls-port` (or a plain port, for the durability checks) and a PostgreSQL cluster made with `initdb` that has `ssl = on` and refuses connections without
//! TLS. A missing `redis-server` or PostgreSQL server binaries fail the test under
//! `HEXASPIN_REQUIRE_SERVER_PROGRAMS` (which `cargo xtask test` sets; SKIPPED otherwise).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::deploy::{on_path, printed};
use crate::prerequisites::Prerequisite;

/// A private CA and a server certificate it signed, as PEM files in a temporary directory.
pub struct TestCa {
    dir: tempfile::TempDir,
}

impl TestCa {
    /// A new CA, and a server certificate for `names` (host names or IP addresses).
    pub fn new(names: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, "hexaspin test CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca, ca_key);
        let server_key = KeyPair::generate().expect("server key");
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut server = CertificateParams::new(names).expect("server params");
        server
            .distinguished_name
            .push(DnType::CommonName, "hexaspin test server");
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = server
            .signed_by(&server_key, &issuer)
            .expect("server certificate");
        for (file, pem) in [
            ("ca.pem", ca_cert.pem()),
            ("server.pem", server_cert.pem()),
            ("server.key", server_key.serialize_pem()),
        ] {
            std::fs::write(dir.path().join(file), pem).expect("write PEM");
        }
        Self { dir }
    }

    /// The CA's certificate (what `SSL_CERT_FILE` names to trust it).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The server's certificate.
    pub fn cert_file(&self) -> PathBuf {
        self.dir.path().join("server.pem")
    }

    /// The server's private key.
    pub fn key_file(&self) -> PathBuf {
        self.dir.path().join("server.key")
    }
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn wait_for_port(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {port}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `redis-server` of the test's own: with `ca`, a TLS port only (no plain port, no client
/// certificate asked), else a plain port; `extra` arguments after the defaults (no snapshots, no
/// append-only file), e.g. `--maxmemory-policy allkeys-lru`. Stopped when dropped.
pub struct TestRedis {
    child: Child,
    /// Its port on 127.0.0.1 (the TLS one with a CA).
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl TestRedis {
    /// Starts it, or `None` after SKIPPED without redis-server.
    pub fn start(ca: Option<&TestCa>, extra: &[&str]) -> Option<Self> {
        let Some(redis) = on_path("redis-server") else {
            Prerequisite::ServerPrograms
                .missing("`redis-server` is not on PATH (apt-get install redis-server)");
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let log = dir.path().join("redis.log");
        let mut command = Command::new(redis);
        command.args(["--bind", "127.0.0.1"]);
        match ca {
            Some(ca) => {
                command
                    .args(["--port", "0", "--tls-port", &port.to_string()])
                    .arg("--tls-cert-file")
                    .arg(ca.cert_file())
                    .arg("--tls-key-file")
                    .arg(ca.key_file())
                    .arg("--tls-ca-cert-file")
                    .arg(ca.ca_file())
                    .args(["--tls-auth-clients", "no"]);
            }
            None => {
                command.args(["--port", &port.to_string()]);
            }
        }
        let child = command
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .arg("--logfile")
            .arg(&log)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        wait_for_port(port, "redis-server", &log);
        Some(Self {
            child,
            port,
            _dir: dir,
        })
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A PostgreSQL cluster of its own (initdb in a temporary directory) with `ssl = on`, `ca`'s
/// server certificate, and a pg_hba that trusts TLS connections from loopback and rejects the
/// others. Stopped when dropped.
pub struct TlsPostgres {
    bin: PathBuf,
    data: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
    owner: Option<String>,
    _dir: tempfile::TempDir,
}

/// The PostgreSQL server programs' folder (`pg_config --bindir`, else Debian's
/// /usr/lib/postgresql/<version>/bin), or `None` after SKIPPED.
fn postgres_bin() -> Option<PathBuf> {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let mut candidates: Vec<PathBuf> = from_pg_config.into_iter().collect();
    if let Ok(versions) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut found: Vec<PathBuf> = versions.flatten().map(|v| v.path().join("bin")).collect();
        found.sort();
        candidates.extend(found.into_iter().rev());
    }
    let bin = candidates
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file());
    if bin.is_none() {
        let install =
            "the PostgreSQL server binaries (initdb, pg_ctl) are needed: apt-get install postgresql";
        Prerequisite::ServerPrograms.missing(install);
    }
    bin
}

/// Runs a PostgreSQL program as `owner` (initdb and postgres refuse to run as root).
fn as_owner(program: &Path, owner: Option<&str>) -> Command {
    match owner {
        Some(user) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--"]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

impl TlsPostgres {
    /// Makes and starts the cluster, or `None` after SKIPPED without the server binaries.
    pub fn start(ca: &TestCa) -> Option<Self> {
        let bin = postgres_bin()?;
        let dir = tempfile::tempdir().expect("tempdir");
        // As root, the cluster belongs to the postgres account (it must exist: Debian's package
        // makes it).
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let owner = root.then(|| "postgres".to_owned());
        let data = dir.path().join("data");
        let chown = |path: &Path| {
            if let Some(user) = &owner {
                let status = Command::new("chown")
                    .args(["-R", &format!("{user}:{user}")])
                    .arg(path)
                    .status()
                    .expect("chown");
                assert!(status.success(), "chown {}", path.display());
            }
        };
        std::fs::create_dir(&data).expect("mkdir data");
        std::fs::copy(ca.cert_file(), dir.path().join("server.pem")).expect("copy cert");
        std::fs::copy(ca.key_file(), dir.path().join("server.key")).expect("copy key");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("chmod key");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
        chown(dir.path());
        let initdb = as_owner(&bin.join("initdb"), owner.as_deref())
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(&data)
            .output()
            .expect("initdb runs");
        assert!(initdb.status.success(), "initdb: {}", printed(&initdb));
        let port = free_port();
        let config = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{socket}'\n\
             ssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\nfsync = off\n",
            socket = dir.path().display(),
            cert = dir.path().join("server.pem").display(),
            key = dir.path().join("server.key").display(),
        );
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).expect("postgresql.conf");
        text.push_str(&config);
        std::fs::write(&conf, text).expect("postgresql.conf");
        std::fs::write(
            data.join("pg_hba.conf"),
            "hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
        )
        .expect("pg_hba.conf");
        chown(&data);
        let log = dir.path().join("postgres.log");
        let start = as_owner(&bin.join("pg_ctl"), owner.as_deref())
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "start"])
            .output()
            .expect("pg_ctl runs");
        assert!(
            start.status.success(),
            "pg_ctl start: {}\n{}",
            printed(&start),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        wait_for_port(port, "postgres", &log);
        Some(Self {
            bin,
            data,
            port,
            owner,
            _dir: dir,
        })
    }

    /// A URL for the `postgres` database on `host` (which the certificate may or may not name).
    pub fn url(&self, host: &str, sslmode: Option<&str>) -> String {
        let mut url = format!("postgres://postgres@{host}:{}/postgres", self.port);
        if let Some(mode) = sslmode {
            url.push_str(&format!("?sslmode={mode}"));
        }
        url
    }
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        let _ = as_owner(&self.bin.join("pg_ctl"), self.owner.as_deref())
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}
