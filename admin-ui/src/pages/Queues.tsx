import { useCallback, useState } from "react";
import { AdminClient, Job, QueueDepth } from "../api";
import { usePolling } from "../parts/usePolling";
import { Pager, useCursorPages } from "../parts/Pager";
import { Empty, Loading, ProblemView } from "../parts/Status";

const STATES = ["scheduled", "queued", "running", "retrying", "succeeded", "failed", "dead", "cancelled"];
const FINISHED = ["succeeded", "failed", "dead", "cancelled"];

export function Queues({ client }: { client: AdminClient }) {
  const loadDepths = useCallback(() => client.queues(), [client]);
  const depths = usePolling(loadDepths, 5000);
  const [state, setState] = useState("dead");
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const loadJobs = useCallback(() => client.jobs({ state, cursor }), [client, state, cursor]);
  const jobs = usePolling(loadJobs, 5000);
  const [selected, setSelected] = useState<Job | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);

  const act = async (what: string, action: () => Promise<unknown>) => {
    setActionError(null);
    setMessage(null);
    try {
      await action();
      setMessage(what);
      setSelected(null);
      await Promise.all([jobs.refresh(), depths.refresh()]);
    } catch (e) {
      setActionError(e);
    }
  };

  return (
    <section aria-labelledby="queues-title">
      <h1 id="queues-title">Queues</h1>
      <h2>Jobs by state and priority</h2>
      <ProblemView error={depths.error} />
      {depths.loading && <Loading what="queue depths" />}
      {depths.data && <DepthTable depths={depths.data.depths} />}

      <h2>Jobs</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          State
          <select value={state} onChange={(e) => (setState(e.target.value), pages.reset(), setSelected(null))}>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </form>
      {message && <p role="status">{message}</p>}
      <ProblemView error={actionError ?? jobs.error} />
      {jobs.loading && <Loading what="jobs" />}
      {jobs.data && jobs.data.items.length === 0 && <Empty>No {state} jobs.</Empty>}
      {jobs.data && jobs.data.items.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Kind</th>
                <th scope="col">Attempts</th>
                <th scope="col" className="wide-only">Updated</th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.items.map((job) => (
                <tr key={job.id} aria-selected={selected?.id === job.id}>
                  <td>
                    <button type="button" className="link mono" onClick={() => setSelected(job)}>
                      {job.id}
                    </button>
                  </td>
                  <td>{job.kind}</td>
                  <td>
                    {job.attempts}/{job.max_attempts}
                  </td>
                  <td className="wide-only">{new Date(job.updated_at).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager onPrevious={pages.previous} onNext={pages.next(jobs.data?.next_cursor)} />
      {selected && (
        <JobDetail
          job={selected}
          onRetry={() => act("Retried: the job is queued again.", () => client.retryJob(selected.id))}
          onDelete={() => act("Deleted.", () => client.deleteJob(selected.id))}
        />
      )}
    </section>
  );
}

function DepthTable({ depths }: { depths: QueueDepth[] }) {
  const priorities = Array.from(new Set(depths.map((d) => d.priority))).sort((a, b) => a - b);
  const states = STATES.filter((s) => depths.some((d) => d.state === s && d.count > 0));
  if (states.length === 0) return <Empty>No jobs at all yet.</Empty>;
  const count = (state: string, priority: number) =>
    depths.filter((d) => d.state === state && d.priority === priority).reduce((n, d) => n + d.count, 0);
  return (
    <div className="table-wrap">
      <table data-testid="depths">
        <thead>
          <tr>
            <th scope="col">State</th>
            {priorities.map((p) => (
              <th scope="col" key={p}>
                p{p}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {states.map((state) => (
            <tr key={state}>
              <th scope="row">{state}</th>
              {priorities.map((p) => (
                <td key={p}>{count(state, p)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function JobDetail({ job, onRetry, onDelete }: { job: Job; onRetry: () => void; onDelete: () => void }) {
  return (
    <section className="card" aria-labelledby="job-title">
      <h2 id="job-title" className="mono">
        {job.id}
      </h2>
      <dl className="facts">
        {(
          [
            ["State", job.state],
            ["Kind", job.kind],
            ["Key", job.key_id ?? "—"],
            ["Priority", String(job.priority)],
            ["Attempts", `${job.attempts} of ${job.max_attempts}`],
            ["Last error", job.last_error ?? "—"],
            ["Created", new Date(job.created_at).toLocaleString()],
            ["Started", job.started_at ? new Date(job.started_at).toLocaleString() : "—"],
            ["Finished", job.finished_at ? new Date(job.finished_at).toLocaleString() : "—"],
          ] as const
        ).map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <h3>Payload</h3>
      <pre>{JSON.stringify(job.payload, null, 2)}</pre>
      {job.result !== null && job.result !== undefined && (
        <>
          <h3>Result</h3>
          <pre>{JSON.stringify(job.result, null, 2)}</pre>
        </>
      )}
      <div className="row">
        {job.state === "dead" && (
          <button type="button" onClick={onRetry}>
            Retry job
          </button>
        )}
        {FINISHED.includes(job.state) && (
          <button type="button" className="danger" onClick={onDelete}>
            Delete job
          </button>
        )}
      </div>
    </section>
  );
}
