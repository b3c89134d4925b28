//! `runtime-worker smoke --base-url <url>`: the check an operator runs after a deploy. It walks
//! one job through the running app — health, readiness, an admin token minted from `JWT_SECRET`,
//! a new API key, an `echo` job dispatched and run by a worker, the job counted in `/metrics`, the
//! key revoked and refused — printing ✓ or ✗ per step and stopping at the first failure.

mod client;

use std::time::{Duration, Instant};

use serde_json::json;

use self::client::{Client, Reply};
use crate::cli::SmokeArgs;

/// How often the job's state is read while waiting for it.
const POLL_EVERY: Duration = Duration::from_millis(200);
/// Per-request timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What the steps learn and pass on.
#[derive(Default)]
struct Learned {
    admin_token: String,
    enqueued_before: f64,
    succeeded_before: f64,
    key: String,
    key_id: String,
    job_id: String,
}

/// A failed step: what went wrong, for the ✗ line.
type StepResult = Result<String, String>;

/// Runs the smoke test; `Err` (non-zero exit) at the first failed step.
pub fn run(args: &SmokeArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.base_url, REQUEST_TIMEOUT);
    let smoke = Smoke {
        args,
        client: &client,
    };
    let mut learned = Learned::default();
    type Step<'a> = (&'static str, &'a dyn Fn(&mut Learned) -> StepResult);
    let steps: [Step<'_>; 10] = [
        ("liveness: GET /healthz", &|_| smoke.liveness()),
        ("readiness: GET /readyz", &|_| smoke.readiness()),
        ("admin token minted from JWT_SECRET", &|l| smoke.mint(l)),
        ("metrics before: GET /metrics", &|l| smoke.metrics_before(l)),
        ("create an API key", &|l| smoke.create_key(l)),
        ("dispatch a job", &|l| smoke.dispatch(l)),
        ("the worker runs it to success", &|l| smoke.wait_for_success(l)),
        ("metrics counted it", &|l| smoke.metrics_after(l)),
        ("revoke the key", &|l| smoke.revoke(l)),
        ("dispatch with the revoked key is refused", &|l| smoke.refused(l)),
    ];
    println!("hexaspin smoke test against {}", args.base_url);
    for (number, (name, step)) in steps.iter().enumerate() {
        let started = Instant::now();
        let outcome = step(&mut learned);
        let took = started.elapsed().as_millis();
        match outcome {
            Ok(detail) => println!("  ✓ {name}: {detail} ({took} ms)"),
            Err(reason) => {
                println!("  ✗ {name}: {reason} ({took} ms)");
                anyhow::bail!(
                    "smoke test failed at step {} of {}: {name}",
                    number + 1,
                    steps.len()
                );
            }
        }
    }
    println!("smoke test passed: {} steps", steps.len());
    Ok(())
}

struct Smoke<'a> {
    args: &'a SmokeArgs,
    client: &'a Client,
}

fn unexpected(reply: &Reply) -> String {
    format!("unexpected answer {} ({})", reply.status, reply.code())
}

fn transport(error: anyhow::Error) -> String {
    format!("{error:#}")
}

