//! Test job component `chaos`: does what `payload.action` says, including what a job must not
//! get away with, so the worker's sandbox can be tested with a real component:
//! `ok`, `log`, `retry`, `fail`, `panic`, `loop` (never returns), `alloc` (grows memory without
//! end), `fetch` (GET `payload.url`), `big_output` / `big_error` (`payload.size` bytes),
//! `flood_log` (`payload.size` log lines), `hoard_fields` (keeps `payload.size` sets of HTTP header
//! fields alive on the host, 8 KiB of header each), `hoard_bodies` (keeps `payload.size` request
//! bodies it wrote to as much as the host takes, never sent; answers how many bytes were taken).

// The export macro expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

use hexaspin_job_sdk::bindings::export_job;
use hexaspin_job_sdk::{Handler, Job, JobError, log};
use serde::Deserialize;
use wstd::http::{Client, Request};

#[derive(Deserialize)]
struct Orders {
    action: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    size: usize,
}

struct Chaos;

impl Handler for Chaos {
    fn run(job: Job) -> Result<String, JobError> {
        let orders: Orders = serde_json::from_str(&job.payload).map_err(|e| JobError::Fail(e.to_string()))?;
        match orders.action.as_str() {
            "ok" => Ok(format!("{{\"attempt\":{}}}", job.attempt)),
            "log" => {
                log::info(&format!("hello from job {}", job.id));
                Ok("{}".into())
            }
            "retry" => Err(JobError::Retry("asked to retry".into())),
            "fail" => Err(JobError::Fail("asked to fail".into())),
            "panic" => panic!("asked to panic"),
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "fetch" => wstd::runtime::block_on(async {
                let request = Request::get(&orders.url)
                    .body(())
                    .map_err(|e| JobError::Fail(e.to_string()))?;
                match Client::new().send(request).await {
                    Ok(response) => Ok(format!("{{\"status\":{}}}", response.status().as_u16())),
                    Err(error) => Err(JobError::Retry(format!("fetch failed: {error}"))),
                }
            }),
            "big_output" => Ok(format!("\"{}\"", "x".repeat(orders.size))),
            "big_error" => Err(JobError::Fail("e".repeat(orders.size))),
            "flood_log" => {
                for n in 0..orders.size {
                    log::info(&format!("line {n}"));
                }
                Ok("{}".into())
            }
            "hoard_fields" => {
                let value = vec![b'x'; 8 * 1024];
                let mut held = Vec::new();
                for _ in 0..orders.size {
                    let fields = wasip2::http::types::Fields::new();
                    fields
                        .append("x-hoard", &value)
                        .map_err(|e| JobError::Fail(format!("append: {e:?}")))?;
                    held.push(fields);
                }
                Ok(format!("{{\"held\":{}}}", held.len()))
            }
            "hoard_bodies" => {
                use wasip2::http::types::{Fields, OutgoingRequest};
                let chunk = vec![b'x'; 1 << 20];
                let mut held = Vec::new();
                let mut bytes: u64 = 0;
                for _ in 0..orders.size {
                    let request = OutgoingRequest::new(Fields::new());
                    let body = request.body().map_err(|()| JobError::Fail("body".into()))?;
                    let stream = body.write().map_err(|()| JobError::Fail("write".into()))?;
                    // Write until the host takes no more without sending.
                    loop {
                        let permitted = stream
                            .check_write()
                            .map_err(|e| JobError::Fail(format!("check_write: {e:?}")))?;
                        if permitted == 0 {
                            break;
                        }
                        let len = usize::try_from(permitted).unwrap_or(chunk.len()).min(chunk.len());
                        stream
                            .write(&chunk[..len])
                            .map_err(|e| JobError::Fail(format!("write: {e:?}")))?;
                        bytes += len as u64;
                    }
                    held.push((stream, body, request));
                }
                let out = format!("{{\"held\":{},\"bytes\":{bytes}}}", held.len());
                // Streams before bodies before requests: the order wasi:http requires.
                while let Some((stream, body, request)) = held.pop() {
                    drop(stream);
                    drop(body);
                    drop(request);
                }
                Ok(out)
            }
            other => Err(JobError::Fail(format!("unknown action {other}"))),
        }
    }
}

export_job!(Chaos);
