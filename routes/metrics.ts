/** Route module: `GET /metrics` — the process's metrics in Prometheus text format (open, like most exporters). */
import { Hono } from "hono";
import type { Metrics } from "../src/metrics/types.ts";

/** Creates the `/metrics` sub-app; mount at `/`. */
export function metricsRoute(metrics: Metrics): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) => c.body(await metrics.render(), 200, { "content-type": metrics.contentType, "cache-control": "no-store" }));
  return app;
}
