/**
 * Deno HTTP/WebSocket serving: the same contract as src/runtime/bun/serve.ts, on `Deno.serve`
 * and Hono's Deno WebSocket helper. The only file (with src/runtime/serve.ts) touching `Deno.*`.
 */
import type { Hono } from "hono";
import { upgradeWebSocket } from "hono/deno";
import type { ServeOptions, Served } from "../types.ts";

export { upgradeWebSocket };

declare const Deno: {
  serve(
    opts: { hostname: string; port: number; onListen?: (addr: { port: number }) => void },
    handler: (req: Request, info: unknown) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
};

/** Serves `app` on `hostname:port` (port 0 = any free port) with Deno.serve. */
export function serve(app: Hono, opts: ServeOptions): Served {
  const server = Deno.serve({ hostname: opts.hostname, port: opts.port, onListen: () => {} }, (req, info) => app.fetch(req, info));
  return {
    port: server.addr.port,
    hostname: opts.hostname,
    stop: async () => {
      await server.shutdown();
    },
  };
}
