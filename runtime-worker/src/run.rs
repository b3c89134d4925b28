//! `runtime-worker run`: connect, load components, serve the admin port, run the services until
//! SIGTERM/SIGINT, then shut down gracefully and exit 0.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use hexaspin_api::metrics::MetricsToken;
use hexaspin_config::settings::{ConfigSource, EnvSource, QueueSettings};
use hexaspin_runtime_worker::config::WorkerConfig;
use hexaspin_runtime_worker::durability::Durability;
use hexaspin_runtime_worker::worker::serve_admin;
use hexaspin_runtime_worker::{Worker, connect, telemetry};
use tokio::sync::watch;

use crate::cli::{RunArgs, StoreArgs};

/// The queue settings: `QUEUE`/`REDIS_URL`/`REDIS_PREFIX` from the environment, the SQLite file
/// from `--sqlite-path`/`SQLITE_PATH` (the file `spin up` uses by default).
struct QueueSource<'a>(&'a StoreArgs);

impl ConfigSource for QueueSource<'_> {
    fn get(&self, name: &str) -> Result<Option<String>, hexaspin_config::settings::ConfigError> {
        match name {
            "sqlite_path" => Ok(Some(self.0.sqlite_path.clone())),
            other => EnvSource.get(other),
        }
    }
}

pub async fn run(store: &StoreArgs, args: &RunArgs) -> anyhow::Result<()> {
    let config = WorkerConfig::load(Path::new(&args.config))?;
    let settings = QueueSettings::load(&QueueSource(store)).context("queue settings")?;
    let durability = Durability::from_env().map_err(anyhow::Error::msg)?;
    telemetry::prometheus();
    let (stop, shutdown) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("signal received: shutting down");
        let _ = stop.send(true);
    });
    let metrics_token = MetricsToken::load(&EnvSource).context("METRICS_TOKEN")?;
    let listener = tokio::net::TcpListener::bind(&config.admin_listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.admin_listen))?;
    let admin_address = listener.local_addr()?;
    let started: Arc<OnceLock<Arc<Worker>>> = Arc::default();
    let admin = tokio::spawn(serve_admin(
        started.clone(),
        listener,
        metrics_token,
        shutdown.clone(),
    ));
    let mut waiting = shutdown.clone();
    let Some((jobs, risks)) = connect::open_with_backoff(&settings, durability, async move {
        let _ = waiting.wait_for(|s| *s).await;
    })
    .await
    else {
        let _ = admin.await;
        return Ok(());
    };
    let worker = Worker::new(config, jobs).context("loading the job components")?;
    worker.report_store_risks(risks.into_iter().map(|risk| risk.warning).collect());
    let _ = started.set(worker.clone());
    tracing::info!(
        worker = worker.config.id,
        kinds = ?worker.sandbox.kinds().collect::<Vec<_>>(),
        admin = %admin_address,
        "worker started"
    );
    worker.run(shutdown).await;
    let _ = admin.await;
    tracing::info!("worker stopped");
    Ok(())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
