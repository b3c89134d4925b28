import { useCallback, useMemo, useState } from "react";
import { AdminClient, Problem } from "./api";
import { BASE, Route, navigate, pathOf, useRoute } from "./router";
import { Session, forgetToken, sessionOf, storeToken, storedToken, tokenFromFragment } from "./session";
import { SignIn } from "./pages/SignIn";
import { Overview } from "./pages/Overview";
import { Keys } from "./pages/Keys";
import { KeyDetail } from "./pages/KeyDetail";
import { Audit } from "./pages/Audit";
import { Queues } from "./pages/Queues";

/** The token from the link's fragment (then removed from the address bar), else the stored one. */
function initialSession(): { session: Session | null; notice: string | null } {
  const fromLink = tokenFromFragment(window.location.hash);
  if (fromLink !== null) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  const token = fromLink ?? storedToken();
  if (!token) return { session: null, notice: null };
  const session = sessionOf(token);
  if (typeof session === "string") {
    forgetToken();
    return { session: null, notice: session };
  }
  storeToken(session.token);
  return { session, notice: null };
}

const PAGES: { route: Route; label: string }[] = [
  { route: { page: "overview" }, label: "Overview" },
  { route: { page: "keys" }, label: "Keys" },
  { route: { page: "audit" }, label: "Audit" },
  { route: { page: "queues" }, label: "Queues" },
];

export function App() {
  const [{ session, notice }, setState] = useState(initialSession);
  const route = useRoute();
  const signOut = useCallback((why: string | null) => {
    forgetToken();
    setState({ session: null, notice: why });
  }, []);
  const client = useMemo(
    () =>
      session &&
      new AdminClient(session.token, (problem: Problem) =>
        signOut(`Signed out: ${problem.detail} (${problem.code}).`),
      ),
    [session, signOut],
  );
  if (!session || !client) {
    return (
      <SignIn
        notice={notice}
        onSignIn={(next) => {
          storeToken(next.token);
          setState({ session: next, notice: null });
        }}
      />
    );
  }
  const current = route.page === "key" ? "keys" : route.page;
  return (
    <div className="layout">
      <header className="top">
        <a className="brand" href={`${BASE}/`} onClick={(e) => (e.preventDefault(), navigate({ page: "overview" }))}>
          hexaspin admin
        </a>
        <nav aria-label="Pages">
          {PAGES.map(({ route: target, label }) => (
            <a
              key={label}
              href={pathOf(target)}
              aria-current={current === target.page ? "page" : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate(target);
              }}
            >
              {label}
            </a>
          ))}
        </nav>
        <div className="who">
          <span>
            {session.subject} · token expires{" "}
            <time dateTime={session.expiresAt.toISOString()} data-testid="token-expiry">
              {session.expiresAt.toLocaleString()}
            </time>
          </span>
          <button type="button" className="secondary" onClick={() => signOut(null)}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        {route.page === "overview" && <Overview client={client} />}
        {route.page === "keys" && <Keys client={client} />}
        {route.page === "key" && <KeyDetail client={client} id={route.id} />}
        {route.page === "audit" && <Audit client={client} />}
        {route.page === "queues" && <Queues client={client} />}
      </main>
    </div>
  );
}