impl Smoke<'_> {
    fn liveness(&self) -> StepResult {
        let reply = self.client.get("/healthz", None).map_err(transport)?;
        let body = reply.json();
        if reply.status == 200 && body["status"] == "ok" {
            Ok(format!("ok, version {}", body["version"].as_str().unwrap_or("?")))
        } else {
            Err(unexpected(&reply))
        }
    }

    fn readiness(&self) -> StepResult {
        let reply = self.client.get("/readyz", None).map_err(transport)?;
        if reply.status == 200 {
            let checks: Vec<String> = reply.json()["checks"]
                .as_array()
                .map(|checks| {
                    checks
                        .iter()
                        .filter_map(|c| c["name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            Ok(format!("ready ({})", checks.join(", ")))
        } else {
            Err(format!(
                "{}: {}",
                unexpected(&reply),
                reply.json()["detail"].as_str().unwrap_or("")
            ))
        }
    }

    fn mint(&self, learned: &mut Learned) -> StepResult {
        learned.admin_token =
            crate::admin_token::mint(&self.args.claims, "smoke-test", 600).map_err(transport)?;
        Ok("valid for 10 minutes, sub smoke-test".into())
    }

    fn scrape(&self) -> Result<String, String> {
        let reply = self
            .client
            .get("/metrics", self.args.metrics_token.as_deref())
            .map_err(transport)?;
        let text_format = reply
            .content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("text/plain"));
        if reply.status == 200 && text_format {
            Ok(reply.body)
        } else if reply.status == 401 {
            Err(format!(
                "{} (set METRICS_TOKEN to the app's metrics_token)",
                unexpected(&reply)
            ))
        } else {
            Err(unexpected(&reply))
        }
    }

    fn counter(&self, text: &str, name: &str) -> f64 {
        sample(text, &format!("{name}{{kind=\"{}\"}}", self.args.kind)).unwrap_or(0.0)
    }

    fn metrics_before(&self, learned: &mut Learned) -> StepResult {
        let text = self.scrape()?;
        learned.enqueued_before = self.counter(&text, "hexaspin_jobs_enqueued_total");
        learned.succeeded_before = self.counter(&text, "hexaspin_jobs_succeeded_total");
        Ok(format!(
            "{} {} jobs enqueued and {} succeeded so far",
            learned.enqueued_before, self.args.kind, learned.succeeded_before
        ))
    }

    fn create_key(&self, learned: &mut Learned) -> StepResult {
        let body = json!({
            "name": format!("smoke-test-{}", hexaspin_config::os::system_now().as_millis()),
            "scopes": ["jobs:read", "jobs:write"],
        });
        let reply = self
            .client
            .post("/api/admin/api-keys", &learned.admin_token, &body)
            .map_err(transport)?;
        let created = reply.json();
        match (reply.status, created["key"].as_str(), created["id"].as_str()) {
            (201, Some(key), Some(id)) => {
                learned.key = key.to_owned();
                learned.key_id = id.to_owned();
                Ok(format!("key {id}"))
            }
            _ => Err(unexpected(&reply)),
        }
    }

    fn dispatch(&self, learned: &mut Learned) -> StepResult {
        let body = json!({ "kind": self.args.kind, "payload": { "smoke": true } });
        let reply = self
            .client
            .post("/api/jobs", &learned.key, &body)
            .map_err(transport)?;
        match (reply.status, reply.json()["id"].as_str()) {
            (202, Some(id)) => {
                learned.job_id = id.to_owned();
                Ok(format!("{} job {id} accepted", self.args.kind))
            }
            _ => Err(unexpected(&reply)),
        }
    }

    fn wait_for_success(&self, learned: &mut Learned) -> StepResult {
        let deadline = Instant::now() + Duration::from_secs(self.args.timeout);
        let path = format!("/api/jobs/{}", learned.job_id);
        loop {
            let reply = self.client.get(&path, Some(&learned.key)).map_err(transport)?;
            let job = reply.json();
            let state = job["state"].as_str().unwrap_or("").to_owned();
            match (reply.status, state.as_str()) {
                (200, "succeeded") => {
                    return Ok(format!("succeeded after {} attempt(s)", job["attempts"]));
                }
                (200, "failed" | "dead" | "cancelled") => {
                    return Err(format!(
                        "the job ended {state}: {}",
                        job["last_error"].as_str().unwrap_or("no error recorded")
                    ));
                }
                (200, _) => {}
                _ => return Err(unexpected(&reply)),
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "still {state} after {} s: is a worker running against the same queue?",
                    self.args.timeout
                ));
            }
            std::thread::sleep(POLL_EVERY);
        }
    }

    fn metrics_after(&self, learned: &mut Learned) -> StepResult {
        let text = self.scrape()?;
        let enqueued = self.counter(&text, "hexaspin_jobs_enqueued_total");
        let succeeded = self.counter(&text, "hexaspin_jobs_succeeded_total");
        if enqueued > learned.enqueued_before && succeeded > learned.succeeded_before {
            Ok(format!(
                "enqueued {} → {enqueued}, succeeded {} → {succeeded}",
                learned.enqueued_before, learned.succeeded_before
            ))
        } else {
            Err(format!(
                "enqueued {} → {enqueued}, succeeded {} → {succeeded}: the job was not counted",
                learned.enqueued_before, learned.succeeded_before
            ))
        }
    }

    fn revoke(&self, learned: &mut Learned) -> StepResult {
        let path = format!("/api/admin/api-keys/{}/revoke", learned.key_id);
        let reply = self
            .client
            .post(&path, &learned.admin_token, &json!({}))
            .map_err(transport)?;
        if reply.status == 200 && reply.json()["state"] == "revoked" {
            Ok(format!("key {} revoked", learned.key_id))
        } else {
            Err(unexpected(&reply))
        }
    }

    fn refused(&self, learned: &mut Learned) -> StepResult {
        let body = json!({ "kind": self.args.kind, "payload": { "smoke": true } });
        let reply = self
            .client
            .post("/api/jobs", &learned.key, &body)
            .map_err(transport)?;
        if reply.status == 401 && reply.code() == "api_key_revoked" {
            Ok("401 api_key_revoked".into())
        } else {
            Err(unexpected(&reply))
        }
    }
}

/// The value of the sample `series` (`name{labels}` exactly as written) in a text exposition.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            if name == series { value.parse().ok() } else { None }
        })
}

#[cfg(test)]
mod tests {
    use super::sample;

    #[test]
    fn a_sample_is_found_by_its_exact_series() {
        let text =
            "# HELP x_total x\n# TYPE x_total counter\nx_total{kind=\"echo\"} 3\nx_total{kind=\"echo2\"} 5\n";
        assert_eq!(sample(text, "x_total{kind=\"echo\"}"), Some(3.0));
        assert_eq!(sample(text, "x_total{kind=\"webhook\"}"), None);
    }
}
