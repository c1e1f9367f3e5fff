/**
 * Entry of the `metric` role: polls the registries' summaries and every node's /metrics,
 * serves the cluster as JSON (`/api/cluster`), a live dashboard (`/`) and a web chat (`/chat`).
 * Page scripts are bundled at start, so the pages need nothing from the internet.
 *
 *   bun run src/roles/metric.ts
 */
import { join } from "node:path";
import { z } from "zod";
import { env } from "../core/config.ts";
import { createLogger } from "../core/log.ts";
import { ClusterCollector } from "../metric/collector.ts";
import { createMetricApp } from "../metric/app.ts";
import { bundleBrowser } from "../runtime/bun/build.ts";
import { serve } from "../runtime/serve.ts";
import { onShutdown, loadConfig } from "./node_env.ts";

/** Metric role configuration (environment variables). */
export const MetricEnv = z.object({
  MAGPIE_HOST: env.str("127.0.0.1"),
  MAGPIE_PORT: env.int(7600, 0, 65535),
  MAGPIE_REGISTRIES: env.list("http://127.0.0.1:7700").pipe(z.array(z.url()).min(1, "at least one registry URL")),
  MAGPIE_ADMIN_TOKEN: env.str("dev-admin-token"),
  MAGPIE_JWT_SECRET: env.str("dev-jwt-secret"),
  /** Let the chat page mint user tokens (`POST /api/dev-token`); development only. */
  MAGPIE_DEV_TOKENS: env.bool(false),
  MAGPIE_POLL_MS: env.int(2000, 100, 60_000),
  MAGPIE_LATENCY_WINDOW_MS: env.int(60_000, 1000),
  MAGPIE_LOG_LEVEL: env.level(),
});

const cfg = loadConfig("metric", MetricEnv);
const log = createLogger(cfg.MAGPIE_LOG_LEVEL, { role: "metric" });

const pages = join(import.meta.dir, "..", "metric", "page");
const [dashboard, chat] = await Promise.all([bundleBrowser(join(pages, "dashboard.ts")), bundleBrowser(join(pages, "chat.ts"))]);
const collector = new ClusterCollector({
  registries: cfg.MAGPIE_REGISTRIES, adminToken: cfg.MAGPIE_ADMIN_TOKEN, pollMs: cfg.MAGPIE_POLL_MS,
  latencyWindowMs: cfg.MAGPIE_LATENCY_WINDOW_MS, log,
});
collector.start();
const app = createMetricApp({
  collector, registries: cfg.MAGPIE_REGISTRIES, jwtSecret: cfg.MAGPIE_JWT_SECRET, devTokens: cfg.MAGPIE_DEV_TOKENS, log,
  assets: { "dashboard.js": dashboard.js, "dashboard.css": dashboard.css, "chat.js": chat.js },
});
const served = serve(app, { hostname: cfg.MAGPIE_HOST, port: cfg.MAGPIE_PORT });
const url = `http://${cfg.MAGPIE_HOST}:${served.port}`;
log.info("listening", { port: served.port, url, dashboard: `${url}/`, chat: `${url}/chat`, devTokens: cfg.MAGPIE_DEV_TOKENS });

onShutdown(async () => {
  collector.stop();
  await served.stop(true);
});
