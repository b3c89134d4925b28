//! A TCP proxy in front of a real server that a test can cut and restore: cutting closes every
//! connection through it and refuses new ones, as a server that went away (or a closed port)
//! does; restoring lets connections through again. The shared Redis of the test machine is never
//! restarted, so other tests running at the same time are not disturbed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// The proxy; it stops when dropped.
pub struct CuttableProxy {
    /// Where clients connect.
    pub port: u16,
    inner: Arc<Inner>,
    accept: AbortHandle,
}

#[derive(Default)]
struct Inner {
    cut: AtomicBool,
    connections: Mutex<Vec<AbortHandle>>,
    refused: AtomicU64,
    accepted: AtomicU64,
}

impl CuttableProxy {
    /// Listens on a free loopback port and forwards to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let inner = Arc::new(Inner::default());
        let accepting = inner.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if accepting.cut.load(Ordering::SeqCst) {
                    accepting.refused.fetch_add(1, Ordering::Relaxed);
                    drop(client);
                    continue;
                }
                accepting.accepted.fetch_add(1, Ordering::Relaxed);
                let forward = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                let mut connections = accepting.connections.lock().expect("lock");
                connections.retain(|c| !c.is_finished());
                connections.push(forward.abort_handle());
            }
        })
        .abort_handle();
        Self { port, inner, accept }
    }

    /// Closes every connection through the proxy and refuses new ones.
    pub fn cut(&self) {
        self.inner.cut.store(true, Ordering::SeqCst);
        for connection in self.inner.connections.lock().expect("lock").drain(..) {
            connection.abort();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.inner.cut.store(false, Ordering::SeqCst);
    }

    /// Connections let through so far: how many connections the clients opened.
    pub fn accepted(&self) -> u64 {
        self.inner.accepted.load(Ordering::Relaxed)
    }

    /// Connections refused while cut.
    pub fn refused(&self) -> u64 {
        self.inner.refused.load(Ordering::Relaxed)
    }
}

impl Drop for CuttableProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}
