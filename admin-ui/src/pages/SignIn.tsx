import { FormEvent, useState } from "react";
import { Session, sessionOf } from "../session";

export function SignIn({ notice, onSignIn }: { notice: string | null; onSignIn: (session: Session) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const session = sessionOf(token);
    if (typeof session === "string") setError(session);
    else onSignIn(session);
  };
  return (
    <main className="sign-in">
      <h1>hexaspin admin</h1>
      {notice && (
        <p className="notice" role="alert">
          {notice}
        </p>
      )}
      <form onSubmit={submit}>
        <label htmlFor="token">Admin token (JWT)</label>
        <textarea
          id="token"
          rows={4}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          spellCheck={false}
          autoComplete="off"
          required
        />
        {error && (
          <p className="problem" role="alert">
            {error}
          </p>
        )}
        <button type="submit">Sign in</button>
      </form>
      <p className="muted">
        Mint one with <code>runtime-worker admin-token --sub you --url http://127.0.0.1:3000</code>{" "}
        and open the link it prints: the token travels in the address's fragment, which is never
        sent to a server, and stays in this tab only.
      </p>
    </main>
  );
}
