/**
 * Entry of the `handler` role: opens the store, accepts bridge links, serves conversation REST,
 * registers with every registry.
 *
 *   bun run src/roles/handler.ts
 */
import { z } from "zod";
import { StoreEnv, env } from "../core/config.ts";
import { randomId } from "../core/ids.ts";
import { createLogger } from "../core/log.ts";
import { createHandlerApp } from "../../routes/handler/index.ts";
import { LinkHub } from "../handler/links.ts";
import { MemberCache } from "../handler/members.ts";
import { MessageService } from "../handler/service.ts";
import { PresenceService } from "../handler/presence.ts";
import { SearchService } from "../handler/search_service.ts";
import { RegistryClient } from "../registry/client.ts";
import { createRegistrationClient } from "../registry/node_client.ts";
import { serve, upgradeWebSocket } from "../runtime/serve.ts";
import { openStore } from "../store/open.ts";
import { NodeEnv, onShutdown, loadConfig } from "./node_env.ts";
import { VERSION } from "../version.ts";
import { metricsRoute } from "../../routes/metrics.ts";
import { createPromMetrics } from "../metrics/prom.ts";
import { createHandlerMetrics } from "../metrics/handler.ts";

/** Handler configuration (environment variables). */
export const HandlerEnv = NodeEnv.extend(StoreEnv.shape).extend({
  MAGPIE_PORT: env.int(7800, 0, 65535),
  MAGPIE_FANOUT_LIMIT: env.int(200, 0, 100_000),
  MAGPIE_ROUTE_CACHE_MS: env.int(1000, 0),
  MAGPIE_MEMBER_CACHE_MS: env.int(2000, 0),
  MAGPIE_CAPACITY: env.int(100_000, 1),
  MAGPIE_RECALL_WINDOW_S: env.int(120, 0),
});

const cfg = loadConfig("handler", HandlerEnv);
const nodeId = cfg.MAGPIE_NODE_ID ?? `handler-${randomId(8)}`;
const log = createLogger(cfg.MAGPIE_LOG_LEVEL, { role: "handler", node: nodeId });

const store = await openStore(cfg, log);
const registry = new RegistryClient({ registries: cfg.MAGPIE_REGISTRIES, token: cfg.MAGPIE_CLUSTER_SECRET, timeoutMs: 2000 });
const prom = createPromMetrics();
const metrics = createHandlerMetrics(prom, { linkedBridges: () => hub.linkedBridges().length, onlineUsers: () => hub.onlineUsers() });
const hub = new LinkHub(registry, cfg.MAGPIE_ROUTE_CACHE_MS, log, metrics.push);
const members = new MemberCache(store, cfg.MAGPIE_MEMBER_CACHE_MS);
const service = metrics.instrument(new MessageService(store, members, hub, { fanoutLimit: cfg.MAGPIE_FANOUT_LIMIT, recallWindowMs: cfg.MAGPIE_RECALL_WINDOW_S * 1000 }, log, metrics.service));
const presence = new PresenceService(hub);
let ready = false;
const app = createHandlerApp({
  upgradeWebSocket, hub, service, presence, search: new SearchService(store), log, handlerId: nodeId,
  clusterSecret: cfg.MAGPIE_CLUSTER_SECRET, jwtSecret: cfg.MAGPIE_JWT_SECRET, ready: () => ready,
});
app.route("/", metricsRoute(prom));
const served = serve(app, { hostname: cfg.MAGPIE_HOST, port: cfg.MAGPIE_PORT, ws: { maxPayloadLength: 16 * 1024 * 1024, idleTimeoutSeconds: 0 } });
const base = `http://${cfg.MAGPIE_HOST}:${served.port}`;

const registration = createRegistrationClient({
  registries: cfg.MAGPIE_REGISTRIES,
  secret: cfg.MAGPIE_CLUSTER_SECRET,
  heartbeatMs: cfg.MAGPIE_HEARTBEAT_MS,
  snapshotEveryMs: cfg.MAGPIE_SNAPSHOT_MS,
  log,
  linkedBridges: () => hub.linkedBridges(),
  node: () => ({
    nodeId, role: "handler", version: VERSION, internalUrl: base, metricsUrl: `${base}/metrics`,
    region: cfg.MAGPIE_REGION, zone: cfg.MAGPIE_ZONE, capacity: cfg.MAGPIE_CAPACITY,
    load: { connections: hub.linkedBridges().length, msgsPerSec: 0 },
  }),
});
registration.start();
ready = true;
log.info("listening", { port: served.port, url: base, store: store.kind });

onShutdown(async () => {
  log.info("shutting down");
  await registration.stop();
  await served.stop(true);
  await store.close();
});
