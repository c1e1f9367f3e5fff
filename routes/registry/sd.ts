/**
 * `GET /v1/sd/prometheus`: Prometheus HTTP service discovery. One target group per live node
 * (bridges and handlers, draining ones included: they still serve until they leave) plus this
 * registry itself, each with `__metrics_path__` and the labels `role`, `region`, `zone`, `node`.
 *
 * Auth: bearer cluster secret or admin token (the list holds internal addresses), which
 * Prometheus sends with `http_sd_configs[].authorization` (see deploy/prometheus.yml).
 */
import { Hono } from "hono";
import { requireBearer } from "../../src/registry/auth.ts";
import type { RegistryDeps } from "../../src/registry/deps.ts";

/** One Prometheus HTTP SD target group. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Service discovery routes; mount at `/v1/sd`. */
export function sdRoutes(deps: RegistryDeps): Hono {
  const { state, settings, metrics } = deps;
  const now = deps.now ?? Date.now;
  const app = new Hono();
  app.use("*", requireBearer([settings.clusterSecret, settings.adminToken], () => metrics?.authFailure?.("cluster")));

  app.get("/prometheus", (c) => {
    const groups: TargetGroup[] = [];
    for (const n of state.list(now())) {
      const url = new URL(n.metricsUrl ?? `${n.internalUrl.replace(/\/$/, "")}/metrics`);
      groups.push({
        targets: [url.host],
        labels: {
          __scheme__: url.protocol.replace(":", ""),
          __metrics_path__: url.pathname,
          role: n.role, region: n.region, zone: n.zone, node: n.nodeId,
        },
      });
    }
    const self = new URL(c.req.url);
    groups.push({
      targets: [self.host],
      labels: { __scheme__: self.protocol.replace(":", ""), __metrics_path__: "/metrics", role: "registry", region: "", zone: "", node: settings.registryId },
    });
    return c.json(groups);
  });
  return app;
}
