import { FormEvent, useCallback, useState } from "react";
import { AdminClient, ApiKey, ApiProblem } from "../api";
import { navigate } from "../router";
import { usePolling } from "../parts/usePolling";
import { Loading, ProblemView } from "../parts/Status";
import { SecretOnce } from "../parts/Secret";
import { LimitsFields, limitsFrom } from "../parts/LimitsFields";

export function KeyDetail({ client, id }: { client: AdminClient; id: string }) {
  const load = useCallback(() => client.getKey(id), [client, id]);
  const { data: key, error, loading, refresh } = usePolling(load, null);
  const [secret, setSecret] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const act = async (action: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await action();
      await refresh();
    } catch (e) {
      setActionError(e);
    }
  };
  return (
    <section aria-labelledby="key-title">
      <p>
        <a
          href="/admin-ui/keys"
          onClick={(e) => {
            e.preventDefault();
            navigate({ page: "keys" });
          }}
        >
          ← All keys
        </a>
      </p>
      {loading && <Loading what="the key" />}
      <ProblemView error={error} />
      {key && (
        <>
          <h1 id="key-title">
            {key.name} <span className={`badge ${key.state}`}>{key.state}</span>
          </h1>
          {secret && <SecretOnce secret={secret} onDismiss={() => setSecret(null)} />}
          <KeyFacts keyRecord={key} />
          <ProblemView error={actionError} />
          {key.state !== "revoked" && (
            <>
              <EditKey client={client} keyRecord={key} onSaved={refresh} />
              <div className="card">
                <h2>Rotate</h2>
                <RotateKey
                  onRotate={(grace) =>
                    act(async () => setSecret((await client.rotateKey(key.id, grace)).key))
                  }
                />
              </div>
              <div className="card danger">
                <h2>Revoke</h2>
                <p>A revoked key stops working at its next use and cannot be brought back.</p>
                {confirming ? (
                  <div className="row">
                    <button type="button" className="danger" onClick={() => act(() => client.revokeKey(key.id)).then(() => setConfirming(false))}>
                      Yes, revoke {key.name}
                    </button>
                    <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                      Keep it
                    </button>
                  </div>
                ) : (
                  <button type="button" className="danger" onClick={() => setConfirming(true)}>
                    Revoke…
                  </button>
                )}
              </div>
            </>
          )}
        </>
      )}
    </section>
  );
}

function KeyFacts({ keyRecord: key }: { keyRecord: ApiKey }) {
  const rows: [string, string][] = [
    ["Id", key.id],
    ["Prefix", key.prefix],
    ["Owner", key.owner ?? "—"],
    ["Scopes", key.scopes.join(", ") || "none"],
    ["Remaining uses", key.remaining === null ? "unlimited" : String(key.remaining)],
    ["Refill", key.refill ? `${key.refill.amount} ${key.refill.interval}` : "—"],
    ["Rate / burst", `${key.limits.rate_per_sec ?? "default"} / ${key.limits.burst ?? "default"}`],
    ["Concurrency", String(key.limits.concurrency ?? "default")],
    ["Daily quota", String(key.limits.daily_quota ?? "default")],
    ["Expires", key.expires_at ? new Date(key.expires_at).toLocaleString() : "never"],
    ["Old secret valid until", key.previous_secret_valid_until ? new Date(key.previous_secret_valid_until).toLocaleString() : "—"],
    ["Created", new Date(key.created_at).toLocaleString()],
    ["Updated", new Date(key.updated_at).toLocaleString()],
  ];
  return (
    <dl className="facts">
      {rows.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function EditKey({ client, keyRecord: key, onSaved }: { client: AdminClient; keyRecord: ApiKey; onSaved: () => Promise<void> }) {
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setSaved(false);
    setError(null);
    try {
      await client.updateKey(key.id, {
        name: String(form.get("name") ?? "").trim(),
        enabled: form.get("enabled") === "on",
        limits: limitsFrom(form),
      });
      setSaved(true);
      await onSaved();
    } catch (e) {
      setError(e);
    }
  };
  const conflict = error instanceof ApiProblem && error.problem.code === "concurrent_update";
  return (
    <form className="card" onSubmit={submit} aria-label="Edit key" key={key.updated_at}>
      <h2>Edit</h2>
      <div className="grid">
        <label>
          Name
          <input name="name" defaultValue={key.name} required maxLength={100} />
        </label>
        <label className="inline">
          <input type="checkbox" name="enabled" defaultChecked={key.enabled} /> Enabled
        </label>
        <LimitsFields limits={key.limits} />
      </div>
      {conflict && (
        <p className="notice" role="alert">
          Someone changed this key while you were editing it. The form now shows their version;
          make your change again.
        </p>
      )}
      <ProblemView error={error} />
      {saved && <p role="status">Saved.</p>}
      <button type="submit">Save</button>
    </form>
  );
}

function RotateKey({ onRotate }: { onRotate: (graceSeconds: number) => void }) {
  const [grace, setGrace] = useState("0");
  return (
    <form
      className="row"
      onSubmit={(e) => {
        e.preventDefault();
        onRotate(Number(grace) || 0);
      }}
    >
      <label>
        Old secret stays valid for (seconds)
        <input type="number" min={0} max={604800} value={grace} onChange={(e) => setGrace(e.target.value)} />
      </label>
      <button type="submit">Rotate secret</button>
    </form>
  );
}
