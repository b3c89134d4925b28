// Paths under /admin-ui/, with the History API (the component answers every such path with
// index.html, so a reload or a shared link lands on the same page).
import { useEffect, useState } from "react";

export const BASE = "/admin-ui";

export type Route =
  | { page: "overview" }
  | { page: "keys" }
  | { page: "key"; id: string }
  | { page: "audit" }
  | { page: "queues" };

export function routeOf(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = rest.split("/").filter(Boolean);
  if (parts[0] === "keys" && parts[1]) return { page: "key", id: decodeURIComponent(parts[1]) };
  if (parts[0] === "keys") return { page: "keys" };
  if (parts[0] === "audit") return { page: "audit" };
  if (parts[0] === "queues") return { page: "queues" };
  return { page: "overview" };
}

export function pathOf(route: Route): string {
  switch (route.page) {
    case "overview":
      return `${BASE}/`;
    case "key":
      return `${BASE}/keys/${encodeURIComponent(route.id)}`;
    default:
      return `${BASE}/${route.page}`;
  }
}

export function navigate(route: Route): void {
  window.history.pushState(null, "", pathOf(route));
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(routeOf(window.location.pathname));
    window.addEventListener("popstate", update);
    return () => window.removeEventListener("popstate", update);
  }, []);
  return route;
}
