//! A minimal HTTP/1.1 client for tests that talk to a real process on loopback (the worker's admin
//! port): one GET with `Connection: close`.

use std::io::{Read, Write};
use std::net::TcpStream;

/// GETs `path` from `127.0.0.1:port`; returns the status (0 when nothing answers) and the raw text.
pub fn get(port: u16, path: &str) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    let _ = write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    );
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}
