/** `/v1/admin/*`: node list, drain, removal and cluster summary for tooling (admin token). */
import { Hono } from "hono";
import { MagpieError } from "../../src/core/errors.ts";
import { validate } from "../../src/http/validate.ts";
import { requireBearer } from "../../src/registry/auth.ts";
import type { RegistryDeps } from "../../src/registry/deps.ts";
import { NodeParam } from "../../src/registry/schemas.ts";
import { limitBody } from "./body_limit.ts";
import { MAX_SMALL_BYTES } from "../../src/registry/schemas.ts";

/** Admin routes; mount at `/v1/admin`. */
export function adminRoutes(deps: RegistryDeps): Hono {
  const { state, settings, metrics, log } = deps;
  const now = deps.now ?? Date.now;
  const app = new Hono();
  app.use("*", requireBearer([settings.adminToken], () => metrics?.authFailure?.("admin")), limitBody(MAX_SMALL_BYTES));

  app.get("/nodes", (c) => c.json({ nodes: state.list(now()) }));

  app.post("/nodes/:nodeId/drain", validate("param", NodeParam), (c) => {
    const { nodeId } = c.req.valid("param");
    if (!state.drain(nodeId, now())) throw new MagpieError("unknown_node", `node ${nodeId} is not registered here`);
    log.info("node marked draining", { node: nodeId });
    return c.json({ ok: true as const });
  });

  app.delete("/nodes/:nodeId", validate("param", NodeParam), (c) => {
    const { nodeId } = c.req.valid("param");
    if (!state.remove(nodeId)) throw new MagpieError("unknown_node", `node ${nodeId} is not registered here`);
    log.info("node removed by admin", { node: nodeId });
    return c.json({ ok: true as const });
  });

  app.get("/summary", (c) => c.json(state.summary(settings.registryId, now())));
  return app;
}
