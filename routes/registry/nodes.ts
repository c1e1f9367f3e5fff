/**
 * `/v1/nodes`: registration, heartbeats, deregistration (cluster secret) and the live node
 * list (cluster secret or admin token).
 */
import { Hono } from "hono";
import { validate } from "../../src/http/validate.ts";
import { requireBearer } from "../../src/registry/auth.ts";
import type { RegistryDeps } from "../../src/registry/deps.ts";
import {
  HeartbeatBody, ListNodesQuery, MAX_SMALL_BYTES, MAX_SNAPSHOT_BYTES, NodeParam, RegisterBody,
  type HeartbeatResponseT, type RegisterResponseT,
} from "../../src/registry/schemas.ts";
import { limitBody } from "./body_limit.ts";

/** Node registration routes; mount at `/v1/nodes`. */
export function nodesRoutes(deps: RegistryDeps): Hono {
  const { state, settings, metrics } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.log;
  const cluster = requireBearer([settings.clusterSecret], () => metrics?.authFailure?.("cluster"));
  const clusterOrAdmin = requireBearer([settings.clusterSecret, settings.adminToken], () => metrics?.authFailure?.("cluster"));
  const app = new Hono();

  app.post("/register", cluster, limitBody(MAX_SNAPSHOT_BYTES), validate("json", RegisterBody), (c) => {
    const body = c.req.valid("json");
    const r = state.register(body, now());
    metrics?.registration?.(body.node.role);
    log.info("node registered", { node: body.node.nodeId, role: body.node.role, clients: body.clients?.length ?? 0 });
    const out: RegisterResponseT = { ok: true, expiresInMs: settings.expiryMs, draining: r.draining };
    return c.json(out);
  });

  app.post("/heartbeat", cluster, limitBody(MAX_SNAPSHOT_BYTES), validate("json", HeartbeatBody), (c) => {
    const body = c.req.valid("json");
    const r = state.heartbeat(body, now());
    metrics?.heartbeat?.(body.node.role);
    if (r.wantSnapshot) {
      metrics?.snapshotRequested?.();
      log.debug("delta out of sequence; snapshot requested", { node: body.node.nodeId, seq: body.clients?.seq });
    }
    const out: HeartbeatResponseT = { ok: true, expiresInMs: settings.expiryMs, draining: r.draining, wantSnapshot: r.wantSnapshot };
    return c.json(out);
  });

  app.delete("/:nodeId", cluster, limitBody(MAX_SMALL_BYTES), validate("param", NodeParam), (c) => {
    const { nodeId } = c.req.valid("param");
    const existed = state.remove(nodeId);
    if (existed) log.info("node deregistered", { node: nodeId });
    return c.json({ ok: true as const });
  });

  app.get("/", clusterOrAdmin, validate("query", ListNodesQuery), (c) => {
    const { role } = c.req.valid("query");
    return c.json({ nodes: state.list(now(), role) });
  });

  return app;
}
