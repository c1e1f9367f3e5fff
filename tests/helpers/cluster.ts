/**
 * Starts real Magpie role processes on loopback for integration tests (no mocks): each role is
 * `bun run src/roles/<role>.ts` with env, port 0, and its `listening` log line gives the port.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, startServed, type Served } from "../../scripts/lib/served.ts";

const BUN = join(ROOT, "node_modules/.bin/bun");
const DENO = join(ROOT, "node_modules/.bin/deno");

/** A running role process. */
export interface RoleProc extends Served {
  role: string;
  env: Record<string, string>;
}

/** Starts one role (on Bun, or on Deno) and resolves when it logs `listening`. */
export async function startRole(role: string, env: Record<string, string>, timeoutMs = 60_000, runtime: "bun" | "deno" = "bun"): Promise<RoleProc> {
  const fullEnv = { MAGPIE_PORT: "0", MAGPIE_LOG_LEVEL: "info", ...env };
  const entry = join(ROOT, `src/roles/${role}.ts`);
  const served = runtime === "bun"
    ? await startServed(role, BUN, ["run", entry], fullEnv, timeoutMs)
    : await startServed(role, DENO, ["run", "-A", "--quiet", entry], fullEnv, timeoutMs);
  return { ...served, role, env: { ...process.env, ...fullEnv } as Record<string, string> };
}

/** Shape of a test cluster. */
export interface ClusterSpec {
  registries?: number;
  handlers?: number;
  bridges?: number;
  /** Extra env for every node role. */
  env?: Record<string, string>;
  store?: "sqlite" | "cassandra";
  keyspace?: string;
}

/** A running cluster. */
export interface Cluster {
  registries: RoleProc[];
  handlers: RoleProc[];
  bridges: RoleProc[];
  registryUrls: string[];
  nodeEnv: Record<string, string>;
  /** Starts one more bridge or handler with the cluster's settings. */
  add(role: "bridge" | "handler", env?: Record<string, string>): Promise<RoleProc>;
  stop(): Promise<void>;
}

/** Fast timings so tests see expiry and discovery quickly. */
export const FAST = { MAGPIE_HEARTBEAT_MS: "200", MAGPIE_EXPIRY_MS: "1500", MAGPIE_SNAPSHOT_MS: "1000", MAGPIE_HANDLER_REFRESH_MS: "200", MAGPIE_ROUTE_CACHE_MS: "300", MAGPIE_MEMBER_CACHE_MS: "300" };

/** Starts registries, then handlers, then bridges; waits until every bridge linked every handler. */
export async function startCluster(spec: ClusterSpec = {}): Promise<Cluster> {
  const registries = await Promise.all(Array.from({ length: spec.registries ?? 1 }, () => startRole("registry", { ...FAST, MAGPIE_SELECT_RATE: "1000", MAGPIE_SELECT_BURST: "1000" })));
  const registryUrls = registries.map((r) => r.url);
  const storeEnv: Record<string, string> = spec.store === "cassandra"
    ? { MAGPIE_STORE: "cassandra", MAGPIE_CASSANDRA_KEYSPACE: spec.keyspace ?? "magpie_it", MAGPIE_CASSANDRA_CONSISTENCY: "ONE" }
    : { MAGPIE_STORE: "sqlite", MAGPIE_SQLITE_PATH: join(mkdtempSync(join(tmpdir(), "magpie-it-")), "db.sqlite") };
  const nodeEnv = { ...FAST, ...storeEnv, MAGPIE_REGISTRIES: registryUrls.join(","), ...spec.env };
  const handlers: RoleProc[] = [];
  for (let i = 0; i < (spec.handlers ?? 1); i++) handlers.push(await startRole("handler", nodeEnv));
  const bridges = await Promise.all(Array.from({ length: spec.bridges ?? 1 }, () => startRole("bridge", nodeEnv)));
  const cluster: Cluster = {
    registries, handlers, bridges, registryUrls, nodeEnv,
    add: async (role, env = {}) => {
      const p = await startRole(role, { ...nodeEnv, ...env });
      (role === "bridge" ? bridges : handlers).push(p);
      return p;
    },
    stop: async () => {
      await Promise.all([...bridges, ...handlers, ...registries].map((p) => p.stop("SIGKILL")));
    },
  };
  await waitUntil(() => bridges.every((b) => handlers.filter((h) => h.proc.exitCode === null && h.proc.signalCode === null).every((h) => b.logs.some((l) => l.includes('"linked to handler"') && l.includes(nodeIdOf(h))))), 20_000, "bridges linked to all handlers");
  return cluster;
}

/** The node id a role process logged. */
export function nodeIdOf(p: RoleProc): string {
  for (const l of p.logs) {
    const m = /"node":"([^"]+)"/.exec(l);
    if (m) return m[1]!;
  }
  throw new Error(`no node id in ${p.role} logs`);
}

/** Polls `cond` every 50 ms until true or `timeoutMs` passes (then throws naming `what`). */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
