// Loading, empty and error states every page shows the same way.
import { ApiProblem } from "../api";

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** A problem+json error with its title, detail and code; other errors with their message. */
export function ProblemView({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof ApiProblem) {
    const { title, detail, code, status } = error.problem;
    return (
      <div className="problem" role="alert">
        <strong>
          {status} {title}
        </strong>
        <p>{detail}</p>
        <code>{code}</code>
      </div>
    );
  }
  return (
    <div className="problem" role="alert">
      <strong>Request failed</strong>
      <p>{error instanceof Error ? error.message : String(error)}</p>
    </div>
  );
}
