/**
 * Route module: `/v1/*` on the bridge forwards the handler's REST API (conversations, groups,
 * history) to a linked handler, so clients only ever talk to their bridge. Auth is the
 * handler's (the user's bearer token is passed through).
 */
import { Hono } from "hono";
import { MagpieError } from "../../src/core/errors.ts";

/** Creates the proxy sub-app; `target(key)` names a handler base URL for a routing key. */
export function proxyRoute(deps: { target: (key: string) => string | undefined; maxBodyBytes: number }): Hono {
  const app = new Hono();
  app.all("/v1/*", async (c) => {
    const url = new URL(c.req.url);
    const conv = /^\/v1\/conversations\/([^/]+)/.exec(url.pathname)?.[1];
    const base = deps.target(conv ? decodeURIComponent(conv) : (c.req.header("authorization") ?? ""));
    if (!base) throw new MagpieError("unavailable", "no handler reachable; retry");
    const body = c.req.method === "GET" || c.req.method === "HEAD" ? undefined : await c.req.arrayBuffer();
    if (body && body.byteLength > deps.maxBodyBytes) throw new MagpieError("payload_too_large", "request body too large");
    const headers = new Headers();
    for (const h of ["authorization", "content-type", "accept"]) {
      const v = c.req.header(h);
      if (v) headers.set(h, v);
    }
    let res: Response;
    try {
      res = await fetch(base + url.pathname + url.search, { method: c.req.method, headers, body, signal: AbortSignal.timeout(10_000) });
    } catch {
      throw new MagpieError("unavailable", "handler did not answer; retry");
    }
    return new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
  });
  return app;
}
