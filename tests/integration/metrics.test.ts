/**
 * Metrics on real processes: a registry, a handler (SQLite) and two bridges on loopback.
 * Every role's /metrics passes `promtool check metrics` and carries the domain metrics after
 * real traffic; the registry's HTTP SD lists every node; a real Prometheus server discovers
 * them through it and scrapes every bridge and handler as an up target.
 * Needs promtool and prometheus (scripts/install-test-deps.sh installs them).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signUserToken } from "../../src/auth/jwt.ts";
import { MagpieClient } from "../../src/client/index.ts";
import { parsePromText, quantile, sum } from "../../src/metric/promtext.ts";
import { promtoolCheck, startCluster, waitUntil, type Cluster } from "../e2e/cluster.ts";

let cluster: Cluster;
const clients: MagpieClient[] = [];

async function client(user: string, bridges: string[]): Promise<MagpieClient> {
  const token = await signUserToken("dev-jwt-secret", user, "d1");
  const c = new MagpieClient({ registries: bridges, token, userId: user });
  clients.push(c);
  await c.connect();
  return c;
}

async function metricsOf(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return await res.text();
}

beforeAll(async () => {
  cluster = await startCluster({ bridges: 2 });
  await waitUntil(async () => {
    const r = await fetch(`${cluster.registry.url}/v1/admin/summary`, { headers: { authorization: "Bearer dev-admin-token" } });
    const s = (await r.json()) as { nodes: { bridge: { live: number }; handler: { live: number } } };
    return s.nodes.bridge.live === 2 && s.nodes.handler.live === 1;
  }, 15_000, "2 bridges and 1 handler registered");
  // Traffic: alice and bob on (possibly) different bridges exchange messages; one retry is a dedupe hit.
  const alice = await client("alice", [cluster.registry.url]);
  const bob = await client("bob", [cluster.registry.url]);
  await waitUntil(async () => {
    const texts = await Promise.all(cluster.bridges.map((b) => metricsOf(b.url)));
    return texts.reduce((n, t) => n + sum(parsePromText(t), "magpie_bridge_connections"), 0) === 2;
  }, 10_000, "2 connections");
  const got = bob.waitFor((m) => m.body === "hi 4");
  for (let i = 0; i < 5; i++) await alice.sendDirect("bob", `hi ${i}`, { clientMsgId: `m-${i}` });
  await alice.sendDirect("bob", "hi 0", { clientMsgId: "m-0" });
  await got;
  await bob.sendDirect("alice", "hello back");
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await cluster?.stop();
});

describe("/metrics on every role", () => {
  test("every role's exposition passes promtool check metrics", async () => {
    for (const p of cluster.all) {
      const text = await metricsOf(p.url);
      const r = await promtoolCheck(text);
      expect({ role: p.role, out: r.out, code: r.code }).toEqual({ role: p.role, out: "", code: 0 });
      expect(text).toContain("process_cpu_seconds_total");
    }
  });

  test("handler counts sends, dedupe hits, store latency, fan-out and pushes", async () => {
    const s = parsePromText(await metricsOf(cluster.handler.url));
    expect(sum(s, "magpie_handler_sends_total")).toBe(7);
    expect(sum(s, "magpie_handler_dedupe_hits_total")).toBe(1);
    expect(sum(s, "magpie_handler_store_write_seconds_count")).toBe(7);
    expect(sum(s, "magpie_handler_fanout_recipients_count")).toBe(7);
    expect(sum(s, "magpie_handler_op_seconds_count", { op: "send" })).toBe(7);
    expect(sum(s, "magpie_handler_pushes_total")).toBeGreaterThanOrEqual(6);
    expect(sum(s, "magpie_handler_linked_bridges")).toBe(2);
    expect(s.some((x) => Object.values(x.labels).some((v) => v === "alice" || v === "bob"))).toBe(false);
  });

  test("bridges count connections, frames, pushes and push latency", async () => {
    const all = (await Promise.all(cluster.bridges.map((b) => metricsOf(b.url)))).flatMap(parsePromText);
    expect(sum(all, "magpie_bridge_connections")).toBe(2);
    expect(sum(all, "magpie_bridge_connects_total")).toBe(2);
    expect(sum(all, "magpie_bridge_frames_in_total", { type: "send" })).toBe(7);
    // 5 new messages to bob + 1 reply to alice; the retried duplicate is not pushed again.
    expect(sum(all, "magpie_bridge_push_frames_total")).toBeGreaterThanOrEqual(6);
    expect(sum(all, "magpie_bridge_push_sockets_total")).toBeGreaterThanOrEqual(6);
    expect(sum(all, "magpie_bridge_push_latency_seconds_count")).toBeGreaterThanOrEqual(6);
  });

  test("registry reports live nodes by role and state, heartbeats, selections and route lookups", async () => {
    const s = parsePromText(await metricsOf(cluster.registry.url));
    expect(sum(s, "magpie_registry_nodes", { role: "bridge", state: "active" })).toBe(2);
    expect(sum(s, "magpie_registry_nodes", { role: "handler", state: "active" })).toBe(1);
    expect(sum(s, "magpie_registry_heartbeats_total")).toBeGreaterThan(0);
    expect(sum(s, "magpie_registry_selections_total", { outcome: "ok" })).toBeGreaterThanOrEqual(2);
  });
});

describe("text-format helpers", () => {
  test("parse labels with escapes and interpolate quantiles like histogram_quantile", () => {
    const s = parsePromText('# HELP x y\nx_bucket{le="0.1",a="q\\"uote"} 5\nx_bucket{le="0.2"} 10\nx_bucket{le="+Inf"} 10\nplain 3 1700000000\n');
    expect(s[0]!.labels.a).toBe('q"uote');
    expect(sum(s, "plain")).toBe(3);
    const b = new Map([[0.1, 5], [0.2, 10], [Infinity, 10]]);
    expect(quantile(0.5, b)).toBeCloseTo(0.1);
    expect(quantile(0.75, b)).toBeCloseTo(0.15);
    expect(quantile(0.5, new Map())).toBeNull();
  });
});

describe("Prometheus HTTP service discovery", () => {
  test("needs the cluster secret or admin token and lists every node with labels", async () => {
    const url = `${cluster.registry.url}/v1/sd/prometheus`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: "Bearer wrong" } })).status).toBe(403);
    const groups = (await (await fetch(url, { headers: { authorization: "Bearer dev-cluster-secret" } })).json()) as { targets: string[]; labels: Record<string, string> }[];
    const byRole = (r: string) => groups.filter((g) => g.labels.role === r);
    expect(byRole("bridge").map((g) => g.targets[0]).sort()).toEqual(cluster.bridges.map((b) => `127.0.0.1:${b.port}`).sort());
    expect(byRole("handler").map((g) => g.targets[0])).toEqual([`127.0.0.1:${cluster.handler.port}`]);
    expect(byRole("registry").map((g) => g.targets[0])).toEqual([`127.0.0.1:${cluster.registry.port}`]);
    for (const g of groups) {
      expect(g.labels.__metrics_path__).toBe("/metrics");
      expect(Object.keys(g.labels)).toEqual(expect.arrayContaining(["role", "region", "zone", "node"]));
    }
  });

  test("a real Prometheus discovers every bridge and handler through the registry and scrapes them up", async () => {
    const dir = mkdtempSync(join(tmpdir(), "magpie-prom-"));
    const port = await freePort();
    writeFileSync(join(dir, "prometheus.yml"), [
      "global: { scrape_interval: 1s, scrape_timeout: 900ms }",
      "scrape_configs:",
      "  - job_name: magpie",
      "    http_sd_configs:",
      `      - url: ${cluster.registry.url}/v1/sd/prometheus`,
      "        refresh_interval: 1s",
      "        authorization: { type: Bearer, credentials: dev-cluster-secret }",
      "",
    ].join("\n"));
    const prom = Bun.spawn([
      "prometheus", `--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn",
    ], { stdout: "ignore", stderr: "pipe" });
    let seen: unknown = null;
    try {
      type Target = { labels: Record<string, string>; health: string; lastError: string };
      const expected = new Set([...cluster.bridges, cluster.handler].map((p) => `127.0.0.1:${p.port}`));
      const targets = await waitUntil(async () => {
        const r = await fetch(`http://127.0.0.1:${port}/api/v1/targets?state=active`);
        const body = (await r.json()) as { data: { activeTargets: Target[] } };
        const t = body.data.activeTargets;
        seen = t.map((x) => ({ instance: x.labels.instance, role: x.labels.role, health: x.health, err: x.lastError }));
        const up = t.filter((x) => x.health === "up" && expected.has(x.labels.instance!));
        return up.length === expected.size ? t : false;
      }, 30_000, "every bridge and handler up in Prometheus").catch((err) => {
        throw new Error(`${(err as Error).message}; targets: ${JSON.stringify(seen)}`);
      });
      const roles = targets.filter((t) => expected.has(t.labels.instance!)).map((t) => t.labels.role).sort();
      expect(roles).toEqual(["bridge", "bridge", "handler"]);
      for (const t of targets) expect(t.labels.node).toBeTruthy();
      // And Prometheus has the domain series.
      const q = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent("sum(magpie_bridge_connections)")}`);
      const res = (await q.json()) as { data: { result: { value: [number, string] }[] } };
      expect(Number(res.data.result[0]?.value[1])).toBe(2);
      // Every query of deploy/grafana-dashboard.json is valid PromQL on these series.
      const dash = JSON.parse(readFileSync(join(import.meta.dir, "..", "..", "deploy", "grafana-dashboard.json"), "utf8")) as { panels: { targets: { expr: string }[] }[] };
      const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr.replaceAll("$job", "magpie")));
      expect(exprs.length).toBeGreaterThan(10);
      for (const e of exprs) {
        const r = (await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(e)}`)).json()) as { status: string; error?: string };
        expect({ e, status: r.status, error: r.error }).toEqual({ e, status: "success", error: undefined });
      }
    } finally {
      prom.kill("SIGTERM");
      await Promise.race([prom.exited, Bun.sleep(5000)]);
      if (prom.exitCode === null) prom.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}
