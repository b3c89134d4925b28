// The admin API client: JSON in and out, problem+json errors as `ApiProblem`s, and a 401 from
// any call reported to the app (which then returns to sign-in).

export interface Problem {
  status: number;
  title: string;
  detail: string;
  code: string;
}

export class ApiProblem extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(`${problem.title}: ${problem.detail} (${problem.code})`);
    this.problem = problem;
  }
}

export interface Limits {
  rate_per_sec?: number | null;
  burst?: number | null;
  concurrency?: number | null;
  daily_quota?: number | null;
}

export interface Refill {
  interval: "daily" | "monthly";
  amount: number;
}

export interface ApiKey {
  id: string;
  prefix: string;
  name: string;
  owner: string | null;
  scopes: string[];
  state: string;
  enabled: boolean;
  limits: Limits;
  remaining: number | null;
  refill: Refill | null;
  expires_at: string | null;
  revoked_at: string | null;
  previous_secret_valid_until: string | null;
  created_at: string;
  updated_at: string;
}

export interface CreatedKey extends ApiKey {
  key: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  key_id: string | null;
  detail: unknown;
}

export interface Job {
  id: string;
  key_id: string | null;
  kind: string;
  state: string;
  priority: number;
  attempts: number;
  max_attempts: number;
  payload: unknown;
  result: unknown;
  last_error: string | null;
  cancel_requested: boolean;
  created_at: string;
  updated_at: string;
  run_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  timeout_ms: number;
}

export interface QueueDepth {
  state: string;
  priority: number;
  count: number;
}

type Fetch = typeof fetch;

/** What a failed response says, as a problem even when the body is not problem+json. */
export async function problemOf(response: Response): Promise<Problem> {
  const fallback: Problem = {
    status: response.status,
    title: response.statusText || "Error",
    detail: `the server answered ${response.status}`,
    code: "unexpected_response",
  };
  try {
    const body = await response.json();
    if (body && typeof body.code === "string") {
      return {
        status: typeof body.status === "number" ? body.status : response.status,
        title: String(body.title ?? fallback.title),
        detail: String(body.detail ?? ""),
        code: body.code,
      };
    }
  } catch {
    // not JSON: the fallback says what happened
  }
  return fallback;
}

/** A query string of the parameters that are set. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export class AdminClient {
  constructor(
    private readonly token: string,
    private readonly onUnauthorized: (problem: Problem) => void,
    private readonly fetcher: Fetch = (input, init) => fetch(input, init),
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await this.fetcher(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      const problem = await problemOf(response);
      if (response.status === 401) this.onUnauthorized(problem);
      throw new ApiProblem(problem);
    }
    if (response.status === 204) return undefined as T;
    const type = response.headers.get("content-type") ?? "";
    return (type.includes("json") ? await response.json() : await response.text()) as T;
  }

  listKeys(filter: { owner?: string; state?: string; cursor?: string | null; limit?: number }) {
    return this.request<Page<ApiKey>>("GET", `/api/admin/api-keys${query(filter)}`);
  }
  getKey(id: string) {
    return this.request<ApiKey>("GET", `/api/admin/api-keys/${encodeURIComponent(id)}`);
  }
  createKey(body: Record<string, unknown>) {
    return this.request<CreatedKey>("POST", "/api/admin/api-keys", body);
  }
  updateKey(id: string, body: Record<string, unknown>) {
    return this.request<ApiKey>("PATCH", `/api/admin/api-keys/${encodeURIComponent(id)}`, body);
  }
  revokeKey(id: string) {
    return this.request<ApiKey>("POST", `/api/admin/api-keys/${encodeURIComponent(id)}/revoke`, {});
  }
  rotateKey(id: string, graceSeconds: number) {
    return this.request<CreatedKey>("POST", `/api/admin/api-keys/${encodeURIComponent(id)}/rotate`, {
      grace_seconds: graceSeconds,
    });
  }
  audit(filter: { key_id?: string; cursor?: string | null }) {
    return this.request<Page<AuditEntry>>("GET", `/api/admin/audit${query(filter)}`);
  }
  queues() {
    return this.request<{ depths: QueueDepth[] }>("GET", "/api/admin/queues");
  }
  jobs(filter: { state?: string; cursor?: string | null }) {
    return this.request<Page<Job>>("GET", `/api/admin/jobs${query(filter)}`);
  }
  retryJob(id: string) {
    return this.request<Job>("POST", `/api/admin/jobs/${encodeURIComponent(id)}/retry`, {});
  }
  deleteJob(id: string) {
    return this.request<void>("DELETE", `/api/admin/jobs/${encodeURIComponent(id)}`);
  }
  metrics() {
    return this.request<string>("GET", "/metrics");
  }
}

/** Sums the samples of one metric in a Prometheus text exposition, optionally by a label. */
export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== "{" && rest[0] !== " ") continue;
    const labelText = rest[0] === "{" ? rest.slice(1, rest.indexOf("}")) : "";
    const matches = Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`));
    if (!matches) continue;
    const value = Number(rest.slice(rest[0] === "{" ? rest.indexOf("}") + 1 : 0).trim().split(" ")[0]);
    if (Number.isFinite(value)) total += value;
  }
  return total;
}
