// The admin token: read once from the link's fragment (never sent to a server), kept in
// sessionStorage for this tab only, and judged by its own `exp` claim.

const STORAGE_KEY = "hexaspin.admin-token";

export interface Session {
  token: string;
  subject: string;
  expiresAt: Date;
}

/** The claims of a JWT, without verifying it: the server does that on every request. */
export function decodeClaims(token: string): Record<string, unknown> | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    const json = new TextDecoder().decode(Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json);
    return typeof claims === "object" && claims !== null ? claims : null;
  } catch {
    return null;
  }
}

/** A session from a token, or why it cannot be one. */
export function sessionOf(token: string, now: Date = new Date()): Session | string {
  const claims = decodeClaims(token.trim());
  if (!claims) return "This is not a JWT.";
  if (typeof claims.exp !== "number") return "The token has no expiry (exp).";
  const expiresAt = new Date(claims.exp * 1000);
  if (expiresAt <= now) return "The token has expired; mint a new one.";
  if (claims.role !== "admin") return "The token is not an admin token (role must be admin).";
  return { token: token.trim(), subject: String(claims.sub ?? ""), expiresAt };
}

/** `#token=…` in a fragment, if any. */
export function tokenFromFragment(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  return params.get("token");
}

export function storedToken(storage: Storage = sessionStorage): string | null {
  return storage.getItem(STORAGE_KEY);
}

export function storeToken(token: string, storage: Storage = sessionStorage): void {
  storage.setItem(STORAGE_KEY, token);
}

export function forgetToken(storage: Storage = sessionStorage): void {
  storage.removeItem(STORAGE_KEY);
}
