/**
 * Entry of the `registry` role: parses its config once, wires state, routes and the expiry
 * sweep, serves over the runtime adapter and shuts down gracefully on SIGTERM/SIGINT.
 *
 *   bun run src/roles/registry.ts
 */
import { z } from "zod";
import { env } from "../core/config.ts";
import { loadConfig } from "./node_env.ts";
import { randomId } from "../core/ids.ts";
import { createLogger } from "../core/log.ts";
import { createRegistryApp } from "../../routes/registry/index.ts";
import { serve } from "../runtime/serve.ts";
import { MAX_SNAPSHOT_BYTES, Strategy } from "../registry/schemas.ts";
import { RegistryState } from "../registry/state.ts";
import { parseRegionPreference } from "../registry/strategies.ts";
import type { RegistryMetrics } from "../registry/deps.ts";
import { metricsRoute } from "../../routes/metrics.ts";
import { createPromMetrics } from "../metrics/prom.ts";
import { createRegistryMetrics } from "../metrics/registry.ts";

/** Registry configuration (environment variables). */
export const RegistryEnv = z.object({
  MAGPIE_HOST: env.str("127.0.0.1"),
  MAGPIE_PORT: env.int(7700, 0, 65535),
  MAGPIE_NODE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  MAGPIE_CLUSTER_SECRET: env.str("dev-cluster-secret"),
  MAGPIE_ADMIN_TOKEN: env.str("dev-admin-token"),
  MAGPIE_HEARTBEAT_MS: env.int(5000, 10),
  MAGPIE_EXPIRY_MS: env.int(15000, 50),
  MAGPIE_SWEEP_MS: env.int(1000, 10),
  /** Readiness waits this long after start so nodes can re-register (default: one heartbeat). */
  MAGPIE_WARMUP_MS: z.coerce.number().int().min(0).optional(),
  MAGPIE_REGISTRY_STRATEGY: Strategy.default("least-connections"),
  MAGPIE_REGION_PREFERENCE: z.string().default("").transform((s, ctx) => {
    try {
      return parseRegionPreference(s);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  }),
  MAGPIE_SELECT_RATE: env.int(20, 0),
  MAGPIE_SELECT_BURST: env.int(40, 1),
  MAGPIE_TRUST_PROXY: env.bool(false),
  MAGPIE_LOG_LEVEL: env.level(),
});
/** Parsed registry configuration. */
export type RegistryConfig = z.output<typeof RegistryEnv>;

/** Starts a registry; returns its port and a stop function. */
export async function startRegistry(cfg: RegistryConfig, metrics?: RegistryMetrics) {
  const registryId = cfg.MAGPIE_NODE_ID ?? `registry-${randomId(8)}`;
  const log = createLogger(cfg.MAGPIE_LOG_LEVEL, { role: "registry", node: registryId });
  const state = new RegistryState(cfg.MAGPIE_EXPIRY_MS);
  const prom = createPromMetrics();
  metrics ??= createRegistryMetrics(prom, { nodes: () => state.list(Date.now()), routedUsers: () => state.routedUsers });
  const startedAt = Date.now();
  const warmup = cfg.MAGPIE_WARMUP_MS ?? cfg.MAGPIE_HEARTBEAT_MS;
  const app = createRegistryApp({
    state, log, metrics,
    ready: () => Date.now() - startedAt >= warmup,
    settings: {
      registryId,
      clusterSecret: cfg.MAGPIE_CLUSTER_SECRET,
      adminToken: cfg.MAGPIE_ADMIN_TOKEN,
      expiryMs: cfg.MAGPIE_EXPIRY_MS,
      defaultStrategy: cfg.MAGPIE_REGISTRY_STRATEGY,
      regionPreference: cfg.MAGPIE_REGION_PREFERENCE,
      selectRate: cfg.MAGPIE_SELECT_RATE,
      selectBurst: cfg.MAGPIE_SELECT_BURST,
      trustProxy: cfg.MAGPIE_TRUST_PROXY,
    },
  });
  app.route("/", metricsRoute(prom));
  const sweep = setInterval(() => {
    for (const n of state.sweep(Date.now())) {
      metrics?.expired?.(n.role);
      log.info("node expired", { node: n.nodeId, role: n.role });
    }
  }, cfg.MAGPIE_SWEEP_MS);
  const served = serve(app, { hostname: cfg.MAGPIE_HOST, port: cfg.MAGPIE_PORT, maxRequestBodySize: 2 * MAX_SNAPSHOT_BYTES });
  log.info("listening", { port: served.port, host: cfg.MAGPIE_HOST });
  return {
    port: served.port,
    state,
    stop: async () => {
      clearInterval(sweep);
      await served.stop();
      log.info("stopped");
    },
  };
}

if (import.meta.main) {
  const cfg: RegistryConfig = loadConfig("registry", RegistryEnv);
  const reg = await startRegistry(cfg);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await reg.stop();
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}
