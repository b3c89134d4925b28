//! The admin port: `/healthz` (the process is alive), `/readyz` (components loaded and the store
//! answering; a Redis unsafe for a queue is named there, crate::durability), `/metrics` (Prometheus text format; with `METRICS_TOKEN` set, only for
//! `Authorization: Bearer <it>`, as the app's `/metrics`). It listens on loopback unless
//! `admin_listen` says otherwise (the k8s manifest opens it to the pod network for probes and
//! Prometheus).

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use hexaspin_api::ApiError;
use hexaspin_api::metrics::MetricsToken;

use super::{Worker, stopped};
use crate::telemetry;

/// Serves the admin port on `listener` until shutdown. It starts before the store is reached:
/// `/healthz` answers at once, `/readyz` says 503 until `worker` holds the started worker.
pub async fn serve_admin(
    worker: Arc<OnceLock<Arc<Worker>>>,
    listener: TcpListener,
    metrics_token: Option<MetricsToken>,
    mut shutdown: watch::Receiver<bool>,
) {
    let metrics = telemetry::prometheus();
    let metrics_token = Arc::new(metrics_token);
    loop {
        let accepted = tokio::select! {
            () = stopped(&mut shutdown) => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        let worker = worker.clone();
        let metrics = metrics.clone();
        let metrics_token = metrics_token.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let worker = worker.clone();
                let metrics = metrics.clone();
                let metrics_token = metrics_token.clone();
                async move {
                    if request.uri().path() == "/metrics"
                        && let Some(token) = metrics_token.as_ref()
                        && let Err(refused) =
                            token.admits_authorization(request.headers().get(hyper::header::AUTHORIZATION))
                    {
                        return Ok::<_, Infallible>(problem(refused));
                    }
                    Ok::<_, Infallible>(route(&worker, &metrics, request.uri().path()).await)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn route(
    worker: &OnceLock<Arc<Worker>>,
    metrics: &metrics_exporter_prometheus::PrometheusHandle,
    path: &str,
) -> Response<Full<Bytes>> {
    match path {
        "/healthz" => text(StatusCode::OK, "text/plain", "ok\n".into()),
        "/readyz" => {
            let Some(worker) = worker.get() else {
                return text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "text/plain",
                    "connecting to the job store\n".into(),
                );
            };
            let store = worker.jobs.ping().await;
            match (worker.is_ready(), store) {
                // Ready, with what makes the store unsafe for a queue said on every probe.
                (true, Ok(())) => {
                    let mut body = String::from("ready\n");
                    for warning in worker.store_risks() {
                        body.push_str(&format!("warning: {warning}\n"));
                    }
                    text(StatusCode::OK, "text/plain", body)
                }
                (_, Err(error)) => text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "text/plain",
                    format!("job store unavailable: {error}\n"),
                ),
                (false, Ok(())) => text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "text/plain",
                    "recovering from store errors\n".into(),
                ),
            }
        }
        "/metrics" => text(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            metrics.render(),
        ),
        _ => text(StatusCode::NOT_FOUND, "text/plain", "not found\n".into()),
    }
}

/// A refusal as the app words it (problem+json).
fn problem(error: ApiError) -> Response<Full<Bytes>> {
    let (parts, body) = error.into_response().into_parts();
    Response::from_parts(parts, Full::new(Bytes::from(body)))
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    response
}
