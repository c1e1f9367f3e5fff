/**
 * What the registry's route modules depend on: the state, settings, a logger, a clock and
 * optional metric hooks. Route factories take this object and nothing else.
 */
import type { Context } from "hono";
import type { Logger } from "../core/log.ts";
import type { StrategyName } from "./schemas.ts";
import type { RegistryState } from "./state.ts";

/**
 * Metric hooks (all optional). The metrics implementation lives elsewhere; nothing here
 * imports prom-client.
 */
export interface RegistryMetrics {
  registration?(role: string): void;
  heartbeat?(role: string): void;
  snapshotRequested?(): void;
  expired?(role: string): void;
  selection?(strategy: string, outcome: "ok" | "none"): void;
  rateLimited?(): void;
  routeLookup?(users: number): void;
  authFailure?(scope: "cluster" | "admin"): void;
}

/** Registry settings the routes need. */
export interface RegistrySettings {
  registryId: string;
  clusterSecret: string;
  adminToken: string;
  expiryMs: number;
  defaultStrategy: StrategyName;
  regionPreference: ReadonlyMap<string, readonly string[]>;
  /** Per-address selection rate (tokens/s) and burst. */
  selectRate: number;
  selectBurst: number;
  /** Use the first X-Forwarded-For address as the client address (behind a trusted proxy). */
  trustProxy: boolean;
}

/** Dependencies of {@link createRegistryApp} and each route module. */
export interface RegistryDeps {
  state: RegistryState;
  settings: RegistrySettings;
  log: Logger;
  metrics?: RegistryMetrics;
  /** Clock (epoch ms); defaults to Date.now. */
  now?: () => number;
  /** Random source for the `random` strategy; defaults to Math.random. */
  random?: () => number;
  /** Client address for rate limiting; defaults to {@link defaultClientAddress}. */
  clientAddress?: (c: Context) => string;
  /** Readiness probe; defaults to always ready. */
  ready?: () => boolean;
}

/**
 * The peer address of a request without touching runtime globals: Bun passes its server as
 * `c.env` (with `requestIP`), Deno's serve passes `info.remoteAddr`. Falls back to "unknown".
 */
export function defaultClientAddress(c: Context, trustProxy = false): string {
  if (trustProxy) {
    const xff = c.req.header("x-forwarded-for");
    const first = xff?.split(",")[0]?.trim();
    if (first) return first;
  }
  const env = c.env as { requestIP?: (r: Request) => { address?: string } | null; remoteAddr?: { hostname?: string } } | undefined;
  try {
    const ip = env?.requestIP?.(c.req.raw)?.address ?? env?.remoteAddr?.hostname;
    if (ip) return ip;
  } catch {
    // not a server env
  }
  return "unknown";
}
