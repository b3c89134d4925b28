//! The end-to-end harness itself: stopping an app stops `spin up` and the `spin trigger http`
//! process it runs, so no test leaves Spin serving (and holding its port) behind.
//!
//! Needs Spin on PATH (SKIPPED otherwise, a failure under `HEXASPIN_REQUIRE_SPIN=1`).

use hexaspin_tests::spin_up::{Deployment, spin_app};

#[tokio::test]
async fn stopping_an_app_stops_spin_up_and_the_trigger_process_it_started() {
    let Some(app) = spin_app(Deployment::EMBEDDED, &[]).await else {
        return;
    };
    let port = app.port;
    let processes = app.processes();
    assert!(
        processes.iter().any(|p| p.command.contains("trigger")),
        "spin up runs its trigger as a process of its own: {processes:?}"
    );
    app.stop();
    let alive: Vec<_> = processes.iter().filter(|p| p.is_alive()).collect();
    assert!(alive.is_empty(), "still running: {alive:?}");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing serves the app's port any more"
    );
}
