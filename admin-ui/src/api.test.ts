import { describe, expect, it, vi } from "vitest";
import { AdminClient, ApiProblem, problemOf, query, sumMetric } from "./api";

const problemResponse = (status: number, code: string) =>
  new Response(JSON.stringify({ type: "x", title: "Conflict", status, detail: "someone changed it", code }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });

describe("the admin API client", () => {
  it("sends the token and JSON, and returns the parsed answer", async () => {
    const fetcher = vi.fn(async () => new Response(JSON.stringify({ id: "k1" }), { headers: { "content-type": "application/json" } }));
    const client = new AdminClient("tok", () => {}, fetcher);
    await expect(client.updateKey("k1", { name: "n" })).resolves.toEqual({ id: "k1" });
    expect(fetcher).toHaveBeenCalledWith("/api/admin/api-keys/k1", {
      method: "PATCH",
      headers: { authorization: "Bearer tok", "content-type": "application/json" },
      body: JSON.stringify({ name: "n" }),
    });
  });

  it("turns problem+json into an ApiProblem with title, detail and code", async () => {
    const client = new AdminClient("tok", () => {}, async () => problemResponse(409, "concurrent_update"));
    const error = await client.revokeKey("k1").catch((e) => e);
    expect(error).toBeInstanceOf(ApiProblem);
    expect(error.problem).toEqual({ status: 409, title: "Conflict", detail: "someone changed it", code: "concurrent_update" });
  });

  it("reports every 401 so the app can return to sign-in", async () => {
    const onUnauthorized = vi.fn();
    const client = new AdminClient("tok", onUnauthorized, async () => problemResponse(401, "token_expired"));
    await expect(client.queues()).rejects.toBeInstanceOf(ApiProblem);
    expect(onUnauthorized).toHaveBeenCalledWith(expect.objectContaining({ code: "token_expired" }));
  });

  it("describes a failure whose body is not a problem", async () => {
    const problem = await problemOf(new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    expect(problem).toEqual({ status: 502, title: "Bad Gateway", detail: "the server answered 502", code: "unexpected_response" });
  });

  it("builds query strings of the set parameters only", () => {
    expect(query({ owner: "ada b", state: "", cursor: null, limit: 20 })).toBe("?owner=ada+b&limit=20");
    expect(query({})).toBe("");
  });

  it("sums a metric's samples, optionally by label", () => {
    const text = [
      "# HELP hexaspin_jobs_succeeded_total x",
      'hexaspin_jobs_succeeded_total{kind="echo"} 3',
      'hexaspin_jobs_succeeded_total{kind="webhook"} 4',
      'hexaspin_jobs_succeeded_total_other{kind="echo"} 100',
      'hexaspin_api_keys{state="active"} 2',
      'hexaspin_api_keys{state="revoked"} 1',
    ].join("\n");
    expect(sumMetric(text, "hexaspin_jobs_succeeded_total")).toBe(7);
    expect(sumMetric(text, "hexaspin_api_keys", { state: "revoked" })).toBe(1);
  });
});
