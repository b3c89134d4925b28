import { useCallback, useState } from "react";
import { AdminClient } from "../api";
import { usePolling } from "../parts/usePolling";
import { Empty, Loading, ProblemView } from "../parts/Status";

export function Audit({ client }: { client: AdminClient }) {
  const [keyId, setKeyId] = useState("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1];
  const load = useCallback(() => client.audit({ key_id: keyId.trim(), cursor }), [client, keyId, cursor]);
  const { data, error, loading } = usePolling(load, null);
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Key id
          <input value={keyId} onChange={(e) => (setKeyId(e.target.value), setCursors([null]))} placeholder="16 hex digits" />
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
      <div className="row">
        <button type="button" className="secondary" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <button type="button" className="secondary" disabled={!data?.next_cursor} onClick={() => data?.next_cursor && setCursors([...cursors, data.next_cursor])}>
          Next page
        </button>
      </div>
    </section>
  );
}
