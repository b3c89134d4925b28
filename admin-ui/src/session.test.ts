import { describe, expect, it } from "vitest";
import { decodeClaims, sessionOf, tokenFromFragment } from "./session";

const encode = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const jwt = (claims: Record<string, unknown>) => `${encode({ alg: "HS256" })}.${encode(claims)}.signature`;
const now = new Date("2026-11-24T12:00:00Z");
const inAnHour = now.getTime() / 1000 + 3600;

describe("the admin session", () => {
  it("reads the subject and expiry of an admin token", () => {
    const session = sessionOf(jwt({ sub: "ada", role: "admin", exp: inAnHour }), now);
    expect(session).toEqual({ token: expect.any(String), subject: "ada", expiresAt: new Date(inAnHour * 1000) });
  });

  it("refuses expired, non-admin and malformed tokens with a reason", () => {
    expect(sessionOf(jwt({ sub: "ada", role: "admin", exp: now.getTime() / 1000 - 1 }), now)).toMatch(/expired/);
    expect(sessionOf(jwt({ sub: "ada", role: "user", exp: inAnHour }), now)).toMatch(/admin/);
    expect(sessionOf(jwt({ sub: "ada", role: "admin" }), now)).toMatch(/expiry/);
    expect(sessionOf("not a token", now)).toMatch(/not a JWT/);
    expect(decodeClaims("a.%%%.c")).toBeNull();
  });

  it("takes the token from the link's fragment only when it is there", () => {
    expect(tokenFromFragment("#token=abc.def.ghi")).toBe("abc.def.ghi");
    expect(tokenFromFragment("#other=1")).toBeNull();
    expect(tokenFromFragment("")).toBeNull();
  });
});
