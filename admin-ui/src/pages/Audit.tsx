import { useCallback, useState } from "react";
import { AdminClient } from "../api";
import { usePolling } from "../parts/usePolling";
import { Pager, useCursorPages } from "../parts/Pager";
import { Empty, Loading, ProblemView } from "../parts/Status";

export function Audit({ client }: { client: AdminClient }) {
  const [keyId, setKeyId] = useState("");
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const load = useCallback(() => client.audit({ key_id: keyId.trim(), cursor }), [client, keyId, cursor]);
  const { data, error, loading } = usePolling(load, null);
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Key id
          <input value={keyId} onChange={(e) => (setKeyId(e.target.value), pages.reset())} placeholder="16 hex digits" />
        </label>
      </form>
      <ProblemView error={error} />
      {loading && <Loading what="the audit log" />}
      {data && data.items.length === 0 && <Empty>No entries.</Empty>}
      {data && data.items.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Key</th>
                <th scope="col" className="wide-only">Detail</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((entry) => (
                <tr key={entry.seq}>
                  <td>{new Date(entry.at).toLocaleString()}</td>
                  <td>{entry.actor}</td>
                  <td>{entry.action}</td>
                  <td className="mono">{entry.key_id ?? "—"}</td>
                  <td className="mono small wide-only">{JSON.stringify(entry.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager onPrevious={pages.previous} onNext={pages.next(data?.next_cursor)} />
    </section>
  );
}
