//! A real `spin up` of this app for end-to-end tests, on a fresh, migrated embedded database, or
//! the reason it cannot run here (the caller prints SKIPPED with it).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hexaspin_api::system::system_now;
use hexaspin_native::NativeExecutor;
use hexaspin_store_sql::migrate;

use crate::samples::{JWT_SECRET, PEPPER};

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("parent")
        .to_path_buf()
}

/// `spin --version`, if Spin is on PATH.
pub fn spin_version() -> Option<String> {
    let output = Command::new("spin").arg("--version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

struct SpinUp(Child);

impl Drop for SpinUp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn wait_until_listening(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("spin up exited early with {status}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("spin up did not listen on {port} within 60 s");
}

async fn migrated_database(dir: &Path) -> PathBuf {
    let path = dir.join("sqlite_db.db");
    let executor = NativeExecutor::sqlite(&path).expect("open database");
    migrate::up(&executor, system_now()).await.expect("migrate");
    path
}

/// A running `spin up` of this app on a fresh, migrated embedded database.
pub struct App {
    /// Where it listens on 127.0.0.1.
    pub port: u16,
    /// The SQLite file it serves (a worker can open it too).
    pub database: PathBuf,
    _spin: SpinUp,
    _state: tempfile::TempDir,
}

/// Starts the app, or says why it cannot (then the caller prints SKIPPED).
pub async fn start_app(extra_env: &[(&str, &str)]) -> Result<App, String> {
    let Some(version) = spin_version() else {
        return Err("`spin` is not on PATH; install Spin >= 3.6 to run the end-to-end tests".into());
    };
    let root = workspace_root();
    for component in ["admin_keys", "jobs", "health", "metrics"] {
        let wasm = root.join(format!("target/wasm32-wasip2/release/{component}.wasm"));
        if !wasm.is_file() {
            assert!(
                std::env::var("HEXASPIN_REQUIRE_WASM").is_err(),
                "{} is missing",
                wasm.display()
            );
            return Err(format!("{} is not built; run `cargo xtask test`", wasm.display()));
        }
    }
    println!("running against {version}");
    let state = tempfile::tempdir().expect("tempdir");
    let database = migrated_database(state.path()).await;
    let runtime_config = state.path().join("runtime-config.toml");
    std::fs::write(
        &runtime_config,
        format!(
            "[sqlite_database.default]\ntype = \"spin\"\npath = {:?}\n",
            &database
        ),
    )
    .expect("runtime config");
    let port = free_port();
    let mut child = Command::new("spin")
        .args([
            "up",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--runtime-config-file",
        ])
        .arg(&runtime_config)
        .arg("-f")
        .arg(root.join("spin.toml"))
        .env("SPIN_VARIABLE_JWT_SECRET", JWT_SECRET)
        .env(
            "SPIN_VARIABLE_KEY_PEPPER",
            String::from_utf8_lossy(PEPPER).as_ref(),
        )
        .envs(extra_env.iter().copied())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn spin up");
    wait_until_listening(port, &mut child);
    Ok(App {
        port,
        database,
        _spin: SpinUp(child),
        _state: state,
    })
}
