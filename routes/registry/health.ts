/** `/healthz` (the process is up) and `/readyz` (ready to answer: warm-up over). */
import { Hono } from "hono";
import { MagpieError } from "../../src/core/errors.ts";
import type { RegistryDeps } from "../../src/registry/deps.ts";

/** Health routes; mount at `/`. */
export function healthRoutes(deps: RegistryDeps): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    if (deps.ready && !deps.ready()) throw new MagpieError("unavailable", "warming up: waiting for nodes to report");
    return c.json({ status: "ready" });
  });
  return app;
}
