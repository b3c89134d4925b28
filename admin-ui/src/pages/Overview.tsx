import { useCallback, useEffect, useState } from "react";
import { AdminClient, sumMetric } from "../api";
import { usePolling } from "../parts/usePolling";
import { Loading, ProblemView } from "../parts/Status";

interface Probe {
  live: boolean;
  ready: boolean;
  readiness: string;
}

async function probe(): Promise<Probe> {
  const live = await fetch("/healthz").then((r) => r.ok, () => false);
  const response = await fetch("/readyz").catch(() => null);
  const readiness = response ? await response.text() : "unreachable";
  return { live, ready: response?.ok ?? false, readiness };
}

const KEY_STATES = ["active", "disabled", "expired", "revoked"];

export function Overview({ client }: { client: AdminClient }) {
  const health = usePolling(probe, 10000);
  const loadMetrics = useCallback(() => client.metrics(), [client]);
  const metrics = usePolling(loadMetrics, 5000);
  const [history, setHistory] = useState<{ at: number; succeeded: number; failed: number }[]>([]);
  const text = metrics.data ?? "";
  const succeeded = sumMetric(text, "hexaspin_jobs_succeeded_total");
  const failed = sumMetric(text, "hexaspin_jobs_failed_total");
  useEffect(() => {
    if (!metrics.data) return;
    setHistory((h) => [...h.slice(-59), { at: Date.now(), succeeded, failed }]);
  }, [metrics.data, succeeded, failed]);
  const beats = text
    .split("\n")
    .filter((l) => l.startsWith("hexaspin_worker_last_heartbeat_timestamp_seconds{"))
    .map((l) => {
      const worker = /worker="([^"]*)"/.exec(l)?.[1] ?? "?";
      const at = Number(l.split(" ").pop());
      return { worker, at: new Date(at * 1000) };
    });
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <div className="cards">
        <div className="card stat">
          <h2>Health</h2>
          {health.loading ? (
            <Loading what="health" />
          ) : (
            <p>
              <span className={`badge ${health.data?.live ? "active" : "revoked"}`}>{health.data?.live ? "live" : "down"}</span>{" "}
              <span className={`badge ${health.data?.ready ? "active" : "revoked"}`} data-testid="readiness">
                {health.data?.ready ? "ready" : "not ready"}
              </span>
            </p>
          )}
        </div>
        <Stat title="Jobs succeeded" value={metrics.data ? succeeded : undefined} testId="jobs-succeeded" />
        <Stat title="Jobs failed" value={metrics.data ? failed : undefined} testId="jobs-failed" />
        <Stat
          title="Quota rejections"
          value={metrics.data ? sumMetric(text, "hexaspin_quota_rejections_total") : undefined}
        />
      </div>
      <ProblemView error={metrics.error} />
      <div className="cards">
        <div className="card">
          <h2>Keys by state</h2>
          <dl className="facts">
            {KEY_STATES.map((state) => (
              <div key={state}>
                <dt>{state}</dt>
                <dd>{metrics.data ? sumMetric(text, "hexaspin_api_keys", { state }) : "…"}</dd>
              </div>
            ))}
          </dl>
        </div>
        <div className="card">
          <h2>Workers</h2>
          {beats.length === 0 ? (
            <p className="empty">No worker has reported yet.</p>
          ) : (
            <ul>
              {beats.map((b) => (
                <li key={b.worker}>
                  <span className="mono">{b.worker}</span> — last heartbeat {b.at.toLocaleTimeString()}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <div className="card">
        <h2>Succeeded and failed jobs, last minutes</h2>
        <Chart points={history} />
      </div>
    </section>
  );
}

/** One figure in a card; "…" until the first scrape has come. */
function Stat({ title, value, testId }: { title: string; value: number | undefined; testId?: string }) {
  return (
    <div className="card stat">
      <h2>{title}</h2>
      <p className="big" data-testid={testId}>
        {value ?? "…"}
      </p>
    </div>
  );
}

/** Jobs finished per poll interval, as two lines (succeeded, failed), with a legend. */
function Chart({ points }: { points: { succeeded: number; failed: number }[] }) {
  if (points.length < 2) return <p className="muted">Collecting samples…</p>;
  const deltas = points.slice(1).map((p, i) => ({
    succeeded: Math.max(0, p.succeeded - points[i].succeeded),
    failed: Math.max(0, p.failed - points[i].failed),
  }));
  const peak = Math.max(0, ...deltas.map((d) => Math.max(d.succeeded, d.failed)));
  const [width, height, pad] = [600, 120, 6];
  const line = (pick: (d: { succeeded: number; failed: number }) => number) =>
    deltas
      .map((d, i) => {
        const x = pad + (i / Math.max(1, deltas.length - 1)) * (width - 2 * pad);
        const y = height - pad - (pick(d) / Math.max(1, peak)) * (height - 2 * pad);
        return `${x.toFixed(1)},${y.toFixed(1)}`;
      })
      .join(" ");
  return (
    <figure className="chart-figure">
      <svg viewBox={`0 0 ${width} ${height}`} className="chart" role="img" aria-label="Jobs finished per 5 seconds">
        <polyline points={line((d) => d.succeeded)} className="ok" fill="none" />
        <polyline points={line((d) => d.failed)} className="bad" fill="none" />
      </svg>
      <figcaption className="legend">
        <span className="key ok">succeeded</span> <span className="key bad">failed</span> — jobs per 5 s over the
        last {deltas.length} samples; peak {peak}
      </figcaption>
    </figure>
  );
}
