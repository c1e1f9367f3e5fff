/**
 * Entry of the `bridge` role: client WebSocket access, links to every live handler, registry
 * registration with its connected clients, drain on admin request or SIGTERM.
 *
 *   bun run src/roles/bridge.ts
 */
import { env } from "../core/config.ts";
import { randomId } from "../core/ids.ts";
import { createLogger } from "../core/log.ts";
import { createBridgeApp } from "../../routes/bridge/index.ts";
import { ClientHub } from "../bridge/hub.ts";
import { HandlerPool } from "../bridge/handler_pool.ts";
import { drainHub } from "../bridge/drain.ts";
import { RegistryClient } from "../registry/client.ts";
import { createRegistrationClient } from "../registry/node_client.ts";
import { serve, upgradeWebSocket } from "../runtime/serve.ts";
import { NodeEnv, onShutdown, loadConfig } from "./node_env.ts";
import { VERSION } from "../version.ts";
import { metricsRoute } from "../../routes/metrics.ts";
import { createPromMetrics } from "../metrics/prom.ts";
import { createBridgeMetrics } from "../metrics/bridge.ts";

/** Bridge configuration (environment variables). */
export const BridgeEnv = NodeEnv.extend({
  MAGPIE_PORT: env.int(7900, 0, 65535),
  /** The WebSocket URL clients use (default ws://host:port/ws). */
  MAGPIE_PUBLIC_URL: env.str("").optional(),
  MAGPIE_CAPACITY: env.int(19_000, 1),
  MAGPIE_MAX_FRAME_BYTES: env.int(32 * 1024, 256),
  MAGPIE_RATE_PER_SEC: env.int(50, 1),
  MAGPIE_RATE_BURST: env.int(100, 1),
  MAGPIE_IDLE_TIMEOUT_S: env.int(120, 0, 960),
  MAGPIE_HANDLER_REFRESH_MS: env.int(2000, 50),
  MAGPIE_DRAIN_GRACE_MS: env.int(500, 0),
});

const cfg = loadConfig("bridge", BridgeEnv);
const nodeId = cfg.MAGPIE_NODE_ID ?? `bridge-${randomId(8)}`;
const log = createLogger(cfg.MAGPIE_LOG_LEVEL, { role: "bridge", node: nodeId });

const prom = createPromMetrics();
const metrics = createBridgeMetrics(prom, { connections: () => hub.size(), draining: () => draining });
const hub = metrics.instrumentHub(new ClientHub());
const registry = new RegistryClient({ registries: cfg.MAGPIE_REGISTRIES, token: cfg.MAGPIE_CLUSTER_SECRET, timeoutMs: 2000 });
const pool = new HandlerPool(hub, {
  bridgeId: nodeId,
  clusterSecret: cfg.MAGPIE_CLUSTER_SECRET,
  listHandlers: async () => (await registry.listNodes("handler")).filter((n) => !n.draining),
  refreshMs: cfg.MAGPIE_HANDLER_REFRESH_MS,
  onlineAckTimeoutMs: 2000,
  log,
  onPush: metrics.onPush,
});

let draining = false;
let ready = false;
let msgsIn = 0;
let rate = 0;
setInterval(() => {
  rate = msgsIn;
  msgsIn = 0;
}, 1000).unref?.();

// deno-lint-ignore prefer-const
let registration: ReturnType<typeof createRegistrationClient>;
const app = createBridgeApp({
  upgradeWebSocket, hub, pool, log, bridgeId: nodeId,
  jwtSecret: cfg.MAGPIE_JWT_SECRET,
  heartbeatMs: cfg.MAGPIE_HEARTBEAT_MS,
  maxFrameBytes: cfg.MAGPIE_MAX_FRAME_BYTES,
  rate: { perSec: cfg.MAGPIE_RATE_PER_SEC, burst: cfg.MAGPIE_RATE_BURST },
  draining: () => draining,
  ready: () => ready,
  hooks: {
    connected: (c) => {
      registration.clients.add(c.userId, c.deviceId);
      metrics.ws.connected();
    },
    disconnected: (c) => {
      registration.clients.remove(c.userId, c.deviceId);
      metrics.ws.disconnected();
    },
    frameIn: (t) => {
      if (t === "send") msgsIn++;
      metrics.ws.frameIn(t);
    },
    rejected: metrics.ws.rejected,
  },
});
app.route("/", metricsRoute(prom));
const served = serve(app, {
  hostname: cfg.MAGPIE_HOST,
  port: cfg.MAGPIE_PORT,
  ws: { maxPayloadLength: Math.max(cfg.MAGPIE_MAX_FRAME_BYTES * 4, 1024 * 1024), idleTimeoutSeconds: cfg.MAGPIE_IDLE_TIMEOUT_S },
});
const base = `http://${cfg.MAGPIE_HOST}:${served.port}`;
const publicUrl = cfg.MAGPIE_PUBLIC_URL || `ws://${cfg.MAGPIE_HOST}:${served.port}/ws`;

registration = createRegistrationClient({
  registries: cfg.MAGPIE_REGISTRIES,
  secret: cfg.MAGPIE_CLUSTER_SECRET,
  heartbeatMs: cfg.MAGPIE_HEARTBEAT_MS,
  snapshotEveryMs: cfg.MAGPIE_SNAPSHOT_MS,
  log,
  node: () => ({
    nodeId, role: "bridge", version: VERSION, publicUrl, internalUrl: base, metricsUrl: `${base}/metrics`,
    region: cfg.MAGPIE_REGION, zone: cfg.MAGPIE_ZONE, capacity: cfg.MAGPIE_CAPACITY,
    load: { connections: hub.size(), msgsPerSec: rate },
  }),
});
await pool.start();
registration.start();
ready = true;
log.info("listening", { port: served.port, url: base, publicUrl });

async function drain(): Promise<void> {
  if (draining) return;
  draining = true;
  log.info("draining", { connections: hub.size() });
  await drainHub(hub, cfg.MAGPIE_DRAIN_GRACE_MS, 10_000);
  log.info("drained");
}
registration.onDraining(() => void drain());

onShutdown(async () => {
  await drain();
  await registration.stop();
  pool.stop();
  await served.stop(true);
});
