/**
 * The metric role's Hono app: the dashboard (`/`), the web chat (`/chat`), their bundled
 * assets, the cluster JSON (`/api/cluster`, `/api/history`), and what the chat page needs on
 * this origin: bridge selection proxied to the registries (`/v1/bridges/select`), REST proxied
 * to live bridges only (`/api/chat/rest/*`), and dev tokens (`/api/dev-token`, only when enabled).
 */
import type { Hono } from "hono";
import { z } from "zod";
import { signUserToken } from "../auth/jwt.ts";
import { MagpieError } from "../core/errors.ts";
import { randomId, UserId } from "../core/ids.ts";
import type { Logger } from "../core/log.ts";
import { createBaseApp } from "../http/app.ts";
import { validate } from "../http/validate.ts";
import type { ClusterCollector } from "./collector.ts";
import { chatHtml, dashboardHtml } from "./page/html.ts";

/** Dependencies of the metric app. */
export interface MetricAppDeps {
  collector: ClusterCollector;
  registries: string[];
  jwtSecret: string;
  devTokens: boolean;
  log: Logger;
  /** Bundled page assets by file name (`dashboard.js`, `dashboard.css`, `chat.js`). */
  assets: Record<string, string>;
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
}

const DevTokenBody = z.object({ user: UserId, device: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional() });
const PROXY_HEADER = "x-magpie-bridge-origin";

/** Creates the metric app. */
export function createMetricApp(deps: MetricAppDeps): Hono {
  const app = createBaseApp(deps.log);
  const doFetch = deps.fetch ?? ((i, r) => fetch(i, r));
  const html = (body: string) => new Response(body, { headers: { "content-type": "text/html; charset=utf-8" } });

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/", () => html(dashboardHtml));
  app.get("/chat", () => html(chatHtml(deps.devTokens)));
  app.get("/assets/:file", (c) => {
    const file = c.req.param("file");
    const body = deps.assets[file];
    if (body === undefined) throw new MagpieError("not_found", `no asset ${file}`);
    const type = file.endsWith(".css") ? "text/css" : "text/javascript";
    return c.body(body, 200, { "content-type": `${type}; charset=utf-8`, "cache-control": "no-cache" });
  });
  app.get("/api/cluster", (c) => c.json(deps.collector.view()));
  app.get("/api/history", (c) => c.json({ points: deps.collector.history() }));

  app.post("/api/dev-token", validate("json", DevTokenBody), async (c) => {
    if (!deps.devTokens) throw new MagpieError("forbidden", "dev tokens are off (set MAGPIE_DEV_TOKENS=1 on the metric role)");
    const { user, device } = c.req.valid("json");
    const dev = device ?? `web-${randomId(6)}`;
    return c.json({ token: await signUserToken(deps.jwtSecret, user, dev), user, device: dev });
  });

  // Bridge selection for the chat page: the SDK asks `<registry>/v1/bridges/select`, and the
  // page passes this origin as its registry. Registries are tried in order.
  app.get("/v1/bridges/select", async (c) => {
    const qs = new URL(c.req.url).search;
    let last: Response | null = null;
    for (const r of deps.registries) {
      try {
        const res = await doFetch(new URL(`/v1/bridges/select${qs}`, r).toString(), { signal: AbortSignal.timeout(3000) });
        if (res.ok || res.status < 500) return new Response(res.body, { status: res.status, headers: { "content-type": "application/json" } });
        last = res;
      } catch {
        // next registry
      }
    }
    if (last) return new Response(last.body, { status: last.status, headers: { "content-type": "application/json" } });
    throw new MagpieError("unavailable", "no registry reachable");
  });

  // REST for the chat page, forwarded only to the origin of a live bridge.
  app.all("/api/chat/rest/*", async (c) => {
    const origin = c.req.header(PROXY_HEADER) ?? "";
    const known = [...deps.collector.liveBridges().values()].some((b) => originOf(b.publicUrl) === origin || originOf(b.internalUrl) === origin);
    if (!known) throw new MagpieError("forbidden", "not a live bridge");
    const url = new URL(c.req.url);
    const path = url.pathname.slice("/api/chat/rest".length) + url.search;
    const headers: Record<string, string> = {};
    for (const h of ["authorization", "content-type"]) {
      const v = c.req.header(h);
      if (v) headers[h] = v;
    }
    const body = c.req.method === "GET" || c.req.method === "HEAD" ? undefined : await c.req.arrayBuffer();
    const res = await doFetch(origin + path, { method: c.req.method, headers, body, signal: AbortSignal.timeout(10_000) });
    return new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
  });
  return app;
}

/** `http(s)://host:port` of an http or ws URL, or "" when unparsable. */
function originOf(url: string | undefined): string {
  if (!url) return "";
  try {
    const u = new URL(url);
    if (u.protocol === "ws:") u.protocol = "http:";
    if (u.protocol === "wss:") u.protocol = "https:";
    return u.origin;
  } catch {
    return "";
  }
}
