import { FormEvent, useCallback, useState } from "react";
import { AdminClient, ApiKey } from "../api";
import { navigate } from "../router";
import { usePolling } from "../parts/usePolling";
import { Pager, useCursorPages } from "../parts/Pager";
import { Empty, Loading, ProblemView } from "../parts/Status";
import { SecretOnce } from "../parts/Secret";
import { LimitsFields, limitsFrom } from "../parts/LimitsFields";

const STATES = ["", "active", "disabled", "expired", "revoked"];

export function Keys({ client }: { client: AdminClient }) {
  const [owner, setOwner] = useState("");
  const [state, setState] = useState("");
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const load = useCallback(() => client.listKeys({ owner, state, cursor, limit: 20 }), [client, owner, state, cursor]);
  const { data, error, loading, refresh } = usePolling(load, null);
  const [secret, setSecret] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  return (
    <section aria-labelledby="keys-title">
      <div className="title-row">
        <h1 id="keys-title">API keys</h1>
        <button type="button" onClick={() => setCreating(!creating)} aria-expanded={creating}>
          {creating ? "Close" : "New key"}
        </button>
      </div>
      {secret && <SecretOnce secret={secret} onDismiss={() => setSecret(null)} />}
      {creating && (
        <CreateKey
          client={client}
          onCreated={(key) => {
            setSecret(key);
            setCreating(false);
            pages.reset();
            void refresh();
          }}
        />
      )}
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Owner
          <input value={owner} onChange={(e) => (setOwner(e.target.value), pages.reset())} />
        </label>
        <label>
          State
          <select value={state} onChange={(e) => (setState(e.target.value), pages.reset())}>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s || "any"}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ProblemView error={error} />
      {loading && <Loading what="keys" />}
      {data && data.items.length === 0 && <Empty>No keys match.</Empty>}
      {data && data.items.length > 0 && <KeyTable keys={data.items} />}
      <Pager onPrevious={pages.previous} onNext={pages.next(data?.next_cursor)} />
    </section>
  );
}

function KeyTable({ keys }: { keys: ApiKey[] }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Owner</th>
            <th scope="col">State</th>
            <th scope="col" className="wide-only">Remaining</th>
            <th scope="col" className="wide-only">Created</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.id}>
              <td>
                <a
                  href={`/admin-ui/keys/${key.id}`}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate({ page: "key", id: key.id });
                  }}
                >
                  {key.name}
                </a>
                <div className="muted mono">{key.prefix}</div>
              </td>
              <td>{key.owner ?? "—"}</td>
              <td>
                <span className={`badge ${key.state}`}>{key.state}</span>
              </td>
              <td className="wide-only">{key.remaining ?? "unlimited"}</td>
              <td className="wide-only">{new Date(key.created_at).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CreateKey({ client, onCreated }: { client: AdminClient; onCreated: (secret: string) => void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? "").trim();
    const number = (name: string) => (text(name) === "" ? undefined : Number(text(name)));
    const body: Record<string, unknown> = {
      name: text("name"),
      scopes: form.getAll("scopes").map(String),
      limits: limitsFrom(form),
    };
    if (text("owner")) body.owner = text("owner");
    if (text("expires_at")) body.expires_at = new Date(text("expires_at")).toISOString();
    if (number("remaining") !== undefined) body.remaining = number("remaining");
    if (number("refill_amount") !== undefined) {
      body.refill = { interval: text("refill_interval"), amount: number("refill_amount") };
    }
    setBusy(true);
    try {
      const created = await client.createKey(body);
      onCreated(created.key);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-label="New key">
      <div className="grid">
        <label>
          Name
          <input name="name" required maxLength={100} />
        </label>
        <label>
          Owner
          <input name="owner" maxLength={200} />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          <label className="inline">
            <input type="checkbox" name="scopes" value="jobs:write" defaultChecked /> jobs:write
          </label>
          <label className="inline">
            <input type="checkbox" name="scopes" value="jobs:read" defaultChecked /> jobs:read
          </label>
        </fieldset>
        <label>
          Expires at
          <input name="expires_at" type="datetime-local" />
        </label>
        <label>
          Remaining uses
          <input name="remaining" type="number" min={0} />
        </label>
        <label>
          Refill
          <select name="refill_interval" defaultValue="daily">
            <option value="daily">daily</option>
            <option value="monthly">monthly</option>
          </select>
        </label>
        <label>
          Refill amount
          <input name="refill_amount" type="number" min={1} />
        </label>
        <LimitsFields />
      </div>
      <ProblemView error={error} />
      <button type="submit" disabled={busy}>
        Create key
      </button>
    </form>
  );
}
