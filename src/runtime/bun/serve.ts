/**
 * Bun HTTP/WebSocket serving. The only place (with the other files of src/runtime/bun) that
 * touches `Bun.*`; roles receive a {@link Served} handle and stay runtime-neutral.
 */
import type { Hono } from "hono";
import { upgradeWebSocket, websocket } from "hono/bun";
import type { ServeOptions, Served } from "../types.ts";

export { upgradeWebSocket };

/** Serves `app` on `hostname:port` (port 0 = any free port) with Bun.serve. */
export function serve(app: Hono, opts: ServeOptions): Served {
  const server = Bun.serve({
    hostname: opts.hostname,
    port: opts.port,
    fetch: app.fetch,
    maxRequestBodySize: opts.maxRequestBodySize ?? 1024 * 1024,
    websocket: {
      ...websocket,
      maxPayloadLength: opts.ws?.maxPayloadLength ?? 64 * 1024,
      idleTimeout: opts.ws?.idleTimeoutSeconds ?? 120,
      backpressureLimit: opts.ws?.backpressureLimit ?? 1024 * 1024,
      closeOnBackpressureLimit: true,
      sendPings: true,
      perMessageDeflate: false,
    },
  });
  return {
    port: server.port as number,
    hostname: opts.hostname,
    stop: async (force = false) => {
      await server.stop(force);
    },
  };
}
