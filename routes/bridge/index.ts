/** The bridge's Hono app: client WebSocket, REST proxy to handlers, health. */
import { createBaseApp } from "../../src/http/app.ts";
import { wsRoute, type WsRouteDeps } from "./ws.ts";
import { proxyRoute } from "./proxy.ts";

/** Dependencies of the bridge app. */
export interface BridgeAppDeps extends WsRouteDeps {
  ready: () => boolean;
}

/** Creates the bridge app. */
export function createBridgeApp(deps: BridgeAppDeps) {
  const app = createBaseApp(deps.log);
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => (deps.ready() && !deps.draining() ? c.json({ status: "ready" }) : c.json({ status: deps.draining() ? "draining" : "starting" }, 503)));
  app.route("/", wsRoute(deps));
  app.route("/", proxyRoute({ target: (key) => deps.pool.urlFor(key), maxBodyBytes: 1024 * 1024 }));
  return app;
}
